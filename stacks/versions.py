"""Every version Meridian pins outside requirements.txt, in one place: the Kubernetes version, the
EKS managed add-ons keyed by that version, the Helm charts, and the managed engines' versions.

The README's version table is generated from this module (a test keeps it in sync). Components
take versions as arguments; only the stack compositions read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKED_ON = "2026-12-06"
"""The day the evidence records below were last checked at their publishers."""


@dataclass(frozen=True)
class Evidence:
    """Where a pinned version (or name) was seen at its publisher, and what was seen there.

    `published` holds the versions the source lists, written down when it was read (the fetched
    source itself cannot be committed); tests/test_version_evidence.py refuses a pin that is not
    among them, so bumping a pin without re-checking its publisher fails.
    """

    publisher: str
    source: str
    """A URL, or `owner/repo@ref:path` for a repository read at a tag or commit."""
    checked: str
    """How the pin was checked there (what was read and what it said)."""
    published: tuple[str, ...]
    date: str = CHECKED_ON


EVIDENCE: dict[str, Evidence] = {}
"""Evidence per non-chart pin, keyed by the pin's name (`NAME`, `NAME[key]` or `NAME[k1][k2]`
for the entries of a table). Every pin in this module has one (a test enforces it)."""


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart at a pinned version, from its official repository."""

    chart: str
    version: str
    repository: str
    evidence: Evidence
    """Where the version was checked as published, and the source its templates come from."""
    digest: str | None = None
    """sha256 (hex) of the published chart archive: the `digest` of the repository's index.yaml
    entry. None where the publisher has no index to read it from (an OCI registry, or an index
    outside any source repository); the Helm render check (tests/helm_render.py) compares a chart
    archive against it."""


HELM_CHARTS: dict[str, HelmChart] = {}
"""Charts by Meridian's name for them (e.g. "istio-base"); each layer adds its own entries."""


# --- Kubernetes and the EKS managed add-ons ----------------------------------------------------

KUBERNETES_VERSION = "1.35"
"""The EKS Kubernetes version every cluster runs. EKS released 1.35 on 2026-01-28; its standard
support ends 2027-03-27 (1.34's ended 2026-12-02). Bump it one minor version at a time, together
with its row in `EKS_ADDONS` and `EKS_AMI_RELEASE_VERSIONS`, before standard support ends."""
EVIDENCE["KUBERNETES_VERSION"] = Evidence(
    publisher="AWS (Amazon EKS)",
    source="https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
    checked=(
        "the user guide: a minor version has 14 months of standard support after its EKS "
        "release; endoflife.date/amazon-eks (which tracks that calendar) gives 1.35 released "
        "2026-01-28, end of standard support 2027-03-27, and 1.34's end 2026-12-02. "
        "awslabs/amazon-eks-ami v20260714 ships 1.33-1.36 node AMIs."
    ),
    published=("1.33", "1.34", "1.35", "1.36"),
)

EKS_ADDONS: dict[str, dict[str, str]] = {
    # The add-on versions awslabs/cdk-eks-blueprints pins for KubernetesVersion.V1_35
    # (lib/addons/<addon>/index.ts at commit 05d3dbd, 2026-07-01; the 1.35 rows last changed in
    # 0b82904, 2026-04-08). The eksbuild suffix is AWS's own build number: only
    # `aws eks describe-addon-versions --kubernetes-version 1.35` lists them all.
    "1.35": {
        "vpc-cni": "v1.21.1-eksbuild.1",
        "kube-proxy": "v1.35.0-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.10-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.3",
        "aws-ebs-csi-driver": "v1.57.1-eksbuild.1",
    },
}
"""EKS managed add-on versions keyed by Kubernetes version, then add-on name."""

_BLUEPRINTS = "awslabs/cdk-eks-blueprints@05d3dbd0a462409bf002c989750d0de13bf83af2"
# What the blueprints' version maps say for KubernetesVersion.V1_35, written down separately from
# EKS_ADDONS (add-on: version seen, the file's folder, the upstream release it builds).
_BLUEPRINTS_1_35: dict[str, tuple[str, str, str]] = {
    "vpc-cni": (
        "v1.21.1-eksbuild.1",
        "vpc-cni",
        "aws/amazon-vpc-cni-k8s tag v1.21.1 (commit e082bae, 2025-12-17)",
    ),
    "kube-proxy": (
        "v1.35.0-eksbuild.2",
        "kube-proxy",
        "Kubernetes v1.35.0; the EKS user guide's kube-proxy table lists later v1.35.3 builds",
    ),
    "eks-pod-identity-agent": (
        "v1.3.10-eksbuild.2",
        "eks-pod-identity-agent",
        "AWS numbers this add-on itself (aws/eks-pod-identity-agent tags are v0.1.x); the same "
        "build is pinned for Kubernetes 1.31-1.35",
    ),
    "coredns": (
        "v1.13.2-eksbuild.3",
        "coredns",
        "coredns/coredns tag v1.13.2 (commit 0233f3e, 2025-12-09)",
    ),
    "aws-ebs-csi-driver": (
        "v1.57.1-eksbuild.1",
        "ebs-csi-driver",
        "kubernetes-sigs/aws-ebs-csi-driver tag v1.57.1 (commit 0316476, 2026-03-21)",
    ),
}
for _addon, (_seen, _folder, _upstream) in _BLUEPRINTS_1_35.items():
    EVIDENCE[f"EKS_ADDONS[1.35][{_addon}]"] = Evidence(
        publisher="AWS (awslabs/cdk-eks-blueprints)",
        source=f"{_BLUEPRINTS}:lib/addons/{_folder}/index.ts",
        checked=(f"version map entry [KubernetesVersion.V1_35, {_seen!r}]; upstream: {_upstream}"),
        published=(_seen,),
    )


