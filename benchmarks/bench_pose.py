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
from tracker.validation import ValidationPhoto, ols, read_clip  # noqa: E402
from tracker.validation.studies import (  # noqa: E402
    measure_image,
    photo_iris_px,
    run_roll,
    run_turns,
    summarise_pose,
)

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


def metrics_2d(points_px: np.ndarray, scale: float) -> dict[str, float]:
    """Every metric measured in the image plane with only the roll removed: the face frame
    with the identity rotation (no 3D pose; its level angle still removes the roll)."""
    from tracker.metrics.frame import _with_rotation

    pts = np.asarray(points_px, dtype=np.float64)[None]
    frame = _with_rotation(pts, np.eye(3)[None])
    values = geometry.compute_metrics(pts, scale, frame=frame)
    out = {m: float(values[m][0]) for m in METRICS}
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
    indices, frames, repeats = read_clip(shared(bm.CLIP), *bm.CLIP_FRAMES)
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


def section_roll(report: Report, quick: bool) -> dict:
    report.text("## 2. Roll invariance\n")
    if bm.have_shared():
        (photo,) = bm.validation_photos([ROLL_PHOTO])
    else:
        photo = ValidationPhoto("astronaut x3 (generated)", "astronaut", bm.astronaut(3))
    angles = (-20, -10, 10, 20) if quick else tuple(a for a in ROLL_ANGLES if a != 0)
    base = measure_image(photo.pixels, photo.name)
    if base is None:
        report.text(f"{photo.name}: no face: skipped.\n")
        return {}
    report.text(
        f"The validation's roll study (`tracker.validation.studies.run_roll`, as `facetrack "
        f"validate` runs it) on {photo.name} ({photo.pixels.shape[1]} x "
        f"{photo.pixels.shape[0]}, iris {photo_iris_px(base):.1f} px): the photo rotated in "
        "its plane (`rotate_canvas`: INTER_CUBIC, canvas enlarged to hold the whole picture; "
        "positive = counter-clockwise as displayed, which raises the subject's left eye, i.e. "
        "positive roll). Roll error = the measured roll's change minus the applied angle. "
        "Metric changes are relative to the unrotated photo, on its person scale "
        "(`face_scale_mm`); the rotation resamples the image, so part of the change is "
        "resampling noise (compare the noise floor in bench_measure).\n"
    )
    records = run_roll(photo, base, angles)
    rows = []
    for r in records:
        rows.append(
            [
                f"{r['applied']:+g}",
                r["d_roll"],
                r["d_roll"] - r["applied"],
                r["change"]["brow_height_left_mm"],
                r["change"]["brow_height_right_mm"],
            ]
        )
        report.raw.append(
            {
                "section": "roll",
                "image": photo.name,
                "angle_deg": r["applied"],
                "roll_change_deg": r["d_roll"],
                **{f"fixed:{m}": v for m, v in r["change"].items()},
            }
        )
    report.table(
        "roll_angles",
        [
            ("rotation (deg)", None),
            ("roll change measured", "{:+.2f}"),
            ("roll error", "{:+.2f}"),
            ("Δ brow L (mm)", "{:+.2f}"),
            ("Δ brow R (mm)", "{:+.2f}"),
        ],
        rows,
    )
    pose = summarise_pose(records, [], [])
    if not records:
        report.text("No rotated version had a face.\n")
        return {}
    report.text(
        "Each metric against the applied roll (`summarise_pose`: slope ± SE, the unrotated "
        "photo as its zero point) and its largest change over the rotations (units as in "
        "the name):\n"
    )
    report.table(
        "roll_metric_max_change",
        [("metric", None), ("slope per deg", None), ("max abs Δ, fixed scale", "{:.3f}")],
        [[m, pm(*pose["roll"][m]), pose["roll_max_change"][m]] for m in METRICS],
    )
    return {"max_roll_error": pose["roll_error_max"], "max_change": pose["roll_max_change"]}


# --- 3. synthetic rigid rotations ----------------------------------------------------------------

SYNTHETIC_PHOTOS = (bm.PHONE, "real/people/obama/obama.jpg", "real/people/alex_lacamoire/img1.jpg")
SYNTHETIC_ANGLES = (-15, -10, -5, 5, 10, 15)


