"""Trend analysis: baselines, windows, the noise floor and trend statistics (pandas).

Input: the library's tidy frames (``Library.photos(person_scale=True)``,
``Library.sessions()``). Output: tidy frames for the CLI, the charts and the report::

    from tracker import Library
    from tracker.analysis import analyse, summary_sentences

    with Library() as library:
        trend = analyse(library.photos(person_scale=True), library.sessions())
    print(trend.table)                       # one row per metric and window
    print("\\n".join(summary_sentences(trend.table, fade=trend.fade, settings=trend.settings)))
"""

from tracker.analysis.capture import (
    UsualCapture,
    advice_column,
    capture_advice,
    consistent_distance,
    usual_capture,
)
from tracker.analysis.design import (
    DESIGNS,
    ON_OFF,
    Design,
    Plan,
    adherence,
    check_design,
    design_of,
)
from tracker.analysis.family import (
    FAMILY_ALPHA,
    PRIMARY_METRICS,
    holm_weights,
    outcome_of,
    weighted_holm,
)
from tracker.analysis.noise import (
    DEFAULT_SEM,
    floor_sem,
    mdc95,
    read_noise_floors,
    sem_from_repeats,
    sem_upper_bound,
)
from tracker.analysis.pairs import choose_pair
from tracker.analysis.text import (
    METRIC_LABELS,
    design_lines,
    lead_sentences,
    left_out_line,
    lever_lines,
    metric_label,
    monthly_lines,
    overview_lines,
    summary_sentences,
    table_lines,
    table_records,
    what_it_would_take,
    whole_face,
)
from tracker.analysis.trend import (
    TABLE_COLUMNS,
    Trend,
    analyse,
    compare_days,
    compare_pairs,
    days_needed,
    serial_correlation,
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
    "DESIGNS",
    "ON_OFF",
    "Design",
    "Plan",
    "adherence",
    "check_design",
    "design_lines",
    "design_of",
    "lead_sentences",
    "whole_face",
    "DEFAULT_SEM",
    "FAMILY_ALPHA",
    "METRIC_LABELS",
    "PRIMARY_METRICS",
    "TABLE_COLUMNS",
    "WINDOWS",
    "Baseline",
    "Trend",
    "analyse",
    "choose_baseline",
    "choose_pair",
    "compare_days",
    "compare_pairs",
    "daily_values",
    "days_needed",
    "floor_sem",
    "holm_weights",
    "immediate_pairs",
    "left_out_line",
    "mdc95",
    "metric_label",
    "monthly_lines",
    "outcome_of",
    "lever_lines",
    "overview_lines",
    "pauses",
    "photo_roles",
    "read_noise_floors",
    "rejected_reasons",
    "sem_from_repeats",
    "sem_upper_bound",
    "serial_correlation",
    "summary_sentences",
    "table_lines",
    "table_records",
    "theil_sen",
    "trend_table",
    "weighted_holm",
    "welch_interval",
    "what_it_would_take",
    "UsualCapture",
    "advice_column",
    "capture_advice",
    "consistent_distance",
    "usual_capture",
]
