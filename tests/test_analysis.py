"""Tests of tracker.analysis: baselines, windows, the noise floor and trend statistics.

Most tests run on ``treatment_series``: synthetic photo and session frames shaped like
``Library.photos()`` and ``Library.sessions()``, with known effects and seeded noise, so that
every statistic has a true value to recover.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tracker.analysis import (
    DEFAULT_SEM,
    PRIMARY_METRICS,
    TABLE_COLUMNS,
    analyse,
    choose_baseline,
    compare_days,
    days_needed,
    floor_sem,
    holm_weights,
    left_out_line,
    mdc95,
    metric_label,
    outcome_of,
    photo_roles,
    read_noise_floors,
    sem_from_repeats,
    sem_upper_bound,
    serial_correlation,
    summary_sentences,
    table_lines,
    theil_sen,
    trend_table,
    weighted_holm,
    welch_interval,
)
from tracker.analysis.noise import lowest_sem
from tracker.analysis.windows import pauses, short_reason, window_of
from tracker.metrics import registry
from tracker.settings import Settings

START = datetime(2026, 1, 1)
DAY0 = START + timedelta(days=14)  # 2026-01-15, the first session
SESSION_HOUR = 19.0
# Mon/Wed/Fri-like: 3 sessions a week in weeks 0-7, a pause in weeks 8-10, again in 11-12.
SESSION_DAYS = [w * 7 + d for w in [*range(8), 11, 12] for d in (0, 2, 4)]
LAST_DAY = 90
NOISE_SD = 0.3
TURNED = "head turned: yaw +14.0 deg (limit +/-10)"
LEFT, RIGHT = "brow_height_left_mm", "brow_height_right_mm"


def cumulative_effect(t, *, plateau: float = 1.5, fade: bool = True) -> np.ndarray:
    """True cumulative effect (mm) at ``t`` days after day 0 (midnight of the first session's
    day): 0 before; rising linearly to ``plateau`` at day 28, then holding while sessions go
    on; during the pause after the last session of week 7 (day 53, 19:20) decaying
    exponentially with a 7-day time constant; once sessions resume (day 77, 19:20) rising
    again by ``plateau`` / 28 per day up to the plateau."""
    t = np.asarray(t, dtype=np.float64)
    last, resume = 53 + 19.33 / 24, 77 + 19.33 / 24
    rise = np.clip(t / 28.0, 0.0, 1.0) * plateau
    if not fade:
        return np.where(t < 0, 0.0, rise)
    decay = plateau * np.exp(-(t - last) / 7.0)
    at_resume = plateau * math.exp(-(resume - last) / 7.0)
    again = np.minimum(at_resume + plateau * (t - resume) / 28.0, plateau)
    return np.select([t < 0, t <= last, t < resume], [0.0, rise, decay], again)


def treatment_series(
    seed: int = 0,
    *,
    plateau: float = 1.5,
    immediate: float = 1.0,
    noise_sd: float = NOISE_SD,
    tags: bool = True,
    repeats: bool = True,
    fade: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Photos and sessions of a person over 105 days, with known effects.

    - 14 baseline days (2026-01-01 to 01-14), then day 0 = 2026-01-15 to day 90.
    - Every day at 08:00 and 08:01 two photos (one with ``repeats=False``).
    - 30 sessions at 19:00 for 20 min: 3 a week in weeks 0-7 (days 0, 2, 4, 7, ... 53), a
      3-week pause (no session on days 54-76), 3 a week again in weeks 11-12 (days 77-88).
      Each session has a photo at 18:50 and one at 19:30, tagged "before" and "after"
      (untagged with ``tags=False``).
    - brow_height_left_mm = 17 + ``cumulative_effect`` (+1.5 mm by day 28, a fade in the
      pause) + ``immediate`` on the "after" photos only (gone by the next photo) + noise.
    - brow_height_right_mm = 16 + noise: no effect at all.
    - Noise: independent normal, SD ``noise_sd`` per photo and metric.
    - 17 rejected photos (10 "smiling" on days = 3 mod 10, 7 "head turned" on days = 4 mod
      15) whose brow reads 5 mm too high: leaving them out must not move anything.

    A column ``true_effect`` holds each photo's true brow change (cumulative + immediate).
    """
    rng = np.random.default_rng(seed)
    rows = []

    def add(when: datetime, tag=None, boost: float = 0.0, status: str = "ok", reasons=()):
        t = (when - DAY0) / timedelta(days=1)
        truth = float(cumulative_effect(t, plateau=plateau, fade=fade)) + boost
        bad = 5.0 if status != "ok" else 0.0
        rows.append(
            {
                "captured_at": when,
                "status": status,
                "reasons": list(reasons),
                "session": tag if tags else None,
                "true_effect": truth,
                LEFT: 17.0 + truth + bad + rng.normal(0, noise_sd),
                RIGHT: 16.0 + rng.normal(0, noise_sd),
                "interpupillary_mm": 62.0,
            }
        )

    for day in range(-14, LAST_DAY + 1):
        midnight = DAY0 + timedelta(days=day)
        add(midnight + timedelta(hours=8))
        if repeats:
            add(midnight + timedelta(hours=8, minutes=1))
        if day in SESSION_DAYS:
            add(midnight + timedelta(hours=18, minutes=50), "before")
            add(midnight + timedelta(hours=19, minutes=30), "after", immediate)
        if day % 10 == 3:
            add(midnight + timedelta(hours=9), status="rejected", reasons=["smiling"])
        if day % 15 == 4:
            add(midnight + timedelta(hours=9, minutes=5), status="rejected", reasons=[TURNED])
    photos = pd.DataFrame(rows)
    photos["captured_at"] = photos["captured_at"].astype("datetime64[ns]")
    sessions = pd.DataFrame(
        {
            "id": np.arange(1, len(SESSION_DAYS) + 1),
            "started_at": [DAY0 + timedelta(days=d, hours=SESSION_HOUR) for d in SESSION_DAYS],
            "minutes": 20.0,
        }
    )
    sessions["started_at"] = sessions["started_at"].astype("datetime64[ns]")
    return photos, sessions


