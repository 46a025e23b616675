"""How the executor keeps up with the agents' heartbeats (for operators and the fleet benchmark)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import InternalRequest
from contracts.base import KomodoModel
from contracts.entities.common import I64


class FleetStats(KomodoModel):
    """Heartbeat handling by one executor replica since the last reset."""

    heartbeats: I64 = 0
    """Heartbeats handled."""
    servers: I64 = 0
    """Servers this replica holds a status for."""
    handling_p50_us: float = 0.0
    """Median time to handle one heartbeat (parse, validate, cache), in microseconds."""
    handling_p99_us: float = 0.0
    """99th percentile of that time."""
    lag_p50_ms: float = 0.0
    """Median time from the agent taking a status to this replica holding it, in milliseconds."""
    lag_p99_ms: float = 0.0
    """99th percentile of that lag."""
    pending: I64 = 0
    """Heartbeats received but not handled yet (growing: this replica falls behind)."""


class GetFleetStats(InternalRequest):
    """Ask one executor replica how it keeps up with heartbeats."""

    RESPONSE: ClassVar[Any] = FleetStats

    reset: bool = False
    """Start a new measuring window after answering."""
