"""The config gate: every stack file of an environment judged whole, before anything is planned.

    check_environment("prod", project_dir)   # {stack name: MeridianSettings}, or ConfigError

It reads the manifest (`Pulumi.<env>-global.yaml`), every regional file and the edge file, runs
each stack's own validation (`stacks.settings.load_settings`, what the Pulumi program of that
stack runs), checks that the files and the manifest agree (a file per listed region, no file for
an unlisted one, an edge file), and raises ONE `ConfigError` listing every problem of every stack,
grouped by file: the manifest first (its problems are the root of the others), then the regions
in manifest order, then edge. A problem several stacks see (a bad manifest value) is listed once.
It also judges the service dependency table (stacks/data/service_dependencies.json), which every
regional stack wires. `make plan` calls it before the first stack is planned, so bad input writes
no plan file.

Bad input never ends in a traceback: the layers' checks see only the regions the manifest check
accepted (`stacks.settings.usable_regions`), and a check that raises anyway is reported as one
problem naming it ("internal error in Meridian's configuration checks"), as is any other failure
of a stack's judgement here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stacks import capabilities
from stacks.cidr_plan import REGION_SLOTS
from stacks.config.checks import other_partition
from stacks.config.errors import ConfigError, ConfigProblem, unique
from stacks.config.source import PROJECT_DIR, read_stack_file
from stacks.config.types import NAMESPACE, OPTIONAL_CAPABILITIES, deep_merge
from stacks.dependencies import TABLE_FILE, TABLE_KEY, dependency_problems
from stacks.identity import Role, StackIdentity, parse_stack_name
from stacks.settings import (
    ENVIRONMENT_DEFAULTS,
    REGIONAL_KEYS,
    MeridianSettings,
    RegionalSettings,
    internal_error,
    load_settings,
)


@dataclass(frozen=True)
class StackFile:
    """One stack of the environment: its identity and the `config:` of its file."""

    name: str
    identity: StackIdentity
    path: Path
    config: dict[str, Any]


@dataclass(frozen=True)
class CheckedEnvironment:
    """An environment whose every stack file passed the gate, stacks in deployment order."""

    environment: str
    stacks: list[StackFile]
    settings: dict[str, MeridianSettings]


def check_environment(
    environment: str, project_dir: Path = PROJECT_DIR, dependency_table: Path = TABLE_FILE
) -> dict[str, MeridianSettings]:
    """The validated settings of every stack of `environment`, in deployment order; raises one
    `ConfigError` with every problem of every stack file and of the dependency table."""
    return gate_environment(environment, project_dir, dependency_table).settings


def _problems_of(error: ConfigError, file: str) -> list[ConfigProblem]:
    return [p.in_file(file) for p in error.problems]


def _stack_name_problem(name: str, file: str, error: ConfigError) -> list[ConfigProblem]:
    rest = name.partition("-")[2]
    partition = other_partition(rest)
    if partition is None:
        return _problems_of(error, file)
    return [
        ConfigProblem(
            file,
            name,
            f"is a stack for {rest}, a region of {partition}, a separate AWS partition that "
            "Meridian does not support",
            "remove the stack file; Meridian runs in commercial regions "
            "(stacks/region_capabilities.json)",
            file=file,
        )
    ]


def gate_environment(
    environment: str, project_dir: Path = PROJECT_DIR, dependency_table: Path = TABLE_FILE
) -> CheckedEnvironment:
    """`check_environment`, with the stack files' identities and config for the plan."""
    gate = _Gate(environment)
    # the service dependency table is every regional stack's: a row naming a service, store,
    # topic or queue that does not exist is refused here, once, before any stack is planned
    gate.problems += [p.in_file(TABLE_KEY) for p in dependency_problems(dependency_table)]
    gate.read(project_dir)
    gate.judge_manifest()
    for stack in gate.files.values():
        if stack.identity.role is not Role.GLOBAL:
            gate.judge(stack)
    gate.check_files_agree()
    return gate.result()


