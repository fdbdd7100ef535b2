"""The selfie noise floors the trend falls back on are the capture study's own output, for the
current algorithm: they cannot go stale when the geometry changes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import tracker
from tracker.metrics import registry
from tracker.metrics.geometry import ALGORITHM_VERSION
from tracker.validation.capture import FLOOR_SOURCE

FLOORS = Path(tracker.__file__).parent / "validation" / "noise_floors.csv"


def test_selfie_floors_are_the_study_output_for_this_algorithm():
    """Every outcome metric has a whole-face selfie-3d row written by tools/write_noise_floors.py
    for the current ALGORITHM_VERSION (run `make floors` after changing the geometry), and every
    paired metric a split-face row; all SDs are positive and finite."""
    floors = pd.read_csv(FLOORS)
    selfie = floors[floors["source"] == FLOOR_SOURCE]
    assert set(selfie["algorithm_version"]) == {ALGORITHM_VERSION}
    assert selfie["generated_by"].str.startswith("tools/write_noise_floors.py").all()
    whole = set(selfie.loc[selfie["design"] == "whole-face", "metric"])
    outcomes = {m.name for m in registry.METRICS if m.trended}
    assert outcomes <= whole, outcomes - whole
    split = set(selfie.loc[selfie["design"] == "split-face", "metric"])
    assert {"brow_height_left_mm"} <= split
    assert (selfie["sd"] > 0).all() and selfie["sd"].notna().all()
