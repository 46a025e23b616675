"""Builder: where builds run — an agent at a URL, one of several Servers, or an AWS instance per build."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import Resource, ResourceListItem, ResourceQuery
from contracts.entities.docker import parse_string_list
from contracts.entities.provider import GitProvider, ImageRegistry


class UrlBuilderConfig(KomodoModel):
    """Build on an agent reached at an address."""

    address: str = "https://periphery:8120"
    """Address of the agent."""
    periphery_public_key: str = ""
    """Expected public key of the agent."""
    insecure_tls: bool = True
    """Skip TLS verification."""
    passkey: str = ""
    """Deprecated v1 passkey (a secret)."""


class ServerBuilderConfig(KomodoModel):
    """Build on one of these Servers (the least busy healthy one)."""

    server_ids: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("server_ids", "server_id", "server", "servers")
    )
    """The Servers (ids; names accepted); builds overflow to later ones as needed.

    A single string is one server; a comma or newline separated string is several.
    """

    _lists = field_validator("server_ids", mode="before")(parse_string_list)


class AwsBuilderConfig(KomodoModel):
    """Launch an AWS EC2 instance for each build and terminate it afterwards."""

    region: str = "us-east-1"
    """AWS region."""
    instance_type: str = "c5.2xlarge"
    """Instance type."""
    volume_gb: int = 20
    """Root volume size in GB."""
    ami_id: str = ""
    """AMI with Docker and the agent installed."""
    subnet_id: str = ""
    """Subnet to launch in."""
    key_pair_name: str = ""
    """SSH key pair."""
    assign_public_ip: bool = False
    """Give the instance a public IP."""
    use_public_ip: bool = False
    """Reach the agent on the public IP."""
    security_group_ids: list[str] = Field(default_factory=list)
    """Security groups."""
    user_data: str = ""
    """User data script run at launch."""
    port: int = 8120
    """Port of the agent on the instance."""
    use_https: bool = True
    """Reach the agent over https."""
    periphery_public_key: str = ""
    """Expected public key of the agent."""
    insecure_tls: bool = True
    """Skip TLS verification."""
    git_providers: list[GitProvider] = Field(default_factory=list)
    """Git providers available on the AMI."""
    image_registries: list[ImageRegistry] = Field(
        default_factory=list, validation_alias=AliasChoices("image_registries", "docker_registries")
    )
    """Image registries available on the AMI."""
    secrets: list[str] = Field(default_factory=list)
    """Names of secrets available on the AMI."""

    _lists = field_validator("security_group_ids", "secrets", mode="before")(parse_string_list)


class UrlBuilder(KomodoModel):
    """Builder variant `Url`."""

    type: Literal["Url"] = "Url"
    """Variant."""
    params: UrlBuilderConfig = Field(default_factory=UrlBuilderConfig)
    """Its settings."""


class ServerBuilder(KomodoModel):
    """Builder variant `Server`."""

    type: Literal["Server"] = "Server"
    """Variant."""
    params: ServerBuilderConfig = Field(default_factory=ServerBuilderConfig)
    """Its settings."""


class AwsBuilder(KomodoModel):
    """Builder variant `Aws`."""

    type: Literal["Aws"] = "Aws"
    """Variant."""
    params: AwsBuilderConfig = Field(default_factory=AwsBuilderConfig)
    """Its settings."""


BuilderConfig = Annotated[UrlBuilder | ServerBuilder | AwsBuilder, Field(discriminator="type")]
"""`{"type": "Url"|"Server"|"Aws", "params": {...}}`."""


def _info_from_null(value: Any) -> Any:
    """Komodo writes the `()` info of this kind as `null`; read it as the empty info."""
    return {} if value is None else value


class BuilderInfo(KomodoModel):
    """Builders keep no state."""


class Builder(Resource[BuilderConfig, BuilderInfo]):
    """Where builds and repo builds run."""

    info: BuilderInfo = Field(default_factory=BuilderInfo)
    """Empty (Komodo writes `null`, which is accepted)."""
    config: BuilderConfig = Field(default_factory=UrlBuilder)
    """The builder's configuration (default: an agent at a URL, as CreateBuilder without a config gives)."""

    _info = field_validator("info", mode="before")(_info_from_null)


class BuilderListItemInfo(KomodoModel):
    """Summary of a Builder in lists."""

    builder_type: str = ""
    """`Url`, `Server` or `Aws`."""
    instance_type: str | None = None
    """Null for Url builders, the server id for Server builders, the instance type for Aws builders."""


class BuilderListItem(ResourceListItem[BuilderListItemInfo]):
    """A Builder as lists give it."""


class BuilderQuerySpecifics(KomodoModel):
    """Builders have no specific filters."""


class BuilderQuery(ResourceQuery[BuilderQuerySpecifics]):
    """Query of ListBuilders."""


class BuilderSortBy(StrEnum):
    """Fields ListBuilders can sort by."""

    Name = "Name"
    Provider = "Provider"
    InstanceType = "InstanceType"


class GetBuildersSummaryResponse(KomodoModel):
    """Count of builders."""

    total: int = 0
    """All builders."""
