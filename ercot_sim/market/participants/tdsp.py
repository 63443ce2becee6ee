"""A TDSP: ESI ID master data, read cycles, scheduling, usage, invoices, switch holds.

What it does, all through the transport:

* answers ERCOT's 814_03 with an 814_04 inside the rule's window (retail business days on its
  own calendar): the scheduled meter read date is the cycle read when it falls within the
  read window around the FASD, else a special read on the FASD (standard switch), the
  requested date (self-selected switch, move-in, backdated move-in), or the transition date
  (mass transition, where a switch hold is removed and reported with ``REF*SH``); a switch or
  move-in on an ESI ID under switch hold is rejected ``SHF``; a backdated move-in (an
  inadvertent gain or a rescission put right) is rejected ``MVO`` when a move-out from its
  date on is scheduled or done, ``LFG`` when another CR has gained the ESI ID since or is
  gaining it; an order due today or backdated is confirmed within the hour and its reads
  follow the 814_04;
* answers 814_24 with 814_25, 814_08 with 814_09, 814_12 with 814_13 (``TDR`` when less than
  the rule's notice), 814_26 with 814_27 + 867_02;
* once a day works the orders due (867_04 for the gaining CR, final 867_03 and 810_02 for the
  losing one, 814_28 when the field work cannot be done: ``T023`` move-out on the day of a
  move-in, ``T024`` competing order, ``T019`` tampering found at a move-out (unless the
  814_24 is a second move-out request, ``REF*TD`` ``2MR``, which is always completed),
  ``T018`` other; an 810_02 of its own for the fee of a
  self-selected switch or a priority move-in, none for a self-selected switch away from the
  POLR inside the mass-transition flag), then reads the day's cycle in one batch
  (867_03 through ERCOT and 810_02 directly to the CR, within the rule's business days);
* switch holds: tampering (814_20 to ERCOT) and deferred-payment holds requested by the REP of
  record with 650_01 SH001 (650_02 answer), removed with SH002/SH003;
* 814_20 create / retire for new and removed premises; a corrected 810_02 after an 824;
* safety-net move-ins, 650 service orders, outage notices and late payments: its collaborator
  :class:`~ercot_sim.market.participants.tdsp_service.FieldService`.
"""

from __future__ import annotations

import datetime as dt

from edi.texas_set.payloads import Payload, Payload814
from ercot_sim.market.codes import ESI_CREATE, ESI_RETIRE, SWITCH_HOLD_CHANGE
from ercot_sim.market.messages import Message, OutOfBand, as814
from ercot_sim.market.participants.base import Context, Participant, ymd
from ercot_sim.market.participants.tdsp_enrollment import Enrollment
from ercot_sim.market.participants.tdsp_reads import MeterReading
from ercot_sim.market.participants.tdsp_records import TEsi, TOrder
from ercot_sim.market.participants.tdsp_service import FieldService

__all__ = ["Tdsp"]

_GAINS = ("SW", "SSW", "MVI", "PMI", "TS", "AQ")


