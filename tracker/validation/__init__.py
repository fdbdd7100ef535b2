"""How far the measurements can be trusted: sensitivity, noise floor, pose and speed.

``facetrack validate`` runs :func:`run_validation` and writes its :class:`ValidationReport`.
The method is that of a measurement-system study, with ground truth from warps of known size
(:mod:`tracker.warps`) applied to real photos:

- **Sensitivity**: one brow lifted by 0.5, 1, 2 and 3 mm; one jaw contour moved towards the
  midline by 1 and 2 mm; one mouth corner lifted by 1 mm. Each warped image is measured with
  the un-warped photo's scale (its ``face_scale_mm``), so only the landmarks' response
  counts. Sensitivity = the slope through the origin of reported against true change (1.0 is
  perfect). False change = the mean absolute change of the
  metric when the same warp is applied to the *other* side of the face.
- **Noise floor**: each photo and nuisance versions of it that leave the face as it is (JPEG
  quality 60-95, brightness x0.75 and x1.25, translations, rescaling by 0.8 and 1.25, and
  resolution from the full-size decode down to the smallest size the quality check accepts).
  ``noise_sd`` is the typical (median) photo's SD over its versions, ``sem`` the SD pooled
  over photos (root mean square weighted by degrees of freedom), ``mdc95`` = 1.96 sqrt(2) SEM:
  the smallest change between two photos that exceeds the noise with 95 % confidence. Values
  use a fixed person scale, as the library's trends do (``Library.photos(person_scale=True)``).
  Optionally, frame-to-frame SD on a video clip.
- **Pose**: roll by rotating each photo in its plane; pitch and yaw by turning the face
  surface of a photo rigidly (:func:`render_rotated`), and, when real photos of one person
  in different poses are given, by regression on their measured pose.
- **Speed**: ``measure_photo`` per JPEG of 1, 3 and 12 megapixels.

Everything here measures images in memory with :func:`tracker.pipeline.measure_pixels`;
nothing is stored.

The package's modules, in the order they depend on each other: ``plan`` (what a run does,
its columns and files), ``stats`` (small statistics shared with the benchmarks),
``perturbations`` (JPEG, shifts, rotations, ``render_rotated``, nuisance versions),
``inputs`` (bundled photos, folders, a clip), ``studies`` (sensitivity, noise floor, pose,
speed: tidy rows), ``report`` (Markdown, CSV and plots) and ``run`` (``run_validation``);
the capture-geometry, false-alarm and identity studies on the 3-D head are ``capture``,
``false_alarms`` and ``identity``. Every name is importable from ``tracker.validation``.
"""

