"""Flow tests: the platform's flows traced link by link through planned stacks."""
