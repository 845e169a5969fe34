"""Matching S3 bucket configuration resources to their buckets in stack policies.

Since pulumi-aws 4 a bucket's encryption, versioning, lifecycle, replication ... are separate
resources (``s3.BucketServerSideEncryptionConfiguration``, ``s3.BucketVersioning`` ...) whose
``bucket`` input names the bucket. :class:`BucketCoverage` ties each such configuration resource
to its bucket(s); :func:`check_bucket_coverage` is the shared body of the "every bucket has a
compliant <X> configuration" stack policies of ``policies.encryption_data`` and
``policies.data_safety_storage``. Unknown values are "cannot tell yet", never a violation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .support import Finding, Verdict, is_unknown, pget, plain

BUCKET_TYPES: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def bucket_name_of(reference: Any) -> Any:
    """Bucket name from a config resource's ``bucket`` input (a name or an S3 ARN)."""
    if isinstance(reference, str) and reference.startswith("arn:aws") and ":::" in reference:
        return reference.split(":::", 1)[1]
    return reference


@dataclass
class BucketCoverage:
    """Which S3 buckets of a stack are covered by which configuration resources.

    A configuration resource (``BucketVersioning``, ``BucketServerSideEncryptionConfiguration``
    ...) is matched to its bucket by, in order: the URNs its ``bucket`` input depends on
    (``propertyDependencies``, works when the bucket name is still unknown), the ``bucket`` value
    when known (bucket name or S3 ARN), its parent when the parent is a bucket, or its only
    bucket dependency. A configuration that matches nothing while some value is unknown is
    *unresolved*: buckets without a match are then not reported (it may be theirs).
    """

    buckets: list[PolicyResource]
    bucket_props: dict[str, dict[str, Any]]
    configs: list[tuple[PolicyResource, dict[str, Any]]]
    covered: dict[str, list[PolicyResource]] = field(
        default_factory=dict[str, list[PolicyResource]]
    )
    matches: dict[str, list[PolicyResource] | None] = field(
        default_factory=dict[str, "list[PolicyResource] | None"]
    )
    unresolved: bool = False

    @classmethod
    def build(
        cls, resources: Sequence[PolicyResource], config_types: Sequence[str]
    ) -> BucketCoverage:
        buckets = [r for r in resources if r.resource_type in BUCKET_TYPES]
        coverage = cls(
            buckets=buckets,
            bucket_props={b.urn: plain(b.props) for b in buckets},
            configs=[(r, plain(r.props)) for r in resources if r.resource_type in config_types],
        )
        for cfg, props in coverage.configs:
            matched = coverage._match(cfg, props)
            coverage.matches[cfg.urn] = matched
            if matched is None:
                coverage.unresolved = True
                continue
            for bucket in matched:
                coverage.covered.setdefault(bucket.urn, []).append(cfg)
        return coverage

    def _names(self, bucket: PolicyResource) -> tuple[set[str], bool]:
        """Known names of a bucket (``bucket`` input, ``arn`` output) and whether some name is
        still undetermined (unknown or absent, e.g. an auto-named bucket in preview)."""
        props = self.bucket_props[bucket.urn]
        names: set[str] = set()
        undetermined = False
        for value in (pget(props, "bucket"), bucket_name_of(pget(props, "arn"))):
            if isinstance(value, str) and value and not is_unknown(value):
                names.add(value)
            else:
                undetermined = True
        return names, undetermined and not names

    def _match(self, cfg: PolicyResource, props: dict[str, Any]) -> list[PolicyResource] | None:
        """The buckets a configuration resource belongs to; ``None`` if undeterminable."""
        deps = [
            d for d in cfg.property_dependencies.get("bucket", []) if d.urn in self.bucket_props
        ]
        if deps:
            return deps
        reference = bucket_name_of(pget(props, "bucket"))
        unnamed = False
        if isinstance(reference, str) and reference and not is_unknown(reference):
            by_name: list[PolicyResource] = []
            for bucket in self.buckets:
                names, undetermined = self._names(bucket)
                unnamed = unnamed or undetermined
                if reference in names:
                    by_name.append(bucket)
            if by_name:
                return by_name
        parent = cfg.parent
        if parent is not None and parent.urn in self.bucket_props:
            return [parent]
        bucket_deps = [d for d in cfg.dependencies if d.urn in self.bucket_props]
        if len(bucket_deps) == 1:
            return bucket_deps
        if is_unknown(reference) or unnamed:
            return None  # may belong to a bucket whose name is not known yet
        return []  # a bucket outside this stack

    def configs_for(self, bucket: PolicyResource) -> list[tuple[PolicyResource, dict[str, Any]]]:
        urns = {c.urn for c in self.covered.get(bucket.urn, [])}
        return [(c, p) for c, p in self.configs if c.urn in urns]


