"""The photo library: one folder holding ``library.sqlite`` and the imported photo files.

``Library`` is the only object the rest of facetrack (and the CLI) talks to about stored
photos. It stores and reads; it measures nothing: importing (which measures) and remeasuring
live in :mod:`tracker.importing`, which calls the storage methods here. Layout::

    <library>/                  0700
        library.sqlite          0600 (and its -wal and -shm files)
        photos/ab/<sha256>.jpg  0600 copies, named by content hash (not with link=True)

Safety: every change is one ``BEGIN IMMEDIATE`` transaction (one per imported photo), the
database is in WAL mode with a 30 s busy timeout, and a photo file is copied (to a temporary
name, flushed, renamed) inside the transaction that adds its row. A process killed at any
moment leaves either a complete photo (row, file, landmarks, measurements) or none of it; a
copy left without its row is removed by the next import.

Times: ``captured_at`` is stored as ISO 8601 local wall-clock time with its UTC offset when
known ("2026-01-05T08:30:12+01:00", or "2026-02-16T12:00:00" when unknown). DataFrames give
``captured_at`` as naive local wall-clock time (what the photographer's clock showed, one
consistent column), ``utc_offset`` as text and ``captured_at_utc`` (NaT when the offset is
unknown).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from tracker.errors import LibraryError
from tracker.formatting import none_if_nan, parse_when
from tracker.library import files as fs
from tracker.library.migrations import SchemaError, migrate, schema_version
from tracker.library.people import DEFAULT_PERSON, Settled
from tracker.library.summary import date_flagged
from tracker.metrics import registry
from tracker.photos.dates import format_utc_offset
from tracker.types import PhotoResult, Reason

DB_NAME = "library.sqlite"
PHOTOS_FOLDER = "photos"
BUSY_TIMEOUT_S = 30.0
# A killed import leaves at most one copy without its row per importing process; more copies
# without rows than this mean the database lost rows, and they are kept (see remove_orphans).
MAX_ORPHANS_SWEPT = 4
PHOTO_SESSIONS = ("before", "after")
SESSION_SIDES = ("left", "right", "both")
SESSION_COLUMNS = ("started_at", "minutes", "mode", "note", "side")
# tags, notes and modes are a person's words, not documents: longer text is refused (it would
# also make the PDF report's layout take minutes)
MAX_TEXT_CHARS = 500
# treatment sessions before this or after tomorrow are typing mistakes (as for capture dates)
EARLIEST_SESSION = datetime(2000, 1, 1)
N_POINTS = 478
# A day without an hour (a date given alone) is put at noon, like tracker.photos.dates does.
DATE_ONLY_TIME = time(12, 0)
POSE_COLUMNS = ("yaw_deg", "pitch_deg", "roll_deg")
# The capture beyond the pose: camera distance (per measurement) and the focal length it came
# from (per photo, see tracker.photos.camera).
CAMERA_COLUMNS = ("camera_distance_mm", "focal_length_35mm", "focal_source")
# photo columns holding JSON (a list; quality: a dict)
JSON_COLUMNS = ("date_notes", "reasons", "reason_codes", "quality")


class NotStored(Exception):
    """One photo could not be stored; the message says why (the batch goes on)."""


@dataclass(frozen=True)
class Candidate:
    """A photo file about to be stored: its path, the SHA-256 of its content, its size."""

    path: Path
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class ImportOptions:
    """What is stored with every photo of one import (see ``tracker.importing``)."""

    session: str | None
    tag: str | None
    manual_date: datetime | date | None
    prefer_manual_date: bool
    mirrored: bool
    link: bool
    person: str = "me"

    @classmethod
    def checked(
        cls,
        *,
        session: str | None,
        tag: str | None,
        manual_date: datetime | date | str | None,
        prefer_manual_date: bool,
        mirrored: bool,
        link: bool,
        person: str | None,
        default_person: str,
    ) -> ImportOptions:
        """The options with their values checked as the library stores them.

        Raises LibraryError for a bad ``session``, a tag or person over 500 characters or a
        ``manual_date`` text that is not a date."""
        return cls(
            session=_check_photo_session(session),
            tag=_clean_text(tag, "tag"),
            manual_date=(
                _parse_moment(manual_date, "date") if isinstance(manual_date, str) else manual_date
            ),
            prefer_manual_date=prefer_manual_date,
            mirrored=bool(mirrored),
            link=bool(link),
            person=_clean_text(person, "person") or default_person,
        )


@dataclass(frozen=True)
class StoredLandmarks:
    """A stack of stored landmarks, as :meth:`Library.stored_landmarks` reads them.

    ``points_px`` (N, 478, 3) are the refined landmarks as stored (a mirror image's are not
    yet mirrored: ``flipped`` says which are, ``image_width_px`` is NaN when unknown);
    ``scale_mm_per_px`` (NaN when unknown) and ``scale_source`` are the stored scale;
    ``focal_length_px`` (NaN when unknown) and ``principal_point_px`` (N, 2) the camera;
    ``jaw_found`` (N, 2) bool, [right, left], whether each side's jaw outline was found in the
    image (already swapped for a mirror image, like its landmarks once mirrored);
    ``face_mesh_points_px`` Face Mesh's own landmarks before refinement (the refined ones for
    a photo stored without them), flipped like ``points_px``.
    """

    photo_ids: list[int]
    points_px: np.ndarray
    flipped: np.ndarray
    image_width_px: np.ndarray
    scale_mm_per_px: np.ndarray
    scale_source: list[str | None]
    focal_length_px: np.ndarray
    principal_point_px: np.ndarray
    jaw_found: np.ndarray
    face_mesh_points_px: np.ndarray


class Library:
    """A facetrack photo library: photos, their landmarks and metrics, the treatment log.

    Parameters
    ----------
    path : path, optional
        The library folder; default ``Library.default_path()``. It is created (0700) when
        missing, and an existing empty folder becomes a library.
    memory : bool
        A throwaway library in a private temporary folder, removed by ``close()`` (for tests
        and experiments). ``path`` must then be None.
    create : bool
        With False, a missing library raises LibraryError instead of being created.
    person : str
        Whose photos imports file (unless told otherwise) and the trend, the charts and the
        report show ("me" by default; see ``tracker.library.people``).

    Raises
    ------
    LibraryError
        When ``path`` is a file, a folder with other content and no ``library.sqlite``, a
        database that is not a library or made by a newer facetrack; or (create=False) missing.

    Examples
    --------
    >>> with Library(memory=True) as library:
    ...     library.log_session("2026-01-05T08:00", minutes=20, mode="lift")
    1
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        memory: bool = False,
        create: bool = True,
        person: str = DEFAULT_PERSON,
        _rebuilding: bool = False,
    ) -> None:
        self._temporary = None
        # copies in photos/ that no row refers to and that were too many to be a killed
        # import's leftovers: kept, and reported (see remove_orphans)
        self.unexplained_copies: list[Path] = []
        if memory:
            if path is not None:
                raise ValueError("give either a path or memory=True, not both")
            self._temporary = tempfile.TemporaryDirectory(prefix="facetrack-")
            path = Path(self._temporary.name) / "library"
        elif path is None:
            path = self.default_path()
        self.path = Path(path).expanduser().absolute()
        self.db_path = self.path / DB_NAME
        # whose photos imports file and the trend, charts and report show (``person=``)
        self.person = _clean_text(person, "person") or DEFAULT_PERSON
        self._db: sqlite3.Connection | None = None
        self._writing = False  # inside a write transaction: library calls join it
        # a library on a read-only disk or without write permission is opened for reading
        self.read_only = False
        self._read_only_reason: str | None = None
        try:
            try:
                self._prepare_folder(create, _rebuilding)
            except OSError as exc:
                raise LibraryError(
                    f"{self.path}: cannot create the library: {exc.strerror or exc}"
                ) from None
            self.read_only = _read_only(self.path, self.db_path)
            if self.read_only:
                self._db = self._connect_read_only()
            else:
                try:
                    self._db = self._connect()
                except LibraryError as exc:
                    # a full disk has no room even for the shared-memory file SQLite reads
                    # a WAL database with: read it without one, and refuse every change
                    if "disk is full" not in str(exc) and "could not be written" not in str(exc):
                        raise
                    self._db = self._connect_read_only()
                    self.read_only = True
                    self._read_only_reason = str(exc)
            if not self.read_only:
                fs.make_private_folder(self.path / PHOTOS_FOLDER)
                if self._conn.execute("SELECT 1 FROM pending_deletions LIMIT 1").fetchone():
                    self.remove_orphans()  # finish a forget that was killed half-way
        except sqlite3.Error as exc:
            self.close()
            raise _library_error(self.db_path, exc) from None
        except BaseException:
            self.close()
            raise

    # --- opening and closing ------------------------------------------------------------------

    @classmethod
    def default_path(cls) -> Path:
        """``$FACETRACK_LIBRARY``, else ``$XDG_DATA_HOME/facetrack``, else
        ``~/.local/share/facetrack``."""
        explicit = os.environ.get("FACETRACK_LIBRARY")
        if explicit:
            return Path(explicit).expanduser()
        data_home = os.environ.get("XDG_DATA_HOME")
        if data_home and Path(data_home).is_absolute():
            return Path(data_home) / "facetrack"
        return Path.home() / ".local" / "share" / "facetrack"

    def stored_copies(self) -> list[Path]:
        """The complete photo copies in ``photos/`` (not temporary ones), sorted."""
        return _stored_copies(self.path)

    def _prepare_folder(self, create: bool, rebuilding: bool = False) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise LibraryError(f"{self.path} is a file, not a library folder")
        if self.db_path.exists():
            if not self.db_path.is_file():
                raise LibraryError(f"{self.db_path} is not a file")
            if self.db_path.stat().st_size == 0 and not rebuilding:
                copies = len(self.stored_copies())
                if copies:
                    # an emptied database (a failed sync or copy) is not a new library: taking
                    # it for one would make the next import delete every copy as an orphan
                    raise LibraryError(
                        f"{self.db_path} is empty (0 bytes) but {PHOTOS_FOLDER}/ holds "
                        f"{copies} stored photo{'' if copies == 1 else 's'}: the database was "
                        f"lost. Restore {DB_NAME} from a backup, or rebuild it from the copies "
                        f"with: facetrack doctor --rebuild --library {self.path}"
                    )
            return
        if not create:
            raise LibraryError(f"no library at {self.path} (no {DB_NAME})")
        if self.path.exists():
            # another process creating the library at this very moment has made the folder's
            # first file (library.sqlite first of all): that is a new library, not a stranger
            if any(self.path.iterdir()) and not rebuilding and not self.db_path.exists():
                raise LibraryError(
                    f"{self.path} is not a facetrack library (no {DB_NAME}) and is not empty; "
                    "choose a new or empty folder"
                )
            os.chmod(self.path, fs.FOLDER_MODE)
        else:
            fs.make_private_folder(self.path)
        fs.create_private_file(self.db_path)

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(f"{self.db_path}: cannot open: {exc}") from None
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA foreign_keys = ON")
            # deleted rows (forget) are overwritten, not just unlinked from the b-tree
            db.execute("PRAGMA secure_delete = ON")
            _switch_to_wal(db)
            db.execute("PRAGMA synchronous = FULL")
            migrate(db)
        except SchemaError as exc:
            db.close()
            raise LibraryError(f"{self.db_path}: {exc}") from None
        except sqlite3.Error as exc:
            db.close()
            raise _library_error(self.db_path, exc) from None
        for suffix in ("", "-wal", "-shm"):
            fs.chmod_private(Path(f"{self.db_path}{suffix}"))
        return db

    def _connect_read_only(self) -> sqlite3.Connection:
        """Open a library that cannot be written (read-only disk or permissions): no
        migration, no WAL switch. SQLite needs to write beside a WAL database even to read
        it, so where it cannot, the file is read as immutable (nothing else can change it)."""
        db: sqlite3.Connection | None = None
        version = 0
        for options in ("mode=ro", "mode=ro&immutable=1"):
            db = None
            try:
                db = sqlite3.connect(
                    f"{self.db_path.as_uri()}?{options}",
                    uri=True,
                    timeout=BUSY_TIMEOUT_S,
                    isolation_level=None,
                )
                db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                version = schema_version(db)
                break
            except sqlite3.Error as exc:
                if db is not None:
                    db.close()
                if "immutable" in options:
                    raise _library_error(self.db_path, exc) from None
        from tracker.library.migrations import LATEST_VERSION

        assert db is not None  # the loop either broke with a connection or raised
        if version != LATEST_VERSION:
            db.close()
            raise LibraryError(
                f"{self.db_path}: the library is read-only and its schema (version {version}) "
                f"is not this facetrack's ({LATEST_VERSION}); open it once where it can be "
                "written to upgrade it"
            )
        return db

    def close(self) -> None:
        """Close the database (and remove a ``memory=True`` library). Safe to call twice."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    def count(self) -> int:
        """Number of photos in the library."""
        return self._scalar("SELECT count(*) FROM photos")

    @property
    def schema_version(self) -> int:
        """Number of the last schema migration applied."""
        return schema_version(self._conn)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise LibraryError(f"{self.path}: the library is closed")
        return self._db

    def _scalar(self, sql: str, params: tuple = ()):
        return self._conn.execute(sql, params).fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around several library calls (all of them or none).

        Holds the database's write lock from its start; the library's own changes made inside
        it join it instead of committing on their own. Used by ``tracker.importing`` to store
        a change and the metrics measured from it together.

        Raises LibraryError when the library is read-only, locked for longer than the busy
        timeout, or the commit fails (a full disk)."""
        with self._write():
            yield

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the database's write lock from its start; inside
        ``transaction()`` it joins the transaction already open."""
        db = self._conn
        if self._writing:
            yield db
            return
        if self._read_only_reason is not None:
            raise LibraryError(self._read_only_reason)
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _library_error(self.db_path, exc) from None
        self._writing = True
        try:
            yield db
            try:
                db.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk shows first here
                raise _library_error(self.db_path, exc) from None
        except BaseException:
            if db.in_transaction:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled back on its own (a full disk, an I/O error)
            raise
        finally:
            self._writing = False

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one consistent state of the database."""
        db = self._conn
        db.execute("BEGIN")
        try:
            yield db
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    # --- storing (tracker.importing measures, then calls these) ------------------------------

    def decide_people(self) -> Settled:
        """Learn each person with enough accepted photos and decide every photo not yet
        decided: another person's photo is rejected (kept), a mirror image is marked
        (``tracker.library.people``). Returns what it decided; the photos found mirrored need
        their metrics measured again in the same transaction (``tracker.importing.
        settle_people`` does both)."""
        from tracker.library.people import settle

        with self._write() as db:
            return settle(db, _now())

    def set_mirrored(self, photo_id: int, mirrored: bool = True) -> bool:
        """Record that a stored photo is (or is not) a mirror image: its stored landmarks are
        flipped when this changes it. Returns True when it did; its metrics then need
        measuring again in the same transaction (``tracker.importing.mark_mirrored`` does
        both).

        Raises LibraryError when the photo is unknown or has no landmarks."""
        with self._write() as db:
            row = db.execute(
                "SELECT p.mirrored, l.photo_id FROM photos p LEFT JOIN landmarks l "
                "ON l.photo_id = p.id WHERE p.id = ?",
                (int(photo_id),),
            ).fetchone()
            if row is None:
                raise LibraryError(f"no photo with id {photo_id}")
            if row[1] is None:
                raise LibraryError(f"photo {photo_id} has no landmarks (no face was found)")
            changed = bool(row[0]) != bool(mirrored)
            db.execute(
                "UPDATE photos SET mirror_source = 'marked', mirrored = ? WHERE id = ?",
                (int(bool(mirrored)), int(photo_id)),
            )
            if changed:
                db.execute(
                    "UPDATE landmarks SET flipped = 1 - flipped WHERE photo_id = ?",
                    (int(photo_id),),
                )
        return changed

    def photo_id_of(self, sha256: str) -> int | None:
        """The id of the photo with this content (SHA-256 hex digest), or None."""
        row = self._conn.execute("SELECT id FROM photos WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else int(row[0])

    def store_photo(
        self, candidate: Candidate, result: PhotoResult, when, options: ImportOptions
    ) -> int | None:
        """Copy (unless ``options.link``) and insert one measured, dated photo in one
        transaction: its row, landmarks and metrics, or nothing.

        ``result`` is complete: with landmarks it has its camera and camera distance
        (``tracker.importing`` fills them in). ``when`` is the photo's ``CaptureTime``.

        Returns
        -------
        The new photo's id, or None when a photo with the same content is there already
        (another import was quicker).

        Raises
        ------
        NotStored
            With the reason for this photo alone (a name that cannot be linked, a file that
            changed while it was copied, no room for the copy, malformed landmarks or values).
        LibraryError
            When the library itself fails (locked, full, unwritable).
        """
        suffix = candidate.path.suffix.lower()
        if options.link and _path_text(candidate.path) != os.path.abspath(candidate.path):
            raise NotStored(
                "its name is not valid UTF-8, so it cannot be linked; "
                "import it without --link (it is then copied)"
            )
        stored = (
            os.path.abspath(candidate.path)
            if options.link
            else f"{PHOTOS_FOLDER}/{candidate.sha256[:2]}/{candidate.sha256}{suffix}"
        )
        copy = None
        try:
            with self._write() as db:
                if self.photo_id_of(candidate.sha256) is not None:
                    return None
                try:
                    if not options.link:
                        fs.copy_atomically(candidate.path, self.path / stored, candidate.sha256)
                        copy = self.path / stored
                    return self._insert(db, candidate, result, when, stored, options)
                except Exception:
                    if copy is not None:  # the row is rolled back: so is its copy
                        copy.unlink(missing_ok=True)
                    raise
        except fs.ContentChanged:
            raise NotStored("the file changed while it was imported; import it again") from None
        except OSError as exc:
            raise NotStored(f"cannot store a copy: {exc.strerror or exc}") from None
        except ValueError as exc:  # a measure function that returned malformed landmarks
            raise NotStored(f"cannot store the measurement: {exc}") from None
        except sqlite3.IntegrityError as exc:  # a measure function's values broke a CHECK
            raise NotStored(f"cannot store the measurement: {exc}") from None
        except sqlite3.Error as exc:  # the library itself: locked, full, unwritable
            raise _library_error(self.db_path, exc) from None

    def _insert(
        self,
        db: sqlite3.Connection,
        candidate: Candidate,
        result: PhotoResult,
        when,
        stored: str,
        options: ImportOptions,
    ) -> int:
        from tracker.metrics.geometry import ALGORITHM_VERSION

        size = result.original_size_px or result.photo_size_px or (None, None)
        quality = result.quality.scores if result.quality is not None else {}
        reasons = [Reason.of(r) for r in result.reasons]
        cursor = db.execute(
            "INSERT INTO photos (sha256, original_path, stored_path, linked, size_bytes, "
            "width_px, height_px, format, mirrored, captured_at, date_source, utc_offset, "
            "date_notes, imported_at, session, tag, status, reasons, reason_codes, quality, "
            "person, mirror_source, view, profile_side) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                candidate.sha256,
                _path_text(candidate.path),
                stored,
                int(options.link),
                candidate.size_bytes,
                _int_or_none(size[0]),
                _int_or_none(size[1]),
                result.format or candidate.path.suffix.lstrip(".").upper(),
                int(options.mirrored),
                _iso(when.captured_at),
                when.source,
                when.utc_offset,
                json.dumps(list(when.notes)),
                _now(),
                options.session,
                options.tag,
                result.status,
                json.dumps([r.message for r in reasons]),
                json.dumps([r.code.value for r in reasons]),
                json.dumps({k: none_if_nan(v) for k, v in quality.items()}),
                options.person,
                "import" if options.mirrored else None,
                "profile" if result.view == "profile" else "front",
                result.profile_side if result.view == "profile" else None,
            ),
        )
        photo_id = int(cursor.lastrowid or 0)  # set by the INSERT
        measurement, landmarks = result.measurement, result.landmarks
        if measurement is None:
            return photo_id
        if result.profile is not None:
            from tracker.landmarks.segmentation import MODEL_NAME as SEGMENTATION_MODEL

            chain = np.ascontiguousarray(result.profile.chain_px, dtype="<f8")
            width, height = result.photo_size_px or (None, None)
            db.execute(
                "INSERT INTO profiles (photo_id, model, image_width_px, image_height_px, "
                "decode_scale, facing, chain) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    photo_id,
                    SEGMENTATION_MODEL,
                    width,
                    height,
                    none_if_nan(result.decode_scale),
                    result.profile.facing,
                    chain.tobytes(),
                ),
            )
        points = result.refined_points_px
        camera, distance_mm = result.camera, measurement.camera_distance_mm
        if landmarks is not None:
            points = landmarks.points_px if points is None else points
            if camera is None:
                raise ValueError("landmarks without the camera they were measured with")
            db.execute(
                "INSERT INTO landmarks (photo_id, model, image_width_px, image_height_px, "
                "decode_scale, scale_mm_per_px, scale_source, points, raw_points, "
                "focal_length_px, focal_length_35mm, focal_source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    photo_id,
                    landmarks.model,
                    *landmarks.image_size_px,
                    none_if_nan(result.decode_scale),
                    none_if_nan(measurement.scale_mm_per_px),
                    measurement.scale_source,
                    _points_blob(points),
                    _points_blob(landmarks.points_px),
                    none_if_nan(camera.focal_length_px),
                    none_if_nan(camera.focal_length_35mm),
                    camera.focal_source,
                ),
            )
        pose = result.quality.pose if result.quality is not None else None
        db.execute(
            "INSERT INTO measurement_info (photo_id, algorithm_version, scale_mm_per_px, "
            "scale_source, yaw_deg, pitch_deg, roll_deg, measured_at, how, camera_distance_mm) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import', ?)",
            (
                photo_id,
                ALGORITHM_VERSION,
                none_if_nan(measurement.scale_mm_per_px),
                measurement.scale_source,
                *(
                    (None, None, None)
                    if pose is None
                    else (none_if_nan(getattr(pose, c)) for c in POSE_COLUMNS)
                ),
                _now(),
                none_if_nan(distance_mm),
            ),
        )
        db.executemany(
            "INSERT INTO measurements (photo_id, algorithm_version, metric, value) "
            "VALUES (?, ?, ?, ?)",
            [
                (photo_id, ALGORITHM_VERSION, metric, none_if_nan(value))
                for metric, value in measurement.metrics.items()
            ],
        )
        return photo_id

    def remove_orphans(self) -> int:
        """Delete what a killed import or forget left in ``photos/``: unfinished temporary
        copies, copies of forgotten photos, and copies that no photo refers to. Returns how
        many files were removed.

        A killed import leaves at most one copy without its row per importing process, so
        more than ``MAX_ORPHANS_SWEPT`` such copies are not a crash's leftovers but a sign
        that the database lost rows (restored from an old backup, replaced): they are kept,
        listed in ``unexplained_copies``, and ``facetrack doctor`` tells what to do.

        Runs under the write lock: copies are only ever written inside a write transaction,
        so no other process can be half-way through one.
        """
        folder = self.path / PHOTOS_FOLDER
        removed = 0
        with self._write() as db:
            known = {
                row[0] for row in db.execute("SELECT stored_path FROM photos WHERE linked = 0")
            }
            forgotten = {
                row[0] for row in db.execute("SELECT stored_path FROM pending_deletions")
            } - known
            orphans = []
            for file in sorted(folder.rglob("*")) if folder.is_dir() else ():
                if not file.is_file() and not file.is_symlink():
                    continue
                relative = file.relative_to(self.path).as_posix()
                if fs.is_temporary(file) or relative in forgotten:
                    file.unlink(missing_ok=True)
                    removed += 1
                elif relative not in known:
                    orphans.append(file)
            if len(orphans) <= MAX_ORPHANS_SWEPT:
                for file in orphans:
                    file.unlink(missing_ok=True)
                removed += len(orphans)
                self.unexplained_copies = []
            else:
                self.unexplained_copies = orphans
            db.execute("DELETE FROM pending_deletions")
        return removed

    # --- diagnosis and repair ------------------------------------------------------------------

    def doctor(self) -> dict[str, object]:
        """Check the library: the database's integrity, and rows against stored copies.

        Returns
        -------
        dict with ``integrity`` ("ok" or SQLite's first complaint), ``photos`` (rows),
        ``copies`` (files in photos/), ``missing_copies`` (ids of photos whose stored copy or
        linked original is gone), ``copies_without_row`` (paths relative to the library) and
        ``unreadable_values`` ("photo ID: column" for stored dates' notes, reasons or quality
        scores that are not valid JSON: they read as empty).
        """
        integrity = self._conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = self._conn.execute("SELECT id, stored_path, linked FROM photos").fetchall()
        missing = [
            int(i)
            for i, stored, linked in rows
            if not (Path(stored) if linked else self.path / stored).exists()
        ]
        known = {stored for _, stored, linked in rows if not linked}
        loose = [
            file.relative_to(self.path).as_posix()
            for file in self.stored_copies()
            if file.relative_to(self.path).as_posix() not in known
        ]
        return {
            "integrity": integrity,
            "photos": len(rows),
            "copies": len(self.stored_copies()),
            "missing_copies": missing,
            "copies_without_row": loose,
            "unreadable_values": _bad_json_cells(self._conn),
        }

    @classmethod
    def prepare_rebuild(cls, path: str | os.PathLike[str]) -> tuple[Library, Path, Path]:
        """Set a lost or broken database aside to re-create it from the library's photo
        copies (``tracker.importing.rebuild`` then imports them again).

        The old database files are kept beside it as ``library.sqlite.lost-<time>``; the
        copies are moved to ``photos.rebuild-<time>/``.

        Returns
        -------
        (the new, empty library, open; the folder holding the copies; the old database's new
        path)

        Raises
        ------
        LibraryError
            When ``path`` holds no photo copies.
        """
        root = Path(path).expanduser().absolute()
        photos = root / PHOTOS_FOLDER
        if not _stored_copies(root):
            raise LibraryError(
                f"{root}: nothing to rebuild from ({PHOTOS_FOLDER}/ holds no photo copies)"
            )
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            old = root / f"{DB_NAME}{suffix}"
            if old.exists():
                os.replace(old, root / f"{DB_NAME}{suffix}.lost-{stamp}")
        holding = root / f"{PHOTOS_FOLDER}.rebuild-{stamp}"
        os.replace(photos, holding)
        library = cls(root, _rebuilding=True)
        return library, holding, root / f"{DB_NAME}.lost-{stamp}"

    # --- reading ------------------------------------------------------------------------------

    def calibrated_ipd_mm(self) -> tuple[float, float, int]:
        """The person's interpupillary distance: (median mm, its standard error, photos used).

        Each accepted photo gives one value scaled by its own iris; their median is far
        steadier than any single photo's iris (see ``tracker.metrics.scale``). Uses the
        accepted ("ok") photos, or every measured photo when none is accepted.

        Raises
        ------
        LibraryError
            When no photo has been measured.
        """
        return self._calibrated("interpupillary_mm")

    def calibrated_scale_mm(self, person: str | None = None) -> tuple[float, float, int]:
        """The person's scale, ``face_scale_mm`` (the rigid points' size: see
        ``tracker.metrics.scale``): (median mm, its standard error, photos used), as
        :meth:`calibrated_ipd_mm`; ``person`` uses only that person's photos."""
        from tracker.metrics.scale import PERSON_SCALE_METRIC

        return self._calibrated(PERSON_SCALE_METRIC, person)

    def _person_scales(self, people) -> dict[str, float]:
        """Person name -> calibrated ``face_scale_mm`` (people with no measured photo are
        left out)."""
        scales = {}
        for name in sorted(set(people)):
            try:
                scales[name] = self.calibrated_scale_mm(name)[0]
            except LibraryError:
                pass
        return scales

    def _calibrated(self, metric: str, person: str | None = None) -> tuple[float, float, int]:
        from tracker.metrics.scale import calibrate_ipd_mm

        frame = self.photos(person=person)
        if metric not in frame:
            raise LibraryError("no measured photo to calibrate the scale from")
        values = frame.loc[frame["status"] == "ok", metric].dropna()
        if values.empty:
            values = frame[metric].dropna()
        if values.empty:
            raise LibraryError("no measured photo to calibrate the scale from")
        median, sem = calibrate_ipd_mm(values.to_numpy())
        return median, sem, int(values.size)

    def photos(
        self,
        *,
        status: str | Iterable[str] | None = None,
        since: datetime | date | str | None = None,
        person_scale: bool = False,
        person: str | None = None,
    ):
        """One row per photo, one column per metric: a pandas DataFrame ordered by capture time.

        With ``person_scale``, every millimetre metric is re-expressed with the person's
        calibrated scale (``calibrated_scale_mm``: the rigid points' size, which gaze, lids
        and brows do not change) instead of each photo's own iris: the steadier scale for comparing photos over time (``scale_source`` then
        reads "person"; angles and percentages are unchanged).

        Columns: ``id``, ``file`` (the original path), ``stored_path`` (absolute),
        ``sha256``, ``captured_at`` (naive local wall-clock time, datetime64),
        ``captured_at_utc`` (tz-aware UTC, NaT when the offset is unknown), ``utc_offset``
        ("+HH:MM" or None), ``date_source``, ``date_notes`` (list), ``date_flagged`` (bool),
        ``status``, ``reasons`` (list), ``session``, ``tag``, ``mirrored``, ``mirror_source``
        (how ``mirrored`` was decided: "import", "detected", "marked", or None), ``person``,
        ``identity`` ("baseline", "same", "different", None until the person is learned:
        ``settle_people``), ``face_shape_distance``, ``view`` ("front" or "profile"),
        ``profile_side`` (a profile's side that faced the camera, else None), ``yaw_deg``,
        ``pitch_deg``, ``roll_deg``, ``scale_mm_per_px``, ``scale_source``,
        ``camera_distance_mm`` (from the camera to the irises; NaN when unknown),
        ``focal_length_35mm`` and ``focal_source`` (the focal length that distance comes from
        and its source: "exif-35mm", "exif-focal-plane", "default-front-camera", or None),
        ``advice`` (how to take the next photo like the usual ones, from this one's distance
        and pose against the medians of every accepted photo in the library; None with fewer
        than 3 accepted photos: see ``tracker.analysis.capture``), then every name in
        ``METRIC_NAMES`` as measured by the current ``ALGORITHM_VERSION`` (NaN when not
        measured, or measured only by an older version: see ``outdated()``). The camera
        distance is not rescaled by ``person_scale``.

        Parameters
        ----------
        status : str or iterable of str, optional
            Keep only these statuses ("ok", "rejected").
        since : datetime, date or ISO 8601 str, optional
            Keep photos taken at or after this local time.
        person : str, optional
            Keep only this person's photos (each person has their own scale).
        """
        import pandas as pd

        from tracker.metrics.registry import METRIC_NAMES  # front and profile

        rows = list(self._rows(status=status, since=since, person=person))
        usual = self._usual_capture()
        records = []
        for row, metrics in rows:
            local, utc = _split_time(row["captured_at"], f"photo {row['id']}")
            records.append(
                {
                    **self._photo_fields(row),
                    "captured_at": local,
                    "captured_at_utc": utc,
                    **{c: _nan_if_none(row[c]) for c in POSE_COLUMNS},
                    "scale_mm_per_px": _nan_if_none(row["scale_mm_per_px"]),
                    "scale_source": row["scale_source"],
                    "camera_distance_mm": _nan_if_none(row["camera_distance_mm"]),
                    "focal_length_35mm": _nan_if_none(row["focal_length_35mm"]),
                    "focal_source": row["focal_source"],
                    "advice": _advice(row, usual, metrics),
                    **{name: _nan_if_none(metrics.get(name)) for name in METRIC_NAMES},
                }
            )
        columns = [
            "id",
            "file",
            "stored_path",
            "sha256",
            "captured_at",
            "captured_at_utc",
            "utc_offset",
            "date_source",
            "date_notes",
            "date_flagged",
            "status",
            "reasons",
            "session",
            "tag",
            "mirrored",
            "mirror_source",
            "person",
            "identity",
            "face_shape_distance",
            "view",
            "profile_side",
            *POSE_COLUMNS,
            "scale_mm_per_px",
            "scale_source",
            *CAMERA_COLUMNS,
            "advice",
            *METRIC_NAMES,
        ]
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["id"] = frame["id"].astype("int64")
        # nanoseconds, the resolution pandas 2 always uses (pandas 3 would infer microseconds)
        frame["captured_at"] = pd.to_datetime(frame["captured_at"]).astype("datetime64[ns]")
        frame["captured_at_utc"] = pd.to_datetime(frame["captured_at_utc"], utc=True).astype(
            "datetime64[ns, UTC]"
        )
        frame["date_flagged"] = frame["date_flagged"].astype(bool)
        frame["mirrored"] = frame["mirrored"].astype(bool)
        numeric = [
            *POSE_COLUMNS,
            "scale_mm_per_px",
            *CAMERA_COLUMNS[:2],
            *METRIC_NAMES,
            "face_shape_distance",
        ]
        frame[numeric] = frame[numeric].astype("float64")
        _none_for_missing_text(
            frame,
            (
                "utc_offset",
                "session",
                "tag",
                "scale_source",
                "focal_source",
                "advice",
                "mirror_source",
                "identity",
            ),
        )
        if person_scale and len(frame):
            from tracker.metrics.scale import PERSON_SCALE_METRIC

            person_mm = frame["person"].map(self._person_scales(frame["person"]))
            factor = person_mm.astype("float64") / frame[PERSON_SCALE_METRIC]
            for name in [*METRIC_NAMES, "scale_mm_per_px"]:
                if name == "scale_mm_per_px" or registry.scales_with_size(name):
                    frame[name] = frame[name] * factor
            frame.loc[factor.notna(), "scale_source"] = "person"
        return frame

    def photo_records(
        self,
        *,
        status: str | Iterable[str] | None = None,
        since: datetime | date | str | None = None,
        person_scale: bool = False,
        person: str | None = None,
    ) -> Iterator[dict]:
        """One JSON-ready dict per photo, ordered by capture time (for ``photos --json``).

        Keys: ``id``, ``file`` (original path), ``stored_path``, ``sha256``, ``captured_at``
        (ISO 8601, with its offset when known), ``utc_offset``, ``date_source``
        ("exif", "filename", "mtime" or "manual"), ``date_notes``, ``date_flagged``,
        ``status``, ``reasons``, ``session``, ``tag``, ``mirrored``, ``mirror_source``
        ("import", "detected", "marked" or None), ``person``, ``identity`` ("baseline",
        "same", "different", or None before the person is learned), ``face_shape_distance``,
        ``imported_at``, ``pose`` (dict of ``yaw_deg``, ``pitch_deg``, ``roll_deg``, or None),
        ``scale_mm_per_px``, ``scale_source``, ``camera_distance_mm``, ``focal_length_35mm``,
        ``focal_source``, ``advice`` (as in ``photos``), ``algorithm_version`` (None when not
        measured by the current version) and ``metrics`` (name -> value, None for NaN; empty
        when not measured). Filters and ``person_scale`` as for ``photos``.
        """
        usual = self._usual_capture()
        rows = list(self._rows(status=status, since=since, person=person))
        scales = self._person_scales(row["person"] for row, _ in rows) if person_scale else {}
        for row, metrics in rows:
            record = self._record(row, metrics, usual)
            if row["person"] in scales:
                _to_person_scale(record, scales[row["person"]])
            yield record

    def photo(self, photo_id: int) -> dict:
        """The record of one photo (as ``photo_records``). Raises LibraryError if unknown."""
        for row, metrics in self._rows(ids=[photo_id]):
            return self._record(row, metrics, self._usual_capture())
        raise LibraryError(f"no photo with id {photo_id}")

    def _photo_fields(self, row: sqlite3.Row) -> dict:
        """The fields of a photo row shared by ``photos()`` and ``photo_records()``."""
        notes = _stored_json(row["date_notes"], [])
        return {
            "id": row["id"],
            "file": row["original_path"],
            "stored_path": str(self._absolute(row["stored_path"])),
            "sha256": row["sha256"],
            "utc_offset": row["utc_offset"],
            "date_source": row["date_source"],
            "date_notes": notes,
            "date_flagged": date_flagged(row["date_source"], notes),
            "status": row["status"],
            "reasons": [
                Reason(code, text)
                for code, text in zip(
                    _stored_json(row["reason_codes"], []), _stored_json(row["reasons"], [])
                )
            ],
            "session": row["session"],
            "tag": row["tag"],
            "mirrored": bool(row["mirrored"]),
            "mirror_source": row["mirror_source"],
            "person": row["person"],
            "identity": row["identity"],
            "face_shape_distance": none_if_nan(row["identity_distance"]),
            "view": row["view"],
            "profile_side": row["profile_side"],
        }

    def _usual_capture(self):
        """The person's usual camera distance and pose: medians over every accepted photo
        measured by the current version (``tracker.analysis.capture.usual_capture``)."""
        import pandas as pd

        from tracker.analysis.capture import CAPTURE_COLUMNS, POSTURE_COLUMNS, usual_capture
        from tracker.metrics.geometry import ALGORITHM_VERSION

        rows = self._conn.execute(
            f"SELECT {', '.join('mi.' + c for c in CAPTURE_COLUMNS)} FROM photos p "
            "JOIN measurement_info mi ON mi.photo_id = p.id AND mi.algorithm_version = ? "
            "WHERE p.status = 'ok'",
            (ALGORITHM_VERSION,),
        ).fetchall()
        frame = pd.DataFrame(rows, columns=list(CAPTURE_COLUMNS), dtype="float64")
        usual = usual_capture(frame.assign(status="ok"))
        if usual is None:
            return None
        # a profile's usual posture on the neck, per side: the median over accepted profiles
        postures = {}
        for column in POSTURE_COLUMNS:
            values = [
                value
                for (value,) in self._conn.execute(
                    "SELECT m.value FROM measurements m JOIN photos p ON p.id = m.photo_id "
                    "WHERE p.status = 'ok' AND m.algorithm_version = ? AND m.metric = ? "
                    "AND m.value IS NOT NULL",
                    (ALGORITHM_VERSION, column),
                )
            ]
            postures[column] = float(np.median(values)) if values else float("nan")
        return replace(usual, **postures)

    def _record(self, row: sqlite3.Row, metrics: dict, usual=None) -> dict:
        measured = row["algorithm_version"] is not None
        return {
            **self._photo_fields(row),
            "captured_at": row["captured_at"],
            "imported_at": row["imported_at"],
            "pose": (
                {c: none_if_nan(row[c]) for c in POSE_COLUMNS}
                if measured and row["yaw_deg"] is not None
                else None
            ),
            "scale_mm_per_px": none_if_nan(row["scale_mm_per_px"]),
            "scale_source": row["scale_source"],
            "camera_distance_mm": none_if_nan(row["camera_distance_mm"]),
            "focal_length_35mm": none_if_nan(row["focal_length_35mm"]),
            "focal_source": row["focal_source"],
            "advice": _advice(row, usual, metrics),
            "algorithm_version": row["algorithm_version"],
            "metrics": {k: none_if_nan(v) for k, v in metrics.items()},
        }

    def _rows(
        self, *, status=None, since=None, ids=None, person=None
    ) -> Iterator[tuple[sqlite3.Row, dict]]:
        """(photo row joined with its current measurement info, metric -> value) per photo."""
        from tracker.metrics.geometry import ALGORITHM_VERSION
        from tracker.metrics.registry import METRIC_NAMES

        where, params = [], []
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"p.status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        if since is not None:
            where.append("p.captured_at >= ?")
            params.append(_local_iso(since))
        if person is not None:
            where.append("p.person = ?")
            params.append(str(person))
        if ids is not None:
            ids = [int(i) for i in ids]
            where.append(f"p.id IN ({', '.join('?' * len(ids))})")
            params += ids
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = {name: i for i, name in enumerate(METRIC_NAMES)}
        with self._snapshot() as db:
            db.row_factory = sqlite3.Row
            try:
                rows = db.execute(
                    "SELECT p.*, mi.algorithm_version, mi.scale_mm_per_px, mi.scale_source, "
                    "mi.yaw_deg, mi.pitch_deg, mi.roll_deg, mi.camera_distance_mm, "
                    "l.focal_length_35mm, l.focal_source FROM photos p "
                    "LEFT JOIN measurement_info mi "
                    "ON mi.photo_id = p.id AND mi.algorithm_version = ? "
                    "LEFT JOIN landmarks l ON l.photo_id = p.id "
                    f"{clause} ORDER BY p.captured_at, p.id",
                    (ALGORITHM_VERSION, *params),
                ).fetchall()
                metrics: dict[int, dict[str, float]] = {}
                for photo_id, metric, value in db.execute(
                    "SELECT m.photo_id, m.metric, m.value FROM measurements m "
                    "JOIN photos p ON p.id = m.photo_id "
                    f"WHERE m.algorithm_version = ? {'AND' if where else ''} "
                    f"{' AND '.join(where)}",
                    (ALGORITHM_VERSION, *params),
                ):
                    metrics.setdefault(photo_id, {})[metric] = value
            finally:
                db.row_factory = None
        for row in rows:
            values = metrics.get(row["id"], {})
            yield row, dict(sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))))

    def _absolute(self, stored_path: str) -> Path:
        return self.path / stored_path if not os.path.isabs(stored_path) else Path(stored_path)

    def landmarks(self, photo_id: int, *, raw: bool = False) -> np.ndarray:
        """The stored (478, 3) landmarks of a photo in pixels of the analysed image: the
        refined points the metrics use, or with ``raw`` the model's own.

        Raises LibraryError when the photo is unknown or has no landmarks (no face)."""
        row = self._conn.execute(
            f"SELECT {'raw_points' if raw else 'points'} FROM landmarks WHERE photo_id = ?",
            (int(photo_id),),
        ).fetchone()
        if row is None or row[0] is None:
            raise LibraryError(f"no landmarks stored for photo {photo_id}")
        return _points_array(row[0])

    def export_csv(self, path: str | os.PathLike[str], *, person_scale: bool = True) -> int:
        """Write one tidy row per photo and one column per metric to a CSV file.

        Columns as ``photos(person_scale=person_scale)`` (the numbers of ``photos``, the trend
        and the report), except ``captured_at`` written as stored (ISO 8601 local time with its
        offset when known) and lists joined with "; ". Returns the number of rows.
        """
        frame = self.photos(person_scale=person_scale)
        records = {r["id"]: r["captured_at"] for r in self.photo_records()}
        frame["captured_at"] = frame["id"].map(records)
        frame["captured_at_utc"] = frame["captured_at_utc"].map(
            lambda t: None if t is None or t != t else t.isoformat()
        )
        for column in ("date_notes", "reasons"):
            frame[column] = frame[column].map("; ".join)
        neutralise_text_cells(frame)
        from tracker.output import private_output

        with private_output(path) as handle:  # 0600, complete or absent
            frame.to_csv(handle, index=False, encoding="utf-8")
        return len(frame)

    # --- treatment sessions -------------------------------------------------------------------

    def log_session(
        self,
        started_at: datetime | date | str,
        *,
        minutes: float | None = None,
        mode: str | None = None,
        note: str | None = None,
        side: str = "both",
    ) -> int:
        """Log a treatment (microcurrent) session and return its id.

        Parameters
        ----------
        started_at : datetime, date or ISO 8601 str
            When it started; a date alone means 12:00 that day. An aware datetime keeps its
            offset. From 2000-01-01 to the end of tomorrow.
        minutes : float, optional
            Its length, > 0.
        mode : str, optional
            The device mode ("lift", "firm", ...), stored lower-case.
        note : str, optional
            At most 500 characters, like ``mode``.
        side : {"both", "left", "right"}
            The side of the face treated (the subject's own).

        Raises
        ------
        LibraryError
            For a date that cannot be read or is implausible, a length that is not a positive
            number, a text over 500 characters, an unknown side, or a session logged already
            (same start, length, mode and side).
        """
        values = _session_values(started_at, minutes, mode, note, side)
        with self._write() as db:
            _refuse_duplicate(db, values)
            cursor = db.execute(
                "INSERT INTO sessions (started_at, minutes, mode, note, side, logged_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*values, _now()),
            )
        return int(cursor.lastrowid or 0)  # set by the INSERT

    def edit_session(
        self,
        session_id: int,
        *,
        started_at: datetime | date | str | None = None,
        minutes: float | None = None,
        mode: str | None = None,
        note: str | None = None,
        side: str | None = None,
    ) -> None:
        """Change the given fields of one logged session (the others stay), checked as
        ``log_session`` checks them.

        Raises
        ------
        LibraryError
            When there is no session with that id, or for a value ``log_session`` refuses.
        """
        with self._write() as db:
            row = db.execute(
                f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions WHERE id = ?",
                (int(session_id),),
            ).fetchone()
            if row is None:
                raise LibraryError(f"no session with id {session_id}")
            given = (started_at, minutes, mode, note, side)
            values = _session_values(*(old if new is None else new for old, new in zip(row, given)))
            _refuse_duplicate(db, values, other_than=int(session_id))
            db.execute(
                f"UPDATE sessions SET {', '.join(c + ' = ?' for c in SESSION_COLUMNS)} "
                "WHERE id = ?",
                (*values, int(session_id)),
            )

    def import_sessions(self, path: str | os.PathLike[str]) -> tuple[list[int], list[str]]:
        """Log the sessions of a CSV file with a header row: ``started_at,minutes,mode``
        and optionally ``note`` and ``side`` (columns in any order, empty cells for none).

        Each row is checked and logged on its own: a bad row is reported and the others are
        logged.

        Returns
        -------
        (ids logged, one line per row refused: "line N: reason")

        Raises
        ------
        LibraryError
            When the file cannot be read, or its header lacks ``started_at``.
        """
        import csv

        path = Path(path).expanduser()
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise LibraryError(f"{path}: cannot read: {why}") from None
        if not rows:
            raise LibraryError(
                f"{path}: empty file (a header row started_at,minutes,mode is needed)"
            )
        header = [cell.strip().lower() for cell in rows[0]]
        unknown = [c for c in header if c not in SESSION_COLUMNS]
        if "started_at" not in header or unknown:
            raise LibraryError(
                f"{path}: the header row must name started_at and optionally minutes, mode, "
                f"note, side (found: {','.join(header)})"
            )
        ids, errors = [], []
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                errors.append(f"line {number}: {len(row)} cells, the header has {len(header)}")
                continue
            cells = {name: (value.strip() or None) for name, value in zip(header, row)}
            try:
                ids.append(
                    self.log_session(
                        cells.get("started_at") or "",
                        minutes=cells.get("minutes"),  # type: ignore[arg-type]  # checked
                        mode=cells.get("mode"),
                        note=cells.get("note"),
                        side=cells.get("side") or "both",
                    )
                )
            except LibraryError as exc:
                errors.append(f"line {number}: {exc}")
        return ids, errors

    def sessions(self):
        """The treatment log as a DataFrame ordered by start: ``id``, ``started_at`` (naive
        local time), ``utc_offset``, ``minutes``, ``mode``, ``note``, ``side`` ("both",
        "left" or "right"), ``logged_at`` (str)."""
        import pandas as pd

        rows = self._conn.execute(
            "SELECT id, started_at, minutes, mode, note, side, logged_at FROM sessions "
            "ORDER BY started_at, id"
        ).fetchall()
        records = []
        for session_id, started_at, minutes, mode, note, side, logged_at in rows:
            moment = _stored_time(started_at, f"session {session_id}")
            records.append(
                {
                    "id": session_id,
                    "started_at": moment.replace(tzinfo=None),
                    "utc_offset": format_utc_offset(moment),
                    "minutes": _nan_if_none(minutes),
                    "mode": mode,
                    "note": note,
                    "side": side,
                    "logged_at": logged_at,
                }
            )
        frame = pd.DataFrame.from_records(
            records,
            columns=[
                "id",
                "started_at",
                "utc_offset",
                "minutes",
                "mode",
                "note",
                "side",
                "logged_at",
            ],
        )
        frame["id"] = frame["id"].astype("int64")
        frame["started_at"] = pd.to_datetime(frame["started_at"]).astype("datetime64[ns]")
        frame["minutes"] = frame["minutes"].astype("float64")
        _none_for_missing_text(frame, ("utc_offset", "mode", "note", "side"))
        return frame

    def save_plan(self, plan) -> int:
        """Store a planned experiment (``tracker.analysis.design.Plan``); the latest stored
        is the library's plan (``plan()``). Returns its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO plans (design, start, weeks, side, block_weeks, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    plan.design,
                    plan.start.isoformat(),
                    int(plan.weeks),
                    plan.side,
                    int(plan.block_weeks),
                    _now(),
                ),
            )
            return int(cursor.lastrowid or 0)

    def plan(self):
        """The latest planned experiment (``tracker.analysis.design.Plan``), or None."""
        from datetime import date

        from tracker.analysis.design import Plan

        row = self._conn.execute(
            "SELECT design, start, weeks, side, block_weeks FROM plans ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        design, start, weeks, side, block_weeks = row
        return Plan(design, date.fromisoformat(start), int(weeks), side, int(block_weeks))

    def delete_session(self, session_id: int) -> None:
        """Remove one logged session. Raises LibraryError when there is none with that id."""
        with self._write() as db:
            if db.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),)).rowcount == 0:
                raise LibraryError(f"no session with id {session_id}")

    # --- recomputing and forgetting -----------------------------------------------------------

    def outdated(self) -> int:
        """Photos with landmarks but no metrics from the current algorithm version (run
        ``remeasure`` to compute them)."""
        from tracker.metrics.geometry import ALGORITHM_VERSION

        return self._scalar(
            "SELECT count(*) FROM landmarks l LEFT JOIN measurement_info mi "
            "ON mi.photo_id = l.photo_id AND mi.algorithm_version = ? "
            "WHERE mi.photo_id IS NULL",
            (ALGORITHM_VERSION,),
        )

    def delete_measurements(self, photo_ids: Iterable[int] | None = None) -> None:
        """Delete the metrics of the current ``ALGORITHM_VERSION`` of every photo (or of
        ``photo_ids``); rows of other versions stay. Call it inside ``transaction()`` with
        the writes that replace them."""
        from tracker.metrics.geometry import ALGORITHM_VERSION

        which, params = _which_photos(photo_ids)
        with self._write() as db:
            for table in ("measurements", "measurement_info"):
                db.execute(
                    f"DELETE FROM {table} WHERE algorithm_version = ?"
                    f"{' AND ' + which if which else ''}",
                    (ALGORITHM_VERSION, *params),
                )

    def stored_landmarks(
        self, *, photo_ids: Iterable[int] | None = None, batch_size: int = 4096
    ) -> Iterator[StoredLandmarks]:
        """The stored landmarks of every photo with some (or of ``photo_ids``), by photo id,
        in stacks of at most ``batch_size``. Read them inside ``transaction()`` when the
        metrics measured from them are written back."""
        which, params = _which_photos(photo_ids)
        reader = self._conn.execute(
            "SELECT photo_id, points, scale_mm_per_px, scale_source, "
            "focal_length_px, focal_source, image_width_px, "
            "image_height_px, flipped, "
            "(SELECT quality FROM photos WHERE photos.id = landmarks.photo_id), "
            "coalesce(raw_points, points) FROM landmarks "
            f"{'WHERE ' + which if which else ''} ORDER BY photo_id",
            params,
        )
        while batch := reader.fetchmany(batch_size):
            points = np.frombuffer(b"".join(row[1] for row in batch), dtype="<f8")
            focal, centres = _cameras(batch)
            flipped = np.array([bool(row[8]) and row[6] is not None for row in batch])
            yield StoredLandmarks(
                photo_ids=[row[0] for row in batch],
                points_px=points.reshape(len(batch), N_POINTS, 3),
                flipped=flipped,
                image_width_px=np.array([_nan_if_none(row[6]) for row in batch], dtype=float),
                scale_mm_per_px=np.array([row[2] for row in batch], dtype=np.float64),
                scale_source=[row[3] for row in batch],
                focal_length_px=focal,
                principal_point_px=centres,
                jaw_found=_jaw_found([row[9] for row in batch], flipped),
                face_mesh_points_px=np.frombuffer(
                    b"".join(row[10] for row in batch), dtype="<f8"
                ).reshape(len(batch), N_POINTS, 3),
            )

    def stored_profiles(
        self, *, photo_ids: Iterable[int] | None = None
    ) -> Iterator[tuple[int, np.ndarray, str, int]]:
        """The stored profile outlines of every profile photo (or of ``photo_ids``), by photo
        id: (photo id, (N, 2) chain in pixels, facing, image width in pixels)."""
        which, params = _which_photos(photo_ids)
        for photo_id, chain, facing, width in self._conn.execute(
            "SELECT photo_id, chain, facing, image_width_px FROM profiles "
            f"{'WHERE ' + which if which else ''} ORDER BY photo_id",
            params,
        ):
            yield (
                int(photo_id),
                np.frombuffer(chain, dtype="<f8").reshape(-1, 2),
                str(facing),
                int(width),
            )

    def write_profile_measurements(self, photo_id: int, metrics: dict[str, float]) -> None:
        """Store the metrics measured from a profile's stored outline for the current
        ``ALGORITHM_VERSION`` (no scale, no pose). The photo must have none for that version
        (see ``delete_measurements``)."""
        from tracker.metrics.geometry import ALGORITHM_VERSION

        with self._write() as db:
            db.execute(
                "INSERT INTO measurement_info (photo_id, algorithm_version, scale_mm_per_px, "
                "scale_source, yaw_deg, pitch_deg, roll_deg, measured_at, how, "
                "camera_distance_mm) VALUES (?, ?, NULL, 'none', NULL, NULL, NULL, ?, "
                "'remeasure', NULL)",
                (int(photo_id), ALGORITHM_VERSION, _now()),
            )
            db.executemany(
                "INSERT INTO measurements (photo_id, algorithm_version, metric, value) "
                "VALUES (?, ?, ?, ?)",
                [
                    (int(photo_id), ALGORITHM_VERSION, name, none_if_nan(value))
                    for name, value in metrics.items()
                ],
            )

    def write_measurements(
        self,
        stack: StoredLandmarks,
        metrics: dict[str, np.ndarray],
        pose_deg: np.ndarray,
        camera_distance_mm: np.ndarray,
        *,
        how: str = "remeasure",
    ) -> None:
        """Store the metrics measured from ``stack`` (metric name -> (N,) values, (N, 3) yaw,
        pitch and roll in degrees, (N,) camera distances; NaN is stored as unknown) for the
        current ``ALGORITHM_VERSION``, with the stack's stored scale. The photos must have
        none for that version (see ``delete_measurements``)."""
        from tracker.metrics.geometry import ALGORITHM_VERSION

        now = _now()
        columns = {name: _none_for_nan(values) for name, values in metrics.items()}
        pose = [_none_for_nan(np.asarray(pose_deg)[:, k]) for k in range(len(POSE_COLUMNS))]
        distances = _none_for_nan(camera_distance_mm)
        scales = _none_for_nan(stack.scale_mm_per_px)
        ids = stack.photo_ids
        with self._write() as db:
            db.executemany(
                "INSERT INTO measurement_info (photo_id, algorithm_version, "
                "scale_mm_per_px, scale_source, yaw_deg, pitch_deg, roll_deg, measured_at, "
                "how, camera_distance_mm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (photo_id, ALGORITHM_VERSION, scale, source, *angles, now, how, distance)
                    for photo_id, scale, source, distance, *angles in zip(
                        ids, scales, stack.scale_source, distances, *pose
                    )
                ],
            )
            db.executemany(
                "INSERT INTO measurements (photo_id, algorithm_version, metric, value) "
                "VALUES (?, ?, ?, ?)",
                [
                    (photo_id, ALGORITHM_VERSION, name, value)
                    for name, column in columns.items()
                    for photo_id, value in zip(ids, column)
                ],
            )

    def fill_in_cameras(self) -> int:
        """Give the focal length to stored landmarks that lack it (photos imported before it
        was recorded), from each photo file's EXIF; returns how many were filled in."""
        from tracker.photos.camera import read_camera_of_file

        with self._write() as db:
            missing = db.execute(
                "SELECT l.photo_id, l.image_width_px, l.image_height_px, p.stored_path "
                "FROM landmarks l JOIN photos p ON p.id = l.photo_id "
                "WHERE l.focal_length_px IS NULL AND l.image_width_px IS NOT NULL "
                "AND l.image_height_px IS NOT NULL"
            ).fetchall()
            for photo_id, width, height, stored in missing:
                camera = read_camera_of_file(self._absolute(stored), (int(width), int(height)))
                db.execute(
                    "UPDATE landmarks SET focal_length_px = ?, focal_length_35mm = ?, "
                    "focal_source = ? WHERE photo_id = ?",
                    (
                        camera.focal_length_px,
                        camera.focal_length_35mm,
                        camera.focal_source,
                        photo_id,
                    ),
                )
        return len(missing)

    def _store_synthetic_landmarks(
        self, points: np.ndarray, *, scale_mm_per_px, captured_at: datetime | None = None
    ) -> list[int]:
        """Add placeholder photos holding only the given landmarks, in one transaction.

        For tests and benchmarks of ``remeasure`` on throwaway libraries: each row is a
        "linked" photo with no file (``stored_path`` "synthetic:N") and no metrics yet.
        ``points`` is (N, 478, 3); ``scale_mm_per_px`` a scalar or (N,). Returns the new ids.
        """
        import secrets

        stack = np.asarray(points, dtype="<f8").reshape(-1, N_POINTS, 3)
        scales = np.broadcast_to(np.asarray(scale_mm_per_px, dtype=np.float64), (len(stack),))
        when, now = _iso(captured_at or datetime.now().astimezone()), _now()
        with self._write() as db:
            first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM photos").fetchone()[0]
            ids = list(range(first, first + len(stack)))
            db.executemany(
                "INSERT INTO photos (id, sha256, original_path, stored_path, linked, "
                "size_bytes, mirrored, captured_at, date_source, imported_at, status) "
                "VALUES (?, ?, ?, ?, 1, 0, 0, ?, 'manual', ?, 'ok')",
                [
                    (i, secrets.token_hex(32), f"synthetic:{i}", f"synthetic:{i}", when, now)
                    for i in ids
                ],
            )
            db.executemany(
                "INSERT INTO landmarks (photo_id, model, scale_mm_per_px, scale_source, points) "
                "VALUES (?, 'synthetic', ?, 'synthetic', ?)",
                [
                    (i, float(scale), np.ascontiguousarray(p).tobytes())
                    for i, scale, p in zip(ids, scales, stack)
                ],
            )
        return ids

    def forget(self, photo_ids: int | Iterable[int]) -> int:
        """Remove photos for good: their rows, landmarks, metrics and stored copy (a linked
        original is never touched). Deleted rows are overwritten (secure_delete) and the
        write-ahead log is truncated. Returns the number removed.

        Raises LibraryError naming the first unknown id (nothing is removed then).
        """
        ids = (
            [int(photo_ids)]
            if isinstance(photo_ids, (int, np.integer))
            else [int(i) for i in photo_ids]
        )
        with self._write() as db:
            for photo_id in ids:
                if db.execute("SELECT 1 FROM photos WHERE id = ?", (photo_id,)).fetchone() is None:
                    raise LibraryError(f"no photo with id {photo_id}")
            db.executemany(
                "INSERT OR IGNORE INTO pending_deletions (stored_path) "
                "SELECT stored_path FROM photos WHERE id = ? AND linked = 0",
                [(i,) for i in ids],
            )
            db.executemany("DELETE FROM photos WHERE id = ?", [(i,) for i in ids])
        # The copies go after the rows are gone (a crash in between leaves only orphans,
        # which this and every import removes).
        self.remove_orphans()
        self._truncate_log()
        return len(set(ids))

    def forget_all(self) -> int:
        """Remove every photo and its data for good (the treatment log stays). Returns the
        number removed."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO pending_deletions (stored_path) "
                "SELECT stored_path FROM photos WHERE linked = 0"
            )
            count = db.execute("DELETE FROM photos").rowcount
        self.remove_orphans()
        self._truncate_log()
        try:
            self._conn.execute("VACUUM")
        except sqlite3.OperationalError:
            pass  # another connection is reading: the pages are zeroed anyway (secure_delete)
        return count

    def _truncate_log(self) -> None:
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass


# --- helpers -------------------------------------------------------------------------------


def _stored_copies(root: Path) -> list[Path]:
    folder = root / PHOTOS_FOLDER
    if not folder.is_dir():
        return []
    return [
        file
        for file in sorted(folder.rglob("*"))
        if (file.is_file() or file.is_symlink()) and not fs.is_temporary(file)
    ]


def neutralise_text_cells(frame) -> None:
    """Prefix with an apostrophe the free-text cells (file names, tags, reasons, notes)
    that a spreadsheet would run as a formula (starting with =, +, -, @), in place."""
    from tracker.text import spreadsheet_safe

    for column in ("file", "stored_path", "tag", "reasons", "date_notes", "advice"):
        if column in frame:
            frame[column] = frame[column].map(spreadsheet_safe)


def _read_only(folder: Path, db_path: Path) -> bool:
    """True when an existing library cannot be written: its folder or database is not
    writable (permissions, or a read-only file system)."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return False
    return not (os.access(folder, os.W_OK) and os.access(db_path, os.W_OK))


