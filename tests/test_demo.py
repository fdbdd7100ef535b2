"""The demo series (sample_images/series, made by tools/make_sample_series.py): facetrack
recovers the simulated effects whose true size is in truth.csv, and rejects exactly the photos
made to be rejected.

The truth of each window is computed by the same statistic (``analyse``) run on the true
values in place of the measured ones, so "the truth's window mean" is defined exactly as the
measured change is (per-day values, the same baseline, "after" photos left out of resting
windows).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tracker.analysis.trend import analyse
from tracker.importing import import_photos
from tracker.landmarks import indices as ix
from tracker.library import Library
from tracker.pipeline import measure_photo
from tracker.validation import depth_gain

SERIES = Path(__file__).resolve().parents[1] / "sample_images" / "series"
BROWS = ("brow_height_left_mm", "brow_height_right_mm")
TOLERANCE = 0.25  # of the true size


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    truth = pd.read_csv(SERIES / "truth.csv", keep_default_na=False)
    with open(SERIES / "sessions.csv", newline="") as fh:
        sessions = list(csv.DictReader(fh))
    with Library(tmp_path_factory.mktemp("demo") / "library") as library:
        import_photos(library, [SERIES], workers=2)
        for row in sessions:
            library.log_session(row["started_at"], minutes=float(row["minutes"]), mode=row["mode"])
        photos = library.photos(person_scale=True)
        logged = library.sessions()
    measured = analyse(photos, logged, metrics=list(BROWS))

    # the same analysis on the true values: the window means of the truth. The lifts were
    # made by image warps: on the face, each is the warp times its depth gain (the brow stands
    # in front of the irises; see tracker.validation.depth_gain), read off the first photo.
    first, _ = measure_photo(SERIES / truth["file"].iloc[0])
    gains = {
        metric: depth_gain(first.refined_points_px, first.camera.focal_length_px, brow)
        for metric, brow in zip(BROWS, (ix.BROW_UPPER_LEFT, ix.BROW_UPPER_RIGHT))
    }
    true = pd.DataFrame(
        {
            "captured_at": pd.to_datetime(truth["captured_at"]),
            "status": truth["expected_status"],
            "session": truth["session"].replace("", None),
            **{
                metric: truth["brow_lift_true_mm"].astype(float) * gains[metric] for metric in BROWS
            },
        }
    )
    expected = analyse(true, logged, metrics=list(BROWS), sem=0.1)
    return truth, photos, measured, expected


def _row(trend, metric, window):
    table = trend.table
    rows = table.loc[(table["metric"] == metric) & (table["window"] == window)]
    assert len(rows) == 1, f"no {window} row for {metric}"
    return rows.iloc[0]


def test_every_photo_is_imported_with_its_time(demo):
    truth, photos, _, _ = demo
    assert len(photos) == len(truth)
    names = photos["file"].map(lambda f: Path(f).name)
    taken = dict(zip(names, photos["captured_at"]))
    for row in truth.itertuples():
        assert taken[row.file] == pd.Timestamp(row.captured_at), row.file
    sources = dict(zip(names, photos["date_source"]))
    assert {f for f, s in sources.items() if s == "filename"} == {
        f for f in truth["file"] if f.startswith("IMG_")
    }


def test_rejected_photos_are_the_ones_made_to_be_rejected(demo):
    truth, photos, _, _ = demo
    names = photos["file"].map(lambda f: Path(f).name)
    rejected = set(names[photos["status"] != "ok"])
    assert rejected == set(truth.loc[truth["expected_status"] == "rejected", "file"])
    assert len(rejected) == 3


@pytest.mark.parametrize("metric", BROWS)
@pytest.mark.parametrize("window", ["2-4 weeks", "immediate"])
def test_recovered_change_matches_the_truth(demo, metric, window):
    _, _, measured, expected = demo
    got, want = _row(measured, metric, window), _row(expected, metric, window)
    n = "n_sessions" if window == "immediate" else "n_days"
    assert want[n] >= 3, f"the series has too few {window} days/pairs"
    assert got[n] == want[n], (got[n], want[n])
    true = float(want["change"])
    assert true > 0.5
    assert got["ci_low"] <= true <= got["ci_high"], (
        f"{metric} {window}: true {true:.3f} mm outside [{got['ci_low']:.3f}, {got['ci_high']:.3f}]"
    )
    assert abs(got["change"] - true) <= TOLERANCE * true, (
        f"{metric} {window}: measured {got['change']:.3f} mm, true {true:.3f} mm"
    )


def test_one_person_and_no_one_else(demo):
    """The series is one person: no photo is called someone else's, not even the three made
    to be rejected (blurred, eyes closed, face cut), whose landmarks cannot say whose face it
    is; every accepted photo is judged the same person."""
    _, photos, _, _ = demo
    assert not (photos["identity"] == "different").any()
    accepted = photos.loc[photos["status"] == "ok", "identity"]
    assert set(accepted) <= {"baseline", "same"} and accepted.notna().all()
