"""Encryption of secrets at rest (Fernet: AES-128-CBC with HMAC-SHA256), keyed by `KOMODO_SECRETS_KEY`.

The key may be any string; it is stretched with SHA-256 into a Fernet key. When no key is configured, one is
generated into `<data dir>/secrets.key` with mode 0600 on first use and read from there afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets as pysecrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from services.common.logging import redactor
from services.common.settings import Settings

PREFIX = "enc:v1:"
"""Marks a stored value as encrypted."""


class SecretBox:
    """Encrypts and decrypts secret strings for storage."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the secrets key is empty")
        digest = hashlib.sha256(key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, value: str) -> str:
        """Return the stored form of `value` (empty stays empty, so "no secret" is visible)."""
        if not value:
            return ""
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """Return the plain value of a stored secret; values stored before encryption pass through."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            value = self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as err:
            raise ValueError("a stored secret cannot be decrypted with this KOMODO_SECRETS_KEY") from err
        redactor.add(value)
        return value


def read_or_create_key_file(path: Path, generate: Callable[[], str] | None = None) -> str:
    """The key stored in `path`, generated (by `generate`, else random; mode 0600) on first use; race-safe.

    The key is written to a private temporary file first and then hard-linked into place, so a process that
    loses the race never reads a file that exists but is still empty (the gateway and the registry start at
    the same moment under `./run up` and both need the JWT key).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it with mode 0600
                handle.write((generate() if generate is not None else pysecrets.token_urlsafe(32)) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text(encoding="utf-8").strip()


def load_secret_box(settings: Settings) -> SecretBox:
    """The SecretBox for this deployment: configured key, or the generated key file in the data folder."""
    key = settings.secrets_key.get_secret_value()
    if not key:
        key = read_or_create_key_file(settings.data_dir / "secrets.key")
    return SecretBox(key)
