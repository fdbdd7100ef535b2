"""Perturbations that leave the face as it is or move it by a known amount: JPEG round trips,
shifts, in-plane rotation, the face surface turned rigidly (``render_rotated``), and the
nuisance versions of a photo the noise study measures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.validation.plan import ValidationPhoto


def jpeg_roundtrip(pixels: np.ndarray, quality: int) -> np.ndarray:
    """The image JPEG-encoded at ``quality`` (OpenCV, 4:2:0) and decoded again."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def translate(pixels: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Content moved right by ``dx`` and down by ``dy`` whole pixels (negative: left, up); the
    uncovered border filled by reflection. Same size."""
    h, w = pixels.shape[:2]
    padded = np.pad(pixels, ((abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0)), mode="reflect")
    y0, x0 = abs(dy) - dy, abs(dx) - dx
    return np.ascontiguousarray(padded[y0 : y0 + h, x0 : x0 + w])


def rotate_canvas(pixels: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate counter-clockwise (as displayed) by ``angle_deg`` on a canvas that holds the
    whole picture (INTER_CUBIC, border replicated). Positive raises the subject's left eye."""
    h, w = pixels.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle_deg, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(h * s + w * c)), int(np.ceil(h * c + w * s))
    m[0, 2] += (nw - 1) / 2 - (w - 1) / 2
    m[1, 2] += (nh - 1) / 2 - (h - 1) / 2
    return cv2.warpAffine(
        pixels, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def head_rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """3x3 rotation in image axes (x right, y down, z away) for a head turn of ``yaw_deg`` and
    a tip of ``pitch_deg``, signed like tracker.types.Pose (yaw > 0 towards the subject's
    left, pitch > 0 chin up)."""
    a, b = np.radians(-yaw_deg), np.radians(-pitch_deg)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return ry @ rx


def render_rotated(
    pixels: np.ndarray, points_px: np.ndarray, triangles: np.ndarray, rotation: np.ndarray
) -> np.ndarray:
    """The photo with its face surface (Face Mesh's 478 points with their depth, triangulated)
    turned rigidly by ``rotation`` about the mesh centroid and projected orthographically: each
    triangle's texture is moved by the affine map between its old and new image positions,
    far triangles first. Everything outside the mesh (hair, ears, neck) stays put."""
    centre = points_px.mean(axis=0)
    moved = (points_px - centre) @ rotation.T + centre
    out = np.array(pixels)
    h, w = pixels.shape[:2]
    for tri in triangles[np.argsort(-moved[triangles].mean(axis=1)[:, 2])]:
        src = points_px[tri, :2].astype(np.float32)
        dst = moved[tri, :2].astype(np.float32)
        x0, y0 = (int(max(0, v)) for v in np.floor(dst.min(axis=0)))
        x1 = int(min(w, np.ceil(dst[:, 0].max()) + 1))
        y1 = int(min(h, np.ceil(dst[:, 1].max()) + 1))
        if x1 <= x0 or y1 <= y0:
            continue
        affine = cv2.getAffineTransform(src, dst - np.array([x0, y0], dtype=np.float32))
        patch = cv2.warpAffine(
            pixels, affine, (x1 - x0, y1 - y0), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
        )
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(
            mask,
            np.round((dst - [x0, y0]) * 16).astype(np.int32),
            1,  # type: ignore[call-overload]
            lineType=cv2.LINE_8,
            shift=4,
        )
        out[y0:y1, x0:x1][mask > 0] = patch[mask > 0]
    return out


def nuisance_variants(
    photo: ValidationPhoto,
    names: Sequence[str],
    *,
    iris_px: float,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[tuple[str, np.ndarray]]:
    """Versions of ``photo.pixels`` that leave the face as it is: (name, pixels) for each of
    ``names`` (see ``Plan.nuisances``). "resolution" stands for several versions: the
    full-size decode (when the default decode was reduced), then halvings (INTER_AREA) while
    the iris stays above 1.25 x ``settings.min_iris_px``, then the smallest size the quality
    check accepts (iris 1.05 x ``min_iris_px``)."""
    p = photo.pixels
    makers: dict[str, Callable[[], list[tuple[str, np.ndarray]]]] = {
        "JPEG q60": lambda: [("JPEG q60", jpeg_roundtrip(p, 60))],
        "JPEG q75": lambda: [("JPEG q75", jpeg_roundtrip(p, 75))],
        "JPEG q95": lambda: [("JPEG q95", jpeg_roundtrip(p, 95))],
        "brightness x0.75": lambda: [
            ("brightness x0.75", np.clip(p * 0.75 + 0.5, 0, 255).astype(np.uint8))
        ],
        "brightness x1.25": lambda: [
            ("brightness x1.25", np.clip(p * 1.25 + 0.5, 0, 255).astype(np.uint8))
        ],
        "shift (+13, +7) px": lambda: [("shift (+13, +7) px", translate(p, 13, 7))],
        "shift (-9, -5) px": lambda: [("shift (-9, -5) px", translate(p, -9, -5))],
        "scale x0.8": lambda: [
            ("scale x0.8", cv2.resize(p, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA))
        ],
        "scale x1.25": lambda: [
            ("scale x1.25", cv2.resize(p, None, fx=1.25, fy=1.25, interpolation=cv2.INTER_CUBIC))
        ],
        "resolution": lambda: _resolution_variants(photo, iris_px, settings),
    }
    unknown = set(names) - set(makers)
    if unknown:
        raise ValueError(f"unknown nuisance {sorted(unknown)}")
    return [variant for name in names for variant in makers[name]()]


def _resolution_variants(
    photo: ValidationPhoto, iris_px: float, settings: Settings
) -> list[tuple[str, np.ndarray]]:
    out = []
    if photo.path is not None and photo.decode_scale < 1.0:
        from tracker.photos import open_photo

        full = open_photo(photo.path, min_long_side_px=None, settings=settings).pixels
        out.append(("full-size decode", np.ascontiguousarray(full)))
    factor = 0.5
    while iris_px * factor > 1.25 * settings.min_iris_px:
        out.append((f"size x{factor:g}", _downscale(photo.pixels, factor)))
        factor /= 2
    smallest = 1.05 * settings.min_iris_px / iris_px
    if smallest < 1.0:
        out.append(("smallest accepted size", _downscale(photo.pixels, smallest)))
    return out


def _downscale(pixels: np.ndarray, factor: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    return cv2.resize(
        pixels, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA
    )
