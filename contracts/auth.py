"""Shapes of Komodo v2's `/auth` API (login and key management over HTTP; not bus requests)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64


class GetLoginOptions(KomodoModel):
    """`POST /auth/login/GetLoginOptions`: which login methods are on."""


class GetLoginOptionsResponse(KomodoModel):
    """The login methods and whether registration is open."""

    local: bool = True
    """Username and password login."""
    oidc: bool = False
    """OIDC login."""
    github: bool = False
    """GitHub login."""
    google: bool = False
    """Google login."""
    registration_disabled: bool = False
    """Whether new users may sign up."""
    oidc_auto_redirect: bool = False
    """Whether the UI goes straight to OIDC."""


class SignUpLocalUser(KomodoModel):
    """`POST /auth/login/SignUpLocalUser`: create a local user (the first becomes super admin)."""

    username: str
    """The username."""
    password: str
    """The password."""


class LoginLocalUser(KomodoModel):
    """`POST /auth/login/LoginLocalUser`: log in with username and password."""

    username: str
    """The username."""
    password: str
    """The password."""


class JwtData(KomodoModel):
    """A JWT to send as `Authorization`."""

    jwt: str
    """The token."""


class JwtLogin(KomodoModel):
    """Login done: the JWT."""

    type: Literal["Jwt"] = "Jwt"
    """Outcome kind."""
    data: JwtData
    """The token."""


class PasskeyLogin(KomodoModel):
    """Login needs the passkey second factor."""

    type: Literal["Passkey"] = "Passkey"
    """Outcome kind."""
    data: Any = None
    """The passkey challenge."""


class TotpLogin(KomodoModel):
    """Login needs a TOTP code."""

    type: Literal["Totp"] = "Totp"
    """Outcome kind."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Empty."""


JwtOrTwoFactor = Annotated[JwtLogin | PasskeyLogin | TotpLogin, Field(discriminator="type")]
"""Answer of a login: the JWT, or the second factor still needed."""


class CreateApiKey(KomodoModel):
    """`POST /auth/manage/CreateApiKey`: create an API key for the caller."""

    name: str
    """A name for the key."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""


class DeleteApiKey(KomodoModel):
    """`POST /auth/manage/DeleteApiKey`: delete one of the caller's API keys."""

    key: str
    """The key."""


class UpdatePassword(KomodoModel):
    """`POST /auth/manage/UpdatePassword`: change the caller's password."""

    password: str
    """The new password."""


class UpdateUsername(KomodoModel):
    """`POST /auth/manage/UpdateUsername`: change the caller's username."""

    username: str
    """The new username."""


class GetUserId(KomodoModel):
    """`POST /auth/manage/GetUserId`: the caller's user id."""


class GetUserIdResponse(KomodoModel):
    """The caller's user id."""

    user_id: str
    """The user id."""
