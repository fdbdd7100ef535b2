"""The front-view jaw outline (tracker.metrics.jaw, geometry.jaw_contour_metrics): exact
geometry on synthetic outlines, the image edge on synthetic images, refusals of a hidden jaw
on the 3-D head, and the known changes and head turns of the 3-D head (issue 11).

The 3-D head renders are of the project's sample head through the default camera (26 mm
equivalent, 1512 x 2016 px, 40 cm); each takes about 0.3 s to render and measure.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tracker.landmarks import indices as ix
from tracker.library.core import _jaw_found
from tracker.metrics import geometry, registry
from tracker.metrics.jaw import (
    JAW_OUTLINE,
    PROFILES_PER_SIDE,
    _in_runs,
    _placed,
    placed_from_scores,
    refine_jaw,
)
from tracker.pipeline import measure_pixels
from tracker.types import Camera, ReasonCode
from tracker.validation.head3d import Capture, render, sample_head
from tracker.validation.jaw import jaw_study, selfie_noise, summarise, with_beard, with_collar

# --- exact geometry on synthetic outlines -----------------------------------------------------


# the metrics read on the jaw's outline found in the image (NaN on a side not found)
OUTLINE_FAMILIES = ("jaw_contour_55", "jaw_contour_75", "jaw_contour_angle", "jowl")


def _synthetic_face(bulge_mm: float = 0.0) -> np.ndarray:
    """(1, 478, 3) face-frame points (1 px = 1 mm): the reference face scaled to a 63 mm
    interpupillary distance, with each side's jaw outline replaced by a ramus from
    (+/-60, -30) to the jaw corner (+/-56, -75) and a straight border on to the chin (0, -110);
    ``bulge_mm`` pushes the border's middle vertex out of that line (outwards, across it)."""
    reference, _ = ix.reference_face()
    eyes = 0.5 * (reference[ix.IRIS_CENTRE_RIGHT] + reference[ix.IRIS_CENTRE_LEFT])
    ipd = np.linalg.norm(reference[ix.IRIS_CENTRE_LEFT] - reference[ix.IRIS_CENTRE_RIGHT])
    face = (reference - eyes) * np.array([1.0, -1.0, -1.0]) * 63.0 / ipd
    face[:, 0] -= face[list(ix.RIGID), 0].mean()  # the midline at x = 0
    face[ix.CHIN, :2] = (0.0, -110.0)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        ramus = ix.RAMUS_RIGHT if side == "right" else ix.RAMUS_LEFT
        border = ix.JAW_BORDER_RIGHT if side == "right" else ix.JAW_BORDER_LEFT
        top, corner, chin = np.array([60.0, -30.0]), np.array([56.0, -75.0]), np.array([0, -110])
        for i, k in enumerate(ramus):
            t = i / (len(ramus) - 1)
            face[k, :2] = top + t * (corner - top)
            face[k, 0] *= sign
        n = len(border)
        direction = (chin - corner) / np.linalg.norm(chin - corner)
        normal = np.array([-direction[1], direction[0]])  # outwards (away from the mouth)
        if normal @ np.array([1.0, -1.0]) < 0:
            normal = -normal
        for i, k in enumerate(border):
            t = (i + 1) / (n + 1)
            point = corner + t * (chin - corner)
            if i == n // 2:
                point = point + bulge_mm * normal
            face[k, :2] = point
            face[k, 0] *= sign
    return face[None]


def test_contour_distances_are_read_on_the_outline():
    """The outline 55 mm below the eyes lies on the ramus line, 57.78 mm from the midline, and
    75 mm below them at the jaw corner, 56 mm from it (exact to 1e-9); the lower face width is
    twice the latter."""
    m = geometry.jaw_contour_metrics(_synthetic_face(), 1.0)
    for side in ("left", "right"):
        assert m[f"jaw_contour_55_{side}_mm"][0] == pytest.approx(60 - 4 * 25 / 45, abs=1e-9)
        assert m[f"jaw_contour_75_{side}_mm"][0] == pytest.approx(56.0, abs=1e-9)


