"""Finding photo files and opening them (formats, orientation, size guard)."""

from tracker.photos.camera import (
    DEFAULT_FRONT_CAMERA_35MM,
    FOCAL_SOURCES,
    camera_distance_mm,
    camera_from_exif,
    focal_length_px,
)
from tracker.photos.dates import CAPTURE_TIME_SOURCES, CaptureTime, read_capture_time
from tracker.photos.reading import SUPPORTED_SUFFIXES, find_photos, open_photo

__all__ = [
    "DEFAULT_FRONT_CAMERA_35MM",
    "FOCAL_SOURCES",
    "camera_distance_mm",
    "camera_from_exif",
    "focal_length_px",
    "SUPPORTED_SUFFIXES",
    "find_photos",
    "open_photo",
    "CAPTURE_TIME_SOURCES",
    "CaptureTime",
    "read_capture_time",
]
