"""Table cases for ``policies/operations.py`` (engine camelCase inputs, pulumi-aws 7; resource
options in the engine's naming, e.g. ``ignoreChanges``)."""

from __future__ import annotations

from typing import Any

from policies.type_tokens import HELM_RELEASE
from tests.policies.cases_common import UNKNOWN, PolicyCase

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
SERVICE = "kubernetes:core/v1:Service"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
TOPIC_P1 = "arn:aws:sns:us-east-1:123456789012:meridian-prod-use1-alerts-p1"
ALARM: dict[str, Any] = {
    "name": "meridian-prod-use1-api-5xx",
    "comparisonOperator": "GreaterThanThreshold",
    "evaluationPeriods": 3,
    "metricName": "5XXError",
    "namespace": "AWS/ApiGateway",
    "period": 60,
    "statistic": "Sum",
    "threshold": 5,
    "alarmActions": [TOPIC_P1],
    "okActions": [TOPIC_P1],
}
LB_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-attributes"
LOGGED = "access_logs.s3.enabled=true,access_logs.s3.bucket=meridian-prod-use1-logs"


def lb_service(attributes: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "ingress",
            "namespace": "istio-ingress",
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                LB_ATTRIBUTES: attributes,
            },
        },
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]},
    }


def gateway_release(attributes: str) -> dict[str, Any]:
    return {
        "chart": "gateway",
        "version": "1.24.2",
        "namespace": "istio-ingress",
        "values": {"service": {"type": "LoadBalancer", "annotations": {LB_ATTRIBUTES: attributes}}},
    }


ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
SYSTEM_POOL: dict[str, Any] = {
    "clusterName": "meridian",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/meridian-node",
    "subnetIds": ["subnet-1", "subnet-2"],
    "launchTemplate": {"id": "lt-1", "version": "1"},
    "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
}
IGNORE_DESIRED = {"ignoreChanges": ["scalingConfig.desiredSize"]}

