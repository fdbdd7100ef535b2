"""Charts of a photo library (matplotlib): each metric over time, a one-page dashboard, the
treatment log, the aligned before/after photos and an eye-aligned timelapse.

Every chart function draws into an ``ax`` it is given (or a new figure's when none is) and
returns that Axes; ``dashboard`` fills a figure. New figures are plain
``matplotlib.figure.Figure`` objects, not pyplot's: nothing here touches a GUI or pyplot's
global state, so the report can draw hundreds of charts without leaking figures. In a
notebook, show one with ``ax.figure`` after ``%matplotlib inline``.

Input is the library's tidy frames (``Library.photos(person_scale=True)`` and
``Library.sessions()``, see ``load_frames``), photos already opened and aligned on the eyes
(``tracker.alignment``) and, when already computed, the analysis
(``tracker.analysis.analyse``), so that the charts show exactly what the numbers say: per-day
values, the baseline and its noise floor (MDC95), the windows and the sessions. Nothing
here takes a ``Library`` or opens a file: ``tracker.library_charts`` reads the library and
opens its photos, then calls these (its names are importable from here too).

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); left and
right also differ by marker and line style, so the charts read in greyscale. Left and right
are the subject's own.

Examples
--------
>>> from tracker import Library, charts
>>> with Library(memory=True) as library:
...     photos, sessions = charts.load_frames(library)
...     ax = charts.metric_chart(photos, sessions, metric="brow_height")
>>> ax.get_title(loc="left")
'Brow height, left and right (mm)'
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

# eye alignment lives in tracker.alignment; its names stay importable from here
from tracker.alignment import ALIGNED_SIZE as ALIGNED_SIZE
from tracker.alignment import EYE_DISTANCE as EYE_DISTANCE
from tracker.alignment import EYE_LEVEL as EYE_LEVEL
from tracker.alignment import AlignedPair as AlignedPair
from tracker.alignment import AlignedPhoto as AlignedPhoto
from tracker.alignment import align_photo as align_photo
from tracker.alignment import apply_affine as _apply  # noqa: F401 (an old private name)
from tracker.alignment import eye_alignment as eye_alignment
from tracker.alignment import warp_aligned as warp_aligned
from tracker.analysis.pairs import choose_pair as choose_pair  # choosing the pair is analysis

# the wrappers that read a Library and open its photos; their names stay importable here
from tracker.library_charts import aligned_pair as aligned_pair
from tracker.library_charts import chart_figure as chart_figure
from tracker.library_charts import load_frames as load_frames
from tracker.library_charts import timelapse as timelapse
from tracker.metrics import registry

# --- colours and names ----------------------------------------------------------------------

# Okabe & Ito (2008), "Color universal design".
BLUE, ORANGE, SKY, GREEN = "#0072B2", "#E69F00", "#56B4E9", "#009E73"
VERMILLION, PURPLE, YELLOW, GREY = "#D55E00", "#CC79A7", "#F0E442", "#7F7F7F"

SIDE_STYLES: dict[str | None, dict[str, Any]] = {
    "left": {"color": BLUE, "marker": "o", "linestyle": "-"},
    "right": {"color": VERMILLION, "marker": "s", "linestyle": "--"},
    None: {"color": GREEN, "marker": "o", "linestyle": "-"},
}
SESSION_COLOUR = PURPLE
# window -> (shading colour, its label on the chart)
WINDOW_SHADES = {
    "baseline": ("#BBBBBB", "Baseline"),
    "2-4 weeks": (SKY, "2–4 weeks"),
    "long term": (YELLOW, "Long term"),
}

# A chart shows a metric's left and right together, or a single metric (chart name -> columns).
CHART_METRICS: dict[str, tuple[str, ...]] = registry.charts()
DASHBOARD_METRICS = tuple(
    dict.fromkeys(
        m.family
        for m in sorted(
            (m for m in registry.METRICS if m.dashboard), key=lambda m: m.chart_rank or 0
        )
    )
)
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
ROLLING_DAYS = 7
SIDES_NOTE = "Left and right are the subject's own."
EMPTY_TEXT = "No accepted photos yet"
_UNIT_WORDS = {"mm": "mm", "deg": "degrees", "%": "% of the eye distance"}


def chart_metrics(name: str) -> tuple[str, ...]:
    """The metric columns one chart shows: "brow_height" -> its left and right columns; a
    column name ("asymmetry_pct", "jaw_angle_left_deg") -> itself.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    name = registry.resolve(name)  # names of earlier versions still work
    if name in CHART_METRICS:
        return CHART_METRICS[name]
    if name in registry.BY_NAME:
        return (name,)
    example = registry.PRIMARY[0]
    raise ValueError(
        f"unknown metric {name!r}; choose from {', '.join(CHART_METRICS)} "
        f"or a column name such as {example}"
    )


