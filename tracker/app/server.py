"""The app's routes (Starlette): pages rendered with jinja2, photos and charts drawn by the
server, a JSON endpoint for the guided capture's frames.

Every request opens the library and closes it again (SQLite connections stay in their
thread, and a CLI import running at the same time simply takes turns with the app: the
library is in WAL mode with a busy timeout). Blocking work runs in Starlette's thread pool.
"""

from __future__ import annotations

import base64
import io
import math
import os
import re
import shutil
import tempfile
from collections import OrderedDict
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tracker.app.security import CSRF_FIELD, CsrfError, Guard, check_csrf, new_token
from tracker.formatting import number
from tracker.metrics import registry

HERE = Path(__file__).parent
MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # per file; the import's pixel guard comes after
MAX_UPLOAD_FILES = 200
THUMB_PX = 360
PAGES = (
    ("dashboard", "/", "Dashboard"),
    ("photos", "/photos", "Photos"),
    ("import", "/import", "Import"),
    ("capture", "/capture", "Capture"),
    ("sessions", "/sessions", "Sessions"),
    ("compare", "/compare", "Compare"),
    ("report", "/report", "Report"),
    ("reminders", "/reminders", "Reminders"),
)
DONE_MESSAGES = {
    "session-logged": "Session logged.",
    "session-updated": "Session corrected.",
    "session-deleted": "Session deleted.",
    "photo-forgotten": "Photo removed from the library for good.",
}


@lru_cache(maxsize=1)
def _templates():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class AppState:
    """What the routes share: the library's folder and the secrets of this run."""

    def __init__(self, library_path: Path, token: str, csrf: str) -> None:
        self.library_path = library_path
        self.token = token
        self.csrf = csrf
        self.thumbs: OrderedDict = OrderedDict()
        # the person's usual capture for the live feedback, until the next burst is imported
        self.usual_cache: tuple | None = None

    @contextmanager
    def library(self):
        from tracker.library import Library

        library = Library(self.library_path)
        try:
            yield library
        finally:
            library.close()


