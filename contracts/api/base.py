"""Requests and the shapes every answer shares.

Each request class knows its subject (`komodo.<kind>.<ClassName>`) and its response type, and is entered in
`REQUESTS` when it is defined, so services, the gateway and the CLI find requests by name.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, TypeAdapter

from contracts.base import KomodoModel
from contracts.subjects import agent_subject, request_subject

RequestKind = Literal["read", "write", "execute", "internal", "agent"]

REQUESTS: dict[str, dict[str, type[Request]]] = {
    "read": {},
    "write": {},
    "execute": {},
    "internal": {},
    "agent": {},
}
"""Every request class by kind and name, filled as the classes are defined."""

_ABSTRACT = {"Request", "ReadRequest", "WriteRequest", "ExecuteRequest", "InternalRequest", "AgentRequest"}


class Request(KomodoModel):
    """A request on the bus; the class name is Komodo's request name."""

    KIND: ClassVar[RequestKind]
    SUBJECT: ClassVar[str]
    RESPONSE: ClassVar[Any] = None
    """The response type (a model, a list of models, or any type pydantic can validate)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__name__ in _ABSTRACT:
            return
        # An agent request goes to one host: its SUBJECT is the wildcard pattern, `subject_for` the real one.
        cls.SUBJECT = (
            agent_subject("*", cls.__name__)
            if cls.KIND == "agent"
            else request_subject(cls.KIND, cls.__name__)
        )
        known = REQUESTS[cls.KIND]
        if cls.__name__ in known and known[cls.__name__] is not cls:
            raise TypeError(f"request {cls.KIND}.{cls.__name__} is defined twice")
        known[cls.__name__] = cls

    @classmethod
    def response_adapter(cls) -> TypeAdapter[Any]:
        """A TypeAdapter that validates and dumps this request's response."""
        cached: TypeAdapter[Any] | None = cls.__dict__.get("_response_adapter")
        if cached is None:
            cached = TypeAdapter(cls.RESPONSE if cls.RESPONSE is not None else NoData)
            type.__setattr__(cls, "_response_adapter", cached)
        return cached


class ReadRequest(Request):
    """A request of Komodo's read API (`/read`)."""

    KIND: ClassVar[RequestKind] = "read"


class WriteRequest(Request):
    """A request of Komodo's write API (`/write`)."""

    KIND: ClassVar[RequestKind] = "write"


class ExecuteRequest(Request):
    """A request of Komodo's execute API (`/execute`); answered at once with the Update that tracks the work."""

    KIND: ClassVar[RequestKind] = "execute"


class InternalRequest(Request):
    """A request between Varanus services (`komodo.internal.*`); not part of Komodo's public API."""

    KIND: ClassVar[RequestKind] = "internal"


class AgentRequest(Request):
    """A request to the agent of one host (`komodo.agent.<server_id>.<Name>`): Komodo's Periphery requests."""

    KIND: ClassVar[RequestKind] = "agent"

    @classmethod
    def subject_for(cls, server_id: str) -> str:
        """The subject of this request to the agent of `server_id`."""
        return agent_subject(server_id, cls.__name__)


class NoData(KomodoModel):
    """Komodo's empty answer `{}`."""


class ErrorEnvelope(KomodoModel):
    """Komodo's error body: a top-level message and the chain of causes."""

    error: str
    """The top-level error message."""
    trace: list[str] = Field(default_factory=list)
    """Causes, outermost first."""


def find_request(kind: str, name: str) -> type[Request] | None:
    """Return the request class of that kind and name, or None."""
    return REQUESTS.get(kind, {}).get(name)
