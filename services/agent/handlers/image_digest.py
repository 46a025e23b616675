"""GetLatestImageDigest: the digest an image's tag points to in its registry now, asked without pulling.

The agent asks its Docker engine (`GET /distribution/<image>/json`, API 1.30+), which resolves the tag with
the registry itself: the engine's own HTTP/HTTPS choice (`insecure-registries`, loopback registries plain
HTTP), Basic and Bearer token authentication with the account sent as `X-Registry-Auth`, mirrors and proxies.
The answer's `Descriptor.digest` is the digest of what the tag points to (the index or manifest list of a
multi-platform image), which is the digest Docker records in an image's `RepoDigests` when it pulls or pushes
that tag, so the executor can compare the two.

Errors name the image, the registry and the user, never the password.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Final

from aiodocker.exceptions import DockerError
from aiodocker.utils import compose_auth_header

from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.image_digest import GetLatestImageDigest, LatestImageDigest
from services.agent.context import AgentContext
from services.agent.docker_api import DockerApi
from services.agent.handlers.base import HandlerTable, bind
from services.common.errors import BadRequest, NotFound, Unavailable

REQUEST_TIMEOUT_SECONDS: Final = 30.0
"""Longest a digest lookup (the engine's whole conversation with the registry) may take."""
DOCKER_HUB: Final = "docker.io"
"""How Docker names Docker Hub in image references."""

# Characters of an image reference; the engine checks the grammar, this keeps the name inside the URL path.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@-]*")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}")
# Refusals the engine may pass on as a 500 rather than 401/403: a Basic-auth registry asked without credentials
# ("no basic auth credentials"), and a token service's `unauthorized: ...` / `denied: ...` errors.
_REFUSED = ("no basic auth credentials", "unauthorized", "denied")


def registry_of(image: str) -> str:
    """The registry of an image reference, as Docker reads it: the first path part when it has a `.` or `:` or
    is `localhost`, otherwise Docker Hub."""
    first, slash, _ = image.partition("/")
    return first if slash and ("." in first or ":" in first or first == "localhost") else DOCKER_HUB


def check_reference(image: str) -> None:
    """Refuse, as a 400, a reference that is not made of image-reference characters (or climbs out of the
    engine's URL path with `..`)."""
    if not _REFERENCE.fullmatch(image) or ".." in image.split("/") or "//" in image:
        raise BadRequest(f"image {image!r} is not a valid image reference")


def registry_auth_header(auth: RegistryAuth) -> str:
    """The `X-Registry-Auth` value carrying the account (base64url JSON)."""
    return compose_auth_header({"username": auth.username, "password": auth.password}, auth.server)


def lookup_error(
    image: str, auth: RegistryAuth | None, err: DockerError
) -> BadRequest | NotFound | Unavailable:
    """The error a failed engine lookup answers: refused credentials, no such image, or an unreachable registry."""
    registry = registry_of(image)
    message = str(err.message)
    if auth is not None and auth.password:
        message = message.replace(auth.password, "<redacted>")  # engines do not echo it; never pass it on
    who = f"user {auth.username!r}" if auth is not None else "anonymous access"
    if err.status in (401, 403) or any(marker in message.lower() for marker in _REFUSED):
        if auth is None:
            return BadRequest(
                f"registry {registry} refused anonymous access to {image} ({err.status}): "
                "set the deployment's image_registry_account"
            )
        return BadRequest(
            f"registry {registry} refused the credentials of user {auth.username!r} for {image} "
            f"({err.status}): check the image registry account's token"
        )
    if err.status == 404:
        return NotFound(f"registry {registry} has no image {image} (asked with {who})")
    if err.status == 400:
        return BadRequest(f"image {image!r}: {message}")
    return Unavailable(f"registry {registry} is not reachable: {message}")


async def latest_digest(docker: DockerApi, image: str, auth: RegistryAuth | None) -> str:
    """The digest the image's tag has in its registry now, as the engine resolves it (the pinned digest itself
    for a `name@sha256:...` image, without asking)."""
    image = image.strip()
    _, at, pinned = image.partition("@")
    if at:
        if not _DIGEST.fullmatch(pinned):
            raise BadRequest(f"image {image!r}: {pinned!r} is not a digest")
        return pinned
    check_reference(image)
    headers = {"X-Registry-Auth": registry_auth_header(auth)} if auth is not None else {}
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS), docker.reachable() as engine:
            answer: dict[str, Any] = await engine._query_json(f"distribution/{image}/json", headers=headers)
    except TimeoutError:
        raise Unavailable(
            f"registry {registry_of(image)} did not answer within {REQUEST_TIMEOUT_SECONDS:.0f} s"
        ) from None
    except DockerError as err:
        raise lookup_error(image, auth, err) from None
    digest = (answer.get("Descriptor") or {}).get("digest")
    if not isinstance(digest, str) or not digest:
        raise Unavailable(f"the Docker engine gave no digest for {image}")
    return digest


async def get_latest_image_digest(ctx: AgentContext, request: GetLatestImageDigest) -> LatestImageDigest:
    """Answer GetLatestImageDigest."""
    return LatestImageDigest(digest=await latest_digest(ctx.docker, request.image, request.registry_auth))


def handlers(ctx: AgentContext) -> HandlerTable:
    """The image digest request and its handler."""
    return {GetLatestImageDigest: bind(ctx, get_latest_image_digest)}
