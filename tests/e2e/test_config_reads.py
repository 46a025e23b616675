"""Secrets, git providers and image registries from a Komodo-style config file, as clients list them."""

from __future__ import annotations

import json
from pathlib import Path

import nats

from services.common.settings import Settings
from services.registry.app import Registry
from tests.e2e.conftest import BusClient

CONFIG = """
[secrets]
GITHUB_TOKEN = "ghp-config-token-value"
DB_PASSWORD = "config-db-password"

[[git_provider]]
domain = "git.example.com"
accounts = [{ username = "deploy-bot", token = "git-config-token" }]

[[image_registry]]
domain = "registry.example.com"
organizations = ["acme"]
accounts = [{ username = "pusher", token = "registry-config-token" }]
"""


async def test_config_file_reads_list_names_never_values(nats_url, mongo_url, db_prefix, tmp_path: Path):
    config = tmp_path / "core.config.toml"
    config.write_text(CONFIG)
    settings = Settings.load(
        nats_url=nats_url,
        database_uri=mongo_url,
        db_prefix=db_prefix,
        data_dir=tmp_path / "data",
        config_path=config,
    )
    registry = Registry(settings)
    await registry.start()
    nc = await nats.connect(nats_url)
    try:
        user = await registry.users.create_local(
            "cfg-user", "cfg-user-password", enabled=True, admin=False, super_admin=False
        )
        bus = BusClient(nc, {"Authorization": registry.signer.issue(user.id)})
        admin = await registry.users.create_local(
            "cfg-admin", "cfg-admin-password", enabled=True, admin=True, super_admin=False
        )
        admin_bus = BusClient(nc, {"Authorization": registry.signer.issue(admin.id)})
        await admin_bus.write(
            "CreateGitProviderAccount",
            {"account": {"domain": "git.example.com", "username": "db-user", "token": "db-token"}},
        )

        assert await bus.read("ListSecrets", {}) == ["DB_PASSWORD", "GITHUB_TOKEN"]
        providers = await bus.read("ListGitProvidersFromConfig", {})
        assert providers == [
            {
                "domain": "git.example.com",
                "https": True,
                "accounts": [{"username": "deploy-bot"}, {"username": "db-user"}],
            }
        ]
        registries = await bus.read("ListImageRegistriesFromConfig", {})
        assert registries == [
            {
                "domain": "registry.example.com",
                "accounts": [{"username": "pusher"}],
                "organizations": ["acme"],
            }
        ]
        everything = json.dumps([providers, registries])
        for secret in ("ghp-config-token-value", "git-config-token", "registry-config-token", "db-token"):
            assert secret not in everything
        missing = await bus.send(
            "read", "ListSecrets", {"target": {"type": "Server", "id": "no-such-server"}}
        )
        assert missing.status == 404 and "no-such-server" in missing.error
    finally:
        await nc.close()
        await registry.stop()


def test_a_broken_config_file_is_named(tmp_path: Path):
    import pytest

    bad = tmp_path / "bad.toml"
    bad.write_text("[secrets\nX=1")
    with pytest.raises(RuntimeError, match="not valid TOML"):
        Settings.load(config_path=bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[secrets]\nX = 1\n")
    with pytest.raises(RuntimeError, match=r"\[secrets\] must map names to strings"):
        Settings.load(config_path=wrong)
    with pytest.raises(RuntimeError, match="cannot read KOMODO_CONFIG_PATH"):
        Settings.load(config_path=tmp_path / "missing.toml")
