"""End-to-end flows traced through planned stacks (harness.py: the graph queries)."""
