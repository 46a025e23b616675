"""List item infos and summaries derived from stored resources (no I/O)."""

from __future__ import annotations

from contracts.catalog import load_all
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.deployment import Deployment
from contracts.entities.server import Server
from services.registry.kinds import KINDS_BY_VARIANT, KindSpec
from services.registry.listing import list_item_info, summarize

load_all()


def _spec(name: str) -> KindSpec:
    return KINDS_BY_VARIANT[ResourceTargetVariant(name)]


def test_deployment_list_info_from_image_config() -> None:
    dep = Deployment.model_validate(
        {
            "_id": {"$oid": "65a1b2c3d4e5f6a7b8c9d0e1"},
            "name": "web",
            "config": {"server_id": "s1", "image": {"type": "Image", "params": {"image": "nginx:1.27"}}},
        }
    )
    info = list_item_info(_spec("Deployment"), dep)
    assert info.image == "nginx:1.27"
    assert info.server_id == "s1"
    assert info.state.value == "unknown"


def test_deployment_list_info_from_build_image() -> None:
    dep = Deployment.model_validate(
        {"name": "web", "config": {"image": {"type": "Build", "params": {"build_id": "b1"}}}}
    )
    info = list_item_info(_spec("Deployment"), dep)
    assert info.build_id == "b1"
    assert info.image == ""


def test_server_list_info_state_and_thresholds() -> None:
    enabled = Server.model_validate(
        {"name": "a", "config": {"enabled": True, "cpu_warning": 80, "region": "eu"}}
    )
    disabled = Server.model_validate({"name": "b"})
    spec = _spec("Server")
    on, off = list_item_info(spec, enabled), list_item_info(spec, disabled)
    assert on.state.value == "NotOk" and off.state.value == "Disabled"
    assert on.alerting_thresholds.cpu_warning == 80 and on.region == "eu"
    summary = summarize(
        spec,
        [
            spec.list_item_cls(id="1", type=spec.variant, name="a", info=on),
            spec.list_item_cls(id="2", type=spec.variant, name="b", info=off),
        ],
    )
    assert summary.total == 2 and summary.unhealthy == 1 and summary.disabled == 1 and summary.healthy == 0
