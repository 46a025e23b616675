"""Builds beyond RunBuild: their summary and common extra args, files on the host, the cached Dockerfile
(RefreshBuildCache) and writing it (WriteBuildFileContents)."""

from __future__ import annotations

from typing import Any

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from services.builder.app import Builder
from tests.e2e.conftest import BusClient, grant
from tests.e2e.helpers import IMAGE, finished


async def test_builds_summary_counts_the_builder_states(
    registry: Any, builder: Builder, client: BusClient
) -> None:
    await client.write("CreateServer", {"name": "down-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "down-builders", "config": {"type": "Server", "params": {"server_ids": ["down-host"]}}},
    )
    config = {"builder_id": "down-builders", "dockerfile": f"FROM {IMAGE}\n"}
    for name in ("fails", "built", "untouched"):
        await client.write("CreateBuild", {"name": name, "config": config})
    # A build that ran fine: its outcome as the builder records it after a successful RunBuild.
    built = await client.read("GetBuild", {"build": "built"})
    target = ResourceTarget(type=ResourceTargetVariant.Build, id=built["_id"]["$oid"])
    await builder.outcomes.record(target, "RunBuild", True)
    done = await finished(client, await client.ok("execute", "RunBuild", {"build": "fails"}), 20)
    assert done["success"] is False

    summary = await client.read("GetBuildsSummary", {})

    assert summary == {"total": 3, "ok": 1, "failed": 1, "building": 0, "unknown": 1}


async def test_common_build_extra_args_are_the_distinct_args_of_readable_builds(
    registry: Any, client: BusClient, alice: tuple[BusClient, str]
) -> None:
    await client.write("CreateBuild", {"name": "one", "config": {"extra_args": ["--pull", "--no-cache"]}})
    await client.write("CreateBuild", {"name": "two", "config": {"extra_args": ["--pull", "--network=host"]}})
    await client.write("CreateBuild", {"name": "hidden", "config": {"extra_args": ["--quiet"]}})
    as_alice, _ = alice
    await grant(client, "Read", "one", kind="Build")

    assert await client.read("ListCommonBuildExtraArgs", {}) == [
        "--network=host",
        "--no-cache",
        "--pull",
        "--quiet",
    ]
    assert await as_alice.read("ListCommonBuildExtraArgs", {}) == ["--no-cache", "--pull"]
