"""A real git smart-HTTP server for tests: dulwich's WSGI git application behind HTTP Basic auth.

The `git_server` session fixture serves bare repositories from a temporary folder on 127.0.0.1:<free port>.
Every request must carry `username:token` (a generated token) as HTTP Basic credentials, like a git forge
that wants a personal access token. Test modules use it with
`from tests.git_server import git_server  # noqa: F401`.

Commits are made straight into the bare repositories (no working tree), as a push would leave them.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import pytest
from dulwich.index import commit_tree
from dulwich.objects import Blob, Commit
from dulwich.repo import Repo
from dulwich.server import FileSystemBackend
from dulwich.web import make_wsgi_chain

SYMLINK_MODE = 0o120000
FILE_MODE = 0o100644


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _FolderBackend(FileSystemBackend):
    """dulwich's file system backend for URL paths: `/name.git` is `name.git` under the root."""

    def open_repository(self, path: str | bytes) -> Any:
        text = path.decode() if isinstance(path, bytes) else path
        return super().open_repository(text.lstrip("/"))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def basic_auth(app: WSGIApplication, username: str, token: str) -> WSGIApplication:
    """`app` answering only requests with these Basic credentials (401 with a challenge otherwise)."""
    expected = "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            start_response(
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="varanus-git"'), ("Content-Type", "text/plain")],
            )
            return [b"authentication required\n"]
        return app(environ, start_response)

    return guarded


@dataclass
class GitServer:
    """A running git server: where it is, its credentials, and helpers to make repositories and commits."""

    base_url: str
    """`http://127.0.0.1:<port>`."""
    root: Path
    """The folder of the bare repositories."""
    username: str
    """The account the token belongs to."""
    token: str
    """The token every request must carry."""
    _trees: dict[str, dict[str, tuple[bytes, int]]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """The clone address of repository `name` (no credentials in it)."""
        return f"{self.base_url}/{name}.git"

    def create_repo(
        self, name: str, files: dict[str, str], symlinks: dict[str, str] | None = None, branch: str = "main"
    ) -> str:
        """A new bare repository `name` whose first commit on `branch` holds `files`; its commit hash."""
        repo = Repo.init_bare(str(self.root / f"{name}.git"), mkdir=True)
        repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/" + branch.encode())
        repo.close()
        self._trees[name] = {}
        return self.push_commit(name, files, "initial commit", symlinks=symlinks, branch=branch)

    def push_commit(
        self,
        name: str,
        files: dict[str, str],
        message: str,
        symlinks: dict[str, str] | None = None,
        branch: str = "main",
    ) -> str:
        """Commit `files` (added or replaced; others kept) and `symlinks` (path -> target) on `branch`."""
        tree = self._trees[name]
        for path, text in files.items():
            tree[path] = (text.encode(), FILE_MODE)
        for path, target in (symlinks or {}).items():
            tree[path] = (target.encode(), SYMLINK_MODE)
        repo = Repo(str(self.root / f"{name}.git"))
        try:
            entries: list[tuple[bytes, Any, int]] = []
            for path, (data, mode) in sorted(tree.items()):
                blob = Blob.from_string(data)
                repo.object_store.add_object(blob)
                entries.append((path.encode(), blob.id, mode))
            commit = Commit()
            commit.tree = commit_tree(repo.object_store, entries)
            ref = b"refs/heads/" + branch.encode()
            commit.parents = [repo.refs[ref]] if ref in repo.refs else []
            commit.author = commit.committer = b"Varanus Test <test@varanus.invalid>"
            commit.author_time = commit.commit_time = int(time.time())
            commit.author_timezone = commit.commit_timezone = 0
            commit.message = message.encode() + b"\n"
            repo.object_store.add_object(commit)
            repo.refs[ref] = commit.id
            return str(commit.id.decode())
        finally:
            repo.close()


@contextlib.contextmanager
def serving() -> Iterator[GitServer]:
    """dulwich's smart-HTTP git server on 127.0.0.1:<free port>, requiring Basic auth with a generated token,
    until the block ends (the benchmarks use it too)."""
    root = Path(tempfile.mkdtemp(prefix="varanus-git-"))
    username, token = "varanus-bot", "glpat-" + secrets.token_urlsafe(18)
    app = basic_auth(make_wsgi_chain(_FolderBackend(str(root))), username, token)
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="git-server", daemon=True)
    thread.start()
    try:
        yield GitServer(f"http://127.0.0.1:{server.server_port}", root, username, token)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def git_server() -> Iterator[GitServer]:
    """`serving()` for the whole test session."""
    with serving() as server:
        yield server
