"""How far the measurements can be trusted: sensitivity, noise floor, pose and speed.

``facetrack validate`` runs :func:`run_validation` and writes its :class:`ValidationReport`.
The method is that of a measurement-system study, with ground truth from warps of known size
(:mod:`tracker.warps`) applied to real photos:

- **Sensitivity**: one brow lifted by 0.5, 1, 2 and 3 mm; one jaw contour moved towards the
  midline by 1 and 2 mm; one mouth corner lifted by 1 mm. Each warped image is measured with
  the un-warped photo's scale (its ``face_scale_mm``), so only the landmarks' response
  counts. Sensitivity = the slope through the origin of reported against true change (1.0 is
  perfect). False change = the mean absolute change of the
  metric when the same warp is applied to the *other* side of the face.
- **Noise floor**: each photo and nuisance versions of it that leave the face as it is (JPEG
  quality 60-95, brightness x0.75 and x1.25, translations, rescaling by 0.8 and 1.25, and
  resolution from the full-size decode down to the smallest size the quality check accepts).
  ``noise_sd`` is the typical (median) photo's SD over its versions, ``sem`` the SD pooled
  over photos (root mean square weighted by degrees of freedom), ``mdc95`` = 1.96 sqrt(2) SEM:
  the smallest change between two photos that exceeds the noise with 95 % confidence. Values
  use a fixed person scale, as the library's trends do (``Library.photos(person_scale=True)``).
  Optionally, frame-to-frame SD on a video clip.
- **Pose**: roll by rotating each photo in its plane; pitch and yaw by turning the face
  surface of a photo rigidly (:func:`render_rotated`), and, when real photos of one person
  in different poses are given, by regression on their measured pose.
- **Speed**: ``measure_photo`` per JPEG of 1, 3 and 12 megapixels.

Everything here measures images in memory with :func:`tracker.pipeline.measure_pixels`;
nothing is stored.
"""

from __future__ import annotations

import csv
import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics import geometry, registry
from tracker.metrics.scale import PERSON_SCALE_METRIC, rescale_metrics
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Reason, ReasonCode

__all__ = [
    "Plan",
    "FULL_PLAN",
    "QUICK_PLAN",
    "TABLE_COLUMNS",
    "OUTPUT_FILES",
    "ValidationPhoto",
    "ValidationReport",
    "run_validation",
    "bundled_photos",
    "same_picture",
    "pose_tolerances",
    "TOLERANCE_GROUPS",
    "photos_from_folders",
    "person_scaled",
    "slope_through_origin",
    "pooled_sd",
    "ols",
    "jpeg_roundtrip",
    "translate",
    "rotate_canvas",
    "head_rotation",
    "render_rotated",
    "read_clip",
    "nuisance_variants",
    "clip_noise",
    "tolerance_deg",
    "markdown_table",
    "plot_sensitivity",
    "plot_noise_floor",
]

METRICS = geometry.METRIC_NAMES
TABLE_COLUMNS = (
    "metric",
    "sensitivity",
    "false_change_other_side",
    "noise_sd",
    "sem",
    "mdc95",
    "pose_slope_per_deg",
    # the capture-geometry study on the project's 3-D head (tracker.validation.capture)
    "yaw_slope_per_deg",
    "yaw_max_change",
    "distance_effect_mm",
    "selfie_noise_sd",
    "selfie_mdc95",
    "split_face_noise_sd",
    "sensitivity_3d",
    "other_side_max_mm",
)
CAPTURE_COLUMNS = TABLE_COLUMNS[7:]
MDC_FACTOR = 1.96 * np.sqrt(2.0)
SIDES = registry.SIDES
OTHER_SIDE = registry.OTHER_SIDE
BROWS = registry.names(family="brow_height")
# a clip frame whose mean absolute difference from the previous one is below this is a
# pulldown repeat (re-encoded repeats differ by < 0.5 grey levels, real successive frames by > 3)
REPEAT_MAX_MEAN_ABS_DIFF = 1.0
# ... and above this, a cut to another shot
CUT_MIN_MEAN_ABS_DIFF = 30.0
# quality reasons about the image itself: such a photo's measurements are not trusted, so it
# is measured and shown but left out of the pooled figures. Expression and pose rejections do
# not exclude a photo (the bundled astronaut smiles with an open mouth).
IMAGE_REJECTIONS = tuple(code for code in ReasonCode if code.about_image)
OUTPUT_FILES = (
    "validation.md",
    "validation.csv",
    "validation_details.csv",
    "sensitivity.png",
    "noise_floor.png",
    "capture_geometry.csv",
)


@dataclass(frozen=True)
class Plan:
    """What a validation run does: the warp sizes, nuisances, angles and repeats."""

    brow_lifts_mm: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    jaw_shifts_mm: tuple[float, ...] = (1.0, 2.0)
    mouth_lifts_mm: tuple[float, ...] = (1.0,)
    nuisances: tuple[str, ...] = (
        "JPEG q60",
        "JPEG q75",
        "JPEG q95",
        "brightness x0.75",
        "brightness x1.25",
        "shift (+13, +7) px",
        "shift (-9, -5) px",
        "scale x0.8",
        "scale x1.25",
        "resolution",
    )
    roll_angles_deg: tuple[float, ...] = (-15, -10, -5, 5, 10, 15)
    turn_angles_deg: tuple[float, ...] = (-15, -10, -5, 5, 10, 15)
    turn_photos_per_group: int = 1  # photos of each group turned rigidly (pitch, yaw)
    speed_megapixels: tuple[float, ...] = (1, 3, 12)
    speed_repeats: int = 5


FULL_PLAN = Plan()
# the reduced set CI runs (tests/test_validation.py): about 15 s on 2 cores
QUICK_PLAN = Plan(
    brow_lifts_mm=(1.0, 3.0),
    jaw_shifts_mm=(2.0,),
    mouth_lifts_mm=(1.0,),
    nuisances=("JPEG q75", "shift (+13, +7) px", "scale x0.8"),
    roll_angles_deg=(-15, 15),
    turn_angles_deg=(-10, 10),
    speed_repeats=1,
)


@dataclass
class ValidationPhoto:
    """One input image: ``pixels`` as the pipeline analyses it (default decode), the file it
    came from (None for generated images) and its ``group`` (one person: photos in one
    folder)."""

    name: str
    group: str
    pixels: np.ndarray
    path: Path | None = None
    decode_scale: float = 1.0


