"""DeployRunner: a CodeBuild-hosted GitHub Actions runner inside one region's VPC, so that the
deploy pipeline's `pulumi up` reaches the private-only EKS API endpoint.

- A CodeBuild project with a GitHub source (authorized by a CodeConnections connection the
  operator creates and authorizes once: the GitHub App handshake cannot be automated) and a
  webhook on `WORKFLOW_JOB_QUEUED`: every GitHub Actions job whose `runs-on` names
  `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}` becomes a build of this
  project, i.e. an ephemeral runner in the VPC.
- In the private subnets (their route to the internet is the AZ's NAT gateway: GitHub, Pulumi,
  package and chart registries), with its own security group: HTTPS out to the EKS cluster
  security group, to the VPC interface endpoints and through NAT; nothing in.
- The cluster security group admits HTTPS from the runner's group (the rule is made here, with
  the runner's side of it).
- Not privileged (no Docker daemon), the project encrypted with a customer-managed key, build
  logs to a KMS-encrypted CloudWatch log group with a retention period.
- A least-privilege service role: write its own log group, create and delete its network
  interfaces in the given subnets, use the one connection, use the one key. The role has no
  deployment rights and no Kubernetes access: jobs deploy with the deploy role they get through
  GitHub OIDC (`AssumeRoleWithWebIdentity`, a first hop, so the role's maximum session applies;
  assuming it from this role's credentials would be role chaining, capped at one hour by STS).
- `build_timeout_minutes` bounds a job on the runner; it matches the deploy role's session
  (`DEPLOY_SESSION_SECONDS`), the workflows' `role-duration-seconds` and `timeout-minutes`.

Names checked at their publishers: the CodeBuild project, webhook and filter fields in
pulumi_aws/codebuild/project.py and webhook.py (`WORKFLOW_JOB_QUEUED`, filter type `EVENT`,
source auth type `CODECONNECTIONS`, `build_timeout` in minutes 5..2160); the runner label format
in the CodeBuild user guide ("Label overrides supported with the CodeBuild-hosted GitHub Actions
runner"); the service role's EC2 and `codeconnections:GetConnection(Token)` actions in the
provider's CodeBuild project example and the guide's "GitHub App connections" page; the image
`aws/codebuild/standard:7.0` (Ubuntu 22.04) in aws/aws-codebuild-docker-images.

Example::

    runner = DeployRunner("deploy-runner", DeployRunnerArgs(
        names=names, scope=AwsScope(account_id="123456789012", region="us-east-1"),
        vpc_id=network.vpc.id, subnet_ids=network.private_subnet_ids,
        cluster_security_group_id=cluster.cluster_security_group_id,
        endpoint_security_group_id=network.endpoint_security_group_id,
        connection_arn="arn:aws:codeconnections:us-east-1:123456789012:connection/"
                       "0b4e7d2c-1f6a-4c3e-9b8d-5a7e6f4c3b2a",
        repository="example-org/meridian",
        encryption_key_arn=keys.arn(KeyClass.STORAGE), logs_key_arn=keys.arn(KeyClass.LOGS),
        log_retention_days=30), opts=in_region)
    # jobs: runs-on: codebuild-<runner.project_name>-${{ github.run_id }}-${{ github.run_attempt }}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.iam import policy_document, service_trust_policy, statement
from components.common.naming import Names
from components.common.scope import AwsScope
from components.common.security_groups import peer_group_rules

DEPLOY_SESSION_SECONDS = 4 * 3600
"""How long one deploy job may hold its credentials and run: longer than a regional `up` (MSK,
an Aurora global member and the Cassandra datacenter each take well over half an hour). The deploy
role's MaxSessionDuration, the workflows' `role-duration-seconds` and `timeout-minutes` and the
runner's `build_timeout` all equal it (tests/test_ci_workflows.py)."""

