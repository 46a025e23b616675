"""Where the settings come from: --url, then the environment, then the config file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from varanus_cli.config import DEFAULT_URL, load_config
from varanus_cli.errors import UsageError


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_defaults_without_file(tmp_path: Path) -> None:
    config = load_config({"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert config.url == DEFAULT_URL and not config.has_credentials
    assert config.file == tmp_path / "xdg" / "varanus" / "config.toml" and not config.file_found


def test_file_then_env_then_flag(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'url = "http://file:1/"\napi_key = "K_f_K"\napi_secret = "S_f_S"\n')
    from_file = load_config({}, str(path))
    assert (from_file.url, from_file.api_key, from_file.api_secret) == ("http://file:1", "K_f_K", "S_f_S")
    env = {"VARANUS_CONFIG": str(path), "KOMODO_URL": "http://env:2", "KOMODO_API_SECRET": "S_e_S"}
    from_env = load_config(env)
    assert (from_env.url, from_env.api_key, from_env.api_secret) == ("http://env:2", "K_f_K", "S_e_S")
    assert load_config(env, url="https://flag:3").url == "https://flag:3"
    assert load_config({"KOMODO_JWT": "jwt"}, str(path)).jwt == "jwt"


def test_file_problems_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_config({}, str(tmp_path / "absent.toml"))
    with pytest.raises(UsageError, match="is not valid TOML"):
        load_config({}, str(write(tmp_path / "bad.toml", "url = ")))
    with pytest.raises(UsageError, match="unknown key 'secret'"):
        load_config({}, str(write(tmp_path / "key.toml", 'secret = "x"')))
    with pytest.raises(UsageError, match="must be a string"):
        load_config({}, str(write(tmp_path / "int.toml", "url = 1")))
    with pytest.raises(UsageError, match="must start with http"):
        load_config({"KOMODO_URL": "localhost:9120"})


def test_secret_in_a_readable_file_warns(tmp_path: Path) -> None:
    readable = write(tmp_path / "r.toml", 'api_secret = "S_x_S"', 0o644)
    assert "others can read it" in load_config({}, str(readable)).warnings[0]
    assert load_config({}, str(write(tmp_path / "p.toml", 'api_secret = "S_x_S"'))).warnings == ()
    assert load_config({}, str(write(tmp_path / "u.toml", 'url = "http://x"', 0o644))).warnings == ()
