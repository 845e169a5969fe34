"""Bad input stops the run before any resource is registered, with one message naming the key, the
value and the fix. One test per kind of bad input."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from meridian_ops.plan.engine import Step, run_stack
from stacks.config.errors import ConfigError
from stacks.config.source import SECRET_PLACEHOLDER, StaticConfigSource, masked
from stacks.program import main, settings_for
from tests.conftest import ROOT

MANIFEST: dict[str, Any] = {
    "pulumi:disable-default-providers": ["*"],
    "meridian:owner": "platform-engineering",
    "meridian:costCenter": "CC-4100",
    "meridian:deployRunner": {  # the in-VPC deploy runner's GitHub connection (required)
        "connectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/"
        "0b4e7d2c-1f6a-4c3e-9b8d-5a7e6f4c3b2a",
        "repository": "example-org/meridian",
    },
    "meridian:regions": ["us-east-1", "eu-west-1", "ap-northeast-1"],
    # APPI keeps confidential data out of us-east-1: no Kafka DR copy (stacks/data/residency.json)
    "meridian:replication": {"kafkaDrOptOuts": {"ap-northeast-1": "residency (APPI)"}},
}
EDGE: dict[str, Any] = {
    "meridian:edge": {
        "zone": "meridian.example.com",
        "cloudflare": {
            "accountId": "4f7e2a9c1b3d5e6f8a0b2c4d6e8f0a1b",
            "zoneId": "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
        },
    }
}
NO_REPLICATION = {"activeActive": [], "drPeers": {}}
"""For manifests without eu-west-1, the prod default's active-active partner."""


def settings(
    stack: str, own: dict[str, Any] | None = None, manifest: dict[str, Any] | None = None
) -> Any:
    env = stack.split("-", 1)[0]
    manifest = copy.deepcopy(MANIFEST if manifest is None else manifest)
    own = manifest if stack.endswith("-global") else (own or {})
    return settings_for(stack, StaticConfigSource(own, {env: manifest}))


