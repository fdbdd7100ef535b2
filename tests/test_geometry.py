"""Tests of tracker.metrics.geometry and the pose/face frame behind it, on synthetic meshes.

No photos and no MediaPipe: every mesh is the project's frontal reference face
(``indices.reference_face()``) scaled to pixels, optionally perturbed with a seeded generator,
edited at known landmarks, or moved rigidly. Image axes: x right, y down, z away from the camera.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.landmarks import indices as ix
from tracker.metrics.frame import fit_rotation, pose_angles
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics

IPD_PX = 300.0
SCALE = 63.0 / IPD_PX  # mm per px: an interpupillary distance of 63 mm
CENTRE = np.array([640.0, 480.0, 0.0])  # where the reference face's origin lands in the image
SEED = 20240601
PROPERTY = settings(max_examples=50, deadline=None, derandomize=True)


def _reference_px() -> np.ndarray:
    ref, _ = ix.reference_face()
    ipd = np.linalg.norm(ref[ix.IRIS_CENTRE_LEFT] - ref[ix.IRIS_CENTRE_RIGHT])
    return ref * (IPD_PX / ipd) + CENTRE


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@pytest.fixture(scope="session")
def reference_px():
    """The reference face scaled so the iris centres (468, 473) are exactly 300 px apart, its
    origin at image point (640, 480, 0); exactly left/right symmetric, frontal, read-only."""
    return _frozen(_reference_px())


@pytest.fixture(scope="session")
def perturbed_px():
    """``reference_px`` plus independent N(0, 3 px) noise (1% of the IPD) on every coordinate
    of every point, from ``default_rng(SEED)``: a realistic, slightly asymmetric, read-only mesh."""
    rng = np.random.default_rng(SEED)
    return _frozen(_reference_px() + rng.normal(0.0, 0.01 * IPD_PX, size=(478, 3)))


BROW_RAISE_PX = 6.0


@pytest.fixture(scope="session")
def raised_left_brow_px():
    """``reference_px`` with the five left upper-brow points (``BROW_UPPER_LEFT``) moved up the
    image (y decreased) by ``BROW_RAISE_PX`` = 6 px; everything else unchanged, read-only."""
    pts = _reference_px()
    pts[list(ix.BROW_UPPER_LEFT), 1] -= BROW_RAISE_PX
    return _frozen(pts)


def rotation(yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0) -> np.ndarray:
    """Image-axes rotation giving the pose R = Rz(-roll) Ry(-yaw) Rx(-pitch).

    Image axes are x right, y down, z away, so the subject's positive angles are negative
    right-handed angles about them (checked geometrically in ``test_pose_sign_conventions``).
    """
    a, b, g = np.radians([-pitch_deg, -yaw_deg, -roll_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(g), -np.sin(g), 0], [np.sin(g), np.cos(g), 0], [0, 0, 1]])
    return rz @ ry @ rx


def turned(points, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0) -> np.ndarray:
    """The mesh rotated about its centroid (orthographic camera: x, y, z kept as they are)."""
    centre = points.mean(axis=0)
    return (points - centre) @ rotation(yaw_deg, pitch_deg, roll_deg).T + centre


def mirrored(points) -> np.ndarray:
    """The mirror-image mesh (x -> -x), relabelled so each index names the subject's side again."""
    flipped = np.asarray(points) * np.array([-1.0, 1.0, 1.0])
    return flipped[ix.mirror_permutation()]


def assert_metrics_equal(actual: dict, expected: dict, names=METRIC_NAMES, tol=1e-6):
    """mm and % within ``tol`` relative or ``tol`` absolute; degrees within ``tol`` deg."""
    for name in names:
        rtol = 0.0 if name.endswith("_deg") else tol
        np.testing.assert_allclose(actual[name], expected[name], rtol=rtol, atol=tol, err_msg=name)


def wrap_deg(angle):
    return (np.asarray(angle) + 180.0) % 360.0 - 180.0


