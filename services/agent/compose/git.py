"""Cloning or pulling a stack's repository with dulwich, as Komodo's "Clone Repo" / "Pull Repo" stages.

The token goes to dulwich's HTTP transport as credentials, never into the address: `.git/config` keeps the
token-free URL. Every text that reaches a Log (dulwich's progress and errors) has the token scrubbed first.
dulwich is blocking, so each operation runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import io
import shutil
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dulwich import porcelain
from dulwich.objectspec import parse_commit
from dulwich.refs import Ref
from dulwich.repo import Repo

from contracts.api.agent.compose import GitSource
from contracts.entities.update import Log
from services.agent.oplog import now_ms

REDACTED = "<redacted>"
"""What a token is replaced with in Logs."""


@dataclass(frozen=True)
class GitResult:
    """What a clone or pull did."""

    log: Log
    """The "Clone Repo" or "Pull Repo" Log."""
    commit_hash: str | None = None
    """The commit now checked out (None when it failed)."""
    commit_message: str | None = None
    """Its message's first line."""


def scrub(text: str, source: GitSource) -> str:
    """`text` without the token, in the forms a transport might write it (plain, URL-quoted, Basic auth)."""
    if not source.token:
        return text
    forms = {
        source.token,
        urllib.parse.quote(source.token, safe=""),
        base64.b64encode(f"{source.username}:{source.token}".encode()).decode(),
    }
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def _progress(raw: bytes) -> str:
    """dulwich's progress output with each `\\r`-rewritten line reduced to its last state."""
    lines = raw.decode(errors="replace").splitlines()
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines if line.strip())


def _credentials(source: GitSource) -> dict[str, Any]:
    if not source.token and not source.username:
        return {}
    # Forges take a token as the password of any user name; "oauth2" is what git itself suggests.
    return {"username": source.username or "oauth2", "password": source.token}


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


def _clone(folder: Path, source: GitSource, errors: io.BytesIO) -> tuple[str, str]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with porcelain.clone(
        source.url,
        str(folder),
        branch=source.branch,
        errstream=errors,
        **_credentials(source),
    ) as repo:
        if source.commit:
            _checkout(repo, source)
        return _head(repo)


def _pull(folder: Path, source: GitSource, errors: io.BytesIO) -> tuple[str, str]:
    with Repo(str(folder)) as repo:
        porcelain.fetch(repo, "origin", errstream=errors, outstream=io.StringIO(), **_credentials(source))
        if not source.commit and _ref(b"refs/remotes/origin/", source.branch) not in repo.refs:
            raise ValueError(f"branch {source.branch!r} is not in the repository")
        # Put HEAD on the branch first, so the reset moves the branch and not whatever was checked out.
        repo.refs.set_symbolic_ref(Ref(b"HEAD"), _ref(b"refs/heads/", source.branch))
        _checkout(repo, source)
        return _head(repo)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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
    try:
        commit_hash, message = await asyncio.to_thread(_pull if pull else _clone, folder, source, errors)
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
