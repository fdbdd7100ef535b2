"""The local web app: ``facetrack app`` (see README, "The app").

Usage::

    from tracker.app import AppServer
    with AppServer("~/facetrack-library") as server:   # 127.0.0.1, a free port
        print(server.url)                                # with its secret token

Routes live in ``tracker.app.server``, the privacy checks in ``tracker.app.security``, the
guided capture's feedback in ``tracker.app.live``; templates/ and static/ hold every page,
style sheet and script the browser gets (nothing comes from another site).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Self

from tracker.app.server import create_app

HOST = "127.0.0.1"

__all__ = ["HOST", "AppServer", "create_app"]


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


class AppServer:
    """The app served by uvicorn on 127.0.0.1, in a background thread (``start``/``stop``, or
    a ``with`` block) or in the foreground (``run``).

    Attributes: ``port``, ``token``, ``url`` (with the token), ``app``.
    """

    def __init__(
        self, library_path: str | os.PathLike[str], *, port: int = 0, token: str | None = None
    ) -> None:
        import uvicorn

        self.app = create_app(library_path, token=token)
        self.token = self.app.state.token
        self.socket = bind(port)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/?token={self.token}"
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def start(self, timeout_s: float = 20.0) -> Self:
        """Serve in a background thread; returns when it accepts requests."""
        self._thread = threading.Thread(target=self.run, name="facetrack-app", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
