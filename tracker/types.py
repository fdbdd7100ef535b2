"""Frozen dataclasses that flow between the pipeline stages.

Photo -> Landmarks -> Quality -> Measurement, combined per file into a PhotoResult.
Arrays are plain numpy; units are in the field names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import numpy as np

# "ok": measured and fit for a trend; "rejected": measured (or no face) but failing a quality
# check; "error": the file could not be read.
Status = Literal["ok", "rejected", "error"]


# the views a photo can be measured as (``pipeline.measure_any_pixels``): a front photo, a
# profile, or whichever it is
VIEWS = ("front", "profile", "auto")


class ReasonCode(StrEnum):
    """Why a photo was rejected or could not be read. The value is stored in the library."""

    HEAD_TURNED = "head_turned"
    HEAD_TIPPED = "head_tipped"
    HEAD_TILTED = "head_tilted"
    FACE_TOO_SMALL = "face_too_small"
    FACE_CUT = "face_cut"
    SEVERAL_FACES = "several_faces"
    BLURRED = "blurred"
    UNDER_EXPOSED = "under_exposed"
    OVER_EXPOSED = "over_exposed"
    EYES_CLOSED = "eyes_closed"
    GAZE_AWAY = "gaze_away"
    MOUTH_OPEN = "mouth_open"
    SMILING = "smiling"
    BROW_EDGE_MISSING = "brow_edge_missing"
    # a note, not a rejection: the photo stays "ok" with that side's jaw metrics NaN
    JAW_EDGE_MISSING = "jaw_edge_missing"
    UNUSUAL_POSE = "unusual_pose"
    DIFFERENT_PERSON = "different_person"
    NO_FACE = "no_face"
    # the profile view (tracker.metrics.profile)
    NOT_A_PROFILE = "not_a_profile"
    PROFILE_GIVEN_AS_FRONT = "profile_given_as_front"
    BUSY_BACKGROUND = "busy_background"
    NECK_HIDDEN = "neck_hidden"
    CHIN_TUCKED = "chin_tucked"
    HEAD_NOT_LEVEL = "head_not_level"
    CHIN_NECK_STEP = "chin_neck_step"
    BACKGROUND_LIKE_SKIN = "background_like_skin"
    UNREADABLE = "unreadable"
    CRASHED = "crashed"
    UNEXPECTED_ERROR = "unexpected_error"
    OTHER = "other"

    @property
    def kind(self) -> str:
        """How the reason is counted in summaries: "head turned", "several faces"."""
        return _REASON_KINDS.get(self, self.value.replace("_", " "))

    @property
    def advice(self) -> str:
        """What to do differently for the next photo, in plain words ("" when nothing
        a person can do would help)."""
        return _REASON_ADVICE.get(self, "")

    @property
    def about_image(self) -> bool:
        """A reason about the image itself (not the pose or the expression): such a photo's
        measurements are not to be trusted."""
        return self in _IMAGE_REASONS

    @classmethod
    def from_text(cls, text: str) -> ReasonCode:
        """The code of a reason known only by its text: for libraries made before reasons
        had codes, and for tables built by hand. Never needed for a fresh ``Reason``."""
        kind = _kind_of_text(text)
        return _CODES_BY_KIND.get(kind, cls.OTHER)


_REASON_KINDS = {
    ReasonCode.FACE_CUT: "face cut by the image border",
    ReasonCode.UNDER_EXPOSED: "under-exposed",
    ReasonCode.OVER_EXPOSED: "over-exposed",
    ReasonCode.EYES_CLOSED: "eyes closed or nearly closed",
    ReasonCode.GAZE_AWAY: "eyes not looking at the camera",
    ReasonCode.BROW_EDGE_MISSING: "brow edge not found in the image",
    ReasonCode.JAW_EDGE_MISSING: "jaw outline not found in the image",
    ReasonCode.UNUSUAL_POSE: "pose unlike your other photos",
    ReasonCode.DIFFERENT_PERSON: "looks like a different person",
    ReasonCode.NO_FACE: "no face found",
    ReasonCode.CRASHED: "the measuring process crashed on this file",
    ReasonCode.NOT_A_PROFILE: "not a profile photo",
    ReasonCode.PROFILE_GIVEN_AS_FRONT: "a profile photo, not a front one",
    ReasonCode.BUSY_BACKGROUND: "busy background behind the profile",
    ReasonCode.NECK_HIDDEN: "neck not visible below the chin",
    ReasonCode.HEAD_NOT_LEVEL: "head not level in the profile",
    ReasonCode.CHIN_NECK_STEP: "step in the outline under the chin",
    ReasonCode.BACKGROUND_LIKE_SKIN: "background too close to the skin's colour",
}
_REASON_ADVICE = {
    ReasonCode.HEAD_TURNED: "look straight into the camera",
    ReasonCode.HEAD_TIPPED: "hold your chin level, neither up nor down",
    ReasonCode.HEAD_TILTED: "keep your head upright",
    ReasonCode.FACE_TOO_SMALL: "hold the phone closer, or import the full-size photo",
    ReasonCode.FACE_CUT: "keep your whole face inside the picture",
    ReasonCode.SEVERAL_FACES: "take the photo with only your face in it",
    ReasonCode.BLURRED: "hold the phone still and let it focus on your face",
    ReasonCode.UNDER_EXPOSED: "face a window or a lamp",
    ReasonCode.OVER_EXPOSED: "move out of direct light",
    ReasonCode.EYES_CLOSED: "keep your eyes open",
    ReasonCode.GAZE_AWAY: "look into the camera's lens",
    ReasonCode.MOUTH_OPEN: "close your lips and relax your mouth",
    ReasonCode.SMILING: "relax your mouth: a neutral face, no smile",
    ReasonCode.BROW_EDGE_MISSING: "keep hair and glasses off your eyebrows",
    ReasonCode.JAW_EDGE_MISSING: "keep hair, a beard or a collar off your jawline",
    ReasonCode.UNUSUAL_POSE: "hold your head as in your other photos",
    ReasonCode.DIFFERENT_PERSON: "import only your own photos here (another person: --person)",
    ReasonCode.NO_FACE: "make sure your face is in the photo",
    ReasonCode.UNREADABLE: "save the photo again as a JPEG or HEIC file",
    ReasonCode.NOT_A_PROFILE: "for a profile, turn fully sideways so only one eye shows; "
    "a front photo is imported without --view profile",
    ReasonCode.PROFILE_GIVEN_AS_FRONT: "import side views with --view profile (or auto)",
    ReasonCode.BUSY_BACKGROUND: "stand in front of a plain wall for profile photos",
    ReasonCode.NECK_HIDDEN: "show your neck down to the collarbone: no collar, scarf or hair",
    ReasonCode.CHIN_TUCKED: "raise your chin to a level, relaxed position",
    ReasonCode.HEAD_NOT_LEVEL: "lower your chin to a level, relaxed position",
    ReasonCode.CHIN_NECK_STEP: "face the light so that your neck is lit like your face, "
    "and hold your chin level",
    ReasonCode.BACKGROUND_LIKE_SKIN: "stand in front of a plain wall much lighter or darker "
    "than your skin, lit evenly",
}


def reason_advice(reasons) -> list[str]:
    """The plain advice for a photo's reasons (``Reason`` objects or their texts), each once,
    in the reasons' order."""
    out: list[str] = []
    for reason in reasons:
        code = reason.code if isinstance(reason, Reason) else ReasonCode.from_text(str(reason))
        if code.advice and code.advice not in out:
            out.append(code.advice)
    return out