class _Gate:
    """The state of one run of the gate: the files read, the settings judged, the problems."""

    def __init__(self, environment: str) -> None:
        self.environment = environment
        self.manifest_name = f"{environment}-global"
        self.manifest_file = f"Pulumi.{self.manifest_name}.yaml"
        self.paths: dict[str, Path] = {}
        self.files: dict[str, StackFile] = {}
        self.settings: dict[str, MeridianSettings] = {}
        self.problems: list[ConfigProblem] = []

    @property
    def manifest_config(self) -> dict[str, Any]:
        manifest = self.files.get(self.manifest_name)
        return manifest.config if manifest is not None else {}

    @property
    def manifest_ok(self) -> bool:
        return self.manifest_name in self.settings

    @property
    def regions(self) -> list[str]:
        """The manifest's regions once it is valid; until then the names it lists."""
        if self.manifest_ok:
            return self.settings[self.manifest_name].manifest.regions
        return _listed(self.manifest_config)

    def read(self, project_dir: Path) -> None:
        """Every `Pulumi.<env>-*.yaml`: its stack name and its YAML, each problem collected."""
        for path in sorted(project_dir.glob(f"Pulumi.{self.environment}-*.yaml")):
            name = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
            self.paths[name] = path
            try:
                identity = parse_stack_name(name)
            except ConfigError as exc:
                self.problems += _stack_name_problem(name, path.name, exc)
                continue
            try:
                self.files[name] = StackFile(name, identity, path, read_stack_file(path))
            except ConfigError as exc:
                self.problems += _problems_of(exc, path.name)

    def judge_manifest(self) -> None:
        if self.manifest_name not in self.paths:
            self.problems.append(
                ConfigProblem(
                    self.manifest_file,
                    "<missing>",
                    f"environment {self.environment} has no manifest",
                    f"create it (pulumi stack init {self.manifest_name}) with meridian:owner, "
                    "meridian:costCenter and meridian:regions",
                    file=self.manifest_file,
                )
            )
            return
        manifest = self.files.get(self.manifest_name)
        if manifest is None:
            return  # unreadable: its YAML problem is collected
        try:
            self.settings[self.manifest_name] = load_settings(
                manifest.identity, manifest.config, manifest.config, self.edge_config
            )
        except ConfigError as exc:
            self.problems += _problems_of(exc, self.manifest_file)
        except Exception as exc:  # a defect of a check: one named problem, never a traceback
            self.problems.append(internal_error("load_settings", exc).in_file(self.manifest_file))

    @property
    def edge_config(self) -> dict[str, Any]:
        """The edge stack file's config (empty while it is missing or unreadable): where the
        regional stacks read the environment's edge provider."""
        edge = self.files.get(f"{self.environment}-edge")
        return edge.config if edge is not None else {}

    def judge(self, stack: StackFile) -> None:
        """A regional or edge stack, as its own program judges it. While the manifest is broken
        (or does not list the stack's region) the stack's file is judged against a stand-in and
        only the problems in that file are kept: the manifest's own are reported once, above."""
        own_file = stack.path.name
        region = stack.identity.region
        listed = region is None or region in self.regions
        against = self.manifest_config
        # the manifest's list, valid or else trusted when every name in it is a region (a
        # misspelled region is the manifest's problem, not this file's)
        trusted = bool(self.regions) and all(capabilities.region_exists(r) for r in self.regions)
        if not listed and trusted:
            self.problems.append(
                ConfigProblem(
                    own_file,
                    stack.name,
                    f"is a regional stack for {region}, which meridian:regions in "
                    f"{self.manifest_file} does not list",
                    f"add {region} to meridian:regions in {self.manifest_file} or remove the "
                    "stack file",
                    file=own_file,
                )
            )
        if not self.manifest_ok:
            against = _stand_in_manifest(self.environment, against, region)
        elif not listed:
            against = {**against, f"{NAMESPACE}:regions": [*self.regions, region]}
        try:
            self.settings[stack.name] = load_settings(
                stack.identity, stack.config, against, self.edge_config
            )
        except ConfigError as exc:
            found = _problems_of(exc, own_file)
            if not (self.manifest_ok and listed):
                found = [p for p in found if p.file == own_file]
            self.problems += found
        except Exception as exc:  # a defect of a check: one named problem, never a traceback
            self.problems.append(internal_error("load_settings", exc).in_file(own_file))

    def check_files_agree(self) -> None:
        """A stack file per listed region (that is a region), and an edge file."""
        for region in self.regions:
            name = f"{self.environment}-{region}"
            if name not in self.paths and capabilities.region_exists(region):
                self.problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:regions",
                        region,
                        f"is listed in {self.manifest_file} but Pulumi.{name}.yaml is missing",
                        f"create the stack: pulumi stack init {name} (and commit its file)",
                        file=self.manifest_file,
                    )
                )
        edge_file = f"Pulumi.{self.environment}-edge.yaml"
        if f"{self.environment}-edge" not in self.paths:
            self.problems.append(
                ConfigProblem(
                    edge_file,
                    "<missing>",
                    "every environment has an edge stack",
                    f"create it: pulumi stack init {self.environment}-edge",
                    file=edge_file,
                )
            )

    def result(self) -> CheckedEnvironment:
        """The checked environment, or the one error listing every problem."""
        order = _deployment_order(self.environment, self.regions, list(self.files))
        if self.problems:
            problems = unique(self.problems)
            names = [*order, *(n for n in self.paths if n not in order)]
            count, files = len(problems), len({p.file for p in problems})
            raise ConfigError(
                f"{self.environment}-*",
                problems,
                headline=(
                    f"Meridian configuration of environment {self.environment} is invalid: "
                    f"{count} problem{'s' if count != 1 else ''} in {files} "
                    f"file{'s' if files != 1 else ''}; nothing was planned or deployed."
                ),
                file_order=[f"Pulumi.{n}.yaml" for n in names],
            )
        return CheckedEnvironment(
            environment=self.environment,
            stacks=[self.files[n] for n in order],
            settings={n: self.settings[n] for n in order},
        )


