"""Events of resource syncs."""

from __future__ import annotations

from typing import ClassVar

from contracts.events.base import Event


class ResourceSyncPendingChanged(Event):
    """A sync's refresh found changes waiting where there were none, or none where there were (published by the
    sync service through its outbox, once per flip; `resource` is the sync). The alerter opens Komodo's
    `ResourceSyncPendingUpdates` alert on `pending` (when `pending_alert`) and resolves it on its end."""

    KIND: ClassVar[str] = "sync"

    name: str
    """The sync's name."""
    pending: bool
    """Whether changes or deploys are pending now."""
    pending_alert: bool = True
    """The sync's `pending_alert`: whether it wants an alert while pending."""
