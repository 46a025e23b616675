"""RunContainer options as the Engine API's create body, translated as `docker create` (CLI 28) translates them.

The expected values are what `docker inspect` showed for containers the docker CLI created with the same flags.
"""

from __future__ import annotations

import pytest

from contracts.api.agent.container import RunContainer
from services.agent.handlers.create_api import (
    BadOption,
    create_body,
    environment_body,
    labels_body,
    port_mappings,
    ports_body,
    restart_body,
    restart_policy,
    volumes_body,
)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("8080:80", [("80/tcp", {"HostIp": "", "HostPort": "8080"})]),
        ("127.0.0.1:8080:80", [("80/tcp", {"HostIp": "127.0.0.1", "HostPort": "8080"})]),
        ("8080:80/udp", [("80/udp", {"HostIp": "", "HostPort": "8080"})]),
        ("080:086/UDP", [("86/udp", {"HostIp": "", "HostPort": "80"})]),
        ("80", [("80/tcp", {"HostIp": "", "HostPort": ""})]),
        ("80/", [("80/tcp", {"HostIp": "", "HostPort": ""})]),
        ("127.0.0.1::84", [("84/tcp", {"HostIp": "127.0.0.1", "HostPort": ""})]),
        ("[::1]:8085:85", [("85/tcp", {"HostIp": "::1", "HostPort": "8085"})]),
        ("::1:8085:85", [("85/tcp", {"HostIp": "::1", "HostPort": "8085"})]),
        (
            "8000-8002:8000-8002",
            [(f"{port}/tcp", {"HostIp": "", "HostPort": str(port)}) for port in (8000, 8001, 8002)],
        ),
        ("9000-9005:90", [("90/tcp", {"HostIp": "", "HostPort": "9000-9005"})]),
        (
            "7000-7001",
            [("7000/tcp", {"HostIp": "", "HostPort": ""}), ("7001/tcp", {"HostIp": "", "HostPort": ""})],
        ),
        ("5000:53/sctp", [("53/sctp", {"HostIp": "", "HostPort": "5000"})]),
    ],
)
def test_ports_are_parsed_as_the_cli_parses_them(
    entry: str, expected: list[tuple[str, dict[str, str]]]
) -> None:
    assert port_mappings(entry) == expected


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("80:eighty", "invalid container port eighty"),
        ("eighty:80", "invalid host port eighty"),
        ("8080:70000", "invalid container port 70000"),
        ("8080:+80", "invalid container port +80"),
        ("8080:80/icmp", "invalid protocol icmp"),
        ("8080:", "no port specified"),
        ("8080:/tcp", "no port specified"),
        ("localhost:8080:80", "invalid IP address"),
        ("[::1:8080:80", "invalid IP address"),
        ("fe80::1%eth0:8080:80", "invalid IP address"),
        ("8000-8001:80-82", "differ in length"),
        ("8002-8000:80", "invalid host port 8002-8000"),
        ("target=80,published=8080", "long syntax"),
    ],
)
def test_a_port_the_cli_refuses_or_that_cannot_be_parsed_is_refused_by_name(entry: str, reason: str) -> None:
    with pytest.raises(BadOption) as refused:
        port_mappings(entry)
    assert repr(entry) in str(refused.value) and reason in str(refused.value)


def test_ports_are_exposed_once_and_a_port_published_twice_binds_twice() -> None:
    exposed, bindings = ports_body(["8080:80", "127.0.0.1:9090:80", "53:53/udp"])
    assert exposed == {"80/tcp": {}, "53/udp": {}}
    assert bindings == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "127.0.0.1", "HostPort": "9090"}],
        "53/udp": [{"HostIp": "", "HostPort": "53"}],
    }


def test_volumes_are_binds_as_written_and_relative_sources_are_made_absolute_like_the_cli() -> None:
    binds, anonymous = volumes_body(
        ["/srv/data:/data:ro", "cache:/cache", "/etc/x:/x:z", "./conf:/conf:rw", "../up/./a:/a", "/anon"],
        cwd="/opt/agent",
    )
    assert binds == [
        "/srv/data:/data:ro",
        "cache:/cache",
        "/etc/x:/x:z",
        "/opt/agent/conf:/conf:rw",
        "/opt/up/a:/a",
    ]
    assert anonymous == {"/anon": {}}


