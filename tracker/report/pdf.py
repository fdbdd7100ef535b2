"""The report as a PDF: the HTML printed by headless Chromium when one is installed, else the
same content laid out by matplotlib (``PdfPages``: text pages, the table, the charts).

Chromium is looked for as ``$FACETRACK_CHROMIUM`` (an empty value disables it), then
``chromium``, ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on the
PATH. It reads the report from a private temporary folder; the page's Content-Security-Policy
forbids any request. Chromium itself would otherwise look up Google's update, account and
safe-browsing hosts and write into ``~/.config`` and ``~/.cache``: it runs with a host
resolver that maps every name to "not found" (so no look-up and no connection can start),
its background, component-update and reporting traffic switched off, and a temporary profile
and HOME. Where Linux namespaces allow it, it also runs in a network namespace of its own
(``unshare --net``), where no address but a loopback that is down exists: even the UDP probe
that Chromium's resolver makes to test IPv6 reachability fails there before any packet is
sent. ``tests/test_trust.py`` checks this under strace.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from tracker.report.content import Report

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_TIMEOUT_S = 120.0
ENGINES = ("auto", "chromium", "matplotlib")
OFFLINE_FLAGS = (
    # no name resolves (so nothing is looked up or connected to); loopback stays reachable for
    # pages the app serves itself
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-pings",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
)
_QUIET_FLAGS = ("--headless", "--disable-gpu", "--mute-audio", "--hide-scrollbars", *OFFLINE_FLAGS)


class RenderError(RuntimeError):
    """Chromium could not render the page."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to use, or None."""
    explicit = os.environ.get("FACETRACK_CHROMIUM")
    if explicit is not None:
        return shutil.which(explicit) if explicit.strip() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_environment(home: str) -> dict[str, str]:
    """The environment Chromium runs in: this process's, with HOME and the XDG folders moved
    into ``home`` (a temporary folder), so nothing is written into the user's own."""
    env = dict(os.environ)
    env.update(
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        XDG_DATA_HOME=os.path.join(home, ".local", "share"),
    )
    return env


