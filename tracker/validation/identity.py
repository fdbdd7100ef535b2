"""One person, the right way round: the face-shape signature and the mirror test on 3-D heads.

Ground truth from the project's 3-D head (:mod:`tracker.validation.head3d`), no held-out photo:

* **the same person**: the sample head photographed as hand-held selfies
  (:func:`tracker.validation.head3d.random_selfie_capture`: yaw +/-4, pitch +/-3, roll +/-6
  deg, 33-50 cm, light, colour cast, noise, JPEG), also with a brow lift and a jaw change (the
  treatment's effects must not make the person someone else);
* **other people**: the same head with its face shape changed (:func:`shape_variant`): the
  rigid features (eye corners, nose, cheekbones) moved by random amounts of the size by which
  adult faces differ (anthropometric standard deviations, Farkas 1994: intercanthal width
  2.6 mm, biocular width 4 mm, nose width 3 mm, nose height 3.5 mm, bizygomatic width 6 mm,
  i.e. 1.3-3.5 mm per landmark and side), symmetric left/right, with the same skin (texture):
  only the shape tells them apart, which is the harder case;
* **mirror images**: renders of the head with one brow 2 mm higher (a distinctive
  asymmetry), flipped left-right like a front camera's saved selfie.

:func:`identity_study` returns one tidy row per photo.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from tracker.landmarks import indices as ix
from tracker.validation.head3d import (
    FULL_FRAME_DIAGONAL_MM,
    Head,
    random_selfie_capture,
    render,
    sample_head,
)

# control points of a face-shape change and the SD (mm) of their move in X, Y, Z
SHAPE_CONTROLS = {
    # inner and outer eye corners
    133: (1.3, 1.0, 1.0),
    362: (1.3, 1.0, 1.0),
    33: (2.0, 1.0, 1.5),
    263: (2.0, 1.0, 1.5),
    # alar base, nose tip, subnasale, nasion
    129: (1.5, 1.5, 1.5),
    358: (1.5, 1.5, 1.5),
    1: (0.0, 2.0, 3.0),
    2: (0.0, 3.5, 2.0),
    168: (0.0, 1.5, 2.0),
    # cheekbones (zygion side) and malar points
    234: (3.5, 2.0, 2.0),
    454: (3.5, 2.0, 2.0),
    116: (2.5, 2.0, 2.0),
    345: (2.5, 2.0, 2.0),
    50: (2.0, 2.0, 2.0),
    280: (2.0, 2.0, 2.0),
}
SHAPE_KERNEL_MM = 14.0  # width of the Gaussian that spreads each control point's move


def shape_variant(head: Head, rng: np.random.Generator, *, scale: float = 1.0) -> Head:
    """The head with another face shape: each control point of ``SHAPE_CONTROLS`` moved by a
    normal draw of its SD x ``scale`` (mm, left and right mirror images of each other, midline
    points only up-down and in depth), spread smoothly over the surface (a Gaussian radial
    basis interpolation of width ``SHAPE_KERNEL_MM`` on the frontal X, Y) and applied to the
    3-D points, the texture going with them. Returns a new Head."""
    mirror = ix.mirror_permutation()
    controls = list(SHAPE_CONTROLS)
    move = {}
    for point in controls:
        if point in move:
            continue
        sd = np.asarray(SHAPE_CONTROLS[point]) * scale
        d = rng.normal(0.0, 1.0, 3) * sd
        partner = int(mirror[point])
        move[point] = d
        if partner != point:
            move[partner] = d * np.array([-1.0, 1.0, 1.0])
    centres = head.landmarks_mm[controls, :2]
    values = np.array([move[p] for p in controls])
    dist2 = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    weights = np.linalg.solve(
        np.exp(-dist2 / (2 * SHAPE_KERNEL_MM**2)) + 1e-9 * np.eye(len(controls)), values
    )

    def field(xy: np.ndarray) -> np.ndarray:
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * SHAPE_KERNEL_MM**2)) @ weights

    points = head.points_mm.copy()
    flat = points[head.mask]
    flat = flat + field(flat[:, :2].astype(np.float64)).astype(np.float32)
    points[head.mask] = flat
    landmarks = head.landmarks_mm + field(head.landmarks_mm[:, :2])
    return replace(head, points_mm=points, landmarks_mm=landmarks)


def measure_render(pixels: np.ndarray, focal_length_px: float):
    """The pipeline's result for one render, told the focal length as a phone's EXIF would."""
    from tracker.pipeline import measure_pixels
    from tracker.types import Camera

    height, width = pixels.shape[:2]
    f35 = focal_length_px * FULL_FRAME_DIAGONAL_MM / math.hypot(width, height)
    return measure_pixels(pixels, camera=Camera(focal_length_px, f35, "exif-35mm"))


def _readings(result, width: int, height: int, points=None):
    from tracker.metrics import identity

    camera = result.camera
    centre = ((width - 1) / 2.0, (height - 1) / 2.0)
    return identity.face_readings(
        result.refined_points_px,
        focal_length_px=camera.focal_length_px,
        principal_point_px=centre,
        points=points or identity.SIGNATURE_POINTS,
    )


def _face_points(result, width: int, height: int) -> np.ndarray:
    """(478, 3) face-frame landmarks over the frame's scale (for studying signatures)."""
    from tracker.metrics.frame import FaceFrame

    camera = result.camera
    points = result.refined_points_px
    frame = FaceFrame.fit(
        points,
        focal_length_px=camera.focal_length_px,
        principal_point_px=((width - 1) / 2.0, (height - 1) / 2.0),
    )
    return frame.to_face(points)[0] / frame.scale_px[0]


