"""UpdateResourceInfo: executions record what they learned about a resource (a stack's deployed files)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from contracts.api.base import NoData
from contracts.api.internal.resource_info import UpdateResourceInfo
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.registry.documents import object_id

if TYPE_CHECKING:
    from services.registry.app import Registry


async def update_info(registry: Registry, req: UpdateResourceInfo) -> None:
    """Check the fields against the kind's info model, then set them; a 404 for a resource that is gone."""
    kind = registry.kinds[req.target.type.value]
    info_cls: Any = kind.spec.resource_cls.model_fields["info"].annotation
    unknown = sorted(set(req.info) - set(getattr(info_cls, "model_fields", {})))
    if unknown:
        raise BadRequest(f"{kind.spec.name} info has no field {', '.join(unknown)}")
    current = await kind.get(req.target.id)
    try:
        merged = info_cls.model_validate({**current.info.model_dump(mode="json"), **req.info})
    except ValidationError as err:
        raise BadRequest(f"{kind.spec.name} info: {err.errors()[0]['msg']}") from None
    fields = merged.model_dump(mode="json")
    await kind.coll.update_one(
        {"_id": object_id(req.target.id, "id")}, {"$set": {f"info.{name}": fields[name] for name in req.info}}
    )


def register(registry: Registry) -> None:
    """Answer UpdateResourceInfo."""

    async def handle(req: UpdateResourceInfo, ctx: RequestContext) -> NoData:
        await update_info(registry, req)
        return NoData()

    registry.bus.handle(UpdateResourceInfo, handle)
