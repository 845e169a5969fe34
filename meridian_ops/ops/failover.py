"""DR failover runbook: move the Aurora global database's writer and the edge's traffic to another
region of the environment.

    make failover ENV=prod TO=eu-west-1              # dry run: prints every call, changes nothing
    make failover ENV=prod TO=eu-west-1 EXECUTE=1    # asks, then acts
    python -m meridian_ops.ops.failover --env prod --to eu-west-1 [--unplanned] [--execute] [--yes]

Planned (the default): a managed switchover of the Aurora global database to the target region's
cluster (`SwitchoverGlobalCluster`: no data loss, the old writer becomes a secondary), then the
edge stops sending traffic to the old writer's region.

Unplanned (`--unplanned`, the old writer's region is down): detach and promote. The target
cluster is removed from the global database (`RemoveFromGlobalCluster`), which makes it a
standalone writer at once, accepting the loss of writes not yet replicated (under 1 s of data by
Aurora's replication lag); then the edge drains the failed region. Rebuilding the global database
around the new writer is a later, planned operation.

Edge traffic: with Cloudflare, the failed region's origin pool is disabled (through
`CloudflareClient`, the one small interface to Cloudflare's API that tests replace); with the
AWS-native edge, the failed region's Route 53 health check is inverted so that latency routing
treats it as unhealthy. Afterwards add the region to `meridian:edge.drainedRegions` so the next
`pulumi up` of the edge keeps it out of rotation.

Where the identifiers come from: the stacks' outputs (`aurora` of each regional stack;
`originPools` / `healthChecks` of the edge stack), read through `StackOutputs`: the Automation API
in real use, the offline plan's files or a dictionary in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.outputs import EdgeKey, RegionalKey


class FailoverError(Exception):
    """A failover that must not start; the message says why and what to do."""


class StackOutputs(Protocol):
    def __call__(self, stack: str, /) -> Mapping[str, Any]: ...


class CloudflareClient(Protocol):
    """The Cloudflare calls the runbook makes."""

    def set_pool_enabled(self, account_id: str, pool_id: str, enabled: bool) -> None: ...


class CloudflareApi:
    """Cloudflare's v4 API over HTTPS with a token from CLOUDFLARE_API_TOKEN."""

    def __init__(self, token: str) -> None:
        self.token = token

    def set_pool_enabled(self, account_id: str, pool_id: str, enabled: bool) -> None:
        import urllib.request

        request = urllib.request.Request(
            f"https://api.cloudflare.com/client/v4/accounts/{account_id}/load_balancers/pools/"
            f"{pool_id}",
            data=json.dumps({"enabled": enabled}).encode(),
            method="PATCH",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        if not body.get("success"):
            raise FailoverError(
                f"Cloudflare refused to update pool {pool_id}: {body.get('errors')}"
            )


@dataclass(frozen=True)
class Call:
    """One API call of the runbook, as printed and as made."""

    service: str
    region: str
    operation: str
    arguments: Mapping[str, Any]

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.service}[{self.region}].{self.operation}({args})"


@dataclass
class FailoverPlan:
    environment: str
    from_region: str
    to_region: str
    unplanned: bool
    calls: list[Call] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def environment_regions(environment: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    manifest = project_dir / f"Pulumi.{environment}-global.yaml"
    if not manifest.exists():
        raise FailoverError(f"environment {environment} has no manifest ({manifest.name})")
    regions = read_stack_file(manifest).get("meridian:regions") or []
    return [str(r) for r in regions]


def _aurora(outputs: StackOutputs, stack: str) -> Mapping[str, Any]:
    aurora = outputs(stack).get(RegionalKey.AURORA)
    if not isinstance(aurora, Mapping) or not aurora.get("clusterArn"):
        raise FailoverError(
            f"stack {stack} exports no Aurora cluster (output '{RegionalKey.AURORA}'): deploy it "
            "first, or the "
            "region runs no Aurora secondary"
        )
    return aurora


def _writer_region(rds: Any, global_id: str) -> str | None:
    clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_id)["GlobalClusters"]
    for member in clusters[0].get("GlobalClusterMembers", []) if clusters else []:
        if member.get("IsWriter"):
            return str(member["DBClusterArn"]).split(":")[3]
    return None


