"""`Triggers.replace`: a build's webhook cancels the run going on and starts the new one only once it ended."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.api.base import Request
from contracts.api.execute.build import CancelBuild, RunBuild
from contracts.api.read.build import GetBuildActionState
from contracts.entities.build import BuildActionState
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Operation, Update
from services.gateway.webhooks import trigger
from services.gateway.webhooks.targets import Target, replacing


class FakeBuilder:
    """Answers like the builder: RunBuild starts a run, CancelBuild ends it after a few state reads."""

    def __init__(self, building: bool) -> None:
        self.building = building
        self.sent: list[str] = []
        self.reads_until_ended = -1
        self.overlaps = 0

    async def ask(self, request: Request) -> Any:
        self.sent.append(type(request).__name__)
        if isinstance(request, GetBuildActionState):
            if self.reads_until_ended > 0:
                self.reads_until_ended -= 1
                if self.reads_until_ended == 0:
                    self.building = False
            return BuildActionState(building=self.building)
        if isinstance(request, CancelBuild):
            self.reads_until_ended = 3
            return None
        if isinstance(request, RunBuild):
            self.overlaps += self.building
            self.building = True
            target = ResourceTarget(type=ResourceTargetVariant.Build, id="b1")
            return Update(
                id=f"u{len(self.sent)}",
                operation=Operation.RunBuild,
                target=target,
                start_ts=1,
                operator="git",
            )
        raise AssertionError(request)


TARGET = Target(kind="build", id="b1", name="app", secret="", enabled=True, branch="main")


async def settle(triggers: trigger.Triggers) -> None:
    while triggers._tasks:
        await asyncio.gather(*triggers._tasks)


async def test_an_idle_build_starts_at_once(monkeypatch: Any) -> None:
    fake = FakeBuilder(building=False)
    triggers = trigger.Triggers(fake.ask, lambda: None)  # type: ignore[arg-type,return-value]
    how = replacing(TARGET)
    assert how is not None
    started = await triggers.replace(TARGET, how)
    assert started.update_id and not started.replacing
    assert fake.sent == ["GetBuildActionState", "RunBuild"]


async def test_a_running_build_is_cancelled_and_the_new_run_waits_for_its_end(monkeypatch: Any) -> None:
    monkeypatch.setattr(trigger, "CANCEL_POLL_SECONDS", 0.001)
    fake = FakeBuilder(building=True)
    triggers = trigger.Triggers(fake.ask, lambda: None)  # type: ignore[arg-type,return-value]
    how = replacing(TARGET)
    assert how is not None
    first, second = await asyncio.gather(triggers.replace(TARGET, how), triggers.replace(TARGET, how))
    assert first.replacing and second.replacing and first.update_id is None
    await settle(triggers)
    # Each webhook cancels the run before it and starts its own only once that run has ended: never two at once.
    assert fake.sent.count("CancelBuild") == 2 and fake.sent.count("RunBuild") == 2, fake.sent
    assert fake.overlaps == 0
    for index, name in enumerate(fake.sent):
        if name == "RunBuild":
            assert fake.sent[index - 1] == "GetBuildActionState"
    assert not triggers._locks


async def test_a_run_that_never_ends_is_not_joined_by_a_second(monkeypatch: Any) -> None:
    monkeypatch.setattr(trigger, "CANCEL_POLL_SECONDS", 0.001)
    fake = FakeBuilder(building=True)

    async def stuck(request: Request) -> Any:
        answer = await fake.ask(request)
        fake.reads_until_ended = -1  # the cancel never takes
        return answer

    triggers = trigger.Triggers(stuck, lambda: None, cancel_wait_seconds=0.05)  # type: ignore[arg-type,return-value]
    how = replacing(TARGET)
    assert how is not None
    await triggers.replace(TARGET, how)
    await settle(triggers)
    assert "CancelBuild" in fake.sent and "RunBuild" not in fake.sent
