"""ResourceSync TOML: Komodo's documented examples parse and plan; a system that matches its files shows no diff
(no phantom diffs); errors name file, resource and field; ordering, `after` and the TOML writer."""

from __future__ import annotations

import copy
import tomllib

import pytest
from bson import ObjectId

from contracts.entities.common import ResourceTargetVariant as V
from contracts.entities.permission import Permission
from contracts.entities.resource_sync import ResourceSyncConfig
from contracts.entities.user_group import UserGroup
from contracts.entities.variable import Variable
from services.sync.diff import Plan, plan, resource_diffs
from services.sync.export import export_toml
from services.sync.kinds import BY_VARIANT, KINDS
from services.sync.normalise import names_for_ids
from services.sync.state import Current
from services.sync.toml_files import SourceFile, SyncFileError, load_toml, parse_files
from services.sync.toml_write import dumps
from tests.unit.sync.komodo_examples import EXAMPLES

EVERYTHING = ResourceSyncConfig(include_variables=True, include_user_groups=True, delete=True)

REFERENCED = {
    V.Server: ["server-01", "server-prod"],
    V.Build: ["test_logger", "my-app"],
    V.Builder: ["builder-01"],
    V.Repo: ["komodo-periphery"],
    V.Deployment: ["test-logger-01", "test-logger-02", "test-logger-03", "my-app-01", "my-app-02"],
}
"""Resources the examples name without declaring them."""


def system(**existing: list[str]) -> Current:
    """A system holding resources with default configs, by type name."""
    current = Current()
    for kind in KINDS:
        current.resources[kind.variant] = {}
        current.names[kind.variant] = {}
    for type_name, names in existing.items():
        kind = BY_VARIANT[V(type_name)]
        for name in names:
            resource = kind.resource_cls.model_validate({"_id": str(ObjectId()), "name": name})
            current.resources[kind.variant][name] = resource
            current.names[kind.variant][resource.id] = name
    return current


def store(found: Plan, current: Current) -> Current:
    """What the registry holds after applying `found`: references as ids, tags as ids (a pure stand-in for
    RunSync, to check that the files then show no diff)."""
    after = copy.deepcopy(current)
    for change in found.resources:
        if change.op == "Create":
            after.names[change.kind.variant][str(ObjectId())] = change.name
    ids = {v: {name: i for i, name in names.items()} for v, names in after.names.items()}
    tag_ids = {name: i for i, name in after.tags.items()}
    for change in found.resources:
        kind = change.kind
        if change.op == "Delete":
            del after.resources[kind.variant][change.name]
            continue
        assert change.desired is not None
        for tag in change.desired.tags:
            if tag not in tag_ids:
                tag_ids[tag] = str(ObjectId())
                after.tags[tag_ids[tag]] = tag
        config = names_for_ids(
            kind, copy.deepcopy(change.desired.config), lambda v, n: ids.get(v, {}).get(n, n)
        )
        after.resources[kind.variant][change.name] = kind.resource_cls.model_validate(
            {
                "_id": ids[kind.variant][change.name],
                "name": change.name,
                "description": change.desired.description,
                "template": change.desired.template,
                "tags": [tag_ids[t] for t in change.desired.tags],
                "config": config,
            }
        )
    for v in found.variables:
        if v.op == "Delete":
            del after.variables[v.name]
        else:
            after.variables[v.name] = Variable.model_validate(v.desired)
    return after


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_komodo_examples_parse_plan_and_show_no_diff_once_applied(name: str) -> None:
    files = [SourceFile(name, EXAMPLES[name])]
    current = system(**{v.value: names for v, names in REFERENCED.items()})
    first = plan(parse_files(files), current, EVERYTHING)
    assert any(c.op != "Delete" for c in first.resources) or first.user_groups or name == "SYNC_SWARM"
    resource_diffs(first)  # renders
    again = plan(parse_files(files), store(first, current), EVERYTHING)
    assert [c for c in again.resources if c.op != "Delete"] == []
    assert again.variables == []


def test_a_stored_resource_with_ids_matches_its_file_with_names() -> None:
    current = system(Server=["server-01"], Build=["test_logger"])
    files = [SourceFile("d.toml", EXAMPLES["SYNC_DEPLOYMENTS"])]
    after = store(plan(parse_files(files), current, EVERYTHING), current)
    stored = after.resources[V.Deployment]["test-logger-01"]
    server_id = next(i for i, n in after.names[V.Server].items() if n == "server-01")
    assert stored.config.server_id == server_id
    assert plan(parse_files(files), after, EVERYTHING).resources == []
    # Positive control: one changed field is one update.
    changed = EXAMPLES["SYNC_DEPLOYMENTS"].replace("value_2", "value_3", 1)
    updates = plan(parse_files([SourceFile("d.toml", changed)]), after, EVERYTHING).resources
    assert [(c.name, c.op) for c in updates] == [("test-logger-01", "Update")]


