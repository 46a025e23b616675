"""Reads the gateway answers from memory until what they were made of changes.

Almost all of a read's time over HTTP is the bus round trip to the registry (docs/performance.md): the gateway's
own work is a few tens of microseconds. So the gateway keeps the answers the registry says may be kept (those
of `Get<Resource>` and of the lists whose every part the registry itself keeps until a notice: see
`KEPT_FROM_HEADER`), per request and per credentials, and drops them on the same notices the registry replicas
hear:

- `komodo.registry.dropped.<collection>`: any registry replica wrote a collection the answer was read from
  (its own notices included: the gateway holds answers of every replica);
- `komodo.executor.live.changed` / `.servers.changed`: live state the answer shows changed;
- `CredentialsChanged`: a user's credentials or rights changed (a permission, a user group, an admin flag, an
  API key, a user disabled or deleted): every kept answer goes, whoever it was for.

The registry publishes those notices before it answers the write that caused them, on the connection it answers
on, and the gateway handles each notice before the replies that follow it: a client that wrote and then reads
never gets the answer from before its write. An answer whose request was in flight while a notice dropped one of
its sources is not kept. Requests for the same answer with the same credentials while one is on its way share
that one (a crowd asking after a drop sends a single request), unless a notice came since it was sent. Nothing
is kept while the gateway's NATS connection is down, a reconnect drops everything (notices may have been
missed), and no answer is kept longer than the registry's bound on the reads it was made of (`KEPT_FOR_HEADER`,
at most 5 s): the bound, once, if a notice were lost.

Answers are keyed by the request (kind, name, params as sent) and a digest of the credentials presented (the
secret itself is not kept), so an answer is only ever given to the credentials it was made for, and never
after the token it was made for expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.events.credentials import CredentialsChanged
from contracts.subjects import LIVE_NOTICES, REGISTRY_READS_DROPPED_WILDCARD
from services.common.caller import unverified_claims
from services.common.notice_link import NoticeLink
from services.gateway.forward import Answer

MAX_SECONDS = 5.0
"""The longest an answer is kept, whatever the registry says."""

MAX_BYTES = 8 * 1024 * 1024
"""Bytes of answers kept at most; past that the least recently used go. An answer larger than a sixteenth of it
is not kept."""

Key = tuple[str, str, bytes, str]
"""(kind, request name, params JSON as sent, digest of the credentials)."""


def token_expiry(headers: Mapping[str, str]) -> float | None:
    """When the JWT presented expires (seconds since the epoch), read without checking its signature (the
    registry checked it before answering); None without a token or an expiry."""
    token = headers.get("authorization", "")
    if not token:
        return None
    claims = unverified_claims(token)
    if claims is None:
        return 0.0
    expiry = claims.get("exp")
    return float(expiry) if isinstance(expiry, int | float) else None


def answer_key(kind: str, name: str, params: bytes, headers: Mapping[str, str]) -> Key | None:
    """The key of a request's answer; None when it presents no credentials (its answer is a 401 anyway)."""
    token = headers.get("authorization", "")
    key, secret = headers.get("x-api-key", ""), headers.get("x-api-secret", "")
    if not token and not (key and secret):
        return None
    digest = hashlib.sha256(f"{token}\0{key}\0{secret}".encode()).hexdigest()
    return kind, name, params, digest


PLAIN_KEYS = 10_000
"""Requests remembered as answered with nothing that may be kept (they are not shared while in flight)."""


@dataclass(slots=True)
class _Flying:
    began: int
    future: asyncio.Future[Answer | None]


@dataclass(slots=True)
class _Kept:
    answer: Answer
    sources: tuple[str, ...]
    stamp: int
    until: float


