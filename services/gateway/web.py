"""The web UI: static files served by the gateway at `/` and `/ui/`, a client of the public API only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_DIR = Path(__file__).parent / "ui"
"""The UI's files: index.html, app.css and the ES modules under js/ (no build step, nothing from a CDN)."""

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
"""Content-Security-Policy of the UI's pages: only this origin's files run, and nothing frames them."""


class UiHeaders:
    """Adds the UI's security headers, and `no-cache` so a new release's modules are revalidated, to every
    response under `/` and `/ui/` (API answers are left as they are)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else None
        if path is None or not (path == "/" or path.startswith("/ui/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-cache"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_ui(app: FastAPI) -> None:
    """Serves the UI: `GET /` answers index.html (the UI routes by the URL's `#` part, so no other page path
    is needed) and `/ui/…` the files it loads."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(UI_DIR / "index.html", media_type="text/html")

    app.mount("/ui", StaticFiles(directory=UI_DIR), name="ui")
    app.add_middleware(UiHeaders)
