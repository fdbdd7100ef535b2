"""Like capture: the person's usual camera distance and head pose, the photos of a trend that
differ from it, and plain-language advice for the next photo.

Photos compare best when they are taken alike. The face frame removes most of a head turn
(see ``tracker.settings``), and the iris scale removes the camera distance from every size
at the irises' depth, but not from features nearer or further than the irises (perspective).
So a trend leaves out photos whose distance or pose is far from the person's usual (the
median of the accepted photos), and each photo gets advice saying how to take the next one
like the usual.

Signs are those of ``tracker.types.Pose``: yaw > 0 turns the face towards the subject's left,
pitch > 0 raises the chin, roll > 0 raises the subject's left eye. Left and right are the
subject's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracker.settings import DEFAULT_SETTINGS, Settings

# Fewest accepted photos that make a "usual" (as for the like-pose check of the trend).
MIN_USUAL_PHOTOS = 3
MATCHES_TEXT = "matches your usual photos"
CAPTURE_COLUMNS = ("camera_distance_mm", "yaw_deg", "pitch_deg", "roll_deg")


# a profile's posture of the head on the neck, per side (tracker.metrics.profile)
POSTURE_COLUMNS = ("head_neck_angle_left_deg", "head_neck_angle_right_deg")


@dataclass(frozen=True)
class UsualCapture:
    """The person's usual capture: medians over their accepted photos (NaN when unknown);
    for profiles, the usual posture of the head on the neck per side."""

    camera_distance_mm: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    n_photos: int
    head_neck_angle_left_deg: float = math.nan
    head_neck_angle_right_deg: float = math.nan


def usual_capture(
    photos: pd.DataFrame, *, min_photos: int = MIN_USUAL_PHOTOS
) -> UsualCapture | None:
    """The medians of camera distance and pose over the accepted (``status == "ok"``) photos.

    Parameters
    ----------
    photos : DataFrame
        As ``Library.photos()``: ``status`` and any of ``camera_distance_mm``, ``yaw_deg``,
        ``pitch_deg``, ``roll_deg`` (a missing column gives NaN).
    min_photos : int
        Fewer accepted photos than this make no usual.

    Returns
    -------
    UsualCapture or None
        None with fewer than ``min_photos`` accepted photos.
    """
    ok = photos.loc[photos["status"] == "ok"] if "status" in photos else photos.iloc[:0]
    if len(ok) < min_photos:
        return None
    medians = {
        c: float(ok[c].median()) if c in ok and ok[c].notna().any() else math.nan
        for c in (*CAPTURE_COLUMNS, *POSTURE_COLUMNS)
    }
    return UsualCapture(**medians, n_photos=int(len(ok)))


def capture_advice(
    camera_distance_mm: float,
    yaw_deg: float,
    pitch_deg: float,
    roll_deg: float,
    usual: UsualCapture,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> str | None:
    """How to take the next photo like the usual ones, in plain words.

    Only deviations beyond the advice tolerances (``settings.advice_*``) are mentioned, in
    the order distance, turn, chin, tilt, joined by "; ". A turn, chin or tilt within the
    trend's limit is "a little".

    Parameters
    ----------
    camera_distance_mm, yaw_deg, pitch_deg, roll_deg : float
        The photo's capture (NaN when unknown: that part is skipped).
    usual : UsualCapture
        The person's usual (``usual_capture``).

    Returns
    -------
    str or None
        The advice, or ``MATCHES_TEXT`` when every known part is within tolerance; None when
        nothing could be compared (no distance and no pose).

    Examples
    --------
    >>> usual = UsualCapture(400.0, 0.0, 0.0, 0.0, n_photos=10)
    >>> capture_advice(320.0, 0.0, 0.0, 0.0, usual)
    'hold the phone about 8 cm further away'
    >>> capture_advice(400.0, -3.0, 4.0, 0.0, usual)
    'turn your head a little to your left; tilt your chin down'
    """
    parts, compared = [], False
    distance, usual_distance = float(camera_distance_mm), usual.camera_distance_mm
    if _finite(distance) and _finite(usual_distance) and usual_distance > 0:
        compared = True
        change = distance - usual_distance
        if abs(change) > settings.advice_distance_pct / 100 * usual_distance:
            cm = max(1, round(abs(change) / 10))
            parts.append(
                f"hold the phone about {cm} cm {'further away' if change < 0 else 'closer'}"
            )
    for value, usual_value, tolerance, limit, words in (
        (
            yaw_deg,
            usual.yaw_deg,
            settings.advice_yaw_deg,
            settings.trend_max_yaw_from_usual_deg,
            _TURN,
        ),
        (
            pitch_deg,
            usual.pitch_deg,
            settings.advice_pitch_deg,
            settings.trend_max_pitch_from_usual_deg,
            _CHIN,
        ),
        (roll_deg, usual.roll_deg, settings.advice_roll_deg, math.inf, _TILT),
    ):
        if not (_finite(value) and _finite(usual_value)):
            continue
        compared = True
        change = float(value) - usual_value
        if abs(change) > tolerance:
            template = words[change > 0]
            parts.append(
                template.format(
                    little="a little " if abs(change) <= limit else "",
                    little_after=" a little" if abs(change) <= limit else "",
                )
            )
    if not compared:
        return None
    return "; ".join(parts) if parts else MATCHES_TEXT


def posture_advice(
    head_neck_deg: float, usual_deg: float, *, settings: Settings = DEFAULT_SETTINGS
) -> str | None:
    """How to hold the head in the next profile like the usual ones: the profile's posture
    of the head on the neck (``head_neck_angle_<side>_deg``) against the usual of that side.
    The chin-neck angle opens one degree per degree of it, so a difference beyond
    ``settings.advice_pitch_deg`` is mentioned ("a little" up to
    ``settings.trend_max_pitch_from_usual_deg``); None when either is unknown.

    >>> posture_advice(-4.0, -7.0)
    'lower your chin a little, as in your usual profiles'
    >>> posture_advice(-7.5, -7.0)
    'matches your usual photos'
    """
    if not (_finite(head_neck_deg) and _finite(usual_deg)):
        return None
    change = float(head_neck_deg) - float(usual_deg)
    if abs(change) <= settings.advice_pitch_deg:
        return MATCHES_TEXT
    little = " a little" if abs(change) <= settings.trend_max_pitch_from_usual_deg else ""
    return f"{'lower' if change > 0 else 'raise'} your chin{little}, as in your usual profiles"


# (text when the value is below the usual, text when above)
# yaw above the usual: the face is turned too far towards the subject's left
_TURN = ("turn your head {little}to your left", "turn your head {little}to your right")
# pitch above the usual: the chin is too high
_CHIN = ("tilt your chin up{little_after}", "tilt your chin down{little_after}")
# roll above the usual: the subject's left eye is too high; tilting the head towards the left
# shoulder lowers it
_TILT = (
    "tilt your head {little}towards your right shoulder",
    "tilt your head {little}towards your left shoulder",
)


def advice_column(
    photos: pd.DataFrame,
    usual: UsualCapture | None = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.Series:
    """``capture_advice`` for every row of ``photos`` (object dtype, None where there is no
    advice). ``usual`` defaults to ``usual_capture(photos)``; with no usual every row is
    None."""
    if usual is None:
        usual = usual_capture(photos)
    values: list[str | None] = [None] * len(photos)
    if usual is not None:
        columns = [
            photos[c].to_numpy(dtype=np.float64) if c in photos else np.full(len(photos), np.nan)
            for c in CAPTURE_COLUMNS
        ]
        values = [
            capture_advice(distance, yaw, pitch, roll, usual, settings=settings)
            for distance, yaw, pitch, roll in zip(*columns)
        ]
    return pd.Series(values, index=photos.index, dtype=object, name="advice")


def consistent_distance(
    photos: pd.DataFrame,
    *,
    max_change_pct: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """``photos`` with accepted photos of unusual camera distance marked rejected, with the
    reason.

    A photo whose ``camera_distance_mm`` differs from the median of the accepted photos by
    more than ``max_change_pct`` percent of it (default:
    ``settings.trend_max_distance_change_pct``, where the value is justified) is left out of
    the trend and counted with the other rejected photos ("camera distance unlike your other
    photos: 31 cm, your usual is 42 cm (limit +/-20 %)"). Photos of unknown distance stay.
    Returns a copy; ``photos`` is not changed.
    """
    limit = settings.trend_max_distance_change_pct if max_change_pct is None else max_change_pct
    out = photos.copy()
    if "camera_distance_mm" not in out:
        return out
    usual = usual_capture(out)
    if usual is None or not _finite(usual.camera_distance_mm):
        return out
    ok = out["status"] == "ok"
    distance = out["camera_distance_mm"].astype(np.float64)
    off = ok & (
        (distance - usual.camera_distance_mm).abs() > limit / 100 * usual.camera_distance_mm
    )
    for index in out.index[off]:
        reason = (
            f"camera distance unlike your other photos: {distance[index] / 10:.0f} cm, "
            f"your usual is {usual.camera_distance_mm / 10:.0f} cm (limit +/-{limit:g} %)"
        )
        out.at[index, "reasons"] = list(out.at[index, "reasons"] or []) + [reason]
        out.at[index, "status"] = "rejected"
    return out


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
