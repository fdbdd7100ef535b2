"""The ``facetrack`` command line: parsing and printing only; the work is in tracker.pipeline."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import click

from tracker.formatting import (
    json_safe,
    none_if_nan,
    number,
    parse_when,
    plural,
    table_line,
    text_table,
)
from tracker.metrics import registry
from tracker.types import VIEWS, PhotoResult, Reason, ReasonCode, reason_advice


def _column_header(metric) -> str:
    """A narrow column's header: "brow L", "jaw R", "asym"."""
    return f"{metric.short} {metric.side[0].upper()}" if metric.side else metric.short


# Table columns after file and status: header, unit, where the value comes from, decimals.
_COLUMNS = (
    *((axis, "deg", "pose", f"{axis}_deg", 1) for axis in ("yaw", "pitch", "roll")),
    *(
        (_column_header(m), m.unit_text, "metrics", m.name, m.decimals)
        for m in registry.METRICS
        if m.primary
    ),
)
_NUMBER_WIDTH = 7
_STATUS_WIDTH = len("rejected")
FOOTNOTE = "L/R: the subject's own left and right."
PROGRESS_MIN_PHOTOS = 6  # a progress bar from this many photos on, on a terminal only
EXAMPLE = "Example: facetrack measure ~/Pictures/selfies --overlay out/"


class _Commands(click.Group):
    """The command group: any database or file error a command did not handle ends it with
    one line on stderr and exit status 1, never a traceback (a full disk, a read-only or
    damaged library, a bad stored value)."""

    def invoke(self, ctx: click.Context):
        import sqlite3

        from tracker.errors import TrackerError

        try:
            return super().invoke(ctx)
        except (sqlite3.Error, OSError, TrackerError) as exc:
            if isinstance(exc, sqlite3.Error):
                from tracker.library.core import DB_NAME, _library_error

                folder = ctx.meta.get("facetrack.library") or Path(".")
                message = str(_library_error(Path(folder) / DB_NAME, exc))
            elif isinstance(exc, OSError) and exc.strerror:
                message = (
                    f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
                )
            else:
                message = str(exc) or _one_line(exc)
            click.echo(f"error: {_terminal_text(message)}", err=True)
            ctx.exit(1)


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLE
)
@click.version_option(package_name="facetrack", prog_name="facetrack")
def main() -> None:
    """facetrack: facial metrics in millimetres from selfies."""


def _view_option(help_text: str):
    """``--view auto|front|profile`` (``types.VIEWS``), "auto" by default."""
    return click.option(
        "--view",
        type=click.Choice(sorted(VIEWS)),
        default="auto",
        show_default=True,
        help=help_text,
    )


@main.command(epilog=EXAMPLE)
@click.argument(
    "photos",
    nargs=-1,
    required=True,
    # readable=False: an unreadable file is reported with the others, not fatal
    type=click.Path(readable=False, path_type=Path),
    metavar="PHOTO...",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per photo and line instead of the table.",
)
@click.option(
    "--mirrored",
    is_flag=True,
    help="The photos are front-camera mirror images: flip them left-right first, so "
    "that left and right are the subject's own.",
)
@click.option(
    "--overlay",
    "overlay_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<name>_overlay.jpg for each photo with a face, showing what was "
    "measured. DIR is created.",
)
@click.option(
    "--ipd-mm",
    type=click.FloatRange(40.0, 90.0),
    metavar="MM",
    help="The person's interpupillary distance in mm: sets the scale instead of the iris diameter.",
)
@_view_option(
    "front: face the camera; profile: a side view, measured on the outline of the "
    "head and neck (chin-neck angle); auto: a front photo when a face turned less than "
    "45 deg is found, otherwise a profile when the outline is one."
)
def measure(
    photos: tuple[Path, ...],
    as_json: bool,
    mirrored: bool,
    overlay_dir: Path | None,
    ipd_mm: float | None,
    view: str,
) -> None:
    """Measure photos without storing anything.

    PHOTO arguments are photo files or folders (searched recursively for .jpg, .jpeg, .png,
    .heic, .heif and .webp files). Prints a table with one row per photo and a summary line. A
    file that cannot be read is reported as an error ("error: FILE: REASON" on stderr) and the
    others are still measured.

    With --json, each photo is one line holding a JSON object with file, status ("ok",
    "rejected" or "error"), reasons, pose, scale_mm_per_px, scale_source, decode_scale,
    camera_distance_mm (from the camera to the eyes) and focal_source (where the focal length
    came from: exif-35mm, exif-focal-plane or default-front-camera),
    quality and metrics; missing values and NaN are null. Errors then go to stdout only.
    A profile photo's object also holds view ("profile"), profile_side (the subject's side
    facing the camera) and its metrics under unsided names (cervicomental_angle_deg,
    profile_jaw_angle_deg, chin_projection_pct); a front photo's view is "front".

    Exit status: 0 when every photo was measured (ok or rejected), 1 when any could not be
    read or no photo was found.
    """
    files, empty_folders, unreadable = _expand(photos)
    for folder in empty_folders:
        click.echo(_terminal_text(f"warning: {folder}: no photos found"), err=True)
    for folder, reason in unreadable:
        level = "warning" if reason.startswith("link to a folder") else "error"
        click.echo(_terminal_text(f"{level}: {folder}: {reason}"), err=True)
    if not files:
        click.echo("error: no photos found", err=True)
        click.get_current_context().exit(1)
    if overlay_dir is not None:
        try:
            overlay_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot create folder {str(overlay_dir)!r}: {exc.strerror or exc}",
                param_hint="'--overlay'",
            ) from None

    from tracker.pipeline import measure_photo_view  # deferred: keeps --help quick

    name_width = max(len("file"), *(len(_terminal_text(str(f))) for f in files))
    if not as_json:
        for line in _table_header(name_width):
            click.echo(line)
    counts = {"ok": 0, "rejected": 0, "error": 0}
    overlay_names: set[str] = set()
    failed = any(not reason.startswith("link to a folder") for _, reason in unreadable)
    with _progress(len(files)) as bar:
        for file in files:
            try:
                result, photo = measure_photo_view(
                    file, view=view, mirrored=mirrored, ipd_mm=ipd_mm
                )
            except Exception as exc:  # a bug must not cost the rest of the batch
                result, photo = (
                    PhotoResult(
                        file=str(file),
                        status="error",
                        reasons=(
                            Reason(
                                ReasonCode.UNEXPECTED_ERROR, f"unexpected error: {_one_line(exc)}"
                            ),
                        ),
                    ),
                    None,
                )
            counts[result.status] = counts.get(result.status, 0) + 1
            overlay_path = None
            drawable = result.landmarks is not None or result.profile is not None
            if overlay_dir is not None and photo is not None and drawable:
                overlay_path = _unique_overlay_path(overlay_dir, file, overlay_names)
                failed |= not _write_overlay(overlay_path, photo.pixels, result, bar)
            with _write_mode(bar):
                if as_json:
                    record = result_record(result)
                    if overlay_dir is not None:
                        record["overlay"] = str(overlay_path) if overlay_path else None
                    click.echo(json.dumps(record, allow_nan=False))
                else:
                    click.echo(_table_row(result, name_width))
                    if result.status == "error":
                        click.echo(
                            _terminal_text(f"error: {result.file}: {'; '.join(result.reasons)}"),
                            err=True,
                        )
            if bar is not None:
                bar.update()
    if not as_json:
        click.echo(FOOTNOTE)
        click.echo(summary_line(len(files), counts))
    click.get_current_context().exit(1 if counts.get("error", 0) or failed else 0)


