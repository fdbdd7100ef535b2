"""Smooth local image warps of known size: the ground truth for sensitivity tests.

A warp moves every pixel inside a flat-topped region by exactly ``shift_px`` along a given
direction and fades to no movement across a smooth (raised-cosine) border, so the true change
of whatever lies inside the flat top is known to the pixel.
"""

from __future__ import annotations

import cv2
import numpy as np


def _window(
    r: np.ndarray, low: float, high: float, fade_low: float, fade_high: float
) -> np.ndarray:
    """1 on [low, high], raised-cosine fades to 0 over ``fade_low`` below and ``fade_high`` above."""
    below = np.clip((low - r) / fade_low, 0.0, 1.0)
    above = np.clip((r - high) / fade_high, 0.0, 1.0)
    return 0.25 * (1.0 + np.cos(np.pi * below)) * (1.0 + np.cos(np.pi * above))


def local_shift(
    image: np.ndarray, *, centre_px, axis, across_px, along_px, fade_px, shift_px: float
) -> np.ndarray:
    """Move an image region by ``shift_px`` along ``axis``, with smooth borders.

    Parameters
    ----------
    image : (H, W[, C]) array.
    centre_px : (x, y) origin of the region's coordinates.
    axis : (dx, dy) direction of the move in image coordinates (normalised here).
    across_px, along_px : (low, high) extent of the flat top across and along ``axis``,
        relative to ``centre_px``.
    fade_px : (across, along_low, along_high) widths of the borders over which the move fades
        to zero; each must exceed 1.6 x ``shift_px`` so that the warp stays one-to-one.
    shift_px : the move of the flat top, in pixels (positive = along ``axis``).

    Returns
    -------
    The warped image, same shape and dtype.
    """
    fade_across, fade_low, fade_high = fade_px
    if min(fade_px) <= 1.6 * abs(shift_px):
        raise ValueError("every fade must exceed 1.6 x shift_px for a one-to-one warp")
    along = np.asarray(axis, dtype=np.float64)
    along = along / np.linalg.norm(along)
    across = np.array([-along[1], along[0]])
    cx, cy = centre_px

    def displacement(px, py):
        u = (px - cx) * across[0] + (py - cy) * across[1]
        v = (px - cx) * along[0] + (py - cy) * along[1]
        weight = _window(u, across_px[0], across_px[1], fade_across, fade_across) * _window(
            v, along_px[0], along_px[1], fade_low, fade_high
        )
        return shift_px * weight * along[0], shift_px * weight * along[1]

    return warp(image, displacement)


