"""Tests of tracker.photos.dates: capture times from EXIF, file names, mtime and --date.

The core tests write small photos to tmp_path and fix the local time zone to Central European
time (a POSIX TZ rule, so no tz database is needed) and "now" to 2026-03-01 12:00 UTC, so every
expected datetime is exact. The tests marked ``needs_shared`` read ../shared/faces.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import time
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pillow_heif
import pytest
from conftest import SHARED, needs_shared
from PIL import Image, ImageFile

from tracker.errors import PhotoError
from tracker.photos import CAPTURE_TIME_SOURCES, CaptureTime, read_capture_time

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Central European time: +01:00 in winter, +02:00 from the last Sunday of March to October's.
CET = "CET-1CEST,M3.5.0,M10.5.0/3"
WINTER_MTIME = datetime(2026, 1, 20, 9, 15, 30, tzinfo=UTC)  # 10:15:30+01:00 in CET
EXIF_IFD = 0x8769
DATE_TIME, DATE_TIME_ORIGINAL, DATE_TIME_DIGITIZED = 306, 36867, 36868
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 36880, 36881, 36882
NO_EXIF = "no EXIF capture date"
NO_NAME = "no date in the file name"


@pytest.fixture(autouse=True)
def central_european_time():
    """The process's local time zone is CET/CEST for the test, and restored afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = CET
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def exif_bytes(ifd0: dict[int, object] | None = None, **exif_ifd: object) -> bytes:
    """EXIF with the given IFD0 tags and Exif-IFD tags (keyword ``t36867=...``)."""
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    for key, value in exif_ifd.items():
        exif.get_ifd(EXIF_IFD)[int(key[1:])] = value
    # Bytes, not the Exif object: PNG's encoder skips an Exif whose IFD0 is empty.
    return exif.tobytes()


def photo(path: Path, exif: bytes | None = None, *, mtime: datetime = WINTER_MTIME) -> Path:
    """A 32 x 24 image at ``path`` (format from the suffix) with ``exif``, modified at ``mtime``
    (plus 0.75 s, which must not show)."""
    if path.suffix.lower() in (".heic", ".heif"):
        pillow_heif.register_heif_opener()  # lets Pillow write HEIC
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", (32, 24), (180, 120, 90)).save(path, **options)
    set_mtime(path, mtime)
    return path


def set_mtime(path: Path, moment: datetime) -> None:
    stamp = moment.timestamp() + 0.75
    os.utime(path, (stamp, stamp))


def check(found: CaptureTime, iso: str, source: str, offset: str | None, notes=()) -> None:
    """``found`` is exactly this (isoformat also pins the offset, which == would not)."""
    assert found.captured_at.isoformat() == iso
    assert (found.source, found.utc_offset, found.notes) == (source, offset, tuple(notes))


def check_winter_mtime(path: Path, notes) -> None:
    check(read_capture_time(path, now=NOW), "2026-01-20T10:15:30+01:00", "mtime", "+01:00", notes)


# --- EXIF --------------------------------------------------------------------------------------


def test_exif_original_time_with_its_offset(tmp_path):
    """DateTimeOriginal with OffsetTimeOriginal gives an aware time with that offset, no notes."""
    path = photo(tmp_path / "a.jpg", exif_bytes(t36867="2026:01:05 08:30:12", t36881="+01:00"))
    found = read_capture_time(path, now=NOW)
    check(found, "2026-01-05T08:30:12+01:00", "exif", "+01:00")
    assert found == CaptureTime(
        datetime(2026, 1, 5, 8, 30, 12, tzinfo=timezone(timedelta(hours=1))), "exif", "+01:00"
    )


