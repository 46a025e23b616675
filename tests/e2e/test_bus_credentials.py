"""The bus is a public API: requests carry the same credentials as HTTP, and are refused without them."""

from __future__ import annotations

from services.registry.app import Registry
from tests.e2e.conftest import BusClient


async def test_credentials_on_the_bus(client: BusClient, registry: Registry) -> None:
    await client.write("CreateServer", {"name": "srv"})
    anonymous = await client.send("read", "GetServer", {"server": "srv"}, headers={})
    assert anonymous.status == 401 and anonymous.error.startswith("missing credentials")
    forged = await client.send("read", "GetServer", {"server": "srv"}, headers={"Authorization": "x.y.z"})
    assert forged.status == 401 and forged.error == "invalid token"

    keys = await registry.users.issue_api_key(
        (await registry.users.verify_login("e2e-admin", "e2e-admin-password")).user_id, "bus", 0
    )
    with_key = await client.send(
        "read", "GetServer", {"server": "srv"}, headers={"X-Api-Key": keys.key, "X-Api-Secret": keys.secret}
    )
    assert with_key.status == 200 and with_key.body["name"] == "srv"
    wrong_secret = await client.send(
        "read", "GetServer", {"server": "srv"}, headers={"X-Api-Key": keys.key, "X-Api-Secret": "S_nope_S"}
    )
    assert wrong_secret.status == 401 and wrong_secret.error == "invalid API key or secret"

    # Requests between services are not for users, admins included.
    internal = await client.send(
        "internal", "CreateUpdate", {"operation": "None", "target": {"type": "System"}, "operator": "x"}
    )
    assert internal.status == 403 and "between Varanus services" in internal.error

    # The operator of an Update is the user who made the change.
    updates = (await client.read("ListUpdates", {"query": {"operation": "CreateServer"}}))["updates"]
    assert [u["username"] for u in updates] == ["e2e-admin"]


async def test_disabled_user_is_refused(client: BusClient, registry: Registry) -> None:
    user = await registry.users.create_local(
        "off", "off-password", enabled=False, admin=False, super_admin=False
    )
    refused = await client.send(
        "read", "ListServers", {}, headers={"Authorization": registry.signer.issue(user.id)}
    )
    assert refused.status == 401 and refused.error == "user 'off' is not enabled"