def true_window_effect(photos: pd.DataFrame, first_day: int, last_day: int) -> float:
    """Mean over the days ``first_day``..``last_day`` of each day's mean true effect on its
    accepted resting photos (no "after" photo): what a window's change estimates."""
    resting = photos.loc[(photos["status"] == "ok") & (photos["session"] != "after")]
    day = (resting["captured_at"].dt.normalize() - DAY0) / pd.Timedelta(days=1)
    inside = resting.loc[(day >= first_day) & (day <= last_day)]
    return float(inside.groupby(inside["captured_at"].dt.normalize())["true_effect"].mean().mean())


@pytest.fixture(scope="module")
def treated():
    """``treatment_series(seed=1)`` analysed with the defaults (SEM from its repeat photos)."""
    photos, sessions = treatment_series(1)
    return photos, sessions, analyse(photos, sessions)


def row(table: pd.DataFrame, metric: str, window: str) -> pd.Series:
    rows = table.loc[(table["metric"] == metric) & (table["window"] == window)]
    assert len(rows) == 1
    return rows.iloc[0]


# --- the window table ------------------------------------------------------------------------


def test_table_shape(treated):
    """One row per metric and window, in the documented columns; interpupillary_mm (the
    person scale itself) is left out by default."""
    _, _, trend = treated
    assert list(trend.table.columns) == TABLE_COLUMNS
    assert list(zip(trend.table["metric"], trend.table["window"])) == [
        (m, w) for m in (LEFT, RIGHT) for w in ("immediate", "2-4 weeks", "long term")
    ]


def test_immediate_effect_recovered(treated):
    """The same-session after-minus-before change recovers the +1.0 mm immediate effect within
    0.25 mm, over all 30 sessions, and it is detectable; the metric without an effect is
    not."""
    _, _, trend = treated
    left = row(trend.table, LEFT, "immediate")
    assert left["n_sessions"] == 30 and left["n_photos"] == 60 and pd.isna(left["n_days"])
    assert abs(left["change"] - 1.0) <= 0.25
    assert left["ci_low"] < 1.0 < left["ci_high"]
    assert left["detectable"] is True
    assert row(trend.table, RIGHT, "immediate")["detectable"] is False


def test_immediate_pairs_from_session_times():
    """Untagged photos taken 10 minutes before and 30 minutes after a logged session's start
    (within 3 h of it) are paired with it: the same 30 pairs and the same effect."""
    photos, sessions = treatment_series(2, tags=False)
    trend = analyse(photos, sessions, metrics=[LEFT])
    assert len(trend.pairs) == 30
    assert list(trend.pairs["session_id"]) == list(range(1, 31))
    assert abs(row(trend.table, LEFT, "immediate")["change"] - 1.0) <= 0.25


def test_immediate_pairs_from_tags_without_a_log():
    """With no session logged, photos tagged before/after pair up by day."""
    photos, _ = treatment_series(3)
    trend = analyse(photos, None, metrics=[LEFT])
    assert len(trend.pairs) == 30
    assert trend.pairs["event"].iloc[0] == "day 2026-01-15"
    assert trend.pairs["session_id"].isna().all()
    assert abs(row(trend.table, LEFT, "immediate")["change"] - 1.0) <= 0.25


def test_two_to_four_weeks_recovered(treated):
    """Days 14-28 against the baseline recover the mean true cumulative effect over those days
    (about +1.1 mm on the way to +1.5 mm) within 0.3 mm and within the 95 % CI; detectable.
    The "after" photos' +1.0 mm does not leak into it."""
    photos, _, trend = treated
    expected = true_window_effect(photos, 14, 28)
    assert 1.0 < expected < 1.25
    two_four = row(trend.table, LEFT, "2-4 weeks")
    assert two_four["n_days"] == 15 and two_four["n_baseline"] == 15
    assert abs(two_four["change"] - expected) <= 0.3
    assert two_four["ci_low"] <= expected <= two_four["ci_high"]
    assert two_four["detectable"] is True


def test_long_term_and_months_recovered(treated):
    """After day 28 the change recovers the mean true effect (plateau, fade and recovery),
    and each full calendar month's change its own month's true effect, within 0.3 mm."""
    photos, _, trend = treated
    long_term = row(trend.table, LEFT, "long term")
    expected = true_window_effect(photos, 29, LAST_DAY)
    assert abs(long_term["change"] - expected) <= 0.3
    assert long_term["ci_low"] <= expected <= long_term["ci_high"]
    months = trend.monthly.loc[trend.monthly["metric"] == LEFT].set_index("month")
    assert list(months.index) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    for month in ("2026-02", "2026-03"):
        first, last = months.loc[month, ["first_day", "last_day"]]
        assert abs(months.loc[month, "change"] - true_window_effect(photos, first, last)) <= 0.3


def test_fade_after_pause_detected(treated):
    """The 24-day gap between sessions is a pause; its last week against the last week on
    treatment shows the fade (true about -1.3 mm) within 0.3 mm: "faded". The metric
    without an effect "held"."""
    photos, _, trend = treated
    fade = trend.fade.set_index("metric")
    assert fade.loc[LEFT, "last_session"] == DAY0 + timedelta(days=53, hours=19)
    assert fade.loc[LEFT, "resumed"] == DAY0 + timedelta(days=77, hours=19)
    assert not fade.loc[LEFT, "ongoing"]
    expected = true_window_effect(photos, 70, 76) - true_window_effect(photos, 47, 53)
    assert expected < -1.0
    assert abs(fade.loc[LEFT, "change"] - expected) <= 0.3
    assert fade.loc[LEFT, "detectable"] is True
    assert fade.loc[LEFT, "verdict"] == "faded"
    assert fade.loc[LEFT, "gain"] > 1.0
    assert fade.loc[RIGHT, "verdict"] == "held"


def test_ongoing_pause():
    """Sessions that stop while photos go on make an ongoing pause (no resumption), measured
    up to the latest photo (the series cut at day 76, before sessions would resume)."""
    photos, sessions = treatment_series(4)
    photos = photos.loc[photos["captured_at"] < DAY0 + timedelta(days=77)]
    sessions = sessions.loc[sessions["started_at"] < DAY0 + timedelta(days=60)]
    trend = analyse(photos, sessions, metrics=[LEFT])
    (pause,) = trend.fade.itertuples(index=False)
    assert pause.ongoing and pd.isna(pause.resumed)
    assert pause.pause_days == pytest.approx(76 + 8.01 / 24 - 53 - 19 / 24, abs=0.01)
    assert pause.verdict == "faded"


