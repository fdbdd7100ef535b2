"""The four studies, each returning tidy rows: sensitivity to warps of known size, the noise
floor over nuisance versions and a clip, pose (roll, pitch, yaw) and speed.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics import geometry, registry
from tracker.metrics.scale import PERSON_SCALE_METRIC
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Reason
from tracker.validation.inputs import read_clip
from tracker.validation.perturbations import (
    head_rotation,
    nuisance_variants,
    render_rotated,
    rotate_canvas,
)
from tracker.validation.plan import (
    CUT_MIN_MEAN_ABS_DIFF,
    MDC_FACTOR,
    METRICS,
    OTHER_SIDE,
    SIDES,
    Plan,
    ValidationPhoto,
)
from tracker.validation.stats import (
    ols,
    person_scaled,
    pooled_sd,
    slope_through_origin,
)

# --- measuring ------------------------------------------------------------------------------------


def measure_image(pixels: np.ndarray, name: str):
    """``measure_pixels`` with the iris scale; None when no face is found."""
    from tracker.pipeline import measure_pixels

    result = measure_pixels(np.ascontiguousarray(pixels), file=name)
    return result if result.measurement is not None else None


def photo_iris_px(result) -> float:
    """The iris diameter in pixels the quality check saw in a measured photo."""
    return float(result.quality.scores["iris_px"])


def image_rejection(result) -> str | None:
    """The first quality reason about the image itself (``IMAGE_REJECTIONS``), or None."""
    return next((r for r in result.reasons if Reason.of(r).code.about_image), None)


# --- 1. sensitivity -------------------------------------------------------------------------------

_WARPED_POINTS = {
    ("brow", "left"): ix.BROW_UPPER_LEFT,
    ("brow", "right"): ix.BROW_UPPER_RIGHT,
    ("mouth", "left"): (ix.MOUTH_CORNER_LEFT,),
    ("mouth", "right"): (ix.MOUTH_CORNER_RIGHT,),
    ("jaw", "left"): ix.RAMUS_LEFT[-2:] + ix.JAW_BORDER_LEFT[:2],
    ("jaw", "right"): ix.RAMUS_RIGHT[-2:] + ix.JAW_BORDER_RIGHT[:2],
}


def depth_gain(points_px: np.ndarray, focal_length_px: float, indices: Sequence[int]) -> float:
    """What a 2-D warp of the image is in 3-D: a shift of ``d`` pixels at landmarks nearer
    the camera than the eyes is a smaller shift of the face (``d * Z / Z_eyes``), and farther
    a larger one. Returns ``Z / Z_eyes = 1 + (z - z_eyes) / f`` at the mean depth of
    ``indices`` (Face Mesh's depth relative to the iris midpoint, in the pixel scale of x).
    A brow about 20 mm in front of the irises at 55 cm gives 0.96. Outline points
    (``ix.SILHOUETTE``: the jaw contour) count as at the eyes' depth, as the face frame takes
    them (``tracker.metrics.frame``), so a warp of the jaw contour keeps its size."""
    pts = np.asarray(points_px, dtype=np.float64)
    eyes_z = 0.5 * (pts[ix.IRIS_CENTRE_LEFT, 2] + pts[ix.IRIS_CENTRE_RIGHT, 2])
    outline = set(ix.SILHOUETTE)
    depth = np.array([eyes_z if i in outline else pts[i, 2] for i in indices])
    return float(1.0 + (depth.mean() - eyes_z) / focal_length_px)


def _truths(
    kind: str, side: str, size_mm: float, base: dict[str, float], gain: float = 1.0
) -> dict[str, float]:
    """The true change of every metric a warp changes by a known amount (mm or deg); ``gain``
    turns the warp's size in the image into its size on the face (:func:`depth_gain`)."""
    size_mm = size_mm * gain
    if kind == "jaw":
        # the outline moves towards the midline: its contour distances shrink by the move, the
        # lower face width with them; both jaw lines translate rigidly (the angle: 0)
        contours = {m: -size_mm for m in _JAW_CONTOURS if registry.get(m).side == side}
        return {LOWER_FACE_WIDTH: -size_mm, **contours}
    # a brow or mouth-corner lift raises its (upward) height by the lift
    own = warped_metric(kind, side)
    theirs = registry.get(own).partner or own
    asymmetry = registry.names(group=registry.get(own).group, side=None, unit="mm")[0]
    return {
        own: size_mm,
        asymmetry: abs(base[own] + size_mm - base[theirs]) - abs(base[own] - base[theirs]),
    }


# the sided metrics each kind of warp is aimed at: metric -> (warp kind, side)
_WARPED = {
    m.name: (m.warp, m.side) for m in registry.METRICS if m.warp is not None and m.side is not None
}
LOWER_FACE_WIDTH = registry.names(family="lower_face_width")[0]
# the jaw outline's contour distances (a jaw warp's known change)
_JAW_CONTOURS = tuple(
    m.name
    for m in registry.METRICS
    if m.family.startswith("jaw_contour_") and m.side and m.unit == "mm"
)


def warped_metric(kind: str, side: str) -> str:
    """The metric a warp of ``kind`` on ``side`` is aimed at (the jaw's: its jaw angle)."""
    return next(m for m, aimed in _WARPED.items() if aimed == (kind, side))


def run_sensitivity(photo: ValidationPhoto, base, plan: Plan) -> tuple[list[dict], list[str]]:
    """Every warp of ``plan`` on each side of one photo, measured with the photo's scale held.

    Returns records (photo, kind, side, size_mm, shift_px, change: metric -> reported change,
    truth: metric -> true change, ideal: metric -> change a perfect landmark detector would
    report, or None for brows) and the notes of the warps that did not fit.
    """
    from tracker import warps

    m0 = base.measurement.metrics
    scale0 = base.measurement.scale_mm_per_px
    ipd0 = m0[PERSON_SCALE_METRIC]
    points = base.refined_points_px
    focal = base.camera.focal_length_px
    plain = geometry.compute_metrics(points, scale0, focal_length_px=focal)
    records, notes = [], []
    jobs = (
        [("brow", s) for s in plan.brow_lifts_mm]
        + [("jaw", s) for s in plan.jaw_shifts_mm]
        + [("mouth", s) for s in plan.mouth_lifts_mm]
    )
    for kind, size_mm in jobs:
        for side in SIDES:
            shift_px = size_mm / scale0
            ideal = None
            try:
                if kind == "brow":
                    warped = warps.brow_lift(photo.pixels, points, side=side, shift_px=shift_px)
                else:
                    make = warps.jaw_contour_field if kind == "jaw" else warps.mouth_corner_field
                    displacement, region = make(points, side=side, shift_px=shift_px)
                    warped = warps.warp(photo.pixels, displacement, region)
                    dx, dy = displacement(points[:, 0], points[:, 1])
                    moved = np.array(points, dtype=np.float64)
                    moved[:, 0] += dx
                    moved[:, 1] += dy
                    after = geometry.compute_metrics(moved, scale0, focal_length_px=focal)
                    ideal = {m: float(after[m] - plain[m]) for m in METRICS}
            except ValueError as exc:
                notes.append(f"{photo.name}: {kind} {side} {size_mm:g} mm: {exc}")
                continue
            result = measure_image(warped, photo.name)
            if result is None:
                notes.append(f"{photo.name}: {kind} {side} {size_mm:g} mm: no face after the warp")
                continue
            scaled = person_scaled(result.measurement.metrics, ipd0)
            records.append(
                {
                    "photo": photo.name,
                    "kind": kind,
                    "side": side,
                    "size_mm": size_mm,
                    "shift_px": shift_px,
                    "change": {m: scaled[m] - m0[m] for m in METRICS},
                    "truth": _truths(
                        kind,
                        side,
                        size_mm,
                        m0,
                        depth_gain(points, focal, _WARPED_POINTS[kind, side]),
                    ),
                    "ideal": ideal,
                }
            )
    return records, notes


def summarise_sensitivity(records: list[dict]) -> dict[str, dict[str, float]]:
    """Per metric: ``sensitivity`` (slope through the origin of reported on true change over
    every warp with a known, non-zero truth for it), ``false_change_other_side`` (mean
    |change| of a sided metric when the same kind of warp is applied to the other side), and
    ``own_side_false_change`` for the jaw angles (mean |change| when their own jaw contour
    moves: the true change is 0)."""
    out = {}
    for m in METRICS:
        # a jaw side not found in the image reads NaN: left out, not propagated
        pairs = [
            (r["truth"][m], r["change"][m])
            for r in records
            if r["truth"].get(m, 0.0) != 0.0 and np.isfinite(r["change"][m])
        ]
        sens = slope_through_origin(*zip(*pairs)) if pairs else float("nan")
        false = own = float("nan")
        kind, side = _WARPED.get(m, (None, None))
        if kind is not None and side is not None:
            other = [
                abs(r["change"][m])
                for r in records
                if r["kind"] == kind
                and r["side"] == OTHER_SIDE[side]
                and np.isfinite(r["change"][m])
            ]
            false = float(np.mean(other)) if other else float("nan")
            if kind == "jaw" and m not in _JAW_CONTOURS:
                mine = [
                    abs(r["change"][m])
                    for r in records
                    if r["kind"] == "jaw" and r["side"] == side and np.isfinite(r["change"][m])
                ]
                own = float(np.mean(mine)) if mine else float("nan")
        out[m] = {
            "sensitivity": sens,
            "false_change_other_side": false,
            "own_side_false_change": own,
            "n": len(pairs),
        }
    return out


# --- 2. noise floor -------------------------------------------------------------------------------


def run_noise(
    photo: ValidationPhoto, base, plan: Plan, settings: Settings = DEFAULT_SETTINGS
) -> dict:
    """The photo and its nuisance versions measured: variant name -> metrics with the person
    (fixed) scale and with each version's own iris scale, and the notes of versions
    without a face."""
    ipd0 = base.measurement.metrics[PERSON_SCALE_METRIC]
    fixed = {"original": dict(base.measurement.metrics)}
    iris = {"original": dict(base.measurement.metrics)}
    iris_px = {"original": photo_iris_px(base)}
    notes = []
    for name, pixels in nuisance_variants(
        photo, plan.nuisances, iris_px=photo_iris_px(base), settings=settings
    ):
        result = measure_image(pixels, photo.name)
        if result is None:
            notes.append(f"{photo.name}: {name}: no face")
            continue
        iris[name] = dict(result.measurement.metrics)
        fixed[name] = person_scaled(result.measurement.metrics, ipd0)
        iris_px[name] = photo_iris_px(result)
    return {"photo": photo.name, "fixed": fixed, "iris": iris, "iris_px": iris_px, "notes": notes}


def summarise_noise(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per metric: ``noise_sd`` (median over photos of the SD over a photo's versions),
    ``sem`` (SD pooled over photos), ``mdc95``, the same SEM and MDC95 with the iris scale, and
    ``max_photo_sd``."""
    out = {}
    for m in METRICS:
        groups = [[v[m] for v in run["fixed"].values()] for run in runs]
        groups_iris = [[v[m] for v in run["iris"].values()] for run in runs]
        groups = [[v for v in g if np.isfinite(v)] for g in groups]
        sds = [float(np.std(g, ddof=1)) for g in groups if len(g) > 1]
        sem, sem_iris = pooled_sd(groups), pooled_sd(groups_iris)
        out[m] = {
            "noise_sd": float(np.median(sds)) if sds else float("nan"),
            "sem": sem,
            "mdc95": MDC_FACTOR * sem,
            "sem_iris_scale": sem_iris,
            "mdc95_iris_scale": MDC_FACTOR * sem_iris,
            "max_photo_sd": max(sds) if sds else float("nan"),
        }
    return out


def clip_noise(path: str | os.PathLike[str], progress=None) -> dict:
    """Frame-to-frame noise on a video clip.

    Every distinct frame (pulldown repeats skipped) is measured; the longest run of successive
    frames that all show a face, with no cut between them (a mean absolute frame difference
    over ``CUT_MIN_MEAN_ABS_DIFF`` grey levels, or the face jumping by more than half its
    interpupillary distance or changing size by more than 25 %), is kept. Per metric the
    successive-difference SD, std(diff) / sqrt(2), with a fixed scale (the run's median
    ``face_scale_mm``). It includes the subject's own movement and expression.
    """
    indices, frames, repeats = read_clip(path)
    rows = []
    for i, (index, frame) in enumerate(zip(indices, frames)):
        if progress and i % 50 == 0:
            progress(f"  clip frame {index} ({i + 1} of {len(frames)})")
        result = measure_image(frame, f"frame {index}")
        cut = (
            i > 0
            and float(np.abs(frame.astype(np.int16) - frames[i - 1]).mean()) > CUT_MIN_MEAN_ABS_DIFF
        )
        rows.append((index, result, cut))
    runs: list[list] = []
    current: list = []
    for index, result, cut in rows:
        jump = False
        if current and result is not None:
            (mid_prev, ipd_prev), (mid_now, ipd_now) = (
                _eyes(r.refined_points_px) for r in (current[-1][1], result)
            )
            jump = bool(
                np.linalg.norm(mid_now - mid_prev) > 0.5 * ipd_prev
                or not 0.8 < ipd_now / ipd_prev < 1.25
            )
        if result is None or cut or jump:
            runs.append(current)
            current = [] if result is None else [(index, result)]
        else:
            current.append((index, result))
    runs.append(current)
    best = max(runs, key=len)
    out = {
        "frames": len(indices),
        "repeats": repeats,
        "kept": len(best),
        "first": best[0][0] if best else None,
        "last": best[-1][0] if best else None,
        "sd": {m: float("nan") for m in METRICS},
        "iris_px": float("nan"),
    }
    if len(best) < 3:
        return out
    ipd = float(np.median([r.measurement.metrics[PERSON_SCALE_METRIC] for _, r in best]))
    series = {
        m: np.array([person_scaled(r.measurement.metrics, ipd)[m] for _, r in best])
        for m in METRICS
    }
    out["sd"] = {m: float(np.std(np.diff(v), ddof=1) / np.sqrt(2)) for m, v in series.items()}
    out["iris_px"] = float(np.median([photo_iris_px(r) for _, r in best]))
    out["ipd_mm"] = ipd
    reasons: dict[str, int] = {}
    for _, r in best:
        for key in [Reason.of(reason).kind for reason in r.reasons] or ["ok"]:
            reasons[key] = reasons.get(key, 0) + 1
    out["reasons"] = reasons
    return out


def _eyes(points_px: np.ndarray) -> tuple[np.ndarray, float]:
    """The midpoint of the iris centres (x, y) and their distance, in pixels."""
    left, right = points_px[ix.IRIS_CENTRE_LEFT, :2], points_px[ix.IRIS_CENTRE_RIGHT, :2]
    return 0.5 * (left + right), float(np.linalg.norm(left - right))


# --- 3. pose --------------------------------------------------------------------------------------


def run_roll(photo: ValidationPhoto, base, angles: Sequence[float]) -> list[dict]:
    """The photo rotated in its plane by each angle: the applied angle, the measured roll's
    change and every metric's change (person scale held)."""
    m0 = base.measurement.metrics
    out = []
    for angle in angles:
        result = measure_image(rotate_canvas(photo.pixels, angle), photo.name)
        if result is None:
            continue
        after = person_scaled(result.measurement.metrics, m0[PERSON_SCALE_METRIC])
        out.append(
            {
                "photo": photo.name,
                "applied": float(angle),
                "d_roll": result.quality.pose.roll_deg - base.quality.pose.roll_deg,
                "change": {m: after[m] - m0[m] for m in METRICS},
            }
        )
    return out


def run_turns(photo: ValidationPhoto, base, angles: Sequence[float]) -> list[dict]:
    """The photo's face surface turned rigidly by each angle of pitch (at yaw 0) and of yaw
    (at pitch 0), re-rendered (:func:`render_rotated`) and measured: the applied angle, the
    measured pose change and every metric's change (person scale held)."""
    from scipy.spatial import Delaunay

    m0 = base.measurement.metrics
    points = base.landmarks.points_px
    triangles = Delaunay(points[:, :2]).simplices
    out = []
    for axis in ("pitch", "yaw"):
        for angle in angles:
            rotation = head_rotation(angle, 0.0) if axis == "yaw" else head_rotation(0.0, angle)
            result = measure_image(
                render_rotated(photo.pixels, points, triangles, rotation), photo.name
            )
            if result is None:
                continue
            after = person_scaled(result.measurement.metrics, m0[PERSON_SCALE_METRIC])
            pose, pose0 = result.quality.pose, base.quality.pose
            out.append(
                {
                    "photo": photo.name,
                    "axis": axis,
                    "applied": float(angle),
                    "d_pitch": pose.pitch_deg - pose0.pitch_deg,
                    "d_yaw": pose.yaw_deg - pose0.yaw_deg,
                    "change": {m: after[m] - m0[m] for m in METRICS},
                }
            )
    return out


def summarise_pose(roll: list[dict], turns: list[dict], people: list[dict]) -> dict:
    """Slopes (unit per degree, +/- SE) of every metric against roll (applied), against the
    *measured* pitch and yaw of the rigid turns (pooled within photo, each photo's unturned
    version as its zero point), and against the measured pitch and yaw of real photos
    (within person, person scale = the person's median interpupillary distance)."""
    out: dict = {
        "roll": {},
        "pitch": {},
        "yaw": {},
        "people_pitch": {},
        "people_yaw": {},
        "roll_max_change": {},
    }
    if roll:
        photos = sorted({r["photo"] for r in roll})
        x = [r["applied"] for r in roll] + [0.0] * len(photos)
        groups = [r["photo"] for r in roll] + photos
        for m in METRICS:
            y = [r["change"][m] for r in roll] + [0.0] * len(photos)
            out["roll"][m] = ols(x, y, groups)
            changes = np.abs([r["change"][m] for r in roll])
            finite = changes[np.isfinite(changes)]
            out["roll_max_change"][m] = float(finite.max()) if finite.size else float("nan")
        out["roll_error_max"] = float(np.max(np.abs([r["d_roll"] - r["applied"] for r in roll])))
    for axis in ("pitch", "yaw"):
        sel = [r for r in turns if r["axis"] == axis]
        if not sel:
            continue
        photos = sorted({r["photo"] for r in sel})
        x = [r[f"d_{axis}"] for r in sel] + [0.0] * len(photos)
        groups = [r["photo"] for r in sel] + photos
        for m in METRICS:
            out[axis][m] = ols(x, [r["change"][m] for r in sel] + [0.0] * len(photos), groups)
        out[f"{axis}_gain"] = ols([r["applied"] for r in sel] + [0.0] * len(photos), x, groups)
    if people:
        groups = [p["group"] for p in people]
        for axis in ("pitch", "yaw"):
            x = [p[axis] for p in people]
            for m in METRICS:
                out[f"people_{axis}"][m] = ols(x, [p["metrics"][m] for p in people], groups)
        out["people_n"] = (len(people), len(set(groups)))
    return out


def tolerance_deg(slope: float, mdc95: float) -> float:
    """The pose angle at which a metric's pose drift reaches its MDC95: a photo taken that far
    from frontal can show a change as large as the smallest believable one."""
    return float(mdc95 / abs(slope)) if slope and np.isfinite(slope) else float("inf")


# --- 4. speed -------------------------------------------------------------------------------------


def run_speed(
    sample: np.ndarray,
    megapixels: Sequence[float],
    repeats: int,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[dict]:
    """``measure_photo`` on JPEGs (quality 92) of ``sample`` resized to each size: median wall
    time per photo over ``repeats`` runs after an untimed warm-up."""
    from tracker.pipeline import measure_photo

    h, w = sample.shape[:2]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in megapixels:
            f = np.sqrt(mp * 1e6 / (w * h))
            size = (round(w * f), round(h * f))
            resized = cv2.resize(
                sample, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
            )
            file = Path(tmp) / f"{mp:g}mp.jpg"
            cv2.imwrite(
                str(file), cv2.cvtColor(resized, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
            )
            result, photo = measure_photo(file, settings=settings)  # warm-up
            times = []
            for _ in range(max(1, repeats)):
                start = time.perf_counter()
                measure_photo(file, settings=settings)
                times.append(time.perf_counter() - start)
            rows.append(
                {
                    "megapixels": mp,
                    "size": f"{size[0]} x {size[1]}",
                    "analysed": (
                        f"{photo.pixels.shape[1]} x {photo.pixels.shape[0]}"
                        if photo is not None
                        else "-"
                    ),
                    "median_ms": 1000 * statistics.median(times),
                    "fastest_ms": 1000 * min(times),
                    "runs": len(times),
                    "status": result.status,
                }
            )
    return rows


# metric groups for the pose tolerances: the worse of a group's metrics sets its tolerance
TOLERANCE_GROUPS = registry.tolerance_groups()


def pose_tolerances(pose: dict, noise: dict) -> dict[str, dict[str, float]]:
    """Per metric group and pose axis: the angle at which pose alone moves the group's most
    pose-sensitive metric by its MDC95 (``tolerance_deg``)."""
    return {
        group: {
            axis: min(tolerance_deg(pose[axis][m][0], noise[m]["mdc95"]) for m in metrics)
            for axis in ("roll", "pitch", "yaw")
            if pose[axis]
        }
        for group, metrics in TOLERANCE_GROUPS
    }
