"""The short forms: which request `ls <kind>`, `get <kind>`, `run <kind>` and `deploy` stand for."""

from __future__ import annotations

from dataclasses import dataclass

from varanus_cli.render import Column


def _c(header: str, path: str) -> Column:
    return Column(header, path)


NAME, ID, STATE, SERVER = (
    _c("NAME", "name"),
    _c("ID", "id"),
    _c("STATE", "info.state"),
    _c("SERVER", "info.server_name"),
)


@dataclass(frozen=True)
class Listing:
    """What `ls <kind>` calls and how it lays the answer out."""

    request: str
    """The List* read request."""
    columns: tuple[Column, ...]
    items: str | None = None
    """The key holding the list when the answer is a page object (`updates`, `alerts`)."""


LISTINGS: dict[str, Listing] = {
    "deployments": Listing(
        "ListDeployments", (NAME, ID, STATE, SERVER, _c("IMAGE", "info.image"), _c("STATUS", "info.status"))
    ),
    "servers": Listing(
        "ListServers",
        (
            NAME,
            ID,
            STATE,
            _c("ADDRESS", "info.address"),
            _c("REGION", "info.region"),
            _c("VERSION", "info.version"),
        ),
    ),
    "stacks": Listing(
        "ListStacks", (NAME, ID, STATE, SERVER, _c("REPO", "info.repo"), _c("STATUS", "info.status"))
    ),
    "builds": Listing(
        "ListBuilds",
        (
            NAME,
            ID,
            STATE,
            _c("VERSION", "info.version"),
            _c("LAST BUILT", "info.last_built_at"),
            _c("REPO", "info.repo"),
        ),
    ),
    "repos": Listing(
        "ListRepos", (NAME, ID, STATE, SERVER, _c("REPO", "info.repo"), _c("BRANCH", "info.branch"))
    ),
    "procedures": Listing(
        "ListProcedures", (NAME, ID, STATE, _c("STAGES", "info.stages"), _c("LAST RUN", "info.last_run_at"))
    ),
    "actions": Listing("ListActions", (NAME, ID, STATE, _c("LAST RUN", "info.last_run_at"))),
    "syncs": Listing(
        "ListResourceSyncs", (NAME, ID, STATE, _c("REPO", "info.repo"), _c("LAST SYNC", "info.last_sync_ts"))
    ),
    "builders": Listing(
        "ListBuilders", (NAME, ID, _c("TYPE", "info.builder_type"), _c("INSTANCE", "info.instance_type"))
    ),
    "alerters": Listing(
        "ListAlerters", (NAME, ID, _c("ENABLED", "info.enabled"), _c("ENDPOINT", "info.endpoint_type"))
    ),
    "server-templates": Listing(
        "ListServerTemplates",
        (NAME, ID, _c("PROVIDER", "info.provider"), _c("INSTANCE", "info.instance_type")),
    ),
    "tags": Listing("ListTags", (NAME, ID, _c("COLOR", "color"), _c("OWNER", "owner"))),
    "variables": Listing(
        "ListVariables",
        (NAME, _c("VALUE", "value"), _c("SECRET", "is_secret"), _c("DESCRIPTION", "description")),
    ),
    "updates": Listing(
        "ListUpdates",
        (
            ID,
            _c("OPERATION", "operation"),
            _c("TARGET", "target"),
            _c("STATUS", "status"),
            _c("SUCCESS", "success"),
            _c("OPERATOR", "username"),
            _c("STARTED", "start_ts"),
        ),
        items="updates",
    ),
    "users": Listing(
        "ListUsers",
        (
            _c("USERNAME", "username"),
            ID,
            _c("ENABLED", "enabled"),
            _c("ADMIN", "admin"),
            _c("TYPE", "config.type"),
        ),
    ),
    "user-groups": Listing("ListUserGroups", (NAME, ID, _c("EVERYONE", "everyone"), _c("USERS", "users"))),
    "alerts": Listing(
        "ListAlerts",
        (
            ID,
            _c("LEVEL", "level"),
            _c("TARGET", "target"),
            _c("TYPE", "data.type"),
            _c("RESOLVED", "resolved"),
            _c("OPENED", "ts"),
        ),
        items="alerts",
    ),
    "api-keys": Listing(
        "ListApiKeys", (NAME, _c("KEY", "key"), _c("CREATED", "created_at"), _c("EXPIRES", "expires"))
    ),
    "schedules": Listing(
        "ListSchedules",
        (
            NAME,
            _c("TARGET", "target"),
            _c("SCHEDULE", "schedule"),
            _c("ENABLED", "enabled"),
            _c("NEXT RUN", "next_scheduled_run"),
        ),
    ),
    "containers": Listing(
        "ListAllContainers",
        (
            NAME,
            _c("SERVER", "server_name"),
            _c("STATE", "state"),
            _c("IMAGE", "image"),
            _c("STATUS", "status"),
        ),
    ),
}
"""`varanus ls <kind>`, by the kind's plural name."""

GETS: dict[str, str] = {
    "deployment": "GetDeployment",
    "server": "GetServer",
    "stack": "GetStack",
    "build": "GetBuild",
    "repo": "GetRepo",
    "procedure": "GetProcedure",
    "action": "GetAction",
    "sync": "GetResourceSync",
    "builder": "GetBuilder",
    "alerter": "GetAlerter",
    "server-template": "GetServerTemplate",
    "tag": "GetTag",
    "variable": "GetVariable",
    "update": "GetUpdate",
    "user-group": "GetUserGroup",
    "alert": "GetAlert",
}
"""`varanus get <kind> <name>`, by the kind's singular name."""

RUNS: dict[str, str] = {
    "build": "RunBuild",
    "procedure": "RunProcedure",
    "action": "RunAction",
    "sync": "RunSync",
}
"""`varanus run <kind> <name>`."""

DEPLOYS: dict[str, str] = {"deployment": "Deploy", "stack": "DeployStack"}
"""`varanus deploy <name>` (a Deployment) and `varanus deploy --stack <name>`."""

_ALIASES = {
    "resource-syncs": "syncs",
    "resource-sync": "sync",
    "templates": "server-templates",
    "template": "server-template",
    "groups": "user-groups",
    "group": "user-group",
    "keys": "api-keys",
}


def canonical_kind(word: str) -> str:
    """A kind as typed (plural or singular, `_` or `-`, any case, aliases) in its plural `ls` spelling."""
    kind = word.lower().replace("_", "-")
    kind = _ALIASES.get(kind, kind)
    if kind in LISTINGS:
        return kind
    plural = kind + "s"
    return _ALIASES.get(plural, plural)


def singular(kind: str) -> str:
    """The singular of a canonical plural kind (`server-templates` → `server-template`)."""
    return kind[:-1] if kind.endswith("s") else kind
