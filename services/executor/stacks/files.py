"""A Stack's files as the agent gets them: written from the config, on the host, or from a git repository.

Komodo's three modes (§11.2). UI-defined: `file_contents` (interpolated) is written to the first of
`file_paths` (`compose.yaml`) in the stack's folder. Files on host: `run_directory` (absolute: a folder the
agent allows; relative: below the agent's stack root, as Komodo's `${stack_dir}/{run_directory}`) and
`file_paths`. Git: `repo`/`branch`/`commit` (or a
`linked_repo`'s) cloned into the stack's folder with the token of `git_account`, looked up as Komodo does (the
stored account, then the config file's `[[git_provider]]`). `environment` (interpolated) becomes the env file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.compose import GitSource, StackFiles
from contracts.api.agent.container import RegistryAuth
from contracts.entities.stack import FileContents, Stack, project_name, stack_folder
from services.common.errors import BadRequest, plain_reason
from services.common.git_sources import git_source as shared_git_source
from services.common.interpolation import Interpolation

if TYPE_CHECKING:
    from services.executor.app import Executor

DEFAULT_COMPOSE_FILE = "compose.yaml"
"""The compose file when `file_paths` is empty."""


def interpolated_fields(stack: Stack) -> list[str]:
    """The stack fields Komodo interpolates (`[[COMPOSE_COMMAND]]` in the wrapper is no variable)."""
    config = stack.config
    return [
        config.file_contents,
        config.environment,
        config.pre_deploy.command,
        config.post_deploy.command,
        config.compose_cmd_wrapper,
        *config.extra_args,
        *config.build_extra_args,
    ]


async def git_source(executor: Executor, stack: Stack) -> GitSource | None:
    """The repository a stack clones (its own, or its `linked_repo`'s), with the account's token; None without."""
    config = stack.config
    return await shared_git_source(
        executor.registry,
        executor.settings,
        config,
        f"stack {stack.name!r}",
        linked_repo=config.linked_repo,
        reclone=config.reclone,
    )


async def stack_files(executor: Executor, stack: Stack, values: Interpolation) -> StackFiles:
    """The StackFiles of a stack, interpolated; a 400 saying what in the config cannot be used."""
    config = stack.config
    file_paths = list(config.file_paths) or [DEFAULT_COMPOSE_FILE]
    run_directory, host_directory = config.run_directory.strip(), ""
    if run_directory.startswith("/"):
        if not config.files_on_host:
            raise BadRequest(
                f"run_directory {run_directory!r}: absolute paths are for files on the host only"
            )
        host_directory, run_directory = run_directory, ""
    git = None if config.files_on_host else await git_source(executor, stack)
    files: list[FileContents] = []
    if not config.files_on_host and git is None:
        if not config.file_contents.strip():
            raise BadRequest(
                f"stack {stack.name!r} has no compose file: set file_contents, a repo, or files_on_host"
            )
        files = [FileContents(path=file_paths[0], contents=values.apply(config.file_contents))]
    try:
        return StackFiles(
            folder=stack_folder(stack.name),
            project=project_name(stack.name, config.project_name),
            run_directory=run_directory,
            files_on_host=config.files_on_host,
            host_directory=host_directory,
            file_paths=file_paths,
            files=files,
            git=git,
            env_file_path=config.env_file_path or ".env",
            environment=values.apply(config.environment),
            additional_env_files=[f.path for f in config.additional_env_files],
            config_files=[f.path for f in config.config_files],
        )
    except ValueError as err:
        raise BadRequest(f"stack {stack.name!r}: {values.redact(plain_reason(err))}") from None


async def registry_auth(executor: Executor, stack: Stack) -> RegistryAuth | None:
    """Credentials for the stack's private images (`registry_provider` + `registry_account`), if set."""
    config = stack.config
    return await executor.registry.registry_auth(
        config.registry_provider or "docker.io", config.registry_account, "registry_account"
    )
