"""Shared fixtures and hypothesis settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# CI: the same examples every run (a property test cannot fail by chance), no example database
settings.register_profile("ci", settings.get_profile("default"), derandomize=True, database=None)
# deep: HYPOTHESIS_PROFILE=deep pytest tests/ercot_sim/test_engine.py tests/edi/test_fuzz.py
# (docs/testing.md); the properties that ask for it draw DEEP_EXAMPLES examples
settings.register_profile("deep", settings.get_profile("default"), max_examples=400)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
settings.load_profile(PROFILE)
DEEP_EXAMPLES = 400


def examples(usual: int) -> int:
    """``usual`` examples, or :data:`DEEP_EXAMPLES` under the deep profile."""
    return DEEP_EXAMPLES if PROFILE == "deep" else usual

ROOT = Path(__file__).resolve().parent.parent
#: the shipped scenarios of a whole market month (100,000 and 7,000,000 ESI IDs): the tests load
#: them, and run them only at a smaller size (``with_esi_ids``)
MARKET_SCENARIOS = frozenset({"market-month", "ercot-month"})
#: every other shipped scenario: a flow or a few, small enough to run whole
FLOW_SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.toml") if p.stem not in MARKET_SCENARIOS)


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT
