"""`/ws/update`: every Update a user may see, pushed as `UpdateListItem` JSON when it is created and when it changes.

Each gateway replica holds one subscription to `UpdateChanged` and fans it out to its sockets. A socket logs in
with its first message (`{"type": "Jwt", "params": {"jwt"}}` or `{"type": "ApiKeys", "params": {"key",
"secret"}}`) and is answered `LOGGED_IN`, or `[<status>]: <error>` and closed. Before each push the user is
checked again (at most once a second): a user disabled or deleted meanwhile gets `{"type": "INVALID_USER",
"msg": ...}` and the socket closes. A user who is not an admin gets the Updates of resources it may Read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from contracts.api.internal.auth import CallerInfo
from contracts.api.read.user import GetPermission
from contracts.entities.common import PermissionLevel, PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.update import UpdateListItem
from contracts.events.update import UpdateChanged
from services.common.bus import RemoteError, request_over
from services.common.errors import ServiceError, Unavailable
from services.common.settings import Settings
from services.gateway.auth_routes import AuthApi
from services.gateway.forward import bus_headers

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
"""Updates a socket may fall behind by before it is closed (the client reconnects and lists again)."""
LOGIN_TIMEOUT_SECONDS = 10.0
"""How long a new socket may take to send its login message."""
REVALIDATE_SECONDS = 1.0
"""How often, at most, the user behind a socket is checked again before a push."""
CLOSE_TRY_AGAIN = 1013
"""WebSocket close code "try again later", for a socket that fell too far behind."""


class UpdateFeed:
    """The gateway's one subscription to UpdateChanged, shared by its sockets."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[UpdateListItem | None]] = set()
        self._subscription: Subscription | None = None

    async def start(self, nc: NatsClient) -> None:
        """Subscribe to UpdateChanged (core NATS: a live feed needs no durable consumer)."""
        self._subscription = await nc.subscribe(UpdateChanged.SUBJECT, cb=self._received)

    async def stop(self) -> None:
        """Stop listening and release every socket."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
        for queue in list(self.queues):
            _offer(queue, None)

    async def _received(self, msg: Msg) -> None:
        try:
            event = UpdateChanged.model_validate_json(msg.data)
        except ValidationError:
            log.warning("ignored a malformed UpdateChanged event")
            return
        for queue in list(self.queues):
            if not _offer(queue, event.update):
                self.queues.discard(queue)
                _make_room_for_end(queue)

    def listen(self) -> asyncio.Queue[UpdateListItem | None]:
        """A queue that receives every Update from now on (None: the feed ended or the socket fell behind)."""
        queue: asyncio.Queue[UpdateListItem | None] = asyncio.Queue(QUEUE_SIZE)
        self.queues.add(queue)
        return queue

    def forget(self, queue: asyncio.Queue[UpdateListItem | None]) -> None:
        """Stop feeding a queue."""
        self.queues.discard(queue)


def _offer(queue: asyncio.Queue[UpdateListItem | None], item: UpdateListItem | None) -> bool:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        return False
    return True


def _make_room_for_end(queue: asyncio.Queue[UpdateListItem | None]) -> None:
    """Replace the oldest item with the end marker, so a reader that fell behind learns it."""
    with contextlib.suppress(asyncio.QueueEmpty):
        queue.get_nowait()
    _offer(queue, None)


def login_headers(message: str) -> dict[str, str]:
    """The credential headers a login message carries; ValueError saying what is wrong with it."""
    try:
        login = json.loads(message)
    except json.JSONDecodeError as err:
        raise ValueError(f"the login message is not JSON: {err.msg}") from None
    params = login.get("params") if isinstance(login, dict) else None
    if not isinstance(params, dict):
        raise ValueError('the login message must be {"type": "Jwt" | "ApiKeys", "params": {...}}')
    if login.get("type") == "Jwt" and isinstance(params.get("jwt"), str):
        return {"authorization": params["jwt"]}
    if (
        login.get("type") == "ApiKeys"
        and isinstance(params.get("key"), str)
        and isinstance(params.get("secret"), str)
    ):
        return {"x-api-key": params["key"], "x-api-secret": params["secret"]}
    raise ValueError(
        'the login message must be {"type": "Jwt", "params": {"jwt": ...}} or '
        '{"type": "ApiKeys", "params": {"key": ..., "secret": ...}}'
    )


class UpdateSocket:
    """One logged-in `/ws/update` connection."""

    def __init__(
        self,
        ws: WebSocket,
        nc: NatsClient,
        auth: AuthApi,
        settings: Settings,
        headers: dict[str, str],
        address: str,
    ) -> None:
        self.ws = ws
        self.nc = nc
        self.auth = auth
        self.settings = settings
        self.headers = headers
        self.address = address
        self._checked_at = 0.0
        self._caller: CallerInfo | None = None

    async def caller(self) -> CallerInfo:
        """The user behind the socket, checked again when the last check is over a second old."""
        now = time.monotonic()
        if self._caller is None or now - self._checked_at >= REVALIDATE_SECONDS:
            self._caller = await self.auth.caller(self.nc, self.headers, self.address)
            self._checked_at = now
        return self._caller

    async def may_see(self, caller: CallerInfo, item: UpdateListItem) -> bool:
        """Whether the user may Read the Update's target (System Updates: admins only)."""
        if caller.admin:
            return True
        if item.target.type == ResourceTargetVariant.System:
            return False
        headers = bus_headers(self.headers, self.address)
        try:
            granted: PermissionLevelAndSpecifics = await request_over(
                self.nc, GetPermission(target=item.target), headers, self.settings.request_timeout
            )
        except (RemoteError, Unavailable):
            # The resource may be gone already (a Delete's Update); an unanswered check shows nothing.
            return False
        return granted.level != PermissionLevel.None_

    async def push(self, queue: asyncio.Queue[UpdateListItem | None]) -> None:
        """Send each visible Update until the feed ends or the user is no longer valid."""
        while True:
            item = await queue.get()
            if item is None:
                await self.ws.close(CLOSE_TRY_AGAIN, "fell behind the update stream; reconnect")
                return
            try:
                caller = await self.caller()
            except ServiceError as err:
                await self.ws.send_text(json.dumps({"type": "INVALID_USER", "msg": err.message}))
                await self.ws.close()
                return
            if await self.may_see(caller, item):
                await self.ws.send_text(item.model_dump_json(by_alias=True))


