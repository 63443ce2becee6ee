"""The transport: buffered sends, delivery windows, one X12 file per sender->receiver, 997s.

Participants hand messages to :meth:`Transport.send` with the earliest minute they may go.
At each delivery window (local times from the scenario, every day) the transport takes every
message that is ready, groups them by sender and receiver, and writes ONE interchange per
pair to ``outbox/<receiver DUNS>/<sender DUNS>_<CCYYMMDDHHMM>_<ISA13>.x12`` with
:class:`edi.x12.X12Writer` (control numbers per sender, never from the clock). The files
arrive ``latency_minutes`` later as one batch per receiver; each file received is answered
with a 997 from the receiver ``ack_minutes`` after arrival, sent at the next window.

SimPy sees one event per window and one per delivery, never one per transaction.

Named faults act here: ``missing`` drops what a participant sends, ``late`` delays it,
``duplicate`` sends it twice, ``out_of_order`` holds it back one window so that what the
sender produced after it arrives first, ``wrong_total`` makes a TDSP's 810_02 bill a total
(TDS01) that is not the sum of its lines (a corrected invoice is left alone).

Outage windows act here too (:attr:`Transport.outages`, timing rule A7 for ERCOT's retail
outages): no file goes to or from a participant during one of its windows. What would go out
in a delivery window inside it waits for the first window after it ends, 997s included, so
the transactions queue at their senders and go in the order they were made.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import itertools
import operator
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import simpy

from edi.texas_set.payloads import Payload810, Payload997, TransactionAck
from edi.x12 import ControlNumbers, X12Writer
from ercot_sim.market.messages import RESENT, Message
from ercot_sim.market.simtime import Clock
from ercot_sim.output.emit import render_text
from ercot_sim.output.outbox import Outbox
from ercot_sim.output.trace import Trace
from ercot_sim.scenario.population import unit

__all__ = ["Acks", "CompiledFault", "Deliveries", "Transport"]

#: a window's deliveries: receiver -> (file, its messages) in (sender, receiver) order
Deliveries = dict[str, list[tuple[str, list[Message]]]]
#: the 997s a window's files are owed: (receiver, sender, ISA13, (GS01, GS06, (ST01, ST02)...))
Acks = list[tuple[str, str, str, list[tuple[str, str, list[tuple[str, str]]]]]]

_code_of = operator.attrgetter("code")

#: a message waiting for its window: (ready minute, order of sending, message, fault, windows held)
_Item = tuple[int, int, Message, str, int]



@dataclass(frozen=True)
class CompiledFault:
    """A scenario fault resolved to DUNS and ESI IDs."""

    index: int
    kind: str
    party: str | None  # DUNS
    esi_id: str | None
    code: str | None
    probability: float
    delay: int

    def matches(self, seed: int, m: Message, party: str) -> bool:
        """Does this fault apply to ``m`` (``party`` = the sender, or the receiver)?"""
        if self.party is not None and self.party != party:
            return False
        if self.esi_id is not None and self.esi_id != m.esi_id:
            return False
        if self.code is not None and self.code != m.code and self.code != m.code[:3]:
            return False
        return self.probability >= 1.0 or unit(seed, "fault", self.index, m.ref, m.code) < self.probability


@dataclass(frozen=True, slots=True)
class _Window:
    """One delivery window's moment, in the forms its files and trace rows need."""

    now: int
    local: dt.datetime
    sent_at: str
    received_at: str
    date: str  # CCYYMMDD, BGN03 and the like
    stamp: str  # CCYYMMDDHHMM, in file names


def _wrong_total(payload: object) -> Payload810:
    """An invoice whose total is a dollar more than the sum of its lines."""
    assert isinstance(payload, Payload810)  # the fault acts on 810_02s only
    return dataclasses.replace(payload, total=payload.lines_total + 100)


