"""LaunchServer: a new machine from a ServerTemplate whose agent joins as a Server; DestroyServer (extension):
terminate a launched server's machine and delete the Server.

The builder runs them because it owns every cloud machine Varanus launches (the AWS builders' too): one place
holds the limit on launches at once and the orphan sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute.server_template import DestroyServer, LaunchServer
from contracts.api.read.server import ListServers
from contracts.api.read.server_template import GetServerTemplate
from contracts.api.write.server import DeleteServer
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.server import ServerListItem, ServerQuery
from contracts.entities.server_template import ServerTemplate
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.cloud.clouds import cloud_of_machine, cloud_of_template
from services.common.cloud.machines import Machine
from services.common.errors import BadRequest
from services.common.registry_client import credentials
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

STAGE = "Launch"
"""Stage of the progress lines of a launch or a destroy."""


def register(builder: Builder) -> None:
    """Answer LaunchServer and DestroyServer."""
    registry = builder.registry

    async def launch(req: LaunchServer, ctx: RequestContext) -> Update:
        template: ServerTemplate = await builder.bus.request(
            GetServerTemplate(server_template=req.server_template), credentials(ctx.headers)
        )
        target = ResourceTarget(type=ResourceTargetVariant.ServerTemplate, id=template.id)
        await registry.require(ctx.headers, target, PermissionLevel.Execute, template.name)
        cloud = cloud_of_template(builder.cloud, template.config)
        existing: list[ServerListItem] = await builder.bus.request(
            ListServers(query=ServerQuery(names=[req.name]), limit=0), registry.system_headers()
        )
        if any(item.name == req.name for item in existing):
            raise BadRequest(
                f"a server named {req.name!r} exists already: choose another name for the new server"
            )

        async def work(update: Update) -> list[Log]:
            async def note(text: str) -> None:
                at = now_ms()
                await registry.append_log(
                    update.id, Log(stage=STAGE, stdout=text, success=True, start_ts=at, end_ts=at)
                )

            joined = await builder.launcher.launch_and_join(
                cloud,
                name=req.name,
                purpose="server",
                owner=template.id,
                user_data=template.config.params.user_data,
                server_tags=list(template.tags),
                note=note,
            )
            machine = joined.machine
            await registry.set_info(
                ResourceTarget(type=ResourceTargetVariant.Server, id=joined.server_id),
                {
                    "server_template_id": template.id,
                    "cloud_provider": machine.provider,
                    "cloud_id": machine.cloud_id,
                    "cloud_region": machine.region,
                },
            )
            at = now_ms()
            text = f"server {req.name!r} ({joined.server_id}) runs on {machine.describe()}"
            return [Log(stage=STAGE, stdout=text, success=True, start_ts=at, end_ts=at)]

        return await builder.runner.start(
            Operation.LaunchServer, target, ctx.caller.user_id, work, lock=req.name, ctx=ctx
        )

    async def destroy(req: DestroyServer, ctx: RequestContext) -> Update:
        server = await registry.server_with(ctx.caller, req.server, PermissionLevel.Write)
        info = server.info
        if not info.cloud_id:
            raise BadRequest(
                f"server {server.name!r} was not launched from a ServerTemplate: use DeleteServer"
            )
        machine = Machine(info.cloud_provider, info.cloud_id, info.cloud_region, server.name)
        if not req.confirm:
            raise BadRequest(
                f"refusing to destroy server {server.name!r}: it terminates {machine.describe()} and everything "
                "on it; send confirm: true to go ahead"
            )
        cloud = cloud_of_machine(builder.cloud, info.cloud_provider, info.cloud_region)
        target = ResourceTarget(type=ResourceTargetVariant.Server, id=server.id)

        async def work(update: Update) -> list[Log]:
            async def note(text: str) -> None:
                at = now_ms()
                await registry.append_log(
                    update.id, Log(stage=STAGE, stdout=text, success=True, start_ts=at, end_ts=at)
                )

            error = await builder.launcher.terminate(cloud, machine, note)
            at = now_ms()
            if error:
                text = (
                    f"could not terminate {machine.describe()}: {error}; the server {server.name!r} is kept"
                )
                return [Log(stage=STAGE, stderr=text, success=False, start_ts=at, end_ts=at)]
            await builder.bus.request(
                DeleteServer(id=server.id, keep_cloud_machine=True), registry.system_headers()
            )
            text = f"terminated {machine.describe()} and deleted server {server.name!r}"
            return [Log(stage=STAGE, stdout=text, success=True, start_ts=at, end_ts=at)]

        return await builder.runner.start(Operation.DeleteServer, target, ctx.caller.user_id, work, ctx=ctx)

    builder.bus.handle(LaunchServer, launch)
    builder.bus.handle(DestroyServer, destroy)
