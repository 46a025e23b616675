"""What the repo and image build tests of the agent share: an agent configuration with its own repo root and
an allowed host folder, its context, and requests for a repository on `tests.git_server`.

Test modules use the fixtures with `from tests.integration.agent_repos import agent_config, ctx  # noqa: F401`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.api.agent.compose import GitSource
from contracts.api.agent.repo import RepoLocation, RepoOnHost
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.settings import AgentConfig
from services.common.settings import Settings
from tests.git_server import GitServer


def unique(prefix: str) -> str:
    """`prefix-<8 hex>`."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def agent_config(tmp_path: Path, nats_url: str) -> AgentConfig:
    """An agent with its repo root and stack root in `tmp_path`, allowing `tmp_path/host` for files on the host."""
    (tmp_path / "host").mkdir()
    return AgentConfig(
        settings=Settings(nats_url=nats_url, monitoring_interval="1-sec"),
        server_id=unique("repo"),
        stack_dir=tmp_path / "stacks",
        repo_dir=tmp_path / "repos",
        host_directories=(tmp_path / "host",),
    )


@pytest.fixture
async def ctx(agent_config: AgentConfig) -> AsyncIterator[AgentContext]:
    """The agent's context (Docker connects on first use)."""
    context = AgentContext.build(agent_config)
    try:
        yield context
    finally:
        await context.close()


def source_for(server: GitServer, name: str, **fields: Any) -> GitSource:
    """The git source of repository `name` on `server` with its account's token."""
    values: dict[str, Any] = {"url": server.url(name), "username": server.username, "token": server.token}
    return GitSource.model_validate({**values, **fields})


def repo_on_host(
    server: GitServer, name: str, path: str = "", git: dict[str, Any] | None = None, **fields: Any
) -> RepoOnHost:
    """The repository `name` of `server`, checked out as `name` (or at `path`)."""
    return RepoOnHost.model_validate(
        {
            "location": RepoLocation(name=name, path=path),
            "git": source_for(server, name, **(git or {})),
            **fields,
        }
    )


def everything_text(*parts: Any) -> str:
    """Models, Logs and strings joined as one text, to look for a secret in all of them at once."""
    return "\n".join(
        part.model_dump_json() if hasattr(part, "model_dump_json") else str(part) for part in parts
    )


def stages(logs: list[Log]) -> list[str]:
    """The stage of each Log."""
    return [log.stage for log in logs]
