"""Trust, part two: private and complete output files, concurrent creation, clear errors
instead of tracebacks, bad names on the command line, hostile text, sessions a person can
correct, and a Python API that is safe as documented (issue 12, items 3, 5-8, 11, 13).

Library tests use ``fake_measure`` from test_library (each runs in well under a second).
"""

from __future__ import annotations

import builtins
import errno
import multiprocessing
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_library import fake_import, fake_library, fake_measure, make_photos

from tracker.cli import main
from tracker.library import Library, LibraryError
from tracker.library.migrations import LATEST_VERSION


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def stocked(tmp_path) -> Path:
    """A library of 4 imported photos (fake measure, EXIF dates 2026-01-01 to -04) and two
    sessions, closed."""
    photos = make_photos(tmp_path / "in", 4)
    with fake_library(tmp_path / "lib") as library:
        assert len(fake_import(library, photos, workers=1).imported) == 4
        library.log_session("2026-01-02T09:00", minutes=20, mode="lift")
        library.log_session("2026-01-03T09:00", minutes=15, mode="firm")
    return tmp_path / "lib"


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


# --- 3: face images and data are written 0600 ---------------------------------------------------


def test_every_output_file_is_private_whatever_the_umask(stocked, tmp_path, monkeypatch):
    """Before/after PNG, timelapse GIF, charts, the CSV export, overlays and reports: 0600
    under a permissive umask, and an existing 0644 file is replaced by a 0600 one."""
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        (tmp_path / "old.csv").write_text("x")
        os.chmod(tmp_path / "old.csv", 0o644)
        outputs = {
            "chart.png": run("chart", "--out", "chart.png", "--library", stocked),
            "chart.svg": run(
                "chart",
                "--metric",
                "brow_height",
                "--out",
                "chart.svg",
                "--timelapse",
                "t.gif",
                "--library",
                stocked,
            ),
            "pair.png": run("chart", "--before-after", "--out", "pair.png", "--library", stocked),
            "old.csv": run("export", "--csv", "old.csv", "--library", stocked),
            "r.html": run("report", "--out", "r.html", "--library", stocked),
        }
        for name, result in outputs.items():
            assert result.exit_code == 0, (name, result.output)
        import numpy as np

        from tracker.overlay import save_overlay

        save_overlay(tmp_path / "o.jpg", np.zeros((8, 8, 3), np.uint8))
    finally:
        os.umask(old)
    for name in [*outputs, "t.gif", "o.jpg"]:
        assert mode(tmp_path / name) == 0o600, name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- 5: several processes create one new library at once ----------------------------------------


def _create_rounds(root: str, rounds: int, barrier, results) -> None:
    for r in range(rounds):
        barrier.wait()
        try:
            with Library(Path(root) / f"lib{r}") as library:
                library.log_session("2026-01-05T08:00", minutes=os.getpid())
            results.put("ok")
        except Exception as exc:  # reported, counted by the test
            results.put(f"{type(exc).__name__}: {exc}")


def test_eight_processes_create_the_same_library_at_once(tmp_path):
    """8 processes open the same new library at the same moment, 10 rounds: all succeed and
    each library holds the 8 sessions."""
    n, rounds = 8, 10
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(n), context.Queue()
    processes = [
        context.Process(target=_create_rounds, args=(str(tmp_path), rounds, barrier, results))
        for _ in range(n)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(n * rounds)]
    for process in processes:
        process.join()
    assert [o for o in outcomes if o != "ok"] == []
    for r in range(rounds):
        with Library(tmp_path / f"lib{r}") as library:
            assert len(library.sessions()) == n


# --- 11: sessions a person can correct ---------------------------------------------------------


