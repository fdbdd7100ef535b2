"""The profile view on the project's 3-D head: a chin-neck angle whose truth is known.

The test head of :mod:`tracker.validation.head3d` is a depth map seen from the front: below
its chin the neck is a step straight back, which seen from the side makes a horizontal
submental line and a neck only 2 cm deep. :func:`profile_head` gives it a real chin-neck
region, in the head frame (mm; X to the subject's left, Y up, Z to the camera):

* the *submental surface*: from the chin's lowest Face Mesh point (152, the menton) a plane
  going back and down, rising towards the chin at ``submental_deg`` above the horizontal,
  and rising towards the sides (a parabola of radius ``SUBMENTAL_CURVE_MM``: the floor of
  the mouth between the two halves of the jaw), so that its lowest and front-most line is
  the midline, from a camera at eye level too;
* the *neck*: its front a straight line ``NECK_FRONT_Z_MM`` behind the eyes at the menton's
  height, leaning forward by ``neck_tilt_deg`` as it goes down, receding towards the sides
  over ``NECK_DEPTH_MM`` so that from the side it is as deep as a neck;

and the surface is the front-most of the two (a concave corner at the cervical point). Seen
exactly from the side the silhouette's chin-neck part is two straight lines, and the
cervicomental angle is 90 + ``submental_deg`` - ``neck_tilt_deg`` by construction. The
truth of every render is not taken from that formula but from the model's exact side
silhouette (:func:`true_profile`): the front-most point of the head's surface at each height,
measured with the same landmark and line definitions as a photo
(:func:`tracker.metrics.profile.measure_chain`).

*Submental tightening* (``profile_head(submental_deg=...)`` smaller) turns the submental
plane about the menton: the cervicomental angle changes by exactly the change of
``submental_deg`` (the neck line is unchanged).

The studies: :func:`profile_sides_study` (both profiles, the side read right),
:func:`profile_change_study` (a known 5 deg change), :func:`profile_rounding_study` (the
same change on chin-neck corners rounded by up to 20 mm, three shapes),
:func:`profile_noise_study` (selfie nuisances around the profile), :func:`profile_refusal_study` (a front render given as a
profile, a profile before a busy background, blurred, badly exposed, cut under the chin,
with a fold under the chin, before a wall of the skin's colour) and
:func:`profile_posture_study` (a series whose head posture on the neck varies, ``flexion_deg``
of :func:`profile_head`, read through the trend's levers).
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from functools import lru_cache

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.profile import measure_chain
from tracker.settings import Settings
from tracker.validation.head3d import Capture, Head, render, sample_head

# the profile head's chin-neck region (mm, head frame)
SUBMENTAL_DEG = 25.0  # the submental line's rise towards the chin, above the horizontal
NECK_TILT_DEG = 5.0  # the neck's front leans forward by this as it goes down
NECK_FRONT_Z_MM = -50.0  # the neck's front at the menton's height
NECK_DEPTH_MM = 90.0  # the neck recedes by this at |X| = NECK_HALF_WIDTH_MM (side view depth)
NECK_HALF_WIDTH_MM = 50.0
SUBMENTAL_CURVE_MM = 40.0  # radius of the submental surface's rise towards the sides
MENTON = 152  # Face Mesh's lowest chin point
TRUTH_BOTTOM_Y_MM = -210.0  # the exact silhouette is taken down to here (the neck ends at -230)
PROFILE_METRICS = ("cervicomental_angle_deg", "profile_jaw_angle_deg", "chin_projection_pct")


def _in_polygon(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    from matplotlib.path import Path

    inside = Path(polygon).contains_points(np.column_stack([x.ravel(), y.ravel()]))
    return inside.reshape(x.shape)


def _rounded(
    z: np.ndarray,
    below: np.ndarray,
    z_neck_at_menton: np.ndarray,
    z_menton: float,
    rise: float,
    neck_slope: float,
    radius_mm: float,
) -> np.ndarray:
    """The depth ``z`` with the chin-neck corner rounded: in each texel's profile plane
    (``below`` mm below the menton, depth), the submental line z_menton + below / rise and
    the neck line z_neck_at_menton - below * neck_slope meet at a corner, and a circle of
    ``radius_mm`` tangent to both, inside the angle (in front of the corner), replaces the
    corner between its two tangent points."""
    up_submental = np.array([1.0, 1.0 / rise]) / math.hypot(1.0, 1.0 / rise)
    down_neck = np.array([-1.0, neck_slope]) / math.hypot(1.0, neck_slope)
    half = 0.5 * math.acos(float(up_submental @ down_neck))
    reach = radius_mm / math.tan(half)
    bisector = (up_submental + down_neck) / np.linalg.norm(up_submental + down_neck)
    # the corner per texel (the neck's front recedes towards the sides)
    below_corner = (z_neck_at_menton - z_menton) / (1.0 / rise + neck_slope)
    z_corner = z_menton + below_corner / rise
    to_centre = radius_mm / math.sin(half)
    below_centre = below_corner + bisector[0] * to_centre
    z_centre = z_corner + bisector[1] * to_centre
    upper = below_corner + up_submental[0] * reach
    lower = below_corner + down_neck[0] * reach
    on_arc = (below >= lower) & (below <= upper)
    arc = z_centre - np.sqrt(np.clip(radius_mm**2 - (below - below_centre) ** 2, 0.0, None))
    return np.where(on_arc, np.maximum(z, arc), z)


@lru_cache(maxsize=16)
def profile_head(
    submental_deg: float = SUBMENTAL_DEG,
    neck_tilt_deg: float = NECK_TILT_DEG,
    *,
    neck_shade: float = 1.0,
    corner_radius_mm: float = 0.0,
    flexion_deg: float = 0.0,
) -> Head:
    """The sample head with a submental surface and a tilting neck (see the module docstring).

    Parameters
    ----------
    submental_deg : the submental line's rise towards the chin (deg above the horizontal);
        smaller is a tighter chin-neck angle (submental tightening).
    neck_tilt_deg : the neck front's forward lean going down (deg from the vertical).
    neck_shade : the neck's texture darkened by this (1.0: lit like the face; the front
        view's studies use head3d.NECK_SHADE). The geometry, and so the truth, is the same.
    corner_radius_mm : the chin-neck corner rounded by a circle of this radius in every
        profile plane (soft tissue under the chin; 0: a sharp angle). The two surfaces, and
        so the cervicomental angle of their lines, are unchanged.
    flexion_deg : the head's posture on its neck: the head, its submental surface with it,
        turned about the left-right axis by this (positive: the chin raised), the neck
        below ``FLEXION_BLEND_MM`` under the menton left where it is, the upper neck bending
        smoothly between (see :func:`flexed`). The truth follows the new shape.

    Returns
    -------
    Head
        ``changes["submental_deg"]``, ``changes["neck_tilt_deg"]`` and
        ``changes["corner_radius_mm"]`` record the geometry.
    """
    # the neck lit like the face by default: in the front view's shade (head3d.NECK_SHADE,
    # 60 %) the skin under the chin comes within 10-20 grey levels of the background, the
    # outline loses it in a slot under the chin and the cervical point moves to the slot's
    # end (a 4.78 deg tightening read 1.44 deg at yaw +90); such an outline is now refused
    # as a step under the chin (chin_neck_fold_pct)
    base = sample_head(neck_shade=neck_shade)
    points = np.array(base.points_mm, dtype=np.float64)
    x, y = points[..., 0], points[..., 1]
    landmarks = base.landmarks_mm
    oval = landmarks[list(ix.SILHOUETTE), :2]
    ear_y = min(landmarks[234, 1], landmarks[454, 1])
    in_face = _in_polygon(x, y, oval)
    neck = base.mask & ~in_face & (y < ear_y) & (np.abs(x) < NECK_HALF_WIDTH_MM)
    y_m, z_m = float(landmarks[MENTON, 1]), float(landmarks[MENTON, 2])
    rise = math.tan(math.radians(submental_deg))
    # below the menton (negative), the surface rising towards the sides like the floor of
    # the mouth between the two halves of the jaw
    below = y - y_m - x**2 / (2.0 * SUBMENTAL_CURVE_MM)
    z_sub = np.where(below <= 0, z_m + below / rise, z_m - 2.0 * below)
    z_neck = (
        NECK_FRONT_Z_MM
        - below * math.tan(math.radians(neck_tilt_deg))
        - NECK_DEPTH_MM * (x / NECK_HALF_WIDTH_MM) ** 2
    )
    surface = np.maximum(z_sub, z_neck)
    if corner_radius_mm > 0:
        slope = math.tan(math.radians(neck_tilt_deg))
        surface = _rounded(
            surface, below, z_neck + below * slope, z_m, rise, slope, corner_radius_mm
        )
    points[..., 2] = np.where(neck, surface, points[..., 2])
    changes = {k: dict(v) for k, v in base.changes.items()}
    changes["submental_deg"] = {"midline": float(submental_deg)}
    changes["neck_tilt_deg"] = {"midline": float(neck_tilt_deg)}
    changes["corner_radius_mm"] = {"midline": float(corner_radius_mm)}
    changes["flexion_deg"] = {"midline": float(flexion_deg)}
    landmarks = np.array(landmarks, dtype=np.float64)
    if flexion_deg:
        points = flexed(points, y_m, flexion_deg)
        landmarks = flexed(landmarks, y_m, flexion_deg)
    head = replace(
        base,
        points_mm=points.astype(np.float32),
        landmarks_mm=landmarks.astype(base.landmarks_mm.dtype),
        changes=changes,
    )
    head.points_mm.setflags(write=False)
    return head


# the head turns on the neck about a point inside the upper neck (below the cervical point,
# behind the neck's front), fully above the upper of these depths under the menton, not at
# all below the lower, smoothly between: the upper neck bends with the head, as it does
FLEXION_BLEND_MM = (60.0, 25.0)
FLEXION_PIVOT_BEHIND_NECK_MM = 40.0


def flexed(points_mm: np.ndarray, menton_y_mm: float, flexion_deg: float) -> np.ndarray:
    """(..., 3) head-frame points with the head turned on its neck by ``flexion_deg``
    (positive: the chin raised, points in front of the pivot moving up) about the
    left-right axis through (Y: ``FLEXION_BLEND_MM[1]`` under the menton, Z:
    ``FLEXION_PIVOT_BEHIND_NECK_MM`` behind the neck's front), each point by a share of it
    that goes smoothly from 1 above that height to 0 at ``FLEXION_BLEND_MM[0]`` under the
    menton."""
    out = np.array(points_mm, dtype=np.float64)
    y, z = out[..., 1].copy(), out[..., 2].copy()
    low, high = menton_y_mm - FLEXION_BLEND_MM[0], menton_y_mm - FLEXION_BLEND_MM[1]
    t = np.clip((y - low) / (high - low), 0.0, 1.0)
    turn = np.radians(flexion_deg) * t * t * (3.0 - 2.0 * t)
    pivot_y, pivot_z = high, NECK_FRONT_Z_MM - FLEXION_PIVOT_BEHIND_NECK_MM
    cos, sin = np.cos(turn), np.sin(turn)
    out[..., 1] = pivot_y + (y - pivot_y) * cos + (z - pivot_z) * sin
    out[..., 2] = pivot_z - (y - pivot_y) * sin + (z - pivot_z) * cos
    return out


def true_chain(head: Head, *, bin_mm: float = 0.25) -> np.ndarray:
    """The head's exact side silhouette (orthographic): at each height (``bin_mm`` bins of
    Y), the front-most surface point; as a chain (x = Z forward, y = -Y down, mm) from the
    top of the head down, the face pointing to +x."""
    y = head.points_mm[..., 1][head.mask].astype(np.float64)
    z = head.points_mm[..., 2][head.mask].astype(np.float64)
    # the neck's end is no part of a profile: the renders cut the neck above it
    y, z = y[y >= TRUTH_BOTTOM_Y_MM], z[y >= TRUTH_BOTTOM_Y_MM]
    bins = np.floor((y.max() - y) / bin_mm).astype(np.int64)
    # per bin, the front-most surface point itself (its own height, not the bin's)
    order = np.lexsort((-z, bins))
    first = np.ones(order.size, bool)
    first[1:] = bins[order][1:] != bins[order][:-1]
    best = order[first]
    return np.column_stack([z[best], -y[best]])


def true_profile(head: Head) -> dict[str, float]:
    """The truth: the profile metrics of the head's exact side silhouette, with the same
    landmark and line definitions as a photo's."""
    _, _, values, _ = measure_chain(true_chain(head))
    return values


