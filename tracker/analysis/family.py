"""Family-wise honesty: which metrics are the primary outcomes, and the weighted Holm
procedure that decides what a report may call a change.

A report makes many tests (every metric in every window, and each pause), so some would
cross any fixed per-test bar by chance alone. Every test of one report is one family, and
the family-wise error (the chance that an unchanged face reads as changed in *any* metric or
window) is held at ``FAMILY_ALPHA`` by Holm's step-down procedure with weights (Holm 1979):

- the primary outcomes (``PRIMARY_METRICS``: brow height per side, the jawline metrics and
  overall symmetry) share ``PRIMARY_SHARE`` of the error rate, so adding exploratory metrics
  to a report costs their power little;
- every other metric is exploratory: it shares the rest and passes the same procedure, so an
  exploratory change is only ever called detectable under the same family-wise control.

Why Holm and not a fixed hierarchy of windows: the windows answer different questions (an
immediate effect can come and go without a cumulative one, and a person may have photos for
the long term but not for the immediate window), so no order of windows is right for
everyone, and a hierarchy would hide a long-term change whenever its first window lacked
photos. Holm needs no assumption about how the tests depend on each other (the windows
share one baseline; left and right share a face), and it is uniformly more powerful than
Bonferroni.

The primary flag comes from the metric registry (``tracker.metrics.registry``).
"""

from __future__ import annotations

import numpy as np

from tracker.metrics import registry

# The primary outcomes of a whole-face design: the registry's headline metrics (brow height
# per side, jaw angle per side, facial asymmetry) and, of the jawline metrics, the lower face
# width. A split-face design's treated-minus-untreated brow rows join them (``outcome_of``).
PRIMARY_METRICS: tuple[str, ...] = (*registry.PRIMARY, "lower_face_width_mm")
PRIMARY = "primary"
EXPLORATORY = "exploratory"
# The family-wise error rate of one report: the chance that an unchanged face is told that
# anything changed.
FAMILY_ALPHA = 0.05
# The primaries' share of FAMILY_ALPHA when a report also tests exploratory metrics.
PRIMARY_SHARE = 0.8


def outcome_of(metric: str) -> str:
    """ "primary" for ``PRIMARY_METRICS`` and a split-face design's primary differences
    (``registry.SPLIT_FACE_PRIMARY_FAMILIES``: brow height, treated minus untreated), else
    "exploratory".

    >>> outcome_of("brow_height_left_minus_right_mm"), outcome_of("eye_aperture_left_mm")
    ('primary', 'exploratory')
    """
    described = registry.lookup(metric)
    split_primary = (
        described is not None and described.design == registry.SPLIT_FACE and described.primary
    )
    return PRIMARY if metric in PRIMARY_METRICS or split_primary else EXPLORATORY


def holm_weights(outcomes, *, primary_share: float = PRIMARY_SHARE) -> np.ndarray:
    """Each test's weight (summing to 1): the primaries share ``primary_share`` equally and
    the exploratory tests the rest; a kind with no test leaves its share to the other.

    >>> holm_weights(["primary", "primary", "exploratory"]).round(2).tolist()
    [0.4, 0.4, 0.2]
    """
    outcomes = np.asarray(outcomes, dtype=object)
    primary = outcomes == PRIMARY
    n_primary, n_other = int(primary.sum()), int((~primary).sum())
    if not n_primary or not n_other:
        return np.full(outcomes.size, 1.0 / max(outcomes.size, 1))
    return np.where(primary, primary_share / n_primary, (1.0 - primary_share) / n_other)


def weighted_holm(
    p_values, weights, *, alpha: float = FAMILY_ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Holm's weighted step-down procedure: adjusted p-values and each test's level.

    Tests are taken in increasing order of ``p / w``; the j-th is rejected while
    ``p_j <= alpha * w_j / W_j``, where ``W_j`` sums the weights of the tests not yet
    rejected (itself included), and testing stops at the first that is not. The
    family-wise error rate is at most ``alpha`` whatever the dependence between the tests.

    Parameters
    ----------
    p_values : array of float
        Raw two-sided p-values; NaN for tests not made (they take no part).
    weights : array of float
        Positive weights of the tests (normalised over the tests made).
    alpha : float
        Family-wise error rate.

    Returns
    -------
    (p_adjusted, level) : (array, array)
        ``p_adjusted``: reject a test exactly when it is <= ``alpha``. ``level``: the
        per-test level the test's p-value is compared with at its step (NaN for tests not
        made); a change is detectable at that step when its p-value is below it.

    Examples
    --------
    With equal weights this is Holm's procedure:

    >>> adjusted, level = weighted_holm([0.01, 0.04, 0.03], [1, 1, 1])
    >>> adjusted.round(2).tolist(), level.round(4).tolist()
    ([0.03, 0.06, 0.06], [0.0167, 0.05, 0.025])
    """
    p = np.asarray(p_values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    adjusted = np.full(p.size, np.nan)
    level = np.full(p.size, np.nan)
    made = np.flatnonzero(np.isfinite(p))
    if not made.size:
        return adjusted, level
    w_made = w[made] / w[made].sum()
    order = np.argsort(p[made] / w_made, kind="stable")
    ranked_w = w_made[order]
    remaining = np.cumsum(ranked_w[::-1])[::-1]  # weights of this test and those after it
    ranked_p = p[made][order]
    steps = np.minimum(1.0, ranked_p / ranked_w * remaining)
    adjusted[made[order]] = np.maximum.accumulate(steps)
    level[made[order]] = alpha * ranked_w / remaining
    return adjusted, level
