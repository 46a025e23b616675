"""API keys: key and secret pairs that authenticate requests as a user."""

from __future__ import annotations

from contracts.base import KomodoModel
from contracts.entities.common import I64


class ApiKey(KomodoModel):
    """An API key of a user (the secret is stored only as a hash)."""

    key: str
    """The public key, `K_..._K`."""
    secret: str = ""
    """The secret's hash (never the secret; empty in list answers)."""
    user_id: str
    """The user the key acts as."""
    name: str = ""
    """A name for the key."""
    created_at: I64 = 0
    """When it was created (unix ms)."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""


class CreateApiKeyResponse(KomodoModel):
    """A new API key: shown once, the secret is not stored in clear."""

    key: str
    """The key, `K_..._K`."""
    secret: str
    """The secret, `S_..._S`."""
