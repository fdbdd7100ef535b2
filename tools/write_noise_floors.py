"""Regenerate the noise floors the trend falls back on, from the studies' own output.

Without options it runs :func:`tracker.validation.capture.run_capture_study` (full plan, about
2 minutes) and rewrites the ``selfie-3d`` rows of ``tracker/validation/noise_floors.csv`` (the
package data ``tracker.analysis.noise`` reads). With ``--validation DIR`` it rewrites the
``2d-nuisance`` rows from a ``facetrack validate --out DIR`` run's ``validation.csv`` instead
(the SD and SEM of 2-D versions of real photos). Other rows are kept. Each row carries the
metrics' ``ALGORITHM_VERSION``: tests/test_capture_floors.py fails when the file is older than
the algorithm, so the floors cannot go stale. ``--profile`` rewrites the profile metrics'
``selfie-3d`` rows from :func:`tracker.validation.profile.profile_noise_study` (30 random
profile selfies, about a minute); ``--levers`` the ``selfie-3d-usual`` rows of the metrics the
trend reads at the usual capture, from :func:`tracker.validation.levers.capture_lever_study`
(40 + 40 selfies, about two minutes). Usage::

    .venv/bin/python tools/write_noise_floors.py      # or: make floors
    .venv/bin/python tools/write_noise_floors.py --validation validation/
    .venv/bin/python tools/write_noise_floors.py --profile
    .venv/bin/python tools/write_noise_floors.py --levers
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


def profile_rows(n: int = 30) -> pd.DataFrame:
    """The profile metrics' floors: the SD over ``n`` random profile selfies of the 3-D head
    (tracker.validation.profile.profile_noise_study), per sided metric (each side's renders
    alone), as "selfie-3d" rows."""
    from tracker.metrics import registry
    from tracker.validation.profile import profile_noise_study

    study = pd.DataFrame(profile_noise_study(n))
    study = study[study["status"] == "ok"]
    rows = []
    for family in registry.PROFILE_FAMILIES:
        for side in registry.SIDES:
            values = study.loc[study["side"] == side, registry.profile_name(family)]
            sd = round(float(values.std(ddof=1)), 4)
            rows.append(
                {
                    "metric": registry.sided(family, side),
                    "design": "whole-face",
                    "source": FLOOR_SOURCE,
                    "sd": sd,
                    "sem": sd,
                    "n_photos": int(values.size),
                    "algorithm_version": ALGORITHM_VERSION,
                    "generated_by": f"tools/write_noise_floors.py --profile ({n} profile selfies)",
                    "note": "SD over random profile selfies of the project's 3-D head "
                    "(yaw 85-95 deg, pitch and roll +/-5 deg, 33-50 cm, light, colour, "
                    "sensor noise, JPEG 80-95), this side's renders",
                }
            )
    return pd.DataFrame(rows, columns=list(FLOOR_COLUMNS))


def lever_rows(n: int = 40) -> pd.DataFrame:
    """The capture-adjusted metrics' floors read at the usual capture: the SD over ``n``
    random selfies of the 3-D head not used to learn the levers, each read at the usual
    capture with the levers of ``n`` others (tracker.validation.levers.capture_lever_study),
    as "selfie-3d-usual" rows."""
    from tracker.analysis.noise import SELFIE_AT_USUAL
    from tracker.validation.levers import LEVER_METRICS, capture_lever_study

    study = capture_lever_study(n)
    rows = []
    for metric in LEVER_METRICS:
        sd = round(float(study["noise"][metric][1]), 4)
        rows.append(
            {
                "metric": metric,
                "design": "whole-face",
                "source": SELFIE_AT_USUAL,
                "sd": sd,
                "sem": sd,
                "n_photos": int(study["n_later"]),
                "algorithm_version": ALGORITHM_VERSION,
                "generated_by": f"tools/write_noise_floors.py --levers ({n} + {n} selfies)",
                "note": "SD over randomised selfies of the project's 3-D head (yaw +/-5, "
                "pitch +/-3, roll +/-6 deg, 33-50 cm, light, colour, sensor noise, JPEG), "
                f"each read at the usual capture with the levers learnt from {n} others, "
                "person scale",
            }
        )
    return pd.DataFrame(rows, columns=list(FLOOR_COLUMNS))


def write(rows: pd.DataFrame, source: str) -> None:
    old = pd.read_csv(FLOORS) if FLOORS.exists() else pd.DataFrame(columns=list(FLOOR_COLUMNS))
    # rows of the same source are replaced, for the metrics the new rows hold only when they
    # are profile rows (the capture study and the profile study share "selfie-3d")
    profile = set(rows["metric"]) <= set(_profile_names())
    same = old["source"] == source
    kept = old[~same | (old["metric"].isin(_profile_names()) != profile)]
    pd.concat([rows, kept], ignore_index=True)[list(FLOOR_COLUMNS)].to_csv(FLOORS, index=False)
    print(rows[["metric", "design", "sd", "sem"]].to_string(index=False))
    print(f"Written: {FLOORS}")


def _profile_names() -> tuple[str, ...]:
    from tracker.metrics import registry

    return registry.PROFILE_METRIC_NAMES


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
    parser.add_argument(
        "--profile",
        action="store_true",
        help="rewrite the profile metrics' selfie-3d rows from the profile noise study",
    )
    parser.add_argument(
        "--levers",
        action="store_true",
        help="rewrite the capture-adjusted metrics' selfie-3d-usual rows (the lever study)",
    )
    args = parser.parse_args()
    if args.levers:
        from tracker.analysis.noise import SELFIE_AT_USUAL

        write(lever_rows(), SELFIE_AT_USUAL)
        return
    if args.profile:
        write(profile_rows(), FLOOR_SOURCE)
        return
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