@dataclass
class ValidationReport:
    """The result of :func:`run_validation`.

    ``table`` is a pandas DataFrame with one row per metric and the columns ``TABLE_COLUMNS``
    (NaN where a quantity does not apply). ``details`` holds every other number as tidy rows
    (section, item, metric, quantity, value). ``markdown`` is the whole report.
    """

    table: Any  # a pandas DataFrame
    details: list[dict]
    markdown: str
    sensitivity_points: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    # the capture-geometry study: one row per rendered capture of the 3-D head
    captures: Any = None  # a pandas DataFrame

    def table_markdown(self) -> str:
        """The main table as Markdown (NaN shown as "-")."""
        return markdown_table(self.table)

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write ``OUTPUT_FILES`` into ``out_dir`` (created); returns their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / name for name in OUTPUT_FILES]
        paths[0].write_text(self.markdown, encoding="utf-8")
        self.table.to_csv(paths[1], index=False, float_format="%.4g")
        with open(paths[2], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(
                fh, fieldnames=["section", "item", "metric", "quantity", "value"]
            )
            writer.writeheader()
            writer.writerows(self.details)
        plot_sensitivity(self.sensitivity_points).savefig(paths[3], dpi=110)
        plot_noise_floor(self.table).savefig(paths[4], dpi=110)
        if self.captures is not None:
            self.captures.to_csv(paths[5], index=False, float_format="%.6g")
        else:
            paths = paths[:5]
        return paths


# --- inputs ---------------------------------------------------------------------------------------


def bundled_photos(notes: list[str] | None = None) -> list[ValidationPhoto]:
    """skimage's astronaut upscaled 3 x (iris about 24 px) and the project's ``sample_images``
    (astronaut-based). Either is left out, with a note, when it is not available (scikit-image
    not installed; the package installed without its source tree)."""
    notes = notes if notes is not None else []
    photos = []
    try:
        from skimage import data
    except ImportError:
        notes.append("scikit-image is not installed: skimage.data.astronaut() left out")
    else:
        pixels = cv2.resize(data.astronaut(), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        photos.append(ValidationPhoto("astronaut x3", "astronaut", pixels))
    folder = Path(__file__).resolve().parents[2] / "sample_images"
    if folder.is_dir():
        # the top-level photos only: series/ is twelve weeks of the same face, which would
        # multiply the run time without adding a picture
        photos += photos_from_folders([folder], group="astronaut", notes=notes, recursive=False)
    else:
        notes.append(f"{folder} not found: the bundled sample images left out")
    return photos


def photos_from_folders(
    folders: Iterable[str | os.PathLike[str]],
    *,
    group: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    notes: list[str] | None = None,
    recursive: bool = True,
) -> list[ValidationPhoto]:
    """Every photo in the folders (searched recursively unless ``recursive`` is False), opened
    upright at the default decode.

    Each photo's group is ``group`` or else the name of the folder holding it (one folder per
    person). Files that cannot be read are left out with a note.
    """
    from tracker.errors import PhotoError
    from tracker.photos import find_photos, open_photo

    notes = notes if notes is not None else []
    out = []
    for folder in folders:
        folder = Path(folder)
        found = folder if recursive else sorted(p for p in folder.iterdir() if p.is_file())
        for path in find_photos(found)[0]:
            try:
                photo = open_photo(
                    path, min_long_side_px=settings.decode_min_long_side_px, settings=settings
                )
            except PhotoError as exc:
                notes.append(f"{path}: {exc.reason}: left out")
                continue
            rel = path.relative_to(folder) if path.is_relative_to(folder) else Path(path.name)
            name = rel.as_posix() if len(rel.parts) > 1 else f"{folder.name}/{rel.as_posix()}"
            out.append(
                ValidationPhoto(
                    name,
                    group or path.parent.name,
                    np.ascontiguousarray(photo.pixels),
                    path,
                    photo.decode_scale,
                )
            )
    return out


# --- small helpers shared with the benchmarks -----------------------------------------------------

# a fixed person scale: equal to measuring with ``ipd_mm``, and to
# ``Library.photos(person_scale=True)``
person_scaled = rescale_metrics


def same_picture(points_a: np.ndarray, points_b: np.ndarray, *, tolerance: float = 0.01) -> bool:
    """Whether two Face Mesh results come from the same picture, stored another way, resized,
    rotated in its plane or mirrored: the RMS distance between the landmarks after the best 2D
    similarity fit (translation, rotation, scale; also tried with one of them mirrored and its
    left/right landmarks swapped) is below ``tolerance`` x the interpupillary distance.
    Copies of one picture measure 0.2-0.4 %, different photos of one person 2 % or more."""
    b = np.asarray(points_b, dtype=np.float64)[:, :2]
    b = b - b.mean(axis=0)
    ipd = float(np.linalg.norm(b[ix.IRIS_CENTRE_LEFT] - b[ix.IRIS_CENTRE_RIGHT]))
    a0 = np.asarray(points_a, dtype=np.float64)[:, :2]
    mirrored = (a0 * np.array([-1.0, 1.0]))[ix.mirror_permutation()]
    for a in (a0, mirrored):
        a = a - a.mean(axis=0)
        u, s, vt = np.linalg.svd(a.T @ b)
        d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
        rotation = u @ d @ vt
        scale = float((s * np.diag(d)).sum() / (a * a).sum())
        rms = float(np.sqrt(((scale * a @ rotation - b) ** 2).sum(axis=1).mean()))
        if rms < tolerance * ipd:
            return True
    return False


def slope_through_origin(true: Sequence[float], reported: Sequence[float]) -> float:
    """Least-squares slope of reported against true change, the line forced through 0."""
    x, y = np.asarray(true, dtype=float), np.asarray(reported, dtype=float)
    xx = float((x * x).sum())
    return float((x * y).sum() / xx) if xx > 0 else float("nan")


def pooled_sd(groups: Iterable[Sequence[float]]) -> float:
    """sqrt of the variance pooled over groups (weighted by degrees of freedom); NaN if none."""
    arrays = [np.asarray(g, dtype=float) for g in groups]
    num = sum((g.size - 1) * np.var(g, ddof=1) for g in arrays if g.size > 1)
    dof = sum(g.size - 1 for g in arrays if g.size > 1)
    return float(np.sqrt(num / dof)) if dof else float("nan")


def ols(x, y, groups=None) -> tuple[float, float]:
    """Slope and its standard error of y on x (ordinary least squares); with ``groups``,
    within-group: both centred per group, one degree of freedom lost per group. NaN when
    there is nothing to fit."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    groups = np.zeros(x.size) if groups is None else np.asarray(groups)
    xc, yc = x.copy(), y.copy()
    for g in np.unique(groups):
        sel = groups == g
        xc[sel] -= x[sel].mean()
        yc[sel] -= y[sel].mean()
    sxx = float((xc * xc).sum())
    dof = x.size - np.unique(groups).size - 1
    if sxx == 0 or dof <= 0:
        return float("nan"), float("nan")
    slope = float((xc * yc).sum() / sxx)
    resid = yc - slope * xc
    return slope, float(np.sqrt((resid @ resid) / dof / sxx))


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


def read_clip(
    path: str | os.PathLike[str], first: int = 0, last: int | None = None
) -> tuple[list[int], list[np.ndarray], int]:
    """RGB frames ``first``..``last`` (inclusive; None: to the end) of a video, without its
    pulldown repeats: (frame indices, frames, number of repeats skipped)."""
    cap = cv2.VideoCapture(str(path))
    indices, frames, repeats, previous = [], [], 0, None
    index = 0
    try:
        while last is None or index <= last:
            ok, frame = cap.read()
            if not ok:
                break
            if index >= first:
                if (
                    previous is not None
                    and np.abs(frame.astype(np.int16) - previous).mean() < REPEAT_MAX_MEAN_ABS_DIFF
                ):
                    repeats += 1
                else:
                    indices.append(index)
                    frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                previous = frame.astype(np.int16)
            index += 1
    finally:
        cap.release()
    return indices, frames, repeats


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


# --- measuring ------------------------------------------------------------------------------------


def _measure(pixels: np.ndarray, name: str):
    """``measure_pixels`` with the iris scale; None when no face is found."""
    from tracker.pipeline import measure_pixels

    result = measure_pixels(np.ascontiguousarray(pixels), file=name)
    return result if result.measurement is not None else None


def _iris_px(result) -> float:
    return float(result.quality.scores["iris_px"])


def image_rejection(result) -> str | None:
    """The first quality reason about the image itself (``IMAGE_REJECTIONS``), or None."""
    return next((r for r in result.reasons if Reason.of(r).code.about_image), None)


# --- 1. sensitivity -------------------------------------------------------------------------------

_WARPED_POINTS = {
    ("brow", "left"): ix.BROW_UPPER_LEFT,
    ("brow", "right"): ix.BROW_UPPER_RIGHT,
    ("mouth", "left"): (ix.MOUTH_CORNER_LEFT,),
    ("mouth", "right"): (ix.MOUTH_CORNER_RIGHT,),
    ("jaw", "left"): ix.RAMUS_LEFT[-2:] + ix.JAW_BORDER_LEFT[:2],
    ("jaw", "right"): ix.RAMUS_RIGHT[-2:] + ix.JAW_BORDER_RIGHT[:2],
}


def depth_gain(points_px: np.ndarray, focal_length_px: float, indices: Sequence[int]) -> float:
    """What a 2-D warp of the image is in 3-D: a shift of ``d`` pixels at landmarks nearer
    the camera than the eyes is a smaller shift of the face (``d * Z / Z_eyes``), and farther
    a larger one. Returns ``Z / Z_eyes = 1 + (z - z_eyes) / f`` at the mean depth of
    ``indices`` (Face Mesh's depth relative to the iris midpoint, in the pixel scale of x).
    A brow about 20 mm in front of the irises at 55 cm gives 0.96. Outline points
    (``ix.SILHOUETTE``: the jaw contour) count as at the eyes' depth, as the face frame takes
    them (``tracker.metrics.frame``), so a warp of the jaw contour keeps its size."""
    pts = np.asarray(points_px, dtype=np.float64)
    eyes_z = 0.5 * (pts[ix.IRIS_CENTRE_LEFT, 2] + pts[ix.IRIS_CENTRE_RIGHT, 2])
    outline = set(ix.SILHOUETTE)
    depth = np.array([eyes_z if i in outline else pts[i, 2] for i in indices])
    return float(1.0 + (depth.mean() - eyes_z) / focal_length_px)


def _truths(
    kind: str, side: str, size_mm: float, base: dict[str, float], gain: float = 1.0
) -> dict[str, float]:
    """The true change of every metric a warp changes by a known amount (mm or deg); ``gain``
    turns the warp's size in the image into its size on the face (:func:`depth_gain`)."""
    size_mm = size_mm * gain
    if kind == "jaw":
        # the gonion moves towards the midline, both jaw lines translate rigidly
        return {_LOWER_FACE_WIDTH: -size_mm}
    # a brow or mouth-corner lift raises its (upward) height by the lift
    own = _warped_metric(kind, side)
    theirs = registry.get(own).partner or own
    asymmetry = registry.names(group=registry.get(own).group, side=None, unit="mm")[0]
    return {
        own: size_mm,
        asymmetry: abs(base[own] + size_mm - base[theirs]) - abs(base[own] - base[theirs]),
    }


# the sided metrics each kind of warp is aimed at: metric -> (warp kind, side)
_WARPED = {
    m.name: (m.warp, m.side) for m in registry.METRICS if m.warp is not None and m.side is not None
}
_LOWER_FACE_WIDTH = registry.names(family="lower_face_width")[0]


def _warped_metric(kind: str, side: str) -> str:
    """The metric a warp of ``kind`` on ``side`` is aimed at (the jaw's: its jaw angle)."""
    return next(m for m, aimed in _WARPED.items() if aimed == (kind, side))


def run_sensitivity(photo: ValidationPhoto, base, plan: Plan) -> tuple[list[dict], list[str]]:
    """Every warp of ``plan`` on each side of one photo, measured with the photo's scale held.

    Returns records (photo, kind, side, size_mm, shift_px, change: metric -> reported change,
    truth: metric -> true change, ideal: metric -> change a perfect landmark detector would
    report, or None for brows) and the notes of the warps that did not fit.
    """
    from tracker import warps

    m0 = base.measurement.metrics
    scale0 = base.measurement.scale_mm_per_px
    ipd0 = m0[PERSON_SCALE_METRIC]
    points = base.refined_points_px
    focal = base.camera.focal_length_px
    plain = geometry.compute_metrics(points, scale0, focal_length_px=focal)
    records, notes = [], []
    jobs = (
        [("brow", s) for s in plan.brow_lifts_mm]
        + [("jaw", s) for s in plan.jaw_shifts_mm]
        + [("mouth", s) for s in plan.mouth_lifts_mm]
    )
    for kind, size_mm in jobs:
        for side in SIDES:
            shift_px = size_mm / scale0
            ideal = None
            try:
                if kind == "brow":
                    warped = warps.brow_lift(photo.pixels, points, side=side, shift_px=shift_px)
                else:
                    make = warps.jaw_contour_field if kind == "jaw" else warps.mouth_corner_field
                    displacement, region = make(points, side=side, shift_px=shift_px)
                    warped = warps.warp(photo.pixels, displacement, region)
                    dx, dy = displacement(points[:, 0], points[:, 1])
                    moved = np.array(points, dtype=np.float64)
                    moved[:, 0] += dx
                    moved[:, 1] += dy
                    after = geometry.compute_metrics(moved, scale0, focal_length_px=focal)
                    ideal = {m: float(after[m] - plain[m]) for m in METRICS}
            except ValueError as exc:
                notes.append(f"{photo.name}: {kind} {side} {size_mm:g} mm: {exc}")
                continue
            result = _measure(warped, photo.name)
            if result is None:
                notes.append(f"{photo.name}: {kind} {side} {size_mm:g} mm: no face after the warp")
                continue
            scaled = person_scaled(result.measurement.metrics, ipd0)
            records.append(
                {
                    "photo": photo.name,
                    "kind": kind,
                    "side": side,
                    "size_mm": size_mm,
                    "shift_px": shift_px,
                    "change": {m: scaled[m] - m0[m] for m in METRICS},
                    "truth": _truths(
                        kind,
                        side,
                        size_mm,
                        m0,
                        depth_gain(points, focal, _WARPED_POINTS[kind, side]),
                    ),
                    "ideal": ideal,
                }
            )
    return records, notes


def summarise_sensitivity(records: list[dict]) -> dict[str, dict[str, float]]:
    """Per metric: ``sensitivity`` (slope through the origin of reported on true change over
    every warp with a known, non-zero truth for it), ``false_change_other_side`` (mean
    |change| of a sided metric when the same kind of warp is applied to the other side), and
    ``own_side_false_change`` for the jaw angles (mean |change| when their own jaw contour
    moves: the true change is 0)."""
    out = {}
    for m in METRICS:
        pairs = [(r["truth"][m], r["change"][m]) for r in records if r["truth"].get(m, 0.0) != 0.0]
        sens = slope_through_origin(*zip(*pairs)) if pairs else float("nan")
        false = own = float("nan")
        kind, side = _WARPED.get(m, (None, None))
        if kind is not None and side is not None:
            other = [
                abs(r["change"][m])
                for r in records
                if r["kind"] == kind and r["side"] == OTHER_SIDE[side]
            ]
            false = float(np.mean(other)) if other else float("nan")
            if kind == "jaw":
                mine = [
                    abs(r["change"][m]) for r in records if r["kind"] == "jaw" and r["side"] == side
                ]
                own = float(np.mean(mine)) if mine else float("nan")
        out[m] = {
            "sensitivity": sens,
            "false_change_other_side": false,
            "own_side_false_change": own,
            "n": len(pairs),
        }
    return out


# --- 2. noise floor -------------------------------------------------------------------------------


def run_noise(
    photo: ValidationPhoto, base, plan: Plan, settings: Settings = DEFAULT_SETTINGS
) -> dict:
    """The photo and its nuisance versions measured: variant name -> metrics with the person
    (fixed) scale and with each version's own iris scale, and the notes of versions
    without a face."""
    ipd0 = base.measurement.metrics[PERSON_SCALE_METRIC]
    fixed = {"original": dict(base.measurement.metrics)}
    iris = {"original": dict(base.measurement.metrics)}
    iris_px = {"original": _iris_px(base)}
    notes = []
    for name, pixels in nuisance_variants(
        photo, plan.nuisances, iris_px=_iris_px(base), settings=settings
    ):
        result = _measure(pixels, photo.name)
        if result is None:
            notes.append(f"{photo.name}: {name}: no face")
            continue
        iris[name] = dict(result.measurement.metrics)
        fixed[name] = person_scaled(result.measurement.metrics, ipd0)
        iris_px[name] = _iris_px(result)
    return {"photo": photo.name, "fixed": fixed, "iris": iris, "iris_px": iris_px, "notes": notes}


def summarise_noise(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per metric: ``noise_sd`` (median over photos of the SD over a photo's versions),
    ``sem`` (SD pooled over photos), ``mdc95``, the same SEM and MDC95 with the iris scale, and
    ``max_photo_sd``."""
    out = {}
    for m in METRICS:
        groups = [[v[m] for v in run["fixed"].values()] for run in runs]
        groups_iris = [[v[m] for v in run["iris"].values()] for run in runs]
        sds = [float(np.std(g, ddof=1)) for g in groups if len(g) > 1]
        sem, sem_iris = pooled_sd(groups), pooled_sd(groups_iris)
        out[m] = {
            "noise_sd": float(np.median(sds)) if sds else float("nan"),
            "sem": sem,
            "mdc95": MDC_FACTOR * sem,
            "sem_iris_scale": sem_iris,
            "mdc95_iris_scale": MDC_FACTOR * sem_iris,
            "max_photo_sd": max(sds) if sds else float("nan"),
        }
    return out


def clip_noise(path: str | os.PathLike[str], progress=None) -> dict:
    """Frame-to-frame noise on a video clip.

    Every distinct frame (pulldown repeats skipped) is measured; the longest run of successive
    frames that all show a face, with no cut between them (a mean absolute frame difference
    over ``CUT_MIN_MEAN_ABS_DIFF`` grey levels, or the face jumping by more than half its
    interpupillary distance or changing size by more than 25 %), is kept. Per metric the
    successive-difference SD, std(diff) / sqrt(2), with a fixed scale (the run's median
    ``face_scale_mm``). It includes the subject's own movement and expression.
    """
    indices, frames, repeats = read_clip(path)
    rows = []
    for i, (index, frame) in enumerate(zip(indices, frames)):
        if progress and i % 50 == 0:
            progress(f"  clip frame {index} ({i + 1} of {len(frames)})")
        result = _measure(frame, f"frame {index}")
        cut = (
            i > 0
            and float(np.abs(frame.astype(np.int16) - frames[i - 1]).mean()) > CUT_MIN_MEAN_ABS_DIFF
        )
        rows.append((index, result, cut))
    runs: list[list] = []
    current: list = []
    for index, result, cut in rows:
        jump = False
        if current and result is not None:
            (mid_prev, ipd_prev), (mid_now, ipd_now) = (
                _eyes(r.refined_points_px) for r in (current[-1][1], result)
            )
            jump = bool(
                np.linalg.norm(mid_now - mid_prev) > 0.5 * ipd_prev
                or not 0.8 < ipd_now / ipd_prev < 1.25
            )
        if result is None or cut or jump:
            runs.append(current)
            current = [] if result is None else [(index, result)]
        else:
            current.append((index, result))
    runs.append(current)
    best = max(runs, key=len)
    out = {
        "frames": len(indices),
        "repeats": repeats,
        "kept": len(best),
        "first": best[0][0] if best else None,
        "last": best[-1][0] if best else None,
        "sd": {m: float("nan") for m in METRICS},
        "iris_px": float("nan"),
    }
    if len(best) < 3:
        return out
    ipd = float(np.median([r.measurement.metrics[PERSON_SCALE_METRIC] for _, r in best]))
    series = {
        m: np.array([person_scaled(r.measurement.metrics, ipd)[m] for _, r in best])
        for m in METRICS
    }
    out["sd"] = {m: float(np.std(np.diff(v), ddof=1) / np.sqrt(2)) for m, v in series.items()}
    out["iris_px"] = float(np.median([_iris_px(r) for _, r in best]))
    out["ipd_mm"] = ipd
    reasons: dict[str, int] = {}
    for _, r in best:
        for key in [Reason.of(reason).kind for reason in r.reasons] or ["ok"]:
            reasons[key] = reasons.get(key, 0) + 1
    out["reasons"] = reasons
    return out


def _eyes(points_px: np.ndarray) -> tuple[np.ndarray, float]:
    """The midpoint of the iris centres (x, y) and their distance, in pixels."""
    left, right = points_px[ix.IRIS_CENTRE_LEFT, :2], points_px[ix.IRIS_CENTRE_RIGHT, :2]
    return 0.5 * (left + right), float(np.linalg.norm(left - right))


# --- 3. pose --------------------------------------------------------------------------------------


def run_roll(photo: ValidationPhoto, base, angles: Sequence[float]) -> list[dict]:
    """The photo rotated in its plane by each angle: the applied angle, the measured roll's
    change and every metric's change (person scale held)."""
    m0 = base.measurement.metrics
    out = []
    for angle in angles:
        result = _measure(rotate_canvas(photo.pixels, angle), photo.name)
        if result is None:
            continue
        after = person_scaled(result.measurement.metrics, m0[PERSON_SCALE_METRIC])
        out.append(
            {
                "photo": photo.name,
                "applied": float(angle),
                "d_roll": result.quality.pose.roll_deg - base.quality.pose.roll_deg,
                "change": {m: after[m] - m0[m] for m in METRICS},
            }
        )
    return out


def run_turns(photo: ValidationPhoto, base, angles: Sequence[float]) -> list[dict]:
    """The photo's face surface turned rigidly by each angle of pitch (at yaw 0) and of yaw
    (at pitch 0), re-rendered (:func:`render_rotated`) and measured: the applied angle, the
    measured pose change and every metric's change (person scale held)."""
    from scipy.spatial import Delaunay

    m0 = base.measurement.metrics
    points = base.landmarks.points_px
    triangles = Delaunay(points[:, :2]).simplices
    out = []
    for axis in ("pitch", "yaw"):
        for angle in angles:
            rotation = head_rotation(angle, 0.0) if axis == "yaw" else head_rotation(0.0, angle)
            result = _measure(render_rotated(photo.pixels, points, triangles, rotation), photo.name)
            if result is None:
                continue
            after = person_scaled(result.measurement.metrics, m0[PERSON_SCALE_METRIC])
            pose, pose0 = result.quality.pose, base.quality.pose
            out.append(
                {
                    "photo": photo.name,
                    "axis": axis,
                    "applied": float(angle),
                    "d_pitch": pose.pitch_deg - pose0.pitch_deg,
                    "d_yaw": pose.yaw_deg - pose0.yaw_deg,
                    "change": {m: after[m] - m0[m] for m in METRICS},
                }
            )
    return out


def summarise_pose(roll: list[dict], turns: list[dict], people: list[dict]) -> dict:
    """Slopes (unit per degree, +/- SE) of every metric against roll (applied), against the
    *measured* pitch and yaw of the rigid turns (pooled within photo, each photo's unturned
    version as its zero point), and against the measured pitch and yaw of real photos
    (within person, person scale = the person's median interpupillary distance)."""
    out: dict = {
        "roll": {},
        "pitch": {},
        "yaw": {},
        "people_pitch": {},
        "people_yaw": {},
        "roll_max_change": {},
    }
    if roll:
        photos = sorted({r["photo"] for r in roll})
        x = [r["applied"] for r in roll] + [0.0] * len(photos)
        groups = [r["photo"] for r in roll] + photos
        for m in METRICS:
            y = [r["change"][m] for r in roll] + [0.0] * len(photos)
            out["roll"][m] = ols(x, y, groups)
            out["roll_max_change"][m] = float(np.max(np.abs([r["change"][m] for r in roll])))
        out["roll_error_max"] = float(np.max(np.abs([r["d_roll"] - r["applied"] for r in roll])))
    for axis in ("pitch", "yaw"):
        sel = [r for r in turns if r["axis"] == axis]
        if not sel:
            continue
        photos = sorted({r["photo"] for r in sel})
        x = [r[f"d_{axis}"] for r in sel] + [0.0] * len(photos)
        groups = [r["photo"] for r in sel] + photos
        for m in METRICS:
            out[axis][m] = ols(x, [r["change"][m] for r in sel] + [0.0] * len(photos), groups)
        out[f"{axis}_gain"] = ols([r["applied"] for r in sel] + [0.0] * len(photos), x, groups)
    if people:
        groups = [p["group"] for p in people]
        for axis in ("pitch", "yaw"):
            x = [p[axis] for p in people]
            for m in METRICS:
                out[f"people_{axis}"][m] = ols(x, [p["metrics"][m] for p in people], groups)
        out["people_n"] = (len(people), len(set(groups)))
    return out


def tolerance_deg(slope: float, mdc95: float) -> float:
    """The pose angle at which a metric's pose drift reaches its MDC95: a photo taken that far
    from frontal can show a change as large as the smallest believable one."""
    return float(mdc95 / abs(slope)) if slope and np.isfinite(slope) else float("inf")


# --- 4. speed -------------------------------------------------------------------------------------


def run_speed(
    sample: np.ndarray,
    megapixels: Sequence[float],
    repeats: int,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[dict]:
    """``measure_photo`` on JPEGs (quality 92) of ``sample`` resized to each size: median wall
    time per photo over ``repeats`` runs after an untimed warm-up."""
    from tracker.pipeline import measure_photo

    h, w = sample.shape[:2]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in megapixels:
            f = np.sqrt(mp * 1e6 / (w * h))
            size = (round(w * f), round(h * f))
            resized = cv2.resize(
                sample, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
            )
            file = Path(tmp) / f"{mp:g}mp.jpg"
            cv2.imwrite(
                str(file), cv2.cvtColor(resized, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
            )
            result, photo = measure_photo(file, settings=settings)  # warm-up
            times = []
            for _ in range(max(1, repeats)):
                start = time.perf_counter()
                measure_photo(file, settings=settings)
                times.append(time.perf_counter() - start)
            rows.append(
                {
                    "megapixels": mp,
                    "size": f"{size[0]} x {size[1]}",
                    "analysed": (
                        f"{photo.pixels.shape[1]} x {photo.pixels.shape[0]}"
                        if photo is not None
                        else "-"
                    ),
                    "median_ms": 1000 * statistics.median(times),
                    "fastest_ms": 1000 * min(times),
                    "runs": len(times),
                    "status": result.status,
                }
            )
    return rows


# --- the whole run --------------------------------------------------------------------------------


def run_validation(
    *,
    photo_dirs: Sequence[str | os.PathLike[str]] = (),
    clip: str | os.PathLike[str] | None = None,
    quick: bool = False,
    include_bundled: bool = True,
    capture_study: bool = True,
    settings: Settings = DEFAULT_SETTINGS,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Run the validation and return its report (nothing is written; see ``report.write``).

    Parameters
    ----------
    photo_dirs : folders of real photos (one sub-folder per person for the pose regression).
    clip : a video of one face, for frame-to-frame noise.
    quick : the reduced set CI runs (``QUICK_PLAN``) instead of ``FULL_PLAN``.
    include_bundled : also use the astronaut and ``sample_images``.
    capture_study : also run the capture-geometry study on the project's 3-D head
        (:mod:`tracker.validation.capture`): head turn, camera distance, selfie noise and
        3-D brow lifts, per metric.
    progress : called with one line per step.
    """
    import pandas as pd

    started = time.perf_counter()
    say = progress or (lambda message: None)
    plan = QUICK_PLAN if quick else FULL_PLAN
    notes: list[str] = []
    photos = bundled_photos(notes) if include_bundled else []
    photos += photos_from_folders(photo_dirs, settings=settings, notes=notes)
    for note in notes:  # files that could not be read: one line each, and the run goes on
        if note.endswith(": left out"):
            say(f"error: {note.removesuffix(': left out')}")
    bases: list = []
    excluded: dict = {}
    copies: dict = {}
    for photo in photos:
        base = _measure(photo.pixels, photo.name)
        if base is None:
            notes.append(f"{photo.name}: no face: left out")
            say(f"rejected: {photo.path or photo.name}: no face found")
            continue
        bases.append((photo, base))
        original = next(
            (
                p.name
                for p, b in bases[:-1]
                if same_picture(b.landmarks.points_px, base.landmarks.points_px)
            ),
            None,
        )
        if original is not None:
            copies[photo.name] = copies.get(original, original)
        reason = image_rejection(base)
        if reason is not None:
            excluded[photo.name] = reason
            notes.append(
                f"{photo.name}: rejected for the image ({reason}): measured and shown "
                "per photo, left out of the pooled figures"
            )
    if not bases:
        from tracker.errors import TrackerError

        raise TrackerError("no photo with a face to validate on")

    sens_records: list[dict] = []
    noise_runs: list[dict] = []
    roll_records: list[dict] = []
    for k, (photo, base) in enumerate(bases, 1):
        say(f"[{k}/{len(bases)}] {photo.name}: sensitivity, noise, roll")
        records, warp_notes = run_sensitivity(photo, base, plan)
        sens_records += records
        notes += warp_notes
        run = run_noise(photo, base, plan, settings)
        noise_runs.append(run)
        notes += run["notes"]
        if photo.name not in excluded:
            roll_records += run_roll(photo, base, plan.roll_angles_deg)

    turn_records: list[dict] = []
    per_group: dict[str, int] = {}
    for photo, base in bases:
        if photo.name in excluded or per_group.get(photo.group, 0) >= plan.turn_photos_per_group:
            continue
        per_group[photo.group] = per_group.get(photo.group, 0) + 1
        say(f"{photo.name}: rigid head turns")
        turn_records += run_turns(photo, base, plan.turn_angles_deg)

    # real photos, one file per picture: a copy (another storage, a mirror image) is no pose
    people = _people_poses(
        [
            (p, b)
            for p, b in bases
            if p.path is not None
            and p.group != "astronaut"
            and p.name not in excluded
            and p.name not in copies
        ]
    )
    clip_result = None
    if clip is not None:
        say(f"{clip}: frame-to-frame noise")
        clip_result = clip_noise(clip, progress=say)

    say("speed")
    sample = max(
        (p for p, _ in bases if p.path is not None),
        key=lambda p: p.pixels.size / p.decode_scale**2,
        default=bases[0][0],
    )
    sample_pixels = sample.pixels
    if sample.path is not None and sample.decode_scale < 1.0:
        from tracker.photos import open_photo

        sample_pixels = open_photo(sample.path, min_long_side_px=None, settings=settings).pixels
    speed = run_speed(
        np.ascontiguousarray(sample_pixels), plan.speed_megapixels, plan.speed_repeats, settings
    )

    sens = summarise_sensitivity([r for r in sens_records if r["photo"] not in excluded])
    noise = summarise_noise([r for r in noise_runs if r["photo"] not in excluded])
    pose = summarise_pose(roll_records, turn_records, people)
    pose_axis = "pitch" if pose["pitch"] else "roll"
    rows = []
    for m in METRICS:
        rows.append(
            {
                "metric": m,
                "sensitivity": sens[m]["sensitivity"],
                "false_change_other_side": sens[m]["false_change_other_side"],
                "noise_sd": noise[m]["noise_sd"],
                "sem": noise[m]["sem"],
                "mdc95": noise[m]["mdc95"],
                "pose_slope_per_deg": pose[pose_axis].get(m, (float("nan"),))[0],
            }
        )
    captures = None
    if capture_study:
        from tracker.validation.capture import (
            FULL_CAPTURE_PLAN,
            QUICK_CAPTURE_PLAN,
            run_capture_study,
            summarise_capture,
        )

        say("3-D head: head turn, camera distance, selfie noise, brow lifts")
        captures = run_capture_study(QUICK_CAPTURE_PLAN if quick else FULL_CAPTURE_PLAN)
        by_metric = summarise_capture(captures).set_index("metric")
        for row in rows:
            for column in CAPTURE_COLUMNS:
                value = (
                    by_metric[column].get(row["metric"], float("nan"))
                    if column in by_metric
                    else float("nan")
                )
                row[column] = float(value)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    # face_scale_mm is the fixed scale itself: its person-scaled value cannot vary
    for column in ("noise_sd", "sem", "mdc95", "pose_slope_per_deg"):
        table.loc[table["metric"] == PERSON_SCALE_METRIC, column] = float("nan")

    details = _details(sens_records, sens, noise_runs, noise, pose, clip_result, speed)
    for group, axes in pose_tolerances(pose, noise).items():
        for axis, degrees in axes.items():
            details.append(
                {
                    "section": "tolerance",
                    "item": axis,
                    "metric": group.rstrip(" *"),
                    "quantity": "tolerance_deg",
                    "value": f"{degrees:.6g}",
                }
            )
    seconds = time.perf_counter() - started
    context = {
        "photos": bases,
        "excluded": excluded,
        "copies": copies,
        "plan": plan,
        "quick": quick,
        "notes": notes,
        "photo_dirs": photo_dirs,
        "clip": clip,
        "settings": settings,
        "pose_axis": pose_axis,
        "sample": sample.name,
        "seconds": seconds,
    }
    markdown = _markdown(
        table, sens_records, sens, noise_runs, noise, pose, clip_result, speed, context
    )
    used = [r for r in sens_records if r["photo"] not in excluded]
    points = [
        {
            "photo": r["photo"],
            "kind": r["kind"],
            "side": r["side"],
            "metric": m,
            "true": t,
            "reported": r["change"][m],
        }
        for r in used
        for m, t in r["truth"].items()
        if "asymmetry" not in m
    ]
    points += [
        {
            "photo": r["photo"],
            "kind": "jaw",
            "side": r["side"],
            "metric": _warped_metric("jaw", r["side"]),
            "true": 0.0,
            "shift_mm": r["size_mm"],
            "reported": r["change"][_warped_metric("jaw", r["side"])],
        }
        for r in used
        if r["kind"] == "jaw"
    ]
    if captures is not None:
        from tracker.validation.capture import capture_markdown

        markdown += (
            "\n\n## Capture geometry on the project's 3-D head\n\n"
            "The sample head rendered through a phone's front camera (26 mm equivalent, "
            "1512 x 2016 px), measured with the focal length as EXIF gives it, "
            "millimetres on a fixed person scale. yaw_slope_per_deg: per degree of "
            "head turn (-8 to +8); yaw_max_change: largest change within +/-8 deg; "
            "distance_effect_mm: the metric at 30 cm minus at 60 cm; selfie_noise_sd "
            "and selfie_mdc95: over randomised selfies of an unchanged face (yaw +/-4, "
            "pitch +/-3, roll +/-6 deg, 33-50 cm, framing, light, JPEG); "
            "split_face_noise_sd: of left minus right; sensitivity_3d and "
            "other_side_max_mm: a true 3-D brow lift of "
            f"{', '.join(f'{v:g}' for v in (QUICK_CAPTURE_PLAN if quick else FULL_CAPTURE_PLAN).brow_lifts_mm)} mm.\n\n"
            + capture_markdown(summarise_capture(captures))
            + "\n"
        )
    return ValidationReport(
        table=table,
        details=details,
        markdown=markdown,
        sensitivity_points=points,
        seconds=seconds,
        captures=captures,
    )


def _people_poses(bases) -> list[dict]:
    """Real photos of people with at least two (distinct) photos: measured pose and
    person-scaled metrics (the person's median interpupillary distance, as the library
    calibrates it)."""
    by_group: dict[str, list] = {}
    for photo, base in bases:
        by_group.setdefault(photo.group, []).append(base)
    out = []
    for group, results in by_group.items():
        if len(results) < 2:
            continue
        ipd = float(np.median([r.measurement.metrics[PERSON_SCALE_METRIC] for r in results]))
        for r in results:
            out.append(
                {
                    "group": group,
                    "name": r.file,
                    "pitch": r.quality.pose.pitch_deg,
                    "yaw": r.quality.pose.yaw_deg,
                    "metrics": person_scaled(r.measurement.metrics, ipd),
                }
            )
    return out


# --- output ---------------------------------------------------------------------------------------


def _fmt(value, spec: str = "{:.2f}") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "-"
    return spec.format(value)


_TABLE_FORMATS = {
    "sensitivity": "{:.2f}",
    "false_change_other_side": "{:.2f}",
    "noise_sd": "{:.2f}",
    "sem": "{:.2f}",
    "mdc95": "{:.2f}",
    "pose_slope_per_deg": "{:+.3f}",
    "yaw_slope_per_deg": "{:+.3f}",
    "yaw_max_change": "{:.2f}",
    "distance_effect_mm": "{:+.2f}",
    "selfie_noise_sd": "{:.2f}",
    "selfie_mdc95": "{:.2f}",
    "split_face_noise_sd": "{:.2f}",
    "sensitivity_3d": "{:.2f}",
    "other_side_max_mm": "{:.2f}",
}


def markdown_table(table) -> str:
    """The main table as Markdown (NaN shown as "-")."""
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|:---|" + "---:|" * (len(TABLE_COLUMNS) - 1)]
    for row in table.itertuples(index=False):
        cells = [row.metric] + [_fmt(getattr(row, c), _TABLE_FORMATS[c]) for c in TABLE_COLUMNS[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _simple_table(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|:---|" + "---:|" * (len(columns) - 1)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _pm(pair, digits: int = 3) -> str:
    slope, se = pair
    if not np.isfinite(slope):
        return "-"
    return f"{slope:+.{digits}f} ± {se:.{digits}f}"


def _details(sens_records, sens, noise_runs, noise, pose, clip, speed) -> list[dict]:
    rows: list[dict] = []

    def add(section, item, metric, quantity, value):
        rows.append(
            {
                "section": section,
                "item": item,
                "metric": metric,
                "quantity": quantity,
                "value": (f"{value:.6g}" if isinstance(value, (float, np.floating)) else value),
            }
        )

    for m, s in sens.items():
        for q, v in s.items():
            add("sensitivity", "all photos", m, q, v)
    for r in sens_records:
        item = f"{r['photo']} | {r['kind']} {r['side']} {r['size_mm']:g} mm"
        for m in METRICS:
            add("sensitivity_warp", item, m, "reported_change", r["change"][m])
            if m in r["truth"]:
                add("sensitivity_warp", item, m, "true_change", r["truth"][m])
            if r["ideal"] is not None:
                add("sensitivity_warp", item, m, "ideal_change", r["ideal"][m])
    for m, s in noise.items():
        for q, v in s.items():
            add("noise", "all photos", m, q, v)
    for run in noise_runs:
        for variant, values in run["fixed"].items():
            add(
                "noise_version",
                f"{run['photo']} | {variant}",
                "iris_px",
                "value",
                run["iris_px"][variant],
            )
            for m in METRICS:
                add("noise_version", f"{run['photo']} | {variant}", m, "fixed_scale", values[m])
                add(
                    "noise_version",
                    f"{run['photo']} | {variant}",
                    m,
                    "iris_scale",
                    run["iris"][variant][m],
                )
    for axis in ("roll", "pitch", "yaw", "people_pitch", "people_yaw"):
        for m, (slope, se) in pose[axis].items():
            add("pose", axis, m, "slope_per_deg", slope)
            add("pose", axis, m, "slope_se", se)
    for m, v in pose["roll_max_change"].items():
        add("pose", "roll", m, "max_abs_change", v)
    if clip:
        for m, v in clip["sd"].items():
            add("clip", f"frames {clip['first']}-{clip['last']}", m, "successive_difference_sd", v)
    for row in speed:
        add("speed", f"{row['megapixels']:g} MP ({row['size']})", "", "median_ms", row["median_ms"])
    return rows


def environment() -> str:
    """One line: date, CPU cores, Python, MediaPipe, OpenCV, metric version and git state."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        mp_version = version("mediapipe")
    except PackageNotFoundError:
        mp_version = "unknown"
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return (
        f"{datetime.date.today().isoformat()}; {os.cpu_count()} cores "
        f"({platform.machine()}); Python {platform.python_version()}, mediapipe "
        f"{mp_version}, OpenCV {cv2.__version__}; metrics {geometry.ALGORITHM_VERSION}; "
        f"git {commit}"
    )


def _markdown(table, sens_records, sens, noise_runs, noise, pose, clip, speed, ctx) -> str:
    command = "facetrack validate" + (" --quick" if ctx["quick"] else "")
    command += "".join(f" --photos {d}" for d in ctx["photo_dirs"])
    command += f" --clip {ctx['clip']}" if ctx["clip"] else ""
    bases, copies = ctx["photos"], ctx["copies"]
    photo_list = ", ".join(
        f"{p.name} (iris {_iris_px(b):.0f} px, {b.status}"
        + (f"; same picture as {copies[p.name]}" if p.name in copies else "")
        + ")"
        for p, b in bases
    )
    parts = [
        f"# facetrack validate{' (--quick)' if ctx['quick'] else ''}\n",
        f"`{command}`: {environment()}; {ctx['seconds']:.0f} s.\n",
        f"Photos: {len(bases)} files of {len(bases) - len(copies)} distinct pictures "
        f"(a copy stored another way, resized, mirrored or edited counts as the same "
        f"picture): {photo_list}.\n",
        "## Summary\n",
        "Units are those of the metric's name (mm, deg, pct). *sensitivity*: reported / "
        "true change for warps of known size (1.0 is perfect); *false_change_other_side*: "
        "mean |change| of the metric when the same warp is applied to the other side "
        "(true change 0); *noise_sd*: the typical photo's SD over nuisance versions "
        "(median over photos); *sem*: that SD pooled over photos; *mdc95* = 1.96 √2 SEM, "
        "the smallest change between two photos worth believing. Noise with a fixed "
        "person scale (as the library's trends). "
        f"*pose_slope_per_deg*: the metric's change per degree of measured "
        f"**{ctx['pose_axis']}** "
        + (
            "(rigid turns of the face surface; pitch is the pose the metrics are most "
            "sensitive to; roll and yaw in section 3)"
            if ctx["pose_axis"] == "pitch"
            else "(in-plane rotation)"
        )
        + ". face_scale_mm is the fixed scale itself, so its noise and pose slope "
        "are not defined here (with each photo's iris scale: section 2).\n",
        markdown_table(table),
    ]
    parts += _markdown_sensitivity(sens_records, sens, ctx)
    parts += _markdown_noise(noise_runs, noise, clip, ctx)
    parts += _markdown_pose(pose, noise, ctx)
    parts.append("## 4. Speed\n")
    parts.append(
        f"`measure_photo` on {ctx['sample']} resized and saved as JPEG (quality 92); "
        "median wall time per photo after a warm-up, on this machine "
        f"({os.cpu_count()} cores).\n"
    )
    parts.append(
        _simple_table(
            ["size", "pixels", "analysed (default decode)", "median (ms)", "fastest (ms)", "runs"],
            [
                [
                    f"{r['megapixels']:g} MP",
                    r["size"],
                    r["analysed"],
                    f"{r['median_ms']:.0f}",
                    f"{r['fastest_ms']:.0f}",
                    r["runs"],
                ]
                for r in speed
            ],
        )
    )
    if ctx["notes"]:
        parts.append("## Notes\n")
        parts.append("\n".join(f"- {n}" for n in ctx["notes"]) + "\n")
    return "\n".join(parts)


def _markdown_sensitivity(all_records, sens, ctx) -> list[str]:
    plan: Plan = ctx["plan"]
    excluded = ctx["excluded"]
    records = [r for r in all_records if r["photo"] not in excluded]

    def photo_slope(photo, m):
        pairs = [
            (r["truth"][m], r["change"][m])
            for r in all_records
            if r["photo"] == photo and r["truth"].get(m, 0.0) != 0.0
        ]
        return slope_through_origin(*zip(*pairs)) if pairs else float("nan")

    parts = [
        "## 1. Sensitivity\n",
        "Warps of known size (`tracker.warps`): one brow's upper edge lifted by "
        + ", ".join(f"{s:g}" for s in plan.brow_lifts_mm)
        + " mm (`brow_lift`); one jaw "
        "contour (ramus and lower border together) moved towards the midline by "
        + ", ".join(f"{s:g}" for s in plan.jaw_shifts_mm)
        + " mm (`jaw_contour_in`: the "
        "gonion moves by the shift, so lower face width shrinks by it, and the jaw angles "
        "do not change); one mouth corner lifted by "
        + ", ".join(f"{s:g}" for s in plan.mouth_lifts_mm)
        + " mm (`mouth_corner_lift`: "
        "its elevation rises by the lift). Each warped image is measured "
        "with the original's scale. *Ideal* = the sensitivity a perfect landmark detector "
        "would show (the warp applied to the original landmarks, through the same face "
        "frame): it checks the warp.\n",
    ]
    rows = []
    for m in METRICS:
        s = sens[m]
        if s["n"] == 0 and not np.isfinite(s["false_change_other_side"]):
            continue
        ideal = [
            (r["truth"][m], r["ideal"][m])
            for r in records
            if r["ideal"] is not None and r["truth"].get(m, 0.0) != 0.0
        ]
        per = [photo_slope(p, m) for p in dict.fromkeys(r["photo"] for r in records)]
        per = [v for v in per if np.isfinite(v)]
        rows.append(
            [
                m,
                s["n"],
                _fmt(s["sensitivity"]),
                f"{min(per):.2f} – {max(per):.2f}" if per else "-",
                _fmt(slope_through_origin(*zip(*ideal)) if ideal else np.nan),
                _fmt(s["false_change_other_side"]),
                _fmt(s["own_side_false_change"]),
            ]
        )
    parts.append(
        _simple_table(
            [
                "metric",
                "warps",
                "sensitivity",
                "per photo",
                "ideal",
                "false change, other side",
                "false change, own side (truth 0)",
            ],
            rows,
        )
    )
    warped = _SENSITIVITY_PANELS[:-1]
    parts.append("Sensitivity per photo (slope through the origin):\n")
    parts.append(
        _simple_table(
            [
                "photo",
                "brow L",
                "brow R",
                "mouth corner L",
                "mouth corner R",
                "lower face width",
                "pooled",
            ],
            [
                [p] + [_fmt(photo_slope(p, m)) for m in warped] + [excluded.get(p, "yes")]
                for p in dict.fromkeys(r["photo"] for r in all_records)
            ],
        )
    )
    rows = []

    def target(kind: str, side: str) -> str:  # the metric a warp changes by its size
        return _LOWER_FACE_WIDTH if kind == "jaw" else _warped_metric(kind, side)

    for kind in ("brow", "jaw", "mouth"):
        for size in sorted({r["size_mm"] for r in records if r["kind"] == kind}):
            sel = [r for r in records if r["kind"] == kind and r["size_mm"] == size]
            ratios = [
                r["change"][target(kind, r["side"])] / r["truth"][target(kind, r["side"])]
                for r in sel
            ]
            jaw_own = [abs(r["change"][_warped_metric("jaw", r["side"])]) for r in sel]
            rows.append(
                [
                    f"{kind} {size:g} mm",
                    len(sel),
                    _fmt(float(np.mean(ratios))),
                    f"{min(ratios):.2f} – {max(ratios):.2f}",
                    _fmt(float(np.mean(jaw_own))) if kind == "jaw" else "-",
                ]
            )
    parts.append("Per warp size (ratio = reported / true change of the warped metric):\n")
    parts.append(
        _simple_table(
            [
                "warp",
                "face-sides",
                "ratio mean",
                "ratio range",
                "own jaw angle, mean abs change (deg)",
            ],
            rows,
        )
    )
    rows = []
    for kind in ("brow", "jaw", "mouth"):
        sel = [r for r in records if r["kind"] == kind]
        if not sel:
            continue
        untouched = [
            m
            for m in METRICS
            if m != PERSON_SCALE_METRIC
            and all(m not in r["truth"] for r in sel)
            and not (kind in ("brow", "mouth") and registry.get(m).group == kind)
        ]
        mean = {m: float(np.mean([abs(r["change"][m]) for r in sel])) for m in untouched}
        worst = sorted(untouched, key=lambda m: -mean[m])[:4]
        rows.append([kind] + [f"{m} {mean[m]:.2f}" for m in worst])
    parts.append(
        "Metrics a warp should leave alone (true change 0; the warped side's metric "
        "and the other side's are above), the four that moved most (mean abs "
        "change):\n"
    )
    parts.append(_simple_table(["warp", "1st", "2nd", "3rd", "4th"], rows))
    return parts


def _markdown_noise(all_runs, noise, clip, ctx) -> list[str]:
    plan: Plan = ctx["plan"]
    settings: Settings = ctx["settings"]
    excluded = ctx["excluded"]
    parts = [
        "## 2. Noise floor\n",
        "Versions of each photo: "
        + ", ".join(plan.nuisances)
        + (
            " (the full-size decode of a reduced JPEG decode, halvings while the iris "
            f"stays above {1.25 * settings.min_iris_px:g} px, and the smallest size the "
            f"quality check accepts: iris {1.05 * settings.min_iris_px:.1f} px)"
            if "resolution" in plan.nuisances
            else ""
        )
        + ". Every version is measured whatever its quality status.\n",
    ]
    rows = []
    for run in all_runs:
        sds = [
            np.std([v[m] for v in run["fixed"].values()], ddof=1)
            if len(run["fixed"]) > 1
            else np.nan
            for m in BROWS
        ]
        iris = list(run["iris_px"].values())
        rows.append(
            [
                run["photo"],
                len(run["fixed"]),
                f"{iris[0]:.1f} ({min(iris):.1f}–{max(iris):.1f})",
                _fmt(sds[0], "{:.3f}"),
                _fmt(sds[1], "{:.3f}"),
                excluded.get(run["photo"], "yes"),
            ]
        )
    parts.append(
        _simple_table(
            ["photo", "versions", "iris px (range)", "brow L SD (mm)", "brow R SD (mm)", "pooled"],
            rows,
        )
    )
    by_variant: dict[str, list[float]] = {}
    for run in all_runs:
        if run["photo"] in excluded:
            continue
        b0 = run["fixed"]["original"]
        for variant, values in run["fixed"].items():
            if variant != "original":
                by_variant.setdefault(variant, []).extend(abs(values[m] - b0[m]) for m in BROWS)
    parts.append(
        "Which version moves brow height most (abs change from the original, both "
        "brows of every pooled photo):\n"
    )
    parts.append(
        _simple_table(
            ["version", "mean (mm)", "max (mm)", "n"],
            [[v, f"{np.mean(d):.3f}", f"{np.max(d):.3f}", len(d)] for v, d in by_variant.items()],
        )
    )
    parts.append(
        "With each version's own iris scale instead of the person scale (a single "
        "photo without a calibrated scale), and the noisiest photo's SD:\n"
    )
    parts.append(
        _simple_table(
            ["metric", "SEM, iris scale", "MDC95, iris scale", "noisiest photo's SD, person scale"],
            [
                [
                    m,
                    f"{noise[m]['sem_iris_scale']:.3f}",
                    f"{noise[m]['mdc95_iris_scale']:.2f}",
                    _fmt(noise[m]["max_photo_sd"], "{:.3f}"),
                ]
                for m in METRICS
            ],
        )
    )
    if clip:
        parts.append("### Video clip\n")
        if clip["kept"] < 3:
            parts.append(f"{ctx['clip']}: no run of at least 3 frames with a face.\n")
        else:
            parts.append(
                f"{ctx['clip']}: {clip['frames']} distinct frames ({clip['repeats']} pulldown "
                f"repeats skipped); the longest uninterrupted run with a face, frames "
                f"{clip['first']}–{clip['last']} ({clip['kept']} frames, iris "
                f"{clip['iris_px']:.1f} px median), with a fixed scale (its median "
                f"interpupillary distance, {clip['ipd_mm']:.1f} mm). Successive-difference SD "
                "= std(diff) / √2; it includes the subject's own movement and expression. "
                "Quality of those frames: "
                + ", ".join(f"{k} {v}" for k, v in sorted(clip["reasons"].items()))
                + ".\n"
            )
            parts.append(
                _simple_table(
                    ["metric", "frame-to-frame SD"],
                    [[m, f"{clip['sd'][m]:.2f}"] for m in METRICS if m != PERSON_SCALE_METRIC],
                )
            )
    return parts


# metric groups for the pose tolerances: the worse of a group's metrics sets its tolerance
TOLERANCE_GROUPS = registry.tolerance_groups()


def pose_tolerances(pose: dict, noise: dict) -> dict[str, dict[str, float]]:
    """Per metric group and pose axis: the angle at which pose alone moves the group's most
    pose-sensitive metric by its MDC95 (``tolerance_deg``)."""
    return {
        group: {
            axis: min(tolerance_deg(pose[axis][m][0], noise[m]["mdc95"]) for m in metrics)
            for axis in ("roll", "pitch", "yaw")
            if pose[axis]
        }
        for group, metrics in TOLERANCE_GROUPS
    }


def _markdown_pose(pose, noise, ctx) -> list[str]:
    plan: Plan = ctx["plan"]
    settings: Settings = ctx["settings"]
    parts = [
        "## 3. Pose\n",
        "*Roll*: each photo rotated in its plane by "
        + ", ".join(f"{a:+g}" for a in plan.roll_angles_deg)
        + " deg (canvas enlarged); slope "
        "against the applied angle, pooled within photo. *Pitch, yaw (rigid turns)*: the "
        "face surface of one photo per person (Face Mesh's 478 points with their depth, "
        "triangulated) turned rigidly by "
        + ", ".join(f"{a:+g}" for a in plan.turn_angles_deg)
        + " deg and re-rendered; hair, ears "
        "and neck stay put, so the face outline shows seams (jaw angles, lower face width "
        "and asymmetry, marked *, are unreliable there). Slopes are per *measured* "
        "degree, which is what the quality check sees. *Real photos*: within-person "
        "regression on the measured pose of the given real photos (people with 2 or more "
        "distinct pictures; they also differ in day, light and expression, so a rough "
        "cross-check). Person scale throughout.\n",
    ]
    if "pitch_gain" in pose:
        parts.append(
            f"Measured / applied angle of the rigid turns: pitch "
            f"{_pm(pose['pitch_gain'], 2)}, yaw {_pm(pose['yaw_gain'], 2)} (Face "
            "Mesh's depth is shallower than the reference face's).\n"
        )
    if "roll_error_max" in pose:
        parts.append(
            f"Roll recovered within {pose['roll_error_max']:.2f} deg of the applied rotation.\n"
        )
    columns = ["metric", "roll", "roll max abs change", "pitch (rigid turns)", "yaw (rigid turns)"]
    people = bool(pose["people_pitch"])
    if people:
        columns += ["pitch (real photos)", "yaw (real photos)"]
    rows = []
    nan = (np.nan, np.nan)
    for m in METRICS:
        row = [
            m,
            _pm(pose["roll"].get(m, nan)),
            _fmt(pose["roll_max_change"].get(m), "{:.2f}"),
            _pm(pose["pitch"].get(m, nan)),
            _pm(pose["yaw"].get(m, nan)),
        ]
        if people:
            row += [_pm(pose["people_pitch"][m]), _pm(pose["people_yaw"][m])]
        rows.append(row)
    parts.append("Slopes ± SE, the metric's unit per degree:\n")
    parts.append(_simple_table(columns, rows))
    if pose.get("people_n"):
        parts.append(
            f"Real photos: {pose['people_n'][0]} distinct pictures of "
            f"{pose['people_n'][1]} people.\n"
        )
    parts.append(
        "### Pose tolerances\n\nThe angle at which pose alone (roll: the in-plane slope; pitch "
        "and yaw: the rigid turns) moves a metric by its MDC95, for the more pose-sensitive "
        "metric of each group, against the limits the quality check uses "
        "(`tracker/settings.py`). Within that angle of another photo, pose alone moves the "
        "metric by less than the smallest believable change.\n"
    )
    tolerances = pose_tolerances(pose, noise)
    axes = [a for a in ("roll", "pitch", "yaw") if pose[a]]
    rows = [
        [group] + [_fmt(t[a], "{:.1f}") if t[a] <= 90 else "> 90" for a in axes]
        for group, t in tolerances.items()
    ]
    limits = {
        "roll": settings.max_abs_roll_deg,
        "pitch": settings.max_abs_pitch_deg,
        "yaw": settings.max_abs_yaw_deg,
    }
    rows.append(["**quality check limit (settings)**"] + [f"{limits[a]:g}" for a in axes])
    parts.append(_simple_table(["metric group"] + [f"{a} (deg)" for a in axes], rows))
    return parts


# --- plots ----------------------------------------------------------------------------------------

# the metrics a warp changes by a known amount, then the jaw angles (true change 0)
_SENSITIVITY_PANELS = (
    *registry.names(warp="brow"),
    *registry.names(warp="mouth"),
    _LOWER_FACE_WIDTH,
    "jaw_angle",
)


def _panel_title(metric: str) -> str:
    """ "brow height L (mm)": a metric's plot title."""
    m = registry.get(metric)
    words = m.label.split(" (")[0].lower()
    side = f" {m.side[0].upper()}" if m.side else ""
    return f"{words}{side} ({m.unit_text})"


def plot_sensitivity(points: list[dict], *, axes=None):
    """Reported against true change for every warp, one panel per warped metric, with the
    identity line (and the jaw angles, whose true change is 0, against the jaw shift).

    ``points`` as ``ValidationReport.sensitivity_points``; ``axes``: six matplotlib axes to
    draw in (default: a new figure). Returns the figure.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    panels = [(m, _panel_title(m)) for m in _SENSITIVITY_PANELS[:-1]]
    panels.append(("jaw_angle", "jaw angle, own side (deg)"))
    if axes is None:
        axes = Figure(figsize=(12, 7.5)).subplots(2, 3)
    axes = np.ravel(axes)
    fig = axes[0].figure
    for ax, (metric, title) in zip(axes, panels):
        if metric == "jaw_angle":
            sel = [p for p in points if p["metric"].startswith("jaw_angle")]
            x = [p["shift_mm"] for p in sel]
            ax.axhline(0.0, color="0.5", lw=1, label="truth (0)")
            ax.set_xlabel("jaw contour moved in (mm)")
        else:
            sel = [p for p in points if p["metric"] == metric]
            x = [p["true"] for p in sel]
            if x:
                lim = [min(0.0, *x) * 1.1, max(0.0, *x) * 1.1]
                ax.plot(lim, lim, color="0.5", lw=1, label="identity")
            ax.set_xlabel("true change")
        ax.scatter(x, [p["reported"] for p in sel], s=14, alpha=0.7)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("reported change")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("facetrack validate: sensitivity to warps of known size (scale held)")
    fig.tight_layout()
    return fig


def plot_noise_floor(table, *, ax=None):
    """MDC95 per metric (person scale): one horizontal bar each, drawn in ``ax`` (default: a
    new figure). Returns the figure."""
    from matplotlib.figure import Figure

    rows = table[np.isfinite(table["mdc95"].astype(float))]
    if ax is None:
        ax = Figure(figsize=(7, 0.32 * len(rows) + 1.2)).subplots()
    fig = ax.figure
    ax.barh(rows["metric"], rows["mdc95"].astype(float), color="tab:blue")
    ax.invert_yaxis()
    ax.set_xlabel("MDC95 (unit of the metric: mm, deg or pct)")
    ax.set_title("Smallest change worth believing (MDC95, person scale)")
    for y, value in enumerate(rows["mdc95"].astype(float)):
        ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    return fig
