"""Sub-pixel refinement of landmarks on the image itself.

Face Mesh is held to an average face shape, so its brow points follow a real local change
only partly. Here the brow's upper edge is found in the image: at evenly spaced columns over
the iris (where brow height is measured), an intensity profile is sampled in the face's "up"
direction (perpendicular to the interpupillary line) around Face Mesh's brow line. The edge is
the steepest step between brow and forehead skin (dark-to-bright for dark brows, the reverse
for grey or fair brows on darker skin), located to a fraction of a pixel. The median offset of
the edge from Face Mesh's line over the columns moves the five upper-brow landmarks together:
Face Mesh keeps the brow's shape, the image sets its height. Every step moves exactly with a
translation of the image, so a brow that is lifted by d pixels reads d pixels higher.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.frame import face_axes_in_image

# All lengths in iris diameters, so that the method behaves alike at every image size.
SEARCH_BELOW = 0.60  # the profile runs this far below Face Mesh's upper-brow line ...
SEARCH_ABOVE = 0.45  # ... and this far above it: room for a 3 mm lift Face Mesh follows 70%
LEVEL_WINDOW = 0.25  # dark and bright levels are read within this distance of the step
SMOOTHING_SIGMA = 0.03  # Gaussian pre-smoothing of the image
ANCHOR_SIGMA = 0.06  # extra smoothing of the profile for finding the step
COLUMNS_PER_BROW = 15
COLUMN_SPAN = 1.0  # columns cover the iris centre +/- this many iris diameters
MIN_EDGE_CONTRAST = 6.0  # grey levels; a weaker step (hidden or very fair brow) is not used
MIN_COLUMNS = 5  # fewer usable columns than this: keep Face Mesh's brow for that side


@dataclass(frozen=True)
class BrowRefinement:
    """Refined mesh and what the refinement saw, per side ("right", "left").

    ``points_px`` is the input mesh with the upper-brow landmarks moved onto the image edge;
    ``shift_px`` the mean move of each side's landmarks (positive = up); ``columns_used`` how
    many image columns supported each side's edge (0 = Face Mesh kept); ``contrast`` the median
    step height in grey levels; ``edge_px`` the (K, 2) image points of the used columns.
    """

    points_px: np.ndarray
    shift_px: dict
    columns_used: dict
    contrast: dict
    edge_px: dict


def _luminance(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32)


def band_profiles(crop, origin_px, base_px, along, across, t, s) -> np.ndarray:
    """Intensity profiles of ``crop`` (whose pixel (0, 0) is image point ``origin_px``), each
    averaged across a band: (P, T) for a grey crop, (P, T, C) for a colour one.

    Profile p samples the image at ``base_px[p] + t * along + s * across`` for every offset
    in ``t`` (T,) and averages over ``s`` (S,); ``along`` and ``across`` are unit directions,
    (2,) for every profile or (P, 2) one per profile. Bilinear, the border replicated."""
    base = np.asarray(base_px, dtype=np.float64)
    along = np.broadcast_to(np.asarray(along, dtype=np.float64), base.shape)
    across = np.broadcast_to(np.asarray(across, dtype=np.float64), base.shape)
    xs = (
        base[:, None, None, 0]
        - origin_px[0]
        + t[None, :, None] * along[:, None, None, 0]
        + s[None, None, :] * across[:, None, None, 0]
    )
    ys = (
        base[:, None, None, 1]
        - origin_px[1]
        + t[None, :, None] * along[:, None, None, 1]
        + s[None, None, :] * across[:, None, None, 1]
    )
    p, nt, ns = xs.shape
    map_x = xs.reshape(p * nt, ns).astype(np.float32)
    map_y = ys.reshape(p * nt, ns).astype(np.float32)
    rows = 32000  # cv2.remap takes maps of fewer than 32767 rows: sampled in blocks
    samples = np.concatenate(
        [
            cv2.remap(
                crop,
                map_x[start : start + rows],
                map_y[start : start + rows],
                interpolation=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )
            for start in range(0, p * nt, rows)
        ]
    )
    return samples.reshape(p, nt, ns, *crop.shape[2:]).mean(axis=2).astype(np.float64)


def _level_crossings(profile: np.ndarray, anchor_profile: np.ndarray, t: np.ndarray, window: int):
    """Per row: the half-level crossing nearest the steepest rise, and the step's contrast."""
    rows, n = profile.shape
    slope = np.diff(anchor_profile, axis=1)
    peak = np.argmax(slope, axis=1)  # the rise lies between samples peak and peak + 1
    edge = np.full(rows, np.nan)
    contrast = np.zeros(rows)
    for i in range(rows):
        k = peak[i]
        lo, hi = max(0, k - window), min(n, k + 1 + window + 1)
        if k - window < 0 or k + 1 + window >= n:
            continue  # the step touches the end of the search range: not trusted
        dark = np.percentile(profile[i, lo : k + 1], 10)
        bright = np.percentile(profile[i, k + 1 : hi], 90)
        contrast[i] = bright - dark
        level = 0.5 * (dark + bright)
        # walk out from the step to the nearest sample pair that brackets the level
        above = profile[i] >= level
        for offset in range(window + 1):
            for j in (k - offset, k + offset):
                if 0 <= j < n - 1 and not above[j] and above[j + 1]:
                    frac = (level - profile[i, j]) / (profile[i, j + 1] - profile[i, j])
                    edge[i] = t[j] + frac * (t[j + 1] - t[j])
                    break
            if not np.isnan(edge[i]):
                break
    return edge, contrast


