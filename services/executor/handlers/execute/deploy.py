"""Deploy and PullDeployment: run a Deployment's container from its config on its server (Komodo's `docker run`, via the agent).

The config is turned into a RunContainer request here, so a malformed port, volume, label or environment line
is a 400 before anything reaches the host. A Build's image is resolved as Komodo does (`build_image`): the
Build is read as the System user, its first image registry gives the image name and the account. A private
image is pulled with the deployment's image registry account (else the Build's). The agent keeps the previous container until the new one runs, and restores it when it does not.
`DeploymentDeployed` follows every deploy, stored with the Update's completion (`Runner.carry`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from contracts.api.agent.container import PullImage, RegistryAuth, RunContainer
from contracts.api.execute.deployment import Deploy, PullDeployment
from contracts.api.read.build import GetBuild
from contracts.entities.build import Build
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.deployment import Deployment, DeploymentImageBuild, container_name
from contracts.entities.update import Log, Operation, Update
from contracts.events.execution import DeploymentDeployed
from services.common import interpolation
from services.common.build_image import BuildImage, build_image
from services.common.bus import RemoteError, RequestContext
from services.common.concurrent_reads import together
from services.common.errors import BadRequest, plain_reason
from services.common.interpolation import Interpolation
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.executor.app import Executor

DEPLOY_TIMEOUT_SECONDS = 900.0
"""Longest a deploy may take on the host (a large pull)."""


def lines(text: str, commas: bool = False) -> list[str]:
    """The entries of one of Komodo's multi-line fields: one per line (or comma), `#` comments dropped."""
    entries: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        entries.extend(part.strip() for part in (line.split(",") if commas else [line]) if part.strip())
    return entries


def environment(text: str) -> list[str]:
    """`KEY=value` entries from Komodo's environment field (`KEY: value` is accepted too)."""
    found = []
    for entry in lines(text):
        item = entry.removeprefix("- ")
        if "=" not in item and ": " in item:
            key, value = item.split(": ", 1)
            item = f"{key.strip()}={value}"
        found.append(item)
    return found


def registry_domain(image: str) -> str:
    """The registry an image comes from (`docker.io` when its first part is no host)."""
    first = image.split("/", 1)[0]
    return first if "/" in image and ("." in first or ":" in first or first == "localhost") else "docker.io"


@dataclass(frozen=True)
class DeployImage:
    """The image a deployment runs, the credentials to pull it with, and the Build it comes from (if any)."""

    image: str
    """The full image reference."""
    auth: RegistryAuth | None
    """Registry credentials, when an account is configured."""
    build: Build | None = None
    """The attached Build, for a deployment of a Build's image."""
    built: BuildImage | None = None
    """How the Build's image was named."""

    def missing_image_hint(self) -> str:
        """What to tell when the host has no such image and cannot pull it ("" when nothing is to add)."""
        if self.build is None or self.built is None or not self.built.local_only:
            return ""
        return (
            f"build {self.build.name!r} pushes its image to no registry (its config.image_registry has no "
            f"domain), so {self.image} exists only on the host where it was built, and it is not on this "
            "server: give the build an image registry to deploy it elsewhere"
        )


async def attached_build(executor: Executor, deployment: Deployment, build_id: str) -> Build:
    """The Build a deployment deploys (read as the System user); a 400 when it names none or one that is gone."""
    if not build_id.strip():
        raise BadRequest(
            f"deployment {deployment.name!r} deploys a Build's image but names no build: "
            "set config.image.params.build_id"
        )
    try:
        build: Build = await executor.bus.request(
            GetBuild(build=build_id), executor.registry.system_headers()
        )
    except RemoteError as err:
        if err.status == 404:
            raise BadRequest(
                f"deployment {deployment.name!r}: its build {build_id!r} does not exist "
                "(config.image.params.build_id)"
            ) from None
        raise
    return build


async def resolve_image(executor: Executor, deployment: Deployment) -> DeployImage:
    """The image a deployment runs and its credentials; a 400 saying what is missing.

    A Build's image is named as Komodo names it (`services.common.build_image`). Its credentials are those of
    the deployment's `image_registry_account`, else of the account of the build's first image registry, looked
    up for that registry's domain.
    """
    config = deployment.config
    if isinstance(config.image, DeploymentImageBuild):
        params = config.image.params
        build = await attached_build(executor, deployment, params.build_id)
        built = build_image(build, params.version)
        if not built.name:
            raise BadRequest(f"build {build.name!r} gives no image name: set its config.image_name")
        if built.registry is not None:
            domain = built.registry.domain.strip()
            account, field = (
                (config.image_registry_account, "image_registry_account")
                if config.image_registry_account
                else (built.registry.account.strip(), f"build {build.name!r} image_registry account")
            )
        else:
            domain, account, field = (
                registry_domain(built.image),
                config.image_registry_account,
                "image_registry_account",
            )
        auth = await executor.registry.registry_auth(domain, account, field)
        return DeployImage(image=built.image, auth=auth, build=build, built=built)
    image = config.image.params.image.strip()
    if not image:
        raise BadRequest(f"deployment {deployment.name!r} has no image: set config.image")
    auth = await executor.registry.registry_auth(
        registry_domain(image), config.image_registry_account, "image_registry_account"
    )
    return DeployImage(image=image, auth=auth)


