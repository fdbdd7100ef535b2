"""The facial metrics: pure numpy, vectorised over (N, 478, 3) landmark stacks.

Every distance is measured in the face frame (:mod:`tracker.metrics.frame`): pose removed and
the interpupillary line horizontal. Heights are vertical distances in that frame. Pixels are
turned into millimetres with a per-photo scale (mm per pixel of the analysed image).
Left and right are the subject's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics import registry
from tracker.metrics.frame import FaceFrame

# Stored with every measurement: bump it whenever a metric's definition or the geometry
# changes, so that `facetrack remeasure` knows which stored rows to recompute.
# 2026.11.30: perspective undone with the camera's focal length; face_scale_mm.
# 2026.11.30-jaw: the jaw outline found in the image (tracker.metrics.jaw); jaw contour
# distances, jowl and the jaw contour angle on it, NaN when refused; the jaw angle and the
# lower face width stay on Face Mesh's own jaw lines.
# 2026.11.30-cma: the cervicomental angle between the lines of the chin-neck outline fitted
# as two lines joined by a circular arc (tracker.metrics.profile.fit_chin_neck).
# 2026.11.30-runs: the front jaw outline (tracker.metrics.jaw) is set by stretches of kept
# profiles, not lone ones, and its points beyond the outermost kept profile are placed only
# within three profile spacings of it; a metric read across a point not placed is NaN. The
# stored outline points of photos imported before keep the earlier rule (they are
# image-refined), and all their points count as placed.
# 2026.11.30-silhouette: a profile's outline reads the person's own colour from the pixels
# 2.5-8 px inside it wherever the segmentation model's mask lies (it read none, and so pulled
# the outline 1-3 px inwards, where that mask overshot the person by more than its band),
# averaged over 2 px instead of 6 (tracker.metrics.profile.CORE_START_PX); profiles whose
# nasion-menton height is under settings.profile_min_face_height_px are refused as too
# small. `remeasure` reads stored profiles from the outline stored with them, which the
# earlier rule found, and keeps their status; `facetrack doctor --rebuild` finds them anew.
# 2026.12.01-posture: a profile also gives the head's posture on its neck
# (head_neck_angle_<side>_deg: the face line against the neck line), and the trend reads the
# chin-neck angles at the person's usual posture (tracker.analysis.levers.POSTURE);
# `remeasure` computes it from the stored outline.
ALGORITHM_VERSION = "2026.12.01-posture"

# the heights below the eyes (mm) at which the jaw contour's distance from the midline is read
JAW_CONTOUR_HEIGHTS_MM = (55, 75)
# the jaw angle's ramus: a line fitted to the outline at these heights below the eyes (mm);
# its lower border: a line fitted to the outline at these heights above the chin (mm), where
# the border still slopes (a move of the outline across leaves both sets of points in place)
JAW_RAMUS_HEIGHTS_MM = (40.0, 44.0, 48.0, 52.0, 56.0, 60.0, 64.0, 68.0)
JAW_BORDER_ABOVE_CHIN_MM = (26.0, 23.0, 20.0, 17.0, 14.0, 11.0, 8.0)
# the jaw corner's height below the eyes (mm): the jowl's chord and the lower face width
JAW_CORNER_HEIGHT_MM = 75.0
# every height above is for a face with this distance between the pupils, and scaled in
# proportion to it on every other face
JAW_HEIGHT_UNIT_MM = 63.0
# the outline from the ramus over the jaw corner to the chin, per side (tracker.metrics.jaw)
JAW_OUTLINE_POINTS = {
    "right": (*ix.RAMUS_RIGHT, *ix.JAW_BORDER_RIGHT, ix.CHIN),
    "left": (*ix.RAMUS_LEFT, *ix.JAW_BORDER_LEFT, ix.CHIN),
}

# the metrics computed here, in column order (:mod:`tracker.metrics.registry`)
METRIC_NAMES = registry.FRONT_METRIC_NAMES  # Face Mesh's metrics (not the profile's)


def iris_diameter_px(face: np.ndarray) -> np.ndarray:
    """(N,) mean horizontal iris diameter of both eyes, in the face frame (pixels)."""
    r0, r1 = ix.IRIS_HORIZONTAL_RIGHT
    l0, l1 = ix.IRIS_HORIZONTAL_LEFT
    right = np.linalg.norm(face[:, r0, :2] - face[:, r1, :2], axis=-1)
    left = np.linalg.norm(face[:, l0, :2] - face[:, l1, :2], axis=-1)
    return 0.5 * (right + left)


def interpupillary_px(face: np.ndarray) -> np.ndarray:
    """(N,) distance between the iris centres in the face frame (pixels)."""
    return np.linalg.norm(
        face[:, ix.IRIS_CENTRE_LEFT, :2] - face[:, ix.IRIS_CENTRE_RIGHT, :2], axis=-1
    )


def _height_at(face: np.ndarray, curve: tuple[int, ...], x_at: np.ndarray) -> np.ndarray:
    """Y of a landmark curve at abscissa ``x_at``: a least-squares quadratic through its points."""
    x = face[:, list(curve), 0]
    y = face[:, list(curve), 1]
    xc = x - x_at[:, None]
    # fit y = a + b xc + c xc^2 and return a (vectorised normal equations)
    design = np.stack([np.ones_like(xc), xc, xc**2], axis=-1)
    gram = np.einsum("nki,nkj->nij", design, design)
    rhs = np.einsum("nki,nk->ni", design, y)
    return np.linalg.solve(gram, rhs[..., None])[:, 0, 0]


def _fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) centroids and unit directions of the total-least-squares lines through (N, K, 2)."""
    centroid = points.mean(axis=1)
    centred = points - centroid[:, None, :]
    _, _, vt = np.linalg.svd(centred)
    return centroid, vt[:, 0, :]


