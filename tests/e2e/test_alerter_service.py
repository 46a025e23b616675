"""The alerter as a client meets it: server alerts from heartbeats, their lifecycle and events, ListAlerts /
GetAlert / CloseAlert over the bus and HTTP, SendAlert, two replicas, and a restart.

Heartbeats here are published on the agent's subject (`komodo.agent.<id>.status`) exactly as an agent publishes
them, with chosen CPU and disk numbers: a real agent's numbers cannot be steered (see
`test_alerter_agent.py` for the real agent)."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from contracts.entities.agent import AgentStatus, PollStatusResponse
from contracts.entities.alert import Alert as Alert_
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemStats
from contracts.subjects import agent_status_subject
from services.alerter.app import Alerter
from services.common.settings import Settings
from services.common.version import VERSION
from services.registry.app import Registry
from tests.e2e.conftest import BusClient, grant
from tests.e2e.helpers import eventually

THRESHOLDS = {"enabled": True, "cpu_warning": 50.0, "cpu_critical": 80.0, "disk_warning": 60.0}


@pytest.fixture
async def alert_events(nats_url: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every alert event published while the test runs (subject name and body)."""
    nc = await nats.connect(nats_url)
    seen: list[dict[str, Any]] = []

    async def on_event(msg: Any) -> None:
        seen.append({"event": msg.subject.rsplit(".", 1)[-1], **json.loads(msg.data)})

    await nc.subscribe("komodo.event.alert.>", cb=on_event)
    try:
        yield seen
    finally:
        await nc.close()


async def holds(predicate: Any, seconds: float = 10.0) -> None:
    """Wait (bounded) until the plain `predicate()` is true; fail the test otherwise."""

    async def check() -> bool:
        return bool(predicate())

    assert await eventually(check, seconds), "the condition did not hold in time"


async def beat(
    nc: NatsClient, server_id: str, cpu: float, disk_used: float = 10.0, interval_ms: int = 15_000
) -> None:
    status = AgentStatus(
        server_id=server_id,
        ts=int(time.time() * 1000),
        interval_ms=interval_ms,
        status=PollStatusResponse(
            periphery_info=PeripheryInformation(version=VERSION, docker_connected=True),
            system_stats=SystemStats(
                cpu_perc=cpu,
                mem_used_gb=1.0,
                mem_total_gb=8.0,
                disks=[SingleDiskUsage(mount="/", used_gb=disk_used, total_gb=100.0)],
            ),
        ),
    )
    await nc.publish(agent_status_subject(server_id), status.model_dump_json(by_alias=True).encode())
    await nc.flush()


async def followed_server(
    client: BusClient, alerters: list[Alerter], name: str = "host-a", **config: Any
) -> str:
    """A server with low thresholds, once every alerter follows its config (told by `ResourceChanged`)."""
    created = await client.write("CreateServer", {"name": name, "config": {**THRESHOLDS, **config}})
    server_id = str(created["_id"]["$oid"])
    for alerter in alerters:
        await holds(lambda a=alerter: server_id in a.servers.rules)
    return server_id


async def beats(nc: NatsClient, alerters: list[Alerter], server_id: str, *cpus: float) -> None:
    """Heartbeats one after the other, each evaluated (and its writes done) by every alerter before the next."""
    for cpu in cpus:
        before = [a.servers.evaluated for a in alerters]
        await beat(nc, server_id, cpu)
        for alerter, count in zip(alerters, before, strict=True):
            await holds(lambda a=alerter, c=count: a.servers.evaluated > c)
            await alerter.servers.drain()


async def open_alerts(client: BusClient) -> list[dict[str, Any]]:
    listed = await client.read("ListAlerts", {"query": {"resolved": False}})
    return list(listed["alerts"])


