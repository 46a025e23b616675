"""Komodo JSON samples for tags, variables, accounts, users, groups, permissions, keys and Updates round-trip."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.api.read.update import ListUpdates
from contracts.api.write.permission import UpdatePermissionOnTarget
from contracts.api.write.resource import UpdateResourceMeta
from contracts.api.write.tag import CreateTag
from contracts.auth import JwtLogin, LoginLocalUser
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount
from contracts.entities.tag import Tag, TagColor
from contracts.entities.update import Operation, Update
from contracts.entities.user import ServiceUserConfig, User
from contracts.entities.user_group import UserGroup

OID = {"$oid": "65a1b2c3d4e5f6a7b8c9d0e1"}


def test_tag_defaults_and_colors() -> None:
    tag = Tag.model_validate({"_id": OID, "name": "prod", "unknown": True})
    assert tag.color is TagColor.Slate and tag.owner == ""
    assert tag.to_json() == {"_id": OID, "name": "prod", "owner": "", "color": "Slate"}
    assert len(TagColor) == 54
    with pytest.raises(ValidationError, match="color"):
        CreateTag.model_validate({"name": "x", "color": "Plaid"})


def test_accounts_defaults() -> None:
    assert GitProviderAccount.model_validate({}).to_json() == {
        "domain": "github.com",
        "https": True,
        "username": "",
        "token": "",
    }
    assert ImageRegistryAccount.model_validate({"username": "u"}).domain == "docker.io"


def test_user_config_and_permissions() -> None:
    user = User.model_validate(
        {
            "_id": OID,
            "username": "ci-bot",
            "enabled": True,
            "config": {"type": "Service", "data": {"description": "CI"}},
            "all": {"Server": "Read", "Build": {"level": "Execute", "specific": ["Logs"]}},
        }
    )
    assert isinstance(user.config, ServiceUserConfig) and user.config.data.description == "CI"
    assert user.all["Server"].level.value == "Read" and user.all["Build"].specific[0].value == "Logs"
    assert user.external_skip_2fa is True
    group = UserGroup.model_validate({"name": "ops", "all": {"Deployment": "Write"}})
    assert group.everyone is False and group.all["Deployment"].level.value == "Write"


def test_permission_request_accepts_bare_level() -> None:
    request = UpdatePermissionOnTarget.model_validate(
        {
            "user_target": {"type": "UserGroup", "id": "g"},
            "resource_target": {"type": "Stack", "id": "s"},
            "permission": "Execute",
        }
    )
    assert request.permission.level.value == "Execute" and request.permission.specific == []
    assert request.SUBJECT == "komodo.write.UpdatePermissionOnTarget"


def test_update_round_trip_and_operation_none() -> None:
    sample = {
        "_id": OID,
        "operation": "None",
        "start_ts": 1,
        "success": True,
        "operator": "000000000000000000000000",
        "target": {"type": "System", "id": ""},
        "logs": [
            {
                "stage": "x",
                "command": "",
                "stdout": "",
                "stderr": "",
                "success": True,
                "start_ts": 1,
                "end_ts": 2,
            }
        ],
        "status": "Complete",
    }
    update = Update.model_validate(sample)
    assert update.operation is Operation.None_
    assert update.to_json()["operation"] == "None"
    assert ListUpdates.model_validate({}).page == 0


def test_resource_meta_and_auth_shapes() -> None:
    meta = UpdateResourceMeta.model_validate({"target": {"type": "Server", "id": "srv"}, "tags": ["a"]})
    assert meta.description is None and meta.tags == ["a"]
    login = JwtLogin.model_validate({"type": "Jwt", "data": {"jwt": "t"}})
    assert login.to_json() == {"type": "Jwt", "data": {"jwt": "t"}}
    with pytest.raises(ValidationError, match="password"):
        LoginLocalUser.model_validate({"username": "u"})
