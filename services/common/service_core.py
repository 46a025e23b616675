"""What every service beside the registry is made of: its Mongo database, the JWT signer, a bus whose callers are
checked through the registry, the outbox its events leave through, and the registry client."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts.catalog import load_all
from services.common.auth import JwtSigner, load_jwt_signer
from services.common.bus import Bus
from services.common.caller import Authenticator, CredentialCheck
from services.common.mongo import Document, connect, service_database
from services.common.outbox import Outbox
from services.common.registry_client import RegistryClient
from services.common.settings import Settings


@dataclass(frozen=True)
class ServiceCore:
    """The shared parts of a service, wired to each other."""

    client: AsyncMongoClient[Document]
    """The Mongo client (closed by the service's `stop`)."""
    db: AsyncDatabase[Document]
    """The service's own database `<prefix>_<service>`."""
    signer: JwtSigner
    """Signs and verifies the JWTs of the installation (shared data folder)."""
    bus: Bus
    """The service's bus, its outbox set."""
    outbox: Outbox
    """Events that must arrive ride in the writes of this database."""
    registry: RegistryClient
    """Requests to the registry."""


def service_core(name: str, settings: Settings, authenticate: Authenticator | None = None) -> ServiceCore:
    """Build the shared parts of service `name`; callers are checked by `authenticate`, else by the registry
    (credential lookups go through the registry client, bound after the bus it needs)."""
    load_all()
    client = connect(settings)
    db = service_database(client, settings, name)
    signer = load_jwt_signer(settings)
    registry: RegistryClient | None = None

    def bound() -> RegistryClient:
        assert registry is not None, "the registry client is made right after the bus"
        return registry

    check = authenticate or CredentialCheck(
        signer.verify,
        lambda user_id: bound().resolve_caller(user_id),
        lambda key, secret: bound().verify_api_key(key, secret),
    )
    bus = Bus(name, settings, check)
    outbox = Outbox(db)
    bus.outbox = outbox
    registry = RegistryClient(bus, signer)
    return ServiceCore(client, db, signer, bus, outbox, registry)
