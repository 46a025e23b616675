"""Cloud test helpers: moto in server mode on loopback (session fixture, or `--moto-url`/`VARANUS_TEST_MOTO_URL`),
the Hetzner fake, and `Booter`, which runs a launched machine's user data as the booted machine would: the script
itself, with `sh`, in a temporary folder, with the venv's Python standing for the installed agent."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session

from services.common import embedded
from services.common.cloud.settings import CloudSettings
from services.common.tasks import cancel_and_wait
from tests import hetzner_fake
from tests.hetzner_fake import HetznerFake

AWS_KEY_ID = "AKIAVARANUSTEST00001"
AWS_SECRET = "varanus-test-secret-access-key-0001"
HETZNER_TOKEN = "varanus-test-hetzner-token-0001"


def _moto(servers_dir: Path, name: str, **env: str) -> Iterator[str]:
    """A moto server on 127.0.0.1 with `env` set, until the generator closes."""
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists():
        pytest.fail("moto_server is missing: run ./run setup (moto[server] is a dev dependency)")
    port = embedded.free_port()
    log_path = servers_dir / f"{name}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(binary), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
    try:
        embedded.wait_for_port(port, proc, "moto_server", log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def moto_url(servers_dir: Path) -> Iterator[str]:
    """A moto server (EC2 validating AMIs and instance types) on 127.0.0.1, or the one `VARANUS_TEST_MOTO_URL`
    names."""
    given = os.environ.get("VARANUS_TEST_MOTO_URL", "")
    if given:
        yield given
        return
    yield from _moto(
        servers_dir,
        "moto",
        MOTO_ENABLE_AMI_VALIDATION="true",
        MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION="true",
    )


@pytest.fixture(scope="session")
def moto_checking_credentials(servers_dir: Path) -> Iterator[str]:
    """A moto server that checks credentials as AWS does (IAM authentication from the first request): the test
    keys, which no IAM user holds there, are refused."""
    yield from _moto(servers_dir, "moto-auth", INITIAL_NO_AUTH_ACTION_COUNT="0")


def cloud_settings(moto_url: str = "", hetzner_url: str = "", join_timeout: float = 60.0) -> CloudSettings:
    """Settings reaching moto and the Hetzner fake with the test credentials."""
    return CloudSettings(
        aws_access_key_id=AWS_KEY_ID,
        aws_secret_access_key=AWS_SECRET,
        aws_endpoint_url=moto_url,
        hetzner_token=HETZNER_TOKEN,
        hetzner_endpoint_url=hetzner_url,
        join_timeout_seconds=join_timeout,
        max_launching=2,
    )


def ec2(moto_url: str, region: str = "us-east-1") -> Any:
    """An EC2 client on moto (an async context manager)."""
    return get_session().create_client(
        "ec2",
        region_name=region,
        endpoint_url=moto_url,
        aws_access_key_id=AWS_KEY_ID,
        aws_secret_access_key=AWS_SECRET,
    )


async def an_ami(moto_url: str) -> str:
    """An AMI moto knows."""
    async with ec2(moto_url) as client:
        images = await client.describe_images()
    return str(images["Images"][0]["ImageId"])


async def run_tagged(moto_url: str, ami: str, tags: dict[str, str]) -> str:
    """Launch one t3.micro on moto with `tags` (as something else than Varanus would); its instance id."""
    async with ec2(moto_url) as client:
        answer = await client.run_instances(
            ImageId=ami,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )
    return str(answer["Instances"][0]["InstanceId"])


async def instances(moto_url: str, install: str) -> dict[str, dict[str, Any]]:
    """Every instance tagged as launched by `install`, by id: its state, tags and user data."""
    found: dict[str, dict[str, Any]] = {}
    async with ec2(moto_url) as client:
        page = await client.describe_instances(Filters=[{"Name": "tag:varanus-managed", "Values": [install]}])
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                found[instance["InstanceId"]] = {
                    "state": instance["State"]["Name"],
                    "tags": {t["Key"]: t["Value"] for t in instance.get("Tags", [])},
                }
        for instance_id, entry in found.items():
            data = await client.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
            encoded = data.get("UserData", {}).get("Value", "")
            entry["user_data"] = base64.b64decode(encoded).decode() if encoded else ""
    return found


@dataclass
class Booter:
    """Boots machines: runs each one's user data with `sh` in its own folder under `root`."""

    root: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def boot(self, machine_id: str, user_data: str) -> None:
        """Run the boot script of `machine_id` (once)."""
        if machine_id in self.running:
            return
        home = self.root / machine_id
        home.mkdir(parents=True)
        script = home / "user-data.sh"
        script.write_text(user_data)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KOMODO_", "VARANUS_"))},
            "VARANUS_HOME": str(home),
            "VARANUS_PYTHON": sys.executable,
            "VARANUS_FOREGROUND": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        log = (home / "boot.log").open("ab")
        self.running[machine_id] = subprocess.Popen(
            [shutil.which("sh") or "/bin/sh", str(script)], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def shut_down(self, machine_id: str) -> None:
        """The machine is gone: stop its agent."""
        proc = self.running.get(machine_id)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop(self) -> None:
        """Stop every machine's agent."""
        for machine_id in list(self.running):
            self.shut_down(machine_id)


Seen = tuple[dict[str, str], list[str]]
"""What a cloud holds: the user data of each live machine by id, and the ids of the machines gone."""


@contextlib.asynccontextmanager
async def _booting(root: Path, look: Callable[[], Awaitable[Seen]]) -> AsyncIterator[Booter]:
    """While inside: every live machine `look` reports boots, and its agent stops once the machine is gone."""
    booter = Booter(root)

    async def watch() -> None:
        while True:
            with contextlib.suppress(Exception):
                live, gone = await look()
                for machine_id, user_data in live.items():
                    booter.boot(machine_id, user_data)
                for machine_id in gone:
                    booter.shut_down(machine_id)
            await asyncio.sleep(0.5)

    task = asyncio.create_task(watch())
    try:
        yield booter
    finally:
        await cancel_and_wait(task)
        booter.stop()


@contextlib.asynccontextmanager
async def aws_machines(moto_url: str, install: str, root: Path, boot: bool = True) -> AsyncIterator[Booter]:
    """While inside: every instance `install` launches on moto boots (its user data runs; not with `boot=False`),
    and its agent stops when the instance is terminated, as on EC2."""

    async def look() -> Seen:
        found = await instances(moto_url, install)
        live = {i: e["user_data"] for i, e in found.items() if e["state"] in ("pending", "running") and boot}
        gone = [i for i, e in found.items() if e["state"] in ("shutting-down", "terminated")]
        return live, gone

    async with _booting(root, look) as booter:
        yield booter


@pytest.fixture
def hetzner() -> Iterator[HetznerFake]:
    """The Hetzner Cloud fake, accepting `HETZNER_TOKEN`."""
    fake, httpd = hetzner_fake.start(HETZNER_TOKEN)
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.asynccontextmanager
async def hetzner_machines(fake: HetznerFake, root: Path) -> AsyncIterator[Booter]:
    """While inside: every server created on the fake boots (its user data runs), and its agent stops when the
    server is deleted."""

    async def look() -> Seen:
        with fake.lock:
            return {str(i): s["user_data"] for i, s in fake.servers.items()}, [str(i) for i in fake.deleted]

    async with _booting(root, look) as booter:
        yield booter


@pytest.fixture
async def cloud_builder(
    registry: Any,
    moto_url: str,
    hetzner: HetznerFake,
    nats_url: str,
    mongo_url: str,
    db_prefix: str,
    tmp_path: Path,
) -> AsyncIterator[Any]:
    """The builder service reaching moto and the Hetzner fake, with a 60 s join timeout."""
    from services.builder.app import Builder
    from services.common.settings import Settings

    settings = Settings(
        nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data"
    )
    service = Builder(settings, cloud=cloud_settings(moto_url, hetzner.url, join_timeout=60.0))
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
