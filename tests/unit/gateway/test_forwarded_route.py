"""Which requests the gateway's plain ASGI forwarder answers, and which it leaves to FastAPI."""

from __future__ import annotations

import pytest

from services.gateway.app import forwarded_route


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/read", ("read", "")),
        ("POST", "/write", ("write", "")),
        ("POST", "/execute", ("execute", "")),
        ("POST", "/read/GetDeployment", ("read", "GetDeployment")),
        ("POST", "/execute/Deploy", ("execute", "Deploy")),
    ],
)
def test_the_forwarders_are_taken(method: str, path: str, expected: tuple[str, str]) -> None:
    assert forwarded_route(method, path) == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/read"),  # FastAPI answers 405, as before
        ("GET", "/read/GetDeployment"),
        ("POST", "/read/"),  # FastAPI's slash redirect
        ("POST", "/read/GetDeployment/"),
        ("POST", "/read/a/b"),
        ("POST", "/internal/GetLiveInfo"),  # not a public API
        ("POST", "/readx"),
        ("POST", "/auth/login/LoginLocalUser"),
        ("POST", "/listener/github/build/x"),
    ],
)
def test_everything_else_goes_to_fastapi(method: str, path: str) -> None:
    assert forwarded_route(method, path) is None
