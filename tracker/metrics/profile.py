"""Profile (side-view) geometry: the silhouette, its landmarks and the chin-neck angles.

A profile photo is measured from the person's outline. The steps, each a pure function:

1. :func:`refine_silhouette` -- the coarse person mask of the selfie segmentation model, made
   exact on the image: the background is modelled as a smooth colour field (a plane per
   channel fitted robustly to the pixels the model calls background), and across the outline each
   pixel's colour distance from it, divided by the distance of the nearby person pixels,
   is the pixel's coverage (a camera mixes the two colours in proportion to the area each
   covers). The 0.5 level of that coverage is the outline to a fraction of a pixel. This
   needs a plain background; its residual texture is measured and reported.
2. :func:`front_chain` -- the outline as one closed sub-pixel contour, split at its top and
   bottom into two halves; the face's half is on the side where the head reaches furthest
   from the body's axis (the middle of the neck at the photo's bottom). The chain is returned
   top to bottom in a frame where the face points to +x.
3. :func:`profile_landmarks` -- points found on that chain by convex-hull geometry alone
   (no thresholds fitted to photos): the *nose tip* is the most anterior point above the
   chain's deepest concavity, the *cervical point* the deepest point of the deepest concavity
   below the nose tip (between the chin and the neck), the *pogonion* the point between them
   farthest ahead of the chord nose tip -> cervical point (the chin's most prominent point); the *nasion* and *subnasale* are the deepest points of the hull concavities just
   above the nose tip and (within the first 40 % of the contour from the nose tip to the
   pogonion) below it, the *glabella* the hull vertex above the nasion, the
   *menton* (constructed, like a cephalometric gnathion) the contour point nearest to where
   the submental line meets the face line (nasion -> pogonion).
4. :func:`profile_metrics` -- the angles and ratios (no scale needed):

   * ``cervicomental_angle_deg``: between the *submental line* and the *neck line* of the
     chin-neck outline modelled as two straight lines joined by a circular arc
     (:func:`fit_chin_neck`), fitted to the contour from 50 % of the way from the pogonion
     to the cervical point (past the chin's curve) down to 0.75 pogonion-cervical contour
     lengths below the cervical point. Total-least-squares lines through the submental
     window (50-90 % of the way) and the neck window (25-100 % of that length below the
     cervical point) start the fit. A rounded corner (soft tissue under the chin) leaves
     the lines those of the straight parts, where lines fitted near the corner would bend
     towards each other. About 105-120 deg in young adults; larger is a less defined
     chin-neck angle.
   * ``profile_jaw_angle_deg``: between the chord pogonion -> cervical point (the chin and
     the lower border of the jaw as the silhouette shows them) and the neck line; fullness
     under the chin bows the contour below the chord and turns the fitted submental line, so
     this angle and the cervicomental angle part.
   * ``chin_projection_pct``: how far the pogonion lies ahead of the line nasion ->
     subnasale, as a percentage of the nasion-menton height (positive: ahead).
   * ``face_line_tilt_deg``: the line nasion -> pogonion against the image vertical,
     positive when the chin is forward (head tipped back): the head-level check.
   * ``head_neck_angle_deg``: the head's posture on its neck, the face line (nasion ->
     pogonion) against the neck line, both going down, positive when the face line leans
     further forward than the neck (chin raised); the camera's roll turns both lines alike
     and leaves it. Raising the chin on the neck opens the chin-neck angle by as much (the
     submental line turns with the head, the neck line stays: the cervicomental angle
     minus this is the submental line against the face line), so the trend reads the
     chin-neck angles at the person's usual posture (:mod:`tracker.analysis.levers`).

5. The outline's own checks: :func:`edge_left_by` and :func:`neck_cut_off` (the neck cut
   off by the photo's edge before the neck window is covered, found also when the cut leaves
   no chin-neck angle to find: the outline is continued straight down past the border and
   read again), :func:`ends_at_the_chin` (the deepest concavity below the nose is the nose's
   or the lips', not a chin-neck angle) and :func:`chin_neck_fold_pct` (a slot or lip in the
   outline under the chin, which moves the cervical point). :func:`face_outline` and
   :func:`face_region` give the stretch of outline and the pixels the image checks of
   :mod:`tracker.quality` read (sharpness, exposure).

Image coordinates are x right, y down, pixel centres at integers. Which side of the subject
faces the camera follows from the way the face points: in an un-mirrored photo a face
pointing to the image's right shows the subject's right side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

Facing = Literal["left", "right"]

# the landmark names of :func:`profile_landmarks`, top to bottom
LANDMARKS = (
    "glabella",
    "nasion",
    "nose_tip",
    "subnasale",
    "pogonion",
    "menton",
    "cervical_point",
)
# fit windows, as fractions (see the module docstring); the truth on the 3-D head uses them too
SUBMENTAL_WINDOW = (0.5, 0.9)  # of the contour from the pogonion to the cervical point
NECK_WINDOW = (0.25, 1.0)  # of that contour's length, below the cervical point
SUBNASALE_WINDOW = (0.0, 0.4)  # of the contour from the nose tip to the pogonion
# the chin-neck corner's fit (:func:`fit_chin_neck`): the arc's radius starts from these
# fractions of the pogonion-cervical contour length (the best fit is kept) and stays under the
# last; residuals beyond this fraction of that length count less (soft L1: the outline's
# own small steps and the pixels' noise do not pull the lines)
CORNER_START_RADII = (0.01, 0.1, 0.2, 0.35, 0.5)
CORNER_MAX_RADIUS = 0.8
CORNER_ROBUST_SCALE = 0.005
CORNER_FIT_POINTS = 600  # at most this many contour points enter the fit (evenly taken)
# the fit runs down the neck this far below the cervical point (of the pogonion-cervical
# contour length): seen from a phone at 33-50 cm level with the chin, a neck's outline bends
# slightly as it goes below the camera's level, and the stretch read moves down with the
# cervical point when the submental line turns; over 0.6-0.75 of the length a known 5 deg
# change reads 4.93-5.09 deg at 33-50 cm on the 3-D head, over 1.0 up to 5.50
CORNER_NECK_REACH = 0.75
MIN_SUBJECT_STEP = 12.0  # grey levels: a fainter colour step from the background is no subject
# Skin close to the background's colour (see Silhouette.faint and faint_fraction): within
# this many subject steps of it, a little shade takes the skin below the step and the
# outline is lost there. Counted along the front outline's lower half (the chin and the
# neck), within this fraction of the image's short side of it; a refusal of the outline
# under the chin is put down to the background when more than MAX_FAINT_FRACTION of the
# skin there is faint (it changes the reason given, never whether a profile is read). On
# the 3-D head: plain walls of grey 60-230 and random selfies (noise, JPEG, light)
# 0.000-0.019; the neck shaded to 60 % 0.00-0.10 (its folds are refused as a step); walls of
# the skin's own colours 0.14-0.24 on the renders whose outline is lost, 0.02-0.10 on those
# read (tests/test_profile.py).
FAINT_STEPS = 2.0
FAINT_BAND_FRACTION = 0.03
MAX_FAINT_FRACTION = 0.12
CHAIN_SAMPLES = 4000  # the chain is resampled to this many points, equally spaced
# The coverage's denominator, the person's own colour distance from the background at the
# outline, is read from the pixels CORE_START_PX to CORE_START_PX + CORE_DEPTH_PX inside the
# outline (past a sharp edge's mixed pixels, which lie within about a pixel of the first pixel
# counted as the person), wherever the segmentation model's mask lies, averaged with a
# Gaussian of CORE_SIGMA_PX: the skin's colour changes along the outline, most where the lit
# chin meets the neck in its shadow, at the chin-neck corner the angle is read at; averaged
# over 6 px (before metrics 2026.11.30-silhouette) the two mixed there, which moved the outline
# by tenths of a pixel, tenths of a degree on a small face. On the 3-D head a known 5 deg change
# read up to 0.58 deg off at nasion-menton heights of 185-500 px; up to 0.46 now
# (benchmarks/bench_profile_size.py). A nearer core (2-4 px) did better there (0.35) but moved
# under a blur, a gain of the light and a shaded neck.
CORE_START_PX = 2.5
CORE_DEPTH_PX = 5.5
CORE_SIGMA_PX = 2.0


class ProfileError(ValueError):
    """The silhouette is not a usable profile; ``code`` names why (a ReasonCode value)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Silhouette:
    """A refined person outline.

    ``alpha`` (H, W) float32 coverage in [0, 1]; ``background_sd`` the robust SD (grey
    levels) of the background's colour around the person after its smooth trend is removed
    (its texture: a plain wall gives the sensor noise, 1-4); ``contrast`` the median colour
    distance between the person near the outline and the background (grey levels);
    ``subject_step`` the colour distance from the background (grey levels) beyond which a
    pixel is the person; ``core`` (H, W) bool, the band just inside the outline whose colour
    is the person's own at the outline (``CORE_START_PX``, ``CORE_DEPTH_PX``); ``faint``
    the pixels of that band within ``FAINT_STEPS`` subject steps of the background's colour:
    skin that a little shade loses against the background.
    """

    alpha: np.ndarray
    background_sd: float
    contrast: float
    subject_step: float = float("nan")
    core: np.ndarray | None = None
    faint: np.ndarray | None = None