def identity_study(
    *,
    people: int = 8,
    photos_per_person: int = 4,
    own_photos: int = 16,
    treated_photos: int = 4,
    mirrored_photos: int = 12,
    baseline: int = 5,
    seed: int = 20261130,
    points: tuple[int, ...] | None = None,
    keep_faces: bool = False,
) -> pd.DataFrame:
    """Signature distances and mirror correlations of rendered selfies, one row per photo.

    The person is the sample head with a 2 mm higher left brow; the first ``baseline`` of its
    ``own_photos`` selfies make its reference (as the library does with a person's first
    accepted photos). Then ``treated_photos`` selfies with a treatment effect (right brow
    +1.5 mm, jaw 1 mm in, mouth corners 1.5 mm up), ``mirrored_photos`` selfies of the person flipped left-right, and
    ``photos_per_person`` selfies of each of ``people`` other face shapes.

    Returns
    -------
    DataFrame with ``kind`` ("baseline", "own", "treated", "mirrored", "other"), ``person``
    (0 for the person), ``status``, ``distance`` (face-shape distance from the reference, %;
    ``points`` the signature's landmarks, default ``SIGNATURE_POINTS``),
    ``mirror_correlation`` (with the reference asymmetry pattern); with ``keep_faces``, ``face``:
    each photo's (478, 3) face-frame landmarks over the frame's scale.
    """
    from tracker.metrics import identity

    rng = np.random.default_rng(seed)
    me = sample_head().deformed(brow_lift_mm={"left": 2.0})
    treated = me.deformed(
        brow_lift_mm={"right": 1.5},
        jaw_in_mm={"left": 1.0, "right": 1.0},
        mouth_corner_lift_mm={"left": 1.5, "right": 1.5},
    )
    plan = [("own", 0, me, False)] * own_photos + [("treated", 0, treated, False)] * treated_photos
    plan += [("mirrored", 0, me, True)] * mirrored_photos
    for k in range(people):
        other = shape_variant(me, rng)
        plan += [("other", k + 1, other, False)] * photos_per_person
    rows = []
    for kind, person, head, flip in plan:
        capture = random_selfie_capture(
            rng, offset_px=(float(rng.uniform(-80, 80)), float(rng.uniform(-120, 120)))
        )
        rendered = render(head, capture)
        pixels = rendered.pixels[:, ::-1].copy() if flip else rendered.pixels
        result = measure_render(pixels, rendered.focal_length_px)
        row = {
            "kind": kind,
            "person": person,
            "status": result.status,
            "signature": None,
            "pattern": None,
        }
        if result.measurement is not None:
            height, width = pixels.shape[:2]
            row["signature"], row["pattern"] = _readings(result, width, height, points)
            if keep_faces:
                row["face"] = _face_points(result, width, height)
        rows.append(row)
    frame = pd.DataFrame(rows)
    own = frame.index[(frame["kind"] == "own") & frame["signature"].notna()]
    first = own[:baseline]
    frame.loc[first, "kind"] = "baseline"
    reference = identity.reference_signature(np.stack(frame.loc[first, "signature"]))
    pattern = np.median(np.stack(frame.loc[first, "pattern"]), axis=0)
    measured = frame["signature"].notna()
    frame["distance"] = np.nan
    frame["mirror_correlation"] = np.nan
    frame.loc[measured, "distance"] = identity.signature_distance(
        np.stack(frame.loc[measured, "signature"]), reference
    )
    frame.loc[measured, "mirror_correlation"] = identity.mirror_correlation(
        np.stack(frame.loc[measured, "pattern"]), pattern
    )
    return frame.drop(columns=["signature", "pattern"])
