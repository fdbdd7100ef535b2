"""Tests of the ``facetrack`` command line, run in-process with click's CliRunner.

The core tests build their photos in a temporary folder from skimage's astronaut (a real face,
measured as "rejected" because she smiles with an open mouth), a left-right flipped copy, an
empty file and a text file named .jpg. The test marked ``needs_shared`` also reads the real
bad files in ../shared/faces/bad.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED, needs_shared
from PIL import Image
from skimage import data

import tracker.pipeline
from tracker.cli import main, result_record
from tracker.landmarks import indices as ix
from tracker.metrics.geometry import METRIC_NAMES
from tracker.overlay import overlay_geometry
from tracker.pipeline import measure_photo
from tracker.types import Measurement, PhotoResult, Pose, Quality

# what each rejection asks a person to do, as published (tracker.types.ReasonCode.advice)
ADVICE = {
    "mouth_open": "close your lips and relax your mouth",
    "smiling": "relax your mouth: a neutral face, no smile",
    "face_too_small": "hold the phone closer, or import the full-size photo",
    "jaw_edge_missing": "keep hair, a beard or a collar off your jawline",
}
RECORD_KEYS = {
    "file",
    "status",
    "view",
    "profile_side",
    "reasons",
    "advice",
    "pose",
    "scale_mm_per_px",
    "scale_source",
    "decode_scale",
    "camera_distance_mm",
    "focal_source",
    "quality",
    "metrics",
}
EXAMPLE = "Example: facetrack measure ~/Pictures/selfies --overlay out/"
NOT_AN_IMAGE = "not an image file (unrecognised format)"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with astronaut.png (512x512 RGB face), flipped.png (the same, left-right
    flipped), empty.jpg (0 bytes), not_an_image.jpg (text) and notes.txt (text, not a photo)."""
    root = tmp_path_factory.mktemp("photos")
    astronaut = data.astronaut()
    Image.fromarray(astronaut).save(root / "astronaut.png")
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(root / "flipped.png")
    (root / "empty.jpg").write_bytes(b"")
    (root / "not_an_image.jpg").write_text("hello, I am not a JPEG\n")
    (root / "notes.txt").write_text("not a photo\n")
    return root


@pytest.fixture
def run(folder, monkeypatch):
    """Run ``facetrack ARGS`` in-process with the photo folder as the working directory."""
    monkeypatch.chdir(folder)
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return invoke


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_json_gives_one_object_per_photo(run):
    """--json prints exactly one parseable object per photo with the documented keys, goes on
    after bad files, reports their reasons, prints nothing on stderr, and exits 1."""
    result = run("measure", "astronaut.png", "empty.jpg", "not_an_image.jpg", "--json")
    assert result.exit_code == 1
    assert result.stderr == ""
    astronaut, empty, text = records(result.stdout)
    for record in (astronaut, empty, text):
        assert set(record) == RECORD_KEYS
    assert [r["file"] for r in (astronaut, empty, text)] == [
        "astronaut.png",
        "empty.jpg",
        "not_an_image.jpg",
    ]

    assert astronaut["status"] == "rejected"
    assert "mouth open" in astronaut["reasons"]
    assert set(astronaut["pose"]) == {"yaw_deg", "pitch_deg", "roll_deg"}
    assert astronaut["scale_source"] == "iris" and astronaut["decode_scale"] == 1.0
    assert 0.5 < astronaut["scale_mm_per_px"] < 3.0
    assert astronaut["quality"]["iris_px"] > 5
    # a PNG carries no focal length: a phone front camera's 26 mm equivalent is assumed, and
    # the distance is the pinhole's f x 11.71 mm / iris (512 x 512 px: f = 26 / 43.267 x 724)
    assert astronaut["focal_source"] == "default-front-camera"
    focal_px = 26.0 / 43.267 * math.hypot(512, 512)
    assert astronaut["camera_distance_mm"] == pytest.approx(
        focal_px * 11.71 / astronaut["quality"]["iris_px"], rel=0.002
    )
    metrics = astronaut["metrics"]
    assert set(metrics) == set(METRIC_NAMES)
    assert 10 < metrics["brow_height_left_mm"] < 30 and 10 < metrics["brow_height_right_mm"] < 30
    assert 50 < metrics["interpupillary_mm"] < 75
    assert 100 < metrics["jaw_angle_left_deg"] < 170 and 100 < metrics["jaw_angle_right_deg"] < 170

    for record, reason in ((empty, "empty file"), (text, NOT_AN_IMAGE)):
        assert record == {
            "file": record["file"],
            "status": "error",
            "view": "front",
            "profile_side": None,
            "reasons": [reason],
            "advice": ["save the photo again as a JPEG or HEIC file"],
            "pose": None,
            "scale_mm_per_px": None,
            "scale_source": None,
            "decode_scale": None,
            "camera_distance_mm": None,
            "focal_source": None,
            "quality": {},
            "metrics": {},
        }


