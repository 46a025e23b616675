"""Rules every contract model keeps: frozen, unknown fields ignored, every field described, schema producible."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

import contracts
from contracts.api.base import REQUESTS, Request
from contracts.base import KomodoModel
from contracts.catalog import load_all
from contracts.events.base import EVENTS
from contracts.schema import all_models, schema_of

load_all()


MODELS = list(all_models().values())


def test_contracts_package_has_models() -> None:
    assert contracts.__doc__
    assert len(MODELS) > 50


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__qualname__}")
def test_model_is_komodo_model_and_documented(model: type[BaseModel]) -> None:
    assert issubclass(model, KomodoModel)
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "ignore"
    assert (model.__doc__ or "").strip(), "class docstring missing"
    undescribed = [
        name for name, field in model.model_fields.items() if not (field.description or "").strip()
    ]
    assert undescribed == [], f"fields without description: {undescribed}"
    schema_of(model)


def test_request_subjects_follow_class_names() -> None:
    pattern = re.compile(r"^komodo\.(read|write|execute|internal)\.[A-Z][A-Za-z0-9]+$")
    total = 0
    for kind, requests in REQUESTS.items():
        for name, cls in requests.items():
            assert issubclass(cls, Request)
            if kind == "agent":
                # Agent requests go to one host: the class holds the wildcard, subject_for the real subject.
                assert f"komodo.agent.*.{name}" == cls.SUBJECT
                assert cls.subject_for("abc123") == f"komodo.agent.abc123.{name}"  # type: ignore[attr-defined]
                continue
            assert f"komodo.{kind}.{name}" == cls.SUBJECT
            assert pattern.match(cls.SUBJECT)
            cls.response_adapter()  # the response type is resolvable
            total += 1
    assert total > 0


def test_event_subjects() -> None:
    assert EVENTS
    for subject, cls in EVENTS.items():
        assert subject == f"komodo.event.{cls.KIND}.{cls.__name__}"