def _intersect(c1, d1, c2, d2) -> np.ndarray:
    """(N, 2) intersections of the lines c1 + s d1 and c2 + t d2."""
    a = np.stack([d1, -d2], axis=-1)
    st = np.linalg.solve(a, (c2 - c1)[..., None])[..., 0]
    return c1 + st[:, :1] * d1


def jaw_corners(face: np.ndarray):
    """Gonion, ramus direction (towards the ear) and border direction (towards the chin).

    Returns a dict side -> (gonion (N, 2), ramus_dir (N, 2), border_dir (N, 2)).
    """
    out = {}
    for side, ramus, border in (
        ("right", ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT),
        ("left", ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT),
    ):
        rc, rd = _fit_line(face[:, list(ramus), :2])
        bc, bd = _fit_line(face[:, list(border), :2])
        gonion = _intersect(rc, rd, bc, bd)
        # orient: ramus towards the ear (up), border towards the chin
        rd = rd * np.sign(np.sum((face[:, ramus[0], :2] - gonion) * rd, axis=-1))[:, None]
        chin = face[:, ix.CHIN, :2]
        bd = bd * np.sign(np.sum((chin - gonion) * bd, axis=-1))[:, None]
        out[side] = (gonion, rd, bd)
    return out


def symmetry_line(face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fitted facial midline in the frontal plane: (N, 2) unit normal and (N,) offset.

    The mirror line that best maps each left landmark onto its right partner: its normal is
    the principal direction of the left-minus-right vectors, and it passes through the mean
    of the pairs' midpoints.
    """
    mirror = ix.mirror_permutation()
    paired = np.where(mirror != np.arange(mirror.size))[0]
    diff = face[:, paired, :2] - face[:, mirror[paired], :2]
    scatter = np.einsum("nki,nkj->nij", diff, diff)
    _, vecs = np.linalg.eigh(scatter)
    normal = vecs[..., -1]
    normal = normal * np.sign(normal[:, :1])  # point towards the subject's left (+X)
    mid = 0.5 * (face[:, paired, :2] + face[:, mirror[paired], :2])
    offset = np.einsum("nkd,nd->n", mid, normal) / paired.size
    return normal, offset


def _asymmetry_px(face: np.ndarray) -> np.ndarray:
    """(N,) mean distance between each landmark and its mirrored partner across the midline."""
    mirror = ix.mirror_permutation()
    paired = np.where(mirror != np.arange(mirror.size))[0]
    normal, offset = symmetry_line(face)
    partner = face[:, mirror[paired], :2]
    dist = np.einsum("nkd,nd->nk", partner, normal) - offset[:, None]
    reflected = partner - 2.0 * dist[..., None] * normal[:, None, :]
    # each pair is counted twice (left->right and right->left), which leaves the mean unchanged
    return np.linalg.norm(face[:, paired, :2] - reflected, axis=-1).mean(axis=1)


def _angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


# the facial midline for the jaw: the nose's rigid points and the inner eye corners (closed
# under the left/right pairing), far from the jaw: the rigid cheek points lie where a jaw
# change (or a warp of it) reaches
MIDLINE_REFERENCE = (1, 4, 5, 6, 168, 195, 197, 133, 362, 243, 463)


def midline_x(face: np.ndarray) -> np.ndarray:
    """(N,) the facial midline's X in the face frame: the mean X of ``MIDLINE_REFERENCE`` (the
    nose and the inner eye corners). Neither the jaw nor gaze moves it."""
    return face[:, list(MIDLINE_REFERENCE), 0].mean(axis=1)


def _crossing(line: np.ndarray, y_at: np.ndarray, axis: int = 1) -> np.ndarray:
    """(N, D) the point where the (N, K, D) polylines (D >= 2: x, y, ...) first cross the
    value ``y_at`` (N,) of coordinate ``axis`` (1: a height, 0: an abscissa) going along them,
    every coordinate interpolated; NaN when they do not reach it."""
    y0, y1 = line[:, :-1, axis], line[:, 1:, axis]
    target = y_at[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (target - y0) / (y1 - y0)
    hit = (frac >= 0.0) & (frac <= 1.0) & (y1 != y0)
    first = np.argmax(hit, axis=1)
    rows = np.arange(line.shape[0])
    f = np.where(hit.any(axis=1), frac[rows, first], np.nan)[:, None]
    return line[rows, first] + f * (line[rows, first + 1] - line[rows, first])


def _fit_directions(points: np.ndarray) -> np.ndarray:
    """(N, 2) unit directions of total-least-squares lines through (N, K, 2) points, NaN
    points left out (NaN when fewer than two remain), pointing from the first point to the
    last."""
    out = np.full((points.shape[0], 2), np.nan)
    for i, pts in enumerate(points):
        ok = np.isfinite(pts).all(axis=1)
        if ok.sum() < 2:
            continue
        centred = pts[ok] - pts[ok].mean(axis=0)
        direction = np.linalg.svd(centred)[2][0]
        ends = pts[ok][-1] - pts[ok][0]
        out[i] = direction * (1.0 if direction @ ends >= 0 else -1.0)
    return out


def jaw_lines_angle_deg(ramus: np.ndarray, border: np.ndarray) -> np.ndarray:
    """(N,) the angle (deg) between the ramus line (fitted to (N, R, >=2) points ordered from
    the ear down) turned towards the ear and the border line (fitted to (N, B, >=2) points
    ordered from the jaw corner to the chin) turned towards the chin."""
    up = -_fit_directions(ramus[..., :2])
    to_chin = _fit_directions(border[..., :2])
    return _angle_deg(up, to_chin)


def jaw_construction(face: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The points every jaw metric is read from, per side ("right", "left"), in the face
    frame (N, 3) (x, y in pixels at the eyes' scale, z the outline's depth): the construction
    that :func:`jaw_contour_metrics` measures and the overlay draws.

    Heights are given in millimetres for a face with ``JAW_HEIGHT_UNIT_MM`` between the
    pupils, and taken in proportion to the interpupillary distance on every face: the same
    place on a small and a large face, independent of the photo's millimetre scale (the iris
    diameter, whose noise would otherwise slide them along the outline) and of Face Mesh's
    other points (the iris centres are found in the image).

    Per side: ``contour_<h>`` the outline at ``h`` mm below the eyes and ``midline_<h>`` the
    midline's point level with it (at its depth); ``ramus`` (N, R, 3) the outline at ``JAW_RAMUS_HEIGHTS_MM``
    below the eyes; ``border`` (N, B, 3) the outline at ``JAW_BORDER_ABOVE_CHIN_MM`` above
    the chin;
    ``corner`` the outline at ``JAW_CORNER_HEIGHT_MM``; ``chin``; ``bulge`` the outline's
    vertex farthest outside the corner-chin line and ``bulge_foot`` its foot on that line;
    ``bulge_px`` (N,) that distance in pixels (0 when the outline lies inside the line).
    """
    n = face.shape[0]
    px_per_mm = interpupillary_px(face) / JAW_HEIGHT_UNIT_MM
    mid = midline_x(face)
    chin = face[:, ix.CHIN, :3]
    mouth = 0.5 * (face[:, ix.MOUTH_CORNER_LEFT, :2] + face[:, ix.MOUTH_CORNER_RIGHT, :2])
    out: dict[str, dict[str, np.ndarray]] = {}
    for side in ("right", "left"):
        line = face[:, list(JAW_OUTLINE_POINTS[side]), :3]

        def at_depth(mm_below_eyes, line=line):
            return _crossing(line, -np.broadcast_to(mm_below_eyes, (n,)) * px_per_mm)

        c: dict[str, np.ndarray] = {}
        for height in JAW_CONTOUR_HEIGHTS_MM:
            c[f"contour_{height}"] = at_depth(float(height))
            # the midline point level with the outline point, at its depth
            c[f"midline_{height}"] = c[f"contour_{height}"].copy()
            c[f"midline_{height}"][:, 0] = mid
        c["ramus"] = np.stack([at_depth(h) for h in JAW_RAMUS_HEIGHTS_MM], axis=1)
        chin_depth_mm = -chin[:, 1] / px_per_mm
        c["border"] = np.stack([at_depth(chin_depth_mm - h) for h in JAW_BORDER_ABOVE_CHIN_MM], 1)
        corner = at_depth(float(JAW_CORNER_HEIGHT_MM))
        chord = chin[:, :2] - corner[:, :2]
        chord /= np.linalg.norm(chord, axis=-1, keepdims=True)
        outward = np.stack([chord[:, 1], -chord[:, 0]], axis=-1)
        flip = np.sign(np.einsum("nd,nd->n", corner[:, :2] - mouth, outward))
        outward *= np.where(flip == 0, 1.0, flip)[:, None]
        # the outline's vertices below the corner, up to (not including) the chin
        distance = np.einsum("nkd,nd->nk", line[:, :-1, :2] - corner[:, None, :2], outward)
        below = line[:, :-1, 1] < corner[:, None, 1]
        distance = np.where(below, distance, -np.inf)
        k = np.argmax(distance, axis=1)
        rows = np.arange(n)
        reach = distance[rows, k]
        c["corner"], c["chin"] = corner, chin
        c["bulge_px"] = np.clip(reach, 0.0, None)
        c["bulge"] = line[rows, k]
        foot = c["bulge"].copy()
        foot[:, :2] -= np.where(np.isfinite(reach), reach, 0.0)[:, None] * outward
        c["bulge_foot"] = foot
        out[side] = c
    return out


