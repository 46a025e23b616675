"""Entry point of the `varanus` console script: parse the command line, run the command, map the exit status."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from contracts.api.base import Request
from varanus_cli import commands
from varanus_cli.catalog import KINDS, index, request_class
from varanus_cli.config import load_config
from varanus_cli.console import Console
from varanus_cli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError
from varanus_cli.fields import collect_params, validate
from varanus_cli.parser import CLI_OPTIONS, kind_listing, request_parser, top_parser


@dataclass(frozen=True)
class RequestCall:
    """A request named on the command line, with its params parsed and checked."""

    cls: type[Request]
    params: dict[str, Any]


def _parse_request(
    kind: str, name: str, rest: list[str], wants_help: bool, options: argparse.Namespace
) -> RequestCall:
    """Parse the arguments after `varanus <kind> <Request>` with that request's own parser.

    varanus options given after the request name (when no field shadows them) are merged into `options`.
    Prints help and exits on --help; a bad argument exits 2 through argparse.
    """
    cls = request_class(kind, name)
    parser, fields = request_parser(kind, cls)
    parsed = parser.parse_args([*rest, "--help"] if wants_help else rest)
    for option in CLI_OPTIONS:
        if option != "params" and hasattr(parsed, option):
            setattr(options, option, getattr(parsed, option))
    params = collect_params(cls, fields, parsed, getattr(parsed, "params", None))
    validate(cls, params)
    return RequestCall(cls, params)


def _list_kind(kind: str, as_json: bool, console: Console) -> int:
    """`varanus <kind>` with no request: every request of the kind with its summary."""
    if as_json:
        listing = [{"name": entry.name, "summary": entry.summary} for entry in index(kind).values()]
        console.print(json.dumps(listing, indent=2))
    else:
        for line in kind_listing(kind):
            console.print(line)
    return EXIT_OK


def run(argv: list[str], console: Console) -> int:
    """Run one command line and return its exit status (errors are raised as CliError)."""
    parser, subs = top_parser()
    options, rest = parser.parse_known_args(argv)
    command: str | None = options.command
    if command is None:
        parser.print_help(console.err)
        return EXIT_USAGE
    request: RequestCall | None = None
    if command in KINDS:
        name: str | None = options.name
        if name is None:
            return _list_kind(command, options.json, console)
        request = _parse_request(command, name, rest, getattr(options, "kind_help", False), options)
    elif rest:
        subs[command].error(f"unrecognized arguments: {' '.join(rest)}")

    config = load_config(os.environ, options.config, options.url)
    for warning in config.warnings:
        console.message(f"warning: {warning}")
    ctx = commands.Context(
        console=console,
        config=config,
        json=options.json,
        yes=options.yes,
        detach=options.detach,
        timeout=options.timeout,
    )
    try:
        if request is not None:
            return commands.run_request(ctx, request.cls, request.params)
        if command == "ls":
            return commands.ls(ctx, options.kind, options.tag, options.search, options.page, options.limit)
        if command == "get":
            return commands.get(ctx, options.kind, options.target)
        if command == "update":
            return commands.update(ctx, options.id, options.follow)
        if command == "run":
            return commands.run_kind(ctx, options.kind, options.target)
        if command == "deploy":
            return commands.deploy(ctx, options.target, options.stack)
        if command == "version":
            return commands.version(ctx)
        return commands.show_config(ctx)
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv` (default: the process arguments) and return the exit status."""
    console = Console()
    try:
        return run(sys.argv[1:] if argv is None else argv, console)
    except CliError as err:
        console.end_progress()
        console.message(f"error: {err.message}")
        for line in err.details:
            console.message(f"  {line}")
        return err.exit_code
    except KeyboardInterrupt:
        console.end_progress()
        console.message("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exit_:
        # argparse exits for --help (0) and bad arguments (2); return the status rather than raise it.
        code = exit_.code
        return code if isinstance(code, int) else EXIT_OK if code is None else EXIT_FAILURE
    except BrokenPipeError:
        # The reader went away (e.g. `varanus ls updates | head`); stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
