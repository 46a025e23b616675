"""The permission matrix as users meet it: what a non-admin sees, may change, and is refused, over the bus."""

from __future__ import annotations

import nats
import pytest
from bson import ObjectId

from tests.e2e.conftest import BusClient, grant
from tests.e2e.helpers import write_behind


@pytest.fixture
async def fleet(client: BusClient) -> dict[str, str]:
    """A server and two deployments on it, created by the admin; ids by name."""
    server = await client.write("CreateServer", {"name": "host-1", "config": {"address": "https://h1:8120"}})
    ids = {"host-1": server["_id"]["$oid"]}
    for name in ("web", "db"):
        made = await client.write("CreateDeployment", {"name": name, "config": {"server_id": "host-1"}})
        ids[name] = made["_id"]["$oid"]
    return ids


async def names(bus: BusClient, request: str = "ListDeployments") -> list[str]:
    return [item["name"] for item in await bus.read(request, {})]


async def test_no_permission_means_not_listed_and_refused(alice, fleet, client):
    bus, _ = alice
    assert await names(bus) == []
    assert await names(bus, "ListFullDeployments") == []
    assert (await bus.read("GetDeploymentsSummary", {}))["total"] == 0
    denied = await bus.send("read", "GetDeployment", {"deployment": "web"})
    assert denied.status == 403
    assert "Read" in denied.error and "web" in denied.error
    assert (await client.read("GetDeploymentsSummary", {}))["total"] == 2


async def test_read_sees_but_cannot_change(alice, fleet, client):
    bus, _ = alice
    await grant(client, "Read", "web")
    assert await names(bus) == ["web"]
    assert (await bus.read("GetDeployment", {"deployment": "web"}))["name"] == "web"
    level = await bus.read("GetPermission", {"target": {"type": "Deployment", "id": "web"}})
    assert level["level"] == "Read"
    refused = await bus.send("write", "UpdateDeployment", {"id": "web", "config": {"image": "x:1"}})
    assert refused.status == 403 and "Write" in refused.error
    assert (await bus.send("write", "RenameDeployment", {"id": "web", "name": "www"})).status == 403
    assert (await bus.send("write", "DeleteDeployment", {"id": "web"})).status == 403
    assert (await client.read("GetDeployment", {"deployment": "web"}))["config"]["image"] == {
        "type": "Image",
        "params": {"image": ""},
    }


async def test_execute_is_more_than_read_and_less_than_write(alice, fleet, client):
    bus, _ = alice
    await grant(client, "Execute", "web")
    level = await bus.read("GetPermission", {"target": {"type": "Deployment", "id": fleet["web"]}})
    assert level["level"] == "Execute"
    assert (await bus.send("write", "UpdateDeployment", {"id": "web", "config": {}})).status == 403


async def test_write_may_change_rename_and_delete(alice, fleet, client):
    bus, _ = alice
    await grant(client, "Write", "web")
    updated = await bus.write(
        "UpdateDeployment",
        {"id": "web", "config": {"image": {"type": "Image", "params": {"image": "nginx:1"}}}},
    )
    assert updated["config"]["image"]["params"]["image"] == "nginx:1"
    await bus.write("RenameDeployment", {"id": "web", "name": "www"})
    await bus.write("DeleteDeployment", {"id": "www"})
    assert await names(client) == ["db"]
    # The permission went with the deployment.
    assert await bus.read("ListPermissions", {}) == []


async def test_updates_are_filtered_by_permission(alice, fleet, client):
    bus, _ = alice
    await grant(client, "Read", "web")
    mine = (await bus.read("ListUpdates", {}))["updates"]
    targets = {update["target"]["id"] for update in mine}
    assert targets == {fleet["web"]}
    everything = (await client.read("ListUpdates", {}))["updates"]
    other = next(u for u in everything if u["target"]["id"] == fleet["db"])
    assert (await bus.send("read", "GetUpdate", {"id": other["id"]})).status == 403
    own = next(u for u in everything if u["target"]["id"] == fleet["web"])
    assert (await bus.read("GetUpdate", {"id": own["id"]}))["target"]["id"] == fleet["web"]


