"""The registry over the bus, driven as a Komodo client would: resources, references, queries and bad input."""

from __future__ import annotations

import time
from typing import Any

import pytest

from services.registry.app import Registry
from tests.e2e.conftest import BusClient

KIND_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("Server", {"address": "", "region": "eu", "enabled": True}),
    ("Deployment", {"image": {"type": "Image", "params": {"image": "local/busybox:1"}}, "ports": "8080:80"}),
    ("Stack", {"file_contents": "services:\n  web:\n    image: local/busybox:1\n"}),
    ("Build", {"dockerfile": "FROM local/busybox:1\n", "files_on_host": False}),
    ("Repo", {"repo": "acme/app", "branch": "main"}),
    ("Builder", {"type": "Server", "params": {}}),
    ("Procedure", {"stages": [{"name": "one", "executions": []}]}),
    ("Action", {"file_contents": "console.log('hi')"}),
    ("ResourceSync", {"file_contents": "[[server]]\nname = 'x'\n"}),
    (
        "Alerter",
        {"enabled": True, "endpoint": {"type": "Custom", "params": {"url": "http://127.0.0.1:9/hook"}}},
    ),
    ("ServerTemplate", {"type": "Hetzner", "params": {}}),
]

PRIMARY = {"ResourceSync": "sync", "ServerTemplate": "server_template"}


def plural(kind: str) -> str:
    return f"{kind}s"


async def count_documents(registry: Registry, collection: str) -> int:
    return await registry.db[collection].count_documents({})


@pytest.mark.parametrize(("kind", "config"), KIND_SAMPLES, ids=[k for k, _ in KIND_SAMPLES])
async def test_every_kind_round_trips(client: BusClient, kind: str, config: dict[str, Any]) -> None:
    created = await client.write(f"Create{kind}", {"name": f"my-{kind.lower()}", "config": config})
    assert set(created["_id"]) == {"$oid"}
    assert created["name"] == f"my-{kind.lower()}"
    for key, value in config.items():
        if isinstance(value, str):  # Komodo normalises multi-line text (trailing newline, trimmed contents)
            assert created["config"][key].strip() == value.strip(), key
        elif isinstance(value, bool | int | float):
            assert created["config"][key] == value, key
    primary = PRIMARY.get(kind, kind.lower())
    by_name = await client.read(f"Get{kind}", {primary: f"my-{kind.lower()}"})
    by_id = await client.read(f"Get{kind}", {"id": created["_id"]["$oid"]})
    assert by_name == by_id == created
    items = await client.read(f"List{plural(kind)}", {})
    assert [(i["id"], i["type"], i["name"]) for i in items] == [
        (created["_id"]["$oid"], kind, f"my-{kind.lower()}")
    ]
    full = await client.read(f"ListFull{plural(kind)}", {})
    assert full == [created]
    summary = await client.read(f"Get{plural(kind)}Summary", {})
    assert summary["total"] == 1


async def test_references_accept_names_and_store_ids(client: BusClient, registry: Registry) -> None:
    server = await client.write("CreateServer", {"name": "srv-1"})
    server_id = server["_id"]["$oid"]
    build = await client.write("CreateBuild", {"name": "app"})
    deployment = await client.write(
        "CreateDeployment",
        {
            "name": "web",
            "config": {"server": "srv-1", "image": {"type": "Build", "params": {"build": "app"}}},
        },
    )
    assert deployment["config"]["server_id"] == server_id
    assert deployment["config"]["image"] == {
        "type": "Build",
        "params": {"build_id": build["_id"]["$oid"], "version": {"major": 0, "minor": 0, "patch": 0}},
    }
    stored = await registry.db["Deployment"].find_one({"name": "web"})
    assert stored is not None and stored["config"]["server_id"] == server_id

    items = await client.read("ListDeployments", {"query": {"specific": {"server_ids": [server_id]}}})
    assert [i["name"] for i in items] == ["web"]
    assert items[0]["info"]["server_id"] == server_id
    assert items[0]["info"]["server_name"] == "srv-1"

    # Deleting the server clears the reference instead of leaving it dangling.
    await client.write("DeleteServer", {"id": "srv-1"})
    after = await client.read("GetDeployment", {"deployment": "web"})
    assert after["config"]["server_id"] == ""


