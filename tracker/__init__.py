"""facetrack: facial metrics in millimetres from dated selfies, kept in a local library.

Usage::

    from tracker import Library, import_photos

    with Library() as library:  # ~/.local/share/facetrack, or $FACETRACK_LIBRARY
        print("\\n".join(import_photos(library, "~/Pictures/selfies").lines()))
        table = library.photos()  # one row per photo, one column per metric
"""

from tracker.importing import import_photos, remeasure
from tracker.library import Library

__all__ = ["Library", "import_photos", "remeasure"]
