"""`./run up`: start the whole system on its embedded default and keep it running until Ctrl-C.

Starts nats-server (JetStream) and nx-27017 unless `KOMODO_NATS_URL` / `KOMODO_DATABASE_URI` (or
`KOMODO_DATABASE_ADDRESS`) point at existing ones, then every service package that has a `__main__.py` as its
own process, or (the default, `VARANUS_PROCESSES=one`) all of them but the agent in one process
(`services.common.together`: each stays its own service on the bus; they share the interpreter's memory). A
process that exits is logged and restarted with back-off. SIGINT or SIGTERM stops the services,
then the servers, within 20 s, and leaves the data in `VARANUS_DATA_DIR`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient

from contracts.api.internal.agent import AgentCredential, IssueAgentCredential
from contracts.api.read.general import GetVersion
from contracts.api.read.server import GetServer
from contracts.entities.server import Server
from contracts.service_users import SYSTEM_USER_ID
from services.common import embedded
from services.common.auth import load_jwt_signer
from services.common.bus import RemoteError, request_over
from services.common.errors import Unavailable
from services.common.nats_auth import write_callout_files
from services.common.secrets import read_or_create_key_file
from services.common.settings import Settings
from services.common.tasks import cancel_and_wait

SERVICES_DIR = Path(__file__).resolve().parents[1]
NOT_SERVICES = {"common", "cli", "agent", "__pycache__"}
REGISTRY = "registry"
"""Started first: it answers NATS's auth callout."""
AGENT = "agent"
"""The host agent: started by the launcher only for the local server, once that server exists."""
FIRST_SERVER_NAME = "Local"
"""The server `./run up` creates for this host when the Docker socket is there."""
AGENT_WAIT_SECONDS = 60.0
"""How long the launcher waits for the registry to know the local server."""
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0
"""Seconds of uptime after which a service's back-off starts again from 1 s."""
SERVICE_STOP_TIMEOUT = 10.0
"""Seconds services get to stop after SIGTERM before SIGKILL."""
GROUP = "services"
"""The name of the process that runs the services together (`VARANUS_PROCESSES=one`); its log is `services.log`."""
PROCESS_MODES = ("one", "each")
"""`VARANUS_PROCESSES`: the services in one process (default), or each in its own."""
MALLOC_ARENA_MAX = "2"
"""glibc's arenas per Python process (default 8 per core): the services are mostly one thread, and idle arenas
hold freed memory."""
PID_FILE = Path("run") / "launcher.pid"
"""The launcher's pid, for `./run stats` (relative to the data folder)."""
SERVER_STOP_TIMEOUT = 5.0
"""Seconds NATS and MongoDB get to stop after SIGTERM before SIGKILL (all within 20 s with the services')."""


ENVIRONMENT_HELP = """environment:
  VARANUS_DATA_DIR     data, logs and generated keys (default ./data)
  VARANUS_NATS_PORT    port of the embedded nats-server (default 4222)
  VARANUS_MONGO_PORT   port of the embedded nx-27017 (default 27017)
  KOMODO_PORT          port of the HTTP gateway (default 9120)
  VARANUS_PROCESSES    one: every service but the agent in one process (default, the least memory);
                       each: every service in its own process
  KOMODO_FIRST_SERVER_NAME
                       the server created on first start for this host, with an agent, when the
                       Docker socket is there (default Local)
  KOMODO_NATS_URL      use this NATS instead of starting one
  KOMODO_DATABASE_URI  use this MongoDB instead of starting one (or KOMODO_DATABASE_ADDRESS with
                       KOMODO_DATABASE_USERNAME and KOMODO_DATABASE_PASSWORD)
"""


async def _quiet(err: Exception) -> None:
    """An error callback for connections whose failures the caller handles (no trace on the console)."""


def docker_socket(env: Mapping[str, str]) -> str | None:
    """The local Docker endpoint when there is one (`DOCKER_HOST`, or the default unix socket if it exists)."""
    host = env.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return host
    path = Path(host.removeprefix("unix://") if host else "/var/run/docker.sock")
    return str(path) if path.exists() else None


class LaunchError(Exception):
    """Something the launcher cannot start; the message says what to do."""


def discover_services(root: Path = SERVICES_DIR) -> list[str]:
    """Service packages that run as their own process: `services/<name>/__main__.py`."""
    return sorted(
        path.parent.name for path in root.glob("*/__main__.py") if path.parent.name not in NOT_SERVICES
    )


