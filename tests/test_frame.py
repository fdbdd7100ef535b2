"""The face frame with perspective undone: properties that hold by construction.

A metric 3-D face (the project's reference face scaled to a 63 mm interpupillary distance) is
put in front of a pinhole camera at a known distance and head pose and projected exactly;
Face Mesh's depth is emulated as the true depth along the line of sight relative to the eyes,
in the pixel scale of x at the eyes (Face Mesh sees a crop around the face, as a camera turned
towards it would).
The metrics of the projection, with the camera's focal length, must equal those of the face
seen by an orthographic camera, whatever the distance and the head turn.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracker.landmarks import indices as ix
from tracker.metrics.frame import FaceFrame, undo_perspective
from tracker.metrics.geometry import compute_metrics

IPD_MM = 63.0
F_PX = 1500.0  # a phone's front camera on a 1512 x 2016 image: about 26 mm equivalent
CENTRE = np.array([756.0, 1008.0])
METRICS = (
    "brow_height_left_mm",
    "brow_height_right_mm",
    "jaw_angle_left_deg",
    "jaw_angle_right_deg",
    "eye_aperture_left_mm",
    "mouth_corner_elevation_right_mm",
    "lower_face_width_mm",
    "asymmetry_pct",
    "face_scale_mm",
)


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Image-axes rotation of a head turn (signs of tracker.types.Pose)."""
    a, b, c = np.radians([-yaw_deg, -pitch_deg, -roll_deg])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def face_mm() -> np.ndarray:
    """(478, 3) metric face in image axes (x right, y down, z away), origin at the eyes."""
    reference, _ = ix.reference_face()
    face = reference * IPD_MM
    eyes = 0.5 * (face[ix.IRIS_CENTRE_LEFT] + face[ix.IRIS_CENTRE_RIGHT])
    return face - eyes


def project(
    face: np.ndarray,
    *,
    distance_mm: float,
    yaw=0.0,
    pitch=0.0,
    roll=0.0,
    offset_px=(0.0, 0.0),
    at_eyes_depth=ix.OUTLINE_AT_EYES_DEPTH,
) -> np.ndarray:
    """Exact central projection: (478, 3) with x, y in pixels and z the depth along the line
    of sight relative to the eyes, in pixels at the eyes' scale (as Face Mesh gives it).
    ``distance_mm`` is the eyes' distance from the camera; ``offset_px`` where they appear
    relative to the principal point. ``at_eyes_depth``: the outline points seen at the eyes'
    depth (the image outline's jaw points are not; Face Mesh's own are: ``ix.SILHOUETTE``)."""
    turned = face @ rotation(yaw, pitch, roll).T
    sight = np.array([offset_px[0] / F_PX, offset_px[1] / F_PX, 1.0])
    sight /= np.linalg.norm(sight)
    cam = turned + distance_mm * sight
    # Face Mesh's outline points show the face's outline: emulated as points at the eyes'
    # depth (their own depth along the line of sight does not magnify them); the jaw's
    # outline is found in the image, at its own depth (tracker.metrics.jaw)
    outline = list(at_eyes_depth)
    along = cam @ sight
    cam[outline] += np.outer(distance_mm - along[outline], sight)
    u = CENTRE[0] + F_PX * cam[:, 0] / cam[:, 2]
    v = CENTRE[1] + F_PX * cam[:, 1] / cam[:, 2]
    z = (along - distance_mm) * F_PX / distance_mm
    return np.stack([u, v, z], axis=-1)


def truth() -> dict[str, float]:
    """The metrics of the frontal face seen orthographically, 1 px = 1 mm (its outline as an
    orthographic camera along the line of sight sees it)."""
    return compute_metrics(face_mm(), 1.0)


@pytest.mark.parametrize("distance_mm", [250.0, 330.0, 500.0, 700.0])
@pytest.mark.parametrize("yaw,pitch,roll", [(0, 0, 0), (8, 0, 0), (-8, 4, 0), (0, -6, 12)])
@pytest.mark.parametrize("offset_px", [(0.0, 0.0), (250.0, -350.0)])
def test_perspective_and_pose_drop_out_exactly_with_the_principal_point(
    distance_mm, yaw, pitch, roll, offset_px
):
    """With the true principal point, every metric of a projected face equals the
    orthographic truth within 0.01 (mm, deg or %), at any distance, head turn and place in
    the frame (the un-projection is exact; where the eyes' midpoint appears is found to first
    order, which leaves 0.007 mm for a face 15 deg off axis at 25 cm); centred, the pose is
    the head's."""
    points = project(
        face_mm(), distance_mm=distance_mm, yaw=yaw, pitch=pitch, roll=roll, offset_px=offset_px
    )
    face_mesh = project(
        face_mm(),
        distance_mm=distance_mm,
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        offset_px=offset_px,
        at_eyes_depth=ix.SILHOUETTE,
    )
    measured = compute_metrics(
        points,
        distance_mm / F_PX,
        focal_length_px=F_PX,
        principal_point_px=CENTRE,
        face_mesh_points_px=face_mesh,
    )
    expected = truth()
    for name in METRICS:
        assert measured[name] == pytest.approx(expected[name], abs=0.01), name
    if offset_px == (0.0, 0.0):
        assert measured["yaw_deg"] == pytest.approx(yaw, abs=0.01)
        assert measured["pitch_deg"] == pytest.approx(pitch, abs=0.01)


