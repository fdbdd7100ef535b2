"""The library's schema as numbered migrations, applied in order and recorded.

Each migration runs in its own ``BEGIN IMMEDIATE`` transaction, which also inserts its row in
``schema_migrations`` and sets ``PRAGMA user_version`` to its number: a migration is applied
completely or not at all, and two processes opening a new library at once apply it once (the
second finds ``user_version`` already raised once it gets the write lock).

Never edit a migration that has been released: append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Migration:
    """One schema change: its number (1, 2, ...), a short description and its SQL script."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "photos, landmarks, measurements, treatment sessions",
        """
        CREATE TABLE schema_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        );

        -- One row per distinct photo file content. Files that could not be read are not stored.
        CREATE TABLE photos (
            id            INTEGER PRIMARY KEY,
            sha256        TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
            original_path TEXT NOT NULL,          -- absolute path of the file imported
            stored_path   TEXT NOT NULL,          -- relative to the library, or absolute if linked
            linked        INTEGER NOT NULL CHECK (linked IN (0, 1)),
            size_bytes    INTEGER NOT NULL,
            width_px      INTEGER,                -- upright, full size
            height_px     INTEGER,
            format        TEXT,
            mirrored      INTEGER NOT NULL CHECK (mirrored IN (0, 1)),
            captured_at   TEXT NOT NULL,          -- ISO 8601 local time, +HH:MM when known
            date_source   TEXT NOT NULL
                          CHECK (date_source IN ('exif', 'filename', 'mtime', 'manual')),
            utc_offset    TEXT,                   -- '+HH:MM' or NULL when unknown
            date_notes    TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
            imported_at   TEXT NOT NULL,
            session       TEXT CHECK (session IN ('before', 'after')),
            tag           TEXT,
            status        TEXT NOT NULL CHECK (status IN ('ok', 'rejected', 'error')),
            reasons       TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
            quality       TEXT NOT NULL DEFAULT '{}'   -- JSON object: score name -> value
        );
        CREATE INDEX photos_captured_at ON photos (captured_at);

        -- Face Mesh output, so that metrics can be recomputed without running the model.
        -- points: the refined (478, 3) points the metrics are computed from; raw_points: the
        -- model's own. Both float64 little-endian, row-major, in pixels of the analysed image.
        CREATE TABLE landmarks (
            photo_id        INTEGER PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
            model           TEXT NOT NULL,
            image_width_px  INTEGER,
            image_height_px INTEGER,
            decode_scale    REAL,
            scale_mm_per_px REAL,                 -- NULL when it could not be measured
            scale_source    TEXT NOT NULL,
            points          BLOB NOT NULL CHECK (length(points) = 478 * 3 * 8),
            raw_points      BLOB CHECK (raw_points IS NULL OR length(raw_points) = 478 * 3 * 8)
        );

        -- Metrics in long format: one row per photo, algorithm version and metric.
        CREATE TABLE measurements (
            photo_id          INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            algorithm_version TEXT NOT NULL,
            metric            TEXT NOT NULL,
            value             REAL,               -- NULL when it could not be computed
            PRIMARY KEY (photo_id, algorithm_version, metric)
        ) WITHOUT ROWID;
        CREATE INDEX measurements_version ON measurements (algorithm_version, photo_id);

        -- What each measurement was computed with.
        CREATE TABLE measurement_info (
            photo_id          INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            algorithm_version TEXT NOT NULL,
            scale_mm_per_px   REAL,
            scale_source      TEXT NOT NULL,
            yaw_deg           REAL,
            pitch_deg         REAL,
            roll_deg          REAL,
            measured_at       TEXT NOT NULL,
            how               TEXT NOT NULL CHECK (how IN ('import', 'remeasure')),
            PRIMARY KEY (photo_id, algorithm_version)
        ) WITHOUT ROWID;

        -- The treatment log (microcurrent sessions).
        CREATE TABLE sessions (
            id         INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,             -- ISO 8601 local time, +HH:MM when known
            minutes    REAL CHECK (minutes IS NULL OR minutes > 0),
            mode       TEXT,
            note       TEXT,
            logged_at  TEXT NOT NULL
        );
        CREATE INDEX sessions_started_at ON sessions (started_at);
        """,
    ),
    Migration(
        2,
        "stored copies awaiting deletion (forget)",
        """
        -- Written in the transaction that forgets photos, emptied once their copies are
        -- deleted: a forget killed in between is finished when the library is next opened.
        CREATE TABLE pending_deletions (
            stored_path TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        3,
        "the camera: focal length per photo, camera distance per measurement",
        """
        -- The focal length of the analysed image (so that remeasure can recompute the camera
        -- distance from the stored landmarks), the 35 mm equivalent it came from and its source
        -- (tracker.photos.camera.FOCAL_SOURCES). NULL in libraries made before this migration
        -- until remeasure fills them in.
        ALTER TABLE landmarks ADD COLUMN focal_length_px REAL;
        ALTER TABLE landmarks ADD COLUMN focal_length_35mm REAL;
        ALTER TABLE landmarks ADD COLUMN focal_source TEXT;

        -- Distance from the camera to the irises (mm), like the pose a property of the capture
        -- computed with the metrics. NULL when unknown.
        ALTER TABLE measurement_info ADD COLUMN camera_distance_mm REAL;
        """,
    ),
    Migration(
        4,
        "reason codes beside the reasons' text",
        """
        -- JSON list of tracker.types.ReasonCode values, one per reason in `reasons`
        ALTER TABLE photos ADD COLUMN reason_codes TEXT NOT NULL DEFAULT '[]';
        -- photos imported before: the code each reason's text begins with
        UPDATE photos SET reason_codes = (
            SELECT json_group_array(CASE
                WHEN value LIKE 'head turned%' THEN 'head_turned'
                WHEN value LIKE 'head tipped%' THEN 'head_tipped'
                WHEN value LIKE 'head tilted%' THEN 'head_tilted'
                WHEN value LIKE 'face too small%' THEN 'face_too_small'
                WHEN value LIKE 'face cut by the image border%' THEN 'face_cut'
                WHEN value LIKE 'several faces%' THEN 'several_faces'
                WHEN value LIKE 'blurred%' THEN 'blurred'
                WHEN value LIKE 'under-exposed%' THEN 'under_exposed'
                WHEN value LIKE 'over-exposed%' THEN 'over_exposed'
                WHEN value LIKE 'eyes closed or nearly closed%' THEN 'eyes_closed'
                WHEN value LIKE 'eyes not looking at the camera%' THEN 'gaze_away'
                WHEN value LIKE 'mouth open%' THEN 'mouth_open'
                WHEN value LIKE 'smiling%' THEN 'smiling'
                WHEN value LIKE 'brow edge not found in the image%' THEN 'brow_edge_missing'
                WHEN value LIKE 'pose unlike your other photos%' THEN 'unusual_pose'
                WHEN value LIKE 'no face found%' THEN 'no_face'
                ELSE 'other' END)
            FROM (SELECT value FROM json_each(photos.reasons) ORDER BY key))
        WHERE reasons <> '[]';
        """,
    ),
    Migration(
        5,
        "mouth corner and cheek heights become elevations, measured upward",
        """
        -- heights below the pupils (downward, positive) -> elevations (upward, negative)
        UPDATE measurements SET metric = 'mouth_corner_elevation_left_mm', value = -value
            WHERE metric = 'mouth_corner_height_left_mm';
        UPDATE measurements SET metric = 'mouth_corner_elevation_right_mm', value = -value
            WHERE metric = 'mouth_corner_height_right_mm';
        UPDATE measurements SET metric = 'cheek_elevation_left_mm', value = -value
            WHERE metric = 'cheek_height_left_mm';
        UPDATE measurements SET metric = 'cheek_elevation_right_mm', value = -value
            WHERE metric = 'cheek_height_right_mm';
        """,
    ),
    Migration(
        6,
        "the side of the face each treatment session treated",
        """
        -- 'left', 'right' or 'both' (the subject's own sides); sessions logged before: both.
        ALTER TABLE sessions ADD COLUMN side TEXT NOT NULL DEFAULT 'both'
            CHECK (side IN ('left', 'right', 'both'));
        """,
    ),
    Migration(
        7,
        "one person, the right way round: face-shape signature, identity, mirror images",
        """
        -- Whose photo it is (import --person; 'me' by default), whether it looks like that
        -- person (NULL until the person is learned from their first accepted photos), its
        -- face-shape distance from the person's signature, and the reason added to
        -- ``reasons`` when it does not (so that it can be taken out again exactly).
        ALTER TABLE photos ADD COLUMN person TEXT NOT NULL DEFAULT 'me';
        ALTER TABLE photos ADD COLUMN identity TEXT
            CHECK (identity IS NULL OR identity IN ('baseline', 'same', 'different'));
        ALTER TABLE photos ADD COLUMN identity_distance REAL;
        ALTER TABLE photos ADD COLUMN identity_reason TEXT;
        -- How ``mirrored`` was decided: 'import' (--mirrored), 'detected' (the person's
        -- asymmetry pattern appeared flipped) or 'marked' (photos --mark-mirrored /
        -- --mark-unmirrored); NULL when never questioned. The pattern's correlation with
        -- the person's, for the stored landmarks as they are.
        ALTER TABLE photos ADD COLUMN mirror_source TEXT
            CHECK (mirror_source IS NULL OR mirror_source IN ('import', 'detected', 'marked'));
        ALTER TABLE photos ADD COLUMN mirror_correlation REAL;

        -- flipped = 1: the stored points are of the image the other way round, and are
        -- mirrored (tracker.metrics.identity.mirror_points) before every measurement.
        -- signature and asymmetry: tracker.metrics.identity, float64 little-endian, of the
        -- stored points as they are (the signature does not change when mirrored).
        ALTER TABLE landmarks ADD COLUMN flipped INTEGER NOT NULL DEFAULT 0
            CHECK (flipped IN (0, 1));
        ALTER TABLE landmarks ADD COLUMN signature BLOB;
        ALTER TABLE landmarks ADD COLUMN asymmetry BLOB;

        -- Each person as learned from their first accepted photos.
        CREATE TABLE people (
            name       TEXT PRIMARY KEY,
            signature  BLOB NOT NULL,           -- median face-shape signature
            asymmetry  BLOB NOT NULL,           -- median asymmetry pattern, right way round
            photo_ids  TEXT NOT NULL,           -- JSON list: the photos it was learned from
            distances  TEXT NOT NULL,           -- JSON list: their face-shape distances
            threshold  REAL NOT NULL,           -- beyond it, another person
            pattern_strength REAL,              -- their patterns against the others' median
            learned_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        8,
        "planned experiments (facetrack plan): the latest one is the library's plan",
        """
        CREATE TABLE plans (
            id INTEGER PRIMARY KEY,
            design TEXT NOT NULL CHECK (design IN ('split-face', 'on-off')),
            start TEXT NOT NULL,          -- YYYY-MM-DD, the first photo day
            weeks INTEGER NOT NULL CHECK (weeks >= 1),
            side TEXT NOT NULL CHECK (side IN ('left', 'right', 'both')),
            block_weeks INTEGER NOT NULL CHECK (block_weeks >= 1),
            created_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        9,
        "the profile view: a photo's view and side, and its outline",
        """
        -- 'front' (Face Mesh, the landmarks table) or 'profile' (a side view measured on its
        -- silhouette, tracker.metrics.profile); a profile's side is the subject's side that
        -- faced the camera. Photos imported before: front.
        ALTER TABLE photos ADD COLUMN view TEXT NOT NULL DEFAULT 'front'
            CHECK (view IN ('front', 'profile'));
        ALTER TABLE photos ADD COLUMN profile_side TEXT
            CHECK (profile_side IS NULL OR profile_side IN ('left', 'right'));

        -- A profile's front outline, so that remeasure recomputes its metrics without the
        -- model: chain (N, 2) float64 little-endian, x and y in pixels of the analysed
        -- image, top to bottom; facing: the way the face points in the image.
        CREATE TABLE profiles (
            photo_id        INTEGER PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
            model           TEXT NOT NULL,
            image_width_px  INTEGER NOT NULL,
            image_height_px INTEGER NOT NULL,
            decode_scale    REAL,
            facing          TEXT NOT NULL CHECK (facing IN ('left', 'right')),
            chain           BLOB NOT NULL CHECK (length(chain) > 0 AND length(chain) % 16 = 0)
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaError(Exception):
    """The database's schema version is not one this code can use (raised as LibraryError)."""


def schema_version(db: sqlite3.Connection) -> int:
    """The number of the last migration applied (``PRAGMA user_version``)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> list[int]:
    """Apply every migration not yet applied, in order, each in its own transaction.

    ``db`` must be in autocommit mode (``isolation_level=None``).

    Returns
    -------
    list of int
        The versions applied by this call (empty when the schema was already current).

    Raises
    ------
    SchemaError
        When the database was made by a newer version (``user_version`` above the last
        known migration), or holds tables but no migrations (it is not a library).
    """
    applied = []
    for migration in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(db)
            if current > LATEST_VERSION:
                raise SchemaError(
                    f"its schema version {current} is newer than this facetrack knows "
                    f"({LATEST_VERSION}); upgrade facetrack"
                )
            if current == 0 and _has_tables(db):
                raise SchemaError("it is an SQLite database, but not a facetrack library")
            if current >= migration.version:
                db.execute("COMMIT")
                continue
            for statement in _statements(migration.sql):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (
                    migration.version,
                    migration.description,
                    datetime.now().astimezone().isoformat(timespec="seconds"),
                ),
            )
            # user_version is part of the database header, so it changes with the transaction
            db.execute(f"PRAGMA user_version = {int(migration.version)}")
            db.execute("COMMIT")
            applied.append(migration.version)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return applied


def _has_tables(db: sqlite3.Connection) -> bool:
    return (
        db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
        > 0
    )


def _statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (``executescript`` would commit first)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in current.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement in migration: {current.strip()[:60]}")
    return statements
