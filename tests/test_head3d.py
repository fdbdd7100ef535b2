"""The 3-D test head (tracker.validation.head3d): geometry by construction, renders that
facetrack accepts and reads as expected, exact 3-D changes, determinism, perspective.

Every render here is of the project's sample head (built once per process from the neutral
sample face, about 2 s) through the default camera: 26 mm equivalent, 1512 x 2016 px,
face centred, 40 cm unless stated.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tracker.landmarks import indices as ix
from tracker.metrics.frame import fit_rotation, pose_angles
from tracker.pipeline import measure_pixels
from tracker.settings import DEFAULT_SETTINGS
from tracker.validation.head3d import Capture, random_selfie_capture, render, sample_head, save_jpeg

IRIS_MM = DEFAULT_SETTINGS.iris_diameter_mm


@pytest.fixture(scope="module")
def head():
    """The sample head, undeformed."""
    return sample_head()


@pytest.fixture(scope="module")
def frontal(head):
    """facetrack's result on a frontal render at 40 cm."""
    return measure_pixels(render(head, Capture()).pixels)


@pytest.mark.parametrize("distance_mm", [250.0, 400.0, 700.0])
def test_measured_iris_is_the_pinhole_projection(head, distance_mm):
    """The iris facetrack fits on a frontal render spans f x 11.71 mm / distance (1.5 %)."""
    rendered = render(head, Capture(distance_mm=distance_mm))
    result = measure_pixels(rendered.pixels)
    expected_px = rendered.focal_length_px * IRIS_MM / distance_mm
    assert result.quality.scores["iris_px"] == pytest.approx(expected_px, rel=0.015)


def test_true_landmarks_are_at_the_requested_distance(head):
    """The midpoint of the true irises is distance_mm from the camera centre (0.01 mm), and
    the model's iris is 11.71 mm wide (1 %)."""
    rendered = render(head, Capture(yaw_deg=5, pitch_deg=-3, roll_deg=4, distance_mm=333.0))
    eyes = 0.5 * (
        rendered.landmarks_camera_mm[ix.IRIS_CENTRE_LEFT]
        + rendered.landmarks_camera_mm[ix.IRIS_CENTRE_RIGHT]
    )
    assert np.linalg.norm(eyes) == pytest.approx(333.0, abs=0.01)
    lm = head.landmarks_mm
    widths = [
        np.linalg.norm(lm[a, :2] - lm[b, :2])
        for a, b in (ix.IRIS_HORIZONTAL_LEFT, ix.IRIS_HORIZONTAL_RIGHT)
    ]
    assert np.mean(widths) == pytest.approx(IRIS_MM, rel=0.01)


@pytest.mark.parametrize("yaw_deg", [0.0, 8.0])
def test_render_passes_quality_checks(head, yaw_deg):
    """A render at 40 cm is accepted by every quality check, frontal and turned 8 deg."""
    result = measure_pixels(render(head, Capture(yaw_deg=yaw_deg)).pixels)
    assert result.status == "ok", result.reasons


@pytest.mark.parametrize(
    "axis, angle_deg", [("yaw", 8.0), ("yaw", -8.0), ("pitch", 3.0), ("pitch", -3.0)]
)
def test_reported_pose_follows_the_applied_turn(head, frontal, axis, angle_deg):
    """facetrack's pose changes by the applied yaw or pitch within 1.5 deg."""
    result = measure_pixels(render(head, Capture(**{f"{axis}_deg": angle_deg})).pixels)
    change = getattr(result.quality.pose, f"{axis}_deg") - getattr(
        frontal.quality.pose, f"{axis}_deg"
    )
    assert change == pytest.approx(angle_deg, abs=1.5)


