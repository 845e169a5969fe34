"""Generate policies/data/aws_taggable_types.json from the installed pulumi-aws SDK.

A resource type is taggable when its ``_internal_init`` (the constructor every resource class
funnels into, mirroring its ``*Args`` class) accepts a ``tags`` input. The type token is the first
argument of the ``super().__init__`` call that follows, e.g. ``aws:ec2/vpc:Vpc``.

The SDK is read as source text rather than imported: importing all of pulumi_aws takes minutes,
scanning its files takes about a second. The policy pack reads the JSON file and never imports
pulumi_aws.

    python -m meridian_ops.gen.gen_taggable_types            # rewrite the JSON file
    python -m meridian_ops.gen.gen_taggable_types --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = REPO_ROOT / "policies" / "data" / "aws_taggable_types.json"

_INIT_RE = re.compile(
    r"def _internal_init\(__self__,(?P<params>.*?)__props__=None\):"
    r".*?super\(\w+, __self__\).__init__\(\s*'(?P<token>aws:[^']+)'",
    re.DOTALL,
)
_TAGS_PARAM_RE = re.compile(r"^\s+tags: ", re.MULTILINE)


def _sdk_dir() -> Path:
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pulumi_aws is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations)))


def scan(sdk_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """Return (taggable type tokens, all resource type tokens), both sorted."""
    root = sdk_dir or _sdk_dir()
    taggable: set[str] = set()
    every: set[str] = set()
    for path in root.rglob("*.py"):
        if path.name.startswith("_") or path.name.startswith("get_") or path.name == "outputs.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "def _internal_init(" not in text:
            continue
        for match in _INIT_RE.finditer(text):
            token = match.group("token")
            every.add(token)
            if _TAGS_PARAM_RE.search(match.group("params")):
                taggable.add(token)
    return sorted(taggable), sorted(every)


def build() -> dict[str, Any]:
    taggable, every = scan()
    return {
        "generator": "meridian_ops/gen/gen_taggable_types.py",
        "pulumiAwsVersion": importlib.metadata.version("pulumi_aws"),
        "resourceTypeCount": len(every),
        "types": taggable,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale; run python -m meridian_ops.gen.gen_taggable_types")
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
