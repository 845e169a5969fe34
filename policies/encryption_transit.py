"""Encryption policies, data in transit: modern TLS end to end at the edge and the load balancers.

CloudFront distributions, Cloudflare zone TLS settings and ALB/NLB listeners (TCP pass-through
to the Istio gateway, which terminates TLS, is allowed), Redshift, and the certificate of a
Cognito user pool's custom sign-in domain.


Unknown values (preview): resource policies read properties through pulumi_policy's proxy, which
raises ``UnknownValueError`` for a value that is unknown during preview; the analyzer then skips
the policy for that resource with an advisory diagnostic. This module never catches that error.
Checks whose inputs are usually known (booleans, enums) are read before key ARNs, which are often
outputs of a KMS key created in the same update, so a definite violation is still reported before
an unknown key ARN ends the check.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from . import type_tokens
from .compliance import (
    ENCRYPTION_IN_TRANSIT,
)
from .declare import resource_policy
from .support import (
    as_list,
    cfg_bool,
    cfg_strings,
    dig,
    number,
)

CONCERN = "encryption"

# --------------------------------------------------------------------------------------------
# CloudFront
# --------------------------------------------------------------------------------------------

CLOUDFRONT_PROTOCOL_ORDER: Final = (
    "SSLv3",
    "TLSv1",
    "TLSv1_2016",
    "TLSv1.1_2016",
    "TLSv1.2_2018",
    "TLSv1.2_2019",
    "TLSv1.2_2021",
    "TLSv1.2_2025",
    "TLSv1.3_2025",
)
_HTTPS_VIEWER_POLICIES: Final = ("redirect-to-https", "https-only")
_WEAK_ORIGIN_PROTOCOLS: Final = ("SSLv3", "TLSv1", "TLSv1.1")


def _protocol_rank(version: Any) -> int:
    return CLOUDFRONT_PROTOCOL_ORDER.index(version) if version in CLOUDFRONT_PROTOCOL_ORDER else -1


def _cloudfront(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    config = args.get_config()
    minimum = str(config.get("minimumProtocolVersion") or "TLSv1.2_2021")
    allow_default_cert = cfg_bool(config, "allowDefaultCertificate", False)
    name = args.name

    behaviors: list[tuple[str, Any]] = [
        ("defaultCacheBehavior", dig(props, "defaultCacheBehavior"))
    ]
    for index, behavior in enumerate(as_list(dig(props, "orderedCacheBehaviors"))):
        behaviors.append((f"orderedCacheBehaviors[{index}]", behavior))
    for label, behavior in behaviors:
        policy = dig(behavior, "viewerProtocolPolicy")
        if behavior is not None and policy not in _HTTPS_VIEWER_POLICIES:
            report(
                f"cloudfront.Distribution '{name}': {label}.viewerProtocolPolicy is '{policy}', "
                "viewers can use plain HTTP. Fix: set viewerProtocolPolicy = 'redirect-to-https' "
                "(or 'https-only').",
                None,
            )

    for index, origin in enumerate(as_list(dig(props, "origins"))):
        custom = dig(origin, "customOriginConfig")
        if custom is None:
            continue  # S3 (OAC/OAI) and VPC origins are reached over HTTPS
        origin_policy = dig(custom, "originProtocolPolicy")
        if origin_policy != "https-only":
            report(
                f"cloudfront.Distribution '{name}': origins[{index}].customOriginConfig."
                f"originProtocolPolicy is '{origin_policy}'. Fix: set originProtocolPolicy = "
                "'https-only' so CloudFront never talks to the origin over HTTP.",
                None,
            )
        weak = [str(p) for p in as_list(dig(custom, "originSslProtocols"))]
        weak = [p for p in weak if p in _WEAK_ORIGIN_PROTOCOLS]
        if weak:
            report(
                f"cloudfront.Distribution '{name}': origins[{index}].customOriginConfig."
                f"originSslProtocols allows {weak}. Fix: set originSslProtocols = ['TLSv1.2'].",
                None,
            )

    certificate = dig(props, "viewerCertificate")
    if dig(certificate, "cloudfrontDefaultCertificate") is True:
        if not allow_default_cert:
            report(
                f"cloudfront.Distribution '{name}': viewerCertificate.cloudfrontDefaultCertificate "
                "is true; the *.cloudfront.net certificate accepts TLSv1 and cannot enforce a "
                "minimum protocol version. Fix: use an ACM certificate (acmCertificateArn, "
                f"sslSupportMethod 'sni-only') with minimumProtocolVersion >= '{minimum}'.",
                None,
            )
        return
    version = dig(certificate, "minimumProtocolVersion")
    if _protocol_rank(version) < _protocol_rank(minimum):
        report(
            f"cloudfront.Distribution '{name}': viewerCertificate.minimumProtocolVersion is "
            f"'{version}', older than '{minimum}'. Fix: set minimumProtocolVersion = '{minimum}' "
            "or newer.",
            None,
        )


cloudfront_tls = resource_policy(
    "cloudfront-tls",
    "CloudFront distributions use HTTPS end to end: viewerCertificate.minimumProtocolVersion "
    ">= TLSv1.2_2021 with a custom certificate (the default *.cloudfront.net certificate only "
    "where allowDefaultCertificate is configured), every cache behavior redirects to or "
    "requires HTTPS, and custom origins are reached with originProtocolPolicy 'https-only' "
    "over TLSv1.2.",
    concern=CONCERN,
    service="cloudfront",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={"aws:cloudfront/distribution:Distribution": _cloudfront},
    config_schema=PolicyConfigSchema(
        properties={
            "minimumProtocolVersion": {
                "type": "string",
                "enum": list(CLOUDFRONT_PROTOCOL_ORDER[4:]),
                "default": "TLSv1.2_2021",
                "description": "Oldest acceptable viewerCertificate.minimumProtocolVersion.",
            },
            "allowDefaultCertificate": {
                "type": "boolean",
                "default": False,
                "description": "Allow the default *.cloudfront.net certificate (dev only).",
            },
        }
    ),
)


# --------------------------------------------------------------------------------------------
# Cloudflare zone TLS settings
# --------------------------------------------------------------------------------------------


def _cloudflare_zone_setting(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    setting = dig(props, "settingId")
    if setting not in ("min_tls_version", "ssl", "always_use_https"):
        return
    value = dig(props, "value")
    config = args.get_config()
    if setting == "min_tls_version":
        minimum = str(config.get("minimumTlsVersion") or "1.2")
        current = number(value)
        if current is None or current < (number(minimum) or 1.2):
            report(
                f"cloudflare.ZoneSetting '{args.name}': min_tls_version value is '{value}'. Fix: "
                f"set value = '{minimum}' (or '1.3').",
                None,
            )
    elif setting == "ssl":
        allowed = cfg_strings(config, "allowedSslModes", ["strict"])
        if value not in allowed:
            report(
                f"cloudflare.ZoneSetting '{args.name}': ssl value is '{value}', so Cloudflare "
                "talks to the origin without (validated) TLS. Fix: set value = 'strict' (Full "
                "(strict)) with a trusted origin certificate.",
                None,
            )
    elif value != "on":
        report(
            f"cloudflare.ZoneSetting '{args.name}': always_use_https value is '{value}'. Fix: "
            "set value = 'on' so HTTP requests are redirected to HTTPS.",
            None,
        )


cloudflare_zone_tls = resource_policy(
    "cloudflare-zone-tls",
    "Cloudflare zone TLS settings (cloudflare.ZoneSetting) are strict: min_tls_version >= "
    "1.2, ssl = 'strict' (Full (strict)) and always_use_https = 'on'.",
    concern=CONCERN,
    service="cloudflare",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={"cloudflare:index/zoneSetting:ZoneSetting": _cloudflare_zone_setting},
    config_schema=PolicyConfigSchema(
        properties={
            "minimumTlsVersion": {
                "type": "string",
                "enum": ["1.2", "1.3"],
                "default": "1.2",
            },
            "allowedSslModes": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["strict"],
            },
        }
    ),
)


# --------------------------------------------------------------------------------------------
# Load balancer listeners
# --------------------------------------------------------------------------------------------

DEFAULT_ALLOWED_SSL_POLICIES: Final = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
)
_PASSTHROUGH_PROTOCOLS: Final = ("TCP", "UDP", "TCP_UDP", "GENEVE")


def _lb_listener(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    config = args.get_config()
    protocol = dig(props, "protocol")
    name = args.name
    if protocol in ("HTTPS", "TLS"):
        allowed = cfg_strings(config, "allowedSslPolicies", DEFAULT_ALLOWED_SSL_POLICIES)
        policy = dig(props, "sslPolicy")
        if policy not in allowed:
            report(
                f"lb.Listener '{name}': {protocol} listener sslPolicy is "
                f"{repr(policy) if policy else 'not set (AWS default ELBSecurityPolicy-2016-08)'}, "
                "not a TLS 1.2+/1.3 policy. Fix: set sslPolicy = "
                "'ELBSecurityPolicy-TLS13-1-2-2021-06' (or a stricter TLS13 policy).",
                None,
            )
        return
    if protocol in _PASSTHROUGH_PROTOCOLS:
        if not cfg_bool(config, "allowTcpPassthrough", True):
            report(
                f"lb.Listener '{name}': protocol '{protocol}' does not terminate TLS. Fix: use "
                "protocol 'TLS' with a certificateArn and a TLS13 sslPolicy.",
                None,
            )
        return
    # HTTP (or unset, which defaults to HTTP on an ALB): only an HTTPS redirect is allowed.
    actions = as_list(dig(props, "defaultActions"))
    redirect_only = bool(actions) and all(
        dig(a, "type") == "redirect" and dig(a, "redirect", "protocol") == "HTTPS" for a in actions
    )
    if not redirect_only:
        report(
            f"lb.Listener '{name}': plaintext {protocol or 'HTTP'} listener serves traffic. Fix: "
            "make every defaultActions entry type 'redirect' with redirect.protocol = 'HTTPS' "
            "and statusCode 'HTTP_301', and serve content on an HTTPS listener.",
            None,
        )


lb_listener_tls = resource_policy(
    "lb-listener-tls",
    "ALB/NLB listeners terminate TLS with a modern policy (HTTPS/TLS listeners use "
    "ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter) and HTTP listeners only redirect to "
    "HTTPS. TCP/UDP pass-through (TLS terminated by the Istio gateway) is allowed unless "
    "allowTcpPassthrough is false.",
    concern=CONCERN,
    service="elb",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={
        "aws:lb/listener:Listener": _lb_listener,
        "aws:alb/listener:Listener": _lb_listener,
    },
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSslPolicies": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_ALLOWED_SSL_POLICIES),
            },
            "allowTcpPassthrough": {"type": "boolean", "default": True},
        }
    ),
)


# --------------------------------------------------------------------------------------------
# Redshift
# --------------------------------------------------------------------------------------------


def _redshift_parameter_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    value = None
    for entry in as_list(dig(args.props, "parameters")):
        if dig(entry, "name") == "require_ssl":
            value = dig(entry, "value")
    if str(value).lower() != "true":
        report(
            f"redshift.ParameterGroup '{args.name}': require_ssl is {value!r}, so clients may "
            "connect without TLS. Fix: add the parameter {name: 'require_ssl', value: 'true'}.",
            None,
        )


def _redshift_cluster_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    group = dig(args.props, "clusterParameterGroupName")
    if not isinstance(group, str) or not group or group.startswith("default."):
        report(
            f"redshift.Cluster '{args.name}' uses the default parameter group (require_ssl "
            "false). Fix: set clusterParameterGroupName to a group that sets require_ssl = true.",
            None,
        )


redshift_require_ssl = resource_policy(
    "redshift-require-ssl",
    "Redshift clusters refuse connections without TLS: they use a parameter group of their own "
    "and every Redshift parameter group sets require_ssl = true.",
    concern=CONCERN,
    service="redshift",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={
        "aws:redshift/parameterGroup:ParameterGroup": _redshift_parameter_group,
        "aws:redshift/cluster:Cluster": _redshift_cluster_group,
    },
)


# --------------------------------------------------------------------------------------------
# Cognito
# --------------------------------------------------------------------------------------------

COGNITO_CERTIFICATE_REGION: Final = "us-east-1"
"""Cognito serves a custom domain through CloudFront, so its ACM certificate must be in US East
(N. Virginia) (Cognito API reference, CreateUserPoolDomain)."""


def _cognito_domain(args: ResourceValidationArgs, report: ReportViolation) -> None:
    domain = dig(args.props, "domain")
    if not isinstance(domain, str) or "." not in domain:
        return  # a prefix domain: <prefix>.auth.<region>.amazoncognito.com, Cognito's certificate
    where = f"cognito.UserPoolDomain '{args.name}' ({domain})"
    arn = dig(args.props, "certificateArn")
    if not arn:
        report(
            f"{where} is a custom domain without certificateArn, so its sign-in pages have no "
            "certificate of ours. Fix: issue an ACM certificate for the name in "
            f"{COGNITO_CERTIFICATE_REGION} and set certificateArn.",
            None,
        )
        return
    parts = str(arn).split(":")
    if len(parts) < 6 or parts[2] != "acm" or parts[3] != COGNITO_CERTIFICATE_REGION:
        report(
            f"{where}: certificateArn {arn!r} is not an ACM certificate in "
            f"{COGNITO_CERTIFICATE_REGION}, where Cognito's custom domains take theirs. Fix: "
            f"issue (or import) the certificate in ACM in {COGNITO_CERTIFICATE_REGION}.",
            None,
        )


cognito_domain_tls = resource_policy(
    "cognito-domain-tls",
    "A Cognito user pool's custom sign-in domain (a name with a dot) is served with an ACM "
    "certificate of ours in us-east-1 (certificateArn); a Cognito prefix domain uses Cognito's "
    "own certificate and needs none.",
    concern=CONCERN,
    service="cognito",
    severity=Severity.HIGH,
    controls=ENCRYPTION_IN_TRANSIT,
    validators={type_tokens.COGNITO_USER_POOL_DOMAIN: _cognito_domain},
)


POLICIES: list[Policy] = [
    # cloudfront
    cloudfront_tls,
    # cloudflare
    cloudflare_zone_tls,
    # elb
    lb_listener_tls,
    # redshift
    redshift_require_ssl,
    # cognito
    cognito_domain_tls,
]
