"""The stack's compose command wrapper: how the compose command is placed in it, and what is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.api.agent.compose import ComposeUp, StackFiles
from services.agent.compose.wrapper import Wrapper

COMPOSE = ["docker", "compose", "-p", "web", "up", "-d", "--", "app"]
STACK = StackFiles(folder="web", project="web")


def test_a_word_of_its_own_becomes_the_arguments() -> None:
    wrapper = Wrapper("op run --env-file 'my secrets.env' -- [[COMPOSE_COMMAND]]")
    assert wrapper.argv(COMPOSE) == ["op", "run", "--env-file", "my secrets.env", "--", *COMPOSE]


def test_a_quoted_placeholder_becomes_one_command_line() -> None:
    wrapper = Wrapper("sops exec-file --no-fifo /run/secret.env '[[COMPOSE_COMMAND]] --wait'")
    assert wrapper.argv(COMPOSE) == [
        "sops",
        "exec-file",
        "--no-fifo",
        "/run/secret.env",
        "docker compose -p web up -d -- app --wait",
    ]
    hostile = Wrapper('sh -c "[[COMPOSE_COMMAND]]"')
    assert hostile.argv(["docker", "compose", "-p", "a;rm -rf /"]) == [
        "sh",
        "-c",
        "docker compose -p 'a;rm -rf /'",
    ]


def test_what_is_wrapped() -> None:
    assert Wrapper("op run -- [[COMPOSE_COMMAND]]").wraps("up")
    assert not Wrapper("op run -- [[COMPOSE_COMMAND]]").wraps("pull")
    assert Wrapper("x [[COMPOSE_COMMAND]]", ("config", "pull")).wraps("pull")
    assert not Wrapper("", ("up",)).wraps("up")


def test_a_wrapper_without_the_placeholder_or_unbalanced_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"must contain \[\[COMPOSE_COMMAND\]\]"):
        ComposeUp(stack=STACK, compose_cmd_wrapper="op run --")
    with pytest.raises(ValidationError, match="cannot be parsed"):
        ComposeUp(stack=STACK, compose_cmd_wrapper="sh -c '[[COMPOSE_COMMAND]]")
    with pytest.raises(ValidationError, match="'deploy' cannot be wrapped"):
        ComposeUp(
            stack=STACK, compose_cmd_wrapper="x [[COMPOSE_COMMAND]]", compose_cmd_wrapper_include=["deploy"]
        )
    assert ComposeUp(stack=STACK, compose_cmd_wrapper="  ").compose_cmd_wrapper == ""
