"""Every resource kind the registry keeps has its contracts, and unknown request names are recognised."""

from __future__ import annotations

import pytest

from contracts.catalog import load_all
from services.registry.handlers.unknown import unknown_request_error
from services.registry.kinds import KINDS, KindSpec

load_all()

GENERIC = [
    ("write", "Create{K}"),
    ("write", "Copy{K}"),
    ("write", "Update{K}"),
    ("write", "Rename{K}"),
    ("write", "Delete{K}"),
    ("read", "Get{K}"),
    ("read", "List{Ks}"),
    ("read", "ListFull{Ks}"),
    ("read", "Get{Ks}Summary"),
]


@pytest.mark.parametrize("spec", KINDS, ids=lambda s: s.name)
def test_kind_has_models_and_generic_requests(spec: KindSpec) -> None:
    assert spec.resource_cls.__name__ == spec.name
    spec.config_adapter.validate_python({})  # every field has a default
    assert spec.list_item_info_cls.__name__ == f"{spec.name}ListItemInfo"
    missing = [pattern for api, pattern in GENERIC if spec.request(api, pattern) is None]
    assert missing == []
    get = spec.request("read", "Get{K}")
    assert get is not None and spec.primary in get.model_fields
    defaults = spec.config_adapter.dump_python(spec.config_adapter.validate_python({}), mode="json")
    for reference in spec.references:
        assert reference.path.split(".")[0] in defaults


def test_unknown_request_names() -> None:
    assert unknown_request_error("komodo.read.GetDeployment") is None
    error = unknown_request_error("komodo.read.GetDeploymnt")
    assert error is not None and error.status == 400 and "GetDeploymnt" in error.message
    assert unknown_request_error("komodo.agent.x.GetHealth") is None
    assert unknown_request_error("komodo.write.CreateUpdate") is not None  # internal requests are not writes


def test_partial_merge() -> None:
    from services.registry.resources import merge_partial

    assert merge_partial({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}
    tagged = {"type": "Server", "params": {"server_ids": ["x"], "other": 1}}
    assert merge_partial(tagged, {"params": {"server_ids": []}}) == {
        "type": "Server",
        "params": {"server_ids": [], "other": 1},
    }
    assert merge_partial(tagged, {"type": "Aws", "params": {"region": "eu"}}) == {
        "type": "Aws",
        "params": {"region": "eu"},
    }


def test_unanswered_requests_by_presence() -> None:
    import json
    import time

    from services.common.presence import STALE_AFTER_SECONDS, PresenceView
    from services.registry.handlers.unknown import unanswered_request_error

    view = PresenceView()
    assert unanswered_request_error("komodo.read.GetServer", view) is not None
    view._apply(
        "registry.a", json.dumps({"ts": time.time(), "subjects": ["komodo.read.GetServer"]}).encode(), "PUT"
    )
    assert unanswered_request_error("komodo.read.GetServer", view) is None
    error = unanswered_request_error("komodo.execute.Deploy", view)
    assert (
        error is not None and error.status == 503 and error.message == "no service answers Deploy right now"
    )
    stale = time.time() - STALE_AFTER_SECONDS - 1
    view._apply(
        "registry.a", json.dumps({"ts": stale, "subjects": ["komodo.read.GetServer"]}).encode(), "PUT"
    )
    assert unanswered_request_error("komodo.read.GetServer", view) is not None
    view._apply("registry.a", None, "DEL")
    assert view.entries == {}


async def test_the_catch_all_answers_watched_requests_once_their_service_stops_beating() -> None:
    import json
    import time
    from typing import Any

    from nats.aio.msg import Msg

    from services.common.presence import STALE_AFTER_SECONDS, PresenceView
    from services.registry.handlers.unknown import Unanswered

    class FakeNats:
        def __init__(self) -> None:
            self.sent: list[tuple[str, dict[str, str]]] = []

        async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
            self.sent.append((subject, headers))

    def beat(key: str, ts: float) -> None:
        view._apply(key, json.dumps({"ts": ts, "subjects": ["komodo.execute.Deploy"]}).encode(), "PUT")

    view = PresenceView()
    nc = FakeNats()
    catch_all = Unanswered(nc, view)  # type: ignore[arg-type]
    msg: Any = Msg(nc, subject="komodo.execute.Deploy", reply="_INBOX.1")  # type: ignore[arg-type]
    beat("executor.a", time.time())
    await catch_all.on_message(msg)
    await catch_all.check()
    assert nc.sent == [] and catch_all.watching == 1  # left to its live owner

    view._apply("executor.a", None, "DEL")  # stopped: it answers what it received, no late 503
    await catch_all.check()
    assert nc.sent == [] and catch_all.watching == 1

    beat("executor.b", time.time() - STALE_AFTER_SECONDS - 1)  # frozen or killed with the request in hand
    catch_all._tick -= 5  # this process was held up itself: staleness is not trusted yet
    await catch_all.check()
    assert nc.sent == []
    catch_all._tick = time.monotonic()
    await catch_all.check()
    assert nc.sent == [("_INBOX.1", {"Komodo-Status": "503"})] and catch_all.watching == 0
    assert not catch_all.watched

    await catch_all.on_message(Msg(nc, subject="komodo.execute.Deploy", reply="_INBOX.2"))  # type: ignore[arg-type]
    assert nc.sent[-1] == ("_INBOX.2", {"Komodo-Status": "503"})  # a new request is refused at once


def test_presence_beats_keep_an_instance_live_without_its_subject_list() -> None:
    import json
    import time

    from services.common.presence import STALE_AFTER_SECONDS, PresenceView

    view = PresenceView()
    old = time.time() - STALE_AFTER_SECONDS - 1
    view._apply("executor.b.beat", json.dumps({"ts": time.time()}).encode(), "PUT")  # subjects not read yet
    assert view.entries == {}
    view._apply("executor.b", json.dumps({"ts": old, "subjects": ["komodo.execute.Deploy"]}).encode(), "PUT")
    assert not view.answers("komodo.execute.Deploy") and view.went_stale("komodo.execute.Deploy")
    view._apply("executor.b.beat", json.dumps({"ts": time.time()}).encode(), "PUT")
    assert view.answers("komodo.execute.Deploy") and not view.went_stale("komodo.execute.Deploy")
    view._apply("executor.b.beat", None, "DEL")
    assert view.answers("komodo.execute.Deploy")
    view._apply("executor.b", None, "DEL")
    assert not view.answers("komodo.execute.Deploy") and not view.went_stale("komodo.execute.Deploy")


def test_presence_counts_when_it_heard_an_instance_not_the_instance_clock() -> None:
    import json
    import time

    from services.common.presence import PresenceView

    view = PresenceView()
    behind = json.dumps({"ts": time.time() - 100, "subjects": ["komodo.execute.Deploy"]}).encode()
    view._apply("executor.c", behind, "PUT", received=time.time())  # a host whose clock is 100 s behind
    assert view.answers("komodo.execute.Deploy")
    ahead = json.dumps({"ts": time.time() + 100, "subjects": ["komodo.execute.Deploy"]}).encode()
    view._apply("executor.c", ahead, "PUT")  # found at start: its own time, but never later than now
    assert view.entries["executor.c"][0] <= time.time()