def _expand(paths: tuple[Path, ...]) -> tuple[list[Path], list[Path], list[tuple[Path, str]]]:
    """Photo files to measure (in the given order, without duplicates), the folders without
    photos, and the folders that could not be searched with the reason.

    Folders are searched with ``find_photos`` (other files in them are skipped); a path that
    is not a folder is always measured, so that a named file that is no photo is reported.
    """
    from tracker.photos import scan_photos

    files: dict[Path, None] = {}
    empty: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    for path in paths:
        if not path.is_dir():
            files[path] = None
            continue
        try:
            found, _, problems = scan_photos(path)
        except OSError as exc:
            unreadable.append((path, f"cannot read folder: {exc.strerror or _one_line(exc)}"))
            continue
        # what could not be searched is named, one line each, never skipped silently
        unreadable += list(problems.items())
        if not found and path not in problems:
            empty.append(path)
        files.update(dict.fromkeys(found))
    return list(files), empty, unreadable


def _terminal_text(text: str) -> str:
    """Text safe to print: control characters (escape sequences, newlines, carriage returns)
    and undecodable bytes of file names shown as escapes, so that a name or a note cannot
    retitle the terminal or fake an "error:" line."""
    from tracker.text import printable

    return printable(text)


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _unique_overlay_path(folder: Path, file: Path, used: set[str]) -> Path:
    """DIR/<stem>_overlay.jpg, with _2, _3 ... added to the stem when two photos share it."""
    name, n = f"{file.stem}_overlay.jpg", 1
    while name.lower() in used:
        n += 1
        name = f"{file.stem}_{n}_overlay.jpg"
    used.add(name.lower())
    return folder / name


def _write_overlay(path: Path, pixels, result: PhotoResult, bar) -> bool:
    """Draw and save one overlay; report a failure on stderr and return False."""
    from tracker.overlay import draw_overlay, save_overlay

    try:
        save_overlay(path, draw_overlay(pixels, result))
    except Exception as exc:  # an overlay must not cost the measurement or the batch
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _one_line(exc)
        with _write_mode(bar):
            click.echo(
                _terminal_text(f"error: {result.file}: cannot write overlay {path}: {reason}"),
                err=True,
            )
        return False
    return True


def _progress(total: int):
    """A tqdm bar on stderr for longer batches on a terminal; otherwise nothing."""
    stream = sys.stderr  # (click.get_text_stream is deprecated)
    if total < PROGRESS_MIN_PHOTOS or not stream.isatty():
        return nullcontext(None)
    from tqdm import tqdm

    return tqdm(total=total, file=stream, unit="photo", leave=False)


def _write_mode(bar):
    """Clear the progress bar while printing a line, and redraw it after."""
    return bar.external_write_mode() if bar is not None else nullcontext()


# --- output formats ------------------------------------------------------------------------


def _round(value, digits: int = 4):
    """A float rounded for output; NaN and infinities become None."""
    value = none_if_nan(value)
    return None if value is None else round(value, digits) + 0.0  # + 0.0: no -0.0


def _significant(value, digits: int = 6):
    """A float to ``digits`` significant digits (scales can be small); NaN becomes None."""
    value = none_if_nan(value)
    return None if value is None else float(f"{value:.{digits}g}")


def result_record(result: PhotoResult) -> dict:
    """The JSON object of one photo (see ``facetrack measure --help``)."""
    quality, measurement = result.quality, result.measurement
    pose = None
    if quality is not None:
        pose = {key: _round(value) for key, value in asdict(quality.pose).items()}
    metrics = dict(measurement.metrics) if measurement else {}
    if result.view == "profile" and result.profile_side is not None:
        # one photo shows one side: its metrics under their unsided names
        metrics = {
            registry.profile_name(family): metrics[registry.sided(family, result.profile_side)]
            for family in registry.PROFILE_FAMILIES
            if registry.sided(family, result.profile_side) in metrics
        }
    return {
        "file": result.file,
        "status": result.status,
        "view": result.view,
        "profile_side": result.profile_side,
        "reasons": list(result.reasons),
        "advice": reason_advice(result.reasons),
        "pose": pose,
        "scale_mm_per_px": _significant(measurement.scale_mm_per_px) if measurement else None,
        "scale_source": measurement.scale_source if measurement else None,
        "decode_scale": _significant(result.decode_scale),
        "camera_distance_mm": _round(measurement.camera_distance_mm) if measurement else None,
        "focal_source": (measurement.focal_source or None) if measurement else None,
        "quality": {k: _round(v) for k, v in quality.scores.items()} if quality else {},
        "metrics": {k: _round(v) for k, v in metrics.items()},
    }


# the measure table is printed a row at a time, as photos are measured: its widths are fixed
def _table_widths(name_width: int) -> list[int]:
    return [name_width, _STATUS_WIDTH, *(_NUMBER_WIDTH for _ in _COLUMNS)]


_TABLE_RIGHT = range(2, 2 + len(_COLUMNS))


def _table_header(name_width: int) -> list[str]:
    names = ["file", "status", *(c[0] for c in _COLUMNS), "reasons"]
    units = ["", "", *(c[1] for c in _COLUMNS)]
    return [
        table_line(cells, _table_widths(name_width), right=_TABLE_RIGHT) for cells in (names, units)
    ]


