"""The jaw contour found in the image (front view).

Face Mesh's face oval is held to an average face shape: moving the jaw's outline in a photo by
1-2 mm moves its points only partly. Here the outline is found in the image itself. Along the
lower face oval, from the ramus (93 / 323) over the jaw corner and the lower border to the
chin (152), colour profiles are sampled along the outline's outward normal, evenly spaced
by arc length. On each, the edge between the face and what lies beyond it (the neck, set back
in shadow, or the background) is the steepest change of colour (the length of the colour's
derivative along the profile; a face in shadow against a grey wall of the same brightness
still differs in hue), the nearest to Face Mesh's outline among several, located to a
fraction of a pixel by the centroid of its peak. Every step moves exactly with a translation
of the image, so an outline moved by d pixels reads d pixels.

Per side, the profiles must agree: each offset from Face Mesh's outline is compared with the
median of its neighbours along the arc (outliers beyond 3 robust SDs rejected); kept profiles
form stretches of the outline (one missing profile joins two), and a stretch of fewer than
three does not set the outline (a lone profile beyond a broken stretch, where the jaw runs
into hair or an ear, would otherwise set the outline up to it, or not, on a few grey
levels), though it counts towards the side's kept fraction. A side is
**refused** when too few profiles keep a clear edge, when the edges are weak, when the band
just inside the outline does not look like the cheek's skin (much darker or much more
textured: a beard, stubble or shadow covers the jaw), or when the band just beyond it is
textured like hair (the edge found is the inner border of a beard or of a knitted collar; a
neck in shadow and a plain background are smooth). A refused side keeps Face Mesh's points
and has no jaw metrics. For an accepted side, each of Face Mesh's outline points is moved along
its normal by the offset of the profiles around it (linear interpolation along the arc of the
profiles kept): Face Mesh sets where along the outline each point is, the image sets the
outline. Beyond the outermost kept profile (where the outline runs into hair, an ear or a
collar) a point is placed by the image only within three profile spacings of it; the points
farther out are still moved (by that profile's offset), but every metric read across one of
them is NaN (the side's placed points are kept among the quality scores as
``jaw_edge_from_<side>`` / ``jaw_edge_to_<side>``). The refined points are stored with the
others, so that the metrics (:func:`tracker.metrics.geometry.jaw_contour_metrics`) are
recomputed from them without pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.frame import face_axes_in_image
from tracker.metrics.refine import _luminance, band_profiles

# All lengths in iris diameters, so that the method behaves alike at every image size.
SEARCH_INSIDE = 0.55  # each profile runs this far inside Face Mesh's outline ...
SEARCH_OUTSIDE = 0.55  # ... and this far outside it (a few mm of Face Mesh error and a change)
PRIOR_SIGMA = 0.5  # among several steps, prefer the one nearest Face Mesh (Gaussian weight)
LEVEL_WINDOW = 0.15  # the slope centroid is taken within this distance of the step
LEVEL_ZONE = (0.05, 0.25)  # the colours either side of a step: this far from it
SMOOTHING_SIGMA = 0.03  # Gaussian pre-smoothing of the image
ANCHOR_SIGMA = 0.05  # extra smoothing of the profile for choosing the step
BAND_HALF_WIDTH = 0.12  # each profile averages the image across this half-width along the arc
PROFILES_PER_SIDE = 24
MIN_EDGE_CONTRAST = 10.0  # the colour step across an edge (RGB distance); weaker is not one
MIN_KEPT_FRACTION = 0.6  # of a side's profiles, with a clear and consistent edge
CONSISTENCY_FLOOR = 0.05  # outliers: beyond max(this, 3 robust SDs) off the local median
CONSISTENCY_SPAN = 5  # profiles in the local median
MIN_RUN = 3  # kept profiles in a stretch of the outline (one missing profile joins two)
# an outline point beyond the first or last kept profile is placed by the image only within
# this many profile spacings of it (two missing profiles: the arc's ends lie one spacing
# beyond the end profiles); between kept profiles every point is placed
END_REACH_SPACINGS = 3.0
# the skin check: the band just inside the outline against the cheek's skin
SKIN_BAND = (0.25, 0.5)  # inside (and beyond) the found edge, from .. to (iris diameters)
MIN_SKIN_BRIGHTNESS_RATIO = 0.6  # the band's median over the cheek's
MAX_SKIN_TEXTURE_RATIO = 3.0  # the band's fine texture (SD of a high-pass) over the cheek's
FINE_SIGMA = 0.05  # the fine texture's high-pass, in iris diameters
SKIN_TEXTURE_FLOOR = 2.0  # grey levels added to the cheek's texture (flat, noiseless skin)

# the outline from the ramus to the chin, per side (the chin itself is shared)
JAW_OUTLINE = {
    "right": ix.RAMUS_RIGHT + ix.JAW_BORDER_RIGHT,
    "left": ix.RAMUS_LEFT + ix.JAW_BORDER_LEFT,
}
# cheek skin for the skin check: below the malar point, above the mouth corner's level
CHEEK_SKIN = {"right": (50, 101, 36, 205, 187), "left": (280, 330, 266, 425, 411)}

REFUSALS = {
    "weak": "no clear edge between the face and the neck",
    "inconsistent": "the edge along the jaw is broken or inconsistent",
    "dark": "the jaw is much darker than the cheek",
    "textured": "the jaw is textured unlike the cheek's skin",
    "textured_beyond": "hair, a beard or fabric textures the jaw's outline",
}


@dataclass(frozen=True)
class JawRefinement:
    """The mesh with the jaw outline moved onto the image edge, and the evidence per side
    ("right", "left").

    ``points_px`` the input mesh with the outline points (``JAW_OUTLINE`` and the chin) moved;
    ``found`` whether the side's outline was found (False: Face Mesh's points kept, no jaw
    metrics); ``profiles_used`` how many profiles kept a consistent edge (0 when refused);
    ``contrast`` the median step in grey levels; ``refusal`` the reason a side was refused
    (a key of ``REFUSALS``; "" when found); ``edge_px`` the (K, 2) image points of the kept
    edges (for overlays); ``placed`` the (V,) bool mask of the side's outline points
    (``JAW_OUTLINE[side]`` and the chin) that the image placed (:func:`_placed`; all False
    when refused). The others are moved too, by the outermost profile's offset, but no metric
    is read across them.
    """

    points_px: np.ndarray
    found: dict
    profiles_used: dict
    contrast: dict
    refusal: dict
    edge_px: dict
    placed: dict

    def evidence(self) -> dict[str, float]:
        """Scores for the quality record: ``jaw_edge_profiles_left``/``_right`` (0: refused),
        ``jaw_edge_contrast_left``/``_right``, and ``jaw_edge_from_<side>`` /
        ``jaw_edge_to_<side>``: the first and last outline point the image placed (0 the
        ramus's top, 9 the chin; -1 when none), from which :func:`placed_from_scores` gives
        the mask back."""
        out = {}
        for side in ("left", "right"):
            out[f"jaw_edge_profiles_{side}"] = float(self.profiles_used[side])
            out[f"jaw_edge_contrast_{side}"] = float(self.contrast[side])
            where = np.nonzero(self.placed[side])[0]
            out[f"jaw_edge_from_{side}"] = float(where[0]) if where.size else -1.0
            out[f"jaw_edge_to_{side}"] = float(where[-1]) if where.size else -1.0
        return out


def placed_from_scores(scores: dict, side: str) -> np.ndarray:
    """The (V,) mask of the side's outline points placed by the image, from the quality
    scores of :meth:`JawRefinement.evidence`: none when the side was refused
    (``jaw_edge_profiles_<side>`` 0), all when the scores predate the placing (photos
    measured before it)."""
    count = len(JAW_OUTLINE[side]) + 1
    mask = np.ones(count, bool)
    profiles = scores.get(f"jaw_edge_profiles_{side}")
    if profiles is not None and float(profiles) <= 0:
        return np.zeros(count, bool)
    first, last = scores.get(f"jaw_edge_from_{side}"), scores.get(f"jaw_edge_to_{side}")
    if first is None or last is None:
        return mask
    k = np.arange(count)
    return (k >= float(first)) & (k <= float(last)) & (float(first) >= 0)


def _arc(polyline: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(polyline, axis=0), axis=1))])


def _normals(polyline: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(K, 2) unit normals at the vertices of a polyline, pointing away from ``centre``."""
    tangent = np.gradient(polyline, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    outward = np.sign(np.sum((polyline - centre) * normal, axis=1))
    return normal * np.where(outward == 0, 1.0, outward)[:, None]


def _profiles(crop, origin, base, normals, tangents, t, half_band, step):
    """(P, T) or (P, T, C) profiles of ``crop`` along ``normals`` at ``base`` (image px),
    averaged across +/- ``half_band`` along ``tangents``."""
    s = np.linspace(-half_band, half_band, max(3, int(2 * half_band / step / 3) + 1))
    return band_profiles(crop, origin, base, normals, tangents, t, s)


def _find_edges(profile: np.ndarray, t: np.ndarray, iris_px: float, step: float):
    """Per (T, 3) colour profile (the face inside, t < 0): the sub-pixel edge offset and the
    colour step across it (grey levels, Euclidean in RGB).

    The edge is the steepest change of colour: the length of the colour's derivative along
    the profile, whose peak (nearest Face Mesh's outline among several, by a Gaussian prior)
    is located by the centroid of the run of samples above half of it. Colour, not brightness:
    a face in shadow against a grey background of the same brightness still differs in hue,
    and the shading of a face rolling off towards its outline changes colour slowly."""
    rows = profile.shape[0]
    strength = np.linalg.norm(np.diff(profile, axis=1), axis=-1)  # (P, T - 1)
    mid_t = 0.5 * (t[:-1] + t[1:])
    anchor_sigma = ANCHOR_SIGMA * iris_px / step
    anchor = (
        cv2.GaussianBlur(strength.astype(np.float32), (0, 1), sigmaX=anchor_sigma, sigmaY=0)
        if anchor_sigma > 0.3
        else strength
    ).astype(np.float64)
    prior = np.exp(-0.5 * (mid_t / (PRIOR_SIGMA * iris_px)) ** 2)
    peak = np.argmax(anchor * prior, axis=1)
    window = max(2, int(round(LEVEL_WINDOW * iris_px / step)))
    zone = (t[None, :] - mid_t[peak][:, None]) / iris_px
    edge = np.full(rows, np.nan)
    contrast = np.zeros(rows)
    n = strength.shape[1]
    for i in range(rows):
        k = int(peak[i])
        if k - window < 0 or k + window >= n:
            continue  # the step touches the end of the search range: not trusted
        local = strength[i, k - window : k + window + 1]
        j = int(np.argmax(local))
        half = 0.5 * local[j]
        left = j
        while left > 0 and local[left - 1] > half:
            left -= 1
        right = j
        while right < local.size - 1 and local[right + 1] > half:
            right += 1
        w = local[left : right + 1] - half
        if w.sum() <= 0:
            continue
        edge[i] = float(np.sum(w * mid_t[k - window + left : k - window + right + 1]) / w.sum())
        inside = (zone[i] > -LEVEL_ZONE[1]) & (zone[i] < -LEVEL_ZONE[0])
        outside = (zone[i] > LEVEL_ZONE[0]) & (zone[i] < LEVEL_ZONE[1])
        if inside.any() and outside.any():
            contrast[i] = float(
                np.linalg.norm(
                    np.median(profile[i, inside], axis=0) - np.median(profile[i, outside], axis=0)
                )
            )
    return edge, contrast


def _consistent(arc: np.ndarray, offsets: np.ndarray, iris_px: float) -> np.ndarray:
    """Boolean mask of the offsets that agree with their neighbours along the arc: within
    max(``CONSISTENCY_FLOOR`` iris, 3 robust SDs) of the median of the ``CONSISTENCY_SPAN``
    nearest profiles (itself included). Face Mesh's outline may stray from the image's
    smoothly; an isolated jump (a strand of hair, a shadow's edge) is not the outline."""
    finite = np.isfinite(offsets)
    local = np.full(offsets.shape, np.nan)
    idx = np.nonzero(finite)[0]
    half = CONSISTENCY_SPAN // 2
    for j, i in enumerate(idx):
        lo, hi = max(0, j - half), min(idx.size, j + half + 1)
        local[i] = np.median(offsets[idx[lo:hi]])
    resid = offsets - local
    if not finite.any():
        return finite
    mad = 1.4826 * float(np.median(np.abs(resid[finite])))
    return finite & (np.abs(resid) <= max(CONSISTENCY_FLOOR * iris_px, 3.0 * mad))


def _in_runs(keep: np.ndarray) -> np.ndarray:
    """``keep`` without the kept profiles that stand alone: stretches of kept profiles (one
    missing profile between two kept ones joins them) shorter than ``MIN_RUN``.

    A lone profile beyond a broken stretch of the outline (where it runs into hair or an
    ear) would set the outline's points up to that stretch, and whether it passes the
    consistency check or not turns on a few grey levels: the outline points there would
    jump by millimetres between two encodings of the same picture."""
    out = keep.copy()
    idx = np.nonzero(keep)[0]
    if idx.size == 0:
        return out
    breaks = np.nonzero(np.diff(idx) > 2)[0]
    for run in np.split(idx, breaks + 1):
        if run.size < MIN_RUN:
            out[run] = False
    return out


def _placed(arc: np.ndarray, s_prof: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(V,) bool: the outline's points (at arc lengths ``arc``, the chin last) that the kept
    profiles place: those between the first and the last kept profile (interpolated between
    kept neighbours, as the refinement moves them), and those beyond within
    ``END_REACH_SPACINGS`` profile spacings of the outermost kept profile.

    Farther out a point would be set by the outermost profile's offset alone, carried along
    the outline past a broken stretch (where the jaw runs into hair or an ear), and whether
    the profiles at the broken end are kept turns on a few grey levels: the point would move
    by millimetres between two encodings of one picture."""
    kept = s_prof[keep]
    if kept.size == 0:
        return np.zeros(arc.size, bool)
    reach = END_REACH_SPACINGS * (s_prof[1] - s_prof[0]) * (1 + 1e-9)
    return (arc >= kept.min() - reach) & (arc <= kept.max() + reach)


def _texture(values: np.ndarray) -> float:
    return float(np.std(values)) if values.size else 0.0


def refine_jaw(pixels: np.ndarray, points_px: np.ndarray, iris_px: float) -> JawRefinement:
    """Move Face Mesh's lower face-oval points onto the jaw's outline in the image.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB (or (H, W) grey) image the landmarks refer to.
    points_px : (478, 3) landmarks in pixels of ``pixels`` (irises and brows may be refined).
    iris_px : iris diameter in pixels (sets the search range and smoothing).

    Returns
    -------
    JawRefinement
        See the module docstring for the method and when a side is refused.
    """
    pts = np.array(points_px, dtype=np.float64)
    up, _ = face_axes_in_image(pts)
    step = max(iris_px / 60.0, 0.05)
    t = np.arange(-SEARCH_INSIDE * iris_px, SEARCH_OUTSIDE * iris_px + step / 2, step)
    outline_idx = list(JAW_OUTLINE["right"] + (ix.CHIN,) + JAW_OUTLINE["left"][::-1])
    outline = pts[outline_idx, :2]
    reach = (max(SEARCH_INSIDE, SEARCH_OUTSIDE) + BAND_HALF_WIDTH + 0.2) * iris_px + 4
    cheeks = pts[list(CHEEK_SKIN["right"] + CHEEK_SKIN["left"]), :2]
    box = np.vstack([outline, cheeks])
    x0 = int(max(0, np.floor(box[:, 0].min() - reach)))
    y0 = int(max(0, np.floor(box[:, 1].min() - reach)))
    x1 = int(min(pixels.shape[1], np.ceil(box[:, 0].max() + reach)))
    y1 = int(min(pixels.shape[0], np.ceil(box[:, 1].max() + reach)))
    region = np.ascontiguousarray(pixels[y0:y1, x0:x1])
    raw = _luminance(region)
    sigma = max(0.5, SMOOTHING_SIGMA * iris_px)
    crop = cv2.GaussianBlur(raw, (0, 0), sigma)
    colour = cv2.GaussianBlur(region.astype(np.float32), (0, 0), sigma)
    if colour.ndim == 2:  # a grey image: one channel (OpenCV drops a single channel's axis)
        colour = colour[..., None]
    # fine texture: the image minus a blur at a twentieth of the iris (hair strands, stubble,
    # knit; skin pores and noise are weaker), whose response to the outline's own step has
    # faded well before the bands where it is read (SKIN_BAND)
    fine = raw - cv2.GaussianBlur(raw, (0, 0), max(1.0, FINE_SIGMA * iris_px))
    origin = np.array([x0, y0], dtype=np.float64)
    centre = pts[list(ix.RIGID), :2].mean(axis=0)  # the face's middle: normals point away

    found, used, contrast_out, refusal, edge_out, placed = {}, {}, {}, {}, {}, {}
    offsets_at: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for side in ("right", "left"):
        idx = list(JAW_OUTLINE[side]) + [ix.CHIN]
        line = pts[idx, :2]
        arc = _arc(line)
        s_prof = np.linspace(0.0, arc[-1], PROFILES_PER_SIDE + 2)[1:-1]
        base = np.column_stack(
            [np.interp(s_prof, arc, line[:, 0]), np.interp(s_prof, arc, line[:, 1])]
        )
        vertex_normals = _normals(line, centre)
        normals = np.column_stack(
            [
                np.interp(s_prof, arc, vertex_normals[:, 0]),
                np.interp(s_prof, arc, vertex_normals[:, 1]),
            ]
        )
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        tangents = np.column_stack([-normals[:, 1], normals[:, 0]])
        rgb = _profiles(colour, origin, base, normals, tangents, t, BAND_HALF_WIDTH * iris_px, step)
        edge_t, contrast = _find_edges(rgb, t, iris_px, step)
        clear = np.isfinite(edge_t) & (contrast >= MIN_EDGE_CONTRAST)
        offsets = np.where(clear, edge_t, np.nan)
        consistent = _consistent(s_prof, offsets, iris_px)
        # the outline is set by stretches of kept profiles; a lone one is not used (but
        # counts towards the side's kept fraction: it found a clear, consistent edge)
        keep = _in_runs(consistent)
        contrast_out[side] = float(np.median(contrast[clear])) if clear.any() else 0.0
        why = ""
        if clear.mean() < MIN_KEPT_FRACTION:
            why = "weak"
        elif consistent.mean() < MIN_KEPT_FRACTION or not keep.any():
            why = "inconsistent"
        else:
            why = _skin_check(
                fine, crop, origin, base[keep], normals[keep], offsets[keep], pts, side, iris_px
            )
        found[side] = not why
        placed[side] = _placed(arc, s_prof, keep) if not why else np.zeros(arc.size, bool)
        refusal[side] = why
        used[side] = int(keep.sum()) if not why else 0
        edge_out[side] = (
            base[keep] + offsets[keep, None] * normals[keep] if not why else np.empty((0, 2))
        )
        if not why:
            offsets_at[side] = (s_prof[keep], offsets[keep])
            # every outline point but the chin: its offset interpolated along the arc
            moved = np.interp(arc[:-1], s_prof[keep], offsets[keep])
            pts[idx[:-1], :2] += moved[:, None] * vertex_normals[:-1]

    # the chin: the mean of the two sides' offsets extrapolated to it
    chin_shift = []
    for side, (s_kept, off) in offsets_at.items():
        line = np.asarray(points_px, dtype=np.float64)[list(JAW_OUTLINE[side]) + [ix.CHIN], :2]
        chin_shift.append(float(np.interp(_arc(line)[-1], s_kept, off)))
    if chin_shift:
        down = -up
        pts[ix.CHIN, :2] += float(np.mean(chin_shift)) * down
    return JawRefinement(
        points_px=pts,
        found=found,
        profiles_used=used,
        contrast=contrast_out,
        refusal=refusal,
        edge_px=edge_out,
        placed=placed,
    )


def _skin_check(fine, crop, origin, base, normals, offsets, pts, side, iris_px) -> str:
    """ "" when the band just inside the found edge looks like the cheek's skin, else the
    refusal key ("dark" or "textured")."""

    def sample(image, points):
        return cv2.remap(
            image,
            (points[:, 0] - origin[0]).astype(np.float32)[None],
            (points[:, 1] - origin[1]).astype(np.float32)[None],
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )[0]

    depths = np.linspace(SKIN_BAND[0], SKIN_BAND[1], 6) * iris_px
    band = np.concatenate(
        [base + (offsets - d)[:, None] * normals for d in depths]
    )  # points inside the edge
    cheek_pts = pts[list(CHEEK_SKIN[side]), :2]
    # a small disc of samples around each cheek point
    ring = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [0.7, 0.7], [-0.7, -0.7]]) * (
        0.25 * iris_px
    )
    cheek = (cheek_pts[:, None, :] + ring[None]).reshape(-1, 2)
    band_level = float(np.median(sample(crop, band)))
    cheek_level = float(np.median(sample(crop, cheek)))
    if band_level < MIN_SKIN_BRIGHTNESS_RATIO * cheek_level:
        return "dark"
    band_texture = _texture(sample(fine, band))
    cheek_texture = _texture(sample(fine, cheek))
    limit = MAX_SKIN_TEXTURE_RATIO * cheek_texture + SKIN_TEXTURE_FLOOR
    if band_texture > limit:
        return "textured"
    # beyond the edge: a neck in shadow or a plain background is smooth; the edge found at
    # the inner border of a beard (or of a knitted collar over the jaw) has hair beyond it
    beyond = np.concatenate([base + (offsets + d)[:, None] * normals for d in depths])
    if _texture(sample(fine, beyond)) > limit:
        return "textured_beyond"
    return ""
