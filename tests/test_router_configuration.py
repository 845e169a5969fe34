"""The Apollo Router configuration of every shipped plan, checked the way the router checks it.

Apollo Router refuses to start on a configuration its own JSON schema rejects (an unknown key, a
mistyped value, a value outside an enum; tests/router_schema.py). Every planned router release
(dev, staging, prod; up and preview) is checked against the schema of the router version the
pinned chart runs when the schema file is present (README "Router configuration check"; a skip
naming the file otherwise, never a pass), and always against the key table written from it
(tests/data/apollo_router_config_keys.json), which is itself compared with the schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.versions import (
    APOLLO_ROUTER_CONFIG_SCHEMA_SHA256,
    APOLLO_ROUTER_VERSION,
    EVIDENCE,
    HELM_CHARTS,
)
from tests.helm_render import (
    chart_sources_dir,
    check_planned,
    locate_chart,
    planned_releases,
)
from tests.helm_render import missing_reason as chart_missing_reason
from tests.plans import planned
from tests.router_schema import (
    KEYS_FILE,
    SchemaFileError,
    key_problems,
    missing_reason,
    pinned_schema,
    read_schema,
    recorded_keys,
    schema_entry,
    schema_errors,
    schema_file,
)

ENVIRONMENTS = ("dev", "staging", "prod")
MODES = (False, True)
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's marker for a value computed at deployment (preview mode)."""
PIN = HELM_CHARTS["apollo-router"]


def router_configurations(environment: str, preview: bool) -> list[tuple[str, dict[str, Any]]]:
    """(release id, `router.configuration` value) of every planned Apollo Router release."""
    return [
        (release.id, release.values["router"]["configuration"])
        for plan in planned(environment, preview).values()
        for release in planned_releases(plan)
        if release.pin == PIN
    ]


def schema_or_skip() -> dict[str, Any]:
    schema = pinned_schema()
    if schema is None:
        pytest.skip(missing_reason(schema_file()))
    return schema


def good_configuration() -> dict[str, Any]:
    """The dev plan's configuration of its first region, with header propagation added (the
    rules the subgraphs' authorization relies on)."""
    configuration = copy.deepcopy(router_configurations("dev", False)[0][1])
    configuration["headers"] = {
        "all": {"request": [{"propagate": {"named": "x-meridian-sub"}}]},
    }
    return configuration


BAD_CONFIGURATIONS: dict[str, tuple[str, Any]] = {
    # an unknown (misspelled) key: the router refuses unknown keys everywhere
    "misspelled key": ("limits", {"max_dept": 10, "warn_only": False}),
    # a string where the schema wants a boolean
    "mistyped value": ("supergraph", {"listen": "0.0.0.0:8080", "introspection": "false"}),
    # a value outside the schema's enum
    "value outside enum": (
        "demand_control",
        {
            "enabled": True,
            "mode": "enforcing",
            "strategy": {"static_estimated": {"list_size": 10, "max": 5000.0}},
        },
    ),
}


def bad_configuration(case: str) -> dict[str, Any]:
    key, value = BAD_CONFIGURATIONS[case]
    return {**good_configuration(), key: value}


# --- every planned configuration ---------------------------------------------------------------


@pytest.mark.parametrize("preview", MODES, ids=("up", "preview"))
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_planned_configurations_use_only_the_schemas_keys(environment: str, preview: bool) -> None:
    configurations = router_configurations(environment, preview)
    assert configurations, f"{environment}: no Apollo Router release planned"
    keys = recorded_keys()
    for release, configuration in configurations:
        assert UNKNOWN not in json.dumps(configuration), f"{release}: configuration unknown"
        assert key_problems(configuration, keys) == [], release


@pytest.mark.parametrize("preview", MODES, ids=("up", "preview"))
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_planned_configurations_pass_the_routers_schema(environment: str, preview: bool) -> None:
    schema = schema_or_skip()
    for release, configuration in router_configurations(environment, preview):
        assert schema_errors(configuration, schema) == [], release


# --- the key table and the schema ---------------------------------------------------------------


def test_key_table_is_the_pinned_routers() -> None:
    document = json.loads(KEYS_FILE.read_text())
    assert document["version"] == APOLLO_ROUTER_VERSION
    assert APOLLO_ROUTER_VERSION in document["source"]


def test_key_table_agrees_with_the_schema() -> None:
    schema = schema_or_skip()
    for path, entry in recorded_keys().items():
        assert schema_entry(path, schema) == entry, ".".join(path)


def test_a_key_the_schema_lacks_has_no_entry() -> None:
    schema = schema_or_skip()
    assert schema_entry(("limits", "max_dept"), schema) is None
    assert schema_entry(("supergraph", "introspection"), schema) == {"types": ["boolean"]}


