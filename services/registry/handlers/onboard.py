"""A new host's agent onboards: with an onboarding key it creates (or, with a privileged key, claims) its Server
and receives its own agent credential.

Not a Komodo request, so not on `komodo.<api>.*`: the agent has no user credentials yet, only the onboarding
key, which travels in the body and is checked here (and, when NATS asks the registry about connections, at
connect too). A new server takes the config of the key's `copy_server`, the key's tags, and is enabled; with the key's `create_builder`, a Server Builder of the
same name is created for it too, so builds can run on the new host at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts.api.internal.agent import AgentCredential, OnboardAgent
from contracts.entities.common import ResourceTargetVariant
from contracts.service_users import SYSTEM_USER_ID
from contracts.subjects import ONBOARD_SUBJECT, STATUS_HEADER, queue_group
from services.common.bus import encode_error
from services.common.errors import BadRequest, Forbidden, ServiceError, describe_validation_error
from services.common.nats_auth import public_key_of

if TYPE_CHECKING:
    from services.registry.app import Registry

log = logging.getLogger(__name__)


async def onboard(registry: Registry, request: OnboardAgent) -> AgentCredential:
    """Create or claim the server named `connect_as` and issue its agent credential."""
    key = await registry.onboarding_keys.usable(request.onboarding_key)
    if key.single_use:
        await registry.onboarding_keys.claim_once(key.public_key)
    servers = registry.kinds[ResourceTargetVariant.Server.value]
    existing = await servers.find(request.connect_as)
    if existing is not None:
        if not key.privileged:
            raise Forbidden(
                f"server {existing.name!r} already exists; only a privileged onboarding key may claim it"
            )
        if not existing.config.enabled or existing.config.address:
            await servers.update(existing.id, {"enabled": True, "address": ""}, SYSTEM_USER_ID)
        server_id = existing.id
    else:
        config = {}
        if key.copy_server:
            template = await servers.find(key.copy_server)
            if template is not None:
                config = template.config.model_dump(mode="json")
        config.update(enabled=True, address="")
        created = await servers.create(request.connect_as, config, SYSTEM_USER_ID, tags=list(key.tags))
        server_id = created.id
        if key.create_builder:
            await create_server_builder(registry, request.connect_as, server_id, list(key.tags))
    await registry.onboarding_keys.record_onboarded(key.public_key, server_id)
    log.info("onboarded server %s with key %s", request.connect_as, key.name)
    return await registry.agent_credentials.issue(server_id)


async def create_server_builder(registry: Registry, name: str, server_id: str, tags: list[str]) -> None:
    """Create the Server Builder `name` building on `server_id`; an existing Builder of that name is left as it
    is (an admin's own builder is never replaced), and the onboarding goes on either way."""
    builders = registry.kinds[ResourceTargetVariant.Builder.value]
    if await builders.find(name) is not None:
        log.warning("onboarding %s: a Builder of that name exists already; no builder created", name)
        return
    config = {"type": "Server", "params": {"server_id": server_id}}
    await builders.create(name, config, SYSTEM_USER_ID, tags=tags)


async def subscribe(registry: Registry) -> None:
    """Answer onboarding requests (registry replicas share them)."""

    async def on_message(msg: Msg) -> None:
        key = ""
        try:
            try:
                request = OnboardAgent.model_validate_json(msg.data)
                key = request.onboarding_key
            except ValidationError as err:
                raise describe_validation_error(err, "OnboardAgent request") from None
            if not request.connect_as:
                raise BadRequest("connect_as: the server name must not be empty")
            answer = (await onboard(registry, request)).model_dump_json().encode()
            status = 200
        except ServiceError as err:
            log.info("onboarding refused (key %s): %s", public_key_of(key)[:8], err.message)
            answer, status = encode_error(err), err.status
        except Exception:
            log.exception("onboarding failed")
            answer, status = encode_error(ServiceError("internal error while onboarding")), 500
        if msg.reply:
            await registry.bus.nc.publish(msg.reply, answer, headers={STATUS_HEADER: str(status)})

    await registry.bus.nc.subscribe(ONBOARD_SUBJECT, queue=queue_group("registry"), cb=on_message)
