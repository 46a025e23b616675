"""How a container's inspect JSON (and its image's) becomes the DeploymentConfig that reproduces it."""

from __future__ import annotations

import copy
from typing import Any

from contracts.entities.common import TerminationSignal
from contracts.entities.deployment import RestartMode
from services.executor.handlers.execute.deploy import environment, lines
from services.executor.handlers.write.create_deployment_from_container import (
    container_name_of,
    deployment_config,
    port_lines,
    volume_lines,
)

IMAGE: dict[str, Any] = {
    "Id": "sha256:cc2d",
    "Config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Labels": {"maintainer": "me"}},
}
"""Image inspect of `local/busybox:1` (with a label, as many images have)."""

CONTAINER: dict[str, Any] = {
    "Name": "/web",
    "Image": "sha256:cc2d",
    "Config": {
        "Env": ["SECRET=abc", "PATH=/bin", "GREETING=hello world"],
        "Cmd": ["sh", "-c", "sleep 3600"],
        "Image": "local/busybox:1",
        "Labels": {"app": "web", "maintainer": "me"},
        "StopSignal": "SIGQUIT",
        "StopTimeout": 5,
    },
    "HostConfig": {
        "Binds": ["/tmp:/data:ro"],
        "Mounts": [{"Type": "volume", "Source": "cache", "Target": "/vol"}],
        "NetworkMode": "default",
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "PortBindings": {
            "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}],
            "81/udp": [{"HostIp": "", "HostPort": "18081"}],
        },
    },
}
"""Docker's inspect of `docker run -p 127.0.0.1:18080:80 -p 18081:81/udp -e ... -l app=web -v /tmp:/data:ro
--mount type=volume,source=cache,target=/vol --restart on-failure:3 --stop-signal SIGQUIT --stop-timeout 5
local/busybox:1 sh -c "sleep 3600"` (trimmed to the keys read)."""


def test_a_container_becomes_the_config_that_runs_it_again():
    config = deployment_config("srv1", CONTAINER, IMAGE)
    assert config.server_id == "srv1"
    assert config.image.type == "Image" and config.image.params.image == "local/busybox:1"
    assert config.network == "bridge"
    assert config.restart == RestartMode.OnFailure
    assert config.ports == "127.0.0.1:18080:80\n18081:81/udp\n"
    assert config.volumes == "/tmp:/data:ro\ncache:/vol\n"
    assert config.environment == "SECRET=abc\nGREETING=hello world\n"
    assert config.labels == "app=web\n"
    assert config.command == "sh -c 'sleep 3600'"
    assert config.termination_signal == TerminationSignal.SigQuit
    assert config.termination_timeout == 5


def test_the_config_reads_back_as_the_deploy_reads_it():
    config = deployment_config("srv1", CONTAINER, IMAGE)
    assert lines(config.ports, commas=True) == ["127.0.0.1:18080:80", "18081:81/udp"]
    assert environment(config.environment) == ["SECRET=abc", "GREETING=hello world"]
    assert lines(config.labels) == ["app=web"]


def test_what_the_image_gives_is_left_to_the_image():
    container = copy.deepcopy(CONTAINER)
    container["Config"]["Cmd"] = ["sh"]
    container["Config"]["Labels"] = {"maintainer": "someone else"}
    config = deployment_config("srv1", container, IMAGE)
    assert config.command == ""
    assert config.labels == "maintainer=someone else\n"


def test_without_the_image_every_value_of_the_container_stays():
    config = deployment_config("srv1", CONTAINER, None)
    assert config.environment == "SECRET=abc\nPATH=/bin\nGREETING=hello world\n"
    assert config.labels == "app=web\nmaintainer=me\n"
    assert config.command == "sh -c 'sleep 3600'"


def test_docker_nulls_and_missing_keys_give_komodos_defaults():
    bare = {
        "Name": "/bare",
        "Config": {"Image": "local/busybox:1", "Env": None, "Cmd": None, "Labels": None},
        "HostConfig": {"Binds": None, "Mounts": None, "PortBindings": None, "RestartPolicy": None},
    }
    config = deployment_config("srv1", bare, {"Config": None})
    assert (config.ports, config.volumes, config.environment, config.labels, config.command) == ("",) * 5
    assert config.restart == RestartMode.NoRestart and config.network == "bridge"
    assert config.termination_signal == TerminationSignal.SigTerm and config.termination_timeout == 10


def test_networks_and_restart_modes_are_kept():
    container = copy.deepcopy(CONTAINER)
    container["HostConfig"]["NetworkMode"] = "host"
    container["HostConfig"]["RestartPolicy"] = {"Name": "unless-stopped"}
    config = deployment_config("srv1", container, IMAGE)
    assert config.network == "host" and config.restart == RestartMode.UnlessStopped


def test_stop_signals_in_dockers_other_spellings():
    for given, expected in (("3", TerminationSignal.SigQuit), ("INT", TerminationSignal.SigInt)):
        container = copy.deepcopy(CONTAINER)
        container["Config"]["StopSignal"] = given
        assert deployment_config("s", container, IMAGE).termination_signal == expected
    container = copy.deepcopy(CONTAINER)
    container["Config"]["StopSignal"] = "SIGUSR1"  # Komodo has no such termination signal: its default stays
    assert deployment_config("s", container, IMAGE).termination_signal == TerminationSignal.SigTerm


def test_port_lines():
    assert port_lines({"53/udp": [{"HostIp": "::1", "HostPort": "5353"}]}) == ["[::1]:5353:53/udp"]
    assert port_lines({"80/tcp": [{"HostIp": "", "HostPort": ""}]}) == ["80"]
    assert port_lines({"80/tcp": [{"HostPort": "8080"}, {"HostIp": "", "HostPort": "8080"}]}) == ["8080:80"]


def test_volume_lines_skip_mounts_without_a_source():
    host = {
        "Binds": ["data:/data"],
        "Mounts": [
            {"Type": "bind", "Source": "/etc/app", "Target": "/etc/app", "ReadOnly": True},
            {"Type": "volume", "Target": "/anonymous"},
            {"Type": "tmpfs", "Target": "/run"},
        ],
    }
    assert volume_lines(host) == ["data:/data", "/etc/app:/etc/app:ro"]


def test_the_name_has_no_leading_slash():
    assert container_name_of(CONTAINER) == "web"
