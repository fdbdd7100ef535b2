"""Capture geometry on the project's 3-D test head: what distance, yaw and pitch do to brow
height and jaw angles, and how a true 3-D brow lift reads.

Run: .venv/bin/python benchmarks/bench_capture_geometry.py

The study lives in :func:`tracker.validation.head3d.capture_geometry_study`: the sample head
(:mod:`tracker.validation.head3d`) rendered through a 26 mm-equivalent phone camera
(1512 x 2016 px, face centred, reference 40 cm, frontal), each capture at three framings,
measured and averaged, millimetres on a fixed person scale (x the reference's
interpupillary_mm / the capture's own). Changes are the condition minus the comparison.

Two measurements are run: the 2-D face frame (orthographic, as the pipeline was before the
perspective frame, commit 834a56c) and main's perspective face frame told the focal length.
To study another one, pass ``measure(pixels, focal_length_px) -> dict | None`` to
:func:`run`, which returns its Markdown section::

    from bench_capture_geometry import run
    print(run(my_measure, label="my measurement"))

Writes benchmarks/results/bench_capture_geometry.md (about a minute).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.validation import environment  # noqa: E402
from tracker.validation.head3d import (  # noqa: E402
    STUDY_METRICS,
    STUDY_OFFSETS_PX,
    capture_geometry_study,
    measure_2d,
    measure_3d,
)

OUT = ROOT / "benchmarks" / "results" / "bench_capture_geometry.md"
LABELS = {
    "brow_height_left_mm": "brow L (mm)",
    "brow_height_right_mm": "brow R (mm)",
    "jaw_angle_left_deg": "jaw L (deg)",
    "jaw_angle_right_deg": "jaw R (deg)",
}


def _f(value: float, spec: str = "{:+.2f}") -> str:
    return "n/a" if value is None or math.isnan(value) else spec.format(value)


def markdown(rows: list[dict], *, label: str, seconds: float) -> str:
    """The study's rows as Markdown: the geometry table and the brow-lift table."""
    head = ["condition", "vs", *(LABELS[m] for m in STUDY_METRICS), "n"]
    lines = [
        f"## {label}",
        "",
        f"{seconds:.0f} s.",
        "",
        "### Capture geometry (change of the metric, condition minus comparison)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        if row["kind"] in ("geometry", "noise"):
            spec = "{:.2f}" if row["kind"] == "noise" else "{:+.2f}"
            name = "SD over framings" if row["kind"] == "noise" else row["condition"]
            lines.append(
                "| "
                + " | ".join(
                    [name, row["versus"], *(_f(row[m], spec) for m in STUDY_METRICS), str(row["n"])]
                )
                + " |"
            )
    lines += [
        "",
        "### A true 3-D brow lift (at 40 cm, frontal)",
        "",
        "| lift | true (mm) | read, lifted brow (mm) | sensitivity | false change, other "
        "brow (mm) | jaw L (deg) | jaw R (deg) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["kind"] == "brow_lift":
            side = "left" if " left " in row["condition"] else "right"
            other = "right" if side == "left" else "left"
            read = row[f"brow_height_{side}_mm"]
            lines.append(
                "| "
                + " | ".join(
                    [
                        row["condition"],
                        f"{row['true_mm']:.1f}",
                        _f(read),
                        _f(read / row["true_mm"], "{:.2f}"),
                        _f(row[f"brow_height_{other}_mm"]),
                        _f(row["jaw_angle_left_deg"]),
                        _f(row["jaw_angle_right_deg"]),
                    ]
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


HEADER = (
    "# Capture geometry on the 3-D test head\n\n"
    "The sample head (`tracker.validation.head3d`) rendered through a 26 mm-equivalent "
    "camera, 1512 x 2016 px, face centred, reference 40 cm, frontal; each capture at "
    f"{len(STUDY_OFFSETS_PX)} framings, averaged; mm metrics on a fixed person scale "
    "(x the reference's interpupillary_mm / the capture's own). n = framings accepted "
    "(the fewer of the two sides of a comparison). Made by "
    "`benchmarks/bench_capture_geometry.py`.\n"
)
MEASURES = (
    (measure_2d, "2-D face frame (orthographic; the pipeline before commit 834a56c)"),
    (measure_3d, "perspective face frame (main's pipeline, focal length given as from EXIF)"),
)


def run(measure=measure_2d, *, label: str = MEASURES[0][1]) -> str:
    """Run the study with ``measure(pixels, focal_length_px) -> metrics or None`` and return
    its Markdown section."""
    start = time.perf_counter()
    rows = capture_geometry_study(measure)
    return markdown(rows, label=label, seconds=time.perf_counter() - start)


def main(out: str | Path = OUT) -> str:
    """Both measurements, written to ``out``."""
    text = "\n".join([HEADER, f"{environment()}.\n", *(run(m, label=lab) for m, lab in MEASURES)])
    Path(out).write_text(text)
    return text


if __name__ == "__main__":
    print(main())
