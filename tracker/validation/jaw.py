"""Validation of the front-view jaw outline on the project's 3-D head (issue 11).

Known 3-D changes (the jaw outline moved towards the midline by 1 and 2 mm per side,
:meth:`tracker.validation.head3d.Head.deformed`), head turns (yaw +/-4 and +/-8 deg) and
hand-held selfie nuisances (:func:`tracker.validation.head3d.random_selfie_capture`), all
measured by the pipeline (:func:`tracker.validation.head3d.measure_3d`); and the synthetic
cases the refinement must refuse: a beard over the jaw, a collar against it
(:func:`with_beard`, :func:`with_collar`).

The head's lower face rounds off over its last ``head3d.JAW_ROUNDING_MM`` to where the line of
sight grazes it, so its outline is an occluding contour that slides over the skin as the head
turns, as a real jaw's does. ``jaw_study(true_pose=True)`` reads every capture in the frame of
the head's true pose: what a turn still moves then is the outline itself, which no pose
estimate from one photo can undo.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics import registry
from tracker.metrics.geometry import JAW_OUTLINE_POINTS
from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics
from tracker.validation.head3d import (
    STUDY_OFFSETS_PX,
    Capture,
    Head,
    measure_3d,
    measure_3d_true_pose,
    random_selfie_capture,
    render,
    sample_head,
)

__all__ = [
    "JAW_METRICS",
    "JAW_CHANGES_MM",
    "JAW_YAWS_DEG",
    "with_beard",
    "with_collar",
    "jaw_study",
    "selfie_noise",
    "summarise",
]

# the jaw outline's metrics (sided) and the lower face width
JAW_METRICS: tuple[str, ...] = (
    *registry.names(family="jaw_contour_55"),
    *registry.names(family="jaw_contour_75"),
    *registry.names(family="jaw_contour_angle"),
    *registry.names(family="jowl"),
    "lower_face_width_mm",
)
# the metrics read on the outline found in the image (NaN where it is not)
OUTLINE_METRICS = JAW_METRICS[:-1]
JAW_CHANGES_MM = (1.0, 2.0)
JAW_YAWS_DEG = (-8.0, -4.0, 4.0, 8.0)
# the contour distances move by the change (towards the midline); the angle does not move
# (both of its lines translate); the lower face width narrows by it
_CONTOURS = ("jaw_contour_55", "jaw_contour_75")


def _distance_to_outline(head: Head, sides=("right", "left")) -> np.ndarray:
    """(H, W) each texel's frontal (X, Y) distance (mm) from the lower face outline of
    ``sides``, negative inside the face oval."""
    xy = head.points_mm[..., :2].astype(np.float64)
    lm = head.landmarks_mm[:, :2]
    best = np.full(xy.shape[:2], np.inf)
    for side in sides:
        line = lm[list(JAW_OUTLINE_POINTS[side])]
        for a, b in zip(line[:-1], line[1:]):
            ab = b - a
            u = np.clip(((xy - a) @ ab) / float(ab @ ab), 0.0, 1.0)
            d = np.linalg.norm(xy - (a + u[..., None] * ab), axis=-1)
            best = np.minimum(best, d)
    from matplotlib.path import Path

    inside = Path(lm[list(ix.SILHOUETTE)]).contains_points(xy.reshape(-1, 2)).reshape(best.shape)
    return np.where(inside, -best, best)


def with_beard(head: Head, *, width_mm: float = 14.0, seed: int = 0) -> Head:
    """The head with a dark, textured beard over the jaw: every face texel within ``width_mm``
    inside the lower outline (both sides and the chin), below the mouth, is replaced by dark
    hair (grey levels about 35-75, fine random strands). Its outline is the jaw's, but the
    band inside it is unlike the cheek's skin.
    """
    rng = np.random.default_rng(seed)
    distance = _distance_to_outline(head)
    mouth_y = float(head.landmarks_mm[[ix.MOUTH_CORNER_LEFT, ix.MOUTH_CORNER_RIGHT], 1].max())
    y = head.points_mm[..., 1]
    beard = head.mask & (distance < 0) & (distance > -width_mm) & (y < mouth_y - 2.0)
    texture = head.texture.copy()
    noise = rng.normal(0.0, 1.0, texture.shape[:2]).astype(np.float32)
    blurred = np.asarray(cv2.GaussianBlur(noise, (0, 0), sigmaX=0.6, sigmaY=2.0), np.float64)
    strands = 55.0 + 20.0 * blurred / max(float(blurred.std()), 1e-6)
    hair = np.stack([strands * 1.05, strands * 0.95, strands * 0.85], axis=-1)
    texture[beard] = np.clip(np.rint(hair[beard]), 0, 255).astype(np.uint8)
    return replace(head, texture=texture)


def with_collar(
    head: Head, *, over_mm: float = 5.0, height_mm: float = 30.0, seed: int = 1
) -> Head:
    """The head in a knitted high collar: every texel from ``over_mm`` inside the lower
    outline (over the jaw's border and the chin, below the mouth) to ``height_mm`` below it is
    a dark blue knit (a fine random texture), so the jaw's own outline is hidden and the edge
    in its place is the collar's."""
    rng = np.random.default_rng(seed)
    distance = _distance_to_outline(head)
    mouth_y = float(head.landmarks_mm[[ix.MOUTH_CORNER_LEFT, ix.MOUTH_CORNER_RIGHT], 1].min())
    jaw_corner_y = float(head.landmarks_mm[[172, 397], 1].max())
    y = head.points_mm[..., 1]
    collar = (
        head.mask
        & (distance > -over_mm)
        & (distance < height_mm)
        & (y < min(mouth_y - 8.0, jaw_corner_y))
    )
    noise = rng.normal(0.0, 1.0, head.texture.shape[:2]).astype(np.float32)
    blurred = np.asarray(cv2.GaussianBlur(noise, (0, 0), sigmaX=1.0, sigmaY=0.5), np.float64)
    knit = 18.0 * blurred / max(float(blurred.std()), 1e-6)
    colour = np.array([40.0, 55.0, 110.0], np.float32)
    texture = head.texture.copy()
    texture[collar] = np.clip(np.rint(colour + knit[collar][:, None]), 0, 255).astype(np.uint8)
    return replace(head, texture=texture)


def _readings(head: Head, capture: Capture, offsets, true_pose: bool = False) -> list[dict]:
    out = []
    for offset in offsets:
        rendered = render(head, replace(capture, offset_px=offset))
        m = (
            measure_3d_true_pose(rendered)
            if true_pose
            else measure_3d(rendered.pixels, rendered.focal_length_px)
        )
        if m is not None:
            out.append(m)
    return out


def _mean(values: list[dict], person_mm: float) -> dict[str, float]:
    """Each metric's mean over the framings that read it (NaN when none did)."""
    scaled = [rescale_metrics(m, person_mm) for m in values]
    out = {}
    for k in JAW_METRICS:
        read = [m[k] for m in scaled if np.isfinite(m[k])]
        out[k] = float(np.mean(read)) if read else float("nan")
    return out


def _unread(values: list[dict]) -> int:
    """How many readings of the outline's metrics are NaN (a side refused, or a height where
    the image did not place the outline) over the framings ``values``."""
    return sum(int(not np.isfinite(m[k])) for m in values for k in OUTLINE_METRICS)


def jaw_study(
    *,
    head: Head | None = None,
    base: Capture | None = None,
    offsets=STUDY_OFFSETS_PX,
    changes_mm=JAW_CHANGES_MM,
    yaws_deg=JAW_YAWS_DEG,
    true_pose: bool = False,
) -> list[dict]:
    """Known jaw changes and head turns on the 3-D head, against the untouched frontal capture.

    Every capture is rendered at ``offsets`` (framings) and the readings averaged, millimetres
    put on the reference capture's person scale (as :func:`head3d.capture_geometry_study`).
    ``true_pose``: every capture read in the frame of the head's true pose
    (:func:`head3d.measure_3d_true_pose`), which separates what the pose estimate adds from
    what the outline itself does.

    Returns
    -------
    list of dict
        One row per condition: ``kind`` ("jaw_in" or "yaw"), ``condition``, ``side`` (the
        changed side, or ""), ``true_mm`` (the change, or 0), ``n`` (framings measured), and
        for every metric of ``JAW_METRICS`` its change from the reference.
    """
    head = sample_head() if head is None else head
    base = Capture() if base is None else base
    reference = _readings(head, base, offsets, true_pose)
    if not reference:
        raise ValueError("the reference capture is rejected")
    person = float(np.mean([m[PERSON_SCALE_METRIC] for m in reference]))
    ref = _mean(reference, person)
    rows = []
    for side in ("left", "right"):
        for size in changes_mm:
            values = _readings(head.deformed(jaw_in_mm={side: size}), base, offsets, true_pose)
            mean = _mean(values, person) if values else dict.fromkeys(JAW_METRICS, np.nan)
            rows.append(
                {
                    "kind": "jaw_in",
                    "condition": f"jaw in {side} {size:g} mm",
                    "side": side,
                    "true_mm": float(size),
                    "n": len(values),
                    "unread": _unread(values),
                    **{k: mean[k] - ref[k] for k in JAW_METRICS},
                }
            )
    for yaw in yaws_deg:
        values = _readings(head, replace(base, yaw_deg=yaw), offsets, true_pose)
        mean = _mean(values, person) if values else dict.fromkeys(JAW_METRICS, np.nan)
        rows.append(
            {
                "kind": "yaw",
                "condition": f"yaw {yaw:+g} deg",
                "side": "",
                "true_mm": 0.0,
                "n": len(values),
                "unread": _unread(values),
                **{k: mean[k] - ref[k] for k in JAW_METRICS},
            }
        )
    return rows


def selfie_noise(renders: int = 24, *, head: Head | None = None, seed: int = 11) -> dict:
    """SD of every jaw metric over ``renders`` hand-held selfies of the unchanged head
    (:func:`random_selfie_capture`: yaw +/-4, pitch +/-3, roll +/-6 deg, 33-50 cm, light,
    colour, sensor noise, JPEG), person-scaled. Returns metric -> SD, with ``n`` (accepted),
    ``refused`` (jaw sides not found) and ``unread`` (readings of the outline's metrics left
    NaN, refused sides included)."""
    head = sample_head() if head is None else head
    rng = np.random.default_rng(seed)
    values = []
    refused = 0
    for _ in range(renders):
        rendered = render(head, random_selfie_capture(rng))
        m = measure_3d(rendered.pixels, rendered.focal_length_px)
        if m is None:
            continue
        refused += int(np.isnan(m["jaw_contour_55_left_mm"])) + int(
            np.isnan(m["jaw_contour_55_right_mm"])
        )
        values.append(m)
    person = float(np.mean([m[PERSON_SCALE_METRIC] for m in values]))
    scaled = [rescale_metrics(m, person) for m in values]
    out: dict = {k: float(np.nanstd([m[k] for m in scaled], ddof=1)) for k in JAW_METRICS}
    out["n"] = len(values)
    out["refused"] = refused
    out["unread"] = _unread(values)
    return out


def summarise(rows: list[dict]) -> dict[str, float]:
    """The figures of the issue's targets from :func:`jaw_study` rows.

    ``ratio_min``/``ratio_max``: the changed side's contour distances read over the true
    change (0.9-1.1 is the target); ``other_side_max_mm``: the largest |change| of the other
    side's contour distances; ``angle_own_max_deg``/``angle_other_max_deg``: the largest
    |change| of the jaw angles (true change 0); ``width_ratio_min``/``_max``: the lower face
    width's narrowing over the change; ``yaw8_contour_max_mm``, ``yaw8_angle_max_deg``,
    ``yaw8_jowl_max_mm``: the largest |change| at yaw +/-8 deg (and ``yaw4_...`` at +/-4).
    Changes left NaN (no framing read them) are left out.
    """
    jaw = [r for r in rows if r["kind"] == "jaw_in"]
    ratios, other, own_angle, other_angle, width = [], [], [], [], []
    for r in jaw:
        side, size = r["side"], r["true_mm"]
        theirs = registry.OTHER_SIDE[side]
        for family in _CONTOURS:
            ratios.append(-r[f"{family}_{side}_mm"] / size)
            other.append(abs(r[f"{family}_{theirs}_mm"]))
        own_angle.append(abs(r[f"jaw_contour_angle_{side}_deg"]))
        other_angle.append(abs(r[f"jaw_contour_angle_{theirs}_deg"]))
        width.append(-r["lower_face_width_mm"] / size)

    def finite(values: list[float]) -> np.ndarray:
        a = np.asarray(values, dtype=np.float64)
        return a[np.isfinite(a)] if np.isfinite(a).any() else np.array([np.nan])

    out = {
        "ratio_min": float(np.min(finite(ratios))),
        "ratio_max": float(np.max(finite(ratios))),
        "other_side_max_mm": float(np.max(finite(other))),
        "angle_own_max_deg": float(np.max(finite(own_angle))),
        "angle_other_max_deg": float(np.max(finite(other_angle))),
        "width_ratio_min": float(np.min(finite(width))),
        "width_ratio_max": float(np.max(finite(width))),
    }
    for yaw in (4, 8):
        turned = [
            r
            for r in rows
            if r["kind"] == "yaw" and abs(abs(float(r["condition"].split()[1])) - yaw) < 1e-9
        ]
        contour = [abs(r[m]) for r in turned for f in _CONTOURS for m in registry.names(family=f)]
        angle = [abs(r[m]) for r in turned for m in registry.names(family="jaw_contour_angle")]
        jowl = [abs(r[m]) for r in turned for m in registry.names(family="jowl")]
        out[f"yaw{yaw}_contour_max_mm"] = float(np.max(finite(contour)))
        out[f"yaw{yaw}_angle_max_deg"] = float(np.max(finite(angle)))
        out[f"yaw{yaw}_jowl_max_mm"] = float(np.max(finite(jowl)))
    return out
