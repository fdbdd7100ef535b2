"""Build the frontal reference face and the left/right landmark pairing.

Runs Face Mesh on frontal photos and on their mirror images, aligns every mesh with a
generalised Procrustes analysis and averages them. Adding each photo's mirror image makes the
mean face symmetric, with zero mean yaw and roll; its pitch is the mean pitch of the photos
(people looking at the camera), which defines pitch 0. The left/right pairing is found by
mirroring the mean face and matching each point to its nearest mirrored partner (a linear
assignment), and is checked to be its own inverse.

Writes tracker/landmarks/reference_face.npz (points (478, 3), in units of the
interpupillary distance; mirror (478,) permutation). Usage::

    .venv/bin/python tools/build_reference_face.py ../shared/faces/real/people ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy.optimize import linear_sum_assignment
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tracker.landmarks.facemesh import detect_landmarks  # noqa: E402
from tracker.metrics.procrustes import similarity_align  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tracker" / "landmarks" / "reference_face.npz"


def images(paths):
    yield "astronaut", data.astronaut()
    for root in paths:
        for f in sorted(Path(root).rglob("*")):
            if f.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                yield str(f), np.asarray(ImageOps.exif_transpose(Image.open(f)).convert("RGB"))


def main(paths):
    meshes = []
    for name, rgb in images(paths):
        for flipped in (False, True):
            img = rgb[:, ::-1] if flipped else rgb
            try:
                meshes.append(detect_landmarks(np.ascontiguousarray(img)).points_px)
            except Exception as exc:  # noqa: BLE001 - a build script: report and go on
                print("skip", name, exc)
    stack = np.stack(meshes)
    print(f"{len(stack)} meshes")
    # mirror images have x flipped: undo it in 3D so that all meshes are "right-handed" faces
    # -- no: a mirror image of a face is another (mirrored) face; Face Mesh labels it as a face.
    mean = stack[0] - stack[0].mean(axis=0)
    for _ in range(10):
        rot, scale, trans = similarity_align(stack, mean)
        # bring every mesh into the mean's frame: inverse of src = s R tgt + t
        aligned = np.einsum("nij,nkj->nki", rot.transpose(0, 2, 1), stack - trans[:, None, :])
        aligned /= scale[:, None, None]
        new_mean = aligned.mean(axis=0)
        new_mean -= new_mean.mean(axis=0)
        new_mean /= np.linalg.norm(new_mean[468] - new_mean[473])
        mean = new_mean
    # mean rotation of the photos relative to the mean face -> identity (defines pose 0)
    rot, _, _ = similarity_align(stack, mean)
    u, _, vt = np.linalg.svd(rot.sum(axis=0))
    mean_rot = u @ vt
    mean = mean @ mean_rot.T
    # pairing by mirroring across the plane x = 0 through the centroid
    mirrored = mean * np.array([-1.0, 1.0, 1.0])
    cost = np.linalg.norm(mean[:, None, :] - mirrored[None, :, :], axis=2)
    _, mirror = linear_sum_assignment(cost)
    assert np.array_equal(mirror[mirror], np.arange(478)), "pairing is not its own inverse"
    # symmetrise exactly
    sym = 0.5 * (mean + mirrored[mirror])
    residual = np.linalg.norm(mean - mirrored[mirror], axis=1)
    print(
        "self-paired:",
        int(np.sum(mirror == np.arange(478))),
        "pairs:",
        int(np.sum(mirror != np.arange(478)) // 2),
        "max mirror residual (IPD units):",
        residual.max().round(4),
    )
    np.savez_compressed(
        OUT, points=sym.astype(np.float32), mirror=mirror.astype(np.int16), photo_count=len(stack)
    )
    print("wrote", OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
