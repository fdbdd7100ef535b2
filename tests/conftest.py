"""Setup shared by the test modules.

``SHARED`` is the folder of real test photos kept beside the project (``../shared/faces``:
``real/`` photos of faces, ``phone/`` phone-like files with EXIF dates, ``bad/`` unreadable
ones), or ``$FACETRACK_SHARED_FACES``. Tests that read it are marked ``needs_shared`` and
skip, saying why, when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FACETRACK_SHARED_FACES") or PROJECT.parent / "shared" / "faces")
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"{SHARED} not found: these tests need the shared test photos (real, phone, bad); "
    "set FACETRACK_SHARED_FACES to use another folder",
)
