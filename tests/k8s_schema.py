"""Validate Kubernetes objects against the official schemas of the versions Meridian pins.

The API server silently prunes a field its schema does not declare, so a misspelled field in a
NetworkPolicy or a DestinationRule would vanish without an error. Every check here is strict.

- Built-in kinds: Kubernetes' OpenAPI for `KUBERNETES_VERSION` (stacks/versions.py), as shipped
  by the PyPI package `kubernetes-validate` (pinned in requirements.txt) in its `-strict` form
  (additionalProperties false everywhere), validated with `jsonschema`.
- Custom resources: the CRDs' openAPIV3Schema as compiled by pinned npm packages
  (tests/crd/package.json, installed by `make schemas`): `@kubernetes-models/istio@3.0.1` is
  generated from Istio 1.29.2's crd-all.gen.yaml (= ISTIO_VERSION), `@kubernetes-models/karpenter`
  from Karpenter's v1 API types. tests/crd/validate.mjs runs them under node and reports both
  schema errors and fields the schema does not declare. Their metadata is checked here against
  Kubernetes' ObjectMeta.
- Custom resources no registry package ships (ENIConfig): the CRD manifest in
  `build/crds/*.yaml` when present (e.g. extracted from the chart that installs it), made strict
  the way the API server treats a structural schema; otherwise the caller skips with the reason.
  A CRD manifest there for a kind the packages cover (e.g. Karpenter v1.14.1's
  pkg/apis/crds/*.yaml, the exact pinned version) is checked too. build/ is never committed:
  CI relies on the registry packages alone.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.protocols import Validator
from pulumi.runtime.rpc import UNKNOWN
from referencing import Registry, Resource

from stacks.versions import KUBERNETES_VERSION

ROOT = Path(__file__).resolve().parent.parent
CRD_PACKAGE_DIR = ROOT / "tests" / "crd"
CRD_VALIDATOR = CRD_PACKAGE_DIR / "validate.mjs"
LOCAL_CRD_DIR = ROOT / "build" / "crds"
SCHEMA_ROOT = "kubernetes-json-schema"

SKIPPED_TYPES = frozenset({"kubernetes:helm.sh/v3:Release"})
"""Helm releases are charts, not objects; their rendered manifests are the charts' business."""


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object of a plan, as the provider would send it to the API server."""

    id: str
    """Stack and resource name, for messages."""
    type: str
    body: dict[str, Any]

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def builtin(self) -> bool:
        return builtin_schema_file(self.api_version, self.kind) is not None


def kube_objects(plan: Mapping[str, Any]) -> list[KubeObject]:
    """Every Kubernetes object a plan creates (no providers, Helm releases or reads)."""
    found: list[KubeObject] = []
    for step in plan["steps"]:
        state = step["newState"]
        kind = state["type"]
        if step.get("op") == "read" or not kind.startswith("kubernetes:"):
            continue
        if kind in SKIPPED_TYPES or kind.startswith("pulumi:providers:"):
            continue
        name = state["urn"].rsplit("::", 1)[-1]
        body = _revealed(dict(state["inputs"]))
        found.append(KubeObject(f"{plan.get('stack', '?')}/{name}", kind, body))
    return found


SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The engine's marker of a secret value in a plan (`{SECRET_SIG: ..., "value": ...}`)."""


def _revealed(value: Any) -> Any:
    """`value` as the provider sends it to the API server: secrets unwrapped (a secret whose value
    the plan does not show is unknown)."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            inner = value.get("value")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            return UNKNOWN if inner is None else _revealed(inner)
        return {k: _revealed(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_revealed(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


# --- built-in kinds: Kubernetes' OpenAPI ------------------------------------------------------


@functools.cache
def schema_version() -> str:
    """The newest schema set kubernetes-validate ships that is not newer than the pinned one."""
    root = resources.files("kubernetes_validate").joinpath(SCHEMA_ROOT)
    pattern = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
    wanted = tuple(int(p) for p in KUBERNETES_VERSION.split(".")[:2])
    versions = sorted(
        (int(m[1]), int(m[2])) for entry in root.iterdir() if (m := pattern.match(entry.name))
    )
    usable = [v for v in versions if v <= wanted]
    if not usable:
        raise LookupError(f"kubernetes-validate ships no schema for Kubernetes <= {wanted}")
    major, minor = usable[-1]
    return f"{major}.{minor}"


def _schema_dir() -> Any:
    return (
        resources.files("kubernetes_validate")
        .joinpath(SCHEMA_ROOT)
        .joinpath(f"v{schema_version()}.0-local-strict")
    )


def builtin_schema_file(api_version: str, kind: str) -> str | None:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    name = f"{kind.lower()}-{group_version}.json"
    return name if _schema_dir().joinpath(name).is_file() else None


@functools.cache
def _registry() -> Registry:
    definitions = json.loads(_schema_dir().joinpath("_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


@functools.cache
def _validator(file_name: str) -> Validator:
    schema = json.loads(_schema_dir().joinpath(file_name).read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def _errors(validator: Validator, body: Any, where: str) -> list[str]:
    """Every violation, by path; a value unknown during preview is never one."""
    return [
        f"{where}{'/' + '/'.join(str(p) for p in e.absolute_path) if e.absolute_path else ''}: "
        f"{e.message[:300]}"
        for e in validator.iter_errors(body)
        if e.instance != UNKNOWN
    ]


def validate_builtin(obj: KubeObject) -> list[str]:
    file_name = builtin_schema_file(obj.api_version, obj.kind)
    if file_name is None:
        return [f"no Kubernetes {schema_version()} schema for {obj.api_version} {obj.kind}"]
    return _errors(_validator(file_name), obj.body, "")


def validate_metadata(obj: KubeObject) -> list[str]:
    return _errors(_validator("objectmeta-meta-v1.json"), obj.body.get("metadata", {}), "/metadata")


# --- custom resources: the CRDs' schemas ------------------------------------------------------


def crd_packages_installed() -> bool:
    return (CRD_PACKAGE_DIR / "node_modules" / "@kubernetes-models").is_dir() and bool(
        shutil.which("node")
    )


def validate_with_packages(objects: Iterable[KubeObject]) -> dict[str, dict[str, Any]]:
    """{id: {"status": ok | invalid | unknown-kind, "errors": [...]}}, by tests/crd/validate.mjs."""
    batch = [{"id": o.id, "object": o.body} for o in objects]
    if not batch:
        return {}
    done = subprocess.run(
        ["node", str(CRD_VALIDATOR)],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        cwd=CRD_PACKAGE_DIR,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tests/crd/validate.mjs failed: {done.stderr[-2000:]}")
    return {r["id"]: r for r in json.loads(done.stdout)}


def _strict(schema: Any) -> Any:
    """A structural schema as the API server applies it: undeclared fields are not kept."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes")}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@functools.cache
def local_crd_validators() -> dict[tuple[str, str], Validator]:
    """(apiVersion, kind) -> validator, from CRD manifests in build/crds (not committed)."""
    found: dict[tuple[str, str], Validator] = {}
    if not LOCAL_CRD_DIR.is_dir():
        return found
    for path in sorted(LOCAL_CRD_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", []):
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                found[key] = jsonschema.Draft202012Validator(_strict(schema))
    return found


def validate_with_local_crd(obj: KubeObject) -> list[str] | None:
    """Errors against a local CRD manifest; None when there is none for the kind."""
    validator = local_crd_validators().get((obj.api_version, obj.kind))
    if validator is None:
        return None
    body = {k: v for k, v in obj.body.items() if k != "metadata"}
    return _errors(validator, body, "")
