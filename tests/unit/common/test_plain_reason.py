"""A refused request value explained in one line, without its input (which may be long or secret)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.api.agent.compose import StackFiles
from services.common.errors import plain_reason


def test_a_pydantic_error_names_the_fields_and_reasons_only() -> None:
    with pytest.raises(ValidationError) as caught:
        StackFiles(
            folder="web",
            project="web",
            file_paths=["../x.yaml"],
            files=[{"path": "../x.yaml", "contents": "password: hunter2-secret"}],  # type: ignore[list-item]
        )
    reason = plain_reason(caught.value)
    assert reason.startswith(
        "file_paths: file path '../x.yaml' must be a relative path inside the stack folder"
    )
    assert "files: " in reason and "Value error" not in reason
    assert "hunter2-secret" not in reason and "errors.pydantic.dev" not in reason


def test_another_value_error_keeps_its_message() -> None:
    assert plain_reason(ValueError("port 99999 is out of range")) == "port 99999 is out of range"
