"""End-to-end fixtures: a real registry service on the real bus, and a client that talks to it as a user would."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import nats
import pytest
import uvicorn
from nats.aio.client import Client as NatsClient

from contracts.service_users import SYSTEM_USER_ID
from contracts.subjects import STATUS_HEADER
from services.alerter.app import Alerter
from services.builder.app import Builder
from services.common.embedded import free_port
from services.common.settings import Settings
from services.executor.app import Executor
from services.gateway.kept_answers import KeptAnswers
from services.gateway.serving import uvicorn_config
from services.registry.app import Registry
from services.sync.app import Sync


@dataclass
class Answer:
    """A reply as a bus client sees it."""

    status: int
    body: Any

    @property
    def error(self) -> str:
        assert self.status != 200, f"expected an error, got {self.body}"
        return str(self.body["error"])


class KomodoClient:
    """The calls the tests make, on top of `send` (over the bus, or over HTTP)."""

    async def send(self, kind: str, name: str, params: Any = None) -> Answer:
        raise NotImplementedError

    async def ok(self, kind: str, name: str, params: Any = None) -> Any:
        answer = await self.send(kind, name, params)
        assert answer.status == 200, f"{name} failed with {answer.status}: {answer.body}"
        return answer.body

    async def read(self, name: str, params: Any = None) -> Any:
        return await self.ok("read", name, params)

    async def write(self, name: str, params: Any = None) -> Any:
        return await self.ok("write", name, params)


class BusClient(KomodoClient):
    """Sends Komodo requests as raw JSON over NATS, like any bus client would."""

    def __init__(self, nc: NatsClient, headers: dict[str, str]) -> None:
        self.nc = nc
        self.headers = headers
        """Credentials sent with every request."""

    async def send(
        self,
        kind: str,
        name: str,
        params: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = raw if raw is not None else json.dumps(params or {}).encode()
        sent = self.headers if headers is None else headers
        reply = await self.nc.request(f"komodo.{kind}.{name}", body, timeout=10, headers=sent)
        status = int((reply.headers or {}).get(STATUS_HEADER, "200"))
        return Answer(status, json.loads(reply.data) if reply.data else None)


S = TypeVar("S", Registry, Executor, Builder, Alerter, Sync)


def service_settings(nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path, **extra: Any) -> Settings:
    """Settings of a service on the test's servers, with the registry's data folder (so the same signing key)."""
    return Settings(
        nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data", **extra
    )


@asynccontextmanager
async def running(service: S) -> AsyncIterator[S]:
    """`service` started for the block, stopped after it."""
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
async def registry(nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path) -> AsyncIterator[Registry]:
    """A registry with fresh databases, answering on the test NATS server."""
    async with running(Registry(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as service:
        yield service


@pytest.fixture
async def second_registry(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> AsyncIterator[Registry]:
    """Another registry replica on the same databases and bus."""
    async with running(Registry(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as replica:
        yield replica


@pytest.fixture
async def executor(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> AsyncIterator[Executor]:
    """The executor service next to the registry, with the same data folder (so the same signing key)."""
    async with running(Executor(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as service:
        yield service


@pytest.fixture
async def builder(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> AsyncIterator[Builder]:
    """The builder service next to the registry, with the same data folder (so the same signing key)."""
    async with running(Builder(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as service:
        yield service


@pytest.fixture
async def admin_headers(registry: Registry) -> dict[str, str]:
    """The `Authorization` header of an admin user (a JWT, as a log-in gives)."""
    admin = await registry.users.create_local(
        "e2e-admin", "e2e-admin-password", enabled=True, admin=True, super_admin=True
    )
    return {"Authorization": registry.signer.issue(admin.id)}


@pytest.fixture
async def client(
    registry: Registry, nats_url: str, admin_headers: dict[str, str]
) -> AsyncIterator[BusClient]:
    """A plain nats-py client on the registry's bus, sending an admin's credentials."""
    nc = await nats.connect(nats_url)
    try:
        yield BusClient(nc, admin_headers)
    finally:
        await nc.close()


@pytest.fixture
async def service_client(registry: Registry, nats_url: str) -> AsyncIterator[BusClient]:
    """A bus client that acts as the built-in System user, as the Varanus services do among themselves."""
    nc = await nats.connect(nats_url)
    try:
        yield BusClient(nc, {"Authorization": registry.signer.issue(SYSTEM_USER_ID)})
    finally:
        await nc.close()


@asynccontextmanager
async def running_gateway(settings: Settings, kept: KeptAnswers | None = None) -> AsyncIterator[str]:
    """The HTTP gateway with `settings` (keeping read answers in `kept` when given), served as
    `python -m services.gateway` serves it; yields its URL."""
    server = uvicorn.Server(uvicorn_config(settings, kept))
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the gateway did not start"
    try:
        yield f"http://{settings.bind_ip}:{settings.port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def gateway_url(registry: Registry, nats_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """The HTTP gateway on a free port, in front of the registry."""
    settings = Settings(nats_url=nats_url, data_dir=tmp_path / "data", port=free_port())
    async with running_gateway(settings) as url:
        yield url


@pytest.fixture
async def alice(registry: Registry, client: BusClient, nats_url: str) -> AsyncIterator[tuple[BusClient, str]]:
    """A plain user created by the admin, with a bus client sending her JWT, and her id."""
    user = await client.write("CreateLocalUser", {"username": "alice", "password": "alice-password"})
    user_id = user["_id"]["$oid"]
    nc = await nats.connect(nats_url)
    try:
        yield BusClient(nc, {"Authorization": registry.signer.issue(user_id)}), user_id
    finally:
        await nc.close()


async def grant(
    client: BusClient,
    level: str | dict[str, Any],
    target: str,
    user: str = "alice",
    kind: str = "Deployment",
) -> None:
    """As the admin `client`, give `user` a permission (a level, or `{level, specific}`) on a resource."""
    await client.write(
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": user},
            "resource_target": {"type": kind, "id": target},
            "permission": level,
        },
    )


CORE_SECRET = f"core-{uuid.uuid4().hex}"
"""The core webhook secret (KOMODO_WEBHOOK_SECRET) of the `webhook_url` gateway."""


@pytest.fixture
async def webhook_url(registry: Any, executor: Any, nats_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """The gateway with KOMODO_WEBHOOK_SECRET set, in front of the registry and the executor."""
    settings = Settings(
        nats_url=nats_url, data_dir=tmp_path / "data", port=free_port(), webhook_secret=CORE_SECRET
    )
    async with running_gateway(settings) as url:
        yield url


@pytest.fixture
async def alerter(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> AsyncIterator[Alerter]:
    """The alerter service next to the registry, with the same data folder (so the same signing key)."""
    async with running(Alerter(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as service:
        yield service


@pytest.fixture
async def sync_service(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> AsyncIterator[Sync]:
    """The sync service next to the registry (same data folder: same signing key); host files under
    `<tmp_path>/syncs`."""
    settings = service_settings(nats_url, mongo_url, db_prefix, tmp_path, sync_directory=tmp_path / "syncs")
    async with running(Sync(settings)) as service:
        yield service


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, for the whole session (see tests/e2e/browser.py)."""
    from tests.e2e.browser import chromium

    async with chromium() as started:
        yield started
