"""The HTTP client of Komodo's API: `POST {url}/<kind>/<Request>` with the params as the JSON body."""

from __future__ import annotations

import json
from typing import Any

import httpx

from varanus_cli.config import Config
from varanus_cli.errors import ApiError, UsageError

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the TCP connection."""
READ_TIMEOUT = 120.0
"""Seconds to wait for an answer; the gateway gives up sooner (504) on requests no service answers."""


def _error_message(response: httpx.Response) -> tuple[str, list[str]]:
    """The message and trace of an error answer (Komodo's `{"error", "trace"}`, or whatever came)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return f"HTTP {response.status_code}{': ' + text[:300] if text else ''}", []
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        trace = body.get("trace")
        # Komodo's trace often starts with the message itself; print each cause once.
        lines = [str(line) for line in trace if line != body["error"]] if isinstance(trace, list) else []
        return body["error"], lines
    return f"HTTP {response.status_code}: {json.dumps(body)[:300]}", []


class KomodoClient:
    """A synchronous client of one gateway, authenticated by API key and secret or by a JWT."""

    def __init__(self, config: Config) -> None:
        self.config = config
        headers = {"Accept": "application/json"}
        if config.api_key and config.api_secret:
            headers["X-Api-Key"] = config.api_key
            headers["X-Api-Secret"] = config.api_secret
        elif config.jwt:
            headers["Authorization"] = config.jwt
        try:
            self._http = httpx.Client(
                base_url=config.url,
                headers=headers,
                timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            )
        except httpx.InvalidURL as err:
            raise UsageError(f"invalid Komodo URL {config.url!r}: {err}") from err

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Send one HTTP request; a failure to reach the server becomes an ApiError naming the URL."""
        url = self.config.url
        try:
            if method == "GET":
                return self._http.get(path)
            return self._http.post(path, json=body)
        except httpx.ConnectError as err:
            raise ApiError(
                f"cannot connect to Komodo at {url}: {err}",
                ["is the gateway running there? set KOMODO_URL, --url or url in the config file"],
            ) from err
        except httpx.TimeoutException as err:
            raise ApiError(f"no answer from Komodo at {url} in time ({type(err).__name__})") from err
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
            raise UsageError(f"invalid Komodo URL {url!r}: {err}") from err
        except httpx.HTTPError as err:
            raise ApiError(f"request to Komodo at {url} failed: {err}") from err

    def _check(self, response: httpx.Response) -> None:
        """Raise the answer's error when its status is not 200, with a hint on missing credentials."""
        if response.status_code == 200:
            return
        message, trace = _error_message(response)
        if response.status_code == 401 and not self.config.has_credentials:
            trace = [*trace, f"no credentials are configured: {self.config.source_hint()}"]
        raise ApiError(message, trace, response.status_code)

    def request(self, kind: str, name: str, params: dict[str, Any]) -> Any:
        """Call `<kind>/<name>` with these params and return the decoded JSON answer."""
        response = self._send("POST", f"/{kind}/{name}", params)
        self._check(response)
        try:
            return response.json()
        except ValueError as err:
            raise ApiError(f"the answer to {name} is not JSON: {response.text[:200]!r}") from err

    def version(self) -> str:
        """The server's version (`GET /version`)."""
        response = self._send("GET", "/version")
        self._check(response)
        return response.text.strip()
