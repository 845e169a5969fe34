"""Table cases for ``policies/encryption_transit.py`` (engine camelCase inputs, pulumi-aws 7 and
pulumi-cloudflare 6)."""

from __future__ import annotations

from policies.type_tokens import COGNITO_USER_POOL_DOMAIN
from tests.policies.cases_common import PolicyCase
from tests.policies.cases_encryption_data import (
    CERT_ARN,
    DISTRIBUTION,
    LB_ARN,
    TG_ARN,
    _distribution,
)

CASES: list[PolicyCase] = [
    # --- cloudfront-tls ------------------------------------------------------------------------
    PolicyCase("cloudfront-tls", "aws:cloudfront/distribution:Distribution", DISTRIBUTION, False),
    PolicyCase(
        "cloudfront-tls",
        "aws:cloudfront/distribution:Distribution",
        _distribution(
            viewerCertificate={
                "acmCertificateArn": CERT_ARN,
                "sslSupportMethod": "sni-only",
                "minimumProtocolVersion": "TLSv1.2_2025",
            }
        ),
        False,
        note="newer-tls-policy",
    ),
    PolicyCase(
        "cloudfront-tls",
        "aws:cloudfront/distribution:Distribution",
        _distribution(viewerCertificate={"cloudfrontDefaultCertificate": True}),
        True,
        note="default-certificate",
    ),
    PolicyCase(
        "cloudfront-tls",
        "aws:cloudfront/distribution:Distribution",
        _distribution(
            viewerCertificate={
                "acmCertificateArn": CERT_ARN,
                "sslSupportMethod": "sni-only",
                "minimumProtocolVersion": "TLSv1.2_2019",
            }
        ),
        True,
        note="old-tls-policy",
    ),
    PolicyCase(
        "cloudfront-tls",
        "aws:cloudfront/distribution:Distribution",
        _distribution(
            defaultCacheBehavior=dict(
                DISTRIBUTION["defaultCacheBehavior"], viewerProtocolPolicy="allow-all"
            )
        ),
        True,
        note="viewer-http-allowed",
    ),
    PolicyCase(
        "cloudfront-tls",
        "aws:cloudfront/distribution:Distribution",
        _distribution(
            origins=[
                {
                    "originId": "alb",
                    "domainName": "edge-123.us-east-1.elb.amazonaws.com",
                    "customOriginConfig": {
                        "httpPort": 80,
                        "httpsPort": 443,
                        "originProtocolPolicy": "http-only",
                        "originSslProtocols": ["TLSv1.2"],
                    },
                }
            ]
        ),
        True,
        note="origin-http",
    ),
    # --- cloudflare-zone-tls -------------------------------------------------------------------
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {
            "zoneId": "023e105f4ecef8ad9ca31a8372d0c353",
            "settingId": "min_tls_version",
            "value": "1.2",
        },
        False,
    ),
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {
            "zoneId": "023e105f4ecef8ad9ca31a8372d0c353",
            "settingId": "min_tls_version",
            "value": "1.0",
        },
        True,
        note="tls-1.0",
    ),
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {"zoneId": "023e105f4ecef8ad9ca31a8372d0c353", "settingId": "ssl", "value": "strict"},
        False,
        note="ssl-strict",
    ),
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {"zoneId": "023e105f4ecef8ad9ca31a8372d0c353", "settingId": "ssl", "value": "flexible"},
        True,
        note="ssl-flexible",
    ),
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {
            "zoneId": "023e105f4ecef8ad9ca31a8372d0c353",
            "settingId": "always_use_https",
            "value": "off",
        },
        True,
        note="always-use-https-off",
    ),
    PolicyCase(
        "cloudflare-zone-tls",
        "cloudflare:index/zoneSetting:ZoneSetting",
        {"zoneId": "023e105f4ecef8ad9ca31a8372d0c353", "settingId": "always_online", "value": "on"},
        False,
        note="unrelated-setting",
    ),
    # --- lb-listener-tls -----------------------------------------------------------------------
    PolicyCase(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": LB_ARN,
            "port": 443,
            "protocol": "HTTPS",
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificateArn": CERT_ARN,
            "defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}],
        },
        False,
    ),
    PolicyCase(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": LB_ARN,
            "port": 443,
            "protocol": "HTTPS",
            "sslPolicy": "ELBSecurityPolicy-2016-08",
            "certificateArn": CERT_ARN,
            "defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}],
        },
        True,
        note="legacy-ssl-policy",
    ),
    PolicyCase(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": LB_ARN,
            "port": 80,
            "protocol": "HTTP",
            "defaultActions": [
                {
                    "type": "redirect",
                    "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
                }
            ],
        },
        False,
        note="http-redirect",
    ),
    PolicyCase(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": LB_ARN,
            "port": 80,
            "protocol": "HTTP",
            "defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}],
        },
        True,
        note="http-forward",
    ),
    PolicyCase(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": LB_ARN,
            "port": 443,
            "protocol": "TCP",
            "defaultActions": [{"type": "forward", "targetGroupArn": TG_ARN}],
        },
        False,
        note="nlb-tcp-passthrough-to-istio",
    ),
]

