"""Photo quality and head pose: scores and the reasons a photo is not fit for a trend.

Every check has a documented threshold in :mod:`tracker.settings`. A photo that fails one is
"rejected": it is kept and its metrics are still reported, but trends leave it out.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

from tracker.landmarks import indices as ix
from tracker.metrics.profile import (
    MIN_SUBJECT_STEP,
    ProfileGeometry,
    face_height_px,
    face_outline,
    face_region,
)
from tracker.metrics.refine import band_profiles
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


def exposure(
    grey: np.ndarray, *, region: str = "face", settings: Settings = DEFAULT_SETTINGS
) -> tuple[dict[str, float], Reason | None]:
    """The exposure of a region's grey levels (0-255), a front photo's face oval or a
    profile's face.

    Returns
    -------
    (scores, reason): ``{region}_brightness`` (the mean), ``clipped_dark_fraction`` (at most
    5) and ``clipped_bright_fraction`` (at least 250); the UNDER_EXPOSED or OVER_EXPOSED
    reason when the region is too dark or too bright (``settings.min_face_brightness``,
    ``max_face_brightness``, ``max_clipped_fraction``), else None.
    """
    s = settings
    values = np.asarray(grey, dtype=np.float64).ravel()
    brightness = float(values.mean()) if values.size else float("nan")
    dark = float(np.mean(values <= 5)) if values.size else float("nan")
    bright = float(np.mean(values >= 250)) if values.size else float("nan")
    scores = {
        f"{region}_brightness": brightness,
        "clipped_dark_fraction": dark,
        "clipped_bright_fraction": bright,
    }
    reason = None
    if brightness < s.min_face_brightness or dark > s.max_clipped_fraction:
        reason = Reason(
            ReasonCode.UNDER_EXPOSED, f"under-exposed: {region} brightness {brightness:.0f} of 255"
        )
    elif brightness > s.max_face_brightness or bright > s.max_clipped_fraction:
        reason = Reason(
            ReasonCode.OVER_EXPOSED,
            f"over-exposed: {region} brightness {brightness:.0f} of 255, "
            f"{100 * bright:.0f}% clipped",
        )
    return scores, reason


def edge_rise_px(
    pixels: np.ndarray, points_px: np.ndarray, inward: np.ndarray, *, reach_px: float
) -> float:
    """The 10-90 % rise (pixels) of the colour step across an outline on a plain background:
    how blurred the outline is.

    At every outline point the colour is sampled along its normal from ``reach_px`` outside
    to ``reach_px`` inside (bilinear, every 0.25 px, averaged over 3 px along the outline),
    as its colour distance from the outer end, per its distance between the two ends; the
    median of these profiles is read. Its steepest point (the slope smoothed over a pixel)
    is the middle of the step (half its height, for a blur that spreads light alike both
    ways), and the rise is twice the
    distance from there out to where the profile falls to a fifth of its value there (the
    10 % level). Only the background side is read: it is plain, while the inside is
    textured, shaded skin. For a sharp step blurred by a Gaussian of SD sigma the rise is
    2 x 1.2816 sigma = 2.563 sigma.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    points_px : (N, 2) outline points, about a pixel apart.
    inward : (N, 2) unit normals pointing from the background into the subject.
    reach_px : how far to sample on each side: more than three times the blur's SD.

    Returns
    -------
    float
        The rise in pixels; NaN when no outline point has a step of ``profile.MIN_SUBJECT_STEP``.
    """
    points = np.asarray(points_px, dtype=np.float64)
    normals = np.asarray(inward, dtype=np.float64)
    along = np.column_stack([-normals[:, 1], normals[:, 0]])
    t = np.arange(-reach_px, reach_px + 1e-9, 0.25)
    profiles = band_profiles(
        np.asarray(pixels, dtype=np.float32),
        (0.0, 0.0),
        points,
        normals,
        along,
        t,
        np.array([-1.0, 0.0, 1.0]),
    )
    outer = profiles[:, t <= -0.8 * reach_px].mean(axis=1)
    inner = profiles[:, t >= 0.8 * reach_px].mean(axis=1)
    step = np.linalg.norm(inner - outer, axis=1)
    keep = step >= MIN_SUBJECT_STEP
    if not keep.any():
        return float("nan")
    distance = np.linalg.norm(profiles[keep] - outer[keep, None, :], axis=2) / step[keep, None]
    median = np.median(distance, axis=0)
    # the slope smoothed over a pixel: the median of textured profiles steps in small jumps
    slope = gaussian_filter1d(np.gradient(median, t), 1.0 / (t[1] - t[0]))
    slope[np.abs(t) > 0.5 * reach_px] = -np.inf
    k = int(np.clip(np.argmax(slope), 1, t.size - 2))
    # the steepest point to a fraction of a sample (a parabola through the slope's peak)
    a, b, c = slope[k - 1], slope[k], slope[k + 1]
    curvature = a - 2.0 * b + c
    shift = 0.5 * (a - c) / curvature if np.isfinite(curvature) and curvature < 0 else 0.0
    t_mid = float(t[k] + np.clip(shift, -0.5, 0.5) * (t[1] - t[0]))
    level = 0.2 * float(np.interp(t_mid, t, median))
    j = k
    while j > 0 and median[j] > level:
        j -= 1
    if median[j] > level:
        return float("nan")
    t_low = float(t[j] + (level - median[j]) / (median[j + 1] - median[j]) * (t[j + 1] - t[j]))
    return 2.0 * (t_mid - t_low)


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
    exposure_scores, exposure_reason = exposure(
        gray[mask] if mask.any() else gray.ravel(), settings=s
    )
    scores.update(exposure_scores)
    if exposure_reason is not None:
        reasons.append(exposure_reason)

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


def assess_profile(
    pixels: np.ndarray, profile: ProfileGeometry, *, settings: Settings = DEFAULT_SETTINGS
) -> Quality:
    """Score a profile read from its outline, and give the first check it fails.

    The checks, in order: the face's size (its nasion-menton distance, at least
    ``settings.profile_min_face_height_px``); the exposure of the face (:func:`exposure` over
    :func:`tracker.metrics.profile.face_region`, with a front photo's limits); the
    sharpness of its outline (:func:`edge_rise_px` from the nasion to the menton, per cent
    of the nasion-menton distance, at most ``settings.profile_max_edge_width_pct``); a fold
    in the outline under the chin (``chin_neck_fold_pct``, at most
    ``settings.profile_max_chin_neck_fold_pct``); the head's level (the face line's tilt,
    within ``settings.profile_max_face_tilt_deg``).

    Returns
    -------
    Quality with no pose (NaN: a profile has no Face Mesh frame), the scores, and at most
    one reason: a profile is refused for one thing at a time.
    """
    s = settings
    gray = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    scores, exposure_reason = exposure(gray[face_region(profile, gray.shape)], settings=s)
    face_px = face_height_px(profile)
    points, inward = face_outline(profile)
    # the sampled reach covers a blur of SD 2 % of the face (its rise 5 %), well past the limit
    rise = edge_rise_px(pixels, points, inward, reach_px=max(10.0, 0.06 * face_px))
    scores["outline_edge_width_px"] = rise
    scores["outline_edge_width_pct"] = 100.0 * rise / max(face_px, 1e-9)
    fold = float(profile.evidence.get("chin_neck_fold_pct", 0.0))
    scores["chin_neck_fold_pct"] = fold
    tilt = float(profile.values["face_line_tilt_deg"])
    scores["face_line_tilt_deg"] = tilt

    scores["face_height_px"] = face_px
    candidates: list[Reason | None] = []
    if face_px < s.profile_min_face_height_px:
        candidates.append(
            Reason(
                ReasonCode.FACE_TOO_SMALL,
                f"face too small: {face_px:.0f} px from the nasion to the chin "
                f"(minimum {s.profile_min_face_height_px:g} px)",
            )
        )
    candidates.append(exposure_reason)
    if scores["outline_edge_width_pct"] > s.profile_max_edge_width_pct:
        candidates.append(
            Reason(
                ReasonCode.BLURRED,
                f"blurred: the outline's edge is {scores['outline_edge_width_pct']:.1f}% of "
                f"the face's height wide (sharp: under {s.profile_max_edge_width_pct:g}%)",
            )
        )
    if fold > s.profile_max_chin_neck_fold_pct:
        candidates.append(
            Reason(
                ReasonCode.CHIN_NECK_STEP,
                f"step in the outline under the chin: it folds back by {fold:.0f}% of the "
                "chin-neck length (a shadow, a skin fold or the larynx)",
            )
        )
    if tilt > s.profile_max_face_tilt_deg:
        candidates.append(Reason(ReasonCode.HEAD_NOT_LEVEL, f"chin raised ({tilt:.0f} deg)"))
    elif tilt < -s.profile_max_face_tilt_deg:
        candidates.append(Reason(ReasonCode.CHIN_TUCKED, f"chin tucked ({-tilt:.0f} deg)"))
    reasons = tuple(r for r in candidates if r is not None)[:1]
    nan = float("nan")
    return Quality(pose=Pose(nan, nan, nan), scores=scores, reasons=reasons)