def _switch_to_wal(db: sqlite3.Connection, *, timeout_s: float = BUSY_TIMEOUT_S) -> None:
    """Put the database in WAL mode, retrying while another connection holds a lock.

    The switch is refused at once with "database is locked" while another process writes (a
    new library's first migration, typically): SQLite's busy handler does not cover it. It is
    retried with a doubling pause (10 ms to 0.5 s, with jitter) for up to ``timeout_s``.
    """
    import random
    import time

    deadline, pause = time.monotonic() + timeout_s, 0.01
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * random.uniform(0.5, 1.0))
        pause = min(pause * 2, 0.5)


def _library_error(db_path: Path, exc: sqlite3.Error) -> LibraryError:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return LibraryError(
            f"{db_path}: the library is busy (another facetrack holds it for "
            f"over {BUSY_TIMEOUT_S:g} s); try again"
        )
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in message:
        return LibraryError(
            f"{db_path}: not a facetrack library (not an SQLite database, or "
            f"damaged); if it was one, rebuild it from its photo copies with: "
            f"facetrack doctor --rebuild --library {db_path.parent}"
        )
    if "malformed" in message or "corrupt" in message:
        return LibraryError(
            f"{db_path}: the database is damaged ({message}); nothing was "
            f"changed. Check it with facetrack doctor --library "
            f"{db_path.parent}, or rebuild it from the photo copies with "
            f"facetrack doctor --rebuild --library {db_path.parent}"
        )
    if "full" in message:
        return LibraryError(
            f"{db_path}: the disk is full ({message}); nothing was changed. "
            "Free some space and try again"
        )
    if "readonly" in message or "read-only" in message:
        return LibraryError(
            f"{db_path}: the library is read-only ({message}); it can be read but not changed"
        )
    if "I/O" in message:
        return LibraryError(
            f"{db_path}: the disk could not be written or read ({message}); "
            "nothing was changed. Check the disk's free space and health"
        )
    return LibraryError(f"{db_path}: {message}")


