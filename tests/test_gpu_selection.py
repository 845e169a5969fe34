"""GPU types per region from AWS's data: each GPU pool runs the first type of its ordered
preference list that AWS offers in the region (stacks/region_capabilities.json); a region offering
none is a configuration error unless config drops that pool there; the shipped prod opt-outs are
exactly the ones AWS's data forces."""

from __future__ import annotations

from typing import Any

import pytest

from components.kubernetes.gpu import GPU_INSTANCE_FACTS, efa_network_interfaces
from stacks import capabilities
from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.config.types import OPTIONAL_CAPABILITIES
from stacks.node_pool_settings import (
    GPU_INFERENCE,
    GPU_TRAINING,
    NODE_POOL_DEFAULTS,
    POOL_OPT_OUTS,
    choose_instance_type,
    gpu_instance_types,
    pool_opted_out,
)
from stacks.outputs import RegionalKey
from stacks.program import settings_for
from tests.plans import PROD_REGIONS, planned
from tests.test_config_errors import NO_REPLICATION, assert_names, error_of, settings, with_manifest

# What AWS's offerings (moto's snapshot, stacks/region_capabilities.json) give each prod region.
EXPECTED_PROD: dict[str, dict[str, str]] = {
    "us-east-1": {GPU_INFERENCE: "g6e.12xlarge", GPU_TRAINING: "p5en.48xlarge"},
    "us-west-2": {GPU_INFERENCE: "g6e.12xlarge", GPU_TRAINING: "p5en.48xlarge"},
    "eu-west-1": {GPU_INFERENCE: "g5.12xlarge", GPU_TRAINING: "p4d.24xlarge"},
    "eu-central-1": {GPU_INFERENCE: "g6e.12xlarge", GPU_TRAINING: "p4de.24xlarge"},
    "ap-southeast-1": {GPU_INFERENCE: "g4dn.12xlarge", GPU_TRAINING: "p4de.24xlarge"},
    "ap-northeast-1": {GPU_INFERENCE: "g6e.12xlarge", GPU_TRAINING: "p5en.48xlarge"},
    "ap-south-1": {GPU_INFERENCE: "g6e.12xlarge", GPU_TRAINING: "p5en.48xlarge"},
    "me-south-1": {GPU_INFERENCE: "g4dn.12xlarge"},
    "sa-east-1": {GPU_INFERENCE: "g6.12xlarge", GPU_TRAINING: "p5.48xlarge"},
    "af-south-1": {GPU_INFERENCE: "g4dn.12xlarge"},
}
TRAINING_REGION: str = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")[
    "meridian:trainingRegion"
]
PROD_OPT_OUTS: dict[str, list[str]] = read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")[
    "meridian:serviceOptOuts"
]


def test_first_offered_type_wins() -> None:
    assert choose_instance_type("eu-west-1", ["g6e.12xlarge", "g5.12xlarge"]) == "g5.12xlarge"
    assert choose_instance_type("us-east-1", ["g6e.12xlarge", "g5.12xlarge"]) == "g6e.12xlarge"
    assert choose_instance_type("af-south-1", ["p5.48xlarge", "p4d.24xlarge"]) is None
    assert choose_instance_type("us-east-1", ["x9.untracked"]) is None


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_prod_region_gets_the_first_offered_type(region: str) -> None:
    source = StaticConfigSource(
        read_stack_file(PROJECT_DIR / f"Pulumi.prod-{region}.yaml"),
        {"prod": read_stack_file(PROJECT_DIR / "Pulumi.prod-global.yaml")},
    )
    plan = settings_for(f"prod-{region}", source).region
    chosen = gpu_instance_types(region, plan.settings.sizing, plan.opt_outs)
    assert chosen == EXPECTED_PROD[region]
    sizing = plan.settings.sizing
    for pool, prefs in (
        (GPU_INFERENCE, sizing.gpu_nodes),
        (GPU_TRAINING, sizing.gpu_training_nodes),
    ):
        if pool not in chosen:
            continue
        earlier = prefs.instance_types[: prefs.instance_types.index(chosen[pool])]
        assert not any(capabilities.instance_type_offered(region, t) for t in earlier)
        assert capabilities.instance_type_az_count(region, chosen[pool]) >= 1


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_plan_outputs_show_the_chosen_types(preview: bool) -> None:
    plans = planned("prod", preview)
    for region in PROD_REGIONS:
        outputs = plans[f"prod-{region}"]["outputs"]
        # the one training cluster runs only in the training region
        expected = {
            pool: instance_type
            for pool, instance_type in EXPECTED_PROD[region].items()
            if pool != GPU_TRAINING or region == TRAINING_REGION
        }
        assert outputs[RegionalKey.GPU_INSTANCE_TYPES] == expected, region
        for pool, instance_type in expected.items():
            assert outputs[RegionalKey.NODE_POOLS][pool]["instanceTypes"] == [instance_type]


