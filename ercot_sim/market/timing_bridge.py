"""From the timing rule set to how participants behave: knobs and deadlines.

The rule set (``ercot_sim/timing/rules.toml`` plus a user's rules file, loaded by
:func:`ercot_sim.timing.rules.load_rules`) is the one source of the market's timing. The engine
takes two things from it:

* the engine knobs (``[defaults.NAME]``: FASD offset, read windows, loss-notice lead times,
  forwarding latency, usage/invoice delay, date window ...) as a :class:`MarketTiming`;
* the deadlines of the response rules, through :class:`MarketRules`: a TDSP answers an 814_03
  before the deadline of rule ``B6-tdsp-814_04``, sends usage before ``E5``/``E6``, a CR
  rejects an invoice before ``E7`` and pays before ``E8``, and sends a safety net before the
  ``D1`` deadline but not before the TDSP takes it (``D1-tdsp-safety-net-early``).

Editing a rule's deadline or a knob in a rules file therefore changes how the simulated
market behaves; a fault (``late``) is what makes a participant miss a deadline.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from ercot_sim.market.participants.base import MarketTiming
from ercot_sim.market.simtime import Clock

__all__ = ["KNOBS", "MarketRules", "load_market_rules"]

#: MarketTiming attribute -> (knob name, which value: 'value', 'min', 'max' or 'mid').
KNOBS: dict[str, tuple[str, str]] = {
    "fasd_business_days": ("fasd", "value"),
    "read_window_days": ("cycle_read_window", "value"),
    "special_read_days": ("special_read_after_fasd", "value"),
    "loss_notice_switch_bd": ("loss_notice_lead_switch", "value"),
    "loss_notice_move_in_bd": ("loss_notice_lead_move_in", "value"),
    "ercot_forward_minutes": ("ercot_forward_latency", "mid"),
    "tdsp_response_bd": ("tdsp_814_04_latency", "max"),
    "usage_after_read_bd": ("usage_invoice_delay", "max"),
    "invoice_validation_hours": ("cr_824_window", "value"),
    "payment_days": ("payment_days", "value"),
    "future_days": ("date_window_future", "value"),
    "past_days": ("date_window_past", "value"),
    "polr_flag_days": ("polr_switch_flag_days", "value"),
    "rescission_days": ("rescission_days", "value"),
}


def _knob_value(knob: Any, which: str) -> int | None:
    if which == "mid" and knob.min is not None and knob.max is not None:
        return int((knob.min + knob.max) // 2)
    value = getattr(knob, which if which != "mid" else "value", None)
    if value is None:
        value = knob.value if knob.value is not None else knob.max
    return int(value) if isinstance(value, (int, float)) else None


class MarketRules:
    """Deadlines of the rule set as sim minutes, for one run.

    Args:
        ruleset: the loaded :class:`ercot_sim.timing.rules.RuleSet`.
        clock: the run's clock.
    """

    def __init__(self, ruleset: Any, clock: Clock) -> None:
        self.ruleset = ruleset
        self.clock = clock
        self._cache: dict[tuple[str, int, str | None], int | None] = {}

    def due(self, rule_id: str, minute: int, tdsp_calendar: str | None = None) -> int | None:
        """Latest on-time sim minute for an answer to a trigger at ``minute`` (for a ``lead``
        rule with ``bound = "earliest"``, the earliest allowed minute; ``None`` when the rule
        set has no such rule or it is switched off)."""
        key = (rule_id, minute, tdsp_calendar)
        if key in self._cache:
            return self._cache[key]
        got: int | None = None
        if rule_id in self.ruleset:
            rule = self.ruleset.get(rule_id)
            if rule.enabled and rule.deadline is not None:
                moment = self.ruleset.deadline(rule, self.clock.local(minute), tdsp=tdsp_calendar or "ERCOT")
                got = int(self.clock.sim.from_datetime(moment) // 1)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[key] = got
        return got

    def lead(self, rule_id: str) -> int | None:
        """The amount of a rule's deadline (e.g. the business days of a lead-time rule)."""
        if rule_id not in self.ruleset:
            return None
        rule = self.ruleset.get(rule_id)
        return int(rule.deadline.amount) if rule.enabled and rule.deadline is not None else None


def load_market_rules(rules: str | Path | None, clock: Clock) -> tuple[MarketTiming, MarketRules | None]:
    """The market timing and deadlines for the shipped rules plus ``rules`` (a user's file).

    Raises:
        RulesError: a rules file is missing or invalid (file, line and field named).
    """
    from ercot_sim.timing.rules import load_rules

    ruleset = load_rules(overrides=[rules] if rules is not None else ())
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for attr, (name, which) in KNOBS.items():
        knob = ruleset.defaults.get(name)
        if knob is None:
            continue
        value = _knob_value(knob, which)
        if value is not None:
            values[attr] = value
            sources[attr] = f"defaults.{name}"
    market = MarketRules(ruleset, clock)
    for attr, rule_id in (("date_change_notice_bd", "C9-cr-814_12-notice"), ("ack_hours", "B1-any-997")):
        amount = market.lead(rule_id)
        if amount is not None:
            values[attr] = amount
            sources[attr] = rule_id
    known = {f.name for f in fields(MarketTiming)}
    return MarketTiming(**{k: v for k, v in values.items() if k in known}, sources=sources), market
