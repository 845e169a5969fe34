"""The rate-limit flow over planned graphs: for every rate-limited route of the routing table,
the edge's rule (Cloudflare http_ratelimit or an AWS WAF rate-based rule) and, in every region,
the mesh's limits (the rate-limit service's descriptors, the gateway route's actions), with the
numbers compared to the table and to each other; and each partner tier: the service's
descriptor, the partner Gateway's route actions keyed by the tier's URI prefix, and the header the
gateway sets from the verified client certificate (client values removed first). Each missing or
disagreeing link is one line."""

from __future__ import annotations

import json
from typing import Any

RATE_LIMIT_PHASE = "http_ratelimit"
PARTNER_GATEWAY = "istio-ingress/partner"
EDGE_GATEWAY = "istio-ingress/edge"
PEER_URI_SAN = "%DOWNSTREAM_PEER_URI_SAN%"


def _states(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["newState"] for s in plan["steps"]]


def edge_limits(edge: dict[str, Any]) -> dict[str, int]:
    """Route id -> requests per minute per client IP, as the edge enforces them."""
    found: dict[str, int] = {}
    for state in _states(edge):
        inputs = state.get("inputs", {})
        if state["type"] == "cloudflare:index/ruleset:Ruleset" and inputs.get("phase") == (
            RATE_LIMIT_PHASE
        ):
            for rule in inputs.get("rules", []):
                found[rule["ref"].removeprefix("rate-limit-")] = rule["ratelimit"][
                    "requestsPerPeriod"
                ]
        if state["type"] == "aws:wafv2/webAcl:WebAcl":
            for rule in inputs.get("rules", []):
                rate = rule.get("statement", {}).get("rateBasedStatement")
                if rate and rule["name"].startswith("rate-limit-"):
                    assert rate["evaluationWindowSec"] == 60, rule["name"]
                    found[rule["name"].removeprefix("rate-limit-")] = rate["limit"]
    return found


