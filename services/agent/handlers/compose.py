"""Requests about compose stacks: deploy, read and write their files, act on their services, read their logs.

Commands on a stack's files run in its run directory with `-p project -f file... --env-file env...`; commands
on a running project (start, stop, logs, ...) name the project only, as Komodo's periphery does, and compose
finds its containers by their labels.
"""

from __future__ import annotations

import shlex
from typing import Final, get_args

from contracts.api.agent import compose as api
from contracts.api.agent.compose_git import CommitComposeFile
from contracts.entities.stack import FileContents
from contracts.entities.update import Log
from services.agent.compose import args as cargs
from services.agent.compose.command import (
    COMMAND_TIMEOUT,
    DEPLOY_TIMEOUT,
    PROJECT_ONLY_DIR,
    compose,
    docker_config,
    run_process,
    subprocess_env,
)
from services.agent.compose.files import ENV_FILE_MODE, read_files, write_file
from services.agent.compose.git import commit_file
from services.agent.compose.paths import stack_paths
from services.agent.compose.stack import PreparedStack, prepare_stack
from services.agent.compose.up import compose_up, missing_files_log, read_config
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.log_search import line_matches, search_command
from services.agent.oplog import now_ms
from services.common.errors import BadRequest

MAX_SEARCH_LINES: Final = 5000
"""Matching lines a log search keeps per stream (the last ones)."""
VERB_STAGES: Final = {verb: f"Compose {verb.capitalize()}" for verb in get_args(api.ComposeVerb)}
"""The Log stage of each ComposeExecution command."""


async def up(ctx: AgentContext, request: api.ComposeUp) -> api.ComposeUpResponse:
    """Answer ComposeUp: the deploy pipeline of `services.agent.compose.up`."""
    return await compose_up(ctx.config, request)


def _failure(prepared: PreparedStack) -> Log:
    """The Log that ends a request whose files could not be put in place."""
    return next((log for log in prepared.logs if not log.success), prepared.logs[-1])


async def contents(ctx: AgentContext, request: api.GetComposeContents) -> api.ComposeContentsResponse:
    """Answer GetComposeContents: place the files (clone/pull a git stack), read them, and ask compose for the
    services. A failed clone is reported in `errors` under the repository's address."""
    prepared = await prepare_stack(ctx.config, request.stack)
    response = api.ComposeContentsResponse(
        commit_hash=prepared.commit_hash, commit_message=prepared.commit_message
    )
    if not prepared.ok:
        failed = _failure(prepared)
        source = request.stack.git.url if request.stack.git is not None else failed.stage
        return response.model_copy(update={"errors": [FileContents(path=source, contents=failed.stderr)]})
    missing = set(prepared.missing)
    tracked = [p for p in prepared.tracked_files() if p not in missing]
    found, errors = read_files(prepared.paths, tracked, prepared.private_files())
    response = response.model_copy(
        update={"contents": found, "errors": errors, "missing_files": prepared.missing}
    )
    if prepared.missing:
        return response
    log, services = await read_config(prepared, subprocess_env(ctx.config.docker_host))
    if not log.success:
        return response.model_copy(update={"config_error": log.stderr or log.stdout})
    return response.model_copy(update={"services": services})


async def write(ctx: AgentContext, request: api.WriteComposeFile) -> Log:
    """Answer WriteComposeFile: write one file under the run directory (its folders created) as a "Write File"
    Log; the stack's env file keeps mode 0600."""
    paths = stack_paths(request.stack, ctx.config.stack_dir, ctx.config.host_directories)
    target = paths.file(request.path)
    mode = ENV_FILE_MODE if target == paths.file(request.stack.env_file_path) else None
    start = now_ms()
    try:
        write_file(target, request.contents, mode, paths.boundary)
    except OSError as err:
        return Log(
            stage="Write File",
            command=f"write {request.path}",
            stderr=f"cannot write {target}: {err.strerror or err}",
            success=False,
            start_ts=start,
            end_ts=now_ms(),
        )
    return Log(
        stage="Write File",
        command=f"write {request.path}",
        stdout=f"wrote {len(request.contents.encode())} bytes to {target}",
        success=True,
        start_ts=start,
        end_ts=now_ms(),
    )


async def commit(ctx: AgentContext, request: CommitComposeFile) -> list[Log]:
    """Answer CommitComposeFile: pull the stack's clone, write the file, commit it and push it to the branch
    ("Pull Repo", "Write File", "Commit", "Push"; dulwich runs in worker threads)."""
    return await commit_file(request, ctx.config.stack_dir)