def test_true_landmarks_turn_with_the_pose_signs(head):
    """The pose fitted to the true projected landmarks (the reference face alignment, not
    the renderer's rotation) follows each applied angle with Pose's signs, within 1 deg."""

    def fitted(capture):
        r = render(head, capture)
        z_px = r.landmarks_camera_mm[:, 2] * r.focal_length_px / capture.distance_mm
        return pose_angles(fit_rotation(np.column_stack([r.landmarks_px, z_px])))[0]

    base = fitted(Capture())
    for k, name in enumerate(("yaw_deg", "pitch_deg", "roll_deg")):
        turned = fitted(Capture(**{name: 6.0}))
        assert turned[k] - base[k] == pytest.approx(6.0, abs=1.0), name


def test_brow_lift_moves_only_that_brow_by_exactly_d(head):
    """A 2 mm left brow lift moves every left-brow landmark and the surface over the whole
    brow up by exactly 2 mm (1e-4 mm), and the right brow, the irises and lids by 0."""
    lifted = head.deformed(brow_lift_mm={"left": 2.0})
    move = lifted.landmarks_mm - head.landmarks_mm
    left = list(ix.BROW_UPPER_LEFT + ix.BROW_LOWER_LEFT)
    right = list(ix.BROW_UPPER_RIGHT + ix.BROW_LOWER_RIGHT)
    still = right + [
        ix.IRIS_CENTRE_LEFT,
        ix.IRIS_CENTRE_RIGHT,
        ix.LID_UPPER_LEFT,
        ix.LID_UPPER_RIGHT,
        *ix.IRIS_RING_LEFT,
    ]
    np.testing.assert_allclose(move[left], np.tile([0.0, 2.0, 0.0], (len(left), 1)), atol=1e-4)
    np.testing.assert_allclose(move[still], 0.0, atol=1e-9)
    # the surface: every texel within 3 mm of an upper-brow landmark (frontal X, Y)
    dense = (lifted.points_mm - head.points_mm)[head.mask]
    xy = head.points_mm[head.mask][:, :2]
    for brow, expected in ((ix.BROW_UPPER_LEFT, 2.0), (ix.BROW_UPPER_RIGHT, 0.0)):
        near = np.zeros(len(xy), bool)
        for point in head.landmarks_mm[list(brow), :2]:
            near |= np.linalg.norm(xy - point, axis=1) < 3.0
        assert near.sum() > 100
        np.testing.assert_allclose(
            dense[near], np.tile([0.0, expected, 0.0], (near.sum(), 1)), atol=1e-4
        )
    assert lifted.changes == {"brow_lift_mm": {"left": 2.0}}


def test_jaw_and_mouth_changes_move_their_landmarks(head):
    """jaw_in moves the left ramus and border points 1.5 mm towards the midline (-X) and the
    chin by 0; a mouth-corner lift moves the right corner up 1 mm and the left by 0."""
    moved = head.deformed(jaw_in_mm={"left": 1.5}, mouth_corner_lift_mm={"right": 1.0})
    move = moved.landmarks_mm - head.landmarks_mm
    jaw = list(ix.RAMUS_LEFT + ix.JAW_BORDER_LEFT)
    np.testing.assert_allclose(move[jaw], np.tile([-1.5, 0.0, 0.0], (len(jaw), 1)), atol=1e-4)
    np.testing.assert_allclose(move[[ix.CHIN, ix.MOUTH_CORNER_LEFT]], 0.0, atol=1e-9)
    np.testing.assert_allclose(move[ix.MOUTH_CORNER_RIGHT], [0.0, 1.0, 0.0], atol=1e-4)


def test_rendered_brow_lift_reads_as_a_lift(head, frontal):
    """facetrack reads a 2 mm 3-D lift of the left brow at 40 cm as 2 mm +/- 0.15 (measured
    2.08), and the right brow changes by less than 0.15 mm (measured 0.01; person scale
    held). The perspective gain of the brow standing in front of the irises is undone by the
    face frame, so the truth is the lift itself."""
    from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics

    m0 = frontal.measurement.metrics
    lifted = render(head.deformed(brow_lift_mm={"left": 2.0}), Capture())
    m = rescale_metrics(measure_pixels(lifted.pixels).measurement.metrics, m0[PERSON_SCALE_METRIC])
    assert m["brow_height_left_mm"] - m0["brow_height_left_mm"] == pytest.approx(2.0, abs=0.15)
    assert abs(m["brow_height_right_mm"] - m0["brow_height_right_mm"]) < 0.15


