"""The photo library: a folder with ``library.sqlite`` and the imported photos.

``Library`` is the facade: store photos, list them as a DataFrame, log treatment sessions,
export, forget. See :mod:`tracker.library.core`. It measures nothing: importing and
remeasuring are :mod:`tracker.importing`, which calls it.
"""

from tracker.library.core import Library, LibraryError
from tracker.library.summary import ImportSummary

__all__ = ["ImportSummary", "Library", "LibraryError"]
