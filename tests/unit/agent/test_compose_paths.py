"""The compose stack's pure parts: resolving and checking paths, and the `docker compose` argument lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.api.agent import compose as api
from contracts.entities.common import SearchCombinator
from services.agent.compose import args
from services.agent.compose.files import write_file
from services.agent.compose.paths import inside, stack_paths
from services.agent.compose.up import service_names
from services.agent.settings import AgentConfig, AgentConfigError, host_directories
from services.common.errors import BadRequest
from services.common.git_transport import REDACTED, scrub
from services.common.settings import Settings


def stack(**fields: object) -> api.StackFiles:
    return api.StackFiles.model_validate({"folder": "web", "project": "web", **fields})


def test_the_stack_folder_and_run_directory_resolve_under_the_stack_root(tmp_path: Path) -> None:
    paths = stack_paths(stack(run_directory="deploy/prod"), tmp_path, ())
    root = tmp_path.resolve()
    assert paths.folder == root / "web"
    assert paths.run_dir == root / "web" / "deploy" / "prod"
    assert paths.boundary == paths.folder and not paths.on_host
    assert paths.file("compose.yaml") == paths.run_dir / "compose.yaml"
    assert stack_paths(stack(), tmp_path, ()).run_dir == root / "web"


def test_a_symlinked_stack_root_is_resolved_first(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    paths = stack_paths(stack(), tmp_path / "link", ())
    assert paths.folder == (tmp_path / "real" / "web").resolve()


def test_symlinks_leaving_the_stack_folder_are_refused(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    folder = tmp_path / "web"
    folder.mkdir()
    (folder / "escape").symlink_to(outside)
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "inner.yaml").symlink_to(folder / "real.yaml")
    paths = stack_paths(stack(), tmp_path, ())
    with pytest.raises(BadRequest, match=r"passwd\.yaml"):
        paths.file("passwd.yaml")
    with pytest.raises(BadRequest, match="outside the stack folder"):
        paths.check(["compose.yaml", "escape/compose.yaml"])
    assert paths.file("inner.yaml") == (folder / "real.yaml").resolve()  # a symlink inside is fine
    with pytest.raises(BadRequest, match="run directory 'escape'"):
        stack_paths(stack(run_directory="escape"), tmp_path, ())
    (tmp_path / "evil").symlink_to(outside)
    with pytest.raises(BadRequest, match="stack folder 'evil'"):
        stack_paths(stack(folder="evil"), tmp_path, ())


def test_host_directories_must_be_allowed(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    allowed = tmp_path_factory.mktemp("allowed")
    other = tmp_path_factory.mktemp("other")
    paths = stack_paths(stack(host_directory=str(allowed / "app")), tmp_path, (allowed,))
    assert paths.on_host and paths.run_dir == allowed.resolve() / "app" and paths.boundary == paths.run_dir
    assert stack_paths(stack(host_directory=str(tmp_path / "x")), tmp_path, ()).on_host
    with pytest.raises(BadRequest, match=str(other)):
        stack_paths(stack(host_directory=str(other)), tmp_path, (allowed,))
    with pytest.raises(BadRequest):
        stack_paths(stack(host_directory="/etc"), tmp_path, ())
    (allowed / "sneaky").symlink_to(other)
    with pytest.raises(BadRequest, match="sneaky"):
        stack_paths(stack(host_directory=str(allowed / "sneaky")), tmp_path, (allowed,))
    # Files of a stack on the host stay in its run directory, even inside an allowed folder.
    (allowed / "app").mkdir()
    (allowed / "app" / "up.yaml").symlink_to(allowed / "secret.env")
    with pytest.raises(BadRequest, match=r"up\.yaml"):
        stack_paths(stack(host_directory=str(allowed / "app")), tmp_path, (allowed,)).file("up.yaml")


def test_inside_compares_whole_components() -> None:
    assert inside(Path("/a/b"), Path("/a")) and inside(Path("/a"), Path("/a"))
    assert not inside(Path("/ab"), Path("/a")) and not inside(Path("/"), Path("/a"))


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "-f", "a\nb", ""])
def test_the_contract_refuses_paths_that_leave(bad: str) -> None:
    with pytest.raises(ValidationError):
        stack(file_paths=[bad])
    with pytest.raises(ValidationError):
        stack(files=[{"path": bad, "contents": ""}])


def test_compose_arguments() -> None:
    base = args.project_args("web", ["compose.yaml", "prod.yaml"], [".env", "extra.env"])
    assert base == [
        "-p",
        "web",
        "-f",
        "compose.yaml",
        "-f",
        "prod.yaml",
        "--env-file",
        ".env",
        "--env-file",
        "extra.env",
    ]
    assert args.up_args(["-p", "w"], ["--build"], 30, ["db", "api"]) == [
        "-p", "w", "up", "-d", "--build", "--timeout", "30", "--", "db", "api",
    ]  # fmt: skip
    assert args.up_args(["-p", "w"], [], None, []) == ["-p", "w", "up", "-d"]
    assert args.config_args(["-p", "w"]) == ["-p", "w", "config", "--format", "json"]
    assert args.pull_args(["-p", "w"], ["db"]) == ["-p", "w", "pull", "--", "db"]
    assert args.build_args(["-p", "w"], ["--no-cache"], []) == ["-p", "w", "build", "--no-cache"]
    assert args.down_args("w", 5, []) == ["-p", "w", "down", "--timeout", "5"]
    down = api.ComposeExecution(
        project="w", command="down", stop_time=3, remove_orphans=True, services=["db"]
    )
    assert args.execution_args(["-p", "w"], down) == [
        "-p",
        "w",
        "down",
        "--timeout",
        "3",
        "--remove-orphans",
        "--",
        "db",
    ]
    start = api.ComposeExecution(project="w", command="start", stop_time=3, remove_orphans=True)
    assert args.execution_args(["-p", "w"], start) == ["-p", "w", "start"]
    assert args.logs_args("w", ["db"], 50, True) == [
        "-p",
        "w",
        "logs",
        "--no-color",
        "--tail",
        "50",
        "--timestamps",
        "--",
        "db",
    ]


def test_compose_run_arguments_and_how_they_are_shown() -> None:
    request = api.ComposeRun(
        stack=stack(),
        service="api",
        command=["sh", "-c", "echo $A; rm -rf /"],
        detach=True,
        no_deps=True,
        service_ports=True,
        env={"A": "s3cret"},
        workdir="/srv",
        user="1000",
        entrypoint="",
        pull=True,
    )
    arguments = args.run_args(["-p", "web"], request)
    assert arguments == [
        "-p", "web", "run", "--rm", "-T", "--no-deps", "-d", "--service-ports", "-e", "A=s3cret", "-w", "/srv",
        "-u", "1000", "--entrypoint", "", "--pull", "always", "--", "api", "sh", "-c", "echo $A; rm -rf /",
    ]  # fmt: skip
    shown = args.shown(arguments, secret_env=True)
    assert "s3cret" not in shown and "-e A=..." in shown
    assert shown.endswith("-- api sh -c 'echo $A; rm -rf /'")


def test_service_names_follow_komodo() -> None:
    config = {
        "services": {
            "web": {"image": "nginx:1", "container_name": "front"},
            "worker": {"image": "busybox", "deploy": {"replicas": 2}},
            "db": {"image": "postgres"},
        }
    }
    names = [(s.service_name, s.container_name, s.image) for s in service_names("shop", config)]
    assert names == [
        ("db", "shop-db", "postgres"),
        ("web", "front", "nginx:1"),
        ("worker-1", "shop-worker-1", "busybox"),
        ("worker-2", "shop-worker-2", "busybox"),
    ]


def test_tokens_are_scrubbed_in_every_form() -> None:
    source = api.GitSource(url="https://git.example/a/b.git", username="bot", token="t0k/en+x")
    text = "failed t0k/en+x t0k%2Fen%2Bx Ym90OnQway9lbit4"
    assert scrub(text, source) == f"failed {REDACTED} {REDACTED} {REDACTED}"
    assert scrub("nothing", api.GitSource(url="https://git.example/a/b.git")) == "nothing"


def test_stack_settings() -> None:
    settings = Settings(data_dir=Path("/var/lib/varanus"))
    config = AgentConfig(settings=settings, server_id="s1")
    assert config.stack_dir == Path("/var/lib/varanus/stacks") and config.host_directories == ()
    assert AgentConfig(settings=settings, server_id="s1", stack_dir=Path("/srv/stacks")).stack_dir == Path(
        "/srv/stacks"
    )
    assert host_directories("/srv/a::/opt/b") == (Path("/srv/a"), Path("/opt/b"))
    with pytest.raises(AgentConfigError, match="relative"):
        host_directories("/srv/a:relative")


def test_search_matches_like_the_container_search() -> None:
    # The compose search reuses the container search's grep; this pins the part it reuses.
    from services.agent.log_search import search_command

    grep = search_command("-", ["a b"], SearchCombinator.Or, False, False).split(" | ", 1)[1]
    assert grep == "grep -F -e 'a b'"


def test_files_on_the_host_with_a_relative_run_directory_are_below_the_stack_root(tmp_path: Path) -> None:
    paths = stack_paths(stack(files_on_host=True, run_directory="shared/app"), tmp_path, ())
    assert paths.on_host and paths.run_dir == tmp_path.resolve() / "shared" / "app"
    assert paths.boundary == paths.run_dir
    assert stack_paths(stack(files_on_host=True), tmp_path, ()).run_dir == tmp_path.resolve() / "web"
    with pytest.raises(BadRequest, match="below the stack root"):
        stack_paths(stack(files_on_host=True, run_directory="."), tmp_path, ())
    (tmp_path / "out").symlink_to(tmp_path.parent)
    with pytest.raises(BadRequest, match="below the stack root"):
        stack_paths(stack(files_on_host=True, run_directory="out"), tmp_path, ())


def test_a_folder_swapped_for_a_symlink_after_the_check_is_not_written_through(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    paths = stack_paths(stack(), tmp_path, ())
    (paths.folder / "conf").mkdir(parents=True)
    target = paths.file("conf/app.yaml")
    write_file(target, "a: 1\n", None, paths.boundary)
    assert target.read_text() == "a: 1\n"
    # Between the check and the write, the folder becomes a symlink out of the stack.
    (paths.folder / "conf" / "app.yaml").unlink()
    (paths.folder / "conf").rmdir()
    (paths.folder / "conf").symlink_to(outside)
    with pytest.raises(OSError):
        write_file(target, "b: 2\n", None, paths.boundary)
    assert not (outside / "app.yaml").exists()
    # New folders below the boundary are made as the walk goes.
    write_file(paths.file("new/deep/x.env"), "K=v\n", 0o600, paths.boundary)
    assert (paths.folder / "new" / "deep" / "x.env").stat().st_mode & 0o777 == 0o600
