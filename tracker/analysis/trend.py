"""Trend statistics: the change in each window with its 95 % CI and the family-wise decision,
Theil–Sen slopes, months since the first treatment, and whether gains held through pauses.

The statistics work on per-day values (``windows.daily_values``), not on photos: photos of
one day share that day's light, sleep and swelling (a random day effect), so they are not
independent samples, and a day photographed five times must not outweigh five days
photographed once. The per-day value is the unit of every test.

Each change is a difference of mean daily values (window minus baseline; the mean of the
sessions' after-minus-before differences for "immediate"), tested with a Welch t statistic
whose standard error is made honest in two ways:

- **Noise floor.** A side's per-day variance is taken as at least ``SEM**2 / photos that
  day``: a few days that agree by chance cannot make a change look certain. The SEM is the
  upper 95 % confidence bound of the person's own repeat photos, else the selfie study's
  (``noise.floor_sem``).
- **Serial correlation.** Consecutive days share conditions (a week of the same light, a cold,
  a habit), which a per-day unit does not remove. When both sides together hold at least
  ``MIN_SERIAL_PAIRS`` pairs of consecutive days, their pooled lag-1 autocorrelation
  ``rho`` (residuals from each side's mean, clipped to 0..``MAX_SERIAL_CORRELATION``)
  inflates the variance of each mean by the AR(1) factor ``(1 + rho) / (1 - rho)`` and
  shrinks the degrees of freedom alike. This is the large-sample variance of a mean of an
  AR(1) series; a block bootstrap over weeks would make fewer assumptions but needs far more
  days than a 2-week baseline has, and costs a thousand times the computation.

"Detectable" is decided for the whole report at once (``tracker.analysis.family``): the raw
p-values of every window and pause of every metric go through Holm's weighted step-down
procedure, which holds the chance that an unchanged face is told *anything* changed at 5 %.
``ci_low``/``ci_high`` and ``p_value`` are the raw, per-test figures; ``p_adjusted`` and
``threshold`` (the smallest change that this test could have called detectable at its step)
are after the control. ``mdc`` remains the MDC95 of one photo against one photo
(1.96 x sqrt(2) x SEM), a property of the measurement shown with the charts; it is no longer
a gate, because a window's change is a mean of many photos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import special, stats

from tracker.analysis.capture import consistent_distance
from tracker.analysis.design import ON_OFF, Design, Plan, adherence, design_of
from tracker.analysis.family import (
    FAMILY_ALPHA,
    holm_weights,
    outcome_of,
    weighted_holm,
)
from tracker.analysis.levers import (
    LEVER_COLUMNS,
    adjust_for_capture,
    capture_variance,
    lever_uncertainty,
    weighted_capture_variance,
)
from tracker.analysis.noise import (
    FLOOR_SOURCE,
    GIVEN_SOURCE,
    REPEATS_SOURCE,
    floor_sem,
    lowest_sem,
    mdc95,
    sem_from_repeats,
    sem_upper_bound,
)
from tracker.analysis.windows import (
    WINDOWS,
    Baseline,
    choose_baseline,
    consistent_pose,
    daily_values,
    immediate_pairs,
    metric_columns,
    pauses,
    prepare,
    rejected_reasons,
)
from tracker.metrics import registry
from tracker.metrics.registry import SPLIT_FACE, WHOLE_FACE
from tracker.settings import DEFAULT_SETTINGS, Settings

# The thresholds (days and pairs needed, fade and slope spans) live in tracker.settings (their
# reasons are given there) and are passed down as ``settings=``.
CONFIDENCE = 0.95
# Serial correlation between days is estimated only from this many pairs of consecutive
# days (fewer give an estimate too noisy to use), and never taken above MAX (a series that
# correlated has too few independent days for any statement).
MIN_SERIAL_PAIRS = 10
MAX_SERIAL_CORRELATION = 0.8
MIN_DETREND_DAYS = 7
# "What it would take" plans for this power (the chance that a real change of the given size
# is called detectable).
PLANNING_POWER = 0.8

_TEST = [
    "change",
    "ci_low",
    "ci_high",
    "se",
    "dof",
    "day_correlation",
    "p_value",
    "p_adjusted",
    "threshold",
    "detectable",
]
TABLE_COLUMNS = [
    "metric",
    "design",
    "outcome",
    "window",
    "n_sessions",
    "n_days",
    "n_photos",
    "n_baseline",
    *_TEST,
    "mdc",
    "slope_per_week",
    "slope_ci_low",
    "slope_ci_high",
    "sem",
    "noise_source",
    "note",
]
MONTHLY_COLUMNS = [
    "metric",
    "design",
    "outcome",
    "month",
    "first_day",
    "last_day",
    "n_days",
    "n_photos",
    "mean",
    *_TEST,
    "mdc",
    "note",
]
FADE_COLUMNS = [
    "metric",
    "design",
    "outcome",
    "last_session",
    "resumed",
    "pause_days",
    "ongoing",
    "n_before",
    "n_during",
    "gain",
    *_TEST,
    "mdc",
    "verdict",
    "note",
]
NOISE_COLUMNS = [
    "metric",
    "sem",
    "sem_point",
    "dof",
    "noise_source",
    "day_sd",
    "photos_per_day",
    "mdc",
]
REQUIRED_COLUMNS = ("captured_at", "status")


@dataclass(frozen=True)
class Trend:
    """Everything ``analyse`` found, as tidy frames (one row per metric and window, day,
    pair, month or pause) for the CLI, the charts and the report.

    Attributes
    ----------
    table : DataFrame
        The window table, ``TABLE_COLUMNS``: one row per metric and window (``WINDOWS``).
        ``outcome`` is "primary" or "exploratory" (``family.PRIMARY_METRICS``). What the
        statistic is computed on: ``n_sessions`` before/after pairs (sessions) for
        "immediate", ``n_days`` per-day values for the others (each NA in the other kind
        of row); ``n_photos`` the photos behind them;
        ``n_baseline`` the baseline days (NA for "immediate"). ``change`` is in the metric's
        unit, ``ci_low``/``ci_high`` its raw 95 % interval, ``se``/``dof`` its standard error
        and degrees of freedom, ``day_correlation`` the lag-1 correlation of consecutive days
        allowed for, ``p_value`` the raw two-sided p-value, ``p_adjusted`` the p-value after
        the report's family-wise control, ``threshold`` the smallest change this test could
        call detectable, ``detectable`` True/False after the control (None with too few
        photos, and ``note`` says why); ``mdc`` the single-photo MDC95. ``slope_per_week`` and
        its interval: the metric's Theil–Sen trend over the days since the first treatment
        (the same on each of the metric's rows). ``sem`` and ``noise_source`` say where the
        noise floor comes from.
    daily : DataFrame
        Per-day values (``windows.daily_values``).
    pairs : DataFrame
        Before/after pairs of each session (``windows.immediate_pairs``).
    monthly : DataFrame
        ``MONTHLY_COLUMNS``: per metric and calendar month from day 0 on, the mean change
        against the baseline with its interval; ``detectable`` after a family-wise control
        of the monthly table (a descriptive table the summary does not quote).
    fade : DataFrame
        ``FADE_COLUMNS``: per metric and pause in the treatment log, the change from the last
        week on treatment to the pause's last week, and a verdict: "faded" (a detectable
        change back towards the baseline), "held" (no detectable change), "kept changing"
        (a detectable change away from it), or None (too few photos). Pauses are tested in
        the same family as the windows.
    noise : DataFrame
        ``NOISE_COLUMNS``: per metric the SEM used (the upper confidence bound when measured
        on repeat photos), the point estimate ``sem_point``, its degrees of freedom (0 when
        not measured on this library), where it comes from, ``day_sd`` (the SD of the
        baseline's per-day values: the noise a day's value really has), ``photos_per_day``
        (median accepted resting photos per day) and the MDC95.
    baseline : Baseline
        The rule used, the baseline's end and day 0.
    n_sessions, n_accepted, n_rejected : int
        Logged sessions, photos used and photos left out.
    rejected : dict
        Kind of reason -> photos left out for it, most frequent first.
    design : Design
        The design used (``design.design_of``): "whole-face", "split-face" (the table then
        also holds a split-face row per paired metric and window: ``design`` "split-face",
        the metric ``<family>_<treated>_minus_<other>_<unit>``, the treated side minus the
        untreated one per photo, against the same difference at baseline; they come first)
        or "on-off" (rows of window "on vs off": on days against off days with a linear
        drift), and why.
    adherence : dict or None
        With a plan: whether it was followed (``design.adherence``).
    settings : Settings
        The settings the trend was computed with (``immediate_window_hours`` is the
        ``hours`` used): the text, the charts and the report describe the windows from them.
    levers : DataFrame
        ``levers.LEVER_COLUMNS``: per capture-adjusted metric and covariate (turn, nod,
        camera distance), how much it moves the metric in this person's photos and whether
        the trend read the metric at the usual capture (:mod:`tracker.analysis.levers`).
    """

    table: pd.DataFrame
    daily: pd.DataFrame
    pairs: pd.DataFrame
    monthly: pd.DataFrame
    fade: pd.DataFrame
    noise: pd.DataFrame
    baseline: Baseline
    n_sessions: int
    n_accepted: int
    n_rejected: int
    rejected: dict[str, int]
    design: Design = Design("whole-face")
    adherence: dict | None = None
    settings: Settings = DEFAULT_SETTINGS
    levers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEVER_COLUMNS))


def analyse(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    metrics: list[str] | tuple[str, ...] | None = None,
    baseline_until: date | datetime | str | None = None,
    sem: float | dict[str, float] | None = None,
    hours: float | None = None,
    plan: Plan | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Trend:
    """Analyse a photo library's metrics over time.

    Parameters
    ----------
    photos : DataFrame
        One row per photo, as ``Library.photos()`` gives it: at least ``captured_at``
        (naive local time), ``status`` and metric columns; ``session`` ("before"/"after")
        and ``reasons`` are used when present. Scale the millimetres first if wanted
        (``Library.photos(person_scale=True)``): nothing is rescaled here.
    sessions : DataFrame, optional
        The treatment log, as ``Library.sessions()``: ``started_at`` and optionally ``id``
        and ``minutes``.
    metrics : sequence of str, optional
        Default: every metric column in ``photos`` that the registry trends (not the scales
        ``interpupillary_mm`` and ``face_scale_mm``).
    baseline_until : date, datetime or ISO 8601 str, optional
        End of the baseline (a date includes its whole day). Default: the photos before
        the first session, else the first week of photos.
    sem : float or dict, optional
        The SEM to use (for every metric, or per metric) instead of measuring it.
    hours : float, optional
        How close to a session an untagged photo must be to count as before or after it
        (default ``settings.immediate_window_hours``).
    plan : Plan, optional
        The planned experiment (``facetrack plan``): an on/off plan adds the on/off rows,
        and the result says whether the plan was followed. The split-face rows need no
        plan: they come whenever every session treated the same one side (``side``
        column of ``sessions``).
    settings : Settings
        The windows, the days and pairs each comparison needs, the pose and distance limits
        (``tracker.settings``).

    Returns
    -------
    Trend

    Raises
    ------
    ValueError
        For missing columns, an unknown metric or a bad ``baseline_until``.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in photos.columns]
    if missing:
        raise ValueError(f"photos lack the column(s) {', '.join(missing)}")
    if hours is not None:
        settings = replace(settings, immediate_window_hours=float(hours))
    # tables of earlier versions (mouth corner and cheek heights) read as today's
    photos = registry.upgrade_columns(photos)
    if metrics is not None:
        metrics = [registry.resolve(m) for m in metrics]
    metrics = _choose_metrics(photos, metrics)
    design = design_of(sessions, plan)
    photos = consistent_distance(consistent_pose(photos, settings=settings), settings=settings)
    # read at the usual capture (before the split-face differences, which take it over)
    photos, levers = adjust_for_capture(photos, metrics, settings=settings)
    photos, split = split_face_columns(photos, metrics, design.treated)
    metrics = [*split, *metrics]  # a split-face design leads with its split-face rows
    baseline = choose_baseline(photos, sessions, baseline_until=baseline_until, settings=settings)
    long = prepare(photos, sessions, baseline, metrics, settings=settings)
    daily = daily_values(long, settings=settings)
    pairs = immediate_pairs(long)
    read_at_usual = frozenset(levers.loc[levers["used"].astype(bool), "metric"])
    noise = noise_floor(
        long, metrics, sem=sem, daily=daily, settings=settings, at_usual_capture=read_at_usual
    )
    latest = long["captured_at"].max() if len(long) else None
    pause_log = pauses(sessions, latest=latest, settings=settings)
    daily_by = {m: g for m, g in daily.groupby("metric", sort=False)}
    pairs_by = {m: g for m, g in pairs.groupby("metric", sort=False)}
    noise_by = noise.set_index("metric")
    empty_daily, empty_pairs = daily.iloc[:0], pairs.iloc[:0]
    rows, months, fades = [], [], []
    for metric in metrics:
        days = daily_by.get(metric, empty_daily)
        level = noise_by.loc[metric]
        mdc, sem_used = float(level["mdc"]), float(level["sem"])
        base = days.loc[days["window"] == "baseline"]
        treated = days.loc[
            ~days["window"].isin(["baseline", "before treatment"]) & (days["day"] >= 0)
        ]
        slope = theil_sen(treated["day"].to_numpy(), treated["value"].to_numpy(), settings=settings)
        outcome = outcome_of(metric)
        kind = registry.get(metric).design
        lever = _lever_of(levers, metric)
        shared = {
            "metric": metric,
            "design": kind,
            "outcome": outcome,
            "mdc": mdc,
            "slope_per_week": slope[0],
            "slope_ci_low": slope[1],
            "slope_ci_high": slope[2],
            "sem": sem_used,
            "noise_source": level["noise_source"],
        }
        rows.append(
            {
                **shared,
                "window": "immediate",
                **_immediate(pairs_by.get(metric, empty_pairs), sem_used, settings, lever),
            }
        )
        for window in WINDOWS[1:]:
            inside = days.loc[days["window"] == window]
            rows.append(
                {**shared, "window": window, **_compare(inside, base, sem_used, settings, lever)}
            )
        common = {"metric": metric, "design": kind, "outcome": outcome, "mdc": mdc}
        months += _monthly(common, treated, base, sem_used, settings, lever)
        fades += _fades(common, days, base, pause_log, sem_used, latest, settings, lever)
        if design.name == ON_OFF and plan is not None and metric not in split:
            rows.append(
                {
                    **shared,
                    "design": ON_OFF,
                    **on_off(days, plan, sem_used, settings=settings, lever=lever),
                }
            )
    family_control([*rows, *fades])
    family_control(months)
    for row in fades:
        row["verdict"] = _verdict(row)
    n_rejected, reasons = rejected_reasons(photos)
    return Trend(
        table=_frame(rows, TABLE_COLUMNS, ints=("n_sessions", "n_days", "n_photos", "n_baseline")),
        daily=daily,
        pairs=pairs,
        monthly=_frame(
            months, MONTHLY_COLUMNS, ints=("first_day", "last_day", "n_days", "n_photos")
        ),
        fade=_frame(fades, FADE_COLUMNS, ints=("n_before", "n_during")),
        noise=noise,
        baseline=baseline,
        n_sessions=0 if sessions is None else int(len(sessions)),
        n_accepted=int(long["photo"].nunique()) if len(long) else 0,
        n_rejected=n_rejected,
        rejected=reasons,
        design=design,
        adherence=(
            None
            if plan is None
            else adherence(plan, sessions, long["captured_at"] if len(long) else [])
        ),
        settings=settings,
        levers=levers,
    )


