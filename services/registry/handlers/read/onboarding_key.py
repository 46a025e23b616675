"""ListOnboardingKeys (admin only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.onboarding_key import ListOnboardingKeys
from contracts.entities.onboarding_key import OnboardingKey
from services.common.bus import RequestContext
from services.registry.permissions import require_admin

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer ListOnboardingKeys."""

    async def list_keys(req: ListOnboardingKeys, ctx: RequestContext) -> list[OnboardingKey]:
        require_admin(ctx.caller, "list onboarding keys")
        return await registry.onboarding_keys.list_keys()

    registry.bus.handle(ListOnboardingKeys, list_keys)
