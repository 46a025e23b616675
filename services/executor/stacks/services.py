"""A stack's services as the heartbeats show them: each declared service (and any other its compose project
runs) with its container and state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.entities.docker import ContainerListItem
from contracts.entities.stack import Stack, StackService, project_name
from services.executor.stacks.state import project_containers, service_of, service_state

if TYPE_CHECKING:
    from services.executor.app import Executor


def project_of(stack: Stack) -> str:
    """The compose project a stack runs as (the one deployed, else the configured one)."""
    return stack.info.deployed_project_name or project_name(stack.name, stack.config.project_name)


def services_of(executor: Executor, stack: Stack) -> list[StackService]:
    """The stack's services (declared, and any other its project runs), each with its container and state."""
    server_id = stack.config.server_id
    containers = (
        project_containers(executor.cache.containers(server_id), project_of(stack)) if server_id else []
    )
    by_service = {service_of(c): c for c in containers}
    declared = (
        stack.info.deployed_services
        if stack.info.deployed_services is not None
        else stack.info.latest_services
    )
    images = {s.service_name: s.image for s in declared}
    names = list(images) + sorted(set(by_service) - set(images))
    services = []
    for name in names:
        found = by_service.get(name)
        item = (
            ContainerListItem.model_validate({**found.model_dump(exclude={"labels"}), "server_id": server_id})
            if found is not None
            else None
        )
        services.append(
            StackService(
                stack_id=stack.id,
                stack_name=stack.name,
                service=name,
                image=images.get(name) or (found.image if found and found.image else ""),
                container=item,
                state=service_state(found),
            )
        )
    return services
