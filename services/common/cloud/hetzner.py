"""Hetzner Cloud through `hcloud` (synchronous, so every call runs in a worker thread).

Errors of the API (a wrong token, an unknown server type or image, a limit) become `CloudError`s naming Hetzner
and its error code; the token never appears in them.

A template's volumes are created first (labelled as ours), then attached by the server's creation; when the
server cannot be created they are deleted again. Terminating a machine deletes the server, then the volumes we
created for it (a volume someone attached by hand carries no `varanus-managed` label and is kept).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from hcloud import APIException, Client
from hcloud.firewalls.domain import Firewall
from hcloud.images.domain import Image
from hcloud.locations.domain import Location
from hcloud.networks.domain import Network
from hcloud.placement_groups.domain import PlacementGroup
from hcloud.server_types.domain import ServerType
from hcloud.servers.domain import ServerCreatePublicNetwork
from hcloud.ssh_keys.domain import SSHKey
from hcloud.volumes.domain import Volume

from services.common.cloud.machines import MANAGED_TAG, CloudError, Machine
from services.common.cloud.settings import CloudSettings

SERVER_TYPES = {
    "SharedAmd2Core2Ram40Disk": "cpx11",
    "SharedArm2Core4Ram40Disk": "cax11",
    "SharedIntel2Core4Ram40Disk": "cx22",
    "SharedAmd3Core4Ram80Disk": "cpx21",
    "SharedArm4Core8Ram80Disk": "cax21",
    "SharedIntel4Core8Ram80Disk": "cx32",
    "SharedAmd4Core8Ram160Disk": "cpx31",
    "SharedArm8Core16Ram160Disk": "cax31",
    "SharedIntel8Core16Ram160Disk": "cx42",
    "SharedAmd8Core16Ram240Disk": "cpx41",
    "SharedArm16Core32Ram320Disk": "cax41",
    "SharedIntel16Core32Ram320Disk": "cx52",
    "SharedAmd16Core32Ram360Disk": "cpx51",
    "DedicatedAmd2Core8Ram80Disk": "ccx13",
    "DedicatedAmd4Core16Ram160Disk": "ccx23",
    "DedicatedAmd8Core32Ram240Disk": "ccx33",
    "DedicatedAmd16Core64Ram360Disk": "ccx43",
    "DedicatedAmd32Core128Ram600Disk": "ccx53",
    "DedicatedAmd48Core192Ram960Disk": "ccx63",
}
"""Komodo's server type names and Hetzner's."""

LOCATIONS = {
    "Nuremberg1Dc3": "nbg1",
    "Helsinki1Dc2": "hel1",
    "Falkenstein1Dc14": "fsn1",
    "AshburnDc1": "ash",
    "HillsboroDc1": "hil",
    "SingaporeDc1": "sin",
}
"""Komodo's datacenter names and the Hetzner location each is in."""


log = logging.getLogger(__name__)

VOLUME_DELETE_ATTEMPTS = 5
"""Tries of deleting a volume after its server went (Hetzner detaches it in the background)."""


@dataclass(frozen=True)
class HetznerVolume:
    """A volume to create with the server."""

    name: str
    size_gb: int
    format: str = "xfs"
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HetznerSpec:
    """What to launch (a Hetzner ServerTemplate's params, in Hetzner's names)."""

    server_type: str
    image: str
    location: str
    ssh_keys: list[str] = field(default_factory=list)
    network_ids: list[int] = field(default_factory=list)
    firewall_ids: list[int] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    enable_public_ipv4: bool = True
    enable_public_ipv6: bool = True
    placement_group: int = 0
    """Id of the placement group, 0 for none."""
    volumes: list[HetznerVolume] = field(default_factory=list)


def _error(action: str, err: Exception, settings: CloudSettings) -> CloudError:
    if isinstance(err, APIException):
        text = f"Hetzner refused to {action}: {err.code}: {err.message}"
    else:
        text = f"Hetzner could not {action}: {type(err).__name__}: {err}"
    for secret in settings.secrets():
        text = text.replace(secret, "<redacted>")
    return CloudError(text)


def _label_value(value: str) -> str:
    """Hetzner label values: at most 63 of `[a-zA-Z0-9._-]`."""
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in value)[:63]


def _location(server: Any) -> str:
    location = getattr(server, "location", None)
    return str(getattr(location, "name", "") or "")