def test_jaw_contour_angle_is_the_angle_between_the_two_lines():
    """A straight ramus and a straight border meet at the angle between their directions
    (towards the ear, towards the chin): exact to 1e-6 deg."""
    ramus_up = np.array([60.0 - 56.0, -30.0 + 75.0])
    to_chin = np.array([0.0 - 56.0, -110.0 + 75.0])
    cos = ramus_up @ to_chin / np.linalg.norm(ramus_up) / np.linalg.norm(to_chin)
    expected = np.degrees(np.arccos(cos))
    m = geometry.jaw_contour_metrics(_synthetic_face(), 1.0)
    assert m["jaw_contour_angle_left_deg"][0] == pytest.approx(expected, abs=1e-6)
    assert m["jaw_contour_angle_right_deg"][0] == pytest.approx(expected, abs=1e-6)


def test_one_side_moved_across_moves_its_contour_by_the_move_only():
    """The left outline moved 1.5 mm towards the midline: its contour distances read -1.5 mm
    (1e-9), the right side's 0, both jaw contour angles unchanged (1e-9 deg)."""
    face = _synthetic_face()
    before = geometry.jaw_contour_metrics(face, 1.0)
    moved = face.copy()
    left = list(ix.RAMUS_LEFT + ix.JAW_BORDER_LEFT)
    moved[0, left, 0] -= 1.5
    after = geometry.jaw_contour_metrics(moved, 1.0)
    for h in geometry.JAW_CONTOUR_HEIGHTS_MM:
        assert after[f"jaw_contour_{h}_left_mm"][0] - before[f"jaw_contour_{h}_left_mm"][0] == (
            pytest.approx(-1.5, abs=1e-9)
        )
        assert after[f"jaw_contour_{h}_right_mm"][0] == pytest.approx(
            before[f"jaw_contour_{h}_right_mm"][0], abs=1e-9
        )
    for side in ("left", "right"):
        assert after[f"jaw_contour_angle_{side}_deg"][0] == pytest.approx(
            before[f"jaw_contour_angle_{side}_deg"][0], abs=1e-9
        )


def test_jowl_is_the_bulge_outside_the_corner_chin_line():
    """A straight border reads 0 mm of jowl; its middle vertex pushed 2.5 mm out of the line
    reads 2.5 mm (1e-9), on both sides."""
    flat = geometry.jaw_contour_metrics(_synthetic_face(), 1.0)
    bulging = geometry.jaw_contour_metrics(_synthetic_face(bulge_mm=2.5), 1.0)
    for side in ("left", "right"):
        assert flat[f"jowl_{side}_mm"][0] == pytest.approx(0.0, abs=1e-9)
        assert bulging[f"jowl_{side}_mm"][0] == pytest.approx(2.5, abs=1e-9)


def test_a_side_not_found_has_no_jaw_metrics():
    """jaw_found False on the left: its jaw outline metrics are NaN, the right's kept."""
    m = geometry.jaw_contour_metrics(_synthetic_face(), 1.0, jaw_found=np.array([[True, False]]))
    for family in OUTLINE_FAMILIES:
        assert np.isnan(m[registry.sided(family, "left")][0])
        assert np.isfinite(m[registry.sided(family, "right")][0])


def test_remeasure_reads_the_refusal_from_the_stored_scores():
    """The stored quality scores say which side was found (0 profiles: not found) and which
    of its outline points the image placed (from .. to); rows from before the jaw refinement,
    or before its points were marked, count as placed; a mirrored photo swaps the sides."""
    rows = [
        json.dumps({"jaw_edge_profiles_left": 0.0, "jaw_edge_profiles_right": 21.0}),
        json.dumps({"iris_px": 40.0}),
        json.dumps({"jaw_edge_profiles_left": 0.0, "jaw_edge_profiles_right": 21.0}),
        json.dumps(
            {
                "jaw_edge_profiles_left": 17.0,
                "jaw_edge_from_left": 2.0,
                "jaw_edge_to_left": 9.0,
                "jaw_edge_profiles_right": 20.0,
                "jaw_edge_from_right": 0.0,
                "jaw_edge_to_right": 6.0,
            }
        ),
    ]
    found = _jaw_found(rows, np.array([False, False, True, False]))
    assert found.shape == (4, 2, 10)
    assert found[:3].all(axis=2).tolist() == [[True, False], [True, True], [False, True]]
    assert (~found[:3]).all(axis=2).tolist() == [[False, True], [False, False], [True, False]]
    assert found[3, 1].tolist() == [False, False] + [True] * 8
    assert found[3, 0].tolist() == [True] * 7 + [False] * 3