def eks_addon_version(addon: str, kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """The pinned version of one EKS managed add-on for a Kubernetes version."""
    try:
        return EKS_ADDONS[kubernetes_version][addon]
    except KeyError:
        raise KeyError(
            f"no pinned version of EKS add-on {addon!r} for Kubernetes {kubernetes_version}; "
            "add it to EKS_ADDONS in stacks/versions.py"
        ) from None


# --- Node pools: node AMIs, Karpenter, NVIDIA device plugin --------------------------------------

EKS_AMI_RELEASE = "v20260714"
"""The EKS-optimized Amazon Linux 2023 AMI release every node runs (awslabs/amazon-eks-ami
CHANGELOG.md, "AMI Release v20260714"). Managed node groups pin it as `release_version` (with
`ami_type` naming the variant: standard or NVIDIA); Karpenter's EC2NodeClasses pin it as the
alias `al2023@v20260714`, which resolves the same release's standard or NVIDIA image per
instance type. Bump it here and both move together."""

EKS_AMI_RELEASE_VERSIONS: dict[str, str] = {
    # The "Release version" column of the v20260714 release notes, per Kubernetes version.
    "1.36": "1.36.2-20260714",
    "1.35": "1.35.6-20260714",
    "1.34": "1.34.9-20260714",
    "1.33": "1.33.13-20260714",
}
"""Managed node group `release_version` of `EKS_AMI_RELEASE`, keyed by Kubernetes version."""
_EKS_AMI_SOURCE = "awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa:CHANGELOG.md"
EVIDENCE["EKS_AMI_RELEASE"] = Evidence(
    publisher="AWS (awslabs/amazon-eks-ami)",
    source=_EKS_AMI_SOURCE,
    checked=(
        'section "AMI Release v20260714"; tag v20260714 is commit b4fffb7 (2026-07-13). Its AMI '
        "names include amazon-eks-node-al2023-x86_64-{standard,nvidia}-1.35-v20260714."
    ),
    published=("v20260709", "v20260714", "v20260724"),
)
# The "Release version" column of that section, per Kubernetes version (1.30-1.36 listed).
_EKS_AMI_SEEN = {
    "1.36": "1.36.2-20260714",
    "1.35": "1.35.6-20260714",
    "1.34": "1.34.9-20260714",
    "1.33": "1.33.13-20260714",
    "1.32": "1.32.13-20260714",
    "1.31": "1.31.14-20260714",
    "1.30": "1.30.14-20260714",
}
for _k8s in ("1.36", "1.35", "1.34", "1.33"):
    EVIDENCE[f"EKS_AMI_RELEASE_VERSIONS[{_k8s}]"] = Evidence(
        publisher="AWS (awslabs/amazon-eks-ami)",
        source=_EKS_AMI_SOURCE,
        checked=f'"AMI Release v20260714", Kubernetes {_k8s}: Release version column',
        published=(_EKS_AMI_SEEN[_k8s],),
    )


def eks_ami_release_version(kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """The pinned EKS AMI release version (e.g. 1.35.6-20260714) for a Kubernetes version."""
    try:
        return EKS_AMI_RELEASE_VERSIONS[kubernetes_version]
    except KeyError:
        raise KeyError(
            f"no pinned EKS AMI release for Kubernetes {kubernetes_version}; add the release "
            f"notes' version to EKS_AMI_RELEASE_VERSIONS in stacks/versions.py"
        ) from None


HELM_CHARTS["karpenter"] = HelmChart(
    # Compatibility matrix (hack/docs/compatibilitymatrix_gen/compatibility.yaml): Kubernetes
    # 1.26-1.36. CRDs karpenter.sh/v1 NodePool, karpenter.k8s.aws/v1 EC2NodeClass.
    chart="karpenter",
    version="1.14.1",
    repository="oci://public.ecr.aws/karpenter",
    evidence=Evidence(
        publisher="AWS (aws/karpenter-provider-aws)",
        source="aws/karpenter-provider-aws@c88abbbad:charts/karpenter/Chart.yaml",
        checked=(
            "aws/karpenter-provider-aws: tag v1.14.1 is the release; the chart is packaged with "
            "its version stamped, as branch release-v1.14.1 commit c88abbbad ('Stable Release "
            "updates "
            "Release v1.14.1') records in charts/karpenter (Chart.yaml version/appVersion 1.14.1, "
            "controller image tag 1.14.1); at the tag itself Chart.yaml still says 1.13.0"
        ),
        published=("1.14.1",),
    ),
    # The OCI manifest digest is not in any source repository.
)
HELM_CHARTS["nvidia-device-plugin"] = HelmChart(
    chart="nvidia-device-plugin",
    version="0.20.0",
    repository="https://nvidia.github.io/k8s-device-plugin",
    evidence=Evidence(
        publisher="NVIDIA (NVIDIA/k8s-device-plugin)",
        source="NVIDIA/k8s-device-plugin@gh-pages:index.yaml",
        checked=(
            "NVIDIA/k8s-device-plugin branch gh-pages index.yaml (entry 0.20.0, archive "
            "stable/nvidia-device-plugin-0.20.0.tgz); tag v0.20.0 "
            "deployments/helm/nvidia-device-plugin"
        ),
        published=("0.20.0",),
    ),
    digest="9e5642bcdd3805c6e931f9d3ca542677d1f714d68c14c1364892011e67d9a606",
)


# --- Service mesh and ingress -------------------------------------------------------------------

ISTIO_VERSION = "1.29.2"
"""One Istio version for the official charts (base, cni, istiod, gateway), released April 2026.
The CNI chart moves traffic redirection out of the pods, so tenants can enforce Pod Security
`restricted` (no NET_ADMIN init container).
The CRD schemas the tests validate Istio objects against are Istio 1.29.2's
`manifests/charts/base/files/crd-all.gen.yaml`, as compiled by the npm package
`@kubernetes-models/istio@3.0.1` (pinned in tests/crd/package.json): bump them together."""

for _istio_chart in ("base", "cni", "istiod", "gateway"):
    HELM_CHARTS[f"istio-{_istio_chart}"] = HelmChart(
        chart=_istio_chart,
        version=ISTIO_VERSION,
        repository="https://istio-release.storage.googleapis.com/charts",
        evidence=Evidence(
            publisher="Istio (istio/istio, istio/release-builder)",
            source=f"istio/istio@{ISTIO_VERSION}:manifests/charts",
            checked=(
                f"istio/istio tag {ISTIO_VERSION}, manifests/charts/ (base, istio-cni, "
                "istio-control/istio-discovery, gateway), packaged by istio/release-builder "
                "(pkg/build/helm.go stampChartForRelease: Chart.yaml version and appVersion set "
                "to the "
                "release, values' hub/tag stamped)"
            ),
            published=(ISTIO_VERSION,),
        ),
        # The repository's index.yaml lives in a storage bucket, not in a source repository.
    )

HELM_CHARTS["aws-load-balancer-controller"] = HelmChart(
    # kubernetes-sigs/aws-load-balancer-controller tag v3.4.2,
    # helm/aws-load-balancer-controller/Chart.yaml (version 3.4.2, appVersion v3.4.2), published in
    # aws/eks-charts release v0.0.240. Its IAM policy (docs/install/iam_policy.json at the same
    # tag) is stacks/data/aws_load_balancer_controller_policy.json.
    chart="aws-load-balancer-controller",
    version="3.4.2",
    repository="https://aws.github.io/eks-charts",
    evidence=Evidence(
        publisher="AWS (aws/eks-charts)",
        source="aws/eks-charts@gh-pages:index.yaml",
        checked=(
            "aws/eks-charts branch gh-pages index.yaml (entry 3.4.2, aws-load-balancer-"
            "controller-3.4.2.tgz, whose sha256 is the digest below)"
        ),
        published=("3.4.2",),
    ),
    digest="2636e0bdeabd5a55ac1c23171ba24a7e0804d249acc3b4a028558e3131ae16ca",
)

HELM_CHARTS["apollo-router"] = HelmChart(
    # apollographql/router tag v2.13.1 (2026-04), helm/chart/router/Chart.yaml: name router,
    # version 2.13.1, appVersion v2.13.1 (the image ghcr.io/apollographql/router:v2.13.1 is the
    # chart's default). values.yaml at the tag: router.configuration (mounted as
    # /app/configuration.yaml), managedFederation.existingSecret/graphRef (APOLLO_KEY,
    # APOLLO_GRAPH_REF), containerPorts.http/health, securityContext, podSecurityContext,
    # autoscaling, podDisruptionBudget. The chart is published as an OCI artifact only.
    chart="router",
    version="2.13.1",
    repository="oci://ghcr.io/apollographql/helm-charts",
    evidence=Evidence(
        publisher="Apollo GraphQL (apollographql/router)",
        source="apollographql/router@v2.13.1:helm/chart/router/Chart.yaml",
        checked=(
            "tag v2.13.1 is the newest router release tag; its helm/chart/router/Chart.yaml says "
            "version 2.13.1, appVersion v2.13.1; the chart's README installs it from "
            "oci://ghcr.io/apollographql/helm-charts/router"
        ),
        published=("2.13.1",),
    ),
    # The OCI manifest digest is not in any source repository.
)

APOLLO_ROUTER_VERSION = "v2.13.1"
"""The Apollo Router the pinned chart runs (its appVersion, the image tag it defaults to): the
version whose configuration schema the router's configuration is checked against."""
EVIDENCE["APOLLO_ROUTER_VERSION"] = Evidence(
    publisher="Apollo GraphQL (apollographql/router)",
    source="apollographql/router@v2.13.1:helm/chart/router/Chart.yaml",
    checked='the chart pinned above, version 2.13.1, says appVersion: "v2.13.1"',
    published=("v2.13.1",),
)

APOLLO_ROUTER_CONFIG_SCHEMA_SHA256 = (
    "70cb0803232c9f6f4b8c486f993453727b32a6789e89bd981f81c9d29a8669bc"
)
"""sha256 of the router's configuration JSON schema at APOLLO_ROUTER_VERSION, as the router's
repository keeps it: the insta snapshot its `schema_generation` test compares the generated
schema with (a `---` header, then the JSON schema). The router validates its YAML configuration
against this schema (draft 7) at startup and refuses to start on any error; the snapshot is not
committed here (tests/router_schema.py reads it from the shared folder when present)."""
EVIDENCE["APOLLO_ROUTER_CONFIG_SCHEMA_SHA256"] = Evidence(
    publisher="Apollo GraphQL (apollographql/router)",
    source=(
        "apollographql/router@v2.13.1:apollo-router/src/configuration/snapshots/"
        "apollo_router__configuration__tests__schema_generation.snap"
    ),
    checked=(
        'the snapshot at tag v2.13.1 (374002 bytes, last changed by 1f06b0f7be "feat: support '
        'HTTP/2 keep-alive"), whose sha256 is the pin; apollo-router/src/configuration/'
        "schema.rs at the tag validates the configuration with jsonschema::draft7 against "
        "generate_config_schema(), which tests.rs schema_generation asserts equal to it"
    ),
    published=("70cb0803232c9f6f4b8c486f993453727b32a6789e89bd981f81c9d29a8669bc",),
)


# --- Managed engines: MSK ------------------------------------------------------------------------

KAFKA_VERSION = "4.1.x.kraft"
"""The Apache Kafka version of every MSK cluster, in KRaft mode (no ZooKeeper; MSK's version
string for KRaft is `<version>.kraft`, MSK developer guide "KRaft mode"). 4.1.x is the newest line
MSK runs on Standard brokers with tiered storage (aws-cdk `@aws-cdk/aws-msk-alpha` KafkaVersion
`V4_1_X_KRAFT`, `tieredStorage: true`; 4.2.x is Express-only); 3.9.x, the last 3.x line, is past
the community's 12-month support. The MSK topic API (`aws.msk.Topic`) needs 3.6.0 or later.
Bumping it creates a new MSK configuration (its name carries the version) before the old one is
deleted; see components/streaming/kafka.py."""
EVIDENCE["KAFKA_VERSION"] = Evidence(
    publisher="AWS (Amazon MSK; aws-cdk @aws-cdk/aws-msk-alpha)",
    source="aws/aws-cdk:packages/@aws-cdk/aws-msk-alpha/lib/cluster-version.ts",
    checked=(
        "KafkaVersion.V4_1_X_KRAFT = KafkaVersion.of('4.1.x.kraft', { tieredStorage: true }); "
        "V4_2_X_KRAFT is documented there as supported on MSK Express brokers only"
    ),
    published=(
        "3.7.x.kraft",
        "3.8.x.kraft",
        "3.9.x.kraft",
        "4.0.x.kraft",
        "4.1.x.kraft",
        "4.2.x.kraft",
    ),
)

MSK_REPLICATOR_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "sa-east-1",
    }
)
"""Regions where MSK Replicator runs (MSK developer guide, "What is Amazon MSK Replicator?"). A
replication pair with a region outside this set keeps its S3 replication but has no Kafka
replicator."""
EVIDENCE["MSK_REPLICATOR_REGIONS"] = Evidence(
    publisher="AWS (Amazon MSK developer guide)",
    source="https://docs.aws.amazon.com/msk/latest/developerguide/msk-replicator.html",
    checked="the page's note listing the Regions MSK Replicator supports (16 Regions)",
    published=(
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "eu-north-1",
        "ap-south-1",
        "eu-west-3",
        "sa-east-1",
        "ap-northeast-2",
        "eu-west-2",
        "ap-northeast-1",
        "us-west-1",
        "ca-central-1",
    ),
)