# ---- exact values on the reference face ----------------------------------------------------


def test_reference_face_exact_values(reference_px):
    """The symmetric frontal reference face at IPD 300 px and 63/300 mm/px: IPD 63 mm, zero pose,
    zero asymmetry, equal left and right metrics."""
    m = compute_metrics(reference_px, SCALE)
    assert set(m) == set(METRIC_NAMES) | {"yaw_deg", "pitch_deg", "roll_deg", "iris_diameter_px"}
    assert m["interpupillary_mm"] == pytest.approx(63.0, abs=1e-9)
    for angle in ("yaw_deg", "pitch_deg", "roll_deg"):
        assert abs(m[angle]) < 1e-6
    for name in ("asymmetry_pct", "brow_asymmetry_mm", "mouth_corner_asymmetry_mm"):
        assert m[name] < 1e-9
    assert m["jaw_angle_asymmetry_deg"] < 1e-9
    for name in METRIC_NAMES:
        if "_left_" in name:
            assert m[name] == pytest.approx(m[name.replace("_left_", "_right_")], abs=1e-9)


def test_reference_face_heights_match_direct_computation(reference_px):
    """On the frontal reference face the face frame is the image frame flipped in y, so heights
    are image-y differences; brow height is a quadratic (np.polyfit) through the upper-brow
    points evaluated above the iris centre."""
    m = compute_metrics(reference_px, SCALE)
    p = reference_px
    iris_y = p[ix.IRIS_CENTRE_LEFT, 1]  # both iris centres share y on the reference face
    for side, brow, iris, upper, lower, corner, cheek in (
        (
            "left",
            ix.BROW_UPPER_LEFT,
            ix.IRIS_CENTRE_LEFT,
            ix.LID_UPPER_LEFT,
            ix.LID_LOWER_LEFT,
            ix.MOUTH_CORNER_LEFT,
            ix.CHEEK_LEFT,
        ),
        (
            "right",
            ix.BROW_UPPER_RIGHT,
            ix.IRIS_CENTRE_RIGHT,
            ix.LID_UPPER_RIGHT,
            ix.LID_LOWER_RIGHT,
            ix.MOUTH_CORNER_RIGHT,
            ix.CHEEK_RIGHT,
        ),
    ):
        brow_y = np.polyval(np.polyfit(p[list(brow), 0], p[list(brow), 1], 2), p[iris, 0])
        assert m[f"brow_height_{side}_mm"] == pytest.approx((iris_y - brow_y) * SCALE, abs=1e-9)
        assert m[f"eye_aperture_{side}_mm"] == pytest.approx(
            (p[lower, 1] - p[upper, 1]) * SCALE, abs=1e-9
        )
        # elevations are upward: the image's y grows downward
        assert m[f"mouth_corner_elevation_{side}_mm"] == pytest.approx(
            (iris_y - p[corner, 1]) * SCALE, abs=1e-9
        )
        assert m[f"cheek_elevation_{side}_mm"] == pytest.approx(
            (iris_y - p[cheek, 1]) * SCALE, abs=1e-9
        )


def test_raised_left_brow(reference_px, raised_left_brow_px):
    """Raising the left upper-brow points by k px raises brow_height_left_mm by exactly k * scale,
    leaves the right brow and the pose unchanged, and gives brow_asymmetry_mm = k * scale."""
    before = compute_metrics(reference_px, SCALE)
    after = compute_metrics(raised_left_brow_px, SCALE)
    k_mm = BROW_RAISE_PX * SCALE
    raised = after["brow_height_left_mm"] - before["brow_height_left_mm"]
    assert raised == pytest.approx(k_mm, abs=1e-6)
    assert after["brow_height_right_mm"] == pytest.approx(before["brow_height_right_mm"], abs=1e-6)
    assert after["brow_asymmetry_mm"] == pytest.approx(k_mm, abs=1e-6)
    for angle in ("yaw_deg", "pitch_deg", "roll_deg"):
        assert abs(after[angle]) < 1e-6
    assert after["asymmetry_pct"] > 1e-3