def steady_trend(per_week: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One photo a day at 08:00 from day -14 to day 56, brow = 17 mm + ``per_week`` x weeks
    since day 0 (0 before it) + normal noise of SD 0.3 mm; one session on day 0 at 19:00."""
    rng = np.random.default_rng(seed)
    days = np.arange(-14, 57)
    photos = pd.DataFrame(
        {
            "captured_at": (
                pd.Timestamp(DAY0) + pd.to_timedelta(days, unit="D") + pd.Timedelta(hours=8)
            ).astype("datetime64[ns]"),
            "status": "ok",
            LEFT: 17 + np.maximum(days, 0) * per_week / 7 + rng.normal(0, NOISE_SD, days.size),
        }
    )
    sessions = pd.DataFrame({"started_at": [pd.Timestamp(DAY0) + pd.Timedelta(hours=19)]})
    return photos, sessions


@pytest.mark.parametrize("per_week", [0.2, -0.2])
def test_slope_recovered(per_week):
    """Theil–Sen on the per-day values since the first treatment recovers a steady trend of
    +-0.2 mm per week within 0.05 mm/week, with the right sign and an interval that
    excludes 0; the slope is the same on each of the metric's rows."""
    table = trend_table(*steady_trend(per_week, seed=0))
    slopes = table["slope_per_week"]
    assert slopes.nunique() == 1
    result = table.iloc[0]
    assert abs(result["slope_per_week"] - per_week) <= 0.05
    assert result["slope_ci_low"] <= per_week <= result["slope_ci_high"]
    assert result["slope_ci_low"] * result["slope_ci_high"] > 0


def test_slope_interval_coverage():
    """Over 200 seeds the 95 % Theil–Sen interval of a flat series covers 0 in 90-99 % of
    cases, and a series with fewer than 3 days or spanning under a week has no slope."""
    covered = 0
    days = np.arange(1, 57)
    for seed in range(200):
        values = np.random.default_rng(seed).normal(0, NOISE_SD, days.size)
        _, low, high = theil_sen(days, values)
        covered += low <= 0 <= high
    assert 0.90 <= covered / 200 <= 0.99
    assert all(math.isnan(v) for v in theil_sen([1, 2], [0.0, 1.0]))
    assert all(math.isnan(v) for v in theil_sen([1, 2, 3, 4, 5], [0.0, 1.0, 2.0, 3.0, 4.0]))


def test_noise_alone_is_never_detectable():
    """With no effect at all, over 200 seeds, no change (window, month or pause) is called
    detectable in more than 1 % of cases (the MDC makes it practically never), while the
    95 % intervals of the windows still cover the true 0 in about 95 % of cases."""
    calls, detected, covered, intervals = 0, 0, 0, 0
    for seed in range(200):
        photos, sessions = treatment_series(1000 + seed, plateau=0.0, immediate=0.0)
        trend = analyse(photos, sessions)
        for frame in (trend.table, trend.monthly, trend.fade):
            verdicts = frame["detectable"].dropna()
            calls += len(verdicts)
            detected += int(sum(verdicts))
        windows = trend.table.dropna(subset=["ci_low"])
        intervals += len(windows)
        covered += int(((windows["ci_low"] <= 0) & (windows["ci_high"] >= 0)).sum())
    assert calls >= 200 * 2 * 8
    assert detected / calls <= 0.01, (detected, calls)
    assert 0.9 <= covered / intervals <= 0.99, (covered, intervals)


# --- noise floor -----------------------------------------------------------------------------


def test_sem_from_repeats_and_mdc():
    """The pooled within-group SD of known groups, its degrees of freedom, and MDC95 =
    1.96 sqrt(2) SEM; too few repeated groups give NaN."""
    sem, dof = sem_from_repeats([[1.0, 1.2], [2.0, 2.2, 2.4], [5.0], [0.0, 0.4]])
    expected = math.sqrt((0.02 + 0.08 + 0.08) / (1 + 2 + 1))
    assert sem == pytest.approx(expected) and dof == 4
    assert math.isnan(sem_from_repeats([[1.0, 1.2], [2.0, 2.2], [3.0]])[0])
    assert mdc95(0.162) == pytest.approx(0.449, abs=0.001)
    assert mdc95(lowest_sem(LEFT)) == pytest.approx(0.50, abs=0.005)  # the 2-D validation's


def test_sem_upper_bound():
    """The one-sided 95 % upper bound of an SEM is sem * sqrt(dof / chi2_0.05(dof)) (table
    value chi2_0.05(10) = 3.940); over 2000 seeded samples of 6 normal values (5 degrees of
    freedom) it lies above the true SD in 95 % of cases (binomial 99 % bounds 93.8-96.2 %)."""
    assert sem_upper_bound(0.30, 10) == pytest.approx(0.30 * math.sqrt(10 / 3.940), rel=1e-3)
    assert math.isnan(sem_upper_bound(0.3, 0))
    rng = np.random.default_rng(11)
    samples = rng.normal(0.0, 0.5, (2000, 6))
    bounds = [sem_upper_bound(float(s.std(ddof=1)), 5) for s in samples]
    covered = int(np.sum(np.asarray(bounds) >= 0.5))
    assert stats.binom.ppf(0.005, 2000, 0.95) <= covered <= stats.binom.ppf(0.995, 2000, 0.95)


def test_noise_floors_file():
    """The packaged noise-floor file has the documented columns, a 2-D benchmark row for every
    metric with a floor (the 2026-11-30 validation: brow SEM 0.18 / 0.12 mm) and a selfie row
    for every outcome (the capture study on the project's 3-D head: brow 0.15 / 0.10 mm per
    photo, 40 selfies; a jaw side refused in one of them counts 39), each row with the command
    that made it; the floor without repeat
    photos is the selfie one, labelled as such."""
    from tracker.analysis.noise import FLOOR_COLUMNS, SELFIE_SOURCE
    from tracker.metrics.geometry import METRIC_NAMES

    floors = read_noise_floors()
    assert list(floors.columns) == FLOOR_COLUMNS
    two_d = floors.loc[floors["source"] == "2d-nuisance"].set_index("metric")
    assert set(two_d.index) == set(METRIC_NAMES) - {"face_scale_mm"}  # the scale itself
    assert (two_d.loc[LEFT, "sem"], two_d.loc[RIGHT, "sem"]) == (0.18, 0.12)
    whole = floors.loc[(floors["source"] == "selfie-3d") & (floors["design"] == "whole-face")]
    selfie = whole.set_index("metric")
    front = set(METRIC_NAMES) - {"face_scale_mm", "interpupillary_mm"}
    # the profile view's rows come from the profile study (tracker.validation.profile)
    assert set(selfie.index) == front | set(registry.PROFILE_METRIC_NAMES)
    assert selfie.loc[LEFT, "sem"] == pytest.approx(0.15, abs=0.015)
    assert selfie.loc[RIGHT, "sem"] == pytest.approx(0.10, abs=0.015)
    # 40 selfies; a jaw metric counts the selfies whose jaw side was found (39-40)
    counts = selfie.loc[sorted(front), "n_photos"]
    assert (counts >= 39).all() and (counts <= 40).all()
    assert (selfie.loc[list(registry.names(group="brow")), "n_photos"] == 40).all()
    assert selfie.loc["cervicomental_angle_left_deg", "sem"] < 1.0
    assert floors["generated_by"].str.len().min() > 10
    assert floor_sem(LEFT) == (selfie.loc[LEFT, "sem"], SELFIE_SOURCE)
    assert floor_sem("jaw_angle_left_deg") == (
        selfie.loc["jaw_angle_left_deg", "sem"],
        SELFIE_SOURCE,
    )
    assert math.isnan(floor_sem("nose_mm")[0])


def readme_precision_table() -> dict[str, dict[str, str]]:
    """The README's "How precise is it?" table (the published ``facetrack validate`` run):
    metric -> column -> cell text."""
    text = (Path(__file__).parents[1] / "README.md").read_text()
    section = text[text.index("## How precise is it?") :]
    table = section[section.index("| metric | sensitivity |") :]
    lines = []
    for line in table.splitlines():
        if not line.startswith("|"):
            break
        lines.append(line)
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]
    return {row[0]: dict(zip(header, row)) for row in rows if row[0] != ":---"}


