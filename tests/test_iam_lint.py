"""Every IAM policy document of every shipped plan, linted against AWS's own action, resource and
condition-key data (parliament, pinned in requirements.txt, with its bundled copy of the IAM
Service Authorization Reference).

What is linted: every input of every planned resource that holds an IAM JSON document (a string
that parses to an object with a "Statement"): role inline and managed policies, trust policies,
key, bucket, topic, queue and MSK cluster policies, and any other `policy` input. What a finding
is: an action AWS does not define, a condition key paired with an action that does not support it
(such a statement never allows that action), a malformed ARN or statement, a resource that no
statement's resource type fits. Findings parliament reports per statement that IAM evaluates per
document are judged per document (see `_uncovered`).

A finding that is a fault of the linter (its data is older than AWS's, or it does not know a
documented form) goes in tests/data/iam_lint_suppressions.yaml: one entry per document and
finding, with the reason and the AWS page that says so. Nothing else is ever silenced.

In preview, documents whose value is not known yet are counted as not checked (never as passes).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from parliament import analyze_policy_string, is_arn_match

from tests.plans import name_of, planned, states

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ENVIRONMENTS = ("dev", "staging", "prod")
MODES = [False, True]
MODE_IDS = ["up", "preview"]
SUPPRESSIONS = Path(__file__).parent / "data" / "iam_lint_suppressions.yaml"

OUT_OF_SCOPE = frozenset({"RESOURCE_STAR", "RESOURCE_EFFECTIVELY_STAR"})
"""Parliament's least-privilege hints, not validity: in a key, bucket or topic policy "*" is the
resource itself, and read-only actions without resource types need it. Scoping is the policy
pack's job (policies/zero_trust_identity.py)."""

TRUST_KEY = "assumeRolePolicy"


@dataclass(frozen=True)
class Finding:
    stack: str
    resource_type: str
    name: str
    key: str
    issue: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.stack} {self.resource_type} {self.name} [{self.key}]"
        return f"{where}: {self.issue} {self.detail}"


@dataclass(frozen=True)
class Document:
    stack: str
    resource_type: str
    name: str
    key: str
    text: str


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, str(i)))
    elif isinstance(value, str):
        yield ".".join(path), value


def _is_document(text: str) -> bool:
    if '"Statement"' not in text:
        return False
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "Statement" in parsed


def documents(plans: dict[str, dict[str, Any]]) -> tuple[list[Document], Counter[str]]:
    """Every IAM document in the plans, and per resource type how many document inputs are not
    known yet (preview)."""
    found: list[Document] = []
    not_checked: Counter[str] = Counter()
    for stack, plan in plans.items():
        for state in states(plan):
            for key, text in _strings(state.get("inputs", {})):
                leaf = key.rsplit(".", 1)[-1]
                if UNKNOWN in text:
                    if leaf in ("policy", TRUST_KEY) or '"Statement"' in text:
                        not_checked[state["type"]] += 1
                    continue
                if _is_document(text):
                    found.append(Document(stack, state["type"], name_of(state), key, text))
    return found, not_checked


def _with_role_as_resource(text: str) -> str:
    """A trust policy has no Resource element: the role it is attached to is the resource
    (IAM User Guide, "Policies and permissions", role trust policy). Lint it as such, so the
    sts: actions and the condition keys paired with them are checked like any statement."""
    parsed = json.loads(text)
    role = "arn:aws:iam::123456789012:role/trusting-role"
    for statement in parsed["Statement"]:
        statement.setdefault("Resource", role)
    return json.dumps(parsed)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _uncovered(parsed: dict[str, Any], action: str, required_format: str) -> bool:
    """Whether no Allow statement of the document gives `action` on a resource of the required
    format. IAM authorizes each resource of a request against every statement, so a policy may
    name an action's required resource types in separate statements (Karpenter's reference
    policy does); parliament checks each statement alone."""
    service, _, name = action.partition(":")
    for statement in parsed["Statement"]:
        if statement.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _listed(statement.get("Action", []))]
        wanted = f"{service}:{name}".lower()
        if not any(
            a == "*" or (a.endswith("*") and wanted.startswith(a[:-1])) or a == wanted
            for a in actions
        ):
            continue
        for resource in _listed(statement.get("Resource", [])):
            # an action without resource types is allowed only on "*"
            if resource == "*" or (
                required_format != "*" and is_arn_match("", required_format, resource)
            ):
                return False
    return True