async def image_and_auth(executor: Executor, deployment: Deployment) -> tuple[str, RegistryAuth | None]:
    """The image a deployment runs and the credentials to pull it with; a 400 saying what is missing."""
    resolved = await resolve_image(executor, deployment)
    return resolved.image, resolved.auth


def with_hint(logs: list[Log], resolved: DeployImage) -> list[Log]:
    """The agent's Logs, a failed `Pull Image` explained when the Build's image cannot be anywhere else."""
    hint = resolved.missing_image_hint()
    if not hint:
        return logs
    return [
        log.model_copy(update={"stderr": f"{log.stderr}\n{hint}".strip()})
        if log.stage == "Pull Image" and not log.success
        else log
        for log in logs
    ]


async def secrets_for(executor: Executor, skip_secrets: bool) -> Interpolation:
    """The variables and secrets an execution interpolates (read as the System user)."""
    return await interpolation.load(
        executor.bus, executor.registry.system_headers(), executor.settings, skip_secrets
    )


async def run_request(
    executor: Executor, deployment: Deployment, req: Deploy, values: Interpolation
) -> tuple[RunContainer, DeployImage]:
    """The agent request of a deploy, variables interpolated, and the image it runs; a 400 saying what in the
    config cannot run.

    The fields Komodo interpolates are environment, ports, volumes, labels, command and extra_args; a reference
    to a name that exists nowhere is a 400 naming it, before anything reaches the host.
    """
    config = deployment.config
    fields = [
        config.environment,
        config.ports,
        config.volumes,
        config.labels,
        config.command,
        *config.extra_args,
    ]
    values.check(fields)
    resolved = await resolve_image(executor, deployment)
    try:
        command = shlex.split(values.apply(config.command))
    except ValueError as err:
        raise BadRequest(f"command: {values.redact(plain_reason(err))}") from None
    try:
        request = RunContainer(
            name=container_name(deployment.name, config.custom_name),
            image=resolved.image,
            registry_auth=resolved.auth,
            environment=environment(values.apply(config.environment)),
            ports=lines(values.apply(config.ports), commas=True),
            volumes=lines(values.apply(config.volumes), commas=True),
            labels=lines(values.apply(config.labels)),
            command=command,
            network=config.network or "host",
            restart=config.restart.value,
            stop_signal=(req.stop_signal or config.termination_signal).value,
            stop_time=req.stop_time if req.stop_time is not None else config.termination_timeout,
            extra_args=values.apply_all(list(config.extra_args)),
        )
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise BadRequest(f"deployment {deployment.name!r} cannot run: {values.redact(problems)}") from None
    return request, resolved


def register(executor: Executor) -> None:
    """Answer Deploy and PullDeployment."""

    async def deploy(req: Deploy, ctx: RequestContext) -> Update:
        # The variables are read while the deployment, the permission and the server are: nothing in them
        # depends on the deployment but `skip_secret_interp`, applied once it is known.
        (deployment, server), values = await together(
            executor.registry.deployment_on_server(ctx.caller, req.deployment, PermissionLevel.Execute),
            secrets_for(executor, skip_secrets=False),
        )
        values = values.skipping(deployment.config.skip_secret_interp)
        request, resolved = await run_request(executor, deployment, req, values)
        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
        started = now_ms()

        async def work(update: Update) -> list[Log]:
            logs: list[Log] = []
            try:
                answer: Any = await executor.agents.ask(server, request, timeout=DEPLOY_TIMEOUT_SECONDS)
                logs = with_hint(list(answer), resolved)
                return [*values.logs(started), *logs]
            finally:
                success = bool(logs) and all(log.success for log in logs)
                executor.runner.carry(
                    update, DeploymentDeployed(update_id=update.id, success=success, resource=target)
                )

        executor.resource_states.follow(deployment)
        return await executor.runner.start(
            Operation.Deploy,
            target,
            ctx.caller.user_id,
            work,
            redact=values.redact,
            version=resolved.built.version if resolved.built is not None else None,
            ctx=ctx,
        )

    async def pull(req: PullDeployment, ctx: RequestContext) -> Update:
        deployment, server = await executor.registry.deployment_on_server(
            ctx.caller, req.deployment, PermissionLevel.Execute
        )
        resolved = await resolve_image(executor, deployment)
        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)

        async def work(update: Update) -> list[Log]:
            answer: Log = await executor.agents.ask(
                server,
                PullImage(image=resolved.image, registry_auth=resolved.auth),
                timeout=DEPLOY_TIMEOUT_SECONDS,
            )
            return with_hint([answer], resolved)

        return await executor.runner.start(
            Operation.PullDeployment, target, ctx.caller.user_id, work, ctx=ctx
        )

    executor.bus.handle(Deploy, deploy)
    executor.bus.handle(PullDeployment, pull)
