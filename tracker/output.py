"""Files facetrack writes for the user (charts, timelapses, overlays, exports, reports): each
is private and complete, or absent.

They hold faces or health data, so they are created readable by their owner only (0600) like
the library, whatever the umask. Each is written to a hidden temporary file in the target's
folder, flushed and renamed over the target: a full disk or a failure half-way leaves the
previous file (or none), never an empty or truncated one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600


@contextmanager
def private_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file handle whose content becomes ``path`` (0600) when the block ends
    without an exception; on an exception nothing is left behind and ``path`` is unchanged.

    Raises
    ------
    OSError
        When the file cannot be created, written or renamed (the temporary file is removed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with private_output(folder / "x.csv") as handle:
    ...     _ = handle.write(b"a,b\\n")
    >>> oct((folder / "x.csv").stat().st_mode & 0o777)
    '0o600'
    """
    path = Path(path)
    descriptor, temp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else "."
    )
    try:
        os.fchmod(descriptor, FILE_MODE)  # mkstemp makes 0600 already; be explicit
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename in (temp, None):
            # name the file the user asked for, not our temporary one
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from None
        raise


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` (0600, complete or absent). Raises OSError."""
    with private_output(path) as handle:
        handle.write(data)
    return Path(path)


def write_private_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` (0600, complete or absent). Raises OSError."""
    return write_private_bytes(path, text.encode("utf-8"))
