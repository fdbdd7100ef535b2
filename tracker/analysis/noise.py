"""The measurement's noise floor: SEM from repeat photos, else the benchmark's, and MDC95.

SEM (standard error of measurement) is the SD of one photo's value around the person's true
value at that moment. MDC95 = 1.96 x sqrt(2) x SEM is the smallest difference between two
measurements that exceeds the noise with 95 % confidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from tracker.metrics import registry

# SEM per metric with a fixed person scale (units as in the metric's name), from the accuracy
# study: the fallback noise floor when a library has no repeat photos (see
# ``Metric.benchmark_sem`` in :mod:`tracker.metrics.registry` for where it comes from; NaN:
# none known).
DEFAULT_SEM: dict[str, float] = {m.name: m.benchmark_sem for m in registry.METRICS}
DEFAULT_SEM_SOURCE = "benchmark (no repeat photos)"
REPEATS_SOURCE = "repeat photos"
FLOOR_SOURCE = "benchmark (repeat photos vary less)"
GIVEN_SOURCE = "given"

# Repeat photos give the SEM once at least this many groups (a day's or a session's photos)
# hold two photos or more: fewer would make the SD itself too uncertain to be useful.
MIN_REPEAT_GROUPS = 3

_Z95 = 1.959963984540054


def mdc95(sem):
    """Minimal detectable change at 95 % confidence, ``1.96 * sqrt(2) * sem``.

    Works on floats and arrays alike.

    >>> round(mdc95(0.20), 2)
    0.55
    """
    result = _Z95 * math.sqrt(2.0) * np.asarray(sem, dtype=np.float64)
    return float(result) if result.ndim == 0 else result


def sem_from_repeats(groups, *, min_groups: int = MIN_REPEAT_GROUPS) -> tuple[float, int]:
    """Pooled within-group SD of repeat photos: ``(sem, degrees of freedom)``.

    Parameters
    ----------
    groups : iterable of 1-D arrays, or a pandas ``SeriesGroupBy``
        The values of one metric, one group per day (or per session and side) holding the
        accepted photos taken then. NaN values are ignored.
    min_groups : int
        How many groups must hold two values or more.

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
    if isinstance(groups, pd.core.groupby.SeriesGroupBy):
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
