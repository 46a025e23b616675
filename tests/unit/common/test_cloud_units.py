"""Cloud machines without a cloud: the settings' `_FILE` forms and redaction, templates mapped to
launch specs, errors scrubbed of credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from contracts.entities.server_template import AwsServerTemplate, HetznerServerTemplate
from services.common.cloud.aws import AwsCloud, cloud_error
from services.common.cloud.clouds import cloud_of_machine, cloud_of_template
from services.common.cloud.hetzner import HetznerCloud, HetznerVolume, _label_value
from services.common.cloud.machines import CloudError, Machine, ours
from services.common.cloud.settings import CloudSettings
from services.common.logging import redactor


def test_cloud_settings_read_file_forms_and_go_to_the_redactor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret").write_text("aws-secret-from-a-file\n")
    monkeypatch.setenv("KOMODO_AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    monkeypatch.setenv("KOMODO_AWS_SECRET_ACCESS_KEY_FILE", str(tmp_path / "secret"))
    monkeypatch.setenv("KOMODO_HETZNER_TOKEN", "hetzner-token-value")
    monkeypatch.setenv("VARANUS_CLOUD_MAX_LAUNCHING", "7")
    settings = CloudSettings.load()
    assert (settings.aws_access_key_id, settings.aws_secret_access_key) == (
        "AKIAFROMENV",
        "aws-secret-from-a-file",
    )
    assert settings.max_launching == 7
    assert "aws-secret-from-a-file" not in repr(settings) and "hetzner-token-value" not in repr(settings)
    assert redactor.redact("x aws-secret-from-a-file hetzner-token-value") == "x <redacted> <redacted>"
    monkeypatch.setenv("VARANUS_CLOUD_MAX_LAUNCHING", "0")
    with pytest.raises(RuntimeError, match="VARANUS_CLOUD_MAX_LAUNCHING"):
        CloudSettings.load()
    monkeypatch.setenv("VARANUS_CLOUD_MAX_LAUNCHING", "2")
    monkeypatch.setenv("KOMODO_HETZNER_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="KOMODO_HETZNER_TOKEN_FILE"):
        CloudSettings.load()


def test_aws_errors_name_the_cloud_and_its_code_without_the_credentials() -> None:
    settings = CloudSettings(aws_access_key_id="AKIASECRETID", aws_secret_access_key="very-secret-key")
    err = ClientError(
        {"Error": {"Code": "AuthFailure", "Message": "key AKIASECRETID with very-secret-key was refused"}},
        "RunInstances",
    )
    text = str(cloud_error("launch t3.small from ami-1 in us-east-1", err, settings))
    assert text.startswith("AWS refused to launch t3.small from ami-1 in us-east-1: AuthFailure: key")
    assert "AKIASECRETID" not in text and "very-secret-key" not in text


def test_templates_map_to_launch_specs() -> None:
    settings = CloudSettings(aws_access_key_id="a", aws_secret_access_key="b", hetzner_token="t")
    hetzner = cloud_of_template(
        settings,
        HetznerServerTemplate.model_validate(
            {
                "params": {
                    "server_type": "DedicatedAmd4Core16Ram160Disk",
                    "datacenter": "AshburnDc1",
                    "ssh_keys": "a, b",
                }
            }
        ),
    )
    assert isinstance(hetzner, HetznerCloud)
    assert (hetzner.spec.server_type, hetzner.spec.location, hetzner.spec.ssh_keys) == (
        "ccx23",
        "ash",
        ["a", "b"],
    )
    aws = cloud_of_template(
        settings,
        AwsServerTemplate.model_validate({"params": {"ami_id": "ami-1", "volumes": [{"size_gb": 50}]}}),
    )
    assert isinstance(aws, AwsCloud)
    assert aws.spec.volumes[0].size_gb == 50 and aws.spec.ami_id == "ami-1"
    hetzner = cloud_of_template(
        settings,
        HetznerServerTemplate.model_validate(
            {"params": {"placement_group": 5, "volumes": [{"name": "v", "size_gb": 10, "format": "Ext4"}]}}
        ),
    )
    assert isinstance(hetzner, HetznerCloud)
    assert hetzner.spec.placement_group == 5
    assert hetzner.spec.volumes == [HetznerVolume("v", 10, "ext4", {})]
    with pytest.raises(CloudError, match="KOMODO_AWS_ACCESS_KEY_ID"):
        cloud_of_template(CloudSettings(), AwsServerTemplate())
    with pytest.raises(CloudError, match="unknown cloud provider"):
        cloud_of_machine(settings, "Azure", "")


def test_tags_and_descriptions() -> None:
    assert ours("varanus", "builder", "65a0", "aws-builder-x") == {
        "varanus-managed": "varanus",
        "varanus-purpose": "builder",
        "varanus-owner": "65a0",
        "Name": "aws-builder-x",
    }
    assert Machine("Aws", "i-1", "eu-west-1").describe() == "Aws instance i-1 (eu-west-1)"
    assert Machine("Hetzner", "42").describe() == "Hetzner server 42"
    assert _label_value("a b/c") == "a-b-c" and len(_label_value("x" * 100)) == 63
