"""The agent's own NATS credential: read from a file, or obtained once by onboarding with an onboarding key.

A new host starts its agent with `VARANUS_AGENT_ONBOARDING_KEY` (and `VARANUS_AGENT_CONNECT_AS`, the server name,
default the host name). The agent asks the registry (`komodo.onboard.OnboardAgent`, connecting to NATS as
`onboard` with the key) for its server and credential, and keeps both in `VARANUS_AGENT_CREDENTIAL_FILE`
(mode 0600); later starts read that file and need no key.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import nats
from pydantic import ValidationError

from contracts.api.base import ErrorEnvelope
from contracts.api.internal.agent import AgentCredential, OnboardAgent
from contracts.subjects import ONBOARD_SUBJECT, STATUS_HEADER
from services.common.nats_auth import ONBOARD_USER, onboarding_inbox, public_key_of

ONBOARD_TIMEOUT_SECONDS = 30.0
"""How long onboarding may take (the registry may be starting)."""


class OnboardingError(RuntimeError):
    """Onboarding was refused or could not happen; the message says why."""


def read_credential(path: Path) -> AgentCredential | None:
    """The credential kept in `path`, or None when there is no file."""
    try:
        return AgentCredential.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as err:
        raise OnboardingError(f"cannot read the agent credential in {path}: {err}") from err


def write_credential(path: Path, credential: AgentCredential) -> None:
    """Keep a credential in `path`, readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(credential.model_dump_json())
    path.chmod(0o600)


def default_connect_as() -> str:
    """The server name an agent onboards as when none is given: the host name."""
    return socket.gethostname()


async def onboard(servers: list[str], onboarding_key: str, connect_as: str) -> AgentCredential:
    """Ask the registry for this host's server and credential with an onboarding key."""
    try:
        nc = await nats.connect(
            servers,
            user=ONBOARD_USER,
            password=onboarding_key,
            inbox_prefix=onboarding_inbox(public_key_of(onboarding_key)),
            allow_reconnect=False,
            connect_timeout=10,
        )
    except Exception as err:
        raise OnboardingError(
            f"NATS refused the onboarding connection ({err}): is the onboarding key valid?"
        ) from err
    try:
        body = OnboardAgent(onboarding_key=onboarding_key, connect_as=connect_as).model_dump_json().encode()
        try:
            reply = await nc.request(ONBOARD_SUBJECT, body, timeout=ONBOARD_TIMEOUT_SECONDS)
        except Exception as err:
            raise OnboardingError(
                f"no answer to the onboarding request ({err}): is the registry running?"
            ) from err
    finally:
        await nc.close()
    status = int((reply.headers or {}).get(STATUS_HEADER, "200"))
    if status != 200:
        try:
            message = ErrorEnvelope.model_validate_json(reply.data).error
        except ValidationError:
            message = reply.data.decode(errors="replace")[:200]
        raise OnboardingError(f"onboarding as {connect_as!r} refused ({status}): {message}")
    try:
        return AgentCredential.model_validate(json.loads(reply.data))
    except (ValueError, ValidationError) as err:
        raise OnboardingError(f"the onboarding answer is not a credential: {err}") from err
