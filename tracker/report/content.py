"""What the report says, computed once for the HTML and the PDF: the summary, the window
table, the charts (matplotlib figures), the aligned before/after photos, adherence to the
treatment log, the photo log with its quality flags, and the methods.

Everything user-written (tags, session notes, file names) stays plain text here; the HTML
template escapes it (jinja2 autoescape).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pandas as pd
from matplotlib.figure import Figure

from tracker import charts
from tracker.analysis.family import PRIMARY_METRICS
from tracker.analysis.text import lever_sentence
from tracker.formatting import none_if_nan, number, plural
from tracker.library_charts import aligned_pair, load_frames
from tracker.metrics import registry
from tracker.settings import DEFAULT_SETTINGS, Settings

# The metrics the summary leads with (the primary outcomes); any other metric joins it only
# with a change detectable under the report's family-wise control, marked exploratory.
KEY_METRICS = PRIMARY_METRICS
WINDOW_TITLES = {"immediate": "Immediate", "2-4 weeks": "2–4 weeks", "long term": "Long term"}
NO_PHOTOS_TEXT = (
    "No photos in the library yet: import some with `facetrack import` "
    "(take a week of photos before the first treatment for a baseline)."
)

# How each chart's metrics are measured, in plain words (chart name -> text)
METRIC_METHODS = {m.family: m.method for m in registry.METRICS if m.method}

LIMITATIONS = (
    "facetrack is not a medical device. It does not diagnose, treat or prevent anything, and "
    "its numbers are not a clinical assessment. Ask a doctor about anything that worries you.",
    "A photo is a flat picture of a three-dimensional face. Light, head carriage (chin up or "
    "down), expression, time of day, sleep, swelling, make-up and hair over the brows all "
    "move the numbers. Photos failing a quality check are left out, but a tipped head still "
    "moves brow height by about 0.12–0.16 mm per degree: take photos the same way each time.",
    "Millimetres rest on the average adult iris (11.71 mm). Your own may differ by a few per "
    "cent, which scales all your distances alike and so cancels in changes against your own "
    "baseline, but not in comparisons with other people.",
    "The noise floor comes from your repeat photos (several on one day, its upper 95% bound) "
    "when there are enough; otherwise from a study of simulated selfies for brow height, and "
    "from benchmarks that keep pose and light fixed for the other metrics, so their real "
    "noise may be larger than stated. Each change is also judged against how much your own "
    "days vary.",
    "A detectable change says the numbers moved, not why: season, weight, sleep, age and "
    "habits change faces too. There is no untreated comparison.",
    "Brow height follows a real lift closely (0.96 of a known change on average in the "
    "benchmarks); the jaw angle's response to a real change has not been validated yet.",
)


@dataclass
class Chart:
    """One figure of the report: ``face`` when it shows a photo of the face."""

    title: str
    figure: Figure
    caption: str = ""
    face: bool = False


@dataclass
class Report:
    """Everything the report shows. Numbers are formatted text; user text is not escaped."""

    generated_at: datetime
    include_photos: bool
    n_photos: int
    n_accepted: int
    n_rejected: int
    n_sessions: int
    period: str
    summary: list[str]
    overview: list[str]
    table: list[dict]
    table_notes: list[str]
    charts: list[Chart]
    before_after: Chart | None
    before_after_note: str
    adherence: list[str]
    adherence_chart: Chart | None
    session_notes: list[dict]
    fade: list[str]
    photo_log: list[dict]
    methods: list[dict]
    method_notes: list[str]
    limitations: tuple[str, ...] = LIMITATIONS
    trend: Any = field(default=None, repr=False)  # the analysis (tracker.analysis.Trend)
    # the long-term window month by month, key metrics (tracker.analysis.monthly_lines)
    monthly: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Release the figures (they hold image buffers)."""
        for chart in self.all_charts():
            chart.figure.clear()

    def all_charts(self) -> list[Chart]:
        extra = [c for c in (self.before_after, self.adherence_chart) if c is not None]
        return [*self.charts, *extra]


# --- formatting -------------------------------------------------------------------------------


def _unit(metric: str) -> tuple[str, int]:
    from tracker.analysis.text import metric_unit

    return metric_unit(metric)


