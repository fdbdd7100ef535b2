"""Regenerate the noise floors the trend falls back on, from the studies' own output.

Without options it runs :func:`tracker.validation.capture.run_capture_study` (full plan, about
2 minutes) and rewrites the ``selfie-3d`` rows of ``tracker/validation/noise_floors.csv`` (the
package data ``tracker.analysis.noise`` reads). With ``--validation DIR`` it rewrites the
``2d-nuisance`` rows from a ``facetrack validate --out DIR`` run's ``validation.csv`` instead
(the SD and SEM of 2-D versions of real photos). Other rows are kept. Each row carries the
metrics' ``ALGORITHM_VERSION``: tests/test_capture_floors.py fails when the file is older than
the algorithm, so the floors cannot go stale. Usage::

    .venv/bin/python tools/write_noise_floors.py      # or: make floors
    .venv/bin/python tools/write_noise_floors.py --validation validation/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.metrics.geometry import ALGORITHM_VERSION  # noqa: E402
from tracker.validation.capture import (  # noqa: E402
    FLOOR_COLUMNS,
    FLOOR_SOURCE,
    FULL_CAPTURE_PLAN,
    noise_floor_rows,
    run_capture_study,
    summarise_capture,
)

TWO_D_SOURCE = "2d-nuisance"

FLOORS = ROOT / "tracker" / "validation" / "noise_floors.csv"


def two_d_rows(folder: Path, command: str) -> pd.DataFrame:
    """The 2-D floors of a validate run: per metric with a noise floor, its SD and SEM."""
    table = pd.read_csv(folder / "validation.csv")
    table = table[table["sem"].notna()]
    return pd.DataFrame(
        {
            "metric": table["metric"],
            "design": "whole-face",
            "source": TWO_D_SOURCE,
            "sd": table["noise_sd"].round(2),
            "sem": table["sem"].round(2),
            "n_photos": 22,
            "algorithm_version": ALGORITHM_VERSION,
            "generated_by": command,
            "note": "2-D versions of the same photos (JPEG, light, shifts, rescaling, resolution): "
            "a lower bound of selfie noise; 22 files of 12 pictures",
        },
        columns=list(FLOOR_COLUMNS),
    )


def write(rows: pd.DataFrame, source: str) -> None:
    old = pd.read_csv(FLOORS) if FLOORS.exists() else pd.DataFrame(columns=list(FLOOR_COLUMNS))
    kept = old[old["source"] != source]
    pd.concat([rows, kept], ignore_index=True)[list(FLOOR_COLUMNS)].to_csv(FLOORS, index=False)
    print(rows[["metric", "design", "sd", "sem"]].to_string(index=False))
    print(f"Written: {FLOORS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--validation",
        type=Path,
        metavar="DIR",
        help="a `facetrack validate --out DIR` run: rewrite the 2-D rows",
    )
    parser.add_argument(
        "--command",
        default="facetrack validate --photos "
        "../shared/faces/real/people --photos ../shared/faces/phone --clip "
        "../shared/faces/real/clip/short_hamilton_clip.mp4",
        help="the validate command that made DIR (stored with the rows)",
    )
    args = parser.parse_args()
    if args.validation is not None:
        write(two_d_rows(args.validation, args.command), TWO_D_SOURCE)
        return
    frame = run_capture_study(
        FULL_CAPTURE_PLAN,
        progress=lambda done, total: print(f"\r{done}/{total}", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    rows = noise_floor_rows(
        summarise_capture(frame),
        generated_by="tools/write_noise_floors.py (capture study, "
        f"{FULL_CAPTURE_PLAN.selfies} selfies)",
    )
    write(rows, FLOOR_SOURCE)


if __name__ == "__main__":
    main()
