"""The metric registry: one description per metric, from which every list derives."""

from __future__ import annotations

import numpy as np

from tracker import charts
from tracker.analysis import DEFAULT_SEM, METRIC_LABELS
from tracker.landmarks import indices as ix
from tracker.metrics import registry
from tracker.metrics.geometry import METRIC_NAMES, compute_metrics
from tracker.report.content import KEY_METRICS, METRIC_METHODS


def test_geometry_computes_exactly_the_registered_metrics():
    """compute_metrics on the reference face returns every registered front-view metric and
    the pose, nothing else, each finite; the profile view's metrics are the rest."""
    ref, _ = ix.reference_face()
    values = compute_metrics(np.asarray(ref, dtype=np.float64) * 100.0, 0.1)
    assert set(values) == set(registry.FRONT_METRIC_NAMES) | {
        "yaw_deg",
        "pitch_deg",
        "roll_deg",
        "iris_diameter_px",
    }
    assert all(np.isfinite(values[name]) for name in registry.FRONT_METRIC_NAMES)
    assert METRIC_NAMES == registry.FRONT_METRIC_NAMES
    assert set(registry.METRIC_NAMES) == set(METRIC_NAMES) | set(registry.PROFILE_METRIC_NAMES)


def test_names_carry_their_unit_and_side():
    """Each name ends in its unit and names its side; partners are mutual and of one family."""
    for m in registry.METRICS:
        assert m.name.endswith("_" + m.unit)
        if m.side is None:
            assert m.partner is None and "_left_" not in m.name and "_right_" not in m.name
        else:
            assert f"_{m.side}_" in m.name and m.label.endswith(f"({m.side})")
            other = registry.get(m.partner)
            assert other.partner == m.name and other.family == m.family
            assert other.side == registry.OTHER_SIDE[m.side]


def test_derived_lists_match_the_documented_ones():
    """The lists other modules keep are the ones the README and report describe."""
    assert KEY_METRICS == (
        "brow_height_left_mm",
        "brow_height_right_mm",
        "jaw_angle_left_deg",
        "jaw_angle_right_deg",
        "asymmetry_pct",
        "lower_face_width_mm",  # issue 15: the jawline metrics are primary outcomes
    )
    assert charts.DASHBOARD_METRICS == (
        "brow_height",
        "jaw_angle",
        "asymmetry",
        "eye_aperture",
        "mouth_corner_elevation",
        "cheek_elevation",
    )
    assert charts.CHART_METRICS["brow_height"] == ("brow_height_left_mm", "brow_height_right_mm")
    assert charts.CHART_METRICS["asymmetry"] == ("asymmetry_pct",)
    assert set(METRIC_METHODS) == set(charts.CHART_METRICS)
    assert set(METRIC_LABELS) == set(DEFAULT_SEM) == set(registry.METRIC_NAMES)


def test_unit_text_and_decimals():
    """Millimetres and percentages print 2 decimals, degrees 1."""
    assert (
        registry.unit_text("brow_height_left_mm"),
        registry.decimals("brow_height_left_mm"),
    ) == ("mm", 2)
    assert (registry.unit_text("jaw_angle_left_deg"), registry.decimals("jaw_angle_left_deg")) == (
        "deg",
        1,
    )
    assert registry.unit_text("unknown") == "" and registry.decimals("unknown") == 2
    assert registry.scales_with_size("lower_face_width_mm")
    assert not registry.scales_with_size("asymmetry_pct")


def test_old_height_names_still_read():
    """The downward heights of earlier versions resolve to today's upward elevations, and a
    table with the old columns is converted: renamed, values negated."""
    import pandas as pd

    assert registry.resolve("mouth_corner_height_left_mm") == "mouth_corner_elevation_left_mm"
    assert registry.resolve("cheek_height") == "cheek_elevation"
    assert registry.resolve("brow_height_left_mm") == "brow_height_left_mm"
    old = pd.DataFrame({"cheek_height_right_mm": [55.0, 54.5], "brow_height_left_mm": [18.0, 18.2]})
    new = registry.upgrade_columns(old)
    assert list(new.columns) == ["cheek_elevation_right_mm", "brow_height_left_mm"]
    assert new["cheek_elevation_right_mm"].tolist() == [-55.0, -54.5]
    assert list(old.columns) == ["cheek_height_right_mm", "brow_height_left_mm"]  # unchanged
    assert charts.chart_metrics("mouth_corner_height") == registry.names(warp="mouth")
