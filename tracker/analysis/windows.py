"""Which photos count where: baseline, day 0, per-day values, windows, before/after pairs, pauses.

Everything here works on the library's tidy frames (``Library.photos()``: one row per photo,
``Library.sessions()``: one row per treatment session) and returns tidy frames; nothing
is computed twice and nothing reads the library itself.

Day numbers count calendar days of the photographer's local clock from day 0, the day of the
first logged treatment session (or, with no session logged, the day after the baseline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

# The windows of the seed guidance on microcurrent, in the order they are reported.
from tracker.analysis.levers import covariate_values
from tracker.formatting import parse_when
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Reason, ReasonCode

WINDOWS = ("immediate", "2-4 weeks", "long term")
# Day labels of per-day values: the baseline, then by days from day 0.
DAY_WINDOWS = ("baseline", "before treatment", "first 2 weeks", "2-4 weeks", "long term")
# The windows' lengths and the other thresholds live in tracker.settings (their reasons are
# given there) and are passed down as ``settings=``.


@dataclass(frozen=True)
class Baseline:
    """Which photos form the baseline, and where day 0 is.

    ``rule`` is "before the first session", "until YYYY-MM-DD" (or "until YYYY-MM-DD HH:MM")
    or "first week"; ``end`` is exclusive (the baseline is every accepted photo taken before
    it; None when there is no accepted photo); ``day0`` is the midnight starting day 0;
    ``first_treatment`` the first session's start (None without sessions); ``note`` says
    when the rule had to fall back.
    """

    rule: str
    end: pd.Timestamp | None
    day0: pd.Timestamp | None
    first_treatment: pd.Timestamp | None
    note: str = ""


def first_treatment(sessions: pd.DataFrame | None) -> pd.Timestamp | None:
    """The start of the first logged session (naive local time), or None."""
    if sessions is None or sessions.empty:
        return None
    starts = pd.to_datetime(sessions["started_at"]).dropna()
    return None if starts.empty else pd.Timestamp(starts.min())


def accepted(photos: pd.DataFrame) -> pd.DataFrame:
    """The photos that passed every quality check (``status == "ok"``) and have a time."""
    keep = (photos["status"] == "ok") & photos["captured_at"].notna()
    return photos.loc[keep]


def choose_baseline(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    baseline_until: date | datetime | str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Baseline:
    """Choose the baseline photos and day 0.

    Rules, in order: ``baseline_until`` (a date includes that whole day; a date-time
    includes photos up to it); else the accepted photos taken before the first logged
    session; else the first week of accepted photos (``settings.first_week_days``), also when
    sessions are logged but no accepted photo precedes them (the note then says that the
    baseline includes treated days). Day 0 is the first session's day, else the day after
    the baseline.

    Raises
    ------
    ValueError
        For a ``baseline_until`` that is not a date.
    """
    taken = pd.to_datetime(accepted(photos)["captured_at"])
    first = first_treatment(sessions)
    note = ""
    if baseline_until is not None:
        end, rule = _until(baseline_until)
    elif first is not None and (taken < first).any():
        end, rule = first, "before the first session"
    elif not taken.empty:
        end = taken.min().normalize() + pd.Timedelta(days=settings.first_week_days)
        rule = "first week"
        if first is not None:
            note = (
                "no accepted photo before the first session: the first week of photos "
                "is the baseline, so changes are underestimated"
            )
    else:
        return Baseline("no photos", None, None if first is None else first.normalize(), first)
    if first is not None:
        day0 = first.normalize()
    else:  # the first midnight at or after the baseline's end
        day0 = (end - pd.Timedelta(1)).normalize() + pd.Timedelta(days=1)
    return Baseline(rule, end, day0, first, note)


def _until(value: date | datetime | str) -> tuple[pd.Timestamp, str]:
    if isinstance(value, str):
        try:
            value = parse_when(value)
        except ValueError:
            raise ValueError(
                f"baseline end {value!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)"
            ) from None
    if isinstance(value, datetime):
        moment = pd.Timestamp(value.replace(tzinfo=None))
        return moment + pd.Timedelta(1), f"until {moment:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return pd.Timestamp(value) + pd.Timedelta(days=1), f"until {value.isoformat()}"
    raise ValueError(f"baseline end {value!r} is not a date")


def photo_roles(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    hours: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Each photo's place around a treatment session: before, after or neither.

    A photo tagged "before" or "after" (``session`` column) keeps its tag and belongs to
    the logged session of the same day nearest in time, or to that day when no session is
    logged then. An untagged photo taken within ``hours`` before a session's start is
    "before" it; one taken from the start to ``hours`` after its end (start + minutes) is
    "after" it (the nearest session's start wins when several qualify). ``hours`` defaults
    to ``settings.immediate_window_hours``.

    Returns
    -------
    DataFrame
        Indexed like ``photos``: ``role`` ("before", "after" or None), ``event`` (a key
        shared by the photos of one session: "session <id>" or "day YYYY-MM-DD"; None) and
        ``session_id`` (nullable Int64).
    """
    if hours is None:
        hours = settings.immediate_window_hours
    taken = pd.to_datetime(photos["captured_at"]).to_numpy("datetime64[ns]")
    tags = (
        photos["session"]
        if "session" in photos
        else pd.Series(None, index=photos.index, dtype=object)
    )
    tagged = tags.isin(["before", "after"]).to_numpy()
    tags = tags.astype(object).to_numpy()
    count = len(photos)
    role = np.full(count, None, dtype=object)
    event = np.full(count, None, dtype=object)
    session_id = np.full(count, np.nan)
    if sessions is not None and not sessions.empty:
        log = sessions.assign(started_at=pd.to_datetime(sessions["started_at"]))
        log = log.loc[log["started_at"].notna()].sort_values("started_at")
        starts = log["started_at"].to_numpy("datetime64[ns]")
        ids = (
            log["id"].to_numpy(dtype=np.float64)
            if "id" in log
            else np.arange(1, len(log) + 1, dtype=np.float64)
        )
        minutes = (
            log["minutes"].to_numpy(dtype=np.float64) if "minutes" in log else np.zeros(len(log))
        )
        minutes = np.nan_to_num(minutes, nan=0.0)
        offset_h = (taken[:, None] - starts[None, :]) / np.timedelta64(1, "h")
        before = (offset_h >= -hours) & (offset_h < 0)
        after = (offset_h >= 0) & (offset_h <= minutes[None, :] / 60.0 + hours)
        # untagged photos: by time
        distance = np.where(before | after, np.abs(offset_h), np.inf)
        nearest = distance.argmin(axis=1)
        rows = np.arange(count)
        timed = np.isfinite(distance[rows, nearest]) & ~tagged
        role[timed] = np.where(before[rows, nearest], "before", "after")[timed]
        session_id[timed] = ids[nearest[timed]]
        # tagged photos: the same day's nearest session
        same_day = taken.astype("datetime64[D]")[:, None] == starts.astype("datetime64[D]")[None, :]
        distance = np.where(same_day, np.abs(offset_h), np.inf)
        nearest = distance.argmin(axis=1)
        logged = np.isfinite(distance[rows, nearest]) & tagged
        session_id[logged] = ids[nearest[logged]]
    role[tagged] = tags[tagged]
    has_session = np.isfinite(session_id)
    event[has_session] = [f"session {int(i)}" for i in session_id[has_session]]
    by_day = tagged & ~has_session
    event[by_day] = [f"day {d}" for d in taken[by_day].astype("datetime64[D]")]
    return pd.DataFrame(
        {
            "role": role,
            "event": event,
            "session_id": pd.Series(session_id).astype("Int64").to_numpy(),
        },
        index=photos.index,
    )