def check_bucket_coverage(
    args: StackValidationArgs,
    report: ReportViolation,
    *,
    config_types: Sequence[str],
    evaluate_config: Callable[[PolicyResource, dict[str, Any]], Finding],
    config_message: Callable[[PolicyResource, list[str]], str],
    missing_message: Callable[[PolicyResource], str],
    evaluate_inline: Callable[[dict[str, Any]], Finding] | None = None,
    applies_to: Callable[[PolicyResource, dict[str, Any]], Verdict] | None = None,
) -> None:
    """Shared body of the "every bucket has a compliant <X> configuration" stack policies.

    * a bucket is in scope when ``applies_to`` (default: every bucket) says ``ok``;
    * a configuration resource whose content is definitely non-compliant is reported on itself
      when it belongs to an in-scope bucket (or, without ``applies_to``, to no known bucket);
    * an in-scope bucket with no compliant matched configuration and no compliant inline block
      is reported on the bucket, unless something relevant is unknown.
    """
    coverage = BucketCoverage.build(args.resources, config_types)
    in_scope = {
        b.urn: applies_to is None or applies_to(b, coverage.bucket_props[b.urn]) == "ok"
        for b in coverage.buckets
    }
    config_verdicts: dict[str, Verdict] = {}
    for cfg, props in coverage.configs:
        verdict, problems = evaluate_config(cfg, props)
        config_verdicts[cfg.urn] = verdict
        matched = coverage.matches.get(cfg.urn)
        relevant = any(in_scope[b.urn] for b in matched) if matched else applies_to is None
        if verdict == "bad" and relevant:
            report(config_message(cfg, problems), cfg.urn)

    for bucket in coverage.buckets:
        props = coverage.bucket_props[bucket.urn]
        if not in_scope[bucket.urn]:
            continue
        verdicts = [config_verdicts[c.urn] for c, _ in coverage.configs_for(bucket)]
        if "ok" in verdicts or "unknown" in verdicts:
            continue
        if verdicts:
            continue  # its configuration is non-compliant and already reported on that resource
        if evaluate_inline is not None:
            inline_verdict, _ = evaluate_inline(props)
            if inline_verdict in ("ok", "unknown"):
                continue
        if coverage.unresolved:
            continue
        report(missing_message(bucket), bucket.urn)


def exempt_bucket_filter(
    patterns: Sequence[str],
) -> Callable[[PolicyResource, dict[str, Any]], Verdict] | None:
    """An ``applies_to`` that leaves out buckets whose logical name or bucket name fully matches
    one of ``patterns`` (regular expressions); ``None`` when there are no patterns. A bucket whose
    name is unknown is matched on its logical name only."""
    if not patterns:
        return None
    compiled = [re.compile(p) for p in patterns]

    def applies(resource: PolicyResource, props: dict[str, Any]) -> Verdict:
        names = [resource.name]
        name = pget(props, "bucket")
        if isinstance(name, str) and not is_unknown(name):
            names.append(name)
        exempt = any(c.fullmatch(n) for c in compiled for n in names)
        return "bad" if exempt else "ok"

    return applies