from tracker.validation.inputs import bundled_photos as bundled_photos
from tracker.validation.inputs import photos_from_folders as photos_from_folders
from tracker.validation.inputs import read_clip as read_clip
from tracker.validation.perturbations import _downscale as _downscale
from tracker.validation.perturbations import _resolution_variants as _resolution_variants
from tracker.validation.perturbations import head_rotation as head_rotation
from tracker.validation.perturbations import jpeg_roundtrip as jpeg_roundtrip
from tracker.validation.perturbations import nuisance_variants as nuisance_variants
from tracker.validation.perturbations import render_rotated as render_rotated
from tracker.validation.perturbations import rotate_canvas as rotate_canvas
from tracker.validation.perturbations import translate as translate
from tracker.validation.plan import BROWS as BROWS
from tracker.validation.plan import CAPTURE_COLUMNS as CAPTURE_COLUMNS
from tracker.validation.plan import CUT_MIN_MEAN_ABS_DIFF as CUT_MIN_MEAN_ABS_DIFF
from tracker.validation.plan import FULL_PLAN as FULL_PLAN
from tracker.validation.plan import IMAGE_REJECTIONS as IMAGE_REJECTIONS
from tracker.validation.plan import MDC_FACTOR as MDC_FACTOR
from tracker.validation.plan import METRICS as METRICS
from tracker.validation.plan import OTHER_SIDE as OTHER_SIDE
from tracker.validation.plan import OUTPUT_FILES as OUTPUT_FILES
from tracker.validation.plan import QUICK_PLAN as QUICK_PLAN
from tracker.validation.plan import REPEAT_MAX_MEAN_ABS_DIFF as REPEAT_MAX_MEAN_ABS_DIFF
from tracker.validation.plan import SIDES as SIDES
from tracker.validation.plan import TABLE_COLUMNS as TABLE_COLUMNS
from tracker.validation.plan import Plan as Plan
from tracker.validation.plan import ValidationPhoto as ValidationPhoto
from tracker.validation.report import _SENSITIVITY_PANELS as _SENSITIVITY_PANELS
from tracker.validation.report import _TABLE_FORMATS as _TABLE_FORMATS
from tracker.validation.report import ValidationReport as ValidationReport
from tracker.validation.report import _fmt as _fmt
from tracker.validation.report import _panel_title as _panel_title
from tracker.validation.report import _pm as _pm
from tracker.validation.report import detail_rows as detail_rows
from tracker.validation.report import environment as environment
from tracker.validation.report import markdown_table as markdown_table
from tracker.validation.report import plot_noise_floor as plot_noise_floor
from tracker.validation.report import plot_sensitivity as plot_sensitivity
from tracker.validation.report import report_markdown as report_markdown
from tracker.validation.run import _people_poses as _people_poses
from tracker.validation.run import run_validation as run_validation
from tracker.validation.stats import ols as ols
from tracker.validation.stats import person_scaled as person_scaled
from tracker.validation.stats import pooled_sd as pooled_sd
from tracker.validation.stats import same_picture as same_picture
from tracker.validation.stats import slope_through_origin as slope_through_origin
from tracker.validation.studies import _WARPED as _WARPED
from tracker.validation.studies import _WARPED_POINTS as _WARPED_POINTS
from tracker.validation.studies import LOWER_FACE_WIDTH as LOWER_FACE_WIDTH
from tracker.validation.studies import TOLERANCE_GROUPS as TOLERANCE_GROUPS
from tracker.validation.studies import _eyes as _eyes
from tracker.validation.studies import _truths as _truths
from tracker.validation.studies import clip_noise as clip_noise
from tracker.validation.studies import depth_gain as depth_gain
from tracker.validation.studies import image_rejection as image_rejection
from tracker.validation.studies import measure_image as measure_image
from tracker.validation.studies import photo_iris_px as photo_iris_px
from tracker.validation.studies import pose_tolerances as pose_tolerances
from tracker.validation.studies import run_noise as run_noise
from tracker.validation.studies import run_roll as run_roll
from tracker.validation.studies import run_sensitivity as run_sensitivity
from tracker.validation.studies import run_speed as run_speed
from tracker.validation.studies import run_turns as run_turns
from tracker.validation.studies import summarise_noise as summarise_noise
from tracker.validation.studies import summarise_pose as summarise_pose
from tracker.validation.studies import summarise_sensitivity as summarise_sensitivity
from tracker.validation.studies import tolerance_deg as tolerance_deg
from tracker.validation.studies import warped_metric as warped_metric

__all__ = [
    "Plan",
    "FULL_PLAN",
    "QUICK_PLAN",
    "TABLE_COLUMNS",
    "OUTPUT_FILES",
    "ValidationPhoto",
    "ValidationReport",
    "run_validation",
    "bundled_photos",
    "same_picture",
    "pose_tolerances",
    "TOLERANCE_GROUPS",
    "photos_from_folders",
    "person_scaled",
    "slope_through_origin",
    "pooled_sd",
    "ols",
    "jpeg_roundtrip",
    "translate",
    "rotate_canvas",
    "head_rotation",
    "render_rotated",
    "read_clip",
    "nuisance_variants",
    "clip_noise",
    "tolerance_deg",
    "markdown_table",
    "plot_sensitivity",
    "plot_noise_floor",
]
