"""The market a run simulates, built whole from a scenario: :func:`build_market`.

Building makes, in this order (the order SimPy sees, so the same scenario gives the same
bytes): the trace, the population, the transport, the run context, ERCOT's registry and
ERCOT, the TDSPs with their master data, the CRs with their customers, and the out-of-band
channel between them. Every part is complete when :func:`build_market` returns: nothing is
wired afterwards. :func:`plan` then puts the scenario's events and the market's own work
(outage windows, acquisitions, mass transitions, the TDSPs' daily field runs) on the
participants' agendas, and :func:`results` reads the outcome back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import simpy

from ercot_sim.errors import ScenarioError, SimError
from ercot_sim.market.messages import Message
from ercot_sim.market.participants.base import Context, MarketTiming, Participant, ymd
from ercot_sim.market.participants.cr import USAGE_MISSING_DAYS, Cr
from ercot_sim.market.participants.ercot import Ercot
from ercot_sim.market.participants.tdsp import Tdsp
from ercot_sim.market.registry import TERMINAL, EsiRecord, Registry
from ercot_sim.market.simtime import Clock
from ercot_sim.market.timing_bridge import MarketRules
from ercot_sim.market.transport import CompiledFault, Transport
from ercot_sim.output.trace import Trace
from ercot_sim.scenario import Participants, Scenario
from ercot_sim.scenario.population import Population, build_population, unit

__all__ = ["Market", "OutOfBandChannel", "build_market", "plan", "results"]


class OutOfBandChannel:
    """Out-of-band work between participants (a CR's safety-net e-mail to a TDSP, a MarkeTrak
    issue): a trace row without a file or control number, and the receiver's handler of that
    kind (its ``manual_<kind>``) after the latency. Participants are registered as they are
    made, as with the transport."""

    def __init__(self, env: simpy.Environment, clock: Clock, trace: Trace, transport: Transport,
                 latency: int) -> None:
        self.env = env
        self.clock = clock
        self.trace = trace
        self.transport = transport
        self.latency = latency
        self.parts: dict[str, Participant] = {}

    def register(self, participant: Participant) -> None:
        self.parts[participant.duns] = participant

    def send(self, m: Message) -> None:
        if self.parts[m.receiver].remote or self.parts[m.sender].remote:
            raise SimError(f"{m.code} from {m.sender} to {m.receiver} is out of band with a party another market "
                           "plays: not linked between markets yet")
        now = int(self.env.now)
        latency = self.latency
        m.sent_at, m.received_at = now, now + latency
        iso = self.clock.iso
        self.trace.add_out_of_band(m, iso(now), iso(now + latency))
        self.trace.write_window()
        self.transport.count(m.code)
        target = self.parts[m.receiver]
        target.at(now + latency, target.manual_handlers[m.code], m)


@dataclass
class Market:
    """A market ready to run (see the module docstring)."""

    scenario: Scenario
    clock: Clock
    env: simpy.Environment
    trace: Trace
    transport: Transport
    population: Population
    registry: Registry
    ercot: Ercot
    tdsps: dict[str, Tdsp]
    crs: dict[str, Cr]
    #: participant name -> DUNS
    duns: dict[str, str]
    #: ESI ID -> the DUNS of its TDSP
    tdsp_of: dict[str, str]
    #: the last sim minute of the run
    horizon: int


def build_market(scenario: Scenario, out: Path, clock: Clock, timing: MarketTiming,
                 market_rules: MarketRules | None, shard: tuple[int, int],
                 remote: frozenset[str] = frozenset()) -> Market:
    """Every part of the market of ``scenario``, wired, writing into ``out``.

    ``remote`` names the parties (DUNS) another market plays (counterparty mode): they are
    made but plan nothing and receive nothing here; the transport writes their files and hands
    them to its ``link`` (:mod:`ercot_sim.counterparty.lockstep`).

    Raises:
        ScenarioError: an event names an ESI ID outside the population that no TDSP's prefix
            claims.
    """
    info = scenario.scenario
    env = simpy.Environment()
    trace = Trace(out / "trace.sqlite", serving=bool(remote))
    parts = scenario.participants
    names, duns = _directory(parts)
    population = build_population(scenario, shard)
    faults = _compile_faults(scenario, duns, {p.index: p.esi_id for p in population.premises})
    horizon = clock.minute_of_day(info.days)
    transport = Transport(env, clock, out, trace, list(scenario.transport.windows),
                          scenario.transport.latency_minutes,
                          min(scenario.transport.ack_minutes, timing.ack_hours * 60), faults, info.seed)
    out_of_band = OutOfBandChannel(env, clock, trace, transport, scenario.transport.latency_minutes)
    ctx = Context(env=env, clock=clock, timing=timing, send=transport.send, seed=info.seed, names=names,
                  duns=duns, tdsp_calendar={t.duns: clock.calendar_name(t.calendar or t.name) for t in parts.tdsps},
                  ercot=parts.ercot.duns, horizon=horizon, rules=market_rules,
                  reject_faults=[f for f in faults if f.kind == "rejected"],
                  esi_faults=[f for f in faults if f.kind in ("unknown_esi_id", "inadvertent")],
                  send_all=transport.send_all, outbound_lost=transport.take_lost,
                  order_log=lambda esi, minute, rep, order_id: trace.rep_changes.append(
                      (esi, clock.iso(minute), rep, order_id)),
                  manual=out_of_band.send,
                  fault_log=lambda minute, kind, m: trace.fault_rows.append(
                      (clock.iso(minute), kind, m.sender, m.receiver, m.code, m.esi_id, m.ref)),
                  book_log=lambda party, esi, minute, field, old, new, since, ref: trace.book_changes.append(
                      (party, esi, clock.iso(minute), field, old, new, since, ref)))
    registry, tdsp_of = _registry(scenario, population, duns)
    ercot = Ercot(ctx, parts.ercot.name, parts.ercot.duns, registry,
                  [(c.duns, c.share or 1.0) for c in parts.crs if "POLR" in c.roles])
    tdsps = _make_tdsps(scenario, ctx, population, duns, tdsp_of)
    crs = _make_crs(scenario, ctx, population, duns, tdsp_of)
    transport.remote = remote
    ctx.remote = remote
    for participant in (ercot, *tdsps.values(), *crs.values()):
        out_of_band.register(participant)
        if participant.duns in remote:
            participant.remote = True
            continue
        transport.register(participant.duns, participant.inbox)
    market = Market(scenario, clock, env, trace, transport, population, registry, ercot, tdsps, crs, duns,
                    tdsp_of, horizon)
    if scenario.population.opening_invoices:
        _opening_invoices(market)
    return market


def _directory(parts: Participants) -> tuple[dict[str, str], dict[str, str]]:
    """DUNS -> name and name -> DUNS of every participant."""
    names = {parts.ercot.duns: parts.ercot.name}
    duns = {parts.ercot.name: parts.ercot.duns}
    for party in parts.everyone():
        names[party.duns] = party.name
        duns[party.name] = party.duns
    return names, duns


def _compile_faults(scenario: Scenario, duns: dict[str, str], index_to_esi: dict[int, str]) -> list[CompiledFault]:
    out = []
    for i, f in enumerate(scenario.faults):
        esi = f.esi_id if f.esi_id is not None else index_to_esi.get(f.esi_index) if f.esi_index is not None else None
        if f.esi_index is not None and esi is None:
            esi = f"unknown-index-{f.esi_index}"
        out.append(CompiledFault(i, f.kind, duns[f.participant] if f.participant else None, esi, f.code,
                                 f.probability, f.delay_minutes))
    return out


def _registry(scenario: Scenario, population: Population, duns: dict[str, str]) -> tuple[Registry, dict[str, str]]:
    """ERCOT's registry of the population, and each ESI ID's TDSP (an event's ESI ID outside
    the population: the TDSP whose prefix it has)."""
    registry = Registry()
    tdsp_of: dict[str, str] = {}
    for p in population.premises:
        tdsp_duns = duns[p.tdsp]
        rep = duns[p.rep] if p.rep else ""
        registry.records[p.esi_id] = EsiRecord(tdsp_duns, rep, "A" if rep else "D")
        tdsp_of[p.esi_id] = tdsp_duns
    for esi, tname in population.created.items():
        tdsp_of[esi] = duns[tname]
    tdsps = scenario.participants.tdsps
    by_prefix = sorted(((t.esi_prefix, t.duns) for t in tdsps), key=lambda x: -len(x[0]))
    for pe in population.events:
        if pe.esi_id not in tdsp_of:
            owner = next((d for prefix, d in by_prefix if pe.esi_id.startswith(prefix)), None)
            if owner is None:
                raise ScenarioError(f"ESI ID {pe.esi_id} is not in the population and no TDSP has its prefix",
                                    f"scenario {scenario.scenario.name}, events ({pe.event.kind} on day {pe.day})")
            tdsp_of[pe.esi_id] = owner
    return registry, tdsp_of


def _make_tdsps(scenario: Scenario, ctx: Context, population: Population, duns: dict[str, str],
                tdsp_of: dict[str, str]) -> dict[str, Tdsp]:
    """The TDSPs with their field conditions, weather moratoriums and master data."""
    parts = scenario.participants
    conditions: dict[str, dict[str, list[tuple[str, int]]]] = {t.duns: {} for t in parts.tdsps}
    for pe in population.events:
        ev = pe.event
        if ev.kind in ("move_in", "move_out") and (ev.permit_days or ev.unexecutable):
            cond = ("permit", ev.permit_days) if ev.permit_days else ("unexecutable", 0)
            conditions[tdsp_of[pe.esi_id]].setdefault(pe.esi_id, []).append(cond)
    tdsps = {t.duns: Tdsp(ctx, t.name, t.duns, ctx.tdsp_calendar[t.duns], scenario.population.cycles,
                          conditions[t.duns]) for t in parts.tdsps}
    start = scenario.scenario.start
    for wm in scenario.weather_moratoriums:
        tdsps[duns[wm.tdsp]].service.moratorium.update(start + dt.timedelta(days=wm.day + k) for k in range(wm.days))
    for p in population.premises:
        tdsps[duns[p.tdsp]].add_premise(p.esi_id, p.cycle, duns[p.rep] if p.rep else "", start)
    return tdsps


def _make_crs(scenario: Scenario, ctx: Context, population: Population, duns: dict[str, str],
              tdsp_of: dict[str, str]) -> dict[str, Cr]:
    """The CRs with their roles, safety-net habit and customers."""
    crs: dict[str, Cr] = {}
    for c in scenario.participants.crs:
        cr = Cr(ctx, c.name, c.duns, list(c.roles), tdsp_of.__getitem__, scenario.rates.invoice_reject,
                safety_net=c.safety_net)
        crs[c.duns] = cr
    watch = ctx.horizon > USAGE_MISSING_DAYS * 1440  # a run long enough for usage to be overdue
    for p in population.premises:
        if p.rep:
            cr = crs[duns[p.rep]]
            cr.customers.add(p.esi_id)
            if watch:
                cr.watch_usage(p.esi_id)
    return crs


def _opening_invoices(market: Market) -> None:
    """Last month's invoices outstanding at the start (``[population] opening_invoices``):
    for each TDSP and cycle, the cycle's last read before the start, invoiced the next
    business day and due ``payment_days`` later (rolled to a business day, as the TDSP dates
    its invoices); each REP of record pays its ESI IDs' invoices of a cycle on that due day
    at 09:00 when it falls inside the run. One agenda entry per CR, TDSP and cycle."""
    duns, clock, start = market.duns, market.clock, market.scenario.scenario.start
    groups: dict[tuple[str, str, int], list[str]] = {}
    for p in market.population.premises:
        if p.rep:
            groups.setdefault((duns[p.rep], duns[p.tdsp], p.cycle), []).append(p.esi_id)
    for (cr_duns, tdsp_duns, cycle), esis in sorted(groups.items()):
        tdsp = market.tdsps[tdsp_duns]
        read = clock.last_cycle_read(start, cycle, tdsp.cal)  # where the run's first period starts
        due = tdsp.reads.invoice_due_date(clock.add_business_days(read, 1, tdsp.cal))
        minute = clock.minute(due, "09:00")
        if 0 <= minute < market.horizon:
            cr = market.crs[cr_duns]
            cr.at(minute, cr.billing.pay_opening, tdsp_duns, esis, ymd(read))


def plan(market: Market, progress: Callable[[int, int], None] | None) -> None:
    """Put the scenario's events and the market's own work on the agendas; start the transport."""
    _plan_events(market)
    _plan_market_work(market)
    scenario, clock = market.scenario, market.clock
    info = scenario.scenario
    if progress is not None:
        last = scenario.transport.windows[-1]
        first_day = info.start.toordinal()

        def window_done(now: int) -> None:
            if clock.local(now).strftime("%H:%M") == last:
                progress(clock.date(now).toordinal() - first_day + 1, info.days)

        market.transport.on_window = window_done
    market.env.process(market.transport.run(info.days))


def _plan_events(market: Market) -> None:
    """Each customer event to the CR that would know of it, each field fact to the TDSP."""
    scenario, clock, duns = market.scenario, market.clock, market.duns
    seed, cycles = scenario.scenario.seed, scenario.population.cycles
    rep_of = {p.esi_id: p.rep for p in market.population.premises}
    for pe in market.population.events:
        ev = pe.event
        minute = clock.minute_of_day(pe.day, pe.at)
        tdsp = market.tdsps[market.tdsp_of[pe.esi_id]]
        if ev.kind == "esi_create":
            tdsp.at(minute, tdsp.create, pe.esi_id, int(unit(seed, pe.esi_id, "cycle") * cycles) + 1)
        elif ev.kind == "esi_retire":
            tdsp.at(minute, tdsp.retire, pe.esi_id)
        elif ev.kind == "switch_hold" and ev.by == "tdsp":
            tdsp.at(minute, tdsp.switch_hold, pe.esi_id)
        elif ev.kind == "outage":
            tdsp.at(minute, tdsp.service.outage, pe.esi_id, ev.days)
        elif ev.kind == "penny_invoice":
            assert ev.cr is not None  # the event's validation
            tdsp.at(minute, tdsp.reads.penny_invoice, pe.esi_id, duns[ev.cr])
        else:
            who = ev.cr or rep_of.get(pe.esi_id)
            if who is None:
                continue
            cr = market.crs[duns[who]]
            cr.at(minute, cr.requests.event, pe)


def _plan_market_work(market: Market) -> None:
    """Retail outage windows (A7), acquisitions, mass transitions, the TDSPs' 06:00 field runs."""
    scenario, clock, duns, ercot = market.scenario, market.clock, market.duns, market.ercot
    outages = ercot.admin.outages
    outages.extend((clock.minute_of_day(o.day, o.at), clock.minute_of_day(o.end_day, o.end_at))
                   for o in scenario.retail_outages)
    if outages:  # A7: nothing goes to or from ERCOT during a window (the transport holds it)
        market.transport.outages[ercot.duns] = outages
        market.trace.outages.extend((ercot.duns, "ERCOT", clock.iso(a), clock.iso(b), "A7") for a, b in outages)
    for aq in scenario.acquisitions:
        ercot.at(clock.minute_of_day(aq.day, aq.at), ercot.admin.acquisition, duns[aq.cr], duns[aq.to],
                 aq.date_specific)
    for mt in scenario.mass_transitions:
        ercot.at(clock.minute_of_day(mt.day, mt.at), ercot.admin.mass_transition, duns[mt.cr],
                 duns[mt.polr] if mt.polr else None)
    for day in range(scenario.scenario.days):
        for tdsp in market.tdsps.values():
            tdsp.at(clock.minute_of_day(day, "06:00"), tdsp.daily)


def results(market: Market, shard: tuple[int, int]) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Write the orders, the registry and the run's facts to the trace (last: the run is then
    complete); orders by state and the events the CRs skipped."""
    orders = sorted(market.registry.orders.values(), key=lambda o: o.order_id)
    by_state: dict[str, int] = {}
    for o in orders:
        by_state[o.state] = by_state.get(o.state, 0) + 1
    iso = market.clock.iso
    info = market.scenario.scenario
    market.trace.finish(
        [(o.order_id, o.esi_id, o.kind, o.cr, o.tdsp, iso(o.submitted),
          o.requested.isoformat() if o.requested else "", o.scheduled.isoformat() if o.scheduled else "",
          o.state, iso(o.state_at), o.detail) for o in orders],
        market.registry.rows(),
        {"scenario": info.name, "seed": str(info.seed), "start": info.start.isoformat(),
         "days": str(info.days), "shard": f"{shard[0]}/{shard[1]}",
         "esi_ids": str(len(market.population.premises)), "terminal_states": ",".join(sorted(TERMINAL))},
    )
    skipped = sorted(s for cr in market.crs.values() for s in cr.skipped)
    return dict(sorted(by_state.items())), skipped

