"""The CLI's source index of requests agrees with the contracts' registry."""

from __future__ import annotations

import pytest

from contracts.api.base import REQUESTS
from contracts.catalog import load_all
from varanus_cli.catalog import KINDS, describe_type, index, request_class, summary
from varanus_cli.errors import UsageError


@pytest.mark.parametrize("kind", KINDS)
def test_source_index_matches_the_registry(kind: str) -> None:
    load_all()
    entries = index(kind)
    # Other test modules define requests of their own; only those of `contracts` are the API.
    registered = {name for name, cls in REQUESTS[kind].items() if cls.__module__.startswith("contracts.")}
    assert sorted(entries) == sorted(registered)
    for name, entry in entries.items():
        cls = REQUESTS[kind][name]
        assert entry.module == cls.__module__
        assert entry.summary == summary(cls) != ""


def test_request_class_by_name_any_case_or_a_usage_error() -> None:
    assert request_class("read", "GetDeployment").__name__ == "GetDeployment"
    assert request_class("execute", "runbuild").__name__ == "RunBuild"
    with pytest.raises(UsageError) as err:
        request_class("read", "GetDeploymnt")
    assert err.value.message == "unknown read request 'GetDeploymnt'"
    assert err.value.details[0].startswith("did you mean: GetDeployment")
    with pytest.raises(UsageError) as wrong_kind:
        request_class("write", "GetDeployment")
    assert "GetDeployment is in the read API: varanus read GetDeployment" in wrong_kind.value.details


def test_describe_type() -> None:
    assert describe_type(request_class("read", "GetDeployment").RESPONSE) == "Deployment"
    assert describe_type(request_class("read", "ListTags").RESPONSE) == "list of Tag"
    assert describe_type(request_class("write", "CloseAlert").RESPONSE) == "{}"
    batch = describe_type(request_class("execute", "BatchRunBuild").RESPONSE)
    assert batch == "list of BatchExecutionOk or BatchExecutionErr"
