"""NATS with authorization: the config of an embedded nats-server whose clients the registry's auth callout
admits, the names involved, and how a process connects with its credentials."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from nats_jwt.nkeys_ext import nkeys2

SERVICE_USER = "varanus"
"""The NATS user of the Varanus services."""
AGENT_USER_PREFIX = "agent:"
"""NATS users `agent:<server_id>` are host agents."""
APP_ACCOUNT = "APP"
"""The NATS account every authorized client lands in (JetStream enabled there)."""


def agent_inbox(server_id: str) -> str:
    """The inbox prefix an agent connects with (`nats.connect(..., inbox_prefix=...)`)."""
    return f"_INBOX_{server_id}"


def new_issuer_seed() -> str:
    """A fresh account nkey seed (`SA...`) to sign user JWTs with; its public key goes into the NATS config."""
    seed: bytes = nkeys2.create_account_pair().seed
    return seed.decode()


def callout_config(issuer_public_key: str, auth_password: str) -> str:
    """A nats-server config whose clients are all authorized by the registry's auth callout.

    The user `auth` (account AUTH) is the callout's own connection; every other client lands in account APP,
    where JetStream is enabled, with the subjects the callout grants it.
    """
    if not issuer_public_key.startswith("A") or '"' in auth_password or "\n" in auth_password:
        raise ValueError("the issuer must be an account public key and the password a plain token")
    return f"""accounts {{
  AUTH {{ users: [ {{ user: auth, password: "{auth_password}" }} ] }}
  APP {{ jetstream: enabled }}
}}
authorization {{
  auth_callout {{
    issuer: {issuer_public_key}
    auth_users: [ auth ]
    account: AUTH
  }}
}}
"""


def connect_options(user: str, password: str) -> dict[str, Any]:
    """`nats.connect` keyword arguments for a user and password (none when the user is empty)."""
    return {"user": user, "password": password} if user else {}


ONBOARD_USER = "onboard"
"""The NATS user a new agent connects as, with its onboarding key as password, to ask for its credential."""


def onboarding_inbox(public_key: str) -> str:
    """The inbox prefix of an agent onboarding with a key (`_INBOX_ob_<public key>`)."""
    return f"_INBOX_ob_{public_key}"


def public_key_of(private_key: str) -> str:
    """The public key of a private key: its SHA-256 digest, base64url without padding."""
    digest = hashlib.sha256(private_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
