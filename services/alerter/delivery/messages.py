"""What an alert says: Komodo's standard text per alert type, the link to its resource, an Alerter's own
Jinja2 template, and the body each endpoint kind is sent (pure functions, no I/O).

The text follows Komodo's `standard_alert_content`: `"{LEVEL emoji} | {what happened}\\n{link}"`, levels
`CRITICAL 🚨`, `WARNING ‼️`, `OK ✅`, link `{KOMODO_HOST}/{type path}/{id}`. A resolved alert is said at level OK
("is now reachable"), as Komodo sends a resolved alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from contracts.entities.alert import Alert
from contracts.entities.alerter import AlerterEndpointNtfy
from contracts.entities.common import ResourceTargetVariant, SeverityLevel

LEVELS: Final = {
    SeverityLevel.Critical: "CRITICAL 🚨",
    SeverityLevel.Warning: "WARNING ‼️",
    SeverityLevel.Ok: "OK ✅",
}
"""How a level is written (Komodo's `fmt_level`)."""
PATHS: Final = {
    ResourceTargetVariant.Server: "servers",
    ResourceTargetVariant.Stack: "stacks",
    ResourceTargetVariant.Deployment: "deployments",
    ResourceTargetVariant.Build: "builds",
    ResourceTargetVariant.Repo: "repos",
    ResourceTargetVariant.Procedure: "procedures",
    ResourceTargetVariant.Action: "actions",
    ResourceTargetVariant.Builder: "builders",
    ResourceTargetVariant.Alerter: "alerters",
    ResourceTargetVariant.ResourceSync: "resource-syncs",
    ResourceTargetVariant.ServerTemplate: "server-templates",
}
"""The UI path of each resource type (Komodo's `resource_link`)."""
TITLE: Final = "Komodo Alert"
"""The title ntfy and apprise messages carry (ntfy's `Title` header in Komodo)."""
TEMPLATE_MAX: Final = 20_000
"""Characters of a rendered template kept (a template must not make a message without bound)."""

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def link(host: str, alert: Alert) -> str:
    """The link to the alert's resource in the UI (`{host}/servers/{id}`); the host alone for System alerts."""
    base = host.rstrip("/")
    path = PATHS.get(alert.target.type)
    return f"{base}/{path}/{alert.target.id}" if path and alert.target.id else base


def shown_level(alert: Alert) -> SeverityLevel:
    """The level a message states: OK once the alert is resolved (a resolved condition is fine again)."""
    return SeverityLevel.Ok if alert.resolved and alert.data.type not in ONE_OFF else alert.level


ONE_OFF: Final = frozenset(
    {
        "Test",
        "ContainerStateChange",
        "StackStateChange",
        "DeploymentImageUpdateAvailable",
        "DeploymentAutoUpdated",
        "StackImageUpdateAvailable",
        "StackAutoUpdated",
        "AwsBuilderTerminationFailed",
        "BuildFailed",
        "RepoBuildFailed",
        "ProcedureFailed",
        "ActionFailed",
        "ScheduleRun",
        "Custom",
    }
)
"""Alert types stored resolved at once: their level is theirs, not a recovery."""


def _region(data: Any) -> str:
    region = getattr(data, "region", None)
    return f" ({region})" if region else ""


def _pct(used: float, total: float) -> float:
    return 100.0 * used / total if total else 0.0


def headline(alert: Alert) -> str:
    """What happened, in one or a few lines, without the link (Komodo's wording)."""
    level = LEVELS[shown_level(alert)]
    kind = alert.data.type
    d: Any = alert.data.data
    name = getattr(d, "name", "")
    server = getattr(d, "server_name", None) or getattr(d, "server_id", None) or "unknown"
    fine = shown_level(alert) == SeverityLevel.Ok
    if kind == "Test":
        return f"{level} | If you see this message, then Alerter **{name}** is **working**"
    if kind == "ServerUnreachable":
        if fine:
            return f"{level} | **{name}**{_region(d)} is now **reachable**"
        err = f"\n**error**: {d.err.error}" if d.err is not None else ""
        return f"{level} | **{name}**{_region(d)} is **unreachable** ❌{err}"
    if kind == "ServerCpu":
        return f"{level} | **{name}**{_region(d)} cpu usage at **{d.percentage:.1f}%**"
    if kind == "ServerMem":
        return (
            f"{level} | **{name}**{_region(d)} memory usage at **{_pct(d.used_gb, d.total_gb):.1f}%** 💾\n"
            f"Using **{d.used_gb:.1f} GiB** / **{d.total_gb:.1f} GiB**"
        )
    if kind == "ServerDisk":
        return (
            f"{level} | **{name}**{_region(d)} disk usage at **{_pct(d.used_gb, d.total_gb):.1f}%** 💿\n"
            f"mount point: `{d.path}`\nusing **{d.used_gb:.1f} GiB** / **{d.total_gb:.1f} GiB**"
        )
    if kind == "ServerVersionMismatch":
        return (
            f"{level} | **{name}**{_region(d)} runs version **{d.server_version}**, "
            f"the core **{d.core_version}**"
        )
    if kind == "ContainerStateChange":
        return (
            f"📦 Deployment **{name}** is now **{d.to.value}**\nserver: **{server}**\n"
            f"previous: **{d.from_.value}**"
        )
    if kind == "StackStateChange":
        return f"🥞 Stack **{name}** is now **{d.to.value}**\nserver: **{server}**\nprevious: **{d.from_.value}**"
    if kind == "DeploymentImageUpdateAvailable":
        return f"⬆ Deployment **{name}** has an update available\nserver: **{server}**\nimage: **{d.image}**"
    if kind == "DeploymentAutoUpdated":
        return f"⬆ Deployment **{name}** was updated automatically ⏫\nserver: **{server}**\nimage: **{d.image}**"
    if kind == "StackImageUpdateAvailable":
        return (
            f"⬆ Stack **{name}** has an update available\nserver: **{server}**\n"
            f"service: **{d.service}**\nimage: **{d.image}**"
        )
    if kind == "StackAutoUpdated":
        label = "image" if len(d.images) == 1 else "images"
        return (
            f"⬆ Stack **{name}** was updated automatically ⏫\nserver: **{server}**\n"
            f"{label}: **{', '.join(d.images)}**"
        )
    if kind == "AwsBuilderTerminationFailed":
        return f"{level} | Failed to terminate AWS builder instance\ninstance id: **{d.instance_id}**\n{d.message}"
    if kind == "ResourceSyncPendingUpdates":
        return f"{level} | Pending resource sync updates on **{name}**"
    if kind == "BuildFailed":
        return f"{level} | Build **{name}** failed\nversion: **v{d.version}**"
    if kind == "RepoBuildFailed":
        return f"{level} | Repo build for **{name}** failed"
    if kind == "ProcedureFailed":
        return f"{level} | Procedure **{name}** failed"
    if kind == "ActionFailed":
        return f"{level} | Action **{name}** failed"
    if kind == "ScheduleRun":
        return f"{level} | **{name}** ({d.resource_type.value}) | Scheduled run started 🕝"
    if kind == "Custom":
        return f"{level} | {d.message}" + (f"\n{d.details}" if d.details else "")
    if kind == "SwarmUnhealthy":
        return f"{level} | Swarm **{name}** is **unhealthy**"
    return f"{level} | alert about {alert.target.type.value} {alert.target.id}"


def standard_text(alert: Alert, host: str) -> str:
    """Komodo's message: what happened, then the link to the resource."""
    return f"{headline(alert)}\n{link(host, alert)}"


@dataclass(frozen=True)
class Message:
    """The text an alert is sent as, and why an Alerter's template was not used (if it was not)."""

    text: str
    """The message text."""
    title: str
    """A short title (first line of what happened), for endpoints that take one."""
    link: str = ""
    """The link to the alert's resource."""
    template_error: str | None = None
    """Why the Alerter's template failed (the standard text was used instead)."""


def template_fields(alert: Alert, host: str, event: str) -> dict[str, Any]:
    """What a template sees: the alert's fields as JSON (`level`, `target`, `data`, `resolved`, `ts`, ...), its
    `id`, `link`, `event` (AlertOpened, AlertRaised, AlertResolved, Test), `name` and `default` (the standard
    text)."""
    fields = alert.model_dump(mode="json", by_alias=True)
    fields.pop("_id", None)
    data = fields.get("data", {}).get("data", {})
    return {
        **fields,
        "id": alert.id,
        "link": link(host, alert),
        "event": event,
        "name": data.get("name", "") if isinstance(data, dict) else "",
        "default": standard_text(alert, host),
    }


def render(template: str, fields: dict[str, Any]) -> str:
    """Render a template in the sandbox; raises on any error (undefined names included)."""
    return _environment.from_string(template).render(**fields)[:TEMPLATE_MAX]


def message(alert: Alert, host: str, event: str, template: str = "") -> Message:
    """The message of an alert for one Alerter: its template rendered, else (or when it fails) the standard
    text."""
    default = standard_text(alert, host)
    title = headline(alert).split("\n", 1)[0]
    target = link(host, alert)
    if not template.strip():
        return Message(default, title, target)
    try:
        text = render(template, template_fields(alert, host, event))
    except Exception as err:
        # Any failure of user text (syntax, undefined name, sandbox refusal) falls back: the alert still goes.
        return Message(default, title, target, f"message_template failed: {type(err).__name__}: {err}"[:500])
    if not text.strip():
        return Message(default, title, target, "message_template rendered an empty text")
    return Message(text, title, target)


# --- endpoint bodies ----------------------------------------------------------------------------------------


def custom_body(alert: Alert) -> dict[str, Any]:
    """What a Custom endpoint receives: the Alert JSON as Komodo posts it."""
    return alert.to_json()


def slack_body(text: str, target: str) -> dict[str, Any]:
    """A Slack webhook body: the text, and blocks (a header with the first line, a section with the rest, the
    link)."""
    first, _, rest = text.partition("\n")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": first[:150]}}]
    if rest.strip():
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": rest[:3000]}})
    if target and target not in rest:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": target}})
    return {"text": text, "blocks": blocks}


def discord_body(text: str) -> dict[str, Any]:
    """A Discord webhook body (Discord keeps 2000 characters)."""
    return {"content": text[:2000]}


def ntfy_headers(endpoint: AlerterEndpointNtfy) -> dict[str, str]:
    """The headers of an ntfy POST: Komodo's title, and the e-mail when set."""
    headers = {"Title": TITLE}
    if endpoint.params.email:
        headers["X-Email"] = endpoint.params.email
    return headers


def pushover_form(text: str) -> dict[str, str]:
    """A Pushover form body (the tokens ride in the URL's query, as Komodo's default URL shows)."""
    return {"message": text[:1024]}
