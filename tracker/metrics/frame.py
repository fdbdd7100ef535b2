"""The face frame: perspective undone, head pose removed, interpupillary line level.

One object, :class:`FaceFrame`, holds the transform of a stack of meshes into the face frame
and its exact inverse back to image pixels; metrics, overlays, warps, alignment and the
validation all use it.

**Perspective.** A selfie is a central projection: a feature nearer the camera than the eyes
(the brow ridge, the nose) is magnified by ``Z_eyes / Z_feature``, and how much depends on how
far away the camera was; a face away from the image centre is also seen obliquely. Face Mesh
works on a crop around the face: its ``z`` is each landmark's depth along the line of sight,
relative to the face, in the pixel scale of ``x`` at the face. With the camera's focal length
``f`` (pixels) and principal point ``c`` (the image centre), the landmarks are

1. *rectified* to a virtual camera turned to look straight at the eyes (each image point's ray
   rotated by the rotation that takes the eyes' ray onto the optical axis), so that the eyes
   lie on its axis, at ``c``;
2. *un-projected* about the eyes: ``X' = cx + (u - cx) * (1 + zc / f)`` (and so for ``Y'``),
   ``zc`` being the depth relative to the midpoint of the irises.

The result is the face as an orthographic camera at the eyes' scale would see it along the
line of sight: the camera distance has dropped out (only the ratio ``zc / f`` = depth /
distance matters), and neither the iris nor the person's scale is needed to undo perspective.
Without a focal length, the landmarks are taken as they are (an orthographic camera). The pose
is relative to the line of sight, which is what a person can correct ("look straight into the
camera"). A cropped photo moves the true principal point: the rectification is then wrong by
a second-order amount, about ``2.5 (offset / f)^2`` of a height for a face ``offset`` pixels
from where the centre is assumed (0.6 % at 0.05, 2.5 % at 0.1); the same holds the other way
when the eyes stand in for an unknown principal point (``principal_point_px=None``) and the
face was in fact away from it (tests/test_frame.py).

**Pose.** The rigid points (no brows, forehead, lids, mouth or jaw) are aligned to the
project's frontal reference face (a similarity Procrustes fit). The fitted rotation gives yaw,
pitch and roll, and its inverse turns the face to the camera. The frontal mesh is then rotated
in its own plane so that the interpupillary line is horizontal (the clinical reference line),
which makes every metric exactly invariant to roll. The fit's scale is the size of the rigid
points (in reference interpupillary units): a face size that lids, brows, gaze and expression
do not change.

Face-frame axes: X towards the subject's left, Y up, Z towards the camera, origin midway
between the iris centres; units are pixels at the eyes' scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.procrustes import similarity_align

_FLIP = np.array([1.0, -1.0, -1.0])  # image axes (y down, z away) -> face axes (y up, z near)


def _as_stack(points: np.ndarray) -> tuple[np.ndarray, bool]:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 2:
        return pts[None], True
    return pts, False


def _camera_arrays(
    pts: np.ndarray, focal_length_px, principal_point_px
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) focal lengths and (N, 2) principal points for a stack. A NaN focal length (an
    unknown camera) becomes infinite: an orthographic camera, nothing undone. A missing or NaN
    principal point becomes the iris midpoint (no rectification; see the module docstring)."""
    n = pts.shape[0]
    f = np.broadcast_to(np.asarray(focal_length_px, dtype=np.float64), (n,)).copy()
    f[~np.isfinite(f)] = np.inf
    if principal_point_px is None:
        centre = np.full((n, 2), np.nan)
    else:
        centre = np.broadcast_to(np.asarray(principal_point_px, dtype=np.float64), (n, 2)).copy()
    missing = ~np.isfinite(centre).all(axis=1)
    centre[missing] = _eyes(pts)[missing, :2]
    return f, centre


def _eyes(pts: np.ndarray) -> np.ndarray:
    return 0.5 * (pts[:, ix.IRIS_CENTRE_RIGHT] + pts[:, ix.IRIS_CENTRE_LEFT])


def _eyes_seen(pts: np.ndarray, f: np.ndarray) -> np.ndarray:
    """(N, 2) where the 3-D midpoint of the irises appears in the image: the midpoint of their
    images weighted by their distances (a turned head puts one iris nearer than the other)."""
    right, left = pts[:, ix.IRIS_CENTRE_RIGHT], pts[:, ix.IRIS_CENTRE_LEFT]
    half = 0.5 * (left[:, 2] - right[:, 2]) / f
    weight_left, weight_right = 1.0 + half, 1.0 - half
    return (weight_left[:, None] * left[:, :2] + weight_right[:, None] * right[:, :2]) / (
        weight_left + weight_right
    )[:, None]


