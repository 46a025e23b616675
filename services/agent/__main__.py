"""`python -m services.agent`: run the host agent until SIGINT or SIGTERM.

Not `services.common.runtime.run_service`: the agent may start before NATS is up, and connecting then waits
for it; a stop signal must still end the process during that wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from pydantic import ValidationError

from services.agent.app import SERVICE, Agent
from services.agent.credentials import default_connect_as, onboard, read_credential, write_credential
from services.agent.settings import (
    CONNECT_AS_VARIABLE,
    ONBOARDING_KEY_VARIABLE,
    SERVER_ID_VARIABLE,
    AgentConfig,
    AgentConfigError,
    credential_file,
)
from services.common.logging import redactor, setup_logging
from services.common.settings import Settings
from services.common.tasks import cancel_and_wait

log = logging.getLogger("services.agent")

EXIT_CONFIG: int = 2
"""Exit code when the configuration is missing or wrong."""


async def serve(config: AgentConfig) -> None:
    """Start the agent, serve until a stop signal, then stop it (also when the signal comes while connecting)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    agent = Agent(config)
    log.info("agent starting", extra={"nats": config.settings.nats_url, "server_id": config.server_id})
    starting = asyncio.create_task(agent.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start ends the process with its error
            await stopping
        else:
            log.info("stop requested while connecting to nats")
            await cancel_and_wait(starting)
    finally:
        stopping.cancel()
        await agent.stop()
    log.info("agent stopped")


def onboard_if_asked(settings: Settings) -> None:
    """With an onboarding key and no credential yet, onboard once and keep the credential (0600)."""
    key = os.environ.get(ONBOARDING_KEY_VARIABLE, "").strip()
    path = credential_file(settings)
    if not key or os.environ.get(SERVER_ID_VARIABLE) or read_credential(path) is not None:
        return
    connect_as = os.environ.get(CONNECT_AS_VARIABLE, "").strip() or default_connect_as()
    servers = [url.strip() for url in settings.nats_url.split(",") if url.strip()]
    credential = asyncio.run(onboard(servers, key, connect_as))
    write_credential(path, credential)
    print(f"varanus agent: onboarded as server {connect_as!r} ({credential.server_id}); credential in {path}")


def main() -> int:
    """Read the configuration, set up logging, run the agent; 2 when the configuration is wrong."""
    try:
        settings = Settings.load()
        onboard_if_asked(settings)
        config = AgentConfig.from_env(settings)
    except (AgentConfigError, RuntimeError) as err:
        print(f"varanus agent: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        print(f"varanus agent: invalid setting: {problems}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(SERVICE, settings.log_level)
    redactor.add(settings.nats_password.get_secret_value())
    asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