class Transport:
    """Delivery windows, files, trace rows and 997s for one run.

    Args:
        env: the SimPy environment.
        clock: the run's clock.
        out: the run's output directory.
        trace: the trace writer.
        windows: local delivery times (``HH:MM``).
        latency: minutes from sending to arrival.
        ack_minutes: minutes from arrival to the 997 being ready.
        faults: faults acting on sends.
        seed: the scenario seed (for fault probabilities).
    """

    def __init__(
        self,
        env: simpy.Environment,
        clock: Clock,
        out: Path,
        trace: Trace,
        windows: list[str],
        latency: int,
        ack_minutes: int,
        faults: list[CompiledFault],
        seed: int,
    ) -> None:
        self.env = env
        self.clock = clock
        self.out = out
        #: the files on disk
        self.outbox = Outbox(out)
        self.trace = trace
        self.windows = windows
        self.latency = latency
        self.ack_minutes = ack_minutes
        self.send_faults = [f for f in faults if f.kind in ("late", "missing", "duplicate", "out_of_order",
                                                             "wrong_total")]
        self.seed = seed
        self.inboxes: dict[str, simpy.Store] = {}
        self.controls: dict[str, ControlNumbers] = {}
        # Messages wait in the bucket of the delivery window they go out in, one list per
        # sender -> receiver (a file): O(1) to add, each list sorted once (by ready minute,
        # then order of sending).
        self._buckets: dict[int, dict[tuple[str, str], list[_Item]]] = {}
        self._day_windows: dict[int, list[int]] = {}
        self._last_flush = -1
        self._all_windows: list[int] = []
        #: DUNS -> outage windows [start, end) in sim minutes: nothing is sent to or by it then
        self.outages: dict[str, list[tuple[int, int]]] = {}
        self._n = 0
        self._counts: Counter[str] = Counter()
        self.on_window: Callable[[int], None] | None = None
        #: parties that another market plays (counterparty mode): what goes to them is written
        #: and handed to ``link`` at the window, not delivered here, and they acknowledge it
        self.remote: frozenset[str] = frozenset()
        #: called at every window with what the window delivers (after the latency) and the
        #: 997s it owes, both of which the link may add to before they are due
        self.link: Callable[[int, Deliveries, Acks], None] | None = None
        #: (sender, order) -> what a ``missing`` fault kept from its receiver (see take_lost)
        self._lost: dict[tuple[str, str], list[Message]] = {}

    def take_lost(self, sender: str, order: str) -> list[Message]:
        """The transactions of ``order`` that ``sender`` sent and a ``missing`` fault kept from
        their receivers: what its outbound log shows against the receivers' records (taken
        out, so each is sent again once)."""
        return self._lost.pop((sender, order), []) if self._lost else []

    @property
    def counts(self) -> dict[str, int]:
        """Transactions written so far, by code."""
        return dict(self._counts)

    def count(self, code: str) -> None:
        """Count a transaction written outside a file (a manual, out-of-band one)."""
        self._counts[code] += 1

    def register(self, duns: str, inbox: simpy.Store) -> None:
        """Connect a participant's inbox."""
        self.inboxes[duns] = inbox

    # -- sending ------------------------------------------------------------------------
    def send(self, m: Message) -> None:
        """Queue ``m`` for the first window at or after ``m.ready`` (faults applied)."""
        fault = m.fault
        hold = 0
        copies = 1
        if self.send_faults and not m.detail.endswith(RESENT):
            for f in self.send_faults:
                if not f.matches(self.seed, m, m.sender):
                    continue
                if f.kind == "wrong_total" and (m.code != "810_02" or m.detail == "corrected"):
                    continue
                fault = f.kind
                if f.kind == "missing":
                    self.trace.fault_rows.append(
                        (self.clock.iso(m.ready), "missing", m.sender, m.receiver, m.code, m.esi_id, m.ref)
                    )
                    if m.order_id:  # its sender's outbound log still has it (see take_lost)
                        self._lost.setdefault((m.sender, m.order_id), []).append(m)
                    return
                if f.kind == "wrong_total":
                    m.payload = _wrong_total(m.payload)
                elif f.kind == "late":
                    m.ready += f.delay
                elif f.kind == "duplicate":
                    copies = 2
                else:
                    hold = 1
        window = self._window_at_or_after(max(m.ready, self._last_flush + 1))
        if self.outages and (m.sender in self.outages or m.receiver in self.outages):
            window = self._after_outages(window, m.sender, m.receiver)
        pairs = self._buckets.get(window)
        if pairs is None:
            pairs = self._buckets[window] = {}
        key = (m.sender, m.receiver)
        bucket = pairs.get(key)
        if bucket is None:
            bucket = pairs[key] = []
        for _ in range(copies):
            self._n += 1
            bucket.append((m.ready, self._n, m, fault, hold))

    def send_all(self, msgs: list[Message]) -> None:
        """:meth:`send` each of ``msgs`` in order (one call for a batch, e.g. a read cycle)."""
        if self.send_faults or self.outages:
            for m in msgs:
                self.send(m)
            return
        floor = self._last_flush + 1
        buckets = self._buckets
        by_ready: dict[int, dict[tuple[str, str], list[_Item]]] = {}
        n = self._n
        for m in msgs:
            ready = m.ready
            pairs = by_ready.get(ready)
            if pairs is None:
                window = self._window_at_or_after(ready if ready > floor else floor)
                pairs = buckets.get(window)
                if pairs is None:
                    pairs = buckets[window] = {}
                by_ready[ready] = pairs
            key = (m.sender, m.receiver)
            bucket = pairs.get(key)
            if bucket is None:
                bucket = pairs[key] = []
            n += 1
            bucket.append((ready, n, m, "", 0))
        self._n = n

    def _after_outages(self, window: int, sender: str, receiver: str) -> int:
        """The first delivery window at or after ``window`` outside every outage window of
        ``sender`` and ``receiver``."""
        spans = [*self.outages.get(sender, ()), *self.outages.get(receiver, ())]
        moved = True
        while moved:
            moved = False
            for start, end in spans:
                if start <= window < end:
                    window = self._window_at_or_after(end)
                    moved = True
        return window

    def _windows(self, day: int) -> list[int]:
        got = self._day_windows.get(day)
        if got is None:
            got = self._day_windows[day] = [self.clock.minute_of_day(day, w) for w in self.windows]
        return got

    def _window_at_or_after(self, minute: int) -> int:
        """The first delivery window at or after sim ``minute``."""
        all_windows = self._all_windows
        i = bisect.bisect_left(all_windows, minute)
        if i < len(all_windows) - 1:  # the last one may not be the last of its day's list
            return all_windows[i]
        day = (self.clock.date(minute) - self.clock.start).days
        windows = self._windows(day)
        i = bisect.bisect_left(windows, minute)
        return windows[i] if i < len(windows) else self._windows(day + 1)[0]

    # -- the window process -------------------------------------------------------------
    def run(self, days: int) -> Generator[simpy.Event, None, None]:
        """SimPy process: flush at every delivery window of ``days`` days."""
        # every window of the run and a week after it, for the look-up in send()
        every = [w for day in range(days + 8) for w in self._windows(day)]
        if every == sorted(every):
            self._all_windows = every
        for day in range(days):
            for hhmm in self.windows:
                minute = self.clock.minute_of_day(day, hhmm)
                if minute > self.env.now:
                    yield self.env.timeout(minute - self.env.now)
                self.flush()

    def flush(self) -> None:
        """Send every ready message: one file per sender->receiver, trace rows, delivery."""
        now = int(self.env.now)
        self._last_flush = now
        groups = self._ready_groups(now)
        if self.on_window is not None:
            self.on_window(now)
        if not groups and self.link is None:
            self.trace.write_window()
            return
        local = self.clock.local(now)
        window = _Window(now, local, local.isoformat(), self.clock.iso(now + self.latency),
                         local.strftime("%Y%m%d"), local.strftime("%Y%m%d%H%M"))
        deliveries: Deliveries = {}
        acks: Acks = []
        for (sender, receiver) in sorted(groups):
            rel, msgs, groups_997, isa = self._write_file(sender, receiver, groups[(sender, receiver)], window)
            deliveries.setdefault(receiver, []).append((rel, msgs))
            if groups_997:
                acks.append((receiver, sender, isa, groups_997))
        self.trace.write_window()
        if self.link is not None:
            self.link(now, deliveries, acks)
        ev = self.env.timeout(self.latency)
        ev.callbacks.append(partial(self._deliver, deliveries, acks, now))

    def _ready_groups(self, now: int) -> dict[tuple[str, str], list[_Item]]:
        """The messages that go in the window at ``now``, per (sender, receiver), in order; a
        message held back by an out-of-order fault goes to the next window."""
        pairs = self._buckets.pop(now, None) or {}
        groups: dict[tuple[str, str], list[_Item]] = {}
        held: list[_Item] = []
        for key, items in pairs.items():
            items.sort()  # (ready, sequence number) is unique: the Message is never compared
            if self.send_faults:  # out of order: held back one window, the rest goes
                kept = []
                for item in items:
                    if item[4]:
                        held.append((item[0], item[1], item[2], item[3], item[4] - 1))
                    else:
                        kept.append(item)
                items = kept
            if items:
                groups[key] = items
        if held:
            nxt = self._window_at_or_after(now + 1)
            for item in held:
                m = item[2]
                window = nxt
                if self.outages and (m.sender in self.outages or m.receiver in self.outages):
                    window = self._after_outages(nxt, m.sender, m.receiver)
                self._buckets.setdefault(window, {}).setdefault((m.sender, m.receiver), []).append(item)
        return groups

    def _write_file(self, sender: str, receiver: str, items: list[_Item], window: _Window
                    ) -> tuple[str, list[Message], list[tuple[str, str, list[tuple[str, str]]]], str]:
        """One X12 file from ``sender`` to ``receiver``: rendered, written, its transactions
        traced. Returns its path (relative), its messages, what the receiver's 997s will
        acknowledge (per functional group: ID, control number, (ST01, ST02) of each set) and
        its ISA13."""
        control = self.controls.get(sender)
        if control is None:
            control = self.controls[sender] = ControlNumbers()
        writer = X12Writer(sender, receiver, window.local, control)
        rel = Outbox.name(sender, receiver, window.stamp, writer.isa_control)
        bodies: list[tuple[str, str, int]] = []
        add_body = bodies.append
        msgs: list[Message] = []
        add_msg = msgs.append
        date, now, arrival = window.date, window.now, window.now + self.latency
        for _ready, _n, m, _fault, _hold in items:
            m.received_at = arrival
            m.sent_at = now
            add_msg(m)
            body, nseg = render_text(m, date)
            add_body((m.code[:3], body, nseg))
        ctls = writer.add_texts(bodies)
        self.trace.add_file(msgs, ctls, [item[3] for item in items], rel, window.sent_at, window.received_at)
        self._counts.update(map(_code_of, msgs))
        self.outbox.write(receiver, rel, writer.getvalue())
        groups_997 = [(fid, gctl, writer.members.get(fid, [])) for fid, gctl in writer.group_controls
                      if fid != "FA"]
        return rel, msgs, groups_997, writer.isa_control

    def _deliver(self, deliveries: Deliveries, acks: Acks, sent: int, _event: object = None) -> None:
        arrival = sent + self.latency
        for receiver in sorted(deliveries):
            inbox = self.inboxes.get(receiver)
            batch = [m for _rel, msgs in deliveries[receiver] for m in msgs if m.code != "997"]
            if inbox is not None and batch:
                inbox.put(batch)
        remote = self.remote
        for receiver, sender, isa, groups in acks:
            if receiver in remote:  # the other market's party acknowledges what it receives
                continue
            for group in groups:  # one 997 per functional group received
                self.send(Message("997", receiver, sender, "", f"A{isa}G{group[1]}", isa,
                                  arrival + self.ack_minutes, _acceptance(group)))


_MAKE_ACK = functools.partial(tuple.__new__, TransactionAck)
_ACCEPTED: tuple[tuple[()], str, None, None] = ((), "A", None, None)


def _acceptance(group: tuple[str, str, list[tuple[str, str]]]) -> Payload997:
    """The 997 accepting a functional group: (functional ID, GS06, (ST01, ST02) of each set)."""
    fid, gctl, sets = group
    n = len(sets)
    # every transaction of the market is acknowledged: (ST01, ST02) + accepted, no errors, the
    # named tuples made in C (what TransactionAck(st01, st02) gives)
    acks = tuple(map(_MAKE_ACK, map(operator.add, sets, itertools.repeat(_ACCEPTED))))
    return Payload997(functional_id=fid, group_control=int(gctl), included=n, received=n, accepted=n,
                      transactions=acks)