async def test_dangling_reference_writes_nothing(client: BusClient, registry: Registry) -> None:
    answer = await client.send("write", "CreateDeployment", {"name": "web", "config": {"server": "nowhere"}})
    assert answer.status == 400
    assert answer.error == "config.server_id: no Server named or with id 'nowhere'"
    assert await count_documents(registry, "Deployment") == 0


async def test_update_merges_partial_config_and_records_update(client: BusClient) -> None:
    created = await client.write(
        "CreateDeployment", {"name": "web", "config": {"network": "bridge", "environment": "A=1"}}
    )
    updated = await client.write("UpdateDeployment", {"id": "web", "config": {"environment": "A=2\nB=3"}})
    assert updated["config"]["network"] == "bridge"
    assert updated["config"]["environment"] == "A=2\nB=3\n"
    assert updated["config"]["restart"] == "no"  # Komodo's default stays

    updates = (await client.read("ListUpdates", {"query": {"target.id": created["_id"]["$oid"]}}))["updates"]
    assert [u["operation"] for u in updates] == ["UpdateDeployment", "CreateDeployment"]
    assert all(u["status"] == "Complete" and u["success"] for u in updates)
    full = await client.read("GetUpdate", {"id": updates[0]["id"]})
    assert 'environment = "A=1\\n"' in full["prev_toml"]
    assert "B=3" in full["current_toml"]
    assert "+environment" in full["logs"][0]["stdout"]


async def test_wrong_types_and_unknown_fields(client: BusClient, registry: Registry) -> None:
    await client.write("CreateDeployment", {"name": "web"})
    bad = await client.send(
        "write", "UpdateDeployment", {"id": "web", "config": {"termination_timeout": "soon"}}
    )
    assert bad.status == 400
    assert "config.termination_timeout" in bad.error
    still = await client.read("GetDeployment", {"deployment": "web"})
    assert still["config"]["termination_timeout"] == 10
    ignored = await client.write(
        "UpdateDeployment", {"id": "web", "config": {"no_such_field": 1, "network": "x"}}
    )
    assert "no_such_field" not in ignored["config"] and ignored["config"]["network"] == "x"


async def test_rename_copy_delete(client: BusClient, registry: Registry) -> None:
    await client.write("CreateStack", {"name": "shop", "config": {"environment": "X=1"}})
    rename = await client.write("RenameStack", {"id": "shop", "name": "store"})
    assert rename["operation"] == "RenameStack" and rename["success"] is True
    copy = await client.write("CopyStack", {"name": "store-2", "id": "store"})
    assert copy["config"]["environment"] == "X=1\n"
    taken = await client.send("write", "RenameStack", {"id": "store-2", "name": "store"})
    assert taken.status == 409 and "already exists" in taken.error
    deleted = await client.write("DeleteStack", {"id": "store"})
    assert deleted["name"] == "store"
    missing = await client.send("read", "GetStack", {"stack": "store"})
    assert missing.status == 404 and missing.error == "no Stack named or with id 'store'"
    assert await count_documents(registry, "Stack") == 1


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "must not be empty"),
        ("a" * 300, "limit is 128"),
        ("../../etc", "not allowed"),
        ("x;rm", "not allowed"),
    ],
)
async def test_bad_names_write_nothing(
    client: BusClient, registry: Registry, name: str, fragment: str
) -> None:
    answer = await client.send("write", "CreateServer", {"name": name})
    assert answer.status == 400 and fragment in answer.error
    assert await count_documents(registry, "Server") == 0


async def test_duplicate_name(client: BusClient, registry: Registry) -> None:
    await client.write("CreateBuild", {"name": "app"})
    again = await client.send("write", "CreateBuild", {"name": "app"})
    assert again.status == 409 and again.error == "a Build named 'app' already exists"
    assert await count_documents(registry, "Build") == 1


async def test_malformed_and_unknown_requests(client: BusClient) -> None:
    malformed = await client.send("write", "CreateServer", raw=b'{"name": ')
    assert malformed.status == 400 and "malformed JSON in CreateServer request" in malformed.error
    missing = await client.send("write", "CreateServer", {})
    assert missing.status == 400 and "name: Field required" in missing.error
    unknown = await client.send("read", "GetDeploymnt", {"deployment": "x"})
    assert unknown.status == 400 and unknown.error == "unknown read request type 'GetDeploymnt'"
    started = time.monotonic()
    nobody = await client.send("execute", "Deploy", {"deployment": "x"})  # the executor is not running
    assert nobody.status == 503 and nobody.error == "no service answers Deploy right now"
    assert time.monotonic() - started < 2


