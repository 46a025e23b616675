"""The latest commit of a repo's branch on its git provider, read by the builder itself (Komodo's
RefreshRepoCache reads the remote, not a server's checkout).

dulwich fetches the branch's head (depth 1) into a throwaway bare repository with the source's transport
(`services/common/git_transport.py`: the token as HTTP credentials, or an SSH key file that lives only for the
fetch), never in the address, and every error text has them scrubbed before it is raised.
dulwich is blocking, so the fetch runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping

from dulwich.client import get_transport_and_path
from dulwich.errors import NotTreeError
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from contracts.api.agent.compose import GitSource
from services.common.errors import BadRequest
from services.common.git_transport import scrub, transport

FETCH_TIMEOUT_SECONDS = 60.0
"""How long reading the remote may take."""


def _latest(source: GitSource) -> tuple[str, str]:
    head, message, _ = _head(source, None)
    return head, message


def _head(source: GitSource, file: str | None) -> tuple[str, str, bytes | None]:
    ref = Ref(b"refs/heads/" + source.branch.encode())
    with tempfile.TemporaryDirectory(prefix="varanus-remote-") as folder, transport(source) as reach:
        repo = Repo.init_bare(folder)
        try:
            client, path = get_transport_and_path(source.url, **reach.options)

            def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
                return [refs[ref]] if ref in refs else []

            result = client.fetch(path, repo, determine_wants=wants, depth=1)
            head = result.refs.get(ref)
            if head is None:
                raise LookupError(f"the branch {source.branch!r} does not exist on the remote")
            commit = repo[head]
            assert isinstance(commit, Commit)
            contents = None
            if file is not None:
                try:
                    _, blob_id = tree_lookup_path(repo.__getitem__, commit.tree, file.encode())
                    blob = repo[blob_id]
                    contents = blob.data if isinstance(blob, Blob) else None
                except (KeyError, NotTreeError):
                    contents = None
            return head.decode(), commit.message.decode(errors="replace").strip(), contents
        finally:
            repo.close()


async def latest_commit(source: GitSource) -> tuple[str, str]:
    """The hash and message of the head of `source.branch`; a 400 saying why the remote could not be read."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_latest, source), FETCH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise BadRequest(f"reading {source.url} took longer than {FETCH_TIMEOUT_SECONDS:.0f} s") from None
    except Exception as err:  # dulwich raises many kinds; each means the remote could not be read
        reason = scrub(str(err) or type(err).__name__, source)
        raise BadRequest(f"could not read {source.url} ({source.branch}): {reason}") from None


async def head_file(source: GitSource, file: str) -> tuple[str, str, bytes | None]:
    """The hash and message of the head of `source.branch` and the contents of `file` (relative to the
    repository's root) in its tree, None when it is not a file there; a 400 saying why the remote could not be
    read."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_head, source, file), FETCH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise BadRequest(f"reading {source.url} took longer than {FETCH_TIMEOUT_SECONDS:.0f} s") from None
    except Exception as err:  # dulwich raises many kinds; each means the remote could not be read
        reason = scrub(str(err) or type(err).__name__, source)
        raise BadRequest(f"could not read {source.url} ({source.branch}): {reason}") from None