# --- Managed engines and charts of the transactional data layer ----------------------------------

AURORA_POSTGRES_VERSION = "17.7"
"""Aurora PostgreSQL engine version of every cluster of the global database (Aurora PostgreSQL
release notes: 17.7 released 2025-12-18; aws-cdk-lib names it AuroraPostgresEngineVersion.VER_17_7).
It is the version a NEW cluster starts on: operations upgrades running clusters (secondaries
first, then the primary) and then bumps this pin; `pulumi up` never upgrades
(components/data/aurora.py ignores engineVersion)."""
AURORA_POSTGRES_FAMILY = "aurora-postgresql17"
"""The parameter group family of AURORA_POSTGRES_VERSION's major version."""
EVIDENCE["AURORA_POSTGRES_VERSION"] = Evidence(
    publisher="AWS (Aurora PostgreSQL release notes)",
    source="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/auroraqpm.updates.html",
    checked=(
        '"PostgreSQL 17 versions": apg_plan_mgmt 2.9 for Aurora PostgreSQL 17.7 (December 18, '
        "2025) and 17.9 (April 6, 2026); public aws-cdk-lib code uses "
        "AuroraPostgresEngineVersion.VER_17_7"
    ),
    published=("17.7", "17.9"),
)
EVIDENCE["AURORA_POSTGRES_FAMILY"] = Evidence(
    publisher="AWS (Amazon RDS API model, as shipped in botocore)",
    source="botocore/data/rds/2014-10-31/service-2.json (installed in .venv)",
    checked=(
        "parameter group families are named aurora-postgresql<major> (the model's examples name "
        "aurora-postgresql10 to aurora-postgresql14); aws-cdk-lib derives aurora-postgresql17 "
        "from AuroraPostgresEngineVersion.of('17.7', '17')"
    ),
    published=("aurora-postgresql17",),
)

