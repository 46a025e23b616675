"""Procedure and action webhooks: the branch of the webhook URL (or `__ANY__`) against the pushed one, and what
an action's run gets in its ARGS (Komodo's `WEBHOOK_BRANCH` and `WEBHOOK_BODY`)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.api.execute.action import RunAction
from contracts.api.execute.procedure import RunProcedure
from services.gateway.webhooks.targets import (
    ANY_BRANCH,
    Target,
    branch_mismatch,
    executions,
    webhook_branch,
)


def target(kind: str, branch: str) -> Target:
    return Target(kind=kind, id="0" * 24, name="hook", secret="", enabled=True, branch=branch)


PUSH_MAIN = {"ref": "refs/heads/main"}
PUSH_DEV = {"ref": "refs/heads/dev"}
TAG = {"ref": "refs/tags/v1"}
NO_REF: dict[str, Any] = {"zen": "Keep it logically awesome."}


@pytest.mark.parametrize("kind", ["procedure", "action"])
def test_a_named_branch_runs_only_a_push_to_it(kind: str) -> None:
    assert branch_mismatch("github", target(kind, "main"), PUSH_MAIN) == ""
    skipped = branch_mismatch("gitlab", target(kind, "main"), PUSH_DEV)
    assert "push to branch 'dev' ignored" in skipped and "listens to branch 'main'" in skipped
    assert "no ref" in branch_mismatch("github", target(kind, "main"), NO_REF)
    assert "ignored" in branch_mismatch("github", target(kind, "v1"), TAG)  # a tag is no branch
    # The generic listener checks the branch only when the body names one.
    assert branch_mismatch("generic", target(kind, "main"), NO_REF) == ""
    assert "ignored" in branch_mismatch("generic", target(kind, "main"), {"branch": "dev"})


def test_any_branch_takes_any_push() -> None:
    for body in (PUSH_MAIN, PUSH_DEV, TAG):
        assert branch_mismatch("github", target("procedure", ANY_BRANCH), body) == ""
        assert branch_mismatch("github", target("action", ANY_BRANCH), body) == ""
    # Komodo does not read a procedure's body at all; an action's WEBHOOK_BRANCH comes from its ref.
    assert branch_mismatch("github", target("procedure", ANY_BRANCH), NO_REF) == ""
    assert "no ref" in branch_mismatch("gitlab", target("action", ANY_BRANCH), NO_REF)
    assert branch_mismatch("generic", target("action", ANY_BRANCH), NO_REF) == ""


def test_other_kinds_keep_their_own_branch_and_any_is_just_a_name() -> None:
    stack = Target(kind="stack", id="s", name="web", secret="", enabled=True, branch=ANY_BRANCH)
    assert "follows branch '__ANY__'" in branch_mismatch("github", stack, PUSH_MAIN)


def test_the_webhook_branch_is_the_ref_without_refs_heads() -> None:
    assert webhook_branch({"ref": "refs/heads/feature/x"}) == "feature/x"
    assert webhook_branch(TAG) == "refs/tags/v1"  # as Komodo's `replace("refs/heads/", "")` gives it
    assert webhook_branch({"branch": "dev"}) == "dev"
    assert webhook_branch(NO_REF) == ""


def test_an_action_runs_with_the_branch_and_the_body_a_procedure_plainly() -> None:
    body = {"ref": "refs/heads/dev", "repository": {"full_name": "acme/app"}}
    [run] = executions(target("action", ANY_BRANCH), ANY_BRANCH, body)
    assert run == RunAction(action="0" * 24, args={"WEBHOOK_BRANCH": "dev", "WEBHOOK_BODY": body})
    assert executions(target("procedure", "dev"), "dev", body) == [RunProcedure(procedure="0" * 24)]
