"""Measurement accuracy of the whole pipeline on skimage's astronaut (no shared files needed).

The astronaut (512 x 512) is a real photograph of a small face: an iris of about 8 px, smiling
with an open mouth. Three times upscaled (bicubic) the iris is about 24 px, enough for the
brow-edge refinement, and it is the image the known warps are applied to:

- a brow lift of known size (``tracker.warps.brow_lift``), with the scale held fixed, must be
  read at its true size, and must leave the other brow where it was;
- an in-plane rotation of known angle must come back as the roll and change no metric much;
- the quality checks must name what was done to the picture (blur, darkening, a crop, a
  downscale, no face at all).

Every tolerance is stated in its test's docstring with the values measured when it was set.
The measurements are made once per module (fixtures); the file runs in a few seconds.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage import data

from tracker.landmarks import indices as ix
from tracker.metrics.geometry import METRIC_NAMES
from tracker.pipeline import measure_pixels
from tracker.types import PhotoResult, ReasonCode
from tracker.validation import depth_gain
from tracker.warps import brow_lift

UPSCALE = 3
LIFTS_MM = (1.0, 2.0, 3.0)
ROTATIONS_DEG = (-15.0, -7.0, 7.0, 15.0)
OTHER = {"left": "right", "right": "left"}


def slope_through_origin(true: np.ndarray, reported: np.ndarray) -> float:
    """Least-squares slope of reported against true change, the line forced through 0."""
    return float(np.dot(true, reported) / np.dot(true, true))


def rotate(image: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate about the image centre, counter-clockwise as displayed for a positive angle."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle_deg, 1.0)
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def metric(result: PhotoResult, name: str) -> float:
    assert result.measurement is not None, f"{result.file}: no measurement ({result.reasons})"
    return result.measurement.metrics[name]


def has_reason(result: PhotoResult, text: str) -> bool:
    return any(text in reason for reason in result.reasons)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """skimage's astronaut, 512 x 512 RGB uint8: a frontal, smiling face, iris about 8 px."""
    return data.astronaut()


@pytest.fixture(scope="module")
def astronaut_x3(astronaut) -> np.ndarray:
    """The astronaut upscaled 3 x with bicubic interpolation (1536 x 1536): iris about 24 px."""
    return cv2.resize(astronaut, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="module")
def measured_x3(astronaut_x3) -> PhotoResult:
    """The un-warped x3 astronaut, measured with the iris scale."""
    return measure_pixels(astronaut_x3, file="astronaut_x3")


@pytest.fixture(scope="module")
def brow_lifts(astronaut_x3, measured_x3) -> dict:
    """Each brow of the x3 astronaut lifted by 1, 2 and 3 mm, measured with the scale held.

    The lift in pixels comes from the un-warped photo's scale (mm per px); each warped copy is
    measured with ``ipd_mm`` = the un-warped photo's interpupillary distance, so both use the
    same scale and its noise is not part of the result. Returns side -> dict of arrays: the
    true lift, the reported change of that brow's height and of the other brow's (mm). The
    true lift is the warp's size in the image times its depth gain (the brow stands in front
    of the irises, so an image shift there is a smaller shift of the face: ``depth_gain``).
    """
    before = measured_x3.measurement.metrics
    scale = measured_x3.measurement.scale_mm_per_px
    out = {}
    for side in ("left", "right"):
        reported, other = [], []
        for lift_mm in LIFTS_MM:
            warped = brow_lift(
                astronaut_x3, measured_x3.landmarks.points_px, side=side, shift_px=lift_mm / scale
            )
            after = measure_pixels(warped, ipd_mm=before["interpupillary_mm"]).measurement.metrics
            reported.append(after[f"brow_height_{side}_mm"] - before[f"brow_height_{side}_mm"])
            other.append(
                after[f"brow_height_{OTHER[side]}_mm"] - before[f"brow_height_{OTHER[side]}_mm"]
            )
        gain = depth_gain(
            measured_x3.refined_points_px,
            measured_x3.camera.focal_length_px,
            ix.BROW_UPPER_LEFT if side == "left" else ix.BROW_UPPER_RIGHT,
        )
        assert 0.9 < gain < 1.0  # in front of the eyes, a few per cent
        out[side] = {
            "true": np.array(LIFTS_MM) * gain,
            "reported": np.array(reported),
            "other": np.array(other),
        }
    return out