def warp(image: np.ndarray, displacement, region=None) -> np.ndarray:
    """Apply a smooth forward displacement field ``displacement(x, y) -> (dx, dy)``.

    The output pixel q shows the input point p with p + D(p) = q, found by fixed-point
    iteration (which converges because every field here has a gradient well below 1).
    ``region`` (x0, y0, x1, y1), when given, bounds where the field is non-zero: only those
    pixels are computed and every other pixel is returned unchanged.
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (
        (0, 0, w, h)
        if region is None
        else (
            max(0, int(region[0])),
            max(0, int(region[1])),
            min(w, int(region[2])),
            min(h, int(region[3])),
        )
    )
    out = image.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    px, py = gx.copy(), gy.copy()
    for _ in range(30):
        dx, dy = displacement(px, py)
        px, py = gx - dx, gy - dy
    out[y0:y1, x0:x1] = cv2.remap(
        image,
        px.astype(np.float32),
        py.astype(np.float32),
        interpolation=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REFLECT,
    )
    return out


def brow_lift_field(
    points_px: np.ndarray, *, side: str, shift_px: float, margin_below: float = 0.3
):
    """The displacement field of :func:`brow_lift`: ``(displacement, region)`` (see
    :func:`jaw_contour_field`). ``margin_below``: how far below the brow's upper edge the
    flat top reaches, in iris diameters (0.3 for :func:`brow_lift`; more moves the whole brow
    rigidly, leaving less room for the fade above the eye).

    Raises
    ------
    ValueError
        When the lift is too large for the room between this brow and the eye.
    """
    from tracker.landmarks import indices as ix

    pts = np.asarray(points_px, dtype=np.float64)
    upper = ix.BROW_UPPER_LEFT if side == "left" else ix.BROW_UPPER_RIGHT
    centre = pts[ix.IRIS_CENTRE_LEFT if side == "left" else ix.IRIS_CENTRE_RIGHT, :2]
    lateral, up, iris = _face_axes(pts)
    edge = pts[list(upper), :2] - centre
    edge_u, edge_v = edge @ lateral, edge @ up
    order = np.argsort(edge_u)
    edge_u, edge_v = edge_u[order], edge_v[order]

    margin_below = float(margin_below * iris)  # flat top reaches this far below the upper edge
    iris_top = 0.55 * iris  # the fade must end here: just above the iris top
    over_iris = np.abs(edge_u) <= 0.6 * iris
    lowest_over_iris = (
        np.interp(0.0, edge_u, edge_v) if not over_iris.any() else edge_v[over_iris].min()
    )
    lowest_over_iris = min(lowest_over_iris, np.interp(0.0, edge_u, edge_v))
    fade_low = lowest_over_iris - margin_below - iris_top
    if fade_low <= 1.6 * abs(shift_px):
        raise ValueError(f"a {shift_px:.1f} px lift does not fit between this brow and eye")
    fade = max(0.6 * iris, 2.0 * abs(shift_px))
    u_low, u_high = edge_u[0] - 0.3 * iris, edge_u[-1] + 0.3 * iris

    def displacement(px, py):
        u = (px - centre[0]) * lateral[0] + (py - centre[1]) * lateral[1]
        v = (px - centre[0]) * up[0] + (py - centre[1]) * up[1]
        v_rel = v - np.interp(u, edge_u, edge_v)  # height above the brow's upper edge
        weight = _window(u, u_low, u_high, fade, fade) * _window(
            v_rel, -margin_below, 1.0 * iris, fade_low, fade
        )
        return shift_px * weight * up[0], shift_px * weight * up[1]

    # where the field can be non-zero: the flat top and its fades, plus the move and a margin
    v_top = edge_v.max() + 1.0 * iris + fade
    v_bottom = edge_v.min() - margin_below - fade_low
    corners = np.array(
        [
            centre + u * lateral + v * up
            for u in (u_low - fade, u_high + fade)
            for v in (v_bottom, v_top)
        ]
    )
    pad = abs(shift_px) + 4
    region = (*np.floor(corners.min(axis=0) - pad), *np.ceil(corners.max(axis=0) + pad))
    return displacement, region


def brow_lift(
    image: np.ndarray, points_px: np.ndarray, *, side: str, shift_px: float
) -> np.ndarray:
    """Lift one brow (the subject's ``side``: "left" or "right") by ``shift_px`` pixels.

    The flat top follows the brow's upper edge (Face Mesh's upper-brow points): it runs from a
    little below that edge to well above it, over the brow's whole length and a margin, so the
    upper edge moves by exactly ``shift_px``. Below, the move fades out through the brow and
    ends above the iris and the upper lid's edge, so the iris, the other brow and the rest of
    the face stay put. The move is perpendicular to the interpupillary line, the direction
    brow height is measured in.

    Raises
    ------
    ValueError
        When the lift is too large for the room between this brow and the eye.
    """
    displacement, region = brow_lift_field(points_px, side=side, shift_px=shift_px)
    return warp(image, displacement, region)


# --- warps for the jaw and the mouth (tracker.validation) ----------------------------------------


def _face_axes(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit vectors along the interpupillary line (towards the subject's left) and up (towards
    the brows, perpendicular to it) in image coordinates, and a typical iris diameter (px)."""
    from tracker.landmarks import indices as ix
    from tracker.metrics.frame import face_axes_in_image

    up, lateral = face_axes_in_image(pts)
    ipd = float(np.linalg.norm(pts[ix.IRIS_CENTRE_LEFT, :2] - pts[ix.IRIS_CENTRE_RIGHT, :2]))
    return lateral, up, ipd / 5.3  # a typical interpupillary distance / iris diameter ratio


