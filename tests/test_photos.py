"""Tests of tracker.photos: finding files, opening every format, orientation, modes, errors.

The core tests build their inputs from skimage's astronaut in tmp_path; the tests marked
``needs_shared`` also read the real photos in ../shared/faces.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
import pytest
from conftest import SHARED, needs_shared
from PIL import Image, ImageFile
from skimage import data

from tracker.errors import PhotoError
from tracker.photos import SUPPORTED_SUFFIXES, find_photos, open_photo
from tracker.settings import Settings

PROJECT = Path(__file__).parents[1]

Transpose = Image.Transpose
# How each EXIF orientation stores an upright picture (EXIF 2.3, tag 0x0112): the stored pixels
# are the upright ones transformed by this, and a viewer undoes it.
STORED_AS = {
    1: None,
    2: Transpose.FLIP_LEFT_RIGHT,
    3: Transpose.ROTATE_180,
    4: Transpose.FLIP_TOP_BOTTOM,
    5: Transpose.TRANSPOSE,
    6: Transpose.ROTATE_90,  # stored turned counter-clockwise: the viewer turns it clockwise
    7: Transpose.TRANSVERSE,
    8: Transpose.ROTATE_270,
}


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.float64) - b).mean())


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def save(image: Image.Image, path: Path, **options) -> Path:
    if path.suffix.lower() in (".heic", ".heif"):
        pillow_heif.register_heif_opener()  # lets PIL write HEIC
    image.save(path, **options)
    return path


@pytest.fixture(scope="module")
def upright() -> np.ndarray:
    """The astronaut cropped to a 384 x 512 portrait, so that a wrong rotation changes the shape."""
    return np.ascontiguousarray(data.astronaut()[:, 64:448])


@pytest.fixture(scope="module")
def jpeg_12mp(tmp_path_factory) -> Path:
    """A 4032 x 3024 (12.2 MP) quality-92 JPEG: the astronaut upscaled, plus seeded noise."""
    rng = np.random.default_rng(0)
    big = cv2.resize(data.astronaut(), (4032, 3024), interpolation=cv2.INTER_CUBIC)
    big = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)
    return save(Image.fromarray(big), tmp_path_factory.mktemp("big") / "big.jpg", quality=92)


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options", "pil_format", "tolerance"),
    [
        ("a.png", {}, "PNG", 0.0),
        ("a.webp", {"lossless": True}, "WEBP", 0.0),
        ("a.webp", {"quality": 90}, "WEBP", 4.0),
        ("a.jpg", {"quality": 95, "subsampling": 0}, "JPEG", 2.0),
        ("a.heic", {"quality": 90}, "HEIF", 3.0),
    ],
)
def test_each_format_opens_as_rgb(tmp_path, upright, name, options, pil_format, tolerance):
    """Every supported format gives the stored picture as (H, W, 3) uint8, within codec loss."""
    path = save(Image.fromarray(upright), tmp_path / name, **options)
    photo = open_photo(path)
    assert photo.format == pil_format
    assert photo.pixels.dtype == np.uint8 and photo.pixels.shape == upright.shape
    assert mean_abs_diff(photo.pixels, upright) <= tolerance
    assert (photo.path, photo.original_size_px, photo.decode_scale) == (path, (384, 512), 1.0)
    assert (photo.orientation, photo.mirrored) == (1, False)
    assert not photo.pixels.flags.writeable


# --- orientation and mirroring ---------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_back_upright(tmp_path, upright, orientation):
    """A lossless file stored in any of the 8 orientations opens pixel-identical to upright."""
    stored = Image.fromarray(upright)
    if STORED_AS[orientation] is not None:
        stored = stored.transpose(STORED_AS[orientation])
    path = save(stored, tmp_path / "o.png", exif=exif_with_orientation(orientation))
    photo = open_photo(path)
    np.testing.assert_array_equal(photo.pixels, upright)
    assert photo.orientation == orientation
    assert photo.original_size_px == (384, 512)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_of_a_jpeg_comes_back_upright(tmp_path, upright, orientation):
    """The same holds for 4:4:4 JPEGs within compression loss (mean abs difference <= 2)."""
    stored = Image.fromarray(upright)
    if STORED_AS[orientation] is not None:
        stored = stored.transpose(STORED_AS[orientation])
    path = save(
        stored,
        tmp_path / "o.jpg",
        quality=95,
        subsampling=0,
        exif=exif_with_orientation(orientation),
    )
    photo = open_photo(path)
    assert mean_abs_diff(photo.pixels, upright) <= 2.0
    assert photo.orientation == orientation


def test_heic_rotation_is_applied_once(tmp_path, upright):
    """A HEIC stored turned (orientation 6) opens upright: libheif rotates, we must not again."""
    stored = Image.fromarray(upright).transpose(Transpose.ROTATE_90)
    path = save(stored, tmp_path / "o.heic", quality=90, exif=exif_with_orientation(6))
    photo = open_photo(path)
    assert photo.original_size_px == (384, 512)
    assert photo.orientation == 6
    assert mean_abs_diff(photo.pixels, upright) <= 3.0


@pytest.mark.parametrize("orientation", [1, 6])
def test_mirrored_flips_left_right_after_orientation(tmp_path, upright, orientation):
    """mirrored=True gives the upright picture flipped left-right, whatever the orientation."""
    stored = Image.fromarray(upright)
    if STORED_AS[orientation] is not None:
        stored = stored.transpose(STORED_AS[orientation])
    path = save(stored, tmp_path / "m.png", exif=exif_with_orientation(orientation))
    photo = open_photo(path, mirrored=True)
    np.testing.assert_array_equal(photo.pixels, upright[:, ::-1])
    assert photo.mirrored


def test_png_exif_after_the_image_data_is_found(tmp_path, upright):
    """PNG allows the eXIf chunk after IDAT; its orientation (6) is still applied."""
    stored = Image.fromarray(upright).transpose(STORED_AS[6])
    path = save(stored, tmp_path / "late.png", exif=exif_with_orientation(6))
    raw = path.read_bytes()
    start = raw.index(b"eXIf") - 4
    end = start + 12 + struct.unpack(">I", raw[start : start + 4])[0]
    chunk, rest = raw[start:end], raw[:start] + raw[end:]
    iend = rest.index(b"IEND") - 4
    path.write_bytes(rest[:iend] + chunk + rest[iend:])
    assert path.read_bytes().index(b"eXIf") > path.read_bytes().index(b"IDAT")
    photo = open_photo(path)
    assert photo.orientation == 6
    np.testing.assert_array_equal(photo.pixels, upright)


def test_invalid_orientation_is_ignored(tmp_path, upright):
    """An out-of-range EXIF orientation (9) leaves the pixels as stored and reports 1."""
    path = save(Image.fromarray(upright), tmp_path / "o.png", exif=exif_with_orientation(9))
    photo = open_photo(path)
    np.testing.assert_array_equal(photo.pixels, upright)
    assert photo.orientation == 1


# --- reduced-size decoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_long_side_px", "long_side_px", "scale"),
    [
        (None, 4032, 1.0),
        (4032, 4032, 1.0),
        (2017, 4032, 1.0),
        (2016, 2016, 0.5),
        (2000, 2016, 0.5),
        (1000, 1008, 0.25),
        (505, 1008, 0.25),
        (500, 504, 0.125),
        (1, 504, 0.125),
    ],
)
def test_jpeg_reduced_decode_keeps_the_long_side(jpeg_12mp, min_long_side_px, long_side_px, scale):
    """A 4032 x 3024 JPEG is decoded at the smallest 1/2^k size whose long side >= the minimum."""
    photo = open_photo(jpeg_12mp, min_long_side_px=min_long_side_px)
    assert photo.pixels.shape == (long_side_px * 3 // 4, long_side_px, 3)
    assert photo.decode_scale == scale
    assert photo.original_size_px == (4032, 3024)


def test_reduced_decode_matches_a_downscaled_full_decode(jpeg_12mp):
    """The 1/4-size decode looks like the full decode area-averaged to 1/4 (mean abs diff <= 2)."""
    full = open_photo(jpeg_12mp, min_long_side_px=None).pixels
    quarter = open_photo(jpeg_12mp, min_long_side_px=1000).pixels
    expected = cv2.resize(full, (1008, 756), interpolation=cv2.INTER_AREA)
    assert mean_abs_diff(quarter, expected) <= 2.0


def test_reduced_decode_scale_is_exact_for_odd_sizes(tmp_path):
    """At 1/8, a 1001 x 751 JPEG gives ceil(size / 8) pixels and decode_scale is exactly 1/8."""
    image = Image.fromarray(cv2.resize(data.astronaut(), (1001, 751)))
    photo = open_photo(save(image, tmp_path / "odd.jpg"), min_long_side_px=100)
    assert photo.pixels.shape == (94, 126, 3)
    assert photo.decode_scale == 0.125


def test_reduced_decode_of_a_turned_jpeg_is_upright(tmp_path, upright):
    """Orientation is applied after a reduced decode: a 1/2-size orientation-6 JPEG is upright."""
    stored = Image.fromarray(upright).transpose(Transpose.ROTATE_90)
    path = save(stored, tmp_path / "o.jpg", quality=95, exif=exif_with_orientation(6))
    photo = open_photo(path, min_long_side_px=256)
    assert photo.pixels.shape == (256, 192, 3) and photo.decode_scale == 0.5
    expected = cv2.resize(upright, (192, 256), interpolation=cv2.INTER_AREA)
    assert mean_abs_diff(photo.pixels, expected) <= 3.0


@pytest.mark.parametrize("name", ["a.png", "a.webp"])
def test_other_formats_ignore_min_long_side(tmp_path, upright, name):
    """Only JPEGs are decoded at a reduced size; PNG and WebP always come at full size."""
    photo = open_photo(save(Image.fromarray(upright), tmp_path / name), min_long_side_px=100)
    assert photo.pixels.shape == upright.shape and photo.decode_scale == 1.0


# --- colour modes ----------------------------------------------------------------------------


def gray_of(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def test_grayscale_is_replicated_to_three_channels(tmp_path, upright):
    """An 8-bit grayscale PNG gives R = G = B = the stored gray value."""
    gray = gray_of(upright)
    photo = open_photo(save(Image.fromarray(gray), tmp_path / "g.png"))
    np.testing.assert_array_equal(photo.pixels, np.repeat(gray[..., None], 3, axis=2))


@pytest.mark.parametrize("big_endian", [False, True])
def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path, upright, big_endian):
    """16-bit gray (PNG: I;16, TIFF: I;16B) is divided by 257: 257 * v comes back as exactly v."""
    gray = gray_of(upright)
    sixteen = gray.astype(">u2" if big_endian else "<u2") * 257
    path = save(Image.fromarray(sixteen), tmp_path / ("g.tif" if big_endian else "g.png"))
    photo = open_photo(path)
    np.testing.assert_array_equal(photo.pixels[..., 1], gray)


def test_32_bit_integer_gray_is_taken_as_16_bit(tmp_path, upright):
    """Mode I (how older Pillow reads 16-bit PNGs) is scaled like 16-bit data."""
    gray = gray_of(upright)
    path = save(Image.fromarray(gray.astype(np.int32) * 257), tmp_path / "i.tif")
    assert Image.open(path).mode == "I"
    np.testing.assert_array_equal(open_photo(path).pixels[..., 0], gray)


def test_16_bit_rgb_keeps_its_colours(tmp_path, upright):
    """A 16-bit RGB PNG gives the 8-bit colours within 1 level (no white-out)."""
    rng = np.random.default_rng(1)
    noise = rng.integers(-128, 128, upright.shape)  # below half a level of 8-bit
    sixteen = np.clip(upright * 257 + noise, 0, 65535).astype(np.uint16)
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), sixteen[..., ::-1])  # Pillow cannot write 16-bit RGB
    photo = open_photo(path)
    assert np.abs(photo.pixels.astype(int) - upright).max() <= 1


def test_float_image_in_0_1_is_scaled_to_255(tmp_path, upright):
    """A float (mode F) image with values in 0..1 gives round(255 * value)."""
    gray = gray_of(upright)
    path = save(Image.fromarray(gray.astype(np.float32) / 255), tmp_path / "f.tif")
    np.testing.assert_array_equal(open_photo(path).pixels[..., 2], gray)


def test_rgba_is_composited_on_white(tmp_path, upright):
    """RGBA gives colour * alpha + white * (1 - alpha), within 1 level; alpha 0 is pure white."""
    alpha = np.tile(np.linspace(0, 255, upright.shape[1]).astype(np.uint8), (upright.shape[0], 1))
    rgba = np.dstack([upright, alpha])
    photo = open_photo(save(Image.fromarray(rgba), tmp_path / "a.png"))
    a = alpha[..., None] / 255
    expected = upright * a + 255 * (1 - a)
    assert np.abs(photo.pixels - expected).max() <= 0.5 + 1e-9
    assert (photo.pixels[:, 0] == 255).all()


def test_gray_with_alpha_is_composited_on_white(tmp_path, upright):
    """LA behaves like RGBA: half-transparent black becomes mid gray (128)."""
    la = np.zeros((*upright.shape[:2], 2), np.uint8)
    la[..., 1] = 128
    photo = open_photo(save(Image.fromarray(la, "LA"), tmp_path / "la.png"))
    assert (photo.pixels == 127).all() or (photo.pixels == 128).all()


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_image_gives_its_colours(tmp_path, upright, transparent):
    """A palette PNG gives the palette colours; a transparent palette entry gives white."""
    palette = Image.fromarray(upright).quantize(64)
    options = {"transparency": 0} if transparent else {}
    photo = open_photo(save(palette, tmp_path / "p.png", **options))
    expected = np.asarray(palette.convert("RGB")).copy()
    if transparent:
        expected[np.asarray(palette) == 0] = 255
    np.testing.assert_array_equal(photo.pixels, expected)


def test_cmyk_jpeg_keeps_its_colours(tmp_path, upright):
    """A CMYK JPEG (Adobe, inverted) gives the original RGB colours (mean abs diff <= 3)."""
    path = save(Image.fromarray(upright).convert("CMYK"), tmp_path / "c.jpg", quality=95)
    photo = open_photo(path)
    assert photo.format == "JPEG"
    assert mean_abs_diff(photo.pixels, upright) <= 3.0


# --- errors ----------------------------------------------------------------------------------


def png_with_header_size(path: Path, width: int, height: int) -> Path:
    """A small real PNG whose IHDR claims width x height (CRC fixed), like a decompression bomb."""
    save(Image.new("1", (8, 8)), path)
    raw = bytearray(path.read_bytes())
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(raw[12:29]))
    path.write_bytes(raw)
    return path


def assert_photo_error(path, reason: str, **options) -> None:
    with pytest.raises(PhotoError) as caught:
        open_photo(path, **options)
    assert caught.value.reason == reason
    assert str(caught.value) == f"{path}: {reason}"


def test_missing_file(tmp_path):
    """A path that does not exist is a PhotoError 'file not found'."""
    assert_photo_error(tmp_path / "nope.jpg", "file not found")


def test_directory(tmp_path):
    """A directory is refused before Pillow sees it."""
    assert_photo_error(tmp_path, "is a directory, not a photo file")


def test_empty_file(tmp_path):
    """A 0-byte file is 'empty file'."""
    path = tmp_path / "e.jpg"
    path.touch()
    assert_photo_error(path, "empty file")


def test_text_file(tmp_path):
    """A text file named .jpg is 'not an image file (unrecognised format)'."""
    path = tmp_path / "t.jpg"
    path.write_text("this is not a photo\n")
    assert_photo_error(path, "not an image file (unrecognised format)")


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("t.jpg", "image file is truncated ("),  # "(N bytes not processed)" varies
        ("t.png", "image file is truncated"),
        ("t.webp", "could not create decoder object"),
    ],
)
def test_truncated_file(tmp_path, upright, name, detail):
    """The first third of a JPEG, PNG or WebP is an error, never a partly grey picture."""
    path = save(Image.fromarray(upright), tmp_path / name)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(PhotoError) as caught:
        open_photo(path)
    assert caught.value.reason.startswith(f"truncated or corrupt image data: {detail}")
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("h.png", b"\x89PNG\r\n\x1a\n"),
        ("h.jpg", b"\xff\xd8\xff\xe0"),
        ("h.heic", b"\0\0\0\x18ftypheic"),
    ],
)
def test_damaged_header_is_called_corrupt(tmp_path, name, start):
    """A file that starts like a PNG, JPEG or HEIC but that Pillow cannot identify is
    'truncated or corrupt', not 'not an image'."""
    path = tmp_path / name
    path.write_bytes(start + bytes(100))
    assert_photo_error(path, "truncated or corrupt image data: unreadable header")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    """A PNG claiming 40000 x 40000 pixels is refused from its header; no Pillow warning escapes."""
    path = png_with_header_size(tmp_path / "bomb.png", 40000, 40000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_photo_error(
            path,
            "image is 40000x40000 pixels (1600 MP), over the 210 MP limit; "
            "refusing to decode (decompression-bomb guard)",
        )


def test_pixel_limit_comes_from_settings(tmp_path, upright):
    """settings.max_image_pixels is the limit: 384 x 512 passes at 196608 and fails at 196607."""
    path = save(Image.fromarray(upright), tmp_path / "a.png")
    photo = open_photo(path, settings=Settings(max_image_pixels=384 * 512))
    assert photo.pixels.shape == (512, 384, 3)
    assert_photo_error(
        path,
        "image is 384x512 pixels (0.2 MP), over the 0.2 MP limit; "
        "refusing to decode (decompression-bomb guard)",
        settings=Settings(max_image_pixels=384 * 512 - 1),
    )


def test_pillow_limit_is_neither_used_nor_changed(tmp_path, upright, monkeypatch):
    """Pillow's own MAX_IMAGE_PIXELS neither refuses nor warns about an image under our limit,
    and is left as it was."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = save(Image.fromarray(upright), tmp_path / "a.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert open_photo(path).pixels.shape == upright.shape
    assert Image.MAX_IMAGE_PIXELS == 1000


