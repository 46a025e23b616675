"""Shapes of Komodo v2's `/auth` API (mogh_auth 1.7): login and self-service account management over HTTP.

These are not bus requests. Clients post `{"type": "<Name>", "params": {...}}` to `/auth/login` (no credentials
needed) or `/auth/manage` (authenticated), or `params` alone to `/auth/login/<Name>` and `/auth/manage/<Name>`.
Each request class names its route group in `GROUP` and its answer in `RESPONSE`; `AUTH_REQUESTS` finds a class
by group and name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from contracts.api.base import NoData
from contracts.base import KomodoModel
from contracts.entities.api_key import CreateApiKeyResponse
from contracts.entities.common import I64

AuthGroup = Literal["login", "manage"]

AUTH_REQUESTS: dict[str, dict[str, type[AuthRequest]]] = {"login": {}, "manage": {}}
"""Every `/auth` request class by group (`login`, `manage`) and name, filled as the classes are defined."""


class AuthRequest(KomodoModel):
    """A request of the `/auth` API; the class name is the request name."""

    GROUP: ClassVar[AuthGroup]
    RESPONSE: ClassVar[Any] = NoData

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__name__ in {"LoginRequest", "ManageRequest"}:
            return
        AUTH_REQUESTS[cls.GROUP][cls.__name__] = cls


class LoginRequest(AuthRequest):
    """A request of `/auth/login`: answered without credentials (and rate limited by IP)."""

    GROUP: ClassVar[AuthGroup] = "login"


class ManageRequest(AuthRequest):
    """A request of `/auth/manage`: needs a JWT or an API key, and acts on the calling user."""

    GROUP: ClassVar[AuthGroup] = "manage"


class LoginProvider(StrEnum):
    """The ways to log in."""

    Local = "Local"
    Oidc = "Oidc"
    Github = "Github"
    Google = "Google"


class ExternalLoginProvider(StrEnum):
    """The third-party ways to log in (`/auth/{oidc|github|google}/login`)."""

    Oidc = "Oidc"
    Github = "Github"
    Google = "Google"


# ---------------------------------------------------------------------------------------------------------
# Answers


class JwtResponse(KomodoModel):
    """A JWT to send in the `Authorization` header of later requests."""

    jwt: str
    """The token."""


class JwtLogin(KomodoModel):
    """Login done: the JWT."""

    type: Literal["Jwt"] = "Jwt"
    """Outcome kind."""
    data: JwtResponse
    """The token."""


class PasskeyLogin(KomodoModel):
    """Login needs the passkey second factor; finish it with CompletePasskeyLogin."""

    type: Literal["Passkey"] = "Passkey"
    """Outcome kind."""
    data: Any = None
    """The WebAuthn request challenge for the browser."""


class TotpLogin(KomodoModel):
    """Login needs a TOTP code; finish it with CompleteTotpLogin."""

    type: Literal["Totp"] = "Totp"
    """Outcome kind."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Always `{}`."""


JwtOrTwoFactor = Annotated[JwtLogin | PasskeyLogin | TotpLogin, Field(discriminator="type")]
"""Answer of a login: `{"type": "Jwt", "data": {"jwt"}}`, or the second factor still needed."""


class GetLoginOptionsResponse(KomodoModel):
    """The login methods that are on, and whether registration is open."""

    local: bool = False
    """Whether username and password login is on."""
    oidc: bool = False
    """Whether OIDC login is on."""
    github: bool = False
    """Whether GitHub login is on."""
    google: bool = False
    """Whether Google login is on."""
    registration_disabled: bool = False
    """Whether signing up new users is turned off."""
    oidc_auto_redirect: bool = False
    """Whether the login page goes straight to the OIDC provider."""


class GetUserIdResponse(KomodoModel):
    """The calling user's id."""

    id: str
    """The user id."""


class BeginTotpEnrollmentResponse(KomodoModel):
    """A new TOTP secret to add to an authenticator app."""

    uri: str
    """The `otpauth://` URI, for adding by hand."""
    png: str
    """The URI as a QR code: a base64 PNG to embed in HTML."""


class ConfirmTotpEnrollmentResponse(KomodoModel):
    """TOTP is on: the recovery codes, shown only this once."""

    recovery_codes: list[str] = Field(default_factory=list)
    """Single-use codes that stand in for a TOTP code."""


