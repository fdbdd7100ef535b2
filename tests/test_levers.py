"""Tests of tracker.analysis.levers: metrics read at the person's usual capture.

The series are synthetic, shaped like ``Library.photos()`` (``test_analysis.treatment_series``)
with a known capture (turn, nod, camera distance) per photo and known levers, so that the
slopes and the trend's changes have true values to recover.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_analysis import DAY0, row, treatment_series, true_window_effect

from tracker.analysis import analyse
from tracker.analysis.levers import LEVER_COLUMNS, adjust_for_capture, capture_levers
from tracker.settings import DEFAULT_SETTINGS

JAW = "jaw_contour_55_right_mm"
BROW = "brow_height_left_mm"
LEVERS = {"yaw_deg": 0.4, "pitch_deg": -0.15, "inverse_distance_per_m": 1.5}
NO_LEVERS = replace(DEFAULT_SETTINGS, lever_min_photos=10**6)


def jaw_series(seed: int = 3, *, usual_yaw=(-2.0, 2.0), yaw_sd: float = 2.0, noise: float = 0.3):
    """``treatment_series`` with a capture per photo and a jaw contour that the treatment pulls
    in by the brow's true effect (mm) and the capture moves by ``LEVERS``.

    The person's usual turn changes with the treatment (``usual_yaw``: before day 0, after):
    a habit that confounds a trend read as measured. Within weeks the turn spreads by
    ``yaw_sd``, the nod by 1.2 deg, the camera's distance by 30 mm about 400 mm.
    """
    photos, sessions = treatment_series(seed)
    rng = np.random.default_rng(seed + 100)
    n = len(photos)
    day = ((photos["captured_at"] - DAY0) / pd.Timedelta(days=1)).to_numpy()
    yaw = np.where(day < 0, usual_yaw[0], usual_yaw[1]) + rng.normal(0.0, yaw_sd, n)
    pitch = rng.normal(0.0, 1.2, n)
    distance = 400.0 + rng.normal(0.0, 30.0, n)
    photos["yaw_deg"], photos["pitch_deg"], photos["camera_distance_mm"] = yaw, pitch, distance
    photos["roll_deg"] = 0.0
    photos[JAW] = (
        60.0
        - photos["true_effect"]
        + LEVERS["yaw_deg"] * yaw
        + LEVERS["pitch_deg"] * pitch
        + LEVERS["inverse_distance_per_m"] * (1000.0 / distance - 2.5)
        + rng.normal(0.0, noise, n)
    )
    return photos, sessions


@pytest.fixture(scope="module")
def series():
    return jaw_series()


def test_levers_recover_known_slopes(series):
    """Slopes within 0.05 deg^-1 (turn, nod) and 0.3 m (distance) of the truth, each within
    1.32 half-widths of its 95 % interval (its 99 % interval); the residual SD within 15 % of
    the noise (0.3 mm). Measured (seed 3): 0.412, -0.187, 1.56."""
    photos, _ = series
    table = capture_levers(photos, [JAW])
    assert list(table.columns) == LEVER_COLUMNS
    levers = table.set_index("covariate")
    for covariate, truth in LEVERS.items():
        fitted = levers.loc[covariate]
        tolerance = 0.3 if covariate == "inverse_distance_per_m" else 0.05
        assert bool(fitted["used"])
        assert fitted["slope"] == pytest.approx(truth, abs=tolerance)
        half = 0.5 * (fitted["slope_ci_high"] - fitted["slope_ci_low"])
        assert abs(fitted["slope"] - truth) <= 1.32 * half
    assert levers["residual_sd"].iloc[0] == pytest.approx(0.3, rel=0.15)


def test_a_confounding_habit_is_undone(series):
    """The person turns 4 deg further once treatment starts: read as measured, the
    2-4-week change of the jaw contour is off by ~1.6 mm (0.4 mm/deg x 4 deg); read at the
    usual capture it is the true change within 0.25 mm. A metric the capture does not move
    (the brow, in this series) keeps its change within 0.05 mm: its slopes are learnt near 0
    and the adjustment moves a window's mean by slope x (its mean capture - the usual)."""
    photos, sessions = series
    truth = -true_window_effect(photos, 14, 28)
    raw = analyse(photos, sessions, settings=NO_LEVERS)
    adjusted = analyse(photos, sessions)
    raw_change = float(row(raw.table, JAW, "2-4 weeks")["change"])
    change = float(row(adjusted.table, JAW, "2-4 weeks")["change"])
    assert raw_change - truth > 1.0
    assert change == pytest.approx(truth, abs=0.25)
    assert float(row(adjusted.table, BROW, "2-4 weeks")["change"]) == pytest.approx(
        float(row(raw.table, BROW, "2-4 weeks")["change"]), abs=0.05
    )
    used = adjusted.levers.loc[adjusted.levers["used"]]
    assert set(used["metric"]) == {JAW, BROW, "brow_height_right_mm"}
    assert raw.levers["used"].sum() == 0