def _path_text(path) -> str:
    """An absolute path as text SQLite can store: a file name that is not valid UTF-8 (its
    bytes carried as surrogate escapes by os.fsdecode) gets them as backslash escapes."""
    return os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace")


def _session_values(started_at, minutes, mode, note, side) -> tuple:
    """A session's stored values (started_at text, minutes, mode, note, side), checked."""
    when = _parse_moment(started_at, "session start")
    naive = when.replace(tzinfo=None)
    if naive < EARLIEST_SESSION:
        raise LibraryError(
            f"session start {naive:%Y-%m-%d %H:%M} is before 2000: a typing mistake?"
        )
    if naive.date() > date.today() + timedelta(days=1):
        raise LibraryError(
            f"session start {naive:%Y-%m-%d %H:%M} is after tomorrow: a typing mistake?"
        )
    if minutes is not None:
        try:
            minutes = float(minutes)
        except (TypeError, ValueError):
            raise LibraryError(f"session length {minutes!r} is not a number") from None
        if not math.isfinite(minutes) or minutes <= 0:
            raise LibraryError(
                f"session length must be a positive number of minutes, not {minutes:g}"
            )
    mode = _clean_text(mode, "mode")
    side = (side or "both").strip().lower() if isinstance(side, str) else side
    if side not in SESSION_SIDES:
        raise LibraryError(f"side must be left, right or both, not {side!r}")
    return (_iso(when), minutes, mode.lower() if mode else None, _clean_text(note, "note"), side)


