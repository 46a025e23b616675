"""Komodo JSON samples for Repo, Builder, Procedure, Action, ResourceSync, Alerter, Alert and ServerTemplate."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.api.execute.action import RunAction
from contracts.api.execute.server_template import LaunchServer
from contracts.api.read.resource_sync import GetResourceSync
from contracts.entities.alert import Alert
from contracts.entities.alerter import Alerter, AlerterEndpointNtfy
from contracts.entities.builder import AwsBuilder, Builder, ServerBuilder, UrlBuilder
from contracts.entities.procedure import Procedure
from contracts.entities.repo import Repo
from contracts.entities.resource_sync import ResourceSync, UpdateDiff
from contracts.entities.server_template import HetznerServerTemplate, ServerTemplate


def test_repo_defaults_and_aliases() -> None:
    repo = Repo.model_validate(
        {"name": "app", "config": {"server": "srv", "repo": "acme/app", "links": "a, b"}}
    )
    assert repo.config.server_id == "srv"
    assert repo.config.branch == "main" and repo.config.env_file_path == ".env"
    assert repo.config.links == ["a", "b"]
    assert repo.config.on_clone.command == ""


def test_builder_tagged_config() -> None:
    assert isinstance(Builder.model_validate({"name": "b"}).config, UrlBuilder)
    server = Builder.model_validate({"name": "b", "config": {"type": "Server", "params": {"server": "s1"}}})
    assert isinstance(server.config, ServerBuilder) and server.config.params.server_ids == ["s1"]
    aws = Builder.model_validate(
        {"name": "b", "config": {"type": "Aws", "params": {"docker_registries": []}}}
    )
    assert isinstance(aws.config, AwsBuilder)
    assert (aws.config.params.region, aws.config.params.instance_type, aws.config.params.volume_gb) == (
        "us-east-1",
        "c5.2xlarge",
        20,
    )
    assert aws.to_json()["config"]["type"] == "Aws"
    with pytest.raises(ValidationError, match="config"):
        Builder.model_validate({"name": "b", "config": {"type": "Gcp", "params": {}}})


def test_procedure_stages_as_in_toml() -> None:
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
                        "execution": [{"execution": {"type": "Deploy", "params": {"deployment": "a"}}}],
                    },
                ]
            },
        }
    )
    stages = procedure.config.stages
    assert [s.name for s in stages] == ["Build", "Deploy"]
    assert stages[1].executions[0].execution.type == "Deploy" and stages[1].executions[0].enabled
    assert procedure.config.failure_alert and procedure.config.schedule_format.value == "English"


def test_sync_alerter_and_alert() -> None:
    sync = ResourceSync.model_validate(
        {
            "name": "s",
            "info": {
                "resource_updates": [
                    {
                        "target": {"type": "Stack", "id": "x"},
                        "data": {"type": "Update", "data": {"proposed": "a"}},
                    }
                ]
            },
        }
    )
    assert isinstance(sync.info.resource_updates[0].data, UpdateDiff)
    assert sync.config.include_resources and sync.config.pending_alert and not sync.config.delete
    assert GetResourceSync.model_validate({"id": "s"}).sync == "s"

    alerter = Alerter.model_validate({"name": "a"})
    assert alerter.config.enabled is False
    assert alerter.to_json()["config"]["endpoint"] == {
        "type": "Custom",
        "params": {"url": "http://localhost:7000"},
    }
    ntfy = Alerter.model_validate(
        {"name": "n", "config": {"endpoint": {"type": "Ntfy", "params": {"url": "http://x/t"}}}}
    )
    assert isinstance(ntfy.config.endpoint, AlerterEndpointNtfy) and ntfy.config.endpoint.params.email is None

    alert = Alert.model_validate(
        {
            "ts": 1,
            "level": "CRITICAL",
            "target": {"type": "Server", "id": "s"},
            "data": {"type": "ServerUnreachable", "data": {"id": "s", "name": "srv"}},
        }
    )
    assert alert.data.type == "ServerUnreachable" and alert.resolved is False


def test_server_template_and_executions() -> None:
    template = ServerTemplate.model_validate(
        {
            "name": "t",
            "config": {
                "type": "Hetzner",
                "params": {"image": "ubuntu-24.04", "server_type": "SharedArm2Core4Ram40Disk"},
            },
        }
    )
    assert isinstance(template.config, HetznerServerTemplate)
    assert template.config.params.datacenter.value == "Nuremberg1Dc3" and template.config.params.port == 8120
    assert (
        ServerTemplate.model_validate({"name": "a"}).to_json()["config"]["params"]["volumes"][0]["size_gb"]
        == 20
    )
    assert LaunchServer.SUBJECT == "komodo.execute.LaunchServer"
    assert RunAction.model_validate({"action": "a", "args": {"x": 1}}).args == {"x": 1}