def test_implausible_and_duplicate_sessions_are_refused(tmp_path):
    """1970, the day after tomorrow and the same session twice are refused with one line."""
    from datetime import date, timedelta

    lib = tmp_path / "lib"
    assert (
        run(
            "session",
            "log",
            "--date",
            "2026-01-05T08:00",
            "--minutes",
            "20",
            "--mode",
            "lift",
            "--library",
            lib,
        ).output
        == "Logged session 1.\n"
    )
    refused = {
        "1970-01-01": "error: session start 1970-01-01 12:00 is before 2000: a typing mistake?\n",
        (
            date.today() + timedelta(days=2)
        ).isoformat(): f"error: session start {date.today() + timedelta(days=2)} 12:00 is after tomorrow: "
        "a typing mistake?\n",
    }
    for when, message in refused.items():
        result = run("session", "log", "--date", when, "--library", lib)
        assert (result.exit_code, result.output) == (1, message)
    again = run(
        "session",
        "log",
        "--date",
        "2026-01-05T08:00",
        "--minutes",
        "20",
        "--mode",
        "Lift",
        "--library",
        lib,
    )
    assert (again.exit_code, again.output) == (
        1,
        "error: session 1 already logs this session (2026-01-05T08:00:00); change it with: "
        "facetrack session edit 1\n",
    )
    tomorrow = run(
        "session", "log", "--date", (date.today() + timedelta(days=1)).isoformat(), "--library", lib
    )
    assert tomorrow.output == "Logged session 2.\n"


def test_sessions_are_edited_deleted_and_listed_with_their_side(stocked):
    lib = stocked
    assert (
        run(
            "session",
            "log",
            "--date",
            "2026-01-04T10:00",
            "--minutes",
            "10",
            "--side",
            "left",
            "--note",
            "left only",
            "--library",
            lib,
        ).output
        == "Logged session 3.\n"
    )
    assert (
        run("session", "edit", "2", "--minutes", "25", "--side", "right", "--library", lib).output
        == "Changed session 2.\n"
    )
    assert run("session", "delete", "1", "--library", lib).output == "Deleted session 1.\n"
    missing = run("session", "delete", "1", "--library", lib)
    assert (missing.exit_code, missing.output) == (1, "error: no session with id 1\n")
    clash = run(
        "session",
        "edit",
        "3",
        "--date",
        "2026-01-03T09:00",
        "--minutes",
        "25",
        "--mode",
        "firm",
        "--side",
        "right",
        "--library",
        lib,
    )
    assert clash.exit_code == 1 and "session 2 already logs this session" in clash.output
    assert run("session", "list", "--library", lib).output == (
        "  id  started at          length  mode      side   note\n"
        "   2  2026-01-03 09:00    25 min  firm      right\n"
        "   3  2026-01-04 10:00    10 min  -         left   left only\n"
        "2 sessions.\n"
    )
    import json

    lines = run("session", "list", "--json", "--library", lib).output.splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "id": 2,
            "started_at": "2026-01-03T09:00:00",
            "utc_offset": None,
            "minutes": 25.0,
            "mode": "firm",
            "note": None,
            "side": "right",
        },
        {
            "id": 3,
            "started_at": "2026-01-04T10:00:00",
            "utc_offset": None,
            "minutes": 10.0,
            "mode": None,
            "note": "left only",
            "side": "left",
        },
    ]
    from tracker.report.content import adherence_lines

    with Library(lib) as library:
        assert "Side treated: right 1, left 1." in adherence_lines(library.sessions())
        assert library.schema_version == LATEST_VERSION


def test_session_import_names_each_bad_row_and_logs_the_rest(tmp_path):
    csv_file = tmp_path / "sessions.csv"
    csv_file.write_text(
        "started_at,minutes,mode,note,side\n"
        "2026-01-05T08:00,20,lift,,\n"
        "1970-01-01,20,lift,,\n"
        "2026-01-06T08:00,abc,lift,,\n"
        "2026-01-07T08:00,20,lift,evening,left\n"
        "2026-01-05T08:00,20,lift,,\n"
        "2026-01-08T08:00,20,lift,,middle\n"
    )
    result = run("session", "import", csv_file, "--library", tmp_path / "lib")
    assert result.exit_code == 1
    assert result.output == (
        f"Logged 2 sessions from {csv_file}.\n"
        "error: line 3: session start 1970-01-01 12:00 is before 2000: a typing mistake?\n"
        "error: line 4: session length 'abc' is not a number\n"
        "error: line 6: session 1 already logs this session (2026-01-05T08:00:00); change it "
        "with: facetrack session edit 1\n"
        "error: line 7: side must be left, right or both, not 'middle'\n"
    )
    with Library(tmp_path / "lib") as library:
        assert library.sessions()["side"].tolist() == ["both", "left"]