BUILD_IMAGE = "aws/codebuild/standard:7.0"
"""CodeBuild's curated Ubuntu 22.04 image: `actions/setup-python` finds its Python builds for
Ubuntu releases, not for Amazon Linux."""

COMPUTE_TYPES: tuple[str, ...] = (
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE",
    "BUILD_GENERAL1_2XLARGE",
)
"""Container compute types of a Linux project (pulumi_aws codebuild ProjectEnvironment)."""

CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:"
    r"connection/[0-9a-f-]{36}$"
)
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
HTTPS = 443


def runner_project_name(names: Names) -> str:
    """The CodeBuild project (and so the runner label) of a region."""
    return names.physical("deploy-runner", max_length=100)


def runner_label(project_name: str, run_id: str, run_attempt: str) -> str:
    """The `runs-on` label CodeBuild answers: codebuild-<project>-<run id>-<run attempt>."""
    return f"codebuild-{project_name}-{run_id}-{run_attempt}"


@dataclass(frozen=True)
class DeployRunnerArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region the runner runs in."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (routed to the NAT gateways and the VPC endpoints)."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: the runner reaches the API endpoint's ENIs through it."""
    endpoint_security_group_id: pulumi.Input[str]
    connection_arn: str
    """A CodeConnections (or CodeStar Connections) connection to GitHub, authorized by hand."""
    repository: str
    """`owner/name` of the GitHub repository whose workflows use the runner."""
    encryption_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    build_timeout_minutes: int = DEPLOY_SESSION_SECONDS // 60

    def __post_init__(self) -> None:
        if not CONNECTION_ARN.match(self.connection_arn):
            raise ValueError(f"{self.connection_arn!r} is not a CodeConnections connection ARN")
        if not REPOSITORY.match(self.repository):
            raise ValueError(f"{self.repository!r} is not a GitHub owner/name")
        if self.compute_type not in COMPUTE_TYPES:
            raise ValueError(f"compute_type must be one of {COMPUTE_TYPES}")
        if not 5 <= self.build_timeout_minutes <= 2160:
            raise ValueError("build_timeout_minutes must be within CodeBuild's 5..2160")
        if not self.subnet_ids:
            raise ValueError("the runner needs at least one private subnet")

    @property
    def project_name(self) -> str:
        return runner_project_name(self.names)

    @property
    def connection_service(self) -> str:
        """The IAM service prefix of the connection's actions (the ARN's service)."""
        return self.connection_arn.split(":")[2]


