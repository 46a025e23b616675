"""Agent requests about the agent itself and its host."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import AgentRequest, NoData
from contracts.entities.agent import PollStatusResponse
from contracts.entities.core_info import GetVersionResponse
from contracts.entities.system import SystemProcess


class GetHealth(AgentRequest):
    """Whether the agent answers; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData


class GetVersion(AgentRequest):
    """The agent's version; answers `{"version": ...}`."""

    RESPONSE: ClassVar[Any] = GetVersionResponse


class PollStatus(AgentRequest):
    """The host's status now: system information and stats, and the Docker lists."""

    RESPONSE: ClassVar[Any] = PollStatusResponse

    include_stats: bool = True
    """Whether to read system stats (and container stats)."""
    include_docker: bool = True
    """Whether to list Docker objects."""


class GetSystemProcesses(AgentRequest):
    """The processes running on the host, busiest first."""

    RESPONSE: ClassVar[Any] = list[SystemProcess]