class KeptAnswers:
    """The read answers this gateway keeps, and the notices that drop them."""

    def __init__(self, max_seconds: float = MAX_SECONDS, max_bytes: int = MAX_BYTES) -> None:
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self.hits = 0
        """Answers given from memory (for tests and benchmarks)."""
        self.joined = 0
        """Requests answered by the same request already on its way (for tests and benchmarks)."""
        self._flying: dict[Key, _Flying] = {}
        self._plain: OrderedDict[Key, None] = OrderedDict()
        self._kept: OrderedDict[Key, _Kept] = OrderedDict()
        self._bytes = 0
        self._stamp = 0
        """Counts drops: an answer is valid while none of its sources was dropped after its stamp."""
        self._dropped: dict[str, int] = {}
        self._cleared = 0
        self._link = NoticeLink(self.forget_all)

    def __len__(self) -> int:
        return len(self._kept)

    async def watch(self, nc: NatsClient) -> None:
        """Hear the notices on `nc`, and keep answers from now on."""
        await self._link.start(
            nc, (REGISTRY_READS_DROPPED_WILDCARD, *LIVE_NOTICES, CredentialsChanged.SUBJECT), self._on_notice
        )

    async def stop(self) -> None:
        """Stop hearing notices and keeping answers."""
        await self._link.stop()
        self.forget_all()

    async def _on_notice(self, msg: Msg) -> None:
        if msg.subject == CredentialsChanged.SUBJECT:
            self.forget_all()
            return
        self.drop(LIVE_NOTICES.get(msg.subject) or msg.subject.rsplit(".", 1)[-1])

    def drop(self, source: str) -> None:
        """Every answer made from `source` is no longer valid (nor one in flight now)."""
        self._stamp += 1
        self._dropped[source] = self._stamp

    def forget_all(self) -> None:
        """Drop every answer, and those in flight."""
        self._stamp += 1
        self._cleared = self._stamp
        self._kept.clear()
        self._bytes = 0

    def began(self) -> int:
        """Mark the start of a request: pass it to `keep` with its answer."""
        return self._stamp

    def get(self, key: Key) -> Answer | None:
        """The kept answer of `key` when it is still valid."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        if (
            kept.until <= time.monotonic()
            or not self._link.usable()
            or kept.stamp < self._cleared
            or any(self._dropped.get(source, 0) > kept.stamp for source in kept.sources)
        ):
            self._forget(key)
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return kept.answer

    async def answer(
        self,
        key: Key,
        fetch: Callable[[], Awaitable[Answer]],
        expires_at: Callable[[], float | None] = lambda: None,
    ) -> Answer:
        """The answer to the request `key`: kept, if still valid; else the answer of the same request (same
        credentials) already on its way, when no notice came since it was sent and its answer may be kept (a
        crowd asking after a drop sends one request); else `fetch`'s, kept when it may be (`keep`, until
        `expires_at()` at the latest)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        flying = self._flying.get(key)
        if (
            flying is not None
            and flying.began == self._stamp
            and key not in self._plain
            and self._link.usable()
        ):
            shared = await asyncio.shield(flying.future)
            if shared is not None:
                self.joined += 1
                return shared
            return await fetch()
        began = self._stamp
        mine = _Flying(began, asyncio.get_running_loop().create_future())
        self._flying[key] = mine
        try:
            answer = await fetch()
        except BaseException:
            mine.future.set_result(None)
            raise
        finally:
            if self._flying.get(key) is mine:
                del self._flying[key]
        keepable = answer.status == 200 and bool(answer.kept_from)
        mine.future.set_result(answer if keepable else None)
        if keepable:
            self._plain.pop(key, None)
            self.keep(key, answer, began, expires_at())
        else:
            self._plain[key] = None
            if len(self._plain) > PLAIN_KEYS:
                self._plain.popitem(last=False)
        return answer

    def keep(self, key: Key, answer: Answer, began: int, expires_at: float | None = None) -> None:
        """Keep a 200 answer the registry said may be kept, unless something it was made of was dropped since
        its request began; never past `expires_at` (seconds since the epoch: when the token it was made for
        expires)."""
        if answer.status != 200 or not answer.kept_from or answer.kept_for <= 0:
            return
        seconds = min(answer.kept_for, self.max_seconds)
        if expires_at is not None:
            seconds = min(seconds, expires_at - time.time())
        if seconds <= 0:
            return
        size = len(answer.body)
        if size > self.max_bytes // 16 or not self._link.usable() or began < self._cleared:
            return
        sources = tuple(answer.kept_from.split(","))
        if any(self._dropped.get(source, 0) > began for source in sources):
            return
        self._forget(key)
        until = time.monotonic() + seconds
        self._kept[key] = _Kept(answer, sources, began, until)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, oldest = self._kept.popitem(last=False)
            self._bytes -= len(oldest.answer.body)

    def _forget(self, key: Key) -> None:
        gone = self._kept.pop(key, None)
        if gone is not None:
            self._bytes -= len(gone.answer.body)
