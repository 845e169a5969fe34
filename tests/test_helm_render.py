"""Every Helm release of every shipped plan, rendered by Helm's own engine (tests/helm_render.py).

The chart sources come from MERIDIAN_CHART_SOURCES or ../shared/charts (README "Helm render
check"); a pinned chart missing there is a skip that names it, never a pass. The probe chart
under tests/data/charts (ours) shows, without any fetched source, that each check can fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest

from stacks.versions import HELM_CHARTS
from tests.helm_render import (
    IncompleteSourceError,
    PlannedRelease,
    RenderCheck,
    chart_sources_dir,
    check_planned,
    check_release,
    locate_chart,
    missing_reason,
    planned_releases,
)
from tests.plans import planned

ENVIRONMENTS = ("dev", "staging", "prod")
PROBE = Path(__file__).parent / "data" / "charts" / "meridian-probe"
PROBE_VERSION = "0.1.0"


def releases(environment: str) -> list[PlannedRelease]:
    return [r for plan in planned(environment).values() for r in planned_releases(plan)]


def probe(
    values: dict[str, Any],
    *,
    source: Path = PROBE,
    version: str = PROBE_VERSION,
    digest: str | None = None,
) -> RenderCheck:
    return check_release(
        source,
        chart="meridian-probe",
        version=version,
        digest=digest,
        release="probe",
        namespace="tenant",
        values=values,
    )


# --- the harness fails where it must (our own chart; always runs) ----------------------------


def test_probe_chart_with_its_own_values_passes() -> None:
    result = probe({"replicaCount": 2, "podLabels": {"tier": "web"}, "annotations": {"a": "b"}})
    assert result.problems == []
    assert [o["kind"] for o in result.objects] == ["Deployment"]


def test_a_key_the_chart_neither_defines_nor_reads_fails() -> None:
    # The schema admits any top-level key; only the key check sees the misspelling.
    problems = probe({"replicaCont": 2}).problems
    assert problems == ["value replicaCont is neither defined nor read by meridian-probe"]


def test_a_value_the_schema_rejects_fails() -> None:
    problems = probe({"port": "http"}).problems
    assert any("values.schema.json rejects" in p and "/port" in p for p in problems), problems


def test_a_rendered_object_kubernetes_rejects_fails() -> None:
    # schema-valid (podLabels is any object) but a label value must be a string
    problems = probe({"podLabels": {"tier": 5}}).problems
    assert len(problems) == 1
    assert "Deployment/probe" in problems[0] and "labels/tier" in problems[0], problems


def test_a_pin_other_than_the_charts_version_fails(tmp_path: Path) -> None:
    # laid out as the sources folder is: <chart>-<pinned version>/ holding another version
    shutil.copytree(PROBE, tmp_path / "meridian-probe-0.2.0")
    source = locate_chart(tmp_path, "meridian-probe", "0.2.0")
    assert source is not None and source == tmp_path / "meridian-probe-0.2.0"
    problems = probe({}, source=source, version="0.2.0").problems
    assert problems == [
        "Chart.yaml version '0.1.0' of meridian-probe-0.2.0 is not the pinned '0.2.0'"
    ]


def test_an_archive_other_than_the_pinned_digest_fails(tmp_path: Path) -> None:
    archive = Path(helm.package(PROBE, destination=tmp_path))
    assert locate_chart(tmp_path, "meridian-probe", PROBE_VERSION) == archive
    right = helm.digest(archive).removeprefix("sha256:")
    assert probe({}, source=archive, digest=right).problems == []
    wrong = "0" * 64
    assert probe({}, source=archive, digest=wrong).problems == [
        f"archive sha256 {right} is not the pinned digest {wrong}"
    ]


def test_a_missing_source_is_named_with_where_to_put_it(tmp_path: Path) -> None:
    assert locate_chart(tmp_path, "karpenter", "1.14.1") is None
    reason = missing_reason(tmp_path, "karpenter", "1.14.1")
    assert "karpenter 1.14.1" in reason and str(tmp_path / "karpenter-1.14.1") in reason


# --- the shipped plans ------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_release_installs_a_pinned_chart_at_its_pin(environment: str) -> None:
    found = releases(environment)  # pin_of raises for a chart HELM_CHARTS does not pin
    assert found
    assert [r.id for r in found if r.version != r.pin.version] == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_fluent_bit_names_a_stream_fallback(environment: str) -> None:
    # Fluent Bit's cloudwatch_logs output does not start without log_stream_name or
    # log_stream_prefix (a log_stream_template alone is not enough); the chart writes a key
    # only when it is non-empty.
    agents = [r for r in releases(environment) if r.pin.chart == "aws-for-fluent-bit"]
    assert agents
    for release in agents:
        logs = release.values["cloudWatchLogs"]
        assert logs.get("logStreamPrefix") or logs.get("logStreamName"), release.id


def _sources_or_skip(release: PlannedRelease) -> Path:
    sources = chart_sources_dir()
    source = locate_chart(sources, release.pin.chart, release.version)
    if source is None:
        pytest.skip(missing_reason(sources, release.pin.chart, release.version))
    return source


@pytest.mark.parametrize("chart", sorted(HELM_CHARTS))
def test_every_release_renders_with_helm(chart: str) -> None:
    pin = HELM_CHARTS[chart]
    found = [r for env in ENVIRONMENTS for r in releases(env) if r.pin == pin]
    if not found:
        pytest.skip(f"no shipped plan installs {chart}")
    problems: list[str] = []
    for release in found:
        source = _sources_or_skip(release)
        try:
            result = check_planned(release, source)
        except IncompleteSourceError as error:
            pytest.skip(str(error))
        problems += [f"{release.id}: {p}" for p in result.problems]
    assert problems == [], "\n".join(problems)


def test_fluent_bit_renders_an_output_that_starts() -> None:
    agents = [r for r in releases("dev") if r.pin.chart == "aws-for-fluent-bit"]
    release = agents[0]
    result = check_planned(release, _sources_or_skip(release))
    config = next(
        o["data"]["fluent-bit.conf"]
        for o in result.objects
        if o["kind"] == "ConfigMap" and "fluent-bit.conf" in o.get("data", {})
    )
    outputs = [s for s in config.split("[OUTPUT]")[1:] if "cloudwatch_logs" in s.split()]
    assert len(outputs) == 1
    keys = {line.split()[0] for line in outputs[0].splitlines() if line.strip()}
    assert keys & {"log_stream_name", "log_stream_prefix"}, outputs[0]
