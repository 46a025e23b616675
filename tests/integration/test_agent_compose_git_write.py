"""Committing an edited file of a git stack on the agent (CommitComposeFile), against a real git server.

The server is `tests.git_server` (dulwich's smart-HTTP server behind Basic auth, on loopback). A second server
over the same repositories lets a test push a commit while the agent's push is under way (between its pull and
its push), so a rejected push is shown deterministically. Nothing here needs Docker.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
from dulwich import porcelain
from dulwich.repo import Repo
from dulwich.web import make_wsgi_chain

from contracts.api.agent import compose as api
from contracts.api.agent.compose_git import CommitComposeFile
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.handlers import compose as handlers
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest
from services.common.settings import Settings
from tests.git_server import (
    GitServer,
    _FolderBackend,
    _QuietHandler,
    _ThreadingServer,
    basic_auth,
    git_server,  # noqa: F401
)

COMPOSE_V1 = "services:\n  app:\n    image: local/busybox:1\n    command: [echo, v1]\n"
CAS_HOOK = """#!/bin/sh
# git's own check: the ref must still be at the old value the client saw.
current=$(cat "$GIT_DIR/$1")
if [ "$current" != "$2" ]; then
  echo "stale info: $1 is at $current, not $2" >&2
  exit 1
fi
"""
COMPOSE_V2 = "services:\n  app:\n    image: local/busybox:1\n    command: [echo, v2]\n"


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[AgentContext]:
    config = AgentConfig(
        settings=Settings(monitoring_interval="1-sec"),
        server_id=f"git-write-{uuid.uuid4().hex[:8]}",
        stack_dir=tmp_path / "stacks",
    )
    context = AgentContext.build(config)
    try:
        yield context
    finally:
        await context.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def stages(logs: list[Log]) -> list[str]:
    return [log.stage for log in logs]


def source_for(server: GitServer, name: str, **fields: Any) -> api.GitSource:
    return api.GitSource(url=server.url(name), username=server.username, token=server.token, **fields)


def commit_request(
    stack: api.StackFiles, path: str, contents: str, author: str = "alice"
) -> CommitComposeFile:
    return CommitComposeFile(
        stack=stack,
        path=path,
        contents=contents,
        message=f"{author}: Write Stack File {path}",
        author_name=author,
    )


def remote_head(server: GitServer, name: str, branch: str = "main") -> str:
    with Repo(str(server.root / f"{name}.git")) as repo:
        return str(repo.refs[b"refs/heads/" + branch.encode()].decode())


def fresh_clone(server: GitServer, name: str, into: Path) -> Repo:
    """A new clone of the server's repository, made apart from the agent's."""
    return porcelain.clone(
        server.url(name),
        str(into),
        errstream=io.BytesIO(),
        username=server.username,
        password=server.token,
    )


def no_token(server: GitServer, logs: list[Log]) -> bool:
    return all(server.token not in log.model_dump_json() for log in logs)


@contextmanager
def racing_server(server: GitServer, when: str, push: Callable[[], None]) -> Iterator[str]:
    """A second git server over the same repositories (same credentials) that runs `push` once, when the
    client's push reaches it: at the ref advertisement of the push (`advertise`, so the client sees a branch it
    cannot fast-forward) or when the pack arrives (`receive`, so the server refuses the ref update)."""
    fired = threading.Event()
    inner = make_wsgi_chain(_FolderBackend(str(server.root)))

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        method, query = environ["REQUEST_METHOD"], environ.get("QUERY_STRING", "")
        advertise = method == "GET" and "service=git-receive-pack" in query
        receive = method == "POST" and environ.get("PATH_INFO", "").endswith("/git-receive-pack")
        if not fired.is_set() and ((when == "advertise" and advertise) or (when == "receive" and receive)):
            fired.set()
            push()
        return inner(environ, start_response)

    httpd = make_server(
        "127.0.0.1",
        0,
        basic_auth(app, server.username, server.token),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=httpd.serve_forever, name="racing-git-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        assert fired.is_set(), "the racing push never ran"


# ---------------------------------------------------------------------------------------------------------


async def test_a_write_is_committed_and_pushed_without_the_token_anywhere(
    ctx: AgentContext,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = unique("write")
    first = git_server.create_repo(name, {"deploy/compose.yaml": COMPOSE_V1, "README.md": "app\n"})
    stack = api.StackFiles(
        folder=name, project=name, git=source_for(git_server, name), run_directory="deploy"
    )

    logs = await handlers.commit(ctx, commit_request(stack, "compose.yaml", COMPOSE_V2))
    assert stages(logs) == ["Clone Repo", "Write File", "Commit", "Push"], logs
    assert all(log.success for log in logs), logs
    pushed = remote_head(git_server, name)
    assert pushed != first
    assert logs[2].stdout == f"{pushed}: alice: Write Stack File compose.yaml"
    assert pushed in logs[3].stdout and "main" in logs[3].stdout
    assert no_token(git_server, logs)

    # What another clone of the server sees: the file, the message, the author, on top of the first commit.
    with fresh_clone(git_server, name, tmp_path / "check") as check:
        assert check.head().decode() == pushed
        commit: Any = check[check.head()]
        assert commit.message == b"alice: Write Stack File compose.yaml"
        assert commit.author == commit.committer == b"alice <varanus@localhost>"
        assert [p.decode() for p in commit.parents] == [first]
    assert (tmp_path / "check" / "deploy" / "compose.yaml").read_text() == COMPOSE_V2
    assert (tmp_path / "check" / "README.md").read_text() == "app\n"

    git_config = (ctx.config.stack_dir / name / ".git" / "config").read_text()
    assert git_server.url(name) in git_config and git_server.token not in git_config

    # The same contents again: pulled, written, nothing to commit, nothing pushed.
    same = await handlers.commit(ctx, commit_request(stack, "compose.yaml", COMPOSE_V2))
    assert stages(same) == ["Pull Repo", "Write File", "Commit"] and all(log.success for log in same), same
    assert "nothing to commit" in same[-1].stdout
    assert remote_head(git_server, name) == pushed

    # Someone pushed since: the write pulls first and commits on top, their commit kept.
    theirs = git_server.push_commit(name, {"README.md": "their change\n"}, "their change")
    new_file = await handlers.commit(
        ctx, commit_request(stack, "conf/app.env", "LEVEL=debug\n", author="bob")
    )
    assert stages(new_file) == ["Pull Repo", "Write File", "Commit", "Push"], new_file
    assert all(log.success for log in new_file), new_file
    assert theirs in new_file[0].stdout
    with fresh_clone(git_server, name, tmp_path / "check2") as check:
        commit = check[check.head()]
        assert [p.decode() for p in commit.parents] == [theirs]
        assert commit.author == b"bob <varanus@localhost>"
    assert (tmp_path / "check2" / "README.md").read_text() == "their change\n"
    assert (tmp_path / "check2" / "deploy" / "conf" / "app.env").read_text() == "LEVEL=debug\n"
    assert no_token(git_server, [*same, *new_file])


async def test_hostile_paths_and_pinned_commits_are_refused_before_anything_is_written(
    ctx: AgentContext,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = unique("hostile")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.yaml").write_text("untouched")
    first = git_server.create_repo(
        name,
        {"compose.yaml": COMPOSE_V1},
        symlinks={"escape.yaml": str(outside / "target.yaml"), "hooks": ".git/hooks"},
    )
    source = source_for(git_server, name)
    stack = api.StackFiles(folder=name, project=name, git=source)
    folder = ctx.config.stack_dir / name

    # The contract refuses `..` and absolute paths: no request can even be made.
    for bad in ("../x", "/etc/passwd", "deploy/../../x"):
        with pytest.raises(ValueError, match="relative path"):
            commit_request(stack, bad, "x")

    # A pinned commit has no branch to push to: refused before the clone.
    pinned = stack.model_copy(update={"git": source.model_copy(update={"commit": first[:10]})})
    with pytest.raises(BadRequest, match="pins commit"):
        await handlers.commit(ctx, commit_request(pinned, "compose.yaml", COMPOSE_V2))
    # git's own files are never written, hooks included.
    with pytest.raises(BadRequest, match=r"\.git folder"):
        await handlers.commit(
            ctx, commit_request(stack, ".git/hooks/post-commit", "#!/bin/sh\ntouch /tmp/x\n")
        )
    assert not folder.exists()

    # Symlinks of the repository exist only once it is cloned: checked again then, nothing written.
    escape = await handlers.commit(ctx, commit_request(stack, "escape.yaml", "pwned"))
    assert stages(escape) == ["Clone Repo", "Write File"] and not escape[-1].success, escape
    assert "outside the stack folder" in escape[-1].stderr
    # Now the clone holds the symlinks: refused before the pull.
    with pytest.raises(BadRequest, match="outside the stack folder"):
        await handlers.commit(ctx, commit_request(stack, "escape.yaml", "pwned"))
    with pytest.raises(BadRequest, match=r"\.git folder"):
        await handlers.commit(ctx, commit_request(stack, "hooks/post-commit", "#!/bin/sh\necho pwned\n"))
    # A symlink of the repository into .git, in a fresh clone: refused after the clone.
    other = stack.model_copy(update={"folder": unique("hooks")})
    hook = await handlers.commit(ctx, commit_request(other, "hooks/post-commit", "#!/bin/sh\necho pwned\n"))
    assert stages(hook) == ["Clone Repo", "Write File"] and not hook[-1].success, hook
    assert ".git folder" in hook[-1].stderr
    for clone in (folder, ctx.config.stack_dir / other.folder):
        assert not (clone / ".git" / "hooks" / "post-commit").exists()

    assert (outside / "target.yaml").read_text() == "untouched"
    assert remote_head(git_server, name) == first
    assert no_token(git_server, [*escape, *hook])

    # A wrong token fails the pull, and the wrong token is in no Log either.
    wrong = source.model_copy(update={"token": "wrong-" + git_server.token})
    refused = await handlers.commit(
        ctx, commit_request(stack.model_copy(update={"folder": unique("wrong"), "git": wrong}), "a.yaml", "x")
    )
    assert stages(refused) == ["Clone Repo"] and not refused[0].success
    assert wrong.token not in refused[0].model_dump_json() and no_token(git_server, refused)


async def test_an_ignored_file_is_written_but_not_committed(
    ctx: AgentContext,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = unique("ignored")
    first = git_server.create_repo(name, {"compose.yaml": COMPOSE_V1, ".gitignore": "*.local\n"})
    stack = api.StackFiles(folder=name, project=name, git=source_for(git_server, name))
    logs = await handlers.commit(ctx, commit_request(stack, "override.local", "x: 1\n"))
    assert stages(logs) == ["Clone Repo", "Write File", "Commit"] and not logs[-1].success, logs
    assert "ignored" in logs[-1].stderr and "override.local" in logs[-1].stderr
    assert remote_head(git_server, name) == first


@pytest.mark.parametrize("when", ["advertise", "receive"])
async def test_a_push_rejected_because_someone_pushed_in_between_fails_clearly(
    ctx: AgentContext,
    git_server: GitServer,  # noqa: F811
    when: str,
) -> None:
    name = unique(f"race-{when}")
    git_server.create_repo(name, {"compose.yaml": COMPOSE_V1})
    if when == "receive":
        # dulwich's server moves a ref without comparing it to the old value the client sent (it would drop
        # the update silently); git servers refuse it. This update hook does git's check on the server.
        hook = git_server.root / f"{name}.git" / "hooks" / "update"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(CAS_HOOK)
        hook.chmod(0o755)
    pushed: list[str] = []

    def someone_pushes() -> None:
        pushed.append(git_server.push_commit(name, {"README.md": "in between\n"}, "pushed in between"))

    with racing_server(git_server, when, someone_pushes) as base_url:
        source = api.GitSource(
            url=f"{base_url}/{name}.git", username=git_server.username, token=git_server.token
        )
        stack = api.StackFiles(folder=name, project=name, git=source)
        logs = await handlers.commit(ctx, commit_request(stack, "compose.yaml", COMPOSE_V2))

    assert stages(logs) == ["Clone Repo", "Write File", "Commit", "Push"], logs
    assert all(log.success for log in logs[:-1]) and not logs[-1].success, logs
    assert "push rejected" in logs[-1].stderr, logs[-1]
    assert no_token(git_server, logs)
    # Nothing was forced: the branch holds the other push.
    assert remote_head(git_server, name) == pushed[0]

    # Written again, it goes on top of the new head.
    stack = stack.model_copy(update={"git": source_for(git_server, name)})
    again = await handlers.commit(ctx, commit_request(stack, "compose.yaml", COMPOSE_V2))
    assert stages(again) == ["Clone Repo", "Write File", "Commit", "Push"], again
    assert all(log.success for log in again), again
    with Repo(str(git_server.root / f"{name}.git")) as bare:
        head: Any = bare[bare.refs[b"refs/heads/main"]]
        assert [p.decode() for p in head.parents] == [pushed[0]]