@functools.lru_cache(maxsize=1)
def network_isolation() -> tuple[str, ...]:
    """The command prefix that gives Chromium a network namespace of its own (nothing in it
    can reach a network), or () where Linux namespaces are not available to this user."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "--net"), (unshare, "--map-root-user", "--net")):
        try:
            works = (
                subprocess.run(
                    [*prefix, "true"], capture_output=True, timeout=10, stdin=subprocess.DEVNULL
                ).returncode
                == 0
            )
        except (OSError, subprocess.TimeoutExpired):
            works = False
        if works:
            return prefix
    return ()


def chromium_command(executable: str, url: str, profile: str, *extra: str) -> list[str]:
    """Headless Chromium with no network (its own network namespace where possible, and a
    resolver that finds no name) and its background traffic off. ``--no-sandbox`` only where
    Chromium runs as root, in which case it refuses its own sandbox."""
    prefix = network_isolation()
    command = [*prefix, executable, *_QUIET_FLAGS, f"--user-data-dir={profile}", *extra]
    if (hasattr(os, "geteuid") and os.geteuid() == 0) or "--map-root-user" in prefix:
        command.append("--no-sandbox")
    return [*command, url]


def run_chromium(
    html_path: str | os.PathLike[str],
    *extra: str,
    executable: str | None = None,
    timeout: float = CHROMIUM_TIMEOUT_S,
) -> subprocess.CompletedProcess:
    """Run headless Chromium on a local HTML file with extra flags (``--print-to-pdf=...``,
    ``--screenshot=...``, ``--dump-dom``); stdout is captured as text.

    Raises
    ------
    RenderError
        When no Chromium is found, it fails, or it takes longer than ``timeout``.
    """
    executable = executable or find_chromium()
    if executable is None:
        raise RenderError("no chromium found")
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="facetrack-chromium-") as home:
        profile = os.path.join(home, "profile")
        try:
            done = subprocess.run(
                chromium_command(executable, url, profile, *extra),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                env=chromium_environment(home),
            )
        except subprocess.TimeoutExpired:
            raise RenderError(f"chromium took longer than {timeout:g} s") from None
        except OSError as exc:
            raise RenderError(f"cannot run {executable}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RenderError(f"chromium failed ({done.returncode}): {last}")
    return done


def print_with_chromium(
    html: str, path: str | os.PathLike[str], *, executable: str | None = None
) -> Path:
    """Print an HTML document to PDF with headless Chromium (A4, no header or footer).

    Raises
    ------
    RenderError
        When Chromium is missing, fails or writes no PDF.
    """
    from tracker.report.html import write_text_private

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="facetrack-report-") as folder:
        page = write_text_private(Path(folder) / "report.html", html)
        out = Path(folder) / "report.pdf"
        run_chromium(
            page,
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            executable=executable,
        )
        if not out.is_file() or not out.read_bytes()[:5] == b"%PDF-":
            raise RenderError("chromium wrote no PDF")
        from tracker.output import write_private_bytes

        write_private_bytes(path, out.read_bytes())
    return path


def write_pdf(report: Report, path: str | os.PathLike[str], *, engine: str = "auto") -> str:
    """Write the report as a PDF and say how it was made: "chromium" (the HTML printed by
    headless Chromium) or "matplotlib" (the same content laid out by matplotlib).

    ``engine`` "auto" uses Chromium when one is found and falls back to matplotlib when it
    is missing or fails; "chromium" raises RenderError instead of falling back.

    Raises
    ------
    ValueError
        For an unknown engine.
    RenderError
        With engine="chromium", when Chromium cannot print the page.
    OSError
        When the file cannot be written.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine != "matplotlib":
        executable = find_chromium()
        if executable is None and engine == "chromium":
            raise RenderError("no chromium found")
        if executable is not None:
            from tracker.report.html import render_html

            try:
                print_with_chromium(render_html(report), path, executable=executable)
                return "chromium"
            except RenderError:
                if engine == "chromium":
                    raise
    write_matplotlib_pdf(report, path)
    return "matplotlib"


# --- the matplotlib rendering ---------------------------------------------------------------

_A4 = (8.27, 11.69)  # inches, portrait
_MARGIN = 0.07  # of the page
_LINE = 0.0165  # of the page height, for 9.5 pt text
_WIDTH_CHARS = 100
_MONO_CHARS = 125  # 6.8 pt monospace across the page
_USER_TEXT_CHARS = 500  # a tag or note longer than this (an old library's) is cut


def _text_pages(pdf, blocks: list[tuple[str, str]], *, header: str) -> None:
    """Lay out (style, text) blocks on as many A4 pages as they need. Styles: "title",
    "h2", "text", "bullet", "mono", "small"."""
    from matplotlib.figure import Figure

    sizes = {"title": 17, "h2": 13, "text": 9.5, "bullet": 9.5, "mono": 6.8, "small": 8}
    lines: list[tuple[str, str]] = []
    for style, text in blocks:
        if style == "mono":  # wrapped too: a long tag must not run off the page
            for line in text.splitlines():
                lines += [
                    (style, part)
                    for part in textwrap.wrap(
                        line, _MONO_CHARS, subsequent_indent=" " * 7, drop_whitespace=False
                    )
                    or [""]
                ]
            continue
        width = _WIDTH_CHARS if style in ("text", "bullet", "small") else 70
        if style == "small":
            width = int(_WIDTH_CHARS * 1.15)
        wrapped = textwrap.wrap(
            text,
            width,
            initial_indent="• " if style == "bullet" else "",
            subsequent_indent="  " if style == "bullet" else "",
        ) or [""]
        if style == "h2":
            lines.append(("gap", ""))
        lines += [(style, line) for line in wrapped]
    step = {
        "title": 2.0,
        "h2": 1.6,
        "text": 1.0,
        "bullet": 1.0,
        "mono": 0.72,
        "small": 0.9,
        "gap": 0.6,
    }
    page, y = None, 0.0
    for style, line in lines:
        if page is None or y < _MARGIN + step[style] * _LINE:
            if page is not None:
                pdf.savefig(page)
            page = Figure(figsize=_A4)
            page.text(
                1 - _MARGIN,
                1 - _MARGIN / 2,
                header,
                ha="right",
                va="top",
                fontsize=7,
                color="#777777",
            )
            y = 1 - _MARGIN
            if style == "gap":
                continue
        y -= step[style] * _LINE
        if style == "gap":
            continue
        page.text(
            _MARGIN,
            y,
            line,
            ha="left",
            va="baseline",
            fontsize=sizes[style],
            family="monospace" if style == "mono" else "sans-serif",
            fontweight="bold" if style in ("title", "h2") else "normal",
            color="#555555" if style == "small" else "#111111",
            parse_math=False,  # user text: a "$" is a dollar, not mathtext
        )
    if page is not None:
        pdf.savefig(page)


