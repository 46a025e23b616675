"""The `docker compose` argument lists of each request (after `docker compose`), and how they are shown.

Arguments are lists, never shell strings: a service or a value cannot become a second command. Service names
go after `--`, so none of them is read as a flag.
"""

from __future__ import annotations

import shlex
from typing import Final

from contracts.api.agent import compose as api

DOCKER_COMPOSE: Final = ("docker", "compose")
"""How compose is run: the docker CLI and its compose plugin."""


def project_args(project: str, file_paths: list[str], env_files: list[str]) -> list[str]:
    """`-p project -f file... --env-file env...`: what every command on a stack's files starts with."""
    args = ["-p", project]
    for path in file_paths:
        args += ["-f", path]
    for path in env_files:
        args += ["--env-file", path]
    return args


def services_tail(services: list[str]) -> list[str]:
    """`-- service...`, or nothing for all services."""
    return ["--", *services] if services else []


def config_args(base: list[str], interpolate: bool = True) -> list[str]:
    """`compose config` as JSON: the merged project, interpolated (or, with `interpolate=False`, as written:
    `${VAR}` references and `env_file` entries left unresolved, so no value from an env file is in it)."""
    return [*base, "config", "--format", "json", *([] if interpolate else ["--no-interpolate"])]


def build_args(base: list[str], extra: list[str], services: list[str]) -> list[str]:
    """`compose build` with the user's arguments."""
    return [*base, "build", *extra, *services_tail(services)]


def pull_args(base: list[str], services: list[str]) -> list[str]:
    """`compose pull`."""
    return [*base, "pull", *services_tail(services)]


def up_args(base: list[str], extra: list[str], stop_time: int | None, services: list[str]) -> list[str]:
    """`compose up -d` with the user's arguments and the grace time of replaced containers."""
    timeout = ["--timeout", str(stop_time)] if stop_time is not None else []
    return [*base, "up", "-d", *extra, *timeout, *services_tail(services)]


def down_args(project: str, stop_time: int | None, services: list[str]) -> list[str]:
    """`compose -p project down` of the project's containers, whatever the files declare now."""
    timeout = ["--timeout", str(stop_time)] if stop_time is not None else []
    return ["-p", project, "down", *timeout, *services_tail(services)]


def execution_args(base: list[str], request: api.ComposeExecution) -> list[str]:
    """`compose <verb>` of ComposeExecution: `--timeout` for stop, restart and down, `--remove-orphans` for down."""
    args = [*base, request.command]
    if request.command in ("stop", "restart", "down") and request.stop_time is not None:
        args += ["--timeout", str(request.stop_time)]
    if request.command == "down" and request.remove_orphans:
        args.append("--remove-orphans")
    return [*args, *services_tail(request.services)]


def run_args(base: list[str], request: api.ComposeRun) -> list[str]:
    """`compose run --rm` of one service with the request's options, then the service and its command."""
    args = [*base, "run", "--rm"]
    if request.no_tty:
        args.append("-T")
    if request.no_deps:
        args.append("--no-deps")
    if request.detach:
        args.append("-d")
    if request.service_ports:
        args.append("--service-ports")
    for key, value in request.env.items():
        args += ["-e", f"{key}={value}"]
    if request.workdir:
        args += ["-w", request.workdir]
    if request.user:
        args += ["-u", request.user]
    if request.entrypoint is not None:
        args += ["--entrypoint", request.entrypoint]
    if request.pull:
        args += ["--pull", "always"]
    # `--` ends compose's options: the command's own flags are not read as compose's.
    return [*args, "--", request.service, *request.command]


def logs_args(project: str, services: list[str], tail: int | None, timestamps: bool) -> list[str]:
    """`compose -p project logs` of the project's containers (no files needed)."""
    args = ["-p", project, "logs", "--no-color"]
    if tail is not None:
        args += ["--tail", str(tail)]
    if timestamps:
        args.append("--timestamps")
    return [*args, *services_tail(services)]


def shown(args: list[str], secret_env: bool = False) -> str:
    """The command line of `docker compose args` for a Log.

    With `secret_env`, the values of `-e KEY=value` are hidden (they may be secrets; the names say enough).
    """
    words = [*DOCKER_COMPOSE, *args]
    if secret_env:
        words = [
            word.split("=", 1)[0] + "=..." if index > 0 and words[index - 1] == "-e" else word
            for index, word in enumerate(words)
        ]
    return shlex.join(words)