CASES: list[PolicyCase] = [
    # ---- eks-control-plane-logging ----
    PolicyCase(
        "eks-control-plane-logging", EKS, {"enabledClusterLogTypes": ALL_LOGS}, False, note="all"
    ),
    PolicyCase(
        "eks-control-plane-logging",
        EKS,
        {"enabledClusterLogTypes": ["api", "audit"]},
        True,
        note="api-audit-only",
    ),
    PolicyCase("eks-control-plane-logging", EKS, {"version": "1.33"}, True, note="none"),
    # ---- cloudwatch-log-group-retention ----
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 90, "kmsKeyId": KEY_ARN},
        False,
        note="ninety-days",
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "kmsKeyId": KEY_ARN},
        True,
        note="never-expires",
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        {"name": "/aws/eks/meridian/cluster", "retentionInDays": 3},
        True,
        note="below-minimum",
    ),
    # ---- eks-nodegroup-scaling ----
    PolicyCase(
        "eks-nodegroup-scaling", NODE_GROUP, SYSTEM_POOL, False, options=IGNORE_DESIRED, note="ok"
    ),
    PolicyCase(
        "eks-nodegroup-scaling", NODE_GROUP, SYSTEM_POOL, True, note="desired-size-not-ignored"
    ),
    PolicyCase(
        "eks-nodegroup-scaling",
        NODE_GROUP,
        {**SYSTEM_POOL, "scalingConfig": {"minSize": 4, "desiredSize": 3, "maxSize": 6}},
        True,
        options=IGNORE_DESIRED,
        note="desired-below-min",
    ),
    # --- cloudwatch-alarm-actions -------------------------------------------------------------
    PolicyCase("cloudwatch-alarm-actions", METRIC_ALARM, ALARM, False),
    PolicyCase(
        "cloudwatch-alarm-actions",
        METRIC_ALARM,
        {k: v for k, v in ALARM.items() if k != "alarmActions"},
        True,
        note="no-actions",
    ),
    PolicyCase(
        "cloudwatch-alarm-actions",
        METRIC_ALARM,
        {**ALARM, "alarmActions": []},
        True,
        note="empty-actions",
    ),
    PolicyCase(
        "cloudwatch-alarm-actions",
        METRIC_ALARM,
        {**ALARM, "actionsEnabled": False},
        True,
        note="actions-disabled",
    ),
    PolicyCase(
        "cloudwatch-alarm-actions",
        COMPOSITE_ALARM,
        {
            "alarmName": "meridian-prod-use1-checkout-degraded",
            "alarmRule": 'ALARM("a") OR ALARM("b")',
            "alarmActions": [TOPIC_P1],
        },
        False,
        note="composite",
    ),
    PolicyCase(
        "cloudwatch-alarm-actions",
        COMPOSITE_ALARM,
        {"alarmName": "meridian-prod-use1-checkout-degraded", "alarmRule": 'ALARM("a")'},
        True,
        note="composite-no-actions",
    ),
    # --- lb-access-logging ---------------------------------------------------------------------
    PolicyCase(
        "lb-access-logging",
        LOAD_BALANCER,
        {
            "loadBalancerType": "application",
            "accessLogs": {"enabled": True, "bucket": "meridian-prod-use1-logs"},
        },
        False,
        note="alb-logged",
    ),
    PolicyCase(
        "lb-access-logging",
        LOAD_BALANCER,
        {"loadBalancerType": "network"},
        True,
        note="nlb-absent",
    ),
    PolicyCase(
        "lb-access-logging",
        LOAD_BALANCER,
        {
            "loadBalancerType": "application",
            "accessLogs": {"enabled": False, "bucket": "meridian-prod-use1-logs"},
        },
        True,
        note="alb-disabled",
    ),
    PolicyCase(
        "lb-access-logging",
        LOAD_BALANCER,
        {"loadBalancerType": "gateway"},
        False,
        note="gateway-lb-has-no-access-logs",
    ),
    PolicyCase(
        "lb-access-logging",
        SERVICE,
        lb_service(f"{LOGGED},load_balancing.cross_zone.enabled=true"),
        False,
        note="service-annotated",
    ),
    PolicyCase(
        "lb-access-logging",
        SERVICE,
        lb_service("load_balancing.cross_zone.enabled=true"),
        True,
        note="service-without-logs",
    ),
    PolicyCase(
        "lb-access-logging",
        SERVICE,
        lb_service("access_logs.s3.enabled=false,access_logs.s3.bucket=meridian-prod-use1-logs"),
        True,
        note="service-logs-false",
    ),
    PolicyCase(
        "lb-access-logging",
        HELM_RELEASE,
        gateway_release(f"load_balancing.cross_zone.enabled=true,{LOGGED}"),
        False,
        note="gateway-values-annotated",
    ),
    PolicyCase(
        "lb-access-logging",
        HELM_RELEASE,
        gateway_release("load_balancing.cross_zone.enabled=true"),
        True,
        note="gateway-values-without-logs",
    ),
    # --- cloudfront-access-logging (stack) -----------------------------------------------------
    PolicyCase(
        "cloudfront-access-logging",
        "",
        {},
        False,
        stack=[
            {"type": DISTRIBUTION, "name": "cdn", "props": {"enabled": True}},
            {
                "type": LOG_DELIVERY_SOURCE,
                "name": "cdn-logs-source",
                "props": {"logType": "ACCESS_LOGS", "resourceArn": UNKNOWN},
                "propertyDependencies": {"resourceArn": ["cdn"]},
            },
            {
                "type": LOG_DELIVERY,
                "name": "cdn-logs",
                "props": {"deliverySourceName": "meridian-edge", "deliveryDestinationArn": UNKNOWN},
                "propertyDependencies": {"deliverySourceName": ["cdn-logs-source"]},
            },
        ],
        note="v2-delivery",
    ),
    PolicyCase(
        "cloudfront-access-logging",
        "",
        {},
        False,
        stack=[
            {
                "type": DISTRIBUTION,
                "name": "cdn",
                "props": {
                    "enabled": True,
                    "loggingConfig": {"bucket": "meridian-logs.s3.amazonaws.com"},
                },
            }
        ],
        note="legacy-logging-config",
    ),
    PolicyCase(
        "cloudfront-access-logging",
        "",
        {},
        True,
        stack=[{"type": DISTRIBUTION, "name": "cdn", "props": {"enabled": True}}],
        note="no-logging",
    ),
    PolicyCase(
        "cloudfront-access-logging",
        "",
        {},
        True,
        stack=[
            {"type": DISTRIBUTION, "name": "cdn", "props": {"enabled": True}},
            {
                "type": LOG_DELIVERY_SOURCE,
                "name": "cdn-logs-source",
                "props": {"logType": "ACCESS_LOGS", "resourceArn": UNKNOWN},
                "propertyDependencies": {"resourceArn": ["cdn"]},
            },
        ],
        note="source-without-delivery",
    ),
]