# --- 7: unreadable paths, loops, dangling links and FIFOs are named, and the batch goes on -------


@pytest.fixture
def deny(monkeypatch):
    """``deny(path)`` makes a file or folder unreadable (chmod 000). Root reads anything, so
    for root the refusal is simulated: os.access, os.scandir and open fail for that path
    with EACCES as they would for anyone else."""
    denied: set[str] = set()
    if os.geteuid() == 0:
        real_access, real_scandir, real_open = os.access, os.scandir, builtins.open

        def refuse(path):
            return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

        def access(path, how, *args, **kwargs):
            if str(path) in denied and how & os.R_OK:
                return False
            return real_access(path, how, *args, **kwargs)

        def scandir(path="."):
            if str(path) in denied:
                raise refuse(path)
            return real_scandir(path)

        def open_(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and str(file) in denied:
                raise refuse(file)
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(builtins, "open", open_)

    def deny_(path: Path) -> Path:
        os.chmod(path, 0)
        denied.add(str(path))
        return path

    yield deny_
    for path in denied:
        os.chmod(path, 0o700)


@pytest.fixture
def awkward(tmp_path, deny) -> Path:
    """tmp_path/in: two good photos; an unreadable sub-folder holding one; a symbolic link
    loop; a dangling link; a FIFO named like a photo; a link to a folder; and beside it an
    unreadable photo bad.jpg and an unreadable folder closed/."""
    folder = tmp_path / "in"
    make_photos(folder, 2)
    make_photos(folder / "locked", 1, start=5)
    deny(folder / "locked")
    os.symlink("loop.jpg", folder / "loop.jpg")
    os.symlink("gone.jpg", folder / "dangling.jpg")
    os.mkfifo(folder / "fifo.jpg")
    os.symlink(folder / "locked", folder / "album")
    make_photos(tmp_path, 1, start=7)
    deny((tmp_path / "photo_007.jpg").rename(tmp_path / "bad.jpg"))
    make_photos(tmp_path / "closed", 1, start=8)
    deny(tmp_path / "closed")
    return tmp_path


def test_import_names_every_path_it_cannot_use_and_imports_the_rest(awkward, monkeypatch):
    monkeypatch.setattr("tracker.importing.default_measure", fake_measure)
    result = run(
        "import",
        awkward / "bad.jpg",
        awkward / "in",
        awkward / "closed",
        "--workers",
        "1",
        "--library",
        awkward / "lib",
    )
    assert result.exit_code == 1
    assert result.output == "".join(
        line + "\n"
        for line in [
            "Imported 2 photos (2 ok, 0 rejected).",
            "Errors: 6 files not imported:",
            f"  {awkward}/in/dangling.jpg: dangling link: its target does not exist",
            f"  {awkward}/in/fifo.jpg: not a regular file (a FIFO)",
            f"  {awkward}/in/locked: cannot read folder: Permission denied",
            f"  {awkward}/in/loop.jpg: symbolic link loop",
            f"  {awkward}/closed: cannot read folder: Permission denied",
            f"  {awkward}/bad.jpg: cannot read file: Permission denied",
            f"Note: {awkward}/in/album: link to a folder, not followed (name the folder itself "
            "to include it)",
        ]
    )


def test_measure_names_every_path_it_cannot_use_and_measures_the_rest(awkward, monkeypatch):
    monkeypatch.setattr(
        "tracker.pipeline.measure_photo_view", lambda path, **_: (fake_measure(path), None)
    )
    result = CliRunner().invoke(
        main, ["measure", str(awkward / "bad.jpg"), str(awkward / "in"), str(awkward / "closed")]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"warning: {awkward}/in/album: link to a folder, not followed (name the folder "
        "itself to include it)",
        f"error: {awkward}/in/dangling.jpg: dangling link: its target does not exist",
        f"error: {awkward}/in/fifo.jpg: not a regular file (a FIFO)",
        f"error: {awkward}/in/locked: cannot read folder: Permission denied",
        f"error: {awkward}/in/loop.jpg: symbolic link loop",
        f"error: {awkward}/closed: cannot read folder: Permission denied",
        f"error: {awkward}/bad.jpg: cannot read file: Permission denied",
    ]
    assert result.stdout.splitlines()[-1] == "3 photos: 2 ok, 0 rejected, 1 error"


# --- 8: hostile text: control characters, length, formulas, names that are not UTF-8 ------------


def test_control_characters_in_names_and_notes_reach_the_terminal_escaped(tmp_path, monkeypatch):
    """A file name with an escape sequence and a newline (and bytes that are not UTF-8), and a
    note with a screen-clearing sequence, are printed escaped; the name that is not UTF-8 is
    imported and leaves no orphan copy."""
    monkeypatch.setattr("tracker.importing.default_measure", fake_measure)
    folder = tmp_path / "in"
    [good] = make_photos(folder, 1)
    hostile = os.path.join(os.fsencode(folder), b"x\x1b]0;owned\x07\nerror: fake\xe9.jpg")
    with open(hostile, "wb") as handle:
        handle.write(b"not a photo")
    foreign = os.path.join(os.fsencode(folder), b"selfie-\xe9.jpg")
    os.rename(good, foreign)
    lib = tmp_path / "lib"
    result = run("import", folder, "--workers", "1", "--library", lib)
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "Imported 1 photo (1 ok, 0 rejected).",
        "Errors: 1 file not imported:",
        f"  {folder}/x\\x1b]0;owned\\x07\\nerror: fake\\xe9.jpg: not an image file "
        "(unrecognised format)",
    ]
    with Library(lib) as library:
        [record] = library.photo_records()
        assert record["file"] == f"{folder}/selfie-\\xe9.jpg"
        assert Path(record["stored_path"]).is_file()
        assert len([p for p in (lib / "photos").rglob("*") if p.is_file()]) == 1
    run("session", "log", "--date", "2026-01-05", "--note", "ok\x1b[2J\rerror: x", "--library", lib)
    assert run("session", "list", "--library", lib).output.splitlines()[1] == (
        "   1  2026-01-05 12:00         -  -         both   ok\\x1b[2J\\rerror: x"
    )