# the synthetic face's outline points per side: 0-3 the ramus (y -30, -45, -60, -75), 4-8 the
# border (-80.8 .. -104.2), 9 the chin (-110): the contour at 55 mm lies on 1-2, at 75 mm on
# point 3 itself, the ramus line's heights (40-68) on 0-3, the border's (84-102) on 4-8 and
# the chin; the jowl needs 3-9
@pytest.mark.parametrize(
    ("unplaced", "nan"),
    [
        ((0,), {"jaw_contour_angle"}),
        ((9,), {"jaw_contour_angle", "jowl"}),
        ((2,), {"jaw_contour_55", "jaw_contour_angle"}),
        ((3,), {"jaw_contour_75", "jaw_contour_angle", "jowl"}),
        ((6,), {"jaw_contour_angle", "jowl"}),
        ((), set()),
    ],
    ids=["ramus-top", "chin", "mid-ramus", "corner", "border", "none"],
)
def test_a_metric_read_across_an_unplaced_point_is_nan(unplaced, nan):
    """Left outline points the image did not place: every left metric read across one of them
    is NaN, every other left metric and every right one equals the fully placed reading
    exactly."""
    face = _synthetic_face()
    full = geometry.jaw_contour_metrics(face, 1.0)
    placed = np.ones((1, 2, 10), bool)
    placed[0, 1, list(unplaced)] = False
    m = geometry.jaw_contour_metrics(face, 1.0, jaw_found=placed)
    for family in OUTLINE_FAMILIES:
        left, right = registry.sided(family, "left"), registry.sided(family, "right")
        assert m[right][0] == full[right][0]
        if family in nan:
            assert np.isnan(m[left][0]), family
        else:
            assert m[left][0] == full[left][0], family


# --- the image edge on synthetic images --------------------------------------------------------


