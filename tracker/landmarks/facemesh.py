"""MediaPipe Face Mesh: the only module that imports mediapipe.

The model is created lazily on first use and reused; nothing is loaded at import time and
nothing is downloaded (the 0.10.21 wheel ships the Face Mesh and iris models).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from tracker.errors import NoFaceError
from tracker.types import Landmarks

MODEL_NAME = "mediapipe-0.10.21-face-mesh-refined"
MAX_FACES = 4  # enough to notice a second person; the subject is the largest face

_lock = threading.Lock()
_model = None


def _face_mesh():
    global _model
    if _model is None:
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
    with _lock:  # a MediaPipe graph is not safe to call from several threads at once
        result = _face_mesh().process(np.ascontiguousarray(rgb, dtype=np.uint8))
    return [
        np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float64)
        for face in (result.multi_face_landmarks or [])
    ]


def _ipd(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[468, :2] - points[473, :2]))


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

    # second pass: a fixed-size view of the subject
    face_height = float(np.linalg.norm(first[10, :2] - first[152, :2]))
    side = face_height / CROP_FACE_FRACTION
    zoom = CROP_SIZE_PX / side
    centre = 0.5 * (first[:, :2].min(axis=0) + first[:, :2].max(axis=0))
    to_crop = np.array([[zoom, 0.0, CROP_SIZE_PX / 2 - zoom * centre[0]],
                        [0.0, zoom, CROP_SIZE_PX / 2 - zoom * centre[1]]])
    interp = cv2.INTER_AREA if zoom < 1 else cv2.INTER_CUBIC
    if zoom < 1:
        # warpAffine does not average when shrinking: resize first, then place the crop
        shrunk = cv2.resize(pixels, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
        sx, sy = shrunk.shape[1] / width, shrunk.shape[0] / height
        to_crop_shrunk = np.array([[1.0, 0.0, to_crop[0, 2] * 1.0], [0.0, 1.0, to_crop[1, 2]]])
        crop = cv2.warpAffine(shrunk, to_crop_shrunk, (CROP_SIZE_PX, CROP_SIZE_PX),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        zx, zy = sx, sy
    else:
        crop = cv2.warpAffine(pixels, to_crop, (CROP_SIZE_PX, CROP_SIZE_PX), flags=interp,
                              borderMode=cv2.BORDER_CONSTANT)
        zx = zy = zoom
    refined = _run(crop)
    if refined:
        # the crop's face nearest its centre is the subject
        best = min(refined, key=lambda f: np.linalg.norm(f[:, :2].mean(axis=0) - CROP_SIZE_PX / 2))
        points = np.empty_like(best)
        points[:, 0] = (best[:, 0] - to_crop[0, 2]) / zx
        points[:, 1] = (best[:, 1] - to_crop[1, 2]) / zy
        points[:, 2] = best[:, 2] / zx
    else:  # the view lost the face (rare): keep the first pass
        points = first
    return Landmarks(
        points_px=points,
        image_size_px=(width, height),
        model=MODEL_NAME,
        face_count=len(faces),
        other_face_ipd_px=tuple(ipds[i] for i in order[1:]),
    )
