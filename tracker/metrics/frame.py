"""Head pose and the pose-corrected face frame, vectorised over (N, 478, 3) stacks.

The mesh's rigid points are aligned to the project's frontal reference face (a similarity
Procrustes fit). The fitted rotation gives yaw, pitch and roll, and its inverse turns the
mesh to face the camera. The frontal mesh is then rotated in its own plane so that the
interpupillary line is horizontal (the clinical reference line), which makes every metric
exactly invariant to roll.

Face-frame axes: X towards the subject's left, Y up, Z towards the camera, origin midway
between the iris centres; units are those of the input (pixels).
"""

from __future__ import annotations

import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.procrustes import similarity_align


def _as_stack(points: np.ndarray) -> tuple[np.ndarray, bool]:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 2:
        return pts[None], True
    return pts, False


def fit_rotation(points_px: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations taking the reference face to each mesh (image axes)."""
    pts, _ = _as_stack(points_px)
    reference, _ = ix.reference_face()
    rigid = list(ix.RIGID)
    rotation, _, _ = similarity_align(pts[:, rigid], reference[rigid])
    return rotation


def pose_angles(rotation: np.ndarray) -> np.ndarray:
    """Yaw, pitch, roll in degrees from (N, 3, 3) rotations (R = Rz(roll) Ry(yaw) Rx(pitch)).

    Signs follow :class:`tracker.types.Pose`: yaw > 0 turns towards the subject's left,
    pitch > 0 is chin up, roll > 0 raises the subject's left eye.
    """
    r = np.asarray(rotation)
    beta = -np.arcsin(np.clip(r[..., 2, 0], -1.0, 1.0))
    alpha = np.arctan2(r[..., 2, 1], r[..., 2, 2])
    gamma = np.arctan2(r[..., 1, 0], r[..., 0, 0])
    # image axes are x right, y down, z away: a positive angle about each axis is, for the
    # subject, a turn to the right, chin down, and a tilt lowering the left eye
    return np.degrees(np.stack([-beta, -alpha, -gamma], axis=-1))


def to_face_frame(points_px: np.ndarray, rotation: np.ndarray | None = None) -> np.ndarray:
    """Express meshes in the face frame (pose removed, interpupillary line horizontal).

    Parameters
    ----------
    points_px : (N, 478, 3) or (478, 3) landmarks in pixels (z scaled like x).
    rotation : optional (N, 3, 3) from :func:`fit_rotation` (computed when omitted).

    Returns
    -------
    (N, 478, 3) or (478, 3) points: X to the subject's left, Y up, Z to the camera, in pixels.
    """
    pts, single = _as_stack(points_px)
    if rotation is None:
        rotation = fit_rotation(pts)
    origin = 0.5 * (pts[:, ix.IRIS_CENTRE_RIGHT] + pts[:, ix.IRIS_CENTRE_LEFT])
    frontal = np.einsum("nkj,nji->nki", pts - origin[:, None, :], rotation)  # R^T (p - o)
    frontal *= np.array([1.0, -1.0, -1.0])  # y up, z towards the camera
    # residual in-plane rotation: interpupillary line horizontal
    ipd = frontal[:, ix.IRIS_CENTRE_LEFT, :2] - frontal[:, ix.IRIS_CENTRE_RIGHT, :2]
    angle = np.arctan2(ipd[:, 1], ipd[:, 0])
    c, s = np.cos(-angle), np.sin(-angle)
    x = c[:, None] * frontal[..., 0] - s[:, None] * frontal[..., 1]
    y = s[:, None] * frontal[..., 0] + c[:, None] * frontal[..., 1]
    out = np.stack([x, y, frontal[..., 2]], axis=-1)
    return out[0] if single else out


def face_axes_in_image(points_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit 2D image vectors of the face's "up" and "towards the subject's left" directions.

    Used to sample image profiles perpendicular to the interpupillary line.
    """
    pts = np.asarray(points_px, dtype=np.float64)
    lateral = pts[ix.IRIS_CENTRE_LEFT, :2] - pts[ix.IRIS_CENTRE_RIGHT, :2]
    lateral /= np.linalg.norm(lateral)
    up = np.array([lateral[1], -lateral[0]])  # rotate by -90 deg in y-down image axes
    return up, lateral
