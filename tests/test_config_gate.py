"""The config gate: every stack file of an environment judged before the first stack is planned;
one message, grouped by file, root cause first, each problem once; no plan file on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meridian_ops.plan import cli as plan_module
from meridian_ops.plan.aws_mocks import MotoValidator
from meridian_ops.plan.cli import cli_for_project
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from tests.config_projects import add_config, copy_project
from tests.plans import planned


def gate_error(project: Path, environment: str = "prod") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        check_environment(environment, project)
    return info.value


def plan_cli(project: Path, out: Path, capsys: pytest.CaptureFixture[str], env: str) -> str:
    code = cli_for_project(project, ["--env", env, "--out", str(out), "--no-policies"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not out.exists() or not any(out.iterdir()), "a plan file was written on bad input"
    assert "Traceback" not in err
    return err


def test_shipped_environments_pass_the_gate() -> None:
    for env in ("dev", "prod"):
        settings = check_environment(env)
        assert next(iter(settings)) == f"{env}-global"
        assert list(settings)[-1] == f"{env}-edge"


def test_bad_values_in_several_files_are_reported_together_before_any_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path / "p", "prod")
    add_config(project, "prod-global", "meridian:keys:\n  deletionWindowDays: 3")
    add_config(project, "prod-sa-east-1", "meridian:network:\n  azCount: 2")  # 9th region
    add_config(project, "prod-edge", "meridian:owner: someone")
    err = plan_cli(project, tmp_path / "out", capsys, "prod")
    lines = err.splitlines()
    assert lines[0].startswith("error: Meridian configuration of environment prod is invalid")
    assert "3 problems in 3 files" in lines[0] and "nothing was planned" in lines[0]
    headings = [line.strip() for line in lines if line.startswith("  Pulumi.")]
    assert headings == [
        "Pulumi.prod-global.yaml:",
        "Pulumi.prod-sa-east-1.yaml:",
        "Pulumi.prod-edge.yaml:",
    ]
    assert "meridian:keys.deletionWindowDays = 3" in err
    assert "meridian:network.azCount = 2" in err and "Fix: set it to 3 or 4" in err
    assert "meridian:owner = 'someone': is not read by the edge stack" in err


def test_a_manifest_problem_is_listed_once_under_the_manifest(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "prod")
    add_config(project, "prod-global", "meridian:network:\n  azCount: 2")
    err = gate_error(project)
    assert str(err).count("meridian:network.azCount = 2") == 1, err
    assert err.files == ["Pulumi.prod-global.yaml"]


def test_own_file_problems_are_listed_even_when_the_manifest_is_broken(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "prod")
    add_config(project, "prod-global", "meridian:awsAccountId: yes")
    add_config(project, "prod-eu-west-1", "meridian:network:\n  azCount: 3.5")
    add_config(project, "prod-ap-south-1", "meridian:network:\n  azCount: 2")
    err = gate_error(project)
    assert err.files == [
        "Pulumi.prod-global.yaml",
        "Pulumi.prod-eu-west-1.yaml",
        "Pulumi.prod-ap-south-1.yaml",
    ], err
    assert "meridian:awsAccountId = True" in str(err)
    assert "meridian:network.azCount = 3.5" in str(err)  # a type error
    assert "meridian:network.azCount = 2" in str(err)  # a range check, judged all the same


def test_yaml_syntax_error_names_file_line_and_column_in_two_lines(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "prod")
    add_config(project, "prod-ap-south-1", "meridian:network:\n  azCount: [3\n  foo: 1")
    line = len((project / "Pulumi.prod-ap-south-1.yaml").read_text().splitlines())  # the last
    err = gate_error(project)
    text = str(err)
    assert len(text.splitlines()) == 2, text
    assert f"Pulumi.prod-ap-south-1.yaml:{line}:" in text  # line, then the column
    assert "is not valid YAML" in text and f"Fix: correct line {line}, column" in text
    assert '"<unicode string>"' not in text and "^" not in text  # no pyyaml dump


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "dev")
    add_config(project, "dev-global", "meridian:owner: someone-else")
    err = gate_error(project, "dev")
    assert "Pulumi.dev-global.yaml:" in str(err) and "'meridian:owner' is given twice" in str(err)


def test_stack_files_and_manifest_must_agree(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "dev")
    (project / "Pulumi.dev-eu-west-1.yaml").write_text("config:\n  meridian:network: {azCnt: 3}\n")
    (project / "Pulumi.dev-edge.yaml").unlink()
    err = gate_error(project, "dev")
    text = str(err)
    assert "which meridian:regions in Pulumi.dev-global.yaml does not list" in text
    assert "meridian:network.azCnt" in text  # its own problems too
    assert "does not include eu-west-1" not in text  # said once, in the regional file's words
    assert "every environment has an edge stack" in text


def test_plan_file_never_carries_a_secret_in_clear(tmp_path: Path) -> None:
    """The edge stack, given a secret token, planned as the plan command plans it (its config
    through the gate, _plan_stack writing the file) on the shared dev plan's upstream outputs:
    the other stacks do not read the edge's config, so planning them again proves nothing."""
    project = copy_project(tmp_path / "p", "dev")
    add_config(project, "dev-edge", "cloudflare:apiToken:\n  secure: v1:c2VjcmV0LXRva2Vu")
    out = tmp_path / "out"
    out.mkdir()
    (edge,) = [s for s in plan_module.stacks_of("dev", project) if s.name == "dev-edge"]
    upstream = {name: plan["outputs"] for name, plan in planned("dev").items() if name != edge.name}
    MotoValidator.reset()
    plan_module._plan_stack(  # pyright: ignore[reportPrivateUsage]
        plan_module._Task(edge, "dev", upstream, False, project, out, False)  # pyright: ignore[reportPrivateUsage]
    )
    text = (out / "dev-edge.json").read_text()
    assert "c2VjcmV0LXRva2Vu" not in text
    assert json.loads(text)["config"]["cloudflare:apiToken"] == {"secure": "[secret]"}


