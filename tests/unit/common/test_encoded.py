"""Lists answered again with the very same items are sent as the same bytes; any other list is encoded."""

from __future__ import annotations

from pydantic import TypeAdapter

from contracts.entities.common import ResourceTargetVariant
from contracts.entities.deployment import DeploymentListItem
from services.common.encoded import EncodedLists


def item(name: str, image: str = "nginx:1") -> DeploymentListItem:
    return DeploymentListItem.model_validate(
        {
            "id": f"id-{name}",
            "type": ResourceTargetVariant.Deployment.value,
            "name": name,
            "template": False,
            "tags": [],
            "info": {"state": "running", "image": image},
        }
    )


ADAPTER: TypeAdapter[list[DeploymentListItem]] = TypeAdapter(list[DeploymentListItem])


def test_the_same_items_are_sent_as_the_same_bytes() -> None:
    lists = EncodedLists(ADAPTER)
    web, db = item("web"), item("db")
    first = lists.encode([web, db])
    again = lists.encode([web, db])
    assert again is first and lists.reused == 1
    assert first.data == ADAPTER.dump_json([web, db], by_alias=True)


def test_equal_but_new_items_order_and_subsets_are_encoded_again() -> None:
    lists = EncodedLists(ADAPTER)
    web, db = item("web"), item("db")
    lists.encode([web, db])
    changed = item("web", image="nginx:2")  # what a changed live field gives: a new object
    for other in ([changed, db], [db, web], [web], []):
        encoded = lists.encode(other)
        assert encoded.data == ADAPTER.dump_json(other, by_alias=True)
    assert lists.reused == 0


def test_kept_bytes_are_bounded() -> None:
    one = len(ADAPTER.dump_json([item("a")], by_alias=True))
    lists = EncodedLists(ADAPTER, max_bytes=2 * one)
    a, b, c = item("a"), item("b"), item("c")
    for single in (a, b, c):
        lists.encode([single])
    lists.encode([c])
    assert lists.reused == 1
    lists.encode([a])  # the oldest went to make room
    assert lists.reused == 1
