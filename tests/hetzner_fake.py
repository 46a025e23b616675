"""A small fake of the Hetzner Cloud API: only the endpoints `hcloud` calls for servers (create, get, list with a
label selector, delete) and volumes (create, get, delete), with bearer-token checks and a server limit, on
loopback in a thread. Tests read `servers` (which keeps each server's `user_data`, as Hetzner's metadata service
would give the machine) and `volumes`."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SERVER_TYPES = {"cpx11", "cax11", "cx22", "cpx21", "cpx31", "ccx13"}
IMAGES = {"ubuntu-24.04", "debian-12"}
LOCATIONS = {"nbg1", "hel1", "fsn1", "ash", "hil", "sin"}
CREATED = "2026-12-05T00:00:00+00:00"


def _action(command: str, resource_id: int, kind: str = "server") -> dict[str, Any]:
    return {
        "id": resource_id * 10,
        "command": command,
        "status": "success",
        "progress": 100,
        "started": CREATED,
        "finished": CREATED,
        "resources": [{"id": resource_id, "type": kind}],
        "error": None,
    }


@dataclass
class HetznerFake:
    """The fake's state: its token, servers by id (deleted ones leave), and every request seen."""

    token: str
    servers: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""
    fail_deletes: int = 0
    """Answer this many DELETEs with a 503 (a cloud that cannot terminate for a while)."""
    server_limit: int = 100
    """More servers than this at once is refused with `resource_limit_exceeded` (the project's quota)."""
    volumes: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Volumes by id; a server's deletion detaches its volumes."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def public(self, server: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in server.items() if k != "user_data"}


def _handler(fake: HetznerFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: dict[str, Any] | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"error": {"code": code, "message": message, "details": None}})

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self._error(401, "unauthorized", "unable to authenticate")
                return False
            return True

        def _server_id(self) -> int | None:
            parts = urlparse(self.path).path.rstrip("/").split("/")
            return int(parts[-1]) if parts[-1].isdigit() else None

        def _volumes(self) -> bool:
            return "/volumes" in urlparse(self.path).path

        def do_GET(self) -> None:
            if not self._authorized():
                return
            server_id = self._server_id()
            if self._volumes():
                with fake.lock:
                    volume = fake.volumes.get(server_id or 0)
                    if volume is None:
                        self._error(404, "not_found", f"volume with ID '{server_id}' not found")
                    else:
                        self._send(200, {"volume": dict(volume)})
                return
            with fake.lock:
                if server_id is not None:
                    server = fake.servers.get(server_id)
                    if server is None:
                        self._error(404, "not_found", f"server with ID '{server_id}' not found")
                    else:
                        self._send(200, {"server": fake.public(server)})
                    return
                query = parse_qs(urlparse(self.path).query)
                wanted = dict(
                    part.split("=", 1)
                    for part in query.get("label_selector", [""])[0].split(",")
                    if "=" in part
                )
                found = [
                    fake.public(s)
                    for s in fake.servers.values()
                    if all(s["labels"].get(k) == v for k, v in wanted.items())
                ]
            meta = {
                "pagination": {
                    "page": 1,
                    "per_page": 50,
                    "previous_page": None,
                    "next_page": None,
                    "last_page": 1,
                    "total_entries": len(found),
                }
            }
            self._send(200, {"servers": found, "meta": meta})

        def do_POST(self) -> None:
            if not self._authorized():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self._volumes():
                self._create_volume(body)
                return
            if body.get("server_type") not in SERVER_TYPES:
                self._error(400, "invalid_input", f"unsupported server type {body.get('server_type')!r}")
                return
            if body.get("image") not in IMAGES:
                self._error(400, "invalid_input", f"image {body.get('image')!r} not found")
                return
            if body.get("location") is not None and body["location"] not in LOCATIONS:
                self._error(400, "invalid_input", f"location {body.get('location')!r} not found")
                return
            with fake.lock:
                if len(fake.servers) >= fake.server_limit:
                    self._error(
                        403, "resource_limit_exceeded", f"server limit of {fake.server_limit} exceeded"
                    )
                    return
                missing = [v for v in body.get("volumes") or [] if v not in fake.volumes]
                if missing:
                    self._error(400, "invalid_input", f"volumes {missing} not found")
                    return
                fake.next_id += 1
                server_id = fake.next_id
                for volume_id in body.get("volumes") or []:
                    fake.volumes[volume_id]["server"] = server_id
                server = {
                    "id": server_id,
                    "name": body["name"],
                    "status": "running",
                    "created": CREATED,
                    "labels": body.get("labels") or {},
                    "location": {"id": 1, "name": body.get("location") or "nbg1"},
                    "volumes": list(body.get("volumes") or []),
                    "user_data": body.get("user_data") or "",
                    "request": {k: v for k, v in body.items() if k != "user_data"},
                }
                fake.servers[server_id] = server
            self._send(
                201,
                {
                    "server": fake.public(server),
                    "action": _action("create_server", server_id),
                    "next_actions": [],
                    "root_password": None,
                },
            )

        def _create_volume(self, body: dict[str, Any]) -> None:
            if body.get("location") not in LOCATIONS or int(body.get("size") or 0) < 10:
                self._error(400, "invalid_input", "a volume needs a known location and at least 10 GB")
                return
            with fake.lock:
                fake.next_id += 1
                volume = {
                    "id": fake.next_id,
                    "name": body["name"],
                    "size": body["size"],
                    "format": body.get("format"),
                    "labels": body.get("labels") or {},
                    "location": {"id": 1, "name": body["location"]},
                    "server": None,
                    "status": "available",
                    "created": CREATED,
                    "linux_device": f"/dev/disk/by-id/scsi-0HC_Volume_{fake.next_id}",
                    "protection": {"delete": False},
                }
                fake.volumes[fake.next_id] = volume
            self._send(
                201,
                {
                    "volume": volume,
                    "action": _action("create_volume", volume["id"], "volume"),
                    "next_actions": [],
                },
            )

        def do_DELETE(self) -> None:
            if not self._authorized():
                return
            server_id = self._server_id()
            if self._volumes():
                with fake.lock:
                    volume = fake.volumes.get(server_id or 0)
                    if volume is None:
                        self._error(404, "not_found", f"volume with ID '{server_id}' not found")
                    elif volume["server"] is not None:
                        self._error(423, "locked", "volume is attached to a server")
                    else:
                        del fake.volumes[volume["id"]]
                        self._send(204, None)
                return
            with fake.lock:
                if fake.fail_deletes > 0:
                    fake.fail_deletes -= 1
                    self._error(503, "unavailable", "service unavailable")
                    return
                if server_id is None or server_id not in fake.servers:
                    self._error(404, "not_found", f"server with ID '{server_id}' not found")
                    return
                del fake.servers[server_id]
                fake.deleted.append(server_id)
                for volume in fake.volumes.values():
                    if volume["server"] == server_id:
                        volume["server"] = None
            self._send(200, {"action": _action("delete_server", server_id)})

    return Handler


def start(token: str) -> tuple[HetznerFake, ThreadingHTTPServer]:
    """Serve a fake on 127.0.0.1:<free port>; its API address is `fake.url`."""
    fake = HetznerFake(token=token)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return fake, httpd
