"""Table cases for ``policies/encryption_data.py`` (and the shared encryption fixtures).

Props are the engine's camelCase inputs as pulumi-aws 7 / pulumi-cloudflare 6 send them (see the
``_internal_init`` of each SDK resource and its ``pulumi.input_type`` classes); ``UNKNOWN`` marks
a value that is unknown during preview (typically a KMS key ARN created in the same update).
"""

from __future__ import annotations

from typing import Any

from tests.policies.cases_common import UNKNOWN, PolicyCase

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MRK_ARN = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f4b2b5e-1c7e-4d8e-9f7a-6a1e3c2b9d10"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"
LB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/edge/50dc6c495c0c9188"
)
TAGS = {
    "owner": "platform",
    "cost-center": "cc-1234",
    "environment": "prod",
    "data-classification": "confidential",
    "managed-by": "pulumi",
    "stack": "prod-us-east-1",
}

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = (
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
)


def _bucket(name: str, bucket: str = "", **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"bucket": bucket or f"meridian-{name}", "tags": TAGS}
    props.update(extra)
    return {"type": BUCKET, "name": name, "props": props}


def _sse(
    name: str,
    bucket: str,
    *,
    algorithm: str = "aws:kms",
    key: str | None = KEY_ARN,
    bucket_key: bool | None = True,
    parent: str | None = None,
    type_: str = SSE,
) -> dict[str, Any]:
    by_default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key is not None:
        by_default["kmsMasterKeyId"] = key
    rule: dict[str, Any] = {"applyServerSideEncryptionByDefault": by_default}
    if bucket_key is not None:
        rule["bucketKeyEnabled"] = bucket_key
    entry: dict[str, Any] = {
        "type": type_,
        "name": name,
        "props": {"bucket": bucket, "rules": [rule]},
    }
    if parent is not None:
        entry["parent"] = parent
    return entry


def _stack(policy: str, stack: list[dict[str, Any]], violates: bool, note: str) -> PolicyCase:
    return PolicyCase(policy, "", {}, violates, stack=stack, note=note)


AURORA_CLUSTER: dict[str, Any] = {
    "clusterIdentifier": "meridian-prod-use1",
    "engine": "aurora-postgresql",
    "engineVersion": "16.4",
    "engineMode": "provisioned",
    "globalClusterIdentifier": "meridian-prod",
    "dbSubnetGroupName": "meridian-db",
    "vpcSecurityGroupIds": ["sg-0a1b2c3d4e5f67890"],
    "manageMasterUserPassword": True,
    "masterUsername": "meridian",
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY_ARN,
    "backupRetentionPeriod": 35,
    "deletionProtection": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "meridian-prod-use1-final",
    "tags": TAGS,
}

RDS_INSTANCE: dict[str, Any] = {
    "identifier": "meridian-reporting",
    "engine": "postgres",
    "engineVersion": "16.4",
    "instanceClass": "db.r6g.large",
    "allocatedStorage": 100,
    "dbSubnetGroupName": "meridian-db",
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "tags": TAGS,
}

MSK_CLUSTER: dict[str, Any] = {
    "clusterName": "meridian-events",
    "kafkaVersion": "3.6.0",
    "numberOfBrokerNodes": 3,
    "brokerNodeGroupInfo": {
        "instanceType": "kafka.m7g.large",
        "clientSubnets": ["subnet-0a", "subnet-0b", "subnet-0c"],
        "securityGroups": ["sg-0a1b2c3d4e5f67890"],
        "storageInfo": {"ebsStorageInfo": {"volumeSize": 1000}},
    },
    "encryptionInfo": {
        "encryptionAtRestKmsKeyArn": KEY_ARN,
        "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
    },
    "clientAuthentication": {"sasl": {"iam": True}},
    "configurationInfo": {
        "arn": "arn:aws:kafka:us-east-1:123456789012:configuration/meridian/abc",
        "revision": 1,
    },
    "tags": TAGS,
}

