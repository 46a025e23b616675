"""The host agent on a real nats-server and the real Docker engine: requests, heartbeats, container changes.

Test containers are made from `local/busybox:1` with names starting `varanus-agent-test-` and are always
removed in the fixture's teardown. Requests that act on every container of the host (`*AllContainers`, the
container and system prunes) are not sent here: the engine is shared with other tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiodocker
import nats
import pytest
from aiodocker.exceptions import DockerError
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.api.agent import container as c
from contracts.api.agent import docker_objects as o
from contracts.api.agent import system as s
from contracts.api.base import AgentRequest
from contracts.entities.agent import AgentBeat, AgentStatus, ContainerStateChange, PollStatusResponse
from contracts.entities.common import SearchCombinator
from contracts.entities.update import Log
from contracts.subjects import (
    STATUS_HEADER,
    agent_beat_subject,
    agent_container_subject,
    agent_status_subject,
)
from services.agent.app import Agent
from services.agent.settings import AgentConfig
from services.common.settings import Settings

pytestmark = pytest.mark.docker

IMAGE = "local/busybox:1"
PREFIX = "varanus-agent-test-"
# PID 1 ignores SIGTERM unless it handles it: this one exits on it within a second.
STOPPABLE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]

MakeContainer = Callable[..., Awaitable[str]]


def unique(kind: str = "") -> str:
    return f"{PREFIX}{kind}{uuid.uuid4().hex[:8]}"


async def ask(nc: NatsClient, server_id: str, request: AgentRequest, timeout: float = 15) -> tuple[int, Any]:
    """Send `request` to the agent of `server_id`; (status, decoded JSON body)."""
    reply = await nc.request(
        type(request).subject_for(server_id), request.model_dump_json().encode(), timeout=timeout
    )
    return int((reply.headers or {}).get(STATUS_HEADER, "200")), json.loads(reply.data)


async def ask_ok(nc: NatsClient, server_id: str, request: AgentRequest, timeout: float = 15) -> Any:
    status, body = await ask(nc, server_id, request, timeout)
    assert status == 200, body
    return type(request).response_adapter().validate_python(body)


def agent_config(nats_url: str, server_id: str, docker_host: str | None = None) -> AgentConfig:
    return AgentConfig(
        settings=Settings(nats_url=nats_url, monitoring_interval="1-sec"),
        server_id=server_id,
        docker_host=docker_host,
    )


@pytest.fixture
def nc(publisher: NatsClient) -> NatsClient:
    """The plain connection the tests ask the agent on (the shared `publisher`)."""
    return publisher


@pytest.fixture
async def docker(docker_available: None) -> AsyncIterator[aiodocker.Docker]:
    client = aiodocker.Docker()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def make_container(docker: aiodocker.Docker) -> AsyncIterator[MakeContainer]:
    """Creates and starts test containers; every one is removed at the end, whatever happened."""
    names: list[str] = []

    async def make(
        cmd: list[str] | None = None, labels: dict[str, str] | None = None, restart: str = "no"
    ) -> str:
        name = unique()
        names.append(name)
        config = {
            "Image": IMAGE,
            "Cmd": cmd or STOPPABLE,
            "Labels": labels or {},
            "HostConfig": {"RestartPolicy": {"Name": restart}},
        }
        container = await docker.containers.create(config, name=name)
        await container.start()
        return name

    yield make
    for name in names:
        try:
            await docker.containers.container(name).delete(force=True)
        except DockerError as err:
            if err.status != 404:
                raise


@pytest.fixture
async def agent(nats_url: str, docker_available: None) -> AsyncIterator[Agent]:
    """An agent for a fresh server id, heartbeating every second."""
    service = Agent(agent_config(nats_url, unique("server-")))
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def container_state(docker: aiodocker.Docker, name: str) -> str:
    info = await docker.containers.container(name).show()
    return str(info["State"]["Status"])


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} within {timeout:g} s")


async def replies(nc: NatsClient, subject: str, body: bytes, wait: float = 0.7) -> list[Msg]:
    """Every reply to one request within `wait` seconds (to see that exactly one agent answers)."""
    inbox = nc.new_inbox()
    got: list[Msg] = []

    async def collect(msg: Msg) -> None:
        got.append(msg)

    sub = await nc.subscribe(inbox, cb=collect)
    await nc.publish(subject, body, reply=inbox)
    await asyncio.sleep(wait)
    await sub.unsubscribe()
    return got


# ---------------------------------------------------------------------------------------------------------


async def test_two_agents_answer_only_their_own_subjects(
    nats_url: str, nc: NatsClient, docker_available: None
) -> None:
    first, second = unique("server-"), unique("server-")
    agents = [Agent(agent_config(nats_url, first)), Agent(agent_config(nats_url, second))]
    heartbeats: dict[str, list[AgentStatus]] = {first: [], second: []}

    async def heartbeat(msg: Msg) -> None:
        heartbeats[msg.subject.split(".")[2]].append(AgentStatus.model_validate_json(msg.data))

    await nc.subscribe("komodo.agent.*.status", cb=heartbeat)
    for one in agents:
        await one.start()
    try:
        for server_id in (first, second):
            got = await replies(nc, s.GetVersion.subject_for(server_id), b"{}")
            assert len(got) == 1, f"{len(got)} agents answered for {server_id}"
            assert got[0].headers is not None and got[0].headers[STATUS_HEADER] == "200"
        with pytest.raises(nats.errors.NoRespondersError):
            await nc.request(s.GetHealth.subject_for(unique("server-")), b"{}", timeout=3)

        async def both_beat() -> bool:
            return all(heartbeats[server_id] for server_id in (first, second))

        await wait_for(both_beat, 5, "each agent heartbeats")
        for server_id, seen in heartbeats.items():
            assert {status.server_id for status in seen} == {server_id}
    finally:
        for one in agents:
            await one.stop()


async def test_poll_status_lists_the_host_and_its_containers(
    agent: Agent, nc: NatsClient, make_container: MakeContainer
) -> None:
    project = unique("project-")
    labels = {
        "varanus.test": "poll",
        "com.docker.compose.project": project,
        "com.docker.compose.project.config_files": "/srv/a/compose.yaml,/srv/a/override.yaml",
    }
    name = await make_container(labels=labels)
    status: PollStatusResponse = await ask_ok(nc, agent.config.server_id, s.PollStatus())

    assert status.periphery_info.docker_connected
    assert status.periphery_info.stats_polling_rate.value == "1-sec"
    assert status.system_info.logical_core_count and status.system_info.logical_core_count >= 1
    assert status.system_info.kernel and status.system_info.cpu_arch
    stats = status.system_stats
    assert stats is not None
    assert 0 <= stats.cpu_perc <= 100
    assert stats.load_average.one >= 0
    assert 0 < stats.mem_used_gb < stats.mem_total_gb
    assert stats.swap_used_gb <= stats.swap_total_gb or stats.swap_total_gb == 0
    assert stats.disks and all(0 < disk.used_gb <= disk.total_gb for disk in stats.disks)
    assert stats.network_ingress_bytes >= 0 and stats.network_egress_bytes >= 0
    assert stats.refresh_ts > 0

    mine = [item for item in status.docker.containers if item.name == name]
    assert len(mine) == 1
    assert mine[0].state.value == "running"
    assert mine[0].labels["varanus.test"] == "poll"
    assert mine[0].image == IMAGE
    assert mine[0].networks == ["bridge"]
    # PollStatus waits (up to 5 s) for container stats that are stale or were never read.
    assert mine[0].stats is not None and mine[0].stats.cpu_perc.endswith("%")
    assert " / " in mine[0].stats.mem_usage
    projects = {p.name: p for p in status.docker.projects}
    assert projects[project].status == "running(1)"
    assert projects[project].compose_files == ["/srv/a/compose.yaml", "/srv/a/override.yaml"]
    images = {image.name: image for image in status.docker.images}
    assert images[IMAGE].in_use and IMAGE in images[IMAGE].tags
    assert any(network.name == "bridge" and network.in_use for network in status.docker.networks)

    bare: PollStatusResponse = await ask_ok(
        nc, agent.config.server_id, s.PollStatus(include_stats=False, include_docker=False)
    )
    assert bare.system_stats is None and bare.docker.containers == []
    assert bare.periphery_info.docker_connected


async def test_heartbeats_every_second_and_container_changes_at_once(
    agent: Agent, nc: NatsClient, docker: aiodocker.Docker, make_container: MakeContainer
) -> None:
    server_id = agent.config.server_id
    beats: list[tuple[float, AgentStatus]] = []
    """The full statuses (sent when the lists change)."""
    heard: list[float] = []
    """When each heartbeat came, full or small."""
    changes: list[tuple[float, ContainerStateChange]] = []

    async def on_beat(msg: Msg) -> None:
        heard.append(time.monotonic())
        beats.append((time.monotonic(), AgentStatus.model_validate_json(msg.data)))

    async def on_small_beat(msg: Msg) -> None:
        heard.append(time.monotonic())
        AgentBeat.model_validate_json(msg.data)

    async def on_change(msg: Msg) -> None:
        changes.append((time.monotonic(), ContainerStateChange.model_validate_json(msg.data)))

    await nc.subscribe(agent_status_subject(server_id), cb=on_beat)
    await nc.subscribe(agent_beat_subject(server_id), cb=on_small_beat)
    await nc.subscribe(agent_container_subject(server_id), cb=on_change)
    name = await make_container()

    async def four_beats() -> bool:
        return len(heard) >= 4 and bool(beats)

    await wait_for(four_beats, 8, "four heartbeats")
    gaps = [b - a for a, b in itertools.pairwise(heard)]
    assert all(0.5 <= gap <= 1.7 for gap in gaps), gaps
    last = beats[-1][1]
    assert last.server_id == server_id and last.interval_ms == 1000
    assert last.status.system_stats is not None and last.status.periphery_info.docker_connected
    assert name in {item.name for item in last.status.docker.containers}

    async def attached() -> bool:
        return agent.events_attached.is_set()

    await wait_for(attached, 5, "the events watcher attaches")
    await docker.containers.container(name).stop(t=5)
    stopped_at = time.monotonic()

    async def stop_seen() -> bool:
        return any(change.name == name and change.action in {"die", "stop"} for _, change in changes)

    await wait_for(stop_seen, 2, "the stop published as a ContainerStateChange")
    seen_at, change = next((at, ch) for at, ch in changes if ch.name == name and ch.action in {"die", "stop"})
    assert change.server_id == server_id and change.state.value == "exited" and change.id
    assert seen_at - stopped_at < 2.0

    async def exited_in_heartbeat() -> bool:
        latest = beats[-1][1].status.docker.containers
        return any(item.name == name and item.state.value == "exited" for item in latest)

    await wait_for(exited_in_heartbeat, 3, "the next heartbeat shows the container exited")


async def test_container_lifecycle_through_requests(
    agent: Agent, nc: NatsClient, docker: aiodocker.Docker, make_container: MakeContainer
) -> None:
    server_id = agent.config.server_id
    name = await make_container()

    log: Log = await ask_ok(nc, server_id, c.StopContainer(name=name, time=5))
    assert log.success, log
    assert log.command == f"docker stop --time 5 {name}" and log.stdout == name
    assert 0 < log.start_ts <= log.end_ts
    assert await container_state(docker, name) == "exited"

    log = await ask_ok(nc, server_id, c.StartContainer(name=name))
    assert log.success and log.command == f"docker start {name}", log
    assert await container_state(docker, name) == "running"

    log = await ask_ok(nc, server_id, c.PauseContainer(name=name))
    assert log.success and log.command == f"docker pause {name}", log
    assert await container_state(docker, name) == "paused"
    # Pausing a paused container is Docker's error, answered as a failed Log.
    log = await ask_ok(nc, server_id, c.PauseContainer(name=name))
    assert not log.success and "paused" in log.stderr, log

    log = await ask_ok(nc, server_id, c.UnpauseContainer(name=name))
    assert log.success, log
    assert await container_state(docker, name) == "running"

    log = await ask_ok(nc, server_id, c.RestartContainer(name=name))
    assert log.success and log.command == f"docker restart {name}", log
    assert await container_state(docker, name) == "running"

    started = time.monotonic()
    log = await ask_ok(nc, server_id, c.StopContainer(name=name, signal="SIGTERM", time=20))
    assert log.success and log.command == f"docker stop --signal SIGTERM --time 20 {name}", log
    assert time.monotonic() - started < 10, "SIGTERM should stop it well before the grace time"
    assert await container_state(docker, name) == "exited"

    log = await ask_ok(nc, server_id, c.StartContainer(name=name))
    assert log.success, log
    log = await ask_ok(nc, server_id, c.RemoveContainer(name=name, time=5))
    assert log.success, log
    assert log.command == f"docker stop --time 5 {name} && docker container rm {name}"
    with pytest.raises(DockerError) as gone:
        await docker.containers.container(name).show()
    assert gone.value.status == 404


async def test_stop_with_a_signal_keeps_a_restart_policy_container_down(
    agent: Agent, nc: NatsClient, docker: aiodocker.Docker, make_container: MakeContainer
) -> None:
    name = await make_container(restart="unless-stopped")
    log: Log = await ask_ok(nc, agent.config.server_id, c.StopContainer(name=name, signal="SIGTERM", time=5))
    assert log.success, log
    await asyncio.sleep(1.5)  # Docker restarts a container its policy covers within a second
    assert await container_state(docker, name) == "exited"
    version = (await docker.version())["ApiVersion"]
    if tuple(int(part) for part in version.split(".")) < (1, 42):
        assert "cannot stop with SIGTERM" in log.stderr, log


async def test_container_log_stats_and_search(
    agent: Agent, nc: NatsClient, make_container: MakeContainer
) -> None:
    server_id = agent.config.server_id
    name = await make_container(["sh", "-c", "echo hello; echo world; sleep 0.3; echo oops >&2; sleep 3600"])

    async def logged() -> bool:
        log: Log = await ask_ok(nc, server_id, c.GetContainerLog(name=name))
        return "oops" in log.stderr

    await wait_for(logged, 10, "the container writes its log")
    log: Log = await ask_ok(nc, server_id, c.GetContainerLog(name=name, tail=10))
    assert log.success and log.stdout == "hello\nworld" and log.stderr == "oops", log
    assert log.command == f"docker logs --tail 10 {name}"
    log = await ask_ok(nc, server_id, c.GetContainerLog(name=name, tail=1))
    assert log.stdout == "" and log.stderr == "oops", log
    log = await ask_ok(nc, server_id, c.GetContainerLog(name=name, tail=2, timestamps=True))
    assert log.stdout.startswith("20") and log.stdout.endswith(" world"), log

    async def search(terms: list[str], combinator: SearchCombinator, invert: bool = False) -> Log:
        request = c.GetContainerLogSearch(name=name, terms=terms, combinator=combinator, invert=invert)
        found: Log = await ask_ok(nc, server_id, request)
        assert found.success, found
        return found

    found = await search(["hello"], SearchCombinator.Or)
    assert (found.stdout, found.stderr) == ("hello", "")
    assert found.command == f"docker logs {name} 2>&1 | grep -F -e hello"
    found = await search(["hello", "oops"], SearchCombinator.Or)
    assert (found.stdout, found.stderr) == ("hello", "oops")
    found = await search(["hel", "lo"], SearchCombinator.And)
    assert (found.stdout, found.stderr) == ("hello", "")
    found = await search(["hello", "oops"], SearchCombinator.And)
    assert (found.stdout, found.stderr) == ("", "")
    found = await search(["hello"], SearchCombinator.Or, invert=True)
    assert (found.stdout, found.stderr) == ("world", "oops")
    assert found.command.endswith("| grep -v -F -e hello")

    stats = await ask_ok(nc, server_id, c.GetContainerStats(name=name))
    assert stats.name == name and stats.cpu_perc.endswith("%") and stats.mem_perc.endswith("%")
    assert "iB / " in stats.mem_usage and " / " in stats.net_io and " / " in stats.block_io
    assert int(stats.pids) >= 1

    inspect = await ask_ok(nc, server_id, c.InspectContainer(name=name))
    assert inspect["Name"] == f"/{name}" and inspect["State"]["Running"] is True

    processes = await ask_ok(nc, server_id, s.GetSystemProcesses())
    assert len(processes) > 3 and any(p.pid == os.getpid() for p in processes)
    cpu = [p.cpu_perc for p in processes]
    assert cpu == sorted(cpu, reverse=True)


async def test_unknown_objects_are_not_found(agent: Agent, nc: NatsClient) -> None:
    server_id = agent.config.server_id
    missing = unique("missing-")
    for request in (
        c.InspectContainer(name=missing),
        c.StopContainer(name=missing),
        c.RemoveContainer(name=missing),
        c.GetContainerLog(name=missing),
        c.GetContainerStats(name=missing),
    ):
        status, body = await ask(nc, server_id, request)
        assert status == 404, (request, body)
        assert body["error"] == f"no container named '{missing}' on this server"
    for request, kind in (
        (o.InspectNetwork(name=missing), "network"),
        (o.DeleteNetwork(name=missing), "network"),
        (o.InspectImage(name=f"{missing}:1"), "image"),
        (o.ImageHistory(name=f"{missing}:1"), "image"),
        (o.InspectVolume(name=missing), "volume"),
        (o.DeleteVolume(name=missing), "volume"),
    ):
        status, body = await ask(nc, server_id, request)
        assert status == 404, (request, body)
        assert body["error"].startswith(f"no {kind} named ")
    # A name that would leave the object's API path is no object's name.
    status, body = await ask(nc, server_id, c.InspectContainer(name="x/../../version"))
    assert status == 404, body
    reply = await nc.request(c.GetContainerLog.subject_for(server_id), b'{"name": "x", "tail": 0}', timeout=5)
    assert reply.headers is not None and reply.headers[STATUS_HEADER] == "400"
    assert "tail" in json.loads(reply.data)["error"]


async def test_networks_images_and_volumes(agent: Agent, nc: NatsClient, docker: aiodocker.Docker) -> None:
    server_id = agent.config.server_id
    network_name, volume_name = unique("net-"), unique("vol-")
    network = await docker.networks.create({"Name": network_name, "Labels": {"varanus.test": "agent"}})
    volume = await docker.volumes.create({"Name": volume_name, "Labels": {"varanus.test": "agent"}})
    try:
        inspect = await ask_ok(nc, server_id, o.InspectNetwork(name=network_name))
        assert inspect["Name"] == network_name and inspect["Id"] == network.id
        log: Log = await ask_ok(nc, server_id, o.DeleteNetwork(name=network_name))
        assert log.success and log.command == f"docker network rm {network_name}", log
        status, _ = await ask(nc, server_id, o.InspectNetwork(name=network_name))
        assert status == 404

        inspect = await ask_ok(nc, server_id, o.InspectImage(name=IMAGE))
        assert IMAGE in inspect["RepoTags"]
        history = await ask_ok(nc, server_id, o.ImageHistory(name=IMAGE))
        assert history and history[0].id.startswith("sha256:") and history[0].size > 0

        inspect = await ask_ok(nc, server_id, o.InspectVolume(name=volume_name))
        assert inspect["Name"] == volume_name and inspect["Labels"] == {"varanus.test": "agent"}
        status_now: PollStatusResponse = await ask_ok(nc, server_id, s.PollStatus(include_stats=False))
        listed = {v.name: v for v in status_now.docker.volumes}
        assert volume_name in listed and not listed[volume_name].in_use
        log = await ask_ok(nc, server_id, o.DeleteVolume(name=volume_name))
        assert log.success and log.command == f"docker volume rm {volume_name}" and log.stdout == volume_name
        status, body = await ask(nc, server_id, o.InspectVolume(name=volume_name))
        assert status == 404 and volume_name in body["error"]
    finally:
        for cleanup in (network.delete(), volume.delete()):
            try:
                await cleanup
            except DockerError as err:
                if err.status != 404:
                    raise


async def test_prunes_answer_a_log(agent: Agent, nc: NatsClient) -> None:
    # Only a prune that cannot take another test's objects (PruneImages would remove the test image whenever
    # no container happens to use it): the build cache.
    log: Log = await ask_ok(nc, agent.config.server_id, o.PruneBuilders(), timeout=120)
    assert "Total reclaimed space:" in log.stdout
    assert log.command == "docker builder prune -a -f", log
    assert log.success, log


async def test_agent_without_docker_keeps_heartbeating(nats_url: str, nc: NatsClient, tmp_path: Path) -> None:
    server_id = unique("server-")
    beats: list[AgentStatus] = []
    small: list[AgentBeat] = []

    async def on_beat(msg: Msg) -> None:
        beats.append(AgentStatus.model_validate_json(msg.data))

    async def on_small_beat(msg: Msg) -> None:
        small.append(AgentBeat.model_validate_json(msg.data))

    await nc.subscribe(agent_status_subject(server_id), cb=on_beat)
    await nc.subscribe(agent_beat_subject(server_id), cb=on_small_beat)
    service = Agent(agent_config(nats_url, server_id, f"unix://{tmp_path}/no-docker.sock"))
    await service.start()
    try:

        async def two_beats() -> bool:
            return len(beats) >= 1 and len(beats) + len(small) >= 2

        # The full status first, then small beats while nothing changes (Docker stays away).
        await wait_for(two_beats, 5, "two heartbeats without docker")
        for beat in beats:
            assert not beat.status.periphery_info.docker_connected
            assert beat.status.docker.containers == [] and beat.status.docker.images == []
            assert beat.status.system_stats is not None and beat.status.system_stats.mem_total_gb > 0
        for one in small:
            assert one.digest == beats[0].digest
            assert one.system_stats is not None and one.system_stats.mem_total_gb > 0
        assert await ask_ok(nc, server_id, s.GetHealth()) is not None
        assert (await ask_ok(nc, server_id, s.GetVersion())).version
        status: PollStatusResponse = await ask_ok(nc, server_id, s.PollStatus())
        assert not status.periphery_info.docker_connected and status.docker.containers == []
        for request in (c.InspectContainer(name="anything"), c.StartAllContainers(), o.PruneImages()):
            code, body = await ask(nc, server_id, request)
            assert code == 503, body
            assert body["error"].startswith("docker is not reachable on this host: "), body
        assert not service.events_attached.is_set()
    finally:
        await service.stop()


class SocketProxy:
    """A unix socket in front of the Docker engine's, that can be taken away and brought back (Docker "down")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
        self.server: asyncio.AbstractServer | None = None
        self.links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter, list[asyncio.Task[None]]]] = []

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(self._link, path=str(self.path))

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(self.target)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        tasks = [asyncio.create_task(pump(reader, up_writer)), asyncio.create_task(pump(up_reader, writer))]
        self.links.append((writer, up_writer, tasks))

    async def stop(self) -> None:
        """Close the socket and cut every connection through it."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer, up_writer, tasks in self.links:
            writer.close()
            up_writer.close()
            for task in tasks:
                task.cancel()
        self.links = []
        self.path.unlink(missing_ok=True)


async def test_agent_follows_docker_going_away_and_coming_back(
    nats_url: str, nc: NatsClient, docker: aiodocker.Docker, make_container: MakeContainer, tmp_path: Path
) -> None:
    proxy = SocketProxy(tmp_path / "docker.sock")
    await proxy.start()
    server_id = unique("server-")
    beats: list[AgentStatus] = []
    changes: list[ContainerStateChange] = []

    async def on_beat(msg: Msg) -> None:
        beats.append(AgentStatus.model_validate_json(msg.data))

    async def on_change(msg: Msg) -> None:
        changes.append(ContainerStateChange.model_validate_json(msg.data))

    await nc.subscribe(agent_status_subject(server_id), cb=on_beat)
    await nc.subscribe(agent_container_subject(server_id), cb=on_change)
    service = Agent(agent_config(nats_url, server_id, f"unix://{proxy.path}"))
    await service.start()
    try:

        def connected(expected: bool) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return bool(beats) and beats[-1].status.periphery_info.docker_connected is expected

            return check

        async def attached() -> bool:
            return service.events_attached.is_set()

        async def detached() -> bool:
            return not service.events_attached.is_set()

        await wait_for(connected(True), 5, "a heartbeat with docker connected")
        await wait_for(attached, 5, "the events watcher attaches")

        await proxy.stop()
        await wait_for(connected(False), 5, "a heartbeat with docker_connected false")
        await wait_for(detached, 5, "the events watcher notices docker is gone")
        assert beats[-1].status.docker.containers == [] and beats[-1].status.system_stats is not None
        code, body = await ask(nc, server_id, c.InspectContainer(name="anything"))
        assert code == 503 and body["error"].startswith("docker is not reachable on this host: "), body

        await proxy.start()
        await wait_for(connected(True), 5, "a heartbeat with docker back")
        await wait_for(attached, 5, "the events watcher re-attaches")
        name = await make_container()
        await docker.containers.container(name).stop(t=5)

        async def stop_seen() -> bool:
            return any(change.name == name and change.state.value == "exited" for change in changes)

        await wait_for(stop_seen, 3, "a container change after docker came back")
    finally:
        await service.stop()
        await proxy.stop()


async def test_agent_process_serves_and_stops_on_sigterm(
    nats_url: str, nc: NatsClient, docker_available: None
) -> None:
    server_id = unique("server-")
    env = {
        **os.environ,
        "KOMODO_NATS_URL": nats_url,
        "KOMODO_MONITORING_INTERVAL": "1-sec",
        "VARANUS_AGENT_SERVER_ID": server_id,
    }
    env.pop("DOCKER_HOST", None)
    beats: list[AgentStatus] = []
    small: list[AgentBeat] = []

    async def on_beat(msg: Msg) -> None:
        beats.append(AgentStatus.model_validate_json(msg.data))

    async def on_small_beat(msg: Msg) -> None:
        small.append(AgentBeat.model_validate_json(msg.data))

    await nc.subscribe(agent_status_subject(server_id), cb=on_beat)
    await nc.subscribe(agent_beat_subject(server_id), cb=on_small_beat)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.agent"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:

        async def answers() -> bool:
            assert proc.poll() is None, "the agent exited"
            try:
                await nc.request(s.GetHealth.subject_for(server_id), b"{}", timeout=1)
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                return False
            return True

        await wait_for(answers, 20, "the agent process answers")

        async def beating() -> bool:
            return len(beats) >= 1 and len(beats) + len(small) >= 2

        await wait_for(beating, 5, "the agent process heartbeats")
        assert beats[-1].server_id == server_id and beats[-1].status.periphery_info.docker_connected
        assert all(one.server_id == server_id for one in small)

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 10)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert code == 0, stderr
        assert time.monotonic() - started < 5
        assert '"msg": "agent stopped"' in stderr, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_agent_process_needs_a_server_id(nats_url: str) -> None:
    env = {**os.environ, "KOMODO_NATS_URL": nats_url}
    env.pop("VARANUS_AGENT_SERVER_ID", None)
    result = subprocess.run(
        [sys.executable, "-m", "services.agent"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "VARANUS_AGENT_SERVER_ID is not set" in result.stderr
