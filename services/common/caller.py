"""Who sent a request: resolved from the credentials that travel with it as headers."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts.events.credentials import CredentialsChanged
from contracts.service_users import SERVICE_USERS, SYSTEM_USER_ID
from services.common.errors import ServiceError, Unauthorized
from services.common.notice_link import NoticeLink
from services.common.rate_limit import FailedAttempts
from services.common.shared_loads import SharedLoads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """The user a request acts as."""

    user_id: str
    """Id of the user (a built-in service user id for internal calls)."""
    username: str
    """Name shown in Updates."""
    admin: bool = False
    """Whether the user is an admin."""

    @classmethod
    def system(cls) -> Caller:
        """The built-in System user."""
        return cls(user_id=SYSTEM_USER_ID, username=SERVICE_USERS[SYSTEM_USER_ID], admin=True)


Authenticator = Callable[[Mapping[str, str]], Awaitable[Caller]]
"""Resolves request headers (`Authorization`, `X-Api-Key` + `X-Api-Secret`) to a Caller, or raises Unauthorized."""


async def trust_all(headers: Mapping[str, str]) -> Caller:
    """An authenticator for tests of the transport alone: every request acts as the System user."""
    return Caller.system()


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name ("" when absent)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


CACHE_SECONDS = 5.0
"""How long a looked-up user is kept at most: a backstop for a `CredentialsChanged` event that never arrived."""


@dataclass
class _Cached:
    caller: Caller
    until: float


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT (`Bearer ` or not), read without checking its signature; None when it is no JWT.
    Only for what a signature check elsewhere makes safe, or for naming who a refused token claims to be."""
    try:
        claims = jwt.decode(token.removeprefix("Bearer ").strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def claimed_subject(token: str) -> str:
    """The user id a JWT claims to be for, read without checking its signature ("" when it names none)."""
    subject = (unverified_claims(token) or {}).get("sub")
    return subject if isinstance(subject, str) else ""


class CredentialCheck:
    """Resolves `Authorization: <jwt>` or `X-Api-Key` + `X-Api-Secret` to a Caller.

    JWTs are checked locally with the shared signing key; a JWT of a built-in service user (internal calls) needs
    no lookup. The user behind a JWT or API key is looked up through `resolve_user` / `verify_api_key` (the
    registry). Once `watch` has subscribed to `CredentialsChanged`, lookups are cached: an event drops the
    entries of the user it names (or all of them) at once, a NATS reconnect (events may have been missed) drops
    everything, and no entry lives longer than `cache_seconds` in any case.

    Failed checks are rate-limited per client (`limiter`): the client is the API key presented, or the user id
    a JWT claims. A client over the limit gets 429 instead of a lookup for an API key it has not used
    successfully just now; a JWT is always checked (cheaply, so a forged token cannot lock out its user) and
    only its failures are answered with 429.
    """

    def __init__(
        self,
        verify_jwt: Callable[[str], str],
        resolve_user: Callable[[str], Awaitable[CallerInfoLike]],
        verify_api_key: Callable[[str, str], Awaitable[CallerInfoLike]],
        cache_seconds: float = CACHE_SECONDS,
        limiter: FailedAttempts | None = None,
    ) -> None:
        self.verify_jwt = verify_jwt
        self.resolve_user = resolve_user
        self.verify_api_key = verify_api_key
        self.cache_seconds = cache_seconds
        self.limiter = limiter or FailedAttempts()
        self._cache: dict[str, _Cached] = {}
        self._generation = 0
        self._link = NoticeLink(lambda: self.forget(""))
        self._lookups: SharedLoads[CallerInfoLike] = SharedLoads()

    async def watch(self, nc: NatsClient) -> None:
        """Follow `CredentialsChanged` on `nc` (a plain subscription: every replica hears every event) and
        cache lookups from now on."""
        await self._link.start(nc, CredentialsChanged.SUBJECT, self._on_event)

    async def _on_event(self, msg: Msg) -> None:
        try:
            event = CredentialsChanged.model_validate_json(msg.data)
        except ValidationError:
            log.warning("a malformed CredentialsChanged event: dropping every cached user")
            self.forget("")
            return
        self.forget(event.user_id)

    def forget(self, user_id: str) -> None:
        """Drop what is cached about `user_id` ("": about everyone); a lookup in flight is not cached."""
        self._generation += 1
        if not user_id:
            self._cache.clear()
            return
        for slot in [slot for slot, hit in self._cache.items() if hit.caller.user_id == user_id]:
            del self._cache[slot]

    async def __call__(self, headers: Mapping[str, str]) -> Caller:
        token = header(headers, "Authorization")
        key, secret = header(headers, "X-Api-Key"), header(headers, "X-Api-Secret")
        if token:
            try:
                user_id = self.verify_jwt(token)
            except Unauthorized:
                self._refused(f"a token for user {claimed_subject(token) or '(none)'}")
                raise
            if user_id in SERVICE_USERS:
                return Caller(user_id=user_id, username=SERVICE_USERS[user_id], admin=True)
            return await self._cached(
                f"jwt:{user_id}", f"a token for user {user_id}", lambda: self.resolve_user(user_id), False
            )
        if key and secret:
            digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()
            return await self._cached(
                f"key:{digest}", f"API key {key}", lambda: self.verify_api_key(key, secret), True
            )
        raise Unauthorized("missing credentials: send Authorization: <jwt>, or X-Api-Key and X-Api-Secret")

    def _refused(self, client: str) -> None:
        """Count a failed check of `client`; 429 instead of 401 once it has used up its attempts."""
        self.limiter.check(client)
        self.limiter.failed(client)

    async def _cached(
        self, slot: str, client: str, lookup: Callable[[], Awaitable[CallerInfoLike]], limit_first: bool
    ) -> Caller:
        caching = self._link.usable()
        now = time.monotonic()
        hit = self._cache.get(slot) if caching else None
        if hit is not None and hit.until > now:
            return hit.caller
        if limit_first:
            self.limiter.check(client)
        generation = self._generation
        try:
            # Requests asking about the same credentials while a lookup runs (and no event since it started)
            # share it: when an entry expires under load, hundreds would otherwise ask the registry at once.
            info = await self._lookups.load(slot, generation, lookup)
            if not info.enabled:
                raise Unauthorized(f"user {info.username!r} is not enabled")
        except ServiceError as err:
            if err.status == 401:
                self._refused(client)
            raise
        caller = Caller(user_id=info.user_id, username=info.username, admin=info.admin)
        if caching and generation == self._generation:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[slot] = _Cached(caller, now + self.cache_seconds)
        return caller


class CallerInfoLike(Protocol):
    """What a user lookup answers (the registry's CallerInfo)."""

    @property
    def user_id(self) -> str:
        """The user's id."""

    @property
    def username(self) -> str:
        """The user's name."""

    @property
    def enabled(self) -> bool:
        """Whether the user may use the system."""

    @property
    def admin(self) -> bool:
        """Whether the user is an admin."""