AURORA_ROTATION_APPLICATION = "SecretsManagerRDSPostgreSQLRotationSingleUser"
"""AWS's single-user rotation function for PostgreSQL (Secrets Manager User Guide, "Rotation
function templates"), deployed from the Serverless Application Repository: it rotates the Aurora
global primary's master secret, whose password RDS cannot manage for a global database."""
AURORA_ROTATION_VERSIONS: dict[str, str] = {
    # The versions aws-cdk-lib pins in SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER
    # (aws-secretsmanager/lib/secret-rotation.ts): one published version per partition.
    "aws": "1.1.671",
    "aws-cn": "1.1.440",
    "aws-us-gov": "1.1.383",
}
"""Semantic version of AURORA_ROTATION_APPLICATION per partition."""
_SECRET_ROTATION_SOURCE = (
    "aws/aws-cdk:packages/aws-cdk-lib/aws-secretsmanager/lib/secret-rotation.ts"
)
EVIDENCE["AURORA_ROTATION_APPLICATION"] = Evidence(
    publisher="AWS (Serverless Application Repository; aws-cdk-lib)",
    source=_SECRET_ROTATION_SOURCE,
    checked=(
        "SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER names the SAR application "
        "SecretsManagerRDSPostgreSQLRotationSingleUser"
    ),
    published=("SecretsManagerRDSPostgreSQLRotationSingleUser",),
)
# POSTGRES_ROTATION_SINGLE_USER's semantic versions there: '1.1.671', with
# additionalSemanticVersions { 'aws-cn': '1.1.440', 'aws-us-gov': '1.1.383' }.

