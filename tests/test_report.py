"""Tests of tracker.report and the ``report`` command: the report renders for an empty
library, a single photo and a year of photos; it is self-contained (no request, images as
data URIs); user text is escaped; --no-photos leaves every face out; the PDF is written by
Chromium or by matplotlib; and a real browser (headless Chromium) renders the page.

Libraries come from ``test_charts.build_library`` (tiny generated JPEGs, a fake measure
function whose left brow rises 0.8 mm from day 24): the year of photos is built once.
"""

from __future__ import annotations

import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader
from test_charts import build_library

from tracker import Library
from tracker.cli import main
from tracker.report import build_report, find_chromium, render_html, write_pdf, write_report
from tracker.report.content import NO_PHOTOS_TEXT
from tracker.report.html import write_text_private
from tracker.report.pdf import print_with_chromium, run_chromium

TAG = '<script>alert("tag")</script> week 1'
NOTE = "felt <b>tingly</b> & warm"
# The sentence the summary must hold for the year of photos: the lift is 0.8 mm, detectable
# after the report's family-wise control with 5 baseline days of one photo each and the selfie
# study's noise floor (0.14 mm per photo on the 3-D head).
BROW_SENTENCE = re.compile(
    r"Brow height \(left\) \+0\.[78]\d mm \(95% CI 0\.\d\d to [01]\.\d\d\) "
    r"after 2–4 weeks, above the 0\.\d\d mm detection threshold\."
)
# With daily photos and 10 baseline days (the month) the same lift is detectable.
MONTH_SENTENCE = re.compile(
    r"Brow height \(left\) \+0\.[78]\d mm \(95% CI 0\.\d\d to [01]\.\d\d\) "
    r"after 2–4 weeks, above the 0\.\d\d mm detection threshold\."
)

needs_chromium = pytest.mark.skipif(
    find_chromium() is None,
    reason="no chromium binary found (chromium, chromium-browser, google-chrome or "
    "$FACETRACK_CHROMIUM): the browser-rendering test needs one, e.g. Debian's "
    "'chromium' package",
)


class _Page(HTMLParser):
    """Collects tags with their attributes and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> Library:
    """A year of photos: one every other day (183, every sixth from day 2 rejected for
    smiling), a 20-minute session every other day from day 10 with a photo right after
    every fourth, the left brow 0.8 mm higher from day 24; imports tagged with ``TAG``, the
    first session noted with ``NOTE``."""
    library = build_library(
        tmp_path_factory.mktemp("year"),
        days=365,
        every=2,
        smiles_every=6,
        after_every=4,
        tag=TAG,
        note=NOTE,
    )
    yield library
    library.close()


@pytest.fixture(scope="module")
def year_report(year):
    """The year's report, built once."""
    report = build_report(year)
    yield report
    report.close()


@pytest.fixture(scope="module")
def year_html(year_report) -> str:
    return render_html(year_report)