@pytest.mark.parametrize("k_px", [-4.0, 2.5, 10.0])
def test_lowered_left_mouth_corner(reference_px, k_px):
    """Moving the left mouth corner (291) down the image by k px lowers its elevation (upward
    from the interpupillary line) by k * scale and adds |k| * scale to
    mouth_corner_asymmetry_mm; the right side is unchanged."""
    pts = reference_px.copy()
    pts[ix.MOUTH_CORNER_LEFT, 1] += k_px
    before, after = compute_metrics(reference_px, SCALE), compute_metrics(pts, SCALE)
    assert after["mouth_corner_elevation_left_mm"] - before["mouth_corner_elevation_left_mm"] == (
        pytest.approx(-k_px * SCALE, abs=1e-9)
    )
    assert after["mouth_corner_elevation_right_mm"] == pytest.approx(
        before["mouth_corner_elevation_right_mm"], abs=1e-9
    )
    assert after["mouth_corner_asymmetry_mm"] == pytest.approx(abs(k_px) * SCALE, abs=1e-9)


def test_pose_sign_conventions(reference_px):
    """Positive yaw moves the nose tip (4) to image +x (towards the subject's left), positive
    pitch brings the chin (152) towards the camera (smaller z), positive roll raises the subject's
    left eye (counter-clockwise in the y-down image); compute_metrics reports each as +20 deg."""
    nose, chin, left, right = 4, ix.CHIN, ix.IRIS_CENTRE_LEFT, ix.IRIS_CENTRE_RIGHT
    yawed = turned(reference_px, yaw_deg=20)
    assert yawed[nose, 0] > reference_px[nose, 0] + 10
    pitched = turned(reference_px, pitch_deg=20)
    assert pitched[chin, 2] < reference_px[chin, 2] - 10
    rolled = turned(reference_px, roll_deg=20)
    assert rolled[left, 1] < rolled[right, 1] - 10
    for name, pts in (("yaw_deg", yawed), ("pitch_deg", pitched), ("roll_deg", rolled)):
        m = compute_metrics(pts, SCALE)
        assert m[name] == pytest.approx(20.0, abs=1e-6)
        assert all(
            abs(m[other]) < 1e-6 for other in ("yaw_deg", "pitch_deg", "roll_deg") if other != name
        )


# ---- properties ------------------------------------------------------------------------------


@PROPERTY
@given(
    tx=st.floats(-2000, 2000),
    ty=st.floats(-2000, 2000),
    tz=st.floats(-1e4, 1e4),
    zoom=st.floats(0.2, 5.0),
    angle=st.floats(-180.0, 180.0),
)
def test_similarity_invariance(perturbed_px, tx, ty, tz, zoom, angle):
    """Translating (±2000 px in x, y; ±1e4 px in z), zooming (0.2-5, mm/px divided by the zoom)
    and rotating a perturbed face by any angle in the image plane leaves every metric, yaw and
    pitch unchanged (1e-6 relative or absolute; degrees 1e-6) and adds the angle to roll_deg."""
    base = compute_metrics(perturbed_px, SCALE)
    moved = zoom * turned(perturbed_px, roll_deg=angle) + np.array([tx, ty, tz])
    m = compute_metrics(moved, SCALE / zoom)
    assert_metrics_equal(m, base, names=METRIC_NAMES + ("yaw_deg", "pitch_deg"))
    assert abs(wrap_deg(m["roll_deg"] - base["roll_deg"] - angle)) < 1e-6