def _slope_centroids(profile: np.ndarray, anchor_profile: np.ndarray, t: np.ndarray, window: int):
    """Per row: the sub-pixel position of the steepest dark-to-bright step, and its contrast.

    The position is the centroid of the profile's slope where it exceeds half the peak slope,
    within ``window`` samples of the peak (on ``anchor_profile``, a smoother copy). Unlike a
    level crossing or a parabola through the peak it changes continuously with the pixels, so
    two near-identical photos give near-identical edges, and it moves exactly with a shift.
    NaN where the step touches the end of the search range.
    """
    rows, n = profile.shape
    anchor_slope = np.diff(anchor_profile, axis=1)
    slope = np.diff(profile, axis=1)
    mid_t = 0.5 * (t[:-1] + t[1:])
    peak = np.argmax(anchor_slope, axis=1)
    edge = np.full(rows, np.nan)
    contrast = np.zeros(rows)
    for i in range(rows):
        k = peak[i]
        if k - window < 0 or k + window >= n - 1:
            continue
        lo, hi = k - window, k + window + 1
        local = slope[i, lo:hi]
        weight = np.clip(local - 0.5 * local.max(), 0.0, None)
        # keep only the run of samples around the peak (not a second, separate step)
        j = int(np.argmax(local))
        left = j
        while left > 0 and weight[left - 1] > 0:
            left -= 1
        right = j
        while right < len(weight) - 1 and weight[right + 1] > 0:
            right += 1
        w = weight[left : right + 1]
        if w.sum() <= 0:
            continue
        edge[i] = float(np.sum(w * mid_t[lo + left : lo + right + 1]) / w.sum())
        dark = np.percentile(profile[i, max(0, k - window) : k + 1], 10)
        bright = np.percentile(profile[i, k + 1 : min(n, k + window + 2)], 90)
        contrast[i] = bright - dark
    return edge, contrast