_IMAGE_REASONS = frozenset(
    {
        ReasonCode.BLURRED,
        ReasonCode.UNDER_EXPOSED,
        ReasonCode.OVER_EXPOSED,
        ReasonCode.FACE_TOO_SMALL,
        ReasonCode.FACE_CUT,
        ReasonCode.BROW_EDGE_MISSING,
    }
)
_CODES_BY_KIND = {code.kind: code for code in ReasonCode if code is not ReasonCode.OTHER}


def _kind_of_text(text: str) -> str:
    return re.split(r"[:;(]", text, maxsplit=1)[0].strip() or text


class Reason(str):
    """One reason a photo was rejected or could not be read: ``Reason(code, message)``.

    A reason *is* its message (a ``str``), so it prints, joins, compares and serialises as
    the text people read; ``code`` (a :class:`ReasonCode`) says what kind of reason it is,
    so nothing has to parse the text back.

    >>> reason = Reason(ReasonCode.SMILING, "smiling")
    >>> reason.code, reason.kind, reason == "smiling"
    (<ReasonCode.SMILING: 'smiling'>, 'smiling', True)
    """

    code: ReasonCode

    def __new__(cls, code: ReasonCode | str, message: str) -> Reason:
        self = super().__new__(cls, message)
        object.__setattr__(self, "code", ReasonCode(code))
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Reason is immutable")

    def __reduce__(self):
        return (Reason, (self.code.value, self.message))

    def __repr__(self) -> str:
        return f"Reason({self.code.name}, {self.message!r})"

    @property
    def message(self) -> str:
        return str.__str__(self)

    @property
    def kind(self) -> str:
        """How the reason is counted: its code's kind ("head turned"), or for a reason of
        no known code, its text up to the first ":", ";" or "("."""
        if self.code is ReasonCode.OTHER:
            return _kind_of_text(self.message)
        return self.code.kind

    @classmethod
    def of(cls, reason: str) -> Reason:
        """``reason`` itself when it is a Reason, else a Reason with the code its text
        implies (see ``ReasonCode.from_text``)."""
        if isinstance(reason, Reason):
            return reason
        return cls(ReasonCode.from_text(reason), reason)


