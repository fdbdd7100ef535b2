"""The whole run (``facetrack validate``): inputs, the four studies and the capture-geometry
study, then the report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from tracker.metrics.scale import PERSON_SCALE_METRIC
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.validation.head3d import STUDY_OFFSETS_PX
from tracker.validation.inputs import (
    bundled_photos,
    photos_from_folders,
)
from tracker.validation.plan import (
    CAPTURE_COLUMNS,
    FULL_PLAN,
    METRICS,
    QUICK_PLAN,
    TABLE_COLUMNS,
)
from tracker.validation.report import (
    ValidationReport,
    detail_rows,
    report_markdown,
)
from tracker.validation.stats import (
    person_scaled,
    same_picture,
)
from tracker.validation.studies import (
    clip_noise,
    image_rejection,
    measure_image,
    pose_tolerances,
    run_noise,
    run_roll,
    run_sensitivity,
    run_speed,
    run_turns,
    summarise_noise,
    summarise_pose,
    summarise_sensitivity,
    warped_metric,
)

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
        3-D brow lifts, per metric; and the profile study on it
        (:mod:`tracker.validation.profile`): the chin-neck angle's truth, a known change,
        selfie noise, refusals.
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
        base = measure_image(photo.pixels, photo.name)
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
    profile = levers = depths = None
    if capture_study:
        from tracker.validation.levers import (
            DEPTH_GAINS,
            capture_lever_study,
            depth_lever_study,
        )
        from tracker.validation.profile import run_profile_study

        # the project's own head (gain 1) is the study above
        other_depths = tuple(g for g in DEPTH_GAINS if g != 1.0)

        profile = run_profile_study(quick=quick, progress=say)
        say("3-D head: capture levers (turn, nod, distance learnt from a selfie series)")
        levers = (
            capture_lever_study(12, offsets=STUDY_OFFSETS_PX[:2])
            if quick
            else capture_lever_study(24)
        )
        if not quick:
            say("3-D heads of other depth: the brows' capture levers")
            depths = depth_lever_study(other_depths, 24)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    # face_scale_mm is the fixed scale itself: its person-scaled value cannot vary
    for column in ("noise_sd", "sem", "mdc95", "pose_slope_per_deg"):
        table.loc[table["metric"] == PERSON_SCALE_METRIC, column] = float("nan")

    details = detail_rows(sens_records, sens, noise_runs, noise, pose, clip_result, speed)
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
    markdown = report_markdown(
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
            "metric": warped_metric("jaw", r["side"]),
            "true": 0.0,
            "shift_mm": r["size_mm"],
            "reported": r["change"][warped_metric("jaw", r["side"])],
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
    if profile is not None:
        from tracker.validation.profile import profile_details, profile_markdown

        markdown += "\n\n" + profile_markdown(profile)
        details += profile_details(profile)
    if levers is not None:
        from tracker.validation.levers import lever_markdown, lever_table

        markdown += "\n\n" + lever_markdown(levers)
        for row in lever_table(levers).to_dict("records"):
            for quantity, value in row.items():
                if quantity != "metric":
                    details.append(
                        {
                            "section": "capture_levers",
                            "item": "3-D head",
                            "metric": row["metric"],
                            "quantity": quantity,
                            "value": f"{value:.6g}",
                        }
                    )
    if depths is not None:
        from tracker.validation.levers import depth_markdown, depth_table

        markdown += "\n\n" + depth_markdown(depths)
        for row in depth_table(depths).to_dict("records"):
            for quantity, value in row.items():
                if quantity not in ("metric", "depth_gain"):
                    details.append(
                        {
                            "section": "capture_levers_depth",
                            "item": f"3-D head, face {row['depth_gain']:g} x as deep",
                            "metric": row["metric"],
                            "quantity": quantity,
                            "value": f"{value:.6g}",
                        }
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
