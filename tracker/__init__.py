"""facetrack: facial metrics in millimetres from dated selfies, kept in a local library.

Usage::

    from tracker import Library

    with Library() as library:  # ~/.local/share/facetrack, or $FACETRACK_LIBRARY
        print("\\n".join(library.import_photos("~/Pictures/selfies").lines()))
        table = library.photos()  # one row per photo, one column per metric
"""

from tracker.library import Library

__all__ = ["Library"]
