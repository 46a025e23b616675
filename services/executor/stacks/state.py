"""A Stack's state from its server's last heartbeat, by Komodo's derivation, with Docker healthchecks counted.

A stack's containers are those labelled with its compose project. Komodo's rule (`helpers/query.rs`): over the
containers of the services not ignored, none is `down`; fewer containers than services is `unhealthy`; all
running is `running`; all in one other state is that state; anything else is `unhealthy`. A container whose
healthcheck fails (`(unhealthy)` in Docker's status) counts as unhealthy, not running.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.entities.agent import AgentContainer
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.entities.stack import StackServiceState, StackState

PROJECT_LABEL = "com.docker.compose.project"
"""The label compose gives every container of a project."""
SERVICE_LABEL = "com.docker.compose.service"
"""The label compose gives a container with its service name."""


def unhealthy(container: AgentContainer) -> bool:
    """Whether Docker reports the container's healthcheck as failing."""
    return "(unhealthy)" in (container.status or "")


def project_containers(containers: Iterable[AgentContainer], project: str) -> list[AgentContainer]:
    """The containers of one compose project."""
    return [c for c in containers if c.labels.get(PROJECT_LABEL) == project]


def service_of(container: AgentContainer) -> str:
    """The compose service a container runs."""
    return container.labels.get(SERVICE_LABEL, "")


def service_state(container: AgentContainer | None) -> StackServiceState:
    """One service's state from its container (Down when it has none)."""
    if container is None:
        return StackServiceState.Down
    if container.state == ContainerStateStatusEnum.Running:
        return StackServiceState.Unhealthy if unhealthy(container) else StackServiceState.Running
    if container.state == ContainerStateStatusEnum.Empty:
        return StackServiceState.Unknown
    return StackServiceState(container.state.value.capitalize())


def stack_state(containers: list[AgentContainer], services: list[str], ignore: Iterable[str]) -> StackState:
    """The stack's state from its project's containers and its declared services (those found when unknown)."""
    ignored = set(ignore)
    counted = [c for c in containers if service_of(c) not in ignored]
    wanted = [s for s in (services or sorted({service_of(c) for c in counted})) if s not in ignored]
    if not counted:
        return StackState.Down
    if len(counted) < len(wanted):
        return StackState.Unhealthy
    if any(unhealthy(c) for c in counted):
        return StackState.Unhealthy
    states = {c.state for c in counted}
    if states == {ContainerStateStatusEnum.Running}:
        return StackState.Running
    if len(states) == 1:
        only = next(iter(states)).value
        if only == ContainerStateStatusEnum.Exited.value:
            return StackState.Stopped
        if only in {s.value for s in StackState}:
            return StackState(only)
    return StackState.Unhealthy
