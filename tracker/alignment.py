"""Eye alignment: the similarity transform that puts the irises at fixed places, the warp of
a photo's pixels with it, and a photo aligned with its measured lines mapped along.

The aligned view puts the irises' centres at fixed fractions of the width and height
(``ALIGNED_SIZE``, ``EYE_LEVEL``, ``EYE_DISTANCE``), so that photos taken at different
distances and angles overlay. ``align_pixels`` is pure (pixels and landmarks in, an
``AlignedPhoto`` out); ``align_photo`` reads one library photo and opens its file first.
Left and right are the subject's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tracker.metrics import registry

if TYPE_CHECKING:
    from tracker.types import Status

# the metrics drawn as lines on an aligned photo
LINE_FAMILIES = ("brow_height", "jaw_angle")

# The aligned view: the irises' centres at these fractions of the width and height.
ALIGNED_SIZE = (400, 500)  # width, height in pixels
EYE_LEVEL = 0.40
EYE_DISTANCE = 0.28  # of the width


def eye_alignment(
    points_px: np.ndarray,
    *,
    size: tuple[int, int] = ALIGNED_SIZE,
    eye_level: float = EYE_LEVEL,
    eye_distance: float = EYE_DISTANCE,
) -> np.ndarray:
    """The similarity transform (rotation, uniform scale, shift) that puts the subject's
    right iris centre at ``((1 - eye_distance) / 2 * width, eye_level * height)`` and the
    left one ``eye_distance * width`` to its right (as others see the face).

    Parameters
    ----------
    points_px : (478, 2 or 3) array
        Face Mesh landmarks in image pixels.
    size : (width, height)
        Of the aligned image.

    Returns
    -------
    (2, 3) array
        An affine matrix ``[[a, -b, tx], [b, a, ty]]`` for ``cv2.warpAffine``.
    """
    from tracker.landmarks import indices as ix

    width, height = size
    pts = np.asarray(points_px, dtype=np.float64)
    source = complex(*pts[ix.IRIS_CENTRE_RIGHT, :2]), complex(*pts[ix.IRIS_CENTRE_LEFT, :2])
    x0 = (1.0 - eye_distance) / 2.0 * width
    target = complex(x0, eye_level * height), complex(x0 + eye_distance * width, eye_level * height)
    if source[1] == source[0]:
        raise ValueError("the two iris centres coincide: cannot align on the eyes")
    a = (target[1] - target[0]) / (source[1] - source[0])
    b = target[0] - a * source[0]
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def apply_affine(matrix: np.ndarray, points) -> np.ndarray:
    """``points`` (n, 2 or more) mapped by a (2, 3) affine ``matrix``; an (n, 2) array."""
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))[:, :2]
    return pts @ matrix[:, :2].T + matrix[:, 2]


def warp_aligned(
    pixels: np.ndarray, matrix: np.ndarray, *, size: tuple[int, int] = ALIGNED_SIZE
) -> np.ndarray:
    """Warp an RGB image with an ``eye_alignment`` matrix; large reductions are first made
    by area averaging (no aliasing). Outside the photo is mid grey."""
    import cv2

    pixels = np.ascontiguousarray(pixels)
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    if scale < 0.66:  # shrink most of the way by area averaging, the rest in the warp
        factor = min(1.0, 1.5 * scale)
        height, width = pixels.shape[:2]
        small = (max(1, round(width * factor)), max(1, round(height * factor)))
        pixels = cv2.resize(pixels, small, interpolation=cv2.INTER_AREA)
        shrink = np.array([[small[0] / width, 0.0, 0.0], [0.0, small[1] / height, 0.0]])
        # the resize maps x -> (x + 0.5) * f - 0.5; compose the warp with its inverse
        shrink[:, 2] = 0.5 * np.array([small[0] / width, small[1] / height]) - 0.5
        inverse = np.linalg.inv(np.vstack([shrink, [0.0, 0.0, 1.0]]))
        matrix = (np.vstack([matrix, [0.0, 0.0, 1.0]]) @ inverse)[:2]
    return cv2.warpAffine(
        pixels,
        matrix,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(128, 128, 128),
    )


@dataclass(frozen=True)
class AlignedPhoto:
    """One photo aligned on the eyes, with what was measured mapped into the aligned image.

    ``geometry`` is ``tracker.overlay.overlay_geometry``'s dict in aligned-image pixels
    (``ipd``, ``brow`` and ``jaw`` per side, ``midline``); ``metrics`` the photo's brow
    heights and jaw angles.
    """

    photo_id: int
    captured_at: pd.Timestamp
    role: str
    pixels: np.ndarray
    geometry: dict
    metrics: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.role}, {self.captured_at:%Y-%m-%d}"


@dataclass(frozen=True)
class AlignedPair:
    """The baseline photo and the latest one, both aligned on the eyes."""

    before: AlignedPhoto
    after: AlignedPhoto


def align_pixels(
    pixels: np.ndarray,
    points_px: np.ndarray,
    *,
    photo_id: int,
    captured_at,
    role: str = "photo",
    status: Status = "ok",
    metrics: dict | None = None,
    size: tuple[int, int] = ALIGNED_SIZE,
) -> AlignedPhoto:
    """An opened photo aligned on the eyes (``eye_alignment``), its measured lines mapped
    into the aligned image. Pure: nothing is read or opened.

    Parameters
    ----------
    pixels : (height, width, 3) uint8 array
        The photo as opened (``tracker.photos.open_photo``).
    points_px : (478, 2 or 3) array
        Its landmarks in image pixels.
    photo_id, captured_at, role, status
        Carried into the result (``role`` is its name in a chart: "Baseline", "Latest").
    metrics : dict, optional
        Metric values labelling the lines.
    size : (width, height)

    Raises
    ------
    ValueError
        When the two iris centres coincide.
    """
    from tracker.overlay import overlay_geometry
    from tracker.types import Landmarks, PhotoResult

    height, width = pixels.shape[:2]
    result = PhotoResult(
        file="",
        status=status,
        landmarks=Landmarks(points_px=points_px, image_size_px=(width, height), model="stored"),
        refined_points_px=points_px,
    )
    geometry = overlay_geometry(result)
    matrix = eye_alignment(points_px, size=size)
    mapped = {
        "ipd": apply_affine(matrix, geometry["ipd"]),
        "midline": apply_affine(matrix, geometry["midline"]),
        "brow": {s: apply_affine(matrix, v) for s, v in geometry["brow"].items()},
        "jaw": {s: apply_affine(matrix, v) for s, v in geometry["jaw"].items()},
    }
    return AlignedPhoto(
        photo_id=int(photo_id),
        captured_at=pd.Timestamp(captured_at),
        role=role,
        pixels=warp_aligned(pixels, matrix, size=size),
        geometry=mapped,
        metrics=dict(metrics or {}),
    )


def align_photo(
    library,
    photo_id: int,
    *,
    role: str = "photo",
    size: tuple[int, int] = ALIGNED_SIZE,
    photos: pd.DataFrame | None = None,
) -> AlignedPhoto:
    """Read a library photo, open its file and align it on the eyes (``align_pixels``).

    Parameters
    ----------
    library : Library
    photo_id : int
    role : str
        Its name in the chart ("Baseline", "Latest").
    size : (width, height)
    photos : DataFrame, optional
        ``library.photos()`` already read (its metric values label the lines).

    Raises
    ------
    LibraryError
        When the photo is unknown or has no landmarks.
    PhotoError
        When its file cannot be opened.
    """
    from tracker.photos import open_photo

    record = library.photo(photo_id)
    points = library.landmarks(photo_id)
    photo = open_photo(record["stored_path"], mirrored=record["mirrored"])
    if photos is not None and (photos["id"] == photo_id).any():
        row = photos.loc[photos["id"] == photo_id].iloc[0]
        metrics = {
            registry.sided(family, side): float(row[registry.sided(family, side)])
            for family in LINE_FAMILIES
            for side in registry.SIDES
        }
    else:
        metrics = {k: v for k, v in record["metrics"].items() if v is not None}
    return align_pixels(
        photo.pixels,
        points,
        photo_id=photo_id,
        captured_at=record["captured_at"][:19],
        role=role,
        status=record["status"],
        metrics=metrics,
        size=size,
    )


# --- profiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlignedProfile:
    """A profile photo turned, scaled and shifted so that its nasion and pogonion fall on
    fixed points (a similarity: nothing stretched), the face pointing to the right.

    ``pixels`` (H, W, 3) uint8 RGB; ``chain`` (N, 2) its outline and ``points`` its landmarks
    and ``lines`` ("submental", "neck") in the aligned image's pixels; ``label`` the photo's
    name in a chart; ``value`` its cervicomental angle (degrees); ``posture`` its head's
    angle to the neck (degrees, ``head_neck_angle``); ``at_usual`` the cervicomental angle
    at the usual posture of the profiles it is shown with, as the trend reads it (NaN until
    :func:`aligned_profile_pair` sets it).
    """

    photo_id: int
    pixels: np.ndarray
    chain: np.ndarray
    points: dict
    lines: dict
    label: str
    side: str
    value: float
    posture: float = math.nan
    at_usual: float = math.nan


# where the nasion and the pogonion go, as fractions of the aligned image's width and height
PROFILE_ANCHORS = ((0.55, 0.22), (0.55, 0.58))


def align_profile(
    library, photo_id: int, *, role: str = "photo", size: tuple[int, int] = ALIGNED_SIZE
) -> AlignedProfile:
    """Read a library profile photo, open its file and align it (see ``AlignedProfile``).

    Raises
    ------
    LibraryError
        When the photo is unknown or has no stored outline (not a profile).
    PhotoError
        When its file cannot be opened.
    ValueError
        When its stored outline no longer reads as a profile.
    """
    import cv2

    from tracker.errors import LibraryError
    from tracker.metrics.profile import ProfileError, measure_chain, oriented
    from tracker.photos import open_photo

    record = library.photo(photo_id)
    stored = list(library.stored_profiles(photo_ids=[photo_id]))
    if not stored:
        raise LibraryError(f"photo {photo_id} is not a profile")
    _, chain_px, facing, width_px = stored[0]
    photo = open_photo(record["stored_path"], mirrored=record["mirrored"])
    pixels = photo.pixels
    factor = pixels.shape[1] / float(width_px)  # the file as opened now vs as measured
    if facing == "left":
        pixels = np.ascontiguousarray(pixels[:, ::-1])
    try:
        chain, marks, values, lines = measure_chain(oriented(chain_px, facing, width_px) * factor)
    except ProfileError as exc:
        raise ValueError(str(exc)) from None
    width, height = size
    source = np.array([chain[marks["nasion"]], chain[marks["pogonion"]]])
    target = np.array([[fx * width, fy * height] for fx, fy in PROFILE_ANCHORS])
    # the similarity taking the two source points onto the two target points
    s_vec, t_vec = source[1] - source[0], target[1] - target[0]
    scale = float(np.hypot(*t_vec) / max(np.hypot(*s_vec), 1e-9))
    angle = math.atan2(t_vec[1], t_vec[0]) - math.atan2(s_vec[1], s_vec[0])
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    linear = np.array([[c, -s], [s, c]])
    shift = target[0] - linear @ source[0]
    matrix = np.hstack([linear, shift[:, None]])
    warped = cv2.warpAffine(pixels, matrix, size, flags=cv2.INTER_AREA, borderValue=(0, 0, 0))

    def move(p):
        return np.asarray(p, dtype=np.float64) @ linear.T + shift

    side = record.get("profile_side") or ("right" if facing == "right" else "left")
    return AlignedProfile(
        photo_id=int(photo_id),
        pixels=warped,
        chain=move(chain),
        points={k: move(chain[i]) for k, i in marks.items()},
        lines={k: (move(a), move(b)) for k, (a, b) in lines.items()},
        label=f"{role} {record['captured_at'][:10]}",
        side=str(side),
        value=float(values["cervicomental_angle_deg"]),
        posture=float(values["head_neck_angle_deg"]),
    )


def aligned_profile_pair(
    library, photos: pd.DataFrame, sessions: pd.DataFrame | None, side: str, **choose
) -> tuple[AlignedProfile, AlignedProfile] | None:
    """The baseline and latest profiles of one side (``choose_pair(view="profile")``),
    aligned, each with its cervicomental angle at the usual posture (the posture lever of
    :func:`tracker.analysis.levers.capture_levers` over ``photos``, as the trend reads it);
    None without two usable ones."""
    from tracker.analysis.levers import POSTURE_SLOPE, capture_levers
    from tracker.analysis.pairs import choose_pair
    from tracker.errors import TrackerError

    before_ids, after_ids = choose_pair(photos, sessions, view="profile", side=side, **choose)
    chosen = []
    for ids, role in ((before_ids, "Baseline"), (after_ids, "Latest")):
        for photo_id in ids:
            try:
                chosen.append(align_profile(library, photo_id, role=role))
                break
            except (TrackerError, ValueError):
                continue
        else:
            return None
    # the usual posture as the trend has it: the lever row of this side's chin-neck angle
    lever = capture_levers(photos, [registry.sided("cervicomental_angle", side)])
    usual = float(lever["usual"].iloc[0]) if len(lever) else math.nan
    before, after = (
        replace(shot, at_usual=shot.value - POSTURE_SLOPE * (shot.posture - usual))
        for shot in chosen
    )
    return before, after
