"""`python -m services.agent`: run the host agent until SIGINT or SIGTERM.

Not `services.common.runtime.run_service`: the agent may start before NATS is up, and connecting then waits
for it; a stop signal must still end the process during that wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from pydantic import ValidationError

from services.agent.app import SERVICE, Agent
from services.agent.settings import AgentConfig, AgentConfigError
from services.common.logging import redactor, setup_logging
from services.common.settings import Settings

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
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
    finally:
        stopping.cancel()
        await agent.stop()
    log.info("agent stopped")


def main() -> int:
    """Read the configuration, set up logging, run the agent; 2 when the configuration is wrong."""
    try:
        settings = Settings.load()
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
