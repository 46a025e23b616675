"""A launched machine, the tags that mark it as ours, and the error a cloud gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Protocol

from services.common.errors import BadRequest

MANAGED_TAG: Final = "varanus-managed"
"""Tag (AWS) or label (Hetzner) on every machine Varanus launches; its value is the install's `db_prefix`."""
PURPOSE_TAG: Final = "varanus-purpose"
"""`builder` (one build's machine) or `server` (launched from a ServerTemplate)."""
OWNER_TAG: Final = "varanus-owner"
"""The id of what the machine is for: the Build or Repo for a builder machine, the ServerTemplate for a server."""
NAME_TAG: Final = "Name"
"""The machine's name (the server name its agent joins as)."""


class CloudError(BadRequest):
    """The cloud refused or failed a request; the message names the cloud and says what it answered."""


@dataclass(frozen=True)
class Machine:
    """One machine in a cloud."""

    provider: str
    """`Aws` or `Hetzner`."""
    cloud_id: str
    """The cloud's id: `i-...` on AWS, the server id on Hetzner."""
    region: str = ""
    """The AWS region or the Hetzner location."""
    name: str = ""
    """Its name."""
    tags: dict[str, str] = field(default_factory=dict)
    """Its tags (labels)."""

    def describe(self) -> str:
        """`Aws instance i-123 (us-east-1)` — for Update logs."""
        kind = "instance" if self.provider == "Aws" else "server"
        where = f" ({self.region})" if self.region else ""
        return f"{self.provider} {kind} {self.cloud_id}{where}"


def ours(install: str, purpose: str, owner: str, name: str) -> dict[str, str]:
    """The tags of a machine launched by the install `install` (its `db_prefix`)."""
    return {MANAGED_TAG: install, PURPOSE_TAG: purpose, OWNER_TAG: owner, NAME_TAG: name}


class Cloud(Protocol):
    """One cloud account in one region, launching and terminating machines."""

    provider: str

    async def launch(self, name: str, user_data: str, tags: dict[str, str]) -> Machine:
        """Start a machine booting `user_data`; a `CloudError` naming the cloud when it refuses."""
        ...

    async def terminate(self, machine: Machine) -> None:
        """Terminate the machine (done when it is gone already); a `CloudError` when it cannot."""
        ...

    async def list_ours(self, install: str) -> list[Machine]:
        """The live machines tagged as launched by `install`."""
        ...