def error_of(stack: str, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings(stack, **kwargs)
    return info.value


def assert_names(err: ConfigError, key: str, value: str, fix: str) -> None:
    text = str(err)
    assert key in text, text
    assert value in text, text
    assert "Fix:" in text and fix in text, text
    assert "nothing was deployed" in text


def with_manifest(**changes: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(MANIFEST)
    for key, value in changes.items():
        manifest[f"meridian:{key}"] = value
    return manifest


def test_valid_config_loads_for_every_role() -> None:
    assert settings("prod-global").primary_region == "us-east-1"
    regional = settings("prod-eu-west-1")
    assert regional.region.region == "eu-west-1"
    assert str(regional.region.vpc_cidr) == "10.130.0.0/16"
    assert settings("prod-edge", own=EDGE).manifest.regions[-1] == "ap-northeast-1"


def test_unknown_key_is_named_with_a_suggestion() -> None:
    err = error_of("prod-global", manifest=with_manifest(regoins=["us-east-1"]))
    assert_names(err, "meridian:regoins", "us-east-1", "remove it")
    assert "did you mean meridian:regions" in str(err)


def test_unknown_nested_key() -> None:
    err = error_of("prod-us-east-1", own={"meridian:network": {"azCnt": 3}})
    assert_names(err, "meridian:network.azCnt", "3", "remove it from Pulumi.prod-us-east-1.yaml")


def test_wrong_type() -> None:
    err = error_of("prod-us-east-1", own={"meridian:network": {"azCount": "three"}})
    assert_names(err, "meridian:network.azCount", "'three'", "pulumi config set --path")
    assert "integer" in str(err)


def test_invalid_region_suggests_the_nearest() -> None:
    err = error_of("prod-global", manifest=with_manifest(regions=["us-east-1", "eu-wst-1"]))
    assert_names(err, "meridian:regions[1]", "'eu-wst-1'", "region code")
    assert "did you mean eu-west-1" in str(err)


def test_cidr_overlapping_another_region() -> None:
    manifest = with_manifest(vpcCidrs={"eu-west-1": "10.128.0.0/16"})
    err = error_of("prod-global", manifest=manifest)
    assert_names(err, "meridian:vpcCidrs.eu-west-1", "10.128.0.0/16", "overlaps no other region")
    assert "overlaps 10.128.0.0/16, the VPC of us-east-1" in str(err)


def test_cidr_outside_the_environment_space() -> None:
    err = error_of("prod-global", manifest=with_manifest(vpcCidrs={"eu-west-1": "10.0.0.0/16"}))
    assert_names(err, "meridian:vpcCidrs.eu-west-1", "10.0.0.0/16", "10.128.0.0/10")


def test_invalid_cidr_text() -> None:
    err = error_of("prod-global", manifest=with_manifest(vpcCidrs={"eu-west-1": "10.129.0.0/33"}))
    assert_names(err, "meridian:vpcCidrs.eu-west-1", "10.129.0.0/33", "network address")


def test_fewer_than_three_azs() -> None:
    err = error_of("prod-us-east-1", own={"meridian:network": {"azCount": 2}})
    assert_names(err, "meridian:network.azCount", "2", "set it to 3 or 4")


def test_more_azs_than_the_region_has_instances_in() -> None:
    err = error_of("prod-ap-northeast-1", own={"meridian:network": {"azCount": 4}})
    assert_names(err, "meridian:network.azCount", "4", "lower azCount to 3")


def test_min_greater_than_max() -> None:
    own = {"meridian:sizing": {"gpuNodes": {"minSize": 50, "maxSize": 40}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, "meridian:sizing.gpuNodes", "'minSize': 50", "minSize <= maxSize")


def test_retention_tiers_out_of_order() -> None:
    own = {"meridian:retention": {"logs": {"hotDays": 400, "warmDays": 365}}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, "meridian:retention.logs", "'hotDays': 400", "raise the later tier")


def test_service_the_region_does_not_offer() -> None:
    manifest = with_manifest(regions=["us-east-1", "ap-southeast-3"], replication=NO_REPLICATION)
    err = error_of("prod-global", manifest=manifest)
    assert_names(err, "meridian:regions", "ap-southeast-3", "serviceOptOuts.ap-southeast-3")
    assert "does not offer keyspaces" in str(err)


def test_explicit_opt_out_accepts_the_region() -> None:
    manifest = with_manifest(
        regions=["us-east-1", "ap-southeast-3"],
        serviceOptOuts={"ap-southeast-3": ["keyspaces"]},
        replication={
            **NO_REPLICATION,
            "kafkaDrOptOuts": {
                "us-east-1": "no active-active partner",
                "ap-southeast-3": "MSK Replicator is not offered there",
            },
        },
    )
    assert settings("prod-global", manifest=manifest).regions["ap-southeast-3"].opt_outs == {
        "keyspaces"
    }


def test_instance_type_not_offered_in_the_region() -> None:
    manifest = with_manifest(regions=["us-east-1", "me-south-1"], replication=NO_REPLICATION)
    err = error_of("prod-me-south-1", manifest=manifest)
    assert_names(err, "meridian:sizing.systemNodes.instanceTypes", "m7i.2xlarge", "override")
    assert "offered here: m6i.2xlarge" in str(err)


def test_gpu_types_missing_suggest_the_opt_out() -> None:
    manifest = with_manifest(
        regions=["us-east-1", "af-south-1"],
        replication=NO_REPLICATION,
        trainingRegion="af-south-1",  # only the training region judges the training pool
    )
    err = error_of("prod-af-south-1", manifest=manifest)
    # the inference pool falls back to a type af-south-1 offers; no training type is offered
    assert_names(
        err, "meridian:sizing.gpuTrainingNodes.instanceTypes", "p5.48xlarge", "gpu-training"
    )


def test_environment_key_in_a_regional_file() -> None:
    err = error_of("prod-us-east-1", own={"meridian:owner": "someone"})
    assert_names(err, "meridian:owner", "someone", "move it to Pulumi.prod-global.yaml")


def test_region_missing_from_the_manifest() -> None:
    err = error_of("prod-us-west-2")
    assert_names(err, "meridian:regions", "us-east-1", "add us-west-2 to meridian:regions")


def test_missing_required_setting() -> None:
    manifest = {k: v for k, v in MANIFEST.items() if k != "meridian:owner"}
    err = error_of("prod-global", manifest=manifest)
    assert_names(err, "meridian:owner", "<unset>", "pulumi config set meridian:owner")


def test_unknown_opt_out_service() -> None:
    err = error_of("prod-global", manifest=with_manifest(serviceOptOuts={"us-east-1": ["kafka"]}))
    assert_names(err, "meridian:serviceOptOuts.us-east-1[0]", "kafka", "use one of")


def test_bad_stack_name() -> None:
    with pytest.raises(ConfigError) as info:
        settings_for("qa-us-east-1", StaticConfigSource({}, {}))
    assert_names(info.value, "stack name", "qa-us-east-1", "<env>-global")


def test_every_problem_is_reported_at_once() -> None:
    own = {
        "meridian:network": {"azCount": 2},
        "meridian:sizing": {"gpuNodes": {"minSize": 9, "maxSize": 1}},
    }
    err = error_of("prod-us-east-1", own=own)
    assert len(err.problems) == 2


def test_config_error_is_a_clean_run_error() -> None:
    """The language host prints a RunError's message without a Python traceback."""
    assert issubclass(ConfigError, pulumi.RunError)


def test_bad_config_registers_nothing() -> None:
    """Nothing is half-applied: validation fails before the first registration."""
    bad = with_manifest(regions=["us-east-1", "eu-wst-1"])
    registered: list[Step] = []
    with pytest.raises(ConfigError):
        run_stack(
            "prod-global",
            bad,
            lambda: main(StaticConfigSource(bad, {"prod": bad})),
            preview=True,
            steps=registered,
        )
    assert [s.type for s in registered] == ["pulumi:pulumi:Stack"]


def test_good_config_registers_through_the_same_path() -> None:
    """The check above can fail: the same run with good config registers resources."""
    good = copy.deepcopy(MANIFEST)
    registered: list[Step] = []
    run_stack(
        "prod-global",
        good,
        lambda: main(StaticConfigSource(good, {"prod": good})),
        preview=True,
        steps=registered,
    )
    assert "aws:ec2/vpcIpam:VpcIpam" in {s.type for s in registered}


def test_plan_cli_reports_bad_config_without_traceback(tmp_path: Any) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.dev-global.yaml").write_text(
        "config:\n  meridian:owner: team\n  meridian:costCenter: CC-1\n"
        "  meridian:regions: [us-east-1]\n  meridian:network:\n    azCount: 2\n"
    )
    (project / "Pulumi.dev-us-east-1.yaml").write_text("config: {}\n")
    (project / "Pulumi.dev-edge.yaml").write_text("config: {}\n")
    code = (
        "import sys; from pathlib import Path; from meridian_ops.plan import cli as plan; "
        f"sys.exit(plan.cli_for_project(Path({str(project)!r}), ['--env', 'dev', '--out', "
        f"{str(tmp_path / 'out')!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "meridian:network.azCount = 2" in result.stderr
    assert "Fix:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_secrets_are_masked_at_any_depth() -> None:
    """A setting may hold a secret inside it (an OIDC provider's client secret in
    `meridian:identity`); the plan report and files show none of them."""
    config = {
        "meridian:alerting": {"secure": "v1:top"},
        "meridian:identity": {
            "federation": [{"name": "Okta", "clientSecret": {"secure": "v1:nested"}}]
        },
        "meridian:owner": "platform",
    }
    out = masked(config)
    assert "v1:" not in json.dumps(out)
    assert out["meridian:alerting"] == {"secure": SECRET_PLACEHOLDER}
    (provider,) = out["meridian:identity"]["federation"]
    assert provider == {"name": "Okta", "clientSecret": {"secure": SECRET_PLACEHOLDER}}
    assert out["meridian:owner"] == "platform"
