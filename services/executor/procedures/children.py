"""Starting one execution of a stage, and reading whether it is done.

Executions go out as ordinary bus requests as the `Procedure` service user, with an Update id derived from the
run, the stage and the execution (`UPDATE_ID_HEADER`), so a redelivered stage event finds the executions it
already started (409 and the Update exists) instead of starting them twice. `None` is done at once; `Sleep` is a
timer stored in the run document (`until`), so it survives a restart and no task holds it. A type no service
answers (RunSync, SendAlert, RunAction before their services exist) fails with "not available" at run time.

A batch execution (`BatchDeploy {pattern}`) is expanded first: its pattern is resolved once, as the Procedure
user sees the resources, the names stored with the child (`expanded`), and each single execution sent with an
Update id of its own derived from its place in the batch, so a redelivery starts none of them twice.

A child is a dict stored in the run document: `type`, `status` (`Starting`, `Running`, `Ok`, `Failed`),
`updates` (its Update ids: one, or a batch's), `until` (a Sleep's end, unix ms) and `error`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from contracts.api.base import REQUESTS
from contracts.api.execute.batch import BatchExecutionErr, BatchExecutionOk
from contracts.api.read.update import GetUpdate
from contracts.entities.update import Update, UpdateStatus
from contracts.service_users import PROCEDURE_USER_ID
from contracts.subjects import CAUSE_HEADER, UPDATE_ID_HEADER
from services.common.bus import RemoteError
from services.common.errors import ServiceError, Unavailable, describe_validation_error
from services.common.patterns import select
from services.common.runs import now_ms
from services.executor.procedures.store import FAILED, OK, RUNNING, STARTING

if TYPE_CHECKING:
    from services.executor.app import Executor

INSIDE: Final = frozenset({"None", "Sleep"})
"""Execution types the executor runs itself, with no request and no Update."""
WRITES: Final = frozenset({"CommitSync"})
"""Write requests Komodo's procedures run as executions (each answers an Update)."""
LISTS: Final = {
    "deployment": "ListDeployments",
    "stack": "ListStacks",
    "repo": "ListRepos",
    "build": "ListBuilds",
    "procedure": "ListProcedures",
    "action": "ListActions",
}
"""The list request of each kind a batch execution names its resources by (its single execution's field)."""


def single_of(kind: str) -> tuple[str, str] | None:
    """For a batch execution (`BatchDeploy`), its single execution and the field naming the resource
    (`Deploy`, `deployment`); None for any other type."""
    if not kind.startswith("Batch"):
        return None
    single = REQUESTS["execute"].get(kind.removeprefix("Batch"))
    if single is None:
        return None
    field = next((name for name in single.model_fields if name in LISTS), None)
    return (single.__name__, field) if field is not None else None


async def expand(executor: Executor, kind: str, params: dict[str, Any], field: str) -> list[str]:
    """The names of the resources a batch execution's pattern picks, as the Procedure user sees them (a
    ServiceError for params that don't fit or an empty pattern)."""
    batch = request_of(kind, params)
    list_cls = REQUESTS["read"][LISTS[field]]
    listing = list_cls.model_validate({"query": {"tags": list(batch.tags)}, "limit": 0})
    headers = {"Authorization": executor.signer.issue(PROCEDURE_USER_ID)}
    items = await executor.bus.request(listing, headers)
    return [name for _, name in select(batch.pattern, [(item.id, item.name) for item in items])]


def child_update_id(run_id: str, stage: int, index: int | str) -> str:
    """The Update id of an execution of a run: an ObjectId in hex, the same on every delivery and replica."""
    return hashlib.sha256(f"{run_id}:{stage}:{index}".encode()).hexdigest()[:24]


def describe(execution: dict[str, Any]) -> str:
    """`Type(params)` as a stage log shows it."""
    params = ", ".join(f"{k}={v!r}" for k, v in (execution.get("params") or {}).items())
    return f"{execution.get('type', 'None')}({params})"


def failed(kind: str, error: str) -> dict[str, Any]:
    """A child that failed before or when it started."""
    return {"type": kind, "status": FAILED, "updates": [], "error": error}


