"""The project's own 3-D test head: a textured face rendered through a pinhole camera.

Capture geometry (camera distance, head turn) moves the 2-D measurements by about as much as
the treatment effects they look for. This module makes photos of a 3-D head whose pose,
camera distance and local 3-D changes are known exactly, so that the measurement can be
checked against ground truth in millimetres.

**The head** (:func:`sample_head`) is built once per process from the project's neutral
sample face (:func:`tracker.validation.sample_face.neutral_base_face`) and its Face Mesh
landmarks (iris refined). Every texel of the photo inside the head's outline becomes a 3-D
point; the photo is its texture. Scale: the refined iris is 11.71 mm wide
(``Settings.iris_diameter_mm``), i.e. 0.49 mm per texel. Depth, in the photo's frame
(x to the subject's left, y up, z towards the camera, origin midway between the irises):

* an ellipsoid for the skull, half-axes ``HEAD_SEMI_AXES_MM`` (80 mm across, 125 mm up and
  down, centred ``HEAD_CENTRE_Y_MM`` = 5 mm above the eyes, so the crown is at 130 mm); its
  depth centre and depth half-axis are fitted (least squares) to Face Mesh's depth of the
  face-oval points above the ears, so that the sides of the head recede from the face's own
  outline (for the sample face: centre 131 mm behind the eyes, half-axis 160 mm, i.e. the
  front of the ellipsoid 30 mm before the eyes and the sides at |X| = 80 mm, 131 mm behind
  them; Face Mesh's face is deep: nose tip +35 mm, ear points -45 to -51 mm). Beyond the
  skull, out to ``HAIR_SEMI_AXES_MM`` (100 mm across), the hair is a rim at the skull's widest
  depth;
* on the face, Face Mesh's depth (z, same pixel scale as x) as a residual over that
  ellipsoid: interpolated linearly over the mesh's triangles, extended beyond the face oval by
  its nearest value and faded to zero over ``RESIDUAL_FADE_MM`` outside the oval, then
  smoothed with a Gaussian of ``DEPTH_SMOOTHING_MM``: one smooth surface from the nose over
  the cheeks and forehead to the sides of the head;
* below the jaw line (outside the face oval, below the line through the ear points 234 and
  454) and within ``NECK_HALF_WIDTH_MM`` of the midline, the neck: a vertical elliptic
  cylinder whose front is ``NECK_FRONT_Z_MM`` (45 mm behind the eyes, about 45 mm behind the
  chin and 35-40 mm behind the lower jaw border), so the jaw contour is a real silhouette edge
  over a depth step of several centimetres. Outside the head and the neck is the background.

Because the face's depth is Face Mesh's own, the pipeline's depth model fits this head
almost exactly, which a person's face does not: ``sample_head(depth_gain=g)`` scales the
face's relief over the ellipsoid by ``g`` (0.7 and 1.3 in the studies of heads of other
depth), Face Mesh's depth of it staying its model's.

The points are then turned into the head frame (:mod:`tracker.metrics.frame`'s face frame:
the sample photo's own pose, -0.5 deg yaw, -2.5 deg pitch, -2.9 deg roll, is removed, so a
render at zero pose faces the camera like the project's frontal reference face).

**Rendering** (:func:`render`): the head is turned about ``PIVOT_MM`` (90 mm behind the eyes)
by the capture's yaw, pitch and roll, placed so that the midpoint of the irises is
``distance_mm`` from the camera centre with the face (the point ``AIM_MM``) at the image
centre, and projected through a pinhole camera with the focal length of a phone's 35 mm
equivalent. A regular mesh over the texels (a vertex every 1-4 texels, about 3 output pixels
apart) is rasterised in numpy with a depth buffer (so self-occlusion is exact at any pose),
the texture is sampled with ``cv2.remap``, and the head's outline is anti-aliased against a
plain background.

**Known changes** (:meth:`Head.deformed`) move the 3-D points (and the texture with them) with
the fields of :mod:`tracker.warps` evaluated in millimetres in the head frame: a brow lift
(the brow and its upper edge move up by exactly d, fading before the upper lid and higher on
the forehead), a jaw contour moved towards the midline, a mouth corner lifted.
``Head.landmarks_mm`` are the 478 Face Mesh points of the model after the change: the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics import registry
from tracker.photos.camera import focal_length_px
from tracker.settings import DEFAULT_SETTINGS
from tracker.warps import _window

__all__ = [
    "Capture",
    "Head",
    "Rendered",
    "sample_head",
    "build_head",
    "render",
    "random_selfie_capture",
    "save_jpeg",
    "pose_rotation",
    "focal_length_px",
    "FULL_FRAME_DIAGONAL_MM",
    "PIVOT_MM",
    "capture_geometry_study",
    "measure_2d",
    "measure_3d",
    "STUDY_METRICS",
]

# --- the numbers of the model (millimetres, photo or head frame) -----------------------------
HEAD_SEMI_AXES_MM = (80.0, 125.0)  # skull ellipsoid across (X) and up-down (Y); depth is fitted
HEAD_CENTRE_Y_MM = 5.0  # the ellipsoid's centre, above the eyes: the crown at 130 mm
HAIR_SEMI_AXES_MM = (100.0, 125.0)  # the head's outline (the hair), same centre
NECK_HALF_WIDTH_MM = 50.0
RESIDUAL_FADE_MM = 25.0  # Face Mesh's depth fades into the ellipsoid over this, outside the oval
DEPTH_SMOOTHING_MM = 1.5  # Gaussian sigma of the final depth map
NECK_FRONT_Z_MM = -45.0  # the front of the neck, relative to the iris midpoint
NECK_RADIUS_MM = (60.0, 45.0)  # the neck's elliptic cross-section: half-width, half-depth
NECK_BOTTOM_Y_MM = -230.0
# the neck's texels are darkened by this factor: a neck lies in the jaw's shadow, and the
# photo's texels between Face Mesh's face oval and the photo's own outline are skin, which
# would otherwise draw a second, false outline on the neck 45 mm behind the face. Shaded,
# the visible jaw outline is the model's face rim: the oval through the landmarks (the truth)
NECK_SHADE = 0.6
JAW_ROUNDING_MM = 12.0  # the lower face rounds off to its outline over this (quarter circle)
PIVOT_MM = (0.0, 0.0, -90.0)  # head turns about this point of the head frame
AIM_MM = (0.0, -25.0, 0.0)  # the head point placed at the image centre (between nose and eyes)
FULL_FRAME_DIAGONAL_MM = 43.267
BROW_MARGIN_MM = 1.0  # a brow lift's flat top reaches this far below the brow's lower edge  # diagonal of a 36 x 24 mm frame

# Face Mesh's face oval, from the forehead (10) clockwise as seen in the photo
FACE_OVAL = ix.SILHOUETTE
EAR_RIGHT, EAR_LEFT = 234, 454


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """A textured 3-D head: every texel of ``texture`` inside ``mask`` is a point of the surface.

    ``points_mm`` (H, W, 3) float32 is each texel's position in the head frame (mm; X to the
    subject's left, Y up, Z towards the camera, origin midway between the iris centres);
    ``mask`` (H, W) bool which texels belong to the head; ``texture`` (H, W, 3) uint8 RGB.
    ``landmarks_mm`` (478, 3) are the model's Face Mesh points (on the surface);
    ``background_rgb`` the plain background's colour; ``texel_mm`` the texture's scale;
    ``changes`` the 3-D changes applied (name -> {"left": mm, "right": mm}).
    """

    texture: np.ndarray
    mask: np.ndarray
    points_mm: np.ndarray
    landmarks_mm: np.ndarray
    background_rgb: tuple[int, int, int]
    texel_mm: float
    changes: dict = field(default_factory=dict)

    def deformed(
        self,
        *,
        brow_lift_mm: dict | None = None,
        jaw_in_mm: dict | None = None,
        mouth_corner_lift_mm: dict | None = None,
    ) -> Head:
        """This head with known 3-D changes (mm per side, the subject's "left"/"right").

        Parameters
        ----------
        brow_lift_mm : the whole brow, its upper edge included, moves up (+Y) by d; the move
            fades to zero above the upper lid and high on the forehead
            (:func:`tracker.warps.brow_lift_field`).
        jaw_in_mm : the lower-face contour (ramus, jaw corner, lower border) moves towards the
            midline (along X) by d, fading towards the cheek and the chin
            (:func:`tracker.warps.jaw_contour_field`).
        mouth_corner_lift_mm : the mouth corner (291 left, 61 right) moves up by d
            (:func:`tracker.warps.mouth_corner_field`).

        Every field is evaluated on the frontal (X, Y) of each point and moves it in X and Y;
        Z is kept. Fields are applied one after another, each on the previous result.

        Returns
        -------
        Head
            A new head; ``landmarks_mm`` are the landmarks after the change.

        Raises
        ------
        ValueError
            For an unknown side, or a change too large for the room around it.
        """
        from tracker import warps

        def brow_field(flat, *, side, shift_px):
            # the flat top reaches BROW_MARGIN_MM below the brow's lower edge, so the whole
            # brow moves rigidly (the fade is left between the brow and the upper lid)
            upper = ix.BROW_UPPER_LEFT if side == "left" else ix.BROW_UPPER_RIGHT
            lower = ix.BROW_LOWER_LEFT if side == "left" else ix.BROW_LOWER_RIGHT
            thickness = float(np.max(flat[list(lower), 1] - flat[list(upper), 1]))
            iris = (
                float(np.linalg.norm(flat[ix.IRIS_CENTRE_LEFT] - flat[ix.IRIS_CENTRE_RIGHT])) / 5.3
            )
            return warps.brow_lift_field(
                flat, side=side, shift_px=shift_px, margin_below=(thickness + BROW_MARGIN_MM) / iris
            )

        makers = (
            ("brow_lift_mm", brow_lift_mm, brow_field),
            ("jaw_in_mm", jaw_in_mm, warps.jaw_contour_field),
            ("mouth_corner_lift_mm", mouth_corner_lift_mm, warps.mouth_corner_field),
        )
        points = self.points_mm.copy()
        landmarks = self.landmarks_mm.copy()
        changes = {k: dict(v) for k, v in self.changes.items()}
        for name, sides, maker in makers:
            for side, size_mm in (sides or {}).items():
                if side not in ("left", "right"):
                    raise ValueError(f"side must be 'left' or 'right', not {side!r}")
                if not size_mm:
                    continue
                # the fields work in image-like axes (y down): pass (X, -Y) in millimetres
                flat = np.column_stack([landmarks[:, 0], -landmarks[:, 1]])
                displacement, region = maker(flat, side=side, shift_px=float(size_mm))
                _move(points, self.mask, displacement, region)
                dx, dy = displacement(landmarks[:, 0].copy(), -landmarks[:, 1])
                landmarks[:, 0] += dx
                landmarks[:, 1] -= dy
                changes.setdefault(name, {})
                changes[name][side] = changes[name].get(side, 0.0) + float(size_mm)
        return replace(self, points_mm=points, landmarks_mm=landmarks, changes=changes)


def _move(points: np.ndarray, mask: np.ndarray, displacement, region) -> None:
    """Apply a field (in (X, -Y) axes) to the masked points within its region, in place."""
    x0, y0, x1, y1 = region  # in (X, -Y)
    x, y = points[..., 0], points[..., 1]
    inside = mask & (x >= x0) & (x <= x1) & (-y >= y0) & (-y <= y1)
    dx, dy = displacement(x[inside].astype(np.float64), -y[inside].astype(np.float64))
    points[inside, 0] += dx.astype(np.float32)
    points[inside, 1] -= dy.astype(np.float32)


@dataclass(frozen=True)
class Capture:
    """How one photo of the head is taken.

    Pose in degrees, signed like :class:`tracker.types.Pose` (yaw > 0 turns towards the
    subject's left, pitch > 0 chin up, roll > 0 raises the subject's left eye), applied about
    ``PIVOT_MM``. ``distance_mm`` from the camera centre to the midpoint of the irises;
    ``focal_length_35mm`` the 35 mm-equivalent focal length (on the diagonal);
    ``image_size_px`` (width, height); ``offset_px`` moves the face from the image centre
    (right, down). Nuisances: ``light_gain`` (x all channels), ``colour_gains`` (x R, G, B),
    ``noise_sd`` (Gaussian sensor noise, grey levels), ``jpeg_quality`` (None: no JPEG
    round trip), ``seed`` for the noise.
    """

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    distance_mm: float = 400.0
    focal_length_35mm: float = 26.0
    image_size_px: tuple[int, int] = (1512, 2016)
    offset_px: tuple[float, float] = (0.0, 0.0)
    light_gain: float = 1.0
    colour_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    noise_sd: float = 0.0
    jpeg_quality: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class Rendered:
    """One rendered photo of a head and its ground truth.

    ``pixels`` (H, W, 3) uint8 RGB; ``focal_length_px`` the camera's focal length in pixels;
    ``landmarks_px`` (478, 2) the model's landmarks projected into the image (x right, y
    down, pixel centres at integers); ``landmarks_mm`` (478, 3) the same points in the head
    frame (after any change, before the pose); ``landmarks_camera_mm`` (478, 3) in camera
    axes (x right, y down, z forward); ``capture`` how it was taken.
    """

    pixels: np.ndarray
    focal_length_px: float
    landmarks_px: np.ndarray
    landmarks_mm: np.ndarray
    landmarks_camera_mm: np.ndarray
    capture: Capture


# --- building the head ----------------------------------------------------------------------


def _photo_to_head(points_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linear map (3, 3) from the photo frame (x right, y up, z to the camera) to the head
    frame, and the iris midpoint (3,) in photo pixels (z like x): the face frame's pose removal
    (:func:`tracker.metrics.frame.to_face_frame`) written as one matrix."""
    from tracker.metrics.frame import fit_rotation

    rotation = fit_rotation(points_px)[0]
    flip = np.diag([1.0, -1.0, -1.0])
    linear = flip @ rotation.T @ flip  # photo frame -> frontal, both in (x, y up, z to camera)
    origin = 0.5 * (points_px[ix.IRIS_CENTRE_RIGHT] + points_px[ix.IRIS_CENTRE_LEFT])
    frontal = (flip @ (points_px - origin).T).T @ linear.T
    ipd = frontal[ix.IRIS_CENTRE_LEFT, :2] - frontal[ix.IRIS_CENTRE_RIGHT, :2]
    angle = -math.atan2(ipd[1], ipd[0])
    c, s = math.cos(angle), math.sin(angle)
    in_plane = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return in_plane @ linear, origin