def plan_failover(
    environment: str,
    to_region: str,
    *,
    unplanned: bool,
    outputs: StackOutputs,
    rds_client: Callable[[str], Any],
    project_dir: Path = PROJECT_DIR,
) -> FailoverPlan:
    """Every call the failover makes, in order; refuses a target outside the environment."""
    regions = environment_regions(environment, project_dir)
    if to_region not in regions:
        raise FailoverError(
            f"{to_region} is not a region of {environment} (meridian:regions in "
            f"Pulumi.{environment}-global.yaml: {', '.join(regions)}); fail over to one of those"
        )
    target = _aurora(outputs, f"{environment}-{to_region}")
    global_id = str(target["globalClusterIdentifier"])
    writer = _writer_region(rds_client(to_region), global_id)
    if writer is None:
        raise FailoverError(f"global database {global_id} has no writer: nothing to fail over from")
    if writer == to_region:
        raise FailoverError(f"{to_region} is already the writer of {global_id}: nothing to do")
    plan = FailoverPlan(environment, writer, to_region, unplanned)
    if unplanned:
        plan.calls.append(
            Call(
                "rds",
                to_region,
                "remove_from_global_cluster",
                {"GlobalClusterIdentifier": global_id, "DbClusterIdentifier": target["clusterArn"]},
            )
        )
        plan.notes.append(
            f"{to_region}'s cluster is now a standalone writer; rebuild the global database "
            f"around it once {writer} is back (a planned operation, not `pulumi up`)"
        )
    else:
        plan.calls.append(
            Call(
                "rds",
                to_region,
                "switchover_global_cluster",
                {
                    "GlobalClusterIdentifier": global_id,
                    "TargetDbClusterIdentifier": target["clusterArn"],
                },
            )
        )
    edge = outputs(f"{environment}-edge")
    provider = edge.get(EdgeKey.EDGE_PROVIDER)
    if provider == "cloudflare":
        pools = edge.get(EdgeKey.ORIGIN_POOLS) or {}
        if writer not in pools:
            raise FailoverError(f"the edge stack exports no origin pool for {writer}")
        plan.calls.append(
            Call(
                "cloudflare",
                "global",
                "set_pool_enabled",
                {"account_id": edge.get(EdgeKey.CLOUDFLARE_ACCOUNT_ID), "pool_id": pools[writer]},
            )
        )
    elif provider == "aws":
        checks = edge.get(EdgeKey.HEALTH_CHECKS) or {}
        if writer not in checks:
            raise FailoverError(f"the edge stack exports no Route 53 health check for {writer}")
        plan.calls.append(
            Call(
                "route53",
                "global",
                "update_health_check",
                {"HealthCheckId": checks[writer], "Inverted": True},
            )
        )
    else:
        raise FailoverError(
            f"the edge stack exports an unknown {EdgeKey.EDGE_PROVIDER} {provider!r}"
        )
    plan.notes.append(
        f"add {writer} to meridian:edge.drainedRegions in Pulumi.{environment}-edge.yaml so the "
        "next `pulumi up` of the edge keeps it out of rotation"
    )
    if regions[0] != to_region:
        plan.notes.append(
            f"the master secret's rotation runs in {regions[0]} (the configured primary) against "
            f"its own cluster: while the writer is in {to_region}, scheduled rotations fail (P3) "
            "and the current password stays valid; they succeed again once the writer is back"
        )
    return plan


def execute(
    plan: FailoverPlan,
    *,
    rds_client: Callable[[str], Any],
    route53_client: Callable[[], Any],
    cloudflare: CloudflareClient | None,
    say: Callable[[str], None] = print,
) -> None:
    for call in plan.calls:
        say(f"calling {call}")
        if call.service == "rds":
            getattr(rds_client(call.region), call.operation)(**call.arguments)
        elif call.service == "route53":
            getattr(route53_client(), call.operation)(**call.arguments)
        elif call.service == "cloudflare":
            if cloudflare is None:
                raise FailoverError("set CLOUDFLARE_API_TOKEN to drain a Cloudflare pool")
            cloudflare.set_pool_enabled(
                str(call.arguments["account_id"]), str(call.arguments["pool_id"]), enabled=False
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make failover",
        description="Fail the environment over to another region (dry run unless --execute).",
    )
    parser.add_argument("--env", required=True)
    parser.add_argument("--to", required=True, help="the region that becomes the writer")
    parser.add_argument("--unplanned", action="store_true", help="detach and promote")
    parser.add_argument("--execute", action="store_true", help="act (default: print the calls)")
    parser.add_argument("--yes", action="store_true", help="do not ask before acting")
    parser.add_argument("--profile", help="AWS profile")
    args = parser.parse_args(argv)
    import boto3

    from meridian_ops.ops.orchestrate import automation_outputs

    session = boto3.Session(profile_name=args.profile)
    try:
        plan = plan_failover(
            args.env,
            args.to,
            unplanned=args.unplanned,
            outputs=automation_outputs(PROJECT_DIR),
            rds_client=lambda region: session.client("rds", region_name=region),
        )
    except FailoverError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kind = "unplanned (detach and promote)" if plan.unplanned else "planned switchover"
    print(f"{kind} of {plan.environment}: writer {plan.from_region} -> {plan.to_region}")
    for call in plan.calls:
        print(f"  {call}")
    for note in plan.notes:
        print(f"  then: {note}")
    if not args.execute:
        print("dry run: nothing was changed (add --execute to act)")
        return 0
    if not args.yes:
        answer = input(f"type {plan.to_region} to fail over: ")
        if answer.strip() != plan.to_region:
            print("aborted", file=sys.stderr)
            return 1
    import os

    token = os.environ.get("CLOUDFLARE_API_TOKEN")
    execute(
        plan,
        rds_client=lambda region: session.client("rds", region_name=region),
        route53_client=lambda: session.client("route53"),
        cloudflare=CloudflareApi(token) if token else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
