"""Requests about containers: inspect, log, log search, stats, and the lifecycle operations (each a Log).

Every request naming a container looks it up first, so an unknown name is a `NotFound` naming it, and the
operation then acts on the container's id. The `*AllContainers` forms act on each container in the matching
states (a few at a time) and answer one Log per container.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from aiodocker.exceptions import DockerError

from contracts.api.agent import container as api
from contracts.entities.docker import ContainerStats
from contracts.entities.update import Log
from services.agent.container_stats import read_stats
from services.agent.context import AgentContext
from services.agent.docker_api import api_at_least
from services.agent.handlers.base import HandlerTable, bind
from services.agent.log_search import line_matches, search_command
from services.agent.oplog import Output, docker_step, prune_output

STOPPABLE: Final = ("running", "paused", "restarting")
"""States of a container that a stop acts on (what `docker ps` lists)."""
CONCURRENT_OPERATIONS: Final = 8
"""Containers an `*AllContainers` request works on at once."""
MAX_SEARCH_LINES: Final = 5000
"""Matching lines a log search keeps per stream (the last ones)."""
DEFAULT_STOP_SECONDS: Final = 10
"""Docker's grace time before a stop kills the container."""


def _name(info: dict[str, Any]) -> str:
    return str(info.get("Name", "")).lstrip("/")


def _quote(name: str) -> str:
    return shlex.quote(name)


async def inspect_container(ctx: AgentContext, request: api.InspectContainer) -> dict[str, Any]:
    """Docker's inspect JSON of the container."""
    return await ctx.docker.inspect_container(request.name)


async def get_log(ctx: AgentContext, request: api.GetContainerLog) -> Log:
    """The last `tail` lines of the container's log, stdout and stderr apart."""
    info = await ctx.docker.inspect_container(request.name)
    flags = f"--tail {request.tail}" + (" --timestamps" if request.timestamps else "")

    async def read() -> Output:
        lines = await ctx.docker.read_log(info, request.tail, request.timestamps)
        return "\n".join(lines.stdout), "\n".join(lines.stderr)

    return await docker_step("Get Container Log", f"docker logs {flags} {_quote(_name(info))}", read)


async def search_log(ctx: AgentContext, request: api.GetContainerLogSearch) -> Log:
    """The lines of the whole log holding any (Or) or all (And) of the terms, or the others when inverted.

    The log is read as a stream and filtered line by line; the last 5000 matching lines of each stream are kept.
    """
    info = await ctx.docker.inspect_container(request.name)
    terms = [term for term in request.terms if term]

    async def search() -> Output:
        kept: dict[bool, deque[str]] = {
            False: deque(maxlen=MAX_SEARCH_LINES),
            True: deque(maxlen=MAX_SEARCH_LINES),
        }
        async for is_stderr, line in ctx.docker.container_log(info, "all", request.timestamps):
            if line_matches(line, terms, request.combinator, request.invert):
                kept[is_stderr].append(line)
        return "\n".join(kept[False]), "\n".join(kept[True])

    command = search_command(_name(info), terms, request.combinator, request.invert, request.timestamps)
    return await docker_step("Get Container Log Search", command, search)


async def get_stats(ctx: AgentContext, request: api.GetContainerStats) -> ContainerStats:
    """The container's stats now, as `docker stats --no-stream` shows them."""
    info = await ctx.docker.inspect_container(request.name)
    stats = await read_stats(ctx.docker, info["Id"], _name(info))
    return stats or ContainerStats(name=_name(info))


# ---------------------------------------------------------------------------------------------------------
# Lifecycle operations


def stop_command(name: str, signal: str | None, time: int | None) -> str:
    """`docker stop [--signal S] [--time T] name`, as Komodo writes it."""
    flags = (f" --signal {_quote(signal)}" if signal else "") + (
        f" --time {time}" if time is not None else ""
    )
    return f"docker stop{flags} {_quote(name)}"


