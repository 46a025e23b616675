"""Image update detection's pure parts: comparing the registry's digest with the running image's, cache keys,
and when a stored result still shows. (The agent's registry lookup is tested against a real engine and registry
in tests/integration/test_image_digest.py.)"""

from __future__ import annotations

from contracts.api.agent.container import RegistryAuth
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
