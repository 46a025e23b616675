"""Komodo JSON samples for Repo, Builder, Procedure, Action, ResourceSync, Alerter, Alert, Schedule and ServerTemplate.

Each sample is shaped as Komodo 2.3.2 (or, for ServerTemplate, Komodo 1.17.4) writes it; the tests check that
defaults are filled, aliases and lenient forms are accepted, unknown fields are ignored, tagged unions pick their
variant, wrong types are rejected naming the field, and `to_json()` gives Komodo's shape back.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

import pytest
from pydantic import ValidationError

from contracts.api.base import NoData, Request
from contracts.api.execute.action import BatchRunAction, CancelAction, RunAction
from contracts.api.execute.alerter import SendAlert, TestAlerter
from contracts.api.execute.batch import BatchExecutionErr, BatchExecutionOk, BatchExecutionResponseItem
from contracts.api.execute.maintenance import GlobalAutoUpdate, RotateCoreKeys
from contracts.api.execute.procedure import BatchRunProcedure, CancelProcedure
from contracts.api.execute.resource_sync import RunSync
from contracts.api.execute.server_template import LaunchServer
from contracts.api.read.alert import ListAlerts
from contracts.api.read.builder import ListBuilders
from contracts.api.read.repo import GetRepo, GetRepoActionState, ListRepos
from contracts.api.read.resource_sync import GetResourceSync
from contracts.api.read.schedule import ListSchedules
from contracts.api.read.server_template import GetServerTemplate, ListServerTemplates
from contracts.api.read.toml import ExportAllResourcesToToml, ExportResourcesToToml
from contracts.api.write.alert import CloseAlert
from contracts.api.write.builder import CreateBuilder, UpdateBuilder
from contracts.catalog import load_all
from contracts.entities.action import Action, ActionActionState, ActionListItem
from contracts.entities.alert import (
    Alert,
    AlertDataBuildFailed,
    AlertDataContainerStateChange,
    AlertDataNone,
    AlertDataStackStateChange,
    AlertDataVariant,
    ListAlertsResponse,
)
from contracts.entities.alerter import (
    Alerter,
    AlerterEndpointCustom,
    AlerterEndpointNtfy,
    AlerterEndpointPushover,
    AlerterEndpointSlack,
    AlerterListItem,
    AlerterQuery,
)
from contracts.entities.builder import AwsBuilder, Builder, ServerBuilder, UrlBuilder
from contracts.entities.common import (
    FileFormat,
    ResourceTargetVariant,
    ScheduleFormat,
    SeverityLevel,
    TagQueryBehavior,
)
from contracts.entities.deployment import DeploymentState
from contracts.entities.procedure import Procedure, ProcedureListItem, ProcedureState
from contracts.entities.repo import Repo, RepoListItem, RepoQuery, RepoSortBy, RepoState
from contracts.entities.resource_sync import (
    CreateDiff,
    DeleteDiff,
    ResourceSync,
    ResourceSyncListItem,
    UpdateDiff,
)
from contracts.entities.schedule import Schedule, ScheduleSortBy
from contracts.entities.server_template import (
    AwsServerTemplate,
    AwsVolumeType,
    HetznerDatacenter,
    HetznerServerTemplate,
    HetznerServerType,
    ServerTemplate,
    ServerTemplateConfigVariant,
    ServerTemplateListItem,
    ServerTemplateQuery,
)
from contracts.entities.stack import StackState
from contracts.entities.update import Update

OID = "6608bf89cb2a12b257ab6c09"


def _error_locations(err: ValidationError) -> list[str]:
    return [".".join(str(part) for part in e["loc"]) for e in err.errors()]


# ---------------------------------------------------------------------------------------------------------
# Repo


def test_repo_sample_round_trips_with_defaults_and_aliases() -> None:
    repo = Repo.model_validate(
        {
            "_id": {"$oid": OID},
            "name": "app",
            "config": {
                "server": "srv-1",
                "builder": "bld-1",
                "repo": "acme/app",
                "links": "https://a.example, https://b.example",
                "environment": [{"variable": "A", "value": "1"}],
                "on_clone": {"path": ".", "command": "make setup"},
                "not_a_komodo_field": 1,
            },
            "info": {"last_pulled_at": 5, "latest_hash": "abc1234"},
            "unknown_top_level": True,
        }
    )
    config = repo.config
    assert (config.server_id, config.builder_id) == ("srv-1", "bld-1")
    assert (config.git_provider, config.git_https, config.branch) == ("github.com", True, "main")
    assert (config.env_file_path, config.webhook_enabled, config.skip_secret_interp) == (".env", True, False)
    assert config.links == ["https://a.example", "https://b.example"]
    assert config.environment == "  A = 1\n"
    assert config.on_clone.command == "make setup" and config.on_pull.command == ""
    assert repo.info.latest_hash == "abc1234" and repo.info.built_hash is None

    data = repo.to_json()
    assert data["_id"] == {"$oid": OID}
    assert data["config"]["server_id"] == "srv-1" and "server" not in data["config"]
    assert "not_a_komodo_field" not in data["config"] and "unknown_top_level" not in data
    assert Repo.model_validate(data) == repo


def test_repo_rejects_wrong_types_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        Repo.model_validate({"name": "app", "config": {"branch": 5}})
    assert "config.branch" in _error_locations(err.value)
    with pytest.raises(ValidationError) as err:
        Repo.model_validate({"name": "app", "config": {"on_pull": "make"}})
    assert "config.on_pull" in _error_locations(err.value)


def test_repo_list_item_query_and_requests() -> None:
    item = RepoListItem.model_validate(
        {
            "id": OID,
            "type": "Repo",
            "name": "app",
            "info": {"server_id": "s", "repo": "acme/app", "state": "Cloning", "repo_link": "https://x"},
        }
    )
    assert item.info.state is RepoState.Cloning and item.info.last_built_at == 0
    query = RepoQuery.model_validate({"specific": {"states": ["Failed"], "server_ids": ["s"]}})
    assert query.specific is not None and query.specific.states == [RepoState.Failed]
    listing = ListRepos.model_validate({"query": {"names": ["app"]}, "sort_by": "Branch", "sort_desc": True})
    assert listing.sort_by is RepoSortBy.Branch and listing.limit is None and listing.page == 0
    with pytest.raises(ValidationError) as err:
        ListRepos.model_validate({"sort_by": "Color"})
    assert _error_locations(err.value) == ["sort_by"]
    assert GetRepo.model_validate({"id": "app"}).repo == "app"
    assert GetRepo.model_validate({"name": "app"}).repo == "app"
    assert GetRepoActionState.model_validate({"repo": "app"}).repo == "app"


# ---------------------------------------------------------------------------------------------------------
# Builder


def test_builder_variants_and_defaults() -> None:
    default = Builder.model_validate({"name": "b"})
    assert isinstance(default.config, UrlBuilder)
    assert default.config.params.address == "https://periphery:8120"
    assert default.config.params.insecure_tls is True

    aws = Builder.model_validate(
        {
            "name": "b",
            "config": {
                "type": "Aws",
                "params": {
                    "docker_registries": [{"domain": "ghcr.io", "accounts": []}],
                    "security_group_ids": "sg-1, sg-2",
                },
            },
        }
    )
    assert isinstance(aws.config, AwsBuilder)
    params = aws.config.params
    assert (params.region, params.instance_type, params.volume_gb) == ("us-east-1", "c5.2xlarge", 20)
    assert (params.port, params.use_https, params.insecure_tls) == (8120, True, True)
    assert params.security_group_ids == ["sg-1", "sg-2"]
    assert [r.domain for r in params.image_registries] == ["ghcr.io"]
    data = aws.to_json()["config"]
    assert data["type"] == "Aws" and "image_registries" in data["params"]
    assert "docker_registries" not in data["params"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"server_ids": ["a", "b"]}, ["a", "b"]),
        ({"server_id": "a"}, ["a"]),
        ({"server": "a"}, ["a"]),
        ({"servers": ["a"]}, ["a"]),
        ({"servers": "a, b"}, ["a", "b"]),
        ({}, []),
    ],
)
def test_server_builder_accepts_komodo_aliases(params: dict[str, Any], expected: list[str]) -> None:
    builder = Builder.model_validate({"name": "b", "config": {"type": "Server", "params": params}})
    assert isinstance(builder.config, ServerBuilder)
    assert builder.config.params.server_ids == expected
    assert builder.to_json()["config"] == {"type": "Server", "params": {"server_ids": expected}}


def test_builder_rejects_unknown_variant_and_bad_params() -> None:
    with pytest.raises(ValidationError) as err:
        Builder.model_validate({"name": "b", "config": {"type": "Gcp", "params": {}}})
    assert _error_locations(err.value)[0].startswith("config")
    with pytest.raises(ValidationError) as err:
        Builder.model_validate({"name": "b", "config": {"type": "Aws", "params": {"volume_gb": "big"}}})
    assert "config.Aws.params.volume_gb" in _error_locations(err.value)


def test_builder_requests() -> None:
    assert CreateBuilder.model_validate({"name": "b"}).config == {}
    with pytest.raises(ValidationError) as err:
        UpdateBuilder.model_validate({"id": "b"})
    assert _error_locations(err.value) == ["config"]
    assert ListBuilders.model_validate({"sort_by": "InstanceType"}).sort_by.value == "InstanceType"


# ---------------------------------------------------------------------------------------------------------
# Procedure and Action


def test_procedure_stages_as_in_komodo_toml() -> None:
    procedure = Procedure.model_validate(
        {
            "name": "build-and-deploy",
            "config": {
                "stage": [
                    {
                        "name": "Build",
                        "executions": [{"execution": {"type": "RunBuild", "params": {"build": "app"}}}],
                    },
                    {
                        "name": "Deploy",
                        "enabled": False,
                        "execution": [
                            {"execution": {"type": "Deploy", "params": {"deployment": "a"}}},
                            {
                                "execution": {"type": "Sleep", "params": {"duration_ms": 500}},
                                "enabled": False,
                            },
                        ],
                    },
                ]
            },
        }
    )
    config = procedure.config
    assert [s.name for s in config.stages] == ["Build", "Deploy"]
    assert config.stages[0].enabled and not config.stages[1].enabled
    deploy, sleep = config.stages[1].executions
    assert deploy.execution.type == "Deploy" and deploy.enabled
    assert sleep.execution.params == {"duration_ms": 500} and not sleep.enabled
    assert config.schedule_format is ScheduleFormat.English and config.schedule == ""
    assert (
        config.schedule_enabled and config.schedule_alert and config.failure_alert and config.webhook_enabled
    )

    data = procedure.to_json()["config"]
    assert "stage" not in data and data["stages"][1]["executions"][1]["execution"]["type"] == "Sleep"
    assert Procedure.model_validate(procedure.to_json()) == procedure


def test_procedure_execution_defaults_and_list_item() -> None:
    stage = Procedure.model_validate(
        {"name": "p", "config": {"stages": [{"name": "s", "executions": [{}]}]}}
    ).config.stages[0]
    assert stage.executions[0].execution.to_json() == {"type": "None", "params": {}}
    item = ProcedureListItem.model_validate(
        {"id": OID, "type": "Procedure", "name": "p", "info": {"stages": 2, "state": "Running"}}
    )
    assert item.info.state is ProcedureState.Running and item.info.next_scheduled_run is None
    with pytest.raises(ValidationError) as err:
        Procedure.model_validate(
            {"name": "p", "config": {"stages": [{"executions": [{"enabled": "maybe"}]}]}}
        )
    assert "config.stages.0.executions.0.enabled" in _error_locations(err.value)


def test_action_defaults_and_file_contents() -> None:
    action = Action.model_validate(
        {
            "name": "a",
            "config": {
                "file_contents": "console.log(ARGS)  \n\n",
                "arguments_format": "toml",
                "arguments": "x = 1",
            },
        }
    )
    config = action.config
    assert (config.run_at_startup, config.reload_deno_deps) == (False, False)
    assert config.schedule_format is ScheduleFormat.English
    assert (config.schedule_enabled, config.schedule_alert, config.failure_alert, config.webhook_enabled) == (
        True,
        True,
        True,
        True,
    )
    assert config.file_contents == "console.log(ARGS)\n" and config.arguments == "x = 1\n"
    assert config.arguments_format is FileFormat.Toml
    assert Action.model_validate({"name": "a"}).config.arguments_format is FileFormat.KeyValue
    assert action.to_json()["config"]["arguments_format"] == "toml"
    with pytest.raises(ValidationError) as err:
        Action.model_validate({"name": "a", "config": {"arguments_format": "xml"}})
    assert "config.arguments_format" in _error_locations(err.value)

    item = ActionListItem.model_validate(
        {"id": OID, "type": "Action", "name": "a", "info": {"state": "Failed"}}
    )
    assert item.info.state.value == "Failed"
    assert ActionActionState.model_validate({"running": 3}).running == 3


# ---------------------------------------------------------------------------------------------------------
# ResourceSync


def test_resource_sync_defaults_and_pending_diffs() -> None:
    sync = ResourceSync.model_validate(
        {
            "name": "s",
            "config": {"resource_path": "stacks.toml, deployments", "file_contents": "[[stack]]"},
            "info": {
                "resource_updates": [
                    {
                        "target": {"type": "Stack", "id": OID},
                        "data": {"type": "Update", "data": {"proposed": "b", "current": "a"}},
                    },
                    {
                        "target": {"type": "Deployment", "id": ""},
                        "data": {"type": "Create", "data": {"name": "web", "proposed": "c"}},
                    },
                ],
                "variable_updates": [{"type": "Delete", "data": {"current": "[[variable]]"}}],
                "pending_deploys": [
                    {"target": {"type": "Stack", "id": OID}, "reason": "config changed", "after": []}
                ],
                "remote_contents": [{"resource_path": "stacks.toml", "path": "", "contents": "x"}],
            },
        }
    )
    config = sync.config
    assert (config.git_provider, config.git_https, config.branch) == ("github.com", True, "main")
    assert (config.webhook_enabled, config.include_resources, config.pending_alert) == (True, True, True)
    assert (config.managed, config.delete, config.files_on_host) == (False, False, False)
    assert (config.include_variables, config.include_user_groups) == (False, False)
    assert config.resource_path == ["stacks.toml", "deployments"]
    assert config.file_contents == "[[stack]]\n"

    update, create = sync.info.resource_updates
    assert isinstance(update.data, UpdateDiff) and update.data.data.current == "a"
    assert isinstance(create.data, CreateDiff) and create.data.data.name == "web"
    assert isinstance(sync.info.variable_updates[0], DeleteDiff)
    assert sync.info.pending_deploys[0].reason == "config changed"
    assert sync.to_json()["info"]["resource_updates"][0]["data"] == {
        "type": "Update",
        "data": {"proposed": "b", "current": "a"},
    }
    assert GetResourceSync.model_validate({"id": "s"}).sync == "s"


def test_resource_sync_rejects_unknown_diff_type() -> None:
    with pytest.raises(ValidationError) as err:
        ResourceSync.model_validate(
            {"name": "s", "info": {"variable_updates": [{"type": "Rename", "data": {}}]}}
        )
    assert _error_locations(err.value)[0].startswith("info.variable_updates.0")
    item = ResourceSyncListItem.model_validate(
        {"id": OID, "type": "ResourceSync", "name": "s", "info": {"state": "Pending", "file_contents": True}}
    )
    assert item.info.state.value == "Pending" and item.info.file_contents is True


# ---------------------------------------------------------------------------------------------------------
# Alerter and Alert


def test_alerter_defaults_and_endpoints() -> None:
    alerter = Alerter.model_validate({"name": "a"})
    assert alerter.config.enabled is False
    assert isinstance(alerter.config.endpoint, AlerterEndpointCustom)
    assert alerter.to_json()["config"]["endpoint"] == {
        "type": "Custom",
        "params": {"url": "http://localhost:7000"},
    }

    slack = Alerter.model_validate({"name": "s", "config": {"endpoint": {"type": "Slack"}}})
    assert isinstance(slack.config.endpoint, AlerterEndpointSlack)
    assert slack.config.endpoint.params.url.startswith("https://hooks.slack.com/services/")

    ntfy = Alerter.model_validate(
        {"name": "n", "config": {"endpoint": {"type": "Ntfy", "params": {"url": "http://ntfy/t"}}}}
    )
    assert isinstance(ntfy.config.endpoint, AlerterEndpointNtfy) and ntfy.config.endpoint.params.email is None

    pushover = Alerter.model_validate(
        {"name": "p", "config": {"endpoint": {"type": "Pushover", "params": {}}}}
    )
    assert isinstance(pushover.config.endpoint, AlerterEndpointPushover)
    assert pushover.config.endpoint.params.url.startswith("https://api.pushover.net/1/messages.json?")


def test_alerter_filters() -> None:
    alerter = Alerter.model_validate(
        {
            "name": "a",
            "config": {
                "enabled": True,
                "alert_types": ["ServerCpu", "BuildFailed"],
                "resources": [{"type": "Server", "id": OID}],
                "maintenance_windows": [{"name": "nightly", "hour": 2, "duration_minutes": 60}],
            },
        }
    )
    assert alerter.config.alert_types == [AlertDataVariant.ServerCpu, AlertDataVariant.BuildFailed]
    assert alerter.config.maintenance_windows[0].duration_minutes == 60
    assert alerter.to_json()["config"]["alert_types"] == ["ServerCpu", "BuildFailed"]
    with pytest.raises(ValidationError) as err:
        Alerter.model_validate({"name": "a", "config": {"alert_types": ["Earthquake"]}})
    assert "config.alert_types.0" in _error_locations(err.value)
    with pytest.raises(ValidationError) as err:
        Alerter.model_validate({"name": "a", "config": {"endpoint": {"type": "Email", "params": {}}}})
    assert _error_locations(err.value)[0].startswith("config.endpoint")

    item = AlerterListItem.model_validate(
        {"id": OID, "type": "Alerter", "name": "a", "info": {"enabled": True, "endpoint_type": "Discord"}}
    )
    assert item.info.endpoint_type.value == "Discord"
    query = AlerterQuery.model_validate({"specific": {"types": ["Slack"], "enabled": True}})
    assert query.specific is not None and [t.value for t in query.specific.types] == ["Slack"]


ALERT_SAMPLES: list[dict[str, Any]] = [
    {"type": "None", "data": {}},
    {"type": "Test", "data": {"id": OID, "name": "alerter"}},
    {"type": "SwarmUnhealthy", "data": {"id": OID, "name": "swarm", "err": None}},
    {
        "type": "ServerUnreachable",
        "data": {"id": OID, "name": "srv", "region": "eu", "err": {"error": "timeout", "trace": ["dial"]}},
    },
    {"type": "ServerCpu", "data": {"id": OID, "name": "srv", "region": None, "percentage": 97.5}},
    {
        "type": "ServerMem",
        "data": {"id": OID, "name": "srv", "region": None, "used_gb": 7.5, "total_gb": 8.0},
    },
    {
        "type": "ServerDisk",
        "data": {"id": OID, "name": "srv", "region": None, "path": "/", "used_gb": 90.0, "total_gb": 100.0},
    },
    {
        "type": "ServerVersionMismatch",
        "data": {
            "id": OID,
            "name": "srv",
            "region": None,
            "server_version": "1.0.0",
            "core_version": "2.3.2",
        },
    },
    {
        "type": "ContainerStateChange",
        "data": {
            "id": OID,
            "name": "web",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "from": "running",
            "to": "exited",
        },
    },
    {
        "type": "DeploymentImageUpdateAvailable",
        "data": {
            "id": OID,
            "name": "web",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "image": "nginx:latest",
        },
    },
    {
        "type": "DeploymentAutoUpdated",
        "data": {
            "id": OID,
            "name": "web",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "image": "nginx:latest",
        },
    },
    {
        "type": "StackStateChange",
        "data": {
            "id": OID,
            "name": "app",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "from": "running",
            "to": "unhealthy",
        },
    },
    {
        "type": "StackImageUpdateAvailable",
        "data": {
            "id": OID,
            "name": "app",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "service": "db",
            "image": "postgres:17",
        },
    },
    {
        "type": "StackAutoUpdated",
        "data": {
            "id": OID,
            "name": "app",
            "server_id": "s",
            "server_name": "srv",
            "swarm_id": None,
            "swarm_name": None,
            "images": ["postgres:17"],
        },
    },
    {"type": "AwsBuilderTerminationFailed", "data": {"instance_id": "i-1", "message": "denied"}},
    {"type": "ResourceSyncPendingUpdates", "data": {"id": OID, "name": "sync"}},
    {
        "type": "BuildFailed",
        "data": {"id": OID, "name": "app", "version": {"major": 1, "minor": 2, "patch": 3}},
    },
    {"type": "RepoBuildFailed", "data": {"id": OID, "name": "repo"}},
    {"type": "ProcedureFailed", "data": {"id": OID, "name": "proc"}},
    {"type": "ActionFailed", "data": {"id": OID, "name": "act"}},
    {"type": "ScheduleRun", "data": {"resource_type": "Action", "id": OID, "name": "act"}},
    {"type": "Custom", "data": {"message": "hello", "details": "world"}},
]


def test_alert_samples_cover_every_variant() -> None:
    assert {sample["type"] for sample in ALERT_SAMPLES} == {v.value for v in AlertDataVariant}


@pytest.mark.parametrize("data", ALERT_SAMPLES, ids=lambda d: str(d["type"]))
def test_alert_data_round_trips(data: dict[str, Any]) -> None:
    alert = Alert.model_validate(
        {
            "_id": {"$oid": OID},
            "ts": 1_700_000_000_000,
            "resolved": False,
            "level": "WARNING",
            "target": {"type": "Server", "id": OID},
            "data": data,
            "resolved_ts": None,
        }
    )
    assert alert.data.type == data["type"]
    assert alert.to_json()["data"] == data


def test_alert_variant_fields_and_leniency() -> None:
    change = Alert.model_validate(
        {
            "ts": 1,
            "level": "WARNING",
            "target": {"type": "Deployment", "id": OID},
            "data": ALERT_SAMPLES[8],
        }
    )
    assert isinstance(change.data, AlertDataContainerStateChange)
    assert (change.data.data.from_, change.data.data.to) == (DeploymentState.Running, DeploymentState.Exited)

    build = Alert.model_validate(
        {
            "ts": 1,
            "level": "CRITICAL",
            "target": {"type": "Build", "id": OID},
            "data": {"type": "BuildFailed", "data": {"id": OID, "name": "app", "version": "1.4.0"}},
        }
    )
    assert isinstance(build.data, AlertDataBuildFailed) and str(build.data.data.version) == "1.4.0"

    stack = Alert.model_validate(
        {"ts": 1, "level": "OK", "target": {"type": "Stack", "id": OID}, "data": ALERT_SAMPLES[11]}
    )
    assert isinstance(stack.data, AlertDataStackStateChange)
    assert (stack.data.data.from_, stack.data.data.to) == (StackState.Running, StackState.Unhealthy)

    bare = Alert.model_validate({"ts": 1, "level": "OK", "target": {"type": "System", "id": ""}})
    assert isinstance(bare.data, AlertDataNone) and bare.resolved is False and bare.resolved_ts is None
    assert "_id" not in bare.to_json()


def test_alert_rejects_bad_data() -> None:
    base = {"ts": 1, "level": "OK", "target": {"type": "Server", "id": OID}}
    with pytest.raises(ValidationError) as err:
        Alert.model_validate({**base, "data": {"type": "Meteor", "data": {}}})
    assert _error_locations(err.value)[0].startswith("data")
    with pytest.raises(ValidationError) as err:
        Alert.model_validate({**base, "data": {"type": "ServerCpu", "data": {"percentage": "high"}}})
    assert "data.ServerCpu.data.percentage" in _error_locations(err.value)
    with pytest.raises(ValidationError) as err:
        Alert.model_validate({**base, "level": "SEVERE"})
    assert _error_locations(err.value) == ["level"]


def test_list_alerts_and_close_alert() -> None:
    request = ListAlerts.model_validate({"query": {"resolved": False, "level": "CRITICAL"}, "page": 2})
    assert request.query == {"resolved": False, "level": "CRITICAL"} and request.page == 2
    assert ListAlerts.model_validate({}).query is None
    with pytest.raises(ValidationError):
        ListAlerts.model_validate({"page": -1})
    answer = ListAlertsResponse.model_validate(
        {
            "alerts": [
                {"ts": 1, "level": "OK", "target": {"type": "System", "id": ""}, "data": ALERT_SAMPLES[-1]}
            ]
        }
    )
    assert answer.next_page is None and answer.alerts[0].data.type == "Custom"
    assert CloseAlert.RESPONSE is NoData and CloseAlert.model_validate({"id": OID}).id == OID


# ---------------------------------------------------------------------------------------------------------
# Schedules and TOML exports


def test_schedule_and_list_schedules() -> None:
    schedule = Schedule.model_validate(
        {
            "target": {"type": "Procedure", "id": OID},
            "name": "nightly",
            "schedule_format": "Cron",
            "schedule": "0 0 3 * * ?",
            "enabled": True,
            "schedule_timezone": "",
            "next_scheduled_run": 1_700_000_000_000,
            "tags": [],
        }
    )
    assert schedule.schedule_format is ScheduleFormat.Cron and schedule.last_run_at is None
    request = ListSchedules.model_validate({"tags": "prod, eu", "tag_behavior": "Any", "sort_by": "NextRun"})
    assert request.tags == ["prod", "eu"] and request.tag_behavior is TagQueryBehavior.Any
    assert request.sort_by is ScheduleSortBy.NextRun and request.limit is None
    assert list[Schedule] == ListSchedules.RESPONSE


def test_toml_exports() -> None:
    everything = ExportAllResourcesToToml.model_validate({})
    assert everything.include_resources is True and not everything.include_variables
    assert everything.existing is None
    some = ExportResourcesToToml.model_validate(
        {"targets": [{"type": "Stack", "id": OID}], "existing": {"stacks": [{"name": "app"}]}}
    )
    assert some.targets[0].type is ResourceTargetVariant.Stack
    assert some.existing == {"stacks": [{"name": "app"}]}
    assert (
        ExportAllResourcesToToml.response_adapter().validate_python({"toml": "[[stack]]"}).toml == "[[stack]]"
    )


# ---------------------------------------------------------------------------------------------------------
# ServerTemplate (Komodo 1.17.4 shapes)


def test_server_template_aws_defaults() -> None:
    template = ServerTemplate.model_validate({"name": "t"})
    assert isinstance(template.config, AwsServerTemplate)
    params = template.config.params
    assert (params.region, params.instance_type) == ("us-east-1", "t3.small")
    assert (params.assign_public_ip, params.use_public_ip, params.port, params.use_https) == (
        True,
        False,
        8120,
        True,
    )
    assert [(v.device_name, v.size_gb, v.volume_type) for v in params.volumes] == [
        ("/dev/sda1", 20, AwsVolumeType.Gp2)
    ]
    data = template.to_json()["config"]
    assert data["type"] == "Aws" and data["params"]["volumes"][0]["volume_type"] == "gp2"
    aws = ServerTemplate.model_validate(
        {
            "name": "t",
            "config": {"type": "Aws", "params": {"security_group_ids": "sg-1\nsg-2", "volumes": []}},
        }
    )
    assert isinstance(aws.config, AwsServerTemplate)
    assert aws.config.params.security_group_ids == ["sg-1", "sg-2"] and aws.config.params.volumes == []


def test_server_template_hetzner() -> None:
    template = ServerTemplate.model_validate(
        {
            "name": "t",
            "config": {
                "type": "Hetzner",
                "params": {
                    "server_type": "SharedArm2Core4Ram40Disk",
                    "datacenter": "SingaporeDc1",
                    "ssh_keys": "laptop, ci",
                    "volumes": [{"name": "data", "size_gb": 50}],
                    "labels": {"env": "prod"},
                },
            },
        }
    )
    assert isinstance(template.config, HetznerServerTemplate)
    params = template.config.params
    assert params.image == "ubuntu-24.04" and params.datacenter is HetznerDatacenter.SingaporeDc1
    assert params.server_type is HetznerServerType.SharedArm2Core4Ram40Disk
    assert params.ssh_keys == ["laptop", "ci"] and params.volumes[0].format.value == "Xfs"
    assert (params.port, params.use_https, params.placement_group) == (8120, True, 0)
    assert ServerTemplate.model_validate(template.to_json()) == template
    with pytest.raises(ValidationError) as err:
        ServerTemplate.model_validate(
            {"name": "t", "config": {"type": "Hetzner", "params": {"server_type": "Huge"}}}
        )
    assert "config.Hetzner.params.server_type" in _error_locations(err.value)


def test_server_template_list_and_requests() -> None:
    item = ServerTemplateListItem.model_validate(
        {
            "id": OID,
            "type": "ServerTemplate",
            "name": "t",
            "info": {"provider": "Hetzner", "instance_type": "SharedAmd2Core2Ram40Disk"},
        }
    )
    assert item.type is ResourceTargetVariant.ServerTemplate and item.info.provider == "Hetzner"
    query = ServerTemplateQuery.model_validate({"specific": {"types": ["Aws"]}})
    assert query.specific is not None and query.specific.types == [ServerTemplateConfigVariant.Aws]
    assert list[ServerTemplateListItem] == ListServerTemplates.RESPONSE
    assert GetServerTemplate.model_validate({"name": "t"}).server_template == "t"
    launch = LaunchServer.model_validate({"name": "new-server", "server_template": "t"})
    assert (launch.name, launch.server_template) == ("new-server", "t") and LaunchServer.RESPONSE is Update


# ---------------------------------------------------------------------------------------------------------
# Executions


def test_execution_requests() -> None:
    assert RunAction.model_validate({"action": "a", "args": {"x": 1}}).args == {"x": 1}
    assert RunAction.model_validate({"action": "a"}).args is None
    assert CancelAction.model_validate({"action": "a"}).update_id is None
    assert CancelProcedure.model_validate({"procedure": "p", "update_id": OID}).update_id == OID
    assert BatchRunAction.model_validate({"pattern": "foo-*"}).tags == []
    sync = RunSync.model_validate({"sync": "s", "resource_type": "Stack", "resources": ["app"]})
    assert sync.resource_type is ResourceTargetVariant.Stack and sync.resources == ["app"]
    assert RunSync.model_validate({"sync": "s"}).resources is None
    alert = SendAlert.model_validate({"message": "hi"})
    assert (alert.level, alert.details, alert.alerters) == (SeverityLevel.Ok, "", [])
    with pytest.raises(ValidationError) as err:
        SendAlert.model_validate({"level": "OK"})
    assert _error_locations(err.value) == ["message"]
    assert TestAlerter.model_validate({"alerter": "a"}).alerter == "a"
    assert RotateCoreKeys.model_validate({}).force is False
    assert GlobalAutoUpdate.model_validate({"skip_auto_update": True}).skip_auto_update is True


def test_batch_answer_validates() -> None:
    update = {
        "operation": "RunProcedure",
        "start_ts": 1,
        "operator": "u",
        "target": {"type": "Procedure", "id": OID},
    }
    items = BatchRunProcedure.response_adapter().validate_python(
        [
            {"status": "Ok", "data": update},
            {"status": "Err", "data": {"name": "p2", "error": {"error": "not found", "trace": []}}},
        ]
    )
    assert isinstance(items[0], BatchExecutionOk) and isinstance(items[1], BatchExecutionErr)
    assert items[1].data.error.error == "not found"


# ---------------------------------------------------------------------------------------------------------
# Subjects and responses of every request of these kinds

EXPECTED: dict[str, dict[str, list[str]]] = {
    "read": {
        "repo": ["GetReposSummary", "GetRepo", "GetRepoActionState", "ListRepos", "ListFullRepos"],
        "builder": ["GetBuildersSummary", "GetBuilder", "ListBuilders", "ListFullBuilders"],
        "procedure": [
            "GetProceduresSummary",
            "GetProcedure",
            "GetProcedureActionState",
            "ListProcedures",
            "ListFullProcedures",
        ],
        "action": [
            "GetActionsSummary",
            "GetAction",
            "GetActionActionState",
            "ListActions",
            "ListFullActions",
        ],
        "resource_sync": [
            "GetResourceSyncsSummary",
            "GetResourceSync",
            "GetResourceSyncActionState",
            "ListResourceSyncs",
            "ListFullResourceSyncs",
        ],
        "alerter": ["GetAlertersSummary", "GetAlerter", "ListAlerters", "ListFullAlerters"],
        "server_template": [
            "GetServerTemplatesSummary",
            "GetServerTemplate",
            "ListServerTemplates",
            "ListFullServerTemplates",
        ],
        "alert": ["ListAlerts", "GetAlert"],
        "schedule": ["ListSchedules"],
        "toml": ["ExportAllResourcesToToml", "ExportResourcesToToml"],
    },
    "write": {
        "repo": ["CreateRepo", "CopyRepo", "DeleteRepo", "UpdateRepo", "RenameRepo", "RefreshRepoCache"],
        "builder": ["CreateBuilder", "CopyBuilder", "DeleteBuilder", "UpdateBuilder", "RenameBuilder"],
        "procedure": [
            "CreateProcedure",
            "CopyProcedure",
            "DeleteProcedure",
            "UpdateProcedure",
            "RenameProcedure",
        ],
        "action": ["CreateAction", "CopyAction", "DeleteAction", "UpdateAction", "RenameAction"],
        "resource_sync": [
            "CreateResourceSync",
            "CopyResourceSync",
            "DeleteResourceSync",
            "UpdateResourceSync",
            "RenameResourceSync",
            "RefreshResourceSyncPending",
            "WriteSyncFileContents",
            "CommitSync",
        ],
        "alerter": ["CreateAlerter", "CopyAlerter", "DeleteAlerter", "UpdateAlerter", "RenameAlerter"],
        "server_template": [
            "CreateServerTemplate",
            "CopyServerTemplate",
            "DeleteServerTemplate",
            "UpdateServerTemplate",
            "RenameServerTemplate",
        ],
        "alert": ["CloseAlert"],
    },
    "execute": {
        "repo": [
            "CloneRepo",
            "PullRepo",
            "BuildRepo",
            "CancelRepoBuild",
            "BatchCloneRepo",
            "BatchPullRepo",
            "BatchBuildRepo",
        ],
        "procedure": ["RunProcedure", "BatchRunProcedure", "CancelProcedure"],
        "action": ["RunAction", "BatchRunAction", "CancelAction"],
        "resource_sync": ["RunSync"],
        "alerter": ["TestAlerter", "SendAlert"],
        "server_template": ["LaunchServer", "DestroyServer"],
        "maintenance": [
            "ClearRepoCache",
            "BackupCoreDatabase",
            "GlobalAutoUpdate",
            "RotateAllServerKeys",
            "RotateCoreKeys",
        ],
    },
}

KIND_NAMES = {
    "repo": ("Repo", "Repos"),
    "builder": ("Builder", "Builders"),
    "procedure": ("Procedure", "Procedures"),
    "action": ("Action", "Actions"),
    "resource_sync": ("ResourceSync", "ResourceSyncs"),
    "alerter": ("Alerter", "Alerters"),
    "server_template": ("ServerTemplate", "ServerTemplates"),
}


def _request(api: str, module: str, name: str) -> type[Request]:
    cls = getattr(__import__(f"contracts.api.{api}.{module}", fromlist=[name]), name)
    assert isinstance(cls, type) and issubclass(cls, Request)
    return cls


def _all_expected() -> list[tuple[str, str, str]]:
    return [
        (api, module, name)
        for api, modules in EXPECTED.items()
        for module, names in modules.items()
        for name in names
    ]


@pytest.mark.parametrize(("api", "module", "name"), _all_expected())
def test_request_subject(api: str, module: str, name: str) -> None:
    cls = _request(api, module, name)
    assert f"komodo.{api}.{name}" == cls.SUBJECT
    assert api == cls.KIND and cls.RESPONSE is not None
    assert (cls.__doc__ or "").strip()


def test_modules_define_exactly_the_expected_requests() -> None:
    load_all()
    from contracts.api.base import REQUESTS

    for api, modules in EXPECTED.items():
        for module, names in modules.items():
            defined = {n for n, c in REQUESTS[api].items() if c.__module__ == f"contracts.api.{api}.{module}"}
            assert defined == set(names), (api, module)


@pytest.mark.parametrize("module", list(KIND_NAMES))
def test_generic_responses_of_each_kind(module: str) -> None:
    kind, plural = KIND_NAMES[module]
    entities = __import__(f"contracts.entities.{module}", fromlist=[kind])
    resource = getattr(entities, kind)
    list_item = getattr(entities, f"{kind}ListItem")
    for name in (f"Create{kind}", f"Copy{kind}", f"Delete{kind}", f"Update{kind}"):
        assert _request("write", module, name).RESPONSE is resource
    assert _request("write", module, f"Rename{kind}").RESPONSE is Update
    assert _request("read", module, f"Get{kind}").RESPONSE is resource
    listed = _request("read", module, f"List{plural}").RESPONSE
    assert (get_origin(listed), get_args(listed)) == (list, (list_item,))
    full = _request("read", module, f"ListFull{plural}").RESPONSE
    assert (get_origin(full), get_args(full)) == (list, (resource,))
    assert _request("read", module, f"Get{plural}Summary").RESPONSE is getattr(
        entities, f"Get{plural}SummaryResponse"
    )
    primary = "sync" if module == "resource_sync" else module
    getter = _request("read", module, f"Get{kind}")
    assert getattr(getter.model_validate({"id": "x"}), primary) == "x"
    assert getattr(getter.model_validate({"name": "y"}), primary) == "y"
    assert resource.model_validate({"name": "x"}).name == "x"


@pytest.mark.parametrize(("api", "module", "name"), [e for e in _all_expected() if e[0] == "execute"])
def test_executions_answer_updates(api: str, module: str, name: str) -> None:
    cls = _request(api, module, name)
    if name.startswith("Batch"):
        assert list[BatchExecutionResponseItem] == cls.RESPONSE
    else:
        assert cls.RESPONSE is Update


@pytest.mark.parametrize("kind", [Builder, Procedure, Alerter, ServerTemplate])
def test_unit_info_written_as_null_by_komodo_is_accepted(kind: type[Any]) -> None:
    # Komodo's Resource<Config, ()> serializes the info of these kinds as `null`.
    resource = kind.model_validate({"_id": {"$oid": OID}, "name": "x", "info": None})
    assert resource.id == OID and resource.to_json()["info"] == {}
    with pytest.raises(ValidationError) as err:
        kind.model_validate({"name": "x", "info": 5})
    assert _error_locations(err.value) == ["info"]


def test_create_diff_name_defaults_to_empty_string() -> None:
    sync = ResourceSync.model_validate(
        {
            "name": "s",
            "info": {
                "variable_updates": [{"type": "Create", "data": {"proposed": "[[variable]]\nname = 'A'\n"}}],
            },
        }
    )
    diff = sync.info.variable_updates[0]
    assert isinstance(diff, CreateDiff)
    assert sync.to_json()["info"]["variable_updates"][0]["data"]["name"] == ""