async def test_group_permissions_on_a_type_and_everyone(alice, fleet, client):
    bus, user_id = alice
    group = await client.write("CreateUserGroup", {"name": "ops"})
    await client.write(
        "UpdatePermissionOnResourceType",
        {
            "user_target": {"type": "UserGroup", "id": "ops"},
            "resource_type": "Deployment",
            "permission": "Read",
        },
    )
    assert await names(bus) == []
    await client.write("AddUserToUserGroup", {"user_group": "ops", "user": "alice"})
    assert await names(bus) == ["db", "web"]
    assert [g["name"] for g in await bus.read("ListUserGroups", {})] == ["ops"]
    await client.write("RemoveUserFromUserGroup", {"user_group": group["_id"]["$oid"], "user": user_id})
    assert await names(bus) == []
    await client.write("SetEveryoneUserGroup", {"user_group": "ops", "everyone": True})
    assert await names(bus) == ["db", "web"]
    await client.write("DeleteUserGroup", {"id": group["_id"]["$oid"]})
    assert await names(bus) == []


async def test_user_wide_permission_and_specifics_inherited_from_the_server(alice, fleet, client):
    bus, _ = alice
    await client.write(
        "UpdatePermissionOnResourceType",
        {"user_target": {"type": "User", "id": "alice"}, "resource_type": "Server", "permission": "Read"},
    )
    assert await names(bus, "ListServers") == ["host-1"]
    await grant(client, {"level": "Read", "specific": ["Logs", "Inspect"]}, "host-1", kind="Server")
    await grant(client, "Read", "web")
    level = await bus.read("GetPermission", {"target": {"type": "Deployment", "id": "web"}})
    assert level["level"] == "Read"
    assert sorted(level["specific"]) == ["Inspect", "Logs"]


async def test_base_permission_lets_everyone_read(alice, fleet, client, registry):
    bus, _ = alice
    # base_permission is set by resource syncs; the registry stores it on the resource.
    await write_behind(
        registry,
        "Deployment",
        {"_id": ObjectId(fleet["db"])},
        {"$set": {"base_permission": {"level": "Read", "specific": []}}},
    )
    assert await names(bus) == ["db"]


async def test_creating_gives_the_creator_write_and_respects_the_create_flags(alice, client):
    bus, user_id = alice
    made = await bus.write("CreateDeployment", {"name": "mine"})
    assert await names(bus) == ["mine"]
    level = await bus.read("GetPermission", {"target": {"type": "Deployment", "id": made["_id"]["$oid"]}})
    assert level["level"] == "Write"
    refused = await bus.send("write", "CreateServer", {"name": "my-host"})
    assert refused.status == 403 and "may not create servers" in refused.error
    await client.write("UpdateUserBasePermissions", {"user_id": user_id, "create_servers": True})
    assert (await bus.write("CreateServer", {"name": "my-host"}))["name"] == "my-host"


async def test_secrets_are_hidden_from_non_admins(alice, client):
    bus, _ = alice
    await client.write("CreateVariable", {"name": "TOKEN", "value": "s3cr3t-value", "is_secret": True})
    await client.write("CreateVariable", {"name": "REGION", "value": "eu-1"})
    shown = {v["name"]: v["value"] for v in await bus.read("ListVariables", {})}
    assert shown == {"REGION": "eu-1", "TOKEN": "<redacted>"}
    assert (await bus.read("GetVariable", {"name": "TOKEN"}))["value"] == "<redacted>"
    assert (await client.read("GetVariable", {"name": "TOKEN"}))["value"] == "s3cr3t-value"
    repo = await client.write("CreateRepo", {"name": "repo", "config": {"webhook_secret": "hook-secret"}})
    await grant(client, "Write", repo["_id"]["$oid"], kind="Repo")
    seen = await bus.read("GetRepo", {"repo": "repo"})
    assert seen["config"]["webhook_secret"] == "<redacted>"
    # Sending the redacted value back keeps the secret.
    await bus.write("UpdateRepo", {"id": "repo", "config": {**seen["config"], "branch": "dev"}})
    stored = await client.read("GetRepo", {"repo": "repo"})
    assert stored["config"]["webhook_secret"] == "hook-secret"
    assert stored["config"]["branch"] == "dev"


async def test_admin_only_requests_are_refused_to_users(alice, client):
    bus, user_id = alice
    for kind, name, params in (
        ("write", "CreateLocalUser", {"username": "bob", "password": "bob-password"}),
        ("read", "ListUsers", {}),
        ("read", "FindUser", {"user": "alice"}),
        ("write", "CreateUserGroup", {"name": "g"}),
        ("write", "CreateVariable", {"name": "X", "value": "1"}),
        ("read", "ListGitProviderAccounts", {}),
        ("write", "UpdateUserBasePermissions", {"user_id": user_id, "create_servers": True}),
        (
            "write",
            "UpdatePermissionOnTarget",
            {
                "user_target": {"type": "User", "id": user_id},
                "resource_target": {"type": "Server", "id": "x"},
                "permission": "Write",
            },
        ),
        ("write", "UpdateUserAdmin", {"user_id": user_id, "admin": True}),
    ):
        answer = await bus.send(kind, name, params)
        assert answer.status == 403, f"{name} answered {answer.status}"


