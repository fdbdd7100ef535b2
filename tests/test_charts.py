"""Tests of tracker.charts: metric charts, the dashboard, the treatment log, the aligned
before/after photos, the timelapse, saving, and the ``chart`` command.

Libraries are built with ``fake_measure`` (also used by tests/test_report.py): each tiny
generated JPEG is really opened, but its landmarks are the project's reference face x 40 px
with 0.2 px of noise seeded by the file's bytes, and its brows are lifted by the amount
written in its file name, so that a library shows a known change in milliseconds.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure
from PIL import Image

from tracker import Library, charts, import_photos
from tracker.cli import main
from tracker.errors import PhotoError
from tracker.landmarks import indices as ix
from tracker.landmarks.indices import reference_face
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics
from tracker.photos import open_photo
from tracker.types import Landmarks, Measurement, PhotoResult, Pose, Quality

START = datetime(2025, 1, 1, 8, 0)
SMILE_REASON = "smiling: mouth corners raised 0.060 of the eye distance (limit 0.045)"


# --- a fake measure function and generated libraries ------------------------------------------


def fake_measure(path, *, mirrored: bool = False) -> PhotoResult:
    """Open the photo for real, then return a synthetic measurement: the reference face x 40
    px (+ 0.2 px noise seeded by the file's bytes) at 0.3 mm/px, both brows' upper edge
    raised by ``lift<tenths of mm>`` from the file name on the subject's left
    ("..._lift08.jpg": 0.8 mm). "smile" in the name rejects the photo."""
    photo = open_photo(path, mirrored=mirrored)
    name = Path(path).stem
    height, width = photo.pixels.shape[:2]
    rng = np.random.default_rng(zlib.crc32(Path(path).read_bytes()))
    reference, _ = reference_face()
    scale = 0.3
    points = reference * 40.0 + np.array([64.0, 60.0, 0.0]) + rng.normal(0, 0.2, reference.shape)
    lift_mm = float(name.split("_lift")[1][:2]) / 10 if "_lift" in name else 0.0
    points[list(ix.BROW_UPPER_LEFT), 1] -= lift_mm / scale
    values = compute_metrics(points, scale)
    reasons = (SMILE_REASON,) if "smile" in name else ()
    pose = Pose(float(values["yaw_deg"]), float(values["pitch_deg"]), float(values["roll_deg"]))
    return PhotoResult(
        file=str(path),
        status="rejected" if reasons else "ok",
        reasons=reasons,
        quality=Quality(pose=pose, scores={"sharpness": 100.0}, reasons=reasons),
        measurement=Measurement({n: float(values[n]) for n in METRIC_NAMES}, scale, "iris"),
        landmarks=Landmarks(points_px=points, image_size_px=(width, height), model="fake-mesh"),
        photo_size_px=(width, height),
        refined_points_px=points,
        decode_scale=1.0,
        original_size_px=photo.original_size_px,
        format=photo.format,
    )


def write_photo(path: Path, when: datetime, seed: int, size: int = 128) -> Path:
    """A small JPEG with distinct content (a seeded gradient and noise) and an EXIF date."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(60, 200, size)
    pixels = np.stack(
        [np.add.outer(ramp, ramp) / 2, np.tile(ramp, (size, 1)), np.tile(ramp[:, None], (1, size))],
        axis=-1,
    )
    pixels = (pixels + rng.normal(0, 8, pixels.shape)).clip(0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = when.strftime("%Y:%m:%d %H:%M:%S")
    Image.fromarray(pixels).save(path, quality=80, exif=exif)
    return path


def build_library(
    root: Path,
    *,
    days: int,
    every: int = 1,
    first_session_day: int = 10,
    sessions_every: int = 2,
    lift_mm: float = 0.8,
    smiles_every: int = 0,
    after_every: int = 0,
    size: int = 128,
    tag: str | None = None,
    note: str | None = None,
) -> Library:
    """A library of one photo every ``every`` days for ``days`` days from 2025-01-01 08:00
    (EXIF dates), with 20-minute treatment sessions every ``sessions_every`` days from
    ``first_session_day`` at 09:00; photos from 14 days after the first session on show the
    left brow ``lift_mm`` higher. Every ``smiles_every``-th photo is rejected (smiling). On
    every ``after_every``-th session day a second photo at 09:30, right after the session,
    shows the left brow 0.3 mm higher still."""
    folder = root / "photos"
    folder.mkdir(parents=True)
    for i in range(0, days, every):
        lift = lift_mm if i >= first_session_day + 14 else 0.0
        kind = "smile_" if smiles_every and i % (smiles_every * every) == every else ""
        write_photo(
            folder / f"{kind}day_{i:03d}_lift{round(lift * 10):02d}.jpg",
            START + timedelta(days=i),
            seed=i,
            size=size,
        )
        since = i - first_session_day
        if after_every and since >= 0 and since % (after_every * sessions_every) == 0:
            write_photo(
                folder / f"after_{i:03d}_lift{round(lift * 10) + 3:02d}.jpg",
                START + timedelta(days=i, hours=1.5),
                seed=10_000 + i,
                size=size,
            )
    library = Library(root / "library")
    import_photos(library, folder, workers=1, tag=tag, measure=fake_measure)
    for i in range(first_session_day, days, sessions_every):
        library.log_session(
            START + timedelta(days=i, hours=1),
            minutes=20,
            mode="lift",
            note=note if i == first_session_day else None,
        )
    return library


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Library:
    """60 daily photos (every 5th from day 5 rejected for smiling), sessions every other
    day from day 10; the left brow 0.8 mm higher from day 24."""
    library = build_library(tmp_path_factory.mktemp("season"), days=60, smiles_every=5)
    yield library
    library.close()


def synthetic_frames(days: int = 120, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A photos frame (one accepted photo a day at 08:00, every metric 20 +/- 0.2, the left
    brow 0.8 mm higher from day 30) and sessions every other day from day 10 at 09:00."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, days + 1),
            "captured_at": pd.date_range("2026-01-01 08:00", periods=days, freq="D"),
            "status": "ok",
            "reasons": [[] for _ in range(days)],
            "session": None,
        }
    )
    for name in METRIC_NAMES:
        frame[name] = 20 + rng.normal(0, 0.2, days)
    frame["brow_height_left_mm"] += np.where(np.arange(days) >= 30, 0.8, 0.0)
    sessions = pd.DataFrame(
        {
            "id": np.arange(1, (days - 10) // 2 + 1),
            "started_at": pd.date_range("2026-01-11 09:00", periods=(days - 10) // 2, freq="2D"),
            "minutes": 20.0,
        }
    )
    return frame, sessions


# --- metric charts ------------------------------------------------------------------------------


def line_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_metric_chart_draws_both_sides_baseline_windows_and_sessions():
    """A pair chart has a plain-words title, one line per side (the subject's), the baseline
    band, the three shaded windows labelled, and one tick per session on the time axis."""
    photos, sessions = synthetic_frames()
    ax = charts.metric_chart(photos, sessions, metric="brow_height")
    assert ax.get_title(loc="left") == "Brow height, left and right (mm)"
    assert ax.get_ylabel() == "mm"
    labels = line_labels(ax)
    assert labels[:3] == ["Left", "Right", "Baseline ± noise floor (MDC95)"]
    assert "Treatment session" in labels
    texts = {t.get_text() for t in ax.texts}
    assert {"Baseline", "2–4 weeks", "Long term"} <= texts
    ticks = [line for line in ax.lines if line.get_marker() == "|"]
    assert len(ticks) == 1 and len(ticks[0].get_xdata()) == len(sessions)
    # rolling medians: the left one ends about 0.8 mm above the right one
    solid = [line for line in ax.lines if line.get_linewidth() == 2.0]
    assert len(solid) == 2
    left_end = np.asarray(solid[0].get_ydata())[-20:].mean()
    right_end = np.asarray(solid[1].get_ydata())[-20:].mean()
    assert left_end - right_end == pytest.approx(0.8, abs=0.2)


def test_metric_chart_single_metric_and_given_axes():
    """A single metric draws into the given axes and returns them, titled with its unit."""
    photos, sessions = synthetic_frames(40)
    figure = Figure()
    ax = figure.add_subplot()
    assert charts.metric_chart(photos, sessions, metric="asymmetry", ax=ax) is ax
    assert ax.get_title(loc="left") == "Facial asymmetry (% of the eye distance)"
    assert line_labels(ax)[0] == "Daily value"


def test_metric_chart_without_photos_says_so():
    """No accepted photo: the chart keeps its title and says there is nothing yet."""
    photos, sessions = synthetic_frames(10)
    photos["status"] = "rejected"
    ax = charts.metric_chart(photos, sessions, metric="jaw_angle")
    assert ax.get_title(loc="left") == "Jaw angle, left and right (degrees)"
    assert [t.get_text() for t in ax.texts] == [charts.EMPTY_TEXT]


def test_metric_chart_rejects_unknown_metric():
    """An unknown metric name is refused with the known names listed."""
    photos, sessions = synthetic_frames(10)
    with pytest.raises(ValueError, match="unknown metric 'nose'; choose from brow_height"):
        charts.metric_chart(photos, sessions, metric="nose")


DASHBOARD_TITLES = [
    "Brow height, left and right (mm)",
    "Jaw angle, left and right (degrees)",
    "Facial asymmetry (% of the eye distance)",
    "Eye opening, left and right (mm)",
    "Mouth corner elevation, left and right (mm)",
    "Cheek elevation, left and right (mm)",
]


def test_dashboard_has_one_panel_per_key_metric():
    """The dashboard holds one titled panel per key metric, in plain words with units, and
    one legend for all."""
    photos, sessions = synthetic_frames(60)
    figure = charts.dashboard(photos, sessions)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    assert titles == DASHBOARD_TITLES
    assert len(figure.legends) == 1


def test_sessions_per_week_counts_empty_weeks():
    """Sessions per Monday-to-Sunday week, with weeks without a session as 0."""
    sessions = pd.DataFrame(
        {"started_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-07 09:00", "2026-01-26 09:00"])}
    )
    weekly = charts.sessions_per_week(sessions)
    assert weekly.tolist() == [2, 0, 0, 1]
    assert weekly.index[0] == pd.Timestamp("2026-01-05")
    ax = charts.adherence_chart(sessions, until=pd.Timestamp("2026-03-01"))
    assert len(ax.patches) >= 4
    assert any(t.get_text().startswith("pause, ") for t in ax.texts)


# --- before and after ---------------------------------------------------------------------------


def test_eye_alignment_puts_the_irises_in_place():
    """The similarity transform maps the subject's right and left iris centres exactly to
    their places in the aligned image, whatever the photo's rotation, scale and shift."""
    reference, _ = reference_face()
    angle = np.deg2rad(17.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = reference[:, :2] * 93.0 @ rotation.T + np.array([412.0, 377.0])
    matrix = charts.eye_alignment(points, size=(400, 500))
    mapped = charts._apply(matrix, points[[ix.IRIS_CENTRE_RIGHT, ix.IRIS_CENTRE_LEFT]])
    np.testing.assert_allclose(mapped, [[144.0, 200.0], [256.0, 200.0]], atol=1e-9)
    # a similarity: both columns of the linear part have the same length and are orthogonal
    linear = matrix[:, :2]
    assert linear[0, 0] == pytest.approx(linear[1, 1])
    assert linear[0, 1] == pytest.approx(-linear[1, 0])


def test_aligned_pair_takes_the_last_baseline_and_the_latest_photo(season):
    """Without ids, the pair is the latest accepted photo before the first session and the
    latest accepted photo; both are aligned on the eyes and carry their measured lines."""
    photos, sessions = charts.load_frames(season)
    pair = charts.aligned_pair(season, photos=photos, sessions=sessions)
    ok = photos.loc[photos["status"] == "ok"]
    first_session = sessions["started_at"].min()
    assert pair.before.photo_id == ok.loc[ok["captured_at"] < first_session, "id"].iloc[-1]
    assert pair.after.photo_id == ok["id"].iloc[-1]
    assert pair.before.pixels.shape == (500, 400, 3)
    for photo in (pair.before, pair.after):
        np.testing.assert_allclose(
            photo.geometry["ipd"], [[144.0, 200.0], [256.0, 200.0]], atol=1e-6
        )

    # the left brow line is 0.8 mm / 0.3 mm/px longer in the latest photo, in image pixels
    # scaled by the alignment
    def brow_px(photo, side):
        return np.linalg.norm(np.diff(photo.geometry["brow"][side], axis=0))

    gain = brow_px(pair.after, "left") - brow_px(pair.before, "left")
    same = brow_px(pair.after, "right") - brow_px(pair.before, "right")
    assert gain > 3 * abs(same) and gain > 0
    figure = charts.before_after_figure(pair)
    assert [ax.get_title(loc="left") for ax in figure.axes] == [
        "Before and after, aligned on the eyes",
        "Overlay",
    ]


def test_aligned_pair_needs_two_photos(tmp_path):
    """A library with a single photo has no before/after pair."""
    library = build_library(tmp_path, days=1)
    with library:
        assert charts.aligned_pair(library) is None


def test_align_photo_reports_a_missing_file(tmp_path):
    """A photo given by id whose file is gone raises PhotoError; unnamed candidates whose
    file is gone are passed over."""
    library = build_library(tmp_path, days=3, first_session_day=1)
    with library:
        photos = library.photos()
        Path(photos["stored_path"].iloc[-1]).unlink()
        with pytest.raises(PhotoError, match="file not found"):
            charts.align_photo(library, int(photos["id"].iloc[-1]))
        pair = charts.aligned_pair(library)
        assert pair is None  # the only later photo is gone


def test_timelapse_writes_one_frame_per_accepted_photo(season, tmp_path):
    """The GIF holds one eye-aligned frame per accepted photo."""
    path = tmp_path / "timelapse.gif"
    count = charts.timelapse(season, path, size=(80, 100))
    accepted = int((season.photos()["status"] == "ok").sum())
    assert count == accepted
    with Image.open(path) as gif:
        assert gif.n_frames == accepted and gif.size == (80, 100)


# --- saving and the command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_save_figure_by_extension(tmp_path, suffix, magic):
    """The file's extension chooses PNG, SVG or PDF."""
    photos, sessions = synthetic_frames(20)
    ax = charts.metric_chart(photos, sessions)
    path = charts.save_figure(ax.figure, tmp_path / f"chart{suffix}", dpi=50)
    assert path.read_bytes().startswith(magic)


def test_save_figure_refuses_other_extensions(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"chart.jpg: the file name must end in .png, .svg "
        r"or .pdf",
    ):
        charts.save_figure(Figure(), tmp_path / "chart.jpg")


def test_chart_command_writes_the_file(season, tmp_path):
    """`facetrack chart` writes the dashboard, one metric, or the before/after photos."""
    runner = CliRunner()
    out = tmp_path / "dash.svg"
    result = runner.invoke(main, ["chart", "--library", str(season.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {out}.\n"
    assert out.read_bytes().startswith(b"<?xml")
    out = tmp_path / "brow.png"
    result = runner.invoke(
        main,
        [
            "chart",
            "--library",
            str(season.path),
            "--metric",
            "brow_height",
            "--metric",
            "jaw_angle",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
    out = tmp_path / "pair.pdf"
    result = runner.invoke(
        main, ["chart", "--library", str(season.path), "--before-after", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_chart_command_errors(season, tmp_path):
    """Unknown metrics and file types are refused with one line, before any work."""
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "chart",
            "--library",
            str(season.path),
            "--metric",
            "nose",
            "--out",
            str(tmp_path / "x.png"),
        ],
    )
    assert result.exit_code == 2
    assert "unknown metric 'nose'; choose from brow_height" in result.output
    result = runner.invoke(
        main, ["chart", "--library", str(season.path), "--out", str(tmp_path / "x.gif")]
    )
    assert result.exit_code == 2
    assert "x.gif: the file name must end in .png, .svg or .pdf" in result.output
    assert not (tmp_path / "x.gif").exists()


# --- the notebook -------------------------------------------------------------------------------

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_walkthrough_notebook_runs():
    """notebooks/walkthrough.ipynb runs from top to bottom without an error, shows the
    sample photos rejected for smiling, draws its figures and states the simulated lift."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
    pytest.importorskip("ipykernel", reason="ipykernel is in the test extra")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Imported 5 photos (1 ok, 4 rejected)." in text
    assert "Brow height (left) +0.7" in text and "after 2–4 weeks, above the" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # before/after, one metric, the dashboard


def test_before_after_prefers_photos_on_treatment_and_takes_given_dates(season):
    """With the sessions stopped on day 40 (a pause from day 54, when an effect fades), the
    after photo is the latest accepted photo within 14 days of a session, not the latest
    photo; with --before/--after dates, each side is the accepted photo nearest its date."""
    photos, sessions = charts.load_frames(season)
    start = photos["captured_at"].min().normalize()
    stopped = sessions.loc[sessions["started_at"] < start + pd.Timedelta(days=41)]
    before, after = charts.choose_pair(photos, stopped)
    ok = photos.loc[photos["status"] == "ok"].set_index("id")
    last_session = stopped["started_at"].max()
    chosen = ok.loc[after[0], "captured_at"]
    assert chosen <= last_session + pd.Timedelta(days=14)
    assert (
        chosen
        == ok.loc[ok["captured_at"] <= last_session + pd.Timedelta(days=14), "captured_at"].max()
    )
    day = start + pd.Timedelta(days=30, hours=7)
    first = start + pd.Timedelta(days=2)
    before, after = charts.choose_pair(photos, stopped, before=first, after=day)
    assert ok.loc[after[0], "captured_at"] == start + pd.Timedelta(days=30, hours=8)
    assert ok.loc[before[0], "captured_at"] == start + pd.Timedelta(days=2, hours=8)


def test_chart_command_takes_before_and_after_dates(season, tmp_path):
    """chart --before-after --after DATE writes the pair; --after without --before-after is a
    usage error."""
    from click.testing import CliRunner

    from tracker.cli import main

    out = tmp_path / "pair.png"
    args = ["chart", "--before-after", "--after", "2025-01-31", "--library", str(season.path)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    bad = CliRunner().invoke(
        main, ["chart", "--after", "2025-01-31", "--library", str(season.path)]
    )
    assert bad.exit_code == 2 and "--before and --after go with --before-after" in bad.output
