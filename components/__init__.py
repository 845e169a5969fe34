"""Meridian's reusable ComponentResources. Components read no config and know nothing of stacks."""
