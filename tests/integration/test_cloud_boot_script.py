"""The boot script of a launched machine, run with `sh` as the machine would: it writes the agent's environment,
runs the template's own user data, then starts the agent (a fake Python here recording how it was started)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from services.common.cloud.user_data import agent_environment, boot_script


def test_the_boot_script_writes_the_agent_env_runs_the_own_user_data_then_the_agent(tmp_path: Path) -> None:
    env = agent_environment("nats://10.0.0.1:4222", "O_key'with quote_O", "web 1")
    script = boot_script(env, "varanus==0.1.0", 'echo own-part > "$VARANUS_HOME/own"')
    (tmp_path / "boot.sh").write_text(script)
    # A fake Python that records how it was started, standing for the installed agent.
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$@" > "$VARANUS_HOME/args"\nenv > "$VARANUS_HOME/env"\n')
    fake.chmod(0o755)
    run = subprocess.run(
        ["sh", str(tmp_path / "boot.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "VARANUS_HOME": str(tmp_path),
            "VARANUS_PYTHON": str(fake),
            "VARANUS_FOREGROUND": "1",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "args").read_text().strip() == "-m services.agent"
    started = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines() if "=" in line)
    assert started["VARANUS_AGENT_ONBOARDING_KEY"] == "O_key'with quote_O"
    assert started["VARANUS_AGENT_CONNECT_AS"] == "web 1"
    assert started["KOMODO_NATS_URL"] == "nats://10.0.0.1:4222"
    assert started["VARANUS_DATA_DIR"] == f"{tmp_path}/data"
    assert (tmp_path / "own").read_text().strip() == "own-part"
    assert (tmp_path / "agent.env").stat().st_mode & 0o077 == 0
    assert 'pip" install --quiet varanus==0.1.0' in script