async def test_cpu_alert_opens_raises_in_place_and_resolves_under_the_margin(
    alerter: Alerter, client: BusClient, publisher: NatsClient, alert_events: list[dict[str, Any]]
) -> None:
    server_id = await followed_server(client, [alerter])
    await beats(publisher, [alerter], server_id, 60)
    assert await open_alerts(client) == []  # one bad heartbeat is not enough
    await beats(publisher, [alerter], server_id, 60)
    [opened] = await open_alerts(client)
    assert opened["level"] == "WARNING" and opened["data"]["type"] == "ServerCpu"
    assert opened["target"] == {"type": "Server", "id": server_id}
    assert opened["data"]["data"]["name"] == "host-a" and opened["data"]["data"]["percentage"] == 60
    await beats(publisher, [alerter], server_id, 90)
    raised = await client.read("GetAlert", {"id": opened["_id"]["$oid"]})
    assert raised["level"] == "CRITICAL" and raised["_id"] == opened["_id"] and not raised["resolved"]
    await beats(publisher, [alerter], server_id, 47, 46)
    assert len(await open_alerts(client)) == 1  # under the warning threshold, not under the margin
    await beats(publisher, [alerter], server_id, 44)
    resolved = await client.read("GetAlert", {"id": opened["_id"]["$oid"]})
    assert resolved["resolved"] and resolved["resolved_ts"] >= resolved["ts"]
    await holds(lambda: len(alert_events) == 3)
    assert [(e["event"], e["alert"]["level"]) for e in alert_events] == [
        ("AlertOpened", "WARNING"),
        ("AlertRaised", "CRITICAL"),
        ("AlertResolved", "CRITICAL"),
    ]
    assert {e["alert"]["_id"]["$oid"] for e in alert_events} == {opened["_id"]["$oid"]}


async def test_list_get_and_close_over_the_bus_and_http(
    alerter: Alerter,
    client: BusClient,
    alice: tuple[BusClient, str],
    publisher: NatsClient,
    gateway_url: str,
    admin_headers: dict[str, str],
    alert_events: list[dict[str, Any]],
) -> None:
    server_id = await followed_server(client, [alerter])
    await beats(publisher, [alerter], server_id, 90, 90)
    [opened] = await open_alerts(client)
    alert_id = opened["_id"]["$oid"]
    as_alice, _ = alice
    # Alice may not read the server: she sees no alert, and may not close it.
    assert (await as_alice.read("ListAlerts", {}))["alerts"] == []
    assert (await as_alice.send("read", "GetAlert", {"id": alert_id})).status == 404
    denied = await as_alice.send("write", "CloseAlert", {"id": alert_id})
    assert denied.status == 403 and "admin" in denied.error
    # Given Read on the server, she sees its alert (the positive control), and still may not close it.
    await grant(client, "Read", server_id, kind="Server")
    assert (await as_alice.read("ListAlerts", {}))["alerts"] == [opened]
    # GetAlert adds the alert's deliveries to Komodo's Alert (none here: no Alerter).
    assert await as_alice.read("GetAlert", {"id": alert_id}) == {**opened, "deliveries": []}
    assert (await as_alice.send("write", "CloseAlert", {"id": alert_id})).status == 403
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        listed = await http.post("/read/ListAlerts", json={"query": {"data.type": "ServerCpu"}, "page": 0})
        assert listed.status_code == 200 and listed.json() == {"alerts": [opened], "next_page": None}
        got = await http.post("/read", json={"type": "GetAlert", "params": {"id": alert_id}})
        assert got.json() == {**opened, "deliveries": []}
        bad = await http.post("/read/ListAlerts", json={"query": {"$where": "1"}})
        assert bad.status_code == 400 and "$where" in bad.json()["error"]
        missing = await http.post("/read/GetAlert", json={"id": "0" * 24})
        assert missing.status_code == 404
        closed = await http.post("/write/CloseAlert", json={"id": alert_id})
        assert closed.status_code == 200 and closed.json() == {}
    after = await client.read("GetAlert", {"id": alert_id})
    assert after["resolved"] is True
    assert await open_alerts(client) == []
    await holds(lambda: [e["event"] for e in alert_events] == ["AlertOpened", "AlertResolved"])
    # Still bad: after a new streak the condition opens again, as a new alert.
    await beats(publisher, [alerter], server_id, 90, 90)
    [again] = await open_alerts(client)
    assert again["_id"] != opened["_id"]