def test_absent_fields_are_defaults_and_delete_scope() -> None:
    current = system(Server=["a", "b"])
    server = current.resources[V.Server]["a"]
    current.resources[V.Server]["a"] = server.model_copy(
        update={"config": server.config.model_copy(update={"address": "https://x:8120"})}
    )
    found = plan(parse_files([SourceFile("f", '[[server]]\nname = "a"\n')]), current, EVERYTHING)
    assert sorted((c.name, c.op) for c in found.resources) == [("a", "Update"), ("b", "Delete")]
    keep = plan(parse_files([SourceFile("f", '[[server]]\nname = "a"\n')]), current, ResourceSyncConfig())
    assert [(c.name, c.op) for c in keep.resources] == [("a", "Update")]


def test_match_tags_limit_the_scope() -> None:
    current = system(Server=["mine", "theirs"])
    tag = str(ObjectId())
    current.tags[tag] = "project-a"
    mine = current.resources[V.Server]["mine"]
    current.resources[V.Server]["mine"] = mine.model_copy(update={"tags": [tag]})
    text = '[[server]]\nname = "new"\ntags = ["project-a"]\n[[server]]\nname = "untagged"\n'
    found = plan(
        parse_files([SourceFile("f", text)]),
        current,
        EVERYTHING.model_copy(update={"match_tags": ["project-a"]}),
    )
    assert sorted((c.name, c.op) for c in found.resources) == [("mine", "Delete"), ("new", "Create")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[server]]\nname = "a"\nconfig.adress = "x"\n',
            "f.toml: server 'a': unknown field 'config.adress'",
        ),
        (
            '[[build]]\nname = "b"\nconfig.pre_build.cmd = "x"\n',
            "build 'b': unknown field 'config.pre_build.cmd'",
        ),
        (
            '[[builder]]\nname = "b"\nconfig.type = "Server"\nconfig.params.servr = "x"\n',
            "unknown field 'config.params.servr'",
        ),
        ('[[server]]\nname = "a"\nnmae = "x"\n', "server 'a': unknown field 'nmae'"),
        (
            '[[deployment]]\nname = "d"\nconfig.server = "none"\n',
            "deployment 'd': field 'config.server': no Server named 'none'",
        ),
        ('[[server]]\nname = "a"\nconfig.enabled = "maybe"\n', "server 'a': field 'config.enabled'"),
        ('[[server]]\nname = "a"\n[[server]]\nname = "a"\n', "server 'a' is declared twice"),
        ('[[wat]]\nname = "b"\n', "f.toml: unknown table [[wat]]"),
        ('[[server]]\nname = "a"\nconfig = [\n', "f.toml: TOML syntax error"),
        ("[[server]]\ndescription = 'x'\n", "[[server]] #1: missing field 'name'"),
        ("# only a comment\n", "f.toml: the file declares nothing"),
        ("", "f.toml: the file is empty"),
        (
            '[[procedure]]\nname = "p"\n[[procedure.config.stage]]\nname = "s"\n'
            'executions = [{ execution.type = "Deploy", execution.params.deploymnt = "x" }]\n',
            "procedure 'p': unknown field 'config.stage[0].executions[0].execution.params.deploymnt'",
        ),
        (
            '[[procedure]]\nname = "p"\n[[procedure.config.stage]]\nname = "s"\n'
            'executions = [{ execution.type = "Deplo", execution.params = {} }]\n',
            "field 'config.stage[0].executions[0].execution.type': no execution 'Deplo'",
        ),
        (
            '[[deployment]]\nname = "d"\nafter = ["ghost"]\n',
            "deployment 'd': field 'after': no deployment or stack named 'ghost'",
        ),
        ('[[server]]\nname = "s"\nafter = ["x"]\n', "server 's': field 'after': only deployments and stacks"),
    ],
)
def test_errors_name_file_resource_and_field(text: str, message: str) -> None:
    with pytest.raises(SyncFileError) as raised:
        plan(parse_files([SourceFile("f.toml", text)]), system(), EVERYTHING)
    assert message in str(raised.value)


def test_syntax_errors_carry_the_line() -> None:
    with pytest.raises(SyncFileError, match=r"at line 3"):
        parse_files([SourceFile("f.toml", '[[server]]\nname = "a"\nconfig = x\n')])