def create_app(
    library_path: str | os.PathLike[str],
    *,
    token: str | None = None,
    allowed_hosts=("127.0.0.1", "localhost"),
):
    """The ASGI app for a library folder (created when missing).

    Parameters
    ----------
    library_path : path
    token : str, optional
        The secret every request must carry (default: a new random one); see
        ``tracker.app.security``.
    allowed_hosts : sequence of str
        Host names the Host header may give.

    Returns
    -------
    ASGI app, with ``.state`` (``AppState``: ``token``, ``csrf``, ``library_path``).
    """
    from tracker.library import Library

    path = Path(library_path).expanduser().absolute()
    Library(path).close()  # create it, or fail now with the library's own message
    state = AppState(path, token or new_token(), new_token())

    def page(name):
        def decorator(handler):
            async def endpoint(request: Request):
                try:
                    await check_csrf(request, state.csrf)
                except CsrfError as exc:
                    return PlainTextResponse(f"forbidden: {exc}", status_code=403)
                return await handler(request, state)

            endpoint.__name__ = name
            return endpoint

        return decorator

    routes = [
        Route("/", page("dashboard")(dashboard)),
        Route("/photos", page("photos")(photos_page)),
        Route("/photos/{photo_id:int}/image.jpg", page("photo_image")(photo_image)),
        Route("/photos/{photo_id:int}/forget", page("forget")(forget_photo), methods=["POST"]),
        Route("/import", page("import")(import_page), methods=["GET", "POST"]),
        Route("/sessions", page("sessions")(sessions_page), methods=["GET", "POST"]),
        Route(
            "/sessions/{session_id:int}/edit",
            page("edit_session")(sessions_page),
            methods=["POST"],
        ),
        Route(
            "/sessions/{session_id:int}/delete",
            page("delete_session")(delete_session),
            methods=["POST"],
        ),
        Route("/compare", page("compare")(compare_page)),
        Route("/report", page("report")(report_page)),
        Route("/report/download", page("report_download")(report_download)),
        Route("/capture", page("capture")(capture_page)),
        Route("/capture/ghost", page("ghost")(capture_ghost)),
        Route("/capture/frame", page("frame")(capture_frame), methods=["POST"]),
        Route("/capture/burst", page("burst")(capture_burst), methods=["POST"]),
        Route("/reminders", page("reminders")(reminders_page)),
        Route("/reminders.ics", page("reminders_ics")(reminders_download)),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.facetrack = state
    guarded = Guard(app, token=state.token, allowed_hosts=allowed_hosts)
    guarded.state = state
    return guarded


def render(
    request: Request, state: AppState, template: str, *, status_code: int = 200, **context
) -> HTMLResponse:
    done = DONE_MESSAGES.get(request.query_params.get("done", ""))
    html = (
        _templates()
        .get_template(template)
        .render(
            pages=PAGES,
            path=request.url.path,
            csrf=state.csrf,
            csrf_field=CSRF_FIELD,
            done=done,
            library_path=str(state.library_path),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)


# --- dashboard --------------------------------------------------------------------------------


def _dashboard_data(state: AppState) -> dict:
    from tracker.analysis import (
        analyse,
        design_lines,
        lead_sentences,
        overview_lines,
        summary_sentences,
        whole_face,
    )
    from tracker.app.svg import metric_svg
    from tracker.charts import DASHBOARD_METRICS, chart_metrics
    from tracker.library_charts import load_frames

    with state.library() as library:
        photos, sessions = load_frames(library)
        plan = library.plan()
    if photos.empty:
        return {
            "sentences": [],
            "overview": [],
            "charts": [],
            "n_photos": 0,
            "n_sessions": len(sessions),
        }
    metrics = [c for name in DASHBOARD_METRICS for c in chart_metrics(name)]
    trend = analyse(
        photos, sessions, metrics=[m for m in metrics if m in photos.columns], plan=plan
    )
    charts = [
        metric_svg(trend, sessions, name, chart_id=f"chart-{name}") for name in DASHBOARD_METRICS
    ]
    return {
        # the design (and a split-face or on/off design's own rows) leads
        "sentences": design_lines(trend)
        + lead_sentences(trend, combine=True)
        + summary_sentences(
            whole_face(trend.table), fade=trend.fade, combine=True, settings=trend.settings
        ),
        "overview": overview_lines(trend),
        "charts": charts,
        "n_photos": len(photos),
        "n_sessions": len(sessions),
    }


async def dashboard(request: Request, state: AppState):
    data = await run_in_threadpool(_dashboard_data, state)
    return render(request, state, "dashboard.html.j2", **data)


# --- photos -----------------------------------------------------------------------------------


def _fmt_time(text: str | None) -> str:
    return "" if not text else text[:16].replace("T", " ")


def _photo_cards(state: AppState) -> list[dict]:
    with state.library() as library:
        records = list(library.photo_records(person_scale=True))  # as the report
    cards = []
    for r in reversed(records):
        metrics = r["metrics"]
        cards.append(
            {
                "id": r["id"],
                "when": _fmt_time(r["captured_at"]),
                "status": r["status"],
                "reasons": r["reasons"],
                "advice": r["advice"],
                "session": r["session"],
                "tag": r["tag"],
                "mirrored": r["mirrored"],
                "name": Path(r["file"]).name,
                "date_source": r["date_source"],
                "distance_cm": (
                    None if r["camera_distance_mm"] is None else round(r["camera_distance_mm"] / 10)
                ),
                "brow": [metrics.get(name) for name in registry.names(family="brow_height")],
            }
        )
    return cards


def _pair_caption(metrics: dict[str, float]) -> str:
    """The headline pairs of one aligned photo, e.g. "brow L 21.40 · R 20.95 mm; jaw L
    121.3 · R 122.0 deg"; "–" for a value not measured."""
    parts = []
    for family in ("brow_height", "jaw_angle"):
        left, right = registry.names(family=family)
        metric = registry.get(left)
        values = [number(metrics.get(name), metric.decimals, missing="–") for name in (left, right)]
        parts.append(f"{metric.short} L {values[0]} · R {values[1]} {metric.unit_text}")
    return "; ".join(parts)


async def photos_page(request: Request, state: AppState):
    cards = await run_in_threadpool(_photo_cards, state)
    return render(request, state, "photos.html.j2", cards=cards)


def _photo_jpeg(state: AppState, photo_id: int, lines: bool, width: int) -> bytes:
    import cv2
    import numpy as np
    from PIL import Image

    from tracker.errors import TrackerError
    from tracker.overlay import overlay_geometry
    from tracker.photos import open_photo
    from tracker.types import Landmarks, PhotoResult

    with state.library() as library:
        record = library.photo(photo_id)
        key = (record["sha256"], lines, width)
        if key in state.thumbs:
            return state.thumbs[key]
        photo = open_photo(record["stored_path"], mirrored=record["mirrored"])
        pixels = np.ascontiguousarray(photo.pixels)
        height, full_width = pixels.shape[:2]
        factor = min(1.0, width / full_width)
        small = cv2.resize(
            pixels,
            (max(1, round(full_width * factor)), max(1, round(height * factor))),
            interpolation=cv2.INTER_AREA,
        )
        if lines:
            try:
                points = library.landmarks(photo_id)
            except TrackerError:
                points = None
            if points is not None:
                result = PhotoResult(
                    file=record["stored_path"],
                    status=record["status"],
                    landmarks=Landmarks(
                        points_px=points, image_size_px=(full_width, height), model="stored"
                    ),
                    refined_points_px=points,
                )
                g = overlay_geometry(result)
                thickness = max(1, round(small.shape[1] / 240))
                segments = [(g["ipd"], (0, 220, 255))]
                segments += [(v, (255, 235, 0)) for v in g["brow"].values()]
                segments += [(v, (120, 255, 120)) for v in g["jaw"].values()]
                for pts, colour in segments:
                    pts = (np.asarray(pts)[:, :2] * factor).round().astype(np.int32)
                    cv2.polylines(small, [pts], False, colour, thickness, cv2.LINE_AA)
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, format="JPEG", quality=85)
    data = buffer.getvalue()
    state.thumbs[key] = data
    while len(state.thumbs) > 400:
        state.thumbs.popitem(last=False)
    return data


async def photo_image(request: Request, state: AppState):
    from tracker.errors import TrackerError

    photo_id = request.path_params["photo_id"]
    lines = request.query_params.get("lines") == "1"
    try:
        width = max(64, min(1600, int(request.query_params.get("w", THUMB_PX))))
    except ValueError:
        width = THUMB_PX
    try:
        data = await run_in_threadpool(_photo_jpeg, state, photo_id, lines, width)
    except TrackerError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"}
    )


