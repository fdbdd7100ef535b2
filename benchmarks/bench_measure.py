"""Speed, decode-size precision, brow-lift sensitivity and noise floor of the measurement pipeline.

Run: .venv/bin/python benchmarks/bench_measure.py [--quick]

Sections (each printed as Markdown tables and written to benchmarks/results/bench_measure.md,
every table cell also to bench_measure.csv and the per-image values to bench_measure_raw.csv;
``--quick`` runs a small subset and writes bench_measure_quick.* instead):

1. End-to-end time per 12 MP JPEG for the default reduced decode (half size), the naive
   full-size decode and a quarter-size decode, split into decode / Face Mesh / the rest
   (iris and brow refinement, quality, metrics); and the default pipeline on 3 MP and 1 MP
   versions of the same picture.
2. Precision lost by reduced decoding: the four orientations of the phone photo at full, 1/2,
   1/4 and 1/8 size; mean and SD per metric and each size's difference from full size.
3. Sensitivity: known brow lifts (tracker.warps.brow_lift) of 0.5-3 mm with the scale held
   fixed; reported/true ratio, slope through the origin, the other brow's false change; the
   same for the raw Face Mesh landmarks (no image refinement).
4. Noise floor: SD per metric across nuisance variants (JPEG re-encoding, brightness,
   translation, rescaling, decode size), pooled over photos: SEM and MDC95, with the iris
   scale and with a fixed person scale; raw Face Mesh for brow height; frame-to-frame noise
   on a video clip.

Photos come from ../shared/faces (relative to the project root). When that folder is absent,
images generated from skimage.data.astronaut() are used instead and the output says so.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import tracker.pipeline as pipeline
from tracker.landmarks import indices as ix
from tracker.metrics import geometry
from tracker.metrics.frame import to_face_frame
from tracker.photos import open_photo
from tracker.pipeline import measure_photo, measure_pixels
from tracker.settings import DEFAULT_SETTINGS
from tracker.validation import (
    REPEAT_MAX_MEAN_ABS_DIFF,
    jpeg_roundtrip,
    pooled_sd,
    read_clip,
    translate,
)
from tracker.warps import brow_lift

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_decode import make_12mp_jpeg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "faces"
RESULTS = Path(__file__).resolve().parent / "results"

PHONE = "phone/IMG_0001.JPG"
ORIENTATIONS = (
    "phone/IMG_0001.JPG",
    "phone/IMG_0002.JPG",
    "phone/IMG_0003.JPG",
    "phone/IMG_0004.JPG",
)
# real photos whose iris is about 20 px or more at the default decode
SENSITIVITY_PHOTOS = (
    "real/people/obama/obama.jpg",
    "real/people/obama/obama3.jpg",
    "real/people/biden/biden2.jpg",
    "real/people/rose_leslie/img2.jpg",
    "real/people/alex_lacamoire/img1.jpg",
    PHONE,
)
CLIP = "real/clip/short_hamilton_clip.mp4"
CLIP_FRAMES = (82, 210)  # the performer facing the camera (inclusive)
# REPEAT_MAX_MEAN_ABS_DIFF (pulldown repeats of the clip) comes from tracker.validation

DECODE_SIZES = {"full": None, "half": 2000, "quarter": 1000, "eighth": 500}
LIFTS_MM = (0.5, 1.0, 2.0, 3.0)
MDC_FACTOR = 1.96 * np.sqrt(2.0)
BROWS = ("brow_height_left_mm", "brow_height_right_mm")
METRICS = geometry.METRIC_NAMES


# --- reporting ------------------------------------------------------------------------------


class Report:
    """Collects text and tables: prints them, and writes Markdown plus a long-format CSV."""

    def __init__(self, name: str, quick: bool):
        self.name = name + ("_quick" if quick else "")
        self.parts: list[str] = []
        self.cells: list[tuple] = []
        self.raw: list[dict] = []

    def text(self, s: str = "") -> None:
        print(s, flush=True)
        self.parts.append(s)

    def table(self, key: str, columns: list[tuple[str, str | None]], rows: list[list]) -> None:
        """``columns``: (header, format) pairs, format like "{:.2f}" (None: str()). The first
        cell of each row labels it in the CSV. NaN prints as "-"."""
        head = "| " + " | ".join(h for h, _ in columns) + " |"
        rule = "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(columns))) + "|"
        lines = [head, rule]
        for row in rows:
            cells = []
            for value, (header, fmt) in zip(row, columns):
                if isinstance(value, (float, np.floating)) and not np.isfinite(value):
                    cells.append("-")
                elif fmt is None or isinstance(value, str):
                    cells.append(str(value))
                else:
                    cells.append(fmt.format(value))
                self.cells.append(
                    (
                        key,
                        str(row[0]),
                        header,
                        float(value) if isinstance(value, (int, float, np.number)) else value,
                    )
                )
            lines.append("| " + " | ".join(cells) + " |")
        self.text("\n".join(lines) + "\n")

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        md = RESULTS / f"{self.name}.md"
        _atomic_write(md, "\n".join(self.parts) + "\n")
        with _atomic_open(RESULTS / f"{self.name}.csv") as fh:
            writer = csv.writer(fh)
            writer.writerow(["table", "row", "column", "value"])
            writer.writerows(self.cells)
        if self.raw:
            keys = list(dict.fromkeys(k for r in self.raw for k in r))
            with _atomic_open(RESULTS / f"{self.name}_raw.csv") as fh:
                writer = csv.DictWriter(fh, fieldnames=keys)
                writer.writeheader()
                writer.writerows(self.raw)
        return md


def _atomic_write(path: Path, text: str) -> None:
    with _atomic_open(path) as fh:
        fh.write(text)


@contextlib.contextmanager
def _atomic_open(path: Path):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        yield fh
    os.replace(tmp, path)


def tracker_fingerprint() -> str:
    """sha1 of every tracker/*.py as it is now (the code this run imports), and the tracker
    files that differ from git HEAD: other people edit the package while benchmarks run."""
    import hashlib

    digest = hashlib.sha1()
    for file in sorted((ROOT / "tracker").rglob("*.py")):
        digest.update(file.relative_to(ROOT).as_posix().encode())
        digest.update(file.read_bytes())
    try:
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--short", "--", "tracker"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        changed = [line[3:] for line in changed if line.strip()]
    except (OSError, subprocess.CalledProcessError):
        changed = ["unknown"]
    return f"tracker sources sha1 {digest.hexdigest()[:12]}" + (
        f" (differ from HEAD: {', '.join(changed)})" if changed else " (= HEAD)"
    )


def check_unchanged(report: Report, fingerprint: str) -> None:
    """Say so when the tracker sources changed while the benchmark ran (the run used the code
    imported at its start; the files on disk now differ)."""
    now = tracker_fingerprint()
    if now != fingerprint:
        report.text(
            f"**Warning: the tracker sources changed during this run** (start: "
            f"{fingerprint}; end: {now}). The numbers are for the code imported at "
            "the start.\n"
        )


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def environment() -> str:
    """One line: date, CPU, cores, Python, MediaPipe and the project's git state."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(
            (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
            platform.processor(),
        )
    except OSError:
        cpu = platform.processor()
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    from importlib.metadata import version

    return (
        f"{datetime.date.today().isoformat()}; {os.cpu_count()} cores ({cpu}); "
        f"Python {platform.python_version()}, mediapipe {version('mediapipe')}, "
        f"OpenCV {cv2.__version__}; project at git {commit}; {tracker_fingerprint()}; "
        f"load average at start {load_average()}"
    )


# --- inputs ---------------------------------------------------------------------------------


def shared(rel: str) -> Path:
    return SHARED / rel


def have_shared() -> bool:
    return shared(PHONE).exists()


def astronaut(factor: int = 3) -> np.ndarray:
    """skimage's astronaut (512 x 512) upscaled ``factor`` x with INTER_CUBIC: iris ~24 px at 3x."""
    from skimage import data

    image = data.astronaut()
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def write_orientations(path: Path, tmp: Path) -> list[Path]:
    """The JPEG at ``path`` stored four ways (EXIF orientation 1, 6, 8, 3), like IMG_0001..0004."""
    upright = np.asarray(Image.open(path).convert("RGB"))
    stored = {1: upright, 6: np.rot90(upright, 1), 8: np.rot90(upright, -1), 3: upright[::-1, ::-1]}
    out = []
    for orientation, pixels in stored.items():
        exif = Image.Exif()
        exif[0x0112] = orientation
        file = tmp / f"orientation{orientation}.jpg"
        Image.fromarray(np.ascontiguousarray(pixels)).save(file, quality=92, exif=exif)
        out.append(file)
    return out


# read_clip(path, first, last) -> (indices, frames, repeats) is tracker.validation.read_clip


# --- measurement helpers -------------------------------------------------------------------------


def iris_px_of(result) -> float:
    return DEFAULT_SETTINGS.iris_diameter_mm / result.measurement.scale_mm_per_px


def raw_scales(points_px: np.ndarray, ipd_mm: float | None = None) -> float:
    """Scale for un-refined Face Mesh points: from its own iris, or from a fixed person IPD."""
    face = to_face_frame(points_px)[None]
    if ipd_mm is not None:
        return ipd_mm / float(geometry.interpupillary_px(face)[0])
    return DEFAULT_SETTINGS.iris_diameter_mm / float(geometry.iris_diameter_px(face)[0])


def raw_metrics(result, scale: float) -> dict[str, float]:
    """Every metric from the un-refined Face Mesh landmarks at a given scale."""
    values = geometry.compute_metrics(result.landmarks.points_px, scale)
    return {k: float(v) for k, v in values.items()}


def lift_brow(pixels: np.ndarray, points_px: np.ndarray, side: str, shift_px: float) -> np.ndarray:
    """``tracker.warps.brow_lift`` applied to a crop around the brow and pasted back.

    The warp moves nothing outside its region (the raised-cosine window is exactly 0 there), so
    this equals warping the whole image (checked: within 1 grey level at a handful of pixels,
    from float32 rounding) and is 10-20 times faster on a 3 MP image.
    """
    upper = ix.BROW_UPPER_LEFT if side == "left" else ix.BROW_UPPER_RIGHT
    centre = ix.IRIS_CENTRE_LEFT if side == "left" else ix.IRIS_CENTRE_RIGHT
    ipd = float(
        np.linalg.norm(points_px[ix.IRIS_CENTRE_LEFT, :2] - points_px[ix.IRIS_CENTRE_RIGHT, :2])
    )
    # the warp's region reaches at most ~1.6 iris + 2 shifts beyond the brow and the iris
    margin = int(np.ceil(2.5 * ipd / 5.3 + 3 * abs(shift_px) + 8))
    box = points_px[list(upper) + [centre], :2]
    x0, y0 = (int(max(0, v)) for v in np.floor(box.min(axis=0) - margin))
    x1 = int(min(pixels.shape[1], np.ceil(box[:, 0].max() + margin)))
    y1 = int(min(pixels.shape[0], np.ceil(box[:, 1].max() + margin)))
    out = np.array(pixels)
    crop = np.ascontiguousarray(pixels[y0:y1, x0:x1])
    out[y0:y1, x0:x1] = brow_lift(
        crop, points_px - np.array([x0, y0, 0.0]), side=side, shift_px=shift_px
    )
    return out


def fmt_pm(mean: float, sd: float, digits: int = 2) -> str:
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


# --- 1. speed -----------------------------------------------------------------------------------


class StageTimer:
    """Wraps the pipeline's open_photo and detect_landmarks to time them inside measure_photo."""

    def __init__(self):
        self.decode = self.landmarks = 0.0

    @contextlib.contextmanager
    def installed(self):
        original_open, original_detect = pipeline.open_photo, pipeline.detect_landmarks

        def timed_open(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original_open(*args, **kwargs)
            finally:
                self.decode += time.perf_counter() - start

        def timed_detect(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original_detect(*args, **kwargs)
            finally:
                self.landmarks += time.perf_counter() - start

        pipeline.open_photo, pipeline.detect_landmarks = timed_open, timed_detect
        try:
            yield self
        finally:
            pipeline.open_photo, pipeline.detect_landmarks = original_open, original_detect


def time_measure(path: Path, min_long_side_px: int | None, repeats: int) -> dict:
    settings = dataclasses.replace(DEFAULT_SETTINGS, decode_min_long_side_px=min_long_side_px)
    result, photo = measure_photo(path, settings=settings)  # warm-up (caches, allocations)
    totals, cpus, decodes, marks = [], [], [], []
    for _ in range(repeats):
        timer = StageTimer()
        with timer.installed():
            start, cpu_start = time.perf_counter(), time.process_time()
            measure_photo(path, settings=settings)
            totals.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu_start)
        decodes.append(timer.decode)
        marks.append(timer.landmarks)
    rest = [t - d - m for t, d, m in zip(totals, decodes, marks)]
    med = statistics.median
    return {
        "size": photo.pixels.shape[1::-1],
        "total": med(totals) * 1000,
        "min": min(totals) * 1000,
        "cpu": med(cpus) * 1000,
        "decode": med(decodes) * 1000,
        "landmarks": med(marks) * 1000,
        "rest": med(rest) * 1000,
        "status": result.status,
        "iris_px": iris_px_of(result) if result.measurement else float("nan"),
    }


def section_speed(report: Report, tmp: Path, quick: bool) -> None:
    repeats = 2 if quick else 7
    report.text("## 1. End-to-end speed\n")
    if have_shared():
        photo12, label = shared(PHONE), "IMG_0001.JPG"
    else:
        photo12, label = make_12mp_jpeg(tmp / "astronaut_12mp.jpg"), "astronaut 12 MP (generated)"
    full = np.asarray(open_photo(photo12, min_long_side_px=None).pixels)
    h, w = full.shape[:2]
    smaller = []
    for megapixels in (3, 1):
        f = np.sqrt(megapixels * 1e6 / (w * h))
        resized = cv2.resize(full, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        file = tmp / f"{megapixels}mp.jpg"
        Image.fromarray(resized).save(file, quality=92)
        smaller.append((f"{label} resized to {megapixels} MP", file))
    t0 = time.perf_counter()
    measure_photo(photo12)  # imports mediapipe and creates the Face Mesh graph
    warmup = time.perf_counter() - t0
    load_before = load_average()
    size_mb = photo12.stat().st_size / 1e6
    report.text(
        f"{label}: {w} x {h} ({w * h / 1e6:.1f} MP, {size_mb:.1f} MB). "
        f"First call, including importing mediapipe and creating the Face Mesh graph: "
        f"{warmup * 1000:.0f} ms. Then per configuration one untimed warm-up and the "
        f"median of {repeats} runs of `measure_photo` (wall clock; *CPU* = this "
        "process's CPU time, all threads, which other processes on the machine inflate "
        "less). *Decode* = "
        "`open_photo`; *Face Mesh* = `detect_landmarks` (detection pass and the face "
        "views); *rest* = iris and brow refinement, quality checks and metrics (wall "
        "clock).\n"
    )
    configs = [
        (label, photo12, "half (default, min long side 2000)", 2000),
        (label, photo12, "full (naive, `min_long_side_px=None`)", None),
        (label, photo12, "quarter (min long side 1000)", 1000),
    ]
    configs += [(name, file, "default (no reduction possible)", 2000) for name, file in smaller]
    rows, full_total = [], None
    for name, file, mode, size in configs:
        t = time_measure(file, size, repeats)
        if size is None:
            full_total = t["total"]
        rows.append(
            [
                name,
                mode,
                f"{t['size'][0]} x {t['size'][1]}",
                t["iris_px"],
                t["total"],
                t["min"],
                t["cpu"],
                t["decode"],
                t["landmarks"],
                t["rest"],
                t["status"],
            ]
        )
        report.raw.append(
            {
                "section": "speed",
                "image": name,
                "variant": mode,
                **{k: v for k, v in t.items() if k != "size"},
            }
        )
    for row in rows:
        row.append(full_total / row[4] if full_total else float("nan"))
    report.text(
        f"Load average (1/5/15 min) before timing {load_before}, after "
        f"{load_average()}: a load above ~1 means another process shared the 2 cores.\n"
    )
    report.table(
        "speed",
        [
            ("image", None),
            ("decode", None),
            ("analysed size", None),
            ("iris (px)", "{:.0f}"),
            ("median (ms)", "{:.0f}"),
            ("fastest (ms)", "{:.0f}"),
            ("CPU (ms)", "{:.0f}"),
            ("decode (ms)", "{:.0f}"),
            ("Face Mesh (ms)", "{:.0f}"),
            ("rest (ms)", "{:.0f}"),
            ("status", None),
            ("speed-up vs full", "{:.1f}x"),
        ],
        rows,
    )


# --- 2. decode size -------------------------------------------------------------------------------


def section_decode_precision(report: Report, tmp: Path, quick: bool) -> dict[str, dict]:
    report.text("## 2. Precision lost by reduced decoding\n")
    if have_shared():
        files = [shared(p) for p in ORIENTATIONS]
        what = "IMG_0001..0004 (the same picture stored in four EXIF orientations)"
    else:
        files = write_orientations(make_12mp_jpeg(tmp / "astronaut_12mp.jpg"), tmp)
        what = "a generated 12 MP astronaut JPEG stored in four EXIF orientations"
    if quick:
        files = files[:2]
    report.text(
        f"{what}, measured by `measure_photo` (iris scale) at each decode size. "
        "The orientations differ only in where libjpeg's 8x8 blocks and DCT scaling fall, "
        "so their SD is the decoder's own noise. Δ = that size's mean minus the full-size "
        "mean. Values are mean ± SD over the photos; mm unless the name says deg or "
        "pct. The iris row in full-size px shows how much the scale itself moves: an iris "
        "read x % smaller makes every mm metric about x % larger.\n"
    )
    values: dict[str, dict[str, list[float]]] = {}
    info: dict[str, dict[str, list]] = {}
    for size_name, size in DECODE_SIZES.items():
        settings = dataclasses.replace(DEFAULT_SETTINGS, decode_min_long_side_px=size)
        values[size_name] = {m: [] for m in METRICS}
        info[size_name] = {"iris": [], "iris_full": [], "status": [], "size": None}
        for file in files:
            result, photo = measure_photo(file, settings=settings)
            if result.measurement is None:
                info[size_name]["status"].append("no face")
                continue
            for m in METRICS:
                values[size_name][m].append(result.measurement.metrics[m])
            info[size_name]["iris"].append(iris_px_of(result))
            info[size_name]["iris_full"].append(iris_px_of(result) / photo.decode_scale)
            info[size_name]["status"].append(result.status)
            info[size_name]["size"] = photo.pixels.shape[1::-1]
            report.raw.append(
                {
                    "section": "decode",
                    "image": file.name,
                    "variant": size_name,
                    "status": result.status,
                    "iris_px": iris_px_of(result),
                    **result.measurement.metrics,
                }
            )
    size_row = ["analysed size (px)"]
    iris_row = ["iris diameter (px)"]
    iris_full_row = ["iris diameter in full-size px (px / decode scale)"]
    status_row = ["status"]
    full_iris = np.mean(info["full"]["iris_full"])
    columns = [("metric", None)]
    for size_name in DECODE_SIZES:
        w, h = info[size_name]["size"] or (0, 0)
        columns.append((f"{size_name}: mean ± SD", None))
        size_row.append(f"{w} x {h}")
        irises = info[size_name]["iris"]
        iris_row.append(fmt_pm(np.mean(irises), np.std(irises, ddof=1), 1))
        iris_full_row.append(f"{np.mean(info[size_name]['iris_full']):.2f}")
        status_row.append(", ".join(sorted(set(info[size_name]["status"]))))
        if size_name != "full":
            columns.append((f"{size_name}: Δ", "{:+.2f}"))
            size_row.append("")
            iris_row.append("")
            # a smaller iris makes every mm metric larger by the same factor
            iris_full_row.append(
                f"{100 * (np.mean(info[size_name]['iris_full']) / full_iris - 1):+.2f} %"
            )
            status_row.append("")
    rows = [size_row, iris_row, iris_full_row, status_row]
    deltas: dict[str, dict[str, float]] = {s: {} for s in DECODE_SIZES if s != "full"}
    for m in METRICS:
        row = [m]
        full_mean = np.mean(values["full"][m])
        for size_name in DECODE_SIZES:
            v = values[size_name][m]
            row.append(fmt_pm(np.mean(v), np.std(v, ddof=1) if len(v) > 1 else float("nan")))
            if size_name != "full":
                deltas[size_name][m] = float(np.mean(v) - full_mean)
                row.append(deltas[size_name][m])
        rows.append(row)
    report.table("decode_precision", columns, rows)
    return {"deltas": deltas}


# --- 3. sensitivity -------------------------------------------------------------------------------


def section_sensitivity(report: Report, quick: bool) -> dict:
    report.text("## 3. Sensitivity: known brow lifts\n")
    photos = _real_or_astronaut(SENSITIVITY_PHOTOS[:2] if quick else SENSITIVITY_PHOTOS)
    lifts = (1.0, 3.0) if quick else LIFTS_MM
    report.text(
        "Each brow is lifted on its own by `tracker.warps.brow_lift` (a smooth local warp; the "
        "brow's upper edge moves exactly the given amount perpendicular to the interpupillary "
        "line; applied to a crop around the brow). The lift in px is the lift in mm divided by "
        "the original's iris scale; the warped image is measured with `ipd_mm` = the original's "
        "`interpupillary_mm`, so the scale is held fixed and only the landmarks' change counts. "
        "*Refined* = `measure_pixels` (brow edge found in the image); *raw Face Mesh* = "
        "`geometry.compute_metrics(result.landmarks.points_px, original scale)` on both images. "
        "Ratio = reported change / true lift of the lifted brow; false change = the other "
        "brow's change. Photos are decoded at the default size.\n"
    )
    per_side: list[dict] = []
    other_changes: dict[str, list[float]] = {m: [] for m in METRICS}
    skipped = []
    photo_rows = []
    for name, pixels in photos:
        r0 = measure_pixels(pixels, file=name)
        if r0.measurement is None:
            skipped.append(f"{name}: no face")
            continue
        scale0 = r0.measurement.scale_mm_per_px
        ipd0 = r0.measurement.metrics["interpupillary_mm"]
        points0 = r0.refined_points_px
        raw0 = raw_metrics(r0, scale0)
        photo_rows.append(
            [name, f"{pixels.shape[1]} x {pixels.shape[0]}", iris_px_of(r0), r0.status]
        )
        for side in ("left", "right"):
            other = "right" if side == "left" else "left"
            entry = {
                "photo": name,
                "side": side,
                "true": [],
                "refined": [],
                "raw": [],
                "refined_other": [],
                "raw_other": [],
            }
            for lift in lifts:
                shift_px = lift / scale0
                try:
                    warped = lift_brow(pixels, points0, side, shift_px)
                except ValueError:
                    skipped.append(f"{name} {side} {lift:g} mm ({shift_px:.1f} px): does not fit")
                    continue
                rw = measure_pixels(warped, file=name, ipd_mm=ipd0)
                if rw.measurement is None:
                    skipped.append(f"{name} {side} {lift:g} mm: no face after warp")
                    continue
                mw = rw.measurement.metrics
                raww = raw_metrics(rw, scale0)
                key, okey = f"brow_height_{side}_mm", f"brow_height_{other}_mm"
                d_ref = mw[key] - r0.measurement.metrics[key]
                d_raw = raww[key] - raw0[key]
                entry["true"].append(lift)
                entry["refined"].append(d_ref)
                entry["raw"].append(d_raw)
                entry["refined_other"].append(mw[okey] - r0.measurement.metrics[okey])
                entry["raw_other"].append(raww[okey] - raw0[okey])
                for m in METRICS:
                    if m not in (key, "brow_asymmetry_mm"):
                        other_changes[m].append(mw[m] - r0.measurement.metrics[m])
                report.raw.append(
                    {
                        "section": "sensitivity",
                        "image": name,
                        "side": side,
                        "lift_mm": lift,
                        "lift_px": shift_px,
                        "refined_change_mm": d_ref,
                        "raw_change_mm": d_raw,
                        "refined_other_change_mm": entry["refined_other"][-1],
                        "raw_other_change_mm": entry["raw_other"][-1],
                        "scale_ratio": rw.measurement.scale_mm_per_px / scale0,
                    }
                )
            if entry["true"]:
                per_side.append(entry)
    report.table(
        "sensitivity_photos",
        [("photo", None), ("analysed size", None), ("iris (px)", "{:.1f}"), ("status", None)],
        photo_rows,
    )

    rows = []
    for lift in lifts:
        sel = [(e, e["true"].index(lift)) for e in per_side if lift in e["true"]]
        if not sel:
            continue
        ref = np.array([e["refined"][i] for e, i in sel]) / lift
        raw = np.array([e["raw"][i] for e, i in sel]) / lift
        ref_o = np.abs([e["refined_other"][i] for e, i in sel])
        raw_o = np.abs([e["raw_other"][i] for e, i in sel])
        rows.append(
            [
                f"{lift:g}",
                len(sel),
                ref.mean(),
                f"{ref.min():.2f} – {ref.max():.2f}",
                ref_o.mean(),
                ref_o.max(),
                raw.mean(),
                f"{raw.min():.2f} – {raw.max():.2f}",
                raw_o.mean(),
                raw_o.max(),
            ]
        )
    report.table(
        "sensitivity_by_lift",
        [
            ("lift (mm)", None),
            ("face-sides", "{:d}"),
            ("refined: ratio mean", "{:.2f}"),
            ("refined: ratio range", None),
            ("refined: false change mean abs (mm)", "{:.3f}"),
            ("refined: false change max (mm)", "{:.3f}"),
            ("raw FM: ratio mean", "{:.2f}"),
            ("raw FM: ratio range", None),
            ("raw FM: false change mean abs (mm)", "{:.3f}"),
            ("raw FM: false change max (mm)", "{:.3f}"),
        ],
        rows,
    )

    def slope(x, y):
        x, y = np.asarray(x), np.asarray(y)
        return float((x * y).sum() / (x * x).sum())

    rows = []
    slopes = {"refined": [], "raw": []}
    for e in per_side:
        s_ref, s_raw = slope(e["true"], e["refined"]), slope(e["true"], e["raw"])
        slopes["refined"].append(s_ref)
        slopes["raw"].append(s_raw)
        rows.append(
            [f"{e['photo']} ({e['side']})", ", ".join(f"{t:g}" for t in e["true"]), s_ref, s_raw]
        )
    rows.append(
        [
            "**mean (range)**",
            "",
            f"{np.mean(slopes['refined']):.2f} ({min(slopes['refined']):.2f} – "
            f"{max(slopes['refined']):.2f})",
            f"{np.mean(slopes['raw']):.2f} ({min(slopes['raw']):.2f} – {max(slopes['raw']):.2f})",
        ]
    )
    report.text("Slope through the origin of reported change against true lift, per face-side:\n")
    report.table(
        "sensitivity_slopes",
        [
            ("photo (side)", None),
            ("lifts (mm)", None),
            ("refined slope", "{:.2f}"),
            ("raw Face Mesh slope", "{:.2f}"),
        ],
        rows,
    )
    rows = [[m, np.mean(np.abs(v)), np.max(np.abs(v))] for m, v in other_changes.items() if v]
    report.text(
        "Change of the metrics a brow lift must not move (refined pipeline, over every "
        "lift and side; brow asymmetry and the lifted brow left out):\n"
    )
    report.table(
        "sensitivity_other_metrics",
        [("metric", None), ("mean abs change", "{:.3f}"), ("max abs change", "{:.3f}")],
        rows,
    )
    if skipped:
        report.text("Skipped: " + "; ".join(skipped) + ".\n")
    return {"refined": slopes["refined"], "raw": slopes["raw"]}


def _real_or_astronaut(rel_paths) -> list[tuple[str, np.ndarray]]:
    """Default-decoded pixels of the shared photos, or astronaut images when they are absent."""
    if not have_shared():
        return [
            ("astronaut x3 (generated)", astronaut(3)),
            ("astronaut x2 (generated)", astronaut(2)),
        ]
    out = []
    for rel in rel_paths:
        photo = open_photo(shared(rel), min_long_side_px=DEFAULT_SETTINGS.decode_min_long_side_px)
        out.append(
            (rel.split("/", 2)[-1] if rel.startswith("real/") else rel, np.array(photo.pixels))
        )
    return out


# --- 4. noise -------------------------------------------------------------------------------------

_jpeg = jpeg_roundtrip
_shift = translate


def nuisance_variants(pixels: np.ndarray, quick: bool) -> list[tuple[str, np.ndarray]]:
    variants = [
        ("JPEG q60", lambda p: _jpeg(p, 60)),
        ("JPEG q75", lambda p: _jpeg(p, 75)),
        ("JPEG q95", lambda p: _jpeg(p, 95)),
        ("brightness x0.75", lambda p: np.clip(p * 0.75 + 0.5, 0, 255).astype(np.uint8)),
        ("brightness x1.25", lambda p: np.clip(p * 1.25 + 0.5, 0, 255).astype(np.uint8)),
        ("shift (+13, +7) px", lambda p: _shift(p, 13, 7)),
        (
            "scale 0.8x (AREA)",
            lambda p: cv2.resize(p, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA),
        ),
        (
            "scale 1.25x (CUBIC)",
            lambda p: cv2.resize(p, None, fx=1.25, fy=1.25, interpolation=cv2.INTER_CUBIC),
        ),
    ]
    if quick:
        variants = [variants[1], variants[5], variants[6]]
    return [(name, f(pixels)) for name, f in variants]


def section_noise(report: Report, quick: bool) -> dict:
    report.text("## 4. Noise floor\n")
    photos = _real_or_astronaut(SENSITIVITY_PHOTOS[:2] if quick else SENSITIVITY_PHOTOS)
    if have_shared():
        photos.append(("astronaut x3 (generated)", astronaut(3)))
    report.text(
        "Per photo: the original (default decode) and nuisance variants that do not change the "
        "face: JPEG re-encoding at quality 60/75/95, brightness x0.75 and x1.25, a translation "
        "by (+13, +7) px (border filled by reflection), rescaling by 0.8 (INTER_AREA) and 1.25 "
        "(INTER_CUBIC), and for the phone photo also its full-size decode. SD per metric across "
        "a photo's versions, pooled over photos (RMS, weighted by degrees of freedom) = SEM; "
        "MDC95 = 1.96 √2 SEM, the smallest change between two photos that exceeds this noise "
        "with 95 % confidence. *Iris scale* = each version's own iris diameter (the default); "
        "*fixed scale* = `ipd_mm` = the original's `interpupillary_mm` (a calibrated person "
        "scale). Every version is measured whatever its quality status.\n"
    )
    groups = {kind: {m: [] for m in METRICS} for kind in ("iris", "fixed")}
    raw_groups = {kind: {m: [] for m in BROWS} for kind in ("iris", "fixed")}
    iris_sd_pct = []
    by_variant: dict[str, list[float]] = {}
    photo_rows = []
    for name, pixels in photos:
        r0 = measure_pixels(pixels, file=name)
        if r0.measurement is None:
            continue
        ipd0 = r0.measurement.metrics["interpupillary_mm"]
        versions = [("original", pixels)] + nuisance_variants(pixels, quick)
        if name == PHONE:
            versions.append(
                (
                    "full-size decode",
                    np.array(open_photo(shared(PHONE), min_long_side_px=None).pixels),
                )
            )
        per = {kind: {m: [] for m in METRICS} for kind in ("iris", "fixed")}
        raw_per = {kind: {m: [] for m in BROWS} for kind in ("iris", "fixed")}
        irises = []
        base_fixed = None
        for vname, v in versions:
            ri = measure_pixels(v, file=name) if vname != "original" else r0
            rf = measure_pixels(v, file=name, ipd_mm=ipd0)
            if ri.measurement is None or rf.measurement is None:
                continue
            irises.append(iris_px_of(ri) / (v.shape[1] / pixels.shape[1]))
            raw_i = raw_metrics(ri, raw_scales(ri.landmarks.points_px))
            raw_f = raw_metrics(ri, raw_scales(ri.landmarks.points_px, ipd0))
            for m in METRICS:
                per["iris"][m].append(ri.measurement.metrics[m])
                per["fixed"][m].append(rf.measurement.metrics[m])
            for m in BROWS:
                raw_per["iris"][m].append(raw_i[m])
                raw_per["fixed"][m].append(raw_f[m])
            brow_fixed = np.array([rf.measurement.metrics[m] for m in BROWS])
            if base_fixed is None:
                base_fixed = brow_fixed
            else:
                by_variant.setdefault(vname, []).extend(np.abs(brow_fixed - base_fixed))
            report.raw.append(
                {
                    "section": "noise",
                    "image": name,
                    "variant": vname,
                    "status": ri.status,
                    "iris_px": iris_px_of(ri),
                    **{f"iris_scale:{k}": x for k, x in ri.measurement.metrics.items()},
                    **{f"fixed_scale:{k}": x for k, x in rf.measurement.metrics.items()},
                    **{f"raw_iris_scale:{k}": raw_i[k] for k in BROWS},
                    **{f"raw_fixed_scale:{k}": raw_f[k] for k in BROWS},
                }
            )
        for kind in ("iris", "fixed"):
            for m in METRICS:
                groups[kind][m].append(per[kind][m])
            for m in BROWS:
                raw_groups[kind][m].append(raw_per[kind][m])
        iris_sd_pct.append(100 * np.std(irises, ddof=1) / np.mean(irises))
        photo_rows.append(
            [
                name,
                len(irises),
                iris_px_of(r0),
                iris_sd_pct[-1],
                np.std(per["fixed"]["brow_height_left_mm"], ddof=1),
                np.std(per["fixed"]["brow_height_right_mm"], ddof=1),
            ]
        )
    report.table(
        "noise_photos",
        [
            ("photo", None),
            ("versions", "{:d}"),
            ("iris (px)", "{:.1f}"),
            ("iris scale SD (%)", "{:.2f}"),
            ("brow L SD, fixed scale (mm)", "{:.3f}"),
            ("brow R SD, fixed scale (mm)", "{:.3f}"),
        ],
        photo_rows,
    )
    sem = {kind: {m: pooled_sd(groups[kind][m]) for m in METRICS} for kind in groups}
    rows = [
        [
            m,
            sem["iris"][m],
            MDC_FACTOR * sem["iris"][m],
            sem["fixed"][m],
            MDC_FACTOR * sem["fixed"][m],
        ]
        for m in METRICS
    ]
    report.text(f"Pooled over {len(photo_rows)} photos (units as in the metric's name):\n")
    report.table(
        "noise_floor",
        [
            ("metric", None),
            ("SEM, iris scale", "{:.3f}"),
            ("MDC95, iris scale", "{:.2f}"),
            ("SEM, fixed scale", "{:.3f}"),
            ("MDC95, fixed scale", "{:.2f}"),
        ],
        rows,
    )
    raw_sem = {kind: {m: pooled_sd(raw_groups[kind][m]) for m in BROWS} for kind in raw_groups}
    rows = []
    for m in BROWS:
        rows.append(
            [
                m,
                sem["iris"][m],
                MDC_FACTOR * sem["iris"][m],
                raw_sem["iris"][m],
                MDC_FACTOR * raw_sem["iris"][m],
                sem["fixed"][m],
                MDC_FACTOR * sem["fixed"][m],
                raw_sem["fixed"][m],
                MDC_FACTOR * raw_sem["fixed"][m],
            ]
        )
    report.text(
        "Brow height, refined pipeline versus raw Face Mesh (un-refined landmarks; raw "
        "iris scale = 11.71 mm / Face Mesh's own iris diameter in the face frame; raw "
        "fixed scale = the same `ipd_mm` / Face Mesh's interpupillary distance):\n"
    )
    report.table(
        "noise_brow_raw",
        [
            ("metric", None),
            ("refined SEM, iris", "{:.3f}"),
            ("refined MDC95, iris", "{:.2f}"),
            ("raw FM SEM, iris", "{:.3f}"),
            ("raw FM MDC95, iris", "{:.2f}"),
            ("refined SEM, fixed", "{:.3f}"),
            ("refined MDC95, fixed", "{:.2f}"),
            ("raw FM SEM, fixed", "{:.3f}"),
            ("raw FM MDC95, fixed", "{:.2f}"),
        ],
        rows,
    )
    rows = [[v, np.mean(d), np.max(d), len(d)] for v, d in by_variant.items()]
    report.text(
        "Which nuisance moves brow height most (refined, fixed scale; |change from the "
        "original| over both brows of every photo):\n"
    )
    report.table(
        "noise_by_variant",
        [
            ("variant", None),
            ("mean abs change (mm)", "{:.3f}"),
            ("max abs change (mm)", "{:.3f}"),
            ("n", "{:d}"),
        ],
        rows,
    )
    clip = section_clip(report, quick)
    return {"sem": sem, "raw_sem": raw_sem, "clip": clip}


def section_clip(report: Report, quick: bool) -> dict | None:
    report.text("### Frame-to-frame noise on the video clip\n")
    if not shared(CLIP).exists():
        report.text("The clip (../shared/faces/real/clip) is absent: skipped.\n")
        return None
    indices, frames, repeats = read_clip(shared(CLIP), *CLIP_FRAMES)
    if quick:
        indices, frames = indices[::4], frames[::4]
    first = [measure_pixels(f, file=f"frame {i}") for i, f in zip(indices, frames)]
    keep = [k for k, r in enumerate(first) if r.measurement is not None]
    ipd_clip = float(np.median([first[k].measurement.metrics["interpupillary_mm"] for k in keep]))
    series = {
        kind: {m: [] for m in METRICS}
        for kind in ("refined_iris", "refined_fixed", "raw_iris", "raw_fixed")
    }
    irises, statuses = [], {}
    for k in keep:
        r = first[k]
        rf = measure_pixels(frames[k], ipd_mm=ipd_clip)
        raw_i = raw_metrics(r, raw_scales(r.landmarks.points_px))
        raw_f = raw_metrics(r, raw_scales(r.landmarks.points_px, ipd_clip))
        for m in METRICS:
            series["refined_iris"][m].append(r.measurement.metrics[m])
            series["refined_fixed"][m].append(rf.measurement.metrics[m])
            series["raw_iris"][m].append(raw_i[m])
            series["raw_fixed"][m].append(raw_f[m])
        irises.append(iris_px_of(r))
        for reason in r.reasons or ("ok",):
            statuses[reason.split(":")[0]] = statuses.get(reason.split(":")[0], 0) + 1
        report.raw.append(
            {
                "section": "clip",
                "image": f"frame {indices[k]}",
                "status": r.status,
                "iris_px": irises[-1],
                "yaw_deg": r.quality.pose.yaw_deg,
                "pitch_deg": r.quality.pose.pitch_deg,
                **{f"iris_scale:{m}": r.measurement.metrics[m] for m in METRICS},
                **{f"fixed_scale:{m}": rf.measurement.metrics[m] for m in METRICS},
                **{f"raw_iris_scale:{m}": raw_i[m] for m in METRICS},
                **{f"raw_fixed_scale:{m}": raw_f[m] for m in METRICS},
            }
        )
    report.text(
        f"Frames {CLIP_FRAMES[0]}-{CLIP_FRAMES[1]}: {len(indices)} distinct frames measured "
        f"({repeats} pulldown repeats skipped: mean absolute difference from the previous frame "
        f"< {REPEAT_MAX_MEAN_ABS_DIFF:g} grey level; {len(indices) - len(keep)} without a face). "
        f"Iris {np.median(irises):.1f} px (median; {np.min(irises):.1f}–{np.max(irises):.1f}). "
        f"Quality: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + ". "
        f"Successive-difference SD = std(diff) / √2 over consecutive distinct frames; it "
        f"includes the performer's real movement and expression. Fixed scale: `ipd_mm` = the "
        f"clip's median `interpupillary_mm` ({ipd_clip:.1f} mm).\n"
    )
    noise = {
        kind: {m: float(np.std(np.diff(v), ddof=1) / np.sqrt(2)) for m, v in s.items()}
        for kind, s in series.items()
    }
    rows = [
        [
            m,
            noise["refined_iris"][m],
            noise["raw_iris"][m],
            noise["refined_fixed"][m],
            noise["raw_fixed"][m],
        ]
        for m in METRICS
    ]
    report.table(
        "clip_noise",
        [
            ("metric", None),
            ("refined, iris scale", "{:.2f}"),
            ("raw FM, iris scale", "{:.2f}"),
            ("refined, fixed scale", "{:.2f}"),
            ("raw FM, fixed scale", "{:.2f}"),
        ],
        rows,
    )
    return noise


# --- summary --------------------------------------------------------------------------------------


def summary(report: Report, decode: dict, sens: dict, noise: dict) -> None:
    report.text("## Summary\n")
    sem = noise["sem"]
    lines = []
    for size_name, deltas in decode["deltas"].items():
        parts = []
        for kind in ("iris", "fixed"):
            ratio = {
                m: abs(d) / (MDC_FACTOR * sem[kind][m])
                for m, d in deltas.items()
                if sem[kind][m] > 1e-6
            }
            worst = max(ratio, key=ratio.get)
            parts.append(
                f"{worst} ({deltas[worst]:+.2f}, {ratio[worst]:.2f} x its {kind}-scale MDC95)"
            )
        worst_abs = max(BROWS, key=lambda m: abs(deltas[m]))
        lines.append(
            f"- {size_name}-size decode: largest |Δ| relative to the noise floor: "
            + "; ".join(parts)
            + f". Brow height |Δ| up to "
            f"{abs(deltas[worst_abs]):.2f} mm."
        )
    r, w = np.array(sens["refined"]), np.array(sens["raw"])
    lines.append(
        f"- Brow-lift slope: refined {r.mean():.2f} (range {r.min():.2f}–{r.max():.2f}), "
        f"raw Face Mesh {w.mean():.2f} (range {w.min():.2f}–{w.max():.2f})."
    )
    b = BROWS
    lines.append(
        "- Brow height MDC95 (mean of left and right): refined "
        f"{MDC_FACTOR * np.mean([sem['iris'][m] for m in b]):.2f} mm with the iris scale, "
        f"{MDC_FACTOR * np.mean([sem['fixed'][m] for m in b]):.2f} mm with a fixed person "
        f"scale; raw Face Mesh "
        f"{MDC_FACTOR * np.mean([noise['raw_sem']['iris'][m] for m in b]):.2f} / "
        f"{MDC_FACTOR * np.mean([noise['raw_sem']['fixed'][m] for m in b]):.2f} mm."
    )
    if noise["clip"]:
        c = noise["clip"]
        lines.append(
            "- Clip (iris ~6.5 px), brow height successive-difference SD: refined "
            f"{np.mean([c['refined_iris'][m] for m in b]):.2f} mm (iris scale) / "
            f"{np.mean([c['refined_fixed'][m] for m in b]):.2f} mm (fixed scale); raw "
            f"Face Mesh {np.mean([c['raw_iris'][m] for m in b]):.2f} / "
            f"{np.mean([c['raw_fixed'][m] for m in b]):.2f} mm."
        )
    report.text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (smoke test)")
    args = parser.parse_args()
    started = time.perf_counter()
    report = Report("bench_measure", args.quick)
    report.text("# bench_measure" + (" (--quick)" if args.quick else "") + "\n")
    report.text(environment() + "\n")
    fingerprint = tracker_fingerprint()
    if not have_shared():
        report.text(
            "**../shared/faces is absent: every photo below is generated from "
            "skimage.data.astronaut(), not a real selfie.**\n"
        )
    with tempfile.TemporaryDirectory() as tmp:
        section_speed(report, Path(tmp), args.quick)
        decode = section_decode_precision(report, Path(tmp), args.quick)
    sens = section_sensitivity(report, args.quick)
    noise = section_noise(report, args.quick)
    summary(report, decode, sens, noise)
    check_unchanged(report, fingerprint)
    report.text(f"Total run time: {time.perf_counter() - started:.0f} s.")
    path = report.write()
    print(f"\nwritten: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