def _sight(pts: np.ndarray, f: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations that turn the camera to look at the 3-D midpoint of the irises.

    The distance weights of :func:`_eyes_seen` hold exactly in a camera that looks at the
    midpoint (``z`` is depth along that line), so the turn is refined twice in the turned
    camera's image.
    """
    turn = _line_of_sight(_eyes_seen(pts, f), f, centre)
    irises = pts[:, [ix.IRIS_CENTRE_RIGHT, ix.IRIS_CENTRE_LEFT]]
    for _ in range(2):
        seen = irises.copy()
        seen[..., :2] = _turn_rays(irises[..., :2], turn, f, centre)
        full = np.zeros((len(f), max(ix.IRIS_CENTRE_RIGHT, ix.IRIS_CENTRE_LEFT) + 1, 3))
        full[:, [ix.IRIS_CENTRE_RIGHT, ix.IRIS_CENTRE_LEFT]] = seen
        turn = _line_of_sight(_eyes_seen(full, f), f, centre) @ turn
    return turn


def _line_of_sight(eyes_px: np.ndarray, f: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations taking the eyes' ray onto the optical axis (the smallest turn)."""
    ray = np.concatenate(
        [np.nan_to_num((eyes_px - centre) / f[:, None]), np.ones((len(f), 1))], axis=1
    )
    ray /= np.linalg.norm(ray, axis=1, keepdims=True)
    axis = np.cross(ray, [0.0, 0.0, 1.0])
    sin = np.linalg.norm(axis, axis=1)
    cos = ray[:, 2]
    k = np.where(sin[:, None] > 1e-15, axis / np.maximum(sin, 1e-300)[:, None], 0.0)
    kx = np.zeros((len(f), 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx -= kx.transpose(0, 2, 1)
    eye = np.broadcast_to(np.eye(3), kx.shape)
    return eye + sin[:, None, None] * kx + (1 - cos)[:, None, None] * (kx @ kx)


def _turn_rays(xy: np.ndarray, turn: np.ndarray, f: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(N, K, 2) image points re-projected after turning their rays by (N, 3, 3) ``turn``."""
    finite = np.isfinite(f)
    if not finite.any():
        return xy
    out = np.array(xy, dtype=np.float64)
    fk, ck = f[finite], centre[finite]
    rays = np.concatenate(
        [
            (out[finite] - ck[:, None, :]) / fk[:, None, None],
            np.ones((int(finite.sum()), xy.shape[1], 1)),
        ],
        axis=-1,
    )
    turned = np.einsum("nij,nkj->nki", turn[finite], rays)
    out[finite] = ck[:, None, :] + fk[:, None, None] * turned[..., :2] / turned[..., 2:3]
    return out


def undo_perspective(points_px: np.ndarray, focal_length_px, principal_point_px) -> np.ndarray:
    """Landmarks as an orthographic camera at the eyes' scale, looking along the line of
    sight, would see them (see the module docstring).

    Parameters
    ----------
    points_px : (N, K, 3) or (K, 3) image landmarks (x, y pixels; z depth in the pixel scale
        of x, smaller = nearer), K >= 478 (the iris centres give the reference depth).
    focal_length_px : scalar or (N,) focal length in pixels of the same image.
    principal_point_px : (2,) or (N, 2) principal point (the image centre, in practice).

    Returns
    -------
    Array of the input's shape: x and y as seen by that camera (the eyes at the principal
    point), z unchanged.
    """
    pts, single = _as_stack(points_px)
    f, centre = _camera_arrays(pts, focal_length_px, principal_point_px)
    turn = _sight(pts, f, centre)
    out = pts.copy()
    out[..., :2] = _turn_rays(pts[..., :2], turn, f, centre)
    factor = _magnification(pts, f)
    out[..., :2] = centre[:, None, :] + (out[..., :2] - centre[:, None, :]) * factor[..., None]
    return out[0] if single else out


def _magnification(
    pts: np.ndarray,
    f: np.ndarray,
    eyes_z: np.ndarray | None = None,
    at_eyes_depth: tuple[int, ...] = ix.OUTLINE_AT_EYES_DEPTH,
) -> np.ndarray:
    """(N, K) ``1 + zc / f``: how much nearer (< 1) or farther (> 1) than the eyes each point
    is, as a ratio of distances. For a full mesh, Face Mesh's outline points
    (``ix.OUTLINE_AT_EYES_DEPTH``) are taken at the eyes' depth: their image positions are the
    face's outline, not their own. The jaw's outline is found in the image
    (:mod:`tracker.metrics.jaw`) and follows the magnification of its own depth; Face Mesh's
    own jaw points (``at_eyes_depth=ix.SILHOUETTE``) are outline points like the rest."""
    if eyes_z is None:
        eyes_z = _eyes(pts)[:, 2]
    factor = 1.0 + (pts[..., 2] - eyes_z[:, None]) / f[:, None]
    if pts.shape[1] == ix.N_POINTS:
        factor[:, list(at_eyes_depth)] = 1.0
    return factor


@dataclass(frozen=True)
class FaceFrame:
    """The face frame of a stack of N meshes, with its forward and inverse transforms.

    Build it with :meth:`fit`. Attributes (arrays over the stack):

    ``rotation`` (N, 3, 3) takes the reference face's orientation to each mesh (image axes);
    ``scale_px`` (N,) the rigid points' size: the reference face's interpupillary distance
    fitted to them, in pixels at the eyes' scale; ``origin_px`` (N, 3) the iris midpoint
    (perspective undone); ``level_rad`` (N,) the in-plane angle that levels the
    interpupillary line; ``focal_length_px`` (N,) or None (orthographic);
    ``principal_point_px`` (N, 2); ``eyes_z`` (N,) the iris midpoint's depth in the input;
    ``sight`` (N, 3, 3) the rotation that turns the eyes' ray onto the optical axis.
    """

    rotation: np.ndarray
    scale_px: np.ndarray
    origin_px: np.ndarray
    level_rad: np.ndarray
    focal_length_px: np.ndarray | None
    principal_point_px: np.ndarray
    eyes_z: np.ndarray
    sight: np.ndarray

    @classmethod
    def fit(
        cls, points_px: np.ndarray, *, focal_length_px=None, principal_point_px=None
    ) -> FaceFrame:
        """Fit the frame of (N, 478, 3) or (478, 3) image landmarks.

        Parameters
        ----------
        focal_length_px : scalar or (N,) focal length in pixels, or None for an orthographic
            camera (the landmarks are used as they are); NaN rows are orthographic too.
        principal_point_px : (2,) or (N, 2); None or NaN rows: the image centre is not known,
            and the iris midpoint stands for it (no rectification; see the module docstring).
        """
        pts, _ = _as_stack(points_px)
        n = pts.shape[0]
        eyes_z = _eyes(pts)[:, 2]
        if focal_length_px is None:
            f = None
            centre = np.zeros((n, 2))
            sight = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
            flat = pts
        else:
            f, centre = _camera_arrays(pts, focal_length_px, principal_point_px)
            sight = _sight(pts, f, centre)
            flat = undo_perspective(pts, f, centre)
        reference, _ = ix.reference_face()
        rigid = list(ix.RIGID)
        rotation, scale, _ = similarity_align(flat[:, rigid], reference[rigid])
        origin = 0.5 * (flat[:, ix.IRIS_CENTRE_RIGHT] + flat[:, ix.IRIS_CENTRE_LEFT])
        frontal = np.einsum("nkj,nji->nki", flat - origin[:, None, :], rotation) * _FLIP
        ipd = frontal[:, ix.IRIS_CENTRE_LEFT, :2] - frontal[:, ix.IRIS_CENTRE_RIGHT, :2]
        level = np.arctan2(ipd[:, 1], ipd[:, 0])
        return cls(
            rotation=rotation,
            scale_px=np.asarray(scale, dtype=np.float64),
            origin_px=origin,
            level_rad=level,
            focal_length_px=f,
            principal_point_px=centre,
            eyes_z=eyes_z,
            sight=sight,
        )

    def __len__(self) -> int:
        return int(self.rotation.shape[0])

    @property
    def pose_deg(self) -> np.ndarray:
        """(N, 3) yaw, pitch, roll in degrees (see :func:`pose_angles`)."""
        return pose_angles(self.rotation)

    def to_face(self, points_px: np.ndarray, *, face_mesh_outline: bool = False) -> np.ndarray:
        """(N, K, 3) face-frame coordinates of (N, K, 3) or (K, 3) image points (x, y in
        pixels, z in Face Mesh's depth scale). ``face_mesh_outline``: the points are Face
        Mesh's own (no jaw outline found in the image), so its whole outline
        (``ix.SILHOUETTE``) is taken at the eyes' depth."""
        pts = np.asarray(points_px, dtype=np.float64)
        if pts.ndim == 2:
            pts = np.broadcast_to(pts, (len(self), *pts.shape))
        if self.focal_length_px is not None:
            f, centre = self.focal_length_px, self.principal_point_px
            at_eyes_depth = ix.SILHOUETTE if face_mesh_outline else ix.OUTLINE_AT_EYES_DEPTH
            factor = _magnification(pts, f, self.eyes_z, at_eyes_depth)
            pts = pts.copy()
            pts[..., :2] = _turn_rays(pts[..., :2], self.sight, f, centre)
            pts[..., :2] = (
                centre[:, None, :] + (pts[..., :2] - centre[:, None, :]) * factor[..., None]
            )
        frontal = np.einsum("nkj,nji->nki", pts - self.origin_px[:, None, :], self.rotation) * _FLIP
        c, s = np.cos(-self.level_rad)[:, None], np.sin(-self.level_rad)[:, None]
        x = c * frontal[..., 0] - s * frontal[..., 1]
        y = s * frontal[..., 0] + c * frontal[..., 1]
        return np.stack([x, y, frontal[..., 2]], axis=-1)

    def to_image(self, face_points: np.ndarray, *, outline: bool = False) -> np.ndarray:
        """(N, K, 3) image points (x, y pixels; z depth) of (N, K, 3) or (K, 3) face-frame
        points: the exact inverse of :meth:`to_face`. With ``outline``, the points are taken
        as outline points (no magnification by depth, as ``ix.SILHOUETTE`` in a mesh)."""
        f_pts = np.asarray(face_points, dtype=np.float64)
        if f_pts.ndim == 2:
            f_pts = np.broadcast_to(f_pts, (len(self), *f_pts.shape))
        c, s = np.cos(self.level_rad)[:, None], np.sin(self.level_rad)[:, None]
        x = c * f_pts[..., 0] - s * f_pts[..., 1]
        y = s * f_pts[..., 0] + c * f_pts[..., 1]
        frontal = np.stack([x, y, f_pts[..., 2]], axis=-1) * _FLIP
        pts = np.einsum("nkj,nij->nki", frontal, self.rotation) + self.origin_px[:, None, :]
        if self.focal_length_px is not None:
            f, centre = self.focal_length_px, self.principal_point_px
            factor = _magnification(pts, f, self.eyes_z)
            if outline:
                factor[:] = 1.0
            pts[..., :2] = (
                centre[:, None, :] + (pts[..., :2] - centre[:, None, :]) / factor[..., None]
            )
            pts[..., :2] = _turn_rays(pts[..., :2], self.sight.transpose(0, 2, 1), f, centre)
        return pts

    def image_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 2) unit image vectors of the face's "up" and "towards the subject's left"
        directions at the eyes."""
        ends = self.to_image(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        lateral = ends[:, 1, :2] - ends[:, 0, :2]
        up = ends[:, 2, :2] - ends[:, 0, :2]
        return (
            up / np.linalg.norm(up, axis=-1, keepdims=True),
            lateral / np.linalg.norm(lateral, axis=-1, keepdims=True),
        )


def fit_rotation(points_px: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations taking the reference face to each mesh (image axes, orthographic)."""
    return FaceFrame.fit(points_px).rotation


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
    """Express meshes in the face frame of an orthographic camera (pose removed,
    interpupillary line horizontal); see :class:`FaceFrame` for the perspective one.

    Parameters
    ----------
    points_px : (N, 478, 3) or (478, 3) landmarks in pixels (z scaled like x).
    rotation : optional (N, 3, 3) rotations to use instead of fitting them.

    Returns
    -------
    (N, 478, 3) or (478, 3) points: X to the subject's left, Y up, Z to the camera, in pixels.
    """
    pts, single = _as_stack(points_px)
    frame = FaceFrame.fit(pts)
    if rotation is not None:
        frame = _with_rotation(pts, np.asarray(rotation, dtype=np.float64))
    out = frame.to_face(pts)
    return out[0] if single else out


def _with_rotation(pts: np.ndarray, rotation: np.ndarray) -> FaceFrame:
    """The orthographic frame of ``pts`` with a given rotation (the level angle refitted)."""
    origin = 0.5 * (pts[:, ix.IRIS_CENTRE_RIGHT] + pts[:, ix.IRIS_CENTRE_LEFT])
    frontal = np.einsum("nkj,nji->nki", pts - origin[:, None, :], rotation) * _FLIP
    ipd = frontal[:, ix.IRIS_CENTRE_LEFT, :2] - frontal[:, ix.IRIS_CENTRE_RIGHT, :2]
    eyes_z = origin[:, 2]
    return FaceFrame(
        rotation=rotation,
        scale_px=np.full(len(pts), np.nan),
        origin_px=origin,
        level_rad=np.arctan2(ipd[:, 1], ipd[:, 0]),
        focal_length_px=None,
        principal_point_px=np.zeros((len(pts), 2)),
        eyes_z=eyes_z,
        sight=np.broadcast_to(np.eye(3), (len(pts), 3, 3)).copy(),
    )


def face_axes_in_image(points_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit 2D image vectors of the face's "up" and "towards the subject's left" directions.

    Used to sample image profiles perpendicular to the interpupillary line.
    """
    pts = np.asarray(points_px, dtype=np.float64)
    lateral = pts[ix.IRIS_CENTRE_LEFT, :2] - pts[ix.IRIS_CENTRE_RIGHT, :2]
    lateral /= np.linalg.norm(lateral)
    up = np.array([lateral[1], -lateral[0]])  # rotate by -90 deg in y-down image axes
    return up, lateral
