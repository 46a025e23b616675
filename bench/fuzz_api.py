"""Fuzz the gateway's OpenAPI document with schemathesis: every /read, /write, /auth operation and GET /user.

Starts nats-server, nx-27017, the registry, the executor and the gateway as their own processes (or points at a
running system with `--url`, e.g. a `./run up`), logs in as the admin, creates an API key, loads
`/openapi.json` and, for each operation, sends `-n` generated requests with valid data (positive) and `-n` with
data that breaks the schema (negative: wrong types, out of range, missing required fields). /execute is left
out: executions do real work. Checks on every answer:

- not_a_server_error: no 5xx (a 503 of a service that is not running is not counted: the fuzz system runs
  no agent);
- status_code_conformance: the status is documented for the operation;
- content_type_conformance: the answer's content type is the documented one;
- response_schema_conformance: the body matches the documented schema of its status;
- negative_data_rejection: a request that breaks the schema gets a 4xx.

Every request carries the admin's valid API key (no check sends wrong credentials), but LoginLocalUser is sent
made-up usernames and passwords, and 5 failed log-ins from one address within 15 s would have the gateway answer
429 to the next requests. So the started system trusts loopback as a proxy (`KOMODO_TRUSTED_PROXIES=127.0.0.1`)
and each request names its own client address in `X-Forwarded-For`. Against `--url`, start the system with
`KOMODO_TRUSTED_PROXIES=127.0.0.1` too, or the figures after LoginLocalUser count 429s. Prints the figures: operations, requests, failures by check, and
one example of each distinct failure.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python bench/fuzz_api.py [-n 20] [--only REGEX] [--url http://127.0.0.1:9120 --user U --password P]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bench._admin import stop
from bench._servers import servers
from services.common.embedded import free_port

ADMIN, PASSWORD = "fuzz-admin", "fuzz-admin-password"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CREDENTIALS = {"authorization", "x-api-key", "x-api-secret"}
FUZZED = re.compile(r"^/(read|write|auth)/|^/user$")
"""Operations fuzzed: /execute is left out (executions do real work)."""
SPARED = {"/auth/manage/UpdateUsername", "/auth/manage/UpdatePassword"}
"""Operations sent only with schema-breaking data: valid ones would rename the fuzzing admin or change its
password, and the log-in of a later run would fail."""


@dataclass
class Figures:
    """What the run measured."""

    operations: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    """Failed requests per check title."""
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    unavailable: set[str] = field(default_factory=set)
    """Operations answered 503 (their service, or the agent they need, is not running)."""
    """One example per (check title, operation)."""


def fuzz_operation(
    operation: Any,
    base_url: str,
    session: requests.Session,
    creds: dict[str, str],
    count: int,
    figures: Figures,
) -> None:
    """Send `count` positive and `count` negative requests to one operation, recording each failure."""
    modes = [schemathesis.GenerationMode.NEGATIVE]
    if operation.path not in SPARED:
        modes.insert(0, schemathesis.GenerationMode.POSITIVE)
    for mode in modes:

        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(operation.as_strategy(generation_mode=mode))
        def send(case: Any) -> None:
            figures.requests += 1
            # schemathesis fills the security schemes' headers with made-up values: send only the admin's key.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in CREDENTIALS}
            # Each request from its own client address (believed: the system trusts loopback as a proxy), so
            # the made-up log-ins of LoginLocalUser never put the fuzzer over the limit of bad credentials.
            n = figures.requests
            headers = {**creds, "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            figures.statuses[response.status_code] += 1
            if response.status_code == 503:
                figures.unavailable.add(operation.path)
            try:
                case.validate_response(
                    response,
                    checks=CHECKS,
                    headers=creds,
                    transport_kwargs={"base_url": base_url, "session": session, "headers": creds},
                )
            except (FailureGroup, Failure) as err:
                failures = err.exceptions if isinstance(err, FailureGroup) else [err]
                for failure in failures:
                    if response.status_code == 503 and failure.title == "Server error":
                        continue  # no agent runs: a request that needs one is answered 503, as documented
                    figures.failures[failure.title] += 1
                    key = (failure.title, operation.path)
                    if key not in figures.examples:
                        body = case.body if not isinstance(case.body, bytes) else case.body[:200]
                        figures.examples[key] = (
                            f"{case.meta.generation.mode.value} {response.status_code} body={str(body)[:300]} "
                            f"answer={response.text[:300]} :: {(failure.message or '')[:300]}"
                        )

        with contextlib.suppress(Unsatisfiable):  # nothing to break (GET /user has no parameters)
            send()


def wait_for_login(base_url: str, user: str, password: str, deadline: float) -> str:
    """The user's JWT once the gateway answers and the registry has created the init admin."""
    while True:
        try:
            login = requests.post(
                f"{base_url}/auth/login/LoginLocalUser",
                json={"username": user, "password": password},
                timeout=5,
            )
            if login.status_code == 200:
                return str(login.json()["data"]["jwt"])
            detail = f"{login.status_code} {login.text}"
        except requests.ConnectionError as err:
            detail = str(err)
        if time.monotonic() > deadline:
            raise SystemExit(f"could not log in as {user}: {detail}")
        time.sleep(0.3)