def lint(document: Document) -> list[Finding]:
    text = _with_role_as_resource(document.text) if document.key == TRUST_KEY else document.text
    return [
        Finding(document.stack, document.resource_type, document.name, document.key, issue, detail)
        for issue, detail in _issues(text)
    ]


@functools.cache
def _issues(text: str) -> tuple[tuple[str, str], ...]:
    """(issue, detail) of every finding in one document's text. The findings depend on the text
    alone, and the same text recurs (across regions, environments, up and preview), so each
    distinct text is analyzed once."""
    parsed = json.loads(text)
    result: list[tuple[str, str]] = []
    for finding in analyze_policy_string(text).findings:
        if finding.issue in OUT_OF_SCOPE:
            continue
        if finding.issue == "RESOURCE_MISMATCH":
            for item in finding.detail:
                if _uncovered(parsed, item["action"], item["required_format"]):
                    result.append(
                        (finding.issue, f"{item['action']} needs {item['required_format']}")
                    )
            continue
        detail = finding.detail
        if isinstance(finding.location, dict) and finding.location.get("string"):
            detail = f"{detail} ({finding.location['string']})"
        result.append((finding.issue, str(detail)))
    return tuple(result)


def load_suppressions() -> list[dict[str, str]]:
    entries = yaml.safe_load(SUPPRESSIONS.read_text()) or []
    for entry in entries:
        missing = {"type", "name", "issue", "detail", "reason", "reference"} - set(entry)
        assert not missing, f"suppression {entry} lacks {sorted(missing)}"
        assert entry["reference"].startswith("https://docs.aws.amazon.com/"), entry
    return entries


def suppressed(finding: Finding, entries: list[dict[str, str]]) -> dict[str, str] | None:
    for entry in entries:
        if (
            entry["type"] == finding.resource_type
            and entry["name"] == finding.name
            and entry["issue"] == finding.issue
            and entry["detail"] == finding.detail
        ):
            return entry
    return None


def lint_plans(
    plans: dict[str, dict[str, Any]],
) -> tuple[list[Finding], set[int], int, Counter[str]]:
    """Findings left after the suppressions, which suppressions were used, how many documents
    were linted, and what was not checked (unknown in preview)."""
    entries = load_suppressions()
    docs, not_checked = documents(plans)
    left: list[Finding] = []
    used: set[int] = set()
    for document in docs:
        for finding in lint(document):
            entry = suppressed(finding, entries)
            if entry is None:
                left.append(finding)
            else:
                used.add(entries.index(entry))
    return left, used, len(docs), not_checked


# --- the shipped plans --------------------------------------------------------------------------


@functools.cache
def shipped_lint(
    environment: str, preview: bool
) -> tuple[list[Finding], set[int], int, Counter[str]]:
    """`lint_plans` of a shipped environment's plans (read by the per-plan test and the
    suppression test alike)."""
    return lint_plans(planned(environment, preview))


