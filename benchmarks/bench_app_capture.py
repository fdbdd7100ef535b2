"""Guided capture: the feedback latency of `facetrack app` for 720p camera frames.

Run: .venv/bin/python benchmarks/bench_app_capture.py [--frames N]

A small library (five sample selfies, for the person's usual capture) is served by the app
on 127.0.0.1 (uvicorn, as `facetrack app` runs it). A 1280 x 720 camera frame made from a
sample selfie at its usual distance (``tracker.app.fakecam``), JPEG-encoded as the browser
sends it (quality 0.8), is POSTed to /capture/frame:

1. one at a time: the round trip a person waits for (upload, decode, Face Mesh with two views,
   the quality checks, the JSON answer), median and 90th percentile;
2. two in flight, as the capture page sends them: frames per second;
3. the server's compute alone (``tracker.app.live.frame_feedback``), and the full six-view
   measurement an import makes, for comparison.

Target: <= 150 ms feedback on 2 cores, >= 10 frames per second. Writes
benchmarks/results/bench_app_capture.md.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERIES = ROOT / "sample_images" / "series"


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()

    import httpx
    from PIL import Image

    from tracker import Library, import_photos
    from tracker.app import AppServer
    from tracker.app.fakecam import frame_from_photo
    from tracker.app.live import frame_feedback
    from tracker.pipeline import measure_pixels

    folder = Path(tempfile.mkdtemp(prefix="bench-app-"))
    with Library(folder / "library") as library:
        import_photos(library, [SERIES / f"selfie_0{i}.jpg" for i in (1, 2, 4, 5, 6)], workers=1)
        usual = library._usual_capture()
    frame = frame_from_photo(SERIES / "selfie_01.jpg")
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=80)
    jpeg = buffer.getvalue()

    lines = [
        f"# Guided capture: feedback latency ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        (
            f"CPU cores: {os.cpu_count()}; load average at start: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; frame 1280 x 720, "
            f"JPEG {len(jpeg) / 1024:.0f} KiB; {args.frames} frames per row."
        ),
        "",
    ]

    with AppServer(folder / "library") as server:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(
            base_url=base, cookies={f"facetrack_token_{server.port}": server.token}
        ) as client:
            headers = {"content-type": "image/jpeg", "x-csrf-token": server.app.state.csrf}
            for _ in range(3):  # warm up the model
                client.post("/capture/frame", content=jpeg, headers=headers).raise_for_status()
            latencies = []
            ready = 0
            for _ in range(args.frames):
                t = time.perf_counter()
                answer = client.post("/capture/frame", content=jpeg, headers=headers)
                latencies.append((time.perf_counter() - t) * 1000)
                ready += answer.json()["ready"]

            done = []

            def worker(n):
                with httpx.Client(base_url=base, cookies=client.cookies) as own:
                    for _ in range(n):
                        own.post("/capture/frame", content=jpeg, headers=headers)
                        done.append(time.perf_counter())

            start = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(args.frames // 2,)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rate = len(done) / (time.perf_counter() - start)

    compute, full = [], []
    for _ in range(args.frames // 2):
        t = time.perf_counter()
        frame_feedback(frame, usual)
        compute.append((time.perf_counter() - t) * 1000)
    for _ in range(max(5, args.frames // 6)):
        t = time.perf_counter()
        measure_pixels(frame)
        full.append((time.perf_counter() - t) * 1000)

    lines += ["| what | median ms | p90 ms | min ms |", "|:---|---:|---:|---:|"]
    for name, values in (
        ("round trip, one frame at a time (what the person waits for)", latencies),
        ("server compute only (frame_feedback, 2 Face Mesh views)", compute),
        ("for comparison: a full import measurement (6 views)", full),
    ):
        lines.append(
            f"| {name} | {statistics.median(values):.0f} | {_pct(values, 0.9):.0f} | "
            f"{min(values):.0f} |"
        )
    lines += [
        "",
        (
            f"Frames per second with two in flight (as the capture page sends them): "
            f"**{rate:.1f}**. Frames in tolerance (ready): {ready} of {args.frames}."
        ),
        f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "Target: feedback <= 150 ms, >= 10 frames per second, on 2 cores.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "benchmarks" / "results" / "bench_app_capture.md"
    out.write_text(text)


if __name__ == "__main__":
    main()
