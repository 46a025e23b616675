"""Write requests about onboarding keys (`/write`, admin only)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.common import I64
from contracts.entities.onboarding_key import CreateOnboardingKeyResponse, OnboardingKey


class CreateOnboardingKey(WriteRequest):
    """Create an onboarding key; answers the private key (shown once) and the stored key."""

    RESPONSE: ClassVar[Any] = CreateOnboardingKeyResponse

    name: str
    """A name for the key."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""
    private_key: str | None = None
    """Use this private key instead of generating one."""
    tags: list[str] = Field(default_factory=list)
    """Tags given to servers it onboards."""
    privileged: bool = False
    """Whether it may also claim existing servers."""
    copy_server: str = ""
    """Server whose config new servers copy."""
    create_builder: bool = False
    """Whether a Builder is created for each new server."""
    single_use: bool = False
    """Varanus extension: the key onboards one agent, then is disabled."""


class UpdateOnboardingKey(WriteRequest):
    """Change an onboarding key; answers the OnboardingKey."""

    RESPONSE: ClassVar[Any] = OnboardingKey

    public_key: str
    """The key's public part."""
    enabled: bool | None = None
    """Whether the key may be used."""
    name: str | None = None
    """A new name."""
    expires: I64 | None = None
    """New expiry (unix ms); 0 never."""
    tags: list[str] | None = None
    """New tags."""
    privileged: bool | None = None
    """Whether it may claim existing servers."""
    copy_server: str | None = None
    """Server whose config new servers copy."""
    create_builder: bool | None = None
    """Whether a Builder is created for each new server."""


class DeleteOnboardingKey(WriteRequest):
    """Delete an onboarding key; answers the deleted OnboardingKey."""

    RESPONSE: ClassVar[Any] = OnboardingKey

    public_key: str
    """The key's public part."""
