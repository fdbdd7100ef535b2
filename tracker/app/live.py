"""Guided capture: live feedback on one camera frame against the person's usual capture, and
the ghost outline of their baseline face.

Each frame goes through ``tracker.pipeline.measure_pixels`` (the same landmarks, face frame,
quality checks and camera distance as an imported photo, with two Face Mesh views averaged
instead of six to keep up with the camera), so a frame that passes here is a photo the import
accepts, within the landmarks' jitter. A webcam frame carries no EXIF: the focal length is the typical
front camera's for the frame's size, as for any photo without EXIF.
"""

from __future__ import annotations

import io
import math
import threading

import numpy as np

from tracker.analysis.capture import MATCHES_TEXT, UsualCapture, capture_advice
from tracker.settings import DEFAULT_SETTINGS, Settings

# Face Mesh runs one frame at a time (one model, reused).
_MODEL_LOCK = threading.Lock()
MAX_FRAME_BYTES = 4_000_000
MAX_FRAME_SIDE_PX = 1920
# Face Mesh views averaged per live frame: the base view and its mirror image (a third of an
# import's time; the burst's photos are measured in full when imported)
LIVE_VIEWS = 2


def decode_frame(data: bytes) -> np.ndarray:
    """A JPEG or PNG frame as an (H, W, 3) uint8 RGB array. Raises ValueError for anything
    else, an empty or oversized frame."""
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_FRAME_BYTES:
        raise ValueError("empty or oversized frame")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise ValueError(f"frames must be JPEG or PNG, not {image.format}")
            if max(image.size) > MAX_FRAME_SIDE_PX:
                raise ValueError(f"frame larger than {MAX_FRAME_SIDE_PX} px")
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not an image: {exc}") from None


_warmed = threading.Event()


def warm_up() -> None:
    """Load Face Mesh in a background thread (once): its first call takes most of a second,
    which would otherwise be the first frame's wait."""
    if _warmed.is_set():
        return
    _warmed.set()

    def run() -> None:
        from tracker.errors import NoFaceError
        from tracker.landmarks import detect_landmarks

        with _MODEL_LOCK:
            try:
                detect_landmarks(np.full((64, 64, 3), 128, dtype=np.uint8), views=1)
            except NoFaceError:
                pass

    threading.Thread(target=run, name="facemesh-warm-up", daemon=True).start()


def _check(name: str, ok: bool, value: str, hint: str = "") -> dict:
    return {"name": name, "ok": bool(ok), "value": value, "hint": hint}


