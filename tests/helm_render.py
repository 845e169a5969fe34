"""Render Meridian's Helm releases with Helm's own engine and check what a real install would get.

Helm here is the Go library itself, bundled by the PyPI wheel `helm-python-sdk` (pinned in
requirements.txt; `helm_python.Chart`: load a chart directory or .tgz, `render` with the values,
release name and namespace as `helm install` does, `validate_schema` against the chart's
values.schema.json, which `render` applies too, `digest` of an archive as repository indexes
record it). For one release `check_release` reports:

- the chart's Chart.yaml name and version against the pin, and the archive's sha256 against the
  pinned `digest` (stacks/versions.py HelmChart) when the source is the published .tgz;
- values the chart's values.schema.json rejects;
- value keys the chart neither defines (values.yaml, values.schema.json properties) nor reads
  (a template referencing `.Values.<path>`): Helm ignores them silently, so a misspelled or
  renamed key would install a chart with its default instead;
- template errors;
- every rendered object (and every CRD of crds/) of a built-in Kubernetes kind, validated
  strictly against Kubernetes' schemas (tests/k8s_schema.py).

Chart sources are never committed: they are read from `chart_sources_dir()`, laid out as
`<chart>-<version>/` (an unpacked chart) or `<chart>-<version>.tgz` (the published archive).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

from stacks.versions import HELM_CHARTS, HelmChart
from tests.k8s_schema import KubeObject, builtin_schema_file, validate_builtin

ROOT = Path(__file__).resolve().parent.parent
CHART_SOURCES_ENV = "MERIDIAN_CHART_SOURCES"
DEFAULT_CHART_SOURCES = ROOT.parent / "shared" / "charts"
"""The team's read-only shared folder beside the repository (CI gets a copy beside the clone)."""
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"

_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_INDEX_REF = re.compile(r"index\s+\$?\.Values((?:\s+\"[^\"]+\")+)")


def chart_sources_dir() -> Path:
    """Where chart sources are read from: $MERIDIAN_CHART_SOURCES, else ../shared/charts."""
    configured = os.environ.get(CHART_SOURCES_ENV)
    return Path(configured) if configured else DEFAULT_CHART_SOURCES


def locate_chart(sources: Path, chart: str, version: str) -> Path | None:
    """The chart source for `chart` at `version` in `sources`, or None."""
    for candidate in (sources / f"{chart}-{version}", sources / f"{chart}-{version}.tgz"):
        if candidate.is_dir() and (candidate / "Chart.yaml").is_file():
            return candidate
        if candidate.is_file():
            return candidate
    return None


def missing_reason(sources: Path, chart: str, version: str) -> str:
    return (
        f"chart source {chart} {version} not found: put the unpacked chart at "
        f"{sources / f'{chart}-{version}'}/ or the published archive at "
        f"{sources / f'{chart}-{version}.tgz'} (or point {CHART_SOURCES_ENV} at a folder "
        "holding it; README 'Helm render check')"
    )


# --- the releases of a plan -------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRelease:
    """One `kubernetes:helm.sh/v3:Release` of a plan, as the provider would install it."""

    id: str
    """Stack and resource name, for messages."""
    pin: HelmChart
    version: str
    name: str
    namespace: str
    values: Mapping[str, Any]


def pin_of(chart: str, repository: str | None) -> HelmChart:
    """The HELM_CHARTS entry a release's chart and repository name (pinned_release's shape)."""
    for pin in HELM_CHARTS.values():
        if pin.repository.startswith("oci://"):
            if chart == f"{pin.repository}/{pin.chart}":
                return pin
        elif chart == pin.chart and repository == pin.repository:
            return pin
    raise LookupError(f"chart {chart!r} from {repository!r} is not pinned in HELM_CHARTS")


def planned_releases(plan: Mapping[str, Any]) -> list[PlannedRelease]:
    found: list[PlannedRelease] = []
    for step in plan["steps"]:
        state = step["newState"]
        if state["type"] != RELEASE_TYPE:
            continue
        inputs = state["inputs"]
        repository = (inputs.get("repositoryOpts") or {}).get("repo")
        found.append(
            PlannedRelease(
                id=f"{plan.get('stack', '?')}/{state['urn'].rsplit('::', 1)[-1]}",
                pin=pin_of(inputs["chart"], repository),
                version=inputs["version"],
                name=inputs["name"],
                namespace=inputs["namespace"],
                values=inputs.get("values") or {},
            )
        )
    return found


