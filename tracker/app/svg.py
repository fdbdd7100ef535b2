"""Server-drawn SVG charts for the app: one metric over time, from the trend's per-day values.

The same content as ``tracker.charts.metric_chart`` (per-day values, the baseline with its
noise band, the windows shaded, the sessions marked on the time axis, left and right as two
lines) as plain SVG text: no script, no style attribute (the app's CSP allows neither inline),
each value with a ``<title>`` the browser shows on hover.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from tracker.charts import SESSION_COLOUR, SIDE_STYLES, WINDOW_SHADES, chart_metrics, chart_title

WIDTH, HEIGHT = 720, 300
MARGIN = {"left": 52, "right": 14, "top": 26, "bottom": 34}


def _fmt(value: float, unit: str) -> str:
    digits = 1 if unit == "deg" else 2
    return f"{value:.{digits}f} {unit}".strip()


def _side(metric: str) -> str | None:
    return "left" if "_left_" in metric else "right" if "_right_" in metric else None


def metric_svg(trend, sessions: pd.DataFrame | None, name: str, *, chart_id: str = "") -> str:
    """One chart as an ``<svg>`` element (a str).

    Parameters
    ----------
    trend : tracker.analysis.Trend
        Covering the chart's metrics (``daily``, ``noise``, ``baseline``).
    sessions : DataFrame or None
        ``Library.sessions()``.
    name : str
        A chart name of ``tracker.charts.CHART_METRICS`` ("brow_height") or a metric column.
    """
    from tracker.analysis.text import metric_unit

    columns = chart_metrics(name)
    unit = metric_unit(columns[0])[0]
    title = escape(chart_title(name))
    daily = trend.daily.loc[trend.daily["metric"].isin(columns)]
    head = (
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}">'
        f'<text x="4" y="16" class="chart-title">{title}</text>'
    )
    if daily.empty:
        return head + (
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
            'class="empty">No accepted photos yet</text></svg>'
        )
    noise = trend.noise.set_index("metric")["mdc"]
    dates = pd.to_datetime(daily["date"])
    starts = (
        pd.to_datetime(sessions["started_at"]).dropna()
        if sessions is not None and len(sessions)
        else pd.Series([], dtype="datetime64[ns]")
    )
    t0, t1 = dates.min(), dates.max()
    pad = max(pd.Timedelta(days=1), (t1 - t0) * 0.02)
    t0, t1 = t0 - pad, t1 + pad
    # y range: values and baseline bands
    lows, highs = [daily["value"].min()], [daily["value"].max()]
    bands = {}
    for column in columns:
        base = daily.loc[(daily["metric"] == column) & (daily["window"] == "baseline"), "value"]
        mdc = float(noise.get(column, math.nan))
        if not base.empty:
            level = float(base.mean())
            bands[column] = (level, mdc if math.isfinite(mdc) else 0.0)
            lows.append(level - bands[column][1])
            highs.append(level + bands[column][1])
    y0, y1 = float(min(lows)), float(max(highs))
    span = max(y1 - y0, 1e-6)
    y0, y1 = y0 - 0.08 * span, y1 + 0.08 * span
    left, right = MARGIN["left"], WIDTH - MARGIN["right"]
    top, bottom = MARGIN["top"], HEIGHT - MARGIN["bottom"]
    total_s = (t1 - t0).total_seconds()

    def x(t) -> float:
        return left + (pd.Timestamp(t) - t0).total_seconds() / total_s * (right - left)

    def y(v) -> float:
        return bottom - (float(v) - y0) / (y1 - y0) * (bottom - top)

    parts = [head]
    # windows
    base_info = trend.baseline
    spans = []
    if base_info.end is not None:
        spans.append(("baseline", t0, min(base_info.end, t1)))
    if base_info.day0 is not None:
        low, high = trend.settings.weeks_2_4_days
        first = base_info.day0 + pd.Timedelta(days=low)
        last = base_info.day0 + pd.Timedelta(days=high + 1)
        spans += [("2-4 weeks", max(first, t0), min(last, t1)), ("long term", max(last, t0), t1)]
    for window, a, b in spans:
        if b <= a:
            continue
        colour, label = WINDOW_SHADES[window]
        parts.append(
            f'<rect class="window" x="{x(a):.1f}" y="{top}" width="{x(b) - x(a):.1f}" '
            f'height="{bottom - top}" fill="{colour}" fill-opacity="0.18">'
            f"<title>{escape(label)}</title></rect>"
            f'<text x="{x(a) + 3:.1f}" y="{top + 11}" class="window-label">'
            f"{escape(label)}</text>"
        )
    # axes and ticks
    parts.append(
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>'
    )
    decimals = 1 if y1 - y0 > 2 else 2
    for i in range(5):
        v = y0 + (y1 - y0) * i / 4
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y(v):.1f}" x2="{right}" '
            f'y2="{y(v):.1f}"/><text class="tick" x="{left - 4}" y="{y(v) + 4:.1f}" '
            f'text-anchor="end">{v:.{decimals}f}</text>'
        )
    n_ticks = 5
    for i in range(n_ticks):
        t = t0 + (t1 - t0) * (i + 0.5) / n_ticks
        parts.append(
            f'<text class="tick" x="{x(t):.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{t:%d %b %y}</text>'
        )
    # baseline and noise band
    for column, (level, mdc) in bands.items():
        colour = SIDE_STYLES[_side(column)]["color"]
        side = _side(column)
        label = f"{side + ' ' if side else ''}baseline {_fmt(level, unit)}, noise floor ±{mdc:.2f}"
        if mdc > 0:
            parts.append(
                f'<rect class="band" x="{left}" y="{y(level + mdc):.1f}" '
                f'width="{right - left}" height="{y(level - mdc) - y(level + mdc):.1f}" '
                f'fill="{colour}" fill-opacity="0.12"><title>{escape(label)}</title>'
                "</rect>"
            )
        parts.append(
            f'<line class="baseline" x1="{left}" y1="{y(level):.1f}" x2="{right}" '
            f'y2="{y(level):.1f}" stroke="{colour}" stroke-dasharray="2 3"/>'
        )
    # sessions
    for start in starts:
        if t0 <= start <= t1:
            parts.append(
                f'<line class="session" x1="{x(start):.1f}" y1="{bottom}" '
                f'x2="{x(start):.1f}" y2="{bottom - 9}" stroke="{SESSION_COLOUR}" '
                f'stroke-width="1.5"><title>session {start:%Y-%m-%d %H:%M}</title>'
                "</line>"
            )
    # values
    for column in columns:
        style = SIDE_STYLES[_side(column)]
        days = daily.loc[daily["metric"] == column].sort_values("date")
        if days.empty:
            continue
        points = [(x(d), y(v)) for d, v in zip(days["date"], days["value"])]
        dash = ' stroke-dasharray="6 3"' if style["linestyle"] == "--" else ""
        parts.append(
            '<polyline class="line" fill="none" stroke-width="1.6" stroke="'
            f'{style["color"]}"{dash} points="'
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
            + '"/>'
        )
        side = _side(column)
        for (px, py), d, v, n in zip(points, days["date"], days["value"], days["n_photos"]):
            tip = (
                f"{pd.Timestamp(d):%Y-%m-%d}{', ' + side if side else ''}: "
                f"{_fmt(v, unit)} ({int(n)} photo{'s' if n != 1 else ''})"
            )
            if style["marker"] == "s":
                shape = (
                    f'<rect class="point" x="{px - 3:.1f}" y="{py - 3:.1f}" width="6" '
                    f'height="6" fill="{style["color"]}">'
                )
                parts.append(shape + f"<title>{escape(tip)}</title></rect>")
            else:
                parts.append(
                    f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="3.5" '
                    f'fill="{style["color"]}"><title>{escape(tip)}</title></circle>'
                )
    # legend
    lx = right - 150
    for i, column in enumerate(columns):
        side = _side(column)
        colour = SIDE_STYLES[side]["color"]
        parts.append(
            f'<circle cx="{lx + 70 * i}" cy="12" r="4" fill="{colour}"/>'
            f'<text class="legend" x="{lx + 70 * i + 7}" y="16">'
            f"{escape(side.capitalize() if side else 'Value')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