CAMERA_Y_MM = -80.0  # profile photos are taken with the camera between mouth and chin


def profile_capture(**fields) -> Capture:
    """A capture of the head from the side (yaw 90 unless given) framed like a profile photo
    taken as advised: the camera level, at the height of the mouth and chin
    (``CAMERA_Y_MM``). The face is placed in the image so that the camera's axis passes at
    that height (the head is above the image centre). ``fields`` are :class:`Capture` fields."""
    from tracker.photos.camera import focal_length_px
    from tracker.validation.head3d import AIM_MM

    capture = Capture(**{"yaw_deg": 90.0, **fields})
    f_px = focal_length_px(capture.focal_length_35mm, capture.image_size_px)
    up = f_px * (AIM_MM[1] - CAMERA_Y_MM) / capture.distance_mm
    return replace(capture, offset_px=(capture.offset_px[0], capture.offset_px[1] - up))


def render_profile(head: Head, capture: Capture) -> np.ndarray:
    """Render a profile capture, the image cut at the bottom above the model's neck end (as
    a photo's border cuts a real neck): (H', W, 3) uint8 RGB."""
    from tracker.photos.camera import focal_length_px
    from tracker.validation.head3d import NECK_BOTTOM_Y_MM, _camera_transform

    rendered = render(head, capture)
    width, height = capture.image_size_px
    f_px = focal_length_px(capture.focal_length_35mm, capture.image_size_px)
    linear, translation = _camera_transform(capture, f_px)
    end = np.array([0.0, NECK_BOTTOM_Y_MM + 15.0, NECK_FRONT_Z_MM]) @ linear.T + translation
    row = int(f_px * end[1] / end[2] + (height - 1) / 2.0)
    return np.ascontiguousarray(rendered.pixels[: max(1, min(height, row))])


