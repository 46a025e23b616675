"""Which kinds a user who is not an admin may create (Komodo's `user_can_create`)."""

from __future__ import annotations

import pytest

ADMIN_ONLY = ["Action", "Alerter", "Builder", "ResourceSync"]


@pytest.mark.parametrize("kind", ADMIN_ONLY)
async def test_only_admins_create_actions_alerters_builders_and_syncs(alice, client, kind):
    bus, _ = alice
    refused = await bus.send("write", f"Create{kind}", {"name": "mine"})
    assert refused.status == 403 and refused.error == f"only admins may create a {kind}"
    made = await client.write(f"Create{kind}", {"name": "theirs"})
    refused = await bus.send("write", f"Copy{kind}", {"name": "copy", "id": made["_id"]["$oid"]})
    assert refused.status == 403 and refused.error == f"only admins may create a {kind}"
    # Positive control: the same user may create a Deployment, and an admin the admin-only kind.
    assert (await bus.write("CreateDeployment", {"name": "mine"}))["name"] == "mine"
    assert made["name"] == "theirs"