def refine_brows(pixels: np.ndarray, points_px: np.ndarray, iris_px: float) -> BrowRefinement:
    """Move the upper-brow landmarks onto the brow's upper edge in the image.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB (or (H, W) grey) image the landmarks refer to.
    points_px : (478, 3) landmarks in pixels of ``pixels``.
    iris_px : iris diameter in pixels (sets the search range and smoothing).

    Returns
    -------
    BrowRefinement
    """
    pts = np.array(points_px, dtype=np.float64)
    up, lateral = face_axes_in_image(pts)
    step = max(iris_px / 100.0, 0.05)
    t = np.arange(-SEARCH_BELOW * iris_px, SEARCH_ABOVE * iris_px + step / 2, step)
    window = max(2, int(round(LEVEL_WINDOW * iris_px / step)))

    sides = {"right": ix.BROW_UPPER_RIGHT, "left": ix.BROW_UPPER_LEFT}
    all_brow = pts[list(ix.BROW_UPPER_RIGHT + ix.BROW_UPPER_LEFT), :2]
    reach = (SEARCH_ABOVE + SEARCH_BELOW + 4 * SMOOTHING_SIGMA) * iris_px + 0.5 * iris_px + 4
    x0 = int(max(0, np.floor(all_brow[:, 0].min() - reach)))
    y0 = int(max(0, np.floor(all_brow[:, 1].min() - reach)))
    x1 = int(min(pixels.shape[1], np.ceil(all_brow[:, 0].max() + reach)))
    y1 = int(min(pixels.shape[0], np.ceil(all_brow[:, 1].max() + reach)))
    # a crop around the brows only: smoothing a whole 12 MP image would dominate the cost
    crop = _luminance(np.ascontiguousarray(pixels[y0:y1, x0:x1]))
    crop = cv2.GaussianBlur(crop, (0, 0), max(0.5, SMOOTHING_SIGMA * iris_px))
    anchor_sigma = ANCHOR_SIGMA * iris_px / step

    shift_out, used_out, contrast_out, edge_out = {}, {}, {}, {}
    iris_centres = {"right": pts[ix.IRIS_CENTRE_RIGHT, :2], "left": pts[ix.IRIS_CENTRE_LEFT, :2]}
    for side, idx in sides.items():
        mp = pts[list(idx), :2]
        u_mp, v_mp = mp @ lateral, mp @ up
        order = np.argsort(u_mp)
        u_sorted, v_sorted = u_mp[order], v_mp[order]
        u_iris = float(iris_centres[side] @ lateral)
        u_cols = u_iris + np.linspace(-COLUMN_SPAN, COLUMN_SPAN, COLUMNS_PER_BROW) * iris_px
        v_cols = np.interp(u_cols, u_sorted, v_sorted)
        half_band = 0.5 * (u_cols[1] - u_cols[0])
        s = np.linspace(-half_band, half_band, max(3, int(2 * half_band / step / 4) + 1))
        base = u_cols[:, None] * lateral + v_cols[:, None] * up  # (C, 2) image points
        profile = band_profiles(crop, (x0, y0), base, up, lateral, t, s)
        # polarity: is the brow (just below Face Mesh's line) darker than the skin above it?
        brow_zone = (t > -0.30 * iris_px) & (t < -0.05 * iris_px)
        skin_zone = (t > 0.10 * iris_px) & (t < 0.35 * iris_px)
        if np.median(profile[:, brow_zone]) > np.median(profile[:, skin_zone]):
            profile = -profile  # a fair or grey brow: find the bright-to-dark step instead
        anchor = (
            cv2.GaussianBlur(profile.astype(np.float32), (0, 1), sigmaX=anchor_sigma, sigmaY=0)
            if anchor_sigma > 0.3
            else profile
        )
        edge_t, contrast = _slope_centroids(
            profile, np.asarray(anchor, dtype=np.float64), t, window
        )
        usable = ~np.isnan(edge_t) & (contrast >= MIN_EDGE_CONTRAST)
        shift, used = 0.0, 0
        edge_out[side] = np.empty((0, 2))
        if usable.sum() >= MIN_COLUMNS:
            offsets = edge_t[usable]
            keep = np.abs(offsets - np.median(offsets)) <= max(
                0.05 * iris_px, 2.5 * 1.4826 * np.median(np.abs(offsets - np.median(offsets)))
            )
            if keep.sum() >= MIN_COLUMNS:
                shift = float(np.mean(offsets[keep]))
                used = int(keep.sum())
                pts[list(idx), 0] += shift * up[0]
                pts[list(idx), 1] += shift * up[1]
                cols = np.where(usable)[0][keep]
                edge_out[side] = base[cols] + offsets[keep, None] * up
        shift_out[side] = shift
        used_out[side] = used
        contrast_out[side] = float(np.median(contrast[usable])) if usable.any() else 0.0
    return BrowRefinement(
        points_px=pts,
        shift_px=shift_out,
        columns_used=used_out,
        contrast=contrast_out,
        edge_px=edge_out,
    )


# --- iris ------------------------------------------------------------------------------------
# Rays from Face Mesh's iris centre towards the sides (within this angle of the interpupillary
# line), where the limbus meets the white of the eye; the lids cover the top and bottom.
IRIS_RAY_HALF_ANGLE_DEG = 40.0
IRIS_RAYS_PER_SIDE = 15
IRIS_SEARCH = (0.55, 1.6)  # search the edge from this to this many Face Mesh iris radii
MIN_IRIS_CONTRAST = 12.0  # grey levels between iris and sclera
MIN_IRIS_EDGES = 10


@dataclass(frozen=True)
class IrisRefinement:
    """Refined mesh (iris centres and rings moved onto the limbus circle fitted in the image),
    and per side ("right", "left") the fitted radius in px and how many edge points fitted."""

    points_px: np.ndarray
    radius_px: dict
    edges_used: dict


