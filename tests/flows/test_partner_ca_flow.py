"""One partner CA per environment: the global stack's CA is the trust anchor of every region's
partner Gateway and the issuer of every region's partner server certificate, up and preview;
each broken link (a region trusting another CA, a self-signed or foreign-issued server
certificate, a certificate for another name, a CA of a region's own) is reported by name.
Design values are literals: the partner hostname is `partners.<edge zone>` and the CA key
EC_secp384r1 (stacks/partner_settings.py defaults, README partner section)."""

from __future__ import annotations

import pytest

from meridian_ops.plan.flows.harness import Graph, State, unwrap
from meridian_ops.plan.flows.partner_ca import partner_ca_flow
from stacks.edge_settings import EDGE_DEFAULTS
from stacks.outputs import GlobalKey
from tests.plans import planned

CA = "aws:acmpca/certificateAuthority:CertificateAuthority"
CERT = "aws:acmpca/certificate:Certificate"
INSTALL = "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate"
SERVER_TEMPLATE = "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1"
OTHER_PEM = "-----BEGIN CERTIFICATE-----\nanother-ca\n-----END CERTIFICATE-----\n"
OTHER_CA = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/another"


def _hostname(env: str) -> str:
    return f"partners.{EDGE_DEFAULTS[env]['zone']}"


def _graphs(env: str, preview: bool) -> tuple[Graph, list[Graph]]:
    plans = planned(env, preview)
    regionals = [Graph(n, p) for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]
    return Graph(f"{env}-global", plans[f"{env}-global"]), regionals


def _failing(environment: Graph, regionals: list[Graph], env: str = "dev") -> list[str]:
    return [str(x) for x in partner_ca_flow(environment, regionals, _hostname(env)).failing()]


def _is_secret(state: State) -> bool:
    meta = (state.get("inputs") or {}).get("metadata") or {}
    return meta.get("name") == "partner-tls" and meta.get("namespace") == "istio-ingress"


def _is_server_cert(state: State) -> bool:
    return state["type"] == CERT and str(state["urn"]).endswith("::partner-server-cert")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_region_trusts_and_is_issued_by_the_one_ca(env: str, preview: bool) -> None:
    environment, regionals = _graphs(env, preview)
    assert regionals
    flow = partner_ca_flow(environment, regionals, _hostname(env))
    assert not flow.failing(), "\n".join(map(str, flow.failing()))
    assert len(list(flow)) == 4 + 7 * len(regionals)
    (ca,) = environment.of_type(CA)
    assert ca["inputs"]["certificateAuthorityConfiguration"]["keyAlgorithm"] == "EC_secp384r1"
    assert ca.get("protect") is True
    outputs = environment.plan["outputs"]
    assert outputs[GlobalKey.PARTNER_CA_REGION] == outputs[GlobalKey.PRIMARY_REGION]
    for regional in regionals:
        assert not regional.of_type(CA)
        (server,) = [s for s in regional.states if _is_server_cert(s)]
        inputs = server["inputs"]
        assert inputs["templateArn"] == SERVER_TEMPLATE
        assert inputs["signingAlgorithm"] == "SHA384WITHECDSA"
        if not preview:
            assert inputs["certificateAuthorityArn"] == outputs[GlobalKey.PARTNER_CA_ARN]
            (secret,) = regional.kube("Secret", "partner-tls", "istio-ingress")
            data = unwrap(secret["inputs"]["stringData"])
            assert data["ca.crt"] == outputs[GlobalKey.PARTNER_CA_CERTIFICATE]
            assert data["tls.crt"] == server["outputs"]["certificate"]


