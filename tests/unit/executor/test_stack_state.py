"""A Stack's state by Komodo's derivation, with healthchecks counted, and DeployStackIfChanged's decision."""

from __future__ import annotations

from contracts.entities.agent import AgentContainer
from contracts.entities.docker import ContainerStateStatusEnum as S
from contracts.entities.stack import (
    FileContents,
    StackFileDependency,
    StackFileRequires,
    StackServiceState,
    StackState,
    project_name,
    stack_folder,
)
from services.executor.stacks.changes import plan
from services.executor.stacks.state import project_containers, service_state, stack_state


def box(
    service: str, state: S = S.Running, status: str = "Up 3 minutes", project: str = "web"
) -> AgentContainer:
    labels = {"com.docker.compose.project": project, "com.docker.compose.service": service}
    return AgentContainer(name=f"{project}-{service}-1", state=state, status=status, labels=labels)


def test_states_follow_komodos_rules() -> None:
    assert stack_state([], ["app", "db"], []) == StackState.Down
    assert stack_state([box("app")], ["app", "db"], []) == StackState.Unhealthy
    assert stack_state([box("app"), box("db")], ["app", "db"], []) == StackState.Running
    assert stack_state([box("app", S.Exited), box("db", S.Exited)], ["app", "db"], []) == StackState.Stopped
    assert stack_state([box("app", S.Paused), box("db", S.Paused)], [], []) == StackState.Paused
    assert stack_state([box("app"), box("db", S.Exited)], [], []) == StackState.Unhealthy
    assert stack_state([box("app")], ["app", "db"], ["db"]) == StackState.Running


def test_a_failing_healthcheck_is_unhealthy_not_running() -> None:
    sick = box("app", status="Up 2 minutes (unhealthy)")
    assert stack_state([sick, box("db")], ["app", "db"], []) == StackState.Unhealthy
    assert service_state(sick) == StackServiceState.Unhealthy
    assert service_state(box("db", S.Exited)) == StackServiceState.Exited
    assert service_state(None) == StackServiceState.Down


def test_containers_are_matched_by_project_label() -> None:
    mine, other = box("app"), box("app", project="other")
    assert project_containers([mine, other], "web") == [mine]


def test_names_become_safe_projects_and_folders() -> None:
    assert project_name("My Stack.v2") == "my_stack_v2"
    assert project_name("x", "Custom") == "custom"
    assert stack_folder("../etc passwd") == "etc_passwd"
    assert stack_folder("...") == "stack"


def files(**contents: str) -> list[FileContents]:
    return [FileContents(path=path.replace("_", "."), contents=text) for path, text in contents.items()]


def test_deploy_if_changed_decides_like_komodo() -> None:
    deployed = files(compose_yaml="a", env="X=1", app_conf="v1")
    assert plan(None, deployed, [], []).full_deploy
    same = plan(deployed, deployed, [], [])
    assert same.nothing and same.reason == "no changes"
    compose = plan(deployed, files(compose_yaml="b", env="X=1", app_conf="v1"), [], [])
    assert compose.full_deploy and "-a\n+b\n" in compose.diff
    restart = StackFileDependency(path="app.conf", services=["app"], requires=StackFileRequires.Restart)
    only_conf = plan(deployed, files(compose_yaml="a", env="X=1", app_conf="v2"), [], [restart])
    assert not only_conf.full_deploy and only_conf.restart == {"app"}
    ignored = StackFileDependency(path="app.conf", requires=StackFileRequires.None_)
    assert plan(deployed, files(compose_yaml="a", env="X=1", app_conf="v2"), [], [ignored]).nothing
    assert plan(deployed, deployed, ["compose.yaml"], []).full_deploy
