"""Importing and remeasuring: the pipeline side of the library.

The library (:class:`tracker.library.Library`) stores and reads; it measures nothing. This
module measures photo files (:mod:`tracker.measuring`, in worker processes) and stored
landmarks (:func:`tracker.metrics.geometry.compute_metrics`) and hands the results to the
library's storage methods, inside the library's transactions:

- :func:`import_photos` measures each new file and stores it (row, copy, landmarks, metrics)
  in one transaction per photo;
- :func:`remeasure` recomputes every metric from the stored landmarks in one transaction;
- :func:`settle_people` and :func:`mark_mirrored` store what they decide together with the
  metrics measured again from it, in one transaction;
- :func:`rebuild` re-creates a lost database by importing the library's copies again.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np

from tracker.errors import LibraryError, PhotoError
from tracker.formatting import none_if_nan
from tracker.library import files as fs
from tracker.library.core import (
    PHOTOS_FOLDER,
    Candidate,
    ImportOptions,
    Library,
    NotStored,
    StoredLandmarks,
)
from tracker.library.people import Settled
from tracker.library.summary import ImportSummary, SummaryBuilder
from tracker.measuring import MeasureFunction, Measurer, default_measure
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import PhotoResult

__all__ = ["import_photos", "mark_mirrored", "rebuild", "remeasure", "settle_people"]


def import_photos(
    library: Library,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    session: str | None = None,
    tag: str | None = None,
    manual_date: datetime | date | str | None = None,
    prefer_manual_date: bool = False,
    mirrored: bool = False,
    link: bool = False,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    person: str | None = None,
    measure: MeasureFunction | None = None,
    view: str = "auto",
) -> ImportSummary:
    """Import photo files and folders (searched recursively) into ``library``.

    Each new file (by SHA-256 of its content) is measured, dated (EXIF, else a date in its
    name, else its modification time, else ``manual_date``), copied into the library
    (or, with ``link``, referenced where it is) and stored with its landmarks and metrics
    in one transaction. Rejected photos are stored with their reasons; files that cannot
    be read are reported and not stored. A bad file never stops the batch.

    Parameters
    ----------
    library : Library
        Where the photos go.
    paths : path or iterable of paths
        Photo files (.jpg, .jpeg, .png, .heic, .heif, .webp) and folders.
    session : {"before", "after"}, optional
        The photos were taken just before or just after a treatment session.
    tag : str, optional
        Free text stored with every photo of this import.
    manual_date : datetime, date or ISO 8601 str, optional
        The capture time when the file gives none (the user's ``--date``); a date alone
        means 12:00 that day.
    prefer_manual_date : bool
        Use ``manual_date`` even when the file has a date.
    mirrored : bool
        Front-camera mirror images: measured flipped back.
    link : bool
        Store the original path instead of a copy (the library then depends on the file
        staying where it is; ``forget`` never deletes it).
    workers : int
        Processes measuring in parallel; 1 measures in this process. Called from a
        script's top level without an ``if __name__ == "__main__":`` guard, it measures
        in this process (a "spawn" worker would run the script again) and the summary's
        notes say so.
    progress : callable, optional
        Called as ``progress(done, total)`` after each file (and once with 0 at the start).
    person : str, optional
        Whose photos these are (the library's ``person``, "me" by default): each person is
        learned from their own first accepted photos, and a photo that looks like someone
        else is rejected (kept, out of every trend); a mirror image is read the right way
        round (``tracker.library.people``).
    measure : callable, optional
        ``measure(path, *, mirrored) -> PhotoResult``; default
        ``tracker.pipeline.measure_photo_view`` (result only). With ``workers > 1`` it must
        be picklable (a module-level function).
    view : {"auto", "front", "profile"}
        How the default measure reads each photo (``tracker.pipeline.measure_any_pixels``):
        "auto" takes a photo without a front face whose outline is a profile for a profile
        (a side view, measured on its silhouette: the chin-neck angle); "front" refuses
        such a photo as a profile given as a front one; "profile" measures every photo as
        a profile. A profile is stored with its view, side and outline; it has no
        landmarks, so identity and mirror checks pass it by.

    Returns
    -------
    ImportSummary

    Raises
    ------
    LibraryError
        For a bad ``session``, a tag over 500 characters, when none of ``paths`` exists
        (``~`` is expanded, wildcards are not), or when the library itself fails (disk
        full for the database, locked for longer than the busy timeout). Photos committed
        before stay.

    Examples
    --------
    >>> from tracker import Library, import_photos
    >>> with Library(memory=True) as library:
    ...     import_photos(library, "no-such-folder")
    Traceback (most recent call last):
    ...
    tracker.errors.LibraryError: no such file or folder: no-such-folder; nothing imported
    """
    options = ImportOptions.checked(
        session=session,
        tag=tag,
        manual_date=manual_date,
        prefer_manual_date=prefer_manual_date,
        mirrored=mirrored,
        link=link,
        person=person,
        default_person=library.person,
    )
    summary = SummaryBuilder()
    files = _find(library, paths, summary)
    library.remove_orphans()
    total, done = len(files), 0
    if progress is not None:
        progress(0, total)

    def finished() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if view not in ("auto", "front", "profile"):
        raise LibraryError(f"view must be auto, front or profile, not {view!r}")
    if measure is None and view != "auto":
        from functools import partial

        measure = partial(default_measure, view=view)
    elif measure is None:
        measure = default_measure  # its view is "auto"
    # a pool costs a few seconds to start: not worth it for a single photo
    with Measurer(
        measure,
        mirrored=options.mirrored,
        workers=workers if total > 1 else 1,
    ) as measurer:
        for file in files:
            candidate = _candidate(library, file, summary)
            if candidate is None:
                finished()
                continue
            measurer.submit(candidate, file)
            for candidate, result in measurer.ready():
                _store(library, candidate, result, options, summary)
                finished()
        for candidate, result in measurer.drain():
            _store(library, candidate, result, options, summary)
            finished()
        summary.notes += measurer.notes
    summary.settled(settle_people(library))
    return summary.build()


def remeasure(
    library: Library, *, batch_size: int = 4096, settings: Settings = DEFAULT_SETTINGS
) -> int:
    """Recompute every metric of ``library`` from the stored landmarks with the current
    metric code.

    No photo is decoded: each photo's refined landmarks and its stored scale go through
    ``compute_metrics`` in stacks of ``batch_size``, and the rows for the current
    ``ALGORITHM_VERSION`` are replaced in one transaction (rows of other versions stay).
    Status and reasons are not recomputed (they need the pixels). The camera distance is
    recomputed from the landmarks and the stored focal length; photos stored before the
    focal length was (libraries from before schema version 3) first get it from their
    file's EXIF, or the default front camera when the file is gone. Landmarks of a mirror
    image (``flipped``) are mirrored first. Photos not yet checked against their person
    are checked by :func:`settle_people` (after every import; ``facetrack remeasure`` runs it).

    Returns
    -------
    int
        Number of photos measured.
    """
    with library.transaction():
        library.fill_in_cameras()
        return _remeasure(library, batch_size=batch_size, settings=settings)


def settle_people(library: Library) -> Settled:
    """Learn each person with enough accepted photos and decide every photo not yet
    decided: another person's photo is rejected (kept), a mirror image is read the right
    way round and measured again (``tracker.library.people``), all in one transaction.
    Runs after every import; returns what it decided."""
    with library.transaction():
        settled = library.decide_people()
        if settled.mirrored:
            _remeasure(library, photo_ids=settled.mirrored)
    return settled


def mark_mirrored(library: Library, photo_id: int, mirrored: bool = True) -> bool:
    """Say that a stored photo is (or is not) a mirror image, and measure it again from
    its stored landmarks the right way round (no photo is decoded), in one transaction.
    Detection never overrules a mark. Returns True when this changed the photo.

    Raises LibraryError when the photo is unknown or has no landmarks."""
    with library.transaction():
        changed = library.set_mirrored(photo_id, mirrored)
        if changed:
            _remeasure(library, photo_ids=[int(photo_id)])
    return changed


def rebuild(
    path: str | os.PathLike[str],
    *,
    measure: MeasureFunction | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Library, ImportSummary, Path]:
    """Re-create a lost or broken database from the photo copies the library holds.

    The old database files are kept beside it as ``library.sqlite.lost-<time>``; the
    copies are moved to ``photos.rebuild-<time>/`` and imported again from there (each
    measured anew, dated from its EXIF), then that folder is removed when every copy was
    imported. What lived only in the database (treatment sessions, tags, notes, dates
    from file names) cannot be recovered from the copies.

    Returns
    -------
    (the library, open; the import summary; the folder the old database was moved to)

    Raises
    ------
    LibraryError
        When ``path`` holds no photo copies.
    """
    library, holding, lost = Library.prepare_rebuild(path)
    summary = import_photos(library, [holding], workers=workers, progress=progress, measure=measure)
    if not summary.errors:
        shutil.rmtree(holding, ignore_errors=True)
    return library, summary, lost


# --- one import's steps ------------------------------------------------------------------------


def _find(library: Library, paths, summary: SummaryBuilder) -> list[Path]:
    """Photo files under ``paths`` (deduplicated, in order); counts the others as ignored
    and reports missing paths and unreadable folders as errors."""
    from tracker.photos import SUPPORTED_SUFFIXES, scan_photos

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    roots = [Path(p).expanduser() for p in paths]
    if not roots:
        raise LibraryError("no photo file or folder given")
    missing = [root for root in roots if not root.exists() and not root.is_symlink()]
    if len(missing) == len(roots):  # nothing at all to import: say so, loudly
        names = ", ".join(str(root) for root in missing)
        wildcard = any(set("*?[") & set(str(root)) for root in missing)
        raise LibraryError(
            f"no such file or folder: {names}; nothing imported"
            + (
                "; wildcards such as * are not expanded here: give the folder, or the "
                "files themselves"
                if wildcard
                else ""
            )
        )
    photos: dict[Path, None] = {}
    ignored: set[Path] = set()
    stored = (library.path / PHOTOS_FOLDER).resolve()
    for root in roots:
        if root.resolve() == stored or stored in root.resolve().parents:
            summary.errors[str(root)] = (
                "is inside the library's own photos/ folder (it is "
                "stored already); import the original instead"
            )
            continue
        if not root.exists() and root.suffix.lower() not in SUPPORTED_SUFFIXES:
            summary.errors[str(root)] = "no such file or folder"
            continue
        try:
            found, others, problems = scan_photos(root)
        except OSError as exc:
            summary.errors[str(root)] = f"cannot read folder: {exc.strerror or exc}"
            continue
        for path, why in problems.items():  # named, never skipped silently
            if why.startswith("link to a folder"):
                summary.notes.append(f"{path}: {why}")
            else:
                summary.errors[str(path)] = why
        photos.update(dict.fromkeys(found))
        ignored.update(others)
    summary.ignored = len(ignored)
    return list(photos)


def _candidate(library: Library, path: Path, summary: SummaryBuilder) -> Candidate | None:
    """Hash a file; None when it is already in the library or cannot be read (recorded)."""
    name = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            summary.errors[name] = "is a directory, not a photo file"
            return None
        if not stat.S_ISREG(info.st_mode):
            summary.errors[name] = "not a regular file"
            return None
        if info.st_size == 0:
            summary.errors[name] = "empty file"
            return None
        sha256 = fs.sha256_file(path)
    except FileNotFoundError:
        summary.errors[name] = "file not found"
        return None
    except OSError as exc:
        summary.errors[name] = f"cannot read file: {exc.strerror or exc}"
        return None
    if library.photo_id_of(sha256) is not None:
        summary.already_there.append(name)
        return None
    return Candidate(path, sha256, info.st_size)


def _store(
    library: Library,
    candidate: Candidate,
    result: PhotoResult,
    options: ImportOptions,
    summary: SummaryBuilder,
) -> None:
    """Date, complete and store one measured photo (or record why not)."""
    name = str(candidate.path)
    if result.status == "error":
        summary.errors[name] = "; ".join(result.reasons) or "could not be read"
        return
    when = _read_capture_time(candidate.path, options)
    if isinstance(when, str):
        summary.errors[name] = when
        return
    try:
        result = _with_camera(result, candidate.path)
    except ValueError as exc:  # a measure function that returned malformed landmarks
        summary.errors[name] = f"cannot store the measurement: {exc}"
        return
    try:
        photo_id = library.store_photo(candidate, result, when, options)
    except NotStored as exc:
        summary.errors[name] = str(exc)
        return
    if photo_id is None:  # another import was quicker
        summary.already_there.append(name)
        return
    summary.add_imported(name, photo_id, result.status, result.reasons, when.source, when.notes)


def _read_capture_time(path: Path, options: ImportOptions):
    """The photo's CaptureTime, or the reason there is none."""
    from tracker.photos import read_capture_time

    try:
        return read_capture_time(
            path, manual=options.manual_date, prefer_manual=options.prefer_manual_date
        )
    except PhotoError as exc:
        return exc.reason


def _with_camera(result: PhotoResult, path: Path) -> PhotoResult:
    """``result`` with the camera and the camera distance that a measure function may not
    give: the camera from the file's EXIF, the distance from the landmarks (as the pipeline
    measures it)."""
    measurement, landmarks = result.measurement, result.landmarks
    if measurement is None or landmarks is None:
        return result
    camera = result.camera
    if camera is None:
        from tracker.photos.camera import read_camera_of_file

        camera = read_camera_of_file(path, landmarks.image_size_px)
    if none_if_nan(measurement.camera_distance_mm) is None:
        points = (
            landmarks.points_px if result.refined_points_px is None else result.refined_points_px
        )
        distance_mm = _distance_mm(points, camera, landmarks.image_size_px)
        measurement = replace(measurement, camera_distance_mm=distance_mm)
    return replace(result, camera=camera, measurement=measurement)


def _distance_mm(points, camera, image_size_px, settings: Settings = DEFAULT_SETTINGS) -> float:
    """The camera's distance from the irises of one mesh."""
    from tracker.metrics.geometry import compute_metrics
    from tracker.photos.camera import camera_distance_mm, principal_point_px

    values = compute_metrics(
        np.asarray(points, dtype=np.float64),
        1.0,
        focal_length_px=camera.focal_length_px,
        principal_point_px=principal_point_px(camera.focal_source, image_size_px),
    )
    return float(
        camera_distance_mm(
            values["iris_diameter_px"], camera.focal_length_px, settings.iris_diameter_mm
        )
    )


# --- remeasuring ------------------------------------------------------------------------------


def _remeasure(
    library: Library,
    *,
    batch_size: int = 4096,
    photo_ids: list[int] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> int:
    """Recompute the metrics of every photo (or of ``photo_ids``) inside the caller's
    ``library.transaction()``; returns how many were measured."""
    library.delete_measurements(photo_ids)
    count = _remeasure_profiles(library, photo_ids)
    for stack in library.stored_landmarks(photo_ids=photo_ids, batch_size=batch_size):
        values = measure_stored(stack, settings=settings)
        library.write_measurements(
            stack,
            {name: values[name] for name in _metric_names()},
            np.stack([values[c] for c in ("yaw_deg", "pitch_deg", "roll_deg")], axis=1),
            values["camera_distance_mm"],
        )
        count += len(stack.photo_ids)
    return count


def _remeasure_profiles(library: Library, photo_ids: list[int] | None) -> int:
    """Recompute the metrics of the profile photos (or of those among ``photo_ids``) from
    their stored outlines; returns how many were measured. A stored outline that no longer
    reads as a profile is left without metrics."""
    from tracker.metrics import registry
    from tracker.metrics.profile import ProfileError, measure_chain, oriented, profile_side

    count = 0
    for photo_id, chain, facing, width in library.stored_profiles(photo_ids=photo_ids):
        try:
            _, _, values, _ = measure_chain(oriented(chain, facing, width))  # type: ignore[arg-type]
        except ProfileError:
            continue
        side = profile_side(facing)  # type: ignore[arg-type]
        library.write_profile_measurements(
            photo_id,
            {
                registry.sided(family, side): float(values[registry.profile_name(family)])
                for family in registry.PROFILE_FAMILIES
            },
        )
        count += 1
    return count


def measure_stored(
    stack: StoredLandmarks, *, settings: Settings = DEFAULT_SETTINGS
) -> dict[str, np.ndarray]:
    """Every metric, the pose (``yaw_deg``, ``pitch_deg``, ``roll_deg``) and
    ``camera_distance_mm`` of a stack of stored landmarks, each (N,): a mirror image's
    landmarks are mirrored first; the scale and the camera are the stored ones."""
    from tracker.metrics.geometry import compute_metrics
    from tracker.metrics.identity import mirror_points
    from tracker.photos.camera import camera_distance_mm

    points, mesh = stack.points_px, stack.face_mesh_points_px
    if stack.flipped.any():
        points, mesh = points.copy(), mesh.copy()
        for stacked in (points, mesh):
            stacked[stack.flipped] = mirror_points(
                stacked[stack.flipped], stack.image_width_px[stack.flipped]
            )
    values = dict(
        compute_metrics(
            points,
            stack.scale_mm_per_px,
            focal_length_px=stack.focal_length_px,
            principal_point_px=stack.principal_point_px,
            jaw_found=stack.jaw_found,
            face_mesh_points_px=mesh,
        )
    )
    values["camera_distance_mm"] = camera_distance_mm(
        values["iris_diameter_px"], stack.focal_length_px, settings.iris_diameter_mm
    )
    return values


def _metric_names() -> tuple[str, ...]:
    from tracker.metrics.geometry import METRIC_NAMES

    return tuple(METRIC_NAMES)