def _lever_of(levers: pd.DataFrame, metric: str):
    """The capture levers' slope error of ``metric`` (``levers.lever_uncertainty``); for a
    split-face difference, its two sides' (their covariances summed: the two fits' errors
    taken as independent), with the fewer degrees of freedom."""
    info = registry.lookup(metric)
    parts = info.difference_of if info is not None and info.difference_of else (metric,)
    names: list[str] = []
    blocks = []
    dof = math.inf
    for part in parts:
        n, cov, d = lever_uncertainty(levers, part)
        if n:
            blocks.append((n, cov))
            names = list(dict.fromkeys([*names, *n]))
            dof = min(dof, d)
    if not names:
        return None
    total = np.zeros((len(names), len(names)))
    for n, cov in blocks:
        at = [names.index(c) for c in n]
        total[np.ix_(at, at)] += cov
    return names, total, dof


def split_face_columns(
    photos: pd.DataFrame, metrics: list[str], treated: str | None
) -> tuple[pd.DataFrame, list[str]]:
    """``photos`` with a split-face column per paired metric (``registry.difference``): the
    treated side minus the untreated side of each photo, for every family with both sides
    in ``photos`` and at least one in ``metrics``. No column when ``treated`` is None.

    Returns
    -------
    (photos, names) : (DataFrame, list of str)
        A copy of ``photos`` with the new columns, and their names in registry order.
    """
    if treated is None:
        return photos, []
    out, names = photos.copy(), []
    for family in registry.paired_families():
        difference = registry.difference(family, treated)
        minuend, subtrahend = difference.difference_of or ("", "")
        if minuend in out and subtrahend in out and {minuend, subtrahend} & set(metrics):
            out[difference.name] = out[minuend].astype(np.float64) - out[subtrahend].astype(
                np.float64
            )
            names.append(difference.name)
    return out, names


