"""Writes policies/config/staging.json from policies/config/prod.json: staging is prod-like.

    python -m meridian_ops.gen.staging_policy_config           # rewrite staging.json
    python -m meridian_ops.gen.staging_policy_config --check   # exit 1 if it is stale

Staging runs every policy at prod's level with prod's allowlists and exemptions, except:
- `tag-environment-matches-config` expects `staging`;
- the policies whose description says they are meant for prod (cross-region replication of
  sensitive buckets, locked backup vaults) advise instead of block: staging keeps one copy;
- the GraphQL router may answer introspection (`meridian:graphql.introspection` is on outside
  prod, for the teams building clients against staging).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
PROD_ONLY_ADVISORY: tuple[str, ...] = ("s3-sensitive-bucket-replication", "backup-vault-locked")
STAGING_SETTINGS: dict[str, dict[str, Any]] = {
    "graphql-router-introspection-off": {"allowIntrospection": True},
}
"""Policy config properties that differ in staging (the policy stays at prod's level)."""


def render(prod: dict[str, Any]) -> str:
    staging = copy.deepcopy(prod)
    entry = staging.get("tag-environment-matches-config")
    if isinstance(entry, dict):
        entry["expectedEnvironment"] = "staging"
    for name, settings in STAGING_SETTINGS.items():
        value = staging.get(name)
        level = value.get("enforcementLevel") if isinstance(value, dict) else value
        staging[name] = {"enforcementLevel": level or "mandatory", **settings}
    for name in PROD_ONLY_ADVISORY:
        value = staging.get(name)
        if isinstance(value, dict):
            value["enforcementLevel"] = "advisory"
        else:
            staging[name] = "advisory"
    return json.dumps(staging, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write policies/config/staging.json from prod.json."
    )
    parser.add_argument("--check", action="store_true", help="fail if staging.json is stale")
    args = parser.parse_args(argv)
    wanted = render(json.loads((CONFIG_DIR / "prod.json").read_text(encoding="utf-8")))
    path = CONFIG_DIR / "staging.json"
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != wanted:
            print(f"{path} is stale: python -m meridian_ops.gen.staging_policy_config")
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