def measure_render(
    pixels: np.ndarray, focal_length_px: float | None = None, settings: Settings | None = None
):
    """The pipeline's profile measurement of a rendered image (``view="profile"``), with
    ``settings`` (None: the defaults)."""
    from tracker.photos.camera import default_camera
    from tracker.pipeline import measure_profile_pixels
    from tracker.settings import DEFAULT_SETTINGS
    from tracker.types import Camera

    height, width = pixels.shape[:2]
    camera = (
        default_camera((width, height))
        if focal_length_px is None
        else Camera(focal_length_px, 26.0, "exif-35mm")
    )
    return measure_profile_pixels(pixels, camera=camera, settings=settings or DEFAULT_SETTINGS)


def _read(result) -> dict[str, float]:
    """A profile result's metrics under their unsided names (one photo shows one side)."""
    from tracker.metrics import registry

    if result.measurement is None or result.profile_side is None:
        return {}
    return {
        registry.profile_name(family): result.measurement.metrics[
            registry.sided(family, result.profile_side)
        ]
        for family in registry.PROFILE_FAMILIES
    }


def profile_sides_study(*, head: Head | None = None) -> list[dict]:
    """Both profiles of the head (yaw +90: the subject's right side to the camera; -90: the
    left side): the side read, the metrics, and the truth."""
    head = profile_head() if head is None else head
    truth = true_profile(head)
    rows = []
    for yaw, side in ((90.0, "right"), (-90.0, "left")):
        pixels = render_profile(head, profile_capture(yaw_deg=yaw))
        result = measure_render(pixels)
        rows.append(
            {
                "yaw_deg": yaw,
                "true_side": side,
                "side": result.profile_side,
                "status": result.status,
                **{f"true_{k}": truth[k] for k in PROFILE_METRICS},
                **_read(result),
            }
        )
    return rows


