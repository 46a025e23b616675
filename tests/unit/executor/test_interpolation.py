"""`[[NAME]]` interpolation: Komodo's two passes, missing names, skip_secret_interp and redaction."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml

from services.common.errors import BadRequest
from services.common.interpolation import Interpolation, references
from services.executor.stacks.run import merged_yaml


def values(skip: bool = False) -> Interpolation:
    return Interpolation(
        variables={"HOST": "db.local", "TRICK": "[[PASSWORD]]"},
        secrets={"PASSWORD": "hunter22", "PASSWORD_LONG": "hunter22-and-more"},
        skip_secrets=skip,
    )


def test_variables_then_secrets_are_replaced_and_recorded() -> None:
    found = values()
    assert found.apply("postgres://u:[[PASSWORD]]@[[HOST]]/x") == "postgres://u:hunter22@db.local/x"
    assert found.used_variables == {"HOST": "db.local"}
    assert found.used_secrets == {"PASSWORD": "hunter22"}
    logs = found.logs(0)
    assert [log.stage for log in logs] == ["Interpolate Variables", "Interpolate Secrets"]
    assert logs[0].stdout == "HOST => db.local" and "hunter22" not in logs[1].stdout


def test_a_plain_variable_naming_a_secret_is_resolved_in_the_second_pass_but_logged_redacted() -> None:
    found = values()
    assert found.apply("[[TRICK]]") == "hunter22"
    assert found.logs(0)[0].stdout == "TRICK => [[PASSWORD]]"


def test_missing_names_are_all_reported_and_reserved_placeholders_are_not_variables() -> None:
    found = values()
    assert references("op run -- [[COMPOSE_COMMAND]] [[X]]") == {"X"}
    with pytest.raises(BadRequest) as err:
        found.check(["A=[[NOPE]]", "B=[[ALSO]] [[HOST]]"])
    assert "[[ALSO]], [[NOPE]]" in err.value.message


def test_skip_secret_interp_leaves_secret_references_but_still_redacts() -> None:
    found = values(skip=True)
    found.check(["T=[[PASSWORD]]"])
    assert found.apply("T=[[PASSWORD]] [[HOST]]") == "T=[[PASSWORD]] db.local"
    assert found.redact("echo hunter22") == "echo <PASSWORD>"


def test_redaction_hides_the_longest_secret_first() -> None:
    assert values().redact("x hunter22-and-more y hunter22") == "x <PASSWORD_LONG> y <PASSWORD>"


def test_text_without_references_is_unchanged() -> None:
    assert values().apply("services:\n  web: {ports: [[80, 81]]}") == "services:\n  web: {ports: [[80, 81]]}"


def test_a_secret_with_quotes_is_hidden_in_json_and_shell_forms_too() -> None:
    secret = "pa\"ss\\word it's"
    values = Interpolation(variables={}, secrets={"PW": secret})
    assert values.redact(json.dumps({"pw": secret})) == '{"pw": "<PW>"}'
    assert values.redact(shlex.join(["--password", secret])) == "--password <PW>"
    assert secret not in values.redact(f"raw {secret}")


def test_the_merged_config_is_yaml_without_secrets() -> None:
    secret = "s3cr3t: with 'quotes' and # hash"
    values = Interpolation(variables={}, secrets={"DB": secret})
    config = {"name": "web", "services": {"app": {"environment": {"DB_PASSWORD": secret, "MODE": "prod"}}}}
    kept = merged_yaml(json.dumps(config), values)
    assert kept.startswith("name: web\n")
    assert yaml.safe_load(kept)["services"]["app"]["environment"] == {"DB_PASSWORD": "<DB>", "MODE": "prod"}
    assert "s3cr3t" not in kept