REPLICATION_GROUP: dict[str, Any] = {
    "replicationGroupId": "meridian-sessions",
    "description": "session cache",
    "engine": "valkey",
    "engineVersion": "7.2",
    "nodeType": "cache.r7g.large",
    "numNodeGroups": 1,
    "replicasPerNodeGroup": 2,
    "automaticFailoverEnabled": True,
    "multiAzEnabled": True,
    "atRestEncryptionEnabled": True,
    "transitEncryptionEnabled": True,
    "kmsKeyId": KEY_ARN,
    "snapshotRetentionLimit": 7,
    "finalSnapshotIdentifier": "meridian-sessions-final",
    "subnetGroupName": "meridian-cache",
    "tags": TAGS,
}

DISTRIBUTION: dict[str, Any] = {
    "enabled": True,
    "aliases": ["www.meridian.example"],
    "httpVersion": "http2and3",
    "origins": [
        {
            "originId": "alb",
            "domainName": "edge-123.us-east-1.elb.amazonaws.com",
            "customOriginConfig": {
                "httpPort": 80,
                "httpsPort": 443,
                "originProtocolPolicy": "https-only",
                "originSslProtocols": ["TLSv1.2"],
            },
        },
        {
            "originId": "static",
            "domainName": "meridian-static.s3.us-east-1.amazonaws.com",
            "originAccessControlId": "E2QWRUHAPOMQZL",
        },
    ],
    "defaultCacheBehavior": {
        "targetOriginId": "alb",
        "allowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        "cachedMethods": ["GET", "HEAD"],
        "viewerProtocolPolicy": "redirect-to-https",
        "cachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    },
    "orderedCacheBehaviors": [
        {
            "pathPattern": "/static/*",
            "targetOriginId": "static",
            "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"],
            "viewerProtocolPolicy": "https-only",
        }
    ],
    "restrictions": {"geoRestriction": {"restrictionType": "none"}},
    "viewerCertificate": {
        "acmCertificateArn": CERT_ARN,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    },
    "webAclId": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/meridian/abc",
    "tags": TAGS,
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _distribution(**changes: Any) -> dict[str, Any]:
    return _with(DISTRIBUTION, **changes)


def _keyspace(strategy: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicationStrategy": strategy}
    if strategy == "MULTI_REGION":
        spec["regionLists"] = ["us-east-1", "eu-west-1"]
    return {
        "type": "aws:keyspaces/keyspace:Keyspace",
        "name": "keyspace",
        "props": {"name": "meridian", "replicationSpecification": spec},
    }


def _keyspaces_table(*, cmk: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "keyspaceName": "meridian",
        "tableName": "events",
        "schemaDefinition": {
            "columns": [{"name": "id", "type": "uuid"}],
            "partitionKeys": [{"name": "id"}],
        },
        "pointInTimeRecovery": {"status": "ENABLED"},
    }
    if cmk:
        props["encryptionSpecification"] = {
            "type": "CUSTOMER_MANAGED_KMS_KEY",
            "kmsKeyIdentifier": KEY_ARN,
        }
    return {"type": "aws:keyspaces/table:Table", "name": "events", "props": props}


CASES: list[PolicyCase] = [
    # --- s3-bucket-sse-kms-cmk (stack) --------------------------------------------------------
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", "meridian-data")],
        False,
        "cmk-matched-by-bucket-name",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", UNKNOWN, parent="data")],
        False,
        "bucket-unknown-matched-by-parent",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [
            _bucket("data", bucket=UNKNOWN),
            dict(_sse("data-sse", UNKNOWN, key=UNKNOWN), propertyDependencies={"bucket": ["data"]}),
            _bucket("logs", bucket=UNKNOWN),
            dict(_sse("logs-sse", UNKNOWN), propertyDependencies={"bucket": ["logs"]}),
        ],
        False,
        "preview-matched-by-property-dependencies",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [
            _bucket("data", bucket=UNKNOWN),
            dict(_sse("data-sse", UNKNOWN), propertyDependencies={"bucket": ["data"]}),
            _bucket("logs", bucket=UNKNOWN),
        ],
        True,
        "preview-second-bucket-without-config",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", "meridian-data", key=UNKNOWN)],
        False,
        "key-unknown-in-preview",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", UNKNOWN)],
        False,
        "unmatched-config-with-unknown-bucket-is-not-a-violation",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data", bucket=UNKNOWN), _sse("data-sse", UNKNOWN, parent="data", type_=SSE_V2)],
        False,
        "legacy-v2-type",
    ),
    _stack("s3-bucket-sse-kms-cmk", [_bucket("data")], True, "bucket-without-config"),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [
            _bucket("data"),
            _bucket("logs"),
            _sse("data-sse", "meridian-data"),
        ],
        True,
        "second-bucket-without-config",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", "meridian-data", algorithm="AES256", key=None)],
        True,
        "sse-s3",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", "meridian-data", key="alias/aws/s3")],
        True,
        "aws-managed-key",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", "meridian-data", bucket_key=False)],
        True,
        "bucket-key-disabled",
    ),
    _stack(
        "s3-bucket-sse-kms-cmk",
        [_bucket("data"), _sse("data-sse", UNKNOWN, parent="data", key=UNKNOWN, bucket_key=None)],
        True,
        "bucket-key-missing-while-key-unknown",
    ),
    # --- rds-storage-encrypted-cmk -------------------------------------------------------------
    PolicyCase("rds-storage-encrypted-cmk", "aws:rds/cluster:Cluster", AURORA_CLUSTER, False),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, kmsKeyId=UNKNOWN),
        False,
        note="kms-key-unknown-in-preview",
    ),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, storageEncrypted=None, kmsKeyId=None),
        True,
        note="unencrypted",
    ),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, storageEncrypted=False, kmsKeyId=UNKNOWN),
        True,
        note="unencrypted-reported-before-unknown-key",
    ),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, kmsKeyId="alias/aws/rds"),
        True,
        note="aws-managed-key",
    ),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/instance:Instance",
        _with(RDS_INSTANCE, kmsKeyId=None),
        True,
        note="instance-without-cmk",
    ),
    PolicyCase("rds-storage-encrypted-cmk", "aws:rds/instance:Instance", RDS_INSTANCE, False),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/globalCluster:GlobalCluster",
        {
            "globalClusterIdentifier": "meridian-prod",
            "engine": "aurora-postgresql",
            "engineVersion": "16.4",
            "storageEncrypted": True,
            "deletionProtection": True,
        },
        False,
        note="global-cluster",
    ),
    PolicyCase(
        "rds-storage-encrypted-cmk",
        "aws:rds/globalCluster:GlobalCluster",
        {"globalClusterIdentifier": "meridian-prod", "engine": "aurora-postgresql"},
        True,
        note="global-cluster-unencrypted",
    ),
    # --- rds-performance-insights-cmk ----------------------------------------------------------
    PolicyCase(
        "rds-performance-insights-cmk",
        "aws:rds/clusterInstance:ClusterInstance",
        {
            "identifier": "meridian-prod-use1-1",
            "clusterIdentifier": "meridian-prod-use1",
            "engine": "aurora-postgresql",
            "instanceClass": "db.r7g.xlarge",
            "performanceInsightsEnabled": True,
            "performanceInsightsKmsKeyId": KEY_ARN,
        },
        False,
    ),
    PolicyCase(
        "rds-performance-insights-cmk",
        "aws:rds/clusterInstance:ClusterInstance",
        {
            "identifier": "meridian-prod-use1-1",
            "clusterIdentifier": "meridian-prod-use1",
            "engine": "aurora-postgresql",
            "instanceClass": "db.r7g.xlarge",
            "performanceInsightsEnabled": True,
        },
        True,
        note="cluster-instance-without-key",
    ),
    PolicyCase(
        "rds-performance-insights-cmk",
        "aws:rds/cluster:Cluster",
        _with(AURORA_CLUSTER, performanceInsightsKmsKeyId="alias/aws/rds"),
        True,
        note="cluster-aws-managed-key",
    ),
    PolicyCase(
        "rds-performance-insights-cmk",
        "aws:rds/instance:Instance",
        RDS_INSTANCE,
        False,
        note="performance-insights-off",
    ),
    # --- msk-encryption ------------------------------------------------------------------------
    PolicyCase("msk-encryption", "aws:msk/cluster:Cluster", MSK_CLUSTER, False),
    PolicyCase(
        "msk-encryption",
        "aws:msk/cluster:Cluster",
        _with(
            MSK_CLUSTER,
            encryptionInfo={
                "encryptionAtRestKmsKeyArn": KEY_ARN,
                "encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT", "inCluster": True},
            },
        ),
        True,
        note="plaintext-clients",
    ),
    PolicyCase(
        "msk-encryption",
        "aws:msk/cluster:Cluster",
        _with(MSK_CLUSTER, encryptionInfo=None),
        True,
        note="aws-managed-at-rest-key",
    ),
    # --- keyspaces-table-cmk -------------------------------------------------------------------
    PolicyCase(
        "keyspaces-table-cmk",
        "",
        {},
        False,
        stack=[_keyspace("SINGLE_REGION"), _keyspaces_table(cmk=True)],
        note="single-region-cmk",
    ),
    PolicyCase(
        "keyspaces-table-cmk",
        "",
        {},
        True,
        stack=[_keyspace("SINGLE_REGION"), _keyspaces_table(cmk=False)],
        note="single-region-aws-owned-key",
    ),
    PolicyCase(
        "keyspaces-table-cmk",
        "",
        {},
        True,
        stack=[_keyspaces_table(cmk=False)],
        note="aws-owned-key-keyspace-elsewhere",
    ),
    PolicyCase(
        "keyspaces-table-cmk",
        "",
        {},
        False,
        stack=[_keyspace("MULTI_REGION"), _keyspaces_table(cmk=False)],
        note="multi-region-aws-owned-key",
    ),
    # --- elasticache-encryption ----------------------------------------------------------------
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        REPLICATION_GROUP,
        False,
    ),
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        _with(REPLICATION_GROUP, transitEncryptionEnabled=False, kmsKeyId=None),
        True,
        note="replication-group-plaintext",
    ),
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/serverlessCache:ServerlessCache",
        {"engine": "valkey", "name": "meridian-flags", "subnetIds": ["subnet-0a"]},
        True,
        note="serverless-without-cmk",
    ),
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/serverlessCache:ServerlessCache",
        {"engine": "valkey", "name": "meridian-flags", "kmsKeyId": KEY_ARN},
        False,
        note="serverless-cmk",
    ),
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/cluster:Cluster",
        {"clusterId": "meridian-mc", "engine": "memcached", "nodeType": "cache.t4g.small"},
        True,
        note="memcached",
    ),
    PolicyCase(
        "elasticache-encryption",
        "aws:elasticache/cluster:Cluster",
        {"clusterId": "meridian-sessions-003", "replicationGroupId": "meridian-sessions"},
        False,
        note="member-of-replication-group",
    ),
    # --- dynamodb-sse-cmk ----------------------------------------------------------------------
    PolicyCase(
        "dynamodb-sse-cmk",
        "aws:dynamodb/table:Table",
        {
            "name": "meridian-idempotency",
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "pk",
            "attributes": [{"name": "pk", "type": "S"}],
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
        },
        False,
    ),
    PolicyCase(
        "dynamodb-sse-cmk",
        "aws:dynamodb/table:Table",
        {
            "name": "meridian-idempotency",
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "pk",
            "attributes": [{"name": "pk", "type": "S"}],
        },
        True,
        note="aws-owned-key",
    ),
    PolicyCase(
        "dynamodb-sse-cmk",
        "aws:dynamodb/table:Table",
        {"name": "t", "hashKey": "pk", "serverSideEncryption": {"enabled": True}},
        True,
        note="aws-managed-key",
    ),
    # --- ebs-encryption-cmk --------------------------------------------------------------------
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ebs/volume:Volume",
        {
            "availabilityZone": "us-east-1a",
            "size": 100,
            "type": "gp3",
            "encrypted": True,
            "kmsKeyId": KEY_ARN,
        },
        False,
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ebs/volume:Volume",
        {"availabilityZone": "us-east-1a", "size": 100, "type": "gp3"},
        True,
        note="volume-unencrypted",
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {
            "namePrefix": "meridian-nodes-",
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {
                        "volumeSize": 100,
                        "volumeType": "gp3",
                        "encrypted": "true",
                        "kmsKeyId": KEY_ARN,
                        "deleteOnTermination": "true",
                    },
                }
            ],
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        },
        False,
        note="launch-template",
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {
            "namePrefix": "meridian-nodes-",
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "encrypted": "false"}}
            ],
        },
        True,
        note="launch-template-unencrypted",
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        {"enabled": False},
        True,
        note="encryption-by-default-off",
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        {"enabled": True},
        False,
        note="encryption-by-default-on",
    ),
]