def _stand_in_manifest(
    environment: str, manifest_config: dict[str, Any], region: str | None
) -> dict[str, Any]:
    """What a stack file is judged against while the manifest is broken: the regions it lists
    that are usable names (and the stack's own), the regional settings that are valid on their
    own, the opt-outs, over the defaults; placeholders for owner and cost center."""
    regions = [
        r
        for r in _listed(manifest_config)
        if capabilities.region_exists(r) and r in REGION_SLOTS and r != region
    ]
    stand_in: dict[str, Any] = {
        f"{NAMESPACE}:owner": "unknown",
        f"{NAMESPACE}:costCenter": "unknown",
        f"{NAMESPACE}:regions": [region, *regions] if region else regions or ["us-east-1"],
    }
    opt_outs = manifest_config.get(f"{NAMESPACE}:serviceOptOuts")
    if isinstance(opt_outs, dict):
        # what the user meant, even where the manifest's form is wrong (reported there): a
        # region's file must not be blamed for a missing opt-out
        stand_in[f"{NAMESPACE}:serviceOptOuts"] = {
            r: [v]
            if isinstance(v, str)
            else v
            if isinstance(v, list)
            else list(OPTIONAL_CAPABILITIES)
            for r, v in opt_outs.items()  # pyright: ignore[reportUnknownVariableType]
            if r in stand_in[f"{NAMESPACE}:regions"]
        }
    defaults = {k: v for k, v in ENVIRONMENT_DEFAULTS[environment].items() if k in REGIONAL_KEYS}
    for key in REGIONAL_KEYS:
        value = manifest_config.get(f"{NAMESPACE}:{key}")
        if value is not None:
            valid = _valid_part(defaults, key, value)
            if valid is not None:
                stand_in[f"{NAMESPACE}:{key}"] = valid
    return stand_in


def _valid_part(defaults: dict[str, Any], key: str, value: Any) -> Any:
    """`value` of the regional `key` without the parts that fail validation (the defaults apply
    there), or None if nothing of it stands."""
    for _ in range(2):
        try:
            RegionalSettings.model_validate(deep_merge(defaults, {key: value}))
            return value
        except ValidationError as exc:
            if not isinstance(value, dict):
                return None
            value = copy.deepcopy(value)  # pyright: ignore[reportUnknownArgumentType]
            for err in exc.errors():
                _drop(value, tuple(err["loc"])[1:])
    return None


def _drop(value: dict[str, Any], path: tuple[int | str, ...]) -> None:
    """Remove the entry at `path` (a pydantic location) from nested mappings, if it is there."""
    for i, part in enumerate(path):
        if not isinstance(part, str) or part not in value:
            return
        if i == len(path) - 1 or not isinstance(value[part], dict):
            del value[part]
            return
        value = value[part]


def _listed(manifest_config: dict[str, Any]) -> list[str]:
    """The regions a manifest lists, as far as they read as names (to order the message)."""
    listed = manifest_config.get(f"{NAMESPACE}:regions")
    if not isinstance(listed, list):
        return []
    return [r for r in listed if isinstance(r, str)]  # pyright: ignore[reportUnknownVariableType]


def _deployment_order(environment: str, regions: list[str], names: list[str]) -> list[str]:
    """global, the regions in manifest order, edge: the names among `names`."""
    wanted = [
        f"{environment}-global",
        *(f"{environment}-{r}" for r in regions),
        f"{environment}-edge",
    ]
    return [n for n in wanted if n in names]
