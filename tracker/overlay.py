"""Draw what was measured on the analysed image: an overlay to check a measurement by eye.

The overlay shows the interpupillary line, each brow height (from the iris centre up to the
brow's upper edge, perpendicular to the interpupillary line in the face frame), the detected
brow-edge points, the jaw's outline found in the image (its edge samples and the outline
through the refined points), the jaw contour distances (from the midline to the outline at
55 and 75 mm below the eyes), the two fitted lines of each jaw angle meeting where they cross,
the jowl (the corner-to-chin line and the outline's farthest bulge beyond it), the facial
midline, and a text panel with the status, pose, scale, key metrics and reasons. A jaw
construction read where the outline was not found (its metric NaN) is not drawn.

The brow and jaw constructions are made in the face frame (:mod:`tracker.metrics.frame`),
exactly as the metrics are, and mapped back into the image, so that what is drawn is what was
measured. Left and right are the subject's own ("L", "R").
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from tracker.formatting import number
from tracker.landmarks import indices as ix
from tracker.metrics import geometry, registry
from tracker.metrics.frame import FaceFrame
from tracker.types import PhotoResult

# RGB colours
OK_COLOUR = (40, 200, 70)
REJECTED_COLOUR = (255, 140, 0)
REASON_COLOUR = (255, 70, 50)
ERROR_COLOUR = (230, 30, 30)
IPD_COLOUR = (0, 220, 255)
BROW_COLOUR = (255, 235, 0)
EDGE_COLOUR = (255, 0, 200)
JAW_COLOUR = (120, 255, 120)
CONTOUR_COLOUR = (80, 200, 255)
JOWL_COLOUR = (255, 120, 220)
MIDLINE_COLOUR = (255, 255, 255)
TEXT_COLOUR = (255, 255, 255)
OUTLINE_COLOUR = (0, 0, 0)

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SHIFT = 4  # draw at 1/16 pixel precision: small images need sub-pixel placement
_ONE = 1 << _SHIFT


def _fixed(point) -> tuple[int, int]:
    return int(round(float(point[0]) * _ONE)), int(round(float(point[1]) * _ONE))


class _OneFrame:
    """The face frame of one mesh (:class:`tracker.metrics.frame.FaceFrame`, with the camera
    the measurement used): face-frame points and their image pixels."""

    def __init__(self, points_px: np.ndarray, camera, image_size_px) -> None:
        from tracker.photos.camera import principal_point_px

        pts = np.asarray(points_px, dtype=np.float64)
        if camera is None:
            self.frame = FaceFrame.fit(pts)
        else:
            self.frame = FaceFrame.fit(
                pts,
                focal_length_px=camera.focal_length_px,
                principal_point_px=principal_point_px(camera.focal_source, image_size_px),
            )
        self.face = self.frame.to_face(pts)[0]

    def to_image(self, face_points: np.ndarray, *, outline: bool = False) -> np.ndarray:
        """(K, 2) image pixels of (K, 3) face-frame points (``outline``: points of the face's
        outline, see FaceFrame.to_image)."""
        return self.frame.to_image(np.atleast_2d(face_points), outline=outline)[0, :, :2]


def overlay_geometry(result: PhotoResult) -> dict:
    """The image-space construction lines of a measured result (all in analysed-image pixels).

    Returns
    -------
    dict with
        ``ipd``: (2, 2) right and left iris centres;
        ``brow``: side -> (2, 2) iris centre and the brow-edge point above it;
        ``brow_edge``: side -> (K, 2) detected brow-edge points (may be empty);
        ``jaw``: side -> (3, 2) ramus end, the lines' crossing, border end (the jaw angle);
        ``jaw_outline``: side -> (K, 2) the refined outline points, ramus to chin;
        ``jaw_edge``: side -> (K, 2) the outline's edge samples found in the image;
        ``jaw_contour``: side -> {height mm: (2, 2) midline point, outline point};
        ``jowl``: side -> (4, 2) jaw corner, chin, the bulge's foot on their line, the bulge;
        a side has no ``jaw``, no ``jowl`` and no ``jaw_contour`` height whose metric is NaN
        (its outline not found there);
        ``midline``: (2, 2) ends of the facial midline.

    Raises
    ------
    ValueError
        When the result has no landmarks.
    """
    if result.landmarks is None:
        raise ValueError(f"{result.file}: no landmarks to draw")
    points = np.asarray(
        result.landmarks.points_px
        if result.refined_points_px is None
        else result.refined_points_px,
        dtype=np.float64,
    )
    frame = _OneFrame(points, result.camera, result.landmarks.image_size_px)
    face = frame.face
    out: dict = {"ipd": points[[ix.IRIS_CENTRE_RIGHT, ix.IRIS_CENTRE_LEFT], :2]}

    out["brow"] = {}
    for side, iris, curve in (
        ("right", ix.IRIS_CENTRE_RIGHT, ix.BROW_UPPER_RIGHT),
        ("left", ix.IRIS_CENTRE_LEFT, ix.BROW_UPPER_LEFT),
    ):
        # the brow height metric: the brow curve's height (a quadratic) at the iris abscissa
        x, y, z = face[list(curve)].T
        x_at = face[iris, 0]
        top = (
            x_at,
            np.polyval(np.polyfit(x - x_at, y, 2), 0.0),
            np.polyval(np.polyfit(x - x_at, z, 2), 0.0),
        )
        out["brow"][side] = frame.to_image(np.array([face[iris], top]))
    edges = result.brow_edge_px or {}
    out["brow_edge"] = {
        side: np.asarray(edges.get(side, np.empty((0, 2))), dtype=np.float64).reshape(-1, 2)
        for side in ("right", "left")
    }

    out["jaw"], out["jaw_contour"], out["jowl"] = {}, {}, {}
    out["jaw_outline"], out["jaw_edge"] = {}, {}
    metrics = result.measurement.metrics if result.measurement is not None else {}
    built = geometry.jaw_construction(face[None])
    jaw_edges = result.jaw_edge_px or {}

    def shown(name: str) -> bool:
        """A metric read where the outline was not found is NaN: its construction is not
        drawn (a result rebuilt from stored points without its measurement draws them all)."""
        value = metrics.get(name)
        return value is None or bool(np.isfinite(value))

    for side in ("right", "left"):
        outline = geometry.JAW_OUTLINE_POINTS[side]
        out["jaw_outline"][side] = points[list(outline), :2]
        out["jaw_edge"][side] = np.asarray(
            jaw_edges.get(side, np.empty((0, 2))), dtype=np.float64
        ).reshape(-1, 2)
        c = {k: v[0] for k, v in built[side].items()}
        contours = {
            h: frame.to_image(np.array([c[f"midline_{h}"], c[f"contour_{h}"]]))
            for h in geometry.JAW_CONTOUR_HEIGHTS_MM
            if shown(f"jaw_contour_{h}_{side}_mm")
        }
        if contours:
            out["jaw_contour"][side] = contours
        if shown(f"jowl_{side}_mm"):
            out["jowl"][side] = frame.to_image(
                np.array([c["corner"], c["chin"], c["bulge_foot"], c["bulge"]])
            )
        if not shown(f"jaw_contour_angle_{side}_deg"):
            continue
        # the two fitted lines, drawn from their crossing out to their farthest sample
        lines = []
        for samples in (c["ramus"], c["border"]):
            ok = np.isfinite(samples).all(axis=1)
            centre = samples[ok].mean(axis=0)
            direction = np.linalg.svd(samples[ok, :2] - centre[:2])[2][0]
            lines.append((centre, direction, samples[ok]))
        (c1, d1, r_pts), (c2, d2, b_pts) = lines
        st = np.linalg.solve(np.stack([d1, -d2], axis=1), c2[:2] - c1[:2])
        corner2 = c1[:2] + st[0] * d1
        corner = np.append(corner2, c["corner"][2])
        ends = []
        for _, direction, samples in lines:
            t = (samples[:, :2] - corner2) @ direction
            far = t[np.argmax(np.abs(t))]
            ends.append(np.append(corner2 + far * direction, samples[np.argmax(np.abs(t)), 2]))
        out["jaw"][side] = frame.to_image(np.array([ends[0], corner, ends[1]]))

    # the midline fitted in image coordinates (symmetry_line needs only x and y, and the line
    # it finds does not depend on the axes' handedness)
    normal, offset = (v[0] for v in geometry.symmetry_line(points[None]))
    along = np.array([-normal[1], normal[0]])
    foot = normal * offset
    t = (points[:, :2] - foot) @ along
    reach = 0.08 * (t.max() - t.min())
    out["midline"] = np.array([foot + (t.min() - reach) * along, foot + (t.max() + reach) * along])
    return out


class _Pen:
    """Line widths and font sizes for one image: proportional to the face and the image."""

    def __init__(self, shape: tuple[int, ...], iris_px: float) -> None:
        height, width = shape[:2]
        short = min(height, width)
        unit = max(iris_px, short / 60.0)  # a small face in a big image still gets visible lines
        self.line = max(1, int(round(unit / 10.0)))
        self.dot = max(1.0, unit / 14.0)
        # Hershey simplex capitals are about 22 px tall at scale 1
        self.label_scale = max(0.35, short / 55.0 / 22.0, 0.55 * unit / 22.0)
        self.panel_scale = max(0.35, short / 52.0 / 22.0)
        # below this size labels would cover the face they describe: the panel has the values
        self.labels = short >= 200

    @staticmethod
    def thickness(scale: float) -> int:
        return max(1, int(round(scale * 1.6)))


def _text(img, text, org, scale, colour, *, align="left", outline=True) -> None:
    """Outlined text with its baseline's left (or right) end at ``org``, kept inside the image."""
    thick = _Pen.thickness(scale)
    (w, h), base = cv2.getTextSize(text, _FONT, scale, thick)
    x, y = float(org[0]), float(org[1])
    if align == "right":
        x -= w
    elif align == "centre":
        x -= w / 2
    x = min(max(x, 2.0), img.shape[1] - w - 2.0)
    y = min(max(y, h + 2.0), img.shape[0] - base - 2.0)
    pos = (int(round(x)), int(round(y)))
    if outline:
        cv2.putText(
            img,
            text,
            pos,
            _FONT,
            scale,
            OUTLINE_COLOUR,
            thick + 2 * max(1, thick // 2),
            cv2.LINE_AA,
        )
    cv2.putText(img, text, pos, _FONT, scale, colour, thick, cv2.LINE_AA)


def _line(img, a, b, colour, width) -> None:
    cv2.line(img, _fixed(a), _fixed(b), colour, width, cv2.LINE_AA, _SHIFT)


def _dot(img, point, radius_px: float, colour) -> None:
    """A filled, anti-aliased dot of ``radius_px`` (at least one pixel) at a sub-pixel point."""
    cv2.circle(
        img, _fixed(point), max(1, int(round(radius_px * _ONE))), colour, -1, cv2.LINE_AA, _SHIFT
    )


def _fmt(value, decimals: int, unit: str = "") -> str:
    text = number(value, decimals)
    return text if text == "-" else text + unit


def _panel_lines(result: PhotoResult) -> list[tuple[str, tuple[int, int, int]]]:
    status_colour = {"ok": OK_COLOUR, "rejected": REJECTED_COLOUR}.get(result.status, ERROR_COLOUR)
    lines = [(Path(result.file).name, TEXT_COLOUR), (result.status.upper(), status_colour)]
    lines += [(reason, REASON_COLOUR) for reason in result.reasons]
    if result.view == "profile":
        from tracker.metrics import registry

        m = result.measurement.metrics if result.measurement is not None else {}
        side = result.profile_side
        if side is not None:
            lines.append((f"{side} profile (the subject's {side} side)", TEXT_COLOUR))
            for family in registry.PROFILE_FAMILIES:
                name = registry.sided(family, side)
                label = registry.label(name).rsplit(" (", 1)[0].lower()
                unit = " %" if registry.unit_text(name) == "%" else " deg"
                lines.append(
                    (f"{label} {_fmt(m.get(name), registry.decimals(name), unit)}", TEXT_COLOUR)
                )
        return lines
    if result.quality is not None:
        p = result.quality.pose
        lines.append(
            (
                f"yaw {p.yaw_deg:+.1f}  pitch {p.pitch_deg:+.1f}  roll {p.roll_deg:+.1f} deg",
                TEXT_COLOUR,
            )
        )
    if result.measurement is not None:
        m = result.measurement.metrics
        lines += [
            (
                f"scale {result.measurement.scale_mm_per_px:.4g} mm/px "
                f"({result.measurement.scale_source})",
                TEXT_COLOUR,
            ),
            (_sides_line(m, "brow_height", "brow height"), BROW_COLOUR),
            (_sides_line(m, "jaw_angle", "jaw angle (Face Mesh)"), JAW_COLOUR),
            (_sides_line(m, "jaw_contour_angle", "jaw contour angle"), JAW_COLOUR),
            (_sides_line(m, "jaw_contour_55", "jaw contour 55"), CONTOUR_COLOUR),
            (_sides_line(m, "jaw_contour_75", "jaw contour 75"), CONTOUR_COLOUR),
            (_sides_line(m, "jowl", "jowl"), JOWL_COLOUR),
            (
                f"asymmetry {_fmt(m.get('asymmetry_pct'), 2, ' %')}  "
                f"IPD {_fmt(m.get('interpupillary_mm'), 1, ' mm')}",
                TEXT_COLOUR,
            ),
        ]
    return lines


def _sides_line(metrics: dict, family: str, words: str) -> str:
    """ "brow height  L 18.20  R 18.41 mm": a family's left and right values."""
    left, right = (registry.get(registry.sided(family, side)) for side in registry.SIDES)
    return (
        f"{words}  L {_fmt(metrics.get(left.name), left.decimals)}  "
        f"R {_fmt(metrics.get(right.name), right.decimals)} {left.unit_text}"
    )


def _draw_panel(img: np.ndarray, result: PhotoResult, scale: float, avoid) -> None:
    """The text panel in the image corner that covers the least of the ``avoid`` box."""
    lines = _panel_lines(result)
    height, width = img.shape[:2]
    # keep the panel within 60 % of the image width: long reasons shrink the font
    widest = max(cv2.getTextSize(t, _FONT, scale, _Pen.thickness(scale))[0][0] for t, _ in lines)
    if widest > 0.6 * width:
        scale *= 0.6 * width / widest
    thick = _Pen.thickness(scale)
    sizes = [cv2.getTextSize(t, _FONT, scale, thick) for t, _ in lines]
    step = int(round(max(h + b for (_, h), b in sizes) * 1.35))
    pad = max(3, step // 3)
    box_w = max(w for (w, _), _ in sizes) + 2 * pad
    box_h = step * len(lines) + pad
    corners = [(0, 0), (width - box_w, 0), (0, height - box_h), (width - box_w, height - box_h)]

    def covered(corner):
        if avoid is None:
            return 0.0
        (ax0, ay0), (ax1, ay1) = avoid
        x0, y0 = corner
        dx = max(0.0, min(x0 + box_w, ax1) - max(x0, ax0))
        dy = max(0.0, min(y0 + box_h, ay1) - max(y0, ay0))
        return dx * dy

    x0, y0 = min(corners, key=covered)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x0 + box_w), min(height, y0 + box_h)
    region = img[y0:y1, x0:x1]
    region[:] = (region.astype(np.float32) * 0.35).astype(np.uint8)  # darkened, still visible
    for i, (text, colour) in enumerate(lines):
        _text(img, text, (x0 + pad, y0 + step * (i + 1) - pad // 2), scale, colour, outline=False)


def draw_overlay(pixels: np.ndarray, result: PhotoResult) -> np.ndarray:
    """Draw the measurement's construction lines and a text panel on the analysed image.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB
        The analysed image (``Photo.pixels``), whose pixels ``result``'s landmarks refer to.
    result : PhotoResult
        A measured result; without landmarks only the text panel is drawn.

    Returns
    -------
    (H, W, 3) uint8 RGB array, a new copy.
    """
    img = np.ascontiguousarray(np.array(pixels, dtype=np.uint8, copy=True))
    scores = result.quality.scores if result.quality is not None else {}
    avoid = None
    if result.profile is not None:
        pen = _Pen(img.shape, 0.0)
        avoid = _draw_profile(img, result, pen)
    elif result.landmarks is None:
        pen = _Pen(img.shape, 0.0)
    else:
        geo = overlay_geometry(result)
        ipd_px = float(np.linalg.norm(geo["ipd"][1] - geo["ipd"][0]))
        pen = _Pen(img.shape, float(scores.get("iris_px", ipd_px / 5.3)))
        pts = np.asarray(result.landmarks.points_px)[:, :2]
        avoid = (pts.min(axis=0), pts.max(axis=0))
        metrics = result.measurement.metrics if result.measurement is not None else {}
        # the subject's left lies towards +lateral (in an unmirrored photo: the image's right)
        lateral = (geo["ipd"][1] - geo["ipd"][0]) / max(ipd_px, 1e-9)
        up = np.array([lateral[1], -lateral[0]])
        gap = 0.6 * pen.label_scale * 22

        _line(img, geo["midline"][0], geo["midline"][1], MIDLINE_COLOUR, max(1, pen.line // 2))
        _line(img, geo["ipd"][0], geo["ipd"][1], IPD_COLOUR, pen.line)
        for side, sign, letter in (("right", -1.0, "R"), ("left", 1.0, "L")):
            # labels extend outwards, away from the midline
            align = "left" if sign * lateral[0] >= 0 else "right"
            iris, top = geo["brow"][side]
            _line(img, iris, top, BROW_COLOUR, pen.line)
            _dot(img, iris, pen.dot * 1.5, IPD_COLOUR)
            for point in geo["brow_edge"][side]:
                _dot(img, point, pen.dot, EDGE_COLOUR)
            value = metrics.get(f"brow_height_{side}_mm")
            if pen.labels:
                _text(
                    img,
                    f"{letter} {_fmt(value, 2)} mm",
                    top + up * gap,
                    pen.label_scale,
                    BROW_COLOUR,
                    align=align,
                )

            outline = geo["jaw_outline"][side]
            for a, b in zip(outline[:-1], outline[1:]):
                _line(img, a, b, JAW_COLOUR, max(1, pen.line // 2))
            for point in geo["jaw_edge"][side]:
                _dot(img, point, pen.dot, EDGE_COLOUR)
            for height, (mid, at) in geo["jaw_contour"].get(side, {}).items():
                _line(img, mid, at, CONTOUR_COLOUR, max(1, pen.line // 2))
                value = metrics.get(f"jaw_contour_{height}_{side}_mm")
                if pen.labels:
                    _text(
                        img,
                        f"{_fmt(value, 1)}",
                        at + sign * lateral * gap * 0.5,
                        pen.label_scale * 0.8,
                        CONTOUR_COLOUR,
                        align=align,
                    )
            if side in geo["jowl"]:
                corner, chin, foot, bulge = geo["jowl"][side]
                _line(img, corner, chin, JOWL_COLOUR, max(1, pen.line // 2))
                _line(img, foot, bulge, JOWL_COLOUR, pen.line)
            if side not in geo["jaw"]:
                continue
            ramus_end, gonion, border_end = geo["jaw"][side]
            _line(img, ramus_end, gonion, JAW_COLOUR, pen.line)
            _line(img, gonion, border_end, JAW_COLOUR, pen.line)
            _dot(img, gonion, pen.dot * 1.5, JAW_COLOUR)
            value = metrics.get(f"jaw_contour_angle_{side}_deg")
            if pen.labels:
                _text(
                    img,
                    f"{letter} {_fmt(value, 1)} deg",
                    gonion + sign * lateral * gap - up * 1.5 * gap,
                    pen.label_scale,
                    JAW_COLOUR,
                    align=align,
                )
    _draw_panel(img, result, pen.panel_scale, avoid)
    return img


PROFILE_COLOUR = (0, 220, 255)
SUBMENTAL_COLOUR = (120, 255, 120)
NECK_COLOUR = (255, 235, 0)


def _draw_corner_arc(img, vertex, far_sub, far_neck, lines_px, pen: _Pen) -> None:
    """The arc that rounds the chin-neck corner (tracker.metrics.profile.fit_chin_neck): each
    line's drawn segment starts where the arc touches it, so the circle tangent to both lines
    there follows from the segments alone. Nothing is drawn for a sharp corner."""
    near_sub = min(
        (np.asarray(p) for p in lines_px["submental"]), key=lambda p: np.hypot(*(p - vertex))
    )
    near_neck = min(
        (np.asarray(p) for p in lines_px["neck"]), key=lambda p: np.hypot(*(p - vertex))
    )
    reach = float(np.hypot(*(near_sub - vertex)))
    a = (far_sub - vertex) / max(float(np.hypot(*(far_sub - vertex))), 1e-9)
    b = (far_neck - vertex) / max(float(np.hypot(*(far_neck - vertex))), 1e-9)
    half = 0.5 * math.acos(float(np.clip(a @ b, -1.0, 1.0)))
    radius = reach * math.tan(half)
    if radius < 1.0 or half < 1e-3:
        return
    inward = b - float(b @ a) * a
    centre = near_sub + radius * inward / max(float(np.hypot(*inward)), 1e-9)
    start = math.atan2(*(near_sub - centre)[::-1])
    end = math.atan2(*(near_neck - centre)[::-1])
    sweep = (end - start + math.pi) % (2 * math.pi) - math.pi
    t = start + np.linspace(0.0, sweep, 32)
    arc = centre + radius * np.column_stack([np.cos(t), np.sin(t)])
    points = np.array([_fixed(p) for p in arc], dtype=np.int32)
    cv2.polylines(img, [points], False, SUBMENTAL_COLOUR, pen.line, cv2.LINE_AA, _SHIFT)


def _draw_profile(img: np.ndarray, result: PhotoResult, pen: _Pen):
    """A profile's outline, its landmarks, the submental and neck lines (extended to their
    meeting point) and the chin-neck angle; returns the box the panel should avoid."""
    geometry = result.profile
    chain = np.asarray(geometry.chain_px)
    points = np.array([_fixed(p) for p in chain], dtype=np.int32)
    cv2.polylines(img, [points], False, PROFILE_COLOUR, pen.line, cv2.LINE_AA, _SHIFT)
    for point in geometry.points_px.values():
        _dot(img, point, pen.dot * 1.5, PROFILE_COLOUR)
    (s0, s1), (n0, n1) = (
        (np.asarray(x) for x in geometry.lines_px["submental"]),
        (np.asarray(x) for x in geometry.lines_px["neck"]),
    )
    # the vertex: where the two lines meet
    u, v = s1 - s0, n1 - n0
    matrix = np.column_stack([u, -v])
    vertex = (
        s0 + np.linalg.solve(matrix, n0 - s0)[0] * u if abs(np.linalg.det(matrix)) > 1e-9 else s0
    )
    far_sub = s0 if np.linalg.norm(s0 - vertex) > np.linalg.norm(s1 - vertex) else s1
    far_neck = n0 if np.linalg.norm(n0 - vertex) > np.linalg.norm(n1 - vertex) else n1
    _line(img, vertex, far_sub, SUBMENTAL_COLOUR, pen.line)
    _line(img, vertex, far_neck, NECK_COLOUR, pen.line)
    _draw_corner_arc(img, vertex, far_sub, far_neck, geometry.lines_px, pen)
    metrics = result.measurement.metrics if result.measurement is not None else {}
    value = metrics.get(f"cervicomental_angle_{result.profile_side}_deg")
    if pen.labels:
        away = -1.0 if geometry.facing == "left" else 1.0
        _text(
            img,
            f"{_fmt(value, 1)} deg",
            vertex + np.array([away * 3.0, 2.0]) * pen.label_scale * 22,
            pen.label_scale,
            SUBMENTAL_COLOUR,
            align="left" if away > 0 else "right",
        )
    return (chain.min(axis=0), chain.max(axis=0))


def save_overlay(path: str | Path, rgb: np.ndarray) -> None:
    """Write an RGB image as a JPEG (quality 90).

    Raises
    ------
    OSError
        When the image cannot be encoded or the file cannot be written.
    """
    ok, encoded = cv2.imencode(
        ".jpg",
        cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, 90],
    )
    if not ok:
        raise OSError(f"cannot encode {path} as JPEG")
    from tracker.output import write_private_bytes

    # written by Python rather than cv2.imwrite: a clear OSError, and any file name works;
    # 0600 (a face), complete or absent
    write_private_bytes(path, encoded.tobytes())
