"""When was a photo taken: EXIF capture time, a date in the file name, the file's time, --date.

Only the file's header is read (no pixel is decoded), so this is cheap enough to run over a
whole gallery before deciding which photos to open.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from tracker.errors import PhotoError
from tracker.photos.reading import (
    _DECODE_ERRORS,
    _check_is_file,
    _decode_error_reason,
    _open_without_pil_limit,
    _register_heif_opener,
    _unidentified_reason,
)

CAPTURE_TIME_SOURCES = ("exif", "filename", "mtime", "manual")

# Nothing before this is a selfie taken for this tracker: dates earlier than it come from
# cameras whose clock was never set (1970-01-01, 2000-01-01 00:00 counts as set).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1)
# A capture time may run ahead of `now` by this much (time zones, a phone clock a little fast).
FUTURE_SLACK = timedelta(days=1)
# A source that knows the day but not the hour is put at noon: the middle of the day, so that
# the day survives any conversion within +-12 h and nothing pretends to know the hour.
DATE_ONLY_TIME = time(12, 0)

_EXIF_IFD = 0x8769
# (tag name, date tag, where it lives, its own offset tag). Each date falls back to OffsetTime
# (36880), which phones write for the time zone of the device.
_EXIF_DATES = (
    ("DateTimeOriginal", 36867, "exif", 36881),
    ("DateTimeDigitized", 36868, "exif", 36882),
    ("DateTime", 306, "ifd0", 36880),
)
_OFFSET_TIME = 36880
_OFFSET_NAMES = {36880: "OffsetTime", 36881: "OffsetTimeOriginal", 36882: "OffsetTimeDigitized"}

# EXIF writes "YYYY:MM:DD HH:MM:SS"; a few writers use "-" or "/" in the date or a "T".
_EXIF_DATE = re.compile(
    r"(?P<y>\d{4})[:/-](?P<m>\d{1,2})[:/-](?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d*)?)?)?"
)
# "0000:00:00 00:00:00" and the all-blank "    :  :     :  :  " both mean "unknown" in EXIF.
_EXIF_BLANK = re.compile(r"[0\s:/T-]*")
_UTC_OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})")

_TIME = r"(?P<H>\d{2})(?P<sep>[-.:]?)(?P<M>\d{2})(?P=sep)(?P<S>\d{2})"
# Tried in this order, each anywhere in the file name's stem, ignoring case. The digits must not
# be part of a longer run of digits (a counter or a hash).
_FILENAME_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # IMG_20260105_083012, PXL_20260105_083012345 (milliseconds dropped), 20260105_083012,
        # Screenshot_20260105-083012, VID_20260105_083012
        r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})[_-](?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})"
        r"\d{0,3}(?!\d)",
        # 2026-01-05, optionally with a time: 2026-01-05_08-30-12, 2026-01-05 08.30.12,
        # 2026-01-05T083012, signal-2026-01-05-083012, "Screenshot 2026-01-05 at 08.30.12"
        rf"(?<!\d)(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})"
        rf"(?:(?:[_ T-]|\s+at\s+){_TIME}\d{{0,3}})?(?!\d)",
        # WhatsApp: IMG-20260105-WA0001, VID-20260105-WA0001 (the day only)
        r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})-WA\d",
    )
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CaptureTime:
    """When a photo was taken, and how we know.

    ``captured_at`` is timezone-aware when the UTC offset is known (EXIF OffsetTimeOriginal /
    OffsetTime, the file's modification time, an aware ``manual``), else naive local time. It
    is to the second. A source that gives only a day (a file name such as ``2026-01-05.jpg``,
    a ``date`` given by the user) gives 12:00 naive on that day.
    ``source`` is one of ``CAPTURE_TIME_SOURCES``: "exif", "filename", "mtime" or "manual".
    ``utc_offset`` is "+HH:MM" when known, else None. ``notes`` say why earlier sources were
    skipped (or why an EXIF offset was ignored), in the order they were tried.
    """

    captured_at: datetime
    source: str
    utc_offset: str | None
    notes: tuple[str, ...] = ()


def read_capture_time(
    path: str | os.PathLike[str],
    *,
    manual: datetime | date | None = None,
    prefer_manual: bool = False,
    now: datetime | None = None,
) -> CaptureTime:
    """Read when a photo was taken, from the best source that gives a plausible time.

    Sources, in order:

    1. EXIF DateTimeOriginal with OffsetTimeOriginal (else OffsetTime); when absent or unusable,
       DateTimeDigitized, then DateTime (with their own offsets). Read from the header only:
       JPEG, HEIC/HEIF, PNG, WebP, TIFF.
    2. A date in the file name: ``IMG_20260105_083012``, ``PXL_20260105_083012345``,
       ``20260105_083012``, ``2026-01-05`` (optionally with ``_08-30-12``, `` 08.30.12`` or
       ``T083012``), WhatsApp's ``IMG-20260105-WA0001`` (day only),
       ``Screenshot_20260105-083012``, ``signal-2026-01-05-083012``; anywhere in the stem, in
       any case, not inside a longer run of digits. File-name times are naive, to the second
       (Pixel milliseconds dropped).
    3. The file's modification time, as an aware datetime in this computer's time zone at that
       moment (daylight saving included), with its ``utc_offset``.
    4. ``manual``: the user's ``--date``.

    A time before 2000-01-01 or later than ``now`` plus one day is implausible; it, an
    unparseable or blank ("0000:00:00 00:00:00") EXIF date, and an impossible file-name date
    (``20261399``) are recorded in ``notes`` and the next source is tried. A file that cannot be
    opened as an image (empty, truncated, text) only loses its EXIF.

    Parameters
    ----------
    path : path
        The photo file.
    manual : datetime or date, optional
        The user's date, used as it is (not checked for plausibility); a ``date`` means 12:00
        naive that day. An aware datetime keeps its offset.
    prefer_manual : bool
        Use ``manual`` before every other source (``--date`` overriding what the file says);
        the file is then not read at all. Without ``manual`` this changes nothing.
    now : datetime, optional
        The present, for the future check (naive means local time). Default: the current time.

    Returns
    -------
    CaptureTime

    Raises
    ------
    PhotoError
        Only when no source gives a plausible time and no ``manual`` is given: in practice
        when the file is gone and its name has no date. The reason lists every note.
    TypeError
        When ``manual`` is neither a datetime nor a date.

    Examples
    --------
    >>> found = read_capture_time("IMG_0001.JPG", manual=date(2026, 1, 6), prefer_manual=True)
    >>> found.captured_at, found.source
    (datetime.datetime(2026, 1, 6, 12, 0), 'manual')
    """
    path = Path(path)
    if manual is not None and prefer_manual:
        return _from_manual(manual, ())
    now = _aware(now if now is not None else datetime.now().astimezone())
    notes: list[str] = []
    for read in (_from_exif, _from_filename, _from_mtime):
        found = read(path, now, notes)
        if found is not None:
            return found
    if manual is not None:
        return _from_manual(manual, tuple(notes))
    raise PhotoError(path, "no capture time found (" + "; ".join(notes) + "); give one with --date")


# --- sources -------------------------------------------------------------------------------------


def _from_exif(path: Path, now: datetime, notes: list[str]) -> CaptureTime | None:
    try:
        ifd0, exif_ifd = _read_exif(path)
    except PhotoError as error:
        notes.append(f"EXIF not read: {error.reason}")
        return None
    tags = {"ifd0": ifd0, "exif": exif_ifd}
    found_any = False
    for name, tag, where, offset_tag in _EXIF_DATES:
        raw = tags[where].get(tag)
        if raw is None:
            continue
        found_any = True
        text = _exif_text(raw)
        if text is not None and _EXIF_BLANK.fullmatch(text):
            notes.append(f"EXIF {name} is blank ({text!r})")
            continue
        match = _EXIF_DATE.fullmatch(text) if text is not None else None
        if match is None:
            notes.append(f"EXIF {name} {_show(raw)} is not a date")
            continue
        try:
            naive = _datetime_from(match)
        except ValueError as error:
            notes.append(f"EXIF {name} {text!r} is not a valid date ({error})")
            continue
        offset_notes: list[str] = []
        offset = None
        for candidate in dict.fromkeys((offset_tag, _OFFSET_TIME)):
            raw_offset = exif_ifd.get(candidate)
            if raw_offset is None:
                continue
            offset_text = _exif_text(raw_offset)
            offset = _parse_offset(offset_text) if offset_text is not None else None
            if offset is not None:
                break
            if offset_text is None or not _EXIF_BLANK.fullmatch(offset_text):
                offset_notes.append(
                    f"EXIF {_OFFSET_NAMES[candidate]} {_show(raw_offset)} is not a UTC offset"
                )
        captured = naive if offset is None else naive.replace(tzinfo=offset)
        why = _implausible(captured, now)
        if why is not None:
            notes.append(f"EXIF {name} {naive:%Y-%m-%d %H:%M:%S} is implausible ({why})")
            continue
        if offset is None and offset_notes:
            offset_notes[-1] += "; the time is taken as naive local time"
        return CaptureTime(captured, "exif", format_utc_offset(captured), (*notes, *offset_notes))
    if not found_any:
        notes.append("no EXIF capture date")
    return None


def _from_filename(path: Path, now: datetime, notes: list[str]) -> CaptureTime | None:
    stem = path.stem
    rejected = False
    for pattern in _FILENAME_PATTERNS:
        for match in pattern.finditer(stem):
            try:
                captured = _datetime_from(match)
            except ValueError as error:
                notes.append(f"file name date {match.group()!r} is not a valid date ({error})")
                rejected = True
                continue
            why = _implausible(captured, now)
            if why is not None:
                notes.append(f"file name date {captured:%Y-%m-%d %H:%M:%S} is implausible ({why})")
                rejected = True
                continue
            return CaptureTime(captured, "filename", None, tuple(notes))
    if not rejected:
        notes.append("no date in the file name")
    return None


def _from_mtime(path: Path, now: datetime, notes: list[str]) -> CaptureTime | None:
    try:
        seconds = os.stat(path).st_mtime
    except FileNotFoundError:
        notes.append("file modification time not read: file not found")
        return None
    except OSError as error:
        notes.append(f"file modification time not read: {error.strerror or error}")
        return None
    try:
        # Whole seconds, like EXIF; astimezone() gives the local offset at that moment.
        captured = datetime.fromtimestamp(int(seconds // 1)).astimezone()
    except (OverflowError, OSError, ValueError):
        notes.append(f"file modification time {seconds!r} is out of range")
        return None
    why = _implausible(captured, now)
    if why is not None:
        notes.append(f"file modification time {captured:%Y-%m-%d %H:%M:%S} is implausible ({why})")
        return None
    return CaptureTime(captured, "mtime", format_utc_offset(captured), tuple(notes))


def _from_manual(manual: datetime | date, notes: tuple[str, ...]) -> CaptureTime:
    if isinstance(manual, datetime):
        captured = manual
    elif isinstance(manual, date):
        captured = datetime.combine(manual, DATE_ONLY_TIME)
    else:
        raise TypeError(f"manual must be a datetime or a date, not {type(manual).__name__}")
    return CaptureTime(captured, "manual", format_utc_offset(captured), notes)


# --- reading EXIF --------------------------------------------------------------------------------


def _read_exif(path: Path) -> tuple[dict[int, object], dict[int, object]]:
    """IFD0 and the Exif IFD of ``path``, read from the header without decoding pixels.

    Raises PhotoError with the reason when the file or its EXIF block cannot be read.
    """
    _check_is_file(path)
    _register_heif_opener()
    try:
        with _open_without_pil_limit(path) as image:
            if image.format == "PNG" and "exif" not in image.info:
                # Pillow's PNG getexif() decodes the whole image to reach an eXIf chunk after
                # the pixel data; walk the chunks instead.
                exif = Image.Exif()
                data = _png_exif_after_data(path)
                if data:
                    exif.load(data)
            else:
                exif = image.getexif()
            return dict(exif), dict(exif.get_ifd(_EXIF_IFD))
    except UnidentifiedImageError:
        raise PhotoError(path, _unidentified_reason(path)) from None
    except _DECODE_ERRORS as error:
        raise PhotoError(path, _decode_error_reason(error)) from None


def _png_exif_after_data(path: Path) -> bytes | None:
    """The eXIf chunk of a PNG, found by skipping from chunk header to chunk header."""
    with path.open("rb") as file:
        if file.read(8) != _PNG_SIGNATURE:
            return None
        while len(header := file.read(8)) == 8:
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                return file.read(length)
            if kind == b"IEND":
                return None
            file.seek(length + 4, os.SEEK_CUR)  # data and CRC
    return None


def _exif_text(value: object) -> str | None:
    """An EXIF ASCII value as stripped text (NULs and spaces removed), or None if not text."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", " ").strip()


