"""The agent's access to the local Docker engine through aiodocker.

One client for the process, made on first use (so an agent that starts before Docker, or whose socket is
missing, still starts). A connection failure becomes `Unavailable` ("docker is not reachable on this host");
looking up a container, network, image or volume that does not exist becomes `NotFound` naming it. Any other
Docker error is left to the caller, which reports it in a failed Log.

Reads go through aiodocker's `_query_json` / `_query` where its sub-APIs would cost a second call (their
`get` returns a wrapper that must be `show`n) or lose information (its log reader merges stdout and stderr).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import aiodocker
import aiohttp
from aiodocker.exceptions import DockerError

from services.common.errors import NotFound, Unavailable

log = logging.getLogger(__name__)

UNREACHABLE_STATUS: Final = 900
"""The status aiodocker gives a DockerError when it cannot connect to the engine."""
CONNECT_TIMEOUT_SECONDS: Final = 5.0
"""How long opening a connection to the engine may take (requests themselves may run long: stop, prune)."""

_STREAM_HEADER = struct.Struct(">BxxxL")
_OBJECT_NAME = re.compile(r"/?[A-Za-z0-9][A-Za-z0-9_.-]*")
_IMAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@-]*")
_STDERR = 2


def unreachable(detail: str) -> Unavailable:
    """The error every request that needs Docker answers while the engine is not reachable."""
    return Unavailable(f"docker is not reachable on this host: {detail}")


def check_name(kind: str, name: str) -> None:
    """Refuse a name no Docker object can have, as `NotFound`.

    Names go into the engine's URL paths: without this check a name such as `x/../../images/y` would reach
    another endpoint.
    """
    pattern = _IMAGE_NAME if kind == "image" else _OBJECT_NAME
    if not pattern.fullmatch(name) or ".." in name.split("/") or "//" in name:
        raise NotFound(f"no {kind} named {name!r} on this server")


def api_at_least(api_version: str, major: int, minor: int) -> bool:
    """Whether an API version such as `v1.41` (as aiodocker holds it) is at least `major.minor`."""
    try:
        got_major, got_minor = (int(part) for part in api_version.lstrip("v").split(".")[:2])
    except ValueError:
        return False
    return (got_major, got_minor) >= (major, minor)


@dataclass
class LogLines:
    """A container's log, split by stream into lines (each without its newline)."""

    stdout: list[str] = field(default_factory=list)
    """Lines written to standard output (everything, for a container with a TTY)."""
    stderr: list[str] = field(default_factory=list)
    """Lines written to standard error."""


class LogDemuxer:
    """Splits Docker's multiplexed log stream (8-byte frame headers) into stdout and stderr lines.

    Chunks can end anywhere, and frames mid-line (Docker cuts lines longer than 16 KiB), so the demuxer keeps
    the unfinished frame, and each stream its unfinished line, until more bytes come. A container with a TTY
    has no frames: all its output is stdout.
    """

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._buffer = b""
        self._partial: dict[bool, bytes] = {False: b"", True: b""}

    def feed(self, chunk: bytes) -> list[tuple[bool, str]]:
        """Consume bytes from the stream; return the complete lines they finish, as (is_stderr, line)."""
        if self.tty:
            return self._lines(False, chunk)
        self._buffer += chunk
        lines: list[tuple[bool, str]] = []
        while len(self._buffer) >= _STREAM_HEADER.size:
            stream, size = _STREAM_HEADER.unpack_from(self._buffer)
            end = _STREAM_HEADER.size + size
            if len(self._buffer) < end:
                break
            payload, self._buffer = self._buffer[_STREAM_HEADER.size : end], self._buffer[end:]
            lines.extend(self._lines(stream == _STDERR, payload))
        return lines

    def finish(self) -> list[tuple[bool, str]]:
        """The unfinished lines left when the stream ends."""
        lines = [(err, rest.decode("utf-8", "replace")) for err, rest in self._partial.items() if rest]
        self._partial = {False: b"", True: b""}
        return lines

    def _lines(self, is_stderr: bool, payload: bytes) -> list[tuple[bool, str]]:
        data = self._partial[is_stderr] + payload
        *complete, rest = data.split(b"\n")
        self._partial[is_stderr] = rest
        return [(is_stderr, line.decode("utf-8", "replace").removesuffix("\r")) for line in complete]


