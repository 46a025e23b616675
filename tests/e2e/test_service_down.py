"""A request to a service that is down answers 503 at once (stopped) or within seconds (frozen or killed), over the
bus and over HTTP, instead of a timeout; the same request succeeds while the service runs."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable
from pathlib import Path

import httpx

from services.registry.app import Registry
from tests.e2e.conftest import BusClient
from tests.e2e.processes import ServiceProcess, bus_status, start_service, wait_answering, wait_until

SUBJECT = "komodo.read.GetDeploymentActionState"
"""A request the executor answers (from its own state and the registry)."""
BOUND_SECONDS = 6.0
"""How soon a frozen or killed service's requests must answer 503 (presence stale after 4 s)."""


async def timed(coroutine: Awaitable[int]) -> tuple[int, float]:
    started = time.monotonic()
    status = await coroutine
    return status, time.monotonic() - started


async def test_a_frozen_killed_or_stopped_service_answers_503_in_seconds(
    registry: Registry,
    client: BusClient,
    gateway_url: str,
    admin_headers: dict[str, str],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    await client.write("CreateDeployment", {"name": "probe"})
    body = {"deployment": "probe"}

    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:

        async def over_bus() -> int:
            return await bus_status(client.nc, SUBJECT, body, client.headers, timeout=10)

        async def over_http() -> int:
            return (await http.post("/read/GetDeploymentActionState", json=body)).status_code

        async def both() -> tuple[tuple[int, float], tuple[int, float]]:
            bus, web = await asyncio.gather(timed(over_bus()), timed(over_http()))
            return bus, web

        executor: ServiceProcess = start_service(
            "executor", nats_url, mongo_url, db_prefix, tmp_path / "data"
        )
        try:
            await wait_answering(executor, client.nc, SUBJECT, body, client.headers)
            # Positive control: running, it answers.
            assert [status for status, _ in await both()] == [200, 200]

            executor.signal(signal.SIGSTOP)
            (bus, bus_took), (web, web_took) = await both()
            print(
                f"frozen: {bus} over the bus after {bus_took:.1f} s, {web} over HTTP after {web_took:.1f} s"
            )
            assert (bus, web) == (503, 503)
            assert bus_took < BOUND_SECONDS and web_took < BOUND_SECONDS
            # Once stale, a new request is refused at once.
            (bus, bus_took), (web, web_took) = await both()
            assert (bus, web) == (503, 503) and bus_took < 1 and web_took < 1, (bus_took, web_took)

            executor.signal(signal.SIGCONT)

            async def answering_again() -> bool:
                return await over_bus() == 200

            thawed = await wait_until(answering_again, 5, "the thawed service answering")
            print(f"thawed: answering again after {thawed:.1f} s")
            assert await over_http() == 200

            executor.signal(signal.SIGKILL)
            executor.kill()
            (bus, bus_took), (web, web_took) = await both()
            print(
                f"killed: {bus} over the bus after {bus_took:.1f} s, {web} over HTTP after {web_took:.1f} s"
            )
            assert (bus, web) == (503, 503)
            assert bus_took < BOUND_SECONDS and web_took < BOUND_SECONDS
        finally:
            executor.kill()

        executor = start_service("executor", nats_url, mongo_url, db_prefix, tmp_path / "data")
        try:
            await wait_answering(executor, client.nc, SUBJECT, body, client.headers)
            assert await executor.stopped() == 0
            (bus, bus_took), (web, web_took) = await both()
            print(f"stopped: 503 over the bus after {bus_took:.2f} s, over HTTP after {web_took:.2f} s")
            assert (bus, web) == (503, 503) and bus_took < 1 and web_took < 1, (bus_took, web_took)
        finally:
            executor.kill()
