"""MediaPipe Face Mesh: the only module that imports mediapipe.

The model is created lazily on first use and reused; nothing is loaded at import time and
nothing is downloaded (the 0.10.21 wheel ships the Face Mesh and iris models).
"""

from __future__ import annotations

import contextlib
import os
import threading

import cv2
import numpy as np

from tracker.errors import NoFaceError
from tracker.types import Landmarks

MODEL_NAME = "mediapipe-0.10.21-face-mesh-refined"
MAX_FACES = 4  # enough to notice a second person; the subject is the largest face

_lock = threading.Lock()
_model = None
_calls = 0
QUIET_FIRST_CALLS = 16


@contextlib.contextmanager
def _quiet_native_logs():
    """Silence stderr at the file-descriptor level: MediaPipe's C++ core prints TensorFlow Lite
    and inference notes there when the graph starts, which would clutter the user's terminal."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _face_mesh():
    global _model
    if _model is None:
        with _quiet_native_logs():
            import mediapipe as mp  # heavy import, deferred to first use

            _model = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                refine_landmarks=True,
                max_num_faces=MAX_FACES,
                min_detection_confidence=0.5,
            )
    return _model


# Face Mesh sees the subject in a square crop of this many pixels, the face spanning about
# half of it, whatever the photo's resolution: the model's own resampling of a large photo
# aliases, and its output then depends on the photo's size (about 1 mm of brow height between
# a 12 MP photo and its half-size decode). A fixed view makes the landmarks size-invariant.
CROP_SIZE_PX = 512
CROP_FACE_FRACTION = 0.5  # face height (forehead to chin) / crop side
DETECTION_LONG_SIDE_PX = 1280  # the first pass, which only finds the faces, runs this small


def _run(rgb: np.ndarray) -> list[np.ndarray]:
    height, width = rgb.shape[:2]
    global _calls
    with _lock:  # a MediaPipe graph is not safe to call from several threads at once
        model = _face_mesh()
        # the graph logs once more on its first faces: keep those first calls quiet too
        quiet = _quiet_native_logs() if _calls < QUIET_FIRST_CALLS else contextlib.nullcontext()
        with quiet:
            result = model.process(np.ascontiguousarray(rgb, dtype=np.uint8))
        _calls += 1
    return [
        np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float64)
        for face in (result.multi_face_landmarks or [])
    ]


def _ipd(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[468, :2] - points[473, :2]))


# The second pass averages Face Mesh over several views of the face: shifted, zoomed and
# mirrored. Its landmarks jitter by about 1 % of the interpupillary distance with the exact
# view (enough to move brow height by 0.5 mm between two identical photos); the jitter is
# partly independent between views, and the mirrored views cancel the model's own left/right
# bias, so that a mirrored photo measures as the mirror image of the original.
# (zoom relative to the base view, shift as a fraction of the crop, mirrored?)
VIEWS = (
    (1.00, (0.00, 0.00), False),
    (1.00, (0.00, 0.00), True),
    (0.92, (0.03, -0.02), False),
    (0.92, (-0.03, 0.02), True),
    (1.08, (-0.02, -0.03), False),
    (1.08, (0.02, 0.03), True),
)


def _view(pixels: np.ndarray, first: np.ndarray, zoom_factor: float, shift, flip: bool):
    """Face Mesh on one fixed-size view of the face; points mapped back to ``pixels``."""
    from tracker.landmarks.indices import mirror_permutation

    height, width = pixels.shape[:2]
    face_height = float(np.linalg.norm(first[10, :2] - first[152, :2]))
    zoom = zoom_factor * CROP_SIZE_PX * CROP_FACE_FRACTION / face_height
    centre = 0.5 * (first[:, :2].min(axis=0) + first[:, :2].max(axis=0))
    offset = CROP_SIZE_PX / 2 + np.asarray(shift) * CROP_SIZE_PX - zoom * centre
    if zoom < 1:
        # warpAffine does not average when shrinking: resize with area averaging first
        source = cv2.resize(pixels, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
        zx, zy = source.shape[1] / width, source.shape[0] / height
        matrix = np.array([[1.0, 0.0, offset[0]], [0.0, 1.0, offset[1]]])
        # resize rounds the size: correct the offset for the exact factors
        matrix[:, 2] += (zoom - np.array([zx, zy])) * centre
        crop = cv2.warpAffine(source, matrix, (CROP_SIZE_PX, CROP_SIZE_PX),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        offset = matrix[:, 2]
    else:
        zx = zy = zoom
        matrix = np.array([[zoom, 0.0, offset[0]], [0.0, zoom, offset[1]]])
        crop = cv2.warpAffine(pixels, matrix, (CROP_SIZE_PX, CROP_SIZE_PX),
                              flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT)
    if flip:
        crop = crop[:, ::-1]
    found = _run(crop)
    if not found:
        return None
    best = min(found, key=lambda f: np.linalg.norm(f[:, :2].mean(axis=0) - CROP_SIZE_PX / 2))
    if flip:
        best = best[mirror_permutation()]
        best[:, 0] = CROP_SIZE_PX - best[:, 0]
    points = np.empty_like(best)
    points[:, 0] = (best[:, 0] - offset[0]) / zx
    points[:, 1] = (best[:, 1] - offset[1]) / zy
    points[:, 2] = best[:, 2] / zx
    return points


def detect_landmarks(pixels: np.ndarray) -> Landmarks:
    """Run Face Mesh on an RGB image and return the largest face's 478 landmarks.

    Two passes: the first, on a reduced copy, finds the faces; the second runs on a crop around
    the largest face resampled to a fixed size, and its points are mapped back to ``pixels``.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB array.

    Returns
    -------
    Landmarks
        ``points_px`` (478, 3) in pixels of ``pixels`` (z scaled like x), the face count,
        and the interpupillary distances of the other faces.

    Raises
    ------
    NoFaceError
        When the model finds no face.
    """
    height, width = pixels.shape[:2]
    factor = min(1.0, DETECTION_LONG_SIDE_PX / max(height, width))
    small = pixels if factor == 1.0 else cv2.resize(pixels, None, fx=factor, fy=factor,
                                                    interpolation=cv2.INTER_AREA)
    faces = [f / factor for f in _run(small)]
    if not faces:
        raise NoFaceError("no face found")
    ipds = [_ipd(f) for f in faces]
    order = np.argsort(ipds)[::-1]
    first = faces[order[0]]

    views = [_view(pixels, first, zoom, shift, flip) for zoom, shift, flip in VIEWS]
    views = [v for v in views if v is not None]
    points = np.mean(views, axis=0) if views else first
    return Landmarks(
        points_px=points,
        image_size_px=(width, height),
        model=MODEL_NAME,
        face_count=len(faces),
        other_face_ipd_px=tuple(ipds[i] for i in order[1:]),
    )