def mesh_limits(regional: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(route id, descriptor key) -> requests per minute, where the rate-limit service's
    configuration has the limit AND the gateway's route sends that descriptor."""
    config: dict[tuple[str, str], int] = {}
    actions: set[tuple[str, str]] = set()
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if state["type"] == "kubernetes:core/v1:ConfigMap" and name == "ratelimit-config":
            document = json.loads(inputs["data"]["config.yaml"])
            for entry in document["descriptors"]:
                if entry["key"] != "route":
                    continue
                for inner in entry["descriptors"]:
                    rate = inner["rate_limit"]
                    assert rate["unit"] == "minute", entry
                    config[(entry["value"], inner["key"])] = rate["requests_per_unit"]
        if state["type"].endswith(":EnvoyFilter") and name == "rate-limit-routes":
            for patch in inputs["spec"]["configPatches"]:
                match = patch["match"]["routeConfiguration"]
                if match.get("gateway") != EDGE_GATEWAY:
                    continue  # a route of that name on another Gateway is another route
                route = match["vhost"]["route"]["name"]
                for limit in patch["patch"]["value"]["route"]["rate_limits"]:
                    keys = _action_keys(limit["actions"])
                    if ("route", route) in keys:
                        actions |= {(route, k) for k, _ in keys if k != "route"}
    return {key: rate for key, rate in config.items() if key in actions}


def _action_keys(actions: list[dict[str, Any]]) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for action in actions:
        if "generic_key" in action:
            keys.add(
                (action["generic_key"]["descriptor_key"], action["generic_key"]["descriptor_value"])
            )
        elif "request_headers" in action:
            keys.add((action["request_headers"]["descriptor_key"], "*"))
        elif "remote_address" in action:
            keys.add(("remote_address", "*"))
    return keys


def rate_limit_flow(
    routes: list[dict[str, Any]],
    table: dict[str, Any],
    edge: dict[str, Any],
    regional: dict[str, Any],
) -> list[str]:
    """Every missing or disagreeing link, one line each (empty: the flow holds)."""
    problems: list[str] = []
    at_edge = edge_limits(edge)
    in_mesh = mesh_limits(regional)
    dimensions = [d["key"] for d in table["dimensions"]]
    for row in routes:
        rate = row.get("rateLimitPerMinute")
        if rate is None or row.get("internal"):
            continue
        route = row["id"]
        edge_rate = at_edge.get(route)
        if edge_rate is None:
            problems.append(f"{route}: no rate limit at the edge")
        elif edge_rate != max(rate, 10) and edge_rate != rate:
            problems.append(f"{route}: the edge allows {edge_rate}/min, the table {rate}/min")
        if row.get("backend") is None:
            continue  # no gateway route to attach to (pending backend)
        for key in dimensions:
            got = in_mesh.get((route, key))
            if got is None:
                problems.append(f"{route}: no {key} descriptor in the mesh")
            elif got != rate or (edge_rate is not None and got != rate):
                problems.append(f"{route}: the mesh allows {got}/min per {key}, the table {rate}")
    for row in table.get("routes", []):
        got = in_mesh.get((row["route"], row["dimension"]))
        if got != row["requestsPerMinute"]:
            problems.append(
                f"{row['route']}: the mesh allows {got}/min per {row['dimension']}, "
                f"the table {row['requestsPerMinute']}"
            )
    return problems


def partner_tier_limits(regional: dict[str, Any], table: dict[str, Any]) -> dict[str, int]:
    """Tier -> requests per minute per partner, where the service has the limit, every route of
    the partner Gateway sends (tier, partner) keyed by the tier's URI prefix on the partner
    header, and the gateway sets that header from the peer certificate after removing it."""
    header, prefix = table["partnerHeader"], table["partnerUriPrefix"]
    config: dict[str, int] = {}
    per_route: list[set[str]] = []
    identity = False
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if state["type"] == "kubernetes:core/v1:ConfigMap" and name == "ratelimit-config":
            for entry in json.loads(inputs["data"]["config.yaml"])["descriptors"]:
                for inner in entry.get("descriptors", []):
                    if entry["key"] == "tier" and inner["key"] == "partner":
                        config[entry["value"]] = inner["rate_limit"]["requests_per_unit"]
        if not state["type"].endswith(":EnvoyFilter"):
            continue
        for patch in inputs["spec"]["configPatches"]:
            if name == "rate-limit-routes" and (
                patch["match"]["routeConfiguration"].get("gateway") == PARTNER_GATEWAY
            ):
                per_route.append(_tiers_sent(patch, header, prefix))
            if patch.get("applyTo") == "HTTP_FILTER" and patch["patch"]["operation"] == (
                "INSERT_FIRST"
            ):
                mutations = (
                    patch["patch"]["value"].get("typed_config", {}).get("mutations", {})
                ).get("request_mutations", [])
                identity |= mutations[:2] == [
                    {"remove": header},
                    {
                        "append": {
                            "header": {"key": header, "value": PEER_URI_SAN},
                            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                        }
                    },
                ]
    if not identity or not per_route:
        return {}
    sent = set.intersection(*per_route)
    return {tier: rate for tier, rate in config.items() if tier in sent}


def _tiers_sent(patch: dict[str, Any], header: str, prefix: str) -> set[str]:
    tiers: set[str] = set()
    for limit in patch["patch"]["value"]["route"]["rate_limits"]:
        actions = limit["actions"]
        matched = [a["header_value_match"] for a in actions if "header_value_match" in a]
        keyed = [a["request_headers"] for a in actions if "request_headers" in a]
        for m in matched:
            tier = m.get("descriptor_value")
            if (
                m.get("descriptor_key") == "tier"
                and m.get("headers")
                == [{"name": header, "string_match": {"prefix": f"{prefix}{tier}:"}}]
                and {"header_name": header, "descriptor_key": "partner"} in keyed
            ):
                tiers.add(tier)
    return tiers


def partner_tier_flow(table: dict[str, Any], regional: dict[str, Any]) -> list[str]:
    """Every partner tier of the table enforced per partner at its rate (empty: the flow holds)."""
    got = partner_tier_limits(regional, table)
    return [
        f"partner tier {row['tier']}: the mesh allows {got.get(row['tier'])}/min per partner, "
        f"the table {row['requestsPerMinute']}"
        for row in table.get("tiers", [])
        if got.get(row["tier"]) != row["requestsPerMinute"]
    ]
