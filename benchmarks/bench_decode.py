"""How long open_photo takes on a 12-megapixel JPEG at full, 1/2, 1/4 and 1/8 size.

Run: .venv/bin/python benchmarks/bench_decode.py [--photo PATH] [--repeats 10]

Uses ../shared/faces/phone/IMG_0001.JPG when present, otherwise generates a 4032 x 3024
quality-92 JPEG (the astronaut upscaled, with noise so that it compresses like a photo).
Prints a Markdown table: median and fastest time per decode size and the peak resident memory
while decoding at that size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tracker.photos import open_photo

SHARED_PHOTO = Path(__file__).parents[1] / ".." / "shared" / "faces" / "phone" / "IMG_0001.JPG"
# min_long_side_px values: full size, then what keeps the long side of 4032 at 1/2, 1/4, 1/8.
SIZES: tuple[int | None, ...] = (None, 2000, 1000, 500)


def make_12mp_jpeg(path: Path, *, seed: int = 0) -> Path:
    """Write a 4032 x 3024 quality-92 JPEG: the astronaut upscaled plus Gaussian noise (sd 4)."""
    from skimage import data

    rng = np.random.default_rng(seed)
    big = cv2.resize(data.astronaut(), (4032, 3024), interpolation=cv2.INTER_CUBIC)
    big = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)
    Image.fromarray(big).save(path, quality=92)
    return path


def _reset_peak_rss() -> bool:
    """Reset Linux's peak-RSS counter (VmHWM) to the current RSS; False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (since the last reset, on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def decode_timings(
    path: str | Path, sizes: tuple[int | None, ...] = SIZES, repeats: int = 10
) -> list[dict]:
    """Time ``open_photo(path, min_long_side_px=size)`` for each size.

    Parameters
    ----------
    path : path
        The photo to decode.
    sizes : tuple of int or None
        ``min_long_side_px`` values; None is a full-size decode.
    repeats : int
        Timed decodes per size, after one untimed warm-up decode.

    Returns
    -------
    list of dict
        One row per size: ``min_long_side_px``, ``decoded_size_px`` (width, height),
        ``decode_scale``, ``median_ms``, ``min_ms`` and ``peak_rss_mb`` (the process's peak
        resident memory while decoding at that size; since process start where the peak
        cannot be reset).
    """
    rows = []
    for size in sizes:
        _reset_peak_rss()
        photo = open_photo(path, min_long_side_px=size)
        times_ms = []
        for _ in range(repeats):
            start = time.perf_counter()
            open_photo(path, min_long_side_px=size)
            times_ms.append((time.perf_counter() - start) * 1000)
        rows.append(
            {
                "min_long_side_px": size,
                "decoded_size_px": photo.pixels.shape[1::-1],
                "decode_scale": photo.decode_scale,
                "median_ms": statistics.median(times_ms),
                "min_ms": min(times_ms),
                "peak_rss_mb": _peak_rss_mb(),
            }
        )
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| min long side (px) | decoded size (px) | scale | median (ms) | fastest (ms) "
        "| peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        width, height = row["decoded_size_px"]
        lines.append(
            f"| {row['min_long_side_px'] or 'full'} | {width} x {height} | {row['decode_scale']:g} "
            f"| {row['median_ms']:.1f} | {row['min_ms']:.1f} | {row['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, help="JPEG to decode (default: see above)")
    parser.add_argument("--repeats", type=int, default=10, help="timed decodes per size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photo = args.photo or (SHARED_PHOTO if SHARED_PHOTO.exists() else None)
        if photo is None:
            photo = make_12mp_jpeg(Path(tmp) / "12mp.jpg")
        width, height = Image.open(photo).size
        print(
            f"{photo.resolve().name}: {width} x {height} ({width * height / 1e6:.1f} MP), "
            f"{photo.stat().st_size / 1e6:.1f} MB, {args.repeats} decodes per size; "
            f"resident memory before decoding: {_peak_rss_mb():.0f} MB\n"
        )
        print(markdown_table(decode_timings(photo, SIZES, args.repeats)))


if __name__ == "__main__":
    main()
