"""Experimental designs: which design a treatment log follows (whole-face, split-face, on/off),
the schedule of a planned experiment, and whether the photos and sessions followed it.

- **Whole-face**: every session treats both sides; each metric is compared with its baseline.
- **Split-face**: every session treats one side (``session log --side left``); the other side
  is the control. Whatever moves both sides alike in one photo (camera distance, light, much
  of the chin tilt, the scale) cancels in the difference between the sides, so the treated
  side minus the untreated side, against the same difference at baseline, is several times
  sharper than a whole-face comparison.
- **On/off**: blocks of treated weeks alternate with untreated ones; the analysis compares on
  against off days, allowing for a slow drift.

A plan (``Plan``, ``facetrack plan``) fixes the design beforehand: its photo days, its session
days and, for split-face, the treated side. Everything here is pure: no file or database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from tracker.metrics.registry import OTHER_SIDE, SPLIT_FACE, WHOLE_FACE

ON_OFF = "on-off"
DESIGNS = (WHOLE_FACE, SPLIT_FACE, ON_OFF)
PLANNED_DESIGNS = (SPLIT_FACE, ON_OFF)
SESSION_SIDES = ("both", "left", "right")
# A plan's schedule: two weeks of baseline photos before the first session (split-face), a
# session on three days of each treated week (days 0, 2 and 4 of the week, as the device
# guides suggest), photos every third day (two per sitting), and on/off blocks of two weeks
# (a week is too short for an effect that builds over days to appear and fade).
BASELINE_WEEKS = 2
SESSION_WEEKDAYS = (0, 2, 4)
PHOTO_EVERY_DAYS = 3
PHOTOS_PER_DAY = 2
BLOCK_WEEKS = 2


@dataclass(frozen=True)
class Plan:
    """A planned experiment.

    Attributes
    ----------
    design : str
        "split-face" or "on-off".
    start : date
        The first photo day (split-face: the first of the baseline's photo days; on/off: the
        first day of the first block, an off block).
    weeks : int
        Treated weeks (split-face, after the ``BASELINE_WEEKS`` of baseline) or the length
        of the whole on/off schedule.
    side : str
        The treated side: "left" or "right" for split-face, "both" for on/off.
    block_weeks : int
        Length of an on/off block (``BLOCK_WEEKS``).
    """

    design: str
    start: date
    weeks: int
    side: str = "left"
    block_weeks: int = BLOCK_WEEKS

    def __post_init__(self) -> None:
        check_design(self.design, planned=True)
        if self.weeks < 1:
            raise ValueError(f"a plan needs at least 1 week (got {self.weeks})")
        if self.design == SPLIT_FACE and self.side not in OTHER_SIDE:
            raise ValueError(
                f"side {self.side!r} is not a side: a split-face plan treats left or right"
            )
        if self.block_weeks < 1:
            raise ValueError(f"an on/off block needs at least 1 week (got {self.block_weeks})")

    @property
    def first_session(self) -> date:
        """The first treated day."""
        offset = BASELINE_WEEKS if self.design == SPLIT_FACE else self.block_weeks
        return self.start + timedelta(weeks=offset)

    @property
    def end(self) -> date:
        """The last day of the plan (its last photo day)."""
        total = self.weeks + (BASELINE_WEEKS if self.design == SPLIT_FACE else 0)
        return self.start + timedelta(weeks=total)

    def on(self, day: date) -> bool:
        """Whether ``day`` is in a treated period (split-face: from the first session on;
        on/off: an on block)."""
        if day < self.first_session or day > self.end:
            return False
        if self.design == SPLIT_FACE:
            return True
        return ((day - self.start).days // (7 * self.block_weeks)) % 2 == 1

    def schedule(self) -> pd.DataFrame:
        """Every day of the plan with something to do.

        Returns
        -------
        DataFrame
            ``date`` (datetime64, midnight), ``day`` (days from ``start``), ``period``
            ("baseline", "treated", "on" or "off"), ``photos`` (photos to take, 0 or
            ``PHOTOS_PER_DAY``), ``session`` (bool), ``side`` (the side to treat, None
            without a session).
        """
        rows = []
        total = (self.end - self.start).days
        for offset in range(total + 1):
            day = self.start + timedelta(days=offset)
            on = self.on(day)
            week_day = (day - self.first_session).days % 7
            session = on and week_day in SESSION_WEEKDAYS
            photos = PHOTOS_PER_DAY if offset % PHOTO_EVERY_DAYS == 0 else 0
            if not (session or photos):
                continue
            if self.design == SPLIT_FACE:
                period = "treated" if on else "baseline"
            else:
                period = "on" if on else "off"
            rows.append((day, offset, period, photos, session, self.side if session else None))
        frame = pd.DataFrame(rows, columns=["date", "day", "period", "photos", "session", "side"])
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        return frame

    def describe(self) -> str:
        """One line: the design, its length and what is treated."""
        if self.design == SPLIT_FACE:
            return (
                f"Split-face plan: treat the {self.side} side only for {self.weeks} weeks "
                f"from {self.first_session:%Y-%m-%d}, after {BASELINE_WEEKS} weeks of "
                f"baseline photos from {self.start:%Y-%m-%d}; the {OTHER_SIDE[self.side]} "
                "side is the control."
            )
        return (
            f"On/off plan: {self.weeks} weeks from {self.start:%Y-%m-%d} in blocks of "
            f"{self.block_weeks} week{'s' if self.block_weeks != 1 else ''}, off first, "
            "then on and off in turn; treat both sides in the on blocks only."
        )


def check_design(design: str, *, planned: bool = False) -> str:
    """``design`` when it is one of ``DESIGNS`` (``PLANNED_DESIGNS`` with ``planned``).

    Raises
    ------
    ValueError
        For any other word, with the choices.
    """
    choices = PLANNED_DESIGNS if planned else DESIGNS
    if design not in choices:
        raise ValueError(f"unknown design {design!r}; choose {' or '.join(choices)}")
    return design


@dataclass(frozen=True)
class Design:
    """The design an analysis used.

    ``name`` is "whole-face", "split-face" or "on-off"; ``treated`` the treated side of a
    split-face design (else None); ``planned`` the plan's design (None without a plan);
    ``note`` one plain line saying why this design (empty when there is nothing to say).
    """

    name: str
    treated: str | None = None
    planned: str | None = None
    note: str = ""

    def line(self) -> str:
        """ "Design: split-face (left side treated, right side the control)." and the note."""
        if self.name == SPLIT_FACE:
            text = (
                f"Design: split-face ({self.treated} side treated, "
                f"{OTHER_SIDE[self.treated or 'left']} side the control)."
            )
        elif self.name == ON_OFF:
            text = "Design: on/off (treated blocks against untreated ones, allowing for a drift)."
        else:
            text = "Design: whole-face (each metric against its baseline)."
        return f"{text} {self.note}".rstrip()


def _sides(sessions: pd.DataFrame | None) -> pd.Series:
    if sessions is None or sessions.empty:
        return pd.Series([], dtype=object)
    if "side" not in sessions:
        return pd.Series(["both"] * len(sessions), dtype=object)
    return sessions["side"].fillna("both").astype(str).str.lower()


def _counts(sides: pd.Series) -> str:
    counts = sides.value_counts()
    return ", ".join(f"{counts[s]} {s}" for s in SESSION_SIDES if s in counts)


def design_of(sessions: pd.DataFrame | None, plan: Plan | None = None) -> Design:
    """The design of a treatment log (``Library.sessions()``: its ``side`` column), given the
    plan if there is one.

    Split-face when every session treated the same one side; whole-face otherwise, with a
    note when the sides were mixed (a split-face comparison needs one untreated side) or
    when a split-face plan was not followed; on/off when the plan says so and every session
    treated both sides.
    """
    sides = _sides(sessions)
    planned = plan.design if plan is not None else None
    kinds = set(sides)
    if len(kinds) == 1 and kinds <= set(OTHER_SIDE):
        treated = next(iter(kinds))
        note = ""
        if plan is not None and plan.design == SPLIT_FACE and plan.side != treated:
            note = (
                f"The plan treats the {plan.side} side, but every session was logged on the "
                f"{treated} side: the {treated} side is analysed as the treated one."
            )
        elif plan is not None and plan.design == ON_OFF:
            note = (
                f"The plan is on/off, but every session treated the {treated} side only: "
                "analysed as split-face."
            )
        return Design(SPLIT_FACE, treated, planned, note)
    if planned == SPLIT_FACE and kinds:
        return Design(
            WHOLE_FACE,
            None,
            planned,
            f"The plan is split-face, but sessions were logged on both sides "
            f"({_counts(sides)}): no split-face comparison, analysed as whole-face.",
        )
    if planned == ON_OFF:
        if kinds - {"both"}:
            note = (
                f"Sessions on different sides ({_counts(sides)}): the on/off comparison "
                "treats every session alike."
            )
        else:
            note = ""
        return Design(ON_OFF, None, planned, note)
    if len(kinds) > 1:
        return Design(
            WHOLE_FACE,
            None,
            planned,
            f"Sessions on different sides ({_counts(sides)}): a split-face comparison needs "
            "every session on one side; analysed as whole-face.",
        )
    return Design(WHOLE_FACE, None, planned)


def adherence(
    plan: Plan,
    sessions: pd.DataFrame | None,
    photo_dates,
    *,
    today: date | None = None,
) -> dict:
    """Whether a plan was followed, up to ``today`` (default: the latest photo or session).

    Parameters
    ----------
    plan : Plan
    sessions : DataFrame
        ``Library.sessions()``: ``started_at`` and ``side``.
    photo_dates : sequence of dates or timestamps
        When the accepted photos were taken.

    Returns
    -------
    dict
        ``photo_days`` (planned photo days so far), ``missed_photo_days`` (list of dates
        without an accepted photo), ``sessions`` (logged within the plan), ``wrong_side``
        (sessions on another side than planned), ``off_block`` (on/off: sessions in an off
        block or the baseline), ``followed`` (bool) and ``lines`` (plain sentences).
    """
    schedule = plan.schedule()
    taken = {pd.Timestamp(d).date() for d in pd.to_datetime(pd.Series(list(photo_dates)))}
    starts = (
        pd.to_datetime(sessions["started_at"]).dt.date.tolist()
        if sessions is not None and len(sessions)
        else []
    )
    sides = _sides(sessions).tolist()
    latest = [*taken, *starts]
    until = today or (max(latest) if latest else plan.start)
    due = schedule.loc[(schedule["photos"] > 0) & (schedule["date"].dt.date <= until)]
    missed = [d for d in due["date"].dt.date if d not in taken]
    inside = [(d, s) for d, s in zip(starts, sides) if plan.start <= d <= plan.end]
    if plan.design == SPLIT_FACE:
        wrong = [d for d, s in inside if s != plan.side]
        early = [d for d, _ in inside if not plan.on(d)]
    else:
        wrong = []
        early = [d for d, _ in inside if not plan.on(d)]
    lines = [plan.describe()]
    followed = not (missed or wrong or early)
    if wrong:
        lines.append(
            f"{len(wrong)} of {len(inside)} sessions were not on the {plan.side} side only "
            f"(first on {wrong[0]:%Y-%m-%d})."
        )
    if early:
        what = "baseline" if plan.design == SPLIT_FACE else "off blocks"
        lines.append(
            f"{len(early)} session{'s' if len(early) != 1 else ''} fell in the {what} "
            f"(first on {early[0]:%Y-%m-%d})."
        )
    if missed:
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in missed[:5])
        more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
        lines.append(
            f"{len(missed)} of {len(due)} planned photo days so far had no accepted photo "
            f"({shown}{more})."
        )
    if followed:
        lines.append(
            f"Followed so far: {len(due)} planned photo days with photos, "
            f"{len(inside)} sessions as planned."
        )
    return {
        "photo_days": len(due),
        "missed_photo_days": missed,
        "sessions": len(inside),
        "wrong_side": len(wrong),
        "off_block": len(early),
        "followed": followed,
        "lines": lines,
    }
