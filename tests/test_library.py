"""Tests of tracker.library: importing, dating, storing, safety, remeasuring, forgetting.

The core tests build small JPEG, PNG and WebP files from skimage's astronaut in tmp_path and
measure them with ``fake_measure``: the photo is really opened (so unreadable files fail as
they would), but the landmarks are the project's reference face with seeded noise, so that
each test runs in milliseconds. A few tests run the real model on a generated photo; the tests
marked ``needs_shared`` import the phone-like and bad files in ../shared/faces.

Crash and concurrency tests run imports in subprocesses (``sys.executable -c``) that import
``fake_measure`` from this module.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, needs_shared
from PIL import Image
from skimage import data

import tracker
from tracker.errors import PhotoError, TrackerError
from tracker.importing import import_photos, mark_mirrored, remeasure
from tracker.landmarks.indices import reference_face
from tracker.library import ImportSummary, Library, LibraryError
from tracker.library.migrations import LATEST_VERSION, MIGRATIONS
from tracker.metrics import geometry, registry
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics
from tracker.photos import open_photo
from tracker.photos.camera import principal_point_px
from tracker.types import Landmarks, Measurement, PhotoResult, Pose, Quality

TESTS = Path(__file__).resolve().parent
DELAY_ENV = "FACETRACK_TEST_MEASURE_DELAY"
REJECT_REASON = "head turned: yaw +14.0 deg (limit +/-10)"
UTC_PLUS_1 = timezone(timedelta(hours=1))


# --- the fake measure function and generated photos --------------------------------------------


def fake_measure(path, *, mirrored: bool = False) -> PhotoResult:
    """Open the photo for real (unreadable files fail with the real reasons), then return a
    synthetic measurement: the reference face x 40 px plus 0.2 px noise seeded by the file's
    bytes (same content, same result), a scale of 0.30-0.31 mm/px and metrics computed from
    those points. "reject" in the name rejects it for the head pose, "noface" finds no face,
    "explode" raises, "crash" kills the worker process it runs in (a native crash; never
    the test process). ``$FACETRACK_TEST_MEASURE_DELAY`` seconds of sleep make it slow."""
    time.sleep(float(os.environ.get(DELAY_ENV, "0")))
    name = Path(path).name
    if "explode" in name:
        raise RuntimeError("fake failure")
    if "crash" in name and multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        photo = open_photo(path, mirrored=mirrored)
    except PhotoError as exc:
        return PhotoResult(file=str(path), status="error", reasons=(exc.reason,))
    height, width = photo.pixels.shape[:2]
    if "noface" in name:
        return PhotoResult(
            file=str(path),
            status="rejected",
            reasons=("no face found",),
            photo_size_px=(width, height),
        )
    rng = np.random.default_rng(zlib.crc32(Path(path).read_bytes()))
    reference, _ = reference_face()
    points = reference * 40.0 + np.array([64.0, 60.0, 0.0]) + rng.normal(0, 0.2, reference.shape)
    scale = float(0.30 + 0.01 * rng.random())
    face_mesh = points + 0.25  # the model's own points (the refined ones are ``points``)
    # as the pipeline does: perspective undone with the photo's camera; the jaw angles and
    # the lower face width on the model's own points
    values = compute_metrics(
        points,
        scale,
        focal_length_px=photo.camera.focal_length_px,
        principal_point_px=principal_point_px(photo.camera.focal_source, (width, height)),
        face_mesh_points_px=face_mesh,
    )
    reasons = (REJECT_REASON,) if "reject" in name else ()
    pose = Pose(values["yaw_deg"], values["pitch_deg"], values["roll_deg"])
    return PhotoResult(
        file=str(path),
        status="rejected" if reasons else "ok",
        reasons=reasons,
        quality=Quality(pose=pose, scores={"sharpness": 100.0}, reasons=reasons),
        measurement=Measurement({n: values[n] for n in METRIC_NAMES}, scale, "iris"),
        landmarks=Landmarks(points_px=face_mesh, image_size_px=(width, height), model="fake-mesh"),
        photo_size_px=(width, height),
        refined_points_px=points,
        decode_scale=1.0,
        original_size_px=photo.original_size_px,
        format=photo.format,
        brow_edge_px={"left": np.zeros((10, 2))},
        camera=photo.camera,
    )


def exif_date(when: datetime, offset: str | None = "+01:00") -> Image.Exif:
    """EXIF with DateTimeOriginal (and OffsetTimeOriginal when ``offset`` is given)."""
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[36867] = when.strftime("%Y:%m:%d %H:%M:%S")
    if offset is not None:
        ifd[36881] = offset
    return exif


def astronaut_image(seed: int) -> Image.Image:
    """The astronaut at 128 x 128 px with an 8 x 8 block set from ``seed`` (distinct content)."""
    pixels = np.ascontiguousarray(data.astronaut()[::4, ::4])
    pixels[:8, :8] = (seed * 37) % 256
    pixels[:8, 8:16] = (seed // 7) % 256
    return Image.fromarray(pixels)


def make_photos(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    """``count`` distinct JPEGs photo_NNN.jpg with EXIF dates 2026-01-01 08:00 + NNN days at
    +01:00."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"photo_{i:03d}.jpg"
        when = datetime(2026, 1, 1, 8, 0) + timedelta(days=i)
        astronaut_image(i).save(path, quality=90, exif=exif_date(when))
        paths.append(path)
    return paths


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fake_library(path: Path, **kwargs) -> Library:
    return Library(path, **kwargs)


def fake_import(library: Library, paths, **kwargs) -> ImportSummary:
    """``tracker.importing.import_photos`` with ``fake_measure`` (no model is run)."""
    return import_photos(library, paths, measure=fake_measure, **kwargs)


