"""Small things done one way everywhere: reading a date given as text, missing numbers as
None, numbers as text (never "-0.0"), plurals and aligned text tables.

>>> number(-0.004, 2), number(-0.004, 2, signed=True), number(-1.25, 1, minus="−")
('0.00', '+0.00', '−1.2')
>>> plural(1, "photo"), plural(3, "photo"), plural(2, "was", "were")
('1 photo', '3 photos', '2 were')
>>> none_if_nan(float("nan")), none_if_nan("x"), none_if_nan(2)
(None, None, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

MISSING = "-"


def parse_when(text: str) -> date | datetime:
    """An ISO 8601 date ("2026-01-05") or date-time ("2026-01-05T08:30", with an optional
    UTC offset) given as text, surrounding spaces ignored.

    Raises
    ------
    ValueError
        When ``text`` is neither.
    """
    text = text.strip()
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def none_if_nan(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing: None, NaN, an infinity, pandas' NA
    or anything that is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def json_safe(value: Any) -> Any:
    """``value`` with every NaN and infinity replaced by None, recursively through dicts,
    lists and tuples (JSON has no NaN)."""
    if isinstance(value, float):
        return none_if_nan(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def number(
    value: Any, decimals: int = 2, *, signed: bool = False, minus: str = "-", missing: str = MISSING
) -> str:
    """A number with ``decimals`` decimals; ``missing`` when it is missing (see
    ``none_if_nan``). A value that rounds to zero never shows a minus sign ("0.00", or
    "+0.00" when ``signed``); ``minus`` is the minus sign to write (the report uses "−")."""
    finite = none_if_nan(value)
    if finite is None:
        return missing
    text = f"{finite:+.{decimals}f}" if signed else f"{finite:.{decimals}f}"
    if float(text) == 0:
        text = text.replace("-", "+" if signed else "")
    return text.replace("-", minus) if minus != "-" else text


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """ "1 photo", "3 photos"; ``plural_word`` when the plural is not ``word`` + "s"."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def and_list(words: Sequence[str]) -> str:
    """Words joined as in a sentence.

    >>> and_list(["contour 55"]), and_list(["brows", "jaw", "cheeks"])
    ('contour 55', 'brows, jaw and cheeks')
    """
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def table_line(cells: Sequence[str], widths: Sequence[int], *, right: Collection[int] = ()) -> str:
    """One line of an aligned text table: each cell padded to its column's width (right-
    aligned for the columns in ``right``), two spaces between columns, no trailing spaces.
    A cell beyond ``widths`` (the last column, usually free text) is left as it is."""
    padded = [
        cell
        if i >= len(widths)
        else (f"{cell:>{widths[i]}}" if i in right else f"{cell:<{widths[i]}}")
        for i, cell in enumerate(cells)
    ]
    return "  ".join(padded).rstrip()


def text_table(
    rows: Sequence[Sequence[str]], *, right: Collection[int] = (), min_widths: Sequence[int] = ()
) -> list[str]:
    """Aligned text lines for ``rows`` (header rows included): each column as wide as its
    widest cell, and at least ``min_widths``. See ``table_line``.

    >>> text_table([["metric", "n"], ["brow", "12"]], right={1})
    ['metric   n', 'brow    12']
    """
    columns = max((len(row) for row in rows), default=0)
    widths = [
        max(
            [len(row[i]) for row in rows if i < len(row)]
            + [min_widths[i] if i < len(min_widths) else 0]
        )
        for i in range(columns)
    ]
    return [table_line(row, widths, right=right) for row in rows]
