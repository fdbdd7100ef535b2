"""One person, the right way round, one number per photo (issue 12, items 9, 10 and 12).

Fast tests import photos whose landmarks are the project's 3-D head projected through a
hand-held selfie camera (exact geometry, no Face Mesh): the person is the sample head with its
left brow 2 mm higher, another person is the same head with another face shape
(``tracker.validation.identity.shape_variant``), a mirror image is the photo flipped
left-right as Face Mesh would see it. A slower test runs the whole pipeline on rendered JPEGs.
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED, needs_shared
from PIL import Image

from tracker.cli import main
from tracker.importing import import_photos, mark_mirrored
from tracker.library import Library
from tracker.metrics import identity
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics
from tracker.photos import open_photo
from tracker.photos.camera import principal_point_px
from tracker.types import Camera, Landmarks, Measurement, PhotoResult, Pose, Quality
from tracker.validation import head3d
from tracker.validation.identity import shape_variant

DIFFERENT = re.compile(
    r"^looks like a different person \(face shape distance \d+\.\d, "
    r"your photos \d+\.\d-\d+\.\d\)$"
)
IMAGE_SIZE = (1512, 2016)


def _heads():
    me = head3d.sample_head().deformed(brow_lift_mm={"left": 2.0})
    return {"me": me, "other": shape_variant(me, np.random.default_rng(3), scale=1.5)}


_HEADS: dict = {}


def head_landmarks(head_name: str, seed: int) -> tuple[np.ndarray, float]:
    """(478, 3) landmarks as Face Mesh gives them (x, y px; z depth in x's pixel scale) of a
    random selfie of a head, with 0.3 px of landmark noise, and the focal length in px."""
    if not _HEADS:
        _HEADS.update(_heads())
    rng = np.random.default_rng(seed)
    capture = head3d.random_selfie_capture(rng, image_size_px=IMAGE_SIZE)
    f_px = head3d.focal_length_px(capture.focal_length_35mm, IMAGE_SIZE)
    linear, translation = head3d._camera_transform(capture, f_px)
    cam = _HEADS[head_name].landmarks_mm @ linear.T + translation
    centre = np.array([(IMAGE_SIZE[0] - 1) / 2.0, (IMAGE_SIZE[1] - 1) / 2.0])
    xy = head3d._project(cam, f_px, centre)
    eyes_z = 0.5 * (cam[468, 2] + cam[473, 2])
    z = (cam[:, 2] - eyes_z) * f_px / eyes_z
    points = np.column_stack([xy, z]) + rng.normal(0, 0.3, (478, 3))
    return points, f_px


def head_measure(path, *, mirrored: bool = False) -> PhotoResult:
    """A measure function for imports: the file name says whose selfie it is and its seed
    ("me_07.jpg", "other_02.jpg"); "_mirror" makes it a mirror image (the landmarks Face Mesh
    finds on the flipped photo). Metrics as the pipeline computes them."""
    open_photo(path, mirrored=mirrored)  # a real file, read as an import reads it
    name = Path(path).stem
    who, seed = name.split("_")[0], int(re.findall(r"\d+", name)[-1])
    points, f_px = head_landmarks(who, seed)
    if "_mirror" in name:
        points = identity.mirror_points(points, IMAGE_SIZE[0])
    camera = Camera(f_px, 26.0, "exif-35mm")  # the rendered phone photo's, not the file's
    values = compute_metrics(
        points,
        0.25,
        focal_length_px=camera.focal_length_px,
        principal_point_px=principal_point_px(camera.focal_source, IMAGE_SIZE),
    )
    scale = 11.71 / values["iris_diameter_px"] * (1.0 + 0.02 * np.sin(seed))  # a noisy iris
    values = compute_metrics(
        points,
        scale,
        focal_length_px=camera.focal_length_px,
        principal_point_px=principal_point_px(camera.focal_source, IMAGE_SIZE),
    )
    pose = Pose(values["yaw_deg"], values["pitch_deg"], values["roll_deg"])
    return PhotoResult(
        file=str(path),
        status="ok",
        quality=Quality(pose=pose, scores={}),
        measurement=Measurement({n: values[n] for n in METRIC_NAMES}, scale, "iris"),
        landmarks=Landmarks(points_px=points, image_size_px=IMAGE_SIZE, model="head3d"),
        photo_size_px=IMAGE_SIZE,
        refined_points_px=points,
        decode_scale=1.0,
        camera=camera,
        original_size_px=IMAGE_SIZE,
        format="JPEG",
    )


def head_import(library: Library, paths, **kwargs):
    """``tracker.importing.import_photos`` with ``head_measure``."""
    return import_photos(library, paths, measure=head_measure, **kwargs)


def write_photos(folder: Path, names: list[str], start: datetime = datetime(2026, 1, 5, 8)):
    """Small JPEGs with the given names (distinct content), a day apart, with an EXIF date
    and a phone's 26 mm focal length."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, name in enumerate(names):
        pixels = np.random.default_rng(zlib.crc32(name.encode())).integers(
            0, 256, (64, 48, 3), dtype=np.uint8
        )
        exif = Image.Exif()
        ifd = exif.get_ifd(0x8769)
        ifd[36867] = (start + timedelta(days=k)).strftime("%Y:%m:%d %H:%M:%S")
        ifd[0xA405] = 26
        path = folder / f"{name}.jpg"
        Image.fromarray(pixels).save(path, quality=95, exif=exif)
        paths.append(path)
    return paths


@pytest.fixture
def library(tmp_path):
    with Library(tmp_path / "lib") as lib:
        yield lib


def test_another_persons_photo_is_kept_but_rejected_and_out_of_the_trend(library, tmp_path):
    """After five photos of the person, two of a different face shape are rejected with a
    reason that says so (the distance and the person's own range), kept in the library, left
    out of the accepted photos the trends use; the person's later photos stay accepted."""
    names = [f"me_{k}" for k in range(5)] + ["other_1", "me_5", "other_2", "me_6"]
    summary = head_import(library, write_photos(tmp_path / "in", names), workers=1)
    frame = library.photos()
    assert len(frame) == 9
    stems = frame["file"].map(lambda f: Path(f).stem)
    others = frame[stems.str.startswith("other_")]
    assert others["status"].tolist() == ["rejected", "rejected"]
    assert others["identity"].tolist() == ["different", "different"]
    for reasons in others["reasons"]:
        assert len(reasons) == 1 and DIFFERENT.match(reasons[0]), reasons
    mine = frame[stems.str.startswith("me_")]
    assert (mine["status"] == "ok").all()
    assert mine["identity"].tolist() == ["baseline"] * 5 + ["same"] * 2
    assert mine["face_shape_distance"].max() < others["face_shape_distance"].min()
    assert set(library.photos(status="ok")["id"]) == set(mine["id"])
    assert summary.rejected_count == 2 and len(summary.other_person) == 2
    assert any("photos of someone else" in line for line in summary.lines())
    record = library.photo(int(others["id"].iloc[0]))
    assert record["identity"] == "different" and record["face_shape_distance"] > 1.5


def test_the_person_is_learned_from_the_first_photos_whatever_the_import_order(library, tmp_path):
    """Photos imported before the person is known are decided once five accepted photos
    exist, by capture time: another person's photo among the first five does not become the
    person (the median signature), and is rejected."""
    names = ["me_0", "other_1", "me_1", "me_2", "me_3", "me_4"]
    paths = write_photos(tmp_path / "in", names)
    head_import(library, paths[:3], workers=1)
    assert library.photos()["identity"].isna().all()  # too few photos to know the person
    assert (library.photos()["status"] == "ok").all()
    head_import(library, paths[3:], workers=1)
    frame = library.photos()
    # the first five by capture time hold the other face; the sixth is checked against them
    assert frame.set_index("file")["identity"].to_dict() == {
        str(p): ("different" if "other" in p.name else "same" if p.stem == "me_4" else "baseline")
        for p in paths
    }


def test_several_people_each_with_their_own_baseline(library, tmp_path):
    """``person=`` keeps each person apart: the other face is a person of their own (learned
    from their own photos, accepted), and is rejected only when filed under "me"."""
    mine = write_photos(tmp_path / "me", [f"me_{k}" for k in range(5)])
    theirs = write_photos(tmp_path / "them", [f"other_{k}" for k in range(10, 16)])
    head_import(library, mine, workers=1)
    head_import(library, theirs, workers=1, person="sam")
    assert (library.photos(person="sam")["status"] == "ok").all()
    assert len(library.photos(person="sam")) == 6
    stray = write_photos(tmp_path / "stray", ["other_30"], start=datetime(2026, 3, 1))
    head_import(library, stray, workers=1)
    me = library.photos(person="me")
    assert me.iloc[-1]["identity"] == "different"


def test_a_mirror_image_is_detected_and_read_the_right_way_round(library, tmp_path):
    """With the person's asymmetry known (left brow 2 mm higher), mirror images are flagged
    and measured the right way round: their left brow reads as the same photo unmirrored
    does; the import summary says so; unmirrored photos are not flagged."""
    names = [f"me_{k}" for k in range(6)] + ["me_mirror_6", "me_mirror_7", "me_8"]
    summary = head_import(library, write_photos(tmp_path / "in", names), workers=1)
    frame = library.photos().set_index("file")
    flagged = frame[frame["mirror_source"] == "detected"]
    assert sorted(Path(f).stem for f in flagged.index) == ["me_mirror_6", "me_mirror_7"]
    assert flagged["mirrored"].all() and not frame.drop(flagged.index)["mirrored"].any()
    for name, seed in (("me_mirror_6", 6), ("me_mirror_7", 7)):
        truth, f_px = head_landmarks("me", seed)
        scale = frame.loc[str(tmp_path / "in" / f"{name}.jpg"), "scale_mm_per_px"]
        expected = compute_metrics(
            truth,
            scale,
            focal_length_px=f_px,
            principal_point_px=principal_point_px("exif-35mm", IMAGE_SIZE),
        )
        row = frame.loc[str(tmp_path / "in" / f"{name}.jpg")]
        for metric in ("brow_height_left_mm", "brow_height_right_mm", "jaw_angle_left_deg"):
            assert row[metric] == pytest.approx(expected[metric], abs=1e-6)
    assert row["brow_height_left_mm"] > row["brow_height_right_mm"] + 1.0
    assert summary.mirrored == tuple(int(i) for i in flagged["id"])
    assert any(
        line.startswith("Mirror images read the right way round") and "2 photos" in line
        for line in summary.lines()
    )


def test_a_stored_photo_can_be_marked_mirrored_or_not_without_reimporting(library, tmp_path):
    """``mark_mirrored`` swaps a stored photo's left and right from its stored landmarks
    (brows swap sides), back again with False, and the CLI does the same by id."""
    paths = write_photos(tmp_path / "in", [f"me_{k}" for k in range(3)])
    head_import(library, paths, workers=1)
    photo_id = int(library.photos()["id"].iloc[1])
    before = library.photo(photo_id)["metrics"]
    assert mark_mirrored(library, photo_id) is True
    after = library.photo(photo_id)
    assert after["mirrored"] and after["mirror_source"] == "marked"
    assert after["metrics"]["brow_height_left_mm"] == pytest.approx(
        before["brow_height_right_mm"], abs=0.05
    )
    assert after["metrics"]["brow_height_right_mm"] == pytest.approx(
        before["brow_height_left_mm"], abs=0.05
    )
    assert mark_mirrored(library, photo_id, False) is True
    again = library.photo(photo_id)
    assert not again["mirrored"]
    for name, value in before.items():
        assert again["metrics"][name] == pytest.approx(value, abs=1e-9)
    library.close()
    runner = CliRunner()
    lib = str(tmp_path / "lib")
    result = runner.invoke(main, ["photos", "--mark-mirrored", str(photo_id), "--library", lib])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Photo {photo_id}: marked as a mirror image; measured again "
        "with left and right swapped back.\n"
    )
    with Library(tmp_path / "lib") as reopened:
        assert reopened.photo(photo_id)["mirrored"]
    result = runner.invoke(main, ["photos", "--mark-unmirrored", str(photo_id), "--library", lib])
    assert result.output == (
        f"Photo {photo_id}: marked as not mirrored; measured again as it was taken.\n"
    )
    result = runner.invoke(main, ["photos", "--mark-unmirrored", "999", "--library", lib])
    assert result.exit_code == 1 and result.output == "error: no photo with id 999\n"