def test_default_sem_is_the_published_validation():
    """The fallback noise floor of every metric is the SEM of the published validation run
    (README, "How precise is it?"), and its MDC95 there is 1.96 sqrt(2) SEM (to rounding)."""
    table = readme_precision_table()
    published = {m: cells for m, cells in table.items() if cells["sem"] != "-"}
    # every metric with a noise floor is published; the scales have none (or 0 by construction)
    assert set(published) == {m for m, sem in DEFAULT_SEM.items() if sem > 0}
    for metric, cells in published.items():
        sem = DEFAULT_SEM[metric]
        assert sem == float(cells["sem"]), metric
        assert mdc95(sem) == pytest.approx(float(cells["mdc95"]), abs=0.02), metric


def test_noise_floor_measured_from_repeats(treated):
    """Two photos a day give the SEM of the photos' own noise (0.3 mm) within 10 %; the SEM
    used is its 95 % upper bound on those degrees of freedom, and the MDC95 follows it."""
    _, _, trend = treated
    noise = trend.noise.set_index("metric")
    assert noise.loc[LEFT, "noise_source"] == "repeat photos"
    assert noise.loc[LEFT, "sem_point"] == pytest.approx(NOISE_SD, rel=0.1)
    assert noise.loc[LEFT, "dof"] > 100
    dof = int(noise.loc[LEFT, "dof"])
    factor = math.sqrt(dof / stats.chi2.ppf(0.05, dof))
    assert noise.loc[LEFT, "sem"] == pytest.approx(noise.loc[LEFT, "sem_point"] * factor)
    assert row(trend.table, LEFT, "immediate")["mdc"] == pytest.approx(
        mdc95(noise.loc[LEFT, "sem"])
    )


def test_noise_floor_falls_back_to_selfie_study():
    """With one photo a day (the before photo alone on session days, and the after photo)
    there are no repeats of a state: the selfie study's SEM (brow 0.15 mm on the 3-D head) is
    used and said so; with photo noise over three times as large (0.47 mm, the issue's real
    head before the face frame), the immediate +1.0 mm is still detectable and pure noise is
    not: the days' own spread, not the floor, decides."""
    photos, sessions = treatment_series(6, repeats=False, noise_sd=0.47)
    taken = photos["captured_at"]
    session_day = (taken.dt.normalize() - DAY0).dt.days.isin(SESSION_DAYS)
    photos = photos.loc[~(session_day & (taken.dt.hour == 8))]
    trend = analyse(photos, sessions)
    noise = trend.noise.set_index("metric")
    assert noise.loc[LEFT, "sem"] == floor_sem(LEFT)[0] == pytest.approx(0.15, abs=0.01)
    assert noise.loc[LEFT, "noise_source"] == "selfie study (no repeat photos)"
    assert noise.loc[LEFT, "dof"] == 0
    assert row(trend.table, LEFT, "immediate")["detectable"] is True
    assert not trend.table.loc[trend.table["metric"] == RIGHT, "detectable"].any()


def test_noise_floor_never_below_benchmark():
    """Near-identical repeats (burst shots) do not push the SEM below the 2-D benchmark's."""
    photos, sessions = treatment_series(7, noise_sd=0.01)
    noise = analyse(photos, sessions).noise.set_index("metric")
    assert noise.loc[LEFT, "sem"] == lowest_sem(LEFT) == 0.18  # the 2-D validation (README)
    assert noise.loc[LEFT, "noise_source"] == "2-D benchmark (repeat photos vary less)"


def test_given_sem():
    """An SEM given by the caller is used as it is."""
    photos, sessions = treatment_series(8)
    noise = analyse(photos, sessions, sem={LEFT: 0.5}).noise.set_index("metric")
    assert noise.loc[LEFT, "sem"] == 0.5 and noise.loc[LEFT, "noise_source"] == "given"
    assert noise.loc[RIGHT, "noise_source"] == "repeat photos"