def inside(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A `None` (done) or `Sleep` (a timer) child."""
    if kind == "None":
        return {"type": kind, "status": OK, "updates": [], "error": ""}
    duration = params.get("duration_ms", 0)
    if not isinstance(duration, int) or duration < 0:
        return failed(kind, "Sleep: params.duration_ms must be a whole number of milliseconds >= 0")
    return {"type": kind, "status": RUNNING, "updates": [], "until": now_ms() + duration, "error": ""}


def request_of(kind: str, params: dict[str, Any]) -> Any:
    """The execute request of an execution (or one of the `WRITES`); raises ServiceError for an unknown type or
    params that don't fit."""
    cls = REQUESTS["execute"].get(kind) or (REQUESTS["write"].get(kind) if kind in WRITES else None)
    if cls is None:
        raise Unavailable(f"{kind} is not available: no such execution in this version of Varanus")
    try:
        return cls.model_validate(params)
    except ValidationError as err:
        raise describe_validation_error(err, f"{kind} params") from None


async def send(
    executor: Executor, kind: str, params: dict[str, Any], update_id: str, cause: str
) -> dict[str, Any]:
    """Start one execution as the Procedure user; the child as it is then (Running, or Failed with why)."""
    headers = {"Authorization": executor.signer.issue(PROCEDURE_USER_ID), CAUSE_HEADER: cause}
    if single_of(kind) is None:
        # A batch sent whole (one with no known single execution) hands its request's headers to each of its
        # executions: one chosen id would fit only the first.
        headers[UPDATE_ID_HEADER] = update_id
    try:
        request = request_of(kind, params)
        answer = await executor.bus.request(request, headers)
    except RemoteError as err:
        if err.status == 409 and await update_exists(executor, update_id):
            return {"type": kind, "status": RUNNING, "updates": [update_id], "error": ""}
        return failed(kind, not_available(kind, err.message) if err.status == 503 else err.message)
    except Unavailable as err:
        return failed(kind, not_available(kind, err.message))
    except ServiceError as err:
        return failed(kind, err.message)
    if isinstance(answer, Update):
        return {"type": kind, "status": RUNNING, "updates": [answer.id], "error": ""}
    updates, errors = [], []
    for item in answer if isinstance(answer, list) else []:
        if isinstance(item, BatchExecutionOk):
            updates.append(item.data.id)
        elif isinstance(item, BatchExecutionErr):
            errors.append(f"{item.data.name}: {item.data.error.error}")
    status = RUNNING if updates else (FAILED if errors else OK)
    return {"type": kind, "status": status, "updates": updates, "error": "; ".join(errors)}


def not_available(kind: str, reason: str) -> str:
    """The error of an execution nothing answers (its service is not running, or not part of Varanus yet)."""
    if reason.startswith(f"{kind} is not available"):
        return reason
    return f"{kind} is not available: {reason} (its service is not running or not part of Varanus yet)"


def starting(kind: str, update_ids: list[str], expanded: list[str] | None = None) -> dict[str, Any]:
    """A child recorded before its requests go out (a redelivery sends them again with the same Update ids)."""
    child: dict[str, Any] = {"type": kind, "status": STARTING, "updates": update_ids, "error": ""}
    if expanded is not None:
        child["expanded"] = expanded
    return child


def merged(kind: str, names: list[str], parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One child of a batch's single executions: their Updates, and the errors of those that did not start."""
    updates = [update_id for part in parts for update_id in part["updates"]]
    errors = [f"{name}: {part['error']}" for name, part in zip(names, parts, strict=True) if part["error"]]
    status = RUNNING if updates else (FAILED if errors else OK)
    return {
        "type": kind,
        "status": status,
        "updates": updates,
        "error": "; ".join(errors),
        "expanded": names,
    }


async def update_exists(executor: Executor, update_id: str) -> bool:
    """Whether an Update of that id is stored."""
    try:
        await executor.bus.request(GetUpdate(id=update_id), executor.registry.system_headers())
    except RemoteError as err:
        if err.status == 404:
            return False
        raise
    return True


async def settle(executor: Executor, child: dict[str, Any]) -> dict[str, Any]:
    """The child as it is now: a Sleep past its end and a child whose Updates all completed are done."""
    if child.get("status") != RUNNING:
        return child
    if child.get("type") == "Sleep":
        return {**child, "status": OK} if now_ms() >= int(child.get("until", 0)) else child
    errors = [child["error"]] if child.get("error") else []
    for update_id in child.get("updates") or []:
        try:
            update: Update = await executor.bus.request(
                GetUpdate(id=update_id), executor.registry.system_headers()
            )
        except RemoteError as err:
            if err.status == 404:
                errors.append(f"its Update {update_id} does not exist")
                continue
            raise
        if update.status != UpdateStatus.Complete:
            return child
        if not update.success:
            stderr = next((log.stderr for log in update.logs if not log.success and log.stderr), "")
            errors.append(f"Update {update_id} failed" + (f": {stderr.strip()[:500]}" if stderr else ""))
    return {**child, "status": FAILED if errors else OK, "error": "; ".join(errors)}
