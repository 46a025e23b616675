"""A RunContainer request as the Docker Engine API's create body, translated as the docker CLI translates it.

The agent creates a Deployment's container through the Engine API when the request has no `extra_args` (those
are `docker run` flags only the CLI understands). The body made here is what `docker create` (CLI 28, engine
API 1.41) sends for the same options, so both ways make the same container:

- the environment is read as `--env-file` reads a file of the entries, one a line;
- ports follow `-p`: `[ip:][host[-end]:]container[-end][/proto]` into `ExposedPorts` and
  `HostConfig.PortBindings`;
- volumes follow `-v`: `source:target[:mode]` entries go to `HostConfig.Binds` as written (a source starting
  with `.` made absolute against the agent's working directory, as the CLI does with its own), an entry with
  no source is an anonymous volume in `Volumes`;
- the restart policy, labels, stop signal and stop timeout as their flags.

What cannot be parsed is refused with `BadOption` naming the entry, never guessed; what the CLI passes on
unchecked (a volume's mode, a restart policy's name, a signal) is left to the engine, which checks it the same
way for both.
"""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
from typing import Any

from contracts.api.agent.container import RunContainer

PROTOCOLS = ("tcp", "udp", "sctp")
"""The protocols a published port may name (lowercased first, as the CLI does)."""
_PORT = re.compile(r"[0-9]+")
_RETRIES = re.compile(r"[+-]?[0-9]+")
_KEY_SPACE = " \t"
"""Characters a variable or label name may not contain (the CLI's rule)."""
_BOM = "\ufeff"

EMPTY_HOST_LISTS = (
    "BlkioDeviceReadBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceWriteIOps",
    "BlkioWeightDevice",
    "Devices",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "Ulimits",
)
"""HostConfig lists the CLI always sends empty: sent empty too, so `docker inspect` shows `[]`, not `null`."""


class BadOption(ValueError):
    """An option the docker CLI would refuse, or that cannot be translated without guessing; says which entry."""


def restart_policy(restart: str) -> str:
    """Docker's `--restart` value: Komodo renders `on-failure` as `on-failure:10`."""
    return "on-failure:10" if restart == "on-failure" else restart or "no"


def restart_body(policy: str) -> dict[str, Any]:
    """`HostConfig.RestartPolicy` of a `--restart` value: `on-failure:10` → on-failure, at most 10 retries."""
    name, colon, count = policy.partition(":")
    if colon and not name:
        raise BadOption(f"restart policy {policy!r}: no policy before the colon")
    body: dict[str, Any] = {"Name": name}
    if count:
        if not _RETRIES.fullmatch(count):
            raise BadOption(f"restart policy {policy!r}: the maximum retry count must be an integer")
        body["MaximumRetryCount"] = int(count)
    return body


def labels_body(entries: list[str]) -> dict[str, str]:
    """Labels of `--label` entries: `k=v` gives v, a bare `k` gives ""; a later entry of a key wins.

    As the CLI: a name with a space or tab after its first other character is refused (leading ones are
    allowed, and kept).
    """
    labels: dict[str, str] = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        if not key.strip():
            raise BadOption(f"label {entry!r}: empty name")
        if any(char in _KEY_SPACE for char in key.lstrip(_KEY_SPACE)):
            raise BadOption(f"label {entry!r}: the name contains white space")
        labels[key] = value
    return labels


