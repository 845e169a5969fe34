"""AwsEdge: the AWS-native edge: CloudFront with a WAFv2 web ACL, Route 53 latency routing over
health-checked regional origins, ACM certificates validated through DNS, Shield Advanced opt-in.

Everything here is global or lives in us-east-1 (CloudFront's certificates and web ACLs, Shield,
Route 53), so the component takes the us-east-1 provider.

- Route 53: the environment's hosted zone, which the global stack owns (it must exist before the
  regional stacks validate their origin certificates in it; read here by id); per region an
  HTTPS health check on the ingress (`/health`), a latency record
  `origin.<zone>` (CNAME to the ingress NLB, TTL 30 s, the health check attached: an unhealthy
  region leaves the answer) and a direct record `<region>.origin.<zone>`; A/AAAA aliases for the
  public hostnames to the distribution. Drained regions keep their health check and lose their
  latency record. Each passthrough hostname (the partner API, mutual TLS at the regions' gateways)
  gets latency records of its own, CNAMEs to the same NLBs with the same health checks, never an
  alias to the distribution: clients connect to the NLB's TCP partner listener, so their TLS,
  client certificate included, ends at the gateway.
- Paging: per region in rotation a CloudWatch alarm on its health check's `HealthCheckStatus`
  (namespace `AWS/Route53`, which Route 53 publishes in us-east-1 only) notifying
  `health_alarm_topic_arn` (the environment's P2 topic in us-east-1: one region down is a partial
  outage) when it fails and when it recovers.
- ACM: one certificate for the public hostnames in us-east-1, DNS validation records, and a
  `CertificateValidation` the distribution waits for.
- WAFv2 (scope CLOUDFRONT): AWS managed groups (IP reputation, common, known bad inputs, SQLi,
  bot control) and one rate-based rule per rate-limited route of the routing table, plus a block
  of internal routes.
- CloudFront: HTTP/2 and HTTP/3, TLSv1.2_2021 minimum with the ACM certificate, the web ACL,
  origins over HTTPS only (TLS 1.2), Origin Shield, an origin group failing over from the latency
  origin to the fallback region for cacheable requests, cache policies (immutable assets one year,
  HTML 300 s, API not cached), security response headers (HSTS preload).
- Access logs: CloudFront standard logging (v2) delivers JSON access logs to a log group in
  us-east-1 (`access_log_retention_days`) encrypted with a key of its own.
- Shield Advanced (opt-in; the account must be subscribed): protections for the distribution and
  the hosted zone, and automatic application-layer mitigation.

Example::

    edge = AwsEdge("edge", AwsEdgeArgs(names=Names("staging"), zone="staging.example.com",
        zone_id=zone_id,
        hostnames=("api.staging.example.com",), origins=(RegionOrigin("us-east-1", host),),
        primary_region="us-east-1", routes=routes,
        scope=AwsScope(account_id=account_id, region="us-east-1")),
        opts=pulumi.ResourceOptions(provider=aws_us_east_1))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.common.acm import dns_validation_field
from components.common.kms import key_policy, service_use_statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.edge.geography import RegionOrigin, RegionSite, check_origins, in_rotation, site
from components.edge.routes import ApiRoute, rate_limited

MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesBotControlRuleSet",
)
"""AWS managed rule groups, in evaluation order (cheap reputation checks first)."""

# AWS managed CloudFront policies (the same ids in every account).
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
"""The hosted zone id of every CloudFront distribution, for alias records."""

MINIMUM_PROTOCOL_VERSION = "TLSv1.2_2021"
ONE_YEAR = 31_536_000
HTML_EDGE_SECONDS = 300
FAILOVER_STATUS_CODES = [500, 502, 503, 504]
HEALTH_CHECK_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
HEALTH_METRICS_REGION = "us-east-1"
"""Where Route 53 publishes its health checks' metrics (namespace AWS/Route53), so where an alarm
on them must live."""
HEALTH_ALARM_SEVERITY = "P2"
"""Partial outage: one region fails its health check and leaves the answer; the others serve
(architecture, "Alert Severity Levels": P2 high, partial outage, on-call paged)."""
HEALTH_ALARM_PERIOD_SECONDS = 60
"""Route 53 publishes HealthCheckStatus once a minute (1 healthy, 0 unhealthy)."""
PASSTHROUGH_TTL = 60
"""TTL of the passthrough (partner) records: resolvers cache them, so a short one for failover,
as the Cloudflare edge's DNS-only load balancer."""


