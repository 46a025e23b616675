"""Alerts from events, through the alerter's durable consumers: events are published on JetStream as their
services publish them, and each case has a positive control beside the event that must make no alert."""

from __future__ import annotations

import json
from typing import Any

from contracts.entities.alert import Alert
from contracts.entities.common import ResourceTarget, ResourceTargetVariant, Version
from contracts.entities.update import Operation
from contracts.events.base import Event
from contracts.events.cloud import AwsBuilderTerminationFailed
from contracts.events.execution import (
    BuildFailed,
    DeploymentImageUpdateAvailable,
    DeploymentStateChanged,
    StackStateChanged,
)
from contracts.events.procedure import ProcedureFailed
from contracts.events.resource_sync import ResourceSyncPendingChanged
from contracts.events.schedule import ScheduleRun
from contracts.subjects import EVENTS_STREAM
from services.alerter.app import Alerter
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import eventually


async def publish(client: BusClient, event: Event) -> None:
    await client.nc.jetstream().publish(
        event.SUBJECT,
        event.model_dump_json(by_alias=True).encode(),
        headers={"Nats-Msg-Id": event.id},
        stream=EVENTS_STREAM,
    )


async def alerts_of(client: BusClient, variant: str) -> list[dict[str, Any]]:
    return list((await client.read("ListAlerts", {"query": {"data.type": variant}}))["alerts"])