def _table_row(result: PhotoResult, name_width: int) -> str:
    sources = {
        "pose": {} if result.quality is None else asdict(result.quality.pose),
        "metrics": {} if result.measurement is None else result.measurement.metrics,
    }
    cells = [_terminal_text(result.file), result.status]
    cells += [
        number(sources[source].get(key), decimals) for _, _, source, key, decimals in _COLUMNS
    ]
    advice = reason_advice(result.reasons) if result.status == "rejected" else []
    text = "; ".join(result.reasons) + (f" -> {'; '.join(advice)}" if advice else "")
    if result.view == "profile" and result.profile_side is not None and result.measurement:
        values = result.measurement.metrics
        shown = ", ".join(
            f"{registry.label(name).rsplit(' (', 1)[0].lower()} "
            f"{number(values[name], registry.decimals(name))} {registry.unit_text(name)}"
            for name in (
                registry.sided(family, result.profile_side) for family in registry.PROFILE_FAMILIES
            )
            if name in values
        )
        text = f"{result.profile_side} profile: {shown}" + (f"; {text}" if text else "")
    cells.append(_terminal_text(text))
    return table_line(cells, _table_widths(name_width), right=_TABLE_RIGHT)


def _profile_words(row) -> list[str]:
    """A profile photo's row in words ("right profile: chin-neck angle 109.7 deg, ..."):
    the photos table's columns are the front view's."""
    side = getattr(row, "profile_side", None)
    if getattr(row, "view", "front") != "profile" or side not in registry.SIDES:
        return []
    parts = []
    for family in registry.PROFILE_FAMILIES:
        name = registry.sided(family, side)
        value = getattr(row, name, float("nan"))
        label = registry.label(name).rsplit(" (", 1)[0].lower()
        parts.append(f"{label} {number(value, registry.decimals(name))} {registry.unit_text(name)}")
    return [f"{side} profile: {', '.join(parts)}"]


def _outdated_note(outdated: int) -> None:
    verb = "was" if outdated == 1 else "were"
    click.echo(
        f"note: {plural(outdated, 'photo')} {verb} measured by an older version of the "
        "metrics: run `facetrack remeasure`",
        err=True,
    )


def summary_line(total: int, counts: dict[str, int]) -> str:
    """'3 photos: 1 ok, 1 rejected, 1 error'."""
    errors = counts.get("error", 0)
    return (
        f"{plural(total, 'photo')}: {counts.get('ok', 0)} ok, "
        f"{counts.get('rejected', 0)} rejected, {plural(errors, 'error')}"
    )


# --- the library ---------------------------------------------------------------------------

IMPORT_EXAMPLE = "Example: facetrack import ~/Pictures/selfies --tag 'week 3'"
_LIBRARY_HELP = "The library folder (default: $FACETRACK_LIBRARY, else ~/.local/share/facetrack)."


def pair_date_options(command):
    """``--before DATE`` and ``--after DATE``: which photos the before/after compares."""
    command = click.option(
        "--after",
        "after_date",
        metavar="DATE",
        help="Before/after: the photo nearest this date as the after (default: the "
        "latest taken while on treatment).",
    )(command)
    return click.option(
        "--before",
        "before_date",
        metavar="DATE",
        help="Before/after: the photo nearest this date (YYYY-MM-DD) as the before.",
    )(command)


def library_option(command):
    """``--library DIR`` on every library command."""
    return click.option(
        "--library",
        "library_dir",
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=Path),
        help=_LIBRARY_HELP,
    )(command)


def person_option(command):
    """``--person NAME``: whose photos (each person has their own baseline and scale)."""
    return click.option(
        "--person",
        metavar="NAME",
        default="me",
        show_default=True,
        help="Whose photos: each person is learned from their own first "
        "accepted photos and has their own baseline.",
    )(command)


def _open_library(library_dir: Path | None, *, create: bool = True, person: str = "me"):
    """Open the library or exit with a one-line error."""
    from tracker.library import Library, LibraryError

    try:
        library = Library(library_dir, create=create, person=person)
    except LibraryError as exc:
        _fail(str(exc))
    # for the one-line message of a database error the command leaves to the group
    click.get_current_context().find_root().meta["facetrack.library"] = library.path
    return library


def _fail(message: str, code: int = 1):
    click.echo(f"error: {_terminal_text(message)}", err=True)
    click.get_current_context().exit(code)


def _parse_when(value: str | None, what: str):
    """An ISO 8601 date or date-time from the command line (None passes through)."""
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)", param_hint=what
        ) from None


