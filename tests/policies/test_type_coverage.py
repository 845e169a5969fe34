"""Every AWS resource type in the shipped prod plan that has a security property is named by at
least one policy of the pack.

A type is named when a policy declares it (``PolicyMeta.types``) or a policy module spells its
type token (the ``validate=`` policies that filter by type themselves). What is left must be in
``NO_SECURITY_PROPERTY`` (with the reason) or in ``KNOWN_GAPS`` (a type that has a security
property and no policy yet, with what the policy must check). A new type fails the test until it
is placed; a gap that gains a policy fails it too, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

from policies.catalog import all_policies
from policies.declare import policy_meta
from tests.plans import planned

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'"(aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)"')

NO_SECURITY_PROPERTY: dict[str, str] = {
    "aws:accessanalyzer/analyzer:Analyzer": "a detector: its type (ACCOUNT) has no weaker setting",
    "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate": (
        "installs the CA's own signed certificate; the key and signing are checked on the CA"
    ),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "alert routing text, no access",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "recording and alerting rules, no access",
    "aws:appautoscaling/policy:Policy": "a scaling rule",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "a schedule of restore tests",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "what a restore test restores",
    "aws:backup/selection:Selection": "which resources a backup plan covers (role is IAM-linted)",
    "aws:cfg/conformancePack:ConformancePack": "a set of Config rules (evaluation, no access)",
    "aws:cloudwatch/eventRule:EventRule": "an event pattern or schedule",
    "aws:cloudwatch/eventTarget:EventTarget": "where a rule sends events (its role is IAM-linted)",
    "aws:cognito/managedLoginBranding:ManagedLoginBranding": (
        "the sign-in pages' look (Cognito's defaults); which flows they offer is the client's"
    ),
    "aws:cognito/resourceServer:ResourceServer": (
        "names OAuth scopes; which client may request them is the client's allowedOauthScopes"
    ),
    "aws:cloudwatch/logStream:LogStream": "a stream inside a group (the group is checked)",
    "aws:ec2/eip:Eip": "an address for a NAT gateway; exposure is decided by SGs and NACLs",
    "aws:ec2/internetGateway:InternetGateway": "routing; ingress is decided by SGs and NACLs",
    "aws:ec2/natGateway:NatGateway": "egress routing for private subnets",
    "aws:ec2/placementGroup:PlacementGroup": "instance placement strategy",
    "aws:ec2/route:Route": "routing; ingress is decided by SGs and NACLs",
    "aws:ec2/routeTable:RouteTable": "routing; ingress is decided by SGs and NACLs",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "routing",
    "aws:ec2/vpcIpam:VpcIpam": "address management",
    "aws:ec2/vpcIpamPool:VpcIpamPool": "address management",
    "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr": "address management",
    "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": "address space",
    "aws:elasticache/subnetGroup:SubnetGroup": "placement; reachability is the SGs'",
    "aws:glue/catalogDatabase:CatalogDatabase": "metadata; access is Lake Formation's",
    "aws:glue/catalogTable:CatalogTable": "metadata; access is Lake Formation's",
    "aws:glue/registry:Registry": "a namespace of schemas (compatibility checked per schema)",
    "aws:kms/alias:Alias": "a name for a key (the key is checked)",
    "aws:mskconnect/customPlugin:CustomPlugin": "a plugin archive (pinned with evidence)",
    "aws:mskconnect/workerConfiguration:WorkerConfiguration": "converter settings",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": "connection pool sizing",
    "aws:rds/proxyTarget:ProxyTarget": "which cluster a proxy fronts",
    "aws:rds/subnetGroup:SubnetGroup": "placement; reachability is the SGs'",
    "aws:s3/bucketObjectv2:BucketObjectv2": "an object in a bucket whose encryption is checked",
    "aws:secretsmanager/secretVersion:SecretVersion": "a value of a secret (the secret's key)",
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": (
        "deploys the rotation function from a pinned application version"
    ),
}

KNOWN_GAPS: dict[str, str] = {}


def _named_types() -> set[str]:
    named: set[str] = set()
    for policy in all_policies():
        named |= set(policy_meta(policy).types)
    for module in (ROOT / "policies").glob("*.py"):
        named |= set(TOKEN.findall(module.read_text()))
    return named


def _plan_types() -> set[str]:
    types: set[str] = set()
    for plan in planned("prod").values():
        for step in plan["steps"]:
            resource_type = step["newState"]["type"]
            if resource_type.startswith("aws:"):
                types.add(resource_type)
    return types


def test_every_shipped_aws_type_with_a_security_property_is_named_by_a_policy() -> None:
    named = _named_types()
    left = _plan_types() - named - set(NO_SECURITY_PROPERTY) - set(KNOWN_GAPS)
    assert not left, (
        f"AWS types in the prod plan that no policy names: {sorted(left)}. Add a policy for "
        "each type with a security property; list the others in NO_SECURITY_PROPERTY with why."
    )


def test_the_lists_hold_no_covered_type() -> None:
    named = _named_types()
    stale = sorted((set(NO_SECURITY_PROPERTY) | set(KNOWN_GAPS)) & named)
    assert not stale, f"types a policy now names; remove them from the lists: {stale}"
    assert not set(NO_SECURITY_PROPERTY) & set(KNOWN_GAPS)