@pytest.fixture(scope="module")
def year_report_file(year_html, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("out") / "report.html"
    return write_text_private(path, year_html)


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Library:
    """45 daily photos, sessions every other day from day 10, the left brow 0.8 mm higher
    from day 24: enough for the 2-4 weeks window (the command tests)."""
    library = build_library(tmp_path_factory.mktemp("month"), days=45)
    yield library
    library.close()


def assert_self_contained(html: str) -> None:
    """Every image is a data URI, nothing links or loads from elsewhere, no script runs, and
    the page forbids requests (Content-Security-Policy)."""
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("script", "iframe", "object", "embed", "link"), tag
        if "src" in attrs:
            assert attrs["src"].startswith("data:image/"), attrs["src"][:40]
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs["href"]
    assert not re.search(r"https?://", html)
    assert not re.search(r"url\(", html)
    csp = [
        a["content"]
        for t, a in page.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and csp[0].startswith("default-src 'none'; img-src data:")


# --- content ------------------------------------------------------------------------------------


def test_year_report_leads_with_the_summary(year, year_html):
    """A year of photos: the summary comes first and states the change of the left brow
    against its detection threshold; then the table, charts, before/after, treatment log,
    photo log and methods, in that order."""
    html = year_html
    sections = ["summary", "windows", "charts", "before-after", "adherence", "photos", "methods"]
    positions = [html.index(f'<section id="{name}"') for name in sections]
    assert positions == sorted(positions)
    summary = html[positions[0] : positions[1]]
    assert BROW_SENTENCE.search(summary), summary
    assert "No detectable change right after a session" in summary  # the brows' +0.3 mm
    assert "not a medical device" in html.lower()


def test_year_report_is_self_contained_with_one_face_image(year_html):
    """No external request, charts as PNG and the aligned before/after as the one JPEG."""
    assert_self_contained(year_html)
    assert year_html.count("data:image/jpeg") == 1
    assert year_html.count('class="face"') == 1
    assert year_html.count("data:image/png") == 4  # dashboard, 2 metrics, sessions per week


def test_photo_log_lists_every_photo_with_its_flags(year, year_html):
    """One row per photo, rejected ones with their reason."""
    rows = year_html.count('<tr class="ok">') + year_html.count('<tr class="rejected">')
    assert rows == year.count() == 183 + 45
    assert year_html.count('<span class="flags">smiling: mouth corners raised') == 31


def test_user_text_is_escaped(year_html):
    """Tags and session notes are shown as text, never as markup."""
    assert "&lt;script&gt;alert(&#34;tag&#34;)&lt;/script&gt; week 1" in year_html
    assert "felt &lt;b&gt;tingly&lt;/b&gt; &amp; warm" in year_html
    assert "<script" not in year_html
    assert "<b>tingly" not in year_html


def test_no_photos_leaves_every_face_out(year, tmp_path):
    """--no-photos: no JPEG, no face image, and the before/after section says why."""
    path = tmp_path / "share.html"
    assert write_report(year, path, photos=False) == "html"
    html = path.read_text(encoding="utf-8")
    assert "data:image/jpeg" not in html
    assert 'class="face"' not in html
    assert "Photos of the face are left out of this report (--no-photos)." in html
    assert_self_contained(html)
    assert BROW_SENTENCE.search(html)


def test_empty_library_report(tmp_path):
    """An empty library still gives a complete, self-contained page that says what to do."""
    with Library(tmp_path / "empty") as library:
        report = build_report(library)
        html = render_html(report)
        report.close()
    assert NO_PHOTOS_TEXT in html
    assert "No treatment session logged" in html
    assert "Not enough photos yet for a before/after comparison" in html
    assert "No photos yet." in html
    assert_self_contained(html)


def test_single_photo_report(tmp_path):
    """One photo: the report renders, says there are not enough photos, and lists it."""
    library = build_library(tmp_path, days=1)
    with library:
        report = build_report(library)
        html = render_html(report)
        report.close()
    assert "Not enough photos yet for 2–4 weeks" in html
    assert html.count('<tr class="ok">') == 1
    assert "Not enough photos yet for a before/after comparison" in html
    assert_self_contained(html)


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_by_matplotlib(year_report, tmp_path):
    """Without Chromium the PDF is laid out by matplotlib: text pages, the charts and the
    before/after page, every page A4 (595 x 842 pt). Its text says what the year holds: the
    0.8 mm left brow lift, 228 photos and 178 sessions, the 31 smiling photos left out and
    flagged in the photo log, and every section and chart title."""
    path = tmp_path / "report.pdf"
    assert write_pdf(year_report, path, engine="matplotlib") == "matplotlib"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = PdfReader(path).pages
    assert len(pages) >= 8
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages}
    assert sizes == {(595, 842)}
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert BROW_SENTENCE.search(text), text[:2000]
    # 183 photos every other day and one right after every fourth of the 178 sessions (45)
    assert "228 photos" in text and "178 treatment sessions logged" in text
    assert "31 photos left out: 31 smiling." in text  # every sixth from day 2: range(2, 365, 12)
    assert text.count("smiling") >= 31 + 1  # and each flagged in the photo log
    for heading in (
        "Your facetrack progress report",
        "Summary",
        "Changes by window",
        "Your facial metrics over time",
        "Brow height, left and right (mm)",
        "Jaw angle, left and right (degrees)",
        "Before and after",
        "Treatment log",
        "Photo log",
        "Methods and limitations",
        "Not a medical device.",
    ):
        assert heading in text, heading


def test_pdf_falls_back_without_chromium(month, tmp_path, monkeypatch):
    """$FACETRACK_CHROMIUM="" hides any Chromium: the command says matplotlib made the PDF."""
    monkeypatch.setenv("FACETRACK_CHROMIUM", "")
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        main, ["report", "--library", str(month.path), "--out", str(out), "--no-photos"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {out} (PDF laid out by matplotlib, without Chromium).\n"
    assert out.read_bytes().startswith(b"%PDF-")


@needs_chromium
def test_pdf_by_chromium(year_html, tmp_path):
    """With Chromium the PDF is the HTML printed (A4 pages)."""
    path = print_with_chromium(year_html, tmp_path / "report.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert re.search(rb"/MediaBox \[0 0 59[45]\.?\d* 84[12]", data)  # A4: 595 x 842 points


# --- a real browser ---------------------------------------------------------------------------


@needs_chromium
def test_chromium_renders_the_report(year_report_file, tmp_path):
    """Headless Chromium renders the page: the screenshot is not blank (text and charts
    drawn), and the rendered page holds the summary's sentence."""
    shot = tmp_path / "page.png"
    dom = run_chromium(
        year_report_file, f"--screenshot={shot}", "--dump-dom", "--window-size=1200,7000"
    ).stdout
    with Image.open(shot) as image:
        grey = np.asarray(image.convert("L"), dtype=np.float64)
    assert grey.shape == (7000, 1200)
    assert (grey < 200).mean() > 0.02  # ink on the page
    assert grey.std() > 20
    # some colour: the charts' lines and shading
    with Image.open(shot) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert (np.ptp(rgb, axis=2) > 60).mean() > 0.02
    assert BROW_SENTENCE.search(dom)
    assert "Your facetrack progress report" in dom


# --- the command -------------------------------------------------------------------------------


def test_report_command_writes_html(month, tmp_path):
    """`facetrack report` writes the HTML, readable by its owner only (it holds health data
    and photos)."""
    out = tmp_path / "mine.html"
    result = CliRunner().invoke(main, ["report", "--library", str(month.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {out}.\n"
    assert MONTH_SENTENCE.search(out.read_text(encoding="utf-8"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_report_command_errors(tmp_path):
    """A bad extension is refused before any work; a missing library is a one-line error."""
    runner = CliRunner()
    result = runner.invoke(
        main, ["report", "--out", str(tmp_path / "r.docx"), "--library", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 2
    assert "r.docx: the report's file name must end in .html or .pdf" in result.output
    result = runner.invoke(
        main, ["report", "--out", str(tmp_path / "r.html"), "--library", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: no library at ")


def test_photo_log_gives_camera_distance_and_advice(tmp_path):
    """The photo log shows each photo's camera distance, and advice for the next photo only
    where it should be taken differently (the photo at 32 cm against the usual 40 cm), in
    the HTML and in the text of the matplotlib PDF."""
    from test_library import fake_import, fake_library, make_photos, set_capture

    from tracker.report.pdf import _photo_log_text

    with fake_library(tmp_path / "lib") as library:
        fake_import(library, make_photos(tmp_path / "in", 4), workers=1)
        ids = library.photos()["id"].tolist()
        for photo_id in ids:
            set_capture(library, photo_id, distance_mm=400.0)
        set_capture(library, ids[3], distance_mm=320.0)
        report = build_report(library)
    log = {row["id"]: row for row in report.photo_log}
    assert [log[i]["distance"] for i in ids] == ["40 cm", "40 cm", "40 cm", "32 cm"]
    assert [log[i]["advice"] for i in ids] == ["", "", "", "hold the phone about 8 cm further away"]
    html = render_html(report)
    assert (
        html.count('<span class="advice">next photo: hold the phone about 8 cm further away</span>')
        == 1
    )
    text = _photo_log_text(report).splitlines()
    report.close()
    assert text[4].endswith("  next photo: hold the phone about 8 cm further away")
    assert not any("next photo" in line for line in text[1:4])
