"""Security and observability baseline on the shared prod plans, up and preview: the
audit trail once, detection and posture in every region, managed Prometheus with the burn-rate
rules, the alarms, the hardened log archive, every log group encrypted and retained."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.security.detection import GUARDDUTY_FEATURES, STANDARDS
from stacks.component_data import SLO_TABLE, load_slos
from stacks.outputs import EdgeKey, RegionalKey
from tests.plans import PROD_REGIONS, name_of, one, planned, states

MODES = [False, True]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PRIMARY = PROD_REGIONS[0]
PROD_EDGE = "cloudflare"
"""prod's edge provider (Pulumi.prod-edge.yaml)."""


def known(value: Any) -> bool:
    return value is not None and UNKNOWN not in json.dumps(value)


def regional(region: str, preview: bool = False) -> dict[str, Any]:
    return planned("prod", preview)[f"prod-{region}"]


# --- audit trail -------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES)
def test_the_audit_trail_exists_once_in_the_global_stack(preview: bool) -> None:
    plans = planned("prod", preview)
    trails = {stack: states(plan, "aws:cloudtrail/trail:Trail") for stack, plan in plans.items()}
    assert {s: len(t) for s, t in trails.items() if t} == {"prod-global": 1}
    trail = trails["prod-global"][0]["inputs"]
    assert trail["isMultiRegionTrail"] is True
    assert trail["includeGlobalServiceEvents"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail["kmsKeyId"]  # unknown in preview, present either way
    selectors = {s["name"]: s["fieldSelectors"] for s in trail["advancedEventSelectors"]}
    lake = {f["field"]: f for f in selectors["Lakehouse object events"]}
    assert lake["eventCategory"]["equals"] == ["Data"]
    prefixes = lake["resources.ARN"]["startsWiths"]
    assert len(prefixes) == len(PROD_REGIONS)
    assert all(
        p.startswith("arn:aws:s3:::meridian-prod-") and p.endswith("-lake-") for p in prefixes
    )


@pytest.mark.parametrize("preview", MODES)
def test_the_trail_key_admits_cloudtrail_for_this_trail_only(preview: bool) -> None:
    plan = planned("prod", preview)["prod-global"]
    keys = [k for k in states(plan, "aws:kms/key:Key") if name_of(k) == "audit-key"]
    assert len(keys) == 1 and keys[0]["protect"]
    policy = json.loads(keys[0]["inputs"]["policy"])
    trail = [
        s for s in policy["Statement"] if s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert trail and all("aws:SourceArn" in s["Condition"]["StringEquals"] for s in trail)
    assert all(
        s["Condition"]["StringEquals"]["aws:SourceArn"].endswith(
            ":trail/meridian-prod-global-audit"
        )
        for s in trail
    )


@pytest.mark.parametrize("preview", MODES)
def test_the_trail_reaches_cloudwatch_logs_and_an_encrypted_topic(preview: bool) -> None:
    plan = planned("prod", preview)["prod-global"]
    trail = one(plan, "aws:cloudtrail/trail:Trail")["inputs"]
    group = one(plan, "aws:cloudwatch/logGroup:LogGroup", "audit-logs")["inputs"]
    role = one(plan, "aws:iam/role:Role", "audit-delivery")["inputs"]
    access = json.loads(
        one(plan, "aws:iam/rolePolicy:RolePolicy", "audit-delivery-policy")["inputs"]["policy"]
    )
    topic = one(plan, "aws:sns/topic:Topic", "audit-deliveries")["inputs"]
    # the design's warm tier (architecture "Observability": 1 year warm retention)
    assert group["retentionInDays"] == 365 and group["kmsKeyId"]
    assert trail["cloudWatchLogsRoleArn"] and trail["snsTopicName"] and topic["kmsMasterKeyId"]
    assert trail["cloudWatchLogsGroupArn"]
    if not preview:
        assert trail["cloudWatchLogsGroupArn"].endswith(f"log-group:{group['name']}:*")
        assert trail["snsTopicName"] == topic["name"]
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert [t["Principal"] for t in trust] == [{"Service": "cloudtrail.amazonaws.com"}]
    assert trust[0]["Condition"]["StringEquals"]["aws:SourceArn"].endswith(
        ":trail/" + trail["name"]
    )
    [grant] = access["Statement"]
    assert sorted(grant["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"].endswith(f"log-group:{group['name']}:log-stream:*")


@pytest.mark.parametrize("preview", MODES)
def test_audit_archives_are_locked_in_compliance_mode_for_the_retention(preview: bool) -> None:
    cold = 2555  # 7 years (meridian:retention.logs.coldDays in prod)
    for stack, plan in planned("prod", preview).items():
        if stack == "prod-edge":
            continue
        locks = {
            name_of(s): s["inputs"]
            for s in states(
                plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
            )
        }
        archive = (
            "audit-archive-object-lock" if stack == "prod-global" else "log-archive-object-lock"
        )
        retention = locks[archive]["rule"]["defaultRetention"]
        assert retention == {"mode": "COMPLIANCE", "days": cold}, stack
        buckets = {name_of(b): b for b in states(plan, "aws:s3/bucket:Bucket")}
        owner = "audit-archive-bucket" if stack == "prod-global" else "log-archive-bucket"
        assert buckets[owner]["inputs"]["tags"]["data-classification"] == "confidential"
        assert "objectLockEnabled" in buckets[owner]["ignoreChanges"]
        # server access logs go to a separate bucket, equally protected
        access = owner.replace("-bucket", "-access-logs")
        assert buckets[access]["protect"]
        logging = [
            s
            for s in states(plan, "aws:s3/bucketLogging:BucketLogging")
            if name_of(s) == owner.replace("-bucket", "-access-logging")
        ]
        assert len(logging) == 1


@pytest.mark.parametrize("preview", MODES)
def test_audit_and_flow_log_data_replicate_to_the_dr_peer(preview: bool) -> None:
    plans = planned("prod", preview)
    for stack, archive in (("prod-global", "audit-archive"), ("prod-us-west-2", "log-archive")):
        replicas = [
            b
            for b in states(plans[stack], "aws:s3/bucket:Bucket")
            if name_of(b).startswith(f"{archive}-replica-")
        ]
        assert {name_of(b) for b in replicas} == {
            f"{archive}-replica-archive",
            f"{archive}-replica-access",
        }
        assert all(b["inputs"]["region"] != plans[stack].get("region") for b in replicas)
        configs = [
            c
            for c in states(plans[stack], "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
            if name_of(c).startswith(f"{archive}-replica-")
        ]
        assert len(configs) == 4  # each bucket there and back (failback)


# --- detection and posture in every region ------------------------------------------------------


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_detection_and_posture_services_run_in_every_region(region: str) -> None:
    for preview in MODES:
        plan = regional(region, preview)
        assert one(plan, "aws:guardduty/detector:Detector")["inputs"]["enable"] is True
        features = {
            f["inputs"]["name"]: f["inputs"]
            for f in states(plan, "aws:guardduty/detectorFeature:DetectorFeature")
        }
        assert set(features) == set(GUARDDUTY_FEATURES)
        assert all(f["status"] == "ENABLED" for f in features.values())
        runtime = features["RUNTIME_MONITORING"]["additionalConfigurations"]
        assert runtime == [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]
        standards = sorted(
            s["inputs"]["standardsArn"]
            for s in states(plan, "aws:securityhub/standardsSubscription:StandardsSubscription")
        )
        assert standards == sorted(
            f"arn:aws:securityhub:{region}::{path}" for path in STANDARDS.values()
        )
        recorder = one(plan, "aws:cfg/recorder:Recorder")["inputs"]
        assert recorder["recordingGroup"]["allSupported"] is True
        assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is (region == PRIMARY)
        assert one(plan, "aws:cfg/recorderStatus:RecorderStatus")["inputs"]["isEnabled"] is True
        channel = one(plan, "aws:cfg/deliveryChannel:DeliveryChannel")["inputs"]
        assert channel["s3KmsKeyArn"]
        pack = one(plan, "aws:cfg/conformancePack:ConformancePack")["inputs"]
        assert "MULTI_REGION_CLOUD_TRAIL_ENABLED" in pack["templateBody"]
        assert one(plan, "aws:accessanalyzer/analyzer:Analyzer")["inputs"]["type"] == "ACCOUNT"
        rules = {
            json.loads(r["inputs"]["eventPattern"])["source"][0]
            for r in states(plan, "aws:cloudwatch/eventRule:EventRule")
            if "findings" in name_of(r)
        }
        assert rules == {"aws.guardduty", "aws.securityhub", "aws.access-analyzer"}


@pytest.mark.parametrize("preview", MODES)
def test_alert_topics_are_encrypted_with_a_cmk_and_admit_only_their_publishers(
    preview: bool,
) -> None:
    plan = regional(PRIMARY, preview)
    topics = {
        name_of(t): t["inputs"]
        for t in states(plan, "aws:sns/topic:Topic")
        if name_of(t).startswith("alerts-")
    }
    assert set(topics) == {"alerts-findings", "alerts-p1", "alerts-p2", "alerts-p3", "alerts-p4"}
    assert all(t.get("kmsMasterKeyId") for t in topics.values())
    if not preview:
        assert all(t["kmsMasterKeyId"].startswith("arn:aws:kms:") for t in topics.values())
        policies = {
            name_of(p): json.loads(p["inputs"]["policy"])
            for p in states(plan, "aws:sns/topicPolicy:TopicPolicy")
            if name_of(p).startswith("alerts-")
        }
        p1 = {
            s["Principal"]["Service"]
            for s in policies["alerts-p1-policy"]["Statement"]
            if s["Effect"] == "Allow" and "Service" in s["Principal"]
        }
        assert p1 == {"aps.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"}


# --- metrics, SLO rules, alarms ----------------------------------------------------------------


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_managed_prometheus_has_one_alert_rule_pair_per_slo_and_severity_routing(
    region: str,
) -> None:
    # an edge-wide row (`edge`, `regions: primary` in the SLO table) is judged only with its edge
    # (prod's is Cloudflare) and only in the primary region, where its series are collected
    rows = json.loads(SLO_TABLE.read_text(encoding="utf-8"))["slos"]
    judged = {
        r["name"]
        for r in rows
        if r.get("edge", PROD_EDGE) == PROD_EDGE
        and (region == PRIMARY or r.get("regions", "every") == "every")
    }
    slos = [s for s in load_slos() if s.name in judged]
    assert len(slos) == len(judged)
    if region != PRIMARY:
        assert "cdn-cache-hit-rate" not in judged
    for preview in MODES:
        plan = regional(region, preview)
        workspace = one(plan, "aws:amp/workspace:Workspace")
        assert workspace["protect"] and workspace["inputs"]["kmsKeyArn"]
        assert workspace["inputs"]["loggingConfiguration"]["logGroupArn"]
        rules = yaml.safe_load(
            one(plan, "aws:amp/ruleGroupNamespace:RuleGroupNamespace")["inputs"]["data"]
        )
        alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
        for slo in slos:
            mine = [a for a in alerts if a["labels"]["slo"] == slo.name]
            pages = sorted(a["labels"]["severity"] for a in mine if a["labels"]["kind"] == "page")
            tickets = sorted(
                a["labels"]["severity"] for a in mine if a["labels"]["kind"] == "ticket"
            )
            assert (pages, tickets) == (["P1", "P2"], ["P3", "P4"]), slo.name
        assert {a["labels"]["slo"] for a in alerts} == judged
        assert len(alerts) == 4 * len(slos)
        definition = one(plan, "aws:amp/alertManagerDefinition:AlertManagerDefinition")["inputs"]
        if known(definition["definition"]):
            config = yaml.safe_load(yaml.safe_load(definition["definition"])["alertmanager_config"])
            receivers = {r["name"]: r["sns_configs"][0]["topic_arn"] for r in config["receivers"]}
            assert set(receivers) == {"P1", "P2", "P3", "P4"}
            assert all(arn.endswith(f"-alerts-{s.lower()}") for s, arn in receivers.items())


@pytest.mark.parametrize("preview", MODES)
def test_the_collector_remote_writes_with_sigv4_and_may_write_only_its_workspace(
    preview: bool,
) -> None:
    plan = regional(PRIMARY, preview)
    release = next(
        r
        for r in states(plan, "kubernetes:helm.sh/v3:Release")
        if r["inputs"].get("name") == "otel-collector"
    )
    config = release["inputs"]["values"]["config"]
    assert config["extensions"]["sigv4auth"] == {"region": PRIMARY, "service": "aps"}
    exporter = config["exporters"]["prometheusremotewrite"]
    assert exporter["auth"] == {"authenticator": "sigv4auth"}
    assert "prometheusremotewrite" in config["service"]["pipelines"]["metrics"]["exporters"]
    assert "health_check" in config["service"]["extensions"]
    grant = next(
        p
        for p in states(plan, "aws:iam/rolePolicy:RolePolicy")
        if name_of(p) == "telemetry-otel-remote-write"
    )["inputs"]["policy"]
    if known(grant):
        statement = json.loads(grant)["Statement"][0]
        assert statement["Action"] == ["aps:RemoteWrite"]
        workspace = one(plan, "aws:amp/workspace:Workspace")
        assert statement["Resource"] == workspace["outputs"]["arn"]
        assert ":workspace/" in statement["Resource"] and "*" not in statement["Resource"]


@pytest.mark.parametrize("preview", MODES)
def test_platform_alarms_watch_the_stores_the_region_runs(preview: bool) -> None:
    for region in PROD_REGIONS:
        plan = regional(region, preview)
        alarms = {
            name_of(a).removeprefix("alarms-"): a["inputs"]
            for a in states(plan, "aws:cloudwatch/metricAlarm:MetricAlarm")
            if name_of(a).startswith("alarms-")
        }
        expected = {
            "msk-under-replicated",
            "msk-disk-used",
            "dynamodb-throttles",
            "cache-evictions",
            "nat-port-allocation",
            "nat-packets-dropped",
        }
        assert expected <= set(alarms), region
        if states(plan, "aws:rds/cluster:Cluster"):
            assert "aurora-replica-lag" in alarms
        if states(plan, "aws:keyspaces/keyspace:Keyspace"):
            assert "keyspaces-throttles" in alarms
        failover = {k: a for k, a in alarms.items() if k.startswith("cache-failover-")}
        # prod: 3 shards of a primary and 2 replicas each -> one failover alarm per shard
        assert sorted(failover) == [f"cache-failover-{s:04d}" for s in (1, 2, 3)], region
        for key, alarm in alarms.items():
            assert alarm["alarmActions"] and alarm["okActions"], key
            if key in failover:
                continue
            assert alarm["metricQueries"][0]["period"] == 300, key
        for alarm in failover.values():
            assert alarm["evaluationPeriods"] == 5 and alarm["datapointsToAlarm"] == 1
            assert alarm["alarmActions"] == alarms["nat-port-allocation"]["alarmActions"]  # P2
            nodes = [q["metric"] for q in alarm["metricQueries"] if "metric" in q]
            assert len(nodes) == 3 and {n["metricName"] for n in nodes} == {"IsMaster"}
            assert all(n["period"] == 60 for n in nodes)
            if known(nodes[0]["dimensions"]):
                shard = nodes[0]["dimensions"]["CacheClusterId"].rsplit("-", 1)[0]
                assert all(n["dimensions"]["CacheClusterId"].startswith(shard) for n in nodes)
        query = alarms["msk-under-replicated"]["metricQueries"][0]["expression"]
        if known(query):
            assert "UnderReplicatedPartitions" in query and "-kafka'" in query


# --- log groups everywhere ---------------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES)
def test_every_log_group_is_encrypted_and_retained(preview: bool) -> None:
    missing: list[str] = []
    for stack, plan in planned("prod", preview).items():
        for group in states(plan, "aws:cloudwatch/logGroup:LogGroup"):
            inputs = group["inputs"]
            if not inputs.get("kmsKeyId") or not inputs.get("retentionInDays"):
                missing.append(f"{stack}: {name_of(group)}")
    assert not missing, missing


@pytest.mark.parametrize("preview", MODES)
def test_every_baseline_resource_uses_its_regions_provider(preview: bool) -> None:
    prefixes = ("aws:guardduty", "aws:securityhub", "aws:cfg", "aws:amp", "aws:accessanalyzer")
    for region in PROD_REGIONS:
        for state in states(regional(region, preview)):
            if state["type"].startswith(prefixes):
                assert f"::aws-{region}::" in state.get("provider", ""), state["urn"]


# --- Grafana: one per environment, reading every region ------------------------------------------


@pytest.mark.parametrize("preview", MODES)
def test_one_managed_grafana_reads_every_regions_prometheus(preview: bool) -> None:
    plans = planned("prod", preview)
    workspaces = {
        stack: states(plan, "aws:grafana/workspace:Workspace") for stack, plan in plans.items()
    }
    assert {s: len(w) for s, w in workspaces.items() if w} == {"prod-edge": 1}
    edge = plans["prod-edge"]
    assert edge["outputs"][EdgeKey.GRAFANA_REGION] == PRIMARY  # us-east-1 offers Managed Grafana
    workspace = workspaces["prod-edge"][0]["inputs"]
    assert workspace["permissionType"] == "CUSTOMER_MANAGED"
    assert workspace["dataSources"] == ["PROMETHEUS"]
    role = one(edge, "aws:iam/role:Role")
    assert f"::aws-{PRIMARY}::" in role["provider"]
    sources = {
        s["inputs"]["name"]: s["inputs"] for s in states(edge, "grafana:oss/dataSource:DataSource")
    }
    assert set(sources) == {f"prometheus-{r}" for r in PROD_REGIONS}
    assert all(json.loads(s["jsonDataEncoded"])["sigV4Auth"] is True for s in sources.values())
    folders = {f["inputs"]["title"] for f in states(edge, "grafana:oss/folder:Folder")}
    assert folders == {
        "System Overview",
        "Service Deep Dive",
        "Kubernetes Cluster",
        "Business Metrics",
    }
    query = one(edge, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"]
    if known(query):
        statement = json.loads(query)["Statement"][0]
        assert "aps:QueryMetrics" in statement["Action"]
        arns = {regional(r)["outputs"][RegionalKey.PROMETHEUS_WORKSPACE_ARN] for r in PROD_REGIONS}
        assert set(statement["Resource"]) == arns


def test_grafana_goes_where_aws_offers_it() -> None:
    from components.observability.grafana import grafana_region

    assert grafana_region(["ap-south-1", "eu-west-1"], {"eu-west-1": True}) == "eu-west-1"
    with pytest.raises(ValueError, match="none of the environment's regions"):
        grafana_region(["af-south-1", "me-south-1"], {})


# --- secrets ------------------------------------------------------------------------------------


def test_no_credential_rides_in_plain_text() -> None:
    from stacks.config.foreign import foreign_key_problems
    from stacks.identity import parse_stack_name

    identity = parse_stack_name("prod-us-east-1")
    problems = foreign_key_problems(
        identity, {"cloudflare:apiToken": "plain", "aws:secretKey": "plain"}
    )
    assert {p.key for p in problems} == {"cloudflare:apiToken", "aws:secretKey"}
    assert all("plain text" in p.problem for p in problems)
    # every secret the platform stores is encrypted with a customer-managed key
    for stack, plan in planned("prod").items():
        for secret in states(plan, "aws:secretsmanager/secret:Secret"):
            assert secret["inputs"].get("kmsKeyId", "").startswith("arn:aws:kms:"), stack
