"""Image update detection's pure parts: comparing the registry's digest with the running image's, cache keys,
when a stored result still shows, and what an engine error means. (The agent's registry lookup itself is tested
against a real engine and registry in tests/integration/test_image_digest.py.)"""

from __future__ import annotations

import pytest
from aiodocker.exceptions import DockerError

from contracts.api.agent.container import RegistryAuth
from services.agent.handlers.image_digest import lookup_error, registry_of
from services.common.errors import BadRequest, NotFound, Unavailable
from services.executor.updates.check import digest_key, is_update_available, repo_digest_values
from services.executor.updates.store import UpdateRecord

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


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


def test_registry_of_reads_references_as_docker_does() -> None:
    assert registry_of("nginx") == "docker.io"
    assert registry_of("team/app:1") == "docker.io"
    assert registry_of("ghcr.io/org/app") == "ghcr.io"
    assert registry_of("127.0.0.1:5000/app") == "127.0.0.1:5000"
    assert registry_of("localhost/app") == "localhost"


AUTH = RegistryAuth(server="ghcr.io", username="bot", password="s3cret-pass")


@pytest.mark.parametrize(
    ("status", "message", "kind", "says"),
    [
        (401, "unauthorized: authentication required", BadRequest, "refused the credentials of user 'bot'"),
        (500, "Get https://ghcr.io/token: unauthorized: bad token", BadRequest, "refused the credentials"),
        (500, "denied: requested access to the resource is denied", BadRequest, "refused the credentials"),
        (404, "manifest unknown: manifest unknown", NotFound, "has no image ghcr.io/org/app:1"),
        (400, "invalid reference format", BadRequest, "invalid reference format"),
        (500, 'Get "https://ghcr.io/v2/": dial tcp: i/o timeout', Unavailable, "not reachable"),
    ],
)
def test_engine_errors_become_clear_answers_without_the_password(
    status: int, message: str, kind: type[Exception], says: str
) -> None:
    error = lookup_error("ghcr.io/org/app:1", AUTH, DockerError(status, f"{message} s3cret-pass"))
    assert isinstance(error, kind)
    assert says in str(error)
    assert "s3cret-pass" not in str(error)


def test_anonymous_refusals_point_at_the_registry_account() -> None:
    error = lookup_error("127.0.0.1:5000/app", None, DockerError(500, "no basic auth credentials"))
    assert isinstance(error, BadRequest)
    assert "refused anonymous access" in str(error) and "image_registry_account" in str(error)