def _check_untouched(pts: np.ndarray, displacement, protected, what: str) -> None:
    """Raise ValueError when the field moves any of the ``protected`` landmarks."""
    idx = sorted(set(protected))
    dx, dy = displacement(pts[idx, 0], pts[idx, 1])
    moved = np.hypot(dx, dy) > 0
    if moved.any():
        names = ", ".join(str(i) for i in np.asarray(idx)[moved])
        raise ValueError(f"{what} does not fit: it would move landmarks {names}")


def _region(corners: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    return (*np.floor(corners.min(axis=0) - pad), *np.ceil(corners.max(axis=0) + pad))


def jaw_contour_field(points_px: np.ndarray, *, side: str, shift_px: float):
    """The displacement field of :func:`jaw_contour_in`: ``(displacement, region)``.

    ``displacement(x, y) -> (dx, dy)`` (arrays) and ``region`` (x0, y0, x1, y1) bounding where
    it is non-zero. Apply it to landmarks (``p + D(p)``) to get the ideal response: what a
    perfect landmark detector would report on the warped image.

    Raises
    ------
    ValueError
        When the region would reach the chin, the mouth, the eyes or the other side's jaw.
    """
    from tracker.landmarks import indices as ix

    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    pts = np.asarray(points_px, dtype=np.float64)
    lateral, _, iris = _face_axes(pts)
    ramus, border = (
        (ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT)
        if side == "left"
        else (ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT)
    )
    # the contour from the ear down to the jaw corner and on to the chin
    polyline = pts[list(ramus) + list(border), :2]
    starts, ends = polyline[:-1], polyline[1:]
    lengths = np.linalg.norm(ends - starts, axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    inward = lateral if side == "right" else -lateral  # towards the midline
    half = 0.25 * iris  # the flat top reaches this far either side of the contour ...
    margin = 0.25 * iris  # ... and this far beyond its two ends
    # a raised-cosine fade of width f has slope pi / (2 f); two of them can add up, so
    # f > pi / 2 x shift keeps the map one-to-one with room to spare
    fade = max(0.5 * iris, 3.2 * abs(shift_px))

    def displacement(px, py):
        px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
        best_d = np.full(px.shape, np.inf)
        best_t = np.zeros(px.shape)
        last = len(lengths) - 1
        for i, (a, b, length) in enumerate(zip(starts, ends, lengths)):
            u = ((px - a[0]) * (b[0] - a[0]) + (py - a[1]) * (b[1] - a[1])) / length**2
            # the first and last segments extend beyond the contour's ends as rays
            u = np.clip(u, -np.inf if i == 0 else 0.0, np.inf if i == last else 1.0)
            d = np.hypot(px - (a[0] + u * (b[0] - a[0])), py - (a[1] + u * (b[1] - a[1])))
            closer = d < best_d
            best_d = np.where(closer, d, best_d)
            best_t = np.where(closer, cumulative[i] + u * length, best_t)
        weight = _window(best_d, -1.0, half, 1.0, fade) * _window(
            best_t, -margin, cumulative[-1] + margin, fade, fade
        )
        return shift_px * weight * inward[0], shift_px * weight * inward[1]

    other = (
        (ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT)
        if side == "left"
        else (ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT)
    )
    protected = (
        ix.CHIN,
        ix.MOUTH_CORNER_LEFT,
        ix.MOUTH_CORNER_RIGHT,
        ix.LIP_UPPER_INNER,
        ix.LIP_LOWER_INNER,
        ix.IRIS_CENTRE_LEFT,
        ix.IRIS_CENTRE_RIGHT,
        ix.CHEEK_LEFT,
        ix.CHEEK_RIGHT,
        *other[0],
        *other[1],
    )
    _check_untouched(pts, displacement, protected, f"a {shift_px:.1f} px jaw move")
    # beyond an end, the band reaches margin + fade along the ray and half + fade across it
    reach = float(np.hypot(margin + fade, half + fade))
    corners = np.array([polyline.min(axis=0), polyline.max(axis=0)])
    return displacement, _region(corners, reach + abs(shift_px) + 4)


def jaw_contour_in(
    image: np.ndarray, points_px: np.ndarray, *, side: str, shift_px: float
) -> np.ndarray:
    """Move one side's jaw contour (the subject's ``side``) towards the midline by ``shift_px``.

    The flat top is a band along the contour from the ramus (below the ear) over the jaw
    corner to the lower border near the chin: every Face Mesh ramus and border point of that
    side (``indices.RAMUS_*``, ``indices.JAW_BORDER_*``) lies inside it with a margin of a
    quarter iris across and beyond both ends, so both jaw lines translate rigidly. The move is
    along the interpupillary line, towards the face's midline, and fades smoothly outside the
    band; the chin, the mouth, the eyes and the other side stay put. Truth: the gonion moves
    by exactly ``shift_px``, so ``lower_face_width_mm`` decreases by the shift (in mm) and
    the jaw angles do not change.

    Returns
    -------
    The warped image, same shape and dtype.

    Raises
    ------
    ValueError
        When the move is too large for the room between the jaw and the chin or mouth.
    """
    displacement, region = jaw_contour_field(points_px, side=side, shift_px=shift_px)
    return warp(image, displacement, region)


def mouth_corner_field(points_px: np.ndarray, *, side: str, shift_px: float):
    """The displacement field of :func:`mouth_corner_lift`: ``(displacement, region)``
    (see :func:`jaw_contour_field`).

    Raises
    ------
    ValueError
        When the region would reach the lips' middle, the other corner, the nose or the jaw.
    """
    from tracker.landmarks import indices as ix

    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    pts = np.asarray(points_px, dtype=np.float64)
    lateral, up, iris = _face_axes(pts)
    corner = pts[ix.MOUTH_CORNER_LEFT if side == "left" else ix.MOUTH_CORNER_RIGHT, :2]
    half = 0.3 * iris  # the flat top: a square of 0.6 iris around the corner
    fade = max(0.5 * iris, 3.2 * abs(shift_px))

    def displacement(px, py):
        u = (np.asarray(px) - corner[0]) * lateral[0] + (np.asarray(py) - corner[1]) * lateral[1]
        v = (np.asarray(px) - corner[0]) * up[0] + (np.asarray(py) - corner[1]) * up[1]
        weight = _window(u, -half, half, fade, fade) * _window(v, -half, half, fade, fade)
        return shift_px * weight * up[0], shift_px * weight * up[1]

    ramus, border = (
        (ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT)
        if side == "left"
        else (ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT)
    )
    protected = (
        ix.MOUTH_CORNER_RIGHT if side == "left" else ix.MOUTH_CORNER_LEFT,
        ix.LIP_UPPER_INNER,
        ix.LIP_LOWER_INNER,
        0,
        17,
        1,
        ix.CHIN,
        ix.IRIS_CENTRE_LEFT,
        ix.IRIS_CENTRE_RIGHT,
        ix.CHEEK_LEFT,
        ix.CHEEK_RIGHT,
        *ramus,
        *border,
    )
    _check_untouched(pts, displacement, protected, f"a {shift_px:.1f} px mouth-corner lift")
    reach = half + fade
    corners = np.array(
        [corner + a * lateral + b * up for a in (-reach, reach) for b in (-reach, reach)]
    )
    return displacement, _region(corners, abs(shift_px) + 4)


def mouth_corner_lift(
    image: np.ndarray, points_px: np.ndarray, *, side: str, shift_px: float
) -> np.ndarray:
    """Lift one mouth corner (the subject's ``side``; landmark 291 left, 61 right) by
    ``shift_px``, perpendicular to the interpupillary line, towards the brows.

    The flat top is a square of 0.6 iris diameters centred on the corner; the move fades out
    over half an iris (or 3.2 shifts) around it, before the lips' middle, the other corner, the
    nose and the jaw. Truth: ``mouth_corner_elevation_<side>_mm`` (measured upward from the
    interpupillary line) increases by exactly the shift (in mm).

    Returns
    -------
    The warped image, same shape and dtype.

    Raises
    ------
    ValueError
        When the lift is too large for the room around the corner.
    """
    displacement, region = mouth_corner_field(points_px, side=side, shift_px=shift_px)
    return warp(image, displacement, region)