# --- the family-wise control and the test of a change ------------------------------------------


def test_weighted_holm_is_holm_with_equal_weights():
    """With equal weights the procedure is Holm's: p = 0.01, 0.04, 0.03, 0.2 are compared
    with 0.05/4, 0.05/2, 0.05/3 and 0.05/1 in the order 0.01, 0.03, 0.04, 0.2; adjusted
    p-values 0.04, 0.09, 0.09, 0.2; a test not made (NaN) takes no part."""
    adjusted, level = weighted_holm([0.01, 0.04, 0.03, 0.2, math.nan], [1, 1, 1, 1, 1])
    assert adjusted[:4] == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert level[:4] == pytest.approx([0.0125, 0.025, 0.05 / 3, 0.05])
    assert math.isnan(adjusted[4]) and math.isnan(level[4])
    assert holm_weights(["primary"] * 4 + ["exploratory"] * 2) == pytest.approx(
        [0.2] * 4 + [0.1] * 2
    )
    assert outcome_of(LEFT) == "primary" and outcome_of("eye_aperture_left_mm") == "exploratory"
    assert set(PRIMARY_METRICS) == {
        LEFT,
        RIGHT,
        "jaw_angle_left_deg",
        "jaw_angle_right_deg",
        "lower_face_width_mm",
        "asymmetry_pct",
    }


def test_weighted_holm_controls_the_family_wise_error():
    """Under the global null (18 primary and 27 exploratory uniform p-values), over 4000
    seeded families the procedure rejects anything in at most 5 % (4.6 % expected for
    independent tests; the binomial 99 % upper bound of 5 % is 5.9 %)."""
    rng = np.random.default_rng(12)
    weights = holm_weights(["primary"] * 18 + ["exploratory"] * 27)
    any_rejected = sum(
        bool((weighted_holm(rng.uniform(size=45), weights)[0] <= 0.05).any()) for _ in range(4000)
    )
    assert any_rejected <= stats.binom.ppf(0.99, 4000, 0.05)


