"""Calendars as iCalendar files (RFC 5545), written as plain text: the app's reminders (the
weekly photo day and the planned treatment sessions, each a weekly repeating event with an
alarm) and an experiment's plan (``facetrack plan``: each photo day and session as its own
event)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _next(day: str, at: time, today: date) -> datetime:
    offset = (WEEKDAYS.index(day) - today.weekday()) % 7
    return datetime.combine(today + timedelta(days=offset), at)


def _event(
    summary: str,
    description: str,
    start: datetime,
    minutes: int,
    days: list[str] | None,
    stamp: str,
) -> list[str]:
    end = start + timedelta(minutes=minutes)
    repeat = [f"RRULE:FREQ=WEEKLY;BYDAY={','.join(days)}"] if days else []
    return [
        "BEGIN:VEVENT",
        f"UID:{uuid.uuid4()}@facetrack.local",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
        f"DTEND:{end:%Y%m%dT%H%M%S}",
        *repeat,
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(summary)}",
        "TRIGGER:-PT10M",
        "END:VALARM",
        "END:VEVENT",
    ]


def reminders_ics(
    *,
    photo_day: str | None,
    photo_time: time,
    session_days: list[str],
    session_time: time,
    session_minutes: int = 20,
    today: date | None = None,
) -> str:
    """The calendar text (CRLF line ends). Times are floating local times (the calendar's
    own time zone).

    Raises
    ------
    ValueError
        For a day that is not one of ``WEEKDAYS``, or nothing to remind of.
    """
    today = today or date.today()
    for day in [photo_day, *session_days]:
        if day is not None and day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
    if photo_day is None and not session_days:
        raise ValueError("choose a photo day or at least one session day")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//facetrack//reminders//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:facetrack",
    ]
    if photo_day is not None:
        lines += _event(
            "facetrack: progress photo",
            "Weekly photo: same place, same light, phone at your usual distance, "
            "neutral face. Take two photos. Open facetrack's Capture page.",
            _next(photo_day, photo_time, today),
            10,
            [photo_day],
            stamp,
        )
    if session_days:
        first = min(_next(d, session_time, today) for d in session_days)
        lines += _event(
            "facetrack: treatment session",
            f"Planned microcurrent session ({session_minutes} min). Log it in "
            "facetrack's Sessions page.",
            first,
            session_minutes,
            sorted(session_days, key=WEEKDAYS.index),
            stamp,
        )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def plan_ics(
    plan,
    *,
    photo_time: time = time(8, 0),
    session_time: time = time(19, 0),
    session_minutes: int = 20,
) -> str:
    """The calendar of a plan (``tracker.analysis.design.Plan``): one event with an alarm
    per photo day ("2 photos") and per session (the side to treat), at floating local times.
    CRLF line ends."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//facetrack//plan//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:facetrack {plan.design} plan",
    ]
    for row in plan.schedule().itertuples(index=False):
        day = row.date.date()
        if row.photos:
            lines += _event(
                f"facetrack: {row.photos} photos ({row.period})",
                f"{plan.describe()} Photo day: take {row.photos} photos, same place, light and "
                "distance, neutral face.",
                datetime.combine(day, photo_time),
                10,
                None,
                stamp,
            )
        if row.session:
            where = "both sides" if row.side == "both" else f"the {row.side} side only"
            lines += _event(
                f"facetrack: session, {where}",
                f"{plan.describe()} Treat {where} ({session_minutes} min) and log it: "
                f"facetrack session log --side {row.side}.",
                datetime.combine(day, session_time),
                session_minutes,
                None,
                stamp,
            )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
