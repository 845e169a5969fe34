"""Generated artifacts and configuration of the pack stay in sync with their sources."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime import proto

from meridian_ops.gen import gen_policy_docs, gen_taggable_types
from meridian_ops.plan.policy_eval import (
    Analyzer,
    PolicyEvalError,
    ProviderIndex,
    analyze_request,
    configure_stack_request,
    load_policy_config,
    make_servicer,
    reconcile_config,
    stack_resource,
    violations_from_response,
)
from policies.catalog import all_policies
from tests.plans import planned
from tests.policies.conftest import all_cases
from tests.policies.harness import case_plan, evaluate

REPO = Path(__file__).resolve().parents[2]
PROD_ADVICE = {
    "imds-hop-limit-one",
    "istio-peer-auth-port-exception",
    "namespace-pod-security-restricted",
    # advice: a secret's description helps reviews but protects nothing by itself
    "secretsmanager-secret-description",
}
PACK = REPO / "policies"


def test_taggable_types_match_the_pinned_provider() -> None:
    assert gen_taggable_types.OUTPUT.read_text(encoding="utf-8") == gen_taggable_types.render(
        gen_taggable_types.build()
    ), (
        "policies/data/aws_taggable_types.json is stale: "
        "python -m meridian_ops.gen.gen_taggable_types"
    )
    data = json.loads(gen_taggable_types.OUTPUT.read_text(encoding="utf-8"))
    types = set(data["types"])
    assert {"aws:ec2/vpc:Vpc", "aws:s3/bucket:Bucket", "aws:rds/cluster:Cluster"} <= types
    assert "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" not in types
    assert data["resourceTypeCount"] > len(types) > 500


def test_readme_table_and_matrix_match_the_catalog_and_prod_plan() -> None:
    """The policy table and the compliance matrix (control -> policies -> resources checked in
    the prod plan) are what the catalog's metadata and the current prod plan give."""
    from tests.plans import plan_directory

    current = gen_policy_docs.README.read_text(encoding="utf-8")
    plans = gen_policy_docs.load_plans(plan_directory("prod"))
    assert current == gen_policy_docs.render_readme(current, plans), (
        "policies/README.md is stale: "
        "make plan ENV=prod && python -m meridian_ops.gen.gen_policy_docs"
    )
    assert "| PCI-DSS v4.0 | 3.5.1 |" in current and "| GDPR art. 32 | 32(1)(c) |" in current
    for policy in all_policies():
        assert f"| `{policy.name}` |" in current


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_config_files_are_valid_for_the_pack(env: str) -> None:
    info = make_servicer().GetAnalyzerInfo(None, None)
    reconciled = reconcile_config(info, load_policy_config(env))
    assert set(reconciled) == {p.name for p in all_policies()}
    if env == "prod":
        # Everything blocks in prod except the advice policies, whose findings can be
        # legitimate documented exceptions (a hop limit of 2, a port-level mTLS exception, a
        # baseline namespace) and which therefore only warn.
        advisory = {name for name, (level, _) in reconciled.items() if level != "mandatory"}
        assert advisory == PROD_ADVICE
        assert all(reconciled[name][0] == "advisory" for name in PROD_ADVICE)
    else:
        assert "advisory" in {level for level, _ in reconciled.values()}
    edge = reconciled["sg-no-public-ingress"][1]
    assert edge["edgePorts"] == [443] and "173.245.48.0/20" in edge["allowedCidrs"]


def test_invalid_config_is_rejected() -> None:
    info = make_servicer().GetAnalyzerInfo(None, None)
    with pytest.raises(PolicyEvalError, match="no-such-policy: no such policy"):
        reconcile_config(info, {"no-such-policy": "mandatory"})
    with pytest.raises(PolicyEvalError, match="edgePorts\\[0\\] must be of type integer"):
        reconcile_config(info, {"sg-no-public-ingress": {"edgePorts": ["https"]}})
    with pytest.raises(PolicyEvalError, match="invalid enforcement level 'blocking'"):
        reconcile_config(info, {"required-tags": "blocking"})


def test_prefilter_gives_the_same_verdicts_as_the_full_pack() -> None:
    """Every Analyze request of every case gets the same answer from the prefiltered servicer
    as from the full pack. (AnalyzeStack always goes to the full pack, so only Analyze can
    differ; identical requests, e.g. the providers every case repeats, are compared once.)"""
    analyzer = Analyzer(load_policy_config("prod"))
    seen: set[bytes] = set()
    for case in all_cases():
        states = [step["newState"] for step in case_plan(case)["steps"]]
        providers = ProviderIndex(states)
        for state in states:
            request = analyze_request(state, providers)
            key = request.SerializeToString(deterministic=True)
            if key in seen:
                continue
            seen.add(key)
            filtered = violations_from_response(analyzer.analyze(request), state["urn"])
            full = violations_from_response(analyzer.full.Analyze(request, None), state["urn"])
            assert filtered == full, (case.case_id(), state["urn"])
    assert len(seen) > 300


