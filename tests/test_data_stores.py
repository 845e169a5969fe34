"""The transactional data layer in the graph of the shipped prod environment: one
global database with a cluster per region, the multi-region keyspace, the caches and their global
datastore, the global tables, the backup vaults and plans; encryption, deletion protection,
protect, TLS, IAM, no public exposure, the fields failover rewrites ignored; in up and preview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.data.aurora import (
    PRIMARY_IGNORED,
    SECONDARY_IGNORED,
    SECRET_VERSION_IGNORED,
    TRACKED_STAGE,
)
from stacks.data_settings import AURORA_MAX_SECONDARY_REGIONS, cassandra_tables, dynamodb_tables
from stacks.dependencies import store_access
from stacks.outputs import RegionalKey
from stacks.versions import AURORA_ROTATION_APPLICATION, AURORA_ROTATION_VERSIONS
from tests.plans import PROD_REGIONS, by_urn, name_of, one, planned, states

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PRIMARY = PROD_REGIONS[0]
CLUSTER = "aws:rds/cluster:Cluster"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
PROXY = "aws:rds/proxy:Proxy"
KEYSPACE = "aws:keyspaces/keyspace:Keyspace"
KS_TABLE = "aws:keyspaces/table:Table"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
TABLE = "aws:dynamodb/table:Table"
REPLICA = "aws:dynamodb/tableReplica:TableReplica"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
RESTORE_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
SG = "aws:ec2/securityGroup:SecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"


@pytest.fixture(scope="module", params=[False, True], ids=["up", "preview"])
def prod(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    return planned("prod", preview=request.param)


@pytest.fixture(scope="module")
def prod_up() -> dict[str, dict[str, Any]]:
    return planned("prod")


SHARED = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
"""The prod regions that may exchange confidential data both ways (stacks/data/residency.json: the
US allows any transfer; the EU allows the US under the Data Privacy Framework), in the manifest's
order: the members of the global stores. The other prod regions (India, Japan, Singapore, the
GCC, Brazil, South Africa) allow no confidential transfer and run stores of their own."""


def regional(plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r: plans[f"prod-{r}"] for r in PROD_REGIONS}


def every(plans: dict[str, dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [s for plan in plans.values() for s in states(plan, resource_type)]


def known(value: Any) -> bool:
    return value != UNKNOWN


# --- the shape: one global cluster, ten regional clusters --------------------------------------


def test_one_global_cluster_owned_by_the_primary(prod: dict[str, dict[str, Any]]) -> None:
    globals_ = every(prod, GLOBAL)
    assert len(globals_) == 1
    assert globals_[0]["urn"].startswith(f"urn:pulumi:prod-{PRIMARY}::")
    assert globals_[0]["inputs"]["storageEncrypted"] is True
    assert globals_[0]["inputs"]["deletionProtection"] is True
    assert globals_[0]["protect"] is True


def test_a_cluster_in_every_region_joining_the_global_database(
    prod: dict[str, dict[str, Any]],
) -> None:
    assert len(PROD_REGIONS) - 1 <= AURORA_MAX_SECONDARY_REGIONS
    for region, plan in regional(prod).items():
        (cluster,) = states(plan, CLUSTER)
        if region not in SHARED:  # a stand-alone cluster: its own database and managed password
            assert "globalClusterIdentifier" not in cluster["inputs"], region
            assert (
                cluster["inputs"]["masterUsername"]
                and cluster["inputs"]["manageMasterUserPassword"]
            )
            continue
        joined = cluster["inputs"]["globalClusterIdentifier"]
        assert not known(joined) or joined == "meridian-prod-aurora", region
        if region == PRIMARY:
            assert cluster["inputs"]["masterUsername"], "the primary creates the database"
            assert "masterPassword" not in cluster["inputs"], "never a password in state"
        else:
            assert "masterUsername" not in cluster["inputs"]
            assert "masterPasswordWo" not in cluster["inputs"]


def test_at_least_two_instances_across_azs_in_every_region(
    prod_up: dict[str, dict[str, Any]],
) -> None:
    for region, plan in regional(prod_up).items():
        instances = states(plan, INSTANCE)
        assert len(instances) >= 2, region
        assert len({i["inputs"]["availabilityZone"] for i in instances}) >= 2, region
    assert len(states(prod_up[f"prod-{PRIMARY}"], INSTANCE)) == 4  # writer + 3 readers


def test_clusters_are_encrypted_protected_and_recoverable(
    prod: dict[str, dict[str, Any]],
) -> None:
    for cluster in every(prod, CLUSTER):
        i = cluster["inputs"]
        assert i["storageEncrypted"] is True and i["kmsKeyId"]
        assert i["deletionProtection"] is True
        assert i["iamDatabaseAuthenticationEnabled"] is True
        assert i["backupRetentionPeriod"] == 35
        assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"]
        assert i["enabledCloudwatchLogsExports"] == ["postgresql"]
        assert cluster["protect"] is True
        assert i["engineVersion"] == "17.7"


def test_failover_fields_are_ignored_exactly(prod: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod).items():
        (cluster,) = states(plan, CLUSTER)
        expected = (
            PRIMARY_IGNORED
            if region == PRIMARY
            else SECONDARY_IGNORED
            if region in SHARED
            else ("engineVersion",)
        )
        assert sorted(cluster["ignoreChanges"]) == sorted(expected), region
    assert every(prod, GLOBAL)[0]["ignoreChanges"] == ["engineVersion"]


def test_tls_is_forced_by_the_parameter_group_and_the_proxy(
    prod: dict[str, dict[str, Any]],
) -> None:
    for plan in regional(prod).values():
        (group,) = states(plan, PARAMS)
        params = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
        assert params["rds.force_ssl"] == "1"
        (cluster,) = states(plan, CLUSTER)
        assert cluster["inputs"]["dbClusterParameterGroupName"] in (
            group["inputs"]["name"],
            UNKNOWN,
        )
    proxies = every(prod, PROXY)  # a pool in every region's cluster
    where = {p["urn"].split("::")[0].removeprefix("urn:pulumi:prod-") for p in proxies}
    assert where == set(PROD_REGIONS)
    for proxy in proxies:
        assert proxy["inputs"]["requireTls"] is True
        region = proxy["urn"].split("::")[0].removeprefix("urn:pulumi:prod-")
        if region in SHARED and region != PRIMARY:
            # no master secret in a secondary's region: end-to-end IAM authentication
            assert proxy["inputs"]["defaultAuthScheme"] == "IAM_AUTH"
            assert not proxy["inputs"].get("auths")
        else:
            assert [a["iamAuth"] for a in proxy["inputs"]["auths"]] == ["REQUIRED"]


PROXY_ENDPOINT = "aws:rds/proxyEndpoint:ProxyEndpoint"


def test_secondaries_serve_reads_through_their_proxy(prod_up: dict[str, dict[str, Any]]) -> None:
    """A secondary cluster has no writer: its proxy's default endpoint fails every request, so
    clients read through a READ_ONLY endpoint (Aurora User Guide, "Using RDS Proxy with Aurora
    global databases"); the proxy connects as each client's database user with IAM, so its role
    may connect as exactly the users the access table names for Aurora, on its own cluster."""
    users = set(store_access()["aurora"])
    for region in SHARED[1:]:
        plan = prod_up[f"prod-{region}"]
        (endpoint,) = states(plan, PROXY_ENDPOINT)
        assert endpoint["inputs"]["targetRole"] == "READ_ONLY"
        assert endpoint["inputs"]["vpcSecurityGroupIds"]
        connects = [
            json.loads(p["inputs"]["policy"])["Statement"]
            for p in states(plan, "aws:iam/rolePolicy:RolePolicy")
            if "-proxy-connect-" in name_of(p)
        ]
        (cluster,) = states(plan, CLUSTER)
        resource_id = cluster["outputs"].get("clusterResourceId")
        granted = set()
        for statements in connects:
            (st,) = statements
            assert st["Action"] == ["rds-db:connect"] or st["Action"] == "rds-db:connect"
            (arn,) = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
            assert arn.startswith(f"arn:aws:rds-db:{region}:") and ":dbuser:" in arn
            if resource_id:
                assert f":dbuser:{resource_id}/" in arn
            granted.add(arn.rsplit("/", 1)[-1])
        assert granted == users, region
    for region in [PRIMARY, *(r for r in PROD_REGIONS if r not in SHARED)]:
        assert not states(prod_up[f"prod-{region}"], PROXY_ENDPOINT), region


# --- the global primary's master secret: protected, rotated in the VPC ---------------------------

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SAR_STACK = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"


CREDENTIALS = {"aurora-master": "aurora-rotation", "cdc-credentials": "cdc-rotation"}
"""The database logins the primary keeps in Secrets Manager, each with the prefix of its
rotation: the global database's master user and the CDC connector's login
(components/streaming/cdc.py, which runs in the primary only)."""


def test_the_master_secret_rotates_inside_the_vpc(prod: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod).items():
        if region != PRIMARY:  # secondaries own no secret; standalone clusters let RDS rotate
            assert not states(plan, SECRET) and not states(plan, ROTATION), region
            continue
        assert sorted(name_of(s) for s in states(plan, SECRET)) == sorted(CREDENTIALS)
        assert sorted(name_of(r) for r in states(plan, ROTATION)) == sorted(
            f"{prefix}-schedule" for prefix in CREDENTIALS.values()
        )
        urns = by_urn(plan)
        secret = one(plan, SECRET, "aurora-master")
        assert secret["protect"] is True and secret["inputs"]["recoveryWindowInDays"] == 30
        version = one(plan, SECRET_VERSION, "aurora-master-value")
        assert version["inputs"]["versionStages"] == ["AWSCURRENT", TRACKED_STAGE]
        assert sorted(version["ignoreChanges"]) == sorted(SECRET_VERSION_IGNORED)
        # the first rotation test reaches the writer: the master's schedule waits for the
        # instances (the CDC login's first rotation fails until operations create its role,
        # README "Known limits")
        rotation = one(plan, ROTATION, "aurora-rotation-schedule")
        waits_for = {urns[d]["type"] for d in rotation["dependencies"]}
        assert {SECRET_VERSION, INSTANCE} <= waits_for
        for name, prefix in CREDENTIALS.items():
            _rotates_inside_the_vpc(plan, region, name, prefix)


def _rotates_inside_the_vpc(plan: dict[str, Any], region: str, name: str, prefix: str) -> None:
    """One credential of the primary: protected, rotated every 30 days by AWS's template in the
    data subnets, out only to the database and the endpoints, failures to the P3 topic."""
    urns = by_urn(plan)
    secret = one(plan, SECRET, name)
    assert secret["protect"] is True and secret["inputs"]["recoveryWindowInDays"] == 30
    version = one(plan, SECRET_VERSION, f"{name}-value")
    assert secret["urn"] in version["dependencies"]
    rotation = one(plan, ROTATION, f"{prefix}-schedule")
    assert secret["urn"] in rotation["propertyDependencies"]["secretId"]
    assert version["urn"] in rotation["dependencies"]
    assert rotation["inputs"]["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation["inputs"]["rotateImmediately"] is False
    function = one(plan, SAR_STACK, f"{prefix}-function")
    assert function["urn"] in rotation["propertyDependencies"]["rotationLambdaArn"]

    i = function["inputs"]
    assert i["applicationId"] == (
        "arn:aws:serverlessrepo:us-east-1:297356227824:applications/" + AURORA_ROTATION_APPLICATION
    )
    assert i["semanticVersion"] == AURORA_ROTATION_VERSIONS["aws"]
    assert sorted(i["capabilities"]) == ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]
    params = i["parameters"]
    assert params["endpoint"] == f"https://secretsmanager.{region}.amazonaws.com"
    assert ":kms:" in params["kmsKeyArn"] or not known(params["kmsKeyArn"])
    deps = function["propertyDependencies"]["parameters"]
    (group,) = [urns[d] for d in deps if urns[d]["type"] == SG]
    assert name_of(group) == f"{prefix}-sg"
    subnets = {name_of(urns[d]) for d in deps if urns[d]["type"] == SUBNET}
    assert subnets and all(n.startswith("network-data-") for n in subnets), subnets

    # out only to the database's port and the endpoints; the database admits it
    egress = [r["inputs"] for r in states(plan, EGRESS) if name_of(r).startswith(f"{prefix}-")]
    assert sorted((e["fromPort"], e["toPort"]) for e in egress) == [(443, 443), (5432, 5432)]
    assert all("cidrIpv4" not in e for e in egress)
    ingress = one(plan, INGRESS, f"{prefix}-db-from-rotation")
    assert ingress["inputs"]["fromPort"] == 5432

    # the function's log group exists first, encrypted and retained (else Lambda makes one)
    log_group = one(plan, LOG_GROUP, f"{prefix}-logs")
    assert log_group["inputs"]["name"] == f"/aws/lambda/{params['functionName']}"
    assert log_group["inputs"]["kmsKeyId"] and log_group["inputs"]["retentionInDays"]
    assert log_group["urn"] in function["dependencies"]

    rule = one(plan, EVENT_RULE, f"{prefix}-failures")["inputs"]
    assert json.loads(rule["eventPattern"])["detail"]["eventName"] == [
        "RotationFailed",
        "RotationAbandoned",
    ]
    target = one(plan, EVENT_TARGET, f"{prefix}-failures-target")
    p3 = one(plan, TOPIC, "alerts-p3")
    assert p3["urn"] in target["propertyDependencies"]["arn"]


def test_instances_are_private_monitored_and_insightful(prod: dict[str, dict[str, Any]]) -> None:
    for instance in every(prod, INSTANCE):
        i = instance["inputs"]
        assert i["publiclyAccessible"] is False
        assert i["performanceInsightsEnabled"] is True and i["performanceInsightsKmsKeyId"]
        assert i["monitoringInterval"] == 30 and i["monitoringRoleArn"]
        # engine security fixes arrive in the maintenance window (rds-auto-minor-version-upgrade)
        assert i["autoMinorVersionUpgrade"] is True


# --- Cassandra -----------------------------------------------------------------------------------


def test_one_multi_region_keyspace_with_the_architecture_tables(
    prod: dict[str, dict[str, Any]],
) -> None:
    keyspaces = every(prod, KEYSPACE)
    (keyspace,) = [
        k
        for k in keyspaces
        if k["inputs"]["replicationSpecification"]["replicationStrategy"] == "MULTI_REGION"
    ]
    assert keyspace["urn"].startswith(f"urn:pulumi:prod-{PRIMARY}::")
    spec = keyspace["inputs"]["replicationSpecification"]
    assert spec["regionLists"] == list(SHARED)
    owners = {k["urn"].split("::")[0].removeprefix("urn:pulumi:prod-") for k in keyspaces}
    assert owners == {PRIMARY} | (set(PROD_REGIONS) - set(SHARED))  # single-region elsewhere
    assert all(k["protect"] is True for k in keyspaces)
    name, tables = cassandra_tables()
    planned_tables = {
        t["inputs"]["tableName"]: t for t in states(prod[f"prod-{PRIMARY}"], KS_TABLE)
    }
    assert set(planned_tables) == {t.name for t in tables}
    for table in tables:
        state = planned_tables[table.name]
        i = state["inputs"]
        assert state["protect"] is True
        # multi-Region tables: Keyspaces offers only its AWS-owned key (components/data/keyspaces)
        assert i["encryptionSpecification"] == {"type": "AWS_OWNED_KMS_KEY"}
        assert i["pointInTimeRecovery"]["status"] == "ENABLED"
        assert i["defaultTimeToLive"] == table.ttl_seconds and i["ttl"]["status"] == "ENABLED"
        assert i["schemaDefinition"]["clusteringKeys"][0] == {
            "name": "created_at",
            "orderBy": "DESC",
        }
    for feed in ("activity_feed", "messages"):
        keys = planned_tables[feed]["inputs"]["schemaDefinition"]["partitionKeys"]
        assert keys == [{"name": "user_id"}]
    assert name == "meridian"


# --- caches --------------------------------------------------------------------------------------


REGIONAL_CACHE = ("meridian:data:Cache", "cache-group")
"""The region's shared cache (components/data/cache.py), the one the global datastore joins."""
RATE_LIMIT_STORE = ("meridian:mesh:GlobalRateLimit", "rate-limit-store")
"""The rate-limit service's counters (components/mesh/rate_limit.py): a small replication group
of its own per region, cluster mode off, never in the global datastore (counters are per region
and a datastore secondary is read-only)."""
PROD_RATE_LIMIT_STORE_NODES = 3
"""prod's `meridian:rateLimit.storeReplicas` 2 (stacks/rate_limit_settings.py) plus the primary."""


def _owned_by(cache: dict[str, Any]) -> tuple[str, str]:
    """The component type and logical name of a replication group, from its URN."""
    parent_type = cache["urn"].split("::")[-2].split("$")[-2]
    return parent_type, name_of(cache)


def test_a_cache_per_region_and_one_global_datastore(prod: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod).items():
        owners = sorted(_owned_by(c) for c in states(plan, CACHE))
        assert owners == sorted([REGIONAL_CACHE, RATE_LIMIT_STORE]), region
    assert len(every(prod, CACHE)) == 2 * len(PROD_REGIONS)
    (datastore,) = every(prod, DATASTORE)
    assert datastore["urn"].startswith(f"urn:pulumi:prod-{PRIMARY}::")
    assert datastore["protect"] is True
    members = [
        r
        for r, plan in regional(prod).items()
        if "globalReplicationGroupId" in one(plan, CACHE, REGIONAL_CACHE[1])["inputs"]
    ]
    assert sorted(members) == ["eu-west-1", "us-west-2"]


def test_caches_are_encrypted_authenticated_and_highly_available(
    prod: dict[str, dict[str, Any]],
) -> None:
    for cache in every(prod, CACHE):
        i = cache["inputs"]
        assert i["atRestEncryptionEnabled"] is True and i["kmsKeyId"]
        assert i["transitEncryptionEnabled"] is True
        assert i["automaticFailoverEnabled"] is True and i["multiAzEnabled"] is True
        assert i["userGroupIds"] and i["snapshotRetentionLimit"] >= 1
        assert i["finalSnapshotIdentifier"]
        assert cache["protect"] is True
        if _owned_by(cache) == RATE_LIMIT_STORE:
            assert "globalReplicationGroupId" not in i
            assert i["transitEncryptionMode"] == "required"
            assert i.get("clusterMode", "disabled") == "disabled"
            assert "numNodeGroups" not in i and "replicasPerNodeGroup" not in i
            assert i["numCacheClusters"] == PROD_RATE_LIMIT_STORE_NODES
            continue
        assert _owned_by(cache) == REGIONAL_CACHE
        if "globalReplicationGroupId" not in i:
            assert i["transitEncryptionMode"] == "required"
            assert i["clusterMode"] == "enabled" and i["numNodeGroups"] == 3
            assert i["replicasPerNodeGroup"] == 2


# --- DynamoDB ------------------------------------------------------------------------------------


def test_global_tables_owned_by_the_primary_replicated_everywhere(
    prod: dict[str, dict[str, Any]],
) -> None:
    specs = dynamodb_tables()
    tables = every(prod, TABLE)
    assert {t["inputs"]["name"] for t in tables} == {f"meridian-prod-{s.name}" for s in specs}
    owners = {t["urn"].split("::")[0].removeprefix("urn:pulumi:prod-") for t in tables}
    assert owners == {PRIMARY} | (set(PROD_REGIONS) - set(SHARED))
    for table in tables:
        i = table["inputs"]
        assert (
            i["serverSideEncryption"]["enabled"] is True and i["serverSideEncryption"]["kmsKeyArn"]
        )
        assert i["pointInTimeRecovery"]["enabled"] is True
        assert i["deletionProtectionEnabled"] is True and i["streamEnabled"] is True
        assert table["protect"] is True and table["ignoreChanges"] == ["replicas"]
    replicas = every(prod, REPLICA)
    assert len(replicas) == len(specs) * (len(SHARED) - 1)
    for replica in replicas:
        i = replica["inputs"]
        assert i["pointInTimeRecovery"] is True and i["deletionProtectionEnabled"] is True
        assert i["kmsKeyArn"] and replica["protect"] is True


def test_replicas_use_their_own_regions_key(prod_up: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod_up).items():
        for replica in states(plan, REPLICA):
            assert f":kms:{region}:" in replica["inputs"]["kmsKeyArn"]
            assert f":dynamodb:{PRIMARY}:" in replica["inputs"]["globalTableArn"]


# --- backups -------------------------------------------------------------------------------------


def test_a_locked_vault_and_a_copying_plan_per_region(prod_up: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod_up).items():
        copy_to = plan["outputs"][RegionalKey.DR_SUMMARY]["backups"]["copyTo"]
        vaults = states(plan, VAULT)
        assert len([v for v in vaults if not v["inputs"].get("region")]) == 1  # its own
        # a peer outside the environment's regions gets its vault (and lock) from this stack
        owned = [v for v in vaults if v["inputs"].get("region")]
        assert [v["inputs"]["region"] for v in owned] in ([], [copy_to])
        for v in vaults:
            assert v["protect"] is True and ":kms:" in v["inputs"]["kmsKeyArn"]
        assert len(states(plan, LOCK)) == len(vaults)
        (backup_plan,) = states(plan, PLAN)
        (rule,) = backup_plan["inputs"]["rules"]
        # 7 days hot, warm until day 30, cold until day 365 (meridian:retention.backups)
        assert rule["lifecycle"] == {"coldStorageAfter": 30, "deleteAfter": 365}
        if copy_to is None:  # no region the residency table allows: drSummary says why
            assert not rule.get("copyActions"), region
            continue
        (copy,) = rule["copyActions"]
        destination = copy["destinationVaultArn"]
        assert f":backup:{region}:" not in destination, region
        assert len(states(plan, RESTORE_PLAN)) == 1
        selection = states(plan, "aws:backup/selection:Selection")[0]["inputs"]
        assert any(":rds:" in arn for arn in selection["resources"])
        assert any(":dynamodb:" in arn for arn in selection["resources"])
        assert selection["selectionTags"][0]["key"] == "meridian.io/backup"  # EBS volumes


# --- access: security groups and grants ----------------------------------------------------------


def _sg_rules(plan: dict[str, Any], group_name: str) -> list[dict[str, Any]]:
    return [
        s
        for s in states(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if name_of(s).startswith(group_name)
    ]


def test_data_ports_admit_only_the_eks_nodes(prod_up: dict[str, dict[str, Any]]) -> None:
    for plan in regional(prod_up).values():
        node_sgs = {
            s["id"]
            for s in states(plan, "aws:ec2/securityGroup:SecurityGroup")
            if name_of(s) == "eks-node-sg"  # EksCluster.node_security_group_id (pods share it)
        }
        for group, port in (("aurora-sg-from", 5432), ("cache-sg-from", 6379)):
            rules = _sg_rules(plan, group)
            assert rules, group
            for rule in rules:
                i = rule["inputs"]
                assert (i["fromPort"], i["toPort"], i["ipProtocol"]) == (port, port, "tcp")
                assert "cidrIpv4" not in i and "cidrIpv6" not in i, "no address ranges"
                assert i["referencedSecurityGroupId"] in node_sgs, name_of(rule)


def test_tenants_get_exactly_the_stores_config_names(prod_up: dict[str, dict[str, Any]]) -> None:
    plan = prod_up[f"prod-{PRIMARY}"]
    policies = {name_of(s): s for s in states(plan, "aws:iam/rolePolicy:RolePolicy")}
    granted = {n for n in policies if n.endswith(("-aurora-connect", "-cache-connect"))}
    granted |= {n for n in policies if "-dynamodb-" in n or n.endswith("-cassandra-read-write")}
    expected = {
        f"tenants-{s}-aurora-connect"
        for s in ("user", "auth", "content", "payment", "geo", "order")
    }
    expected |= {
        f"tenants-{s}-cache-connect"
        for s in ("user", "auth", "notification", "messaging", "geo", "recommendation", "order")
    }
    # messaging: messages and activity feeds; user: the audit log it writes from audit-log
    expected |= {f"tenants-{s}-cassandra-read-write" for s in ("messaging", "user")}
    expected |= {f"tenants-{s}-dynamodb-sessions" for s in ("auth", "user")}
    expected |= {f"tenants-{s}-dynamodb-idempotency-keys" for s in ("payment", "order")}
    assert granted == expected
    doc = policies["tenants-order-aurora-connect"]["inputs"]["policy"]
    assert '"rds-db:connect"' in doc and "dbuser:cluster-" in doc and "/order" in doc
    assert '"Resource": "*"' not in doc


# --- every stateful resource protected -----------------------------------------------------------

DATA_STATEFUL = {
    CLUSTER: "deletion protection + final snapshot",
    GLOBAL: "deletion protection",
    KEYSPACE: "PITR on its tables",
    KS_TABLE: "PITR",
    CACHE: "snapshots + final snapshot",
    DATASTORE: "members' snapshots",
    TABLE: "PITR + deletion protection",
    REPLICA: "PITR + deletion protection",
    VAULT: "vault lock",
    LOCK: "immutable after the grace period",
    "aws:kms/key:Key": "deletion window",
    "aws:secretsmanager/secret:Secret": "recovery window (the only copy of the master password)",
    "aws:s3/bucket:Bucket": "versioning",
    "aws:msk/cluster:Cluster": "replication",
    "kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster": "Medusa backups",
}
"""Types that hold data, with what else keeps it: each must also carry `protect`."""
STATELESS_IN_DATA_SERVICES = {
    INSTANCE: "compute of a cluster; storage is the cluster's",
    PARAMS: "configuration",
    PROXY: "connection pool",
    "aws:rds/subnetGroup:SubnetGroup": "placement",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": "configuration",
    "aws:rds/proxyTarget:ProxyTarget": "registration",
    "aws:rds/proxyEndpoint:ProxyEndpoint": "connection endpoint",
    "aws:elasticache/subnetGroup:SubnetGroup": "placement",
    "aws:elasticache/user:User": "identity (IAM auth, no secret)",
    "aws:elasticache/userGroup:UserGroup": "identity",
    PLAN: "schedule",
    "aws:backup/selection:Selection": "schedule",
    RESTORE_PLAN: "schedule",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "schedule",
    "aws:secretsmanager/secretVersion:SecretVersion": "its first value (rotation makes the rest)",
    "aws:secretsmanager/secretRotation:SecretRotation": "schedule",
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": "the rotation function",
}
DATA_SERVICES = (
    "aws:rds/",
    "aws:dynamodb/",
    "aws:keyspaces/",
    "aws:elasticache/",
    "aws:backup/",
    "aws:secretsmanager/",
    "aws:serverlessrepository/",
)


def test_every_data_type_is_classified(prod_up: dict[str, dict[str, Any]]) -> None:
    """A new type of the data services must be listed as stateful (and then be protected) or as
    stateless with the reason: this fails when one appears unclassified."""
    seen = {
        s["type"]
        for plan in prod_up.values()
        for s in states(plan)
        if s["type"].startswith(DATA_SERVICES) or "k8ssandra" in s["type"]
    }
    unclassified = seen - set(DATA_STATEFUL) - set(STATELESS_IN_DATA_SERVICES)
    assert not unclassified, f"classify these types in tests/test_data_stores.py: {unclassified}"


def test_every_stateful_data_resource_is_protected(prod: dict[str, dict[str, Any]]) -> None:
    unprotected = [
        s["urn"]
        for plan in prod.values()
        for s in states(plan)
        if s["type"] in DATA_STATEFUL and not s["protect"]
    ]
    assert not unprotected, unprotected


# --- providers and outputs -----------------------------------------------------------------------


def test_every_data_resource_uses_its_regions_provider(prod_up: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod_up).items():
        providers = {
            s["urn"]: s["inputs"].get("region")
            for s in states(plan)
            if s["type"] == "pulumi:providers:aws"
        }
        for s in states(plan):
            if s["type"].startswith(DATA_SERVICES):
                ref = s["provider"].rsplit("::", 1)[0] if s["provider"] else ""
                assert providers.get(ref) == region, (region, s["urn"])


def test_outputs_the_failover_runbook_reads(prod_up: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod_up).items():
        aurora = plan["outputs"][RegionalKey.AURORA]
        member = region in SHARED
        assert aurora["role"] == ("secondary" if member and region != PRIMARY else "primary")
        assert aurora["globalClusterIdentifier"] == ("meridian-prod-aurora" if member else None)
        assert aurora["clusterIdentifier"] == f"meridian-prod-{_code(region)}-aurora"
        assert aurora["clusterArn"].startswith(f"arn:aws:rds:{region}:")
        dr = plan["outputs"][RegionalKey.DR_SUMMARY]
        assert set(dr) >= {"postgres", "cassandra", "cache", "dynamodb", "kafka", "lake", "backups"}
        assert dr["postgres"]["rpoSeconds"] == 0 and dr["postgres"]["rtoSeconds"] == 30
        assert dr["postgres"]["crossRegionRpoSeconds"] == (1 if member else None)
        assert dr["postgres"]["role"] == (
            "primary" if region == PRIMARY else "secondary" if member else "standalone"
        )
        assert dr["cache"]["rtoSeconds"] == 10


def test_secondaries_read_only_the_primary(prod_up: dict[str, dict[str, Any]]) -> None:
    for region, plan in regional(prod_up).items():
        reads = set(plan.get("stackReads", {}))
        allowed = {"prod-global"} | ({f"prod-{PRIMARY}"} if region != PRIMARY else set())
        assert reads <= allowed, (region, reads)


def _code(region: str) -> str:
    from components.common.naming import region_code

    return region_code(region)
