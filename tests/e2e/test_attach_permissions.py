"""Attaching resources: a config may only point at what its writer may attach (Komodo's `Attach`, or Write).

Without this rule a user with no permission on a Server could create a Deployment on that Server and Deploy
to it. Each refusal is checked beside a positive control: the same write, once the user has Attach (or
Write), goes through.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import BusClient, grant

ATTACH = {"level": "Read", "specific": ["Attach"]}
ADMIN_ONLY_CREATE = {"ResourceSync", "Builder", "Alerter", "Action"}
"""Kinds only admins create (Komodo's `user_can_create`)."""


@pytest.fixture
async def prod(client: BusClient) -> str:
    """A server the admin owns, on which alice has no permission."""
    server = await client.write("CreateServer", {"name": "prod", "config": {"address": "https://prod:8120"}})
    return str(server["_id"]["$oid"])


async def refused(bus: BusClient, name: str, params: dict[str, Any], field: str, target: str) -> str:
    """Send a write that must be refused for a missing Attach; answer the error."""
    answer = await bus.send("write", name, params)
    assert answer.status == 403, f"{name} should be refused, got {answer.status}: {answer.body}"
    assert "Attach" in answer.error and field in answer.error and repr(target) in answer.error, answer.error
    return answer.error


async def test_a_deployment_cannot_be_created_on_a_server_without_attach(alice, client, prod):
    bus, _ = alice
    params = {"name": "root-shell", "config": {"server_id": "prod", "volumes": "/:/host"}}
    error = await refused(bus, "CreateDeployment", params, "config.server_id", "prod")
    assert "alice" in error
    assert await client.read("ListDeployments", {}) == []

    await grant(client, ATTACH, "prod", kind="Server")
    created = await bus.write("CreateDeployment", params)
    assert created["config"]["server_id"] == prod


async def test_write_on_the_server_counts_as_attach(alice, client, prod):
    bus, _ = alice
    await grant(client, "Write", "prod", kind="Server")
    created = await bus.write("CreateStack", {"name": "app", "config": {"server_id": "prod"}})
    assert created["config"]["server_id"] == prod


async def test_execute_on_the_server_is_not_enough(alice, client, prod):
    bus, _ = alice
    await grant(client, "Execute", "prod", kind="Server")
    await refused(
        bus, "CreateStack", {"name": "app", "config": {"server_id": prod}}, "config.server_id", "prod"
    )


async def test_an_update_cannot_move_a_deployment_onto_a_server_without_attach(alice, client, prod):
    bus, _ = alice
    mine = await bus.write(
        "CreateDeployment",
        {"name": "mine", "config": {"image": {"type": "Image", "params": {"image": "a:1"}}}},
    )
    await refused(
        bus, "UpdateDeployment", {"id": "mine", "config": {"server_id": "prod"}}, "config.server_id", "prod"
    )
    stored = await client.read("GetDeployment", {"deployment": mine["_id"]["$oid"]})
    assert stored["config"]["server_id"] == ""

    await grant(client, ATTACH, "prod", kind="Server")
    moved = await bus.write("UpdateDeployment", {"id": "mine", "config": {"server_id": "prod"}})
    assert moved["config"]["server_id"] == prod


async def test_a_reference_already_there_is_not_checked_again(alice, client, prod):
    """A user with Write on a deployment an admin put on a server may change its other fields."""
    bus, _ = alice
    await client.write("CreateDeployment", {"name": "web", "config": {"server_id": "prod"}})
    await grant(client, "Write", "web")
    updated = await bus.write("UpdateDeployment", {"id": "web", "config": {"restart": "always"}})
    assert updated["config"]["restart"] == "always" and updated["config"]["server_id"] == prod
    # Positive control of the same user and deployment: a new server needs Attach.
    await client.write("CreateServer", {"name": "other", "config": {}})
    await refused(
        bus, "UpdateDeployment", {"id": "web", "config": {"server_id": "other"}}, "config.server_id", "other"
    )


async def test_a_copy_attaches_the_source_references_anew(alice, client, prod):
    bus, _ = alice
    await client.write("CreateDeployment", {"name": "web", "config": {"server_id": "prod"}})
    await grant(client, "Read", "web")
    await refused(bus, "CopyDeployment", {"name": "web-2", "id": "web"}, "config.server_id", "prod")
    assert [d["name"] for d in await client.read("ListDeployments", {})] == ["web"]

    await grant(client, ATTACH, "prod", kind="Server")
    copied = await bus.write("CopyDeployment", {"name": "web-2", "id": "web"})
    assert copied["config"]["server_id"] == prod


def _execution(kind: str, **params: str) -> dict[str, Any]:
    return {"stages": [{"executions": [{"execution": {"type": kind, "params": params}}]}]}


@pytest.mark.parametrize(
    ("kind", "target_kind", "config"),
    [
        ("Deployment", "Build", {"image": {"type": "Build", "params": {"build_id": "target"}}}),
        ("Build", "Builder", {"builder_id": "target"}),
        ("Build", "Repo", {"linked_repo": "target"}),
        ("Stack", "Repo", {"linked_repo": "target"}),
        ("ResourceSync", "Repo", {"linked_repo": "target"}),
        ("Repo", "Server", {"server_id": "target"}),
        ("Repo", "Builder", {"builder_id": "target"}),
        ("Builder", "Server", {"type": "Server", "params": {"server_id": "target"}}),
        ("Alerter", "Stack", {"resources": [{"type": "Stack", "id": "target"}]}),
        ("Procedure", "Deployment", _execution("Deploy", deployment="target")),
        ("Procedure", "Stack", _execution("BatchDeployStack", pattern="tar*")),
        ("Procedure", "Server", _execution("StopContainer", server="target", container="x")),
    ],
)
async def test_every_kind_of_reference_needs_attach(alice, client, kind, target_kind, config):
    bus, user_id = alice
    await client.write(f"Create{target_kind}", {"name": "target", "config": {}})
    await client.write("UpdateUserBasePermissions", {"user_id": user_id, "create_builds": True})
    if kind in ADMIN_ONLY_CREATE:
        # Only admins create these: the user changes one an admin gave her Write on.
        await client.write(f"Create{kind}", {"name": "mine", "config": {}})
        await grant(client, "Write", "mine", kind=kind)
        write, params = f"Update{kind}", {"id": "mine", "config": config}
    else:
        write, params = f"Create{kind}", {"name": "mine", "config": config}
    await refused(bus, write, params, "config.", "target")
    if kind not in ADMIN_ONLY_CREATE:
        assert await client.read(f"List{kind}s", {}) == []

    await grant(client, ATTACH, "target", kind=target_kind)
    await bus.write(write, params)


async def test_excluding_a_resource_from_an_alerter_needs_no_attach(alice, client):
    bus, _ = alice
    stack = await client.write("CreateStack", {"name": "noisy", "config": {}})
    await client.write("CreateAlerter", {"name": "mine", "config": {}})
    await grant(client, "Write", "mine", kind="Alerter")
    made = await bus.write(
        "UpdateAlerter", {"id": "mine", "config": {"except_resources": [{"type": "Stack", "id": "noisy"}]}}
    )
    assert made["config"]["except_resources"] == [{"type": "Stack", "id": stack["_id"]["$oid"]}]


async def test_admins_attach_anything(client, prod):
    made = await client.write("CreateDeployment", {"name": "web", "config": {"server_id": "prod"}})
    assert made["config"]["server_id"] == prod
