"""`meridian:kubernetes`: defaults per environment, overrides per region, and bad input named by
key, value and fix (through the same `load_settings` path as every key); the components' own
guards for what bypasses config."""

from __future__ import annotations

import ipaddress

import pytest

from components.common.naming import Names
from components.foundation.network import plan_pod_subnets
from components.kubernetes.cluster import EksClusterArgs
from stacks.cidr_plan import POD_SUPERNET, REGION_SLOTS, pod_cidr
from stacks.kubernetes_settings import KubernetesSettings, validate_kubernetes
from stacks.settings import ENVIRONMENT_DEFAULTS
from stacks.versions import EKS_ADDONS, KUBERNETES_VERSION, eks_addon_version
from tests.test_config_errors import assert_names, error_of

KEY = "meridian:kubernetes"


def test_defaults_keep_the_endpoint_private_and_logs_for_a_year_in_prod() -> None:
    for env, values in ENVIRONMENT_DEFAULTS.items():
        kube = KubernetesSettings.model_validate(values["kubernetes"])
        assert kube.endpoint_public_access_cidrs == [], env
        assert validate_kubernetes(kube, env, f"Pulumi.{env}-global.yaml") == []
    prod = KubernetesSettings.model_validate(ENVIRONMENT_DEFAULTS["prod"]["kubernetes"])
    assert prod.control_plane_log_retention_days == 365


def test_an_admin_network_and_named_admins_are_accepted() -> None:
    kube = KubernetesSettings.model_validate(
        {
            **ENVIRONMENT_DEFAULTS["prod"]["kubernetes"],
            "endpointPublicAccessCidrs": ["81.2.69.0/24"],
            "adminRoleArns": ["arn:aws:iam::123456789012:role/PlatformAdmin"],
        }
    )
    assert validate_kubernetes(kube, "prod", "Pulumi.prod-eu-west-1.yaml") == []


def test_allowlist_cidr_that_is_not_a_network() -> None:
    own = {KEY: {"endpointPublicAccessCidrs": ["203.0.113.7/24"]}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"{KEY}.endpointPublicAccessCidrs[0]", "203.0.113.7/24", "203.0.113.0/24")
    assert "not an IPv4 network" in str(err)


def test_allowlist_entry_that_is_not_a_cidr_at_all() -> None:
    own = {KEY: {"endpointPublicAccessCidrs": ["office"]}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"{KEY}.endpointPublicAccessCidrs[0]", "'office'", "network address")


def test_open_to_the_internet_is_refused_in_prod() -> None:
    own = {KEY: {"endpointPublicAccessCidrs": ["0.0.0.0/0"]}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"{KEY}.endpointPublicAccessCidrs[0]", "0.0.0.0/0", "keep the endpoint")
    assert "whole internet" in str(err)


def test_private_networks_are_not_public_endpoint_sources() -> None:
    own = {KEY: {"endpointPublicAccessCidrs": ["10.0.0.0/8"]}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"{KEY}.endpointPublicAccessCidrs[0]", "10.0.0.0/8", "remove it")


def test_retention_cloudwatch_does_not_accept() -> None:
    err = error_of("prod-us-east-1", own={KEY: {"controlPlaneLogRetentionDays": 100}})
    assert_names(err, f"{KEY}.controlPlaneLogRetentionDays", "100", "nearest: 90")


def test_admin_that_is_not_a_role() -> None:
    own = {KEY: {"adminRoleArns": ["arn:aws:iam::123456789012:user/alice"]}}
    err = error_of("prod-us-east-1", own=own)
    assert_names(err, f"{KEY}.adminRoleArns[0]", "user/alice", "role/<name>")


def test_wrong_type_and_unknown_key() -> None:
    err = error_of("prod-us-east-1", own={KEY: {"warmPrefixTarget": "1", "publicEndpoint": True}})
    text = str(err)
    assert f"{KEY}.warmPrefixTarget" in text and f"{KEY}.publicEndpoint" in text


# --- what bypasses config: the components' own guards ----------------------------------------


def _cluster_args(**changes: object) -> EksClusterArgs:
    values: dict[str, object] = {
        "names": Names("prod", "us-east-1"),
        "region": "us-east-1",
        "partition": "aws",
        "version": KUBERNETES_VERSION,
        "addon_versions": dict(EKS_ADDONS[KUBERNETES_VERSION]),
        "vpc_id": "vpc-1",
        "internal_cidrs": ["10.128.0.0/16", "100.64.0.0/16"],
        "node_subnet_ids": ["subnet-1", "subnet-2", "subnet-3"],
        "pod_subnet_ids": ["subnet-4", "subnet-5", "subnet-6"],
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "secrets_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1",
        "logs_key_arn": "arn:aws:kms:us-east-1:123456789012:key/2",
        "log_retention_days": 365,
        "deployer_arn": "arn:aws:iam::123456789012:role/Deployer",
    }
    values.update(changes)
    return EksClusterArgs(**values)  # type: ignore[arg-type]


def test_cluster_args_refuse_what_config_would() -> None:
    _cluster_args()
    with pytest.raises(ValueError, match="host bits"):
        _cluster_args(endpoint_public_access_cidrs=["203.0.113.7/24"])
    with pytest.raises(ValueError, match=r"0\.0\.0\.0/0"):
        _cluster_args(endpoint_public_access_cidrs=["0.0.0.0/0"])
    with pytest.raises(ValueError, match="log_retention_days"):
        _cluster_args(log_retention_days=100)
    with pytest.raises(ValueError, match="not an IAM role"):
        _cluster_args(deployer_arn="arn:aws:sts::123456789012:assumed-role/Deployer/s")
    with pytest.raises(ValueError, match="no version"):
        _cluster_args(addon_versions={"vpc-cni": "v1"})


def test_every_region_slot_has_its_own_pod_block() -> None:
    blocks = {region: pod_cidr(region) for region in REGION_SLOTS}
    assert all(b.subnet_of(POD_SUPERNET) and b.prefixlen == 16 for b in blocks.values())
    assert len(set(blocks.values())) == len(blocks)
    assert str(pod_cidr("us-east-1")) == "100.64.0.0/16"


@pytest.mark.parametrize("azs", [3, 4])
def test_pod_subnets_are_quarters_of_the_pod_block(azs: int) -> None:
    block = ipaddress.IPv4Network("100.65.0.0/16")
    subnets = plan_pod_subnets(block, azs)
    assert [s.prefixlen for s in subnets] == [18] * azs
    assert all(s.subnet_of(block) for s in subnets)
    assert subnets[:3] == plan_pod_subnets(block, 3)  # a fourth AZ moves nothing


def test_addon_table_lookup() -> None:
    assert eks_addon_version("vpc-cni") == EKS_ADDONS[KUBERNETES_VERSION]["vpc-cni"]
    with pytest.raises(KeyError, match="EKS_ADDONS"):
        eks_addon_version("vpc-cni", "1.20")
    for versions in EKS_ADDONS.values():
        assert all(v.startswith("v") and "-eksbuild." in v for v in versions.values())
