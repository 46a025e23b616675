"""CloneRepo, PullRepo, BuildRepo and their batches: the repo cloned or pulled on its server (BuildRepo: on a
server of its Builder) through the agent; CancelRepoBuild stops a running BuildRepo (`services/builder/cancels.py`).

Execute on the repo is needed; one clone or pull of a repo runs at a time (the Runner's lease per action).
`environment` and the commands are interpolated first (a variable that exists nowhere is a 400 before anything
runs) and every secret and the git token are redacted from the Update. A successful run records the repo's
`latest_hash`, `latest_message` and `last_pulled_at` in the registry (UpdateResourceInfo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.repo import CloneRepoOnHost, PullRepoOnHost, RepoOnHostResponse
from contracts.api.execute.repo import (
    BatchBuildRepo,
    BatchCloneRepo,
    BatchPullRepo,
    BuildRepo,
    CancelRepoBuild,
    CloneRepo,
    PullRepo,
)
from contracts.api.read.repo import ListRepos
from contracts.entities.common import PermissionLevel
from contracts.entities.repo import RepoListItem, RepoQuery
from contracts.entities.update import Log, Operation, Update
from services.builder.backends import BuilderBackend, backend_for
from services.builder.cancels import RunningWork, cancelled_log
from services.builder.repos import interpolated_fields, repo_on_host, target_of
from services.common import interpolation
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.common.git_transport import scrub
from services.common.registry_client import credentials
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

REPO_TIMEOUT_SECONDS = 600.0
"""How long a clone or pull (with its command) may take on the agent."""


def register(builder: Builder) -> None:
    """Answer CloneRepo, PullRepo, BuildRepo, CancelRepoBuild and their batches."""
    registry = builder.registry
    running = RunningWork(builder, "RunningRepoBuild", Operation.BuildRepo)

    async def run(name: str, operation: Operation, ctx: RequestContext) -> Update:
        repo = await registry.repo_with(ctx.caller, name, PermissionLevel.Execute)
        on_builder = operation == Operation.BuildRepo
        backend: BuilderBackend | None = None
        if on_builder:
            backend = await backend_for(builder, repo.config.builder_id, f"repo {repo.name}", owner=repo.id)
        elif not repo.config.server_id:
            raise BadRequest(f"repo {repo.name!r} has no server: set its server_id")
        values = await interpolation.load(
            builder.bus, registry.system_headers(), builder.settings, repo.config.skip_secret_interp
        )
        values.check(interpolated_fields(repo))
        on_host = await repo_on_host(builder, repo, values)
        source = on_host.git
        started = now_ms()

        def redact(text: str) -> str:
            text = values.redact(text)
            return scrub(text, source) if source is not None else text

        async def work(update: Update) -> list[Log]:
            # BuildRepo clones on a server of the repo's Builder (Komodo runs on_clone there), under the repo's
            # id as its key, so CancelRepoBuild can stop it.
            request = (
                PullRepoOnHost(repo=on_host)
                if operation == Operation.PullRepo
                else CloneRepoOnHost(repo=on_host, build_key=repo.id if on_builder else "")
            )
            success = False
            answer = RepoOnHostResponse()
            try:
                if backend is not None:
                    server = await backend.acquire(update.id, lambda: running.cancelled(repo.id, update.id))
                    await running.begin(repo.id, update.id, server.id)
                else:
                    server = await registry.server_for_work(repo.config.server_id)
                if on_builder and await running.cancelled(repo.id, update.id):
                    answer = RepoOnHostResponse(logs=[cancelled_log(operation, "clone")])
                else:
                    answer = await builder.agents.ask(server, request, timeout=REPO_TIMEOUT_SECONDS)
                success = bool(answer.logs) and all(log.success for log in answer.logs)
            finally:
                if backend is not None:
                    await running.end(repo.id, update.id)
                    await backend.release()
                # Before the Update closes; while the lease is held, lists show the running action anyway.
                await builder.outcomes.record(target_of(repo), operation.value, success)
            logs = [*values.logs(started), *answer.logs]
            if success:
                info: dict[str, object] = {
                    "latest_hash": answer.latest_hash,
                    "latest_message": answer.latest_message,
                }
                if on_builder:
                    info |= {"last_built_at": now_ms(), "built_hash": answer.latest_hash}
                else:
                    info["last_pulled_at"] = now_ms()
                await registry.set_info(target_of(repo), info)
            return logs

        return await builder.runner.start(
            operation, target_of(repo), ctx.caller.user_id, work, redact=redact, ctx=ctx
        )

    async def clone(req: CloneRepo, ctx: RequestContext) -> Update:
        return await run(req.repo, Operation.CloneRepo, ctx)

    async def pull(req: PullRepo, ctx: RequestContext) -> Update:
        return await run(req.repo, Operation.PullRepo, ctx)

    async def build_repo(req: BuildRepo, ctx: RequestContext) -> Update:
        return await run(req.repo, Operation.BuildRepo, ctx)

    async def cancel_build(req: CancelRepoBuild, ctx: RequestContext) -> Update:
        repo = await registry.repo_with(ctx.caller, req.repo, PermissionLevel.Execute)

        async def work(update: Update) -> list[Log]:
            started = now_ms()
            stopped = await running.cancel(target_of(repo), repo.id)
            text = "the running repo build was cancelled" if stopped else "no build of it was running"
            return [
                Log(stage="Cancel Repo Build", stdout=text, success=True, start_ts=started, end_ts=now_ms())
            ]

        return await builder.runner.start(
            Operation.CancelRepoBuild, target_of(repo), ctx.caller.user_id, work, ctx=ctx
        )

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        repos: list[RepoListItem] = await builder.bus.request(
            ListRepos(query=RepoQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(r.id, r.name) for r in repos]

    builder.bus.handle(CloneRepo, clone)
    builder.bus.handle(PullRepo, pull)
    builder.bus.handle(BuildRepo, build_repo)
    builder.bus.handle(CancelRepoBuild, cancel_build)
    register_batch(builder, BatchCloneRepo, CloneRepo, "repo", listed)
    register_batch(builder, BatchPullRepo, PullRepo, "repo", listed)
    register_batch(builder, BatchBuildRepo, BuildRepo, "repo", listed)
