"""Where a build runs: a `BuilderBackend` answers the server whose agent builds, for one run.

Only Komodo's Server builder is implemented: among its servers whose live state is `Ok`, the one with the fewest
builds running now (the `RunningBuild` collection; two builds starting at the same instant may pick the same
server), the earlier in its list on a tie. A builder whose servers are all down fails the build at once, saying
so. An AWS builder launches an EC2 instance per build whose agent joins by itself (`services/common/cloud/`),
builds there as on a Server builder, and terminates it when the build ends, whatever its outcome.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Protocol

from contracts.api.read.builder import GetBuilder
from contracts.api.read.server import ListServers
from contracts.entities.builder import AwsBuilder, ServerBuilder
from contracts.entities.builder import Builder as BuilderResource
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.server import Server, ServerListItem, ServerQuery
from contracts.entities.update import Log
from contracts.events.cloud import AwsBuilderTerminationFailed
from services.common.cloud.join import Cancelled, Joined
from services.common.cloud.machines import Machine
from services.common.errors import BadRequest, Unavailable
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

log = logging.getLogger(__name__)


async def _never() -> bool:
    return False


def least_busy(server_ids: list[str], states: dict[str, str], running: dict[str, int]) -> str | None:
    """Komodo's overflow: among the servers that are `Ok`, the one with the fewest running builds (the earlier
    in the builder's list on a tie); None when none is Ok."""
    ok = [server_id for server_id in server_ids if states.get(server_id) == "Ok"]
    return min(ok, key=lambda server_id: running.get(server_id, 0)) if ok else None


class BuilderBackend(Protocol):
    """A place builds run on."""

    async def acquire(self, update_id: str = "", cancelled: Cancelled | None = None) -> Server:
        """The server whose agent runs this build (an error saying why there is none); progress lines go to the
        Update `update_id`, and `cancelled` tells a backend that waits (an AWS launch) to stop waiting."""
        ...

    async def release(self) -> None:
        """The build ended: give back what `acquire` took (nothing for a Server builder)."""
        ...


class ServerBackend:
    """Komodo's Server builder: the least busy of its servers that are `Ok`."""

    def __init__(self, builder: Builder, resource: BuilderResource, config: ServerBuilder) -> None:
        self.builder = builder
        self.resource = resource
        self.server_ids = list(config.params.server_ids)

    async def acquire(self, update_id: str = "", cancelled: Cancelled | None = None) -> Server:
        if not self.server_ids:
            raise BadRequest(f"builder {self.resource.name!r} has no servers: set its server_ids")
        registry = self.builder.registry
        items: list[ServerListItem] = await self.builder.bus.request(
            ListServers(query=ServerQuery(), limit=0), registry.system_headers()
        )
        states = {item.id: str(getattr(item.info.state, "value", item.info.state)) for item in items}
        names = {item.name: item.id for item in items}
        ordered = [names.get(wanted, wanted) for wanted in self.server_ids]
        counts: dict[str, int] = {}
        async for doc in self.builder.db["RunningBuild"].find({"server_id": {"$in": ordered}}):
            counts[str(doc["server_id"])] = counts.get(str(doc["server_id"]), 0) + 1
        chosen = least_busy(ordered, states, counts)
        if chosen is not None:
            return await registry.server_for_work(chosen)
        by_id = {server_id: name for name, server_id in names.items()}
        described = ", ".join(f"{by_id.get(i, i)} ({states.get(i, 'missing')})" for i in ordered)
        raise Unavailable(f"builder {self.resource.name!r}: none of its servers is Ok: {described}")

    async def release(self) -> None:
        return None


