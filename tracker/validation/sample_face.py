"""The project's neutral sample face: the public-domain astronaut portrait with its mouth closed.

``skimage.data.astronaut()`` (NASA, public domain) smiles with an open mouth, which facetrack
rightly rejects. The neutral base is made from it: upscaled x3 (bicubic), the lips closed (the
lower lip moved up by the inner-lip gap, the chin stretched smoothly to follow) and the mouth
corners lowered 12 px to the lips' centre line and moved 5 px inwards. It passes every quality
check of :func:`tracker.pipeline.measure_pixels`.

Used by ``tools/make_sample_series.py`` (the demo's selfie series) and by
:mod:`tracker.validation.head3d` (the 3-D test head).
"""

from __future__ import annotations

import cv2
import numpy as np

from tracker.types import PhotoResult

UPSCALE = 3
# Face Mesh indices: the inner lip contours, corner to corner
UPPER_LIP_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_LIP_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
MOUTH_CORNER_DOWN_PX = 12.0
MOUTH_CORNER_IN_PX = 5.0
CORNER_CROP_PX = 100  # half-side of the region warped around each corner


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1])


def close_mouth(image: np.ndarray, points_px: np.ndarray, fade_px: float = 60.0) -> np.ndarray:
    """Move the lower lip up onto the upper one (by the inner-lip gap of each column), with
    the skin below following and the move fading out smoothly towards the chin.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB.
    points_px : (478, 3) Face Mesh landmarks of ``image``.
    fade_px : height below the lower lip over which the move fades to zero.

    Returns
    -------
    The warped image, same shape and dtype.
    """
    pts = np.asarray(points_px, dtype=np.float64)
    h, w = image.shape[:2]
    xs = np.arange(w, dtype=np.float64)
    upper = _curve(pts[UPPER_LIP_INNER, :2], xs)
    gap = np.clip(_curve(pts[LOWER_LIP_INNER, :2], xs) - upper + 1.0, 0.0, None)
    gap[(xs <= pts[UPPER_LIP_INNER, 0].min()) | (xs >= pts[UPPER_LIP_INNER, 0].max())] = 0.0
    gap = cv2.GaussianBlur(gap[None], (0, 0), 3).ravel()
    lip = float(pts[17, 1] - pts[14, 1]) + 5.0  # lower lip thickness, moved rigidly
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float64)
    t = gy - upper[None, :]
    fade = 0.5 * (1.0 + np.cos(np.pi * np.clip((t - lip) / fade_px, 0.0, 1.0)))
    weight = np.where(t < 0, 0.0, np.where(t < lip, 1.0, fade))
    return cv2.remap(
        image,
        gx.astype(np.float32),
        (gy + gap[None, :] * weight).astype(np.float32),
        cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REFLECT,
    )


def neutral_base_face() -> tuple[np.ndarray, PhotoResult]:
    """The neutral sample face and facetrack's measurement of it.

    Returns
    -------
    (pixels, result)
        pixels : (1536, 1536, 3) uint8 RGB, the astronaut upscaled x3, mouth closed.
        result : :func:`tracker.pipeline.measure_pixels` of ``pixels`` (status "ok").

    Raises
    ------
    ValueError
        When facetrack rejects the base (it must pass every quality check).
    """
    from skimage import data

    from tracker.pipeline import measure_pixels
    from tracker.warps import local_shift

    image = cv2.resize(
        data.astronaut(), None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC
    )
    landmarks = measure_pixels(image).landmarks
    assert landmarks is not None  # the astronaut's face is always found
    pts = landmarks.points_px
    image = close_mouth(image, pts)
    down, inward = MOUTH_CORNER_DOWN_PX, MOUTH_CORNER_IN_PX
    for index, sign in ((61, 1.0), (291, -1.0)):  # the subject's right and left corners
        cx, cy = pts[index, :2]
        # the moves are exactly zero beyond 40 px of the corner: warp a crop around it only
        x0, y0 = int(cx) - CORNER_CROP_PX, int(cy) - CORNER_CROP_PX
        x1, y1 = int(cx) + CORNER_CROP_PX, int(cy) + CORNER_CROP_PX
        crop = image[y0:y1, x0:x1]
        crop = local_shift(
            crop,
            centre_px=(cx - x0, cy - y0),
            axis=(0, 1),
            across_px=(-10, 10),
            along_px=(-10, 10),
            fade_px=(30, 30, 30),
            shift_px=down,
        )
        crop = local_shift(
            crop,
            centre_px=(cx - x0, cy - y0 + down),
            axis=(sign, 0),
            across_px=(-10, 10),
            along_px=(-10, 10),
            fade_px=(25, 25, 25),
            shift_px=inward,
        )
        image = image.copy()
        image[y0:y1, x0:x1] = crop
    result = measure_pixels(image)
    if result.status != "ok":
        raise ValueError(f"the neutral base is rejected: {'; '.join(result.reasons)}")
    return image, result
