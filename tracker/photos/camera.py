"""The pinhole camera of a photo: its focal length in pixels of the analysed image, from EXIF.

A focal length in pixels turns a size on the image into a distance from the camera: an iris
of known diameter D (mm) seen d px wide by a camera of focal length f (px) is Z = f * D / d
from it (``camera_distance_mm``).

The focal length is taken, in this order, from

1. EXIF ``FocalLengthIn35mmFilm`` (tag 0xA405), the "exif-35mm" source;
2. EXIF ``FocalLength`` (0x920A) with the sensor size from ``FocalPlaneXResolution``,
   ``FocalPlaneYResolution`` and ``FocalPlaneResolutionUnit`` (0xA20E, 0xA20F, 0xA210) and
   the image's pixel size, the "exif-focal-plane" source;
3. a typical phone front camera (``DEFAULT_FRONT_CAMERA_35MM``), "default-front-camera".

A 35 mm-equivalent focal length is defined on the diagonal: a lens of f35 mm gives the field
of view, across the image diagonal, of a lens of f35 mm on a 36 x 24 mm frame (diagonal
43.267 mm). So f_px = f35 / 43.267 * hypot(W, H) for an image of W x H pixels, whatever its
orientation and whatever reduced size it was decoded at. Values that cannot be right (zero,
negative, over ``MAX_PLAUSIBLE_35MM``) fall through to the next source, and
``Camera.notes`` says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tracker.types import Camera

# hypot(36, 24): the diagonal of the 35 mm film frame.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)
# Phone front ("selfie") cameras are wide: their 35 mm-equivalent focal lengths are 20-32 mm.
# Apple's TrueDepth front camera records 32 mm in the EXIF of iPhone X/XS photos (2.87 mm
# lens) and 23 mm (2.71 mm lens) at the full 12 MP field of iPhone 11 and later. Google lists
# the Pixel 3's standard front camera at 75 deg (diagonal field of view, so 28 mm), the
# Pixel 4's at 90 deg (22 mm) and the Pixel 7's at 92.8 deg (20.5 mm); Samsung's S-series
# front cameras are sold as 26 mm. 26 mm is the middle of that range: a phone that is really
# 23 or 30 mm puts every distance 12-15 % too far or too near, alike for all of one person's
# photos, so comparisons with the person's usual distance are unaffected.
DEFAULT_FRONT_CAMERA_35MM = 26.0
# A phone's front camera is never a telephoto: an equivalent focal length beyond 200 mm is a
# bad tag (some apps write the value scaled by the image's reduction, e.g. 177 mm for a
# 480 x 640 iPhone photo).
MAX_PLAUSIBLE_35MM = 200.0
FOCAL_SOURCES = ("exif-35mm", "exif-focal-plane", "default-front-camera")

EXIF_IFD = 0x8769
FOCAL_LENGTH_35MM_TAG = 0xA405
FOCAL_LENGTH_TAG = 0x920A
FOCAL_PLANE_X_RESOLUTION_TAG = 0xA20E
FOCAL_PLANE_Y_RESOLUTION_TAG = 0xA20F
FOCAL_PLANE_RESOLUTION_UNIT_TAG = 0xA210
# FocalPlaneResolutionUnit -> millimetres per unit. EXIF defines 1 (none), 2 (inch) and
# 3 (cm); 4 (mm) and 5 (um) are used by DNG and some cameras.
_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}


def focal_length_px(focal_length_35mm: float, image_size_px: tuple[int, int]) -> float:
    """The focal length in pixels of an image of ``(width, height)`` pixels.

    Examples
    --------
    >>> round(focal_length_px(26.0, (3000, 4000)), 1)
    3004.6
    >>> focal_length_px(26.0, (1500, 2000)) == focal_length_px(26.0, (3000, 4000)) / 2
    True
    """
    width, height = image_size_px
    return float(focal_length_35mm) / FULL_FRAME_DIAGONAL_MM * math.hypot(width, height)


def default_camera(image_size_px: tuple[int, int], *, notes: tuple[str, ...] = ()) -> Camera:
    """The typical phone front camera (``DEFAULT_FRONT_CAMERA_35MM``) for an image of
    ``(width, height)`` pixels."""
    return Camera(
        focal_length_px(DEFAULT_FRONT_CAMERA_35MM, image_size_px),
        DEFAULT_FRONT_CAMERA_35MM,
        "default-front-camera",
        notes,
    )


def principal_point_px(
    focal_source: str | None, image_size_px: tuple[int, int] | None
) -> tuple[float, float]:
    """The principal point to assume: the image centre for a focal length read from EXIF (a
    camera's own file, most likely uncropped), else unknown (NaN, NaN), and the face's eyes
    stand in for it (see ``tracker.metrics.frame``: either wrong assumption costs about
    2.5 (offset / f)^2 of a height)."""
    if focal_source and focal_source.startswith("exif") and image_size_px and all(image_size_px):
        width, height = image_size_px
        return (width - 1) / 2.0, (height - 1) / 2.0
    return float("nan"), float("nan")


def camera_from_exif(
    exif_ifd: Mapping[int, object] | None,
    *,
    stored_size_px: tuple[int, int],
    image_size_px: tuple[int, int],
) -> Camera:
    """The camera of a photo from the tags of its EXIF sub-IFD (0x8769).

    Parameters
    ----------
    exif_ifd : mapping of tag -> value, or None
        The EXIF sub-IFD (``PIL.Image.Exif.get_ifd(0x8769)``); None or empty when the file
        has no EXIF.
    stored_size_px : (int, int)
        The full-size (width, height) of the image as stored, before any orientation is
        applied: the size the focal-plane resolution refers to.
    image_size_px : (int, int)
        The (width, height) of the analysed image (upright, possibly decoded at a reduced
        size): the image the focal length in pixels is for.

    Returns
    -------
    Camera
        With ``focal_source`` "exif-35mm", "exif-focal-plane" or "default-front-camera", and
        ``notes`` saying why a tag that was present could not be used.
    """
    tags = exif_ifd or {}
    notes: list[str] = []
    f35 = _number(tags.get(FOCAL_LENGTH_35MM_TAG))
    if f35 is not None:
        why = _implausible(f35)
        if why is None:
            return Camera(focal_length_px(f35, image_size_px), f35, "exif-35mm", tuple(notes))
        notes.append(f"EXIF FocalLengthIn35mmFilm {f35:g} mm {why}")
    f_mm = _number(tags.get(FOCAL_LENGTH_TAG))
    if f_mm is not None:
        f35, why = _from_focal_plane(f_mm, tags, stored_size_px)
        if f35 is not None and why is None:
            return Camera(
                focal_length_px(f35, image_size_px), f35, "exif-focal-plane", tuple(notes)
            )
        if why is not None:
            notes.append(why)
    return default_camera(image_size_px, notes=tuple(notes))


def read_camera(
    image, *, stored_size_px: tuple[int, int], image_size_px: tuple[int, int]
) -> Camera:
    """The camera of an open PIL image (its EXIF read, a broken EXIF block noted and the
    default used); see ``camera_from_exif``."""
    try:
        ifd = image.getexif().get_ifd(EXIF_IFD)
    except Exception as error:  # a damaged EXIF block must not cost the photo
        note = f"EXIF unreadable ({type(error).__name__}): focal length not read"
        return default_camera(image_size_px, notes=(note,))
    return camera_from_exif(ifd, stored_size_px=stored_size_px, image_size_px=image_size_px)


def camera_distance_mm(iris_diameter_px, focal_length_px, iris_diameter_mm: float = 11.71):
    """Distance from the camera to the irises, Z = f * D / d (pinhole camera).

    Parameters
    ----------
    iris_diameter_px : float or array
        The iris's visible diameter on the image, in pixels.
    focal_length_px : float or array
        The focal length in pixels of the same image.
    iris_diameter_mm : float
        The iris's true diameter (default: the adult mean, 11.71 mm; Ruefer et al. 2005).

    Returns
    -------
    float or array
        Millimetres; NaN where the iris diameter is not positive.

    Examples
    --------
    >>> camera_distance_mm(30.0, 1000.0)
    390.3333333333333
    """
    import numpy as np

    d = np.asarray(iris_diameter_px, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(
            d > 0, np.asarray(focal_length_px, dtype=np.float64) * iris_diameter_mm / d, np.nan
        )
    return float(z) if z.ndim == 0 else z


def _from_focal_plane(
    f_mm: float, tags: Mapping[int, object], stored_size_px: tuple[int, int]
) -> tuple[float | None, str | None]:
    """(35 mm-equivalent focal length, None), or (None, the reason it cannot be had)."""
    if not f_mm > 0:
        return None, f"EXIF FocalLength {f_mm:g} mm is not positive"
    x_res = _number(tags.get(FOCAL_PLANE_X_RESOLUTION_TAG))
    y_res = _number(tags.get(FOCAL_PLANE_Y_RESOLUTION_TAG))
    unit = _number(tags.get(FOCAL_PLANE_RESOLUTION_UNIT_TAG))
    unit_mm = _UNIT_MM.get(int(unit)) if unit is not None and unit == int(unit) else None
    if x_res is None or y_res is None:
        return None, (
            f"EXIF FocalLength {f_mm:g} mm without the focal-plane resolution: sensor size unknown"
        )
    if unit is None or unit_mm is None:
        return None, (
            f"EXIF FocalLength {f_mm:g} mm with focal-plane resolution unit "
            f"{'missing' if unit is None else f'{unit:g}'}: sensor size unknown"
        )
    if not (x_res > 0 and y_res > 0):
        return None, f"EXIF focal-plane resolution {x_res:g} x {y_res:g} is not positive"
    width, height = stored_size_px
    sensor_diagonal_mm = math.hypot(width / x_res, height / y_res) * unit_mm
    f35 = f_mm * FULL_FRAME_DIAGONAL_MM / sensor_diagonal_mm
    why = _implausible(f35)
    if why is not None:
        return None, (
            f"EXIF FocalLength {f_mm:g} mm on a {sensor_diagonal_mm:.3g} mm sensor "
            f"diagonal gives {f35:.3g} mm equivalent, which {why}"
        )
    return f35, None


def _implausible(f35: float) -> str | None:
    """Why a 35 mm-equivalent focal length cannot be a phone's, or None."""
    if not f35 > 0:
        return "is not positive"
    if f35 > MAX_PLAUSIBLE_35MM:
        return f"is over {MAX_PLAUSIBLE_35MM:g} mm"
    return None


def _number(value) -> float | None:
    """A finite float from an EXIF value (int, IFDRational, a one-element tuple), or None."""
    if isinstance(value, (tuple, list)):
        value = value[0] if len(value) == 1 else None
    if value is None or isinstance(value, (bytes, str)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def read_camera_of_file(path, image_size_px: tuple[int, int]) -> Camera:
    """The camera of a photo file, from its EXIF alone (no pixel is decoded).

    For stored photos measured before the camera was recorded: ``image_size_px`` is the size
    of the image that was analysed. A file that cannot be opened gives the default camera with
    a note saying why.
    """
    from pathlib import Path

    from tracker.photos.reading import _open_without_pil_limit, _register_heif_opener

    try:
        _register_heif_opener()
        with _open_without_pil_limit(Path(path)) as image:
            return read_camera(image, stored_size_px=image.size, image_size_px=image_size_px)
    except Exception as error:  # a missing or damaged file must not stop a remeasure
        reason = getattr(error, "strerror", None) or type(error).__name__
        return default_camera(
            image_size_px, notes=(f"photo file unreadable ({reason}): focal length not read",)
        )
