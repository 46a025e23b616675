"""Human output: tables, key: value lines, Updates and their logs."""

from __future__ import annotations

from varanus_cli.render import Column, auto_columns, key_values, log_lines, scalar, table, update_lines


def test_table_aligns_columns_and_plucks_paths() -> None:
    rows = [
        {"id": "a1", "name": "web", "info": {"state": "running", "image": "nginx:1"}},
        {"_id": {"$oid": "b22"}, "name": "api-server", "info": {"state": "exited", "image": "x\ny"}},
    ]
    lines = table(
        rows,
        [
            Column("NAME", "name"),
            Column("ID", "id"),
            Column("STATE", "info.state"),
            Column("IMAGE", "info.image"),
        ],
    )
    assert lines == [
        "NAME        ID   STATE    IMAGE",
        "web         a1   running  nginx:1",
        "api-server  b22  exited   x y",
    ]


def test_auto_columns_put_name_and_id_first_and_skip_empty_and_nested() -> None:
    rows = [{"kind": "k", "id": "1", "name": "n", "blank": "", "nested": [1, 2], "info": {"state": "ok"}}]
    assert [column.path for column in auto_columns(rows)] == ["name", "id", "kind", "info.state"]
    assert [column.header for column in auto_columns(rows)] == ["NAME", "ID", "KIND", "STATE"]


def test_scalars() -> None:
    assert scalar(True) == "true" and scalar(None) == ""
    assert scalar({"$oid": "abc"}) == "abc"
    assert scalar({"major": 1, "minor": 2, "patch": 3}) == "1.2.3"
    assert scalar({"type": "Server", "id": "s1"}) == "Server s1"
    assert scalar(["a", "b"]) == "a, b"
    assert scalar(0, "last_built_at") == "-"
    assert scalar(1_700_000_000_000, "start_ts")[:4] == "2023"
    assert scalar(1_700_000_000_000, "count") == "1700000000000"


def test_key_values_flatten_objects_and_indent_text_blocks() -> None:
    lines = key_values(
        {"_id": {"$oid": "d1"}, "name": "web", "config": {"image": "nginx", "env": "A=1\nB=2"}}
    )
    assert lines == [
        "id:           d1",
        "name:         web",
        "config.image: nginx",
        "config.env:",
        "    A=1",
        "    B=2",
    ]


def test_update_and_its_logs() -> None:
    update = {
        "_id": {"$oid": "u1"},
        "operation": "Deploy",
        "target": {"type": "Deployment", "id": "d1"},
        "status": "InProgress",
        "success": False,
        "operator": "o1",
        "start_ts": 0,
        "logs": [
            {
                "stage": "Pull",
                "command": "docker pull x",
                "stdout": "ok\n",
                "stderr": "warn",
                "success": True,
                "start_ts": 1000,
                "end_ts": 3500,
            }
        ],
    }
    assert update_lines(update, "ada") == [
        "update:    u1",
        "operation: Deploy",
        "target:    Deployment d1",
        "status:    InProgress",
        "success:   - (not finished)",
        "operator:  ada (o1)",
        "started:   -",
        "",
        "==> Pull  [ok]  2.5s",
        "    $ docker pull x",
        "    ok",
        "    stderr| warn",
    ]
    assert log_lines({"stage": "Check", "success": False}) == ["==> Check  [FAILED]"]