def _side(metric: str) -> str | None:
    known = registry.BY_NAME.get(metric)
    return known.side if known is not None else None


def _unit(metric: str) -> str:
    return registry.unit_text(metric)


def chart_title(name: str) -> str:
    """A chart's title in plain words: "Brow height, left and right (mm)",
    "Facial asymmetry (% of the eye distance)"."""
    columns = chart_metrics(name)
    unit = _UNIT_WORDS.get(_unit(columns[0]), _unit(columns[0]))
    suffix = f" ({unit})" if unit else ""
    if len(columns) == 2:
        base = registry.label(columns[0]).replace(" (left)", "").replace(" (right)", "")
        return f"{base}, left and right{suffix}"
    return f"{registry.label(columns[0])}{suffix}"


def _new_axes(figsize: tuple[float, float]) -> Axes:
    figure = Figure(figsize=figsize, layout="constrained")
    return figure.add_subplot()


# --- data -------------------------------------------------------------------------------------


def _analyse(photos, sessions, metrics, trend, baseline_until, sem):
    """The analysis of ``metrics``: the given one when it covers them, else a new one."""
    from tracker.analysis import analyse

    if trend is not None and set(metrics) <= set(trend.noise["metric"]):
        return trend
    present = [m for m in metrics if m in photos.columns]
    return analyse(photos, sessions, metrics=present, baseline_until=baseline_until, sem=sem)


def _after_session_photos(photos: pd.DataFrame, sessions: pd.DataFrame | None) -> pd.DataFrame:
    """The accepted photos taken right after a session (the "immediate" window)."""
    from tracker.analysis import photo_roles

    kept = photos.loc[(photos["status"] == "ok") & photos["captured_at"].notna()]
    if kept.empty:
        return kept
    roles = photo_roles(kept, sessions)
    return kept.loc[roles["role"] == "after"]


# --- a metric over time ---------------------------------------------------------------------