def _refuse_duplicate(db: sqlite3.Connection, values: tuple, other_than: int = 0) -> None:
    """Raise LibraryError when another session has the same start, length, mode and side."""
    started_at, minutes, mode, _, side = values
    row = db.execute(
        "SELECT id FROM sessions WHERE started_at = ? AND minutes IS ? AND "
        "mode IS ? AND side = ? AND id != ?",
        (started_at, minutes, mode, side, other_than),
    ).fetchone()
    if row is not None:
        raise LibraryError(
            f"session {row[0]} already logs this session ({started_at}); "
            f"change it with: facetrack session edit {row[0]}"
        )


def _stored_json(text: str | None, default: list | dict):
    """A stored JSON list or dict; ``default`` when the cell is empty or holds something else
    (a database edited or damaged by hand): one bad cell must not make every listing of the
    library fail. ``Library.doctor`` names such cells."""
    if text is None:
        return default
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def _bad_json_cells(db: sqlite3.Connection) -> list[str]:
    """ "photo ID: column" for every photo cell that should hold a JSON list or dict and
    does not."""
    bad = []
    rows = db.execute(f"SELECT id, {', '.join(JSON_COLUMNS)} FROM photos ORDER BY id")
    for photo_id, *cells in rows:
        for column, text in zip(JSON_COLUMNS, cells):
            if text is None:
                continue
            try:
                readable = isinstance(json.loads(text), dict if column == "quality" else list)
            except (TypeError, ValueError):
                readable = False
            if not readable:
                bad.append(f"photo {photo_id}: {column}")
    return bad


