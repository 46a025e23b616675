"""Building an image: the context checked, the temporary files made, `docker build`, `docker push`, clean-up.

`plan_build` resolves the context and refuses a `build_path` or `dockerfile_path` that leaves it (symlinks
resolved) before anything runs. `run_build` then works in a private temporary folder (mode 0700) holding the
BuildKit secret files (0600) and a UI-defined Dockerfile, with the registry credentials in a temporary
`DOCKER_CONFIG`; both are removed when the build ends, however it ends (a failure, a cancel). The image is built
with every tag at once (BuildKit tags only when the whole build succeeded), then each tag is pushed (the first
alone, the others together); a failed
push or a cancel removes the tags the build made, so nothing half-done is left to deploy.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiodocker.exceptions import DockerError

from contracts.api.agent.build import BuildImage, BuildImageResponse
from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.repo import RepoLocation
from contracts.entities.update import Log
from services.agent.compose.command import docker_config, run_process, subprocess_env
from services.agent.compose.paths import inside
from services.agent.context import AgentContext
from services.agent.image_build.cli import BuildCli, NoBuildCli, find_build_cli
from services.agent.image_build.progress import Progress
from services.agent.oplog import now_ms
from services.agent.redact import Redactor
from services.agent.repo.paths import inside_checkout, repo_folder
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest, Unavailable

BUILD_TIMEOUT: Final = 60 * 60.0
"""Seconds a build may take."""
PUSH_TIMEOUT: Final = 30 * 60.0
"""Seconds each push may take."""
CLEANUP_TIMEOUT: Final = 60.0
"""Seconds the removal of the tags may take."""
CANCELLED: Final = (
    "the build was cancelled (CancelImageBuild): its process was stopped, nothing more is pushed"
)
"""The message of the "Cancel" Log."""
LOGIN_TIMEOUT: Final = 60.0
"""Seconds a registry login check may take."""
SCRATCH_PREFIX: Final = "varanus-build-"
"""The start of the temporary folders' names (then the build key)."""


@dataclass(frozen=True)
class BuildPlan:
    """Where a build's context and Dockerfile are on the host."""

    build_dir: Path | None
    """The resolved context folder (None: an empty context, for a UI-defined Dockerfile alone)."""
    dockerfile: Path | None
    """The resolved Dockerfile (None: the UI-defined one)."""


def context_root(
    config: AgentConfig, repo: RepoLocation | None, host_directory: str, create: bool = False
) -> Path | None:
    """The resolved context folder: `repo`'s folder under the repo root, or `host_directory` (inside the repo
    root or an allowed folder); None for neither. A `BadRequest` when it leaves those or is not a folder; with
    `create` the folder is made first (once it is known to be where it may be)."""
    if repo is not None:
        root = repo_folder(repo, config.repo_dir, config.host_directories)
        if create:
            root.mkdir(parents=True, exist_ok=True)
        if not root.is_dir():
            raise BadRequest(f"repo {repo.name!r} is not checked out at {root}: clone it first")
        return root
    if host_directory:
        root = Path(host_directory).resolve()
        allowed = [config.repo_dir.resolve(), *(Path(entry).resolve() for entry in config.host_directories)]
        if not any(inside(root, place) for place in allowed):
            raise BadRequest(
                f"host_directory {host_directory!r} resolves to {root}, which is not inside the repo "
                "root or a folder this agent allows (VARANUS_AGENT_HOST_DIRECTORIES)"
            )
        if create:
            root.mkdir(parents=True, exist_ok=True)
        if not root.is_dir():
            raise BadRequest(f"host_directory {host_directory!r} is not a folder on this host")
        return root
    return None


def plan_build(config: AgentConfig, request: BuildImage) -> BuildPlan:
    """The context and Dockerfile of `request`; a `BadRequest` when one leaves the context or is missing."""
    root = context_root(config, request.repo, request.host_directory)
    if root is None:
        return BuildPlan(build_dir=None, dockerfile=None)
    build_dir = inside_checkout(root, request.build_path, "build_path")
    if not build_dir.is_dir():
        raise BadRequest(f"build_path {request.build_path!r} is not a folder in {root}")
    if request.dockerfile.strip():
        return BuildPlan(build_dir=build_dir, dockerfile=None)
    relative = os.path.normpath(os.path.join(request.build_path or ".", request.dockerfile_path))
    return BuildPlan(build_dir=build_dir, dockerfile=inside_checkout(root, relative, "dockerfile_path"))


@dataclass
class BuildState:
    """What a build has done so far (read by the handler when the build is cancelled)."""

    logs: list[Log] = field(default_factory=list)
    """The Logs so far."""
    tagged: list[str] = field(default_factory=list)
    """The tags the build put on the image."""
    pushed: list[str] = field(default_factory=list)
    """The tags pushed."""
    image_id: str | None = None
    """The built image."""
    success: bool = False
    """Whether every stage succeeded."""
    running: Log | None = None
    """The stage whose process runs now, with the output it printed so far (its Log if it is cancelled)."""