def _stack_request(plan: dict[str, Any]) -> Any:
    states = [step["newState"] for step in plan["steps"]]
    providers = ProviderIndex(states)
    return proto.AnalyzeStackRequest(resources=[stack_resource(s, providers) for s in states])


def _answer(response: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (
        [json_format.MessageToDict(d) for d in response.diagnostics],
        [json_format.MessageToDict(n) for n in response.not_applicable],
    )


def test_stack_analysis_built_once_answers_as_the_sdk() -> None:
    """The analyzer's AnalyzeStack (the stack's resources built once for every stack policy)
    answers every stack case, and the planned stacks of dev up and preview, exactly as the SDK's
    servicer does (which rebuilds them per policy): the same diagnostics in the same order, the
    same preview notes, the same not-applicable answers."""
    analyzer = Analyzer(load_policy_config("prod"))
    cases = violations = 0
    for case in all_cases():
        if case.stack is None:
            continue
        request = _stack_request(case_plan(case))
        mine, sdk = analyzer.analyze_stack(request), analyzer.full.AnalyzeStack(request, None)
        assert _answer(mine) == _answer(sdk), case.case_id()
        cases += 1
        violations += len(sdk.diagnostics)
    assert cases > 30 and violations > 10
    notes = 0
    for preview in (False, True):
        plans = planned("dev", preview)
        for name in ("dev-global", "dev-us-east-1"):
            analyzer = Analyzer(load_policy_config("dev"))
            analyzer.configure_stack(configure_stack_request(plans[name]))
            request = _stack_request(plans[name])
            mine, sdk = analyzer.analyze_stack(request), analyzer.full.AnalyzeStack(request, None)
            assert _answer(mine) == _answer(sdk), (name, preview)
            notes += sum(d.message.startswith("can't run policy") for d in sdk.diagnostics)
    assert notes, "no preview note compared"


def test_stack_analysis_builds_each_resource_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """AnalyzeStack builds a stack's resources once, not once per stack policy (~40)."""
    plan = planned("dev", False)["dev-us-east-1"]
    analyzer = Analyzer(load_policy_config("dev"))
    analyzer.configure_stack(configure_stack_request(plan))
    built: list[str] = []
    original = analyzer.full._get_resource_options  # pyright: ignore[reportPrivateUsage]

    def counting(request: Any) -> Any:
        built.append(request.urn)
        return original(request)

    monkeypatch.setattr(analyzer.full, "_get_resource_options", counting)
    request = _stack_request(plan)
    assert analyzer.analyze_stack(request).diagnostics is not None
    assert sorted(built) == sorted(r.urn for r in request.resources)


def test_pack_imports_nothing_from_meridian_or_pulumi_aws() -> None:
    forbidden = ("components", "stacks", "meridian_ops", "pulumi_aws", "pulumi_kubernetes")
    for path in PACK.glob("*.py"):  # the pack's modules are flat (no subpackages)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_pack_metadata() -> None:
    yaml_text = (PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    assert "name: python" in yaml_text and "virtualenv: venv" in yaml_text
    assert "\nversion: " in yaml_text
    requirements = (PACK / "requirements.txt").read_text(encoding="utf-8")
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert "pulumi==3.272.0" in pins and "pulumi-policy==1.21.0" in pins
    assert all("==" in line for line in pins)
    assert not any(line.startswith("pulumi-aws") for line in pins)


def test_pack_has_one_version() -> None:
    """PulumiPolicy.yaml's version is the pack's only version: the catalog reads it, the offline
    evaluator names violations with it and the preview notes of the analyzer carry it."""
    from meridian_ops.plan.policy_eval import pack_version
    from policies.catalog import PACK_NAME, PACK_VERSION

    yaml_text = (PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    assert f"\nversion: {PACK_VERSION}\n" in yaml_text
    assert pack_version() == PACK_VERSION
    unknown = [c for c in all_cases() if c.stack is None and "04da6b54" in repr(c.props)]
    found = [v for case in unknown for v in evaluate(case_plan(case))]
    notes = [v for v in found if v.unknown]
    assert notes, "no case produced a preview note"
    for violation in found:
        assert violation.pack == f"{PACK_NAME}@v{PACK_VERSION}"
    for note in notes:
        assert f"'{PACK_NAME}@v{PACK_VERSION}'" in note.message, note.message
        assert "@v0.0.1" not in note.message
