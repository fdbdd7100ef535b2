"""The local app (`facetrack app`): its privacy checks and pages over HTTP (Starlette's
TestClient), and the whole app in headless Chromium (Playwright driving Debian's chromium,
with no network): the dashboard, an upload, a session logged and deleted, and the guided
capture fed by a fake camera ending with three photos in the library."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tracker import Library, import_photos

SERIES = Path(__file__).resolve().parent.parent / "sample_images" / "series"
# baseline photos (two weeks), one rejected (blurred: selfie_03), then treatment
LIBRARY_PHOTOS = (
    "selfie_01.jpg",
    "selfie_02.jpg",
    "selfie_03.jpg",
    "selfie_04.jpg",
    "selfie_05.jpg",
    "selfie_10.jpg",
    "selfie_11.jpg",
)
SESSIONS = ("2025-09-15T08:00", "2025-09-17T08:00", "2025-09-19T08:00")
TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:5000"
COOKIE = "facetrack_token_5000"
# starlette >= 1.0 suggests httpx2 for its TestClient; httpx still works
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory) -> Path:
    """A small library: 7 sample selfies (6 accepted, 1 blurred) and 3 logged sessions."""
    path = tmp_path_factory.mktemp("app") / "library"
    with Library(path) as library:
        import_photos(library, [SERIES / name for name in LIBRARY_PHOTOS], workers=1)
        for started in SESSIONS:
            library.log_session(started, minutes=20, mode="lift")
    return path


@pytest.fixture()
def client(library_dir, tmp_path):
    """A TestClient (holding the token cookie) on a copy of the small library."""
    from starlette.testclient import TestClient

    from tracker.app import create_app

    copy = tmp_path / "library"
    shutil.copytree(library_dir, copy)
    app = create_app(copy, token=TOKEN)
    with TestClient(app, base_url=BASE) as test_client:
        test_client.cookies.set(COOKIE, TOKEN)
        test_client.app_state = app.state
        yield test_client


def csrf_of(client) -> str:
    return client.app_state.csrf


# --- privacy ----------------------------------------------------------------------------------


def test_requests_without_the_token_are_refused(library_dir, tmp_path):
    """Every route, the static files and POSTs answer 403 without the token or with a wrong
    one; the token in the URL sets the cookie and the browser is sent on without it."""
    from starlette.testclient import TestClient

    from tracker.app import create_app

    app = create_app(library_dir, token=TOKEN)
    with TestClient(app, base_url=BASE) as anonymous:
        for url in (
            "/",
            "/photos",
            "/photos/1/image.jpg",
            "/static/app.js",
            "/capture/ghost",
            "/report/download?format=html",
            "/reminders.ics?photo_day=SU",
        ):
            assert anonymous.get(url).status_code == 403, url
        assert anonymous.post("/sessions", data={"started_at": "2026-01-01"}).status_code == 403
        assert anonymous.get("/?token=wrong").status_code == 403
        anonymous.cookies.set(COOKIE, "wrong")
        assert anonymous.get("/").status_code == 403
        anonymous.cookies.clear()
        first = anonymous.get(f"/photos?token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/photos"
        cookie = first.headers["set-cookie"]
        assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        assert anonymous.get("/photos").status_code == 200  # the cookie now carries it


def test_other_hosts_are_refused(client):
    """A Host header other than the loopback's (DNS rebinding) gets 403 even with the token."""
    assert client.get("/", headers={"host": "evil.example:5000"}).status_code == 403
    assert client.get("/", headers={"host": "localhost:5000"}).status_code == 200


def test_security_headers(client):
    """Pages and refusals carry a CSP allowing only the app itself, no inline script."""
    for response in (
        client.get("/"),
        client.get("/static/app.js"),
        client.get("/", headers={"host": "evil.example"}),
    ):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    page = client.get("/").text
    assert "<script>" not in page and '<script src="/static/app.js"' in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


