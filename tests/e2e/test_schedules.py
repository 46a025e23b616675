"""Schedules of procedures and actions on real NATS and Mongo: runs as Komodo's Procedure / Action user when a
schedule fires, once per fire time with two executor replicas, a claim left by a dead replica started once,
missed fires skipped, bad schedules refused when written, ListSchedules and the list infos."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.entities.common import ResourceTargetVariant
from contracts.events.schedule import ScheduleRun
from contracts.service_users import ACTION_USER_ID, PROCEDURE_USER_ID
from services.executor.app import Executor
from services.executor.schedules.store import fire_update_id, schedule_key
from tests.e2e.conftest import BusClient, running, service_settings
from tests.e2e.helpers import eventually, finished, write_behind

EVERY_2S = "*/2 * * * * *"
NONE_STAGE = [{"name": "s", "enabled": True, "executions": [{"execution": {"type": "None", "params": {}}}]}]


def now_ms() -> int:
    return int(time.time() * 1000)


async def create_procedure(client: BusClient, name: str, **config: Any) -> str:
    """A procedure with one `None` stage and the given schedule fields; its id."""
    created = await client.write(
        "CreateProcedure", {"name": name, "config": {"stages": NONE_STAGE, **config}}
    )
    return str(created["_id"]["$oid"])


async def updates_of(
    client: BusClient, operation: str, target_id: str, operator: str
) -> list[dict[str, Any]]:
    """The Updates (whole, oldest first) of one operation on one target by one user."""
    listed = await client.read("ListUpdates", {"query": {"operation": operation, "target.id": target_id}})
    items = listed["updates"] if isinstance(listed, dict) else listed
    ids = [item["id"] for item in items if item["operator"] == operator]
    return [await client.read("GetUpdate", {"id": i}) for i in reversed(ids)]


def cause(update: dict[str, Any]) -> str:
    """The first log (Cause) of an Update."""
    logs = [log for log in update["logs"] if log["stage"] == "Cause"]
    return str(logs[0]["stdout"]) if logs else ""


def second_executor(nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path) -> Any:
    """Another executor replica on the same databases."""
    return running(Executor(service_settings(nats_url, mongo_url, db_prefix, tmp_path)))


async def test_a_cron_schedule_runs_the_procedure_as_the_procedure_user(
    registry: Any, executor: Executor, client: BusClient, nats_url: str
) -> None:
    nc = await nats.connect(nats_url)
    sub = await nc.jetstream().subscribe(
        ScheduleRun.SUBJECT, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    try:
        procedure_id = await create_procedure(
            client, "ticking", schedule_format="Cron", schedule=EVERY_2S, schedule_timezone="Europe/Berlin"
        )

        async def ran() -> list[dict[str, Any]]:
            return await updates_of(client, "RunProcedure", procedure_id, PROCEDURE_USER_ID)

        runs = await eventually(ran, seconds=15)
        assert runs, "the schedule did not run the procedure"
        done = await finished(client, runs[-1])
        assert done["success"] is True, done["logs"]
        assert cause(done).startswith("Schedule: run at "), done["logs"]
        assert "'*/2 * * * * *', time zone Europe/Berlin" in cause(done)

        # schedule_alert (on by default): a ScheduleRun event for the run, through the outbox.
        msg = await sub.next_msg(timeout=10)
        event = json.loads(msg.data)
        assert event["resource"] == {"type": "Procedure", "id": procedure_id}
        assert event["name"] == "ticking" and event["resource_type"] == "Procedure"
        assert event["update_id"] in {r["_id"]["$oid"] for r in await ran()}

        listed = await client.read("ListProcedures", {})
        info = next(item["info"] for item in listed if item["name"] == "ticking")
        assert info["schedule_error"] is None
        assert info["next_scheduled_run"] > now_ms() - 3000
        assert info["last_run_at"] is not None

        schedules = await client.read("ListSchedules", {})
        assert [(s["name"], s["target"]["type"], s["schedule"]) for s in schedules] == [
            ("ticking", "Procedure", EVERY_2S)
        ]
        assert schedules[0]["schedule_timezone"] == "Europe/Berlin" and schedules[0]["enabled"] is True
        assert schedules[0]["next_scheduled_run"] is not None and schedules[0]["last_run_at"] is not None

        # Turned off through the registry: the executor hears it (ResourceChanged) and stops.
        await client.write("UpdateProcedure", {"id": "ticking", "config": {"schedule_enabled": False}})

        async def stopped() -> bool:
            listed = await client.read("ListSchedules", {})
            return listed[0]["enabled"] is False and listed[0]["next_scheduled_run"] is None

        assert await eventually(stopped, seconds=10)
        await asyncio.sleep(0.5)  # a run claimed just before the change may still start
        count = len(await ran())
        await asyncio.sleep(4.5)
        assert len(await ran()) == count, "it ran after its schedule was turned off"
    finally:
        await sub.unsubscribe()
        await nc.close()


async def test_an_english_schedule_runs_the_action_as_the_action_user(
    registry: Any, executor: Executor, client: BusClient
) -> None:
    created = await client.write(
        "CreateAction",
        {
            "name": "ticker",
            "config": {
                "language": "Python",
                "file_contents": "print('tick')",
                "schedule_format": "English",
                "schedule": "Every 2 seconds",
                "schedule_alert": False,
            },
        },
    )
    action_id = str(created["_id"]["$oid"])

    async def ran() -> list[dict[str, Any]]:
        return await updates_of(client, "RunAction", action_id, ACTION_USER_ID)

    runs = await eventually(ran, seconds=15)
    assert runs, "the schedule did not run the action"
    done = await finished(client, runs[-1], seconds=30)
    assert done["success"] is True, done["logs"]
    assert "English schedule 'Every 2 seconds'" in cause(done)
    await client.write("UpdateAction", {"id": "ticker", "config": {"schedule": ""}})

    listed = await client.read("ListActions", {})
    info = next(item["info"] for item in listed if item["name"] == "ticker")
    assert info["last_run_at"] is not None
    assert await eventually(lambda: _no_schedules(client), seconds=10)
    # No alert asked: no event rode in the claims.
    fires = await executor.db["ScheduleFire"].find({"target_id": action_id}).to_list(None)
    assert fires and all(not f.get("_outbox") and not f.get("_outbox_n") for f in fires)


async def _no_schedules(client: BusClient) -> bool:
    return await client.read("ListSchedules", {}) == []


async def test_two_replicas_run_each_fire_time_once(
    registry: Any,
    executor: Executor,
    client: BusClient,
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    # An action, not a procedure: runs of one action may overlap, so nothing but the schedule's own rules
    # (the claim per fire time, the Update id derived from it) keeps a fire time from running twice.
    async with second_executor(nats_url, mongo_url, db_prefix, tmp_path) as second:
        config = {"language": "Python", "file_contents": "print('shared')", "schedule_format": "Cron"}
        created = await client.write(
            "CreateAction", {"name": "shared", "config": {**config, "schedule": EVERY_2S}}
        )
        action_id = str(created["_id"]["$oid"])

        async def enough() -> bool:
            return len(await updates_of(client, "RunAction", action_id, ACTION_USER_ID)) >= 5

        assert await eventually(enough, seconds=30)
        await client.write("UpdateAction", {"id": "shared", "config": {"schedule": ""}})
        await asyncio.sleep(1.5)
        runs = await updates_of(client, "RunAction", action_id, ACTION_USER_ID)
        per_fire = Counter(cause(run) for run in runs)
        assert all(n == 1 for n in per_fire.values()), per_fire
        started = await executor.db["ScheduleFire"].count_documents(
            {"target_id": action_id, "status": "Started"}
        )
        assert started == len(runs) == len(per_fire)
        # Both replicas raced for the fire times (each lost some), and between them started each once.
        assert executor.schedules.lost + second.schedules.lost >= len(runs) - 1
        assert executor.schedules.fired + second.schedules.fired == len(runs)


async def test_a_claim_left_by_a_dead_replica_starts_once_and_missed_fires_are_skipped(
    registry: Any, executor: Executor, client: BusClient
) -> None:
    procedure_id = await create_procedure(client, "nightly", schedule="Every day at 03:00")
    key = schedule_key_of(procedure_id)
    assert await eventually(lambda: _has_schedule(executor, key), seconds=10)

    # A replica claimed the fire time 5 s ago and died before starting the run.
    fire = now_ms() - 5000
    update_id = fire_update_id(key, fire)
    claim = {
        "_id": f"{key}:{fire}",
        "schedule": key,
        "type": "Procedure",
        "target_id": procedure_id,
        "name": "nightly",
        "fire": fire,
        "update_id": update_id,
        "alert": False,
        "cause": "Schedule: a test",
        "status": "Claimed",
        "claimed_at": now_ms() - 20_000,
        "owner": "dead",
    }
    await executor.db["ScheduleFire"].insert_one(claim)
    update = await eventually(lambda: _update(client, update_id), seconds=10)
    assert update is not None, "the claim was not started"
    assert update["operator"] == PROCEDURE_USER_ID
    assert (await finished(client, update))["success"] is True
    # Started again (the dead replica's request was in flight after all): the same Update, no second run.
    await executor.schedules.start_run(claim)
    runs = await updates_of(client, "RunProcedure", procedure_id, PROCEDURE_USER_ID)
    assert [r["_id"]["$oid"] for r in runs] == [update_id]
    assert (await executor.db["ScheduleFire"].find_one({"_id": claim["_id"]}) or {})["status"] == "Started"

    # Every executor was down at the fire time two minutes ago: it is skipped, the next one is tomorrow's.
    missed = now_ms() - 120_000
    await executor.db["Schedule"].update_one({"_id": key}, {"$set": {"next_run": missed}})

    async def moved() -> bool:
        doc = await executor.db["Schedule"].find_one({"_id": key})
        return bool(doc and doc["next_run"] > now_ms())

    assert await eventually(moved, seconds=10)
    assert await executor.db["ScheduleFire"].count_documents({"fire": missed}) == 0
    assert len(await updates_of(client, "RunProcedure", procedure_id, PROCEDURE_USER_ID)) == 1


def schedule_key_of(procedure_id: str) -> str:
    return schedule_key(ResourceTargetVariant.Procedure, procedure_id)


async def _has_schedule(executor: Executor, key: str) -> bool:
    doc = await executor.db["Schedule"].find_one({"_id": key})
    return bool(doc and doc.get("next_run"))


async def _update(client: BusClient, update_id: str) -> dict[str, Any] | None:
    answer = await client.send("read", "GetUpdate", {"id": update_id})
    return answer.body if answer.status == 200 else None


@pytest.mark.parametrize(
    ("request_name", "config", "message"),
    [
        (
            "CreateProcedure",
            {"schedule": "whenever it suits"},
            "config.schedule: cannot read the English schedule 'whenever it suits': 'whenever' is not understood",
        ),
        (
            "CreateAction",
            {"schedule_format": "Cron", "schedule": "0 0 3 * *"},
            "config.schedule: the cron schedule '0 0 3 * *' has 5 fields; it needs 6, seconds first",
        ),
        (
            "CreateProcedure",
            {"schedule_format": "Cron", "schedule": "0 0 3 * * BLURSDAY"},
            "config.schedule: the cron schedule '0 0 3 * * BLURSDAY' is not valid: Bad day-of-week",
        ),
        (
            "CreateAction",
            {"schedule": "Every day at 03:00", "schedule_timezone": "Mars/Olympus_Mons"},
            "config.schedule_timezone: unknown time zone 'Mars/Olympus_Mons'",
        ),
    ],
)
async def test_bad_schedules_are_refused_when_written(
    registry: Any, client: BusClient, request_name: str, config: dict[str, Any], message: str
) -> None:
    answer = await client.send("write", request_name, {"name": "bad", "config": config})
    assert answer.status == 400 and answer.error.startswith(message), answer.body


async def test_updates_are_checked_and_list_schedules_filters_and_sorts(
    registry: Any, executor: Executor, client: BusClient
) -> None:
    await client.write("CreateTag", {"name": "nightly"})
    await create_procedure(client, "b-backup", schedule="Every day at 03:00")
    await create_procedure(client, "a-unscheduled")
    await client.write(
        "CreateAction",
        {"name": "c-report", "config": {"schedule": "Every Monday at 09:00", "language": "Python"}},
    )
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Action", "id": "c-report"}, "tags": ["nightly"]}
    )

    answer = await client.send(
        "write", "UpdateProcedure", {"id": "b-backup", "config": {"schedule": "at 27:00"}}
    )
    assert (
        answer.status == 400
        and "config.schedule: cannot read the English schedule 'at 27:00'" in answer.error
    )

    async def both() -> list[dict[str, Any]] | None:
        listed = await client.read("ListSchedules", {})
        return listed if all(s["next_scheduled_run"] for s in listed) and len(listed) == 2 else None

    listed = await eventually(both, seconds=10)
    assert listed is not None
    assert [s["name"] for s in listed] == ["b-backup", "c-report"]
    assert listed[0]["schedule_format"] == "English" and listed[0]["schedule_error"] is None
    tagged = await client.read("ListSchedules", {"tags": ["nightly"]})
    assert [s["name"] for s in tagged] == ["c-report"]
    assert [
        s["name"] for s in await client.read("ListSchedules", {"sort_by": "Name", "sort_desc": True})
    ] == [
        "c-report",
        "b-backup",
    ]
    by_next = await client.read("ListSchedules", {"sort_by": "NextRun"})
    assert by_next[0]["next_scheduled_run"] <= by_next[1]["next_scheduled_run"]
    assert [s["name"] for s in await client.read("ListSchedules", {"limit": 1, "page": 1})] == ["c-report"]

    scheduled = {"query": {"specific": {"scheduled": True}}}
    assert [p["name"] for p in await client.read("ListProcedures", scheduled)] == ["b-backup"]
    unscheduled = {"query": {"specific": {"scheduled": False}}}
    assert [p["name"] for p in await client.read("ListProcedures", unscheduled)] == ["a-unscheduled"]
    assert [a["name"] for a in await client.read("ListActions", scheduled)] == ["c-report"]

    # A schedule stored before it was checked (older data, a sync from elsewhere) shows its error instead.
    await write_behind(
        registry, "Procedure", {"name": "b-backup"}, {"$set": {"config.schedule": "now and then"}}
    )
    await executor.schedules.reload()
    listed = await client.read("ListSchedules", {"terms": ["backup"]})
    assert listed[0]["next_scheduled_run"] is None
    assert "cannot read the English schedule 'now and then'" in listed[0]["schedule_error"]
    items = await client.read("ListProcedures", {})
    info = next(item["info"] for item in items if item["name"] == "b-backup")
    assert info["schedule_error"] == listed[0]["schedule_error"]
