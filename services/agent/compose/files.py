"""Writing a stack's files (UI-defined compose files, the env file) and reading back what was deployed.

Every path given here is already resolved and checked by `paths.StackPaths`. Files are written by walking
down from the checked boundary with `O_NOFOLLOW` at every step, so a file or folder swapped for a symlink after
the check is not followed; files are read with `O_NOFOLLOW` too.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Final

from contracts.api.agent.compose import StackFiles
from contracts.entities.stack import FileContents
from contracts.entities.update import Log
from services.agent.compose.paths import StackPaths
from services.agent.oplog import now_ms

ENV_FILE_MODE: Final = 0o600
"""The env file holds secrets: only the agent's user reads it."""
FILE_MODE: Final = 0o644
"""Mode of new compose files."""


def write_file(path: Path, contents: str, mode: int | None, boundary: Path) -> None:
    """Write `contents` to `path` (creating its folders); `mode` is set even on a file that was there.

    `boundary` is the checked folder `path` was resolved inside: every folder from it down is opened without
    following symlinks, relative to the one above (`openat`), so a folder swapped for a symlink after the check
    makes the write fail (`ELOOP`/`ENOTDIR`) instead of landing outside.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    descriptor = _open_beneath(
        boundary, path.relative_to(boundary), flags, FILE_MODE if mode is None else mode
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        if mode is not None:
            os.fchmod(handle.fileno(), mode)
        handle.write(contents)


def _open_beneath(boundary: Path, relative: Path, flags: int, mode: int) -> int:
    """A descriptor of `boundary / relative` opened with `flags`, its folders walked (and made) one at a time
    without following a symlink."""
    folder_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    boundary.mkdir(parents=True, exist_ok=True)
    current = os.open(boundary, folder_flags)
    try:
        for part in relative.parts[:-1]:
            try:
                following = os.open(part, folder_flags, dir_fd=current)
            except FileNotFoundError:
                os.mkdir(part, 0o755, dir_fd=current)
                following = os.open(part, folder_flags, dir_fd=current)
            os.close(current)
            current = following
        return os.open(relative.parts[-1], flags, mode, dir_fd=current)
    finally:
        os.close(current)


def write_stack_files(paths: StackPaths, stack: StackFiles) -> Log | None:
    """Write the UI-defined files and the env file (mode 0600, when `environment` is given) as a "Write Files" Log.

    None when there is nothing to write. The Log names the files, never their contents.
    """
    planned: list[tuple[str, Path, str, int | None]] = [
        (file.path, paths.file(file.path), file.contents, None) for file in stack.files
    ]
    if stack.environment:
        planned.append(
            (stack.env_file_path, paths.file(stack.env_file_path), stack.environment, ENV_FILE_MODE)
        )
    if not planned:
        return None
    start = now_ms()
    written: list[str] = []
    for relative, path, contents, mode in planned:
        try:
            write_file(path, contents, mode, paths.boundary)
        except OSError as err:
            return Log(
                stage="Write Files",
                command="write " + ", ".join(item[0] for item in planned),
                stdout="\n".join(written),
                stderr=f"cannot write {relative}: {err.strerror or err}",
                success=False,
                start_ts=start,
                end_ts=now_ms(),
            )
        written.append(f"wrote {relative}" + (" (mode 0600)" if mode == ENV_FILE_MODE else ""))
    return Log(
        stage="Write Files",
        command="write " + ", ".join(item[0] for item in planned),
        stdout="\n".join(written),
        success=True,
        start_ts=start,
        end_ts=now_ms(),
    )


def fingerprint(contents: str) -> str:
    """What is reported of an env file the agent did not write: its digest, never its values."""
    digest = hashlib.sha256(contents.encode()).hexdigest()
    return f"# env file contents are not kept; sha256 {digest}\n"


def read_files(
    paths: StackPaths, relatives: list[str], private: frozenset[str] = frozenset()
) -> tuple[list[FileContents], list[FileContents]]:
    """The contents of each file (path relative to the run directory), and the files that could not be read.

    Files in `private` (env files the agent did not write, which hold secrets it was never told about) are
    reported by `fingerprint`: a change still shows, their values never leave the host.
    """
    contents: list[FileContents] = []
    errors: list[FileContents] = []
    for relative in dict.fromkeys(relatives):  # a path named twice is read once
        try:
            descriptor = os.open(paths.file(relative), os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(descriptor, encoding="utf-8") as handle:
                text = handle.read()
            contents.append(
                FileContents(path=relative, contents=fingerprint(text) if relative in private else text)
            )
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            errors.append(FileContents(path=relative, contents=f"cannot read {relative}: {reason}"))
    return contents, errors
