"""ServerTemplates: LaunchServer on the Hetzner fake and on moto; the machine's user data runs and its agent joins
as the Server, which records the template and the cloud id; DestroyServer terminates it only when confirmed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from services.common.cloud import join
from tests.cloud import (  # noqa: F401
    AWS_KEY_ID,
    AWS_SECRET,
    HETZNER_TOKEN,
    an_ami,
    aws_machines,
    cloud_builder,
    hetzner,
    hetzner_machines,
    instances,
    moto_checking_credentials,
    moto_url,
)
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import finished
from tests.hetzner_fake import HetznerFake


async def test_launch_server_from_a_hetzner_template_joins_and_destroy_needs_a_confirmation(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
    db_prefix: str,
    tmp_path: Path,
) -> None:
    await client.write("CreateTag", {"name": "edge"})
    params = {
        "server_type": "SharedAmd2Core2Ram40Disk",
        "image": "ubuntu-24.04",
        "datacenter": "Helsinki1Dc2",
        "labels": {"team": "web"},
        "enable_public_ipv4": True,
        "placement_group": 77,
        "volumes": [{"name": "data", "size_gb": 20, "format": "Ext4", "labels": {"tier": "db"}}],
        "user_data": "echo installing docker",
    }
    template = await client.write(
        "CreateServerTemplate", {"name": "hz", "config": {"type": "Hetzner", "params": params}}
    )
    template_id = template["_id"]["$oid"]
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "ServerTemplate", "id": "hz"}, "tags": ["edge"]}
    )
    listed = await client.read("ListServerTemplates", {})
    assert [(t["info"]["provider"], t["info"]["instance_type"]) for t in listed] == [
        ("Hetzner", "SharedAmd2Core2Ram40Disk")
    ]
    async with hetzner_machines(hetzner, tmp_path / "machines") as booter:
        done = await finished(
            client, await client.ok("execute", "LaunchServer", {"name": "web-1", "server_template": "hz"}), 90
        )
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        [(cloud_id, machine)] = list(hetzner.servers.items())
        assert str(cloud_id) in booter.running
        assert machine["request"]["server_type"] == "cpx11" and machine["request"]["location"] == "hel1"
        assert machine["request"]["placement_group"] == 77 and machine["request"]["automount"] is True
        [(volume_id, volume)] = list(hetzner.volumes.items())
        assert machine["request"]["volumes"] == [volume_id] and volume["server"] == cloud_id
        assert (volume["name"], volume["size"], volume["format"]) == ("web-1-data", 20, "ext4")
        assert volume["labels"]["tier"] == "db" and volume["labels"]["varanus-managed"] == db_prefix
        assert machine["labels"] == {
            "team": "web",
            "varanus-managed": db_prefix,
            "varanus-purpose": "server",
            "varanus-owner": template_id,
        }
        assert (
            machine["user_data"].startswith("#!/bin/sh") and "echo installing docker" in machine["user_data"]
        )
        assert f"launched Hetzner server {cloud_id} (hel1)" in json.dumps(done)
        server = await client.read("GetServer", {"server": "web-1"})
        assert server["info"]["server_template_id"] == template_id
        assert (server["info"]["cloud_provider"], server["info"]["cloud_id"]) == ("Hetzner", str(cloud_id))
        tag = (await client.read("ListTags", {}))[0]
        assert server["tags"] == [tag["_id"]["$oid"]]
        states = await client.read("ListServers", {})
        assert [(s["name"], s["info"]["state"]) for s in states] == [("web-1", "Ok")]
        assert await client.read("ListOnboardingKeys", {}) == []
        assert HETZNER_TOKEN not in json.dumps(done)

        refused = await client.send("execute", "DestroyServer", {"server": "web-1"})
        assert refused.status == 400 and "confirm: true" in refused.error, refused.error
        refused = await client.send("write", "DeleteServer", {"id": "web-1"})
        assert refused.status == 400 and "keep_cloud_machine: true" in refused.error, refused.error
        assert cloud_id in hetzner.servers  # the positive control of the refusals: still there
        assert [s["name"] for s in await client.read("ListServers", {})] == ["web-1"]
        destroyed = await finished(
            client, await client.ok("execute", "DestroyServer", {"server": "web-1", "confirm": True}), 30
        )
        assert destroyed["success"] is True, json.dumps(destroyed["logs"], indent=1)
        assert hetzner.deleted == [cloud_id] and hetzner.servers == {}
        assert hetzner.volumes == {}  # the volume made for it went with it
        assert await client.read("ListServers", {}) == []


async def test_launch_server_with_a_wrong_hetzner_server_type_or_token_says_so(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
) -> None:
    await client.write(
        "CreateServerTemplate",
        {"name": "hz", "config": {"type": "Hetzner", "params": {"image": "windows-95"}}},
    )
    done = await finished(
        client, await client.ok("execute", "LaunchServer", {"name": "web-2", "server_template": "hz"}), 30
    )
    assert done["success"] is False
    assert "Hetzner refused to create a cpx11 server from windows-95" in json.dumps(done)
    hetzner.token = "rotated"
    await client.write("UpdateServerTemplate", {"id": "hz", "config": {"params": {"image": "ubuntu-24.04"}}})
    done = await finished(
        client, await client.ok("execute", "LaunchServer", {"name": "web-2", "server_template": "hz"}), 30
    )
    text = json.dumps(done)
    assert done["success"] is False and "unauthorized" in text and HETZNER_TOKEN not in text, text
    assert hetzner.servers == {}
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_a_hetzner_quota_error_is_named_and_leaves_neither_server_nor_volume(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
) -> None:
    params = {"image": "debian-12", "volumes": [{"name": "data", "size_gb": 10}]}
    await client.write(
        "CreateServerTemplate", {"name": "hz", "config": {"type": "Hetzner", "params": params}}
    )
    hetzner.server_limit = 0
    done = await finished(
        client, await client.ok("execute", "LaunchServer", {"name": "web-3", "server_template": "hz"}), 30
    )
    text = json.dumps(done)
    assert done["success"] is False, text
    assert "Hetzner refused to create a cpx11 server from debian-12 in nbg1: resource_limit_exceeded" in text
    assert hetzner.servers == {} and hetzner.volumes == {}
    # The volume was made before the refusal (its id was used), then deleted again.
    assert hetzner.next_id == 1001
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_wrong_aws_credentials_are_named_without_the_secret_and_launch_nothing(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    moto_checking_credentials: str,  # noqa: F811
) -> None:
    params = {"ami_id": await an_ami(moto_url), "instance_type": "t3.micro", "region": "us-east-1"}
    await client.write("CreateServerTemplate", {"name": "ec2", "config": {"type": "Aws", "params": params}})
    cloud_builder.cloud = replace(cloud_builder.cloud, aws_endpoint_url=moto_checking_credentials)
    done = await finished(
        client, await client.ok("execute", "LaunchServer", {"name": "ec2-2", "server_template": "ec2"}), 60
    )
    text = json.dumps(done)
    assert done["success"] is False, text
    assert "AWS refused to launch t3.micro from" in text and "AuthFailure" in text, text
    assert AWS_SECRET not in text and AWS_KEY_ID not in text
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_launch_server_from_an_aws_template_joins(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
    tmp_path: Path,
) -> None:
    params = {"ami_id": await an_ami(moto_url), "instance_type": "t3.micro", "region": "us-east-1"}
    await client.write("CreateServerTemplate", {"name": "ec2", "config": {"type": "Aws", "params": params}})
    async with aws_machines(moto_url, db_prefix, tmp_path / "machines"):
        done = await finished(
            client,
            await client.ok("execute", "LaunchServer", {"name": "ec2-1", "server_template": "ec2"}),
            90,
        )
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        [(instance_id, instance)] = list((await instances(moto_url, db_prefix)).items())
        assert instance["state"] == "running" and instance["tags"]["varanus-purpose"] == "server"
        server = await client.read("GetServer", {"server": "ec2-1"})
        assert (server["info"]["cloud_id"], server["info"]["cloud_region"]) == (instance_id, "us-east-1")
        await finished(
            client, await client.ok("execute", "DestroyServer", {"server": "ec2-1", "confirm": True}), 30
        )
        assert (await instances(moto_url, db_prefix))[instance_id]["state"] == "terminated"


async def test_a_hetzner_launch_that_never_joins_is_deleted_and_a_failed_destroy_keeps_the_server(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    hetzner: HetznerFake,  # noqa: F811
    client: BusClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(join, "TERMINATE_ATTEMPTS", 2)
    await client.write("CreateServerTemplate", {"name": "hz", "config": {"type": "Hetzner", "params": {}}})
    cloud_builder.launcher.cloud = replace(cloud_builder.cloud, join_timeout_seconds=2.0)
    done = await finished(
        client, await client.ok("execute", "LaunchServer", {"name": "silent", "server_template": "hz"}), 30
    )
    assert done["success"] is False and "did not join within 2 s" in json.dumps(done)
    assert len(hetzner.deleted) == 1 and hetzner.servers == {}
    assert await client.read("ListServers", {}) == []

    cloud_builder.launcher.cloud = cloud_builder.cloud
    async with hetzner_machines(hetzner, tmp_path / "machines"):
        done = await finished(
            client, await client.ok("execute", "LaunchServer", {"name": "web-3", "server_template": "hz"}), 60
        )
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        [cloud_id] = list(hetzner.servers)
        hetzner.fail_deletes = 2
        failed = await finished(
            client, await client.ok("execute", "DestroyServer", {"server": "web-3", "confirm": True}), 30
        )
        text = json.dumps(failed)
        assert failed["success"] is False
        assert f"could not terminate Hetzner server {cloud_id} (nbg1)" in text and "is kept" in text, text
        assert [s["name"] for s in await client.read("ListServers", {})] == ["web-3"]
        taken = await client.send("execute", "LaunchServer", {"name": "web-3", "server_template": "hz"})
        assert taken.status == 400 and "a server named 'web-3' exists already" in taken.error
        destroyed = await finished(
            client, await client.ok("execute", "DestroyServer", {"server": "web-3", "confirm": True}), 30
        )
        assert destroyed["success"] is True and hetzner.servers == {}
