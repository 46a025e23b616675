"""RunContainer: (re)create a Deployment's container so that a failed redeploy loses nothing.

Stages, each a Log: pull the image (when it is not on the host, or when registry credentials are given, so a
private image is fresh); keep a container of that name aside (renamed `<name>-previous` and stopped, freeing
its ports); create and start the new one; then remove the previous one, or, when the new one cannot be created
or started, remove what was created and put the previous one back (renamed back, started again if it ran).
"""

from __future__ import annotations

import shlex
from typing import Any

from contracts.api.agent import container as api
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.oplog import docker_step
from services.common.errors import NotFound

PREVIOUS_SUFFIX = "-previous"
"""Suffix of the name a container is kept under while its replacement starts."""


def port_bindings(ports: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Docker's ExposedPorts and PortBindings for `[ip:]host:container[/protocol]` entries (checked by the contract)."""
    exposed: dict[str, Any] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for entry in ports:
        spec, _, protocol = entry.partition("/")
        parts = spec.split(":")
        key = f"{parts[-1]}/{protocol or 'tcp'}"
        exposed[key] = {}
        bindings.setdefault(key, []).append(
            {"HostIp": parts[0] if len(parts) == 3 else "", "HostPort": parts[-2]}
        )
    return exposed, bindings


def container_config(request: api.RunContainer) -> dict[str, Any]:
    """The Docker create body of a RunContainer request."""
    exposed, bindings = port_bindings(request.ports)
    config: dict[str, Any] = {
        "Image": request.image,
        "Env": list(request.environment),
        "Labels": dict(label.split("=", 1) for label in request.labels),
        "StopSignal": request.stop_signal,
        "StopTimeout": request.stop_time,
        "ExposedPorts": exposed,
        "HostConfig": {
            "NetworkMode": request.network or "host",
            "RestartPolicy": {"Name": request.restart or "no"},
            "PortBindings": bindings,
            "Binds": list(request.volumes),
        },
    }
    if request.command:
        config["Cmd"] = list(request.command)
    return config


def run_command(request: api.RunContainer) -> str:
    """The `docker run` line this request amounts to (for the Log; no credentials in it)."""
    args = [
        "docker",
        "run",
        "-d",
        "--name",
        request.name,
        "--network",
        request.network,
        "--restart",
        request.restart,
    ]
    for port in request.ports:
        args += ["-p", port]
    for volume in request.volumes:
        args += ["-v", volume]
    for entry in request.environment:
        args += ["--env", entry.split("=", 1)[0] + "=..."]  # values may be secrets; names say enough
    for label in request.labels:
        args += ["--label", label]
    return shlex.join([*args, request.image, *request.command])


async def pull_image(ctx: AgentContext, image: str, registry_auth: api.RegistryAuth | None) -> Log:
    """`docker pull`, with the registry credentials when given (they never reach the Log)."""
    auth = (
        {
            "username": registry_auth.username,
            "password": registry_auth.password,
            "serveraddress": registry_auth.server,
        }
        if registry_auth is not None
        else None
    )

    async def pull() -> str:
        async with ctx.docker.reachable() as docker:
            await docker.images.pull(image, auth=auth)
        return f"pulled {image}"

    return await docker_step("Pull Image", f"docker pull {shlex.quote(image)}", pull)


async def pull_request(ctx: AgentContext, request: api.PullImage) -> Log:
    """Answer PullImage."""
    return await pull_image(ctx, request.image, request.registry_auth)


async def run_container(ctx: AgentContext, request: api.RunContainer) -> list[Log]:
    """Pull if needed, keep the previous container aside, start the new one, then drop or restore the previous."""
    config = container_config(request)
    logs: list[Log] = []
    present = True
    try:
        await ctx.docker.inspect_image(request.image)
    except NotFound:
        present = False
    if not present or request.registry_auth is not None:
        logs.append(await pull_image(ctx, request.image, request.registry_auth))
        if not logs[-1].success:
            return logs

    previous: dict[str, Any] | None
    try:
        previous = await ctx.docker.inspect_container(request.name)
    except NotFound:
        previous = None
    was_running = bool(previous and (previous.get("State") or {}).get("Running"))
    kept_as = request.name + PREVIOUS_SUFFIX
    if previous is not None:

        async def keep_aside() -> str:
            async with ctx.docker.reachable() as docker:
                old = docker.containers.container(previous["Id"])
                await old.rename(kept_as)
                if was_running:
                    await old.stop(t=request.stop_time)
            return (
                f"kept the running container aside as {kept_as}" if was_running else f"renamed to {kept_as}"
            )

        logs.append(await docker_step("Stop Previous", f"docker rename {request.name} {kept_as}", keep_aside))
        if not logs[-1].success:
            return logs

    created: dict[str, str] = {}

    async def create_and_start() -> str:
        async with ctx.docker.reachable() as docker:
            container = await docker.containers.create(config, name=request.name)
            created["id"] = container.id
            await container.start()
        return created["id"]

    logs.append(await docker_step("Run Container", run_command(request), create_and_start))
    if logs[-1].success:
        if previous is not None:

            async def remove_previous() -> str:
                async with ctx.docker.reachable() as docker:
                    await docker.containers.container(previous["Id"]).delete(force=True)
                return f"removed {kept_as}"

            logs.append(await docker_step("Remove Previous", f"docker rm -f {kept_as}", remove_previous))
        return logs

    async def restore() -> str:
        async with ctx.docker.reachable() as docker:
            if "id" in created:
                await docker.containers.container(created["id"]).delete(force=True)
            if previous is not None:
                old = docker.containers.container(previous["Id"])
                await old.rename(request.name)
                if was_running:
                    await old.start()
        return "the previous container is back" if previous is not None else "nothing was left behind"

    restored = await docker_step("Restore Previous", f"docker rename {kept_as} {request.name}", restore)
    logs.append(restored)
    return logs


def handlers(ctx: AgentContext) -> HandlerTable:
    """RunContainer, PullImage and their handlers."""
    return {api.RunContainer: bind(ctx, run_container), api.PullImage: bind(ctx, pull_request)}