def test_renders_are_deterministic_for_a_seed(head):
    """The same capture (noise, colour cast, JPEG) gives identical pixels; another seed
    changes the noise (some pixels differ) but not the mean brightness (0.5 grey levels)."""
    capture = random_selfie_capture(np.random.default_rng(7))
    a, b = render(head, capture).pixels, render(head, capture).pixels
    np.testing.assert_array_equal(a, b)
    other = render(head, Capture(**{**capture.__dict__, "seed": capture.seed + 1})).pixels
    assert (other != a).mean() > 0.01
    assert abs(other.mean() - a.mean()) < 0.5


def test_random_selfie_capture_ranges():
    """Drawn captures stay within the stated selfie ranges."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        c = random_selfie_capture(rng)
        assert abs(c.yaw_deg) <= 4 and abs(c.pitch_deg) <= 3 and abs(c.roll_deg) <= 6
        assert 330 <= c.distance_mm <= 500 and 0.85 <= c.light_gain <= 1.15
        assert 80 <= c.jpeg_quality <= 95


def test_perspective_magnifies_the_nose_relative_to_the_ears(head):
    """Closer is more perspective: the nose's width relative to the ear-to-ear width (Face
    Mesh 129-358 over 234-454, as facetrack finds them on the pixels) grows from 70 cm to
    25 cm. The model's true growth is 15 %; Face Mesh follows its face outline (234, 454)
    only partly, so the measured growth must be at least half the true one and at most
    the true one + 1 %."""

    def ratio(points):
        return np.linalg.norm(points[129, :2] - points[358, :2]) / np.linalg.norm(
            points[234, :2] - points[454, :2]
        )

    near, far = (render(head, Capture(distance_mm=d)) for d in (250.0, 700.0))
    true_growth = ratio(near.landmarks_px) / ratio(far.landmarks_px) - 1.0
    measured = [measure_pixels(r.pixels).landmarks.points_px for r in (near, far)]
    growth = ratio(measured[0]) / ratio(measured[1]) - 1.0
    assert true_growth == pytest.approx(0.155, abs=0.02)
    assert 0.5 * true_growth < growth < true_growth + 0.01


def test_save_jpeg_carries_the_focal_length_and_date(head, tmp_path):
    """The JPEG holds EXIF FocalLengthIn35mmFilm = 26 and DateTimeOriginal; facetrack reads
    the focal length from it and finds the camera 400 mm from the eyes (2 %)."""
    from datetime import datetime

    from tracker.pipeline import measure_photo

    rendered = render(head, Capture(jpeg_quality=90))
    path = save_jpeg(tmp_path / "head.jpg", rendered, captured_at=datetime(2026, 1, 5, 8, 30))
    exif = Image.open(path).getexif().get_ifd(0x8769)
    assert exif[0xA405] == 26
    assert exif[0x9003] == "2026:01:05 08:30:00"
    result, _ = measure_photo(path)
    assert result.status == "ok", result.reasons
    assert result.measurement.focal_source == "exif-35mm"
    assert result.measurement.camera_distance_mm == pytest.approx(400.0, rel=0.02)


def test_random_selfies_are_accepted_at_their_distance(head):
    """Three random selfie captures (pose, distance, light, colour, noise, JPEG) pass every
    quality check, and facetrack's camera distance (from the iris and the focal length) is
    the true distance within 2 %."""
    rng = np.random.default_rng(11)
    for _ in range(3):
        capture = random_selfie_capture(rng)
        result = measure_pixels(render(head, capture).pixels)
        assert result.status == "ok", (capture, result.reasons)
        assert result.measurement.camera_distance_mm == pytest.approx(capture.distance_mm, rel=0.02)
