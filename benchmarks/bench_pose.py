"""How head pose moves the metrics before and after the project's 3D pose correction.

Run: .venv/bin/python benchmarks/bench_pose.py [--quick]

1. On the video clip (frames 82-210, the performer turns and tips the head) and on the
   real/people photos, every metric is computed three ways per frame:
   (a) *2D*: the refined points with only the roll removed (the interpupillary line rotated
       horizontal in the image plane), heights measured vertically in that plane;
   (b) *corrected*: the pipeline's pose-corrected face frame (``geometry.compute_metrics`` on
       the refined points);
   (c) *raw FM corrected*: the same face frame on the un-refined Face Mesh landmarks;
   all three with the same mm-per-px scale. The slope of each metric against pitch and
   against yaw (ordinary least squares, with its standard error) shows how much pose leaks
   into it; for the people photos, within-person (person-centred) slopes.
2. Roll invariance: one real photo rotated by -20..20 deg: the roll recovered and the largest
   change of each metric.
3. What a 10 deg yaw or pitch (the limits in tracker/settings.py) still does to brow height.

Writes benchmarks/results/bench_pose.md, bench_pose.csv (every table cell) and
bench_pose_raw.csv (per-frame values); ``--quick`` writes bench_pose_quick.* instead.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_measure as bm  # noqa: E402
from bench_measure import METRICS, Report, environment, shared  # noqa: E402

from tracker.landmarks import indices as ix  # noqa: E402
from tracker.metrics import geometry  # noqa: E402
from tracker.photos import open_photo  # noqa: E402
from tracker.pipeline import measure_pixels  # noqa: E402
from tracker.settings import DEFAULT_SETTINGS  # noqa: E402
from tracker.validation import head_rotation, ols, render_rotated, rotate_canvas  # noqa: E402

PEOPLE = "real/people"
ROLL_PHOTO = "real/people/rose_leslie/img2.jpg"
ROLL_ANGLES = (-20, -15, -10, -5, 0, 5, 10, 15, 20)
WAYS = ("2d", "corrected", "raw")
WAY_LABEL = {"2d": "2D (roll only)", "corrected": "corrected", "raw": "raw FM corrected"}
BROWS = bm.BROWS


# --- the three ways ----------------------------------------------------------------------------


def brow_heights_2d(points_px: np.ndarray, scale: float) -> dict[str, float]:
    """Brow height in the image plane: the points rotated about the iris midpoint so that the
    interpupillary line is horizontal (roll removed, no 3D pose correction), y up; the vertical
    distance from each iris centre to a least-squares quadratic through the five upper-brow
    points, evaluated at the iris centre's x; times ``scale``."""
    p = np.asarray(points_px, dtype=np.float64)[:, :2]
    right, left = p[ix.IRIS_CENTRE_RIGHT], p[ix.IRIS_CENTRE_LEFT]
    d = left - right
    angle = np.arctan2(d[1], d[0])
    c, s = np.cos(-angle), np.sin(-angle)
    q = (p - 0.5 * (left + right)) @ np.array([[c, s], [-s, c]])  # rotate by -angle
    q[:, 1] *= -1.0  # y up
    out = {}
    for side, iris, brow in (
        ("left", ix.IRIS_CENTRE_LEFT, ix.BROW_UPPER_LEFT),
        ("right", ix.IRIS_CENTRE_RIGHT, ix.BROW_UPPER_RIGHT),
    ):
        x0 = q[iris, 0]
        coef = np.polyfit(q[list(brow), 0] - x0, q[list(brow), 1], 2)
        out[f"brow_height_{side}_mm"] = float((np.polyval(coef, 0.0) - q[iris, 1]) * scale)
    return out


@contextlib.contextmanager
def _no_3d_rotation():
    """Inside: geometry.compute_metrics fits no 3D pose (identity rotation), so its face frame
    only removes the roll in the image plane. Affects this process's geometry module only."""
    original = geometry.fit_rotation

    def identity(points_px):
        pts = np.asarray(points_px)
        n = 1 if pts.ndim == 2 else pts.shape[0]
        return np.repeat(np.eye(3)[None], n, axis=0)

    geometry.fit_rotation = identity
    try:
        yield
    finally:
        geometry.fit_rotation = original


