"""What the batch update checks share: the resources a pattern picks, checked a few at a time.

Komodo's batch answers are plain lists with no place for errors, so a resource whose check fails is left out of
the answer and logged (with its name and the error's message).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from services.common.errors import ServiceError
from services.common.patterns import select

log = logging.getLogger(__name__)

Answer = TypeVar("Answer")


async def check_picked(
    kind: str,
    pattern: str,
    listed: list[tuple[str, str]],
    check: Callable[[str], Awaitable[Answer]],
    concurrency: int,
) -> list[Answer]:
    """Run `check(id)` for every (id, name) of `listed` the pattern picks, `concurrency` at a time; the
    answers of those that succeeded, in the pattern's order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(resource_id: str, name: str) -> Answer | None:
        async with limit:
            try:
                return await check(resource_id)
            except (ServiceError, ValidationError) as err:
                log.warning("update check of %s %s failed: %s", kind, name, getattr(err, "message", err))
                return None

    answers = await asyncio.gather(*(one(rid, name) for rid, name in select(pattern, listed)))
    return [answer for answer in answers if answer is not None]
