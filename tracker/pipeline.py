"""Composes the stages for one photo: open -> landmarks -> refine -> quality -> metrics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from tracker.errors import NoFaceError, PhotoError
from tracker.formatting import and_list
from tracker.landmarks import detect_landmarks
from tracker.metrics import geometry, registry
from tracker.metrics.frame import FaceFrame
from tracker.metrics.jaw import REFUSALS, JawRefinement, refine_jaw
from tracker.metrics.refine import refine_brows, refine_irises
from tracker.photos import open_photo
from tracker.photos.camera import camera_distance_mm, default_camera, principal_point_px
from tracker.quality import assess, assess_profile, exposure
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import (
    VIEWS,
    Camera,
    Measurement,
    Photo,
    PhotoResult,
    Pose,
    Reason,
    ReasonCode,
)

# the profile refusals an outline lost under the chin can cause: named for the background
# when the skin there is close to its colour (see tracker.metrics.profile.faint_fraction)
LOST_OUTLINE_CODES = frozenset({ReasonCode.NECK_HIDDEN, ReasonCode.CHIN_NECK_STEP})


def measure_pixels(
    pixels: np.ndarray,
    *,
    file: str = "<array>",
    ipd_mm: float | None = None,
    camera: Camera | None = None,
    landmark_views: int | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> PhotoResult:
    """Measure an upright RGB image already in memory.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB.
    file : name to report.
    ipd_mm : the person's calibrated interpupillary distance; when given, it sets the scale
        (steadier than the iris of a single photo), otherwise the iris diameter does.
    camera : the camera that took the image (focal length in pixels of ``pixels``); None
        assumes a phone's front camera (:func:`default_camera`). Perspective is undone with it,
        and it gives the camera's distance from the eyes.
    landmark_views : Face Mesh views averaged (``detect_landmarks(views=...)``; default all).
        Fewer is faster and noisier: for live camera feedback, not for stored measurements.

    Returns
    -------
    PhotoResult with status "ok" or "rejected" (no face, or a failed quality check);
    ``camera`` is the camera used.
    """
    if camera is None:
        camera = default_camera((pixels.shape[1], pixels.shape[0]))
    try:
        landmarks = detect_landmarks(pixels, views=landmark_views)
    except NoFaceError:
        return PhotoResult(
            file=file,
            status="rejected",
            reasons=(Reason(ReasonCode.NO_FACE, "no face found"),),
            photo_size_px=(pixels.shape[1], pixels.shape[0]),
        )
    height, width = pixels.shape[:2]
    centre = principal_point_px(camera.focal_source, (width, height))
    # the iris outline first (it sets the scale and anchors brow height), then the brow edge
    irises = refine_irises(pixels, landmarks.points_px)
    frame = FaceFrame.fit(
        irises.points_px, focal_length_px=camera.focal_length_px, principal_point_px=centre
    )
    face = frame.to_face(irises.points_px)
    iris_px = float(geometry.iris_diameter_px(face)[0])
    refinement = refine_brows(pixels, irises.points_px, iris_px)
    # the jaw's outline: a side hidden by a beard, collar, hair or shadow keeps Face Mesh's
    # points and gets NaN jaw metrics, with a note; the photo's other metrics stand
    jaw = refine_jaw(pixels, refinement.points_px, iris_px)
    pose = Pose(*(float(a) for a in frame.pose_deg[0]))
    evidence = {}
    for side in ("left", "right"):
        evidence[f"brow_edge_columns_{side}"] = float(refinement.columns_used[side])
        evidence[f"iris_edges_{side}"] = float(irises.edges_used[side])
    evidence.update(jaw.evidence())
    quality = assess(
        pixels, landmarks, face[0], pose, iris_px, refinement=evidence, settings=settings
    )
    if ipd_mm is not None:
        scale, source = ipd_mm / float(geometry.interpupillary_px(face)[0]), "interpupillary"
    else:
        scale, source = settings.iris_diameter_mm / iris_px, "iris"
    # the frame fitted above: the brow refinement moves no rigid or iris point
    # and the jaw refinement moves only outline points, which the frame is not fitted on
    # the outline points each side's image placed (none on a side refused)
    jaw_found = np.stack([jaw.placed["right"], jaw.placed["left"]])
    values = geometry.compute_metrics(
        jaw.points_px,
        scale,
        frame=frame,
        jaw_found=jaw_found,
        face_mesh_points_px=landmarks.points_px,
    )
    metrics = {name: float(values[name]) for name in geometry.METRIC_NAMES}
    notes = _jaw_notes(jaw, metrics)
    return PhotoResult(
        file=file,
        status="rejected" if quality.reasons else "ok",
        reasons=quality.reasons + notes,
        quality=quality,
        measurement=Measurement(
            metrics=metrics,
            scale_mm_per_px=scale,
            scale_source=source,
            camera_distance_mm=float(
                camera_distance_mm(
                    values["iris_diameter_px"], camera.focal_length_px, settings.iris_diameter_mm
                )
            ),
            focal_source=camera.focal_source,
        ),
        landmarks=landmarks,
        photo_size_px=(pixels.shape[1], pixels.shape[0]),
        refined_points_px=jaw.points_px,
        brow_edge_px=refinement.edge_px,
        jaw_edge_px=jaw.edge_px,
        camera=camera,
    )


# the metrics read on the jaw's outline, as a note names them
_JAW_OUTLINE_LABELS = {
    "jaw_contour_55": "contour 55",
    "jaw_contour_75": "contour 75",
    "jaw_contour_angle": "contour angle",
    "jowl": "jowl",
}


def _jaw_notes(jaw: JawRefinement, metrics: dict[str, float]) -> tuple[Reason, ...]:
    """One note for the jaw sides whose outline the image did not show: a side refused
    (none of its outline metrics), and a side whose edge breaks along part of the jaw (the
    outline metrics read across the break), e.g. "jaw outline not found in the image (left:
    the edge breaks along part of the jaw): left jaw contour angle and jowl not measured";
    a side none of whose outline metrics was read is "<side> jaw"; nothing when every outline
    metric was read."""
    why, refused, lost = [], [], []
    for side in ("left", "right"):
        if not jaw.found[side]:
            why.append(f"{side}: {REFUSALS[jaw.refusal[side]]}")
            refused.append(side)
            continue
        unread = [
            label
            for family, label in _JAW_OUTLINE_LABELS.items()
            if not np.isfinite(metrics[registry.sided(family, side)])
        ]
        if unread:
            why.append(f"{side}: the edge breaks along part of the jaw")
            if len(unread) == len(_JAW_OUTLINE_LABELS):
                refused.append(side)
            else:
                lost.append(f"{side} jaw {and_list(unread)}")
    if not why:
        return ()
    if refused:
        lost.insert(0, f"{' and '.join(refused)} jaw")
    return (
        Reason(
            ReasonCode.JAW_EDGE_MISSING,
            f"jaw outline not found in the image ({'; '.join(why)}): "
            f"{', '.join(lost)} not measured",
        ),
    )


def measure_photo(
    path: str | Path,
    *,
    mirrored: bool = False,
    ipd_mm: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[PhotoResult, Photo | None]:
    """Open and measure one photo file; never raises for a bad file.

    Returns
    -------
    (PhotoResult, Photo or None). The result's status is "error" with a one-line reason when
    the file cannot be read. ``scale_mm_per_px`` refers to the analysed (possibly reduced-size)
    image; ``decode_scale`` relates it to the stored image.
    """
    return _measure_file(
        path,
        lambda photo: measure_pixels(
            photo.pixels, file=str(path), ipd_mm=ipd_mm, camera=photo.camera, settings=settings
        ),
        mirrored=mirrored,
        settings=settings,
    )


def _measure_file(
    path: str | Path,
    measure,
    *,
    mirrored: bool,
    settings: Settings,
    full_size: bool = False,
) -> tuple[PhotoResult, Photo | None]:
    """Open one photo file and ``measure(photo)`` it, with the decode's facts added; an
    unreadable file is an "error" result with its one-line reason (never raises).
    ``full_size``: decode every pixel (else at the reduced size the settings allow)."""
    try:
        photo = open_photo(
            path,
            mirrored=mirrored,
            min_long_side_px=None if full_size else settings.decode_min_long_side_px,
            settings=settings,
        )
    except PhotoError as exc:
        return PhotoResult(
            file=str(path), status="error", reasons=(Reason(ReasonCode.UNREADABLE, exc.reason),)
        ), None
    result = replace(
        measure(photo),
        decode_scale=photo.decode_scale,
        original_size_px=photo.original_size_px,
        format=photo.format,
    )
    return result, photo


# --- the profile view ------------------------------------------------------------------------


def frontal_yaw_deg(
    pixels: np.ndarray, *, camera: Camera | None = None
) -> tuple[float | None, object]:
    """The head turn Face Mesh reads in an image (one view: a quick look), or None when it
    finds no face; and the landmarks (None without a face)."""
    try:
        landmarks = detect_landmarks(pixels, views=1)
    except NoFaceError:
        return None, None
    height, width = pixels.shape[:2]
    if camera is None:
        camera = default_camera((width, height))
    frame = FaceFrame.fit(
        landmarks.points_px,
        focal_length_px=camera.focal_length_px,
        principal_point_px=principal_point_px(camera.focal_source, (width, height)),
    )
    return float(frame.pose_deg[0][0]), landmarks


def measure_profile_pixels(
    pixels: np.ndarray,
    *,
    file: str = "<array>",
    camera: Camera | None = None,
    check_front: bool = True,
    settings: Settings = DEFAULT_SETTINGS,
) -> PhotoResult:
    """Measure a profile (side view) already in memory, on its silhouette.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB, upright and un-mirrored (the subject's side facing the
        camera follows from the way the face points).
    file : name to report.
    camera : the camera that took it (not needed by the angles; kept with the result).
    check_front : first ask Face Mesh whether this is a front photo (turned less than
        ``settings.profile_min_yaw_deg``), which is refused as not a profile.

    Returns
    -------
    PhotoResult with ``view="profile"``, ``profile_side`` ("left"/"right", the subject's
    side facing the camera) and the sided profile metrics
    (``cervicomental_angle_right_deg``, ...); status "rejected" with one reason when the photo
    is not a usable profile (a front photo, a busy background, the neck hidden, the head not
    level), with the metrics kept when they could be measured.
    """
    from tracker.landmarks.segmentation import person_mask
    from tracker.metrics import registry
    from tracker.metrics.profile import (
        FAINT_STEPS,
        MAX_FAINT_FRACTION,
        ProfileError,
        faint_fraction,
        measure_silhouette,
        profile_side,
        refine_silhouette,
    )

    size = (pixels.shape[1], pixels.shape[0])
    if camera is None:
        camera = default_camera(size)

    def refused(code: ReasonCode, message: str, **extra) -> PhotoResult:
        return PhotoResult(
            file=file,
            status="rejected",
            reasons=(Reason(code, message),),
            photo_size_px=size,
            camera=camera,
            view="profile",
            **extra,
        )

    if check_front:
        yaw, _ = frontal_yaw_deg(pixels, camera=camera)
        if yaw is not None and abs(yaw) < settings.profile_min_yaw_deg:
            return refused(
                ReasonCode.NOT_A_PROFILE,
                f"not a profile: a face turned only {abs(yaw):.0f} deg (a front photo?)",
            )
    mask = person_mask(pixels)

    def refused_unread(code: ReasonCode, message: str) -> PhotoResult:
        # an outline that cannot be read is named by the photo's exposure when that is bad:
        # too dark or too bright, the outline itself fails (the person's region, or the whole
        # photo when the model finds no person)
        person = mask > 0.5
        gray = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
        values = gray[person] if person.mean() >= 0.01 else gray.ravel()
        _, exposure_reason = exposure(values, region="person", settings=settings)
        if exposure_reason is not None:
            return refused(exposure_reason.code, str(exposure_reason))
        return refused(code, message)

    try:
        silhouette = refine_silhouette(pixels, mask)
    except ProfileError as exc:
        return refused_unread(ReasonCode(exc.code), str(exc))
    if silhouette.background_sd > settings.profile_max_background_sd:
        return refused_unread(
            ReasonCode.BUSY_BACKGROUND,
            f"busy background: its texture {silhouette.background_sd:.0f} grey levels "
            f"(plain: under {settings.profile_max_background_sd:.0f})",
        )

    def named(reason: Reason, faint: float) -> Reason:
        # an outline lost under the chin against a background of the skin's own colour is
        # named for that, not for the shape the lost outline leaves (a neck cut off, a step)
        if reason.code not in LOST_OUTLINE_CODES or faint <= MAX_FAINT_FRACTION:
            return reason
        return Reason(
            ReasonCode.BACKGROUND_LIKE_SKIN,
            "background too close to the skin's colour: the outline under the chin is lost "
            f"against it ({100 * faint:.0f}% of the skin there within "
            f"{FAINT_STEPS * silhouette.subject_step:.0f} grey levels of the background)",
        )

    try:
        geometry_ = measure_silhouette(silhouette.alpha)
    except ProfileError as exc:
        unread = named(Reason(ReasonCode(exc.code), str(exc)), faint_fraction(silhouette))
        return refused_unread(unread.code, str(unread))
    faint = faint_fraction(silhouette, geometry_.chain_px)
    side = profile_side(geometry_.facing)
    values = geometry_.values
    prominence = float(values.get("nose_prominence", 0.0))
    if prominence < settings.profile_min_nose_prominence:
        return refused_unread(
            ReasonCode.NOT_A_PROFILE,
            f"not a profile: no nose stands out of the outline ({prominence:.2f})",
        )
    metrics = {
        registry.sided(family, side): float(values[registry.profile_name(family)])
        for family in registry.PROFILE_FAMILIES
    }
    quality = assess_profile(pixels, geometry_, settings=settings)
    reasons = tuple(named(reason, faint) for reason in quality.reasons)
    evidence = {
        **quality.scores,
        "outline_faint_pct": 100.0 * faint,
        "background_sd": silhouette.background_sd,
        "contrast": silhouette.contrast,
        "nose_prominence": float(values.get("nose_prominence", float("nan"))),
        "overhang_face_px": geometry_.turning[0],
        "overhang_back_px": geometry_.turning[1],
    }
    return PhotoResult(
        file=file,
        status="rejected" if reasons else "ok",
        reasons=reasons,
        # no head pose in a profile (Face Mesh's frame needs both eyes): its level is the
        # face line's tilt, among the scores
        quality=replace(quality, scores=evidence),
        measurement=Measurement(metrics=metrics, scale_mm_per_px=float("nan"), scale_source="none"),
        photo_size_px=size,
        camera=camera,
        view="profile",
        profile_side=side,
        profile=geometry_,
    )


def measure_any_pixels(
    pixels: np.ndarray,
    *,
    view: str = "auto",
    file: str = "<array>",
    ipd_mm: float | None = None,
    camera: Camera | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> PhotoResult:
    """Measure an image as a front photo, a profile, or whichever it is (``view="auto"``).

    "front": :func:`measure_pixels`, except that a photo Face Mesh cannot read as a front
    face (no face, or turned beyond ``settings.profile_min_yaw_deg``) whose silhouette is a
    profile is refused as "a profile photo, not a front one". "profile":
    :func:`measure_profile_pixels`. "auto": a front photo when Face Mesh finds a face turned
    less than ``profile_min_yaw_deg``; otherwise a profile when the silhouette is one, and
    the front measurement's own result (no face, head turned) when it is not.

    Raises
    ------
    ValueError
        For a view other than "front", "profile" or "auto".
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    if view == "profile":
        return measure_profile_pixels(pixels, file=file, camera=camera, settings=settings)
    result = measure_pixels(pixels, file=file, ipd_mm=ipd_mm, camera=camera, settings=settings)
    yaw = result.quality.pose.yaw_deg if result.quality is not None else None
    if yaw is not None and abs(yaw) < settings.profile_min_yaw_deg:
        return result  # a front face: Face Mesh has read it
    # no face, or one turned far: a profile when the silhouette is one
    side = measure_profile_pixels(
        pixels, file=file, camera=camera, check_front=False, settings=settings
    )
    if side.measurement is None:
        return result  # not a profile either: the front photo's own reasons
    if view == "auto":
        return side
    return replace(
        result,
        status="rejected",
        reasons=(
            Reason(
                ReasonCode.PROFILE_GIVEN_AS_FRONT,
                f"a profile photo ({side.profile_side} side), not a front one",
            ),
        ),
    )


def measure_photo_view(
    path: str | Path,
    *,
    view: str = "auto",
    mirrored: bool = False,
    ipd_mm: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[PhotoResult, Photo | None]:
    """:func:`measure_photo` for any view (see :func:`measure_any_pixels`); never raises for
    a bad file. A profile too small at the reduced decode is read again from the full-size
    image (``settings.profile_min_face_height_px``)."""

    def measure(photo: Photo) -> PhotoResult:
        return measure_any_pixels(
            photo.pixels,
            view=view,
            file=str(path),
            ipd_mm=ipd_mm,
            camera=photo.camera,
            settings=settings,
        )

    result, photo = _measure_file(path, measure, mirrored=mirrored, settings=settings)
    if (
        photo is not None
        and photo.decode_scale < 1.0
        and result.view == "profile"
        and any(r.code == ReasonCode.FACE_TOO_SMALL for r in result.reasons)
    ):
        return _measure_file(path, measure, mirrored=mirrored, settings=settings, full_size=True)
    return result, photo