def test_table_output_is_exact(run):
    """The table has a two-line header, one aligned row per photo (pose to 0.1 deg, brow
    heights to 0.01 mm, jaw angles to 0.1 deg, asymmetry to 0.01 %), the L/R footnote and the
    summary line; each error is also one line on stderr."""
    result = run("measure", "astronaut.png", "empty.jpg", "not_an_image.jpg", "flipped.png")
    assert result.exit_code == 1

    def fmt(value, decimals):
        text = f"{value:.{decimals}f}"
        return text.lstrip("-") if float(text) == 0 else text  # "-0.0" is printed as "0.0"

    def row(name):
        measured, _ = measure_photo(name)
        pose, m = measured.quality.pose, measured.measurement.metrics
        values = [
            fmt(pose.yaw_deg, 1),
            fmt(pose.pitch_deg, 1),
            fmt(pose.roll_deg, 1),
            fmt(m["brow_height_left_mm"], 2),
            fmt(m["brow_height_right_mm"], 2),
            fmt(m["jaw_angle_left_deg"], 1),
            fmt(m["jaw_angle_right_deg"], 1),
            fmt(m["asymmetry_pct"], 2),
        ]
        advice = list(dict.fromkeys(ADVICE[r.code.value] for r in measured.reasons))
        return (
            f"{name:<16}  rejected  "
            + "  ".join(f"{v:>7}" for v in values)
            + "  "
            + "; ".join(measured.reasons)
            + " -> "
            + "; ".join(advice)
        )

    dashes = "  ".join(["      -"] * 8)
    assert result.stdout.splitlines() == [
        "file              status        yaw    pitch     roll   brow L   brow R    jaw L"
        "    jaw R     asym  reasons",
        "                                deg      deg      deg       mm       mm      deg"
        "      deg        %",
        row("astronaut.png"),
        f"empty.jpg         error     {dashes}  empty file",
        f"not_an_image.jpg  error     {dashes}  {NOT_AN_IMAGE}",
        row("flipped.png"),
        "L/R: the subject's own left and right.",
        "4 photos: 0 ok, 2 rejected, 2 errors",
    ]
    assert result.stderr.splitlines() == [
        "error: empty.jpg: empty file",
        f"error: not_an_image.jpg: {NOT_AN_IMAGE}",
    ]


def test_json_has_no_nan_and_no_negative_zero():
    """Values that are NaN or infinite are written as null (strict JSON), and -0.0 as 0.0."""
    result = PhotoResult(
        file="x.jpg",
        status="ok",
        quality=Quality(pose=Pose(-0.00001, 1.0, float("nan")), scores={"iris_px": float("inf")}),
        measurement=Measurement(
            metrics={"brow_height_left_mm": float("nan"), "brow_height_right_mm": 12.345678},
            scale_mm_per_px=0.0123456789,
        ),
        decode_scale=0.5,
    )
    text = json.dumps(result_record(result), allow_nan=False)
    assert json.loads(text) == {
        "file": "x.jpg",
        "status": "ok",
        "view": "front",
        "profile_side": None,
        "reasons": [],
        "advice": [],
        "pose": {"yaw_deg": 0.0, "pitch_deg": 1.0, "roll_deg": None},
        "scale_mm_per_px": 0.0123457,
        "scale_source": "iris",
        "decode_scale": 0.5,
        "camera_distance_mm": None,
        "focal_source": None,
        "quality": {"iris_px": None},
        "metrics": {"brow_height_left_mm": None, "brow_height_right_mm": 12.3457},
    }
    assert '"yaw_deg": 0.0' in text


def test_exit_0_when_every_photo_is_measured(run):
    """Rejected photos still count as measured: exit status 0, singular/plural summary."""
    result = run("measure", "astronaut.png")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "1 photo: 0 ok, 1 rejected, 0 errors"


def test_folders_are_expanded_and_named_files_always_measured(run):
    """A folder gives its photos in sorted order and skips other files silently; a named file
    that is no photo (notes.txt) is measured and reported as an error."""
    result = run("measure", ".", "--json")
    assert [(r["file"], r["status"]) for r in records(result.stdout)] == [
        ("astronaut.png", "rejected"),
        ("empty.jpg", "error"),
        ("flipped.png", "rejected"),
        ("not_an_image.jpg", "error"),
    ]
    assert result.stderr == ""

    result = run("measure", "notes.txt", "--json")
    assert result.exit_code == 1
    assert [(r["file"], r["reasons"]) for r in records(result.stdout)] == [
        ("notes.txt", [NOT_AN_IMAGE])
    ]


