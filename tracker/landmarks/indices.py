"""Named groups of MediaPipe Face Mesh indices. Right/left are the subject's own sides.

In an unmirrored photo the subject's right side appears on the image's left.
The left/right pairing of all 478 points (``MIRROR``) is derived by mirroring the project's
reference face (tools/build_reference_face.py) and agrees with every pair named here.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

IRIS_CENTRE_RIGHT, IRIS_CENTRE_LEFT = 468, 473
# horizontal edges of the iris rings (right eye: 469 lateral? either way both ends of a diameter)
IRIS_HORIZONTAL_RIGHT = (469, 471)
IRIS_HORIZONTAL_LEFT = (474, 476)
IRIS_RING_RIGHT = (469, 470, 471, 472)
IRIS_RING_LEFT = (474, 475, 476, 477)

# upper edge of the brow from lateral to medial, and the lower edge under each point
BROW_UPPER_RIGHT = (70, 63, 105, 66, 107)
BROW_UPPER_LEFT = (300, 293, 334, 296, 336)
BROW_LOWER_RIGHT = (46, 53, 52, 65, 55)
BROW_LOWER_LEFT = (276, 283, 282, 295, 285)

# eyelids: upper and lower lid at mid-pupil; eye corners (outer, inner)
LID_UPPER_RIGHT, LID_LOWER_RIGHT = 159, 145
LID_UPPER_LEFT, LID_LOWER_LEFT = 386, 374
EYE_CORNERS_RIGHT = (33, 133)
EYE_CORNERS_LEFT = (263, 362)

MOUTH_CORNER_RIGHT, MOUTH_CORNER_LEFT = 61, 291
LIP_UPPER_INNER, LIP_LOWER_INNER = 13, 14

N_POINTS = 478  # Face Mesh with the irises

# malar point: the cheek's most prominent point below the eye
CHEEK_RIGHT, CHEEK_LEFT = 50, 280

# face contour from the subject's right ear over the chin to the left ear
JAW_CONTOUR = (
    234,
    93,
    132,
    58,
    172,
    136,
    150,
    149,
    176,
    148,
    152,
    377,
    400,
    378,
    379,
    365,
    397,
    288,
    361,
    323,
    454,
)
CHIN = 152
# Outline points (Face Mesh's face oval): Face Mesh puts them on the face's outline in the image
# (where the line of sight grazes the jaw, the temples, the forehead), not on a fixed point of
# the skin, and their image positions do not follow perspective as their own depth says (on the
# project's 3-D head they follow about 60 % of the true near/far magnification). Perspective is
# undone for them as for points at the eyes' depth (tracker.metrics.frame), and the head pose
# and the face scale are not fitted on them.
SILHOUETTE = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
# the outline points left at the eyes' depth by the face frame: the face oval but the jaw's
# outline from the ramus to the chin, which tracker.metrics.jaw finds in the image itself, so
# that it follows the true magnification of the jaw (about 45-55 mm behind the eyes)
OUTLINE_AT_EYES_DEPTH = tuple(i for i in SILHOUETTE if i not in JAW_CONTOUR[1:-1])
# jaw angle: the ramus (contour from the ear down to the jaw corner) and the lower border
# (from the jaw corner to the chin) as two fitted lines; the gonion is where they cross
RAMUS_RIGHT = (93, 132, 58, 172)
RAMUS_LEFT = (323, 361, 288, 397)
JAW_BORDER_RIGHT = (136, 150, 149, 176, 148)
JAW_BORDER_LEFT = (365, 379, 378, 400, 377)

MIDLINE = (
    0,
    1,
    2,
    4,
    5,
    6,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    94,
    151,
    152,
    164,
    168,
    175,
    195,
    197,
    199,
    200,
)

# points that do not move with expression or with the treatment's effects (no brows, the
# glabella between them (8, 9) or the forehead above them (151), lids, mouth or jaw): the head pose is fitted on these alone, so a brow
# lift cannot change pitch. Closed under the left/right pairing, so mirroring is exact. No
# outline point (SILHOUETTE): their place depends on the camera, not only on the head.
RIGID = (
    1,
    4,
    5,
    6,
    168,
    195,
    197,
    33,
    133,
    263,
    362,
    130,
    359,
    243,
    463,
    116,
    345,
    117,
    346,
    123,
    352,
    118,
    347,
    101,
    330,
)


@lru_cache(maxsize=1)
def reference_face() -> tuple[np.ndarray, np.ndarray]:
    """The frontal reference face (478, 3) in interpupillary-distance units, image axes
    (x right, y down, z away from the camera), and the (478,) left/right permutation."""
    with resources.files("tracker.landmarks").joinpath("reference_face.npz").open("rb") as fh:
        data = np.load(fh)
        return data["points"].astype(np.float64), data["mirror"].astype(np.intp)


def mirror_permutation() -> np.ndarray:
    """Index permutation mapping each landmark to its left/right partner (midline: itself)."""
    return reference_face()[1]
