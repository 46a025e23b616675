"""Komodo's git webhook listener: `POST /listener/<provider>/<kind>/<id or name>[/<option>]` (a procedure's or
action's option is the branch a push must be to, or `__ANY__`).

Checks, in order: the client's failed attempts (429), the body (413 over the limit, 400 when not a JSON
object), the resource (404), a secret to check against (400 when neither the resource's `webhook_secret` nor
`KOMODO_WEBHOOK_SECRET` is set: an unsigned webhook is never accepted), the signature (401; with unknown
resources it counts as a failed attempt of the client address). Then nothing runs, with 200 and a message
saying why, for a `ping`, a resource with `webhook_enabled = false`, or a push to another branch; otherwise the
execution starts as the service user `Git Webhook` (see `trigger`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from nats.aio.client import Client as NatsClient

from contracts.api.base import Request as BusRequest
from contracts.service_users import GIT_WEBHOOK_USER_ID
from services.common.auth import JwtSigner
from services.common.bus import request_over
from services.common.errors import BadRequest, NotFound, ServiceError, Unauthorized
from services.common.rate_limit import FailedAttempts
from services.common.settings import Settings
from services.gateway.forward import Answer, parse_object
from services.gateway.webhooks import verify
from services.gateway.webhooks.targets import (
    BRANCHED,
    NOT_YET,
    OPTIONS,
    Target,
    branch_mismatch,
    executions,
    lookup,
    replacing,
)
from services.gateway.webhooks.trigger import Triggers

log = logging.getLogger(__name__)

PROVIDERS = ("github", "gitlab", "generic")
"""How a webhook is signed: GitHub's (and Gitea's) HMAC, GitLab's token, or the generic token header."""


