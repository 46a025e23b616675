"""Cloning or pulling a stack's repository with dulwich, as Komodo's "Clone Repo" / "Pull Repo" stages, and
committing an edited file back to it ("Write File", "Commit", "Push").

The token goes to dulwich's HTTP transport as credentials, never into the address: `.git/config` keeps the
token-free URL. Every text that reaches a Log (dulwich's progress and errors) has the token scrubbed first.
dulwich is blocking, so each operation runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dulwich import porcelain
from dulwich.index import IndexEntry
from dulwich.object_store import tree_lookup_path
from dulwich.objectspec import parse_commit
from dulwich.refs import Ref
from dulwich.repo import Repo

from contracts.api.agent.compose import GitSource, StackFiles
from contracts.api.agent.compose_git import CommitComposeFile
from contracts.entities.update import Log
from services.agent.compose.files import write_file
from services.agent.compose.paths import StackPaths, stack_paths
from services.agent.oplog import now_ms
from services.common.errors import BadRequest
from services.common.git_transport import scrub, transport


@dataclass(frozen=True)
class GitResult:
    """What a clone or pull did."""

    log: Log
    """The "Clone Repo" or "Pull Repo" Log."""
    commit_hash: str | None = None
    """The commit now checked out (None when it failed)."""
    commit_message: str | None = None
    """Its message's first line."""


def _progress(raw: bytes) -> str:
    """dulwich's progress output with each `\\r`-rewritten line reduced to its last state."""
    lines = raw.decode(errors="replace").splitlines()
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines if line.strip())


def _head(repo: Repo) -> tuple[str, str]:
    commit: Any = repo[repo.head()]
    message = commit.message.decode(errors="replace").strip().splitlines()
    return repo.head().decode(), message[0] if message else ""


def _ref(prefix: bytes, branch: str) -> Ref:
    return Ref(prefix + branch.encode())


def _checkout(repo: Repo, source: GitSource) -> None:
    """Hard reset to the pinned commit, or to the fetched head of the branch (moving the local branch)."""
    if source.commit:
        target = parse_commit(repo, source.commit.encode()).id
    else:
        target = repo.refs[_ref(b"refs/remotes/origin/", source.branch)]
    porcelain.reset(repo, "hard", target)


def _is_clone(folder: Path, source: GitSource) -> bool:
    """Whether `folder` is already a clone of the source's address (a clone of another one is cloned anew)."""
    if not (folder / ".git").is_dir():
        return False
    try:
        with Repo(str(folder)) as repo:
            url = repo.get_config().get((b"remote", b"origin"), b"url")
    except Exception:  # a broken clone is cloned again
        return False
    return bool(url.decode(errors="replace") == source.url)


def _clone(folder: Path, source: GitSource, errors: io.BytesIO, options: dict[str, Any]) -> tuple[str, str]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with porcelain.clone(
        source.url,
        str(folder),
        branch=source.branch,
        errstream=errors,
        **options,
    ) as repo:
        if source.commit:
            _checkout(repo, source)
        return _head(repo)


def _pull(folder: Path, source: GitSource, errors: io.BytesIO, options: dict[str, Any]) -> tuple[str, str]:
    with Repo(str(folder)) as repo:
        porcelain.fetch(repo, "origin", errstream=errors, outstream=io.StringIO(), **options)
        if not source.commit and _ref(b"refs/remotes/origin/", source.branch) not in repo.refs:
            raise ValueError(f"branch {source.branch!r} is not in the repository")
        # Put HEAD on the branch first, so the reset moves the branch and not whatever was checked out.
        repo.refs.set_symbolic_ref(Ref(b"HEAD"), _ref(b"refs/heads/", source.branch))
        _checkout(repo, source)
        return _head(repo)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _sync(folder: Path, source: GitSource, errors: io.BytesIO, pull: bool) -> tuple[str, str, str]:
    """Clone or pull with the source's transport; the commit, its message and a host key accepted unpinned."""
    with transport(source) as reach:
        commit_hash, message = (_pull if pull else _clone)(folder, source, errors, reach.options)
        return commit_hash, message, reach.accepted_host_key()


