"""Shared case type for the table-driven policy tests.

Every policy module ``policies/<module>.py`` has a sibling ``tests/policies/cases_<module>.py``
exporting ``CASES: list[PolicyCase]``. The harness (``tests/policies/harness.py``) turns each case
into the protobuf requests the Pulumi engine sends to a policy pack and runs them through the
pack's real gRPC servicer, so cases never hand-build ``ResourceValidationArgs``.

Resource policies:
    ``PolicyCase(policy="no-public-ingress", type="aws:ec2/securityGroup:SecurityGroup",
    props={...}, expect_violation=True)`` evaluates one ``Analyze`` request for a resource of
    ``type`` with input properties ``props`` (engine camelCase names). ``options`` are resource
    options in the engine's AnalyzerResourceOptions naming (``protect``, ``ignoreChanges``,
    ``deleteBeforeReplace``, ``aliases``, ``customTimeouts``, ``additionalSecretOutputs``,
    ``parent``); ``provider_props`` are the provider resource's inputs (e.g. ``{"region":
    "us-east-1"}``). Use the string ``UNKNOWN`` (below) anywhere in ``props`` for a value that is
    unknown during preview.

Stack policies:
    set ``stack`` to the whole stack: a list of dicts ``{"type": ..., "props": {...}, "name": ...,
    "options": {...}?, "parent": "<name of another entry>"?, "provider_props": {...}?}``.
    ``type``/``props`` of the case itself are ignored for stack policies (use ``type=""``,
    ``props={}``). The harness sends one ``AnalyzeStack`` request with every entry.

``expect_violation`` is whether the named policy must report at least one violation.
``note`` says what the case demonstrates (shown in the test id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The engine's "unknown during preview" sentinel (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class PolicyCase:
    """One table row: a policy, an input, and whether the policy must fire."""

    policy: str
    type: str
    props: dict[str, Any]
    expect_violation: bool
    options: dict[str, Any] | None = None
    provider_props: dict[str, Any] | None = None
    stack: list[dict[str, Any]] | None = None
    note: str = ""

    @property
    def is_stack(self) -> bool:
        return self.stack is not None

    def case_id(self) -> str:
        verdict = "violates" if self.expect_violation else "passes"
        suffix = f"-{self.note}" if self.note else ""
        return f"{self.policy}-{verdict}{suffix}"