def test_photos_table_json_and_csv_give_the_reports_numbers(library, tmp_path):
    """One number per photo everywhere: ``photos`` (table, --json, --csv) shows each
    millimetre metric on the person's calibrated scale, as the trend and the report do
    (``photos(person_scale=True)``), not the photo's own iris scale, and says which scale."""
    head_import(library, write_photos(tmp_path / "in", [f"me_{k}" for k in range(4)]), workers=1)
    report = library.photos(person_scale=True).set_index("id")
    own = library.photos().set_index("id")
    assert not np.allclose(report["brow_height_left_mm"], own["brow_height_left_mm"])
    library.close()
    runner = CliRunner()
    lib = str(tmp_path / "lib")
    records = [
        json.loads(line)
        for line in runner.invoke(main, ["photos", "--json", "--library", lib]).output.splitlines()
    ]
    for record in records:
        assert record["scale_source"] == "person"
        assert record["metrics"]["brow_height_left_mm"] == pytest.approx(
            report.loc[record["id"], "brow_height_left_mm"], abs=1e-9
        )
    table = runner.invoke(main, ["photos", "--library", lib]).output.splitlines()
    rows = [line for line in table if re.match(r"^\s+\d+\s+2026-", line)]
    for line, (photo_id, row) in zip(rows, report.iterrows()):
        assert line.split()[0] == str(photo_id)
        assert f"{row['brow_height_left_mm']:.2f}" in line.split()
    with Library(tmp_path / "lib") as reopened:
        mm, _, n = reopened.calibrated_scale_mm()
    assert (
        f"Millimetres on your calibrated scale (face scale {mm:.1f} mm, the median of "
        f"{n} accepted photos), as in the trend and the report."
    ) in table
    csv = runner.invoke(main, ["photos", "--csv", "--library", lib]).output.splitlines()
    header = csv[0].split(",")
    first = dict(zip(header, csv[1].split(",")))
    assert first["scale_source"] == "person"
    assert float(first["brow_height_left_mm"]) == pytest.approx(
        report["brow_height_left_mm"].iloc[0], abs=1e-9
    )


