"""The validation's inputs: the bundled photos, photos in folders (one person per folder) and
the frames of a video clip.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.validation.plan import (
    REPEAT_MAX_MEAN_ABS_DIFF,
    ValidationPhoto,
)

# --- inputs ---------------------------------------------------------------------------------------


def bundled_photos(notes: list[str] | None = None) -> list[ValidationPhoto]:
    """skimage's astronaut upscaled 3 x (iris about 24 px) and the project's ``sample_images``
    (astronaut-based). Either is left out, with a note, when it is not available (scikit-image
    not installed; the package installed without its source tree)."""
    notes = notes if notes is not None else []
    photos = []
    try:
        from skimage import data
    except ImportError:
        notes.append("scikit-image is not installed: skimage.data.astronaut() left out")
    else:
        pixels = cv2.resize(data.astronaut(), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        photos.append(ValidationPhoto("astronaut x3", "astronaut", pixels))
    folder = Path(__file__).resolve().parents[2] / "sample_images"
    if folder.is_dir():
        # the top-level photos only: series/ is twelve weeks of the same face, which would
        # multiply the run time without adding a picture
        photos += photos_from_folders([folder], group="astronaut", notes=notes, recursive=False)
    else:
        notes.append(f"{folder} not found: the bundled sample images left out")
    return photos


def photos_from_folders(
    folders: Iterable[str | os.PathLike[str]],
    *,
    group: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    notes: list[str] | None = None,
    recursive: bool = True,
) -> list[ValidationPhoto]:
    """Every photo in the folders (searched recursively unless ``recursive`` is False), opened
    upright at the default decode.

    Each photo's group is ``group`` or else the name of the folder holding it (one folder per
    person). Files that cannot be read are left out with a note.
    """
    from tracker.errors import PhotoError
    from tracker.photos import find_photos, open_photo

    notes = notes if notes is not None else []
    out = []
    for folder in folders:
        folder = Path(folder)
        found = folder if recursive else sorted(p for p in folder.iterdir() if p.is_file())
        for path in find_photos(found)[0]:
            try:
                photo = open_photo(
                    path, min_long_side_px=settings.decode_min_long_side_px, settings=settings
                )
            except PhotoError as exc:
                notes.append(f"{path}: {exc.reason}: left out")
                continue
            rel = path.relative_to(folder) if path.is_relative_to(folder) else Path(path.name)
            name = rel.as_posix() if len(rel.parts) > 1 else f"{folder.name}/{rel.as_posix()}"
            out.append(
                ValidationPhoto(
                    name,
                    group or path.parent.name,
                    np.ascontiguousarray(photo.pixels),
                    path,
                    photo.decode_scale,
                )
            )
    return out


def read_clip(
    path: str | os.PathLike[str], first: int = 0, last: int | None = None
) -> tuple[list[int], list[np.ndarray], int]:
    """RGB frames ``first``..``last`` (inclusive; None: to the end) of a video, without its
    pulldown repeats: (frame indices, frames, number of repeats skipped)."""
    cap = cv2.VideoCapture(str(path))
    indices, frames, repeats, previous = [], [], 0, None
    index = 0
    try:
        while last is None or index <= last:
            ok, frame = cap.read()
            if not ok:
                break
            if index >= first:
                if (
                    previous is not None
                    and np.abs(frame.astype(np.int16) - previous).mean() < REPEAT_MAX_MEAN_ABS_DIFF
                ):
                    repeats += 1
                else:
                    indices.append(index)
                    frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                previous = frame.astype(np.int16)
            index += 1
    finally:
        cap.release()
    return indices, frames, repeats
