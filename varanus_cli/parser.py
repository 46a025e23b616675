"""The command line: the top-level parser, and one parser per request built when that request is named.

Building a parser for each of the ~300 requests up front would import every contract module; instead the
top level reads the command and the request name, and the rest of the arguments are parsed by a parser made
for that one request (`request_parser`).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from contracts.api.base import Request
from services.common.version import VERSION
from varanus_cli.catalog import KINDS, describe_type, index
from varanus_cli.fields import FieldOption, add_field_options, field_options
from varanus_cli.shortcuts import DEPLOYS, GETS, LISTINGS, RUNS

DEFAULT_TIMEOUT = 3600.0
"""Seconds to wait for an execution to complete."""

KIND_HELP = {
    "read": "call a read request, e.g. varanus read GetDeployment --deployment web",
    "write": "call a write request, e.g. varanus write CreateServer --name local",
    "execute": "run an execution and follow its Update, e.g. varanus execute RunBuild --build app",
}

VALUES_HELP = (
    "Values: text fields take the value as typed; other fields take it as JSON when it parses "
    "(--page 2, --query '{\"tags\": [\"prod\"]}') and as text otherwise. --params '<JSON object>' gives "
    "the whole body; options given as well override its fields. Options of varanus itself that a "
    "request field shadows (e.g. --config of CreateServer) can be given before the command: "
    "varanus --config FILE write CreateServer --config '{...}'."
)

URL_HELP = "the Komodo API (default: $KOMODO_URL, url in the config file, http://127.0.0.1:9120)"
CONFIG_HELP = "config file (default: $VARANUS_CONFIG, ~/.config/varanus/config.toml)"

EXIT_HELP = "exit status: 0 success, 1 API error or failed execution, 2 usage error"


HELP_WIDTH = 100
"""Columns of help text (argparse would take the terminal's width, which makes tests depend on it)."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps docstring line breaks and shows defaults only where the help text says them."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=HELP_WIDTH)


def _common_options(*, execution: bool, follow: bool = False) -> argparse.ArgumentParser:
    """Options accepted after a command as well as before it (defaults left to the top level)."""
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS, allow_abbrev=False)
    group = parent.add_argument_group("options")
    group.add_argument("--json", action="store_true", help="print the raw JSON answer")
    group.add_argument("--url", metavar="URL", help=URL_HELP)
    group.add_argument(
        "--config",
        metavar="PATH",
        help=CONFIG_HELP,
    )
    if execution:
        group.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        group.add_argument(
            "--detach", action="store_true", help="print the Update id and return without waiting"
        )
    if execution or follow:
        group.add_argument(
            "--timeout",
            type=float,
            metavar="SECONDS",
            help=f"wait at most this long (default {DEFAULT_TIMEOUT:g})",
        )
    return parent