def check_consistent(library_path: Path) -> sqlite3.Connection:
    """Assert a library holds only complete photos; return a connection to it."""
    db = sqlite3.connect(library_path / "library.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    rows = db.execute("SELECT id, sha256, stored_path FROM photos").fetchall()
    for photo_id, digest, stored in rows:
        file = library_path / stored
        assert file.is_file() and not file.name.startswith("."), stored
        assert sha256(file) == digest
        assert (
            db.execute("SELECT count(*) FROM landmarks WHERE photo_id = ?", (photo_id,)).fetchone()[
                0
            ]
            == 1
        )
        assert db.execute(
            "SELECT count(*) FROM measurements WHERE photo_id = ?", (photo_id,)
        ).fetchone()[0] == len(METRIC_NAMES)
        assert (
            db.execute(
                "SELECT count(*) FROM measurement_info WHERE photo_id = ?", (photo_id,)
            ).fetchone()[0]
            == 1
        )
    return db


def stored_files(library_path: Path) -> list[Path]:
    return sorted(p for p in (library_path / "photos").rglob("*") if p.is_file())


IMPORT_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from test_library import fake_measure
from tracker import Library, import_photos
if __name__ == "__main__":
    library = Library(sys.argv[1])
    summary = import_photos(library, sys.argv[3:], workers=int(sys.argv[2]), measure=fake_measure)
    print(json.dumps({{"imported": summary.imported, "already_there": summary.already_there,
                      "errors": summary.errors}}))
"""


def start_import(library: Path, files, *, delay: float, workers: int = 1) -> subprocess.Popen:
    """An import of ``files`` with the fake measure in a new Python process."""
    env = {**os.environ, DELAY_ENV: str(delay)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            IMPORT_SCRIPT.format(tests=str(TESTS)),
            str(library),
            str(workers),
            *map(str, files),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def live_children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` and that are not zombies (Linux /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                children.append(int(entry.name))
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def photo_count(library: Path) -> int:
    try:
        db = sqlite3.connect(library / "library.sqlite", timeout=5)
        try:
            return db.execute("SELECT count(*) FROM photos").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def photos(tmp_path) -> list[Path]:
    """Six distinct 128 x 128 astronaut JPEGs with EXIF capture dates (+01:00) in tmp_path/in."""
    return make_photos(tmp_path / "in", 6)


@pytest.fixture
def library(tmp_path):
    """An empty library in tmp_path/lib measuring with ``fake_measure``."""
    with fake_library(tmp_path / "lib") as lib:
        yield lib


# --- importing -----------------------------------------------------------------------------


def test_package_exports_library():
    """``tracker.Library`` is the library facade."""
    assert tracker.Library is Library
    assert "Library" in tracker.__all__
    assert issubclass(LibraryError, TrackerError)


def test_import_stores_every_photo_with_its_capture_time_and_source(tmp_path, library):
    """Capture time comes from EXIF (with its offset), else a date in the file name, else the
    file's modification time, else --date; the source is stored and other files are ignored."""
    folder = tmp_path / "in"
    folder.mkdir()
    astronaut_image(1).save(
        folder / "with_offset.jpg", exif=exif_date(datetime(2026, 1, 5, 8, 30, 12))
    )
    astronaut_image(2).save(
        folder / "no_offset.jpg", exif=exif_date(datetime(2026, 1, 6, 9, 0, 0), offset=None)
    )
    astronaut_image(3).save(folder / "2026-03-01_selfie.png")
    sub = folder / "sub"
    sub.mkdir()
    astronaut_image(4).save(sub / "plain.webp")
    mtime = datetime(2026, 1, 7, 7, 45, tzinfo=UTC).timestamp()
    os.utime(sub / "plain.webp", (mtime, mtime))
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".hidden.jpg").write_bytes(b"resource fork")

    summary = fake_import(library, folder, workers=1)

    assert len(summary.imported) == 4 and summary.errors == {} and summary.ignored == 2
    got = {Path(r["file"]).name: r for r in library.photo_records()}
    assert got["with_offset.jpg"]["captured_at"] == "2026-01-05T08:30:12+01:00"
    assert got["with_offset.jpg"]["date_source"] == "exif"
    assert got["with_offset.jpg"]["utc_offset"] == "+01:00"
    assert got["no_offset.jpg"]["captured_at"] == "2026-01-06T09:00:00"
    assert got["no_offset.jpg"]["utc_offset"] is None
    assert got["2026-03-01_selfie.png"]["captured_at"] == "2026-03-01T12:00:00"
    assert got["2026-03-01_selfie.png"]["date_source"] == "filename"
    plain = got["plain.webp"]
    assert plain["date_source"] == "mtime" and plain["date_flagged"]
    assert datetime.fromisoformat(plain["captured_at"]) == datetime.fromtimestamp(mtime, UTC)
    assert summary.date_sources == {"exif": 2, "filename": 1, "mtime": 1}

    manual = fake_library(tmp_path / "manual")
    fake_import(
        manual,
        folder / "with_offset.jpg",
        manual_date=date(2026, 2, 2),
        prefer_manual_date=True,
        workers=1,
    )
    (record,) = manual.photo_records()
    assert (record["captured_at"], record["date_source"]) == ("2026-02-02T12:00:00", "manual")
    manual.close()


def test_import_record_has_the_json_fields(library, photos):
    """Each record holds id, file (original path), captured_at (ISO 8601), date_source,
    status, reasons, session and metrics, and survives json.dumps without NaN."""
    fake_import(library, photos[:1], session="after", tag="week 1", workers=1)
    (record,) = library.photo_records()
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
    assert record["file"] == str(photos[0].absolute())
    assert record["captured_at"] == "2026-01-01T08:00:00+01:00"
    assert (record["status"], record["reasons"], record["session"], record["tag"]) == (
        "ok",
        [],
        "after",
        "week 1",
    )
    assert list(record["metrics"]) == list(METRIC_NAMES)
    assert record["algorithm_version"] == geometry.ALGORITHM_VERSION
    json.dumps(record, allow_nan=False)
    assert library.photo(record["id"]) == record
    with pytest.raises(LibraryError, match="no photo with id 999"):
        library.photo(999)


def test_reimport_adds_nothing_and_says_so(library, photos, tmp_path):
    """Importing the same files again adds no row and lists each as already there; a copy
    under another name is already there too; an edited file (new content) is a new photo."""
    first = fake_import(library, photos, workers=1)
    assert len(first.imported) == 6
    copy = tmp_path / "copy_of_0.jpg"
    copy.write_bytes(photos[0].read_bytes())

    second = fake_import(library, [*photos, copy], workers=1)

    assert second.imported == () and second.errors == {}
    assert second.already_there == (*map(str, photos), str(copy))
    assert library.count() == 6
    assert "Already in the library (same content): 7 photos." in second.lines()
    assert second.lines()[0] == "No new photos imported."

    astronaut_image(99).save(photos[0], exif=exif_date(datetime(2026, 1, 1, 8)))
    third = fake_import(library, photos[0], workers=1)
    assert len(third.imported) == 1 and library.count() == 7


