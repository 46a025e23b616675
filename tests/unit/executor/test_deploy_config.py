"""How a Deployment's multi-line fields become the container's settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.api.agent.container import RunContainer
from services.executor.handlers.execute.deploy import environment, lines, registry_domain


def test_lines_drop_comments_and_blanks_and_split_commas_when_asked():
    text = "8080:80, 8443:443\n\n# web\n9000:9000 # metrics\n"
    assert lines(text, commas=True) == ["8080:80", "8443:443", "9000:9000"]
    assert lines("a=1,2\nb=3") == ["a=1,2", "b=3"]


def test_environment_accepts_komodos_forms():
    assert environment("A=1\nB: two words\n- C=3\n# D=4") == ["A=1", "B=two words", "C=3"]


@pytest.mark.parametrize(
    ("image", "domain"),
    [
        ("nginx:1.27", "docker.io"),
        ("library/nginx", "docker.io"),
        ("ghcr.io/acme/app:1", "ghcr.io"),
        ("127.0.0.1:5000/app", "127.0.0.1:5000"),
        ("localhost/app", "localhost"),
    ],
)
def test_registry_domain(image: str, domain: str):
    assert registry_domain(image) == domain


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("ports", ["80:eighty"], "80:eighty"),
        ("ports", ["8080:"], "8080:"),
        ("volumes", [":/data"], ":/data"),
        ("environment", ["=x"], "=x"),
        ("labels", ["team"], "team"),
    ],
)
def test_malformed_entries_are_refused_naming_them(field: str, value: list[str], said: str):
    with pytest.raises(ValidationError, match=said):
        RunContainer.model_validate({"name": "web", "image": "x", field: value})
    RunContainer(name="web", image="x", ports=["127.0.0.1:8080:80/udp"], volumes=["data:/data:ro"])
    # As `docker run -p`: a lone container port (a host port the engine picks) and ranges.
    RunContainer(name="web", image="x", ports=["8080", "8000-8005:8000-8005", "127.0.0.1::80"])
