"""Loads every contract module so that `REQUESTS` and the event registry are complete."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import contracts


@cache
def load_all() -> None:
    """Import every module under `contracts` once (request classes register themselves on import)."""
    for module in pkgutil.walk_packages(contracts.__path__, prefix="contracts."):
        importlib.import_module(module.name)