def test_csrf_is_required(client):
    """A POST without the CSRF token, with a wrong one, or from another origin is refused and
    changes nothing."""
    before = len(client.get("/sessions").text)
    form = {"started_at": "2026-01-05T08:00", "minutes": "20"}
    assert client.post("/sessions", data=form).status_code == 403
    assert client.post("/sessions", data={**form, "csrf": "wrong"}).status_code == 403
    response = client.post(
        "/sessions",
        data={**form, "csrf": csrf_of(client)},
        headers={"origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert client.post("/photos/1/forget", data={}).status_code == 403
    assert (
        client.post(
            "/capture/frame", content=b"x", headers={"content-type": "image/jpeg"}
        ).status_code
        == 403
    )
    assert len(client.get("/sessions").text) == before
    with Library(client.app_state.library_path) as library:
        assert len(library.sessions()) == len(SESSIONS)
        assert library.count() == len(LIBRARY_PHOTOS)


# --- pages ------------------------------------------------------------------------------------


def test_session_logged_corrected_and_deleted(client):
    """A session logged through the form is listed, corrected, then deleted."""
    token = csrf_of(client)
    response = client.post(
        "/sessions",
        data={
            "started_at": "2026-01-05T08:00",
            "minutes": "25",
            "mode": "Firm",
            "note": "<b>left side</b>",
            "csrf": token,
        },
        headers={"origin": BASE},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Session logged." in page
    assert "2026-01-05 08:00" in page and "firm" in page
    assert "&lt;b&gt;left side&lt;/b&gt;" in page  # user text is escaped
    with Library(client.app_state.library_path) as library:
        sessions = library.sessions()
    new_id = int(sessions.loc[sessions["minutes"] == 25, "id"].iloc[0])
    form = client.get(f"/sessions?edit={new_id}").text
    assert f'action="/sessions/{new_id}/edit"' in form and 'value="2026-01-05T08:00"' in form
    response = client.post(
        f"/sessions/{new_id}/edit",
        data={"started_at": "2026-01-05T09:10", "minutes": "25", "mode": "firm", "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Session corrected." in page and "2026-01-05 09:10" in page
    assert "&lt;b&gt;" not in page  # the note was cleared
    response = client.post(
        f"/sessions/{new_id}/delete", data={"csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "2026-01-05 09:10" not in page and "Session deleted." in page
    bad = client.post("/sessions", data={"started_at": "someday", "csrf": token})
    assert bad.status_code == 400 and "someday" in bad.text


def test_upload_good_and_bad_photos(client, tmp_path):
    """A good photo is imported and measured; a corrupt JPEG and a text file each get one
    clear error and nothing is stored from them; the same photo again is "already there"."""
    good = (SERIES / "selfie_06.jpg").read_bytes()
    files = [
        ("files", ("selfie_06.jpg", good, "image/jpeg")),
        ("files", ("broken.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg")),
        ("files", ("notes.txt", b"hello", "text/plain")),
    ]
    response = client.post(
        "/import",
        files=files,
        data={"csrf": csrf_of(client)},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    results = {r["name"]: r for r in response.json()["results"]}
    assert results["selfie_06.jpg"]["outcome"] == "imported"
    assert results["selfie_06.jpg"]["status"] == "ok"
    assert results["broken.jpg"]["outcome"] == "error"
    assert results["broken.jpg"]["error"]
    assert results["notes.txt"]["error"].startswith("not a photo file")
    with Library(client.app_state.library_path) as library:
        assert library.count() == len(LIBRARY_PHOTOS) + 1
        record = library.photo(results["selfie_06.jpg"]["id"])
        assert record["captured_at"].startswith("2025-09-10")  # from the file's EXIF
    again = client.post("/import", files=files[:1], data={"csrf": csrf_of(client)})
    assert again.status_code == 200 and "already in your library" in again.text


def test_dashboard_charts(client):
    """The dashboard gives the summary sentences and one SVG chart per key metric with the
    noise band, the sessions and every day's value as a tooltip."""
    page = client.get("/").text
    charts = re.findall(r'<svg class="chart" id="chart-([a-z_]+)"', page)
    assert charts[:3] == ["brow_height", "jaw_angle", "asymmetry"]
    brow = page.split('id="chart-brow_height"')[1].split("</svg>")[0]
    assert 'class="band"' in brow
    assert brow.count('class="session"') == len(SESSIONS)
    assert re.search(r"<title>2025-09-01, left: \d+\.\d\d mm \(1 photo\)</title>", brow)
    assert "Brow height" in page


def test_photos_page_and_forget(client):
    """Photos lists every photo with its status and reasons, serves its image with the
    measured lines, and forgets one for good."""
    page = client.get("/photos").text
    assert page.count('class="card status-') == len(LIBRARY_PHOTOS)
    assert "blurred" in page
    image = client.get("/photos/1/image.jpg?lines=1")
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    response = client.post(
        "/photos/1/forget", data={"csrf": csrf_of(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/photos/1/image.jpg").status_code == 404
    with Library(client.app_state.library_path) as library:
        assert library.count() == len(LIBRARY_PHOTOS) - 1


def test_compare_report_and_reminders(client):
    """Compare shows two eye-aligned photos with their lines; the report downloads without
    face images on request; the calendar has the weekly photo day and the sessions."""
    page = client.get("/compare?a=1&b=7").text
    assert page.count('<figure class="aligned">') == 2
    assert 'class="m-brow"' in page
    html = client.get("/report/download?format=html&photos=0")
    assert html.status_code == 200
    assert "attachment" in html.headers["content-disposition"]
    assert "data:image/jpeg" not in html.text and "Brow height" in html.text
    ics = client.get(
        "/reminders.ics?photo_day=SU&photo_time=09:30&session_day=MO"
        "&session_day=FR&session_time=07:45"
    )
    assert ics.headers["content-type"].startswith("text/calendar")
    text = ics.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "RRULE:FREQ=WEEKLY;BYDAY=SU" in text and "RRULE:FREQ=WEEKLY;BYDAY=MO,FR" in text
    assert re.search(r"DTSTART:\d{8}T093000", text) and re.search(r"DTSTART:\d{8}T074500", text)
    assert client.get("/reminders.ics?photo_day=XX").status_code == 400


def test_capture_frame_feedback(client):
    """A camera frame of the person at their usual distance and pose passes every check; a
    frame that is not an image gets 400."""
    from PIL import Image

    from tracker.app.fakecam import frame_from_photo

    frame = frame_from_photo(SERIES / "selfie_01.jpg")
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=85)
    headers = {"content-type": "image/jpeg", "x-csrf-token": csrf_of(client)}
    feedback = client.post("/capture/frame", content=buffer.getvalue(), headers=headers).json()
    assert feedback["face"] is True and feedback["ready"] is True
    assert [c["name"] for c in feedback["checks"]] == [
        "turn",
        "chin",
        "tilt",
        "distance",
        "light",
        "eyes",
        "mouth",
    ]
    assert feedback["usual"]["n_photos"] == len(LIBRARY_PHOTOS) - 1
    assert 0.8 < feedback["camera_distance_mm"] / feedback["usual"]["camera_distance_mm"] < 1.2
    assert client.post("/capture/frame", content=b"nope", headers=headers).status_code == 400
    huge = client.post("/capture/frame", content=b"\0" * 5_000_000, headers=headers)
    assert huge.status_code == 413
    ghost = client.get("/capture/ghost?w=1280&h=720").json()["ghost"]
    assert set(ghost["groups"]) >= {"outline", "brow_left", "brow_right"}


# --- in the browser ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _browser_skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return "chromium is not installed (Debian's chromium package)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright (the Python package) is not installed"
    return None


browser_test = pytest.mark.skipif(
    _browser_skip_reason() is not None, reason=_browser_skip_reason() or ""
)


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory) -> Path:
    """A Y4M video of the sample face (selfie_01) at its usual distance, 1280 x 720."""
    from tracker.app.fakecam import frame_from_photo, write_y4m

    frame = frame_from_photo(SERIES / "selfie_01.jpg")
    return write_y4m(tmp_path_factory.mktemp("camera") / "face.y4m", frame, n_frames=20)


@pytest.fixture(scope="module")
def browser_app(library_dir, fake_camera, tmp_path_factory):
    """The app served on 127.0.0.1 (a copy of the small library) and a page in headless
    Chromium with no network, a temporary profile and HOME, and the fake camera."""
    from playwright.sync_api import sync_playwright

    from tracker.app import AppServer
    from tracker.report.pdf import OFFLINE_FLAGS, chromium_environment

    root = tmp_path_factory.mktemp("browser")
    copy = root / "library"
    shutil.copytree(library_dir, copy)
    home = tempfile.mkdtemp(prefix="facetrack-chromium-home-")
    server = AppServer(copy).start()
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(root / "profile"),
                executable_path=CHROMIUM,
                headless=True,
                env=chromium_environment(home),
                args=[
                    *OFFLINE_FLAGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={fake_camera}",
                ],
                viewport={"width": 1100, "height": 900},
            )
            try:
                page = context.new_page()
                page.on("dialog", lambda dialog: dialog.accept())
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(server.url)
                yield server, page, errors
            finally:
                context.close()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@browser_test
def test_browser_dashboard_renders_charts(browser_app):
    """The dashboard of the small library shows its SVG charts, with no console error (the
    CSP would report a blocked inline script or style there)."""
    server, page, errors = browser_app
    page.goto(f"http://127.0.0.1:{server.port}/")
    assert page.locator("svg.chart").count() >= 6
    assert page.locator("#chart-brow_height circle.point").count() >= 4
    box = page.locator("#chart-brow_height").bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert errors == []


@browser_test
def test_browser_pages_fit_a_phone(browser_app):
    """At phone width (390 px) every page fits the screen: nothing scrolls sideways."""
    server, page, errors = browser_app
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        for path in (
            "/",
            "/photos",
            "/import",
            "/capture",
            "/sessions",
            "/compare",
            "/report",
            "/reminders",
        ):
            page.goto(f"http://127.0.0.1:{server.port}{path}")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
    finally:
        page.set_viewport_size({"width": 1100, "height": 900})
    assert errors == []


@browser_test
def test_browser_upload(browser_app, tmp_path):
    """Uploading a good and a bad file through the import page reports each."""
    server, page, _ = browser_app
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 broken")
    page.goto(f"http://127.0.0.1:{server.port}/import")
    page.set_input_files("#files", [str(SERIES / "selfie_07.jpg"), str(broken)])
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#results table")
    text = page.inner_text("#results")
    assert "selfie_07.jpg" in text and "imported: ok" in text
    assert "broken.jpg" in text and "error:" in text
    with Library(server.app.state.library_path) as library:
        assert library.count() == len(LIBRARY_PHOTOS) + 1


@browser_test
def test_browser_session_logged_and_deleted(browser_app):
    """A session logged with the form appears in the list; its Delete button removes it."""
    server, page, _ = browser_app
    page.goto(f"http://127.0.0.1:{server.port}/sessions")
    page.fill("input[name=started_at]", "2026-02-03T07:15")
    page.fill("input[name=minutes]", "17")
    page.fill("input[name=mode]", "lift")
    page.click("#session-form button[type=submit]")
    page.wait_for_selector("text=Session logged.")
    row = page.locator("tr", has_text="2026-02-03 07:15")
    assert row.count() == 1
    row.locator("button.danger").click()
    page.wait_for_selector("text=Session deleted.")
    assert page.locator("tr", has_text="2026-02-03 07:15").count() == 0


@browser_test
def test_browser_capture_with_a_fake_camera(browser_app):
    """The capture page, fed by a fake camera showing the person's face at their usual
    distance, sends frames, finds every check green and imports a burst of three photos
    dated now."""
    server, page, errors = browser_app
    with Library(server.app.state.library_path) as library:
        before = library.count()
    page.goto(f"http://127.0.0.1:{server.port}/capture")
    page.click("#start")
    # (wait_for_function would evaluate a string: the CSP forbids eval)
    page.wait_for_selector("#status:has-text('Done: three photos')", timeout=90_000)
    assert page.evaluate("() => window.facetrackCapture.frames") >= 3
    imported = page.evaluate("() => window.facetrackCapture.imported")
    assert len(imported) == 3
    with Library(server.app.state.library_path) as library:
        assert library.count() == before + 3
        records = [library.photo(i) for i in imported]
    from datetime import date

    assert all(r["captured_at"].startswith(date.today().isoformat()) for r in records)
    assert all(r["date_source"] == "manual" and r["status"] == "ok" for r in records)
    assert len({r["sha256"] for r in records}) == 3
    assert errors == []


# --- the command and the library shared with the CLI -------------------------------------------


def test_app_command_prints_its_url_and_serves(library_dir, tmp_path):
    """`facetrack app --no-browser` prints a 127.0.0.1 URL with the token; the URL works,
    the same address without the token is refused; the server stops on SIGTERM."""
    import signal
    import subprocess
    import sys
    import time

    import httpx

    copy = tmp_path / "library"
    shutil.copytree(library_dir, copy)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tracker.cli import main; main()",
            "app",
            "--no-browser",
            "--library",
            str(copy),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("Open: "):
                url = line.split(" ", 1)[1].strip()
        assert url is not None, process.stderr.read()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url)
        plain = url.split("?")[0]
        for _ in range(100):  # the URL is printed just before uvicorn starts serving
            try:
                refused = httpx.get(plain)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert refused.status_code == 403
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(url)
        assert page.status_code == 200 and "Is it working?" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_app_upload_and_cli_import_at_the_same_time(client, tmp_path):
    """An upload through the app and a CLI import into the same library at the same moment
    both succeed (each holds the database only for one photo's transaction)."""
    import threading

    from click.testing import CliRunner

    from tracker.cli import main

    outcome = {}

    def cli_import():
        result = CliRunner().invoke(
            main,
            [
                "import",
                str(SERIES / "selfie_12.jpg"),
                str(SERIES / "selfie_13.jpg"),
                "--workers",
                "1",
                "--library",
                str(client.app_state.library_path),
            ],
        )
        outcome["cli"] = (result.exit_code, result.output)

    thread = threading.Thread(target=cli_import)
    thread.start()
    files = [
        ("files", (name, (SERIES / name).read_bytes(), "image/jpeg"))
        for name in ("selfie_15.jpg", "selfie_17.jpg")
    ]
    response = client.post(
        "/import",
        files=files,
        data={"csrf": csrf_of(client)},
        headers={"accept": "application/json"},
    )
    thread.join(timeout=120)
    assert response.status_code == 200
    assert [r["outcome"] for r in response.json()["results"]] == ["imported", "imported"]
    assert outcome["cli"][0] == 0, outcome["cli"][1]
    with Library(client.app_state.library_path) as library:
        assert library.count() == len(LIBRARY_PHOTOS) + 4
