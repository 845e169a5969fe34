"""First deploy without races: a resource that AWS validates when it is created waits, in the
planned graph, for everything it reads at that moment (its role's permissions, a cluster policy,
a topic, a bucket policy, a secret). Pulumi creates in dependency order and otherwise in
parallel; an input reference orders only what it names (a role's ARN, not the role's policy)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from tests.plans import planned, states

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _children(plan: dict[str, Any]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for state in states(plan):
        children.setdefault(state.get("parent", ""), []).append(state["urn"])
    return children


def waits_for(plan: dict[str, Any], urn: str) -> set[str]:
    """Every resource `urn` is created after: its dependencies, transitively; a dependency on a
    component is one on all its descendants (Pulumi's depends_on semantics)."""
    deps = {s["urn"]: list(s.get("dependencies", [])) for s in states(plan)}
    children = _children(plan)
    seen: set[str] = set()
    todo = list(deps.get(urn, []))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += deps.get(current, [])
        todo += children.get(current, [])
    return seen


def named(plan: dict[str, Any], kind: str, contains: str = "") -> list[str]:
    return [s["urn"] for s in states(plan, kind) if contains in s["urn"].rsplit("::", 1)[-1]]


def _missing(plan: dict[str, Any], consumer: str, needed: Iterable[str]) -> list[str]:
    before = waits_for(plan, consumer)
    return [n.rsplit("::", 1)[-1] for n in needed if n not in before]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_firehose_waits_for_cluster_policy_topics_and_its_role_policy(preview: bool) -> None:
    """Each stream reading an MSK topic (the lake's bronze feed; the log shipping stream takes
    Direct PUT from CloudWatch Logs) waits for the cluster policy, its topic and its role policy."""
    fed = 0
    for stack, plan in planned("dev", preview).items():
        streams = [
            s["urn"] for s in states(plan, FIREHOSE) if "mskSourceConfiguration" in s["inputs"]
        ]
        if not streams:
            continue
        fed += len(streams)
        policy = named(plan, "aws:msk/clusterPolicy:ClusterPolicy")
        topics = {s["inputs"]["name"]: s["urn"] for s in states(plan, "aws:msk/topic:Topic")}
        feed_policy = named(plan, ROLE_POLICY, "bronze-feed-policy")
        assert policy and feed_policy, stack
        for stream in streams:
            state = next(s for s in states(plan, FIREHOSE) if s["urn"] == stream)
            topic = state["inputs"]["mskSourceConfiguration"]["topicName"]
            needed = [*policy, topics[topic], *feed_policy]
            assert not _missing(plan, stream, needed), (stack, stream)
    assert fed, "no Firehose stream reads an MSK topic: the lake's bronze feed is missing"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_rds_proxy_waits_for_its_secret_and_role_policy(preview: bool) -> None:
    """A proxy in front of a writer reads the master secret with its role when it is created:
    it waits for that secret (the stack's `aurora-master`, or the cluster whose RDS-managed secret
    it names) and for the role's read policy. A global-database secondary's proxy authenticates
    end to end with IAM and names no secret (components/data/aurora.py `_iam_proxy`)."""
    secret_proxies = iam_proxies = 0
    for environment in ("dev", "staging"):
        for plan in planned(environment, preview).values():
            for proxy in states(plan, "aws:rds/proxy:Proxy"):
                if proxy["inputs"].get("defaultAuthScheme") == "IAM_AUTH":
                    iam_proxies += 1
                    assert not proxy["inputs"].get("auths"), proxy["urn"]
                    assert not named(plan, ROLE_POLICY, "proxy-secret"), proxy["urn"]
                    continue
                secret_proxies += 1
                (auth,) = proxy["inputs"]["auths"]
                assert auth["authScheme"] == "SECRETS", proxy["urn"]
                master = named(plan, "aws:secretsmanager/secret:Secret", "aurora-master")
                secrets = master or named(plan, "aws:rds/cluster:Cluster")
                needed = [*named(plan, ROLE_POLICY, "proxy-secret"), *secrets]
                assert len(needed) == 2 and not _missing(plan, proxy["urn"], needed), proxy["urn"]
    assert secret_proxies and iam_proxies


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_msk_replicators_wait_for_their_role_policy(preview: bool) -> None:
    found = 0
    for plan in planned("staging", preview).values():
        for replicator in named(plan, "aws:msk/replicator:Replicator"):
            found += 1
            needed = named(plan, ROLE_POLICY, "kafka-replication-access")
            assert needed and not _missing(plan, replicator, needed), replicator
    assert found


def test_trail_and_config_channel_wait_for_what_they_write_with() -> None:
    found = 0
    for plan in planned("dev").values():
        for trail in named(plan, "aws:cloudtrail/trail:Trail"):
            found += 1
            bucket_policies = named(plan, "aws:s3/bucketPolicy:BucketPolicy", "audit")
            assert bucket_policies and not _missing(plan, trail, bucket_policies[:1]), trail
        for channel in named(plan, "aws:cfg/deliveryChannel:DeliveryChannel"):
            found += 1
            needed = named(plan, "aws:cfg/recorder:Recorder")
            assert needed and not _missing(plan, channel, needed), channel
    assert found >= 2


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_backup_selection_waits_for_its_roles_policies(preview: bool) -> None:
    found = 0
    for plan in planned("dev", preview).values():
        for selection in named(plan, "aws:backup/selection:Selection"):
            found += 1
            parent = next(s for s in states(plan) if s["urn"] == selection)["parent"]
            grants = [
                s["urn"]
                for s in states(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if s["parent"] == parent
            ]
            assert grants and not _missing(plan, selection, grants), selection
    assert found
