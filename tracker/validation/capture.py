"""The capture-geometry study: what head turn, camera distance and selfie nuisances do to every
metric, and how a true 3-D change reads, on the project's own 3-D head.

Every capture is a render of :func:`tracker.validation.head3d.sample_head` through a phone's
front camera (:class:`tracker.validation.head3d.Capture`), measured by the pipeline with the
camera's focal length as a phone's EXIF gives it. Millimetre metrics are put on a fixed person
scale (the reference capture's ``face_scale_mm``, or the series' median for the selfies), as
the trend does.

The study returns tidy frames (one row per capture, one column per metric) and a per-metric
summary with

* ``yaw_slope_per_deg``: least-squares slope against the applied yaw (-8 to +8 deg);
* ``yaw_max_change``: the largest change at |yaw| <= 8 deg from the frontal capture;
* ``distance_effect_mm``: the metric at 30 cm minus at 60 cm (deg for angles);
* ``selfie_noise_sd``: the SD over randomised selfies of the unchanged face (yaw +/-4, pitch
  +/-3, roll +/-6 deg, distance 33-50 cm, the face anywhere near the middle of the frame,
  light +/-15 %, colour cast, sensor noise, JPEG 80-95): the per-photo noise a person who
  takes selfies this carefully can expect, and ``selfie_mdc95`` = 1.96 sqrt(2) SD;
* ``split_face_noise_sd``: for the paired metrics, the SD of the left-minus-right difference
  over the same selfies (what a split-face design compares);
* for the brows, ``sensitivity_3d`` (slope of the reading on a true 3-D lift of 0.5-3 mm)
  and ``other_side_max_mm`` (the largest false change of the other brow).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracker.analysis.noise import FLOOR_COLUMNS as NOISE_FLOOR_COLUMNS
from tracker.analysis.noise import SELFIE
from tracker.metrics import registry
from tracker.metrics.geometry import METRIC_NAMES
from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics
from tracker.validation.head3d import (
    FULL_FRAME_DIAGONAL_MM,
    Capture,
    Head,
    random_selfie_capture,
    render,
    sample_head,
)
from tracker.validation.plan import CAPTURE_COLUMNS

MDC_FACTOR = 1.96 * math.sqrt(2.0)
# the outcomes: every metric but the two scales
OUTCOMES = tuple(m.name for m in registry.METRICS if m.trended and m.view == "front")
PAIRS = tuple(
    (m.name, m.partner)
    for m in registry.METRICS
    if m.trended and m.view == "front" and m.side == "left" and m.partner is not None
)


@dataclass(frozen=True)
class CapturePlan:
    """How much of the study to run."""

    selfies: int = 40
    yaws_deg: tuple[float, ...] = (-8.0, -4.0, 0.0, 4.0, 8.0)
    distances_mm: tuple[float, float] = (300.0, 600.0)
    framings_px: tuple[tuple[float, float], ...] = ((0.0, 0.0), (37.0, -23.0), (-29.0, 31.0))
    brow_lifts_mm: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    # where the face may be in a selfie: uniform within this offset from the centre (x, y px)
    selfie_offset_px: tuple[float, float] = (80.0, 120.0)
    seed: int = 20261130


FULL_CAPTURE_PLAN = CapturePlan()
QUICK_CAPTURE_PLAN = CapturePlan(
    selfies=16,
    yaws_deg=(-8.0, 0.0, 8.0),
    framings_px=((0.0, 0.0), (37.0, -23.0)),
    brow_lifts_mm=(1.0, 2.0),
)


def measure_capture(pixels: np.ndarray, focal_length_px: float) -> dict[str, float] | None:
    """The pipeline's metrics (and pose) of one render, told the focal length as a phone's
    EXIF would (``FocalLengthIn35mmFilm``, the principal point at the image centre); None
    when the photo is rejected."""
    from tracker.pipeline import measure_pixels
    from tracker.types import Camera

    height, width = pixels.shape[:2]
    f35 = focal_length_px * FULL_FRAME_DIAGONAL_MM / math.hypot(width, height)
    result = measure_pixels(pixels, camera=Camera(focal_length_px, f35, "exif-35mm"))
    if result.status != "ok" or result.measurement is None or result.quality is None:
        return None
    values = dict(result.measurement.metrics)
    pose = result.quality.pose
    values.update(
        yaw_deg=pose.yaw_deg,
        pitch_deg=pose.pitch_deg,
        roll_deg=pose.roll_deg,
        camera_distance_mm=result.measurement.camera_distance_mm,
    )
    return values


def run_capture_study(
    plan: CapturePlan = FULL_CAPTURE_PLAN,
    *,
    head: Head | None = None,
    measure: Callable[[np.ndarray, float], dict | None] = measure_capture,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Render and measure every capture of ``plan``.

    Returns
    -------
    DataFrame, one row per capture: ``kind`` ("yaw", "distance", "brow_lift", "selfie"),
    ``yaw_deg_applied``, ``distance_mm_applied``, ``side`` and ``lift_mm`` (brow lifts),
    ``offset_x_px``, ``offset_y_px``, ``accepted``, and every metric (NaN when rejected),
    millimetre metrics still on each capture's own iris scale.
    """
    head = sample_head() if head is None else head
    rng = np.random.default_rng(plan.seed)
    jobs: list[tuple[dict, Head, Capture]] = []
    for yaw in plan.yaws_deg:
        for dx, dy in plan.framings_px:
            jobs.append(
                (
                    {"kind": "yaw", "yaw_deg_applied": yaw},
                    head,
                    Capture(yaw_deg=yaw, offset_px=(dx, dy)),
                )
            )
    for distance in plan.distances_mm:
        for dx, dy in plan.framings_px:
            jobs.append(
                (
                    {"kind": "distance", "distance_mm_applied": distance},
                    head,
                    Capture(distance_mm=distance, offset_px=(dx, dy)),
                )
            )
    for side in ("left", "right"):
        for lift in plan.brow_lifts_mm:
            lifted = head.deformed(brow_lift_mm={side: lift})
            jobs.append(({"kind": "brow_lift", "side": side, "lift_mm": lift}, lifted, Capture()))
    ox, oy = plan.selfie_offset_px
    for _ in range(plan.selfies):
        offset = (float(rng.uniform(-ox, ox)), float(rng.uniform(-oy, oy)))
        capture = random_selfie_capture(rng, offset_px=offset)
        jobs.append(
            (
                {
                    "kind": "selfie",
                    "yaw_deg_applied": capture.yaw_deg,
                    "distance_mm_applied": capture.distance_mm,
                },
                head,
                capture,
            )
        )
    rows = []
    for done, (row, model, capture) in enumerate(jobs, start=1):
        rendered = render(model, capture)
        values = measure(rendered.pixels, rendered.focal_length_px)
        rows.append(
            {
                **row,
                "offset_x_px": capture.offset_px[0],
                "offset_y_px": capture.offset_px[1],
                "accepted": values is not None,
                **{
                    m: (values or {}).get(m, math.nan)
                    for m in (
                        *METRIC_NAMES,
                        "yaw_deg",
                        "pitch_deg",
                        "roll_deg",
                        "camera_distance_mm",
                    )
                },
            }
        )
        if progress is not None:
            progress(done, len(jobs))
    return pd.DataFrame(rows)


