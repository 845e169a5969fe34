"""Never pin a version that was not seen at its publisher.

Every pin in stacks/versions.py, each Helm chart included, has an Evidence record (publisher,
source, how it was checked, date, the versions the source listed). These tests hold each pin to
its record and, where AWS's own data ships offline (botocore's endpoint and RDS models), to that
data too. The fetched sources themselves cannot be committed, so the records keep the facts read
there.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import pytest

from stacks import versions

# Module constants that are not pins of their own: the evidence table and its date, the chart
# table (its entries are HelmChart records), and the Istio version the four istio-* charts share.
NOT_PINS = {"EVIDENCE", "CHECKED_ON", "HELM_CHARTS", "ISTIO_VERSION"}


def _pins(name: str, value: object) -> Iterator[tuple[str, str]]:
    """(pin name, pinned value) for a constant; a table's entries are pins of their own."""
    if isinstance(value, dict):
        for key, entry in value.items():
            yield from _pins(f"{name}[{key}]", entry)
    elif isinstance(value, frozenset):
        yield name, ",".join(sorted(value))
    elif isinstance(value, str):
        yield name, value
    else:
        raise AssertionError(f"{name}: a pin of type {type(value).__name__} has no evidence rule")


def pins(module: object = versions) -> dict[str, str]:
    """Every non-chart pin of a versions module, found by walking its public constants."""
    found: dict[str, str] = {}
    for name, value in vars(module).items():
        if name.isupper() and not name.startswith("_") and name not in NOT_PINS:
            found.update(_pins(name, value))
    return found


def unpublished(evidence: dict[str, versions.Evidence], pinned: dict[str, str]) -> list[str]:
    """Pins without a record, or whose value is not among the versions their source listed."""
    problems: list[str] = []
    for name, value in pinned.items():
        record = evidence.get(name)
        if record is None:
            problems.append(f"{name}: no evidence record")
            continue
        seen = set(record.published)
        values = set(value.split(",")) if name == "MSK_REPLICATOR_REGIONS" else {value}
        if not values <= seen:
            problems.append(f"{name}={value}: not among {sorted(seen)} seen at {record.source}")
    return problems


def test_every_pin_has_evidence_and_matches_it() -> None:
    assert unpublished(versions.EVIDENCE, pins()) == []


def test_evidence_records_are_complete() -> None:
    for name, record in versions.EVIDENCE.items():
        assert record.publisher and record.source and record.checked and record.published, name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.date), (name, record.date)
    # No record for a pin that no longer exists.
    assert set(versions.EVIDENCE) <= set(pins())


def test_a_pin_without_evidence_is_refused() -> None:
    class WithNewPin:
        KUBERNETES_VERSION = "1.35"
        REDPANDA_VERSION = "25.1.1"

    assert unpublished(versions.EVIDENCE, pins(WithNewPin)) == [
        "REDPANDA_VERSION: no evidence record"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AURORA_POSTGRES_VERSION", "17.99"),
        ("KAFKA_VERSION", "4.1.x"),
        ("CACHE_ENGINE_VERSIONS[redis]", "7.2"),
        ("EKS_ADDONS[1.35][coredns]", "v1.13.2-eksbuild.99"),
        ("EKS_AMI_RELEASE_VERSIONS[1.35]", "1.35.6-20260715"),
        ("CASSANDRA_VERSION", "4.1.99"),
        ("MSK_REPLICATOR_REGIONS", "me-south-1,us-east-1"),
    ],
)
def test_an_unpublished_version_is_refused(name: str, value: str) -> None:
    problems = unpublished(versions.EVIDENCE, {name: value})
    assert len(problems) == 1 and problems[0].startswith(f"{name}={value}: not among"), problems