DEBEZIUM_VERSION = "3.2.7.Final"
"""The Debezium PostgreSQL source connector on MSK Connect (components/streaming/cdc.py). The 3.2
line reads PostgreSQL 17 through pgoutput and targets Java 17 (debezium pom
`debezium.java.connector.target` 17), the runtime of MSK Connect's Kafka Connect 3.7.x."""
EVIDENCE["DEBEZIUM_VERSION"] = Evidence(
    publisher="Debezium (debezium/debezium; debezium/container-images)",
    source="debezium/container-images@07fabf0:connect/3.2/Dockerfile",
    checked=(
        'DEBEZIUM_VERSION="3.2.7.Final" in connect/3.2/Dockerfile; tag v3.2.7.Final exists in '
        "debezium/debezium, whose connector-distribution assembly publishes the plugin as "
        "tar.gz and zip (debezium-assembly-descriptors/.../connector-distribution.xml)"
    ),
    published=("3.2.7.Final",),
)
DEBEZIUM_POSTGRES_PLUGIN_MD5 = "e0f738bc7b8ac6976f7c01ab5637b984"
"""MD5 of `debezium-connector-postgres-3.2.7.Final-plugin.tar.gz` on Maven Central, as Debezium's
own image build checks it (`docker-maven-download debezium postgres ... $POSTGRES_MD5`, then
`md5sum -c`). Pulumi does not check it when it fetches the archive; README "Known limits" says how
the operator does."""
EVIDENCE["DEBEZIUM_POSTGRES_PLUGIN_MD5"] = Evidence(
    publisher="Debezium (debezium/container-images)",
    source="debezium/container-images@07fabf0:connect/3.2/Dockerfile",
    checked="POSTGRES_MD5=e0f738bc7b8ac6976f7c01ab5637b984 next to DEBEZIUM_VERSION 3.2.7.Final",
    published=("e0f738bc7b8ac6976f7c01ab5637b984",),
)
MSK_CONFIG_PROVIDERS_VERSION = "0.1.0"
"""AWS's open-source Kafka config providers (aws-samples/msk-config-providers), packed into the
CDC plugin so the connector reads the database password from Secrets Manager at runtime
(`${secretsmanager:<secret>:<key>}`) instead of holding it in its configuration. 0.1.0 is the
release the MSK developer guide's tutorial ("Externalizing sensitive information using config
providers") downloads, `msk-config-providers-0.1.0-with-dependencies.zip`."""
EVIDENCE["MSK_CONFIG_PROVIDERS_VERSION"] = Evidence(
    publisher="AWS (aws-samples/msk-config-providers; MSK developer guide)",
    source="aws-samples/msk-config-providers@r0.1.0:pom.xml",
    checked=(
        "tag r0.1.0, pom.xml <version>0.1.0</version>; SecretsManagerConfigProvider resolves "
        "GetSecretValue(secretId=path) and the JSON key asked; README: define the providers in "
        "the worker properties, use the tokens in the connector's"
    ),
    published=("0.1.0",),
)
MSK_CONNECT_VERSION = "3.7.x"
"""The Kafka Connect version of the CDC connector (MSK developer guide, "Understand MSK Connect":
MSK Connect runs Kafka Connect 2.7.1 or 3.7.x; "Create custom plugins": 3.7.x runs on Java 17)."""
EVIDENCE["MSK_CONNECT_VERSION"] = Evidence(
    publisher="AWS (MSK developer guide)",
    source="https://docs.aws.amazon.com/msk/latest/developerguide/msk-connect-plugins.html",
    checked="'Apache Kafka Connect Java runtime versions': 2.7.1 -> Java 11, 3.7.x -> Java 17",
    published=("2.7.1", "3.7.x"),
)
for _partition, _seen in (("aws", "1.1.671"), ("aws-cn", "1.1.440"), ("aws-us-gov", "1.1.383")):
    EVIDENCE[f"AURORA_ROTATION_VERSIONS[{_partition}]"] = Evidence(
        publisher="AWS (Serverless Application Repository; aws-cdk-lib)",
        source=_SECRET_ROTATION_SOURCE,
        checked=f"POSTGRES_ROTATION_SINGLE_USER semantic version for partition {_partition}",
        published=(_seen,),
    )