async def serve_update_socket(
    ws: WebSocket, nc: NatsClient, auth: AuthApi, feed: UpdateFeed, settings: Settings
) -> None:
    """Run one `/ws/update` connection from login to close."""
    address = ws.client.host if ws.client else "unknown"
    await ws.accept()
    try:
        message = await asyncio.wait_for(ws.receive(), LOGIN_TIMEOUT_SECONDS)
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is None:
            raise ValueError("the login message must be a text frame")
        headers = login_headers(message["text"])
        await auth.caller(nc, headers, address)
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await ws.close()
        return
    except ValueError as err:
        await ws.send_text(f"[400]: {err}")
        await ws.close()
        return
    except ServiceError as err:
        await ws.send_text(f"[{err.status}]: {err.message}")
        await ws.close()
        return
    await ws.send_text("LOGGED_IN")
    socket = UpdateSocket(ws, nc, auth, settings, headers, address)
    queue = feed.listen()
    pushing = asyncio.create_task(socket.push(queue))
    listening = asyncio.create_task(_until_closed(ws))
    try:
        await asyncio.wait({pushing, listening}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        feed.forget(queue)
        for task in (pushing, listening):
            task.cancel()
        for task in (pushing, listening):
            try:
                await task
            except (asyncio.CancelledError, WebSocketDisconnect):
                pass
            except Exception as err:  # a send to a socket that just went away; nothing is lost but the socket
                log.debug("update socket of %s ended: %s", address, err)


async def _until_closed(ws: WebSocket) -> Any:
    """Read (and ignore) what the client sends, until it goes away."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return message
