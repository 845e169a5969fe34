"""The rate-limit flow over planned graphs: for every rate-limited route of the routing table,
the edge's rule (Cloudflare http_ratelimit or an AWS WAF rate-based rule) and, in every region,
the mesh's limits (the rate-limit service's descriptors, the gateway route's actions), with the
numbers compared to the table and to each other, each dimension read from the table's header and
that header one only the gateway sets (from the validated token, the client's value removed
first), and the per-API-key limit listed once per confidential client id (the global stack's
export) with no value-less entry; and each partner tier: the service's
descriptor, the partner Gateway's route actions keyed by the tier's URI prefix, and the header the
gateway sets from the verified client certificate (client values removed first). Each missing or
disagreeing link is one line."""

from __future__ import annotations

import json
from typing import Any

from meridian_ops.plan.flows.harness import known
from stacks.outputs import GlobalKey

API_KEYS = GlobalKey.API_KEY_CLIENT_IDS
GATEWAY_LABELS = {"istio": "ingressgateway"}
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


Entries = dict[tuple[str, str], dict[str | None, int]]
"""(route id, descriptor key) -> value (None: the value-less entry) -> requests per minute."""


def service_entries(regional: dict[str, Any]) -> Entries | None:
    """(route id, descriptor key) -> value (None: the value-less entry, any value) -> requests per
    minute, as the rate-limit service's configuration holds them; None while the configuration
    is unknown (a preview before the API keys' ids exist)."""
    config: Entries = {}
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if state["type"] != "kubernetes:core/v1:ConfigMap" or name != "ratelimit-config":
            continue
        text = inputs["data"]["config.yaml"]
        if not known(text):
            return None
        for entry in json.loads(text)["descriptors"]:
            if entry["key"] != "route":
                continue
            for inner in entry["descriptors"]:
                rate = inner["rate_limit"]
                assert rate["unit"] == "minute", entry
                values = config.setdefault((entry["value"], inner["key"]), {})
                values[inner.get("value")] = rate["requests_per_unit"]
    return config


