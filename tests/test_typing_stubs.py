"""The partial stubs pyright reads the Pulumi SDKs through (meridian_ops/plan/typing_stubs.py).

What they must keep: every name a package exports at run time that the code uses resolves to
the same object's module, and nothing the code does not use is named (that is what saves the
parse). The SDK packages' own run-time namespaces are the reference, not the generator.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pulumi_aws.s3
import pulumi_kubernetes.core.v1

from meridian_ops.plan import checks, typing_stubs

ROOT = Path(__file__).resolve().parents[1]
IMPORTED = re.compile(r"from (\.\w*) import (.+)")


def _stub_names(stub: str) -> dict[str, str]:
    """name -> the module (relative) a stub imports it from."""
    names: dict[str, str] = {}
    for line in stub.splitlines():
        if match := IMPORTED.fullmatch(line):
            for item in match.group(2).split(", "):
                name, alias = item.split(" as ")
                assert name == alias, line  # `X as X`: a re-export in a stub
                names[name] = match.group(1)
    return names


def test_pyright_reads_the_generated_stubs() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert ROOT / config["tool"]["pyright"]["stubPath"] == typing_stubs.OUT
    assert "build" in config["tool"]["ruff"]["extend-exclude"]  # generated: not linted


def test_a_whole_package_index_exports_what_the_package_exports_at_run_time() -> None:
    init = Path(pulumi_aws.s3.__file__)
    stub = typing_stubs.package_stub(init)
    assert stub is not None
    names = _stub_names(stub)
    assert pulumi_aws.s3.Bucket  # the SDK loads a subpackage on first attribute access
    public = {n for n in vars(pulumi_aws.s3) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(pulumi_aws.s3, n)).__name__ == "module"}
    assert set(names) - {"_utilities"} == public - modules | {"outputs"}
    for name in ("Bucket", "BucketArgs", "BucketPolicy", "get_bucket"):
        defined_in = getattr(pulumi_aws.s3, name).__module__
        assert f"pulumi_aws.s3{names[name]}" == defined_in, name


def test_a_cut_index_names_only_what_is_wanted() -> None:
    stub = typing_stubs.package_stub(
        Path(pulumi_aws.s3.__file__), {"Bucket", "BucketPolicyArgs", "outputs"}
    )
    assert stub is not None
    assert _stub_names(stub) == {
        "Bucket": ".bucket",
        "BucketPolicyArgs": ".bucket_policy",
        "outputs": ".",
    }


def test_the_used_chains_come_from_every_alias_of_each_sdk(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text(
        "import pulumi_aws as aws\nimport pulumi_kubernetes as k8s\n"
        "b = aws.s3.Bucket('b')\nr = aws.get_region()\n"
        "def f(ns: 'k8s.core.v1.Namespace') -> None: ...\n"
        "kinds = k8s.apps\n"
        "from pulumi_aws.iam import Role, get_policy_document\n"
    )
    chains = typing_stubs.used_chains([source], typing_stubs.PACKAGES)
    assert chains["pulumi_aws"] == {
        ("s3", "Bucket"),
        ("get_region",),
        ("iam", "Role"),
        ("iam", "get_policy_document"),
    }
    assert chains["pulumi_kubernetes"] == {("core", "v1", "Namespace"), ("apps",)}
    assert chains["pulumi_cloudflare"] == set()
    k8s_dir = Path(pulumi_kubernetes.__file__).parent
    wanted = typing_stubs.wanted_names(k8s_dir, chains["pulumi_kubernetes"])
    assert wanted[k8s_dir] == {"core", "apps"}
    assert wanted[k8s_dir / "core"] == {"v1"}
    assert wanted[k8s_dir / "core" / "v1"] == {"Namespace"}
    assert wanted[k8s_dir / "apps"] is None  # used whole: every name


def test_generated_stubs_resolve_every_used_name_to_its_run_time_module(tmp_path: Path) -> None:
    sources = [ROOT / p for p in checks.type_check_inputs(checks.repository_files())]
    sources = [p for p in sources if p.suffix == ".py"]
    written, kept = typing_stubs.generate(sources, tmp_path)
    assert written > 0
    stubs = sorted(tmp_path.glob("*-stubs/**/__init__.pyi"))
    assert len(stubs) == written
    for package in typing_stubs.PACKAGES:
        assert (tmp_path / f"{package}-stubs" / "py.typed").read_text() == "partial\n"
    checked = 0
    for stub in stubs:
        relative = stub.parent.relative_to(tmp_path)
        package = ".".join([relative.parts[0].removesuffix("-stubs"), *relative.parts[1:]])
        if package.startswith("pulumi_cloudflare"):
            continue  # one flat package of 780 modules: importing it costs a minute under load
        module = importlib.import_module(package)
        for name, source in _stub_names(stub.read_text()).items():
            value = getattr(module, name)  # exported at run time (loads a lazy subpackage)
            if type(value).__name__ != "module" and hasattr(value, "__module__"):
                assert value.__module__ == f"{package}{source}", (package, name)
                checked += 1
    assert checked > 100
    # the ones the code plainly uses are there, and a package's unused names are not
    s3 = _stub_names((tmp_path / "pulumi_aws-stubs" / "s3" / "__init__.pyi").read_text())
    # BucketPolicy: common/buckets.py; BucketObjectv2: the CDC plugin archive (streaming/cdc.py)
    assert {"BucketPolicy", "BucketObjectv2"} <= set(s3)
    assert not {"BucketObject", "AccessPoint"} & set(s3)  # exported by pulumi_aws.s3, unused
    root = _stub_names((tmp_path / "pulumi_aws-stubs" / "__init__.pyi").read_text())
    assert {"s3", "iam", "kms", "Provider"} <= set(root) and "sagemaker" not in root
    assert kept <= 1  # pulumi_aws.config: its __init__ swaps the module class; read as installed
