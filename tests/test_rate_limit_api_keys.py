"""The per-API-key rate limit on its own, under the mock engine: the rate-limit service's
configuration lists one limit per confidential client id, read from the global stack's export
through the output contract, and no value-less api_key limit; a preview in which those ids are
unknown still plans (the configuration is then unknown, the gateway's routes are not). Also the
table's bad input for a dimension limited per client, and the pack refusing the planned routes
once keyed on a client-supplied header."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import pytest

from components.common.naming import Names
from components.common.scope import AwsScope
from components.mesh.rate_limit import (
    Descriptor,
    GlobalRateLimit,
    GlobalRateLimitArgs,
    route_rate_limits,
    service_config,
)
from meridian_ops.plan.engine import Step, run_stack
from stacks.identity import Role
from stacks.identity_settings import routes_document
from stacks.outputs import GlobalKey, GlobalOutputs
from stacks.rate_limit_settings import rate_limit_table_problems, table_document
from stacks.references import UpstreamStack
from tests.flows.test_rate_limit_flow import api_key_read_from
from tests.plans import planned
from tests.policies.cases_common import UNKNOWN
from tests.policies.harness import evaluate

CONFIG: dict[str, Any] = {"pulumi:disable-default-providers": ["*"]}
CLIENT = "partner-m2m"
"""The confidential client of stacks/data/identity_clients.json."""
CLIENT_ID = "4b2kq9v0c1m2x3z4y5w6t7r8s9"
HEADER = "x-meridian-client-id"
"""Where the gateway's JWT validation writes the token's client_id claim (literal)."""
RATE = 1000


def _limits(values: tuple[Any, ...]) -> tuple[Descriptor, ...]:
    return (
        Descriptor("users", "user", "x-meridian-sub", RATE),
        Descriptor("users", "api_key", HEADER, RATE, values=values),
        Descriptor("users", "remote_address", None, RATE),
    )


def _args(limits: tuple[Descriptor, ...], kube: k8s.Provider | None = None) -> GlobalRateLimitArgs:
    return GlobalRateLimitArgs(
        names=Names("dev", "us-east-1"),
        scope=AwsScope("123456789012", "us-east-1"),
        kube=kube or k8s.Provider("kube", kubeconfig="{}"),
        random_provider=random.Provider("random-us-east-1"),
        vpc_id="vpc-0123",
        vpc_cidr="10.0.0.0/16",
        subnet_ids=["subnet-a", "subnet-b"],
        clients=["sg-0nodes"],
        store_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/databases",
        image="docker.io/envoyproxy/ratelimit:aba2384d",
        domain="meridian-edge",
        limits=limits,
        routes=("users",),
        replicas=2,
        rpc_timeout_ms=20,
        local_requests_per_second=500,
        local_burst=1000,
        store_node_type="cache.t4g.small",
        store_replicas=1,
        store_engine_version="8.2",
    )


def _program() -> None:
    region = aws.Provider("aws-us-east-1", region="us-east-1")
    kube = k8s.Provider("kube", kubeconfig="{}", enable_server_side_apply=True)
    client_id = GlobalOutputs.read(UpstreamStack("dev", Role.GLOBAL)).api_key_client_id(CLIENT)
    GlobalRateLimit(
        "rate-limit",
        _args(_limits((client_id,)), kube),
        opts=pulumi.ResourceOptions(provider=region),
    )


def _plan(preview: bool, exported: Any) -> list[Step]:
    upstream = {"dev-global": {GlobalKey.API_KEY_CLIENT_IDS.value: {CLIENT: exported}}}
    run = run_stack(
        "dev-us-east-1", CONFIG, _program, preview=preview, upstream=upstream, validate=False
    )
    return run.steps


def _named(steps: list[Step], name: str) -> dict[str, Any]:
    (found,) = [s.inputs for s in steps if s.inputs.get("metadata", {}).get("name") == name]
    return found


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_one_limit_per_exported_client_id_and_none_for_every_value(preview: bool) -> None:
    steps = _plan(preview, CLIENT_ID)
    config = json.loads(_named(steps, "ratelimit-config")["data"]["config.yaml"])
    (route,) = config["descriptors"]
    api_keys = [d for d in route["descriptors"] if d["key"] == "api_key"]
    assert api_keys == [
        {
            "key": "api_key",
            "value": CLIENT_ID,
            "rate_limit": {"unit": "minute", "requests_per_unit": RATE},
        }
    ]
    # the other dimensions still hold per any value
    assert {d["key"] for d in route["descriptors"] if "value" not in d} == {
        "user",
        "remote_address",
    }


def test_a_preview_with_the_ids_unknown_still_plans() -> None:
    steps = _plan(True, UNKNOWN)
    assert _named(steps, "ratelimit-config")["data"]["config.yaml"] == UNKNOWN
    routes = _named(steps, "rate-limit-routes")["spec"]["configPatches"]
    read = [
        a["request_headers"]["header_name"]
        for p in routes
        for limit in p["patch"]["value"]["route"]["rate_limits"]
        for a in limit["actions"]
        if a.get("request_headers", {}).get("descriptor_key") == "api_key"
    ]
    assert read == [HEADER]


def _pure(check: Any) -> None:
    """Run `check` where Pulumi resources (the providers the args hold) can be made."""
    failures: list[BaseException] = []

    def program() -> None:
        try:
            check()
        except BaseException as error:  # handed back to the test below
            failures.append(error)

    run_stack("dev-us-east-1", CONFIG, program, preview=True, validate=False)
    if failures:
        raise failures[0]


def test_the_gateway_sends_the_validated_client_id() -> None:
    def check() -> None:
        args = _args(_limits((CLIENT_ID,)))
        actions = [a for limit in route_rate_limits(args, "users") for a in limit["actions"]]
        assert {"request_headers": {"header_name": HEADER, "descriptor_key": "api_key"}} in actions

    _pure(check)


def test_limits_per_listed_value_are_refused_without_values_or_repeated() -> None:
    with pytest.raises(ValueError, match="values need a header and at least one"):
        Descriptor("users", "api_key", HEADER, RATE, values=())
    with pytest.raises(ValueError, match="values need a header"):
        Descriptor("users", "remote_address", None, RATE, values=(CLIENT_ID,))
    with pytest.raises(ValueError, match="repeated values"):
        _pure(lambda: service_config(_args(_limits((CLIENT_ID, CLIENT_ID)))))


def _problems(edit: Any) -> list[str]:
    table = copy.deepcopy(table_document())
    edit(next(d for d in table["dimensions"] if d["key"] == "api_key"))
    return [p.render() for p in rate_limit_table_problems(table, routes_document())]


def test_table_refuses_a_per_client_dimension_of_public_clients_or_without_a_header() -> None:
    assert _problems(lambda d: None) == []
    (line,) = _problems(lambda d: d.update(clients="public"))
    assert "dimensions[1] (api_key).clients" in line and "'public'" in line
    assert "use one of ['confidential']" in line
    (line,) = _problems(lambda d: d.update(header=None))
    assert "dimensions[1] (api_key).header" in line and "client_id claim" in line


KEYS_POLICY = "envoy-rate-limit-keys-gateway-set"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_pack_refuses_the_planned_routes_keyed_on_a_client_header(preview: bool) -> None:
    plan = copy.deepcopy(planned("dev", preview)["dev-us-east-1"])
    assert [v for v in evaluate(plan, "dev") if v.policy == KEYS_POLICY] == []
    for step in plan["steps"]:
        state = step["newState"]
        if state["inputs"].get("metadata", {}).get("name") == "rate-limit-routes":
            for props in (state["inputs"], state["outputs"]):  # the pack reads both, merged
                if "spec" in props:
                    api_key_read_from("x-api-key")(props)
    found = [v for v in evaluate(plan, "dev") if v.policy == KEYS_POLICY]
    assert len(found) == 1 and not found[0].unknown, found
    assert "request header x-api-key" in found[0].message
