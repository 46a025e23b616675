"""The resource kinds the registry keeps, and what differs between them.

Everything generic (create, copy, update, rename, delete, get, list, summary) is written once in
`resources.py`; a `KindSpec` names the contract classes of a kind and its specifics: which config fields
reference other resources (stored as ids, accepted as names) and which hold secrets (encrypted at rest).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter

from contracts.api.base import Request, find_request
from contracts.entities.common import Resource, ResourceListItem, ResourceTargetVariant

V = ResourceTargetVariant


@dataclass(frozen=True)
class Reference:
    """A config field that names another resource.

    `path` is a dotted path inside `config`; a `*` segment walks every element of a list. `when` restricts the
    reference to configs where a (dotted) field has a given value, for tagged unions such as a Deployment's
    `image` of type `Build`.
    """

    path: str
    target: ResourceTargetVariant
    when: tuple[str, str] | None = None


@dataclass(frozen=True)
class KindSpec:
    """One resource kind: names, contract classes and specifics."""

    variant: ResourceTargetVariant
    module: str
    """Module name under `contracts.entities` and `contracts.api.*` (e.g. `resource_sync`)."""
    primary: str
    """The field of `Get<Kind>` that names the resource (e.g. `sync`)."""
    toml_section: str
    """The TOML header of the kind in ResourceSync files."""
    references: tuple[Reference, ...] = ()
    secret_fields: tuple[str, ...] = ()
    """Dotted config paths whose values are encrypted at rest."""
    plural: str = field(default="")

    @property
    def name(self) -> str:
        """The kind's name (`Deployment`)."""
        return self.variant.value

    @property
    def plural_name(self) -> str:
        """The plural used in request names (`Deployments`)."""
        return self.plural or f"{self.name}s"

    @property
    def collection(self) -> str:
        """The Mongo collection (named after the type, as Komodo)."""
        return self.name

    def _entity(self, suffix: str) -> Any:
        module = importlib.import_module(f"contracts.entities.{self.module}")
        return getattr(module, f"{self.name}{suffix}")

    @cached_property
    def resource_cls(self) -> type[Resource[Any, Any]]:
        """The stored resource model (`Deployment`)."""
        cls: type[Resource[Any, Any]] = self._entity("")
        return cls

    @cached_property
    def list_item_cls(self) -> type[ResourceListItem[Any]]:
        """The list item model (`DeploymentListItem`)."""
        cls: type[ResourceListItem[Any]] = self._entity("ListItem")
        return cls

    @cached_property
    def list_item_info_cls(self) -> Any:
        """The list item info model (`DeploymentListItemInfo`)."""
        return self._entity("ListItemInfo")

    @cached_property
    def config_adapter(self) -> TypeAdapter[Any]:
        """Validates a config: the `config` field's type of the resource (a model, or a tagged union of models)."""
        annotation: Any = self.resource_cls.model_fields["config"].annotation
        return TypeAdapter(annotation)

    def request(self, api: str, pattern: str) -> type[Request] | None:
        """The request class `pattern` (with `{K}` for the name and `{Ks}` for the plural), if defined."""
        return find_request(api, pattern.format(K=self.name, Ks=self.plural_name))


KINDS: tuple[KindSpec, ...] = (
    KindSpec(V.Server, "server", "server", "server", secret_fields=("passkey",)),
    KindSpec(
        V.Deployment,
        "deployment",
        "deployment",
        "deployment",
        references=(
            Reference("server_id", V.Server),
            Reference("image.params.build_id", V.Build, when=("image.type", "Build")),
        ),
    ),
    KindSpec(
        V.Stack,
        "stack",
        "stack",
        "stack",
        references=(Reference("server_id", V.Server), Reference("linked_repo", V.Repo)),
        secret_fields=("webhook_secret",),
    ),
    KindSpec(
        V.Build,
        "build",
        "build",
        "build",
        references=(Reference("builder_id", V.Builder), Reference("linked_repo", V.Repo)),
        secret_fields=("webhook_secret",),
    ),
    KindSpec(
        V.Repo,
        "repo",
        "repo",
        "repo",
        references=(Reference("server_id", V.Server), Reference("builder_id", V.Builder)),
        secret_fields=("webhook_secret",),
    ),
    KindSpec(
        V.Builder,
        "builder",
        "builder",
        "builder",
        references=(Reference("params.server_ids.*", V.Server, when=("type", "Server")),),
        secret_fields=("params.passkey",),
    ),
    KindSpec(V.Procedure, "procedure", "procedure", "procedure", secret_fields=("webhook_secret",)),
    KindSpec(V.Action, "action", "action", "action", secret_fields=("webhook_secret",)),
    KindSpec(
        V.ResourceSync,
        "resource_sync",
        "sync",
        "resource_sync",
        references=(Reference("linked_repo", V.Repo),),
        secret_fields=("webhook_secret",),
    ),
    KindSpec(V.Alerter, "alerter", "alerter", "alerter"),
    KindSpec(V.ServerTemplate, "server_template", "server_template", "server_template"),
)
"""Every resource kind the registry keeps."""

KINDS_BY_VARIANT: dict[ResourceTargetVariant, KindSpec] = {spec.variant: spec for spec in KINDS}
"""The kinds by resource type."""
