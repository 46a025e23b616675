"""Image update detection's pure parts: references, registry challenges, HTTP or HTTPS, digest comparison; and
the agent's registry conversation (Basic and Bearer) against a small local registry stand-in."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from contracts.api.agent.container import RegistryAuth
from services.agent.handlers.image_digest import (
    MANIFEST_TYPES,
    Challenge,
    ImageReference,
    InsecureRegistries,
    latest_digest,
    parse_challenge,
    parse_reference,
    uses_http,
)
from services.common.errors import BadRequest, NotFound, Unavailable
from services.executor.updates.check import digest_key, is_update_available, repo_digest_values
from services.executor.updates.store import UpdateRecord

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ImageReference("docker.io", "library/nginx", "latest")),
        ("nginx:1.27", ImageReference("docker.io", "library/nginx", "1.27")),
        ("docker.io/nginx", ImageReference("docker.io", "library/nginx", "latest")),
        ("index.docker.io/library/nginx:1", ImageReference("docker.io", "library/nginx", "1")),
        ("grafana/grafana:11.0.0", ImageReference("docker.io", "grafana/grafana", "11.0.0")),
        ("ghcr.io/org/team/app:v2", ImageReference("ghcr.io", "org/team/app", "v2")),
        ("127.0.0.1:5000/varanus/app", ImageReference("127.0.0.1:5000", "varanus/app", "latest")),
        ("localhost/app:dev", ImageReference("localhost", "app", "dev")),
        ("localhost:5000/app:dev", ImageReference("localhost:5000", "app", "dev")),
        (f"ghcr.io/org/app:1@{DIGEST_A}", ImageReference("ghcr.io", "org/app", "1", DIGEST_A)),
        (f"alpine@{DIGEST_B}", ImageReference("docker.io", "library/alpine", "latest", DIGEST_B)),
    ],
)
def test_references_split_as_docker_reads_them(image: str, expected: ImageReference) -> None:
    assert parse_reference(image) == expected


def test_docker_hub_api_host_and_shown_name() -> None:
    hub = parse_reference("nginx")
    assert hub.api_host == "registry-1.docker.io" and hub.shown == "library/nginx:latest"
    private = parse_reference("127.0.0.1:5000/app:1")
    assert private.api_host == "127.0.0.1:5000" and private.shown == "127.0.0.1:5000/app:1"


@pytest.mark.parametrize("image", ["", "Nginx", "ghcr.io/Org/app", "app:bad tag", "app@sha256:xyz", "a//b"])
def test_malformed_references_are_400s(image: str) -> None:
    with pytest.raises(BadRequest, match="image"):
        parse_reference(image)


def test_bearer_challenge_keeps_commas_inside_quotes() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull,push"'
    )
    assert parse_challenge(header) == Challenge(
        "bearer",
        {
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:library/nginx:pull,push",
        },
    )


def test_basic_challenge_and_empty_header() -> None:
    assert parse_challenge('Basic realm="varanus"') == Challenge("basic", {"realm": "varanus"})
    assert parse_challenge("  ") is None
    assert parse_challenge('Bearer realm=plain, error="insufficient_scope"') == Challenge(
        "bearer", {"realm": "plain", "error": "insufficient_scope"}
    )


def test_http_only_where_docker_uses_it() -> None:
    info = {
        "RegistryConfig": {
            "IndexConfigs": {
                "docker.io": {"Name": "docker.io", "Secure": True},
                "registry.lan:5000": {"Name": "registry.lan:5000", "Secure": False},
            },
            "InsecureRegistryCIDRs": ["127.0.0.0/8", "10.1.0.0/16", "not-a-cidr"],
        }
    }
    insecure = InsecureRegistries.from_info(info)
    assert uses_http("127.0.0.1:5000", InsecureRegistries())
    assert uses_http("localhost:5000", InsecureRegistries())
    assert uses_http("[::1]:5000", InsecureRegistries())
    assert uses_http("registry.lan:5000", insecure)
    assert uses_http("10.1.2.3:5000", insecure)
    assert not uses_http("10.2.0.1:5000", insecure)
    assert not uses_http("ghcr.io", insecure)
    assert not uses_http("registry-1.docker.io", insecure)


def test_update_available_when_the_registry_digest_is_not_the_running_images() -> None:
    running = [f"127.0.0.1:5000/app@{DIGEST_A}", f"mirror.local/app@{DIGEST_A}"]
    assert repo_digest_values(running) == {DIGEST_A}
    assert not is_update_available(DIGEST_A, running)
    assert is_update_available(DIGEST_B, running)
    # An image never pulled nor pushed has no RepoDigests: whatever the registry has is another image.
    assert is_update_available(DIGEST_B, [])
    assert not is_update_available("", running)


def test_digest_cache_keys_keep_accounts_apart() -> None:
    auth = RegistryAuth(server="ghcr.io", username="bot", password="secret")
    assert digest_key("ghcr.io/org/app", auth) != digest_key("ghcr.io/org/app", None)
    assert "secret" not in digest_key("ghcr.io/org/app", auth)


def test_a_stale_record_shows_no_update_once_the_container_runs_another_image() -> None:
    record = UpdateRecord("d1", update_available=True, running_image_id="sha256:old")
    assert record.shows_update("sha256:old")
    assert record.shows_update(None)
    assert not record.shows_update("sha256:new")
    assert not UpdateRecord("d1", update_available=False).shows_update("sha256:old")


@dataclass
class FakeRegistry:
    """A registry stand-in: manifests by `repo:tag`, and Basic or Bearer auth."""

    scheme: str
    username: str = "bot"
    password: str = "s3cret-pass"
    manifests: dict[str, str] = field(default_factory=lambda: {"team/app:latest": DIGEST_A})
    accepts: list[str] = field(default_factory=list)
    base: str = ""

    def basic_ok(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    async def manifest(self, request: web.Request) -> web.Response:
        self.accepts.append(request.headers.get("Accept", ""))
        authorized = (
            self.basic_ok(request)
            if self.scheme == "basic"
            else request.headers.get("Authorization") == "Bearer token-123"
        )
        if not authorized:
            challenge = (
                'Basic realm="test"'
                if self.scheme == "basic"
                else f'Bearer realm="{self.base}/token",service="fake",scope="repository:team/app:pull"'
            )
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        key = f"{request.match_info['repo']}:{request.match_info['tag']}"
        if key not in self.manifests:
            return web.Response(status=404)
        return web.Response(headers={"Docker-Content-Digest": self.manifests[key]})

    async def token(self, request: web.Request) -> web.Response:
        if request.query.get("service") != "fake" or not self.basic_ok(request):
            return web.Response(status=401)
        return web.json_response({"token": "token-123"})


Serve = Callable[[str], Awaitable[tuple[FakeRegistry, str]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts registry stand-ins on free loopback ports; answers each one and its `host:port`."""
    runners: list[web.AppRunner] = []

    async def start(scheme: str) -> tuple[FakeRegistry, str]:
        fake = FakeRegistry(scheme)
        app = web.Application()
        app.router.add_route("*", "/v2/{repo:.+}/manifests/{tag}", fake.manifest)
        app.router.add_get("/token", fake.token)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        fake.base = f"http://127.0.0.1:{port}"
        return fake, f"127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_basic_auth_registry_answers_the_digest(serve: Serve) -> None:
    fake, host = await serve("basic")
    auth = RegistryAuth(server=host, username=fake.username, password=fake.password)
    assert await latest_digest(parse_reference(f"{host}/team/app"), auth, InsecureRegistries()) == DIGEST_A
    assert all(kind in fake.accepts[-1] for kind in MANIFEST_TYPES)


