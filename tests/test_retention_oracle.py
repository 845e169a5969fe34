"""Every bucket's lifecycle, in the planned prod graph (up and preview), against the retention the
architecture gives its kind of data. The expected values are the design's, written here as
literals with the line of /work/shared/reference/architecture.txt they come from, never read from
the modules that build the buckets: a wrong value in a module fails here.

- Logs (Observability, "Retention"): "Hot (Elasticsearch / Loki): 30 days — fast query; Warm
  (S3 / GCS): 1 year — compressed Parquet; Cold (Glacier): 7 years — compliance archive".
- The lake's compliance zone and its access logs: the same 7-year compliance archive.
- Bronze (Medallion, "Bronze — Raw Zone"): "Retention: 2 years"; the landing zone holds the same
  raw copies before they are registered.

A bucket with a lifecycle that matches no kind below fails the test: a new bucket must say which
retention it follows.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plans import by_urn, editable, planned, states

YEAR_DAYS = 365
SEVEN_YEARS = (7 * YEAR_DAYS, 7 * YEAR_DAYS + 2)
"""7 years in days: 2,555 plus at most the two leap days a 7-year span holds."""
TWO_YEARS = (2 * YEAR_DAYS, 2 * YEAR_DAYS + 1)
HOT_DAYS = 30
"""Days logs stay in the fast (S3 Standard) tier before the warm tier."""
WARM_UNTIL_DAYS = YEAR_DAYS
"""Logs go to Glacier after one year."""

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET = "aws:s3/bucket:Bucket"


def kind_of(bucket: str) -> str | None:
    """The retention kind of a bucket, from its physical name (meridian-<env>-<r>-<purpose>...)."""
    if "-lake-compliance" in bucket or "-lake-access-logs" in bucket:
        return "compliance"
    if "-logs-" in bucket or "-audit-" in bucket:  # the audit trail is a log
        return "logs"
    if "-lake-bronze" in bucket or "-lake-landing" in bucket:
        return "raw"
    if "-lake-silver" in bucket or "-lake-gold" in bucket:
        return "curated"
    if "-lake-athena-results" in bucket:
        return "scratch"
    if "-models-" in bucket or "-uploads-" in bucket or "-svc-" in bucket:
        return "service"
    return None


def lifecycles(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(bucket name, its one lifecycle rule over the whole bucket) for every lifecycle config."""
    index = by_urn(plan)
    out: list[tuple[str, dict[str, Any]]] = []
    for config in states(plan, LIFECYCLE):
        urns = set(config.get("dependencies") or ())
        for deps in (config.get("propertyDependencies") or {}).values():
            urns.update(deps)
        buckets = [index[u] for u in urns if u in index and index[u]["type"] == BUCKET]
        assert len(buckets) == 1, config["urn"]
        whole = [r for r in config["inputs"]["rules"] if not (r.get("filter") or {}).get("prefix")]
        assert whole, f"{config['urn']}: no rule over the whole bucket"
        out.append((buckets[0]["inputs"]["bucket"], whole[0]))
    return out


def _expiry(rule: dict[str, Any]) -> int | None:
    return (rule.get("expiration") or {}).get("days")


def _transitions(rule: dict[str, Any]) -> dict[str, int]:
    return {t["storageClass"]: t["days"] for t in rule.get("transitions") or ()}


def retention_problems(plan: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for bucket, rule in lifecycles(plan):
        kind = kind_of(bucket)
        expiry, steps = _expiry(rule), _transitions(rule)
        if kind is None:
            problems.append(f"{bucket}: a lifecycle of no known retention kind")
        elif kind in ("compliance", "logs"):
            if expiry is None or not SEVEN_YEARS[0] <= expiry <= SEVEN_YEARS[1]:
                problems.append(f"{bucket}: expires after {expiry} days, not 7 years")
            if "GLACIER" not in steps:
                problems.append(f"{bucket}: no cold (Glacier) tier for the 7-year archive")
            if kind == "logs" and (
                steps.get("STANDARD_IA") != HOT_DAYS or steps.get("GLACIER") != WARM_UNTIL_DAYS
            ):
                problems.append(
                    f"{bucket}: log tiers {steps}, not hot {HOT_DAYS} d, warm until "
                    f"{WARM_UNTIL_DAYS} d, then cold"
                )
        elif kind == "raw":
            if expiry is None or not TWO_YEARS[0] <= expiry <= TWO_YEARS[1]:
                problems.append(f"{bucket}: raw data expires after {expiry} days, not 2 years")
        elif kind == "curated" and expiry is not None and expiry < SEVEN_YEARS[0]:
            # the architecture sets no expiry for silver and gold: they must outlive the raw zone
            problems.append(f"{bucket}: curated data expires after {expiry} days")
    return problems


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_every_bucket_keeps_its_data_as_long_as_the_design_says(preview: bool) -> None:
    plans = planned("prod", preview)
    checked = 0
    for name, plan in plans.items():
        checked += len(lifecycles(plan))
        assert retention_problems(plan) == [], name
    assert checked > 0


def test_a_compliance_archive_cut_to_two_years_fails() -> None:
    """The compliance bucket's expiry cut from 7 years to 730 days is caught."""

    plan = editable(planned("prod")["prod-us-east-1"])
    for config in states(plan, LIFECYCLE):
        if config["urn"].endswith("::lakehouse-compliance-lifecycle"):
            config["inputs"]["rules"][0]["expiration"] = {"days": 730}
    problems = retention_problems(plan)
    assert any("lake-compliance-" in p and "not 7 years" in p for p in problems), problems


def test_log_tiers_are_the_designs() -> None:

    plan = editable(planned("prod")["prod-us-east-1"])
    for config in states(plan, LIFECYCLE):
        if config["urn"].endswith("::log-archive-lifecycle"):
            config["inputs"]["rules"][0]["transitions"][1]["days"] = 90
    assert any("log tiers" in p for p in retention_problems(plan))