def test_adjusted_values_keep_no_trace_of_the_capture(series):
    """Read at the usual capture, the accepted photos' jaw contour no longer correlates with
    the turn within weeks (|r| < 0.1; as measured r > 0.8), and its values at the usual capture
    are unchanged: a photo taken at the median turn, nod and distance keeps its value."""
    photos, _ = series
    out, levers = adjust_for_capture(photos, [JAW])
    ok = out["status"] == "ok"
    week = pd.to_datetime(out["captured_at"]).dt.isocalendar()["week"]

    def within(values):
        return values - values.groupby(week).transform("mean")

    yaw = within(out.loc[ok, "yaw_deg"])
    assert abs(np.corrcoef(within(out.loc[ok, JAW]), yaw)[0, 1]) < 0.1
    assert np.corrcoef(within(photos.loc[ok, JAW]), yaw)[0, 1] > 0.8
    usual = levers.set_index("covariate")["usual"]
    at_usual = photos.iloc[[0]].copy()
    at_usual["yaw_deg"] = usual["yaw_deg"]
    at_usual["pitch_deg"] = usual["pitch_deg"]
    at_usual["camera_distance_mm"] = 1000.0 / usual["inverse_distance_per_m"]
    shifted, _ = adjust_for_capture(pd.concat([photos, at_usual], ignore_index=True), [JAW])
    assert shifted[JAW].iloc[-1] == pytest.approx(at_usual[JAW].iloc[0], abs=0.05)


def test_a_steady_capture_is_left_as_measured():
    """A turn that spreads by 0.5 deg within weeks (under the 1.5 deg needed) is not fitted:
    its note says so and the nod and distance are still used."""
    photos, _ = jaw_series(yaw_sd=0.5, usual_yaw=(0.0, 0.0))
    levers = capture_levers(photos, [JAW]).set_index("covariate")
    assert not bool(levers.loc["yaw_deg", "used"])
    assert "steady within weeks" in levers.loc["yaw_deg", "note"]
    assert levers.loc["yaw_deg", "spread"] == pytest.approx(0.5, rel=0.15)
    assert bool(levers.loc["pitch_deg", "used"])
    assert bool(levers.loc["inverse_distance_per_m", "used"])


def test_too_few_photos_change_nothing(series):
    """With 11 photos in weeks of two or more (12 needed) no slope is used and every value
    stays exactly as measured."""
    photos, _ = series
    few = photos.loc[photos["status"] == "ok"].iloc[:11]
    out, levers = adjust_for_capture(few, [JAW])
    assert not levers["used"].any()
    assert "needs 12" in levers["note"].iloc[0]
    pd.testing.assert_series_equal(out[JAW], few[JAW])


