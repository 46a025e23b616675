"""Running an action's script for one Update: its key, its files, its process, its logs; and the runs of this
executor, so CancelAction can kill one.

Several runs of one action may go on at once (as Komodo allows). A cancel reaches every executor replica
(a plain NATS publish with a reply inbox); the one running the process kills it and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg

from contracts.api.internal.update import progress_stage
from contracts.entities.action import Action, ActionState
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from contracts.subjects import action_cancel_subject
from services.common.interpolation import Interpolation
from services.common.runs import now_ms, target_key
from services.executor.actions.api_keys import issue_run_key, revoke_run_key
from services.executor.actions.process import ScriptProcess
from services.executor.actions.scripts import RunCredentials, prepare

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

STAGE = "Execute Action"
"""The stage of the script's log (Komodo's)."""
KEY_SHOWN = "<ACTION_API_KEY>"
"""What the run's key is replaced by in every log."""
SECRET_SHOWN = "<ACTION_API_SECRET>"  # noqa: S105 (a placeholder)
"""What the run's secret is replaced by in every log."""
CANCEL_REPLIES_SECONDS = 1.0
"""How long a cancel waits for the executors' answers."""


@dataclass
class RunRedaction:
    """The secrets of one run: the interpolated ones, and the run's key and secret once made."""

    values: Interpolation
    """The run's variables and secrets."""
    hidden: list[tuple[str, str]] = field(default_factory=list)
    """(text, shown as) pairs added while it runs."""

    def __call__(self, text: str) -> str:
        for value, shown in self.hidden:
            text = text.replace(value, shown)
        return self.values.redact(text)


def action_target(action_id: str) -> ResourceTarget:
    """The action as an Update's (and a lease's) target."""
    return ResourceTarget(type=ResourceTargetVariant.Action, id=action_id)


