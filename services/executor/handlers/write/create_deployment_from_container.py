"""CreateDeploymentFromContainer: a Deployment whose config reproduces a container already on a server.

The server's agent inspects the container and its image; `deployment_config` turns both into a
DeploymentConfig (what `docker run` would need to make that container again, minus what the image already
gives). The Deployment is then created through the registry with the caller's own credentials, so the
registry's rules (the right to create deployments, unique names) apply exactly as for `CreateDeployment`.

Like Komodo, the caller needs Read with the Inspect and Attach permissions on the server: the new
deployment shows the container's environment, which may hold secrets. Those values are stored in the
resource as Komodo stores them, and never logged here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contracts.api.agent.container import InspectContainer
from contracts.api.agent.docker_objects import InspectImage
from contracts.api.write.deployment import CreateDeployment, CreateDeploymentFromContainer
from contracts.entities.common import (
    PermissionLevel,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
    TerminationSignal,
)
from contracts.entities.deployment import Deployment, DeploymentConfig, RestartMode
from services.common.bus import RemoteError, RequestContext
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor

_RESTART_MODES = {mode.value: mode for mode in RestartMode}
_SIGNALS = {signal.value: signal for signal in TerminationSignal}
_SIGNAL_NUMBERS = {"1": "SIGHUP", "2": "SIGINT", "3": "SIGQUIT", "15": "SIGTERM"}


def container_name_of(inspect: Mapping[str, Any]) -> str:
    """The container's name as `docker ps` shows it (Docker's inspect puts a `/` before it)."""
    return str(inspect.get("Name") or "").lstrip("/")


def _section(source: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A sub-object of Docker's JSON; Docker writes `null` for empty ones."""
    value = source.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(source: Mapping[str, Any], key: str) -> list[Any]:
    value = source.get(key)
    return list(value) if isinstance(value, list) else []


def _host_ip(ip: str) -> str:
    """An IPv6 host address in brackets, as `docker run -p` writes it."""
    return f"[{ip}]" if ":" in ip and not ip.startswith("[") else ip


def port_lines(port_bindings: Mapping[str, Any]) -> list[str]:
    """`[ip:]host:container[/protocol]` entries of HostConfig.PortBindings (`/tcp` left out, as its default).

    A binding without a host port (`-p 80`, Docker picks one) stays the bare container port.
    """
    found: list[str] = []
    for key, bindings in sorted(port_bindings.items()):
        port, _, protocol = str(key).partition("/")
        suffix = f"/{protocol}" if protocol and protocol != "tcp" else ""
        for binding in bindings or [{}]:
            ip = str((binding or {}).get("HostIp") or "")
            host = str((binding or {}).get("HostPort") or "")
            if host:
                entry = f"{_host_ip(ip)}:{host}:{port}{suffix}" if ip else f"{host}:{port}{suffix}"
            else:
                entry = f"{port}{suffix}"
            if entry not in found:
                found.append(entry)
    return found


def volume_lines(host_config: Mapping[str, Any]) -> list[str]:
    """`source:target[:mode]` entries of HostConfig.Binds (`-v`) and HostConfig.Mounts (`--mount`).

    Mounts without a source (anonymous volumes, tmpfs) have no `source:target` form and are left out.
    """
    found = [str(bind) for bind in _list(host_config, "Binds") if bind]
    for mount in _list(host_config, "Mounts"):
        if not isinstance(mount, Mapping) or mount.get("Type", "bind") not in ("bind", "volume"):
            continue
        source, target = mount.get("Source") or "", mount.get("Target") or ""
        if not source or not target:
            continue
        entry = f"{source}:{target}" + (":ro" if mount.get("ReadOnly") else "")
        if entry not in found:
            found.append(entry)
    return found


def _network(mode: str) -> str:
    # Docker records `default` (or nothing) when no network was asked for: that is the bridge network.
    return "bridge" if mode in ("", "default") else mode


def _signal(stop_signal: str) -> TerminationSignal | None:
    """The TerminationSignal of Docker's StopSignal (`SIGQUIT`, `QUIT`, `3`); None when Komodo has none for it."""
    name = stop_signal.strip().upper()
    name = _SIGNAL_NUMBERS.get(name, name)
    if name and not name.startswith("SIG"):
        name = "SIG" + name
    return _SIGNALS.get(name)


def _text(entries: list[str]) -> str:
    return "".join(f"{entry}\n" for entry in entries)


def deployment_config(
    server_id: str, container: Mapping[str, Any], image: Mapping[str, Any] | None = None
) -> DeploymentConfig:
    """The DeploymentConfig that reproduces a container, from Docker's inspect JSON of it and of its image.

    What the image already sets (environment entries, labels, command) is left out, so the deployment keeps
    following the image for those. Labels are written `key=value` (a form Komodo reads too), which is how the
    deploy hands them to Docker.
    """
    config = _section(container, "Config")
    host = _section(container, "HostConfig")
    image_config = _section(image or {}, "Config")

    image_env = set(_list(image_config, "Env"))
    environment = [str(entry) for entry in _list(config, "Env") if entry not in image_env]
    image_labels = _section(image_config, "Labels")
    labels = [
        f"{key}={value}"
        for key, value in sorted(_section(config, "Labels").items())
        if image_labels.get(key) != value
    ]
    cmd = [str(arg) for arg in _list(config, "Cmd")]
    command = shlex.join(cmd) if cmd and cmd != _list(image_config, "Cmd") else ""

    fields: dict[str, Any] = {
        "server_id": server_id,
        "image": {"type": "Image", "params": {"image": str(config.get("Image") or "")}},
        "network": _network(str(host.get("NetworkMode") or "")),
        "restart": _RESTART_MODES.get(
            str(_section(host, "RestartPolicy").get("Name") or ""), RestartMode.NoRestart
        ),
        "ports": _text(port_lines(_section(host, "PortBindings"))),
        "volumes": _text(volume_lines(host)),
        "environment": _text(environment),
        "labels": _text(labels),
        "command": command,
    }
    signal = _signal(str(config.get("StopSignal") or ""))
    if signal is not None:
        fields["termination_signal"] = signal
    if isinstance(config.get("StopTimeout"), int):
        fields["termination_timeout"] = config["StopTimeout"]
    return DeploymentConfig.model_validate(fields)


def register(executor: Executor) -> None:
    """Answer CreateDeploymentFromContainer."""

    async def create(req: CreateDeploymentFromContainer, ctx: RequestContext) -> Deployment:
        server = await executor.registry.server_with(
            ctx.caller, req.server, PermissionLevel.Read, SpecificPermission.Inspect
        )
        target = ResourceTarget(type=ResourceTargetVariant.Server, id=server.id)
        await executor.registry.require(
            ctx.headers, target, PermissionLevel.Read, server.name, SpecificPermission.Attach
        )
        # The agent's 404 names the container when there is none.
        container: dict[str, Any] = await executor.agents.ask(server, InspectContainer(name=req.name))
        image_ref = str(container.get("Image") or _section(container, "Config").get("Image") or "")
        image: dict[str, Any] | None = None
        if image_ref:
            try:
                image = await executor.agents.ask(server, InspectImage(name=image_ref))
            except RemoteError as err:
                # An image deleted under its container: nothing to subtract, the container's values stay.
                if err.status != 404:
                    raise
        config = deployment_config(server.id, container, image)
        created: Deployment = await executor.bus.request(
            CreateDeployment(name=container_name_of(container) or req.name, config=config.to_json()),
            credentials(ctx.headers),
        )
        return created

    executor.bus.handle(CreateDeploymentFromContainer, create)
