"""Credentials for tests that drive service processes started with a data folder."""

from __future__ import annotations

from pathlib import Path

from contracts.service_users import SYSTEM_USER_ID
from services.common.auth import load_jwt_signer
from services.common.settings import Settings


def system_token(data_dir: Path) -> dict[str, str]:
    """Credentials of the built-in System user, signed with the data folder's JWT key (as services sign them)."""
    return {"Authorization": load_jwt_signer(Settings(data_dir=data_dir)).issue(SYSTEM_USER_ID)}


def services_nats_url(data_dir: Path, port: int) -> str:
    """The embedded NATS of `./run up` as the services reach it (user `varanus`, password from the data folder)."""
    password = (data_dir / "nats-services.password").read_text(encoding="utf-8").strip()
    return f"nats://varanus:{password}@127.0.0.1:{port}"
