"""Timing rules of the Texas retail market as data, and the deadline arithmetic over them.

The shipped rule set is ``ercot_sim/timing/rules.toml``; users add or override rules by id
in their own files (:func:`load_rules`). The engine schedules answers with
:meth:`RuleSet.deadline`, the compliance checker judges them with the same method and
:meth:`RuleSet.lateness`; both read engine knobs from :meth:`RuleSet.default`.

Deadline semantics (docs/rules.md has the full reference):

- A transaction is on time when ``actual <= deadline`` (deadlines are inclusive).
- Day-based units (``business_days``, ``retail_business_days``, ``calendar_days``) start
  from the *effective business date* of the trigger: a trigger after ``cutoff`` or on a
  non-business day counts on the next business day. The deadline is ``due_time`` on the
  due date (default: the cut-off, else the end of that day).
- ``kind = "lead"`` rules count *backwards* from an anchor date (e.g. 814_06 must be sent
  2 Business Days before the scheduled meter read date). With ``deadline.bound =
  "earliest"`` the moment is the earliest allowed one instead (D1: a safety net received
  before 12:00 two Business Days ahead is rejected); :meth:`RuleSet.earliness` measures it.
- Calendar ``TDSP`` means the calendar of the TDSP named in the call (timing-rules.md A2).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ercot_sim.calendar import CENTRAL, MarketCalendar, default_calendar, to_local
from ercot_sim.errors import CalendarError, RulesError
from ercot_sim.timing.models import (
    END_OF_DAY,
    Deadline,
    Knob,
    Msg,
    Rule,
    RulesFile,
    Scope,
    Window,
)
from ercot_sim.tomlload import TomlLocator, parse_toml_text, validation_error

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

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")
#: The shipped rule set before RMGRR162 (effective 1 Dec 2019): an override file for the
#: shipped rules that puts back the noon safety-net deadline (timing-rules.md D1).
PRE_RMGRR162_RULES_PATH = Path(__file__).with_name("rules-pre-rmgrr162.toml")

def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value)
        return out
    return patch


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Layer:
    """Raw rule data merged file by file, validated with line numbers of the last file."""

    def __init__(self, calendar: MarketCalendar) -> None:
        self.calendar = calendar
        self.rules: dict[str, dict[str, Any]] = {}
        self.origin: dict[str, str] = {}
        self.defaults: dict[str, dict[str, Any]] = {}

    def add_file(self, path: Path) -> None:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RulesError("file not found", name) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"cannot read file: {exc}", name) from None
        data = parse_toml_text(text, name, RulesError)
        locator = TomlLocator(text)

        def fail(loc: tuple[str | int, ...], message: str) -> RulesError:
            field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
            field = field.replace(".[", "[")
            return RulesError(message, f"{name} line {locator.line_of(loc)}, {field}")

        merged: dict[str, Any] = {k: v for k, v in data.items()}
        raw_rules = data.get("rules", [])
        seen: dict[str, int] = {}
        if isinstance(raw_rules, list):
            out = []
            for i, entry in enumerate(raw_rules):
                rid = entry.get("id") if isinstance(entry, dict) else None
                if isinstance(rid, str):
                    if rid in seen:
                        raise fail(("rules", i, "id"), f"duplicate rule id '{rid}'")
                    seen[rid] = i
                    if rid in self.rules:
                        entry = _merge(self.rules[rid], entry)
                    elif self.rules and not {"kind", "title"} <= set(entry):
                        # an override of a rule that is not there: most likely a misspelt id
                        raise fail(("rules", i, "id"), f"unknown rule {rid!r}{_did_you_mean(rid, self.rules)} "
                                   "(a new rule needs id, title, kind, status and source)")
                out.append(entry)
            merged["rules"] = out
        raw_defaults = data.get("defaults", {})
        if isinstance(raw_defaults, dict):
            for key, value in raw_defaults.items():
                if self.defaults and key not in self.defaults and isinstance(value, dict) and "unit" not in value:
                    raise fail(("defaults", key), f"unknown setting {key!r}{_did_you_mean(key, self.defaults)} "
                               "(a new setting needs value, unit, status and source)")
            merged["defaults"] = {
                key: _merge(self.defaults.get(key), value) if key in self.defaults else value
                for key, value in raw_defaults.items()
            }
        try:
            parsed = RulesFile.model_validate(merged)
        except ValidationError as exc:
            raise validation_error(exc, text, name, RulesError, data=merged) from None
        for i, rule in enumerate(parsed.rules):
            for j, tdsp in enumerate(rule.scope.tdsp):
                try:
                    self.calendar.resolve(tdsp)
                except CalendarError as exc:
                    raise fail(("rules", i, "scope", "tdsp", j), exc.reason) from None
            self.rules[rule.id] = merged["rules"][i]
            self.origin[rule.id] = name
        for key in parsed.defaults:
            self.defaults[key] = merged["defaults"][key]
        for key, knob in parsed.defaults.items():
            for j, rid in enumerate(knob.rules):
                if rid not in self.rules:
                    raise fail(("defaults", key, "rules", j), f"unknown rule id '{rid}'")


def load_rules(
    path: str | Path | None = None,
    overrides: Sequence[str | Path] = (),
    calendar: MarketCalendar | None = None,
) -> RuleSet:
    """Load the rule set: a base file plus override files applied in order.

    An override entry whose ``id`` exists replaces the fields it names (tables such as
    ``deadline`` are merged key by key, lists replaced); a new ``id`` adds a rule. The
    same holds for ``[defaults.NAME]``.

    Args:
        path: base rules file; default the shipped ``rules.toml``.
        overrides: user rules files.
        calendar: calendar for deadline arithmetic; default :func:`default_calendar`.

    Raises:
        RulesError: a file is missing or wrong; the message names file, line and field.
    """
    cal = calendar or default_calendar()
    layer = _Layer(cal)
    for file in (Path(path) if path is not None else DEFAULT_RULES_PATH, *map(Path, overrides)):
        layer.add_file(file)
    rules = [Rule.model_validate(raw) for raw in layer.rules.values()]
    defaults = {k: Knob.model_validate(v) for k, v in layer.defaults.items()}
    return RuleSet(rules, defaults, cal, dict(layer.origin))


class RuleSet:
    """The timing rules in force, with deadline arithmetic on a :class:`MarketCalendar`.

    Args:
        rules: the rules (ids must be unique).
        defaults: engine knobs by name.
        calendar: the calendar used for all arithmetic.
        origin: file each rule came from, by id.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        defaults: dict[str, Knob] | None = None,
        calendar: MarketCalendar | None = None,
        origin: dict[str, str] | None = None,
    ) -> None:
        self.calendar = calendar or default_calendar()
        self._rules = {rule.id: rule for rule in rules}
        if len(self._rules) != len(rules):
            raise RulesError("rule ids are not unique")
        self.defaults = dict(defaults or {})
        self.origin = dict(origin or {})
        self._by_code: dict[str, list[Rule]] = {}
        self._deadlines: dict[tuple[str, dt.datetime, str | None], dt.datetime] = {}
        for rule in rules:
            for code in rule.trigger.codes if rule.trigger else ():
                self._by_code.setdefault(code, []).append(rule)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> Rule:
        """The rule with this id.

        Raises:
            RulesError: no such rule.
        """
        try:
            return self._rules[rule_id]
        except KeyError:
            raise RulesError(f"unknown rule id '{rule_id}'") from None

    def default(self, name: str) -> Knob:
        """The engine knob ``[defaults.NAME]``.

        Raises:
            RulesError: no such knob.
        """
        try:
            return self.defaults[name]
        except KeyError:
            raise RulesError(f"unknown default '{name}'") from None

    def rules_for_trigger(
        self,
        code: str,
        sender: str | None = None,
        *,
        on: dt.date | None = None,
        tdsp: str | None = None,
        priority: bool | None = None,
        ams: bool | None = None,
        bgn07: str | None = None,
        purpose: str | None = None,
        flags: Collection[str] | None = None,
    ) -> list[Rule]:
        """Enabled rules triggered by ``code`` (and ``"*"`` rules), filtered.

        Filters left at ``None`` do not exclude anything. ``on`` keeps rules in effect on
        that date; ``tdsp`` may be any calendar alias.
        """
        if tdsp is not None:
            tdsp = self.calendar.resolve(tdsp)
        out = []
        for rule in (*self._by_code.get(code, ()), *self._by_code.get("*", ())):
            if not rule.enabled or rule.trigger is None:
                continue
            if sender is not None and rule.trigger.sender not in (sender, "ANY"):
                continue
            if on is not None and not rule.in_effect(on):
                continue
            scope = rule.scope
            if (
                scope.tdsp
                and tdsp is not None
                and tdsp not in {self.calendar.resolve(t) for t in scope.tdsp}
            ):
                continue
            if not scope.matches(priority, ams, bgn07, purpose, flags):
                continue
            out.append(rule)
        return out

    # -- arithmetic ------------------------------------------------------------------
    def calendar_for(self, rule: Rule, tdsp: str | None = None) -> str:
        """Calendar name a rule counts on (its ``TDSP`` resolved to ``tdsp``)."""
        name = rule.deadline.calendar if rule.deadline else "ERCOT"
        if name != "TDSP":
            return name
        if tdsp is None:
            raise RulesError(f"rule {rule.id} counts on the TDSP calendar; pass tdsp=")
        return self.calendar.resolve(tdsp)

    def _spec(self, rule: Rule) -> Deadline:
        if rule.deadline is None:
            raise RulesError(f"rule {rule.id} has no deadline")
        return rule.deadline

    def deadline(
        self, rule: Rule | str, trigger_time: dt.datetime, tdsp: str | None = None
    ) -> dt.datetime:
        """The latest on-time moment (aware, America/Chicago) for a rule's answer; for a
        ``lead`` rule with ``bound = "earliest"``, the earliest allowed one.

        Args:
            rule: the rule or its id.
            trigger_time: when the trigger was received; for ``lead`` rules the anchor
                (e.g. the scheduled meter read date, at any time of day).
            tdsp: the TDSP involved (needed when the rule counts on the TDSP calendar).
        """
        rule = self.get(rule) if isinstance(rule, str) else rule
        # A set's rules do not change, and triggers share their times (a file's transactions
        # all carry its GS time): each (rule, time, TDSP) is worked out once.
        key = (rule.id, trigger_time, tdsp)
        if self._rules.get(rule.id) is rule:
            got = self._deadlines.get(key)
            if got is None:
                if len(self._deadlines) >= 100_000:
                    self._deadlines.clear()
                got = self._deadlines[key] = self._deadline(rule, trigger_time, tdsp)
            return got
        return self._deadline(rule, trigger_time, tdsp)

    def _deadline(self, rule: Rule, trigger_time: dt.datetime, tdsp: str | None) -> dt.datetime:
        spec = self._spec(rule)
        cal = self.calendar_for(rule, tdsp)
        mc = self.calendar
        start = to_local(trigger_time)
        if spec.anchor == "next_business_day":
            first = mc.next_business_day(start.date(), cal)
            start = to_local(dt.datetime.combine(first, dt.time(0)))
        unit = spec.unit
        if unit == "hours":
            # Elapsed hours: add in UTC so a DST change is counted as the real hour it is.
            return to_local(start.astimezone(dt.UTC) + dt.timedelta(hours=spec.amount))
        if unit in ("business_hours", "retail_business_hours"):
            retail = unit == "retail_business_hours"
            return mc.add_business_hours(start, spec.amount, cal, retail=retail)
        n = int(spec.amount)
        if rule.kind == "lead":
            if unit == "calendar_days":
                day = start.date() - dt.timedelta(days=n)
            else:
                day = mc.add_business_days(start.date(), -n, cal)
        elif unit == "calendar_days":
            base = (
                mc.effective_business_date(start, spec.cutoff_time, cal)
                if spec.cutoff
                else start.date()
            )
            day = base + dt.timedelta(days=n)
            if spec.roll == "forward":
                day = mc.roll_forward(day, cal)
        else:
            base = mc.effective_business_date(start, spec.cutoff_time, cal)
            day = mc.add_business_days(base, n, cal)
        # Due times are never inside the 02:00 DST gap, so no normalisation is needed.
        return dt.datetime.combine(day, spec.due_clock, CENTRAL)

    def lateness(
        self,
        rule: Rule | str,
        due: dt.datetime,
        actual: dt.datetime,
        tdsp: str | None = None,
    ) -> tuple[float, str]:
        """How late ``actual`` is against ``due``, in the rule's own unit.

        Returns:
            ``(amount, unit)``: ``amount > 0`` exactly when ``actual > due`` (late by that
            much; a late answer counts at least 1 in day units); ``amount <= 0`` is on time
            (its size is the margin).
        """
        rule = self.get(rule) if isinstance(rule, str) else rule
        spec = self._spec(rule)
        unit = spec.unit
        due_l, act_l = to_local(due), to_local(actual)
        late = act_l > due_l
        if unit == "hours":
            amount = (act_l.astimezone(dt.UTC) - due_l.astimezone(dt.UTC)).total_seconds() / 3600
            if late and amount <= 0:  # pragma: no cover - float underflow guard
                amount = 1e-9
            return amount, unit
        cal = self.calendar_for(rule, tdsp)
        mc = self.calendar
        if unit in ("business_hours", "retail_business_hours"):
            amount = mc.business_hours_between(
                due_l, act_l, cal, retail=unit == "retail_business_hours"
            )
            if late and amount <= 0:
                amount = 1 / 3600.0  # late outside business hours: at least one second
            return amount, unit
        if unit == "calendar_days":
            days = float((act_l.date() - due_l.date()).days)
        else:
            cutoff = None if due_l.time() == END_OF_DAY else due_l.time().replace(tzinfo=None)
            effective = mc.effective_business_date(act_l, cutoff, cal)
            days = float(mc.count_business_days(due_l.date(), effective, cal))
        return (max(days, 1.0) if late else min(days, 0.0)), unit

    def earliness(
        self,
        rule: Rule | str,
        bound: dt.datetime,
        actual: dt.datetime,
        tdsp: str | None = None,
    ) -> tuple[float, str]:
        """How early ``actual`` is against an earliest allowed moment ``bound``, in the rule's
        unit (the mirror of :meth:`lateness`).

        Returns:
            ``(amount, unit)``: ``amount > 0`` exactly when ``actual < bound`` (early by that
            much; an early answer counts at least 1 in day units: business days ``x`` with
            ``actual's date < x <= bound's date``); ``amount <= 0`` is allowed (the margin).
        """
        rule = self.get(rule) if isinstance(rule, str) else rule
        unit = self._spec(rule).unit
        bound_l, act_l = to_local(bound), to_local(actual)
        early = act_l < bound_l
        if unit == "hours":
            amount = (bound_l.astimezone(dt.UTC) - act_l.astimezone(dt.UTC)).total_seconds() / 3600
            return amount, unit
        cal = self.calendar_for(rule, tdsp)
        mc = self.calendar
        if unit in ("business_hours", "retail_business_hours"):
            retail = unit == "retail_business_hours"
            amount = mc.business_hours_between(act_l, bound_l, cal, retail=retail)
            if early and amount <= 0:
                amount = 1 / 3600.0  # early outside business hours: at least one second
            return amount, unit
        if unit == "calendar_days":
            days = float((bound_l.date() - act_l.date()).days)
        else:
            days = float(mc.count_business_days(act_l.date(), bound_l.date(), cal))
        return (max(days, 1.0) if early else min(days, 0.0)), unit

    def window_bounds(
        self, rule: Rule | str, reference: dt.date, tdsp: str | None = None
    ) -> tuple[dt.date, dt.date]:
        """Earliest and latest allowed date of a ``window`` rule around ``reference``."""
        rule = self.get(rule) if isinstance(rule, str) else rule
        if rule.window is None:
            raise RulesError(f"rule {rule.id} has no window")
        win = rule.window
        if win.unit == "calendar_days":
            return (
                reference - dt.timedelta(days=win.before_days),
                reference + dt.timedelta(days=win.after_days),
            )
        cal: str = win.calendar
        if cal == "TDSP":
            if tdsp is None:
                raise RulesError(f"rule {rule.id} counts on the TDSP calendar; pass tdsp=")
            cal = self.calendar.resolve(tdsp)
        mc = self.calendar
        return (
            mc.add_business_days(reference, -win.before_days, cal),
            mc.add_business_days(reference, win.after_days, cal),
        )