def _person_scaled(frame: pd.DataFrame, person_mm: float) -> pd.DataFrame:
    out = frame.copy()
    for index, row in frame.iterrows():
        if not row["accepted"]:
            continue
        scaled = rescale_metrics({m: row[m] for m in METRIC_NAMES}, person_mm)
        for m in METRIC_NAMES:
            out.at[index, m] = scaled[m]
    return out


def summarise_capture(frame: pd.DataFrame) -> pd.DataFrame:
    """Per outcome metric: the figures of the module docstring (NaN where they do not apply
    or too few captures were accepted)."""
    ok = frame[frame["accepted"]]
    reference = ok[(ok["kind"] == "yaw") & (ok["yaw_deg_applied"] == 0.0)]
    if reference.empty:
        raise ValueError("the frontal reference capture was rejected")
    person = float(reference[PERSON_SCALE_METRIC].mean())
    fixed = _person_scaled(ok[ok["kind"] != "selfie"], person)
    selfies = ok[ok["kind"] == "selfie"]
    selfies = (
        _person_scaled(selfies, float(selfies[PERSON_SCALE_METRIC].median()))
        if len(selfies)
        else selfies
    )
    yaw = fixed[fixed["kind"] == "yaw"]
    distance = fixed[fixed["kind"] == "distance"]
    lifts = fixed[fixed["kind"] == "brow_lift"]
    frontal = yaw[yaw["yaw_deg_applied"] == 0.0]
    rows = []
    for metric in OUTCOMES:
        row: dict[str, float | str] = {"metric": metric}
        means = yaw.groupby("yaw_deg_applied")[metric].mean()
        if len(means) >= 2:
            row["yaw_slope_per_deg"] = float(
                np.polyfit(means.index.to_numpy(float), means.to_numpy(float), 1)[0]
            )
            row["yaw_max_change"] = float((means - frontal[metric].mean()).abs().max())
        near = distance[distance["distance_mm_applied"] == distance["distance_mm_applied"].min()]
        far = distance[distance["distance_mm_applied"] == distance["distance_mm_applied"].max()]
        if len(near) and len(far):
            row["distance_effect_mm"] = float(near[metric].mean() - far[metric].mean())
        if len(selfies) >= 3:
            sd = float(selfies[metric].std(ddof=1))
            row["selfie_noise_sd"] = sd
            row["selfie_mdc95"] = MDC_FACTOR * sd
            row["selfies"] = int(selfies[metric].notna().sum())
        partner = dict(PAIRS).get(metric)
        if partner is not None and len(selfies) >= 3:
            row["split_face_noise_sd"] = float((selfies[metric] - selfies[partner]).std(ddof=1))
        known = registry.get(metric)
        if known.family == "brow_height" and known.partner and len(lifts) and len(frontal):
            side, other = known.side, known.partner
            mine = lifts[lifts["side"] == side]
            base, base_other = frontal[metric].mean(), frontal[other].mean()
            if len(mine):
                true = mine["lift_mm"].to_numpy(float)
                read = mine[metric].to_numpy(float) - base
                row["sensitivity_3d"] = float(np.sum(true * read) / np.sum(true * true))
                row["sensitivity_3d_min"] = float(np.min(read / true))
                row["sensitivity_3d_max"] = float(np.max(read / true))
                row["other_side_max_mm"] = float(np.max(np.abs(mine[other] - base_other)))
        rows.append(row)
    return pd.DataFrame(rows)