@main.command(name="import", epilog=IMPORT_EXAMPLE)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    # readable=False: an unreadable file is reported with the others, not fatal
    type=click.Path(readable=False, path_type=Path),
    metavar="PATH...",
)
@click.option(
    "--session",
    type=click.Choice(["before", "after"]),
    help="The photos were taken just before or just after a treatment session.",
)
@click.option("--tag", metavar="TEXT", help="Free text stored with every photo of this import.")
@click.option(
    "--date",
    "manual_date",
    metavar="DATE",
    help="Capture date (YYYY-MM-DD or YYYY-MM-DDTHH:MM) for photos that carry none.",
)
@click.option(
    "--date-overrides", is_flag=True, help="Use --date even for photos that carry a capture date."
)
@click.option("--mirrored", is_flag=True, help="Front-camera mirror images.")
@click.option(
    "--link", is_flag=True, help="Reference the files where they are instead of copying them."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes measuring in parallel.",
)
@_view_option(
    "profile: side views, measured on the outline of the head and neck (chin-neck "
    "angle; each side its own trend); front: face the camera; auto: a photo without a "
    "front face whose outline is a profile is taken as one."
)
@person_option
@library_option
def import_(
    paths,
    session,
    tag,
    manual_date,
    date_overrides,
    mirrored,
    link,
    workers,
    view,
    person,
    library_dir,
):
    """Import photo files and folders into the library (measured once, kept safe).

    Folders are searched recursively for .jpg, .jpeg, .png, .heic, .heif and .webp files;
    other files are counted and ignored. A photo already in the library (same content) is not
    added again. The capture time comes from EXIF, else a date in the file name, else the
    file's modification time, else --date; its source is stored. Files that cannot be read are
    listed at the end and the others are imported all the same.

    Exit status: 0 when every file was imported or already there, 1 when any failed.
    """
    when = _parse_when(manual_date, "'--date'")
    if date_overrides and when is None:
        raise click.UsageError("--date-overrides needs --date")
    library = _open_library(library_dir, person=person)
    from tracker.library import LibraryError

    stream = sys.stderr  # (click.get_text_stream is deprecated)
    bar = None
    if stream.isatty():
        from tqdm import tqdm

        bar = tqdm(total=0, file=stream, unit="photo", leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        from tracker.importing import import_photos

        summary = import_photos(
            library,
            list(paths),
            session=session,
            tag=tag,
            manual_date=when,
            prefer_manual_date=date_overrides,
            mirrored=mirrored,
            link=link,
            workers=workers,
            progress=progress,
            view=view,
        )
    except LibraryError as exc:
        _fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
        library.close()
    for line in summary.lines():
        click.echo(_terminal_text(line))
    if library.unexplained_copies:
        count = len(library.unexplained_copies)
        click.echo(
            f"note: {count} stored photo copies have no row in the database; they were "
            f"kept. Run: facetrack doctor --library {library.path}",
            err=True,
        )
    click.get_current_context().exit(0 if summary.ok else 1)


# where the focal length behind a camera distance came from (tracker.photos.camera)
_FOCAL_WORDS = {
    "exif-35mm": "exif",
    "exif-focal-plane": "sensor",
    "default-front-camera": "typical",
}
_PHOTO_COLUMNS = tuple(
    (_column_header(m) + (" %" if m.unit == "pct" else ""), m.name, m.decimals)
    for m in registry.METRICS
    if m.primary
)


@main.command(
    epilog="Example: facetrack photos --status ok --since 2026-01-01 --csv   |   "
    "facetrack photos --mark-mirrored 12"
)
@click.option(
    "--status",
    type=click.Choice(["ok", "rejected"]),
    multiple=True,
    help="Only photos with this status (repeatable).",
)
@click.option("--since", metavar="DATE", help="Only photos taken on or after DATE.")
@click.option("--person", metavar="NAME", help="Only this person's photos.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per photo and line.")
@click.option("--csv", "as_csv", is_flag=True, help="A CSV table, one row per photo.")
@click.option(
    "--mark-mirrored",
    "mark_mirrored",
    type=int,
    multiple=True,
    metavar="ID",
    help="Photo ID is a mirror image: measure it again with left and right swapped "
    "back (from its stored landmarks; repeatable).",
)
@click.option(
    "--mark-unmirrored",
    "mark_unmirrored",
    type=int,
    multiple=True,
    metavar="ID",
    help="Photo ID is not a mirror image: measure it again as it was taken.",
)
@library_option
def photos(status, since, person, as_json, as_csv, mark_mirrored, mark_unmirrored, library_dir):
    """List the photos in the library with their date, its source, status and key metrics.

    Left and right are the subject's own. Millimetres are on the person's calibrated scale,
    the same numbers as in the trend and the report (a line under the table says so; --json
    and --csv give scale_source "person"). --json prints id, file (the original path),
    captured_at (ISO 8601), date_source (exif, filename, mtime or manual), status, reasons,
    session, person, identity (baseline, same, different), face_shape_distance, mirrored and
    mirror_source (import, detected, marked), camera_distance_mm, focal_source, advice (how to
    take the next photo like your usual ones) and metrics, among others. The table gives the
    camera distance in cm ("dist") and where the focal length behind it came from ("focal":
    exif, sensor, or typical for a phone front camera), "mirr" for a photo read the right way
    round, and the advice on a line of its own.
    """
    from tracker.analysis.capture import MATCHES_TEXT

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    since_when = _parse_when(since, "'--since'")
    library = _open_library(library_dir, create=False)
    if mark_mirrored or mark_unmirrored:
        _mark(library, mark_mirrored, mark_unmirrored)
        return
    with library:
        outdated = library.outdated()
        if outdated:
            _outdated_note(outdated)
        if as_json:
            for record in library.photo_records(
                status=status or None, since=since_when, person_scale=True, person=person
            ):
                click.echo(json.dumps(json_safe(record), allow_nan=False))
            return
        frame = library.photos(
            status=status or None, since=since_when, person_scale=True, person=person
        )
        scale_line = _scale_line(library, frame)
    if as_csv:
        out = frame.copy()
        for column in ("date_notes", "reasons"):
            out[column] = out[column].map("; ".join)
        from tracker.library.core import neutralise_text_cells

        neutralise_text_cells(out)
        click.echo(out.to_csv(index=False), nl=False)
        return
    header = [
        "id",
        "captured at",
        "date from",
        "status",
        *(c[0] for c in _PHOTO_COLUMNS),
        "dist cm",
        "focal",
        "mirr",
        "reasons",
    ]
    rows = [
        [
            str(row.id),
            f"{row.captured_at:%Y-%m-%d %H:%M}",
            row.date_source,
            row.status,
            *(number(getattr(row, column), decimals) for _, column, decimals in _PHOTO_COLUMNS),
            number(row.camera_distance_mm / 10, 0),
            _FOCAL_WORDS.get(row.focal_source, row.focal_source or "-"),
            "mirr" if row.mirrored else "",
            "; ".join([*_profile_words(row), *row.reasons]),
        ]
        for row in frame.itertuples(index=False)
    ]
    numbers = range(4, 5 + len(_PHOTO_COLUMNS))  # the metrics and the distance
    widths = [5, 16, 9, 8, *(7 for _ in _PHOTO_COLUMNS), 7, 7, 4]
    header_line, *lines = text_table([header, *rows], right={0, *numbers}, min_widths=widths)
    click.echo(header_line)
    for line, row in zip(lines, frame.itertuples(index=False)):
        click.echo(line)
        if row.advice and row.advice != MATCHES_TEXT:
            click.echo(f"{'':>7}next photo: {row.advice}")
    click.echo(f"{plural(len(frame), 'photo')}. {FOOTNOTE}")
    if scale_line:
        click.echo(scale_line)


def _scale_line(library, frame) -> str | None:
    """The line under the photos table that says which scale its millimetres are on."""
    from tracker.library import LibraryError

    if frame.empty:
        return None
    if not (frame["scale_source"] == "person").any():
        return "Millimetres on each photo's own iris scale (no photo to calibrate yours yet)."
    people = sorted(set(frame.loc[frame["scale_source"] == "person", "person"]))
    parts = []
    for name in people:
        try:
            mm, _, n = library.calibrated_scale_mm(name)
        except LibraryError:
            continue
        whose = "" if len(people) == 1 else f"{name}: "
        parts.append(
            f"{whose}face scale {mm:.1f} mm, the median of {n} accepted photo"
            f"{'' if n == 1 else 's'}"
        )
    scale = "your calibrated scale" if len(people) == 1 else "each person's calibrated scale"
    return f"Millimetres on {scale} ({'; '.join(parts)}), as in the trend and the report."


def _mark(library, mirrored_ids, unmirrored_ids) -> None:
    """Mark stored photos mirrored or not and say what changed (photos --mark-...)."""
    from tracker.importing import mark_mirrored
    from tracker.library import LibraryError

    with library:
        for ids, mirrored in ((mirrored_ids, True), (unmirrored_ids, False)):
            for photo_id in ids:
                try:
                    changed = mark_mirrored(library, photo_id, mirrored)
                except LibraryError as exc:
                    _fail(str(exc))
                what = (
                    "marked as a mirror image; measured again with left and right swapped back"
                    if mirrored
                    else "marked as not mirrored; measured again as it was taken"
                )
                if not changed:
                    what = (
                        "already read as a mirror image; marked so"
                        if mirrored
                        else "already read as taken; marked so"
                    )
                click.echo(f"Photo {photo_id}: {what}.")


@main.group(
    epilog="Example: facetrack session log --date 2026-01-05T08:00 --minutes 20 --mode lift"
)
def session():
    """The treatment log: microcurrent sessions."""


_SIDE_OPTION = click.Choice(["both", "left", "right"], case_sensitive=False)


@session.command(
    name="log", epilog="Example: facetrack session log --date 2026-01-05T08:00 --minutes 20"
)
@click.option(
    "--date",
    "started",
    required=True,
    metavar="DATE",
    help="When the session started (YYYY-MM-DD or YYYY-MM-DDTHH:MM), from 2000 to tomorrow.",
)
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), help="Its length.")
@click.option("--mode", metavar="MODE", help="The device mode: lift, firm, ...")
@click.option("--note", metavar="TEXT", help="Anything worth remembering (500 characters).")
@click.option(
    "--side",
    type=_SIDE_OPTION,
    default="both",
    show_default=True,
    help="The side of the face treated (your own).",
)
@library_option
def session_log(started, minutes, mode, note, side, library_dir):
    """Log one treatment session. The same session (start, length, mode, side) twice is
    refused."""
    from tracker.library import LibraryError

    when = _parse_when(started, "'--date'")
    with _open_library(library_dir) as library:
        try:
            session_id = library.log_session(
                when, minutes=minutes, mode=mode, note=note, side=side.lower()
            )
        except LibraryError as exc:
            _fail(str(exc))
    click.echo(f"Logged session {session_id}.")