def test_without_the_correction_distance_moves_brow_height():
    """The effect being removed is real: measured orthographically, moving the camera from
    30 to 60 cm moves brow height by more than 0.1 mm."""
    near = project(face_mm(), distance_mm=300.0)
    far = project(face_mm(), distance_mm=600.0)
    brow_near = compute_metrics(near, 300.0 / F_PX)["brow_height_left_mm"]
    brow_far = compute_metrics(far, 600.0 / F_PX)["brow_height_left_mm"]
    assert abs(brow_near - brow_far) > 0.1


@pytest.mark.parametrize("offset_px", [(0.0, 0.0), (75.0, -100.0), (-150.0, 150.0)])
@pytest.mark.parametrize("distance_mm", [300.0, 600.0])
def test_a_wrong_principal_point_costs_a_second_order_error(offset_px, distance_mm):
    """A cropped photo: the principal point assumed ``d`` pixels from the true one (the face
    centred in the crop) keeps brow height within 2.5 (d / f)^2 of its value (0.95 mm at
    d = 0.14 f, the largest here) and within 0.01 mm when d = 0."""
    points = project(face_mm(), distance_mm=distance_mm, yaw=4.0, pitch=-3.0, offset_px=offset_px)
    assumed = CENTRE + np.asarray(offset_px)
    measured = compute_metrics(
        points, distance_mm / F_PX, focal_length_px=F_PX, principal_point_px=assumed
    )
    expected = truth()
    ratio2 = (np.hypot(*offset_px) / F_PX) ** 2
    for name in ("brow_height_left_mm", "brow_height_right_mm"):
        assert abs(measured[name] - expected[name]) <= max(0.01, 2.5 * ratio2 * expected[name])


def test_face_frame_inverse_is_exact():
    """to_image(to_face(p)) == p for a perspective and an orthographic frame."""
    points = project(
        face_mm(), distance_mm=350.0, yaw=6.0, pitch=-4.0, roll=9.0, offset_px=(120.0, -300.0)
    )
    for frame in (
        FaceFrame.fit(points, focal_length_px=F_PX),
        FaceFrame.fit(points, focal_length_px=F_PX, principal_point_px=CENTRE),
        FaceFrame.fit(points),
    ):
        back = frame.to_image(frame.to_face(points))[0]
        assert np.max(np.abs(back - points)) < 1e-9


def test_undo_perspective_leaves_the_eyes_and_scales_by_depth():
    """With the eyes at the principal point (no rectification), a point at the eyes' depth
    stays put; one nearer by 10 % of the focal length moves 10 % of its distance towards it."""
    points = np.zeros((478, 3))
    points[:, :2] = 100.0
    points[ix.IRIS_CENTRE_LEFT] = [200.0, 50.0, 0.0]
    points[ix.IRIS_CENTRE_RIGHT] = [100.0, 50.0, 0.0]
    points[1] = [150.0, 150.0, -150.0]
    out = undo_perspective(points, 1500.0, (150.0, 50.0))
    assert out[ix.IRIS_CENTRE_LEFT] == pytest.approx([200.0, 50.0, 0.0])
    assert out[1] == pytest.approx([150.0, 140.0, -150.0])


def test_face_scale_ignores_brows_lids_and_gaze():
    """face_scale_mm (the rigid points' size) does not move when the brows rise 2 mm, the
    lids close a little and the irises converge by 1 mm each (as at 30 cm), while the
    interpupillary distance does."""
    face = face_mm()
    changed = face.copy()
    changed[list(ix.BROW_UPPER_LEFT) + list(ix.BROW_UPPER_RIGHT), 1] -= 2.0
    changed[ix.LID_UPPER_LEFT, 1] += 1.0
    iris_left = list(range(473, 478))
    iris_right = list(range(468, 473))
    changed[iris_left, 0] -= 1.0 * np.sign(face[ix.IRIS_CENTRE_LEFT, 0])
    changed[iris_right, 0] -= 1.0 * np.sign(face[ix.IRIS_CENTRE_RIGHT, 0])
    before, after = compute_metrics(face, 1.0), compute_metrics(changed, 1.0)
    assert after["face_scale_mm"] == pytest.approx(before["face_scale_mm"], rel=1e-9)
    assert abs(after["interpupillary_mm"] - before["interpupillary_mm"]) > 1.5
