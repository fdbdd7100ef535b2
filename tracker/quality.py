"""Photo quality and head pose: scores and the reasons a photo is not fit for a trend.

Every check has a documented threshold in :mod:`tracker.settings`. A photo that fails one is
"rejected": it is kept and its metrics are still reported, but trends leave it out.
"""

from __future__ import annotations

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Landmarks, Pose, Quality, Reason, ReasonCode

SHARPNESS_IRIS_PX = 20.0  # the face crop is resampled to this iris size before scoring


def _face_oval_mask(shape, points_px: np.ndarray) -> np.ndarray:
    hull = cv2.convexHull(points_px[:, :2].astype(np.float32)).astype(np.int32)
    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)  # type: ignore[call-overload]  # cv2's stubs: colour 1
    return mask.astype(bool)


def sharpness(gray: np.ndarray, points_px: np.ndarray, iris_px: float) -> float:
    """Variance of the Laplacian inside the face, after resampling to a 20 px iris."""
    x0, y0 = np.floor(points_px[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(points_px[:, :2].max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0:
        return 0.0
    factor = SHARPNESS_IRIS_PX / max(iris_px, 1e-6)
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    small = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=interp)
    mask = _face_oval_mask(small.shape, (points_px[:, :2] - [x0, y0]) * factor)
    mask = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if not mask.any():
        return 0.0
    small = small.astype(np.float32)
    small = small * (128.0 / max(float(small[mask].mean()), 1.0))  # contrast ~ brightness
    lap = cv2.Laplacian(small, cv2.CV_32F)
    return float(lap[mask].var())


def expression_scores(face: np.ndarray) -> dict[str, float]:
    """Eye openness, mouth opening and smile from face-frame points (one mesh, (478, 3))."""

    def dist(a, b):
        return float(np.linalg.norm(face[a, :2] - face[b, :2]))

    ipd = dist(ix.IRIS_CENTRE_LEFT, ix.IRIS_CENTRE_RIGHT)
    mouth_width = dist(ix.MOUTH_CORNER_LEFT, ix.MOUTH_CORNER_RIGHT)
    lips_centre_y = 0.5 * (face[ix.LIP_UPPER_INNER, 1] + face[ix.LIP_LOWER_INNER, 1])
    corners_y = 0.5 * (face[ix.MOUTH_CORNER_LEFT, 1] + face[ix.MOUTH_CORNER_RIGHT, 1])
    return {
        "eye_openness_right": dist(ix.LID_UPPER_RIGHT, ix.LID_LOWER_RIGHT)
        / dist(*ix.EYE_CORNERS_RIGHT),
        "eye_openness_left": dist(ix.LID_UPPER_LEFT, ix.LID_LOWER_LEFT)
        / dist(*ix.EYE_CORNERS_LEFT),
        "mouth_open": dist(ix.LIP_UPPER_INNER, ix.LIP_LOWER_INNER) / mouth_width,
        "smile": float(corners_y - lips_centre_y) / ipd,
        "mouth_width": mouth_width / ipd,
        "gaze": _gaze(face),
    }


def _gaze(face: np.ndarray) -> float:
    """Mean sideways offset of the irises from the middle of each eye, / eye width (+ = to the
    subject's left)."""
    offsets = []
    for centre, (a, b) in (
        (ix.IRIS_CENTRE_RIGHT, ix.EYE_CORNERS_RIGHT),
        (ix.IRIS_CENTRE_LEFT, ix.EYE_CORNERS_LEFT),
    ):
        width = abs(face[a, 0] - face[b, 0])
        offsets.append((face[centre, 0] - 0.5 * (face[a, 0] + face[b, 0])) / max(width, 1e-9))
    return float(np.mean(offsets))


def assess(
    pixels: np.ndarray,
    landmarks: Landmarks,
    face: np.ndarray,
    pose: Pose,
    iris_px: float,
    *,
    refinement: dict[str, float] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Quality:
    """Score one photo and list the reasons it fails, if any.

    Parameters
    ----------
    pixels : the analysed (H, W, 3) RGB image.
    landmarks : its Face Mesh landmarks (image pixels).
    face : the same landmarks in the face frame (:func:`tracker.metrics.frame.to_face_frame`).
    pose : the head pose.
    iris_px : iris diameter in pixels of ``pixels``.
    refinement : optional evidence from the image refinement, kept among the scores:
        ``brow_edge_columns_left``/``_right`` (image columns that found the brow's edge; 0 =
        Face Mesh's own brow line was kept) and ``iris_edges_left``/``_right``.

    Returns
    -------
    Quality with the pose, a dict of scores and the reasons (empty when the photo is fit).
    """
    s = settings
    pts = landmarks.points_px
    h, w = pixels.shape[:2]
    gray = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    scores: dict[str, float] = {"iris_px": float(iris_px)}
    reasons: list[Reason] = []

    if abs(pose.yaw_deg) > s.max_abs_yaw_deg:
        reasons.append(
            Reason(
                ReasonCode.HEAD_TURNED,
                f"head turned: yaw {pose.yaw_deg:+.1f} deg (limit +/-{s.max_abs_yaw_deg:g})",
            )
        )
    if abs(pose.pitch_deg) > s.max_abs_pitch_deg:
        reasons.append(
            Reason(
                ReasonCode.HEAD_TIPPED,
                f"head tipped: pitch {pose.pitch_deg:+.1f} deg (limit +/-{s.max_abs_pitch_deg:g})",
            )
        )
    if abs(pose.roll_deg) > s.max_abs_roll_deg:
        reasons.append(
            Reason(
                ReasonCode.HEAD_TILTED,
                f"head tilted: roll {pose.roll_deg:+.1f} deg (limit +/-{s.max_abs_roll_deg:g})",
            )
        )

    if iris_px < s.min_iris_px:
        reasons.append(
            Reason(
                ReasonCode.FACE_TOO_SMALL,
                f"face too small: iris {iris_px:.1f} px (minimum {s.min_iris_px:g} px)",
            )
        )

    outside = (pts[:, 0] < 0) | (pts[:, 0] > w - 1) | (pts[:, 1] < 0) | (pts[:, 1] > h - 1)
    scores["landmarks_outside_image"] = float(outside.sum())
    if outside.any():
        reasons.append(
            Reason(
                ReasonCode.FACE_CUT,
                f"face cut by the image border ({int(outside.sum())} of 478 points outside)",
            )
        )

    if landmarks.face_count > 1:
        reasons.append(
            Reason(
                ReasonCode.SEVERAL_FACES,
                f"several faces ({landmarks.face_count}); the largest was measured",
            )
        )
    scores["face_count"] = float(landmarks.face_count)

    scores["sharpness"] = sharpness(gray, pts, iris_px)
    if scores["sharpness"] < s.min_sharpness:
        reasons.append(
            Reason(
                ReasonCode.BLURRED,
                f"blurred: sharpness {scores['sharpness']:.1f} (minimum {s.min_sharpness:g})",
            )
        )

    mask = _face_oval_mask(gray.shape, pts)
    values = gray[mask] if mask.any() else gray.ravel()
    scores["face_brightness"] = float(values.mean())
    scores["clipped_dark_fraction"] = float(np.mean(values <= 5))
    scores["clipped_bright_fraction"] = float(np.mean(values >= 250))
    if (
        scores["face_brightness"] < s.min_face_brightness
        or scores["clipped_dark_fraction"] > s.max_clipped_fraction
    ):
        reasons.append(
            Reason(
                ReasonCode.UNDER_EXPOSED,
                f"under-exposed: face brightness {scores['face_brightness']:.0f} of 255",
            )
        )
    elif (
        scores["face_brightness"] > s.max_face_brightness
        or scores["clipped_bright_fraction"] > s.max_clipped_fraction
    ):
        reasons.append(
            Reason(
                ReasonCode.OVER_EXPOSED,
                f"over-exposed: face brightness {scores['face_brightness']:.0f} of 255, "
                f"{100 * scores['clipped_bright_fraction']:.0f}% clipped",
            )
        )

    expr = expression_scores(face)
    scores.update(expr)
    if min(expr["eye_openness_left"], expr["eye_openness_right"]) < s.min_eye_openness:
        reasons.append(Reason(ReasonCode.EYES_CLOSED, "eyes closed or nearly closed"))
    if abs(expr["gaze"]) > s.max_gaze:
        reasons.append(
            Reason(
                ReasonCode.GAZE_AWAY,
                f"eyes not looking at the camera (gaze {expr['gaze']:+.2f}, limit "
                f"+/-{s.max_gaze:g}): the iris scale would be off",
            )
        )
    if expr["mouth_open"] > s.max_mouth_open:
        reasons.append(Reason(ReasonCode.MOUTH_OPEN, "mouth open"))
    if expr["smile"] > s.max_smile or expr["mouth_width"] > s.max_mouth_width:
        reasons.append(Reason(ReasonCode.SMILING, "smiling"))

    for key, value in (refinement or {}).items():
        scores[key] = float(value)
    missing = [
        side
        for side in ("left", "right")
        if (refinement or {}).get(f"brow_edge_columns_{side}", np.inf) < 1
    ]
    if missing:
        # Face Mesh's brow line can lie 1-2 mm off the brow's edge: such a photo must not be
        # mixed into a trend of image-refined brow heights
        reasons.append(
            Reason(
                ReasonCode.BROW_EDGE_MISSING,
                f"brow edge not found in the image ({' and '.join(missing)}): glasses, "
                "hair or a very faint brow",
            )
        )
    return Quality(pose=pose, scores=scores, reasons=tuple(reasons))