@session.command(name="edit", epilog="Example: facetrack session edit 3 --date 2026-01-05T08:00")
@click.argument("session_id", type=int, metavar="ID")
@click.option("--date", "started", metavar="DATE", help="A new start (YYYY-MM-DD[THH:MM]).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), help="A new length.")
@click.option("--mode", metavar="MODE", help="A new device mode.")
@click.option("--note", metavar="TEXT", help="A new note.")
@click.option("--side", type=_SIDE_OPTION, help="A new side: both, left or right.")
@library_option
def session_edit(session_id, started, minutes, mode, note, side, library_dir):
    """Correct a logged session (ID from `facetrack session list`); the fields not given
    stay."""
    from tracker.library import LibraryError

    if all(v is None for v in (started, minutes, mode, note, side)):
        raise click.UsageError("give at least one of --date, --minutes, --mode, --note, --side")
    when = _parse_when(started, "'--date'")
    with _open_library(library_dir, create=False) as library:
        try:
            library.edit_session(
                session_id,
                started_at=when,
                minutes=minutes,
                mode=mode,
                note=note,
                side=side.lower() if side else None,
            )
        except LibraryError as exc:
            _fail(str(exc))
    click.echo(f"Changed session {session_id}.")


@session.command(name="delete", epilog="Example: facetrack session delete 3")
@click.argument("session_id", type=int, metavar="ID")
@library_option
def session_delete(session_id, library_dir):
    """Delete a logged session (ID from `facetrack session list`)."""
    from tracker.library import LibraryError

    with _open_library(library_dir, create=False) as library:
        try:
            library.delete_session(session_id)
        except LibraryError as exc:
            _fail(str(exc))
    click.echo(f"Deleted session {session_id}.")


@session.command(name="import", epilog="Example: facetrack session import sessions.csv")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@library_option
def session_import(csv_file, library_dir):
    """Log the sessions of a CSV file whose header row names started_at,minutes,mode and
    optionally note and side. A bad row is named (one line each) and the others are logged.

    Exit status: 0 when every row was logged, 1 otherwise.
    """
    from tracker.library import LibraryError

    with _open_library(library_dir) as library:
        try:
            ids, errors = library.import_sessions(csv_file)
        except LibraryError as exc:
            _fail(str(exc))
    click.echo(
        f"Logged {len(ids)} session{'' if len(ids) == 1 else 's'} from "
        f"{_terminal_text(str(csv_file))}."
    )
    for line in errors:
        click.echo(f"error: {_terminal_text(line)}", err=True)
    click.get_current_context().exit(1 if errors else 0)


@session.command(name="list", epilog="Example: facetrack session list --json")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per session and line: id, started_at, utc_offset, "
    "minutes, mode, note, side.",
)
@library_option
def session_list(as_json, library_dir):
    """List the logged treatment sessions (ID, start, length, mode, side, note)."""
    from tracker.library import LibraryError

    with _open_library(library_dir, create=False) as library:
        try:
            frame = library.sessions()
        except LibraryError as exc:
            _fail(str(exc))
    if not as_json:
        click.echo(f"{'id':>4}  {'started at':<16}  {'length':>8}  {'mode':<8}  {'side':<5}  note")
    for row in frame.itertuples(index=False):
        if as_json:
            click.echo(
                json.dumps(
                    json_safe(
                        {
                            "id": row.id,
                            "started_at": row.started_at.isoformat(),
                            "utc_offset": row.utc_offset,
                            "minutes": row.minutes,
                            "mode": row.mode,
                            "note": row.note,
                            "side": row.side,
                        }
                    ),
                    allow_nan=False,
                )
            )
        else:
            minutes = f"{row.minutes:g} min" if row.minutes == row.minutes else "-"
            click.echo(
                _terminal_text(
                    f"{row.id:>4}  {row.started_at:%Y-%m-%d %H:%M}  {minutes:>8}  "
                    f"{row.mode or '-':<8}  {row.side:<5}  {row.note or ''}".rstrip()
                )
            )
    if not as_json:
        click.echo(f"{plural(len(frame), 'session')}.")


@main.command(epilog="Example: facetrack remeasure")
@library_option
def remeasure(library_dir):
    """Recompute every metric from the stored landmarks with the current metric code.

    No photo is decoded and the model is not run: thousands of photos take seconds.
    """
    import time

    from tracker import importing

    with _open_library(library_dir, create=False) as library:
        start = time.perf_counter()
        count = importing.remeasure(library)
        importing.settle_people(library)
    click.echo(f"Remeasured {plural(count, 'photo')} in {time.perf_counter() - start:.1f} s.")


