"""A Deployment's container is the same whether the agent creates it through the Engine API or the docker CLI.

Without `extra_args` the agent sends the Engine API the body `create_api` translates; with them it runs
`docker create`. The same configuration is deployed both ways (the CLI forced by `--pull=never`, an extra
argument that changes nothing, since the agent already passes it), and the two containers' `docker inspect`
must agree on everything but their names, ids and times. A create the engine refuses fails the same way on
both paths.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import aiodocker
import pytest

from services.agent.handlers import run as run_handler
from services.common.embedded import free_port
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import IMAGE, finished, start_agent

pytestmark = pytest.mark.docker

FORCE_CLI = ["--pull=never"]
"""An extra argument that changes nothing (the agent passes `--pull never` already) but makes it use the CLI."""
COMPARED = (
    "Config.Image",
    "Config.Env",
    "Config.Cmd",
    "Config.Labels",
    "Config.StopSignal",
    "Config.StopTimeout",
    "Config.ExposedPorts",
    "Config.Volumes",
    "HostConfig.PortBindings",
    "HostConfig.Binds",
    "HostConfig.RestartPolicy",
    "HostConfig.NetworkMode",
)
"""The fields the issue names; the test compares all of Config and HostConfig, these by name in its message."""


def settings(inspect: dict[str, Any]) -> dict[str, Any]:
    """Config and HostConfig of an inspect, flattened to dotted keys, without what names the container itself.

    Binds are sorted: the CLI keeps its `-v` entries in a map, so their order is the map's.
    """
    flat: dict[str, Any] = {}
    for section in ("Config", "HostConfig"):
        for key, value in (inspect[section] or {}).items():
            flat[f"{section}.{key}"] = value
    flat.pop("Config.Hostname")  # the container id's first 12 characters
    if flat.get("HostConfig.Binds"):
        flat["HostConfig.Binds"] = sorted(flat["HostConfig.Binds"])
    return flat


async def deploy(client: BusClient, name: str) -> dict[str, Any]:
    """Run a Deploy of `name` to its end; its Update."""
    return await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))


@pytest.fixture
def cli_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The docker CLI commands the (in-process) agent runs, recorded as they go on to the real CLI."""
    calls: list[str] = []
    real = run_handler.docker_cli

    async def recorded(ctx: Any, args: list[str]) -> tuple[int, str, str]:
        calls.append(args[0])
        return await real(ctx, args)

    monkeypatch.setattr(run_handler, "docker_cli", recorded)
    return calls


async def test_the_api_and_the_cli_create_the_same_container(
    registry, executor, client, nats_url, docker_available, cli_calls, tmp_path: Path
):
    tag = uuid.uuid4().hex[:6]
    volume = f"varanus-e2e-vol-{tag}"
    port = free_port()
    (tmp_path / "bound").mkdir()
    configs = {
        # Every option the API path translates, on a bridge network so the ports are published.
        "full": {
            "image": {"type": "Image", "params": {"image": IMAGE}},
            "network": "bridge",
            "ports": f"{port}:80\n127.0.0.1::81/udp\n7000-7001, 82",
            "volumes": f"{tmp_path / 'bound'}:/data:ro\n{volume}:/vol",
            "environment": "GREETING=one\n# a comment\nEMPTY=\nSPACED= two words ",
            "labels": "team=web\ntier=a=b",
            "command": "sh -c 'trap \"exit 0\" TERM; sleep 3600 & wait'",
            "restart": "on-failure",
            "termination_signal": "SIGINT",
            "termination_timeout": 3,
        },
        # Nothing set: the host network, the image's command, no restart.
        "bare": {"image": {"type": "Image", "params": {"image": IMAGE}}},
    }
    names = [f"varanus-e2e-{kind}-{path}-{tag}" for kind in configs for path in ("api", "cli")]
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        for kind, config in configs.items():
            inspected: dict[str, dict[str, Any]] = {}
            for path, extra in (("api", []), ("cli", FORCE_CLI)):
                name = f"varanus-e2e-{kind}-{path}-{tag}"
                await client.write(
                    "CreateDeployment",
                    {"name": name, "config": {**config, "server_id": "dock", "extra_args": extra}},
                )
                before = len(cli_calls)
                done = await deploy(client, name)
                assert done["success"] is True, done["logs"]
                assert [log["stage"] for log in done["logs"]] == ["Run Container"]
                assert cli_calls[before:] == ([] if path == "api" else ["create"])
                inspected[path] = await docker.containers.container(name).show()
                # The published port is the same for both: the first one must go before the second starts.
                await docker.containers.container(name).delete(force=True)
            api, cli = settings(inspected["api"]), settings(inspected["cli"])
            assert {key: api.get(key) for key in COMPARED} == {key: cli.get(key) for key in COMPARED}
            assert api == cli
            if kind == "full":  # the options did reach the container (the comparison is not of two defaults)
                assert "GREETING=one" in api["Config.Env"] and "SPACED= two words" in api["Config.Env"]
                assert api["HostConfig.PortBindings"]["80/tcp"] == [{"HostIp": "", "HostPort": str(port)}]
                assert set(api["Config.ExposedPorts"]) == {
                    "80/tcp",
                    "81/udp",
                    "7000/tcp",
                    "7001/tcp",
                    "82/tcp",
                }
                assert f"{volume}:/vol" in api["HostConfig.Binds"]
                assert api["HostConfig.RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 10}
                assert api["Config.Labels"]["tier"] == "a=b" and api["Config.StopSignal"] == "SIGINT"
                assert api["Config.StopTimeout"] == 3 and api["HostConfig.NetworkMode"] == "bridge"
            else:
                assert api["HostConfig.NetworkMode"] == "host" and api["Config.Cmd"] == ["sh"]
    finally:
        await agent.stop()
        for name in names:
            with contextlib.suppress(aiodocker.DockerError):
                await docker.containers.container(name).delete(force=True)
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.volumes.get(volume)).delete()
        await docker.close()


