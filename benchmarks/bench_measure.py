"""Speed, decode-size precision, brow-lift sensitivity and noise floor of the measurement pipeline.

Run: .venv/bin/python benchmarks/bench_measure.py [--quick]

Sections (each printed as Markdown tables and written to benchmarks/results/bench_measure.md,
every table cell also to bench_measure.csv and the per-image values to bench_measure_raw.csv;
``--quick`` runs a small subset and writes bench_measure_quick.* instead):

1. End-to-end time per 12 MP JPEG for the default reduced decode (half size), the naive
   full-size decode and a quarter-size decode, split into decode / Face Mesh / the rest
   (iris and brow refinement, quality, metrics); and the validation's speed study
   (``tracker.validation.studies.run_speed``) on 3 MP and 1 MP versions of the same picture.
2. Precision lost by reduced decoding: the four orientations of the phone photo at full, 1/2,
   1/4 and 1/8 size; mean and SD per metric and each size's difference from full size.
3. Sensitivity: known brow lifts (tracker.warps.brow_lift) of 0.5-3 mm with the scale held
   fixed, by the validation's study (``run_sensitivity``, ``summarise_sensitivity``):
   reported/true ratio, slope through the origin, the other brow's false change.
4. Noise floor: the validation's noise study (``run_noise``, ``summarise_noise``) over the
   full plan's nuisance versions, pooled over photos: SEM and MDC95, with the iris scale and
   with a fixed person scale; the clip study (``clip_noise``): frame-to-frame noise.

The studies live in ``tracker.validation.studies`` (``facetrack validate`` runs them too);
this script chooses the photos, calls them and formats their results.

Photos come from ../shared/faces (relative to the project root), or $FACETRACK_SHARED_FACES.
When that folder is absent,
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
from tracker.metrics import geometry
from tracker.metrics.scale import PERSON_SCALE_METRIC
from tracker.photos import open_photo
from tracker.pipeline import measure_photo
from tracker.settings import DEFAULT_SETTINGS
from tracker.validation import FULL_PLAN, QUICK_PLAN, Plan, ValidationPhoto
from tracker.validation.stats import slope_through_origin
from tracker.validation.studies import (
    clip_noise,
    measure_image,
    photo_iris_px,
    run_noise,
    run_sensitivity,
    run_speed,
    summarise_noise,
    summarise_sensitivity,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_decode import make_12mp_jpeg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# the shared test photos, as the tests find them (tests/conftest.py)
SHARED = Path(os.environ.get("FACETRACK_SHARED_FACES") or ROOT / ".." / "shared" / "faces")
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
    report.text(
        f"The validation's speed study (`tracker.validation.studies.run_speed`): {label} "
        "resized (INTER_AREA) and saved as JPEG (quality 92), `measure_photo` at the default "
        f"decode, the median of {repeats} runs after a warm-up:\n"
    )
    speed = run_speed(full, (3, 1), repeats)
    report.table(
        "speed_by_size",
        [
            ("size", None),
            ("pixels", None),
            ("analysed", None),
            ("median (ms)", "{:.0f}"),
            ("fastest (ms)", "{:.0f}"),
            ("status", None),
        ],
        [
            [
                f"{r['megapixels']:g} MP",
                r["size"],
                r["analysed"],
                r["median_ms"],
                r["fastest_ms"],
                r["status"],
            ]
            for r in speed
        ],
    )
    for r in speed:
        report.raw.append({"section": "speed", "image": f"{label} {r['megapixels']:g} MP", **r})


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


def validation_photos(rel_paths) -> list[ValidationPhoto]:
    """The shared photos at the default decode as the validation studies take them, or
    astronaut images when the shared folder is absent."""
    if not have_shared():
        return [
            ValidationPhoto("astronaut x3 (generated)", "astronaut", astronaut(3)),
            ValidationPhoto("astronaut x2 (generated)", "astronaut", astronaut(2)),
        ]
    out = []
    for rel in rel_paths:
        photo = open_photo(shared(rel), min_long_side_px=DEFAULT_SETTINGS.decode_min_long_side_px)
        name = rel.split("/", 2)[-1] if rel.startswith("real/") else rel
        out.append(
            ValidationPhoto(
                name,
                name.split("/")[0],
                np.ascontiguousarray(photo.pixels),
                shared(rel),
                photo.decode_scale,
            )
        )
    return out


def _brow(side: str) -> str:
    return f"brow_height_{side}_mm"


def section_sensitivity(report: Report, quick: bool) -> dict:
    report.text("## 3. Sensitivity: known brow lifts\n")
    lifts = (1.0, 3.0) if quick else LIFTS_MM
    plan = Plan(brow_lifts_mm=lifts, jaw_shifts_mm=(), mouth_lifts_mm=())
    report.text(
        "The validation's sensitivity study (`tracker.validation.studies.run_sensitivity`, as "
        "`facetrack validate` runs it) with brow lifts only: each brow lifted on its own by "
        "`tracker.warps.brow_lift` (the brow's upper edge moves the given amount perpendicular "
        "to the interpupillary line), the lift in px = the lift in mm / the original's iris "
        "scale; the warped image measured by the pipeline and put on the original's person "
        "scale (`face_scale_mm`), so only the landmarks' change counts. The true change of the "
        "lifted brow's height allows for the depth of its points (`depth_gain`). Ratio = "
        "reported / true change; false change = the other brow's change. Photos at the "
        "default decode.\n"
    )
    records: list[dict] = []
    skipped: list[str] = []
    photo_rows = []
    for photo in validation_photos(SENSITIVITY_PHOTOS[:2] if quick else SENSITIVITY_PHOTOS):
        base = measure_image(photo.pixels, photo.name)
        if base is None:
            skipped.append(f"{photo.name}: no face")
            continue
        photo_rows.append(
            [
                photo.name,
                f"{photo.pixels.shape[1]} x {photo.pixels.shape[0]}",
                photo_iris_px(base),
                base.status,
            ]
        )
        found, notes = run_sensitivity(photo, base, plan)
        records += found
        skipped += notes
        for r in found:
            other = "right" if r["side"] == "left" else "left"
            report.raw.append(
                {
                    "section": "sensitivity",
                    "image": r["photo"],
                    "side": r["side"],
                    "lift_mm": r["size_mm"],
                    "lift_px": r["shift_px"],
                    "true_change_mm": r["truth"][_brow(r["side"])],
                    "change_mm": r["change"][_brow(r["side"])],
                    "other_change_mm": r["change"][_brow(other)],
                }
            )
    report.table(
        "sensitivity_photos",
        [("photo", None), ("analysed size", None), ("iris (px)", "{:.1f}"), ("status", None)],
        photo_rows,
    )
    rows = []
    for lift in lifts:
        sel = [r for r in records if r["size_mm"] == lift]
        if not sel:
            continue
        ratio = np.array(
            [r["change"][_brow(r["side"])] / r["truth"][_brow(r["side"])] for r in sel]
        )
        other = np.abs(
            [r["change"][_brow("right" if r["side"] == "left" else "left")] for r in sel]
        )
        rows.append(
            [
                f"{lift:g}",
                len(sel),
                ratio.mean(),
                f"{ratio.min():.2f} – {ratio.max():.2f}",
                other.mean(),
                other.max(),
            ]
        )
    report.table(
        "sensitivity_by_lift",
        [
            ("lift (mm)", None),
            ("face-sides", "{:d}"),
            ("ratio mean", "{:.2f}"),
            ("ratio range", None),
            ("false change mean abs (mm)", "{:.3f}"),
            ("false change max (mm)", "{:.3f}"),
        ],
        rows,
    )
    rows, slopes = [], []
    for key in dict.fromkeys((r["photo"], r["side"]) for r in records):
        sel = [r for r in records if (r["photo"], r["side"]) == key]
        metric = _brow(key[1])
        slope = slope_through_origin(
            [r["truth"][metric] for r in sel], [r["change"][metric] for r in sel]
        )
        slopes.append(slope)
        rows.append([f"{key[0]} ({key[1]})", ", ".join(f"{r['size_mm']:g}" for r in sel), slope])
    if slopes:
        rows.append(
            [
                "**mean (range)**",
                "",
                f"{np.mean(slopes):.2f} ({min(slopes):.2f} – {max(slopes):.2f})",
            ]
        )
    report.text("Slope through the origin of reported against true change, per face-side:\n")
    report.table(
        "sensitivity_slopes",
        [("photo (side)", None), ("lifts (mm)", None), ("slope", "{:.2f}")],
        rows,
    )
    summary = summarise_sensitivity(records)
    report.text(
        "Pooled over every lift and face-side (`summarise_sensitivity`): the slope of each "
        "brow's reported on true change, and its mean abs change when the other brow is "
        "lifted:\n"
    )
    report.table(
        "sensitivity_pooled",
        [("metric", None), ("sensitivity", "{:.2f}"), ("false change, other side", "{:.3f}")],
        [[m, summary[m]["sensitivity"], summary[m]["false_change_other_side"]] for m in BROWS],
    )
    untouched = [
        m for m in METRICS if m != PERSON_SCALE_METRIC and all(m not in r["truth"] for r in records)
    ]
    rows = [
        [
            m,
            float(np.mean([abs(r["change"][m]) for r in records])),
            float(np.max([abs(r["change"][m]) for r in records])),
        ]
        for m in untouched
        if records
    ]
    report.text(
        "Change of the metrics a brow lift must not move (true change 0; over every lift and "
        "side; the brows and brow asymmetry left out):\n"
    )
    report.table(
        "sensitivity_other_metrics",
        [("metric", None), ("mean abs change", "{:.3f}"), ("max abs change", "{:.3f}")],
        rows,
    )
    if skipped:
        report.text("Skipped: " + "; ".join(skipped) + ".\n")
    return {"slopes": slopes}


# --- 4. noise -------------------------------------------------------------------------------------


def section_noise(report: Report, quick: bool) -> dict:
    report.text("## 4. Noise floor\n")
    photos = validation_photos(SENSITIVITY_PHOTOS[:2] if quick else SENSITIVITY_PHOTOS)
    if have_shared():
        photos.append(ValidationPhoto("astronaut x3 (generated)", "astronaut", astronaut(3)))
    plan = QUICK_PLAN if quick else FULL_PLAN
    report.text(
        "The validation's noise study (`tracker.validation.studies.run_noise` and "
        "`summarise_noise`, as `facetrack validate` runs it): per photo, the original (default "
        "decode) and versions that leave the face as it is: "
        + ", ".join(plan.nuisances)
        + (
            " (the full-size decode, halvings while the iris stays above "
            f"{1.25 * DEFAULT_SETTINGS.min_iris_px:g} px, and the smallest size the quality "
            "check accepts)"
            if "resolution" in plan.nuisances
            else ""
        )
        + ". SD per metric across a photo's versions, pooled over photos (RMS, weighted by "
        "degrees of freedom) = SEM; MDC95 = 1.96 √2 SEM. *Fixed scale* = the original's "
        "person scale (`face_scale_mm`, as the library's trends); *iris scale* = each "
        "version's own iris. Every version is measured whatever its quality status.\n"
    )
    runs = []
    photo_rows = []
    for photo in photos:
        base = measure_image(photo.pixels, photo.name)
        if base is None:
            continue
        run = run_noise(photo, base, plan)
        runs.append(run)
        for variant in run["fixed"]:
            report.raw.append(
                {
                    "section": "noise",
                    "image": photo.name,
                    "variant": variant,
                    "iris_px": run["iris_px"][variant],
                    **{f"iris_scale:{k}": x for k, x in run["iris"][variant].items()},
                    **{f"fixed_scale:{k}": x for k, x in run["fixed"][variant].items()},
                }
            )
        iris = list(run["iris_px"].values())
        sds = [np.std([v[m] for v in run["fixed"].values()], ddof=1) for m in BROWS]
        photo_rows.append(
            [photo.name, len(run["fixed"]), iris[0], f"{min(iris):.1f}–{max(iris):.1f}", *sds]
        )
    report.table(
        "noise_photos",
        [
            ("photo", None),
            ("versions", "{:d}"),
            ("iris (px)", "{:.1f}"),
            ("iris of the versions (px)", None),
            ("brow L SD, fixed scale (mm)", "{:.3f}"),
            ("brow R SD, fixed scale (mm)", "{:.3f}"),
        ],
        photo_rows,
    )
    noise = summarise_noise(runs)
    report.text(f"Pooled over {len(runs)} photos (units as in the metric's name):\n")
    report.table(
        "noise_floor",
        [
            ("metric", None),
            ("SEM, iris scale", "{:.3f}"),
            ("MDC95, iris scale", "{:.2f}"),
            ("SEM, fixed scale", "{:.3f}"),
            ("MDC95, fixed scale", "{:.2f}"),
            ("median photo SD, fixed scale", "{:.3f}"),
            ("noisiest photo SD, fixed scale", "{:.3f}"),
        ],
        [
            [
                m,
                noise[m]["sem_iris_scale"],
                noise[m]["mdc95_iris_scale"],
                noise[m]["sem"],
                noise[m]["mdc95"],
                noise[m]["noise_sd"],
                noise[m]["max_photo_sd"],
            ]
            for m in METRICS
        ],
    )
    by_variant: dict[str, list[float]] = {}
    for run in runs:
        b0 = run["fixed"]["original"]
        for variant, values in run["fixed"].items():
            if variant != "original":
                by_variant.setdefault(variant, []).extend(abs(values[m] - b0[m]) for m in BROWS)
    report.text(
        "Which version moves brow height most (fixed scale; |change from the original| over "
        "both brows of every photo):\n"
    )
    report.table(
        "noise_by_variant",
        [
            ("variant", None),
            ("mean abs change (mm)", "{:.3f}"),
            ("max abs change (mm)", "{:.3f}"),
            ("n", "{:d}"),
        ],
        [[v, np.mean(d), np.max(d), len(d)] for v, d in by_variant.items()],
    )
    clip = section_clip(report, quick)
    return {"noise": noise, "clip": clip}


def section_clip(report: Report, quick: bool) -> dict | None:
    report.text("### Frame-to-frame noise on the video clip\n")
    if not shared(CLIP).exists():
        report.text("The clip (../shared/faces/real/clip) is absent: skipped.\n")
        return None
    if quick:
        report.text("Skipped with --quick (every distinct frame of the clip is measured).\n")
        return None
    clip = clip_noise(shared(CLIP))
    if clip["kept"] < 3:
        report.text("No run of at least 3 frames with a face.\n")
        return None
    report.text(
        "The validation's clip study (`tracker.validation.studies.clip_noise`): "
        f"{clip['frames']} distinct frames ({clip['repeats']} pulldown repeats skipped); the "
        f"longest uninterrupted run with a face, frames {clip['first']}–{clip['last']} "
        f"({clip['kept']} frames, iris {clip['iris_px']:.1f} px median), with a fixed scale "
        f"(the run's median `face_scale_mm`; interpupillary distance {clip['ipd_mm']:.1f} mm). "
        "Successive-difference SD = std(diff) / √2; it includes the performer's real "
        "movement and expression. Quality of those frames: "
        + ", ".join(f"{k} {v}" for k, v in sorted(clip["reasons"].items()))
        + ".\n"
    )
    report.table(
        "clip_noise",
        [("metric", None), ("frame-to-frame SD, fixed scale", "{:.2f}")],
        [[m, clip["sd"][m]] for m in METRICS if m != PERSON_SCALE_METRIC],
    )
    return clip


# --- summary --------------------------------------------------------------------------------------


def summary(report: Report, decode: dict, sens: dict, noise: dict) -> None:
    report.text("## Summary\n")
    floor = noise["noise"]
    sem = {
        "iris": {m: floor[m]["sem_iris_scale"] for m in METRICS},
        "fixed": {m: floor[m]["sem"] for m in METRICS},
    }
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
    if sens["slopes"]:
        r = np.array(sens["slopes"])
        lines.append(f"- Brow-lift slope: {r.mean():.2f} (range {r.min():.2f}–{r.max():.2f}).")
    b = BROWS
    lines.append(
        "- Brow height MDC95 (mean of left and right): "
        f"{MDC_FACTOR * np.mean([sem['iris'][m] for m in b]):.2f} mm with the iris scale, "
        f"{MDC_FACTOR * np.mean([sem['fixed'][m] for m in b]):.2f} mm with a fixed person scale."
    )
    if noise["clip"]:
        c = noise["clip"]
        lines.append(
            f"- Clip (iris {c['iris_px']:.1f} px), brow height successive-difference SD: "
            f"{np.mean([c['sd'][m] for m in b]):.2f} mm (fixed scale)."
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
