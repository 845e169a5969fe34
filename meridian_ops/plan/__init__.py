"""The offline plan: the mock engine and its AWS, data and edge mocks, the policy evaluation, the
deploy waves, the report and architecture page, the plan CLI (`python -m meridian_ops.plan`, code
in `cli.py`), the plan diff, the bench and the `make test` runner."""
