"""`facetrack trend` run in-process on a library of synthetic measurements.

The library is built by the real import (files copied, dated from their names, stored) with
``fake_measure``, which reads each photo's brow heights from its file name instead of
running the model, so that the effects in the library are known exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from tracker import Library, import_photos
from tracker.analysis import TABLE_COLUMNS
from tracker.cli import main
from tracker.metrics.geometry import METRIC_NAMES
from tracker.types import Measurement, PhotoResult, Pose, Quality

DAY0 = datetime(2026, 2, 2)  # the first session's day
SESSION_DAYS = [w * 7 + d for w in range(5) for d in (0, 2, 4)]  # 15 sessions, days 0-32
LAST_DAY = 40
IPD_MM = 62.0  # every photo's interpupillary distance and face scale: the person scale leaves
# mm unchanged
_NAME = re.compile(r"_b(?P<left>\d+)_(?P<right>\d+)")
LEFT, RIGHT = "brow_height_left_mm", "brow_height_right_mm"


def fake_measure(path, *, mirrored: bool = False) -> PhotoResult:
    """A measurement read from the file name ``..._b<left µm>_<right µm>[_smiling|_turned]``:
    the two brow heights as named, interpupillary_mm = face_scale_mm = 62 mm, every other
    metric a fixed
    value plus 0.1 of noise seeded by the name. "smiling" or "turned" in the name rejects
    the photo with that reason."""
    name = Path(path).name
    match = _NAME.search(name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    metrics = {metric: 10.0 + i + rng.normal(0, 0.1) for i, metric in enumerate(METRIC_NAMES)}
    metrics.update(
        {
            LEFT: int(match["left"]) / 1000,
            RIGHT: int(match["right"]) / 1000,
            "interpupillary_mm": IPD_MM,
            "face_scale_mm": IPD_MM,
        }
    )
    reasons = ()
    if "smiling" in name:
        reasons = ("smiling",)
    elif "turned" in name:
        reasons = ("head turned: yaw +14.0 deg (limit +/-10)",)
    pose = Pose(0.0, 0.0, 0.0)
    return PhotoResult(
        file=str(path),
        status="rejected" if reasons else "ok",
        reasons=reasons,
        quality=Quality(pose=pose, scores={"sharpness": 100.0}, reasons=reasons),
        measurement=Measurement(metrics, 0.3, "iris"),
        photo_size_px=(2, 2),
    )


def write_photos(folder: Path, seed: int = 0) -> dict[str | None, list[Path]]:
    """Tiny distinct PNGs named IMG_<date>_<time>_b<left>_<right>.png, grouped by session tag.

    - Every day from -7 to 40 (baseline: days -7 to -1, 2026-01-26 to 02-01), two photos at
      08:00:00 and 08:00:30.
    - 15 sessions (3 a week, days 0-32, at 19:00), each with a photo tagged "before" at 18:50
      and one tagged "after" at 19:30.
    - Left brow: 17 mm + a cumulative effect rising linearly to +1.5 mm at day 28, then flat,
      + 1.0 mm on "after" photos; right brow: 16 mm; both with normal noise of SD 0.3 mm.
    - 5 rejected photos (3 "smiling", 2 "turned") whose left brow reads 22 mm.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    groups: dict[str | None, list[Path]] = {None: [], "before": [], "after": []}

    def add(when: datetime, tag=None, boost: float = 0.0, suffix: str = "") -> None:
        day = (when - DAY0) / timedelta(days=1)
        left = 17.0 + 1.5 * min(max(day, 0.0) / 28.0, 1.0) + boost + rng.normal(0, 0.3)
        if suffix:
            left = 22.0
        right = 16.0 + rng.normal(0, 0.3)
        index = sum(len(g) for g in groups.values())
        path = folder / (
            f"IMG_{when:%Y%m%d_%H%M%S}_b{round(left * 1000)}_{round(right * 1000)}{suffix}.png"
        )
        Image.fromarray(np.full((2, 2, 3), (index % 256, index // 256, 7), np.uint8)).save(path)
        groups[tag].append(path)

    for day in range(-7, LAST_DAY + 1):
        morning = DAY0 + timedelta(days=day, hours=8)
        add(morning)
        add(morning + timedelta(seconds=30))
        if day in SESSION_DAYS:
            add(DAY0 + timedelta(days=day, hours=18, minutes=50), "before")
            add(DAY0 + timedelta(days=day, hours=19, minutes=30), "after", boost=1.0)
    for day, kind in [
        (-5, "_smiling"),
        (3, "_smiling"),
        (20, "_smiling"),
        (10, "_turned"),
        (30, "_turned"),
    ]:
        add(DAY0 + timedelta(days=day, hours=9), suffix=kind)
    return groups


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory) -> Path:
    """A library with the photos of ``write_photos`` imported (one worker, dated from the
    file names) and the 15 sessions logged at 19:00 for 20 minutes."""
    root = tmp_path_factory.mktemp("trend")
    groups = write_photos(root / "photos")
    path = root / "library"
    with Library(path) as library:
        for tag, files in groups.items():
            summary = import_photos(library, files, session=tag, workers=1, measure=fake_measure)
            assert summary.ok
        for day in SESSION_DAYS:
            library.log_session(DAY0 + timedelta(days=day, hours=19), minutes=20, mode="lift")
    return path


def run(*args):
    return CliRunner().invoke(main, ["trend", *[str(a) for a in args]])


def records(library_dir, *args) -> dict[tuple[str, str], dict]:
    result = run("--json", "--library", library_dir, *args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {(r["metric"], r["window"]): r for r in lines}


def test_json_keys_and_values(library_dir):
    """--json prints one object per metric and window with the documented keys; the known
    effects come back: +1.0 mm right after the 15 sessions, +1.1 mm over days 14-28 and
    +1.5 mm after day 28, all detectable; the right brow has no detectable change."""
    table = records(library_dir)
    metrics = [m for m in METRIC_NAMES if m not in ("interpupillary_mm", "face_scale_mm")]
    assert list(table) == [(m, w) for m in metrics for w in ("immediate", "2-4 weeks", "long term")]
    first = table[(LEFT, "immediate")]
    assert list(first) == TABLE_COLUMNS
    assert first["n_sessions"] == 15 and first["n_photos"] == 30 and first["n_baseline"] is None
    assert first["n_days"] is None
    assert abs(first["change"] - 1.0) <= 0.25 and first["detectable"] is True
    two_four = table[(LEFT, "2-4 weeks")]
    assert two_four["n_days"] == 15 and two_four["n_baseline"] == 8  # days -7 to -1 and day 0
    assert abs(two_four["change"] - 1.5 * 21 / 28) <= 0.3 and two_four["detectable"] is True
    long_term = table[(LEFT, "long term")]
    assert long_term["n_days"] == 12 and abs(long_term["change"] - 1.5) <= 0.3
    assert long_term["n_photos"] == 12 * 2 + 2  # and the "before" photos of days 30 and 32
    assert long_term["detectable"] is True
    assert long_term["ci_low"] < long_term["change"] < long_term["ci_high"]
    assert long_term["slope_per_week"] > 0 and long_term["noise_source"] == "repeat photos"
    assert long_term["mdc"] == pytest.approx(1.96 * 2**0.5 * long_term["sem"], abs=2e-4)
    assert not any(table[(RIGHT, w)]["detectable"] for w in ("immediate", "2-4 weeks", "long term"))
    # issue 15: primary and exploratory outcomes, and the raw and controlled figures
    assert first["outcome"] == "primary"
    assert table[("eye_aperture_left_mm", "2-4 weeks")]["outcome"] == "exploratory"
    assert 0 <= first["p_value"] <= first["p_adjusted"] <= 0.05
    assert 0 < first["threshold"] < first["change"]


def test_json_metric_filter_and_baseline_until(library_dir):
    """--metric keeps the named metrics only; --baseline-until moves the baseline's end."""
    table = records(library_dir, "--metric", LEFT, "--baseline-until", "2026-01-29")
    assert list(table) == [(LEFT, "immediate"), (LEFT, "2-4 weeks"), (LEFT, "long term")]
    assert table[(LEFT, "2-4 weeks")]["n_baseline"] == 4


def test_json_too_few_photos(library_dir):
    """A baseline of one day is too small: detectable is null and the note says why."""
    table = records(library_dir, "--metric", LEFT, "--baseline-until", "2026-01-26")
    row = table[(LEFT, "2-4 weeks")]
    assert row["detectable"] is None and row["change"] is None
    assert row["note"] == (
        "not enough photos: need at least 3 days in the window and 3 baseline days (have 15 and 1)"
    )


def test_csv(library_dir):
    """--csv prints the window table: the documented header and one row per metric and
    window."""
    result = run("--csv", "--metric", LEFT, "--metric", RIGHT, "--library", library_dir)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == TABLE_COLUMNS
    assert [(r["metric"], r["window"]) for r in rows] == [
        (m, w) for m in (LEFT, RIGHT) for w in ("immediate", "2-4 weeks", "long term")
    ]
    assert rows[0]["detectable"] == "True" and rows[3]["detectable"] == "False"


def test_readable_table_and_sentences(library_dir):
    """Without --json or --csv: what the baseline is, the sessions, the noise floor, whether
    the capture was undone (this library's photos all share one capture: nothing to learn)
    and the photos left out by reason, then the table, then the plain-language sentences."""
    result = run("--metric", LEFT, "--metric", RIGHT, "--library", library_dir)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "Design: whole-face (each metric against its baseline).",
        "Baseline (before the first session): 8 days of photos, 2026-01-26 to 2026-02-02.",
        "Treatment: 15 sessions logged, the first on 2026-02-02 (day 0).",
        "Noise floor (MDC95 = 1.96 x sqrt(2) x SEM): from repeat photos taken the same day "
        "(upper 95% bound).",
        "Capture: 2 metrics of the brows left as measured (steady within weeks (SD 0, needs "
        "1.5): nothing to learn).",
        "5 photos left out: 3 smiling, 2 head turned.",
        "",
    ]
    assert lines[7].split() == [
        "metric",
        "window",
        "n",
        "change",
        "95%",
        "CI",
        "threshold",
        "detectable",
        "slope/week",
        "outcome",
    ]
    assert lines[8].split()[:6] == ["Brow", "height", "(left),", "mm", "immediate", "15"]
    assert re.fullmatch(
        r"Brow height \(left\) \+[01]\.\d\d mm \(95% CI [01]\.\d\d to [01]\.\d\d\) right after a "
        r"session \(mean of 15 sessions\), above the 0\.\d\d mm detection threshold\.",
        lines[15],
    )
    assert any(
        re.fullmatch(
            r"Brow height \(right\) [+-]0\.\d\d mm \(95% CI .*\) after 2–4 "
            r"weeks, within the 0\.\d\d mm detection threshold: not a "
            r"detectable change\.",
            line,
        )
        for line in lines
    )
    assert lines[-1] == "L/R: the subject's own left and right."


def test_readable_many_metrics_combined(library_dir):
    """With every metric, the metrics without a detectable change share one line per window
    and the noise floor line says where each metric's SEM comes from."""
    result = run("--library", library_dir)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # the other metrics' photo noise is 0.1: its upper bound exceeds the 2-D floor of one
    # (asymmetry_pct), the 2-D floors of the other 19 exceed it
    assert lines[3] == (
        "Noise floor (MDC95 = 1.96 x sqrt(2) x SEM): from repeat photos taken "
        "the same day (upper 95% bound) (4 metrics); the 2-D benchmark's "
        "floor, as repeat photos varied less (19 metrics)."
    )
    quiet = [line for line in lines if line.startswith("No detectable change")]
    assert len(quiet) == 3
    assert quiet[1].startswith(
        "No detectable change after 2–4 weeks (within the detection "
        "threshold): Brow height (right) "
    )
    # 14 before the jaw outline's six contour and jowl metrics (and the jaw angles and lower
    # face width, whose floors changed with it), 26 with the two jaw contour angles
    assert quiet[1].count(" mm") + quiet[1].count(" deg") + quiet[1].count("%") == 26


def test_errors(library_dir, tmp_path):
    """An unknown metric, --json with --csv, a bad date and a missing library are refused
    with one-line messages."""
    result = run("--metric", "nose_mm", "--library", library_dir)
    assert result.exit_code == 2 and "'nose_mm' is not a metric" in result.output
    result = run("--json", "--csv", "--library", library_dir)
    assert result.exit_code == 2 and "give --json or --csv, not both" in result.output
    result = run("--baseline-until", "soon", "--library", library_dir)
    assert result.exit_code == 2 and "'soon' is not a date" in result.output
    result = run("--library", tmp_path / "none")
    assert result.exit_code == 1
    assert result.output.startswith("error: no library at")


def test_empty_library(tmp_path):
    """A library without photos says there are not enough photos, window by window."""
    Library(tmp_path / "empty").close()
    result = run("--metric", LEFT, "--library", tmp_path / "empty")
    assert result.exit_code == 0, result.output
    assert "Baseline (no photos): no photos." in result.stdout
    assert (
        "Not enough photos yet for 2–4 weeks: need at least 3 days in the window and 3 "
        "baseline days (have 0 and 0)."
    ) in result.stdout


def test_metric_of_an_earlier_version(library_dir):
    """--metric still takes the mouth corner's height of earlier versions: it reports the
    elevation that replaced it."""
    table = records(library_dir, "--metric", "mouth_corner_height_left_mm")
    assert {metric for metric, _ in table} == {"mouth_corner_elevation_left_mm"}


def test_levers_of_a_library_held_steady(library_dir):
    """`trend --levers`: every photo of this library was taken at yaw 0 and pitch 0 with no
    camera distance known, so no lever is learnt: one row per capture-adjusted front metric
    and capture (15 x 3; it holds no profile, whose metrics would have one row, the
    posture), none used, each with its reason; the text names them the same way."""
    from tracker.analysis.levers import LEVER_COLUMNS
    from tracker.metrics import registry

    result = run("--levers", "--json", "--library", library_dir)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    adjusted = registry.names(capture_adjusted=True, view="front")
    assert len(rows) == 3 * len(adjusted)
    assert {r["metric"] for r in rows} == set(adjusted)
    assert set(rows[0]) == {c for c in LEVER_COLUMNS if not c.startswith("cov_")}
    assert not any(r["used"] for r in rows)
    by = {(r["metric"], r["covariate"]): r for r in rows}
    turn = by["jaw_angle_left_deg", "yaw_deg"]
    assert turn["spread"] == 0.0 and "steady within weeks" in turn["note"]
    assert (
        "recorded for fewer than 12" in by["jaw_angle_left_deg", "inverse_distance_per_m"]["note"]
    )
    text = run("--levers", "--library", library_dir)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0].split()[:3] == ["metric", "capture", "slope"]
    assert "no: steady within weeks" in text.output
