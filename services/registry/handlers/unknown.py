"""Answers requests that nothing else will: unknown names (400) and requests whose service is not running (503).

It listens on every request subject in its own queue group. For a known name it stays quiet when a live service
instance answers that subject (the presence bucket says so), and answers 503 at once otherwise, so a caller is
not left waiting for a timeout. Staying quiet sends nothing, so the owner's answer is the only one.

A request it stayed quiet on is watched for a while: when every instance of its service stops beating meanwhile
(killed or frozen with the request in hand), it answers 503 then. A caller takes the first reply, so this late
503 is ignored when the owner answered first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import TYPE_CHECKING

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.api.base import find_request
from contracts.subjects import PREFIX, REQUEST_KINDS, STATUS_HEADER
from services.common.bus import encode_error
from services.common.errors import BadRequest, ServiceError, Unavailable
from services.common.presence import PresenceView
from services.common.tasks import cancel_and_wait

if TYPE_CHECKING:
    from services.registry.app import Registry

QUEUE = "varanus-unknown-requests"
"""Queue group of the catch-all (one replica answers each unknown request)."""
WATCH_SECONDS = 30.0
"""How long a request left to its owner is watched for the owner going stale (longer than callers wait)."""
WATCH_LIMIT = 20_000
"""The most requests watched at once (the oldest are forgotten first)."""
CHECK_SECONDS = 0.5
"""How often watched requests are checked against presence."""
LAG_SECONDS = 1.0
"""A check this late means this process itself was held up (a blocked loop, a paused VM): the beats it has not
read yet are not counted as missed."""
GRACE_SECONDS = 2.0
"""After such a lag, how long staleness is not trusted (time to read the beats that arrived meanwhile)."""


def not_running(name: str) -> Unavailable:
    """The 503 of a request whose service is not running."""
    return Unavailable(f"no service answers {name} right now", ["the service that owns it is not running"])


def unanswered_request_error(subject: str, view: PresenceView) -> ServiceError | None:
    """The error for a request nobody will answer (unknown, or its service not running), else None."""
    unknown = unknown_request_error(subject)
    if unknown is not None:
        return unknown
    kind, name = subject.split(".")[1:3] if subject.count(".") == 2 else ("", "")
    if kind and not view.answers(subject):
        return not_running(name)
    return None


def unknown_request_error(subject: str) -> BadRequest | None:
    """The error for a request subject whose request name is not defined, or None when it is known."""
    parts = subject.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or parts[1] not in REQUEST_KINDS:
        return None
    kind, name = parts[1], parts[2]
    if find_request(kind, name) is not None:
        return None
    return BadRequest(
        f"unknown {kind} request type {name!r}", [f"no request named {name!r} exists in the {kind} API"]
    )


class Unanswered:
    """The catch-all: answers unknown requests and requests of services that are not running."""

    def __init__(self, nc: NatsClient, view: PresenceView) -> None:
        self.nc = nc
        self.view = view
        self.watched: dict[str, deque[tuple[float, str]]] = {}
        """(received at, reply inbox) of the requests left to a live owner, oldest first, by subject: a check
        looks at each subject's service once, however many of its requests are watched."""
        self.watching = 0
        """How many requests are watched (at most `WATCH_LIMIT`)."""
        self._task: asyncio.Task[None] | None = None
        self._tick = time.monotonic()
        self._grace_until = 0.0

    def lagging(self) -> bool:
        """Whether this process was held up lately, so a stale-looking entry may only be unread."""
        now = time.monotonic()
        return now - self._tick > LAG_SECONDS or now < self._grace_until

    def _stale(self, subject: str) -> bool:
        return self.view.went_stale(subject) and not self.lagging()

    async def _reply(self, reply: str, error: ServiceError) -> None:
        await self.nc.publish(reply, encode_error(error), headers={STATUS_HEADER: str(error.status)})

    async def on_message(self, msg: Msg) -> None:
        """Answer at once when nobody will, else watch the request."""
        if not msg.reply:
            return
        error = unanswered_request_error(msg.subject, self.view)
        if error is not None and self.lagging() and self.view.went_stale(msg.subject):
            error = None  # the owner may well be alive: its beats are just not read yet
        if error is not None:
            await self._reply(msg.reply, error)
        elif unknown_request_error(msg.subject) is None and msg.subject.count(".") == 2:
            self._watch(msg.subject, msg.reply)

    def _watch(self, subject: str, reply: str) -> None:
        self.watched.setdefault(subject, deque()).append((time.monotonic(), reply))
        self.watching += 1
        if self.watching > WATCH_LIMIT:
            # The oldest request of the most watched subject goes first.
            busiest = max(self.watched.values(), key=len)
            busiest.popleft()
            self.watching -= 1

    async def check(self) -> None:
        """Answer 503 to watched requests whose service stopped beating; forget the old ones."""
        horizon = time.monotonic() - WATCH_SECONDS
        for subject, requests in list(self.watched.items()):
            while requests and requests[0][0] < horizon:
                requests.popleft()
                self.watching -= 1
            if requests and self._stale(subject):
                error = not_running(subject.split(".")[2])
                while requests:
                    _, reply = requests.popleft()
                    self.watching -= 1
                    with contextlib.suppress(Exception):
                        await self._reply(reply, error)
            if not requests:
                del self.watched[subject]

    async def _checking(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            now = time.monotonic()
            if now - self._tick > CHECK_SECONDS + LAG_SECONDS:
                self._grace_until = now + GRACE_SECONDS
            self._tick = now
            await self.check()

    async def start(self) -> None:
        """Start answering unanswerable requests on `komodo.<kind>.*`."""
        for kind in REQUEST_KINDS:
            await self.nc.subscribe(f"{PREFIX}.{kind}.*", queue=QUEUE, cb=self.on_message)
        self._task = asyncio.create_task(self._checking())

    async def stop(self) -> None:
        """Stop watching requests."""
        if self._task is not None:
            await cancel_and_wait(self._task)


async def subscribe(registry: Registry, view: PresenceView) -> Unanswered:
    """Start answering unanswerable requests on `komodo.<kind>.*`."""
    catch_all = Unanswered(registry.bus.nc, view)
    await catch_all.start()
    return catch_all