@dataclass(frozen=True)
class ProfileGeometry:
    """Everything measured on one profile.

    ``chain_px`` (N, 2) the front outline in image pixels, top to bottom, as found (the
    input of :func:`measure_chain` after :func:`oriented`); ``facing`` the way
    the face points in the image; ``points_px`` landmark name -> (x, y) in image pixels;
    ``lines_px`` "submental" and "neck" -> ((x0, y0), (x1, y1)), the fitted lines over their
    windows; ``values`` the metrics (see the module docstring); ``turning`` how far the head
    overhangs the neck on the face's side and on the back's (pixels), the evidence for
    ``facing``; ``evidence`` the outline's own checks: ``chin_neck_fold_pct`` (see
    :func:`chin_neck_fold_pct`).
    """

    chain_px: np.ndarray
    facing: Facing
    points_px: dict[str, tuple[float, float]]
    lines_px: dict[str, tuple[tuple[float, float], tuple[float, float]]]
    values: dict[str, float]
    turning: tuple[float, float] = (0.0, 0.0)
    evidence: dict[str, float] = field(default_factory=dict)


# --- 1. the silhouette ---------------------------------------------------------------------------


def _plane_design(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(x), x, y])


def refine_silhouette(
    pixels: np.ndarray, mask: np.ndarray, *, band_px: float | None = None
) -> Silhouette:
    """The person's coverage of each pixel, exact at the outline on a plain background.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    mask : (H, W) float, the segmentation model's person probability.
    band_px : the half-width of the band around the model's outline where the background is
        modelled and the outline refined (default 6 % of the image's short side: the model's
        outline is within a few per cent of the true one).

    Returns
    -------
    Silhouette

    Raises
    ------
    ProfileError
        "no_face" when the model sees no person.
    """
    height, width = mask.shape
    person = mask > 0.5
    if person.sum() < 0.01 * mask.size:
        raise ProfileError("no_face", "no person found in the photo")
    band = band_px if band_px is not None else 0.06 * min(height, width)
    out_dist = cv2.distanceTransform((~person).astype(np.uint8), cv2.DIST_L2, 5)
    image = pixels.astype(np.float32)

    # the background: a colour plane fitted to the model's background near the person
    ring = (~person) & (out_dist > 0.25 * band) & (out_dist < 2.0 * band) & (mask < 0.1)
    ys, xs = np.nonzero(ring)
    if ys.size < 200:
        raise ProfileError("no_face", "the person fills the whole photo: no background to see")
    step = max(1, ys.size // 40000)
    ys, xs = ys[::step], xs[::step]
    scale = float(max(height, width))
    design = _plane_design(xs / scale, ys / scale)
    colours = image[ys, xs]
    # start from the median colour (robust to the person's pixels the model calls
    # background), then fit the plane to the pixels near it, and refit without outliers
    spread = np.linalg.norm(colours - np.median(colours, axis=0), axis=1)
    keep = spread <= max(6.0 * 1.4826 * float(np.median(spread)) / math.sqrt(2.0), 10.0)
    coefficients = np.zeros((3, 3))
    for _ in range(3):  # refit without the outliers (a stray object, a shadow)
        coefficients, *_ = np.linalg.lstsq(design[keep], colours[keep], rcond=None)
        residual = np.linalg.norm(colours - design @ coefficients, axis=1)
        sd = 1.4826 * float(np.median(residual[keep])) / math.sqrt(2.0) + 1e-3
        keep = residual < max(6.0 * sd, 6.0)
    background_sd = 1.4826 * float(np.median(residual)) / math.sqrt(2.0)

    # each pixel's colour distance from the background field
    gy, gx = np.mgrid[0:height, 0:width]
    fitted = (
        _plane_design(gx.ravel() / scale, gy.ravel() / scale).astype(np.float32)
        @ coefficients.astype(np.float32)
    ).reshape(height, width, 3)
    distance = np.linalg.norm(image - fitted, axis=2).astype(np.float32)
    noise = max(background_sd, 1.0)
    # the person: far from the background colour (the model's mask is only a guide: its
    # inside may hold background), connected to the model's person; holes filled
    subject_step = max(8.0 * noise, MIN_SUBJECT_STEP)
    solid = distance > subject_step
    count, labels = cv2.connectedComponents(solid.astype(np.uint8), connectivity=8)
    if count > 1:
        overlap = np.bincount(labels[person], minlength=count)
        overlap[0] = 0
        solid = labels == int(np.argmax(overlap))
    solid = _fill_holes(solid)
    # the person's own colour distance at the outline: that of the pixels just inside it
    # (see CORE_START_PX)
    inner = cv2.distanceTransform(solid.astype(np.uint8), cv2.DIST_L2, 5)
    core = (inner >= CORE_START_PX) & (inner <= CORE_START_PX + CORE_DEPTH_PX)
    weight = cv2.GaussianBlur(core.astype(np.float32), (0, 0), CORE_SIGMA_PX)
    total = cv2.GaussianBlur(
        np.where(core, distance, 0.0).astype(np.float32), (0, 0), CORE_SIGMA_PX
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        local = total / weight
    local = np.where(weight > 1e-3, local, np.inf)
    outer = cv2.distanceTransform((~solid).astype(np.uint8), cv2.DIST_L2, 5)
    edge = ((outer > 0) & (outer <= 3.0)) | ((inner > 0) & (inner <= 3.0))
    alpha = solid.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.clip(distance / local, 0.0, 1.0)
    alpha[edge] = np.nan_to_num(coverage[edge], nan=0.0)
    contrast = float(np.median(distance[core])) if core.any() else 0.0
    return Silhouette(
        alpha=alpha,
        background_sd=background_sd,
        contrast=contrast,
        subject_step=subject_step,
        core=core,
        faint=core & (distance <= FAINT_STEPS * subject_step),
    )


def _fill_holes(region: np.ndarray) -> np.ndarray:
    from scipy.ndimage import binary_fill_holes

    return np.asarray(binary_fill_holes(region), dtype=bool)


# --- 2. the front chain ----------------------------------------------------------------------------


def _resample(chain: np.ndarray, samples: int) -> np.ndarray:
    """``samples`` points equally spaced along a polyline."""
    steps = np.linalg.norm(np.diff(chain, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(steps)])
    if s[-1] <= 0:
        return np.repeat(chain[:1], samples, axis=0)
    t = np.linspace(0.0, s[-1], samples)
    return np.column_stack([np.interp(t, s, chain[:, 0]), np.interp(t, s, chain[:, 1])])


def _turning_deg(chain: np.ndarray) -> float:
    """The total absolute turning of a polyline (degrees), smoothed over 1 % of its length."""
    points = _resample(chain, 400)
    from scipy.ndimage import gaussian_filter1d

    points = np.column_stack([gaussian_filter1d(points[:, k], 2.0, mode="nearest") for k in (0, 1)])
    d = np.diff(points, axis=0)
    angles = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
    return float(np.degrees(np.abs(np.diff(angles)).sum()))


def front_chain(alpha: np.ndarray):
    """The face's half of the outline by the overhang, top to bottom, in image pixels.

    Returns
    -------
    (chain (N, 2) x, y in image pixels; the way the face points; (overhang of the face's
    side, of the back's) in pixels, the evidence for the way: see ``_overhangs``; the other
    half, top to bottom). The points on the image border are left out.

    Raises
    ------
    ProfileError
        "not_a_profile" when the outline cannot be split into two halves.
    """
    from skimage.measure import find_contours

    height, width = alpha.shape
    padded = np.pad(alpha, 1)
    contours = find_contours(padded, 0.5)
    if not contours:
        raise ProfileError("no_face", "no person outline found")
    contour = max(contours, key=len)[:, ::-1] - 1.0  # (x, y), unpadded
    n = len(contour)
    top = int(np.argmin(contour[:, 1]))
    contour = np.roll(contour, -top, axis=0)
    low = contour[:, 1] >= contour[:, 1].max() - 1.0
    bottoms = np.nonzero(low)[0]
    bottom = int(bottoms[len(bottoms) // 2])
    if bottom <= 2 or bottom >= n - 2:
        raise ProfileError("not_a_profile", "the outline has no top and bottom to split at")
    halves = [contour[: bottom + 1], contour[bottom:][::-1]]
    on_border = 0.5
    halves = [
        h[
            (h[:, 1] < height - 1 - on_border)
            & (h[:, 0] > on_border)
            & (h[:, 0] < width - 1 - on_border)
        ]
        for h in halves
    ]
    if min(len(h) for h in halves) < 20:
        raise ProfileError("not_a_profile", "the outline is too short to be a profile")
    overhang = _overhangs(alpha > 0.5)
    facing: Facing = "right" if overhang[1] > overhang[0] else "left"
    # the halves: which one lies on the right (larger x) at mid-height
    right_first = np.median(halves[0][:, 0]) > np.median(halves[1][:, 0])
    chain = halves[0] if right_first == (facing == "right") else halves[1]
    other = halves[1] if chain is halves[0] else halves[0]
    ratio = (max(overhang), min(overhang))
    return chain, facing, ratio, other


def _overhangs(region: np.ndarray) -> tuple[float, float]:
    """How far the head reaches beyond the body's axis on the image's left and right (px).

    The axis is the middle of the region's lowest tenth of rows (the neck, or the neck and
    shoulders, which sit about it). The face's side reaches furthest: the nose tip lies
    120-140 mm ahead of the middle of the neck in adults, the back of the skull 80-100 mm
    behind it."""
    rows = np.nonzero(region.any(axis=1))[0]
    if rows.size < 10:
        return (0.0, 0.0)
    left = np.array([np.argmax(region[r]) for r in rows], dtype=np.float64)
    right = np.array(
        [region.shape[1] - 1 - np.argmax(region[r, ::-1]) for r in rows], dtype=np.float64
    )
    low = rows >= rows[-1] - 0.1 * (rows[-1] - rows[0])
    axis = float(np.median(0.5 * (left[low] + right[low])))
    return (axis - float(left.min()), float(right.max()) - axis)


def oriented(chain: np.ndarray, facing: Facing, width: int) -> np.ndarray:
    """The chain in a frame where the face points to +x (mirrored when it points left); its
    own inverse."""
    if facing == "right":
        return chain.copy()
    out = chain.copy()
    out[:, 0] = (width - 1) - out[:, 0]
    return out


# --- 3. landmarks --------------------------------------------------------------------------------


def _hull_vertices(chain: np.ndarray) -> np.ndarray:
    """Indices of the chain's front convex-hull vertices, in chain order.

    The chain is closed far behind (two points well behind its ends), so that the hull is
    the outline's front envelope: concavities of the front are its defects, whatever the
    chain does behind the line joining its ends."""
    extent = float(np.ptp(chain, axis=0).max()) or 1.0
    back = chain[:, 0].min() - 10.0 * extent
    closed = np.vstack([chain, [[back, chain[-1, 1]], [back, chain[0, 1]]]])
    hull = cv2.convexHull(closed.astype(np.float64).astype(np.float32), returnPoints=False)
    hull = hull.ravel()
    return np.sort(hull[hull < len(chain)])


def _distance_from_line(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of ``points`` from the line a -> b, positive on the right of its direction in
    (x right, y down) axes... here simply the unsigned perpendicular distance."""
    d = b - a
    norm = float(np.hypot(*d)) or 1.0
    return np.abs((points[:, 0] - a[0]) * d[1] - (points[:, 1] - a[1]) * d[0]) / norm


def _defects(chain: np.ndarray, offset: int = 0) -> list[tuple[float, int, int, int]]:
    """The concavities of a chain against its convex hull: (depth, start vertex, end vertex,
    deepest point), indices into the whole chain (``chain`` starts at ``offset``), in order."""
    hull = _hull_vertices(chain)
    out = []
    for i, j in zip(hull[:-1], hull[1:], strict=True):
        if j - i < 3:
            continue
        depth = _distance_from_line(chain[i + 1 : j], chain[i], chain[j])
        k = int(np.argmax(depth))
        out.append((float(depth[k]), offset + int(i), offset + int(j), offset + int(i + 1 + k)))
    return out


MIN_DEFECT = 0.03  # a concavity counts when deeper than this fraction of nose tip -> cervical


def profile_landmarks(chain: np.ndarray) -> dict[str, int]:
    """The landmark indices on a front chain (top to bottom, the face pointing to +x).

    Convex-hull geometry only: the nose tip is the most anterior point above the chain's
    deepest concavity; the cervical point the deepest point of the deepest concavity of the
    chain from the nose tip down; the pogonion the point between them farthest ahead of the
    chord nose tip -> cervical point (the chin's most prominent point); the nasion and subnasale the deepest
    points of the nearest concavity (deeper than ``MIN_DEFECT``) above the nose tip and of
    the contour's first 40 % from the nose tip to the pogonion (against their chord); the glabella the hull vertex above the nasion; the menton the contour point nearest
    to where the submental line (``SUBMENTAL_WINDOW``) meets the face line nasion ->
    pogonion.

    Parameters
    ----------
    chain : (N, 2) points, any unit, equally spaced along the outline (see ``_resample``).

    Returns
    -------
    dict
        Landmark name (``LANDMARKS``) -> index into ``chain``.

    Raises
    ------
    ProfileError
        "not_a_profile" when the chain lacks the structure of a profile (a nose between two
        concavities above a chin-neck angle).
    """
    first = _defects(chain)
    if not first:
        raise ProfileError("not_a_profile", "the outline is convex: no chin-neck angle")
    deepest = max(first)[3]
    if deepest < 10:
        raise ProfileError("not_a_profile", "no face above the deepest concavity")
    nose = int(np.argmax(chain[:deepest, 0]))
    below_nose = _defects(chain[nose:], nose)
    if not below_nose:
        raise ProfileError("not_a_profile", "no chin-neck angle below the nose")
    cervical = max(below_nose)[3]
    if cervical - nose < 10:
        raise ProfileError("not_a_profile", "no chin between the nose and the neck")
    span = chain[nose : cervical + 1]
    pogonion = nose + int(np.argmax(_distance_from_line(span, span[0], span[-1])))
    if not nose < pogonion < cervical:
        raise ProfileError("not_a_profile", "no chin between the nose and the neck")
    scale = float(np.hypot(*(chain[cervical] - chain[nose])))
    above = [d for d in _defects(chain[: nose + 1]) if d[0] >= MIN_DEFECT * scale]
    if not above:
        raise ProfileError("not_a_profile", "no nose between two concavities")
    _, glabella, _, nasion = above[-1]
    upper_lip = _window(chain, nose, pogonion, SUBNASALE_WINDOW)
    depth = _distance_from_line(upper_lip, chain[nose], chain[pogonion])
    subnasale = int(np.argmin(np.linalg.norm(chain - upper_lip[int(np.argmax(depth))], axis=1)))
    arc = chain[pogonion : cervical + 1]
    if len(arc) < 5:
        raise ProfileError("not_a_profile", "no submental contour")
    centre, u_sub = _fit_line(_window(chain, pogonion, cervical, SUBMENTAL_WINDOW))
    corner = _intersection(centre, u_sub, chain[pogonion], chain[pogonion] - chain[nasion])
    menton = pogonion + int(np.argmin(np.linalg.norm(arc - corner, axis=1)))
    return {
        "glabella": glabella,
        "nasion": nasion,
        "nose_tip": nose,
        "subnasale": subnasale,
        "pogonion": pogonion,
        "menton": menton,
        "cervical_point": cervical,
    }


def _arc_length(chain: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(chain, axis=0), axis=1))])


def _window(chain: np.ndarray, a: int, b: int, fractions, *, beyond: bool = False):
    """The chain points from ``fractions`` of the contour length a -> b, measured from a
    (``beyond``: measured from b onwards, in units of that length)."""
    s = _arc_length(chain)
    length = s[b] - s[a]
    lo, hi = fractions
    start = s[b] if beyond else s[a]
    return chain[(s >= start + lo * length) & (s <= start + hi * length)]


def _intersection(p: np.ndarray, u: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where the lines p + t u and q + r v meet (p when they are parallel)."""
    matrix = np.column_stack([u, -v])
    if abs(np.linalg.det(matrix)) < 1e-12:
        return p
    t, _ = np.linalg.solve(matrix, q - p)
    return p + t * u


def _fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total least squares: (centroid, unit direction) of the best line through ``points``."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre, full_matrices=False)
    return centre, vt[0]


@dataclass(frozen=True)
class ChinNeck:
    """The chin-neck outline as two straight lines joined by a circular arc (see
    :func:`fit_chin_neck`): ``corner`` where the lines meet, ``submental`` the submental
    line's unit direction (from the corner towards the chin), ``neck`` the neck line's (from
    the corner down the neck), ``radius`` the arc's (the chain's unit; 0 for a sharp
    angle)."""

    corner: np.ndarray
    submental: np.ndarray
    neck: np.ndarray
    radius: float


def _unit(angle: float) -> np.ndarray:
    return np.array([math.cos(angle), math.sin(angle)])


def _tangent_reach(a: np.ndarray, b: np.ndarray, radius: float) -> float:
    """How far from the corner of the unit directions ``a`` and ``b`` a circle of ``radius``
    tangent to both touches them."""
    half = 0.5 * math.acos(float(np.clip(a @ b, -1.0, 1.0)))
    return radius / math.tan(half) if half > 1e-9 else math.inf


def _corner_distances(params: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K,) each point's distance from the rounded corner ``params`` = (corner x, corner y,
    angle of the submental direction, angle of the neck direction, radius): the two rays
    from their tangent points outwards and the arc between them, inside the angle."""
    corner = params[:2]
    a, b, radius = _unit(params[2]), _unit(params[3]), float(params[4])
    reach = _tangent_reach(a, b, radius)
    rel = points - corner
    cross_a = np.abs(rel[:, 0] * a[1] - rel[:, 1] * a[0])
    cross_b = np.abs(rel[:, 0] * b[1] - rel[:, 1] * b[0])
    on_a = np.where(rel @ a >= reach, cross_a, np.inf)
    on_b = np.where(rel @ b >= reach, cross_b, np.inf)
    bisector = a + b
    norm = float(np.hypot(*bisector))
    if radius <= 0 or norm < 1e-9 or not math.isfinite(reach):
        best = np.minimum(on_a, on_b)
        return np.where(np.isfinite(best), best, np.hypot(rel[:, 0], rel[:, 1]))
    centre = corner + bisector / norm * math.hypot(radius, reach)
    t_a, t_b = corner + reach * a - centre, corner + reach * b - centre
    from_centre = points - centre

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    turn = math.copysign(1.0, float(cross(t_a, t_b)))
    inside = (turn * cross(t_a[None], from_centre) >= 0) & (
        turn * cross(from_centre, t_b[None]) >= 0
    )
    on_arc = np.where(
        inside, np.abs(np.hypot(from_centre[:, 0], from_centre[:, 1]) - radius), np.inf
    )
    best = np.minimum(np.minimum(on_a, on_b), on_arc)
    ends = np.minimum(
        np.linalg.norm(points - (corner + reach * a), axis=1),
        np.linalg.norm(points - (corner + reach * b), axis=1),
    )
    return np.where(np.isfinite(best), best, ends)


def fit_chin_neck(
    points: np.ndarray, submental: np.ndarray, neck: np.ndarray, corner: np.ndarray, length: float
) -> ChinNeck:
    """Fit two straight lines joined by a circular arc to the chin-neck outline.

    A neck seldom meets the submental surface in a sharp angle: the skin rounds the corner,
    more with soft tissue under the chin. Lines fitted to windows of the outline near the
    corner bend towards each other by an amount that depends on the rounding and on where
    the deepest point falls on it. The model here -- the submental line, the neck line and a
    circle tangent to both inside the angle -- is the shape of a rounded corner by
    construction: its lines are those of the straight parts whatever the radius (0 for a
    sharp angle), and the cervicomental angle is the angle between them.

    Parameters
    ----------
    points : (K, 2) the outline from the submental line's straight part to the neck's, in
        order.
    submental, neck : starting unit directions (towards the chin; down the neck).
    corner : starting point where the lines meet.
    length : the pogonion-cervical contour length (sets the radius' range and the robust
        scale).

    Returns
    -------
    ChinNeck
        The best of the fits started at the radii ``CORNER_START_RADII`` x ``length``
        (scipy.optimize.least_squares, soft L1 loss).
    """
    from scipy.optimize import least_squares

    step = max(1, int(math.ceil(len(points) / CORNER_FIT_POINTS)))
    pts = np.asarray(points, dtype=np.float64)[::step]
    angles = [math.atan2(submental[1], submental[0]), math.atan2(neck[1], neck[0])]
    lower = [-np.inf, -np.inf, -np.inf, -np.inf, 0.0]
    upper = [np.inf, np.inf, np.inf, np.inf, CORNER_MAX_RADIUS * length]
    best = None
    for start in CORNER_START_RADII:
        x0 = np.array([corner[0], corner[1], *angles, start * length])
        fit = least_squares(
            _corner_distances,
            x0,
            bounds=(lower, upper),
            args=(pts,),
            loss="soft_l1",
            f_scale=CORNER_ROBUST_SCALE * length,
        )
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    params = best.x
    return ChinNeck(
        corner=params[:2].copy(),
        submental=_unit(params[2]),
        neck=_unit(params[3]),
        radius=float(params[4]),
    )


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(u @ v / (np.hypot(*u) * np.hypot(*v)), -1, 1))))


def ends_at_the_chin(chain: np.ndarray, marks: dict[str, int]) -> bool:
    """Whether the cervical point found lies closer to the nose tip, along the outline, than
    the nasion does: then it is no chin-neck angle but the nose's or the lips' concavity,
    and the outline ends at the chin (the neck lost against the background, or cut off by
    the photo's edge). A chin-neck angle lies below the lips and the chin, about three times
    as far from the nose tip as the nasion: 2.8 on the 3-D head's exact silhouette, 3.4 on
    its renders and on the drawn profiles of the tests."""
    s = _arc_length(chain)
    tip = marks["nose_tip"]
    return bool(s[marks["cervical_point"]] - s[tip] < s[tip] - s[marks["nasion"]])


def profile_metrics(chain: np.ndarray, marks: dict[str, int]) -> tuple[dict, dict]:
    """The profile metrics of a front chain and its landmarks (any unit: all are scale-free).

    Returns
    -------
    (values, lines): metric name -> value; "submental" and "neck" -> the fitted segment's
    end points (in the chain's own frame).

    Raises
    ------
    ProfileError
        "neck_hidden" when less of the neck shows below the cervical point than the neck
        window needs, or when the outline has no chin-neck angle (see
        :func:`ends_at_the_chin`).
    """
    s = _arc_length(chain)
    p, c = marks["pogonion"], marks["cervical_point"]
    if ends_at_the_chin(chain, marks):
        raise ProfileError("neck_hidden", "no neck below the chin: the outline ends there")
    if s[-1] < s[c] + NECK_WINDOW[1] * (s[c] - s[p]):
        raise ProfileError("neck_hidden", "too little of the neck shows below the chin")
    sub = _window(chain, p, c, SUBMENTAL_WINDOW)
    neck = _window(chain, p, c, NECK_WINDOW, beyond=True)
    if len(sub) < 3 or len(neck) < 3:
        raise ProfileError("neck_hidden", "too little of the chin-neck outline")
    centre_s, u_sub = _fit_line(sub)
    centre_n, u_neck = _fit_line(neck)
    # orient: the submental line towards the chin, the neck line down the neck
    if u_sub @ (chain[p] - chain[c]) < 0:
        u_sub = -u_sub
    if u_neck @ (neck[-1] - neck[0]) < 0:
        u_neck = -u_neck
    # the windows' lines start the fit of the rounded corner, over the outline from the
    # submental window's start to CORNER_NECK_REACH below the cervical point
    length = s[c] - s[p]
    span = (s >= s[p] + SUBMENTAL_WINDOW[0] * length) & (s <= s[c] + CORNER_NECK_REACH * length)
    corner = fit_chin_neck(
        chain[span], u_sub, u_neck, _intersection(centre_s, u_sub, centre_n, u_neck), length
    )
    u_sub, u_neck = corner.submental, corner.neck
    if u_sub @ (chain[p] - corner.corner) < 0:
        u_sub = -u_sub
    if u_neck @ (neck[-1] - corner.corner) < 0:
        u_neck = -u_neck
    values = {
        "cervicomental_angle_deg": _angle_deg(u_sub, u_neck),
        "profile_jaw_angle_deg": _angle_deg(chain[p] - chain[c], u_neck),
    }
    na, sn, pg = chain[marks["nasion"]], chain[marks["subnasale"]], chain[marks["pogonion"]]
    vertical = sn - na
    # ahead of the line nasion -> subnasale: +x side when the line points down (+y)
    ahead = ((pg[0] - na[0]) * vertical[1] - (pg[1] - na[1]) * vertical[0]) / (
        float(np.hypot(*vertical)) or 1.0
    )
    height = float(np.hypot(*(chain[marks["menton"]] - na))) or 1.0
    values["chin_projection_pct"] = float(100.0 * ahead / height)
    face_line = pg - na
    values["face_line_tilt_deg"] = float(np.degrees(np.arctan2(face_line[0], face_line[1])))
    # the head's posture on its neck: the face line against the neck line, both going down;
    # raising the chin (the head tipped back on the neck) turns the face line forward and
    # opens the chin-neck angle with it, one for one
    posture = values["face_line_tilt_deg"] - float(np.degrees(np.arctan2(u_neck[0], u_neck[1])))
    values["head_neck_angle_deg"] = float((posture + 180.0) % 360.0 - 180.0)

    # the straight parts: from the arc's ends out to the fitted outline's ends
    ends = chain[span][[0, -1]]
    reach = _tangent_reach(u_sub, u_neck, corner.radius)
    start_sub, start_neck = corner.corner + reach * u_sub, corner.corner + reach * u_neck
    lines = {
        "submental": (
            tuple(start_sub),
            tuple(corner.corner + float((ends[0] - corner.corner) @ u_sub) * u_sub),
        ),
        "neck": (
            tuple(start_neck),
            tuple(corner.corner + float((ends[1] - corner.corner) @ u_neck) * u_neck),
        ),
    }
    return values, lines


def measure_chain(chain: np.ndarray) -> tuple[np.ndarray, dict[str, int], dict, dict]:
    """Resample a front chain (face to +x, top to bottom), find its landmarks and metrics.

    Returns (resampled chain, landmark indices, values, lines); raises ProfileError."""
    chain = _resample(np.asarray(chain, dtype=np.float64), CHAIN_SAMPLES)
    marks = profile_landmarks(chain)
    values, lines = profile_metrics(chain, marks)
    return chain, marks, values, lines


def measure_silhouette(alpha: np.ndarray) -> ProfileGeometry:
    """The profile geometry of a refined silhouette (see the module docstring).

    Raises
    ------
    ProfileError
        With the reason's code when the outline is not a usable profile.
    """
    width = alpha.shape[1]
    chain_img, facing, turning, other = front_chain(alpha)
    found_facing = facing
    # both halves are read as a profile; the face's is the one with a nose (the most
    # prominent nose tip against the line nasion -> pogonion), the overhang decides a tie
    found = []
    errors: list[ProfileError] = []
    for rank, (half, way) in enumerate(
        ((chain_img, facing), (other, "left" if facing == "right" else "right"))
    ):
        try:
            measured = measure_chain(oriented(half, way, width))
        except ProfileError as exc:
            # an outline that leaves the photo too soon below the chin: its neck is cut off
            # (too little of it, or so little that no chin-neck angle is left to find)
            edge = edge_left_by(half, alpha.shape)
            if edge is not None and (
                exc.code == "neck_hidden" or neck_cut_off(oriented(half, way, width))
            ):
                exc = _neck_cut(edge)
            errors.append(exc)
            continue
        found.append((_nose_prominence(measured[0], measured[1]), -rank, way, measured))
    if not found:
        # a half that is a profile but for its neck tells more than one that is none
        raise next((e for e in errors if e.code == "neck_hidden"), errors[0])
    best = max(found, key=lambda f: (f[0], f[1]))
    _, _, facing, (chain, marks, values, lines) = best
    values = {**values, "nose_prominence": best[0]}
    # the half as found (before resampling): measure_chain(oriented(it)) gives these values
    # again, which is what the library stores for remeasure
    back = chain_img if facing == found_facing else other
    edge = edge_left_by(back, alpha.shape)
    if edge is not None and neck_cut_off(oriented(back, facing, width)):
        raise _neck_cut(edge)

    def to_image(p):
        x, y = float(p[0]), float(p[1])
        return ((width - 1) - x if facing == "left" else x, y)

    return ProfileGeometry(
        chain_px=back,
        facing=facing,
        points_px={name: to_image(chain[i]) for name, i in marks.items()},
        lines_px={k: (to_image(a), to_image(b)) for k, (a, b) in lines.items()},
        values=values,
        turning=turning,
        evidence={"chin_neck_fold_pct": chin_neck_fold_pct(chain, marks)},
    )


# --- 5. the outline's own checks -----------------------------------------------------------------

BORDER_PX = 2.0  # a chain whose lower end is this close to the image border leaves the photo
# A chain that leaves the photo is continued straight down (a neck goes down to the shoulders)
# by this fraction of its own height when its landmarks are checked: long enough that an
# outline cut on the submental line gets a chin-neck angle at the border deeper than the
# lips' (the drawn profile of the tests, cut 2 mm above its cervical point), short enough
# that a whole neck keeps its own angle the deepest (the 3-D head rolled by up to 20 deg
# either way reads as without the continuation).
NECK_EXTENSION = 0.15


def edge_left_by(chain_px: np.ndarray, size_hw: tuple[int, ...]) -> str | None:
    """The image edge ("bottom", "left" or "right") by which a front chain (image pixels, top
    to bottom) leaves the photo at its lower end, or None when it ends inside the photo.
    ``size_hw`` is the image's (height, width)."""
    height, width = size_hw[:2]
    x, y = (float(v) for v in chain_px[-1])
    if y >= height - 1 - BORDER_PX:
        return "bottom"
    if x <= BORDER_PX:
        return "left"
    if x >= width - 1 - BORDER_PX:
        return "right"
    return None


def _neck_cut(edge: str) -> ProfileError:
    return ProfileError(
        "neck_hidden", f"neck cut off by the photo's {edge} edge: too little of it below the chin"
    )


def neck_cut_off(chain: np.ndarray) -> bool:
    """Whether a front chain that leaves the photo (see :func:`edge_left_by`) is cut off
    before the neck window below its chin-neck angle is covered.

    The chain (face to +x, top to bottom) is continued straight down beyond its end (a neck
    goes down to the shoulders) by ``NECK_EXTENSION`` of its height, and the landmarks are
    found on that longer outline. Cut just under the chin, the visible outline's deepest
    concavity is no chin-neck angle but the nose's or the lips', while the continued one's
    is, at the border or beyond it. The chain is cut off when the end of the neck window
    below that cervical point (``NECK_WINDOW``) lies past the visible chain's end, or when
    even the continued outline ends at the chin (:func:`ends_at_the_chin`).
    """
    chain = np.asarray(chain, dtype=np.float64)
    steps = np.linalg.norm(np.diff(chain, axis=0), axis=1)
    step = float(np.mean(steps)) if steps.size else 1.0
    reach = NECK_EXTENSION * float(np.ptp(chain[:, 1]))
    count = max(2, int(np.ceil(reach / max(step, 1e-9))))
    down = chain[-1] + np.column_stack([np.zeros(count), step * np.arange(1, count + 1)])
    longer = _resample(np.vstack([chain, down]), CHAIN_SAMPLES)
    visible = float(steps.sum())
    try:
        marks = profile_landmarks(longer)
    except ProfileError:
        return False  # no profile on the continued outline either: nothing to say about it
    if ends_at_the_chin(longer, marks):
        return True
    s = _arc_length(longer)
    p, c = marks["pogonion"], marks["cervical_point"]
    return bool(s[c] + NECK_WINDOW[1] * (s[c] - s[p]) > visible)


def faint_fraction(silhouette: Silhouette, chain_px: np.ndarray | None = None) -> float:
    """The fraction of the skin just inside the front outline's lower half (by arc length:
    the chin and the neck; ``silhouette.core`` within ``FAINT_BAND_FRACTION`` of the image's
    short side of it) whose colour is within ``FAINT_STEPS`` subject steps of the
    background's (``silhouette.faint``). ``chain_px``: that outline when already found (a
    measured profile's ``chain_px``), else :func:`front_chain`'s; 0 when none is found.

    Before a wall of the skin's own colour (beige, peach) much of it is: the outline is found
    where the colour differs from the wall's by more than one step, and a little shade under
    the chin takes that skin below it. Before a plain wall unlike the skin, almost none.
    """
    if silhouette.core is None or silhouette.faint is None:
        return 0.0
    if chain_px is None:
        try:
            chain_px, _, _, _ = front_chain(silhouette.alpha)
        except ProfileError:
            return 0.0
    chain = np.asarray(chain_px, dtype=np.float64)
    s = _arc_length(chain)
    lower = chain[s >= 0.5 * s[-1]]
    if len(lower) < 2:
        return 0.0
    height, width = silhouette.alpha.shape
    drawn = np.ones((height, width), np.uint8)
    cv2.polylines(drawn, [np.round(lower).astype(np.int32)], False, (0,), 1)
    near = cv2.distanceTransform(drawn, cv2.DIST_L2, 5) < FAINT_BAND_FRACTION * min(height, width)
    skin = int(np.count_nonzero(silhouette.core & near))
    return float(np.count_nonzero(silhouette.faint & near)) / skin if skin else 0.0


FOLD_SAMPLES = 400  # the fold is looked for on this many points per pogonion-cervical length


def chin_neck_fold_pct(chain: np.ndarray, marks: dict[str, int]) -> float:
    """How far the outline folds back on itself from the pogonion to the end of the neck
    window, in per cent of the pogonion-cervical contour length.

    Over every pair of points of that stretch, the largest (arc between them - 2 x their
    distance) / 2. An outline without a fold gives at most 0 by construction: a corner
    reaches 0 only when it turns by 120 deg (a cervicomental angle of 60 deg), a smooth bend
    only past 200 deg. A slot of depth D and width w cut into the outline (a lip of skin
    over the neck, a crease under a double chin, a shadowed neck lost against the
    background) gives about D - w/2: the deepest point of the chin-neck concavity, the
    cervical point, then lies at the slot's end.
    """
    s = _arc_length(chain)
    p, c = marks["pogonion"], marks["cervical_point"]
    length = float(s[c] - s[p])
    if length <= 0:
        return 0.0
    inside = np.nonzero((s >= s[p]) & (s <= s[c] + NECK_WINDOW[1] * length))[0]
    spacing = float(s[-1]) / max(len(s) - 1, 1)
    every = max(1, int(length / FOLD_SAMPLES / max(spacing, 1e-12)))
    inside = inside[::every]
    points, arc = chain[inside], s[inside]
    distance = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    excess = 0.5 * (np.abs(arc[:, None] - arc[None, :]) - 2.0 * distance)
    return float(100.0 * max(0.0, float(excess.max())) / length)


def face_outline(geometry: ProfileGeometry, *, spacing_px: float = 1.0):
    """The front outline from the nasion to the menton in image pixels, resampled every
    ``spacing_px``, and its unit normals pointing into the face: ((N, 2), (N, 2)). This
    stretch (forehead's foot, nose, lips, chin) is skin against the background in any
    profile."""
    from scipy.ndimage import gaussian_filter1d

    chain = np.asarray(geometry.chain_px, dtype=np.float64)
    ends = [
        int(np.argmin(np.linalg.norm(chain - np.asarray(geometry.points_px[k]), axis=1)))
        for k in ("nasion", "menton")
    ]
    part = chain[min(ends) : max(ends) + 1]
    length = float(_arc_length(part)[-1])
    points = _resample(part, max(2, int(length / spacing_px) + 1))
    smooth = np.column_stack([gaussian_filter1d(points[:, k], 2.0, mode="nearest") for k in (0, 1)])
    tangent = np.gradient(smooth, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
    # going down a face that points to +x, the background lies on the +x side
    outward = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    if geometry.facing == "left":
        outward = -outward
    return points, -outward


def face_height_px(geometry: ProfileGeometry) -> float:
    """The nasion-menton distance in image pixels: the face's size in a profile."""
    return float(np.hypot(*np.subtract(geometry.points_px["menton"], geometry.points_px["nasion"])))


def face_region(geometry: ProfileGeometry, size_hw: tuple[int, ...]) -> np.ndarray:
    """The face in a profile: the image pixels from the nasion's to the menton's height,
    from the front outline back by half the nasion-menton distance (the nose, the cheek
    before the ear, the lips and the chin): (H, W) bool."""
    points, _ = face_outline(geometry)
    back = points.copy()
    depth = 0.5 * face_height_px(geometry)
    back[:, 0] += -depth if geometry.facing == "right" else depth
    polygon = np.vstack([points, back[::-1]])
    region = np.zeros(size_hw[:2], np.uint8)
    cv2.fillPoly(region, [np.round(polygon * 16).astype(np.int32)], 1, cv2.LINE_8, 4)  # type: ignore[call-overload]
    return region.astype(bool)


def _nose_prominence(chain: np.ndarray, marks: dict[str, int]) -> float:
    """How far the nose tip stands ahead of the line nasion -> pogonion, per length of that
    line: 0.15-0.3 for a nose; a bump of hair or an ear, taken for one, stands out less."""
    na, tip, pg = (chain[marks[k]] for k in ("nasion", "nose_tip", "pogonion"))
    length = float(np.hypot(*(pg - na))) or 1.0
    return float(_distance_from_line(tip[None], na, pg)[0]) / length


def profile_side(facing: Facing) -> Literal["left", "right"]:
    """The subject's side facing the camera in an un-mirrored photo whose face points
    ``facing``: turning to their own left shows their right cheek, the nose to image right.

    >>> profile_side("right"), profile_side("left")
    ('right', 'left')
    """
    return "right" if facing == "right" else "left"
