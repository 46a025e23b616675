"""Read requests about onboarding keys (`/read`, admin only)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.onboarding_key import OnboardingKey


class ListOnboardingKeys(ReadRequest):
    """List onboarding keys; answers a list of OnboardingKey."""

    RESPONSE: ClassVar[Any] = list[OnboardingKey]
