"""`meridian:alerting`: a receiver is a Pulumi secret or a Secrets Manager secret, never plain
text; a malformed secret name or ARN is one clean problem naming the key, the value and the fix,
through the whole config gate, before anything is planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.alerting_settings import AlertingSettings, validate_alerting
from tests.config_projects import copy_project, replace_in
from tests.test_config_bad_input import gate_text, problem_lines

GOOD_REFERENCES = (
    "meridian/prod/alerting/pager",
    "team+pager=alerts@example_1.x-y",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meridian/prod/alerting/pager-a1B2c3",
    "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:pager-a1B2c3",
)
BAD_REFERENCES = (
    ("meridian/prod/alerting/pager page", "is not a Secrets Manager secret name"),
    ("meridian/prod/alerting/pager#1", "is not a Secrets Manager secret name"),
    ("", "is not a Secrets Manager secret name"),
    ("x" * 513, "is not a Secrets Manager secret name"),
    ("arn:aws:secretsmanager:eu-west-1:1234:secret:pager-a1B2c3", "is not a Secrets Manager"),
    ("arn:aws:ssm:eu-west-1:123456789012:parameter/pager", "is not a Secrets Manager secret ARN"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:pager", "is not a Secrets Manager secret ARN"),
)


@pytest.mark.parametrize("field", ["pager", "ticket", "email"])
@pytest.mark.parametrize("reference", GOOD_REFERENCES)
def test_a_well_formed_secret_reference_is_accepted(field: str, reference: str) -> None:
    settings = AlertingSettings.model_validate({field: {"secretsManager": reference}})
    assert validate_alerting(settings, "Pulumi.prod-global.yaml") == []


@pytest.mark.parametrize("field", ["pager", "ticket", "email"])
@pytest.mark.parametrize(("reference", "said"), BAD_REFERENCES, ids=range(len(BAD_REFERENCES)))
def test_a_malformed_secret_reference_is_one_problem(field: str, reference: str, said: str) -> None:
    settings = AlertingSettings.model_validate({field: {"secretsManager": reference}})
    (problem,) = validate_alerting(settings, "Pulumi.prod-global.yaml")
    assert problem.key == f"meridian:alerting.{field}.secretsManager"
    assert problem.value == reference
    assert said in problem.render()
    assert f"meridian/<env>/alerting/{field}" in problem.fix


def test_plain_text_is_refused_and_the_fix_names_both_secret_forms() -> None:
    settings = AlertingSettings.model_validate({"ticket": "https://tickets.example.org/h?k=1"})
    (problem,) = validate_alerting(settings, "Pulumi.prod-global.yaml")
    assert problem.key == "meridian:alerting.ticket"
    assert "--secret" in problem.fix and "meridian:alerting.ticket.secretsManager" in problem.fix
    assert "tickets.example.org" not in problem.render()
    # a mapping that is neither form is refused the same way
    other = AlertingSettings.model_validate({"pager": {"vault": "x"}})
    assert [p.key for p in validate_alerting(other, "f")] == ["meridian:alerting.pager"]


def test_an_email_that_is_neither_an_address_nor_a_secret_is_refused() -> None:
    for email in ("oncall", "@example.org", "a b@c.org", {"secure": "v1:x"}):
        settings = AlertingSettings.model_validate({"email": email})
        assert [p.key for p in validate_alerting(settings, "f")] == ["meridian:alerting.email"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_a_malformed_secret_name_in_the_manifest_is_one_clean_gate_problem(
    tmp_path: Path, environment: str
) -> None:
    project = copy_project(tmp_path / environment, environment)
    replace_in(
        project,
        f"{environment}-global",
        f"secretsManager: meridian/{environment}/alerting/pager",
        "secretsManager: meridian pager",
    )
    lines = problem_lines(gate_text(project, environment))
    assert len(lines) == 1, lines
    assert "meridian:alerting.pager.secretsManager" in lines[0]
    assert "'meridian pager'" in lines[0] and "Fix: " in lines[0]
