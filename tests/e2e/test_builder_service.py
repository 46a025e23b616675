"""The builder service answers the repo and build reads it owns, with the caller's permissions."""

from __future__ import annotations

from services.builder.app import Builder
from tests.e2e.conftest import BusClient, grant


async def test_action_states_answered_by_the_builder(builder: Builder, client: BusClient) -> None:
    repo = await client.write("CreateRepo", {"name": "app-repo"})
    build = await client.write("CreateBuild", {"name": "app-build"})

    repo_state = await client.read("GetRepoActionState", {"repo": "app-repo"})
    build_state = await client.read("GetBuildActionState", {"build": build["_id"]["$oid"]})

    assert repo_state == {"cloning": False, "pulling": False, "building": False, "renaming": False}
    assert build_state == {"building": False}
    assert repo["name"] == "app-repo"


async def test_action_state_of_an_unreadable_repo_is_refused(
    builder: Builder, client: BusClient, alice: tuple[BusClient, str]
) -> None:
    secret = await client.write("CreateRepo", {"name": "secret-repo"})
    alice_client, _ = alice

    answer = await alice_client.send("read", "GetRepoActionState", {"repo": "secret-repo"})

    assert answer.status in (403, 404), answer.body
    await grant(client, "Read", secret["_id"]["$oid"], kind="Repo")  # positive control: Read is enough
    assert (await alice_client.read("GetRepoActionState", {"repo": "secret-repo"}))["cloning"] is False