@pytest.fixture(scope="module")
def rotations(astronaut_x3) -> dict:
    """The x3 astronaut rotated by -15, -7, 7 and 15 degrees (bicubic, border reflected),
    measured with the iris scale: angle -> PhotoResult."""
    return {
        angle: measure_pixels(rotate(astronaut_x3, angle), file=f"rotated {angle:+g}")
        for angle in ROTATIONS_DEG
    }


# --- the astronaut as it is ------------------------------------------------------------------


def test_astronaut_measured_and_rejected_for_its_expression(astronaut):
    """A smiling, open-mouthed face is measured (every metric finite but the left jaw contour
    angle) but rejected, and the reasons say why: "mouth open" and "smiling". Her left jaw
    outline runs into her hair near the ear: the image does not place its top, so the
    contour angle (whose ramus line starts 40 mm below the eyes) is not read, and a note
    says so. Its iris is 7.5-9.5 px (measured 7.96, just under the 8 px minimum, so "face
    too small" may come with them)."""
    result = measure_pixels(astronaut, file="astronaut")
    assert result.status == "rejected"
    assert "mouth open" in result.reasons
    assert "smiling" in result.reasons
    unread = {name for name in METRIC_NAMES if not math.isfinite(metric(result, name))}
    assert unread == {"jaw_contour_angle_left_deg"}
    assert any(
        r.code is ReasonCode.JAW_EDGE_MISSING and "left jaw contour angle not measured" in r
        for r in result.reasons
    )
    assert 7.5 < result.quality.scores["iris_px"] < 9.5


def test_upscaled_astronaut_has_a_large_iris_and_the_same_metrics(astronaut, measured_x3):
    """Upscaling 3 x triples the iris (24 +/- 2 px; measured 23.84) and leaves the brow
    heights and the interpupillary distance (mm, iris scale) within 1 mm of the original's
    (measured: within 0.23 mm): the x3 copy stands in for the astronaut in the warp tests."""
    original = measure_pixels(astronaut)
    assert abs(measured_x3.quality.scores["iris_px"] - 24.0) < 2.0
    for name in ("brow_height_left_mm", "brow_height_right_mm", "interpupillary_mm"):
        assert metric(measured_x3, name) == pytest.approx(metric(original, name), abs=1.0)


# --- known brow lifts ------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["left", "right"])
def test_brow_lift_read_at_its_true_size(brow_lifts, side):
    """A brow lifted by 1, 2 and 3 mm (scale held fixed) reads as lifted by that much.

    The slope through the origin of reported against true change is within 0.9-1.1 (the
    requirement; measured 0.911 left, 0.903 right) and each single lift's ratio within
    0.75-1.25 (measured 0.81-0.92 left, 0.83-0.91 right): a single ratio carries the noise
    floor divided by the lift, about 0.15 at 1 mm on this 24 px iris.
    """
    lifts = brow_lifts[side]
    ratios = lifts["reported"] / lifts["true"]
    slope = slope_through_origin(lifts["true"], lifts["reported"])
    print(f"{side}: ratios {np.round(ratios, 3)}, slope {slope:.3f}")
    assert np.all((0.75 <= ratios) & (ratios <= 1.25)), ratios
    assert 0.9 <= slope <= 1.1


@pytest.mark.parametrize("side", ["left", "right"])
def test_brow_lift_leaves_other_brow(brow_lifts, side):
    """Lifting one brow by up to 3 mm moves the other brow's height by less than 0.35 mm: its
    pixels are unchanged, so any change is cross-talk through Face Mesh's shape model and the
    face frame. Measured: left lifted -> right moves -0.08 to -0.13 mm; right lifted -> left
    moves -0.13 to -0.23 mm."""
    other = brow_lifts[side]["other"]
    print(f"{side} lifted: the other brow moves {np.round(other, 3)} mm")
    assert np.all(np.abs(other) < 0.35), other


# --- known rotations -------------------------------------------------------------------------


@pytest.mark.parametrize("angle", ROTATIONS_DEG)
def test_roll_recovered(measured_x3, rotations, angle):
    """Rotating the picture by ``angle`` degrees (positive = counter-clockwise as displayed)
    changes the measured roll by ``angle`` within 0.5 degree (measured: within 0.094 degree
    at -15, -7, 7 and 15 degrees)."""
    change = rotations[angle].quality.pose.roll_deg - measured_x3.quality.pose.roll_deg
    print(f"{angle:+g} deg: roll changes by {change:+.3f} deg")
    assert change == pytest.approx(angle, abs=0.5)


