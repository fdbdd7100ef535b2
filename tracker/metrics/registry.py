"""The metric registry: every metric facetrack measures, described once.

Each :class:`Metric` holds its name (the column name, unit in the suffix), the family it
belongs to (its left and right share one: ``"brow_height"``), its side and partner, unit,
decimals, plain label, the method text of the report, and where it is shown. Every list,
column, label and formatter elsewhere derives from :data:`METRICS`; adding a metric means
adding it here and computing it in :mod:`tracker.metrics.geometry`.

Left and right are the subject's own.

Examples
--------
>>> get("brow_height_left_mm").label
'Brow height (left)'
>>> partner("jaw_angle_right_deg")
'jaw_angle_left_deg'
>>> sided("brow_height", "right")
'brow_height_right_mm'
>>> unit_text("asymmetry_pct"), decimals("asymmetry_pct")
('%', 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["left", "right"]
Unit = Literal["mm", "deg", "pct"]
View = Literal["front", "profile"]
Group = Literal["brow", "jaw", "eye", "mouth", "cheek", "symmetry", "scale"]

SIDES: tuple[Side, Side] = ("left", "right")
OTHER_SIDE: dict[str, Side] = {"left": "right", "right": "left"}
# how a unit is written after a number, and the decimals worth printing
UNIT_TEXT: dict[str, str] = {"mm": "mm", "deg": "deg", "pct": "%"}
UNIT_DECIMALS: dict[str, int] = {"mm": 2, "deg": 1, "pct": 2}


@dataclass(frozen=True)
class Metric:
    """One metric.

    Attributes
    ----------
    name : str
        The column name, its unit in the suffix: ``"brow_height_left_mm"``.
    family : str
        The name shared by a left/right pair (and its chart): ``"brow_height"``.
    group : str
        The part of the face: brow, jaw, eye, mouth, cheek, symmetry or scale.
    unit : str
        ``"mm"``, ``"deg"`` or ``"pct"``. Only millimetres scale with the person's size.
    label : str
        Plain words for people: ``"Brow height (left)"``.
    side, partner : str or None
        The subject's own side and the metric of the other side.
    short : str
        The abbreviation of a narrow table column ("brow" -> "brow L").
    method : str
        How it is measured, in plain words (the report's methods; one text per family).
    primary : bool
        A headline metric: the report's summary leads with it and the CLI tables show it.
    chart_rank : int or None
        Its family's place among the charts (None: not charted).
    dashboard : bool
        Its family has a panel on the dashboard.
    trended : bool
        Analysed by default (the interpupillary distance is the scale, not an outcome).
    noise_key : str
        The metric's name in the accuracy study's output (its noise floor's source).
    tolerance_group, tolerance_rank
        The validation's pose-tolerance group (the worst of a group sets its tolerance; a
        "*" marks a group whose response to a real change is not validated) and its place.
    warp : str or None
        The validation's warp aimed at this metric ("brow", "mouth", "jaw").
    capture_adjusted : bool
        The trend reads it at the person's usual capture (:mod:`tracker.analysis.levers`): a
        front-view metric of features behind or in front of the eyes (the jaw 40-60 mm behind
        them, the mouth corners and cheeks in front, the brows a few millimetres in front,
        by as much more or less than the face model says as a person's brow ridge differs),
        which the head's turn and nod and the camera's distance move through the face
        frame's depth model; or a profile's
        chin-neck angle, which the head's posture on its neck opens and closes
        (``head_neck_angle``).
    view : str
        The photo it is measured on: "front" (Face Mesh) or "profile" (the silhouette of a
        side view, :mod:`tracker.metrics.profile`). A profile metric's side is the subject's
        side facing the camera; front-only checks and studies skip profile metrics.
    """

    name: str
    family: str
    group: Group
    unit: Unit
    label: str
    side: Side | None = None
    partner: str | None = None
    short: str = ""
    method: str = ""
    primary: bool = False
    chart_rank: int | None = None
    dashboard: bool = False
    trended: bool = True
    noise_key: str = ""
    tolerance_group: str | None = None
    tolerance_rank: int | None = None
    warp: str | None = None
    design: str = "whole-face"
    difference_of: tuple[str, str] | None = None
    capture_adjusted: bool = False
    view: View = "front"

    @property
    def decimals(self) -> int:
        return UNIT_DECIMALS[self.unit]

    @property
    def unit_text(self) -> str:
        return UNIT_TEXT[self.unit]

    @property
    def charted(self) -> bool:
        return self.chart_rank is not None

    @property
    def scales_with_size(self) -> bool:
        """True for distances (mm): they change with the person scale."""
        return self.unit == "mm"


def _pair(family: str, group: Group, unit: Unit, label: str, **options) -> tuple[Metric, Metric]:
    """The left and right metrics of one family."""
    names = {side: f"{family}_{side}_{unit}" for side in SIDES}
    return tuple(
        Metric(
            name=names[side],
            family=family,
            group=group,
            unit=unit,
            label=f"{label} ({side})",
            side=side,
            partner=names[OTHER_SIDE[side]],
            noise_key=names[side],
            **options,
        )
        for side in SIDES
    )  # type: ignore[return-value]


def _one(family: str, group: Group, unit: Unit, label: str, **options) -> Metric:
    name = f"{family}_{unit}"
    return Metric(
        name=name,
        family=family,
        group=group,
        unit=unit,
        label=label,
        noise_key=name,
        **options,
    )


_BROW_METHOD = (
    "From the centre of the iris straight up to the upper edge of the eyebrow, "
    "with the face turned to the camera and the eyes level. The brow's edge is "
    "located on the image itself, to a fraction of a pixel."
)
_JAW_METHOD = (
    "The angle at the corner of the jaw between the back edge of the jaw (ramus) "
    "and its lower border, each a line fitted through several landmarks, in the "
    "frontal view. Smaller means a more defined jaw."
)
_JAW_CONTOUR_ANGLE_METHOD = (
    "The angle at the corner of the jaw between the back edge of the jaw (ramus) and its "
    "lower border, each a line fitted to the jaw's outline at fixed heights, in the frontal "
    "view. The outline is found on the image itself (the edge between the face and the "
    "neck or the background), so a move of the outline across leaves it unchanged. "
    "Experimental: steadier than the jaw angle on the 3-D test head, noisier on real photos."
)
_JAW_CONTOUR_METHOD = (
    "The distance from the face's midline to the outline of the jaw, {h} mm below the eyes, "
    "with the face turned to the camera and the eyes level. The outline is found on the "
    "image itself (the edge between the face and the neck or the background); a beard, a "
    "collar, hair or shadow over the jaw leaves it unmeasured."
)
_JOWL_METHOD = (
    "How far the outline of the jaw bulges outside the straight line from the corner of the "
    "jaw to the chin, in the frontal view (0 when it does not). The outline is found on the "
    "image itself."
)

_CERVICOMENTAL_METHOD = (
    "In a profile photo, measured on the outline of the head and neck: the angle between "
    "the line under the chin (fitted to the outline between the chin's curve and the "
    "deepest point between chin and neck) and the line of the front of the neck. About "
    "105-120 deg in young adults; smaller is a sharper chin-neck angle. Left and right "
    "profiles are separate photos and separate measurements."
)

# The noise floors live in the studies' output, tracker/validation/noise_floors.csv (read by
# tracker.analysis.noise, written by tools/write_noise_floors.py), keyed by ``noise_key``.
#
# The order is the order of the columns everywhere (the library, exports, the trend).
METRICS: tuple[Metric, ...] = (
    *_pair(
        "brow_height",
        "brow",
        "mm",
        "Brow height",
        short="brow",
        method=_BROW_METHOD,
        primary=True,
        chart_rank=0,
        dashboard=True,
        tolerance_group="brow height",
        tolerance_rank=0,
        warp="brow",
        capture_adjusted=True,
    ),
    _one(
        "brow_asymmetry",
        "brow",
        "mm",
        "Brow asymmetry",
        chart_rank=6,
        method="The difference between the left and right brow heights.",
    ),
    *_pair(
        "jaw_angle",
        "jaw",
        "deg",
        "Jaw angle",
        short="jaw",
        method=_JAW_METHOD,
        primary=True,
        chart_rank=1,
        dashboard=True,
        tolerance_group="jaw angle *",
        tolerance_rank=4,
        warp="jaw",
        capture_adjusted=True,
    ),
    _one(
        "jaw_angle_asymmetry",
        "jaw",
        "deg",
        "Jaw angle asymmetry",
        chart_rank=7,
        method="The difference between the left and right jaw angles.",
    ),
    _one(
        "asymmetry",
        "symmetry",
        "pct",
        "Facial asymmetry",
        short="asym",
        primary=True,
        chart_rank=2,
        dashboard=True,
        tolerance_group="asymmetry_pct *",
        tolerance_rank=6,
        method="How far 225 landmark pairs are from mirror images of each other across the "
        "face's midline, on average, as a percentage of the distance between the "
        "pupils. 0 would be a perfectly symmetric face.",
    ),
    *_pair(
        "eye_aperture",
        "eye",
        "mm",
        "Eye opening",
        chart_rank=3,
        dashboard=True,
        tolerance_group="eye aperture",
        tolerance_rank=1,
        method="The opening of the eye at the pupil, from the upper to the lower lid.",
    ),
    *_pair(
        "mouth_corner_elevation",
        "mouth",
        "mm",
        "Mouth corner elevation",
        chart_rank=4,
        dashboard=True,
        tolerance_group="mouth corner elevation",
        tolerance_rank=2,
        warp="mouth",
        method="The height of the corner of the mouth above the line joining the pupils, "
        "measured upward: the corner lies below that line, so the value is "
        "negative, and a higher corner gives a larger value.",
        capture_adjusted=True,
    ),
    _one(
        "mouth_corner_asymmetry",
        "mouth",
        "mm",
        "Mouth corner asymmetry",
        chart_rank=8,
        method="The difference between the left and right mouth corner elevations.",
    ),
    *_pair(
        "cheek_elevation",
        "cheek",
        "mm",
        "Cheek elevation",
        chart_rank=5,
        dashboard=True,
        tolerance_group="cheek elevation",
        tolerance_rank=3,
        method="The height of the most prominent point of the cheekbone above the line "
        "joining the pupils, measured upward: it lies below that line, so the value "
        "is negative, and a higher cheek gives a larger value.",
        capture_adjusted=True,
    ),
    _one(
        "lower_face_width",
        "jaw",
        "mm",
        "Lower face width",
        chart_rank=9,
        tolerance_group="lower face width *",
        tolerance_rank=5,
        method="The distance between the two corners of the jaw.",
        capture_adjusted=True,
    ),
    # the jaw's outline found in the image (tracker.metrics.jaw), issue 11
    *_pair(
        "jaw_contour_55",
        "jaw",
        "mm",
        "Jaw contour 55 mm below the eyes",
        short="jaw55",
        method=_JAW_CONTOUR_METHOD.format(h=55),
        chart_rank=10,
        tolerance_group="jaw contour",
        tolerance_rank=7,
        warp="jaw",
        capture_adjusted=True,
    ),
    *_pair(
        "jaw_contour_75",
        "jaw",
        "mm",
        "Jaw contour 75 mm below the eyes",
        short="jaw75",
        method=_JAW_CONTOUR_METHOD.format(h=75),
        chart_rank=11,
        tolerance_group="jaw contour",
        tolerance_rank=7,
        warp="jaw",
        capture_adjusted=True,
    ),
    *_pair(
        "jowl",
        "jaw",
        "mm",
        "Jowl",
        short="jowl",
        method=_JOWL_METHOD,
        chart_rank=12,
        tolerance_group="jowl *",
        tolerance_rank=8,
        capture_adjusted=True,
    ),
    *_pair(
        "jaw_contour_angle",
        "jaw",
        "deg",
        "Jaw contour angle",
        short="jawc",
        method=_JAW_CONTOUR_ANGLE_METHOD,
        chart_rank=13,
        tolerance_group="jaw contour angle *",
        tolerance_rank=9,
        capture_adjusted=True,
    ),
    # the profile view (tracker.metrics.profile): each side's profile is its own photo
    *_pair(
        "cervicomental_angle",
        "jaw",
        "deg",
        "Chin-neck angle",
        short="cma",
        chart_rank=10,
        view="profile",
        method=_CERVICOMENTAL_METHOD,
        capture_adjusted=True,
    ),
    *_pair(
        "profile_jaw_angle",
        "jaw",
        "deg",
        "Profile jawline angle",
        short="pjaw",
        chart_rank=11,
        view="profile",
        capture_adjusted=True,
        method="In the profile photo, the angle between the line from the most prominent "
        "point of the chin to the deepest point between chin and neck, and the neck line. "
        "Fullness under the chin bows the outline below that line and parts this angle "
        "from the chin-neck angle.",
    ),
    *_pair(
        "chin_projection",
        "jaw",
        "pct",
        "Chin projection",
        short="chin",
        chart_rank=12,
        view="profile",
        method="In the profile photo, how far the most prominent point of the chin lies "
        "ahead of the line from the root of the nose (nasion) to the base of the nose "
        "(subnasale), as a percentage of the face's height from nasion to chin; negative "
        "when behind it.",
    ),
    # the head's posture on its neck in a profile: not an outcome (not trended), the lever the
    # trend reads the chin-neck angles at (tracker.analysis.levers)
    *_pair(
        "head_neck_angle",
        "jaw",
        "deg",
        "Head-to-neck posture",
        short="hn",
        view="profile",
        trended=False,
    ),
    # the scales are not outcomes (not trended); no noise floor for the eyes' distance
    _one("interpupillary", "scale", "mm", "Interpupillary distance", trended=False),
    # the rigid points' size (nose, eye corners, cheekbones): the person scale, so constant by
    # construction under it
    _one("face_scale", "scale", "mm", "Face scale (rigid points)", trended=False),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
# the metrics of each view: Face Mesh's (front photos) and the silhouette's (profiles)
FRONT_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS if m.view == "front")
PROFILE_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS if m.view == "profile")
# a profile photo's own metric names (unsided: one photo shows one side) -> family
PROFILE_FAMILIES: tuple[str, ...] = tuple(
    dict.fromkeys(m.family for m in METRICS if m.view == "profile")
)


def profile_name(family: str) -> str:
    """The unsided name of a profile family, as one photo reports it.

    >>> profile_name("cervicomental_angle")
    'cervicomental_angle_deg'
    """
    for m in METRICS:
        if m.family == family and m.view == "profile":
            return f"{family}_{m.unit}"
    raise KeyError(f"no profile family {family!r}")


# Names of earlier versions, still readable: old name -> (name now, factor turning an old
# value into the new one). Mouth corner and cheek heights were measured downward from the
# pupils (a higher feature gave a smaller value); they are now elevations, measured upward.
RENAMED: dict[str, tuple[str, float]] = {
    f"{old}_{side}_mm": (f"{new}_{side}_mm", -1.0)
    for old, new in (
        ("mouth_corner_height", "mouth_corner_elevation"),
        ("cheek_height", "cheek_elevation"),
    )
    for side in SIDES
}
# chart (family) names of earlier versions -> the name now
RENAMED_FAMILIES: dict[str, str] = {
    "mouth_corner_height": "mouth_corner_elevation",
    "cheek_height": "cheek_elevation",
}
METRIC_NAMES: tuple[str, ...] = tuple(BY_NAME)
# the headline metrics (brow heights, jaw angles, facial asymmetry), in column order
PRIMARY: tuple[str, ...] = tuple(m.name for m in METRICS if m.primary)

SPLIT_FACE = "split-face"
WHOLE_FACE = "whole-face"
# The split-face design's primary outcome (issue 15): the treated brow minus the untreated one.
SPLIT_FACE_PRIMARY_FAMILIES: tuple[str, ...] = ("brow_height",)


def _difference(left: Metric, treated: Side) -> Metric:
    """The split-face metric of a left/right pair: the treated side minus the other, per photo.
    Its noise floor is the split-face row of the pair's left metric (the SD of left minus
    right, the same for right minus left)."""
    other = OTHER_SIDE[treated]
    minuend, subtrahend = (f"{left.family}_{side}_{left.unit}" for side in (treated, other))
    return Metric(
        name=f"{left.family}_{treated}_minus_{other}_{left.unit}",
        family=left.family,
        group=left.group,
        unit=left.unit,
        label=f"{left.label.removesuffix(' (left)')} ({treated} minus {other})",
        short=left.short,
        method=left.method,
        primary=left.family in SPLIT_FACE_PRIMARY_FAMILIES,
        noise_key=left.name,
        design=SPLIT_FACE,
        difference_of=(minuend, subtrahend),
    )


# Split-face metrics are derived per photo by the analysis, never stored: family -> treated
# side -> metric. "brow_height_left_minus_right_mm" is the left brow's height minus the
# right's in the same photo.
DIFFERENCES: dict[str, dict[str, Metric]] = {
    m.family: {side: _difference(m, side) for side in SIDES}
    for m in METRICS
    if m.side == "left" and m.partner is not None
}
_ANY: dict[str, Metric] = {
    **BY_NAME,
    **{d.name: d for by_side in DIFFERENCES.values() for d in by_side.values()},
}


def difference(family: str, treated: str) -> Metric:
    """The split-face metric of ``family`` with ``treated`` the treated side.

    >>> difference("brow_height", "left").name
    'brow_height_left_minus_right_mm'
    >>> difference("brow_height", "right").difference_of
    ('brow_height_right_mm', 'brow_height_left_mm')

    Raises
    ------
    KeyError
        For a family without a left/right pair or a side other than left or right.
    """
    return DIFFERENCES[family][treated]


def paired_families() -> tuple[str, ...]:
    """The families measured on each side (brow height, jaw angle, ...), in column order."""
    return tuple(DIFFERENCES)


def lookup(name: str) -> Metric | None:
    """The metric called ``name``, stored or split-face; None for an unknown name."""
    return _ANY.get(name)


def get(name: str) -> Metric:
    """The metric called ``name`` (a stored one, or a split-face difference).

    Raises
    ------
    KeyError
        For an unknown name.
    """
    return BY_NAME[name] if name in BY_NAME else _ANY[name]


def resolve(name: str) -> str:
    """The current name of a metric or chart given by a name of an earlier version
    (``RENAMED``, ``RENAMED_FAMILIES``); any other name unchanged.

    >>> resolve("mouth_corner_height_left_mm"), resolve("cheek_height")
    ('mouth_corner_elevation_left_mm', 'cheek_elevation')
    """
    if name in RENAMED:
        return RENAMED[name][0]
    return RENAMED_FAMILIES.get(name, name)


def upgrade_columns(frame):
    """A table (pandas DataFrame) with the metric columns of earlier versions turned into
    today's: renamed, and their values converted (a height measured downward negated into an
    elevation). Columns already present under the new name win; ``frame`` is not changed."""
    old = [c for c in frame.columns if c in RENAMED and RENAMED[c][0] not in frame.columns]
    if not old:
        return frame
    out = frame.copy()
    for column in old:
        new, factor = RENAMED[column]
        out[column] = out[column] * factor
    return out.rename(columns={c: RENAMED[c][0] for c in old})


def names(**where) -> tuple[str, ...]:
    """The metric names whose attributes equal the given values, in column order:
    ``names(group="brow")``, ``names(side="left", unit="mm")``."""
    return tuple(
        m.name for m in METRICS if all(getattr(m, key) == value for key, value in where.items())
    )


def sided(family: str, side: str) -> str:
    """The name of a family's metric on one side: ("brow_height", "left") ->
    "brow_height_left_mm".

    Raises
    ------
    KeyError
        When the family has no metric on that side.
    """
    for m in METRICS:
        if m.family == family and m.side == side:
            return m.name
    raise KeyError(f"no {side} metric in family {family!r}")


def partner(name: str) -> str | None:
    """The other side's metric (None for an unsided metric or an unknown name)."""
    metric = BY_NAME.get(name)
    return metric.partner if metric is not None else None