def test_prod_opt_outs_are_only_what_aws_data_forces() -> None:
    prod = NODE_POOL_DEFAULTS["prod"]
    preferences = {
        GPU_INFERENCE: prod["gpuNodes"]["instanceTypes"],  # type: ignore[index]
        GPU_TRAINING: prod["gpuTrainingNodes"]["instanceTypes"],  # type: ignore[index]
    }
    gpu_opt_outs = {r: [s for s in v if s in POOL_OPT_OUTS] for r, v in PROD_OPT_OUTS.items()}
    for region in PROD_REGIONS:
        for pool, prefs in preferences.items():
            forced = choose_instance_type(region, prefs) is None
            assert pool_opted_out(gpu_opt_outs.get(region, []), pool) == forced, (region, pool)
    assert {r: v for r, v in gpu_opt_outs.items() if v} == {
        "me-south-1": [GPU_TRAINING],
        "af-south-1": [GPU_TRAINING],
    }


def test_shipped_preferences_are_tracked_and_described() -> None:
    tracked = set(capabilities.gpu_instance_types())
    for env, pools in NODE_POOL_DEFAULTS.items():
        for key in ("gpuNodes", "gpuTrainingNodes"):
            for instance_type in pools[key]["instanceTypes"]:  # type: ignore[index]
                assert instance_type in tracked, (env, key, instance_type)
                assert instance_type in GPU_INSTANCE_FACTS, instance_type
        for instance_type in pools["gpuTrainingNodes"]["instanceTypes"]:  # type: ignore[index]
            assert GPU_INSTANCE_FACTS[instance_type].efa_network_cards > 0


def test_pool_opt_outs_are_known_opt_out_names() -> None:
    assert set(POOL_OPT_OUTS) <= set(OPTIONAL_CAPABILITIES)


