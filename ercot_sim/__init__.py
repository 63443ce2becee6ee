"""``ercot_sim``: the Texas retail electricity market as SimPy processes exchanging Texas SET X12.

The public API, importable from the package itself (loaded on first use, so that
``import ercot_sim`` stays cheap for the command line)::

    Scenario, load_scenario            scenario files (TOML -> pydantic)
    run_scenario, RunResult            run a market: X12 files, SQLite trace, summary
    load_rules, RuleSet                timing rules as data (shipped set + user overrides)
    MarketCalendar, default_calendar   ERCOT, TDSP and federal business days and hours
    check_path, CheckResult            the independent timing-compliance checker
    compare_rules                      one scenario under two rule sets
    write_report                       the self-contained HTML report of a run
    SimError, ScenarioError, RulesError, CalendarError
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Scenario": "ercot_sim.scenario",
    "load_scenario": "ercot_sim.scenario",
    "run_scenario": "ercot_sim.market.engine",
    "RunResult": "ercot_sim.market.engine",
    "load_rules": "ercot_sim.timing",
    "RuleSet": "ercot_sim.timing",
    "MarketCalendar": "ercot_sim.calendar",
    "default_calendar": "ercot_sim.calendar",
    "check_path": "ercot_sim.timing.check",
    "CheckResult": "ercot_sim.timing.check",
    "compare_rules": "ercot_sim.compare",
    "write_report": "ercot_sim.report",
    "SimError": "ercot_sim.errors",
    "ScenarioError": "ercot_sim.errors",
    "RulesError": "ercot_sim.errors",
    "CalendarError": "ercot_sim.errors",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ercot_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
