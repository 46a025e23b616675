"""The `docker create` arguments of a deployment's container, and the `docker run` line its Log shows."""

from __future__ import annotations

from contracts.api.agent.container import RunContainer
from services.agent.handlers.run import create_args, run_command


def request() -> RunContainer:
    return RunContainer(
        name="web",
        image="local/busybox:1",
        network="bridge",
        ports=["127.0.0.1:8080:80"],
        environment=["KEY=s3cret", "MODE=prod"],
        restart="on-failure",
        command=["httpd", "-f"],
        extra_args=["--memory 64m"],
    )


def test_the_container_is_created_with_komodos_options_and_the_env_in_a_file() -> None:
    args = create_args(request(), "/run/env")
    assert args[:7] == ["create", "--pull", "never", "--name", "web", "--network", "bridge"]
    assert args[args.index("--env-file") : args.index("--env-file") + 2] == ["--env-file", "/run/env"]
    assert "on-failure:10" in args and args[-5:] == ["--memory", "64m", "local/busybox:1", "httpd", "-f"]
    assert not any("s3cret" in part for part in args)


def test_the_log_shows_the_docker_run_line_without_values() -> None:
    shown = run_command(request())
    assert shown.startswith("docker run -d --name web --network bridge -p 127.0.0.1:8080:80 ")
    assert "--env KEY=... --env MODE=..." in shown and "s3cret" not in shown