def section_synthetic(report: Report, quick: bool) -> dict | None:
    report.text("## 3. Synthetic rigid head rotations (no expression change)\n")
    if bm.have_shared():
        photos = bm.validation_photos(SYNTHETIC_PHOTOS)
    else:
        photos = [ValidationPhoto("astronaut x3 (generated)", "astronaut", bm.astronaut(3))]
    if quick:
        photos = photos[:1]
    angles = (-10, 10) if quick else SYNTHETIC_ANGLES
    report.text(
        "The clip cannot separate pose from expression (see above), so the validation's "
        "rigid-turn study (`tracker.validation.studies.run_turns`, as `facetrack validate` "
        "runs it) turns a real frontal photo's face by a known rotation: its Face Mesh surface "
        "(478 points with Face Mesh's own depth, Delaunay-triangulated) is rotated, projected "
        "and each triangle's texture moved with it; hair, ears and neck stay put, so the face "
        "outline shows seams (contour metrics — jaw angles, lower face width, asymmetry — are "
        "unreliable here; brows, eyes and iris lie well inside the mesh). The true brow height "
        "does not change. Yaw series at pitch 0 and pitch series at yaw 0, applied angles "
        + ", ".join(f"{a:+d}" for a in angles)
        + " deg. Photos at the default decode: "
        + ", ".join(p.name for p in photos)
        + ". Metrics on each photo's person scale (`face_scale_mm`), through the pipeline's "
        "pose-corrected face frame. Slopes (`summarise_pose`) are against the *measured* "
        "change of yaw or pitch (pooled within photo, each photo's unturned version as its "
        "zero point, ± SE), because Face Mesh's depth is shallower than the project's "
        "reference face, so the pipeline sees only part of the applied turn (gain below).\n"
    )
    records = []
    for photo in photos:
        base = measure_image(photo.pixels, photo.name)
        if base is None:
            continue
        found = run_turns(photo, base, angles)
        records += found
        for r in found:
            report.raw.append(
                {
                    "section": "synthetic",
                    "image": photo.name,
                    "axis": r["axis"],
                    "applied_deg": r["applied"],
                    "pitch_change_deg": r["d_pitch"],
                    "yaw_change_deg": r["d_yaw"],
                    **{f"fixed:{m}": v for m, v in r["change"].items()},
                }
            )
    if not records:
        report.text("No usable renders.\n")
        return None
    pose = summarise_pose([], records, [])
    report.table(
        "synthetic_gain",
        [("series", None), ("measured / applied", None)],
        [[axis, pm(*pose[f"{axis}_gain"])] for axis in ("pitch", "yaw") if f"{axis}_gain" in pose],
    )
    report.text("Slopes per measured degree (person scale, pose-corrected):\n")
    report.table(
        "synthetic_slopes",
        [("metric (unit per measured deg)", None), ("pitch", None), ("yaw", None)],
        [
            [
                m,
                pm(*pose["pitch"].get(m, (np.nan, np.nan))),
                pm(*pose["yaw"].get(m, (np.nan, np.nan))),
            ]
            for m in METRICS
        ],
    )
    rows = []
    for axis in ("pitch", "yaw"):
        for angle in angles:
            sel = [r for r in records if r["axis"] == axis and r["applied"] == angle]
            if not sel:
                continue
            rows.append(
                [f"{axis} {angle:+d}", float(np.mean([r[f"d_{axis}"] for r in sel]))]
                + [float(np.mean([r["change"][m] for r in sel])) for m in BROWS]
            )
    report.text("Per applied angle, mean over the photos (person scale):\n")
    report.table(
        "synthetic_angles",
        [
            ("applied (deg)", None),
            ("measured change (deg)", "{:+.1f}"),
            ("Δ brow L (mm)", "{:+.2f}"),
            ("Δ brow R (mm)", "{:+.2f}"),
        ],
        rows,
    )
    return {(m, axis): pose[axis][m] for axis in ("pitch", "yaw") for m in pose[axis]}


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
        for m in BROWS:
            row = [f"synthetic renders: {m}, person scale, corrected"]
            for angle in ("pitch", "yaw"):
                s_, se = synthetic[(m, angle)]
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
