"""The Launcher with a fake bus and a fake cloud: a cancel while the cloud creates the machine still terminates
it, and launches beyond the limit wait for a slot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracts.api.read.server import ListServers
from contracts.api.write.onboarding_key import CreateOnboardingKey, DeleteOnboardingKey
from contracts.entities.onboarding_key import CreateOnboardingKeyResponse, OnboardingKey
from contracts.entities.server import ServerListItem
from services.common.cloud.join import Launcher
from services.common.cloud.machines import Machine
from services.common.cloud.settings import CloudSettings
from services.common.settings import Settings


class FakeBus:
    """Answers the registry requests a launch sends; servers named in `joined` are Ok."""

    def __init__(self) -> None:
        self.joined: set[str] = set()
        self.keys: set[str] = set()

    async def request(self, request: Any, headers: Any = None) -> Any:
        if isinstance(request, CreateOnboardingKey):
            public = f"pub-{len(self.keys)}"
            self.keys.add(public)
            return CreateOnboardingKeyResponse(
                private_key="O_private_O", created=OnboardingKey(public_key=public)
            )
        if isinstance(request, DeleteOnboardingKey):
            self.keys.discard(request.public_key)
            return None
        if isinstance(request, ListServers):
            names = [n for n in request.query.names if n in self.joined]
            return [
                ServerListItem.model_validate(
                    {"id": f"id-{n}", "name": n, "type": "Server", "info": {"state": "Ok"}}
                )
                for n in names
            ]
        return None


class FakeCloud:
    provider = "Aws"

    def __init__(self, launch_seconds: float = 0.0) -> None:
        self.launch_seconds = launch_seconds
        self.launched: list[str] = []
        self.terminated: list[str] = []
        self.started = asyncio.Event()

    async def launch(self, name: str, user_data: str, tags: dict[str, str]) -> Machine:
        self.started.set()
        await asyncio.sleep(self.launch_seconds)
        self.launched.append(name)
        return Machine("Aws", f"i-{name}", "us-east-1", name, tags)

    async def terminate(self, machine: Machine) -> None:
        self.terminated.append(machine.cloud_id)

    async def list_ours(self, install: str) -> list[Machine]:
        return []


def launcher(bus: FakeBus, max_launching: int = 2) -> Launcher:
    cloud = CloudSettings(join_timeout_seconds=30.0, max_launching=max_launching)
    return Launcher(bus, dict, Settings(), cloud)  # type: ignore[arg-type]


async def test_a_cancel_while_the_cloud_creates_the_machine_terminates_it() -> None:
    bus, cloud = FakeBus(), FakeCloud(launch_seconds=0.3)
    task = asyncio.create_task(launcher(bus).launch_and_join(cloud, name="m1", purpose="builder", owner="b"))
    await cloud.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cloud.launched == ["m1"] and cloud.terminated == ["i-m1"]
    assert bus.keys == set()


async def test_launches_beyond_the_limit_wait_for_a_slot() -> None:
    bus, cloud = FakeBus(), FakeCloud()
    the_launcher = launcher(bus, max_launching=1)
    notes: dict[str, list[str]] = {"a": [], "b": []}

    async def note_of(name: str, text: str) -> None:
        notes[name].append(text)

    first = asyncio.create_task(
        the_launcher.launch_and_join(
            cloud, name="a", purpose="server", owner="t", note=lambda text: note_of("a", text)
        )
    )
    await cloud.started.wait()
    second = asyncio.create_task(
        the_launcher.launch_and_join(
            cloud, name="b", purpose="server", owner="t", note=lambda text: note_of("b", text)
        )
    )
    await asyncio.sleep(0.2)
    assert cloud.launched == ["a"]  # b waits while a has not joined
    bus.joined.add("a")
    assert (await first).server_id == "id-a"
    bus.joined.add("b")
    assert (await asyncio.wait_for(second, 10)).machine.cloud_id == "i-b"
    assert notes["b"][0] == "waiting for a launch slot (1 machines are launching)"
    assert not any("slot" in text for text in notes["a"])
    assert cloud.terminated == []
