"""AlertTopics: the region's encrypted SNS topics that security findings and alerts go to, and
the customer-managed key they are encrypted with.

- `findings`: GuardDuty, Security Hub and IAM Access Analyzer findings (EventBridge rules).
- `P1`..`P4`: alerts by severity (the seed's P1 critical 5 min .. P4 low 24 h): the SLO burn-rate
  rules through Amazon Managed Service for Prometheus' Alertmanager, the platform's CloudWatch
  alarms, and service events EventBridge rules route (failed secret rotations). Pagers subscribe
  to P1/P2, the ticket queue to P3/P4.

The key is the region's observability key: the KeyRing's keys are usable only through the
services that store their data class, and none of them may be used by the three AWS service
principals that publish here (EventBridge, CloudWatch, Amazon Managed Service for Prometheus).
This key lets exactly those encrypt, each only for sources of this account (`aws:SourceAccount`,
`aws:SourceArn`), and the account use it through SNS and AMP (`kms:ViaService`), so the AMP
workspace is encrypted with it too. Each topic's policy admits its publishers the same way.

Example::

    topics = AlertTopics("alerts", AlertTopicsArgs(names=names,
                         scope=AwsScope(account_id=account_id, region="us-east-1")), opts=in_region)
    topics.arns["P1"], topics.findings.arn, topics.key.arn
    # receivers: AlertTopicsArgs(..., subscriptions=(AlertSubscription("P1", "https", pager),))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.iam import deny_insecure_transport
from components.common.kms import (
    KEY_GRANT_ACTIONS,
    KEY_USE_ACTIONS,
    account_use_statement,
    service_use_statement,
)
from components.common.kms import key_policy as shared_key_policy
from components.common.naming import Names
from components.common.scope import AwsScope
from components.foundation.keyring import customer_key

SEVERITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
FINDINGS = "findings"
PUBLISHERS: dict[str, str] = {
    "events.amazonaws.com": "events:{region}:{account}:rule/*",
    "cloudwatch.amazonaws.com": "cloudwatch:{region}:{account}:alarm:*",
    "aps.amazonaws.com": "aps:{region}:{account}:workspace/*",
}
"""The service principals that publish to the topics, and the source ARNs they may act for."""
TOPIC_PUBLISHERS: dict[str, tuple[str, ...]] = {
    FINDINGS: ("events.amazonaws.com",),
    **{
        s: ("cloudwatch.amazonaws.com", "aps.amazonaws.com", "events.amazonaws.com")
        for s in SEVERITIES
    },
}


SUBSCRIPTION_PROTOCOLS: frozenset[str] = frozenset({"https", "email"})
"""SNS protocols a receiver may use (pulumi_aws sns/topic_subscription.py `protocol`): a pager's or
ticket system's HTTPS integration URL, or an email address. Plain `http` is refused (TLS)."""


@dataclass(frozen=True)
class AlertSubscription:
    """Who receives a severity's alerts: an HTTPS endpoint (PagerDuty's or Opsgenie's SNS
    integration URL, a ticket system's webhook) or an email address. `endpoint` is a secret
    Output where it carries a token (an integration key in the URL)."""

    severity: str
    protocol: str
    endpoint: pulumi.Input[str]

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if self.protocol not in SUBSCRIPTION_PROTOCOLS:
            raise ValueError(
                f"protocol {self.protocol!r} is not one of {sorted(SUBSCRIPTION_PROTOCOLS)}"
            )


@dataclass(frozen=True)
class AlertTopicsArgs:
    names: Names
    scope: AwsScope
    """The account, partition and region the key and topics live in."""
    deletion_window_days: int = 30
    protect: bool = True
    subscriptions: tuple[AlertSubscription, ...] = ()
    """The receivers of P1..P4 (pager, ticket queue, email); none: alerts reach no one."""


def _source_arn(args: AlertTopicsArgs, principal: str) -> str:
    scope = args.scope
    return f"arn:{scope.partition}:" + PUBLISHERS[principal].format(
        region=scope.region, account=scope.account_id
    )


def key_policy(args: AlertTopicsArgs) -> dict[str, Any]:
    scope = args.scope
    return shared_key_policy(
        scope.partition,
        scope.account_id,
        [
            account_use_statement(
                scope.partition,
                scope.account_id,
                "UseThroughSnsAndAmp",
                [scope.service_endpoint("sns"), scope.service_endpoint("aps")],
                [*KEY_USE_ACTIONS, *KEY_GRANT_ACTIONS],
            ),
            *(
                service_use_statement(
                    f"PublishFrom{principal.split('.')[0].capitalize()}",
                    principal,
                    ["kms:GenerateDataKey*", "kms:Decrypt"],
                    {
                        "StringEquals": {"aws:SourceAccount": args.scope.account_id},
                        "ArnLike": {"aws:SourceArn": _source_arn(args, principal)},
                    },
                )
                for principal in PUBLISHERS
            ),
        ],
    )


def topic_policy(topic_arn: str, topic: str, args: AlertTopicsArgs) -> str:
    root = args.scope.root
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountManages",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish",
            ],
            "Resource": topic_arn,
        },
        deny_insecure_transport("SNS:Publish", topic_arn),
    ]
    for principal in TOPIC_PUBLISHERS[topic]:
        statements.append(
            {
                "Sid": f"PublishFrom{principal.split('.')[0].capitalize()}",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": args.scope.account_id},
                    "ArnLike": {"aws:SourceArn": _source_arn(args, principal)},
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class AlertTopics(pulumi.ComponentResource):
    key: aws.kms.Key
    topics: dict[str, aws.sns.Topic]
    arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: AlertTopicsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:security:AlertTopics", name, None, opts)
        names = args.names
        self.key = customer_key(
            f"{name}-key",
            description=f"Meridian {names.environment} {args.scope.region}: findings and alerts "
            "(SNS topics, AMP workspace)",
            policy=key_policy(args),
            alias=names.kms_alias("observability"),
            display_name=names.display("kms", "observability"),
            deletion_window_days=args.deletion_window_days,
            protect=args.protect,
            parent=self,
        )
        self.topics = {}
        for topic in (FINDINGS, *SEVERITIES):
            resource = aws.sns.Topic(
                f"{name}-{topic.lower()}",
                name=names.physical("alerts", topic.lower()),
                display_name=f"Meridian {names.environment} {args.scope.region} {topic}",
                kms_master_key_id=self.key.arn,
                tags={"meridian:severity": topic},
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.sns.TopicPolicy(
                f"{name}-{topic.lower()}-policy",
                arn=resource.arn,
                policy=resource.arn.apply(lambda arn, t=topic: topic_policy(arn, t, args)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.topics[topic] = resource
        self.subscriptions: list[aws.sns.TopicSubscription] = []
        for index, receiver in enumerate(args.subscriptions):
            self.subscriptions.append(
                aws.sns.TopicSubscription(
                    f"{name}-{receiver.severity.lower()}-{receiver.protocol}-{index}",
                    topic=self.topics[receiver.severity].arn,
                    protocol=receiver.protocol,
                    endpoint=receiver.endpoint,
                    # PagerDuty's and Opsgenie's SNS integrations confirm the subscription
                    # themselves; an email address confirms by a person's click
                    endpoint_auto_confirms=receiver.protocol == "https",
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        self.findings = self.topics[FINDINGS]
        self.arns = {t: r.arn for t, r in self.topics.items()}
        self.register_outputs({"topicArns": self.arns, "keyArn": self.key.arn})