def _style_time_axis(ax) -> None:
    """Concise date ticks, a light horizontal grid behind the data, no top or right frame."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(True, axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


def metric_chart(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    metric: str = "brow_height",
    ax: Axes | None = None,
    trend=None,
    baseline_until=None,
    sem=None,
    rolling_days: int = ROLLING_DAYS,
    legend: bool = True,
    title: bool = True,
) -> Axes:
    """One metric over time: per-day values, a rolling median, the baseline with its noise
    band, the windows and the treatment sessions; left and right as two lines.

    Dots are per-day values (the median of a day's accepted photos, photos taken right after
    a session left out, as the analysis does); the line is their ``rolling_days``-day
    rolling median. The dotted horizontal line is the baseline (mean of the baseline days)
    and the band around it +/- the noise floor (MDC95): a change inside the band is not
    detectable. Shaded: the baseline, "2–4 weeks" (days 14–28 after the first treatment) and
    "long term" (after day 28). The immediate window (hours after a session) is too short
    to shade: photos taken then are hollow triangles, and each session is a tick on the
    time axis.

    Parameters
    ----------
    photos, sessions : DataFrame
        ``Library.photos()`` and ``Library.sessions()`` (see ``load_frames``).
    metric : str
        A name in ``CHART_METRICS`` or a metric column.
    ax : Axes, optional
        Where to draw; default a new 9 x 4.5 inch figure.
    trend : tracker.analysis.Trend, optional
        An analysis covering the metric (saves recomputing it).
    baseline_until, sem
        Passed to ``tracker.analysis.analyse`` when ``trend`` is not given.
    rolling_days : int
        Width of the rolling median.
    legend, title : bool
        Draw the legend and the title.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        For an unknown metric.
    """
    columns = chart_metrics(metric)
    if ax is None:
        ax = _new_axes((9.0, 4.5))
    if title:
        ax.set_title(chart_title(metric), loc="left", fontsize=12, fontweight="bold")
    unit = _unit(columns[0])
    ax.set_ylabel(_UNIT_WORDS.get(unit, unit) if unit != "%" else "%")
    trend = _analyse(photos, sessions, columns, trend, baseline_until, sem)
    daily = trend.daily.loc[trend.daily["metric"].isin(columns)]
    if daily.empty:
        ax.text(
            0.5,
            0.5,
            EMPTY_TEXT,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=GREY,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return ax

    after = _after_session_photos(photos, sessions)
    times = pd.to_datetime(pd.concat([daily["date"], after["captured_at"]]))
    start, end = times.min(), times.max()
    pad = max(pd.Timedelta(days=1), (end - start) * 0.02)
    x_low, x_high = start - pad, end + pad
    _shade_windows(
        ax,
        trend.baseline,
        x_low,
        x_high,
        weeks_2_4_days=trend.settings.weeks_2_4_days,
        label_size=8.5 if legend else 7.5,
    )

    handles: list = []
    noise = trend.noise.set_index("metric")["mdc"]
    for column in columns:
        style = SIDE_STYLES[_side(column)]
        days = daily.loc[daily["metric"] == column].set_index("date")["value"].sort_index()
        if days.empty:
            continue
        ax.plot(
            days.index,
            days.to_numpy(),
            linestyle="none",
            marker=style["marker"],
            markersize=3.5,
            color=style["color"],
            alpha=0.55,
            zorder=3,
        )
        if len(days) >= 3:
            smooth = days.rolling(f"{rolling_days}D", center=True, min_periods=1).median()
            ax.plot(
                smooth.index,
                smooth.to_numpy(),
                linestyle=style["linestyle"],
                color=style["color"],
                linewidth=2.0,
                zorder=4,
            )
        base = daily.loc[(daily["metric"] == column) & (daily["window"] == "baseline"), "value"]
        mdc = float(noise.get(column, math.nan))
        if not base.empty:
            level = float(base.mean())
            ax.axhline(level, color=style["color"], linestyle=":", linewidth=1.2, zorder=2)
            if math.isfinite(mdc) and mdc > 0:
                ax.axhspan(
                    level - mdc,
                    level + mdc,
                    color=style["color"],
                    alpha=0.10,
                    linewidth=0,
                    zorder=1,
                )
        if column in after.columns and not after.empty:
            values = after[["captured_at", column]].dropna()
            ax.plot(
                values["captured_at"],
                values[column],
                linestyle="none",
                marker="^",
                markersize=5,
                markerfacecolor="none",
                color=style["color"],
                alpha=0.8,
                zorder=3,
            )
        side = _side(column)
        handles.append(
            Line2D(
                [],
                [],
                color=style["color"],
                marker=style["marker"],
                linestyle=style["linestyle"],
                label=f"{side.capitalize()}" if side else "Daily value",
            )
        )

    n_sessions = _mark_sessions(ax, sessions, x_low, x_high)
    ax.set_xlim(x_low, x_high)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.14 * (high - low))  # room for the windows' labels
    _style_time_axis(ax)

    if legend:
        handles.append(
            (Patch(facecolor=GREY, alpha=0.2), Line2D([], [], color=GREY, linestyle=":"))
        )
        labels = [h.get_label() for h in handles[:-1]] + ["Baseline ± noise floor (MDC95)"]
        if not after.empty:
            handles.append(
                Line2D([], [], color=GREY, marker="^", markerfacecolor="none", linestyle="none")
            )
            labels.append("Right after a session (immediate)")
        if n_sessions:
            handles.append(
                Line2D([], [], color=SESSION_COLOUR, marker="|", markersize=10, linestyle="none")
            )
            labels.append("Treatment session")
        from matplotlib.legend_handler import HandlerTuple

        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8.5,
            frameon=False,
            handler_map={tuple: HandlerTuple(ndivide=1)},
            title="Left and right: the subject's own" if len(columns) == 2 else None,
            title_fontsize=8.5,
            alignment="left",
        )
    return ax


def _shade_windows(
    ax: Axes,
    baseline,
    x_low,
    x_high,
    *,
    weeks_2_4_days: tuple[int, int],
    label_size: float = 8.5,
) -> None:
    """Shade the baseline and the 2–4 weeks (days ``weeks_2_4_days`` from day 0) and
    long-term windows, labelled at the top."""
    spans = []
    if baseline.end is not None:
        spans.append(("baseline", x_low, min(baseline.end, x_high)))
    if baseline.day0 is not None:
        low, high = weeks_2_4_days
        first = baseline.day0 + pd.Timedelta(days=low)
        last = baseline.day0 + pd.Timedelta(days=high + 1)  # day 28 included
        spans.append(("2-4 weeks", max(first, x_low), min(last, x_high)))
        spans.append(("long term", max(last, x_low), x_high))
        if baseline.first_treatment is not None and x_low <= baseline.day0 <= x_high:
            ax.axvline(
                baseline.day0,
                color=SESSION_COLOUR,
                linewidth=1.0,
                linestyle="-",
                alpha=0.7,
                zorder=2,
            )
    top = blended_transform_factory(ax.transData, ax.transAxes)
    # labels at the start of their window, moved a row down when they would overlap the
    # previous one (short windows on a long time axis); widths estimated before layout
    axes_width_pt = 0.8 * ax.get_position().width * cast(Figure, ax.figure).get_figwidth() * 72
    total = (x_high - x_low) / pd.Timedelta(days=1)
    rows_end: list[float] = []
    for window, left, right in spans:
        if right <= left:
            continue
        colour, label = WINDOW_SHADES[window]
        ax.axvspan(left, right, color=colour, alpha=0.16, linewidth=0, zorder=0)
        start = (left - x_low) / pd.Timedelta(days=1) / total * axes_width_pt + 3
        row = next((i for i, end in enumerate(rows_end) if start > end + 4), len(rows_end))
        end = start + 0.6 * label_size * len(label)
        if row == len(rows_end):
            rows_end.append(end)
        rows_end[row] = end
        ax.annotate(
            label,
            (mdates.date2num(left), 1.0),
            xycoords=top,
            xytext=(3, -3 - row * 1.25 * label_size),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=label_size,
            color="#444444",
            annotation_clip=False,
        )


def _mark_sessions(ax: Axes, sessions: pd.DataFrame | None, x_low, x_high) -> int:
    """Ticks on the time axis, one per treatment session; returns how many were drawn."""
    if sessions is None or sessions.empty:
        return 0
    starts = pd.to_datetime(sessions["started_at"]).dropna()
    starts = starts.loc[(starts >= x_low) & (starts <= x_high)]
    if starts.empty:
        return 0
    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    ax.plot(
        starts,
        np.full(len(starts), 0.0),
        transform=bottom,
        linestyle="none",
        marker="|",
        markersize=9,
        markeredgewidth=1.2,
        color=SESSION_COLOUR,
        clip_on=False,
        zorder=5,
    )
    return int(len(starts))


# --- the dashboard ----------------------------------------------------------------------------


def dashboard(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    metrics: Sequence[str] = DASHBOARD_METRICS,
    fig: Figure | None = None,
    trend=None,
    baseline_until=None,
    sem=None,
) -> Figure:
    """All key metrics on one page: a grid of ``metric_chart`` panels with one legend.

    Parameters
    ----------
    photos, sessions : DataFrame
        As for ``metric_chart``.
    metrics : sequence of str
        Names in ``CHART_METRICS`` (or metric columns), one panel each.
    fig : Figure or SubFigure, optional
        Where to draw; default a new 11 x 8.5 inch (landscape page) figure.
    trend, baseline_until, sem
        As for ``metric_chart``.

    Returns
    -------
    Figure
    """
    columns = [c for name in metrics for c in chart_metrics(name)]
    if fig is None:
        fig = Figure(figsize=(11.0, 8.5), layout="constrained")
    trend = _analyse(photos, sessions, columns, trend, baseline_until, sem)
    ncols = 2 if len(metrics) > 1 else 1
    nrows = max(1, math.ceil(len(metrics) / ncols))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, name in zip(axes, metrics):
        metric_chart(photos, sessions, metric=name, ax=ax, trend=trend, legend=False, title=False)
        ax.set_title(chart_title(name), loc="left", fontsize=10.5, fontweight="bold")
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle("Your facial metrics over time", fontsize=14, fontweight="bold", x=0.01, ha="left")
    handles = [
        Line2D([], [], **SIDE_STYLES["left"], label="Left"),
        Line2D([], [], **SIDE_STYLES["right"], label="Right"),
        Line2D([], [], **SIDE_STYLES[None], label="Both sides (one value)"),
        Patch(facecolor=GREY, alpha=0.25, label="Baseline ± noise floor (MDC95)"),
        Line2D(
            [],
            [],
            color=GREY,
            marker="^",
            markerfacecolor="none",
            linestyle="none",
            label="Right after a session",
        ),
        Line2D(
            [],
            [],
            color=SESSION_COLOUR,
            marker="|",
            markersize=10,
            linestyle="none",
            label="Treatment session",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8.5,
        frameon=False,
        title_fontsize=8.5,
        title=f"Dots: daily values; lines: {ROLLING_DAYS}-day rolling median. {SIDES_NOTE}",
    )
    return fig


# --- the treatment log ------------------------------------------------------------------------


def split_face_chart(trend, *, family: str = "brow_height", ax: Axes | None = None) -> Axes:
    """The treated side minus the untreated side over time (a split-face design's
    ``Trend``): per-day values (dots), the baseline difference (dotted) with its noise band
    (+/- MDC95 of the difference), and the windows shaded.

    Raises
    ------
    ValueError
        When the trend is not split-face or has no per-day values of ``family``'s difference.
    """
    from tracker.metrics import registry

    if trend.design.name != "split-face" or trend.design.treated is None:
        raise ValueError(f"not a split-face trend ({trend.design.name})")
    metric = registry.difference(family, trend.design.treated).name
    daily = trend.daily.loc[trend.daily["metric"] == metric]
    if daily.empty:
        raise ValueError(f"no per-day values of {metric}")
    ax = ax if ax is not None else _new_axes((10.0, 4.4))
    dates = pd.to_datetime(daily["date"])
    pad = pd.Timedelta(days=1)
    x_low, x_high = dates.min() - pad, dates.max() + pad
    _shade_windows(ax, trend.baseline, x_low, x_high, weeks_2_4_days=trend.settings.weeks_2_4_days)
    colour = "#1f77b4"
    ax.plot(dates, daily["value"], "o", color=colour, markersize=5, zorder=4, label="Per day")
    base = daily.loc[daily["window"] == "baseline", "value"]
    noise = trend.noise.set_index("metric")
    mdc = float(noise.loc[metric, "mdc"]) if metric in noise.index else math.nan
    if not base.empty:
        level = float(base.mean())
        ax.axhline(level, color=colour, linestyle=":", linewidth=1.2, zorder=2)
        if math.isfinite(mdc) and mdc > 0:
            ax.axhspan(
                level - mdc,
                level + mdc,
                color=colour,
                alpha=0.12,
                linewidth=0,
                zorder=1,
                label="Baseline ± noise floor (MDC95)",
            )
    ax.set_xlim(x_low, x_high)
    ax.set_ylabel(f"{registry.label(metric)}, {registry.unit_text(metric)}")
    ax.set_title(f"Split-face: {registry.label(metric)}")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    _style_time_axis(ax)
    return ax


def adherence_chart(sessions: pd.DataFrame | None, *, ax: Axes | None = None, until=None) -> Axes:
    """Treatment sessions per week (Monday to Sunday) from the first session's week to the
    last session's (or ``until``'s) week; weeks without a session show as gaps.

    Returns
    -------
    Axes
    """
    if ax is None:
        ax = _new_axes((10.0, 2.8))
    ax.set_title("Treatment sessions per week", loc="left", fontsize=12, fontweight="bold")
    weekly = sessions_per_week(sessions, until=until)
    if weekly.empty:
        ax.text(
            0.5,
            0.5,
            "No treatment session logged",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=GREY,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    from tracker.analysis import pauses

    ax.bar(
        weekly.index + pd.Timedelta(days=3.5),
        weekly.to_numpy(),
        width=6.0,
        color=SESSION_COLOUR,
        edgecolor="none",
    )
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for pause in pauses(sessions, latest=until).itertuples(index=False):
        end = pause.resumed if pd.notna(pause.resumed) else pd.Timestamp(until)
        ax.axvspan(pause.last_session, end, color=GREY, alpha=0.15, linewidth=0)
        ax.annotate(
            f"pause, {pause.days:.0f} days",
            (mdates.date2num(pause.last_session), 1.0),
            xycoords=top,
            xytext=(3, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color="#444444",
        )
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)  # room for the pauses' labels
    ax.set_ylabel("sessions")
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)
    _style_time_axis(ax)
    return ax


def sessions_per_week(sessions: pd.DataFrame | None, *, until=None) -> pd.Series:
    """Sessions per calendar week (indexed by the Monday), weeks without any included (0),
    from the first session's week to the last session's or ``until``'s."""
    if sessions is None or sessions.empty:
        return pd.Series(dtype="int64")
    starts = pd.to_datetime(sessions["started_at"]).dropna()
    if starts.empty:
        return pd.Series(dtype="int64")
    monday = starts.dt.normalize() - pd.to_timedelta(starts.dt.weekday, unit="D")
    last = (
        starts.max() if until is None or pd.isna(until) else max(starts.max(), pd.Timestamp(until))
    )
    last_monday = last.normalize() - pd.Timedelta(days=last.weekday())
    weeks = pd.date_range(monday.min(), last_monday, freq="7D")
    return monday.value_counts().reindex(weeks, fill_value=0).astype("int64")