@pytest.mark.parametrize("angle", ROTATIONS_DEG)
def test_rotation_changes_metrics_little(measured_x3, rotations, angle):
    """Metrics are measured in the face frame, so an in-plane rotation changes them only by
    Face Mesh's and the refinement's own variation between two resampled pictures.

    Bounds (largest change measured over the four angles): brow heights 0.4 mm (0.31 mm, at
    the brow's noise floor: MDC95 0.35-0.5 mm),
    interpupillary distance 1.5 % (1.06 %: it carries the per-photo iris scale's
    variation, SEM about 0.9 %), jaw angles 2.5 degrees (2.32 degrees: read on the jaw's
    outline found in the image, of a photo upscaled 3 x whose outline is soft; Face Mesh's
    own outline, held to an average shape, moved 0.62 degree but did not follow real
    changes either), jaw contour distances 1.0 mm (0.83 mm).
    """
    before, after = measured_x3, rotations[angle]
    changes = {name: metric(after, name) - metric(before, name) for name in METRIC_NAMES}
    print(f"{angle:+g} deg:", {name: round(value, 3) for name, value in changes.items()})
    assert abs(changes["brow_height_left_mm"]) < 0.4
    assert abs(changes["brow_height_right_mm"]) < 0.4
    assert abs(changes["interpupillary_mm"]) < 0.015 * metric(before, "interpupillary_mm")
    assert abs(changes["jaw_angle_left_deg"]) < 2.5
    assert abs(changes["jaw_angle_right_deg"]) < 2.5
    for name in ("jaw_contour_55_left_mm", "jaw_contour_55_right_mm"):
        assert abs(changes[name]) < 1.0


# --- quality checks --------------------------------------------------------------------------


def test_blur_is_flagged(astronaut_x3, measured_x3):
    """A Gaussian blur of sigma = 0.15 x the iris diameter gets a "blurred" reason (measured:
    sharpness 28.5 before, 3.8 after; the limit is 15)."""
    sigma = 0.15 * measured_x3.quality.scores["iris_px"]
    result = measure_pixels(cv2.GaussianBlur(astronaut_x3, (0, 0), sigma))
    assert not has_reason(measured_x3, "blurred")
    assert has_reason(result, "blurred"), result.reasons


def test_darkening_is_flagged(astronaut_x3, measured_x3):
    """The picture darkened to 25 % brightness gets an "under-exposed" reason (measured: face
    brightness 166 before, 42 after; the limit is 45)."""
    dark = np.round(astronaut_x3 * 0.25).astype(np.uint8)
    result = measure_pixels(dark)
    assert not has_reason(measured_x3, "under-exposed")
    assert has_reason(result, "under-exposed"), result.reasons


def test_cut_face_is_flagged(astronaut_x3, measured_x3):
    """A crop that cuts off the lower half of the face (below the midpoint of forehead and
    chin) gets a "face cut by the image border" reason and is still measured."""
    points = measured_x3.landmarks.points_px
    middle = int(0.5 * (points[10, 1] + points[152, 1]))  # forehead top and chin
    result = measure_pixels(np.ascontiguousarray(astronaut_x3[:middle]))
    assert not has_reason(measured_x3, "face cut by the image border")
    assert has_reason(result, "face cut by the image border"), result.reasons
    assert result.measurement is not None


def test_small_face_is_flagged(astronaut_x3, measured_x3):
    """The x3 astronaut reduced 0.2 x (an iris of about 5 px, measured 4.6, under the 8 px
    minimum) gets a "face too small" reason."""
    small = cv2.resize(astronaut_x3, None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    result = measure_pixels(small)
    assert not has_reason(measured_x3, "face too small")
    assert has_reason(result, "face too small"), result.reasons


def test_no_face_is_rejected_with_its_reason():
    """A picture without a face (skimage's coffee cup) is rejected with the single reason
    "no face found" and no measurement."""
    result = measure_pixels(data.coffee(), file="coffee")
    assert result.status == "rejected"
    assert result.reasons == ("no face found",)
    assert result.measurement is None


def test_brow_hidden_by_glasses_is_rejected():
    """Grace Hopper's portrait (matplotlib's sample data, a US Navy photo in the public domain)
    has faint brows just above dark cat-eye glasses: on her left no image column finds the
    brow's edge, so brow height would be Face Mesh's own line (1-2 mm off the edge on other
    faces). The photo is rejected with that reason rather than mixed into a trend."""
    import matplotlib.cbook as cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        pixels = np.asarray(Image.open(fh).convert("RGB"))
    result = measure_pixels(cv2.resize(pixels, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC))
    assert result.quality.scores["brow_edge_columns_left"] == 0
    assert any(r.startswith("brow edge not found in the image (left)") for r in result.reasons)
