"""Trust, part two: private and complete output files, concurrent creation, clear errors
instead of tracebacks, bad names on the command line, hostile text, sessions a person can
correct, and a Python API that is safe as documented (issue 12, items 3, 5-8, 11, 13).

Library tests use ``fake_measure`` from test_library (each runs in well under a second).
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_library import fake_library, make_photos

from tracker.cli import main
from tracker.library import Library, LibraryError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def stocked(tmp_path) -> Path:
    """A library of 4 imported photos (fake measure, EXIF dates 2026-01-01 to -04) and two
    sessions, closed."""
    photos = make_photos(tmp_path / "in", 4)
    with fake_library(tmp_path / "lib") as library:
        assert len(library.import_photos(photos, workers=1).imported) == 4
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
            "chart.svg": run("chart", "--metric", "brow_height", "--out", "chart.svg",
                             "--timelapse", "t.gif", "--library", stocked),
            "pair.png": run("chart", "--before-after", "--out", "pair.png", "--library", stocked),
            "old.csv": run("export", "--csv", "old.csv", "--library", stocked),
            "r.html": run("report", "--out", "r.html", "--library", stocked),
        }
        for name, result in outputs.items():
            assert result.exit_code == 0, (name, result.output)
        from tracker.overlay import save_overlay
        import numpy as np
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
                library.log_session("2026-01-05T08:00", minutes=1)
            results.put("ok")
        except Exception as exc:  # reported, counted by the test
            results.put(f"{type(exc).__name__}: {exc}")


def test_eight_processes_create_the_same_library_at_once(tmp_path):
    """8 processes open the same new library at the same moment, 10 rounds: all succeed and
    each library holds the 8 sessions."""
    n, rounds = 8, 10
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(n), context.Queue()
    processes = [context.Process(target=_create_rounds,
                                 args=(str(tmp_path), rounds, barrier, results))
                 for _ in range(n)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(n * rounds)]
    for process in processes:
        process.join()
    assert [o for o in outcomes if o != "ok"] == []
    for r in range(rounds):
        with Library(tmp_path / f"lib{r}") as library:
            assert len(library.sessions()) == n