async def forget_photo(request: Request, state: AppState):
    from tracker.errors import LibraryError

    def forget():
        with state.library() as library:
            library.forget([request.path_params["photo_id"]])

    try:
        await run_in_threadpool(forget)
    except LibraryError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    return RedirectResponse("/photos?done=photo-forgotten", status_code=303)


# --- import -----------------------------------------------------------------------------------


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]")


def safe_name(name: str) -> str:
    """A file name from a browser made safe to write in a private folder: its last part,
    odd characters replaced, never hidden or empty."""
    base = Path(name.replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("_", base).lstrip(".")[:120]
    return base or "photo"


def import_files(
    state: AppState,
    files: list[tuple[str, bytes | Path | BinaryIO]],
    *,
    session: str | None = None,
    tag: str | None = None,
    manual_date=None,
    prefer_manual_date: bool = False,
    mirrored: bool = False,
) -> list[dict]:
    """Import uploaded files (name, and the content, a temporary path or an open file) through
    ``tracker.importing.import_photos``; one result per file, in order: ``name``, ``outcome``
    ("imported", "already there", "error"), ``status`` and ``reasons`` (imported photos),
    ``error`` (one line), ``id``."""
    from tracker.photos import SUPPORTED_SUFFIXES

    folder = Path(tempfile.mkdtemp(prefix="facetrack-upload-"))
    os.chmod(folder, 0o700)
    results: list[dict] = []
    try:
        paths: dict[str, int] = {}
        for index, (name, content) in enumerate(files):
            entry: dict[str, Any] = {
                "name": name,
                "outcome": "error",
                "status": None,
                "reasons": [],
                "error": None,
                "id": None,
            }
            results.append(entry)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                entry["error"] = (
                    f"not a photo file (supported: "
                    f"{', '.join(s.lstrip('.') for s in SUPPORTED_SUFFIXES)})"
                )
                continue
            sub = folder / str(index)
            sub.mkdir()
            target = sub / safe_name(name)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                if isinstance(content, bytes):
                    out.write(content)
                elif isinstance(content, Path):
                    with open(content, "rb") as source:
                        shutil.copyfileobj(source, out)
                else:
                    content.seek(0)
                    shutil.copyfileobj(content, out)
            paths[str(target)] = index
        if paths:
            with state.library() as library:
                from tracker.importing import import_photos

                summary = import_photos(
                    library,
                    list(paths),
                    session=session,
                    tag=tag,
                    manual_date=manual_date,
                    prefer_manual_date=prefer_manual_date,
                    mirrored=mirrored,
                    workers=1 if len(paths) < 6 else 2,
                )
                for file, error in summary.errors.items():
                    if file in paths:
                        results[paths[file]]["error"] = error
                for file in summary.already_there:
                    if file in paths:
                        results[paths[file]]["outcome"] = "already there"
                for photo_id in summary.imported:
                    record = library.photo(photo_id)
                    found = paths.get(record["file"])
                    if found is None:
                        continue
                    results[found].update(
                        outcome="imported",
                        status=record["status"],
                        reasons=record["reasons"],
                        id=photo_id,
                    )
            for index in paths.values():
                entry = results[index]
                if entry["outcome"] == "error" and entry["error"] is None:
                    entry["error"] = "not imported"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


async def _read_uploads(form) -> tuple[list[tuple[str, bytes | Path | BinaryIO]], list[dict]]:
    """The uploaded files of a form (as the parser spooled them: in memory up to 1 MB, else in
    a temporary file), with the too large ones refused."""
    from starlette.datastructures import UploadFile

    files: list[tuple[str, bytes | Path | BinaryIO]] = []
    refused: list[dict] = []
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        name = item.filename
        size = item.size if item.size is not None else 0
        if size > MAX_UPLOAD_BYTES:
            refused.append(
                {
                    "name": name,
                    "outcome": "error",
                    "status": None,
                    "reasons": [],
                    "id": None,
                    "error": f"file too large ({size / 1e6:.0f} MB; the "
                    f"limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB)",
                }
            )
            continue
        files.append((name, item.file))
    return files, refused


def _form_text(form, key: str) -> str | None:
    value = form.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


async def import_page(request: Request, state: AppState):
    wants_json = "application/json" in request.headers.get("accept", "")
    if request.method == "GET":
        return render(request, state, "import.html.j2", results=None, error=None)
    form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=50)
    files, refused = await _read_uploads(form)
    session = _form_text(form, "session")
    error = None
    if session not in (None, "before", "after"):
        error = "session must be before or after"
    when = None
    day = _form_text(form, "date")
    if error is None and day:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            error = f"{day!r} is not a date (YYYY-MM-DD)"
    if error is None and not files and not refused:
        error = "choose one or more photos to import"
    results = refused
    if error is None and files:
        from tracker.errors import LibraryError

        try:
            results = refused + await run_in_threadpool(
                import_files,
                state,
                files,
                session=session,
                tag=_form_text(form, "tag"),
                manual_date=when,
                mirrored=form.get("mirrored") == "on",
            )
        except LibraryError as exc:
            error = str(exc)
    status = 400 if error else 200
    if wants_json:
        return JSONResponse({"error": error, "results": results}, status_code=status)
    return render(
        request, state, "import.html.j2", results=results, error=error, status_code=status
    )


