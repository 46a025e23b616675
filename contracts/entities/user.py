"""Users: people and service users, how they log in, and their per-type permissions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import (
    I64,
    PermissionLevelAndSpecifics,
    ResourceTargetVariant,
    parse_permission,
)


class UserConfigVariant(StrEnum):
    """The ways a user can log in (the `type` of a UserConfig, and the keys of `linked_logins`)."""

    Local = "Local"
    Google = "Google"
    Github = "Github"
    Oidc = "Oidc"
    Service = "Service"


class LocalLogin(KomodoModel):
    """Login data of a local user."""

    password: str = ""
    """The password's bcrypt hash (never the password; answers show `########`)."""


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
    """A user's TOTP second factor (secret and codes are cleared before a user is sent out)."""

    secret: str = ""
    """The TOTP secret (encrypted)."""
    confirmed_at: I64 = 0
    """When enrollment was confirmed (unix ms)."""
    recovery_codes: list[str] = Field(default_factory=list)
    """Hashed recovery codes."""


class UserPasskeyConfig(KomodoModel):
    """A user's passkey second factor."""

    passkey: Any = None
    """The stored passkey (its schema is not public; cleared before a user is sent out)."""
    created_at: I64 = 0
    """When it was enrolled (unix ms)."""


def parse_permission_map(value: Any) -> Any:
    """Accept bare level strings (`{"Server": "Read"}`) as values of a per-type permission map."""
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
    """Whether the user is enabled and may use the API."""
    super_admin: bool = False
    """Whether the user may give and take admin rights."""
    admin: bool = False
    """Whether the user has global admin permissions."""
    create_server_permissions: bool = False
    """Whether a non-admin may create servers."""
    create_build_permissions: bool = False
    """Whether a non-admin may create builds."""
    config: UserConfig = Field(default_factory=LocalUserConfig)
    """The primary login method."""
    linked_logins: dict[UserConfigVariant, UserConfig] = Field(default_factory=dict)
    """Further login methods linked to this user, by kind (never `Service`)."""
    totp: UserTotpConfig = Field(default_factory=UserTotpConfig)
    """TOTP second factor."""
    passkey: UserPasskeyConfig = Field(default_factory=UserPasskeyConfig)
    """Passkey second factor."""
    external_skip_2fa: bool = True
    """Whether external (third-party) logins skip the second factor."""
    last_update_view: I64 = 0
    """When the user last opened the updates list (unix ms)."""
    recents: dict[ResourceTargetVariant, list[str]] = Field(default_factory=dict)
    """Recently viewed resource ids (the 10 latest), by resource type."""
    all: dict[ResourceTargetVariant, PermissionLevelAndSpecifics] = Field(default_factory=dict)
    """Elevated permission on every resource of a type, by type (a bare level is accepted)."""
    updated_at: I64 = 0
    """When the user was last changed (unix ms)."""

    _coerce_all = field_validator("all", mode="before")(parse_permission_map)


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
