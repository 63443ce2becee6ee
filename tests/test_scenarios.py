"""Every scenario in scenarios/ loads; every flow scenario reproduces its golden trace.

Regenerate the goldens on purpose with ``ERCOT_SIM_REGEN_GOLDEN=1 pytest tests/test_scenarios.py``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from edi.validate import validate
from ercot_sim.market.engine import run_scenario
from ercot_sim.output.trace import render_trace
from ercot_sim.scenario import load_scenario
from tests.conftest import FLOW_SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
FLOWS = FLOW_SCENARIOS
GOLDEN = ROOT / "tests" / "golden"


def _names(scenario) -> dict[str, str]:  # type: ignore[no-untyped-def]
    parts = scenario.participants
    return {parts.ercot.duns: parts.ercot.name, **{p.duns: p.name for p in [*parts.tdsps, *parts.crs]}}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.scenario.name == path.stem


def test_market_month_is_a_market() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "market-month.toml")
    assert scenario.population.esi_ids == 100_000
    assert scenario.scenario.days == 30
    assert 0.005 <= scenario.rates.switch <= 0.02
    assert scenario.rates.move_in == pytest.approx(3 * scenario.rates.switch)
    assert len(scenario.mass_transitions) == 1


def test_ercot_month_is_the_whole_market() -> None:
    """The whole competitive market: 7 million ESI IDs at the six competitive TDSPs, shared as
    their published meter counts (Oncor the largest, LP&L the smallest), market-month's rates."""
    scenario = load_scenario(ROOT / "scenarios" / "ercot-month.toml")
    month = load_scenario(ROOT / "scenarios" / "market-month.toml")
    assert scenario.population.esi_ids == 7_000_000 and scenario.scenario.days == 30
    shares = {t.name: t.share for t in scenario.participants.tdsps}
    assert list(shares) == ["ONCOR", "CENTERPOINT", "AEP TEXAS CENTRAL", "AEP TEXAS NORTH", "TNMP", "LP&L"]
    assert max(shares, key=shares.__getitem__) == "ONCOR" and min(shares, key=shares.__getitem__) == "LP&L"
    assert scenario.rates == month.rates and not scenario.mass_transitions


def roles_of(scenario) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """DUNS -> market role of a scenario's participants (for identifying transactions)."""
    parts = scenario.participants
    return {parts.ercot.duns: "ERCOT", **{t.duns: "TDSP" for t in parts.tdsps},
            **{c.duns: "CR" for c in parts.crs}}


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.stem)
def test_golden_trace(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    result = run_scenario(scenario, tmp_path)
    files = sorted(tmp_path.glob("outbox/*/*.x12"))
    assert len(files) == len(result.files)
    report = validate(*files, roles=roles_of(scenario))
    assert report.ok, report.to_text()
    text = render_trace(result.trace, _names(scenario))
    golden = GOLDEN / f"{path.stem}.txt"
    if os.environ.get("ERCOT_SIM_REGEN_GOLDEN") or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if not os.environ.get("ERCOT_SIM_REGEN_GOLDEN"):
            pytest.fail(f"golden {golden.name} was missing and has been written; check it in")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"golden/{golden.name}", "this run"))
        pytest.fail(f"trace of {path.name} differs from its golden:\n{diff}")
