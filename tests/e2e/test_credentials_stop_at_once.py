"""Credentials stop at once: a disabled user, a deleted API key or a permission taken away is refused on the very
next request, over HTTP, over the bus (the registry and the executor) and on `/ws/update`.

Each test first makes a request of every kind, so whatever a process caches about the user is warm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import Answer, BusClient, KomodoClient
from tests.e2e.sockets import log_in, next_update, nothing_within, ws_url


class HttpClient(KomodoClient):
    """Sends Komodo requests through the gateway, with fixed credentials."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    async def send(self, kind: str, name: str, params: Any = None) -> Answer:
        reply = await self.http.post(f"/{kind}/{name}", json=params or {}, headers=self.headers)
        return Answer(reply.status_code, reply.json())


@dataclass
class Member:
    """A non-admin user, with its JWT, reached over HTTP and over the bus."""

    user_id: str
    jwt: str
    http: HttpClient
    bus: BusClient

    @property
    def jwt_login(self) -> dict[str, Any]:
        return {"type": "Jwt", "params": {"jwt": self.jwt}}


@pytest.fixture
async def member(
    registry: Registry, executor: Executor, client: BusClient, gateway_url: str
) -> AsyncIterator[Member]:
    """A user `member` who may Read every Server, and the executor running next to the registry."""
    user = await client.write("CreateLocalUser", {"username": "member", "password": "member-password"})
    user_id = user["_id"]["$oid"]
    await client.write(
        "UpdatePermissionOnResourceType",
        {"user_target": {"type": "User", "id": user_id}, "resource_type": "Server", "permission": "Read"},
    )
    await client.write("CreateServer", {"name": "srv"})
    jwt = registry.signer.issue(user_id)
    headers = {"Authorization": jwt}
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        yield Member(user_id, jwt, HttpClient(http, headers), BusClient(client.nc, headers))


async def warm_up(http: KomodoClient, bus: KomodoClient) -> None:
    """Requests that succeed over HTTP, to the registry over the bus and to the executor over the bus."""
    await http.read("ListServers")
    await bus.read("ListServers")
    state = await bus.send("read", "GetServerState", {"server": "srv"})
    assert state.status == 200, state.body


async def refused(http: KomodoClient, bus: KomodoClient, status: int, message: str) -> None:
    """The same requests are now refused everywhere with `status`.

    GetServerState goes on to the registry with the caller's credentials; GlobalAutoUpdate (403 for this
    non-admin while its credentials are good) is answered by the executor alone.
    """
    for answer in (
        await http.send("read", "ListServers"),
        await bus.send("read", "ListServers"),
        await bus.send("read", "GetServerState", {"server": "srv"}),
        await bus.send("execute", "GlobalAutoUpdate", {}),
    ):
        assert answer.status == status and message in answer.error, answer


async def closed_as_invalid_user(ws: Any, message: str) -> None:
    """The socket says INVALID_USER and closes, without any new Update to push."""
    said = await next_update(ws)
    assert said["type"] == "INVALID_USER" and message in said["msg"], said
    with pytest.raises(ConnectionClosed):
        await next_update(ws)


async def test_a_disabled_user_is_refused_at_once_everywhere(member: Member, client: BusClient, gateway_url):
    async with connect(ws_url(gateway_url)) as ws:
        await log_in(ws, member.jwt_login)
        await warm_up(member.http, member.bus)

        await client.write("UpdateUserBasePermissions", {"user_id": member.user_id, "enabled": False})

        await refused(member.http, member.bus, 401, "not enabled")
        await closed_as_invalid_user(ws, "not enabled")


async def test_a_deleted_user_is_refused_at_once_everywhere(member: Member, client: BusClient, gateway_url):
    async with connect(ws_url(gateway_url)) as ws:
        await log_in(ws, member.jwt_login)
        await warm_up(member.http, member.bus)

        await client.write("DeleteUser", {"user": "member"})

        await refused(member.http, member.bus, 401, "no longer exists")
        await closed_as_invalid_user(ws, "no longer exists")


async def test_a_deleted_api_key_is_refused_at_once_everywhere(
    member: Member, client: BusClient, gateway_url
):
    created = await member.http.http.post(
        "/auth/manage/CreateApiKey", json={"name": "bus"}, headers={"Authorization": member.jwt}
    )
    key, secret = created.json()["key"], created.json()["secret"]
    by_key = {"X-Api-Key": key, "X-Api-Secret": secret}
    http, bus = HttpClient(member.http.http, by_key), BusClient(client.nc, by_key)
    async with connect(ws_url(gateway_url)) as by_key_ws, connect(ws_url(gateway_url)) as by_jwt_ws:
        await log_in(by_key_ws, {"type": "ApiKeys", "params": {"key": key, "secret": secret}})
        await log_in(by_jwt_ws, member.jwt_login)
        await warm_up(http, bus)

        deleted = await member.http.http.post(
            "/auth/manage/DeleteApiKey", json={"key": key}, headers={"Authorization": member.jwt}
        )
        assert deleted.status_code == 200, deleted.text

        await refused(http, bus, 401, "invalid API key or secret")
        await closed_as_invalid_user(by_key_ws, "invalid API key or secret")
        # Positive control: the same user's JWT still works, and its socket still gets Updates.
        await warm_up(member.http, member.bus)
        await client.write("UpdateServer", {"id": "srv", "config": {"address": "https://srv:8120"}})
        assert (await next_update(by_jwt_ws))["operation"] == "UpdateServer"