@pytest.mark.parametrize(
    ("offsets", "iso", "offset"),
    [
        ({"t36881": "-05:30"}, "2026-01-05T08:30:12-05:30", "-05:30"),
        ({"t36881": "+0900"}, "2026-01-05T08:30:12+09:00", "+09:00"),
        ({"t36881": "Z"}, "2026-01-05T08:30:12+00:00", "+00:00"),
        ({"t36880": "+02:00"}, "2026-01-05T08:30:12+02:00", "+02:00"),
        ({"t36881": "+01:00", "t36880": "+02:00"}, "2026-01-05T08:30:12+01:00", "+01:00"),
        ({}, "2026-01-05T08:30:12", None),
        ({"t36881": "   :  "}, "2026-01-05T08:30:12", None),
    ],
)
def test_exif_offset_original_then_offset_time(tmp_path, offsets, iso, offset):
    """OffsetTimeOriginal wins over OffsetTime, which is the fallback; "+HHMM" and "Z" are read;
    without an offset (or with a blank one) the time is naive local, with no note."""
    path = photo(tmp_path / "a.jpg", exif_bytes(t36867="2026:01:05 08:30:12", **offsets))
    check(read_capture_time(path, now=NOW), iso, "exif", offset)


def test_exif_bad_offset_is_noted_and_time_kept_naive(tmp_path):
    """An offset that is not +-HH:MM is ignored with a note; the date itself is still used."""
    path = photo(tmp_path / "a.jpg", exif_bytes(t36867="2026:01:05 08:30:12", t36881="+1 hour"))
    check(
        read_capture_time(path, now=NOW),
        "2026-01-05T08:30:12",
        "exif",
        None,
        [
            "EXIF OffsetTimeOriginal '+1 hour' is not a UTC offset; "
            "the time is taken as naive local time"
        ],
    )


def test_exif_falls_back_to_digitized_then_datetime(tmp_path):
    """Without DateTimeOriginal, DateTimeDigitized (with OffsetTimeDigitized) is used; without
    both, IFD0's DateTime (with OffsetTime). Absent tags leave no note."""
    digitized = photo(
        tmp_path / "d.jpg",
        exif_bytes(
            {DATE_TIME: "2026:01:07 10:00:00"}, t36868="2026:01:06 09:00:00", t36882="-03:00"
        ),
    )
    check(read_capture_time(digitized, now=NOW), "2026-01-06T09:00:00-03:00", "exif", "-03:00")
    modified = photo(
        tmp_path / "m.jpg", exif_bytes({DATE_TIME: "2026:01:07 10:00:00"}, t36880="+01:00")
    )
    check(read_capture_time(modified, now=NOW), "2026-01-07T10:00:00+01:00", "exif", "+01:00")


def test_bad_original_date_falls_back_to_digitized_with_a_note(tmp_path):
    """A garbage DateTimeOriginal is noted and the next EXIF date is used."""
    path = photo(
        tmp_path / "a.jpg",
        exif_bytes(t36867="garbage", t36881="+01:00", t36868="2026:01:06 09:00:00"),
    )
    check(
        read_capture_time(path, now=NOW),
        "2026-01-06T09:00:00",
        "exif",
        None,
        ["EXIF DateTimeOriginal 'garbage' is not a date"],
    )


@pytest.mark.parametrize(
    ("value", "note"),
    [
        (
            "1970:01:01 00:00:00",
            "EXIF DateTimeOriginal 1970-01-01 00:00:00 is implausible (before 2000)",
        ),
        (
            "1999:12:31 23:59:59",
            "EXIF DateTimeOriginal 1999-12-31 23:59:59 is implausible (before 2000)",
        ),
        (
            "2099:01:01 08:00:00",
            "EXIF DateTimeOriginal 2099-01-01 08:00:00 is implausible (in the future)",
        ),
        ("not a date at all\x00", "EXIF DateTimeOriginal 'not a date at all' is not a date"),
        ("0000:00:00 00:00:00", "EXIF DateTimeOriginal is blank ('0000:00:00 00:00:00')"),
        ("    :  :     :  :  ", "EXIF DateTimeOriginal is blank (':  :     :  :')"),
        (
            "2026:13:05 08:30:12",
            "EXIF DateTimeOriginal '2026:13:05 08:30:12' is not a valid date "
            "(month must be in 1..12)",
        ),
        (
            "2026:01:05 25:30:12",
            "EXIF DateTimeOriginal '2026:01:05 25:30:12' is not a valid date "
            "(hour must be in 0..23)",
        ),
    ],
)
def test_unusable_exif_falls_back_to_file_name_then_mtime(tmp_path, value, note):
    """Implausible (before 2000, future), unparseable, blank or impossible EXIF dates are noted
    and skipped: the date in the file name is used, or else the modification time."""
    exif = exif_bytes(t36867=value, t36881="+01:00")
    named = photo(tmp_path / "IMG_20260105_083012.jpg", exif)
    check(read_capture_time(named, now=NOW), "2026-01-05T08:30:12", "filename", None, [note])
    unnamed = photo(tmp_path / "selfie.jpg", exif)
    check_winter_mtime(unnamed, [note, NO_NAME])