SHARED_PEOPLE = SHARED / "real" / "people"


def test_rendered_selfies_through_the_pipeline(tmp_path):
    """The whole import on rendered phone JPEGs of the 3-D head (left brow 2 mm higher):
    five selfies make the person; a selfie of another face shape is rejected as a different
    person; a front-camera mirror image (pixels flipped) is detected and read the right way
    round (its left brow higher again); another selfie of the person stays accepted."""
    me = head3d.sample_head().deformed(brow_lift_mm={"left": 2.0})
    other = shape_variant(me, np.random.default_rng(5))
    rng = np.random.default_rng(2026)
    folder = tmp_path / "in"
    folder.mkdir()
    plan = [("me", me, False)] * 5 + [
        ("other", other, False),
        ("mirror", me, True),
        ("me", me, False),
    ]
    for k, (name, head, flip) in enumerate(plan):
        rendered = head3d.render(head, head3d.random_selfie_capture(rng))
        if flip:
            rendered = head3d.Rendered(
                **{**rendered.__dict__, "pixels": rendered.pixels[:, ::-1].copy()}
            )
        head3d.save_jpeg(
            folder / f"{k}_{name}.jpg",
            rendered,
            captured_at=datetime(2026, 1, 5, 8) + timedelta(days=k),
        )
    with Library(tmp_path / "lib") as library:
        summary = import_photos(library, folder, workers=1)
        frame = library.photos().set_index(library.photos()["file"].map(lambda f: Path(f).stem))
    assert frame.loc["5_other", "identity"] == "different"
    assert DIFFERENT.match(frame.loc["5_other", "reasons"][-1])
    mine = frame.drop(index="5_other")
    assert (mine["status"] == "ok").all(), mine["reasons"]
    assert mine["identity"].notna().all() and (mine["identity"] != "different").all()
    assert frame.loc["6_mirror", "mirror_source"] == "detected"
    assert frame.loc["6_mirror", "mirrored"] and mine.drop(index="6_mirror")["mirrored"].sum() == 0
    assert summary.mirrored == (int(frame.loc["6_mirror", "id"]),)
    lift = mine["brow_height_left_mm"] - mine["brow_height_right_mm"]
    assert (lift > 1.0).all(), lift  # the mirror image too: its sides are right again