# --- cloudwatch-log-group-retention by data class, cloudwatch-log-group-archived ---------------
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
BUCKET = "aws:s3/bucketV2:BucketV2"
ARCHIVE = "meridian-prod-use1-logs-123456789012"
STREAM = "meridian-prod-use1-workload-logs"
STREAM_ARN = f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{STREAM}"


def _group(days: int, data_class: str = "confidential", name: str = "workloads") -> dict[str, Any]:
    return {
        "name": f"/aws/eks/meridian/{name}",
        "retentionInDays": days,
        "kmsKeyId": KEY_ARN,
        "tags": {"data-classification": data_class},
    }


def _archive_path(bucket_tags: dict[str, str], group: str = "/aws/eks/meridian/workloads"):
    return [
        {"type": BUCKET, "name": "log-archive", "props": {"bucket": ARCHIVE, "tags": bucket_tags}},
        {
            "type": FIREHOSE,
            "name": "workload-logs",
            "props": {
                "name": STREAM,
                "destination": "extended_s3",
                "extendedS3Configuration": {"bucketArn": f"arn:aws:s3:::{ARCHIVE}"},
            },
        },
        {
            "type": FILTER,
            "name": "workload-logs-archive",
            "props": {
                "logGroup": group,
                "filterPattern": "",
                "destinationArn": STREAM_ARN,
            },
        },
    ]


def _archived(stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase("cloudwatch-log-group-archived", "", {}, violates, stack=stack, note=note)


EVIDENCE = {"meridian:evidence": "audit", "data-classification": "confidential"}
RUNNER_GROUP = "/aws/codebuild/meridian-prod-use1-deploy-runner"


def _platform_groups(subscribed: bool) -> list[dict[str, Any]]:
    """The workloads group and a platform group (the deploy runner's) beside it, both kept 30
    days; the stream's delivery-error group kept the warm tier (365 days) in CloudWatch; the
    runner's group has a filter into the same stream only if `subscribed`."""
    runner = {**_group(30), "name": RUNNER_GROUP}
    errors = {**_group(365), "name": "/meridian/prod/us-east-1/firehose/logs-archive"}
    stack = [
        {"type": LOG_GROUP, "name": "workloads", "props": _group(30)},
        {"type": LOG_GROUP, "name": "deploy-runner-logs", "props": runner},
        {"type": LOG_GROUP, "name": "log-shipping-errors", "props": errors},
        *_archive_path(EVIDENCE),
    ]
    if subscribed:
        stack.append(
            {
                "type": FILTER,
                "name": "log-shipping-deploy-runner",
                "props": {
                    "logGroup": RUNNER_GROUP,
                    "filterPattern": "",
                    "destinationArn": STREAM_ARN,
                },
            }
        )
    return stack


CASES += [
    PolicyCase("cloudwatch-log-group-retention", LOG_GROUP, _group(30), False, note="hot-tier"),
    PolicyCase(
        "cloudwatch-log-group-retention", LOG_GROUP, _group(14), True, note="below-class-tier"
    ),
    PolicyCase(
        "cloudwatch-log-group-retention",
        LOG_GROUP,
        _group(7, "public"),
        False,
        note="public-floor",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "workloads", "props": _group(30)}, *_archive_path(EVIDENCE)],
        False,
        "subscribed-to-archive",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "workloads", "props": _group(30)}],
        True,
        "not-archived",
    ),
    _archived(
        [
            {"type": LOG_GROUP, "name": "workloads", "props": _group(30)},
            *_archive_path({"data-classification": "confidential"}),
        ],
        True,
        "firehose-into-other-bucket",
    ),
    _archived(
        [
            {"type": LOG_GROUP, "name": "workloads", "props": _group(30)},
            *_archive_path(EVIDENCE, group="/aws/eks/meridian/other"),
        ],
        True,
        "filter-on-other-group",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "control-plane", "props": _group(365)}],
        False,
        "kept-a-year-in-cloudwatch",
    ),
    _archived(
        [{"type": LOG_GROUP, "name": "metrics", "props": _group(30, "internal")}],
        False,
        "internal-class",
    ),
    _archived(_platform_groups(subscribed=True), False, "every-platform-group-subscribed"),
    _archived(_platform_groups(subscribed=False), True, "platform-group-left-out"),
]
