"""The progress report: one self-contained HTML file (jinja2), or a PDF with the same content.

Usage::

    from tracker import Library
    from tracker.report import write_report

    with Library() as library:
        write_report(library, "report.html")                 # -> "html"
        write_report(library, "share.pdf", photos=False)     # -> "chromium" or "matplotlib"

The content, in order: a plain-language summary, the window table, the charts, the aligned
before/after photos, adherence to the treatment log, the photo log with its quality flags, and
the methods with their limitations. ``photos=False`` leaves every image of the face out.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker.report.content import Chart, Report, build_report
from tracker.report.html import render_html, write_html
from tracker.report.pdf import RenderError, find_chromium, write_pdf
from tracker.settings import DEFAULT_SETTINGS, Settings

REPORT_SUFFIXES = (".html", ".htm", ".pdf")

__all__ = [
    "Chart",
    "REPORT_SUFFIXES",
    "RenderError",
    "Report",
    "build_report",
    "check_report_path",
    "find_chromium",
    "render_html",
    "write_html",
    "write_pdf",
    "write_report",
]


def check_report_path(path: str | os.PathLike[str]) -> Path:
    """The path, when it ends in .html, .htm or .pdf; else ValueError."""
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ValueError(f"{path.name}: the report's file name must end in .html or .pdf")
    return path


def write_report(
    library,
    path: str | os.PathLike[str],
    *,
    photos: bool = True,
    baseline_until=None,
    sem=None,
    pdf_engine: str = "auto",
    before_date=None,
    after_date=None,
    settings: Settings = DEFAULT_SETTINGS,
) -> str:
    """Build the report of a library and write it as HTML or PDF (by the file's extension).

    Parameters
    ----------
    library : Library
    path : path
        FILE.html (or .htm) or FILE.pdf; created readable by its owner only.
    photos : bool
        False leaves every image of the face out (for sharing).
    baseline_until, sem, settings
        Passed to ``tracker.analysis.analyse``.
    pdf_engine : {"auto", "chromium", "matplotlib"}
        See ``write_pdf``.

    Returns
    -------
    str
        How it was made: "html", or for a PDF "chromium" or "matplotlib".

    Raises
    ------
    ValueError
        For another extension or a bad ``baseline_until``.
    OSError
        When the file cannot be written.
    """
    path = check_report_path(path)
    report = build_report(
        library,
        include_photos=photos,
        baseline_until=baseline_until,
        sem=sem,
        before_date=before_date,
        after_date=after_date,
        settings=settings,
    )
    try:
        if path.suffix.lower() == ".pdf":
            return write_pdf(report, path, engine=pdf_engine)
        write_html(report, path)
        return "html"
    finally:
        report.close()
