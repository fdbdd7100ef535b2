"""Import throughput, memory over a long import, and remeasure time.

    .venv/bin/python benchmarks/bench_import.py [--quick]

1. Photos per second importing 12-megapixel JPEGs with one and with two workers.
2. Resident memory (the main process plus its workers, sampled from /proc every 0.2 s) over
   a 1,000-photo import: it must not grow with the number of photos.
3. Time to remeasure 10,000 stored landmark sets (no photo decoded).

The photos are copies of one 12 MP JPEG (../shared/faces/phone/IMG_0001.JPG, or astronaut
upscaled when that folder is absent), each with a different JPEG comment so that every file
has its own content hash and is imported as a new photo.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_PHOTO = ROOT / ".." / "shared" / "faces" / "phone" / "IMG_0001.JPG"
RESULTS = ROOT / "benchmarks" / "results"


def source_jpeg(folder: Path) -> tuple[bytes, str]:
    if SHARED_PHOTO.exists():
        return SHARED_PHOTO.read_bytes(), "phone/IMG_0001.JPG (3024 x 4032)"
    import cv2
    from skimage import data

    big = cv2.resize(data.astronaut(), (3024, 3024), interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    return buf.tobytes(), "astronaut upscaled to 3024 x 3024 (../shared/faces absent)"


def make_copies(jpeg: bytes, folder: Path, count: int, start: int = 0) -> list[Path]:
    """``count`` files of the same picture, each with its own JPEG comment (so its own hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        comment = f"facetrack benchmark copy {i}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        path = folder / f"IMG_{20260101 + (i % 28):08d}_{i:06d}.jpg"
        path.write_bytes(jpeg[:2] + segment + jpeg[2:])  # right after the SOI marker
        paths.append(path)
    return paths


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out + [g for c in out for g in _children(c)]


class MemorySampler(threading.Thread):
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self, interval_s: float = 0.2):
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.samples: list[tuple[float, float, float]] = []  # (time, main MB, total MB)
        self._halt = threading.Event()

    def run(self):
        pid = os.getpid()
        start = time.perf_counter()
        while not self._halt.is_set():
            main = _rss_mb(pid)
            total = main + sum(_rss_mb(c) for c in _children(pid))
            self.samples.append((time.perf_counter() - start, main, total))
            time.sleep(self.interval_s)

    def stop(self):
        self._halt.set()
        self.join()


def throughput(jpeg: bytes, work: Path, photos: int, workers: int) -> dict:
    from tracker import Library, import_photos

    files = make_copies(jpeg, work / f"in_{workers}", photos)
    library = Library(work / f"lib_{workers}")
    start = time.perf_counter()
    summary = import_photos(library, [files[0].parent], workers=workers)
    elapsed = time.perf_counter() - start
    return {
        "workers": workers,
        "photos": photos,
        "seconds": elapsed,
        "photos_per_s": photos / elapsed,
        "imported": len(summary.imported),
    }


def memory_over_import(jpeg: bytes, work: Path, photos: int, workers: int) -> dict:
    from tracker import Library, import_photos

    files = make_copies(jpeg, work / "in_memory", photos)
    library = Library(work / "lib_memory")
    done_at: list[tuple[float, int]] = []
    sampler = MemorySampler()
    start = time.perf_counter()
    sampler.start()
    summary = import_photos(
        library,
        [files[0].parent],
        workers=workers,
        progress=lambda done, total: done_at.append((time.perf_counter() - start, done)),
    )
    sampler.stop()
    elapsed = time.perf_counter() - start
    samples = np.array(sampler.samples)
    marks = {}
    times = np.array([t for t, _ in done_at]) if done_at else np.array([elapsed])
    counts = np.array([d for _, d in done_at]) if done_at else np.array([photos])
    for fraction in (0.1, 0.25, 0.5, 0.75, 1.0):
        target = int(round(fraction * photos))
        t_at = times[np.searchsorted(counts, target)] if (counts >= target).any() else elapsed
        upto = samples[samples[:, 0] <= t_at]
        marks[target] = float(upto[:, 2].max()) if len(upto) else float("nan")
    return {
        "photos": photos,
        "workers": workers,
        "seconds": elapsed,
        "imported": len(summary.imported),
        "peak_total_mb": float(samples[:, 2].max()),
        "peak_main_mb": float(samples[:, 1].max()),
        "peak_by_count": marks,
    }


def remeasure_time(work: Path, count: int) -> dict:
    """Store ``count`` landmark sets directly (a perturbed reference face each) and time
    ``tracker.importing.remeasure``."""
    from tracker import Library, remeasure
    from tracker.landmarks.indices import reference_face

    library = Library(work / "lib_remeasure")
    reference, _ = reference_face()
    rng = np.random.default_rng(0)
    points = reference * 300 + [600, 800, 0] + rng.normal(0, 1.5, (count, 478, 3))
    start = time.perf_counter()
    library._store_synthetic_landmarks(points, scale_mm_per_px=np.full(count, 0.2))
    stored = time.perf_counter() - start
    start = time.perf_counter()
    n = remeasure(library)
    elapsed = time.perf_counter() - start
    return {"landmark_sets": n, "store_seconds": stored, "remeasure_seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer photos (a smoke run)")
    args = parser.parse_args()
    n_speed, n_memory, n_remeasure = (8, 60, 2000) if args.quick else (40, 1000, 10000)
    lines = [
        f"# bench_import{' (quick)' if args.quick else ''}",
        "",
        f"{time.strftime('%Y-%m-%d')}; {os.cpu_count()} cores; load average "
        f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="facetrack-bench-") as tmp:
        work = Path(tmp)
        jpeg, what = source_jpeg(work)
        lines += [
            f"Photos: copies of {what}, {len(jpeg) / 1e6:.1f} MB each, each with its own "
            "content hash.",
            "",
            "## 1. Import throughput",
            "",
            "| workers | photos | seconds | photos/s |",
            "|---:|---:|---:|---:|",
        ]
        for workers in (1, 2):
            r = throughput(jpeg, work, n_speed, workers)
            lines.append(
                f"| {workers} | {r['photos']} | {r['seconds']:.1f} | {r['photos_per_s']:.2f} |"
            )
            print(lines[-1], flush=True)
        m = memory_over_import(jpeg, work, n_memory, workers=2)
        lines += [
            "",
            f"## 2. Memory over a {m['photos']}-photo import (2 workers)",
            "",
            f"{m['imported']} imported in {m['seconds']:.0f} s "
            f"({m['photos'] / m['seconds']:.2f} photos/s). Resident memory of the main "
            "process and its workers together, the highest seen up to each point:",
            "",
            "| photos done | peak resident memory (MB) |",
            "|---:|---:|",
        ]
        lines += [f"| {k} | {v:.0f} |" for k, v in m["peak_by_count"].items()]
        lines += [
            "",
            f"Peak: {m['peak_total_mb']:.0f} MB in all, {m['peak_main_mb']:.0f} MB in "
            "the main process.",
        ]
        print("\n".join(lines[-8:]), flush=True)
        r = remeasure_time(work, n_remeasure)
        lines += [
            "",
            "## 3. Remeasure",
            "",
            f"{r['landmark_sets']} stored landmark sets remeasured in "
            f"{r['remeasure_seconds']:.2f} s (no photo decoded; storing them took "
            f"{r['store_seconds']:.1f} s).",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench_import{'_quick' if args.quick else ''}.md").write_text(text)


if __name__ == "__main__":
    main()
