"""Local stand-ins for alert endpoints: an HTTP receiver (Slack, Discord, ntfy, Pushover, Custom webhooks, apprise
`json://`) and an SMTP sink (apprise `mailto://`), both on 127.0.0.1, recording what they get."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from services.common.embedded import free_port


@dataclass
class Received:
    """One request the HTTP receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    """`time.monotonic()` when it arrived."""

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every request; a path may be told to answer a status, or to hang."""

    port: int
    received: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    """Path -> the status it answers (200 otherwise)."""
    hangs: dict[str, float] = field(default_factory=dict)
    """Path -> seconds it waits before answering."""
    echo: bool = False
    """Error answers repeat the path and query they were called with (as some services do)."""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        """The requests that reached `path` (the answer may have been an error)."""
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.path, dict(request.headers), body, time.monotonic()))
        wait = self.hangs.get(request.path)
        if wait:
            await asyncio.sleep(wait)
        status = self.statuses.get(request.path, 200)
        said = f"receiver says no to {request.path_qs}" if self.echo else "receiver says no"
        return web.Response(status=status, text="ok" if status < 300 else said)


@asynccontextmanager
async def http_receiver() -> AsyncIterator[HttpReceiver]:
    """An HTTP receiver on a free loopback port for the duration of the block."""
    receiver = HttpReceiver(free_port())
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", receiver.port)
    await site.start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


@dataclass
class SmtpSink:
    """Mails an SMTP server on loopback accepted."""

    port: int
    mails: list[Message] = field(default_factory=list)

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:  # aiosmtpd calls it by this name
        self.mails.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@asynccontextmanager
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """An SMTP server (aiosmtpd, in its own thread) on a free loopback port for the duration of the block."""
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    await asyncio.to_thread(controller.start)
    try:
        yield sink
    finally:
        await asyncio.to_thread(controller.stop)