def _go_space(char: str) -> bool:
    """Whether Go's `unicode.IsSpace` holds for a character (Python's `isspace` also counts \\x1c-\\x1f)."""
    return char in "\t\n\v\f\r \x85\xa0" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def environment_body(entries: list[str], lookup: dict[str, str] | None = None) -> list[str]:
    """The container's `Env` from `KEY=value` entries, read as the CLI reads them from an `--env-file`.

    The agent writes the entries one a line into that file, so each line is read as the CLI reads it: leading
    white space dropped, empty lines and `#` comments skipped, the value kept as written; a name holding a space
    or tab is refused. A line without `=` (only from an entry with a line break: the contract wants `=`) takes
    the value of that variable in the agent's own environment, or is dropped when unset, as the CLI does.
    """
    lookup = dict(os.environ) if lookup is None else lookup
    env: list[str] = []
    lines = "".join(f"{entry}\n" for entry in entries).split("\n")[:-1]
    for number, raw in enumerate(lines):
        line = raw.removesuffix("\r")  # Go's line scanner drops a line's \r
        if number == 0:
            line = line.removeprefix(_BOM)
        while line and _go_space(line[0]):
            line = line[1:]
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if any(char in _KEY_SPACE for char in name):
            raise BadOption(f"environment entry {name!r}: the variable name contains white space")
        if not name:  # the entry is not shown: what follows `=` may be a secret
            raise BadOption(f"environment entry {number + 1}: no variable name")
        if equals:
            env.append(f"{name}={value}")
        elif name in lookup:
            env.append(f"{name}={lookup[name]}")
    return env


def _port_range(text: str) -> tuple[int, int]:
    """A port or `start-end` range (each 0-65535, end not below start); ValueError otherwise."""
    start_text, dash, end_text = text.partition("-")
    if dash and "-" in end_text:
        end_text = end_text.split("-")[0]  # Go's split keeps only the first two parts
    for part in (start_text, end_text) if dash else (start_text,):
        if not _PORT.fullmatch(part) or int(part) > 65535:
            raise ValueError(text)
    start = int(start_text)
    end = int(end_text) if dash else start
    if end < start:
        raise ValueError(text)
    return start, end


def _host_ip(entry: str, ip: str) -> str:
    """The host address of a port entry, brackets of an IPv6 address removed; BadOption when it is no address."""
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise BadOption(f"port {entry!r}: invalid IP address {ip}")
        ip = ip[1:-1]
    try:
        if "%" in ip:  # a zone: Go's ParseIP refuses it
            raise ValueError(ip)
        ipaddress.ip_address(ip)
    except ValueError:
        raise BadOption(f"port {entry!r}: invalid IP address: {ip}") from None
    return ip


def port_mappings(entry: str) -> list[tuple[str, dict[str, str]]]:
    """The (`port/proto`, binding) pairs of one `-p` entry, as the CLI parses it.

    `[ip:][host:]container[/proto]`, where host and container may be `start-end` ranges of the same length; a
    host range with a single container port is a range the engine picks a free host port from. An empty or
    missing host port lets the engine choose. The long syntax (`target=80,published=8080`) is refused.
    """
    if "=" in entry:
        raise BadOption(f"port {entry!r}: the long syntax (key=value) is not supported without extra_args")
    parts = entry.split(":")
    container = parts[-1]
    host = parts[-2] if len(parts) >= 2 else ""
    ip = ":".join(parts[:-2])
    container_proto = container.split("/")
    if not container or not container_proto[0]:
        raise BadOption(f"port {entry!r}: no port specified")
    container = container_proto[0]
    proto = (container_proto[1] or "tcp") if len(container_proto) > 1 else "tcp"
    if ip:
        ip = _host_ip(entry, ip)
    try:
        start, end = _port_range(container)
    except ValueError:
        raise BadOption(f"port {entry!r}: invalid container port {container}") from None
    host_start = host_end = 0
    if host:
        try:
            host_start, host_end = _port_range(host)
        except ValueError:
            raise BadOption(f"port {entry!r}: invalid host port {host}") from None
        if end - start != host_end - host_start and end != start:
            raise BadOption(f"port {entry!r}: the container and host port ranges differ in length")
    proto = proto.lower()
    if proto not in PROTOCOLS:
        raise BadOption(f"port {entry!r}: invalid protocol {proto}")
    mappings: list[tuple[str, dict[str, str]]] = []
    for offset in range(end - start + 1):
        host_port = str(host_start + offset) if host else ""
        if start == end and host_start != host_end:
            host_port = f"{host_port}-{host_end}"
        mappings.append((f"{start + offset}/{proto}", {"HostIp": ip, "HostPort": host_port}))
    return mappings


