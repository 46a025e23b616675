"""Session fixtures: real servers for the tests, started once, or given by URL.

- `nats_url`: nats-server with JetStream (`--nats-url` or `VARANUS_TEST_NATS_URL` to use another).
- `mongo_url`: nx-27017 with one file per database (`--mongo-url` or `VARANUS_TEST_MONGO_URL`, e.g. a real
  MongoDB).
- `db_prefix`: a fresh database name prefix per test.
- `docker_available`: the Docker engine (`./run test` sets it up); `VARANUS_TEST_NO_DOCKER=1` skips those tests.
- `docker_registry`: Debian's docker-registry with htpasswd auth on a free port.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NatsClient

from services.common import embedded

pytest_plugins = ["tests.watchdog"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nats-url", default=os.environ.get("VARANUS_TEST_NATS_URL"), help="use this NATS server"
    )
    parser.addoption("--mongo-url", default=os.environ.get("VARANUS_TEST_MONGO_URL"), help="use this MongoDB")


@pytest.fixture(scope="session")
def servers_dir() -> Iterator[Path]:
    """A temporary folder for the session's server data and logs."""
    folder = Path(tempfile.mkdtemp(prefix="varanus-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(request: pytest.FixtureRequest, servers_dir: Path) -> Iterator[str]:
    """URL of a NATS server with JetStream."""
    given = request.config.getoption("--nats-url")
    if given:
        yield given
        return
    port = embedded.free_port()
    proc = embedded.start_nats(port, servers_dir / "nats", servers_dir / "nats.log")
    yield f"nats://127.0.0.1:{port}"
    embedded.stop(proc)


@pytest.fixture(scope="session")
def mongo_url(request: pytest.FixtureRequest, servers_dir: Path) -> Iterator[str]:
    """URL of a MongoDB (nx-27017 unless one is given)."""
    given = request.config.getoption("--mongo-url")
    if given:
        yield given
        return
    port = embedded.free_port()
    proc = embedded.start_mongo(
        port, servers_dir / "mongo", servers_dir / "mongo.log", servers_dir / "mongo.pid"
    )
    yield f"mongodb://127.0.0.1:{port}"
    embedded.stop(proc)


@pytest.fixture
def db_prefix() -> str:
    """A database name prefix no other test uses, so each test starts with empty databases."""
    return f"t_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def docker_available() -> None:
    """The Docker engine answers; tests that need it fail clearly when it does not."""
    if os.environ.get("VARANUS_TEST_NO_DOCKER") == "1":
        pytest.skip("VARANUS_TEST_NO_DOCKER=1")
    docker = shutil.which("docker")
    if docker is None:
        pytest.fail("docker is not installed: run ./run test-env (./run test does it)")
    result = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        pytest.fail(f"the Docker engine does not answer (run ./run test-env): {result.stderr.strip()[:300]}")


@dataclass(frozen=True)
class DockerRegistry:
    """A running docker-registry with one user."""

    address: str
    username: str
    password: str

    @property
    def push_auth(self) -> dict[str, str]:
        """aiodocker's `auth` for a push to this registry."""
        return {"username": self.username, "password": self.password, "serveraddress": self.address}

    @property
    def account(self) -> dict[str, dict[str, str]]:
        """The CreateImageRegistryAccount body of its user."""
        return {"account": {"domain": self.address, "username": self.username, "token": self.password}}

    async def push(
        self, docker: Any, image: str, repository: str, tag: str = "latest", keep: bool = True
    ) -> None:
        """Tag `image` as `repository:tag` and push it here; with `keep=False` the local tag goes afterwards, so
        a deploy has to pull it."""
        await docker.images.tag(image, repository, tag=tag)
        await docker.images.push(repository, tag=tag, auth=self.push_auth)
        if not keep:
            await docker.images.delete(f"{repository}:{tag}")


@pytest.fixture(scope="session")
def docker_registry(docker_available: None, servers_dir: Path) -> Iterator[DockerRegistry]:
    """Debian's docker-registry on 127.0.0.1:<free port> with htpasswd auth."""
    binary = shutil.which("docker-registry")
    htpasswd = shutil.which("htpasswd")
    if binary is None or htpasswd is None:
        pytest.fail("docker-registry or htpasswd is missing: run ./run test-env")
    folder = servers_dir / "registry"
    folder.mkdir()
    password = secrets.token_urlsafe(16)
    entry = subprocess.run(
        [htpasswd, "-Bbn", "varanus", password], capture_output=True, text=True, check=True, timeout=30
    )
    (folder / "htpasswd").write_text(entry.stdout)
    port = embedded.free_port()
    (folder / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: varanus\n    path: {folder / 'htpasswd'}\n"
    )
    log = folder / "registry.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(
            [binary, "serve", str(folder / "config.yml")],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        embedded.wait_for_port(port, proc, "docker-registry", log)
        yield DockerRegistry(address=f"127.0.0.1:{port}", username="varanus", password=password)
    finally:
        embedded.stop(proc)


@pytest.fixture
async def publisher(nats_url: str) -> AsyncIterator[NatsClient]:
    """A plain nats-py connection without credentials, for publishing what an agent would (heartbeats)."""
    nc = await nats.connect(nats_url)
    try:
        yield nc
    finally:
        await nc.close()
