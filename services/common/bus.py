"""A service's connection to the bus: request handlers, requests to other services, and events.

Requests are core NATS request/reply on `komodo.<kind>.<Name>` with one queue group per service. The faststream
broker owns the connection (and serves any faststream subscribers, such as JetStream consumers); request
handlers are plain nats-py subscriptions on that connection, because faststream's per-message dispatch grew with
the number of subscribers (about 1.5 ms per request at 128 subjects, against 0.5 ms at 70). Each reply carries
a `Komodo-Status` header (200 on success) and either the response JSON or Komodo's error envelope. Events go to
the JetStream stream `KOMODO_EVENTS` with the event id as `Nats-Msg-Id` so a retried publish is stored once:
through the service's outbox (`record`, or an event written with a document; `services/common/outbox.py`),
whose relay runs while the bus is up, or directly (`publish`, best-effort). Durable consumers
(`services/common/consumer.py`) run on the faststream broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from pydantic import ValidationError

from contracts.api.base import ErrorEnvelope, Request
from contracts.events.base import Event
from contracts.service_users import SERVICE_USERS
from contracts.subjects import EVENTS_STREAM, EVENTS_WILDCARD, STATUS_HEADER, queue_group
from services.common.caller import Authenticator, Caller
from services.common.consumer import Consumer, ensure_deadletter_stream
from services.common.encoded import Encoded
from services.common.errors import BadRequest, Forbidden, ServiceError, Unavailable, describe_validation_error
from services.common.json_numbers import may_hold_unstorable_numbers, unstorable_numbers
from services.common.logging import redactor
from services.common.outbox import DUPLICATE_WINDOW_SECONDS, Outbox, Publisher
from services.common.presence import Presence
from services.common.settings import Settings

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Request)

MAX_IN_FLIGHT = 256
"""Requests one service process handles at once; more wait in the subscription's queue."""

STOP_GRACE_SECONDS = 10.0
"""How long a stopping service lets requests in flight finish."""

EVENTS_MAX_AGE_SECONDS = 7 * 24 * 3600
"""How long events stay in the stream (consumers are durable; a week covers any restart)."""


@dataclass(frozen=True)
class RequestContext:
    """What a handler knows about the request besides its body."""

    caller: Caller
    """The user the request acts as."""
    headers: Mapping[str, str]
    """The request headers (credentials included: never log them)."""
    request_name: str
    """Komodo's name of the request."""


Handler = Callable[[Any, RequestContext], Awaitable[Any]]
"""A request handler: takes the validated request and its context, returns the response."""

_REPLY_HEADERS: ContextVar[dict[str, str] | None] = ContextVar("varanus_reply_headers", default=None)
"""Headers the handler of the request being answered in this task adds to a successful reply."""


def add_reply_header(name: str, value: str) -> None:
    """Send `name: value` with the reply to the request being handled, if it succeeds (nothing outside a
    handler run by `Bus`)."""
    extra = _REPLY_HEADERS.get()
    if extra is not None:
        extra[name] = value


class RemoteError(ServiceError):
    """An error envelope answered by another service, with its status."""

    def __init__(self, status: int, message: str, trace: list[str]) -> None:
        super().__init__(message, trace)
        self.status = status


def encode_error(err: ServiceError) -> bytes:
    """The JSON error envelope of `err`, secrets redacted."""
    envelope = ErrorEnvelope(
        error=redactor.redact(err.message), trace=[redactor.redact(t) for t in err.trace]
    )
    return envelope.model_dump_json().encode()


async def dispatch(
    request_cls: type[Request],
    handler: Handler,
    body: bytes,
    headers: Mapping[str, str],
    authenticate: Authenticator,
) -> tuple[int, bytes]:
    """Validate `body` as `request_cls`, run the handler and return (status, reply body).

    Every failure becomes Komodo's error envelope: a malformed body or a bad field is a 400 that names the
    request and the field; a `ServiceError` keeps its status; anything else is a 500 whose message names the
    request and an error id that is also in the log (no stack trace or secret reaches the caller).
    """
    name = request_cls.__name__
    try:
        caller = await authenticate(headers)
        if request_cls.KIND == "internal" and caller.user_id not in SERVICE_USERS:
            raise Forbidden(f"{name} is a request between Varanus services; users cannot send it")
        request = parse_request(request_cls, body)
        result = await handler(request, RequestContext(caller=caller, headers=headers, request_name=name))
        if isinstance(result, Encoded):
            return 200, result.data
        return 200, request_cls.response_adapter().dump_json(result, by_alias=True)
    except ServiceError as err:
        return err.status, encode_error(err)
    except ValidationError as err:
        # A handler that validates merged data (e.g. a partial config on top of the stored one) lands here.
        return 400, encode_error(describe_validation_error(err, f"{name} request"))
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("handler for %s failed", name, extra={"error_id": error_id})
        return 500, encode_error(ServiceError(f"internal error while handling {name} (error id {error_id})"))