@dataclass(frozen=True)
class Camera:
    """The pinhole camera that took one analysed image.

    ``focal_length_px`` is in pixels of the analysed (possibly reduced-size, upright) image;
    ``focal_length_35mm`` the 35 mm-equivalent focal length it came from; ``focal_source``
    says where that came from ("exif-35mm", "exif-focal-plane", "default-front-camera", ...);
    ``notes`` why an EXIF value present in the file was not used (see tracker.photos.camera).
    """

    focal_length_px: float
    focal_length_35mm: float
    focal_source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Photo:
    """An opened photo, upright (EXIF orientation applied) and, if asked, un-mirrored.

    ``pixels`` is an (H, W, 3) uint8 RGB array. It may be a reduced-size decode of the stored
    image: ``decode_scale`` is pixels-per-stored-pixel (1.0 = full size, 0.5 = half size).
    ``original_size_px`` is the upright (width, height) of the full-size image.
    """

    path: Path
    pixels: np.ndarray
    original_size_px: tuple[int, int]
    decode_scale: float
    format: str
    orientation: int = 1
    mirrored: bool = False
    camera: Camera | None = None


@dataclass(frozen=True)
class Landmarks:
    """MediaPipe Face Mesh output for the subject (the largest face) of one image.

    ``points_px`` is (478, 3): x and y in pixels of the analysed image, z in the same pixel
    scale (MediaPipe's z is relative depth in units of the image width; smaller = nearer).
    ``face_count`` is how many faces the model found; ``other_face_ipd_px`` the
    interpupillary distances of the faces not chosen.
    """

    points_px: np.ndarray
    image_size_px: tuple[int, int]
    model: str
    face_count: int = 1
    other_face_ipd_px: tuple[float, ...] = ()


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees relative to the project's frontal reference face.

    yaw > 0: the face turns towards the subject's left; pitch > 0: chin up; roll > 0: the head
    tilts so that the subject's left eye is higher (counter-clockwise in the image).
    """

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True)
class Quality:
    """Pose, quality scores and the reasons (empty when acceptable) for one photo."""

    pose: Pose
    scores: dict[str, float]
    reasons: tuple[Reason, ...] = ()

    @property
    def acceptable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Measurement:
    """Facial metrics for one photo: name (with unit suffix) -> value, and the scale used."""

    metrics: dict[str, float]
    scale_mm_per_px: float
    scale_source: str = "iris"
    # distance from the camera to the midpoint of the irises, and where the focal length that
    # gave it came from (see tracker.types.Camera)
    camera_distance_mm: float = float("nan")
    focal_source: str = ""


@dataclass(frozen=True)
class PhotoResult:
    """Everything ``measure`` says about one file.

    ``status`` is "ok", "rejected" (measured, but failing a quality check, or no face) or
    "error" (the file could not be read), with its ``reasons``.

    ``refined_points_px`` are the (478, 3) landmarks the metrics were computed from (the
    model's, with the iris outline and the brow edge refined on the image); ``brow_edge_px``
    the brow-edge samples found in the image, per side (for overlays), ``jaw_edge_px`` the
    jaw-outline samples. ``decode_scale``
    (analysed pixels per stored pixel), ``original_size_px`` (upright width, height of the
    full-size image) and ``format`` describe the photo file, when one was opened; ``camera``
    is the camera model the measurement used (its focal length undoes the perspective).
    """

    file: str
    status: Status
    reasons: tuple[Reason, ...] = ()
    quality: Quality | None = None
    measurement: Measurement | None = None
    landmarks: Landmarks | None = None
    photo_size_px: tuple[int, int] | None = None
    refined_points_px: np.ndarray | None = None
    brow_edge_px: dict[str, np.ndarray] | None = None
    jaw_edge_px: dict[str, np.ndarray] | None = None
    decode_scale: float | None = None
    original_size_px: tuple[int, int] | None = None
    format: str | None = None
    camera: Camera | None = None
    # the view: "front" (Face Mesh) or "profile" (a side view measured on its silhouette,
    # tracker.metrics.profile); a profile's side is the subject's side facing the camera, and
    # ``profile`` its ProfileGeometry (outline, landmarks, lines)
    view: str = "front"
    profile_side: str | None = None
    profile: Any = None
