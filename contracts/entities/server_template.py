"""ServerTemplate: how to launch a new server on AWS EC2 or Hetzner Cloud that joins Varanus on boot.

Komodo removed ServerTemplate in 1.17.5; Varanus keeps it with Komodo 1.x's shapes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64, Resource, ResourceListItem, ResourceQuery


class AwsVolume(KomodoModel):
    """An EBS volume attached at launch."""

    device_name: str = "/dev/sda1"
    """Device name."""
    size_gb: int = 20
    """Size in GB."""
    volume_type: str = "gp2"
    """EBS volume type (gp2, gp3, io1, io2, st1, sc1, standard)."""
    iops: int = 0
    """Provisioned IOPS (0: the type's default)."""
    throughput: int = 0
    """Throughput in MiB/s (gp3; 0: default)."""


class AwsServerTemplateConfig(KomodoModel):
    """Launch an AWS EC2 instance."""

    region: str = "us-east-1"
    """AWS region."""
    instance_type: str = "t3.small"
    """Instance type."""
    ami_id: str = ""
    """AMI with Docker (the agent is installed by user data)."""
    subnet_id: str = ""
    """Subnet to launch in."""
    key_pair_name: str = ""
    """SSH key pair."""
    assign_public_ip: bool = False
    """Give the instance a public IP."""
    use_public_ip: bool = False
    """Reach the instance on its public IP."""
    security_group_ids: list[str] = Field(default_factory=list)
    """Security groups."""
    volumes: list[AwsVolume] = Field(default_factory=lambda: [AwsVolume()])
    """Volumes to attach."""
    user_data: str = ""
    """User data script run at first boot."""
    port: int = 8120
    """Port of the agent (Komodo 1.x periphery)."""
    use_https: bool = True
    """Reach the agent over https."""


class HetznerDatacenter(StrEnum):
    """Hetzner datacenters."""

    Nuremberg1Dc3 = "Nuremberg1Dc3"
    Helsinki1Dc2 = "Helsinki1Dc2"
    Falkenstein1Dc14 = "Falkenstein1Dc14"
    AshburnDc1 = "AshburnDc1"
    HillsboroDc1 = "HillsboroDc1"


class HetznerServerType(StrEnum):
    """Hetzner server types (shared and dedicated vCPU)."""

    SharedAmd2Core2Ram40Disk = "SharedAmd2Core2Ram40Disk"
    SharedArm2Core4Ram40Disk = "SharedArm2Core4Ram40Disk"
    SharedIntel2Core4Ram40Disk = "SharedIntel2Core4Ram40Disk"
    SharedAmd3Core4Ram80Disk = "SharedAmd3Core4Ram80Disk"
    SharedArm4Core8Ram80Disk = "SharedArm4Core8Ram80Disk"
    SharedIntel4Core8Ram80Disk = "SharedIntel4Core8Ram80Disk"
    SharedAmd4Core8Ram160Disk = "SharedAmd4Core8Ram160Disk"
    SharedArm8Core16Ram160Disk = "SharedArm8Core16Ram160Disk"
    SharedIntel8Core16Ram160Disk = "SharedIntel8Core16Ram160Disk"
    SharedAmd8Core16Ram240Disk = "SharedAmd8Core16Ram240Disk"
    SharedArm16Core32Ram320Disk = "SharedArm16Core32Ram320Disk"
    SharedIntel16Core32Ram320Disk = "SharedIntel16Core32Ram320Disk"
    SharedAmd16Core32Ram360Disk = "SharedAmd16Core32Ram360Disk"
    DedicatedAmd2Core8Ram80Disk = "DedicatedAmd2Core8Ram80Disk"
    DedicatedAmd4Core16Ram160Disk = "DedicatedAmd4Core16Ram160Disk"
    DedicatedAmd8Core32Ram240Disk = "DedicatedAmd8Core32Ram240Disk"
    DedicatedAmd16Core64Ram360Disk = "DedicatedAmd16Core64Ram360Disk"
    DedicatedAmd32Core128Ram600Disk = "DedicatedAmd32Core128Ram600Disk"
    DedicatedAmd48Core192Ram960Disk = "DedicatedAmd48Core192Ram960Disk"


class HetznerVolumeFormat(StrEnum):
    """File system of a Hetzner volume."""

    Xfs = "Xfs"
    Ext4 = "Ext4"


class HetznerVolumeSpecs(KomodoModel):
    """A Hetzner volume created and attached at launch."""

    name: str
    """Volume name."""
    size_gb: I64
    """Size in GB."""
    format: HetznerVolumeFormat = HetznerVolumeFormat.Xfs
    """File system."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the volume."""


class HetznerServerTemplateConfig(KomodoModel):
    """Launch a Hetzner Cloud server."""

    image: str = ""
    """Image id or name (e.g. `ubuntu-24.04`)."""
    datacenter: HetznerDatacenter = HetznerDatacenter.Nuremberg1Dc3
    """Datacenter."""
    private_network_ids: list[I64] = Field(default_factory=list)
    """Private networks to attach."""
    placement_group: I64 = 0
    """Placement group id; 0 for none."""
    enable_public_ipv4: bool = False
    """Attach a public IPv4."""
    enable_public_ipv6: bool = False
    """Attach a public IPv6."""
    firewall_ids: list[I64] = Field(default_factory=list)
    """Firewalls to attach."""
    server_type: HetznerServerType = HetznerServerType.SharedAmd2Core2Ram40Disk
    """Server type."""
    ssh_keys: list[str] = Field(default_factory=list)
    """SSH key ids or names."""
    user_data: str = ""
    """Cloud-init user data (up to 32 KiB)."""
    use_public_ip: bool = False
    """Reach the server on its public IP."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the server."""
    volumes: list[HetznerVolumeSpecs] = Field(default_factory=list)
    """Volumes to create and attach."""
    port: int = 8120
    """Port of the agent (Komodo 1.x periphery)."""
    use_https: bool = True
    """Reach the agent over https."""


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


class ServerTemplateInfo(KomodoModel):
    """Server templates keep no state."""


class ServerTemplate(Resource[ServerTemplateConfig, ServerTemplateInfo]):
    """A recipe to launch a new server."""

    info: ServerTemplateInfo = Field(default_factory=ServerTemplateInfo)
    """Empty."""
    config: ServerTemplateConfig = Field(default_factory=AwsServerTemplate)
    """The template (default: AWS)."""


class ServerTemplateListItemInfo(KomodoModel):
    """Summary of a ServerTemplate in lists."""

    provider: str = ""
    """Aws or Hetzner."""
    instance_type: str | None = None
    """The instance or server type."""


class ServerTemplateListItem(ResourceListItem[ServerTemplateListItemInfo]):
    """A ServerTemplate as lists give it."""


class ServerTemplateQuerySpecifics(KomodoModel):
    """ServerTemplate-specific filters."""

    types: list[str] = Field(default_factory=list)
    """Only these providers."""


class ServerTemplateQuery(ResourceQuery[ServerTemplateQuerySpecifics]):
    """Query of ListServerTemplates."""


class GetServerTemplatesSummaryResponse(KomodoModel):
    """Count of server templates."""

    total: int = 0
    """All server templates."""
