"""Webhook signatures: GitHub's HMAC (the vector from GitHub's documentation), GitLab's and the generic token,
all compared in constant time; and the branch a push names."""

from __future__ import annotations

import hmac
from typing import Any

import pytest

from services.gateway.webhooks import verify
from services.gateway.webhooks.targets import pushed_branch

# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_the_github_signature_is_hmac_sha256_of_the_raw_body() -> None:
    assert verify.github_signature(GITHUB_SECRET, GITHUB_BODY) == GITHUB_SIGNATURE
    assert verify.valid("github", GITHUB_SECRET, GITHUB_BODY, {"x-hub-signature-256": GITHUB_SIGNATURE})


@pytest.mark.parametrize(
    ("secret", "body", "signature"),
    [
        ("another secret", GITHUB_BODY, GITHUB_SIGNATURE),
        (GITHUB_SECRET, b"Hello, World?", GITHUB_SIGNATURE),
        (GITHUB_SECRET, GITHUB_BODY, GITHUB_SIGNATURE.removeprefix("sha256=")),
        (GITHUB_SECRET, GITHUB_BODY, GITHUB_SIGNATURE.upper()),
        (GITHUB_SECRET, GITHUB_BODY, ""),
        ("", GITHUB_BODY, verify.github_signature("", GITHUB_BODY)),
    ],
)
def test_a_wrong_or_missing_github_signature_or_an_empty_secret_is_refused(
    secret: str, body: bytes, signature: str
) -> None:
    assert not verify.valid("github", secret, body, {"x-hub-signature-256": signature})


def test_gitlab_sends_the_secret_itself() -> None:
    assert verify.valid("gitlab", "s3cret", b"{}", {"x-gitlab-token": "s3cret"})
    assert not verify.valid("gitlab", "s3cret", b"{}", {"x-gitlab-token": "s3cre"})
    assert not verify.valid("gitlab", "s3cret", b"{}", {})
    assert not verify.valid("gitlab", "", b"{}", {"x-gitlab-token": ""})
    # A GitHub signature is no GitLab token.
    assert not verify.valid("gitlab", GITHUB_SECRET, GITHUB_BODY, {"x-hub-signature-256": GITHUB_SIGNATURE})


def test_the_generic_listener_takes_its_header_or_a_bearer_token() -> None:
    assert verify.valid("generic", "tok", b"", {"x-komodo-webhook-token": "tok"})
    assert verify.valid("generic", "tok", b"", {"authorization": "Bearer tok"})
    assert not verify.valid("generic", "tok", b"", {"authorization": "Basic tok"})
    assert not verify.valid("generic", "tok", b"", {"authorization": "Bearer tok2"})
    assert not verify.valid("generic", "tok", b"", {})
    assert not verify.valid("generic", "", b"", {"x-komodo-webhook-token": ""})


@pytest.mark.parametrize(
    ("provider", "headers"),
    [
        ("github", {"x-hub-signature-256": GITHUB_SIGNATURE}),
        ("gitlab", {"x-gitlab-token": GITHUB_SECRET}),
        ("generic", {"x-komodo-webhook-token": GITHUB_SECRET}),
        ("generic", {"authorization": f"Bearer {GITHUB_SECRET}"}),
    ],
)
def test_every_check_compares_in_constant_time(
    provider: str, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, Any]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(verify.hmac, "compare_digest", spy)
    assert verify.valid(provider, GITHUB_SECRET, GITHUB_BODY, headers)
    assert len(calls) == 1


def test_ping_events_are_recognised() -> None:
    assert verify.is_ping({"x-github-event": "ping"})
    assert verify.is_ping({"x-gitea-event": "ping"})
    assert not verify.is_ping({"x-github-event": "push"})
    assert not verify.is_ping({})


def test_the_pushed_branch_comes_from_ref_or_branch() -> None:
    assert pushed_branch({"ref": "refs/heads/main"}) == "main"
    assert pushed_branch({"ref": "refs/heads/feature/x"}) == "feature/x"
    assert pushed_branch({"ref": "refs/tags/v1"}) == ""
    assert pushed_branch({"branch": "dev"}) == "dev"
    assert pushed_branch({"ref": "dev"}) == "dev"
    assert pushed_branch({"commits": []}) is None
