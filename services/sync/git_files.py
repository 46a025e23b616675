"""A sync's TOML files from its git repository (`repo`/`branch`/`commit`/`git_account`, or its `linked_repo`).

dulwich fetches the branch into a throwaway bare repository in a worker thread (depth 1 unless a commit is
pinned) with the source's transport (`services/common/git_transport.py`: the token as HTTP credentials, never in
an address, and never written to disk); the files are read from the commit's tree, nothing is checked out, and
every error text has the token scrubbed. A `resource_path` is a file or a folder (every `.toml` below it) inside
the repository; a path that would leave it is refused.
"""

from __future__ import annotations

import asyncio
import posixpath
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from dulwich.client import get_transport_and_path
from dulwich.errors import NotTreeError
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from contracts.api.agent.compose import GitSource
from services.common.git_transport import scrub, transport
from services.sync.toml_files import SourceFile, SyncFileError

FETCH_TIMEOUT_SECONDS = 60.0
"""How long reading the repository may take."""


@dataclass
class GitFiles:
    """The files read and the commit they came from."""

    files: list[SourceFile]
    hash: str
    message: str


def _clean(relative: str) -> str:
    text = relative.strip()
    path = posixpath.normpath(text or ".")
    if text.startswith("/") or path == ".." or path.startswith("../"):
        raise SyncFileError(f"resource_path {relative!r} leads outside the repository")
    return path


def _tomls(repo: Repo, tree: Tree, prefix: str) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for entry in tree.iteritems():
        name = entry.path.decode(errors="replace")
        path = f"{prefix}/{name}" if prefix and prefix != "." else name
        item = repo[entry.sha]
        if isinstance(item, Tree):
            found.extend(_tomls(repo, item, path))
        elif isinstance(item, Blob) and name.endswith(".toml"):
            found.append((path, item.data))
    return sorted(found)


def _read(source: GitSource, resource_paths: list[str]) -> GitFiles:
    ref = Ref(b"refs/heads/" + source.branch.encode())
    with tempfile.TemporaryDirectory(prefix="varanus-sync-git-") as folder, transport(source) as reach:
        repo = Repo.init_bare(folder)
        try:
            client, path = get_transport_and_path(source.url, **reach.options)

            def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
                return [refs[ref]] if ref in refs else []

            result = client.fetch(path, repo, determine_wants=wants, depth=None if source.commit else 1)
            head = result.refs.get(ref)
            if head is None:
                raise SyncFileError(f"the branch {source.branch!r} does not exist in {source.url}")
            wanted = source.commit.encode() if source.commit else head
            try:
                commit = repo[wanted]
            except KeyError:
                raise SyncFileError(f"commit {source.commit!r} is not on branch {source.branch!r}") from None
            assert isinstance(commit, Commit)
            files: list[SourceFile] = []
            for relative in resource_paths:
                clean = _clean(relative)
                if clean == ".":
                    root = repo[commit.tree]
                else:
                    try:
                        _, object_id = tree_lookup_path(repo.__getitem__, commit.tree, clean.encode())
                    except (KeyError, NotTreeError):
                        raise SyncFileError(
                            f"resource_path {relative!r}: no such file or folder in the repository"
                        ) from None
                    root = repo[object_id]
                if isinstance(root, Blob):
                    found = [(clean, root.data)]
                elif isinstance(root, Tree):
                    found = _tomls(repo, root, clean)
                else:
                    raise SyncFileError(f"resource_path {relative!r} is neither a file nor a folder")
                for name, data in found:
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError:
                        raise SyncFileError(f"{name}: not UTF-8 text") from None
                    files.append(SourceFile(path=name, contents=text, resource_path=relative))
            message = commit.message.decode(errors="replace").strip()
            return GitFiles(files, commit.id.decode(), message)
        finally:
            repo.close()


async def git_files(source: GitSource, resource_paths: list[str]) -> GitFiles:
    """The `.toml` files of the resource paths at the branch's head (or the pinned commit); a SyncFileError
    saying why they could not be read (token scrubbed)."""
    if not resource_paths:
        raise SyncFileError("resource_path is empty: give the files or folders of the repository to read")
    try:
        return await asyncio.wait_for(asyncio.to_thread(_read, source, resource_paths), FETCH_TIMEOUT_SECONDS)
    except SyncFileError:
        raise
    except TimeoutError:
        raise SyncFileError(f"reading {source.url} took longer than {FETCH_TIMEOUT_SECONDS:.0f} s") from None
    except Exception as err:  # dulwich raises many kinds; each means the repository could not be read
        reason = scrub(str(err) or type(err).__name__, source)
        raise SyncFileError(f"could not read {source.url} ({source.branch}): {reason}") from None
