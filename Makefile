# Meridian: everything runs from a fresh clone with Python 3.11 and these targets.
#   make test [FORCE=1]       unit tests, pyright, ruff at once; a step whose inputs are unchanged
#                             since its last green run is skipped (FORCE=1 runs every step)
#   make plan ENV=prod        offline plan of every stack of an environment (no credentials)
#                             [PREVIEW=1] as `pulumi preview` shows it, [JOBS=n] worker processes,
#                             [ARGS="--detail"] any other flag of `python -m meridian_ops.plan -h`
#   make bench                the prod plan against the mock engine's floor, then bench-tests
#   make bench-plan           the prod plan against the floor alone (ARGS="--runs 5")
#   make bench-tests          make test in a fresh copy of the tree, then again unchanged
#   make check-policies PLAN=build/plan/prod-us-east-1.json
#   make plan-diff BASE=origin/main [ENV=dev] [ARGS="--format markdown"]
#                             the plan of a git revision against the working tree's, per stack
# Operations (real credentials, the Pulumi CLI; see README "Operations"):
#   make preview|up|refresh|destroy ENV=prod [DRY_RUN=1] [JOBS=4] [POLICIES=1] [RESUME=1]
#   make bootstrap ENV=prod REGION=us-east-1 [PROFILE=p]   state bucket + secrets key
#   make failover ENV=prod TO=eu-west-1 [UNPLANNED=1] [EXECUTE=1]
#   make upgrade-gate ENV=prod
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
POLICY_VENV := policies/venv
ENV ?= dev
PLAN ?=
BASE ?=
PREVIEW ?=
JOBS ?=
ARGS ?=
DRY_RUN ?=
POLICIES ?=
RESUME ?=
REGION ?=
PROFILE ?=
TO ?=
UNPLANNED ?=
EXECUTE ?=
FORCE ?=
yes = $(filter 1 yes true,$(1))

.PHONY: venv policy-venv test unit lint plan check-policies bench bench-plan bench-tests \
	capabilities capabilities-check \
	clean schemas preview up refresh destroy bootstrap failover upgrade-gate plan-diff

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# The policy pack's own virtualenv, as `pulumi preview --policy-pack policies` creates it.
$(POLICY_VENV)/.installed: policies/requirements.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	touch $@

policy-venv: $(POLICY_VENV)/.installed

# CRD schemas for tests/k8s_schema.py: Istio's and Karpenter's, compiled into pinned npm packages
# (tests/crd/package.json and its lockfile); npm ci installs exactly those versions.
tests/crd/node_modules/.installed: tests/crd/package.json tests/crd/package-lock.json
	cd tests/crd && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

schemas: tests/crd/node_modules/.installed

# The three steps run at once; each leaves a stamp under build/test-stamps when green, keyed by a
# hash of its inputs and tools, and is skipped while that stamp matches (meridian_ops/plan/checks.py).
test: venv policy-venv schemas
	MERIDIAN_POLICY_PYTHON=$(CURDIR)/$(POLICY_VENV)/bin/python $(PY) -m meridian_ops.plan.checks \
		$(if $(call yes,$(FORCE)),--force)

unit: venv policy-venv schemas
	MERIDIAN_POLICY_PYTHON=$(CURDIR)/$(POLICY_VENV)/bin/python $(PY) -m pytest -n 2 tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m meridian_ops.plan.typing_stubs  # pyright's stubPath (build/typings)
	NODE_OPTIONS=--max-old-space-size=8192 $(VENV)/bin/pyright

plan: venv
	$(PY) -m meridian_ops.plan --env $(ENV) $(if $(filter 1 yes true,$(PREVIEW)),--preview) \
		$(if $(JOBS),--jobs $(JOBS)) $(ARGS)

plan-diff: venv
	@test -n "$(BASE)" || { echo "usage: make plan-diff BASE=<git rev> [ENV=dev] [ARGS='--format markdown']"; exit 2; }
	@$(PY) -m meridian_ops.plan.plan_diff --base "$(BASE)" --env $(ENV) $(ARGS)

check-policies: venv
	@test -n "$(PLAN)" || { echo "usage: make check-policies PLAN=build/plan/<stack>.json"; exit 2; }
	$(PY) -m meridian_ops.plan.check_policies $(PLAN)

bench: venv policy-venv schemas
	$(PY) -m meridian_ops.plan.bench $(ARGS)
	$(PY) -m meridian_ops.plan.bench tests

bench-plan: venv
	$(PY) -m meridian_ops.plan.bench $(ARGS)

bench-tests: venv policy-venv schemas
	$(PY) -m meridian_ops.plan.bench tests $(ARGS)

capabilities: venv
	$(PY) -m meridian_ops.gen.capabilities generate

capabilities-check: venv
	$(PY) -m meridian_ops.gen.capabilities check

preview up refresh destroy: venv $(if $(call yes,$(POLICIES)),policy-venv)
	$(PY) -m meridian_ops.ops.orchestrate $@ --env $(ENV) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(call yes,$(DRY_RUN)),--dry-run) $(if $(call yes,$(POLICIES)),--policy-pack) \
		$(if $(call yes,$(RESUME)),--resume)

bootstrap: venv
	@test -n "$(REGION)" || { echo "usage: make bootstrap ENV=<env> REGION=<region> [PROFILE=p]"; exit 2; }
	$(PY) -m meridian_ops.ops.bootstrap --env $(ENV) --region $(REGION) $(if $(PROFILE),--profile $(PROFILE))

failover: venv
	@test -n "$(TO)" || { echo "usage: make failover ENV=<env> TO=<region> [UNPLANNED=1] [EXECUTE=1]"; exit 2; }
	$(PY) -m meridian_ops.ops.failover --env $(ENV) --to $(TO) $(if $(call yes,$(UNPLANNED)),--unplanned) \
		$(if $(call yes,$(EXECUTE)),--execute) $(if $(PROFILE),--profile $(PROFILE))

upgrade-gate: venv
	$(PY) -m meridian_ops.ops.upgrade_gate --env $(ENV)

clean:
	rm -rf build .pytest_cache
