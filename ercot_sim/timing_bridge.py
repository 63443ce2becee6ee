"""From the timing rule set to the deadlines participants work to (:class:`MarketTiming`).

The rule set (``ercot_sim/timing/rules.toml``, loaded by :mod:`ercot_sim.timing.rules`) is
the one source of the market's deadlines. This module reads the rules the engine acts on,
by rule id, and turns each into the number a participant needs. A rules file that changes
one of these deadlines therefore changes how the simulated market behaves.

When the rule set is not available (the rules package not installed in this tree yet), the
defaults of :class:`MarketTiming` are used; they are the values of timing-rules.md section G.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ercot_sim.participants.base import MarketTiming

__all__ = ["RULE_FIELDS", "market_timing"]

#: MarketTiming attribute -> (candidate rule ids, unit the attribute is in).
RULE_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "fasd_business_days": (("ercot-fasd", "ercot-first-available-switch-date", "switch-fasd"), "business_days"),
    "tdsp_response_bd": (("tdsp-814_04-response",), "business_days"),
    "ercot_forward_minutes": (("ercot-814_03-forward", "ercot-814_01-forward"), "minutes"),
    "ercot_priority_minutes": (("ercot-priority-move-in", "ercot-priority-move-in-forward"), "minutes"),
    "loss_notice_switch_bd": (("ercot-814_06-switch", "ercot-814_06-lead-switch"), "business_days"),
    "loss_notice_move_in_bd": (("ercot-814_06-move-in", "ercot-814_06-lead-move-in"), "business_days"),
    "usage_after_read_bd": (("tdsp-810_02-after-read", "tdsp-867_03-after-read"), "business_days"),
    "invoice_validation_hours": (("cr-824-invoice-validation", "cr-810_02-validation"), "hours"),
    "payment_days": (("cr-820_02-payment",), "calendar_days"),
    "future_days": (("ercot-date-reasonableness-future",), "calendar_days"),
    "past_days": (("ercot-date-reasonableness-past",), "calendar_days"),
    "date_change_notice_bd": (("tdsp-814_12-notice",), "business_days"),
    "ack_hours": (("ack-997",), "hours"),
}


def _amount(rule: Any, unit: str) -> int | None:
    """The deadline of a rule in ``unit``, read from the common shapes of a rule object."""
    within = getattr(rule, "within", None)
    if within is None:
        return None
    for attr in (unit, unit.rstrip("s")):
        value = getattr(within, attr, None)
        if value is None and isinstance(within, dict):
            value = within.get(attr)
        if value is not None:
            return int(value)
    if unit == "minutes":
        for attr, factor in (("business_hours", 60), ("retail_business_hours", 60), ("hours", 60)):
            value = getattr(within, attr, None)
            if value is not None:
                return int(value) * factor
    return None


def market_timing(rules: str | Path | None = None) -> MarketTiming:
    """The market timing for the shipped rules, or for ``rules`` (a user's rules file).

    Raises:
        RulesError: the rules file is missing or invalid.
    """
    try:
        module = importlib.import_module("ercot_sim.timing.rules")
    except ModuleNotFoundError:
        if rules is not None:
            from ercot_sim.errors import RulesError

            raise RulesError("the timing rules package is not available", str(rules)) from None
        return MarketTiming()
    loader = getattr(module, "load_rules", None)
    default_path = getattr(module, "DEFAULT_RULES_PATH", None)
    if loader is None or (rules is None and default_path is not None and not Path(default_path).exists()):
        return MarketTiming()
    ruleset = loader(rules) if rules is not None else loader()
    by_id = {r.id: r for r in getattr(ruleset, "rules", ruleset)}
    values: dict[str, int] = {}
    sources: dict[str, str] = {}
    for attr, (ids, unit) in RULE_FIELDS.items():
        for rule_id in ids:
            rule = by_id.get(rule_id)
            if rule is None:
                continue
            amount = _amount(rule, unit)
            if amount is not None:
                values[attr] = amount
                sources[attr] = rule_id
                break
    return MarketTiming(**values, sources=sources)
