"""The gateway: Komodo's HTTP API over the bus. Stateless, so several replicas can run behind a balancer.

`POST /read`, `/write`, `/execute` take `{"type": <Request>, "params": {...}}`; `POST /<api>/<Request>` takes the
params as the body. Each call becomes the bus request a bus client would send, with the caller's credentials
forwarded as headers; the answer and its status come back as the owning service gave them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import nats
from fastapi import FastAPI, Request, WebSocket
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from nats.aio.client import Client as NatsClient
from pydantic import TypeAdapter
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from contracts.catalog import load_all
from services.common.action_client import CLIENT_PATH, client_module
from services.common.auth import load_jwt_signer
from services.common.errors import ServiceError
from services.common.rate_limit import FailedAttempts
from services.common.settings import Settings
from services.common.version import VERSION
from services.gateway.asyncapi import asyncapi_document
from services.gateway.auth_routes import AuthApi
from services.gateway.forward import (
    PUBLIC_KINDS,
    Answer,
    bus_headers,
    error,
    forward,
    parse_object,
    split_envelope,
    too_large,
)
from services.gateway.kept_answers import KeptAnswers, answer_key, token_expiry
from services.gateway.openapi import komodo_openapi
from services.gateway.update_feed import UpdateFeed, serve_update_socket
from services.gateway.web import mount_ui
from services.gateway.webhooks import webhook_router

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Largest request body accepted (413 beyond), unless the connected NATS takes less (see `BodyLimit`)."""
BUS_HEADROOM = 64 * 1024
"""Bytes of NATS's `max_payload` kept for the headers of the bus request (credentials, client address)."""


_ANY = TypeAdapter(Any)


def _model(result: Any) -> Response:
    return Response(content=_ANY.dump_json(result, by_alias=True), media_type="application/json")


def _address(request: Request) -> str:
    """The client's address (for rate limits and the services' logs): the peer's, or the one a proxy named
    in `KOMODO_TRUSTED_PROXIES` forwarded."""
    return request.client.host if request.client else "unknown"


def _headers(request: Request) -> dict[str, str]:
    """The request headers with lower-case names."""
    return {k.lower(): v for k, v in request.headers.items()}


def _json(answer: Answer) -> Response:
    return Response(content=answer.body, status_code=answer.status, media_type="application/json")


class BodyLimit:
    """Refuse a body whose Content-Length is over the limit with 413, before the app sees it (a plain ASGI
    middleware: Starlette's BaseHTTPMiddleware costs about a millisecond per request).

    The limit is the smaller of `MAX_BODY_BYTES` and the connected NATS's `max_payload` less `BUS_HEADROOM`,
    since each body goes on as one bus message. A chunked body is measured as it is read (`read_body`). uvicorn
    reads and drops what the app left unread, so the client reads the 413 and keeps its connection.
    """

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and (not length.isdigit() or int(length) > self.limit()):
                await _json(too_large(self.limit()))(scope, receive, send)
                return
        await self.app(scope, receive, send)


Ask = Callable[[str, str, str, dict[str, str], bytes], Awaitable[Answer]]
"""Forwards one request: (kind, name, client address, lower-cased headers, params JSON) to its answer."""


def forwarded_route(method: str, path: str) -> tuple[str, str] | None:
    """(kind, request name) of a `POST /<kind>` (name "": read from the envelope) or `POST /<kind>/<Request>`
    path; None for any other request."""
    if method != "POST":
        return None
    kind, _, name = path[1:].partition("/")
    if kind not in PUBLIC_KINDS or "/" in name or (not name and path.endswith("/")):
        return None
    return kind, name


