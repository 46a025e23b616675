"""What each command does: build the request, call the API, print the answer, give the exit status."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from contracts.api.base import Request
from services.common.version import VERSION
from varanus_cli.catalog import request_class
from varanus_cli.client import KomodoClient
from varanus_cli.config import Config
from varanus_cli.console import Console
from varanus_cli.errors import EXIT_FAILURE, EXIT_OK, ApiError, CliError, UsageError
from varanus_cli.fields import query_filters, validate
from varanus_cli.follow import Follower, succeeded, summary_line
from varanus_cli.render import (
    any_value,
    is_update,
    key_values,
    object_id,
    scalar,
    table,
    to_json,
    update_lines,
)
from varanus_cli.shortcuts import DEPLOYS, GETS, LISTINGS, RUNS, canonical_kind, singular


@dataclass
class Context:
    """The settings of one command run, and the client it opens on first use."""

    console: Console
    config: Config
    json: bool = False
    yes: bool = False
    detach: bool = False
    timeout: float = 3600.0
    _client: KomodoClient | None = field(default=None, repr=False)

    def client(self) -> KomodoClient:
        """The API client (opened once)."""
        if self._client is None:
            self._client = KomodoClient(self.config)
        return self._client

    def close(self) -> None:
        """Close the client's connections, if it was opened."""
        if self._client is not None:
            self._client.close()

    def show(self, lines: list[str]) -> None:
        """Print lines on stdout."""
        self.console.print_lines(lines)


def call(ctx: Context, cls: type[Request], params: dict[str, Any]) -> Any:
    """Validate the params locally, then send the request; returns the JSON answer."""
    validate(cls, params)
    return ctx.client().request(cls.KIND, cls.__name__, params)


def main_field(cls: type[Request]) -> str:
    """The field a short form fills with its NAME argument: the request's only required field."""
    required = [name for name, info in cls.model_fields.items() if info.is_required()]
    if len(required) != 1:
        raise CliError(f"{cls.__name__} does not take a single name ({', '.join(required) or 'no fields'})")
    return required[0]


# ---- read and write ------------------------------------------------------------------------------------


def show_read(ctx: Context, answer: Any) -> int:
    """Print a read's answer: JSON, an Update with its logs, a table for lists, or key: value lines."""
    if ctx.json:
        ctx.console.print(to_json(answer))
    elif is_update(answer):
        ctx.show(update_lines(answer))
    else:
        ctx.show(any_value(answer))
    return EXIT_OK


def show_write(ctx: Context, cls: type[Request], answer: Any) -> int:
    """Print a write's answer: the id of what was created, an Update, nothing for `{}`, else key: value."""
    if ctx.json:
        ctx.console.print(to_json(answer))
        return EXIT_OK
    created = object_id(answer) if cls.__name__.startswith(("Create", "Copy")) else None
    if is_update(answer):
        ctx.show(update_lines(answer))
    elif created:
        ctx.console.print(created)
    elif answer not in ({}, None):
        ctx.show(any_value(answer))
    return EXIT_OK


def run_request(ctx: Context, cls: type[Request], params: dict[str, Any]) -> int:
    """`varanus read|write|execute <Request> ...` once the params are parsed."""
    if cls.KIND == "execute":
        return execute(ctx, cls, params)
    answer = call(ctx, cls, params)
    return show_read(ctx, answer) if cls.KIND == "read" else show_write(ctx, cls, answer)


# ---- executions ----------------------------------------------------------------------------------------


def confirm(ctx: Context, question: str) -> None:
    """Ask `question [y/N]` on a terminal; without one (and without -y) refuse, as nothing may be run unasked."""
    if ctx.yes:
        return
    if not ctx.console.stdin_is_tty:
        raise UsageError(f"{question[:-1]} needs confirmation and stdin is not a terminal: pass -y (--yes)")
    if ctx.console.ask(f"{question} [y/N] ").lower() not in ("y", "yes"):
        raise CliError("cancelled; nothing was executed")


