"""Files of a library: private folders and files, content hashes, atomic copies.

Privacy: every folder the library creates is 0700 and every file 0600, set by the mode given
to ``mkdir``/``open`` and by an explicit chmod (the process umask is left alone: it is shared
by every thread of the program).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK_BYTES = 1 << 20
FOLDER_MODE = 0o700
FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"


class ContentChanged(Exception):
    """A file's content changed between hashing it and copying it."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's content, read in 1 MB chunks. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def make_private_folder(path: Path) -> None:
    """Create ``path`` and any missing parents of it as 0700 folders (existing ones unchanged,
    except ``path`` itself when it is created here)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it a moment ago
        os.chmod(folder, FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def chmod_private(path: Path) -> None:
    """Make a file 0600 if it exists and is ours (no error otherwise)."""
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o777 != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except OSError:
        pass


def copy_atomically(source: Path, target: Path, sha256: str) -> None:
    """Copy ``source`` to ``target`` (0600) so that ``target`` is either absent or complete.

    The copy is written to a hidden temporary name in the target's folder, flushed to disk,
    checked against ``sha256`` and then renamed over ``target``.

    Raises
    ------
    ContentChanged
        When the copied bytes do not hash to ``sha256`` (nothing is left behind).
    OSError
        When reading or writing fails (the temporary file is removed).
    """
    make_private_folder(target.parent)
    temp = target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")
    temp.unlink(missing_ok=True)  # left by a killed process that had the same pid
    digest = hashlib.sha256()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fchmod(out.fileno(), FILE_MODE)
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ContentChanged(str(source))
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_temporary(path: Path) -> bool:
    """True for a copy still being written (or left by a killed process)."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)
