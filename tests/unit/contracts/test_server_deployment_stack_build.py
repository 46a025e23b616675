"""Contracts of Server, Deployment, Stack and Build, docker objects and host stats: Komodo JSON in and out."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.api.base import REQUESTS, NoData
from contracts.api.execute.batch import BatchExecutionErr, BatchExecutionOk
from contracts.entities.build import Build, BuildConfig, BuildListItem, BuildState, ImageRegistryConfig
from contracts.entities.common import PermissionLevel, TerminationSignal, Timelength, Version
from contracts.entities.deployment import (
    Deployment,
    DeploymentConfig,
    DeploymentImageBuild,
    DeploymentImageImage,
    DeploymentListItem,
    DeploymentState,
    RestartMode,
)
from contracts.entities.docker import (
    ContainerListItem,
    ContainerStateStatusEnum,
    ContainerStats,
    ImageHistoryResponseItem,
    Port,
    VolumeListItem,
    VolumeScopeEnum,
    parse_string_list,
    split_string_list,
)
from contracts.entities.server import Server, ServerAlertingThresholds, ServerListItem, ServerState
from contracts.entities.stack import Stack, StackFileRequires, StackListItem, StackState
from contracts.entities.system import MinimalSystemStats, SystemStats, SystemStatsRecord
from contracts.entities.update import Update

API_MODULES = {
    "read": ["server", "server_stats", "docker", "deployment", "stack", "build"],
    "write": ["server", "deployment", "stack", "build"],
    "execute": ["server", "deployment", "stack", "build"],
}
MODULES = {
    f"{kind}.{name}": importlib.import_module(f"contracts.api.{kind}.{name}")
    for kind, names in API_MODULES.items()
    for name in names
}

OID = "65f1c0ffee0123456789abcd"


def _error_fields(err: ValidationError) -> set[str]:
    return {".".join(str(part) for part in e["loc"]) for e in err.errors()}


# ---------------------------------------------------------------------------------------------------------
# Server


def test_server_defaults_match_komodo() -> None:
    server = Server.model_validate({"name": "srv"})
    c = server.config
    assert (c.enabled, c.insecure_tls, c.auto_rotate_keys, c.auto_prune, c.stats_monitoring) == (
        False,
        True,
        True,
        True,
        True,
    )
    assert (c.cpu_warning, c.cpu_critical, c.mem_warning, c.mem_critical) == (90, 99, 75, 95)
    assert (c.disk_warning, c.disk_critical) == (75, 95)
    assert c.send_unreachable_alerts and c.send_cpu_alerts and c.send_mem_alerts
    assert c.send_disk_alerts and c.send_version_mismatch_alerts
    assert c.address == "" and c.ignore_mounts == [] and c.maintenance_windows == []
    assert server.info.public_key == "" and server.info.attempted_public_key == ""


def test_server_komodo_json_round_trip() -> None:
    doc = {
        "_id": {"$oid": OID},
        "name": "srv-1",
        "description": "edge box",
        "tags": ["t1"],
        "base_permission": "Read",
        "info": {"public_key": "MCow", "attempted_public_key": ""},
        "config": {
            "address": "https://10.0.0.2:8120",
            "enabled": True,
            "region": "eu",
            "ignore_mounts": "/snap\n# comment\n/boot, /efi",
            "maintenance_windows": [{"name": "nightly", "duration_minutes": 30, "hour": 2}],
            "cpu_warning": 80,
            "not_a_komodo_field": 1,
        },
        "updated_at": 1700000000000,
        "unknown_top_level": "x",
    }
    server = Server.model_validate(doc)
    assert server.id == OID
    assert server.base_permission.level is PermissionLevel.Read
    assert server.config.ignore_mounts == ["/snap", "/boot", "/efi"]
    assert server.config.maintenance_windows[0].name == "nightly"
    out = server.to_json()
    assert out["_id"] == {"$oid": OID}
    assert out["config"]["cpu_warning"] == 80
    assert out["config"]["insecure_tls"] is True
    assert "not_a_komodo_field" not in out["config"]
    assert "unknown_top_level" not in out
    assert Server.model_validate(out) == server


def test_server_rejects_wrong_types_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        Server.model_validate({"name": "srv", "config": {"cpu_warning": "high", "enabled": "maybe"}})
    assert _error_fields(err.value) == {"config.cpu_warning", "config.enabled"}


def test_server_list_item_and_thresholds() -> None:
    item = ServerListItem.model_validate(
        {
            "id": OID,
            "type": "Server",
            "name": "srv",
            "info": {
                "state": "NotOk",
                "err": {"error": "unreachable", "trace": ["connect refused"]},
                "region": "eu",
                "stats": {"cpu_perc": 3.5, "polling_rate": "5-sec", "load_average": {"one": 0.1}},
            },
        }
    )
    assert item.info.state is ServerState.NotOk
    assert item.info.err is not None and item.info.err.trace == ["connect refused"]
    assert item.info.stats is not None and item.info.stats.polling_rate is Timelength.FiveSeconds
    assert item.info.alerting_thresholds.cpu_critical == 99
    thresholds = ServerAlertingThresholds.from_config(Server.model_validate({"name": "s"}).config)
    assert thresholds.mem_warning == 75 and thresholds.disk_critical == 95


# ---------------------------------------------------------------------------------------------------------
# Deployment


def test_deployment_defaults_match_komodo() -> None:
    deployment = Deployment.model_validate({"name": "web"})
    c = deployment.config
    assert c.network == "host"
    assert c.restart is RestartMode.NoRestart and c.restart.value == "no"
    assert c.termination_signal is TerminationSignal.SigTerm
    assert (c.termination_timeout, c.replicas, c.send_alerts) == (10, 1, True)
    assert c.to_json()["image"] == {"type": "Image", "params": {"image": ""}}
    assert (c.redeploy_on_build, c.poll_for_updates, c.auto_update) == (False, False, False)


def test_deployment_komodo_json_round_trip_with_aliases() -> None:
    doc = {
        "_id": {"$oid": OID},
        "name": "web",
        "config": {
            "server": "srv",
            "swarm": "",
            "image": {"type": "Image", "params": {"image": "nginx:1.27"}},
            "restart": "unless-stopped",
            "termination_signal": "15",
            "ports": "8080:80",
            "environment": [{"variable": "A", "value": "1"}, {"variable": "B", "value": "two"}],
            "labels": "com.example=1",
            "extra_args": "--init, --cap-add=NET_ADMIN",
            "mystery": True,
        },
    }
    deployment = Deployment.model_validate(doc)
    c = deployment.config
    assert c.server_id == "srv"
    assert isinstance(c.image, DeploymentImageImage) and c.image.params.image == "nginx:1.27"
    assert c.restart is RestartMode.UnlessStopped
    assert c.termination_signal is TerminationSignal.SigTerm
    assert c.ports == "8080:80\n"
    assert c.environment == "  A = 1\n  B = two\n"
    assert c.extra_args == ["--init", "--cap-add=NET_ADMIN"]
    out = deployment.to_json()
    assert out["config"]["server_id"] == "srv" and "server" not in out["config"]
    assert out["config"]["image"] == {"type": "Image", "params": {"image": "nginx:1.27"}}
    assert out["config"]["restart"] == "unless-stopped"
    assert "mystery" not in out["config"]
    assert Deployment.model_validate(out) == deployment


def test_deployment_build_image_variant() -> None:
    config = DeploymentConfig.model_validate(
        {"image": {"type": "Build", "params": {"build": "api", "version": "1.4"}}}
    )
    assert isinstance(config.image, DeploymentImageBuild)
    assert config.image.params.build_id == "api"
    assert config.image.params.version == Version(major=1, minor=4, patch=0)
    assert config.to_json()["image"] == {
        "type": "Build",
        "params": {"build_id": "api", "version": {"major": 1, "minor": 4, "patch": 0}},
    }
    latest = DeploymentConfig.model_validate({"image": {"type": "Build", "params": {"build_id": "api"}}})
    assert isinstance(latest.image, DeploymentImageBuild) and latest.image.params.version.is_none()


def test_deployment_rejects_unknown_image_type_and_bad_restart() -> None:
    with pytest.raises(ValidationError) as err:
        DeploymentConfig.model_validate({"image": {"type": "Helm", "params": {}}})
    assert "image" in _error_fields(err.value)
    with pytest.raises(ValidationError) as err:
        DeploymentConfig.model_validate({"restart": "sometimes"})
    assert _error_fields(err.value) == {"restart"}


def test_deployment_state_is_snake_case_and_list_item() -> None:
    item = DeploymentListItem.model_validate(
        {"id": OID, "type": "Deployment", "name": "web", "info": {"state": "not_deployed", "image": "nginx"}}
    )
    assert item.info.state is DeploymentState.NotDeployed
    assert item.to_json()["info"]["state"] == "not_deployed"
    with pytest.raises(ValidationError):
        DeploymentListItem.model_validate(
            {"id": OID, "type": "Deployment", "name": "w", "info": {"state": "NotDeployed"}}
        )


# ---------------------------------------------------------------------------------------------------------
# Stack


def test_stack_defaults_match_komodo() -> None:
    c = Stack.model_validate({"name": "app"}).config
    assert (c.auto_pull, c.git_https, c.webhook_enabled, c.send_alerts) == (True, True, True, True)
    assert (c.git_provider, c.branch, c.env_file_path) == ("github.com", "main", ".env")
    assert c.compose_cmd_wrapper_include == [] and c.file_paths == []
    assert c.pre_deploy.command == "" and c.to_json()["post_deploy"] == {
        "path": "",
        "command": "",
        "shell_mode": False,
    }


def test_stack_komodo_json_round_trip() -> None:
    doc = {
        "_id": {"$oid": OID},
        "name": "app",
        "config": {
            "server": "srv",
            "file_contents": "services:\n  web:\n    image: nginx\n\n\n",
            "environment": "TZ=UTC",
            "file_paths": "compose.yaml, compose.prod.yaml",
            "additional_env_files": ["secrets.env", {"path": "extra.env", "track": False}],
            "config_files": ["nginx.conf", {"path": "app.toml", "service": "web", "req": "restart"}],
            "pre_deploy": {"command": "echo hi"},
        },
        "info": {"deployed_services": [{"service_name": "web", "container_name": "app-web"}]},
    }
    stack = Stack.model_validate(doc)
    c = stack.config
    assert c.server_id == "srv"
    assert c.file_contents == "services:\n  web:\n    image: nginx\n"
    assert c.environment == "TZ=UTC\n"
    assert c.file_paths == ["compose.yaml", "compose.prod.yaml"]
    assert [(f.path, f.track) for f in c.additional_env_files] == [
        ("secrets.env", True),
        ("extra.env", False),
    ]
    assert c.config_files[1].services == ["web"] and c.config_files[1].requires is StackFileRequires.Restart
    assert (
        stack.info.deployed_services is not None
        and stack.info.deployed_services[0].container_name == "app-web"
    )
    out = stack.to_json()
    assert out["config"]["config_files"] == [
        {"path": "nginx.conf"},
        {"path": "app.toml", "services": ["web"], "requires": "Restart"},
    ]
    assert Stack.model_validate(out) == stack


def test_stack_state_list_item() -> None:
    item = StackListItem.model_validate(
        {
            "id": OID,
            "type": "Stack",
            "name": "app",
            "info": {
                "state": "unhealthy",
                "services": [{"service": "web", "image": "nginx", "update_available": True}],
            },
        }
    )
    assert item.info.state is StackState.Unhealthy
    assert item.info.services[0].update_available
    with pytest.raises(ValidationError) as err:
        StackListItem.model_validate({"id": OID, "type": "Stack", "name": "a", "info": {"state": "Running"}})
    assert "info.state" in _error_fields(err.value)


# ---------------------------------------------------------------------------------------------------------
# Build


def test_build_defaults_match_komodo() -> None:
    c = Build.model_validate({"name": "api"}).config
    assert (
        c.auto_increment_version and c.include_latest_tag and c.include_version_tags and c.include_commit_tag
    )
    assert (c.build_path, c.dockerfile_path, c.git_provider, c.branch) == (
        ".",
        "Dockerfile",
        "github.com",
        "main",
    )
    assert c.webhook_enabled and c.git_https
    assert c.image_registry == [] and c.version.is_none()


def test_build_komodo_json_round_trip() -> None:
    doc = {
        "_id": {"$oid": OID},
        "name": "api",
        "config": {
            "builder": "local",
            "version": "1.2.3",
            "image_registry": {"domain": "ghcr.io", "account": "me", "organization": "acme"},
            "build_args": "VERSION_SUFFIX=rc",
            "extra_args": ["--platform", "linux/amd64"],
        },
        "info": {"last_built_at": 1700000000000, "built_hash": "a1b2c3d"},
    }
    build = Build.model_validate(doc)
    c = build.config
    assert c.builder_id == "local"
    assert c.version == Version(major=1, minor=2, patch=3)
    assert c.image_registry == [ImageRegistryConfig(domain="ghcr.io", account="me", organization="acme")]
    assert c.image_registry[0].full_image_name("api") == "ghcr.io/acme/api"
    assert c.build_args == "VERSION_SUFFIX=rc\n"
    out = build.to_json()
    assert out["config"]["builder_id"] == "local"
    assert out["config"]["version"] == {"major": 1, "minor": 2, "patch": 3}
    assert out["config"]["image_registry"] == [{"domain": "ghcr.io", "account": "me", "organization": "acme"}]
    assert Build.model_validate(out) == build


def test_build_registry_list_and_bad_version() -> None:
    config = BuildConfig.model_validate({"image_registry": [{"domain": "docker.io", "account": "me"}, {}]})
    assert len(config.image_registry) == 2
    assert config.image_registry[0].full_image_name("api") == "docker.io/me/api"
    assert config.image_registry[1].full_image_name("api") == "api"
    with pytest.raises(ValidationError) as err:
        BuildConfig.model_validate({"version": "one.two"})
    assert _error_fields(err.value) == {"version"}
    item = BuildListItem.model_validate(
        {"id": OID, "type": "Build", "name": "api", "info": {"state": "Failed"}}
    )
    assert item.info.state is BuildState.Failed


# ---------------------------------------------------------------------------------------------------------
# Docker objects and host stats


def test_container_list_item_leaves_out_unset_fields_and_labels() -> None:
    item = ContainerListItem.model_validate(
        {
            "name": "web",
            "state": "running",
            "ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}],
            "labels": {"com.docker.compose.project": "app"},
        }
    )
    assert item.state is ContainerStateStatusEnum.Running
    assert item.labels == {"com.docker.compose.project": "app"}
    assert item.to_json() == {
        "name": "web",
        "state": "running",
        "ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}],
    }
    assert (
        ContainerListItem.model_validate({"name": "x", "state": ""}).state is ContainerStateStatusEnum.Empty
    )
    with pytest.raises(ValidationError) as err:
        ContainerListItem.model_validate({"name": "x", "state": "Running"})
    assert _error_fields(err.value) == {"state"}


def test_docker_pascal_case_shapes() -> None:
    port = Port.model_validate({"PrivatePort": 53, "Type": "udp"})
    assert port.to_json() == {"IP": None, "PrivatePort": 53, "PublicPort": None, "Type": "udp"}
    stats = ContainerStats.model_validate(
        {"Name": "web", "CPUPerc": "1.5%", "MemUsage": "20MiB / 1GiB", "PIDs": "4"}
    )
    assert stats.to_json()["cpu_perc"] == "1.5%" and stats.pids == "4"
    layer = ImageHistoryResponseItem.model_validate(
        {"Id": "sha256:1", "Created": 1, "CreatedBy": "RUN x", "Size": 5, "Comment": ""}
    )
    assert layer.to_json() == {
        "Id": "sha256:1",
        "Created": 1,
        "CreatedBy": "RUN x",
        "Tags": [],
        "Size": 5,
        "Comment": "",
    }
    volume = VolumeListItem.model_validate(
        {"name": "data", "driver": "local", "mountpoint": "/v", "scope": "local"}
    )
    assert volume.scope is VolumeScopeEnum.Local and volume.in_use is False


def test_system_stats_and_minimal_summary() -> None:
    stats = SystemStats.model_validate(
        {
            "cpu_perc": 12.5,
            "mem_used_gb": 2,
            "mem_total_gb": 8,
            "disks": [
                {"mount": "/", "file_system": "ext4", "used_gb": 10, "total_gb": 100},
                {"mount": "/data", "file_system": "xfs", "used_gb": 5, "total_gb": 50},
            ],
            "polling_rate": "5-sec",
            "refresh_ts": 1,
            "refresh_list_ts": 1,
        }
    )
    minimal = MinimalSystemStats.from_stats(stats)
    assert (minimal.disk_used_gb, minimal.disk_total_gb) == (15, 150)
    assert minimal.polling_rate is Timelength.FiveSeconds
    assert minimal.load_average.one == 0
    record = SystemStatsRecord.model_validate({"ts": 5, "sid": OID, "cpu_perc": 1, "disks": []})
    assert record.to_json()["load_average"] == {"one": 0.0, "five": 0.0, "fifteen": 0.0}
    with pytest.raises(ValidationError) as err:
        SystemStats.model_validate({"polling_rate": "7-sec"})
    assert _error_fields(err.value) == {"polling_rate"}


def test_string_list_parsing_follows_komodo() -> None:
    assert split_string_list("a, b\n# skip\n  c # trailing comment\n\n") == ["a", "b", "c"]
    assert parse_string_list(["x, y"]) == ["x, y"]


# ---------------------------------------------------------------------------------------------------------
# Requests


def _my_requests() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for key, module in MODULES.items():
        kind = key.split(".")[0]
        for name, cls in REQUESTS[kind].items():
            if cls.__module__ == module.__name__:
                found[f"{kind}.{name}"] = cls
    return found


def test_every_request_has_its_subject_and_a_resolvable_response() -> None:
    mine = _my_requests()
    assert len(mine) == 57 + 32 + 48
    for key, cls in mine.items():
        kind, name = key.split(".")
        assert f"komodo.{kind}.{name}" == cls.SUBJECT
        assert cls.RESPONSE is not None, key
        cls.response_adapter()


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        (
            "execute",
            "StartContainer RestartContainer PauseContainer UnpauseContainer StopContainer DestroyContainer "
            "StartAllContainers RestartAllContainers PauseAllContainers UnpauseAllContainers StopAllContainers "
            "PruneContainers DeleteNetwork PruneNetworks DeleteImage PruneImages DeleteVolume PruneVolumes "
            "PruneDockerBuilders PruneBuildx PruneSystem",
        ),
        (
            "write",
            "CreateServer CopyServer DeleteServer UpdateServer RenameServer CreateNetwork UpdateServerPublicKey "
            "RotateServerKeys",
        ),
        (
            "read",
            "GetContainersSummary ListAllContainers ListContainers InspectContainer GetResourceMatchingContainer "
            "GetContainerLog SearchContainerLog ListComposeProjects ListNetworks InspectNetwork ListImages "
            "InspectImage ListImageHistory ListVolumes InspectVolume",
        ),
    ],
)
def test_server_level_request_inventory(kind: str, names: str) -> None:
    module = {"execute": "execute.server", "write": "write.server", "read": "read.docker"}[kind]
    defined = {n for n, c in REQUESTS[kind].items() if c.__module__ == MODULES[module].__name__}
    assert defined == set(names.split())


def test_server_executions_answer_an_update() -> None:
    for name, cls in REQUESTS["execute"].items():
        if cls.__module__ == MODULES["execute.server"].__name__:
            assert cls.RESPONSE is Update, name
            assert "server" in cls.model_fields


def test_primary_field_aliases_on_reads() -> None:
    get_deployment = REQUESTS["read"]["GetDeployment"]
    assert get_deployment.SUBJECT == "komodo.read.GetDeployment"
    assert get_deployment.model_validate({"id": "web"}).to_json() == {"deployment": "web"}
    assert get_deployment.model_validate({"name": "web"}).to_json() == {"deployment": "web"}
    assert REQUESTS["read"]["GetStack"].model_validate({"stack": "app"}).to_json() == {"stack": "app"}
    assert REQUESTS["read"]["GetBuild"].model_validate({"id": "api"}).to_json() == {"build": "api"}
    assert REQUESTS["read"]["ListContainers"].model_validate({"name": "srv"}).to_json() == {"server": "srv"}
    with pytest.raises(ValidationError) as err:
        get_deployment.model_validate({})
    assert _error_fields(err.value) == {"deployment"}


def test_list_requests_defaults_and_query_specifics() -> None:
    request = REQUESTS["read"]["ListDeployments"].model_validate(
        {"query": {"specific": {"server_ids": [OID], "states": ["running"]}}, "limit": 0}
    )
    out = request.to_json()
    assert out["page"] == 0 and out["limit"] == 0 and out["sort_by"] == "Name" and out["sort_desc"] is False
    assert out["query"]["specific"] == {
        "server_ids": [OID],
        "swarm_ids": [],
        "build_ids": [],
        "update_available": False,
        "states": ["running"],
    }
    assert "sort_by" not in REQUESTS["read"]["ListFullDeployments"].model_fields
    with pytest.raises(ValidationError) as err:
        REQUESTS["read"]["ListStacks"].model_validate({"sort_by": "Cpu"})
    assert _error_fields(err.value) == {"sort_by"}
    servers = REQUESTS["read"]["ListServers"].model_validate({"sort_by": "Cpu"})
    assert servers.to_json()["sort_by"] == "Cpu"


def test_request_defaults_follow_komodo() -> None:
    log = REQUESTS["read"]["GetContainerLog"].model_validate({"server": "s", "container": "c"})
    assert log.to_json() == {"server": "s", "container": "c", "tail": 100, "timestamps": False}
    stop = REQUESTS["execute"]["StopDeployment"].model_validate({"deployment": "web", "signal": "3"})
    assert stop.to_json() == {"deployment": "web", "signal": "SIGQUIT", "time": None}
    history = REQUESTS["read"]["GetHistoricalServerStats"].model_validate(
        {"id": "srv", "granularity": "1-hr"}
    )
    assert history.to_json() == {"server": "srv", "granularity": "1-hr", "page": 0}
    create = REQUESTS["write"]["CreateStack"].model_validate({"name": "app"})
    assert create.to_json() == {"name": "app", "config": {}}
    with pytest.raises(ValidationError) as err:
        REQUESTS["write"]["UpdateBuild"].model_validate({"id": "api"})
    assert _error_fields(err.value) == {"config"}
    run = REQUESTS["execute"]["RunStackService"].model_validate(
        {"stack": "app", "service": "web", "command": ["ls"]}
    )
    assert run.to_json()["command"] == ["ls"] and run.to_json()["no_tty"] is None
    assert REQUESTS["write"]["RefreshStackCache"].RESPONSE is NoData


def test_batch_executions_answer_tagged_items() -> None:
    cls = REQUESTS["execute"]["BatchDeployStack"]
    assert cls.SUBJECT == "komodo.execute.BatchDeployStack"
    update = {
        "_id": {"$oid": OID},
        "operation": "DeployStack",
        "start_ts": 1,
        "operator": "u1",
        "target": {"type": "Stack", "id": OID},
    }
    items = cls.response_adapter().validate_python(
        [
            {"status": "Ok", "data": update},
            {"status": "Err", "data": {"name": "app-2", "error": {"error": "busy", "trace": []}}},
        ]
    )
    assert isinstance(items[0], BatchExecutionOk) and items[0].data.id == OID
    assert isinstance(items[1], BatchExecutionErr) and items[1].data.error.error == "busy"
    with pytest.raises(ValidationError):
        cls.response_adapter().validate_python([{"status": "Maybe", "data": {}}])


def test_inspect_responses_pass_docker_json_through() -> None:
    cls = REQUESTS["read"]["InspectContainer"]
    docker_json = {"Id": "abc", "State": {"Status": "running"}, "HostConfig": {"NetworkMode": "host"}}
    assert cls.response_adapter().validate_python(docker_json) == docker_json
    assert cls.model_validate({"server": "s", "container": "web"}).SUBJECT == "komodo.read.InspectContainer"