def _delete_our_volume(client: Client, volume_id: int) -> None:
    """Delete a volume we created (labelled `varanus-managed`) once its server let go of it."""
    for attempt in range(1, VOLUME_DELETE_ATTEMPTS + 1):
        try:
            volume = client.volumes.get_by_id(volume_id)
            if MANAGED_TAG not in (volume.labels or {}):
                return
            client.volumes.delete(Volume(id=volume_id))
            return
        except APIException as err:
            if err.code == "not_found":
                return
            # Still attached while Hetzner detaches it from the deleted server.
            if attempt == VOLUME_DELETE_ATTEMPTS:
                raise
            time.sleep(attempt)


class HetznerCloud:
    """One Hetzner Cloud project (the token's)."""

    provider = "Hetzner"

    def __init__(self, settings: CloudSettings, spec: HetznerSpec) -> None:
        self.settings = settings
        self.spec = spec

    def _client(self) -> Client:
        if not self.settings.hetzner_token:
            raise CloudError("Hetzner: KOMODO_HETZNER_TOKEN is not set")
        endpoint = self.settings.hetzner_endpoint_url or "https://api.hetzner.cloud/v1"
        return Client(token=self.settings.hetzner_token, api_endpoint=endpoint, timeout=30)

    async def launch(self, name: str, user_data: str, tags: dict[str, str]) -> Machine:
        spec = self.spec
        labels = {**spec.labels, **{k: _label_value(v) for k, v in tags.items() if k != "Name"}}

        def create() -> str:
            client = self._client()
            volumes: list[Any] = []
            try:
                for volume in spec.volumes:
                    made = client.volumes.create(
                        size=volume.size_gb,
                        name=f"{name}-{volume.name}",
                        labels={**volume.labels, **labels},  # type: ignore[arg-type]
                        location=Location(name=spec.location),
                        format=volume.format,
                    )
                    volumes.append(made.volume)
                created = client.servers.create(
                    name=name,
                    server_type=ServerType(name=spec.server_type),
                    image=Image(name=spec.image),
                    location=Location(name=spec.location),
                    ssh_keys=[SSHKey(name=key) for key in spec.ssh_keys] or None,
                    networks=[Network(id=i) for i in spec.network_ids] or None,
                    firewalls=[Firewall(id=i) for i in spec.firewall_ids] or None,
                    volumes=volumes or None,
                    automount=True if volumes else None,
                    placement_group=PlacementGroup(id=spec.placement_group) if spec.placement_group else None,
                    user_data=user_data,
                    labels=labels,
                    public_net=ServerCreatePublicNetwork(
                        enable_ipv4=spec.enable_public_ipv4, enable_ipv6=spec.enable_public_ipv6
                    ),
                )
            except Exception:
                for made_volume in volumes:
                    try:
                        client.volumes.delete(made_volume)
                    except Exception as err:  # the launch's own error is what the caller must see
                        log.error(
                            "could not delete volume %s after a failed launch of %s: %s",
                            made_volume.id,
                            name,
                            _error("delete a volume", err, self.settings),
                        )
                raise
            return str(created.server.id)

        try:
            server_id = await asyncio.to_thread(create)
        except CloudError:
            raise
        except Exception as err:  # hcloud raises APIException, requests' errors on a connection
            raise _error(
                f"create a {spec.server_type} server from {spec.image} in {spec.location}", err, self.settings
            ) from None
        return Machine("Hetzner", server_id, spec.location, name, labels)

    async def terminate(self, machine: Machine) -> None:
        def delete() -> None:
            client = self._client()
            try:
                server = client.servers.get_by_id(int(machine.cloud_id))
            except APIException as err:
                if err.code == "not_found":
                    return
                raise
            attached = [int(volume.id) for volume in server.volumes or [] if volume.id is not None]
            server.delete()
            for volume_id in attached:
                _delete_our_volume(client, volume_id)

        try:
            await asyncio.to_thread(delete)
        except CloudError:
            raise
        except Exception as err:
            raise _error(f"delete server {machine.cloud_id}", err, self.settings) from None

    async def list_ours(self, install: str) -> list[Machine]:
        def listed() -> list[Machine]:
            client = self._client()
            servers = client.servers.get_all(label_selector=f"{MANAGED_TAG}={_label_value(install)}")
            return [
                Machine(
                    "Hetzner",
                    str(s.id),
                    _location(s) or self.spec.location,
                    s.name or "",
                    dict(s.labels or {}),
                )
                for s in servers
            ]

        try:
            return await asyncio.to_thread(listed)
        except CloudError:
            raise
        except Exception as err:
            raise _error("list servers", err, self.settings) from None