# ---------------------------------------------------------------------------------------------------------
# /auth/login


class GetLoginOptions(LoginRequest):
    """Which login methods are on; answers GetLoginOptionsResponse."""

    RESPONSE: ClassVar[Any] = GetLoginOptionsResponse


class SignUpLocalUser(LoginRequest):
    """Create a local user (the very first user becomes an enabled super admin); answers a JwtResponse."""

    RESPONSE: ClassVar[Any] = JwtResponse

    username: str
    """The username for the new user."""
    password: str
    """The password for the new user; it cannot be read back later."""


class LoginLocalUser(LoginRequest):
    """Log in with username and password; answers JwtOrTwoFactor (the JWT, or the second factor still needed)."""

    RESPONSE: ClassVar[Any] = JwtOrTwoFactor

    username: str
    """The user's username."""
    password: str
    """The user's password."""


class ExchangeForJwt(LoginRequest):
    """After a third-party login redirect, trade the session cookie for a JWT; answers a JwtResponse."""

    RESPONSE: ClassVar[Any] = JwtResponse


class CompletePasskeyLogin(LoginRequest):
    """Finish a login that needs a passkey; answers a JwtResponse."""

    RESPONSE: ClassVar[Any] = JwtResponse

    credential: Any = None
    """The WebAuthn public key credential from the browser."""


class CompleteTotpLogin(LoginRequest):
    """Finish a login that needs a TOTP code; answers a JwtResponse."""

    RESPONSE: ClassVar[Any] = JwtResponse

    code: str
    """The current TOTP code (or a recovery code)."""


# ---------------------------------------------------------------------------------------------------------
# /auth/manage


class GetUserId(ManageRequest):
    """The calling user's id; answers GetUserIdResponse."""

    RESPONSE: ClassVar[Any] = GetUserIdResponse


class UpdateUsername(ManageRequest):
    """Change the calling user's username; answers `{}`."""

    username: str
    """The new username."""


class UpdatePassword(ManageRequest):
    """Change the calling user's password; answers `{}`."""

    password: str
    """The new password."""


class BeginExternalLoginLink(ManageRequest):
    """Start linking a third-party login; then send the user to `/auth/{provider}/link`. Answers `{}`."""


class UnlinkLogin(ManageRequest):
    """Remove one of the calling user's linked login methods; answers `{}`."""

    provider: LoginProvider
    """The login method to remove."""


class BeginPasskeyEnrollment(ManageRequest):
    """Start enrolling a passkey second factor; answers the WebAuthn creation challenge."""

    RESPONSE: ClassVar[Any] = Any


class ConfirmPasskeyEnrollment(ManageRequest):
    """Finish enrolling a passkey second factor; answers `{}`."""

    credential: Any = None
    """The WebAuthn credential the browser registered."""


class UnenrollPasskey(ManageRequest):
    """Turn off the passkey second factor; answers `{}`."""


class BeginTotpEnrollment(ManageRequest):
    """Start enrolling a TOTP second factor; answers BeginTotpEnrollmentResponse."""

    RESPONSE: ClassVar[Any] = BeginTotpEnrollmentResponse


class ConfirmTotpEnrollment(ManageRequest):
    """Finish enrolling TOTP with a valid code; answers ConfirmTotpEnrollmentResponse."""

    RESPONSE: ClassVar[Any] = ConfirmTotpEnrollmentResponse

    code: str
    """A current 6-digit code from the authenticator."""


class UnenrollTotp(ManageRequest):
    """Turn off the TOTP second factor; answers `{}`."""


class UpdateExternalSkip2fa(ManageRequest):
    """Choose whether third-party logins of the calling user skip the second factor; answers `{}`."""

    external_skip_2fa: bool
    """Whether third-party logins skip the second factor."""


class CreateApiKey(ManageRequest):
    """Create an API key for the calling user; answers the key and its secret, shown only once."""

    RESPONSE: ClassVar[Any] = CreateApiKeyResponse

    name: str
    """A name for the key."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""


class DeleteApiKey(ManageRequest):
    """Delete one of the calling user's API keys; answers `{}`."""

    key: str
    """The key to delete."""