def test_bad_files_are_reported_and_never_cost_the_good_ones(tmp_path, library, photos):
    """In one batch with good photos: unreadable files are reported by file with their reason
    and not stored; rejected photos are stored with their reasons; the good ones are all in."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "not_an_image.jpg").write_text("hello, I am not a JPEG\n")
    (bad / "truncated.jpg").write_bytes(photos[0].read_bytes()[:600])
    (bad / "explode.png").write_bytes(photos[1].read_bytes())
    astronaut_image(50).save(bad / "reject_me.jpg")
    astronaut_image(51).save(bad / "noface.jpg")

    summary = fake_import(library, [photos[0], bad, photos[2], tmp_path / "missing"], workers=1)

    assert summary.errors == {
        str(bad / "empty.jpg"): "empty file",
        str(bad / "explode.png"): "unexpected error: RuntimeError: fake failure",
        str(bad / "not_an_image.jpg"): "not an image file (unrecognised format)",
        str(bad / "truncated.jpg"): summary.errors[str(bad / "truncated.jpg")],
        str(tmp_path / "missing"): "no such file or folder",
    }
    assert summary.errors[str(bad / "truncated.jpg")].startswith("truncated or corrupt")
    assert summary.rejected == {"head turned": 1, "no face found": 1}
    assert summary.rejected_count == 2 and len(summary.imported) == 4
    frame = library.photos()
    assert sorted(frame["file"].map(lambda f: Path(f).name)) == [
        "noface.jpg",
        "photo_000.jpg",
        "photo_002.jpg",
        "reject_me.jpg",
    ]
    rejected = frame.set_index(frame["file"].map(lambda f: Path(f).name)).loc[
        ["reject_me.jpg", "noface.jpg"]
    ]
    assert rejected["status"].tolist() == ["rejected", "rejected"]
    assert rejected["reasons"].tolist() == [[REJECT_REASON], ["no face found"]]
    assert np.isfinite(rejected.loc["reject_me.jpg", "brow_height_left_mm"])
    assert np.isnan(rejected.loc["noface.jpg", "brow_height_left_mm"])
    lines = summary.lines()
    assert lines[0] == "Imported 4 photos (2 ok, 2 rejected)."
    assert "Errors: 5 files not imported:" in lines
    assert f"  {bad / 'empty.jpg'}: empty file" in lines


def test_summary_lines_name_each_outcome():
    """The summary says what was imported, already there, rejected by reason, failed by file,
    ignored, and which capture times to check."""
    summary = ImportSummary(
        imported=(1, 2, 3),
        already_there=("a.jpg",),
        rejected={"smiling": 1},
        rejected_count=1,
        errors={"b.jpg": "empty file"},
        ignored=2,
        date_sources={"exif": 2, "mtime": 1},
        date_flags={
            "c.jpg": (
                "mtime",
                (
                    "EXIF DateTimeOriginal 1970-01-01 00:00:00 is implausible (before 2000)",
                    "no date in the file name",
                ),
            )
        },
    )
    assert summary.lines() == [
        "Imported 3 photos (2 ok, 1 rejected).",
        "Already in the library (same content): 1 photo.",
        "  rejected, smiling: 1",
        "Errors: 1 file not imported:",
        "  b.jpg: empty file",
        "Ignored 2 files that are not photos.",
        "Capture times: 2 from EXIF, 1 from the file's modification time.",
        "Check the capture time of 1 photo:",
        "  c.jpg: from the file's modification time (EXIF DateTimeOriginal 1970-01-01 "
        "00:00:00 is implausible (before 2000))",
    ]
    assert not summary.ok


def test_progress_is_reported_for_every_file(library, photos):
    """``progress(done, total)`` starts at 0 and counts every photo file, new or not."""
    fake_import(library, photos[:2], workers=1)
    calls = []
    fake_import(
        library, photos, workers=1, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(i, 6) for i in range(7)]


def test_worker_processes_give_the_same_library(tmp_path, photos):
    """Measuring in two spawned worker processes stores the same photos, in file order, with
    the same metrics as measuring in-process."""
    with fake_library(tmp_path / "one") as one, fake_library(tmp_path / "two") as two:
        a = fake_import(one, photos, workers=1)
        b = fake_import(two, photos, workers=2)
        assert b.notes == () and a.imported == b.imported
        columns = ["file", "captured_at", "status", *METRIC_NAMES]
        pd.testing.assert_frame_equal(one.photos()[columns], two.photos()[columns])


def test_a_crashing_worker_costs_only_its_file(tmp_path, photos):
    """A file on which the worker process dies (a native crash) is reported as an error; the
    photos that were in flight with it are measured again and imported."""
    astronaut_image(70).save(photos[0].parent / "photo_002_crash.jpg")
    with fake_library(tmp_path / "lib") as library:
        summary = fake_import(library, photos[0].parent, workers=2)
        assert summary.errors == {
            str(
                photos[0].parent / "photo_002_crash.jpg"
            ): "the measuring process crashed on this file"
        }
        assert len(summary.imported) == 6 and library.count() == 6


def test_unpicklable_measure_falls_back_to_one_process(tmp_path, photos):
    """A measure function that cannot be sent to worker processes still imports everything,
    in this process, and the summary says so."""
    with Library(tmp_path / "lib") as library:
        summary = import_photos(
            library, photos[:2], workers=2, measure=lambda p, mirrored: fake_measure(p)
        )
    assert len(summary.imported) == 2
    assert "measured in this process" in summary.notes[0]


def test_linked_photos_are_referenced_in_place(library, photos):
    """With link=True nothing is copied: the stored path is the original file."""
    summary = fake_import(library, photos[:2], link=True, workers=1)
    assert len(summary.imported) == 2
    assert stored_files(library.path) == []
    assert library.photos()["stored_path"].tolist() == [str(p.absolute()) for p in photos[:2]]


def test_bad_arguments_raise_library_errors(library, photos):
    """A session other than before/after is refused before anything is imported."""
    with pytest.raises(LibraryError, match="session must be 'before' or 'after', not 'during'"):
        fake_import(library, photos, session="during")
    assert library.count() == 0


# --- the DataFrame, export, sessions ----------------------------------------------------------


def test_photos_dataframe_has_one_row_per_photo_and_one_column_per_metric(library, photos):
    """``photos()`` is tidy: one row per photo ordered by capture time, typed columns (local
    wall-clock captured_at, UTC captured_at_utc), every metric; filters by status and date."""
    empty = library.photos()
    every = registry.METRIC_NAMES  # the front view's and the profile view's
    assert empty.empty and list(empty.columns[-len(every) :]) == list(every)
    astronaut_image(60).save(
        photos[0].parent / "reject_late.jpg", exif=exif_date(datetime(2026, 2, 1, 8))
    )
    fake_import(library, photos[0].parent, session="before", workers=1)

    frame = library.photos()
    assert len(frame) == 7 and frame["id"].is_unique
    assert frame["captured_at"].dtype == "datetime64[ns]"
    assert str(frame["captured_at_utc"].dtype) == "datetime64[ns, UTC]"
    assert frame["captured_at"].is_monotonic_increasing
    assert frame["captured_at"].iloc[0] == pd.Timestamp("2026-01-01 08:00:00")
    assert frame["captured_at_utc"].iloc[0] == pd.Timestamp("2026-01-01 07:00:00", tz="UTC")
    assert (frame["session"] == "before").all()
    assert frame["tag"].tolist() == [None] * 7  # None, never NaN, for missing text
    for name in ("yaw_deg", "pitch_deg", "roll_deg", "scale_mm_per_px", *METRIC_NAMES):
        assert frame[name].dtype == np.float64, name
        # the jaw outline's metrics are NaN where the image does not show the outline (the
        # astronaut's left ramus runs into her hair: its contour angle is not read)
        outline = name.startswith(("jaw_contour_", "jowl_"))
        assert frame[name].notna().all() or outline, name
    assert frame["jaw_contour_75_left_mm"].notna().all()
    assert library.photos(status="ok")["status"].eq("ok").sum() == 6
    assert len(library.photos(status="rejected")) == 1
    assert library.photos(since=date(2026, 1, 4))["captured_at"].min() == pd.Timestamp(
        "2026-01-04 08:00"
    )
    assert len(library.photos(since="2026-01-04T08:00:01")) == 3


def test_export_csv_writes_one_row_per_photo(tmp_path, library, photos):
    """The CSV has one row per photo and one column per metric, times in ISO 8601 with their
    offset, lists joined with "; "."""
    fake_import(library, photos, workers=1)
    assert library.export_csv(tmp_path / "out.csv") == 6
    table = pd.read_csv(tmp_path / "out.csv")
    assert len(table) == 6 and set(METRIC_NAMES) <= set(table.columns)
    assert table["captured_at"].iloc[0] == "2026-01-01T08:00:00+01:00"
    # one number per photo: the person's scale, as photos, the trend and the report give it
    np.testing.assert_allclose(
        table["brow_height_left_mm"],
        library.photos(person_scale=True)["brow_height_left_mm"],
        rtol=1e-12,
    )
    assert (table["scale_source"] == "person").all()


def test_sessions_are_logged_and_listed(library):
    """Treatment sessions keep start, minutes, mode (lower-case) and note; a date alone means
    noon; bad values raise LibraryError; a session can be deleted."""
    first = library.log_session(
        datetime(2026, 1, 5, 8, 30, tzinfo=UTC_PLUS_1), minutes=20, mode="Lift", note="forehead"
    )
    second = library.log_session("2026-01-03", mode="firm")
    frame = library.sessions()
    assert frame["id"].tolist() == [second, first]
    assert frame["started_at"].tolist() == [
        pd.Timestamp("2026-01-03 12:00"),
        pd.Timestamp("2026-01-05 08:30"),
    ]
    assert frame["utc_offset"].tolist() == [None, "+01:00"]
    assert frame["note"].tolist() == [None, "forehead"]  # None, never NaN, for missing text
    assert frame["mode"].tolist() == ["firm", "lift"]
    assert frame["minutes"].iloc[1] == 20 and np.isnan(frame["minutes"].iloc[0])
    with pytest.raises(LibraryError, match="positive number of minutes"):
        library.log_session("2026-01-05", minutes=-5)
    with pytest.raises(LibraryError, match="is not a date or time"):
        library.log_session("yesterday")
    library.delete_session(second)
    assert library.sessions()["id"].tolist() == [first]
    with pytest.raises(LibraryError, match=f"no session with id {second}"):
        library.delete_session(second)


def test_a_session_can_be_corrected(library):
    """edit_session changes the given fields of a session (start, length, mode; the note
    given none stays), checked as log_session checks them; an unknown id raises
    LibraryError."""
    session = library.log_session("2026-01-05T08:30", minutes=20, mode="lift", note="typo")
    library.edit_session(session, started_at="2026-01-06T07:45", minutes=25, mode="Firm")
    row = library.sessions().iloc[0]
    assert row["started_at"] == pd.Timestamp("2026-01-06 07:45")
    assert (row["minutes"], row["mode"], row["note"]) == (25, "firm", "typo")
    with pytest.raises(LibraryError, match="positive number of minutes"):
        library.edit_session(session, started_at="2026-01-06", minutes=0)
    with pytest.raises(LibraryError, match="no session with id 999"):
        library.edit_session(999, started_at="2026-01-06")
    assert library.sessions()["minutes"].tolist() == [25]


# --- remeasure -----------------------------------------------------------------------------


def test_remeasure_equals_the_stored_measurement(library, photos, monkeypatch):
    """After the metric code changes (a new ALGORITHM_VERSION), the metrics are missing until
    ``remeasure``; it recomputes them from the stored landmarks equal to the import's to 1e-9."""
    fake_import(library, photos, workers=1)
    before = library.photos()
    monkeypatch.setattr(geometry, "ALGORITHM_VERSION", "next")
    assert library.outdated() == 6
    assert library.photos()[list(METRIC_NAMES)].isna().all().all()

    assert remeasure(library) == 6

    after = library.photos()
    assert library.outdated() == 0
    np.testing.assert_allclose(
        after[list(METRIC_NAMES)], before[list(METRIC_NAMES)], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        after[["yaw_deg", "scale_mm_per_px"]],
        before[["yaw_deg", "scale_mm_per_px"]],
        rtol=0,
        atol=1e-9,
    )
    assert {r["algorithm_version"] for r in library.photo_records()} == {"next"}
    assert remeasure(library) == 6  # again: replaces, does not duplicate
    assert len(library.photos()) == 6


