"""The photo library: a folder with ``library.sqlite`` and the imported photos.

``Library`` is the facade: import photos, list them as a DataFrame, log treatment sessions,
remeasure from stored landmarks, export, forget. See :mod:`tracker.library.core`.
"""

from tracker.library.core import Library, LibraryError
from tracker.library.summary import ImportSummary

__all__ = ["ImportSummary", "Library", "LibraryError"]
