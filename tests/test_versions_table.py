"""Every pinned version is listed in the README, generated from where it is pinned, with where it
was verified."""

import re

from meridian_ops.gen.gen_versions import NOT_RECORDED, README, rows, updated
from stacks import versions


def test_readme_version_table_is_current() -> None:
    text = README.read_text()
    assert updated(text) == text, "run: .venv/bin/python -m meridian_ops.gen.gen_versions"


def test_every_chart_and_addon_is_listed() -> None:
    listed = {what for what, _, _, _ in rows()}
    for name in versions.HELM_CHARTS:
        assert any(name in what for what in listed), name
    for addon in versions.EKS_ADDONS[versions.KUBERNETES_VERSION]:
        assert f"EKS add-on {addon}" in listed


def test_versions_are_exact() -> None:
    for what, version, _, _ in rows():
        assert version and not version.startswith(("^", "~", ">", "<")), (what, version)


def test_every_stacks_pin_row_names_where_it_was_verified() -> None:
    """Rows of stacks/versions.py's non-chart pins show their evidence (publisher, source, date);
    a chart row falls back to NOT_RECORDED until HelmChart carries an evidence record."""
    for what, _, where, verified in rows():
        if where != "stacks/versions.py" or what.startswith("Helm chart "):
            continue
        assert verified != NOT_RECORDED, what
        assert re.search(r"\(\d{4}-\d{2}-\d{2}\)$", verified), (what, verified)
