"""Settings from KOMODO_* names with *_FILE variants; secrets encrypted at rest; redaction of known secrets."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from services.common.logging import REDACTED, JsonFormatter, Redactor, redactor
from services.common.secrets import PREFIX, SecretBox, load_secret_box
from services.common.settings import Settings


def test_settings_read_komodo_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMODO_NATS_URL", "nats://10.0.0.1:4222")
    monkeypatch.setenv("KOMODO_MONITORING_INTERVAL", "5-sec")
    monkeypatch.setenv("VARANUS_DATA_DIR", "/tmp/varanus-x")
    settings = Settings.load()
    assert settings.nats_url == "nats://10.0.0.1:4222"
    assert settings.monitoring_interval.value == "5-sec"
    assert settings.data_dir == Path("/tmp/varanus-x")


def test_bad_timelength_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMODO_MONITORING_INTERVAL", "7-sec")
    with pytest.raises(ValueError, match="monitoring_interval"):
        Settings.load()


def test_file_variants_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_text("s3cret-from-file\n")
    monkeypatch.setenv("KOMODO_DATABASE_PASSWORD", "from-env")
    monkeypatch.setenv("KOMODO_DATABASE_PASSWORD_FILE", str(tmp_path / "pw"))
    monkeypatch.setenv("KOMODO_DATABASE_USERNAME", "admin")
    monkeypatch.setenv("KOMODO_DATABASE_ADDRESS", "db:27017")
    settings = Settings.load()
    assert settings.database_password.get_secret_value() == "s3cret-from-file"
    assert settings.mongo_uri() == "mongodb://admin:s3cret-from-file@db:27017"
    assert "s3cret" not in repr(settings)


def test_missing_secret_file_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMODO_SECRETS_KEY_FILE", "/nonexistent/key")
    with pytest.raises(RuntimeError, match="KOMODO_SECRETS_KEY_FILE"):
        Settings.load()


def test_database_uri_wins_and_database_names() -> None:
    settings = Settings(database_uri="mongodb://x:1", db_prefix="t_abc")
    assert settings.mongo_uri() == "mongodb://x:1"
    assert settings.database_name("registry") == "t_abc_registry"


def test_secret_box_round_trip() -> None:
    box = SecretBox("a passphrase")
    stored = box.encrypt("token-123")
    assert stored.startswith(PREFIX) and "token-123" not in stored
    assert box.decrypt(stored) == "token-123"
    assert box.encrypt("") == ""
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("another key").decrypt(stored)


def test_generated_key_file_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_secret_box(settings).encrypt("value")
    key_file = tmp_path / "secrets.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_secret_box(settings).decrypt(first) == "value"


def test_redactor_replaces_longest_first() -> None:
    local = Redactor()
    local.add("abcd", "abcdefgh", "")
    assert local.redact("x abcdefgh y abcd") == f"x {REDACTED} y {REDACTED}"


def test_log_lines_are_json_and_redacted() -> None:
    redactor.add("very-secret-token")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "using %s", ("very-secret-token",), None)
    record.server = "srv-1"
    line = JsonFormatter("registry").format(record)
    entry = json.loads(line)
    assert entry["msg"] == f"using {REDACTED}"
    assert entry["service"] == "registry" and entry["server"] == "srv-1"


def test_racing_processes_get_the_same_key(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from services.common.secrets import read_or_create_key_file

    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(read_or_create_key_file, [tmp_path / "jwt.secret"] * 32))
    assert len(keys) == 1 and all(keys)
    assert [p.name for p in tmp_path.iterdir()] == ["jwt.secret"]
