"""The agent's request handlers, one module per group of requests.

Each module's `handlers(ctx)` gives its requests and the functions answering them; the work is done by plain
async functions that take the agent's context and the request.
"""

from __future__ import annotations

from services.agent.context import AgentContext
from services.agent.handlers import build, compose, container, docker_objects, image_digest, repo, run, system
from services.agent.handlers.base import HandlerTable


def all_handlers(ctx: AgentContext) -> HandlerTable:
    """Every request the agent answers."""
    return {
        **system.handlers(ctx),
        **container.handlers(ctx),
        **docker_objects.handlers(ctx),
        **image_digest.handlers(ctx),
        **run.handlers(ctx),
        **compose.handlers(ctx),
        **repo.handlers(ctx),
        **build.handlers(ctx),
    }