def _drawn_face(offset_px: float = 0.0):
    """A 600 x 700 px image: a skin-coloured face (the reference face's oval, 300 px between
    the irises' reference scale) on a grey background with a darker neck, and the 478 points
    it was drawn from with the jaw outline moved 6 px inwards (a Face Mesh that misses the
    outline). ``offset_px`` shifts the drawn image (not the points) to the right, sub-pixel."""
    reference, _ = ix.reference_face()
    eyes = 0.5 * (reference[ix.IRIS_CENTRE_RIGHT] + reference[ix.IRIS_CENTRE_LEFT])
    pts = (reference - eyes) * 120.0 + np.array([300.0, 260.0, 0.0])
    image = np.full((700, 600, 3), (128, 120, 115), np.uint8)
    centre_x = pts[ix.CHIN, 0]
    neck = np.array(
        [[centre_x - 90, 380], [centre_x + 90, 380], [centre_x + 90, 700], [centre_x - 90, 700]]
    )
    big = 16
    cv2.fillPoly(image, [np.round(neck * big).astype(np.int32)], (110, 80, 65), cv2.LINE_AA, 4)
    oval = pts[list(ix.SILHOUETTE), :2]
    cv2.fillPoly(image, [np.round(oval * big).astype(np.int32)], (200, 160, 135), cv2.LINE_AA, 4)
    if offset_px:
        shift = np.float32([[1, 0, offset_px], [0, 1, 0]])
        image = cv2.warpAffine(
            image, shift, (600, 700), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
    points = pts.copy()
    centre = pts[list(ix.RIGID), :2].mean(axis=0)
    for side in ("right", "left"):
        for k in JAW_OUTLINE[side]:
            towards = centre - points[k, :2]
            points[k, :2] += 6.0 * towards / np.linalg.norm(towards)
    return image, points


def _distance_to_oval(point, oval) -> float:
    best = np.inf
    for a, b in zip(oval, np.roll(oval, -1, axis=0)):
        u = np.clip((point - a) @ (b - a) / ((b - a) @ (b - a)), 0.0, 1.0)
        best = min(best, float(np.linalg.norm(point - (a + u * (b - a)))))
    return best


def test_refined_outline_lies_on_the_drawn_edge():
    """Face Mesh's outline 6 px inside the drawn face: the refined outline points (ramus and
    border, both sides) lie within 1 px of the drawn oval (each profile averages the image
    +/- 5 px along the outline, which rounds the drawn polygon's corners by a fraction of a
    pixel)."""
    image, points = _drawn_face()
    refined = refine_jaw(image, points, iris_px=40.0)
    assert refined.found == {"right": True, "left": True}
    reference, _ = ix.reference_face()
    eyes = 0.5 * (reference[ix.IRIS_CENTRE_RIGHT] + reference[ix.IRIS_CENTRE_LEFT])
    oval = ((reference - eyes) * 120.0 + np.array([300.0, 260.0, 0.0]))[list(ix.SILHOUETTE), :2]
    for side in ("right", "left"):
        for k in JAW_OUTLINE[side][1:]:  # 93/323 lie where the oval meets the temple
            assert _distance_to_oval(refined.points_px[k, :2], oval) < 1.0


def test_an_image_moved_sideways_moves_the_outline_by_as_much():
    """The drawn face shifted right by 2.3 px (cubic resampling), the points not: each refined
    ramus point moves along its normal n by the edge's move across it, 2.3 n_x, so that
    |move|^2 / move_x = 2.3 px (0.1 px)."""
    image, points = _drawn_face()
    moved, _ = _drawn_face(offset_px=2.3)
    a = refine_jaw(image, points, iris_px=40.0).points_px
    b = refine_jaw(moved, points, iris_px=40.0).points_px
    for k in (132, 58, 361, 288):
        move = b[k, :2] - a[k, :2]
        assert float(move @ move) / move[0] == pytest.approx(2.3, abs=0.1)


def test_lone_kept_profiles_are_not_a_stretch_of_outline():
    """Kept profiles form stretches (one missing profile joins two); a stretch of fewer than
    three is dropped, whatever its offsets."""
    keep = np.array([1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1], bool)
    expected = np.array([0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    assert np.array_equal(_in_runs(keep), expected)
    assert np.array_equal(_in_runs(np.ones(24, bool)), np.ones(24, bool))
    assert not _in_runs(np.zeros(24, bool)).any()


def _profile_places(points, side):
    """Arc lengths along the side's outline (to the chin) of its profiles, and of its points."""
    line = points[list(JAW_OUTLINE[side]) + [ix.CHIN], :2]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    return np.linspace(0.0, arc[-1], PROFILES_PER_SIDE + 2)[1:-1], arc, line


def _erase_outline(image, line, arc, s_from, s_to, reach_px):
    """Paint the face's colour over the outline between arc lengths ``s_from`` and ``s_to``,
    ``reach_px`` either side of it across the outline: no edge is left there."""
    s = np.linspace(s_from, s_to, 20)
    at = np.column_stack([np.interp(s, arc, line[:, 0]), np.interp(s, arc, line[:, 1])])
    tangent = np.gradient(at, axis=0)
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    band = np.vstack([at + reach_px * normal, (at - reach_px * normal)[::-1]])
    cv2.fillPoly(image, [np.round(band).astype(np.int32)], (200, 160, 135))


def test_a_lone_profile_beyond_a_broken_stretch_does_not_set_the_outline():
    """On the drawn face, the left outline's profiles 2-4 are erased (no edge: a broken
    stretch, as where a jaw runs into hair) and Face Mesh's top ramus point (323) is put
    1.5 px further inside than the rest, so that the one profile above the stretch reads the
    outline 1.5 px further out than the profiles below it: consistent enough to be kept
    alone. Whether that lone profile has its edge (image A) or not (image B, erased too) then
    decides nothing: every refined outline point agrees between A and B within 0.05 px (the
    lone profile would otherwise pull 323 by about 1.5 px)."""
    image, points = _drawn_face()
    centre = points[list(ix.RIGID), :2].mean(axis=0)
    towards = centre - points[323, :2]
    points[323, :2] += 1.5 * towards / np.linalg.norm(towards)
    s_prof, arc, line = _profile_places(points, "left")
    spacing = s_prof[1] - s_prof[0]
    iris_px = 30.0  # each profile averages +/- 3.6 px along the outline: 0.4 spacing
    reach = 0.55 * iris_px + 3
    image_a = image.copy()
    _erase_outline(image_a, line, arc, s_prof[0] + 0.5 * spacing, s_prof[3] + 0.5 * spacing, reach)
    image_b = image.copy()
    _erase_outline(image_b, line, arc, 0.0, s_prof[3] + 0.5 * spacing, reach)
    a = refine_jaw(image_a, points, iris_px=iris_px)
    b = refine_jaw(image_b, points, iris_px=iris_px)
    assert a.found["left"] and b.found["left"]
    idx = list(JAW_OUTLINE["left"])
    assert np.abs(a.points_px[idx, :2] - b.points_px[idx, :2]).max() < 0.05


def test_outline_points_are_placed_between_and_near_the_kept_profiles():
    """Profiles one unit apart at 1..24, outline points at 0, 3, .., 24 and the chin at 25:
    every point between the first and the last kept profile is placed, whatever the gaps
    between (interpolated, as the refinement moves them); beyond them, only within 3."""
    s_prof = np.arange(1.0, 25.0)
    arc = np.array([0.0, 3, 6, 9, 12, 15, 18, 21, 24, 25])
    keep = np.ones(24, bool)
    assert _placed(arc, s_prof, keep).all()
    gap = keep.copy()
    gap[5:12] = False  # profiles at 6-12 missing, kept at 5 and 13
    assert _placed(arc, s_prof, gap).all()
    top_missing = keep.copy()
    top_missing[:3] = False  # the first kept profile at 4: the point at 0 is 4 from it
    assert _placed(arc, s_prof, top_missing).tolist() == [False] + [True] * 9
    two_missing = keep.copy()
    two_missing[:2] = False  # the first kept at 3: the point at 0 is 3 from it
    assert _placed(arc, s_prof, two_missing).all()
    end_missing = keep.copy()
    end_missing[17:] = False  # the last kept at 17: the points at 21, 24 and 25 lie beyond 20
    assert _placed(arc, s_prof, end_missing).tolist() == [True] * 7 + [False] * 3
    assert not _placed(arc, s_prof, np.zeros(24, bool)).any()


def test_a_broken_stretch_at_the_ramus_top_leaves_its_points_unplaced():
    """The drawn face with the left outline erased from its top down past its fifth profile:
    the left side is still found, its outline points from the ramus's top into the erased
    stretch are not placed, the rest are (one stretch, down to the chin), the right side's all
    are; the quality scores give the same mask back."""
    image, points = _drawn_face()
    s_prof, arc, line = _profile_places(points, "left")
    spacing = s_prof[1] - s_prof[0]
    iris_px = 30.0
    _erase_outline(image, line, arc, 0.0, s_prof[4] + 0.5 * spacing, 0.55 * iris_px + 3)
    refined = refine_jaw(image, points, iris_px=iris_px)
    assert refined.found == {"right": True, "left": True}
    placed = refined.placed["left"]
    first = int(np.argmax(placed))
    below = s_prof[5]  # the first profile below the erased stretch
    assert first > 0 and placed[first:].all()
    assert (arc[:first] < below - 3.0 * spacing).all()
    assert refined.placed["right"].all()
    scores = refined.evidence()
    for side in ("left", "right"):
        assert placed_from_scores(scores, side).tolist() == refined.placed[side].tolist()


# --- the 3-D head: refusals ---------------------------------------------------------------------


def _measure(head):
    rendered = render(head, Capture())
    camera = Camera(rendered.focal_length_px, 26.0, "exif-35mm")
    return measure_pixels(rendered.pixels, camera=camera)


@pytest.fixture(scope="module")
def plain():
    return _measure(sample_head())


@pytest.mark.parametrize("maker", [with_beard, with_collar], ids=["beard", "collar"])
def test_a_hidden_jaw_is_one_note_and_nothing_else_lost(plain, maker):
    """A beard over the jaw, or a knitted collar over its border: the photo stays "ok" with
    one JAW_EDGE_MISSING note naming both sides; every jaw outline metric is NaN (Face Mesh's
    jaw angle and lower face width stay, as every other metric); the brow heights
    are within 0.9 mm of the plain head's (the beard's dark band moves nothing of the brow)
    and every other metric is a number."""
    result = _measure(maker(sample_head()))
    assert result.status == "ok"
    assert [r.code for r in result.reasons] == [ReasonCode.JAW_EDGE_MISSING]
    assert "left" in result.reasons[0] and "right" in result.reasons[0]
    assert ReasonCode.JAW_EDGE_MISSING.advice == "keep hair, a beard or a collar off your jawline"
    metrics = result.measurement.metrics
    jaw = {name for family in OUTLINE_FAMILIES for name in registry.names(family=family)}
    for name in jaw:
        assert np.isnan(metrics[name]), name
    for name, value in metrics.items():
        if name not in jaw:
            assert np.isfinite(value), name
    for side in ("left", "right"):
        assert metrics[f"brow_height_{side}_mm"] == pytest.approx(
            plain.measurement.metrics[f"brow_height_{side}_mm"], abs=0.9
        )
    assert result.quality.scores["jaw_edge_profiles_left"] == 0.0


def test_the_plain_head_is_found_on_both_sides(plain):
    """The untouched head: both outlines found (>= 20 of 24 profiles), no note, and the
    contour distances within 4 mm of the model's own outline (truth: 65.6 / 64.1 mm at 55 mm,
    its landmarks)."""
    assert plain.status == "ok" and not plain.reasons
    scores = plain.quality.scores
    assert scores["jaw_edge_profiles_left"] >= 20 and scores["jaw_edge_profiles_right"] >= 20
    truth = geometry.jaw_contour_metrics(sample_head().landmarks_mm[None], 1.0)
    for side in ("left", "right"):
        assert plain.measurement.metrics[f"jaw_contour_55_{side}_mm"] == pytest.approx(
            truth[f"jaw_contour_55_{side}_mm"][0], abs=4.0
        )


# --- the 3-D head: known changes and turns ---------------------------------------------------


@pytest.fixture(scope="module")
def study():
    """The jaw study (tracker.validation.jaw.jaw_study): 1 and 2 mm per side, yaw +/-4 and
    +/-8 deg, three framings each (about 30 renders)."""
    return jaw_study()


def test_known_jaw_changes_read_close_to_their_size(study):
    """A jaw outline moved 1-2 mm towards the midline: its contour distances read 0.55-1.1 of
    the change (measured 0.64-0.95; the issue's target 0.9-1.1 is not reached: in the image
    the outline moves 0.93-0.99 of the change, but Face Mesh's rigid points move with the jaw
    (its nose and cheek points by 0.1-0.6 mm), which turns the fitted pose by 0.2-0.45 deg;
    read with the head's true pose, 0.90-1.15: the test below). The lower face width, on Face Mesh's own
    jaw corners, follows only 0.25-0.7 of it (0.39-0.53, measured): why the outline is found
    in the image. Every change is read in all three framings (the image places the whole
    outline)."""
    figures = summarise(study)
    assert all(r["unread"] == 0 for r in study if r["kind"] == "jaw_in")
    assert 0.55 <= figures["ratio_min"] and figures["ratio_max"] <= 1.1
    assert 0.25 <= figures["width_ratio_min"] and figures["width_ratio_max"] <= 0.7


def test_the_untouched_side_and_the_angles_hardly_move(study):
    """The other side's contour moves <= 0.45 mm (measured 0.21) and the jaw angles <= 0.5 deg
    (measured 0.29; true change 0)."""
    figures = summarise(study)
    assert figures["other_side_max_mm"] <= 0.45
    assert figures["angle_own_max_deg"] <= 0.5
    assert figures["angle_other_max_deg"] <= 0.5


def test_head_turns_move_the_contour_by_about_a_millimetre(study):
    """Yaw +/-4 and +/-8 deg, as measured in one photo: every side found; contour distances
    move <= 0.9 mm at +/-4 (measured 0.70) and <= 1.8 mm at +/-8 (1.51), the jowl <= 1.3 mm
    (1.00) and <= 1.6 mm (1.29), the outline's angle <= 2.5 deg (2.05) and <= 9.5 deg (8.52:
    at +8 deg the edge along the left ramus jumps to a crease of the turned-away cheek; in
    one of the three framings the outline's top is not placed and the angle is not read,
    the two others read the crease). Every change at +/-4 deg is read in all three framings.
    The issue's targets (0.3 mm, 0.5 deg) are not reached in one photo; the trend reads these
    metrics at the person's usual capture (tests/test_levers.py, the README)."""
    figures = summarise(study)
    assert all(r["n"] == 3 for r in study)
    assert all(r["unread"] == 0 for r in study if "4 deg" in r["condition"])
    assert figures["yaw4_contour_max_mm"] <= 0.9
    assert figures["yaw8_contour_max_mm"] <= 1.8
    assert figures["yaw4_jowl_max_mm"] <= 1.3
    assert figures["yaw8_jowl_max_mm"] <= 1.6
    assert figures["yaw4_angle_max_deg"] <= 2.5
    assert figures["yaw8_angle_max_deg"] <= 9.5


def test_selfie_noise_of_the_jaw_metrics():
    """12 hand-held selfies of the unchanged head (random_selfie_capture, seed 11): no side
    refused, every outline metric read; SD of the contour distances <= 1.0 mm, of the jowl <= 0.7 mm, of the outline's
    angles <= 2.0 deg (measured with 24 selfies: 0.51-0.75, 0.34-0.63, 0.44-1.04)."""
    noise = selfie_noise(12)
    assert noise["n"] == 12 and noise["refused"] == 0 and noise["unread"] == 0
    for family, bound in (
        ("jaw_contour_55", 1.0),
        ("jaw_contour_75", 1.0),
        ("jowl", 0.7),
        ("jaw_contour_angle", 2.0),
    ):
        for name in registry.names(family=family):
            assert noise[name] <= bound, name


def test_a_hidden_jaw_stays_unmeasured_after_remeasure(tmp_path, monkeypatch):
    """A bearded render imported into a library: stored "ok" with its note, jaw metrics empty;
    ``remeasure`` (from the stored points, no pixels) keeps them empty, reading the refusal
    from the stored quality scores, and recomputes the brow heights to 1e-9 mm."""
    from datetime import datetime

    from tracker.importing import import_photos, remeasure
    from tracker.library import Library
    from tracker.metrics import geometry as geo
    from tracker.validation.head3d import save_jpeg

    rendered = render(with_beard(sample_head()), Capture())
    path = save_jpeg(tmp_path / "beard.jpg", rendered, captured_at=datetime(2026, 1, 5, 8))
    with Library(tmp_path / "lib") as library:
        import_photos(library, path, workers=1)
        stored = library.photos().iloc[0]
        assert stored["status"] == "ok"
        record = next(iter(library.photo_records()))
        assert [r.code for r in record["reasons"]] == [ReasonCode.JAW_EDGE_MISSING]
        monkeypatch.setattr(geo, "ALGORITHM_VERSION", "next")
        assert remeasure(library) == 1
        again = library.photos().iloc[0]
        for name in ("jaw_contour_55_left_mm", "jaw_contour_angle_right_deg", "jowl_left_mm"):
            assert np.isnan(stored[name]) and np.isnan(again[name]), name
        for name in ("brow_height_left_mm", "brow_height_right_mm"):
            assert again[name] == pytest.approx(stored[name], abs=1e-9)


def test_with_the_true_pose_a_change_reads_its_size_and_a_turn_still_moves_the_outline():
    """Every capture of the jaw study read in the frame of the head's true pose
    (``jaw_study(true_pose=True)``): a 1-2 mm change then reads 0.85-1.2 of its size (measured
    0.90-1.15; 0.64-0.95 with the fitted pose) and the untouched side moves <= 0.2 mm (0.10):
    the fitted pose is what takes part of a change away. A turn of +/-8 deg still moves a
    contour distance by more than 1 mm (2.86): a point on the outline is placed across by its
    depth x tan(yaw), and no single photo gives the depth of where the line of sight grazes
    the jaw to the few millimetres this would need. The issue's 0.3 mm at 8 deg is out of
    reach of one photo by construction; the trend reads these metrics at the usual capture."""
    rows = jaw_study(true_pose=True, yaws_deg=(-8.0, 8.0))
    figures = summarise(rows)
    assert all(r["n"] == 3 for r in rows)
    assert 0.85 <= figures["ratio_min"] and figures["ratio_max"] <= 1.2
    assert figures["other_side_max_mm"] <= 0.2
    assert figures["yaw8_contour_max_mm"] > 1.0