def test_one_day_of_future_slack(tmp_path):
    """A time up to one day after ``now`` is accepted (time zones, fast clocks); later is not.
    A naive ``now`` is local time."""
    path = photo(tmp_path / "a.jpg", exif_bytes(t36867="2026:03:02 12:59:59", t36881="+01:00"))
    check(read_capture_time(path, now=NOW), "2026-03-02T12:59:59+01:00", "exif", "+01:00")
    just_before = NOW - timedelta(seconds=2)
    assert read_capture_time(path, now=just_before).source == "mtime"
    # Naive 2026-03-01 13:00 is 12:00 UTC in CET: the same present as NOW.
    assert read_capture_time(path, now=datetime(2026, 3, 1, 13, 0)).source == "exif"
    assert read_capture_time(path, now=datetime(2026, 3, 1, 12, 59, 58)).source == "mtime"


def test_heic_exif_is_read(tmp_path):
    """A HEIC's EXIF capture time and offset are read like a JPEG's."""
    path = photo(tmp_path / "a.heic", exif_bytes(t36867="2026:02:02 08:33:21", t36881="+01:00"))
    check(read_capture_time(path, now=NOW), "2026-02-02T08:33:21+01:00", "exif", "+01:00")


def test_png_exif_before_and_after_the_pixel_data_is_read(tmp_path):
    """PNG EXIF is found both before the IDAT chunks and after them (eXIf just before IEND)."""
    exif = exif_bytes(t36867="2026:01:05 08:30:12", t36881="+01:00")
    before = photo(tmp_path / "before.png", exif)
    check(read_capture_time(before, now=NOW), "2026-01-05T08:30:12+01:00", "exif", "+01:00")
    after = photo(tmp_path / "after.png")
    data = after.read_bytes()
    payload = exif[6:]  # without "Exif\0\0"
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload))
    end = data.rindex(b"IEND") - 4
    after.write_bytes(data[:end] + chunk + data[end:])
    assert after.read_bytes().index(b"eXIf") > after.read_bytes().index(b"IDAT")
    check(read_capture_time(after, now=NOW), "2026-01-05T08:30:12+01:00", "exif", "+01:00")


@pytest.mark.parametrize("name", ["a.jpg", "a.heic", "a.png", "a.webp", "plain.png"])
def test_no_pixel_is_decoded(tmp_path, monkeypatch, name):
    """Reading the capture time never loads pixels (JPEG, HEIC, PNG, WebP; PNG without EXIF,
    where Pillow's own getexif() would decode the image to look for it)."""
    exif = None if name == "plain.png" else exif_bytes(t36867="2026:01:05 08:30:12")
    path = photo(tmp_path / name, exif)

    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(pillow_heif.as_plugin._LibHeifImageFile, "load", refuse)
    expected = "exif" if exif is not None else "mtime"
    assert read_capture_time(path, now=NOW).source == expected