async def execution(ctx: AgentContext, request: api.ComposeExecution) -> Log:
    """Answer ComposeExecution: `compose <verb>` by project name; `pull` on the stack's files, with the
    registry credentials."""
    stage = VERB_STAGES[request.command]
    if request.command != "pull":
        arguments = cargs.execution_args(["-p", request.project], request)
        env = subprocess_env(ctx.config.docker_host)
        return await compose(stage, arguments, PROJECT_ONLY_DIR, env, COMMAND_TIMEOUT)
    if request.stack is None:
        raise BadRequest("ComposeExecution pull needs the stack's files: give `stack`")
    if request.stack.project != request.project:
        raise BadRequest(f"project {request.project!r} is not the stack's project {request.stack.project!r}")
    prepared = await prepare_stack(ctx.config, request.stack)
    if not prepared.ok:
        return _failure(prepared)
    if prepared.missing:
        return missing_files_log(prepared.missing)
    with docker_config(request.registry_auth) as auth_env:
        env = subprocess_env(ctx.config.docker_host, auth_env)
        arguments = cargs.execution_args(prepared.base_args(), request)
        log = await compose(stage, arguments, prepared.paths.run_dir, env, DEPLOY_TIMEOUT)
    return prepared.with_notes(log)


async def run(ctx: AgentContext, request: api.ComposeRun) -> Log:
    """Answer ComposeRun: `compose run --rm` of one service in the stack's run directory (values of `-e` are
    hidden in the Log's command)."""
    prepared = await prepare_stack(ctx.config, request.stack)
    if not prepared.ok:
        return _failure(prepared)
    if prepared.missing:
        return missing_files_log(prepared.missing)
    arguments = cargs.run_args(prepared.base_args(), request)
    with docker_config(request.registry_auth) as auth_env:
        env = subprocess_env(ctx.config.docker_host, auth_env)
        shown = cargs.shown(arguments, secret_env=True)
        log = await compose(
            "Compose Run", arguments, prepared.paths.run_dir, env, DEPLOY_TIMEOUT, shown=shown
        )
    return prepared.with_notes(log)


async def logs(ctx: AgentContext, request: api.GetComposeLog) -> Log:
    """Answer GetComposeLog: the last lines of each service's log (compose writes both streams to stdout)."""
    arguments = cargs.logs_args(request.project, request.services, request.tail, request.timestamps)
    env = subprocess_env(ctx.config.docker_host)
    return await compose("Get Stack Log", arguments, PROJECT_ONLY_DIR, env, COMMAND_TIMEOUT)


async def search(ctx: AgentContext, request: api.GetComposeLogSearch) -> Log:
    """Answer GetComposeLogSearch: the lines of the whole log that match, read as compose prints them (the last
    5000 per stream); the command is shown as the equivalent grep pipeline."""
    arguments = cargs.logs_args(request.project, request.services, None, request.timestamps)
    terms, combinator, invert = request.terms, request.combinator, request.invert
    # The grep part is the container log search's; only what feeds it differs.
    grep = search_command("-", terms, combinator, invert, request.timestamps).split(" | ", 1)[1]
    command = f"{shlex.join([*cargs.DOCKER_COMPOSE, *arguments])} 2>&1 | {grep}"

    def keep(line: str) -> bool:
        return line_matches(line, terms, combinator, invert)

    return await run_process(
        "Get Stack Log Search",
        [*cargs.DOCKER_COMPOSE, *arguments],
        command,
        PROJECT_ONLY_DIR,
        subprocess_env(ctx.config.docker_host),
        COMMAND_TIMEOUT,
        keep_line=keep,
        max_lines=MAX_SEARCH_LINES,
    )


def handlers(ctx: AgentContext) -> HandlerTable:
    """The compose requests and their handlers."""
    return {
        api.ComposeUp: bind(ctx, up),
        api.GetComposeContents: bind(ctx, contents),
        api.WriteComposeFile: bind(ctx, write),
        CommitComposeFile: bind(ctx, commit),
        api.ComposeExecution: bind(ctx, execution),
        api.ComposeRun: bind(ctx, run),
        api.GetComposeLog: bind(ctx, logs),
        api.GetComposeLogSearch: bind(ctx, search),
    }
