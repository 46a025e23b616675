"""The orphan sweep: at start, terminate the cloud machines this install launched that nothing uses any more.

A machine is ours when its `varanus-managed` tag (label) is this install's `db_prefix`. A builder machine is used
while an execution of its owner (the Build's RunBuild, the Repo's BuildRepo) holds its lease; a server machine
while a Server records its cloud id, or a LaunchServer of its template is running. Everything else (left by a
builder process that died mid-build, or a launch cut short) is terminated, and one System Update lists what was
terminated with the cloud's ids. The AWS regions swept are those of the Aws builders, Aws templates and launched
servers; Hetzner is swept when a token is set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from contracts.api.read.builder import ListFullBuilders
from contracts.api.read.server import ListFullServers
from contracts.api.read.server_template import ListFullServerTemplates
from contracts.entities.builder import AwsBuilder
from contracts.entities.builder import Builder as BuilderResource
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.server import Server
from contracts.entities.server_template import AwsServerTemplate, ServerTemplate
from contracts.entities.update import Log, Operation
from contracts.service_users import SYSTEM_USER_ID
from services.common.cloud.clouds import cloud_of_machine
from services.common.cloud.machines import OWNER_TAG, PURPOSE_TAG, Cloud, Machine
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

log = logging.getLogger(__name__)


async def _used(builder: Builder, machine: Machine, cloud_ids: set[str]) -> bool:
    owner = machine.tags.get(OWNER_TAG, "")
    if machine.tags.get(PURPOSE_TAG) == "server":
        if machine.cloud_id in cloud_ids:
            return True
        template = ResourceTarget(type=ResourceTargetVariant.ServerTemplate, id=owner)
        return bool((await builder.runner.live(template)).get(Operation.LaunchServer.value))
    build = await builder.runner.live(ResourceTarget(type=ResourceTargetVariant.Build, id=owner))
    repo = await builder.runner.live(ResourceTarget(type=ResourceTargetVariant.Repo, id=owner))
    return bool(build.get(Operation.RunBuild.value) or repo.get(Operation.BuildRepo.value))


async def sweep_orphans(builder: Builder) -> list[str]:
    """Terminate the unused machines of this install; the descriptions of those terminated."""
    settings = builder.cloud
    aws = bool(settings.aws_access_key_id or settings.aws_endpoint_url)
    if not aws and not settings.hetzner_token:
        return []
    headers = builder.registry.system_headers()
    builders: list[BuilderResource] = await builder.bus.request(ListFullBuilders(limit=0), headers)
    templates: list[ServerTemplate] = await builder.bus.request(ListFullServerTemplates(limit=0), headers)
    servers: list[Server] = await builder.bus.request(ListFullServers(limit=0), headers)
    regions = {b.config.params.region for b in builders if isinstance(b.config, AwsBuilder)}
    regions |= {t.config.params.region for t in templates if isinstance(t.config, AwsServerTemplate)}
    regions |= {
        s.info.cloud_region for s in servers if s.info.cloud_provider == "Aws" and s.info.cloud_region
    }
    cloud_ids = {s.info.cloud_id for s in servers if s.info.cloud_id}
    clouds: list[Cloud] = []
    if aws:
        clouds += [cloud_of_machine(settings, "Aws", region) for region in sorted(regions)]
    if settings.hetzner_token:
        clouds.append(cloud_of_machine(settings, "Hetzner", ""))
    logs: list[Log] = []
    terminated: list[str] = []
    for cloud in clouds:
        try:
            machines = await cloud.list_ours(builder.launcher.install)
        except Exception as err:  # one unreachable cloud does not stop the sweep of the others
            log.warning("orphan sweep: %s", err)
            continue
        for machine in machines:
            if await _used(builder, machine, cloud_ids):
                continue
            at = now_ms()
            error = await builder.launcher.terminate(cloud, machine)
            text = (
                f"could not terminate the orphan {machine.describe()} ({machine.name}): {error}"
                if error
                else f"terminated the orphan {machine.describe()} ({machine.name}): nothing used it"
            )
            log.warning("orphan sweep: %s", text)
            logs.append(
                Log(
                    stage="Orphan sweep",
                    stdout="" if error else text,
                    stderr=text if error else "",
                    success=not error,
                    start_ts=at,
                    end_ts=now_ms(),
                )
            )
            if not error:
                terminated.append(machine.describe())
    if logs:
        update = await builder.registry.create_update(
            Operation.None_, ResourceTarget.system(), SYSTEM_USER_ID, logs=logs
        )
        await builder.registry.finish(update.id)
    return terminated
