"""NATS itself keeps each agent to its own subjects: the registry answers the auth callout of a real nats-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient

from contracts.service_users import SYSTEM_USER_ID
from contracts.subjects import STATUS_HEADER
from services.common import embedded
from services.common.nats_auth import agent_inbox, write_callout_files
from services.common.settings import Settings
from services.registry.app import Registry


class Guarded:
    """A nats-server with the callout config, and the registry answering its callout."""

    def __init__(self, url: str, registry: Registry, services_password: str) -> None:
        self.url = url
        self.registry = registry
        self.services_password = services_password

    async def connect(self, user: str, password: str, **options: object) -> NatsClient:
        return await nats.connect(self.url, user=user, password=password, allow_reconnect=False, **options)  # type: ignore[arg-type]


@pytest.fixture
async def guarded(tmp_path: Path, mongo_url: str, db_prefix: str) -> AsyncIterator[Guarded]:
    data = tmp_path / "data"
    # The files compose's init job writes (`python -m services.common.nats_auth`), included by a node's config.
    files = write_callout_files(tmp_path / "nats-auth")
    config = tmp_path / "nats.conf"
    config.write_text("include nats-auth/auth.conf\n")
    auth_password = files.auth_password.read_text().strip()
    services_password = files.services_password.read_text().strip()
    port = embedded.free_port()
    proc = embedded.start_nats(port, tmp_path / "js", tmp_path / "nats.log", config)
    url = f"nats://127.0.0.1:{port}"
    settings = Settings(
        nats_url=f"nats://varanus:{services_password}@127.0.0.1:{port}",
        database_uri=mongo_url,
        db_prefix=db_prefix,
        data_dir=data,
        nats_auth_password=auth_password,
        nats_services_password=services_password,
        nats_issuer_seed=files.issuer_seed.read_text().strip(),
    )
    registry = Registry(settings)
    await registry.start()
    try:
        yield Guarded(url, registry, services_password)
    finally:
        await registry.stop()
        embedded.stop(proc)


async def agent_for(guarded: Guarded, name: str) -> tuple[str, str]:
    server = await guarded.registry.kinds["Server"].create(name, {"enabled": True}, SYSTEM_USER_ID)
    credential = await guarded.registry.agent_credentials.issue(server.id)
    return server.id, credential.token


async def test_an_agent_is_kept_to_its_own_subjects(guarded: Guarded):
    a_id, a_token = await agent_for(guarded, "host-a")
    b_id, b_token = await agent_for(guarded, "host-b")
    services = await guarded.connect("varanus", guarded.services_password)
    violations: list[str] = []

    async def on_error(err: Exception) -> None:
        violations.append(str(err))

    agent_a = await guarded.connect(
        f"agent:{a_id}", a_token, inbox_prefix=agent_inbox(a_id), error_cb=on_error
    )
    agent_b = await guarded.connect(f"agent:{b_id}", b_token, inbox_prefix=agent_inbox(b_id))
    try:

        async def health(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(b"{}")

        await agent_a.subscribe(f"komodo.agent.{a_id}.GetHealth", cb=health)
        await agent_a.flush()
        # A service reaches agent a; agent b may not even ask it.
        assert (await services.request(f"komodo.agent.{a_id}.GetHealth", b"{}", timeout=5)).data == b"{}"
        with pytest.raises(nats.errors.Error):
            await agent_b.request(f"komodo.agent.{a_id}.GetHealth", b"{}", timeout=1)

        commands: list[str] = []

        async def command(msg: nats.aio.msg.Msg) -> None:
            commands.append(msg.subject)

        await services.subscribe("komodo.execute.>", cb=command)
        await services.subscribe(f"komodo.agent.{b_id}.>", cb=command)
        await services.flush()
        await agent_a.publish("komodo.execute.Deploy", b"{}")
        await agent_a.publish(f"komodo.agent.{b_id}.status", b"{}")
        await agent_a.subscribe(f"komodo.agent.{b_id}.>")
        await agent_a.subscribe("_INBOX.>")
        await agent_a.flush()
        # The server reports each violation asynchronously: wait (bounded) until all three have come.
        for _ in range(100):
            if len(violations) >= 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert commands == []
        assert any('publish to "komodo.execute.deploy"' in v.lower() for v in violations), violations
        assert any(f'subscription to "komodo.agent.{b_id}.>"' in v.lower() for v in violations), violations
        assert any('subscription to "_inbox.>"' in v.lower() for v in violations), violations
    finally:
        for nc in (agent_a, agent_b, services):
            await nc.close()


async def test_wrong_disabled_or_deleted_agents_are_refused(guarded: Guarded):
    server_id, token = await agent_for(guarded, "host-c")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect(f"agent:{server_id}", "A_wrong_A")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect("varanus", "not-the-services-password")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect("nobody", "nothing")
    servers = guarded.registry.kinds["Server"]
    await servers.update(server_id, {"enabled": False}, SYSTEM_USER_ID)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect(f"agent:{server_id}", token)
    await servers.update(server_id, {"enabled": True}, SYSTEM_USER_ID)
    ok = await guarded.connect(f"agent:{server_id}", token, inbox_prefix=agent_inbox(server_id))
    await ok.close()
    await servers.delete(server_id, SYSTEM_USER_ID)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect(f"agent:{server_id}", token)


async def test_a_user_api_key_may_send_requests_and_read_only_its_inbox(guarded: Guarded):
    users = guarded.registry.users
    admin = await users.create_local(
        "nats-admin", "nats-admin-password", enabled=True, admin=True, super_admin=True
    )
    key = await users.issue_api_key(admin.id, "bus", 0)
    client = await guarded.connect(key.key, key.secret, inbox_prefix=f"_INBOX_{key.key}")
    try:
        headers = {"X-Api-Key": key.key, "X-Api-Secret": key.secret}
        reply = await client.request("komodo.read.ListServers", b"{}", timeout=5, headers=headers)
        assert reply.data == b"[]"
    finally:
        await client.close()
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect(key.key, "S_wrong_S")


async def test_an_agent_onboards_with_a_key_and_then_connects_as_itself(guarded: Guarded):
    import json

    from contracts.subjects import ONBOARD_SUBJECT, STATUS_HEADER
    from services.common.nats_auth import onboarding_inbox

    registry = guarded.registry
    servers = registry.kinds["Server"]
    await servers.create("template", {"region": "eu-west", "enabled": False}, SYSTEM_USER_ID)
    await registry.tags.create("edge", None, SYSTEM_USER_ID)
    tag_id = (await registry.tags.get("edge")).id
    made = await registry.onboarding_keys.create(
        {"name": "fleet", "tags": [tag_id], "copy_server": (await servers.get("template")).id}, None
    )
    private, public = made.private_key, made.created.public_key

    async def ask(connect_as: str, key: str = private) -> tuple[int, dict[str, object]]:
        nc = await guarded.connect("onboard", key, inbox_prefix=onboarding_inbox(public))
        try:
            body = json.dumps({"onboarding_key": key, "connect_as": connect_as}).encode()
            reply = await nc.request(ONBOARD_SUBJECT, body, timeout=5)
            return int((reply.headers or {}).get(STATUS_HEADER, "200")), json.loads(reply.data)
        finally:
            await nc.close()

    status, credential = await ask("edge-host-1")
    assert status == 200, credential
    server = await servers.get("edge-host-1")
    assert server.id == credential["server_id"]
    assert server.config.enabled and server.config.region == "eu-west" and server.tags == [tag_id]
    agent = await guarded.connect(
        f"agent:{server.id}", str(credential["token"]), inbox_prefix=agent_inbox(server.id)
    )
    await agent.close()
    assert (await registry.onboarding_keys.get(public)).onboarded == [server.id]

    # Without create_builder no builder comes with it; with it, a Server Builder of the host's name does.
    builders = registry.kinds["Builder"]
    assert await builders.find("edge-host-1") is None
    await registry.onboarding_keys.update(public, {"create_builder": True})
    status, second = await ask("edge-host-2")
    assert status == 200, second
    builder = await builders.get("edge-host-2")
    assert builder.config.type == "Server" and builder.config.params.server_ids == [second["server_id"]]
    assert builder.tags == [tag_id]

    # An existing server may be claimed only with a privileged key.
    status, refused = await ask("edge-host-1")
    assert status == 403 and "privileged" in str(refused["error"])
    await registry.onboarding_keys.update(public, {"privileged": True})
    status, claimed = await ask("edge-host-1")
    assert status == 200 and claimed["server_id"] == server.id

    # A disabled or expired key is refused by NATS at connect.
    await registry.onboarding_keys.update(public, {"enabled": False})
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect("onboard", private)
    await registry.onboarding_keys.update(public, {"enabled": True, "expires": 1000})
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect("onboard", private)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await guarded.connect("onboard", "O_not_a_key_O")


async def test_the_agent_process_onboards_then_heartbeats_as_its_own_user(
    guarded: Guarded, tmp_path: Path, docker_available: None
):
    import os
    import subprocess
    import sys

    registry = guarded.registry
    made = await registry.onboarding_keys.create({"name": "hosts"}, None)
    credential_path = tmp_path / "agent" / "agent.credential"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KOMODO_", "VARANUS_"))},
        "KOMODO_NATS_URL": guarded.url,
        "KOMODO_MONITORING_INTERVAL": "1-sec",
        "VARANUS_AGENT_ONBOARDING_KEY": made.private_key,
        "VARANUS_AGENT_CONNECT_AS": "onboarded-host",
        "VARANUS_AGENT_CREDENTIAL_FILE": str(credential_path),
        "VARANUS_DATA_DIR": str(tmp_path / "agent"),
    }
    services = await guarded.connect("varanus", guarded.services_password)
    heartbeats: list[str] = []

    async def heard(msg: nats.aio.msg.Msg) -> None:
        heartbeats.append(msg.subject)

    await services.subscribe("komodo.agent.*.status", cb=heard)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.agent"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not heartbeats and asyncio.get_running_loop().time() < deadline and proc.poll() is None:
            await asyncio.sleep(0.2)
        assert heartbeats, (
            proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else "no heartbeat"
        )
        server = await registry.kinds["Server"].get("onboarded-host")
        assert heartbeats[0] == f"komodo.agent.{server.id}.status"
        assert oct(credential_path.stat().st_mode & 0o777) == "0o600"
        assert made.private_key not in credential_path.read_text()
        reply = await services.request(f"komodo.agent.{server.id}.GetHealth", b"{}", timeout=5)
        assert reply.data == b"{}"
    finally:
        proc.terminate()
        proc.wait(15)
        await services.close()
    # The next start needs no key: the credential file is enough.
    env.pop("VARANUS_AGENT_ONBOARDING_KEY")
    second = subprocess.Popen([sys.executable, "-m", "services.agent"], env=env)
    try:
        services = await guarded.connect("varanus", guarded.services_password)
        reply = None
        for _ in range(50):
            try:
                reply = await services.request(f"komodo.agent.{server.id}.GetHealth", b"{}", timeout=1)
                break
            except nats.errors.Error:
                await asyncio.sleep(0.2)
        assert reply is not None and reply.data == b"{}"
        await services.close()
    finally:
        second.terminate()
        second.wait(15)


async def wait_closed(nc: NatsClient) -> bool:
    """Whether the connection gets closed within a few seconds."""
    for _ in range(100):
        if nc.is_closed:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_connections_of_a_deleted_key_or_a_disabled_user_are_closed(guarded: Guarded):
    users = guarded.registry.users
    user = await users.create_local(
        "keyholder", "keyholder-password", enabled=True, admin=False, super_admin=False
    )
    deleted = await users.issue_api_key(user.id, "deleted", 0)
    kept = await users.issue_api_key(user.id, "kept", 0)
    other = await users.issue_api_key(user.id, "other", 0)
    owner = await users.create_local(
        "bystander", "bystander-password", enabled=True, admin=False, super_admin=False
    )
    bystander_key = await users.issue_api_key(owner.id, "bystander", 0)
    services = await guarded.connect("varanus", guarded.services_password)
    system = {"Authorization": guarded.registry.signer.issue(SYSTEM_USER_ID)}
    clients = {
        key.key: await guarded.connect(key.key, key.secret, inbox_prefix=f"_INBOX_{key.key}")
        for key in (deleted, kept, bystander_key)
    }
    try:
        body = json.dumps({"user_id": user.id, "key": deleted.key}).encode()
        reply = await services.request("komodo.internal.RevokeApiKey", body, timeout=5, headers=system)
        assert reply.headers and reply.headers[STATUS_HEADER] == "200", reply.data
        assert await wait_closed(clients[deleted.key])
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await guarded.connect(deleted.key, deleted.secret)
        # Positive control: the user's other key and another user's key keep their connections.
        assert not clients[kept.key].is_closed and not clients[bystander_key.key].is_closed

        admin = await users.create_local(
            "keyadmin", "keyadmin-password", enabled=True, admin=True, super_admin=True
        )
        as_admin = {"Authorization": guarded.registry.signer.issue(admin.id)}
        body = json.dumps({"user_id": user.id, "enabled": False}).encode()
        reply = await services.request(
            "komodo.write.UpdateUserBasePermissions", body, timeout=5, headers=as_admin
        )
        assert reply.headers and reply.headers[STATUS_HEADER] == "200", reply.data
        assert await wait_closed(clients[kept.key])
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await guarded.connect(other.key, other.secret)
        assert not clients[bystander_key.key].is_closed
    finally:
        for nc in (*clients.values(), services):
            await nc.close()
