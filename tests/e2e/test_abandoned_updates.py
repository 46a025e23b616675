"""No Update is left running when its executor dies: another replica, the same executor restarted, or the next
execution on the same lease closes it as failed, saying why, within two lease periods."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Operation
from services.common.errors import Busy
from services.common.runs import ABANDONED_REASON, ABANDONED_STAGE, lease_key, now_ms
from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import BusClient
from tests.e2e.processes import ServiceProcess, start_service, wait_answering, wait_until

LEASE_SECONDS = 3.0
"""The executors' lease period here (`VARANUS_LEASE_SECONDS`), short so the test is."""
SLACK_SECONDS = 2.0
"""Room for a loaded test machine on top of the promised bound."""
ANSWERED_BY_EXECUTOR = "komodo.read.GetDeploymentActionState"
"""A request the executor answers (a 404 for a missing deployment): it is up once this is not a 503."""


class StallingAgent:
    """An agent that takes every request of its server and never answers (work that hangs)."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def on_message(self, msg: Msg) -> None:
        self.received.append(msg.subject)


@pytest.fixture
async def stalled_server(client: BusClient, nats_url: str) -> AsyncIterator[tuple[str, StallingAgent]]:
    """A server whose agent hangs on every request: its name and the agent."""
    server = await client.write("CreateServer", {"name": "stall", "config": {"enabled": True}})
    agent = StallingAgent()
    nc = await nats.connect(nats_url)
    try:
        await nc.subscribe(f"komodo.agent.{server['_id']['$oid']}.>", cb=agent.on_message)
        await nc.flush()
        yield "stall", agent
    finally:
        await nc.close()


def executor_process(nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path) -> ServiceProcess:
    return start_service(
        "executor",
        nats_url,
        mongo_url,
        db_prefix,
        tmp_path / "data",
        VARANUS_LEASE_SECONDS=str(LEASE_SECONDS),
    )


async def hang_an_execution(
    client: BusClient, executor: ServiceProcess, stalled: tuple[str, StallingAgent]
) -> dict[str, Any]:
    """Start a PruneSystem whose agent never answers, once `executor` answers; its InProgress Update."""
    await wait_answering(executor, client.nc, ANSWERED_BY_EXECUTOR, {"deployment": "-"}, client.headers)
    update: dict[str, Any] = await client.ok("execute", "PruneSystem", {"server": stalled[0]})
    assert update["status"] == "InProgress"

    async def reached_agent() -> bool:
        return bool(stalled[1].received)

    await wait_until(reached_agent, 10, "the execution reached the agent")
    return update


async def closed_as_abandoned(client: BusClient, update: dict[str, Any]) -> float:
    """Wait for the Update to be closed as failed by the sweep; seconds it took."""

    async def closed() -> bool:
        got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
        return bool(got["status"] == "Complete")

    bound = 2 * LEASE_SECONDS + SLACK_SECONDS
    took = await wait_until(closed, bound, "the abandoned Update closed within two lease periods")
    got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
    assert got["success"] is False
    assert got["logs"][-1]["stage"] == ABANDONED_STAGE and got["logs"][-1]["stderr"] == ABANDONED_REASON
    return took


async def test_another_replica_closes_the_update_of_a_killed_executor(
    registry: Registry,
    client: BusClient,
    stalled_server: tuple[str, StallingAgent],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    first = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
    second: ServiceProcess | None = None
    try:
        update = await hang_an_execution(client, first, stalled_server)
        # The second replica starts while the first still renews its lease: nothing to close at its start.
        second = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
        await wait_answering(second, client.nc, ANSWERED_BY_EXECUTOR, {"deployment": "-"}, client.headers)
        first.signal(signal.SIGKILL)
        took = await closed_as_abandoned(client, update)
        print(f"closed by the other replica {took:.1f} s after the kill (lease {LEASE_SECONDS:g} s)")
    finally:
        first.kill()
        if second is not None:
            second.kill()


async def test_the_restarted_executor_closes_the_update_it_was_running(
    registry: Registry,
    client: BusClient,
    stalled_server: tuple[str, StallingAgent],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    first = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
    again: ServiceProcess | None = None
    try:
        update = await hang_an_execution(client, first, stalled_server)
        first.signal(signal.SIGKILL)
        killed = time.monotonic()
        first.kill()
        again = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
        # The bound runs from when the restarted executor answers: a loaded machine may take seconds to start
        # a Python process, which is not the sweep's delay.
        await wait_answering(again, client.nc, ANSWERED_BY_EXECUTOR, {"deployment": "-"}, client.headers)
        await closed_as_abandoned(client, update)
        print(f"closed by the restarted executor {time.monotonic() - killed:.1f} s after the kill")
    finally:
        first.kill()
        if again is not None:
            again.kill()


async def test_a_claim_of_an_expired_lease_closes_its_update_first(
    registry: Registry,
    executor: Executor,
    client: BusClient,
    stalled_server: tuple[str, StallingAgent],
) -> None:
    server = await client.read("GetServer", {"server": stalled_server[0]})
    target = ResourceTarget(type=ResourceTargetVariant.Server, id=server["_id"]["$oid"])
    ghost = await executor.registry.create_update(Operation.PruneSystem, target, "x")
    await executor.db["Lease"].insert_one(
        {
            "_id": lease_key(target, Operation.PruneSystem),
            "target": f"Server:{target.id}",
            "action": "PruneSystem",
            "until": now_ms() - 1,
            "owner": "dead-replica",
            "update_id": ghost.id,
        }
    )
    # The executor's sweep runs every 20 s here (default lease): the claim itself must close the ghost.
    update = await client.ok("execute", "PruneSystem", {"server": stalled_server[0]})
    closed = await client.read("GetUpdate", {"id": ghost.id})
    assert closed["status"] == "Complete" and closed["success"] is False, closed
    assert closed["logs"][-1]["stderr"] == ABANDONED_REASON
    assert closed["end_ts"] <= update["start_ts"]
    lease = await executor.db["Lease"].find_one({"_id": lease_key(target, Operation.PruneSystem)})
    assert lease is not None and lease["update_id"] == update["_id"]["$oid"]


async def test_an_executor_that_stops_closes_the_update_it_could_not_finish(
    registry: Registry,
    client: BusClient,
    stalled_server: tuple[str, StallingAgent],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    executor = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
    try:
        update = await hang_an_execution(client, executor, stalled_server)
        assert await executor.stopped() == 0  # it gives the work 10 s, then cancels it
        got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
        assert got["status"] == "Complete" and got["success"] is False, got
        assert got["logs"][-1]["stderr"] == ABANDONED_REASON
    finally:
        executor.kill()


async def test_an_update_id_chosen_by_the_executor(registry: Registry, service_client: BusClient) -> None:
    """The executor names the Update in its lease before the registry creates it; the sweep relies on the
    answers: 404 (never created) and 409 (already complete) mean closed, a busy Update is not a 409."""
    target = {"type": "System", "id": ""}
    chosen = "65f0c0ffee0000000000abcd"
    params = {"id": chosen, "operation": "PruneImages", "target": target, "operator": "x"}
    created = await service_client.ok("internal", "CreateUpdate", params)
    assert created["_id"]["$oid"] == chosen and created["status"] == "InProgress"
    again = await service_client.send("internal", "CreateUpdate", params)
    assert again.status == 409 and chosen in again.error
    malformed = await service_client.send("internal", "CreateUpdate", {**params, "id": "nope"})
    assert malformed.status == 400
    await service_client.ok("internal", "FinishUpdate", {"id": chosen, "success": False})
    assert (await service_client.send("internal", "FinishUpdate", {"id": chosen})).status == 409
    missing = await service_client.send("internal", "FinishUpdate", {"id": "65f0c0ffee0000000000dcba"})
    assert missing.status == 404


async def test_an_executor_frozen_past_its_lease_stops_the_work_when_it_wakes(
    registry: Registry,
    client: BusClient,
    stalled_server: tuple[str, StallingAgent],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    first = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
    second: ServiceProcess | None = None
    try:
        update = await hang_an_execution(client, first, stalled_server)
        second = executor_process(nats_url, mongo_url, db_prefix, tmp_path)
        await wait_answering(second, client.nc, ANSWERED_BY_EXECUTOR, {"deployment": "-"}, client.headers)
        first.signal(signal.SIGSTOP)
        await closed_as_abandoned(client, update)
        first.signal(signal.SIGCONT)

        async def stopped_the_work() -> bool:
            return "was taken over while its work ran; stopping the work" in first.log()

        await wait_until(stopped_the_work, 2 * LEASE_SECONDS, "the woken executor stopping the work")
        got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
        assert got["logs"][-1]["stderr"] == ABANDONED_REASON  # closed once, by the sweep
    finally:
        first.kill()
        if second is not None:
            second.kill()


OPERATOR = "000000000000000000000000"
"""The operator of the Updates the lease tests make."""


async def held_lease(
    executor: Executor, service_client: BusClient, target: ResourceTarget, complete: bool
) -> str:
    """A live lease on `target`, held by another executor for an Update that is running or (`complete`) already
    complete; its key."""
    update = await service_client.ok(
        "internal",
        "CreateUpdate",
        {"operation": "Deploy", "target": target.model_dump(), "operator": OPERATOR},
    )
    if complete:
        await service_client.ok("internal", "FinishUpdate", {"id": update["_id"]["$oid"]})
    key = lease_key(target, Operation.Deploy)
    await executor.runner.leases.delete_many({"_id": key})
    await executor.runner.leases.insert_one(
        {
            "_id": key,
            "target": f"Deployment:{target.id}",
            "action": "Deploy",
            "until": now_ms() + 60_000,
            "owner": "another-executor",
            "update_id": update["_id"]["$oid"],
        }
    )
    return key


async def claimed_by(executor: Executor, target: ResourceTarget, key: str) -> None:
    """Start a RestartDeployment on `target` and check that its lease now holds `key` (its work waits until
    checked, so the lease is still there)."""
    release = asyncio.Event()

    async def work(update: Any) -> list[Any]:
        await release.wait()
        return []

    started = await executor.runner.start(Operation.RestartDeployment, target, OPERATOR, work)
    held = await executor.runner.leases.find_one({"_id": key})
    release.set()
    assert held is not None and held["update_id"] == started.id


async def test_a_lease_whose_update_is_complete_does_not_make_the_next_execution_busy(
    registry: Registry, executor: Executor, service_client: BusClient
) -> None:
    """A client that sees its Update complete may ask again before the executor has deleted the lease: that
    lease is taken over, not answered busy. Positive control: the same lease naming a running Update is busy."""
    target = ResourceTarget(type=ResourceTargetVariant.Deployment, id="65a000000000000000000001")

    async def work(update: Any) -> list[Any]:
        return []

    await held_lease(executor, service_client, target, complete=False)
    with pytest.raises(Busy):
        await executor.runner.start(Operation.RestartDeployment, target, OPERATOR, work)
    key = await held_lease(executor, service_client, target, complete=True)
    await claimed_by(executor, target, key)


async def test_a_lease_deleted_while_a_claim_looks_at_it_is_claimed_not_busy(
    registry: Registry, executor: Executor, service_client: BusClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The executor that ran the last execution deletes its lease just as a new claim tries to take it over (the
    race `bench/load.py` hit): the claim looks again and takes the free key."""
    runner = executor.runner
    target = ResourceTarget(type=ResourceTargetVariant.Deployment, id="65a000000000000000000002")
    key = await held_lease(executor, service_client, target, complete=True)
    real_take_over = runner._take_over
    raced: list[str] = []

    async def deleted_first(held: dict[str, Any], lease: dict[str, Any]) -> bool:
        raced.append(str(held["_id"]))
        await runner.leases.delete_one({"_id": held["_id"], "owner": held["owner"]})
        return await real_take_over(held, lease)

    monkeypatch.setattr(runner, "_take_over", deleted_first)
    await claimed_by(executor, target, key)
    assert raced == [key], "the claim should have met the lease being deleted"
