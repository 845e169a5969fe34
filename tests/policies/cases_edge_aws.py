"""Table cases for ``policies/edge_aws.py``.

Props are the engine's camelCase inputs as pulumi-aws 7 sends them, in the shapes
``components/edge/aws_edge.py`` registers (CloudFront distribution, WAFv2 web ACL, Route 53
latency records, ACM certificate).
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import PolicyCase

WEB_ACL_ARN = (
    "arn:aws:wafv2:us-east-1:123456789012:global/webacl/meridian-edge/"
    "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
)
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f4b2b5e-1c7e-4d8e-9f7a-6a1e3c2b9d10"
TAGS = {
    "owner": "platform",
    "cost-center": "cc-1234",
    "environment": "prod",
    "data-classification": "confidential",
    "managed-by": "pulumi",
    "stack": "prod-edge",
}
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
CERTIFICATE = "aws:acm/certificate:Certificate"


def _distribution(**extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "enabled": True,
        "aliases": ["api.example.com"],
        "httpVersion": "http2and3",
        "origins": [
            {
                "originId": "latency",
                "domainName": "origin.example.com",
                "customOriginConfig": {
                    "httpPort": 80,
                    "httpsPort": 443,
                    "originProtocolPolicy": "https-only",
                    "originSslProtocols": ["TLSv1.2"],
                },
            }
        ],
        "defaultCacheBehavior": {
            "targetOriginId": "latency",
            "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"],
        },
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {
            "acmCertificateArn": CERT_ARN,
            "sslSupportMethod": "sni-only",
            "minimumProtocolVersion": "TLSv1.2_2021",
        },
        "tags": TAGS,
    }
    props.update(extra)
    return props


def _managed_rule(name: str, priority: int, count: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "priority": priority,
        "overrideAction": {"count": {}} if count else {"none": {}},
        "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": name}},
        "visibilityConfig": {
            "cloudwatchMetricsEnabled": True,
            "metricName": name,
            "sampledRequestsEnabled": True,
        },
    }


RATE_RULE = {
    "name": "rate-limit-payments",
    "priority": 20,
    "action": {"block": {"customResponse": {"responseCode": 429}}},
    "statement": {
        "rateBasedStatement": {
            "aggregateKeyType": "IP",
            "limit": 20,
            "evaluationWindowSec": 60,
            "scopeDownStatement": {
                "byteMatchStatement": {
                    "searchString": "/api/v2/payments",
                    "positionalConstraint": "STARTS_WITH",
                    "fieldToMatch": {"uriPath": {}},
                    "textTransformations": [{"priority": 0, "type": "URL_DECODE"}],
                }
            },
        }
    },
    "visibilityConfig": {
        "cloudwatchMetricsEnabled": True,
        "metricName": "rate-limit-payments",
        "sampledRequestsEnabled": True,
    },
}
GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesBotControlRuleSet",
]


def _web_acl(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "meridian-prod-global-edge",
        "scope": "CLOUDFRONT",
        "defaultAction": {"allow": {}},
        "rules": rules,
        "visibilityConfig": {
            "cloudwatchMetricsEnabled": True,
            "metricName": "edge",
            "sampledRequestsEnabled": True,
        },
        "tags": TAGS,
    }


def _latency(name: str, region: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": RECORD,
        "name": name,
        "props": {
            "zoneId": "Z0123456789ABCDEFGHIJ",
            "name": "origin.example.com",
            "type": "CNAME",
            "ttl": 30,
            "records": [f"ingress.{region}.elb.amazonaws.com"],
            "setIdentifier": region,
            "latencyRoutingPolicies": [{"region": region}],
            **extra,
        },
    }


HEALTH = {
    "type": HEALTH_CHECK,
    "name": "health-us-east-1",
    "props": {
        "type": "HTTPS",
        "fqdn": "ingress.us-east-1.elb.amazonaws.com",
        "port": 443,
        "resourcePath": "/health",
        "tags": TAGS,
    },
}
SIMPLE_RECORD = {
    "type": RECORD,
    "name": "www",
    "props": {
        "zoneId": "Z0123456789ABCDEFGHIJ",
        "name": "www.example.com",
        "type": "CNAME",
        "ttl": 300,
        "records": ["api.example.com"],
    },
}


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


CASES: list[PolicyCase] = [
    # cloudfront-web-acl
    PolicyCase(
        "cloudfront-web-acl", DISTRIBUTION, _distribution(webAclId=WEB_ACL_ARN), False, note="acl"
    ),
    PolicyCase("cloudfront-web-acl", DISTRIBUTION, _distribution(), True, note="no-acl"),
    # wafv2-managed-and-rate-rules
    PolicyCase(
        "wafv2-managed-and-rate-rules",
        WEB_ACL,
        _web_acl([*(_managed_rule(g, i) for i, g in enumerate(GROUPS)), RATE_RULE]),
        False,
        note="five-groups-and-rate-rule",
    ),
    PolicyCase(
        "wafv2-managed-and-rate-rules",
        WEB_ACL,
        _web_acl([_managed_rule(g, i) for i, g in enumerate(GROUPS)]),
        True,
        note="no-rate-rule",
    ),
    PolicyCase(
        "wafv2-managed-and-rate-rules",
        WEB_ACL,
        _web_acl([_managed_rule(GROUPS[1], 0), RATE_RULE]),
        True,
        note="only-common-group",
    ),
    PolicyCase(
        "wafv2-managed-and-rate-rules",
        WEB_ACL,
        _web_acl([*(_managed_rule(g, i, count=(i == 3)) for i, g in enumerate(GROUPS)), RATE_RULE]),
        True,
        note="sqli-group-counting-only",
    ),
    # route53-latency-health-checks
    _stack(
        "route53-latency-health-checks",
        [
            HEALTH,
            _latency("latency-us-east-1", "us-east-1", healthCheckId="abcd-1234"),
            SIMPLE_RECORD,
        ],
        False,
        "latency-record-with-health-check",
    ),
    _stack(
        "route53-latency-health-checks",
        [_latency("latency-us-east-1", "us-east-1"), SIMPLE_RECORD],
        True,
        "latency-record-without-health-check",
    ),
    _stack(
        "route53-latency-health-checks",
        [SIMPLE_RECORD],
        False,
        "no-latency-records",
    ),
    # acm-dns-validation
    PolicyCase(
        "acm-dns-validation",
        CERTIFICATE,
        {
            "domainName": "api.example.com",
            "subjectAlternativeNames": ["www.example.com"],
            "validationMethod": "DNS",
            "keyAlgorithm": "EC_prime256v1",
            "tags": TAGS,
        },
        False,
        note="dns",
    ),
    PolicyCase(
        "acm-dns-validation",
        CERTIFICATE,
        {"domainName": "api.example.com", "validationMethod": "EMAIL", "tags": TAGS},
        True,
        note="email",
    ),
    PolicyCase(
        "acm-dns-validation",
        CERTIFICATE,
        {
            "certificateBody": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "privateKey": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
            "tags": TAGS,
        },
        False,
        note="imported-certificate-exempt",
    ),
]
