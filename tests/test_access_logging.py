"""Access logs of what faces the internet, in the shipped graphs: the ingress NLB that the AWS Load
Balancer Controller makes from the gateway's Service annotations writes to the region's log
archive (dev), and the AWS-native edge's CloudFront distribution delivers standard logging (v2)
to an encrypted log group (staging). Up and preview."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plans import by_urn, name_of, one, planned, states

MODES = pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
LB_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-attributes"


def _gateway_attributes(plan: dict[str, Any]) -> dict[str, str]:
    releases = [
        s
        for s in states(plan, "kubernetes:helm.sh/v3:Release")
        if s["inputs"]["chart"] == "gateway"
    ]
    assert len(releases) == 1
    raw = releases[0]["inputs"]["values"]["service"]["annotations"][LB_ATTRIBUTES]
    return dict(item.split("=", 1) for item in raw.split(","))


@MODES
def test_ingress_nlb_logs_to_the_log_archive(preview: bool) -> None:
    plan = planned("dev", preview)["dev-us-east-1"]
    attributes = _gateway_attributes(plan)
    archive = one(plan, "aws:s3/bucket:Bucket", "log-archive-bucket")
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == archive["inputs"]["bucket"]
    # no prefix: the logs land under AWSLogs/<account>/, where the archive admits log delivery
    assert "access_logs.s3.prefix" not in attributes
    policy = one(plan, "aws:s3/bucketPolicy:BucketPolicy", "log-archive-policy")
    if not preview:
        assert '"delivery.logs.amazonaws.com"' in policy["inputs"]["policy"]


@MODES
def test_cloudfront_delivers_access_logs_to_an_encrypted_group(preview: bool) -> None:
    plan = planned("staging", preview)["staging-edge"]
    urns = by_urn(plan)
    distribution = one(plan, "aws:cloudfront/distribution:Distribution")
    source = one(plan, "aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source["inputs"]["logType"] == "ACCESS_LOGS"
    assert distribution["urn"] in source["propertyDependencies"]["resourceArn"]
    delivery = one(plan, "aws:cloudwatch/logDelivery:LogDelivery")
    assert source["urn"] in delivery["propertyDependencies"]["deliverySourceName"]
    (destination_urn,) = delivery["propertyDependencies"]["deliveryDestinationArn"]
    destination = urns[destination_urn]
    (group_urn,) = destination["propertyDependencies"]["deliveryDestinationConfiguration"]
    group = urns[group_urn]
    assert group["type"] == "aws:cloudwatch/logGroup:LogGroup"
    assert group["inputs"]["retentionInDays"] == 365
    (key_urn,) = group["propertyDependencies"]["kmsKeyId"]
    key = urns[key_urn]
    assert key["type"] == "aws:kms/key:Key" and key["protect"]
    assert name_of(key).endswith("access-logs-key")