async def test_queries_pages_and_tags(client: BusClient) -> None:
    for name in ("api-eu", "api-us", "web-eu", "worker"):
        await client.write("CreateServer", {"name": name})
    prod = await client.write("CreateTag", {"name": "prod", "color": "Red"})
    await client.write("CreateTag", {"name": "eu"})
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Server", "id": "api-eu"}, "tags": ["prod", "eu"]}
    )
    await client.write("UpdateResourceMeta", {"target": {"type": "Server", "id": "web-eu"}, "tags": ["eu"]})
    await client.write("UpdateResourceMeta", {"target": {"type": "Server", "id": "worker"}, "template": True})

    async def names(params: dict[str, Any]) -> list[str]:
        return [i["name"] for i in await client.read("ListServers", params)]

    assert await names({}) == ["api-eu", "api-us", "web-eu", "worker"]
    assert await names({"query": {"terms": ["API"]}}) == ["api-eu", "api-us"]
    assert await names({"query": {"names": ["worker", "api-us"]}}) == ["api-us", "worker"]
    assert await names({"query": {"tags": ["prod", "eu"]}}) == ["api-eu"]
    assert await names({"query": {"tags": ["prod", "eu"], "tag_behavior": "Any"}}) == ["api-eu", "web-eu"]
    assert await names({"query": {"templates": "Only"}}) == ["worker"]
    assert await names({"query": {"templates": "Exclude"}}) == ["api-eu", "api-us", "web-eu"]
    assert await names({"limit": 2, "page": 1}) == ["web-eu", "worker"]
    assert await names({"sort_desc": True, "limit": 0}) == ["worker", "web-eu", "api-us", "api-eu"]

    bad_tag = await client.send(
        "write", "UpdateResourceMeta", {"target": {"type": "Server", "id": "api-us"}, "tags": ["nope"]}
    )
    assert bad_tag.status == 400 and "nope" in bad_tag.error

    await client.write("DeleteTag", {"id": prod["_id"]["$oid"]})
    server = await client.read("GetServer", {"server": "api-eu"})
    assert prod["_id"]["$oid"] not in server["tags"] and len(server["tags"]) == 1


async def test_type_filters_of_alerters_and_templates(client: BusClient) -> None:
    await client.write(
        "CreateAlerter", {"name": "hook", "config": {"endpoint": {"type": "Custom", "params": {}}}}
    )
    await client.write(
        "CreateAlerter", {"name": "chat", "config": {"endpoint": {"type": "Slack", "params": {}}}}
    )
    slack = await client.read("ListAlerters", {"query": {"specific": {"types": ["Slack"]}}})
    assert [a["name"] for a in slack] == ["chat"]
    await client.write("CreateServerTemplate", {"name": "aws", "config": {"type": "Aws", "params": {}}})
    await client.write("CreateServerTemplate", {"name": "hz", "config": {"type": "Hetzner", "params": {}}})
    hetzner = await client.read("ListServerTemplates", {"query": {"specific": {"types": ["Hetzner"]}}})
    assert [t["name"] for t in hetzner] == ["hz"]
    server = await client.write("CreateServer", {"name": "build-host"})
    await client.write(
        "CreateBuilder", {"name": "b", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}}
    )
    builders = await client.read("ListBuilders", {})
    assert builders[0]["info"] == {"builder_type": "Server", "instance_type": server["_id"]["$oid"]}


async def test_list_answers_validate_against_the_contracts_also_without_references(client):
    """What a typed client (the CLI, the executor) reads back must validate: an absent server is "" not null."""
    from contracts.api.base import find_request

    await client.write("CreateDeployment", {"name": "no-server"})
    await client.write("CreateStack", {"name": "no-server-stack"})
    await client.write("CreateRepo", {"name": "no-server-repo"})
    await client.write("CreateBuild", {"name": "no-builder-build"})
    for name in ("ListDeployments", "ListStacks", "ListRepos", "ListBuilds", "ListServers", "ListProcedures"):
        request_cls = find_request("read", name)
        assert request_cls is not None
        request_cls.response_adapter().validate_python(await client.read(name, {}))
