"""What a host's agent reports: its status (Komodo's `PollStatusResponse`) and container state changes."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64
from contracts.entities.docker import (
    ComposeProject,
    ContainerListItem,
    ContainerStateStatusEnum,
    ContainerStats,
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
    """The full heartbeat, published on `komodo.agent.<server_id>.status` when the host's lists changed (see
    `status_digest`), every `full_every` beats as a safety net, and when an executor asks for it (on
    `komodo.agent.<server_id>.resend`); the other beats are the small `AgentBeat`."""

    server_id: str
    """The server this agent serves."""
    ts: I64
    """When the status was taken (unix ms)."""
    interval_ms: I64
    """The agent's heartbeat interval (unix ms); a server is NotOk after two intervals without one."""
    status: PollStatusResponse
    """The host's status."""
    digest: str = ""
    """A hash of `status` without the stats (system stats, container stats) and the containers' status lines:
    the `AgentBeat`s that follow carry it while the lists stay the same (empty from agents that send no
    beats)."""


class AgentBeat(KomodoModel):
    """The small heartbeat an agent publishes on `komodo.agent.<server_id>.beat` while its lists are those of
    its last `AgentStatus`: liveness, system stats, and the container stats read since the previous beat."""

    server_id: str
    """The server this agent serves."""
    ts: I64
    """When the beat was taken (unix ms)."""
    interval_ms: I64
    """The agent's heartbeat interval (ms); a server is NotOk after two intervals without a beat or status."""
    digest: str
    """`status_digest` of the lists this beat stands for: a listener holding another one has missed an
    `AgentStatus` and asks for it again (`komodo.agent.<server_id>.resend`)."""
    version: str = ""
    """The agent's version (`periphery_info.version`), for version alerts."""
    system_stats: SystemStats | None = None
    """CPU, load, memory, swap, disks and network now."""
    container_stats: dict[str, ContainerStats] = Field(default_factory=dict)
    """Container stats (by container name) that differ from those last sent: read at most every 30 s, so
    most beats carry none."""
    container_status: dict[str, str] = Field(default_factory=dict)
    """Containers' status lines (`Up 3 minutes`, by container name) that differ from those last sent: they
    age without anything else changing, so they are left out of the digest and ride here."""


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