def test_tags_and_notes_are_limited_in_length(tmp_path):
    long = "x" * 1_000_000
    lib = tmp_path / "lib"
    note = run("session", "log", "--date", "2026-01-05", "--note", long, "--library", lib)
    assert (note.exit_code, note.output) == (
        1,
        "error: note is 1,000,000 characters long; at most 500 are kept\n",
    )
    with fake_library(lib) as library:
        with pytest.raises(
            LibraryError,
            match=r"^tag is 501 characters long; at most 500 "
            r"are kept$",
        ):
            fake_import(library, make_photos(tmp_path / "in", 1), tag="y" * 501, workers=1)
        assert library.count() == 0


def test_a_formula_like_tag_is_neutralised_in_csv(stocked, tmp_path):
    import csv

    with sqlite3.connect(stocked / "library.sqlite") as db:
        db.execute('UPDATE photos SET tag = \'=HYPERLINK("http://evil","x")\' WHERE id = 1')
        db.execute("UPDATE photos SET tag = '@SUM(A1)' WHERE id = 2")
    assert run("export", "--csv", tmp_path / "out.csv", "--library", stocked).exit_code == 0
    with open(tmp_path / "out.csv", newline="") as handle:
        tags = [row["tag"] for row in csv.DictReader(handle)]
    assert tags == ['\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "", ""]
    listed = run("photos", "--csv", "--library", stocked).output
    assert "'=HYPERLINK" in listed and ",=HYPERLINK" not in listed


def test_the_matplotlib_pdf_wraps_and_cuts_a_long_tag(stocked, tmp_path):
    """An old library's 200,000-character tag (from before the limit) is cut to 500
    characters and wrapped in the matplotlib PDF: the photo log stays a few pages."""
    from tracker.report import write_report

    with sqlite3.connect(stocked / "library.sqlite") as db:
        db.execute("UPDATE photos SET tag = ? WHERE id = 1", ("$\\frac{" + "t" * 200_000,))
    start = time.monotonic()
    with Library(stocked) as library:
        assert write_report(library, tmp_path / "r.pdf", pdf_engine="matplotlib") == "matplotlib"
    assert time.monotonic() - start < 60
    from tracker.report.pdf import _user_text

    assert _user_text("a\nb" + "c" * 600) == "a\\nb" + "c" * 495 + "…"
    assert mode(tmp_path / "r.pdf") == 0o600


# --- 6: a full disk, a read-only or damaged library, a bad stored value: one line each -----------


class _FullDisk:
    """A connection whose COMMIT of any change fails as SQLite's does on a full disk."""

    def __init__(self, db):
        object.__setattr__(self, "_db", db)
        object.__setattr__(self, "_changes", db.total_changes)

    def execute(self, sql, *args):
        if sql.strip().upper().startswith("BEGIN"):
            object.__setattr__(self, "_changes", self._db.total_changes)
        if sql.strip().upper() == "COMMIT" and self._db.total_changes != self._changes:
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)

    def __setattr__(self, name, value):
        setattr(self._db, name, value)


