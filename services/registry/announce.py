"""Publishing `ResourceChanged` for entities that are not resources (tags, variables, accounts).

The event is stored in the outbox right after the entity's write (not in the same write): from then on it is
delivered at least once; a crash between the two loses it.
"""

from __future__ import annotations

import logging

from contracts.events.resource import ResourceChange, ResourceChanged
from services.common.bus import Bus

log = logging.getLogger(__name__)


async def announce_entity(
    bus: Bus, entity: str, entity_id: str, change: ResourceChange, name: str = ""
) -> None:
    """Record that a non-resource entity changed in the outbox (or, without one, publish it at once); a failure
    is logged, never raised."""
    event = ResourceChanged(change=change, name=name, entity=entity, entity_id=entity_id)
    try:
        if bus.outbox is not None:
            await bus.outbox.record(event)
        else:
            await bus.publish(event)
    except Exception:
        log.exception("could not publish ResourceChanged for %s %s", entity, entity_id)
