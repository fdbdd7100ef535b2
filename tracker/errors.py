"""Domain exceptions. The CLI turns each into a one-line message naming the file."""

from __future__ import annotations


class TrackerError(Exception):
    """Base class of every error facetrack raises on purpose."""


class PhotoError(TrackerError):
    """A photo file could not be read: missing, empty, truncated, not an image, or too large."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NoFaceError(TrackerError):
    """No face was found in a photo."""


class LibraryError(TrackerError):
    """A library could not be opened or used: not a library, unknown photo id, bad value."""
