"""Trust: what the library holds is never lost on the strength of a damaged database, and the
PDF printer never goes on the network.

Library tests use ``fake_measure`` from test_library (the photo is really opened, landmarks
are the reference face with seeded noise), so each runs in well under a second.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_library import (
    check_consistent,
    fake_import,
    fake_library,
    fake_measure,
    make_photos,
    stored_files,
)

from tracker import importing
from tracker.cli import main
from tracker.library import Library, LibraryError
from tracker.report.pdf import (
    chromium_command,
    chromium_environment,
    find_chromium,
    network_isolation,
)

# --- an emptied or damaged database -------------------------------------------------------------


@pytest.fixture
def stocked(tmp_path) -> Path:
    """A library of 6 imported photos (fake measure), closed."""
    photos = make_photos(tmp_path / "in", 6)
    with fake_library(tmp_path / "lib") as library:
        assert len(fake_import(library, photos, workers=1).imported) == 6
    return tmp_path / "lib"


def test_an_emptied_database_is_refused_and_no_copy_is_deleted(stocked, tmp_path):
    """A 0-byte library.sqlite (a failed sync) beside stored copies is not a new library: it is
    refused with a way to recover, and an import does not delete the copies as orphans."""
    for suffix in ("-wal", "-shm"):
        Path(f"{stocked / 'library.sqlite'}{suffix}").unlink(missing_ok=True)
    (stocked / "library.sqlite").write_bytes(b"")
    before = sorted(stored_files(stocked))
    assert len(before) == 6

    with pytest.raises(LibraryError) as raised:
        fake_library(stocked)
    message = str(raised.value)
    assert "is empty (0 bytes)" in message and "6 stored photos" in message
    assert "facetrack doctor --rebuild" in message

    result = CliRunner().invoke(main, ["import", str(tmp_path / "in"), "--library", str(stocked)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "is empty (0 bytes)" in result.output
    assert sorted(stored_files(stocked)) == before


def test_rebuild_recreates_every_row_from_the_copies(stocked):
    """doctor --rebuild brings back all 6 photos with their EXIF capture times; the old
    database is kept aside and the copies stay where they were."""
    with Library(stocked) as library:
        times = sorted(library.photos()["captured_at"].astype(str))
    shas = sorted(p.name for p in stored_files(stocked))
    (stocked / "library.sqlite").write_bytes(b"")

    library, summary, kept = importing.rebuild(stocked, measure=fake_measure, workers=1)
    with library:
        assert len(summary.imported) == 6 and not summary.errors
        assert sorted(library.photos()["captured_at"].astype(str)) == times
    assert sorted(p.name for p in stored_files(stocked)) == shas
    assert kept.exists() and kept.stat().st_size == 0
    assert not list(stocked.glob("photos.rebuild-*"))
    check_consistent(stocked).close()


def test_doctor_reports_a_sound_and_a_damaged_library(stocked):
    runner = CliRunner()
    sound = runner.invoke(main, ["doctor", "--library", str(stocked)])
    assert sound.exit_code == 0, sound.output
    assert sound.output == "database: ok; 6 photos, 6 stored copies\n"

    victim = stored_files(stocked)[0]
    victim.unlink()
    damaged = runner.invoke(main, ["doctor", "--library", str(stocked)])
    assert damaged.exit_code == 1
    assert "photos whose file is missing: " in damaged.output


def test_many_copies_without_rows_are_kept_not_swept(stocked, tmp_path):
    """A database restored from an old backup (rows lost, copies present) keeps its copies:
    more than a crash's leftovers are reported, never deleted."""
    with Library(stocked) as library:
        connection = library._conn
        connection.execute("DELETE FROM photos")  # rows gone, copies stay: like an old backup
    with fake_library(stocked) as library:
        fake_import(library, make_photos(tmp_path / "more", 1, start=50), workers=1)
        assert len(library.unexplained_copies) == 6
    assert len(stored_files(stocked)) == 7


def test_a_linked_import_of_a_stored_copy_is_refused(stocked):
    """Importing a file from the library's own photos/ (with or without --link) is refused
    with a one-line reason, and the copy stays."""
    copy = stored_files(stocked)[0]
    with fake_library(stocked) as library:
        summary = fake_import(library, [copy], link=True, workers=1)
        assert summary.errors == {
            str(copy): "is inside the library's own photos/ folder (it "
            "is stored already); import the original instead"
        }
    assert copy.exists() and len(stored_files(stocked)) == 6


def test_a_killed_forget_all_is_finished_when_the_library_opens(stocked):
    """forget --all killed after its rows were deleted but before the copies were: the next
    open (even just to list photos) deletes the copies."""
    with Library(stocked) as library:
        db = library._conn
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO pending_deletions SELECT stored_path FROM photos")
        db.execute("DELETE FROM photos")
        db.execute("COMMIT")  # ... and the process is killed here
    assert len(stored_files(stocked)) == 6
    with Library(stocked) as library:
        assert library.count() == 0
    assert stored_files(stocked) == []


