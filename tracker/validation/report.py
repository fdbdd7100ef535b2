"""The validation's report: the ``ValidationReport`` with its files, the Markdown and CSV
details, and the plots.
"""

from __future__ import annotations

import csv
import datetime
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tracker.metrics import geometry, registry
from tracker.metrics.scale import PERSON_SCALE_METRIC
from tracker.settings import Settings
from tracker.validation.plan import (
    BROWS,
    METRICS,
    OUTPUT_FILES,
    TABLE_COLUMNS,
)
from tracker.validation.stats import slope_through_origin
from tracker.validation.studies import (
    LOWER_FACE_WIDTH,
    photo_iris_px,
    pose_tolerances,
    warped_metric,
)


@dataclass
class ValidationReport:
    """The result of :func:`run_validation`.

    ``table`` is a pandas DataFrame with one row per metric and the columns ``TABLE_COLUMNS``
    (NaN where a quantity does not apply). ``details`` holds every other number as tidy rows
    (section, item, metric, quantity, value). ``markdown`` is the whole report.
    """

    table: Any  # a pandas DataFrame
    details: list[dict]
    markdown: str
    sensitivity_points: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    # the capture-geometry study: one row per rendered capture of the 3-D head
    captures: Any = None  # a pandas DataFrame

    def table_markdown(self) -> str:
        """The main table as Markdown (NaN shown as "-")."""
        return markdown_table(self.table)

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write ``OUTPUT_FILES`` into ``out_dir`` (created); returns their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / name for name in OUTPUT_FILES]
        paths[0].write_text(self.markdown, encoding="utf-8")
        self.table.to_csv(paths[1], index=False, float_format="%.4g")
        with open(paths[2], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(
                fh, fieldnames=["section", "item", "metric", "quantity", "value"]
            )
            writer.writeheader()
            writer.writerows(self.details)
        plot_sensitivity(self.sensitivity_points).savefig(paths[3], dpi=110)
        plot_noise_floor(self.table).savefig(paths[4], dpi=110)
        if self.captures is not None:
            self.captures.to_csv(paths[5], index=False, float_format="%.6g")
        else:
            paths = paths[:5]
        return paths


# --- output ---------------------------------------------------------------------------------------


def _fmt(value, spec: str = "{:.2f}") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "-"
    return spec.format(value)


_TABLE_FORMATS = {
    "sensitivity": "{:.2f}",
    "false_change_other_side": "{:.2f}",
    "noise_sd": "{:.2f}",
    "sem": "{:.2f}",
    "mdc95": "{:.2f}",
    "pose_slope_per_deg": "{:+.3f}",
    "yaw_slope_per_deg": "{:+.3f}",
    "yaw_max_change": "{:.2f}",
    "distance_effect_mm": "{:+.2f}",
    "selfie_noise_sd": "{:.2f}",
    "selfie_mdc95": "{:.2f}",
    "split_face_noise_sd": "{:.2f}",
    "sensitivity_3d": "{:.2f}",
    "other_side_max_mm": "{:.2f}",
}


def markdown_table(table) -> str:
    """The main table as Markdown (NaN shown as "-")."""
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|:---|" + "---:|" * (len(TABLE_COLUMNS) - 1)]
    for row in table.itertuples(index=False):
        cells = [row.metric] + [_fmt(getattr(row, c), _TABLE_FORMATS[c]) for c in TABLE_COLUMNS[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _pm(pair, digits: int = 3) -> str:
    slope, se = pair
    if not np.isfinite(slope):
        return "-"
    return f"{slope:+.{digits}f} ± {se:.{digits}f}"


def detail_rows(sens_records, sens, noise_runs, noise, pose, clip, speed) -> list[dict]:
    """Every number of the studies as tidy rows: section, item, metric, quantity, value."""
    rows: list[dict] = []

    def add(section, item, metric, quantity, value):
        rows.append(
            {
                "section": section,
                "item": item,
                "metric": metric,
                "quantity": quantity,
                "value": (f"{value:.6g}" if isinstance(value, (float, np.floating)) else value),
            }
        )

    for m, s in sens.items():
        for q, v in s.items():
            add("sensitivity", "all photos", m, q, v)
    for r in sens_records:
        item = f"{r['photo']} | {r['kind']} {r['side']} {r['size_mm']:g} mm"
        for m in METRICS:
            add("sensitivity_warp", item, m, "reported_change", r["change"][m])
            if m in r["truth"]:
                add("sensitivity_warp", item, m, "true_change", r["truth"][m])
            if r["ideal"] is not None:
                add("sensitivity_warp", item, m, "ideal_change", r["ideal"][m])
    for m, s in noise.items():
        for q, v in s.items():
            add("noise", "all photos", m, q, v)
    for run in noise_runs:
        for variant, values in run["fixed"].items():
            add(
                "noise_version",
                f"{run['photo']} | {variant}",
                "iris_px",
                "value",
                run["iris_px"][variant],
            )
            for m in METRICS:
                add("noise_version", f"{run['photo']} | {variant}", m, "fixed_scale", values[m])
                add(
                    "noise_version",
                    f"{run['photo']} | {variant}",
                    m,
                    "iris_scale",
                    run["iris"][variant][m],
                )
    for axis in ("roll", "pitch", "yaw", "people_pitch", "people_yaw"):
        for m, (slope, se) in pose[axis].items():
            add("pose", axis, m, "slope_per_deg", slope)
            add("pose", axis, m, "slope_se", se)
    for m, v in pose["roll_max_change"].items():
        add("pose", "roll", m, "max_abs_change", v)
    if clip:
        for m, v in clip["sd"].items():
            add("clip", f"frames {clip['first']}-{clip['last']}", m, "successive_difference_sd", v)
    for row in speed:
        add("speed", f"{row['megapixels']:g} MP ({row['size']})", "", "median_ms", row["median_ms"])
    return rows


def environment() -> str:
    """One line: date, CPU cores, Python, MediaPipe, OpenCV, metric version and git state."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        mp_version = version("mediapipe")
    except PackageNotFoundError:
        mp_version = "unknown"
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return (
        f"{datetime.date.today().isoformat()}; {os.cpu_count()} cores "
        f"({platform.machine()}); Python {platform.python_version()}, mediapipe "
        f"{mp_version}, OpenCV {cv2.__version__}; metrics {geometry.ALGORITHM_VERSION}; "
        f"git {commit}"
    )


def report_markdown(table, sens_records, sens, noise_runs, noise, pose, clip, speed, ctx) -> str:
    """The whole report as Markdown (``validation.md``), from the template
    ``templates/validation.md.j2``: the numbers are prepared here, the prose and the layout
    are the template's."""
    command = "facetrack validate" + (" --quick" if ctx["quick"] else "")
    command += "".join(f" --photos {d}" for d in ctx["photo_dirs"])
    command += f" --clip {ctx['clip']}" if ctx["clip"] else ""
    bases, copies = ctx["photos"], ctx["copies"]
    photo_list = ", ".join(
        f"{p.name} (iris {photo_iris_px(b):.0f} px, {b.status}"
        + (f"; same picture as {copies[p.name]}" if p.name in copies else "")
        + ")"
        for p, b in bases
    )
    text = _template().render(
        quick=ctx["quick"],
        command=command,
        environment=environment(),
        seconds=ctx["seconds"],
        n_files=len(bases),
        n_distinct=len(bases) - len(copies),
        photo_list=photo_list,
        pose_axis=ctx["pose_axis"],
        main_table=markdown_table(table),
        plan=ctx["plan"],
        settings=ctx["settings"],
        sensitivity=_sensitivity_rows(sens_records, sens, ctx["excluded"]),
        noise=_noise_rows(noise_runs, noise, clip, ctx["excluded"]),
        clip=clip,
        clip_path=ctx["clip"],
        clip_quality=(
            ", ".join(f"{k} {v}" for k, v in sorted(clip["reasons"].items()))
            if clip and clip["kept"] >= 3
            else ""
        ),
        pose=_pose_rows(pose, noise, ctx["settings"]),
        sample=ctx["sample"],
        cores=os.cpu_count(),
        speed_rows=[
            [
                f"{r['megapixels']:g} MP",
                r["size"],
                r["analysed"],
                f"{r['median_ms']:.0f}",
                f"{r['fastest_ms']:.0f}",
                str(r["runs"]),
            ]
            for r in speed
        ],
        notes=ctx["notes"],
    )
    return text.rstrip("\n") + "\n"


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # Markdown, not HTML: nothing is escaped (as tracker.report.html, with autoescape off)
    environment = Environment(
        loader=PackageLoader("tracker.validation", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["fmt"] = format
    return environment.get_template("validation.md.j2")


def _cells(row: Sequence) -> list[str]:
    return [_fmt(cell) for cell in row]


def _sensitivity_rows(all_records, sens, excluded) -> dict[str, list[list[str]]]:
    """The cells of section 1's tables: ``metric_rows``, ``photo_rows``, ``size_rows``,
    ``untouched_rows``."""
    records = [r for r in all_records if r["photo"] not in excluded]

    def photo_slope(photo, m):
        pairs = [
            (r["truth"][m], r["change"][m])
            for r in all_records
            if r["photo"] == photo and r["truth"].get(m, 0.0) != 0.0
        ]
        return slope_through_origin(*zip(*pairs)) if pairs else float("nan")

    metric_rows = []
    for m in METRICS:
        s = sens[m]
        if s["n"] == 0 and not np.isfinite(s["false_change_other_side"]):
            continue
        ideal = [
            (r["truth"][m], r["ideal"][m])
            for r in records
            if r["ideal"] is not None and r["truth"].get(m, 0.0) != 0.0
        ]
        per = [photo_slope(p, m) for p in dict.fromkeys(r["photo"] for r in records)]
        per = [v for v in per if np.isfinite(v)]
        metric_rows.append(
            [
                m,
                s["n"],
                _fmt(s["sensitivity"]),
                f"{min(per):.2f} – {max(per):.2f}" if per else "-",
                _fmt(slope_through_origin(*zip(*ideal)) if ideal else np.nan),
                _fmt(s["false_change_other_side"]),
                _fmt(s["own_side_false_change"]),
            ]
        )
    warped = _SENSITIVITY_PANELS[:-1]
    photo_rows = [
        [p] + [_fmt(photo_slope(p, m)) for m in warped] + [excluded.get(p, "yes")]
        for p in dict.fromkeys(r["photo"] for r in all_records)
    ]

    def target(kind: str, side: str) -> str:  # the metric a warp changes by its size
        return LOWER_FACE_WIDTH if kind == "jaw" else warped_metric(kind, side)

    size_rows = []
    for kind in ("brow", "jaw", "mouth"):
        for size in sorted({r["size_mm"] for r in records if r["kind"] == kind}):
            sel = [r for r in records if r["kind"] == kind and r["size_mm"] == size]
            # a jaw side not found in the image reads NaN: left out
            ratios = [
                r["change"][target(kind, r["side"])] / r["truth"][target(kind, r["side"])]
                for r in sel
                if np.isfinite(r["change"][target(kind, r["side"])])
            ]
            jaw_own = [abs(r["change"][warped_metric("jaw", r["side"])]) for r in sel]
            jaw_own = [v for v in jaw_own if np.isfinite(v)]
            size_rows.append(
                [
                    f"{kind} {size:g} mm",
                    len(ratios),
                    _fmt(float(np.mean(ratios))) if ratios else "-",
                    f"{min(ratios):.2f} – {max(ratios):.2f}" if ratios else "-",
                    _fmt(float(np.mean(jaw_own))) if kind == "jaw" and jaw_own else "-",
                ]
            )
    untouched_rows = []
    for kind in ("brow", "jaw", "mouth"):
        sel = [r for r in records if r["kind"] == kind]
        if not sel:
            continue
        untouched = [
            m
            for m in METRICS
            if m != PERSON_SCALE_METRIC
            and all(m not in r["truth"] for r in sel)
            and not (kind in ("brow", "mouth") and registry.get(m).group == kind)
        ]
        changes = {m: np.abs([r["change"][m] for r in sel]) for m in untouched}
        mean = {
            m: float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else 0.0
            for m, v in changes.items()
        }
        worst = sorted(untouched, key=lambda m: -mean[m])[:4]
        untouched_rows.append([kind] + [f"{m} {mean[m]:.2f}" for m in worst])
    return {
        "metric_rows": [_cells(r) for r in metric_rows],
        "photo_rows": [_cells(r) for r in photo_rows],
        "size_rows": [_cells(r) for r in size_rows],
        "untouched_rows": [_cells(r) for r in untouched_rows],
    }


def _noise_rows(all_runs, noise, clip, excluded) -> dict[str, list[list[str]]]:
    """The cells of section 2's tables: ``photo_rows``, ``version_rows``, ``iris_rows``,
    ``clip_rows``."""
    photo_rows = []
    for run in all_runs:
        sds = [
            np.std([v[m] for v in run["fixed"].values()], ddof=1)
            if len(run["fixed"]) > 1
            else np.nan
            for m in BROWS
        ]
        iris = list(run["iris_px"].values())
        photo_rows.append(
            [
                run["photo"],
                len(run["fixed"]),
                f"{iris[0]:.1f} ({min(iris):.1f}–{max(iris):.1f})",
                _fmt(sds[0], "{:.3f}"),
                _fmt(sds[1], "{:.3f}"),
                excluded.get(run["photo"], "yes"),
            ]
        )
    by_variant: dict[str, list[float]] = {}
    for run in all_runs:
        if run["photo"] in excluded:
            continue
        b0 = run["fixed"]["original"]
        for variant, values in run["fixed"].items():
            if variant != "original":
                by_variant.setdefault(variant, []).extend(abs(values[m] - b0[m]) for m in BROWS)
    version_rows = [
        [v, f"{np.mean(d):.3f}", f"{np.max(d):.3f}", len(d)] for v, d in by_variant.items()
    ]
    iris_rows = [
        [
            m,
            f"{noise[m]['sem_iris_scale']:.3f}",
            f"{noise[m]['mdc95_iris_scale']:.2f}",
            _fmt(noise[m]["max_photo_sd"], "{:.3f}"),
        ]
        for m in METRICS
    ]
    clip_rows = (
        [[m, f"{clip['sd'][m]:.2f}"] for m in METRICS if m != PERSON_SCALE_METRIC]
        if clip and clip["kept"] >= 3
        else []
    )
    return {
        "photo_rows": [_cells(r) for r in photo_rows],
        "version_rows": [_cells(r) for r in version_rows],
        "iris_rows": [_cells(r) for r in iris_rows],
        "clip_rows": [_cells(r) for r in clip_rows],
    }


def _pose_rows(pose, noise, settings: Settings) -> dict[str, Any]:
    """What section 3 shows: the rigid turns' gains and the roll error (text or None), the
    slope and tolerance tables (columns and cells), the real photos' counts."""
    columns = ["metric", "roll", "roll max abs change", "pitch (rigid turns)", "yaw (rigid turns)"]
    people = bool(pose["people_pitch"])
    if people:
        columns += ["pitch (real photos)", "yaw (real photos)"]
    rows = []
    nan = (np.nan, np.nan)
    for m in METRICS:
        row = [
            m,
            _pm(pose["roll"].get(m, nan)),
            _fmt(pose["roll_max_change"].get(m), "{:.2f}"),
            _pm(pose["pitch"].get(m, nan)),
            _pm(pose["yaw"].get(m, nan)),
        ]
        if people:
            row += [_pm(pose["people_pitch"][m]), _pm(pose["people_yaw"][m])]
        rows.append(row)
    tolerances = pose_tolerances(pose, noise)
    axes = [a for a in ("roll", "pitch", "yaw") if pose[a]]
    tolerance_rows = [
        [group] + [_fmt(t[a], "{:.1f}") if t[a] <= 90 else "> 90" for a in axes]
        for group, t in tolerances.items()
    ]
    limits = {
        "roll": settings.max_abs_roll_deg,
        "pitch": settings.max_abs_pitch_deg,
        "yaw": settings.max_abs_yaw_deg,
    }
    tolerance_rows.append(["**quality check limit (settings)**"] + [f"{limits[a]:g}" for a in axes])
    return {
        "pitch_gain": _pm(pose["pitch_gain"], 2) if "pitch_gain" in pose else None,
        "yaw_gain": _pm(pose["yaw_gain"], 2) if "pitch_gain" in pose else None,
        "roll_error_max": pose.get("roll_error_max"),
        "slope_columns": columns,
        "slope_rows": [_cells(r) for r in rows],
        "people_n": pose.get("people_n"),
        "tolerance_columns": ["metric group"] + [f"{a} (deg)" for a in axes],
        "tolerance_rows": [_cells(r) for r in tolerance_rows],
    }


# --- plots ----------------------------------------------------------------------------------------

# the metrics a warp changes by a known amount, then the jaw angles (true change 0)
_SENSITIVITY_PANELS = (
    *registry.names(warp="brow"),
    *registry.names(warp="mouth"),
    LOWER_FACE_WIDTH,
    "jaw_angle",
)


def _panel_title(metric: str) -> str:
    """ "brow height L (mm)": a metric's plot title."""
    m = registry.get(metric)
    words = m.label.split(" (")[0].lower()
    side = f" {m.side[0].upper()}" if m.side else ""
    return f"{words}{side} ({m.unit_text})"


def plot_sensitivity(points: list[dict], *, axes=None):
    """Reported against true change for every warp, one panel per warped metric, with the
    identity line (and the jaw angles, whose true change is 0, against the jaw shift).

    ``points`` as ``ValidationReport.sensitivity_points``; ``axes``: six matplotlib axes to
    draw in (default: a new figure). Returns the figure.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    panels = [(m, _panel_title(m)) for m in _SENSITIVITY_PANELS[:-1]]
    panels.append(("jaw_angle", "jaw angle, own side (deg)"))
    if axes is None:
        axes = Figure(figsize=(12, 7.5)).subplots(2, 3)
    axes = np.ravel(axes)
    fig = axes[0].figure
    for ax, (metric, title) in zip(axes, panels):
        if metric == "jaw_angle":
            sel = [p for p in points if p["metric"].startswith("jaw_angle")]
            x = [p["shift_mm"] for p in sel]
            ax.axhline(0.0, color="0.5", lw=1, label="truth (0)")
            ax.set_xlabel("jaw contour moved in (mm)")
        else:
            sel = [p for p in points if p["metric"] == metric]
            x = [p["true"] for p in sel]
            if x:
                lim = [min(0.0, *x) * 1.1, max(0.0, *x) * 1.1]
                ax.plot(lim, lim, color="0.5", lw=1, label="identity")
            ax.set_xlabel("true change")
        ax.scatter(x, [p["reported"] for p in sel], s=14, alpha=0.7)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("reported change")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("facetrack validate: sensitivity to warps of known size (scale held)")
    fig.tight_layout()
    return fig


def plot_noise_floor(table, *, ax=None):
    """MDC95 per metric (person scale): one horizontal bar each, drawn in ``ax`` (default: a
    new figure). Returns the figure."""
    from matplotlib.figure import Figure

    rows = table[np.isfinite(table["mdc95"].astype(float))]
    if ax is None:
        ax = Figure(figsize=(7, 0.32 * len(rows) + 1.2)).subplots()
    fig = ax.figure
    ax.barh(rows["metric"], rows["mdc95"].astype(float), color="tab:blue")
    ax.invert_yaxis()
    ax.set_xlabel("MDC95 (unit of the metric: mm, deg or pct)")
    ax.set_title("Smallest change worth believing (MDC95, person scale)")
    for y, value in enumerate(rows["mdc95"].astype(float)):
        ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    return fig
