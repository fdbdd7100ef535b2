"""Trend statistics: the change in each window with its 95 % CI and MDC, Theil–Sen slopes,
months since the first treatment, and whether gains held through pauses.

The statistics work on per-day values (``windows.daily_values``), not on photos: photos of
one day share that day's light, sleep and swelling, so they are not independent samples, and
a day photographed five times must not outweigh five days photographed once.

"Detectable" is conservative: the change must exceed the measurement's minimal detectable
change (MDC95 = 1.96 x sqrt(2) x SEM, the issue's definition) *and* its 95 % confidence
interval must exclude zero. The MDC guards against measurement noise, the interval against
day-to-day variation (a single odd week). The MDC is that of one photo against one photo;
averaging k photos per side would shrink the noise of a mean by sqrt(k), but the issue
defines MDC95 on the SEM, and the plain threshold stays conservative and easy to explain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import stats

from tracker.analysis.capture import consistent_distance
from tracker.analysis.noise import (
    DEFAULT_SEM,
    DEFAULT_SEM_SOURCE,
    FLOOR_SOURCE,
    GIVEN_SOURCE,
    REPEATS_SOURCE,
    mdc95,
    sem_from_repeats,
)
from tracker.analysis.windows import (
    IMMEDIATE_HOURS,
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
from tracker.settings import DEFAULT_SETTINGS

# Thresholds live in tracker.settings (their reasons are given there).
MIN_DAYS = DEFAULT_SETTINGS.min_days
MIN_PAIRS = DEFAULT_SETTINGS.min_pairs
FADE_DAYS = DEFAULT_SETTINGS.fade_days
MIN_SLOPE_SPAN_DAYS = DEFAULT_SETTINGS.min_slope_span_days
CONFIDENCE = 0.95

TABLE_COLUMNS = [
    "metric",
    "window",
    "n_sessions",
    "n_days",
    "n_photos",
    "n_baseline",
    "change",
    "ci_low",
    "ci_high",
    "mdc",
    "detectable",
    "slope_per_week",
    "slope_ci_low",
    "slope_ci_high",
    "sem",
    "noise_source",
    "note",
]
MONTHLY_COLUMNS = [
    "metric",
    "month",
    "first_day",
    "last_day",
    "n_days",
    "n_photos",
    "mean",
    "change",
    "ci_low",
    "ci_high",
    "mdc",
    "detectable",
    "note",
]
FADE_COLUMNS = [
    "metric",
    "last_session",
    "resumed",
    "pause_days",
    "ongoing",
    "n_before",
    "n_during",
    "gain",
    "change",
    "ci_low",
    "ci_high",
    "mdc",
    "detectable",
    "verdict",
    "note",
]
NOISE_COLUMNS = ["metric", "sem", "dof", "noise_source", "mdc"]
REQUIRED_COLUMNS = ("captured_at", "status")


@dataclass(frozen=True)
class Trend:
    """Everything ``analyse`` found, as tidy frames (one row per metric and window, day,
    pair, month or pause) for the CLI, the charts and the report.

    Attributes
    ----------
    table : DataFrame
        The window table, ``TABLE_COLUMNS``: one row per metric and window (``WINDOWS``).
        What the statistic is computed on: ``n_sessions`` before/after pairs (sessions) for
        "immediate", ``n_days`` per-day values for the others (each NA in the other kind
        of row); ``n_photos`` the photos behind them;
        ``n_baseline`` the baseline days (NA for "immediate"). ``change`` is in the metric's
        unit, ``ci_low``/``ci_high`` its 95 % interval, ``mdc`` the MDC95, ``detectable``
        True/False (None with too few photos, and ``note`` says why). ``slope_per_week`` and
        its interval: the metric's Theil–Sen trend over the days since the first treatment
        (the same on each of the metric's rows). ``sem`` and ``noise_source`` say where the
        noise floor comes from.
    daily : DataFrame
        Per-day values (``windows.daily_values``).
    pairs : DataFrame
        Before/after pairs of each session (``windows.immediate_pairs``).
    monthly : DataFrame
        ``MONTHLY_COLUMNS``: per metric and calendar month from day 0 on, the mean change
        against the baseline with its interval.
    fade : DataFrame
        ``FADE_COLUMNS``: per metric and pause in the treatment log, the change from the last
        week on treatment to the pause's last week, and a verdict: "faded" (a detectable
        change back towards the baseline), "held" (no detectable change), "kept changing"
        (a detectable change away from it), or None (too few photos).
    noise : DataFrame
        ``NOISE_COLUMNS``: per metric the SEM used, its degrees of freedom (0 when not
        measured on this library), where it comes from and the MDC95.
    baseline : Baseline
        The rule used, the baseline's end and day 0.
    n_sessions, n_accepted, n_rejected : int
        Logged sessions, photos used and photos left out.
    rejected : dict
        Kind of reason -> photos left out for it, most frequent first.
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