def test_mirrored_flag_undoes_a_mirror_image(run):
    """`measure flipped.png --mirrored` analyses exactly the pixels of astronaut.png, so every
    pose angle, quality score and metric agrees to 1e-6 (no tolerance for Face Mesh's own
    asymmetry is needed: the flip happens before the model sees the image)."""
    (original,) = records(run("measure", "astronaut.png", "--json").stdout)
    (unflipped,) = records(run("measure", "flipped.png", "--mirrored", "--json").stdout)
    for key in ("pose", "quality", "metrics"):
        assert unflipped[key] == pytest.approx(original[key], abs=1e-6), key
    assert unflipped["status"] == original["status"]
    assert unflipped["reasons"] == original["reasons"]


def test_ipd_sets_the_scale(run):
    """--ipd-mm makes the interpupillary distance the scale: it then measures exactly the
    given value; an implausible value is refused as a usage error."""
    (record,) = records(run("measure", "astronaut.png", "--ipd-mm", "63", "--json").stdout)
    assert record["scale_source"] == "interpupillary"
    assert record["metrics"]["interpupillary_mm"] == pytest.approx(63.0, abs=1e-4)

    result = run("measure", "astronaut.png", "--ipd-mm", "6.3")
    assert result.exit_code == 2
    assert "Invalid value for '--ipd-mm'" in result.stderr


def test_overlay_is_written_for_measured_photos(run, folder, tmp_path):
    """--overlay creates DIR and writes <stem>_overlay.jpg, the size of the analysed image and
    visibly drawn on, for each photo with a face (none for unreadable files); the JSON
    records name it."""
    out = tmp_path / "new" / "overlays"
    result = run("measure", "astronaut.png", "empty.jpg", "--overlay", str(out), "--json")
    assert result.exit_code == 1
    astronaut, empty = records(result.stdout)
    written = out / "astronaut_overlay.jpg"
    assert astronaut["overlay"] == str(written) and empty["overlay"] is None
    assert sorted(p.name for p in out.iterdir()) == ["astronaut_overlay.jpg"]
    with Image.open(written) as image:
        assert image.format == "JPEG"
        drawn = np.asarray(image.convert("RGB"), dtype=np.float64)
    original = data.astronaut().astype(np.float64)
    assert drawn.shape == original.shape
    changed = np.abs(drawn - original).max(axis=2) > 60
    assert changed.mean() > 0.02  # lines and the text panel, not JPEG noise


def test_overlay_construction_lies_on_the_face(folder):
    """The overlay draws what was measured, mapped from the face frame back into the image:
    on the 3-D head, whose outline the image places whole, each jaw line passes within 0.25
    iris diameters of the refined outline points in the range it was fitted to (the ramus
    40-68 mm below the eyes: 132 58 / 361 288; the border 8-26 mm above the chin, before it
    flattens: 136 150 149 / 365 379 378); on the astronaut each brow line runs from the iris
    centre to within 0.1 iris diameters of the refined brow, and a jaw construction is drawn
    exactly where its metric was read (her outline is not placed along the whole jaw)."""
    from tracker.validation.head3d import Capture, _measured, render, sample_head

    def distance_to_line(p, a, b):
        direction = (b - a) / np.linalg.norm(b - a)
        return np.abs((p - a) @ np.array([-direction[1], direction[0]]))

    rendered = render(sample_head(), Capture())
    head = _measured(rendered.pixels, rendered.focal_length_px)
    geo = overlay_geometry(head)
    points = head.refined_points_px[:, :2]
    iris = head.quality.scores["iris_px"]
    for side, ramus, border in (
        ("right", ix.RAMUS_RIGHT, ix.JAW_BORDER_RIGHT),
        ("left", ix.RAMUS_LEFT, ix.JAW_BORDER_LEFT),
    ):
        ramus_end, gonion, border_end = geo["jaw"][side]
        fitted_ramus, fitted_border = list(ramus[1:3]), list(border[:3])
        assert distance_to_line(points[fitted_ramus], ramus_end, gonion).max() < 0.25 * iris
        assert distance_to_line(points[fitted_border], gonion, border_end).max() < 0.25 * iris
        assert set(geo["jaw_contour"][side]) == {55, 75} and side in geo["jowl"]

    result, _ = measure_photo(folder / "astronaut.png")
    geo = overlay_geometry(result)
    points = result.refined_points_px[:, :2]
    iris = result.quality.scores["iris_px"]
    metrics = result.measurement.metrics
    for side, brow, centre in (
        ("right", ix.BROW_UPPER_RIGHT, ix.IRIS_CENTRE_RIGHT),
        ("left", ix.BROW_UPPER_LEFT, ix.IRIS_CENTRE_LEFT),
    ):
        start, top = geo["brow"][side]
        assert np.linalg.norm(start - points[centre]) < 1e-6
        curve = points[list(brow)][np.argsort(points[list(brow), 0])]
        assert abs(top[1] - np.interp(top[0], curve[:, 0], curve[:, 1])) < 0.1 * iris
        read = {h for h in (55, 75) if np.isfinite(metrics[f"jaw_contour_{h}_{side}_mm"])}
        assert set(geo["jaw_contour"].get(side, {})) == read
        assert (side in geo["jowl"]) == bool(np.isfinite(metrics[f"jowl_{side}_mm"]))
        angle = metrics[f"jaw_contour_angle_{side}_deg"]
        assert (side in geo["jaw"]) == bool(np.isfinite(angle))