@pytest.mark.parametrize("instance_type", ["p5.48xlarge", "p5en.48xlarge", "p4d.24xlarge"])
def test_efa_interfaces_follow_karpenters_rules(instance_type: str) -> None:
    interfaces = efa_network_interfaces(instance_type)
    cards = GPU_INSTANCE_FACTS[instance_type].efa_network_cards
    # networkInterfaces must include a primary interface with interfaceType 'interface' ...
    assert {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"} in interfaces
    # ... no duplicate (card, device) pairs, at most one efa device per card ...
    pairs = [(i["networkCardIndex"], i["deviceIndex"]) for i in interfaces]
    assert len(set(pairs)) == len(pairs)
    efa_cards = [i["networkCardIndex"] for i in interfaces if i["interfaceType"] == "efa-only"]
    assert sorted(efa_cards) == list(range(cards))
    assert len(interfaces) <= 150


# --- bad input ----------------------------------------------------------------------------------


_NO_KAFKA_DR = {r: "no replication pair in this manifest" for r in ("us-east-1", "af-south-1")}


def _two_regions(**opt_outs: list[str]) -> dict[str, Any]:
    return with_manifest(
        regions=["us-east-1", "af-south-1"],
        replication={**NO_REPLICATION, "kafkaDrOptOuts": _NO_KAFKA_DR},
        dataPlacement={"cacheSecondaries": []},  # the prod default names absent regions
        serviceOptOuts={"af-south-1": [GPU_TRAINING], **opt_outs},
    )


def test_a_preference_list_no_region_offers_names_key_value_and_fix() -> None:
    own = {"meridian:sizing": {"gpuNodes": {"instanceTypes": ["g6e.12xlarge", "g5.12xlarge"]}}}
    err = error_of("prod-af-south-1", own=own, manifest=_two_regions())
    assert_names(
        err,
        "meridian:sizing.gpuNodes.instanceTypes",
        "g6e.12xlarge",
        "serviceOptOuts.af-south-1: [gpu-inference]",
    )
    text = str(err)
    assert "names no instance type AWS offers in af-south-1" in text
    assert "offered here: g4dn.12xlarge" in text  # the family it could fall back to


def test_opting_the_pool_out_accepts_the_region() -> None:
    own = {"meridian:sizing": {"gpuNodes": {"instanceTypes": ["g6e.12xlarge"]}}}
    manifest = _two_regions(**{"af-south-1": [GPU_INFERENCE, GPU_TRAINING]})
    plan = settings("prod-af-south-1", own=own, manifest=manifest).region
    assert gpu_instance_types("af-south-1", plan.settings.sizing, plan.opt_outs) == {}


def test_training_list_missing_in_region_suggests_the_pool_opt_out() -> None:
    manifest = with_manifest(
        regions=["us-east-1", "me-south-1"],
        replication=NO_REPLICATION,
        trainingRegion="me-south-1",  # only the training region judges the training pool
    )
    own = {"meridian:sizing": {"systemNodes": {"instanceTypes": ["m6i.2xlarge"]}}}
    err = error_of("prod-me-south-1", own=own, manifest=manifest)
    assert_names(
        err,
        "meridian:sizing.gpuTrainingNodes.instanceTypes",
        "p5en.48xlarge",
        "serviceOptOuts.me-south-1: [gpu-training]",
    )
    assert "gpuNodes" not in str(err)  # inference falls back to g4dn there


@pytest.mark.parametrize("key", ["gpuNodes", "gpuTrainingNodes"])
def test_min_greater_than_max(key: str) -> None:
    own = {"meridian:sizing": {key: {"minSize": 9, "maxSize": 2}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"meridian:sizing.{key}", "'minSize': 9", "minSize <= maxSize")


def test_pool_opt_out_spelled_wrong() -> None:
    manifest = with_manifest(serviceOptOuts={"us-east-1": ["gpu-trainig"]})
    err = error_of("prod-global", manifest=manifest)
    assert_names(err, "meridian:serviceOptOuts.us-east-1[0]", "gpu-trainig", "gpu-training")
    assert "did you mean gpu-training?" in str(err)


def test_untracked_type_points_at_the_generator() -> None:
    own = {"meridian:sizing": {"gpuNodes": {"instanceTypes": ["g7.48xlarge", "g6e.12xlarge"]}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, "meridian:sizing.gpuNodes.instanceTypes", "g7.48xlarge", "capabilities")


def test_duplicate_preference() -> None:
    own = {"meridian:sizing": {"gpuNodes": {"instanceTypes": ["g6e.12xlarge", "g6e.12xlarge"]}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, "meridian:sizing.gpuNodes.instanceTypes", "g6e.12xlarge", "list each type")


def test_general_pool_must_be_graviton() -> None:
    own = {"meridian:sizing": {"generalNodes": {"instanceFamilies": ["m7g", "m7i"]}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, "meridian:sizing.generalNodes.instanceFamilies", "m7i", "Graviton")


def test_capacity_reservation_id_is_checked() -> None:
    own = {"meridian:sizing": {"gpuTrainingNodes": {"capacityReservationId": "reservation-1"}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(
        err, "meridian:sizing.gpuTrainingNodes.capacityReservationId", "reservation-1", "change it"
    )
