"""GetLatestImageDigest: the digest an image's tag points to in its registry now, asked without pulling.

The agent sends `HEAD /v2/<repository>/manifests/<tag>` to the registry (the Docker Registry HTTP API v2)
accepting every manifest kind, and reads `Docker-Content-Digest`. This is the digest Docker records in an
image's `RepoDigests` when it pulls or pushes that tag, so the executor can compare the two.

A registry that answers 401 says how to authenticate in `WWW-Authenticate`: `Basic` (docker-registry with
htpasswd) means the same request again with the credentials; `Bearer realm=...,service=...,scope=...` (Docker
Hub, ghcr.io, Harbor, ...) means asking the realm for a token (with the credentials, when there are some) and
sending that. Errors name the image, the registry and the user, never the password.

Plain HTTP is used where Docker itself would use it: `localhost` and loopback addresses, and registries the
engine lists as insecure (`insecure-registries`: by name, or by IP in its CIDRs; 127.0.0.0/8 is there by
default). Everything else is HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from aiodocker.exceptions import DockerError

from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.image_digest import GetLatestImageDigest, LatestImageDigest
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.common.errors import BadRequest, NotFound, ServiceError, Unavailable

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS: Final = 30.0
"""Longest a whole digest lookup (challenge, token and manifest) may take."""
DOCKER_HUB: Final = "docker.io"
"""How Docker names Docker Hub in image references."""
DOCKER_HUB_API: Final = "registry-1.docker.io"
"""The host that serves Docker Hub's registry API."""
MANIFEST_TYPES: Final = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
"""Every manifest kind accepted: the registry then answers the digest of what is stored, as a pull sees it."""

