"""Deploy with `[[VAR]]` interpolation on real Docker: values reach the container, secrets never reach an Update."""

from __future__ import annotations

import contextlib
import json
import uuid

import aiodocker
import pytest

from services.common.embedded import free_port
from tests.e2e.helpers import IMAGE, _is, eventually, fetch, finished, remove_containers, start_agent

pytestmark = pytest.mark.docker

SECRET = f"s3cr3t-{uuid.uuid4().hex}"


async def test_variables_and_secrets_are_interpolated_and_secrets_redacted(
    registry, executor, client, nats_url, docker_available
):
    port = free_port()
    name = f"varanus-e2e-vars-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateVariable", {"name": "GREETING", "value": "hello"})
    await client.write("CreateVariable", {"name": "HOST_NAME", "value": "web-one"})
    await client.write("CreateVariable", {"name": "API_TOKEN", "value": SECRET, "is_secret": True})
    web = 'echo "$GREETING-$API_TOKEN" > /tmp/index.html; echo [[API_TOKEN]] started; httpd -f -p 80 -h /tmp'
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": IMAGE}},
        "network": "bridge",
        "ports": f"{port}:80",
        "environment": "GREETING=[[GREETING]]\nAPI_TOKEN=[[API_TOKEN]]",
        "labels": "secret=[[API_TOKEN]]",
        "command": f"sh -c '{web}'",
        "extra_args": ["--hostname [[HOST_NAME]]", "--add-host=db.internal:127.0.0.2"],
    }
    await client.write("CreateDeployment", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]
        stages = [log["stage"] for log in deployed["logs"]]
        assert stages == ["Interpolate Variables", "Interpolate Secrets", "Run Container"]
        assert "GREETING => hello" in deployed["logs"][0]["stdout"]
        assert "API_TOKEN" in deployed["logs"][1]["stdout"]
        assert SECRET not in json.dumps(deployed)
        assert "<API_TOKEN>" in deployed["logs"][2]["command"]
        assert await eventually(lambda: _is(fetch(port), f"hello-{SECRET}"))

        inspected = (await docker.containers.get(name))._container
        assert inspected["Config"]["Hostname"] == "web-one"
        assert "db.internal:127.0.0.2" in inspected["HostConfig"]["ExtraHosts"]
        assert inspected["Config"]["Labels"]["secret"] == SECRET

        # The Updates a user can list hold no secret either.
        updates = await client.read("ListUpdates", {})
        assert SECRET not in json.dumps(updates)

        # A bad extra argument fails with docker's message, the secret in it redacted, the old container kept.
        await client.write(
            "UpdateDeployment", {"id": name, "config": {"extra_args": ["--no-such-flag=[[API_TOKEN]]"]}}
        )
        failed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert failed["success"] is False
        assert SECRET not in json.dumps(failed)
        run = next(log for log in failed["logs"] if log["stage"] == "Run Container")
        assert "unknown flag: --no-such-flag" in run["stderr"]
        assert "--no-such-flag=<API_TOKEN>" in run["command"]
        assert await eventually(lambda: _is(fetch(port), f"hello-{SECRET}"))
    finally:
        await agent.stop()
        await remove_containers(docker, name, f"{name}-previous")
        await docker.close()


async def test_a_missing_variable_fails_before_anything_runs_and_skip_secret_interp(
    registry, executor, client, nats_url, docker_available
):
    name = f"varanus-e2e-novar-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateVariable", {"name": "API_TOKEN", "value": SECRET, "is_secret": True})
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": IMAGE}},
        "environment": "A=[[NOT_DEFINED]]\nB=[[ALSO_MISSING]]\nT=[[API_TOKEN]]",
        "command": "sleep 3600",
    }
    await client.write("CreateDeployment", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        refused = await client.send("execute", "Deploy", {"deployment": name})
        assert refused.status == 400
        assert "[[ALSO_MISSING]], [[NOT_DEFINED]]" in refused.error and "API_TOKEN" not in refused.error
        listed = (await client.read("ListUpdates", {}))["updates"]
        assert not [u for u in listed if u["operation"] == "Deploy"]
        with pytest.raises(aiodocker.DockerError):
            await docker.containers.get(name)

        # With skip_secret_interp the secret reference is passed as written.
        await client.write(
            "UpdateDeployment",
            {"id": name, "config": {"environment": "T=[[API_TOKEN]]", "skip_secret_interp": True}},
        )
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]
        env = (await docker.containers.get(name))._container["Config"]["Env"]
        assert "T=[[API_TOKEN]]" in env
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()


async def test_a_failing_healthcheck_makes_the_deployment_unhealthy(
    registry, executor, client, nats_url, docker_available
):
    name = f"varanus-e2e-health-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": IMAGE}},
        "command": "sleep 3600",
        "termination_timeout": 0,
        "extra_args": ["--health-cmd false", "--health-interval 1s", "--health-retries 1"],
    }
    await client.write("CreateDeployment", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()

    async def state() -> str:
        listed = await client.read("ListDeployments", {})
        return next(d["info"]["state"] for d in listed if d["name"] == name)

    try:
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]
        assert await eventually(lambda: _is(state(), "unhealthy"), 30)
        got = await client.read("GetDeploymentContainer", {"deployment": name})
        assert got["state"] == "unhealthy"
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()
