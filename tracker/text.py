"""Text from outside (file names, tags, notes) made safe for a terminal or a spreadsheet."""

from __future__ import annotations

import unicodedata

# what a spreadsheet reads as the start of a formula (OWASP's CSV injection list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    r"""``text`` with every control or format character shown as an escape, and the
    undecodable bytes of a file name (surrogate escapes) as ``\xNN``.

    >>> printable("a\x1b]0;owned\x07b\nerror: x")
    'a\\x1b]0;owned\\x07b\\nerror: x'
    >>> printable("photo-\udce9.jpg")
    'photo-\\xe9.jpg'
    """
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of one undecodable byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def spreadsheet_safe(value):
    """A cell value a spreadsheet will not run: text starting like a formula gets a leading
    apostrophe; anything else is returned unchanged.

    >>> spreadsheet_safe("=1+2"), spreadsheet_safe("week 3")
    ("'=1+2", 'week 3')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