# --- the checks fail where they must ------------------------------------------------------------


def test_a_configuration_with_header_propagation_passes_the_key_table() -> None:
    assert key_problems(good_configuration(), recorded_keys()) == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("misspelled key", "limits.max_dept: not a key the router's schema has (key table)"),
        ("mistyped value", "supergraph.introspection: 'false' is not of type boolean"),
        ("value outside enum", "demand_control.mode: 'enforcing' is not one of"),
    ],
)
def test_the_key_table_refuses_what_the_router_refuses(case: str, expected: str) -> None:
    problems = key_problems(bad_configuration(case), recorded_keys())
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_configuration_with_header_propagation_passes_the_schema() -> None:
    assert schema_errors(good_configuration(), schema_or_skip()) == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("misspelled key", "limits: Additional properties are not allowed ('max_dept'"),
        ("mistyped value", "supergraph/introspection: 'false' is not of type 'boolean'"),
        ("value outside enum", "demand_control/mode: 'enforcing' is not one of"),
    ],
)
def test_the_schema_refuses_what_the_router_refuses(case: str, expected: str) -> None:
    problems = schema_errors(bad_configuration(case), schema_or_skip())
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_schema_file_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    snapshot = tmp_path / "apollo-router-v0.0.0-configuration-schema.snap"
    snapshot.write_text('---\nsource: ours\n---\n{"type": "object"}\n')
    with pytest.raises(SchemaFileError, match="not the pinned"):
        read_schema(snapshot)
    digest = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert read_schema(snapshot, sha256=digest) == {"type": "object"}
    snapshot.write_text('{"type": "object"}\n')
    digest = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    with pytest.raises(SchemaFileError, match="not an insta snapshot"):
        read_schema(snapshot, sha256=digest)


def test_the_missing_schema_reason_says_where_to_put_it() -> None:
    reason = missing_reason(schema_file(Path("/somewhere")))
    assert f"/somewhere/apollo-router-{APOLLO_ROUTER_VERSION}-configuration-schema.snap" in reason
    assert f"at tag {APOLLO_ROUTER_VERSION}" in reason


# --- the router version ---------------------------------------------------------------------------


def test_the_router_version_is_the_pinned_charts_app_version() -> None:
    assert f'appVersion: "{APOLLO_ROUTER_VERSION}"' in EVIDENCE["APOLLO_ROUTER_VERSION"].checked
    assert EVIDENCE["APOLLO_ROUTER_VERSION"].source == PIN.evidence.source
    assert f"appVersion {APOLLO_ROUTER_VERSION}" in PIN.evidence.checked
    assert APOLLO_ROUTER_VERSION in EVIDENCE["APOLLO_ROUTER_CONFIG_SCHEMA_SHA256"].source
    assert EVIDENCE["APOLLO_ROUTER_CONFIG_SCHEMA_SHA256"].published == (
        APOLLO_ROUTER_CONFIG_SCHEMA_SHA256,
    )


def _chart_or_skip() -> Path:
    sources = chart_sources_dir()
    source = locate_chart(sources, PIN.chart, PIN.version)
    if source is None:
        pytest.skip(chart_missing_reason(sources, PIN.chart, PIN.version))
    return source


def _chart_yaml(source: Path) -> dict[str, Any]:
    if source.is_dir():
        return yaml.safe_load((source / "Chart.yaml").read_text())
    with tarfile.open(source) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/Chart.yaml"))
        handle = archive.extractfile(member)
        assert handle is not None
        return yaml.safe_load(handle.read())


def test_the_chart_source_runs_the_pinned_router() -> None:
    assert str(_chart_yaml(_chart_or_skip())["appVersion"]) == APOLLO_ROUTER_VERSION


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_rendered_configuration_file_passes(environment: str) -> None:
    """The file the router reads: the chart's ConfigMap `configuration.yaml` (the chart merges
    its own telemetry settings into `router.configuration` when telemetry exporters are set)."""
    source = _chart_or_skip()
    releases = [
        r for plan in planned(environment).values() for r in planned_releases(plan) if r.pin == PIN
    ]
    assert releases
    for release in releases:
        maps = [o for o in check_planned(release, source).objects if o["kind"] == "ConfigMap"]
        files = [m["data"]["configuration.yaml"] for m in maps if "configuration.yaml" in m["data"]]
        assert len(files) == 1, release.id
        configuration = yaml.safe_load(files[0])
        assert key_problems(configuration, recorded_keys()) == [], release.id
        schema = pinned_schema()
        if schema is not None:
            assert schema_errors(configuration, schema) == [], release.id