@PROPERTY
@given(yaw=st.floats(-25.0, 25.0), pitch=st.floats(-25.0, 25.0))
def test_yaw_pitch_recovered(reference_px, yaw, pitch):
    """Turning the reference face by yaw and pitch (±25 deg) about its centre: pose_angles of
    fit_rotation returns (yaw, pitch, 0) within 1e-6 deg."""
    pose = pose_angles(fit_rotation(turned(reference_px, yaw, pitch)))
    np.testing.assert_allclose(pose, [[yaw, pitch, 0.0]], atol=1e-6)


@PROPERTY
@given(yaw=st.floats(-25.0, 25.0), pitch=st.floats(-25.0, 25.0), roll=st.floats(-30.0, 30.0))
def test_metrics_invariant_to_head_rotation(reference_px, perturbed_px, yaw, pitch, roll):
    """The pose-corrected face frame undoes any 3D head rotation (yaw, pitch ±25 deg, roll
    ±30 deg): every metric of the reference face and of a perturbed face is unchanged (1e-6)."""
    for face in (reference_px, perturbed_px):
        assert_metrics_equal(
            compute_metrics(turned(face, yaw, pitch, roll), SCALE), compute_metrics(face, SCALE)
        )


# ---- mirroring -------------------------------------------------------------------------------


def test_mirror_permutation_structure():
    """mirror_permutation is an involution with exactly the 28 MIDLINE points fixed and 225
    left/right pairs, including the iris centres, brow tails, mouth corners and ear points."""
    mirror = ix.mirror_permutation()
    assert sorted(mirror) == list(range(478))
    np.testing.assert_array_equal(mirror[mirror], np.arange(478))
    fixed = np.flatnonzero(mirror == np.arange(478))
    assert fixed.size == 28 and sorted(fixed) == sorted(ix.MIDLINE)
    assert (478 - fixed.size) // 2 == 225
    for a, b in ((468, 473), (70, 300), (61, 291), (234, 454)):
        assert mirror[a] == b and mirror[b] == a


@pytest.mark.parametrize("pose", [(0.0, 0.0, 0.0), (15.0, -10.0, 8.0)])
def test_mirroring_swaps_sides(perturbed_px, pose):
    """Mirroring a (posed) perturbed face swaps every _left_ metric with its _right_ partner,
    leaves symmetric metrics and pitch unchanged, and flips the sign of yaw and roll (1e-6)."""
    face = turned(perturbed_px, *pose)
    m, mm = compute_metrics(face, SCALE), compute_metrics(mirrored(face), SCALE)
    swap = {
        n: n.replace("_left_", "_right_") if "_left_" in n else n.replace("_right_", "_left_")
        for n in METRIC_NAMES
    }
    assert_metrics_equal(mm, {n: m[swap[n]] for n in METRIC_NAMES})
    pose_names = ("pitch_deg", "yaw_deg", "roll_deg")
    assert_metrics_equal(
        mm,
        {"pitch_deg": m["pitch_deg"], "yaw_deg": -m["yaw_deg"], "roll_deg": -m["roll_deg"]},
        names=pose_names,
    )


# ---- vectorisation ---------------------------------------------------------------------------


def test_stack_equals_single_calls(reference_px, perturbed_px, raised_left_brow_px):
    """compute_metrics on an (N, 478, 3) stack with per-mesh scales equals N single-mesh calls."""
    rng = np.random.default_rng(SEED)
    meshes = [
        reference_px,
        perturbed_px,
        raised_left_brow_px,
        turned(perturbed_px, 10, -5, 30) * 1.7 + 100,
        perturbed_px + rng.normal(0, 2.0, size=(478, 3)),
    ]
    scales = np.array([SCALE, SCALE, 0.1, SCALE / 1.7, 0.3])
    stacked = compute_metrics(np.stack(meshes), scales)
    for i, (mesh, scale) in enumerate(zip(meshes, scales)):
        single = compute_metrics(mesh, scale)
        for name, values in stacked.items():
            assert values.shape == (len(meshes),)
            assert values[i] == pytest.approx(single[name], rel=1e-12, abs=1e-12), name