def log(message: str) -> None:
    """A launcher line on stdout, with the time."""
    print(f"{time.strftime('%H:%M:%S')} launcher: {message}", flush=True)


def reap_group(pgid: int) -> None:
    """SIGKILL whatever is left in a process group whose leader has exited (a child it forked, say)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


@dataclass
class Config:
    """What the launcher reads from the environment."""

    data_dir: Path
    nats_port: int
    mongo_port: int
    gateway_port: int
    nats_url: str | None
    database_uri: str | None
    processes: str = "one"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read `VARANUS_*` and `KOMODO_*` variables; a malformed port is a LaunchError naming it."""

        def port(name: str, default: int) -> int:
            raw = env.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise LaunchError(f"{name}={raw!r} is not a port number")
            return int(raw)

        processes = env.get("VARANUS_PROCESSES", "one")
        if processes not in PROCESS_MODES:
            raise LaunchError(f"VARANUS_PROCESSES={processes!r} is not one of {', '.join(PROCESS_MODES)}")
        external_db = env.get("KOMODO_DATABASE_URI") or env.get("KOMODO_DATABASE_URI_FILE")
        if not external_db and env.get("KOMODO_DATABASE_ADDRESS"):
            external_db = "address"
        return cls(
            data_dir=Path(env.get("VARANUS_DATA_DIR", "data")).resolve(),
            nats_port=port("VARANUS_NATS_PORT", 4222),
            mongo_port=port("VARANUS_MONGO_PORT", 27017),
            gateway_port=port("KOMODO_PORT", 9120),
            nats_url=env.get("KOMODO_NATS_URL") or None,
            database_uri=external_db or None,
            processes=processes,
        )