# --- value keys a chart defines or reads ------------------------------------------------------


@dataclass
class _KeyTree:
    """Paths a chart's templates read: `whole` where a template takes the value as a whole."""

    children: dict[str, _KeyTree] = field(default_factory=dict)
    whole: bool = False

    def add(self, path: tuple[str, ...], whole: bool) -> None:
        node = self
        for part in path:
            node = node.children.setdefault(part, _KeyTree())
        node.whole = node.whole or whole


def template_reads(templates: list[dict[str, str]]) -> _KeyTree:
    """Every `.Values.a.b` (and `index .Values "a" "b"`) the templates reference."""
    tree = _KeyTree()
    for template in templates:
        text = template["data"]
        for match in _VALUES_REF.finditer(text):
            path = tuple(match[1].lstrip(".").split("."))
            tree.add(path, whole=True)
        for match in _INDEX_REF.finditer(text):
            tree.add(tuple(re.findall(r"\"([^\"]+)\"", match[1])), whole=True)
    return tree


ISTIO_DEFAULTS_KEY = "_internal_defaults_do_not_set"
"""Istio's charts keep their defaults under this key and merge them into .Values themselves
(templates/zzz_profile.yaml), so its keys are the chart's top-level keys."""


def chart_defaults(loaded: helm.Chart) -> dict[str, Any]:
    """The chart's values.yaml as its templates see it."""
    values = loaded.values
    inner = values.pop(ISTIO_DEFAULTS_KEY, None)
    return _deep_merge(inner, values) if isinstance(inner, dict) else values


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def dependency_reads(metadata: Mapping[str, Any], reads: _KeyTree) -> _KeyTree:
    """Add what Helm itself reads: each dependency's `condition` paths and `tags`."""
    for dependency in metadata.get("dependencies") or []:
        for condition in str(dependency.get("condition") or "").split(","):
            if condition.strip():
                reads.add(tuple(condition.strip().split(".")), whole=True)
        for tag in dependency.get("tags") or []:
            reads.add(("tags", str(tag)), whole=True)
    return reads


def _resolve(node: Any, root: Mapping[str, Any] | None) -> Any:
    """Follow a local `$ref` (`#/$defs/...`) of a schema node."""
    while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/") and root:
        target: Any = root
        for part in str(node["$ref"])[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
    return node


def _free_form_schema(schema: Mapping[str, Any]) -> bool:
    """A schema node whose keys are the user's (a map of anything, or of one typed value)."""
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) or extra is True:
        return True
    return "patternProperties" in schema or (
        schema.get("type") == "object" and "properties" not in schema and extra is None
    )


def unknown_value_keys(
    values: Mapping[str, Any],
    defaults: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
    reads: _KeyTree,
    path: tuple[str, ...] = (),
    root: Mapping[str, Any] | None = None,
) -> list[str]:
    """Keys of `values` the chart neither defines nor reads, as dotted paths.

    A key is the chart's when values.yaml has it, the schema names it, or a template reads it
    or anything under it. Beneath a key whose default is not a non-empty map (a list, a scalar,
    an empty map such as `podAnnotations: {}`), a free-form schema node, or a value a template
    takes whole (`toYaml .Values.config`), every key is the user's to choose."""
    unknown: list[str] = []
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    properties = (schema or {}).get("properties", {}) if schema else {}
    for key, value in values.items():
        here = (*path, str(key))
        default = defaults.get(key) if isinstance(defaults, Mapping) else None
        sub_schema = _resolve(
            properties.get(key) if isinstance(properties, Mapping) else None, root
        )
        read = reads.children.get(str(key))
        known = (
            (isinstance(defaults, Mapping) and key in defaults)
            or sub_schema is not None
            or read is not None
        )
        if not known:
            unknown.append(".".join(here))
            continue
        if not isinstance(value, Mapping) or not value:
            continue
        if read is not None and read.whole:
            continue
        if sub_schema is not None and _free_form_schema(sub_schema):
            continue
        if default is not None and not (isinstance(default, Mapping) and default):
            continue
        if default is None and sub_schema is None and (read is None or not read.children):
            continue  # declared with a null default and read by no path beneath: the user's
        unknown += unknown_value_keys(
            value,
            default if isinstance(default, Mapping) else {},
            sub_schema,
            read or _KeyTree(),
            here,
            root,
        )
    return unknown


