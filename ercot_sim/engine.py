"""The engine: builds the SimPy market from a scenario, runs it, and leaves files and a trace.

:func:`run_scenario` is the library entry point::

    from ercot_sim import load_scenario, run_scenario
    result = run_scenario(load_scenario("scenarios/switch-standard.toml"), "OUT")
    result.counts["814_03"], result.orders["completed"], result.trace

Sim time is minutes since midnight America/Chicago of the start date (see
:mod:`ercot_sim.simtime`). ERCOT, the TDSPs and the CRs are participants that only exchange
:class:`~ercot_sim.messages.Message` through the :class:`~ercot_sim.transport.Transport`;
customer events and field facts from the scenario are handed to the participant that would
know them in the real market (a CR knows its customers' plans, a TDSP knows a premise needs
a permit). ``shard=(i, n)`` runs only the ESI IDs of shard ``i``.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import simpy

from ercot_sim.errors import ScenarioError, SimError
from ercot_sim.messages import Message
from ercot_sim.participants.base import Context, MarketTiming, Participant, ymd
from ercot_sim.participants.cr import Cr
from ercot_sim.participants.ercot import Ercot
from ercot_sim.participants.tdsp import Tdsp
from ercot_sim.population import Premise, build_population, unit
from ercot_sim.registry import TERMINAL, EsiRecord, Registry
from ercot_sim.run_folder import LOCK, RunFolder
from ercot_sim.scenario import Scenario, ScenarioInfo, reference_problems
from ercot_sim.simtime import Clock
from ercot_sim.timing_bridge import MarketRules, load_market_rules
from ercot_sim.tomlload import format_loc
from ercot_sim.trace import Trace
from ercot_sim.transport import CompiledFault, Transport

__all__ = ["RunResult", "run_scenario"]


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        out: the output directory (``outbox/`` and ``trace.sqlite`` inside).
        trace: path of the SQLite trace.
        counts: transactions written, by Texas SET code.
        orders: orders by state (terminal states and any still pending at the end).
        files: X12 files written (paths relative to ``out``).
        skipped: customer events a CR could not act on (esi_id, kind, reason).
        esi_ids: ESI IDs simulated (this shard).
        timing: the market timing the participants worked to.
    """

    out: Path
    trace: Path
    counts: dict[str, int]
    orders: dict[str, int]
    files: list[str]
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    esi_ids: int = 0
    timing: MarketTiming | None = None

    @property
    def transactions(self) -> int:
        """Transactions written, all codes."""
        return sum(self.counts.values())


def _compile_faults(scenario: Scenario, duns: dict[str, str], index_to_esi: dict[int, str]) -> list[CompiledFault]:
    out = []
    for i, f in enumerate(scenario.faults):
        esi = f.esi_id if f.esi_id is not None else index_to_esi.get(f.esi_index) if f.esi_index is not None else None
        if f.esi_index is not None and esi is None:
            esi = f"unknown-index-{f.esi_index}"
        out.append(CompiledFault(i, f.kind, duns[f.participant] if f.participant else None, esi, f.code,
                                 f.probability, f.delay_minutes))
    return out


def _manual_channel(env: simpy.Environment, clock: Clock, trace: Trace, transport: Transport,
                    parts: Mapping[str, Participant], latency: int) -> Callable[[Message], None]:
    """Out-of-band work between participants (a CR's safety-net e-mail to a TDSP): a trace row
    without a file or control number, and the receiver's handler of that kind (its
    ``manual_<kind>``) after the latency."""

    def manual(m: Message) -> None:
        now = int(env.now)
        m.sent_at, m.received_at = now, now + latency
        trace.write_window([(trace.next_seq(), clock.iso(now), m.sender, m.receiver, m.code, m.esi_id, m.ref,
                             m.orig_ref, "", "", m.order_id, clock.iso(now + latency), m.detail, "")])
        transport.count(m.code)
        target = parts[m.receiver]
        target.at(now + latency, target.manual_handlers[m.code], m)

    return manual


