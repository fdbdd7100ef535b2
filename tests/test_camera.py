"""Tests of tracker.photos.camera: the focal length from EXIF or the default, and the camera
distance from the iris.

Every photo is a synthetic JPEG (grey, or the astronaut) whose EXIF is written with Pillow, so
the expected focal length follows from the tags by hand: f_px = f35 / 43.267 * hypot(W, H).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tracker.photos import open_photo
from tracker.photos.camera import (
    DEFAULT_FRONT_CAMERA_35MM,
    camera_distance_mm,
    camera_from_exif,
    focal_length_px,
)

DIAGONAL_35MM = math.hypot(36.0, 24.0)  # 43.267 mm
# the held-out phone photos (read here, never tuned on); $FACETRACK_SHARED_FACES overrides
SHARED = Path(
    os.environ.get(
        "FACETRACK_SHARED_FACES", Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
    )
)
needs_shared = pytest.mark.skipif(
    not (SHARED / "phone").is_dir(),
    reason="../shared/faces/phone not found: the real phone-photo test needs the shared photos",
)


def exif(*, f35=None, focal_mm=None, plane_px_per_unit=None, unit=None, orientation=None):
    """EXIF with the given focal-length tags in the EXIF sub-IFD."""
    data = Image.Exif()
    ifd = data.get_ifd(0x8769)
    if f35 is not None:
        ifd[0xA405] = f35
    if focal_mm is not None:
        ifd[0x920A] = IFDRational(*focal_mm)
    if plane_px_per_unit is not None:
        ifd[0xA20E] = IFDRational(plane_px_per_unit[0])
        ifd[0xA20F] = IFDRational(plane_px_per_unit[1])
    if unit is not None:
        ifd[0xA210] = unit
    if orientation is not None:
        data[0x0112] = orientation
    return data


def grey_jpeg(path, size=(400, 300), **tags):
    """A flat grey JPEG of ``size`` (width, height) stored pixels with the given EXIF tags."""
    width, height = size
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(
        path, quality=90, exif=exif(**tags)
    )
    return path


def test_focal_length_in_35mm_film_gives_the_focal_length_on_the_diagonal(tmp_path):
    """FocalLengthIn35mmFilm 26 mm on a 400 x 300 image: f = 26 / 43.267 * 500 px."""
    photo = open_photo(grey_jpeg(tmp_path / "a.jpg", f35=26))
    camera = photo.camera
    assert camera.focal_source == "exif-35mm"
    assert camera.focal_length_35mm == 26
    assert camera.focal_length_px == pytest.approx(26 / DIAGONAL_35MM * 500, rel=1e-12)
    assert camera.focal_length_px == pytest.approx(300.4626, abs=1e-4)
    assert camera.notes == ()


def test_focal_plane_resolution_gives_the_sensor_size(tmp_path):
    """FocalLength 2.71 mm, 80 px per mm on both axes of a 400 x 300 image: a 5 x 3.75 mm
    sensor (diagonal 6.25 mm), so 2.71 x 43.267 / 6.25 = 18.76 mm equivalent and
    2.71 mm x 80 px/mm = 216.8 px."""
    photo = open_photo(
        grey_jpeg(tmp_path / "a.jpg", focal_mm=(271, 100), plane_px_per_unit=(80, 80), unit=4)
    )
    camera = photo.camera
    assert camera.focal_source == "exif-focal-plane"
    assert camera.focal_length_35mm == pytest.approx(2.71 * DIAGONAL_35MM / 6.25, rel=1e-12)
    assert camera.focal_length_px == pytest.approx(216.8, rel=1e-12)


def test_focal_plane_resolution_in_inches_and_centimetres(tmp_path):
    """The resolution unit converts: 2032 px per inch = 800 px per cm = 80 px per mm."""
    for unit, per_unit in ((2, 2032), (3, 800)):
        photo = open_photo(
            grey_jpeg(
                tmp_path / f"u{unit}.jpg",
                focal_mm=(271, 100),
                plane_px_per_unit=(per_unit, per_unit),
                unit=unit,
            )
        )
        assert photo.camera.focal_source == "exif-focal-plane"
        assert photo.camera.focal_length_px == pytest.approx(216.8, rel=1e-12)


def test_without_focal_length_tags_the_default_front_camera_is_used(tmp_path):
    """A JPEG without focal-length tags, a PNG and a WebP without EXIF: the 26 mm default."""
    jpeg = open_photo(grey_jpeg(tmp_path / "a.jpg"))
    image = Image.fromarray(np.full((300, 400, 3), 128, np.uint8))
    image.save(tmp_path / "b.png")
    image.save(tmp_path / "c.webp")
    expected = DEFAULT_FRONT_CAMERA_35MM / DIAGONAL_35MM * 500
    for photo in (jpeg, open_photo(tmp_path / "b.png"), open_photo(tmp_path / "c.webp")):
        assert photo.camera.focal_source == "default-front-camera", photo.path
        assert photo.camera.focal_length_35mm == DEFAULT_FRONT_CAMERA_35MM
        assert photo.camera.focal_length_px == pytest.approx(expected, rel=1e-12)
        assert photo.camera.notes == ()


def test_heic_exif_is_read(tmp_path):
    """A HEIC file's EXIF gives its focal length like a JPEG's."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    path = tmp_path / "a.heic"
    Image.fromarray(np.full((300, 400, 3), 128, np.uint8)).save(path, exif=exif(f35=24))
    camera = open_photo(path).camera
    assert camera.focal_source == "exif-35mm"
    assert camera.focal_length_px == pytest.approx(24 / DIAGONAL_35MM * 500, rel=1e-12)


