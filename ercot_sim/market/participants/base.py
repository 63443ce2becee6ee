"""What every participant shares: an inbox process, an agenda, sending, and market timing.

A participant is a SimPy process that waits on its inbox (a ``simpy.Store`` that receives one
batch per delivered window) and handles each message with ``on_<code>`` (``on_814_03``).
Work planned for a moment (a CR's customer event, a TDSP's daily read run) goes on the
agenda: one SimPy timeout per distinct minute, whatever the number of items, so events
scale with batches. Participants only ever talk through :meth:`Participant.send`.

:class:`MarketTiming` holds the deadlines participants work to; the engine builds it from
the timing rule set, so editing the rules changes how the market behaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import simpy

from edi.texas_set.payloads import Party, Payload
from edi.texas_set.types import format_date
from ercot_sim.market.messages import RESENT, Message, check_payload
from ercot_sim.market.simtime import Clock
from ercot_sim.scenario.population import Draws

__all__ = ["Context", "MarketTiming", "Participant", "ParticipantDesk", "ymd"]


#: CCYYMMDD of a date, for trace details: the renderer's (one cache of date texts)
ymd = format_date


@dataclass(frozen=True)
class MarketTiming:
    """Deadlines and lead times the participants work to (from the timing rules).

    Each attribute names the rule it comes from (ids of ``ercot_sim/timing/rules.toml``,
    sections of timing-rules.md in brackets).
    """

    fasd_business_days: int = 3  # FASD = receipt + 3 BD [C3]
    read_window_days: int = 3  # cycle read used if within +-3 days of FASD [C4]
    special_read_days: int = 4  # else a special read within FASD..FASD+4 [C4]
    loss_notice_switch_bd: int = 5  # 814_06 5 BD before the SMRD for a switch [B7]
    loss_notice_move_in_bd: int = 2  # 2 BD before for a move-in [B7]
    ercot_forward_minutes: int = 30  # 814_01 -> 814_03 etc. [B5, G]
    ercot_priority_minutes: int = 15  # priority move-in within 2 retail business hours [B4]
    tdsp_response_bd: int = 2  # 814_04 within 2 retail business days [B6]
    usage_after_read_bd: int = 3  # 867_03 / 810_02 within 3 BD after the read [E4, E5, E6]
    invoice_validation_hours: int = 48  # 824 within 48 h [E7]
    payment_days: int = 35  # 820_02 due 35 calendar days after transmittal [E8]
    future_days: int = 90  # date reasonableness [B2]
    past_days: int = 270  # date reasonableness [B2]
    date_change_notice_bd: int = 2  # TDR when less notice [C9]
    ack_hours: int = 24  # 997 within 24 h [B1]
    polr_flag_days: int = 60  # no out-of-cycle fee switching away from the POLR [C6]
    rescission_days: int = 3  # customer rescission: 3 federal business days [C1]
    sources: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class Context:
    """What the engine gives every participant: environment, clock, transport, directory."""

    env: simpy.Environment
    clock: Clock
    timing: MarketTiming
    send: Callable[[Message], None]
    seed: int
    names: dict[str, str]  # DUNS -> name
    duns: dict[str, str]  # name -> DUNS
    tdsp_calendar: dict[str, str]  # TDSP DUNS -> calendar name
    ercot: str  # ERCOT DUNS
    horizon: int  # last sim minute of the run
    order_log: Callable[..., None] | None = None
    #: a fault acting where a participant receives (``rejected``): (minute, kind, the message)
    fault_log: Callable[[int, str, Message], None] | None = None
    #: a change of a participant's own view (its system of record, the trace's ``books``):
    #: (party, ESI ID, minute, field, old value, new value, effective date, reference)
    book_log: Callable[[str, str, int, str, str, str, str, str], None] | None = None
    rules: Any = None  # MarketRules: deadlines of the rule set as sim minutes
    reject_faults: list[Any] = field(default_factory=list)
    esi_faults: list[Any] = field(default_factory=list)
    #: out-of-band work between participants (a safety-net e-mail): a trace row, no X12
    manual: Callable[[Message], None] = field(default=lambda m: _no_channel(m))
    #: ``send`` for a list of messages, in order (the batch form for read cycles)
    send_all: Callable[[list[Message]], None] | None = None
    #: DUNS -> the N1 party payloads name (one shared tuple per participant)
    parties: dict[str, Party] = field(default_factory=dict)
    #: a participant's outbound log of an order, against what its receivers got: (sender,
    #: order) -> the transactions it sent that never arrived, taken out of the log
    outbound_lost: Callable[[str, str], list[Message]] = field(default=lambda sender, order: [])
    #: the parties another market plays (counterparty mode): out-of-band work does not reach them
    remote: frozenset[str] = frozenset()

    def party(self, duns: str) -> Party | None:
        """The party of ``duns`` as payloads carry it (None for ''; a DUNS the market does
        not know is named ``UNKNOWN``)."""
        if not duns:
            return None
        got = self.parties.get(duns)
        if got is None:
            got = self.parties[duns] = Party(self.names.get(duns, "UNKNOWN"), duns)
        return got


def _no_channel(m: Message) -> None:
    raise RuntimeError(f"no out-of-band channel is wired for {m.code}")


class ParticipantDesk(Protocol):
    """What every collaborator may use of its participant (:class:`Participant` has it all):
    identity, clock and agenda, draws, sending, and the answer-time helpers. Each
    collaborator's own desk protocol adds what it needs of its kind of participant."""

    duns: str
    env: simpy.Environment
    clock: Clock
    timing: MarketTiming
    ctx: Context
    u: Draws

    def send(self, code: str, to: str, esi_id: str, ref: str, orig_ref: str, ready: int, payload: Payload,
             order_id: str = "", detail: str = "", fault: str = "") -> Message: ...

    def party(self, duns: str) -> Party | None: ...

    def at(self, minute: int, fn: Callable[..., None], *args: Any) -> None: ...

    def today(self) -> dt.date: ...

    def rejects(self, m: Message) -> bool: ...

    def book(self, esi: str, field: str, old: str, new: str, since: str, ref: str) -> None: ...

    def answer_time(self, received: int, rule_id: str, calendar: str, fallback_bd: int, *key: object,
                    trigger: int | None = None) -> int: ...

    def within_business_days(self, received: int, bdays: int, calendar: str, *key: object) -> int: ...

    def reopening(self, t: int, calendar: str) -> int | None: ...

    def resend_lost(self, order: str) -> list[str]: ...


