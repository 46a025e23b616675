"""NATS with authorization: the config of an embedded nats-server whose clients the registry's auth callout
admits, the names involved, and how a process connects with its credentials."""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import nkeys
from nats_jwt.nkeys_ext import nkeys2

from services.common.secrets import read_or_create_key_file

SERVICE_USER = "varanus"
"""The NATS user of the Varanus services."""
AGENT_USER_PREFIX = "agent:"
"""NATS users `agent:<server_id>` are host agents."""
APP_ACCOUNT = "APP"
"""The NATS account every authorized client lands in (JetStream enabled there)."""
SYSTEM_NATS_USER = "sys"
"""The NATS user of the system account (same password as `auth`): the registry closes the connections of API
keys that were deleted or whose user was disabled through it (`$SYS.REQ.SERVER.<id>.KICK`)."""


def agent_inbox(server_id: str) -> str:
    """The inbox prefix an agent connects with (`nats.connect(..., inbox_prefix=...)`)."""
    return f"_INBOX_{server_id}"


def new_issuer_seed() -> str:
    """A fresh account nkey seed (`SA...`) to sign user JWTs with; its public key goes into the NATS config."""
    seed: bytes = nkeys2.create_account_pair().seed
    return seed.decode()


def callout_config(issuer_public_key: str, auth_password: str) -> str:
    """A nats-server config whose clients are all authorized by the registry's auth callout.

    The user `auth` (account AUTH) is the callout's own connection; the user `sys` (the system account SYS, the
    same password) lets the registry close a client's connection; every other client lands in account APP,
    where JetStream is enabled, with the subjects the callout grants it.
    """
    if not issuer_public_key.startswith("A") or '"' in auth_password or "\n" in auth_password:
        raise ValueError("the issuer must be an account public key and the password a plain token")
    return f"""accounts {{
  AUTH {{ users: [ {{ user: auth, password: "{auth_password}" }} ] }}
  APP {{ jetstream: enabled }}
  SYS {{ users: [ {{ user: {SYSTEM_NATS_USER}, password: "{auth_password}" }} ] }}
}}
system_account: SYS
authorization {{
  auth_callout {{
    issuer: {issuer_public_key}
    auth_users: [ auth, {SYSTEM_NATS_USER} ]
    account: AUTH
  }}
}}
"""


@dataclass(frozen=True)
class CalloutFiles:
    """Where the files of a callout-guarded NATS are: the config to include and the three secrets."""

    config: Path
    """The nats-server config (accounts and the auth callout), to use or to `include`."""
    issuer_seed: Path
    """The account seed the registry signs user JWTs with."""
    auth_password: Path
    """The password of the callout's own NATS user `auth`."""
    services_password: Path
    """The password of the services' NATS user `varanus`."""

    def service_env(self, registry: bool) -> dict[str, str]:
        """The settings a service needs to connect (the registry also those to answer the callout)."""
        env = {"KOMODO_NATS_USER": SERVICE_USER, "KOMODO_NATS_PASSWORD_FILE": str(self.services_password)}
        if registry:
            env.update(
                KOMODO_NATS_AUTH_PASSWORD_FILE=str(self.auth_password),
                KOMODO_NATS_SERVICES_PASSWORD_FILE=str(self.services_password),
                KOMODO_NATS_ISSUER_SEED_FILE=str(self.issuer_seed),
            )
        return env


def write_callout_files(folder: Path, config_name: str = "auth.conf") -> CalloutFiles:
    """Generate (once; mode 0600) the issuer seed and passwords in `folder`, and (each time) the config."""
    files = CalloutFiles(
        config=folder / config_name,
        issuer_seed=folder / "nats-issuer.seed",
        auth_password=folder / "nats-auth.password",
        services_password=folder / "nats-services.password",
    )
    seed = read_or_create_key_file(files.issuer_seed, new_issuer_seed)
    issuer = nkeys.from_seed(seed.encode()).public_key.decode()
    auth_password = read_or_create_key_file(files.auth_password)
    read_or_create_key_file(files.services_password)
    files.config.parent.mkdir(parents=True, exist_ok=True)
    files.config.write_text(callout_config(issuer, auth_password), encoding="utf-8")
    files.config.chmod(0o600)
    return files


def main(argv: list[str] | None = None) -> int:
    """`python -m services.common.nats_auth FOLDER`: write a callout-guarded NATS's files (compose's init job)."""
    parser = argparse.ArgumentParser(
        prog="python -m services.common.nats_auth",
        description="Generate the issuer key, the passwords (once) and the auth.conf of a NATS whose clients "
        "the Varanus registry admits through the auth callout.",
    )
    parser.add_argument(
        "folder", type=Path, help="where to write auth.conf and the secrets (kept if present)"
    )
    files = write_callout_files(parser.parse_args(argv).folder)
    print(f"wrote {files.config}; secrets in {files.config.parent} (mode 0600)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


ONBOARD_USER = "onboard"
"""The NATS user a new agent connects as, with its onboarding key as password, to ask for its credential."""


def onboarding_inbox(public_key: str) -> str:
    """The inbox prefix of an agent onboarding with a key (`_INBOX_ob_<public key>`)."""
    return f"_INBOX_ob_{public_key}"


def public_key_of(private_key: str) -> str:
    """The public key of a private key: its SHA-256 digest, base64url without padding."""
    digest = hashlib.sha256(private_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
