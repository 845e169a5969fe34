"""Meridian guardrails: a Pulumi CrossGuard policy pack (see policies/README.md).

The pack is importable as the package ``policies`` both from the repository root (offline
evaluator, tests) and when the Pulumi engine runs it (``policies/__main__.py`` registers the pack
directory under that name). Modules inside the pack import each other relatively
(``from .support import ...``) or as ``policies.<module>``; never from Meridian's components/ or
stacks/, and never pulumi_aws.
"""
