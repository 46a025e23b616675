"""Where the CLI finds the server and its credentials: flags, then environment, then a TOML file."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from varanus_cli.errors import UsageError

DEFAULT_URL = "http://127.0.0.1:9120"
"""The gateway of a local `./run up`."""

FILE_KEYS = ("url", "api_key", "api_secret", "jwt")
"""The keys a config file may hold."""

ENV_KEYS = {
    "url": "KOMODO_URL",
    "api_key": "KOMODO_API_KEY",
    "api_secret": "KOMODO_API_SECRET",
    "jwt": "KOMODO_JWT",
}
"""The environment variable of each setting; it wins over the file."""


def default_config_path(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/varanus/config.toml`, or `~/.config/varanus/config.toml`."""
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "varanus" / "config.toml"


@dataclass(frozen=True)
class Config:
    """The settings in effect for one command."""

    url: str
    """Base URL of the gateway, without a trailing slash."""
    api_key: str | None = None
    """API key (`K_..._K`), sent as `X-Api-Key`."""
    api_secret: str | None = None
    """API secret (`S_..._S`), sent as `X-Api-Secret`; never printed."""
    jwt: str | None = None
    """A log-in JWT, sent as `Authorization` when no API key is set."""
    file: Path | None = None
    """The config file that was looked for (read when it exists)."""
    file_found: bool = False
    """Whether that file existed and was read."""
    warnings: tuple[str, ...] = ()
    """Things worth telling the user that do not stop the command (e.g. a file others can read)."""

    @property
    def has_credentials(self) -> bool:
        """Whether an API key and secret, or a JWT, are configured."""
        return bool(self.api_key and self.api_secret) or bool(self.jwt)

    def source_hint(self) -> str:
        """Where credentials can be set, for messages about missing or wrong ones."""
        where = str(self.file) if self.file else str(default_config_path(os.environ))
        return f"set KOMODO_API_KEY and KOMODO_API_SECRET, or api_key and api_secret in {where}"


def _read_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """The settings of a config file, and warnings about it; a malformed file is a usage error."""
    try:
        text = path.read_bytes().decode()
    except OSError as err:
        raise UsageError(f"cannot read config file {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise UsageError(f"config file {path} is not UTF-8 text") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"config file {path} is not valid TOML: {err}") from err
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise UsageError(
            f"unknown key {unknown[0]!r} in config file {path}", [f"known keys: {', '.join(FILE_KEYS)}"]
        )
    values: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise UsageError(f"key {key!r} in config file {path} must be a string")
        values[key] = value
    warnings: list[str] = []
    # A secret in a file that others can read is as good as published; say so, as ssh does for keys.
    if values.get("api_secret") or values.get("jwt"):
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(f"config file {path} holds a secret and others can read it (chmod 600 {path})")
    return values, warnings


def load_config(env: Mapping[str, str], config_path: str | None = None, url: str | None = None) -> Config:
    """Resolve the settings: `--url`, then environment variables, then the config file, then defaults.

    The file is `config_path` (`--config`), else `$VARANUS_CONFIG`, else the default path; a file named
    explicitly must exist, the default one may be absent.
    """
    explicit = config_path or env.get("VARANUS_CONFIG") or None
    path = Path(explicit).expanduser() if explicit else default_config_path(env)
    file_values: dict[str, str] = {}
    warnings: list[str] = []
    found = path.is_file()
    if explicit and not found:
        raise UsageError(f"config file {path} does not exist")
    if found:
        file_values, warnings = _read_file(path)

    def setting(key: str) -> str | None:
        return env.get(ENV_KEYS[key]) or file_values.get(key) or None

    resolved_url = (url or setting("url") or DEFAULT_URL).rstrip("/")
    if not resolved_url.startswith(("http://", "https://")):
        raise UsageError(f"the Komodo URL must start with http:// or https://, got {resolved_url!r}")
    return Config(
        url=resolved_url,
        api_key=setting("api_key"),
        api_secret=setting("api_secret"),
        jwt=setting("jwt"),
        file=path,
        file_found=found,
        warnings=tuple(warnings),
    )