class Tdsp(Participant):
    """A TDSP.

    Args:
        ctx: run context.
        name, duns: the TDSP.
        calendar: its holiday calendar name.
        cycles: number of read cycles a month.
        conditions: field conditions per ESI ID, consumed by the next move-in / move-out:
            ``("permit", days)`` or ``("unexecutable", 0)``.
    """

    def __init__(self, ctx: Context, name: str, duns: str, calendar: str, cycles: int,
                 conditions: dict[str, list[tuple[str, int]]]) -> None:
        super().__init__(ctx, name, duns)
        self.cal = calendar
        self.ncycles = cycles
        self.esi: dict[str, TEsi] = {}
        self.cycle_members: list[list[str]] = [[] for _ in range(cycles + 1)]
        self.by_ref: dict[str, TOrder] = {}
        self.by_date: dict[dt.date, list[TOrder]] = {}
        self.conditions = conditions
        self.ran: dt.date | None = None  # day of the last field run
        self._unknown: dict[str, int] = {}
        self._cycle_before: dict[tuple[int, dt.date], dt.date] = {}  # (cycle, day) -> last read before it
        #: its 814_20 retirements waiting for ERCOT's 814_21: reference -> ESI ID
        self.retiring: dict[str, str] = {}
        #: cycle reads, order reads, invoice due dates
        self.reads = MeterReading(self)
        #: safety nets, service orders, outage notices, remittances
        self.service = FieldService(self)
        #: the answers to ERCOT's enrollment requests (814_03, 814_24, 814_08, 814_12, 814_26)
        self.enrollment = Enrollment(self)
        self.handle(self.reads)
        self.handle(self.service)
        self.handle(self.enrollment)

    def add_premise(self, esi: str, cycle: int, rep: str, first_day: dt.date) -> None:
        """Master data of one ESI ID (population set-up or 814_20 create). Its meter was last
        read on its cycle's read day before ``first_day``, where its first usage period in the
        run starts: its first cycle read is a cycle-to-cycle month."""
        key = (cycle, first_day)
        last = self._cycle_before.get(key)
        if last is None:
            last = self._cycle_before[key] = self.clock.last_cycle_read(first_day, cycle, self.cal)
        self.esi[esi] = TEsi(cycle, rep, last)
        self.cycle_members[cycle].append(esi)

    # -- helpers --------------------------------------------------------------------------------
    def ref_for(self, esi: str) -> str:
        e = self.esi.get(esi)
        if e is None:  # not one of its ESI IDs: still a unique reference
            n = self._unknown.get(esi, 0) + 1
            self._unknown[esi] = n
            return f"T{esi}X{n:03d}"
        e.n += 1
        return f"T{esi}{e.n:04d}"

    def answer_time_for(self, m: Message, soon: bool = False) -> int:
        """Answer time for what ERCOT sent: inside rule B6 (priority move-ins, and with ``soon``
        an order due today or backdated, within the hour), and never before an earlier answer
        for the same ESI ID (a TDSP works in order)."""
        if soon or (m.code == "814_03" and as814(m).priority):
            t = int(self.env.now) + 30 + int(self.u("prio", m.ref) * 60)
        else:
            t = self.answer_time(int(self.env.now), "B6-tdsp-814_04", self.cal, self.timing.tdsp_response_bd,
                                 m.ref, m.code, trigger=m.sent_at)
        e = self.esi.get(m.esi_id)
        if e is not None:
            t = max(t, e.answered)
            e.answered = t
        return t

    def invoice_due(self, sent: dt.date) -> dt.date:
        """The due date of an invoice this TDSP sends on ``sent``."""
        return self.reads.invoice_due(sent)

    def reply(self, m: Message, code: str, ready: int, payload: Payload, detail: str = "") -> None:
        """Answer ERCOT's ``m`` with ``payload``."""
        self.send(code, self.ctx.ercot, m.esi_id, self.ref_for(m.esi_id), m.ref, ready, payload, m.order_id, detail)

    def reject_request(self, m: Message, code: str, reject: str, reason: str) -> None:
        answer = Payload814(tdsp=self.party(self.duns), cr=as814(m).cr, action="reject", reject_code=reject,
                            reject_text=reason)
        self.reply(m, code, self.answer_time_for(m), answer, f"reject {reject}")

    def schedule(self, o: TOrder) -> None:
        self.by_ref[o.ref] = o
        if o.kind in _GAINS or o.kind == "MO":
            e = self.esi[o.esi_id]
            if e.orders is None:
                e.orders = []
            e.orders.append(o)
        if o.date <= self.today() and self.ran == self.today():
            # today's field run is over: same-day and backdated orders are worked right away
            self.at(int(self.env.now) + 60, self._work_late, o)
        else:
            self.by_date.setdefault(o.date, []).append(o)

    def _work_late(self, o: TOrder) -> None:
        if not o.cancelled and not o.done:
            self._work(o)

    def condition(self, esi: str) -> tuple[str, int] | None:
        conds = self.conditions.get(esi)
        if conds:
            return conds.pop(0)
        return None

    def on_814_21(self, m: Message) -> None:
        """ERCOT's answer to an 814_20: a retirement takes effect when accepted."""
        retiring = self.retiring.pop(m.orig_ref, None)  # the 814_21 answers its 814_20
        if retiring is not None and as814(m).action != "reject":
            e = self.esi.get(retiring)
            if e is not None:
                e.active = False

    # -- agenda: events and the daily run ----------------------------------------------------------
    def switch_hold(self, esi: str) -> None:
        """Tampering found: hold placed the same day, reported to ERCOT with an 814_20."""
        e = self.esi.get(esi)
        if e is None:
            return
        e.hold = "T"
        self._maintain(esi, SWITCH_HOLD_CHANGE, "hold tampering", hold=True)

    def create(self, esi: str, cycle: int) -> None:
        """New construction: master data and an 814_20 create."""
        self.add_premise(esi, cycle, "", self.today())
        self._maintain(esi, ESI_CREATE, "create")

    def retire(self, esi: str) -> None:
        """Premise removed: an 814_20 retire."""
        if esi in self.esi:
            self._maintain(esi, ESI_RETIRE, "retire")

    def _maintain(self, esi: str, reason: str, detail: str, hold: bool | None = None) -> None:
        """An 814_20 to ERCOT, an hour from now: ESI ID ``reason`` (REF*TD), effective today."""
        ready = int(self.env.now) + 60
        self.maintain(esi, reason, ready, detail, hold)

    def maintain(self, esi: str, reason: str, ready: int, detail: str, hold: bool | None = None) -> None:
        """An 814_20 to ERCOT at ``ready``: ESI ID ``reason`` (REF*TD), effective today (DTM*007:
        the day the TDSP made the change, which a retail outage may hold back from ERCOT)."""
        ref = self.ref_for(esi)
        if reason == ESI_RETIRE:
            self.retiring[ref] = esi
        self.send("814_20", self.ctx.ercot, esi, ref, "", ready,
                  Payload814(tdsp=self.party(self.duns), maintenance_reason=reason, switch_hold=hold,
                             effective_date=self.today()), detail=detail)

    def daily(self) -> None:
        """The day's field work: orders due (gains before move-outs), then the read cycle."""
        today = self.today()
        self.ran = today
        for day in sorted(d for d in self.by_date if d <= today):
            orders = self.by_date.pop(day)
            orders.sort(key=lambda o: (o.kind == "MO", o.esi_id, o.ref))
            for o in orders:
                if not o.cancelled and not o.done and o.date == day:
                    self._work(o)
        k = self.clock.business_day_index(today, self.cal)
        if not k:
            return
        cycles = [k]
        nxt = self.clock.add_business_days(today, 1, self.cal)
        if nxt.month != today.month:  # last business day: read the cycles the month has no day for
            cycles += list(range(k + 1, self.ncycles + 1))
        for c in cycles:
            if c <= self.ncycles:
                self.reads.read_cycle(today, self.cycle_members[c])

    def _work(self, o: TOrder) -> None:
        e = self.esi[o.esi_id]
        o.done = True
        if o.kind in ("DNP", "RNP"):
            self.service.service_done(o)
            return
        cond = self.condition(o.esi_id) if o.kind in ("MVI", "PMI", "MO") and not o.safety else None
        fake = Message("", self.ctx.ercot, self.duns, o.esi_id, o.ref, "", 0, OutOfBand(cr=o.cr, tdsp=self.duns),
                       o.order_id)
        # an 814_28 goes two hours after the field work, and after any answer about the ESI ID
        # still waiting to go (a TDSP answers in order: the 814_25 before the 814_28)
        unexec_at = max(int(self.env.now) + 120, e.answered)
        if cond is not None and cond[0] == "unexecutable":
            self._unexecutable(fake, o, e, unexec_at, "T018", "FIELD WORK NOT POSSIBLE")
            return
        if e.since is not None and o.date < e.since:  # a later order was already worked
            self._unexecutable(fake, o, e, unexec_at, "T024", "COMPETING ORDER COMPLETED")
            return
        if o.kind == "MO":
            if e.last_gain == o.date:
                self._unexecutable(fake, o, e, unexec_at, "T023", "MOVE IN SCHEDULED SAME DATE")
            elif e.rep != o.cr:
                self._unexecutable(fake, o, e, unexec_at, "T024", "COMPETING ORDER COMPLETED")
            elif e.hold == "T" and not o.second:  # tampering found at the premise [RMG 7.16.1]
                self._unexecutable(fake, o, e, unexec_at, "T019", "TAMPERING FOUND")
            else:
                self.reads.usage(o.esi_id, e, o.cr, e.last_read, o.date, True, o.ref, o.order_id)
                o.worked = True
                self.book(o.esi_id, "rep", e.rep, "", ymd(o.date), o.ref)
                e.rep = ""
                e.last_read = max(e.last_read, o.date)
                e.since = o.date
            return
        if o.safety:  # energized from the safety net: the reads wait for the matching 814_03
            o.held = (e.rep, e.last_read)
        else:
            self.reads.gain_reads(o, e.rep, e.last_read, e.answered + 1)  # the reads after the 814_04
        self.reads.fee_invoice(o, e)
        o.worked = True
        if e.rep != o.cr:
            self.book(o.esi_id, "rep", e.rep, o.cr, ymd(o.date), o.ref)
        e.rep = o.cr
        e.last_read = max(e.last_read, o.date)
        e.last_gain = o.date
        e.since = o.date

    def _unexecutable(self, fake: Message, o: TOrder, e: TEsi, at: int, code: str, text: str) -> None:
        """An 814_28: the order ``o`` cannot be worked (``code``, REF*G7)."""
        e.answered = at
        answer = Payload814(tdsp=self.party(self.duns), cr=self.party(o.cr), unexecutable_code=code,
                            unexecutable_text=text)
        self.reply(fake, "814_28", at, answer, f"unexecutable {code}")