# --- sessions ---------------------------------------------------------------------------------


def _session_rows(state: AppState) -> list[dict]:
    with state.library() as library:
        frame = library.sessions()
    rows = []
    for row in frame.itertuples():
        rows.append(
            {
                "id": int(row.id),
                "when": f"{row.started_at:%Y-%m-%d %H:%M}",
                "value": f"{row.started_at:%Y-%m-%dT%H:%M}",
                "minutes": None if row.minutes != row.minutes else f"{row.minutes:g}",
                "mode": row.mode,
                "note": row.note,
                "side": getattr(row, "side", "both"),
            }
        )
    return list(reversed(rows))


async def sessions_page(request: Request, state: AppState):
    """GET: the log and its form (``?edit=ID`` fills the form with a session to correct);
    POST /sessions logs one, POST /sessions/ID/edit corrects one."""
    from tracker.errors import LibraryError

    error = None
    session_id = request.path_params.get("session_id")
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=20)
        started = _form_text(form, "started_at")
        options = {
            "minutes": _form_text(form, "minutes"),
            "mode": _form_text(form, "mode"),
            "note": _form_text(form, "note"),
            "side": _form_text(form, "side"),
        }

        def save():
            with state.library() as library:
                if session_id is None:
                    library.log_session(
                        started or "", **{**options, "side": options["side"] or "both"}
                    )
                else:
                    # the form holds every field: an emptied mode or note is cleared
                    library.edit_session(
                        int(session_id),
                        started_at=started or None,
                        minutes=options["minutes"],
                        mode=options["mode"] or "",
                        note=options["note"] or "",
                        side=options["side"],
                    )

        if not started:
            error = "give the date and time the session started"
        else:
            try:
                await run_in_threadpool(save)
            except LibraryError as exc:
                error = str(exc)
        if error is None:
            done = "session-logged" if session_id is None else "session-updated"
            return RedirectResponse(f"/sessions?done={done}", status_code=303)
    rows = await run_in_threadpool(_session_rows, state)
    editing = session_id if session_id is not None else _int_param(request, "edit")
    edit = next((row for row in rows if row["id"] == editing), None)
    now = datetime.now().strftime("%Y-%m-%dT%H:%M")
    return render(
        request,
        state,
        "sessions.html.j2",
        rows=rows,
        error=error,
        now=now,
        edit=edit,
        status_code=400 if error else 200,
    )


