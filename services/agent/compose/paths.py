"""Where a stack's files are: its folder under the stack root, its run directory, and the checks on both.

Request paths are relative and free of `..` (the contract checks that); what is left is symlinks. Every path is
resolved (`Path.resolve()`, following the symlinks that exist) and must stay inside its boundary: the stack's
folder for a stack the agent holds, the run directory for a stack whose files are on the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.api.agent.compose import StackFiles
from services.common.errors import BadRequest


def inside(path: Path, root: Path) -> bool:
    """Whether resolved `path` is `root` or below it (both already resolved)."""
    return path == root or root in path.parents


@dataclass(frozen=True)
class StackPaths:
    """The resolved folders of one stack."""

    folder: Path
    """`stack_dir / folder`: where a repository is cloned or UI-defined files are written."""
    run_dir: Path
    """Where compose runs; compose, env and config paths are relative to it."""
    boundary: Path
    """The folder no file may leave: the stack's folder, or the run directory for files on the host."""
    on_host: bool
    """Whether the files are on the host (`host_directory`) rather than in the stack's folder."""

    def file(self, relative: str) -> Path:
        """The resolved path of a file relative to the run directory; a `BadRequest` when it leaves the boundary."""
        resolved = (self.run_dir / relative).resolve()
        if not inside(resolved, self.boundary):
            raise BadRequest(
                f"file {relative!r} resolves to {resolved}, outside the stack folder {self.boundary}"
            )
        return resolved

    def check(self, relatives: list[str]) -> list[Path]:
        """`file()` of each path: every one is checked before any is used."""
        return [self.file(relative) for relative in relatives]


def stack_paths(stack: StackFiles, stack_dir: Path, host_directories: tuple[Path, ...]) -> StackPaths:
    """Resolve a stack's folder and run directory; a `BadRequest` names the path when one leaves where it may be.

    The stack root itself may be a symlink (resolved first). The run directory of a stack on the host must be
    inside the stack root or one of the folders the operator allowed (`host_directories`); a relative one is
    taken from the stack root (Komodo's `${stack_dir}/{run_directory}`).
    """
    root = stack_dir.resolve()
    folder = (root / stack.folder).resolve()
    if not inside(folder, root) or folder == root:
        raise BadRequest(f"stack folder {stack.folder!r} resolves to {folder}, outside the stack root {root}")
    if stack.host_directory:
        run_dir = Path(stack.host_directory).resolve()
        allowed = [root, *(Path(entry).resolve() for entry in host_directories)]
        if not any(inside(run_dir, place) for place in allowed):
            raise BadRequest(
                f"run directory {stack.host_directory!r} resolves to {run_dir}, which is not inside the stack "
                f"root or a folder this agent allows (VARANUS_AGENT_HOST_DIRECTORIES)"
            )
        return StackPaths(folder=folder, run_dir=run_dir, boundary=run_dir, on_host=True)
    if stack.files_on_host:
        run_dir = (root / stack.run_directory).resolve() if stack.run_directory else folder
        if not inside(run_dir, root) or run_dir == root:
            raise BadRequest(
                f"run directory {stack.run_directory!r} resolves to {run_dir}: files on the host with a "
                f"relative run directory must be in a folder below the stack root {root}"
            )
        return StackPaths(folder=folder, run_dir=run_dir, boundary=run_dir, on_host=True)
    run_dir = (folder / stack.run_directory).resolve() if stack.run_directory else folder
    if not inside(run_dir, folder):
        raise BadRequest(
            f"run directory {stack.run_directory!r} resolves to {run_dir}, outside the stack folder {folder}"
        )
    return StackPaths(folder=folder, run_dir=run_dir, boundary=folder, on_host=False)


def relative_to_run_dir(paths: StackPaths, path: Path) -> str:
    """How a resolved file is named in answers: relative to the run directory when it is below it."""
    return str(path.relative_to(paths.run_dir)) if inside(path, paths.run_dir) else str(path)
