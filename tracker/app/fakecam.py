"""A fake webcam for tests and benchmarks: camera frames made from a photo, and the Y4M
video Chromium's fake capture device plays (``--use-file-for-fake-video-capture``).

The photo is scaled so that the face is as far from the frame's (typical front) camera as it
was from the photo's, and placed with the eyes at the frame's centre: the frame then matches
the person's usual capture as the photo did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def camera_frame(
    pixels: np.ndarray, eyes_px: tuple[float, float], *, size: tuple[int, int] = (1280, 720)
) -> np.ndarray:
    """An (H, W, 3) uint8 frame of ``size`` (width, height) showing the photo ``pixels`` at
    the same camera distance, the point ``eyes_px`` of the photo at the frame's centre (grey
    around it)."""
    import cv2

    from tracker.photos.camera import DEFAULT_FRONT_CAMERA_35MM, focal_length_px

    height, width = pixels.shape[:2]
    scale = focal_length_px(DEFAULT_FRONT_CAMERA_35MM, size) / focal_length_px(
        DEFAULT_FRONT_CAMERA_35MM, (width, height)
    )
    shift_x = size[0] / 2 - scale * eyes_px[0]
    shift_y = size[1] * 0.45 - scale * eyes_px[1]
    matrix = np.array([[scale, 0.0, shift_x], [0.0, scale, shift_y]])
    return cv2.warpAffine(
        np.ascontiguousarray(pixels),
        matrix,
        size,
        flags=cv2.INTER_AREA,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(110, 110, 110),
    )


def frame_from_photo(path: str | Path, *, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """``camera_frame`` of a photo file, centred on its irises (Face Mesh)."""
    from tracker.landmarks import detect_landmarks
    from tracker.landmarks import indices as ix
    from tracker.photos import open_photo

    photo = open_photo(path)
    points = detect_landmarks(photo.pixels).points_px
    eyes = points[[ix.IRIS_CENTRE_LEFT, ix.IRIS_CENTRE_RIGHT], :2].mean(axis=0)
    return camera_frame(photo.pixels, tuple(eyes), size=size)


def write_y4m(
    path: str | Path,
    frame: np.ndarray,
    *,
    n_frames: int = 30,
    fps: int = 30,
    noise: float = 1.5,
    seed: int = 0,
) -> Path:
    """Write a Y4M video (4:2:0) of ``frame`` repeated, each copy with a little sensor-like
    noise of its own (so that photos taken from different frames differ, as a real camera's
    do)."""
    import cv2

    rng = np.random.default_rng(seed)
    height, width = frame.shape[:2]
    path = Path(path)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(n_frames):
            noisy = np.clip(
                frame.astype(np.float32) + rng.normal(0, noise, frame.shape), 0, 255
            ).astype(np.uint8)
            yuv = cv2.cvtColor(noisy, cv2.COLOR_RGB2YUV_I420)  # Y plane, then U, then V
            out.write(b"FRAME\n")
            out.write(yuv.tobytes())
    return path