def _user_text(text: str) -> str:
    """A tag or note for the page: control characters escaped, at most 500 characters."""
    from tracker.text import printable

    text = printable(str(text))
    return text if len(text) <= _USER_TEXT_CHARS else text[: _USER_TEXT_CHARS - 1] + "…"


def _table_text(report: Report) -> str:
    from tracker.analysis import table_lines

    return "\n".join(table_lines(report.trend.table)) if report.table else "No metric yet."


def _photo_log_text(report: Report) -> str:
    header = (
        f"{'#':>5}  {'taken':<16}  {'date from':<13}  {'status':<8}  {'brow L / R':>15}  "
        f"{'jaw L / R':>13}  flags"
    )
    lines = [header]
    for row in report.photo_log:
        advice = [f"next photo: {row['advice']}"] if row.get("advice") else []
        flags = "; ".join([*row["flags"], *advice]) or "-"
        tag = row["tag"] and f"[{_user_text(row['tag'])}]"
        extra = " ".join(x for x in (row["session"], tag) if x)
        lines.append(
            f"{row['id']:>5}  {row['taken']:<16}  {row['source']:<13}  "
            f"{row['status']:<8}  {row['brow']:>15}  {row['jaw']:>13}  "
            f"{flags}{'  ' + extra if extra else ''}"
        )
    return "\n".join(lines)


