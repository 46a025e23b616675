"""Checking that a webhook came from the git host: GitHub's (and Gitea's) HMAC signature, GitLab's token, and
the generic listener's token header. Every comparison takes constant time (`hmac.compare_digest`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_PREFIX = "sha256="
"""How GitHub and Gitea start `X-Hub-Signature-256`."""

TOKEN_HEADER = "x-komodo-webhook-token"  # noqa: S105 (a header name)
"""The generic listener's header carrying the webhook secret itself (or `Authorization: Bearer <secret>`)."""

PING_HEADERS = ("x-github-event", "x-gitea-event", "x-gogs-event")
"""Headers naming the event; `ping` is sent when a webhook is created, and only tests the secret."""


def github_signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`: `sha256=` and HMAC-SHA256(secret, body) in hex."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_valid(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether `X-Hub-Signature-256` (lower-case header names) is the signature of the raw `body` with `secret`."""
    given = headers.get("x-hub-signature-256", "")
    return bool(secret) and hmac.compare_digest(given.encode(), github_signature(secret, body).encode())


def gitlab_valid(secret: str, headers: Mapping[str, str]) -> bool:
    """Whether `X-Gitlab-Token` is `secret` (GitLab sends the secret itself)."""
    return bool(secret) and hmac.compare_digest(headers.get("x-gitlab-token", "").encode(), secret.encode())


def generic_valid(secret: str, headers: Mapping[str, str]) -> bool:
    """Whether `X-Komodo-Webhook-Token: <secret>` or `Authorization: Bearer <secret>` is given."""
    given = headers.get(TOKEN_HEADER, "")
    if not given:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else ""
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def valid(provider: str, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the request is signed with `secret` as `provider` (`github`, `gitlab` or `generic`) signs."""
    if provider == "github":
        return github_valid(secret, body, headers)
    if provider == "gitlab":
        return gitlab_valid(secret, headers)
    return generic_valid(secret, headers)


def is_ping(headers: Mapping[str, str]) -> bool:
    """Whether the event is a `ping` (GitHub, Gitea, Gogs), which triggers nothing."""
    return any(headers.get(name, "").lower() == "ping" for name in PING_HEADERS)
