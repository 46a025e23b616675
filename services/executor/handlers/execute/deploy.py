"""Deploy and PullDeployment: run a Deployment's container from its config on its server (Komodo's `docker run`, via the agent).

The config is turned into a RunContainer request here, so a malformed port, volume, label or environment line
is a 400 before anything reaches the host. A private image is pulled with the deployment's image registry
account. The agent keeps the previous container until the new one runs, and restores it when it does not.
`DeploymentDeployed` follows every deploy.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from contracts.api.agent.container import PullImage, RegistryAuth, RunContainer
from contracts.api.execute.deployment import Deploy, PullDeployment
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.deployment import Deployment, DeploymentImageBuild, container_name
from contracts.entities.update import Log, Operation, Update
from contracts.events.execution import DeploymentDeployed
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.executor import interpolation
from services.executor.interpolation import Interpolation
from services.executor.runs import now_ms

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


async def image_and_auth(executor: Executor, deployment: Deployment) -> tuple[str, RegistryAuth | None]:
    """The image a deployment runs and the credentials to pull it with; a 400 saying what is missing."""
    config = deployment.config
    if isinstance(config.image, DeploymentImageBuild):
        raise BadRequest(
            f"deployment {deployment.name!r} deploys a Build's image: that comes with the builder service"
        )
    image = config.image.params.image.strip()
    if not image:
        raise BadRequest(f"deployment {deployment.name!r} has no image: set config.image")
    if not config.image_registry_account:
        return image, None
    domain = registry_domain(image)
    account = await executor.registry.registry_account(domain, config.image_registry_account)
    if account is None:
        raise BadRequest(
            f"image_registry_account: no account {config.image_registry_account!r} for registry {domain!r}"
        )
    return image, RegistryAuth(server=domain, username=account.username, password=account.token)


async def secrets_for(executor: Executor, skip_secrets: bool) -> Interpolation:
    """The variables and secrets an execution interpolates (read as the System user)."""
    return await interpolation.load(
        executor.bus, executor.registry.system_headers(), executor.settings, skip_secrets
    )


async def run_request(
    executor: Executor, deployment: Deployment, req: Deploy, values: Interpolation
) -> RunContainer:
    """The agent request of a deploy, variables interpolated; a 400 saying what in the config cannot run.

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
    image, auth = await image_and_auth(executor, deployment)
    try:
        command = shlex.split(values.apply(config.command))
    except ValueError as err:
        raise BadRequest(f"command: {values.redact(str(err))}") from None
    try:
        return RunContainer(
            name=container_name(deployment.name, config.custom_name),
            image=image,
            registry_auth=auth,
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


def register(executor: Executor) -> None:
    """Answer Deploy and PullDeployment."""

    async def deploy(req: Deploy, ctx: RequestContext) -> Update:
        deployment, server = await executor.registry.deployment_on_server(
            ctx.headers, req.deployment, PermissionLevel.Execute
        )
        values = await secrets_for(executor, deployment.config.skip_secret_interp)
        request = await run_request(executor, deployment, req, values)
        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
        started = now_ms()

        async def work(update: Update) -> list[Log]:
            logs: list[Log] = []
            try:
                answer: Any = await executor.agents.ask(server, request, timeout=DEPLOY_TIMEOUT_SECONDS)
                logs = list(answer)
                return [*values.logs(started), *logs]
            finally:
                success = bool(logs) and all(log.success for log in logs)
                await executor.bus.publish(
                    DeploymentDeployed(update_id=update.id, success=success, resource=target)
                )

        return await executor.runner.start(
            Operation.Deploy, target, ctx.caller.user_id, work, redact=values.redact
        )

    async def pull(req: PullDeployment, ctx: RequestContext) -> Update:
        deployment, server = await executor.registry.deployment_on_server(
            ctx.headers, req.deployment, PermissionLevel.Execute
        )
        image, auth = await image_and_auth(executor, deployment)
        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)

        async def work(update: Update) -> list[Log]:
            answer: Log = await executor.agents.ask(
                server, PullImage(image=image, registry_auth=auth), timeout=DEPLOY_TIMEOUT_SECONDS
            )
            return [answer]

        return await executor.runner.start(Operation.PullDeployment, target, ctx.caller.user_id, work)

    executor.bus.handle(Deploy, deploy)
    executor.bus.handle(PullDeployment, pull)
