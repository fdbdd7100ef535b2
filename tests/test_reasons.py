"""Typed reasons: a code from an enum and the message people read."""

from __future__ import annotations

import json
import pickle
import sqlite3

from tracker.library.migrations import MIGRATIONS, _statements
from tracker.library.summary import reason_kind
from tracker.types import Reason, ReasonCode


def test_a_reason_is_its_message_and_carries_its_code():
    """A Reason prints, joins and serialises as its message; its code survives pickling."""
    reason = Reason(ReasonCode.HEAD_TURNED, "head turned: yaw +14.0 deg (limit +/-10)")
    assert reason == "head turned: yaw +14.0 deg (limit +/-10)"
    assert json.dumps([reason]) == '["head turned: yaw +14.0 deg (limit +/-10)"]'
    assert reason.kind == reason_kind(reason) == "head turned"
    back = pickle.loads(pickle.dumps(reason))
    assert back.code is ReasonCode.HEAD_TURNED and back == reason


def test_every_code_has_a_kind_its_text_maps_back_to():
    """Legacy text (before codes) maps to the code whose kind it begins with; unknown text
    to OTHER, counted under its own prefix."""
    for code in ReasonCode:
        if code is not ReasonCode.OTHER:
            assert ReasonCode.from_text(f"{code.kind}: 12 units") is code
    assert Reason.of("several faces (2); the largest was measured").code is ReasonCode.SEVERAL_FACES
    unknown = Reason.of("lens smudged: 40 %")
    assert unknown.code is ReasonCode.OTHER and unknown.kind == "lens smudged"


REASON_CODES = next(m for m in MIGRATIONS if m.description.startswith("reason codes"))
ELEVATIONS = next(m for m in MIGRATIONS if "elevations" in m.description)


def database_before(migration) -> sqlite3.Connection:
    """An in-memory library with every migration before ``migration`` applied."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    for earlier in MIGRATIONS:
        if earlier.version < migration.version:
            for statement in _statements(earlier.sql):
                db.execute(statement)
    return db


def test_migration_gives_stored_reasons_their_codes():
    """The reason-code migration fills reason_codes for photos stored with text reasons only,
    in order."""
    db = database_before(REASON_CODES)
    texts = ["smiling", "head tipped: pitch +12.0 deg (limit +/-10)", "lens smudged"]
    db.execute(
        "INSERT INTO photos (sha256, original_path, stored_path, linked, size_bytes, "
        "mirrored, captured_at, date_source, imported_at, status, reasons) "
        "VALUES (?, 'a.jpg', 'a.jpg', 0, 1, 0, '2026-01-01T08:00', 'manual', "
        "'2026-01-01T08:00', 'rejected', ?)",
        ("0" * 64, json.dumps(texts)),
    )
    db.execute(
        "INSERT INTO photos (sha256, original_path, stored_path, linked, size_bytes, "
        "mirrored, captured_at, date_source, imported_at, status) "
        "VALUES (?, 'b.jpg', 'b.jpg', 0, 1, 0, '2026-01-01T09:00', 'manual', "
        "'2026-01-01T09:00', 'ok')",
        ("1" * 64,),
    )
    for statement in _statements(REASON_CODES.sql):
        db.execute(statement)
    rows = db.execute("SELECT reason_codes FROM photos ORDER BY id").fetchall()
    assert [json.loads(r[0]) for r in rows] == [["smiling", "head_tipped", "other"], []]


def test_migration_turns_heights_into_elevations():
    """The elevation migration renames stored mouth corner and cheek heights (downward) to
    elevations (upward) and negates them; other metrics are untouched."""
    db = database_before(ELEVATIONS)
    db.execute(
        "INSERT INTO photos (id, sha256, original_path, stored_path, linked, size_bytes, "
        "mirrored, captured_at, date_source, imported_at, status) VALUES (1, ?, 'a.jpg', "
        "'a.jpg', 0, 1, 0, '2026-01-01T08:00', 'manual', '2026-01-01T08:00', 'ok')",
        ("0" * 64,),
    )
    stored = {
        "mouth_corner_height_left_mm": 62.5,
        "cheek_height_right_mm": 41.0,
        "brow_height_left_mm": 18.0,
        "mouth_corner_asymmetry_mm": 0.4,
    }
    db.executemany("INSERT INTO measurements VALUES (1, '2026.11.21', ?, ?)", stored.items())
    for statement in _statements(ELEVATIONS.sql):
        db.execute(statement)
    assert dict(db.execute("SELECT metric, value FROM measurements")) == {
        "mouth_corner_elevation_left_mm": -62.5,
        "cheek_elevation_right_mm": -41.0,
        "brow_height_left_mm": 18.0,
        "mouth_corner_asymmetry_mm": 0.4,
    }
