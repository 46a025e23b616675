"""RunBuild: the build's image built (and pushed) on a server of its Builder, through that server's agent.

Execute on the build is needed; one run of a build at a time (the Runner's lease). The version is the current
one with the patch bumped when `auto_increment_version` is on; `VERSION` is added to the build args; the image
is tagged by Komodo's rules (`services/builder/tags.py`) and pushed to every `image_registry` with a domain,
with the credentials of the stored image registry account. The source is the build's own repository (cloned on
the builder's server with CloneRepoOnHost, folder `build-<name>`), the files on that server (`files_on_host`,
see `services/builder/build_files.py`) or the UI-defined `dockerfile`. On success the
registry records the new version (UpdateBuild as System) and `last_built_at`, `built_hash`, `built_message`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from nats.aio.msg import Msg

from contracts.api.agent.build import (
    BuildImage,
    BuildImageResponse,
    BuildProgress,
    progress_subject,
)
from contracts.api.agent.compose import GitSource
from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.repo import CloneRepoOnHost, RepoLocation, RepoOnHost, RepoOnHostResponse
from contracts.api.execute.build import BatchRunBuild, CancelBuild, RunBuild
from contracts.api.internal.update import progress_stage
from contracts.api.read.build import ListBuilds
from contracts.api.write.build import UpdateBuild
from contracts.entities.build import Build, BuildListItem, BuildQuery
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from contracts.events.base import Event
from contracts.events.execution import BuildFailed, BuildFinished
from services.builder.backends import backend_for
from services.builder.build_files import host_dockerfile
from services.builder.cancels import RunningWork, cancelled_log
from services.builder.tags import build_tags, next_version
from services.common import interpolation
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.errors import BadRequest, plain_reason
from services.common.git_sources import git_source
from services.common.git_transport import scrub
from services.common.registry_client import credentials
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

BUILD_TIMEOUT_SECONDS = 3600.0
"""How long a clone or an image build may take on the agent."""


def target_of(build: Build) -> ResourceTarget:
    """The Build as an Update's target."""
    return ResourceTarget(type=ResourceTargetVariant.Build, id=build.id)


