"""Generate Meridian's region capability table from what AWS publishes.

The table (``stacks/region_capabilities.json``) records, for every commercial AWS region, which of
the services Meridian uses are offered there, the region's availability-zone IDs, and which of the
instance types Meridian's node pools use are offered and in how many AZs. Nothing in it is written
by hand: it is built by calling the public AWS APIs

* SSM ``GetParametersByPath`` / ``GetParameters`` on ``/aws/service/global-infrastructure/...``
  (regions, their long names, partitions and AZ IDs; the regions each service is offered in), and
* EC2 ``DescribeInstanceTypeOfferings`` with location type ``region``, ``availability-zone`` and
  ``availability-zone-id``.

The same :func:`build_table` runs in two modes:

``generate``  inside moto's ``mock_aws``: moto answers from the snapshots it ships
              (``moto/ssm/resources/{regions,services}.json.gz`` and
              ``moto/ec2/resources/instance_type_offerings/``). Deterministic, offline.
``refresh``   against a real account through a boto3 session for ``--profile``.
``check``     regenerates from moto and diffs against the committed table (exit 1 on drift).

Usage::

    python -m meridian_ops.gen.capabilities generate
    python -m meridian_ops.gen.capabilities check
    python -m meridian_ops.gen.capabilities refresh --profile <profile>
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import difflib
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import boto3
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_PATH = REPO_ROOT / "stacks" / "region_capabilities.json"

SCHEMA_VERSION = 1
PARTITION = "aws"
SSM_ROOT = "/aws/service/global-infrastructure"
# Region whose SSM endpoint is asked for the global-infrastructure parameters. The parameters are
# global (the same in every region), us-east-1 is enabled in every commercial account.
SSM_REGION = "us-east-1"

# Meridian service name -> SSM global-infrastructure service code. Every code is verified to exist
# at generation time (a typo or a code AWS retires fails the generator, not the config check).
SERVICE_CODES: dict[str, str] = {
    "aurora-postgresql": "aurora",
    "backup": "backup",
    "cloudwatch-logs": "logs",
    "dynamodb": "dynamodb",
    "ecr": "ecr",
    "eks": "eks",
    "elasticache": "elasticache",
    "guardduty": "guardduty",
    "keyspaces": "mcs",
    "kms": "kms",
    "lambda": "lambda",
    "managed-grafana": "grafana",
    "managed-prometheus": "aps",
    "msk": "kafka",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "serverless-repo": "serverlessrepo",
    "ssm": "ssm",
    "sts": "sts",
    "vpc-ipam": "vpc",
    "waf": "waf",
}

# Why a code is not the obvious one. Copied into the table's source block.
SERVICE_CODE_NOTES: dict[str, str] = {
    "aurora-postgresql": (
        "AWS publishes Amazon Aurora as its own code 'aurora' (endpoint rds.<region>); it is used "
        "instead of the broader 'rds'. In the moto 5.2.5 snapshot both cover the same regions."
    ),
    "vpc-ipam": (
        "IPAM is not published as a separate service code; it is a feature of Amazon VPC "
        "(EC2 API), so the 'vpc' code is used. Check IPAM's own region list before relying on it "
        "in a brand-new region."
    ),
    "waf": (
        "There is no 'wafv2' code: AWS WAF (v2) is published as 'waf' (endpoint wafv2.<region>). "
        "'waf-regional' is WAF Classic and is not used."
    ),
}

# The GPU pools' preference lists (stacks/node_pool_settings.py) are judged against these: every
# type a shipped preference list names must be tracked. Inference: g6e (L40S) > g6 (L4) > g5 (A10G)
# > g4dn (T4); training: p5en (H200) > p5 (H100) > p4de (A100 80 GB) > p4d (A100 40 GB).
GPU_INSTANCE_TYPES: tuple[str, ...] = (
    "g5.xlarge",
    "g5.2xlarge",
    "g5.12xlarge",
    "g6.xlarge",
    "g6.2xlarge",
    "g6.12xlarge",
    "g6e.xlarge",
    "g6e.2xlarge",
    "g6e.12xlarge",
    "g4dn.xlarge",
    "g4dn.2xlarge",
    "g4dn.12xlarge",
    "p4d.24xlarge",
    "p4de.24xlarge",
    "p5.48xlarge",
    "p5en.48xlarge",
)
SYSTEM_INSTANCE_TYPES: tuple[str, ...] = (
    "m7i.large",
    "m7i.xlarge",
    "m7i.2xlarge",
    "m6i.large",
    "m6i.xlarge",
    "m6i.2xlarge",
    "r7g.large",
    "c7i.xlarge",
    # Graviton families of the Karpenter `general` pool (one representative size per family).
    "m7g.xlarge",
    "c7g.xlarge",
    "r7g.xlarge",
    # ElastiCache node types (meridian:sizing.cache.nodeType, DATA): `cache.<type>` is judged by the
    # EC2 offering of `<type>`, the instance family ElastiCache runs the node on. r7g.large and
    # r7g.xlarge above cover staging and prod; these cover dev and the previous generation.
    "t4g.small",
    "t4g.medium",
    "r6g.large",
    "r6g.xlarge",
    # prod's cache node: the architecture's "100GB per node" (cache.r7g.4xlarge, 105.81 GiB).
    "r7g.4xlarge",
)

# EC2 errors that mean "this account cannot look at this region" (opt-in region not enabled,
# SCP denying it): the region is recorded with instance data unavailable instead of failing.
_REGION_UNAVAILABLE_CODES = frozenset(
    {
        "AuthFailure",
        "OptInRequired",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)

Table = dict[str, Any]
Client = Any  # boto3 clients are dynamically typed (no stubs in the venv)
Log = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


# --------------------------------------------------------------------------------------------
# SSM: the public global-infrastructure parameters
# --------------------------------------------------------------------------------------------


def _children(ssm: Client, path: str) -> list[tuple[str, str]]:
    """(last path segment, value) of the direct children of ``path``, sorted."""
    out: list[tuple[str, str]] = []
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=path, Recursive=False):
        for param in cast(list[dict[str, Any]], page.get("Parameters", [])):
            name = str(param["Name"])
            out.append((name.rsplit("/", 1)[1], str(param["Value"])))
    return sorted(out)


def _get_values(ssm: Client, names: Sequence[str]) -> dict[str, str]:
    """Values of the given parameter names (GetParameters, 10 names per call); missing omitted."""
    found: dict[str, str] = {}
    for start in range(0, len(names), 10):
        resp = ssm.get_parameters(Names=list(names[start : start + 10]))
        for param in cast(list[dict[str, Any]], resp.get("Parameters", [])):
            found[str(param["Name"])] = str(param["Value"])
    return found


def _service_long_names(ssm: Client, codes: Iterable[str]) -> dict[str, str]:
    """Long name per SSM service code; raises if AWS does not publish a code."""
    unique = sorted(set(codes))
    names = [f"{SSM_ROOT}/services/{code}/longName" for code in unique]
    values = _get_values(ssm, names)
    missing = [code for code, name in zip(unique, names, strict=True) if name not in values]
    if missing:
        raise RuntimeError(
            f"SSM service code(s) not published under {SSM_ROOT}/services: {', '.join(missing)}. "
            "Fix SERVICE_CODES in meridian_ops/gen/capabilities.py."
        )
    return {code: values[name] for code, name in zip(unique, names, strict=True)}


def _commercial_regions(ssm: Client) -> dict[str, str]:
    """region -> long name, for every region whose partition is ``aws``."""
    regions = [value for _, value in _children(ssm, f"{SSM_ROOT}/regions")]
    names: list[str] = []
    for region in regions:
        names += [
            f"{SSM_ROOT}/regions/{region}/partition",
            f"{SSM_ROOT}/regions/{region}/longName",
        ]
    values = _get_values(ssm, names)
    out: dict[str, str] = {}
    for region in sorted(regions):
        if values.get(f"{SSM_ROOT}/regions/{region}/partition") == PARTITION:
            out[region] = values.get(f"{SSM_ROOT}/regions/{region}/longName", region)
    return out


def _offered_services(
    ssm: Client, regions: Iterable[str], codes: Sequence[str], log: Log
) -> set[tuple[str, str]]:
    """(region, code) pairs AWS publishes under BOTH trees.

    AWS publishes availability twice, ``regions/<region>/services/<code>`` and
    ``services/<code>/regions/<region>``. A service counts as offered only if both say so; the
    rare disagreement is logged. Exact names via GetParameters: with moto this is a dict lookup
    per name, where every GetParametersByPath page scans all ~54,000 parameters.
    """
    pairs = [(region, code) for region in regions for code in codes]
    by_region = _get_values(ssm, [f"{SSM_ROOT}/regions/{r}/services/{c}" for r, c in pairs])
    by_service = _get_values(ssm, [f"{SSM_ROOT}/services/{c}/regions/{r}" for r, c in pairs])
    out: set[tuple[str, str]] = set()
    for region, code in pairs:
        a = f"{SSM_ROOT}/regions/{region}/services/{code}" in by_region
        b = f"{SSM_ROOT}/services/{code}/regions/{region}" in by_service
        if a and b:
            out.add((region, code))
        elif a != b:
            log(f"warning: {code} in {region} is published under only one SSM tree: not offered")
    return out


# --------------------------------------------------------------------------------------------
# EC2: instance type offerings
# --------------------------------------------------------------------------------------------


def _offerings(
    ec2: Client, location_type: str, instance_types: Sequence[str] | None
) -> list[tuple[str, str]]:
    """(instance type, location) pairs for the region of ``ec2``."""
    kwargs: dict[str, Any] = {"LocationType": location_type}
    if instance_types is not None:
        kwargs["Filters"] = [{"Name": "instance-type", "Values": list(instance_types)}]
    out: list[tuple[str, str]] = []
    for page in ec2.get_paginator("describe_instance_type_offerings").paginate(**kwargs):
        for item in cast(list[dict[str, Any]], page.get("InstanceTypeOfferings", [])):
            out.append((str(item["InstanceType"]), str(item["Location"])))
    return out


def _has_offerings(ec2: Client) -> bool:
    """Whether EC2 lists any instance type at all in this region (false: no data / no access)."""
    resp = ec2.describe_instance_type_offerings(LocationType="region", MaxResults=5)
    return bool(resp.get("InstanceTypeOfferings"))


def _instance_types(ec2: Client, region: str) -> dict[str, dict[str, Any]] | None:
    """Per tracked instance type: offered in the region, AZ count and AZ IDs. None if unknown."""
    tracked = [*GPU_INSTANCE_TYPES, *SYSTEM_INSTANCE_TYPES]
    try:
        in_region = {t for t, _ in _offerings(ec2, "region", tracked)}
        # None of ours offered: tell "EC2 lists nothing here" (no data / no access) apart from
        # a real "none of our types". Only then, as moto answers unfiltered calls in full.
        if not in_region and not _has_offerings(ec2):
            return None
        by_az_name: dict[str, set[str]] = {}
        for t, az in _offerings(ec2, "availability-zone", tracked):
            by_az_name.setdefault(t, set()).add(az)
        by_az_id: dict[str, set[str]] = {}
        for t, az_id in _offerings(ec2, "availability-zone-id", tracked):
            by_az_id.setdefault(t, set()).add(az_id)
    except ClientError as err:
        error = cast(dict[str, Any], err.response).get("Error", {})
        code = str(cast(dict[str, Any], error).get("Code", ""))
        if code in _REGION_UNAVAILABLE_CODES:
            return None
        raise
    out: dict[str, dict[str, Any]] = {}
    for t in tracked:
        names = by_az_name.get(t, set())
        ids = sorted(by_az_id.get(t, set()))
        if len(names) != len(ids):
            raise RuntimeError(
                f"{region} {t}: offered in {len(names)} AZs by name but {len(ids)} by AZ ID"
            )
        out[t] = {"offered": t in in_region, "az_count": len(names), "az_ids": ids}
    return out


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _content_hash(table: Mapping[str, Any]) -> str:
    body = copy.deepcopy(dict(table))
    source = dict(body.get("source", {}))
    source.pop("date", None)
    source.pop("content_sha256", None)
    body["source"] = source
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def build_table(
    session: boto3.Session,
    *,
    source_kind: str,
    date: str | None = None,
    log: Log = _quiet,
) -> Table:
    """Build the capability table through ``session`` (real account or moto, same calls)."""
    ssm: Client = session.client("ssm", region_name=SSM_REGION)
    # Region-tree calls first, service-tree calls after: moto loads each tree on first use and
    # every GetParametersByPath page scans all loaded parameters (~27,000 per tree).
    regions = _commercial_regions(ssm)
    log(f"{len(regions)} commercial regions")
    az_ids_by_region = {
        region: sorted(
            v for _, v in _children(ssm, f"{SSM_ROOT}/regions/{region}/availability-zones")
        )
        for region in regions
    }
    long_names = _service_long_names(ssm, SERVICE_CODES.values())
    offered = _offered_services(ssm, regions, sorted(set(SERVICE_CODES.values())), log)

    table_regions: dict[str, Any] = {}
    for region, long_name in regions.items():
        az_ids = az_ids_by_region[region]
        ec2: Client = session.client("ec2", region_name=region)
        types = _instance_types(ec2, region)
        entry: dict[str, Any] = {
            "long_name": long_name,
            "az_ids": az_ids,
            "az_count": len(az_ids),
            "services": {
                name: (region, code) in offered for name, code in sorted(SERVICE_CODES.items())
            },
            "instance_data": types is not None,
            "gpu_instance_types": None,
            "system_instance_types": None,
        }
        if types is not None:
            entry["gpu_instance_types"] = {t: types[t] for t in GPU_INSTANCE_TYPES}
            entry["system_instance_types"] = {t: types[t] for t in SYSTEM_INSTANCE_TYPES}
        table_regions[region] = entry
        log(f"{region}: {len(az_ids)} AZs, instance data {'yes' if types is not None else 'no'}")

    table: Table = {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "kind": source_kind,
            "date": date or dt.date.today().isoformat(),
            "partition": PARTITION,
            "ssm_paths": [
                f"{SSM_ROOT}/regions",
                f"{SSM_ROOT}/regions/<region>/partition",
                f"{SSM_ROOT}/regions/<region>/longName",
                f"{SSM_ROOT}/regions/<region>/availability-zones",
                f"{SSM_ROOT}/regions/<region>/services/<code>",
                f"{SSM_ROOT}/services/<code>/longName",
                f"{SSM_ROOT}/services/<code>/regions/<region>",
            ],
            "ec2_api": "DescribeInstanceTypeOfferings "
            "(LocationType region, availability-zone, availability-zone-id)",
            "service_codes": dict(sorted(SERVICE_CODES.items())),
            "service_code_long_names": long_names,
            "service_code_notes": dict(sorted(SERVICE_CODE_NOTES.items())),
            "gpu_instance_types": list(GPU_INSTANCE_TYPES),
            "system_instance_types": list(SYSTEM_INSTANCE_TYPES),
        },
        "regions": table_regions,
    }
    table["source"]["content_sha256"] = _content_hash(table)
    return table


def moto_source_kind() -> str:
    return f"moto {importlib.metadata.version('moto')} snapshot"


def generate_from_moto(*, date: str | None = None, log: Log = _quiet) -> Table:
    """Build the table from moto's snapshots: the real API calls, answered by ``mock_aws``."""
    from moto import mock_aws

    with _moto_without_default_amis(), mock_aws():
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=SSM_REGION,
        )
        return build_table(session, source_kind=moto_source_kind(), date=date, log=log)