def analyse(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    metrics: list[str] | tuple[str, ...] | None = None,
    baseline_until: date | datetime | str | None = None,
    sem: float | dict[str, float] | None = None,
    hours: float = IMMEDIATE_HOURS,
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
        Default: every metric column in ``photos`` except ``interpupillary_mm`` (the scale
        itself, constant under the person scale).
    baseline_until : date, datetime or ISO 8601 str, optional
        End of the baseline (a date includes its whole day). Default: the photos before
        the first session, else the first week of photos.
    sem : float or dict, optional
        The SEM to use (for every metric, or per metric) instead of measuring it.
    hours : float
        How close to a session an untagged photo must be to count as before or after it.

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
    # tables of earlier versions (mouth corner and cheek heights) read as today's
    photos = registry.upgrade_columns(photos)
    if metrics is not None:
        metrics = [registry.resolve(m) for m in metrics]
    metrics = _choose_metrics(photos, metrics)
    photos = consistent_distance(consistent_pose(photos))
    baseline = choose_baseline(photos, sessions, baseline_until=baseline_until)
    long = prepare(photos, sessions, baseline, metrics, hours=hours)
    daily = daily_values(long)
    pairs = immediate_pairs(long)
    noise = noise_floor(long, metrics, sem=sem)
    latest = long["captured_at"].max() if len(long) else None
    pause_log = pauses(sessions, latest=latest)
    daily_by = {m: g for m, g in daily.groupby("metric", sort=False)}
    pairs_by = {m: g for m, g in pairs.groupby("metric", sort=False)}
    noise_by = noise.set_index("metric")
    empty_daily, empty_pairs = daily.iloc[:0], pairs.iloc[:0]
    rows, months, fades = [], [], []
    for metric in metrics:
        days = daily_by.get(metric, empty_daily)
        level = noise_by.loc[metric]
        mdc = float(level["mdc"])
        base = days.loc[days["window"] == "baseline"]
        treated = days.loc[
            ~days["window"].isin(["baseline", "before treatment"]) & (days["day"] >= 0)
        ]
        slope = theil_sen(treated["day"].to_numpy(), treated["value"].to_numpy())
        shared = {
            "metric": metric,
            "mdc": mdc,
            "slope_per_week": slope[0],
            "slope_ci_low": slope[1],
            "slope_ci_high": slope[2],
            "sem": float(level["sem"]),
            "noise_source": level["noise_source"],
        }
        rows.append(
            {**shared, "window": "immediate", **_immediate(pairs_by.get(metric, empty_pairs), mdc)}
        )
        for window in WINDOWS[1:]:
            inside = days.loc[days["window"] == window]
            rows.append({**shared, "window": window, **_compare(inside, base, mdc)})
        months += _monthly(metric, treated, base, mdc)
        fades += _fades(metric, days, base, pause_log, mdc, latest)
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
    )


def trend_table(
    photos: pd.DataFrame, sessions: pd.DataFrame | None = None, **options
) -> pd.DataFrame:
    """The window table of ``analyse(photos, sessions, **options)`` (see ``Trend.table``)."""
    return analyse(photos, sessions, **options).table


def _choose_metrics(photos: pd.DataFrame, metrics) -> list[str]:
    available = metric_columns(photos)
    if metrics is None:
        return [m for m in available if registry.get(m).trended]  # the scales are not outcomes
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in photos.columns]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    return metrics


