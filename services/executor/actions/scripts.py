"""The files and command line of one run: the user's script wrapped as Komodo wraps it, with `ARGS` and a
`komodo` client holding the run's key, in a private temporary folder.

TypeScript runs with Deno (PyPI's `deno` package) with only what it needs: network to the gateway's host and
port, reading its own folder, no prompt, no remote imports. Python runs with the executor's own interpreter
(`sys.executable`), whose environment has the project's client (`varanus_cli.action_client`).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import deno

from contracts.entities.action import ActionLanguage
from services.common.action_client import client_module
from services.common.errors import BadRequest

SUCCESS_LINE = "🦎 Action completed successfully 🦎"
"""What a script that ended well prints last (as Komodo's)."""
FAILURE_LINE = "🚨 Action exited early with errors 🚨"
"""What a script that threw prints to stderr first (as Komodo's)."""


@dataclass(frozen=True)
class RunCredentials:
    """Where and as whom the script calls the API."""

    url: str
    """The gateway's base URL."""
    key: str
    """The run's API key."""
    secret: str
    """Its secret."""


def typescript_source(script: str, args: dict[str, Any], creds: RunCredentials) -> str:
    """The user's TypeScript inside Komodo's wrapper: `ARGS`, `komodo`, `main()` and its exit."""
    options = {"type": "api-key", "params": {"key": creds.key, "secret": creds.secret}}
    return f"""import {{ KomodoClient, Types }} from "./komodo_client.ts";

const ARGS = {json.dumps(args)};
const komodo = KomodoClient({json.dumps(creds.url)}, {json.dumps(options)});

async function main() {{
{script}
}}

main()
  .then(() => console.log({json.dumps(SUCCESS_LINE)}))
  .catch((error) => {{
    console.error({json.dumps(FAILURE_LINE)});
    if (error?.status !== undefined && error?.result !== undefined) {{
      console.error("Status:", error.status);
      console.error(JSON.stringify(error.result, null, 2));
    }} else {{
      console.error(error?.stack ?? String(error));
    }}
    Deno.exit(1);
  }});
"""


def python_source(script: str, args: dict[str, Any], creds: RunCredentials) -> str:
    """The user's Python after a prelude that defines `ARGS` and `komodo`; a raised exception exits 1 with its
    traceback on stderr."""
    return f"""import json as _json
from varanus_cli.action_client import ActionClient as _ActionClient

ARGS = _json.loads({json.dumps(json.dumps(args))})
komodo = _ActionClient({creds.url!r}, {creds.key!r}, {creds.secret!r})
del _json, _ActionClient

{script}

print({SUCCESS_LINE!r})
"""


def gateway_host(url: str) -> str:
    """`host:port` of the gateway, for Deno's `--allow-net`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(
            f"the gateway URL for actions ({url!r}) is not http(s)://host[:port]: set VARANUS_GATEWAY_URL"
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def prepare(
    folder: Path, language: ActionLanguage, script: str, args: dict[str, Any], creds: RunCredentials
) -> tuple[list[str], dict[str, str]]:
    """Write the run's files into `folder` (private to the executor's user); answers the command and its
    environment (nothing of the executor's own environment is passed on, but PATH)."""
    folder.chmod(0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "NO_COLOR": "1"}
    if language == ActionLanguage.Python:
        main = folder / "action.py"
        main.write_text(python_source(script, args, creds))
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return [sys.executable, "-u", str(main)], env
    (folder / "komodo_client.ts").write_text(client_module())
    main = folder / "action.ts"
    main.write_text(typescript_source(script, args, creds))
    env["DENO_DIR"] = str(folder / ".deno")
    env["DENO_NO_UPDATE_CHECK"] = "1"
    argv = [
        deno.find_deno_bin(),
        "run",
        "--no-prompt",
        "--no-remote",
        "--no-config",
        "--no-lock",
        "--no-npm",
        f"--allow-net={gateway_host(creds.url)}",
        f"--allow-read={folder}",
        str(main),
    ]
    return argv, env