async def _run_stage(
    state: BuildState,
    progress: Progress,
    stage: str,
    argv: list[str],
    shown: str,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
) -> Log:
    """`run_process` of one stage whose lines are published as progress and kept in `state.running`, so a
    cancel mid-stage still answers what the stage printed."""
    lines: list[str] = []
    state.running = Log(stage=stage, command=shown, success=False, start_ts=now_ms(), end_ts=now_ms())
    publish = progress.sink(stage)

    def keep(line: str) -> bool:
        lines.append(line)
        return publish(line)

    try:
        return await run_process(stage, argv, shown, cwd, env, timeout, keep_line=keep)
    except asyncio.CancelledError:
        state.running = state.running.model_copy(update={"stdout": "\n".join(lines), "end_ts": now_ms()})
        raise
    else:
        state.running = None


def _failed(stage: str, command: str, message: str) -> Log:
    now = now_ms()
    return Log(stage=stage, command=command, stderr=message, success=False, start_ts=now, end_ts=now)


def _write_private(path: Path, contents: str) -> None:
    """Write `contents` to a new file only the agent's user can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(contents)


def build_argv(
    cli: BuildCli, request: BuildImage, dockerfile: Path, build_dir: Path, secret_files: dict[str, Path]
) -> tuple[list[str], list[str]]:
    """The build command, and the same as shown in the Log (secrets named by id only, no file path)."""
    argv = [*cli.build, "--progress", "plain", "--force-rm", "-f", str(dockerfile)]
    shown = list(argv)
    for name, value in request.build_args.items():
        argv += ["--build-arg", f"{name}={value}"]
        shown += ["--build-arg", f"{name}={value}"]
    for name, path in secret_files.items():
        argv += ["--secret", f"id={name},src={path}"]
        shown += ["--secret", f"id={name}"]
    for name, value in request.labels.items():
        argv += ["--label", f"{name}={value}"]
        shown += ["--label", f"{name}={value}"]
    tags = [word for tag in request.tags for word in ("-t", tag)]
    tail = [*request.extra_args, *tags, "--", str(build_dir)]
    return [*argv, *tail], [*shown, *tail]


async def registry_login(ctx: AgentContext, entry: RegistryAuth) -> Log:
    """Check an account with its registry through the engine (`POST /auth`, what `docker login` does) as a
    "Registry Login" Log, so refused credentials fail the build before it starts rather than at the push."""
    start = now_ms()
    command = f"docker login {entry.server} --username {entry.username} --password-stdin"
    body = {"username": entry.username, "password": entry.password, "serveraddress": entry.server}
    try:
        async with ctx.docker.reachable() as docker:
            answer = await asyncio.wait_for(
                docker._query_json("auth", method="POST", data=json.dumps(body)), LOGIN_TIMEOUT
            )
    except DockerError as err:
        message = f"{entry.server} refused the login of {entry.username!r}: {err.message}"
        return Log(
            stage="Registry Login",
            command=command,
            stderr=message,
            success=False,
            start_ts=start,
            end_ts=now_ms(),
        )
    except (Unavailable, TimeoutError) as err:
        message = f"cannot log in to {entry.server}: {getattr(err, 'message', '') or 'no answer in time'}"
        return Log(
            stage="Registry Login",
            command=command,
            stderr=message,
            success=False,
            start_ts=start,
            end_ts=now_ms(),
        )
    status = answer.get("Status") if isinstance(answer, dict) else None
    return Log(
        stage="Registry Login",
        command=command,
        stdout=str(status or "Login Succeeded"),
        success=True,
        start_ts=start,
        end_ts=now_ms(),
    )


async def _image_id(ctx: AgentContext, tag: str) -> str | None:
    try:
        found = await ctx.docker.inspect_image(tag)
    except Exception:  # the id is a nicety; the build succeeded either way
        return None
    value = found.get("Id")
    return value if isinstance(value, str) else None


async def _build_and_push(
    ctx: AgentContext,
    request: BuildImage,
    plan: BuildPlan,
    state: BuildState,
    progress: Progress,
    scratch: Path,
) -> None:
    """The stages in order; each failure appends its Log and returns."""
    try:
        cli = await find_build_cli(ctx.config.docker_cli, request.use_buildx)
    except NoBuildCli as err:
        state.logs.append(_failed("Build", "docker build", str(err)))
        return
    for entry in request.registries:
        state.logs.append(await registry_login(ctx, entry))
        if not state.logs[-1].success:
            return
    dockerfile = plan.dockerfile
    build_dir = plan.build_dir
    if dockerfile is None:
        start = now_ms()
        dockerfile = scratch / "Dockerfile"
        await asyncio.to_thread(_write_private, dockerfile, request.dockerfile)
        state.logs.append(
            Log(
                stage="Write Dockerfile",
                command=f"write {request.dockerfile_path}",
                stdout=f"wrote the UI-defined Dockerfile ({len(request.dockerfile.encode())} bytes)",
                success=True,
                start_ts=start,
                end_ts=now_ms(),
            )
        )
    if build_dir is None:
        build_dir = scratch / "context"
        await asyncio.to_thread(build_dir.mkdir, 0o755)
    secrets_dir = scratch / "secrets"
    await asyncio.to_thread(secrets_dir.mkdir, 0o700)
    secret_files: dict[str, Path] = {}
    for name, value in request.secret_args.items():
        secret_files[name] = secrets_dir / name
        await asyncio.to_thread(_write_private, secret_files[name], value)

    with docker_config(request.registries, prefix=f"{SCRATCH_PREFIX}{request.build_key}-auth-") as auth_env:
        env = subprocess_env(ctx.config.docker_host, {**dict(cli.env), **auth_env})
        argv, shown = build_argv(cli, request, dockerfile, build_dir, secret_files)
        log = await _run_stage(state, progress, "Build", argv, " ".join(shown), build_dir, env, BUILD_TIMEOUT)
        state.logs.append(log)
        if not log.success:
            return
        state.tagged = list(request.tags)
        state.image_id = await _image_id(ctx, request.tags[0])
        if request.push:

            async def push(tag: str) -> Log:
                argv = [cli.docker, "push", tag]
                return await _run_stage(
                    state, progress, "Push", argv, " ".join(argv), build_dir, env, PUSH_TIMEOUT
                )

            # The first push uploads the layers; every other tag of the image only adds a manifest, so those go
            # together (about 40 ms less per tag on a local registry; their Logs keep the tags' order).
            first = request.tags[0]
            pushes = [await push(first)]
            if pushes[0].success:
                pushes += await asyncio.gather(*(push(tag) for tag in request.tags[1:]))
            for tag, log in zip(request.tags, pushes, strict=False):
                state.logs.append(log)
                if log.success:
                    state.pushed.append(tag)
            if not all(log.success for log in pushes):
                return
    state.success = True


async def remove_tags(ctx: AgentContext, tags: list[str]) -> Log:
    """`docker image rm` of the tags a failed or cancelled build made (the image goes with its last tag)."""
    cli = await find_build_cli(ctx.config.docker_cli, use_buildx=False)
    argv = [cli.docker, "image", "rm", *tags]
    env = subprocess_env(ctx.config.docker_host)
    return await run_process("Remove Tags", argv, " ".join(argv), Path("/"), env, CLEANUP_TIMEOUT)


async def run_build(
    ctx: AgentContext, request: BuildImage, plan: BuildPlan, state: BuildState
) -> BuildImageResponse:
    """Build (and push) as the module says; a cancel stops the process at once and still cleans up."""
    redactor = Redactor.of(
        [*request.secrets, *request.secret_args.values(), *(entry.password for entry in request.registries)]
    )
    progress = Progress(ctx.publish, request.progress_subject, request.build_key, redactor)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{request.build_key}-"))
    cancelled = False
    try:
        async with progress.running():
            await _build_and_push(ctx, request, plan, state, progress, scratch)
    except asyncio.CancelledError:
        cancelled = True
        if state.running is not None:  # what the interrupted stage printed before it was stopped
            state.logs.append(state.running)
        state.logs.append(_failed("Cancel", "", CANCELLED))
    except (OSError, Unavailable) as err:  # the host or its engine failed under the build: its failed Log
        reason = getattr(err, "message", None) or getattr(err, "strerror", None) or str(err)
        state.logs.append(_failed("Build", "", f"the build could not go on: {reason}"))
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    if not state.success and state.tagged:
        state.logs.append(await remove_tags(ctx, state.tagged))
        state.tagged = []
    return BuildImageResponse(
        logs=redactor.logs(state.logs),
        success=state.success,
        cancelled=cancelled,
        tags=state.tagged,
        pushed=state.pushed,
        image_id=state.image_id,
    )


async def build_image(ctx: AgentContext, request: BuildImage) -> BuildImageResponse:
    """Check the request (a `BadRequest` before anything runs), then build under its key."""
    own = f"komodo.agent.{ctx.config.server_id}.progress."
    if request.progress_subject and not request.progress_subject.startswith(own):
        raise BadRequest(f"progress_subject {request.progress_subject!r} is not under this agent's {own}*")
    plan = await asyncio.to_thread(plan_build, ctx.config, request)
    state = BuildState()
    task = ctx.builds.start(request.build_key, run_build(ctx, request, plan, state))
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the agent is stopping: this request goes with it
        # Cancelled before it started: nothing ran, nothing to clean.
        return BuildImageResponse(logs=[_failed("Cancel", "", CANCELLED)], cancelled=True)