def test_unexpected_failure_costs_only_that_photo(run, monkeypatch):
    """An exception inside the measurement of one photo becomes that photo's error line (no
    traceback) and the batch goes on."""
    real = tracker.pipeline.measure_photo_view

    def flaky(path, **kwargs):
        if Path(path).name == "flipped.png":
            raise RuntimeError("simulated\nfailure")
        return real(path, **kwargs)

    monkeypatch.setattr(tracker.pipeline, "measure_photo_view", flaky)
    result = run("measure", "flipped.png", "astronaut.png")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: flipped.png: unexpected error: RuntimeError: simulated failure\n"
    )
    assert result.stdout.splitlines()[-1] == "2 photos: 0 ok, 1 rejected, 1 error"


def test_usage_help_version_and_nothing_to_measure(run, tmp_path):
    """Help texts end with an example; --version names the program; a missing argument is
    click's usage error; a missing file is a per-file error; an empty folder is an error."""
    for args in ([], ["measure"]):
        help_text = run(*args, "--help").stdout
        assert help_text.rstrip().splitlines()[-1].strip() == EXAMPLE
    assert run("--version").stdout.startswith("facetrack, version ")

    result = run("measure")
    assert result.exit_code == 2
    assert "Missing argument 'PHOTO...'" in result.stderr

    result = run("measure", "missing.jpg")
    assert result.exit_code == 1
    assert result.stderr == "error: missing.jpg: file not found\n"
    assert result.stdout.splitlines()[-1] == "1 photo: 0 ok, 0 rejected, 1 error"

    empty = tmp_path / "nothing"
    empty.mkdir()
    result = run("measure", str(empty))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"warning: {empty}: no photos found\nerror: no photos found\n"


@needs_shared
def test_shared_bad_files(monkeypatch):
    """On ../shared/faces/bad every file gets its own line: unreadable files an error with
    their reason, the coffee cup "no face found", odd image modes real metrics; exit 1."""
    monkeypatch.chdir(SHARED / "bad")
    result = CliRunner().invoke(main, ["measure", ".", "--json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    by_name = {r["file"]: r for r in records(result.stdout)}
    assert {
        name: by_name[name]["status"]
        for name in ("empty.jpg", "truncated.jpg", "not_an_image.jpg", "bomb.png")
    } == dict.fromkeys(("empty.jpg", "truncated.jpg", "not_an_image.jpg", "bomb.png"), "error")
    assert by_name["empty.jpg"]["reasons"] == ["empty file"]
    assert by_name["not_an_image.jpg"]["reasons"] == [NOT_AN_IMAGE]
    assert by_name["truncated.jpg"]["reasons"][0].startswith("truncated or corrupt image data")
    (bomb,) = by_name["bomb.png"]["reasons"]
    assert bomb.startswith("image is 40000x40000 pixels (1600 MP), over the ")
    assert "decompression-bomb guard" in bomb
    assert by_name["no_face.jpg"]["status"] == "rejected"
    assert by_name["no_face.jpg"]["reasons"] == ["no face found"]
    assert by_name["no_face.jpg"]["metrics"] == {}
    for name in ("cmyk.jpg", "grayscale.jpg", "alpha.png", "gray16.png"):
        metrics = by_name[name]["metrics"]
        assert set(metrics) == set(METRIC_NAMES), name
        assert 10 < metrics["brow_height_left_mm"] < 30, name
        assert 50 < metrics["interpupillary_mm"] < 75, name
