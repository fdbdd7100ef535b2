"""Plain-language text from the analysis: readable metric names, the sentences the report
leads with, the photos left out, and the window table as text lines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from tracker.analysis.family import EXPLORATORY, FAMILY_ALPHA, holm_weights
from tracker.analysis.noise import (
    DEFAULT_SEM_SOURCE,
    FLOOR_SOURCE,
    GIVEN_SOURCE,
    REPEATS_SOURCE,
    SELFIE_AT_USUAL_SOURCE,
    SELFIE_SOURCE,
)
from tracker.analysis.trend import PLANNING_POWER, days_needed
from tracker.formatting import and_list, none_if_nan, number, plural, text_table
from tracker.metrics import registry
from tracker.settings import DEFAULT_SETTINGS, Settings

METRIC_LABELS = {m.name: m.label for m in registry.METRICS}
# How each window reads after a change, and as the thing there are not enough photos for.
WINDOW_PHRASES = {
    "immediate": "right after a session",
    "2-4 weeks": "after 2–4 weeks",
    "long term": "after more than 4 weeks",
    "on vs off": "on treatment against off (allowing for a drift)",
}
WINDOW_NAMES = {
    "immediate": "the immediate effect",
    "2-4 weeks": "2–4 weeks",
    "long term": "the long term",
    "on vs off": "the on/off comparison",
}
_SOURCE_TEXT = {
    REPEATS_SOURCE: "repeat photos taken the same day (upper 95% bound)",
    FLOOR_SOURCE: "the 2-D benchmark's floor, as repeat photos varied less",
    SELFIE_SOURCE: "the selfie study, as there are no repeat photos (take two photos per "
    "sitting to measure your own)",
    SELFIE_AT_USUAL_SOURCE: "the selfie study read at the usual capture, as there are no "
    "repeat photos",
    DEFAULT_SEM_SOURCE: "the 2-D benchmark, a lower bound, as there are no repeat photos and "
    "no selfie study yet",
    GIVEN_SOURCE: "the values given",
}


def metric_label(metric: str) -> str:
    """ "jaw_angle_left_deg" -> "Jaw angle (left)" (left/right are the subject's own)."""
    return registry.label(metric)


def metric_unit(metric: str) -> tuple[str, int]:
    """The unit of a metric and the decimals worth printing: ("mm", 2), ("deg", 1), ("%", 2);
    ("", 2) for a column the registry does not know."""
    return registry.unit_text(metric), registry.decimals(metric)


def _number(value: float, metric: str, *, signed: bool = False, unit: bool = True) -> str:
    name, decimals = metric_unit(metric)
    text = number(value, decimals, signed=signed)
    if not unit or not name:
        return text
    return f"{text}{name}" if name == "%" else f"{text} {name}"


def _finite(value) -> bool:
    return none_if_nan(value) is not None


def _change_text(row, metric: str) -> str:
    return (
        f"{_number(row.change, metric, signed=True)} (95% CI "
        f"{_number(row.ci_low, metric, unit=False)} to "
        f"{_number(row.ci_high, metric, unit=False)})"
    )


def _judgement(row, metric: str) -> str:
    threshold = f"the {_number(row.threshold, metric)} detection threshold"
    if row.detectable:
        return f"above {threshold}"
    if _finite(row.threshold) and abs(row.change) > row.threshold:
        return (
            f"larger than {threshold}, but a stronger test of this report failed first: "
            "not a detectable change yet"
        )
    return f"within {threshold}: not a detectable change"


def _label(row) -> str:
    """The metric's label, marked when the metric is exploratory (not a primary outcome)."""
    label = metric_label(row.metric)
    return f"Exploratory: {label}" if getattr(row, "outcome", None) == EXPLORATORY else label


def summary_sentences(
    table: pd.DataFrame,
    *,
    fade: pd.DataFrame | None = None,
    combine: bool = False,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[str]:
    """Plain-language lines for a window table (``Trend.table``), window by window.

    One sentence per metric and window, e.g. "Brow height (left) +0.82 mm (95% CI 0.31 to
    1.33) after 2–4 weeks, above the 0.45 mm detection threshold." or "... within the 0.45 mm
    detection threshold: not a detectable change." The threshold is the smallest change the
    row's test could call detectable after the report's family-wise control; an exploratory
    metric's sentence starts "Exploratory:". A window with too few photos for every metric gets one
    "Not enough photos yet for ..." line. With ``combine``, the metrics of a window without
    a detectable change share one line (for tables of many metrics). With ``fade``
    (``Trend.fade``), one line per metric and pause says whether the gain held; give the
    trend's ``settings`` (``Trend.settings``) for the length of the weeks it compares.
    """
    lines: list[str] = []
    for window in WINDOW_PHRASES:
        rows = table.loc[table["window"] == window]
        if rows.empty:
            continue
        if rows["detectable"].isna().all():
            reason = str(rows["note"].iloc[0]).removeprefix("not enough photos: ")
            lines.append(f"Not enough photos yet for {WINDOW_NAMES[window]}: {reason}.")
            continue
        where = WINDOW_PHRASES[window]
        if window == "immediate":
            where += f" (mean of {int(rows['n_sessions'].max())} sessions)"
        quiet = []
        for row in rows.itertuples(index=False):
            label = _label(row)
            if row.detectable is None:
                lines.append(f"{label}: not enough photos yet for {WINDOW_NAMES[window]}.")
            elif combine and not row.detectable:
                quiet.append(f"{label} {_number(row.change, row.metric, signed=True)}")
            else:
                lines.append(
                    f"{label} {_change_text(row, row.metric)} {where}, "
                    f"{_judgement(row, row.metric)}."
                )
        if quiet:
            lines.append(
                f"No detectable change {WINDOW_PHRASES[window]} (within the detection "
                f"threshold): {', '.join(quiet)}."
            )
    if fade is not None:
        lines += _fade_sentences(fade, combine=combine, fade_days=settings.fade_days)
    return lines


def _pause_text(row) -> str:
    when = f"{row.last_session:%Y-%m-%d}"
    if row.ongoing:
        return f"in the {row.pause_days:.0f} days since the last session on {when}"
    return f"during the {row.pause_days:.0f}-day pause after {when}"


def _fade_sentences(fade: pd.DataFrame, *, combine: bool, fade_days: int) -> list[str]:
    lines: list[str] = []
    for _, rows in fade.groupby("last_session", sort=True):
        if rows["verdict"].isna().all():
            lines.append(
                f"Not enough photos {_pause_text(rows.iloc[0])} to tell whether the gains held."
            )
            continue
        held = []
        for row in rows.itertuples(index=False):
            label = _label(row)
            if row.verdict is None:
                lines.append(f"{label}: not enough photos {_pause_text(row)}.")
            elif combine and row.verdict == "held":
                held.append(f"{label} {_number(row.change, row.metric, signed=True)}")
            else:
                verdict = {
                    "faded": "the gain faded",
                    "held": "no detectable change, the gain held",
                    "kept changing": "still changing, away from the baseline",
                }
                lines.append(
                    f"{label} {_change_text(row, row.metric)} {_pause_text(row)} "
                    f"(its last {fade_days} days against the last {fade_days} on "
                    f"treatment): {verdict[row.verdict]}."
                )
        if held:
            lines.append(f"No detectable change {_pause_text(rows.iloc[0])}: {', '.join(held)}.")
    return lines


def monthly_lines(monthly: pd.DataFrame, metrics=None) -> list[str]:
    """The long-term window month by month (``Trend.monthly``): one line per metric and
    calendar month since the first treatment, e.g. "2026-02 (days 17-44, 9 days): Brow
    height (left) +1.21 mm (95% CI 0.80 to 1.62), above the 0.45 mm detection threshold." Only
    ``metrics`` when given. Empty when there is no month yet."""
    rows = monthly if metrics is None else monthly.loc[monthly["metric"].isin(list(metrics))]
    lines = []
    for row in rows.sort_values(["month", "metric"], kind="stable").itertuples(index=False):
        where = (
            f"{row.month} (days {row.first_day}-{row.last_day}, {row.n_days} "
            f"day{'' if row.n_days == 1 else 's'} of photos)"
        )
        label = metric_label(row.metric)
        if row.detectable is None or row.detectable != row.detectable:
            lines.append(f"{where}: {label}: not enough photos yet.")
        else:
            lines.append(
                f"{where}: {label} {_change_text(row, row.metric)}, {_judgement(row, row.metric)}."
            )
    return lines


def design_lines(trend) -> list[str]:
    """The design used and why (``Trend.design``), then whether the plan was followed
    (``Trend.adherence``): "Design: split-face (left side treated, right side the
    control).", "Split-face plan: ...", "Followed so far: ..."."""
    lines = [trend.design.line()]
    if trend.adherence is not None:
        lines += trend.adherence["lines"]
    return lines


def lead_sentences(trend, *, combine: bool = False) -> list[str]:
    """A split-face or on/off design's own rows, which the summary leads with (before any
    whole-face sentence): a line saying what they compare, then ``summary_sentences`` of
    them. Empty for a whole-face design.

    Example: "Split-face result (...):", "Brow height (left minus right) +1.00 mm (95% CI
    0.83 to 1.17) after 2–4 weeks, above the 0.28 mm detection threshold."
    """
    design, table = trend.design, trend.table
    lines: list[str] = []
    if "design" not in table:
        return lines
    own = table.loc[table["design"] == design.name]
    if design.name == "split-face" and len(own):
        other = registry.OTHER_SIDE[design.treated or "left"]
        lines.append(
            f"Split-face result (the {design.treated} side treated, the {other} side the "
            f"control; each value is the {design.treated} side minus the {other} side in "
            "the same photo, against the same difference at baseline):"
        )
        lines += summary_sentences(own, combine=combine)
    elif design.name == "on-off" and len(own):
        lines.append(
            "On/off result (days in the on blocks against days in the off blocks, with a "
            "straight-line drift allowed for):"
        )
        lines += summary_sentences(own, combine=combine)
    return lines


def whole_face(table: pd.DataFrame) -> pd.DataFrame:
    """The whole-face rows of a window table (all rows of a table without ``design``)."""
    return table if "design" not in table else table.loc[table["design"] == "whole-face"]


def left_out_line(total: int, reasons: dict[str, int]) -> str:
    """ "12 photos left out: 7 smiling, 5 head turned." (a photo with several reasons counts
    under each)."""
    if not total:
        return "No photos left out: every photo passed the quality checks."
    kinds = ", ".join(f"{count} {kind}" for kind, count in reasons.items())
    return f"{plural(total, 'photo')} left out: {kinds}."


def lever_sentence(trend) -> str | None:
    """One sentence on the metrics read at the usual capture (``Trend.levers``), naming the
    largest turn lever found; None when no metric was adjusted or could have been."""
    levers = getattr(trend, "levers", None)
    if levers is None or not len(levers):
        return None
    used = levers.loc[levers["used"].astype(bool)]
    metrics = list(dict.fromkeys(levers["metric"]))
    if not len(used):
        note = next((str(n) for n in levers["note"] if str(n)), "")
        return (
            f"Capture: {plural(len(metrics), 'metric')} of {_features(metrics)} left as "
            f"measured ({note})."
        )
    adjusted = list(dict.fromkeys(used["metric"]))
    covariates = {"yaw_deg": "turn", "pitch_deg": "nod", "inverse_distance_per_m": "distance"}
    found = [c for c in dict.fromkeys(used["covariate"]) if c in covariates]
    parts = []
    if found:
        parts.append(
            ", ".join(covariates[c] for c in found) + " learnt from your own photos within weeks"
        )
    if "head_neck_angle_deg" in set(used["covariate"]):
        parts.append("profiles at your usual head-to-neck posture, one for one")
    learnt = "; ".join(parts)
    turns = used.loc[used["covariate"] == "yaw_deg"]
    strongest = ""
    if len(turns):
        top = turns.loc[turns["slope"].abs().idxmax()]
        unit = registry.unit_text(str(top["metric"]))
        strongest = (
            f"; the largest, {metric_label(str(top['metric']))}, moved "
            f"{abs(float(top['slope'])):.2f} {unit} per degree of turn"
        )
    return (
        f"Capture: {plural(len(adjusted), 'metric')} of {_features(adjusted)} read at "
        f"your usual capture ({learnt}{strongest})."
    )


# the features a lever sentence names, per metric group, in this order
_FEATURE_WORDS = {"brow": "brows", "jaw": "jaw", "mouth": "mouth", "cheek": "cheeks"}


def _features(metrics) -> str:
    """The features of ``metrics`` in words, e.g. "the brows, jaw and mouth".

    >>> _features(["jaw_angle_left_deg", "brow_height_left_mm", "cervicomental_angle_left_deg"])
    'the brows and jaw'
    """
    groups = {registry.get(str(m)).group for m in metrics}
    words = [word for group, word in _FEATURE_WORDS.items() if group in groups]
    return "the " + and_list(words) if words else "the face"


def lever_lines(levers: pd.DataFrame) -> list[str]:
    """The capture levers (``Trend.levers``) as aligned text lines: per metric and covariate
    the slope with its 95 % interval, the spread within weeks, the usual value, and whether
    it was used (else why not)."""
    if levers is None or not len(levers):
        return ["No metric the trend reads at the usual capture was analysed."]
    per = {
        "yaw_deg": "per deg of turn",
        "pitch_deg": "per deg of nod",
        "head_neck_angle_deg": "per deg of head-to-neck posture",
    }
    rows = [["metric", "capture", "slope", "95% CI", "spread", "usual", "photos", "used"]]
    for row in levers.itertuples(index=False):
        unit = registry.unit_text(str(row.metric))
        what = per.get(str(row.covariate), "per 1/m of 1/distance")
        used = bool(row.used)
        rows.append(
            [
                str(row.metric),
                what,
                f"{row.slope:+.3f} {unit}" if used else "-",
                f"{row.slope_ci_low:+.3f} to {row.slope_ci_high:+.3f}" if used else "-",
                f"{row.spread:.2f}" if _finite(row.spread) else "-",
                f"{row.usual:.2f}" if _finite(row.usual) else "-",
                str(int(row.n_photos)),
                "yes" if used else f"no: {row.note}",
            ]
        )
    return text_table(rows, right={2, 4, 5, 6})


def overview_lines(trend) -> list[str]:
    """What the analysis is based on: the baseline, day 0, the noise floor, photos left out."""
    base = trend.baseline
    lines = []
    dates = trend.daily.loc[trend.daily["window"] == "baseline", "date"]
    if dates.empty:
        lines.append(f"Baseline ({base.rule}): no photos.")
    else:
        count = dates.nunique()
        lines.append(
            f"Baseline ({base.rule}): {plural(count, 'day')} of "
            f"photos, {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}."
        )
    if base.note:
        lines.append(f"Note: {base.note}.")
    if base.first_treatment is not None:
        lines.append(
            f"Treatment: {plural(trend.n_sessions, 'session')} logged, the first on "
            f"{base.first_treatment:%Y-%m-%d} (day 0)."
        )
    elif base.day0 is not None:
        lines.append(
            f"No treatment session logged: days count from the end of the baseline "
            f"(day 0 = {base.day0:%Y-%m-%d})."
        )
    counts = trend.noise["noise_source"].value_counts(sort=False)
    if len(counts):
        parts = [
            _SOURCE_TEXT.get(source, source)
            + ("" if len(counts) == 1 else f" ({plural(count, 'metric')})")
            for source, count in counts.items()
        ]
        lines.append(f"Noise floor (MDC95 = 1.96 x sqrt(2) x SEM): from {'; '.join(parts)}.")
    capture = lever_sentence(trend)
    if capture:
        lines.append(capture)
    lines.append(left_out_line(trend.n_rejected, trend.rejected))
    return lines


def table_lines(table: pd.DataFrame) -> list[str]:
    """The window table as aligned text lines (header first)."""
    header = [
        "metric",
        "window",
        "n",
        "change",
        "95% CI",
        "threshold",
        "detectable",
        "slope/week",
        "outcome",
    ]
    cells = []
    for row in table.itertuples(index=False):
        metric = row.metric
        name, _ = metric_unit(metric)
        n = row.n_sessions if row.window == "immediate" else row.n_days
        label = f"{metric_label(metric)}{f', {name}' if name else ''}"
        slope = (
            _number(row.slope_per_week, metric, signed=True, unit=False)
            if _finite(row.slope_per_week)
            else "-"
        )
        if row.detectable is None:
            cells.append(
                [label, row.window, str(n), "-", "not enough photos", "-", "-", slope, row.outcome]
            )
            continue
        cells.append(
            [
                label,
                row.window,
                str(n),
                _number(row.change, metric, signed=True, unit=False),
                f"{_number(row.ci_low, metric, signed=True, unit=False)} to "
                f"{_number(row.ci_high, metric, signed=True, unit=False)}",
                _number(row.threshold, metric, unit=False) if _finite(row.threshold) else "-",
                "yes" if row.detectable else "no",
                slope,
                row.outcome,
            ]
        )
    return text_table([header, *cells], right={2, 3, 5, 7})


def what_it_would_take(
    trend,
    *,
    change: float = 1.0,
    metrics: tuple[str, ...] = registry.names(family="brow_height"),
) -> list[str]:
    """When no primary outcome changed detectably: how many days of photos (at the person's
    own noise) a window would need for a real ``change`` in brow height to be found.

    The noisier of ``metrics`` is planned for, at the first (strictest) level of the
    report's family-wise control for one of its rows, with ``trend.PLANNING_POWER`` (80 %):
    see ``trend.days_needed``. Returns no line when a primary outcome is detectable, or
    when the baseline has fewer than ``trend.settings.min_days`` days to measure the noise on.
    """
    table = trend.table
    if (
        not len(table)
        or (table["detectable"].map(lambda v: v is True) & (table["outcome"] != EXPLORATORY)).any()
    ):
        return []
    noise = trend.noise.set_index("metric")
    known = [m for m in metrics if m in noise.index and _finite(noise.loc[m, "day_sd"])]
    if not known:
        return []
    metric = max(known, key=lambda m: noise.loc[m, "day_sd"])
    level_of = dict(
        zip(zip(table["metric"], table["window"]), FAMILY_ALPHA * holm_weights(table["outcome"]))
    )
    rows = table.loc[table["metric"] == metric].set_index("window")
    level = level_of.get((metric, "2-4 weeks"), FAMILY_ALPHA)
    correlation = rows["day_correlation"].astype(float).max()
    correlation = correlation if _finite(correlation) else 0.0
    base_days = int((trend.daily["metric"].eq(metric) & trend.daily["window"].eq("baseline")).sum())
    day_sd, sem = float(noise.loc[metric, "day_sd"]), float(noise.loc[metric, "sem"])
    per_day = max(1, int(round(float(noise.loc[metric, "photos_per_day"]))))
    plans = {
        k: days_needed(
            change,
            day_sd=day_sd,
            sem=sem,
            baseline_days=base_days,
            photos_per_day=k,
            baseline_photos_per_day=per_day,
            level=level,
            correlation=correlation,
        )
        for k in (per_day, per_day + 1)
    }
    if any(math.isnan(days) for days in plans.values()):
        return []
    name = metric_label(metric).lower()
    noise_text = (
        f"a day's value of your {name} varies by {_number(day_sd, metric)}, one "
        f"photo by {_number(sem, metric)}"
    )
    size = _number(change, metric)
    if not math.isfinite(plans[per_day + 1]):
        return [
            f"What it would take: with your {base_days} baseline days ({noise_text}), "
            f"no number of photos afterwards can show a {size} change reliably; a "
            "steadier way of taking photos (same distance, light and pose) would."
        ]
    low, high = trend.settings.weeks_2_4_days
    span = high - low + 1
    options = []
    for k, days in plans.items():
        if math.isfinite(days):
            options.append(f"{days:.0f} days with {k} photo{'' if k == 1 else 's'} a day")
    long_term = rows["n_days"].get("long term")
    have = int(long_term) if long_term is not None and not pd.isna(long_term) else 0
    first = plans[per_day]
    later = ""
    if math.isfinite(first):
        more = max(0, int(first) - have)
        later = (
            f"; the 2–4 week window holds {span} days, and after day {high} about "
            f"{math.ceil(more / 7)} more week{'' if math.ceil(more / 7) == 1 else 's'} "
            f"of daily photos would do (you have {have} such days)"
        )
    return [
        f"What it would take: to find a real {size} change in {name} "
        f"{PLANNING_POWER:.0%} of the time at the noise of your own photos ({noise_text}), "
        f"a window needs about {' or '.join(options)}, against your {base_days} baseline "
        f"days{later}."
    ]


def table_records(table: pd.DataFrame, *, digits: int = 4) -> list[dict]:
    """The rows of a table as JSON-ready dicts: floats rounded to ``digits`` decimals, NaN
    and NA as None, numpy scalars as Python ones, timestamps as ISO 8601 text."""
    records = []
    for record in table.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in record.items():
            if value is None or value is pd.NA or value is pd.NaT:
                clean[key] = None
            elif isinstance(value, (bool, np.bool_)):
                clean[key] = bool(value)
            elif isinstance(value, (int, np.integer)):
                clean[key] = int(value)
            elif isinstance(value, (float, np.floating)):
                finite = none_if_nan(value)
                clean[key] = None if finite is None else round(finite, digits) + 0.0
            elif isinstance(value, pd.Timestamp):
                clean[key] = value.isoformat()
            else:
                clean[key] = value
        records.append(clean)
    return records
