"""The region capability table: drift against moto, known facts, the reader API, refresh."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from meridian_ops.gen import capabilities as gen
from stacks import capabilities as caps
from tests.plans import PROD_REGIONS

# What moto 5.2.5's snapshot says is missing in the prod regions. Prod config must opt out of
# exactly these; if a moto upgrade changes them, this test is the reminder to revisit prod.
EXPECTED_PROD_GAPS: dict[str, list[str]] = {
    "ap-south-1": ["managed-grafana"],
    "me-south-1": ["managed-grafana"],
    "sa-east-1": ["managed-grafana"],
    "af-south-1": ["managed-grafana", "serverless-repo"],  # not the Aurora primary
}


@pytest.fixture(scope="session")
def fresh_table() -> dict[str, Any]:
    """One moto generation per test session (~4 s)."""
    return gen.generate_from_moto(date="2000-01-01")


@pytest.fixture(scope="session")
def committed() -> dict[str, Any]:
    return gen.load(gen.TABLE_PATH)


# -- drift ------------------------------------------------------------------------------------


def test_committed_table_matches_fresh_moto_generation(
    committed: dict[str, Any], fresh_table: dict[str, Any]
) -> None:
    if committed["source"]["kind"] == "account refresh":
        pytest.skip("committed table comes from an account refresh; cannot re-fetch offline")
    delta = gen.diff(committed, fresh_table)
    assert not delta, (
        "stacks/region_capabilities.json drifted; run "
        "`python -m meridian_ops.gen.capabilities generate`\n" + delta
    )


def test_committed_file_is_canonical_json(committed: dict[str, Any]) -> None:
    text = gen.TABLE_PATH.read_text(encoding="utf-8")
    assert text == gen.render(committed), "not in generator format (sorted keys, indent 2)"
    assert committed["source"]["content_sha256"] == gen._content_hash(committed)


def test_check_reports_hand_edits(tmp_path: Path, committed: dict[str, Any]) -> None:
    edited = json.loads(json.dumps(committed))
    edited["regions"]["af-south-1"]["services"]["managed-grafana"] = True
    path = tmp_path / "region_capabilities.json"
    path.write_text(gen.render(edited), encoding="utf-8")
    lines: list[str] = []
    assert gen.check(path, out=lines.append) == 1
    assert "hash mismatch" in "\n".join(lines)


def test_diff_is_readable_and_ignores_date(fresh_table: dict[str, Any]) -> None:
    other = json.loads(json.dumps(fresh_table))
    other["source"]["date"] = "1999-12-31"
    assert gen.diff(fresh_table, other) == ""
    other["regions"]["us-east-1"]["az_count"] = 5
    delta = gen.diff(fresh_table, other)
    assert '-      "az_count": 6,' in delta and '+      "az_count": 5,' in delta


def test_write_keeps_date_when_content_unchanged(
    tmp_path: Path, fresh_table: dict[str, Any]
) -> None:
    path = tmp_path / "t.json"
    assert gen.write(fresh_table, path)
    later = json.loads(json.dumps(fresh_table))
    later["source"]["date"] = "2099-01-01"
    assert not gen.write(later, path)
    assert gen.load(path)["source"]["date"] == "2000-01-01"


# -- the data ---------------------------------------------------------------------------------


def test_covers_every_commercial_region_only(fresh_table: dict[str, Any]) -> None:
    regions = set(fresh_table["regions"])
    assert set(PROD_REGIONS) <= regions
    assert not {r for r in regions if r.startswith(("cn-", "us-gov-", "eusc-"))}
    assert len(regions) >= 30


def test_service_codes_are_verified_against_ssm(fresh_table: dict[str, Any]) -> None:
    src = fresh_table["source"]
    assert set(src["service_code_long_names"]) == set(gen.SERVICE_CODES.values())
    assert src["service_code_long_names"]["mcs"] == "Amazon Keyspaces (for Apache Cassandra)"
    assert src["service_code_long_names"]["waf"] == "AWS WAF"


def test_unknown_service_code_fails_generation() -> None:
    with mock_aws():
        ssm = boto3.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        ).client("ssm")
        with pytest.raises(RuntimeError, match="wafv2"):
            gen._service_long_names(ssm, ["eks", "wafv2"])


def test_us_east_1_facts() -> None:
    for service in (
        "eks",
        "msk",
        "keyspaces",
        "managed-prometheus",
        "aurora-postgresql",
    ):
        assert caps.offers("us-east-1", service), service
    assert caps.az_count("us-east-1") >= 6
    assert caps.az_ids("us-east-1")[0] == "use1-az1"
    assert caps.long_name("us-east-1") == "US East (N. Virginia)"
    assert caps.instance_type_offered("us-east-1", "p5.48xlarge")
    assert caps.instance_type_az_count("us-east-1", "m7i.large") >= 3


def test_prod_region_service_gaps() -> None:
    gaps = {r: caps.missing_services(r) for r in PROD_REGIONS if caps.missing_services(r)}
    assert gaps == EXPECTED_PROD_GAPS
    assert not caps.offers("me-south-1", "managed-grafana")
    assert not caps.offers("af-south-1", "managed-grafana")


def test_gpu_and_system_types_where_moto_says() -> None:
    # af-south-1 and me-south-1 offer g4dn (inference) but no p-class (training) GPU type.
    for region in ("af-south-1", "me-south-1"):
        offered = {t for t in caps.gpu_instance_types() if caps.instance_type_offered(region, t)}
        assert offered == {"g4dn.xlarge", "g4dn.2xlarge", "g4dn.12xlarge"}, region
    # me-south-1 lacks the m7i / c7i system types; m6i is there in all 3 AZs.
    assert not caps.instance_type_offered("me-south-1", "m7i.large")
    assert caps.instance_type_az_count("me-south-1", "m6i.large") == 3
    assert caps.instance_type_az_count("eu-central-1", "g5.xlarge") == 3
    for region in PROD_REGIONS:
        assert caps.instance_data_available(region), region
        assert caps.instance_type_offered(region, "m6i.large"), region


def test_instance_az_ids_are_a_subset_of_published_azs() -> None:
    for region in caps.known_regions():
        published = set(caps.az_ids(region))
        assert len(published) == caps.az_count(region)
        for t in caps.instance_types():
            ids = caps.instance_type_az_ids(region, t)
            assert set(ids) <= published, (region, t)
            assert len(ids) == caps.instance_type_az_count(region, t)
            assert caps.instance_type_offered(region, t) == bool(ids), (region, t)


def test_regions_without_ec2_data_offer_nothing() -> None:
    no_data = [r for r in caps.known_regions() if not caps.instance_data_available(r)]
    for region in no_data:
        assert not caps.instance_type_offered(region, "m6i.large")
        assert caps.instance_type_az_count(region, "m6i.large") == 0


# -- the reader API ---------------------------------------------------------------------------


def test_reader_services_and_unknown_service() -> None:
    assert caps.services() == sorted(gen.SERVICE_CODES)
    with pytest.raises(ValueError, match="Unknown Meridian service name 'grafana'") as err:
        caps.offers("us-east-1", "grafana")
    assert "managed-grafana" in str(err.value)


def test_reader_unknown_region() -> None:
    assert caps.region_exists("eu-west-1")
    assert not caps.region_exists("eu-west-9")
    assert not caps.region_exists("cn-north-1")
    with pytest.raises(ValueError, match="Unknown AWS region 'us-east-7'"):
        caps.az_count("us-east-7")
    with pytest.raises(ValueError, match="Did you mean 'eu-central-1'"):
        caps.offers("eu-centrl-1", "eks")
    assert caps.nearest_known_region("us-eats-1") == "us-east-1"
    assert caps.nearest_known_region("EU-WEST-1") == "eu-west-1"
    assert caps.nearest_known_region("mars") is None


def test_reader_untracked_instance_type() -> None:
    with pytest.raises(ValueError, match="not tracked"):
        caps.instance_type_offered("us-east-1", "t3.micro")


def test_reader_source_and_known_regions() -> None:
    src = caps.source()
    assert src["kind"].startswith("moto ") or src["kind"] == "account refresh"
    assert src["service_codes"]["keyspaces"] == "mcs"
    src["service_codes"]["keyspaces"] = "mutated"
    assert caps.source()["service_codes"]["keyspaces"] == "mcs"
    assert caps.known_regions() == sorted(caps.known_regions())
    assert "us-east-1" in caps.known_regions()


def test_reader_imports_stdlib_only() -> None:
    tree = ast.parse(Path(caps.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


# -- refresh shares the code path -------------------------------------------------------------


def test_refresh_runs_the_same_code_against_an_injected_session(
    fresh_table: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto setup only (skip loading ~2,000 AMIs per region); the code under test is unchanged.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="eu-west-1",
        )
        refreshed = gen.refresh(session, date="2000-01-01")
    assert refreshed["source"]["kind"] == "account refresh"
    assert refreshed["regions"] == fresh_table["regions"]
    same_source = {
        k: v for k, v in refreshed["source"].items() if k not in ("kind", "content_sha256")
    }
    assert same_source == {
        k: v for k, v in fresh_table["source"].items() if k not in ("kind", "content_sha256")
    }


def test_cli_check_passes_on_committed_table(
    monkeypatch: pytest.MonkeyPatch,
    fresh_table: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(gen, "generate_from_moto", lambda **_: fresh_table)
    assert gen.main(["check"]) == 0
    assert "matches moto" in capsys.readouterr().out


def test_check_accepts_intact_account_refresh_without_network(
    tmp_path: Path, committed: dict[str, Any]
) -> None:
    refreshed = json.loads(json.dumps(committed))
    refreshed["source"]["kind"] = "account refresh"
    refreshed["source"]["content_sha256"] = gen._content_hash(refreshed)
    path = tmp_path / "region_capabilities.json"
    path.write_text(gen.render(refreshed), encoding="utf-8")
    lines: list[str] = []
    assert gen.check(path, out=lines.append) == 0
    assert "account refresh" in lines[0]