def test_a_misfound_outline_does_not_drive_the_slope(series):
    """Three photos whose outline was found 8 mm off (a strand of hair), all at large turns,
    leave the turn's slope within 0.03 deg^-1 of the truth: they fall outside 3.5 robust SDs
    and are left out of the fit."""
    photos, _ = series
    bad = photos.copy()
    ok = bad.index[bad["status"] == "ok"]
    turned = bad.loc[ok, "yaw_deg"].abs().sort_values().index[-3:]
    bad.loc[turned, JAW] += 8.0
    levers = capture_levers(bad, [JAW]).set_index("covariate")
    assert levers.loc["yaw_deg", "slope"] == pytest.approx(LEVERS["yaw_deg"], abs=0.03)
    assert levers.loc["yaw_deg", "n_photos"] == levers.loc["pitch_deg", "n_photos"]
    assert levers.loc["yaw_deg", "n_photos"] <= (bad["status"] == "ok").sum() - 3


# --- the 3-D head ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def head_study():
    """tracker.validation.levers.capture_lever_study with 12 selfies per series and two
    framings per capture (about 50 renders, 25 s)."""
    from tracker.validation.head3d import STUDY_OFFSETS_PX
    from tracker.validation.levers import capture_lever_study, lever_table

    study = capture_lever_study(12, offsets=STUDY_OFFSETS_PX[:2])
    return study, lever_table(study).set_index("metric")


def test_the_head_series_learns_its_levers(head_study):
    """On selfies not used to learn the slopes, read at the usual capture: Face Mesh's jaw
    angles keep <= 0.7 of their SD (measured 0.60, 0.19), the lower face width and the jowls
    <= 0.5 (0.29; 0.29, 0.24). A turn of +/-4 deg moves the jaw angles <= 0.6 deg (0.46, 0.20;
    as measured 1.28, 1.85); a camera at 33 or 50 cm instead of 40 moves the jaw outline's
    contour distances <= 0.6 mm (0.16-0.45; as measured 0.90-0.98)."""
    study, table = head_study
    assert study["n"] == 12 and study["n_later"] == 12
    for metric, bound in (
        ("jaw_angle_left_deg", 0.7),
        ("jaw_angle_right_deg", 0.7),
        ("lower_face_width_mm", 0.5),
        ("jowl_left_mm", 0.5),
        ("jowl_right_mm", 0.5),
    ):
        assert table.loc[metric, "sd_at_usual"] <= bound * table.loc[metric, "sd_measured"]
    for metric in ("jaw_angle_left_deg", "jaw_angle_right_deg"):
        assert table.loc[metric, "yaw4_measured"] >= 1.0
        assert table.loc[metric, "yaw4_at_usual"] <= 0.6
    for family in ("jaw_contour_55", "jaw_contour_75"):
        for side in ("left", "right"):
            metric = f"{family}_{side}_mm"
            assert table.loc[metric, "distance_measured"] >= 0.8
            assert table.loc[metric, "distance_at_usual"] <= 0.6


def test_the_floor_of_a_metric_read_at_the_usual_capture():
    """Without repeat photos, a metric the trend read at the usual capture falls back on the
    selfie study read so ("selfie-3d-usual"), else on the plain selfie study; the shipped
    floors file has such a row for every capture-adjusted metric, no larger than the plain
    one."""
    from tracker.analysis.noise import (
        SELFIE_AT_USUAL,
        SELFIE_AT_USUAL_SOURCE,
        SELFIE_SOURCE,
        floor_sem,
        read_noise_floors,
    )
    from tracker.metrics import registry

    floors = pd.DataFrame(
        {
            "metric": [JAW, JAW],
            "design": "whole-face",
            "source": ["selfie-3d", SELFIE_AT_USUAL],
            "sd": [0.6, 0.2],
            "sem": [0.6, 0.2],
        }
    )
    assert floor_sem(JAW, floors=floors) == (0.6, SELFIE_SOURCE)
    assert floor_sem(JAW, floors=floors, at_usual_capture=True) == (0.2, SELFIE_AT_USUAL_SOURCE)
    assert floor_sem(JAW, floors=floors.iloc[:1], at_usual_capture=True) == (0.6, SELFIE_SOURCE)
    shipped = read_noise_floors()
    for metric in registry.names(capture_adjusted=True, view="front"):
        usual, source = floor_sem(metric, floors=shipped, at_usual_capture=True)
        plain, _ = floor_sem(metric, floors=shipped)
        assert source == SELFIE_AT_USUAL_SOURCE, metric
        assert usual <= plain, metric


