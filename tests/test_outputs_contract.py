"""The contract between stacks (stacks/outputs.py): it owns every output name, the stacks export
exactly its fields, and no output name is written as a string anywhere else."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from stacks.outputs import (
    READ_ONLY_KEYS,
    EdgeKey,
    EdgeOutputs,
    GlobalKey,
    GlobalOutputs,
    RegionalKey,
    RegionalOutputs,
)
from tests.conftest import ROOT
from tests.plans import planned

CONTRACTS = ((GlobalOutputs, GlobalKey), (RegionalOutputs, RegionalKey), (EdgeOutputs, EdgeKey))
NAMES = sorted({k.value for _, keys in CONTRACTS for k in keys})

SHARED = {
    # also a config key, a tag key, a provider property or a capability table field: checked only
    # where read as a stack output (below), never anywhere else
    "region",
    "regions",
    "environment",
    "tags",
    "aurora",
    "sizing",
    "accountId",
    "vpcId",
    "clusterName",
    "origins",
    "drainedRegions",
    "rateLimits",
    "grafanaRegion",
    "vpcCidrs",
    "nameServers",
    "prometheusEndpoint",
    "primaryRegion",
}
SCANNED = ("stacks", "meridian_ops", "tests")
"""Where stack outputs are produced and read (components and policies know no stacks)."""
MAY_BE_NULL = {RegionalKey.AURORA, RegionalKey.LAKE_REPLICA_REGION, RegionalKey.REPLICATION_PEER}
"""Exported as None where the region has no such thing (a plan file leaves null outputs out)."""
OWNER = Path("stacks/outputs.py")
THIS = Path("tests/test_outputs_contract.py")


def _alternation(names: set[str] | list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names))


ANYWHERE = re.compile(rf"""(?<![\w-])["']({_alternation(set(NAMES) - SHARED)})["']""")
AS_OUTPUT = re.compile(
    r"""(?:outputs(?:["']\])?(?:\[|\.get\()|\b(?:export|require|require_item|get_output|"""
    rf"""require_output)\()\s*["']({_alternation(SHARED)})["']"""
)


def literal_output_names(text: str) -> list[str]:
    """Output names written as strings: a distinctive name anywhere; a shared word where it is
    read or written as a stack output."""
    return [m.group(1) for m in ANYWHERE.finditer(text)] + [
        m.group(1) for m in AS_OUTPUT.finditer(text)
    ]


def test_every_field_of_a_contract_has_its_key_and_every_key_a_field() -> None:
    for outputs, keys in CONTRACTS:
        names = {f.name for f in fields(outputs)}
        assert {n.upper() for n in names} == {k.name for k in keys if k not in READ_ONLY_KEYS}
        assert all(outputs.key(n) in keys for n in names)
        assert names >= outputs.OPTIONAL


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_the_stacks_export_exactly_the_contract(env: str) -> None:
    for name, plan in planned(env).items():
        outputs, keys = {"global": CONTRACTS[0], "regional": CONTRACTS[1], "edge": CONTRACTS[2]}[
            plan["role"]
        ]
        required = (
            {outputs.key(f.name) for f in fields(outputs)}
            - {outputs.key(n) for n in outputs.OPTIONAL}
            - MAY_BE_NULL
        )
        exported = set(plan["outputs"])
        assert required <= exported, (name, required - exported)
        assert exported <= {k.value for k in keys}, (name, exported - {k.value for k in keys})


def test_no_output_name_is_written_as_a_string_outside_the_contract() -> None:
    found: list[str] = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in (OWNER, THIS) or "node_modules" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                found += [f"{relative}:{number}: {n}" for n in literal_output_names(line)]
    assert not found, "use the keys of stacks/outputs.py:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('plan["outputs"]["podIpCapacity"]', ["podIpCapacity"]),
        ("pulumi.export('ingressHostname', x)", ["ingressHostname"]),
        ('ref.require("vpcId")', ["vpcId"]),
        ('edge.get("edgeProvider")', ["edgeProvider"]),
        ('outputs.get("clusterName")', ["clusterName"]),
        ('upstream.require_item("ipamPoolIds", region)', ["ipamPoolIds"]),
        ('config = {"drainedRegions": []}', []),  # the config key of the same name
        ('subnet["inputs"]["vpcId"]', []),  # a provider property
        ("outputs[RegionalKey.POD_IP_CAPACITY]", []),
    ],
)
def test_the_scan_sees_names_written_as_strings(line: str, expected: list[str]) -> None:
    assert literal_output_names(line) == expected
