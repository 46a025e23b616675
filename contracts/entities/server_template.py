"""ServerTemplate: how to launch a new server on AWS EC2 or Hetzner Cloud that joins Varanus on boot.

Komodo removed ServerTemplate in 1.17.5; Varanus keeps it with Komodo 1.x's shapes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import I64, Resource, ResourceListItem, ResourceQuery
from contracts.entities.docker import parse_string_list


class AwsVolumeType(StrEnum):
    """EBS volume types (lowercase in JSON)."""

    Gp2 = "gp2"
    Gp3 = "gp3"
    Io1 = "io1"
    Io2 = "io2"


class AwsVolume(KomodoModel):
    """An EBS volume attached at launch (see AWS's EBS volume types)."""

    device_name: str = "/dev/sda1"
    """Device name, e.g. `/dev/sda1` or `xvdh`."""
    size_gb: int = 20
    """Size in GB."""
    volume_type: AwsVolumeType = AwsVolumeType.Gp2
    """Volume type: gp2, gp3, io1 or io2."""
    iops: int = 0
    """IOPS, or 0 for AWS's default."""
    throughput: int = 0
    """Throughput, or 0 for AWS's default."""


class AwsServerTemplateConfig(KomodoModel):
    """Params of a template that launches an AWS EC2 instance."""

    region: str = "us-east-1"
    """AWS region to launch in."""
    instance_type: str = "t3.small"
    """Instance type, e.g. `c5.2xlarge`."""
    ami_id: str = ""
    """AMI to launch; it must start the agent at boot (or user data must install it)."""
    subnet_id: str = ""
    """Subnet to launch in."""
    key_pair_name: str = ""
    """Key pair for SSH access."""
    assign_public_ip: bool = True
    """Give the instance a public IP (may be needed to reach the internet)."""
    use_public_ip: bool = False
    """Reach the new server on its public IP instead of its private one."""
    port: int = 8120
    """Port the agent listens on (Komodo 1.x's periphery port)."""
    use_https: bool = True
    """Whether the agent serves https."""
    security_group_ids: list[str] = Field(default_factory=list)
    """Security groups of the instance."""
    volumes: list[AwsVolume] = Field(default_factory=lambda: [AwsVolume()])
    """EBS volumes to attach (default: one 20 GB gp2 root volume)."""
    user_data: str = ""
    """User data run at first boot (Komodo 1.x defaulted to a script installing its periphery agent)."""

    _lists = field_validator("security_group_ids", mode="before")(parse_string_list)


class HetznerDatacenter(StrEnum):
    """Hetzner datacenters."""

    Nuremberg1Dc3 = "Nuremberg1Dc3"
    Helsinki1Dc2 = "Helsinki1Dc2"
    Falkenstein1Dc14 = "Falkenstein1Dc14"
    AshburnDc1 = "AshburnDc1"
    HillsboroDc1 = "HillsboroDc1"
    SingaporeDc1 = "SingaporeDc1"


class HetznerServerType(StrEnum):
    """Hetzner server types: shared vCPU (CPX, CAX, CX) and dedicated vCPU (CCX)."""

    SharedAmd2Core2Ram40Disk = "SharedAmd2Core2Ram40Disk"
    """CPX11: AMD, 2 cores, 2 GB RAM, 40 GB disk."""
    SharedArm2Core4Ram40Disk = "SharedArm2Core4Ram40Disk"
    """CAX11: Arm, 2 cores, 4 GB RAM, 40 GB disk."""
    SharedIntel2Core4Ram40Disk = "SharedIntel2Core4Ram40Disk"
    """CX22: Intel, 2 cores, 4 GB RAM, 40 GB disk."""
    SharedAmd3Core4Ram80Disk = "SharedAmd3Core4Ram80Disk"
    """CPX21: AMD, 3 cores, 4 GB RAM, 80 GB disk."""
    SharedArm4Core8Ram80Disk = "SharedArm4Core8Ram80Disk"
    """CAX21: Arm, 4 cores, 8 GB RAM, 80 GB disk."""
    SharedIntel4Core8Ram80Disk = "SharedIntel4Core8Ram80Disk"
    """CX32: Intel, 4 cores, 8 GB RAM, 80 GB disk."""
    SharedAmd4Core8Ram160Disk = "SharedAmd4Core8Ram160Disk"
    """CPX31: AMD, 4 cores, 8 GB RAM, 160 GB disk."""
    SharedArm8Core16Ram160Disk = "SharedArm8Core16Ram160Disk"
    """CAX31: Arm, 8 cores, 16 GB RAM, 160 GB disk."""
    SharedIntel8Core16Ram160Disk = "SharedIntel8Core16Ram160Disk"
    """CX42: Intel, 8 cores, 16 GB RAM, 160 GB disk."""
    SharedAmd8Core16Ram240Disk = "SharedAmd8Core16Ram240Disk"
    """CPX41: AMD, 8 cores, 16 GB RAM, 240 GB disk."""
    SharedArm16Core32Ram320Disk = "SharedArm16Core32Ram320Disk"
    """CAX41: Arm, 16 cores, 32 GB RAM, 320 GB disk."""
    SharedIntel16Core32Ram320Disk = "SharedIntel16Core32Ram320Disk"
    """CX52: Intel, 16 cores, 32 GB RAM, 320 GB disk."""
    SharedAmd16Core32Ram360Disk = "SharedAmd16Core32Ram360Disk"
    """CPX51: AMD, 16 cores, 32 GB RAM, 360 GB disk."""
    DedicatedAmd2Core8Ram80Disk = "DedicatedAmd2Core8Ram80Disk"
    """CCX13: AMD, 2 cores, 8 GB RAM, 80 GB disk."""
    DedicatedAmd4Core16Ram160Disk = "DedicatedAmd4Core16Ram160Disk"
    """CCX23: AMD, 4 cores, 16 GB RAM, 160 GB disk."""
    DedicatedAmd8Core32Ram240Disk = "DedicatedAmd8Core32Ram240Disk"
    """CCX33: AMD, 8 cores, 32 GB RAM, 240 GB disk."""
    DedicatedAmd16Core64Ram360Disk = "DedicatedAmd16Core64Ram360Disk"
    """CCX43: AMD, 16 cores, 64 GB RAM, 360 GB disk."""
    DedicatedAmd32Core128Ram600Disk = "DedicatedAmd32Core128Ram600Disk"
    """CCX53: AMD, 32 cores, 128 GB RAM, 600 GB disk."""
    DedicatedAmd48Core192Ram960Disk = "DedicatedAmd48Core192Ram960Disk"
    """CCX63: AMD, 48 cores, 192 GB RAM, 960 GB disk."""


class HetznerVolumeFormat(StrEnum):
    """File system of a Hetzner volume."""

    Xfs = "Xfs"
    Ext4 = "Ext4"


class HetznerVolumeSpecs(KomodoModel):
    """A Hetzner volume created and attached at launch."""

    name: str
    """A name for the volume."""
    size_gb: I64
    """Size of the volume in GB."""
    format: HetznerVolumeFormat = HetznerVolumeFormat.Xfs
    """File system of the volume."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the volume."""


class HetznerServerTemplateConfig(KomodoModel):
    """Params of a template that launches a Hetzner Cloud server."""

    image: str = "ubuntu-24.04"
    """Id or name of the image the server is created from."""
    datacenter: HetznerDatacenter = HetznerDatacenter.Nuremberg1Dc3
    """Datacenter to create the server in."""
    placement_group: I64 = 0
    """Id of the placement group, or 0 for none."""
    server_type: HetznerServerType = HetznerServerType.SharedAmd2Core2Ram40Disk
    """Server type."""
    ssh_keys: list[str] = Field(default_factory=list)
    """SSH key ids or names injected at creation."""
    private_network_ids: list[I64] = Field(default_factory=list)
    """Networks attached to the private interface at creation."""
    enable_public_ipv4: bool = False
    """Attach a public IPv4 address."""
    enable_public_ipv6: bool = False
    """Attach a public IPv6 address."""
    use_public_ip: bool = False
    """Reach the new server on its public IP."""
    port: int = 8120
    """Port the agent listens on (Komodo 1.x's periphery port)."""
    use_https: bool = True
    """Whether the agent serves https."""
    firewall_ids: list[I64] = Field(default_factory=list)
    """Firewalls to attach."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the server."""
    volumes: list[HetznerVolumeSpecs] = Field(default_factory=list)
    """Volumes to create and attach."""
    user_data: str = ""
    """Cloud-init user data, at most 32 KiB (Komodo 1.x defaulted to a script installing its periphery agent)."""

    _lists = field_validator("ssh_keys", mode="before")(parse_string_list)


class AwsServerTemplate(KomodoModel):
    """ServerTemplate variant `Aws`."""

    type: Literal["Aws"] = "Aws"
    """Provider."""
    params: AwsServerTemplateConfig = Field(default_factory=AwsServerTemplateConfig)
    """Its settings."""


class HetznerServerTemplate(KomodoModel):
    """ServerTemplate variant `Hetzner`."""

    type: Literal["Hetzner"] = "Hetzner"
    """Provider."""
    params: HetznerServerTemplateConfig = Field(default_factory=HetznerServerTemplateConfig)
    """Its settings."""


ServerTemplateConfig = Annotated[AwsServerTemplate | HetznerServerTemplate, Field(discriminator="type")]
"""`{"type": "Aws"|"Hetzner", "params": {...}}`."""


class ServerTemplateConfigVariant(StrEnum):
    """Cloud providers a template can launch on (the `type` of ServerTemplateConfig)."""

    Aws = "Aws"
    Hetzner = "Hetzner"


def _info_from_null(value: Any) -> Any:
    """Komodo writes the `()` info of this kind as `null`; read it as the empty info."""
    return {} if value is None else value


class ServerTemplateInfo(KomodoModel):
    """Server templates keep no state."""


class ServerTemplate(Resource[ServerTemplateConfig, ServerTemplateInfo]):
    """A recipe to launch a new server."""

    info: ServerTemplateInfo = Field(default_factory=ServerTemplateInfo)
    """Empty (Komodo writes `null`, which is accepted)."""
    config: ServerTemplateConfig = Field(default_factory=AwsServerTemplate)
    """The template (default: AWS)."""

    _info = field_validator("info", mode="before")(_info_from_null)


class ServerTemplateListItemInfo(KomodoModel):
    """Summary of a ServerTemplate in lists."""

    provider: str = ""
    """The cloud provider (`Aws` or `Hetzner`)."""
    instance_type: str | None = None
    """The instance type of Aws templates (e.g. `c5.2xlarge`), the server type of Hetzner ones."""


class ServerTemplateListItem(ResourceListItem[ServerTemplateListItemInfo]):
    """A ServerTemplate as lists give it."""


class ServerTemplateQuerySpecifics(KomodoModel):
    """ServerTemplate-specific filters."""

    types: list[ServerTemplateConfigVariant] = Field(default_factory=list)
    """Only templates for these providers; empty does not filter."""


class ServerTemplateQuery(ResourceQuery[ServerTemplateQuerySpecifics]):
    """Query of ListServerTemplates."""


class GetServerTemplatesSummaryResponse(KomodoModel):
    """Count of server templates."""

    total: int = 0
    """All server templates."""
