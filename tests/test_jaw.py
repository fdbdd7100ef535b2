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
from tracker.metrics.jaw import JAW_OUTLINE, refine_jaw
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
    """The stored quality scores say which side was found (0 profiles: not found); rows from
    before the jaw refinement count as found; a mirrored photo swaps the sides."""
    rows = [
        json.dumps({"jaw_edge_profiles_left": 0.0, "jaw_edge_profiles_right": 21.0}),
        json.dumps({"iris_px": 40.0}),
        json.dumps({"jaw_edge_profiles_left": 0.0, "jaw_edge_profiles_right": 21.0}),
    ]
    found = _jaw_found(rows, np.array([False, False, True]))
    assert found.tolist() == [[True, False], [True, True], [False, True]]


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
    in the image."""
    figures = summarise(study)
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
    (1.00) and <= 1.6 mm (1.29), the outline's angle <= 2.5 deg (2.05) and <= 8.0 deg (7.20:
    at +8 deg the edge along the left ramus jumps to a crease of the turned-away cheek).
    The issue's targets (0.3 mm, 0.5 deg) are not reached in one photo; the trend reads these
    metrics at the person's usual capture (tests/test_levers.py, the README)."""
    figures = summarise(study)
    assert all(r["n"] == 3 for r in study)
    assert figures["yaw4_contour_max_mm"] <= 0.9
    assert figures["yaw8_contour_max_mm"] <= 1.8
    assert figures["yaw4_jowl_max_mm"] <= 1.3
    assert figures["yaw8_jowl_max_mm"] <= 1.6
    assert figures["yaw4_angle_max_deg"] <= 2.5
    assert figures["yaw8_angle_max_deg"] <= 8.0


def test_selfie_noise_of_the_jaw_metrics():
    """12 hand-held selfies of the unchanged head (random_selfie_capture, seed 11): no side
    refused; SD of the contour distances <= 1.0 mm, of the jowl <= 0.7 mm, of the outline's
    angles <= 2.0 deg (measured with 24 selfies: 0.51-0.75, 0.34-0.63, 0.44-1.04)."""
    noise = selfie_noise(12)
    assert noise["n"] == 12 and noise["refused"] == 0
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