CACHE_ENGINE_VERSIONS: dict[str, str] = {
    # ElastiCache User Guide, "Engine versions and upgrading in ElastiCache": Valkey 8.2 (global
    # datastores need Valkey 7.2+ or Redis OSS 5.0.6+; IAM authentication Valkey 7.2+/Redis OSS 7+).
    # Redis OSS 7.1 is the last Redis OSS line ElastiCache ships.
    "valkey": "8.2",
    "redis": "7.1",
}
"""ElastiCache engine version per engine (meridian:data.cache.engine)."""
_ELASTICACHE_VERSIONS = (
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html"
)
EVIDENCE["CACHE_ENGINE_VERSIONS[valkey]"] = Evidence(
    publisher="AWS (ElastiCache user guide)",
    source=_ELASTICACHE_VERSIONS,
    checked=(
        '"Engine versions and upgrading in ElastiCache": sections ElastiCache for Valkey 7.2, '
        "8.0, 8.1, 8.2 (vector search), 9.0 and 9.1"
    ),
    published=("7.2", "8.0", "8.1", "8.2", "9.0", "9.1"),
)
EVIDENCE["CACHE_ENGINE_VERSIONS[redis]"] = Evidence(
    publisher="AWS (ElastiCache user guide)",
    source="https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/supported-engine-versions.html",
    checked="node-based clusters support Redis OSS 7.1, 7.0, 6.2, 6.0, 5.0.6 and 4.0.10",
    published=("7.1", "7.0", "6.2", "6.0", "5.0.6", "4.0.10"),
)

RATE_LIMIT_IMAGE = "docker.io/envoyproxy/ratelimit:aba2384d"
"""Envoy's global rate-limit service (components/mesh/rate_limit.py). No chart and no release tags
are published: every push to main is pushed to Docker Hub tagged with its commit (8 hex)."""
EVIDENCE["RATE_LIMIT_IMAGE"] = Evidence(
    publisher="Envoy Proxy (envoyproxy/ratelimit)",
    source="envoyproxy/ratelimit@aba2384d163183e347c407da600b4f73fa2fa672:.github/workflows/main.yaml",
    checked=(
        "main.yaml ('Build and push :master image', on push to main) runs `make "
        "docker_multiarch_push` after the :master push; the Makefile tags the image "
        "$(REGISTRY)/$(PROJECT):$(GIT_REF), REGISTRY envoyproxy, PROJECT ratelimit, GIT_REF "
        "`git rev-parse --short=8 HEAD` when no tag is on the commit. aba2384d (2026-07-01, 'add "
        "metadata to rate limit descriptors pb to yaml (#1175)') is the newest main commit that "
        "changed the service's code (the three after it bump CI actions and the integration "
        "test's base image). Its Dockerfile: distroless static-debian12:nonroot, ENTRYPOINT "
        "/bin/ratelimit. Settings read at it (src/settings/settings.go): REDIS_SOCKET_TYPE, "
        "REDIS_TYPE, REDIS_URL, REDIS_AUTH (user:password, src/redis/driver_impl.go), REDIS_TLS, "
        "REDIS_PIPELINE_WINDOW, REDIS_PERSECOND, CACHE_KEY_PREFIX, RUNTIME_ROOT, "
        "RUNTIME_SUBDIRECTORY, RUNTIME_APPDIRECTORY, RUNTIME_WATCH_ROOT, USE_STATSD, LOG_LEVEL, "
        "LOG_FORMAT, BACKEND_TYPE; GRPC_PORT 8081, PORT 8080 with /healthcheck. Docker Hub itself "
        "was not reachable offline: the tag follows from the workflow, not from the registry."
    ),
    published=("docker.io/envoyproxy/ratelimit:aba2384d",),
)

