"""The settings registry: every layer's key is declared once, and the settings load exposes it;
the edge provider a regional stack admits is resolved and judged in the settings load."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import stacks.settings as settings_module
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.config.registry import SETTINGS, of_scope
from stacks.config.source import StaticConfigSource
from stacks.config.spec import Scope
from stacks.config.types import MeridianModel
from stacks.program import settings_for
from stacks.settings import EnvironmentManifest, RegionalSettings
from tests.config_projects import copy_project
from tests.test_config_errors import EDGE, MANIFEST


def test_every_spec_is_exposed_where_its_scope_says() -> None:
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys)), "a key is registered twice"
    scopes: tuple[tuple[Scope, type[MeridianModel]], ...] = (
        ("regional", RegionalSettings),
        ("manifest", EnvironmentManifest),
    )
    for scope, model in scopes:
        for spec in of_scope(scope):
            field = model.model_fields[spec.field]
            assert (field.alias or spec.field) == spec.key
            assert field.annotation is spec.model
            assert set(spec.defaults) == {"dev", "staging", "prod"}
            for env in ("dev", "staging", "prod"):
                assert settings_module.ENVIRONMENT_DEFAULTS[env][spec.key] == spec.defaults[env]
    assert {s.key for s in of_scope("regional")} <= settings_module.REGIONAL_KEYS
    assert {s.key for s in of_scope("manifest")} <= settings_module.ENVIRONMENT_KEYS
    assert not settings_module.REGIONAL_KEYS & {s.key for s in of_scope("manifest")}


def test_every_registered_check_runs() -> None:
    named = {n for n, _ in settings_module.ENVIRONMENT_CHECKS + settings_module.REGIONAL_CHECKS}
    assert {s.check for s in SETTINGS if s.check} <= named


def regional(edge: dict[str, Any]) -> Any:
    source = StaticConfigSource({}, {"prod": copy.deepcopy(MANIFEST)}, {"prod": edge})
    return settings_for("prod-us-east-1", source)


def test_the_regional_stack_reads_the_edge_provider_in_the_settings_load() -> None:
    aws = copy.deepcopy(EDGE)
    aws["meridian:edge"]["provider"] = "aws"
    assert regional(aws).edge_provider == "aws"
    assert regional({}).edge_provider == "cloudflare"  # the environment's default


def test_an_unknown_edge_provider_is_refused_by_the_regional_stack_too() -> None:
    bad = copy.deepcopy(EDGE)
    bad["meridian:edge"]["provider"] = "cloudfront"
    with pytest.raises(ConfigError) as info:
        regional(bad)
    text = str(info.value)
    assert "Pulumi.prod-edge.yaml" in text
    assert "meridian:edge.provider = 'cloudfront'" in text
    assert "is not an edge provider Meridian builds" in text


def test_the_gate_reports_a_bad_edge_provider_once(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "staging", "staging")
    edge_file = project / "Pulumi.staging-edge.yaml"
    text = edge_file.read_text()
    assert "provider: aws" in text
    edge_file.write_text(text.replace("provider: aws", "provider: akamai", 1))
    with pytest.raises(ConfigError) as info:
        check_environment("staging", project)
    message = str(info.value)
    assert message.count("meridian:edge.provider = 'akamai'") == 1, message
