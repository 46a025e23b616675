"""Publishing `ResourceChanged` for entities that are not resources (tags, variables, accounts)."""

from __future__ import annotations

import logging

from contracts.events.resource import ResourceChange, ResourceChanged
from services.common.bus import Bus

log = logging.getLogger(__name__)


async def announce_entity(
    bus: Bus, entity: str, entity_id: str, change: ResourceChange, name: str = ""
) -> None:
    """Publish that a non-resource entity changed; a publish failure is logged, never raised."""
    try:
        await bus.publish(ResourceChanged(change=change, name=name, entity=entity, entity_id=entity_id))
    except Exception:
        log.exception("could not publish ResourceChanged for %s %s", entity, entity_id)
