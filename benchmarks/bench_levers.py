"""The trend's capture levers on the project's 3-D test head: how much of the turn, nod and
camera distance a person's own selfie series removes from the brow, jaw, mouth-corner and
cheek metrics.

Run: .venv/bin/python benchmarks/bench_levers.py [--renders N] [--depth]

The study lives in :mod:`tracker.validation.levers` (:func:`capture_lever_study`): N
hand-held selfies teach the slopes, N more (not used to learn them) give the SD as measured
and at the usual capture, and captures turned by +/-4 and +/-8 deg, nodded by +/-3 and +/-6
deg or taken at 33 and 50 cm (three framings each) give the change from the frontal capture
at 40 cm, as measured and at the usual capture.

Writes benchmarks/results/bench_levers.md (about a minute with N = 24). With ``--depth``,
the same study on heads whose face is 0.7, 1.0 and 1.3 times as deep as Face Mesh's model
(:func:`depth_lever_study`, the brow rows) instead, written to
benchmarks/results/bench_levers_depth.md (about two minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.validation import environment  # noqa: E402
from tracker.validation.levers import (  # noqa: E402
    DEPTH_GAINS,
    capture_lever_study,
    depth_lever_study,
    depth_markdown,
    lever_markdown,
)

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=24, help="selfies per series")
    parser.add_argument(
        "--depth", action="store_true", help="the brows on heads of other depth instead"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    command = f"`python benchmarks/bench_levers.py --renders {args.renders}" + (
        " --depth`" if args.depth else "`"
    )
    if args.depth:
        body = depth_markdown(depth_lever_study(DEPTH_GAINS, args.renders)).split("\n", 2)[2]
        title, out = (
            "# Capture levers of the brows on heads of other depth",
            "bench_levers_depth.md",
        )
    else:
        body = lever_markdown(capture_lever_study(args.renders)).split("\n", 2)[2]
        title, out = "# Capture levers on the 3-D head", "bench_levers.md"
    seconds = time.perf_counter() - started
    text = f"{title}\n\n{command}; {seconds:.0f} s. {environment()}\n\n{body}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