def frame_feedback(
    pixels: np.ndarray, usual: UsualCapture | None, *, settings: Settings = DEFAULT_SETTINGS
) -> dict:
    """What the person should change before the photo is taken.

    Returns
    -------
    dict (JSON-ready)
        ``face`` (bool), ``ready`` (every check passes and the frame would be accepted),
        ``checks``: a list of ``{"name", "ok", "value", "hint"}`` for turn, chin, tilt,
        distance, light, eyes and mouth; ``advice`` (``capture_advice`` against the usual, or
        None); ``reasons`` (the import's quality reasons); ``pose`` and
        ``camera_distance_mm``; ``usual`` (the targets, or None with too few photos).
    """
    from tracker.pipeline import measure_pixels

    with _MODEL_LOCK:
        result = measure_pixels(
            pixels, file="<camera>", landmark_views=LIVE_VIEWS, settings=settings
        )
    usual_out = (
        None
        if usual is None
        else {
            "camera_distance_mm": _num(usual.camera_distance_mm),
            "yaw_deg": _num(usual.yaw_deg),
            "pitch_deg": _num(usual.pitch_deg),
            "roll_deg": _num(usual.roll_deg),
            "n_photos": usual.n_photos,
        }
    )
    if result.quality is None or result.measurement is None:
        return {
            "face": False,
            "ready": False,
            "checks": [],
            "advice": None,
            "reasons": [str(r) for r in result.reasons],
            "pose": None,
            "camera_distance_mm": None,
            "usual": usual_out,
        }
    pose = result.quality.pose
    scores = result.quality.scores
    distance = result.measurement.camera_distance_mm
    target = usual or UsualCapture(math.nan, 0.0, 0.0, 0.0, n_photos=0)
    checks = []
    for name, value, goal, tolerance, words in (
        (
            "turn",
            pose.yaw_deg,
            target.yaw_deg,
            settings.advice_yaw_deg,
            ("turn your head to your left", "turn your head to your right"),
        ),
        (
            "chin",
            pose.pitch_deg,
            target.pitch_deg,
            settings.advice_pitch_deg,
            ("chin up", "chin down"),
        ),
        (
            "tilt",
            pose.roll_deg,
            target.roll_deg,
            settings.advice_roll_deg,
            ("tilt towards your right shoulder", "tilt towards your left shoulder"),
        ),
    ):
        goal = 0.0 if not math.isfinite(goal) else goal
        change = value - goal
        checks.append(
            _check(
                name,
                abs(change) <= tolerance,
                f"{value:+.1f}° (usual {goal:+.1f}°)",
                "" if abs(change) <= tolerance else words[change > 0],
            )
        )
    if math.isfinite(target.camera_distance_mm) and math.isfinite(distance):
        change = distance - target.camera_distance_mm
        ok = abs(change) <= settings.advice_distance_pct / 100 * target.camera_distance_mm
        checks.append(
            _check(
                "distance",
                ok,
                f"{distance / 10:.0f} cm (usual {target.camera_distance_mm / 10:.0f} cm)",
                "" if ok else ("move further away" if change < 0 else "come closer"),
            )
        )
    else:
        checks.append(
            _check(
                "distance",
                math.isfinite(distance),
                f"{distance / 10:.0f} cm" if math.isfinite(distance) else "unknown",
                "" if math.isfinite(distance) else "face the camera",
            )
        )
    brightness = scores.get("face_brightness", math.nan)
    light_ok = settings.min_face_brightness <= brightness <= settings.max_face_brightness
    checks.append(
        _check(
            "light",
            light_ok,
            f"{brightness:.0f} of 255",
            ""
            if light_ok
            else (
                "more light on your face"
                if brightness < settings.min_face_brightness
                else "less light on your face"
            ),
        )
    )
    eyes = min(scores.get("eye_openness_left", 0.0), scores.get("eye_openness_right", 0.0))
    checks.append(
        _check(
            "eyes",
            eyes >= settings.min_eye_openness,
            "open" if eyes >= settings.min_eye_openness else "closed",
            "" if eyes >= settings.min_eye_openness else "open your eyes",
        )
    )
    neutral = (
        scores.get("mouth_open", 1.0) <= settings.max_mouth_open
        and scores.get("smile", 1.0) <= settings.max_smile
        and scores.get("mouth_width", 9.0) <= settings.max_mouth_width
    )
    checks.append(
        _check(
            "mouth",
            neutral,
            "neutral" if neutral else "not neutral",
            "" if neutral else "relax your mouth, lips closed",
        )
    )
    advice = None
    if usual is not None:
        advice = capture_advice(
            distance, pose.yaw_deg, pose.pitch_deg, pose.roll_deg, usual, settings=settings
        )
    ready = all(c["ok"] for c in checks) and result.status == "ok"
    return {
        "face": True,
        "ready": ready,
        "checks": checks,
        "advice": advice if advice != MATCHES_TEXT else None,
        "reasons": [str(r) for r in result.reasons],
        "pose": {"yaw_deg": pose.yaw_deg, "pitch_deg": pose.pitch_deg, "roll_deg": pose.roll_deg},
        "camera_distance_mm": _num(distance),
        "usual": usual_out,
    }


def _num(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# The ghost: Face Mesh groups drawn as polylines (subject's sides).
def _ghost_groups():
    from tracker.landmarks import indices as ix

    return {
        "outline": (list(ix.SILHOUETTE) + [ix.SILHOUETTE[0]]),
        "brow_right": list(ix.BROW_UPPER_RIGHT),
        "brow_left": list(ix.BROW_UPPER_LEFT),
        "eye_right": [33, 160, 159, 158, 133, 153, 145, 144, 33],
        "eye_left": [263, 387, 386, 385, 362, 380, 374, 373, 263],
        "nose": [168, 6, 197, 195, 5, 4, 1],
        "lips": [61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91, 61],
    }


def ghost_outline(
    points_px: np.ndarray,
    interpupillary_mm: float,
    distance_mm: float,
    frame_size: tuple[int, int],
    *,
    eye_level: float = 0.42,
) -> dict:
    """The baseline face's outline placed where the face should be in a camera frame.

    The face is scaled to the size it has at ``distance_mm`` from a camera with the typical
    front camera's focal length for ``frame_size`` (the same camera the live feedback
    assumes): interpupillary distance in pixels = f * ``interpupillary_mm`` / distance;
    centred, the eyes level at ``eye_level`` of the height.

    Returns
    -------
    dict
        ``width``, ``height`` and ``groups``: name -> list of [x, y] in frame pixels.
    """
    from tracker.alignment import apply_affine, eye_alignment
    from tracker.photos.camera import default_camera

    width, height = frame_size
    focal = default_camera((width, height)).focal_length_px
    ipd_px = focal * interpupillary_mm / distance_mm
    matrix = eye_alignment(
        points_px, size=(width, height), eye_level=eye_level, eye_distance=min(0.9, ipd_px / width)
    )
    groups = {
        name: np.round(apply_affine(matrix, points_px[idx]), 1).tolist()
        for name, idx in _ghost_groups().items()
    }
    return {"width": width, "height": height, "groups": groups}
