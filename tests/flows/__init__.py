"""Flows traced through planned stacks: each link checked, a broken link named."""
