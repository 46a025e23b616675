"""Structured logging: one JSON object per line on stderr, with every known secret value redacted.

Secret values (decrypted variables, tokens, passwords) are registered with `redactor.add()` when a process
learns them; the filter replaces them in every message and field before anything is written.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any

REDACTED = "<redacted>"
_MIN_SECRET_LENGTH = 4
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class Redactor:
    """Holds secret values and removes them from text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str) -> None:
        """Remember values that must never be written (very short ones are ignored: they would mangle text)."""
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= _MIN_SECRET_LENGTH)

    def redact(self, text: str) -> str:
        """Return `text` with every remembered secret replaced by `<redacted>` (longest first)."""
        if not self._values:
            return text
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


redactor = Redactor()
"""The process-wide redactor used by the log formatter."""


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, extra fields, exception."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redactor.redact(json.dumps(entry, default=str))


def setup_logging(service: str, level: str = "INFO") -> None:
    """Send all logging of this process to stderr as JSON lines, redacted, at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("faststream", "nats", "pymongo", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
