"""Small statistics shared by the studies and the benchmarks: a fixed person scale, the same
picture twice, slopes, pooled SDs and ordinary least squares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.scale import rescale_metrics

# --- small helpers shared with the benchmarks -----------------------------------------------------

# a fixed person scale: equal to measuring with ``ipd_mm``, and to
# ``Library.photos(person_scale=True)``
person_scaled = rescale_metrics


def same_picture(points_a: np.ndarray, points_b: np.ndarray, *, tolerance: float = 0.01) -> bool:
    """Whether two Face Mesh results come from the same picture, stored another way, resized,
    rotated in its plane or mirrored: the RMS distance between the landmarks after the best 2D
    similarity fit (translation, rotation, scale; also tried with one of them mirrored and its
    left/right landmarks swapped) is below ``tolerance`` x the interpupillary distance.
    Copies of one picture measure 0.2-0.4 %, different photos of one person 2 % or more."""
    b = np.asarray(points_b, dtype=np.float64)[:, :2]
    b = b - b.mean(axis=0)
    ipd = float(np.linalg.norm(b[ix.IRIS_CENTRE_LEFT] - b[ix.IRIS_CENTRE_RIGHT]))
    a0 = np.asarray(points_a, dtype=np.float64)[:, :2]
    mirrored = (a0 * np.array([-1.0, 1.0]))[ix.mirror_permutation()]
    for a in (a0, mirrored):
        a = a - a.mean(axis=0)
        u, s, vt = np.linalg.svd(a.T @ b)
        d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
        rotation = u @ d @ vt
        scale = float((s * np.diag(d)).sum() / (a * a).sum())
        rms = float(np.sqrt(((scale * a @ rotation - b) ** 2).sum(axis=1).mean()))
        if rms < tolerance * ipd:
            return True
    return False


def slope_through_origin(true: Sequence[float], reported: Sequence[float]) -> float:
    """Least-squares slope of reported against true change, the line forced through 0."""
    x, y = np.asarray(true, dtype=float), np.asarray(reported, dtype=float)
    xx = float((x * x).sum())
    return float((x * y).sum() / xx) if xx > 0 else float("nan")


def pooled_sd(groups: Iterable[Sequence[float]]) -> float:
    """sqrt of the variance pooled over groups (weighted by degrees of freedom); NaN if none.
    NaN values (a metric not measured on one version: a jaw side not found) are left out."""
    arrays = [np.asarray(g, dtype=float) for g in groups]
    arrays = [g[np.isfinite(g)] for g in arrays]
    num = sum((g.size - 1) * np.var(g, ddof=1) for g in arrays if g.size > 1)
    dof = sum(g.size - 1 for g in arrays if g.size > 1)
    return float(np.sqrt(num / dof)) if dof else float("nan")


def ols(x, y, groups=None) -> tuple[float, float]:
    """Slope and its standard error of y on x (ordinary least squares); with ``groups``,
    within-group: both centred per group, one degree of freedom lost per group. NaN when
    there is nothing to fit. Pairs with a NaN (a metric not measured) are left out."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    groups = np.zeros(x.size) if groups is None else np.asarray(groups)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, groups = x[ok], y[ok], groups[ok]
    xc, yc = x.copy(), y.copy()
    for g in np.unique(groups):
        sel = groups == g
        xc[sel] -= x[sel].mean()
        yc[sel] -= y[sel].mean()
    sxx = float((xc * xc).sum())
    dof = x.size - np.unique(groups).size - 1
    if sxx == 0 or dof <= 0:
        return float("nan"), float("nan")
    slope = float((xc * yc).sum() / sxx)
    resid = yc - slope * xc
    return slope, float(np.sqrt((resid @ resid) / dof / sxx))