def trend_table(
    photos: pd.DataFrame, sessions: pd.DataFrame | None = None, **options
) -> pd.DataFrame:
    """The window table of ``analyse(photos, sessions, **options)`` (see ``Trend.table``)."""
    return analyse(photos, sessions, **options).table


def _choose_metrics(photos: pd.DataFrame, metrics) -> list[str]:
    available = metric_columns(photos)
    if metrics is None:
        # the scales are not outcomes; the profile view's metrics only once there are profiles
        return [
            m
            for m in available
            if registry.get(m).trended
            and (registry.get(m).view == "front" or photos[m].notna().any())
        ]
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in photos.columns]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    return metrics


# --- the noise floor -------------------------------------------------------------------------


def noise_floor(
    long: pd.DataFrame,
    metrics: list[str],
    *,
    sem: float | dict[str, float] | None = None,
    daily: pd.DataFrame | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    at_usual_capture=frozenset(),
) -> pd.DataFrame:
    """The SEM and MDC95 of each metric (``NOISE_COLUMNS``).

    Given values win. Otherwise the SEM is the pooled SD of repeat photos taken the same day
    (photos right after a session form their own group), when at least
    ``noise.MIN_REPEAT_GROUPS`` days have two photos or more, replaced by its upper
    confidence bound (``noise.sem_upper_bound``, 95 %) so that a few repeats cannot make the
    noise look small by luck; it is never taken below the 2-D benchmark's floor
    (``noise.lowest_sem``): burst shots of one sitting agree better than the measurement
    can. Without repeats, the selfie study's SEM (``noise.floor_sem``; the 2-D benchmark's,
    said to be a lower bound, for metrics the study has not measured yet); for the metrics in
    ``at_usual_capture`` (read at the person's usual capture), the study's SEM so read.

    ``daily`` (``windows.daily_values``) adds ``day_sd`` and ``photos_per_day`` (the SD of
    the baseline days, given ``settings.min_days`` of them or more).
    """
    rows = []
    repeats: dict[str, tuple[float, int]] = {}
    if len(long):
        keyed = long.assign(after=long["role"] == "after")
        groups = keyed.groupby(["metric", "date", "after"], sort=False)["value"]
        spread = pd.DataFrame({"var": groups.var(ddof=1), "n": groups.count()})
        for metric, per_group in spread.groupby(level="metric", sort=False):
            repeats[metric] = sem_from_repeats(
                zip(per_group["var"].to_numpy(), per_group["n"].to_numpy()), variances=True
            )
    day_sd, per_day = _day_noise(daily, metrics, settings.min_days)
    for metric in metrics:
        extra = (day_sd.get(metric, math.nan), per_day.get(metric, math.nan))
        if isinstance(sem, (int, float)) or (isinstance(sem, dict) and metric in sem):
            value = float(sem if isinstance(sem, (int, float)) else sem[metric])
            rows.append((metric, value, value, 0, GIVEN_SOURCE, *extra))
            continue
        described = registry.lookup(metric)
        key, kind = (
            (described.noise_key, described.design)
            if described is not None and described.design == SPLIT_FACE
            else (metric, WHOLE_FACE)
        )
        lowest = lowest_sem(key, design=kind)
        measured, dof = repeats.get(metric, (math.nan, 0))
        upper = sem_upper_bound(measured, dof)
        if dof and not upper < lowest:  # a NaN floor (unknown metric) keeps the measure
            rows.append((metric, upper, measured, dof, REPEATS_SOURCE, *extra))
        elif dof:
            rows.append((metric, lowest, measured, dof, FLOOR_SOURCE, *extra))
        else:
            value, source = floor_sem(key, design=kind, at_usual_capture=metric in at_usual_capture)
            rows.append((metric, value, value, 0, source, *extra))
    frame = pd.DataFrame(rows, columns=NOISE_COLUMNS[:-1])
    for column in ("sem", "sem_point", "day_sd", "photos_per_day"):
        frame[column] = frame[column].astype(np.float64)
    frame["dof"] = frame["dof"].astype("int64")
    frame["mdc"] = mdc95(frame["sem"].to_numpy())
    return frame


