"""Type tokens of the resources the pack checks, shared by the policies and their cases.

The engine names a resource by its type token (``<package>:<module>/<member>:<Type>``); the pack
compares tokens as strings and never imports pulumi_aws or pulumi_kubernetes, so the tokens are
spelled once here. Policy modules and tests/policies/cases_*.py import them from this module.
"""

from __future__ import annotations

from typing import Final

# --- AWS: network --------------------------------------------------------------------------
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE: Final = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SUBNET: Final = "aws:ec2/subnet:Subnet"
NETWORK_ACL: Final = "aws:ec2/networkAcl:NetworkAcl"
NETWORK_ACL_RULE: Final = "aws:ec2/networkAclRule:NetworkAclRule"
VPC: Final = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT: Final = "aws:ec2/vpcEndpoint:VpcEndpoint"
DEFAULT_SECURITY_GROUP: Final = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG: Final = "aws:ec2/flowLog:FlowLog"

# --- AWS: compute and EKS ------------------------------------------------------------------
EC2_INSTANCE: Final = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP: Final = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON: Final = "aws:eks/addon:Addon"
EKS_ACCESS_ENTRY: Final = "aws:eks/accessEntry:AccessEntry"
EKS_ACCESS_POLICY_ASSOCIATION: Final = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
EKS_POD_IDENTITY_ASSOCIATION: Final = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
INSTANCE_METADATA_DEFAULTS: Final = "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults"
OIDC_PROVIDER: Final = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
IAM_ROLE: Final = "aws:iam/role:Role"
IAM_ROLE_POLICY_ATTACHMENT: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_USER_POLICY_ATTACHMENT: Final = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
IAM_GROUP_POLICY_ATTACHMENT: Final = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
IAM_POLICY_ATTACHMENT: Final = "aws:iam/policyAttachment:PolicyAttachment"
IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: Final = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
)

# --- AWS: storage, data and messaging ------------------------------------------------------
S3_BUCKET: Final = "aws:s3/bucket:Bucket"
S3_BUCKET_V2: Final = "aws:s3/bucketV2:BucketV2"
S3_BUCKET_TYPES: Final = (S3_BUCKET, S3_BUCKET_V2)
S3_PUBLIC_ACCESS_BLOCK: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
MSK_CLUSTER: Final = "aws:msk/cluster:Cluster"
KEYSPACES_TABLE: Final = "aws:keyspaces/table:Table"
SECRET: Final = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION: Final = "aws:secretsmanager/secretRotation:SecretRotation"
BACKUP_PLAN: Final = "aws:backup/plan:Plan"
BACKUP_VAULT: Final = "aws:backup/vault:Vault"
SQS_QUEUE: Final = "aws:sqs/queue:Queue"
SNS_TOPIC: Final = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY: Final = "aws:sns/topicPolicy:TopicPolicy"
ELASTICACHE_USER: Final = "aws:elasticache/user:User"
ELASTICACHE_USER_GROUP: Final = "aws:elasticache/userGroup:UserGroup"
GRAFANA_WORKSPACE: Final = "aws:grafana/workspace:Workspace"
GRAFANA_SERVICE_ACCOUNT: Final = "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount"
GRAFANA_SERVICE_ACCOUNT_TOKEN: Final = (
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken"
)
RDS_PROXY: Final = "aws:rds/proxy:Proxy"
RDS_PROXY_ENDPOINT: Final = "aws:rds/proxyEndpoint:ProxyEndpoint"

# --- AWS: audit and edge -------------------------------------------------------------------
GUARDDUTY_DETECTOR: Final = "aws:guardduty/detector:Detector"
SECURITYHUB_ACCOUNT: Final = "aws:securityhub/account:Account"
ROUTE53_RECORD: Final = "aws:route53/record:Record"
COGNITO_USER_POOL_DOMAIN: Final = "aws:cognito/userPoolDomain:UserPoolDomain"

# --- Cloudflare ----------------------------------------------------------------------------
CLOUDFLARE_ZONE_SETTING: Final = "cloudflare:index/zoneSetting:ZoneSetting"
CLOUDFLARE_RULESET: Final = "cloudflare:index/ruleset:Ruleset"

# --- Kubernetes (pulumi-kubernetes 4 tokens: kubernetes:<group>/<version>:<Kind>) ----------
K8S_NAMESPACE: Final = "kubernetes:core/v1:Namespace"
K8S_NETWORK_POLICY: Final = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HELM_RELEASE: Final = "kubernetes:helm.sh/v3:Release"
ISTIO_PEER_AUTHENTICATION: Final = "kubernetes:security.istio.io/v1:PeerAuthentication"
ISTIO_AUTHORIZATION_POLICY: Final = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
ISTIO_GATEWAY: Final = "kubernetes:networking.istio.io/v1:Gateway"
ISTIO_ENVOY_FILTER: Final = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter"
K8S_DEPLOYMENT: Final = "kubernetes:apps/v1:Deployment"
K8S_SECRET: Final = "kubernetes:core/v1:Secret"
ACMPCA_CERTIFICATE_AUTHORITY: Final = "aws:acmpca/certificateAuthority:CertificateAuthority"
ACMPCA_CERTIFICATE: Final = "aws:acmpca/certificate:Certificate"
ACMPCA_TYPES: Final = frozenset({ACMPCA_CERTIFICATE_AUTHORITY, ACMPCA_CERTIFICATE})
CLOUDFLARE_ORIGIN_CA_CERTIFICATE: Final = "cloudflare:index/originCaCertificate:OriginCaCertificate"
KARPENTER_NODE_CLASS: Final = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
K8S_PROVIDER: Final = "pulumi:providers:kubernetes"

# --- AWS: delivery and keys ---------------------------------------------------------------
CODEBUILD_WEBHOOK: Final = "aws:codebuild/webhook:Webhook"
KMS_GRANT: Final = "aws:kms/grant:Grant"
