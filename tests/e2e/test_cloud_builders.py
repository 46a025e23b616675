"""AWS builders against moto: the instance's user data really runs (its agent joins through a one-time
onboarding key), the build runs there and pushes, and the instance always ends terminated."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.events.cloud import AwsBuilderTerminationFailed
from services.common.cloud import join
from services.common.cloud.aws import AwsCloud
from services.common.cloud.machines import CloudError, Machine
from tests.cloud import (  # noqa: F401
    AWS_SECRET,
    an_ami,
    aws_machines,
    cloud_builder,
    ec2,
    hetzner,
    instances,
    moto_url,
)
from tests.conftest import DockerRegistry
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import IMAGE, eventually, finished, remove_images, repo_config
from tests.git_server import GitServer, git_server  # noqa: F401


async def aws_builder(client: BusClient, moto: str, **params: Any) -> None:
    """An Aws builder `cloud` launching moto's first AMI."""
    config = {"type": "Aws", "params": {"ami_id": await an_ami(moto), "instance_type": "t3.small", **params}}
    await client.write("CreateBuilder", {"name": "cloud", "config": config})


async def test_a_build_on_an_aws_builder_joins_builds_pushes_and_terminates(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
    docker_available: Any,
    docker_registry: DockerRegistry,
    tmp_path: Path,
) -> None:
    name = f"e2e-awsbuild-{uuid.uuid4().hex[:6]}"
    await aws_builder(client, moto_url, volume_gb=30)
    await client.write("CreateImageRegistryAccount", docker_registry.account)
    config = {
        "builder_id": "cloud",
        "dockerfile": f"FROM {IMAGE}\nARG VERSION\nRUN echo built-$VERSION > /version\n",
        "version": "2.0.0",
        "image_registry": [
            {"domain": docker_registry.address, "account": docker_registry.username, "organization": "e2e"}
        ],
    }
    await client.write("CreateBuild", {"name": name, "config": config})
    repository = f"{docker_registry.address}/e2e/{name}"
    async with aws_machines(moto_url, db_prefix, tmp_path / "machines") as booter:
        try:
            done = await finished(client, await client.ok("execute", "RunBuild", {"build": name}), 240)
            text = json.dumps(done)
            assert done["success"] is True, json.dumps(done["logs"], indent=1)
            launched = await instances(moto_url, db_prefix)
            assert len(launched) == 1, launched
            (instance_id, instance), *_ = launched.items()
            # The build ran on that machine: its agent (the user data's) joined, and the instance ends terminated.
            assert instance_id in booter.running
            assert instance["state"] == "terminated"
            assert instance["tags"]["varanus-purpose"] == "builder"
            build_id = (await client.read("GetBuild", {"build": name}))["_id"]["$oid"]
            assert instance["tags"]["varanus-owner"] == build_id
            assert "VARANUS_AGENT_ONBOARDING_KEY=O_" in instance["user_data"]
            stages = [log["stage"] for log in done["logs"]]
            assert "Aws builder" in stages, stages
            assert (
                f"launched Aws instance {instance_id}" in text
                and f"terminated Aws instance {instance_id}" in text
            )
            assert AWS_SECRET not in text
            # The joined server and its one-time key are gone with the machine.
            servers = await client.read("ListServers", {})
            assert not [s for s in servers if s["name"].startswith("aws-builder-")], servers
            assert await client.read("ListOnboardingKeys", {}) == []
            async with httpx.AsyncClient(auth=(docker_registry.username, docker_registry.password)) as http:
                listed = await http.get(f"http://{docker_registry.address}/v2/e2e/{name}/tags/list")
            assert "2.0.1" in listed.json()["tags"], listed.text
        finally:
            remove_images(*(f"{repository}:{tag}" for tag in ("latest", "2.0.1", "2.0", "2")))