def parse_request(request_cls: type[R], body: bytes) -> R:
    """Validate a request body (empty means `{}`); a 400 names malformed JSON or each bad field.

    JSON types are taken as they are (pydantic's strict mode, as Komodo's serde): `true` is not an integer and
    `0` or `"yes"` not a boolean. Unknown fields are still ignored.
    """
    name = request_cls.__name__
    try:
        request = request_cls.model_validate_json(body or b"{}", strict=True)
    except ValidationError as err:
        errors = err.errors(include_url=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest(f"malformed JSON in {name} request: {errors[0]['msg']}") from None
        if any(e["type"] == "model_type" and not e["loc"] for e in errors):
            raise BadRequest(f"the body of a {name} request must be a JSON object") from None
        raise describe_validation_error(err, f"{name} request") from None
    problems = unstorable_numbers(request) if may_hold_unstorable_numbers(body) else []
    if problems:
        raise BadRequest(f"invalid {name} request: " + "; ".join(problems[:3]), problems)
    return request


class Bus:
    """One service's bus: register handlers with `handle`, then `start`; `request` and `publish` go out."""

    def __init__(self, service: str, settings: Settings, authenticate: Authenticator) -> None:
        self.service = service
        self.settings = settings
        self.authenticate = authenticate
        self.broker = NatsBroker(
            settings.nats_connect_urls(),
            name=f"varanus-{service}",
            logger=None,
            error_cb=self._on_error,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
        )
        self._handled: dict[str, type[Request]] = {}
        self._handlers: dict[str, tuple[type[Request], Handler]] = {}
        self._subscriptions: list[Subscription] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._presence: Presence | None = None
        self.outbox: Outbox | None = None
        """The service's outbox, whose relay runs while the bus is up (set before `start`)."""
        self.consumers: list[Consumer] = []

    async def _on_error(self, err: Exception) -> None:
        log.error("nats error: %s", err)

    def handle(self, request_cls: type[R], handler: Callable[[R, RequestContext], Awaitable[Any]]) -> None:
        """Answer `request_cls` with `handler` (in this service's queue group, so replicas share the load)."""
        if request_cls.SUBJECT in self._handled:
            raise ValueError(f"{request_cls.__name__} already has a handler in {self.service}")
        self._handled[request_cls.SUBJECT] = request_cls
        self._handlers[request_cls.SUBJECT] = (request_cls, handler)

    def consume(self, consumer: Consumer) -> None:
        """Run a durable event consumer while the bus is up (before `start`)."""
        consumer.register(self.broker)
        self.consumers.append(consumer)

    def handler_of(self, request_cls: type[Request]) -> Handler:
        """The handler this service registered for `request_cls` (batch executions run the single one)."""
        return self._handlers[request_cls.SUBJECT][1]

    @property
    def handled(self) -> dict[str, type[Request]]:
        """The requests this service answers, by subject."""
        return dict(self._handled)

    async def _answer(self, request_cls: type[Request], handler: Handler, msg: Msg) -> None:
        extra: dict[str, str] = {}
        token = _REPLY_HEADERS.set(extra)
        try:
            status, payload = await dispatch(
                request_cls, handler, msg.data, msg.headers or {}, self.authenticate
            )
            if msg.reply:
                headers = {STATUS_HEADER: str(status)}
                if status == 200:
                    headers.update(extra)
                await self.nc.publish(msg.reply, payload, headers=headers)
        finally:
            _REPLY_HEADERS.reset(token)
            self._slots.release()

    async def _subscribe(self, request_cls: type[Request], handler: Handler) -> None:
        async def on_message(msg: Msg) -> None:
            # Each request runs in its own task, so a slow request does not hold up the others on its subject;
            # the semaphore bounds how many run at once.
            await self._slots.acquire()
            task = asyncio.create_task(self._answer(request_cls, handler, msg))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

        subscription = await self.nc.subscribe(
            request_cls.SUBJECT, queue=queue_group(self.service), cb=on_message
        )
        self._subscriptions.append(subscription)

    async def start(self) -> None:
        """Connect, make sure the events stream exists, and start answering."""
        await self.broker.connect()
        await ensure_events_stream(self.js)
        if self.consumers:
            await ensure_deadletter_stream(self.js)
            for consumer in self.consumers:
                await consumer.ensure_indexes()
        if self.outbox is not None:
            await self.outbox.ensure_indexes()
            self.outbox.start(Publisher(lambda: self.js))
        # Announce before subscribing: a request that arrives in between waits for this instance rather than
        # being told by the registry that nothing answers it.
        self._presence = Presence(self.service, list(self._handlers))
        await self._presence.start(self.js)
        for request_cls, handler in self._handlers.values():
            await self._subscribe(request_cls, handler)
        await self.broker.start()
        await self.nc.flush()

    async def stop(self) -> None:
        """Stop taking requests, let the ones in flight finish (up to 10 s), then close the connection."""
        if self._presence is not None:
            await self._presence.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._subscriptions.clear()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE_SECONDS)
        await self.broker.stop()

    @property
    def nc(self) -> NatsClient:
        """The underlying nats-py client (for JetStream, KV and object store)."""
        connection = self.broker.connection
        if connection is None:
            raise RuntimeError("the bus is not connected")
        return connection

    @property
    def js(self) -> JetStreamContext:
        """JetStream on this connection."""
        return self.nc.jetstream()

    async def request(
        self,
        request: Request,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        subject: str | None = None,
    ) -> Any:
        """Send `request` to whichever service answers it and return the validated response.

        Raises `RemoteError` with the answering service's status and message, or `Unavailable` when nothing
        answers in time.
        """
        return await request_over(
            self.nc, request, headers, timeout or self.settings.request_timeout, subject
        )

    async def record(self, *events: Event) -> None:
        """Store events in the service's outbox: from now on they are delivered at least once (the relay
        publishes them, retrying until JetStream acknowledges). Without an outbox, publish them at once."""
        if self.outbox is not None:
            await self.outbox.record(*events)
            return
        for event in events:
            await self.publish(event)

    async def publish(self, event: Event) -> None:
        """Store `event` in the events stream (at most once per event id), now: best-effort, for notifications
        that may be lost with a crash or an outage (events that must arrive go through the `outbox`)."""
        await self.js.publish(
            event.SUBJECT,
            event.model_dump_json(by_alias=True).encode(),
            headers={"Nats-Msg-Id": event.id},
            stream=EVENTS_STREAM,
        )


