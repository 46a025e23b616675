"""Cloning or pulling a repository on the host, then its env file and its `on_clone` / `on_pull` command.

The clone or pull is `services.agent.compose.git.sync_repo` (dulwich, the token given to the transport only).
Every path is checked before anything runs, and again after the clone (a repository may hold symlinks). Every
Log is redacted: the token, in each form a transport writes it, and each value the request marks secret.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Final

from contracts.api.agent.repo import RepoOnHost, RepoOnHostResponse
from contracts.entities.common import SystemCommand
from contracts.entities.update import Log
from services.agent.compose.command import DEPLOY_TIMEOUT, shell, subprocess_env
from services.agent.compose.files import ENV_FILE_MODE, write_file
from services.agent.compose.git import sync_repo
from services.agent.image_build.running import RunningBuilds
from services.agent.oplog import now_ms
from services.agent.redact import Redactor
from services.agent.repo.paths import inside_checkout, repo_folder
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest

COMMAND_TIMEOUT: Final = DEPLOY_TIMEOUT
"""Seconds an `on_clone` / `on_pull` command may take."""

CANCELLED: Final = (
    "the clone was cancelled (CancelImageBuild): its command was stopped and its folder removed"
)
"""The message of the "Cancel" Log."""
_folder_locks: dict[Path, asyncio.Lock] = {}
"""One clone or pull at a time per checkout folder (a second waits for the first)."""


def command_line(command: str) -> str:
    """A SystemCommand's text as one shell line: its non-blank, non-comment lines joined with `&&` (Komodo)."""
    lines = [line.strip() for line in command.splitlines()]
    return " && ".join(line for line in lines if line and not line.startswith("#"))


def _failed(stage: str, command: str, message: str) -> Log:
    now = now_ms()
    return Log(stage=stage, command=command, stderr=message, success=False, start_ts=now, end_ts=now)


def _checked(repo: RepoOnHost, folder: Path) -> tuple[Path, Path, Path]:
    """The env file and the folders of both commands, each inside the checkout (a `BadRequest` otherwise)."""
    return (
        inside_checkout(folder, repo.env_file_path, "env_file_path"),
        inside_checkout(folder, repo.on_clone.path, "on_clone path"),
        inside_checkout(folder, repo.on_pull.path, "on_pull path"),
    )


def write_env(folder: Path, target: Path, repo: RepoOnHost) -> Log:
    """Write `environment` to the env file (mode 0600) as a "Write Environment" Log that names the file only."""
    start = now_ms()
    command = f"write {repo.env_file_path}"
    try:
        write_file(target, repo.environment, ENV_FILE_MODE, folder)
    except OSError as err:
        return _failed(
            "Write Environment", command, f"cannot write {repo.env_file_path}: {err.strerror or err}"
        )
    return Log(
        stage="Write Environment",
        command=command,
        stdout=f"wrote {repo.env_file_path} (mode 0600)",
        success=True,
        start_ts=start,
        end_ts=now_ms(),
    )


async def run_command(stage: str, command: SystemCommand, cwd: Path, docker_host: str | None) -> Log | None:
    """Run a SystemCommand in `cwd` as a Log named `stage` (Komodo shows `cd <path> && <command>`); None when
    the command is blank."""
    line = command_line(command.command)
    if not line:
        return None
    shown = f"cd {command.path or '.'} && {line}"
    if not await asyncio.to_thread(cwd.is_dir):
        return _failed(stage, shown, f"folder {command.path!r} is not in the checkout")
    log = await shell(stage, line, cwd, subprocess_env(docker_host), COMMAND_TIMEOUT)
    return log.model_copy(update={"command": shown})


async def checkout(
    config: AgentConfig,
    repo: RepoOnHost,
    fresh: bool,
    running: RunningBuilds | None = None,
    key: str = "",
) -> RepoOnHostResponse:
    """Clone (`fresh`: always, deleting the folder first) or pull-or-clone `repo`, write its env file, run
    `on_clone` after a clone or `on_pull` after a pull. Bad paths are a `BadRequest` before anything runs; after
    that each failure is the failed Log of its stage and ends the list.

    With `running` and a `key`, the work runs as that key's in `running`, so CancelImageBuild can stop it: the
    answer then holds the Logs so far, what the stopped command printed is lost, the folder is removed and the
    last Log is a failed "Cancel"."""
    folder = repo_folder(repo.location, config.repo_dir, config.host_directories)
    _checked(repo, folder)
    lock = _folder_locks.setdefault(folder, asyncio.Lock())
    async with lock:
        logs: list[Log] = []
        if running is None or not key:
            return await _checkout(config, repo, folder, fresh, logs)
        task = running.start(key, _checkout(config, repo, folder, fresh, logs))
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the agent is stopping: this request goes with it
        # Half a checkout is worth nothing: a cancelled clone leaves no folder (a fresh clone had deleted the
        # old one already).
        await asyncio.to_thread(shutil.rmtree, folder, True)
        logs.append(_failed("Cancel", "", CANCELLED))
        return RepoOnHostResponse(path=str(folder), logs=Redactor.of(repo.secrets, repo.git).logs(logs))


async def _checkout(
    config: AgentConfig, repo: RepoOnHost, folder: Path, fresh: bool, logs: list[Log]
) -> RepoOnHostResponse:
    """`checkout` once the folder is checked and this request holds its lock; each stage's Log is appended to
    `logs` as it ends."""
    redactor = Redactor.of(repo.secrets, repo.git)
    source = repo.git.model_copy(update={"reclone": True}) if fresh else repo.git
    result = await sync_repo(folder, source)
    cloned = result.log.stage == "Clone Repo"
    response = RepoOnHostResponse(
        path=str(folder),
        latest_hash=result.commit_hash,
        latest_message=result.commit_message,
        cloned=cloned,
    )
    logs.append(result.log)

    def done() -> RepoOnHostResponse:
        return response.model_copy(update={"logs": redactor.logs(logs)})

    if not result.log.success:
        return done()
    try:
        # The checkout may hold symlinks: every path is checked again now that they exist.
        env_target, clone_dir, pull_dir = await asyncio.to_thread(_checked, repo, folder)
    except BadRequest as err:
        logs.append(_failed("Validate Files", "", err.message))
        return done()
    if repo.environment:
        logs.append(write_env(folder, env_target, repo))
        if not logs[-1].success:
            return done()
    if cloned:
        log = await run_command("On Clone", repo.on_clone, clone_dir, config.docker_host)
    else:
        log = await run_command("On Pull", repo.on_pull, pull_dir, config.docker_host)
    if log is not None:
        logs.append(log)
    return done()