def profile_change_study(
    *, change_deg: float = 5.0, captures: tuple[Capture, ...] | None = None
) -> list[dict]:
    """A known submental tightening: the head before and after ``submental_deg`` falls by
    ``change_deg``, rendered with the same captures; per capture the measured change of the
    cervicomental angle and the true one (from the exact silhouettes)."""
    before, after = profile_head(), profile_head(submental_deg=SUBMENTAL_DEG - change_deg)
    true_change = (
        true_profile(after)["cervicomental_angle_deg"]
        - true_profile(before)["cervicomental_angle_deg"]
    )
    if captures is None:
        captures = (profile_capture(yaw_deg=90.0), profile_capture(yaw_deg=-90.0))
    rows = []
    for capture in captures:
        a = measure_render(render_profile(before, capture))
        b = measure_render(render_profile(after, capture))
        ma, mb = _read(a), _read(b)
        key = "cervicomental_angle_deg"
        rows.append(
            {
                "yaw_deg": capture.yaw_deg,
                "pitch_deg": capture.pitch_deg,
                "distance_mm": capture.distance_mm,
                "true_change_deg": true_change,
                "measured_change_deg": mb.get(key, math.nan) - ma.get(key, math.nan),
                "before_deg": ma.get(key, math.nan),
                "after_deg": mb.get(key, math.nan),
            }
        )
    return rows


# the size study: the same photo with fewer pixels (a camera farther away, or fewer of them)
SIZE_FACTORS = (1.0, 0.8, 0.6, 0.5, 0.4, 0.33, 0.25)


def shrunk(pixels: np.ndarray, factor: float) -> np.ndarray:
    """The image with ``factor`` times the pixels across (each an average of the pixels it
    covers, as a sensor's are): (H', W', 3) uint8."""
    if factor >= 1.0:
        return pixels
    height, width = pixels.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def profile_size_study(
    *, captures: int = 10, factors: tuple[float, ...] = SIZE_FACTORS, seed: int = 7
) -> list[dict]:
    """A known 5 deg submental tightening read on smaller and smaller faces: ``captures``
    hand-held profile captures (:func:`random_profile_capture`, alternate sides) of the head
    before and after the change, each image shrunk by ``factors``; every pair measured with
    the face-size check off (so that what a small face does to the angle shows), with the
    check's verdict kept. One row per capture and factor."""
    from tracker.metrics.profile import face_height_px
    from tracker.settings import DEFAULT_SETTINGS

    unchecked = replace(DEFAULT_SETTINGS, profile_min_face_height_px=0.0)
    before, after = profile_head(), profile_head(submental_deg=SUBMENTAL_DEG - 5.0)
    key = "cervicomental_angle_deg"
    truth = (true_profile(before)[key], true_profile(after)[key])
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(captures):
        capture = random_profile_capture(rng, "right" if i % 2 == 0 else "left")
        images = (render_profile(before, capture), render_profile(after, capture))
        for factor in factors:
            results = [measure_render(shrunk(p, factor), settings=unchecked) for p in images]
            values = [_read(r).get(key, math.nan) for r in results]
            heights = [
                face_height_px(r.profile) if r.profile is not None else math.nan for r in results
            ]
            rows.append(
                {
                    "capture": i,
                    "factor": factor,
                    "face_height_px": float(np.nanmin(heights)),
                    "status": "ok" if all(r.status == "ok" for r in results) else "rejected",
                    "reasons": "; ".join(r for res in results for r in res.reasons),
                    "too_small": bool(
                        np.nanmin(heights) < DEFAULT_SETTINGS.profile_min_face_height_px
                    ),
                    "true_change_deg": truth[1] - truth[0],
                    "measured_change_deg": values[1] - values[0],
                    "error_before_deg": values[0] - truth[0],
                    "error_after_deg": values[1] - truth[1],
                }
            )
    return rows


# the rounding study: chin-neck corners rounded by these radii, on chin-neck shapes
# (submental rise, neck tilt; deg) of cervicomental angles 98-115 deg by construction
ROUNDING_RADII_MM = (0.0, 10.0, 20.0)
ROUNDING_SHAPES_DEG = ((25.0, 5.0), (35.0, 10.0), (20.0, 12.0))


