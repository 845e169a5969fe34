# Meridian: everything runs from a fresh clone with Python 3.11 and these targets.
#   make test                 unit tests, pyright, ruff
#   make plan ENV=prod        offline plan of every stack of an environment (no credentials)
#                             [PREVIEW=1] as `pulumi preview` shows it, [JOBS=n] worker processes,
#                             [ARGS="--detail"] any other flag of `python -m meridian_ops.plan -h`
#   make bench                the prod plan against the mock engine's floor (ARGS="--runs 5")
#   make check-policies PLAN=build/plan/prod-us-east-1.json
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
POLICY_VENV := policies/venv
ENV ?= dev
PLAN ?=
PREVIEW ?=
JOBS ?=
ARGS ?=

.PHONY: venv policy-venv test unit lint plan check-policies bench capabilities capabilities-check clean schemas

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

test: venv unit lint

unit: venv policy-venv schemas
	MERIDIAN_POLICY_PYTHON=$(CURDIR)/$(POLICY_VENV)/bin/python $(PY) -m pytest -n 2 tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pyright

plan: venv
	$(PY) -m meridian_ops.plan --env $(ENV) $(if $(filter 1 yes true,$(PREVIEW)),--preview) \
		$(if $(JOBS),--jobs $(JOBS)) $(ARGS)

check-policies: venv
	@test -n "$(PLAN)" || { echo "usage: make check-policies PLAN=build/plan/<stack>.json"; exit 2; }
	$(PY) -m meridian_ops.check_policies $(PLAN)

bench: venv
	$(PY) -m meridian_ops.bench $(ARGS)

capabilities: venv
	$(PY) -m meridian_ops.capabilities generate

capabilities-check: venv
	$(PY) -m meridian_ops.capabilities check

clean:
	rm -rf build .pytest_cache