class DockerApi:
    """The local Docker engine (the `DOCKER_HOST` endpoint, or aiodocker's default local socket)."""

    def __init__(self, host: str | None = None) -> None:
        self.host = host
        self._client: aiodocker.Docker | None = None

    def _docker(self) -> aiodocker.Docker:
        if self._client is None:
            try:
                self._client = aiodocker.Docker(
                    url=self.host,
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_SECONDS),
                )
            except ValueError as err:  # no DOCKER_HOST and no local socket
                raise unreachable(str(err)) from None
        return self._client

    @contextlib.asynccontextmanager
    async def reachable(self) -> AsyncIterator[aiodocker.Docker]:
        """The aiodocker client; a failure to reach the engine inside the block becomes `Unavailable`."""
        docker = self._docker()
        try:
            yield docker
        except DockerError as err:
            if err.status == UNREACHABLE_STATUS:
                raise unreachable(err.message) from None
            raise
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as err:
            raise unreachable(f"the connection to the engine broke: {err}") from None

    async def close(self) -> None:
        """Close the client's connections (the next use opens new ones)."""
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                await client.close()

    async def ping(self) -> bool:
        """Whether the engine answers now."""
        try:
            async with self.reachable() as docker:
                await docker._query_json("_ping", versioned_api=False)
        except Unavailable:
            return False
        except DockerError:
            return True  # it answered, even if with an error
        return True

    async def api_version(self) -> str:
        """The engine's API version (`v1.41`), asked once."""
        async with self.reachable() as docker:
            await docker._check_version()
            version: str = docker.api_version
            return version

    async def inspect_container(self, name: str) -> dict[str, Any]:
        """Docker's inspect JSON of a container; `NotFound` when the host has no such container."""
        return await self._inspect(f"containers/{name}/json", "container", name)

    async def inspect_network(self, name: str) -> dict[str, Any]:
        """Docker's inspect JSON of a network; `NotFound` when the host has no such network."""
        return await self._inspect(f"networks/{name}", "network", name)

    async def inspect_image(self, name: str) -> dict[str, Any]:
        """Docker's inspect JSON of an image; `NotFound` when the host has no such image."""
        return await self._inspect(f"images/{name}/json", "image", name)

    async def inspect_volume(self, name: str) -> dict[str, Any]:
        """Docker's inspect JSON of a volume; `NotFound` when the host has no such volume."""
        return await self._inspect(f"volumes/{name}", "volume", name)

    async def _inspect(self, path: str, kind: str, name: str) -> dict[str, Any]:
        check_name(kind, name)
        try:
            async with self.reachable() as docker:
                data: dict[str, Any] = await docker._query_json(path)
                return data
        except DockerError as err:
            if err.status == 404:
                raise NotFound(f"no {kind} named {name!r} on this server") from None
            raise

    async def container_log(
        self, container: dict[str, Any], tail: int | str, timestamps: bool
    ) -> AsyncIterator[tuple[bool, str]]:
        """The lines of a container's log as (is_stderr, line), read as a stream (`tail` lines or `all`)."""
        tty = bool((container.get("Config") or {}).get("Tty"))
        params = {"stdout": "1", "stderr": "1", "tail": str(tail), "timestamps": "1" if timestamps else "0"}
        demuxer = LogDemuxer(tty)
        async with (
            self.reachable() as docker,
            docker._query(f"containers/{container['Id']}/logs", params=params) as response,
        ):
            try:
                async for chunk in response.content.iter_chunked(64 * 1024):
                    for line in demuxer.feed(chunk):
                        yield line
            finally:
                response.close()  # aiodocker's `_query` leaves the response to its caller
        for line in demuxer.finish():
            yield line

    async def read_log(self, container: dict[str, Any], tail: int, timestamps: bool) -> LogLines:
        """The last `tail` lines of a container's log, split by stream."""
        lines = LogLines()
        async for is_stderr, line in self.container_log(container, tail, timestamps):
            (lines.stderr if is_stderr else lines.stdout).append(line)
        return lines

    async def events(
        self, filters: dict[str, list[str]], on_attached: Callable[[], None]
    ) -> AsyncIterator[dict[str, Any]]:
        """Docker's events matching `filters`, as they happen, until the engine closes the stream.

        `on_attached` is called once the engine has accepted the subscription (events from then on are seen).
        """
        async with self.reachable() as docker:
            params = {"filters": json.dumps(filters)}
            async with docker._query("events", params=params) as response:
                on_attached()
                try:
                    while line := await response.content.readline():
                        if line.strip():
                            event: dict[str, Any] = json.loads(line)
                            yield event
                finally:
                    response.close()  # aiodocker's `_query` leaves the response to its caller

    async def container_stats(self, container_id: str, timeout: float) -> dict[str, Any] | None:
        """One reading of a container's stats (`stream=false`: Docker samples twice, about a second apart)."""
        async with self.reachable() as docker:
            async with asyncio.timeout(timeout):
                samples = await docker.containers.container(container_id).stats(stream=False)
        return samples[0] if samples else None