async def test_users_service_users_and_their_keys(alice, client, registry, nats_url):
    _, alice_id = alice
    listed = await client.read("ListUsers", {})
    assert {u["username"] for u in listed} == {"e2e-admin", "alice"}
    assert all(u["config"].get("data", {}).get("password", "") == "" for u in listed)
    assert (await client.read("FindUser", {"user": "alice"}))["_id"]["$oid"] == alice_id
    assert (await client.read("GetUsername", {"user_id": alice_id}))["username"] == "alice"

    robot = await client.write("CreateServiceUser", {"username": "ci-robot", "description": "CI"})
    robot_id = robot["_id"]["$oid"]
    assert [u["username"] for u in await client.read("ListUsers", {"service_users": "Only"})] == ["ci-robot"]
    described = await client.write(
        "UpdateServiceUserDescription", {"username": "ci-robot", "description": "CI jobs"}
    )
    assert described["config"] == {"type": "Service", "data": {"description": "CI jobs"}}
    created = await client.write("CreateApiKeyForServiceUser", {"user_id": robot_id, "name": "ci"})
    keys = await client.read("ListApiKeysForServiceUser", {"user": "ci-robot"})
    assert [(k["key"], k["secret"]) for k in keys] == [(created["key"], "")]

    nc = await nats.connect(nats_url)
    try:
        robot_bus = BusClient(nc, {"X-Api-Key": created["key"], "X-Api-Secret": created["secret"]})
        assert await robot_bus.read("ListDeployments", {}) == []
        assert [k["name"] for k in await robot_bus.read("ListApiKeys", {})] == ["ci"]
    finally:
        await nc.close()
    refused = await client.send("write", "CreateApiKeyForServiceUser", {"user_id": alice_id, "name": "x"})
    assert refused.status == 400 and "not a service user" in refused.error
    await client.write("DeleteApiKeyForServiceUser", {"key": created["key"]})
    assert await client.read("ListApiKeysForServiceUser", {"user": robot_id}) == []

    await client.write("DeleteUser", {"user": "alice"})
    assert {u["username"] for u in await client.read("ListUsers", {})} == {"e2e-admin", "ci-robot"}
    assert (await client.send("read", "FindUser", {"user": "alice"})).status == 404


async def test_admin_flags(alice, client, registry):
    _, alice_id = alice
    await client.write("UpdateUserAdmin", {"user_id": alice_id, "admin": True})
    assert (await client.read("FindUser", {"user": "alice"}))["admin"] is True
    await client.write("UpdateUserBasePermissions", {"user_id": alice_id, "enabled": False})
    assert (await client.read("FindUser", {"user": "alice"}))["enabled"] is False
    admin = await client.read("FindUser", {"user": "e2e-admin"})
    refused = await client.send(
        "write", "UpdateUserBasePermissions", {"user_id": admin["_id"]["$oid"], "enabled": False}
    )
    assert refused.status == 400 and "super admin" in refused.error
    assert (await client.send("write", "DeleteUser", {"user": "e2e-admin"})).status == 400


async def test_user_targets_and_permissions_listed(alice, fleet, client):
    bus, alice_id = alice
    await grant(client, "Execute", "web")
    listed = await client.read("ListUserTargetPermissions", {"user_target": {"type": "User", "id": alice_id}})
    assert [(p["resource_target"]["id"], p["level"]) for p in listed] == [(fleet["web"], "Execute")]
    assert [p["level"] for p in await bus.read("ListPermissions", {})] == ["Execute"]
    await grant(client, "None", "web")
    assert await bus.read("ListPermissions", {}) == []
    missing = await client.send(
        "write",
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": "nobody"},
            "resource_target": {"type": "Deployment", "id": "web"},
            "permission": "Read",
        },
    )
    assert missing.status == 404 and "nobody" in missing.error


async def test_over_http_a_user_gets_komodos_403_envelope(alice, fleet, client, gateway_url):
    import httpx

    async with httpx.AsyncClient(base_url=gateway_url) as http:
        login = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "alice", "password": "alice-password"}
        )
        jwt = login.json()["data"]["jwt"]
        headers = {"Authorization": f"Bearer {jwt}"}
        denied = await http.post("/read/GetDeployment", json={"deployment": "web"}, headers=headers)
        assert denied.status_code == 403
        assert set(denied.json()) == {"error", "trace"}
        await grant(client, "Read", "web")
        listed = await http.post("/read", json={"type": "ListDeployments", "params": {}}, headers=headers)
        assert [d["name"] for d in listed.json()] == ["web"]