def test_kubernetes_version_has_addons_and_node_amis() -> None:
    """The add-on row and the AMI release version used are the ones for KUBERNETES_VERSION."""
    k8s = versions.KUBERNETES_VERSION
    assert k8s in versions.EKS_ADDONS
    for addon in versions.EKS_ADDONS[k8s]:
        assert f"EKS_ADDONS[{k8s}][{addon}]" in versions.EVIDENCE, addon
    # kube-proxy is built per Kubernetes minor version.
    assert versions.EKS_ADDONS[k8s]["kube-proxy"].startswith(f"v{k8s}.")
    release = versions.eks_ami_release_version(k8s)
    date = versions.EKS_AMI_RELEASE.removeprefix("v")
    for kubernetes, release_version in versions.EKS_AMI_RELEASE_VERSIONS.items():
        assert re.fullmatch(rf"{re.escape(kubernetes)}\.\d+-{date}", release_version)
    assert release in versions.EVIDENCE[f"EKS_AMI_RELEASE_VERSIONS[{k8s}]"].published


def _botocore_endpoints() -> dict[str, Any]:
    return botocore.loaders.Loader().load_data("endpoints")


def test_msk_replicator_regions_run_msk() -> None:
    """botocore's endpoint data (AWS-published, offline) has an MSK endpoint in each region."""
    aws = next(p for p in _botocore_endpoints()["partitions"] if p["partition"] == "aws")
    kafka_regions = set(aws["services"]["kafka"]["endpoints"])
    assert kafka_regions >= versions.MSK_REPLICATOR_REGIONS


def test_rotation_versions_cover_the_partitions_aws_publishes() -> None:
    partitions = {p["partition"] for p in _botocore_endpoints()["partitions"]}
    assert set(versions.AURORA_ROTATION_VERSIONS) <= partitions
    assert {"aws", "aws-cn", "aws-us-gov"} <= set(versions.AURORA_ROTATION_VERSIONS)


def test_aurora_family_follows_aws_naming() -> None:
    """RDS parameter group families are aurora-postgresql<major> in AWS's own RDS model (botocore
    ships it), and the family matches the pinned version's major."""
    model = Path(botocore.__file__).parent / "data" / "rds" / "2014-10-31" / "service-2.json.gz"
    families = set(
        re.findall(r"aurora-postgresql\d+", gzip.decompress(model.read_bytes()).decode())
    )
    assert families, "botocore's RDS model names no aurora-postgresql families"
    assert all(re.fullmatch(r"aurora-postgresql\d+", f) for f in families)
    major = versions.AURORA_POSTGRES_VERSION.split(".")[0]
    assert f"aurora-postgresql{major}" == versions.AURORA_POSTGRES_FAMILY


def test_moto_engine_data_cannot_vouch_for_aurora_17() -> None:
    """moto's snapshot of describe-orderable-db-instance-options stops before Aurora PostgreSQL 17,
    so the release notes (recorded in the evidence) are the check; README's Known limits says so.
    When moto's data reaches 17.x this test fails: then check the pin against moto too."""
    import moto

    data = Path(moto.__file__).parent / "rds" / "resources" / "cluster_options"
    options = json.loads(gzip.decompress((data / "aurora-postgresql.json.gz").read_bytes()))
    known = {o.get("EV") for o in options if o.get("EV")}
    assert not any(v.startswith("17.") for v in known), "moto now knows 17.x: check the pin in it"


def chart_problems(charts: dict[str, versions.HelmChart]) -> list[str]:
    """Charts whose version is not among those their evidence lists, or whose record is thin."""
    problems = [
        f"HELM_CHARTS[{name}]: {chart.version} is not among the versions its evidence lists "
        f"({', '.join(chart.evidence.published)})"
        for name, chart in charts.items()
        if chart.version not in chart.evidence.published
    ]
    problems += [
        f"HELM_CHARTS[{name}]: evidence lacks {field}"
        for name, chart in charts.items()
        for field in ("publisher", "source", "checked")
        if not getattr(chart.evidence, field)
    ]
    return problems


def test_every_chart_pin_has_evidence_and_matches_it() -> None:
    assert not chart_problems(versions.HELM_CHARTS)


def test_an_unpublished_chart_version_is_refused() -> None:
    # 0.158.3 was never published: the index goes from 0.158.2 to 0.159.0.
    doctored = dataclasses.replace(
        versions.HELM_CHARTS["opentelemetry-collector"], version="0.158.3"
    )
    assert chart_problems({"opentelemetry-collector": doctored}) == [
        "HELM_CHARTS[opentelemetry-collector]: 0.158.3 is not among the versions its evidence "
        "lists (0.170.0)"
    ]