DOCUMENTED: dict[str, Any] = {
    "responses": {
        "400": {"description": "The body is not a JSON object, or no webhook secret is set"},
        "401": {"description": "Wrong or missing signature (X-Hub-Signature-256, X-Gitlab-Token, or token)"},
        "404": {"description": "Unknown provider, option or resource"},
        "413": {"description": "Body over the gateway's limit"},
        "429": {"description": "Too many bad signatures from this client address"},
        "503": {"description": "No service answers the execution (e.g. RunBuild before the builder runs)"},
    },
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "description": "The git host's event as it sent it (GitHub, Gitea or GitLab push event)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}
"""What the OpenAPI document says of every listener route besides its summary."""


def _answer(message: str, execution: str | None = None, update_id: str | None = None) -> Response:
    body = {"message": message, "execution": execution, "update_id": update_id}
    return Response(content=json.dumps(body), media_type="application/json")


def _error(answer: Answer) -> Response:
    return Response(content=answer.body, status_code=answer.status, media_type="application/json")


def webhook_router(
    settings: Settings,
    signer: JwtSigner,
    limiter: FailedAttempts,
    connection: Callable[[], NatsClient],
    read_body: Callable[[Request], Awaitable[bytes | Answer]],
) -> APIRouter:
    """The listener routes. `connection` gives the gateway's bus connection, `read_body` the raw body (the
    signature is over these bytes) or the 413 of one over the gateway's limit;
    `limiter` is the one failed log-ins count in (a client address sending bad signatures is refused with 429)."""
    router = APIRouter(prefix="/listener", tags=["webhooks"])

    async def ask(request: BusRequest) -> Any:
        headers = {"Authorization": signer.issue(GIT_WEBHOOK_USER_ID)}
        return await request_over(connection(), request, headers, settings.request_timeout)

    triggers = Triggers(ask, connection)

    async def listen(provider: str, kind: str, id_or_name: str, option: str, request: Request) -> Response:
        address = request.client.host if request.client else "unknown"
        limiter.check(address)
        if provider not in PROVIDERS:
            raise NotFound(
                f"unknown webhook provider {provider!r}: use github (also Gitea), gitlab or generic"
            )
        if kind in NOT_YET:
            raise NotFound(f"{kind} webhooks are not available on this server yet")
        if kind not in OPTIONS and kind not in BRANCHED:
            raise NotFound(
                f"unknown webhook resource {kind!r}: use stack, build, repo, sync, procedure or action"
            )
        if kind in OPTIONS and option not in OPTIONS[kind]:
            shown = " or ".join(OPTIONS[kind]) if kind != "build" else "none"
            raise NotFound(f"unknown {kind} webhook option {option!r}: use {shown}")
        body = await read_body(request)
        if isinstance(body, Answer):
            return _error(body)
        parsed = parse_object(body)
        if isinstance(parsed, Answer):
            raise BadRequest(
                "the webhook body must be a JSON object: set the webhook's content type to application/json"
            )
        try:
            target = await lookup(ask, kind, id_or_name, option)
        except ServiceError as err:
            if err.status == 404:
                limiter.failed(address)
            raise
        secret = target.secret or settings.webhook_secret.get_secret_value()
        if not secret:
            raise BadRequest(
                f"webhooks of {kind} {target.name!r} are refused: no webhook secret is set (neither the "
                f"{kind}'s webhook_secret nor KOMODO_WEBHOOK_SECRET)"
            )
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify.valid(provider, secret, body, headers):
            limiter.failed(address)
            raise Unauthorized(
                f"the webhook's {_signed_by(provider)} does not match the secret of {kind} {target.name!r}"
            )
        if verify.is_ping(headers):
            return _answer(f"pong: the secret of {kind} {target.name!r} matches; nothing runs")
        if not target.enabled:
            return _answer(
                f"webhooks of {kind} {target.name!r} are disabled (webhook_enabled = false); nothing runs"
            )
        skipped = branch_mismatch(provider, target, parsed)
        if skipped:
            return _answer(skipped)
        return await _start(target, executions(target, option, parsed))

    async def _start(target: Target, requests: list[BusRequest]) -> Response:
        name = type(requests[-1]).__name__
        how = replacing(target)
        started = await (triggers.replace(target, how) if how else triggers.start(target, requests))
        if started.replacing:
            message = f"{name} of {target.kind} {target.name!r} starts once its running build is cancelled"
        elif started.queued:
            message = f"{name} of {target.kind} {target.name!r} queued behind the webhook running for it"
        else:
            message = f"{name} of {target.kind} {target.name!r} started as user Git Webhook"
        return _answer(message, name, started.update_id)

    @router.post(
        "/{provider}/stack/{stack}/{option}",
        summary="Git webhook of a stack: refresh or deploy",
        **DOCUMENTED,
    )
    async def stack_webhook(provider: str, stack: str, option: str, request: Request) -> Response:
        """`refresh` runs RefreshStackCache, `deploy` DeployStackIfChanged (DeployStack when the stack's
        `webhook_force_deploy`). `provider`: `github` (`X-Hub-Signature-256`, also Gitea), `gitlab`
        (`X-Gitlab-Token`) or `generic` (`X-Komodo-Webhook-Token` or `Authorization: Bearer`)."""
        return await listen(provider, "stack", stack, option, request)

    @router.post("/{provider}/build/{build}", summary="Git webhook of a build: RunBuild", **DOCUMENTED)
    async def build_webhook(provider: str, build: str, request: Request) -> Response:
        """RunBuild (503 while no builder service runs); while the build builds, that run is cancelled and
        RunBuild sent once it has ended (answered at once)."""
        return await listen(provider, "build", build, "", request)

    @router.post(
        "/{provider}/repo/{repo}/{option}",
        summary="Git webhook of a repo: clone, pull or build",
        **DOCUMENTED,
    )
    async def repo_webhook(provider: str, repo: str, option: str, request: Request) -> Response:
        """`clone`, `pull` or `build` run CloneRepo, PullRepo or BuildRepo (503 while no service runs them)."""
        return await listen(provider, "repo", repo, option, request)

    @router.post(
        "/{provider}/procedure/{procedure}/{branch:path}",
        summary="Git webhook of a procedure: RunProcedure",
        **DOCUMENTED,
    )
    async def procedure_webhook(provider: str, procedure: str, branch: str, request: Request) -> Response:
        """RunProcedure on a push to `branch` (`__ANY__`: any push). A push to another branch runs nothing (200)."""
        return await listen(provider, "procedure", procedure, branch, request)

    @router.post(
        "/{provider}/action/{action}/{branch:path}",
        summary="Git webhook of an action: RunAction with WEBHOOK_BRANCH and WEBHOOK_BODY",
        **DOCUMENTED,
    )
    async def action_webhook(provider: str, action: str, branch: str, request: Request) -> Response:
        """RunAction on a push to `branch` (`__ANY__`: any push), its ARGS holding `WEBHOOK_BRANCH` (the pushed
        branch) and `WEBHOOK_BODY` (the event) over the action's `arguments`. Another branch runs nothing (200)."""
        return await listen(provider, "action", action, branch, request)

    @router.post(
        "/{provider}/sync/{sync}/{option}",
        summary="Git webhook of a resource sync: refresh or sync",
        **DOCUMENTED,
    )
    async def sync_webhook(provider: str, sync: str, option: str, request: Request) -> Response:
        """`refresh` runs RefreshResourceSyncPending, `sync` RunSync (which refuses a run that would delete
        more than the configured share of the sync's resources: a webhook never confirms deletes)."""
        return await listen(provider, "sync", sync, option, request)

    @router.post("/{provider}/{kind}/{rest:path}", include_in_schema=False)
    async def other_webhook(provider: str, kind: str, rest: str, request: Request) -> Response:
        id_or_name, _, option = rest.partition("/")
        return await listen(provider, kind, id_or_name, option, request)

    return router


def _signed_by(provider: str) -> str:
    return {
        "github": "X-Hub-Signature-256",
        "gitlab": "X-Gitlab-Token",
    }.get(provider, "X-Komodo-Webhook-Token (or Authorization: Bearer)")
