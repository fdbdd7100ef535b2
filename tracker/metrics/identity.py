"""Who is in the photo, and which way round: a face-shape signature and an asymmetry pattern.

Pure numpy over (N, 478, 3) landmark stacks, in the face frame (:mod:`tracker.metrics.frame`:
perspective undone, pose removed).

**Face-shape signature** (:func:`face_signature`): the 3-D distances between every two of the
face's rigid points (``SIGNATURE_POINTS`` = ``ix.RIGID``: nose, eye corners, the bone-backed
upper cheek; no brow, lid, mouth, jaw or lower-cheek point, so neither expression nor the
treatment's effects move it much), divided by the face
frame's scale (the rigid points' own size) and averaged with their mirror images (each
distance with the one between the two partner points), as logarithms. It is invariant to the
head's pose (distances), the camera's distance (the scale) and a mirrored photo (the
averaging). :func:`signature_distance` compares two signatures: the root mean square of their
log differences, in percent (a face 3 % wider everywhere is 3 apart in every distance that
runs across).

**Asymmetry pattern** (:func:`asymmetry_pattern`): for every left landmark and its right
partner, the signed differences (left X + right X, left Y - right Y, left Z - right Z) in the
face frame divided by its scale. A perfectly symmetric face has zero pattern; a person's own
pattern (a brow higher on one side, a nose that deviates) repeats from photo to photo. A
mirror image swaps every left point with its right partner, which turns the pattern into
its negative: a photo whose pattern correlates negatively with the person's was mirrored
(:func:`mirror_correlation`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from tracker.landmarks import indices as ix
from tracker.metrics.frame import FaceFrame

# The signature's landmarks: the face frame's rigid points (nose, eye corners, the bone-backed
# upper cheek; no brow, lid, mouth, jaw or lower-cheek point). On the 3-D head they separate
# faces better than the nose and eye corners alone (other faces' 5th percentile over the
# person's 95th: 1.53 against 0.86-1.36 for subsets without the upper cheek), see
# tracker.validation.identity.
SIGNATURE_POINTS = ix.RIGID


@lru_cache(maxsize=4)
def _signature_pairs(
    points: tuple[int, ...] = SIGNATURE_POINTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i, j) over ``points`` (one of each mirror-equivalent pair of pairs) and
    the pairs of their partners."""
    rigid = list(points)
    mirror = ix.mirror_permutation()
    position = {p: k for k, p in enumerate(rigid)}
    seen, first, second, first_m, second_m = set(), [], [], [], []
    for a in range(len(rigid)):
        for b in range(a + 1, len(rigid)):
            ma, mb = position[int(mirror[rigid[a]])], position[int(mirror[rigid[b]])]
            key = frozenset({frozenset({a, b}), frozenset({ma, mb})})
            if key in seen or ma == mb:
                continue
            seen.add(key)
            first.append(a)
            second.append(b)
            first_m.append(ma)
            second_m.append(mb)
    return (np.array(first), np.array(second), np.array(first_m), np.array(second_m))


@lru_cache(maxsize=1)
def _asymmetry_pairs() -> tuple[np.ndarray, np.ndarray]:
    """(left, right) landmark indices of every mirror pair (the left point has X > 0 in the
    reference face)."""
    reference, mirror = ix.reference_face()
    paired = np.where(mirror != np.arange(mirror.size))[0]
    # the reference face is in image axes: the subject's left is on the left iris's side
    centre = 0.5 * (reference[ix.IRIS_CENTRE_LEFT, 0] + reference[ix.IRIS_CENTRE_RIGHT, 0])
    side = np.sign(reference[ix.IRIS_CENTRE_LEFT, 0] - centre)
    left = np.array([p for p in paired if (reference[p, 0] - centre) * side > 0])
    return left, mirror[left]


def _face(points_px, focal_length_px, principal_point_px) -> tuple[np.ndarray, np.ndarray, bool]:
    pts = np.asarray(points_px, dtype=np.float64)
    single = pts.ndim == 2
    if single:
        pts = pts[None]
    frame = FaceFrame.fit(
        pts, focal_length_px=focal_length_px, principal_point_px=principal_point_px
    )
    return frame.to_face(pts), frame.scale_px, single


