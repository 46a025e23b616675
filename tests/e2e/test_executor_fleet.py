"""The heartbeat protocol between real agents and executor replicas: full statuses when lists change, small
beats otherwise, and a newly started replica holding the whole fleet within one interval."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiodocker
import nats
from nats.aio.msg import Msg

from contracts.entities.agent import AgentBeat, AgentStatus
from contracts.subjects import agent_beat_subject, agent_resend_subject, agent_status_subject
from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import running, service_settings
from tests.e2e.helpers import IMAGE, eventually, heartbeat, start_agent


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
    # A container of the test's own, running throughout: the host's other containers come and go with other
    # tests (a full run once had none at this point, and both replicas held an empty list).
    docker = aiodocker.Docker()
    own = await docker.containers.create_or_replace(
        f"varanus-e2e-fleet-{uuid.uuid4().hex[:8]}", {"Image": IMAGE, "Cmd": ["sleep", "600"]}
    )
    await own.start()
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
        await own.delete(force=True)
        await docker.close()


async def test_an_executor_cut_off_reconnects_and_completes_what_it_missed_from_the_next_beat(
    executor: Executor, nats_url: str
) -> None:
    # What nats-server does to a slow consumer: it closes the connection. Statuses sent meanwhile are lost; the
    # agent's next beat names lists the executor does not hold, so it asks for them and holds them again.
    server_id = f"cut-{time.monotonic_ns()}"
    agent = await nats.connect(nats_url)
    now = int(time.time() * 1000)
    statuses = {1: heartbeat(server_id, containers=1, ts=now)}

    async def resend(msg: Msg) -> None:
        # As an agent does: its current lists, taken now (after the beat that made the executor ask).
        latest = statuses[max(statuses)].model_copy(update={"ts": now + 10_000})
        await agent.publish(agent_status_subject(server_id), latest.model_dump_json().encode())

    await agent.subscribe(agent_resend_subject(server_id), cb=resend)
    try:
        await agent.publish(agent_status_subject(server_id), statuses[1].model_dump_json().encode())

        async def holds(count: int) -> bool:
            return len(executor.cache.containers(server_id)) == count

        assert await eventually(lambda: holds(1))
        nc = executor.bus.nc
        reconnects = nc.stats["reconnects"]
        nc._transport.close()  # the server's side of a cut: the socket closes under the client

        async def reconnected() -> bool:
            return nc.is_connected and nc.stats["reconnects"] > reconnects

        assert await eventually(reconnected)
        # A status sent while the executor was cut off is lost; its beats carry its digest.
        statuses[2] = heartbeat(server_id, containers=3, ts=now + 1000)
        beat = AgentBeat(server_id=server_id, ts=now + 2000, interval_ms=1000, digest=statuses[2].digest)
        assert not await holds(3)
        await agent.publish(agent_beat_subject(server_id), beat.model_dump_json().encode())
        assert await eventually(lambda: holds(3))
        assert executor.watch.asked >= 1
    finally:
        await agent.close()
