"""One file committed and pushed to a branch with dulwich, in a throwaway clone: WriteBuildFileContents of a
repo build (the builder; Komodo does it in core's repo folder) and a sync's CommitSync / WriteSyncFileContents.

The token (or SSH key) goes to dulwich's transport only (`services/common/git_transport.py`: never into the
address, `.git/config`, a Log or an error); a push the remote refuses (someone pushed in between) is a failed "Push" Log, nothing is forced.
dulwich is blocking, so the work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path

from dulwich import porcelain
from dulwich.refs import Ref

from contracts.api.agent.compose import GitSource
from contracts.api.agent.compose_git import DEFAULT_AUTHOR_EMAIL
from contracts.entities.update import Log
from services.common.git_transport import scrub, transport
from services.common.runs import now_ms

PUSH_TIMEOUT_SECONDS = 120.0
"""How long the clone, commit and push may take."""


class _Failed(Exception):
    """A stage that failed: its name and what went wrong (token scrubbed by the caller)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def _commit_and_push(
    source: GitSource, path: str, contents: str, message: str, identity: bytes, done: list[str], what: str
) -> None:
    """Append to `done` the stdout of each stage done (Clone Repo, Write <what>, Commit, Push); a `_Failed`
    for the first that fails."""
    ref = Ref(b"refs/heads/" + source.branch.encode())
    with tempfile.TemporaryDirectory(prefix="varanus-build-write-") as temporary, transport(source) as reach:
        folder = Path(temporary) / "repo"
        errors = io.BytesIO()
        try:
            repo = porcelain.clone(
                source.url,
                str(folder),
                branch=source.branch,
                depth=1,
                errstream=errors,
                **reach.options,
            )
        except Exception as err:
            raise _Failed("Clone Repo", f"could not clone {source.url} ({source.branch}): {err}") from None
        with repo:
            done.append(f"cloned {source.url} ({source.branch})")
            target = (folder / path).resolve()
            root = folder.resolve()
            if root not in target.parents or ".git" in target.relative_to(root).parts:
                raise _Failed(f"Write {what}", f"{path} resolves outside the repository's files")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(contents)
            done.append(f"File contents written to {path}")
            porcelain.add(repo, [str(target)])
            if not any(porcelain.status(repo).staged.values()):
                done.append(f"the {what} is as the branch holds it: nothing to commit")
                return
            commit_id = porcelain.commit(
                repo,
                message=message.encode(),
                author=identity,
                committer=identity,
                no_verify=True,
                sign=False,
            )
            done.append(f"committed {commit_id.decode()[:7]}: {message}")
            try:
                result = porcelain.push(
                    repo,
                    "origin",
                    refspecs=[ref + b":" + ref],
                    outstream=io.BytesIO(),
                    errstream=errors,
                    **reach.options,
                )
            except porcelain.DivergedBranches:
                raise _Failed(
                    "Push",
                    f"push rejected (non-fast-forward): branch {source.branch!r} of {source.url} moved since the "
                    f"clone; nothing was forced: write the {what} again",
                ) from None
            except Exception as err:
                raise _Failed("Push", f"could not push to {source.url} ({source.branch}): {err}") from None
            status = (result.ref_status or {}).get(bytes(ref))
            if status is not None:
                raise _Failed("Push", f"push rejected by {source.url}: branch {source.branch!r}: {status}")
            done.append(f"pushed {commit_id.decode()[:7]} to {source.branch} of {source.url}")


def stages(what: str) -> tuple[str, ...]:
    """The stages, in order, as Logs."""
    return ("Clone Repo", f"Write {what}", "Commit", "Push")


async def commit_dockerfile(source: GitSource, path: str, contents: str, author: str) -> list[Log]:
    """Commit `contents` as the Dockerfile `path` (see `commit_file`)."""
    return await commit_file(source, path, contents, author, "Dockerfile", f"{author}: Commit Dockerfile")


async def commit_file(
    source: GitSource, path: str, contents: str, author: str, what: str, message: str
) -> list[Log]:
    """Commit `contents` as `path` (from the repository's root) to `source.branch` with `message` and push it:
    a Log per stage done, the last failed when one failed."""
    start = now_ms()
    identity = f"{author} <{DEFAULT_AUTHOR_EMAIL}>".encode()
    done: list[str] = []
    failed: Log | None = None
    names = stages(what)
    try:
        await asyncio.wait_for(
            asyncio.to_thread(_commit_and_push, source, path, contents, message, identity, done, what),
            PUSH_TIMEOUT_SECONDS,
        )
    except _Failed as err:
        failed = Log(
            stage=err.stage, stderr=scrub(str(err), source), success=False, start_ts=start, end_ts=now_ms()
        )
    except TimeoutError:
        text = f"committing to {source.url} took longer than {PUSH_TIMEOUT_SECONDS:.0f} s"
        failed = Log(stage=names[len(done)], stderr=text, success=False, start_ts=start, end_ts=now_ms())
    logs = [
        Log(stage=stage, stdout=scrub(text, source), success=True, start_ts=start, end_ts=now_ms())
        for stage, text in zip(names, done, strict=False)
    ]
    return [*logs, failed] if failed is not None else logs