def run_scenario(
    scenario: Scenario,
    out: str | Path,
    *,
    seed: int | None = None,
    rules: str | Path | None = None,
    shard: tuple[int, int] = (0, 1),
    progress: Callable[[int, int], None] | None = None,
    base_dir: str | Path | None = None,
    force: bool = False,
) -> RunResult:
    """Run a scenario and write its X12 files and trace under ``out``.

    Args:
        scenario: the validated scenario.
        out: output directory: new, empty, or an earlier run's (whose files are replaced);
            see :mod:`ercot_sim.run_folder`.
        seed: overrides the scenario's seed.
        rules: timing rules file overriding the shipped rules (and the scenario's ``rules``).
        shard: ``(i, n)``: run only the ESI IDs of shard ``i`` of ``n``.
        progress: called with (simulated day, days) after each day's last window.
        base_dir: directory relative paths in the scenario (``rules``) are resolved against.
        force: write beside files no run wrote in ``out`` (they are left as they are).

    Returns:
        The :class:`RunResult`.

    Raises:
        ScenarioError: the scenario names a participant or ESI ID that does not exist.
        RulesError: the rules file is unusable.
        SimError: ``out`` holds files no run wrote (without ``force``) or cannot be used.
    """
    # A run allocates millions of short-lived objects next to a large, long-lived market
    # (premises, registry, orders): with the default thresholds the collector runs hundreds
    # of times and rescans the market each time (about a tenth of the CPU time). Fewer,
    # larger young collections for the run; the thresholds are restored afterwards.
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], _GC_YOUNG), max(before[1], 50), max(before[2], 100))
    try:
        return _run(scenario, out, seed, rules, shard, progress, base_dir, force)
    finally:
        gc.set_threshold(*before)


#: young-generation threshold during a run (the default is 700 allocations). What a run
#: drops is freed by reference counting (its peak RSS is the same with the collector off), so
#: the collector only has to catch the rare cycle: once per million allocations. At 100,000
#: ESI IDs x 30 days that is 1 young collection instead of 24 at 50,000, about 4 % less CPU
#: time (docs/performance.md).
_GC_YOUNG = 1_000_000


