"""The command line as a whole, in process: where options may go, and the exit status of usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.common.embedded import free_port
from varanus_cli.main import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """No Komodo settings from the test process; a URL where nothing listens."""
    for name in ("KOMODO_URL", "KOMODO_API_KEY", "KOMODO_API_SECRET", "KOMODO_JWT", "VARANUS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("KOMODO_URL", url)
    return url


def test_global_config_before_the_command_and_field_config_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_env: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'url = "{clean_env}"\n')
    code = main(
        ["--config", str(path), "write", "CreateServer", "--name", "x", "--config", '{"region": "eu"}']
    )
    assert code == 1
    assert capsys.readouterr().err.startswith(f"error: cannot connect to Komodo at {clean_env}")


def test_varanus_options_after_the_request_name(capsys: pytest.CaptureFixture[str]) -> None:
    other = f"http://127.0.0.1:{free_port()}"
    assert main(["read", "GetDeployment", "--deployment", "web", "--url", other, "--json"]) == 1
    assert f"cannot connect to Komodo at {other}" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: varanus" in capsys.readouterr().err
    assert main(["ls", "deployments", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    assert main(["run", "gizmo", "x", "-y"]) == 2
    assert "invalid choice: 'gizmo'" in capsys.readouterr().err
    assert main(["get", "gizmo", "x"]) == 2
    assert "cannot get a 'gizmo'" in capsys.readouterr().err


def test_kind_listing_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "execute"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = [entry["name"] for entry in listing]
    assert "RunBuild" in names and "Deploy" in names and "GetDeployment" not in names
    assert all(entry["summary"] for entry in listing)


def test_execution_without_a_terminal_needs_yes(capsys: pytest.CaptureFixture[str]) -> None:
    # pytest's stdin is not a terminal; the refusal comes before anything is sent.
    assert main(["deploy", "web"]) == 2
    assert "Execute Deploy on deployment=web needs confirmation" in capsys.readouterr().err