def test_a_photo_without_a_distance_keeps_the_others_learning(series):
    """Ten photos whose camera distance is unknown (no focal length): the distance lever is
    still learnt from the others (within 0.3 m of the truth), the turn's within 0.05; those
    photos are read at the usual turn and nod but keep their distance's effect."""
    photos, _ = series
    gaps = photos.copy()
    ok = gaps.index[gaps["status"] == "ok"]
    gaps.loc[ok[:10], "camera_distance_mm"] = np.nan
    levers = capture_levers(gaps, [JAW]).set_index("covariate")
    assert levers["used"].all()
    assert levers.loc["inverse_distance_per_m", "slope"] == pytest.approx(1.5, abs=0.3)
    assert levers.loc["yaw_deg", "slope"] == pytest.approx(0.4, abs=0.05)
    out, _ = adjust_for_capture(gaps, [JAW])
    usual = levers["usual"]
    slope = levers["slope"]
    row = ok[0]
    expected = (
        gaps.at[row, JAW]
        - slope["yaw_deg"] * (gaps.at[row, "yaw_deg"] - usual["yaw_deg"])
        - slope["pitch_deg"] * (gaps.at[row, "pitch_deg"] - usual["pitch_deg"])
    )
    assert out.at[row, JAW] == pytest.approx(expected, abs=1e-9)


def test_the_report_says_whether_the_capture_was_undone(series):
    """The report's methods: with levers learnt, "every photo is read at your usual turn, nod
    and distance" and the largest slope (0.41 mm per degree of turn, the truth 0.4); with a
    library held steady, that the metrics were left as measured, and why."""
    from test_analysis import treatment_series

    from tracker.report.content import _method_notes

    photos, sessions = series
    photos = photos.assign(scale_source="person")
    notes = [n for n in _method_notes(analyse(photos, sessions), photos) if "Capture" in n]
    assert len(notes) == 1
    assert "every photo is read at your usual turn, nod and distance" in notes[0]
    assert "moved 0.41 mm per degree of turn" in notes[0]
    steady, steady_sessions = treatment_series(1)
    steady = steady.assign(scale_source="person", jaw_angle_left_deg=125.0)
    notes = _method_notes(analyse(steady, steady_sessions), steady)
    capture = [n for n in notes if "Capture" in n]
    assert len(capture) == 1 and "left as measured" in capture[0]
    assert "every photo is read" not in capture[0]