def top_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The `varanus` parser and its subcommand parsers by name."""
    parser = argparse.ArgumentParser(
        prog="varanus",
        description="Komodo's API from the command line, over Varanus's HTTP gateway.",
        epilog=textwrap.fill(
            "configuration: KOMODO_URL, KOMODO_API_KEY and KOMODO_API_SECRET (or KOMODO_JWT) win over url, "
            "api_key and api_secret (or jwt) in the config file. Every command takes --help.",
            HELP_WIDTH,
        )
        + "\n"
        + EXIT_HELP,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"varanus {VERSION}")
    parser.add_argument(
        "--url",
        metavar="URL",
        help=URL_HELP,
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help=CONFIG_HELP,
    )
    parser.add_argument("--json", action="store_true", help="print raw JSON answers (2-space indent)")
    parser.add_argument("-y", "--yes", action="store_true", help="executions: do not ask for confirmation")
    parser.add_argument(
        "--detach", action="store_true", help="executions: print the Update id and return at once"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"executions and update --follow: wait at most this long (default {DEFAULT_TIMEOUT:g})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    subs: dict[str, argparse.ArgumentParser] = {}

    for kind in KINDS:
        # No argparse help here: `varanus read GetX --help` belongs to the request's own parser.
        sub = commands.add_parser(
            kind, help=KIND_HELP[kind], add_help=False, allow_abbrev=False, formatter_class=HelpFormatter
        )
        sub.add_argument("-h", "--help", action="store_true", dest="kind_help", default=argparse.SUPPRESS)
        sub.add_argument("name", nargs="?", default=None, metavar="REQUEST")
        subs[kind] = sub

    common = _common_options(execution=False)
    sub = commands.add_parser(
        "ls",
        help="list resources as a table, e.g. varanus ls deployments",
        description="List resources of a kind as a table (or raw JSON with --json).",
        epilog="kinds: " + ", ".join(LISTINGS) + " (singular and resource-syncs also work)",
        parents=[common],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sub.add_argument("kind", metavar="KIND", help="what to list, e.g. deployments, servers, updates")
    sub.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="only resources with this tag (repeatable)"
    )
    sub.add_argument(
        "--search",
        action="append",
        default=[],
        metavar="TERM",
        help="only names containing this term (repeatable)",
    )
    sub.add_argument("--page", type=int, metavar="N", help="page to show, where the list is paged")
    sub.add_argument("--limit", type=int, metavar="N", help="at most this many, where the list supports it")
    subs["ls"] = sub

    sub = commands.add_parser(
        "get",
        help="show one resource, e.g. varanus get deployment web",
        description="Show one resource as key: value lines (or raw JSON with --json).",
        epilog="kinds: " + ", ".join(GETS),
        parents=[common],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sub.add_argument("kind", metavar="KIND", help="the kind of resource, e.g. deployment")
    sub.add_argument("target", metavar="NAME", help="its name or id")
    subs["get"] = sub

    sub = commands.add_parser(
        "update",
        help="show one Update with its logs; --follow waits for it",
        description="Show one Update: operation, target, status, success, operator, times, then each stage log.",
        epilog="With --follow the exit status is 0 only if the Update completes successfully.",
        parents=[_common_options(execution=False, follow=True)],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sub.add_argument("id", metavar="ID", help="the Update id")
    sub.add_argument("-f", "--follow", action="store_true", help="wait until it completes, printing new logs")
    subs["update"] = sub

    execution = _common_options(execution=True)
    sub = commands.add_parser(
        "run",
        help="run a build, procedure, action or sync and follow it",
        description="Run a resource ("
        + ", ".join(f"{kind}: {name}" for kind, name in RUNS.items())
        + ") and follow its Update.",
        epilog=EXIT_HELP,
        parents=[execution],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sub.add_argument("kind", metavar="KIND", choices=list(RUNS), help="one of " + ", ".join(RUNS))
    sub.add_argument("target", metavar="NAME", help="its name or id")
    subs["run"] = sub

    sub = commands.add_parser(
        "deploy",
        help="deploy a deployment (or a stack with --stack) and follow it",
        description=f"Deploy a Deployment ({DEPLOYS['deployment']}), or a Stack with --stack "
        f"({DEPLOYS['stack']}), and follow its Update.",
        epilog=EXIT_HELP,
        parents=[execution],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    sub.add_argument("target", metavar="NAME", help="the deployment's (or stack's) name or id")
    sub.add_argument("--stack", action="store_true", help="deploy the stack NAME instead")
    subs["deploy"] = sub

    subs["version"] = commands.add_parser(
        "version",
        help="show the server's version (GET /version)",
        description="Show the version of the Komodo API at the configured URL, and of this client.",
        parents=[common],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    subs["config"] = commands.add_parser(
        "config",
        help="show the configuration in use (the secret is never shown)",
        description="Show the URL, the credentials in use (the secret as set/not set) and the config file.",
        parents=[common],
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    return parser, subs


def kind_listing(kind: str) -> list[str]:
    """The help of `varanus <kind>`: usage, then every request of the kind with its summary."""
    known = index(kind)
    width = max(len(name) for name in known)
    lines = [
        f"usage: varanus {kind} REQUEST [--FIELD VALUE ...] [--params JSON] [options]",
        "",
        KIND_HELP[kind][0].upper() + KIND_HELP[kind][1:] + ".",
        f"varanus {kind} REQUEST --help shows the fields of one request.",
        "",
        f"{kind} requests:",
    ]
    lines += [f"  {name:<{width}}  {entry.summary}" for name, entry in known.items()]
    return lines


CLI_OPTIONS = ("json", "url", "config", "params", "yes", "detach", "timeout")
"""Destinations of the varanus options a request parser may add (when no field takes the name)."""


def request_parser(kind: str, cls: type[Request]) -> tuple[argparse.ArgumentParser, list[FieldOption]]:
    """The parser of one request: an option per field, then --params and the varanus options left free."""
    options = field_options(cls)
    doc = (cls.__doc__ or "").strip()
    if "answers" not in doc.lower():
        doc += f"\n\nAnswers: {describe_type(cls.RESPONSE)}."
    parser = argparse.ArgumentParser(
        prog=f"varanus {kind} {cls.__name__}",
        description=doc,
        epilog=textwrap.fill(VALUES_HELP, HELP_WIDTH) + "\n\n" + EXIT_HELP,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,
        add_help=False,
    )
    taken = {flag for option in options for flag in option.flags}
    if options:
        add_field_options(parser.add_argument_group(f"fields of {cls.__name__}"), options)
    group = parser.add_argument_group("options")
    group.add_argument("-h", "--help", action="help", help="show this help and exit")

    def free(*flags: str) -> list[str]:
        return [flag for flag in flags if flag not in taken]

    candidates: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("--params",), {"metavar": "JSON", "help": "the request body as one JSON object"}),
        (("--json",), {"action": "store_true", "help": "print the raw JSON answer"}),
        (("--url",), {"metavar": "URL", "help": URL_HELP}),
        (
            ("--config",),
            {
                "metavar": "PATH",
                "help": CONFIG_HELP,
            },
        ),
    ]
    if kind == "execute":
        candidates += [
            (("-y", "--yes"), {"action": "store_true", "dest": "yes", "help": "do not ask for confirmation"}),
            (
                ("--detach",),
                {"action": "store_true", "help": "print the Update id and return without waiting"},
            ),
            (
                ("--timeout",),
                {
                    "type": float,
                    "metavar": "SECONDS",
                    "help": f"wait at most this long (default {DEFAULT_TIMEOUT:g})",
                },
            ),
        ]
    for flags, settings in candidates:
        usable = free(*flags)
        if usable and any(flag.startswith("--") for flag in usable):
            group.add_argument(*usable, **settings)
    return parser, options
