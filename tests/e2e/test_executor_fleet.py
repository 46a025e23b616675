"""The heartbeat protocol between real agents and executor replicas: full statuses when lists change, small
beats otherwise, and a newly started replica holding the whole fleet within one interval."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg

from contracts.entities.agent import AgentStatus
from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import running, service_settings
from tests.e2e.helpers import eventually, start_agent


async def test_a_new_replica_holds_an_agents_full_status_within_one_interval(
    registry: Registry,
    executor: Executor,
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
    docker_available: None,
) -> None:
    server_id = f"fleet-{time.monotonic_ns()}"
    heard: list[tuple[str, float, dict[str, Any]]] = []
    listener = await nats.connect(nats_url)

    async def collect(msg: Msg) -> None:
        heard.append((msg.subject.rsplit(".", 1)[1], time.monotonic(), json.loads(msg.data)))

    await listener.subscribe(f"komodo.agent.{server_id}.status", cb=collect)
    await listener.subscribe(f"komodo.agent.{server_id}.beat", cb=collect)
    agent = start_agent(nats_url, server_id)
    await agent.start()
    try:
        # The running replica holds the agent's containers from its first (full) status.
        async def held_by_first() -> bool:
            return executor.cache.status(server_id) is not None

        assert await eventually(held_by_first)
        interval = agent.config.interval_seconds

        async def beats_come() -> bool:
            return [kind for kind, _, _ in heard].count("beat") >= 2

        # A full status first, then small beats while the lists stay the same (this host's Docker is shared
        # with other tests, whose containers may change the lists: then a full status comes again). Each beat
        # carries the digest of the full status before it.
        assert await eventually(beats_come, 10 * interval), [kind for kind, _, _ in heard]
        assert heard[0][0] == "status"
        digest = ""
        for kind, _, body in list(heard):
            if kind == "status":
                digest = AgentStatus.model_validate(body).digest
            else:
                assert body["digest"] == digest and "status" not in body
        first_containers = executor.cache.containers(server_id)

        heard.clear()
        second = Executor(service_settings(nats_url, mongo_url, db_prefix, tmp_path))
        async with running(second):
            started = time.monotonic()

            async def held_by_second() -> bool:
                return second.cache.status(server_id) is not None

            assert await eventually(held_by_second, 5 * interval)
            took = time.monotonic() - started
            # Unless the lists changed meanwhile, it heard a beat first and asked the agent for its full status.
            if heard[0][0] == "beat":
                assert second.watch.asked >= 1
            assert "status" in [kind for kind, _, _ in heard]
            held = {c.name for c in second.cache.containers(server_id)}
            assert held and held == {c.name for c in executor.cache.containers(server_id)}
            assert {c.name for c in first_containers} & held
            assert took <= interval + 1.0, f"the new replica held the status after {took:.2f} s"
    finally:
        await agent.stop()
        await listener.close()
