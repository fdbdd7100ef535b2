"""The trend's capture levers (:mod:`tracker.analysis.levers`) on the project's 3-D head.

A series of hand-held selfies of the unchanged head teaches each capture-adjusted metric how
the head's turn and nod and the camera's distance move it, as a person's photos of one week
do; captures not in that series then show what is left: the SD of a second series, and the
change at a known turn, nod or distance, as measured and read at the usual capture.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tracker.metrics import registry
from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics
from tracker.validation.head3d import (
    STUDY_OFFSETS_PX,
    Capture,
    Head,
    measure_3d,
    random_selfie_capture,
    render,
    sample_head,
)
from tracker.validation.jaw import JAW_YAWS_DEG

__all__ = [
    "LEVER_METRICS",
    "LEVER_CONDITIONS",
    "capture_lever_study",
    "lever_markdown",
    "DEPTH_GAINS",
    "depth_lever_study",
    "depth_table",
    "depth_markdown",
]

# the front metrics the trend reads at the usual capture (registry ``capture_adjusted``; the
# profile's, read at the usual posture, have their own study: validation.profile)
LEVER_METRICS: tuple[str, ...] = registry.names(capture_adjusted=True, view="front")

# the capture conditions of the lever study: (condition, the capture's changes)
LEVER_CONDITIONS: tuple[tuple[str, dict], ...] = (
    *((f"yaw {yaw:+g} deg", {"yaw_deg": yaw}) for yaw in JAW_YAWS_DEG),
    ("pitch +3 deg", {"pitch_deg": 3.0}),
    ("pitch -3 deg", {"pitch_deg": -3.0}),
    ("pitch +6 deg", {"pitch_deg": 6.0}),
    ("pitch -6 deg", {"pitch_deg": -6.0}),
    ("distance 330 mm", {"distance_mm": 330.0}),
    ("distance 500 mm", {"distance_mm": 500.0}),
)
_CAPTURE = ("yaw_deg", "pitch_deg", "camera_distance_mm")


def capture_lever_study(
    renders: int = 24,
    *,
    head: Head | None = None,
    seed: int = 23,
    calibration_yaw_deg: float = 5.0,
    offsets=STUDY_OFFSETS_PX,
    conditions=LEVER_CONDITIONS,
) -> dict:
    """The trend's capture levers (:mod:`tracker.analysis.levers`) on the 3-D head.

    A series of ``renders`` hand-held selfies of the unchanged head
    (:func:`random_selfie_capture`: 33-50 cm, pitch +/-3, roll +/-6, light, noise, JPEG, and
    the yaw drawn uniformly within +/-``calibration_yaw_deg``, the trend's pose limit) teaches
    each capture-adjusted metric its slopes, as :func:`capture_levers` does for a person's
    photos of one week. Two checks on captures not in that series:

    * a second series drawn alike: the SD of each metric as measured and read at the usual
      capture (the noise a trend sees);
    * the head turned, nodded or photographed nearer and farther (``conditions``, each at
      ``offsets`` framings, averaged) against the frontal capture at 40 cm: the change as
      measured and read at the frontal capture (``change - sum(slope * (covariate change))``,
      the covariates as measured).

    Returns
    -------
    dict
        ``levers`` (the ``capture_levers`` table), ``rows`` (per condition: ``condition``,
        the measured changes of ``yaw_deg``, ``pitch_deg`` and ``camera_distance_mm``, and per
        metric of ``LEVER_METRICS`` the change as measured ``<metric>`` and read at the
        frontal capture ``<metric>_adjusted``), ``noise`` (metric -> (SD as measured, SD read
        at the usual capture) over the second series), ``n`` and ``n_later`` (selfies
        accepted in each series).
    """
    import pandas as pd

    from tracker.analysis.levers import capture_levers, covariate_values

    head = sample_head() if head is None else head
    rng = np.random.default_rng(seed)

    def measured(rendered) -> dict | None:
        return measure_3d(rendered.pixels, rendered.focal_length_px, with_distance=True)

    def selfies() -> list[dict]:
        out = []
        for _ in range(renders):
            capture = random_selfie_capture(
                rng, yaw_deg=float(rng.uniform(-calibration_yaw_deg, calibration_yaw_deg))
            )
            m = measured(render(head, capture))
            if m is not None:
                out.append(m)
        return out

    def scaled(values: list[dict], person_mm: float) -> pd.DataFrame:
        rows = []
        for m in values:
            capture = {k: m[k] for k in _CAPTURE}
            metrics = {k: v for k, v in m.items() if k not in _CAPTURE}
            rows.append({**rescale_metrics(metrics, person_mm), **capture})
        return pd.DataFrame(rows)

    series, later = selfies(), selfies()
    person = float(np.mean([m[PERSON_SCALE_METRIC] for m in series]))
    photos = scaled(series, person)
    photos["captured_at"] = pd.Timestamp("2026-01-05 08:00")
    photos["status"] = "ok"
    levers = capture_levers(photos, LEVER_METRICS)
    used = levers.loc[levers["used"]]

    def shift(metric: str, covariates: pd.DataFrame) -> np.ndarray:
        total = np.zeros(len(covariates))
        for row in used.loc[used["metric"] == metric].itertuples(index=False):
            total += row.slope * (covariates[row.covariate].to_numpy() - row.usual)
        return total

    held = scaled(later, person)
    held_capture = covariate_values(held)
    noise = {}
    for k in LEVER_METRICS:
        raw = held[k].to_numpy(np.float64)
        noise[k] = (
            float(np.nanstd(raw, ddof=1)),
            float(np.nanstd(raw - shift(k, held_capture), ddof=1)),
        )

    def mean(capture: Capture) -> pd.DataFrame:
        values = [
            m for o in offsets if (m := measured(render(head, replace(capture, offset_px=o))))
        ]
        return scaled(values, person).mean(numeric_only=True).to_frame().T

    ref = mean(Capture())
    ref_capture = covariate_values(ref)
    rows = []
    for name, changes in conditions:
        turned = mean(replace(Capture(), **changes))
        capture = covariate_values(turned)
        row: dict = {"condition": name}
        row.update({k: float(turned[k].iloc[0] - ref[k].iloc[0]) for k in _CAPTURE})
        for k in LEVER_METRICS:
            change = float(turned[k].iloc[0] - ref[k].iloc[0])
            row[k] = change
            row[f"{k}_adjusted"] = change - float(shift(k, capture)[0] - shift(k, ref_capture)[0])
        rows.append(row)
    return {
        "levers": levers,
        "rows": rows,
        "noise": noise,
        "n": len(series),
        "n_later": len(held),
    }


def lever_table(study: dict):
    """Per metric of :func:`capture_lever_study`: its slopes on turn, nod and inverse
    distance, the second series' SD as measured and at the usual capture, and the largest
    |change| at the turns of +/-4 and +/-8 deg, the nods and the distances, as measured and
    at the frontal capture (a DataFrame, one row per metric)."""
    import pandas as pd

    levers = study["levers"]
    slopes = levers.pivot(index="metric", columns="covariate", values="slope")
    kinds = {
        "yaw4": ("yaw +4 deg", "yaw -4 deg"),
        "yaw8": ("yaw +8 deg", "yaw -8 deg"),
        "pitch3": ("pitch +3 deg", "pitch -3 deg"),
        "pitch6": ("pitch +6 deg", "pitch -6 deg"),
        "distance": ("distance 330 mm", "distance 500 mm"),
    }
    rows = []
    for metric in LEVER_METRICS:
        row = {
            "metric": metric,
            "per_deg_turn": float(slopes.loc[metric, "yaw_deg"]),
            "per_deg_nod": float(slopes.loc[metric, "pitch_deg"]),
            "per_inverse_m": float(slopes.loc[metric, "inverse_distance_per_m"]),
            "sd_measured": study["noise"][metric][0],
            "sd_at_usual": study["noise"][metric][1],
        }
        for kind, names in kinds.items():
            chosen = [r for r in study["rows"] if r["condition"] in names]
            for label, suffix in (("measured", ""), ("at_usual", "_adjusted")):
                values = [abs(r[metric + suffix]) for r in chosen]
                row[f"{kind}_{label}"] = float(np.max(values)) if values else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def lever_markdown(study: dict) -> str:
    """The study as a Markdown section: what was done and :func:`lever_table`."""
    table = lever_table(study)
    header = list(table.columns)
    lines = ["| " + " | ".join(header) + " |", "|:---|" + "---:|" * (len(header) - 1)]
    for values in table.itertuples(index=False):
        cells = [str(values[0])] + [
            "-" if not np.isfinite(v) else f"{v:+.3f}" if h.startswith("per_") else f"{v:.2f}"
            for h, v in zip(header[1:], values[1:])
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return (
        "## Capture levers on the project's 3-D head\n\n"
        f"The trend reads the brow, jaw, mouth-corner and cheek metrics at the person's usual "
        f"capture, learning per metric how the head's turn and nod and the camera's distance "
        f"move it from the person's own photos (tracker.analysis.levers). Here "
        f"{study['n']} hand-held selfies of the unchanged head (yaw +/-5, pitch +/-3, roll "
        f"+/-6 deg, 33-50 cm, light, noise, JPEG) taught the slopes (per degree of turn and "
        f"nod, per 1/m of inverse distance); {study['n_later']} more selfies drawn alike, not "
        "used to learn them, give the SD as measured and at the usual capture; and captures "
        "turned by +/-4 and +/-8 deg, nodded by +/-3 and +/-6 deg, or taken at 33 and 50 cm (three "
        "framings each) give the largest |change| from the frontal capture at 40 cm, as "
        "measured and at the usual capture. The trend leaves out photos turned more than "
        "5 deg from the person's usual.\n\n" + "\n".join(lines) + "\n"
    )


# --- heads of another depth --------------------------------------------------------------------

# The project's head has Face Mesh's own depth (head3d.build_head), so the face frame's depth
# model is nearly right for it; a person's face is shallower or deeper. These heads scale the
# face's relief over the skull (``sample_head(depth_gain=...)``): the brows (105, 334) then
# lie 0.7 / -0.3 mm (0.7) or 10.5 / 11.4 mm (1.3) in front of the eyes instead of 5.6, while
# Face Mesh's depth of them stays 7.7-7.9 mm on all three (it is its model's, not the face's).
DEPTH_GAINS = (0.7, 1.0, 1.3)
# the landmarks whose depth a row reports: the brows' middle points, right and left
BROW_DEPTH_POINTS = {"brow_height_right_mm": 105, "brow_height_left_mm": 334}


def depth_lever_study(
    gains=DEPTH_GAINS,
    renders: int = 24,
    *,
    offsets=STUDY_OFFSETS_PX,
    conditions=LEVER_CONDITIONS,
) -> dict[float, dict]:
    """:func:`capture_lever_study` on heads whose face is shallower or deeper than Face
    Mesh's model (``sample_head(depth_gain=gain)`` per gain): gain -> study, each with
    ``brow_depth_mm`` (metric -> the brow's true depth in front of the eyes, mm)."""
    studies = {}
    for gain in gains:
        head = sample_head(depth_gain=gain)
        study = capture_lever_study(renders, head=head, offsets=offsets, conditions=conditions)
        study["brow_depth_mm"] = {
            metric: float(head.landmarks_mm[point, 2])
            for metric, point in BROW_DEPTH_POINTS.items()
        }
        studies[float(gain)] = study
    return studies


def depth_table(studies: dict[float, dict], metrics=tuple(BROW_DEPTH_POINTS)):
    """One row per head and metric of :func:`depth_lever_study`: ``depth_gain``, the brow's
    true depth in front of the eyes (``brow_depth_mm``, brow metrics only) and the
    :func:`lever_table` columns."""
    import pandas as pd

    frames = []
    for gain, study in studies.items():
        table = lever_table(study)
        table = table.loc[table["metric"].isin(metrics)].copy()
        table.insert(0, "depth_gain", gain)
        depth = study.get("brow_depth_mm", {})
        table.insert(2, "brow_depth_mm", [depth.get(m, np.nan) for m in table["metric"]])
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def depth_markdown(studies: dict[float, dict]) -> str:
    """:func:`depth_lever_study` as a Markdown section: what was done and the brow rows of
    :func:`depth_table`."""
    table = depth_table(studies)
    header = list(table.columns)
    lines = ["| " + " | ".join(header) + " |", "|---:|:---|" + "---:|" * (len(header) - 2)]
    for values in table.itertuples(index=False):
        cells = [f"{values[0]:g}", str(values[1])] + [
            "-" if not np.isfinite(v) else f"{v:+.3f}" if h.startswith("per_") else f"{v:.2f}"
            for h, v in zip(header[2:], values[2:])
        ]
        lines.append("| " + " | ".join(cells) + " |")
    gains = ", ".join(f"{g:g}" for g in studies)
    return (
        "## Capture levers of the brows on heads of other depth\n\n"
        "The project's head has Face Mesh's own depth, so the face frame's depth model fits it "
        "almost exactly; a person's face does not, and Face Mesh's depth does not follow it "
        "(it puts the brows 7.7-7.9 mm in front of the eyes on every head). The capture lever "
        f"study (`capture_lever_study`) on heads whose face's relief over the skull is {gains} "
        "times Face Mesh's own (`sample_head(depth_gain=...)`): `brow_depth_mm` is the brow's "
        "true depth in front of the eyes; a nod moves the brow height by (true depth - model "
        "depth) x "
        "sin(nod), and the series learns that slope.\n\n" + "\n".join(lines) + "\n"
    )
