"""NATS auth callout: the registry decides who may connect to NATS, and to which subjects.

nats-server asks (`$SYS.REQ.USER.AUTH`, a JWT with the client's connect options) and the registry answers with
a user JWT signed by the issuer account key, naming exactly the subjects that client may publish and subscribe
to; NATS then enforces them. Three kinds of client:

- the Varanus services (user `varanus` and the services password): everything;
- a host's agent (user `agent:<server_id>` and its agent token): publish and subscribe on its own
  `komodo.agent.<server_id>.>`, subscribe to its own inbox `_INBOX_<server_id>.>`, answer requests it received
  (NATS "allow responses") and nothing else — so it can neither send commands nor read other agents' traffic;
- a user with an API key (user `<key>`, password `<secret>`): publish Komodo requests (`komodo.read|write|
  execute.>`) and subscribe to its own inbox `_INBOX_<key>.>` (connect with that `inbox_prefix`).

Nobody is ever granted `_INBOX.>`: whoever may subscribe to it reads every reply on the bus.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import nkeys
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.subjects import ONBOARD_SUBJECT
from services.common.errors import ServiceError
from services.common.nats_auth import (
    AGENT_USER_PREFIX,
    APP_ACCOUNT,
    SERVICE_USER,
    agent_inbox,
    onboarding_inbox,
)

log = logging.getLogger(__name__)

CALLOUT_SUBJECT = "$SYS.REQ.USER.AUTH"
"""Where nats-server sends authorization requests."""
USER_JWT_SECONDS = 24 * 60 * 60
"""Lifetime of an issued user JWT: a client that stays connected longer is asked again on reconnect."""


@dataclass(frozen=True)
class Grants:
    """What one client may do on NATS."""

    name: str
    """Who it is (shown in the server's logs)."""
    publish: list[str] = field(default_factory=list)
    """Subjects it may publish to."""
    subscribe: list[str] = field(default_factory=list)
    """Subjects it may subscribe to."""
    respond: bool = False
    """Whether it may answer requests it received (publish once to their reply subject)."""


def service_grants() -> Grants:
    """The Varanus services: every subject."""
    return Grants(name=SERVICE_USER, publish=[">"], subscribe=[">"])


def agent_grants(server_id: str) -> Grants:
    """A host's agent: its own subjects and inbox, and answers to requests it received."""
    own = f"komodo.agent.{server_id}.>"
    return Grants(
        name=f"{AGENT_USER_PREFIX}{server_id}",
        publish=[own],
        subscribe=[own, f"{agent_inbox(server_id)}.>"],
        respond=True,
    )


def onboarding_grants(public_key: str) -> Grants:
    """A new agent with an onboarding key: ask for its credential, and hear the answer on its own inbox."""
    return Grants(
        name=f"onboard:{public_key[:8]}",
        publish=[ONBOARD_SUBJECT],
        subscribe=[f"{onboarding_inbox(public_key)}.>"],
    )


def api_key_grants(key: str) -> Grants:
    """A user's bus client: Komodo's requests, and its own inbox for the answers."""
    return Grants(
        name=key,
        publish=["komodo.read.>", "komodo.write.>", "komodo.execute.>"],
        subscribe=[f"_INBOX_{key}.>"],
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (the server's request arrives on a connection only the auth user has)."""
    try:
        payload = token.split(".")[1]
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (IndexError, ValueError) as err:
        raise ValueError("the authorization request is not a JWT") from err
    return claims


def encode_jwt(claims: dict[str, Any], issuer: nkeys.KeyPair) -> str:
    """A JWT signed with an nkey (NATS's `ed25519-nkey`), with NATS's `jti` (base32 SHA-256 of the claims)."""
    body = dict(claims)
    body["jti"] = ""
    body["jti"] = (
        base64.b32encode(hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).digest())
        .decode()
        .rstrip("=")
    )
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    signature = issuer.sign(f"{header}.{payload}".encode())
    return f"{header}.{payload}.{_b64(signature)}"


def user_jwt(user_nkey: str, grants: Grants, issuer: nkeys.KeyPair, now: int) -> str:
    """The user JWT that puts a client in the APP account with exactly its grants."""
    nats_claims: dict[str, Any] = {
        "type": "user",
        "version": 2,
        "pub": {"allow": grants.publish},
        "sub": {"allow": grants.subscribe},
    }
    if grants.respond:
        nats_claims["resp"] = {"max": 1, "ttl": 0}
    claims = {
        "sub": user_nkey,
        "aud": APP_ACCOUNT,
        "iss": issuer.public_key.decode(),
        "name": grants.name,
        "iat": now,
        "exp": now + USER_JWT_SECONDS,
        "nats": nats_claims,
    }
    return encode_jwt(claims, issuer)


def response_jwt(request: dict[str, Any], issuer: nkeys.KeyPair, jwt: str = "", error: str = "") -> str:
    """The authorization response to a server's request: a user JWT, or an error."""
    nats = request.get("nats") or {}
    body: dict[str, Any] = {"type": "authorization_response", "version": 2}
    if error:
        body["error"] = error
    else:
        body["jwt"] = jwt
    claims = {
        "aud": (nats.get("server_id") or {}).get("id", ""),
        "sub": nats.get("user_nkey", ""),
        "iss": issuer.public_key.decode(),
        "iat": int(time.time()),
        "nats": body,
    }
    return encode_jwt(claims, issuer)


Decide = Callable[[str, str], Awaitable[Grants]]
"""Given a client's user and password, its grants; raises ServiceError (or ValueError) to refuse it."""


def services_decider(services_password: str, others: Decide) -> Decide:
    """Grants for the services' own user (checked in constant time), else whatever `others` decides."""

    async def decide(user: str, password: str) -> Grants:
        if user == SERVICE_USER:
            if services_password and hmac.compare_digest(password.encode(), services_password.encode()):
                return service_grants()
            raise ValueError("wrong password for the services' NATS user")
        return await others(user, password)

    return decide


class AuthCallout:
    """Answers nats-server's authorization requests on a connection made as the auth user."""

    def __init__(self, issuer: nkeys.KeyPair, decide: Decide) -> None:
        self.issuer = issuer
        self.decide = decide

    async def start(self, nc: NatsClient) -> None:
        """Answer authorization requests (replicas share them through a queue group)."""
        await nc.subscribe(CALLOUT_SUBJECT, queue="varanus-auth-callout", cb=self._on_request)

    async def answer(self, token: str) -> str:
        """The signed authorization response to one request JWT."""
        request = decode_claims(token)
        nats = request.get("nats") or {}
        options = nats.get("connect_opts") or {}
        user, password = str(options.get("user") or ""), str(options.get("pass") or "")
        try:
            grants = await self.decide(user, password)
        except (ServiceError, ValueError) as err:
            reason = err.message if isinstance(err, ServiceError) else str(err)
            log.info("NATS connection refused for %r: %s", user, reason)
            return response_jwt(request, self.issuer, error=f"not authorized: {reason}")
        jwt = user_jwt(str(nats.get("user_nkey", "")), grants, self.issuer, int(time.time()))
        return response_jwt(request, self.issuer, jwt=jwt)

    async def _on_request(self, msg: Msg) -> None:
        try:
            reply = await self.answer(msg.data.decode())
        except Exception:
            log.exception("auth callout failed")
            return
        await msg.respond(reply.encode())
