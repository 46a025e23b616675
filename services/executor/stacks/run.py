"""Running a stack's compose on its agent: preparing the files and secrets, deploying, reading the latest files.

What DeployStack, DeployStackIfChanged, the lifecycle executions and RefreshStackCache share. Secrets are
redacted from whatever the registry keeps (deployed files, merged config, file errors).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from contracts.api.agent.compose import (
    ComposeContentsResponse,
    ComposeUp,
    ComposeUpResponse,
    GetComposeContents,
    StackFiles,
    check_wrapper,
)
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.server import Server
from contracts.entities.stack import FileContents, Stack
from contracts.entities.update import Log, Operation
from services.common import interpolation
from services.common.bus import RequestContext
from services.common.concurrent_reads import together
from services.common.errors import BadRequest, plain_reason
from services.common.interpolation import Interpolation
from services.executor.stacks.files import interpolated_fields, registry_auth, stack_files

if TYPE_CHECKING:
    from services.executor.app import Executor

DEPLOY_TIMEOUT_SECONDS = 900.0
"""Longest a compose deploy may take on the host (pulls and builds)."""
CONTENTS_TIMEOUT_SECONDS = 300.0
"""Longest reading a stack's files may take (a git pull)."""


def target_of(stack: Stack) -> ResourceTarget:
    """The stack as an Update target."""
    return ResourceTarget(type=ResourceTargetVariant.Stack, id=stack.id)


def operation_for(base: str, services: list[str]) -> Operation:
    """Komodo's operation: `<Verb>StackService` when exactly one service is named, else `<Verb>Stack`."""
    return Operation(f"{base}Service" if len(services) == 1 else base)


async def prepared(
    executor: Executor, ctx: RequestContext, name: str, level: PermissionLevel = PermissionLevel.Execute
) -> tuple[Stack, Server, Interpolation, StackFiles]:
    """The stack and its server (once the caller may act on it), its secrets, and its files interpolated."""
    # The variables are read while the stack, the permission and the server are (see `together`).
    (stack, server), values = await together(
        executor.registry.stack_on_server(ctx.caller, name, level),
        interpolation.load(executor.bus, executor.registry.system_headers(), executor.settings, False),
    )
    values = values.skipping(stack.config.skip_secret_interp)
    values.check(interpolated_fields(stack))
    try:
        check_wrapper(stack.config.compose_cmd_wrapper)
    except ValueError as err:
        raise BadRequest(f"stack {stack.name!r}: {plain_reason(err)}") from None
    return stack, server, values, await stack_files(executor, stack, values)


def redacted(values: Interpolation, files: list[FileContents]) -> list[FileContents]:
    """Files with every secret value replaced by its name."""
    return [FileContents(path=f.path, contents=values.redact(f.contents)) for f in files]


def redacted_tree(value: Any, values: Interpolation) -> Any:
    """A parsed JSON value with every secret removed from its strings (keys included)."""
    if isinstance(value, str):
        return values.redact(value)
    if isinstance(value, list):
        return [redacted_tree(item, values) for item in value]
    if isinstance(value, dict):
        return {values.redact(str(k)): redacted_tree(v, values) for k, v in value.items()}
    return value


def merged_yaml(config_json: str, values: Interpolation) -> str:
    """The merged compose config the registry keeps: YAML, as `docker compose config` prints it and Komodo
    keeps it, with secrets removed from each value before it is written (so no quoting can hide one)."""
    try:
        parsed = json.loads(config_json)
    except ValueError:
        return values.redact(config_json)
    return yaml.safe_dump(
        redacted_tree(parsed, values), sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def compose_request(**fields: Any) -> ComposeUp:
    """The ComposeUp request; a 400 saying which field the agent would refuse (the wrapper, a service name)."""
    try:
        return ComposeUp(**fields)
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise BadRequest(problems) from None


async def compose_up(
    executor: Executor,
    stack: Stack,
    server: Server,
    values: Interpolation,
    files: StackFiles,
    services: list[str],
    stop_time: int | None,
) -> tuple[list[Log], bool]:
    """Run ComposeUp and record what was deployed; the Logs and whether it deployed."""
    config = stack.config
    request = compose_request(
        stack=files,
        services=services,
        registry_auth=await registry_auth(executor, stack),
        pre_deploy=values.apply(config.pre_deploy.command),
        post_deploy=values.apply(config.post_deploy.command),
        auto_pull=config.auto_pull,
        run_build=config.run_build,
        build_extra_args=values.apply_all(list(config.build_extra_args)),
        destroy_before_deploy=config.destroy_before_deploy,
        extra_args=values.apply_all(list(config.extra_args)),
        stop_time=stop_time,
        compose_cmd_wrapper=values.apply(config.compose_cmd_wrapper),
        compose_cmd_wrapper_include=list(config.compose_cmd_wrapper_include),
    )
    answer: ComposeUpResponse = await executor.agents.ask(server, request, timeout=DEPLOY_TIMEOUT_SECONDS)
    info: dict[str, Any] = {
        "missing_files": answer.missing_files,
        "remote_errors": [e.model_dump(mode="json") for e in redacted(values, answer.remote_errors)],
    }
    if answer.services:
        info["latest_services"] = [s.model_dump(mode="json") for s in answer.services]
    if answer.deployed:
        info.update(
            deployed_project_name=files.project,
            deployed_hash=answer.commit_hash,
            deployed_message=answer.commit_message,
            deployed_contents=[f.model_dump(mode="json") for f in redacted(values, answer.file_contents)],
            deployed_services=[s.model_dump(mode="json") for s in answer.services],
            deployed_config=merged_yaml(answer.merged_config, values) if answer.merged_config else None,
        )
    await executor.registry.set_info(target_of(stack), info)
    return answer.logs, answer.deployed


async def latest_contents(
    executor: Executor, server: Server, values: Interpolation, files: StackFiles
) -> ComposeContentsResponse:
    """The stack's files as they are now (pulled, for a git stack), redacted; a UI-defined stack's from its config."""
    answer: ComposeContentsResponse = await executor.agents.ask(
        server, GetComposeContents(stack=files), timeout=CONTENTS_TIMEOUT_SECONDS
    )
    contents = {f.path: f.contents for f in answer.contents}
    for file in files.files:
        contents[file.path] = file.contents
    if files.files:
        if files.environment:
            contents[files.env_file_path] = files.environment
        else:
            contents.pop(files.env_file_path, None)
    missing = [path for path in answer.missing_files if path not in {f.path for f in files.files}]
    return answer.model_copy(
        update={
            "contents": redacted(values, [FileContents(path=p, contents=c) for p, c in contents.items()]),
            "missing_files": missing,
        }
    )