def test_a_turn_after_each_session_is_undone_in_the_immediate_window():
    """Every photo after a session is taken 4 deg more turned than the one before it: read as
    measured, the immediate change of the jaw contour is off by ~1.6 mm (0.4 mm/deg); read
    at the usual capture it is the true immediate change (-1 mm) within 0.25 mm and inside
    its 95 % interval, and the slopes' error for a mean 4 deg shift is in that interval:
    its variance exceeds the pairs' own by d' C d, d the pairs' mean change of capture."""
    from tracker.analysis.levers import lever_uncertainty, weighted_capture_variance

    photos, sessions = jaw_series(usual_yaw=(0.0, 0.0))
    after = (photos["session"] == "after").to_numpy()
    photos.loc[after, "yaw_deg"] += 4.0
    photos.loc[after, JAW] += LEVERS["yaw_deg"] * 4.0
    truth = -1.0  # treatment_series' immediate effect, pulling the contour in
    raw = row(analyse(photos, sessions, settings=NO_LEVERS).table, JAW, "immediate")
    adjusted = analyse(photos, sessions)
    immediate = row(adjusted.table, JAW, "immediate")
    assert float(raw["change"]) - truth > 1.2
    assert float(immediate["change"]) == pytest.approx(truth, abs=0.25)
    assert immediate["ci_low"] <= truth <= immediate["ci_high"]
    pairs = adjusted.pairs.loc[adjusted.pairs["metric"] == JAW]
    # 4 deg less the photos the pose window leaves out (turned over 5 deg from the usual)
    assert 2.0 < pairs["capture_yaw_deg"].mean() <= 4.5
    names, cov, _ = lever_uncertainty(adjusted.levers, JAW)
    extra = weighted_capture_variance(names, cov, pairs, np.full(len(pairs), 1.0 / len(pairs)))
    assert extra > 0
    own = max(
        float(pairs["change"].var(ddof=1)),
        float(immediate["sem"]) ** 2
        * float(np.mean(1.0 / pairs["n_before"] + 1.0 / pairs["n_after"])),
    ) / len(pairs)
    assert float(immediate["se"]) ** 2 == pytest.approx(own + extra, rel=1e-9)


def test_a_profile_series_is_read_at_the_usual_posture():
    """Front and profile photos in one library: the right profiles' chin-neck angle opens by
    one degree per degree of the head's posture on its neck (drawn with SD 2.5 deg about
    -7), as the construction says, and the treatment closes it by the brow's true effect
    times 3. The profile metric has one lever row, the posture, slope exactly 1 and no
    error, at the median posture; its photos are read at the usual posture (their error
    against the truth at that posture falls from the posture's spread to the noise's, SD
    under 0.3 deg), from five profiles as from all; and a front metric of the same library
    is fitted on turn, nod and distance as before, untouched by the profiles' posture."""
    photos, _ = jaw_series()
    rng = np.random.default_rng(8)
    n = len(photos)
    posture = -7.0 + rng.normal(0.0, 2.5, n)
    cma = "cervicomental_angle_right_deg"
    profiles = photos.assign(
        view="profile",
        yaw_deg=np.nan,
        pitch_deg=np.nan,
        roll_deg=np.nan,
        camera_distance_mm=np.nan,
        **{
            JAW: np.nan,
            cma: 110.0 - 3.0 * photos["true_effect"] + posture + rng.normal(0.0, 0.2, n),
            "head_neck_angle_right_deg": posture,
        },
    )
    both = pd.concat([photos.assign(view="front"), profiles], ignore_index=True)
    out, levers = adjust_for_capture(both, [JAW, cma])
    rows = levers.set_index(["metric", "covariate"])
    assert list(rows.loc[cma].index) == ["head_neck_angle_deg"]
    assert bool(rows.loc[(cma, "head_neck_angle_deg"), "used"])
    posture_row = rows.loc[(cma, "head_neck_angle_deg")]
    assert posture_row["slope"] == 1.0 and posture_row["cov_head_neck_angle_deg"] == 0.0
    accepted = (photos["status"] == "ok").to_numpy()
    assert posture_row["usual"] == pytest.approx(float(np.median(posture[accepted])), abs=1e-9)
    assert list(rows.loc[JAW].index) == ["yaw_deg", "pitch_deg", "inverse_distance_per_m"]
    assert rows.loc[(JAW, "yaw_deg"), "slope"] == pytest.approx(LEVERS["yaw_deg"], abs=0.05)
    profile = both["view"] == "profile"
    truth = 110.0 - 3.0 * both.loc[profile, "true_effect"]
    assert (both.loc[profile, cma] - truth).std() > 2.0
    assert (out.loc[profile, cma] - truth).std() < 0.3
    few = both.loc[~profile | (both.index.isin(both.index[profile][:5]))]
    few_out, _ = adjust_for_capture(few, [cma])
    at = few["view"] == "profile"
    usual = float(few.loc[at & (few["status"] == "ok"), "head_neck_angle_right_deg"].median())
    expected = few.loc[at, cma] - (few.loc[at, "head_neck_angle_right_deg"] - usual)
    assert np.allclose(few_out.loc[at, cma], expected)