# --- the noise floor -------------------------------------------------------------------------


def noise_floor(
    long: pd.DataFrame, metrics: list[str], *, sem: float | dict[str, float] | None = None
) -> pd.DataFrame:
    """The SEM and MDC95 of each metric (``NOISE_COLUMNS``).

    Given values win. Otherwise the SEM is the pooled SD of repeat photos taken the same day
    (photos right after a session form their own group), when at least
    ``noise.MIN_REPEAT_GROUPS`` days have two photos or more; it is never taken below the
    benchmark's noise floor (``DEFAULT_SEM``): burst shots of one sitting agree better than
    the measurement can. Without repeats, the benchmark's SEM (a lower bound: it holds pose,
    expression and light fixed).
    """
    rows = []
    grouped = {}
    if len(long):
        keyed = long.assign(after=long["role"] == "after")
        grouped = {m: g for m, g in keyed.groupby("metric", sort=False)}
    for metric in metrics:
        if isinstance(sem, (int, float)) or (isinstance(sem, dict) and metric in sem):
            value = float(sem if isinstance(sem, (int, float)) else sem[metric])
            rows.append((metric, value, 0, GIVEN_SOURCE))
            continue
        floor = DEFAULT_SEM.get(metric, math.nan)
        measured, dof = math.nan, 0
        if metric in grouped:
            measured, dof = sem_from_repeats(grouped[metric].groupby(["date", "after"])["value"])
        if dof and not measured < floor:  # a NaN floor (unknown metric) keeps the measure
            rows.append((metric, measured, dof, REPEATS_SOURCE))
        elif dof:
            rows.append((metric, floor, dof, FLOOR_SOURCE))
        else:
            rows.append((metric, floor, 0, DEFAULT_SEM_SOURCE))
    frame = pd.DataFrame(rows, columns=NOISE_COLUMNS[:-1])
    frame["sem"] = frame["sem"].astype(np.float64)
    frame["dof"] = frame["dof"].astype("int64")
    frame["mdc"] = mdc95(frame["sem"].to_numpy())
    return frame


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


