"""ResourceStates without I/O: which state changes become events, in particular a deployment deployed between
the refresh that listed it and the first check of its state."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from contracts.api.read.deployment import ListFullDeployments
from contracts.entities.agent import AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.deployment import Deployment
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.events.execution import DeploymentStateChanged
from services.executor.resource_states import ResourceStates
from services.executor.servers.cache import ServerCache

OID = "65f0c0ffee0000000000abcd"


class Bus:
    """Answers the refresh's two lists and keeps what is recorded."""

    def __init__(self, deployments: list[Deployment]) -> None:
        self.deployments = deployments
        self.recorded: list[Any] = []

    async def request(self, request: Any, headers: Any) -> list[Any]:
        return list(self.deployments) if isinstance(request, ListFullDeployments) else []

    async def record(self, event: Any) -> None:
        self.recorded.append(event)


def heartbeat(ts: int, running: tuple[str, ...]) -> AgentStatus:
    containers = [AgentContainer(name=n, state=ContainerStateStatusEnum.Running) for n in running]
    poll = PollStatusResponse(docker=DockerLists(containers=containers))
    return AgentStatus(server_id="s1", ts=ts, interval_ms=1000, status=poll)


def states_for(deployment: Deployment) -> tuple[ResourceStates, ServerCache, Bus]:
    cache = ServerCache()
    bus = Bus([deployment])
    registry = SimpleNamespace(system_headers=dict)
    executor = SimpleNamespace(cache=cache, bus=bus, registry=registry)
    return ResourceStates(cast(Any, executor)), cache, bus


def web() -> Deployment:
    return Deployment.model_validate({"_id": OID, "name": "web", "config": {"server_id": "s1"}})


async def test_a_deploy_between_the_refresh_and_the_first_check_publishes_its_first_change() -> None:
    deployment = web()
    states, cache, bus = states_for(deployment)
    cache.record(heartbeat(1, ()))
    await states.refresh()  # lists the deployment, with no state known yet
    states.follow(deployment)  # its deploy starts
    cache.record(heartbeat(2, ("web",)))
    assert await states.check() == 1
    [event] = bus.recorded
    assert isinstance(event, DeploymentStateChanged)
    assert (event.previous, event.current) == ("not_deployed", "running")
    assert event.resource is not None and event.resource.id == OID


async def test_the_first_state_seen_without_a_deploy_is_recorded_without_an_event() -> None:
    deployment = web()
    states, cache, bus = states_for(deployment)
    await states.refresh()
    cache.record(heartbeat(1, ("web",)))
    assert await states.check() == 0  # the first state seen: no one caused it
    assert bus.recorded == []
    # The same resource, once its state is known, has its next change published (the positive control).
    cache.record(heartbeat(2, ()))
    assert await states.check() == 1
    assert [(e.previous, e.current) for e in bus.recorded] == [("running", "not_deployed")]


async def test_follow_keeps_a_state_already_known() -> None:
    deployment = web()
    states, cache, bus = states_for(deployment)
    cache.record(heartbeat(1, ()))
    await states.refresh()
    assert await states.check() == 0
    cache.record(heartbeat(2, ("web",)))
    states.follow(deployment)  # a second deploy: what was seen last stays the previous state
    assert await states.check() == 1
    assert [(e.previous, e.current) for e in bus.recorded] == [("not_deployed", "running")]