class Forwarding:
    """`POST /read`, `/write`, `/execute` and `/<kind>/<Request>` answered as a plain ASGI app, in front of
    FastAPI.

    These are every client's hot path, and they need nothing of FastAPI's routing, dependency solving and
    exception middlewares, which cost more than the forwarding itself (docs/performance.md). The answers are
    the same Responses the FastAPI routes gave (those routes stay registered, for any other method). Errors
    become the envelope the app's exception handlers give.
    """

    def __init__(self, app: ASGIApp, ask: Ask, limit: Callable[[], int]) -> None:
        self.app = app
        self.ask = ask
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = forwarded_route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        try:
            answer = await self._answer(*target, scope, receive)
        except ServiceError as exc:
            answer = error(exc.status, exc.message, exc.trace)
        except _Disconnected:
            return
        except Exception:
            log.exception("gateway failed on %s", scope["path"])
            answer = error(500, "internal error in the gateway")
        await _json(answer)(scope, receive, send)

    async def _answer(self, kind: str, name: str, scope: Scope, receive: Receive) -> Answer:
        body = await _receive_body(receive, self.limit())
        if isinstance(body, Answer):
            return body
        if name:
            params = body or b"{}"
        else:
            parsed = split_envelope(body)
            if isinstance(parsed, Answer):
                return parsed
            name, params = parsed
        client = scope.get("client")
        address = client[0] if client else "unknown"
        given = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        return await self.ask(kind, name, address, given, params)


class _Disconnected(Exception):
    """The client went away before its body was read."""