def test_importing_changes_no_pillow_globals():
    """Importing tracker.photos registers no HEIF opener and changes no Pillow limits."""
    code = (
        "from PIL import Image, ImageFile\n"
        "def state():\n"
        "    return Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, sorted(Image.OPEN)\n"
        "before = state()\n"
        "import tracker.photos\n"
        "print(state() == before, 'HEIF' in Image.OPEN)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "False"]


# --- finding files ---------------------------------------------------------------------------


def test_find_photos_sorts_and_separates(tmp_path):
    """Folders expand recursively and sorted; suffixes match in any case; hidden files and
    other suffixes are returned as ignored; given order is kept and duplicates dropped."""
    for name in [
        "b/IMG_2.JPG",
        "b/c/x.heic",
        "a.Png",
        "b/notes.txt",
        "b/._IMG_2.JPG",
        ".cache/t.jpg",
        "z.webp",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    photos, ignored = find_photos([tmp_path / "z.webp", tmp_path, tmp_path / "a.Png"])
    rel = lambda paths: [p.relative_to(tmp_path).as_posix() for p in paths]  # noqa: E731
    assert rel(photos) == ["z.webp", "a.Png", "b/IMG_2.JPG", "b/c/x.heic"]
    assert rel(ignored) == [".cache/t.jpg", "b/._IMG_2.JPG", "b/notes.txt"]


def test_find_photos_accepts_one_path_and_keeps_missing_photos(tmp_path):
    """A single path is not iterated as characters; a missing photo is kept for open_photo."""
    assert find_photos(str(tmp_path / "gone.HEIF")) == ([tmp_path / "gone.HEIF"], [])
    assert SUPPORTED_SUFFIXES == (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp")


# --- the shared real photos ------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize(
    ("name", "orientation"),
    [("IMG_0002.JPG", 6), ("IMG_0003.JPG", 8), ("IMG_0004.JPG", 3), ("IMG_0005.HEIC", 1)],
)
def test_phone_files_are_the_same_upright_picture(name, orientation):
    """Phone files stored turned (EXIF 6, 8, 3) or as HEIC open as IMG_0001's upright 3024 x 4032
    picture: at 1/4 size, mean abs difference <= 1 level (measured 0.23 to 0.5)."""
    reference = open_photo(SHARED / "phone" / "IMG_0001.JPG", min_long_side_px=1000)
    photo = open_photo(SHARED / "phone" / name, min_long_side_px=1000)
    assert reference.pixels.shape == (1008, 756, 3)
    assert photo.original_size_px == (3024, 4032)
    assert photo.orientation == orientation
    pixels = photo.pixels
    if photo.format == "HEIF":  # decoded at full size
        pixels = cv2.resize(pixels, (756, 1008), interpolation=cv2.INTER_AREA)
    assert mean_abs_diff(pixels, reference.pixels) <= 1.0


@needs_shared
def test_phone_mirror_image_is_undone():
    """IMG_0006_mirrored with mirrored=True matches IMG_0001 (mean abs diff <= 1; measured 0.25),
    and without it does not (measured 35)."""
    reference = open_photo(SHARED / "phone" / "IMG_0001.JPG", min_long_side_px=1000).pixels
    path = SHARED / "phone" / "IMG_0006_mirrored.JPG"
    unmirrored = open_photo(path, min_long_side_px=1000, mirrored=True).pixels
    assert mean_abs_diff(unmirrored, reference) <= 1.0
    assert mean_abs_diff(open_photo(path, min_long_side_px=1000).pixels, reference) > 10.0


@needs_shared
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.jpg", "empty file"),
        ("not_an_image.jpg", "not an image file (unrecognised format)"),
        (
            "truncated.jpg",
            "truncated or corrupt image data: image file is truncated (10 bytes not processed)",
        ),
        (
            "bomb.png",
            "image is 40000x40000 pixels (1600 MP), over the 210 MP limit; "
            "refusing to decode (decompression-bomb guard)",
        ),
    ],
)
def test_shared_bad_files_give_one_line_errors(name, reason):
    """Each unreadable shared file is a PhotoError naming the file, with a one-line reason."""
    path = SHARED / "bad" / name
    with pytest.raises(PhotoError) as caught:
        open_photo(path)
    assert caught.value.reason == reason
    assert name in str(caught.value) and "\n" not in str(caught.value)


@needs_shared
@pytest.mark.parametrize(
    ("name", "compare", "tolerance"),
    [
        ("cmyk.jpg", "rgb", 1.5),  # measured 0.67
        ("grayscale.jpg", "gray", 1.5),  # measured 0.61
        ("gray16.png", "gray", 0.5),  # measured 0.0: exactly obama.jpg's 8-bit gray
        ("alpha.png", "alpha 200 on white", 0.5),  # measured 0.0
    ],
)
def test_shared_odd_modes_look_like_the_original(name, compare, tolerance):
    """cmyk, grayscale, gray16 and alpha (uniform alpha 200) open as obama.jpg: its RGB, its gray,
    or its RGB composited on white, within the stated mean abs difference (levels)."""
    source = Image.open(SHARED / "real" / "people" / "obama" / "obama.jpg")
    rgb = np.asarray(source.convert("RGB")).astype(np.float64)
    expected = {
        "rgb": rgb,
        "gray": np.repeat(np.asarray(source.convert("L"))[..., None], 3, axis=2),
        "alpha 200 on white": np.rint((rgb * 200 + 255 * 55) / 255),
    }[compare]
    photo = open_photo(SHARED / "bad" / name)
    assert mean_abs_diff(photo.pixels, expected) <= tolerance