def _run(
    scenario: Scenario,
    out: str | Path,
    seed: int | None,
    rules: str | Path | None,
    shard: tuple[int, int],
    progress: Callable[[int, int], None] | None,
    base_dir: str | Path | None,
    force: bool,
) -> RunResult:
    """The body of :func:`run_scenario`."""
    problems = reference_problems(scenario)
    if problems:
        loc, message = problems[0]
        raise ScenarioError(message, f"scenario {scenario.scenario.name}, {format_loc(loc)}")
    info = scenario.scenario
    if seed is not None:
        scenario = scenario.model_copy(update={"scenario": info.model_copy(update={"seed": seed})})
        info = scenario.scenario
    rules_path = rules
    if rules_path is None and info.rules:
        rules_path = Path(base_dir or ".") / info.rules
    clock = Clock(info.start)
    timing, market_rules = load_market_rules(rules_path, clock)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SimError("--out names a file; give a folder", str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(f"cannot make the folder: {exc.strerror}", str(out)) from None
    with OutLock(out):
        folder = RunFolder.claim(out, force=force)
        result = _run_locked(scenario, info, out, clock, timing, market_rules, shard, progress)
        folder.finish({"scenario": info.name, "seed": info.seed, "shard": f"{shard[0]}/{shard[1]}"})
        return result


class OutLock:
    """One run at a time in an output folder: ``.ercot-sim-run.lock``, made exclusively.

    A second run into the same folder is refused (the files of two runs would mix); the lock
    goes when the run ends, failed or not. A run killed outright leaves it: the message says
    to delete it then.
    """

    NAME = LOCK

    def __init__(self, out: Path) -> None:
        self.path = out / self.NAME

    def __enter__(self) -> OutLock:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise ScenarioError(f"another run is writing into this folder ({self.NAME}); if none is "
                                "(a run killed earlier), delete that file", str(self.path.parent)) from None
        os.close(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _run_locked(scenario: Scenario, info: ScenarioInfo, out: Path, clock: Clock, timing: MarketTiming,
                market_rules: MarketRules | None, shard: tuple[int, int],
                progress: Callable[[int, int], None] | None) -> RunResult:
    """The run itself, in an output folder it holds the lock of."""
    env = simpy.Environment()
    trace = Trace(out / "trace.sqlite")
    parts = scenario.participants
    names = {parts.ercot.duns: parts.ercot.name}
    duns = {parts.ercot.name: parts.ercot.duns}
    for party in parts.everyone():
        names[party.duns] = party.name
        duns[party.name] = party.duns
    population = build_population(scenario, shard)
    index_to_esi = {p.index: p.esi_id for p in population.premises}
    faults = _compile_faults(scenario, duns, index_to_esi)
    horizon = clock.minute_of_day(info.days)
    transport = Transport(env, clock, out, trace, names, list(scenario.transport.windows),
                          scenario.transport.latency_minutes,
                          min(scenario.transport.ack_minutes, timing.ack_hours * 60), faults, info.seed)
    ctx = Context(env=env, clock=clock, timing=timing, send=transport.send, seed=info.seed, names=names,
                  duns=duns, tdsp_calendar={t.duns: clock.calendar_name(t.calendar or t.name) for t in parts.tdsps},
                  ercot=parts.ercot.duns, horizon=horizon, rules=market_rules,
                  reject_faults=[f for f in faults if f.kind == "rejected"],
                  esi_faults=[f for f in faults if f.kind == "unknown_esi_id"], send_all=transport.send_all)
    ctx.order_log = lambda esi, minute, rep, order_id: trace.rep_changes.append(
        (esi, clock.iso(minute), rep, order_id))

    registry = Registry()
    tdsp_of: dict[str, str] = {}
    for p in population.premises:
        tdsp_duns = duns[p.tdsp]
        rep = duns[p.rep] if p.rep else ""
        registry.records[p.esi_id] = EsiRecord(tdsp_duns, rep, "A" if rep else "D")
        tdsp_of[p.esi_id] = tdsp_duns
    for esi, tname in population.created.items():
        tdsp_of[esi] = duns[tname]
    by_prefix = sorted(((t.esi_prefix, t.duns) for t in parts.tdsps), key=lambda x: -len(x[0]))
    for pe in population.events:  # an ESI ID outside the population: the TDSP its prefix names
        if pe.esi_id not in tdsp_of:
            owner = next((d for prefix, d in by_prefix if pe.esi_id.startswith(prefix)), None)
            if owner is None:
                raise ScenarioError(f"ESI ID {pe.esi_id} is not in the population and no TDSP has its prefix",
                                    f"scenario {info.name}, events ({pe.event.kind} on day {pe.day})")
            tdsp_of[pe.esi_id] = owner
    ercot = Ercot(ctx, parts.ercot.name, parts.ercot.duns, registry,
                  [(c.duns, c.share or 1.0) for c in parts.crs if "POLR" in c.roles])
    transport.register(ercot.duns, ercot.inbox)

    conditions: dict[str, dict[str, list[tuple[str, int]]]] = {t.duns: {} for t in parts.tdsps}
    for pe in population.events:
        ev = pe.event
        if ev.kind in ("move_in", "move_out") and (ev.permit_days or ev.unexecutable):
            cond = ("permit", ev.permit_days) if ev.permit_days else ("unexecutable", 0)
            conditions[tdsp_of[pe.esi_id]].setdefault(pe.esi_id, []).append(cond)
    tdsps: dict[str, Tdsp] = {}
    for t in parts.tdsps:
        tdsp = Tdsp(ctx, t.name, t.duns, ctx.tdsp_calendar[t.duns], scenario.population.cycles,
                    conditions[t.duns])
        tdsps[t.duns] = tdsp
        transport.register(t.duns, tdsp.inbox)
    for wm in scenario.weather_moratoriums:
        tdsps[duns[wm.tdsp]].service.moratorium.update(info.start + dt.timedelta(days=wm.day + k) for k in range(wm.days))
    for p in population.premises:
        tdsps[duns[p.tdsp]].add_premise(p.esi_id, p.cycle, duns[p.rep] if p.rep else "", info.start)
    crs: dict[str, Cr] = {}
    for c in parts.crs:
        cr = Cr(ctx, c.name, c.duns, list(c.roles), tdsp_of.__getitem__, scenario.rates.invoice_reject)
        cr.safety_net = c.safety_net
        crs[c.duns] = cr
        transport.register(c.duns, cr.inbox)
    for p in population.premises:
        if p.rep:
            crs[duns[p.rep]].customers.add(p.esi_id)
    if scenario.population.opening_invoices:
        _opening_invoices(population.premises, duns, tdsps, crs, clock, info.start, horizon, timing)
    ctx.manual = _manual_channel(env, clock, trace, transport, {ercot.duns: ercot, **tdsps, **crs},
                                 scenario.transport.latency_minutes)

    rep_of = {p.esi_id: p.rep for p in population.premises}
    for pe in population.events:
        ev = pe.event
        minute = clock.minute_of_day(pe.day, pe.at)
        tdsp = tdsps[tdsp_of[pe.esi_id]]
        if ev.kind == "esi_create":
            cycle = int(unit(info.seed, pe.esi_id, "cycle") * scenario.population.cycles) + 1
            tdsp.at(minute, tdsp.create, pe.esi_id, cycle)
        elif ev.kind == "esi_retire":
            tdsp.at(minute, tdsp.retire, pe.esi_id)
        elif ev.kind == "switch_hold" and ev.by == "tdsp":
            tdsp.at(minute, tdsp.switch_hold, pe.esi_id)
        elif ev.kind == "outage":
            tdsp.at(minute, tdsp.service.outage, pe.esi_id, ev.days)
        else:
            who = ev.cr or rep_of.get(pe.esi_id)
            if who is None:
                continue
            cr = crs[duns[who]]
            cr.at(minute, cr.event, pe)
    outages = ercot.admin.outages
    outages.extend((clock.minute_of_day(o.day, o.at), clock.minute_of_day(o.end_day, o.end_at))
                   for o in scenario.retail_outages)
    if outages:  # A7: nothing goes to or from ERCOT during a window (the transport holds it)
        transport.outages[ercot.duns] = outages
        trace.outages.extend((ercot.duns, "ERCOT", clock.iso(a), clock.iso(b), "A7") for a, b in outages)
    for aq in scenario.acquisitions:
        ercot.at(clock.minute_of_day(aq.day, aq.at), ercot.admin.acquisition, duns[aq.cr], duns[aq.to], aq.date_specific)
    for mt in scenario.mass_transitions:
        ercot.at(clock.minute_of_day(mt.day, mt.at), ercot.admin.mass_transition, duns[mt.cr],
                 duns[mt.polr] if mt.polr else None)
    for day in range(info.days):
        for tdsp in tdsps.values():
            tdsp.at(clock.minute_of_day(day, "06:00"), tdsp.daily)
    if progress is not None:
        last = scenario.transport.windows[-1]
        transport.on_window = lambda now: progress(clock.date(now).toordinal() - info.start.toordinal() + 1, info.days) \
            if clock.local(now).strftime("%H:%M") == last else None
    env.process(transport.run(info.days))
    env.run(until=horizon)

    orders = sorted(registry.orders.values(), key=lambda o: o.order_id)
    by_state: dict[str, int] = {}
    for o in orders:
        by_state[o.state] = by_state.get(o.state, 0) + 1
    iso = clock.iso
    trace.finish(
        [(o.order_id, o.esi_id, o.kind, o.cr, o.tdsp, iso(o.submitted),
          o.requested.isoformat() if o.requested else "", o.scheduled.isoformat() if o.scheduled else "",
          o.state, iso(o.state_at), o.detail) for o in orders],
        registry.rows(),
        {"scenario": info.name, "seed": str(info.seed), "start": info.start.isoformat(),
         "days": str(info.days), "shard": f"{shard[0]}/{shard[1]}", "esi_ids": str(len(population.premises)),
         "terminal_states": ",".join(sorted(TERMINAL))},
    )
    skipped = sorted(s for cr in crs.values() for s in cr.skipped)
    return RunResult(out, out / "trace.sqlite", dict(sorted(transport.counts.items())), dict(sorted(by_state.items())),
                     transport.files, skipped, len(population.premises), timing)


def _opening_invoices(premises: list[Premise], duns: dict[str, str], tdsps: dict[str, Tdsp], crs: dict[str, Cr],
                      clock: Clock, start: dt.date, horizon: int, timing: MarketTiming) -> None:
    """Last month's invoices outstanding at the start (``[population] opening_invoices``):
    for each TDSP and cycle, the cycle's last read before the start, invoiced the next
    business day and due ``payment_days`` later (rolled to a business day, as the TDSP dates
    its invoices); each REP of record pays its ESI IDs' invoices of a cycle on that due day
    at 09:00 when it falls inside the run. One agenda entry per CR, TDSP and cycle."""
    groups: dict[tuple[str, str, int], list[str]] = {}
    for p in premises:
        if p.rep:
            groups.setdefault((duns[p.rep], duns[p.tdsp], p.cycle), []).append(p.esi_id)
    pay_days = dt.timedelta(days=timing.payment_days)
    for (cr, tdsp_duns, cycle), esis in sorted(groups.items()):
        tdsp = tdsps[tdsp_duns]
        read = clock.last_cycle_read(start, cycle, tdsp.cal)  # where the run's first period starts
        sent = clock.add_business_days(read, 1, tdsp.cal)
        due = clock.roll(sent + pay_days, tdsp.cal)
        minute = clock.minute(due, "09:00")
        if 0 <= minute < horizon:
            crs[cr].at(minute, crs[cr].pay_opening, tdsp_duns, esis, ymd(read))


def start_date(scenario: Scenario) -> dt.date:
    """The first day of a scenario's run."""
    return scenario.scenario.start
