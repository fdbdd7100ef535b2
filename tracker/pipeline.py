"""Composes the stages for one photo: open -> landmarks -> refine -> quality -> metrics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from tracker.errors import NoFaceError, PhotoError
from tracker.landmarks import detect_landmarks
from tracker.metrics import geometry
from tracker.metrics.frame import FaceFrame
from tracker.metrics.jaw import REFUSALS, refine_jaw
from tracker.metrics.refine import refine_brows, refine_irises
from tracker.photos import open_photo
from tracker.photos.camera import camera_distance_mm, default_camera, principal_point_px
from tracker.quality import assess
from tracker.settings import DEFAULT_SETTINGS, Settings
from tracker.types import Camera, Measurement, Photo, PhotoResult, Pose, Reason, ReasonCode


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
    jaw_found = np.array([jaw.found["right"], jaw.found["left"]])
    values = geometry.compute_metrics(jaw.points_px, scale, frame=frame, jaw_found=jaw_found)
    metrics = {name: float(values[name]) for name in geometry.METRIC_NAMES}
    hidden = [side for side in ("left", "right") if not jaw.found[side]]
    notes: tuple[Reason, ...] = ()
    if hidden:
        why = "; ".join(f"{side}: {REFUSALS[jaw.refusal[side]]}" for side in hidden)
        notes = (
            Reason(
                ReasonCode.JAW_EDGE_MISSING,
                f"jaw outline not found in the image ({why}): "
                f"{' and '.join(hidden)} jaw not measured",
            ),
        )
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
    try:
        photo = open_photo(
            path,
            mirrored=mirrored,
            min_long_side_px=settings.decode_min_long_side_px,
            settings=settings,
        )
    except PhotoError as exc:
        return PhotoResult(
            file=str(path), status="error", reasons=(Reason(ReasonCode.UNREADABLE, exc.reason),)
        ), None
    result = measure_pixels(
        photo.pixels, file=str(path), ipd_mm=ipd_mm, camera=photo.camera, settings=settings
    )
    result = replace(
        result,
        decode_scale=photo.decode_scale,
        original_size_px=photo.original_size_px,
        format=photo.format,
    )
    return result, photo
