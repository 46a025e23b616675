"""RunContainer: (re)create a Deployment's container so that a failed redeploy loses nothing.

Stages, each a Log: pull the image (when it is not on the host, or when registry credentials are given, so a
private image is fresh); keep a container of that name aside (renamed `<name>-previous` and stopped, freeing
its ports); create and start the new one; then remove the previous one, or, when the new one cannot be created
or started, remove what was created and put the previous one back (renamed back, started again if it ran).

The container is created through the Engine API (the body `create_api` translates as the CLI would) unless the
request has `extra_args`: those are `docker run` flags only the docker CLI understands, so such a request is
created with `docker create`. Both make the same container and fail the same way (`CreateFailed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import tempfile
from typing import Any

from aiodocker.exceptions import DockerError

from contracts.api.agent import container as api
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.handlers.create_api import BadOption, create_body, restart_policy
from services.agent.oplog import docker_step
from services.common.errors import NotFound, Unavailable

PREVIOUS_SUFFIX = "-previous"
"""Suffix of the name a container is kept under while its replacement starts."""
CLI_TIMEOUT_SECONDS = 120.0
"""Longest a `docker create` may take (the image is already on the host)."""


class CreateFailed(DockerError):
    """The container could not be created (the message says why: a bad option, a name in use, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def create_args(request: api.RunContainer, env_file: str) -> list[str]:
    """The `docker create` arguments of a RunContainer request, as Komodo's `docker run` line.

    The environment goes through `--env-file` (a 0600 file) so no value is on a command line another local
    user could read; `extra_args` are split as a shell would, since Komodo joins them into its command.
    """
    args = ["create", "--pull", "never", "--name", request.name, "--network", request.network or "host"]
    for port in request.ports:
        args += ["-p", port]
    for volume in request.volumes:
        args += ["-v", volume]
    if request.environment:
        args += ["--env-file", env_file]
    args += ["--restart", restart_policy(request.restart)]
    for label in request.labels:
        args += ["--label", label]
    args += ["--stop-signal", request.stop_signal, "--stop-timeout", str(request.stop_time)]
    for extra in request.extra_args:
        args += shlex.split(extra)
    return [*args, request.image, *request.command]


def run_command(request: api.RunContainer) -> str:
    """The `docker run` line this request amounts to (for the Log; environment values left out)."""
    args = create_args(request, "").copy()
    shown = ["docker", "run", "-d", *args[3:]]  # without `create --pull never`
    if request.environment:
        at = shown.index("--env-file")
        shown[at : at + 2] = [
            part for entry in request.environment for part in ("--env", entry.split("=", 1)[0] + "=...")
        ]
    return shlex.join(shown)


async def docker_cli(ctx: AgentContext, args: list[str]) -> tuple[int, str, str]:
    """Run the docker CLI with an argument list (no shell); its exit code, stdout and stderr."""
    docker = shutil.which("docker")
    if docker is None:
        return 127, "", "the docker CLI is not installed on this host (the agent needs it for docker create)"
    env = dict(os.environ)
    if ctx.config.docker_host:
        env["DOCKER_HOST"] = ctx.config.docker_host
    proc = await asyncio.create_subprocess_exec(
        docker, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=CLI_TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return 124, "", f"docker {args[0]} did not finish in {CLI_TIMEOUT_SECONDS:.0f} s"
    return proc.returncode or 0, out.decode(errors="replace").strip(), err.decode(errors="replace").strip()


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


async def _image_present(ctx: AgentContext, image: str) -> bool:
    """Whether the host has the image."""
    try:
        await ctx.docker.inspect_image(image)
    except NotFound:
        return False
    return True


async def _existing(ctx: AgentContext, name: str) -> dict[str, Any] | None:
    """Docker's inspect of the container of that name, or None."""
    try:
        return await ctx.docker.inspect_container(name)
    except NotFound:
        return None


class _StopFailed(Exception):
    """The previous container could not be stopped: the new one must not start (its "Stop Previous" Log says why)."""


async def create_container(ctx: AgentContext, request: api.RunContainer) -> str:
    """Create the request's container; its id (`CreateFailed` with Docker's message when refused).

    Through the Engine API without `extra_args`, with the docker CLI with them.
    """
    if request.extra_args:
        return await create_with_cli(ctx, request)
    return await create_with_api(ctx, request)


async def create_with_api(ctx: AgentContext, request: api.RunContainer) -> str:
    """`POST /containers/create` of the request's container (never pulls); its id.

    An option that cannot be translated, or the engine refusing the body, is `CreateFailed` with the reason,
    worded as the CLI words the engine's refusals.
    """
    try:
        body = create_body(request)
    except BadOption as err:
        raise CreateFailed(f"docker: {err}") from None
    try:
        async with (
            ctx.docker.reachable() as docker
        ):  # an unreachable engine is `Unavailable`, not caught here
            created = await docker.containers.create(body, name=request.name)
    except DockerError as err:
        raise CreateFailed(f"Error response from daemon: {err.message}") from None
    return str(created.id)


async def create_with_cli(ctx: AgentContext, request: api.RunContainer) -> str:
    """`docker create` of the request's container; its id (`CreateFailed` with docker's message when refused)."""
    with tempfile.TemporaryDirectory(prefix="varanus-run-") as folder:
        env_file = os.path.join(folder, "env")
        descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("".join(f"{entry}\n" for entry in request.environment))
        code, out, err = await docker_cli(ctx, create_args(request, env_file))
    if code != 0:
        raise CreateFailed(err or f"docker create exited with {code}")
    return out.splitlines()[-1] if out else request.name


class _NameTaken(Exception):
    """The first try at creating a container failed: the full flow (inspect, pull, keep aside) follows."""


async def run_where_free(ctx: AgentContext, request: api.RunContainer) -> Log | None:
    """Create and start the container at once, as the first deploy of a deployment does: its Log, or None when
    that cannot be the whole of it (the name is taken, the image is not here, or anything else refused it).

    Docker refuses a create whose name is in use and never pulls here, so a create that succeeds means no
    previous container to keep aside and an image present: the inspections would change nothing. When the new
    container does not start, it is removed and None answers, so the full flow runs as it would have.
    """
    created: dict[str, str] = {}

    async def create_and_start() -> str:
        try:
            created["id"] = await create_with_api(ctx, request)
        except CreateFailed:
            raise _NameTaken from None
        async with ctx.docker.reachable() as docker:
            await docker.containers.container(created["id"]).start()
        return created["id"]

    try:
        run = await docker_step("Run Container", run_command(request), create_and_start)
    except _NameTaken:
        return None
    if run.success:
        return run
    with contextlib.suppress(DockerError, Unavailable):
        async with ctx.docker.reachable() as docker:
            await docker.containers.container(created["id"]).delete(force=True)
    return None


async def run_container(ctx: AgentContext, request: api.RunContainer) -> list[Log]:
    """Pull if needed, keep the previous container aside, start the new one, then drop or restore the previous.

    A request that the Engine API creates without credentials first tries to create and start at once
    (`run_where_free`): on a host without the container and with the image, that is all there is to do.
    Otherwise the image and the container of that name are inspected together. Once the previous container is renamed
    aside, the new one is created while the previous one stops (through the CLI, `docker create` takes as long as
    a stop); it starts only once the previous one has stopped, so ports are free and the two never run
    together.
    """
    if not request.extra_args and request.registry_auth is None:
        first = await run_where_free(ctx, request)
        if first is not None:
            return [first]
    logs: list[Log] = []
    present, previous = await asyncio.gather(_image_present(ctx, request.image), _existing(ctx, request.name))
    if not present or request.registry_auth is not None:
        logs.append(await pull_image(ctx, request.image, request.registry_auth))
        if not logs[-1].success:
            return logs

    was_running = bool(previous and (previous.get("State") or {}).get("Running"))
    kept_as = request.name + PREVIOUS_SUFFIX
    renamed = asyncio.Event()
    aside: asyncio.Task[Log] | None = None
    if previous is not None:

        async def keep_aside() -> str:
            async with ctx.docker.reachable() as docker:
                old = docker.containers.container(previous["Id"])
                await old.rename(kept_as)
                renamed.set()
                if was_running:
                    await old.stop(t=request.stop_time)
            return (
                f"kept the running container aside as {kept_as}" if was_running else f"renamed to {kept_as}"
            )

        aside = asyncio.create_task(
            docker_step("Stop Previous", f"docker rename {request.name} {kept_as}", keep_aside)
        )
        # The name is free once renamed; a failed rename ends the step (and the deploy) before that.
        waiting = asyncio.create_task(renamed.wait())
        await asyncio.wait([aside, waiting], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if not renamed.is_set():
            logs.append(await aside)
            return logs

    created: dict[str, str] = {}

    async def create_and_start() -> str:
        created["id"] = await create_container(ctx, request)
        if aside is not None and not (await aside).success:
            raise _StopFailed
        async with ctx.docker.reachable() as docker:
            await docker.containers.container(created["id"]).start()
        return created["id"]

    run: Log | None = None
    stopped: Log | None = None
    try:
        run = await docker_step("Run Container", run_command(request), create_and_start)
    except _StopFailed:
        pass
    finally:
        if aside is not None:
            stopped = await aside
            logs.append(stopped)
    if run is None or (stopped is not None and not stopped.success):
        # As without the overlap: the deploy ends at the failed stop, and no new container is left behind.
        if "id" in created:
            with contextlib.suppress(DockerError, Unavailable):
                async with ctx.docker.reachable() as docker:
                    await docker.containers.container(created["id"]).delete(force=True)
        return logs
    logs.append(run)
    if run.success:
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
