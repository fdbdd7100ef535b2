"""Tests of ``facetrack validate`` (tracker.validation) and the warps it relies on.

Three kinds:

- the new warps (``tracker.warps.jaw_contour_in``, ``mouth_corner_lift``) on synthetic
  geometry: the project's frontal reference face scaled so that the iris centres are 300 px
  apart (no photo, no MediaPipe), where their ground truth is exact;
- the small statistics helpers, on numbers whose answer is known;
- the reduced validation CI runs (``--quick``: skimage's astronaut upscaled 3 x and the four
  bundled sample images; brow lifts of 1 and 3 mm per side, a 2 mm jaw move, a 1 mm mouth
  corner lift, three nuisance versions per photo), run once through the command line into a
  temporary folder. It must keep brow-height sensitivity within 0.9-1.1 and the brow noise
  floor under its bounds, which fails CI when a change to the pipeline breaks them.

Bounds on measured values are about 1.3 x the value measured when they were set, and never
looser than the requirement; each test's docstring gives both.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tracker import validation, warps
from tracker.cli import main
from tracker.landmarks import indices as ix
from tracker.metrics import registry
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics

IPD_PX = 300.0
SCALE = 63.0 / IPD_PX  # mm per px: an interpupillary distance of 63 mm
BROWS = registry.names(family="brow_height")
MOUTH = registry.names(warp="mouth")
JAW_ANGLES = registry.names(family="jaw_angle")
SIDES = ("left", "right")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_px() -> np.ndarray:
    """The frontal reference face (``indices.reference_face()``) scaled so the iris centres are
    exactly 300 px apart, its origin at image point (640, 480, 0); left/right symmetric."""
    ref, _ = ix.reference_face()
    ipd = np.linalg.norm(ref[ix.IRIS_CENTRE_LEFT] - ref[ix.IRIS_CENTRE_RIGHT])
    return ref * (IPD_PX / ipd) + np.array([640.0, 480.0, 0.0])


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A 960 x 1280 RGB test card of seeded random noise (``default_rng(7)``): every pixel
    differs from its neighbours, so any pixel a warp moves shows."""
    return np.random.default_rng(7).integers(0, 256, size=(960, 1280, 3), dtype=np.uint8)