def test_a_failed_remeasure_changes_nothing(library, photos, monkeypatch):
    """``remeasure`` and ``mark_mirrored`` store their change and the metrics measured from it
    in one transaction: when writing the metrics fails half-way, the photos keep exactly the
    metrics, pose and mirroring they had (compared value for value, tolerance 0)."""
    fake_import(library, photos[:3], workers=1)
    before = library.photos()
    flags = library._conn.execute("SELECT flipped FROM landmarks ORDER BY photo_id").fetchall()
    photo_id = int(before["id"].iloc[0])

    def fail(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(Library, "write_measurements", fail)
    with pytest.raises(OSError, match="disk gone"):
        remeasure(library)
    with pytest.raises(OSError, match="disk gone"):
        mark_mirrored(library, photo_id)
    monkeypatch.undo()

    after = library.photos()
    pd.testing.assert_frame_equal(after, before)
    assert (
        library._conn.execute("SELECT flipped FROM landmarks ORDER BY photo_id").fetchall() == flags
    )
    assert not library.photo(photo_id)["mirrored"]
    assert not library._conn.in_transaction
    assert mark_mirrored(library, photo_id) is True  # the library is usable after the failure


def test_remeasure_of_10000_photos_in_one_stack(tmp_path):
    """Recomputing 10,000 photos from stored landmarks (one stack, one transaction) gives
    every photo exactly the metrics of ``compute_metrics`` on its landmarks. (How long it
    takes is measured by ``benchmarks/bench_import.py``, not asserted here.)"""
    n = 10_000
    with Library(tmp_path / "lib") as library:
        reference, _ = reference_face()
        rng = np.random.default_rng(0)
        stack = reference * 60.0 + 300.0 + rng.normal(0, 0.3, (n, *reference.shape))
        library._store_synthetic_landmarks(stack, scale_mm_per_px=0.1)
        assert remeasure(library) == n
        frame = library.photos()
        expected = compute_metrics(stack, 0.1)
        for name in METRIC_NAMES:
            np.testing.assert_allclose(frame[name], expected[name], rtol=0, atol=1e-9)


def test_real_remeasure_equals_a_fresh_measure(tmp_path, monkeypatch):
    """With the real model: the metrics and the camera distance recomputed from stored
    landmarks equal those of the import's fresh measurement to 1e-9 (the astronaut, 3 x
    upscaled: a real face)."""
    import cv2

    from tracker.pipeline import measure_photo

    path = tmp_path / "astronaut.jpg"
    big = cv2.resize(data.astronaut(), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    Image.fromarray(big).save(path, quality=95, exif=exif_date(datetime(2026, 1, 5, 8)))
    with Library(tmp_path / "lib") as library:
        summary = import_photos(library, path, workers=1)
        assert len(summary.imported) == 1
        stored = library.photos().iloc[0]
        fresh, _ = measure_photo(path)
        for name in METRIC_NAMES:
            assert stored[name] == pytest.approx(fresh.measurement.metrics[name], abs=1e-9)
        np.testing.assert_array_equal(library.landmarks(stored["id"]), fresh.refined_points_px)
        np.testing.assert_array_equal(
            library.landmarks(stored["id"], raw=True), fresh.landmarks.points_px
        )

        assert stored["camera_distance_mm"] == pytest.approx(
            fresh.measurement.camera_distance_mm, abs=1e-9
        )
        assert stored["focal_source"] == fresh.measurement.focal_source

        monkeypatch.setattr(geometry, "ALGORITHM_VERSION", "next")
        assert remeasure(library) == 1
        again = library.photos().iloc[0]
        for name in [*METRIC_NAMES, "camera_distance_mm"]:
            assert again[name] == pytest.approx(stored[name], abs=1e-9), name


# --- forgetting ----------------------------------------------------------------------------


def test_forget_removes_rows_and_the_stored_copy(library, photos, tmp_path):
    """``forget`` deletes a photo's rows (landmarks and metrics too) and its stored copy;
    ``forget_all`` empties the library but keeps the treatment log; a linked original is never
    deleted; an unknown id raises and removes nothing."""
    summary = fake_import(library, photos[:3], workers=1)
    linked = fake_import(library, photos[3], link=True, workers=1).imported[0]
    library.log_session("2026-01-05", minutes=10)
    first = summary.imported[0]
    copy = Path(library.photo(first)["stored_path"])
    assert copy.is_file()

    with pytest.raises(LibraryError, match="no photo with id 999"):
        library.forget([first, 999])
    assert library.count() == 4

    assert library.forget(first) == 1
    assert not copy.exists() and library.count() == 3
    db = sqlite3.connect(library.db_path)
    for table in ("landmarks", "measurements", "measurement_info"):
        assert (
            db.execute(f"SELECT count(*) FROM {table} WHERE photo_id = ?", (first,)).fetchone()[0]
            == 0
        )
    db.close()

    assert library.forget(linked) == 1
    assert photos[3].is_file()

    assert library.forget_all() == 2
    assert library.count() == 0 and stored_files(library.path) == []
    assert len(library.sessions()) == 1
    assert photos[0].is_file()


# --- safety --------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_killed_import_leaves_a_consistent_library_that_resumes(tmp_path, workers):
    """kill -9 during an import leaves a library that opens, passes SQLite's integrity check
    and holds only complete photos (row, stored file with its hash, landmarks, every metric);
    the next import adds exactly the missing ones and removes any leftover copy. With worker
    processes, none of them outlives the killed import (checked on Linux)."""
    files = make_photos(tmp_path / "in", 20)
    path = tmp_path / "lib"
    process = start_import(path, [tmp_path / "in"], delay=0.1, workers=workers)
    deadline = time.monotonic() + 60
    while photo_count(path) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    children = live_children(process.pid) if Path("/proc/self/stat").exists() else []
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    if workers > 1 and Path("/proc/self/stat").exists():
        assert len(children) >= workers
        deadline = time.monotonic() + 15
        while any(map(alive, children)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(alive, children)), "worker processes outlived the killed import"

    db = check_consistent(path)
    kept = db.execute("SELECT count(*) FROM photos").fetchone()[0]
    db.close()
    assert 5 <= kept < 20
    with fake_library(path) as library:
        assert all(not Path(f).name.startswith(".") for f in library.photos()["stored_path"])
        summary = fake_import(library, tmp_path / "in", workers=1)
        assert summary.errors == {}
        assert len(summary.already_there) == kept and len(summary.imported) == 20 - kept
        assert sorted(library.photos()["sha256"]) == sorted(map(sha256, files))
    check_consistent(path).close()
    assert len(stored_files(path)) == 20


def test_a_copy_without_its_row_is_cleaned_up(library, photos, monkeypatch):
    """A crash after a photo was copied but before its row was committed leaves only an
    orphan copy (no row); the next import removes it and stores the photo properly."""

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Library, "_insert", crash)
        with pytest.raises(KeyboardInterrupt):
            fake_import(library, photos[0], workers=1)
    assert library.count() == 0 and len(stored_files(library.path)) == 1
    temp = library.path / "photos" / "ab" / ".abc.jpg.123.tmp"
    temp.parent.mkdir()
    temp.write_bytes(b"half a copy")

    summary = fake_import(library, photos[:2], workers=1)

    assert len(summary.imported) == 2
    assert len(stored_files(library.path)) == 2 and not temp.exists()
    check_consistent(library.path).close()


def test_two_concurrent_imports_do_not_corrupt_the_library(tmp_path):
    """Two processes importing overlapping sets into a new library at the same time both
    succeed without errors, and each photo is stored exactly once."""
    files = make_photos(tmp_path / "in", 20)
    path = tmp_path / "lib"
    first = start_import(path, files[:14], delay=0.05)
    second = start_import(path, files[6:], delay=0.05)
    results = []
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))

    assert all(r["errors"] == {} for r in results)
    assert sum(len(r["imported"]) for r in results) == 20
    assert sum(len(r["already_there"]) for r in results) == 8
    db = check_consistent(path)
    hashes = [row[0] for row in db.execute("SELECT sha256 FROM photos")]
    db.close()
    assert sorted(hashes) == sorted(map(sha256, files))
    assert len(stored_files(path)) == 20


