"""Regenerate the selfie noise floors the trend falls back on, from the capture study.

Runs :func:`tracker.validation.capture.run_capture_study` (full plan, about 2 minutes) and
rewrites the ``selfie-3d`` rows of ``tracker/validation/noise_floors.csv`` (the package data
``tracker.analysis.noise`` reads), keeping the other sources' rows. Each row carries the
metrics' ``ALGORITHM_VERSION``: tests/test_capture_floors.py fails when the file is older than
the algorithm, so the floors cannot go stale. Usage::

    .venv/bin/python tools/write_noise_floors.py      # or: make floors
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.validation.capture import (  # noqa: E402
    FLOOR_COLUMNS,
    FLOOR_SOURCE,
    FULL_CAPTURE_PLAN,
    noise_floor_rows,
    run_capture_study,
    summarise_capture,
)

FLOORS = ROOT / "tracker" / "validation" / "noise_floors.csv"


def main() -> None:
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
    old = pd.read_csv(FLOORS) if FLOORS.exists() else pd.DataFrame(columns=list(FLOOR_COLUMNS))
    kept = old[old["source"] != FLOOR_SOURCE]
    pd.concat([rows, kept], ignore_index=True)[list(FLOOR_COLUMNS)].to_csv(FLOORS, index=False)
    print(rows[["metric", "design", "sd"]].to_string(index=False))
    print(f"Written: {FLOORS}")


if __name__ == "__main__":
    main()
