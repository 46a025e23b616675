"""Running `docker compose` (and the user's pre/post deploy commands) as subprocesses, each into a Log.

Compose runs from an argument list in the run directory, with a time limit; its stdout and stderr become the
Log's. The agent's own settings (`VARANUS_*`, `KOMODO_*` variables, which may hold its credentials) are left out
of the subprocesses' environment: compose interpolates the environment into compose files, and a user's
compose file must not be able to read the agent's token that way.

Registry credentials go into a temporary `DOCKER_CONFIG` folder (a `config.json` of mode 0600) that only these
subprocesses see and that is deleted afterwards; the host's own docker login is not touched.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shlex
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from contracts.api.agent.container import RegistryAuth
from contracts.entities.update import Log
from services.agent.compose.args import DOCKER_COMPOSE
from services.agent.compose.wrapper import Wrapper
from services.agent.oplog import now_ms

DEPLOY_TIMEOUT: Final = 15 * 60.0
"""Seconds a deploy's commands may take (pulls, builds and `up` can be slow)."""
COMMAND_TIMEOUT: Final = 5 * 60.0
"""Seconds other commands may take."""
MAX_OUTPUT: Final = 512 * 1024
"""Characters of each stream kept in a Log (the last ones): a Log travels in one NATS message."""
READ_GRACE: Final = 10.0
"""Seconds the output is still read after the process ended."""
PROJECT_ONLY_DIR: Final = Path("/")
"""Where commands that act on a project by name run. Without `-f`, compose looks for a compose file in its
working folder and every parent: from `/`, which only root writes, no stray file can stand in for the project."""
SYSTEM_PLUGIN_DIRS: Final = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)
"""Where the docker CLI looks for its plugins after the user's config folder (on Linux)."""
HIDDEN_PREFIXES: Final = ("VARANUS_", "KOMODO_")
"""Environment variables of the agent that its subprocesses do not get."""


def subprocess_env(docker_host: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of compose and of deploy commands: the agent's, without its own settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(HIDDEN_PREFIXES)}
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    env.update(extra or {})
    return env


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return f"[... {len(text) - MAX_OUTPUT} earlier characters cut]\n" + text[-MAX_OUTPUT:]


def _kill(process: asyncio.subprocess.Process) -> None:
    # The subprocess leads its own process group: the kill reaches what it started too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_process(
    stage: str,
    argv: list[str],
    command: str,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    keep_line: Callable[[str], bool] | None = None,
    max_lines: int = 0,
) -> Log:
    """Run `argv` in `cwd` and describe it as a Log named `stage` whose command is `command`.

    Success is exit code 0. Past `timeout` seconds the process (group) is killed and the Log fails saying so,
    with the output printed until then. With `keep_line`, only the lines it keeps are recorded (the last
    `max_lines` of each stream), read as they come, so a long log is searched without being held in memory.
    """
    start = now_ms()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as err:
        return Log(
            stage=stage,
            command=command,
            stderr=f"cannot run {argv[0]}: {err.strerror or err}",
            success=False,
            start_ts=start,
            end_ts=now_ms(),
        )
    assert process.stdout is not None and process.stderr is not None

    async def read(stream: asyncio.StreamReader) -> str:
        if keep_line is None:
            return (await stream.read()).decode(errors="replace")
        kept: deque[str] = deque(maxlen=max_lines or None)
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip("\n")
            if keep_line(text):
                kept.append(text)
        return "\n".join(kept)

    readers = asyncio.gather(read(process.stdout), read(process.stderr))
    timed_out = False
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        timed_out = True
        _kill(process)
        await process.wait()
    except asyncio.CancelledError:
        _kill(process)
        readers.cancel()
        raise
    try:
        # A process that left a child holding its output open must not hold the answer forever.
        stdout, stderr = await asyncio.wait_for(readers, READ_GRACE)
    except TimeoutError:
        stdout, stderr = "", "the output could not be read to its end"
    if timed_out:
        stderr += f"\n{stage} did not finish within {timeout:g} s and was stopped"
    return Log(
        stage=stage,
        command=command,
        stdout=_clip(stdout.strip("\n") if keep_line else stdout.strip()),
        stderr=_clip(stderr.strip()),
        success=process.returncode == 0 and not timed_out,
        start_ts=start,
        end_ts=now_ms(),
    )