def test_a_reference_to_a_resource_declared_in_another_file_is_fine() -> None:
    files = [
        SourceFile("a.toml", '[[deployment]]\nname = "d"\nconfig.server = "s"\n'),
        SourceFile("b.toml", '[[server]]\nname = "s"\n'),
    ]
    found = plan(parse_files(files), system(), EVERYTHING)
    assert [(c.kind.variant, c.op) for c in found.resources] == [
        (V.Server, "Create"),
        (V.Deployment, "Create"),
    ]


def test_apply_order_puts_what_is_referenced_first() -> None:
    order = [k.variant for k in KINDS]
    for before, after in [
        (V.Server, V.Deployment),
        (V.Server, V.Stack),
        (V.Builder, V.Build),
        (V.Repo, V.Build),
        (V.Build, V.Deployment),
        (V.Deployment, V.Procedure),
        (V.Repo, V.ResourceSync),
    ]:
        assert order.index(before) < order.index(after)


def test_deploys_cascade_along_after_and_cycles_are_refused() -> None:
    text = (
        '[[server]]\nname = "s"\n'
        '[[deployment]]\nname = "a"\ndeploy = true\nconfig.server = "s"\n'
        '[[deployment]]\nname = "b"\ndeploy = true\nafter = ["a"]\nconfig.server = "s"\n'
        '[[stack]]\nname = "c"\ndeploy = true\nafter = "b"\nconfig.server = "s"\n'
        '[[deployment]]\nname = "quiet"\nconfig.server = "s"\n'
    )
    found = plan(parse_files([SourceFile("f", text)]), system(), EVERYTHING)
    deploys = {d.target.id: [a.id for a in d.after] for d in found.deploys}
    assert deploys == {"a": [], "b": ["a"], "c": ["b"]}
    # Once applied and all running, only a change deploys again, and what comes after it.
    after = store(found, system())
    running = {V.Deployment: {"a": True, "b": True}, V.Stack: {"c": True}}
    assert plan(parse_files([SourceFile("f", text)]), after, EVERYTHING, running=running).deploys == []
    changed = text.replace('name = "a"\ndeploy = true\n', 'name = "a"\ndeploy = true\ndescription = "x"\n')
    again = plan(parse_files([SourceFile("f", changed)]), after, EVERYTHING, running=running)
    assert sorted(d.target.id for d in again.deploys) == ["a", "b", "c"]
    cycle = '[[deployment]]\nname = "x"\nafter = ["y"]\n[[deployment]]\nname = "y"\nafter = ["x"]\n'
    with pytest.raises(SyncFileError, match=r"deployment 'x': field 'after': a cycle: x -> y -> x"):
        plan(parse_files([SourceFile("f", cycle)]), system(), EVERYTHING)


def test_backslashes_in_triple_quoted_strings_are_literal() -> None:
    data = load_toml('[[repo]]\nname = "r"\nconfig.on_clone.command = """\necho a \\\nb C:\\path\n"""\n')
    assert data["repo"][0]["config"]["on_clone"]["command"] == "echo a \\\nb C:\\path\n"


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "two\nlines\n",
        'quote " and "" in\nlines',
        "back\\slash\nand \\n",
        'has """ inside\n',
        "tab\tcontrol\x01\n",
        'ends in quote"\n',
    ],
)
def test_written_strings_read_back_unchanged(value: str) -> None:
    text = dumps({"server": [{"name": "s", "description": value}]})
    assert load_toml(text)["server"][0]["description"] == value


def test_export_reads_back_to_no_diff_and_omits_secrets() -> None:
    current = system(**{v.value: names for v, names in REFERENCED.items()})
    text = "\n".join(
        EXAMPLES[n] for n in ("SYNC_SERVER", "SYNC_DEPLOYMENTS", "SYNC_STACK", "SYNC_REPO", "CONTAINERS")
    )
    text = text.replace('name = "my-app"', 'name = "my-app-c"')
    current = store(plan(parse_files([SourceFile("f", text)]), current, EVERYTHING), current)
    current.variables["PW"] = Variable(name="PW", value="hunter2", is_secret=True)
    server = current.resources[V.Server]["server-prod"]
    current.resources[V.Server]["server-prod"] = server.model_copy(
        update={"config": server.config.model_copy(update={"passkey": "very-secret"})}
    )
    exported = export_toml(current, None, [], True, True, None)
    assert "hunter2" not in exported and "very-secret" not in exported
    tomllib.loads(exported)
    again = plan(parse_files([SourceFile("export.toml", exported)]), current, EVERYTHING)
    assert again.resources == [] and again.variables == []