# --- before and after -------------------------------------------------------------------------


_OUTLINE = [patheffects.withStroke(linewidth=3.2, foreground="black", alpha=0.75)]


def _draw_lines(
    ax: Axes,
    photo: AlignedPhoto,
    *,
    dx: float = 0.0,
    colour=None,
    linestyle: str = "-",
    labels: bool = True,
) -> None:
    """The measured lines of one aligned photo: brow heights, jaw angles, eye line."""
    g = photo.geometry
    brow_colour, jaw_colour = (colour or YELLOW), (colour or SKY)
    shift = np.array([dx, 0.0])

    def stroke(points: np.ndarray, line_colour, **style) -> None:
        ax.plot(
            points[:, 0],
            points[:, 1],
            color=line_colour,
            linestyle=linestyle,
            path_effects=_OUTLINE,
            **{"linewidth": 2.0, **style},
        )

    stroke(g["ipd"] + shift, colour or "white", linewidth=1.0, alpha=0.8)
    for side, letter in (("right", "R"), ("left", "L")):
        brow = g["brow"][side] + shift
        stroke(brow, brow_colour)
        # no jaw lines on a side whose jaw outline was not found in the image
        jaw = g["jaw"][side] + shift if side in g["jaw"] else None
        if jaw is not None:
            stroke(jaw, jaw_colour)
        if not labels:
            continue
        # the subject's right appears on the image's left: its labels go leftwards
        align = "right" if side == "right" else "left"
        nudge = -9.0 if side == "right" else 9.0
        value = photo.metrics.get(registry.sided("brow_height", side), math.nan)
        if math.isfinite(value):
            ax.text(
                brow[1, 0] + nudge,
                brow[1, 1] - 6,
                f"{letter} {value:.2f} mm",
                ha=align,
                va="bottom",
                fontsize=8.5,
                color=brow_colour,
                path_effects=_OUTLINE,
            )
        value = photo.metrics.get(registry.sided("jaw_angle", side), math.nan)
        if jaw is not None and math.isfinite(value):
            ax.text(
                jaw[1, 0] + nudge,
                jaw[1, 1],
                f"{letter} {value:.1f}°",
                ha=align,
                va="center",
                fontsize=8.5,
                color=jaw_colour,
                path_effects=_OUTLINE,
            )


