"""Bad input never crashes: every bad region value, wherever it is written, run through the whole
gate (every layer's check), ends in one clean message naming the key, the value and the fix; a
check that raises anyway is reported by name, and the tests here fail on it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from stacks import settings as settings_module
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.config.source import PROJECT_DIR
from tests.config_projects import add_config, copy_project, replace_in

STACKS_DIR = Path(settings_module.__file__).parent

BAD_REGIONS = (
    ("us-east-7", "is not an AWS region (did you mean us-east-2?)"),
    ("cn-north-1", "is a region of the AWS China partition (aws-cn)"),
    ("cn-northwest-1", "is a region of the AWS China partition (aws-cn)"),
    ("us-gov-west-1", "AWS GovCloud (US)"),
    ("us-iso-east-1", "an AWS ISO partition (aws-iso)"),
    ("US-EAST-1", "is not an AWS region"),
    ("eu-wset-1", "is not an AWS region (did you mean eu-west-1?)"),
)
PRIMARY = {"dev": "us-east-1", "staging": "us-east-1", "prod": "us-east-1"}


def gate_text(project: Path, environment: str) -> str:
    """The gate's message; any exception other than ConfigError fails the test (a traceback)."""
    with pytest.raises(ConfigError) as info:
        check_environment(environment, project)
    text = str(info.value)
    assert settings_module.INTERNAL_ERROR not in text, text
    assert "Traceback" not in text
    return text


def problem_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
@pytest.mark.parametrize("first", [True, False], ids=["primary", "secondary"])
@pytest.mark.parametrize(("region", "said"), BAD_REGIONS, ids=[r for r, _ in BAD_REGIONS])
def test_a_bad_region_in_the_manifest_is_one_clean_problem(
    tmp_path: Path, environment: str, first: bool, region: str, said: str
) -> None:
    project = copy_project(tmp_path / environment, environment)
    primary = f"    - {PRIMARY[environment]}"
    listed = f"    - {region}\n{primary}" if first else f"{primary}\n    - {region}"
    replace_in(project, f"{environment}-global", primary, listed)
    lines = problem_lines(gate_text(project, environment))
    assert len(lines) == 1, lines
    assert f"= '{region}': " in lines[0] and said in lines[0] and "Fix: " in lines[0]


def test_a_region_listed_twice_is_one_clean_problem(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "prod", "prod")
    replace_in(project, "prod-global", "    - us-east-1", "    - us-east-1\n    - us-east-1")
    lines = problem_lines(gate_text(project, "prod"))
    assert len(lines) == 1 and "'us-east-1': is listed twice" in lines[0], lines


# Every key that names a region, each read by another layer's check; a bad region there is that
# key's problem (named), never a crash of the check that reads it.
REGION_KEYS: tuple[tuple[str, str, str], ...] = (
    ("activeActive", "meridian:replication:\n  activeActive: [[us-east-1, {r}]]", "replication"),
    ("drPeers", "meridian:replication:\n  drPeers:\n    {r}: us-east-1", "replication.drPeers"),
    (
        "auroraSecondaries",
        "meridian:dataPlacement:\n  auroraSecondaries: [{r}]",
        "dataPlacement.auroraSecondaries",
    ),
    (
        "cacheSecondaries",
        "meridian:dataPlacement:\n  cacheSecondaries: [{r}]",
        "dataPlacement.cacheSecondaries",
    ),
    (
        "cassandraEngines",
        "meridian:dataPlacement:\n  cassandraEngines:\n    {r}: keyspaces",
        "dataPlacement.cassandraEngines",
    ),
    (
        "backupCopies",
        "meridian:dataPlacement:\n  backupCopies:\n    us-east-1: {r}",
        "dataPlacement.backupCopies",
    ),
    ("serviceOptOuts", "meridian:serviceOptOuts:\n  {r}: [keyspaces]", "serviceOptOuts"),
    ("vpcCidrs", "meridian:vpcCidrs:\n  {r}: 10.128.0.0/16", "vpcCidrs"),
    ("grafanaRegion", "meridian:baseline:\n  grafanaRegion: {r}", "baseline.grafanaRegion"),
)