@pytest.mark.parametrize(
    "f35, why",
    [
        (0, "EXIF FocalLengthIn35mmFilm 0 mm is not positive"),
        (250, "EXIF FocalLengthIn35mmFilm 250 mm is over 200 mm"),
    ],
)
def test_implausible_35mm_value_falls_through_to_the_focal_plane(tmp_path, f35, why):
    """A 35 mm-equivalent of 0 or over 200 mm is not used: the focal plane gives the focal
    length, and the note says why the tag was passed over."""
    photo = open_photo(
        grey_jpeg(
            tmp_path / "a.jpg", f35=f35, focal_mm=(271, 100), plane_px_per_unit=(80, 80), unit=4
        )
    )
    assert photo.camera.focal_source == "exif-focal-plane"
    assert photo.camera.focal_length_px == pytest.approx(216.8, rel=1e-12)
    assert photo.camera.notes == (why,)


def test_unusable_focal_plane_falls_through_to_the_default():
    """A focal length without its focal-plane resolution, with an unknown unit, or one whose
    equivalent is over 200 mm leaves the default, each with its reason."""
    size = {"stored_size_px": (400, 300), "image_size_px": (400, 300)}
    cases = [
        (
            {0x920A: 2.71},
            "EXIF FocalLength 2.71 mm without the focal-plane resolution: sensor size unknown",
        ),
        (
            {0x920A: 2.71, 0xA20E: 80.0, 0xA20F: 80.0, 0xA210: 1},
            "EXIF FocalLength 2.71 mm with focal-plane resolution unit 1: sensor size unknown",
        ),
        ({0x920A: -4.0}, "EXIF FocalLength -4 mm is not positive"),
        # 800 px per mm: a 0.625 mm sensor diagonal, 188 mm equivalent; 8000: 1876 mm
        (
            {0x920A: 2.71, 0xA20E: 8000.0, 0xA20F: 8000.0, 0xA210: 4},
            "EXIF FocalLength 2.71 mm on a 0.0625 mm sensor diagonal gives 1.88e+03 mm "
            "equivalent, which is over 200 mm",
        ),
    ]
    for tags, why in cases:
        camera = camera_from_exif(tags, **size)
        assert camera.focal_source == "default-front-camera"
        assert camera.notes == (why,)
    assert camera_from_exif(None, **size).notes == ()


def test_orientation_6_and_a_half_size_decode_keep_the_diagonal(tmp_path):
    """A 4000 x 3000 JPEG stored sideways (orientation 6) is analysed upright at 1500 x 2000
    (half size): the focal length is that of the half-size diagonal, half the full size's,
    and the focal-plane sensor size is read on the stored (unrotated) axes."""
    path = grey_jpeg(tmp_path / "a.jpg", size=(4000, 3000), f35=26, orientation=6)
    half = open_photo(path, min_long_side_px=2000)
    full = open_photo(path, min_long_side_px=None)
    assert half.pixels.shape[:2] == (2000, 1500) and half.decode_scale == 0.5
    assert full.pixels.shape[:2] == (4000, 3000)
    assert full.camera.focal_length_px == pytest.approx(26 / DIAGONAL_35MM * 5000, rel=1e-12)
    assert half.camera.focal_length_px == pytest.approx(full.camera.focal_length_px / 2, rel=1e-12)
    # a sensor 5 x 2.5 mm (800 px/mm across, 1200 px/mm down the stored image): only the
    # stored axes give its 5.590 mm diagonal
    plane = grey_jpeg(
        tmp_path / "b.jpg",
        size=(4000, 3000),
        focal_mm=(4, 1),
        plane_px_per_unit=(800, 1200),
        unit=4,
        orientation=6,
    )
    camera = open_photo(plane, min_long_side_px=2000).camera
    assert camera.focal_length_35mm == pytest.approx(
        4 * DIAGONAL_35MM / math.hypot(5, 2.5), rel=1e-12
    )


