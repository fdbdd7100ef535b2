"""The profile view (tracker.metrics.profile, tracker.validation.profile): the chin-neck
angle from the silhouette, against geometry known by construction.

Synthetic outlines: a profile drawn as a polygon (forehead, nose, lips, chin, a straight
submental line rising to the chin at ``beta`` above the horizontal, a straight neck leaning
forward by ``tau`` going down), whose cervicomental angle is 90 + beta - tau exactly.
3-D renders: the project's profile head (submental rising at 25 deg, neck leaning 5 deg:
110 deg by construction) from the side, camera 40 cm away, 26 mm equivalent, level between
mouth and chin, image cut above the model's neck end.
"""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from tracker.metrics import registry
from tracker.metrics.profile import (
    ProfileError,
    measure_chain,
    measure_silhouette,
    oriented,
    profile_side,
    refine_silhouette,
)


def profile_polygon(beta_deg: float = 25.0, tau_deg: float = 5.0) -> np.ndarray:
    """A face pointing to +x, top to bottom (x forward, y down, mm): crown, forehead,
    nasion, nose tip, subnasale, lips, chin, the submental line back to the cervical point
    at (-50, 130) and the neck below it to y = 230."""
    cervical = np.array([-50.0, 130.0])
    menton = np.array([5.0, 130.0 - 55.0 * math.tan(math.radians(beta_deg))])
    neck_end = cervical + 100.0 * np.array([math.tan(math.radians(tau_deg)), 1.0])
    points = [
        (-60.0, -80.0),
        (-20.0, -70.0),
        (5.0, -40.0),
        (12.0, 0.0),  # brow
        (8.0, 20.0),  # nasion
        (35.0, 55.0),  # nose tip
        (15.0, 65.0),  # subnasale
        (17.0, 75.0),  # upper lip
        (12.0, 85.0),
        (16.0, 92.0),  # lower lip
        (8.0, 100.0),  # labiomental fold
        (14.0, 112.0),  # pogonion
        tuple(menton + np.array([2.0, -3.0])),
        tuple(menton),
        tuple(cervical),
        tuple(neck_end),
    ]
    return np.array(points, dtype=np.float64)


def densify(polygon: np.ndarray, step: float = 0.2) -> np.ndarray:
    out = []
    for a, b in zip(polygon[:-1], polygon[1:], strict=True):
        n = max(2, int(np.ceil(np.linalg.norm(b - a) / step)))
        t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
        out.append(a + t * (b - a))
    out.append(polygon[-1:])
    return np.vstack(out)


@pytest.mark.parametrize(("beta", "tau"), [(25.0, 5.0), (20.0, 5.0), (30.0, 0.0), (15.0, 12.0)])
def test_cervicomental_angle_of_a_drawn_profile(beta, tau):
    """The angle between a straight submental line and a straight neck is 90 + beta - tau
    (0.05 deg), whatever the unit."""
    for scale in (1.0, 7.3):
        chain = densify(profile_polygon(beta, tau)) * scale
        _, marks, values, _ = measure_chain(chain)
        assert values["cervicomental_angle_deg"] == pytest.approx(90 + beta - tau, abs=0.05)
        assert marks["nose_tip"] < marks["pogonion"] < marks["cervical_point"]


def test_landmarks_of_a_drawn_profile():
    """The nose tip, nasion and cervical point are the polygon's own corners (0.5 mm)."""
    chain, marks, _, _ = measure_chain(densify(profile_polygon()))
    assert chain[marks["nose_tip"]] == pytest.approx([35.0, 55.0], abs=0.5)
    assert chain[marks["nasion"]] == pytest.approx([8.0, 20.0], abs=0.5)
    assert chain[marks["cervical_point"]] == pytest.approx([-50.0, 130.0], abs=0.5)


def test_a_convex_outline_is_not_a_profile():
    """An ellipse (a head seen from the front, a ball) has no nose and no chin-neck angle."""
    t = np.linspace(-math.pi / 2, math.pi / 2, 500)
    with pytest.raises(ProfileError) as info:
        measure_chain(np.column_stack([80 * np.cos(t), 120 * np.sin(t)]))
    assert info.value.code == "not_a_profile"


def test_a_neck_cut_short_is_hidden():
    """A neck shown for less than the neck window is refused as hidden."""
    polygon = profile_polygon()
    polygon[-1] = polygon[-2] + 0.3 * (polygon[-1] - polygon[-2])
    with pytest.raises(ProfileError) as info:
        measure_chain(densify(polygon))
    assert info.value.code == "neck_hidden"