@contextlib.contextmanager
def _moto_without_default_amis() -> Generator[None]:
    """moto loads ~2,000 AMIs into every EC2 backend it creates (one per region, and again on
    reset); we only read instance type offerings, so skip that. Cuts generation from ~12 s to ~2 s.
    """
    key = "MOTO_EC2_LOAD_DEFAULT_AMIS"
    saved = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = saved


def refresh(session: boto3.Session, *, date: str | None = None, log: Log = _quiet) -> Table:
    """Build the table from a real account (any account can read the public parameters)."""
    return build_table(session, source_kind="account refresh", date=date, log=log)


# --------------------------------------------------------------------------------------------
# Files, diffs, CLI
# --------------------------------------------------------------------------------------------


def render(table: Mapping[str, Any]) -> str:
    return json.dumps(table, indent=2, sort_keys=True) + "\n"


def load(path: Path = TABLE_PATH) -> Table:
    return cast(Table, json.loads(path.read_text(encoding="utf-8")))


def _without_date(table: Mapping[str, Any]) -> Table:
    body = copy.deepcopy(dict(table))
    body["source"] = {k: v for k, v in dict(body.get("source", {})).items() if k != "date"}
    return body


def same_content(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal apart from the generation date."""
    return _without_date(a) == _without_date(b)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in cast(dict[str, Any], value).items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def diff(
    committed: Mapping[str, Any],
    fresh: Mapping[str, Any],
    *,
    fromfile: str = "committed stacks/region_capabilities.json",
    tofile: str = "fresh generation",
) -> str:
    """What changed (generation date and content hash ignored), one line per changed value, then
    a unified diff of the JSON; empty if the tables agree."""
    old, new = _without_date(committed), _without_date(fresh)
    for table in (old, new):
        table["source"].pop("content_sha256", None)
    if old == new:
        return ""
    flat_old, flat_new = _flatten(old), _flatten(new)
    summary = [
        f"  {key}: {json.dumps(flat_old.get(key, '<absent>'))} -> "
        f"{json.dumps(flat_new.get(key, '<absent>'))}"
        for key in sorted(set(flat_old) | set(flat_new))
        if flat_old.get(key, "<absent>") != flat_new.get(key, "<absent>")
    ]
    lines = difflib.unified_diff(
        render(old).splitlines(keepends=True),
        render(new).splitlines(keepends=True),
        fromfile=fromfile,
        tofile=tofile,
    )
    return f"{len(summary)} value(s) differ:\n" + "\n".join(summary) + "\n\n" + "".join(lines)


def write(table: Table, path: Path = TABLE_PATH) -> bool:
    """Write ``table``; keeps the committed date when nothing else changed. True if written."""
    if path.exists():
        try:
            old = load(path)
        except ValueError:
            old = None
        if old is not None and same_content(old, table):
            table = copy.deepcopy(table)
            table["source"]["date"] = old["source"]["date"]
            if path.read_text(encoding="utf-8") == render(table):
                return False
    path.write_text(render(table), encoding="utf-8")
    return True


def check(path: Path = TABLE_PATH, *, out: Callable[[str], None] = print) -> int:
    """0 if the committed table matches a fresh moto generation, else 1 (with a diff)."""
    if not path.exists():
        out(f"{path} is missing: run `python -m meridian_ops.gen.capabilities generate`")
        return 1
    committed = load(path)
    if committed.get("source", {}).get("content_sha256") != _content_hash(committed):
        out(f"{path}: content hash mismatch, the file was edited by hand. Regenerate it.")
        return 1
    kind = str(committed.get("source", {}).get("kind", ""))
    if kind == "account refresh":
        out(
            f"{path} comes from an account refresh ({committed['source'].get('date')}); it cannot "
            "be re-fetched offline. Its content hash is intact. Re-run `refresh` to verify it."
        )
        return 0
    fresh = generate_from_moto()
    delta = diff(committed, fresh, fromfile=str(path), tofile=f"fresh ({fresh['source']['kind']})")
    if delta:
        out(delta)
        out(
            f"{path} drifted from {fresh['source']['kind']}. "
            "Run `python -m meridian_ops.gen.capabilities generate` and commit the result."
        )
        return 1
    out(f"{path} matches {fresh['source']['kind']}.")
    return 0


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


def _iter_summary(table: Mapping[str, Any]) -> Iterator[str]:
    regions = cast(dict[str, dict[str, Any]], table["regions"])
    yield f"{len(regions)} regions ({table['source']['kind']})"
    for region, entry in regions.items():
        missing = [name for name, ok in entry["services"].items() if not ok]
        if missing:
            yield f"  {region}: lacks {', '.join(missing)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meridian_ops.gen.capabilities")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="build the table from moto's snapshots (offline)")
    gen.add_argument("--output", type=Path, default=TABLE_PATH)
    ref = sub.add_parser("refresh", help="build the table from a real AWS account")
    ref.add_argument("--profile", required=True, help="AWS profile (ssm + ec2 read access)")
    ref.add_argument("--output", type=Path, default=TABLE_PATH)
    chk = sub.add_parser("check", help="diff the committed table against moto (exit 1 if drifted)")
    chk.add_argument("--path", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(cast(Path, args.path))
    if args.command == "generate":
        table = generate_from_moto(log=_stderr)
    else:
        session = boto3.Session(profile_name=cast(str, args.profile))
        table = refresh(session, log=_stderr)
    output = cast(Path, args.output)
    written = write(table, output)
    for line in _iter_summary(table):
        _stderr(line)
    _stderr(f"{'wrote' if written else 'unchanged'}: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
