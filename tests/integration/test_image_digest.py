"""The agent's registry digest lookup (GetLatestImageDigest) against the real Docker engine and Debian's
docker-registry with htpasswd auth on a loopback address (which the engine reaches over plain HTTP).

The digest must be the one Docker records in `RepoDigests` when it pushes or pulls the tag, including the index
digest of a multi-platform tag; refused credentials, missing images and unreachable registries must fail
clearly, never with the password in the message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator

import aiodocker
import aiohttp
import pytest

from contracts.api.agent.container import RegistryAuth
from services.agent.docker_api import DockerApi
from services.agent.handlers.image_digest import latest_digest
from services.common.embedded import free_port
from services.common.errors import BadRequest, NotFound, Unavailable
from tests.conftest import DockerRegistry
from tests.e2e.helpers import IMAGE, forget

pytestmark = pytest.mark.docker

MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.fixture
async def engine(docker_available: None) -> AsyncIterator[DockerApi]:
    """The agent's Docker client."""
    api = DockerApi()
    yield api
    await api.close()


@pytest.fixture
async def docker(docker_available: None) -> AsyncIterator[aiodocker.Docker]:
    """A Docker client for the test's own pushes and pulls."""
    client = aiodocker.Docker()
    yield client
    await client.close()


def account(docker_registry: DockerRegistry, password: str | None = None) -> RegistryAuth:
    return RegistryAuth(
        server=docker_registry.address,
        username=docker_registry.username,
        password=docker_registry.password if password is None else password,
    )


async def repo_digests(docker: aiodocker.Docker, image: str) -> list[str]:
    return list((await docker.images.inspect(image)).get("RepoDigests") or [])


async def put_manifest_list(docker_registry: DockerRegistry, repository: str, tag: str, digest: str) -> str:
    """Store, as `repository:tag`, a manifest list holding the manifest `digest` (linux/amd64); its digest."""
    path = repository.split("/", 1)[1]
    base = f"http://{docker_registry.address}/v2/{path}/manifests"
    basic = base64.b64encode(f"{docker_registry.username}:{docker_registry.password}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
        async with http.get(f"{base}/{digest}", headers=accept) as response:
            assert response.status == 200, response.status
            manifest = await response.read()
            media_type = response.headers["Content-Type"]
        entry = {"mediaType": media_type, "digest": digest, "size": len(manifest)}
        entry["platform"] = {"architecture": "amd64", "os": "linux"}
        body = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_LIST, "manifests": [entry]}).encode()
        async with http.put(f"{base}/{tag}", data=body, headers={"Content-Type": MANIFEST_LIST}) as response:
            assert response.status == 201, await response.text()
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


async def test_the_digest_is_the_one_docker_records_for_the_pushed_tag(
    engine: DockerApi, docker: aiodocker.Docker, docker_registry: DockerRegistry
) -> None:
    repository = f"{docker_registry.address}/varanus/digest-{uuid.uuid4().hex[:6]}"
    try:
        await docker_registry.push(docker, IMAGE, repository, "v1")
        recorded = [
            d for d in await repo_digests(docker, f"{repository}:v1") if d.startswith(f"{repository}@")
        ]
        assert len(recorded) == 1
        digest = await latest_digest(engine, f"{repository}:v1", account(docker_registry))
        assert recorded == [f"{repository}@{digest}"]
        # No tag means `latest`, as for docker pull.
        await docker_registry.push(docker, IMAGE, repository, "latest")
        assert await latest_digest(engine, repository, account(docker_registry)) == digest
    finally:
        await forget(docker, f"{repository}:v1")
        await forget(docker, f"{repository}:latest")


async def test_a_multi_platform_tag_answers_the_index_digest_that_a_pull_records(
    engine: DockerApi, docker: aiodocker.Docker, docker_registry: DockerRegistry
) -> None:
    repository = f"{docker_registry.address}/varanus/multi-{uuid.uuid4().hex[:6]}"
    try:
        await docker_registry.push(docker, IMAGE, repository, "single", keep=False)
        platform = await latest_digest(engine, f"{repository}:single", account(docker_registry))
        index = await put_manifest_list(docker_registry, repository, "latest", platform)
        assert index != platform

        assert await latest_digest(engine, f"{repository}:latest", account(docker_registry)) == index
        await docker.images.pull(f"{repository}:latest", auth=docker_registry.push_auth)
        assert f"{repository}@{index}" in await repo_digests(docker, f"{repository}:latest")
    finally:
        await forget(docker, f"{repository}:latest")


async def test_wrong_or_missing_credentials_fail_clearly_without_the_password(
    engine: DockerApi, docker: aiodocker.Docker, docker_registry: DockerRegistry
) -> None:
    repository = f"{docker_registry.address}/varanus/refused-{uuid.uuid4().hex[:6]}"
    try:
        await docker_registry.push(docker, IMAGE, repository, "latest")
        wrong = account(docker_registry, password="wrong-password-xyz")
        with pytest.raises(BadRequest) as refused:
            await latest_digest(engine, f"{repository}:latest", wrong)
        assert f"refused the credentials of user {docker_registry.username!r}" in refused.value.message
        assert docker_registry.address in refused.value.message
        assert "wrong-password-xyz" not in refused.value.message
        with pytest.raises(BadRequest) as anonymous:
            await latest_digest(engine, f"{repository}:latest", None)
        assert "refused anonymous access" in anonymous.value.message
        assert "image_registry_account" in anonymous.value.message
    finally:
        await forget(docker, f"{repository}:latest")


async def test_a_missing_tag_or_repository_is_not_found_and_no_registry_is_unavailable(
    engine: DockerApi, docker: aiodocker.Docker, docker_registry: DockerRegistry
) -> None:
    repository = f"{docker_registry.address}/varanus/missing-{uuid.uuid4().hex[:6]}"
    try:
        await docker_registry.push(docker, IMAGE, repository, "latest")
        for image in (f"{repository}:v9", f"{docker_registry.address}/varanus/nothing-here:1"):
            with pytest.raises(NotFound) as missing:
                await latest_digest(engine, image, account(docker_registry))
            assert image in missing.value.message
            assert docker_registry.password not in missing.value.message
    finally:
        await forget(docker, f"{repository}:latest")
    nowhere = f"127.0.0.1:{free_port()}/varanus/app:1"
    with pytest.raises(Unavailable, match="not reachable"):
        await latest_digest(engine, nowhere, account(docker_registry))


async def test_pinned_digests_answer_themselves_and_malformed_references_are_400s(engine: DockerApi) -> None:
    pinned = "sha256:" + "a" * 64
    # A pinned image needs no registry: this one does not exist anywhere.
    assert await latest_digest(engine, f"127.0.0.1:1/nowhere/app@{pinned}", None) == pinned
    for image in ("", "Nginx", "app:bad tag", "app@sha256:xyz", "a//b", "a/../../containers/x"):
        with pytest.raises(BadRequest):
            await latest_digest(engine, image, None)