@main.command(epilog="Example: facetrack export --csv metrics.csv")
@click.option(
    "--csv",
    "csv_path",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one tidy row per photo, one column per metric.",
)
@library_option
def export(csv_path, library_dir):
    """Export the library's photos and metrics."""
    with _open_library(library_dir, create=False) as library:
        try:
            count = library.export_csv(csv_path)
        except OSError as exc:
            _fail(f"{csv_path}: {exc.strerror or _one_line(exc)}")
    click.echo(_terminal_text(f"Wrote {plural(count, 'photo')} to {csv_path}."))


@main.command(epilog="Example: facetrack forget 12 13   |   facetrack forget --all --yes")
@click.argument("photo_ids", nargs=-1, type=int, metavar="[PHOTO_ID]...")
@click.option("--all", "forget_all", is_flag=True, help="Remove every photo.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@library_option
def forget(photo_ids, forget_all, yes, library_dir):
    """Remove photos and all their data from the library for good.

    Stored copies are deleted; originals referenced with --link are never touched.
    """
    from tracker.library import LibraryError

    if bool(photo_ids) == forget_all:
        raise click.UsageError("give photo ids or --all")
    with _open_library(library_dir, create=False) as library:
        try:
            if forget_all:
                if not yes:
                    click.confirm(
                        f"Remove all {library.count()} photos from {library.path}?", abort=True
                    )
                count = library.forget_all()
            else:
                count = library.forget(photo_ids)
        except LibraryError as exc:
            _fail(str(exc))
    click.echo(f"Removed {plural(count, 'photo')}.")


@main.command(epilog="Example: facetrack doctor   |   facetrack doctor --rebuild")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Re-create the database from the stored photo copies (the old one is kept "
    "as library.sqlite.lost-TIME).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes measuring in parallel (--rebuild).",
)
@library_option
def doctor(rebuild, workers, library_dir):
    """Check the library, and rebuild a lost or damaged database from its photo copies.

    Without --rebuild it reports the database's integrity, photos whose copy is missing and
    copies that no photo refers to. --rebuild imports every stored copy again (measured
    anew, dated from EXIF); treatment sessions, tags and notes lived only in the database.
    Exit status: 0 when the library is sound (or was rebuilt), 1 otherwise.
    """
    from tracker import importing
    from tracker.library import Library, LibraryError

    path = library_dir or Library.default_path()
    if rebuild:
        try:
            library, summary, kept = importing.rebuild(path, workers=workers)
        except (LibraryError, OSError) as exc:
            _fail(str(exc))
        with library:
            for line in summary.lines():
                click.echo(_terminal_text(line))
            click.echo(
                f"Rebuilt {library.db_path} from {library.count()} stored photos; the "
                f"old database is kept as {kept.name} (when there was one)."
            )
        click.get_current_context().exit(0 if summary.ok else 1)
    try:
        library = Library(path, create=False)
    except LibraryError as exc:
        _fail(str(exc))
    with library:
        report = library.doctor()
    click.echo(
        f"database: {report['integrity']}; {report['photos']} photos, "
        f"{report['copies']} stored copies"
    )
    sound = report["integrity"] == "ok"
    if report["missing_copies"]:
        sound = False
        ids = " ".join(str(i) for i in report["missing_copies"])
        click.echo(f"photos whose file is missing: {ids} (facetrack forget ID removes them)")
    if report["copies_without_row"]:
        sound = False
        click.echo(
            f"{len(report['copies_without_row'])} stored copies have no row; "
            f"facetrack doctor --rebuild re-creates the database from every copy"
        )
    if report["unreadable_values"]:
        sound = False
        click.echo(
            "stored values that are not valid JSON (read as empty): "
            + "; ".join(report["unreadable_values"])
        )
    click.get_current_context().exit(0 if sound else 1)


@main.command(epilog="Example: facetrack validate --photos ~/Pictures/selfies --out validation/")
@click.option(
    "--out",
    "out_dir",
    default="validation",
    show_default=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the report, the tables and the plots (created).",
)
@click.option(
    "--photos",
    "photo_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of real photos, one sub-folder per person (repeatable).",
)
@click.option(
    "--clip",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A video of one face, for the frame-to-frame noise.",
)
@click.option("--quick", is_flag=True, help="The reduced set CI runs (about 15 s).")
def validate(out_dir, photo_dirs, clip, quick):
    """Measure how far the metrics can be trusted: sensitivity, noise floor, pose and speed.

    Runs on skimage's astronaut, the bundled sample images and any --photos. Writes
    DIR/validation.md (the report), validation.csv (one row per metric: metric, sensitivity,
    false_change_other_side, noise_sd, sem, mdc95, pose_slope_per_deg),
    validation_details.csv, sensitivity.png and noise_floor.png; prints the table.
    """
    from tracker.errors import TrackerError
    from tracker.validation import run_validation

    try:
        report = run_validation(
            photo_dirs=photo_dirs,
            clip=clip,
            quick=quick,
            progress=lambda line: click.echo(line, err=True),
        )
        paths = report.write(out_dir)
    except (TrackerError, OSError) as exc:
        _fail(str(exc) if isinstance(exc, TrackerError) else _one_line(exc))
    click.echo(report.table_markdown())
    click.echo(f"Done in {report.seconds:.0f} s. Written: {', '.join(str(p) for p in paths)}")


@main.command(epilog=f"Example: facetrack trend --metric {registry.PRIMARY[0]} --json")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="NAME",
    help="Only this metric (repeatable; default: every metric but the scales, "
    "interpupillary_mm and face_scale_mm).",
)
@click.option(
    "--baseline-until",
    metavar="DATE",
    help="End of the baseline (YYYY-MM-DD includes the day, or YYYY-MM-DDTHH:MM). "
    "Default: the photos before the first session, else the first week.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per metric, window and line."
)
@click.option("--csv", "as_csv", is_flag=True, help="The window table as CSV.")
@click.option(
    "--levers",
    "show_levers",
    is_flag=True,
    help="Instead of the windows: how the head's turn and nod and the camera's distance "
    "move each brow, jaw, mouth and cheek metric in your photos, the slopes the trend reads them "
    "at your usual capture with (with --json / --csv: one row per metric and capture).",
)
@person_option
@library_option
def trend(metrics, baseline_until, as_json, as_csv, show_levers, person, library_dir):
    """Changes against the baseline: immediate, after 2-4 weeks and in the long term.

    Accepted photos only, in the person's calibrated scale; a day counts as the median of its
    photos. Windows: "immediate" (after minus before photos of each session), "2-4 weeks"
    (days 14-28 after the first session), "long term" (after day 28). Every window and pause
    of every metric shown is one family of tests: a change is detectable when it passes
    Holm's weighted procedure, which keeps the chance that an unchanged face reads as changed
    anywhere at 5 %; the primary outcomes (brow height, jaw angles, lower face width,
    asymmetry_pct) share 80 % of it, the other metrics are exploratory.

    Designs: when every session treated one side (session log --side left), the trend leads
    with split-face rows: for every paired metric the treated side minus the untreated side
    (brow_height_left_minus_right_mm), against the same difference at baseline; the brow
    row is a primary outcome. With an on/off plan (facetrack plan on-off), rows of window
    "on vs off" compare on blocks with off blocks, allowing for a straight-line drift. The
    first line names the design used.
    --json keys: metric, design (whole-face, split-face or on-off), outcome (primary or exploratory), window, n_sessions (immediate; null
    for the others), n_days (the others; null for immediate), n_photos, n_baseline, change, ci_low, ci_high (raw 95 % interval), se, dof,
    day_correlation, p_value (raw), p_adjusted (after the control), threshold (the smallest
    change this test could call detectable), detectable (after the control; null with too
    few photos), mdc (single-photo MDC95), slope_per_week (Theil-Sen since the first
    session), slope_ci_low, slope_ci_high, sem, noise_source, note.
    """
    from tracker.analysis import (
        analyse,
        design_lines,
        lead_sentences,
        lever_lines,
        overview_lines,
        summary_sentences,
        table_lines,
        table_records,
        what_it_would_take,
        whole_face,
    )
    from tracker.library import LibraryError

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    metrics = tuple(registry.resolve(name) for name in metrics)  # earlier names still work
    for name in metrics:
        if name not in registry.BY_NAME:
            raise click.BadParameter(
                f"{name!r} is not a metric; choose from {', '.join(registry.METRIC_NAMES)}",
                param_hint="'--metric'",
            )
    until = _parse_when(baseline_until, "'--baseline-until'")
    with _open_library(library_dir, create=False, person=person) as library:
        try:
            photos = library.photos(person_scale=True, person=library.person)
            sessions = library.sessions()
        except LibraryError as exc:
            _fail(str(exc))
        outdated = library.outdated()
        plan = library.plan()
    result = analyse(
        photos, sessions, metrics=list(metrics) or None, baseline_until=until, plan=plan
    )
    if show_levers:
        from tracker.analysis.levers import LEVER_COLUMNS

        shown = result.levers[[c for c in LEVER_COLUMNS if not c.startswith("cov_")]]
        if as_json:
            for record in shown.to_dict("records"):
                click.echo(json.dumps(json_safe(record), allow_nan=False))
        elif as_csv:
            click.echo(shown.round(4).to_csv(index=False), nl=False)
        else:
            click.echo("\n".join(lever_lines(result.levers)))
        return
    if as_json:
        for record in table_records(result.table):
            click.echo(json.dumps(record, allow_nan=False))
        return
    if as_csv:
        click.echo(result.table.round(4).to_csv(index=False), nl=False)
        return
    if outdated:
        _outdated_note(outdated)
    many = result.table["metric"].nunique() > 3
    from tracker.analysis import monthly_lines
    from tracker.report.content import KEY_METRICS

    months = monthly_lines(result.monthly, metrics=list(metrics) or KEY_METRICS)
    months = ["Long term, month by month (against the baseline):", *months] if months else []
    for lines in (
        design_lines(result) + overview_lines(result),
        lead_sentences(result, combine=many),
        table_lines(result.table),
        summary_sentences(
            whole_face(result.table), fade=result.fade, combine=many, settings=result.settings
        )
        + what_it_would_take(result),
        months,
    ):
        if lines:
            click.echo("\n".join(lines) + "\n")
    click.echo(FOOTNOTE)