async def test_an_admin_flag_taken_away_is_refused_at_once_everywhere(
    member: Member, client: BusClient, gateway_url
):
    await client.write("UpdateUserAdmin", {"user_id": member.user_id, "admin": True})
    await client.write("CreateServer", {"name": "hidden"})
    await client.write(
        "UpdatePermissionOnResourceType",
        {
            "user_target": {"type": "User", "id": member.user_id},
            "resource_type": "Server",
            "permission": "None",
        },
    )
    await client.write(
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": member.user_id},
            "resource_target": {"type": "Server", "id": "srv"},
            "permission": "Read",
        },
    )
    async with connect(ws_url(gateway_url)) as ws:
        await log_in(ws, member.jwt_login)
        # As an admin: reads the hidden server over HTTP and the bus, and may run an admin-only execution.
        await member.http.read("GetServer", {"server": "hidden"})
        await member.bus.read("GetServer", {"server": "hidden"})
        await member.bus.read("GetServerState", {"server": "hidden"})

        await client.write("UpdateUserAdmin", {"user_id": member.user_id, "admin": False})

        for answer in (
            await member.http.send("read", "GetServer", {"server": "hidden"}),
            await member.bus.send("read", "GetServer", {"server": "hidden"}),
            await member.bus.send("execute", "GlobalAutoUpdate", {}),
        ):
            assert answer.status == 403, answer
        # The socket no longer pushes the hidden server's Updates; the one it may still read comes through.
        await client.write("UpdateServer", {"id": "hidden", "config": {"address": "https://hidden:8120"}})
        await client.write("UpdateServer", {"id": "srv", "config": {"address": "https://srv:8120"}})
        pushed = await next_update(ws)
        assert pushed["operation"] == "UpdateServer" and pushed["target"]["id"] != await server_id(
            client, "hidden"
        )
        assert await nothing_within(ws, 0.3)


async def test_a_permission_taken_away_is_refused_at_once_everywhere(
    member: Member, client: BusClient, gateway_url
):
    await client.write("CreateServer", {"name": "shown"})
    async with connect(ws_url(gateway_url)) as ws:
        await log_in(ws, member.jwt_login)
        await member.http.read("GetServer", {"server": "shown"})
        await member.bus.read("GetServerState", {"server": "shown"})
        await client.write("UpdateServer", {"id": "shown", "config": {"address": "https://shown:8120"}})
        assert (await next_update(ws))["operation"] == "UpdateServer"

        await client.write(
            "UpdatePermissionOnResourceType",
            {
                "user_target": {"type": "User", "id": member.user_id},
                "resource_type": "Server",
                "permission": "None",
            },
        )

        for answer in (
            await member.http.send("read", "GetServer", {"server": "shown"}),
            await member.bus.send("read", "GetServer", {"server": "shown"}),
            await member.bus.send("read", "GetServerState", {"server": "shown"}),
        ):
            assert answer.status == 403, answer
        await client.write("UpdateServer", {"id": "shown", "config": {"address": "https://shown:9120"}})
        assert await nothing_within(ws, 0.5)
        # Positive control: the socket is open and pushes what the user may still see once it may again.
        await client.write(
            "UpdatePermissionOnTarget",
            {
                "user_target": {"type": "User", "id": member.user_id},
                "resource_target": {"type": "Server", "id": "shown"},
                "permission": "Read",
            },
        )
        await client.write("UpdateServer", {"id": "shown", "config": {"address": "https://shown:8120"}})
        assert (await next_update(ws))["operation"] == "UpdateServer"


async def server_id(client: BusClient, name: str) -> str:
    found = await client.read("GetServer", {"server": name})
    return str(found["_id"]["$oid"])


async def test_leaving_a_user_group_is_refused_at_once_everywhere(
    member: Member, client: BusClient, gateway_url
):
    await client.write(
        "UpdatePermissionOnResourceType",
        {
            "user_target": {"type": "User", "id": member.user_id},
            "resource_type": "Server",
            "permission": "None",
        },
    )
    await client.write("CreateUserGroup", {"name": "readers"})
    await client.write(
        "UpdatePermissionOnResourceType",
        {
            "user_target": {"type": "UserGroup", "id": "readers"},
            "resource_type": "Server",
            "permission": "Read",
        },
    )
    await client.write("AddUserToUserGroup", {"user_group": "readers", "user": "member"})
    async with connect(ws_url(gateway_url)) as ws:
        await log_in(ws, member.jwt_login)
        await warm_up(member.http, member.bus)

        await client.write("RemoveUserFromUserGroup", {"user_group": "readers", "user": "member"})

        for answer in (
            await member.http.send("read", "GetServer", {"server": "srv"}),
            await member.bus.send("read", "GetServer", {"server": "srv"}),
            await member.bus.send("read", "GetServerState", {"server": "srv"}),
        ):
            assert answer.status == 403, answer
        await client.write("UpdateServer", {"id": "srv", "config": {"address": "https://srv:9120"}})
        assert await nothing_within(ws, 0.5)
        # Positive control: back in the group, the socket pushes the server's Updates again.
        await client.write("AddUserToUserGroup", {"user_group": "readers", "user": "member"})
        await client.write("UpdateServer", {"id": "srv", "config": {"address": "https://srv:8120"}})
        assert (await next_update(ws))["operation"] == "UpdateServer"