def test_the_ca_lives_in_the_primary_region_for_every_region() -> None:
    environment, regionals = _graphs("prod", False)
    primary = environment.plan["outputs"][GlobalKey.PRIMARY_REGION]
    assert environment.plan["outputs"][GlobalKey.PARTNER_CA_REGION] == primary
    assert len(regionals) > 1  # prod runs several regions: the case the one CA is for
    for regional in regionals:
        (server,) = [s for s in regional.states if _is_server_cert(s)]
        provider = regional.by_urn[server["provider"].rsplit("::", 1)[0]]
        assert provider["inputs"]["region"] == primary


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_region_trusting_another_ca_fails(preview: bool) -> None:
    environment, regionals = _graphs("dev", preview)

    def other(state: State) -> None:
        if preview:  # the value is unknown: the link is where it is drawn from
            state["propertyDependencies"]["stringData"] = [
                u for u in state["propertyDependencies"]["stringData"] if "StackReference" not in u
            ]
        else:
            unwrap(state["inputs"]["stringData"])["ca.crt"] = OTHER_PEM

    broken = [regionals[0].edited(_is_secret, other), *regionals[1:]]
    failing = _failing(environment, broken)
    assert any("trusts the environment's partner CA: fail" in x for x in failing), failing


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_server_certificate_from_another_ca_fails(preview: bool) -> None:
    environment, regionals = _graphs("dev", preview)

    def other(state: State) -> None:
        state["inputs"]["certificateAuthorityArn"] = OTHER_CA
        state["propertyDependencies"]["certificateAuthorityArn"] = []

    broken = [regionals[0].edited(_is_server_cert, other), *regionals[1:]]
    failing = _failing(environment, broken)
    assert any("issued by the partner CA: fail" in x for x in failing), failing


def test_a_self_signed_server_certificate_fails() -> None:
    environment, regionals = _graphs("dev", False)

    def self_signed(state: State) -> None:
        state["type"] = "tls:index/selfSignedCert:SelfSignedCert"
        state["inputs"] = {"dnsNames": [_hostname("dev")], "validityPeriodHours": 8760}

    broken = [regionals[0].edited(_is_server_cert, self_signed), *regionals[1:]]
    failing = _failing(environment, broken)
    assert any("no self-signed partner certificate: fail" in x for x in failing), failing
    assert any("issued by the partner CA: fail" in x for x in failing), failing


def test_a_certificate_for_another_name_fails() -> None:
    environment, regionals = _graphs("dev", False)

    def rename(state: State) -> None:
        state["inputs"]["dnsNames"] = ["api.dev.meridian.example.com"]

    broken = [
        regionals[0].edited(lambda s: str(s["urn"]).endswith("::partner-server-csr"), rename),
        *regionals[1:],
    ]
    failing = _failing(environment, broken)
    assert any("for the partner hostname: fail" in x for x in failing), failing


def test_a_ca_of_the_regions_own_fails() -> None:
    environment, regionals = _graphs("dev", False)
    ca = environment.of_type(CA)[0]
    regional = regionals[0]
    plan = dict(regional.plan)
    plan["steps"] = [*plan["steps"], {"newState": dict(ca)}]
    failing = _failing(environment, [Graph(regional.stack, plan), *regionals[1:]])
    assert any("no partner CA of its own: fail" in x for x in failing), failing


def test_an_uninstalled_or_unexported_ca_fails() -> None:
    environment, regionals = _graphs("dev", False)
    failing = _failing(environment.without(lambda s: s["type"] == INSTALL), regionals)
    assert any("issued and installed: fail" in x for x in failing), failing
    plan = dict(environment.plan)
    plan["outputs"] = {
        k: v for k, v in plan["outputs"].items() if k != GlobalKey.PARTNER_CA_CERTIFICATE
    }
    failing = _failing(Graph(environment.stack, plan), regionals)
    assert any("exports the CA's ARN, region and certificate: fail" in x for x in failing)


def test_a_server_certificate_issued_outside_the_cas_region_fails() -> None:
    environment, regionals = _graphs("dev", False)

    def elsewhere(state: State) -> None:
        state["inputs"]["region"] = "eu-west-1"

    regional = regionals[0]
    (server,) = [s for s in regional.states if _is_server_cert(s)]
    provider_urn = server["provider"].rsplit("::", 1)[0]
    broken = [regional.edited(lambda s: s["urn"] == provider_urn, elsewhere), *regionals[1:]]
    failing = _failing(environment, broken)
    assert any("issued in the CA's region: fail" in x for x in failing), failing