@needs_shared
def test_held_out_real_people_are_told_apart():
    """Held-out check (nothing is tuned on it): in ../shared/faces/real/people, each
    person's photos are further than the threshold's floor from every other person's."""
    from tracker.pipeline import measure_photo
    from tracker.settings import DEFAULT_SETTINGS

    signatures = {}
    for folder in sorted(p for p in SHARED_PEOPLE.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            result, photo = measure_photo(path)
            if result.measurement is None:
                continue
            camera = result.camera
            height, width = photo.pixels.shape[:2]
            signatures.setdefault(folder.name, []).append(
                identity.face_signature(
                    result.refined_points_px,
                    focal_length_px=camera.focal_length_px,
                    principal_point_px=principal_point_px(camera.focal_source, (width, height)),
                )
            )
    names = sorted(signatures)
    for a in names:
        for b in names:
            if a < b:
                for sa in signatures[a]:
                    for sb in signatures[b]:
                        assert (
                            identity.signature_distance(sa, sb)
                            > DEFAULT_SETTINGS.person_distance_floor
                        ), (a, b)


def test_identity_study_separates_faces_and_finds_every_mirror_image():
    """The study behind the thresholds, reduced: on rendered selfies, every mirror image
    correlates with the person's asymmetry pattern below -0.3 and every other photo of the
    person above +0.3; the person's own photos (also treated: brow, jaw, mouth corners) are
    nearer their signature than the floor of the threshold, other face shapes mostly not."""
    from tracker.settings import DEFAULT_SETTINGS
    from tracker.validation.identity import identity_study

    frame = identity_study(
        people=3, photos_per_person=2, own_photos=6, treated_photos=2, mirrored_photos=3, seed=5
    )
    frame = frame[frame["distance"].notna()]
    me = frame[frame["person"] == 0]
    limit = DEFAULT_SETTINGS.mirror_min_correlation
    assert (me.loc[me["kind"] == "mirrored", "mirror_correlation"] < -limit).all()
    assert (me.loc[me["kind"] != "mirrored", "mirror_correlation"] > limit).all()
    assert me["distance"].max() < DEFAULT_SETTINGS.person_distance_floor
    others = frame.loc[frame["person"] > 0, "distance"]
    assert others.median() > DEFAULT_SETTINGS.person_distance_floor


def test_a_symmetric_face_is_never_flipped(tmp_path):
    """With no asymmetry of its own (the reference face, symmetric, with 0.2 px of landmark
    noise per photo), a face's pattern is noise: detection stays off (no photo is flipped),
    and the noisy photos' wider scatter widens the person's threshold (none is rejected)."""
    from test_library import fake_import, fake_library, make_photos

    with fake_library(tmp_path / "lib") as library:
        summary = fake_import(library, make_photos(tmp_path / "in", 24), workers=1)
        frame = library.photos()
        strength, threshold = library._conn.execute(
            "SELECT pattern_strength, threshold FROM people"
        ).fetchone()
    assert summary.mirrored == () and not frame["mirrored"].any()
    assert frame["mirror_source"].isna().all()
    assert (frame["identity"] != "different").all() and threshold > 1.5
    assert abs(strength) < 0.5
