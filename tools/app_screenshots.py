"""Screenshots of every page of `facetrack app` for the README: docs/app/*.png.

Run: .venv/bin/python tools/app_screenshots.py [--library DIR]

Without --library, the demo library is built in a temporary folder (the 31-photo sample
series and its sessions, as `make demo` does). The app is served on 127.0.0.1 and Debian's
chromium (driven by Playwright, no network, temporary profile and HOME) shows each page; the
capture page is fed a fake camera made from the sample face.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERIES = ROOT / "sample_images" / "series"
OUT = ROOT / "docs" / "app"
PAGES = (
    ("dashboard", "/"),
    ("photos", "/photos"),
    ("import", "/import"),
    ("sessions", "/sessions"),
    ("compare", "/compare"),
    ("report", "/report"),
    ("reminders", "/reminders"),
)


def demo_library(path: Path) -> Path:
    from tracker import Library, import_photos

    with Library(path) as library:
        import_photos(library, [SERIES], workers=2)
        with open(SERIES / "sessions.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                library.log_session(
                    row["started_at"], minutes=float(row["minutes"]), mode=row["mode"]
                )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tracker.app import AppServer
    from tracker.app.fakecam import frame_from_photo, write_y4m
    from tracker.report.pdf import OFFLINE_FLAGS, chromium_environment

    work = Path(tempfile.mkdtemp(prefix="facetrack-shots-"))
    try:
        library = args.library or demo_library(work / "library")
        video = write_y4m(
            work / "face.y4m", frame_from_photo(SERIES / "selfie_01.jpg"), n_frames=10
        )
        OUT.mkdir(parents=True, exist_ok=True)
        with AppServer(library) as server, sync_playwright() as playwright:
            (work / "home").mkdir()
            context = playwright.chromium.launch_persistent_context(
                str(work / "profile"),
                executable_path=shutil.which("chromium"),
                headless=True,
                env=chromium_environment(str(work / "home")),
                args=[
                    *OFFLINE_FLAGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
                viewport={"width": 1100, "height": 900},
            )
            page = context.new_page()
            page.goto(server.url)
            base = f"http://127.0.0.1:{server.port}"
            for name, path in PAGES:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")  # the photos' images
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=name != "photos")
                print(OUT / f"{name}.png")
            page.goto(base + "/capture")
            page.click("#start")
            page.wait_for_selector("#checks li", timeout=60_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "capture.png"))
            print(OUT / "capture.png")
            page.click("#stop")
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(base + "/")
            page.screenshot(path=str(OUT / "dashboard_phone.png"))
            print(OUT / "dashboard_phone.png")
            context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