def test_a_volume_given_twice_is_bound_once_and_modes_are_left_to_the_engine() -> None:
    binds, _ = volumes_body(["/a:/a", "/a:/a", "/b:/b:nonsense"], cwd="/")
    assert binds == ["/a:/a", "/b:/b:nonsense"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [("/a::ro", "empty section"), (":/a", "empty section"), ("/a:/b:ro:z", "too many colons"), ("", "empty")],
)
def test_a_volume_the_cli_cannot_parse_is_refused_by_name(entry: str, reason: str) -> None:
    with pytest.raises(BadOption) as refused:
        volumes_body([entry], cwd="/")
    assert repr(entry) in str(refused.value) and reason in str(refused.value)


def test_restart_policies() -> None:
    assert restart_body(restart_policy("on-failure")) == {"Name": "on-failure", "MaximumRetryCount": 10}
    assert restart_body(restart_policy("on-failure:3")) == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert restart_body(restart_policy("")) == {"Name": "no"}
    assert restart_body(restart_policy("unless-stopped")) == {"Name": "unless-stopped"}
    for bad in (":3", "on-failure:x", "on-failure:1_0"):
        with pytest.raises(BadOption, match="restart policy"):
            restart_body(bad)


def test_labels() -> None:
    assert labels_body(["k=v", "solo", "k2=a=b", " lead=1", "k=later"]) == {
        "k": "later",
        "solo": "",
        "k2": "a=b",
        " lead": "1",
    }
    for bad in ("=x", " =x", "a b=1", "a\t=1"):
        with pytest.raises(BadOption, match="label"):
            labels_body([bad])


def test_the_environment_is_read_as_the_cli_reads_an_env_file() -> None:
    entries = ["A=1", "  B= 2 ", "#C=3", "D=x=y", "E=", "F=line\r", "G=two\nH=lines", "ONLY\nUNSET"]
    assert environment_body(entries, lookup={"ONLY": "from-agent"}) == [
        "A=1",
        "B= 2 ",
        "D=x=y",
        "E=",
        "F=line",
        "G=two",
        "H=lines",
        "ONLY=from-agent",
    ]
    with pytest.raises(BadOption, match="white space"):
        environment_body(["A B=1"], lookup={})
    with pytest.raises(BadOption, match="no variable name") as refused:
        environment_body(["A=1\n=s3cret"], lookup={})
    assert "s3cret" not in str(refused.value)


def request(**fields: object) -> RunContainer:
    return RunContainer.model_validate({"name": "web", "image": "local/busybox:1", **fields})


def test_the_body_of_a_full_request() -> None:
    body = create_body(
        request(
            network="bridge",
            ports=["127.0.0.1:8080:80"],
            volumes=["/srv:/srv:ro"],
            environment=["KEY=s3cret"],
            labels=["team=web"],
            restart="on-failure",
            command=["sh", "-c", "echo hi"],
            stop_signal="SIGINT",
            stop_time=3,
        ),
        cwd="/",
    )
    host = body.pop("HostConfig")
    assert body == {
        "Image": "local/busybox:1",
        "AttachStdout": True,
        "AttachStderr": True,
        "Env": ["KEY=s3cret"],
        "Labels": {"team": "web"},
        "Cmd": ["sh", "-c", "echo hi"],
        "StopSignal": "SIGINT",
        "StopTimeout": 3,
        "ExposedPorts": {"80/tcp": {}},
    }
    assert host["NetworkMode"] == "bridge" and host["Binds"] == ["/srv:/srv:ro"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 10}


def test_the_body_of_a_bare_request_uses_the_images_command_and_the_host_network() -> None:
    body = create_body(request(network=""), cwd="/")
    assert "Cmd" not in body and "ExposedPorts" not in body and "Binds" not in body["HostConfig"]
    assert body["HostConfig"]["NetworkMode"] == "host" and body["HostConfig"]["RestartPolicy"] == {
        "Name": "no"
    }
    assert body["StopSignal"] == "SIGTERM" and body["StopTimeout"] == 10