@dataclass(frozen=True)
class AwsEdgeArgs:
    names: Names
    zone: str
    zone_id: pulumi.Input[str]
    """The zone's Route 53 id: the global stack hosts it (stacks/global_/edge_zone.py)."""
    hostnames: Sequence[str]
    origins: Sequence[RegionOrigin]
    primary_region: str
    routes: Sequence[ApiRoute]
    scope: AwsScope
    """The account and partition, in us-east-1 (where CloudFront delivers its logs)."""
    drained: frozenset[str] = field(default_factory=frozenset)
    shield_advanced: bool = False
    health_path: str = "/health"
    access_log_retention_days: int = 365
    """How long the distribution's access logs stay in their log group."""
    health_alarm_topic_arn: pulumi.Input[str] | None = None
    """The SNS topic in us-east-1 each region's health alarm notifies (the environment's P2 topic,
    whose subscriptions page). None: the health checks steer DNS and page no one."""
    passthrough_hostnames: Sequence[str] = ()
    """Hostnames the regions' ingress serves with mutual TLS to clients of its own (the partner
    API): DNS only (latency CNAMEs to the regions' NLBs), never behind CloudFront, whose WAF and
    rate limits therefore do not apply to them."""

    def __post_init__(self) -> None:
        if self.health_alarm_topic_arn is not None and self.scope.region != HEALTH_METRICS_REGION:
            raise ValueError(
                f"health alarms live where Route 53 publishes its metrics, "
                f"{HEALTH_METRICS_REGION}; the scope is {self.scope.region}"
            )
        both = sorted(set(self.passthrough_hostnames) & set(self.hostnames))
        if both:
            raise ValueError(
                f"{both} cannot be both behind CloudFront and passed through to the regions"
            )
        check_origins(
            self.origins,
            self.hostnames,
            self.primary_region,
            self.drained,
            all_drained="Route 53 would answer with no origin",
        )

    @property
    def in_rotation(self) -> list[str]:
        return in_rotation(self.origins, self.drained)


@dataclass(frozen=True)
class _Policies:
    immutable: aws.cloudfront.CachePolicy
    html: aws.cloudfront.CachePolicy
    headers: aws.cloudfront.ResponseHeadersPolicy


