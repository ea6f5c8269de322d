"""The app's ASGI middleware: security headers, the size limit of a request, the session cookie.

Each is pure ASGI (nothing buffered) and reads its settings when the app builds its middleware
stack, at start-up, not at import: importing ``web.app`` writes nothing and needs no data folder.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cases.settings import get_settings
from web.i18n import gettext_, language_for
from web.rendering import error_response

__all__ = [
    "SESSION_COOKIE",
    "SESSION_MAX_AGE_S",
    "RequestSizeLimit",
    "SecurityHeaders",
    "SessionCookies",
]

SESSION_COOKIE = "permits_session"
SESSION_MAX_AGE_S = 12 * 3600  # a working day; then log in again
_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Pages, documents, letters and API answers carry personal data: no browser or proxy keeps them.
_NO_STORE = (b"cache-control", b"no-store")
_CACHEABLE_PREFIX = "/static/"


class SecurityHeaders:
    """Adds the security headers to every HTTP response; ``no-store`` to all but static files,
    and HSTS when the app is served over HTTPS (``PERMITS_HTTPS``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [*_HEADERS, *([_HSTS] if get_settings().https else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not str(scope.get("path", "")).startswith(_CACHEABLE_PREFIX)
        extra = [*self.headers, _NO_STORE] if private else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if private:  # whatever a response said about caching, personal data is not kept
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionCookies(SessionMiddleware):
    """Starlette's signed session cookie with this deployment's secret; ``Secure`` over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        settings = get_settings()
        super().__init__(
            app,
            secret_key=settings.session_secret(),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE_S,
            same_site="lax",
            https_only=settings.https,
        )


class _TooLarge(Exception):
    """Raised into the app from ``receive`` once a body passes the limit."""


class _Metered:
    """A request's ``receive`` that counts the body, and a ``send`` that is muted once it passed
    the limit (the app's own answer to a body it never fully got is not sent)."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit, self._receive, self._send = limit, receive, send
        self.received, self.refused, self.started = 0, False, False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                raise _TooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


class RequestSizeLimit:
    """Refuses a request body over ``PERMITS_MAX_REQUEST_BYTES`` with 413 before it is read.

    A declared ``Content-Length`` over the limit is answered at once; a body sent without one
    (chunked) is counted as it streams and cut off when it passes the limit, whatever the app
    behind was doing with it (its own answer is dropped; the 413 goes out instead).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.limit = get_settings().max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        metered = _Metered(self.limit, receive, send)
        try:
            await self.app(scope, metered.receive, metered.send)
        except Exception:
            if not metered.refused or metered.started:
                raise
        if metered.refused and not metered.started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        language_for(request)
        settings = get_settings()
        message = gettext_(
            "This upload is larger than %(limit)s, the most the office accepts at once. Send "
            "fewer files at a time, or smaller ones (each file at most %(file_limit)s), for "
            "example scanned at a lower resolution."
        ) % {"limit": _mib(self.limit), "file_limit": _mib(settings.max_upload_bytes)}
        response = error_response(request, message, 413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
