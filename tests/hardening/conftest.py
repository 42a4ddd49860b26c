"""Hardening tests: hypothesis settings and a count of the generated cases.

Every property test records its examples in ``CASES`` (through the ``cases`` fixture);
the terminal summary of any pytest run that collected these tests prints the count.
"""

import collections
import os

import pytest
from hypothesis import HealthCheck, settings

# Modest example counts: the default run must stay quick on a shared 2-core machine.
settings.register_profile(
    "tsrnn-hardening",
    max_examples=int(os.environ.get("TSRNN_HARDENING_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
    derandomize=True,  # the same cases every run (CI stays reproducible)
    database=None,
)

CASES = collections.Counter()


@pytest.fixture(scope="session")
def cases():
    """``cases[name] += 1`` per generated example; summed in the terminal summary."""
    return CASES


def pytest_terminal_summary(terminalreporter):
    if not CASES:
        return
    terminalreporter.write_sep("-", "tsrnn hardening: generated cases")
    for name, n in sorted(CASES.items()):
        terminalreporter.write_line(f"{name:<50} {n:>6}")
    # "name (outcome)" lines break a count down; the total counts cases once
    total = sum(n for name, n in CASES.items() if "(" not in name)
    terminalreporter.write_line(f"{'total cases':<50} {total:>6}")


settings.load_profile("tsrnn-hardening")
