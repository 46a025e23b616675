"""Which server of a Server builder runs a build."""

from __future__ import annotations

from services.builder.backends import least_busy


def test_the_ok_server_with_fewest_running_builds_wins() -> None:
    states = {"a": "Ok", "b": "Ok", "c": "NotOk"}
    assert least_busy(["a", "b", "c"], states, {"a": 2, "b": 1}) == "b"
    assert least_busy(["a", "b", "c"], states, {"a": 1, "b": 1}) == "a"  # a tie keeps the builder's order
    assert least_busy(["c", "a"], states, {"a": 5}) == "a"  # a down server is never chosen, however idle


def test_none_when_no_server_is_ok() -> None:
    assert least_busy(["a", "b"], {"a": "NotOk", "b": "Disabled"}, {}) is None