async def request_over(
    nc: NatsClient,
    request: Request,
    headers: Mapping[str, str] | None,
    timeout: float,
    subject: str | None = None,
) -> Any:
    """Send `request` on an open nats-py connection and decode the answer (see `Bus.request`).

    `subject` overrides the request's own (agent requests go to `komodo.agent.<server_id>.<Name>`).
    """
    name = type(request).__name__
    try:
        reply = await nc.request(
            subject or request.SUBJECT,
            request.model_dump_json(by_alias=True).encode(),
            timeout=timeout,
            headers=dict(headers or {}),
        )
    except nats.errors.NoRespondersError as err:
        raise Unavailable(f"no service answers {name}") from err
    except (TimeoutError, nats.errors.TimeoutError) as err:
        raise Unavailable(f"no answer to {name} within {timeout:g} s") from err
    status = int((reply.headers or {}).get(STATUS_HEADER, "200"))
    if status != 200:
        try:
            envelope = ErrorEnvelope.model_validate_json(reply.data)
        except ValidationError:
            envelope = ErrorEnvelope(error=f"{name} failed with status {status}", trace=[])
        raise RemoteError(status, envelope.error, envelope.trace)
    return type(request).response_adapter().validate_json(reply.data)


async def ensure_events_stream(js: JetStreamContext) -> None:
    """Create the `KOMODO_EVENTS` stream if it does not exist (several replicas may race: that is fine), and
    lengthen the de-duplication window of a stream made with a shorter one (the outbox relay relies on it)."""
    config = StreamConfig(
        name=EVENTS_STREAM,
        subjects=[EVENTS_WILDCARD],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=EVENTS_MAX_AGE_SECONDS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )
    try:
        info = await js.stream_info(EVENTS_STREAM)
        if (info.config.duplicate_window or 0) < DUPLICATE_WINDOW_SECONDS:
            info.config.duplicate_window = DUPLICATE_WINDOW_SECONDS
            await js.update_stream(info.config)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.stream_info(EVENTS_STREAM)  # another replica created it first