def prepare(
    photos: pd.DataFrame,
    sessions: pd.DataFrame | None,
    baseline: Baseline,
    metrics: list[str],
    *,
    hours: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """The accepted photos in long form: one row per photo and metric with a value.

    Columns: ``photo`` (the row label in ``photos``), ``captured_at``, ``date`` (midnight),
    ``day`` (days from day 0; NaN without day 0), ``phase`` ("baseline", "before treatment"
    for photos after the baseline but before the first session, else "treated"), ``role``,
    ``event``, ``session_id``, ``metric``, ``value``.
    """
    kept = accepted(photos)
    frame = pd.DataFrame(
        {"photo": kept.index, "captured_at": pd.to_datetime(kept["captured_at"]).to_numpy()},
        index=kept.index,
    )
    frame["date"] = frame["captured_at"].dt.normalize()
    if baseline.day0 is not None:
        frame["day"] = ((frame["date"] - baseline.day0) / pd.Timedelta(days=1)).astype(float)
    else:
        frame["day"] = np.nan
    untreated = (
        frame["captured_at"] < baseline.first_treatment
        if baseline.first_treatment is not None
        else frame["day"] < 0
    )
    in_baseline = (
        frame["captured_at"] < baseline.end
        if baseline.end is not None
        else pd.Series(False, index=frame.index)
    )
    frame["phase"] = np.select(
        [in_baseline, untreated], ["baseline", "before treatment"], default="treated"
    ).astype(object)
    frame = frame.join(photo_roles(kept, sessions, hours=hours, settings=settings))
    # the capture (turn, nod, inverse distance), which the capture levers' error follows
    frame = frame.join(covariate_values(kept).add_prefix("capture_"))
    frame = frame.join(kept[metrics].astype(np.float64))
    long = frame.melt(
        id_vars=[c for c in frame.columns if c not in metrics],
        value_vars=metrics,
        var_name="metric",
        value_name="value",
    )
    return long.loc[long["value"].notna()].reset_index(drop=True)


_PHASE_ORDER = {"baseline": 0, "before treatment": 1, "treated": 2}


def window_of(day, phase, *, settings: Settings = DEFAULT_SETTINGS) -> np.ndarray:
    """The label (``DAY_WINDOWS``) of each day number and phase (see ``prepare``): with the
    default ``settings.weeks_2_4_days`` (14, 28), treated days 0-13 are "first 2 weeks",
    14-28 "2-4 weeks", from 29 "long term"."""
    day = np.asarray(day, dtype=np.float64)
    phase = np.asarray(phase, dtype=object)
    low, high = settings.weeks_2_4_days
    labels = np.select(
        [phase == "baseline", (phase == "before treatment") | (day < 0), day < low, day <= high],
        ["baseline", "before treatment", "first 2 weeks", "2-4 weeks"],
        default="long term",
    )
    return labels.astype(object)


def daily_values(long: pd.DataFrame, *, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """Per-day values: the median of a day's accepted photos, per metric.

    Photos taken right after a session (role "after") are left out: they carry the
    session's passing effect, which belongs to the "immediate" window and would inflate the
    cumulative ones. A day split by the baseline's end or the first session gives one value
    per phase.

    Returns
    -------
    DataFrame
        ``metric``, ``date``, ``day``, ``window`` (``DAY_WINDOWS``), ``value``, ``n_photos``,
        and the day's mean capture (``capture_yaw_deg`` ..., when ``long`` has them),
        sorted by metric (in the order met), date and phase.
    """
    resting = long.loc[long["role"] != "after"]
    grouped = resting.groupby(["metric", "date", "phase"], sort=False)
    capture = [c for c in resting.columns if c.startswith("capture_")]
    daily = pd.concat(
        [
            grouped["value"].median(),
            grouped["value"].size().rename("n_photos"),
            grouped["day"].first(),
            *([grouped[capture].mean()] if capture else []),
        ],
        axis=1,
    ).reset_index()
    daily["window"] = window_of(daily["day"], daily["phase"], settings=settings)
    order = {name: i for i, name in enumerate(pd.unique(long["metric"]))}
    daily = daily.sort_values(
        ["metric", "date", "phase"],
        key=lambda s: (
            s.map(order if s.name == "metric" else _PHASE_ORDER) if s.name != "date" else s
        ),
    )
    columns = ["metric", "date", "day", "window", "value", "n_photos", *capture]
    return daily[columns].reset_index(drop=True)


def immediate_pairs(long: pd.DataFrame) -> pd.DataFrame:
    """Before/after pairs: per session (or tagged day) and metric, the median of the photos
    taken after minus the median of those taken before.

    Returns
    -------
    DataFrame
        ``metric``, ``event``, ``session_id``, ``date``, ``before``, ``after``, ``change``,
        ``n_before``, ``n_after``, and, when ``long`` has the photos' captures
        (``capture_yaw_deg``, ...), each one's change: the mean capture of the photos after
        minus that of the photos before; only events with photos on both sides.
    """
    columns = [
        "metric",
        "event",
        "session_id",
        "date",
        "before",
        "after",
        "change",
        "n_before",
        "n_after",
    ]
    capture = [c for c in long.columns if c.startswith("capture_")]
    columns += capture
    sided = long.loc[long["role"].isin(["before", "after"]) & long["event"].notna()]
    keys = [sided["metric"], sided["event"]]
    sides = []
    for role in ("before", "after"):
        # a photo with no value has no part in the pair: its capture is left out too
        values = sided["value"].where(sided["role"] == role)  # NaN: ignored by median, count
        grouped = values.groupby(keys, sort=False)
        sides += [grouped.median().rename(role), grouped.count().rename(f"n_{role}")]
    shifts = []
    for column in capture:
        mean = {
            role: sided[column]
            .where((sided["role"] == role) & sided["value"].notna())
            .groupby(keys, sort=False)
            .mean()
            for role in ("before", "after")
        }
        shifts.append((mean["after"] - mean["before"]).rename(column))
    grouped = sided.groupby(keys, sort=False)
    pairs = pd.concat(
        [*sides, grouped["date"].min(), grouped["session_id"].first(), *shifts], axis=1
    )
    pairs = pairs.loc[(pairs["n_before"] > 0) & (pairs["n_after"] > 0)]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    pairs = pairs.rename_axis(["metric", "event"]).reset_index()
    pairs["change"] = pairs["after"] - pairs["before"]
    pairs["n_before"] = pairs["n_before"].astype("int64")
    pairs["n_after"] = pairs["n_after"].astype("int64")
    pairs["session_id"] = pairs["session_id"].astype("Int64")
    order = {name: i for i, name in enumerate(pd.unique(long["metric"]))}
    pairs = pairs.sort_values(
        ["metric", "date", "event"], key=lambda s: s.map(order) if s.name == "metric" else s
    )
    return pairs[columns].reset_index(drop=True)


def pauses(
    sessions: pd.DataFrame | None,
    *,
    latest: pd.Timestamp | None = None,
    min_days: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Pauses in the treatment log: gaps of more than ``min_days`` (default
    ``settings.pause_days``) between sessions.

    With ``latest`` (the latest photo's time), the time since the last session counts too
    (an ongoing pause, ``resumed`` NaT).

    Returns
    -------
    DataFrame
        ``last_session`` (start of the last session before the pause), ``resumed`` (start of
        the next one, NaT when ongoing), ``days`` (length up to ``resumed`` or ``latest``),
        ``ongoing`` (bool).
    """
    if min_days is None:
        min_days = settings.pause_days
    columns = ["last_session", "resumed", "days", "ongoing"]
    starts = (
        pd.Series(dtype="datetime64[ns]")
        if sessions is None or sessions.empty
        else pd.to_datetime(sessions["started_at"]).dropna().sort_values()
    )
    starts = starts.reset_index(drop=True)
    rows = []
    for last, nxt in zip(starts[:-1], starts[1:]):
        days = (nxt - last) / pd.Timedelta(days=1)
        if days > min_days:
            rows.append((last, nxt, days, False))
    if len(starts) and latest is not None and pd.notna(latest):
        days = (pd.Timestamp(latest) - starts.iloc[-1]) / pd.Timedelta(days=1)
        if days > min_days:
            rows.append((starts.iloc[-1], pd.NaT, days, True))
    frame = pd.DataFrame(rows, columns=columns)
    frame["last_session"] = pd.to_datetime(frame["last_session"]).astype("datetime64[ns]")
    frame["resumed"] = pd.to_datetime(frame["resumed"]).astype("datetime64[ns]")
    frame["days"] = frame["days"].astype(np.float64)
    frame["ongoing"] = frame["ongoing"].astype(bool)
    return frame


def short_reason(reason: str) -> str:
    """The kind of a rejection reason, without its numbers: "head turned: yaw +14.0 deg
    (limit +/-10)" -> "head turned"; "several faces (2); ..." -> "several faces"
    (``Reason.kind``)."""
    return Reason.of(reason).kind


def consistent_pose(
    photos: pd.DataFrame,
    *,
    max_pitch_deg: float | None = None,
    max_yaw_deg: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """``photos`` with accepted photos of unusual pose marked rejected, with the reason.

    The face frame removes most of a head turn, not all of it (see ``tracker.settings``), so
    a trend compares photos of like pose: a photo whose pitch or yaw differs from the median
    of the accepted photos by more than the limits (default: the settings') is left out and
    counted with the other rejected photos. Returns a copy; ``photos`` is not changed.
    """
    max_pitch = settings.trend_max_pitch_from_usual_deg if max_pitch_deg is None else max_pitch_deg
    max_yaw = settings.trend_max_yaw_from_usual_deg if max_yaw_deg is None else max_yaw_deg
    out = photos.copy()
    if "pitch_deg" not in out or "yaw_deg" not in out:
        return out
    ok = out["status"] == "ok"
    if ok.sum() < 3:  # no "usual" pose to speak of yet
        return out
    for column, limit, what in (("pitch_deg", max_pitch, "pitch"), ("yaw_deg", max_yaw, "yaw")):
        usual = float(out.loc[ok, column].median())
        off = ok & ((out[column] - usual).abs() > limit)
        for index in out.index[off]:
            reason = Reason(
                ReasonCode.UNUSUAL_POSE,
                f"pose unlike your other photos: {what} "
                f"{out.at[index, column] - usual:+.1f} deg from your usual "
                f"(limit +/-{limit:g})",
            )
            out.at[index, "reasons"] = list(out.at[index, "reasons"] or []) + [reason]
            out.at[index, "status"] = "rejected"
    return out


def rejected_reasons(photos: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """How many photos were left out (``status == "rejected"``), and how many for each kind
    of reason (a photo with several reasons counts under each), most frequent first."""
    rejected = photos.loc[photos["status"] == "rejected"]
    counts: dict[str, int] = {}
    reasons = rejected["reasons"] if "reasons" in rejected else pd.Series([[]] * len(rejected))
    for listed in reasons:
        kinds = {short_reason(r) for r in (listed if isinstance(listed, (list, tuple)) else [])}
        for kind in kinds or {"no reason given"}:
            counts[kind] = counts.get(kind, 0) + 1
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return len(rejected), ordered


def metric_columns(photos: pd.DataFrame) -> list[str]:
    """The columns of ``photos`` named in ``METRIC_NAMES``, in that order."""
    from tracker.metrics.registry import METRIC_NAMES

    return [name for name in METRIC_NAMES if name in photos.columns]
