"""The TypeScript `komodo` client module of action scripts: the executor writes it beside each script, and the
gateway serves it at `CLIENT_PATH` (Komodo serves its client at `/client/lib.js`; this one is TypeScript)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

CLIENT_FILE = Path(__file__).with_name("komodo_client.ts")
"""The module's source."""
CLIENT_PATH = "/client/komodo_client.ts"
"""Where the gateway serves it."""


@cache
def client_module() -> str:
    """The module's text."""
    return CLIENT_FILE.read_text()
