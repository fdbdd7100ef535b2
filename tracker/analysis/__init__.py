"""Trend analysis: baselines, windows, the noise floor and trend statistics (pandas).

Input: the library's tidy frames (``Library.photos(person_scale=True)``,
``Library.sessions()``). Output: tidy frames for the CLI, the charts and the report::

    from tracker import Library
    from tracker.analysis import analyse, summary_sentences

    with Library() as library:
        trend = analyse(library.photos(person_scale=True), library.sessions())
    print(trend.table)                       # one row per metric and window
    print("\\n".join(summary_sentences(trend.table, fade=trend.fade)))
"""

from tracker.analysis.capture import (
    UsualCapture,
    advice_column,
    capture_advice,
    consistent_distance,
    usual_capture,
)
from tracker.analysis.noise import DEFAULT_SEM, mdc95, sem_from_repeats
from tracker.analysis.text import (
    METRIC_LABELS,
    left_out_line,
    metric_label,
    overview_lines,
    summary_sentences,
    table_lines,
    table_records,
)
from tracker.analysis.trend import (
    TABLE_COLUMNS,
    Trend,
    analyse,
    is_detectable,
    theil_sen,
    trend_table,
    welch_interval,
)
from tracker.analysis.windows import (
    WINDOWS,
    Baseline,
    choose_baseline,
    daily_values,
    immediate_pairs,
    pauses,
    photo_roles,
    rejected_reasons,
)

__all__ = [
    "DEFAULT_SEM",
    "METRIC_LABELS",
    "TABLE_COLUMNS",
    "WINDOWS",
    "Baseline",
    "Trend",
    "analyse",
    "choose_baseline",
    "daily_values",
    "immediate_pairs",
    "is_detectable",
    "left_out_line",
    "mdc95",
    "metric_label",
    "overview_lines",
    "pauses",
    "photo_roles",
    "rejected_reasons",
    "sem_from_repeats",
    "summary_sentences",
    "table_lines",
    "table_records",
    "theil_sen",
    "trend_table",
    "welch_interval",
    "UsualCapture",
    "advice_column",
    "capture_advice",
    "consistent_distance",
    "usual_capture",
]