HELM_CHARTS["k8ssandra-operator"] = HelmChart(
    # k8ssandra/k8ssandra-operator tag v1.32.5 (2026-07-08; CHANGELOG/CHANGELOG-1.32.md: Medusa
    # v0.29.1, Reaper v5.0.0, cass-operator v1.30.3 = chart 0.64.4), charts/k8ssandra-operator/
    # Chart.yaml version 1.32.5, published at helm.k8ssandra.io/stable. CRD k8ssandra.io/v1alpha1
    # K8ssandraCluster (config/crd/bases/k8ssandra.io_k8ssandraclusters.yaml at the same tag: the
    # spec components/data/k8ssandra.py writes validates against it). Only regions running
    # Cassandra on EKS use it.
    chart="k8ssandra-operator",
    version="1.32.5",
    repository="https://helm.k8ssandra.io/stable",
    evidence=Evidence(
        publisher="K8ssandra (k8ssandra/k8ssandra-operator)",
        source="k8ssandra/k8ssandra-operator@v1.32.5:charts/k8ssandra-operator/Chart.yaml",
        checked=(
            "k8ssandra/k8ssandra-operator tag v1.32.5, charts/k8ssandra-operator/Chart.yaml "
            "version 1.32.5 (dependencies k8ssandra-common 0.29.2 and cass-operator 0.64.4 from "
            "helm.k8ssandra.io)"
        ),
        published=("1.32.5",),
    ),
    # helm.k8ssandra.io's index.yaml is not in a source repository.
)
CASSANDRA_VERSION = "4.1.8"
"""Apache Cassandra server version of K8ssandra datacenters (the CRD's serverVersion accepts
Cassandra 3.11.x, 4.x.x and 5.x.x; Meridian stays on the 4.1 line until 5.0 is validated with
Medusa backups)."""
EVIDENCE["CASSANDRA_VERSION"] = Evidence(
    publisher="Apache Cassandra; k8ssandra (the management-api images K8ssandra runs)",
    source=(
        "k8ssandra/management-api-for-apache-cassandra@dbc7629230d9d470cf6b76af0dbab98b21f32de7"
        ":README.md"
    ),
    checked=(
        "the image table's Cassandra 4.1.x column lists 4.1.0-4.1.12; 4.1.8 entered the build "
        "matrix in commit 09a24fc (2025-02-04), after Apache's cassandra-4.1.8 release"
    ),
    published=tuple(f"4.1.{patch}" for patch in range(13)),
)

# Telemetry agents.
HELM_CHARTS["opentelemetry-collector"] = HelmChart(
    # The newest published collector chart (appVersion 0.158.0, the contrib image's tag); its
    # values.schema.json admits every value components/observability/agents.py sets.
    chart="opentelemetry-collector",
    version="0.170.0",
    repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
    evidence=Evidence(
        publisher="OpenTelemetry (open-telemetry/opentelemetry-helm-charts)",
        source="open-telemetry/opentelemetry-helm-charts@gh-pages:index.yaml",
        checked=(
            "open-telemetry/opentelemetry-helm-charts branch gh-pages index.yaml (entry 0.170.0, "
            "archive released as opentelemetry-collector-0.170.0.tgz); tag "
            "opentelemetry-collector-0.170.0, charts/opentelemetry-collector"
        ),
        published=("0.170.0",),
    ),
    digest="ed140b332233075c7fd15eaebba571fdf100926f08c0a5a274c7b32895315137",
)
HELM_CHARTS["aws-for-fluent-bit"] = HelmChart(
    # The newest published release (appVersion 3.2.1 of the aws-for-fluent-bit image).
    chart="aws-for-fluent-bit",
    version="0.2.0",
    repository="https://aws.github.io/eks-charts",
    evidence=Evidence(
        publisher="AWS (aws/eks-charts)",
        source="aws/eks-charts@gh-pages:index.yaml",
        checked=(
            "aws/eks-charts branch gh-pages index.yaml (entry 0.2.0, aws-for-fluent-bit-0.2.0."
            "tgz, whose sha256 is the digest below)"
        ),
        published=("0.2.0",),
    ),
    digest="666c244b9cfca211be57cf97d9e224157f581d41f413eb89744575fbc9b8980c",
)

