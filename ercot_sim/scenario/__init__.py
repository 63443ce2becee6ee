"""Scenario files: the TOML schema of a simulated market and :func:`load_scenario`.

A scenario names the market (ERCOT, TDSPs, CRs with their roles), the population of ESI IDs,
the explicit events of the run, monthly event rates, mass transitions, the transport
(delivery windows, latency, 997 latency), named faults, and optionally a rules file that
overrides the shipped timing rules. Every model forbids unknown keys, and
:func:`load_scenario` reports every error with file, line and field, e.g.::

    scenarios/x.toml line 12, participants.crs[1].roles[0]: Input should be 'AREP' or 'POLR'

Facts that come from sources carry a ``status`` (``confirmed`` or ``assumed``), as in the
shipped data (see ``docs/scenarios.md``).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edi.texas_set.market import ERCOT_DUNS
from ercot_sim.errors import ScenarioError
from ercot_sim.tomlload import TomlIssue, TomlLocator, format_loc, load_toml_model, load_toml_text

__all__ = [
    "with_esi_ids",
    "CR",
    "Acquisition",
    "DEFAULT_SCENARIO",
    "ERCOT_DUNS",
    "Event",
    "EventKind",
    "EventRates",
    "Fault",
    "MassTransition",
    "Participants",
    "Population",
    "RetailOutage",
    "Scenario",
    "TDSP",
    "Transport",
    "WeatherMoratorium",
    "load_scenario",
    "load_scenario_text",
    "reference_problems",
]

#: The scenario that ``ercot-sim run`` runs without an argument.
DEFAULT_SCENARIO = "default.toml"

Duns = Annotated[str, Field(pattern=r"^(\d{9}|\d{13})$", description="DUNS or DUNS+4")]
EsiIdStr = Annotated[str, Field(pattern=r"^\d{17,22}$", description="ESI ID, 17-22 digits")]
Name = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9 &.\-]{0,34}$")]
Hhmm = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Status = Literal["confirmed", "assumed"]

EventKind = Literal[
    "switch",
    "move_in",
    "move_out",
    "cancel",
    "date_change",
    "historical_usage",
    "switch_hold",
    "hold_release",
    "esi_create",
    "esi_retire",
    "csa",
    "disconnect",
    "reconnect",
    "outage",
    "penny_invoice",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ErcotDef(_Model):
    """ERCOT, the registration agent and hub."""

    duns: Duns = ERCOT_DUNS
    name: Name = "ERCOT"


class TDSP(_Model):
    """A wires utility: its DUNS, ESI ID prefix, calendar and population share.

    Attributes:
        name: short name used in the scenario and in N1 segments (``ONCOR``).
        duns: DUNS or DUNS+4 used in envelopes.
        esi_prefix: leading digits of its ESI IDs; generated IDs are padded to 17 digits.
        share: share of the population's ESI IDs at this TDSP (normalised over all TDSPs).
        calendar: holiday calendar name (defaults to ``name``; the calendar falls back to ERCOT's).
        status: whether DUNS and prefix are confirmed by sources.
    """

    name: Name
    duns: Duns
    esi_prefix: str = Field(pattern=r"^\d{1,16}$")
    share: float = Field(default=1.0, gt=0)
    calendar: str | None = None
    deenergize_on_move_out: bool = False
    status: Status = "assumed"


class CR(_Model):
    """A competitive retailer; AREP and POLR are roles it plays, given as data."""

    name: Name
    duns: Duns
    share: float = Field(default=1.0, ge=0)
    roles: list[Literal["AREP", "POLR"]] = []
    safety_net: bool = Field(default=False, description="sends safety-net move-ins when D2 triggers")


class Participants(_Model):
    """Who is in the market."""

    ercot: ErcotDef = ErcotDef()
    tdsps: list[TDSP] = Field(min_length=1)
    crs: list[CR] = Field(min_length=1)

    def everyone(self) -> list[TDSP | CR]:
        """The TDSPs, then the CRs."""
        return [*self.tdsps, *self.crs]

    @model_validator(mode="after")
    def _unique(self) -> Participants:
        seen: dict[str, str] = {self.ercot.duns: "ercot"}
        names: set[str] = set()
        for kind, items in (("tdsps", self.tdsps), ("crs", self.crs)):
            for item in items:
                if item.duns in seen:
                    raise ValueError(f"{kind} {item.name}: DUNS {item.duns} already used by {seen[item.duns]}")
                if item.name in names:
                    raise ValueError(f"{kind}: name {item.name} used twice")
                seen[item.duns] = item.name
                names.add(item.name)
        if sum(c.share for c in self.crs) <= 0:
            raise ValueError("at least one CR needs a market share > 0")
        return self


class Population(_Model):
    """The generated ESI IDs.

    Attributes:
        esi_ids: how many ESI IDs to generate (split over TDSPs by share).
        cycles: meter read cycles a month (one per business day, cycle k read on the k-th
            business day of the month); a meter's first usage period in the run starts at
            its cycle's last read day before the start.
        energized: fraction of ESI IDs that start energized with a REP of record.
        opening_invoices: start with last month's invoices outstanding: each ESI ID served
            at the start had its cycle read in the month before, invoiced the next business
            day; its REP of record then pays that invoice with an 820_02 on its due date
            when it falls inside the run (a run from a cold start sends no 820_02 before
            day 35).
    """

    esi_ids: int = Field(ge=0, le=20_000_000)
    cycles: int = Field(default=21, ge=1, le=23)
    energized: float = Field(default=0.95, ge=0, le=1)
    opening_invoices: bool = False


class EventRates(_Model):
    """Monthly event rates as fractions of ESI IDs (or of orders, where stated).

    Defaults are zero; ``market-month.toml`` sets rates from market.md (switches about 1 %
    of ESI IDs a month, move-ins about 3x switches).
    """

    switch: float = Field(default=0.0, ge=0, le=1)
    self_selected: float = Field(default=0.2, ge=0, le=1, description="share of switches")
    move_in: float = Field(default=0.0, ge=0, le=1)
    priority: float = Field(default=0.1, ge=0, le=1, description="share of move-ins")
    move_out: float = Field(default=0.0, ge=0, le=1)
    cancel: float = Field(default=0.0, ge=0, le=1, description="share of switches and move-ins")
    date_change: float = Field(default=0.0, ge=0, le=1, description="share of dated orders")
    historical_usage: float = Field(default=0.0, ge=0, le=1)
    switch_hold: float = Field(default=0.0, ge=0, le=1)
    unexecutable: float = Field(default=0.0, ge=0, le=1, description="share of move-ins/outs")
    invoice_reject: float = Field(default=0.0, ge=0, le=1, description="share of 810_02")


class Event(_Model):
    """One explicit event for one ESI ID.

    The ESI ID is given as ``esi_id`` (full ID) or ``esi_index`` (0-based index into the
    generated population, in generation order). ``day`` is the day of the run (0 = start
    date) on which the acting party acts; ``at`` the local time.

    Kinds and their fields:
        switch: ``cr``; ``requested_day`` makes it self-selected; ``history`` asks for 867_02.
        move_in: ``cr``, ``requested_day`` (default: ``day`` + 2; may be backdated),
            ``priority``, ``permit_days`` (814_28 permit pending first), ``unexecutable``.
        move_out: ``cr`` (the REP of record), ``requested_day``, ``unexecutable``.
        cancel: ``cr``; cancels that CR's latest order on the ESI ID; ``rescission`` marks
            a customer rescission (after the CR's switch completed: a MarkeTrak Customer
            Rescission and the losing CR's backdated 814_16, C10).
        date_change: ``cr``, ``requested_day``: new date for that CR's latest order.
        historical_usage: ``cr`` (814_26).
        switch_hold: ``by`` = ``tdsp`` (tampering, 814_20) or ``cr`` (DPP, 650_01 SH001).
        hold_release: ``by`` = ``cr`` (650_01 SH002/SH003).
        esi_create / esi_retire: the TDSP's 814_20 (create needs ``esi_id``, ``tdsp``).
        csa: ``cr`` establishes a continuous service agreement from ``requested_day``
            (814_18; ``delete`` ends it).
        move_out with ``bypass_csa``: REF*2W, only the CSA CR may use it.
        disconnect / reconnect: ``cr`` (the REP of record) asks the TDSP for a disconnect for
            non-payment or a reconnect (650_01 DNP / RNP) on ``requested_day``.
        outage: the TDSP suspends delivery service for ``days`` days (650_04 to the REP).
        penny_invoice: the TDSP bills ``cr`` one cent for the ESI ID, due the next business
            day (a flight's penny test, CON52: the CR's 820_02 proves the payment path).
    """

    kind: EventKind
    day: int = Field(ge=0, le=3660)
    at: Hhmm = "09:00"
    esi_id: EsiIdStr | None = None
    esi_index: int | None = Field(default=None, ge=0)
    cr: Name | None = None
    tdsp: Name | None = None
    requested_day: int | None = Field(default=None, ge=-400, le=3660)
    priority: bool = False
    permit_days: int = Field(default=0, ge=0, le=60)
    unexecutable: bool = False
    rescission: bool = False
    history: bool = False
    by: Literal["tdsp", "cr"] = "tdsp"
    delete: bool = False
    bypass_csa: bool = False
    days: int = Field(default=1, ge=1, le=60)

    @model_validator(mode="after")
    def _target(self) -> Event:
        if (self.esi_id is None) == (self.esi_index is None):
            raise ValueError("give exactly one of esi_id and esi_index")
        needs_cr = {"switch", "move_in", "move_out", "cancel", "date_change", "historical_usage", "csa",
                    "disconnect", "reconnect", "penny_invoice"}
        if self.kind in needs_cr and self.cr is None:
            raise ValueError(f"a {self.kind} event needs cr")
        if self.kind == "date_change" and self.requested_day is None:
            raise ValueError("a date_change event needs requested_day")
        if self.kind == "esi_create" and (self.esi_id is None or self.tdsp is None):
            raise ValueError("an esi_create event needs esi_id and tdsp")
        if self.delete and self.kind != "csa":
            raise ValueError("delete applies to a csa event only")
        if self.bypass_csa and self.kind != "move_out":
            raise ValueError("bypass_csa (REF*2W) applies to a move_out event only")
        if self.kind == "hold_release" and self.by != "cr":
            raise ValueError("a hold_release is requested by the REP of record (by = 'cr')")
        return self


class MassTransition(_Model):
    """A CR defaults on ``day``; its ESI IDs go to POLRs (814_03 BGN07=TS)."""

    cr: Name
    day: int = Field(ge=0, le=3660)
    at: Hhmm = "08:00"
    polr: Name | None = None


class Acquisition(_Model):
    """An acquisition transfer (flows.md 7, C7): ERCOT moves the losing CR's ESI IDs that have
    no pending order to the acquiring CR with 814_03 ``BGN07=AQ``.

    Attributes:
        cr: the losing CR.
        to: the acquiring CR.
        day, at: when ERCOT starts the transfer.
        date_specific: date = current day + the rule's business days (C7); otherwise the FASD.
    """

    cr: Name
    to: Name
    day: int = Field(ge=0, le=3660)
    at: Hhmm = "08:00"
    date_specific: bool = False


class RetailOutage(_Model):
    """An ERCOT retail outage window (A7): ERCOT passes nothing on and queues everything.

    Attributes:
        day, at: start (day of the run, local time).
        end_day, end_at: end.
    """

    day: int = Field(ge=0, le=3660)
    at: Hhmm = "14:00"
    end_day: int = Field(ge=0, le=3661)
    end_at: Hhmm = "00:00"

    @model_validator(mode="after")
    def _order(self) -> RetailOutage:
        if (self.end_day, self.end_at) <= (self.day, self.at):
            raise ValueError("a retail outage must end after it starts")
        return self


class WeatherMoratorium(_Model):
    """Days on which a TDSP may not disconnect for non-payment (650_02 reject ``WTM``)."""

    tdsp: Name
    day: int = Field(ge=0, le=3660)
    days: int = Field(default=1, ge=1, le=366)


class Transport(_Model):
    """Delivery windows and latencies (minutes).

    Attributes:
        windows: local times at which each sender's buffered transactions are sent as one
            file per receiver (every day, weekends too).
        latency_minutes: time from sending a file to its arrival.
        ack_minutes: how long a receiver takes to send the 997 for a file (limit 24 h).
    """

    windows: list[Hhmm] = Field(
        default=["00:30", "06:00", "09:00", "11:00", "13:00", "15:00", "17:00", "20:00"],
        min_length=1,
    )
    latency_minutes: int = Field(default=5, ge=0, le=1440)
    ack_minutes: int = Field(default=60, ge=0, le=1440)

    @model_validator(mode="after")
    def _sorted(self) -> Transport:
        if sorted(set(self.windows)) != list(self.windows):
            raise ValueError("windows must be distinct and in time order")
        return self


class Fault(_Model):
    """A named fault injected into the market.

    ``late``, ``missing``, ``duplicate`` and ``out_of_order`` act on what ``participant``
    sends; ``rejected`` makes ``participant`` reject what it receives (814_04/814_13/814_25
    reject from a TDSP, 824 from a CR); ``unknown_esi_id`` makes a CR send its initiating
    requests for an ESI ID that does not exist; ``inadvertent`` makes a CR's switch or
    move-in name the next premise's ESI ID (its own ESI ID plus one: another customer's, which
    the CR then gains inadvertently, its records keeping the customer's premise);
    ``wrong_total`` makes a TDSP's 810_02 bill a total (TDS01) a dollar over the sum of its
    lines (its corrected invoice after the CR's 824 is right). ``code``, ``esi_id`` narrow the
    fault;
    ``probability`` applies it to a deterministic share of matching transactions.
    """

    kind: Literal["late", "missing", "duplicate", "out_of_order", "rejected", "unknown_esi_id", "wrong_total",
                  "inadvertent"]
    participant: Name | None = None
    esi_id: EsiIdStr | None = None
    esi_index: int | None = Field(default=None, ge=0)
    code: str | None = Field(default=None, pattern=r"^\d{3}(_[0-9A-Z]{2})?$")
    probability: float = Field(default=1.0, ge=0, le=1)
    delay_minutes: int = Field(default=2880, ge=0, le=100_000)


class ScenarioInfo(_Model):
    """Name, dates and seed of a run."""

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    start: dt.date = Field(ge=dt.date(1900, 1, 1), le=dt.date(2189, 12, 31),
                           description="within the market calendar's years 1900-2199 with the run and its answers")
    days: int = Field(ge=1, le=3660)
    seed: int = 0
    rules: str | None = None


class Scenario(_Model):
    """A whole scenario file."""

    scenario: ScenarioInfo
    participants: Participants
    population: Population
    rates: EventRates = EventRates()
    events: list[Event] = []
    mass_transitions: list[MassTransition] = []
    acquisitions: list[Acquisition] = []
    retail_outages: list[RetailOutage] = []
    weather_moratoriums: list[WeatherMoratorium] = []
    transport: Transport = Transport()
    faults: list[Fault] = []

    def tdsp(self, name: str) -> TDSP:
        """The TDSP called ``name``."""
        return next(t for t in self.participants.tdsps if t.name == name)


def reference_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Names used in events, mass transitions and faults that no participant has, and days
    outside the run.

    Returns:
        (location in the file, message) for every problem, in file order.
    """
    crs = {c.name for c in scenario.participants.crs}
    tdsps = {t.name for t in scenario.participants.tdsps}
    parts = crs | tdsps | {scenario.participants.ercot.name}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, ev in enumerate(scenario.events):
        if ev.cr is not None and ev.cr not in crs:
            out.append((("events", i, "cr"), f"unknown CR {ev.cr!r}; CRs are {', '.join(sorted(crs))}"))
        if ev.tdsp is not None and ev.tdsp not in tdsps:
            out.append((("events", i, "tdsp"), f"unknown TDSP {ev.tdsp!r}; TDSPs are {', '.join(sorted(tdsps))}"))
        if ev.esi_index is not None and ev.esi_index >= scenario.population.esi_ids:
            out.append((("events", i, "esi_index"),
                        f"{ev.esi_index} is outside the population of {scenario.population.esi_ids} ESI IDs"))
    for i, mt in enumerate(scenario.mass_transitions):
        if mt.cr not in crs:
            out.append((("mass_transitions", i, "cr"), f"unknown CR {mt.cr!r}"))
        if mt.polr is not None and mt.polr not in crs:
            out.append((("mass_transitions", i, "polr"), f"unknown CR {mt.polr!r}"))
        polrs = [c for c in scenario.participants.crs if "POLR" in c.roles and c.name != mt.cr]
        if mt.polr is None and not polrs:
            out.append((("mass_transitions", i), "no other CR has the POLR role; name a polr"))
    for i, aq in enumerate(scenario.acquisitions):
        for key in ("cr", "to"):
            if getattr(aq, key) not in crs:
                out.append((("acquisitions", i, key), f"unknown CR {getattr(aq, key)!r}"))
        if aq.cr == aq.to:
            out.append((("acquisitions", i, "to"), "the acquiring CR must differ from the losing CR"))
    for i, wm in enumerate(scenario.weather_moratoriums):
        if wm.tdsp not in tdsps:
            out.append((("weather_moratoriums", i, "tdsp"), f"unknown TDSP {wm.tdsp!r}"))
    for i, f in enumerate(scenario.faults):
        if f.participant is not None and f.participant not in parts:
            out.append((("faults", i, "participant"), f"unknown participant {f.participant!r}"))
    # a day outside the run would never happen: say so rather than drop it
    days = scenario.scenario.days
    for table in ("events", "mass_transitions", "acquisitions", "retail_outages", "weather_moratoriums"):
        for i, item in enumerate(getattr(scenario, table)):
            if item.day >= days:
                out.append(((table, i, "day"), f"day {item.day} is outside the run (days 0 to {days - 1} of "
                            f"a {days}-day run starting {scenario.scenario.start.isoformat()})"))
    return out


def _checked(scenario: Scenario, text: str, name: str) -> Scenario:
    problems = reference_problems(scenario)
    if not problems:
        return scenario
    locator = TomlLocator(text)
    issues = [TomlIssue(name, locator.line_of(loc), format_loc(loc), msg) for loc, msg in problems]
    err = ScenarioError("\n".join([issues[0].message, *(str(i) for i in issues[1:])]), issues[0].location)
    err.issues = issues  # type: ignore[attr-defined]
    raise err


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file; ``None`` loads the embedded default scenario.

    Raises:
        ScenarioError: naming file, line and field of every problem.
    """
    if path is None:
        text = resources.files("ercot_sim.data").joinpath(DEFAULT_SCENARIO).read_text("utf-8")
        return load_scenario_text(text, f"<embedded {DEFAULT_SCENARIO}>")
    scenario = load_toml_model(path, Scenario, ScenarioError)
    return _checked(scenario, Path(path).read_text(encoding="utf-8"), str(path))


def with_esi_ids(scenario: Scenario, esi_ids: int) -> Scenario:
    """``scenario`` with a population of ``esi_ids`` ESI IDs (``run --esiids``): the events'
    and faults' ESI ID indexes must still be inside it.

    Raises:
        ScenarioError: the size is out of range, or an event names an ESI ID outside it.
    """
    if not 1 <= esi_ids <= 20_000_000:
        raise ScenarioError(f"--esiids {esi_ids}: give 1 to 20,000,000 ESI IDs", scenario.scenario.name)
    resized = scenario.model_copy(update={"population": scenario.population.model_copy(update={"esi_ids": esi_ids})})
    problems = reference_problems(resized)
    if problems:
        loc, msg = problems[0]
        raise ScenarioError(f"--esiids {esi_ids}: {format_loc(loc)}: {msg}", scenario.scenario.name)
    return resized


def load_scenario_text(text: str, name: str = "<scenario>") -> Scenario:
    """Validate scenario TOML given as text (tests, generated scenarios)."""
    return _checked(load_toml_text(text, name, Scenario, ScenarioError), text, name)