@pytest.fixture
def full_disk(monkeypatch):
    """From now on every change the library commits fails with "database or disk is full"
    at its COMMIT, and every output file fails at its flush with ENOSPC."""
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: _FullDisk(real_connect(*a, **k)))

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("tracker.output.os.fsync", no_space)


def test_a_full_disk_is_one_line_and_changes_nothing(stocked, tmp_path, full_disk, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = f"{stocked}/library.sqlite"
    full = (
        f"error: {db}: the disk is full (database or disk is full); nothing was changed. "
        "Free some space and try again\n"
    )
    for args in (
        ["session", "log", "--date", "2026-01-09"],
        ["remeasure"],
        ["forget", "1"],
        ["forget", "--all", "--yes"],
        ["session", "delete", "1"],
    ):
        result = run(*args, "--library", stocked)
        assert (result.exit_code, result.output) == (1, full), args
    for args, name in (
        (["report", "--out", "r.html"], "r.html"),
        (["report", "--out", "r.pdf"], "r.pdf"),
        (["export", "--csv", "m.csv"], "m.csv"),
        (["chart", "--out", "c.png"], "c.png"),
        (["chart", "--before-after", "--out", "c.svg"], "c.svg"),
    ):
        result = run(*args, "--library", stocked)
        assert (result.exit_code, result.output) == (
            1,
            f"error: {name}: No space left on device\n",
        ), args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "lib"]  # no 0-byte file
    monkeypatch.undo()
    with Library(stocked) as library:
        assert library.count() == 4 and len(library.sessions()) == 2