async def test_bearer_auth_gets_a_token_from_the_realm(serve: Serve) -> None:
    fake, host = await serve("bearer")
    auth = RegistryAuth(server=host, username=fake.username, password=fake.password)
    assert (
        await latest_digest(parse_reference(f"{host}/team/app:latest"), auth, InsecureRegistries())
        == DIGEST_A
    )


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
async def test_wrong_or_missing_credentials_fail_clearly_without_the_password(
    serve: Serve, scheme: str
) -> None:
    fake, host = await serve(scheme)
    wrong = RegistryAuth(server=host, username=fake.username, password="wrong-password-xyz")
    with pytest.raises(BadRequest) as refused:
        await latest_digest(parse_reference(f"{host}/team/app"), wrong, InsecureRegistries())
    assert "refused the credentials of user 'bot'" in refused.value.message
    assert "wrong-password-xyz" not in refused.value.message
    with pytest.raises(BadRequest, match="anonymous"):
        await latest_digest(parse_reference(f"{host}/team/app"), None, InsecureRegistries())


async def test_missing_tag_is_not_found_and_no_registry_is_unavailable(serve: Serve) -> None:
    fake, host = await serve("basic")
    auth = RegistryAuth(server=host, username=fake.username, password=fake.password)
    with pytest.raises(NotFound, match="team/app:v9"):
        await latest_digest(parse_reference(f"{host}/team/app:v9"), auth, InsecureRegistries())
    from services.common.embedded import free_port

    with pytest.raises(Unavailable, match="not reachable"):
        await latest_digest(parse_reference(f"127.0.0.1:{free_port()}/team/app"), auth, InsecureRegistries())