def profile_rounding_study(
    *,
    radii_mm: tuple[float, ...] = ROUNDING_RADII_MM,
    shapes_deg: tuple[tuple[float, float], ...] = ROUNDING_SHAPES_DEG,
    change_deg: float = 5.0,
    yaws_deg: tuple[float, ...] = (90.0, -90.0),
) -> list[dict]:
    """The known tightening on chin-neck corners rounded like a real neck's.

    Each shape (submental rise, neck tilt) is built with its corner rounded by each radius
    (:func:`profile_head` ``corner_radius_mm``), before and after the submental surface turns
    by ``change_deg`` about the menton, and rendered from both sides. The design is known by
    construction: the cervicomental angle of the two surfaces' lines is 90 + rise - tilt
    and the change is ``-change_deg``, whatever the radius.

    Returns
    -------
    list of dict
        One row per radius, shape and side: ``radius_mm``, ``submental_deg``,
        ``neck_tilt_deg``, ``yaw_deg``, ``design_deg`` (before), ``design_change_deg``,
        ``before_deg``, ``after_deg``, ``measured_change_deg`` and the statuses.
    """
    rows = []
    for radius in radii_mm:
        for submental, tilt in shapes_deg:
            before = profile_head(submental, tilt, corner_radius_mm=radius)
            after = profile_head(submental - change_deg, tilt, corner_radius_mm=radius)
            for yaw in yaws_deg:
                capture = profile_capture(yaw_deg=yaw)
                a = measure_render(render_profile(before, capture))
                b = measure_render(render_profile(after, capture))
                key = "cervicomental_angle_deg"
                ma, mb = _read(a).get(key, math.nan), _read(b).get(key, math.nan)
                rows.append(
                    {
                        "radius_mm": float(radius),
                        "submental_deg": float(submental),
                        "neck_tilt_deg": float(tilt),
                        "yaw_deg": float(yaw),
                        "design_deg": 90.0 + submental - tilt,
                        "design_change_deg": -float(change_deg),
                        "before_deg": ma,
                        "after_deg": mb,
                        "measured_change_deg": mb - ma,
                        "status_before": a.status,
                        "status_after": b.status,
                    }
                )
    return rows


def random_profile_capture(rng: np.random.Generator, side: str = "right") -> Capture:
    """A hand-held profile capture: yaw within 5 deg of the profile, pitch and roll +/-5 deg,
    distance 33-50 cm, light +/-15 %, colour cast +/-4 %, noise SD 1-2.5, JPEG 80-95."""
    from tracker.validation.head3d import random_selfie_capture

    base = 90.0 if side == "right" else -90.0
    drawn = random_selfie_capture(
        rng,
        yaw_deg=base + float(rng.uniform(-5, 5)),
        pitch_deg=float(rng.uniform(-5, 5)),
        roll_deg=float(rng.uniform(-5, 5)),
    )
    return profile_capture(**asdict(drawn))


def profile_noise_study(n: int = 30, *, seed: int = 11, head: Head | None = None) -> list[dict]:
    """The metrics over ``n`` random profile selfies of one head (half each side): one row
    per render, with its capture and status."""
    head = profile_head() if head is None else head
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        side = "right" if i % 2 == 0 else "left"
        capture = random_profile_capture(rng, side)
        result = measure_render(render_profile(head, capture))
        rows.append(
            {
                "side": side,
                "read_side": result.profile_side,
                "status": result.status,
                "reasons": "; ".join(result.reasons),
                "yaw_deg": capture.yaw_deg,
                "pitch_deg": capture.pitch_deg,
                "roll_deg": capture.roll_deg,
                "distance_mm": capture.distance_mm,
                **_read(result),
            }
        )
    return rows


