"""Values judged as the user wrote them: YAML 1.1 coercions refused with the expected type, one
reading of a key for the gate and for every stack's program, partitions other than `aws`, nested
misspellings, account ids to quote, keys outside `meridian:`, root cause first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from meridian_ops.plan.engine import encode_config, run_stack
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.config.source import PulumiConfigSource, decode_engine_value, read_stack_file
from stacks.config.types import MeridianModel
from stacks.program import main
from tests.config_projects import add_config, copy_project, replace_in

OWNER = "meridian:owner: platform-engineering"


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "dev", "dev")


def gate_text(project: Path, environment: str = "dev") -> str:
    with pytest.raises(ConfigError) as info:
        check_environment(environment, project)
    return str(info.value)


def program_error(project: Path, stack: str, config: dict[str, Any]) -> ConfigError:
    """The error the Pulumi program of `stack` raises, run by the engine with `config`."""
    with pytest.raises(ConfigError) as info:
        run_stack(stack, config, lambda: main(PulumiConfigSource(project)), preview=True)
    return info.value


def problem_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]


# -- YAML 1.1 coercions: strict types for counts, sizes, flags and text --


def test_yes_given_to_a_count_is_a_boolean_not_one(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "meridian:network:\n  azCount: yes")
    text = gate_text(dev)
    assert "meridian:network.azCount = True: is a boolean" in text
    assert "YAML reads unquoted yes, no, on, off, true and false as booleans" in text
    assert "azCount must be an integer" in text and "Fix: write a whole number" in text


def test_a_float_given_to_a_count_is_not_truncated(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "meridian:sizing:\n  kafka:\n    brokersPerAz: 2.5")
    text = gate_text(dev)
    assert "meridian:sizing.kafka.brokersPerAz = 2.5: is a fraction" in text
    assert "Meridian does not round" in text
    assert "Fix: write a whole number, e.g. brokersPerAz: 2 or 3" in text


def test_on_given_to_text_is_refused_with_quote_it(dev: Path) -> None:
    replace_in(dev, "dev-global", OWNER, "meridian:owner: on")
    text = gate_text(dev)
    assert "meridian:owner = True: is a boolean" in text and "owner must be text" in text
    assert 'Fix: quote it: meridian:owner: "true"' in text


def test_a_quoted_number_given_to_a_count_is_refused(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", 'meridian:network:\n  azCount: "3"')
    text = gate_text(dev)
    assert "meridian:network.azCount = '3': is text" in text
    assert "write the number without quotes: azCount: 3" in text


def test_flags_take_only_booleans() -> None:
    class Flagged(MeridianModel):
        enabled: bool
        count: int
        name: str

    with pytest.raises(ValidationError) as info:
        Flagged.model_validate({"enabled": "yes", "count": True, "name": 12})
    assert {e["type"] for e in info.value.errors()} == {"bool_type", "int_type", "string_type"}
    assert Flagged.model_validate({"enabled": False, "count": 3, "name": "x"}).count == 3


def test_engine_text_is_read_as_the_stack_file_reads_it() -> None:
    assert decode_engine_value("3") == 3
    assert decode_engine_value("yes") is True
    assert decode_engine_value("012345678901") == 12345678901
    assert decode_engine_value("platform-engineering") == "platform-engineering"
    assert decode_engine_value('{"azCount": 3}') == {"azCount": 3}
    assert decode_engine_value("a: b") == "a: b"  # text that merely looks structured


def test_engine_path_and_file_path_judge_a_key_alike(dev: Path, tmp_path: Path) -> None:
    """The same values, once in a stack file read by the gate and once passed by the engine as
    text to a stack whose file is not on disk: the same problems, word for word."""
    replace_in(dev, "dev-global", OWNER, "meridian:owner: yes")
    add_config(dev, "dev-global", 'meridian:network:\n  azCount: "3"')
    from_file = problem_lines(gate_text(dev))
    engine_only = tmp_path / "engine-only"
    engine_only.mkdir()
    config = {
        "pulumi:disable-default-providers": ["*"],
        "meridian:owner": "yes",  # the engine passes top-level scalars as text
        "meridian:costCenter": "CC-4100",
        "meridian:regions": ["us-east-1"],
        "meridian:network": {"azCount": "3"},
    }
    from_engine = problem_lines(str(program_error(engine_only, "dev-global", config)))
    assert from_engine == from_file
    assert len(from_file) == 2


def test_every_stack_reads_an_unquoted_account_id_the_same_way(dev: Path) -> None:
    """Before the gate, the global stack (given the engine's text) accepted what the regional
    stacks (reading the manifest file) refused."""
    add_config(dev, "dev-global", "meridian:awsAccountId: 123456789012")
    gate = problem_lines(gate_text(dev))
    assert gate == [
        "- meridian:awsAccountId = 123456789012: is a number (YAML reads unquoted digits as a "
        "number and drops leading zeros); awsAccountId must be text. Fix: "
        'quote it: meridian:awsAccountId: "123456789012" (an account id is 12 digits, leading '
        "zeros included) in Pulumi.dev-global.yaml."
    ]
    for stack in ("dev-global", "dev-us-east-1"):
        config = read_stack_file(dev / f"Pulumi.{stack}.yaml")
        assert problem_lines(str(program_error(dev, stack, config))) == gate, stack


def test_an_account_id_that_lost_its_leading_zero_says_quote_it(dev: Path) -> None:
    add_config(dev, "dev-global", "meridian:awsAccountId: 012345678901")
    text = gate_text(dev)
    assert "meridian:awsAccountId = 12345678901" in text
    assert 'quote it: meridian:awsAccountId: "012345678901"' in text


def test_a_quoted_account_id_is_accepted(dev: Path) -> None:
    add_config(dev, "dev-global", 'meridian:awsAccountId: "012345678901"')
    assert check_environment("dev", dev)["dev-global"].manifest.aws_account_id == "012345678901"


# -- regions of other partitions --


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
    ],
)
def test_a_region_of_another_partition_is_named_and_refused(
    dev: Path, region: str, partition: str
) -> None:
    replace_in(dev, "dev-global", "    - us-east-1", f"    - us-east-1\n    - {region}")
    text = gate_text(dev)
    assert f"meridian:regions[1] = '{region}': is a region of" in text
    assert f"({partition})" in text or f"partition {partition}" in text
    assert "Meridian does not support" in text
    assert "did you mean" not in text


def test_a_stack_file_for_an_iso_region_is_named_as_such(dev: Path) -> None:
    (dev / "Pulumi.dev-us-iso-east-1.yaml").write_text("config: {}\n")
    text = gate_text(dev)
    assert "Pulumi.dev-us-iso-east-1.yaml" in text and "aws-iso" in text
    assert "does not support" in text


# -- misspelled keys, top-level and nested --


def test_a_misspelled_nested_key_gets_did_you_mean(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "meridian:sizing:\n  gpuNodes:\n    maxNodes: 10")
    text = gate_text(dev)
    assert "meridian:sizing.gpuNodes.maxNodes = 10: is not a Meridian setting" in text
    assert "(did you mean meridian:sizing.gpuNodes.maxSize?)" in text


def test_a_misspelled_top_level_key_gets_did_you_mean(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "meridian:netwrok:\n  azCount: 3")
    assert "(did you mean meridian:network?)" in gate_text(dev)


def test_a_hint_never_names_the_key_it_refused(dev: Path) -> None:
    add_config(dev, "dev-edge", "meridian:network:\n  azCount: 3")
    add_config(dev, "dev-us-east-1", "meridian:regions: [us-east-1]")
    text = gate_text(dev)
    assert "meridian:network = {'azCount': 3}: is not read by the edge stack" in text
    assert "meridian:regions = ['us-east-1']: is environment-wide" in text
    assert "did you mean meridian:network" not in text
    assert "did you mean meridian:regions" not in text


# -- keys outside meridian: --


def test_aws_region_contradicting_the_stack_is_refused(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "aws:region: us-west-2")
    text = gate_text(dev)
    assert "aws:region = 'us-west-2': contradicts the stack's region us-east-1" in text
    assert "Fix: remove it from Pulumi.dev-us-east-1.yaml (pulumi config rm aws:region" in text


def test_aws_region_agreeing_with_the_stack_is_accepted(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "aws:region: us-east-1")
    assert "dev-us-east-1" in check_environment("dev", dev)


def test_plain_text_aws_credentials_are_refused_and_not_repeated(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "aws:secretKey: wJalrXUtnFEMIK7MDENG")
    text = gate_text(dev)
    assert "wJalrXUtnFEMIK7MDENG" not in text
    assert "aws:secretKey = '<plain text, not shown>': is an AWS credential in plain text" in text
    assert "AWS_PROFILE" in text and "pulumi config set --secret aws:secretKey" in text


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        ("cloudflare:apiToken: tok-123456", "cloudflare:apiToken"),
        ("myapp:dbPassword: tok-123456", "myapp:dbPassword"),
        ("myapp:database:\n  privateKey: tok-123456", "myapp:database.privateKey"),
    ],
)
def test_a_secret_looking_value_in_plain_text_is_refused(dev: Path, lines: str, key: str) -> None:
    add_config(dev, "dev-us-east-1", lines)
    text = gate_text(dev)
    assert "tok-123456" not in text
    assert f"{key} = '<plain text, not shown>': looks like a secret" in text
    assert "pulumi config set --secret" in text and key in text.split("Fix:", 1)[1]


def test_secrets_stored_encrypted_and_non_secrets_are_accepted(dev: Path) -> None:
    add_config(dev, "dev-us-east-1", "aws:secretKey:\n  secure: v1:AAAA\nmyapp:dbPassword:")
    add_config(dev, "dev-us-east-1", "  secure: v1:BBBB")
    add_config(dev, "dev-us-east-1", "myapp:tokenTtl: 300\ntokenservice:url: https://t.example")
    assert "dev-us-east-1" in check_environment("dev", dev)


# -- root cause first, each problem once --


def test_an_unknown_instance_type_is_the_problem_not_the_az_count(dev: Path) -> None:
    add_config(
        dev, "dev-us-east-1", "meridian:sizing:\n  systemNodes:\n    instanceTypes: [m9z.large]"
    )
    lines = problem_lines(gate_text(dev))
    assert lines[0].startswith("- meridian:sizing.systemNodes.instanceTypes = ['m9z.large']")
    assert "does not track" in lines[0]
    assert not any("azCount" in line for line in lines), lines


def test_a_type_not_offered_is_the_problem_not_the_az_count(tmp_path: Path) -> None:
    prod = copy_project(tmp_path, "prod")
    replace_in(prod, "prod-me-south-1", "      instanceTypes: [m6i.2xlarge]", "      minSize: 6")
    lines = problem_lines(gate_text(prod, "prod"))
    assert len(lines) == 1, lines
    assert "meridian:sizing.systemNodes.instanceTypes" in lines[0]
    assert "not offered in me-south-1" in lines[0] and "offered here: m6i.2xlarge" in lines[0]


def test_a_misspelled_edge_key_is_pointed_to_the_edge_key(dev: Path) -> None:
    add_config(dev, "dev-edge", "meridian:egde:\n  zone: dev.meridian.example.com")
    assert (
        "meridian:egde = {'zone': 'dev.meridian.example.com'}: is not read by the edge stack "
        "(did you mean meridian:edge?)" in gate_text(dev)
    )


def test_a_value_the_engine_marks_secret_is_never_kept_in_clear(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    passed = {"myapp:dbPassword": "hunter2", "meridian:owner": "team"}

    def program() -> None:
        # what the CLI does for a `secure:` value: decrypted, and its key listed as secret
        runtime_config.set_all_config(encode_config(passed), ["myapp:dbPassword"])
        seen.update(PulumiConfigSource(tmp_path).stack_config())

    run_stack("dev-global", {}, program, preview=True)
    assert seen == {"myapp:dbPassword": {"secure": "[secret]"}, "meridian:owner": "team"}
