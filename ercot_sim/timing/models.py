"""The rules file as pydantic models: what a rule, a deadline, a window, a scope and a knob are.

:mod:`ercot_sim.timing.rules` loads files into these (``extra='forbid'``: an unknown key is an
error naming file, line and field) and interprets them against the market calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DAY_UNITS", "END_OF_DAY", "HHMM", "Deadline", "Knob", "Msg", "Role", "Rule", "RulesFile", "Scope", "Status",
           "Unit", "Window"]

Status = Literal["confirmed", "assumed"]
Role = Literal["CR", "ERCOT", "TDSP", "ANY", "RECEIVER"]
Unit = Literal[
    "retail_business_days",
    "business_days",
    "business_hours",
    "retail_business_hours",
    "calendar_days",
    "hours",
]
DAY_UNITS = frozenset({"retail_business_days", "business_days", "calendar_days"})
#: units of a duration or count, with the largest value that still makes sense (ten years)
_DURATIONS = {"business_days": 2_600, "retail_business_days": 2_600, "calendar_days": 3_660, "hours": 87_840,
              "retail_business_hours": 62_400, "business_hours": 62_400, "minutes": 5_270_400, "count": 10_000_000}
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
END_OF_DAY = dt.time.max


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Msg(_Strict):
    """A transaction (or market event) and who sends it.

    ``code`` is a Texas SET code such as ``"814_04"``, a list of them, ``"*"`` for any
    transaction, or a lower-case event name for things outside EDI (``"meter-read"``).
    ``required = false`` marks an answer that may be absent (E7: an invoice left unanswered
    is deemed valid), so only a late one is a violation.
    """

    code: str | list[str]
    sender: Role
    required: bool = True
    note: str = ""

    @model_validator(mode="after")
    def _codes_valid(self) -> Msg:
        for code in self.codes:
            if not (code == "*" or _is_code(code)):
                raise ValueError(
                    f"code '{code}' is neither a transaction like '814_04' nor an event name"
                )
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes as a tuple."""
        return (self.code,) if isinstance(self.code, str) else tuple(self.code)


def _is_code(code: str) -> bool:
    return bool(re.fullmatch(r"\d{3}(_[0-9A-Z]{2})?|[a-z][a-z0-9-]*", code))


class Deadline(_Strict):
    """How long an answer may take (or, for ``lead`` rules, how early it must come).

    ``bound = "earliest"`` (``lead`` rules only) turns the moment into the earliest allowed
    one: the answer may not come *before* it (D1: a TDSP rejects a safety net received
    before 12:00 two Business Days ahead of the move-in).
    """

    amount: float = Field(ge=0)
    unit: Unit
    calendar: Literal["ERCOT", "TDSP", "FEDERAL"] = "ERCOT"
    cutoff: str | None = Field(default=None, pattern=HHMM)
    due_time: str | None = Field(default=None, pattern=HHMM)
    anchor: Literal["trigger", "next_business_day"] = "trigger"
    roll: Literal["none", "forward"] = "none"
    bound: Literal["latest", "earliest"] = "latest"

    @model_validator(mode="after")
    def _whole_days(self) -> Deadline:
        limit = _DURATIONS.get(self.unit, _DURATIONS["hours"])
        if self.amount > limit:
            raise ValueError(f"{self.amount:g} {self.unit.replace('_', ' ')} is beyond any market rule "
                             f"(at most {limit:,})")
        if self.unit in DAY_UNITS and self.amount != int(self.amount):
            raise ValueError(f"amount must be a whole number of {self.unit}")
        if self.roll == "forward" and self.unit != "calendar_days":
            raise ValueError("roll = 'forward' applies to calendar_days only")
        return self

    @property
    def cutoff_time(self) -> dt.time | None:
        """Trigger cut-off as a time."""
        return dt.time.fromisoformat(self.cutoff) if self.cutoff else None

    @property
    def due_clock(self) -> dt.time:
        """Time of day of the deadline on the due date (day units)."""
        if self.due_time:
            return dt.time.fromisoformat(self.due_time)
        return self.cutoff_time or END_OF_DAY


class Window(_Strict):
    """A date that must fall within ``[reference - before_days, reference + after_days]``."""

    before_days: int = Field(ge=0)
    after_days: int = Field(ge=0)
    reference: str = Field(min_length=1)
    unit: Literal["calendar_days", "business_days"] = "calendar_days"
    calendar: Literal["ERCOT", "TDSP", "FEDERAL"] = "ERCOT"


