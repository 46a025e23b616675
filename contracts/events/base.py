"""The event envelope shared by every event."""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64, ResourceTarget
from contracts.subjects import event_subject

EVENTS: dict[str, type[Event]] = {}
"""Every event class by subject."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class Event(KomodoModel):
    """Envelope of an event: its id doubles as the `Nats-Msg-Id`, so JetStream drops duplicates."""

    KIND: ClassVar[str]
    SUBJECT: ClassVar[str]
    VERSION: ClassVar[int] = 1

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Unique id of this event (also the JetStream de-duplication id)."""
    time: I64 = Field(default_factory=_now_ms)
    """When the event happened (unix ms)."""
    version: int = 1
    """Schema version of the event body."""
    resource: ResourceTarget | None = None
    """The resource the event is about, if any."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__dict__.get("KIND") is None:
            return
        cls.SUBJECT = event_subject(cls.KIND, cls.__name__)
        EVENTS[cls.SUBJECT] = cls