async def sync_repo(folder: Path, source: GitSource) -> GitResult:
    """Clone `source` into `folder`, or, when it already is a clone of it, fetch and hard reset to the branch
    head (or the pinned commit). `reclone` deletes the folder and clones again. Never raises: a failure is a
    failed Log with the token scrubbed from it.
    """
    pull = not source.reclone and _is_clone(folder, source)
    stage = "Pull Repo" if pull else "Clone Repo"
    target = source.commit or source.branch
    command = f"git {'pull' if pull else 'clone'} {source.url} ({target})"
    errors = io.BytesIO()
    start = now_ms()
    transfer = asyncio.ensure_future(asyncio.to_thread(_sync, folder, source, errors, pull))
    try:
        commit_hash, message, accepted = await asyncio.shield(transfer)
    except asyncio.CancelledError:
        # A thread cannot be stopped: the cancel takes effect once it has ended, so that whoever cancelled
        # finds the folder no longer written to (and may remove it).
        with contextlib.suppress(Exception):
            await transfer
        raise
    except Exception as err:  # dulwich raises many kinds; each is the stage's failure
        return GitResult(
            log=Log(
                stage=stage,
                command=command,
                stdout=scrub(_progress(errors.getvalue()), source),
                stderr=scrub(_describe(err), source),
                success=False,
                start_ts=start,
                end_ts=now_ms(),
            )
        )
    progress = scrub(_progress(errors.getvalue()), source)
    summary = f"{'pulled' if pull else 'cloned'} {source.url} at {commit_hash}: {message}"
    if accepted:
        summary += (
            f"\nthe server's host key is not pinned (set ssh_known_hosts on the git account to pin it); "
            f"accepted for this transfer: {accepted}"
        )
    return GitResult(
        log=Log(
            stage=stage,
            command=command,
            stdout="\n".join(part for part in (progress, summary) if part),
            success=True,
            start_ts=start,
            end_ts=now_ms(),
        ),
        commit_hash=commit_hash,
        commit_message=message,
    )


# --- committing an edited file ------------------------------------------------------------------------------


class Refused(Exception):
    """A commit or push that cannot be done (the file is ignored, the remote refused the push); the message
    says why."""


def _scrubbed(log: Log, source: GitSource) -> Log:
    """`log` with the token removed from its command, stdout and stderr."""
    return log.model_copy(
        update={
            "command": scrub(log.command, source),
            "stdout": scrub(log.stdout, source),
            "stderr": scrub(log.stderr, source),
        }
    )


def _clone_file(stack: StackFiles, stack_dir: Path, relative: str) -> tuple[StackPaths, Path]:
    """The stack's folders and the resolved file to commit; a `BadRequest` when the file leaves the clone or
    lies in a `.git` folder (git's own files, hooks included, are never written)."""
    paths = stack_paths(stack, stack_dir, ())
    target = paths.file(relative)
    inner = target.relative_to(paths.folder).parts if target != paths.folder else ()
    if not inner:
        raise BadRequest(f"file {relative!r} is the stack folder itself, not a file in it")
    if any(part.lower() == ".git" for part in inner):
        raise BadRequest(f"file {relative!r} resolves to {target}, inside the repository's .git folder")
    return paths, target


def _log(stage: str, command: str, stdout: str, start: int) -> Log:
    return Log(stage=stage, command=command, stdout=stdout, success=True, start_ts=start, end_ts=now_ms())


def _failed_log(stage: str, command: str, message: str, start: int, stdout: str = "") -> Log:
    return Log(
        stage=stage,
        command=command,
        stdout=stdout,
        stderr=message,
        success=False,
        start_ts=start,
        end_ts=now_ms(),
    )


def _unchanged(repo: Repo, relative: bytes) -> bool:
    """Whether the staged file is what the checked-out commit already holds."""
    index = repo.open_index()
    if relative not in index:
        return False
    head: Any = repo[repo.head()]
    try:
        _mode, sha = tree_lookup_path(repo.__getitem__, head.tree, relative)
    except KeyError:
        return False
    entry = index[relative]
    return isinstance(entry, IndexEntry) and entry.sha == sha


def _commit(folder: Path, relative: str, message: str, identity: bytes) -> tuple[str, str] | None:
    """Stage `relative` (a path inside `folder`) and commit it; the new commit's hash and first line, or None
    when the file is as the branch already holds it. Hooks are not run and the commit is not signed, whatever
    the host's git config says."""
    with Repo(str(folder)) as repo:
        added, _ignored = porcelain.add(repo, [str(folder / relative)])
        if relative not in added:
            raise Refused(
                f"{relative} is ignored by the repository (.gitignore): it was written in the stack's clone "
                "but cannot be committed"
            )
        if _unchanged(repo, relative.encode()):
            return None
        commit_id = porcelain.commit(
            repo,
            message=message.encode(),
            author=identity,
            committer=identity,
            no_verify=True,
            sign=False,
        )
        return commit_id.decode(), message.strip().splitlines()[0]


