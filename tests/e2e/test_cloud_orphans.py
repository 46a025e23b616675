"""The builder's orphan sweep at start: machines of this install that nothing uses are terminated, the rest kept."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from services.builder.app import Builder
from services.common.cloud.hetzner import HetznerCloud, HetznerSpec
from services.common.cloud.machines import ours
from services.common.settings import Settings
from tests.cloud import (  # noqa: F401
    an_ami,
    cloud_builder,
    cloud_settings,
    ec2,
    hetzner,
    instances,
    moto_url,
    run_tagged,
)
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import eventually
from tests.hetzner_fake import HetznerFake


async def test_the_sweep_at_start_terminates_only_our_unused_machines(
    registry: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    ami = await an_ami(moto_url)
    await client.write(
        "CreateBuilder", {"name": "cloud", "config": {"type": "Aws", "params": {"ami_id": ami}}}
    )
    server = await client.write("CreateServer", {"name": "launched"})

    left_by_a_build = await run_tagged(
        moto_url, ami, ours(db_prefix, "builder", "65a000000000000000000001", "aws-builder-x")
    )
    in_use = await run_tagged(
        moto_url, ami, ours(db_prefix, "server", "65a000000000000000000002", "launched")
    )
    other_install = await run_tagged(
        moto_url, ami, ours("t_someone_else", "builder", "65a000000000000000000003", "theirs")
    )
    await cloud_builder.registry.set_info(
        ResourceTarget(type=ResourceTargetVariant.Server, id=server["_id"]["$oid"]),
        {"cloud_provider": "Aws", "cloud_id": in_use, "cloud_region": "us-east-1"},
    )
    settings = cloud_settings(moto_url, hetzner.url)
    hetzner_cloud = HetznerCloud(
        settings, HetznerSpec(server_type="cpx11", image="debian-12", location="fsn1")
    )
    stray = await hetzner_cloud.launch(
        "stray", "", ours(db_prefix, "server", "65a000000000000000000004", "stray")
    )

    second = Builder(
        Settings(nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data"),
        cloud=settings,
    )
    await second.start()
    try:
        assert second.orphan_sweep is not None
        terminated = await second.orphan_sweep
    finally:
        await second.stop()
    assert sorted(terminated) == sorted(
        [f"Aws instance {left_by_a_build} (us-east-1)", f"Hetzner server {stray.cloud_id} (fsn1)"]
    )
    states = {i: e["state"] for i, e in (await instances(moto_url, db_prefix)).items()}
    assert states == {left_by_a_build: "terminated", in_use: "running"}
    assert (await instances(moto_url, "t_someone_else"))[other_install]["state"] == "running"
    assert hetzner.servers == {}
    listed = await client.read("ListUpdates", {"query": {"operation": "None", "target.type": "System"}})
    assert len(listed["updates"]) == 1, listed
    full = await client.read("GetUpdate", {"id": listed["updates"][0]["id"]})
    assert left_by_a_build in json.dumps(full["logs"]) and stray.cloud_id in json.dumps(full["logs"])
    async with ec2(moto_url) as client_ec2:
        await client_ec2.terminate_instances(InstanceIds=[in_use, other_install])


async def test_later_sweeps_terminate_a_machine_once_nothing_uses_it_any_more(
    registry: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    ami = await an_ami(moto_url)
    await client.write(
        "CreateServerTemplate", {"name": "ec2", "config": {"type": "Aws", "params": {"ami_id": ami}}}
    )
    server = await client.write("CreateServer", {"name": "launched"})
    machine = await run_tagged(
        moto_url, ami, ours(db_prefix, "server", "65a000000000000000000002", "launched")
    )
    await cloud_builder.registry.set_info(
        ResourceTarget(type=ResourceTargetVariant.Server, id=server["_id"]["$oid"]),
        {"cloud_provider": "Aws", "cloud_id": machine, "cloud_region": "us-east-1"},
    )
    settings = replace(cloud_settings(moto_url, hetzner.url), sweep_seconds=0.5)
    second = Builder(
        Settings(nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data"),
        cloud=settings,
    )
    await second.start()
    try:
        assert second.orphan_sweep is not None
        assert await second.orphan_sweep == []
        await asyncio.sleep(1.5)  # later sweeps ran while the Server still recorded the machine: kept
        assert (await instances(moto_url, db_prefix))[machine]["state"] == "running"
        await client.write("DeleteServer", {"id": "launched", "keep_cloud_machine": True})

        async def terminated() -> bool:
            return (await instances(moto_url, db_prefix))[machine]["state"] == "terminated"

        assert await eventually(terminated, 15)
    finally:
        await second.stop()
