"""Settings every Varanus process reads, under Komodo's `KOMODO_*` names.

Each secret setting also has a `*_FILE` variant (`KOMODO_SECRETS_KEY_FILE`, `KOMODO_DATABASE_PASSWORD_FILE`, ...):
when it is set, the value is read from that file, so secrets can come from Docker or compose secrets.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.entities.common import Timelength
from contracts.entities.provider import GitProvider, ImageRegistry

SECRET_FIELDS = (
    "secrets_key",
    "jwt_secret",
    "database_password",
    "database_uri",
    "webhook_secret",
    "init_admin_password",
    "nats_auth_password",
    "nats_services_password",
    "nats_password",
    "nats_issuer_seed",
)
"""Settings that may be given through a `KOMODO_<NAME>_FILE` file."""


class Settings(BaseSettings):
    """Configuration of a Varanus process, read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="KOMODO_", extra="ignore", frozen=True, populate_by_name=True
    )

    title: str = "Varanus"
    """Title shown to clients (`GetCoreInfo`)."""
    host: str = "http://127.0.0.1:9120"
    """Public address of the gateway, used in links and webhook URLs."""
    port: int = 9120
    """Port of the HTTP gateway."""
    bind_ip: str = "127.0.0.1"
    """Address the gateway listens on (`0.0.0.0` for every interface)."""
    trusted_proxies: str = Field(
        default="",
        validation_alias=AliasChoices("KOMODO_TRUSTED_PROXIES", "VARANUS_TRUSTED_PROXIES", "trusted_proxies"),
    )
    """Comma-separated addresses or networks (`10.0.0.5,172.16.0.0/12`) of reverse proxies whose
    `X-Forwarded-For` and `X-Forwarded-Proto` the gateway believes; from any other peer they are ignored, so
    the client address (rate limits, logs) is the peer's. Empty (the default): nobody is trusted."""
    nats_url: str = "nats://127.0.0.1:4222"
    """NATS server(s); several comma-separated URLs for a cluster."""
    database_uri: SecretStr = SecretStr("")
    """Full MongoDB URI; when empty it is built from the address, username and password."""
    database_address: str = "127.0.0.1:27017"
    """MongoDB host:port (Komodo's `database.address`)."""
    database_username: str = ""
    """MongoDB user."""
    database_password: SecretStr = SecretStr("")
    """MongoDB password."""
    database_app_name: str = "varanus"
    """Application name reported to MongoDB."""
    db_prefix: str = Field(default="varanus", validation_alias=AliasChoices("VARANUS_DB_PREFIX", "db_prefix"))
    """Prefix of every database name: service `registry` uses `<prefix>_registry`."""
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("VARANUS_DATA_DIR", "data_dir")
    )
    """Folder for local state of the embedded setup (generated keys, logs)."""
    secrets_key: SecretStr = SecretStr("")
    """Key that encrypts secrets at rest; generated into the data folder when empty."""
    jwt_secret: SecretStr = SecretStr("")
    """Key that signs JWTs; generated into the data folder when empty."""
    jwt_ttl: Timelength = Timelength.OneDay
    """How long a JWT stays valid."""
    disable_user_registration: bool = False
    """Refuse sign-ups (the first user can still be created with the init admin settings)."""
    enable_new_users: bool = False
    """Whether users who sign up may use the system at once (otherwise an admin enables them)."""
    init_admin_username: str = ""
    """Username of an admin created at start when no user of that name exists."""
    init_admin_password: SecretStr = SecretStr("")
    """Password of that admin."""
    nats_user: str = ""
    """NATS user this process connects as (`varanus` for the services when NATS checks users)."""
    nats_password: SecretStr = SecretStr("")
    """Password of that NATS user."""
    nats_auth_password: SecretStr = SecretStr("")
    """Password of the NATS user `auth`: when set, the registry answers NATS's auth callout, deciding which
    subjects each client (service, agent, API key) may use (see docs/bus.md)."""
    nats_issuer_seed: SecretStr = SecretStr("")
    """The account seed the registry signs NATS user JWTs with (default: generated into the data folder)."""
    nats_services_password: SecretStr = SecretStr("")
    """Password of the NATS user `varanus` that the services connect as, checked by the auth callout."""
    first_server_name: str = ""
    """A Server created (enabled) when the registry starts with no server at all; `./run up` sets `Local`
    when the Docker socket is there, and runs an agent for it."""
    webhook_secret: SecretStr = SecretStr("")
    """Default secret for git webhooks."""
    webhook_base_url: str = ""
    """Base URL of git webhooks, when it differs from `host`."""
    timezone: str = ""
    """IANA time zone of schedules and maintenance windows; empty means the host's."""
    transparent_mode: bool = False
    """Every user may read everything."""
    ui_write_disabled: bool = False
    """The UI is read-only."""
    disable_non_admin_create: bool = False
    """Only admins may create resources."""
    disable_confirm_dialog: bool = False
    """The UI skips confirmations."""
    disable_websocket_reconnect: bool = False
    """The UI does not reconnect its update socket."""
    enable_fancy_toml: bool = False
    """Exported TOML uses the compact inline style."""
    monitoring_interval: Timelength = Timelength.FifteenSeconds
    """How often agents report their status."""
    keep_stats_for_days: int = 14
    """Days of server stats history to keep."""
    keep_alerts_for_days: int = Field(default=14, ge=0)
    """Days resolved alerts are kept (by their resolve time); 0 keeps them forever."""
    alert_open_after: int = Field(
        default=2, ge=1, validation_alias=AliasChoices("VARANUS_ALERT_OPEN_AFTER", "alert_open_after")
    )
    """Consecutive bad heartbeats before a server alert (cpu, memory, disk, unreachable, version) opens."""
    alert_resolve_margin: float = Field(
        default=5.0,
        ge=0,
        validation_alias=AliasChoices("VARANUS_ALERT_RESOLVE_MARGIN", "alert_resolve_margin"),
    )
    """Percentage points under the warning threshold a value must fall before its alert resolves."""
    alert_delivery_timeout: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("VARANUS_ALERT_DELIVERY_TIMEOUT", "alert_delivery_timeout"),
    )
    """Seconds one send of an alert to one Alerter endpoint may take before it counts as failed."""
    alert_delivery_attempts: int = Field(
        default=5,
        ge=1,
        validation_alias=AliasChoices("VARANUS_ALERT_DELIVERY_ATTEMPTS", "alert_delivery_attempts"),
    )
    """Attempts at delivering one alert event to one Alerter before it is recorded as failed."""
    alert_delivery_backoff: float = Field(
        default=5.0,
        gt=0,
        validation_alias=AliasChoices("VARANUS_ALERT_DELIVERY_BACKOFF", "alert_delivery_backoff"),
    )
    """Seconds before the first retry of a failed delivery; doubled after each failure (at most 300 s)."""
    default_pagination_limit: int = 50
    """Page size of `List*` requests that give no limit."""
    lease_seconds: float = Field(
        default=60.0, gt=0, validation_alias=AliasChoices("VARANUS_LEASE_SECONDS", "lease_seconds")
    )
    """How long an execution's lease lives without renewal (renewed every third of it); an execution whose
    executor died has its Update closed as failed within about 4/3 of this."""
    gateway_url: str = Field(default="", validation_alias=AliasChoices("VARANUS_GATEWAY_URL", "gateway_url"))
    """The gateway's HTTP address as action scripts on the executor's host reach it; empty: `http://127.0.0.1:<port>`
    (`KOMODO_PORT`)."""
    action_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        validation_alias=AliasChoices("VARANUS_ACTION_TIMEOUT_SECONDS", "action_timeout_seconds"),
    )
    """Longest an action's script may run; it is killed then and its Update fails."""
    request_timeout: float = Field(
        default=10.0, validation_alias=AliasChoices("VARANUS_REQUEST_TIMEOUT", "request_timeout")
    )
    """Seconds a service waits for another service's answer on the bus."""
    gateway_keep_answers: bool = Field(
        default=True, validation_alias=AliasChoices("VARANUS_GATEWAY_KEEP_ANSWERS", "gateway_keep_answers")
    )
    """Whether the gateway answers repeated reads from memory until a notice says what they were made of
    changed (`services/gateway/kept_answers.py`); false: every read goes to the registry."""
    resource_poll_interval: Timelength = Timelength.OneHour
    """How often ResourceSyncs re-read their files and recompute their pending changes (besides after a webhook
    and after changes to resources)."""
    sync_directory: Path | None = Field(
        default=None, validation_alias=AliasChoices("KOMODO_SYNC_DIRECTORY", "sync_directory")
    )
    """Root of the files a ResourceSync with `files_on_host` reads (its `resource_path`s are relative to it and
    may not leave it); unset: `<data_dir>/syncs`."""
    sync_delete_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        validation_alias=AliasChoices("VARANUS_SYNC_DELETE_SHARE", "sync_delete_share"),
    )
    """The share of a sync's resources it may delete in one run without `confirm_deletes: true`."""
    config_path: Path | None = None
    """A Komodo-style TOML file (`KOMODO_CONFIG_PATH`) whose `[secrets]`, `[[git_provider]]` and
    `[[image_registry]]` sections are read; every other setting comes from the environment."""
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Secrets from the config file's `[secrets]`: usable as `[[NAME]]`, listed by name, never returned."""
    git_providers: list[GitProvider] = Field(default_factory=list)
    """Git providers and accounts from the config file's `[[git_provider]]` (tokens never returned)."""
    image_registries: list[ImageRegistry] = Field(default_factory=list)
    """Image registries and accounts from the config file's `[[image_registry]]` (tokens never returned)."""
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("KOMODO_LOGGING_LEVEL", "log_level"))
    """Log level (DEBUG, INFO, WARNING, ERROR)."""

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read settings from the environment, `*_FILE` variants included; `overrides` win over both."""
        from_files: dict[str, Any] = {}
        for name in SECRET_FIELDS:
            path = os.environ.get(f"KOMODO_{name.upper()}_FILE")
            if path:
                try:
                    from_files[name] = Path(path).read_text(encoding="utf-8").strip()
                except OSError as err:
                    raise RuntimeError(
                        f"cannot read KOMODO_{name.upper()}_FILE ({path}): {err.strerror}"
                    ) from err
        config_path = overrides.get("config_path") or os.environ.get("KOMODO_CONFIG_PATH")
        from_config = read_config_file(Path(config_path)) if config_path else {}
        return cls(**{**from_config, **from_files, **overrides})

    def config_secret_values(self) -> list[str]:
        """Every secret the config file holds (secrets and account tokens), for log redaction."""
        tokens = [account.token for provider in self.git_providers for account in provider.accounts]
        tokens += [account.token for registry in self.image_registries for account in registry.accounts]
        return [value for value in [*(s.get_secret_value() for s in self.secrets.values()), *tokens] if value]

    def nats_connect_urls(self) -> list[str]:
        """The NATS server URLs to connect to, with this process's NATS user and password put in.

        Only for connecting: `nats_url` itself stays free of secrets, so it can be logged and shown.
        """
        urls = [url.strip() for url in self.nats_url.split(",") if url.strip()]
        if not self.nats_user:
            return urls
        user, password = self.nats_user, self.nats_password.get_secret_value()
        # nats-py takes the user and password from the URL as they are (no percent-decoding).
        if not re.fullmatch(r"[A-Za-z0-9._~-]+", user) or not re.fullmatch(r"[A-Za-z0-9._~-]*", password):
            raise RuntimeError(
                "KOMODO_NATS_USER and KOMODO_NATS_PASSWORD may hold only letters, digits and ._~-"
            )
        return [
            f"{scheme}://{user}:{password}@{rest.split('@', 1)[-1]}"
            for scheme, _, rest in (url.partition("://") for url in urls)
        ]

    def trusted_proxy_list(self) -> list[str]:
        """`trusted_proxies` as a list of addresses and networks."""
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]

    def mongo_uri(self) -> str:
        """The MongoDB connection URI: `database_uri`, or one built from address and credentials."""
        uri = self.database_uri.get_secret_value()
        if uri:
            return uri
        if self.database_username:
            user = quote_plus(self.database_username)
            password = quote_plus(self.database_password.get_secret_value())
            return f"mongodb://{user}:{password}@{self.database_address}"
        return f"mongodb://{self.database_address}"

    def script_gateway_url(self) -> str:
        """Where action scripts reach the gateway: `gateway_url`, else the local gateway's port."""
        return (self.gateway_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    def database_name(self, service: str) -> str:
        """Name of the database that `service` owns."""
        return f"{self.db_prefix}_{service}"


def read_config_file(path: Path) -> dict[str, Any]:
    """The secrets, git providers and image registries of a Komodo-style core config file (TOML)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RuntimeError(f"cannot read KOMODO_CONFIG_PATH ({path}): {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise RuntimeError(f"KOMODO_CONFIG_PATH ({path}) is not valid TOML: {err}") from err
    secrets = data.get("secrets") or {}
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise RuntimeError(f"KOMODO_CONFIG_PATH ({path}): [secrets] must map names to strings")
    return {
        "config_path": path,
        "secrets": secrets,
        "git_providers": data.get("git_provider") or [],
        "image_registries": data.get("image_registry") or [],
    }