async def delete_session(request: Request, state: AppState):
    from tracker.errors import LibraryError

    def delete():
        with state.library() as library:
            library.delete_session(request.path_params["session_id"])

    try:
        await run_in_threadpool(delete)
    except LibraryError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    return RedirectResponse("/sessions?done=session-deleted", status_code=303)


# --- compare ----------------------------------------------------------------------------------


def _jpeg_data_uri(pixels) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _svg_lines(geometry: dict) -> list[dict]:
    lines = [{"kind": "ipd", "points": geometry["ipd"]}]
    lines += [{"kind": "brow", "points": v} for v in geometry["brow"].values()]
    lines += [{"kind": "jaw", "points": v} for v in geometry["jaw"].values()]
    return [
        {
            "kind": line["kind"],
            "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in line["points"][:, :2]),
        }
        for line in lines
    ]


def _compare_data(state: AppState, a: int | None, b: int | None) -> dict:
    from tracker.alignment import ALIGNED_SIZE, align_photo
    from tracker.analysis import choose_pair
    from tracker.errors import TrackerError
    from tracker.library_charts import load_frames

    with state.library() as library:
        photos, sessions = load_frames(library)
        ok = photos.loc[photos["status"] == "ok"].sort_values("captured_at")
        ids = ok["id"].astype(int).tolist()
        options = [
            {"id": i, "label": f"{t:%Y-%m-%d %H:%M}" + (f" ({s})" if s else "")}
            for i, t, s in zip(ids, ok["captured_at"], ok["session"])
        ]
        if a is None or b is None:
            before, after = choose_pair(photos, sessions)
            a = a if a is not None else (before[0] if before else (ids[0] if ids else None))
            b = b if b is not None else (after[0] if after else (ids[-1] if ids else None))
        sides, error = [], None
        if a is not None and b is not None:
            try:
                for role, photo_id in (("A", a), ("B", b)):
                    aligned = align_photo(library, photo_id, role=role, photos=photos)
                    sides.append(
                        {
                            "id": photo_id,
                            "label": aligned.label.replace(role + ", ", ""),
                            "image": _jpeg_data_uri(aligned.pixels),
                            "lines": _svg_lines(aligned.geometry),
                            "caption": _pair_caption(aligned.metrics),
                        }
                    )
            except (TrackerError, ValueError) as exc:
                sides, error = [], str(exc)
    return {
        "options": options,
        "a": a,
        "b": b,
        "sides": sides,
        "error": error,
        "size": ALIGNED_SIZE,
    }


def _int_param(request: Request, key: str) -> int | None:
    try:
        return int(request.query_params[key])
    except (KeyError, ValueError):
        return None


async def compare_page(request: Request, state: AppState):
    data = await run_in_threadpool(
        _compare_data, state, _int_param(request, "a"), _int_param(request, "b")
    )
    return render(request, state, "compare.html.j2", **data)


# --- report -----------------------------------------------------------------------------------


async def report_page(request: Request, state: AppState):
    from tracker.report import find_chromium

    return render(request, state, "report.html.j2", chromium=find_chromium() is not None)


async def report_download(request: Request, state: AppState):
    from tracker.report import write_report

    kind = request.query_params.get("format", "html")
    if kind not in ("html", "pdf"):
        return PlainTextResponse("format must be html or pdf", status_code=400)
    photos = request.query_params.get("photos", "1") != "0"

    def build() -> bytes:
        with tempfile.TemporaryDirectory(prefix="facetrack-report-") as folder:
            path = Path(folder) / f"report.{kind}"
            with state.library() as library:
                write_report(library, path, photos=photos)
            return path.read_bytes()

    data = await run_in_threadpool(build)
    name = f"facetrack-report-{date.today():%Y-%m-%d}{'' if photos else '-no-photos'}.{kind}"
    media = "text/html; charset=utf-8" if kind == "html" else "application/pdf"
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- guided capture ---------------------------------------------------------------------------


def _usual(state: AppState):
    with state.library() as library:
        return library._usual_capture()