def capture_markdown(summary: pd.DataFrame, *, metrics: Sequence[str] | None = None) -> str:
    """The summary as a Markdown table (units as the metric's)."""
    columns = CAPTURE_COLUMNS
    shown = summary if metrics is None else summary[summary["metric"].isin(metrics)]
    lines = ["| metric | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row in shown.itertuples(index=False):
        cells = []
        for column in columns:
            value = getattr(row, column, math.nan)
            cells.append(
                ""
                if value is None or (isinstance(value, float) and math.isnan(value))
                else f"{value:+.3f}"
                if column in ("yaw_slope_per_deg", "distance_effect_mm")
                else f"{value:.2f}"
            )
        lines.append(f"| {row.metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


FLOOR_COLUMNS = tuple(NOISE_FLOOR_COLUMNS)
FLOOR_SOURCE = SELFIE


def noise_floor_rows(summary: pd.DataFrame, *, generated_by: str) -> pd.DataFrame:
    """The study's selfie noise as rows of the trend's noise-floor table
    (``tracker/validation/noise_floors.csv``, read by ``tracker.analysis.noise``): per outcome,
    the whole-face per-photo SD (``sem`` = ``sd``: one photo's noise), and for the paired
    metrics the split-face SD of left minus right (design "split-face", named by the left
    metric)."""
    from tracker.metrics.geometry import ALGORITHM_VERSION

    rows = []
    note = (
        "SD over randomised selfies of the project's 3-D head (yaw +/-4, pitch +/-3, roll "
        "+/-6 deg, 33-50 cm, framing, light, colour, sensor noise, JPEG 80-95), person "
        "scale"
    )
    for row in summary.itertuples(index=False):
        sd = getattr(row, "selfie_noise_sd", math.nan)
        count = getattr(row, "selfies", math.nan)
        if isinstance(sd, float) and math.isfinite(sd):
            rows.append(
                {
                    "metric": row.metric,
                    "design": "whole-face",
                    "source": FLOOR_SOURCE,
                    "sd": round(sd, 4),
                    "sem": round(sd, 4),
                    "n_photos": int(count),
                    "algorithm_version": ALGORITHM_VERSION,
                    "generated_by": generated_by,
                    "note": note,
                }
            )
        split = getattr(row, "split_face_noise_sd", math.nan)
        if isinstance(split, float) and math.isfinite(split):
            rows.append(
                {
                    "metric": row.metric,
                    "design": "split-face",
                    "source": FLOOR_SOURCE,
                    "sd": round(split, 4),
                    "sem": round(split, 4),
                    "n_photos": int(count),
                    "algorithm_version": ALGORITHM_VERSION,
                    "generated_by": generated_by,
                    "note": note + "; left minus right",
                }
            )
    return pd.DataFrame(rows, columns=list(FLOOR_COLUMNS))
