"""Numbers MongoDB cannot store (integers beyond 64 bits) or JSON cannot say (NaN, infinities) are named."""

from __future__ import annotations

import pytest

from contracts.api.base import find_request
from contracts.catalog import load_all
from services.common.bus import parse_request
from services.common.errors import BadRequest
from services.common.json_numbers import INT64_MAX, INT64_MIN, may_hold_unstorable_numbers, unstorable_numbers


def test_each_unstorable_number_is_named_by_its_place() -> None:
    value = {"a": [1, 2**63], "b": {"c": float("nan"), "d": -(2**63) - 1}, "e": float("inf")}
    assert unstorable_numbers(value) == [
        "a.1: integer out of the 64-bit range [-9223372036854775808, 9223372036854775807]",
        "b.c: nan is not a finite number (JSON has no NaN or Infinity)",
        "b.d: integer out of the 64-bit range [-9223372036854775808, 9223372036854775807]",
        "e: inf is not a finite number (JSON has no NaN or Infinity)",
    ]


def test_storable_numbers_pass() -> None:
    assert unstorable_numbers({"a": [INT64_MIN, INT64_MAX, 1.5, True, None, "9" * 40]}) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"user_id": "u", "name": "n", "expires": 18446744073709551616}',
        b'{"user_id": "u", "name": "n", "expires": -9223372036854775809}',
    ],
)
def test_a_request_with_a_huge_integer_is_a_400_naming_the_field(body: bytes) -> None:
    load_all()
    request_cls = find_request("write", "CreateApiKeyForServiceUser")
    assert request_cls is not None
    with pytest.raises(BadRequest) as refused:
        parse_request(request_cls, body)
    assert refused.value.status == 400
    assert refused.value.message.startswith(
        "invalid CreateApiKeyForServiceUser request: expires: integer out of the 64-bit"
    )
    # Positive control: the largest 64-bit integer is fine.
    assert (
        parse_request(request_cls, b'{"user_id": "u", "name": "n", "expires": 9223372036854775807}').expires
        == INT64_MAX
    )


def test_nan_and_infinity_in_a_free_form_config_are_a_400() -> None:
    load_all()
    request_cls = find_request("write", "CreateServer")
    assert request_cls is not None
    for literal in (b"NaN", b"Infinity", b"1e999"):
        with pytest.raises(BadRequest) as refused:
            parse_request(request_cls, b'{"name": "s", "config": {"region": "x", "extra": ' + literal + b"}}")
        assert "is not a finite number" in refused.value.message


@pytest.mark.parametrize(
    "literal",
    [
        b"9223372036854775808",
        b"-9223372036854775809",
        b"NaN",
        b"-Infinity",
        b"1e999",
        b"1E+309",
        b"1e999 ",
        b"[1e999]",
        b"1" * 400 + b".0",
    ],
)
def test_the_body_precheck_finds_every_unstorable_literal(literal: bytes) -> None:
    # The precheck lets ordinary bodies skip the walk; it must never pass a body the walk would refuse.
    load_all()
    request_cls = find_request("write", "CreateServer")
    assert request_cls is not None
    body = b'{"name": "s", "config": {"region": "x", "extra": ' + literal + b"}}"
    assert may_hold_unstorable_numbers(body)
    with pytest.raises(BadRequest):
        parse_request(request_cls, body)


def test_ordinary_bodies_skip_the_walk() -> None:
    for body in (
        b'{"deployment": "web", "hints": {"65a1b2c3d4e5f6a7b8c9d0e1": {"server_id": "x"}}}',
        b'{"expires": 1796612400000, "page": 2, "limit": 100, "ratio": 1.5e10}',
        # Object ids are hex: an `e` followed by digits inside a string is not an exponent.
        b'{"ids": ["6b15e69157eee07af9c7f300", "6b15e691e7eee07af9c7e301"]}',
        b"",
    ):
        assert not may_hold_unstorable_numbers(body)
    # Positive control: the same shape with a 19-digit number out of range is walked.
    assert may_hold_unstorable_numbers(b'{"expires": 9223372036854775808}')
