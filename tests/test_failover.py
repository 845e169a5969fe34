"""The DR failover runbook against moto and a fake Cloudflare.

moto emulates the global database (members, writer) and Route 53 health checks; it has no
SwitchoverGlobalCluster, and its RemoveFromGlobalCluster does nothing for a member in another
region, so the RDS calls that change the writer are recorded and checked as sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from meridian_ops.ops.failover import (
    FailoverError,
    execute,
    main,
    plan_failover,
)
from stacks.outputs import EdgeKey, RegionalKey

GLOBAL_ID = "meridian-prod-aurora"
PRIMARY, SECONDARY = "us-east-1", "eu-west-1"


class Recorder:
    """A moto RDS client that records the writer-changing calls moto cannot emulate."""

    def __init__(self, client: Any, record: list[tuple[str, dict[str, Any]]]) -> None:
        self._client = client
        self._record = record

    def switchover_global_cluster(self, **kwargs: Any) -> dict[str, Any]:
        self._record.append(("switchover_global_cluster", kwargs))
        return {}

    def remove_from_global_cluster(self, **kwargs: Any) -> dict[str, Any]:
        self._record.append(("remove_from_global_cluster", kwargs))
        return {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class FakeCloudflare:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []

    def set_pool_enabled(self, account_id: str, pool_id: str, enabled: bool) -> None:
        self.calls.append((account_id, pool_id, enabled))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        primary = boto3.client("rds", region_name=PRIMARY)
        primary.create_global_cluster(GlobalClusterIdentifier=GLOBAL_ID, Engine="aurora-postgresql")
        arns = {}
        for region in (PRIMARY, SECONDARY):
            rds = boto3.client("rds", region_name=region)
            extra: dict[str, Any] = (
                {"MasterUsername": "meridian", "MasterUserPassword": "not-a-real-one-123"}
                if region == PRIMARY
                else {}
            )
            cluster = rds.create_db_cluster(
                DBClusterIdentifier=f"meridian-prod-{region}-aurora",
                Engine="aurora-postgresql",
                GlobalClusterIdentifier=GLOBAL_ID,
                **extra,
            )["DBCluster"]
            arns[region] = cluster["DBClusterArn"]
        route53 = boto3.client("route53")
        checks = {
            region: route53.create_health_check(
                CallerReference=region,
                HealthCheckConfig={
                    "Type": "HTTPS",
                    "FullyQualifiedDomainName": f"{region}.origin.example.com",
                    "Port": 443,
                    "ResourcePath": "/healthz",
                },
            )["HealthCheck"]["Id"]
            for region in (PRIMARY, SECONDARY)
        }
        yield {"arns": arns, "checks": checks}


def outputs_for(aws: dict[str, Any], provider: str = "aws") -> Any:
    def read(stack: str) -> dict[str, Any]:
        if stack == "prod-edge":
            return {
                EdgeKey.EDGE_PROVIDER: provider,
                EdgeKey.HEALTH_CHECKS: aws["checks"],
                EdgeKey.ORIGIN_POOLS: {PRIMARY: "pool-use1", SECONDARY: "pool-euw1"},
                EdgeKey.CLOUDFLARE_ACCOUNT_ID: "acc-1",
            }
        region = stack.removeprefix("prod-")
        if region not in aws["arns"]:
            return {}
        return {
            RegionalKey.AURORA: {
                "globalClusterIdentifier": GLOBAL_ID,
                "clusterArn": aws["arns"][region],
                "role": "primary" if region == PRIMARY else "secondary",
            }
        }

    return read


def rds(region: str) -> Any:
    return boto3.client("rds", region_name=region)


def test_unplanned_failover_detaches_and_promotes_and_drains_the_edge(
    aws: dict[str, Any],
) -> None:
    plan = plan_failover(
        "prod", SECONDARY, unplanned=True, outputs=outputs_for(aws), rds_client=rds
    )
    assert (plan.from_region, plan.to_region) == (PRIMARY, SECONDARY)
    assert [c.operation for c in plan.calls] == [
        "remove_from_global_cluster",
        "update_health_check",
    ]
    record: list[tuple[str, dict[str, Any]]] = []
    execute(
        plan,
        rds_client=lambda region: Recorder(rds(region), record),
        route53_client=lambda: boto3.client("route53"),
        cloudflare=None,
        say=lambda _: None,
    )
    assert record == [
        (
            "remove_from_global_cluster",
            {"GlobalClusterIdentifier": GLOBAL_ID, "DbClusterIdentifier": aws["arns"][SECONDARY]},
        )
    ]
    check = boto3.client("route53").get_health_check(HealthCheckId=aws["checks"][PRIMARY])
    assert check["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True


def test_planned_switchover_targets_the_new_region_and_drains_cloudflare(
    aws: dict[str, Any],
) -> None:
    record: list[tuple[str, dict[str, Any]]] = []
    plan = plan_failover(
        "prod",
        SECONDARY,
        unplanned=False,
        outputs=outputs_for(aws, provider="cloudflare"),
        rds_client=rds,
    )
    cloudflare = FakeCloudflare()
    execute(
        plan,
        rds_client=lambda region: Recorder(rds(region), record),
        route53_client=lambda: boto3.client("route53"),
        cloudflare=cloudflare,
        say=lambda _: None,
    )
    assert record == [
        (
            "switchover_global_cluster",
            {
                "GlobalClusterIdentifier": GLOBAL_ID,
                "TargetDbClusterIdentifier": aws["arns"][SECONDARY],
            },
        )
    ]
    assert cloudflare.calls == [("acc-1", "pool-use1", False)]
    # the master secret's rotation stays in the configured primary: the runbook says so
    assert any(f"rotation runs in {PRIMARY}" in n and "(P3)" in n for n in plan.notes)


def test_a_region_outside_the_environment_is_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(FailoverError, match="ap-east-1 is not a region of prod"):
        plan_failover("prod", "ap-east-1", unplanned=True, outputs=outputs_for(aws), rds_client=rds)


def test_failing_over_to_the_writer_is_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(FailoverError, match="already the writer"):
        plan_failover("prod", PRIMARY, unplanned=False, outputs=outputs_for(aws), rds_client=rds)


def test_a_region_without_aurora_outputs_is_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(FailoverError, match="exports no Aurora cluster"):
        plan_failover("prod", "sa-east-1", unplanned=True, outputs=outputs_for(aws), rds_client=rds)


def test_cli_refuses_a_foreign_region_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--env", "prod", "--to", "cn-north-1"]) == 2
    err = capsys.readouterr().err
    assert "cn-north-1 is not a region of prod" in err


def test_the_shipped_edges_export_what_the_runbook_drains() -> None:
    from tests.plans import PROD_REGIONS, planned

    prod = planned("prod")["prod-edge"]["outputs"]
    assert prod[EdgeKey.EDGE_PROVIDER] == "cloudflare"
    assert set(prod[EdgeKey.ORIGIN_POOLS]) == set(PROD_REGIONS)
    assert prod[EdgeKey.CLOUDFLARE_ACCOUNT_ID]
    staging = planned("staging")["staging-edge"]["outputs"]
    assert staging[EdgeKey.EDGE_PROVIDER] == "aws"
    assert set(staging[EdgeKey.HEALTH_CHECKS]) == {"us-east-1", "eu-west-1"}
    regional = planned("prod")[f"prod-{PROD_REGIONS[1]}"]["outputs"][RegionalKey.AURORA]
    assert regional["clusterArn"] and regional["globalClusterIdentifier"]