def before_after(pair: AlignedPair, *, ax: Axes | None = None, lines: bool = True) -> Axes:
    """The baseline and latest photos side by side, aligned on the eyes, with the measured
    lines (brow heights in yellow, jaw angles in sky blue) and their values.

    Returns
    -------
    Axes
    """
    if ax is None:
        ax = _new_axes((8.0, 5.4))
    width = pair.before.pixels.shape[1]
    gap = 12
    canvas = np.full((pair.before.pixels.shape[0], 2 * width + gap, 3), 255, dtype=np.uint8)
    canvas[:, :width] = pair.before.pixels
    canvas[:, width + gap :] = pair.after.pixels
    ax.imshow(canvas, interpolation="antialiased")
    if lines:
        _draw_lines(ax, pair.before)
        _draw_lines(ax, pair.after, dx=width + gap)
    for photo, x in ((pair.before, width / 2), (pair.after, width + gap + width / 2)):
        ax.text(x, -8, photo.label, ha="center", va="bottom", fontsize=10.5, fontweight="bold")
    ax.set_xlim(-0.5, canvas.shape[1] - 0.5)
    ax.set_ylim(canvas.shape[0] - 0.5, -0.5)
    ax.set_axis_off()
    ax.set_title(
        "Before and after, aligned on the eyes", loc="left", fontsize=12, fontweight="bold", pad=22
    )
    ax.text(
        0.0,
        -0.02,
        "Yellow: brow height; blue: jaw angle. L and R are the subject's own "
        "left and right (the subject's right is on the image's left).",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8,
        color="#444444",
    )
    return ax