def _push(folder: Path, source: GitSource, errors: io.BytesIO) -> None:
    """Push the local branch to the same branch of `origin` (never forced); a `Refused` when the remote
    branch moved since the pull or the remote refused the update."""
    ref = _ref(b"refs/heads/", source.branch)
    with Repo(str(folder)) as repo, transport(source) as reach:
        try:
            result = porcelain.push(
                repo,
                "origin",
                refspecs=[ref + b":" + ref],
                outstream=io.BytesIO(),
                errstream=errors,
                **reach.options,
            )
        except porcelain.DivergedBranches as err:
            remote = err.current_sha.decode(errors="replace") if err.current_sha else "?"
            raise Refused(
                f"push rejected (non-fast-forward): branch {source.branch!r} of {source.url} is now at {remote}, "
                "a commit this clone does not have — someone pushed in between. Nothing was forced: the commit "
                "stays only in the stack's clone (the next pull replaces it); write the file again to commit "
                "it on top of the new head"
            ) from None
    status = (result.ref_status or {}).get(bytes(ref))
    if status is not None:
        raise Refused(
            f"push rejected by {source.url}: branch {source.branch!r} was not updated: {status}. Nothing was "
            "forced: the commit stays only in the stack's clone (the next pull replaces it)"
        )


async def commit_file(request: CommitComposeFile, stack_dir: Path) -> list[Log]:
    """Write, commit and push one file of a git stack (see `CommitComposeFile`). Bad input (no repository, a
    pinned commit, a path that leaves the clone) is a `BadRequest` before anything is touched; after that
    every failure is the failed Log of its stage and ends the list. No Log holds the token."""
    stack, source = request.stack, request.stack.git
    if source is None or stack.host_directory:
        raise BadRequest("only a stack cloned from git can have a file committed")
    if source.commit:
        raise BadRequest(
            f"the stack pins commit {source.commit}: nothing can be pushed from a detached commit; "
            f"clear `commit` to commit to branch {source.branch!r}"
        )
    folder = _clone_file(stack, stack_dir, request.path)[0].folder  # a path leaving the clone: refused now
    synced = await sync_repo(folder, source)
    logs = [synced.log]

    def done(*more: Log) -> list[Log]:
        return [_scrubbed(log, source) for log in [*logs, *more]]

    if not synced.log.success:
        return done()

    start = now_ms()
    command = f"write {request.path}"
    try:
        # The clone may hold symlinks: the path is resolved again now that they exist.
        paths, target = _clone_file(stack, stack_dir, request.path)
        await asyncio.to_thread(write_file, target, request.contents, None, paths.boundary)
    except BadRequest as err:
        return done(_failed_log("Write File", command, err.message, start))
    except OSError as err:
        return done(
            _failed_log("Write File", command, f"cannot write {request.path}: {err.strerror or err}", start)
        )
    relative = target.relative_to(paths.folder).as_posix()
    size = len(request.contents.encode())
    logs.append(
        _log("Write File", command, f"wrote {size} bytes to {relative} in the clone of {source.url}", start)
    )

    start = now_ms()
    identity = f"{request.author_name} <{request.author_email}>"
    command = shlex.join(["git", "commit", "--author", identity, "-m", request.message, "--", relative])
    try:
        committed = await asyncio.to_thread(
            _commit, paths.folder, relative, request.message, identity.encode()
        )
    except Refused as err:
        return done(_failed_log("Commit", command, str(err), start))
    except Exception as err:  # dulwich raises many kinds; each is the stage's failure
        return done(_failed_log("Commit", command, _describe(err), start))
    if committed is None:
        note = f"nothing to commit: {relative} already holds these contents on {source.branch}"
        return done(_log("Commit", command, note, start))
    commit_hash, first_line = committed
    logs.append(_log("Commit", command, f"{commit_hash}: {first_line}", start))

    start = now_ms()
    command = f"git push {source.url} {source.branch}"
    errors = io.BytesIO()
    try:
        await asyncio.to_thread(_push, paths.folder, source, errors)
    except Refused as err:
        # dulwich says "Push to ... successful." once the pack is sent, even when a ref was then refused.
        progress = "\n".join(
            line for line in _progress(errors.getvalue()).splitlines() if not line.endswith(" successful.")
        )
        return done(_failed_log("Push", command, str(err), start, progress))
    except Exception as err:  # dulwich raises many kinds; each is the stage's failure
        return done(_failed_log("Push", command, _describe(err), start, _progress(errors.getvalue())))
    summary = f"pushed {commit_hash} to {source.branch} of {source.url}: {first_line}"
    progress = _progress(errors.getvalue())
    return done(_log("Push", command, "\n".join(part for part in (progress, summary) if part), start))