def _started(answer: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The Updates an execution started, and the errors of batch items that did not start."""
    items = answer if isinstance(answer, list) else [answer]
    updates: list[dict[str, Any]] = []
    errors: list[str] = []
    for item in items:
        if is_update(item):
            updates.append(item)
        elif isinstance(item, dict) and item.get("status") == "Ok" and is_update(item.get("data")):
            updates.append(item["data"])
        elif isinstance(item, dict) and item.get("status") == "Err" and isinstance(item.get("data"), dict):
            data = item["data"]
            error = data.get("error")
            message = error.get("error") if isinstance(error, dict) else error
            errors.append(f"{data.get('name', '?')}: {message}")
    return updates, errors


def execute(ctx: Context, cls: type[Request], params: dict[str, Any]) -> int:
    """Confirm, send the execution, then follow its Update(s) unless detached.

    Exit 0 when every Update completed successfully (or, detached, when every one started); 1 otherwise.
    """
    validate(cls, params)
    target = " ".join(f"{key}={value}" for key, value in params.items())
    confirm(ctx, f"Execute {cls.__name__}{' on ' + target if target else ''}?")
    answer = ctx.client().request("execute", cls.__name__, params)
    updates, errors = _started(answer)
    if not updates and not errors:
        # Not an Update (nothing to follow): show what came back.
        return show_read(ctx, answer)
    if ctx.detach:
        if ctx.json:
            ctx.console.print(to_json(answer))
        else:
            for update in updates:
                ctx.console.print(object_id(update) or "")
        for error in errors:
            ctx.console.message(f"error: {error}")
        return EXIT_FAILURE if errors else EXIT_OK

    follower = Follower(ctx.client(), ctx.console, stream=not ctx.json, timeout=ctx.timeout)
    deadline = time.monotonic() + ctx.timeout
    finals: dict[str, dict[str, Any]] = {}
    for update in updates:
        update_id = object_id(update) or ""
        if not ctx.json:
            ctx.console.print(
                f"{update.get('operation')} on {scalar(update.get('target'))}: update {update_id}"
            )
        follower.timeout = max(deadline - time.monotonic(), 0.0)
        final = follower.follow(update)
        finals[update_id] = final
        if not ctx.json:
            ctx.console.print(summary_line(final))
    for error in errors:
        ctx.console.message(f"error: {error}")
    if ctx.json:
        ctx.console.print(to_json(_with_finals(answer, finals)))
    ok = not errors and all(succeeded(final) for final in finals.values())
    return EXIT_OK if ok else EXIT_FAILURE


def _with_finals(answer: Any, finals: dict[str, dict[str, Any]]) -> Any:
    """The execution's answer with each Update replaced by its final state."""
    if isinstance(answer, list):
        return [_with_finals(item, finals) for item in answer]
    if is_update(answer):
        return finals.get(object_id(answer) or "", answer)
    if isinstance(answer, dict) and answer.get("status") == "Ok" and is_update(answer.get("data")):
        return {**answer, "data": _with_finals(answer["data"], finals)}
    return answer


def run_short(ctx: Context, name: str, target: str) -> int:
    """`varanus run <kind> NAME` and `varanus deploy NAME`: the execution with its main field set."""
    cls = request_class("execute", name)
    return execute(ctx, cls, {main_field(cls): target})


def run_kind(ctx: Context, kind: str, target: str) -> int:
    """`varanus run <kind> NAME`: RunBuild, RunProcedure, RunAction or RunSync."""
    return run_short(ctx, RUNS[kind], target)


def deploy(ctx: Context, target: str, stack: bool) -> int:
    """`varanus deploy NAME`: Deploy a Deployment, or with --stack DeployStack."""
    return run_short(ctx, DEPLOYS["stack" if stack else "deployment"], target)


# ---- short forms of reads ------------------------------------------------------------------------------


def ls(
    ctx: Context, kind_word: str, tags: list[str], terms: list[str], page: int | None, limit: int | None
) -> int:
    """`varanus ls <kind>`: the List* request of the kind, as a table."""
    kind = canonical_kind(kind_word)
    listing = LISTINGS.get(kind)
    if listing is None:
        raise UsageError(f"cannot list {kind_word!r}", [f"kinds: {', '.join(LISTINGS)}"])
    cls = request_class("read", listing.request)
    params: dict[str, Any] = {}
    if tags or terms:
        where = query_filters(cls)
        if where is None:
            raise UsageError(f"ls {kind} does not filter by --tag or --search")
        filters = {key: value for key, value in (("tags", tags), ("terms", terms)) if value}
        if where == "query":
            params["query"] = filters
        else:
            params.update(filters)
    for option, value in (("page", page), ("limit", limit)):
        if value is not None:
            if option not in cls.model_fields:
                raise UsageError(f"ls {kind} does not take --{option}")
            params[option] = value
    answer = call(ctx, cls, params)
    if ctx.json:
        ctx.console.print(to_json(answer))
        return EXIT_OK
    rows = answer.get(listing.items, []) if listing.items and isinstance(answer, dict) else answer
    if not isinstance(rows, list):
        return show_read(ctx, answer)
    if not rows:
        ctx.console.message(f"no {kind}")
    else:
        ctx.show(table(rows, list(listing.columns)))
    next_page = answer.get("next_page") if isinstance(answer, dict) else None
    if next_page is not None:
        ctx.console.message(f"more: varanus ls {kind} --page {next_page}")
    return EXIT_OK


def username(ctx: Context, user_id: str) -> str | None:
    """The name of a user id, or None when it cannot be found out (the display then shows the id only)."""
    try:
        answer = ctx.client().request("read", "GetUsername", {"user_id": user_id})
    except ApiError:
        return None
    name = answer.get("username") if isinstance(answer, dict) else None
    return name if isinstance(name, str) else None


def get(ctx: Context, kind_word: str, target: str) -> int:
    """`varanus get <kind> NAME`: the Get* request of the kind."""
    kind = singular(canonical_kind(kind_word))
    name = GETS.get(kind)
    if name is None:
        raise UsageError(f"cannot get a {kind_word!r}", [f"kinds: {', '.join(GETS)}"])
    cls = request_class("read", name)
    answer = call(ctx, cls, {main_field(cls): target})
    if is_update(answer) and not ctx.json:
        ctx.show(update_lines(answer, username(ctx, str(answer.get("operator", "")))))
        return EXIT_OK
    return show_read(ctx, answer)


def update(ctx: Context, update_id: str, follow: bool) -> int:
    """`varanus update ID [--follow]`: one Update with its logs; following, wait until it completes."""
    cls = request_class("read", "GetUpdate")
    answer = call(ctx, cls, {"id": update_id})
    if not follow:
        if ctx.json:
            ctx.console.print(to_json(answer))
        else:
            ctx.show(update_lines(answer, username(ctx, str(answer.get("operator", "")))))
        return EXIT_OK
    if not ctx.json:
        ctx.show(update_lines(answer, username(ctx, str(answer.get("operator", "")))))
    follower = Follower(ctx.client(), ctx.console, stream=not ctx.json, timeout=ctx.timeout)
    final = follower.follow(answer, shown=len(answer.get("logs") or []))
    if ctx.json:
        ctx.console.print(to_json(final))
    else:
        ctx.console.print(summary_line(final))
    return EXIT_OK if succeeded(final) else EXIT_FAILURE


def version(ctx: Context) -> int:
    """`varanus version`: the server's version (GET /version) and this client's."""
    server = ctx.client().version()
    if ctx.json:
        ctx.console.print(to_json({"server": server, "client": VERSION, "url": ctx.config.url}))
    else:
        ctx.show([f"server: {server} ({ctx.config.url})", f"client: {VERSION}"])
    return EXIT_OK


def show_config(ctx: Context) -> int:
    """`varanus config`: the settings in effect; the secret and the JWT only as set or not."""
    config = ctx.config
    auth = "api key" if config.api_key and config.api_secret else "jwt" if config.jwt else "none"
    values: dict[str, Any] = {
        "url": config.url,
        "auth": auth,
        "api_key": config.api_key or "",
        "api_secret": "set" if config.api_secret else "not set",
        "jwt": "set" if config.jwt else "not set",
        "config_file": f"{config.file} ({'read' if config.file_found else 'not found'})",
    }
    if ctx.json:
        ctx.console.print(to_json(values))
    else:
        ctx.show(key_values(values))
    return EXIT_OK
