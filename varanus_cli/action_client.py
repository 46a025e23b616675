"""The `komodo` object of Python action scripts: Komodo's script client calls (`read`, `write`, `execute`,
`execute_and_poll`, `poll_update_until_complete`) over the project's HTTP client."""

from __future__ import annotations

import time
from typing import Any

from varanus_cli.client import KomodoClient
from varanus_cli.config import Config

POLL_SECONDS = 0.25
"""How often `poll_update_until_complete` reads the Update."""


def update_id(update: Any) -> str:
    """The id of an Update as the API answers it (`{"_id": {"$oid": ...}}`)."""
    ident = update.get("_id") if isinstance(update, dict) else None
    return str(ident.get("$oid", "")) if isinstance(ident, dict) else str(ident or "")


class ActionClient:
    """A client of the gateway, authenticated with the run's API key; each call answers the decoded JSON, and
    an error answer raises `varanus_cli.errors.ApiError` (its `status` and message)."""

    def __init__(self, url: str, key: str, secret: str) -> None:
        self._client = KomodoClient(Config(url=url.rstrip("/"), api_key=key, api_secret=secret))

    def read(self, type: str, params: dict[str, Any] | None = None) -> Any:
        """A read request (`GetDeployment`, `ListStacks`, ...)."""
        return self._client.request("read", type, params or {})

    def write(self, type: str, params: dict[str, Any] | None = None) -> Any:
        """A write request (`CreateDeployment`, `UpdateStack`, ...)."""
        return self._client.request("write", type, params or {})

    def execute(self, type: str, params: dict[str, Any] | None = None) -> Any:
        """An execution (`Deploy`, `RunBuild`, ...); answers its Update (or a batch's items) at once."""
        return self._client.request("execute", type, params or {})

    def poll_update_until_complete(self, update_id: str) -> Any:
        """The Update once it is Complete."""
        while True:
            update = self.read("GetUpdate", {"id": update_id})
            if update.get("status") == "Complete":
                return update
            time.sleep(POLL_SECONDS)

    def execute_and_poll(self, type: str, params: dict[str, Any] | None = None) -> Any:
        """An execution, waited for: its complete Update (a batch: one per item, errors as they came)."""
        answer = self.execute(type, params)
        if isinstance(answer, list):
            return [
                item
                if item.get("status") == "Err"
                else self.poll_update_until_complete(update_id(item["data"]))
                for item in answer
            ]
        return self.poll_update_until_complete(update_id(answer))
