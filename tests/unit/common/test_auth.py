"""Password and secret hashing, API key format, and JWTs."""

from __future__ import annotations

import re
import time

import pytest

from services.common.auth import JwtSigner, hash_secret, new_api_key, verify_secret
from services.common.errors import Unauthorized


def test_hashes_are_salted_and_verified() -> None:
    first, second = hash_secret("correct horse"), hash_secret("correct horse")
    assert first != second and "correct horse" not in first
    assert verify_secret("correct horse", first) and verify_secret("correct horse", second)
    assert not verify_secret("wrong horse", first)
    assert not verify_secret("anything", "not-a-hash")
    assert not verify_secret("anything", "")


def test_api_key_format() -> None:
    key, secret = new_api_key()
    assert re.fullmatch(r"K_[A-Za-z0-9]{40}_K", key) and re.fullmatch(r"S_[A-Za-z0-9]{40}_S", secret)
    assert new_api_key() != (key, secret)


def test_jwt_round_trip_and_refusals() -> None:
    signer = JwtSigner("s" * 32, ttl_seconds=60)
    token = signer.issue("65a1b2c3d4e5f6a7b8c9d0e1")
    assert signer.verify(token) == "65a1b2c3d4e5f6a7b8c9d0e1"
    assert signer.verify(f"Bearer {token}") == "65a1b2c3d4e5f6a7b8c9d0e1"
    with pytest.raises(Unauthorized, match="invalid token"):
        JwtSigner("t" * 32, 60).verify(token)
    with pytest.raises(Unauthorized, match="invalid token"):
        signer.verify(token[:-3] + "abc")
    expired = JwtSigner("s" * 32, ttl_seconds=-10).issue("u")
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(expired)
    assert int(time.time()) > 0


def test_a_remembered_token_still_expires_and_a_changed_one_is_checked() -> None:
    signer = JwtSigner("s" * 32, ttl_seconds=1)
    token = signer.issue("u1")
    assert signer.verify(token) == "u1"
    assert signer.verify(token) == "u1"  # remembered
    header, payload, _ = token.split(".")
    with pytest.raises(Unauthorized, match="invalid token"):
        signer.verify(f"{header}.{payload}.{'A' * 43}")
    time.sleep(2.1)  # the lifetime is counted in whole seconds
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(token)


def test_a_reused_service_token_is_renewed_past_half_its_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = JwtSigner("s" * 32, ttl_seconds=60)
    issued: list[str] = []
    issue = signer.issue
    monkeypatch.setattr(signer, "issue", lambda user_id: issued.append(user_id) or issue(user_id))
    first = signer.reused("system")
    assert signer.reused("system") == first and signer.verify(first) == "system"
    assert issued == ["system"]
    start = time.monotonic()
    monkeypatch.setattr("services.common.auth.time.monotonic", lambda: start + 31)
    assert signer.verify(signer.reused("system")) == "system"
    assert issued == ["system", "system"]
