"""tracker.formatting: the one way of reading dates, missing numbers, numbers, plurals and
text tables."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from tracker.formatting import (
    json_safe,
    none_if_nan,
    number,
    parse_when,
    plural,
    table_line,
    text_table,
)


def test_parse_when_reads_dates_and_times():
    """A day, a local time and a time with its offset; anything else is a ValueError."""
    assert parse_when(" 2026-01-05 ") == date(2026, 1, 5)
    assert parse_when("2026-01-05T08:30") == datetime(2026, 1, 5, 8, 30)
    assert parse_when("2026-01-05T08:30+01:00") == datetime(
        2026, 1, 5, 8, 30, tzinfo=timezone(timedelta(hours=1))
    )
    with pytest.raises(ValueError):
        parse_when("5 Jan 2026")


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, pd.NA, "x"])
def test_missing_numbers_are_none(missing):
    """None, NaN, infinities, pandas' NA and text are all missing."""
    assert none_if_nan(missing) is None


def test_json_safe_is_recursive():
    assert json_safe({"a": [1.0, math.nan], "b": (math.inf,), "c": "x"}) == {
        "a": [1.0, None],
        "b": [None],
        "c": "x",
    }


@pytest.mark.parametrize(
    "value, decimals, signed, expected",
    [
        (-0.004, 2, False, "0.00"),
        (-0.004, 2, True, "+0.00"),
        (-0.04, 1, False, "0.0"),
        (1.25, 1, True, "+1.2"),
        (-1.26, 1, False, "-1.3"),
        (math.nan, 2, False, "-"),
    ],
)
def test_number_never_writes_minus_zero(value, decimals, signed, expected):
    assert number(value, decimals, signed=signed) == expected


def test_number_with_a_real_minus_sign():
    assert number(-2.5, 1, minus="−") == "−2.5" and number(-0.01, 1, minus="−") == "0.0"


def test_plural():
    assert [plural(n, "photo") for n in (0, 1, 2)] == ["0 photos", "1 photo", "2 photos"]
    assert plural(2, "was", "were") == "2 were"


def test_text_table_aligns_columns():
    """Columns as wide as their widest cell (or the minimum given), right-aligned where
    asked, two spaces apart, no trailing spaces; a fixed-width line for streamed rows."""
    assert text_table(
        [["metric", "n", "note"], ["brow", "12", ""]], right={1}, min_widths=[0, 3]
    ) == ["metric    n  note", "brow     12"]
    assert (
        table_line(["a.jpg", "ok", "1.00", "free text"], [6, 8, 7], right={2})
        == "a.jpg   ok           1.00  free text"
    )