@main.command(
    name="plan", epilog="Example: facetrack plan split-face --weeks 4 --side left --out plan.ics"
)
@click.argument("design", metavar="split-face|on-off")
@click.option(
    "--weeks",
    type=click.IntRange(1, 52),
    required=True,
    help="Split-face: treated weeks (after 2 weeks of baseline photos). On/off: the whole "
    "schedule.",
)
@click.option("--start", metavar="DATE", help="The first photo day (YYYY-MM-DD; default today).")
@click.option(
    "--side",
    type=click.Choice(["left", "right"], case_sensitive=False),
    default="left",
    show_default=True,
    help="Split-face: the side to treat (your own); the other is the control.",
)
@click.option(
    "--block-weeks",
    type=click.IntRange(1, 8),
    default=2,
    show_default=True,
    help="On/off: the length of a block.",
)
@click.option(
    "--out",
    metavar="FILE.ics",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the schedule as an iCalendar file (photo days and sessions).",
)
@library_option
def plan(design, weeks, start, side, block_weeks, out, library_dir):
    """Plan an experiment you can trust: print its schedule (which side or which weeks,
    photo days), store it in the library so that trend and report say whether it was
    followed, and with --out write it as a calendar.

    split-face: 2 weeks of baseline photos, then sessions on one side only (3 a week); the
    other side is the control, and whatever moves both sides alike in a photo cancels.
    on-off: blocks of treated and untreated weeks in turn, off first. Photos: 2 every third
    day.
    """
    from datetime import date, datetime

    from tracker.analysis.design import Plan, check_design
    from tracker.ics import plan_ics
    from tracker.output import write_private_bytes

    try:
        check_design(design.lower(), planned=True)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'DESIGN'") from None
    design = design.lower()
    first = date.today() if start is None else _parse_when(start, "'--start'")
    first = first.date() if isinstance(first, datetime) else first
    chosen = Plan(
        design,
        first,
        weeks,
        side.lower() if design == "split-face" else "both",
        block_weeks,
    )
    if out is not None and out.suffix.lower() != ".ics":
        raise click.BadParameter(
            f"{out.name}: the file name must end in .ics", param_hint="'--out'"
        )
    with _open_library(library_dir) as library:
        library.save_plan(chosen)
    click.echo(chosen.describe())
    schedule = chosen.schedule()
    rows = [["date", "day", "period", "photos", "session"]]
    for row in schedule.itertuples(index=False):
        rows.append(
            [
                f"{row.date:%Y-%m-%d %a}",
                str(row.day),
                row.period,
                str(row.photos) if row.photos else "-",
                f"{row.side} side"
                if row.session and row.side != "both"
                else ("both sides" if row.session else "-"),
            ]
        )
    click.echo("\n".join(text_table(rows, right={1, 3})))
    photo_days = int((schedule["photos"] > 0).sum())
    click.echo(
        f"{plural(photo_days, 'photo day')}, {plural(int(schedule['session'].sum()), 'session')}."
    )
    if out is not None:
        write_private_bytes(out, plan_ics(chosen).encode("utf-8"))
        click.echo(_terminal_text(f"Wrote {out}."))


