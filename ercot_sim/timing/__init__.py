"""Timing rules as data (``rules.toml``) and the deadline arithmetic the engine and the
compliance checker share.

Public API::

    load_rules(path=None, overrides=(), calendar=None) -> RuleSet
    RuleSet.get(id), .rules_for_trigger(code, sender, ...), .deadline(rule, trigger_time, tdsp)
    RuleSet.lateness(rule, due, actual, tdsp), .earliness(rule, bound, actual, tdsp)
    RuleSet.window_bounds(rule, reference, tdsp)
    RuleSet.default(name) -> Knob
    Rule, Deadline, Window, Scope, Msg, Knob, RulesFile   (pydantic models)
    DEFAULT_RULES_PATH, PRE_RMGRR162_RULES_PATH

See docs/rules.md.
"""

from __future__ import annotations

from ercot_sim.timing.rules import (
    DEFAULT_RULES_PATH,
    PRE_RMGRR162_RULES_PATH,
    Deadline,
    Knob,
    Msg,
    Rule,
    RuleSet,
    RulesFile,
    Scope,
    Window,
    load_rules,
)

__all__ = [
    "DEFAULT_RULES_PATH",
    "PRE_RMGRR162_RULES_PATH",
    "Deadline",
    "Knob",
    "Msg",
    "Rule",
    "RuleSet",
    "RulesFile",
    "Scope",
    "Window",
    "load_rules",
]
