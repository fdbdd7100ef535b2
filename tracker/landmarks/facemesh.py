"""MediaPipe Face Mesh: the only module that imports mediapipe.

The model is created lazily on first use and reused; nothing is loaded at import time and
nothing is downloaded (the 0.10.21 wheel ships the Face Mesh and iris models).
"""

from __future__ import annotations

import threading

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


def detect_landmarks(pixels: np.ndarray) -> Landmarks:
    """Run Face Mesh on an RGB image and return the largest face's 478 landmarks.

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
    rgb = np.ascontiguousarray(pixels, dtype=np.uint8)
    with _lock:  # a MediaPipe graph is not safe to call from several threads at once
        result = _face_mesh().process(rgb)
    faces = result.multi_face_landmarks or []
    if not faces:
        raise NoFaceError("no face found")
    stacks = [
        np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float64)
        for face in faces
    ]
    ipds = [float(np.linalg.norm(s[468, :2] - s[473, :2])) for s in stacks]
    order = np.argsort(ipds)[::-1]
    return Landmarks(
        points_px=stacks[order[0]],
        image_size_px=(width, height),
        model=MODEL_NAME,
        face_count=len(stacks),
        other_face_ipd_px=tuple(ipds[i] for i in order[1:]),
    )