def _figure_page(pdf, figure, *, header: str, title: str = "", dpi: int = 200) -> None:
    """A chart on an A4 page like the text pages: its title as text, the chart drawn at its
    own size and placed within the margins, as wide as fits (every page of the PDF is A4)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    canvas = FigureCanvasAgg(figure)
    previous_dpi = figure.dpi
    figure.set_dpi(dpi)
    try:
        canvas.draw()
        image = np.asarray(canvas.buffer_rgba())
    finally:
        figure.set_dpi(previous_dpi)
    height_px, width_px = image.shape[:2]
    page = Figure(figsize=_A4)
    page.text(
        1 - _MARGIN, 1 - _MARGIN / 2, header, ha="right", va="top", fontsize=7, color="#777777"
    )
    top = 1 - _MARGIN
    # the figure's own heading is kept as text too (the chart itself becomes an image)
    get_suptitle = getattr(figure, "get_suptitle", None)
    heading = get_suptitle() if callable(get_suptitle) else ""
    lines = [(title, 13, "bold")] + ([(heading, 9.5, "normal")] if heading != title else [])
    for text, size, weight in lines:
        if not text:
            continue
        page.text(
            _MARGIN,
            top - 1.6 * _LINE,
            text,
            ha="left",
            va="baseline",
            fontsize=size,
            fontweight=weight,
            color="#111111",
            parse_math=False,
        )
        top -= 2.0 * _LINE
    box_w = 1 - 2 * _MARGIN
    box_h = top - _MARGIN
    # the chart's aspect on the page (page units differ in x and y by the page's aspect)
    page_aspect = _A4[1] / _A4[0]
    w = box_w
    h = w * (height_px / width_px) / page_aspect
    if h > box_h:
        h = box_h
        w = h * page_aspect * (width_px / height_px)
    ax = page.add_axes((_MARGIN, top - h, w, h))
    ax.imshow(image, interpolation="lanczos")
    ax.set_axis_off()
    pdf.savefig(page)


def write_matplotlib_pdf(report: Report, path: str | os.PathLike[str]) -> Path:
    """The report's content laid out by matplotlib: summary, table, charts, before/after,
    treatment log, photo log and methods."""
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    header = f"facetrack progress report, {report.generated_at:%Y-%m-%d}"
    from tracker.output import private_output

    with (
        private_output(path) as handle,
        PdfPages(handle, metadata={"Title": header, "Creator": "facetrack"}) as pdf,
    ):
        blocks = [
            ("title", "Your facetrack progress report"),
            ("small", f"Made on {report.generated_at:%Y-%m-%d %H:%M} from {report.period}"),
            ("small", "Left and right are always the subject's own."),
            ("h2", "Summary"),
        ]
        blocks += [("bullet", line) for line in report.summary]
        if report.overview:
            blocks += [("h2", "What this is based on")]
            blocks += [("bullet", line) for line in report.overview]
        blocks += [
            ("h2", "Changes by window"),
            (
                "small",
                "Each window against the baseline. Detectable: larger than the threshold, "
                "which allows for every test in this report (family-wise 5%); exploratory "
                "metrics are marked.",
            ),
            ("mono", _table_text(report)),
        ]
        blocks += [("small", note) for note in report.table_notes]
        if report.monthly:
            blocks += [("h2", "Long term, month by month")]
            blocks += [("bullet", line) for line in report.monthly]
        _text_pages(pdf, blocks, header=header)
        for chart in report.charts:
            _figure_page(pdf, chart.figure, header=header, title=chart.title)
        if report.before_after is not None:
            _figure_page(
                pdf, report.before_after.figure, header=header, title=report.before_after.title
            )
        blocks = [("h2", "Before and after")]
        if report.before_after is not None:
            blocks.append(("small", report.before_after.caption))
        else:
            blocks.append(("text", report.before_after_note))
        blocks += [("h2", "Treatment log")] + [("bullet", line) for line in report.adherence]
        blocks += [("bullet", line) for line in report.fade]
        blocks += [
            ("bullet", f"{row['date']}: {_user_text(row['note'])}") for row in report.session_notes
        ]
        _text_pages(pdf, blocks, header=header)
        if report.adherence_chart is not None:
            _figure_page(
                pdf,
                report.adherence_chart.figure,
                header=header,
                title=report.adherence_chart.title,
            )
        blocks = [
            ("h2", "Photo log"),
            (
                "small",
                "Every photo, oldest first; flagged photos are left out of every "
                "number. Brow height in mm, jaw angle in degrees, left / right.",
            ),
            ("mono", _photo_log_text(report) if report.photo_log else "No photos yet."),
            ("h2", "Methods and limitations"),
            ("text", "Not a medical device. " + report.limitations[0]),
        ]
        for row in report.methods:
            unit = f" ({row['unit']})" if row["unit"] else ""
            blocks.append(
                (
                    "bullet",
                    f"{row['metric']}{unit}: {row['how']} Noise: SEM "
                    f"{row['sem']}, noise floor (MDC95) {row['mdc']}, from "
                    f"{row['source']}.",
                )
            )
        blocks += [("bullet", note) for note in report.method_notes]
        blocks += [("h2", "Limitations")] + [("bullet", line) for line in report.limitations]
        _text_pages(pdf, blocks, header=header)
    return path