class Participant:
    """Base of ERCOT, TDSPs and CRs.

    Args:
        ctx: the run context.
        name: participant name (``ONCOR``).
        duns: its DUNS.
    """

    def __init__(self, ctx: Context, name: str, duns: str) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.clock = ctx.clock
        self.timing = ctx.timing
        self.name = name
        self.duns = duns
        self.inbox = simpy.Store(ctx.env)
        self._agenda: dict[int, list[tuple[Callable[..., None], tuple[Any, ...]]]] = {}
        self.handled = 0
        #: played by another market (counterparty mode): it plans nothing here
        self.remote = False
        self.u = Draws(ctx.seed, name)  # deterministic draws: self.u(*key) in [0, 1)
        self._reopen: dict[tuple[int, str], int | None] = {}  # see answer_time
        #: what this participant does with each code it receives (``on_<code>``) and each
        #: out-of-band message (``manual_<kind>``): its own methods and its collaborators'
        self.handlers: dict[str, Callable[[Message], None]] = {}
        self.manual_handlers: dict[str, Callable[[Message], None]] = {}
        self.handle(self)
        self.env.process(self._loop())

    def handle(self, owner: object) -> None:
        """Add the ``on_<code>`` and ``manual_<kind>`` methods of ``owner`` (this participant or
        a collaborator) to the dispatch tables; a code handled twice is a wiring error."""
        for name in dir(type(owner)):
            for prefix, table in (("on_", self.handlers), ("manual_", self.manual_handlers)):
                if name.startswith(prefix):
                    key = name[len(prefix):] if prefix == "on_" else name[len(prefix):].replace("_", "-")
                    if key in table:
                        raise TypeError(f"{self.name}: {prefix}{key} is handled twice")
                    table[key] = getattr(owner, name)

    def _loop(self):
        while True:
            batch = yield self.inbox.get()
            self.receive(batch)

    def receive(self, batch: list[Message]) -> None:
        """Handle one delivered batch, message by message."""
        handlers = self.handlers
        self.handled += len(batch)
        for m in batch:
            handlers[m.code](m)

    # -- agenda ---------------------------------------------------------------------------
    def at(self, minute: int, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` at sim ``minute`` (now, if it is in the past); nothing for a
        participant another market plays."""
        if self.remote:
            return
        now = int(self.env.now)
        minute = max(minute, now)
        items = self._agenda.get(minute)
        if items is None:
            items = self._agenda[minute] = []
            ev = self.env.timeout(minute - now)
            ev.callbacks.append(partial(self._fire, minute))
        items.append((fn, args))

    def _fire(self, minute: int, _event: object = None) -> None:
        items = self._agenda[minute]
        i = 0
        while i < len(items):  # items may be added for this very minute while firing
            fn, args = items[i]
            fn(*args)
            i += 1
        del self._agenda[minute]

    # -- sending --------------------------------------------------------------------------
    def send(self, code: str, to: str, esi_id: str, ref: str, orig_ref: str, ready: int, payload: Payload,
             order_id: str = "", detail: str = "", fault: str = "") -> Message:
        """Hand a transaction to the transport; it goes at the first window after ``ready``
        (``fault``: a named fault planted in it here, for the trace).

        Raises:
            TypeError: ``code`` cannot carry ``payload`` as it is
                (:func:`~ercot_sim.market.messages.check_payload`).
        """
        check_payload(code, payload)
        m = Message(code, self.duns, to, esi_id, ref, orig_ref, max(ready, int(self.env.now)), payload,
                    order_id, detail, fault=fault)
        self.ctx.send(m)
        return m

    def resend_lost(self, order: str) -> list[str]:
        """Send again, as they were, the transactions of ``order`` this participant sent that
        never reached their receiver (a MarkeTrak Missing Enrollment Transaction's remedy: the
        party that owes a transaction sends it again from its outbound log). Returns their codes."""
        now = int(self.env.now)
        lost = self.ctx.outbound_lost(self.duns, order)
        for m in lost:
            self.ctx.send(Message(m.code, m.sender, m.receiver, m.esi_id, m.ref, m.orig_ref, now, m.payload,
                                  m.order_id, (m.detail + " " + RESENT).lstrip()))
        return [m.code for m in lost]

    def party(self, duns: str) -> Party | None:
        """The N1 party of ``duns`` for a payload (None for '')."""
        return self.ctx.party(duns)

    def book(self, esi: str, field: str, old: str, new: str, since: str, ref: str) -> None:
        """Note a change of this participant's own view of ``esi`` (its system of record)."""
        log = self.ctx.book_log
        if log is not None:
            log(self.duns, esi, int(self.env.now), field, old, new, since, ref)

    def rejects(self, m: Message) -> bool:
        """Does a scenario fault make this participant reject ``m``?"""
        faults = self.ctx.reject_faults
        hit = bool(faults) and any(f.matches(self.ctx.seed, m, self.duns) for f in faults)
        if hit and self.ctx.fault_log is not None:
            self.ctx.fault_log(int(self.env.now), "rejected", m)
        return hit

    # -- timing helpers -------------------------------------------------------------------
    def today(self) -> dt.date:
        """Local date now."""
        return self.clock.date(int(self.env.now))

    def answer_time(self, received: int, rule_id: str, calendar: str, fallback_bd: int, *key: object,
                    trigger: int | None = None) -> int:
        """When a participant that keeps to rule ``rule_id`` answers a trigger received at
        ``received``: inside business hours where possible, never after the rule's deadline.

        The deadline counts from ``trigger`` (default ``received``): for a transaction, the
        time it was sent, which is what its file shows and what the checker sees.
        """
        rules = self.ctx.rules
        start = received if trigger is None or trigger < 0 else min(trigger, received)
        due = rules.due(rule_id, start, calendar) if rules is not None else None
        if due is None:
            return self.within_business_days(received, fallback_bd, calendar, *key)
        lo = received + 15
        if due <= lo:
            return max(received, due)
        t = lo + int(self.u("ans", *key) * (due - lo) * 0.6)
        reopen = self._reopen.get((t // 60, calendar), -1)
        if reopen == -1:
            reopen = self.reopening(t, calendar)
        if reopen is not None:
            opening = reopen + int(self.u("open", *key) * 120)
            if opening <= due:
                t = opening
        return t

    def reopening(self, t: int, calendar: str) -> int | None:
        """None when sim minute ``t`` is inside business hours on ``calendar``, else the
        minute business hours open next (:meth:`~ercot_sim.market.simtime.Clock.next_opening`)."""
        # Local hours start every 60 sim minutes (sim minute 0 is local midnight, DST moves
        # clocks by whole hours), so the answer is the same for the whole sim hour: looked up
        # once per hour and calendar (self._reopen, read directly by hot loops).
        hour = (t // 60, calendar)
        reopen = self._reopen.get(hour, -1)
        if reopen == -1:
            reopen = self._reopen[hour] = self.clock.next_opening(t, calendar)
        return reopen

    def within_business_days(self, received: int, bdays: int, calendar: str, *key: object) -> int:
        """A sim minute inside business hours, no later than ``bdays`` business days after
        ``received`` (the answer time of a participant that meets the rule)."""
        day = self.clock.date(received)
        span = max(bdays, 1)
        k = int(self.u("bd", *key) * span)
        if k == 0 and not self.clock.is_business_day(day, calendar):
            k = 1
        target = self.clock.roll(day, calendar) if k == 0 else self.clock.add_business_days(day, k, calendar)
        minute = self.clock.minute(target, "08:00") + int(self.u("bh", *key) * 8 * 60)
        if minute <= received:
            minute = received + 15 + int(self.u("q", *key) * 45)
        return minute
