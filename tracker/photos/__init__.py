"""Finding photo files and opening them (formats, orientation, size guard)."""

from tracker.photos.dates import CAPTURE_TIME_SOURCES, CaptureTime, read_capture_time
from tracker.photos.reading import SUPPORTED_SUFFIXES, find_photos, open_photo

__all__ = [
    "SUPPORTED_SUFFIXES",
    "find_photos",
    "open_photo",
    "CAPTURE_TIME_SOURCES",
    "CaptureTime",
    "read_capture_time",
]
