"""The agent: its NATS connection, its request subscriptions, the heartbeat and the Docker events watcher.

Requests arrive on `komodo.agent.<server_id>.<Name>` (one subscription per request, in the queue group
`varanus-agent`, so a second agent started by mistake for the same server does not run each operation twice).
Each request runs in its own task, at most `MAX_IN_FLIGHT` at once, through `services.common.bus.dispatch`,
which validates the body and answers Komodo's error envelope with a `Komodo-Status` header.

Who may send requests here is decided by NATS's permissions (an agent's subjects are published to only by the
services), so every request is taken as coming from the System user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Final

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts.api.base import AgentRequest
from contracts.subjects import STATUS_HEADER, agent_resend_subject, queue_group
from services.agent.connection import connect_nats
from services.agent.context import AgentContext
from services.agent.events import watch_events
from services.agent.handlers import all_handlers
from services.agent.heartbeat import Heartbeat, run_heartbeat
from services.agent.settings import AgentConfig
from services.common.bus import Handler, dispatch
from services.common.caller import Caller
from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

SERVICE: Final = "agent"
"""The agent's name in logs and its queue group (`varanus-agent`)."""
MAX_IN_FLIGHT: Final = 64
"""Requests handled at once; more wait in their subscription's queue."""
STOP_GRACE_SECONDS: Final = 3.0
"""How long a stopping agent lets requests in flight finish before cancelling them."""


async def accept_as_system(headers: Mapping[str, str]) -> Caller:
    """Every request is the System user's: NATS permissions decide who may publish to this agent's subjects."""
    return Caller.system()


class Agent:
    """One host's agent for the server `config.server_id`; `start` connects and serves, `stop` drains."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.ctx = AgentContext.build(config)
        self.ctx.publish = self.publish
        self.handlers = all_handlers(self.ctx)
        self.events_attached = asyncio.Event()
        """Set while the Docker events stream is open (container changes are being published)."""
        self._docker_back = asyncio.Event()
        self._nc: NatsClient | None = None
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)

    @property
    def nc(self) -> NatsClient:
        """The NATS connection (after `start`)."""
        if self._nc is None:
            raise RuntimeError("the agent is not started")
        return self._nc

    async def publish(self, subject: str, payload: bytes) -> None:
        """Publish on core NATS (heartbeats and container changes are not stored).

        Dropped while NATS is unreachable: they would be stale when delivered, and the first heartbeat after the
        reconnect carries the current state anyway.
        """
        if self.nc.is_connected:
            await self.nc.publish(subject, payload)

    async def start(self) -> None:
        """Connect to NATS (waiting until it answers), answer requests, start heartbeats and the events watcher."""
        self._nc = await connect_nats(self.config)
        for request_cls, handler in self.handlers.items():
            await self._subscribe(request_cls, handler)
        beat = Heartbeat(self.ctx, self.publish)

        async def resend(_msg: Msg) -> None:
            beat.resend.set()

        # A listener missing this host's full status (a newly started executor) asks for it here.
        self._subscriptions.append(
            await self.nc.subscribe(agent_resend_subject(self.config.server_id), cb=resend)
        )
        await self.nc.flush()
        self._tasks = [
            asyncio.create_task(run_heartbeat(self.ctx, self.publish, self._docker_back, beat)),
            asyncio.create_task(
                watch_events(self.ctx, self.publish, self.events_attached, self._docker_back)
            ),
        ]
        log.info(
            "agent serving server %s",
            self.config.server_id,
            extra={"interval": self.config.interval.value, "requests": len(self.handlers)},
        )

    async def _subscribe(self, request_cls: type[AgentRequest], handler: Handler) -> None:
        async def on_message(msg: Msg) -> None:
            # A slow request (a stop with a long grace time, a prune) must not hold up the others.
            await self._slots.acquire()
            task = asyncio.create_task(self._answer(request_cls, handler, msg))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

        subscription = await self.nc.subscribe(
            request_cls.subject_for(self.config.server_id), queue=queue_group(SERVICE), cb=on_message
        )
        self._subscriptions.append(subscription)

    async def _answer(self, request_cls: type[AgentRequest], handler: Handler, msg: Msg) -> None:
        try:
            status, payload = await dispatch(
                request_cls, handler, msg.data, msg.headers or {}, accept_as_system
            )
            if msg.reply:
                await self.nc.publish(msg.reply, payload, headers={STATUS_HEADER: str(status)})
        finally:
            self._slots.release()

    async def stop(self) -> None:
        """Stop heartbeats and the watcher, stop taking requests, let those in flight finish (3 s), drain."""
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._subscriptions = []
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.drain()
            except Exception as err:  # drain timed out or the connection is gone: close is all that is left
                log.warning("could not drain the nats connection: %s", err)
                with contextlib.suppress(Exception):
                    await self._nc.close()
        await self.ctx.close()
