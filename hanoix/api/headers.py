"""Security headers on every response of the node: pages, API, static files and errors.

* ``Content-Security-Policy``: everything from the node itself and nothing else (no CDN, no
  inline script, no plug-in), and ``frame-ancestors 'none'``: no other site may frame a page
  of the node to trick a clerk into clicking (clickjacking).
* ``X-Frame-Options: DENY``: the same for browsers that predate ``frame-ancestors``.
* ``X-Content-Type-Options: nosniff``: a response is taken as the type it says it is (an
  uploaded text is never run as a script).
* ``Referrer-Policy: no-referrer``: a link followed from a page does not tell the other
  site which request or case the clerk was looking at.

The headers are added outside every other layer, Starlette's error middleware included, so
that even the plain 500 it writes carries them. A header a route set itself is left alone.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        # Swagger UI sets style attributes from its script; no inline <style> or <script>.
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (pure ASGI: bodies stream through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: ASGIApp) -> None:
    """Wrap ``app``'s whole middleware stack (built on its first request) in the headers.

    ``add_middleware`` would place them inside Starlette's ``ServerErrorMiddleware``, whose
    500 answer would then go out without them.
    """
    build = app.build_middleware_stack  # type: ignore[attr-defined]

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[attr-defined]