def _stored_time(text: str, what: str) -> datetime:
    """A stored ISO time; LibraryError (not a traceback) when the database holds a bad one."""
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise LibraryError(
            f"{what} has a bad stored date {text!r}: correct it with "
            f"facetrack session edit {what.split()[-1]} --date DATE, or delete "
            "it"
        ) from None


def _check_photo_session(session: str | None) -> str | None:
    if session is None:
        return None
    if session not in PHOTO_SESSIONS:
        raise LibraryError(f"session must be 'before' or 'after', not {session!r}")
    return session


def _clean_text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise LibraryError(f"{what} must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS:
        raise LibraryError(
            f"{what} is {len(value):,} characters long; at most {MAX_TEXT_CHARS} are kept"
        )
    return value.strip() or None


def _parse_moment(value: datetime | date | str, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, DATE_ONLY_TIME)
    if isinstance(value, str):
        try:
            moment = parse_when(value)
        except ValueError:
            pass
        else:
            return _parse_moment(moment, what)
    raise LibraryError(
        f"{what} {value!r} is not a date or time (use ISO 8601, "
        "e.g. 2026-01-05 or 2026-01-05T08:30)"
    )


def _local_iso(value: datetime | date | str) -> str:
    """A time to compare with stored ``captured_at`` text: local wall-clock ISO 8601."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return _parse_moment(value, "since").replace(tzinfo=None).isoformat(timespec="seconds")


def _iso(moment: datetime) -> str:
    """ISO 8601 to the second; an aware time keeps its offset ("2026-01-05T08:30:12+01:00")."""
    return moment.isoformat(timespec="seconds")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _split_time(text: str, what: str = "a photo") -> tuple[datetime, datetime | None]:
    """Stored ISO text -> (naive local wall-clock time, UTC time or None); LibraryError
    for text that is no time (a damaged or hand-edited database)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise LibraryError(
            f"{what} has a bad stored capture time {text!r}: correct it in "
            "the database, or remove the photo with facetrack forget"
        ) from None
    if moment.utcoffset() is None:
        return moment, None
    return moment.replace(tzinfo=None), moment.astimezone(UTC)


def _which_photos(photo_ids: Iterable[int] | None) -> tuple[str, tuple[int, ...]]:
    """A ``photo_id IN (...)`` condition and its parameters ("" for every photo)."""
    if photo_ids is None:
        return "", ()
    params = tuple(int(i) for i in photo_ids)
    return f"photo_id IN ({', '.join('?' * len(params))})", params


def _jaw_found(qualities: list, flipped: np.ndarray) -> np.ndarray:
    """(N, 2, V) bool, [right, left]: which of each side's jaw outline points the image placed
    (:func:`tracker.metrics.jaw.placed_from_scores`, from the stored quality scores: none on
    a side refused, ``jaw_edge_profiles_<side>`` 0). Photos measured before the jaw outline was
    refined, or before its points were marked, have no such scores: taken as placed. A mirror
    image's sides are swapped, as its landmarks are."""
    from tracker.metrics.jaw import JAW_OUTLINE, placed_from_scores

    out = np.ones((len(qualities), 2, len(JAW_OUTLINE["left"]) + 1), dtype=bool)
    for i, text in enumerate(qualities):
        scores = _stored_json(text, {})
        for column, side in enumerate(("right", "left")):
            out[i, column] = placed_from_scores(scores, side)
    out[flipped] = out[flipped, ::-1]
    return out


def _cameras(rows) -> tuple[np.ndarray, np.ndarray]:
    """(N,) focal lengths in pixels (NaN when unknown) and (N, 2) principal points (NaN when
    unknown) of landmark rows (photo_id, points, scale, scale source, focal_length_px,
    focal_source, image_width_px, image_height_px), as the pipeline chose them."""
    from tracker.photos.camera import principal_point_px

    focal = np.array([np.nan if row[4] is None else row[4] for row in rows], dtype=np.float64)
    centres = np.array(
        [principal_point_px(row[5], (row[6], row[7]) if row[6] else None) for row in rows],
        dtype=np.float64,
    )
    return focal, centres


def _advice(row: sqlite3.Row, usual, metrics: dict | None = None) -> str | None:
    """The advice for the next photo from one photo row: what its rejection asks for (look
    straight into the camera, relax your mouth), then the capture advice against the usual
    (a profile's: its posture on the neck against the usual of its side, from ``metrics``;
    None when there is neither)."""
    from tracker.types import Reason, reason_advice

    fixes: list[str] = []
    if row["status"] == "rejected":
        texts = _stored_json(row["reasons"], [])
        codes = _stored_json(row["reason_codes"], []) if "reason_codes" in row.keys() else []
        reasons = (
            [Reason(c, t) for c, t in zip(codes, texts)] if len(codes) == len(texts) else texts
        )
        fixes = reason_advice(reasons)
    capture = None
    if usual is not None and row["algorithm_version"] is not None:
        from tracker.analysis.capture import capture_advice

        distance, yaw, pitch, roll = (
            _nan_if_none(row[c]) for c in ("camera_distance_mm", "yaw_deg", "pitch_deg", "roll_deg")
        )
        capture = capture_advice(distance, yaw, pitch, roll, usual)
        side = row["profile_side"] if "profile_side" in row.keys() else None
        if row["view"] == "profile" and side in ("left", "right"):
            from tracker.analysis.capture import posture_advice

            column = f"head_neck_angle_{side}_deg"
            capture = posture_advice(
                _nan_if_none((metrics or {}).get(column)), getattr(usual, column)
            )
    if not fixes:
        return capture
    if capture and not capture.startswith("matches"):
        fixes.append(capture)
    return "; ".join(fixes)


def _to_person_scale(record: dict, person_mm: float) -> None:
    """Re-express a photo record's millimetres with the person's scale (as ``photos(
    person_scale=True)`` does), in place."""
    from tracker.metrics.scale import PERSON_SCALE_METRIC

    own = record["metrics"].get(PERSON_SCALE_METRIC)
    if own is None or not own > 0:
        return
    factor = person_mm / own
    record["metrics"] = {
        k: (v * factor if v is not None and k.endswith("_mm") else v)
        for k, v in record["metrics"].items()
    }
    if record["scale_mm_per_px"] is not None:
        record["scale_mm_per_px"] *= factor
    record["scale_source"] = "person"


def _points_blob(points) -> bytes:
    array = np.asarray(points, dtype="<f8")
    if array.shape != (N_POINTS, 3):
        raise ValueError(f"landmarks must be ({N_POINTS}, 3), not {array.shape}")
    return np.ascontiguousarray(array).tobytes()


def _points_array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f8").reshape(N_POINTS, 3).astype(np.float64)


def _nan_if_none(value) -> float:
    return float("nan") if value is None else float(value)


def _none_for_nan(values: np.ndarray) -> list[float | None]:
    return [none_if_nan(v) for v in np.asarray(values, dtype=np.float64).tolist()]


def _none_for_missing_text(frame, columns) -> None:
    """Make optional text columns object dtype holding None when missing, under pandas 2
    and 3 alike (pandas 3's string dtype would turn None into NaN, which is truthy)."""
    import pandas as pd

    for column in columns:
        frame[column] = pd.Series(
            [None if v is None or v != v else v for v in frame[column]],
            index=frame.index,
            dtype=object,
        )


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)