@pytest.mark.parametrize(("region", "said"), BAD_REGIONS[:2], ids=["unknown", "china"])
@pytest.mark.parametrize(("name", "lines", "key"), REGION_KEYS, ids=[k for k, _, _ in REGION_KEYS])
def test_a_bad_region_in_any_region_key_is_that_keys_problem(
    tmp_path: Path, name: str, lines: str, key: str, region: str, said: str
) -> None:
    del name, said
    project = copy_project(tmp_path / "prod", "prod")
    if key.startswith("replication."):  # the shipped manifest has a meridian:replication block
        block = "  meridian:replication:\n"
        body = "".join(f"  {line}\n" for line in lines.format(r=region).splitlines()[1:])
        replace_in(project, "prod-global", block, block + body)
    else:
        add_config(project, "prod-global", lines.format(r=region))
    text = gate_text(project, "prod")
    assert f"meridian:{key}" in text, text


@pytest.mark.parametrize(("region", "said"), BAD_REGIONS[:2], ids=["unknown", "china"])
def test_a_bad_drained_region_at_the_edge_is_the_edge_files_problem(
    tmp_path: Path, region: str, said: str
) -> None:
    del said
    project = copy_project(tmp_path / "prod", "prod")
    replace_in(project, "prod-edge", "drainedRegions: []", f"drainedRegions: [{region}]")
    lines = problem_lines(gate_text(project, "prod"))
    assert len(lines) == 1 and f"drainedRegions[0] = '{region}'" in lines[0], lines


# -- a key of another namespace named like a Meridian setting --


@pytest.mark.parametrize("stack", ["prod-global", "prod-us-east-1", "prod-edge"])
def test_aws_regions_is_refused_as_a_slip_for_meridian_regions(tmp_path: Path, stack: str) -> None:
    project = copy_project(tmp_path / "prod", "prod")
    add_config(project, stack, "aws:regions:\n  - us-east-1")
    lines = problem_lines(gate_text(project, "prod"))
    assert len(lines) == 1, lines
    assert "aws:regions = ['us-east-1']: is not a setting of aws" in lines[0]
    assert "(did you mean meridian:regions?)" in lines[0]
    assert "rename it to meridian:regions" in lines[0]


def test_real_provider_keys_are_not_taken_for_meridian_ones(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "dev", "dev")
    add_config(project, "dev-global", "aws:region: us-east-1\naws:maxRetries: 5")
    assert "dev-global" in check_environment("dev", project)


# -- the structural guarantee: every check runs guarded, and a raising one is named --


def _validators_defined_in_stacks() -> set[str]:
    names: set[str] = set()
    for path in STACKS_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names |= {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("validate_")
        }
    return names


CALLED_DIRECTLY = {"validate_manifest", "validate_address_plan"}  # guarded() in load_settings
CALLED_INSIDE = {  # a part of a registered (or directly guarded) check
    "validate_node_pools": "validate_region",
    "validate_training_region": "validate_manifest",
}


def test_every_layer_validator_is_registered_to_run_guarded() -> None:
    registered = {n for n, _ in settings_module.ENVIRONMENT_CHECKS}
    registered |= {n for n, _ in settings_module.REGIONAL_CHECKS}
    loose = _validators_defined_in_stacks() - registered - CALLED_DIRECTLY - set(CALLED_INSIDE)
    assert not loose, (
        f"{sorted(loose)}: add each to ENVIRONMENT_CHECKS or REGIONAL_CHECKS in "
        "stacks/settings.py, so the gate runs it with refused regions filtered and guarded"
    )
    assert set(CALLED_INSIDE.values()) <= registered | CALLED_DIRECTLY


def _raising(*_: Any) -> list[Any]:
    raise KeyError("us-east-7")


@pytest.mark.parametrize(
    "check",
    [n for n, _ in settings_module.ENVIRONMENT_CHECKS + settings_module.REGIONAL_CHECKS],
)
def test_a_check_that_raises_is_one_named_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: str
) -> None:
    for table in ("ENVIRONMENT_CHECKS", "REGIONAL_CHECKS"):
        checks = getattr(settings_module, table)
        monkeypatch.setattr(
            settings_module, table, tuple((n, _raising if n == check else f) for n, f in checks)
        )
    project = copy_project(tmp_path / "dev", "dev")
    with pytest.raises(ConfigError) as info:
        check_environment("dev", project)
    text = str(info.value)
    assert f"<check {check}> = \"KeyError: 'us-east-7'\"" in text, text
    assert f"{settings_module.INTERNAL_ERROR}: {check} raised" in text


def test_a_failure_outside_the_checks_is_named_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stacks.config.gate as gate

    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(gate, "load_settings", broken)
    with pytest.raises(ConfigError) as info:
        check_environment("dev", copy_project(tmp_path / "dev", "dev"))
    assert "<check load_settings> = 'RuntimeError: boom'" in str(info.value)


