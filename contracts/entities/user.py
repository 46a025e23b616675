"""Users: people and service users, how they log in, and their per-type permissions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, PermissionLevelAndSpecifics, parse_permission


class LocalLogin(KomodoModel):
    """Login data of a local user."""

    password: str = ""
    """The password's hash (never the password)."""


class GoogleLogin(KomodoModel):
    """Login data of a Google user."""

    google_id: str = ""
    """The Google account id."""
    avatar: str = ""
    """Avatar URL."""


class GithubLogin(KomodoModel):
    """Login data of a GitHub user."""

    github_id: str = ""
    """The GitHub account id."""
    avatar: str = ""
    """Avatar URL."""


class OidcLogin(KomodoModel):
    """Login data of an OIDC user."""

    provider: str = ""
    """The OIDC provider."""
    user_id: str = ""
    """The user's id at the provider."""


class ServiceLogin(KomodoModel):
    """Data of a service user (it cannot log in; it uses API keys)."""

    description: str = ""
    """What the service user is for."""


class LocalUserConfig(KomodoModel):
    """A user that logs in with username and password."""

    type: Literal["Local"] = "Local"
    """Login kind."""
    data: LocalLogin = Field(default_factory=LocalLogin)
    """Login data."""


class GoogleUserConfig(KomodoModel):
    """A user that logs in with Google."""

    type: Literal["Google"] = "Google"
    """Login kind."""
    data: GoogleLogin = Field(default_factory=GoogleLogin)
    """Login data."""


class GithubUserConfig(KomodoModel):
    """A user that logs in with GitHub."""

    type: Literal["Github"] = "Github"
    """Login kind."""
    data: GithubLogin = Field(default_factory=GithubLogin)
    """Login data."""


class OidcUserConfig(KomodoModel):
    """A user that logs in with OIDC."""

    type: Literal["Oidc"] = "Oidc"
    """Login kind."""
    data: OidcLogin = Field(default_factory=OidcLogin)
    """Login data."""


class ServiceUserConfig(KomodoModel):
    """A service user."""

    type: Literal["Service"] = "Service"
    """Login kind."""
    data: ServiceLogin = Field(default_factory=ServiceLogin)
    """Service user data."""


UserConfig = Annotated[
    LocalUserConfig | GoogleUserConfig | GithubUserConfig | OidcUserConfig | ServiceUserConfig,
    Field(discriminator="type"),
]
"""How a user logs in: `{"type": "Local"|"Google"|"Github"|"Oidc"|"Service", "data": {...}}`."""


class UserTotpConfig(KomodoModel):
    """A user's TOTP second factor."""

    secret: str = ""
    """The TOTP secret (encrypted)."""
    confirmed_at: I64 = 0
    """When enrollment was confirmed (unix ms)."""
    recovery_codes: list[str] = Field(default_factory=list)
    """Hashed recovery codes."""


class UserPasskeyConfig(KomodoModel):
    """A user's passkey second factor."""

    passkey: Any = None
    """The stored passkey."""
    created_at: I64 = 0
    """When it was enrolled (unix ms)."""


def _permission_map(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: parse_permission(level) for key, level in value.items()}
    return value


class User(KomodoModel):
    """A user of the system."""

    id: MongoId = id_field("The Mongo id of the user.")
    """The Mongo id of the user."""
    username: str
    """The unique username."""
    enabled: bool = False
    """Whether the user may use the system."""
    super_admin: bool = False
    """Whether the user may make others admins."""
    admin: bool = False
    """Whether the user has every permission."""
    create_server_permissions: bool = False
    """Whether a non-admin may create servers."""
    create_build_permissions: bool = False
    """Whether a non-admin may create builds."""
    config: UserConfig = Field(default_factory=LocalUserConfig)
    """How the user logs in."""
    linked_logins: dict[str, Any] = Field(default_factory=dict)
    """Further logins linked to this user, by kind."""
    totp: UserTotpConfig = Field(default_factory=UserTotpConfig)
    """TOTP second factor."""
    passkey: UserPasskeyConfig = Field(default_factory=UserPasskeyConfig)
    """Passkey second factor."""
    external_skip_2fa: bool = True
    """Whether external logins skip the second factor."""
    last_update_view: I64 = 0
    """When the user last looked at the updates (unix ms)."""
    recents: dict[str, list[str]] = Field(default_factory=dict)
    """Recently viewed resource ids, by type."""
    all: dict[str, PermissionLevelAndSpecifics] = Field(default_factory=dict)
    """Permission on every resource of a type, by type."""
    updated_at: I64 = 0
    """When the user was last changed (unix ms)."""

    _coerce_all = field_validator("all", mode="before")(_permission_map)


class ServiceUserQueryBehavior(StrEnum):
    """Whether `ListUsers` includes service users."""

    Include = "Include"
    Exclude = "Exclude"
    Only = "Only"


class GetUsernameResponse(KomodoModel):
    """A user's name and avatar."""

    username: str
    """The username."""
    avatar: str | None = None
    """Avatar URL, if any."""