def build_head(
    pixels: np.ndarray,
    points_px: np.ndarray,
    *,
    iris_diameter_mm: float = DEFAULT_SETTINGS.iris_diameter_mm,
    neck_shade: float = NECK_SHADE,
    depth_gain: float = 1.0,
) -> Head:
    """A textured 3-D head from a frontal photo and its (iris-refined) Face Mesh landmarks.
    ``neck_shade`` darkens the neck's texture (1.0: as lit as the face).

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB, a frontal, neutral face with the whole head in view.
    points_px : (478, 3) Face Mesh landmarks of ``pixels`` (z scaled like x), irises refined
        (:func:`tracker.metrics.refine.refine_irises`).
    iris_diameter_mm : the horizontal visible iris diameter that sets the scale.
    depth_gain : the face's relief over the skull ellipsoid (Face Mesh's depth of the photo,
        as a residual over it) is multiplied by this: 1 keeps Face Mesh's own depth, which
        the pipeline's depth model then fits almost exactly; 0.7 or 1.3 make a shallower or
        deeper face than the model's (the brows 0 or 11 mm in front of the eyes instead of
        5.6), as a person's is (:func:`tracker.validation.levers.depth_lever_study`).

    Returns
    -------
    Head
        See the module docstring for the surface, the depth and the numbers chosen.
    """
    from scipy.interpolate import LinearNDInterpolator
    from scipy.ndimage import distance_transform_edt

    from tracker.metrics import geometry
    from tracker.metrics.frame import to_face_frame

    pts = np.asarray(points_px, dtype=np.float64)
    iris_px = float(geometry.iris_diameter_px(to_face_frame(pts)[None])[0])
    texel_mm = iris_diameter_mm / iris_px
    to_head, origin = _photo_to_head(pts)
    # landmarks in the photo frame, mm
    lm = (pts - origin) * np.array([1.0, -1.0, -1.0]) * texel_mm

    # the crop of the photo that holds the head and neck
    a, b = HEAD_SEMI_AXES_MM
    hair_a, hair_b = HAIR_SEMI_AXES_MM
    top = HEAD_CENTRE_Y_MM + hair_b
    h_img, w_img = pixels.shape[:2]
    x_lo = max(0, int(math.floor(origin[0] - hair_a / texel_mm)) - 2)
    x_hi = min(w_img, int(math.ceil(origin[0] + hair_a / texel_mm)) + 3)
    y_lo = max(0, int(math.floor(origin[1] - top / texel_mm)) - 2)
    y_hi = min(h_img, int(math.ceil(origin[1] - NECK_BOTTOM_Y_MM / texel_mm)) + 3)
    texture = np.array(pixels[y_lo:y_hi, x_lo:x_hi])
    gy, gx = np.mgrid[y_lo:y_hi, x_lo:x_hi].astype(np.float64)
    x = (gx - origin[0]) * texel_mm
    y = -(gy - origin[1]) * texel_mm
    sigma_px = DEPTH_SMOOTHING_MM / texel_mm

    # the skull ellipsoid, its depth centre and half-axis fitted to the upper face oval
    q = 1.0 - (x / a) ** 2 - ((y - HEAD_CENTRE_Y_MM) / b) ** 2
    oval = lm[list(FACE_OVAL)]
    ear_y = min(lm[EAR_RIGHT, 1], lm[EAR_LEFT, 1])
    upper = oval[oval[:, 1] >= ear_y]
    g = np.sqrt(
        np.clip(
            1.0 - (upper[:, 0] / a) ** 2 - ((upper[:, 1] - HEAD_CENTRE_Y_MM) / b) ** 2, 0.0, None
        )
    )
    (z_centre, c), *_ = np.linalg.lstsq(
        np.column_stack([np.ones_like(g), g]), upper[:, 2], rcond=None
    )
    ellipsoid = z_centre + c * np.sqrt(np.clip(q, 0.0, None))

    # the face: Face Mesh's depth as a residual over the ellipsoid, faded outside the oval
    oval_px = np.round((pts[list(FACE_OVAL), :2] - [x_lo, y_lo]) * 16).astype(np.int32)
    in_face = np.zeros(x.shape, np.uint8)
    cv2.fillPoly(in_face, [oval_px], 1, lineType=cv2.LINE_8, shift=4)  # type: ignore[call-overload]
    in_face = in_face.astype(bool)
    mesh = lm[:468]
    g_mesh = np.sqrt(
        np.clip(1.0 - (mesh[:, 0] / a) ** 2 - ((mesh[:, 1] - HEAD_CENTRE_Y_MM) / b) ** 2, 0.0, None)
    )
    residual_at = mesh[:, 2] - (z_centre + c * g_mesh)
    interpolate = LinearNDInterpolator(mesh[:, :2], residual_at)
    residual = interpolate(x, y)
    known = np.isfinite(residual) & in_face
    distance, (iy, jx) = distance_transform_edt(~known, return_indices=True)
    residual = residual[iy, jx]
    fade = _window(distance * texel_mm, -1.0, 0.0, 1.0, RESIDUAL_FADE_MM)
    residual = cv2.GaussianBlur((residual * fade * depth_gain).astype(np.float32), (0, 0), sigma_px)
    z = ellipsoid + residual
    z = z + _jaw_rounding(in_face, y, ear_y, texel_mm)

    # the neck: below the jaw line and near the midline, an elliptic cylinder set back
    neck = ~in_face & (y < ear_y) & (np.abs(x) < NECK_HALF_WIDTH_MM) & (y >= NECK_BOTTOM_Y_MM)
    rx, rz = NECK_RADIUS_MM
    z_neck = NECK_FRONT_Z_MM - rz * (1.0 - np.sqrt(np.clip(1.0 - (x / rx) ** 2, 0.0, None)))
    # beyond the skull (|X| > 80 mm) the hair is a rim at the skull's widest depth
    in_hair = (x / hair_a) ** 2 + ((y - HEAD_CENTRE_Y_MM) / hair_b) ** 2 < 1.0
    head_part = in_hair & (in_face | (y >= ear_y))
    face_z = z  # the face's surface, continued past its outline (for the landmarks' depth)
    z = np.where(neck, z_neck, z)
    mask = head_part | neck
    texture[neck] = np.rint(texture[neck] * neck_shade).astype(np.uint8)

    photo = np.stack([x, y, z], axis=-1)
    points = (photo @ to_head.T).astype(np.float32)

    # the landmarks ride on the surface: the (smoothed) depth at their texel position
    z_at = cv2.remap(
        face_z.astype(np.float32),
        (pts[:, 0] - x_lo).astype(np.float32)[None],
        (pts[:, 1] - y_lo).astype(np.float32)[None],
        cv2.INTER_LINEAR,
    )[0]
    landmarks = np.column_stack([lm[:, 0], lm[:, 1], z_at]) @ to_head.T
    # the origin: exactly midway between the iris centres on the surface
    eyes = 0.5 * (landmarks[ix.IRIS_CENTRE_LEFT] + landmarks[ix.IRIS_CENTRE_RIGHT])
    landmarks = landmarks - eyes
    points = (points - eyes).astype(np.float32)

    # a plain background with the colour of the photo's own backdrop (its top corners)
    corners = np.concatenate([pixels[:40, :40].reshape(-1, 3), pixels[:40, -40:].reshape(-1, 3)])
    red, green, blue = (int(v) for v in np.median(corners, axis=0))
    background = (red, green, blue)
    return Head(
        texture=texture,
        mask=mask,
        points_mm=points,
        landmarks_mm=landmarks,
        background_rgb=background,
        texel_mm=texel_mm,
    )