def test_compare_days_is_welch_without_floor_or_correlation():
    """Without a noise floor and with too few consecutive days for a correlation, the test
    of a change is Welch's: scipy's ttest_ind(equal_var=False) p-value and interval."""
    rng = np.random.default_rng(13)
    a, b = rng.normal(1, 1, 7), rng.normal(0, 2, 12)
    result = compare_days(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert result["p_value"] == pytest.approx(expected.pvalue)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert result["day_correlation"] == 0.0


def test_noise_floor_widens_agreeing_days():
    """Three days that agree by chance (SD 0.01 mm) cannot look certain: with a 0.47 mm SEM
    and one photo a day, the standard error is at least 0.47 * sqrt(1/3 + 1/3) mm."""
    result = compare_days([1.0, 1.01, 0.99], [0.0, 0.01, -0.01], sem=0.47)
    assert result["se"] == pytest.approx(0.47 * math.sqrt(2 / 3))
    assert result["p_value"] > 0.05


def test_serial_correlation_recovered():
    """The lag-1 correlation of AR(1) day effects (rho 0.5; two sides of 15 and 30 days) is
    recovered within 0.1 in the median over 300 seeded series, and independent days give a
    median of 0 (the estimate is clipped at 0)."""
    rng = np.random.default_rng(14)
    for rho, expected in ((0.5, 0.5), (0.0, 0.0)):
        estimates = []
        for _ in range(300):
            x = np.zeros(55)
            shocks = rng.normal(size=55)
            x[0] = shocks[0] / math.sqrt(1 - rho**2)
            for t in range(1, 55):
                x[t] = rho * x[t - 1] + shocks[t]
            estimates.append(
                serial_correlation((np.arange(15), x[:15]), (np.arange(25, 55), x[25:]))
            )
        assert abs(np.median(estimates) - expected) <= 0.1, (rho, np.median(estimates))


def test_serial_correlation_widens_the_interval():
    """Correlated days (AR(1) rho 0.6, 14 baseline and 15 window days, no change): the 95 %
    intervals cover 0 in at least 90 % of 300 seeded series with the correction; without it
    (too few pairs allowed) coverage falls below 85 %."""
    rng = np.random.default_rng(15)
    covered = naive = 0
    for _ in range(300):
        x = np.zeros(29)
        shocks = rng.normal(size=29)
        x[0] = shocks[0] / math.sqrt(1 - 0.36)
        for t in range(1, 29):
            x[t] = 0.6 * x[t - 1] + shocks[t]
        days_b, days_a = np.arange(14), np.arange(14, 29)
        corrected = compare_days(x[14:], x[:14], sample_days=days_a, reference_days=days_b)
        plain = compare_days(x[14:], x[:14])
        covered += corrected["ci_low"] <= 0 <= corrected["ci_high"]
        naive += plain["ci_low"] <= 0 <= plain["ci_high"]
    assert covered / 300 >= 0.90 and naive / 300 < 0.85, (covered, naive)


def test_days_needed():
    """The days a window needs for 80 % power at a 5 % level (z 1.96 + 0.84 = 2.80): with
    per-day SD 0.5 mm, one photo a day (all of it photo noise) and 14 baseline days, a 1 mm
    change needs SE <= 1/2.80, i.e. n >= 0.25 / (0.1275 - 0.25/14) = 2.3 -> 3 days (exact:
    0.25 / ((1 / 2.8016)^2 - 0.25 / 14)); a baseline too noisy for any window gives inf."""
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    expected = math.ceil(0.25 / ((1 / z) ** 2 - 0.25 / 14))
    assert (
        days_needed(
            1.0,
            day_sd=0.5,
            sem=0.5,
            baseline_days=14,
            photos_per_day=1,
            baseline_photos_per_day=1,
            level=0.05,
        )
        == expected
        == 3
    )
    assert (
        days_needed(
            1.0,
            day_sd=2.0,
            sem=0.5,
            baseline_days=3,
            photos_per_day=1,
            baseline_photos_per_day=1,
            level=0.05,
        )
        == math.inf
    )


def test_welch_interval_matches_scipy():
    """The Welch interval equals scipy's ttest_ind(equal_var=False) interval."""
    rng = np.random.default_rng(9)
    a, b = rng.normal(1, 1, 7), rng.normal(0, 2, 12)
    change, low, high = welch_interval(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert change == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


def small_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three baseline days (-2, -1 and day 0 before its session: 16.8, 16.9, 17.0 mm), two
    sessions (days 0 and 2, 19:00) each with a photo just before and after it (no change),
    and two days in weeks 2-4 (days 15 and 20: 18.5 and 19.0 mm); ``LEFT`` is
    17 + day / 10 exactly."""
    rows = []
    for day, hour, tag in [
        (-2, 8, None),
        (-1, 8, None),
        (0, 18.8, "before"),
        (0, 19.5, "after"),
        (2, 18.8, "before"),
        (2, 19.5, "after"),
        (15, 8, None),
        (20, 8, None),
    ]:
        rows.append(
            {
                "captured_at": DAY0 + timedelta(days=day, hours=hour),
                "status": "ok",
                "session": tag,
                "reasons": [],
                LEFT: 17.0 + day / 10,
            }
        )
    photos = pd.DataFrame(rows)
    sessions = pd.DataFrame({"started_at": [DAY0 + timedelta(days=d, hours=19) for d in (0, 2)]})
    return photos, sessions


def test_small_samples_say_not_enough_photos():
    """Two baseline days, two days in weeks 2-4 and two sessions: no number is called
    detectable (None), the notes say what is missing, and the sentences say "not enough
    photos yet"."""
    photos, sessions = small_sample()
    table = trend_table(photos, sessions)
    assert table["detectable"].isna().all()
    assert table["change"].isna().all()
    notes = dict(zip(table["window"], table["note"]))
    assert notes["immediate"] == (
        "not enough photos: need before and after photos of at least 3 sessions (have 2)"
    )
    assert notes["2-4 weeks"] == (
        "not enough photos: need at least 3 days in the window and 3 baseline days (have 2 and 3)"
    )
    assert summary_sentences(table) == [
        "Not enough photos yet for the immediate effect: need before and after photos of at "
        "least 3 sessions (have 2).",
        "Not enough photos yet for 2–4 weeks: need at least 3 days in the window and 3 "
        "baseline days (have 2 and 3).",
        "Not enough photos yet for the long term: need at least 3 days in the window and 3 "
        "baseline days (have 0 and 3).",
    ]


def test_settings_change_the_trend():
    """The thresholds come from the ``settings`` given, not from module constants: with
    ``min_days=2`` and ``min_pairs=2`` the small sample that is "not enough photos" by default
    gives the exact changes (2-4 weeks: mean(18.5, 19.0) - mean(16.8, 16.9, 17.0) = +1.85 mm;
    immediate: 0 mm over 2 sessions; tolerance 1e-9), and with ``min_days=4`` the notes ask
    for 4 days."""
    photos, sessions = small_sample()
    fewer = analyse(photos, sessions, settings=Settings(min_days=2, min_pairs=2))
    weeks = row(fewer.table, LEFT, "2-4 weeks")
    assert weeks["n_days"] == 2 and weeks["n_baseline"] == 3
    assert abs(weeks["change"] - 1.85) <= 1e-9
    assert pd.isna(weeks["note"]) and weeks["detectable"] is not None
    immediate = row(fewer.table, LEFT, "immediate")
    assert immediate["n_sessions"] == 2 and abs(immediate["change"]) <= 1e-9
    assert fewer.settings.min_days == 2

    more = trend_table(photos, sessions, settings=Settings(min_days=4))
    assert dict(zip(more["window"], more["note"]))["2-4 weeks"] == (
        "not enough photos: need at least 4 days in the window and 4 baseline days (have 2 and 3)"
    )


def test_settings_move_the_windows_and_the_report_says_so():
    """``weeks_2_4_days`` moves the window labels (with (7, 21): day 6 is in the first 2
    weeks, days 7 and 21 in "2-4 weeks", day 22 long term), the analysis uses them, and the
    report's method notes state the windows and hours the trend was computed with."""
    from tracker.report.content import _method_notes

    moved = Settings(weeks_2_4_days=(7, 21))
    labels = window_of([6, 7, 21, 22], ["treated"] * 4, settings=moved)
    assert labels.tolist() == ["first 2 weeks", "2-4 weeks", "2-4 weeks", "long term"]
    photos, sessions = small_sample()
    trend = analyse(photos, sessions, settings=moved, hours=2.0)
    windows = trend.daily.set_index("day")["window"]
    assert windows[15.0] == "2-4 weeks" and windows[20.0] == "2-4 weeks"
    assert trend.settings.immediate_window_hours == 2.0
    stored = photos.assign(scale_source="iris")  # as Library.photos() gives them
    (note,) = [n for n in _method_notes(trend, stored) if n.startswith("Windows:")]
    assert note.startswith(
        "Windows: immediate = photos taken up to 2 hours after a session against those up to "
        "2 hours before it"
    )
    assert "2–4 weeks = days 7–21; long term = after day 21." in note
    default = analyse(photos, sessions)
    (note,) = [n for n in _method_notes(default, stored) if n.startswith("Windows:")]
    assert "up to 3 hours after" in note and "2–4 weeks = days 14–28" in note


def test_empty_library():
    """No photos at all: every window says not enough photos, nothing fails."""
    photos = pd.DataFrame(
        {
            "captured_at": pd.Series([], dtype="datetime64[ns]"),
            "status": pd.Series([], dtype=object),
            LEFT: [],
        }
    )
    trend = analyse(photos, None)
    assert trend.baseline.rule == "no photos"
    assert trend.table["detectable"].isna().all() and len(trend.table) == 3


# --- baseline and windows ----------------------------------------------------------------------


def test_baseline_before_first_session(treated):
    """By default the baseline is every accepted photo before the first session (14 days and
    the morning of day 0); day 0 is the first session's day."""
    _, _, trend = treated
    base = trend.baseline
    assert base.rule == "before the first session"
    assert base.end == DAY0 + timedelta(hours=19)
    assert base.day0 == DAY0 and base.first_treatment == DAY0 + timedelta(hours=19)
    baseline_days = trend.daily.loc[
        (trend.daily["metric"] == LEFT) & (trend.daily["window"] == "baseline")
    ]
    assert len(baseline_days) == 15
    assert baseline_days["n_photos"].tolist() == [2] * 14 + [3]  # day 0: 08:00, 08:01, 18:50


def test_baseline_until_date(treated):
    """--baseline-until DATE makes the baseline every photo up to the end of that day; days
    after it and before the first session are "before treatment"."""
    photos, sessions, _ = treated
    trend = analyse(photos, sessions, baseline_until=date(2026, 1, 7), metrics=[LEFT])
    assert trend.baseline.rule == "until 2026-01-07"
    assert trend.baseline.day0 == DAY0
    windows = trend.daily.groupby("window")["date"].agg(["min", "max", "size"])
    assert windows.loc["baseline"].tolist() == [
        pd.Timestamp(2026, 1, 1),
        pd.Timestamp(2026, 1, 7),
        7,
    ]
    assert windows.loc["before treatment", "size"] == 8  # 01-08 to 01-15 (its morning)
    assert row(trend.table, LEFT, "2-4 weeks")["n_baseline"] == 7


def test_baseline_until_datetime(treated):
    """A date-time includes the photos taken up to that moment."""
    photos, sessions, _ = treated
    base = choose_baseline(photos, sessions, baseline_until="2026-01-07T08:00")
    assert base.rule == "until 2026-01-07 08:00"
    taken = photos["captured_at"]
    assert ((taken < base.end) == (taken <= pd.Timestamp(2026, 1, 7, 8))).all()
    with pytest.raises(ValueError, match="not a date"):
        choose_baseline(photos, sessions, baseline_until="last week")


def test_baseline_first_week_without_sessions(treated):
    """With no session logged the first week of photos is the baseline and day 0 the day
    after it."""
    photos, _, _ = treated
    trend = analyse(photos, None, metrics=[LEFT])
    assert trend.baseline.rule == "first week"
    assert trend.baseline.end == pd.Timestamp(2026, 1, 8) == trend.baseline.day0
    assert trend.baseline.first_treatment is None and trend.baseline.note == ""
    assert (trend.daily["window"] == "baseline").sum() == 7


def test_baseline_first_week_when_no_photo_precedes_sessions(treated):
    """Sessions logged before every photo: the first week of photos is the baseline, and the
    note says changes are then underestimated."""
    photos, sessions, _ = treated
    early = sessions.assign(started_at=sessions["started_at"] - pd.Timedelta(days=30))
    base = choose_baseline(photos, early)
    assert base.rule == "first week" and "underestimated" in base.note
    assert base.day0 == pd.Timestamp(2025, 12, 16)


def test_window_labels():
    """Days from day 0: < 0 before treatment, 0-13 the first 2 weeks, 14-28 (inclusive)
    "2-4 weeks", from 29 "long term"; baseline photos are "baseline" and photos before the
    first session "before treatment" whatever their day."""
    phases = ["treated"] * 7 + ["baseline", "before treatment"]
    labels = window_of([-1, 0, 13, 14, 28, 29, 200, 0, 0], phases)
    assert labels.tolist() == [
        "before treatment",
        "first 2 weeks",
        "first 2 weeks",
        "2-4 weeks",
        "2-4 weeks",
        "long term",
        "long term",
        "baseline",
        "before treatment",
    ]


def test_photo_roles_by_time_and_tag():
    """Untagged: within 3 h before a session's start is "before", from its start to 3 h after
    its end "after", further away neither; a tag wins and pairs with that day's session."""
    start = pd.Timestamp(2026, 2, 2, 19)
    sessions = pd.DataFrame({"id": [7], "started_at": [start], "minutes": [30.0]})
    offsets_h = [-3.5, -2.9, 0.0, 3.4, 3.6, -10.0, 2.0]
    tags = [None, None, None, None, None, "after", "before"]
    photos = pd.DataFrame(
        {"captured_at": [start + pd.Timedelta(hours=h) for h in offsets_h], "session": tags}
    )
    roles = photo_roles(photos, sessions)
    assert roles["role"].fillna("-").tolist() == [
        "-",
        "before",
        "after",
        "after",
        "-",
        "after",
        "before",
    ]
    assert roles["event"].fillna("-").tolist() == [
        "-",
        "session 7",
        "session 7",
        "session 7",
        "-",
        "session 7",
        "session 7",
    ]
    assert roles["session_id"].fillna(0).tolist() == [0, 7, 7, 7, 0, 7, 7]


def test_pauses_in_the_log():
    """A gap of more than 14 days between sessions is a pause; 14 days is not."""
    starts = pd.to_datetime(["2026-01-01", "2026-01-15", "2026-02-01", "2026-02-03"])
    frame = pauses(pd.DataFrame({"started_at": starts}))
    assert frame[["last_session", "resumed", "days"]].values.tolist() == [
        [pd.Timestamp("2026-01-15"), pd.Timestamp("2026-02-01"), 17.0]
    ]
    ongoing = pauses(pd.DataFrame({"started_at": starts}), latest=pd.Timestamp("2026-03-01"))
    assert ongoing["ongoing"].tolist() == [False, True]


# --- rejected photos and text ------------------------------------------------------------------


def test_rejected_photos_left_out_and_counted(treated):
    """Rejected photos (whose brow reads 5 mm too high) are in no per-day value and are
    counted by kind of reason, with the line the report prints."""
    photos, _, trend = treated
    accepted = photos.loc[photos["status"] == "ok"]
    assert trend.n_rejected == 17 and trend.n_accepted == len(accepted)
    assert trend.rejected == {"smiling": 10, "head turned": 7}
    resting = (accepted["session"] != "after").sum()
    assert trend.daily.loc[trend.daily["metric"] == LEFT, "n_photos"].sum() == resting
    assert left_out_line(trend.n_rejected, trend.rejected) == (
        "17 photos left out: 10 smiling, 7 head turned."
    )
    assert left_out_line(0, {}) == "No photos left out: every photo passed the quality checks."
    assert short_reason("several faces (2); the largest was measured") == "several faces"
    assert (
        short_reason(
            "eyes not looking at the camera (gaze +0.10, limit +/-0.09): the "
            "iris scale would be off"
        )
        == "eyes not looking at the camera"
    )


def test_summary_sentences_wording():
    """The sentences give the change, its interval and the detection threshold (after the
    family-wise control) in plain words; an exploratory metric is marked as such; a change
    above its threshold that the step-down procedure still did not call detectable says so."""
    table = pd.DataFrame(
        [
            {
                "metric": LEFT,
                "outcome": "primary",
                "window": "2-4 weeks",
                "n_days": 15,
                "change": 0.8,
                "ci_low": 0.3,
                "ci_high": 1.3,
                "threshold": 0.45,
                "detectable": True,
                "note": None,
            },
            {
                "metric": RIGHT,
                "outcome": "primary",
                "window": "2-4 weeks",
                "n_days": 15,
                "change": 0.2,
                "ci_low": -0.3,
                "ci_high": 0.7,
                "threshold": 0.45,
                "detectable": False,
                "note": None,
            },
            {
                "metric": "jaw_angle_left_deg",
                "outcome": "primary",
                "window": "2-4 weeks",
                "n_days": 15,
                "change": -1.0,
                "ci_low": -2.1,
                "ci_high": 0.1,
                "threshold": 0.48,
                "detectable": False,
                "note": None,
            },
            {
                "metric": "eye_aperture_left_mm",
                "outcome": "exploratory",
                "window": "2-4 weeks",
                "n_days": 15,
                "change": 0.9,
                "ci_low": 0.5,
                "ci_high": 1.3,
                "threshold": 0.6,
                "detectable": True,
                "note": None,
            },
            {
                "metric": LEFT,
                "outcome": "primary",
                "window": "immediate",
                "n_sessions": 12,
                "change": 1.0,
                "ci_low": 0.7,
                "ci_high": 1.3,
                "threshold": 0.45,
                "detectable": True,
                "note": None,
            },
            {
                "metric": RIGHT,
                "outcome": "primary",
                "window": "immediate",
                "n_sessions": 2,
                "change": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "threshold": math.nan,
                "detectable": None,
                "note": "not enough photos: ...",
            },
        ]
    )
    assert summary_sentences(table) == [
        "Brow height (left) +1.00 mm (95% CI 0.70 to 1.30) right after a session (mean of 12 "
        "sessions), above the 0.45 mm detection threshold.",
        "Brow height (right): not enough photos yet for the immediate effect.",
        "Brow height (left) +0.80 mm (95% CI 0.30 to 1.30) after 2–4 weeks, above the 0.45 mm "
        "detection threshold.",
        "Brow height (right) +0.20 mm (95% CI -0.30 to 0.70) after 2–4 weeks, within the "
        "0.45 mm detection threshold: not a detectable change.",
        "Jaw angle (left) -1.0 deg (95% CI -2.1 to 0.1) after 2–4 weeks, larger than the "
        "0.5 deg detection threshold, but a stronger test of this report failed first: not a "
        "detectable change yet.",
        "Exploratory: Eye opening (left) +0.90 mm (95% CI 0.50 to 1.30) after 2–4 weeks, "
        "above the 0.60 mm detection threshold.",
    ]
    assert summary_sentences(table, combine=True)[2:] == [
        "Brow height (left) +0.80 mm (95% CI 0.30 to 1.30) after 2–4 weeks, above the 0.45 mm "
        "detection threshold.",
        "Exploratory: Eye opening (left) +0.90 mm (95% CI 0.50 to 1.30) after 2–4 weeks, "
        "above the 0.60 mm detection threshold.",
        "No detectable change after 2–4 weeks (within the detection threshold): "
        "Brow height (right) +0.20 mm, Jaw angle (left) -1.0 deg.",
    ]
    assert metric_label("lower_face_width_mm") == "Lower face width"


def test_fade_and_table_text(treated):
    """The fade sentence says the gain faded; the text table has one line per row."""
    _, _, trend = treated
    lines = summary_sentences(trend.table, fade=trend.fade)
    assert lines[-2].startswith("Brow height (left) -1.")
    assert lines[-2].endswith(
        "during the 24-day pause after 2026-03-09 (its last 7 days "
        "against the last 7 on treatment): the gain faded."
    )
    text = table_lines(trend.table)
    assert text[0].split() == [
        "metric",
        "window",
        "n",
        "change",
        "95%",
        "CI",
        "threshold",
        "detectable",
        "slope/week",
        "outcome",
    ]
    assert len(text) == 1 + len(trend.table)
    assert text[1].split()[:7] == ["Brow", "height", "(left),", "mm", "immediate", "30", "+0.94"]


def test_unusual_pose_left_out_of_the_trend(treated):
    """Photos whose pitch differs from the person's usual by more than 3 deg (or yaw by more
    than 5 deg) are left out of the trend and counted with their reason, even though they
    passed the single-photo checks; photos within the limits stay."""
    from tracker.analysis.trend import analyse
    from tracker.analysis.windows import consistent_pose

    photos, sessions, trend = treated
    posed = photos.assign(pitch_deg=0.0, yaw_deg=0.0)
    ok_rows = posed.index[posed["status"] == "ok"]
    posed.loc[ok_rows[:4], "pitch_deg"] = 4.5  # beyond the 3 deg pitch limit
    posed.loc[ok_rows[4:6], "yaw_deg"] = -6.0  # beyond the 5 deg yaw limit
    posed.loc[ok_rows[6:9], "pitch_deg"] = 2.5  # within
    marked = consistent_pose(posed)
    assert (marked.loc[ok_rows[:6], "status"] == "rejected").all()
    assert (marked.loc[ok_rows[6:9], "status"] == "ok").all()
    assert marked.loc[ok_rows[0], "reasons"][-1] == (
        "pose unlike your other photos: pitch +4.5 deg from your usual (limit +/-3)"
    )
    assert (posed["status"] == photos["status"]).all()  # the input is not changed
    result = analyse(posed, sessions, metrics=[LEFT])
    assert result.n_rejected == trend.n_rejected + 6
    assert result.rejected["pose unlike your other photos"] == 6