# --- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "iso"),
    [
        ("IMG_20260105_083012.jpg", "2026-01-05T08:30:12"),
        ("img_20260105_083012.JPG", "2026-01-05T08:30:12"),
        ("PXL_20260105_083012345.jpg", "2026-01-05T08:30:12"),
        ("PXL_20260105_083012345.MP.jpg", "2026-01-05T08:30:12"),
        ("20260105_083012.jpg", "2026-01-05T08:30:12"),
        ("VID_20260105_083012_1.jpg", "2026-01-05T08:30:12"),
        ("2026-01-05.jpg", "2026-01-05T12:00:00"),
        ("2026-01-05_selfie.jpg", "2026-01-05T12:00:00"),
        ("me 2026-01-05.png", "2026-01-05T12:00:00"),
        ("2026-01-05_08-30-12.jpg", "2026-01-05T08:30:12"),
        ("2026-01-05 08.30.12.jpg", "2026-01-05T08:30:12"),
        ("2026-01-05T083012.jpg", "2026-01-05T08:30:12"),
        ("2026-01-05t083012.jpg", "2026-01-05T08:30:12"),
        ("Screenshot 2026-01-05 at 08.30.12.png", "2026-01-05T08:30:12"),
        ("IMG-20260105-WA0001.jpg", "2026-01-05T12:00:00"),
        ("img-20260105-wa0001.jpeg", "2026-01-05T12:00:00"),
        ("Screenshot_20260105-083012.png", "2026-01-05T08:30:12"),
        ("Screenshot_20260105-083012_Chrome.jpg", "2026-01-05T08:30:12"),
        ("signal-2026-01-05-083012.jpg", "2026-01-05T08:30:12"),
        ("signal-2026-01-05-08-30-12-123.jpg", "2026-01-05T08:30:12"),
    ],
)
def test_date_in_file_name(tmp_path, name, iso):
    """Each supported file-name pattern gives its naive time; a day alone gives 12:00."""
    path = photo(tmp_path / name)
    check(read_capture_time(path, now=NOW), iso, "filename", None, [NO_EXIF])


@pytest.mark.parametrize(
    ("name", "notes"),
    [
        (
            "IMG_20261399_083012.jpg",
            ["file name date '20261399_083012' is not a valid date (month must be in 1..12)"],
        ),
        (
            "IMG_20260230_083012.jpg",
            [
                "file name date '20260230_083012' is not a valid date (day is out of range for month)"
            ],
        ),
        (
            "IMG_20260105_256199.jpg",
            ["file name date '20260105_256199' is not a valid date (hour must be in 0..23)"],
        ),
        (
            "2026-13-05.jpg",
            ["file name date '2026-13-05' is not a valid date (month must be in 1..12)"],
        ),
        (
            "IMG_19990105_083012.jpg",
            ["file name date 1999-01-05 08:30:12 is implausible (before 2000)"],
        ),
        (
            "IMG_20270105_083012.jpg",
            ["file name date 2027-01-05 08:30:12 is implausible (in the future)"],
        ),
        ("IMG_0001.jpg", [NO_NAME]),
        ("a120260105_0830121234.jpg", [NO_NAME]),  # digits of a longer number
        ("deadbeef20260105083012.jpg", [NO_NAME]),  # no separator: a hash, not a date
        ("20260105.jpg", [NO_NAME]),  # a bare 8-digit number is too ambiguous
        ("IMG-20260105-1.jpg", [NO_NAME]),
    ],
)
def test_file_names_without_a_usable_date_fall_back_to_mtime(tmp_path, name, notes):
    """Impossible dates (month 13, 30 February, hour 25) and implausible ones are noted and
    skipped; digits that are not one of the patterns are not a date."""
    path = photo(tmp_path / name)
    check_winter_mtime(path, [NO_EXIF, *notes])


def test_first_valid_date_in_the_name_wins(tmp_path):
    """An impossible date earlier in the name is noted, and a later valid one is used."""
    path = photo(tmp_path / "20261399_000000 copy of 2026-01-05.jpg")
    check(
        read_capture_time(path, now=NOW),
        "2026-01-05T12:00:00",
        "filename",
        None,
        [NO_EXIF, "file name date '20261399_000000' is not a valid date (month must be in 1..12)"],
    )


def test_only_the_file_name_counts_not_its_folder(tmp_path):
    """A date in a folder name is not the photo's date."""
    folder = tmp_path / "2026-01-05"
    folder.mkdir()
    check_winter_mtime(photo(folder / "selfie.jpg"), [NO_EXIF, NO_NAME])


# --- modification time -------------------------------------------------------------------------


