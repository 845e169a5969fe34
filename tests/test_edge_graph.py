"""The edge the user gets, read from the shared plans of the shipped environments (up and
preview): prod's Cloudflare edge (TLS, managed WAF, rate limits row by row, a pool per region
wired to that region's ingress, geo steering, cache rules, origin lock) and staging's AWS-native
edge (CloudFront, WAFv2, Route 53 latency records with health checks, ACM DNS validation)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.edge.cloudflare_edge import (
    CLOUDFLARE_MANAGED_RULESET_ID,
    HTML_EDGE_SECONDS,
    ONE_YEAR,
    OWASP_CORE_RULESET_ID,
)
from components.edge.geography import CLOUDFLARE_REGIONS
from components.edge.routes import cloudflare_match, rate_limited
from meridian_ops.gen import staging_policy_config
from meridian_ops.plan.policy_eval import make_servicer, reconcile_config
from policies.catalog import all_policies
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.edge_settings import api_routes
from stacks.outputs import EdgeKey, RegionalKey
from tests.plans import PROD_REGIONS, one, planned, states

STAGING_REGIONS = ("us-east-1", "eu-west-1")
MODES = [pytest.param(False, id="up"), pytest.param(True, id="preview")]
EDGE_RANGES = json.loads((PROJECT_DIR / "stacks" / "data" / "edge_ranges.json").read_text())


def edge(env: str, preview: bool = False) -> dict[str, Any]:
    return planned(env, preview)[f"{env}-edge"]


def ingress_of(env: str, region: str) -> str:
    hostname = planned(env)[f"{env}-{region}"]["outputs"][RegionalKey.INGRESS_HOSTNAME]
    assert isinstance(hostname, str) and hostname.endswith(f".{region}.amazonaws.com")
    return hostname


def ruleset(plan: dict[str, Any], phase: str) -> dict[str, Any]:
    found = [
        s for s in states(plan, "cloudflare:index/ruleset:Ruleset") if s["inputs"]["phase"] == phase
    ]
    assert len(found) == 1, phase
    assert found[0]["inputs"]["kind"] == "zone"
    return found[0]["inputs"]


# --- prod: Cloudflare ---------------------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES)
def test_zone_tls_and_protocol_settings(preview: bool) -> None:
    settings = {
        s["inputs"]["settingId"]: s["inputs"]["value"]
        for s in states(edge("prod", preview), "cloudflare:index/zoneSetting:ZoneSetting")
    }
    assert settings["ssl"] == "strict"
    assert float(settings["min_tls_version"]) >= 1.2
    assert settings["tls_1_3"] == "on"
    assert settings["always_use_https"] == "on"
    assert settings["http3"] == "on" and settings["0rtt"] == "on" and settings["brotli"] == "on"
    hsts = settings["security_header"]["strict_transport_security"]
    assert hsts["enabled"] and hsts["preload"] and hsts["include_subdomains"]
    assert hsts["max_age"] >= ONE_YEAR


@pytest.mark.parametrize("preview", MODES)
def test_managed_waf_rulesets_are_executed(preview: bool) -> None:
    rules = ruleset(edge("prod", preview), "http_request_firewall_managed")["rules"]
    executed = {
        r["actionParameters"]["id"]: r for r in rules if r["action"] == "execute" and r["enabled"]
    }
    assert set(executed) == {CLOUDFLARE_MANAGED_RULESET_ID, OWASP_CORE_RULESET_ID}
    owasp = executed[OWASP_CORE_RULESET_ID]["actionParameters"]["overrides"]
    assert owasp["rules"][0]["action"] == "block" and owasp["rules"][0]["scoreThreshold"] == 40
    assert all(r["expression"] == "true" for r in executed.values())


def test_custom_waf_rules_block_ssrf_traversal_internal_routes_and_bots() -> None:
    rules = {r["ref"]: r for r in ruleset(edge("prod"), "http_request_firewall_custom")["rules"]}
    assert '"169.254.169.254"' in rules["ssrf-metadata"]["expression"]
    assert '"fd00:ec2::254"' in rules["ssrf-metadata"]["expression"]
    assert '"../"' in rules["path-traversal"]["expression"]
    assert '"/metrics"' in rules["internal-routes"]["expression"]
    assert all(rules[r]["action"] == "block" for r in ("ssrf-metadata", "path-traversal"))
    assert rules["likely-bots"]["action"] == "managed_challenge"
    assert "cf.bot_management.score" in rules["likely-bots"]["expression"]
    bots = one(edge("prod"), "cloudflare:index/botManagement:BotManagement")["inputs"]
    assert bots["enableJs"] is True and bots["autoUpdateModel"] is True


@pytest.mark.parametrize("preview", MODES)
def test_rate_limits_match_the_routing_table_row_by_row(preview: bool) -> None:
    rules = ruleset(edge("prod", preview), "http_ratelimit")["rules"]
    table = rate_limited(list(api_routes()))
    assert [r["ref"] for r in rules] == [f"rate-limit-{route.id}" for route in table]
    for rule, route in zip(rules, table, strict=True):
        assert rule["expression"] == cloudflare_match(route)
        assert rule["action"] == "block"
        assert rule["ratelimit"]["period"] == 60
        assert rule["ratelimit"]["requestsPerPeriod"] == route.rate_limit_per_minute
        assert set(rule["ratelimit"]["characteristics"]) == {"cf.colo.id", "ip.src"}
        assert rule["actionParameters"]["response"]["statusCode"] == 429
    limits = {
        r["ref"].removeprefix("rate-limit-"): r["ratelimit"]["requestsPerPeriod"] for r in rules
    }
    assert limits["payments"] == 20 and limits["orders"] == 100
    assert limits["graphql"] == 200 and limits["search"] == 500
    assert edge("prod", preview)["outputs"][EdgeKey.RATE_LIMITS] == limits


@pytest.mark.parametrize("preview", MODES)
def test_a_pool_per_region_wired_to_that_regions_ingress(preview: bool) -> None:
    pools = states(edge("prod", preview), "cloudflare:index/loadBalancerPool:LoadBalancerPool")
    assert len(pools) == len(PROD_REGIONS) == 10
    by_region = {p["inputs"]["origins"][0]["name"]: p["inputs"] for p in pools}
    assert set(by_region) == set(PROD_REGIONS)
    monitor = one(edge("prod", preview), "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    assert monitor["inputs"]["type"] == "https" and monitor["inputs"]["path"] == "/health"
    for region, pool in by_region.items():
        (origin,) = pool["origins"]
        assert origin["address"] == ingress_of("prod", region)  # that region's output, no other
        assert origin["port"] == 443 and origin["header"]["hosts"] == ["api.meridian.example.com"]
        assert pool["enabled"] is True and pool["name"] == f"meridian-prod-global-edge-{region}"
        assert pool["monitor"] == (UNKNOWN if preview else monitor["id"])


def test_load_balancer_steers_by_geography_with_a_fallback_pool() -> None:
    plan = edge("prod")
    pool_of = {
        p["inputs"]["origins"][0]["name"]: p["id"]
        for p in states(plan, "cloudflare:index/loadBalancerPool:LoadBalancerPool")
    }
    lb = one(plan, "cloudflare:index/loadBalancer:LoadBalancer", "edge-lb")["inputs"]
    assert lb["name"] == "api.meridian.example.com" and lb["proxied"] is True
    assert lb["steeringPolicy"] == "geo"
    assert lb["fallbackPool"] == pool_of["us-east-1"]
    assert lb["defaultPools"] == [pool_of[r] for r in PROD_REGIONS]  # primary first
    assert set(lb["regionPools"]) == set(CLOUDFLARE_REGIONS)
    nearest = {code: pools[0] for code, pools in lb["regionPools"].items()}
    expected = {
        "ENAM": "us-east-1",
        "WNAM": "us-west-2",
        "WEU": "eu-west-1",
        "EEU": "eu-central-1",
        "SEAS": "ap-southeast-1",
        "NEAS": "ap-northeast-1",
        "SAS": "ap-south-1",
        "ME": "me-south-1",
        "SSAM": "sa-east-1",
        "SAF": "af-south-1",
    }
    assert {code: nearest[code] for code in expected} == {
        code: pool_of[r] for code, r in expected.items()
    }
    assert all(sorted(p) == sorted(pool_of.values()) for p in lb["regionPools"].values())
    (affinity,) = lb["rules"]
    assert "/ws/v2/chat" in affinity["condition"]
    assert affinity["overrides"]["sessionAffinity"] == "ip_cookie"
    assert lb["sessionAffinity"] == "none"  # only the WebSocket route is sticky


def test_cache_rules_and_tiered_cache() -> None:
    rules = {r["ref"]: r for r in ruleset(edge("prod"), "http_request_cache_settings")["rules"]}
    immutable = rules["cache-immutable-assets"]["actionParameters"]
    assert immutable["edgeTtl"]["default"] == ONE_YEAR and immutable["cache"] is True
    html = rules["cache-html"]["actionParameters"]
    assert html["edgeTtl"] == {"mode": "override_origin", "default": HTML_EDGE_SECONDS}
    bypass = rules["cache-bypass-api"]
    assert bypass["actionParameters"] == {"cache": False}
    assert '"/api/"' in bypass["expression"] and '"/graphql"' in bypass["expression"]
    order = list(rules)
    assert order[-1] == "cache-bypass-api"  # later matches win: the API always bypasses
    assert one(edge("prod"), "cloudflare:index/tieredCache:TieredCache")["inputs"]["value"] == "on"


@pytest.mark.parametrize("preview", MODES)
def test_origin_lock(preview: bool) -> None:
    """Cloudflare presents its origin-pull certificate, and each region's ingress security group
    admits only Cloudflare's published ranges, on 443."""
    pulls = one(
        edge("prod", preview),
        "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
    )
    assert pulls["inputs"]["enabled"] is True
    allowed = [ipaddress.ip_network(c) for c in EDGE_RANGES["ipv4"] + EDGE_RANGES["ipv6"]]
    for region in PROD_REGIONS:
        groups = [
            s
            for s in states(
                planned("prod", preview)[f"prod-{region}"], "aws:ec2/securityGroup:SecurityGroup"
            )
            if (s["inputs"].get("tags") or {}).get("exposure") == "edge"
        ]
        assert len(groups) == 1, region
        for rule in groups[0]["inputs"]["ingress"]:
            cidrs = rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", [])
            assert (rule["fromPort"], rule["toPort"]) == (443, 443), region
            assert cidrs and all(ipaddress.ip_network(c) in allowed for c in cidrs), region


