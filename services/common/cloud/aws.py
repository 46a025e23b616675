"""AWS EC2 through aiobotocore: `run_instances` with the boot script as user data, tagged as ours.

Errors of EC2 (a bad AMI or instance type, wrong credentials, a quota) become `CloudError`s naming AWS and EC2's
error code; the credentials never appear in them (they are scrubbed, and the log redactor knows them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from services.common.cloud.machines import MANAGED_TAG, CloudError, Machine
from services.common.cloud.settings import CloudSettings

LIVE_STATES = ["pending", "running", "stopping", "stopped"]
"""Instance states that still cost (terminated and shutting-down ones are on their way out)."""


@dataclass(frozen=True)
class AwsVolumeSpec:
    """One EBS volume."""

    device_name: str = "/dev/sda1"
    size_gb: int = 20
    volume_type: str = "gp2"
    iops: int = 0
    throughput: int = 0


@dataclass(frozen=True)
class AwsSpec:
    """What to launch: the fields AWS builders and Aws ServerTemplates share."""

    region: str
    instance_type: str
    ami_id: str
    subnet_id: str = ""
    key_pair_name: str = ""
    assign_public_ip: bool = False
    security_group_ids: list[str] = field(default_factory=list)
    volumes: list[AwsVolumeSpec] = field(default_factory=list)


def _scrub(text: str, settings: CloudSettings) -> str:
    for secret in settings.secrets():
        text = text.replace(secret, "<redacted>")
    return text


def cloud_error(action: str, err: Exception, settings: CloudSettings) -> CloudError:
    """A `CloudError` saying what AWS answered to `action`."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), error.get("Message", "")
        return CloudError(_scrub(f"AWS refused to {action}: {code}: {message}", settings))
    return CloudError(_scrub(f"AWS could not {action}: {type(err).__name__}: {err}", settings))


class AwsCloud:
    """EC2 in one region with the configured credentials."""

    provider = "Aws"

    def __init__(self, settings: CloudSettings, spec: AwsSpec) -> None:
        self.settings = settings
        self.spec = spec

    def _client(self) -> Any:
        options: dict[str, Any] = {
            "region_name": self.spec.region,
            "config": Config(
                retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30
            ),
        }
        if self.settings.aws_access_key_id:
            options["aws_access_key_id"] = self.settings.aws_access_key_id
            options["aws_secret_access_key"] = self.settings.aws_secret_access_key
        if self.settings.aws_endpoint_url:
            options["endpoint_url"] = self.settings.aws_endpoint_url
        return get_session().create_client("ec2", **options)

    async def launch(self, name: str, user_data: str, tags: dict[str, str]) -> Machine:
        spec = self.spec
        if not spec.ami_id:
            raise CloudError("AWS: no ami_id is set: give the AMI to launch")
        request: dict[str, Any] = {
            "ImageId": spec.ami_id,
            "InstanceType": spec.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "UserData": user_data,
            "TagSpecifications": [
                {"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                for kind in ("instance", "volume")
            ],
        }
        if spec.key_pair_name:
            request["KeyName"] = spec.key_pair_name
        if spec.subnet_id or spec.assign_public_ip:
            interface: dict[str, Any] = {"DeviceIndex": 0, "AssociatePublicIpAddress": spec.assign_public_ip}
            if spec.subnet_id:
                interface["SubnetId"] = spec.subnet_id
            if spec.security_group_ids:
                interface["Groups"] = list(spec.security_group_ids)
            request["NetworkInterfaces"] = [interface]
        elif spec.security_group_ids:
            request["SecurityGroupIds"] = list(spec.security_group_ids)
        if spec.volumes:
            devices = []
            for volume in spec.volumes:
                ebs: dict[str, Any] = {
                    "VolumeSize": volume.size_gb,
                    "VolumeType": volume.volume_type,
                    "DeleteOnTermination": True,
                }
                if volume.iops:
                    ebs["Iops"] = volume.iops
                if volume.throughput:
                    ebs["Throughput"] = volume.throughput
                devices.append({"DeviceName": volume.device_name, "Ebs": ebs})
            request["BlockDeviceMappings"] = devices
        try:
            async with self._client() as ec2:
                answer = await ec2.run_instances(**request)
        except (ClientError, BotoCoreError) as err:
            raise cloud_error(
                f"launch {spec.instance_type} from {spec.ami_id} in {spec.region}", err, self.settings
            ) from None
        instance = answer["Instances"][0]
        return Machine("Aws", instance["InstanceId"], spec.region, name, dict(tags))

    async def terminate(self, machine: Machine) -> None:
        try:
            async with self._client() as ec2:
                await ec2.terminate_instances(InstanceIds=[machine.cloud_id])
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
                return
            raise cloud_error(f"terminate instance {machine.cloud_id}", err, self.settings) from None
        except BotoCoreError as err:
            raise cloud_error(f"terminate instance {machine.cloud_id}", err, self.settings) from None

    async def list_ours(self, install: str) -> list[Machine]:
        filters = [
            {"Name": f"tag:{MANAGED_TAG}", "Values": [install]},
            {"Name": "instance-state-name", "Values": LIVE_STATES},
        ]
        machines: list[Machine] = []
        try:
            async with self._client() as ec2:
                paginator = ec2.get_paginator("describe_instances")
                async for page in paginator.paginate(Filters=filters):
                    for reservation in page.get("Reservations", []):
                        for instance in reservation.get("Instances", []):
                            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                            machines.append(
                                Machine(
                                    "Aws",
                                    instance["InstanceId"],
                                    self.spec.region,
                                    tags.get("Name", ""),
                                    tags,
                                )
                            )
        except (ClientError, BotoCoreError) as err:
            raise cloud_error(f"list instances in {self.spec.region}", err, self.settings) from None
        return machines
