"""What every compose request on a stack's files does first: place the files and find what compose gets.

`prepare_stack` resolves the folders (a `BadRequest` when they leave where they may be), checks every file path
before anything is written, clones or pulls a git stack (then checks again: the repository's symlinks exist only
now), writes the UI-defined files and the env file, and lists the env files that exist and the compose files
that do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.api.agent.compose import StackFiles
from contracts.entities.update import Log
from services.agent.compose.args import project_args
from services.agent.compose.files import write_stack_files
from services.agent.compose.git import sync_repo
from services.agent.compose.paths import StackPaths, stack_paths
from services.agent.oplog import now_ms
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest


@dataclass
class PreparedStack:
    """A stack whose files are in place (or the Logs of why not)."""

    stack: StackFiles
    """The request's stack."""
    paths: StackPaths
    """Its resolved folders."""
    logs: list[Log] = field(default_factory=list)
    """Clone/pull, write and check Logs, in order."""
    env_files: list[str] = field(default_factory=list)
    """The env files given to compose (`--env-file` each), relative to the run directory."""
    notes: list[str] = field(default_factory=list)
    """What compose's first Log should mention (additional env files that are missing)."""
    missing: list[str] = field(default_factory=list)
    """Compose files that are not there."""
    commit_hash: str | None = None
    """The commit checked out, for a git stack."""
    commit_message: str | None = None
    """Its message."""

    @property
    def ok(self) -> bool:
        """Whether every stage so far succeeded."""
        return all(log.success for log in self.logs)

    def tracked_files(self) -> list[str]:
        """The compose, env, additional env and config files, as their contents are reported."""
        env = [self.stack.env_file_path] if self.stack.environment else []
        return [*self.stack.file_paths, *env, *self.stack.additional_env_files, *self.stack.config_files]

    def private_files(self) -> frozenset[str]:
        """The tracked env files the agent did not write (`additional_env_files`): reported by digest only."""
        written = {self.stack.env_file_path} if self.stack.environment else set()
        return frozenset(self.stack.additional_env_files) - written

    def base_args(self) -> list[str]:
        """`-p project -f file... --env-file env...`."""
        return project_args(self.stack.project, self.stack.file_paths, self.env_files)

    def with_notes(self, log: Log) -> Log:
        """`log` with the notes put before its stderr."""
        if not self.notes:
            return log
        stderr = "\n".join([*self.notes, log.stderr] if log.stderr else self.notes)
        return log.model_copy(update={"stderr": stderr})


def _all_paths(stack: StackFiles) -> list[str]:
    return [
        *stack.file_paths,
        stack.env_file_path,
        *stack.additional_env_files,
        *stack.config_files,
        *(file.path for file in stack.files),
    ]


def _failed(stage: str, message: str) -> Log:
    now = now_ms()
    return Log(stage=stage, command="", stderr=message, success=False, start_ts=now, end_ts=now)


async def prepare_stack(config: AgentConfig, stack: StackFiles) -> PreparedStack:
    """Put the stack's files in place; see the module. Stops at the first failed Log."""
    if not stack.file_paths:
        # Without `-f` compose would look for a file in every parent folder too; Komodo's default instead.
        stack = stack.model_copy(update={"file_paths": ["compose.yaml"]})
    if stack.git is not None and stack.host_directory:
        raise BadRequest("a stack is either cloned from git or has its files on the host, not both")
    paths = stack_paths(stack, config.stack_dir, config.host_directories)
    paths.check(_all_paths(stack))
    prepared = PreparedStack(stack=stack, paths=paths)
    if stack.git is not None:
        result = await sync_repo(paths.folder, stack.git)
        prepared.logs.append(result.log)
        prepared.commit_hash, prepared.commit_message = result.commit_hash, result.commit_message
        if not result.log.success:
            return prepared
        try:
            # The clone may hold symlinks: the run directory and every file are checked again.
            prepared.paths = paths = stack_paths(stack, config.stack_dir, config.host_directories)
            paths.check(_all_paths(stack))
        except BadRequest as err:
            prepared.logs.append(_failed("Validate Files", err.message))
            return prepared
    try:
        paths.run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        prepared.logs.append(_failed("Write Files", f"cannot create {paths.run_dir}: {err.strerror or err}"))
        return prepared
    written = write_stack_files(paths, stack)
    if written is not None:
        prepared.logs.append(written)
        if not written.success:
            return prepared
    if stack.environment:
        prepared.env_files.append(stack.env_file_path)
    for extra in stack.additional_env_files:
        if paths.file(extra).is_file():
            prepared.env_files.append(extra)
        else:
            prepared.notes.append(f"additional env file {extra} is missing; it is not used")
    prepared.missing = [path for path in stack.file_paths if not paths.file(path).is_file()]
    return prepared
