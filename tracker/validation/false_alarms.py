"""How often the trend tells an unchanged face that it changed, and how often it finds a real
brow lift: a simulation of whole photo series through ``tracker.analysis.analyse``, the code
path of ``facetrack trend`` and the report.

Each simulated person:

- takes ``photos_per_day`` photos a day, a minute apart at 08:00, for a 2-week baseline (days
  -14 to -1) and then ``weeks_after`` weeks (days 0 to 7 x ``weeks_after``); logs a
  20-minute session at 19:00 three times a week from day 0 (days 0, 2, 4 of each week);
  with ``session_photos``, also takes one photo 10 minutes before and one 30 minutes after
  each session (tagged), which gives the immediate window something to test;
- has every metric the trend analyses (``METRIC_NAMES`` but the scales) measured with
  per-photo noise of the SD in the noise-floor file (``sd``; the selfie study's where it
  has one, else the 2-D benchmark's), plus a day effect shared by the photos of a day
  (normal, ``day_effect_ratio`` times the per-photo SD, optionally an AR(1) series over
  days with ``day_correlation``). Asymmetry metrics are the absolute left-right difference
  of their simulated sides, as in the measurement;
- has both brows lifted by ``lift_mm``, rising linearly from day 0 to its full size on day
  14 and holding it (so that the 2-4 week window, days 14-28, sees the full lift).

A report "tells something changed" when any row of its window table or pause table is
detectable (any metric, any window); a lift is "found" when either brow's 2-4 week row is
detectable and upward.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from tracker.analysis import analyse
from tracker.analysis.design import Plan
from tracker.analysis.noise import SELFIE, TWO_D, read_noise_floors
from tracker.metrics import registry
from tracker.metrics.geometry import METRIC_NAMES
from tracker.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "BROWS",
    "DAY_EFFECT_RATIO",
    "HEAD_TURN_LEVERS",
    "clopper_pearson",
    "false_alarm_study",
    "photo_noise_sd",
    "pair_correlations",
    "simulate_plan_series",
    "simulate_reports",
    "simulate_series",
    "split_face_study",
    "summarise_reports",
]

BROWS = registry.names(family="brow_height")
# The day effect's SD as a share of the per-photo SD. Nobody has measured it on real selfies
# yet; half the photo noise (0.24 mm for brow height) is a deliberate, stated assumption that
# makes one photo a day noisier than the photo noise alone.
DAY_EFFECT_RATIO = 0.5
BASELINE_DAYS = 14
_ABS_DIFFERENCES = {
    "brow_asymmetry_mm": BROWS,
    "jaw_angle_asymmetry_deg": ("jaw_angle_left_deg", "jaw_angle_right_deg"),
    "mouth_corner_asymmetry_mm": (
        "mouth_corner_elevation_left_mm",
        "mouth_corner_elevation_right_mm",
    ),
}
_START = pd.Timestamp(2026, 1, 1)


def photo_noise_sd(floors: pd.DataFrame | None = None) -> dict[str, float]:
    """Per-photo noise SD of every simulated metric: the selfie study's ``sd`` where the
    noise-floor file has one, else the 2-D benchmark's."""
    floors = read_noise_floors() if floors is None else floors
    whole = floors.loc[floors["design"] == "whole-face"]
    sd = {}
    for source in (TWO_D, SELFIE):  # the selfie study's value wins
        for row in whole.loc[whole["source"] == source].itertuples(index=False):
            sd[row.metric] = float(row.sd)
    return {m: sd[m] for m in METRIC_NAMES if m in sd and registry.get(m).trended}


# the turn levers of the 3-D head's metrics, per degree of yaw (benchmarks/bench_levers.py):
# a realistic ``turn_levers`` for a head-turn habit
HEAD_TURN_LEVERS = {
    "jaw_angle_left_deg": 0.233,
    "jaw_angle_right_deg": -0.465,
    "lower_face_width_mm": 0.152,
    "jowl_left_mm": -0.208,
    "jowl_right_mm": 0.150,
    "jaw_contour_angle_left_deg": 0.410,
    "jaw_contour_55_left_mm": 0.097,
    "jaw_contour_55_right_mm": -0.098,
    "jaw_contour_75_left_mm": -0.137,
}