def _jaw_rounding(in_face: np.ndarray, y: np.ndarray, ear_y: float, texel_mm: float) -> np.ndarray:
    """(H, W) depth (mm, <= 0) that rounds the lower face off towards its outline: within
    ``JAW_ROUNDING_MM`` inside the face oval below the ear line, a quarter circle of that
    radius, tangent to the surface inside and to the line of sight at the outline. A real
    jaw's outline is where the line of sight grazes the skin (an occluding contour), not a rim
    where the surface ends facing the camera; only such an outline moves with a head turn
    as a point of the surface does (to first order)."""
    from scipy.ndimage import distance_transform_edt

    inside_mm = distance_transform_edt(in_face) * texel_mm - 0.5 * texel_mm
    d = np.clip(inside_mm, 0.0, JAW_ROUNDING_MM)
    r = JAW_ROUNDING_MM
    drop = -(r - np.sqrt(np.clip(r * r - (r - d) ** 2, 0.0, None)))
    return np.where(y < ear_y, drop, 0.0)


@lru_cache(maxsize=2)
def sample_head(neck_shade: float = NECK_SHADE, depth_gain: float = 1.0) -> Head:
    """The project's 3-D test head, built from the neutral sample face (cached in-process).
    ``neck_shade``, ``depth_gain``: see :func:`build_head` (the front view's studies shade
    the neck, so that its edge 45 mm behind the jaw is no second jaw outline; the profile's
    light it as the face).

    Returns
    -------
    Head
        Treat it as read-only: :meth:`Head.deformed` returns changed copies.
    """
    from tracker.metrics.refine import refine_irises
    from tracker.validation.sample_face import neutral_base_face

    pixels, result = neutral_base_face()
    assert result.landmarks is not None  # the neutral base face is always found
    irises = refine_irises(pixels, result.landmarks.points_px)
    head = build_head(pixels, irises.points_px, neck_shade=neck_shade, depth_gain=depth_gain)
    for array in (head.texture, head.mask, head.points_mm, head.landmarks_mm):
        array.setflags(write=False)
    return head


