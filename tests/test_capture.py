"""Tests of tracker.analysis.capture: the usual capture, advice for the next photo and like
camera distance in the trend.

The photos are constructed frames whose distances and poses are set by hand, so every
expected sentence and every photo left out follows from the numbers by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tracker.analysis import analyse
from tracker.analysis.capture import (
    MATCHES_TEXT,
    UsualCapture,
    advice_column,
    capture_advice,
    consistent_distance,
    usual_capture,
)

USUAL = UsualCapture(
    camera_distance_mm=400.0, yaw_deg=1.0, pitch_deg=-2.0, roll_deg=0.0, n_photos=12
)


@pytest.mark.parametrize(
    "capture, expected",
    [
        # distance: 32 cm against the usual 40 cm is 8 cm too near
        ((320.0, 1.0, -2.0, 0.0), "hold the phone about 8 cm further away"),
        ((470.0, 1.0, -2.0, 0.0), "hold the phone about 7 cm closer"),
        # within the 10 % tolerance (36.5 cm is 8.75 % near)
        ((365.0, 1.0, -2.0, 0.0), MATCHES_TEXT),
        ((400.0, 1.0, -2.0, 0.0), MATCHES_TEXT),
        # yaw 3.5 deg below the usual: the face is turned towards the subject's right
        ((400.0, -2.5, -2.0, 0.0), "turn your head a little to your left"),
        # yaw 7 deg above: beyond the trend's 5 deg, no "a little"
        ((400.0, 8.0, -2.0, 0.0), "turn your head to your right"),
        # yaw 2 deg off: within the 2.5 deg tolerance
        ((400.0, 3.0, -2.0, 0.0), MATCHES_TEXT),
        # pitch 4 deg above the usual (chin up): beyond the trend's 3 deg
        ((400.0, 1.0, 2.0, 0.0), "tilt your chin down"),
        ((400.0, 1.0, -4.0, 0.0), "tilt your chin up a little"),
        # roll +7 deg: the subject's left eye is higher; tilting towards the left shoulder levels it
        ((400.0, 1.0, -2.0, 7.0), "tilt your head a little towards your left shoulder"),
        ((400.0, 1.0, -2.0, -7.0), "tilt your head a little towards your right shoulder"),
        # several at once, in the order distance, turn, chin, tilt
        (
            (320.0, -3.0, 2.0, 0.0),
            "hold the phone about 8 cm further away; turn your head a little to your left; "
            "tilt your chin down",
        ),
        # an unknown distance is skipped, the pose still compared
        ((math.nan, 1.0, -6.0, 0.0), "tilt your chin up"),
    ],
)
def test_advice_names_each_deviation_beyond_its_tolerance(capture, expected):
    """Exact sentences for constructed captures against a usual of 40 cm, yaw +1, pitch -2,
    roll 0: distance beyond 10 %, yaw beyond 2.5 deg, pitch beyond 1.5 deg, roll beyond 5
    deg; "a little" while within the trend's limit; the subject's own left and right."""
    assert capture_advice(*capture, USUAL) == expected


def test_advice_needs_something_to_compare():
    """No distance and no pose, or a usual without them, give no advice."""
    assert capture_advice(math.nan, math.nan, math.nan, math.nan, USUAL) is None
    unknown = UsualCapture(math.nan, math.nan, math.nan, math.nan, n_photos=3)
    assert capture_advice(320.0, 5.0, 5.0, 5.0, unknown) is None


def test_distance_rounds_to_whole_centimetres():
    """The change is rounded to whole cm: 40 cm -> 34.4 cm is "about 6 cm" (5.6 cm)."""
    assert capture_advice(344.0, 1.0, -2.0, 0.0, USUAL) == (
        "hold the phone about 6 cm further away"
    )


def frame(distances, *, yaw=None, pitch=None, status=None) -> pd.DataFrame:
    n = len(distances)
    return pd.DataFrame(
        {
            "status": status or ["ok"] * n,
            "reasons": [[] for _ in range(n)],
            "camera_distance_mm": np.asarray(distances, dtype=float),
            "yaw_deg": np.zeros(n) if yaw is None else np.asarray(yaw, dtype=float),
            "pitch_deg": np.zeros(n) if pitch is None else np.asarray(pitch, dtype=float),
            "roll_deg": np.zeros(n),
        }
    )


def test_usual_capture_is_the_median_of_accepted_photos():
    """Medians over the accepted photos only; fewer than 3 accepted photos make no usual."""
    photos = frame(
        [380, 400, 420, 900, 100],
        yaw=[1, 2, 3, 40, -40],
        status=["ok", "ok", "ok", "rejected", "rejected"],
    )
    usual = usual_capture(photos)
    assert (usual.camera_distance_mm, usual.yaw_deg, usual.n_photos) == (400.0, 2.0, 3)
    assert usual_capture(photos.iloc[:2]) is None


def test_advice_column_gives_one_sentence_per_photo():
    """Every photo, rejected ones too, against the usual of the accepted ones."""
    photos = frame([400, 400, 400, 320], status=["ok", "ok", "ok", "rejected"])
    advice = advice_column(photos)
    assert advice.tolist() == [MATCHES_TEXT] * 3 + ["hold the phone about 8 cm further away"]
    assert advice_column(photos.iloc[:2]).tolist() == [None, None]


def test_unusual_distance_is_left_out_with_its_reason():
    """Photos more than 20 % nearer or further than the usual (median 42 cm) are marked
    rejected with the distance and the usual; 20 % exactly stays; unknown distances stay;
    the input is not changed."""
    photos = frame([420, 420, 410, 430, 310, 560, 504, np.nan])
    marked = consistent_distance(photos)
    assert marked["status"].tolist() == ["ok"] * 4 + ["rejected"] * 2 + ["ok", "ok"]
    assert marked.loc[4, "reasons"] == [
        "camera distance unlike your other photos: 31 cm, your usual is 42 cm (limit +/-20 %)"
    ]
    assert marked.loc[5, "reasons"] == [
        "camera distance unlike your other photos: 56 cm, your usual is 42 cm (limit +/-20 %)"
    ]
    assert (photos["status"] == "ok").all()
    assert consistent_distance(photos, max_change_pct=35)["status"].eq("ok").all()
    assert consistent_distance(photos.drop(columns="camera_distance_mm")).equals(
        photos.drop(columns="camera_distance_mm")
    )


def test_trend_leaves_out_photos_of_unusual_distance():
    """``analyse`` counts photos of unusual camera distance with the other left-out photos,
    and their values do not reach the trend: a brow 5 mm higher on the near photos changes
    nothing."""
    days = pd.date_range("2026-01-01 08:00", periods=40, freq="D")
    distances = np.full(40, 400.0)
    near = np.arange(40) % 10 == 3  # four photos at 30 cm
    distances[near] = 300.0
    brow = np.where(near, 25.0, 20.0)
    photos = frame(distances).assign(captured_at=days, brow_height_left_mm=brow)
    trend = analyse(photos, metrics=["brow_height_left_mm"])
    assert trend.n_rejected == 4
    assert trend.rejected == {"camera distance unlike your other photos": 4}
    assert trend.n_accepted == 36
    assert trend.daily["value"].eq(20.0).all()