# --- Chromium stays off the network ---------------------------------------------------------------

needs_chromium_and_strace = pytest.mark.skipif(
    find_chromium() is None or shutil.which("strace") is None,
    reason="needs a chromium binary and strace (Debian packages 'chromium' and 'strace'; "
    ".ci/run installs both)",
)


def internet_calls(lines: list[str]) -> list[str]:
    """strace lines of calls on an IPv4/IPv6 address, each with its result: a call that strace
    split ("<unfinished ...>") is joined with the same process's "<... resumed>" line."""
    calls = []
    for i, line in enumerate(lines):
        if not re.search(r"sa_family=AF_INET6?\b", line):
            continue
        if line.endswith("<unfinished ...>"):
            pid = line.split()[0]
            resumed = next(
                (
                    later
                    for later in lines[i + 1 :]
                    if later.startswith(pid + " ") and "resumed>" in later
                ),
                "",
            )
            line = line.removesuffix("<unfinished ...>") + resumed.split("resumed>")[-1]
        calls.append(line)
    return calls


@needs_chromium_and_strace
def test_chromium_opens_no_internet_socket_and_writes_nothing_in_home(tmp_path):
    """Printing a page with facetrack's Chromium command, traced by strace: no connect(),
    sendto() or sendmsg() to an IPv4/IPv6 address succeeds (no DNS look-up, no Google host;
    without the network namespace, Chromium's resolver would connect a UDP socket to
    2001:4860:4860::8888 to test IPv6 reachability), and nothing is written into HOME."""
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><title>t</title><p>hello</p>", encoding="utf-8")
    home = Path(tempfile.mkdtemp(prefix="chromium-home-", dir=tmp_path))
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    trace = tmp_path / "trace.txt"
    command = chromium_command(
        find_chromium(),
        page.as_uri(),
        str(home / "profile"),
        f"--print-to-pdf={tmp_path / 'out.pdf'}",
    )
    env = chromium_environment(str(home))
    # the user's HOME as the parent process sees it: must stay empty
    env["FACETRACK_USER_HOME"] = str(user_home)
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), *command],
        env=env,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert (tmp_path / "out.pdf").read_bytes()[:5] == b"%PDF-"
    internet = internet_calls(trace.read_text(errors="replace").splitlines())
    reached = [c for c in internet if not re.search(r"= -1 E[A-Z]+", c)]
    assert reached == [], reached[:5]
    if network_isolation():
        assert all("= -1 EADDRNOTAVAIL" in c or "= -1 ENETUNREACH" in c for c in internet)
    else:
        assert internet == [], internet[:5]
    assert list(user_home.iterdir()) == []
    assert env["HOME"] == str(home) and env["XDG_CONFIG_HOME"].startswith(str(home))


def test_chromium_command_carries_every_offline_flag():
    """The flags the developers' guide requires are all on the command line."""
    command = chromium_command("chromium", "file:///x.html", "/tmp/profile")
    for flag in (
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--user-data-dir=/tmp/profile",
    ):
        assert flag in command
    assert chromium_environment("/tmp/h")["HOME"] == "/tmp/h"
    assert sys.platform != "linux" or os.geteuid() != 0 or "--no-sandbox" in command


# --- 15: reasons a person can act on, and an accepted sample -----------------------------------


def test_rejections_say_what_to_do_and_a_sample_is_accepted(tmp_path):
    """Every sample photo but one is rejected for its expression (open mouth, smile) or blur;
    measure --json gives each rejection's plain advice beside its figures, and
    sample_images/astronaut_neutral.jpg (the series' neutral face) is accepted, with at most
    the note that part of its jaw's outline was not found (hair near her right ear) and its
    advice."""
    import json

    samples = Path(__file__).resolve().parents[1] / "sample_images"
    result = CliRunner().invoke(main, ["measure", "--json", str(samples)])
    records = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert records["astronaut_neutral.jpg"]["status"] == "ok"
    neutral = records["astronaut_neutral.jpg"]
    assert set(neutral["advice"]) <= {"keep hair, a beard or a collar off your jawline"}
    assert all(r.startswith("jaw outline not found in the image") for r in neutral["reasons"])
    smiling = records["astronaut.jpg"]
    assert smiling["status"] == "rejected"
    assert "relax your mouth: a neutral face, no smile" in smiling["advice"]
    assert any(reason.startswith("smiling") for reason in smiling["reasons"])
    blurred = records["astronaut_blurred.jpg"]
    assert "hold the phone still and let it focus on your face" in blurred["advice"]