async def _receive_body(receive: Receive, limit: int) -> bytes | Answer:
    """The request body from ASGI messages, or a 413 naming `limit` as soon as it passes it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(request: Request, limit: int) -> bytes | Answer:
    """The request body, or a 413 naming `limit` as soon as it passes it."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, kept: KeptAnswers | None = None) -> ASGIApp:
    """The gateway application, connected to the bus while it runs: the API's forwarded requests answered in
    front (`Forwarding`), reads the registry says may be kept answered from `kept` while valid, everything else
    by FastAPI."""
    load_all()
    kept = kept if kept is not None else KeptAnswers()
    state: dict[str, NatsClient] = {}
    feed = UpdateFeed()
    documents: dict[str, bytes] = {}
    limiter = FailedAttempts()

    def body_limit() -> int:
        nc = state.get("nc")
        return MAX_BODY_BYTES if nc is None else min(MAX_BODY_BYTES, nc.max_payload - BUS_HEADROOM)

    async def reconnected() -> None:
        # CredentialsChanged events may have been missed while the connection was down.
        feed.recheck()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["nc"] = await nats.connect(
            settings.nats_connect_urls(),
            name="varanus-gateway",
            max_reconnect_attempts=-1,
            reconnected_cb=reconnected,
        )
        await feed.start(state["nc"])
        if settings.gateway_keep_answers:
            await kept.watch(state["nc"])
        try:
            yield
        finally:
            await kept.stop()
            await feed.stop()
            await state["nc"].drain()

    app = FastAPI(
        title=f"{settings.title} API",
        version=VERSION,
        description="Komodo's API, served by Varanus. Every request is also a bus request on `komodo.<api>.<Request>`.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = lambda: komodo_openapi(app)  # type: ignore[method-assign]
    building: list[asyncio.Future[bytes]] = []

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> Response:
        # Building the document takes seconds of CPU (a schema for every request): done once, in a thread, so
        # the gateway keeps answering meanwhile, and shared by the requests that arrive during the build.
        if "openapi" not in documents:
            if not building:
                building.append(
                    asyncio.ensure_future(asyncio.to_thread(lambda: json.dumps(app.openapi()).encode()))
                )
            try:
                documents["openapi"] = await asyncio.shield(building[0])
            except Exception:
                building.clear()
                raise
        return Response(content=documents["openapi"], media_type="application/json")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - Swagger UI")

    async def call(kind: str, name: str, request: Request, params: bytes) -> Response:
        return _json(await ask(kind, name, _address(request), _headers(request), params))

    async def ask(kind: str, name: str, address: str, given: dict[str, str], params: bytes) -> Answer:
        # Only requests that present credentials count: a request without any is refused without a lookup.
        presented = "authorization" in given or "x-api-key" in given
        if presented:
            limiter.check(address)

        async def fetch() -> Answer:
            answer = await forward(
                state["nc"], kind, name, params, bus_headers(given, address), settings.request_timeout
            )
            if presented and answer.status == 401:
                limiter.failed(address)
            return answer

        key = answer_key(kind, name, params, given) if kind == "read" else None
        if key is None:
            return await fetch()
        return await kept.answer(key, fetch, lambda: token_expiry(given))

    @app.get("/asyncapi.json", summary="The AsyncAPI 3.0 document of the bus subjects")
    async def asyncapi() -> Response:
        if "asyncapi" not in documents:
            documents["asyncapi"] = json.dumps(
                asyncapi_document(settings.title, VERSION, settings.nats_url)
            ).encode()
        return Response(content=documents["asyncapi"], media_type="application/json")

    @app.get(CLIENT_PATH, summary="The TypeScript `komodo` client module of action scripts")
    async def action_client() -> Response:
        return Response(content=client_module(), media_type="application/typescript")

    @app.get("/version", response_class=PlainTextResponse, summary="The version of the API")
    async def version() -> str:
        return VERSION

    async def envelope_route(kind: str, request: Request) -> Response:
        body = await read_body(request, body_limit())
        if isinstance(body, Answer):
            return _json(body)
        parsed = split_envelope(body)
        if isinstance(parsed, Answer):
            return _json(parsed)
        name, params = parsed
        return await call(kind, name, request, params)

    async def typed_route(kind: str, name: str, request: Request) -> Response:
        body = await read_body(request, body_limit())
        if isinstance(body, Answer):
            return _json(body)
        return await call(kind, name, request, body or b"{}")

    for kind in ("read", "write", "execute"):

        async def by_envelope(request: Request, kind: str = kind) -> Response:
            return await envelope_route(kind, request)

        async def by_path(name: str, request: Request, kind: str = kind) -> Response:
            return await typed_route(kind, name, request)

        app.add_api_route(f"/{kind}", by_envelope, methods=["POST"], include_in_schema=False)
        app.add_api_route(f"/{kind}/{{name}}", by_path, methods=["POST"], include_in_schema=False)

    signer = load_jwt_signer(settings)
    auth = AuthApi(settings, signer, limiter)
    app.include_router(
        webhook_router(settings, signer, limiter, lambda: state["nc"], lambda r: read_body(r, body_limit()))
    )

    async def json_object(request: Request) -> dict[str, Any] | Answer:
        body = await read_body(request, body_limit())
        return body if isinstance(body, Answer) else parse_object(body)

    @app.post("/auth/login/{name}", include_in_schema=False)
    async def auth_login(name: str, request: Request) -> Response:
        body = await json_object(request)
        if isinstance(body, Answer):
            return _json(body)
        return _model(await auth.login(state["nc"], name, body, _address(request)))

    @app.post("/auth/manage/{name}", include_in_schema=False)
    async def auth_manage(name: str, request: Request) -> Response:
        body = await json_object(request)
        if isinstance(body, Answer):
            return _json(body)
        caller = await auth.caller(state["nc"], _headers(request), _address(request))
        return _model(await auth.manage(state["nc"], name, body, caller))

    @app.get("/user", summary="The calling user (without password hash or second-factor secrets)")
    async def user(request: Request) -> Response:
        caller = await auth.caller(state["nc"], _headers(request), _address(request))
        return _model(await auth.user(state["nc"], caller))

    @app.websocket("/ws/update")
    async def ws_update(websocket: WebSocket) -> None:
        await serve_update_socket(websocket, state["nc"], auth, feed, settings)

    mount_ui(app)

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        return _json(error(exc.status, exc.message, exc.trace))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("gateway failed on %s", request.url.path)
        return _json(error(500, "internal error in the gateway"))

    # In front of FastAPI rather than among its middlewares: the API's hot path then passes through none of
    # FastAPI's and Starlette's own layers (error, telemetry, body-limit middlewares), about 0.1 ms a request.
    front: ASGIApp = BodyLimit(Forwarding(app, ask=ask, limit=body_limit), limit=body_limit)
    if settings.trusted_proxies:
        # Outermost, so every part of the app sees the client's address, not the proxy's.
        # uvicorn types ASGI apps with its own (narrower) types; the app is the same.
        proxied: Any = ProxyHeadersMiddleware(cast(Any, front), trusted_hosts=settings.trusted_proxy_list())
        front = proxied
    return front
