"""CreateDeploymentFromContainer end to end on real Docker: a container becomes a Deployment that deploys it again."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiodocker
import httpx
import pytest

from services.common.embedded import free_port
from tests.e2e.helpers import IMAGE, _is, eventually, finished, remove_containers, start_agent

pytestmark = pytest.mark.docker

PAGE = "served from the host\n"


@pytest.fixture
async def web(docker_available: None, tmp_path: Path) -> AsyncIterator[tuple[str, int, Path]]:
    """A busybox httpd with a published port, env, label, bind mount and command; (name, port, served folder)."""
    name = f"varanus-e2e-{uuid.uuid4().hex[:8]}"
    port = free_port()
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text(PAGE, encoding="utf-8")
    www.chmod(0o755)
    docker = aiodocker.Docker()
    try:
        created = await docker.containers.create_or_replace(
            name,
            {
                "Image": IMAGE,
                "Cmd": ["httpd", "-f", "-p", "8080", "-h", "/www"],
                "Env": ["GREETING=hello world", "TOKEN=not-logged"],
                "Labels": {"varanus.test": "from-container"},
                "ExposedPorts": {"8080/tcp": {}},
                "HostConfig": {
                    "NetworkMode": "bridge",
                    "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]},
                    "Binds": [f"{www}:/www:ro"],
                    "RestartPolicy": {"Name": "unless-stopped"},
                },
            },
        )
        await created.start()
        yield name, port, www
    finally:
        await remove_containers(docker, name, f"{name}-previous")
        await docker.close()


async def page(port: int) -> str:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            answer = await http.get(f"http://127.0.0.1:{port}/index.html")
        return answer.text if answer.status_code == 200 else ""
    except httpx.HTTPError:
        return ""


async def test_a_container_becomes_a_deployment_that_deploys_it_again(
    registry, executor, client, nats_url, web, caplog
):
    caplog.set_level(logging.DEBUG, logger="services")
    name, port, www = web
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        assert await eventually(lambda: _page_is(port, PAGE))
        docker = aiodocker.Docker()
        try:
            before = (await (await docker.containers.get(name)).show())["Id"]

            deployment = await client.write("CreateDeploymentFromContainer", {"name": name, "server": "dock"})
            assert deployment["name"] == name
            config = deployment["config"]
            assert config["server_id"] == server["_id"]["$oid"]
            assert config["image"] == {"type": "Image", "params": {"image": IMAGE}}
            assert config["network"] == "bridge"
            assert config["restart"] == "unless-stopped"
            assert config["ports"] == f"127.0.0.1:{port}:8080\n"
            assert config["volumes"] == f"{www}:/www:ro\n"
            assert config["environment"] == "GREETING=hello world\nTOKEN=not-logged\n"  # PATH is the image's
            assert config["labels"] == "varanus.test=from-container\n"
            assert config["command"] == "httpd -f -p 8080 -h /www"
            stored = await client.read("GetDeployment", {"deployment": name})
            assert stored["config"] == config

            again = await client.send(
                "write", "CreateDeploymentFromContainer", {"name": name, "server": "dock"}
            )
            assert again.status != 200 and name in again.error
            missing = await client.send(
                "write", "CreateDeploymentFromContainer", {"name": "no-such-box", "server": "dock"}
            )
            assert missing.status == 404 and "no-such-box" in missing.error

            deploy = await client.ok("execute", "Deploy", {"deployment": name})
            done = await finished(client, deploy)
            assert done["success"] is True, done["logs"]
            replaced = await (await docker.containers.get(name)).show()
            assert replaced["Id"] != before and replaced["State"]["Running"]
            assert "GREETING=hello world" in replaced["Config"]["Env"]
            assert replaced["Config"]["Labels"]["varanus.test"] == "from-container"
            assert replaced["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
            assert await eventually(lambda: _page_is(port, PAGE))
        finally:
            await docker.close()
    finally:
        await agent.stop()
    # Environment values may be secrets: no Varanus log line shows them (Mongo's own debug log is not ours).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("services")]
    assert ours and not [line for line in ours if "not-logged" in line]


async def _page_is(port: int, expected: str) -> bool:
    return await _is(page(port), expected)
