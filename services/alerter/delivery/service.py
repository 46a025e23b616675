"""The delivery component of the alerter: the `alerter-deliveries` consumer, the retry sweep, the Alerter cache
and `TestAlerter`.

The consumer records one pending delivery per (alert event, chosen Alerter) and acknowledges the event once
they are recorded, not once sent. Each delivery is then sent in its own task with a timeout, so one slow
endpoint never holds up another, or the consumer. A failed attempt is recorded (error redacted) and tried again
after a back-off; every second the sweep starts the deliveries that are due and that nobody holds, so retries
(and deliveries a stopped process left) are driven by what is recorded, on any replica, after any restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from bson import ObjectId
from nats.aio.msg import Msg

from contracts.api.execute.alerter import TestAlerter
from contracts.api.read.alerter import GetAlerter, ListFullAlerters
from contracts.entities.alert import Alert, AlertDataTest, AlertResourceData
from contracts.entities.alerter import Alerter as AlerterEntity
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant, SeverityLevel
from contracts.entities.update import Log, Operation, Update
from contracts.events.alert import AlertEvent
from contracts.events.base import Event
from contracts.events.resource import ResourceChanged
from services.alerter.delivery import messages, records
from services.alerter.delivery.routing import skip_reason
from services.alerter.delivery.send import DeliveryError, send
from services.common import interpolation
from services.common.bus import RequestContext
from services.common.consumer import Consumer
from services.common.logging import redactor
from services.common.registry_client import credentials
from services.common.tasks import cancel_and_wait

if TYPE_CHECKING:
    from services.alerter.app import Alerter

log = logging.getLogger(__name__)

CONSUMER: Final = "alerter-deliveries"
"""The durable name of the delivery consumer."""
SWEEP_SECONDS: Final = 1.0
"""How often due deliveries (retries, and those a stopped process left) are looked for."""
CACHE_SECONDS: Final = 30.0
"""The longest the Alerter cache is used without reading the Alerters again (a lost change event)."""
LEASE_EXTRA_SECONDS: Final = 15.0
"""A claim lasts the send timeout plus this (loading variables, recording the outcome)."""


def now_ms() -> int:
    """The time in unix milliseconds."""
    return int(time.time() * 1000)


class Delivery:
    """Sends alert events to the Alerters that take them, and records each delivery."""

    def __init__(self, alerter: Alerter) -> None:
        self.alerter = alerter
        self.settings = alerter.settings
        self.db = alerter.db
        self.alerters: dict[str, AlerterEntity] = {}
        """The Alerters by id, as last read from the registry."""
        self._generation = 0
        self._loaded_generation = -1
        self._loaded_at = 0.0
        self._load_lock = asyncio.Lock()
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._sweep: asyncio.Task[None] | None = None
        self._subscription: Any = None
        self.sent = 0
        """Deliveries this process sent."""
        self.failures = 0
        """Attempts this process made that failed."""

    # --- wiring ---------------------------------------------------------------------------------------

    def consumer(self) -> Consumer:
        """The durable consumer of alert events (register before the bus starts). Batches are handled
        concurrently: the order of deliveries does not matter, only that each is recorded."""
        return Consumer(CONSUMER, "komodo.event.alert.>", self.on_alert_event, self.db, batch=16)

    async def start(self) -> None:
        """Follow Alerter changes, and start the sweep."""
        await records.ensure_indexes(self.db)
        # Every replica keeps its own cache: a plain subscription (no queue group) hears every change.
        self._subscription = await self.alerter.bus.nc.subscribe(
            ResourceChanged.SUBJECT, cb=self._on_resource
        )
        self._sweep = asyncio.create_task(self._sweep_loop())

    async def stop(self) -> None:
        """Stop sweeping and sending; a send cut short stays claimed until its lease runs out, then any
        replica (or this one, restarted) tries it again."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
        tasks = [t for t in [self._sweep, *self._inflight.values()] if t is not None]
        await cancel_and_wait(*tasks)

    # --- the Alerter cache ------------------------------------------------------------------------------

    async def _on_resource(self, msg: Msg) -> None:
        if b'"Alerter"' in msg.data:
            self._generation += 1

    def knows(self, alerter_id: str) -> bool:
        """Whether the cache holds this Alerter (tests wait for it)."""
        return alerter_id in self.alerters and self._loaded_generation == self._generation

    async def current(self) -> dict[str, AlerterEntity]:
        """The Alerters, read again when one changed or the cache is old."""
        async with self._load_lock:
            fresh = time.monotonic() - self._loaded_at < CACHE_SECONDS
            if self._loaded_generation == self._generation and fresh:
                return self.alerters
            generation = self._generation
            listed: list[AlerterEntity] = await self.alerter.bus.request(
                ListFullAlerters(limit=0), self.alerter.registry.system_headers()
            )
            self.alerters = {found.id: found for found in listed}
            self._loaded_generation = generation
            self._loaded_at = time.monotonic()
            return self.alerters

    # --- the consumer -----------------------------------------------------------------------------------

    async def on_alert_event(self, event: Event) -> None:
        """Record a delivery of the event to each Alerter that takes it, then start sending them."""
        if not isinstance(event, AlertEvent):
            return
        alerters = await self.current()
        at = now_ms()
        keys: list[str] = []
        for found in alerters.values():
            reason = skip_reason(found, event.alert, event.alerters, at, self.settings.timezone)
            if reason is not None:
                log.debug("alert %s not sent to alerter %s: %s", event.alert.id, found.name, reason)
                continue
            await records.record(self.db, event.id, type(event).__name__, event.alert, found)
            keys.append(records.delivery_key(event.id, found.id))
        for key in keys:
            self.kick(key)

    def kick(self, key: str) -> None:
        """Start an attempt at a delivery in its own task, unless this process is already at it."""
        running = self._inflight.get(key)
        if running is not None and not running.done():
            return
        task = asyncio.create_task(self._attempt(key))
        self._inflight[key] = task
        task.add_done_callback(self._done_with(key))

    def _done_with(self, key: str) -> Any:
        """A done-callback that forgets the attempt at `key`."""

        def done(_task: asyncio.Task[None]) -> None:
            self._inflight.pop(key, None)

        return done

    async def _sweep_loop(self) -> None:
        while True:
            try:
                for key in await records.due(self.db):
                    self.kick(key)
            except Exception as err:
                log.warning("could not look for due alert deliveries: %s", err)
            await asyncio.sleep(SWEEP_SECONDS)

    async def _attempt(self, key: str) -> None:
        timeout = self.settings.alert_delivery_timeout
        doc = await records.claim(self.db, key, int((timeout + LEASE_EXTRA_SECONDS) * 1000))
        if doc is None:
            return
        attempt = int(doc["attempts"])
        template_error: str | None = None
        try:
            alert = Alert.model_validate(doc["alert"])
            found = (await self.current()).get(str(doc["alerter_id"]))
            if found is None:
                raise DeliveryError("the Alerter was deleted")
            if not found.config.enabled:
                raise DeliveryError("the Alerter was disabled")
            msg = messages.message(
                alert, self.settings.host, str(doc["event"]), found.config.message_template
            )
            template_error = msg.template_error
            async with asyncio.timeout(timeout + LEASE_EXTRA_SECONDS / 2):
                await self._send(found, alert, msg, timeout)
        except Exception as err:
            self.failures += 1
            error = str(err) if isinstance(err, DeliveryError) else f"{type(err).__name__}: {err}"
            error = redactor.redact(error)[:1000]
            final = attempt >= self.settings.alert_delivery_attempts or error.startswith("the Alerter was")
            retry = None if final else records.backoff_ms(attempt, self.settings.alert_delivery_backoff)
            log.warning("alert delivery %s failed (attempt %d): %s", key, attempt, error)
            await records.mark_failed(self.db, key, attempt, error, template_error, retry)
            return
        self.sent += 1
        await records.mark_sent(self.db, key, attempt, template_error)

    async def _send(self, found: AlerterEntity, alert: Alert, msg: messages.Message, timeout: float) -> None:
        """Interpolate the Alerter's URL with the current variables and secrets, and send."""
        loaded = await interpolation.load(
            self.alerter.bus, self.alerter.registry.system_headers(), self.settings, skip_secrets=False
        )
        await send(found.config, alert, msg, loaded, timeout)

    # --- TestAlerter ------------------------------------------------------------------------------------

    async def test_alerter(self, req: TestAlerter, ctx: RequestContext) -> Update:
        """Send a Test alert to one Alerter now (filters, maintenance and `enabled` bypassed), with an Update
        whose log says whether it was sent or why not (redacted)."""
        found: AlerterEntity = await self.alerter.bus.request(
            GetAlerter(alerter=req.alerter), credentials(ctx.headers)
        )
        target = ResourceTarget(type=ResourceTargetVariant.Alerter, id=found.id)
        await self.alerter.registry.require(ctx.headers, target, PermissionLevel.Execute, found.name)
        update = await self.alerter.registry.create_update(Operation.TestAlerter, target, ctx.caller.username)
        alert = Alert(
            id=str(ObjectId()),
            ts=update.start_ts or now_ms(),
            resolved=True,
            resolved_ts=update.start_ts or now_ms(),
            level=SeverityLevel.Ok,
            target=target,
            data=AlertDataTest(data=AlertResourceData(id=found.id, name=found.name)),
        )
        msg = messages.message(alert, self.settings.host, "Test", found.config.message_template)
        start = now_ms()
        kind = found.config.endpoint.type
        notes = (
            [] if found.config.enabled else ["the Alerter is disabled: alerts reach it once it is enabled"]
        )
        if msg.template_error:
            notes.append(f"{msg.template_error} (the standard text was sent)")
        try:
            await self._send(found, alert, msg, self.settings.alert_delivery_timeout)
        except Exception as err:
            error = str(err) if isinstance(err, DeliveryError) else f"{type(err).__name__}: {err}"
            entry = Log(
                stage="Test Alerter",
                stdout="\n".join(notes),
                stderr=redactor.redact(error),
                success=False,
                start_ts=start,
                end_ts=now_ms(),
            )
        else:
            entry = Log(
                stage="Test Alerter",
                stdout="\n".join([f"sent a test alert to the {kind} endpoint", *notes]),
                success=True,
                start_ts=start,
                end_ts=now_ms(),
            )
        await self.alerter.registry.append_log(update.id, entry)
        return await self.alerter.registry.finish(update.id)