# Cluster metrics: the resource metrics API and the exporters the telemetry scraper reads.
# AWS also ships metrics-server, kube-state-metrics and prometheus-node-exporter as EKS community
# add-ons, but their versions per Kubernetes version are readable only through
# `aws eks describe-addon-versions` (neither the EKS user guide nor the blueprints' version maps
# list them), so no pin could be checked at its publisher; the upstream charts can.
HELM_CHARTS["metrics-server"] = HelmChart(
    # The newest published chart (appVersion 0.8.1).
    chart="metrics-server",
    version="3.13.1",
    repository="https://kubernetes-sigs.github.io/metrics-server",
    evidence=Evidence(
        publisher="Kubernetes SIG Instrumentation (kubernetes-sigs/metrics-server)",
        source="kubernetes-sigs/metrics-server@gh-pages:index.yaml",
        checked=(
            "kubernetes-sigs/metrics-server branch gh-pages index.yaml (entry 3.13.1, appVersion "
            "0.8.1, created 2026-06-11, metrics-server-3.13.1.tgz whose sha256 is the digest "
            "below); tag metrics-server-helm-chart-3.13.1 (commit 842dcc8), charts/metrics-server "
            "values.yaml: replicas, podDisruptionBudget, tolerations, apiService.create"
        ),
        published=("3.12.2", "3.13.0", "3.13.1"),
    ),
    digest="084e6edb680cf4e2acc30bd496568c53fdf663cbacf6e17876b25785c35b7a13",
)
HELM_CHARTS["kube-state-metrics"] = HelmChart(
    # The newest tagged chart (appVersion 2.20.0).
    chart="kube-state-metrics",
    version="8.4.0",
    repository="https://prometheus-community.github.io/helm-charts",
    evidence=Evidence(
        publisher="Prometheus community (prometheus-community/helm-charts)",
        source="prometheus-community/helm-charts@kube-state-metrics-8.4.0:charts/kube-state-metrics",
        checked=(
            "release tag kube-state-metrics-8.4.0 (commit 1982f1c, 2026-08-18): Chart.yaml "
            "version 8.4.0, appVersion 2.20.0; values.yaml: replicas, prometheusScrape, "
            "tolerations, service.port 8080 (port name http), label app.kubernetes.io/name"
        ),
        published=("8.3.0", "8.3.1", "8.4.0"),
    ),
    # The gh-pages index.yaml is held as a large object the mirror did not bring: no digest.
)
HELM_CHARTS["prometheus-node-exporter"] = HelmChart(
    # The newest tagged chart (appVersion 1.12.1).
    chart="prometheus-node-exporter",
    version="4.56.1",
    repository="https://prometheus-community.github.io/helm-charts",
    evidence=Evidence(
        publisher="Prometheus community (prometheus-community/helm-charts)",
        source=(
            "prometheus-community/helm-charts@prometheus-node-exporter-4.56.1:"
            "charts/prometheus-node-exporter"
        ),
        checked=(
            "release tag prometheus-node-exporter-4.56.1 (commit 8b8e639, 2026-07-14): Chart.yaml "
            "version 4.56.1, appVersion 1.12.1; values.yaml: tolerations, priorityClassName, "
            "hostNetwork true, service.port 9100 (portName metrics)"
        ),
        published=("4.55.0", "4.55.1", "4.56.0", "4.56.1"),
    ),
    # The gh-pages index.yaml is held as a large object the mirror did not bring: no digest.
)
# Edge metrics: Cloudflare's zone analytics (GraphQL API) as Prometheus series, for the CDN SLO.
HELM_CHARTS["cloudflare-exporter"] = HelmChart(
    # The newest published chart (appVersion 0.0.16, the exporter's newest release tag).
    chart="cloudflare-exporter",
    version="0.2.1",
    repository="https://lablabs.github.io/cloudflare-exporter",
    evidence=Evidence(
        publisher="Labyrinth Labs (lablabs/cloudflare-exporter)",
        source="lablabs/cloudflare-exporter@gh-pages:index.yaml",
        checked=(
            "lablabs/cloudflare-exporter branch gh-pages index.yaml (entry 0.2.1, appVersion "
            "0.0.16, created 2024-05-20, cloudflare-exporter-0.2.1.tgz whose sha256 is the digest "
            "below); tag cloudflare-exporter-0.2.1 (commit 33910a6) charts/cloudflare-exporter "
            "values.yaml: env, secretRef, podAnnotations, podSecurityContext, securityContext, "
            "resources, service.port 8080; tag 0.0.16 (commit 53e8c34) main.go: CF_API_TOKEN, "
            "CF_ZONES, METRICS_DENYLIST, LISTEN :8080; prometheus.go: the metric names"
        ),
        published=("0.1.9", "0.2.0", "0.2.1"),
    ),
    digest="8fe1fb1366c68d2598a51b5d8987eec258154c69cfe448e22ba8954609dec1c2",
)