# --- one release ------------------------------------------------------------------------------


class IncompleteSourceError(Exception):
    """The chart source in the sources folder is not the whole chart (a subchart is missing)."""


@dataclass(frozen=True)
class RenderCheck:
    problems: list[str]
    objects: list[dict[str, Any]]
    """Every rendered object (and every CRD of the chart's crds/)."""


def _documents(manifests: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml", ".json", ".tpl")) or not text.strip():
            continue
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and doc:
                yield template, doc


def _digest_hex(archive: Path) -> str:
    return helm.digest(archive).removeprefix("sha256:")


def check_release(
    source: Path,
    *,
    chart: str,
    version: str,
    digest: str | None,
    release: str,
    namespace: str,
    values: Mapping[str, Any],
) -> RenderCheck:
    """What a `helm install` of `source` with `values` would get, as problems (empty: none)."""
    problems: list[str] = []
    loaded = helm.Chart.load(source)
    with loaded:
        meta = loaded.metadata
        present = {d.get("name") for d in loaded.dependencies}
        absent = [
            f"{d.get('name')} {d.get('version')} ({d.get('repository')})"
            for d in meta.get("dependencies") or []
            if d.get("name") not in present
        ]
        if absent:  # `helm install` refuses it too: the source, not the release, is incomplete
            raise IncompleteSourceError(
                f"{source} lacks its dependencies {', '.join(absent)} under charts/ "
                "(the published archive bundles them)"
            )
        if meta.get("name") != chart:
            problems.append(f"Chart.yaml name {meta.get('name')!r} is not the pinned {chart!r}")
        if str(meta.get("version")) != version:
            problems.append(
                f"Chart.yaml version {meta.get('version')!r} of {source.name} is not the "
                f"pinned {version!r}"
            )
        if digest is not None and source.is_file():
            actual = _digest_hex(source)
            if actual != digest:
                problems.append(f"archive sha256 {actual} is not the pinned digest {digest}")
        plain = json.loads(json.dumps(values))
        reads = dependency_reads(meta, template_reads(loaded.templates))
        unknown = unknown_value_keys(plain, chart_defaults(loaded), loaded.schema, reads)
        problems += [f"value {key} is neither defined nor read by {chart}" for key in unknown]
        try:
            loaded.validate_schema(plain)
        except helm.HelmValuesError as error:
            problems.append(f"values.schema.json rejects the values: {error.detail.strip()}")
        try:
            manifests = loaded.render(plain, name=release, namespace=namespace, is_install=True)
        except helm.HelmError as error:
            problems.append(f"render failed: {error.detail.strip()[:2000]}")
            return RenderCheck(problems, [])
        crds = [(crd["filename"], crd["data"]) for crd in loaded.crds]
    objects: list[dict[str, Any]] = []
    for template, body in [*_documents(manifests), *_documents(dict(crds))]:
        objects.append(body)
        api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
        if builtin_schema_file(api_version, kind) is None:
            continue  # a custom resource: its CRD may not even be installed yet
        name = (body.get("metadata") or {}).get("name", "?")
        obj = KubeObject(f"{template} {kind}/{name}", "rendered", body)
        problems += [f"{obj.id}{error}" for error in validate_builtin(obj)]
    return RenderCheck(problems, objects)


@functools.cache
def _cached_check(source: Path, key: str) -> RenderCheck:
    args = json.loads(key)
    return check_release(source, **args)


def check_planned(release: PlannedRelease, source: Path) -> RenderCheck:
    """`check_release` for a planned release (identical releases are rendered once)."""
    key = json.dumps(
        {
            "chart": release.pin.chart,
            "version": release.version,
            "digest": release.pin.digest if release.version == release.pin.version else None,
            "release": release.name,
            "namespace": release.namespace,
            "values": release.values,
        },
        sort_keys=True,
    )
    return _cached_check(source, key)