def _finite(value) -> bool:
    return none_if_nan(value) is not None


def fmt(value, metric: str, *, signed: bool = False, unit: bool = False) -> str:
    """A metric's value with its usual decimals ("+0.82", "139.4 deg"), with a real minus
    sign; "–" when missing."""
    if not _finite(value):
        return "–"
    name, decimals = _unit(metric)
    text = number(value, decimals, signed=signed, minus="−")
    if unit and name:
        text = f"{text}{name}" if name == "%" else f"{text} {name}"
    return text


def _count(value, word: str) -> str:
    return "–" if pd.isna(value) else plural(int(value), word)


def _date(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


# --- building the report -----------------------------------------------------------------------


def build_report(
    library,
    *,
    include_photos: bool = True,
    baseline_until=None,
    sem=None,
    now: datetime | None = None,
    before_date=None,
    after_date=None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Report:
    """Read the library, analyse it and prepare every part of the report.

    Parameters
    ----------
    library : Library
    include_photos : bool
        False leaves every image of the face out (the aligned before/after photos).
    baseline_until, sem, settings
        Passed to ``tracker.analysis.analyse`` (the method notes describe the windows of
        ``settings``).
    now : datetime, optional
        The report's date (default: now).

    Raises
    ------
    ValueError
        For a bad ``baseline_until``.
    """
    from tracker.analysis import (
        analyse,
        design_lines,
        lead_sentences,
        overview_lines,
        what_it_would_take,
        whole_face,
    )

    photos, sessions = load_frames(library)
    trend = analyse(
        photos,
        sessions,
        baseline_until=baseline_until,
        sem=sem,
        plan=library.plan(),
        settings=settings,
    )
    table = trend.table
    accepted = photos.loc[photos["status"] == "ok"]
    n_sessions = int(len(sessions))
    if len(photos):
        first, last = photos["captured_at"].min(), photos["captured_at"].max()
        days = accepted["captured_at"].dt.normalize().nunique()
        period = (
            f"{plural(len(photos), 'photo')} ({len(accepted)} accepted, on "
            f"{plural(days, 'day')}) from {_date(first)} to {_date(last)}; "
            f"{plural(n_sessions, 'treatment session')} logged."
        )
        # the design leads: which one, whether the plan was followed, its own rows first
        summary = (
            design_lines(trend)
            + lead_sentences(trend, combine=True)
            + _summary(whole_face(table))
            + what_it_would_take(trend)
        )
        overview = overview_lines(trend)
    else:
        period = f"No photos yet; {plural(n_sessions, 'treatment session')} logged."
        summary, overview = [NO_PHOTOS_TEXT], []

    chart_list = [
        Chart(
            "Key metrics over time",
            charts.dashboard(photos, sessions, trend=trend),
            "Dots are daily values (the median of the day's accepted photos), lines their "
            "7-day rolling median. The dotted line is the baseline and the band around it "
            "the noise floor: a change inside the band cannot be told from noise. Ticks on "
            "the time axis are treatment sessions. Left and right are the subject's own.",
        ),
    ]
    if trend.design.name == "split-face" and (trend.daily["metric"].str.contains("_minus_")).any():
        axes = charts.split_face_chart(trend)
        chart_list.insert(
            0,
            Chart(
                "Split-face: treated minus untreated brow",
                cast(Figure, axes.figure),
                "Each dot is a day's treated brow height minus the untreated one, in the "
                "same photos; the dotted line is the same difference at baseline and the band "
                "its noise floor (MDC95 of the difference). A change of both sides alike "
                "(distance, light, scale) cancels here.",
            ),
        )
    for name in ("brow_height", "jaw_angle"):
        figure = cast(
            Figure, charts.metric_chart(photos, sessions, metric=name, trend=trend).figure
        )
        figure.set_size_inches(10.0, 4.4)
        chart_list.append(Chart(charts.chart_title(name), figure))

    before_after, note = None, ""
    if not include_photos:
        note = "Photos of the face are left out of this report (--no-photos)."
    else:
        pair = aligned_pair(
            library,
            photos=photos,
            sessions=sessions,
            baseline_until=baseline_until,
            before_date=before_date,
            after_date=after_date,
        )
        if pair is None:
            note = (
                "Not enough photos yet for a before/after comparison: it needs an accepted "
                "baseline photo and an accepted photo after the baseline, with their files "
                "still in place."
            )
        else:
            before_after = Chart(
                "Before and after",
                charts.before_after_figure(pair),
                "The latest baseline photo and the latest photo taken while on treatment (or "
                "the photos nearest the dates asked for), turned, scaled and shifted so "
                "that the pupils coincide (a similarity transform: nothing is stretched). The "
                "lines are what was measured. Differences in pose, expression and light "
                "show as much as real change.",
                face=True,
            )

    chart_list += _profile_charts(library, photos, sessions, trend, include_photos)

    latest = photos["captured_at"].max() if len(photos) else None
    adherence_chart = None
    if n_sessions:
        ax = charts.adherence_chart(sessions, until=latest)
        adherence_chart = Chart("Treatment sessions per week", cast(Figure, ax.figure))
    from tracker.analysis import summary_sentences

    key_fade = trend.fade.loc[trend.fade["metric"].isin(KEY_METRICS)]
    fade = (
        summary_sentences(table.iloc[:0], fade=key_fade, combine=True, settings=trend.settings)
        if len(key_fade)
        else []
    )
    from tracker.analysis import monthly_lines

    report = Report(
        generated_at=now or datetime.now().astimezone(),
        include_photos=include_photos,
        n_photos=int(len(photos)),
        n_accepted=int(len(accepted)),
        n_rejected=int((photos["status"] == "rejected").sum()),
        n_sessions=n_sessions,
        period=period,
        summary=summary,
        overview=overview,
        table=_table_rows(table),
        table_notes=_table_notes(table),
        charts=chart_list,
        before_after=before_after,
        before_after_note=note,
        adherence=adherence_lines(sessions, latest=latest),
        adherence_chart=adherence_chart,
        session_notes=_session_notes(sessions),
        fade=fade,
        monthly=monthly_lines(trend.monthly, metrics=KEY_METRICS),
        photo_log=_photo_log(photos, sessions),
        methods=_methods(trend),
        method_notes=_method_notes(trend, photos),
        trend=trend,
    )
    return report


def _summary(table: pd.DataFrame) -> list[str]:
    """The plain-language sentences: every window of the key metrics, then the other
    metrics' detectable changes."""
    from tracker.analysis import summary_sentences

    key = table.loc[table["metric"].isin(KEY_METRICS)]
    lines = summary_sentences(key, combine=True)
    known = table["detectable"].map(lambda v: v is not None and not pd.isna(v))
    detectable = table["detectable"].map(lambda v: v is True)
    others = table.loc[~table["metric"].isin(KEY_METRICS) & detectable]
    if len(others):
        lines += summary_sentences(others)
    elif known.any():
        lines.append("No exploratory metric changed detectably.")
    return lines


def _table_rows(table: pd.DataFrame) -> list[dict]:
    """The window table as formatted cells, one dict per metric and window."""
    from tracker.analysis import metric_label

    rows = []
    previous = None
    for row in table.itertuples(index=False):
        unit, _ = _unit(row.metric)
        first, previous = row.metric != previous, row.metric
        if row.detectable is None:
            verdict = "too few photos" if str(row.note or "").startswith("not enough") else "–"
        else:
            verdict = "yes" if row.detectable else "no"
        ci = (
            f"{fmt(row.ci_low, row.metric, signed=True)} to "
            f"{fmt(row.ci_high, row.metric, signed=True)}"
            if _finite(row.ci_low)
            else "–"
        )
        slope = (
            f"{fmt(row.slope_per_week, row.metric, signed=True)}"
            if _finite(row.slope_per_week)
            else "–"
        )
        rows.append(
            {
                "metric": metric_label(row.metric),
                "unit": unit,
                "window": row.window,
                "window_title": WINDOW_TITLES.get(row.window, row.window),
                "n": (
                    _count(row.n_sessions, "session")
                    if row.window == "immediate"
                    else _count(row.n_days, "day")
                ),
                "change": fmt(row.change, row.metric, signed=True),
                "ci": ci,
                "mdc": fmt(row.mdc, row.metric),
                "threshold": fmt(row.threshold, row.metric),
                "detectable": verdict,
                "slope": slope,
                "outcome": row.outcome,
                "first": first,
            }
        )
    return rows


def _table_notes(table: pd.DataFrame) -> list[str]:
    """The distinct notes of the table (why a window has no result), each once."""
    notes = [str(n) for n in table["note"].dropna().unique() if str(n)]
    return [n[0].upper() + n[1:] + ("" if n.endswith(".") else ".") for n in notes]


def adherence_lines(sessions: pd.DataFrame, *, latest=None) -> list[str]:
    """Plain sentences about the treatment log: how many sessions, per week, how long,
    which modes, the longest gap and the pauses."""
    from tracker.analysis import pauses

    if sessions is None or sessions.empty:
        return [
            "No treatment session logged: log them with `facetrack session log` to see "
            "adherence and to start day 0 at the first treatment."
        ]
    starts = pd.to_datetime(sessions["started_at"]).sort_values().reset_index(drop=True)
    first, last = starts.iloc[0], starts.iloc[-1]
    end = last if latest is None or pd.isna(latest) else max(last, pd.Timestamp(latest))
    weekly = charts.sessions_per_week(sessions, until=end)
    weeks = max(1, len(weekly))
    lines = [
        f"{plural(len(starts), 'session')} from {_date(first)} to {_date(last)}: "
        f"{len(starts) / weeks:.1f} per week on average over {plural(weeks, 'week')} "
        f"({plural(int((weekly == 0).sum()), 'week')} without a session)."
    ]
    minutes = sessions["minutes"].dropna()
    if len(minutes):
        lines.append(
            f"Session length: median {minutes.median():g} min, "
            f"{minutes.sum() / 60:.1f} hours in all ({len(minutes)} with a length "
            "logged)."
        )
    modes = sessions["mode"].dropna()
    if len(modes):
        counts = modes.value_counts()
        lines.append(
            "Modes: " + ", ".join(f"{mode} {count}" for mode, count in counts.items()) + "."
        )
    if "side" in sessions:
        counts = sessions["side"].fillna("both").value_counts()
        sides = ", ".join(
            f"{'both sides' if side == 'both' else side} {count}" for side, count in counts.items()
        )
        lines.append(f"Side treated: {sides}.")
    if len(starts) > 1:
        gaps = starts.diff().dt.total_seconds() / 86400
        i = int(gaps.idxmax())
        lines.append(
            f"Longest gap between sessions: {gaps.iloc[i]:.0f} days "
            f"({_date(starts.iloc[i - 1])} to {_date(starts.iloc[i])})."
        )
    for pause in pauses(sessions, latest=latest).itertuples(index=False):
        if pause.ongoing:
            lines.append(
                f"No session in the {pause.days:.0f} days since "
                f"{_date(pause.last_session)} (up to the latest photo)."
            )
        else:
            lines.append(
                f"Pause of {pause.days:.0f} days after {_date(pause.last_session)}, "
                f"resumed on {_date(pause.resumed)}."
            )
    return lines


def _session_notes(sessions: pd.DataFrame) -> list[dict]:
    """Sessions that carry a note (user text, escaped by the template)."""
    if sessions is None or sessions.empty:
        return []
    rows = sessions.loc[sessions["note"].notna()]
    return [
        {
            "date": f"{row.started_at:%Y-%m-%d %H:%M}",
            "minutes": f"{row.minutes:g}" if _finite(row.minutes) else "–",
            "mode": row.mode or "–",
            "note": row.note,
        }
        for row in rows.itertuples(index=False)
    ]


_SOURCE_WORDS = {
    "exif": "camera (EXIF)",
    "filename": "file name",
    "mtime": "file time",
    "manual": "given",
}


def _photo_log(photos: pd.DataFrame, sessions: pd.DataFrame) -> list[dict]:
    """One formatted row per photo: when, where the date came from, status and quality
    flags, pose and camera distance, advice for the next photo (when it should be taken
    differently), its place around a session (before or right after one), tag and the key
    metrics."""
    from tracker.analysis import photo_roles
    from tracker.analysis.capture import MATCHES_TEXT

    roles = photo_roles(photos, sessions)["role"].tolist() if len(photos) else []
    rows = []
    for row, role in zip(photos.itertuples(index=False), roles):
        flags = list(row.reasons)
        if row.date_flagged:
            flags.append(
                "capture time uncertain: "
                + (
                    "taken from the file's modification time"
                    if row.date_source == "mtime"
                    else "; ".join(row.date_notes)
                )
            )
        pose = (
            "–"
            if not _finite(row.yaw_deg)
            else " / ".join(_degrees(v) for v in (row.yaw_deg, row.pitch_deg, row.roll_deg))
        )
        rows.append(
            {
                "id": int(row.id),
                "taken": f"{row.captured_at:%Y-%m-%d %H:%M}",
                "offset": row.utc_offset or "",
                "source": _SOURCE_WORDS.get(row.date_source, row.date_source),
                "source_note": row.date_source != "exif",
                "status": row.status,
                "flags": flags,
                "pose": pose,
                "distance": (
                    f"{row.camera_distance_mm / 10:.0f} cm"
                    if _finite(getattr(row, "camera_distance_mm", None))
                    else ""
                ),
                "advice": (
                    "" if getattr(row, "advice", None) in (None, MATCHES_TEXT) else row.advice
                ),
                "session": {"before": "before a session", "after": "right after a session"}.get(
                    role, ""
                ),
                "tag": row.tag or "",
                **{
                    key: " / ".join(
                        fmt(
                            getattr(row, registry.sided(family, side)), registry.sided(family, side)
                        )
                        for side in registry.SIDES
                    )
                    for key, family in (("brow", "brow_height"), ("jaw", "jaw_angle"))
                },
            }
        )
    return rows


def _degrees(value: float) -> str:
    text = number(value, 0, signed=True, minus="−")
    return ("0" if text == "+0" else text) + "°"


def _methods(trend) -> list[dict]:
    """One row per metric: what it measures, its unit and its noise floor."""
    from tracker.analysis import metric_label

    noise = trend.noise.set_index("metric")
    rows = []
    for name, all_columns in charts.CHART_METRICS.items():
        columns = [c for c in all_columns if c in noise.index]
        if not columns:
            continue
        unit, _ = _unit(columns[0])
        label = metric_label(columns[0])
        if len(columns) == 2:
            label = label.replace(" (left)", " (left / right)")
        sem, mdc = (
            " / ".join(_two_decimals(noise.loc[c, key]) for c in columns) for key in ("sem", "mdc")
        )
        sources = dict.fromkeys(str(noise.loc[c, "noise_source"]) for c in columns)
        rows.append(
            {
                "metric": label,
                "unit": unit,
                "how": METRIC_METHODS.get(name, ""),
                "sem": sem,
                "mdc": mdc,
                "source": "; ".join(sources),
            }
        )
    return rows


def _two_decimals(value) -> str:
    return number(value, 2, missing="–")


def _method_notes(trend, photos: pd.DataFrame) -> list[str]:
    base = trend.baseline
    hours = trend.settings.immediate_window_hours
    person = bool((photos.get("scale_source") == "person").any()) if len(photos) else False
    low, high = trend.settings.weeks_2_4_days
    notes = [
        "Landmarks: MediaPipe Face Mesh (478 points, with the irises) on each photo, run on "
        "this computer. The face is turned to face the camera and the eyes made level before "
        "anything is measured, so a tilted head does not change the numbers.",
        "Scale: millimetres from the iris, whose visible diameter is about 11.71 mm in adults. "
        + (
            "Every photo in this report is scaled by your own distance between the pupils "
            "(the median over your accepted photos), which is steadier than one photo's iris."
            if person
            else "Each photo is scaled by its own iris."
        ),
        "Quality checks: photos with a turned or tipped head, blur, poor exposure, closed "
        "eyes, an open mouth, a smile, a sideways gaze or several faces are kept in the log "
        "with their reasons but left out of every number.",
        f"Baseline: {base.rule}. Day 0 is the day of the first treatment session"
        + (f" ({_date(base.day0)})." if base.day0 is not None else "."),
        f"Windows: immediate = photos taken up to {hours:g} hours after a session "
        f"against those up to {hours:g} hours before it (the mean of the sessions' "
        f"differences); 2–4 weeks = days {low}–{high}; long term = after day {high}. Each "
        "window is compared with the baseline.",
        "Statistics: a day's value is the median of its accepted photos (photos right after a "
        "session excluded), so a day photographed five times counts once. A change is the "
        "difference of the mean daily values with a Welch 95% confidence interval; each "
        "side's day-to-day variance is taken as at least the photo noise (SEM² / photos that "
        "day), and widened when consecutive days resemble each other (their lag-1 "
        "correlation, AR(1)). The slope per week is a Theil–Sen trend over the days since "
        "the first session.",
        "Detectable: every window and pause of every metric is one test of one family. "
        "Holm's weighted step-down procedure keeps the chance that an unchanged face is told "
        "anything changed at 5% per report; the primary measures (brow height per side, the "
        "jaw angles, lower face width and overall symmetry) share 80% of that 5%, the "
        "exploratory ones the rest. The threshold is the smallest change a row's test could "
        "have called detectable.",
        "Noise floor: MDC95 = 1.96 × √2 × SEM, the smallest difference between two single "
        "photos that exceeds the measurement noise with 95% confidence. The SEM is the upper "
        "95% bound of the spread of your repeat photos (several on one day) when at least "
        "three days have them, never below the 2-D benchmark's; without repeat photos it is "
        "the selfie study's (tracker/validation/noise_floors.csv).",
    ]
    capture = lever_sentence(trend)
    if capture:
        used = bool(len(trend.levers)) and bool(trend.levers["used"].astype(bool).any())
        notes.append(
            "Capture levers: the jaw, the mouth corners and the cheeks lie well behind or in "
            "front of the eyes, and the brows a few millimetres in front of them, by more or "
            "less than the face model says (people's brow ridges differ), so a head turned or "
            "nodded a little differently, or a camera held nearer or farther, moves them "
            "through the face model's depth. How much, for your face, is learnt from your own "
            "photos (within each week, where the face itself is the same), "
            + (
                "and every photo is read at your usual turn, nod and distance. "
                if used
                else "once they vary enough for it to be learnt. "
            )
            + (
                "A profile's chin-neck angles open and close one for one with the head's "
                "posture on the neck (the chin raised or lowered), so each profile is read at "
                "your usual posture. "
                if any(registry.get(str(m)).view == "profile" for m in trend.levers["metric"])
                else ""
            )
            + capture
        )
    return notes


def _profile_charts(library, photos, sessions, trend, include_photos: bool) -> list[Chart]:
    """The profile view's charts, when the library holds profile photos: the chin-neck
    angle over time (each side its own line) and, with photos, a profile before/after per
    side."""
    if "view" not in photos or not (photos["view"] == "profile").any():
        return []
    out = []
    figure = cast(
        Figure,
        charts.metric_chart(photos, sessions, metric="cervicomental_angle", trend=trend).figure,
    )
    figure.set_size_inches(10.0, 4.4)
    out.append(
        Chart(
            charts.chart_title("cervicomental_angle"),
            figure,
            "Measured on profile photos, each side on its own: the angle between the line "
            "under the chin and the front of the neck. Smaller is a sharper chin-neck angle.",
        )
    )
    if not include_photos:
        return out
    from tracker.alignment import aligned_profile_pair

    for side in registry.SIDES:
        pair = aligned_profile_pair(library, photos, sessions, side)
        if pair is None:
            continue
        out.append(
            Chart(
                f"Before and after: {side} profile",
                charts.profile_before_after_figure(*pair),
                "The latest baseline profile and the latest profile of the same side, turned, "
                "scaled and shifted so that the root of the nose and the chin coincide; the "
                "white lines are the submental and neck lines the angle is measured between. "
                "Head carriage (chin raised or tucked on the neck) changes the angle as much as "
                "a real change: the second number is the angle at your usual carriage, as the "
                "trend reads it.",
                face=True,
            )
        )
    return out
