"""Every pinned version is listed in the README, generated from where it is pinned."""

from meridian_ops.gen_versions import README, rows, updated
from stacks import versions


def test_readme_version_table_is_current() -> None:
    text = README.read_text()
    assert updated(text) == text, "run: .venv/bin/python -m meridian_ops.gen_versions"


def test_every_chart_and_addon_is_listed() -> None:
    listed = {what for what, _, _ in rows()}
    for name in versions.HELM_CHARTS:
        assert any(name in what for what in listed), name
    for addon in versions.EKS_ADDONS[versions.KUBERNETES_VERSION]:
        assert f"EKS add-on {addon}" in listed


def test_versions_are_exact() -> None:
    for what, version, _ in rows():
        assert version and not version.startswith(("^", "~", ">", "<")), (what, version)
