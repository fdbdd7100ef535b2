"""Make the dated selfie series in sample_images/series/ and its ground truth.

The photos are made from ``skimage.data.astronaut()`` (NASA, public domain). That portrait
smiles with an open mouth, which facetrack rightly rejects, so the project's neutral base face
is used (:func:`tracker.validation.sample_face.neutral_base_face`: upscaled x3, the lips
closed, the mouth corners lowered; it must pass every quality check).

The series follows the seed timeline (12 weeks from 2025-09-01, day 0 = 2025-09-15):

* 2 weeks of baseline photos;
* sessions (20 min, mode "lift", 08:00) on Mondays, Wednesdays and Fridays from day 0 to
  day 46 (weeks 3-9), with before/after photo pairs on four of them: the "after" photo shows
  an immediate +1.0 mm brow lift (taken 15 min after the session; it fades within hours,
  so no other photo carries it);
* a cumulative brow lift on both brows, rising linearly to +1.5 mm at day 28, then a plateau
  until the last session;
* a 3-week pause with a fade: 1.5 mm x exp(-days since the last session / 10).

Effects are applied to the base with :func:`tracker.warps.brow_lift` on both brows (true shift
in pixels = mm / the base's scale), before the nuisances: in-plane roll (+/-5 deg), distance
(scale 0.92-1.10), framing, brightness (+/-15 %), white balance, JPEG quality 80-92. Three
photos are made to be rejected: a Gaussian blur, closed eyes (both upper lids drawn down to
the lower lids by a smooth warp) and a framing that cuts the face. All photos carry EXIF
DateTimeOriginal except two, whose capture time is only in their ``IMG_YYYYMMDD_HHMMSS.jpg``
names.

Writes ``sample_images/series/*.jpg``, ``truth.csv`` (file, captured_at, session,
brow_lift_true_mm, immediate_true_mm, expected_status, reason) and ``sessions.csv``
(started_at, minutes, mode). Every photo is measured afterwards and the script fails when a
status differs from the one intended. Usage::

    .venv/bin/python tools/make_sample_series.py
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tracker.pipeline import measure_pixels  # noqa: E402
from tracker.validation.sample_face import neutral_base_face  # noqa: E402
from tracker.warps import brow_lift  # noqa: E402

OUT = ROOT / "sample_images" / "series"
SEED = 20250901
SIZE = (1152, 1536)  # width, height: portrait 3:4
START = datetime(2025, 9, 1)  # a Monday: the first baseline day
DAY0 = START + timedelta(days=14)  # the first session (week 3)
SESSION_TIME = (8, 0)
SESSION_MINUTES = 20
MODE = "lift"
LAST_SESSION_DAY = 46
IMMEDIATE_MM = 1.0
PLATEAU_MM = 1.5
RISE_DAYS = 28
FADE_TAU_DAYS = 10.0

# Face Mesh indices: the eyelids (corner to corner)
LIDS = {  # (upper lid, lower lid), corner to corner
    "right": (
        [33, 246, 161, 160, 159, 158, 157, 173, 133],
        [33, 7, 163, 144, 145, 153, 154, 155, 133],
    ),
    "left": (
        [263, 466, 388, 387, 386, 385, 384, 398, 362],
        [263, 249, 390, 373, 374, 380, 381, 382, 362],
    ),
}

# (day from START, "HH:MM", kind): kind is "rest", "before", "after", or a rejection
SCHEDULE = [
    (0, "19:30", "rest"),
    (2, "20:10", "rest"),
    (4, "19:45", "blurred"),
    (5, "08:15", "rest"),
    (7, "21:00", "rest"),
    (9, "19:00", "rest"),
    (12, "18:30", "rest"),
    # treatment: day 0 = START + 14
    (14, "07:30", "before"),
    (14, "08:35", "after"),
    (17, "19:10", "rest"),
    (21, "19:00", "rest"),
    (23, "07:30", "before"),
    (23, "08:35", "after"),
    (26, "20:00", "rest"),
    (29, "19:30", "rest"),
    (30, "20:15", "eyes closed"),
    (32, "18:45", "rest"),
    (35, "07:30", "before"),
    (35, "08:35", "after"),
    (38, "19:20", "rest"),
    (41, "20:30", "rest"),
    (43, "19:00", "face cut"),
    (45, "18:50", "rest"),
    (49, "07:30", "before"),
    (49, "08:35", "after"),
    (52, "19:40", "rest"),
    (58, "20:00", "rest"),
    # the pause: the last session is on day 14 + 46 = 60
    (63, "19:15", "rest"),
    (68, "18:40", "rest"),
    (74, "19:30", "rest"),
    (80, "20:00", "rest"),
]
NO_EXIF = {26, 68}  # these days' photos carry their time only in the file name


def session_days() -> list[int]:
    """Treatment days (from day 0): Monday, Wednesday, Friday up to LAST_SESSION_DAY."""
    return [d for d in range(LAST_SESSION_DAY + 1) if d % 7 in (0, 2, 4)]


def cumulative_mm(t: datetime) -> float:
    """The true cumulative brow lift at time ``t`` (no immediate effect)."""
    days = (t - DAY0) / timedelta(days=1)
    last = LAST_SESSION_DAY + SESSION_MINUTES / 1440 + SESSION_TIME[0] / 24
    if days < 0:
        return 0.0
    if days <= last:
        return PLATEAU_MM * min(days / RISE_DAYS, 1.0)
    return PLATEAU_MM * math.exp(-(days - last) / FADE_TAU_DAYS)


# --- the neutral base ---------------------------------------------------------------------------


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1])


def neutral_base() -> tuple[np.ndarray, float, float, np.ndarray]:
    """The neutral base (:func:`tracker.validation.sample_face.neutral_base_face`), its scale
    (mm/px), iris diameter (px) and landmarks; fails if it is rejected."""
    try:
        image, result = neutral_base_face()
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    return (
        image,
        result.measurement.scale_mm_per_px,
        result.quality.scores["iris_px"],
        result.landmarks.points_px,
    )


def close_eyes(image: np.ndarray, pts: np.ndarray, fade_px: float = 40.0) -> np.ndarray:
    """Draw each upper lid down onto the lower lid: the lid skin stretches smoothly, the
    iris is covered, the lower lid stays."""
    h, w = image.shape[:2]
    out = image
    for upper_ix, lower_ix in LIDS.values():
        xs = np.arange(w, dtype=np.float64)
        upper = _curve(pts[upper_ix, :2], xs)
        gap = np.clip(_curve(pts[lower_ix, :2], xs) - upper, 0.0, None)
        gap[(xs <= pts[upper_ix, 0].min()) | (xs >= pts[upper_ix, 0].max())] = 0.0
        gy, gx = np.mgrid[0:h, 0:w].astype(np.float64)
        lower = upper + gap

        def move(
            py, upper=upper, gap=gap
        ):  # forward move of the lid skin: 0 at fade_px above the lid, gap at it
            s = np.clip((py - (upper[None, :] - fade_px)) / fade_px, 0.0, 1.0)
            return gap[None, :] * 0.5 * (1.0 - np.cos(np.pi * s))

        py = gy.copy()
        for _ in range(40):
            py = gy - move(py)
        src = np.where(gy < lower[None, :], py, gy)
        out = cv2.remap(
            out,
            gx.astype(np.float32),
            src.astype(np.float32),
            cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REFLECT,
        )
    return out


# --- the series ---------------------------------------------------------------------------------


def frame(image: np.ndarray, pts: np.ndarray, rng, *, kind: str) -> np.ndarray:
    """Roll, distance and framing: a portrait crop of SIZE around the face."""
    w, h = SIZE
    centre = pts[[468, 473, 152, 10], :2].mean(axis=0)
    roll = rng.uniform(-5, 5)
    scale = rng.uniform(0.92, 1.10)
    # the photo's top edge at or just above the frame's top: no reflected border above the head
    target = np.array([w / 2 + rng.uniform(-30, 30), centre[1] * scale - rng.uniform(0, 40)])
    if kind == "face cut":
        target = np.array([w * 0.02, target[1]])  # the face's right half is out of the frame
    matrix = cv2.getRotationMatrix2D(tuple(centre), roll, scale)
    matrix[:, 2] += target - centre
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )


def light(image: np.ndarray, rng) -> np.ndarray:
    gains = rng.uniform(0.85, 1.15) * np.array(
        [rng.uniform(0.93, 1.07), 1.0, rng.uniform(0.93, 1.07)]
    )
    return np.clip(image.astype(np.float32) * gains, 0, 255).astype(np.uint8)


def save(path: Path, rgb: np.ndarray, when: datetime, quality: int, exif: bool) -> None:
    image = Image.fromarray(rgb)
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "facetrack sample"  # Make
        tags.get_ifd(0x8769)[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
        image.save(path, quality=quality, exif=tags)
    else:
        image.save(path, quality=quality)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg"):
        old.unlink()
    rng = np.random.default_rng(SEED)
    base, scale, iris_px, pts = neutral_base()
    print(f"neutral base ok: scale {scale:.4f} mm/px, iris {iris_px:.1f} px")

    rows = []
    for number, (day, hhmm, kind) in enumerate(SCHEDULE, start=1):
        hour, minute = map(int, hhmm.split(":"))
        when = START + timedelta(days=day, hours=hour, minutes=minute)
        immediate = IMMEDIATE_MM if kind == "after" else 0.0
        total = round(cumulative_mm(when) + immediate, 4)
        image = base
        if total:
            for side in ("left", "right"):
                image = brow_lift(image, pts, side=side, shift_px=total / scale)
        if kind == "eyes closed":
            image = close_eyes(image, pts)
        image = frame(image, pts, rng, kind=kind)
        if kind == "blurred":
            image = cv2.GaussianBlur(image, (0, 0), 0.25 * iris_px)
        image = light(image, rng)
        quality = int(rng.integers(80, 93))
        exif = day not in NO_EXIF
        name = f"selfie_{number:02d}.jpg" if exif else f"IMG_{when:%Y%m%d_%H%M%S}.jpg"
        save(OUT / name, image, when, quality, exif)
        rejected = kind not in ("rest", "before", "after")
        rows.append(
            {
                "file": name,
                "captured_at": when.isoformat(timespec="minutes"),
                "session": kind if kind in ("before", "after") else "",
                "brow_lift_true_mm": f"{total:.4f}",
                "immediate_true_mm": f"{immediate:.1f}",
                "expected_status": "rejected" if rejected else "ok",
                "reason": kind if rejected else "",
            }
        )

    with open(OUT / "truth.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(OUT / "sessions.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["started_at", "minutes", "mode"])
        for day in session_days():
            start = DAY0 + timedelta(days=day, hours=SESSION_TIME[0], minutes=SESSION_TIME[1])
            writer.writerow([start.isoformat(timespec="minutes"), SESSION_MINUTES, MODE])

    # check: every photo gets the status it was made for
    wrong = []
    for row in rows:
        rgb = np.asarray(Image.open(OUT / row["file"]).convert("RGB"))
        result = measure_pixels(rgb, file=row["file"])
        if result.status != row["expected_status"]:
            wrong.append(
                f"{row['file']}: {result.status} {result.reasons}, expected "
                f"{row['expected_status']} ({row['reason'] or 'no effect'})"
            )
    size = sum(p.stat().st_size for p in OUT.iterdir())
    print(
        f"wrote {len(rows)} photos and {len(session_days())} sessions to {OUT} "
        f"({size / 1e6:.1f} MB)"
    )
    if wrong:
        raise SystemExit("photos with an unexpected status:\n" + "\n".join(wrong))


if __name__ == "__main__":
    main()
