"""Awaiting independent reads at once while failing as running them one after another would.

An execution reads several things before it starts (the resource, the caller's permission on it, its server,
the variables): each is a bus round trip, and none needs another's answer. `together` runs them at once, then
raises the error of the first step, in the order given, that failed: the error a sequential run would have met
first (a 403 on the resource before a failure to read the variables), so callers see the same answers. The
steps after a failed one still run to their end; they must be reads whose results are simply dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, overload

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@overload
async def together(first: Awaitable[A], second: Awaitable[B], /) -> tuple[A, B]: ...


@overload
async def together(first: Awaitable[A], second: Awaitable[B], third: Awaitable[C], /) -> tuple[A, B, C]: ...


async def together(*steps: Awaitable[Any]) -> tuple[Any, ...]:
    """The results of `steps`, run at once, in order; the error of the first failing step (in that order)."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return tuple(results)
