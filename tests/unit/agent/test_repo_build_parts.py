"""The pure parts of repos and image builds on the agent: folder names, command lines, redaction, the build
command as run and as shown, the CLI version probe, the build registry, progress batching, request checks."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.api.agent import build as api
from contracts.api.agent.compose import GitSource
from contracts.api.agent.repo import RepoLocation, folder_for_name
from contracts.entities.update import Log
from services.agent.image_build.cli import BuildCli, client_major
from services.agent.image_build.image import build_argv
from services.agent.image_build.progress import Progress
from services.agent.image_build.running import RunningBuilds
from services.agent.redact import Redactor
from services.agent.repo.checkout import command_line
from services.common.errors import Busy


def test_folder_for_name_keeps_safe_characters_only() -> None:
    assert folder_for_name("my repo/v2 (x)") == "my_repo_v2__x_"
    assert folder_for_name("app.v1-2_3") == "app.v1-2_3"
    for bad in ("", "..", "."):
        with pytest.raises(ValueError):
            folder_for_name(bad)
    with pytest.raises(ValidationError):
        RepoLocation(name="x", path="a/../../b")


def test_command_line_joins_lines_as_komodo() -> None:
    assert command_line("npm ci\n\n# build it\n  npm run build  \n") == "npm ci && npm run build"
    assert command_line("  \n# only a comment\n") == ""


def test_redactor_removes_secrets_and_token_forms() -> None:
    source = GitSource(url="https://git.example/a.git", username="bot", token="tok-123")
    basic = base64.b64encode(b"bot:tok-123").decode()
    redactor = Redactor.of(["value-1", "", "  ", "value-1-longer"], source)
    assert redactor.text(f"a value-1-longer b value-1 c tok-123 d {basic}") == (
        "a <redacted> b <redacted> c <redacted> d <redacted>"
    )
    log = Log(stage="s", command="echo value-1", stdout="value-1", stderr="tok-123", success=True)
    cleaned = redactor.log(log)
    assert (cleaned.command, cleaned.stdout, cleaned.stderr) == (
        "echo <redacted>",
        "<redacted>",
        "<redacted>",
    )


def test_build_command_names_secrets_by_id_only() -> None:
    request = api.BuildImage(
        build_key="b1",
        dockerfile="FROM x\n",
        build_args={"VERSION": "1.2.3"},
        secret_args={"TOKEN": "very-secret"},
        labels={"a": "b"},
        extra_args=["--pull=false", "--network", "host"],
        tags=["reg/x:1", "reg/x:latest"],
    )
    cli = BuildCli(docker="docker", build=("docker", "build"))
    argv, shown = build_argv(
        cli, request, Path("/s/Dockerfile"), Path("/ctx"), {"TOKEN": Path("/s/secrets/TOKEN")}
    )
    assert argv == [
        "docker", "build", "--progress", "plain", "--force-rm", "-f", "/s/Dockerfile",
        "--build-arg", "VERSION=1.2.3", "--secret", "id=TOKEN,src=/s/secrets/TOKEN", "--label", "a=b",
        "--pull=false", "--network", "host", "-t", "reg/x:1", "-t", "reg/x:latest", "--", "/ctx",
    ]  # fmt: skip
    assert "--secret" in shown and "id=TOKEN" in shown and all("src=" not in word for word in shown)
    assert "very-secret" not in " ".join(argv + shown)


def test_client_major_reads_docker_version() -> None:
    assert client_major("Docker version 20.10.24+dfsg1, build 297e128") == 20
    assert client_major("Docker version 28.2.2, build e6534b4") == 28
    assert client_major("nonsense") is None


def test_build_request_checks() -> None:
    assert api.progress_subject("srv1", "build-1") == "komodo.agent.srv1.progress.build-1"
    good = {"build_key": "k", "tags": ["x:1"], "dockerfile": "FROM x"}
    api.BuildImage.model_validate({**good, "progress_subject": api.progress_subject("srv1", "t")})
    allowed = [
        "--no-cache",
        "--pull",
        "--network",
        "host",
        "--cache-from",
        "reg/x:cache",
        "--platform=linux/amd64",
    ]
    assert api.BuildImage.model_validate({**good, "extra_args": allowed}).extra_args == allowed
    for bad in (
        {"progress_subject": "komodo.agent.srv1.BuildImage"},
        {"progress_subject": "komodo.agent.*.progress.x"},
        {"build_key": "../x"},
        {"tags": []},
        {"tags": ["x y"]},
        {"build_args": {"A B": "1"}},
        {"dockerfile": "", "build_path": "x"},
        {"build_path": "../x"},
        {"extra_args": ["--output", "type=local,dest=/etc"]},
        {"extra_args": ["-otype=local,dest=/"]},
        {"extra_args": ["--secret=id=x,src=/etc/shadow"]},
        {"extra_args": ["-f", "/etc/passwd"]},
        {"extra_args": ["--cache-to", "type=local,dest=/tmp/c"]},
        {"extra_args": ["--cache-from=type=local,src=/tmp/c"]},
        {"extra_args": ["--push"]},
    ):
        with pytest.raises(ValidationError):
            api.BuildImage.model_validate({**good, **bad})


async def test_running_builds_one_per_key_and_cancel() -> None:
    builds = RunningBuilds()
    started = asyncio.Event()

    async def work() -> str:
        started.set()
        await asyncio.sleep(30)
        return "done"

    task = builds.start("k", work())
    await started.wait()
    second = work()
    with pytest.raises(Busy):
        builds.start("k", second)
    assert builds.running() == ["k"] and builds.cancel("other") is False
    assert builds.cancel("k") is True
    with pytest.raises(asyncio.CancelledError):
        await task
    assert builds.running() == [] and builds.cancel("k") is False


async def test_progress_batches_lines_by_stage_redacted_in_order() -> None:
    sent: list[api.BuildProgress] = []

    async def publish(subject: str, payload: bytes) -> None:
        assert subject == "komodo.agent.s.progress.t"
        sent.append(api.BuildProgress.model_validate_json(payload))

    progress = Progress(publish, "komodo.agent.s.progress.t", "key", Redactor.of(["pw"]))
    async with progress.running():
        build, push = progress.sink("Build"), progress.sink("Push")
        assert build("step 1") and build("uses pw") and push("pushing")
    assert [(b.stage, b.seq, b.lines) for b in sent] == [
        ("Build", 0, ["step 1", "uses <redacted>"]),
        ("Push", 1, ["pushing"]),
    ]
    silent = Progress(publish, "", "key", Redactor.of([]))
    async with silent.running():
        silent.sink("Build")("not sent")
    assert len(sent) == 2