def simulate_series(
    rng: np.random.Generator,
    *,
    photos_per_day: int,
    weeks_after: int = 4,
    lift_mm: float = 0.0,
    day_effect_ratio: float = DAY_EFFECT_RATIO,
    day_correlation: float = 0.0,
    session_photos: bool = False,
    noise_sd: dict[str, float] | None = None,
    turn_levers: dict[str, float] | None = None,
    habit_yaw_deg: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One simulated person's photos and sessions (see the module), shaped like
    ``Library.photos()`` and ``Library.sessions()``.

    With ``turn_levers`` (metric -> its change per degree of head turn; ``{}`` for none) the
    photos also have a capture: a turn ``yaw_deg`` drawn normal with SD 2 deg about 0 before
    day 0 and about ``habit_yaw_deg`` from day 0 (a habit that changes with the treatment),
    ``pitch_deg`` (SD 1.2 deg) and ``camera_distance_mm`` (400, SD 30), and each metric of
    ``turn_levers`` moves by its lever times the turn: what the trend's capture levers
    (``tracker.analysis.levers``) must undo without inventing a change.

    Returns
    -------
    (photos, sessions) : (DataFrame, DataFrame)
        ``photos``: ``captured_at``, ``status`` ("ok"), ``reasons``, ``session``, one
        column per metric and ``interpupillary_mm`` (62 mm); ``sessions``: ``id``,
        ``started_at``, ``minutes``.
    """
    noise_sd = photo_noise_sd() if noise_sd is None else noise_sd
    days = np.arange(-BASELINE_DAYS, 7 * weeks_after + 1)
    session_days = [d for d in range(7 * weeks_after + 1) if d % 7 in (0, 2, 4)]
    when: list[pd.Timestamp] = []
    days_taken: list[int] = []
    tags: list[str | None] = []
    for day in days:
        midnight = _START + pd.Timedelta(days=int(day) + BASELINE_DAYS)
        for i in range(photos_per_day):
            when.append(midnight + pd.Timedelta(hours=8, minutes=i))
            days_taken.append(int(day))
            tags.append(None)
        if session_photos and day in session_days:
            when += [
                midnight + pd.Timedelta(hours=18, minutes=50),
                midnight + pd.Timedelta(hours=19, minutes=30),
            ]
            days_taken += [int(day), int(day)]
            tags += ["before", "after"]
    day_of = np.asarray(days_taken)
    lift = lift_mm * np.clip(day_of / 14.0, 0.0, 1.0)
    index = day_of - days[0]
    photos = pd.DataFrame(
        {
            "captured_at": pd.to_datetime(when).astype("datetime64[ns]"),
            "status": "ok",
            "reasons": [[] for _ in when],
            "session": tags,
        }
    )
    for metric, sd in noise_sd.items():
        if metric in _ABS_DIFFERENCES:
            continue
        day_effect = _day_effects(rng, days.size, day_effect_ratio * sd, day_correlation)
        values = 20.0 + day_effect[index] + rng.normal(0.0, sd, day_of.size)
        photos[metric] = values + (lift if metric in BROWS else 0.0)
    if turn_levers is not None:
        n = day_of.size
        photos["yaw_deg"] = np.where(day_of < 0, 0.0, habit_yaw_deg) + rng.normal(0.0, 2.0, n)
        photos["pitch_deg"] = rng.normal(0.0, 1.2, n)
        photos["roll_deg"] = 0.0
        photos["camera_distance_mm"] = 400.0 + rng.normal(0.0, 30.0, n)
        for metric, lever in turn_levers.items():
            photos[metric] = photos[metric] + lever * photos["yaw_deg"]
    for metric, (left, right) in _ABS_DIFFERENCES.items():
        if metric in noise_sd and left in photos and right in photos:
            photos[metric] = (photos[left] - photos[right]).abs()
    photos["interpupillary_mm"] = 62.0
    starts = [_START + pd.Timedelta(days=d + BASELINE_DAYS, hours=19) for d in session_days]
    sessions = pd.DataFrame(
        {
            "id": np.arange(1, len(starts) + 1),
            "started_at": pd.to_datetime(starts).astype("datetime64[ns]"),
            "minutes": 20.0,
        }
    )
    return photos, sessions


def pair_correlations(floors: pd.DataFrame | None = None) -> dict[str, float]:
    """Per paired family (``registry.paired_families``), the correlation between the left
    and right sides' per-photo noise implied by the noise-floor file: with whole-face SDs
    ``sL``, ``sR`` and the split-face SD ``sD`` of left minus right,
    ``(sL**2 + sR**2 - sD**2) / (2 sL sR)``, clipped to +-0.95 (0 without a split-face
    row). Whatever moves both sides alike in a photo (distance, light, scale) is this
    common part; it cancels in the difference between the sides."""
    floors = read_noise_floors() if floors is None else floors
    selfie = floors.loc[floors["source"] == SELFIE]
    sd = {(r.metric, r.design): float(r.sd) for r in selfie.itertuples(index=False)}
    out = {}
    for family in registry.paired_families():
        left, right = (registry.sided(family, side) for side in registry.SIDES)
        s_l, s_r = sd.get((left, "whole-face")), sd.get((right, "whole-face"))
        s_d = sd.get((left, registry.SPLIT_FACE))
        if not (s_l and s_r and s_d):
            out[family] = 0.0
            continue
        rho = (s_l**2 + s_r**2 - s_d**2) / (2.0 * s_l * s_r)
        out[family] = float(np.clip(rho, -0.95, 0.95))
    return out


def simulate_plan_series(
    rng: np.random.Generator,
    plan: Plan,
    *,
    lift_mm: float = 0.0,
    session_side: str | None = None,
    day_effect_ratio: float = DAY_EFFECT_RATIO,
    noise_sd: dict[str, float] | None = None,
    correlations: dict[str, float] | None = None,
    hour: int = 8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A person who follows ``plan`` (``Plan.schedule``: its photo days, two photos a minute
    apart at ``hour``, and its sessions at 19:00 on the planned side, or ``session_side``).

    Every metric has the per-photo noise of ``photo_noise_sd`` and a day effect
    (``day_effect_ratio`` times it) shared by a day's photos; the two sides of a paired
    metric share a common part of both (``pair_correlations``), so the split-face noise of
    the noise-floor file is reproduced. The brow of each treated side is lifted by
    ``lift_mm`` on every treated day (``Plan.on``: from the first session for split-face,
    the on blocks for on/off; "both" lifts both brows).

    Returns
    -------
    (photos, sessions) : (DataFrame, DataFrame)
        Shaped like ``Library.photos()`` and ``Library.sessions()`` (with ``side``).
    """
    noise_sd = photo_noise_sd() if noise_sd is None else noise_sd
    correlations = pair_correlations() if correlations is None else correlations
    schedule = plan.schedule()
    photo_days = schedule.loc[schedule["photos"] > 0]
    side = session_side or plan.side
    when, day_index = [], []
    for i, row in enumerate(photo_days.itertuples(index=False)):
        for k in range(int(row.photos)):
            when.append(row.date + pd.Timedelta(hours=hour, minutes=k))
            day_index.append(i)
    index = np.asarray(day_index)
    n_days, n_photos = len(photo_days), len(when)
    on = np.array([plan.on(d.date()) for d in photo_days["date"]], dtype=bool)[index]
    photos = pd.DataFrame(
        {
            "captured_at": pd.to_datetime(when).astype("datetime64[ns]"),
            "status": "ok",
            "reasons": [[] for _ in when],
            "session": None,
        }
    )

    def noise(sd: float, common_day, common_photo, rho: float):
        own = math.sqrt(max(0.0, 1.0 - abs(rho)))
        shared = math.copysign(math.sqrt(abs(rho)), rho)
        day = day_effect_ratio * sd * (shared * common_day + own * rng.normal(size=n_days))
        photo = sd * (shared * common_photo + own * rng.normal(size=n_photos))
        return day[index] + photo

    done = set()
    for metric, sd in noise_sd.items():
        if metric in _ABS_DIFFERENCES or metric in done:
            continue
        described = registry.get(metric)
        if described.side is None or described.partner not in noise_sd:
            photos[metric] = 20.0 + noise(sd, 0.0, 0.0, 0.0)
            continue
        rho = correlations.get(described.family, 0.0)
        common_day, common_photo = rng.normal(size=n_days), rng.normal(size=n_photos)
        for name in (metric, described.partner):
            sided = registry.get(name)
            values = 20.0 + noise(noise_sd[name], common_day, common_photo, rho)
            if sided.family == "brow_height" and side in (sided.side, "both"):
                values = values + lift_mm * on
            photos[name] = values
            done.add(name)
    for metric, (left, right) in _ABS_DIFFERENCES.items():
        if metric in noise_sd and left in photos and right in photos:
            photos[metric] = (photos[left] - photos[right]).abs()
    photos["interpupillary_mm"] = 62.0
    starts = schedule.loc[schedule["session"], "date"] + pd.Timedelta(hours=19)
    sessions = pd.DataFrame(
        {
            "id": np.arange(1, len(starts) + 1),
            "started_at": pd.to_datetime(starts).astype("datetime64[ns]").to_numpy(),
            "minutes": 20.0,
            "side": side,
        }
    )
    return photos, sessions


def _day_effects(rng: np.random.Generator, n: int, sd: float, rho: float) -> np.ndarray:
    shocks = rng.normal(0.0, sd, n)
    if not rho:
        return shocks
    effects = np.empty(n)
    effects[0] = shocks[0]
    scale = math.sqrt(1.0 - rho**2)  # keeps the marginal SD at ``sd``
    for i in range(1, n):
        effects[i] = rho * effects[i - 1] + scale * shocks[i]
    return effects


def simulate_reports(
    *,
    photos_per_day: int,
    lift_mm: float,
    n_series: int,
    seed: int = 0,
    weeks_after: int = 4,
    day_effect_ratio: float = DAY_EFFECT_RATIO,
    day_correlation: float = 0.0,
    session_photos: bool = False,
    noise_sd: dict[str, float] | None = None,
    turn_levers: dict[str, float] | None = None,
    habit_yaw_deg: float = 0.0,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Simulate ``n_series`` people (``simulate_series``; ``turn_levers`` and
    ``habit_yaw_deg`` as there) and analyse each as ``facetrack trend`` does, with
    ``settings``.

    Returns
    -------
    DataFrame
        One row per series: ``series``, ``photos_per_day``, ``weeks_after``, ``lift_mm``,
        ``day_correlation``, ``session_photos``, ``told_changed`` (any detectable row, any
        metric, window or pause), ``n_detectable``, ``n_tests``, ``found`` (either brow's
        2-4 week row detectable and upward), ``found_left``, ``brow_change_mm`` (left brow,
        2-4 weeks), ``brow_threshold_mm`` (its detection threshold).
    """
    noise_sd = photo_noise_sd() if noise_sd is None else noise_sd
    rng = np.random.default_rng(seed)
    rows = []
    for series in range(n_series):
        photos, sessions = simulate_series(
            rng,
            photos_per_day=photos_per_day,
            weeks_after=weeks_after,
            lift_mm=lift_mm,
            day_effect_ratio=day_effect_ratio,
            day_correlation=day_correlation,
            session_photos=session_photos,
            noise_sd=noise_sd,
            turn_levers=turn_levers,
            habit_yaw_deg=habit_yaw_deg,
        )
        trend = analyse(photos, sessions, settings=settings)
        verdicts = pd.concat([trend.table["detectable"], trend.fade["detectable"]])
        called = verdicts.map(lambda v: v is True)
        table = trend.table.set_index(["metric", "window"])
        brows = [table.loc[(m, "2-4 weeks")] for m in BROWS]
        up = [bool(b["detectable"] is True and b["change"] > 0) for b in brows]
        rows.append(
            {
                "series": series,
                "photos_per_day": photos_per_day,
                "weeks_after": weeks_after,
                "lift_mm": lift_mm,
                "day_correlation": day_correlation,
                "session_photos": session_photos,
                "told_changed": bool(called.any()),
                "n_detectable": int(called.sum()),
                "n_tests": int(verdicts.notna().sum()),
                "found": any(up),
                "found_left": up[0],
                "brow_change_mm": float(brows[0]["change"]),
                "brow_threshold_mm": float(brows[0]["threshold"]),
            }
        )
    return pd.DataFrame(rows)


def summarise_reports(reports: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per scenario (photos a day, weeks, lift, day correlation, session photos): the share
    of series told something changed and the share whose lift was found, each with its
    Clopper-Pearson interval at ``confidence``.

    Returns
    -------
    DataFrame
        ``photos_per_day``, ``weeks_after``, ``lift_mm``, ``day_correlation``,
        ``session_photos``, ``n_series``, ``told_changed``, ``told_changed_low``,
        ``told_changed_high``, ``found``, ``found_low``, ``found_high`` (shares, 0-1; the
        ``found`` columns NaN without a lift), ``found_left`` and
        ``median_threshold_mm`` (the left brow's 2-4 week detection threshold).
    """
    keys = ["photos_per_day", "weeks_after", "lift_mm", "day_correlation", "session_photos"]
    rows = []
    for key, group in reports.groupby(keys, sort=True):
        n = len(group)
        row = dict(zip(keys, key), n_series=n)
        for column in ("told_changed", "found"):
            hits = int(group[column].sum())
            low, high = clopper_pearson(hits, n, confidence=confidence)
            row.update({column: hits / n, f"{column}_low": low, f"{column}_high": high})
        row["found_left"] = float(group["found_left"].mean())
        if not key[2]:
            for column in ("found", "found_low", "found_high", "found_left"):
                row[column] = math.nan
        row["median_threshold_mm"] = float(group["brow_threshold_mm"].median())
        rows.append(row)
    return pd.DataFrame(rows)


def clopper_pearson(hits: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial share ``hits / n``.

    >>> [round(v, 3) for v in clopper_pearson(5, 100)]
    [0.016, 0.113]
    """
    tail = (1.0 - confidence) / 2.0
    low = float(stats.beta.ppf(tail, hits, n - hits + 1)) if hits else 0.0
    high = float(stats.beta.ppf(1.0 - tail, hits + 1, n - hits)) if hits < n else 1.0
    return low, high


def false_alarm_study(
    *,
    photos_per_day=(1, 2, 3),
    lifts_mm=(0.0, 1.0, 1.5),
    n_series: int = 200,
    seed: int = 0,
    weeks_after: int = 4,
    **options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every combination of photos a day and lift, ``n_series`` people each.

    Returns
    -------
    (summary, reports) : (DataFrame, DataFrame)
        ``summarise_reports`` of all scenarios, and every series' row
        (``simulate_reports``). Each scenario has its own seed (``seed`` + its index), so
        adding one does not change the others.
    """
    frames = []
    scenarios = [(k, lift) for k in photos_per_day for lift in lifts_mm]
    for i, (per_day, lift) in enumerate(scenarios):
        frames.append(
            simulate_reports(
                photos_per_day=per_day,
                lift_mm=lift,
                n_series=n_series,
                seed=seed + i,
                weeks_after=weeks_after,
                **options,
            )
        )
    reports = pd.concat(frames, ignore_index=True)
    return summarise_reports(reports), reports


def split_face_study(
    *,
    n_series: int = 200,
    seed: int = 0,
    lifts_mm=(0.0, 1.0),
    weeks: int = 4,
    side: str = "left",
    day_effect_ratio: float = DAY_EFFECT_RATIO,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People who follow ``facetrack plan split-face --weeks <weeks> --side <side>``
    (``simulate_plan_series``: 15 photo days of two photos over six weeks for 4 weeks),
    the treated brow lifted by each of ``lifts_mm`` from the first session, each run
    through ``analyse`` as ``facetrack trend`` does.

    Returns
    -------
    (summary, reports) : (DataFrame, DataFrame)
        ``reports``, one row per series: ``lift_mm``, ``told_changed`` (any detectable row,
        any metric, window, design or pause), ``split_found`` (the split-face brow row,
        2-4 weeks, detectable and upward), ``split_change_mm``, ``split_threshold_mm``,
        ``split_mdc_mm``, ``whole_found`` (the treated brow's whole-face 2-4 week row
        detectable and upward), ``whole_threshold_mm``. ``summary``, one row per lift:
        ``n_series``, ``told_changed`` and ``split_found`` with their Clopper-Pearson 95 %
        intervals (``_low``, ``_high``), ``whole_found``, and the medians of the change,
        thresholds and MDC95 (NaN ``split_found`` columns without a lift). Each lift has its
        own seed (``seed`` + its index).
    """
    plan = Plan(registry.SPLIT_FACE, pd.Timestamp(_START).date(), weeks, side)
    split = registry.difference("brow_height", side).name
    whole = registry.sided("brow_height", side)
    rows = []
    for i, lift in enumerate(lifts_mm):
        rng = np.random.default_rng(seed + i)
        for series in range(n_series):
            photos, sessions = simulate_plan_series(
                rng, plan, lift_mm=lift, day_effect_ratio=day_effect_ratio
            )
            trend = analyse(photos, sessions)
            verdicts = pd.concat([trend.table["detectable"], trend.fade["detectable"]])
            table = trend.table.set_index(["metric", "window"])
            s_row, w_row = table.loc[(split, "2-4 weeks")], table.loc[(whole, "2-4 weeks")]
            rows.append(
                {
                    "series": series,
                    "lift_mm": lift,
                    "told_changed": bool(verdicts.map(lambda v: v is True).any()),
                    "split_found": bool(s_row["detectable"] is True and s_row["change"] > 0),
                    "split_change_mm": float(s_row["change"]),
                    "split_threshold_mm": float(s_row["threshold"]),
                    "split_mdc_mm": float(s_row["mdc"]),
                    "whole_found": bool(w_row["detectable"] is True and w_row["change"] > 0),
                    "whole_threshold_mm": float(w_row["threshold"]),
                }
            )
    reports = pd.DataFrame(rows)
    summary = []
    for lift, group in reports.groupby("lift_mm", sort=True):
        n = len(group)
        row: dict = {"lift_mm": lift, "n_series": n}
        for column in ("told_changed", "split_found"):
            hits = int(group[column].sum())
            low, high = clopper_pearson(hits, n)
            row.update({column: hits / n, f"{column}_low": low, f"{column}_high": high})
        row["whole_found"] = float(group["whole_found"].mean())
        if not lift:
            for column in ("split_found", "split_found_low", "split_found_high", "whole_found"):
                row[column] = math.nan
        for column in (
            "split_change_mm",
            "split_threshold_mm",
            "split_mdc_mm",
            "whole_threshold_mm",
        ):
            row[f"median_{column}"] = float(group[column].median())
        summary.append(row)
    return pd.DataFrame(summary), reports