# --- charts and the report -----------------------------------------------------------------

_BASELINE_HELP = (
    "End of the baseline (YYYY-MM-DD includes the day, or YYYY-MM-DDTHH:MM). "
    "Default: the photos before the first session, else the first week."
)


@main.command(epilog="Example: facetrack chart --metric brow_height --out brow.svg")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="NAME",
    help=f"Chart this metric (repeatable): {', '.join(registry.charts())}, or a "
    "column name. Default: a one-page dashboard of the key metrics.",
)
@click.option(
    "--before-after",
    is_flag=True,
    help="Instead: the baseline and the latest photo aligned on the eyes, side by "
    "side and overlaid, with the measured lines.",
)
@click.option(
    "--timelapse",
    metavar="FILE.gif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an eye-aligned animated GIF of every accepted photo.",
)
@click.option(
    "--out",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG, SVG or PDF, chosen by the extension (default: facetrack-chart.png, "
    "unless --show is given).",
)
@click.option("--show", is_flag=True, help="Open the chart in a window.")
@click.option("--baseline-until", metavar="DATE", help=_BASELINE_HELP)
@pair_date_options
@person_option
@library_option
def chart(
    metrics,
    before_after,
    timelapse,
    out,
    show,
    baseline_until,
    before_date,
    after_date,
    person,
    library_dir,
):
    """Chart the library's metrics over time.

    Each chart shows daily values (dots), a 7-day rolling median (line), the baseline with
    its noise band (MDC95), the windows (2-4 weeks = days 14-28 after the first treatment,
    long term = after day 28), photos taken right after a session, and each treatment
    session on the time axis. Left and right are the subject's own.
    """
    from tracker import charts, library_charts

    if metrics and before_after:
        raise click.UsageError("give --metric or --before-after, not both")
    if (before_date or after_date) and not before_after:
        raise click.UsageError("--before and --after go with --before-after")
    pair_dates = {
        "before_date": _parse_when(before_date, "'--before'"),
        "after_date": _parse_when(after_date, "'--after'"),
    }
    for name in metrics:
        try:
            charts.chart_metrics(name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--metric'") from None
    if out is None and not show:
        out = Path("facetrack-chart.png")
    if out is not None:
        try:
            charts.check_figure_path(out)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--out'") from None
    if timelapse is not None and timelapse.suffix.lower() != ".gif":
        raise click.BadParameter(
            f"{timelapse.name}: the file name must end in .gif", param_hint="'--timelapse'"
        )
    until = _parse_when(baseline_until, "'--baseline-until'")
    figure = None
    if show:
        import matplotlib.pyplot as plt

        figure = plt.figure()
    with _open_library(library_dir, create=False, person=person) as library:
        try:
            figure = library_charts.chart_figure(
                library,
                metrics=metrics,
                before_after_photos=before_after,
                baseline_until=until,
                fig=figure,
                **pair_dates,
            )
            if out is not None:
                charts.save_figure(figure, out)
                click.echo(_terminal_text(f"Wrote {out}."))
            if timelapse is not None:
                count = library_charts.timelapse(library, timelapse)
                click.echo(_terminal_text(f"Wrote {timelapse} ({plural(count, 'photo')})."))
        except ValueError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or out}: {exc.strerror or _one_line(exc)}")
    if show:
        plt.show()


@main.command(epilog="Example: facetrack report --out progress.pdf --no-photos")
@click.option(
    "--out",
    default="facetrack-report.html",
    show_default=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.html (one self-contained file) or FILE.pdf.",
)
@click.option("--no-photos", is_flag=True, help="Leave every photo of the face out (for sharing).")
@click.option("--baseline-until", metavar="DATE", help=_BASELINE_HELP)
@pair_date_options
@person_option
@library_option
def report(out, no_photos, baseline_until, before_date, after_date, person, library_dir):
    """Write a progress report: a plain-language summary, the window table, charts, the
    aligned before/after photos, adherence to the treatment log, the photo log with its
    quality flags, and the methods with their limitations.

    The HTML file holds everything (images embedded, no request made) and opens offline. A
    PDF is printed by headless Chromium when one is installed, else laid out by matplotlib
    with the same content. The file is readable by you only.
    """
    from tracker.report import check_report_path, write_report

    try:
        check_report_path(out)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--out'") from None
    until = _parse_when(baseline_until, "'--baseline-until'")
    with _open_library(library_dir, create=False, person=person) as library:
        try:
            how = write_report(
                library,
                out,
                photos=not no_photos,
                baseline_until=until,
                before_date=_parse_when(before_date, "'--before'"),
                after_date=_parse_when(after_date, "'--after'"),
            )
        except ValueError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{out}: {exc.strerror or _one_line(exc)}")
    how_made = {
        "html": "",
        "chromium": " (PDF printed by Chromium)",
        "matplotlib": " (PDF laid out by matplotlib, without Chromium)",
    }
    click.echo(_terminal_text(f"Wrote {out}{how_made[how]}."))


@main.command(epilog="Example: facetrack app --library ~/facetrack-library")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0: a free one).",
)
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@library_option
def app(port, no_browser, library_dir):
    """Start the local app: dashboard, photos, import, guided capture, sessions, compare,
    report and reminders in your browser.

    It listens on 127.0.0.1 only and prints its address, which holds a secret token: other
    users of this computer and other web sites cannot reach it. Everything it serves comes
    from facetrack itself; it needs no network. Stop it with Ctrl-C.
    """
    from tracker.app import AppServer
    from tracker.library import Library, LibraryError

    try:
        server = AppServer(library_dir or Library.default_path(), port=port)
    except LibraryError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
    click.echo(f"facetrack app for the library {server.app.state.library_path}")
    click.echo(f"Open: {server.url}")
    click.echo("Stop with Ctrl-C.")
    if not no_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(server.url,)).start()
    server.run()


if __name__ == "__main__":  # pragma: no cover
    main()