def test_a_bad_partner_network_is_one_clean_problem(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "prod", "prod")
    add_config(project, "prod-global", "meridian:partnerApi:\n  allowedCidrs:\n    - 0.0.0.0/0")
    lines = problem_lines(gate_text(project, "prod"))
    assert len(lines) == 1, lines
    assert "meridian:partnerApi.allowedCidrs = '0.0.0.0/0'" in lines[0]
    assert "admits the whole internet" in lines[0] and "partners' own networks" in lines[0]


def _table_with(tmp_path: Path, service: str, row: dict[str, Any] | None) -> Path:
    """A copy of the shipped service dependency table with one row added (or, with no row, a
    service that is no domain service)."""
    table = json.loads((PROJECT_DIR / "stacks/data/service_dependencies.json").read_text())
    rows = table["services"].setdefault(service, [])
    if row is not None:
        rows.append(row)
    path = tmp_path / "service_dependencies.json"
    path.write_text(json.dumps(table))
    return path


# A dependency row naming what does not exist: the service, a topic, a Cassandra table, a queue.
BAD_ROWS: tuple[tuple[str, dict[str, Any] | None, str, str], ...] = (
    ("billing", None, "services.billing = 'billing'", "Fix: use one of user, auth"),
    (
        "order",
        {"kind": "produce", "target": "orders-v2"},
        "target = 'orders-v2': is not a produce target that exists",
        "Fix: use one of ",
    ),
    (
        "messaging",
        {"kind": "cassandra", "target": "inbox"},
        "target = 'inbox': is not a cassandra target that exists",
        "Fix: use one of activity_feed, messages, audit_log",
    ),
    (
        "notification",
        {"kind": "queue-consume", "target": "sms"},
        "target = 'sms': is not a queue-consume target that exists",
        "Fix: use one of push, email",
    ),
)


@pytest.mark.parametrize(
    ("service", "row", "said", "fix"), BAD_ROWS, ids=["service", "topic", "store", "queue"]
)
def test_a_dependency_row_naming_nothing_is_refused_by_the_environment_gate(
    tmp_path: Path, service: str, row: dict[str, Any] | None, said: str, fix: str
) -> None:
    """The environment's gate judges the dependency table too: the bad row is one clean problem
    naming the table's key, the value and the fix, before any stack is planned."""
    project = copy_project(tmp_path / "dev", "dev")
    check_environment("dev", project)  # the shipped table passes
    table = _table_with(tmp_path, service, row)
    with pytest.raises(ConfigError) as info:
        check_environment("dev", project, dependency_table=table)
    text = str(info.value)
    assert "Traceback" not in text and settings_module.INTERNAL_ERROR not in text, text
    lines = problem_lines(text)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"- stacks/data/service_dependencies.json: services.{service}")
    assert said in lines[0] and fix in lines[0], lines[0]
    assert "nothing was planned or deployed" in text


@pytest.mark.parametrize("algorithm", ["RSA_2048", "RSA_1024"], ids=["valid", "invalid"])
def test_a_regional_partner_ca_key_algorithm_is_one_clean_problem(
    tmp_path: Path, algorithm: str
) -> None:
    """The partner client CA is one per environment (the global stack builds it from the
    manifest); a regional stack file's value would be silently ignored, so the gate refuses it
    (valid or not: one problem, the environment-wide one)."""
    project = copy_project(tmp_path / "prod", "prod")
    add_config(
        project,
        "prod-eu-west-1",
        f"meridian:partnerApi:\n  clientCaKeyAlgorithm: {algorithm}",
    )
    lines = problem_lines(gate_text(project, "prod"))
    assert len(lines) == 1, lines
    assert f"meridian:partnerApi.clientCaKeyAlgorithm = '{algorithm}'" in lines[0]
    assert "environment-wide" in lines[0] and "Pulumi.prod-eu-west-1.yaml" in lines[0]
    assert "Fix: " in lines[0] and "Pulumi.prod-global.yaml" in lines[0]


def test_a_regional_partner_hostname_override_is_still_accepted(tmp_path: Path) -> None:
    """Only the environment-wide field is refused: the rest of `meridian:partnerApi` stays
    regional."""
    project = copy_project(tmp_path / "dev", "dev")
    add_config(project, "dev-us-east-1", "meridian:partnerApi:\n  allowedCidrs: [203.0.113.0/24]")
    check_environment("dev", project)