# --- EBS on Karpenter nodes and declared root volumes ----------------------------------------
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ROOT_XVDA: dict[str, Any] = {
    "deviceName": "/dev/xvda",
    "ebs": {"volumeSize": 100, "volumeType": "gp3", "encrypted": "true", "kmsKeyId": KEY_ARN},
}
DATA_XVDB: dict[str, Any] = {
    "deviceName": "/dev/xvdb",
    "ebs": {"volumeSize": 200, "volumeType": "gp3", "encrypted": "true", "kmsKeyId": KEY_ARN},
}


def _node_class(*mappings: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "role": "meridian-node",
        "amiSelectorTerms": [{"alias": "al2023@latest"}],
    }
    if mappings:
        spec["blockDeviceMappings"] = list(mappings)
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "general"},
        "spec": spec,
    }


NODE_CLASS_ROOT: dict[str, Any] = {
    "deviceName": "/dev/xvda",
    "rootVolume": True,
    "ebs": {"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": KEY_ARN},
}

CASES += [
    PolicyCase(
        "ebs-encryption-cmk", NODE_CLASS, _node_class(NODE_CLASS_ROOT), False, note="node-class"
    ),
    PolicyCase(
        "ebs-encryption-cmk",
        NODE_CLASS,
        _node_class({**NODE_CLASS_ROOT, "ebs": {"volumeSize": "100Gi", "encrypted": True}}),
        True,
        note="node-class-aws-managed-key",
    ),
    PolicyCase(
        "root-volume-declared",
        LAUNCH_TEMPLATE,
        {"imageId": "ami-1", "blockDeviceMappings": [ROOT_XVDA]},
        False,
        note="template-root",
    ),
    PolicyCase(
        "root-volume-declared",
        LAUNCH_TEMPLATE,
        {"imageId": "ami-1"},
        True,
        note="template-no-mappings",
    ),
    PolicyCase(
        "root-volume-declared",
        LAUNCH_TEMPLATE,
        {"imageId": "ami-1", "blockDeviceMappings": [DATA_XVDB]},
        True,
        note="template-only-data-volume",
    ),
    PolicyCase(
        "root-volume-declared",
        LAUNCH_TEMPLATE,
        {"imageId": "ami-1", "blockDeviceMappings": [{"deviceName": "/dev/xvda", "noDevice": ""}]},
        True,
        note="root-mapping-without-ebs",
    ),
    PolicyCase(
        "root-volume-declared",
        INSTANCE,
        {"ami": "ami-1", "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY_ARN}},
        False,
        note="instance-root",
    ),
    PolicyCase("root-volume-declared", INSTANCE, {"ami": "ami-1"}, True, note="instance-none"),
    PolicyCase(
        "root-volume-declared",
        INSTANCE,
        {"ami": "ami-1", "launchTemplate": {"id": "lt-1", "version": "$Latest"}},
        False,
        note="instance-from-template",
    ),
    PolicyCase(
        "root-volume-declared", NODE_CLASS, _node_class(NODE_CLASS_ROOT), False, note="node-class"
    ),
    PolicyCase("root-volume-declared", NODE_CLASS, _node_class(), True, note="node-class-default"),
]

# --- ecr-repository-cmk, efs-encrypted-cmk, opensearch-encryption, redshift-encrypted-cmk -------
ECR_REPOSITORY = "aws:ecr/repository:Repository"
EFS = "aws:efs/fileSystem:FileSystem"
OPENSEARCH = "aws:opensearch/domain:Domain"
REDSHIFT = "aws:redshift/cluster:Cluster"
REDSHIFT_NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
ECR_PROPS: dict[str, Any] = {
    "name": "meridian/orders",
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": True},
}
EFS_PROPS: dict[str, Any] = {
    "creationToken": "meridian-shared",
    "encrypted": True,
    "kmsKeyId": KEY_ARN,
}
OPENSEARCH_PROPS: dict[str, Any] = {
    "domainName": "meridian-search",
    "encryptAtRest": {"enabled": True, "kmsKeyId": KEY_ARN},
    "nodeToNodeEncryption": {"enabled": True},
    "domainEndpointOptions": {
        "enforceHttps": True,
        "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    },
    "vpcOptions": {"subnetIds": ["subnet-0a"], "securityGroupIds": ["sg-0a"]},
}
REDSHIFT_PROPS: dict[str, Any] = {
    "clusterIdentifier": "meridian-warehouse",
    "nodeType": "ra3.xlplus",
    "encrypted": True,
    "kmsKeyId": KEY_ARN,
    "publiclyAccessible": False,
    "clusterParameterGroupName": "meridian-warehouse",
}

CASES += [
    PolicyCase("ecr-repository-cmk", ECR_REPOSITORY, ECR_PROPS, False),
    PolicyCase(
        "ecr-repository-cmk",
        ECR_REPOSITORY,
        _with(ECR_PROPS, encryptionConfigurations=None),
        True,
        note="default-aes256",
    ),
    PolicyCase(
        "ecr-repository-cmk",
        ECR_REPOSITORY,
        _with(ECR_PROPS, encryptionConfigurations=[{"encryptionType": "KMS"}]),
        True,
        note="aws-managed-key",
    ),
    PolicyCase("efs-encrypted-cmk", EFS, EFS_PROPS, False),
    PolicyCase("efs-encrypted-cmk", EFS, _with(EFS_PROPS, encrypted=None), True, note="plain"),
    PolicyCase("efs-encrypted-cmk", EFS, _with(EFS_PROPS, kmsKeyId=None), True, note="aws-key"),
    PolicyCase("opensearch-encryption", OPENSEARCH, OPENSEARCH_PROPS, False),
    PolicyCase(
        "opensearch-encryption",
        OPENSEARCH,
        _with(OPENSEARCH_PROPS, encryptAtRest={"enabled": True}),
        True,
        note="aws-key",
    ),
    PolicyCase(
        "opensearch-encryption",
        OPENSEARCH,
        _with(OPENSEARCH_PROPS, nodeToNodeEncryption={"enabled": False}),
        True,
        note="node-to-node-plain",
    ),
    PolicyCase(
        "opensearch-encryption",
        OPENSEARCH,
        _with(
            OPENSEARCH_PROPS,
            domainEndpointOptions={
                "enforceHttps": True,
                "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07",
            },
        ),
        True,
        note="tls10",
    ),
    PolicyCase(
        "opensearch-encryption",
        OPENSEARCH,
        _with(OPENSEARCH_PROPS, domainEndpointOptions=None),
        True,
        note="http",
    ),
    PolicyCase("redshift-encrypted-cmk", REDSHIFT, REDSHIFT_PROPS, False),
    PolicyCase(
        "redshift-encrypted-cmk",
        REDSHIFT,
        _with(REDSHIFT_PROPS, encrypted=None),
        True,
        note="plain",
    ),
    PolicyCase(
        "redshift-encrypted-cmk",
        REDSHIFT,
        _with(REDSHIFT_PROPS, kmsKeyId=None),
        True,
        note="aws-key",
    ),
    PolicyCase(
        "redshift-encrypted-cmk",
        REDSHIFT_NAMESPACE,
        {"namespaceName": "meridian-analytics", "kmsKeyId": KEY_ARN},
        False,
        note="serverless",
    ),
    PolicyCase(
        "redshift-encrypted-cmk",
        REDSHIFT_NAMESPACE,
        {"namespaceName": "meridian-analytics"},
        True,
        note="serverless-aws-key",
    ),
]