class ActionRuns:
    """The action runs of this executor, and the outcome of each action's last run (any executor's)."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.last = executor.db["ActionLastRun"]
        """action id => its latest run: `update_id`, `start_ts`, `status` (Running until it ends, Ok, Failed)."""
        self.running: dict[str, tuple[str, ScriptProcess]] = {}
        """update id => (action id, its process)."""
        self._subscription: Any = None

    async def start(self) -> None:
        """Answer cancels sent to every executor."""
        self._subscription = await self.executor.bus.nc.subscribe(action_cancel_subject(), cb=self._on_cancel)

    async def stop(self) -> None:
        """Stop answering cancels."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()

    def kill(self, action_id: str, update_id: str | None, reason: str) -> int:
        """Kill this executor's runs of the action (only that run, when given); answers how many."""
        killed = 0
        for run_id, (of_action, process) in list(self.running.items()):
            if of_action == action_id and (not update_id or run_id == update_id):
                process.kill(reason)
                killed += 1
        return killed

    async def _on_cancel(self, msg: Msg) -> None:
        try:
            asked = json.loads(msg.data)
            killed = self.kill(str(asked["action"]), asked.get("update_id") or None, "killed: cancelled")
        except (ValueError, KeyError, TypeError):
            return
        if msg.reply:
            with contextlib.suppress(Exception):
                await self.executor.bus.nc.publish(msg.reply, json.dumps({"killed": killed}).encode())

    async def cancel(self, action_id: str, update_id: str | None) -> int:
        """Ask every executor to kill the action's runs; answers how many were killed."""
        nc = self.executor.bus.nc
        inbox = nc.new_inbox()
        killed = 0
        replies = await nc.subscribe(inbox)
        try:
            body = json.dumps({"action": action_id, "update_id": update_id}).encode()
            await nc.publish(action_cancel_subject(), body, reply=inbox)
            deadline = time.monotonic() + CANCEL_REPLIES_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await replies.next_msg(timeout=left)
                except TimeoutError:
                    break
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    killed += int(json.loads(msg.data)["killed"])
        finally:
            await replies.unsubscribe()
        return killed

    async def started(self, action_id: str, update: Update) -> None:
        """Record `update` as the action's latest run (runs of one action may overlap: the latest started is
        the one its state shows, as Komodo shows its last Update's)."""
        await self.last.update_one(
            {"_id": action_id},
            {
                "$set": {
                    "update_id": update.id,
                    "start_ts": update.start_ts,
                    "status": ActionState.Running.value,
                }
            },
            upsert=True,
        )

    async def ended(self, action_id: str, update_id: str, success: bool) -> None:
        """Record the outcome of run `update_id`, if it is still the action's latest."""
        status = ActionState.Ok if success else ActionState.Failed
        await self.last.update_one(
            {"_id": action_id, "update_id": update_id}, {"$set": {"status": status.value}}
        )

    async def infos(self, action_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The live list info of actions (Komodo's ActionState): `Running` while a run of it holds a lease (on
        any executor), else its latest run's `Ok` or `Failed` (a run that never recorded its end was abandoned
        by a stopped executor, whose Update was closed as failed), with `last_run_at`; an action that never ran
        keeps the stored Unknown."""
        targets = {target_key(action_target(i)): i for i in action_ids}
        running: set[str] = set()
        leases = self.executor.runner.leases.find(
            {
                "target": {"$in": list(targets)},
                "action": Operation.RunAction.value,
                "until": {"$gte": now_ms()},
            }
        )
        async for lease in leases:
            running.add(targets[str(lease["target"])])
        infos: dict[str, dict[str, Any]] = {i: {"state": ActionState.Running.value} for i in running}
        async for doc in self.last.find({"_id": {"$in": action_ids}}):
            action_id = str(doc["_id"])
            state = str(doc.get("status"))
            if action_id in running:
                state = ActionState.Running.value
            elif state == ActionState.Running.value:
                state = ActionState.Failed.value
            infos[action_id] = {"state": state, "last_run_at": doc.get("start_ts")}
        return infos

    async def run(
        self, action: Action, update: Update, script: str, args: dict[str, Any], redact: RunRedaction
    ) -> list[Log]:
        """Run the script to its end (or its limit, or a cancel) with a fresh key of the Action user, deleted
        afterwards; answers the logs: the interpolation's, the script's output, and the key's deletion when it
        failed. Output is shown in the Update as it comes."""
        executor = self.executor
        limit = executor.settings.action_timeout_seconds
        started = now_ms()
        issued = await issue_run_key(executor.registry, update.id, limit)
        redact.hidden += [(issued.secret, SECRET_SHOWN), (issued.key, KEY_SHOWN)]
        folder = Path(tempfile.mkdtemp(prefix="varanus-action-"))
        shown_count = 0

        async def shown(text: str) -> None:
            nonlocal shown_count
            shown_count += 1
            at = now_ms()
            note = Log(stage=progress_stage(STAGE, shown_count), stdout=redact(text), start_ts=at, end_ts=at)
            await executor.registry.append_log(update.id, note)

        logs = list(redact.values.logs(started))
        try:
            creds = RunCredentials(executor.settings.script_gateway_url(), issued.key, issued.secret)
            argv, env = prepare(folder, action.config.language, script, args, creds)
            process = ScriptProcess(argv, folder, env)
            self.running[update.id] = (action.id, process)
            code = await process.run(limit, shown)
            stderr = "\n".join(process.stderr)
            if process.killed_because:
                stderr = f"{stderr}\n{process.killed_because}".lstrip("\n")
            elif code != 0:
                stderr = f"{stderr}\nexited with code {code}".lstrip("\n")
            logs.append(
                Log(
                    stage=STAGE,
                    command=f"{argv[0].rsplit('/', 1)[-1]} {argv[-1].rsplit('/', 1)[-1]}",
                    stdout="\n".join(process.stdout),
                    stderr=stderr,
                    success=code == 0 and not process.killed_because,
                    start_ts=started,
                    end_ts=now_ms(),
                )
            )
        finally:
            self.running.pop(update.id, None)
            shutil.rmtree(folder, ignore_errors=True)
            try:
                await asyncio.shield(revoke_run_key(executor.registry, issued.key))
            except Exception as err:
                # It expires by itself after the time limit, and the next executor start deletes it.
                log.warning("could not delete the key of action run %s: %s", update.id, err)
                at = now_ms()
                logs.append(
                    Log(
                        stage="Delete Api Key",
                        stderr=f"could not delete the run's API key (it expires on its own): {err}",
                        success=False,
                        start_ts=at,
                        end_ts=at,
                    )
                )
        return logs
