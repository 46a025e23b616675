"""Freezing what is alive right after a slow full garbage collection, and only then."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from services.common import gc_freeze


@pytest.fixture
def clean() -> Iterator[None]:
    # Automatic passes off: only the test's own collections run (an automatic full pass in between made a full
    # run count two freezes).
    gc_freeze.uninstall()
    gc.unfreeze()
    gc.disable()
    yield
    gc.enable()
    gc_freeze.uninstall()
    gc.unfreeze()


class Node:
    """An object that can be in a reference cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.me: Node | None = None


def garbage_cycle() -> weakref.ref[Node]:
    node = Node()
    node.me = node
    return weakref.ref(node)


def test_a_slow_full_pass_is_followed_by_a_freeze_that_keeps_no_garbage(clean: None) -> None:
    freezer = gc_freeze.freeze_after_slow_collections(slow_seconds=0)
    held = [[i] for i in range(1000)]
    dead = garbage_cycle()
    gc.collect()
    assert freezer.freezes == 1
    assert gc.get_freeze_count() >= len(held)
    # The cycle was unreachable before the pass: collected, not frozen; one made after the freeze is too.
    assert dead() is None
    later = garbage_cycle()
    gc.collect()
    assert later() is None


def test_young_and_fast_passes_freeze_nothing(clean: None) -> None:
    freezer = gc_freeze.freeze_after_slow_collections(slow_seconds=60)
    gc.collect(0)
    gc.collect(1)
    gc.collect()
    assert freezer.freezes == 0
    assert gc.get_freeze_count() == 0
    gc_freeze.freeze_after_slow_collections(slow_seconds=0)
    gc.collect(1)
    assert freezer.freezes == 0


def test_it_is_installed_once_per_process(clean: None) -> None:
    first = gc_freeze.freeze_after_slow_collections()
    second = gc_freeze.freeze_after_slow_collections(slow_seconds=1)
    assert first is second and second.slow_seconds == 1
    assert sum(isinstance(cb, type(first)) for cb in gc.callbacks) == 1
    gc_freeze.uninstall()
    assert not any(isinstance(cb, type(first)) for cb in gc.callbacks)


def test_a_settled_service_freezes_what_it_built_but_not_its_garbage(clean: None) -> None:
    built = [[i] for i in range(1000)]
    dead = garbage_cycle()
    assert gc.get_freeze_count() == 0
    freezer = gc_freeze.settle()
    assert dead() is None, "garbage made while building is collected, not frozen"
    assert gc.get_freeze_count() >= len(built)
    assert freezer in gc.callbacks, "later slow full passes freeze again"