async def test_build_repo_on_an_aws_builder_clones_there_and_terminates(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-awsrepo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    commit = git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    await aws_builder(client, moto_url)
    await client.write("CreateVariable", {"name": "GREETING", "value": "hello"})
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": "s3cr3t-pw", "is_secret": True})
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    await client.write(
        "CreateRepo", {"name": name, "config": config | {"server_id": "", "builder_id": "cloud"}}
    )
    async with aws_machines(moto_url, db_prefix, tmp_path / "machines") as booter:
        done = await finished(client, await client.ok("execute", "BuildRepo", {"repo": name}), 180)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        [(instance_id, instance)] = (await instances(moto_url, db_prefix)).items()
        assert instance_id in booter.running and instance["state"] == "terminated"
        # The clone and its on_clone ran on the launched machine (in its folder), with the secret interpolated.
        [cloned] = list((tmp_path / "machines" / instance_id).rglob("cloned.txt"))
        assert "PASSWORD=s3cr3t-pw" in cloned.read_text()
    assert (await client.read("GetRepo", {"repo": name}))["info"]["built_hash"] == commit
    text = json.dumps(done)
    assert f"terminated Aws instance {instance_id}" in text
    assert git_server.token not in text and "s3cr3t-pw" not in text and AWS_SECRET not in text
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_an_aws_build_whose_agent_never_joins_ends_with_the_instance_terminated(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
    tmp_path: Path,
) -> None:
    cloud_builder.launcher.cloud = replace(cloud_builder.cloud, join_timeout_seconds=3.0)
    await aws_builder(client, moto_url)
    await client.write(
        "CreateBuild", {"name": "never", "config": {"builder_id": "cloud", "dockerfile": "FROM x\n"}}
    )
    async with aws_machines(moto_url, db_prefix, tmp_path / "machines", boot=False):
        done = await finished(client, await client.ok("execute", "RunBuild", {"build": "never"}), 60)
    assert done["success"] is False
    text = json.dumps(done)
    launched = await instances(moto_url, db_prefix)
    assert len(launched) == 1 and next(iter(launched.values()))["state"] == "terminated", launched
    assert "did not join within 3 s" in text, text
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_a_bad_ami_is_a_clear_error_and_leaves_no_machine(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
) -> None:
    await client.write(
        "CreateBuilder",
        {
            "name": "cloud",
            "config": {"type": "Aws", "params": {"ami_id": "ami-00000000", "instance_type": "t3.small"}},
        },
    )
    await client.write(
        "CreateBuild", {"name": "badami", "config": {"builder_id": "cloud", "dockerfile": "FROM x\n"}}
    )
    done = await finished(client, await client.ok("execute", "RunBuild", {"build": "badami"}), 60)
    assert done["success"] is False
    text = json.dumps(done)
    assert "AWS refused to launch t3.small from ami-00000000" in text and "InvalidAMIID.NotFound" in text, (
        text
    )
    assert await instances(moto_url, db_prefix) == {}
    assert await client.read("ListOnboardingKeys", {}) == []


async def test_cancel_build_during_the_launch_terminates_the_instance(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
    tmp_path: Path,
) -> None:
    await aws_builder(client, moto_url)
    await client.write(
        "CreateBuild", {"name": "stopme", "config": {"builder_id": "cloud", "dockerfile": "FROM x\n"}}
    )
    async with aws_machines(moto_url, db_prefix, tmp_path / "machines", boot=False):
        started = await client.ok("execute", "RunBuild", {"build": "stopme"})

        async def launched() -> bool:
            return bool(await instances(moto_url, db_prefix))

        assert await eventually(launched, 20)
        await client.ok("execute", "CancelBuild", {"build": "stopme"})
        # Well within the 60 s join timeout: the wait saw the cancel.
        done = await finished(client, started, 20)
    assert done["success"] is False
    assert "cancelled before its agent joined" in json.dumps(done)
    [instance] = (await instances(moto_url, db_prefix)).values()
    assert instance["state"] == "terminated"


async def test_a_failed_termination_is_retried_recorded_and_raises_the_event(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    nats_url: str,
    db_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refuse(self: AwsCloud, machine: Machine) -> None:
        raise CloudError(f"AWS refused to terminate instance {machine.cloud_id}: UnauthorizedOperation: no")

    monkeypatch.setattr(AwsCloud, "terminate", refuse)
    monkeypatch.setattr(join, "TERMINATE_ATTEMPTS", 2)
    cloud_builder.launcher.cloud = replace(cloud_builder.cloud, join_timeout_seconds=2.0)
    await aws_builder(client, moto_url)
    await client.write(
        "CreateBuild", {"name": "stuck", "config": {"builder_id": "cloud", "dockerfile": "FROM x\n"}}
    )
    nc = await nats.connect(nats_url)
    try:
        events = await nc.jetstream().subscribe(
            AwsBuilderTerminationFailed.SUBJECT,
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        done = await finished(client, await client.ok("execute", "RunBuild", {"build": "stuck"}), 60)
        event = json.loads((await events.next_msg(timeout=15)).data)
    finally:
        await nc.close()
    [(instance_id, instance)] = (await instances(moto_url, db_prefix)).items()
    text = json.dumps(done)
    assert done["success"] is False
    assert f"terminating Aws instance {instance_id} (us-east-1) failed (attempt 2/2)" in text, text
    assert (event["instance_id"], event["region"], event["update_id"]) == (
        instance_id,
        "us-east-1",
        done["_id"]["$oid"],
    )
    builder_id = (await client.read("GetBuilder", {"builder": "cloud"}))["_id"]["$oid"]
    assert event["resource"] == {"type": "Builder", "id": builder_id}
    assert "UnauthorizedOperation" in event["message"]
    assert instance["state"] == "running"  # what the alert is about: it is still there
    monkeypatch.undo()
    async with ec2(moto_url) as client_ec2:
        await client_ec2.terminate_instances(InstanceIds=[instance_id])


async def test_files_on_host_builds_are_refused_on_an_aws_builder(
    registry: Any,
    executor: Any,
    cloud_builder: Any,  # noqa: F811
    client: BusClient,
    moto_url: str,  # noqa: F811
    db_prefix: str,
) -> None:
    await aws_builder(client, moto_url)
    config = {"builder_id": "cloud", "files_on_host": True, "build_path": "app"}
    await client.write("CreateBuild", {"name": "onhost", "config": config})
    answer = await client.send("execute", "RunBuild", {"build": "onhost"})
    assert answer.status == 400 and "an Aws builder, whose instance lives for one build" in answer.error
    assert await instances(moto_url, db_prefix) == {}


async def test_config_lists_of_an_aws_builder_target_include_what_its_ami_holds(
    registry: Any, client: BusClient
) -> None:
    params = {
        "ami_id": "ami-1",
        "secrets": ["AMI_SECRET"],
        "git_providers": [{"domain": "git.ami.example", "accounts": [{"username": "ami-bot"}]}],
        "image_registries": [{"domain": "registry.ami.example", "accounts": [{"username": "ami-pusher"}]}],
    }
    await client.write("CreateBuilder", {"name": "cloud", "config": {"type": "Aws", "params": params}})
    target = {"target": {"type": "Builder", "id": "cloud"}}
    assert await client.read("ListSecrets", target) == ["AMI_SECRET"]
    assert await client.read("ListSecrets", {}) == []
    providers = await client.read("ListGitProvidersFromConfig", target)
    assert [(p["domain"], p["accounts"]) for p in providers] == [
        ("git.ami.example", [{"username": "ami-bot"}])
    ]
    registries = await client.read("ListImageRegistriesFromConfig", target)
    assert [(r["domain"], r["accounts"]) for r in registries] == [
        ("registry.ami.example", [{"username": "ami-pusher"}])
    ]
    assert await client.read("ListGitProvidersFromConfig", {}) == []


async def test_an_aws_builder_without_credentials_is_a_clear_error(
    registry: Any, builder: Any, client: BusClient
) -> None:
    assert not builder.cloud.aws_access_key_id  # the plain builder fixture: no cloud settings
    await client.write(
        "CreateBuilder", {"name": "cloud", "config": {"type": "Aws", "params": {"ami_id": "ami-1"}}}
    )
    await client.write(
        "CreateBuild", {"name": "nocreds", "config": {"builder_id": "cloud", "dockerfile": "FROM x\n"}}
    )
    answer = await client.send("execute", "RunBuild", {"build": "nocreds"})
    assert (
        answer.status == 400
        and "KOMODO_AWS_ACCESS_KEY_ID and KOMODO_AWS_SECRET_ACCESS_KEY are not set" in (answer.error)
    )
