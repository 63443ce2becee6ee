"""Two markets in lockstep: one plays a party (the system under test's stand-in), the other the
rest of the market, and at every delivery window each hands the other the files it wrote for it.

Both are built from the same scenario, seed and rules (:func:`ercot_sim.market.builder.build_market`);
each marks the parties the other plays as remote, so they plan nothing and receive nothing
there. At a window each transport writes its files as always, then calls its link: the files
for the other market's parties are read back from disk (:func:`~ercot_sim.counterparty.inbound.read_messages`:
only what the X12 says crosses) and put into the other market's deliveries of the same window,
in the order one market would have delivered them, with the 997s they are owed. Both markets
run to a window before either reaches its deliveries (the latency is at least a minute), so
together they write exactly the files one market writes: ``tests/test_lockstep.py`` compares
them byte for byte. This is how ``serve`` will play the market against a live party: the
party's side is then a real system behind a transport instead of a second market.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ercot_sim.counterparty.inbound import read_messages
from ercot_sim.errors import SimError
from ercot_sim.market.builder import Market, build_market, plan
from ercot_sim.market.messages import Message
from ercot_sim.market.simtime import Clock
from ercot_sim.market.timing_bridge import load_market_rules
from ercot_sim.market.transport import Acks, Deliveries
from ercot_sim.scenario import Scenario

__all__ = ["Lockstep", "run_lockstep"]


@dataclass
class _Window:
    """What the two markets flushed at one window minute, until both have."""

    flushed: dict[str, tuple[Deliveries, Acks]] = field(default_factory=dict)


class Lockstep:
    """The market of ``scenario`` split in two (see the module docstring).

    Args:
        scenario: the scenario.
        market_out, party_out: the two markets' output folders.
        party: the DUNS the party market plays (a CR, a TDSP).
        rules: a timing rules file (default: the shipped rules, or the scenario's).
    """

    def __init__(self, scenario: Scenario, market_out: Path, party_out: Path, party: str,
                 rules: Path | None = None) -> None:
        info = scenario.scenario
        if scenario.transport.latency_minutes < 1:
            raise SimError("lockstep needs a transport latency of at least a minute (files cross between windows)")
        everyone = {scenario.participants.ercot.duns, *(p.duns for p in scenario.participants.everyone())}
        if party not in everyone:
            raise SimError(f"{party} is not a participant of scenario {info.name}")
        self.party = party
        self.sides: dict[str, Market] = {}
        self.outs = {"market": Path(market_out), "party": Path(party_out)}
        remote = {"market": frozenset({party}), "party": frozenset(everyone - {party})}
        for side in ("market", "party"):
            clock = Clock(info.start)
            timing, market_rules = load_market_rules(rules, clock)
            self.outs[side].mkdir(parents=True, exist_ok=True)
            market = build_market(scenario, self.outs[side], clock, timing, market_rules, (0, 1), remote[side])
            market.transport.link = self._linker(side)
            plan(market, None)
            self.sides[side] = market
        self.latency = scenario.transport.latency_minutes
        self._windows: dict[int, _Window] = {}

    def _linker(self, side: str) -> Callable[[int, Deliveries, Acks], None]:
        def link(now: int, deliveries: Deliveries, acks: Acks) -> None:
            window = self._windows.setdefault(now, _Window())
            window.flushed[side] = (deliveries, acks)
            if len(window.flushed) == 2:
                self._exchange(now, window)
                del self._windows[now]
        return link

    def _exchange(self, now: int, window: _Window) -> None:
        """Each market's files for the other's parties, read back and merged into the other's
        deliveries and 997s of this window."""
        for side, other in (("market", "party"), ("party", "market")):
            deliveries, acks = window.flushed[side]
            remote = self.sides[side].transport.remote
            into_deliveries, into_acks = window.flushed[other]
            for receiver, files in deliveries.items():
                if receiver not in remote:
                    continue
                for rel, _msgs in files:
                    into_deliveries.setdefault(receiver, []).append((rel, self._read(side, rel, now)))
                into_deliveries[receiver].sort(key=lambda f: Path(f[0]).name.split("_", 1)[0])
            crossing = [a for a in acks if a[0] in remote]
            if crossing:
                into_acks.extend(crossing)
                into_acks.sort(key=lambda a: (a[1], a[0]))

    def _read(self, side: str, rel: str, now: int) -> list[Message]:
        """The messages of a file one market wrote, as the other receives them: from its bytes."""
        out = []
        for got in read_messages(self.outs[side] / rel):
            m = got.message
            m.ready, m.sent_at, m.received_at = now, now, now + self.latency
            out.append(m)
        return out

    def run(self) -> None:
        """Run both markets to the end, window by window."""
        market = self.sides["market"]
        info, clock = market.scenario.scenario, market.clock
        minutes = sorted({clock.minute_of_day(day, hhmm) for day in range(info.days)
                          for hhmm in market.scenario.transport.windows})
        for minute in [*minutes, market.horizon - 1]:
            for side in ("market", "party"):
                env = self.sides[side].env
                if minute + 1 > env.now:
                    env.run(until=min(minute + 1, market.horizon))
        for side in ("market", "party"):
            env = self.sides[side].env
            if env.now < market.horizon:
                env.run(until=market.horizon)


def run_lockstep(scenario: Scenario, market_out: Path, party_out: Path, party: str) -> Lockstep:
    """Build and run a :class:`Lockstep` of ``scenario`` with ``party`` in its own market."""
    lockstep = Lockstep(scenario, market_out, party_out, party)
    lockstep.run()
    return lockstep