def metrics_2d(points_px: np.ndarray, scale: float) -> dict[str, float]:
    """Every metric measured in the image plane with only the roll removed."""
    with _no_3d_rotation():
        values = geometry.compute_metrics(points_px, scale)
    out = {m: float(values[m]) for m in METRICS}
    explicit = brow_heights_2d(points_px, scale)
    for m in BROWS:  # the two implementations must agree
        assert abs(explicit[m] - out[m]) < 1e-6 * max(1.0, abs(out[m])), (m, explicit[m], out[m])
        out[m] = explicit[m]
    return out


def three_ways(result) -> dict[str, dict[str, float]]:
    scale = result.measurement.scale_mm_per_px
    raw = geometry.compute_metrics(result.landmarks.points_px, scale)
    return {
        "2d": metrics_2d(result.refined_points_px, scale),
        "corrected": dict(result.measurement.metrics),
        "raw": {m: float(raw[m]) for m in METRICS},
    }


# --- statistics -----------------------------------------------------------------------------------


def pm(slope: float, se: float) -> str:
    if not np.isfinite(slope):
        return "-"
    return f"{slope:+.3f} ± {se:.3f}"


# --- 1. pose slopes -------------------------------------------------------------------------------


def collect_clip(report: Report, quick: bool) -> dict | None:
    if not shared(bm.CLIP).exists():
        report.text(
            "The clip (../shared/faces/real/clip) is absent: the pose slopes on video are "
            "skipped.\n"
        )
        return None
    indices, frames, repeats = bm.read_clip(shared(bm.CLIP), *bm.CLIP_FRAMES)
    if quick:
        indices, frames = indices[::3], frames[::3]
    first = [(i, f, measure_pixels(f, file=f"frame {i}")) for i, f in zip(indices, frames)]
    first = [(i, f, r) for i, f, r in first if r.measurement is not None]
    ipd_mm = float(np.median([r.measurement.metrics["interpupillary_mm"] for _, _, r in first]))
    rows = []
    for i, f, r in first:
        rf = measure_pixels(f, file=f"frame {i}", ipd_mm=ipd_mm)
        rows.append(
            {
                "name": f"frame {i}",
                "group": "clip",
                "pose": r.quality.pose,
                "iris_px": bm.iris_px_of(r),
                "status": r.status,
                "iris": three_ways(r),
                "fixed": three_ways(rf),
            }
        )
    return {"rows": rows, "repeats": repeats, "ipd_mm": ipd_mm, "distinct": len(indices)}


