"""The resource kinds a sync declares: TOML tables, contract classes, references and secrets.

The registry keeps its own table (`services/registry/kinds.py`); services never import each other, so the
sync holds the few facts it needs here. The order of `KINDS` is the order changes are applied in: what is
referenced comes before what references it (servers before deployments, builders before builds, ...).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter

from contracts.api.base import Request, find_request
from contracts.catalog import load_all
from contracts.entities.common import Resource, ResourceTargetVariant

V = ResourceTargetVariant


@dataclass(frozen=True)
class Reference:
    """A config field naming another resource: an id in the system, a name in TOML.

    `path` is dotted inside `config`, `*` walks a list; `when` limits it to configs where a field has a value.
    """

    path: str
    target: ResourceTargetVariant
    when: tuple[str, str] | None = None


@dataclass(frozen=True)
class SyncKind:
    """One resource kind as a sync sees it."""

    variant: ResourceTargetVariant
    module: str
    section: str
    """The TOML table (`[[deployment]]`)."""
    references: tuple[Reference, ...] = ()
    secret_fields: tuple[str, ...] = ()
    """Top-level config fields holding secrets: never exported, kept when a file leaves them out."""

    @property
    def name(self) -> str:
        """`Deployment`."""
        return self.variant.value

    @property
    def plural(self) -> str:
        """`Deployments`."""
        return f"{self.name}s"

    @cached_property
    def resource_cls(self) -> type[Resource[Any, Any]]:
        """The stored resource model."""
        cls: type[Resource[Any, Any]] = getattr(
            importlib.import_module(f"contracts.entities.{self.module}"), self.name
        )
        return cls

    @cached_property
    def config_adapter(self) -> TypeAdapter[Any]:
        """Validates a config (a model or a tagged union of models)."""
        annotation: Any = self.resource_cls.model_fields["config"].annotation
        return TypeAdapter(annotation)

    def request(self, api: str, pattern: str) -> type[Request]:
        """The request class of `pattern` (`{K}`: name, `{Ks}`: plural)."""
        load_all()
        found = find_request(api, pattern.format(K=self.name, Ks=self.plural))
        if found is None:
            raise LookupError(f"no request {pattern} for {self.name}")
        return found


KINDS: tuple[SyncKind, ...] = (
    SyncKind(V.Server, "server", "server", secret_fields=("passkey",)),
    SyncKind(V.Alerter, "alerter", "alerter"),
    SyncKind(V.Action, "action", "action", secret_fields=("webhook_secret",)),
    SyncKind(
        V.Builder,
        "builder",
        "builder",
        references=(Reference("params.server_ids.*", V.Server, when=("type", "Server")),),
    ),
    SyncKind(
        V.Repo,
        "repo",
        "repo",
        references=(Reference("server_id", V.Server), Reference("builder_id", V.Builder)),
        secret_fields=("webhook_secret",),
    ),
    SyncKind(
        V.Build,
        "build",
        "build",
        references=(Reference("builder_id", V.Builder), Reference("linked_repo", V.Repo)),
        secret_fields=("webhook_secret",),
    ),
    SyncKind(
        V.Stack,
        "stack",
        "stack",
        references=(Reference("server_id", V.Server), Reference("linked_repo", V.Repo)),
        secret_fields=("webhook_secret",),
    ),
    SyncKind(
        V.ResourceSync,
        "resource_sync",
        "resource_sync",
        references=(Reference("linked_repo", V.Repo),),
        secret_fields=("webhook_secret",),
    ),
    SyncKind(
        V.Deployment,
        "deployment",
        "deployment",
        references=(
            Reference("server_id", V.Server),
            Reference("image.params.build_id", V.Build, when=("image.type", "Build")),
        ),
    ),
    SyncKind(V.Procedure, "procedure", "procedure", secret_fields=("webhook_secret",)),
    SyncKind(V.ServerTemplate, "server_template", "server_template"),
)
"""Every kind a sync declares, in the order changes are applied."""

BY_SECTION: dict[str, SyncKind] = {kind.section: kind for kind in KINDS}
"""Kinds by TOML table."""
BY_VARIANT: dict[ResourceTargetVariant, SyncKind] = {kind.variant: kind for kind in KINDS}
"""Kinds by resource type."""

TOML_NAMES: dict[str, str] = {"server_id": "server", "build_id": "build", "builder_id": "builder"}
"""Reference fields as Komodo's TOML writes them (names instead of ids)."""

EXECUTION_TARGETS: dict[str, ResourceTargetVariant] = {
    "server": V.Server,
    "deployment": V.Deployment,
    "stack": V.Stack,
    "build": V.Build,
    "repo": V.Repo,
    "procedure": V.Procedure,
    "action": V.Action,
    "sync": V.ResourceSync,
    "alerter": V.Alerter,
    "builder": V.Builder,
    "server_template": V.ServerTemplate,
}
"""Procedure execution parameters that name a resource, and its type."""