class AwsBackend:
    """Komodo's AWS builder: an EC2 instance launched for this build, whose agent joins by itself as a Server,
    and terminated (with that Server deleted) when the build ends, whatever its outcome."""

    def __init__(self, builder: Builder, resource: BuilderResource, config: AwsBuilder, owner: str) -> None:
        if not builder.cloud.aws_access_key_id and not builder.cloud.aws_endpoint_url:
            raise BadRequest(
                f"builder {resource.name!r} is an Aws builder, but KOMODO_AWS_ACCESS_KEY_ID and "
                "KOMODO_AWS_SECRET_ACCESS_KEY are not set"
            )
        # aiobotocore is imported when an AWS builder is used: tens of MB otherwise held by every builder.
        from services.common.cloud.aws import AwsCloud, AwsSpec, AwsVolumeSpec

        self.builder = builder
        self.resource = resource
        self.params = config.params
        self.owner = owner
        volumes = (
            [AwsVolumeSpec(device_name="/dev/sda1", size_gb=self.params.volume_gb)]
            if self.params.volume_gb
            else []
        )
        self.cloud = AwsCloud(
            builder.cloud,
            AwsSpec(
                region=self.params.region,
                instance_type=self.params.instance_type,
                ami_id=self.params.ami_id,
                subnet_id=self.params.subnet_id,
                key_pair_name=self.params.key_pair_name,
                assign_public_ip=self.params.assign_public_ip,
                security_group_ids=list(self.params.security_group_ids),
                volumes=volumes,
            ),
        )
        self.joined: Joined | None = None
        self.update_id = ""
        self.name = f"aws-builder-{resource.name}-{secrets.token_hex(3)}"

    async def _note(self, text: str) -> None:
        log.info("%s: %s", self.name, text)
        if self.update_id:
            at = now_ms()
            await self.builder.registry.append_log(
                self.update_id, Log(stage="Aws builder", stdout=text, success=True, start_ts=at, end_ts=at)
            )

    async def acquire(self, update_id: str = "", cancelled: Cancelled | None = None) -> Server:
        self.update_id = update_id
        self.joined = await self.builder.launcher.launch_and_join(
            self.cloud,
            name=self.name,
            purpose="builder",
            owner=self.owner,
            user_data=self.params.user_data,
            note=self._note,
            cancelled=cancelled or _never,
            on_stuck=self._stuck,
        )
        return await self.builder.registry.server_for_work(self.joined.server_id)

    async def release(self) -> None:
        joined, self.joined = self.joined, None
        if joined is None:
            return
        error = await self.builder.launcher.terminate(self.cloud, joined.machine, self._note)
        await self.builder.launcher.forget_server(self.name)
        if error:
            await self._stuck(joined.machine, error)

    async def _stuck(self, machine: Machine, error: str) -> None:
        """The instance could not be terminated: the critical alert's event, through the outbox."""
        await self.builder.bus.record(
            AwsBuilderTerminationFailed(
                update_id=self.update_id,
                instance_id=machine.cloud_id,
                region=machine.region,
                message=error,
                resource=ResourceTarget(type=ResourceTargetVariant.Builder, id=self.resource.id),
            )
        )


async def backend_for(
    builder: Builder, builder_id: str, build_name: str, owner: str = "", files_on_host: bool = False
) -> BuilderBackend:
    """The backend of the build's Builder (`owner`: the Build or Repo a cloud machine is for); a 400 for a missing
    builder, a kind not supported yet, or files on the host with a builder whose machines live for one build."""
    if not builder_id:
        raise BadRequest(f"build {build_name!r} has no builder: set its builder_id")
    resource: BuilderResource = await builder.bus.request(
        GetBuilder(builder=builder_id), builder.registry.system_headers()
    )
    if isinstance(resource.config, ServerBuilder):
        return ServerBackend(builder, resource, resource.config)
    if isinstance(resource.config, AwsBuilder):
        if files_on_host:
            raise BadRequest(
                f"build {build_name!r} has files_on_host, but builder {resource.name!r} is an Aws builder, whose "
                "instance lives for one build: use a Server builder"
            )
        return AwsBackend(builder, resource, resource.config, owner or resource.id)
    raise BadRequest(
        f"builder {resource.name!r} is a {resource.config.type} builder: only Server builders are supported yet"
    )