def busy_background(pixels: np.ndarray, background_rgb, *, seed: int = 0) -> np.ndarray:
    """``pixels`` with the plain background (``background_rgb``) replaced by a busy one: a
    random pattern of coloured blocks and stripes (a bookshelf, a patterned curtain)."""
    import cv2

    rng = np.random.default_rng(seed)
    height, width = pixels.shape[:2]
    blocks = rng.integers(0, 256, size=(height // 40 + 1, width // 25 + 1, 3)).astype(np.uint8)
    pattern = cv2.resize(blocks, (width, height), interpolation=cv2.INTER_NEAREST)
    stripes = (np.sin(np.arange(width) / 3.0) * 40).astype(np.int16)[None, :, None]
    pattern = np.clip(pattern.astype(np.int16) + stripes, 0, 255).astype(np.uint8)
    plain = np.all(np.abs(pixels.astype(np.int16) - np.asarray(background_rgb)) <= 2, axis=-1)
    out = pixels.copy()
    out[plain] = pattern[plain]
    return out


def blurred(pixels: np.ndarray, sigma_px: float) -> np.ndarray:
    """``pixels`` blurred by a Gaussian of SD ``sigma_px`` (a shaken or unfocused photo)."""
    import cv2

    return cv2.GaussianBlur(pixels, (0, 0), sigma_px) if sigma_px > 0 else pixels.copy()


def exposed(pixels: np.ndarray, gain: float) -> np.ndarray:
    """``pixels`` times ``gain`` (every channel), clipped to 0-255: an exposure error."""
    return np.clip(np.rint(pixels * float(gain)), 0, 255).astype(np.uint8)


REFUSAL_BLUR_PX = 6.0  # heavy blur (the limit lies between SD 3 and 4 px on these renders)
REFUSAL_GAINS = (0.2, 1.7)  # a fifth of the light; 1.7 times, the face mostly clipped
SKIN_WALL_RGB = (200, 170, 150)  # a plain wall of a colour close to the head's skin


def profile_refusal_study(*, head: Head | None = None) -> list[dict]:
    """Bad input: a front render measured as a profile, a profile measured as a front photo,
    a profile before a busy background, blurred (``REFUSAL_BLUR_PX``), under- and
    over-exposed (``REFUSAL_GAINS``), cut just under the chin (the photo's bottom edge 40 %
    of the way from the menton to the cervical point), the known fold under the chin
    (the neck shaded to 60 %, the submental surface 5 deg lower, yaw +90), and before a
    plain wall of the skin's own colour (``SKIN_WALL_RGB``). One row each: the status and
    the reason given."""
    from tracker.pipeline import measure_any_pixels
    from tracker.validation.head3d import NECK_SHADE

    head = profile_head() if head is None else head
    front = render(head, Capture())
    side = render_profile(head, profile_capture(yaw_deg=90.0))
    busy = busy_background(side, head.background_rgb)
    located = measure_render(side).profile
    assert located is not None  # the lit profile is read (test_both_profiles_of_the_head)
    menton, cervical = located.points_px["menton"][1], located.points_px["cervical_point"][1]
    cut = side[: int(round(menton + 0.4 * (cervical - menton)))].copy()
    shaded = profile_head(SUBMENTAL_DEG - 5.0, neck_shade=NECK_SHADE)
    fold = render_profile(shaded, profile_capture(yaw_deg=90.0))
    skin_wall = render_profile(
        replace(head, background_rgb=SKIN_WALL_RGB), profile_capture(yaw_deg=90.0)
    )
    rows = []
    for case, result in (
        ("front photo given as profile", measure_render(front.pixels)),
        ("profile given as front photo", measure_any_pixels(side, view="front")),
        ("profile before a busy background", measure_render(busy, None)),
        ("profile blurred", measure_render(blurred(side, REFUSAL_BLUR_PX))),
        ("profile under-exposed", measure_render(exposed(side, REFUSAL_GAINS[0]))),
        ("profile over-exposed", measure_render(exposed(side, REFUSAL_GAINS[1]))),
        ("profile cut just under the chin", measure_render(cut)),
        ("profile with a fold under the chin", measure_render(fold)),
        ("profile before a wall of the skin's colour", measure_render(skin_wall)),
    ):
        rows.append(
            {
                "case": case,
                "status": result.status,
                "codes": ",".join(r.code.value for r in result.reasons),
                "reasons": "; ".join(result.reasons),
            }
        )
    return rows


# the posture study: hand-held profiles whose chin sits within this of its usual on the neck
POSTURE_FLEXION_DEG = 5.0


def profile_posture_study(
    *,
    per_week: int = 12,
    weeks: tuple[float, ...] = (0.0, 0.0, 5.0, 5.0),
    seed: int = 17,
    flexion_deg: float = POSTURE_FLEXION_DEG,
    side: str = "right",
) -> list[dict]:
    """A profile series whose head's posture on the neck varies: ``per_week`` random
    profile selfies (:func:`random_profile_capture`) in each of ``weeks``, each with the
    head turned on its neck by a flexion drawn within +/-``flexion_deg`` (chin raised or
    lowered), the submental surface tightened by the week's value (deg). One row per render:
    its date, the flexion and tightening, the truth and the reading of the cervicomental
    angle, its head-to-neck posture, and the status."""
    rng = np.random.default_rng(seed)
    rows = []
    start = np.datetime64("2026-01-05T08:00")  # a Monday: one ISO week per week
    for week, tightening in enumerate(weeks):
        for i in range(per_week):
            flexion = float(rng.uniform(-flexion_deg, flexion_deg))
            head = profile_head(SUBMENTAL_DEG - tightening, flexion_deg=flexion)
            capture = random_profile_capture(rng, side)
            result = measure_render(render_profile(head, capture))
            truth = true_profile(head)
            read = _read(result)
            rows.append(
                {
                    "captured_at": start + np.timedelta64(7 * week, "D") + np.timedelta64(i, "h"),
                    "week": week,
                    "tightening_deg": tightening,
                    "flexion_deg": flexion,
                    "status": result.status,
                    "side": result.profile_side,
                    "true_cervicomental_angle_deg": truth["cervicomental_angle_deg"],
                    "true_head_neck_angle_deg": truth["head_neck_angle_deg"],
                    "cervicomental_angle_deg": read.get("cervicomental_angle_deg", math.nan),
                    "head_neck_angle_deg": read.get("head_neck_angle_deg", math.nan),
                }
            )
    return rows


def posture_summary(rows: list[dict]) -> dict[str, float]:
    """The figures of :func:`profile_posture_study` through the trend's own levers
    (:func:`tracker.analysis.levers.adjust_for_capture`, the series as a library gives it):
    the series' own slope per degree of posture in the untouched weeks (least squares; the
    lever is 1 by construction), the SD within the untouched weeks and the
    measured change (the tightened weeks' mean minus the untouched ones'), as measured and
    at the usual posture, and the true change at a fixed posture."""
    import pandas as pd

    from tracker.analysis.levers import POSTURE, adjust_for_capture
    from tracker.metrics import registry

    frame = pd.DataFrame(rows)
    side = str(frame["side"].dropna().iloc[0]) if frame["side"].notna().any() else "right"
    metric = registry.sided("cervicomental_angle", side)
    photos = pd.DataFrame(
        {
            "captured_at": pd.to_datetime(frame["captured_at"]),
            "status": frame["status"],
            metric: frame["cervicomental_angle_deg"],
            registry.sided("head_neck_angle", side): frame["head_neck_angle_deg"],
        }
    )
    adjusted, levers = adjust_for_capture(photos, [metric])
    assert bool(levers.loc[levers["covariate"] == POSTURE, "used"].all())
    ok = frame["status"] == "ok"
    before = ok & (frame["tightening_deg"] == frame["tightening_deg"].min())
    after = ok & (frame["tightening_deg"] == frame["tightening_deg"].max())
    measured, at_usual = frame["cervicomental_angle_deg"], adjusted[metric]
    # the series' own response to posture, against the lever's 1 by construction
    slope = float(np.polyfit(frame.loc[before, "head_neck_angle_deg"], measured[before], 1)[0])
    true_change = (
        true_profile(profile_head(SUBMENTAL_DEG - float(frame["tightening_deg"].max())))[
            "cervicomental_angle_deg"
        ]
        - true_profile(profile_head(SUBMENTAL_DEG - float(frame["tightening_deg"].min())))[
            "cervicomental_angle_deg"
        ]
    )
    return {
        "posture_renders": float(len(frame)),
        "posture_accepted": float(ok.sum()),
        "posture_flexion_max_deg": float(frame["flexion_deg"].abs().max()),
        "posture_slope": slope,
        "posture_sd_measured_deg": float(measured[before].std(ddof=1)),
        "posture_sd_at_usual_deg": float(at_usual[before].std(ddof=1)),
        "posture_true_sd_deg": float(frame.loc[before, "true_cervicomental_angle_deg"].std(ddof=1)),
        "posture_change_true_deg": float(true_change),
        "posture_change_measured_deg": float(measured[after].mean() - measured[before].mean()),
        "posture_change_at_usual_deg": float(at_usual[after].mean() - at_usual[before].mean()),
    }


def run_profile_study(*, quick: bool = False, progress=None) -> dict:
    """The whole profile validation: both sides, a known 5 deg change at both sides (and,
    in full, at 33 and 50 cm), the same change on rounded chin-neck corners (in full, three
    radii and three shapes, both sides; quick: 20 mm, one shape), the noise over random
    profile selfies (30; quick: 6), the refusals, and a four-week series whose head posture
    varies, read through the trend's levers (48 selfies; quick: 16). Returns the studies' rows and a summary (see :func:`profile_summary`)."""
    say = progress or (lambda message: None)
    say("3-D head in profile: sides, a known chin-neck change, selfie noise, refusals")
    captures = [profile_capture(yaw_deg=90.0), profile_capture(yaw_deg=-90.0)]
    if not quick:
        captures += [
            profile_capture(yaw_deg=yaw, distance_mm=distance)
            for yaw in (90.0, -90.0)
            for distance in (330.0, 500.0)
        ]
    out: dict = {
        "sides": profile_sides_study(),
        "change": profile_change_study(captures=tuple(captures)),
        "rounding": profile_rounding_study(
            radii_mm=(20.0,) if quick else ROUNDING_RADII_MM,
            shapes_deg=ROUNDING_SHAPES_DEG[:1] if quick else ROUNDING_SHAPES_DEG,
        ),
        "noise": profile_noise_study(6 if quick else 30),
        "refusals": profile_refusal_study(),
        "posture": profile_posture_study(per_week=4 if quick else 12),
    }
    out["summary"] = profile_summary(out)
    return out


def profile_summary(study: dict) -> dict[str, float]:
    """The figures of a profile study: per metric the noise SD and range over the accepted
    renders, the accepted count, the sides read right, the known change's measured range."""
    noise = [r for r in study["noise"] if r["status"] == "ok"]
    summary: dict[str, float] = {
        "noise_renders": float(len(study["noise"])),
        "noise_accepted": float(len(noise)),
        "sides_right": float(sum(r["side"] == r["read_side"] for r in study["noise"]))
        + float(sum(r["side"] == r["true_side"] for r in study["sides"])),
        "sides_total": float(len(study["noise"]) + len(study["sides"])),
    }
    for key in PROFILE_METRICS:
        values = np.array([r[key] for r in noise], dtype=np.float64)
        summary[f"{key}_noise_sd"] = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
        summary[f"{key}_min"] = float(values.min()) if values.size else math.nan
        summary[f"{key}_max"] = float(values.max()) if values.size else math.nan
    changes = np.array([r["measured_change_deg"] for r in study["change"]], dtype=np.float64)
    summary["known_change_true_deg"] = float(study["change"][0]["true_change_deg"])
    summary["known_change_min_deg"] = float(np.nanmin(changes))
    summary["known_change_max_deg"] = float(np.nanmax(changes))
    sides = study["sides"]
    summary["absolute_error_max_deg"] = float(
        max(
            abs(r["cervicomental_angle_deg"] - r["true_cervicomental_angle_deg"])
            for r in sides
            if "cervicomental_angle_deg" in r
        )
    )
    summary["refused"] = float(sum(r["status"] == "rejected" for r in study["refusals"]))
    rounding = study.get("rounding") or []
    if rounding:
        summary.update(rounding_summary(rounding))
    posture = study.get("posture") or []
    if posture:
        summary.update(posture_summary(posture))
    return summary


def rounding_summary(rows: list[dict]) -> dict[str, float]:
    """The figures of :func:`profile_rounding_study`: the measured change's range (the
    design's is ``rounding_design_change_deg``), the largest error of the angle against the
    design (before the change), the renders read and their count, and the largest radius."""
    changes = np.array([r["measured_change_deg"] for r in rows], dtype=np.float64)
    errors = np.array([r["before_deg"] - r["design_deg"] for r in rows], dtype=np.float64)
    return {
        "rounding_design_change_deg": float(rows[0]["design_change_deg"]),
        "rounding_change_min_deg": float(np.nanmin(changes)),
        "rounding_change_max_deg": float(np.nanmax(changes)),
        "rounding_error_max_deg": float(np.nanmax(np.abs(errors))),
        "rounding_read": float(np.isfinite(changes).sum()),
        "rounding_pairs": float(len(rows)),
        "rounding_radius_max_mm": float(max(r["radius_mm"] for r in rows)),
    }


def profile_markdown(study: dict) -> str:
    """The report section of a profile study."""
    s = study["summary"]
    lines = [
        "## Profile view on the project's 3-D head",
        "",
        "The sample head given a submental surface rising to the chin at 25 deg and a neck "
        "leaning 5 deg (cervicomental angle 110 deg by construction), rendered from the side "
        "with the camera level between mouth and chin; the truth is the head's exact side "
        "silhouette measured with the same definitions.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| cervicomental angle: largest error at yaw +/-90 | "
        f"{s['absolute_error_max_deg']:.2f} deg |",
        f"| known submental tightening (5 deg by design, {s['known_change_true_deg']:.2f} deg "
        f"on the silhouette): read | {s['known_change_min_deg']:.2f} to "
        f"{s['known_change_max_deg']:.2f} deg over {len(study['change'])} captures |",
    ]
    if "rounding_pairs" in s:
        lines.append(
            f"| the same tightening ({-s['rounding_design_change_deg']:.0f} deg by design) on "
            f"chin-neck corners rounded up to {s['rounding_radius_max_mm']:.0f} mm, "
            "shapes of 98-115 deg, both sides: read | "
            f"{s['rounding_change_min_deg']:.2f} to {s['rounding_change_max_deg']:.2f} deg "
            f"({s['rounding_read']:.0f} of {s['rounding_pairs']:.0f} pairs read); angle within "
            f"{s['rounding_error_max_deg']:.2f} deg of the design |"
        )
    if "posture_renders" in s:
        lines += [
            f"| the head's posture on its neck within +/-{s['posture_flexion_max_deg']:.0f} deg "
            f"(chin raised or lowered), {s['posture_renders']:.0f} random profile selfies over "
            "four weeks: cervicomental SD in the untouched weeks, as measured / at the usual "
            f"posture (truth {s['posture_true_sd_deg']:.2f}) | "
            f"{s['posture_sd_measured_deg']:.2f} / {s['posture_sd_at_usual_deg']:.2f} deg "
            f"(the series' own slope {s['posture_slope']:.2f} per deg of posture; the lever is "
            "1 by construction) |",
            f"| the same series, a {s['posture_change_true_deg']:.2f} deg tightening in weeks "
            "3-4: read as measured / at the usual posture | "
            f"{s['posture_change_measured_deg']:.2f} / {s['posture_change_at_usual_deg']:.2f} "
            "deg |",
        ]
    for key in PROFILE_METRICS:
        unit = "%" if key.endswith("_pct") else "deg"
        lines.append(
            f"| {key}: selfie noise SD (range) | {s[f'{key}_noise_sd']:.2f} {unit} "
            f"({s[f'{key}_min']:.2f} to {s[f'{key}_max']:.2f}) |"
        )
    lines += [
        f"| random profile selfies accepted | {s['noise_accepted']:.0f} of "
        f"{s['noise_renders']:.0f} |",
        f"| side read right | {s['sides_right']:.0f} of {s['sides_total']:.0f} |",
        "",
        "Random profile selfies: yaw within 5 deg of the profile, pitch and roll +/-5 deg, "
        "33-50 cm, light +/-15 %, colour cast, sensor noise, JPEG 80-95.",
        "",
        "| bad input | status | reason |",
        "| --- | --- | --- |",
        *(f"| {r['case']} | {r['status']} | {r['reasons']} |" for r in study["refusals"]),
    ]
    return "\n".join(lines) + "\n"


def profile_details(study: dict) -> list[dict]:
    """The study's figures as detail rows (section "profile") of the validation's CSV."""
    return [
        {
            "section": "profile",
            "item": "3-D head",
            "metric": "",
            "quantity": key,
            "value": f"{value:.6g}",
        }
        for key, value in study["summary"].items()
    ]