def test_library_files_are_private(tmp_path, photos):
    """Even with a permissive umask, the library folder and its subfolders are 0700 and the
    database, its WAL files and the photo copies 0600 (the originals here are 0644)."""
    old = os.umask(0)
    try:
        for photo in photos:
            photo.chmod(0o644)
        with fake_library(tmp_path / "deep" / "lib") as library:
            fake_import(library, photos, workers=1)
            folders = [library.path, *(p for p in library.path.rglob("*") if p.is_dir())]
            files = [p for p in library.path.rglob("*") if p.is_file()]
            assert {f.name for f in files} >= {
                "library.sqlite",
                "library.sqlite-wal",
                "library.sqlite-shm",
            }
            assert len(files) == 3 + 6
            for folder in folders:
                assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            for file in files:
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        existing = tmp_path / "made_by_user"
        existing.mkdir(mode=0o755)
        Library(existing).close()
        assert stat.S_IMODE(existing.stat().st_mode) == 0o700
    finally:
        os.umask(old)


# --- opening, migrations -------------------------------------------------------------------


def test_migrations_are_recorded_and_applied_once(tmp_path):
    """A new library records every migration with its time and sets user_version to the last;
    reopening applies nothing again and keeps the data."""
    with Library(tmp_path / "lib") as library:
        assert library.schema_version == LATEST_VERSION == len(MIGRATIONS)
        library.log_session("2026-01-05")
    db = sqlite3.connect(tmp_path / "lib" / "library.sqlite")
    recorded = db.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    assert [v for v, _ in recorded] == [m.version for m in MIGRATIONS]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with Library(tmp_path / "lib") as again:
        assert again.schema_version == LATEST_VERSION
        assert len(again.sessions()) == 1
    db = sqlite3.connect(tmp_path / "lib" / "library.sqlite")
    assert db.execute("SELECT version, applied_at FROM schema_migrations").fetchall() == recorded
    db.close()