def collect_people(report: Report, quick: bool) -> dict | None:
    if not bm.have_shared():
        report.text("../shared/faces is absent: the people photos are skipped.\n")
        return None
    files = sorted(p for p in shared(PEOPLE).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if quick:
        files = files[:4]
    rows = []
    for file in files:
        pixels = open_photo(file, min_long_side_px=DEFAULT_SETTINGS.decode_min_long_side_px).pixels
        r = measure_pixels(pixels, file=file.name)
        if r.measurement is None:
            continue
        # a fixed person scale is not known across photos of different days: use each photo's
        # own iris scale for both columns here
        rows.append(
            {
                "name": f"{file.parent.name}/{file.name}",
                "group": file.parent.name,
                "pose": r.quality.pose,
                "iris_px": bm.iris_px_of(r),
                "status": r.status,
                "reasons": r.reasons,
                "iris": three_ways(r),
            }
        )
    return {"rows": rows}


def slope_table(report: Report, key: str, rows: list[dict], scale_kind: str, grouped: bool) -> dict:
    pitch = np.array([r["pose"].pitch_deg for r in rows])
    yaw = np.array([r["pose"].yaw_deg for r in rows])
    groups = [r["group"] for r in rows] if grouped else None
    out: dict = {}
    table = []
    for m in METRICS:
        row = [m]
        for angle_name, angle in (("pitch", pitch), ("yaw", yaw)):
            for way in WAYS:
                y = np.array([r[scale_kind][way][m] for r in rows])
                slope, se = ols(angle, y, groups)
                out[(m, angle_name, way)] = (slope, se)
                row.append(pm(slope, se))
            # what the correction removed, frame by frame (same frames, same expression)
            diff = np.array([r[scale_kind]["2d"][m] - r[scale_kind]["corrected"][m] for r in rows])
            slope, se = ols(angle, diff, groups)
            out[(m, angle_name, "removed")] = (slope, se)
            row.append(pm(slope, se))
        table.append(row)
    columns = [("metric (unit per deg)", None)]
    columns += [
        (f"{a}: {label}", None)
        for a in ("pitch", "yaw")
        for label in [WAY_LABEL[w] for w in WAYS] + ["2D − corrected"]
    ]
    report.table(key, columns, table)
    return out


def section_slopes(report: Report, quick: bool) -> dict:
    report.text("## 1. Pose slopes: how much pitch and yaw leak into each metric\n")
    report.text(
        "Three ways per frame, all with the same mm-per-px scale as the pipeline's result: "
        "*2D (roll only)* = the refined points rotated in the image plane so that the "
        "interpupillary line is horizontal, heights measured vertically in the image (brow "
        "height: iris centre to a quadratic through the five upper-brow points at the iris's x; "
        "the other metrics: `geometry.compute_metrics` with its 3D rotation replaced by the "
        "identity, which agrees with that brow height to 1e-6); *corrected* = the pipeline "
        "(`geometry.compute_metrics` on the refined points, 3D pose removed); *raw FM corrected* "
        "= the same on the un-refined Face Mesh landmarks; *2D − corrected* = the slope of the "
        "per-frame difference between the first two, i.e. what the correction removes (free of "
        "any expression change that happens to follow the pose, which both share). Cells: OLS "
        "slope ± standard error "
        "(`scipy.stats.linregress`), in the metric's unit per degree. Pose = the pipeline's "
        "(`result.quality.pose`).\n"
    )
    results = {}
    clip = collect_clip(report, quick)
    if clip:
        rows = clip["rows"]
        pitch = np.array([r["pose"].pitch_deg for r in rows])
        yaw = np.array([r["pose"].yaw_deg for r in rows])
        roll = np.array([r["pose"].roll_deg for r in rows])
        iris = np.array([r["iris_px"] for r in rows])
        corr = float(np.corrcoef(pitch, yaw)[0, 1])
        report.text(
            f"### Video clip, frames {bm.CLIP_FRAMES[0]}-{bm.CLIP_FRAMES[1]}\n\n"
            f"{len(rows)} distinct frames with a face ({clip['repeats']} pulldown repeats "
            f"skipped). Pitch {pitch.min():+.1f} to {pitch.max():+.1f} deg (SD {pitch.std():.1f}), "
            f"yaw {yaw.min():+.1f} to {yaw.max():+.1f} deg (SD {yaw.std():.1f}), roll "
            f"{roll.min():+.1f} to {roll.max():+.1f} deg; correlation of pitch and yaw "
            f"{corr:+.2f}. Brow height (left, fixed scale, corrected) spans "
            f"{min(r['fixed']['corrected']['brow_height_left_mm'] for r in rows):.0f}–"
            f"{max(r['fixed']['corrected']['brow_height_left_mm'] for r in rows):.0f} mm: the "
            "performer raises the brows strongly in part of the shot (the raw Face Mesh shows "
            "the same), and does so while the head is less tipped down, so the clip's slopes "
            "against pitch mix expression with pose; the *2D − corrected* column is free of "
            f"that. Iris {np.median(iris):.1f} px (median; {iris.min():.1f}–{iris.max():.1f}), "
            "so every frame fails the quality checks (face too small, blurred) and each frame's "
            "values are noisy; the performer also sings, so expression changes add to the "
            "residual scatter, not to the slopes unless they follow the pose.\n"
        )
        report.text(
            f"**Fixed person scale** (`ipd_mm` = the clip's median interpupillary "
            f"distance, {clip['ipd_mm']:.1f} mm, over the pose-corrected interpupillary "
            f"px):\n"
        )
        results["clip_fixed"] = slope_table(report, "slopes_clip_fixed_scale", rows, "fixed", False)
        report.text("**Iris scale** (the default: each frame's own iris diameter, here ~6.5 px):\n")
        results["clip_iris"] = slope_table(report, "slopes_clip_iris_scale", rows, "iris", False)
        results["clip_range"] = (pitch.min(), pitch.max(), yaw.min(), yaw.max())
        for r in rows:
            report.raw.append(_raw_row("clip", r))
    people = collect_people(report, quick)
    if people:
        rows = people["rows"]
        report.text("### People photos (real/people, default decode, iris scale)\n")
        table = []
        for r in rows:
            p = r["pose"]
            table.append(
                [
                    r["name"],
                    r["iris_px"],
                    p.yaw_deg,
                    p.pitch_deg,
                    p.roll_deg,
                    r["iris"]["2d"]["brow_height_left_mm"],
                    r["iris"]["corrected"]["brow_height_left_mm"],
                    r["iris"]["2d"]["brow_height_right_mm"],
                    r["iris"]["corrected"]["brow_height_right_mm"],
                    "; ".join(r["reasons"]) or "ok",
                ]
            )
            report.raw.append(_raw_row("people", r))
        report.table(
            "people_photos",
            [
                ("photo", None),
                ("iris (px)", "{:.1f}"),
                ("yaw", "{:+.1f}"),
                ("pitch", "{:+.1f}"),
                ("roll", "{:+.1f}"),
                ("brow L 2D", "{:.2f}"),
                ("brow L corrected", "{:.2f}"),
                ("brow R 2D", "{:.2f}"),
                ("brow R corrected", "{:.2f}"),
                ("quality", None),
            ],
            table,
        )
        n_groups = len({r["group"] for r in rows})
        report.text(
            f"Within-person slopes (each person's photos centred on that person's means; "
            f"{len(rows)} photos of {n_groups} people leave {len(rows) - n_groups - 1} degrees of "
            "freedom, and the photos differ in day, light and expression as well as pose, so "
            "these are a rough cross-check only):\n"
        )
        results["people"] = slope_table(report, "slopes_people_within_person", rows, "iris", True)
    return results


def _raw_row(kind: str, r: dict) -> dict:
    out = {
        "section": kind,
        "image": r["name"],
        "status": r["status"],
        "iris_px": r["iris_px"],
        "yaw_deg": r["pose"].yaw_deg,
        "pitch_deg": r["pose"].pitch_deg,
        "roll_deg": r["pose"].roll_deg,
    }
    for scale_kind in ("iris", "fixed"):
        if scale_kind in r:
            for way in WAYS:
                for m in METRICS:
                    out[f"{scale_kind}:{way}:{m}"] = r[scale_kind][way][m]
    return out


# --- 2. roll --------------------------------------------------------------------------------------

rotate = rotate_canvas


def section_roll(report: Report, quick: bool) -> dict:
    report.text("## 2. Roll invariance\n")
    if bm.have_shared():
        name = ROLL_PHOTO.split("/", 2)[-1]
        pixels = np.array(open_photo(shared(ROLL_PHOTO)).pixels)
    else:
        name, pixels = "astronaut x3 (generated)", bm.astronaut(3)
    angles = (-20, -10, 0, 10, 20) if quick else ROLL_ANGLES
    base = measure_pixels(pixels, file=name)
    ipd0 = base.measurement.metrics["interpupillary_mm"]
    base_fixed = measure_pixels(pixels, file=name, ipd_mm=ipd0)
    report.text(
        f"{name} ({pixels.shape[1]} x {pixels.shape[0]}, iris {bm.iris_px_of(base):.1f} px) "
        "rotated in the image plane (cv2.warpAffine, INTER_CUBIC, canvas enlarged to hold the "
        "whole picture; positive = counter-clockwise as displayed, which raises the subject's "
        "left eye, i.e. positive roll). Expected roll = the unrotated photo's roll + the angle. "
        "Metric changes are relative to the unrotated photo, with the iris scale and with the "
        "fixed person scale (`ipd_mm` = the unrotated photo's interpupillary distance); the "
        "rotation resamples the image, so part of the change is resampling noise (compare the "
        "noise floor in bench_measure).\n"
    )
    roll0 = base.quality.pose.roll_deg
    rows, changes = [], {k: {m: [] for m in METRICS} for k in ("iris", "fixed")}
    controls: dict[str, list[float]] = {}
    for angle in angles:
        img = pixels if angle == 0 else rotate(pixels, angle)
        r = measure_pixels(img, file=name)
        rf = measure_pixels(img, file=name, ipd_mm=ipd0)
        if r.measurement is None:
            rows.append(
                [
                    f"{angle:+d}",
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    "no face",
                ]
            )
            continue
        p = r.quality.pose
        for m in METRICS:
            changes["iris"][m].append(r.measurement.metrics[m] - base.measurement.metrics[m])
            changes["fixed"][m].append(
                rf.measurement.metrics[m] - base_fixed.measurement.metrics[m]
            )
        d = r.measurement.metrics
        rows.append(
            [
                f"{angle:+d}",
                p.roll_deg,
                p.roll_deg - roll0 - angle,
                p.yaw_deg,
                p.pitch_deg,
                d["brow_height_left_mm"] - base.measurement.metrics["brow_height_left_mm"],
                d["brow_height_right_mm"] - base.measurement.metrics["brow_height_right_mm"],
                "; ".join(r.reasons) or "ok",
            ]
        )
        report.raw.append(
            {
                "section": "roll",
                "image": name,
                "angle_deg": angle,
                "roll_deg": p.roll_deg,
                "yaw_deg": p.yaw_deg,
                "pitch_deg": p.pitch_deg,
                "status": r.status,
                **{f"iris:{m}": v for m, v in r.measurement.metrics.items()},
                **{f"fixed:{m}": v for m, v in rf.measurement.metrics.items()},
            }
        )
    # control: rotated there and back (net 0 deg), so only the two resamplings remain
    for angle in (a for a in angles if a > 0 and a % 10 == 0):
        img = rotate(rotate(pixels, angle), -angle)
        dy, dx = (img.shape[0] - pixels.shape[0]) // 2, (img.shape[1] - pixels.shape[1]) // 2
        img = np.ascontiguousarray(img[dy : dy + pixels.shape[0], dx : dx + pixels.shape[1]])
        r = measure_pixels(img, file=name)
        if r.measurement is None:
            continue
        p, d = r.quality.pose, r.measurement.metrics
        rows.append(
            [
                f"{angle:+d} then {-angle:+d} (control)",
                p.roll_deg,
                p.roll_deg - roll0,
                p.yaw_deg,
                p.pitch_deg,
                d["brow_height_left_mm"] - base.measurement.metrics["brow_height_left_mm"],
                d["brow_height_right_mm"] - base.measurement.metrics["brow_height_right_mm"],
                "; ".join(r.reasons) or "ok",
            ]
        )
        for m in METRICS:
            controls.setdefault(m, []).append(d[m] - base.measurement.metrics[m])
    report.table(
        "roll_angles",
        [
            ("rotation (deg)", None),
            ("roll measured", "{:+.2f}"),
            ("roll error", "{:+.2f}"),
            ("yaw", "{:+.2f}"),
            ("pitch", "{:+.2f}"),
            ("Δ brow L (mm)", "{:+.2f}"),
            ("Δ brow R (mm)", "{:+.2f}"),
            ("quality", None),
        ],
        rows,
    )
    table = [
        [
            m,
            np.max(np.abs(changes["iris"][m])),
            np.max(np.abs(changes["fixed"][m])),
            np.max(np.abs(controls[m])) if controls.get(m) else float("nan"),
        ]
        for m in METRICS
    ]
    report.text(
        "Largest change of each metric over the rotations (units as in the name); the "
        "last column is the largest change of the controls (rotated and rotated back, "
        "iris scale): resampling alone, no roll.\n"
    )
    report.table(
        "roll_metric_max_change",
        [
            ("metric", None),
            ("max abs Δ, iris scale", "{:.3f}"),
            ("max abs Δ, fixed scale", "{:.3f}"),
            ("control max abs Δ", "{:.3f}"),
        ],
        table,
    )
    errors = np.array([row[2] for row in rows if "control" not in row[0]], dtype=float)
    return {
        "max_roll_error": float(np.nanmax(np.abs(errors))),
        "max_change": {m: (t[1], t[2]) for m, t in zip(METRICS, table)},
    }


# --- 3. synthetic rigid rotations ----------------------------------------------------------------

SYNTHETIC_PHOTOS = (bm.PHONE, "real/people/obama/obama.jpg", "real/people/alex_lacamoire/img1.jpg")
SYNTHETIC_ANGLES = (-15, -10, -5, 5, 10, 15)


_rotation = head_rotation  # render_rotated also comes from tracker.validation


def section_synthetic(report: Report, quick: bool) -> dict | None:
    from scipy.spatial import Delaunay

    report.text("## 3. Synthetic rigid head rotations (no expression change)\n")
    if bm.have_shared():
        photos = [
            (
                rel.split("/")[-2] + "/" + rel.split("/")[-1],
                np.array(open_photo(shared(rel)).pixels),
            )
            for rel in SYNTHETIC_PHOTOS
        ]
    else:
        photos = [("astronaut x3 (generated)", bm.astronaut(3))]
    if quick:
        photos = photos[:1]
    angles = (-10, 10) if quick else SYNTHETIC_ANGLES
    report.text(
        "The clip cannot separate pose from expression (see below), so here a real frontal "
        "photo's face is turned by a known rigid rotation: its Face Mesh surface (478 points "
        "with Face Mesh's own depth, Delaunay-triangulated) is rotated about its centroid, "
        "projected orthographically, and each triangle's texture moved with it; hair, ears and "
        "neck stay put, so the face outline shows seams (contour metrics — jaw angles, lower "
        "face width, asymmetry — are unreliable here; brows, eyes and iris lie well inside the "
        "mesh). The true brow height does not change. Yaw series at pitch 0 and pitch series at "
        "yaw 0, applied angles " + ", ".join(f"{a:+d}" for a in angles) + " deg. Photos at the "
        "default decode: " + ", ".join(n for n, _ in photos) + ". Fixed scale = the unrotated "
        "photo's `interpupillary_mm`. Slopes are against the *measured* change of yaw or pitch "
        "(pooled within photo, ± SE), because Face Mesh's depth is shallower than the project's "
        "reference face, so the pipeline sees only part of the applied turn (gain below).\n"
    )
    records = []
    for name, pixels in photos:
        base = measure_pixels(pixels, file=name)
        if base.measurement is None:
            continue
        ipd0 = base.measurement.metrics["interpupillary_mm"]
        base_fixed = measure_pixels(pixels, file=name, ipd_mm=ipd0)
        points = base.landmarks.points_px
        triangles = Delaunay(points[:, :2]).simplices
        b_iris, b_fixed = three_ways(base), three_ways(base_fixed)
        for series in ("yaw", "pitch"):
            # the unrotated photo is the series' zero point (every change 0 by definition)
            zero = {
                "photo": name,
                "series": series,
                "applied": 0,
                "d_yaw": 0.0,
                "d_pitch": 0.0,
                "d_roll": 0.0,
            }
            records.append(
                zero
                | {f"{k}:{w}:{m}": 0.0 for k in ("iris", "fixed") for w in WAYS for m in METRICS}
            )
            for angle in angles:
                yaw, pitch = (angle, 0) if series == "yaw" else (0, angle)
                img = render_rotated(pixels, points, triangles, _rotation(yaw, pitch))
                ri = measure_pixels(img, file=name)
                rf = measure_pixels(img, file=name, ipd_mm=ipd0)
                if ri.measurement is None or rf.measurement is None:
                    continue
                wi, wf = three_ways(ri), three_ways(rf)
                rec = {
                    "photo": name,
                    "series": series,
                    "applied": angle,
                    "d_yaw": ri.quality.pose.yaw_deg - base.quality.pose.yaw_deg,
                    "d_pitch": ri.quality.pose.pitch_deg - base.quality.pose.pitch_deg,
                    "d_roll": ri.quality.pose.roll_deg - base.quality.pose.roll_deg,
                }
                for way in WAYS:
                    for m in METRICS:
                        rec[f"iris:{way}:{m}"] = wi[way][m] - b_iris[way][m]
                        rec[f"fixed:{way}:{m}"] = wf[way][m] - b_fixed[way][m]
                records.append(rec)
                report.raw.append({"section": "synthetic", "image": name, **rec})
    if not records:
        report.text("No usable renders.\n")
        return None
    # gain: measured change per applied degree
    gain_rows = []
    for series in ("yaw", "pitch"):
        sel = [r for r in records if r["series"] == series]
        other = "pitch" if series == "yaw" else "yaw"
        g, gse = ols(
            [r["applied"] for r in sel], [r[f"d_{series}"] for r in sel], [r["photo"] for r in sel]
        )
        c, cse = ols(
            [r["applied"] for r in sel], [r[f"d_{other}"] for r in sel], [r["photo"] for r in sel]
        )
        gain_rows.append(
            [series, pm(g, gse), pm(c, cse), float(np.max(np.abs([r["d_roll"] for r in sel])))]
        )
    report.table(
        "synthetic_gain",
        [
            ("series", None),
            ("measured / applied", None),
            ("cross-talk into the other angle (deg/deg)", None),
            ("max abs roll change (deg)", "{:.2f}"),
        ],
        gain_rows,
    )
    out = {}
    table = []
    for m in METRICS:
        row = [m]
        for series in ("pitch", "yaw"):
            sel = [r for r in records if r["series"] == series]
            x = [r[f"d_{series}"] for r in sel]
            groups = [r["photo"] for r in sel]
            for way in WAYS:
                slope, se = ols(x, [r[f"fixed:{way}:{m}"] for r in sel], groups)
                out[("fixed", m, series, way)] = (slope, se)
                row.append(pm(slope, se))
            slope, se = ols(x, [r[f"iris:corrected:{m}"] for r in sel], groups)
            out[("iris", m, series, "corrected")] = (slope, se)
            row.append(pm(slope, se))
        table.append(row)
    columns = [("metric (unit per measured deg)", None)]
    for series in ("pitch", "yaw"):
        columns += [(f"{series}: {WAY_LABEL[w]}", None) for w in WAYS]
        columns += [(f"{series}: corrected, iris scale", None)]
    report.text(
        "Slopes with the fixed scale (and, last column of each group, the pipeline's "
        "default iris scale):\n"
    )
    report.table("synthetic_slopes", columns, table)
    rows = []
    for series in ("pitch", "yaw"):
        for angle in angles:
            sel = [r for r in records if r["series"] == series and r["applied"] == angle]
            if not sel or angle == 0:
                continue
            rows.append(
                [f"{series} {angle:+d}", float(np.mean([r[f"d_{series}"] for r in sel]))]
                + [
                    float(np.mean([r[f"fixed:{w}:{m}"] for r in sel]))
                    for m in BROWS
                    for w in ("2d", "corrected")
                ]
                + [float(np.mean([r["iris:corrected:interpupillary_mm"] for r in sel]))]
            )
    report.text(
        "Per applied angle, mean over the photos (fixed scale; the last column is the "
        "iris-scale interpupillary distance's change, i.e. the iris scale's own pose "
        "error):\n"
    )
    report.table(
        "synthetic_angles",
        [
            ("applied (deg)", None),
            ("measured change (deg)", "{:+.1f}"),
            ("Δ brow L 2D (mm)", "{:+.2f}"),
            ("Δ brow L corrected (mm)", "{:+.2f}"),
            ("Δ brow R 2D (mm)", "{:+.2f}"),
            ("Δ brow R corrected (mm)", "{:+.2f}"),
            ("Δ IPD, iris scale (mm)", "{:+.2f}"),
        ],
        rows,
    )
    return out


# --- 4. tolerances --------------------------------------------------------------------------------


def _noise_mdc95() -> dict[str, float] | None:
    """Brow height MDC95 (iris and fixed scale) from bench_measure's CSV, when it has been run."""
    path = bm.RESULTS / "bench_measure.csv"
    if not path.exists():
        return None
    out = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["table"] == "noise_floor" and row["row"] in BROWS and "MDC95" in row["column"]:
                out[f"{row['row']}|{row['column']}"] = float(row["value"])
    return out or None


def section_tolerances(report: Report, slopes: dict, synthetic: dict | None) -> None:
    report.text(
        "## 4. What the pose limits still allow (max_abs_yaw_deg = max_abs_pitch_deg = "
        "10, max_abs_roll_deg = 20)\n"
    )
    rows = []
    if synthetic:
        for scale_kind in ("fixed", "iris"):
            for m in BROWS:
                row = [f"synthetic renders: {m}, {scale_kind} scale, corrected"]
                for angle in ("pitch", "yaw"):
                    s_, se = synthetic[(scale_kind, m, angle, "corrected")]
                    row.append(
                        f"{10 * s_:+.2f} ({10 * (s_ - 1.96 * se):+.2f} to "
                        f"{10 * (s_ + 1.96 * se):+.2f})"
                    )
                rows.append(row)
        for m in BROWS:
            row = [f"synthetic renders: {m}, fixed scale, 2D (no correction)"]
            for angle in ("pitch", "yaw"):
                s_, se = synthetic[("fixed", m, angle, "2d")]
                row.append(
                    f"{10 * s_:+.2f} ({10 * (s_ - 1.96 * se):+.2f} to {10 * (s_ + 1.96 * se):+.2f})"
                )
            rows.append(row)
    if "clip_fixed" in slopes:
        for m in BROWS:
            for way, label in (
                ("removed", "removed by the correction (2D − corrected)"),
                ("corrected", "corrected, confounded by expression"),
            ):
                row = [f"clip: {m}, fixed scale, {label}"]
                for angle in ("pitch", "yaw"):
                    s_, se = slopes["clip_fixed"][(m, angle, way)]
                    row.append(
                        f"{10 * s_:+.2f} ({10 * (s_ - 1.96 * se):+.2f} to "
                        f"{10 * (s_ + 1.96 * se):+.2f})"
                    )
                rows.append(row)
    if not rows:
        report.text("Neither the clip nor the photos are available: no slopes to state.\n")
        return
    report.text(
        "Change in brow height caused by a 10 deg pitch or yaw = 10 x slope (mm), with "
        "its 95 % interval 10 x (slope ± 1.96 SE). The synthetic renders are the clean "
        "estimate (rigid turn, no expression; slope per measured degree). On the clip "
        "only the part removed by the correction is clean: the performer raises the "
        "brows while the head comes up, so the clip's corrected slope mixes expression "
        "with any residual pose error.\n"
    )
    report.table(
        "tolerance_10deg",
        [("source", None), ("10 deg pitch (mm)", None), ("10 deg yaw (mm)", None)],
        rows,
    )
    mdc = _noise_mdc95()
    if mdc:
        report.text(
            "For comparison, brow-height MDC95 from benchmarks/results/bench_measure.csv: "
            + ", ".join(f"{k.replace('|', ' ')} {v:.2f} mm" for k, v in mdc.items())
            + ".\n"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (smoke test)")
    args = parser.parse_args()
    started = time.perf_counter()
    report = Report("bench_pose", args.quick)
    report.text("# bench_pose" + (" (--quick)" if args.quick else "") + "\n")
    report.text(environment() + "\n")
    fingerprint = bm.tracker_fingerprint()
    if not bm.have_shared():
        report.text(
            "**../shared/faces is absent: only images generated from "
            "skimage.data.astronaut() are used (roll invariance, synthetic rotations); "
            "the pose slopes need the clip and the people photos.**\n"
        )
    slopes = section_slopes(report, args.quick)
    section_roll(report, args.quick)
    synthetic = section_synthetic(report, args.quick)
    section_tolerances(report, slopes, synthetic)
    bm.check_unchanged(report, fingerprint)
    report.text(f"Total run time: {time.perf_counter() - started:.0f} s.")
    path = report.write()
    print(f"\nwritten: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