class Scope(_Strict):
    """Filters: the rule applies only to matching transactions (empty = all)."""

    tdsp: list[str] = []
    priority: bool | None = None
    ams: bool | None = None
    bgn07: list[str] = []
    purpose: list[str] = []
    flags: list[str] = []

    def matches(
        self,
        priority: bool | None = None,
        ams: bool | None = None,
        bgn07: str | None = None,
        purpose: str | None = None,
        flags: Collection[str] | None = None,
    ) -> bool:
        """True unless a known attribute contradicts the scope (unknown = not filtered).

        TDSP names are matched by :meth:`RuleSet.rules_for_trigger`, which resolves aliases.
        """
        if self.flags and flags is not None and not set(self.flags) <= set(flags):
            return False
        if self.priority is not None and priority is not None and priority != self.priority:
            return False
        if self.ams is not None and ams is not None and ams != self.ams:
            return False
        if self.bgn07 and bgn07 is not None and bgn07 not in self.bgn07:
            return False
        return not (self.purpose and purpose is not None and purpose not in self.purpose)


class Rule(_Strict):
    """One timing rule. See docs/rules.md for every field."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    section: str | None = Field(default=None, pattern=r"^[A-G]\d{1,2}$")
    title: str = Field(min_length=1)
    kind: Literal["response", "lead", "window", "calendar", "definition", "process"]
    status: Status
    source: str = Field(min_length=1)
    note: str = ""
    checkable: bool | None = None
    trigger: Msg | None = None
    expect: list[Msg] = []
    deadline: Deadline | None = None
    window: Window | None = None
    scope: Scope = Scope()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    target: float = Field(default=0.98, ge=0, le=1)
    enabled: bool = True
    #: a ``process`` rule whose windows stop the clock: the outage windows of this party
    #: (given with the data, see docs/checker.md) restart every deadline that meets them and
    #: involves a transaction sent to or by the party (A7: ERCOT's retail outages)
    suspends: Literal["CR", "ERCOT", "TDSP"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.kind in ("response", "lead") and not (self.expect and self.deadline):
            raise ValueError(f"a '{self.kind}' rule needs expect and deadline")
        if self.kind == "response" and self.trigger is None:
            raise ValueError("a 'response' rule needs a trigger")
        if self.kind == "window" and self.window is None:
            raise ValueError("a 'window' rule needs a window")
        if self.kind == "lead" and self.deadline and self.deadline.unit not in DAY_UNITS:
            raise ValueError("a 'lead' rule counts days (business or calendar)")
        if self.effective_from and self.effective_to and self.effective_from > self.effective_to:
            raise ValueError("effective_from is after effective_to")
        if self.suspends is not None and self.kind != "process":
            raise ValueError("only a 'process' rule suspends deadlines (suspends)")
        if self.deadline and self.deadline.bound == "earliest" and self.kind != "lead":
            raise ValueError("only a 'lead' rule has an earliest bound (deadline.bound)")
        return self

    @property
    def is_checkable(self) -> bool:
        """Whether a checker can judge the rule from transactions (``process`` rules cannot)."""
        if self.checkable is not None:
            return self.checkable
        return self.kind in ("response", "lead", "window")

    def in_effect(self, on: dt.date) -> bool:
        """True when ``on`` is inside the effective dates (both inclusive)."""
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)


class Knob(_Strict):
    """An engine setting with its provenance (``[defaults.NAME]``)."""

    value: int | float | str | None = None
    min: float | None = None
    max: float | None = None
    unit: str = Field(min_length=1)
    calendar: Literal["ERCOT", "TDSP", "FEDERAL"] | None = None
    status: Status
    source: str = Field(min_length=1)
    rules: list[str] = []

    @model_validator(mode="after")
    def _value_or_range(self) -> Knob:
        if self.value is None and (self.min is None or self.max is None):
            raise ValueError("give value, or both min and max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        # a lead time, window or count below zero means nothing (an order before its request)
        numbers = [v for v in (self.value, self.min, self.max)
                   if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if self.unit in _DURATIONS and any(v < 0 for v in numbers):
            raise ValueError(f"a {self.unit.replace('_', ' ')} setting cannot be negative (got {min(numbers):g})")
        if self.unit in _DURATIONS and any(v > _DURATIONS[self.unit] for v in numbers):
            raise ValueError(f"{max(numbers):g} {self.unit.replace('_', ' ')} is beyond any market rule "
                             f"(at most {_DURATIONS[self.unit]:,})")
        return self


class RulesFile(_Strict):
    """A rules file: ``[defaults.*]`` knobs and ``[[rules]]``."""

    defaults: dict[str, Knob] = {}
    rules: list[Rule] = []
