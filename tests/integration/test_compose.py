"""The production compose files are valid for `docker compose` and describe the production layout."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def compose_config(file: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "compose" / file), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_production_compose(docker_available: None) -> None:
    config = compose_config("compose.yaml")
    services: dict[str, dict[str, object]] = config["services"]  # type: ignore[assignment]
    assert {"nats-1", "nats-2", "nats-3", "mongo-1", "mongo-2", "mongo-3", "mongo-init", "nats-auth"} <= set(
        services
    )
    # Every NATS node waits for the callout files and reads them; every service connects as `varanus`.
    for node in ("nats-1", "nats-2", "nats-3"):
        assert services[node]["depends_on"]["nats-auth"]["condition"] == "service_completed_successfully"  # type: ignore[index]
        assert any(v["target"] == "/etc/nats/auth" for v in services[node]["volumes"])  # type: ignore[attr-defined, index]
    assert "include auth/auth.conf" in (ROOT / "compose" / "nats.conf").read_text()
    registry_env: dict[str, str] = services["registry"]["environment"]  # type: ignore[assignment]
    assert registry_env["KOMODO_NATS_AUTH_PASSWORD_FILE"] == "/nats-auth/nats-auth.password"
    assert registry_env["KOMODO_NATS_ISSUER_SEED_FILE"] == "/nats-auth/nats-issuer.seed"
    for name in ("registry", "gateway", "executor", "builder", "alerter", "sync"):
        service = services[name]
        assert service["deploy"]["replicas"] == 2, name  # type: ignore[index]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        env: dict[str, str] = service["environment"]  # type: ignore[assignment]
        assert env["KOMODO_NATS_URL"].count("nats://") == 3
        assert env["KOMODO_NATS_USER"] == "varanus"
        assert env["KOMODO_NATS_PASSWORD_FILE"] == "/nats-auth/nats-services.password"
        assert env["KOMODO_SECRETS_KEY_FILE"] == "/run/secrets/secrets_key"
        assert env["KOMODO_JWT_SECRET_FILE"] == "/run/secrets/jwt_secret"
        assert "replicaSet=rs0" in env["KOMODO_DATABASE_URI"]
    assert services["gateway"]["environment"]["KOMODO_BIND_IP"] == "0.0.0.0"  # type: ignore[index]
    assert "--replSet" in services["mongo-1"]["command"]  # type: ignore[operator]


def test_agent_compose(docker_available: None) -> None:
    config = compose_config("agent.yaml", {"KOMODO_NATS_URL": "nats://core:4222"})
    agent: dict[str, object] = config["services"]["agent"]  # type: ignore[index]
    assert agent["command"] == ["python", "-m", "services.agent"]
    assert set(agent["environment"]) >= {
        "KOMODO_NATS_URL",
        "VARANUS_AGENT_ONBOARDING_KEY",
        "VARANUS_AGENT_CREDENTIAL_FILE",
    }  # type: ignore[call-overload]
    assert any("docker.sock" in str(volume) for volume in agent["volumes"])  # type: ignore[attr-defined]