def theil_sen(days, values, *, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Theil–Sen slope per week of ``values`` against ``days`` with its interval.

    Returns ``(slope, low, high)`` in units per week; NaNs when fewer than ``MIN_DAYS`` days
    or when they span less than ``MIN_SLOPE_SPAN_DAYS``.
    """
    x = np.asarray(days, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if np.unique(x).size < MIN_DAYS or np.ptp(x) < MIN_SLOPE_SPAN_DAYS:
        return math.nan, math.nan, math.nan
    result = stats.theilslopes(y, x / 7.0, alpha=confidence)
    return float(result.slope), float(result.low_slope), float(result.high_slope)


def is_detectable(change: float, low: float, high: float, mdc: float) -> bool | None:
    """True when ``|change| > mdc`` and the interval excludes 0; None when unknown."""
    if not all(math.isfinite(v) for v in (change, low, high, mdc)):
        return None
    return bool(abs(change) > mdc and (low > 0 or high < 0))


def _result(change, low, high, mdc) -> dict:
    return {
        "change": change,
        "ci_low": low,
        "ci_high": high,
        "detectable": is_detectable(change, low, high, mdc),
    }


_TOO_FEW = {"change": math.nan, "ci_low": math.nan, "ci_high": math.nan, "detectable": None}


def _immediate(pairs: pd.DataFrame, mdc: float) -> dict:
    n = len(pairs)
    counts = {
        "n_sessions": n,
        "n_days": None,
        "n_photos": int(pairs["n_before"].sum() + pairs["n_after"].sum()),
        "n_baseline": None,
    }
    if n < MIN_PAIRS:
        return {
            **counts,
            **_TOO_FEW,
            "note": f"not enough photos: need before and after photos of at least "
            f"{MIN_PAIRS} sessions (have {n})",
        }
    return {**counts, **_result(*mean_interval(pairs["change"]), mdc), "note": _note(mdc)}


def _compare(inside: pd.DataFrame, base: pd.DataFrame, mdc: float) -> dict:
    n, nb = len(inside), len(base)
    counts = {
        "n_sessions": None,
        "n_days": n,
        "n_photos": int(inside["n_photos"].sum()),
        "n_baseline": nb,
    }
    if n < MIN_DAYS or nb < MIN_DAYS:
        return {**counts, **_TOO_FEW, "note": _too_few_days(n, nb, "in the window")}
    return {
        **counts,
        **_result(*welch_interval(inside["value"], base["value"]), mdc),
        "note": _note(mdc),
    }


def _too_few_days(n: int, nb: int, where: str) -> str:
    return (
        f"not enough photos: need at least {MIN_DAYS} days {where} and {MIN_DAYS} "
        f"baseline days (have {n} and {nb})"
    )


def _note(mdc: float) -> str | None:
    return None if math.isfinite(mdc) else "no noise floor known for this metric"


def _monthly(metric: str, treated: pd.DataFrame, base: pd.DataFrame, mdc: float) -> list[dict]:
    rows: list[dict] = []
    if treated.empty:
        return rows
    months = treated["date"].dt.to_period("M")
    for month, days in treated.groupby(months, sort=True):
        row = {
            "metric": metric,
            "month": str(month),
            "first_day": int(days["day"].min()),
            "last_day": int(days["day"].max()),
            "n_days": len(days),
            "n_photos": int(days["n_photos"].sum()),
            "mdc": mdc,
            "mean": float(days["value"].mean()),
        }
        if len(days) < MIN_DAYS or len(base) < MIN_DAYS:
            row.update(_TOO_FEW, note=_too_few_days(len(days), len(base), "in the month"))
        else:
            row.update(_result(*welch_interval(days["value"], base["value"]), mdc), note=_note(mdc))
        rows.append(row)
    return rows


def _fades(
    metric: str, days: pd.DataFrame, base: pd.DataFrame, pause_log: pd.DataFrame, mdc: float, latest
) -> list[dict]:
    rows = []
    treated = days.loc[days["window"] != "baseline"]
    one_day = pd.Timedelta(days=1)
    for pause in pause_log.itertuples(index=False):
        last = pause.last_session.normalize()
        end = (
            pd.Timestamp(latest).normalize() + one_day
            if pause.ongoing
            else pause.resumed.normalize()
        )
        before = treated.loc[
            (treated["date"] > last - FADE_DAYS * one_day) & (treated["date"] <= last)
        ]
        during = treated.loc[
            (treated["date"] > last)
            & (treated["date"] < end)
            & (treated["date"] >= end - FADE_DAYS * one_day)
        ]
        row = {
            "metric": metric,
            "last_session": pause.last_session,
            "resumed": pause.resumed,
            "pause_days": float(pause.days),
            "ongoing": bool(pause.ongoing),
            "n_before": len(before),
            "n_during": len(during),
            "mdc": mdc,
            "gain": (
                float(before["value"].mean() - base["value"].mean())
                if len(before) and len(base)
                else math.nan
            ),
        }
        if len(before) < MIN_DAYS or len(during) < MIN_DAYS:
            row.update(
                _TOO_FEW,
                verdict=None,
                note=(
                    f"not enough photos: need at least {MIN_DAYS} days in the last "
                    f"{FADE_DAYS} days on treatment and in the pause's last "
                    f"{FADE_DAYS} days (have {len(before)} and {len(during)})"
                ),
            )
        else:
            result = _result(*welch_interval(during["value"], before["value"]), mdc)
            row.update(result, verdict=_verdict(result, row["gain"]), note=_note(mdc))
        rows.append(row)
    return rows


def _verdict(result: dict, gain: float) -> str | None:
    if result["detectable"] is None:
        return None
    if not result["detectable"]:
        return "held"
    towards_baseline = math.isfinite(gain) and np.sign(result["change"]) == -np.sign(gain)
    return "faded" if towards_baseline else "kept changing"


def _frame(rows: list[dict], columns: list[str], *, ints: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in ints:
        frame[column] = frame[column].astype("Int64")
    if "detectable" in frame:
        frame["detectable"] = frame["detectable"].astype(object)
        frame.loc[frame["detectable"].isna(), "detectable"] = None
    return frame
