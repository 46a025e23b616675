"""GetExecutionTarget: what an execution learns of the registry before it starts (the resource as its caller sees
it, the caller's permission, the server), in one request, with the same checks as the caller's own reads."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BusClient, grant


def asked(user_id: str, target: str, kind: str = "Deployment", **extra: Any) -> dict[str, Any]:
    """A GetExecutionTarget request for alice (a plain user)."""
    return {"type": kind, "target": target, "user_id": user_id, "username": "alice", **extra}


async def test_the_resource_the_permission_and_the_server_come_in_one_answer(
    client: BusClient, service_client: BusClient, alice: tuple[BusClient, str]
) -> None:
    _, alice_id = alice
    server = await client.write("CreateServer", {"name": "host", "config": {}})
    await client.write("CreateDeployment", {"name": "web", "config": {"server_id": server["_id"]["$oid"]}})
    await grant(client, {"level": "Execute", "specific": ["Logs"]}, "web")

    found = (
        await service_client.send("internal", "GetExecutionTarget", asked(alice_id, "web", with_server=True))
    ).body
    assert found["resource"]["name"] == "web"
    assert found["granted"] == {"level": "Execute", "specific": ["Logs"]}
    assert found["server"]["name"] == "host"

    without = (await service_client.send("internal", "GetExecutionTarget", asked(alice_id, "web"))).body
    assert without["server"] is None, "the server is read only when asked for"


async def test_the_callers_own_checks_hold(
    client: BusClient, service_client: BusClient, alice: tuple[BusClient, str]
) -> None:
    alice_client, alice_id = alice
    await client.write("CreateDeployment", {"name": "web", "config": {}})

    hidden = await service_client.send("internal", "GetExecutionTarget", asked(alice_id, "web"))
    assert hidden.status == 403 and "needs Read permission on Deployment 'web'" in hidden.error
    missing = await service_client.send("internal", "GetExecutionTarget", asked(alice_id, "nowhere"))
    assert missing.status == 404 and "'nowhere'" in missing.error

    await grant(client, "Read", "web")  # positive control: the same request once she may Read it
    shown = await service_client.send("internal", "GetExecutionTarget", asked(alice_id, "web"))
    assert shown.status == 200 and shown.body["granted"]["level"] == "Read"

    own = await alice_client.send("internal", "GetExecutionTarget", asked(alice_id, "web"))
    assert own.status == 403 and "between Varanus services" in own.error, "a user cannot ask it herself"


async def test_secrets_are_hidden_from_a_plain_user_and_a_missing_server_is_none(
    client: BusClient, service_client: BusClient, alice: tuple[BusClient, str]
) -> None:
    _, alice_id = alice
    server = await client.write("CreateServer", {"name": "gone", "config": {}})
    await client.write(
        "CreateStack",
        {"name": "app", "config": {"server_id": server["_id"]["$oid"], "webhook_secret": "hush-7"}},
    )
    await grant(client, "Execute", "app", kind="Stack")
    await client.write("DeleteServer", {"id": "gone"})

    plain = await service_client.send(
        "internal", "GetExecutionTarget", asked(alice_id, "app", kind="Stack", with_server=True)
    )
    assert plain.status == 200 and plain.body["server"] is None
    assert "hush-7" not in str(plain.body)

    admin = await service_client.send(
        "internal",
        "GetExecutionTarget",
        asked(alice_id, "app", kind="Stack", admin=True, username="root"),
    )
    assert admin.body["resource"]["config"]["webhook_secret"] == "hush-7"
