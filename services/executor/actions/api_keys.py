"""The temporary API key of the `Action` service user that each run's script calls the API with.

Keys are made and deleted through the registry's internal requests (as the System user); their name starts
with `KEY_MARKER`, so the keys a crashed executor left behind are found and deleted when an executor starts.
"""

from __future__ import annotations

import logging
import time

from contracts.api.internal.auth import IssueApiKey, ListUserApiKeys, RevokeApiKey
from contracts.entities.api_key import ApiKey, CreateApiKeyResponse
from contracts.service_users import ACTION_USER_ID
from services.common.errors import ServiceError
from services.common.registry_client import RegistryClient

log = logging.getLogger(__name__)

KEY_MARKER = "action-run-"
"""How the name of a run's temporary key starts (`action-run-<update id>`)."""
KEY_SLACK_MS = 5 * 60 * 1000
"""How long past the script's time limit a key stays valid, should its deletion fail."""


async def issue_run_key(
    registry: RegistryClient, update_id: str, limit_seconds: float
) -> CreateApiKeyResponse:
    """A new key of the Action user for one run, expiring a little after the run's time limit."""
    expires = int(time.time() * 1000 + limit_seconds * 1000 + KEY_SLACK_MS)
    issued: CreateApiKeyResponse = await registry.bus.request(
        IssueApiKey(user_id=ACTION_USER_ID, name=f"{KEY_MARKER}{update_id}", expires=expires),
        registry.system_headers(),
    )
    return issued


async def revoke_run_key(registry: RegistryClient, key: str) -> None:
    """Delete a run's key; a key already gone is fine."""
    try:
        await registry.bus.request(RevokeApiKey(user_id=ACTION_USER_ID, key=key), registry.system_headers())
    except ServiceError as err:
        if err.status != 404:
            raise


async def run_keys(registry: RegistryClient) -> list[ApiKey]:
    """The Action user's keys made for runs."""
    keys: list[ApiKey] = await registry.bus.request(
        ListUserApiKeys(user_id=ACTION_USER_ID), registry.system_headers()
    )
    return [key for key in keys if key.name.startswith(KEY_MARKER)]


async def remove_leftover_keys(registry: RegistryClient, live_update_ids: set[str]) -> int:
    """Delete the run keys whose run is not live (no executor holds its lease: a crashed run's); answers how
    many were deleted. Runs in progress on other replicas keep theirs."""
    removed = 0
    for key in await run_keys(registry):
        if key.name.removeprefix(KEY_MARKER) in live_update_ids:
            continue
        try:
            await revoke_run_key(registry, key.key)
            removed += 1
        except ServiceError as err:
            log.warning("could not delete the leftover action key %s: %s", key.name, err.message)
    return removed