@pytest.fixture(scope="module")
def depth_studies():
    """tracker.validation.levers.depth_lever_study on the heads 0.7 and 1.3 times as deep as
    Face Mesh's model, 12 selfies per series, two framings, nods of +/-6 deg (about 60
    renders, 30 s)."""
    from tracker.validation.head3d import STUDY_OFFSETS_PX
    from tracker.validation.levers import depth_lever_study, depth_table

    nods = tuple((f"pitch {p:+g} deg", {"pitch_deg": p}) for p in (6.0, -6.0))
    studies = depth_lever_study((0.7, 1.3), 12, offsets=STUDY_OFFSETS_PX[:2], conditions=nods)
    return studies, depth_table(studies).set_index(["depth_gain", "metric"])


@pytest.mark.parametrize("brow", ["brow_height_left_mm", "brow_height_right_mm"])
def test_a_brow_deeper_or_shallower_than_the_model_is_read_at_the_usual_nod(depth_studies, brow):
    """Face Mesh's depth of the brows is its model's (7.7-7.9 mm in front of the eyes on
    every head), so on a face whose brows lie about 0 or 11 mm in front of the eyes a nod
    moves the brow height by (true depth - model depth) x sin(nod): one photo nodded by 6 deg
    reads it 0.53-0.64 mm off. The series learns that slope: between the two heads it differs
    by the brows' difference of depth x pi/180 per degree (geometry: 0.205 / 0.171 mm per
    deg, left / right; learnt 0.190 / 0.157) within 0.06, with the sign of the depth's error
    on each; read at the usual nod, a 6 deg nod moves the brow <= 0.5 of its move as measured
    (0.02-0.32), and the selfies' SD does not grow (0.14-0.20 -> 0.06-0.11 mm)."""
    _, table = depth_studies
    shallow, deep = table.loc[(0.7, brow)], table.loc[(1.3, brow)]
    geometry = (deep["brow_depth_mm"] - shallow["brow_depth_mm"]) * np.pi / 180.0
    assert deep["per_deg_nod"] - shallow["per_deg_nod"] == pytest.approx(geometry, abs=0.06)
    assert shallow["per_deg_nod"] < -0.03 and deep["per_deg_nod"] > 0.03
    for head in (shallow, deep):
        assert head["pitch6_measured"] >= 0.25
        assert head["pitch6_at_usual"] <= 0.5 * head["pitch6_measured"]
        assert head["sd_at_usual"] <= head["sd_measured"] + 0.02


def test_the_depth_study_as_markdown(depth_studies):
    """facetrack validate's section on the heads of other depth: one row per head and brow,
    with the brow's true depth and the slopes as the table has them."""
    from tracker.validation.levers import depth_markdown

    studies, table = depth_studies
    text = depth_markdown(studies)
    assert text.startswith("## Capture levers of the brows on heads of other depth")
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| 0.7 |") or line.startswith("| 1.3 |")
    ]
    assert len(rows) == 4
    deep_left = next(r for r in rows if r.startswith("| 1.3 | brow_height_left_mm |"))
    cells = [c.strip() for c in deep_left.strip("|").split("|")]
    assert float(cells[2]) == pytest.approx(
        table.loc[(1.3, "brow_height_left_mm"), "brow_depth_mm"], abs=0.01
    )
    assert float(cells[4]) == pytest.approx(
        table.loc[(1.3, "brow_height_left_mm"), "per_deg_nod"], abs=0.001
    )
