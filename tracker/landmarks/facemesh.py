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
        np.array(
            [(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float64
        )
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
    """Face Mesh on one fixed-size, upright view of the face; points mapped back to ``pixels``.

    The view is turned so that the eyes are level: Face Mesh is most accurate on an upright
    face, and the jaw contour in particular drifts with the tilt it is shown. Only the region
    the view covers is resampled (area averaging when shrinking, with OpenCV's pixel-centre
    convention accounted for when mapping back).
    """
    from tracker.landmarks.indices import mirror_permutation

    height, width = pixels.shape[:2]
    face_height = float(np.linalg.norm(first[10, :2] - first[152, :2]))
    zoom = zoom_factor * CROP_SIZE_PX * CROP_FACE_FRACTION / face_height
    centre = 0.5 * (first[:, :2].min(axis=0) + first[:, :2].max(axis=0))
    eyes = first[473, :2] - first[468, :2]
    theta = float(np.arctan2(eyes[1], eyes[0]))

    # the source region the rotated view can reach
    reach = CROP_SIZE_PX / np.sqrt(2) / zoom + 4
    x_lo, y_lo = int(max(0, np.floor(centre[0] - reach))), int(max(0, np.floor(centre[1] - reach)))
    x_hi = int(min(width, np.ceil(centre[0] + reach)))
    y_hi = int(min(height, np.ceil(centre[1] + reach)))
    region = pixels[y_lo:y_hi, x_lo:x_hi]
    if zoom < 1:
        # warpAffine does not average when shrinking: shrink with area averaging first
        size = (max(1, round(region.shape[1] * zoom)), max(1, round(region.shape[0] * zoom)))
        region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        pre = np.array([size[0] / (x_hi - x_lo), size[1] / (y_hi - y_lo)])
    else:
        pre = np.array([1.0, 1.0])
    # image point x -> region point: pre * (x - lo) + 0.5 * (pre - 1) (pixel-centre convention)
    lo = np.array([x_lo, y_lo], dtype=np.float64)
    half = 0.5 * (pre - 1.0)
    centre_region = pre * (centre - lo) + half
    c, s = np.cos(-theta), np.sin(-theta)
    linear = (zoom / pre.mean()) * np.array([[c, -s], [s, c]])
    translation = CROP_SIZE_PX / 2 + np.asarray(shift) * CROP_SIZE_PX - linear @ centre_region
    matrix = np.hstack([linear, translation[:, None]])
    flags = cv2.INTER_LINEAR if zoom < 1 else cv2.INTER_CUBIC
    crop = cv2.warpAffine(
        region, matrix, (CROP_SIZE_PX, CROP_SIZE_PX), flags=flags, borderMode=cv2.BORDER_CONSTANT
    )
    if flip:
        crop = np.ascontiguousarray(crop[:, ::-1])
    found = _run(crop)
    if not found:
        return None
    best = min(found, key=lambda f: np.linalg.norm(f[:, :2].mean(axis=0) - CROP_SIZE_PX / 2))
    if flip:
        best = best[mirror_permutation()]
        best[:, 0] = CROP_SIZE_PX - 1 - best[:, 0]  # pixel-centre mirror of an S-wide image
    in_region = (best[:, :2] - translation) @ np.linalg.inv(linear).T
    points = np.empty_like(best)
    points[:, :2] = (in_region - half) / pre + lo
    points[:, 2] = best[:, 2] / zoom  # z is in the view's pixels, like x
    return points


def detect_landmarks(pixels: np.ndarray, *, views: int | None = None) -> Landmarks:
    """Run Face Mesh on an RGB image and return the largest face's 478 landmarks.

    Two passes: the first, on a reduced copy, finds the faces; the second runs on a crop around
    the largest face resampled to a fixed size, and its points are mapped back to ``pixels``.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB array.
    views : int, optional
        Average only the first ``views`` of ``VIEWS`` (default: all). Two (the base view and
        its mirror image) is a third of the time for live camera feedback, with more jitter.

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
    small = (
        pixels
        if factor == 1.0
        else cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    )
    # back to full-size pixels (OpenCV's resize maps pixel centres, hence the half pixels)
    faces = [
        np.column_stack([(f[:, :2] + 0.5) / factor - 0.5, f[:, 2] / factor]) for f in _run(small)
    ]
    if not faces:
        raise NoFaceError("no face found")
    ipds = [_ipd(f) for f in faces]
    order = np.argsort(ipds)[::-1]
    first = faces[order[0]]

    chosen = VIEWS if views is None else VIEWS[: max(1, int(views))]
    found = [_view(pixels, first, zoom, shift, flip) for zoom, shift, flip in chosen]
    found = [v for v in found if v is not None]
    points = np.mean(found, axis=0) if found else first
    return Landmarks(
        points_px=points,
        image_size_px=(width, height),
        model=MODEL_NAME,
        face_count=len(faces),
        other_face_ipd_px=tuple(ipds[i] for i in order[1:]),
    )