def test_mtime_is_aware_in_the_local_zone_of_that_moment(tmp_path):
    """The modification time is local time with the offset in force then (summer time
    included), to the whole second."""
    path = photo(tmp_path / "selfie.jpg")
    check_winter_mtime(path, [NO_EXIF, NO_NAME])
    set_mtime(path, datetime(2025, 7, 14, 8, 0, 0, tzinfo=UTC))
    check(
        read_capture_time(path, now=NOW),
        "2025-07-14T10:00:00+02:00",
        "mtime",
        "+02:00",
        [NO_EXIF, NO_NAME],
    )


# --- manual ------------------------------------------------------------------------------------


def test_manual_is_the_last_resort(tmp_path):
    """``manual`` is used only when EXIF, file name and mtime all fail; a date means 12:00."""
    path = photo(tmp_path / "selfie.jpg", mtime=datetime(1990, 1, 1, tzinfo=UTC))
    check(
        read_capture_time(path, manual=date(2026, 1, 5), now=NOW),
        "2026-01-05T12:00:00",
        "manual",
        None,
        [
            NO_EXIF,
            NO_NAME,
            "file modification time 1990-01-01 01:00:00 is implausible (before 2000)",
        ],
    )
    good = photo(tmp_path / "good.jpg", exif_bytes(t36867="2026:01:05 08:30:12"))
    assert read_capture_time(good, manual=date(2026, 2, 1), now=NOW).source == "exif"


def test_prefer_manual_overrides_and_does_not_read_the_file(tmp_path):
    """With ``prefer_manual`` the user's date wins over good EXIF, an aware datetime keeps its
    offset, and the file is not needed at all. Without ``manual`` the flag changes nothing."""
    path = photo(tmp_path / "IMG_20260105_083012.jpg", exif_bytes(t36867="2026:01:05 08:30:12"))
    moment = datetime(2026, 1, 6, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
    check(
        read_capture_time(path, manual=moment, prefer_manual=True, now=NOW),
        "2026-01-06T07:00:00-05:00",
        "manual",
        "-05:00",
    )
    check(
        read_capture_time(
            tmp_path / "gone.jpg", manual=datetime(2026, 1, 6, 7, 0), prefer_manual=True
        ),
        "2026-01-06T07:00:00",
        "manual",
        None,
    )
    check(read_capture_time(path, prefer_manual=True, now=NOW), "2026-01-05T08:30:12", "exif", None)


def test_manual_of_the_wrong_type_is_a_type_error(tmp_path):
    """A manual date given as text is a programming error, not a silent fallback."""
    with pytest.raises(TypeError, match="manual must be a datetime or a date, not str"):
        read_capture_time(tmp_path / "x.jpg", manual="2026-01-05", prefer_manual=True)


# --- bad files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "note"),
    [
        (b"", "EXIF not read: empty file"),
        (b"hello, not a picture\n", "EXIF not read: not an image file (unrecognised format)"),
        (
            b"\xff\xd8\xff\xe0\x00",
            "EXIF not read: truncated or corrupt image data: unreadable header",
        ),
    ],
)
def test_unreadable_file_loses_only_its_exif(tmp_path, content, note):
    """Empty, text or broken files do not raise: EXIF is skipped with the reason, then the file
    name or the modification time gives the date."""
    path = tmp_path / "selfie.jpg"
    path.write_bytes(content)
    set_mtime(path, WINTER_MTIME)
    check_winter_mtime(path, [note, NO_NAME])
    named = tmp_path / "2026-01-05.jpg"
    named.write_bytes(content)
    check(read_capture_time(named, now=NOW), "2026-01-05T12:00:00", "filename", None, [note])


def test_missing_file_without_a_date_raises_photo_error(tmp_path):
    """Only when every source fails is PhotoError raised, naming the file and every reason."""
    path = tmp_path / "gone.jpg"
    with pytest.raises(PhotoError) as caught:
        read_capture_time(path, now=NOW)
    assert caught.value.path == str(path)
    assert caught.value.reason == (
        "no capture time found (EXIF not read: file not found; no date in the file name; "
        "file modification time not read: file not found); give one with --date"
    )