async def wait_for(client: BusClient, variant: str, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await alerts_of(client, variant)
        return found if len(found) >= count else None

    found = await eventually(enough, 15)
    assert found is not None, f"no {variant} alert"
    return found


def target(kind: ResourceTargetVariant, created: dict[str, Any]) -> ResourceTarget:
    return ResourceTarget(type=kind, id=created["_id"]["$oid"])


async def test_state_changes_honour_send_alerts_and_skip_unknown(alerter: Alerter, client: BusClient) -> None:
    quiet = await client.write("CreateDeployment", {"name": "quiet", "config": {"send_alerts": False}})
    loud = await client.write("CreateDeployment", {"name": "loud"})
    for dep, previous, current in [
        (quiet, "running", "exited"),  # send_alerts off
        (loud, "unknown", "running"),  # from unknown
        (loud, "running", "unknown"),  # to unknown
        (loud, "running", "exited"),  # the one alert
    ]:
        resource = target(ResourceTargetVariant.Deployment, dep)
        await publish(client, DeploymentStateChanged(previous=previous, current=current, resource=resource))
    [alert] = await wait_for(client, "ContainerStateChange", 1)
    assert alert["target"]["id"] == loud["_id"]["$oid"] and alert["level"] == "WARNING" and alert["resolved"]
    assert (alert["data"]["data"]["from"], alert["data"]["data"]["to"]) == ("running", "exited")
    stack = await client.write("CreateStack", {"name": "shop"})
    stack_target = target(ResourceTargetVariant.Stack, stack)
    await publish(client, StackStateChanged(previous="unknown", current="running", resource=stack_target))
    await publish(client, StackStateChanged(previous="running", current="unhealthy", resource=stack_target))
    [stack_alert] = await wait_for(client, "StackStateChange", 1)
    assert stack_alert["data"]["data"]["name"] == "shop" and stack_alert["data"]["data"]["to"] == "unhealthy"
    image = DeploymentImageUpdateAvailable(
        image="nginx:latest",
        latest_digest="sha256:1",
        resource=target(ResourceTargetVariant.Deployment, loud),
    )
    await publish(client, image)
    [update] = await wait_for(client, "DeploymentImageUpdateAvailable", 1)
    assert update["level"] == "OK" and update["data"]["data"]["image"] == "nginx:latest"
    # Everything published before the image event was handled before it (one consumer, in order).
    assert len(await alerts_of(client, "ContainerStateChange")) == 1


async def test_failures_make_one_alert_each_and_a_redelivery_none(
    alerter: Alerter, client: BusClient
) -> None:
    build = await client.write("CreateBuild", {"name": "b1"})
    failed = BuildFailed(
        update_id="u1",
        name="b1",
        build_version=Version(major=1),
        resource=target(ResourceTargetVariant.Build, build),
    )
    await publish(client, failed)
    [alert] = await wait_for(client, "BuildFailed", 1)
    assert alert["level"] == "WARNING" and alert["data"]["data"]["name"] == "b1"
    assert alert["data"]["data"]["version"] == {"major": 1, "minor": 0, "patch": 0}
    # The handler run again for the same event (a redelivery after a crash) stores nothing new.
    await alerter.event_alerts.on_build_failed(failed)
    assert len(await alerts_of(client, "BuildFailed")) == 1

    silent = await client.write("CreateProcedure", {"name": "silent", "config": {"failure_alert": False}})
    noisy = await client.write("CreateProcedure", {"name": "noisy"})
    for procedure in (silent, noisy):
        # As the executor publishes it: the run (its RunProcedure Update), no resource.
        run = await alerter.registry.create_update(
            Operation.RunProcedure, target(ResourceTargetVariant.Procedure, procedure), "e2e"
        )
        await publish(client, ProcedureFailed(run_id=run.id, name=procedure["name"], error="boom"))
    [procedure_alert] = await wait_for(client, "ProcedureFailed", 1)
    assert procedure_alert["data"]["data"] == {"id": noisy["_id"]["$oid"], "name": "noisy"}

    action = await client.write("CreateAction", {"name": "act"})
    run = await alerter.registry.create_update(
        Operation.RunAction, target(ResourceTargetVariant.Action, action), "e2e"
    )
    await alerter.registry.finish(run.id, success=False)
    [action_alert] = await wait_for(client, "ActionFailed", 1)
    assert action_alert["data"]["data"]["name"] == "act" and action_alert["level"] == "WARNING"

    repo = await client.write("CreateRepo", {"name": "r1"})
    for success in (True, False):  # a successful BuildRepo is the positive control: no alert
        run = await alerter.registry.create_update(
            Operation.BuildRepo, target(ResourceTargetVariant.Repo, repo), "e2e"
        )
        await alerter.registry.finish(run.id, success=success)
    [repo_alert] = await wait_for(client, "RepoBuildFailed", 1)
    assert repo_alert["data"]["data"] == {"id": repo["_id"]["$oid"], "name": "r1"}


async def test_deleting_a_resource_resolves_its_open_alerts(alerter: Alerter, client: BusClient) -> None:
    dep = await client.write("CreateDeployment", {"name": "gone"})
    dep_id = dep["_id"]["$oid"]
    open_alert = Alert.model_validate(
        {
            "_id": "d" * 24,
            "ts": 1,
            "level": "OK",
            "target": {"type": "Deployment", "id": dep_id},
            "data": {"type": "ResourceSyncPendingUpdates", "data": {"id": dep_id, "name": "gone"}},
        }
    )
    await alerter.store.open(open_alert, f"{dep_id}|ResourceSyncPendingUpdates|")
    await client.write("DeleteDeployment", {"id": dep_id})

    async def resolved() -> bool:
        return bool((await client.read("GetAlert", {"id": "d" * 24}))["resolved"])

    assert await eventually(resolved, 15)
    raw = json.dumps(await client.read("GetAlert", {"id": "d" * 24}))
    assert "open_key" not in raw and "_outbox" not in raw


async def test_a_scheduled_run_makes_a_schedule_run_alert(alerter: Alerter, client: BusClient) -> None:
    action = await client.write("CreateAction", {"name": "nightly"})
    started = ScheduleRun(
        resource=target(ResourceTargetVariant.Action, action),
        resource_type=ResourceTargetVariant.Action,
        name="nightly",
        update_id="u-scheduled",
        scheduled_at=1,
    )
    await publish(client, started)
    [alert] = await wait_for(client, "ScheduleRun", 1)
    assert alert["level"] == "OK" and alert["resolved"] is True
    assert alert["target"] == {"type": "Action", "id": action["_id"]["$oid"]}
    assert alert["data"]["data"] == {
        "id": action["_id"]["$oid"],
        "name": "nightly",
        "resource_type": "Action",
    }
    await alerter.event_alerts.on_schedule_run(started)  # a redelivery stores nothing new
    assert len(await alerts_of(client, "ScheduleRun")) == 1


async def test_a_pending_sync_has_an_open_alert_until_it_is_clean(
    alerter: Alerter, client: BusClient
) -> None:
    quiet = await client.write("CreateResourceSync", {"name": "quiet", "config": {"pending_alert": False}})
    loud = await client.write("CreateResourceSync", {"name": "loud"})
    for sync in (quiet, loud):
        resource = target(ResourceTargetVariant.ResourceSync, sync)
        await publish(
            client,
            ResourceSyncPendingChanged(
                resource=resource, name=sync["name"], pending=True, pending_alert=sync is loud
            ),
        )
    [alert] = await wait_for(client, "ResourceSyncPendingUpdates", 1)
    assert alert["resolved"] is False and alert["level"] == "OK"
    assert alert["data"]["data"] == {"id": loud["_id"]["$oid"], "name": "loud"}
    clean = ResourceSyncPendingChanged(
        resource=target(ResourceTargetVariant.ResourceSync, loud), name="loud", pending=False
    )
    await publish(client, clean)

    async def resolved() -> bool | None:
        got = await client.read("GetAlert", {"id": alert["_id"]["$oid"]})
        return True if got["resolved"] else None

    assert await eventually(resolved, 15)
    assert len(await alerts_of(client, "ResourceSyncPendingUpdates")) == 1  # the quiet sync never had one


async def test_an_instance_left_running_is_a_critical_alert(alerter: Alerter, client: BusClient) -> None:
    builder = await client.write("CreateBuilder", {"name": "aws", "config": {"type": "Aws", "params": {}}})
    failed = AwsBuilderTerminationFailed(
        resource=target(ResourceTargetVariant.Builder, builder),
        update_id="u-build",
        instance_id="i-0abc",
        region="eu-west-1",
        message="UnauthorizedOperation",
    )
    await publish(client, failed)
    [alert] = await wait_for(client, "AwsBuilderTerminationFailed", 1)
    assert alert["level"] == "CRITICAL" and alert["target"]["type"] == "Builder"
    assert alert["data"]["data"] == {"instance_id": "i-0abc", "message": "UnauthorizedOperation"}
    await alerter.event_alerts.on_termination_failed(failed)  # a redelivery stores nothing new
    assert len(await alerts_of(client, "AwsBuilderTerminationFailed")) == 1
