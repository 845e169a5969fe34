"""Meridian: `pulumi preview` / `pulumi up` entry point. The stack name selects the role."""

from stacks.program import main

main()
