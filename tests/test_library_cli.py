"""The library commands run in-process: import, photos, session, remeasure, export, forget."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from skimage import data

from tracker.cli import main
from tracker.metrics.geometry import METRIC_NAMES


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory) -> Path:
    """Two astronaut JPEGs with EXIF capture dates a week apart (the second one mirrored
    left-right, so that its content differs), a file named by its date without EXIF, an empty
    .jpg and a text file that is not a photo."""
    folder = tmp_path_factory.mktemp("photos")
    image = Image.fromarray(data.astronaut())
    for name, moment, flip in (
        ("a.jpg", "2026:01:05 08:30:12", False),
        ("b.jpg", "2026:01:12 08:31:00", True),
    ):
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = moment
        (image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if flip else image).save(
            folder / name, exif=exif, quality=92
        )
    image.rotate(3).save(folder / "IMG_20260119_083000.jpg", quality=90)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("not a photo")
    return folder


@pytest.fixture(scope="module")
def imported(photo_folder, tmp_path_factory):
    """A library holding the photo folder, imported once with one worker."""
    library = tmp_path_factory.mktemp("lib") / "library"
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(photo_folder),
            "--library",
            str(library),
            "--workers",
            "1",
            "--tag",
            "week 1",
        ],
    )
    return library, result


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_import_reports_and_exit_code(imported):
    """Three photos are imported (the astronaut smiles: rejected, with its reasons), the empty
    file is reported by name with its reason, the text file is counted as ignored, and the exit
    status is 1 because one file failed."""
    _, result = imported
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Imported 3 photos (0 ok, 3 rejected)."
    assert any(line.endswith("empty.jpg: empty file") for line in lines)
    assert "Ignored 1 file that is not a photo." in lines
    assert "Capture times: 2 from EXIF, 1 from the file name." in lines


def test_reimport_adds_nothing(imported, photo_folder):
    """Importing the same folder again adds nothing and says so."""
    library, _ = imported
    result = run(
        "import",
        photo_folder / "a.jpg",
        photo_folder / "b.jpg",
        "--library",
        library,
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "No new photos imported.",
        "Already in the library (same content): 2 photos.",
    ]


def test_photos_json(imported):
    """`photos --json` prints one object per photo with the documented keys, in capture order,
    with the capture time and its source."""
    library, _ = imported
    result = run("photos", "--json", "--library", library)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [(Path(r["file"]).name, r["captured_at"], r["date_source"]) for r in records] == [
        ("a.jpg", "2026-01-05T08:30:12", "exif"),
        ("b.jpg", "2026-01-12T08:31:00", "exif"),
        ("IMG_20260119_083000.jpg", "2026-01-19T08:30:00", "filename"),
    ]
    for record in records:
        assert {
            "id",
            "file",
            "captured_at",
            "date_source",
            "status",
            "reasons",
            "session",
            "metrics",
        } <= set(record)
        assert record["status"] == "rejected" and "smiling" in record["reasons"]
        assert set(record["metrics"]) == set(METRIC_NAMES)
        assert 10 < record["metrics"]["brow_height_left_mm"] < 30


def test_photos_table_and_csv(imported):
    """The table lists three photos and ends with the count; --csv has one row per photo and
    one column per metric; --since filters by capture date."""
    library, _ = imported
    table = run("photos", "--library", library)
    assert table.exit_code == 0 and table.output.splitlines()[-2].startswith("3 photos.")
    assert table.output.splitlines()[-1].startswith("Millimetres on your calibrated scale")
    rows = list(csv.DictReader(run("photos", "--csv", "--library", library).output.splitlines()))
    assert len(rows) == 3 and set(METRIC_NAMES) <= set(rows[0])
    since = run("photos", "--json", "--since", "2026-01-10", "--library", library)
    assert len(since.output.splitlines()) == 2


def test_sessions_remeasure_export_forget(imported, tmp_path):
    """The treatment log takes a session and lists it; remeasure recomputes every photo from
    its landmarks and leaves the metrics as they were; export writes one row per photo; forget
    removes one photo for good."""
    library, _ = imported
    assert (
        run(
            "session",
            "log",
            "--date",
            "2026-01-06T08:00",
            "--minutes",
            "20",
            "--mode",
            "Lift",
            "--note",
            "<b>first</b>",
            "--library",
            library,
        ).output
        == "Logged session 1.\n"
    )
    listed = [
        json.loads(line)
        for line in run("session", "list", "--json", "--library", library).output.splitlines()
    ]
    assert listed == [
        {
            "id": 1,
            "started_at": "2026-01-06T08:00:00",
            "utc_offset": None,
            "minutes": 20.0,
            "mode": "lift",
            "note": "<b>first</b>",
            "side": "both",
        }
    ]
    before = run("photos", "--json", "--library", library).output
    remeasured = run("remeasure", "--library", library)
    assert remeasured.exit_code == 0 and remeasured.output.startswith("Remeasured 3 photos")
    after = run("photos", "--json", "--library", library).output
    for old, new in zip(before.splitlines(), after.splitlines()):
        old_m, new_m = json.loads(old)["metrics"], json.loads(new)["metrics"]
        assert all(abs(old_m[k] - new_m[k]) < 1e-9 for k in METRIC_NAMES)
    out = tmp_path / "export.csv"
    assert run("export", "--csv", out, "--library", library).output == f"Wrote 3 photos to {out}.\n"
    assert len(list(csv.DictReader(out.open()))) == 3
    first_id = json.loads(before.splitlines()[0])["id"]
    assert run("forget", first_id, "--library", library).output == "Removed 1 photo.\n"
    assert len(run("photos", "--json", "--library", library).output.splitlines()) == 2


def test_errors_are_one_line(tmp_path):
    """A folder that is not a library, and a bad date, give a one-line error, not a traceback."""
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "data.bin").write_bytes(b"x")
    result = run("photos", "--library", stranger)
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1
    bad_date = run("session", "log", "--date", "yesterday", "--library", tmp_path / "new")
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output


def test_person_scale(imported):
    """With the person's scale, every photo's face scale (the rigid points' size) equals the
    calibrated median, each other millimetre metric is scaled by the same factor as that
    photo's face scale, and angles are unchanged; the interpupillary distance is calibrated
    the same way."""
    from tracker import Library

    library_dir, _ = imported
    with Library(library_dir, create=False) as library:
        plain = library.photos()
        person = library.photos(person_scale=True)
        person_mm, sem, n = library.calibrated_scale_mm()
        ipd_mm, _, _ = library.calibrated_ipd_mm()
    assert n == len(plain) and sem > 0
    assert ipd_mm == pytest.approx(float(plain["interpupillary_mm"].median()), abs=1e-9)
    assert person_mm == pytest.approx(float(plain["face_scale_mm"].median()), abs=1e-9)
    assert person["face_scale_mm"].to_numpy() == pytest.approx(person_mm, abs=1e-9)
    factor = person_mm / plain["face_scale_mm"]
    assert person["brow_height_left_mm"].to_numpy() == pytest.approx(
        (plain["brow_height_left_mm"] * factor).to_numpy(), rel=1e-12
    )
    assert person["jaw_angle_left_deg"].to_numpy() == pytest.approx(
        plain["jaw_angle_left_deg"].to_numpy(), abs=0
    )
    assert set(person["scale_source"]) == {"person"}


# what a rejection asks a person to do (tracker.types.ReasonCode.advice), as published
ADVICE = {
    "mouth_open": "close your lips and relax your mouth",
    "smiling": "relax your mouth: a neutral face, no smile",
    "face_too_small": "hold the phone closer, or import the full-size photo",
    "head_turned": "look straight into the camera",
}


def test_photos_show_camera_distance_and_focal_source(imported):
    """--json and --csv give each photo's camera distance and focal source (no focal length in
    these files' EXIF: the typical front camera); the table shows the distance in cm and
    "typical". The astronaut is measured 50-70 cm away by a 26 mm-equivalent lens (its
    iris is about 8 px in a 512 px frame). Every photo is rejected, so there is no usual to
    give capture advice against: the advice is what each rejection asks for."""
    library, _ = imported
    records = [
        json.loads(line)
        for line in run("photos", "--json", "--library", library).output.splitlines()
    ]
    for record in records:
        assert record["focal_source"] == "default-front-camera"
        assert record["focal_length_35mm"] == 26.0
        assert 500 < record["camera_distance_mm"] < 700
        codes = set(record["reason_codes"]) if "reason_codes" in record else set()
        assert record["status"] == "rejected"
        assert record["advice"] and all(
            ADVICE[code] in record["advice"] for code in codes if code in ADVICE
        )
    rows = list(csv.DictReader(run("photos", "--csv", "--library", library).output.splitlines()))
    assert [float(r["camera_distance_mm"]) for r in rows] == pytest.approx(
        [r["camera_distance_mm"] for r in records], rel=1e-12
    )
    assert {r["focal_source"] for r in rows} == {"default-front-camera"}
    lines = run("photos", "--library", library).output.splitlines()
    assert lines[0].split()[-5:] == ["dist", "cm", "focal", "mirr", "reasons"]
    # each photo's row, then (all are rejected) its "next photo:" line
    rows_only = [line for line in lines[1:] if not line.lstrip().startswith("next photo:")]
    for line, record in zip(rows_only[:3], records):
        assert f"{record['camera_distance_mm'] / 10:.0f}  typical" in line
    assert sum(line.lstrip().startswith("next photo:") for line in lines) == len(records)


def test_photos_table_gives_advice_for_the_next_photo(tmp_path):
    """With accepted photos at 40 cm, the table puts the advice for the photo taken at 32 cm
    on a line of its own under it; photos that match get no advice line; --json and --csv
    give every photo's advice."""
    from test_library import fake_import, fake_library, make_photos, set_capture

    path = tmp_path / "lib"
    with fake_library(path) as library:
        fake_import(library, make_photos(tmp_path / "in", 4), workers=1)
        ids = library.photos()["id"].tolist()
        for photo_id in ids:
            set_capture(library, photo_id, distance_mm=400.0)
        set_capture(library, ids[3], distance_mm=320.0)
    lines = run("photos", "--library", path).output.splitlines()
    assert len(lines) == 1 + 4 + 1 + 1 + 1  # header, photos, advice, count, scale
    assert lines[4].split()[:2] == [str(ids[3]), "2026-01-04"]
    assert lines[5] == "       next photo: hold the phone about 8 cm further away"
    records = [
        json.loads(line) for line in run("photos", "--json", "--library", path).output.splitlines()
    ]
    assert [r["advice"] for r in records] == ["matches your usual photos"] * 3 + [
        "hold the phone about 8 cm further away"
    ]
    rows = list(csv.DictReader(run("photos", "--csv", "--library", path).output.splitlines()))
    assert [r["advice"] for r in rows] == [r["advice"] for r in records]
