"""MediaPipe selfie segmentation: the person's silhouette, for profile photos.

Face Mesh finds no face in a profile (it needs both eyes); the silhouette still shows the
forehead, nose, lips, chin, the chin-neck angle and the neck. The 0.10.21 wheel ships the
selfie segmentation models (``model_selection`` 0: general, 256 x 256; 1: landscape,
144 x 256), so nothing is downloaded. The model is created lazily on first use and reused.
"""

from __future__ import annotations

import threading

import numpy as np

from tracker.landmarks.facemesh import _quiet_native_logs

MODEL_NAME = "mediapipe-0.10.21-selfie-segmentation-general"

_lock = threading.Lock()
_models: dict[int, object] = {}


def _segmenter(model_selection: int):
    if model_selection not in _models:
        with _quiet_native_logs():
            import mediapipe as mp  # heavy import, deferred to first use

            _models[model_selection] = mp.solutions.selfie_segmentation.SelfieSegmentation(
                model_selection=model_selection
            )
    return _models[model_selection]


def person_mask(pixels: np.ndarray, *, model_selection: int = 0) -> np.ndarray:
    """The probability that each pixel shows the person.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    model_selection : 0 the general model (portrait photos), 1 the landscape model.

    Returns
    -------
    (H, W) float32 in [0, 1], at the image's own resolution (the model's output is
    upsampled by MediaPipe; its edge is soft, a few pixels wide, and is refined on the image
    by :func:`tracker.metrics.profile.refine_silhouette`).
    """
    with _lock:  # a MediaPipe graph is not safe to call from several threads at once
        model = _segmenter(model_selection)
        with _quiet_native_logs():
            result = model.process(np.ascontiguousarray(pixels, dtype=np.uint8))
    mask = result.segmentation_mask
    if mask is None:
        return np.zeros(pixels.shape[:2], np.float32)
    return np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