class DeployRunner(pulumi.ComponentResource):
    """A CodeBuild-hosted GitHub Actions runner in the VPC that can reach the EKS API."""

    project_name: str
    project: aws.codebuild.Project
    role: aws.iam.Role
    security_group: aws.ec2.SecurityGroup
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:delivery:DeployRunner", name, None, opts)
        self.project_name = args.project_name
        self.security_group = self._security_group(name, args)
        self.log_group = self._log_group(name, args)
        self.role, policy = self._role(name, args)
        self.project = self._project(name, args, policy)
        self.register_outputs(
            {
                "projectName": self.project.name,
                "roleArn": self.role.arn,
                "securityGroupId": self.security_group.id,
                "logGroupName": self.log_group.name,
            }
        )

    def _security_group(self, name: str, args: DeployRunnerArgs) -> aws.ec2.SecurityGroup:
        """The runner's own group, HTTPS out only; the cluster admits it."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        project_name = args.project_name
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Deploy runner {project_name}: HTTPS out only",
            revoke_rules_on_delete=True,
            tags={"Name": names.display("deploy-runner")},
            opts=child,
        )
        sg = security_group.id
        peer_group_rules(
            client_group_id=sg,
            server_group_id=args.cluster_security_group_id,
            port=HTTPS,
            egress_name=f"{name}-to-cluster-api",
            ingress_name=f"{name}-cluster-from-runner",
            egress_description="The EKS API endpoint (private)",
            ingress_description=f"Deploy runner {project_name} to the Kubernetes API",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-endpoints",
            security_group_id=sg,
            referenced_security_group_id=args.endpoint_security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="AWS APIs through the VPC interface endpoints (STS, KMS, logs, EKS)",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-https",
            security_group_id=sg,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="GitHub, the Pulumi backend, registries, S3: through NAT or the gateway",
            opts=child,
        )
        return security_group

    def _log_group(self, name: str, args: DeployRunnerArgs) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/codebuild/{args.project_name}",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role(self, name: str, args: DeployRunnerArgs) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The service role: logs, its ENIs, the connection, the key; nothing else."""
        child = pulumi.ResourceOptions(parent=self)
        names = args.names
        project_name = args.project_name
        project_arn = args.scope.arn("codebuild", f"project/{project_name}")
        role = aws.iam.Role(
            f"{name}-role",
            name=names.physical("deploy-runner", max_length=64),
            description=f"Service role of the CodeBuild deploy runner {project_name}",
            assume_role_policy=service_trust_policy(
                "codebuild.amazonaws.com",
                # only this project may act as the role (confused deputy)
                condition={
                    "StringEquals": {
                        "aws:SourceAccount": args.scope.account_id,
                        "aws:SourceArn": project_arn,
                    }
                },
            ),
            opts=child,
        )
        subnet_arns = [
            pulumi.Output.concat(args.scope.arn("ec2", "subnet/"), subnet)
            for subnet in args.subnet_ids
        ]
        connection = args.connection_service
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=policy_document(
                [
                    statement(
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [self.log_group.arn, pulumi.Output.concat(self.log_group.arn, ":*")],
                        sid="BuildLogs",
                    ),
                    statement(  # describe calls have no resource-level permissions
                        [
                            "ec2:CreateNetworkInterface",
                            "ec2:DescribeDhcpOptions",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DeleteNetworkInterface",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeVpcs",
                        ],
                        "*",
                        sid="VpcNetworkInterfaces",
                    ),
                    statement(
                        ["ec2:CreateNetworkInterfacePermission"],
                        args.scope.arn("ec2", "network-interface/*"),
                        sid="VpcNetworkInterfacePermission",
                        # ec2:Subnet is an ARN-typed key (Service Authorization Reference, EC2
                        # condition keys): ArnEquals; the service name is a string.
                        condition={
                            "ArnEquals": {"ec2:Subnet": subnet_arns},
                            "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                        },
                    ),
                    statement(
                        [f"{connection}:GetConnectionToken", f"{connection}:GetConnection"],
                        args.connection_arn,
                        sid="GitHubConnection",
                    ),
                    statement(
                        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        args.encryption_key_arn,
                        sid="ProjectKey",
                    ),
                ]
            ),
            opts=child,
        )
        return role, policy

    def _project(
        self, name: str, args: DeployRunnerArgs, policy: aws.iam.RolePolicy
    ) -> aws.codebuild.Project:
        """The CodeBuild project and its webhook."""
        names = args.names
        project = aws.codebuild.Project(
            f"{name}-project",
            name=args.project_name,
            description=f"GitHub Actions runner for {args.repository} in {names.display('vpc')}",
            service_role=self.role.arn,
            source={
                "type": "GITHUB",
                "location": f"https://github.com/{args.repository}.git",
                "auth": {"type": "CODECONNECTIONS", "resource": args.connection_arn},
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": args.compute_type,
                "image": BUILD_IMAGE,
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": False,
            },
            vpc_config={
                "vpc_id": args.vpc_id,
                "subnets": list(args.subnet_ids),
                "security_group_ids": [self.security_group.id],
            },
            encryption_key=args.encryption_key_arn,
            logs_config={
                "cloudwatch_logs": {"status": "ENABLED", "group_name": self.log_group.name},
                "s3_logs": {"status": "DISABLED"},
            },
            build_timeout=args.build_timeout_minutes,
            queued_timeout=60,
            # the role's EC2 permissions must exist before CodeBuild validates the VPC settings
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return project