async def test_a_create_refused_fails_alike_on_both_paths(
    registry, executor, client, nats_url, docker_available, cli_calls
):
    tag = uuid.uuid4().hex[:6]
    refusals = {
        "mode": ({"volumes": "/tmp:/tmp-in:bogus"}, "invalid mode: bogus"),  # the engine refuses it
        "ip": ({"network": "bridge", "ports": "[::1:8080:80"}, "invalid IP address"),  # the translation does
    }
    names: list[str] = []
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        for kind, (config, reason) in refusals.items():
            for path, extra in (("api", []), ("cli", FORCE_CLI)):
                name = f"varanus-e2e-refused-{kind}-{path}-{tag}"
                names.append(name)
                image = {"type": "Image", "params": {"image": IMAGE}}
                await client.write(
                    "CreateDeployment",
                    {
                        "name": name,
                        "config": {**config, "image": image, "server_id": "dock", "extra_args": extra},
                    },
                )
                before = len(cli_calls)
                failed = await deploy(client, name)
                assert cli_calls[before:] == ([] if path == "api" else ["create"])
                assert failed["success"] is False
                assert [log["stage"] for log in failed["logs"]] == ["Run Container", "Restore Previous"]
                assert reason in failed["logs"][0]["stderr"], failed["logs"][0]
                if kind == "mode":
                    assert failed["logs"][0]["stderr"].startswith("Error response from daemon: ")
                with pytest.raises(aiodocker.DockerError):  # nothing was left behind
                    await docker.containers.container(name).show()
    finally:
        await agent.stop()
        for name in names:
            with contextlib.suppress(aiodocker.DockerError):
                await docker.containers.container(name).delete(force=True)
        await docker.close()


async def test_a_first_deploy_that_cannot_start_or_lacks_its_image_takes_the_whole_way(
    registry, executor, client, nats_url, docker_available
):
    """A first deploy is a create and a start at once; when that fails (the port is taken, the image is not on the
    host) the agent goes the whole way as before: the same Logs, nothing left behind."""
    tag = uuid.uuid4().hex[:6]
    name, blocker_name, missing = (
        f"varanus-e2e-first-{tag}",
        f"varanus-e2e-first-blocker-{tag}",
        f"missing-{tag}",
    )
    taken = free_port()
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    image = {"type": "Image", "params": {"image": IMAGE}}
    config = {"server_id": "dock", "image": image, "network": "bridge", "ports": f"{taken}:80"}
    await client.write("CreateDeployment", {"name": name, "config": {**config, "command": "sleep 3600"}})
    await client.write(
        "CreateDeployment",
        {
            "name": missing,
            "config": {
                "server_id": "dock",
                "image": {"type": "Image", "params": {"image": "local/missing:0"}},
            },
        },
    )
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        blocker = await docker.containers.create_or_replace(
            blocker_name,
            {
                "Image": IMAGE,
                "Cmd": ["sh", "-c", "sleep 3600"],
                "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": str(taken)}]}},
                "ExposedPorts": {"80/tcp": {}},
            },
        )
        await blocker.start()
        clash = await deploy(client, name)
        assert clash["success"] is False
        assert [log["stage"] for log in clash["logs"]] == ["Run Container", "Restore Previous"]
        assert "nothing was left behind" in clash["logs"][-1]["stdout"]
        with pytest.raises(aiodocker.DockerError):
            await docker.containers.container(name).show()

        # Positive control: with the port free, the same first deploy is the create and start alone.
        await blocker.delete(force=True)
        ran = await deploy(client, name)
        assert ran["success"] is True and [log["stage"] for log in ran["logs"]] == ["Run Container"]

        absent = await deploy(client, missing)
        assert absent["success"] is False and [log["stage"] for log in absent["logs"]] == ["Pull Image"]
    finally:
        await agent.stop()
        for each in (name, blocker_name, missing):
            with contextlib.suppress(aiodocker.DockerError):
                await docker.containers.container(each).delete(force=True)
        await docker.close()
