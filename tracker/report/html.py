"""The report as one self-contained HTML file (jinja2 template, autoescaped).

Every image is embedded as a data URI (charts as PNG, photos of the face as JPEG), the style
sheet is inline, there is no script, and a Content-Security-Policy forbids fetching anything:
the file opens offline and makes no request.
"""

from __future__ import annotations

import base64
import io
import os
from functools import lru_cache
from pathlib import Path

from tracker.report.content import Chart, Report

CHART_DPI = 130
FACE_DPI = 120
JPEG_QUALITY = 85


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    # autoescape for every template: tags, notes and file names are user text
    return Environment(
        loader=PackageLoader("tracker.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def figure_data_uri(chart: Chart) -> str:
    """The chart as a data URI: JPEG for photos of the face, PNG for the rest."""
    buffer = io.BytesIO()
    if chart.face:
        chart.figure.savefig(
            buffer,
            format="jpeg",
            dpi=FACE_DPI,
            pil_kwargs={"quality": JPEG_QUALITY, "optimize": True},
        )
        kind = "jpeg"
    else:
        chart.figure.savefig(buffer, format="png", dpi=CHART_DPI)
        kind = "png"
    return f"data:image/{kind};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def render_html(report: Report) -> str:
    """The report as an HTML document (a str)."""
    template = _environment().get_template("report.html.j2")
    images = {id(chart): figure_data_uri(chart) for chart in report.all_charts()}
    return template.render(report=report, image=lambda chart: images[id(chart)])


def write_text_private(path: str | os.PathLike[str], text: str) -> Path:
    """Write text (UTF-8), creating the file readable by its owner only: a report holds
    health-related data and possibly photos."""
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def write_html(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report as a self-contained HTML file.

    Raises
    ------
    OSError
        When the file cannot be written.
    """
    return write_text_private(path, render_html(report))