def test_user_groups_diff_by_usernames() -> None:
    current = system()
    current.usernames = {"u1": "mbecker20", "u2": "karamvirsingh98"}
    current.user_groups["groupo"] = UserGroup.model_validate(
        {
            "_id": str(ObjectId()),
            "name": "groupo",
            "users": ["u1", "u2"],
            "all": {"Build": {"level": "Execute"}, "Stack": {"level": "Read", "specific": ["Logs"]}},
        }
    )
    current = store(
        plan(parse_files([SourceFile("s", '[[stack]]\nname = "my-stack"\n')]), current, EVERYTHING), current
    )
    stack_id = next(iter(current.names[V.Stack]))
    current.group_permissions["groupo"] = [
        Permission.model_validate(
            {
                "user_target": {"type": "UserGroup", "id": "g"},
                "resource_target": {"type": "Stack", "id": stack_id},
                "level": "Execute",
                "specific": ["Terminal", "Inspect"],
            }
        )
    ]
    config = EVERYTHING.model_copy(update={"delete": False})
    found = plan(parse_files([SourceFile("p", EXAMPLES["PERMISSIONING"])]), current, config)
    assert found.user_groups == []
    # The regex target `\\^john-(.+)$\\` covers every matching stack, here one declared in another file.
    files = [SourceFile("p", EXAMPLES["PERMISSIONING"]), SourceFile("s", '[[stack]]\nname = "john-app"\n')]
    regex = plan(parse_files(files), current, config).user_groups
    assert [p["target"]["id"] for p in regex[0].desired["permissions"]] == ["john-app", "my-stack"]
    fewer = EXAMPLES["PERMISSIONING"].replace(', "karamvirsingh98"', "")
    changed = plan(parse_files([SourceFile("p", fewer)]), current, config)
    assert [(g.name, g.op) for g in changed.user_groups] == [("groupo", "Update")]


def test_written_toml_uses_komodo_tables() -> None:
    text = dumps(
        {
            "deployment": [
                {"name": "a", "config": {"server": "s", "image": {"type": "Build", "params": {"build": "b"}}}}
            ],
            "procedure": [{"name": "p", "config": {"stages": [{"name": "one", "executions": []}]}}],
        }
    )
    assert text.startswith('[[deployment]]\nname = "a"\n')
    assert "[deployment.config]" in text and "[[procedure]]" in text
    assert tomllib.loads(text)["deployment"][0]["config"]["image"]["params"] == {"build": "b"}


def test_a_sync_never_changes_or_deletes_itself() -> None:
    current = system(ResourceSync=["self", "other"])
    text = '[[resource_sync]]\nname = "self"\ndescription = "changed"\n[[resource_sync]]\nname = "other"\ndescription = "x"\n'
    found = plan(parse_files([SourceFile("f", text)]), current, EVERYTHING, sync_name="self")
    assert [(c.name, c.op) for c in found.resources] == [("other", "Update")]
    alone = plan(
        parse_files([SourceFile("f", '[[server]]\nname = "s"\n')]), current, EVERYTHING, sync_name="self"
    )
    assert sorted((c.name, c.op) for c in alone.resources) == [("other", "Delete"), ("s", "Create")]


def test_a_deployment_following_its_build_deploys_when_the_build_is_newer() -> None:
    text = (
        '[[deployment]]\nname = "app"\ndeploy = true\nconfig.server = "s"\n'
        'config.image.type = "Build"\nconfig.image.params.build = "b"\n'
        '[[deployment]]\nname = "pinned"\ndeploy = true\nconfig.server = "s"\n'
        'config.image = { type = "Build", params = { build = "b", version = { major = 1, minor = 0, patch = 0 } } }\n'
    )
    current = system(Server=["s"], Build=["b"])
    keep = EVERYTHING.model_copy(update={"delete": False})
    after = store(plan(parse_files([SourceFile("f", text)]), current, keep), current)
    build = after.resources[V.Build]["b"]
    version = build.config.version.model_copy(update={"major": 1, "minor": 2, "patch": 0})
    after.resources[V.Build]["b"] = build.model_copy(
        update={"config": build.config.model_copy(update={"version": version})}
    )
    running = {V.Deployment: {"app": True, "pinned": True}}

    def deploys_with(images: dict[str, str]) -> dict[str, str]:
        found = plan(parse_files([SourceFile("f", text)]), after, keep, running=running, images=images)
        return {d.target.id: d.reason for d in found.deploys}

    assert deploys_with({"app": "registry.local/b:1.1.9", "pinned": "registry.local/b:1.0.0"}) == {
        "app": "the attached build has a newer version (1.2.0)"
    }
    assert deploys_with({"app": "registry.local:5000/b:1.2.0", "pinned": "b:1.0.0"}) == {}
    assert deploys_with({"app": "registry.local:5000/b:latest", "pinned": "b:1.0.0"}) == {}
