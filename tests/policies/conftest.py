"""Shared fixtures for the policy pack tests (cases, harness, served pack, CLI)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from policies.catalog import MODULES
from tests.policies.cases_common import PolicyCase


def case_modules() -> list[tuple[str, ModuleType | None]]:
    """``(policy module, cases module or None)`` for every policy module in the catalog."""
    result: list[tuple[str, ModuleType | None]] = []
    for _, module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        try:
            cases = importlib.import_module(f"tests.policies.cases_{short}")
        except ModuleNotFoundError:
            cases = None
        result.append((short, cases))
    return result


def all_cases() -> list[PolicyCase]:
    cases: list[PolicyCase] = []
    for _, module in case_modules():
        if module is not None:
            cases.extend(module.CASES)
    return cases


@pytest.fixture(scope="session")
def cases() -> list[PolicyCase]:
    return all_cases()
