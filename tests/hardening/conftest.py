"""Hardening tests: a count of the generated cases.

Every property test records its examples in ``CASES`` (through the ``cases`` fixture);
the terminal summary of any pytest run that collected these tests prints the count.
Hypothesis settings: ``hardening._support.HARDENING``.
"""

import collections

import pytest

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