def test_what_is_not_a_library_is_refused(tmp_path):
    """A non-empty folder without library.sqlite, a file, a database that is not a library,
    one from a newer facetrack, and a missing library with create=False raise LibraryError."""
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.jpg").write_bytes(b"x")
    with pytest.raises(LibraryError, match="is not a facetrack library .* and is not empty"):
        Library(tmp_path / "pictures")
    (tmp_path / "file").write_text("x")
    with pytest.raises(LibraryError, match="is a file, not a library folder"):
        Library(tmp_path / "file")
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "library.sqlite").write_text("this is not a database at all, " * 100)
    with pytest.raises(LibraryError, match="not a facetrack library"):
        Library(tmp_path / "text")
    (tmp_path / "other").mkdir()
    other = sqlite3.connect(tmp_path / "other" / "library.sqlite")
    other.execute("CREATE TABLE notes (x)")
    other.close()
    with pytest.raises(LibraryError, match="not a facetrack library"):
        Library(tmp_path / "other")
    Library(tmp_path / "newer").close()
    newer = sqlite3.connect(tmp_path / "newer" / "library.sqlite")
    newer.execute("PRAGMA user_version = 99")
    newer.close()
    with pytest.raises(LibraryError, match="newer than this facetrack knows"):
        Library(tmp_path / "newer")
    with pytest.raises(LibraryError, match="no library at"):
        Library(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()


def test_default_path_and_memory_library(tmp_path, monkeypatch):
    """The default library is $FACETRACK_LIBRARY, else ~/.local/share/facetrack; a memory
    library lives in a temporary folder removed on close."""
    monkeypatch.setenv("FACETRACK_LIBRARY", str(tmp_path / "env"))
    assert Library.default_path() == tmp_path / "env"
    monkeypatch.delenv("FACETRACK_LIBRARY")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Library.default_path() == tmp_path / "home" / ".local" / "share" / "facetrack"
    library = Library(memory=True)
    folder = library.path
    assert folder.is_dir()
    library.close()
    assert not folder.exists()
    with pytest.raises(LibraryError, match="closed"):
        library.count()


# --- the shared photos with the real model -------------------------------------------------


PHONE_TIMES = {
    "IMG_0001.JPG": "2026-01-05T08:30:12+01:00",
    "IMG_0002.JPG": "2026-01-12T08:31:40+01:00",
    "IMG_0003.JPG": "2026-01-19T08:29:03+01:00",
    "IMG_0004.JPG": "2026-01-26T08:35:55+01:00",
    "IMG_0005.HEIC": "2026-02-02T08:33:21+01:00",
    "IMG_0006_mirrored.JPG": "2026-02-09T08:30:00+01:00",
}


@pytest.fixture(scope="module")
def phone_library(tmp_path_factory):
    """../shared/faces/phone/ imported with the real model in two worker processes."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not found")
    library = Library(tmp_path_factory.mktemp("phone") / "lib")
    summary = import_photos(library, SHARED / "phone", workers=2)
    yield library, summary
    library.close()


@needs_shared
def test_phone_import_dates_every_photo(phone_library):
    """Every phone photo is imported with its capture time and source as in the shared
    README: EXIF with +01:00 for IMG_0001-0006 (JPEG and HEIC), the file name for the
    selfie without EXIF."""
    library, summary = phone_library
    assert summary.errors == {} and summary.notes == () and len(summary.imported) == 7
    records = {Path(r["file"]).name: r for r in library.photo_records()}
    assert set(records) == {*PHONE_TIMES, "2026-02-16_selfie.jpg"}
    for name, when in PHONE_TIMES.items():
        assert (records[name]["captured_at"], records[name]["date_source"]) == (when, "exif")
    selfie = records["2026-02-16_selfie.jpg"]
    assert selfie["date_source"] == "filename"
    assert selfie["captured_at"].startswith("2026-02-16T")
    assert all(r["metrics"] and r["status"] in ("ok", "rejected") for r in records.values())
    assert summary.date_flags == {}


@needs_shared
def test_phone_import_twice_adds_nothing(phone_library):
    """Importing phone/ again adds nothing and lists all seven files as already there."""
    library, _ = phone_library
    again = import_photos(library, SHARED / "phone", workers=2)
    assert again.imported == () and len(again.already_there) == 7
    assert library.count() == 7


@needs_shared
def test_bad_files_with_good_ones_real_model(tmp_path):
    """bad/ with a good phone photo: the unreadable four are reported with their reasons,
    the rest are stored (no_face and tiny_face rejected with reasons, the unusual formats
    measured), the implausible EXIF dates flagged, and the good photo is in."""
    with Library(tmp_path / "lib") as library:
        summary = import_photos(
            library, [SHARED / "bad", SHARED / "phone" / "IMG_0001.JPG"], workers=2
        )
        errors = {Path(f).name: reason for f, reason in summary.errors.items()}
        assert set(errors) == {"empty.jpg", "truncated.jpg", "not_an_image.jpg", "bomb.png"}
        assert errors["empty.jpg"] == "empty file"
        assert errors["not_an_image.jpg"] == "not an image file (unrecognised format)"
        assert "decompression-bomb guard" in errors["bomb.png"]
        assert errors["truncated.jpg"].startswith("truncated or corrupt image data")
        frame = library.photos().set_index(library.photos()["file"].map(lambda f: Path(f).name))
        assert len(frame) == 9  # 12 files in bad/, 4 unreadable, plus IMG_0001
        assert frame.loc["IMG_0001.JPG", "status"] == "ok"
        assert frame.loc["no_face.jpg", "reasons"] == ["no face found"]
        assert any("face too small" in r for r in frame.loc["tiny_face.jpg", "reasons"])
        for name in ("cmyk.jpg", "grayscale.jpg", "alpha.png", "gray16.png"):
            assert np.isfinite(frame.loc[name, "brow_height_left_mm"]), name
        for name in ("date_1970.jpg", "date_garbage.jpg"):
            assert frame.loc[name, "date_source"] == "mtime" and frame.loc[name, "date_flagged"]
            assert str(SHARED / "bad" / name) in summary.date_flags
        assert summary.rejected["no face found"] == 1


# --- the camera: distance, focal length, advice ------------------------------------------------


def make_photos_with_focal(folder: Path, focal_35mm: list[int | None]) -> list[Path]:
    """Astronaut JPEGs dated a day apart, each with FocalLengthIn35mmFilm (None: no tag)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f35 in enumerate(focal_35mm):
        exif = exif_date(datetime(2026, 1, 1, 8) + timedelta(days=i))
        if f35 is not None:
            exif.get_ifd(0x8769)[0xA405] = f35
        path = folder / f"focal_{i:03d}.jpg"
        astronaut_image(100 + i).save(path, quality=90, exif=exif)
        paths.append(path)
    return paths


def iris_distance_mm(points: np.ndarray, focal_px: float, centre=None) -> float:
    """Z = f x 11.71 mm / the iris diameter of stored landmarks in the face frame (perspective
    undone with that focal length, about ``centre`` or else the eyes)."""
    from tracker.metrics.frame import FaceFrame

    frame = FaceFrame.fit(points, focal_length_px=focal_px, principal_point_px=centre)
    return focal_px * 11.71 / float(geometry.iris_diameter_px(frame.to_face(points))[0])


def test_camera_distance_and_focal_source_are_stored_per_photo(library, tmp_path):
    """A photo with FocalLengthIn35mmFilm 28 gets f = 28 / 43.267 x hypot(128, 128) px, one
    without gets the 26 mm default; the distance is f x 11.71 mm / its iris, in ``photos()``
    and ``photo_records()`` alike."""
    paths = make_photos_with_focal(tmp_path / "in", [28, None])
    fake_import(library, paths, workers=1)
    frame = library.photos()
    assert frame["focal_source"].tolist() == ["exif-35mm", "default-front-camera"]
    assert frame["focal_length_35mm"].tolist() == [28.0, 26.0]
    for row, f35 in zip(frame.itertuples(), (28, 26)):
        focal_px = f35 / math.hypot(36, 24) * math.hypot(128, 128)
        centre = (63.5, 63.5) if f35 == 28 else None  # EXIF: the image centre
        expected = iris_distance_mm(library.landmarks(row.id), focal_px, centre)
        assert row.camera_distance_mm == pytest.approx(expected, rel=1e-12)
    record = library.photo(int(frame["id"].iloc[0]))
    assert record["camera_distance_mm"] == pytest.approx(frame["camera_distance_mm"].iloc[0])
    assert record["focal_source"] == "exif-35mm" and record["focal_length_35mm"] == 28.0
    assert record["advice"] is None  # two accepted photos make no usual yet


def set_capture(
    library: Library,
    photo_id: int,
    *,
    distance_mm: float,
    yaw_deg: float = 0.0,
    pitch_deg: float = 0.0,
    roll_deg: float = 0.0,
) -> None:
    with library._write() as db:
        db.execute(
            "UPDATE measurement_info SET camera_distance_mm = ?, yaw_deg = ?, "
            "pitch_deg = ?, roll_deg = ? WHERE photo_id = ?",
            (distance_mm, yaw_deg, pitch_deg, roll_deg, photo_id),
        )


def test_advice_compares_each_photo_with_the_usual_of_the_library(library, photos, tmp_path):
    """With five accepted photos at 40 cm, frontal, the one at 32 cm is told to move the phone
    8 cm away and the one turned -4 deg to turn a little to the subject's left; the others
    match. The usual comes from every accepted photo even when ``photos()`` is filtered."""
    astronaut_image(70).save(
        photos[0].parent / "reject_me.jpg", exif=exif_date(datetime(2026, 2, 1, 8))
    )
    fake_import(library, photos[0].parent, workers=1)
    ids = library.photos()["id"].tolist()
    for photo_id in ids:
        set_capture(library, photo_id, distance_mm=400.0)
    set_capture(library, ids[1], distance_mm=320.0)
    set_capture(library, ids[2], distance_mm=400.0, yaw_deg=-4.0)
    set_capture(library, ids[6], distance_mm=600.0, pitch_deg=2.0)  # the rejected one
    frame = library.photos()
    assert frame["advice"].tolist() == [
        "matches your usual photos",
        "hold the phone about 8 cm further away",
        "turn your head a little to your left",
        *["matches your usual photos"] * 3,
        # rejected for a turned head: what to do about that first
        "look straight into the camera; hold the phone about 20 cm closer; "
        "tilt your chin down a little",
    ]
    assert library.photos(status="rejected")["advice"].tolist() == frame["advice"].tolist()[-1:]
    records = list(library.photo_records())
    assert [r["advice"] for r in records] == frame["advice"].tolist()
    assert records[1]["camera_distance_mm"] == 320.0


def test_old_library_migrates_and_remeasure_fills_in_the_camera(tmp_path):
    """A library made before schema version 3 (no camera columns, nor the later reason codes
    and elevations) opens, migrates, shows
    unknown distances and focal sources; ``remeasure`` reads each stored file's EXIF and
    gives the same distance as a fresh import to 1e-9."""
    paths = make_photos_with_focal(tmp_path / "in", [28, None, 24])
    path = tmp_path / "lib"
    with fake_library(path) as library:
        fake_import(library, paths, workers=1)
        fresh = library.photos()
    db = sqlite3.connect(path / "library.sqlite", isolation_level=None)
    for table, column in (
        ("landmarks", "focal_length_px"),
        ("landmarks", "focal_length_35mm"),
        ("landmarks", "focal_source"),
        ("measurement_info", "camera_distance_mm"),
        ("sessions", "side"),
    ):
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    # and the migrations after 3: elevations back to heights, no reason codes
    for old_name, (new_name, factor) in registry.RENAMED.items():
        db.execute(
            "UPDATE measurements SET metric = ?, value = value * ? WHERE metric = ?",
            (old_name, factor, new_name),
        )
    db.execute("ALTER TABLE photos DROP COLUMN reason_codes")
    # and what migration 7 added (one person, mirror images)
    for column in (
        "person",
        "identity",
        "identity_distance",
        "identity_reason",
        "mirror_source",
        "mirror_correlation",
    ):
        db.execute(f"ALTER TABLE photos DROP COLUMN {column}")
    for column in ("flipped", "signature", "asymmetry"):
        db.execute(f"ALTER TABLE landmarks DROP COLUMN {column}")
    db.execute("DROP TABLE people")
    # and what migration 8 added (plans)
    db.execute("DROP TABLE plans")
    # and what migration 9 added (the profile view)
    for column in ("view", "profile_side"):
        db.execute(f"ALTER TABLE photos DROP COLUMN {column}")
    db.execute("DROP TABLE profiles")
    db.execute("DELETE FROM schema_migrations WHERE version >= 3")
    db.execute("PRAGMA user_version = 2")
    db.close()

    with fake_library(path) as library:
        assert library.schema_version == LATEST_VERSION
        old = library.photos()
        assert old["camera_distance_mm"].isna().all()
        assert old["focal_source"].tolist() == [None] * 3
        assert remeasure(library) == 3
        again = library.photos()
    assert again["focal_source"].tolist() == ["exif-35mm", "default-front-camera", "exif-35mm"]
    np.testing.assert_allclose(again["camera_distance_mm"], fresh["camera_distance_mm"], rtol=1e-9)
    np.testing.assert_allclose(again["focal_length_35mm"], [28, 26, 24])


def test_export_csv_has_the_camera_columns(library, tmp_path):
    """The CSV export carries distance, focal length, focal source and advice."""
    fake_import(library, make_photos_with_focal(tmp_path / "in", [28, 28, 28]), workers=1)
    assert library.export_csv(tmp_path / "out.csv") == 3
    table = pd.read_csv(tmp_path / "out.csv")
    assert {"camera_distance_mm", "focal_length_35mm", "focal_source", "advice"} <= set(table)
    assert table["focal_source"].tolist() == ["exif-35mm"] * 3
    assert table["advice"].notna().all()