# --- redshift-require-ssl ------------------------------------------------------------------------
REDSHIFT_PARAMS = "aws:redshift/parameterGroup:ParameterGroup"
CASES += [
    PolicyCase(
        "redshift-require-ssl",
        REDSHIFT_PARAMS,
        {
            "name": "meridian-warehouse",
            "family": "redshift-2.0",
            "parameters": [{"name": "require_ssl", "value": "true"}],
        },
        False,
    ),
    PolicyCase(
        "redshift-require-ssl",
        REDSHIFT_PARAMS,
        {
            "name": "meridian-warehouse",
            "family": "redshift-2.0",
            "parameters": [{"name": "require_ssl", "value": "false"}],
        },
        True,
        note="off",
    ),
    PolicyCase(
        "redshift-require-ssl",
        REDSHIFT_PARAMS,
        {"name": "meridian-warehouse", "family": "redshift-2.0", "parameters": []},
        True,
        note="unset",
    ),
    PolicyCase(
        "redshift-require-ssl",
        "aws:redshift/cluster:Cluster",
        {
            "clusterIdentifier": "meridian-warehouse",
            "nodeType": "ra3.xlplus",
            "clusterParameterGroupName": "meridian-warehouse",
        },
        False,
        note="cluster-own-group",
    ),
    PolicyCase(
        "redshift-require-ssl",
        "aws:redshift/cluster:Cluster",
        {"clusterIdentifier": "meridian-warehouse", "nodeType": "ra3.xlplus"},
        True,
        note="cluster-default-group",
    ),
    # --- cognito-domain-tls --------------------------------------------------------------------
    PolicyCase(
        "cognito-domain-tls",
        COGNITO_USER_POOL_DOMAIN,
        {"domain": "meridian-prod", "managedLoginVersion": 2, "userPoolId": "us-east-1_pool"},
        False,
        note="prefix-domain",
    ),
    PolicyCase(
        "cognito-domain-tls",
        COGNITO_USER_POOL_DOMAIN,
        {
            "domain": "auth.example.com",
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234",
            "userPoolId": "us-east-1_pool",
        },
        False,
        note="custom-domain-us-east-1-certificate",
    ),
    PolicyCase(
        "cognito-domain-tls",
        COGNITO_USER_POOL_DOMAIN,
        {"domain": "auth.example.com", "userPoolId": "us-east-1_pool"},
        True,
        note="custom-domain-without-certificate",
    ),
    PolicyCase(
        "cognito-domain-tls",
        COGNITO_USER_POOL_DOMAIN,
        {
            "domain": "auth.example.com",
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234",
            "userPoolId": "us-east-1_pool",
        },
        True,
        note="custom-domain-certificate-outside-us-east-1",
    ),
]
