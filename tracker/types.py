"""Frozen dataclasses that flow between the pipeline stages.

Photo -> Landmarks -> Quality -> Measurement, combined per file into a PhotoResult.
Arrays are plain numpy; units are in the field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Camera:
    """The pinhole camera that took one analysed image.

    ``focal_length_px`` is in pixels of the analysed (possibly reduced-size, upright) image;
    ``focal_length_35mm`` the 35 mm-equivalent focal length it came from; ``focal_source``
    says where that came from ("exif-35mm", "exif-focal-plane", "default-front-camera", ...);
    ``notes`` why an EXIF value present in the file was not used (see tracker.photos.camera).
    """

    focal_length_px: float
    focal_length_35mm: float
    focal_source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Photo:
    """An opened photo, upright (EXIF orientation applied) and, if asked, un-mirrored.

    ``pixels`` is an (H, W, 3) uint8 RGB array. It may be a reduced-size decode of the stored
    image: ``decode_scale`` is pixels-per-stored-pixel (1.0 = full size, 0.5 = half size).
    ``original_size_px`` is the upright (width, height) of the full-size image.
    """

    path: Path
    pixels: np.ndarray
    original_size_px: tuple[int, int]
    decode_scale: float
    format: str
    orientation: int = 1
    mirrored: bool = False
    camera: Camera | None = None


@dataclass(frozen=True)
class Landmarks:
    """MediaPipe Face Mesh output for the subject (the largest face) of one image.

    ``points_px`` is (478, 3): x and y in pixels of the analysed image, z in the same pixel
    scale (MediaPipe's z is relative depth in units of the image width; smaller = nearer).
    ``face_count`` is how many faces the model found; ``other_face_ipd_px`` the
    interpupillary distances of the faces not chosen.
    """

    points_px: np.ndarray
    image_size_px: tuple[int, int]
    model: str
    face_count: int = 1
    other_face_ipd_px: tuple[float, ...] = ()


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees relative to the project's frontal reference face.

    yaw > 0: the face turns towards the subject's left; pitch > 0: chin up; roll > 0: the head
    tilts so that the subject's left eye is higher (counter-clockwise in the image).
    """

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True)
class Quality:
    """Pose, quality scores and the reasons (empty when acceptable) for one photo."""

    pose: Pose
    scores: dict[str, float]
    reasons: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Measurement:
    """Facial metrics for one photo: name (with unit suffix) -> value, and the scale used."""

    metrics: dict[str, float]
    scale_mm_per_px: float
    scale_source: str = "iris"
    # distance from the camera to the midpoint of the irises, and where the focal length that
    # gave it came from (see tracker.types.Camera)
    camera_distance_mm: float = float("nan")
    focal_source: str = ""


@dataclass(frozen=True)
class PhotoResult:
    """Everything ``measure`` says about one file.

    ``status`` is "ok", "rejected" (measured, but failing a quality check, or no face) or
    "error" (the file could not be read).
    """

    file: str
    status: str
    reasons: tuple[str, ...] = ()
    quality: Quality | None = None
    measurement: Measurement | None = None
    landmarks: Landmarks | None = None
    photo_size_px: tuple[int, int] | None = None
    extras: dict = field(default_factory=dict)