def _drawn_image(beta=25.0, tau=5.0, facing="right", *, background=(128, 122, 118)):
    """The drawn profile filled as a person (skin colour, the back of the head and body
    closed far behind) on a plain background, anti-aliased, 4 px per mm; the true angle is
    90 + beta - tau."""
    polygon = profile_polygon(beta, tau)
    outline = np.vstack([polygon, [[-150.0, 230.0], [-150.0, -80.0]]])
    px = (outline - [-170.0, -100.0]) * 4.0
    height, width = 1400, 900
    image = np.zeros((height * 4, width * 4), np.uint8)
    cv2.fillPoly(image, [np.round(px * 4).astype(np.int32)], 255)
    coverage = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA) / 255.0
    skin = np.array([200.0, 160.0, 140.0])
    rgb = coverage[..., None] * skin + (1 - coverage[..., None]) * np.array(background)
    rgb = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if facing == "left":
        rgb, coverage = rgb[:, ::-1].copy(), coverage[:, ::-1].copy()
    return rgb, coverage


@pytest.mark.parametrize("facing", ["right", "left"])
def test_silhouette_of_a_drawn_image(facing):
    """On a plain background, the refined outline gives the drawn angle (0.3 deg) from a
    rough mask (the true coverage blurred by 6 px, as the segmentation model's edge is),
    and the way the face points."""
    rgb, coverage = _drawn_image(facing=facing)
    rough = cv2.GaussianBlur(coverage.astype(np.float32), (0, 0), 6.0)
    silhouette = refine_silhouette(rgb, rough)
    assert silhouette.background_sd < 1.0
    geometry = measure_silhouette(silhouette.alpha)
    assert geometry.facing == facing
    assert geometry.values["cervicomental_angle_deg"] == pytest.approx(110.0, abs=0.3)


def test_busy_background_is_measured_as_texture():
    """A patterned background's texture is tens of grey levels, far over the limit."""
    from tracker.settings import DEFAULT_SETTINGS
    from tracker.validation.profile import busy_background

    rgb, coverage = _drawn_image()
    busy = busy_background(rgb, (128, 122, 118))
    rough = cv2.GaussianBlur(coverage.astype(np.float32), (0, 0), 6.0)
    assert refine_silhouette(busy, rough).background_sd > 3 * (
        DEFAULT_SETTINGS.profile_max_background_sd
    )


def test_sides_and_orientation():
    """A face pointing to the image's right shows the subject's right side; orienting the
    chain twice gives it back."""
    assert profile_side("right") == "right" and profile_side("left") == "left"
    chain = densify(profile_polygon())
    assert oriented(oriented(chain, "left", 800), "left", 800) == pytest.approx(chain)


def test_registry_profile_metrics():
    """The profile metrics are sided pairs of the profile view, absent from Face Mesh's."""
    from tracker.metrics import geometry

    names = registry.PROFILE_METRIC_NAMES
    assert "cervicomental_angle_left_deg" in names and "cervicomental_angle_right_deg" in names
    assert registry.partner("cervicomental_angle_left_deg") == "cervicomental_angle_right_deg"
    assert not set(names) & set(geometry.METRIC_NAMES)
    assert registry.profile_name("chin_projection") == "chin_projection_pct"


# --- the 3-D head -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sides():
    from tracker.validation.profile import profile_sides_study

    return profile_sides_study()


def test_truth_is_the_construction():
    """The exact side silhouette of the profile head gives 90 + 25 - 5 = 110 deg (0.2 deg)
    and, with the submental line at 20 deg, 105 deg (0.2 deg)."""
    from tracker.validation.profile import profile_head, true_profile

    assert true_profile(profile_head())["cervicomental_angle_deg"] == pytest.approx(110.0, abs=0.2)
    assert true_profile(profile_head(20.0))["cervicomental_angle_deg"] == pytest.approx(
        105.0, abs=0.2
    )


def test_both_profiles_of_the_head(sides):
    """Yaw +90 shows the subject's right side and -90 the left; each is read so, accepted,
    and its cervicomental angle is the exact silhouette's (0.5 deg)."""
    for row in sides:
        assert row["status"] == "ok"
        assert row["side"] == row["true_side"]
        assert row["cervicomental_angle_deg"] == pytest.approx(
            row["true_cervicomental_angle_deg"], abs=0.5
        )
        assert row["chin_projection_pct"] == pytest.approx(row["true_chin_projection_pct"], abs=1.5)


