"""Finding photo files and opening them (formats, orientation, size guard)."""

from tracker.photos.reading import SUPPORTED_SUFFIXES, find_photos, open_photo

__all__ = ["SUPPORTED_SUFFIXES", "find_photos", "open_photo"]