def moved_points(points: np.ndarray, field) -> np.ndarray:
    """The landmarks carried by a warp's displacement field: p + D(p)."""
    displacement, _ = field
    dx, dy = displacement(points[:, 0], points[:, 1])
    out = np.array(points)
    out[:, 0] += dx
    out[:, 1] += dy
    return out


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``facetrack validate --quick --out DIR`` run once in-process (click's CliRunner) into a
    temporary DIR: (CliRunner result, DIR, the CSV table as a list of dicts keyed by column)."""
    out = tmp_path_factory.mktemp("validation")
    result = CliRunner().invoke(main, ["validate", "--quick", "--out", str(out)])
    rows = []
    if (out / "validation.csv").exists():
        with open(out / "validation.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    return result, out, rows


def value(rows: list[dict], metric: str, column: str) -> float:
    """One cell of the validation table as a float (an empty cell is NaN)."""
    cell = next(row for row in rows if row["metric"] == metric)[column]
    return float(cell) if cell else math.nan


# --- the warps on synthetic geometry ----------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("shift_px", [5.0, 10.0])
def test_jaw_contour_in_translates_both_jaw_lines(reference_px, side, shift_px):
    """Every ramus and lower-border point of one side moves towards the midline by exactly the
    shift, along the interpupillary line, and nothing else the metrics use moves: the lower
    face width (the outline's width at the jaw corner's height) shrinks by the shift (within
    1e-4 px; the face frame's rotation fit sees one rigid cheek point move), the jaw angles
    stay within 0.005 deg (measured 0.002) and the brows within 0.001 mm."""
    ramus, border = (
        (ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT)
        if side == "left"
        else (ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT)
    )
    jaw = list(ramus) + list(border)
    moved = moved_points(
        reference_px, warps.jaw_contour_field(reference_px, side=side, shift_px=shift_px)
    )
    inward = 1.0 if side == "right" else -1.0  # the subject's right is the image's left
    np.testing.assert_allclose(moved[jaw, 0] - reference_px[jaw, 0], inward * shift_px, atol=1e-9)
    np.testing.assert_allclose(moved[jaw, 1], reference_px[jaw, 1], atol=1e-9)
    before, after = compute_metrics(reference_px, SCALE), compute_metrics(moved, SCALE)
    width_change_px = (after["lower_face_width_mm"] - before["lower_face_width_mm"]) / SCALE
    assert width_change_px == pytest.approx(-shift_px, abs=1e-4)
    for name in ("jaw_angle_left_deg", "jaw_angle_right_deg"):
        assert after[name] == pytest.approx(before[name], abs=5e-3)
    for name in BROWS:
        assert after[name] == pytest.approx(before[name], abs=1e-3)


@pytest.mark.parametrize("side", SIDES)
def test_mouth_corner_lift_moves_one_corner_up_exactly(reference_px, side):
    """The lifted corner moves up the image by exactly the shift, so its elevation rises by
    it (within 1e-9 px); the other corner does not move at all."""
    corner, other = (
        (ix.MOUTH_CORNER_LEFT, ix.MOUTH_CORNER_RIGHT)
        if side == "left"
        else (ix.MOUTH_CORNER_RIGHT, ix.MOUTH_CORNER_LEFT)
    )
    moved = moved_points(
        reference_px, warps.mouth_corner_field(reference_px, side=side, shift_px=6.0)
    )
    np.testing.assert_allclose(moved[corner, :2] - reference_px[corner, :2], [0.0, -6.0], atol=1e-9)
    np.testing.assert_array_equal(moved[other], reference_px[other])
    before, after = compute_metrics(reference_px, SCALE), compute_metrics(moved, SCALE)
    change_px = (
        after[f"mouth_corner_elevation_{side}_mm"] - before[f"mouth_corner_elevation_{side}_mm"]
    ) / SCALE
    assert change_px == pytest.approx(6.0, abs=1e-9)


@pytest.mark.parametrize("warp", [warps.jaw_contour_in, warps.mouth_corner_lift])
def test_warps_leave_every_pixel_outside_their_region(reference_px, image, warp):
    """A warp computes only its region: every pixel outside it is returned unchanged, and some
    pixels inside it change."""
    field = (warps.jaw_contour_field if warp is warps.jaw_contour_in else warps.mouth_corner_field)(
        reference_px, side="left", shift_px=6.0
    )
    x0, y0, x1, y1 = (int(v) for v in field[1])
    out = warp(image, reference_px, side="left", shift_px=6.0)
    outside = np.ones(image.shape[:2], bool)
    outside[max(0, y0) : y1, max(0, x0) : x1] = False
    np.testing.assert_array_equal(out[outside], image[outside])
    assert (out[~outside] != image[~outside]).any()


@pytest.mark.parametrize(
    "field, message",
    [
        (warps.jaw_contour_field, "a 60.0 px jaw move does not fit: it would move landmarks"),
        (
            warps.mouth_corner_field,
            "a 60.0 px mouth-corner lift does not fit: it would move landmarks",
        ),
    ],
)
def test_warps_refuse_a_move_that_does_not_fit(reference_px, field, message):
    """A move too large for the room around the region (60 px, a fifth of the interpupillary
    distance) raises ValueError naming the landmarks it would disturb."""
    with pytest.raises(ValueError, match=message):
        field(reference_px, side="left", shift_px=60.0)


def test_warps_refuse_an_unknown_side(reference_px):
    """The side must be the subject's "left" or "right"."""
    with pytest.raises(ValueError, match="side must be 'left' or 'right', not 'up'"):
        warps.jaw_contour_field(reference_px, side="up", shift_px=2.0)


# --- helpers ------------------------------------------------------------------------------------


def test_pooled_sd_weights_groups_by_degrees_of_freedom():
    """Pooled SD = sqrt(sum (n_i - 1) var_i / sum (n_i - 1)); groups of one value add nothing."""
    groups = [[1.0, 3.0], [0.0, 2.0, 4.0], [7.0]]
    expected = math.sqrt((1 * 2.0 + 2 * 4.0) / 3)
    assert validation.pooled_sd(groups) == pytest.approx(expected, rel=1e-12)
    assert math.isnan(validation.pooled_sd([[5.0]]))


def test_ols_within_groups_ignores_group_offsets():
    """A common slope of 0.5 is found exactly whatever each group's offset, with a standard
    error of 0 for exact data; with one group it is the ordinary regression."""
    x = [0.0, 1.0, 2.0, 0.0, 2.0, 4.0]
    y = [10.0, 10.5, 11.0, -3.0, -2.0, -1.0]
    slope, se = validation.ols(x, y, ["a", "a", "a", "b", "b", "b"])
    assert slope == pytest.approx(0.5, abs=1e-12)
    assert se == pytest.approx(0.0, abs=1e-12)
    assert validation.ols([0, 1, 2, 3], [1, 3, 5, 7])[0] == pytest.approx(2.0, abs=1e-12)


def test_slope_through_origin_is_least_squares_without_intercept():
    """sum(x y) / sum(x x): (1*0.9 + 3*2.9) / (1 + 9) = 0.96."""
    assert validation.slope_through_origin([1.0, 3.0], [0.9, 2.9]) == pytest.approx(0.96)


def test_translate_moves_content_by_whole_pixels():
    """Content moves right by dx and down by dy (negative: left and up) and keeps its size."""
    pixels = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    moved = validation.translate(pixels, 2, -1)
    assert moved.shape == pixels.shape
    np.testing.assert_array_equal(moved[0:4, 2:7], pixels[1:5, 0:5])


def test_person_scale_is_a_fixed_face_scale():
    """Every mm metric is multiplied by person_mm / face_scale_mm; the face scale becomes
    person_mm; angles and percentages are unchanged."""
    metrics = {
        "brow_height_left_mm": 20.0,
        "face_scale_mm": 60.0,
        "interpupillary_mm": 62.0,
        "jaw_angle_left_deg": 130.0,
        "asymmetry_pct": 1.5,
    }
    scaled = validation.person_scaled(metrics, 63.0)
    assert scaled == pytest.approx(
        {
            "brow_height_left_mm": 21.0,
            "face_scale_mm": 63.0,
            "interpupillary_mm": 65.1,
            "jaw_angle_left_deg": 130.0,
            "asymmetry_pct": 1.5,
        }
    )


def test_same_picture_recognises_copies_and_mirror_images(reference_px):
    """A face mesh moved, rotated in the image plane and scaled, or taken from the mirror image
    (coordinates mirrored, left/right landmarks swapped as Face Mesh labels them), is the same
    picture; a different face (N(0, 6 px) noise on every point, seeded) or the same face
    turned by 3 deg of yaw is not."""
    rng = np.random.default_rng(1)
    face = reference_px + rng.normal(0.0, 6.0, reference_px.shape)
    c, s = np.cos(0.3), np.sin(0.3)
    moved = face.copy()
    moved[:, :2] = 0.7 * face[:, :2] @ np.array([[c, -s], [s, c]]) + [30.0, -50.0]
    mirror = face.copy()
    mirror[:, 0] = 2000.0 - mirror[:, 0]
    mirror = mirror[ix.mirror_permutation()]
    centre = face.mean(axis=0)
    turned = (face - centre) @ validation.head_rotation(3.0, 0.0).T + centre
    assert validation.same_picture(face, moved)
    assert validation.same_picture(face, mirror)
    assert not validation.same_picture(face, reference_px)
    assert not validation.same_picture(face, turned)


def test_tolerance_is_where_pose_drift_reaches_the_mdc95():
    """A slope of 0.1 mm/deg reaches an MDC95 of 0.5 mm at 5 deg; no slope: no limit."""
    assert validation.tolerance_deg(-0.1, 0.5) == pytest.approx(5.0)
    assert validation.tolerance_deg(0.0, 0.5) == math.inf


# --- the reduced validation (CI) ----------------------------------------------------------------


def test_cli_writes_every_file(quick_run):
    """``facetrack validate --quick --out DIR`` exits 0, writes the report, both CSV files and
    both plots into DIR, and prints the Markdown table and the files it wrote."""
    result, out, _ = quick_run
    assert result.exit_code == 0, result.output
    for name in validation.OUTPUT_FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    header = "| " + " | ".join(validation.TABLE_COLUMNS) + " |"
    assert header in result.stdout
    assert f"Written: {out / 'validation.md'}" in result.stdout


EXPECTED_COLUMNS = [
    "metric",
    "sensitivity",
    "false_change_other_side",
    "noise_sd",
    "sem",
    "mdc95",
    "pose_slope_per_deg",
    "yaw_slope_per_deg",
    "yaw_max_change",
    "distance_effect_mm",
    "selfie_noise_sd",
    "selfie_mdc95",
    "split_face_noise_sd",
    "sensitivity_3d",
    "other_side_max_mm",
]


def test_table_has_the_exact_columns_and_one_row_per_metric(quick_run):
    """validation.csv has exactly the columns metric, sensitivity, false_change_other_side,
    noise_sd, sem, mdc95, pose_slope_per_deg and the 3-D head's yaw_slope_per_deg,
    yaw_max_change, distance_effect_mm, selfie_noise_sd, selfie_mdc95, split_face_noise_sd,
    sensitivity_3d, other_side_max_mm, and one row per metric in METRIC_NAMES order;
    validation.md holds the same table under the same header."""
    _, out, rows = quick_run
    with open(out / "validation.csv", newline="") as fh:
        assert next(csv.reader(fh)) == EXPECTED_COLUMNS
    assert [row["metric"] for row in rows] == list(METRIC_NAMES)
    markdown = (out / "validation.md").read_text()
    assert "| " + " | ".join(EXPECTED_COLUMNS) + " |" in markdown


@pytest.mark.parametrize("metric", BROWS)
def test_brow_lift_read_at_its_true_size(quick_run, metric):
    """Brow height follows a known lift (1 and 3 mm image warps, scale held; the truth is the
    warp times its depth gain): the sensitivity (slope through the origin, pooled over the
    photos) is within 0.9-1.1, the requirement (measured 0.93 left, 0.93 right)."""
    sensitivity = value(quick_run[2], metric, "sensitivity")
    assert 0.9 <= sensitivity <= 1.1


@pytest.mark.parametrize("metric", BROWS)
def test_brow_lift_leaves_the_other_brow(quick_run, metric):
    """Lifting one brow moves the other one's height by less than 0.35 mm on average (mean
    |change|; measured 0.14 left, 0.17 right)."""
    assert value(quick_run[2], metric, "false_change_other_side") < 0.35


@pytest.mark.parametrize("metric", BROWS)
def test_brow_noise_floor(quick_run, metric):
    """Brow height barely moves under nuisance changes of a photo (JPEG quality 75, a 13 x 7 px
    shift, rescaling by 0.8; fixed person scale). Requirement: SD under 0.2 mm and MDC95 under
    0.6 mm; measured SD 0.04 / 0.05 mm and MDC95 0.11 / 0.16 mm (left / right), so the bounds
    are 0.07 mm and 0.21 mm."""
    rows = quick_run[2]
    assert value(rows, metric, "noise_sd") < 0.07
    assert value(rows, metric, "mdc95") < 0.21


# Truth 1.0 for each: the largest allowed |sensitivity - 1|, about 1.3 x the miss measured
# when set (brow asymmetry: the brows' 0.1 requirement).
SENSITIVITY_MISS = {
    "brow_asymmetry_mm": 0.10,  # measured 1.00
    MOUTH[0]: 0.36,  # measured 0.76
    MOUTH[1]: 0.36,  # measured 0.72
    "mouth_corner_asymmetry_mm": 0.46,  # measured 0.65
    # Face Mesh's own jaw corners follow part of a contour move: measured 0.53-0.55
    "lower_face_width_mm": 0.52,
    # the jaw's outline found in the image (issue 11): the contour distances 0.68-1.08
    "jaw_contour_55_left_mm": 0.45,
    "jaw_contour_55_right_mm": 0.45,
    "jaw_contour_75_left_mm": 0.45,
    "jaw_contour_75_right_mm": 0.45,
}


@pytest.mark.parametrize("metric", SENSITIVITY_MISS)
def test_warped_metric_read_near_its_true_size(quick_run, metric):
    """Every other metric a warp changes by a known amount (the mouth corners lifted 1 mm,
    the lower face narrowed 2 mm, and the asymmetries built on them; true sensitivity 1.0)
    reads the change within its bound of the truth (``SENSITIVITY_MISS``)."""
    sensitivity = value(quick_run[2], metric, "sensitivity")
    assert abs(sensitivity - 1.0) <= SENSITIVITY_MISS[metric], sensitivity


@pytest.mark.parametrize("metric", MOUTH)
def test_mouth_lift_leaves_the_other_corner(quick_run, metric):
    """Lifting one mouth corner moves the other one's elevation by less than 0.2 mm on
    average (truth 0; measured 0.13 left, 0.07 right)."""
    assert value(quick_run[2], metric, "false_change_other_side") < 0.2


@pytest.mark.parametrize("metric", JAW_ANGLES)
def test_jaw_shift_false_change_of_the_jaw_angle(quick_run, metric):
    """Moving a jaw contour rigidly towards the midline does not change the jaw's angle
    (truth 0): its own jaw angle moves by less than 2.5 deg on average and the other side's
    by less than 2.3 deg (measured 1.61 / 1.92 deg own side and 1.17 / 1.78 deg other side,
    left / right, on the jaw's outline found in the image: its angle is read between short
    lines, and the edge wanders by a few tenths of a millimetre between Face Mesh's runs on the
    warped and the original photo; Face Mesh's own angle moved 0.98 / 1.30 and 0.29 / 0.33;
    the bounds are about 1.3 x the worse)."""
    rows = quick_run[2]
    assert value(rows, metric, "false_change_other_side") < 2.3
    _, out, _ = quick_run
    with open(out / "validation_details.csv", newline="") as fh:
        own = next(
            float(r["value"])
            for r in csv.DictReader(fh)
            if r["section"] == "sensitivity"
            and r["metric"] == metric
            and r["quantity"] == "own_side_false_change"
        )
    assert own < 2.5


def test_every_metric_has_a_noise_floor(quick_run):
    """Every metric but the face scale (the fixed person scale itself) gets a finite noise
    floor."""
    rows = quick_run[2]
    for metric in METRIC_NAMES:
        if metric != "face_scale_mm":
            assert math.isfinite(value(rows, metric, "mdc95")), metric


def test_report_states_which_pose_the_slope_is_for(quick_run):
    """The report says which pose ``pose_slope_per_deg`` is measured against, and compares the
    tolerances derived from the table with the quality check's limits."""
    markdown = (Path(quick_run[1]) / "validation.md").read_text()
    assert "*pose_slope_per_deg*: the metric's change per degree of measured **pitch**" in markdown
    assert "| metric group | roll (deg) | pitch (deg) | yaw (deg) |" in markdown
    assert "| **quality check limit (settings)** | 20 | 8 | 10 |" in markdown


def test_report_markdown_is_well_formed(quick_run):
    """validation.md up to the capture-geometry study (rendered from
    templates/validation.md.j2): the title first, blocks separated by exactly one blank line,
    a single final newline, the four numbered sections
    in order, and every table's rows with as many cells as its header (11 tables: the
    summary, 4 for sensitivity, 3 for noise, pose slopes and tolerances, speed)."""
    text = (Path(quick_run[1]) / "validation.md").read_text()
    # the capture-geometry study's section follows (tracker.validation.capture writes it)
    markdown, capture = text.split("\n## Capture geometry on the project's 3-D head\n")
    assert markdown.startswith("# facetrack validate (--quick)\n\n`facetrack validate --quick`: ")
    assert markdown.endswith("\n\n") and not markdown.endswith("\n\n\n")
    markdown = markdown[:-1]
    assert "\n\n\n" not in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[:5] == [
        "## Summary",
        "## 1. Sensitivity",
        "## 2. Noise floor",
        "## 3. Pose",
        "## 4. Speed",
    ]
    tables = [b for b in markdown.split("\n\n") if b.startswith("| ")]
    assert len(tables) == 11
    for block in tables:
        lines = block.strip("\n").splitlines()
        assert lines[1].startswith("|:---|") and len(lines) >= 3, lines[:2]
        width = lines[0].count(" | ")
        assert lines[1].count("|") == width + 2
        assert all(line.count(" | ") == width for line in lines[2:]), lines[0]


# --- the capture-geometry study on the project's 3-D head (quick plan) ---------------------------


@pytest.mark.parametrize("metric", BROWS)
def test_brow_selfie_noise_on_the_3d_head(quick_run, metric):
    """Over randomised selfies of the unchanged 3-D head (yaw +/-4, pitch +/-3, roll +/-6 deg,
    33-50 cm, framing, light, JPEG), brow height varies by an SD of at most 0.18 mm with the
    person scale (quick plan, 16 selfies: measured 0.12 left, 0.07 right; the full plan, 40
    selfies: 0.14 / 0.09), so its MDC95 is at most 0.5 mm (measured 0.34 / 0.19)."""
    rows = quick_run[2]
    assert value(rows, metric, "selfie_noise_sd") <= 0.18
    assert value(rows, metric, "selfie_mdc95") <= 0.5


@pytest.mark.parametrize("metric", BROWS)
def test_a_3d_brow_lift_reads_its_size_and_leaves_the_other_brow(quick_run, metric):
    """A true 3-D lift of one brow (1 and 2 mm) reads 0.93-1.08 of its size (measured 1.05 /
    1.04: the face frame undoes the brow's perspective gain, so the truth is the lift itself)
    and moves the other brow by at most 0.12 mm (measured 0.02 / 0.05)."""
    rows = quick_run[2]
    assert 0.93 <= value(rows, metric, "sensitivity_3d") <= 1.08
    assert value(rows, metric, "other_side_max_mm") <= 0.12


@pytest.mark.parametrize("metric", BROWS)
def test_head_turn_and_camera_distance_barely_move_brow_height(quick_run, metric):
    """Head turns of up to 8 deg move brow height by at most 0.45 mm (measured with the
    rounded jaw of JAW_ROUNDING_MM: 0.25 / 0.36 quick, 0.25 / 0.39 in the full run; 0.24 / 0.22
    on the earlier rim) and moving the camera from 60 to 30 cm by at most 0.45 mm (measured
    +0.34 / +0.29; the orthographic frame of before moved it by 1.0 mm on the same head)."""
    rows = quick_run[2]
    assert value(rows, metric, "yaw_max_change") <= 0.45
    assert abs(value(rows, metric, "distance_effect_mm")) <= 0.45


def test_split_face_noise_on_the_3d_head(quick_run):
    """The left-minus-right brow difference varies over the selfies by at most 0.2 mm
    (measured 0.13)."""
    assert value(quick_run[2], "brow_height_left_mm", "split_face_noise_sd") <= 0.2


@pytest.mark.parametrize("metric", BROWS)
def test_shipped_selfie_floor_agrees_with_the_study(quick_run, metric):
    """The trend's selfie floor for brow height (tracker/validation/noise_floors.csv, 40
    selfies) is what this run's own study finds (16 other selfies): it lies within the range
    two samples of that size can disagree by (a factor 0.55-1.8, from chi-square bounds on
    both SDs at 95 %)."""
    import pandas as pd

    from tracker.analysis.noise import read_noise_floors

    floors = read_noise_floors()
    row = floors[
        (floors["metric"] == metric)
        & (floors["design"] == "whole-face")
        & (floors["source"] == "selfie-3d")
    ]
    assert len(row) == 1
    shipped = float(row["sd"].iloc[0])
    measured = value(quick_run[2], metric, "selfie_noise_sd")
    assert 0.55 <= shipped / measured <= 1.8, (shipped, measured)
    assert isinstance(floors, pd.DataFrame)