class AwsEdge(pulumi.ComponentResource):
    """The AWS-native edge of one environment (see the module docstring)."""

    def __init__(
        self, name: str, args: AwsEdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:edge:AwsEdge", name, None, opts)
        self._args = args
        rotation = args.in_rotation
        zone = self._zone(name)
        checks = self._origins(name, zone)
        self.health_alarms = self._health_alarms(name, checks)
        validation = self._certificate(name, zone)
        web_acl = self._web_acl(name)
        distribution = self._distribution(name, validation, web_acl, self._policies(name))
        self._access_logs(name, distribution)
        self._alias_records(name, zone, distribution)
        if args.shield_advanced:
            self._shield(name, zone, distribution)
        self.regions_in_rotation = rotation
        self.hostnames = list(args.hostnames)
        self.zone_id = zone.zone_id
        self.name_servers = zone.name_servers
        self.distribution_domain = distribution.domain_name
        self.distribution_id = distribution.id
        self.web_acl_arn = web_acl.arn
        self.health_check_ids = {region: check.id for region, check in checks.items()}
        self.register_outputs(
            {
                "regionsInRotation": rotation,
                "distributionDomain": distribution.domain_name,
                "nameServers": zone.name_servers,
            }
        )

    @property
    def _origin_name(self) -> str:
        """The latency-routed name in front of the regions' ingresses."""
        return f"origin.{self._args.zone}"

    def _zone(self, name: str) -> aws.route53.Zone:
        """The public edge zone, read by id: the global stack creates and protects it."""
        return aws.route53.Zone.get(
            f"{name}-zone", self._args.zone_id, opts=pulumi.ResourceOptions(parent=self)
        )

    def _origins(self, name: str, zone: aws.route53.Zone) -> dict[str, aws.route53.HealthCheck]:
        """Per region a health check and an origin name; latency records over the regions in
        rotation, each tied to its health check."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        rotation = args.in_rotation
        origin_name = self._origin_name
        checks: dict[str, aws.route53.HealthCheck] = {}
        for origin in args.origins:
            checks[origin.region] = aws.route53.HealthCheck(
                f"{name}-health-{origin.region}",
                type="HTTPS",
                fqdn=origin.hostname,
                port=443,
                resource_path=args.health_path,
                enable_sni=True,
                request_interval=10,
                failure_threshold=3,
                measure_latency=True,
                regions=HEALTH_CHECK_REGIONS,
                reference_name=f"{names.environment}-{origin.region}"[:28],
                tags={"Name": names.display("edge", origin.region)},
                opts=child,
            )
            aws.route53.Record(
                f"{name}-origin-{origin.region}",
                zone_id=zone.zone_id,
                name=f"{origin.region}.{origin_name}",
                type="CNAME",
                ttl=30,
                records=[origin.hostname],
                opts=child,
            )
            if origin.region in rotation:
                aws.route53.Record(
                    f"{name}-latency-{origin.region}",
                    zone_id=zone.zone_id,
                    name=origin_name,
                    type="CNAME",
                    ttl=30,
                    records=[origin.hostname],
                    set_identifier=origin.region,
                    latency_routing_policies=[{"region": origin.region}],
                    health_check_id=checks[origin.region].id,
                    opts=child,
                )
                for hostname in args.passthrough_hostnames:
                    aws.route53.Record(
                        f"{name}-passthrough-{hostname}-{origin.region}",
                        zone_id=zone.zone_id,
                        name=hostname,
                        type="CNAME",
                        ttl=PASSTHROUGH_TTL,
                        records=[origin.hostname],
                        set_identifier=origin.region,
                        latency_routing_policies=[{"region": origin.region}],
                        health_check_id=checks[origin.region].id,
                        opts=child,
                    )
        return checks

    def _health_alarms(
        self, name: str, checks: dict[str, aws.route53.HealthCheck]
    ) -> dict[str, aws.cloudwatch.MetricAlarm]:
        """Per region in rotation, an alarm on its health check's status: a minute whose worst
        status is unhealthy (or with no status at all) notifies the topic; recovery does too.
        A drained region is out of the answer on purpose and pages no one."""
        args = self._args
        topic = args.health_alarm_topic_arn
        if topic is None:
            return {}
        return {
            region: aws.cloudwatch.MetricAlarm(
                f"{name}-health-alarm-{region}",
                name=args.names.physical("edge", "health", region, max_length=255),
                alarm_description=(
                    f"[{HEALTH_ALARM_SEVERITY}] {region}: the ingress fails Route 53's HTTPS "
                    f"{args.health_path} check and has left the origin answer"
                ),
                namespace="AWS/Route53",
                metric_name="HealthCheckStatus",
                dimensions={"HealthCheckId": checks[region].id},
                statistic="Minimum",
                period=HEALTH_ALARM_PERIOD_SECONDS,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="LessThanThreshold",
                treat_missing_data="breaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                tags={"meridian:severity": HEALTH_ALARM_SEVERITY},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for region in args.in_rotation
        }

    def _certificate(self, name: str, zone: aws.route53.Zone) -> aws.acm.CertificateValidation:
        """The hostnames' ACM certificate, validated through DNS records in the zone."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.hostnames[0],
            subject_alternative_names=list(args.hostnames[1:]),
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            options={"certificate_transparency_logging_preference": "ENABLED"},
            tags={"Name": names.display("edge")},
            opts=child,
        )
        validation_records = [
            aws.route53.Record(
                f"{name}-validation-{hostname}",
                zone_id=zone.zone_id,
                name=dns_validation_field(certificate, hostname, "resource_record_name"),
                type=dns_validation_field(certificate, hostname, "resource_record_type"),
                records=[dns_validation_field(certificate, hostname, "resource_record_value")],
                ttl=60,
                allow_overwrite=True,
                opts=child,
            )
            for hostname in args.hostnames
        ]
        return aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[r.fqdn for r in validation_records],
            opts=child,
        )

    def _web_acl(self, name: str) -> aws.wafv2.WebAcl:
        """The CloudFront-scoped web ACL (see `_waf_rules`)."""
        names = self._args.names
        return aws.wafv2.WebAcl(
            f"{name}-waf",
            name=names.physical("edge"),
            description="Meridian edge: AWS managed groups, per-route rate limits",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            rules=self._waf_rules(),
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": names.physical("edge"),
                "sampled_requests_enabled": True,
            },
            tags={"Name": names.display("edge")},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _policies(self, name: str) -> _Policies:
        """The cache policies (immutable assets, HTML) and the security response headers."""
        child = pulumi.ResourceOptions(parent=self)
        names = self._args.names
        immutable = aws.cloudfront.CachePolicy(
            f"{name}-cache-immutable",
            name=names.physical("edge", "immutable"),
            comment="Fingerprinted assets: one year",
            min_ttl=0,
            default_ttl=ONE_YEAR,
            max_ttl=ONE_YEAR,
            parameters_in_cache_key_and_forwarded_to_origin=_cache_key(),
            opts=child,
        )
        html = aws.cloudfront.CachePolicy(
            f"{name}-cache-html",
            name=names.physical("edge", "html"),
            comment="HTML: shared caches 300 s (s-maxage), browsers revalidate",
            min_ttl=0,
            default_ttl=HTML_EDGE_SECONDS,
            max_ttl=HTML_EDGE_SECONDS,
            parameters_in_cache_key_and_forwarded_to_origin=_cache_key(),
            opts=child,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            name=names.physical("edge", "security-headers"),
            comment="HSTS with preload, nosniff, frame deny, strict referrer",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": ONE_YEAR,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {
                    "referrer_policy": "strict-origin-when-cross-origin",
                    "override": True,
                },
            },
            opts=child,
        )
        return _Policies(immutable=immutable, html=html, headers=headers)

    def _distribution(
        self,
        name: str,
        validation: aws.acm.CertificateValidation,
        web_acl: aws.wafv2.WebAcl,
        policies: _Policies,
    ) -> aws.cloudfront.Distribution:
        """The distribution: a failover origin group for cacheable requests, the latency origin
        for the API's routes."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        rotation = args.in_rotation
        fallback = args.primary_region if args.primary_region in rotation else rotation[0]
        origin_name = self._origin_name
        immutable, html, headers = policies.immutable, policies.html, policies.headers
        latency_origin = "latency"
        fallback_origin = f"fallback-{fallback}"
        group = "failover"
        api_patterns = sorted(
            {_api_pattern(p) for r in args.routes if not r.internal for p in r.paths}
        )
        return aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{names.prefix}: edge over {', '.join(rotation)}",
            aliases=list(args.hostnames),
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_All",
            web_acl_id=web_acl.arn,
            viewer_certificate={
                "acm_certificate_arn": validation.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": MINIMUM_PROTOCOL_VERSION,
            },
            origins=[
                _origin(latency_origin, origin_name, site(args.primary_region)),
                _origin(fallback_origin, f"{fallback}.{origin_name}", site(fallback)),
            ],
            origin_groups=[
                {
                    "origin_id": group,
                    "failover_criteria": {"status_codes": FAILOVER_STATUS_CODES},
                    "members": [{"origin_id": latency_origin}, {"origin_id": fallback_origin}],
                }
            ],
            # Cacheable requests (GET/HEAD) fail over between origins; origin groups accept
            # no other methods, so the API goes to the latency origin, which Route 53 already
            # steers away from unhealthy regions.
            default_cache_behavior={
                "target_origin_id": group,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": html.id,
                "response_headers_policy_id": headers.id,
            },
            ordered_cache_behaviors=[
                *[
                    {
                        "path_pattern": pattern,
                        "target_origin_id": latency_origin,
                        "viewer_protocol_policy": "https-only",
                        "allowed_methods": [
                            "GET",
                            "HEAD",
                            "OPTIONS",
                            "PUT",
                            "PATCH",
                            "POST",
                            "DELETE",
                        ],
                        "cached_methods": ["GET", "HEAD"],
                        "compress": True,
                        "cache_policy_id": CACHING_DISABLED_POLICY_ID,
                        "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
                        "response_headers_policy_id": headers.id,
                    }
                    for pattern in api_patterns
                ],
                {
                    "path_pattern": "/assets/*",
                    "target_origin_id": group,
                    "viewer_protocol_policy": "redirect-to-https",
                    "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                    "cached_methods": ["GET", "HEAD"],
                    "compress": True,
                    "cache_policy_id": immutable.id,
                    "response_headers_policy_id": headers.id,
                },
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            tags={"Name": names.display("edge")},
            opts=child,
        )

    def _alias_records(
        self, name: str, zone: aws.route53.Zone, distribution: aws.cloudfront.Distribution
    ) -> None:
        """A and AAAA alias records of every hostname to the distribution."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        for hostname in args.hostnames:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-{hostname}-{record_type.lower()}",
                    zone_id=zone.zone_id,
                    name=hostname,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": distribution.hosted_zone_id,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=child,
                )

    def _shield(
        self, name: str, zone: aws.route53.Zone, distribution: aws.cloudfront.Distribution
    ) -> None:
        """Shield Advanced on the distribution and the zone, with automatic L7 mitigation."""
        child = pulumi.ResourceOptions(parent=self)
        names = self._args.names
        for what, arn in (("cdn", distribution.arn), ("zone", zone.arn)):
            aws.shield.Protection(
                f"{name}-shield-{what}",
                name=names.physical("edge", what),
                resource_arn=arn,
                tags={"Name": names.display("edge", what)},
                opts=child,
            )
        aws.shield.ApplicationLayerAutomaticResponse(
            f"{name}-shield-l7",
            resource_arn=distribution.arn,
            action="BLOCK",
            opts=child,
        )

    def _access_logs(self, name: str, distribution: aws.cloudfront.Distribution) -> None:
        """Standard logging (v2): the distribution's access logs delivered as JSON to a log group
        in us-east-1, encrypted with a key of its own that only CloudWatch Logs of this account
        uses (for this account's log groups)."""
        args = self._args
        scope, names = args.scope, args.names
        group_name = f"/aws/cloudfront/{names.physical('edge')}"
        key = aws.kms.Key(
            f"{name}-access-logs-key",
            description=f"{names.prefix}: CloudFront access logs",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            bypass_policy_lockout_safety_check=False,
            policy=json.dumps(
                key_policy(
                    scope.partition,
                    scope.account_id,
                    [
                        service_use_statement(
                            "CloudWatchLogsOfThisAccount",
                            scope.service_endpoint("logs"),
                            [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ReEncrypt*",
                                "kms:GenerateDataKey*",
                            ],
                            {
                                "ArnLike": {
                                    "kms:EncryptionContext:aws:logs:arn": scope.arn(
                                        "logs", "log-group:*"
                                    )
                                }
                            },
                        )
                    ],
                )
            ),
            tags={"Name": names.display("edge", "access-logs")},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=group_name,
            retention_in_days=args.access_log_retention_days,
            kms_key_id=key.arn,
            tags={"Name": names.display("edge", "access-logs")},
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self)
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs-source",
            name=names.physical("edge", "cdn", max_length=60),
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            tags={"Name": names.display("edge", "cdn")},
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs-destination",
            name=names.physical("edge", "access-logs", max_length=60),
            output_format="json",
            delivery_destination_configuration={"destination_resource_arn": group.arn},
            tags={"Name": names.display("edge", "access-logs")},
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-logs-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            tags={"Name": names.display("edge", "access-logs")},
            opts=child,
        )

    def _waf_rules(self) -> list[aws.wafv2.WebAclRuleArgsDict]:
        prefix = self._args.names.physical("edge")
        rules: list[aws.wafv2.WebAclRuleArgsDict] = []
        for priority, group in enumerate(MANAGED_RULE_GROUPS):
            statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
                "vendor_name": "AWS",
                "name": group,
            }
            if group == "AWSManagedRulesBotControlRuleSet":
                statement["managed_rule_group_configs"] = [
                    {"aws_managed_rules_bot_control_rule_set": {"inspection_level": "COMMON"}}
                ]
            rules.append(
                {
                    "name": group,
                    "priority": priority,
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": statement},
                    "visibility_config": _visibility(f"{prefix}-{group}"),
                }
            )
        internal = [p for r in self._args.routes if r.internal for p in r.paths]
        if internal:
            matches: list[aws.wafv2.WebAclRuleStatementArgsDict] = [
                {"byte_match_statement": _path_match(p, "EXACTLY")} for p in internal
            ]
            rules.append(
                {
                    "name": "internal-routes",
                    "priority": 10,
                    "action": {"block": {}},
                    "statement": matches[0]
                    if len(matches) == 1
                    else {"or_statement": {"statements": matches}},
                    "visibility_config": _visibility(f"{prefix}-internal-routes"),
                }
            )
        for index, route in enumerate(rate_limited(list(self._args.routes))):
            assert route.rate_limit_per_minute is not None
            scope: list[
                aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementArgsDict
            ] = [
                {"byte_match_statement": _method_match(route.http_method)},
                *[{"byte_match_statement": _path_match(p, "STARTS_WITH")} for p in route.paths],
            ]
            rules.append(
                {
                    "name": f"rate-limit-{route.id}",
                    "priority": 20 + index,
                    "action": {"block": {"custom_response": {"response_code": 429}}},
                    "statement": {
                        "rate_based_statement": {
                            "aggregate_key_type": "IP",
                            "limit": max(route.rate_limit_per_minute, 10),
                            "evaluation_window_sec": 60,
                            "scope_down_statement": {"and_statement": {"statements": scope}},
                        }
                    },
                    "visibility_config": _visibility(f"{prefix}-rate-limit-{route.id}"),
                }
            )
        return rules


