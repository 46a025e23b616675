"""An execution's end event (`DeploymentDeployed`, `StackDeployed`) is stored by the registry in the write that
completes its Update and relayed from the registry's outbox: it goes out exactly when the Update is complete,
also when the executor could not finish the Update itself and a sweep closed it."""

from __future__ import annotations

import json
from typing import Any

from bson import ObjectId
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from contracts.events.execution import DeploymentDeployed
from contracts.service_users import SYSTEM_USER_ID
from services.common.errors import Unavailable
from services.common.runs import ABANDONED_REASON, Work
from services.executor.app import Executor
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import eventually


async def heard(publisher: NatsClient) -> list[dict[str, Any]]:
    """The DeploymentDeployed events published from now on (filled as they arrive)."""
    seen: list[dict[str, Any]] = []

    async def on_event(msg: Msg) -> None:
        seen.append(json.loads(msg.data))

    await publisher.subscribe(DeploymentDeployed.SUBJECT, cb=on_event)
    await publisher.flush()
    return seen


def deploy_work(executor: Executor, target: ResourceTarget, success: bool) -> Work:
    """A work that ends as a Deploy's does: its logs, and its end event given to the runner."""

    async def work(update: Update) -> list[Log]:
        executor.runner.carry(
            update, DeploymentDeployed(update_id=update.id, success=success, resource=target)
        )
        return [Log(stage="Run Container", success=success)]

    return work


async def test_the_end_event_goes_out_with_the_completed_update(
    executor: Executor, client: BusClient, publisher: NatsClient
) -> None:
    seen = await heard(publisher)
    target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=str(ObjectId()))
    ok = await executor.runner.start(
        Operation.Deploy, target, SYSTEM_USER_ID, deploy_work(executor, target, True)
    )
    failed_target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=str(ObjectId()))
    failed = await executor.runner.start(
        Operation.Deploy, failed_target, SYSTEM_USER_ID, deploy_work(executor, failed_target, False)
    )

    async def both() -> bool:
        return len(seen) >= 2

    assert await eventually(both)
    outcomes = {event["update_id"]: event["success"] for event in seen}
    assert outcomes == {ok.id: True, failed.id: False}
    for update_id in outcomes:
        assert (await client.read("GetUpdate", {"id": update_id}))["status"] == "Complete"


async def test_the_end_event_of_an_update_the_executor_could_not_finish_goes_out_with_the_sweep(
    executor: Executor, client: BusClient, publisher: NatsClient
) -> None:
    seen = await heard(publisher)
    runner = executor.runner
    real_finish = runner.registry.finish
    refused: list[str] = []

    async def registry_away_once(update_id: str, **fields: Any) -> Update:
        if not refused:
            refused.append(update_id)
            raise Unavailable("the registry is away")
        return await real_finish(update_id, **fields)

    runner.registry.finish = registry_away_once  # type: ignore[method-assign]
    target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=str(ObjectId()))
    update = await runner.start(Operation.Deploy, target, SYSTEM_USER_ID, deploy_work(executor, target, True))

    async def finish_refused() -> bool:
        return bool(refused)

    assert await eventually(finish_refused)
    assert seen == [], "nothing goes out before the Update is complete"
    assert await runner.close_abandoned() == 1

    async def told() -> bool:
        return bool(seen)

    assert await eventually(told)
    assert [event["update_id"] for event in seen] == [update.id]
    closed = await client.read("GetUpdate", {"id": update.id})
    assert closed["status"] == "Complete" and closed["logs"][-1]["stderr"] == ABANDONED_REASON


async def test_a_malformed_or_unknown_carried_event_is_refused_and_the_update_left_running(
    service_client: BusClient, client: BusClient
) -> None:
    target = {"type": "Server", "id": str(ObjectId())}
    created = await service_client.ok(
        "internal", "CreateUpdate", {"operation": "PruneImages", "target": target, "operator": SYSTEM_USER_ID}
    )
    update_id = created["_id"]["$oid"]
    unknown = {"id": "e1", "subject": "komodo.event.nowhere.Nothing", "data": "{}"}
    malformed = {"id": "e2", "subject": DeploymentDeployed.SUBJECT, "data": '{"success": "yes"}'}
    for carried, said in ((unknown, "not the subject of a known event"), (malformed, "malformed")):
        answer = await service_client.send("internal", "FinishUpdate", {"id": update_id, "events": [carried]})
        assert answer.status == 400 and said in answer.error, answer.body
        assert (await client.read("GetUpdate", {"id": update_id}))["status"] == "InProgress"
    # Positive control: the same finish without them completes it.
    assert (await service_client.send("internal", "FinishUpdate", {"id": update_id})).status == 200
    assert (await client.read("GetUpdate", {"id": update_id}))["status"] == "Complete"
