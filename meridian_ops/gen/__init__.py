"""Generators of checked-in files: the README version table, the policy and tenancy and
dependency docs, the taggable-types list, the instance capabilities table and the staging
policy config; each has a check mode or a test that holds the file equal to its output."""
