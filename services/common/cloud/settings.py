"""Cloud credentials and endpoints, read from the environment (never logged: they go to the redactor).

`KOMODO_AWS_ACCESS_KEY_ID`, `KOMODO_AWS_SECRET_ACCESS_KEY` and `KOMODO_HETZNER_TOKEN` each have a `_FILE` form
(a file holding the value), as the other secret settings (`services/common/settings.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.common.logging import redactor


def _secret(name: str) -> str:
    path = os.environ.get(f"{name}_FILE", "")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise RuntimeError(f"cannot read {name}_FILE ({path}): {err.strerror}") from err
    return os.environ.get(name, "").strip()


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise RuntimeError(f"{name} must be a number of seconds; got {value!r}") from None


@dataclass(frozen=True)
class CloudSettings:
    """How Varanus reaches the clouds and how long it waits for a launched machine."""

    aws_access_key_id: str = field(default="", repr=False)
    """`KOMODO_AWS_ACCESS_KEY_ID`."""
    aws_secret_access_key: str = field(default="", repr=False)
    """`KOMODO_AWS_SECRET_ACCESS_KEY`."""
    aws_endpoint_url: str = ""
    """`VARANUS_AWS_ENDPOINT_URL`: another EC2 endpoint (tests: moto on loopback); empty: AWS's."""
    hetzner_token: str = field(default="", repr=False)
    """`KOMODO_HETZNER_TOKEN`."""
    hetzner_endpoint_url: str = ""
    """`VARANUS_HETZNER_ENDPOINT_URL`: another Hetzner Cloud API (tests: the fake); empty: Hetzner's."""
    max_launching: int = 4
    """`VARANUS_CLOUD_MAX_LAUNCHING`: machines launching (not yet joined) at once per builder process."""
    join_timeout_seconds: float = 600.0
    """`VARANUS_CLOUD_JOIN_TIMEOUT_SECONDS`: how long a launched machine's agent has to join."""
    agent_package: str = "varanus"
    """`VARANUS_CLOUD_AGENT_PACKAGE`: the pip requirement the boot script installs the agent from."""
    agent_nats_url: str = ""
    """`VARANUS_CLOUD_NATS_URL`: the NATS address launched machines connect to; empty: `KOMODO_NATS_URL`."""
    sweep_seconds: float = 300.0
    """`VARANUS_CLOUD_SWEEP_SECONDS`: the orphan sweep runs at start and again this often (a machine whose
    launching process was killed is kept while that execution's lease lives, and terminated by a later sweep)."""

    @classmethod
    def load(cls) -> CloudSettings:
        """Read the environment (`_FILE` forms included) and register the secrets with the log redactor."""
        max_launching = os.environ.get("VARANUS_CLOUD_MAX_LAUNCHING", "").strip() or "4"
        if not max_launching.isdigit() or int(max_launching) < 1:
            raise RuntimeError(
                f"VARANUS_CLOUD_MAX_LAUNCHING must be a whole number from 1; got {max_launching!r}"
            )
        settings = cls(
            aws_access_key_id=_secret("KOMODO_AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=_secret("KOMODO_AWS_SECRET_ACCESS_KEY"),
            aws_endpoint_url=os.environ.get("VARANUS_AWS_ENDPOINT_URL", "").strip(),
            hetzner_token=_secret("KOMODO_HETZNER_TOKEN"),
            hetzner_endpoint_url=os.environ.get("VARANUS_HETZNER_ENDPOINT_URL", "").strip(),
            max_launching=int(max_launching),
            join_timeout_seconds=_float("VARANUS_CLOUD_JOIN_TIMEOUT_SECONDS", 600.0),
            agent_package=os.environ.get("VARANUS_CLOUD_AGENT_PACKAGE", "").strip() or "varanus",
            agent_nats_url=os.environ.get("VARANUS_CLOUD_NATS_URL", "").strip(),
            sweep_seconds=_float("VARANUS_CLOUD_SWEEP_SECONDS", 300.0),
        )
        settings.redact()
        return settings

    def redact(self) -> None:
        """Keep the credentials out of every log line, Update and error of this process."""
        redactor.add(self.aws_access_key_id, self.aws_secret_access_key, self.hetzner_token)

    def secrets(self) -> list[str]:
        """The credential values, to scrub from texts that do not go through the log redactor."""
        return [v for v in (self.aws_access_key_id, self.aws_secret_access_key, self.hetzner_token) if v]
