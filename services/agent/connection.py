"""The agent's one connection to NATS: dialled out, reconnecting for ever.

With a token (from the launcher or from onboarding) the agent connects as its own NATS user
`agent:<server_id>`, which NATS keeps to the agent's own subjects.
"""

from __future__ import annotations

import logging
from typing import Final

import nats
from nats.aio.client import Client as NatsClient

from services.agent.settings import AgentConfig
from services.common.nats_auth import AGENT_USER_PREFIX, agent_inbox

log = logging.getLogger(__name__)

RECONNECT_WAIT_SECONDS: Final = 2.0
"""Pause between attempts to reach NATS (at start and after losing it)."""
DRAIN_TIMEOUT_SECONDS: Final = 3
"""How long closing the connection may take to flush the last answers."""


class _ConnectionLog:
    """Logs connection trouble once per distinct error, not on every reconnect attempt."""

    def __init__(self) -> None:
        self.last_error = ""
        self.client: NatsClient | None = None

    async def error(self, err: Exception) -> None:
        text = f"{type(err).__name__}: {err}"
        if text != self.last_error:
            self.last_error = text
            log.warning("nats connection problem: %s", text)

    async def disconnected(self) -> None:
        if self.client is not None and self.client.is_closed:
            return  # the agent closed it
        log.warning("disconnected from nats; reconnecting")

    async def reconnected(self) -> None:
        self.last_error = ""
        log.info("reconnected to nats")


async def connect_nats(config: AgentConfig) -> NatsClient:
    """Connect to `KOMODO_NATS_URL` as this agent; waits (retrying every 2 s) until NATS answers.

    The inbox prefix is the agent's own (`_INBOX_<server_id>`), the only inbox NATS lets an agent subscribe to
    when the registry's auth callout decides permissions.
    """
    events = _ConnectionLog()
    credentials: dict[str, str] = {}
    servers = config.settings.nats_connect_urls()
    if config.token:
        # The agent's own NATS user; never the services' user, even when the environment holds one.
        credentials = {"user": f"{AGENT_USER_PREFIX}{config.server_id}", "password": config.token}
        servers = [url.strip() for url in config.settings.nats_url.split(",") if url.strip()]
    events.client = await nats.connect(
        servers=servers,
        **credentials,
        name=f"varanus-agent-{config.server_id}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=RECONNECT_WAIT_SECONDS,
        drain_timeout=DRAIN_TIMEOUT_SECONDS,
        inbox_prefix=agent_inbox(config.server_id),
        error_cb=events.error,
        disconnected_cb=events.disconnected,
        reconnected_cb=events.reconnected,
    )
    return events.client