_HUB_ALIASES: Final = {DOCKER_HUB, "index.docker.io", DOCKER_HUB_API}
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}")
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+(?::[0-9]+)?|\[[0-9A-Fa-f:.]+\](?::[0-9]+)?"
)
_CHALLENGE_PARAM = re.compile(r'([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True)
class ImageReference:
    """An image reference split as the registry API needs it."""

    registry: str
    """The registry as Docker names it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`)."""
    repository: str
    """The repository path in that registry (`library/nginx`, `org/app`)."""
    tag: str = "latest"
    """The tag (`latest` when the reference has none)."""
    digest: str = ""
    """The digest the reference pins (`name@sha256:...`), if any."""

    @property
    def api_host(self) -> str:
        """The host:port that serves the registry API (Docker Hub's API is not on `docker.io`)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def shown(self) -> str:
        """The reference as a user would write it, for messages."""
        prefix = "" if self.registry == DOCKER_HUB else f"{self.registry}/"
        return f"{prefix}{self.repository}:{self.tag}"


def parse_reference(image: str) -> ImageReference:
    """Split an image reference (`[registry/]repository[:tag][@digest]`) the way Docker reads it.

    The first path part is a registry when it has a `.` or `:`, or is `localhost`; otherwise the image is on
    Docker Hub, where a single-name image lives under `library/`. A 400 names what is malformed.
    """
    text = image.strip()
    name, _, digest = text.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        raise BadRequest(f"image {image!r}: {digest!r} is not a digest")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, remainder = first, rest
        if not _HOST.fullmatch(registry):
            raise BadRequest(f"image {image!r}: {registry!r} is not a registry host")
    else:
        registry, remainder = DOCKER_HUB, name
    tag = "latest"
    path, colon, maybe_tag = remainder.rpartition(":")
    if colon and "/" not in maybe_tag:
        remainder, tag = path, maybe_tag
        if not _TAG.fullmatch(tag):
            raise BadRequest(f"image {image!r}: {tag!r} is not a valid tag")
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in remainder:
            remainder = f"library/{remainder}"
    if not _REPOSITORY.fullmatch(remainder):
        raise BadRequest(
            f"image {image!r}: {remainder!r} is not a valid repository name (lower case, / separated)"
        )
    return ImageReference(registry=registry, repository=remainder, tag=tag, digest=digest)


@dataclass(frozen=True)
class Challenge:
    """A parsed `WWW-Authenticate` header: the scheme and its parameters."""

    scheme: str
    """The scheme in lower case (`basic`, `bearer`)."""
    params: dict[str, str] = field(default_factory=dict)
    """The parameters (`realm`, `service`, `scope`, ...), names in lower case."""


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a `WWW-Authenticate` header (quoted values may hold commas); None when empty."""
    text = header.strip()
    if not text:
        return None
    scheme, _, rest = text.partition(" ")
    params = {
        match.group(1).lower(): (
            re.sub(r"\\(.)", r"\1", match.group(2)) if match.group(2) is not None else match.group(3)
        )
        for match in _CHALLENGE_PARAM.finditer(rest)
    }
    return Challenge(scheme=scheme.lower(), params=params)


@dataclass(frozen=True)
class InsecureRegistries:
    """What the engine treats as plain-HTTP registries (Docker's `RegistryConfig`)."""

    names: frozenset[str] = frozenset()
    """Registries listed by name (`IndexConfigs` entries with `Secure: false`)."""
    cidrs: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    """Address ranges whose registries are insecure (`InsecureRegistryCIDRs`)."""

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> InsecureRegistries:
        """Read them from the engine's `GET /info`."""
        config = info.get("RegistryConfig") or {}
        names = frozenset(
            name
            for name, index in (config.get("IndexConfigs") or {}).items()
            if not index.get("Secure", True)
        )
        cidrs = []
        for cidr in config.get("InsecureRegistryCIDRs") or []:
            try:
                cidrs.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
        return cls(names=names, cidrs=tuple(cidrs))


def split_host(registry: str) -> str:
    """The host of a `host[:port]` (an IPv6 literal without its brackets)."""
    if registry.startswith("["):
        return registry[1 : registry.find("]")]
    return registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry


def uses_http(registry: str, insecure: InsecureRegistries) -> bool:
    """Whether Docker would reach this registry over plain HTTP: localhost, loopback, or listed as insecure."""
    host = split_host(registry)
    if host == "localhost" or registry in insecure.names:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or any(address in network for network in insecure.cidrs)


def base_url(reference: ImageReference, insecure: InsecureRegistries) -> str:
    """`http(s)://<api host>` of the reference's registry."""
    scheme = "http" if uses_http(reference.api_host, insecure) else "https"
    return f"{scheme}://{reference.api_host}"


async def insecure_registries(ctx: AgentContext) -> InsecureRegistries:
    """The engine's insecure registries; none when Docker cannot say (then only loopback is plain HTTP)."""
    try:
        async with ctx.docker.reachable() as docker:
            info: dict[str, Any] = await docker._query_json("info")
    except (ServiceError, DockerError) as err:
        log.warning("could not read the engine's insecure registries: %s", err)
        return InsecureRegistries()
    return InsecureRegistries.from_info(info)


def basic_authorization(auth: RegistryAuth) -> str:
    """The `Authorization` value of HTTP Basic authentication with these credentials."""
    pair = f"{auth.username}:{auth.password}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


class RegistrySession:
    """One lookup's conversation with a registry: the manifest request and the authentication it asks for."""

    def __init__(
        self, http: aiohttp.ClientSession, reference: ImageReference, auth: RegistryAuth | None
    ) -> None:
        self.http = http
        self.reference = reference
        self.auth = auth

    def _who(self) -> str:
        return f"user {self.auth.username!r}" if self.auth is not None else "anonymous access"

    def _refused(self, status: int) -> BadRequest:
        ref = self.reference
        if self.auth is None:
            return BadRequest(
                f"registry {ref.registry} refused anonymous access to {ref.repository} ({status}): "
                "set the deployment's image_registry_account"
            )
        return BadRequest(
            f"registry {ref.registry} refused the credentials of user {self.auth.username!r} "
            f"for {ref.repository} ({status}): check the image registry account's token"
        )

    async def _token(self, challenge: Challenge) -> str:
        """A bearer token from the challenge's realm (with the credentials, when there are some)."""
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise Unavailable(f"registry {self.reference.registry} gave no usable token realm ({realm!r})")
        params = {"scope": challenge.params.get("scope") or f"repository:{self.reference.repository}:pull"}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        headers = {"Authorization": basic_authorization(self.auth)} if self.auth is not None else {}
        async with self.http.get(realm, params=params, headers=headers) as response:
            if response.status in (401, 403):
                raise self._refused(response.status)
            if response.status != 200:
                raise Unavailable(
                    f"the token service of registry {self.reference.registry} answered {response.status}"
                )
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        token = (
            (body or {}).get("token") or (body or {}).get("access_token") if isinstance(body, dict) else None
        )
        if not isinstance(token, str) or not token:
            raise Unavailable(f"the token service of registry {self.reference.registry} gave no token")
        return token

    async def _authorization(self, header: str) -> str:
        """The `Authorization` value that answers a 401's challenge."""
        challenge = parse_challenge(header)
        if challenge is None or challenge.scheme not in ("basic", "bearer"):
            raise Unavailable(
                f"registry {self.reference.registry} asks for an unsupported authentication ({header[:60]!r})"
            )
        if challenge.scheme == "bearer":
            return f"Bearer {await self._token(challenge)}"
        if self.auth is None:
            raise self._refused(401)
        return basic_authorization(self.auth)

    async def digest(self, url: str) -> str:
        """The manifest digest at `url`, authenticating once if the registry asks to."""
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        for attempt in range(2):
            async with self.http.head(url, headers=headers) as response:
                if response.status == 401 and attempt == 0:
                    headers["Authorization"] = await self._authorization(
                        response.headers.get("WWW-Authenticate", "")
                    )
                    continue
                found = response.headers.get("Docker-Content-Digest", "")
                self._check(response.status)
            if found:
                return found
            # Some registries leave the header out of HEAD answers: the digest is the manifest's sha256.
            async with self.http.get(url, headers=headers) as response:
                self._check(response.status)
                found = response.headers.get("Docker-Content-Digest", "")
                return found or f"sha256:{hashlib.sha256(await response.read()).hexdigest()}"
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _check(self, status: int) -> None:
        ref = self.reference
        if status in (401, 403):
            raise self._refused(status)
        if status == 404:
            raise NotFound(f"registry {ref.registry} has no image {ref.shown} (asked with {self._who()})")
        if status >= 300:
            raise Unavailable(f"registry {ref.registry} answered {status} for {ref.shown}")


async def latest_digest(
    reference: ImageReference, auth: RegistryAuth | None, insecure: InsecureRegistries
) -> str:
    """The digest the reference's tag has in its registry now; `Unavailable` when the registry cannot be reached."""
    url = f"{base_url(reference, insecure)}/v2/{reference.repository}/manifests/{reference.tag}"
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            return await RegistrySession(http, reference, auth).digest(url)
    except TimeoutError:
        raise Unavailable(
            f"registry {reference.registry} did not answer within {REQUEST_TIMEOUT_SECONDS:.0f} s"
        ) from None
    except aiohttp.ClientError as err:
        # The message of a client error names the host and the cause, never a header value.
        raise Unavailable(f"registry {reference.registry} is not reachable: {err}") from None


async def get_latest_image_digest(ctx: AgentContext, request: GetLatestImageDigest) -> LatestImageDigest:
    """The digest the image's tag points to now (the pinned digest itself for a `name@sha256:...` image)."""
    reference = parse_reference(request.image)
    if reference.digest:
        return LatestImageDigest(digest=reference.digest)
    insecure = await insecure_registries(ctx)
    return LatestImageDigest(digest=await latest_digest(reference, request.registry_auth, insecure))


def handlers(ctx: AgentContext) -> HandlerTable:
    """The image digest request and its handler."""
    return {GetLatestImageDigest: bind(ctx, get_latest_image_digest)}
