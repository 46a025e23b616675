"""The boot script of a launched machine: install the agent, start it with a one-time onboarding key.

The script is plain `sh`. It writes the agent's environment to `$VARANUS_HOME/agent.env` (mode 0600), installs
the agent into a venv from the Varanus package (skipped when `VARANUS_PYTHON` names a Python that has it), runs
the template's or builder's own `user_data` (e.g. installing Docker), then starts `python -m services.agent`:
as the systemd service `varanus-agent` where systemd runs, in the foreground otherwise (or with
`VARANUS_FOREGROUND=1`). Tests run the same script with `VARANUS_HOME`, `VARANUS_PYTHON` and `VARANUS_FOREGROUND`
set, as the booted machine would.

The onboarding key in it can create one server, expires after the join timeout, and is deleted once the agent
joined, so the script (readable in the instance's metadata) is worth nothing afterwards.
"""

from __future__ import annotations

import shlex
from typing import Final

ENV_MARK: Final = "VARANUS_ENV"
USER_MARK: Final = "VARANUS_USER_DATA"


def agent_environment(nats_url: str, onboarding_key: str, connect_as: str) -> dict[str, str]:
    """What the agent on the machine is started with."""
    return {
        "KOMODO_NATS_URL": nats_url,
        "VARANUS_AGENT_ONBOARDING_KEY": onboarding_key,
        "VARANUS_AGENT_CONNECT_AS": connect_as,
        "KOMODO_MONITORING_INTERVAL": "5-sec",
    }


def boot_script(environment: dict[str, str], agent_package: str, user_data: str = "") -> str:
    """The user data of a machine whose agent starts with `environment`."""
    env_lines = "\n".join(f"{key}={shlex.quote(value)}" for key, value in environment.items())
    own = user_data.strip()
    own_part = (
        f"cat > \"$VARANUS_HOME/user_data.sh\" <<'{USER_MARK}'\n{own}\n{USER_MARK}\n"
        'sh "$VARANUS_HOME/user_data.sh"\n'
        if own
        else ""
    )
    return f"""#!/bin/sh
# Written by Varanus: install the Varanus agent and start it; it joins with a one-time onboarding key.
set -eu
VARANUS_HOME="${{VARANUS_HOME:-/opt/varanus}}"
mkdir -p "$VARANUS_HOME/data"
umask 077
cat > "$VARANUS_HOME/agent.env" <<'{ENV_MARK}'
{env_lines}
{ENV_MARK}
echo "VARANUS_DATA_DIR=$VARANUS_HOME/data" >> "$VARANUS_HOME/agent.env"
umask 022
if [ -z "${{VARANUS_PYTHON:-}}" ]; then
  python3 -m venv "$VARANUS_HOME/venv"
  "$VARANUS_HOME/venv/bin/pip" install --quiet {shlex.quote(agent_package)}
  VARANUS_PYTHON="$VARANUS_HOME/venv/bin/python"
fi
{own_part}if [ -z "${{VARANUS_FOREGROUND:-}}" ] && [ -d /run/systemd/system ]; then
  cat > /etc/systemd/system/varanus-agent.service <<UNIT
[Unit]
Description=Varanus agent
After=network-online.target docker.service
[Service]
EnvironmentFile=$VARANUS_HOME/agent.env
ExecStart=$VARANUS_PYTHON -m services.agent
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now varanus-agent
else
  set -a
  . "$VARANUS_HOME/agent.env"
  set +a
  exec "$VARANUS_PYTHON" -m services.agent
fi
"""
