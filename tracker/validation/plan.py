"""What a validation run does (``Plan``), the images it measures (``ValidationPhoto``), the
main table's columns and the files a run writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracker.metrics import geometry, registry
from tracker.types import ReasonCode

METRICS = geometry.METRIC_NAMES
TABLE_COLUMNS = (
    "metric",
    "sensitivity",
    "false_change_other_side",
    "noise_sd",
    "sem",
    "mdc95",
    "pose_slope_per_deg",
    # the capture-geometry study on the project's 3-D head (tracker.validation.capture)
    "yaw_slope_per_deg",
    "yaw_max_change",
    "distance_effect_mm",
    "selfie_noise_sd",
    "selfie_mdc95",
    "split_face_noise_sd",
    "sensitivity_3d",
    "other_side_max_mm",
)
CAPTURE_COLUMNS = TABLE_COLUMNS[7:]
MDC_FACTOR = 1.96 * np.sqrt(2.0)
SIDES = registry.SIDES
OTHER_SIDE = registry.OTHER_SIDE
BROWS = registry.names(family="brow_height")
# a clip frame whose mean absolute difference from the previous one is below this is a
# pulldown repeat (re-encoded repeats differ by < 0.5 grey levels, real successive frames by > 3)
REPEAT_MAX_MEAN_ABS_DIFF = 1.0
# ... and above this, a cut to another shot
CUT_MIN_MEAN_ABS_DIFF = 30.0
# quality reasons about the image itself: such a photo's measurements are not trusted, so it
# is measured and shown but left out of the pooled figures. Expression and pose rejections do
# not exclude a photo (the bundled astronaut smiles with an open mouth).
IMAGE_REJECTIONS = tuple(code for code in ReasonCode if code.about_image)
OUTPUT_FILES = (
    "validation.md",
    "validation.csv",
    "validation_details.csv",
    "sensitivity.png",
    "noise_floor.png",
    "capture_geometry.csv",
)


@dataclass(frozen=True)
class Plan:
    """What a validation run does: the warp sizes, nuisances, angles and repeats."""

    brow_lifts_mm: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    jaw_shifts_mm: tuple[float, ...] = (1.0, 2.0)
    mouth_lifts_mm: tuple[float, ...] = (1.0,)
    nuisances: tuple[str, ...] = (
        "JPEG q60",
        "JPEG q75",
        "JPEG q95",
        "brightness x0.75",
        "brightness x1.25",
        "shift (+13, +7) px",
        "shift (-9, -5) px",
        "scale x0.8",
        "scale x1.25",
        "resolution",
    )
    roll_angles_deg: tuple[float, ...] = (-15, -10, -5, 5, 10, 15)
    turn_angles_deg: tuple[float, ...] = (-15, -10, -5, 5, 10, 15)
    turn_photos_per_group: int = 1  # photos of each group turned rigidly (pitch, yaw)
    speed_megapixels: tuple[float, ...] = (1, 3, 12)
    speed_repeats: int = 5


FULL_PLAN = Plan()
# the reduced set CI runs (tests/test_validation.py): about 15 s on 2 cores
QUICK_PLAN = Plan(
    brow_lifts_mm=(1.0, 3.0),
    jaw_shifts_mm=(2.0,),
    mouth_lifts_mm=(1.0,),
    nuisances=("JPEG q75", "shift (+13, +7) px", "scale x0.8"),
    roll_angles_deg=(-15, 15),
    turn_angles_deg=(-10, 10),
    speed_repeats=1,
)


@dataclass
class ValidationPhoto:
    """One input image: ``pixels`` as the pipeline analyses it (default decode), the file it
    came from (None for generated images) and its ``group`` (one person: photos in one
    folder)."""

    name: str
    group: str
    pixels: np.ndarray
    path: Path | None = None
    decode_scale: float = 1.0