def _fit_circle_lateral(u: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Least-squares circle through points (u, v) with its centre on v = 0: (centre u, radius).

    Edge points lie on the two sides of the iris only (the lids hide the top and bottom), which
    pins the centre's lateral position and the radius but hardly its height: that stays Face
    Mesh's.
    """
    a = np.stack([2 * u, np.ones_like(u)], axis=1)
    (cu, k), *_ = np.linalg.lstsq(a, u**2 + v**2, rcond=None)
    return float(cu), float(np.sqrt(max(k + cu**2, 0.0)))


def refine_irises(pixels: np.ndarray, points_px: np.ndarray) -> IrisRefinement:
    """Fit each iris's outline (limbus) in the image and move the iris landmarks onto it.

    Along rays from Face Mesh's iris centre towards both sides, the edge is the half-level
    crossing of the steepest dark-to-bright step (iris to sclera). A circle fitted to those
    points, with outliers removed, gives the iris centre and diameter to a fraction of a pixel.
    An eye without enough clear edges (closed, in shadow, tiny) keeps Face Mesh's points.

    Returns
    -------
    IrisRefinement
    """
    pts = np.array(points_px, dtype=np.float64)
    up, lateral = face_axes_in_image(pts)
    eyes = {
        "right": (ix.IRIS_CENTRE_RIGHT, ix.IRIS_RING_RIGHT, ix.IRIS_HORIZONTAL_RIGHT),
        "left": (ix.IRIS_CENTRE_LEFT, ix.IRIS_RING_LEFT, ix.IRIS_HORIZONTAL_LEFT),
    }
    half = np.radians(IRIS_RAY_HALF_ANGLE_DEG)
    angles = np.concatenate(
        [
            np.linspace(-half, half, IRIS_RAYS_PER_SIDE),
            np.pi + np.linspace(-half, half, IRIS_RAYS_PER_SIDE),
        ]
    )
    radius_out, used_out = {}, {}
    for side, (centre_idx, ring, horizontal) in eyes.items():
        centre = pts[centre_idx, :2]
        radius = 0.5 * float(np.linalg.norm(pts[horizontal[0], :2] - pts[horizontal[1], :2]))
        radius_out[side], used_out[side] = float(radius), 0
        if radius < 2.0:
            continue
        step = max(radius / 40.0, 0.05)
        rho = np.arange(IRIS_SEARCH[0] * radius, IRIS_SEARCH[1] * radius + step / 2, step)
        reach = int(np.ceil(IRIS_SEARCH[1] * radius + 6))
        x0, y0 = int(max(0, centre[0] - reach)), int(max(0, centre[1] - reach))
        x1 = int(min(pixels.shape[1], centre[0] + reach + 1))
        y1 = int(min(pixels.shape[0], centre[1] + reach + 1))
        crop = _luminance(np.ascontiguousarray(pixels[y0:y1, x0:x1]))
        crop = cv2.GaussianBlur(crop, (0, 0), max(0.5, radius / 25.0))
        dirs = np.cos(angles)[:, None] * lateral + np.sin(angles)[:, None] * up
        xs = centre[0] - x0 + rho[None, :] * dirs[:, 0:1]
        ys = centre[1] - y0 + rho[None, :] * dirs[:, 1:2]
        profile = cv2.remap(
            crop,
            xs.astype(np.float32),
            ys.astype(np.float32),
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        profile = profile.astype(np.float64)
        window = max(2, int(round(0.25 * radius / step)))
        edge_rho, contrast = _level_crossings(profile, profile, rho, window)
        usable = ~np.isnan(edge_rho) & (contrast >= MIN_IRIS_CONTRAST)
        if usable.sum() < MIN_IRIS_EDGES:
            continue
        # edge points in face axes relative to Face Mesh's centre
        u = edge_rho[usable] * np.cos(angles[usable])
        v = edge_rho[usable] * np.sin(angles[usable])
        keep = np.ones(u.size, dtype=bool)
        for _ in range(3):
            cu, r_fit = _fit_circle_lateral(u[keep], v[keep])
            resid = np.hypot(u - cu, v) - r_fit
            sd = max(0.02 * radius, 1.4826 * np.median(np.abs(resid[keep])))
            keep = np.abs(resid) <= 2.5 * sd
            if keep.sum() < MIN_IRIS_EDGES:
                break
        # both sides of the iris must support the fit, else the radius is unconstrained
        both_sides = (u[keep] > 0).sum() >= 3 and (u[keep] < 0).sum() >= 3
        if keep.sum() < MIN_IRIS_EDGES or not both_sides:
            continue
        cu, r_fit = _fit_circle_lateral(u[keep], v[keep])
        if not 0.7 * radius < r_fit < 1.4 * radius:
            continue
        c_fit = centre + cu * lateral
        pts[centre_idx, :2] = c_fit
        # ring points: both ends of the horizontal and the vertical diameter, in face axes
        ring_dirs = (lateral, up, -lateral, -up)
        # Face Mesh orders each ring 469-472 / 474-477 around the eye; keep its assignment by
        # snapping each ring point to the nearest of the four ends
        ends = np.array([c_fit + r_fit * d for d in ring_dirs])
        for i in ring:
            j = int(np.argmin(np.linalg.norm(ends - pts[i, :2], axis=1)))
            pts[i, :2] = ends[j]
        radius_out[side], used_out[side] = float(r_fit), int(keep.sum())
    return IrisRefinement(points_px=pts, radius_px=radius_out, edges_used=used_out)
