"""Komodo JSON samples for tags, variables, accounts, users, groups, permissions, keys, Updates and `/auth` round-trip."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.api.base import REQUESTS, NoData, Request
from contracts.api.read import general as read_general
from contracts.api.read import onboarding_key as read_onboarding_key
from contracts.api.read import provider as read_provider
from contracts.api.read import tag as read_tag
from contracts.api.read import update as read_update
from contracts.api.read import user as read_user
from contracts.api.read import user_group as read_user_group
from contracts.api.read import variable as read_variable
from contracts.api.read.update import ListUpdates, ListUpdatesResponse
from contracts.api.read.user import FindUser, ListApiKeysForServiceUser, ListUsers
from contracts.api.write import onboarding_key as write_onboarding_key
from contracts.api.write import permission as write_permission
from contracts.api.write import provider as write_provider
from contracts.api.write import resource as write_resource
from contracts.api.write import tag as write_tag
from contracts.api.write import user as write_user
from contracts.api.write import user_group as write_user_group
from contracts.api.write import variable as write_variable
from contracts.api.write.onboarding_key import CreateOnboardingKey, UpdateOnboardingKey
from contracts.api.write.permission import (
    UpdatePermissionOnResourceType,
    UpdatePermissionOnTarget,
    UpdateUserBasePermissions,
)
from contracts.api.write.provider import CreateGitProviderAccount
from contracts.api.write.resource import UpdateResourceMeta
from contracts.api.write.tag import CreateTag
from contracts.api.write.user import DeleteUser
from contracts.api.write.variable import CreateVariable, UpdateVariableValue
from contracts.auth import (
    AUTH_REQUESTS,
    CreateApiKey,
    GetLoginOptionsResponse,
    GetUserId,
    GetUserIdResponse,
    JwtLogin,
    JwtOrTwoFactor,
    JwtResponse,
    LoginLocalUser,
    PasskeyLogin,
    SignUpLocalUser,
    TotpLogin,
    UnlinkLogin,
)
from contracts.entities.api_key import ApiKey, CreateApiKeyResponse
from contracts.entities.common import PermissionLevel, ResourceTargetVariant, SpecificPermission
from contracts.entities.core_info import GetCoreInfoResponse
from contracts.entities.onboarding_key import CreateOnboardingKeyResponse, OnboardingKey
from contracts.entities.permission import Permission, UserTargetVariant
from contracts.entities.provider import (
    GitProvider,
    GitProviderAccount,
    ImageRegistry,
    ImageRegistryAccount,
)
from contracts.entities.tag import Tag, TagColor
from contracts.entities.update import Operation, Update
from contracts.entities.user import (
    GithubUserConfig,
    GoogleUserConfig,
    LocalUserConfig,
    OidcUserConfig,
    ServiceUserConfig,
    User,
    UserConfigVariant,
)
from contracts.entities.user_group import UserGroup
from contracts.entities.variable import Variable

OID = {"$oid": "65a1b2c3d4e5f6a7b8c9d0e1"}

# ---------------------------------------------------------------------------------------------------------
# Tags


def test_tag_defaults_round_trip_and_unknown_fields() -> None:
    tag = Tag.model_validate({"_id": OID, "name": "prod", "unknown": True})
    assert tag.id == OID["$oid"]
    assert tag.color is TagColor.Slate and tag.owner == ""
    assert tag.to_json() == {"_id": OID, "name": "prod", "owner": "", "color": "Slate"}
    assert Tag.model_validate(tag.to_json()) == tag
    # not stored yet: no `_id` in the JSON
    assert "_id" not in Tag(name="new").to_json()


def test_tag_colors_are_komodos_54() -> None:
    assert len(TagColor) == 54
    assert [c.value for c in TagColor][:3] == ["LightSlate", "Slate", "DarkSlate"]
    assert list(TagColor)[-1].value == "DarkRose"
    for hue in ["Red", "Amber", "Emerald", "Sky", "Violet", "Fuchsia", "Rose"]:
        assert {TagColor(f"Light{hue}"), TagColor(hue), TagColor(f"Dark{hue}")} <= set(TagColor)


def test_tag_requests() -> None:
    assert CreateTag.model_validate({"name": "x"}).color is None
    assert CreateTag.model_validate({"name": "x", "color": "DarkTeal"}).color is TagColor.DarkTeal
    with pytest.raises(ValidationError, match="color"):
        CreateTag.model_validate({"name": "x", "color": "Plaid"})
    for key in ("tag", "id", "name"):
        assert read_tag.GetTag.model_validate({key: "prod"}).tag == "prod"
    assert read_tag.ListTags.model_validate({}).query is None
    assert read_tag.ListTags.model_validate({"query": {"owner": "u"}}).query == {"owner": "u"}
    with pytest.raises(ValidationError, match="color"):
        write_tag.UpdateTagColor.model_validate({"tag": "prod"})


# ---------------------------------------------------------------------------------------------------------
# Variables


def test_variable_defaults_and_empty_description_left_out() -> None:
    variable = Variable.model_validate({"name": "DB_HOST", "value": "db"})
    assert variable.is_secret is False and variable.description == ""
    assert variable.to_json() == {"name": "DB_HOST", "value": "db", "is_secret": False}
    described = Variable(name="TOKEN", value="s", description="API token", is_secret=True)
    assert described.to_json() == {
        "name": "TOKEN",
        "description": "API token",
        "value": "s",
        "is_secret": True,
    }


def test_variable_requests() -> None:
    create = CreateVariable.model_validate({"name": "A"})
    assert (create.value, create.description, create.is_secret) == ("", "", False)
    with pytest.raises(ValidationError, match="value"):
        UpdateVariableValue.model_validate({"name": "A"})
    with pytest.raises(ValidationError, match="is_secret"):
        write_variable.UpdateVariableIsSecret.model_validate({"name": "A", "is_secret": "maybe"})
    assert read_variable.GetVariable.model_validate({"name": "A"}).name == "A"


# ---------------------------------------------------------------------------------------------------------
# Providers


def test_accounts_defaults() -> None:
    assert GitProviderAccount.model_validate({}).to_json() == {
        "domain": "github.com",
        "https": True,
        "username": "",
        "token": "",
        # Varanus's extension for git over SSH (Komodo clones over http(s) only).
        "ssh_private_key": "",
        "ssh_known_hosts": "",
    }
    registry = ImageRegistryAccount.model_validate({"_id": OID, "username": "u", "token": "t"})
    assert registry.domain == "docker.io"
    assert registry.to_json() == {"_id": OID, "domain": "docker.io", "username": "u", "token": "t"}


def test_config_providers_hide_tokens_and_accept_singular_names() -> None:
    provider = GitProvider.model_validate(
        {"domain": "git.example.com", "account": [{"account": "ci", "token": "secret"}]}
    )
    assert provider.https is True
    assert provider.accounts[0].username == "ci" and provider.accounts[0].token == "secret"
    assert provider.to_json() == {
        "domain": "git.example.com",
        "https": True,
        "accounts": [{"username": "ci"}],
    }
    registry = ImageRegistry.model_validate(
        {"accounts": [{"username": "bot", "token": "t"}], "organization": ["acme"]}
    )
    assert registry.to_json() == {
        "domain": "docker.io",
        "accounts": [{"username": "bot"}],
        "organizations": ["acme"],
    }
    with pytest.raises(ValidationError, match="username"):
        GitProvider.model_validate({"accounts": [{"token": "t"}]})


def test_provider_requests_take_partial_accounts() -> None:
    create = CreateGitProviderAccount.model_validate({"account": {"domain": "gitea.local", "token": "x"}})
    assert create.account == {"domain": "gitea.local", "token": "x"}
    update = write_provider.UpdateImageRegistryAccount.model_validate({"id": "a", "account": {"token": "y"}})
    assert update.account == {"token": "y"}
    listing = read_provider.ListGitProviderAccounts.model_validate({"domain": "github.com"})
    assert listing.domain == "github.com" and listing.username is None
    assert read_general.ListGitProvidersFromConfig.response_adapter().validate_python(
        [{"domain": "github.com", "https": True, "accounts": [{"username": "me"}]}]
    ) == [GitProvider.model_validate({"accounts": [{"username": "me"}]})]


# ---------------------------------------------------------------------------------------------------------
# Users, groups, permissions


USER_SAMPLE: dict[str, Any] = {
    "_id": OID,
    "username": "alice",
    "enabled": True,
    "admin": False,
    "super_admin": False,
    "create_server_permissions": True,
    "create_build_permissions": False,
    "config": {"type": "Local", "data": {"password": "########"}},
    "linked_logins": {"Github": {"type": "Github", "data": {"github_id": "42", "avatar": "https://a"}}},
    "totp": {"secret": "", "confirmed_at": 0, "recovery_codes": []},
    "passkey": {"passkey": None, "created_at": 0},
    "external_skip_2fa": False,
    "last_update_view": 1700000000000,
    "recents": {"Server": ["s1", "s2"], "Stack": []},
    "all": {"Deployment": {"level": "Execute", "specific": ["Logs", "Inspect"]}},
    "updated_at": 1700000000001,
}


def test_user_round_trips_komodo_json() -> None:
    user = User.model_validate(USER_SAMPLE)
    assert isinstance(user.config, LocalUserConfig) and user.config.data.password == "########"
    github = user.linked_logins[UserConfigVariant.Github]
    assert isinstance(github, GithubUserConfig) and github.data.github_id == "42"
    assert user.recents[ResourceTargetVariant.Server] == ["s1", "s2"]
    assert user.all[ResourceTargetVariant.Deployment].specific == [
        SpecificPermission.Logs,
        SpecificPermission.Inspect,
    ]
    assert user.to_json() == USER_SAMPLE


def test_user_defaults_and_bare_levels() -> None:
    user = User.model_validate(
        {
            "username": "ci-bot",
            "config": {"type": "Service", "data": {"description": "CI"}},
            "all": {"Server": "Read", "Build": {"level": "Execute", "specific": ["Logs"]}},
        }
    )
    assert isinstance(user.config, ServiceUserConfig) and user.config.data.description == "CI"
    assert user.all[ResourceTargetVariant.Server].level is PermissionLevel.Read
    assert user.all[ResourceTargetVariant.Server].specific == []
    assert user.enabled is False and user.admin is False and user.external_skip_2fa is True
    assert user.totp.recovery_codes == [] and user.passkey.passkey is None
    assert User.model_validate({"username": "x"}).config == LocalUserConfig()


@pytest.mark.parametrize(
    ("config", "kind", "field", "value"),
    [
        ({"type": "Local", "data": {"password": "h"}}, LocalUserConfig, "password", "h"),
        ({"type": "Google", "data": {"google_id": "g", "avatar": ""}}, GoogleUserConfig, "google_id", "g"),
        ({"type": "Github", "data": {"github_id": "7", "avatar": ""}}, GithubUserConfig, "github_id", "7"),
        ({"type": "Oidc", "data": {"provider": "p", "user_id": "u"}}, OidcUserConfig, "user_id", "u"),
        ({"type": "Service", "data": {"description": "d"}}, ServiceUserConfig, "description", "d"),
    ],
)
def test_user_config_variants(config: dict[str, Any], kind: type, field: str, value: str) -> None:
    user = User.model_validate({"username": "u", "config": config})
    assert isinstance(user.config, kind)
    assert getattr(user.config.data, field) == value
    assert user.to_json()["config"] == config


def test_user_rejects_unknown_login_and_resource_types() -> None:
    with pytest.raises(ValidationError, match="config"):
        User.model_validate({"username": "u", "config": {"type": "Ldap", "data": {}}})
    with pytest.raises(ValidationError, match="all"):
        User.model_validate({"username": "u", "all": {"Spaceship": "Read"}})
    with pytest.raises(ValidationError, match="username"):
        User.model_validate({"enabled": True})


def test_user_group_members_and_permissions() -> None:
    group = UserGroup.model_validate(
        {"_id": OID, "name": "ops", "users": "u1, u2\nu3", "all": {"Deployment": "Write"}}
    )
    assert group.everyone is False and group.users == ["u1", "u2", "u3"]
    assert group.all[ResourceTargetVariant.Deployment].level is PermissionLevel.Write
    assert group.to_json() == {
        "_id": OID,
        "name": "ops",
        "everyone": False,
        "users": ["u1", "u2", "u3"],
        "all": {"Deployment": {"level": "Write", "specific": []}},
        "updated_at": 0,
    }


def test_permission_round_trip() -> None:
    sample = {
        "_id": OID,
        "user_target": {"type": "UserGroup", "id": "g1"},
        "resource_target": {"type": "Server", "id": "s1"},
        "level": "Execute",
        "specific": ["Terminal"],
    }
    permission = Permission.model_validate(sample)
    assert permission.user_target.type is UserTargetVariant.UserGroup
    assert permission.to_json() == sample
    without_level = {key: value for key, value in sample.items() if key != "level"}
    assert Permission.model_validate(without_level).level is PermissionLevel.None_
    with pytest.raises(ValidationError, match="user_target"):
        Permission.model_validate({**sample, "user_target": {"type": "Team", "id": "t"}})


def test_permission_requests_accept_bare_levels() -> None:
    on_target = UpdatePermissionOnTarget.model_validate(
        {
            "user_target": {"type": "UserGroup", "id": "g"},
            "resource_target": {"type": "Stack", "id": "s"},
            "permission": "Execute",
        }
    )
    assert on_target.permission.level is PermissionLevel.Execute and on_target.permission.specific == []
    on_type = UpdatePermissionOnResourceType.model_validate(
        {
            "user_target": {"type": "User", "id": "u"},
            "resource_type": "Build",
            "permission": {"level": "Read", "specific": ["Logs"]},
        }
    )
    assert on_type.resource_type is ResourceTargetVariant.Build
    with pytest.raises(ValidationError, match="resource_type"):
        UpdatePermissionOnResourceType.model_validate(
            {"user_target": {"type": "User", "id": "u"}, "resource_type": "Widget", "permission": "Read"}
        )
    base = UpdateUserBasePermissions.model_validate({"user_id": "u", "enabled": True})
    assert (base.enabled, base.create_servers, base.create_builds) == (True, None, None)


def test_user_requests_accept_komodo_aliases() -> None:
    for key in ("user", "id", "username"):
        assert FindUser.model_validate({key: "alice"}).user == "alice"
        assert ListApiKeysForServiceUser.model_validate({key: "bot"}).user == "bot"
        assert DeleteUser.model_validate({key: "alice"}).user == "alice"
    assert ListUsers.model_validate({}).service_users.value == "Include"
    with pytest.raises(ValidationError, match="service_users"):
        ListUsers.model_validate({"service_users": "Sometimes"})
    create = write_user.CreateApiKeyForServiceUser.model_validate({"user_id": "u", "name": "ci"})
    assert create.expires == 0


# ---------------------------------------------------------------------------------------------------------
# Keys and core info


def test_api_key_and_onboarding_key_shapes() -> None:
    key = ApiKey.model_validate(
        {"key": "K_x_K", "secret": "", "user_id": "u", "name": "ci", "created_at": 1, "expires": 0}
    )
    assert key.to_json()["key"] == "K_x_K"
    assert CreateApiKeyResponse(key="K_a_K", secret="S_b_S").to_json() == {"key": "K_a_K", "secret": "S_b_S"}
    onboarding = OnboardingKey.model_validate({"public_key": "pk"})
    assert onboarding.enabled is False and onboarding.expires == 0 and onboarding.onboarded == []
    created = CreateOnboardingKeyResponse.model_validate(
        {"private_key": "O_x_O", "created": {"public_key": "pk", "enabled": True, "name": "n"}}
    )
    assert created.created.enabled is True
    request = CreateOnboardingKey.model_validate({"name": "rack-1"})
    assert (request.expires, request.private_key, request.tags, request.copy_server) == (0, None, [], "")
    update = UpdateOnboardingKey.model_validate({"public_key": "pk", "enabled": False})
    assert update.enabled is False and update.name is None and update.tags is None


def test_core_info_shape() -> None:
    info = GetCoreInfoResponse.model_validate(
        {
            "title": "Komodo",
            "monitoring_interval": "15-sec",
            "webhook_base_url": "https://k",
            "transparent_mode": False,
            "ui_write_disabled": False,
            "disable_non_admin_create": False,
            "disable_confirm_dialog": False,
            "disable_websocket_reconnect": False,
            "enable_fancy_toml": False,
            "timezone": "",
            "public_key": "MCow",
            "default_pagination_limit": 100,
        }
    )
    assert info.monitoring_interval.value == "15-sec" and info.default_pagination_limit == 100
    with pytest.raises(ValidationError, match="monitoring_interval"):
        GetCoreInfoResponse.model_validate({"title": "K", "monitoring_interval": "7-sec"})


# ---------------------------------------------------------------------------------------------------------
# Updates and resource meta


def test_update_round_trip_and_list_page() -> None:
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
    assert ListUpdates.model_validate({"query": {"target.type": "Stack"}, "page": 2}).query == {
        "target.type": "Stack"
    }
    with pytest.raises(ValidationError, match="page"):
        ListUpdates.model_validate({"page": -1})
    page = ListUpdatesResponse.model_validate(
        {
            "updates": [
                {
                    "id": "u1",
                    "operation": "DeployStack",
                    "start_ts": 1,
                    "success": True,
                    "username": "alice",
                    "operator": "o",
                    "target": {"type": "Stack", "id": "s"},
                    "status": "Complete",
                }
            ],
            "next_page": 1,
        }
    )
    assert page.updates[0].operation is Operation.DeployStack and page.next_page == 1
    assert ListUpdatesResponse.model_validate({"updates": []}).next_page is None


def test_resource_meta() -> None:
    meta = UpdateResourceMeta.model_validate({"target": {"type": "Server", "id": "srv"}, "tags": ["a"]})
    assert meta.description is None and meta.template is None and meta.tags == ["a"]
    assert UpdateResourceMeta.RESPONSE is NoData
    with pytest.raises(ValidationError, match="target"):
        UpdateResourceMeta.model_validate({"description": "x"})


# ---------------------------------------------------------------------------------------------------------
# Subjects and responses of every request of this area

EXPECTED: dict[str, dict[str, tuple[Any, ...]]] = {
    "read": {
        "GetVersion": (read_general,),
        "GetCoreInfo": (read_general,),
        "ListSecrets": (read_general,),
        "ListGitProvidersFromConfig": (read_general,),
        "ListImageRegistriesFromConfig": (read_general,),
        "GetTag": (read_tag,),
        "ListTags": (read_tag,),
        "GetVariable": (read_variable,),
        "ListVariables": (read_variable,),
        "GetGitProviderAccount": (read_provider,),
        "ListGitProviderAccounts": (read_provider,),
        "GetImageRegistryAccount": (read_provider,),
        "ListImageRegistryAccounts": (read_provider,),
        "GetUsername": (read_user,),
        "FindUser": (read_user,),
        "ListUsers": (read_user,),
        "ListApiKeys": (read_user,),
        "ListApiKeysForServiceUser": (read_user,),
        "GetPermission": (read_user,),
        "ListPermissions": (read_user,),
        "ListUserTargetPermissions": (read_user,),
        "GetUserGroup": (read_user_group,),
        "ListUserGroups": (read_user_group,),
        "ListOnboardingKeys": (read_onboarding_key,),
        "GetUpdate": (read_update,),
        "ListUpdates": (read_update,),
    },
    "write": {
        "CreateTag": (write_tag,),
        "DeleteTag": (write_tag,),
        "RenameTag": (write_tag,),
        "UpdateTagColor": (write_tag,),
        "CreateVariable": (write_variable,),
        "UpdateVariableValue": (write_variable,),
        "UpdateVariableDescription": (write_variable,),
        "UpdateVariableIsSecret": (write_variable,),
        "DeleteVariable": (write_variable,),
        "CreateGitProviderAccount": (write_provider,),
        "UpdateGitProviderAccount": (write_provider,),
        "DeleteGitProviderAccount": (write_provider,),
        "CreateImageRegistryAccount": (write_provider,),
        "UpdateImageRegistryAccount": (write_provider,),
        "DeleteImageRegistryAccount": (write_provider,),
        "PushRecentlyViewed": (write_user,),
        "SetLastSeenUpdate": (write_user,),
        "CreateLocalUser": (write_user,),
        "DeleteUser": (write_user,),
        "CreateServiceUser": (write_user,),
        "UpdateServiceUserDescription": (write_user,),
        "CreateApiKeyForServiceUser": (write_user,),
        "DeleteApiKeyForServiceUser": (write_user,),
        "CreateUserGroup": (write_user_group,),
        "RenameUserGroup": (write_user_group,),
        "DeleteUserGroup": (write_user_group,),
        "AddUserToUserGroup": (write_user_group,),
        "RemoveUserFromUserGroup": (write_user_group,),
        "SetUsersInUserGroup": (write_user_group,),
        "SetEveryoneUserGroup": (write_user_group,),
        "UpdateUserAdmin": (write_permission,),
        "UpdateUserBasePermissions": (write_permission,),
        "UpdatePermissionOnResourceType": (write_permission,),
        "UpdatePermissionOnTarget": (write_permission,),
        "CreateOnboardingKey": (write_onboarding_key,),
        "UpdateOnboardingKey": (write_onboarding_key,),
        "DeleteOnboardingKey": (write_onboarding_key,),
        "UpdateResourceMeta": (write_resource,),
    },
}

CASES = [(kind, name, module) for kind, names in EXPECTED.items() for name, (module,) in names.items()]


@pytest.mark.parametrize(("kind", "name", "module"), CASES, ids=[f"{k}.{n}" for k, n, _ in CASES])
def test_request_subject_and_module(kind: str, name: str, module: Any) -> None:
    cls: type[Request] = getattr(module, name)
    assert REQUESTS[kind][name] is cls
    assert f"komodo.{kind}.{name}" == cls.SUBJECT
    assert cls.RESPONSE is not None
    cls.response_adapter()


@pytest.mark.parametrize(
    ("cls", "answer", "expected"),
    [
        (read_general.GetVersion, {"version": "2.3.2"}, "GetVersionResponse"),
        (read_user.GetPermission, {"level": "Read", "specific": []}, "PermissionLevelAndSpecifics"),
        (read_user.GetUsername, {"username": "a", "avatar": None}, "GetUsernameResponse"),
        (write_user.SetLastSeenUpdate, {}, "NoData"),
        (write_user_group.AddUserToUserGroup, {"name": "g"}, "UserGroup"),
        (write_tag.DeleteTag, {"name": "t"}, "Tag"),
        (write_variable.DeleteVariable, {"name": "V"}, "Variable"),
        (write_provider.DeleteGitProviderAccount, {"domain": "github.com"}, "GitProviderAccount"),
        (write_onboarding_key.DeleteOnboardingKey, {"public_key": "pk"}, "OnboardingKey"),
        (
            write_user.CreateServiceUser,
            {"username": "bot", "config": {"type": "Service", "data": {}}},
            "User",
        ),
    ],
)
def test_responses_match_komodo(cls: type[Request], answer: dict[str, Any], expected: str) -> None:
    assert type(cls.response_adapter().validate_python(answer)).__name__ == expected


def test_list_responses_are_lists() -> None:
    assert read_general.ListSecrets.response_adapter().validate_python(["A", "B"]) == ["A", "B"]
    tags = read_tag.ListTags.response_adapter().validate_python(
        [{"name": "a"}, {"name": "b", "color": "Red"}]
    )
    assert [t.color for t in tags] == [TagColor.Slate, TagColor.Red]


# ---------------------------------------------------------------------------------------------------------
# /auth


def test_login_answers_are_tagged() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(JwtOrTwoFactor)
    jwt = adapter.validate_python({"type": "Jwt", "data": {"jwt": "t"}})
    assert isinstance(jwt, JwtLogin) and jwt.data == JwtResponse(jwt="t")
    assert jwt.to_json() == {"type": "Jwt", "data": {"jwt": "t"}}
    assert isinstance(adapter.validate_python({"type": "Passkey", "data": {"publicKey": {}}}), PasskeyLogin)
    assert adapter.validate_python({"type": "Totp", "data": {}}) == TotpLogin()
    with pytest.raises(ValidationError):
        adapter.validate_python({"type": "Sms", "data": {}})
    assert LoginLocalUser.RESPONSE is JwtOrTwoFactor and SignUpLocalUser.RESPONSE is JwtResponse


def test_auth_requests_and_answers() -> None:
    with pytest.raises(ValidationError, match="password"):
        LoginLocalUser.model_validate({"username": "u"})
    assert GetUserIdResponse.model_validate({"id": "u1"}).to_json() == {"id": "u1"}
    assert GetUserId.RESPONSE is GetUserIdResponse
    assert CreateApiKey.model_validate({"name": "ci"}).expires == 0
    assert CreateApiKey.RESPONSE is CreateApiKeyResponse
    options = GetLoginOptionsResponse.model_validate(
        {"local": True, "oidc": False, "github": False, "google": False, "registration_disabled": True}
    )
    assert options.registration_disabled is True and options.oidc_auto_redirect is False
    with pytest.raises(ValidationError, match="provider"):
        UnlinkLogin.model_validate({"provider": "Service"})


def test_auth_requests_are_not_bus_requests() -> None:
    assert set(AUTH_REQUESTS["login"]) == {
        "GetLoginOptions",
        "SignUpLocalUser",
        "LoginLocalUser",
        "ExchangeForJwt",
        "CompletePasskeyLogin",
        "CompleteTotpLogin",
    }
    assert {"GetUserId", "UpdateUsername", "UpdatePassword", "CreateApiKey", "DeleteApiKey"} <= set(
        AUTH_REQUESTS["manage"]
    )
    assert len(AUTH_REQUESTS["manage"]) == 14
    bus_names = {name for requests in REQUESTS.values() for name in requests}
    assert not bus_names & (set(AUTH_REQUESTS["login"]) | set(AUTH_REQUESTS["manage"]))