def test_a_type_error_in_the_manifest_does_not_hide_its_other_problems(tmp_path: Path) -> None:
    project = copy_project(tmp_path, "prod")
    add_config(project, "prod-global", "meridian:awsAccountId: 123456789012")
    path = project / "Pulumi.prod-global.yaml"
    path.write_text(path.read_text().replace("    - ap-south-1\n", "    - cn-north-1\n"))
    err = gate_error(project)
    assert err.files == ["Pulumi.prod-global.yaml"], err
    assert "meridian:awsAccountId = 123456789012" in str(err)
    assert "meridian:regions[6] = 'cn-north-1': is a region of the AWS China partition" in str(err)
    assert len(err.problems) == 2, err


def test_a_malformed_manifest_value_is_not_blamed_on_a_regional_file(tmp_path: Path) -> None:
    """The opt-out written as text is the one problem; me-south-1's file is not told to add it."""
    project = copy_project(tmp_path, "prod")
    path = project / "Pulumi.prod-global.yaml"
    text = path.read_text()
    assert "    me-south-1: [gpu-training]\n" in text
    path.write_text(
        text.replace("    me-south-1: [gpu-training]\n", "    me-south-1: gpu-training\n")
    )
    err = gate_error(project)
    assert err.files == ["Pulumi.prod-global.yaml"], err
    assert len(err.problems) == 1
    assert "write it as a list: me-south-1: [gpu-training]" in str(err)


def test_an_unlisted_stack_file_is_reported_even_when_the_manifest_is_broken(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path, "prod")
    add_config(project, "prod-global", "meridian:awsAccountId: 123456789012")
    (project / "Pulumi.prod-eu-north-1.yaml").write_text("config:\n  meridian:keys: {x: 1}\n")
    err = gate_error(project)
    assert err.files == ["Pulumi.prod-global.yaml", "Pulumi.prod-eu-north-1.yaml"], err
    assert "is a regional stack for eu-north-1, which meridian:regions" in str(err)
    assert "meridian:keys.x = 1: is not a Meridian setting" in str(err)
