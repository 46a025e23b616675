"""Credentials: password and API-secret hashes, and the JWTs that log-ins hand out.

Passwords and API secrets are stored only as scrypt hashes (`scrypt$n$r$p$salt$hash`). JWTs are HS256-signed
with `KOMODO_JWT_SECRET` (generated into the data folder when unset, so every process of an embedded setup
shares it) and expire after `KOMODO_JWT_TTL`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import jwt

from contracts.entities.common import timelength_seconds
from services.common.errors import Unauthorized
from services.common.secrets import read_or_create_key_file
from services.common.settings import Settings

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_secret(value: str) -> str:
    """A salted scrypt hash of a password or API secret."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(value.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_secret(value: str, stored: str) -> bool:
    """Whether `value` matches a stored hash (compared in constant time; a malformed hash never matches)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            value.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def new_api_key() -> tuple[str, str]:
    """A fresh API key and secret in Komodo's forms `K_<40>_K` and `S_<40>_S`."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def token() -> str:
        return "".join(secrets.choice(alphabet) for _ in range(40))

    return f"K_{token()}_K", f"S_{token()}_S"


MAX_VERIFIED_TOKENS = 10_000
"""Tokens a process remembers as verified; past that it forgets them all and verifies each again."""


class JwtSigner:
    """Issues and checks the JWTs of logged-in users."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if not secret:
            raise ValueError("the JWT secret is empty")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._reused: dict[str, tuple[str, float]] = {}
        self._verified: dict[str, tuple[str, float]] = {}

    def issue(self, user_id: str) -> str:
        """A token for `user_id`, valid for the configured lifetime."""
        now = int(time.time())
        return jwt.encode({"sub": user_id, "iat": now, "exp": now + self.ttl_seconds}, self._secret, "HS256")

    def reused(self, user_id: str) -> str:
        """A token for a built-in service user's frequent calls to another service (the live state of every
        list): signed once and reused while more than half its lifetime is left. Signing it anew per call cost
        as much as the rest of the call, and the receiver's credential cache recognises a token it has seen."""
        now = time.monotonic()
        kept = self._reused.get(user_id)
        if kept is not None and kept[1] > now:
            return kept[0]
        token = self.issue(user_id)
        self._reused[user_id] = (token, now + self.ttl_seconds / 2)
        return token

    def verify(self, token: str) -> str:
        """The user id of a valid token; 401 when it is malformed, forged or expired.

        A token verified before is known by its text until it expires (the same text has the same signature and
        claims), so a client or service sending it on every request pays for the HMAC check once."""
        token = token.removeprefix("Bearer ").strip()
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}
            )
        except jwt.ExpiredSignatureError:
            self._verified.pop(token, None)
            raise Unauthorized("the token has expired; log in again") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token") from None
        if len(self._verified) >= MAX_VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = (str(claims["sub"]), float(claims["exp"]))
        return str(claims["sub"])


def load_jwt_signer(settings: Settings) -> JwtSigner:
    """The signer of this deployment: `KOMODO_JWT_SECRET`, or the key generated in the data folder."""
    secret = settings.jwt_secret.get_secret_value() or read_or_create_key_file(
        settings.data_dir / "jwt.secret"
    )
    return JwtSigner(secret, timelength_seconds(settings.jwt_ttl))
