"""Secrets at rest, Updates recorded by executing services, and events — through the bus."""

from __future__ import annotations

import asyncio
import json

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.registry.app import Registry
from tests.e2e.conftest import BusClient

SECRET = "sup3r-s3cret-value-42"


async def test_secret_variable_is_encrypted_and_never_in_updates(
    client: BusClient, registry: Registry
) -> None:
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": SECRET, "is_secret": True})
    await client.write("CreateVariable", {"name": "REGION", "value": "eu-1"})
    stored = await registry.db["Variable"].find_one({"name": "DB_PASSWORD"})
    assert stored is not None and SECRET not in json.dumps(stored, default=str)
    assert (await client.read("GetVariable", {"name": "DB_PASSWORD"}))["value"] == SECRET
    await client.write("UpdateVariableValue", {"name": "DB_PASSWORD", "value": SECRET + "-new"})
    updates = (await client.read("ListUpdates", {}))["updates"]
    assert {u["operation"] for u in updates} >= {"CreateVariable", "UpdateVariableValue"}
    for item in updates:
        full = await client.read("GetUpdate", {"id": item["id"]})
        assert SECRET not in json.dumps(full)
    listed = await client.read("ListVariables", {})
    assert [v["name"] for v in listed] == ["DB_PASSWORD", "REGION"]
    bad = await client.send("write", "CreateVariable", {"name": "BAD NAME]]", "value": "x"})
    assert bad.status == 400 and "not allowed" in bad.error


async def test_account_tokens_are_encrypted(client: BusClient, registry: Registry) -> None:
    account = await client.write(
        "CreateGitProviderAccount", {"account": {"domain": "git.local", "username": "ci", "token": SECRET}}
    )
    stored = await registry.db["GitProviderAccount"].find_one({})
    assert stored is not None and SECRET not in json.dumps(stored, default=str)
    fetched = await client.read("GetGitProviderAccount", {"id": account["_id"]["$oid"]})
    assert fetched["token"] == SECRET and fetched["https"] is True
    dup = await client.send(
        "write",
        "CreateGitProviderAccount",
        {"account": {"domain": "git.local", "username": "ci", "token": "x"}},
    )
    assert dup.status == 409
    registry_account = await client.write(
        "CreateImageRegistryAccount",
        {"account": {"domain": "127.0.0.1:5000", "username": "pusher", "token": SECRET}},
    )
    await client.write(
        "UpdateImageRegistryAccount",
        {"id": registry_account["_id"]["$oid"], "account": {"token": SECRET + "2"}},
    )
    listed = await client.read("ListImageRegistryAccounts", {"domain": "127.0.0.1:5000"})
    assert [a["token"] for a in listed] == [SECRET + "2"]
    for item in (await client.read("ListUpdates", {}))["updates"]:
        assert SECRET not in json.dumps(await client.read("GetUpdate", {"id": item["id"]}))


async def test_webhook_secret_is_encrypted_at_rest(client: BusClient, registry: Registry) -> None:
    await client.write("CreateStack", {"name": "shop", "config": {"webhook_secret": SECRET}})
    stored = await registry.db["Stack"].find_one({"name": "shop"})
    assert stored is not None and SECRET not in json.dumps(stored, default=str)
    assert (await client.read("GetStack", {"stack": "shop"}))["config"]["webhook_secret"] == SECRET
    update = (await client.read("ListUpdates", {}))["updates"][0]
    assert SECRET not in json.dumps(await client.read("GetUpdate", {"id": update["id"]}))


async def test_execution_updates_lifecycle(client: BusClient, service_client: BusClient) -> None:
    server = await client.write("CreateServer", {"name": "srv"})
    target = {"type": "Server", "id": server["_id"]["$oid"]}
    update = await service_client.ok(
        "internal",
        "CreateUpdate",
        {"operation": "PruneImages", "target": target, "operator": "000000000000000000000000"},
    )
    assert update["status"] == "InProgress"
    uid = update["_id"]["$oid"]
    await service_client.ok(
        "internal", "AppendUpdateLog", {"id": uid, "log": {"stage": "Prune", "stdout": "ok", "success": True}}
    )
    await service_client.ok(
        "internal",
        "AppendUpdateLog",
        {"id": uid, "log": {"stage": "Check", "stderr": "bad", "success": False}},
    )
    finished = await service_client.ok("internal", "FinishUpdate", {"id": uid})
    assert finished["status"] == "Complete" and finished["success"] is False and finished["end_ts"]
    assert [entry["stage"] for entry in finished["logs"]] == ["Prune", "Check"]
    again = await service_client.send("internal", "FinishUpdate", {"id": uid})
    assert again.status == 409
    late = await service_client.send("internal", "AppendUpdateLog", {"id": uid, "log": {"stage": "x"}})
    assert late.status == 409
    missing = await client.send("read", "GetUpdate", {"id": "000000000000000000000099"})
    assert missing.status == 404
    page = await client.read("ListUpdates", {"query": {"operation": "PruneImages"}})
    assert [u["id"] for u in page["updates"]] == [uid] and page["next_page"] is None
    assert page["updates"][0]["username"] == "System"


async def test_list_updates_pages_of_100(client: BusClient, service_client: BusClient) -> None:
    for index in range(105):
        await service_client.ok(
            "internal",
            "CreateUpdate",
            {
                "operation": "None",
                "target": {"type": "System", "id": ""},
                "operator": "000000000000000000000000",
                "other_data": str(index),
            },
        )
    first = await client.read("ListUpdates", {"query": {"operation": "None"}})
    assert len(first["updates"]) == 100 and first["next_page"] == 1
    second = await client.read("ListUpdates", {"query": {"operation": "None"}, "page": 1})
    assert len(second["updates"]) == 5 and second["next_page"] is None
    refused = await client.send("read", "ListUpdates", {"query": {"$where": "1"}})
    assert refused.status == 400


async def test_changes_publish_events(client: BusClient, nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sub = await js.subscribe(
        "komodo.event.>", config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW), ordered_consumer=True
    )
    try:
        created = await client.write("CreateBuild", {"name": "ops"})
        await client.write("RenameBuild", {"id": "ops", "name": "oncall"})
        seen: list[tuple[str, dict[str, object]]] = []
        deadline = asyncio.get_running_loop().time() + 10
        while len([s for s in seen if s[0].endswith("ResourceChanged")]) < 2:
            assert asyncio.get_running_loop().time() < deadline, f"events seen: {seen}"
            msg = await sub.next_msg(timeout=5)
            seen.append((msg.subject, json.loads(msg.data)))
        changes = [body for subject, body in seen if subject == "komodo.event.resource.ResourceChanged"]
        assert [c["change"] for c in changes] == ["Created", "Renamed"]
        assert changes[0]["resource"] == {"type": "Build", "id": created["_id"]["$oid"]}
        assert changes[1]["previous_name"] == "ops" and changes[1]["name"] == "oncall"
        assert any(subject == "komodo.event.update.UpdateChanged" for subject, _ in seen)
    finally:
        await sub.unsubscribe()
        await nc.close()