@pytest.mark.parametrize("preview", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_policy_document_passes_the_lint(environment: str, preview: bool) -> None:
    left, _, linted, not_checked = shipped_lint(environment, preview)
    print(
        f"{environment} {MODE_IDS[preview]}: {linted} documents linted; not checked "
        f"(unknown in preview): {dict(not_checked) or 0}"
    )
    assert linted > 0
    assert not left, "IAM lint findings:\n" + "\n".join(str(f) for f in left)
    if not preview:
        assert not not_checked, f"unknown documents in an up plan: {dict(not_checked)}"


def test_every_kind_of_document_is_linted() -> None:
    docs, _ = documents(planned("prod"))
    kinds = {(d.resource_type, d.key) for d in docs}
    for kind in [
        ("aws:iam/role:Role", TRUST_KEY),
        ("aws:iam/rolePolicy:RolePolicy", "policy"),
        ("aws:kms/key:Key", "policy"),
        ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
        ("aws:sns/topicPolicy:TopicPolicy", "policy"),
        ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
        ("aws:msk/clusterPolicy:ClusterPolicy", "policy"),
    ]:
        assert kind in kinds, f"no {kind} document in the prod plan"


def test_every_suppression_is_still_needed() -> None:
    entries = load_suppressions()
    used: set[int] = set()
    for environment in ENVIRONMENTS:
        for preview in MODES:
            used |= shipped_lint(environment, preview)[1]
    stale = [entries[i] for i in range(len(entries)) if i not in used]
    assert not stale, f"suppressions no finding needs any more: {stale}"


# --- the lint can fail ----------------------------------------------------------------------------


def _document(*statements: dict[str, Any], key: str = "policy") -> Document:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return Document("test", "aws:iam/rolePolicy:RolePolicy", "probe", key, text)


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_grant_condition_on_key_use_is_a_finding() -> None:
    """One statement pairing kms:GrantIsForAWSResource with Decrypt and GenerateDataKey*: a
    condition key the use operations never carry, so they are never allowed."""
    findings = lint(
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                ],
                "Resource": KEY,
                "Condition": {
                    "StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            }
        )
    )
    flagged = {f.detail for f in findings if f.issue == "UNKNOWN_CONDITION_FOR_ACTION"}
    assert flagged == {
        f"Unknown condition kms:GrantIsForAWSResource for action kms:{action}"
        for action in ("GenerateDataKeyWithoutPlaintext", "Decrypt", "DescribeKey")
    }


def test_a_made_up_action_is_a_finding() -> None:
    findings = lint(_document({"Effect": "Allow", "Action": "s3:GetObjectz", "Resource": "*"}))
    assert [f.issue for f in findings] == ["UNKNOWN_ACTION"]


def test_a_malformed_arn_is_a_finding() -> None:
    findings = lint(
        _document({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:key/x"})
    )
    assert "INVALID_ARN" in {f.issue for f in findings}


def test_a_wrong_condition_in_a_trust_policy_is_a_finding() -> None:
    findings = lint(
        _document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
            },
            key=TRUST_KEY,
        )
    )
    assert {f.issue for f in findings} == {"UNKNOWN_CONDITION_FOR_ACTION"}


def test_resource_types_split_over_statements_are_one_document() -> None:
    """RunInstances needs image, instance, network-interface, security-group, subnet and volume:
    in two statements that is fine, with one of them missing it is a finding."""
    launch = {"Effect": "Allow", "Action": "ec2:RunInstances"}
    shared = [
        "arn:aws:ec2:us-east-1::image/*",
        "arn:aws:ec2:us-east-1:*:security-group/*",
        "arn:aws:ec2:us-east-1:*:subnet/*",
    ]
    created = ["arn:aws:ec2:us-east-1:*:instance/*", "arn:aws:ec2:us-east-1:*:network-interface/*"]
    whole = lint(_document({**launch, "Resource": shared}, {**launch, "Resource": created}))
    assert not [f for f in whole if f.issue == "RESOURCE_MISMATCH"]
    partial = lint(_document({**launch, "Resource": shared}))
    assert "RESOURCE_MISMATCH" in {f.issue for f in partial}


def test_unknown_documents_are_not_checked() -> None:
    plan = {
        "steps": [
            {
                "newState": {
                    "type": "aws:iam/rolePolicy:RolePolicy",
                    "urn": "urn:pulumi:s::p::aws:iam/rolePolicy:RolePolicy::probe",
                    "inputs": {"policy": UNKNOWN},
                }
            }
        ]
    }
    docs, not_checked = documents({"s": plan})
    assert docs == []
    assert not_checked == Counter({"aws:iam/rolePolicy:RolePolicy": 1})
