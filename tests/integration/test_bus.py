"""The bus layer on a real nats-server: queue groups, concurrent handlers, errors across services, graceful stop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from contracts.api.base import ReadRequest
from contracts.base import KomodoModel
from services.common.bus import Bus, RemoteError, RequestContext
from services.common.caller import trust_all
from services.common.errors import NotFound, Unavailable
from services.common.settings import Settings


class Pong(KomodoModel):
    """Test answer."""

    value: str
    """What was sent."""
    replica: str = ""
    """Which replica answered."""


class PingForBusTest(ReadRequest):
    """Test request."""

    RESPONSE: ClassVar[Any] = Pong

    value: str
    """Anything."""
    sleep: float = 0
    """Seconds the handler waits."""


class NobodyAnswersThis(ReadRequest):
    """A request no service handles."""


def make_bus(nats_url: str, tmp_path: Path, replica: str) -> Bus:
    bus = Bus("bustest", Settings(nats_url=nats_url, data_dir=tmp_path, request_timeout=2), trust_all)

    async def ping(req: PingForBusTest, ctx: RequestContext) -> Pong:
        if req.value == "missing":
            raise NotFound("no such thing 'missing'")
        await asyncio.sleep(req.sleep)
        return Pong(value=req.value, replica=replica)

    bus.handle(PingForBusTest, ping)
    return bus


async def test_replicas_share_requests_and_slow_ones_do_not_block(nats_url: str, tmp_path: Path) -> None:
    first, second = make_bus(nats_url, tmp_path, "a"), make_bus(nats_url, tmp_path, "b")
    caller = Bus("caller", Settings(nats_url=nats_url, data_dir=tmp_path, request_timeout=5), trust_all)
    for bus in (first, second, caller):
        await bus.start()
    try:
        answers = await asyncio.gather(*(caller.request(PingForBusTest(value=str(i))) for i in range(40)))
        assert sorted(int(a.value) for a in answers) == list(range(40))
        assert {a.replica for a in answers} == {"a", "b"}  # each request answered once, by one replica

        slow = asyncio.create_task(caller.request(PingForBusTest(value="slow", sleep=1.5)))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        quick = await asyncio.gather(*(caller.request(PingForBusTest(value="q")) for _ in range(10)))
        assert time.monotonic() - started < 1.0 and all(a.value == "q" for a in quick)
        assert (await slow).value == "slow"

        with pytest.raises(RemoteError) as missing:
            await caller.request(PingForBusTest(value="missing"))
        assert missing.value.status == 404 and missing.value.message == "no such thing 'missing'"
        with pytest.raises(Unavailable, match="no service answers NobodyAnswersThis"):
            await caller.request(NobodyAnswersThis())
    finally:
        for bus in (first, second, caller):
            await bus.stop()


async def test_stop_lets_requests_in_flight_finish(nats_url: str, tmp_path: Path) -> None:
    server = make_bus(nats_url, tmp_path, "only")
    caller = Bus("caller2", Settings(nats_url=nats_url, data_dir=tmp_path, request_timeout=5), trust_all)
    await server.start()
    await caller.start()
    try:
        pending = asyncio.create_task(caller.request(PingForBusTest(value="late", sleep=0.5)))
        await asyncio.sleep(0.1)
        await server.stop()
        assert (await pending).value == "late"
    finally:
        await caller.stop()
