"""Split-face and on/off designs (issue 13): the treated side minus the untreated side against
the same difference at baseline, the design the analysis used, plans and their schedule.

The series come from ``tracker.validation.false_alarms.simulate_plan_series``: a person who
follows ``facetrack plan split-face --weeks 4`` (two weeks of baseline photos, then four weeks
of sessions on one side; two photos a day every third day: 15 photo days over six weeks),
every metric with the selfie study's per-photo noise and a day effect of half that, the two
sides of a pair sharing the common part that the split-face noise floor implies.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tracker.analysis import analyse
from tracker.analysis.design import Plan, adherence, design_of
from tracker.analysis.noise import mdc95
from tracker.metrics import registry
from tracker.validation.false_alarms import pair_correlations, simulate_plan_series

START = date(2026, 1, 5)
SPLIT = Plan("split-face", START, 4, "left")
BROW = "brow_height_left_minus_right_mm"


def _row(trend, metric: str, window: str):
    table = trend.table.set_index(["metric", "window"])
    return table.loc[(metric, window)]


def test_plan_schedule_fifteen_photo_days_over_six_weeks():
    """A 4-week split-face plan: 15 photo days (two photos each) over six weeks, sessions
    on the left side three days a week from day 14."""
    schedule = SPLIT.schedule()
    photo_days = schedule.loc[schedule["photos"] > 0]
    assert len(photo_days) == 15
    assert set(photo_days["photos"]) == {2}
    assert photo_days["day"].min() == 0 and photo_days["day"].max() == 42
    sessions = schedule.loc[schedule["session"]]
    assert len(sessions) == 13
    assert sessions["day"].min() == 14
    assert set(sessions["side"]) == {"left"}


def test_pair_correlations_reproduce_split_face_floor():
    """The simulated sides share the common part implied by the floors: brow height's
    left-right correlation is positive (distance and light move both brows; 0.55 from the
    2026.11.30-jaw floors)."""
    rho = pair_correlations()
    assert 0.2 < rho["brow_height"] < 0.65


def test_split_face_lift_found():
    """A 1.0 mm lift of the treated (left) brow from day 14: the split-face 2-4 week brow
    row reads 1.0 +- 0.3 mm, detectable, with threshold and MDC95 at most 0.5 mm."""
    photos, sessions = simulate_plan_series(np.random.default_rng(13), SPLIT, lift_mm=1.0)
    trend = analyse(photos, sessions)
    assert trend.design.name == "split-face" and trend.design.treated == "left"
    row = _row(trend, BROW, "2-4 weeks")
    assert row["design"] == "split-face"
    assert row["outcome"] == "primary"
    assert abs(row["change"] - 1.0) <= 0.3
    assert row["ci_low"] < 1.0 < row["ci_high"]
    assert row["detectable"] is True
    assert row["threshold"] <= 0.5
    # the MDC95 of the person's own repeat photos (point estimate; ``mdc`` uses its upper
    # 95 % bound, 0.50 mm in the median of 40 such series)
    noise = trend.noise.set_index("metric").loc[BROW]
    assert noise["noise_source"] == "repeat photos"
    assert mdc95(noise["sem_point"]) <= 0.5
    # the summary's rows lead with the split-face design
    assert trend.table["design"].iloc[0] == "split-face"
    # every paired metric in every window, whole-face rows keep theirs
    split = trend.table.loc[trend.table["design"] == "split-face"]
    # (a profile shows one side only: profile metrics have no split-face rows)
    front = [
        f
        for f in registry.paired_families()
        if registry.get(registry.sided(f, "left")).view == "front"
    ]
    assert split["metric"].nunique() == len(front)
    assert set(split["window"]) == {"immediate", "2-4 weeks", "long term"}
    assert _row(trend, "brow_height_left_mm", "2-4 weeks")["design"] == "whole-face"


def test_split_face_without_lift_not_detectable():
    """The same series without the lift: the split-face brow row is not detectable."""
    photos, sessions = simulate_plan_series(np.random.default_rng(13), SPLIT, lift_mm=0.0)
    row = _row(analyse(photos, sessions), BROW, "2-4 weeks")
    assert row["detectable"] is False
    assert abs(row["change"]) < row["threshold"]


def test_split_face_false_alarms_at_most_5_percent():
    """40 seeded unchanged people following the split-face plan: the share told that
    anything changed (any metric, window or design) stays at most 5 % (at most 2 of 40)."""
    rng = np.random.default_rng(1300)
    alarms = 0
    for _ in range(40):
        photos, sessions = simulate_plan_series(rng, SPLIT, lift_mm=0.0)
        trend = analyse(photos, sessions)
        verdicts = pd.concat([trend.table["detectable"], trend.fade["detectable"]])
        alarms += bool(verdicts.map(lambda v: v is True).any())
    assert alarms <= 2


def test_split_face_reads_the_split_face_floor_without_repeats():
    """With one photo a day (no repeats) the split-face rows fall back on the split-face
    selfie floor of noise_floors.csv (SD of left minus right: 0.1392 mm in the 2026-11-30
    study with the rounded-jaw head, 0.1081 before; MDC95 = 1.96 sqrt(2) SEM)."""
    from tracker.analysis.noise import read_noise_floors

    floors = read_noise_floors()
    row = floors.loc[
        (floors["metric"] == "brow_height_left_mm")
        & (floors["design"] == "split-face")
        & (floors["source"] == "selfie-3d")
    ]
    photos, sessions = simulate_plan_series(np.random.default_rng(5), SPLIT, lift_mm=1.0)
    first = photos.loc[photos["captured_at"].dt.minute == 0]
    trend = analyse(first, sessions)
    noise = trend.noise.set_index("metric").loc[BROW]
    assert noise["sem"] == float(row["sem"].iloc[0]) == pytest.approx(0.14, abs=0.03)
    assert noise["noise_source"] == "selfie study (no repeat photos)"
    assert _row(trend, BROW, "2-4 weeks")["mdc"] == pytest.approx(
        1.959964 * np.sqrt(2) * noise["sem"], abs=1e-3
    )


def test_design_of_sessions():
    """One-sided logs are split-face; mixed sides, or a split-face plan logged on both
    sides, are analysed as whole-face with one clear line."""

    def log(*sides):
        return pd.DataFrame(
            {"started_at": pd.date_range("2026-01-01", periods=len(sides)), "side": sides}
        )

    assert design_of(log("right", "right")).name == "split-face"
    assert design_of(log("right", "right")).treated == "right"
    assert design_of(log("both", "both")).line() == (
        "Design: whole-face (each metric against its baseline)."
    )
    mixed = design_of(log("left", "both", "left"), SPLIT)
    assert mixed.name == "whole-face"
    assert mixed.line() == (
        "Design: whole-face (each metric against its baseline). The plan is split-face, but "
        "sessions were logged on both sides (1 both, 2 left): no split-face comparison, "
        "analysed as whole-face."
    )
    assert design_of(log("left", "right")).note == (
        "Sessions on different sides (1 left, 1 right): a split-face comparison needs "
        "every session on one side; analysed as whole-face."
    )


def test_split_face_plan_with_both_sides_has_no_split_rows():
    """A split-face plan whose sessions were logged on both sides: no split-face row, and
    the trend says which design it used."""
    photos, sessions = simulate_plan_series(
        np.random.default_rng(2), SPLIT, lift_mm=0.0, session_side="both"
    )
    trend = analyse(photos, sessions, plan=SPLIT)
    assert trend.design.name == "whole-face"
    assert set(trend.table["design"]) == {"whole-face"}
    assert trend.adherence["wrong_side"] == 13
    assert "13 of 13 sessions were not on the left side only" in " ".join(trend.adherence["lines"])


def test_adherence_missed_photo_days():
    """Missing photo days and followed plans are named."""
    photos, sessions = simulate_plan_series(np.random.default_rng(3), SPLIT)
    report = adherence(SPLIT, sessions, photos["captured_at"])
    assert report["followed"] and report["missed_photo_days"] == []
    dropped = photos.loc[photos["captured_at"].dt.date != date(2026, 1, 8)]
    report = adherence(SPLIT, sessions, dropped["captured_at"])
    assert not report["followed"]
    assert report["missed_photo_days"] == [date(2026, 1, 8)]
    assert report["lines"][-1] == (
        "1 of 15 planned photo days so far had no accepted photo (2026-01-08)."
    )


ON_OFF = Plan("on-off", START, 8, "both")


def test_on_off_design_finds_on_blocks():
    """On/off plan (2-week blocks: off, on, off, on), brows 1.0 mm higher on on days, and a
    slow drift of 0.1 mm a week on every photo: the on-vs-off brow rows read about 1.0 mm,
    detectable; without the lift, not detectable."""
    for lift, expected in ((1.0, True), (0.0, False)):
        photos, sessions = simulate_plan_series(np.random.default_rng(8), ON_OFF, lift_mm=lift)
        weeks = (photos["captured_at"] - pd.Timestamp(START)) / pd.Timedelta(days=7)
        for column in ("brow_height_left_mm", "brow_height_right_mm"):
            photos[column] = photos[column] + 0.1 * weeks
        trend = analyse(photos, sessions, plan=ON_OFF)
        assert trend.design.name == "on-off"
        row = _row(trend, "brow_height_left_mm", "on vs off")
        assert row["design"] == "on-off"
        assert row["detectable"] is expected
        assert abs(row["change"] - lift) <= 0.3


def test_on_off_reads_a_turn_habit_of_on_days_at_the_usual_capture():
    """On/off plan, no effect, but every photo of an on day taken 4 deg more turned, the
    jaw contour moving 0.4 mm per degree of turn: read as measured, its on-vs-off row is
    off by about 1.6 mm; read at the usual capture, within 0.3 mm of 0 and not detectable,
    with the slopes' error for the on days' mean shift of capture in its interval (its
    variance exceeds the fit's own by d' C d)."""
    from dataclasses import replace

    from tracker.analysis.levers import lever_uncertainty
    from tracker.analysis.trend import on_off
    from tracker.settings import DEFAULT_SETTINGS

    jaw = "jaw_contour_55_right_mm"
    rng = np.random.default_rng(12)
    photos, sessions = simulate_plan_series(rng, ON_OFF)
    on = np.array([ON_OFF.on(t.date()) for t in photos["captured_at"]])
    n = len(photos)
    photos["yaw_deg"] = rng.normal(0.0, 2.0, n) + 4.0 * on
    photos["pitch_deg"] = rng.normal(0.0, 1.2, n)
    photos["roll_deg"] = 0.0
    photos["camera_distance_mm"] = 400.0 + rng.normal(0.0, 30.0, n)
    photos[jaw] = photos[jaw] + 0.4 * photos["yaw_deg"]
    raw = analyse(
        photos, sessions, plan=ON_OFF, settings=replace(DEFAULT_SETTINGS, lever_min_photos=10**6)
    )
    trend = analyse(photos, sessions, plan=ON_OFF)
    assert _row(raw, jaw, "on vs off")["change"] > 1.0
    row = _row(trend, jaw, "on vs off")
    assert abs(row["change"]) <= 0.3
    assert row["detectable"] is False
    lever = lever_uncertainty(trend.levers, jaw)
    names, cov, _ = lever
    assert "yaw_deg" in names
    slope_var = float(cov[names.index("yaw_deg"), names.index("yaw_deg")])
    days = trend.daily.loc[trend.daily["metric"] == jaw]
    sem = float(trend.noise.set_index("metric").loc[jaw, "sem"])
    without = on_off(days, ON_OFF, sem)
    with_lever = on_off(days, ON_OFF, sem, lever=lever)
    assert with_lever["change"] == pytest.approx(row["change"], abs=1e-12)
    assert with_lever["se"] == pytest.approx(row["se"], rel=1e-12)
    # the on days' mean turn exceeds the off days' by about 4 deg (less: the pose window)
    extra = with_lever["se"] ** 2 - without["se"] ** 2
    assert (2.0**2) * slope_var <= extra <= (4.5**2) * slope_var * 1.2


# --- the command line --------------------------------------------------------------------

from click.testing import CliRunner  # noqa: E402

from tracker.cli import main  # noqa: E402
from tracker.library import Library  # noqa: E402


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_plan_prints_schedule_stores_it_and_writes_ics(tmp_path):
    """`facetrack plan split-face` prints the schedule, stores the plan and writes a
    calendar with one event per photo day and session."""
    lib, ics = tmp_path / "lib", tmp_path / "plan.ics"
    result = run(
        "plan",
        "split-face",
        "--weeks",
        4,
        "--start",
        "2026-01-05",
        "--side",
        "right",
        "--out",
        ics,
        "--library",
        lib,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Split-face plan: treat the right side only for 4 weeks")
    assert lines[1].split() == ["date", "day", "period", "photos", "session"]
    assert lines[2].split() == ["2026-01-05", "Mon", "0", "baseline", "2", "-"]
    assert "15 photo days, 13 sessions." in lines
    text = ics.read_bytes().decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 28
    assert "SUMMARY:facetrack: session\\, the right side only" in text
    with Library(lib) as library:
        assert library.plan() == Plan("split-face", date(2026, 1, 5), 4, "right")


def test_cli_bad_design_and_side_one_line_each(tmp_path):
    """A design or side that is not one: one clear error line each."""
    lib = tmp_path / "lib"
    result = run("plan", "sideways", "--weeks", 2, "--library", lib)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for 'DESIGN': unknown design 'sideways'; choose split-face or on-off"
    )
    result = run("plan", "split-face", "--weeks", 2, "--side", "up", "--library", lib)
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--side': 'up' is not one of 'left', 'right'."
    )
    result = run("session", "log", "--date", "2026-01-05", "--side", "up", "--library", lib)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--side': 'up' is not one of 'both', 'left', 'right'."
    )


@pytest.fixture
def simulated_library(tmp_path, monkeypatch):
    """A library whose photos and sessions are a simulated split-face series (1.0 mm lift
    of the left brow), with sessions on the side given to the factory."""

    def make(side: str):
        photos, sessions = simulate_plan_series(
            np.random.default_rng(13), SPLIT, lift_mm=1.0, session_side=side
        )
        photos = photos.assign(scale_source="person")
        monkeypatch.setattr(Library, "photos", lambda self, **_: photos.copy())
        sessions = sessions.assign(utc_offset=None, mode=None, note=None, logged_at=None)
        monkeypatch.setattr(Library, "sessions", lambda self: sessions.copy())
        lib = tmp_path / "lib"
        with Library(lib) as library:
            library.save_plan(SPLIT)
        return lib

    return make


def test_cli_trend_leads_with_split_face(simulated_library):
    """One-sided sessions: the trend's first line names the split-face design, the
    split-face result comes before any whole-face line, and JSON rows carry the design."""
    lib = simulated_library("left")
    lines = run("trend", "--library", lib).output.splitlines()
    assert lines[0] == "Design: split-face (left side treated, right side the control)."
    first_brow = next(i for i, line in enumerate(lines) if "mm (95% CI" in line)
    assert lines[first_brow].startswith("Brow height (left minus right) +")
    records = [
        __import__("json").loads(x)
        for x in run("trend", "--json", "--library", lib).output.splitlines()
    ]
    designs = {r["design"] for r in records}
    assert designs == {"split-face", "whole-face"}
    brow = next(r for r in records if r["metric"] == BROW and r["window"] == "2-4 weeks")
    assert brow["detectable"] is True and abs(brow["change"] - 1.0) <= 0.3


def test_cli_trend_split_face_plan_with_both_sides(simulated_library):
    """A split-face plan with sessions logged on both sides: one clear line, and the
    analysis says it used the whole-face design."""
    lib = simulated_library("both")
    lines = run("trend", "--library", lib).output.splitlines()
    assert lines[0] == (
        "Design: whole-face (each metric against its baseline). The plan is split-face, but "
        "sessions were logged on both sides (13 both): no split-face comparison, analysed "
        "as whole-face."
    )
    assert not any("minus" in line for line in lines)


def test_split_face_chart_and_report(simulated_library, monkeypatch):
    """The report names the design, says the plan was followed, leads its summary with the
    split-face brow row and charts the difference with its noise band first (the photo
    log, which needs the library's file columns, is left out of this simulated library)."""
    from tracker import charts
    from tracker.report import content
    from tracker.report.content import build_report

    monkeypatch.setattr(content, "_photo_log", lambda photos, sessions: [])

    lib = simulated_library("left")
    with Library(lib) as library:
        report = build_report(library, include_photos=False)
    assert report.summary[0] == "Design: split-face (left side treated, right side the control)."
    assert report.summary[2].startswith("Followed so far: 15 planned photo days")
    assert any(line.startswith("Brow height (left minus right) +") for line in report.summary[:6])
    assert report.charts[0].title == "Split-face: treated minus untreated brow"
    axes = charts.split_face_chart(report.trend)
    assert axes.get_title() == "Split-face: Brow height (left minus right)"
    assert len(axes.patches) >= 1  # the noise band