def test_known_submental_tightening():
    """The submental line lowered by 5 deg reads a change of 4.5 to 5.5 deg on both sides,
    within 0.5 deg of the exact silhouettes' change."""
    from tracker.validation.profile import profile_change_study

    for row in profile_change_study():
        assert -5.5 <= row["measured_change_deg"] <= -4.5
        assert row["measured_change_deg"] == pytest.approx(row["true_change_deg"], abs=0.5)


def test_bad_input_is_one_clear_reason():
    """A front render given as a profile, a profile given as a front photo and a profile
    before a busy background are each rejected with exactly one reason of their own code."""
    from tracker.validation.profile import profile_refusal_study

    codes = {row["case"]: row["codes"] for row in profile_refusal_study()}
    assert codes == {
        "front photo given as profile": "not_a_profile",
        "profile given as front photo": "profile_given_as_front",
        "profile before a busy background": "busy_background",
    }


def test_measure_json_on_a_profile(tmp_path):
    """`facetrack measure --json` on a profile photo says view "profile", its side and the
    cervicomental angle (within 0.5 deg of the truth); a front photo given with --view
    profile is one rejected line."""
    from tracker.cli import main
    from tracker.validation.head3d import Capture, render
    from tracker.validation.profile import (
        profile_capture,
        profile_head,
        render_profile,
        true_profile,
    )

    head = profile_head()
    Image.fromarray(render_profile(head, profile_capture(yaw_deg=-90.0))).save(
        tmp_path / "side.jpg", quality=92
    )
    Image.fromarray(render(head, Capture()).pixels).save(tmp_path / "front.jpg", quality=92)
    result = CliRunner().invoke(main, ["measure", "--json", str(tmp_path / "side.jpg")])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["view"] == "profile" and record["profile_side"] == "left"
    assert record["metrics"]["cervicomental_angle_deg"] == pytest.approx(
        true_profile(head)["cervicomental_angle_deg"], abs=0.5
    )
    result = CliRunner().invoke(
        main, ["measure", "--json", "--view", "profile", str(tmp_path / "front.jpg")]
    )
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["status"] == "rejected" and len(record["reasons"]) == 1
    assert record["reasons"][0].startswith("not a profile")


def test_library_keeps_profiles_apart_by_side(tmp_path):
    """Imported with --view auto, two profile renders are stored as profiles of the subject's
    right and left side with their outlines; remeasure recomputes the same values from the
    outlines (1e-9 deg); the front before/after never picks a profile, the profile one
    pairs a side with itself."""
    from tracker.analysis.pairs import choose_pair
    from tracker.importing import import_photos, remeasure
    from tracker.library import Library
    from tracker.validation.profile import profile_capture, profile_head, render_profile

    head = profile_head()
    folder = tmp_path / "in"
    folder.mkdir()
    for name, yaw in (("right.jpg", 90.0), ("left.jpg", -90.0)):
        Image.fromarray(render_profile(head, profile_capture(yaw_deg=yaw))).save(
            folder / name, quality=92
        )
    with Library(tmp_path / "lib") as library:
        summary = import_photos(library, folder, workers=1, manual_date="2026-01-05")
        assert summary.ok
        photos = library.photos()
        assert set(photos["view"]) == {"profile"}
        by_file = photos.set_index(photos["file"].map(lambda f: f.rsplit("/", 1)[-1]))
        assert by_file.at["right.jpg", "profile_side"] == "right"
        assert by_file.at["left.jpg", "profile_side"] == "left"
        right = by_file.at["right.jpg", "cervicomental_angle_right_deg"]
        assert np.isnan(by_file.at["right.jpg", "cervicomental_angle_left_deg"])
        assert right == pytest.approx(110.0, abs=0.6)
        remeasure(library)
        again = library.photos().set_index("id")
        for photo_id, row in photos.set_index("id").iterrows():
            name = registry.sided("cervicomental_angle", row["profile_side"])
            assert again.at[photo_id, name] == pytest.approx(row[name], abs=1e-9)
        assert choose_pair(photos, None, before="2026-01-01", after="2026-01-09") == ([], [])
        before, after = choose_pair(
            photos, None, before="2026-01-01", after="2026-01-09", view="profile", side="left"
        )
        assert before == after == [int(by_file.at["left.jpg", "id"])]