def jaw_contour_metrics(
    face: np.ndarray,
    scale_mm_per_px,
    *,
    jaw_found: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The jaw outline's metrics per side, from (N, 478, >=2) face-frame points.

    All are read on the outline at fixed heights, so that where Face Mesh puts its points
    along the outline does not matter, and a move of the outline across (towards the midline)
    moves the contour distances by the move and leaves the angle unchanged.

    Parameters
    ----------
    face : points in the face frame (X to the subject's left, Y up, origin between the irises),
        the outline (``ix.RAMUS_*``, ``ix.JAW_BORDER_*``, ``ix.CHIN``) found in the image.
    scale_mm_per_px : scalar or (N,).
    jaw_found : (N, 2) bool, [right, left]: whether each side's outline was found in the
        image (:func:`tracker.metrics.jaw.refine_jaw`); or (N, 2, V) bool: which of each
        side's V outline points (``JAW_OUTLINE_POINTS[side]``, ramus to chin) the image
        placed. A metric read where the outline has a point the image did not place is NaN;
        a side not found has none. None: all found.

    Returns
    -------
    dict
        ``jaw_contour_<h>_<side>_mm``: the outline's distance from the midline
        (:func:`midline_x`) at ``h`` mm below the eyes (``JAW_CONTOUR_HEIGHTS_MM``);
        ``jaw_contour_angle_<side>_deg``: the angle between the ramus (a line fitted to the outline
        at ``JAW_RAMUS_HEIGHTS_MM`` below the eyes, towards the ear) and the lower border (a
        line fitted to the outline at ``JAW_BORDER_ABOVE_CHIN_MM`` above the chin, towards the
        chin) (:func:`jaw_lines_angle_deg`), NaN unless every one of those heights is read;
        ``jowl_<side>_mm``: how far the outline between the jaw corner (the outline at
        ``JAW_CORNER_HEIGHT_MM`` below the eyes) and the chin bulges outside the straight line
        joining them (0 when it lies inside), NaN unless the image placed every outline
        point from the corner's segment to the chin.
    """
    n = face.shape[0]
    scale = np.broadcast_to(np.asarray(scale_mm_per_px, dtype=np.float64), (n,))
    placed = _placed_points(jaw_found, n)
    m: dict[str, np.ndarray] = {}
    for column, (side, sign) in enumerate((("right", -1.0), ("left", 1.0))):
        # the outline points the image did not place are left out: a height read across
        # one of them (and everything built on it) is NaN
        masked = np.array(face, dtype=np.float64, copy=True)
        outline = list(JAW_OUTLINE_POINTS[side])
        unplaced = ~placed[:, column, :]
        masked[:, outline, :] = np.where(unplaced[..., None], np.nan, masked[:, outline, :])
        c = jaw_construction(masked)[side]
        for height in JAW_CONTOUR_HEIGHTS_MM:
            x = c[f"contour_{height}"][:, 0] - c[f"midline_{height}"][:, 0]
            m[f"jaw_contour_{height}_{side}_mm"] = sign * x * scale
        complete = np.isfinite(c["ramus"][..., :2]).all(axis=(1, 2)) & np.isfinite(
            c["border"][..., :2]
        ).all(axis=(1, 2))
        angle = jaw_lines_angle_deg(c["ramus"], c["border"])
        m[f"jaw_contour_angle_{side}_deg"] = np.where(complete, angle, np.nan)
        # the jowl: every point from the corner's segment down to the chin placed
        with np.errstate(invalid="ignore"):
            below = face[:, outline, 1] < c["corner"][:, None, 1]
        needed = below.copy()
        needed[:, :-1] |= below[:, 1:]  # and the upper point of the corner's segment
        whole = np.isfinite(c["corner"][:, 1]) & ~(unplaced & needed).any(axis=1)
        m[f"jowl_{side}_mm"] = np.where(whole, c["bulge_px"] * scale, np.nan)
    return m


def _placed_points(jaw_found: np.ndarray | None, n: int) -> np.ndarray:
    """(N, 2, V) bool from ``jaw_found`` given per side (N, 2) or per outline point (N, 2, V)."""
    count = len(JAW_OUTLINE_POINTS["left"])
    if jaw_found is None:
        return np.ones((n, 2, count), bool)
    found = np.asarray(jaw_found, bool)
    if found.ndim == 3 or (found.ndim == 2 and found.shape == (2, count) and n == 1):
        return np.broadcast_to(found, (n, 2, count))
    return np.broadcast_to(np.broadcast_to(found, (n, 2))[..., None], (n, 2, count))


def compute_metrics(
    points_px: np.ndarray,
    scale_mm_per_px,
    *,
    focal_length_px=None,
    principal_point_px=None,
    frame: FaceFrame | None = None,
    jaw_found: np.ndarray | None = None,
    face_mesh_points_px: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every facial metric for a stack of meshes.

    Parameters
    ----------
    points_px : (N, 478, 3) or (478, 3) landmarks in image pixels (z scaled like x), with any
        image-refined points (brow edges) already substituted.
    scale_mm_per_px : scalar or (N,) millimetres per pixel at the eyes of each mesh's image.
    focal_length_px : scalar or (N,) focal length in pixels, so that perspective is undone
        (:class:`tracker.metrics.frame.FaceFrame`); None for an orthographic camera.
    principal_point_px : (2,) or (N, 2); None (the default) undoes the magnification about
        the iris midpoint, which needs no principal point (see FaceFrame).
    frame : the meshes' face frame when the caller has fitted it already (on the same rigid
        and iris points: refining the brows does not move it); the camera is then its own.
    jaw_found : (N, 2) or (2,) bool, [right, left]: whether each side's jaw outline was found
        in the image; a side not found has NaN jaw outline metrics; or (N, 2, V) or (2, V):
        which of each side's outline points the image placed (:func:`jaw_contour_metrics`).
        None: all found.
    face_mesh_points_px : Face Mesh's own landmarks of the same meshes (before any image
        refinement), for the jaw angles and the lower face width, which are read on Face
        Mesh's jaw lines: steadier than the outline found in the image on real photos
        (README), all of its outline taken at the eyes' depth. None: ``points_px``.

    Returns
    -------
    dict
        metric name -> (N,) array (or float for a single mesh); names as in ``METRIC_NAMES``,
        plus ``yaw_deg``, ``pitch_deg``, ``roll_deg`` and ``iris_diameter_px``.
    """
    pts = np.asarray(points_px, dtype=np.float64)
    single = pts.ndim == 2
    if single:
        pts = pts[None]
    scale = np.broadcast_to(np.asarray(scale_mm_per_px, dtype=np.float64), (pts.shape[0],))
    if frame is None:
        frame = FaceFrame.fit(
            pts, focal_length_px=focal_length_px, principal_point_px=principal_point_px
        )
    face = frame.to_face(pts)
    pose = frame.pose_deg

    r_iris, l_iris = face[:, ix.IRIS_CENTRE_RIGHT], face[:, ix.IRIS_CENTRE_LEFT]
    m: dict[str, np.ndarray] = {}
    m["brow_height_right_mm"] = (
        _height_at(face, ix.BROW_UPPER_RIGHT, r_iris[:, 0]) - r_iris[:, 1]
    ) * scale
    m["brow_height_left_mm"] = (
        _height_at(face, ix.BROW_UPPER_LEFT, l_iris[:, 0]) - l_iris[:, 1]
    ) * scale
    m["brow_asymmetry_mm"] = np.abs(m["brow_height_left_mm"] - m["brow_height_right_mm"])

    m.update(jaw_contour_metrics(face, scale, jaw_found=jaw_found))
    # Face Mesh's own jaw points: its outline, taken at the eyes' depth like the face oval
    # (they follow only part of the true magnification: tracker.metrics.frame)
    raw = pts if face_mesh_points_px is None else np.asarray(face_mesh_points_px, np.float64)
    mesh = frame.to_face(raw[None] if raw.ndim == 2 else raw, face_mesh_outline=True)
    corners = jaw_corners(mesh)
    for side in ("right", "left"):
        _, ramus, border = corners[side]
        m[f"jaw_angle_{side}_deg"] = _angle_deg(ramus, border)
    m["jaw_angle_asymmetry_deg"] = np.abs(m["jaw_angle_left_deg"] - m["jaw_angle_right_deg"])

    ipd = interpupillary_px(face)
    m["asymmetry_pct"] = 100.0 * _asymmetry_px(face) / ipd

    m["eye_aperture_right_mm"] = (
        face[:, ix.LID_UPPER_RIGHT, 1] - face[:, ix.LID_LOWER_RIGHT, 1]
    ) * scale
    m["eye_aperture_left_mm"] = (
        face[:, ix.LID_UPPER_LEFT, 1] - face[:, ix.LID_LOWER_LEFT, 1]
    ) * scale
    # elevations: upward from the interpupillary line (y = 0 in the face frame, y up), so
    # negative for features below it, and larger when the feature rises
    m["mouth_corner_elevation_right_mm"] = face[:, ix.MOUTH_CORNER_RIGHT, 1] * scale
    m["mouth_corner_elevation_left_mm"] = face[:, ix.MOUTH_CORNER_LEFT, 1] * scale
    m["mouth_corner_asymmetry_mm"] = np.abs(
        m["mouth_corner_elevation_left_mm"] - m["mouth_corner_elevation_right_mm"]
    )
    m["cheek_elevation_right_mm"] = face[:, ix.CHEEK_RIGHT, 1] * scale
    m["cheek_elevation_left_mm"] = face[:, ix.CHEEK_LEFT, 1] * scale
    m["lower_face_width_mm"] = (
        np.linalg.norm(corners["left"][0] - corners["right"][0], axis=-1) * scale
    )
    m["interpupillary_mm"] = ipd * scale
    # the rigid points' size (nose, eye corners, cheekbones): the person's steadiest scale,
    # which gaze (vergence moves the irises), lids and brows do not change
    m["face_scale_mm"] = frame.scale_px * scale
    m["yaw_deg"], m["pitch_deg"], m["roll_deg"] = pose[:, 0], pose[:, 1], pose[:, 2]
    # the iris in pixels at the eyes' scale: with the focal length, the camera's distance
    m["iris_diameter_px"] = iris_diameter_px(face)
    if single:
        return {k: float(v[0]) for k, v in m.items()}
    return m
