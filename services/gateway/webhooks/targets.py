"""The resource a webhook names, read from the registry, and the executions each listener option runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from contracts.api.base import Request
from contracts.api.execute.action import RunAction
from contracts.api.execute.build import CancelBuild, RunBuild
from contracts.api.execute.procedure import RunProcedure
from contracts.api.execute.repo import BuildRepo, CloneRepo, PullRepo
from contracts.api.execute.resource_sync import RunSync
from contracts.api.execute.stack import DeployStack, DeployStackIfChanged
from contracts.api.read.action import GetAction
from contracts.api.read.build import GetBuild, GetBuildActionState
from contracts.api.read.procedure import GetProcedure
from contracts.api.read.repo import GetRepo
from contracts.api.read.resource_sync import GetResourceSync
from contracts.api.read.stack import GetStack
from contracts.api.write.resource_sync import RefreshResourceSyncPending
from contracts.api.write.stack import RefreshStackCache
from services.common.errors import NotFound

Ask = Callable[[Request], Awaitable[Any]]
"""Send a request on the bus as the Git Webhook user and answer its decoded reply."""

OPTIONS: dict[str, tuple[str, ...]] = {
    "stack": ("refresh", "deploy"),
    "repo": ("clone", "pull", "build"),
    "build": ("", "build"),
    "sync": ("refresh", "sync"),
}
"""The options of each resource kind served: the last part of `/listener/<provider>/<kind>/<id>/<option>`
(a build has none; `/build/<id>/build`, as Komodo's documentation writes it, is taken too)."""

BRANCHED = ("procedure", "action")
"""Kinds whose option is the branch a push must be to (`/listener/<provider>/procedure/<id>/<branch>`), or
`ANY_BRANCH`: they have no repository of their own to take it from."""

ANY_BRANCH = "__ANY__"
"""The branch option of a procedure's or action's webhook that takes a push to any branch (Komodo's)."""

DEFAULT_BRANCH = "main"
"""The branch of a procedure's or action's webhook URL that names none (Komodo's default)."""

NOT_YET: tuple[str, ...] = ()
"""Kinds whose webhooks Komodo has and Varanus does not serve yet (their resources do not run anything yet)."""


@dataclass(frozen=True)
class Target:
    """A resource a webhook triggers, with what the webhook check needs."""

    kind: str
    """`stack`, `build`, `repo`, `sync`, `procedure` or `action`."""
    id: str
    """The resource id."""
    name: str
    """The resource name."""
    secret: str
    """The resource's own webhook secret (empty: the core's `KOMODO_WEBHOOK_SECRET` applies)."""
    enabled: bool
    """The resource's `webhook_enabled`."""
    branch: str
    """The branch a push must be to: the linked repo's when the resource has one; a procedure's or action's is
    the webhook URL's (`ANY_BRANCH`: any)."""
    force_deploy: bool = False
    """A stack's `webhook_force_deploy`: DeployStack instead of DeployStackIfChanged."""


async def lookup(ask: Ask, kind: str, id_or_name: str, option: str = "") -> Target:
    """The `kind` resource named by id or name (404 when there is none), with its linked repo's branch (a
    procedure's or action's: the branch `option` of its webhook URL)."""
    if kind in BRANCHED:
        found: Any = await ask(
            GetProcedure(procedure=id_or_name) if kind == "procedure" else GetAction(action=id_or_name)
        )
        return Target(
            kind=kind,
            id=found.id,
            name=found.name,
            secret=found.config.webhook_secret,
            enabled=found.config.webhook_enabled,
            branch=option or DEFAULT_BRANCH,
        )
    if kind == "stack":
        resource: Any = await ask(GetStack(stack=id_or_name))
    elif kind == "build":
        resource = await ask(GetBuild(build=id_or_name))
    elif kind == "repo":
        resource = await ask(GetRepo(repo=id_or_name))
    elif kind == "sync":
        resource = await ask(GetResourceSync(sync=id_or_name))
    else:
        raise NotFound(f"no {kind} webhooks on this server")
    config = resource.config
    branch = config.branch
    linked = getattr(config, "linked_repo", "")
    if linked:
        repo = await ask(GetRepo(repo=linked))
        branch = repo.config.branch
    return Target(
        kind=kind,
        id=resource.id,
        name=resource.name,
        secret=config.webhook_secret,
        enabled=config.webhook_enabled,
        branch=branch,
        force_deploy=getattr(config, "webhook_force_deploy", False),
    )


@dataclass(frozen=True)
class Replacing:
    """How a webhook replaces a run still going (Komodo's build webhook): whether one runs, how to cancel
    it, and the run to start once it has ended."""

    busy: Request
    """Answers an action state whose `building` says whether a run is going (GetBuildActionState)."""
    cancel: Request
    """Stops it (CancelBuild)."""
    run: Request
    """The new run (RunBuild)."""


def replacing(target: Target) -> Replacing | None:
    """For a build: a push while it builds cancels that build and starts a new one (Komodo's listener does
    so; a plain RunBuild is refused as busy instead). None for the other kinds."""
    if target.kind != "build":
        return None
    return Replacing(
        busy=GetBuildActionState(build=target.id),
        cancel=CancelBuild(build=target.id),
        run=RunBuild(build=target.id),
    )


def executions(target: Target, option: str, body: dict[str, Any]) -> list[Request]:
    """The requests a webhook with `option` and the JSON `body` sends, in order (a build's: see `replacing`).
    An action gets Komodo's `WEBHOOK_BRANCH` (the pushed branch) and `WEBHOOK_BODY` (the body) as its run's
    `args`, merged over its default arguments as any RunAction's are."""
    if target.kind == "procedure":
        return [RunProcedure(procedure=target.id)]
    if target.kind == "action":
        args = {"WEBHOOK_BRANCH": webhook_branch(body), "WEBHOOK_BODY": body}
        return [RunAction(action=target.id, args=args)]
    if target.kind == "stack":
        if option == "refresh":
            return [RefreshStackCache(stack=target.id)]
        return [
            DeployStack(stack=target.id) if target.force_deploy else DeployStackIfChanged(stack=target.id)
        ]
    if target.kind == "build":
        return [RunBuild(build=target.id)]
    if target.kind == "sync":
        return [
            RefreshResourceSyncPending(sync=target.id) if option == "refresh" else RunSync(sync=target.id)
        ]
    repo = {"clone": CloneRepo, "pull": PullRepo, "build": BuildRepo}[option]
    return [repo(repo=target.id)]


def pushed_branch(body: dict[str, Any]) -> str | None:
    """The branch a push event is about: `ref` without `refs/heads/` (a tag push names no branch, so `""`),
    or a plain `branch` field (the generic listener); None when the body names neither."""
    ref = body.get("ref")
    if isinstance(ref, str):
        if ref.startswith("refs/heads/"):
            return ref.removeprefix("refs/heads/")
        return "" if ref.startswith("refs/") else ref
    branch = body.get("branch")
    return branch if isinstance(branch, str) else None


def webhook_branch(body: dict[str, Any]) -> str:
    """An action's `WEBHOOK_BRANCH`, as Komodo makes it: the body's `ref` without `refs/heads/` (so a tag push
    to an `__ANY__` webhook gives `refs/tags/<tag>`), else a plain `branch` field (the generic listener), else
    ""."""
    ref = body.get("ref")
    if isinstance(ref, str):
        return ref.removeprefix("refs/heads/")
    branch = body.get("branch")
    return branch if isinstance(branch, str) else ""


def branch_mismatch(provider: str, target: Target, body: dict[str, Any]) -> str:
    """Why a push is ignored for its branch ("" when it runs). The generic listener checks the branch only
    when the body names one. A procedure's `__ANY__` webhook takes any body (Komodo does not look); an
    action's takes any push, but its `WEBHOOK_BRANCH` comes from the body, so GitHub's and GitLab's need a
    `ref` (as Komodo's)."""
    what = f"{target.kind} {target.name!r}"
    follows = (
        f"{what} listens to branch {target.branch!r} (its webhook URL's)"
        if target.kind in BRANCHED
        else f"{what} follows branch {target.branch!r}"
    )
    pushed = pushed_branch(body)
    if target.branch == ANY_BRANCH and target.kind in BRANCHED:
        if target.kind == "action" and pushed is None and provider != "generic":
            return f"the body has no ref (not a push event?); {what} takes its WEBHOOK_BRANCH from it; nothing runs"
        return ""
    if pushed is None:
        if provider == "generic":
            return ""
        return f"the body has no ref (not a push event?); {follows}; nothing runs"
    if pushed != target.branch:
        return f"push to branch {pushed!r} ignored: {follows}; nothing runs"
    return ""