@contextlib.contextmanager
def started_system() -> Iterator[str]:
    """Registry, executor and gateway (no agent) on throwaway servers; yields the gateway's URL."""
    with servers() as (nats_url, mongo_url):
        port = free_port()
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": "fuzz",
            "VARANUS_DATA_DIR": tempfile.mkdtemp(prefix="varanus-fuzz-data-"),
            "KOMODO_LOGGING_LEVEL": "WARNING",
            "KOMODO_PORT": str(port),
            "KOMODO_INIT_ADMIN_USERNAME": ADMIN,
            "KOMODO_INIT_ADMIN_PASSWORD": PASSWORD,
            "KOMODO_TRUSTED_PROXIES": "127.0.0.1",
        }
        procs = [
            subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env)
            for service in ("registry", "executor", "gateway")
        ]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(procs)


def fuzz(base_url: str, user: str, password: str, count: int, only: str | None) -> Figures:
    """Log in, create an API key and fuzz every selected operation; the figures."""
    jwt = wait_for_login(base_url, user, password, time.monotonic() + 60)
    key = requests.post(
        f"{base_url}/auth/manage/CreateApiKey",
        json={"name": f"fuzz-{time.time():.0f}"},
        headers={"Authorization": jwt},
        timeout=10,
    ).json()
    creds = {"X-Api-Key": key["key"], "X-Api-Secret": key["secret"]}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    selected = re.compile(only) if only else None
    figures = Figures()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not FUZZED.search(operation.path) or (selected and not selected.search(operation.path)):
            continue
        figures.operations += 1
        fuzz_operation(operation, base_url, session, creds, count, figures)
    return figures


def report(figures: Figures, seconds: float) -> None:
    """Print the figures."""
    print(f"operations {figures.operations}, requests {figures.requests}, {seconds:.0f} s")
    print("statuses " + ", ".join(f"{s}: {n}" for s, n in sorted(figures.statuses.items())))
    total = sum(figures.failures.values())
    print(f"failures {total}" + "".join(f"\n  {title}: {n}" for title, n in figures.failures.most_common()))
    if figures.unavailable:
        print("answered 503: " + " ".join(sorted(figures.unavailable)))
    for (title, path), example in sorted(figures.examples.items()):
        print(f"- [{title}] {path}: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=20, help="requests per operation and mode")
    parser.add_argument("--only", help="fuzz only operations whose path matches this regex")
    parser.add_argument("--url", help="a running gateway (default: start a system)")
    parser.add_argument("--user", default=ADMIN, help="an admin's username (with --url)")
    parser.add_argument("--password", default=PASSWORD, help="its password (with --url)")
    args = parser.parse_args()
    start = time.monotonic()
    if args.url:
        figures = fuzz(args.url.rstrip("/"), args.user, args.password, args.count, args.only)
    else:
        with started_system() as url:
            figures = fuzz(url, ADMIN, PASSWORD, args.count, args.only)
    report(figures, time.monotonic() - start)


if __name__ == "__main__":
    main()