# --- the camera -------------------------------------------------------------------------------


def pose_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """(3, 3) rotation in head axes (X subject's left, Y up, Z to the camera) for a pose signed
    like :class:`tracker.types.Pose`: R = Rz(roll) Ry(yaw) Rx(-pitch)."""
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _camera_transform(capture: Capture, f_px: float):
    """(3, 3) linear part and (3,) translation taking head-frame points to camera axes."""
    rotation = pose_rotation(capture.yaw_deg, capture.pitch_deg, capture.roll_deg)
    pivot = np.asarray(PIVOT_MM)
    to_camera = np.diag([1.0, -1.0, -1.0]) @ rotation  # then x right, y down, z forward
    shift = to_camera @ (-pivot) + np.diag([1.0, -1.0, -1.0]) @ pivot  # of R (p - c) + c
    eyes = shift  # the iris midpoint (head origin) before translation
    aim = to_camera @ np.asarray(AIM_MM) + shift
    ray = np.array([capture.offset_px[0] / f_px, capture.offset_px[1] / f_px, 1.0])
    ray /= np.linalg.norm(ray)
    # translation t: aim + t = s * ray and |eyes + t| = distance
    d = eyes - aim
    half_b = ray @ d
    s = -half_b + math.sqrt(half_b**2 - (d @ d - capture.distance_mm**2))
    translation = s * ray - aim + shift
    return to_camera, translation