def test_focal_length_px_scales_with_the_diagonal():
    """The same lens on an image twice the size is twice as long in pixels; portrait and
    landscape agree."""
    assert focal_length_px(26, (3000, 4000)) == focal_length_px(26, (4000, 3000))
    assert focal_length_px(26, (3000, 4000)) == pytest.approx(
        2 * focal_length_px(26, (1500, 2000)), rel=1e-15
    )
    assert focal_length_px(DIAGONAL_35MM, (30, 40)) == pytest.approx(50.0, rel=1e-15)


def test_camera_distance_is_focal_times_iris_over_its_image():
    """Z = f D / d: an 11.71 mm iris 30 px wide through a 1000 px lens is 390.33 mm away;
    twice as far, half as wide; a zero or negative width gives NaN."""
    assert camera_distance_mm(30.0, 1000.0) == pytest.approx(1000 * 11.71 / 30, rel=1e-15)
    assert camera_distance_mm(15.0, 1000.0) == pytest.approx(2 * 390.3333333, rel=1e-9)
    assert camera_distance_mm(30.0, 1000.0, iris_diameter_mm=12.0) == pytest.approx(400.0)
    distances = camera_distance_mm(np.array([30.0, 0.0, -1.0]), 1000.0)
    assert distances[0] == pytest.approx(390.3333333) and np.isnan(distances[1:]).all()


def test_measured_camera_distance_follows_the_face_size(tmp_path):
    """The real model on the astronaut at two sizes in the same 1024 x 1024 frame, with a
    28 mm lens: the face shrunk to 1/1.6 of its size is 1.6 times as far (within 3 %), and the
    distance equals f x 11.71 mm / the iris the scale came from."""
    import cv2
    from skimage import data

    from tracker.pipeline import measure_photo

    face = data.astronaut()  # 512 x 512
    distances = []
    for name, factor in (("near", 2.0), ("far", 1.25)):
        big = cv2.resize(face, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        canvas = np.full((1024, 1024, 3), 200, np.uint8)
        h, w = big.shape[:2]
        canvas[:h, (1024 - w) // 2 : (1024 - w) // 2 + w] = big[:1024]
        path = tmp_path / f"{name}.jpg"
        Image.fromarray(canvas).save(path, quality=95, exif=exif(f35=28))
        result, photo = measure_photo(path)
        assert result.measurement is not None, result.reasons
        assert photo.camera.focal_source == "exif-35mm"
        measurement = result.measurement
        assert measurement.focal_source == "exif-35mm"
        expected_f = 28 / DIAGONAL_35MM * math.hypot(1024, 1024)
        assert result.camera.focal_length_px == pytest.approx(expected_f)
        # the iris scale: scale = 11.71 / iris, so Z = f x scale
        assert measurement.camera_distance_mm == pytest.approx(
            expected_f * measurement.scale_mm_per_px, rel=1e-12
        )
        distances.append(measurement.camera_distance_mm)
    near, far = distances
    assert far / near == pytest.approx(1.6, rel=0.03)


@needs_shared
def test_phone_selfies_are_taken_at_arms_length():
    """Every real phone photo that opens gets a camera from one of the three sources, and
    those measured put the camera 15-100 cm from the eyes (hand-held selfies: arm's length or
    nearer)."""
    from tracker.photos import FOCAL_SOURCES, find_photos
    from tracker.pipeline import measure_photo

    files, _ = find_photos(SHARED / "phone")
    measured = 0
    for path in files:
        result, photo = measure_photo(path)
        if photo is None:
            continue
        assert photo.camera.focal_source in FOCAL_SOURCES
        if result.measurement is not None:
            measured += 1
            distance = result.measurement.camera_distance_mm
            print(
                f"{path.name}: {photo.camera.focal_source} "
                f"{photo.camera.focal_length_35mm:.1f} mm equiv, {distance / 10:.1f} cm "
                f"{'; '.join(photo.camera.notes)}"
            )
            assert 150 < distance < 1000, path.name
    assert measured >= 1
