"""Events about who may do what: users, API keys, user groups and permissions."""

from __future__ import annotations

from typing import ClassVar

from contracts.events.base import Event


class CredentialsChanged(Event):
    """A user's standing changed in the registry (disabled, deleted, an API key deleted, admin flag or a
    permission changed, a user group changed): every process drops what it cached about that user at once."""

    KIND: ClassVar[str] = "auth"

    user_id: str = ""
    """The user whose credentials or rights changed; empty means every user (a user group changed)."""
    reason: str = ""
    """What changed, in words, for logs (`"disabled"`, `"API key deleted"`, ...); never a secret."""
