"""Find photo files and open them as upright RGB arrays: formats, orientation, size guard."""

from __future__ import annotations

import functools
import os
import stat
import struct
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from tracker.errors import PhotoError
from tracker.photos.camera import read_camera
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Photo

SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp")

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> (transpose, flip rows, flip columns) that turns the stored pixels upright.
_UPRIGHT = {
    1: (False, False, False),
    2: (False, False, True),
    3: (False, True, True),
    4: (False, True, False),
    5: (True, False, False),
    6: (True, False, True),
    7: (True, True, True),
    8: (True, True, False),
}
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
# What PIL and its plugins raise on damaged input (PIL itself catches the same set while
# probing formats); pillow_heif adds RuntimeError.
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    RuntimeError,
    MemoryError,
)
# Image.MAX_IMAGE_PIXELS is process-wide: only one of our calls at a time may change it.
_PIL_LIMIT_LOCK = threading.Lock()


def find_photos(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[Path]]:
    """Expand files and folders into the photo files to open and the other files.

    Folders are searched recursively and listed in sorted order; the given order of the
    paths is kept and duplicates are dropped. A file is a photo when its suffix (in any case)
    is one of ``SUPPORTED_SUFFIXES``. Inside folders, hidden files and hidden folders (names
    starting with ".", such as macOS "._IMG_0001.JPG" resource forks) count as other files.
    A path that is not a folder is classified by its suffix alone, so that a missing photo is
    reported by `open_photo` rather than silently skipped.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders.

    Returns
    -------
    photos, ignored : list of Path
        Photo files, and every other file found.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    photos: dict[Path, None] = {}
    ignored: dict[Path, None] = {}
    for root in map(Path, paths):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            hidden = any(part.startswith(".") for part in file.relative_to(root).parts)
            is_photo = not hidden and file.suffix.lower() in SUPPORTED_SUFFIXES
            (photos if is_photo else ignored)[file] = None
    return list(photos), list(ignored)


def open_photo(
    path: str | os.PathLike[str],
    *,
    mirrored: bool = False,
    min_long_side_px: int | None = DEFAULT_SETTINGS.decode_min_long_side_px,
    settings: Settings = DEFAULT_SETTINGS,
) -> Photo:
    """Open a photo as an upright (H, W, 3) uint8 RGB array.

    Reads JPEG, PNG, HEIC/HEIF, WebP and whatever else Pillow reads. The header size is checked
    against ``settings.max_image_pixels`` before any pixel is decoded. The EXIF orientation is
    applied (for HEIF, libheif has already applied the container's rotation). Grayscale,
    palette, CMYK, 16-bit and float images are converted to 8-bit RGB; transparent ones are
    composited on white.

    Parameters
    ----------
    path : path
        The image file.
    mirrored : bool
        Flip left-right after orientation, to undo a front camera's mirror image.
    min_long_side_px : int or None
        Decode JPEGs at 1/2, 1/4 or 1/8 size (libjpeg DCT scaling, much faster) as long as the
        long side stays at least this many pixels; None decodes at full size. Other formats
        are always decoded at full size. The default is
        ``DEFAULT_SETTINGS.decode_min_long_side_px``; pass ``settings.decode_min_long_side_px``
        explicitly when using other settings.
    settings : Settings
        Source of ``max_image_pixels``.

    Returns
    -------
    Photo
        ``pixels`` is read-only. ``decode_scale`` is the exact DCT scale (1, 1/2, 1/4 or 1/8):
        a stored pixel (x, y) maps to ((x + 0.5) * scale - 0.5, ...) in ``pixels``.
        ``original_size_px`` is the upright full-size (width, height) and ``orientation`` the
        EXIF orientation found (1 when absent or invalid). ``camera`` holds the focal length
        in pixels of ``pixels`` (from EXIF, else a typical phone front camera: see
        :mod:`tracker.photos.camera`).

    Raises
    ------
    PhotoError
        With a one-line reason when the file is missing, a directory, empty, not an image,
        truncated or corrupt, or over the pixel limit.
    """
    path = Path(path)
    _check_is_file(path)
    _register_heif_opener()
    size = None
    try:
        with _open_without_pil_limit(path) as image:
            size = image.size
            if size[0] * size[1] > settings.max_image_pixels:
                raise PhotoError(path, _bomb_reason(size, settings.max_image_pixels))
            scale = _start_reduced_decode(image, min_long_side_px)
            image.load()
            # After load: PNG keeps EXIF that follows the image data, and reading it earlier
            # would load the image before any reduced decode is set up.
            orientation = _exif_orientation(image)
            pixels = _to_rgb(image)
            # the analysed image's diagonal is the same upright or not
            camera = read_camera(
                image, stored_size_px=size, image_size_px=(pixels.shape[1], pixels.shape[0])
            )
            image_format = image.format or "unknown"
            # pillow_heif resets the EXIF orientation it has applied and keeps the original.
            reported_orientation = image.info.get("original_orientation") or orientation
    except Image.DecompressionBombError:
        # Raised by a plugin while loading (the check in Image.open is switched off).
        raise PhotoError(path, _bomb_reason(size, settings.max_image_pixels)) from None
    except UnidentifiedImageError as error:
        raise PhotoError(path, _unidentified_reason(path)) from error
    except _DECODE_ERRORS as error:
        raise PhotoError(path, _decode_error_reason(error)) from error

    transpose, flip_rows, flip_columns = _UPRIGHT[orientation]
    if transpose:
        pixels = pixels.transpose(1, 0, 2)
        size = size[::-1]
    if flip_rows:
        pixels = pixels[::-1]
    if flip_columns != mirrored:
        pixels = pixels[:, ::-1]
    pixels = np.ascontiguousarray(pixels)
    pixels.flags.writeable = False
    return Photo(
        path=path,
        pixels=pixels,
        original_size_px=(size[0], size[1]),
        decode_scale=scale,
        format=image_format,
        orientation=reported_orientation if reported_orientation in _UPRIGHT else 1,
        mirrored=mirrored,
        camera=camera,
    )


def _check_is_file(path: Path) -> None:
    """Raise PhotoError unless ``path`` is a non-empty regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise PhotoError(path, "file not found") from None
    except OSError as error:
        raise PhotoError(path, f"cannot read file: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise PhotoError(path, "is a directory, not a photo file")
    if not stat.S_ISREG(info.st_mode):
        raise PhotoError(path, "not a regular file")
    if info.st_size == 0:
        raise PhotoError(path, "empty file")


@functools.cache
def _register_heif_opener() -> None:
    """Teach Pillow to read HEIC/HEIF, once, on first use (libheif is not loaded at import)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


@contextmanager
def _open_without_pil_limit(path: Path) -> Iterator[Image.Image]:
    """Open ``path`` lazily (header only) with Pillow's own pixel limit switched off.

    Image.open warns above MAX_IMAGE_PIXELS (default 89 MP) and refuses above twice that,
    which would reject real 200 MP phone photos; the caller checks its own limit instead.
    Only the header is read while the limit is off.
    """
    with _PIL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    with image:
        yield image


def _bomb_reason(size: tuple[int, int] | None, limit: int) -> str:
    if size is None:
        dims = "too large"
    else:
        dims = f"{size[0]}x{size[1]} pixels ({_megapixels(size[0] * size[1])} MP)"
    return (
        f"image is {dims}, over the {_megapixels(limit)} MP limit; "
        "refusing to decode (decompression-bomb guard)"
    )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.0f}" if pixels >= 10e6 else f"{pixels / 1e6:.2g}"


def _unidentified_reason(path: Path) -> str:
    # A damaged header makes Pillow give up identifying the file; say so when the file starts
    # like one of the formats we read, rather than calling it "not an image".
    try:
        with path.open("rb") as file:
            head = file.read(12)
    except OSError:
        head = b""
    looks_like_image = (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[4:8] == b"ftyp"
    )
    if looks_like_image:
        return "truncated or corrupt image data: unreadable header"
    return "not an image file (unrecognised format)"


def _decode_error_reason(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "not enough memory to decode the image"
    if isinstance(error, OSError) and error.errno is not None:
        return f"cannot read file: {error.strerror or error}"
    message = " ".join(str(error).split()) or type(error).__name__
    return f"truncated or corrupt image data: {message}"


def _exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8), or 1 when absent or invalid."""
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS:
        # A broken EXIF block should not cost the picture.
        return 1
    return value if value in _UPRIGHT else 1


def _start_reduced_decode(image: Image.Image, min_long_side_px: int | None) -> float:
    """Ask libjpeg for the smallest 1/2, 1/4 or 1/8 size whose long side is still at least
    ``min_long_side_px``; return the resulting scale (1.0 when not reduced)."""
    # Only libjpeg can decode at a reduced size (MPO is JPEG with extra frames). Other drafts
    # differ: pillow_heif's would swap in an embedded thumbnail.
    if min_long_side_px is None or image.format not in ("JPEG", "MPO"):
        return 1.0
    width, height = image.size
    long_side = max(width, height)
    # libjpeg's output size at 1/n is ceil(size / n).
    factor = next((n for n in (8, 4, 2) if -(-long_side // n) >= min_long_side_px), 1)
    if factor == 1:
        return 1.0
    # Pillow picks the largest n with n <= size // requested in both directions.
    drafted = image.draft("RGB", (max(1, width // factor), max(1, height // factor)))
    if drafted is None:
        return 1.0
    _, box = drafted
    return box[2] / width  # exactly 1/n: the box is the stored size divided by n


def _to_rgb(image: Image.Image) -> np.ndarray:
    """Pixels of a loaded image as (H, W, 3) uint8 RGB."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # PNG stores 16-bit samples over the full 0..65535 range (the PNG spec scales lower
        # bit depths up); Pillow's convert() would clip them at 255 and give a white picture.
        gray = (np.asarray(image).astype(np.int32).clip(0, 65535) + 128) // 257
    elif image.mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32))
        # Float images are usually 0..1; otherwise take Pillow's 0..255 convention.
        if values.size and values.max() <= 1.0:
            values = values * 255
        gray = np.rint(values.clip(0, 255))
    elif "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA")).astype(np.uint16)
        alpha = rgba[..., 3:]
        # Composite on white, rounding: (c * a + 255 * (255 - a)) / 255 never exceeds 255.
        return ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    else:
        # CMYK JPEGs come out right: Pillow reads them with Adobe's inverted convention.
        return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return np.repeat(gray.astype(np.uint8)[..., None], 3, axis=2)
