"""What a host's agent reports: its status (Komodo's `PollStatusResponse`) and container state changes."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64
from contracts.entities.docker import (
    ComposeProject,
    ContainerListItem,
    ContainerStateStatusEnum,
    ImageListItem,
    NetworkListItem,
    VolumeListItem,
)
from contracts.entities.system import PeripheryInformation, SystemInformation, SystemStats


class AgentContainer(ContainerListItem):
    """A container as the agent reports it: the list item plus its labels (which match it to stacks)."""

    labels: dict[str, str] = Field(default_factory=dict)
    """Container labels (compose project and service, Varanus resource labels, ...)."""


class DockerLists(KomodoModel):
    """The Docker objects on a host."""

    containers: list[AgentContainer] = Field(default_factory=list)
    """Every container, with its stats when they were read."""
    networks: list[NetworkListItem] = Field(default_factory=list)
    """Every network."""
    images: list[ImageListItem] = Field(default_factory=list)
    """Every image."""
    volumes: list[VolumeListItem] = Field(default_factory=list)
    """Every volume."""
    projects: list[ComposeProject] = Field(default_factory=list)
    """Compose projects, found from container labels."""


class PollStatusResponse(KomodoModel):
    """Everything an agent knows of its host at one moment (Komodo's `PollStatusResponse`)."""

    periphery_info: PeripheryInformation = Field(default_factory=PeripheryInformation)
    """How the agent is set up, and whether it reaches Docker (`docker_connected`)."""
    system_info: SystemInformation = Field(default_factory=SystemInformation)
    """The host: OS, kernel, CPU."""
    system_stats: SystemStats | None = None
    """CPU, load, memory, swap, disks and network (None when stats were not asked for)."""
    docker: DockerLists = Field(default_factory=DockerLists)
    """Containers, networks, images, volumes and compose projects (empty when Docker is not reachable)."""


class AgentStatus(KomodoModel):
    """The heartbeat an agent publishes every monitoring interval on `komodo.agent.<server_id>.status`."""

    server_id: str
    """The server this agent serves."""
    ts: I64
    """When the status was taken (unix ms)."""
    interval_ms: I64
    """The agent's heartbeat interval (unix ms); a server is NotOk after two intervals without one."""
    status: PollStatusResponse
    """The host's status."""


class ContainerStateChange(KomodoModel):
    """A container changed state (from Docker's events); published on `komodo.agent.<server_id>.container`."""

    server_id: str
    """The server this agent serves."""
    ts: I64
    """When Docker reported it (unix ms)."""
    name: str
    """The container name."""
    id: str = ""
    """The container id."""
    action: str = ""
    """Docker's event action (`start`, `die`, `stop`, `pause`, `destroy`, `health_status: unhealthy`, ...)."""
    state: ContainerStateStatusEnum = ContainerStateStatusEnum.Empty
    """The container's state after the change (`removed` is reported as empty)."""