def _corrupt(db_path: Path) -> None:
    """Overwrite the middle of every page after the first two with garbage."""
    data = bytearray(db_path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for start in range(2 * page, len(data), page):
        data[start + 8 : start + page - 8] = b"\xa5" * (page - 16)
    db_path.write_bytes(bytes(data))


def test_a_damaged_database_is_one_line(stocked, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _corrupt(stocked / "library.sqlite")
    for args in (
        ["photos"],
        ["session", "list"],
        ["export", "--csv", "m.csv"],
        ["trend"],
        ["report", "--out", "r.html"],
        ["session", "log", "--date", "2026-01-09"],
    ):
        result = run(*args, "--library", stocked)
        assert result.exit_code == 1, args
        assert result.output.count("\n") == 1 and result.output.startswith("error: "), args
        assert "Traceback" not in result.output
        assert (
            "the database is damaged" in result.output or "not a facetrack library" in result.output
        ), (args, result.output)


def test_a_bad_stored_date_is_one_line(stocked):
    with sqlite3.connect(stocked / "library.sqlite") as db:
        db.execute("UPDATE photos SET captured_at = 'last Tuesday' WHERE id = 2")
        db.execute("UPDATE sessions SET started_at = '2026-13-45' WHERE id = 1")
    photos = run("photos", "--library", stocked)
    assert (photos.exit_code, photos.output) == (
        1,
        "error: photo 2 has a bad stored capture time 'last Tuesday': correct it in the "
        "database, or remove the photo with facetrack forget\n",
    )
    sessions = run("session", "list", "--library", stocked)
    assert (sessions.exit_code, sessions.output) == (
        1,
        "error: session 1 has a bad stored date '2026-13-45': correct it with facetrack "
        "session edit 1 --date DATE, or delete it\n",
    )
    assert (
        run("session", "edit", "1", "--date", "2026-01-02T09:00", "--library", stocked).exit_code
        == 0
    )
    assert run("session", "list", "--library", stocked).exit_code == 0


def test_a_malformed_stored_value_reads_as_empty_and_doctor_names_it(stocked):
    """A JSON cell edited or damaged by hand (photo 2's reasons, date notes and quality not
    JSON at all, photo 3's reason codes a number) costs no listing: those values read as
    empty, every photo is listed, and ``doctor`` names each bad cell on one line."""
    with sqlite3.connect(stocked / "library.sqlite") as db:
        db.execute(
            "UPDATE photos SET status = 'rejected', reasons = '{not json', "
            "date_notes = 'x', quality = '[1' WHERE id = 2"
        )
        db.execute("UPDATE photos SET reason_codes = '5' WHERE id = 3")
    listed = run("photos", "--library", stocked)
    assert listed.exit_code == 0, listed.output
    assert "4 photos." in listed.output
    with Library(stocked) as library:
        record = library.photo(2)
        assert (record["status"], record["reasons"], record["date_notes"]) == ("rejected", [], [])
        assert library.photo(3)["reasons"] == []
        assert len(library.photos()) == 4
    doctor = run("doctor", "--library", stocked)
    assert doctor.exit_code == 1
    assert doctor.output.splitlines()[1:] == [
        "stored values that are not valid JSON (read as empty): photo 2: date_notes; "
        "photo 2: reasons; photo 2: quality; photo 3: reason_codes"
    ]


@pytest.fixture
def read_only_copy(stocked, tmp_path):
    """The stocked library on a read-only file system (a tmpfs remounted read-only, as root),
    else made read-only by its permissions."""
    mount = tmp_path / "ro"
    mount.mkdir()
    mounted = (
        os.geteuid() == 0
        and os.system(f"mount -t tmpfs -o size=64m tmpfs {mount} 2>/dev/null") == 0
    )
    if os.geteuid() == 0 and not mounted:
        pytest.skip("root, and cannot mount a tmpfs to make a read-only file system")
    import shutil

    shutil.copytree(stocked, mount / "lib")
    if mounted:
        assert os.system(f"mount -o remount,ro {mount}") == 0
    else:
        for path in [mount / "lib", *(mount / "lib").rglob("*")]:
            os.chmod(path, 0o500 if path.is_dir() else 0o400)
    yield mount / "lib"
    if mounted:
        os.system(f"umount {mount}")
    else:
        for path in [mount / "lib", *(mount / "lib").rglob("*")]:
            os.chmod(path, 0o700)


def test_a_read_only_library_can_be_read(read_only_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lib = read_only_copy
    assert any(
        line.startswith("4 photos.") for line in run("photos", "--library", lib).output.splitlines()
    )
    assert run("session", "list", "--library", lib).output.splitlines()[-1] == "2 sessions."
    assert run("export", "--csv", "m.csv", "--library", lib).output == "Wrote 4 photos to m.csv.\n"
    assert run("report", "--out", "r.html", "--library", lib).exit_code == 0
    write = run("session", "log", "--date", "2026-01-09", "--library", lib)
    assert (write.exit_code, write.output) == (
        1,
        f"error: {lib}/library.sqlite: the library is read-only (attempt to write a "
        "readonly database); it can be read but not changed\n",
    )
    create = run("session", "log", "--date", "2026-01-09", "--library", lib.parent / "new")
    assert create.exit_code == 1
    assert create.output.startswith(f"error: {lib.parent / 'new'}: cannot create the library: ")
    assert create.output.count("\n") == 1


# --- 13: the README's Python example as a plain script ----------------------------------------

TESTS = Path(__file__).parent

PLAIN_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_library import fake_measure
from tracker import Library, import_photos
with Library({lib!r}) as library:
    summary = import_photos(library, [{photos!r}], workers=2, measure=fake_measure)
    library.log_session("2026-01-05T08:00", minutes=20, mode="lift")
    print(len(summary.imported), summary.notes)
"""


def _script(tmp_path, name: str, body: str) -> Path:
    script = tmp_path / name
    script.write_text(body)
    return script


@pytest.mark.parametrize("guarded", [False, True])
def test_the_readme_example_runs_once_as_a_plain_script(tmp_path, guarded):
    """Without a main guard the photos are measured in the script's own process (workers
    started with "spawn" would run the script again and log the session once more each);
    with one, in worker processes. Either way: 3 photos, 1 session."""
    import subprocess
    import sys
    import textwrap

    make_photos(tmp_path / "in", 3)
    body = PLAIN_SCRIPT.format(
        tests=str(TESTS), lib=str(tmp_path / "lib"), photos=str(tmp_path / "in")
    )
    if guarded:
        head, tail = body.split("with Library", 1)
        body = (
            head + 'if __name__ == "__main__":\n' + textwrap.indent("with Library" + tail, "    ")
        )
    script = _script(tmp_path, "example.py", body)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(TESTS.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    from tracker.measuring import NOT_STARTED_NOTE, UNGUARDED_MAIN

    notes = () if guarded else (NOT_STARTED_NOTE.format(why=UNGUARDED_MAIN),)
    assert done.stdout == f"3 {notes}\n"
    with Library(tmp_path / "lib") as library:
        assert len(library.sessions()) == 1 and library.count() == 3


def test_import_photos_expands_the_home_folder_and_refuses_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    make_photos(tmp_path / "Pictures", 2)
    with fake_library(tmp_path / "lib") as library:
        assert len(fake_import(library, ["~/Pictures"], workers=1).imported) == 2
        with pytest.raises(LibraryError) as raised:
            fake_import(library, ["~/Pictures/*.jpg"], workers=1)
        assert str(raised.value) == (
            f"no such file or folder: {tmp_path}/Pictures/*.jpg; nothing imported; wildcards "
            "such as * are not expanded here: give the folder, or the files themselves"
        )
        with pytest.raises(
            LibraryError, match="^no such file or folder: .*/Pictuers; nothing imported$"
        ):
            fake_import(library, "~/Pictuers", workers=1)


# --- 14 (part): the monthly rows the README promises ---------------------------------------------


def test_the_long_term_window_is_given_month_by_month():
    """The synthetic season's months after day 0 appear one line each, with the month's
    change, interval and verdict, and none for a metric not asked for."""
    from test_analysis import LEFT, treatment_series

    from tracker.analysis import analyse, monthly_lines

    photos, sessions = treatment_series(1)
    trend = analyse(photos, sessions)
    lines = monthly_lines(trend.monthly, metrics=[LEFT])
    assert [line.split(" (")[0] for line in lines] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    months = trend.monthly.set_index(["metric", "month"])
    february = months.loc[(LEFT, "2026-02")]
    assert lines[1].startswith(
        f"2026-02 (days {february.first_day}-{february.last_day}, {february.n_days} days of photos): "
        f"Brow height (left) +{february.change:.2f} mm (95% CI "
    )
    assert lines[1].endswith("detection threshold.")
    assert monthly_lines(trend.monthly.iloc[:0]) == []


def test_trend_and_report_show_the_months(tmp_path):
    from test_charts import build_library

    from tracker.report import build_report

    library = build_library(
        tmp_path / "lib", days=90, every=2, smiles_every=0, after_every=4, tag=None, note=None
    )
    try:
        report = build_report(library)
        assert [line[:7] for line in report.monthly][:3] == ["2025-01", "2025-01", "2025-01"]
        report.close()
        out = run("trend", "--metric", "brow_height_left_mm", "--library", library.path).output
        assert "Long term, month by month (against the baseline):\n" in out
    finally:
        library.close()
