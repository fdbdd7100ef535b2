"""What keeps the local app private: a secret token, a host check, CSRF checks and strict
headers.

- **Token.** The app is started with a random token that is part of the URL it prints. A
  request must carry it, as ``?token=`` (the first visit: it is then kept in a cookie and the
  browser is sent to the same page without it) or in that cookie (HttpOnly, SameSite=Strict,
  named after the port). Anything else gets 403: another user of the computer, or a web page
  guessing the port, cannot read the library.
- **Host.** The Host header must name the loopback address the app listens on (127.0.0.1 or
  localhost): a page on another site that re-binds its own name to 127.0.0.1 (DNS rebinding)
  is refused.
- **CSRF.** Every request that changes something (any method but GET and HEAD) must carry the
  page's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) and, when the browser says
  where it comes from, an ``Origin`` equal to the app's own.
- **Headers.** A Content-Security-Policy that allows nothing but the app itself (no inline
  script, no other origin), no referrer, no framing, no caching of pages.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make form posts say Origin: null
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
SAFE_METHODS = ("GET", "HEAD")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def new_token() -> str:
    """A random URL-safe secret (192 bits)."""
    return secrets.token_urlsafe(24)


def cookie_name(port: int | None) -> str:
    """The token cookie's name: cookies are not kept apart by port, two apps are."""
    return f"facetrack_token_{port or 0}"


class CsrfError(Exception):
    """A request that changes something came without the page's CSRF token or from another
    origin."""


class Guard:
    """ASGI middleware: the token and host checks, and the security headers on every answer.

    ``allowed_hosts`` are host names (without port) the Host header may give.
    """

    def __init__(self, app, *, token: str, allowed_hosts=LOOPBACK_HOSTS) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = tuple(allowed_hosts)
        self.state: Any = None  # the app's shared state (tracker.app.server.AppState)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        port = request.url.port
        if host not in self.allowed_hosts:
            await self._send(
                PlainTextResponse("forbidden: unknown host", status_code=403), scope, receive, send
            )
            return
        given = request.query_params.get("token")
        cookie = SimpleCookie(request.headers.get("cookie", "")).get(cookie_name(port))
        if given is not None and secrets.compare_digest(given, self.token):
            if request.method in SAFE_METHODS:
                # keep the token in a cookie and take it out of the address bar
                query = urlencode(
                    [
                        (k, v)
                        for k, v in parse_qsl(scope.get("query_string", b"").decode())
                        if k != "token"
                    ]
                )
                target = request.url.path + (f"?{query}" if query else "")
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(
                    cookie_name(port), self.token, httponly=True, samesite="strict", path="/"
                )
                await self._send(response, scope, receive, send)
                return
        elif cookie is None or not secrets.compare_digest(cookie.value, self.token):
            await self._send(
                PlainTextResponse(
                    "forbidden: open the address that `facetrack app` printed (it holds the "
                    "app's secret token)",
                    status_code=403,
                ),
                scope,
                receive,
                send,
            )
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _send(self, response, scope, receive, send) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        await response(scope, receive, send)


async def check_csrf(request: Request, csrf_token: str) -> None:
    """Raise CsrfError unless a changing request carries ``csrf_token`` (form field or header)
    and, when it names one, comes from the app's own origin."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin is not None and origin != own:
        raise CsrfError(f"request from another origin ({origin})")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        form = await request.form(max_files=200, max_fields=50)
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not secrets.compare_digest(given, csrf_token):
        raise CsrfError("missing or wrong CSRF token")
