"""Write requests about alerts (`/write`, admin only)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import NoData, WriteRequest


class CloseAlert(WriteRequest):
    """Resolve an open alert by hand; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    id: str
    """The alert id."""