def unit_text(name: str) -> str:
    """How a metric's unit is written ("mm", "deg", "%"); "" for an unknown name."""
    metric = _ANY.get(name)
    return metric.unit_text if metric is not None else ""


def decimals(name: str) -> int:
    """The decimals worth printing for a metric (2 for an unknown name)."""
    metric = _ANY.get(name)
    return metric.decimals if metric is not None else 2


def label(name: str) -> str:
    """Plain words for a metric: "Brow height (left)"; an unknown name made readable."""
    metric = _ANY.get(name)
    return metric.label if metric is not None else name.replace("_", " ").capitalize()


def scales_with_size(name: str) -> bool:
    """True for a metric in millimetres (it changes with the person scale)."""
    metric = _ANY.get(name)
    return metric.scales_with_size if metric is not None else name.endswith("_mm")


def charts() -> dict[str, tuple[str, ...]]:
    """Chart name -> the metrics it shows (a family's left and right, or one metric), in
    chart order."""
    charted = sorted((m for m in METRICS if m.charted), key=lambda m: m.chart_rank or 0)
    out: dict[str, list[str]] = {}
    for m in charted:
        out.setdefault(m.family, []).append(m.name)
    return {family: tuple(columns) for family, columns in out.items()}


def tolerance_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The validation's pose-tolerance groups: (label, metric names), in table order."""
    grouped = sorted(
        (m for m in METRICS if m.tolerance_group is not None), key=lambda m: m.tolerance_rank or 0
    )
    out: dict[str, list[str]] = {}
    for m in grouped:
        out.setdefault(m.tolerance_group or "", []).append(m.name)
    return tuple((group, tuple(columns)) for group, columns in out.items())