def _api_pattern(path: str) -> str:
    """A CloudFront path pattern covering a route's whole first segment: `/api/v2/orders` ->
    `/api/*`, `/graphql` -> `/graphql*` (few behaviors, and a new route needs no new one)."""
    first, _, rest = path.strip("/").partition("/")
    return f"/{first}/*" if rest else f"/{first}*"


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric[:128],
        "sampled_requests_enabled": True,
    }


def _path_match(
    path: str, constraint: str
) -> aws.wafv2.WebAclRuleStatementByteMatchStatementArgsDict:
    return {
        "search_string": path,
        "positional_constraint": constraint,
        "field_to_match": {"uri_path": {}},
        "text_transformations": [{"priority": 0, "type": "URL_DECODE"}],
    }


def _method_match(method: str) -> aws.wafv2.WebAclRuleStatementByteMatchStatementArgsDict:
    return {
        "search_string": method,
        "positional_constraint": "EXACTLY",
        "field_to_match": {"method": {}},
        "text_transformations": [{"priority": 0, "type": "NONE"}],
    }


def _cache_key() -> aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgsDict:
    return {
        "cookies_config": {"cookie_behavior": "none"},
        "headers_config": {"header_behavior": "none"},
        "query_strings_config": {"query_string_behavior": "all"},
        "enable_accept_encoding_brotli": True,
        "enable_accept_encoding_gzip": True,
    }


def _origin(
    origin_id: str, domain: str, where: RegionSite
) -> aws.cloudfront.DistributionOriginArgsDict:
    shield_region = where.origin_shield_region
    return {
        "origin_id": origin_id,
        "domain_name": domain,
        "connection_attempts": 3,
        "connection_timeout": 5,
        "custom_origin_config": {
            "http_port": 80,
            "https_port": 443,
            "origin_protocol_policy": "https-only",
            "origin_ssl_protocols": ["TLSv1.2"],
            "origin_read_timeout": 60,
            "origin_keepalive_timeout": 60,
        },
        "origin_shield": {"enabled": True, "origin_shield_region": shield_region},
    }
