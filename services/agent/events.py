"""Container state changes, published the moment Docker reports them as `ContainerStateChange` on
`komodo.agent.<server_id>.container`.

The watcher follows Docker's event stream (container events of the actions below). When Docker goes away the
stream ends; the watcher tries again with a growing pause (1 s doubling to 30 s), or at once when the heartbeat
finds Docker back, until the agent stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Final

from aiodocker.exceptions import DockerError

from contracts.entities.agent import ContainerStateChange
from contracts.entities.docker import ContainerStateStatusEnum as State
from contracts.subjects import agent_container_subject
from services.agent.context import AgentContext
from services.agent.heartbeat import Publish
from services.agent.oplog import now_ms
from services.common.errors import Unavailable

log = logging.getLogger(__name__)

STATE_AFTER: Final = {
    "create": State.Created,
    "start": State.Running,
    "restart": State.Running,
    "unpause": State.Running,
    "pause": State.Paused,
    "die": State.Exited,
    "stop": State.Exited,
    "destroy": State.Empty,
    "health_status": State.Running,
}
"""The container events published, and the state each leaves the container in (`destroy`: removed). A `rename`
is published too (its `name` is the new one; the state is left as it was): a redeploy renames the previous
container aside, and a listener that missed it would take the new container's events for the old one's."""
RETRY_FIRST_SECONDS: Final = 1.0
RETRY_MAX_SECONDS: Final = 30.0
STABLE_SECONDS: Final = 30.0
"""A stream that lasted this long was healthy: the next retry starts again from the first pause."""


def state_change(server_id: str, event: dict[str, Any]) -> ContainerStateChange | None:
    """The state change a Docker event reports, or None for events that change no state (exec, attach, ...)."""
    action = str(event.get("Action") or event.get("status") or "")
    verb = action.split(":", 1)[0]
    state = State.Empty if verb == "rename" else STATE_AFTER.get(verb)
    if state is None:
        return None
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    nanos = event.get("timeNano")
    ts = int(nanos) // 1_000_000 if nanos else int(event.get("time") or 0) * 1000 or now_ms()
    return ContainerStateChange(
        server_id=server_id,
        ts=ts,
        name=str(attributes.get("name", "")),
        id=str(actor.get("ID") or event.get("id") or ""),
        action=action,
        state=state,
    )


async def follow_events(ctx: AgentContext, publish: Publish, on_attached: Callable[[], None]) -> None:
    """Publish each container state change until Docker ends the stream (raises `Unavailable` if unreachable)."""
    subject = agent_container_subject(ctx.config.server_id)
    filters = {"type": ["container"], "event": sorted([*STATE_AFTER, "rename"])}
    async for event in ctx.docker.events(filters, on_attached):
        change = state_change(ctx.config.server_id, event)
        if change is not None:
            await publish(subject, change.model_dump_json(by_alias=True).encode())


async def watch_events(
    ctx: AgentContext, publish: Publish, attached: asyncio.Event, docker_back: asyncio.Event
) -> None:
    """Follow Docker's events for as long as the agent runs, re-attaching after each loss, until cancelled.

    `attached` is set while the stream is open (and cleared when it ends).
    """
    pause = RETRY_FIRST_SECONDS
    last_problem = ""
    while True:
        started = time.monotonic()
        docker_back.clear()
        try:
            await follow_events(ctx, publish, attached.set)
            problem = "the event stream ended"
        except Unavailable as err:
            problem = err.message
        except (DockerError, OSError, ValueError) as err:
            problem = f"the event stream failed: {err}"
        if attached.is_set():
            attached.clear()
            last_problem = ""  # it worked for a while: a new loss is worth a new warning
        if time.monotonic() - started >= STABLE_SECONDS:
            pause = RETRY_FIRST_SECONDS
        if problem != last_problem:
            log.warning("not watching docker events (%s); retrying", problem)
            last_problem = problem
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(docker_back.wait(), pause)
        pause = min(pause * 2, RETRY_MAX_SECONDS)