def _project(points_cam: np.ndarray, f_px: float, centre_px: np.ndarray) -> np.ndarray:
    return f_px * points_cam[..., :2] / points_cam[..., 2:3] + centre_px


# --- rasterising ------------------------------------------------------------------------------

_BINS = (2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def _barycentric(ax, ay, bx, by, cx, cy, px, py):
    """Barycentric weights of the points (px, py) in the triangles (a, b, c), or None."""
    area2 = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(np.abs(area2) > 1e-9, 1.0 / area2, np.nan).astype(np.float32)
    w0 = ((bx - px) * (cy - py) - (cx - px) * (by - py)) * inv
    w1 = ((cx - px) * (ay - py) - (ax - px) * (cy - py)) * inv
    return w0, w1, 1.0 - w0 - w1


def _rasterise(
    xy: np.ndarray,
    depth: np.ndarray,
    uv: np.ndarray,
    quads: np.ndarray,
    halves: np.ndarray,
    size: tuple[int, int],
):
    """Texture coordinates of the nearest surface at every pixel centre (a depth buffer).

    ``quads`` (Q, 4) vertex indices (a, b, c, d) of grid cells split into the triangles
    (a, b, c) and (b, d, c); ``halves`` (Q, 2) bool says which of the two belong to the mesh.
    Each quad's candidate pixels (its bounding box) are tested against both triangles at once,
    vectorised over quads of similar size.

    Returns (map_u, map_v, covered) over the (H, W) image; uncovered pixels have map -1.
    """
    width, height = size
    quad_xy = xy[quads]  # (Q, 4, 2)
    lo = np.maximum(np.floor(quad_xy.min(axis=1)).astype(np.int64) + 1, 0)
    hi = np.floor(quad_xy.max(axis=1)).astype(np.int64)
    hi[:, 0] = np.minimum(hi[:, 0], width - 1)
    hi[:, 1] = np.minimum(hi[:, 1], height - 1)
    extent = (hi - lo + 1).max(axis=1)
    rel = (quad_xy - lo[:, None, :]).astype(np.float32)  # vertex positions relative to lo
    pix_parts, dep_parts, u_parts, v_parts = [], [], [], []
    previous = 0
    for k in _BINS + (max(int(extent.max(initial=0)), _BINS[-1]),):
        sel = np.where((extent > previous) & (extent <= k))[0]
        previous = k
        if sel.size == 0:
            continue
        oy, ox = np.divmod(np.arange(k * k), k)
        ox = ox.astype(np.float32)[None, :]
        oy = oy.astype(np.float32)[None, :]
        in_box = (ox <= (hi[sel, 0:1] - lo[sel, 0:1])) & (oy <= (hi[sel, 1:2] - lo[sel, 1:2]))
        r = rel[sel]
        for half, (i, j, m) in enumerate(((0, 1, 2), (1, 3, 2))):
            w0, w1, w2 = _barycentric(
                r[:, i, 0:1],
                r[:, i, 1:2],
                r[:, j, 0:1],
                r[:, j, 1:2],
                r[:, m, 0:1],
                r[:, m, 1:2],
                ox,
                oy,
            )
            eps = -1e-5
            inside = (w0 >= eps) & (w1 >= eps) & (w2 >= eps) & in_box & halves[sel, half : half + 1]
            rows, cols = np.nonzero(inside)
            if rows.size == 0:
                continue
            w0, w1, w2 = w0[rows, cols], w1[rows, cols], w2[rows, cols]
            q = quads[sel[rows]]
            vi, vj, vm = q[:, i], q[:, j], q[:, m]
            px = lo[sel[rows], 0] + ox[0, cols].astype(np.int64)
            py = lo[sel[rows], 1] + oy[0, cols].astype(np.int64)
            pix_parts.append(py * width + px)
            dep_parts.append(w0 * depth[vi] + w1 * depth[vj] + w2 * depth[vm])
            u_parts.append(w0 * uv[vi, 0] + w1 * uv[vj, 0] + w2 * uv[vm, 0])
            v_parts.append(w0 * uv[vi, 1] + w1 * uv[vj, 1] + w2 * uv[vm, 1])
    map_u = np.full(width * height, -1.0, np.float32)
    map_v = np.full(width * height, -1.0, np.float32)
    zbuf = np.full(width * height, np.inf, np.float32)
    if pix_parts:
        pix = np.concatenate(pix_parts)
        dep = np.concatenate(dep_parts).astype(np.float32)
        np.minimum.at(zbuf, pix, dep)
        front = dep <= zbuf[pix]
        map_u[pix[front]] = np.concatenate(u_parts)[front]
        map_v[pix[front]] = np.concatenate(v_parts)[front]
    covered = np.isfinite(zbuf)
    return (
        map_u.reshape(height, width),
        map_v.reshape(height, width),
        covered.reshape(height, width),
    )


def _mesh(mask: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid mesh over the texels of ``mask``, a vertex every ``step`` texels.

    Returns vertex texel indices (V, 2) (row, col), quads (Q, 4) (top-left, top-right,
    bottom-left, bottom-right) and (Q, 2) flags for their two triangles (a, b, c) and (b, d, c),
    each kept when its three corners are in ``mask``.
    """
    rows = np.arange(0, mask.shape[0], step)
    cols = np.arange(0, mask.shape[1], step)
    sub = mask[np.ix_(rows, cols)].ravel()
    index = np.arange(rows.size * cols.size).reshape(rows.size, cols.size)
    quads = np.column_stack(
        [
            index[:-1, :-1].ravel(),
            index[:-1, 1:].ravel(),
            index[1:, :-1].ravel(),
            index[1:, 1:].ravel(),
        ]
    )
    inside = sub[quads]
    halves = np.column_stack([inside[:, [0, 1, 2]].all(axis=1), inside[:, [1, 3, 2]].all(axis=1)])
    keep = halves.any(axis=1)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return np.column_stack([rr.ravel(), cc.ravel()]), quads[keep], halves[keep]


def render(head: Head, capture: Capture = Capture()) -> Rendered:
    """Photograph the head through a pinhole camera.

    Parameters
    ----------
    head : from :func:`sample_head` (optionally :meth:`Head.deformed`).
    capture : pose, distance, camera and nuisances.

    Returns
    -------
    Rendered
        The image and its ground truth (projected and 3-D landmarks, focal length in px).
    """
    width, height = capture.image_size_px
    f_px = focal_length_px(capture.focal_length_35mm, capture.image_size_px)
    centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    linear, translation = _camera_transform(capture, f_px)

    # about 3 output pixels between vertices
    magnification = f_px * head.texel_mm / capture.distance_mm
    step = int(min(4, max(1, round(3.0 / magnification))))
    vertices, quads, halves = _mesh(head.mask, step)
    cam = head.points_mm[vertices[:, 0], vertices[:, 1]].astype(np.float64) @ linear.T + translation
    xy = _project(cam, f_px, centre)
    uv = vertices[:, ::-1].astype(np.float64)  # texel (x, y) = (col, row)
    map_u, map_v, covered = _rasterise(
        xy.astype(np.float32),
        cam[:, 2].astype(np.float32),
        uv.astype(np.float32),
        quads,
        halves,
        (width, height),
    )

    image = np.empty((height, width, 3), np.uint8)
    image[:] = head.background_rgb
    rows = np.nonzero(covered.any(axis=1))[0]
    cols = np.nonzero(covered.any(axis=0))[0]
    if rows.size:
        y0, y1 = max(rows.min() - 2, 0), min(rows.max() + 3, height)
        x0, x1 = max(cols.min() - 2, 0), min(cols.max() + 3, width)
        face = cv2.remap(
            head.texture,
            map_u[y0:y1, x0:x1],
            map_v[y0:y1, x0:x1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        ).astype(np.float32)
        # anti-aliased outline: a slightly blurred coverage, only where the head meets the
        # background (the texture is nearest-extended over the uncovered pixels first)
        alpha = cv2.GaussianBlur(covered[y0:y1, x0:x1].astype(np.float32), (0, 0), 0.5)
        alpha = np.where(covered[y0:y1, x0:x1], np.maximum(alpha, 0.5), 0.0)[..., None]
        back = np.asarray(head.background_rgb, np.float32)
        image[y0:y1, x0:x1] = np.rint(face * alpha + back * (1.0 - alpha)).astype(np.uint8)
    image = _nuisances(image, capture)

    lm_cam = head.landmarks_mm @ linear.T + translation
    return Rendered(
        pixels=image,
        focal_length_px=f_px,
        landmarks_px=_project(lm_cam, f_px, centre),
        landmarks_mm=np.array(head.landmarks_mm),
        landmarks_camera_mm=lm_cam,
        capture=capture,
    )


def _nuisances(image: np.ndarray, capture: Capture) -> np.ndarray:
    """Light gain, colour cast, sensor noise (seeded) and a JPEG round trip, as uint8 RGB."""
    gains = capture.light_gain * np.asarray(capture.colour_gains, dtype=np.float32)
    out = image
    if np.any(gains != 1.0) or capture.noise_sd > 0:
        scaled = image * gains
        if capture.noise_sd > 0:
            rng = np.random.default_rng(capture.seed)
            scaled += rng.standard_normal(scaled.shape, dtype=np.float32) * np.float32(
                capture.noise_sd
            )
        out = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if capture.jpeg_quality is not None:
        ok, buf = cv2.imencode(
            ".jpg",
            cv2.cvtColor(out, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, int(capture.jpeg_quality)],
        )
        out = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return out


# --- selfie series ----------------------------------------------------------------------------


def random_selfie_capture(rng: np.random.Generator, **fixed) -> Capture:
    """A capture drawn like a hand-held selfie: yaw +/-4 deg, pitch +/-3, roll +/-6, distance
    33-50 cm, light +/-15 %, a colour cast of +/-4 % on red and blue, sensor noise SD 1-2.5
    grey levels, JPEG quality 80-95 (all uniform), and a noise seed. ``fixed`` overrides any
    field (e.g. ``focal_length_35mm=24``)."""
    drawn: dict[str, Any] = dict(
        yaw_deg=float(rng.uniform(-4, 4)),
        pitch_deg=float(rng.uniform(-3, 3)),
        roll_deg=float(rng.uniform(-6, 6)),
        distance_mm=float(rng.uniform(330, 500)),
        light_gain=float(rng.uniform(0.85, 1.15)),
        colour_gains=(float(rng.uniform(0.96, 1.04)), 1.0, float(rng.uniform(0.96, 1.04))),
        noise_sd=float(rng.uniform(1.0, 2.5)),
        jpeg_quality=int(rng.integers(80, 96)),
        seed=int(rng.integers(0, 2**31 - 1)),
    )
    drawn.update(fixed)
    return Capture(**drawn)


def save_jpeg(
    path: str | Path, rendered: Rendered, *, quality: int = 92, captured_at: datetime | None = None
) -> Path:
    """Write a rendered capture as a JPEG with EXIF ``FocalLengthIn35mmFilm`` (and
    ``DateTimeOriginal`` when ``captured_at`` is given), like a phone's photo.

    The pixels are encoded once more at ``quality`` (Pillow, 4:2:0). Returns the path.
    """
    from PIL import Image

    path = Path(path)
    image = Image.fromarray(rendered.pixels)
    tags = Image.Exif()
    tags[0x010F] = "facetrack head3d"  # Make
    exif = tags.get_ifd(0x8769)
    exif[0xA405] = int(round(rendered.capture.focal_length_35mm))  # FocalLengthIn35mmFilm
    if captured_at is not None:
        exif[0x9003] = captured_at.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    image.save(path, quality=quality, exif=tags)
    return path


# --- the capture-geometry study ------------------------------------------------------------------

STUDY_METRICS = (*registry.names(family="brow_height"), *registry.names(family="jaw_angle"))
# each condition is rendered with the face at these offsets from the image centre (px) and
# the readings averaged: Face Mesh jitters by a few tenths of a mm with the exact framing
STUDY_OFFSETS_PX = ((0.0, 0.0), (37.0, -23.0), (-29.0, 31.0))
# (condition, compared with): the capture-geometry changes of the study
STUDY_COMPARISONS: tuple[tuple[str, dict[str, float], str, dict[str, float]], ...] = (
    ("distance 300 mm", dict(distance_mm=300.0), "distance 600 mm", dict(distance_mm=600.0)),
    ("distance 350 mm", dict(distance_mm=350.0), "reference", {}),
    ("distance 500 mm", dict(distance_mm=500.0), "reference", {}),
    ("yaw +4 deg", dict(yaw_deg=4.0), "reference", {}),
    ("yaw -4 deg", dict(yaw_deg=-4.0), "reference", {}),
    ("yaw +8 deg", dict(yaw_deg=8.0), "reference", {}),
    ("yaw -8 deg", dict(yaw_deg=-8.0), "reference", {}),
    ("pitch +3 deg", dict(pitch_deg=3.0), "reference", {}),
    ("pitch -3 deg", dict(pitch_deg=-3.0), "reference", {}),
    ("pitch +6 deg", dict(pitch_deg=6.0), "reference", {}),
    ("pitch -6 deg", dict(pitch_deg=-6.0), "reference", {}),
)
STUDY_BROW_LIFTS_MM = (1.0, 2.0)


def measure_2d(pixels: np.ndarray, focal_length_px: float) -> dict[str, float] | None:
    """The 2-D face frame (the pipeline before the perspective frame, commit 834a56c): the
    pipeline's refined landmarks and iris scale, metrics computed for an orthographic camera
    (``geometry.compute_metrics(..., focal_length_px=None)``). None when the image is rejected.
    ``focal_length_px`` is not used."""
    from tracker.metrics import geometry
    from tracker.pipeline import measure_pixels

    result = measure_pixels(pixels)
    if result.status != "ok":
        return None
    assert result.refined_points_px is not None and result.measurement is not None  # "ok"
    values = geometry.compute_metrics(
        result.refined_points_px,
        result.measurement.scale_mm_per_px,
        focal_length_px=None,
        face_mesh_points_px=None if result.landmarks is None else result.landmarks.points_px,
    )
    return {k: float(v) for k, v in values.items()}


def _measured(pixels: np.ndarray, focal_length_px: float):
    """The pipeline's result for a render, told its focal length (as from EXIF; the principal
    point at the image centre); None when the image is rejected."""
    from tracker.pipeline import measure_pixels
    from tracker.types import Camera

    height, width = pixels.shape[:2]
    f35 = focal_length_px * FULL_FRAME_DIAGONAL_MM / math.hypot(width, height)
    result = measure_pixels(pixels, camera=Camera(focal_length_px, f35, "exif-35mm"))
    return result if result.status == "ok" else None


def measure_3d(
    pixels: np.ndarray, focal_length_px: float, *, with_distance: bool = False
) -> dict[str, float] | None:
    """The pipeline with its perspective face frame, told the camera's focal length (as from
    EXIF; the principal point at the image centre): the metrics and the pose (``yaw_deg``,
    ``pitch_deg``, ``roll_deg``), with ``with_distance`` also the camera's distance measured
    from the iris (``camera_distance_mm``, not a metric: pop it before rescaling). None when
    the image is rejected."""
    result = _measured(pixels, focal_length_px)
    if result is None:
        return None
    assert result.measurement is not None and result.quality is not None  # "ok"
    metrics = dict(result.measurement.metrics)
    pose = result.quality.pose
    metrics.update(yaw_deg=pose.yaw_deg, pitch_deg=pose.pitch_deg, roll_deg=pose.roll_deg)
    if with_distance:
        metrics["camera_distance_mm"] = result.measurement.camera_distance_mm
    return metrics


def measure_3d_true_pose(rendered: Rendered) -> dict[str, float] | None:
    """:func:`measure_3d`, with the face frame's pose fitted to the render's true landmarks
    instead of Face Mesh's: the pipeline's refined points (the outlines found in the image)
    and its scale, read in the frame of the head's true pose relative to the line of sight
    (the same reference-face fit, on the model's exact points). What is left of a turn's
    effect is then the outline's own (where the line of sight grazes the jaw), not an error
    of the pose. ``yaw_deg`` ... are the true frame's. None when the image is rejected."""
    from tracker.metrics import geometry
    from tracker.metrics.frame import FaceFrame

    pixels, f = rendered.pixels, rendered.focal_length_px
    height, width = pixels.shape[:2]
    result = _measured(pixels, f)
    if result is None:
        return None
    assert result.refined_points_px is not None and result.measurement is not None  # "ok"
    assert result.landmarks is not None  # "ok"
    camera = rendered.landmarks_camera_mm
    eyes_z = 0.5 * (camera[ix.IRIS_CENTRE_RIGHT, 2] + camera[ix.IRIS_CENTRE_LEFT, 2])
    # Face Mesh's convention: x, y in pixels, z the depth relative to the face in x's scale
    true_px = np.column_stack([rendered.landmarks_px, (camera[:, 2] - eyes_z) * f / eyes_z])
    centre = np.array([width / 2.0 - 0.5, height / 2.0 - 0.5])
    frame = FaceFrame.fit(true_px, focal_length_px=f, principal_point_px=centre)
    found = np.array(
        [
            [
                not math.isnan(result.measurement.metrics[f"jaw_contour_55_{side}_mm"])
                for side in ("right", "left")
            ]
        ]
    )
    values = geometry.compute_metrics(
        result.refined_points_px[None],
        result.measurement.scale_mm_per_px,
        frame=frame,
        jaw_found=found,
        face_mesh_points_px=result.landmarks.points_px[None],
    )
    metrics = {name: float(np.ravel(values[name])[0]) for name in geometry.METRIC_NAMES}
    yaw, pitch, roll = (float(a) for a in frame.pose_deg[0])
    metrics.update(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll)
    return metrics


def capture_geometry_study(
    measure=measure_2d, *, head: Head | None = None, base: Capture = Capture()
) -> list[dict]:
    """How capture geometry and a true 3-D brow lift move the metrics of one head.

    Every capture (``base`` with the study's changes, see ``STUDY_COMPARISONS``) is rendered
    at the ``STUDY_OFFSETS_PX`` framings, measured with ``measure(pixels, focal_length_px)``
    (-> metric dict, or None when rejected) and averaged. Millimetre metrics are put on a
    fixed person scale: multiplied by the reference capture's ``interpupillary_mm`` over the
    capture's own (:func:`tracker.metrics.scale.rescale_metrics`).

    Returns
    -------
    list of dict
        One row per comparison: ``kind`` ("geometry", "brow_lift" or "noise"),
        ``condition``, ``versus``, ``true_mm`` (brow lifts), ``n`` (framings accepted) and
        for every metric of ``STUDY_METRICS`` the change (condition minus versus); the
        "noise" row holds the SD over framings of the reference capture.
    """
    from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics

    head = sample_head() if head is None else head
    cache: dict = {}

    def readings(name, changes, model=head):
        if name not in cache:
            values = []
            for offset in STUDY_OFFSETS_PX:
                capture = replace(base, offset_px=offset, **changes)
                rendered = render(model, capture)
                m = measure(rendered.pixels, rendered.focal_length_px)
                if m is not None:
                    values.append(m)
            cache[name] = values
        return cache[name]

    reference = readings("reference", {})
    if not reference:
        raise ValueError("the reference capture is rejected")
    ipd_ref = float(np.mean([m[PERSON_SCALE_METRIC] for m in reference]))

    def mean_scaled(values):
        scaled = [rescale_metrics(m, ipd_ref) for m in values]
        return {k: float(np.mean([m[k] for m in scaled])) for k in STUDY_METRICS}

    rows = []
    ref_scaled = [rescale_metrics(m, ipd_ref) for m in reference]
    rows.append(
        {
            "kind": "noise",
            "condition": "reference framings",
            "versus": "",
            "true_mm": float("nan"),
            "n": len(reference),
            **{k: float(np.std([m[k] for m in ref_scaled], ddof=1)) for k in STUDY_METRICS},
        }
    )
    for name, changes, versus, versus_changes in STUDY_COMPARISONS:
        a, b = readings(name, changes), readings(versus, versus_changes)
        row = {
            "kind": "geometry",
            "condition": name,
            "versus": versus,
            "true_mm": float("nan"),
            "n": min(len(a), len(b)),
        }
        if a and b:
            ma, mb = mean_scaled(a), mean_scaled(b)
            row.update({k: ma[k] - mb[k] for k in STUDY_METRICS})
        else:
            row.update({k: float("nan") for k in STUDY_METRICS})
        rows.append(row)
    ref = mean_scaled(reference)
    for side in ("left", "right"):
        for size in STUDY_BROW_LIFTS_MM:
            name = f"brow lift {side} {size:g} mm"
            values = readings(name, {}, head.deformed(brow_lift_mm={side: size}))
            row = {
                "kind": "brow_lift",
                "condition": name,
                "versus": "reference",
                "true_mm": size,
                "n": len(values),
            }
            lifted = mean_scaled(values) if values else {k: float("nan") for k in STUDY_METRICS}
            row.update({k: lifted[k] - ref[k] for k in STUDY_METRICS})
            rows.append(row)
    return rows