async def capture_page(request: Request, state: AppState):
    from tracker.app.live import warm_up

    warm_up()  # load Face Mesh while the person starts the camera
    usual = await run_in_threadpool(_usual, state)
    return render(request, state, "capture.html.j2", usual=usual)


def _ghost(state: AppState, width: int, height: int) -> dict | None:
    from tracker.analysis import choose_pair
    from tracker.errors import TrackerError
    from tracker.library_charts import load_frames

    with state.library() as library:
        photos, sessions = load_frames(library)
        usual = library._usual_capture()
        before, _ = choose_pair(photos, sessions)
        ok = photos.loc[photos["status"] == "ok"].sort_values("captured_at", ascending=False)
        for photo_id in [*before, *ok["id"].astype(int).tolist()]:
            record = library.photo(photo_id)
            ipd = record["metrics"].get("interpupillary_mm")
            distance = (
                usual.camera_distance_mm
                if usual is not None and math.isfinite(usual.camera_distance_mm)
                else record["camera_distance_mm"]
            )
            if not ipd or not distance:
                continue
            try:
                points = library.landmarks(photo_id)
            except TrackerError:
                continue
            from tracker.app.live import ghost_outline

            ghost = ghost_outline(points, ipd, distance, (width, height))
            ghost.update(photo_id=int(photo_id), captured_at=_fmt_time(record["captured_at"]))
            return ghost
    return None


async def capture_ghost(request: Request, state: AppState):
    try:
        width = int(request.query_params["w"])
        height = int(request.query_params["h"])
        if not (16 <= width <= 4096 and 16 <= height <= 4096):
            raise ValueError
    except (KeyError, ValueError):
        return JSONResponse({"error": "give w and h in pixels"}, status_code=400)
    return JSONResponse({"ghost": await run_in_threadpool(_ghost, state, width, height)})


async def capture_frame(request: Request, state: AppState):
    """One camera frame (the request body, JPEG) -> feedback (``live.frame_feedback``)."""
    from tracker.app.live import MAX_FRAME_BYTES, decode_frame, frame_feedback

    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_FRAME_BYTES:
        return JSONResponse({"error": "frame too large or of unknown size"}, status_code=413)
    body = await request.body()
    if len(body) > MAX_FRAME_BYTES:
        return JSONResponse({"error": "frame too large"}, status_code=413)
    try:
        pixels = decode_frame(body)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    if state.usual_cache is None:
        state.usual_cache = (await run_in_threadpool(_usual, state),)
    feedback = await run_in_threadpool(frame_feedback, pixels, state.usual_cache[0])
    return JSONResponse(feedback)


async def capture_burst(request: Request, state: AppState):
    """Three (or so) full-size frames -> imported as photos dated now."""
    form = await request.form(max_files=5, max_fields=10)
    files, refused = await _read_uploads(form)
    session = _form_text(form, "session")
    if session not in (None, "before", "after"):
        return JSONResponse({"error": "session must be before or after"}, status_code=400)
    if not files:
        return JSONResponse({"error": "no frames"}, status_code=400)
    now = datetime.now().astimezone().replace(microsecond=0)
    named = [
        (f"capture-{now:%Y%m%d-%H%M%S}-{i + 1}.jpg", content)
        for i, (_, content) in enumerate(files)
    ]
    results = refused + await run_in_threadpool(
        import_files,
        state,
        named,
        session=session,
        tag="app capture",
        manual_date=now,
        prefer_manual_date=True,
    )
    state.usual_cache = None
    return JSONResponse({"error": None, "results": results})


# --- reminders --------------------------------------------------------------------------------


async def reminders_page(request: Request, state: AppState):
    from tracker.ics import DAY_NAMES, WEEKDAYS

    return render(request, state, "reminders.html.j2", days=list(zip(WEEKDAYS, DAY_NAMES)))


async def reminders_download(request: Request, state: AppState):
    from tracker.ics import reminders_ics

    params = request.query_params

    def parse_time(value: str | None, default: time) -> time:
        return time.fromisoformat(value) if value else default

    try:
        text = reminders_ics(
            photo_day=params.get("photo_day") or None,
            photo_time=parse_time(params.get("photo_time"), time(9, 0)),
            session_days=params.getlist("session_day"),
            session_time=parse_time(params.get("session_time"), time(8, 0)),
            session_minutes=int(params.get("session_minutes") or 20),
        )
    except ValueError as exc:
        return PlainTextResponse(f"error: {exc}", status_code=400)
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="facetrack.ics"'},
    )