def before_after_overlay(pair: AlignedPair, *, ax: Axes | None = None) -> Axes:
    """The two aligned photos blended half and half, the baseline's measured lines dashed
    blue and the latest's solid orange: where the lines part, the face changed (or the
    pose did).

    Returns
    -------
    Axes
    """
    if ax is None:
        ax = _new_axes((5.0, 6.0))
    blend = (pair.before.pixels.astype(np.float32) + pair.after.pixels.astype(np.float32)) / 2
    ax.imshow(blend.round().astype(np.uint8), interpolation="antialiased")
    # the baseline's dashed lines on top, so that both show where they coincide
    _draw_lines(ax, pair.after, colour=ORANGE, linestyle="-", labels=False)
    _draw_lines(ax, pair.before, colour=SKY, linestyle="--", labels=False)
    height, width = pair.before.pixels.shape[:2]
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_axis_off()
    ax.set_title("Overlay", loc="left", fontsize=12, fontweight="bold")
    ax.legend(
        handles=[
            Line2D([], [], color=SKY, linestyle="--", label=pair.before.label),
            Line2D([], [], color=ORANGE, label=pair.after.label),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncols=1,
        fontsize=8.5,
        frameon=False,
    )
    return ax


def before_after_figure(pair: AlignedPair, *, fig: Figure | None = None) -> Figure:
    """Side by side and overlay in one figure (what the report shows)."""
    if fig is None:
        fig = Figure(figsize=(11.0, 5.6), layout="constrained")
    left, right = cast(Any, fig.subfigures(1, 2, width_ratios=[2.1, 1.0]))  # a (2,) array
    before_after(pair, ax=left.add_subplot())
    before_after_overlay(pair, ax=right.add_subplot())
    return fig


# --- timelapse --------------------------------------------------------------------------------


def write_timelapse(
    aligned: Iterable[AlignedPhoto],
    path: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (320, 400),
    frame_ms: int = 250,
) -> int:
    """Write an animated GIF of photos already aligned on the eyes (``align_pixels``), in
    the order given, each frame stamped with its date.

    Parameters
    ----------
    aligned : iterable of AlignedPhoto
        Aligned at ``size``.

    Returns
    -------
    int
        Frames written.

    Raises
    ------
    ValueError
        When there is no photo to show.
    OSError
        When the file cannot be written.
    """
    from PIL import Image, ImageDraw

    frames = []
    for photo in aligned:
        image = Image.fromarray(photo.pixels)
        draw = ImageDraw.Draw(image)
        stamp = f"{photo.captured_at:%Y-%m-%d}"
        draw.rectangle((0, size[1] - 22, size[0], size[1]), fill=(0, 0, 0))
        draw.text((8, size[1] - 18), stamp, fill=(255, 255, 255))
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
    if not frames:
        raise ValueError("no accepted photo to put in a timelapse")
    from tracker.output import private_output

    with private_output(path) as handle:  # 0600, complete or absent
        frames[0].save(
            handle,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=frame_ms,
            loop=0,
            optimize=False,
        )
    return len(frames)


# --- one figure for the command line -----------------------------------------------------------


def frames_figure(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None,
    *,
    metrics: Sequence[str] = (),
    before_after_photos: bool = False,
    pair: AlignedPair | None = None,
    baseline_until=None,
    fig: Figure | None = None,
) -> Figure:
    """The figure ``facetrack chart`` draws: the dashboard; or the given metrics one under
    the other; or the aligned before/after ``pair`` (``tracker.library_charts.chart_figure``
    makes one from a library).

    Parameters
    ----------
    photos, sessions : DataFrame
        ``Library.photos()`` and ``Library.sessions()`` (see ``load_frames``).
    metrics : sequence of str
        Names in ``CHART_METRICS`` or metric columns; empty for the dashboard.
    before_after_photos : bool
        Draw ``pair`` instead.
    pair : AlignedPair, optional
        The aligned before/after photos (``tracker.alignment``).
    baseline_until
        Passed to ``tracker.analysis.analyse``.
    fig : Figure, optional
        Draw into this figure (for example one of pyplot's, to show it); it is resized.

    Raises
    ------
    ValueError
        For an unknown metric, or when a before/after is asked for without a pair.
    """
    for name in metrics:
        chart_metrics(name)
    if fig is None:
        fig = Figure(layout="constrained")
    else:
        fig.set_layout_engine("constrained")
    if before_after_photos:
        if pair is None:
            raise ValueError(
                "not enough photos for a before/after comparison: it needs an "
                "accepted baseline photo and an accepted photo after the baseline"
            )
        fig.set_size_inches(11.0, 5.6)
        return before_after_figure(pair, fig=fig)
    if not metrics:
        fig.set_size_inches(11.0, 8.5)
        return dashboard(photos, sessions, fig=fig, baseline_until=baseline_until)
    columns = [c for name in metrics for c in chart_metrics(name)]
    trend = _analyse(photos, sessions, columns, None, baseline_until, None)
    fig.set_size_inches(10.0, 4.2 * len(metrics))
    for ax, name in zip(
        np.atleast_1d(fig.subplots(len(metrics), 1, squeeze=False)).ravel(), metrics
    ):
        metric_chart(photos, sessions, metric=name, ax=ax, trend=trend)
    return fig


# --- saving -----------------------------------------------------------------------------------


def check_figure_path(path: str | os.PathLike[str]) -> Path:
    """The path, when its extension is one ``save_figure`` writes; else ValueError."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"{path.name}: the file name must end in .png, .svg or .pdf")
    return path


def save_figure(figure: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Write a figure as PNG, SVG or PDF, chosen by the file's extension.

    Raises
    ------
    ValueError
        For another extension.
    OSError
        When the file cannot be written.
    """
    path = check_figure_path(path)
    metadata = {"Creator": "facetrack"} if path.suffix.lower() != ".svg" else None
    # PNG metadata ("Software") differs; matplotlib maps only what each format knows
    if path.suffix.lower() == ".png":
        metadata = {"Software": "facetrack"}
    from tracker.output import private_output

    with private_output(path) as handle:  # 0600, complete or absent (no 0-byte file)
        figure.savefig(handle, dpi=dpi, format=path.suffix.lower().lstrip("."), metadata=metadata)
    return path


# --- profile before/after ---------------------------------------------------------------------


def profile_before_after_figure(before, after, *, fig: Figure | None = None) -> Figure:
    """Two aligned profiles of one side (``tracker.alignment.AlignedProfile``) side by side
    with their outline, submental and neck lines, and their outlines overlaid: where the
    outlines part under the chin, the chin-neck angle changed (or the head carriage did)."""
    if fig is None:
        # room above the square images for the two-line titles (the layout leaves them none)
        fig = Figure(figsize=(11.0, 5.0), layout=ConstrainedLayoutEngine(h_pad=0.12))
    axes = fig.subplots(1, 3)
    for ax, shot, colour, style in (
        (axes[0], before, SKY, "--"),
        (axes[1], after, ORANGE, "-"),
    ):
        ax.imshow(shot.pixels, interpolation="antialiased")
        ax.plot(shot.chain[:, 0], shot.chain[:, 1], color=colour, linewidth=1.2, linestyle=style)
        for a, b in shot.lines.values():
            ax.plot([a[0], b[0]], [a[1], b[1]], color="white", linewidth=2.0)
        usual = (
            f"\n{shot.at_usual:.1f} deg at your usual posture" if np.isfinite(shot.at_usual) else ""
        )
        ax.set_title(
            f"{shot.label}: {shot.value:.1f} deg{usual}",
            loc="left",
            fontsize=11,
            fontweight="bold",
        )
        ax.set_xlim(-0.5, shot.pixels.shape[1] - 0.5)
        ax.set_ylim(shot.pixels.shape[0] - 0.5, -0.5)
        ax.set_axis_off()
    ax = axes[2]
    blend = (before.pixels.astype(np.float32) + after.pixels.astype(np.float32)) / 2
    ax.imshow(blend.round().astype(np.uint8), interpolation="antialiased")
    ax.plot(after.chain[:, 0], after.chain[:, 1], color=ORANGE, linewidth=1.4)
    ax.plot(before.chain[:, 0], before.chain[:, 1], color=SKY, linewidth=1.4, linestyle="--")
    height, width = before.pixels.shape[:2]
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_axis_off()
    ax.set_title("Outlines overlaid", loc="left", fontsize=11, fontweight="bold")
    return fig