def key_values(text: str) -> dict[str, str]:
    """`KEY=value` lines (blank lines and `#` comments skipped) as a mapping."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip()
    return values


async def source_of(builder: Builder, build: Build) -> GitSource | None:
    """The build's repository (its own, or its `linked_repo`'s) with the account's token, or None (a UI-defined
    Dockerfile)."""
    config = build.config
    what = f"build {build.name!r}"
    return await git_source(builder.registry, builder.settings, config, what, linked_repo=config.linked_repo)


def register(builder: Builder) -> None:
    """Answer RunBuild, BatchRunBuild and CancelBuild."""
    registry = builder.registry
    running = RunningWork(
        builder, "RunningBuild", Operation.RunBuild
    )  # where each build runs, for CancelBuild

    async def run_build(req: RunBuild, ctx: RequestContext) -> Update:
        build = await registry.build_with(ctx.caller, req.build, PermissionLevel.Execute)
        config = build.config
        host_files = host_dockerfile(build) if config.files_on_host else None
        if host_files is not None and config.pre_build.command.strip():
            raise BadRequest(
                f"build {build.name!r}: pre_build is not run for files_on_host builds yet: clear it"
            )
        if (
            host_files is None
            and not config.repo
            and not config.linked_repo
            and not config.dockerfile.strip()
        ):
            raise BadRequest(f"build {build.name!r} has no source: set its repo, linked_repo or dockerfile")
        backend = await backend_for(
            builder, config.builder_id, build.name, owner=build.id, files_on_host=host_files is not None
        )
        values = await interpolation.load(
            builder.bus, registry.system_headers(), builder.settings, config.skip_secret_interp
        )
        values.check(
            [
                config.build_args,
                config.secret_args,
                config.labels,
                config.dockerfile,
                config.pre_build.command,
            ]
        )
        try:
            source = None if host_files is not None else await source_of(builder, build)
        except ValueError as err:
            raise BadRequest(f"build {build.name!r}: {plain_reason(err)}") from None
        auths: list[RegistryAuth] = []
        for entry in config.image_registry:
            if entry.domain.strip():
                auth = await registry.registry_auth(entry.domain.strip(), entry.account, "image_registry")
                if auth is not None:
                    auths.append(auth)
        version = next_version(build)
        started = now_ms()

        def redact(text: str) -> str:
            text = values.redact(text)
            return scrub(text, source) if source is not None else text

        async def work(update: Update) -> list[Log]:
            logs: list[Log] = [*values.logs(started)]
            success = False
            try:
                server = await backend.acquire(update.id, lambda: running.cancelled(build.id, update.id))
                await running.begin(build.id, update.id, server.id)
                location, commit_hash, commit_message = None, "", ""
                if source is not None:
                    if await running.cancelled(build.id, update.id):
                        return [*logs, cancelled_log(Operation.RunBuild, "clone")]
                    location = RepoLocation(name=f"build-{build.name}")
                    on_host = RepoOnHost(
                        location=location,
                        git=source,
                        on_clone=config.pre_build.model_copy(
                            update={"command": values.apply(config.pre_build.command)}
                        ),
                        secrets=[v for v in values.secrets.values() if v],
                    )
                    cloned: RepoOnHostResponse = await builder.agents.ask(
                        server,
                        CloneRepoOnHost(repo=on_host, build_key=build.id),
                        timeout=BUILD_TIMEOUT_SECONDS,
                    )
                    logs += cloned.logs
                    if not cloned.logs or not all(log.success for log in cloned.logs):
                        return logs
                    commit_hash, commit_message = cloned.latest_hash or "", cloned.latest_message or ""
                tags = build_tags(build, version, commit_hash[:7] if commit_hash else "")
                build_args = {**key_values(values.apply(config.build_args)), "VERSION": str(version)}
                if host_files is not None:
                    location = host_files.repo
                request = BuildImage(
                    build_key=build.id,
                    repo=location,
                    host_directory=host_files.host_directory if host_files is not None else "",
                    dockerfile=values.apply(config.dockerfile)
                    if source is None and host_files is None
                    else "",
                    build_path=host_files.build_path if host_files is not None else config.build_path or ".",
                    dockerfile_path=config.dockerfile_path or "Dockerfile",
                    build_args=build_args,
                    secret_args=key_values(values.apply(config.secret_args)),
                    labels=key_values(values.apply(config.labels)),
                    extra_args=[values.apply(arg) for arg in config.extra_args],
                    tags=tags,
                    push=bool(auths) or any(e.domain.strip() for e in config.image_registry),
                    registries=auths,
                    use_buildx=config.use_buildx,
                    secrets=[v for v in values.secrets.values() if v],
                )
                subject = progress_subject(server.id, update.id)
                request = request.model_copy(update={"progress_subject": subject})

                async def progressed(msg: Msg) -> None:
                    # Best effort: the full Logs come with the answer; a batch that cannot be shown is skipped.
                    with contextlib.suppress(Exception):
                        batch = BuildProgress.model_validate_json(msg.data)
                        at = now_ms()
                        note = Log(
                            stage=progress_stage(batch.stage, batch.seq),
                            stdout=redact("\n".join(batch.lines)),
                            success=True,
                            start_ts=at,
                            end_ts=at,
                        )
                        await registry.append_log(update.id, note)

                if await running.cancelled(build.id, update.id):
                    return [*logs, cancelled_log(Operation.RunBuild, "image build")]
                subscription = await builder.bus.nc.subscribe(subject, cb=progressed)
                try:
                    built: BuildImageResponse = await builder.agents.ask(
                        server, request, timeout=BUILD_TIMEOUT_SECONDS
                    )
                finally:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()
                logs += built.logs
                success = built.success
                if success:
                    if version != config.version:
                        await builder.bus.request(
                            UpdateBuild(id=build.id, config={"version": version.model_dump(mode="json")}),
                            registry.system_headers(),
                        )
                    await registry.set_info(
                        target_of(build),
                        {
                            "last_built_at": now_ms(),
                            "built_hash": commit_hash[:7] or None,
                            "built_message": commit_message or None,
                        },
                    )
                return logs
            except ValueError as err:
                raise BadRequest(f"build {build.name!r}: {plain_reason(err)}") from None
            finally:
                await running.end(build.id, update.id)
                await backend.release()
                await builder.outcomes.record(target_of(build), Operation.RunBuild.value, success)
                target = target_of(build)
                events: list[Event] = [
                    BuildFinished(
                        update_id=update.id, success=success, build_version=version, resource=target
                    )
                ]
                if not success:
                    events.append(
                        BuildFailed(
                            update_id=update.id, name=build.name, build_version=version, resource=target
                        )
                    )
                await builder.history.record(build.id, version, success, started, now_ms(), *events)
                builder.outbox.wake(builder.history.coll.name)

        return await builder.runner.start(
            Operation.RunBuild,
            target_of(build),
            ctx.caller.user_id,
            work,
            redact=redact,
            version=version,
            ctx=ctx,
        )

    async def cancel(req: CancelBuild, ctx: RequestContext) -> Update:
        build = await registry.build_with(ctx.caller, req.build, PermissionLevel.Execute)

        async def work(update: Update) -> list[Log]:
            started = now_ms()
            stopped = await running.cancel(target_of(build), build.id)
            text = "the running build was cancelled" if stopped else "no build of it was running"
            return [Log(stage="Cancel Build", stdout=text, success=True, start_ts=started, end_ts=now_ms())]

        return await builder.runner.start(
            Operation.CancelBuild, target_of(build), ctx.caller.user_id, work, ctx=ctx
        )

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        builds: list[BuildListItem] = await builder.bus.request(
            ListBuilds(query=BuildQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(b.id, b.name) for b in builds]

    builder.bus.handle(RunBuild, run_build)
    builder.bus.handle(CancelBuild, cancel)
    register_batch(builder, BatchRunBuild, RunBuild, "build", listed)
