"""Make the sample photos in sample_images/ from skimage.data.astronaut() (NASA, public domain).

A handful of photos with known differences, for `make demo` and the tests: the original at
phone-like resolution, the same photo tilted by a known angle, with the subject's left brow
lifted by a known amount (a smooth local warp), a blurred copy that must be rejected, and the
neutral face of the sample series (mouth closed, no smile:
``tracker.validation.sample_face.neutral_base_face``), which passes every quality check, so
that `facetrack measure` and the demo's overlays show an accepted measurement.
The true values are written to sample_images/truth.csv. Usage::

    .venv/bin/python tools/make_sample_images.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.pipeline import measure_pixels  # noqa: E402
from tracker.warps import brow_lift  # noqa: E402

OUT = ROOT / "sample_images"
UPSCALE = 3  # 1536 x 1536: iris about 25 px, like a selfie at arm's length on an older phone
BROW_LIFT_MM = 1.5
TILT_DEG = 8.0


def save(name: str, rgb: np.ndarray, quality: int = 92) -> None:
    Image.fromarray(rgb).save(OUT / name, quality=quality)


def save_neutral() -> tuple:
    """The accepted sample: the series' neutral base face; its truth row."""
    from tracker.validation.sample_face import neutral_base_face

    pixels, _ = neutral_base_face()
    save("astronaut_neutral.jpg", pixels)
    return ("astronaut_neutral.jpg", "neutral expression (accepted)", 0.0, 0.0, "")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    base = cv2.resize(data.astronaut(), None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
    result = measure_pixels(base)
    scale = result.measurement.scale_mm_per_px
    rows = []
    save("astronaut.jpg", base)
    rows.append(("astronaut.jpg", "original", 0.0, 0.0, ""))

    h, w = base.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), TILT_DEG, 1.0)
    save(
        "astronaut_tilted.jpg",
        cv2.warpAffine(base, rot, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT),
    )
    rows.append(("astronaut_tilted.jpg", "head tilted", TILT_DEG, 0.0, ""))

    lifted = brow_lift(base, result.landmarks.points_px, side="left", shift_px=BROW_LIFT_MM / scale)
    save("astronaut_left_brow_lifted.jpg", lifted)
    rows.append(("astronaut_left_brow_lifted.jpg", "left brow lifted", 0.0, BROW_LIFT_MM, ""))

    iris_px = result.quality.scores["iris_px"]
    save("astronaut_blurred.jpg", cv2.GaussianBlur(base, (0, 0), 0.2 * iris_px))
    rows.append(("astronaut_blurred.jpg", "blurred", 0.0, 0.0, "blurred"))

    rows.append(save_neutral())

    with open(OUT / "truth.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["file", "what", "roll_change_deg", "brow_height_left_change_mm", "expected_reason"]
        )
        writer.writerows(rows)
    print(f"wrote {len(rows)} photos to {OUT} (scale {scale:.4f} mm/px)")


if __name__ == "__main__":
    main()