def _show(value: object) -> str:
    text = _exif_text(value)
    shown = repr(text if text is not None else value)
    return shown if len(shown) <= 42 else shown[:39] + "..."


# --- parsing and checking ------------------------------------------------------------------------


def _datetime_from(match: re.Match[str]) -> datetime:
    """A naive datetime from the named groups y, m, d and optional H, M, S (day only: noon).

    Raises ValueError for an impossible date or time, with datetime's reason.
    """
    day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    groups = match.groupdict()
    if groups.get("H") is None:
        return datetime.combine(day, DATE_ONLY_TIME)
    return datetime.combine(day, time(int(match["H"]), int(match["M"]), int(match["S"] or 0)))


def _parse_offset(text: str) -> timezone | None:
    """ "+01:00", "-0530" or "Z" as a timezone; None when not a UTC offset."""
    if text.upper() == "Z":
        return UTC
    match = _UTC_OFFSET.fullmatch(text)
    if not match or int(match["h"]) > 14 or int(match["m"]) >= 60:
        return None
    delta = timedelta(hours=int(match["h"]), minutes=int(match["m"]))
    return timezone(-delta if match["sign"] == "-" else delta)


def format_utc_offset(moment: datetime) -> str | None:
    """The UTC offset of an aware time as "+HH:MM"; None for a naive time."""
    offset = moment.utcoffset()
    if offset is None:
        return None
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _aware(moment: datetime) -> datetime:
    """``moment`` with an offset; a naive one is taken as this computer's local time."""
    return moment if moment.utcoffset() is not None else moment.astimezone()


def _implausible(captured: datetime, now: datetime) -> str | None:
    """Why ``captured`` cannot be a capture time, or None when it can."""
    if captured.replace(tzinfo=None) < EARLIEST_PLAUSIBLE:
        return "before 2000"
    try:
        ahead = _aware(captured) > now + FUTURE_SLACK
    except (OverflowError, OSError, ValueError):
        ahead = True  # too far out for the platform's clock functions
    return "in the future" if ahead else None