@pytest.mark.parametrize("env", ["prod", "staging"])
def test_every_edge_resource_has_the_explicit_provider(env: str) -> None:
    plan = edge(env)
    package = "cloudflare" if env == "prod" else "aws"
    component = "meridian:edge:CloudflareEdge" if env == "prod" else "meridian:edge:AwsEdge"
    parent = one(plan, component)["urn"]
    children = [s for s in states(plan) if s["parent"] == parent]
    assert children and all(s["custom"] for s in children)
    provider_urns = {s["provider"].rsplit("::", 1)[0] for s in children}
    assert len(provider_urns) == 1, provider_urns
    (provider,) = [s for s in states(plan) if s["urn"] in provider_urns]
    assert provider["type"] == f"pulumi:providers:{package}"
    if package == "aws":
        assert provider["inputs"]["region"] == "us-east-1"  # CloudFront's ACM and WAF live there
    assert all(s["type"].startswith(f"{package}:") for s in children)
    assert not [
        s["urn"]
        for s in states(plan, None)
        if s["type"].startswith("cloudflare:") and s["parent"] != parent
    ]


@pytest.mark.parametrize("env", ["dev", "prod", "staging"])
def test_edge_stack_registers_each_urn_once(env: str) -> None:
    """The engine refuses a URN registered twice (e.g. two `aws-us-east-1` providers)."""
    urns = [s["urn"] for s in states(edge(env))]
    assert len(urns) == len(set(urns)), sorted({u for u in urns if urns.count(u) > 1})