def _day_noise(
    daily: pd.DataFrame | None, metrics: list[str], min_days: int
) -> tuple[dict[str, float], dict[str, float]]:
    if daily is None or daily.empty:
        return {}, {}
    base = daily.loc[daily["window"] == "baseline"]
    spread = base.groupby("metric")["value"].agg(
        lambda v: float(v.std(ddof=1)) if v.size >= min_days else math.nan
    )
    counts = daily.groupby("metric")["n_photos"].median()
    return spread.to_dict(), counts.astype(np.float64).to_dict()


# --- statistics ------------------------------------------------------------------------------


def welch_interval(
    sample, reference, *, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Difference of means ``mean(sample) - mean(reference)`` and its Welch t interval.

    Each side needs two values or more. Returns ``(change, low, high)``; the interval is
    zero-wide when both sides are constant.
    """
    a = np.asarray(sample, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    change = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return change, change, change
    dof = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * math.sqrt(se2)
    return change, change - half, change + half


def mean_interval(values, *, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and its one-sample t interval: ``(mean, low, high)``. Needs two values or more."""
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(x.size)
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1)) * se
    return mean, mean - half, mean + half


def theil_sen(
    days, values, *, confidence: float = CONFIDENCE, settings: Settings = DEFAULT_SETTINGS
) -> tuple[float, float, float]:
    """Theil–Sen slope per week of ``values`` against ``days`` with its interval.

    Returns ``(slope, low, high)`` in units per week; NaNs when fewer than
    ``settings.min_days`` days or when they span less than ``settings.min_slope_span_days``.
    """
    x = np.asarray(days, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if np.unique(x).size < settings.min_days or np.ptp(x) < settings.min_slope_span_days:
        return math.nan, math.nan, math.nan
    result = stats.theilslopes(y, x / 7.0, alpha=confidence)
    return float(result.slope), float(result.low_slope), float(result.high_slope)


def serial_correlation(
    *sides, min_pairs: int = MIN_SERIAL_PAIRS, max_correlation: float = MAX_SERIAL_CORRELATION
) -> float:
    """Pooled lag-1 autocorrelation of per-day values over consecutive calendar days.

    Parameters
    ----------
    *sides : (days, values) pairs of 1-D arrays
        Each side of a comparison: day numbers (integers; gaps allowed) and the per-day
        values. Residuals are taken from each side's own straight line (its mean when it has
        fewer than ``MIN_DETREND_DAYS`` days), so a real change between the sides, or a
        steady one within a window, is not mistaken for correlated noise.
    min_pairs : int
        Fewest pairs of consecutive days needed; fewer give 0 (no correction).
    max_correlation : float

    Returns
    -------
    float
        ``sum(r_d r_{d+1}) / sum(r_d^2)`` over the sides, corrected for its small-sample
        bias and clipped to ``[0, max_correlation]``: a negative estimate is not allowed to
        shrink the standard error.

    Examples
    --------
    >>> days = np.arange(40)
    >>> round(serial_correlation((days, np.sin(days / 2.0))), 2)
    0.8
    """
    numerator = denominator = 0.0
    pairs = counted = used = 0
    detrended = True
    for days, values in sides:
        days = np.asarray(days, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        if values.size < 2:
            continue
        order = np.argsort(days, kind="stable")
        d, v = days[order], values[order]
        if v.size >= MIN_DETREND_DAYS and np.ptp(d) > 0:
            dc = d - d.mean()
            r = v - v.mean() - dc * (float(dc @ (v - v.mean())) / float(dc @ dc))
        else:
            r = v - v.mean()
            detrended = False
        counted += v.size
        used += 1
        consecutive = np.diff(d) == 1
        numerator += float(np.sum(r[:-1][consecutive] * r[1:][consecutive]))
        denominator += float(np.sum(r * r))
        pairs += int(consecutive.sum())
    if pairs < min_pairs or denominator <= 0:
        return 0.0
    # Short series make the estimate low (residuals from a fitted mean or line sum to 0):
    # E[estimate] ~ -b/n + (1 - c/n) rho with n days per side, b, c = 2, 4.5 for a line
    # (measured by simulation of AR(1) series of 15 and 30 days) and 1, 3 for a mean
    # (Kendall 1954). The inverse is applied before clipping.
    n = counted / used
    b, c = (2.0, 4.5) if detrended else (1.0, 3.0)
    rho = (numerator / denominator + b / n) / max(1.0 - c / n, 0.1)
    return float(np.clip(rho, 0.0, max_correlation))


def compare_days(
    sample,
    reference,
    *,
    sem: float = math.nan,
    sample_photos=None,
    reference_photos=None,
    sample_days=None,
    reference_days=None,
    confidence: float = CONFIDENCE,
    extra_variance: float = 0.0,
    extra_dof: float = math.inf,
) -> dict:
    """The change ``mean(sample) - mean(reference)`` of per-day values and its Welch test,
    with the noise floor and the serial correlation allowed for (see the module), and
    ``extra_variance`` (with ``extra_dof`` degrees of freedom) added to the change's: the
    error of the capture levers' slopes (``tracker.analysis.levers.capture_variance``).

    Parameters
    ----------
    sample, reference : 1-D arrays
        Per-day values; each side needs two or more.
    sem : float
        SEM of one photo; NaN for no floor. Each side's per-day variance is taken as at least
        ``sem**2 * mean(1 / photos per day)``.
    sample_photos, reference_photos : 1-D arrays, optional
        Photos behind each per-day value (default 1).
    sample_days, reference_days : 1-D arrays, optional
        Day numbers, for the serial correlation (default: none estimated).
    confidence : float

    Returns
    -------
    dict
        ``change``, ``ci_low``, ``ci_high`` (raw interval), ``se``, ``dof``,
        ``day_correlation``, ``p_value`` (raw, two-sided).
    """
    a = np.asarray(sample, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    rho = 0.0
    if sample_days is not None and reference_days is not None:
        rho = serial_correlation((sample_days, a), (reference_days, b))
    inflate = (1.0 + rho) / (1.0 - rho)
    terms, effective = [], []
    for values, photos in ((a, sample_photos), (b, reference_photos)):
        photos = np.ones(values.size) if photos is None else np.asarray(photos, np.float64)
        var = float(values.var(ddof=1))
        if math.isfinite(sem):
            var = max(var, sem**2 * float(np.mean(1.0 / photos)))
        terms.append(inflate * var / values.size)
        effective.append(max(values.size / inflate, 2.0))
    se2 = sum(terms) + extra_variance
    dof = (
        se2**2
        / (
            sum(t**2 / (n - 1.0) for t, n in zip(terms, effective))
            + (extra_variance**2 / extra_dof if extra_variance > 0 else 0.0)
        )
        if se2 > 0
        else float(sum(effective) - 2.0)
    )
    return _t_result(float(a.mean() - b.mean()), math.sqrt(se2), dof, rho, confidence=confidence)


def compare_pairs(
    changes,
    *,
    sem: float = math.nan,
    photos_before=None,
    photos_after=None,
    confidence: float = CONFIDENCE,
    extra_variance: float = 0.0,
    extra_dof: float = math.inf,
) -> dict:
    """The mean of sessions' after-minus-before changes and its one-sample t test; each
    change's variance is taken as at least ``sem**2 * (1 / photos before + 1 / photos
    after)``, and ``extra_variance`` (``extra_dof`` degrees of freedom; the capture levers'
    slope error, as in ``compare_days``) is added to the mean's. Returns the keys of
    ``compare_days``."""
    x = np.asarray(changes, dtype=np.float64)
    var = float(x.var(ddof=1))
    if math.isfinite(sem):
        before = np.ones(x.size) if photos_before is None else np.asarray(photos_before, float)
        after = np.ones(x.size) if photos_after is None else np.asarray(photos_after, float)
        var = max(var, sem**2 * float(np.mean(1.0 / before + 1.0 / after)))
    return _t_result(
        float(x.mean()),
        math.sqrt(var / x.size + extra_variance),
        _welch_dof(var / x.size, x.size - 1.0, extra_variance, extra_dof),
        0.0,
        confidence=confidence,
    )


def _welch_dof(variance: float, dof: float, extra_variance: float, extra_dof: float) -> float:
    """Satterthwaite's degrees of freedom of ``variance`` (``dof``) plus ``extra_variance``
    (``extra_dof``)."""
    if extra_variance <= 0:
        return dof
    total = variance + extra_variance
    return total**2 / (variance**2 / dof + extra_variance**2 / extra_dof)


def _t_result(change: float, se: float, dof: float, rho: float, *, confidence: float) -> dict:
    if se > 0:  # scipy.special's t functions: a hundred times faster than scipy.stats'
        p = float(2.0 * special.stdtr(dof, -abs(change) / se))
        half = float(special.stdtrit(dof, 0.5 + confidence / 2)) * se
    else:  # constant values and no floor
        p, half = (0.0 if change else 1.0), 0.0
    return {
        "change": change,
        "ci_low": change - half,
        "ci_high": change + half,
        "se": se,
        "dof": float(dof),
        "day_correlation": rho,
        "p_value": p,
    }


def family_control(rows: list[dict], *, alpha: float = FAMILY_ALPHA) -> None:
    """Decide ``detectable`` for one family of tests, in place (``family.weighted_holm``).

    Each row with a ``p_value`` gets ``p_adjusted``, ``threshold`` (the smallest change its
    test could call detectable at its step of the procedure) and ``detectable`` (True when
    ``p_adjusted <= alpha``); rows without a test keep ``detectable`` None. Primary and
    exploratory rows are weighted by ``family.holm_weights``.
    """
    made = [r for r in rows if _finite(r.get("p_value"))]
    for row in rows:
        if row not in made:
            row.update(p_adjusted=math.nan, threshold=math.nan, detectable=None)
    if not made:
        return
    weights = holm_weights([r["outcome"] for r in made])
    adjusted, levels = weighted_holm([r["p_value"] for r in made], weights, alpha=alpha)
    for row, p_adj, level in zip(made, adjusted, levels):
        critical = float(special.stdtrit(row["dof"], 1.0 - level / 2.0))
        row.update(
            p_adjusted=float(p_adj), threshold=critical * row["se"], detectable=bool(p_adj <= alpha)
        )


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def days_needed(
    change: float,
    *,
    day_sd: float,
    sem: float,
    baseline_days: int,
    photos_per_day: float,
    baseline_photos_per_day: float,
    level: float,
    correlation: float = 0.0,
    power: float = PLANNING_POWER,
) -> float:
    """How many days of photos a window needs for a true ``change`` to be called detectable
    with probability ``power``, against the baseline the person has.

    A per-day value's variance is split into a day effect and photo noise:
    ``day_sd**2 = sigma_day**2 + sem**2 / baseline_photos_per_day``; with k photos a day a
    window's day varies by ``sigma_day**2 + sem**2 / k``. The change must reach
    ``(z(1 - level / 2) + z(power)) * SE`` (normal approximation), with
    ``SE**2 = f * (day_sd**2 / baseline_days + (sigma_day**2 + sem**2 / k) / n)`` and
    ``f = (1 + rho) / (1 - rho)``.

    Returns
    -------
    float
        The fewest days ``n`` (rounded up); ``inf`` when no number of days suffices (the
        baseline alone is too noisy), NaN when the noise is unknown.

    Examples
    --------
    >>> days_needed(1.0, day_sd=0.5, sem=0.45, baseline_days=14, photos_per_day=1,
    ...             baseline_photos_per_day=1, level=0.05)
    3.0
    """
    if not all(_finite(v) for v in (change, day_sd, sem, photos_per_day, level)):
        return math.nan
    k_base = baseline_photos_per_day if _finite(baseline_photos_per_day) else photos_per_day
    sigma_day2 = max(0.0, day_sd**2 - sem**2 / k_base)
    window_var = sigma_day2 + sem**2 / photos_per_day
    inflate = (1.0 + correlation) / (1.0 - correlation)
    z = float(stats.norm.ppf(1.0 - level / 2.0) + stats.norm.ppf(power))
    room = (abs(change) / z) ** 2 / inflate - day_sd**2 / max(baseline_days, 1)
    if room <= 0:
        return math.inf
    return float(math.ceil(window_var / room))


_TOO_FEW = {
    "change": math.nan,
    "ci_low": math.nan,
    "ci_high": math.nan,
    "se": math.nan,
    "dof": math.nan,
    "day_correlation": math.nan,
    "p_value": math.nan,
}


def _immediate(pairs: pd.DataFrame, sem: float, settings: Settings, lever=None) -> dict:
    """The immediate window: the mean before/after change of the sessions' pairs; ``lever``
    (``levers.lever_uncertainty``) adds the slopes' error for the mean change of capture
    between the photos before and after."""
    n = len(pairs)
    counts = {
        "n_sessions": n,
        "n_days": None,
        "n_photos": int(pairs["n_before"].sum() + pairs["n_after"].sum()),
        "n_baseline": None,
    }
    names, cov, dof = lever if lever is not None else ([], None, math.inf)
    if n < settings.min_pairs:
        return {
            **counts,
            **_TOO_FEW,
            "note": f"not enough photos: need before and after photos of at least "
            f"{settings.min_pairs} sessions (have {n})",
        }
    return {
        **counts,
        **compare_pairs(
            pairs["change"],
            sem=sem,
            photos_before=pairs["n_before"],
            photos_after=pairs["n_after"],
            extra_variance=weighted_capture_variance(names, cov, pairs, np.full(n, 1.0 / n)),
            extra_dof=dof,
        ),
        "note": None,
    }


def _days(inside: pd.DataFrame, base: pd.DataFrame, sem: float, lever=None) -> dict:
    """``compare_days`` of two per-day frames; ``lever`` (``levers.lever_uncertainty``) adds
    the error of the capture levers' slopes for the difference of their mean captures."""
    names, cov, dof = lever if lever is not None else ([], None, math.inf)
    return compare_days(
        inside["value"].to_numpy(),
        base["value"].to_numpy(),
        sem=sem,
        sample_photos=inside["n_photos"].to_numpy(),
        reference_photos=base["n_photos"].to_numpy(),
        sample_days=_day_numbers(inside),
        reference_days=_day_numbers(base),
        extra_variance=capture_variance(names, cov, inside, base) if names else 0.0,
        extra_dof=dof,
    )


def _day_numbers(days: pd.DataFrame) -> np.ndarray:
    return days["date"].to_numpy("datetime64[D]").astype(np.int64).astype(np.float64)


def _compare(
    inside: pd.DataFrame, base: pd.DataFrame, sem: float, settings: Settings, lever=None
) -> dict:
    n, nb = len(inside), len(base)
    counts = {
        "n_sessions": None,
        "n_days": n,
        "n_photos": int(inside["n_photos"].sum()),
        "n_baseline": nb,
    }
    if n < settings.min_days or nb < settings.min_days:
        return {
            **counts,
            **_TOO_FEW,
            "note": _too_few_days(n, nb, "in the window", settings.min_days),
        }
    return {**counts, **_days(inside, base, sem, lever), "note": None}


def _too_few_days(n: int, nb: int, where: str, min_days: int) -> str:
    return (
        f"not enough photos: need at least {min_days} days {where} and {min_days} "
        f"baseline days (have {n} and {nb})"
    )


def _monthly(
    common: dict,
    treated: pd.DataFrame,
    base: pd.DataFrame,
    sem: float,
    settings: Settings,
    lever=None,
) -> list[dict]:
    rows: list[dict] = []
    if treated.empty:
        return rows
    months = treated["date"].to_numpy("datetime64[M]")
    day, value = treated["day"].to_numpy(), treated["value"].to_numpy()
    photos = treated["n_photos"].to_numpy()
    for month in np.unique(months):
        inside = months == month
        n = int(inside.sum())
        row = {
            **common,
            "month": str(month),
            "first_day": int(day[inside].min()),
            "last_day": int(day[inside].max()),
            "n_days": n,
            "n_photos": int(photos[inside].sum()),
            "mean": float(value[inside].mean()),
        }
        if n < settings.min_days or len(base) < settings.min_days:
            row.update(
                _TOO_FEW, note=_too_few_days(n, len(base), "in the month", settings.min_days)
            )
        else:
            row.update(_days(treated.loc[inside], base, sem, lever), note=None)
        rows.append(row)
    return rows


def _fades(
    common: dict,
    days: pd.DataFrame,
    base: pd.DataFrame,
    pause_log: pd.DataFrame,
    sem: float,
    latest,
    settings: Settings,
    lever=None,
) -> list[dict]:
    rows: list[dict] = []
    if pause_log.empty:
        return rows
    treated = days.loc[days["window"] != "baseline"]
    one_day = pd.Timedelta(days=1)
    fade_days, min_days = settings.fade_days, settings.min_days
    for pause in pause_log.itertuples(index=False):
        last = pause.last_session.normalize()
        end = (
            pd.Timestamp(latest).normalize() + one_day
            if pause.ongoing
            else pause.resumed.normalize()
        )
        before = treated.loc[
            (treated["date"] > last - fade_days * one_day) & (treated["date"] <= last)
        ]
        during = treated.loc[
            (treated["date"] > last)
            & (treated["date"] < end)
            & (treated["date"] >= end - fade_days * one_day)
        ]
        row = {
            **common,
            "last_session": pause.last_session,
            "resumed": pause.resumed,
            "pause_days": float(pause.days),
            "ongoing": bool(pause.ongoing),
            "n_before": len(before),
            "n_during": len(during),
            "gain": (
                float(before["value"].mean() - base["value"].mean())
                if len(before) and len(base)
                else math.nan
            ),
        }
        if len(before) < min_days or len(during) < min_days:
            row.update(
                _TOO_FEW,
                note=(
                    f"not enough photos: need at least {min_days} days in the last "
                    f"{fade_days} days on treatment and in the pause's last "
                    f"{fade_days} days (have {len(before)} and {len(during)})"
                ),
            )
        else:
            row.update(_days(during, before, sem, lever), note=None)
        rows.append(row)
    return rows


def _verdict(row: dict) -> str | None:
    if row["detectable"] is None:
        return None
    if not row["detectable"]:
        return "held"
    gain = row["gain"]
    towards_baseline = math.isfinite(gain) and np.sign(row["change"]) == -np.sign(gain)
    return "faded" if towards_baseline else "kept changing"


def _frame(rows: list[dict], columns: list[str], *, ints: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in ints:
        frame[column] = frame[column].astype("Int64")
    if "detectable" in frame:
        frame["detectable"] = frame["detectable"].astype(object)
        frame.loc[frame["detectable"].isna(), "detectable"] = None
    return frame


ON_OFF_WINDOW = "on vs off"


def on_off(
    days: pd.DataFrame,
    plan: Plan,
    sem: float,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    lever=None,
) -> dict:
    """On days against off days of an on/off plan, allowing for a slow drift.

    The per-day values from the plan's start to its end are fitted by least squares with an
    intercept, an on/off indicator (``Plan.on``) and a straight line in time (the drift: a
    season, a slow change of habit, an effect that builds over the weeks); the change is the
    indicator's coefficient. Blocks alternate, so a straight drift is not confused with the
    on/off difference. The residual variance is taken as at least the photo noise
    (``sem**2 / photos that day``), as in ``compare_days``.
    ``lever`` (``levers.lever_uncertainty``) adds the capture levers' slope error for the
    on/off coefficient (its weights applied to each day's mean capture).

    Returns
    -------
    dict
        ``window`` ("on vs off"), the counts (``n_days``: days in the plan, ``n_baseline``:
        of them off days), ``change`` and the keys of ``compare_days``, ``note``.
    """
    start, end = pd.Timestamp(plan.start), pd.Timestamp(plan.end)
    inside = days.loc[(days["date"] >= start) & (days["date"] <= end)]
    on = np.array([plan.on(d.date()) for d in inside["date"]], dtype=bool)
    n_on, n_off = int(on.sum()), int((~on).sum())
    counts = {
        "window": ON_OFF_WINDOW,
        "n_sessions": None,
        "n_days": len(inside),
        "n_photos": int(inside["n_photos"].sum()),
        "n_baseline": n_off,
    }
    min_days = settings.min_days
    if n_on < min_days or n_off < min_days:
        return {
            **counts,
            **_TOO_FEW,
            "note": (
                f"not enough photos: need at least {min_days} days on and {min_days} days "
                f"off treatment (have {n_on} and {n_off})"
            ),
        }
    weeks = ((inside["date"] - start) / pd.Timedelta(days=7)).to_numpy(np.float64)
    design = np.column_stack([np.ones(on.size), on.astype(np.float64), weeks - weeks.mean()])
    values = inside["value"].to_numpy(np.float64)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    dof = float(values.size - design.shape[1])
    if dof < 1:
        return {**counts, **_TOO_FEW, "note": "not enough photos: too few days for the drift"}
    residual = values - design @ coef
    var = float(residual @ residual) / dof
    if math.isfinite(sem):
        var = max(var, sem**2 * float(np.mean(1.0 / inside["n_photos"].to_numpy(np.float64))))
    inverse = np.linalg.inv(design.T @ design)
    cov = var * inverse
    names, lever_cov, lever_dof = lever if lever is not None else ([], None, math.inf)
    # the on/off coefficient is (inverse @ design.T)[1] @ values
    extra = weighted_capture_variance(names, lever_cov, inside, (inverse @ design.T)[1])
    result = _t_result(
        float(coef[1]),
        math.sqrt(float(cov[1, 1]) + extra),
        _welch_dof(float(cov[1, 1]), dof, extra, lever_dof),
        0.0,
        confidence=CONFIDENCE,
    )
    return {**counts, **result, "note": None}