def _config_dir() -> Path:
    """The docker CLI's config folder (`DOCKER_CONFIG`, else `~/.docker`)."""
    own = os.environ.get("DOCKER_CONFIG")
    return Path(own) if own else Path.home() / ".docker"


def compose_plugin() -> str | None:
    """The compose plugin binary that `docker compose` runs, found where the docker CLI looks for it (the
    config's `cliPluginsExtraDirs`, `<config>/cli-plugins`, then the system folders); None when there is none.

    Running it directly does what `docker compose` does without the CLI in front, which starts, reads its
    config, runs the plugin once for its metadata and then again for the command: two process starts of
    about 50-130 ms on a small host, for every compose command of a deploy.
    """
    folders: list[Path] = []
    with contextlib.suppress(OSError, ValueError, AttributeError):
        extra = json.loads((_config_dir() / "config.json").read_text(encoding="utf-8")).get(
            "cliPluginsExtraDirs"
        )
        folders += [Path(folder) for folder in extra or () if isinstance(folder, str)]
    folders += [_config_dir() / "cli-plugins", *(Path(folder) for folder in SYSTEM_PLUGIN_DIRS)]
    for folder in folders:
        candidate = folder / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


async def compose(
    stage: str,
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = COMMAND_TIMEOUT,
    shown: str | None = None,
    wrapper: Wrapper | None = None,
) -> Log:
    """`docker compose args` in `cwd` as a Log, run through `wrapper` when given; `shown` replaces the command
    line in the Log when given.

    Without a wrapper the compose plugin runs directly (`compose_plugin`), when it is found; the Log shows the
    `docker compose` line all the same. A wrapper gets `docker compose ...`, as the user wrote it for.
    """
    argv = [*DOCKER_COMPOSE, *args]
    if wrapper is not None:
        argv = wrapper.argv(argv)
        return await run_process(stage, argv, shown or shlex.join(argv), cwd, env, timeout)
    plugin = compose_plugin()
    run = [plugin, *args] if plugin is not None else argv
    return await run_process(stage, run, shown or shlex.join(argv), cwd, env, timeout)


async def shell(stage: str, command: str, cwd: Path, env: Mapping[str, str], timeout: float) -> Log:
    """A command the user wrote (pre/post deploy), run by `/bin/sh -c` in `cwd`, as Komodo runs them."""
    return await run_process(stage, ["/bin/sh", "-c", command], command, cwd, env, timeout)


def _plugin_folders() -> list[Path]:
    """Where the docker CLI of this agent finds its plugins through its config folder."""
    return [_config_dir()]


@contextlib.contextmanager
def docker_config(
    auth: RegistryAuth | Sequence[RegistryAuth] | None, prefix: str = "varanus-compose-auth-"
) -> Iterator[dict[str, str]]:
    """The environment variables that give compose `auth` for its registry: a temporary `DOCKER_CONFIG`.

    Without `auth` nothing changes (compose uses the host's login). With it, a private folder holds a
    `config.json` with only that registry's credentials; the CLI plugins and contexts of the agent's own
    config folder are linked into it, since the docker CLI looks for the compose plugin there. The folder is
    deleted when the block ends. Several registries' credentials can be given at once.
    """
    auths = [auth] if isinstance(auth, RegistryAuth) else list(auth or ())
    if not auths:
        yield {}
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix))  # mode 0700
    try:
        entries = {
            entry.server: {"auth": base64.b64encode(f"{entry.username}:{entry.password}".encode()).decode()}
            for entry in auths
        }
        config: dict[str, object] = {"auths": entries}
        for own in _plugin_folders():
            for name in ("cli-plugins", "contexts"):
                if (own / name).is_dir():
                    (folder / name).symlink_to(own / name, target_is_directory=True)
            with contextlib.suppress(OSError, ValueError):
                current = json.loads((own / "config.json").read_text(encoding="utf-8")).get("currentContext")
                if isinstance(current, str) and current:
                    config["currentContext"] = current
        descriptor = os.open(folder / "config.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        yield {"DOCKER_CONFIG": str(folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