async def test_send_alert_stores_a_resolved_custom_alert_and_pages(
    alerter: Alerter, client: BusClient, alice: tuple[BusClient, str], alert_events: list[dict[str, Any]]
) -> None:
    none = await client.send("execute", "SendAlert", {"message": "to nobody"})
    assert none.status == 400 and "no alerter" in none.error
    await client.write("CreateAlerter", {"name": "off"})  # disabled: never chosen
    chosen = await client.write("CreateAlerter", {"name": "ops", "config": {"enabled": True}})
    as_alice, _ = alice
    denied = await as_alice.send("execute", "SendAlert", {"message": "no Execute on ops"})
    assert denied.status == 400, denied.body
    update = await client.ok("execute", "SendAlert", {"level": "CRITICAL", "message": "disk on fire"})
    assert update["operation"] == "SendAlert" and update["success"] is True
    assert "disk on fire" in update["logs"][0]["stdout"]
    [alert] = (await client.read("ListAlerts", {"query": {"data.type": "Custom"}}))["alerts"]
    assert alert["level"] == "CRITICAL" and alert["resolved"] is True
    assert alert["data"]["data"] == {"message": "disk on fire", "details": ""}
    await holds(lambda: [e["event"] for e in alert_events] == ["AlertOpened"])
    assert alert_events[0]["alerters"] == [chosen["_id"]["$oid"]]
    for i in range(100):
        await client.ok("execute", "SendAlert", {"message": f"m{i}"})
    first = await client.read("ListAlerts", {})
    assert len(first["alerts"]) == 100 and first["next_page"] == 1
    second = await client.read("ListAlerts", {"page": 1})
    assert len(second["alerts"]) == 1 and second["next_page"] is None
    assert second["alerts"][0]["data"]["data"]["message"] == "disk on fire"  # newest first


def alerter_settings(nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path) -> Settings:
    return Settings(
        nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data"
    )


