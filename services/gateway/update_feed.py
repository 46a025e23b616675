"""`/ws/update`: every Update a user may see, pushed as `UpdateListItem` JSON when it is created and when it changes.

Each gateway replica holds one subscription to `UpdateChanged` and fans it out to its sockets. A socket logs in
with its first message (`{"type": "Jwt", "params": {"jwt"}}` or `{"type": "ApiKeys", "params": {"key",
"secret"}}`) and is answered `LOGGED_IN`, or `[<status>]: <error>` and closed.

The same subscription hears `CredentialsChanged`: each socket of the user it names (every socket, for an event
about everyone, and after a NATS reconnect, when events may have been missed) checks its credentials again at
once, and a user disabled or deleted meanwhile, or whose API key was deleted, gets `{"type": "INVALID_USER",
"msg": ...}` and the socket closes. Without an event, the check is repeated before a push once it is
`CACHE_SECONDS` old. A user who is not an admin gets the Updates of resources it may Read, asked of the registry
for each Update, so a permission taken away stops the next push.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, Final, Literal

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from contracts.api.internal.auth import CallerInfo
from contracts.api.read.user import GetPermission
from contracts.entities.common import PermissionLevel, PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.update import UpdateListItem
from contracts.events.credentials import CredentialsChanged
from contracts.events.update import UpdateChanged
from services.common.bus import RemoteError, request_over
from services.common.caller import CACHE_SECONDS
from services.common.errors import ServiceError, Unavailable
from services.common.settings import Settings
from services.gateway.auth_routes import AuthApi
from services.gateway.forward import bus_headers

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
"""Updates a socket may fall behind by before it is closed (the client reconnects and lists again)."""
LOGIN_TIMEOUT_SECONDS = 10.0
"""How long a new socket may take to send its login message."""
RECHECK: Final = "recheck"
"""Queued for a socket whose user's credentials changed: check them again now."""
CLOSE_TRY_AGAIN = 1013
"""WebSocket close code "try again later", for a socket that fell too far behind."""


FeedItem = UpdateListItem | Literal["recheck"] | None
"""What a socket's queue holds: an Update to push, `RECHECK`, or None (the feed ended or the socket fell behind)."""


class UpdateFeed:
    """The gateway's subscriptions to UpdateChanged and CredentialsChanged, shared by its sockets."""

    def __init__(self) -> None:
        self.queues: dict[asyncio.Queue[FeedItem], str] = {}
        """Each socket's queue, with the id of its user."""
        self.generation = 0
        """Counts credential changes heard, so a socket logging in meanwhile knows to check again."""
        self._subscriptions: list[Subscription] = []

    async def start(self, nc: NatsClient) -> None:
        """Subscribe to UpdateChanged and CredentialsChanged (core NATS: every gateway replica hears each one)."""
        self._subscriptions = [
            await nc.subscribe(UpdateChanged.SUBJECT, cb=self._received),
            await nc.subscribe(CredentialsChanged.SUBJECT, cb=self._credentials_changed),
        ]
        await nc.flush()

    async def stop(self) -> None:
        """Stop listening and release every socket."""
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        for queue in list(self.queues):
            _offer(queue, None)

    async def _received(self, msg: Msg) -> None:
        try:
            event = UpdateChanged.model_validate_json(msg.data)
        except ValidationError:
            log.warning("ignored a malformed UpdateChanged event")
            return
        for queue in list(self.queues):
            self._feed(queue, event.update)

    async def _credentials_changed(self, msg: Msg) -> None:
        try:
            user_id = CredentialsChanged.model_validate_json(msg.data).user_id
        except ValidationError:
            user_id = ""  # cannot tell whom it concerns: check everyone
        self.recheck(user_id)

    def recheck(self, user_id: str = "") -> None:
        """Have the sockets of `user_id` ("": every socket) check their credentials again now."""
        self.generation += 1
        for queue, owner in list(self.queues.items()):
            if not user_id or owner == user_id:
                self._feed(queue, RECHECK)

    def _feed(self, queue: asyncio.Queue[FeedItem], item: FeedItem) -> None:
        if not _offer(queue, item):
            self.queues.pop(queue, None)
            _make_room_for_end(queue)

    def listen(self, user_id: str) -> asyncio.Queue[FeedItem]:
        """A queue that receives every Update from now on, for a socket of `user_id`."""
        queue: asyncio.Queue[FeedItem] = asyncio.Queue(QUEUE_SIZE)
        self.queues[queue] = user_id
        return queue

    def forget(self, queue: asyncio.Queue[FeedItem]) -> None:
        """Stop feeding a queue."""
        self.queues.pop(queue, None)


def _offer(queue: asyncio.Queue[FeedItem], item: FeedItem) -> bool:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        return False
    return True


def _make_room_for_end(queue: asyncio.Queue[FeedItem]) -> None:
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
        caller: CallerInfo,
    ) -> None:
        self.ws = ws
        self.nc = nc
        self.auth = auth
        self.settings = settings
        self.headers = headers
        self.address = address
        self._checked_at = time.monotonic()
        self._caller: CallerInfo | None = caller

    async def caller(self) -> CallerInfo:
        """The user behind the socket, checked again after a `recheck` or once the last check is too old."""
        now = time.monotonic()
        if self._caller is None or now - self._checked_at >= CACHE_SECONDS:
            # Not rate-limited: the socket's own credentials are checked again, not a client's guess.
            self._caller = await self.auth.caller(self.nc, self.headers, self.address, limited=False)
            self._checked_at = now
        return self._caller

    def recheck(self) -> None:
        """Check the credentials again at the next `caller`."""
        self._caller = None

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

    async def push(self, queue: asyncio.Queue[FeedItem]) -> None:
        """Send each visible Update until the feed ends or the user is no longer valid."""
        while True:
            item = await queue.get()
            if item is None:
                await self.ws.close(CLOSE_TRY_AGAIN, "fell behind the update stream; reconnect")
                return
            if item == RECHECK:
                self.recheck()
            try:
                caller = await self.caller()
            except ServiceError as err:
                await self.ws.send_text(json.dumps({"type": "INVALID_USER", "msg": err.message}))
                await self.ws.close()
                return
            if isinstance(item, UpdateListItem) and await self.may_see(caller, item):
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
        generation = feed.generation
        caller = await auth.caller(nc, headers, address)
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
    socket = UpdateSocket(ws, nc, auth, settings, headers, address, caller)
    queue = feed.listen(caller.user_id)
    if feed.generation != generation:  # credentials changed while this socket logged in
        feed.recheck(caller.user_id)
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
