"""The measurement's noise floor: SEM from repeat photos (its upper confidence bound), else
the stored study's (``tracker/validation/noise_floors.csv``), and MDC95.

SEM (standard error of measurement) is the SD of one photo's value around the person's true
value at that moment. MDC95 = 1.96 x sqrt(2) x SEM is the smallest difference between two
measurements that exceeds the noise with 95 % confidence.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from tracker.metrics import registry

# The noise floors are read from a study's output (package data), never copied by hand:
# tracker/validation/noise_floors.csv, one row per metric, design and source ("selfie-3d":
# randomised selfie nuisances on a rendered 3-D head; "2d-nuisance": 2-D versions of the same
# photos, which keep pose and light fixed and so are a lower bound), with the command that
# made it. `facetrack validate` regenerates it.
NOISE_FLOORS_FILE = "noise_floors.csv"
FLOOR_COLUMNS = [
    "metric",
    "design",
    "source",
    "sd",
    "sem",
    "n_photos",
    "algorithm_version",
    "generated_by",
    "note",
]
SELFIE = "selfie-3d"
# the selfie study of a metric the trend reads at the usual capture, so read
# (tracker.analysis.levers; tools/write_noise_floors.py --levers)
SELFIE_AT_USUAL = "selfie-3d-usual"
TWO_D = "2d-nuisance"


# The 2-D benchmark's SEM per metric: the file's "2d-nuisance" rows (kept as a dict for callers
# of earlier versions; NaN for a metric without one).
def _two_d_sems() -> dict[str, float]:
    floors = read_noise_floors()
    rows = floors[(floors["source"] == TWO_D) & (floors["design"] == "whole-face")]
    sems = dict(zip(rows["metric"], rows["sem"].astype(float)))
    return {m.name: float(sems.get(m.noise_key, math.nan)) for m in registry.METRICS}


SELFIE_SOURCE = "selfie study (no repeat photos)"
SELFIE_AT_USUAL_SOURCE = "selfie study read at the usual capture (no repeat photos)"
DEFAULT_SEM_SOURCE = "2-D benchmark (no repeat photos, no selfie study yet: a lower bound)"
REPEATS_SOURCE = "repeat photos"
FLOOR_SOURCE = "2-D benchmark (repeat photos vary less)"
GIVEN_SOURCE = "given"

# Repeat photos give the SEM once at least this many groups (a day's or a session's photos)
# hold two photos or more: fewer would make the SD itself too uncertain to be useful.
MIN_REPEAT_GROUPS = 3
# The SEM measured on a person's repeat photos is replaced by its one-sided upper confidence
# bound at this level (chi-square on its degrees of freedom): with 5 repeat days the point
# estimate is 0.69 of the bound, with 40 days 0.86, so few repeats cannot make the noise
# look small by luck.
SEM_CONFIDENCE = 0.95

_Z95 = 1.959963984540054


def mdc95(sem):
    """Minimal detectable change at 95 % confidence, ``1.96 * sqrt(2) * sem``.

    Works on floats and arrays alike.

    >>> round(mdc95(0.20), 2)
    0.55
    """
    result = _Z95 * math.sqrt(2.0) * np.asarray(sem, dtype=np.float64)
    return float(result) if result.ndim == 0 else result


def sem_from_repeats(
    groups, *, min_groups: int = MIN_REPEAT_GROUPS, variances: bool = False
) -> tuple[float, int]:
    """Pooled within-group SD of repeat photos: ``(sem, degrees of freedom)``.

    Parameters
    ----------
    groups : iterable of 1-D arrays, or a pandas ``SeriesGroupBy``
        The values of one metric, one group per day (or per session and side) holding the
        accepted photos taken then. NaN values are ignored.
    min_groups : int
        How many groups must hold two values or more.
    variances : bool
        ``groups`` holds ``(variance with ddof=1, count)`` per group instead of values.

    Returns
    -------
    (sem, dof) : (float, int)
        ``sqrt(sum of squared deviations from each group's mean / sum(n_g - 1))`` over the
        groups with two values or more, and ``sum(n_g - 1)``. ``(nan, 0)`` when fewer than
        ``min_groups`` groups have repeats.

    Examples
    --------
    >>> sem, dof = sem_from_repeats([[1.0, 1.2], [2.0, 2.2], [0.0, 0.2]])
    >>> round(sem, 4), dof
    (0.1414, 3)
    """
    if variances:
        pairs = np.asarray(list(groups), dtype=np.float64).reshape(-1, 2)
        var, n = pairs[:, 0], pairs[:, 1]
    elif isinstance(groups, pd.core.groupby.SeriesGroupBy):
        var = groups.var(ddof=1).to_numpy(dtype=np.float64)
        n = groups.count().to_numpy(dtype=np.float64)
    else:
        var_list, n_list = [], []
        for values in _arrays(groups):
            values = values[np.isfinite(values)]
            n_list.append(values.size)
            var_list.append(values.var(ddof=1) if values.size > 1 else np.nan)
        var, n = np.asarray(var_list, dtype=np.float64), np.asarray(n_list, dtype=np.float64)
    repeated = n >= 2
    if int(repeated.sum()) < min_groups:
        return float("nan"), 0
    dof = n[repeated] - 1.0
    return float(np.sqrt(np.sum(var[repeated] * dof) / dof.sum())), int(dof.sum())


def _arrays(groups: Iterable) -> Iterable[np.ndarray]:
    for values in groups:
        yield np.asarray(values, dtype=np.float64).ravel()


def read_noise_floors(path: str | Path | None = None) -> pd.DataFrame:
    """The stored noise-floor study: one row per metric, design and source.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with ``FLOOR_COLUMNS``. Default: the package's
        ``tracker/validation/noise_floors.csv``.

    Returns
    -------
    DataFrame
        ``FLOOR_COLUMNS``; ``sd`` and ``sem`` in the metric's unit, ``n_photos`` an int.

    Raises
    ------
    ValueError
        When the file lacks a column.
    """
    return _read_floors(None if path is None else str(path)).copy()


@functools.lru_cache(maxsize=4)
def _read_floors(path: str | None) -> pd.DataFrame:
    if path is None:
        resource = resources.files("tracker") / "validation" / NOISE_FLOORS_FILE
        with resources.as_file(resource) as located:
            frame = pd.read_csv(located, keep_default_na=False, na_values=[""])
    else:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    missing = [c for c in FLOOR_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"noise floors file lacks the column(s) {', '.join(missing)}")
    frame["sd"] = frame["sd"].astype(np.float64)
    frame["sem"] = frame["sem"].astype(np.float64)
    frame["n_photos"] = frame["n_photos"].astype("int64")
    return frame[FLOOR_COLUMNS]


def floor_sem(
    metric: str,
    *,
    design: str = "whole-face",
    floors: pd.DataFrame | None = None,
    at_usual_capture: bool = False,
) -> tuple[float, str]:
    """The SEM to assume for ``metric`` when the person has no repeat photos.

    The selfie study's SEM (``source == "selfie-3d"``) when the floors file has one; with
    ``at_usual_capture`` (the trend read the metric at the person's usual capture,
    ``tracker.analysis.levers``) the study's SEM so read (``"selfie-3d-usual"``) when it has
    one; else the 2-D benchmark's, said to be a lower bound. ``(nan, DEFAULT_SEM_SOURCE)``
    for a metric the file does not know.

    Examples
    --------
    >>> sem, source = floor_sem(registry.sided("brow_height", "left"))
    >>> source, 0.0 < sem < 1.0
    ('selfie study (no repeat photos)', True)
    """
    if at_usual_capture:
        usual = _sem(metric, design, SELFIE_AT_USUAL, floors)
        if math.isfinite(usual):
            return usual, SELFIE_AT_USUAL_SOURCE
    selfie = _sem(metric, design, SELFIE, floors)
    if math.isfinite(selfie):
        return selfie, SELFIE_SOURCE
    return lowest_sem(metric, design=design, floors=floors), DEFAULT_SEM_SOURCE


def lowest_sem(
    metric: str, *, design: str = "whole-face", floors: pd.DataFrame | None = None
) -> float:
    """The 2-D benchmark's SEM of ``metric`` (NaN when unknown): versions of one photo that
    keep pose and light, the least noise the measurement can have. Repeat photos that vary
    less (burst shots) are taken at this value."""
    value = _sem(metric, design, TWO_D, floors)
    if math.isfinite(value) or design != "whole-face":  # DEFAULT_SEM holds whole-face SEMs
        return value
    return DEFAULT_SEM.get(metric, math.nan)


def _sem(metric: str, design: str, source: str, floors: pd.DataFrame | None) -> float:
    table = _default_sems() if floors is None else _sems(floors)
    return table.get((metric, design, source), math.nan)


@functools.lru_cache(maxsize=1)
def _default_sems() -> dict[tuple[str, str, str], float]:
    return _sems(_read_floors(None))


def _sems(floors: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    table: dict[tuple[str, str, str], float] = {}
    for row in floors.itertuples(index=False):  # the first row of a kind wins
        table.setdefault((row.metric, row.design, row.source), float(row.sem))
    return table


def sem_upper_bound(sem: float, dof: int, *, confidence: float = SEM_CONFIDENCE) -> float:
    """One-sided upper confidence bound of an SEM measured with ``dof`` degrees of freedom.

    ``sem * sqrt(dof / chi2.ppf(1 - confidence, dof))``: the SD of normal errors is below it
    with probability ``confidence``. NaN for ``dof < 1``.

    >>> round(sem_upper_bound(0.30, 10), 3)
    0.478
    """
    if not dof >= 1 or not math.isfinite(sem):
        return math.nan
    return float(sem * math.sqrt(dof / stats.chi2.ppf(1.0 - confidence, dof)))


DEFAULT_SEM: dict[str, float] = _two_d_sems()
