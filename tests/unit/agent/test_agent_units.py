"""The agent's pure parts: docker stats formatting, list items, compose projects, log demuxing and search,
event mapping, name checks and configuration."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from contracts.entities.common import SearchCombinator
from services.agent.container_stats import format_stats
from services.agent.docker_api import LogDemuxer, api_at_least, check_name
from services.agent.docker_lists import compose_projects, container_item, image_item, resolve_network_modes
from services.agent.events import state_change
from services.agent.log_search import line_matches, search_command
from services.agent.oplog import bytes_size, human_size, prune_output
from services.agent.settings import AgentConfig, AgentConfigError
from services.common.errors import NotFound
from services.common.settings import Settings


def test_sizes_are_written_like_the_docker_cli() -> None:
    assert bytes_size(0) == "0B"
    assert bytes_size(20 * 1024**2) == "20MiB"
    assert bytes_size(2 * 1024**3 - 50 * 1024**2) == "1.951GiB"
    assert bytes_size(1023) == "1023B"
    assert human_size(0) == "0B"
    assert human_size(656) == "656B"
    assert human_size(1234) == "1.23kB"
    assert human_size(12_345_678) == "12.3MB"
    assert human_size(999_999) == "1e+03kB"  # go's %.3g, as docker prints it


STATS: dict[str, Any] = {
    "name": "/web",
    "cpu_stats": {
        "cpu_usage": {"total_usage": 2_000_000_000, "percpu_usage": [1, 1]},
        "system_cpu_usage": 200_000_000_000,
        "online_cpus": 2,
    },
    "precpu_stats": {"cpu_usage": {"total_usage": 1_500_000_000}, "system_cpu_usage": 100_000_000_000},
    "memory_stats": {"usage": 30 * 1024**2, "limit": 1024**3, "stats": {"total_inactive_file": 10 * 1024**2}},
    "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 656}, "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
    "blkio_stats": {
        "io_service_bytes_recursive": [
            {"op": "Read", "value": 4_000_000},
            {"op": "Write", "value": 12_000},
            {"op": "Total", "value": 4_012_000},
        ]
    },
    "pids_stats": {"current": 3},
}


def test_container_stats_are_formatted_like_docker_stats() -> None:
    stats = format_stats(STATS)
    assert stats.name == "web"
    assert stats.cpu_perc == "1.00%"  # 0.5 s of 100 s of host CPU time, on 2 CPUs
    assert stats.mem_usage == "20MiB / 1GiB"  # the inactive page cache is not counted
    assert stats.mem_perc == "1.95%"
    assert stats.net_io == "2kB / 656B"
    assert stats.block_io == "4MB / 12kB"
    assert stats.pids == "3"


def test_stats_of_a_stopped_container_are_zero() -> None:
    stats = format_stats({"name": "/idle", "memory_stats": {}, "cpu_stats": {}, "precpu_stats": {}}, "idle")
    assert (stats.cpu_perc, stats.mem_perc, stats.mem_usage, stats.pids) == ("0.00%", "0.00%", "0B / 0B", "0")


def raw_container(name: str, state: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "Id": f"id-{name}",
        "Names": [f"/{name}"],
        "Image": "busybox",
        "ImageID": "sha256:abc",
        "Created": 1700000000,
        "State": state,
        "Status": "Up 2 minutes",
        "Labels": labels,
        "HostConfig": {"NetworkMode": "bridge"},
        "NetworkSettings": {"Networks": {"zeta": {}, "bridge": {}}},
        "Ports": [
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"PrivatePort": 53, "Type": "udp"},
        ],
        "Mounts": [{"Type": "volume", "Name": "data"}, {"Type": "bind", "Source": "/srv"}],
        **extra,
    }


def test_container_item_from_the_engine_list() -> None:
    item = container_item(raw_container("web", "running", {"a": "b"}))
    assert item.name == "web" and item.id == "id-web" and item.state.value == "running"
    assert item.networks == ["bridge", "zeta"] and item.volumes == ["data"] and item.labels == {"a": "b"}
    assert item.ports[0].public_port == 8080 and item.ports[1].public_port is None
    assert container_item(raw_container("odd", "frozen", {})).state.value == ""


def test_container_network_mode_resolves_to_the_referenced_container() -> None:
    main = container_item(raw_container("main", "running", {}))
    sidecar = container_item(
        raw_container("side", "running", {}, HostConfig={"NetworkMode": "container:id-main"})
    )
    resolved = resolve_network_modes([main, sidecar])
    assert [c.network_mode for c in resolved] == ["bridge", "bridge"]


def test_compose_projects_from_labels() -> None:
    def project(name: str, state: str, project: str, files: str = "") -> Any:
        labels = {"com.docker.compose.project": project}
        if files:
            labels["com.docker.compose.project.config_files"] = files
        return container_item(raw_container(name, state, labels))

    containers = [
        project("a1", "running", "alpha", "/srv/alpha/compose.yaml,/srv/alpha/prod.yaml"),
        project("a2", "running", "alpha"),
        project("a3", "exited", "alpha"),
        project("b1", "exited", "beta", "/srv/beta/compose.yaml"),
        container_item(raw_container("loose", "running", {})),
    ]
    projects = compose_projects(containers)
    # Sorted by status, then name, as Komodo lists them.
    assert [(p.name, p.status, p.compose_files) for p in projects] == [
        ("beta", "exited(1)", ["/srv/beta/compose.yaml"]),
        ("alpha", "exited(1), running(2)", ["/srv/alpha/compose.yaml", "/srv/alpha/prod.yaml"]),
    ]


def test_image_item_names_untagged_images_by_id() -> None:
    tagged = image_item({"Id": "sha256:1", "RepoTags": ["web:1", "web:latest"], "Size": 5}, {"sha256:1"})
    assert (tagged.name, tagged.tags, tagged.in_use) == ("web:1", ["web:1", "web:latest"], True)
    dangling = image_item({"Id": "sha256:2", "RepoTags": ["<none>:<none>"]}, set())
    assert (dangling.name, dangling.tags, dangling.in_use) == ("sha256:2", [], False)


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def test_log_demuxer_splits_streams_and_joins_cut_lines() -> None:
    demuxer = LogDemuxer(tty=False)
    data = frame(1, b"hello\nwor") + frame(2, b"oops\n") + frame(1, b"ld\n") + frame(2, b"tail")
    lines = []
    for at in range(0, len(data), 3):  # chunks that cut headers and lines anywhere
        lines += demuxer.feed(data[at : at + 3])
    lines += demuxer.finish()
    assert lines == [(False, "hello"), (True, "oops"), (False, "world"), (True, "tail")]
    tty = LogDemuxer(tty=True)
    assert tty.feed(b"a\r\nb") + tty.finish() == [(False, "a"), (False, "b")]


def test_log_search_terms_combinator_and_invert() -> None:
    assert line_matches("hello world", ["hello", "nope"], SearchCombinator.Or, False)
    assert not line_matches("hello world", ["hello", "nope"], SearchCombinator.And, False)
    assert line_matches("hello world", ["hello", "world"], SearchCombinator.And, False)
    assert line_matches("hello world", ["nope"], SearchCombinator.Or, True)
    assert not line_matches("hello world", ["hello", "world"], SearchCombinator.And, True)
    assert search_command("web", ["a b", "c"], SearchCombinator.Or, False, False) == (
        "docker logs web 2>&1 | grep -F -e 'a b' -e c"
    )
    assert search_command("web", ["a.b", "c"], SearchCombinator.And, True, True) == (
        "docker logs --timestamps web 2>&1 | grep -v -P '^(?=.*a\\.b)(?=.*c)'"
    )


def test_container_events_become_state_changes() -> None:
    event = {
        "Type": "container",
        "Action": "die",
        "Actor": {"ID": "abc", "Attributes": {"name": "web", "exitCode": "0"}},
        "time": 1700000000,
        "timeNano": 1700000000123456789,
    }
    change = state_change("srv", event)
    assert change is not None
    assert (change.server_id, change.name, change.id, change.action, change.state.value, change.ts) == (
        "srv",
        "web",
        "abc",
        "die",
        "exited",
        1700000000123,
    )
    health = state_change("srv", {**event, "Action": "health_status: unhealthy"})
    assert (
        health is not None and health.state.value == "running" and health.action == "health_status: unhealthy"
    )
    destroyed = state_change("srv", {**event, "Action": "destroy"})
    assert destroyed is not None and destroyed.state.value == ""
    assert state_change("srv", {**event, "Action": "exec_start: sh"}) is None
    renamed = state_change(
        "srv", {**event, "Action": "rename", "Actor": {"ID": "abc", "Attributes": {"name": "web-previous"}}}
    )
    assert renamed is not None and (renamed.action, renamed.name, renamed.id) == (
        "rename",
        "web-previous",
        "abc",
    )


def test_names_that_leave_the_api_path_are_not_found() -> None:
    check_name("container", "web-1")
    check_name("container", "/web-1")
    check_name("image", "registry.example.com:5000/team/web:1.2")
    check_name("image", "busybox@sha256:0123abcd")
    for kind, name in [
        ("container", "a/b"),
        ("container", ""),
        ("container", "x?all=1"),
        ("volume", ".."),
        ("image", "team/../../containers/x"),
        ("image", "a//b"),
    ]:
        with pytest.raises(NotFound, match=f"no {kind} named"):
            check_name(kind, name)


def test_api_versions_compare() -> None:
    assert api_at_least("v1.42", 1, 42) and api_at_least("v1.43", 1, 42) and api_at_least("v2.0", 1, 42)
    assert not api_at_least("v1.41", 1, 42) and not api_at_least("auto", 1, 42)


def test_prune_output_like_the_cli() -> None:
    assert (
        prune_output("Deleted Volumes", ["a", "b"], 2048)
        == "Deleted Volumes:\na\nb\n\nTotal reclaimed space: 2.048kB"
    )
    assert prune_output("Deleted Networks", [], None) == ""
    assert prune_output("Deleted Images", [], 0) == "Total reclaimed space: 0B"


def test_agent_config_needs_one_subject_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VARANUS_AGENT_SERVER_ID", raising=False)
    with pytest.raises(AgentConfigError, match="VARANUS_AGENT_SERVER_ID is not set"):
        AgentConfig.from_env(Settings())
    for bad in ("a.b", "a b", "*", ">"):
        with pytest.raises(AgentConfigError, match="one NATS subject token"):
            AgentConfig(settings=Settings(), server_id=bad)
    monkeypatch.setenv("VARANUS_AGENT_SERVER_ID", "65f0c0ffee")
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/docker.sock")
    config = AgentConfig.from_env(Settings(monitoring_interval="5-sec"))
    assert (config.server_id, config.docker_host, config.interval_seconds) == (
        "65f0c0ffee",
        "unix:///tmp/docker.sock",
        5.0,
    )
    assert config.container_stats_seconds == 30.0
    assert (
        AgentConfig(settings=Settings(monitoring_interval="1-min"), server_id="x").container_stats_seconds
        == 60.0
    )
