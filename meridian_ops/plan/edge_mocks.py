"""Mock answers for the edge's resources, wired into `AwsMocks` (meridian_ops/plan/aws_mocks.py).

- Cloudflare (pulumi-cloudflare v6): ids as Cloudflare returns them (32 hex digits for rulesets,
  pools, monitors, load balancers and DNS records; the setting name for a zone setting).
- AWS edge: CloudFront distributions (`E...` ids, `d....cloudfront.net` domains, the CloudFront
  hosted zone), WAFv2 web ACLs (global ARNs), Route 53 hosted zones (`Z...` ids, four name
  servers), health checks (UUIDs), records (`fqdn`), ACM certificates (one DNS validation option
  per domain, as ACM returns them) and certificate validations.

The functions take the mock context of aws_mocks (`type`, `name`, `inputs`, `region`, `account`,
`hex(n)`, `arn(service, resource, region)`); this module imports nothing from aws_mocks.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable
from typing import Any

CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
_UPPER = string.ascii_uppercase + string.digits


def _upper_id(ctx: Any, prefix: str, length: int) -> str:
    digest = ctx.hex(2 * length)
    return prefix + "".join(
        _UPPER[int(digest[i : i + 2], 16) % len(_UPPER)] for i in range(0, 2 * length, 2)
    )


def _uuid(ctx: Any) -> str:
    h = ctx.hex(32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def edge_resource_id(ctx: Any) -> str | None:
    """The id the provider would return for an edge resource, or None for other types."""
    if ctx.type.startswith("cloudflare:"):
        if ctx.type == "cloudflare:index/zoneSetting:ZoneSetting":
            return str(ctx.inputs.get("settingId") or ctx.name)
        return ctx.hex(32)
    if ctx.type == "aws:cloudfront/distribution:Distribution":
        return _upper_id(ctx, "E", 13)
    if ctx.type == "aws:route53/zone:Zone":
        return _upper_id(ctx, "Z", 20)
    if ctx.type in (
        "aws:route53/healthCheck:HealthCheck",
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudfront/cachePolicy:CachePolicy",
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    ):
        return _uuid(ctx)
    return None


def _outputs_distribution(ctx: Any, rid: str) -> dict[str, Any]:
    return {
        "arn": f"arn:aws:cloudfront::{ctx.account}:distribution/{rid}",
        "domainName": f"d{ctx.hex(13)}.cloudfront.net",
        "hostedZoneId": CLOUDFRONT_HOSTED_ZONE_ID,
        "status": "Deployed",
        "etag": _upper_id(ctx, "E", 13),
    }


def _outputs_web_acl(ctx: Any, rid: str) -> dict[str, Any]:
    scope = "global" if ctx.inputs.get("scope") == "CLOUDFRONT" else "regional"
    region = "us-east-1" if scope == "global" else ctx.region
    name = ctx.inputs.get("name") or ctx.name
    return {
        "arn": ctx.arn("wafv2", f"{scope}/webacl/{name}/{rid}", region=region),
        "capacity": 1200,
        "lockToken": _uuid(ctx),
    }


def _outputs_zone(ctx: Any, rid: str) -> dict[str, Any]:
    """A zone's outputs follow from its id, so a stack that reads the zone by id (the edge) sees
    the name servers of the stack that created it (the global stack)."""
    del ctx
    h = int(hashlib.sha256(rid.encode()).hexdigest()[:8], 16)
    return {
        "arn": f"arn:aws:route53:::hostedzone/{rid}",
        "zoneId": rid,
        "nameServers": [
            f"ns-{h % 2048}.awsdns-{h % 64:02d}.com",
            f"ns-{(h >> 3) % 2048}.awsdns-{(h >> 3) % 64:02d}.net",
            f"ns-{(h >> 6) % 2048}.awsdns-{(h >> 6) % 64:02d}.org",
            f"ns-{(h >> 9) % 2048}.awsdns-{(h >> 9) % 64:02d}.co.uk",
        ],
    }


def _outputs_record(ctx: Any, rid: str) -> dict[str, Any]:
    name = ctx.inputs.get("name")
    return {"fqdn": str(name).rstrip(".") if isinstance(name, str) else rid}


def _outputs_health_check(ctx: Any, rid: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:route53:::healthcheck/{rid}"}


def _outputs_certificate(ctx: Any, rid: str) -> dict[str, Any]:
    domain = ctx.inputs.get("domainName")
    sans = ctx.inputs.get("subjectAlternativeNames") or []
    domains = [d for d in [domain, *sans] if isinstance(d, str)]
    options = []
    for name in dict.fromkeys(domains):
        token = ctx.hex(32) if name == domain else _hex_of(ctx, name)
        options.append(
            {
                "domainName": name,
                "resourceRecordName": f"_{token}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{token[::-1]}.xlfgrmvvlj.acm-validations.aws.",
            }
        )
    return {
        "arn": ctx.arn("acm", f"certificate/{_uuid(ctx)}"),
        "domainValidationOptions": options,
        "status": "PENDING_VALIDATION",
    }


def _hex_of(ctx: Any, name: str) -> str:
    import hashlib

    return hashlib.sha256(f"{ctx.seed}/{name}".encode()).hexdigest()[:32]


def _outputs_certificate_validation(ctx: Any, rid: str) -> dict[str, Any]:
    return {"certificateArn": ctx.inputs.get("certificateArn")}


def _outputs_api_token(ctx: Any, rid: str) -> dict[str, Any]:
    # a Cloudflare API token's secret (40 characters) and its status
    return {"value": ctx.hex(40), "status": "active"}


EDGE_OUTPUTS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "cloudflare:index/apiToken:ApiToken": _outputs_api_token,
    "aws:cloudfront/distribution:Distribution": _outputs_distribution,
    "aws:wafv2/webAcl:WebAcl": _outputs_web_acl,
    "aws:route53/zone:Zone": _outputs_zone,
    "aws:route53/record:Record": _outputs_record,
    "aws:route53/healthCheck:HealthCheck": _outputs_health_check,
    "aws:acm/certificate:Certificate": _outputs_certificate,
    "aws:acm/certificateValidation:CertificateValidation": _outputs_certificate_validation,
}
"""Computed outputs of the edge's AWS resources, by type."""