def test_missing_file_with_a_date_in_its_name_still_has_that_date(tmp_path):
    """The file name alone is a source: a missing file named by date gets that date (opening
    the photo is what reports it missing)."""
    found = read_capture_time(tmp_path / "IMG-20260105-WA0001.jpg", now=NOW)
    check(found, "2026-01-05T12:00:00", "filename", None, ["EXIF not read: file not found"])


def test_capture_time_is_frozen_and_sources_are_listed():
    """CaptureTime is immutable; its sources are the four documented names."""
    found = CaptureTime(datetime(2026, 1, 5, 12), "manual", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.source = "exif"  # type: ignore[misc]
    assert CAPTURE_TIME_SOURCES == ("exif", "filename", "mtime", "manual")


# --- shared photos -----------------------------------------------------------------------------


def shared_mtime(path: Path) -> str:
    stamp = int(path.stat().st_mtime // 1)
    return datetime.fromtimestamp(stamp).astimezone().isoformat()


@needs_shared
@pytest.mark.parametrize(
    ("name", "iso", "source", "offset", "notes"),
    [
        ("IMG_0001.JPG", "2026-01-05T08:30:12+01:00", "exif", "+01:00", []),
        ("IMG_0002.JPG", "2026-01-12T08:31:40+01:00", "exif", "+01:00", []),
        ("IMG_0003.JPG", "2026-01-19T08:29:03+01:00", "exif", "+01:00", []),
        ("IMG_0004.JPG", "2026-01-26T08:35:55+01:00", "exif", "+01:00", []),
        ("IMG_0005.HEIC", "2026-02-02T08:33:21+01:00", "exif", "+01:00", []),
        ("IMG_0006_mirrored.JPG", "2026-02-09T08:30:00+01:00", "exif", "+01:00", []),
        ("2026-02-16_selfie.jpg", "2026-02-16T12:00:00", "filename", None, [NO_EXIF]),
    ],
)
def test_shared_phone_files_have_the_documented_capture_times(name, iso, source, offset, notes):
    """Every phone/ file gives the capture time, source and offset of the shared README."""
    check(read_capture_time(SHARED / "phone" / name), iso, source, offset, notes)


@needs_shared
@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("date_1970.jpg", "EXIF DateTimeOriginal 1970-01-01 00:00:00 is implausible (before 2000)"),
        ("date_garbage.jpg", "EXIF DateTimeOriginal 'not a date at all' is not a date"),
    ],
)
def test_shared_bad_dates_fall_back_to_mtime_with_a_reason(name, note):
    """bad/date_1970.jpg and bad/date_garbage.jpg are not dated by EXIF: a note says why and
    the modification time is used (their names hold no date)."""
    path = SHARED / "bad" / name
    found = read_capture_time(path)
    assert (found.source, found.notes) == ("mtime", (note, NO_NAME))
    assert found.captured_at.isoformat() == shared_mtime(path)
    assert found.utc_offset == "+01:00"  # the test's CET zone in winter


@needs_shared
@pytest.mark.parametrize(
    "name", ["empty.jpg", "not_an_image.jpg", "truncated.jpg", "bomb.png", "cmyk.jpg"]
)
def test_shared_bad_files_never_raise(name):
    """Broken, huge or unusual files still get a capture time, and bomb.png is not decoded."""
    found = read_capture_time(SHARED / "bad" / name)
    assert found.source in ("exif", "mtime")


@needs_shared
@pytest.mark.parametrize(("name", "limit_ms"), [("IMG_0001.JPG", 20), ("IMG_0005.HEIC", 60)])
def test_shared_12mp_files_are_read_from_the_header_only(name, limit_ms):
    """A 12 MP JPEG or HEIC takes milliseconds (no pixel decode; measured about 0.2 ms and
    6 ms, decoding takes 100+ ms), averaged over 10 reads after a first one."""
    path = SHARED / "phone" / name
    read_capture_time(path)
    start = time.perf_counter()
    for _ in range(10):
        read_capture_time(path)
    assert (time.perf_counter() - start) / 10 * 1000 < limit_ms