def ports_body(entries: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """`ExposedPorts` and `HostConfig.PortBindings` of the `-p` entries (a port published twice binds twice)."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        for port, binding in port_mappings(entry):
            exposed[port] = {}
            bindings.setdefault(port, []).append(binding)
    return exposed, bindings


def _windows_drive(buffer: str, char: str) -> bool:
    """Whether `char` is the colon after a drive letter (`c:`), which the CLI's volume parser keeps in the part."""
    return char == ":" and len(buffer) == 1 and buffer.isalpha()


def _volume_parts(entry: str) -> list[str]:
    """The colon-separated parts of a `-v` entry as the CLI splits them (a drive letter's colon kept)."""
    parts: list[str] = []
    buffer = ""
    for char in entry:
        if char == ":" and not _windows_drive(buffer, char):
            parts.append(buffer)
            buffer = ""
        else:
            buffer += char
    parts.append(buffer)
    return parts


def volumes_body(entries: list[str], cwd: str | None = None) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """`HostConfig.Binds` and anonymous `Volumes` of the `-v` entries, as the CLI makes them.

    `source:target[:mode]` is a bind (a source starting with `/`, `.` or `~`) or a named volume, passed on as
    written except that a bind source starting with `.` is made absolute against the working directory (the
    agent's: the CLI uses its own, which is the agent's). A lone target is an anonymous volume. Entries given
    twice count once. The mode (`ro`, `z`, `nocopy`, ...) is checked by the engine, as for the CLI.
    """
    binds: list[str] = []
    anonymous: dict[str, dict[str, Any]] = {}
    for entry in dict.fromkeys(entries):  # the CLI keeps its -v entries in a set
        if not entry:
            raise BadOption("volume '': empty volume")
        parts = _volume_parts(entry) if len(entry) > 2 else [entry]
        if any(not part for part in parts):
            raise BadOption(f"volume {entry!r}: empty section between colons")
        if len(parts) > 3:
            raise BadOption(f"volume {entry!r}: too many colons")
        if len(parts) == 1:
            anonymous[entry] = {}
            continue
        bind = entry
        source, _, target = entry.partition(":")
        if source.startswith("."):
            bind = os.path.join(cwd if cwd is not None else os.getcwd(), source)
            bind = os.path.normpath(bind) + ":" + target
        binds.append(bind)
    return binds, anonymous


def create_body(request: RunContainer, cwd: str | None = None) -> dict[str, Any]:
    """The `POST /containers/create` body of a request without `extra_args` (its name goes in the query).

    BadOption when an entry cannot be translated. The body never asks the engine to pull: creating through
    the API never does.
    """
    exposed, bindings = ports_body(request.ports)
    binds, anonymous = volumes_body(request.volumes, cwd)
    host_config: dict[str, Any] = {
        "NetworkMode": request.network or "host",
        "PortBindings": bindings,
        "RestartPolicy": restart_body(restart_policy(request.restart)),
        **{field: [] for field in EMPTY_HOST_LISTS},
    }
    if binds:
        host_config["Binds"] = binds
    body: dict[str, Any] = {
        "Image": request.image,
        # `docker create` without `-a` attaches standard output and error (for a later `docker start -a`).
        "AttachStdout": True,
        "AttachStderr": True,
        "Env": environment_body(request.environment),
        "Labels": labels_body(request.labels),
        "StopTimeout": request.stop_time,
        "HostConfig": host_config,
    }
    if request.stop_signal:
        body["StopSignal"] = request.stop_signal
    if request.command:
        body["Cmd"] = list(request.command)
    if exposed:
        body["ExposedPorts"] = exposed
    if anonymous:
        body["Volumes"] = anonymous
    return body
