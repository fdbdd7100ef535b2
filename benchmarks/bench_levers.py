"""The trend's capture levers on the project's 3-D test head: how much of the turn, nod and
camera distance a person's own selfie series removes from the jaw, mouth-corner and cheek
metrics.

Run: .venv/bin/python benchmarks/bench_levers.py [--renders N]

The study lives in :mod:`tracker.validation.levers` (:func:`capture_lever_study`): N
hand-held selfies teach the slopes, N more (not used to learn them) give the SD as measured
and at the usual capture, and captures turned by +/-4 and +/-8 deg, nodded by +/-3 deg or
taken at 33 and 50 cm (three framings each) give the change from the frontal capture at
40 cm, as measured and at the usual capture.

Writes benchmarks/results/bench_levers.md (about a minute and a half with N = 24).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.validation import environment  # noqa: E402
from tracker.validation.levers import capture_lever_study, lever_markdown  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "bench_levers.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=24, help="selfies per series")
    args = parser.parse_args()
    started = time.perf_counter()
    study = capture_lever_study(args.renders)
    seconds = time.perf_counter() - started
    text = (
        "# Capture levers on the 3-D head\n\n"
        f"`python benchmarks/bench_levers.py --renders {args.renders}`; {seconds:.0f} s. "
        f"{environment()}\n\n" + lever_markdown(study).split("\n", 2)[2]
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