async def _stop(ctx: AgentContext, container_id: str, signal: str | None, time: int | None) -> str:
    """Stop a container with a signal and grace time; returns a note for the Log's stderr ("" when none).

    Engines before API 1.42 take no signal on stop; there the stop is done as Docker does it: send the signal,
    wait the grace time for the container to exit, then kill it. Except for a container with a restart policy:
    Docker would restart it after such a kill (only a real stop keeps it down), so it gets a real stop with
    its own stop signal, and the note says so.
    """
    async with ctx.docker.reachable() as docker:
        container = docker.containers.container(container_id)
        if signal is None or api_at_least(await ctx.docker.api_version(), 1, 42):
            await container.stop(t=time, signal=signal)
            return ""
        info = await ctx.docker.inspect_container(container_id)
        if (info.get("State") or {}).get("Status") not in STOPPABLE:
            return ""  # already stopped: like `docker stop`, nothing to do
        policy = ((info.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no"
        if policy != "no":
            await container.stop(t=time)
            return (
                f"this engine (API {await ctx.docker.api_version()}) cannot stop with {signal} a container "
                f"with restart policy {policy!r}; it was stopped with its own stop signal"
            )
        grace = (
            time
            if time is not None
            else (info.get("Config") or {}).get("StopTimeout") or DEFAULT_STOP_SECONDS
        )
        for sig, wait in ((signal, float(grace)), ("SIGKILL", None)):
            try:
                await container.kill(signal=sig)
            except DockerError as err:
                if err.status == 409:  # no longer running
                    return ""
                raise
            try:
                async with asyncio.timeout(wait):
                    await container.wait(condition="not-running")
                return ""
            except TimeoutError:
                continue
    return ""


async def _simple(ctx: AgentContext, container_id: str, name: str, verb: str) -> Log:
    """`docker <verb> <name>` through the API (start, restart, pause, unpause)."""

    async def act() -> Output:
        async with ctx.docker.reachable() as docker:
            await getattr(docker.containers.container(container_id), verb)()
        return name

    return await docker_step(f"{verb.capitalize()} Container", f"docker {verb} {_quote(name)}", act)


def _simple_request(verb: str) -> Callable[[AgentContext, Any], Awaitable[Log]]:
    async def answer(ctx: AgentContext, request: Any) -> Log:
        info = await ctx.docker.inspect_container(request.name)
        return await _simple(ctx, info["Id"], _name(info), verb)

    answer.__doc__ = f"`docker {verb}` of the named container."
    return answer


async def stop_container(ctx: AgentContext, request: api.StopContainer) -> Log:
    """Stop the container (signal, then kill after the grace time)."""
    info = await ctx.docker.inspect_container(request.name)
    name = _name(info)

    async def act() -> Output:
        return name, await _stop(ctx, info["Id"], request.signal, request.time)

    return await docker_step("Stop Container", stop_command(name, request.signal, request.time), act)


async def remove_container(ctx: AgentContext, request: api.RemoveContainer) -> Log:
    """Stop the container if it runs, then remove it (`docker stop ... && docker container rm ...`)."""
    info = await ctx.docker.inspect_container(request.name)
    name = _name(info)

    async def act() -> Output:
        note = ""
        if (info.get("State") or {}).get("Status") in STOPPABLE:
            note = await _stop(ctx, info["Id"], request.signal, request.time)
        async with ctx.docker.reachable() as docker:
            await docker.containers.container(info["Id"]).delete()
        return name, note

    command = f"{stop_command(name, request.signal, request.time)} && docker container rm {_quote(name)}"
    return await docker_step("Remove Container", command, act)


async def _containers_in(ctx: AgentContext, states: Iterable[str]) -> list[tuple[str, str]]:
    """(id, name) of the containers in these states."""
    filters = json.dumps({"status": list(states)})
    async with ctx.docker.reachable() as docker:
        found = await docker._query_json("containers/json", params={"all": "1", "filters": filters})
    return [(raw["Id"], str((raw.get("Names") or [raw["Id"]])[0]).lstrip("/")) for raw in found]


async def _each(
    ctx: AgentContext, states: Iterable[str], operation: Callable[[str, str], Awaitable[Log]]
) -> list[Log]:
    """Run `operation(id, name)` on each container in `states`, a few at a time; Logs in name order."""
    targets = sorted(await _containers_in(ctx, states), key=lambda target: target[1])
    slots = asyncio.Semaphore(CONCURRENT_OPERATIONS)

    async def one(container_id: str, name: str) -> Log:
        async with slots:
            return await operation(container_id, name)

    return list(await asyncio.gather(*(one(container_id, name) for container_id, name in targets)))


async def start_all(ctx: AgentContext, request: api.StartAllContainers) -> list[Log]:
    """Start every stopped (exited or created) container."""
    return await _each(ctx, ("exited", "created"), lambda cid, name: _simple(ctx, cid, name, "start"))


async def restart_all(ctx: AgentContext, request: api.RestartAllContainers) -> list[Log]:
    """Restart every running container (`docker restart $(docker ps -q)`)."""
    return await _each(ctx, ("running",), lambda cid, name: _simple(ctx, cid, name, "restart"))


async def pause_all(ctx: AgentContext, request: api.PauseAllContainers) -> list[Log]:
    """Pause every running container."""
    return await _each(ctx, ("running",), lambda cid, name: _simple(ctx, cid, name, "pause"))


async def unpause_all(ctx: AgentContext, request: api.UnpauseAllContainers) -> list[Log]:
    """Unpause every paused container."""
    return await _each(ctx, ("paused",), lambda cid, name: _simple(ctx, cid, name, "unpause"))


async def stop_all(ctx: AgentContext, request: api.StopAllContainers) -> list[Log]:
    """Stop every running, paused or restarting container (`docker stop $(docker ps -q)`)."""

    async def stop(container_id: str, name: str) -> Log:
        async def act() -> Output:
            await _stop(ctx, container_id, None, None)
            return name

        return await docker_step("Stop Container", stop_command(name, None, None), act)

    return await _each(ctx, STOPPABLE, stop)


async def prune_stopped(ctx: AgentContext) -> str:
    """Remove every stopped container; what `docker container prune -f` prints."""
    async with ctx.docker.reachable() as docker:
        result = await docker.containers.prune()
    return prune_output(
        "Deleted Containers", result.get("ContainersDeleted") or [], result.get("SpaceReclaimed")
    )


async def prune_containers(ctx: AgentContext, request: api.PruneContainers) -> Log:
    """Remove every stopped container (`docker container prune -f`)."""
    return await docker_step("Prune Containers", "docker container prune -f", lambda: prune_stopped(ctx))


def handlers(ctx: AgentContext) -> HandlerTable:
    """The container requests and their handlers."""
    return {
        api.InspectContainer: bind(ctx, inspect_container),
        api.GetContainerLog: bind(ctx, get_log),
        api.GetContainerLogSearch: bind(ctx, search_log),
        api.GetContainerStats: bind(ctx, get_stats),
        api.StartContainer: bind(ctx, _simple_request("start")),
        api.RestartContainer: bind(ctx, _simple_request("restart")),
        api.PauseContainer: bind(ctx, _simple_request("pause")),
        api.UnpauseContainer: bind(ctx, _simple_request("unpause")),
        api.StopContainer: bind(ctx, stop_container),
        api.RemoveContainer: bind(ctx, remove_container),
        api.StartAllContainers: bind(ctx, start_all),
        api.RestartAllContainers: bind(ctx, restart_all),
        api.PauseAllContainers: bind(ctx, pause_all),
        api.UnpauseAllContainers: bind(ctx, unpause_all),
        api.StopAllContainers: bind(ctx, stop_all),
        api.PruneContainers: bind(ctx, prune_containers),
    }