def route_actions(regional: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """(route id, descriptor key) -> the request header the edge Gateway's route reads the value
    from (None: the client address), for each action list that also sends the route."""
    actions: dict[tuple[str, str], str | None] = {}
    for state in _states(regional):
        inputs = state.get("inputs", {})
        name = inputs.get("metadata", {}).get("name")
        if not state["type"].endswith(":EnvoyFilter") or name != "rate-limit-routes":
            continue
        for patch in inputs["spec"]["configPatches"]:
            match = patch["match"]["routeConfiguration"]
            if match.get("gateway") != EDGE_GATEWAY:
                continue  # a route of that name on another Gateway is another route
            route = match["vhost"]["route"]["name"]
            for limit in patch["patch"]["value"]["route"]["rate_limits"]:
                keys = _action_keys(limit["actions"])
                if ("route", route, None) in keys:
                    actions |= {(route, k): h for k, _, h in keys if k != "route"}
    return actions


def mesh_limits(regional: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(route id, descriptor key) -> requests per minute per any value, where the rate-limit
    service's configuration has the value-less limit AND the gateway's route sends that
    descriptor."""
    config = service_entries(regional) or {}
    sent = route_actions(regional)
    return {key: values[None] for key, values in config.items() if key in sent and None in values}


def gateway_set_headers(regional: dict[str, Any]) -> set[str]:
    """The request headers only the gateway can set: written from the validated token's claims
    (the gateway pods' RequestAuthentication `outputClaimToHeaders`) and removed from the client's
    request first (a header mutation inserted first in the gateway's HTTP filters)."""
    from_claims: set[str] = set()
    removed: set[str] = set()
    for state in _states(regional):
        inputs = state.get("inputs", {})
        spec = inputs.get("spec") or {}
        if state["type"].endswith(":RequestAuthentication") and (
            (spec.get("selector") or {}).get("matchLabels") == GATEWAY_LABELS
        ):
            for rule in spec.get("jwtRules") or []:
                from_claims |= {h["header"] for h in rule.get("outputClaimToHeaders") or []}
        if not state["type"].endswith(":EnvoyFilter"):
            continue
        if (spec.get("workloadSelector") or {}).get("labels") != GATEWAY_LABELS:
            continue
        for patch in spec.get("configPatches") or []:
            if patch.get("applyTo") != "HTTP_FILTER" or patch["patch"]["operation"] != (
                "INSERT_FIRST"
            ):
                continue
            typed = patch["patch"]["value"].get("typed_config", {})
            for mutation in typed.get("mutations", {}).get("request_mutations", []):
                if "remove" in mutation:
                    removed.add(mutation["remove"])
    return from_claims & removed


def _action_keys(actions: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    """(descriptor key, fixed value or "*", the header read or None) of each action."""
    keys: set[tuple[str, str, str | None]] = set()
    for action in actions:
        if "generic_key" in action:
            generic = action["generic_key"]
            keys.add((generic["descriptor_key"], generic["descriptor_value"], None))
        elif "request_headers" in action:
            headers = action["request_headers"]
            keys.add((headers["descriptor_key"], "*", headers["header_name"]))
        elif "remote_address" in action:
            keys.add(("remote_address", "*", None))
    return keys


def api_key_ids(
    table: dict[str, Any], clients: dict[str, Any], global_outputs: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Dimension -> client row id -> the Cognito client id the global stack exports (unknown
    in a preview of the global stack), for each dimension limited per client."""
    exported = global_outputs.get(API_KEYS) or {}
    return {
        d["key"]: {
            c["id"]: exported.get(c["id"]) if isinstance(exported, dict) else exported
            for c in clients["clients"]
            if c["kind"] == d["clients"]
        }
        for d in table["dimensions"]
        if "clients" in d
    }


def _per_client(
    route: str, key: str, rate: int, ids: dict[str, Any], values: dict[str | None, int]
) -> list[str]:
    """A dimension limited per client: one limit per client id at the rate, no value-less one
    (it would limit the users of a public client together), none for another value."""
    problems: list[str] = []
    if None in values:
        problems.append(
            f"{route}: a {key} limit without a value in the mesh (it limits every value, the "
            "users of a public client together)"
        )
    listed = {v for v in values if v is not None}
    if not all(known(i) for i in ids.values()):  # ids unknown: the count is what can be seen
        if len(listed) != len(ids):
            problems.append(f"{route}: {len(listed)} {key} limits in the mesh, {len(ids)} clients")
        return problems
    for client, cid in sorted(ids.items()):
        got = values.get(cid)
        if got != rate:
            problems.append(
                f"{route}: the mesh allows {got}/min per {key} for client {client}, the table "
                f"{rate}"
            )
    for extra in sorted(listed - set(ids.values())):
        problems.append(f"{route}: a {key} limit for {extra}, which is no client of the table")
    return problems


def _mesh_route(
    route: str,
    rate: int,
    table: dict[str, Any],
    config: Entries,
    sent: dict[tuple[str, str], str | None],
    context: tuple[set[str], dict[str, dict[str, Any]]],
) -> list[str]:
    """One route's descriptors in the mesh against the table: each dimension sent from the
    table's header (a gateway-set one, never a client's), at the table's number."""
    trusted, per_client = context
    problems: list[str] = []
    for dimension in table["dimensions"]:
        key, header = dimension["key"], dimension.get("header")
        if (route, key) not in sent:
            problems.append(f"{route}: no {key} descriptor in the mesh")
            continue
        read = sent[(route, key)]
        if read != header:
            problems.append(f"{route}: the mesh reads {key} from {read}, the table from {header}")
        elif header is not None and header not in trusted:
            problems.append(
                f"{route}: the {key} header {header} is not set by the gateway from a validated "
                "token (a client can send any value)"
            )
        values = config.get((route, key), {})
        if key in per_client:
            problems += _per_client(route, key, rate, per_client[key], values)
        elif values.get(None) != rate:
            got = values.get(None)
            if got is None:
                problems.append(f"{route}: no {key} descriptor in the mesh")
            else:
                problems.append(f"{route}: the mesh allows {got}/min per {key}, the table {rate}")
    return problems


def rate_limit_flow(
    routes: list[dict[str, Any]],
    table: dict[str, Any],
    edge: dict[str, Any],
    regional: dict[str, Any],
    global_outputs: dict[str, Any],
    clients: dict[str, Any],
) -> list[str]:
    """Every missing or disagreeing link, one line each (empty: the flow holds). `clients` is
    identity_clients.json; `global_outputs` the global stack's (the API keys' client ids)."""
    problems: list[str] = []
    at_edge = edge_limits(edge)
    config = service_entries(regional)
    if config is None:
        return ["the rate-limit service's configuration is unknown"]
    sent = route_actions(regional)
    context = (gateway_set_headers(regional), api_key_ids(table, clients, global_outputs))
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
        problems += _mesh_route(route, rate, table, config, sent, context)
    in_mesh = mesh_limits(regional)
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