@pytest.mark.parametrize("preview", MODES)
def test_prod_edge_exports(preview: bool) -> None:
    outputs = edge("prod", preview)["outputs"]
    assert outputs[EdgeKey.EDGE_PROVIDER] == "cloudflare"
    assert outputs[EdgeKey.PUBLIC_HOSTNAMES] == [
        "api.meridian.example.com",
        "www.meridian.example.com",
    ]
    assert outputs[EdgeKey.REGIONS_IN_ROTATION] == list(PROD_REGIONS)
    assert outputs[EdgeKey.DRAINED_REGIONS] == []
    guard = outputs[EdgeKey.EDGE_REPLACEMENT_GUARD]
    assert guard["cloudflareProviderMajor"] == 6
    assert guard["providerVersions"]["cloudflare"].startswith("6.")
    assert guard["sensitiveTypes"]["cloudflare:index/ruleset:Ruleset"] == [
        "zoneId",
        "accountId",
        "kind",
        "phase",
    ]
    dns = one(edge("prod", preview), "cloudflare:index/dnsRecord:DnsRecord")["inputs"]
    assert dns["name"] == "www.meridian.example.com" and dns["proxied"] is True
    assert dns["content"] == "api.meridian.example.com" and dns["type"] == "CNAME"


# --- staging: AWS-native --------------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES)
def test_staging_cloudfront(preview: bool) -> None:
    plan = edge("staging", preview)
    cdn = one(plan, "aws:cloudfront/distribution:Distribution")["inputs"]
    certificate = cdn["viewerCertificate"]
    assert certificate["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate["sslSupportMethod"] == "sni-only"
    assert "cloudfrontDefaultCertificate" not in certificate
    assert cdn["httpVersion"] == "http2and3" and cdn["isIpv6Enabled"] is True
    acl = one(plan, "aws:wafv2/webAcl:WebAcl")
    assert cdn["webAclId"] == (UNKNOWN if preview else acl["outputs"]["arn"])
    assert cdn["aliases"] == [
        "api.staging.meridian.example.com",
        "www.staging.meridian.example.com",
    ]
    for origin in cdn["origins"]:
        assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
        assert origin["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
        assert origin["originShield"]["enabled"] is True
    assert {o["domainName"] for o in cdn["origins"]} == {
        "origin.staging.meridian.example.com",
        "us-east-1.origin.staging.meridian.example.com",
    }
    (group,) = cdn["originGroups"]
    assert [m["originId"] for m in group["members"]] == ["latency", "fallback-us-east-1"]
    assert cdn["defaultCacheBehavior"]["targetOriginId"] == group["originId"]
    behaviors = cdn["orderedCacheBehaviors"]
    assert all(b["viewerProtocolPolicy"] in ("https-only", "redirect-to-https") for b in behaviors)
    api = {b["pathPattern"] for b in behaviors if b["targetOriginId"] == "latency"}
    assert api == {"/api/*", "/graphql*", "/ws/*"}


@pytest.mark.parametrize("preview", MODES)
def test_staging_waf(preview: bool) -> None:
    plan = edge("staging", preview)
    acl = one(plan, "aws:wafv2/webAcl:WebAcl")["inputs"]
    assert acl["scope"] == "CLOUDFRONT" and acl["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl["rules"]}
    managed = {
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in acl["rules"]
        if "managedRuleGroupStatement" in r["statement"] and r["overrideAction"] == {"none": {}}
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesBotControlRuleSet",
    }
    for route in rate_limited(list(api_routes())):
        rate = rules[f"rate-limit-{route.id}"]["statement"]["rateBasedStatement"]
        assert rate["limit"] == route.rate_limit_per_minute and rate["evaluationWindowSec"] == 60
        assert rate["aggregateKeyType"] == "IP"
        scope = [
            s["byteMatchStatement"]
            for s in rate["scopeDownStatement"]["andStatement"]["statements"]
        ]
        assert scope[0]["searchString"] == route.http_method
        assert [s["searchString"] for s in scope[1:]] == list(route.paths)
    assert "block" in rules["internal-routes"]["action"]


@pytest.mark.parametrize("preview", MODES)
def test_staging_latency_records_with_health_checks_per_region(preview: bool) -> None:
    plan = edge("staging", preview)
    checks = {s["inputs"]["fqdn"]: s for s in states(plan, "aws:route53/healthCheck:HealthCheck")}
    latency = [
        s["inputs"]
        for s in states(plan, "aws:route53/record:Record")
        if s["inputs"].get("latencyRoutingPolicies")
    ]
    # the origin name CloudFront connects to, and the partner name (DNS only: partners connect
    # to the NLBs' TCP partner listener), each with a record per region and its health check
    ttls = {"origin.staging.meridian.example.com": 30, "partners.staging.meridian.example.com": 60}
    for name, ttl in ttls.items():
        mine = [r for r in latency if r["name"] == name]
        assert sorted(r["setIdentifier"] for r in mine) == sorted(STAGING_REGIONS), name
        for record in mine:
            region = record["setIdentifier"]
            hostname = ingress_of("staging", region)
            assert record["latencyRoutingPolicies"] == [{"region": region}]
            assert record["type"] == "CNAME" and not record.get("aliases")
            assert record["records"] == [hostname] and record["ttl"] == ttl
            check = checks[hostname]
            assert check["inputs"]["type"] == "HTTPS"
            assert check["inputs"]["resourcePath"] == "/health"
            assert record["healthCheckId"] == (UNKNOWN if preview else check["id"])
    assert {r["name"] for r in latency} == set(ttls)


@pytest.mark.parametrize("preview", MODES)
def test_staging_acm_certificate_validated_through_dns(preview: bool) -> None:
    plan = edge("staging", preview)
    certificate = one(plan, "aws:acm/certificate:Certificate")
    assert certificate["inputs"]["validationMethod"] == "DNS"
    assert certificate["inputs"]["domainName"] == "api.staging.meridian.example.com"
    validation = one(plan, "aws:acm/certificateValidation:CertificateValidation")["inputs"]
    assert len(validation["validationRecordFqdns"]) == 2
    if not preview:
        names = {
            s["inputs"]["name"]
            for s in states(plan, "aws:route53/record:Record")
            if s["inputs"]["type"] == "CNAME" and "acm-validations" in s["inputs"]["records"][0]
        }
        expected = {
            o["resourceRecordName"] for o in certificate["outputs"]["domainValidationOptions"]
        }
        assert names == expected and len(names) == 2
    aliases = [
        s["inputs"] for s in states(plan, "aws:route53/record:Record") if s["inputs"].get("aliases")
    ]
    assert sorted((a["name"], a["type"]) for a in aliases) == sorted(
        (h, t)
        for h in ("api.staging.meridian.example.com", "www.staging.meridian.example.com")
        for t in ("A", "AAAA")
    )
    assert not states(plan, "aws:shield/protection:Protection")  # opt-in, off by default
    # the zone is the global stack's (it must exist before the regions validate in it)
    zone = one(planned("staging")["staging-global"], "aws:route53/zone:Zone")
    assert zone["protect"] is True and zone["inputs"]["name"] == "staging.meridian.example.com"
    assert not [s for s in plan["steps"] if s["op"] == "create" and "route53/zone" in s["urn"]]


def test_staging_edge_exports() -> None:
    outputs = edge("staging")["outputs"]
    assert outputs[EdgeKey.EDGE_PROVIDER] == "aws"
    assert outputs[EdgeKey.REGIONS_IN_ROTATION] == list(STAGING_REGIONS)
    assert len(outputs[EdgeKey.NAME_SERVERS]) == 4
    assert outputs[EdgeKey.DISTRIBUTION_DOMAIN].endswith(".cloudfront.net")


def test_staging_origin_lock_admits_cloudfront() -> None:
    """With the AWS-native edge the ingress admits CloudFront's origin-facing prefix list, and
    not Cloudflare's ranges."""
    for region in STAGING_REGIONS:
        groups = [
            s
            for s in states(
                planned("staging")[f"staging-{region}"], "aws:ec2/securityGroup:SecurityGroup"
            )
            if (s["inputs"].get("tags") or {}).get("exposure") == "edge"
        ]
        rules = [r for g in groups for r in g["inputs"]["ingress"]]
        assert groups and all(r.get("prefixListIds") for r in rules), region
        assert not any(r.get("cidrBlocks") or r.get("ipv6CidrBlocks") for r in rules), region


def test_staging_policy_config_is_prods_and_current() -> None:
    """`make plan ENV=staging` evaluates the pack with policies/config/staging.json, derived from
    prod.json (meridian_ops/gen/staging_policy_config.py); it must follow prod.json's changes."""
    path = Path(PROJECT_DIR / "policies" / "config" / "staging.json")
    config = json.loads(path.read_text())
    assert config["tag-environment-matches-config"]["expectedEnvironment"] == "staging"
    assert staging_policy_config.main(["--check"]) == 0, (
        "policies/config/staging.json is stale: python -m meridian_ops.gen.staging_policy_config"
    )
    info = make_servicer().GetAnalyzerInfo(None, None)
    assert set(reconcile_config(info, config)) == {p.name for p in all_policies()}
    assert read_stack_file(PROJECT_DIR / "Pulumi.staging-global.yaml")["meridian:regions"] == list(
        STAGING_REGIONS
    )