@dataclass
class Supervised:
    """A service process and its restart state."""

    name: str
    members: tuple[str, ...] = ()
    """The services this process runs together (empty: the one service `name`)."""
    proc: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = BACKOFF_START
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Launcher:
    """Starts and supervises the embedded servers and the services."""

    def __init__(self, config: Config, env: Mapping[str, str]) -> None:
        self.config = config
        self.base_env = dict(env)
        self.servers: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.services: dict[str, Supervised] = {}
        self.stopping = asyncio.Event()
        self._system: tuple[Settings, dict[str, str]] | None = None
        self.logs = config.data_dir / "logs"

    def check_ports(self, services: list[str]) -> None:
        """Refuse to start when a port Varanus needs is taken, naming it."""
        wanted: list[tuple[str, int, str]] = []
        if self.config.nats_url is None:
            wanted.append(("NATS", self.config.nats_port, "VARANUS_NATS_PORT"))
        if self.config.database_uri is None:
            wanted.append(("MongoDB", self.config.mongo_port, "VARANUS_MONGO_PORT"))
        if "gateway" in services:
            wanted.append(("gateway", self.config.gateway_port, "KOMODO_PORT"))
        for what, port, variable in wanted:
            if embedded.port_in_use(port):
                raise LaunchError(
                    f"{what} port {port} ({variable}) is already in use; free it or set {variable}"
                )

    def nats_authorization(self) -> Path:
        """Write the embedded NATS's config: every client is admitted by the registry's auth callout.

        The issuer key and the two passwords (the callout's `auth` user, the services' `varanus` user) are
        generated once into the data folder (mode 0600); the services get them as `*_FILE` settings.
        """
        files = write_callout_files(self.config.data_dir, "nats/nats.conf")
        self.base_env.update(files.service_env(registry=True))
        return files.config

    def start_servers(self) -> tuple[str, str]:
        """Start the embedded NATS and MongoDB that are not given by URL; return both URLs."""
        nats_url = self.config.nats_url
        if nats_url is None:
            port = self.config.nats_port
            config = self.nats_authorization()
            proc = embedded.start_nats(port, self.config.data_dir / "nats", self.logs / "nats.log", config)
            self.servers.append(("nats", proc))
            nats_url = f"nats://127.0.0.1:{port}"
        database_uri = self.base_env.get("KOMODO_DATABASE_URI", "")
        if self.config.database_uri is None:
            port = self.config.mongo_port
            proc = embedded.start_mongo(
                port,
                self.config.data_dir / "mongo",
                self.logs / "mongo.log",
                self.config.data_dir / "run" / "mongo.pid",
            )
            self.servers.append(("mongo", proc))
            database_uri = f"mongodb://127.0.0.1:{port}"
        return nats_url, database_uri

    def init_admin(self) -> tuple[str, str | None]:
        """The init admin's username, and its password when it was generated just now (to print it once).

        When `KOMODO_INIT_ADMIN_USERNAME`/`_PASSWORD` are not given, the admin is `admin` with a random password
        kept in `$VARANUS_DATA_DIR/admin.password` (mode 0600).
        """
        given = self.base_env.get("KOMODO_INIT_ADMIN_USERNAME")
        if given and (
            self.base_env.get("KOMODO_INIT_ADMIN_PASSWORD")
            or self.base_env.get("KOMODO_INIT_ADMIN_PASSWORD_FILE")
        ):
            return given, None
        path = self.config.data_dir / "admin.password"
        fresh = not path.exists()
        password = read_or_create_key_file(path)
        self.base_env.setdefault("KOMODO_INIT_ADMIN_USERNAME", "admin")
        self.base_env["KOMODO_INIT_ADMIN_PASSWORD_FILE"] = str(path)
        return self.base_env["KOMODO_INIT_ADMIN_USERNAME"], password if fresh else None

    def service_env(self, nats_url: str, database_uri: str) -> dict[str, str]:
        """The environment every service gets."""
        env = {**self.base_env, "KOMODO_NATS_URL": nats_url, "VARANUS_DATA_DIR": str(self.config.data_dir)}
        if docker_socket(self.base_env) is not None:
            env.setdefault("KOMODO_FIRST_SERVER_NAME", FIRST_SERVER_NAME)
        if database_uri:
            env["KOMODO_DATABASE_URI"] = database_uri
        env.setdefault("KOMODO_PORT", str(self.config.gateway_port))
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX)
        return env

    async def spawn(self, service: Supervised, env: dict[str, str]) -> None:
        """Start one service process (or the services run together), its output appended to `logs/<name>.log`."""
        module = (
            ["services.common.together", *service.members]
            if service.members
            else [f"services.{service.name}"]
        )
        with (self.logs / f"{service.name}.log").open("ab") as out:
            service.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                *module,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(SERVICES_DIR.parent),
            )
        service.started_at = time.monotonic()

    async def supervise(self, service: Supervised, env: dict[str, str]) -> None:
        """Keep a service running: when it exits, log it and restart it after a growing pause."""
        while not self.stopping.is_set():
            assert service.proc is not None
            code = await service.proc.wait()
            reap_group(service.proc.pid)
            if self.stopping.is_set():
                return
            if time.monotonic() - service.started_at >= STABLE_AFTER:
                service.backoff = BACKOFF_START
            what = f"{service.name} ({', '.join(service.members)})" if service.members else service.name
            log(
                f"{what} exited with code {code}; restarting in {service.backoff:g} s "
                f"(see {self.logs / (service.name + '.log')})"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), service.backoff)
            if self.stopping.is_set():
                return
            service.backoff = min(service.backoff * 2, BACKOFF_MAX)
            service.restarts += 1
            await self.spawn(service, env)
            log(f"{service.name} restarted (pid {service.proc.pid})")

    def system_access(self, env: dict[str, str]) -> tuple[Settings, dict[str, str]]:
        """Settings and System credentials for the launcher's own requests (the services' NATS user, the data
        folder's JWT key), loaded once."""
        if self._system is None:
            password_file = env.get("KOMODO_NATS_PASSWORD_FILE")
            password = Path(password_file).read_text(encoding="utf-8").strip() if password_file else ""
            settings = Settings.load(
                data_dir=self.config.data_dir,
                nats_url=env["KOMODO_NATS_URL"],
                nats_user=env.get("KOMODO_NATS_USER", ""),
                nats_password=password,
            )
            self._system = (settings, {"Authorization": load_jwt_signer(settings).issue(SYSTEM_USER_ID)})
        return self._system

    async def wait_for_registry(self, env: dict[str, str]) -> None:
        """Wait (up to a minute) until the registry answers on the bus, so the other services can connect."""
        settings, headers = self.system_access(env)
        deadline = time.monotonic() + AGENT_WAIT_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                nc = await nats.connect(
                    settings.nats_connect_urls(), allow_reconnect=False, connect_timeout=2, error_cb=_quiet
                )
            except Exception:
                await asyncio.sleep(0.3)
                continue
            try:
                await request_over(nc, GetVersion(), headers, 2.0)
                return
            except (Unavailable, RemoteError):
                await asyncio.sleep(0.3)
            finally:
                await nc.close()
        log(
            f"the registry did not answer within {AGENT_WAIT_SECONDS:g} s; starting the other services anyway"
        )

    async def local_server(self, nc: NatsClient, headers: dict[str, str], name: str) -> Server | None:
        """The server named `name`, asked of the registry as the System user (None: there is none)."""
        deadline = time.monotonic() + AGENT_WAIT_SECONDS
        while not self.stopping.is_set():
            try:
                server: Server = await request_over(nc, GetServer(server=name), headers, 5.0)
                return server
            except RemoteError as err:
                if err.status == 404:
                    log(f"no server named {name!r} (other servers existed first); no local agent started")
                    return None
                raise
            except Unavailable:
                if time.monotonic() > deadline:
                    log(
                        f"the registry did not answer within {AGENT_WAIT_SECONDS:g} s; no local agent started"
                    )
                    return None
                await asyncio.sleep(0.5)
        return None

    async def agent_token_file(self, nc: NatsClient, headers: dict[str, str], server_id: str) -> Path | None:
        """A fresh agent credential for the local server, written 0600 into the data folder (None: failed)."""
        try:
            credential: AgentCredential = await request_over(
                nc, IssueAgentCredential(server=server_id), headers, 10.0
            )
        except (RemoteError, Unavailable) as err:
            log(f"could not issue the local agent's credential ({err.message}); no local agent started")
            return None
        path = self.config.data_dir / "agent.token"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(credential.token + "\n", encoding="utf-8")
        return path

    async def start_local_agent(self, env: dict[str, str]) -> None:
        """Run an agent for this host's server, when the Docker socket is there and the server exists."""
        if not (SERVICES_DIR / AGENT / "__main__.py").exists() or "KOMODO_FIRST_SERVER_NAME" not in env:
            return
        settings, headers = self.system_access(env)
        nc = await nats.connect(settings.nats_connect_urls(), max_reconnect_attempts=-1, error_cb=_quiet)
        try:
            await self._start_local_agent(env, nc, headers)
        finally:
            await nc.close()

    async def _start_local_agent(self, env: dict[str, str], nc: NatsClient, headers: dict[str, str]) -> None:
        server = await self.local_server(nc, headers, env["KOMODO_FIRST_SERVER_NAME"])
        if server is None:
            return
        # The agent gets its own NATS credential and none of the services' secrets, as on a remote host.
        agent_env = {
            key: value
            for key, value in env.items()
            if not key.startswith(("KOMODO_NATS_", "KOMODO_JWT_", "KOMODO_SECRETS_", "KOMODO_INIT_ADMIN_"))
            and not key.startswith("KOMODO_DATABASE_")
        }
        agent_env.update(KOMODO_NATS_URL=env["KOMODO_NATS_URL"], VARANUS_AGENT_SERVER_ID=server.id)
        if env.get("KOMODO_NATS_AUTH_PASSWORD_FILE"):
            token_file = await self.agent_token_file(nc, headers, server.id)
            if token_file is None:
                return
            agent_env["VARANUS_AGENT_TOKEN_FILE"] = str(token_file)
        service = Supervised(AGENT)
        self.services[AGENT] = service
        await self.spawn(service, agent_env)
        service.task = asyncio.create_task(self.supervise(service, agent_env))

    def write_pid_file(self) -> None:
        """Write the launcher's pid for `./run stats`."""
        path = self.config.data_dir / PID_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n", encoding="utf-8")

    def table(self, nats_url: str, database_uri: str) -> str:
        """What runs where: name, pid, address and log file, one process a row."""
        rows = [("NAME", "PID", "ADDRESS", "LOG")]
        for name, proc in self.servers:
            where = nats_url if name == "nats" else database_uri
            rows.append((name, str(proc.pid), where, str(self.logs / f"{name}.log")))
        if self.config.nats_url is not None:
            rows.append(("nats", "-", nats_url, "(external, KOMODO_NATS_URL)"))
        if self.config.database_uri is not None:
            # Not the URI itself: it may hold a password.
            address = self.base_env.get("KOMODO_DATABASE_ADDRESS") or "KOMODO_DATABASE_URI"
            rows.append(("mongo", "-", address, "(external, KOMODO_DATABASE_*)"))
        for service in self.services.values():
            pid = str(service.proc.pid) if service.proc else "-"
            for name in service.members or (service.name,):
                where = f"http://127.0.0.1:{self.config.gateway_port}" if name == "gateway" else "-"
                rows.append((name, pid, where, str(self.logs / f"{service.name}.log")))
        width = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(
            f"  {a:<{width[0]}}  {b:<{width[1]}}  {c:<{width[2]}}  {d}".rstrip() for a, b, c, d in rows
        )

    async def stop_services(self) -> None:
        """SIGTERM every service's process group; SIGKILL what is left after 10 s.

        Polls rather than waiting on one process after another, so a restart that was under way when the stop
        came is caught too: its supervisor returns once it sees `stopping`, and its new process is signalled in
        the next round.
        """
        tasks = [s.task for s in self.services.values() if s.task is not None]
        signalled: dict[int, str] = {}
        deadline = time.monotonic() + SERVICE_STOP_TIMEOUT
        killed = False
        while True:
            running = [s for s in self.services.values() if s.proc is not None and s.proc.returncode is None]
            if not running and all(task.done() for task in tasks):
                break
            for service in running:
                assert service.proc is not None
                if service.proc.pid not in signalled:
                    signalled[service.proc.pid] = service.name
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(service.proc.pid, signal.SIGTERM)
            if not killed and time.monotonic() > deadline and running:
                killed = True
                for service in running:
                    assert service.proc is not None
                    log(f"{service.name} did not stop in {SERVICE_STOP_TIMEOUT:g} s; killing it")
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(service.proc.pid, signal.SIGKILL)
            if time.monotonic() > deadline + 3:
                break  # killed and still there: nothing more a signal can do
            await asyncio.sleep(0.05)
        for task in tasks:
            await cancel_and_wait(task)
        for pgid in signalled:
            reap_group(pgid)

    def stop_servers(self) -> None:
        """Stop MongoDB and NATS together: SIGTERM to both groups, SIGKILL what is left after 5 s."""
        for _name, proc in self.servers:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + SERVER_STOP_TIMEOUT
        for name, proc in reversed(self.servers):
            code = embedded.stop(proc, timeout=max(0.1, deadline - time.monotonic()))
            reap_group(proc.pid)
            log(f"{name} stopped (code {code})")
        self.servers.clear()

    async def run(self) -> int:
        """Start everything, wait for a stop signal, stop everything; the exit code."""
        names = discover_services()
        self.check_ports(names)
        self.logs.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        try:
            nats_url, database_uri = await asyncio.to_thread(self.start_servers)
            admin, new_password = self.init_admin()
            env = self.service_env(nats_url, database_uri)
            self.write_pid_file()
            if self.config.processes == "one":
                # One process; it starts the registry first itself.
                group = Supervised(GROUP, members=tuple(sorted(names, key=lambda n: n != REGISTRY)))
                self.services[GROUP] = group
                await self.spawn(group, env)
                group.task = asyncio.create_task(self.supervise(group, env))
                names = []
            # The registry first: it answers NATS's auth callout, without which no other service may connect.
            for name in sorted(names, key=lambda n: n != REGISTRY):
                service = Supervised(name)
                self.services[name] = service
                await self.spawn(service, env)
                service.task = asyncio.create_task(self.supervise(service, env))
                if name == REGISTRY and len(names) > 1:
                    await self.wait_for_registry(env)
            await self.start_local_agent(env)
            print(f"Varanus is running (data in {self.config.data_dir}):", flush=True)
            print(self.table(nats_url, database_uri), flush=True)
            if new_password is not None:
                print(
                    f"First admin: {admin} / {new_password}  (shown once; stored in "
                    f"{self.config.data_dir / 'admin.password'}, mode 0600)",
                    flush=True,
                )
            else:
                print(f"Admin user: {admin}", flush=True)
            print(f"Web UI: http://127.0.0.1:{self.config.gateway_port}/", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            await self.stopping.wait()
            log("stopping")
        finally:
            await self.stop_services()
            self.stop_servers()
            (self.config.data_dir / PID_FILE).unlink(missing_ok=True)
        log("stopped")
        return 0


def main(argv: list[str] | None = None) -> int:
    """Command line of the launcher."""
    parser = argparse.ArgumentParser(
        prog="varanus-launcher",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=ENVIRONMENT_HELP,
    )
    parser.add_argument("command", choices=["up"], help="up: start everything and run until Ctrl-C")
    parser.parse_args(argv)
    try:
        config = Config.from_env(os.environ)
        return asyncio.run(Launcher(config, os.environ).run())
    except (LaunchError, RuntimeError, FileNotFoundError) as err:
        log(f"error: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
