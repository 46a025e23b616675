"""The ComposeUp pipeline (Komodo's `compose_up`), and reading a project's services from `compose config`.

Stages, each a Log, stopping at the first that fails: clone/pull or write the files; "Validate Files" when a
compose file is missing; "Pre Deploy"; "Compose Config"; "Compose Build" (`run_build`); "Compose Pull"
(`auto_pull`); "Compose Down" (`destroy_before_deploy`); "Compose Up"; "Post Deploy" after a successful up.
Registry credentials reach compose through a temporary `DOCKER_CONFIG` for the whole pipeline.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from contracts.api.agent import compose as api
from contracts.entities.stack import StackServiceNames
from contracts.entities.update import Log
from services.agent.compose import args as cargs
from services.agent.compose.command import (
    DEPLOY_TIMEOUT,
    PROJECT_ONLY_DIR,
    compose,
    docker_config,
    shell,
    subprocess_env,
)
from services.agent.compose.files import read_files
from services.agent.compose.stack import PreparedStack, prepare_stack
from services.agent.compose.wrapper import Wrapper
from services.agent.oplog import now_ms
from services.agent.settings import AgentConfig


def service_names(project: str, config: dict[str, Any]) -> list[StackServiceNames]:
    """The services of a merged compose config and their container names, as Komodo names them.

    A declared `container_name` is kept; otherwise `{project}-{service}` (the pattern compose's
    `{project}-{service}-{n}` names start with). A service with more than one replica is listed once per
    replica as `{service}-{n}` with container `{project}-{service}-{n}`.
    """
    names: list[StackServiceNames] = []
    for service, declared in sorted((config.get("services") or {}).items()):
        spec = declared or {}
        image = str(spec.get("image") or "")
        replicas = (spec.get("deploy") or {}).get("replicas")
        if isinstance(replicas, int) and replicas > 1:
            names += [
                StackServiceNames(
                    service_name=f"{service}-{index}",
                    container_name=f"{project}-{service}-{index}",
                    image=image,
                )
                for index in range(1, replicas + 1)
            ]
            continue
        container = str(spec.get("container_name") or f"{project}-{service}")
        names.append(StackServiceNames(service_name=service, container_name=container, image=image))
    return names


def missing_files_log(missing: list[str]) -> Log:
    """The failed "Validate Files" Log of compose files that are not there."""
    now = now_ms()
    return Log(
        stage="Validate Files",
        command="",
        stderr="compose files missing after writing the stack: "
        + ", ".join(missing)
        + "\nCheck the run directory and the file paths.",
        success=False,
        start_ts=now,
        end_ts=now,
    )


async def read_config(
    prepared: PreparedStack, env: dict[str, str], wrapper: Wrapper | None = None
) -> tuple[Log, list[StackServiceNames]]:
    """The "Compose Config" Log and the services of the merged config (none when compose refuses the files);
    through `wrapper` when it wraps `config`.

    The services come from the interpolated config, which is not kept: it holds the values of every env file
    (the stack's, `additional_env_files`, a service's `env_file`), and those are often secrets this agent has
    never been told about (Komodo #1636). The Log shows the config as written instead (`--no-interpolate`).
    """
    wrapped = wrapper if wrapper is not None and wrapper.wraps("config") else None
    base, run_dir = prepared.base_args(), prepared.paths.run_dir
    # Both reads at once: the second costs no extra time on a deploy.
    interpolated, written = await asyncio.gather(
        compose("Compose Config", cargs.config_args(base), run_dir, env, wrapper=wrapped),
        compose("Compose Config", cargs.config_args(base, interpolate=False), run_dir, env, wrapper=wrapped),
    )
    log = prepared.with_notes(interpolated)
    if not log.success:
        return log, []
    try:
        config = json.loads(log.stdout)
    except ValueError as err:
        failed = {"success": False, "stdout": "", "stderr": f"compose config is not JSON: {err}"}
        return log.model_copy(update=failed), []
    shown = written.stdout if written.success else ""
    return log.model_copy(update={"stdout": shown}), service_names(prepared.stack.project, config)


async def compose_up(config: AgentConfig, request: api.ComposeUp) -> api.ComposeUpResponse:
    """Run the pipeline of the module docstring; the response holds every stage's Log."""
    prepared = await prepare_stack(config, request.stack)
    response: dict[str, Any] = {
        "logs": prepared.logs,
        "commit_hash": prepared.commit_hash,
        "commit_message": prepared.commit_message,
    }
    if not prepared.ok:
        return api.ComposeUpResponse(**response)
    if prepared.missing:
        prepared.logs.append(missing_files_log(prepared.missing))
        return api.ComposeUpResponse(**response, missing_files=prepared.missing)
    contents, errors = read_files(prepared.paths, prepared.tracked_files(), prepared.private_files())
    response |= {"file_contents": contents, "remote_errors": errors}
    logs = prepared.logs
    run_dir = prepared.paths.run_dir
    base = prepared.base_args()
    wrapper = Wrapper(request.compose_cmd_wrapper, tuple(request.compose_cmd_wrapper_include))
    with docker_config(request.registry_auth) as auth_env:
        env = subprocess_env(config.docker_host, auth_env)
        if request.pre_deploy.strip():
            logs.append(await shell("Pre Deploy", request.pre_deploy, run_dir, env, DEPLOY_TIMEOUT))
            if not logs[-1].success:
                return api.ComposeUpResponse(**response)
        config_log, services = await read_config(prepared, env, wrapper)
        logs.append(config_log)
        if not config_log.success:
            return api.ComposeUpResponse(**response)
        response |= {"services": services, "merged_config": config_log.stdout}
        steps: list[tuple[str, list[str], Path, str]] = []
        if request.run_build:
            build = cargs.build_args(base, request.build_extra_args, request.services)
            steps.append(("Compose Build", build, run_dir, "build"))
        if request.auto_pull:
            steps.append(("Compose Pull", cargs.pull_args(base, request.services), run_dir, "pull"))
        if request.destroy_before_deploy:
            # By project only, like Komodo: what runs now goes, even services the files no longer declare.
            down = cargs.down_args(request.stack.project, request.stop_time, request.services)
            steps.append(("Compose Down", down, PROJECT_ONLY_DIR, "down"))
        up = cargs.up_args(base, request.extra_args, request.stop_time, request.services)
        steps.append(("Compose Up", up, run_dir, "up"))
        for stage, arguments, cwd, subcommand in steps:
            wrapped = wrapper if wrapper.wraps(subcommand) else None
            logs.append(await compose(stage, arguments, cwd, env, DEPLOY_TIMEOUT, wrapper=wrapped))
            if not logs[-1].success:
                return api.ComposeUpResponse(**response)
        response["deployed"] = True
        if request.post_deploy.strip():
            logs.append(await shell("Post Deploy", request.post_deploy, run_dir, env, DEPLOY_TIMEOUT))
    return api.ComposeUpResponse(**response)