def face_signature(
    points_px: np.ndarray, *, focal_length_px=None, principal_point_px=None
) -> np.ndarray:
    """The face-shape signature of one mesh or a stack (see the module docstring).

    Parameters
    ----------
    points_px : (N, 478, 3) or (478, 3) image landmarks (z scaled like x).
    focal_length_px, principal_point_px : the camera, as for
        :meth:`tracker.metrics.frame.FaceFrame.fit`.

    Returns
    -------
    (N, P) or (P,) float64: log distances between the rigid points over the face's scale
    (P = ``SIGNATURE_SIZE``).
    """
    signature, _ = face_readings(
        points_px, focal_length_px=focal_length_px, principal_point_px=principal_point_px
    )
    return signature


SIGNATURE_SIZE = len(_signature_pairs()[0])


def signature_distance(signatures: np.ndarray, reference: np.ndarray) -> Any:
    """Face-shape distance (percent) of each signature from a reference signature: the root
    mean square of their differences, x 100. (N, P) -> (N,), (P,) -> float."""
    s = np.asarray(signatures, dtype=np.float64)
    out = 100.0 * np.sqrt(np.mean((s - np.asarray(reference, dtype=np.float64)) ** 2, axis=-1))
    return float(out) if np.ndim(out) == 0 else out


def reference_signature(signatures: np.ndarray) -> np.ndarray:
    """A person's signature from several photos: the element-wise median (one photo of
    someone else among five does not move it)."""
    return np.median(np.asarray(signatures, dtype=np.float64), axis=0)


def face_readings(
    points_px: np.ndarray,
    *,
    focal_length_px=None,
    principal_point_px=None,
    points: tuple[int, ...] = SIGNATURE_POINTS,
) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`face_signature`, :func:`asymmetry_pattern`) of the same meshes, from one fit
    of the face frame; ``points`` are the signature's landmarks (closed under mirroring)."""
    face, scale, single = _face(points_px, focal_length_px, principal_point_px)
    face = face / scale[:, None, None]
    signature, pattern = _signature(face, points), _pattern(face)
    return (signature[0], pattern[0]) if single else (signature, pattern)


def _signature(face: np.ndarray, points: tuple[int, ...] = SIGNATURE_POINTS) -> np.ndarray:
    rigid = face[:, list(points)]
    a, b, ma, mb = _signature_pairs(tuple(points))
    d = np.linalg.norm(rigid[:, a] - rigid[:, b], axis=-1)
    d_mirror = np.linalg.norm(rigid[:, ma] - rigid[:, mb], axis=-1)
    return np.log(0.5 * (d + d_mirror))


def _pattern(face: np.ndarray) -> np.ndarray:
    left, right = _asymmetry_pairs()
    return np.stack(
        [
            face[:, left, 0] + face[:, right, 0],
            face[:, left, 1] - face[:, right, 1],
            face[:, left, 2] - face[:, right, 2],
        ],
        axis=-1,
    ).reshape(len(face), -1)


def asymmetry_pattern(
    points_px: np.ndarray, *, focal_length_px=None, principal_point_px=None
) -> np.ndarray:
    """The signed left-right differences of every mirror pair, over the face's scale.

    Returns (N, 3 K) or (3 K,): for each pair (left, right), left X + right X, left Y - right
    Y and left Z - right Z in the face frame (X towards the subject's left), divided by the
    frame's scale. A mirror image of the same face gives the negative pattern.
    """
    _, pattern = face_readings(
        points_px, focal_length_px=focal_length_px, principal_point_px=principal_point_px
    )
    return pattern


def mirror_correlation(patterns: np.ndarray, reference: np.ndarray) -> Any:
    """Pearson correlation of each asymmetry pattern with the person's (reference) pattern:
    near +1 the right way round, near -1 mirrored. (N, M) -> (N,), (M,) -> float."""
    p = np.asarray(patterns, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    pc = p - p.mean(axis=-1, keepdims=True)
    rc = r - r.mean()
    out = (pc @ rc) / (np.linalg.norm(pc, axis=-1) * np.linalg.norm(rc))
    return float(out) if np.ndim(out) == 0 else out


def mirror_points(points_px: np.ndarray, image_width_px: float | np.ndarray) -> np.ndarray:
    """The landmarks of the mirror image of a photo, each with its own name: every point is
    swapped with its left/right partner (``ix.mirror_permutation``) and reflected across the
    image's vertical centre line (x -> width - 1 - x; depth unchanged). (N, 478, 3) with a
    scalar or (N,) width, or (478, 3); applying it twice gives the input back."""
    pts = np.asarray(points_px, dtype=np.float64)
    out = pts[..., ix.mirror_permutation(), :].copy()
    width = np.asarray(image_width_px, dtype=np.float64)
    if width.ndim:
        width = width[..., None]
    out[..., 0] = (width - 1.0) - out[..., 0]
    return out
