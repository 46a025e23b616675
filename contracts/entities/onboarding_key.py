"""Onboarding keys: let a new host's agent create or claim its Server."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64


class OnboardingKey(KomodoModel):
    """A key a new agent presents to join; identified by its public key."""

    public_key: str
    """The key's public part (its id)."""
    enabled: bool = False
    """Whether the key may be used (Komodo enables keys when it creates them)."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""
    name: str = ""
    """A name for the key."""
    onboarded: list[str] = Field(default_factory=list)
    """Ids of the servers onboarded with it."""
    created_at: I64 = 0
    """When it was created (unix ms)."""
    tags: list[str] = Field(default_factory=list)
    """Tags given to servers it onboards."""
    privileged: bool = False
    """Whether it may also act on existing servers: enable a disabled one, drop its `address`, update its public key."""
    copy_server: str = ""
    """Server whose config new servers copy."""
    create_builder: bool = False
    """Whether a Builder is created for each new server."""
    single_use: bool = False
    """Varanus extension: the key onboards one agent, then is disabled (cloud launches use such keys)."""


class CreateOnboardingKeyResponse(KomodoModel):
    """A new onboarding key: the private key is shown once."""

    private_key: str
    """The private key to give the agent (`O_..._O`)."""
    created: OnboardingKey
    """The stored key."""
