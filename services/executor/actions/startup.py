"""At executor start: delete the run keys crashed runs left, and run the actions marked `run_at_startup`.

With several replicas starting together, each startup action runs once: a replica runs it only after claiming
it in the executor's database (`ActionStartup`, one document per action with the time of its last startup
run), and a claim younger than `STARTUP_WINDOW_MS` holds off the others. A replica restarted later than that
runs it again, as Komodo runs them at each start of Core.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pymongo.errors import DuplicateKeyError

from contracts.api.execute.action import RunAction
from contracts.api.read.action import GetAction, ListActions
from contracts.entities.action import Action, ActionListItem
from services.common.errors import ServiceError
from services.common.runs import now_ms
from services.executor.actions.api_keys import remove_leftover_keys

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

STARTUP_WINDOW_MS = 120_000
"""Replicas starting within this long of each other run a startup action once between them."""


async def live_update_ids(executor: Executor) -> set[str]:
    """The Updates of executions some executor still holds a live lease for."""
    cursor = executor.runner.leases.find({"until": {"$gte": now_ms()}}, {"update_id": 1})
    return {str(doc.get("update_id", "")) async for doc in cursor}


async def claim_startup_run(executor: Executor, action_id: str) -> bool:
    """Whether this replica runs the action now (no other did in the last window)."""
    at = now_ms()
    try:
        await executor.db["ActionStartup"].update_one(
            {"_id": action_id, "at": {"$lt": at - STARTUP_WINDOW_MS}}, {"$set": {"at": at}}, upsert=True
        )
    except DuplicateKeyError:  # a recent claim exists: another replica runs it
        return False
    return True


async def on_start(executor: Executor) -> None:
    """Remove leftover keys, then start the startup actions (as the System user); errors are logged."""
    try:
        removed = await remove_leftover_keys(executor.registry, await live_update_ids(executor))
        if removed:
            log.info("deleted %d API keys that earlier action runs left behind", removed)
    except ServiceError as err:
        log.warning("could not look for leftover action API keys: %s", err.message)
    headers = executor.registry.system_headers()
    try:
        items: list[ActionListItem] = await executor.bus.request(ListActions(limit=0), headers)
    except ServiceError as err:
        log.warning("could not list the actions to run at startup: %s", err.message)
        return
    for item in items:
        try:
            action: Action = await executor.bus.request(GetAction(action=item.id), headers)
            if action.config.run_at_startup and await claim_startup_run(executor, action.id):
                await executor.bus.request(RunAction(action=action.id), headers)
                log.info("started action %r at startup", action.name)
        except ServiceError as err:
            log.warning("could not run action %r at startup: %s", item.name, err.message)