async def test_two_replicas_open_one_alert_once(
    registry: Registry,
    client: BusClient,
    publisher: NatsClient,
    alert_events: list[dict[str, Any]],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    replicas = [Alerter(alerter_settings(nats_url, mongo_url, db_prefix, tmp_path)) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    try:
        server_id = await followed_server(client, replicas)
        await beats(publisher, replicas, server_id, 60, 60, 90, 90, 30)
        alerts = (await client.read("ListAlerts", {}))["alerts"]
        assert len(alerts) == 1 and alerts[0]["resolved"] and alerts[0]["level"] == "CRITICAL"
        await holds(lambda: len(alert_events) >= 3)
        time.sleep(0.3)  # a duplicate would come right after
        assert [e["event"] for e in alert_events] == ["AlertOpened", "AlertRaised", "AlertResolved"]
    finally:
        for replica in replicas:
            await replica.stop()


async def test_a_restart_keeps_open_alerts(
    registry: Registry,
    client: BusClient,
    publisher: NatsClient,
    alert_events: list[dict[str, Any]],
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    settings = alerter_settings(nats_url, mongo_url, db_prefix, tmp_path)
    first = Alerter(settings)
    await first.start()
    try:
        server_id = await followed_server(client, [first])
        await beats(publisher, [first], server_id, 60, 60)
    finally:
        await first.stop()
    second = Alerter(settings)
    await second.start()
    try:
        [opened] = await open_alerts(client)
        await second.servers.refresh()
        # Still bad after the restart: no second alert; worse: the same alert is raised.
        await beats(publisher, [second], server_id, 60, 60, 90)
        [still] = await open_alerts(client)
        assert still["_id"] == opened["_id"] and still["level"] == "CRITICAL"
        await beats(publisher, [second], server_id, 10)
        assert await open_alerts(client) == []
        assert (await client.read("GetAlert", {"id": opened["_id"]["$oid"]}))["resolved"] is True
    finally:
        await second.stop()


async def test_deleting_the_server_resolves_its_alerts(
    alerter: Alerter, client: BusClient, publisher: NatsClient
) -> None:
    server_id = await followed_server(client, [alerter])
    await beats(publisher, [alerter], server_id, 90, 90)
    assert len(await open_alerts(client)) == 1
    await client.write("DeleteServer", {"id": server_id})
    await holds(lambda: server_id not in alerter.servers.rules)

    async def none_open() -> bool:
        return await open_alerts(client) == []

    assert await eventually(none_open)


async def test_pruning_removes_only_resolved_alerts_older_than_the_setting(
    alerter: Alerter, client: BusClient
) -> None:
    """The open alert's `resolved_ts` is null: nx-27017's delete_many with `$or` deleted it too (the bug this
    guards against), so pruning finds the ids first."""
    day_ms = 24 * 3600 * 1000
    now = int(time.time() * 1000)
    target = {"type": "Server", "id": "s-prune"}

    def alert(alert_id: str, age_days: int, resolved: bool) -> Alert_:
        return Alert_.model_validate(
            {
                "_id": alert_id,
                "ts": now - age_days * day_ms,
                "resolved": resolved,
                "resolved_ts": now - age_days * day_ms if resolved else None,
                "level": "WARNING",
                "target": target,
                "data": {"type": "ServerCpu", "data": {"id": "s-prune", "percentage": 99.0}},
            }
        )

    await alerter.store.record_resolved(alert("a" * 24, 20, True))
    await alerter.store.record_resolved(alert("b" * 24, 2, True))
    await alerter.store.open(alert("c" * 24, 30, False), "s-prune|ServerCpu|")

    async def published() -> bool:
        return await alerter.db["Alert"].count_documents({"_outbox_n": {"$gt": 0}}) == 0

    assert await eventually(published)
    assert await alerter.store.prune(14) == 1
    left = sorted(a["_id"]["$oid"] for a in (await client.read("ListAlerts", {}))["alerts"])
    assert left == ["b" * 24, "c" * 24]
    assert await alerter.store.prune(0) == 0  # 0 keeps everything


async def test_a_maintenance_window_suppresses_opening(
    alerter: Alerter, client: BusClient, publisher: NatsClient
) -> None:
    now = datetime.datetime.now(datetime.UTC)
    window = {
        "name": "patching",
        "schedule_type": "OneTime",
        "date": now.strftime("%Y-%m-%d"),
        "hour": now.hour,
        "minute": 0,
        "duration_minutes": 180,
        "timezone": "UTC",
    }
    quiet = await followed_server(client, [alerter], "in-window", maintenance_windows=[window])
    loud = await followed_server(client, [alerter], "no-window")
    for server_id in (quiet, loud):
        await beats(publisher, [alerter], server_id, 90, 90, 90)
    # Only the server outside a window (the positive control) has an alert.
    assert [a["target"]["id"] for a in await open_alerts(client)] == [loud]


async def test_a_silent_server_is_unreachable_until_its_next_heartbeat(
    alerter: Alerter, client: BusClient, publisher: NatsClient
) -> None:
    server_id = await followed_server(client, [alerter])
    await beat(publisher, server_id, 10, interval_ms=300)
    query = {"resolved": False, "data.type": "ServerUnreachable", "target.id": server_id}

    async def unreachable() -> list[dict[str, Any]]:
        return list((await client.read("ListAlerts", {"query": query}))["alerts"])

    # Two missed heartbeats (and half an interval) after the last one; the check runs every second.
    [alert] = await eventually(unreachable, 10)
    assert alert["level"] == "CRITICAL" and "no heartbeat" in alert["data"]["data"]["err"]["error"]
    await beat(publisher, server_id, 10, interval_ms=300)

    async def back() -> bool:
        return bool((await client.read("GetAlert", {"id": alert["_id"]["$oid"]}))["resolved"])

    assert await eventually(back, 10)
