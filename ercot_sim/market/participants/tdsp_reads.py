"""A TDSP's meter reading and invoicing: the monthly cycle reads (867_03 to ERCOT, 810_02 to
the REP of record), the reads of a gain (867_04, the old REP's final 867_03 and 810_02), the
fee invoices of an order worked, the corrected invoice after an 824, and the invoice's due date.
It keeps its invoice records (:attr:`MeterReading.invoices`): an 824 names the invoice it
rejects, an 820 the invoice it pays, and the TDSP looks up what it billed and when it sent it.

A collaborator of :class:`~ercot_sim.market.participants.tdsp.Tdsp` that reaches the TDSP only
through :class:`ReadingDesk`. A cycle is read in one batch (:meth:`MeterReading.read_cycle`:
the rule's deadline and the draws' keys worked out once per cycle, the messages handed to the
transport in one call); :meth:`MeterReading.usage` is the same for one ESI ID, the reference
the batch is tested against byte for byte (``MeterReading.batch_reads = False``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from edi.texas_set.payloads import MeterRead, Party, Payload810, Payload867, UsagePeriod
from ercot_sim.market.messages import Message, as810, as814, out_of_band
from ercot_sim.market.participants.base import ymd
from ercot_sim.market.participants.tdsp_records import TdspCore, TEsi, TOrder
from ercot_sim.market.tariff import delivery_charges, fee_charges, penny_charges

__all__ = ["FEE_OF", "MeterReading", "ReadingDesk", "usage_payloads"]

#: order kind -> the fee (SAC04, see ercot_sim.market.tariff) the gaining CR is billed
FEE_OF = {"SSW": "MSC001", "PMI": "MSC002"}


def usage_payloads(esi: str, tdsp: Party | None, cr: Party | None, start: dt.date, end: dt.date, kwh: int,
                   final: bool, due: dt.date) -> tuple[Payload867, Payload810]:
    """The 867_03 and 810_02 of one read period of ``esi``: its meter (``M`` and the ESI ID's
    last nine digits) reads on from a register that starts at seven times its last four digits;
    the invoice bills the delivery charges of ``kwh`` (ercot_sim.market.tariff), due ``due``."""
    begin = int(esi[-4:]) * 7
    # every field given: the tuples are made directly (what UsagePeriod(...) does, 3 x faster)
    period = (_new(UsagePeriod, (start, end, kwh, False)),)
    meter = (_new(MeterRead, (start, begin + kwh, f"M{esi[-9:]}", end, begin, kwh, False, "KHMON")),)
    return (Payload867(final=final, tdsp=tdsp, cr=cr, periods=period, meters=meter),
            Payload810(due_date=due, period_start=start, period_end=end, charges=delivery_charges(kwh),
                       tdsp=tdsp, cr=cr))


_new = tuple.__new__


class ReadingDesk(TdspCore, Protocol):
    """What meter reading uses of its TDSP: :class:`~.tdsp_records.TdspCore` (identity,
    calendar, clock, draws, master data, references, answers to ERCOT, answer times)."""


class MeterReading:
    """Cycle reads, order reads and invoice due dates of one TDSP (see the module docstring)."""

    #: read a cycle in one batch; False reads it ESI ID by ESI ID through :meth:`usage`
    batch_reads = True

    def __init__(self, desk: ReadingDesk) -> None:
        self.desk = desk
        #: invoice send date -> its due date: the same for every invoice of a day
        self._due: dict[dt.date, dt.date] = {}
        #: its invoice records: invoice number -> the 810_02 sent (what it billed; when it went:
        #: ``sent_at``), until it is paid or rejected
        self.invoices: dict[str, Message] = {}

    def invoice_due_date(self, sent: dt.date) -> dt.date:
        """The due date of an invoice sent on ``sent``: the market's payment days later (E8),
        rolled to the TDSP's next business day. The one place this is worked out."""
        desk = self.desk
        return desk.clock.roll(desk.clock.plus_days(sent, desk.timing.payment_days), desk.cal)

    def invoice_due(self, sent: dt.date) -> dt.date:
        """:meth:`invoice_due_date`, worked out once per send day."""
        due = self._due.get(sent)
        if due is None:
            due = self._due[sent] = self.invoice_due_date(sent)
        return due

    def invoice(self, to: str, esi: str, ref: str, usage_ref: str, ready: int, payload: Payload810,
                order_id: str = "", detail: str = "") -> Message:
        """Send an 810_02 and keep it in the invoice records."""
        m = self.desk.send("810_02", to, esi, ref, usage_ref, ready, payload, order_id, detail)
        self.invoices[ref] = m
        return m


    def usage_time(self, read_day: dt.date, rule_id: str, *key: object) -> int:
        """Send time of usage / invoice for a read: inside rule E5 (monthly) or E6 (switch read)."""
        desk = self.desk
        read = desk.clock.minute(read_day, "06:00")
        start = max(read, int(desk.env.now))
        return desk.answer_time(start, rule_id, desk.cal, desk.timing.usage_after_read_bd, *key, trigger=read)

    def kwh(self, esi: str, start: dt.date, end: dt.date) -> int:
        return int((300 + self.desk.u("kwh", esi, end) * 1500) * max(self.desk.clock.days_between(start, end), 1) / 30)

    def usage(self, esi: str, e: TEsi, cr: str, start: dt.date, end: dt.date, final: bool, orig: str,
              order_id: str = "") -> None:
        """One ESI ID's 867_03 to ERCOT and 810_02 to ``cr`` for the period ``start``..``end``."""
        desk = self.desk
        start = min(start, end)  # a backdated read ends before the last cycle read
        kwh = self.kwh(esi, start, end)
        ref = desk.ref_for(esi)
        ready = self.usage_time(end, "E6-tdsp-867_04" if final else "E5-tdsp-867_03", esi, ref)
        now = int(desk.env.now)
        if ready < now:
            ready = now
        detail = "final" if final else "monthly"
        usage, invoice = usage_payloads(esi, desk.party(desk.duns), desk.party(cr), start, end, kwh, final,
                                             self.invoice_due(desk.clock.date(ready)))
        desk.send("867_03", desk.ctx.ercot, esi, ref, orig, ready, usage, order_id, detail)
        self.invoice(cr, esi, desk.ref_for(esi), ref, ready, invoice, order_id, detail)

    def fee_invoice(self, o: TOrder, e: TEsi) -> None:
        """The fee of a gain worked (before the REP of record changes to ``o.cr``), billed to
        the gaining CR on an 810_02 of its own: the out-of-cycle read of a self-selected switch,
        a priority move-in. A mass transition flags the ESI ID for the POLR's first days [C6]:
        a self-selected switch away from the POLR on a date inside them pays no read fee."""
        if o.kind == "TS":
            e.polr_rep = o.cr
            e.polr_until = self.desk.clock.plus_days(o.date, self.desk.timing.polr_flag_days)
            return
        fee = FEE_OF.get(o.kind)
        if fee is None:
            return
        if o.kind == "SSW" and e.polr_until is not None and e.rep == e.polr_rep and o.date <= e.polr_until:
            return
        now = int(self.desk.env.now)
        ready = max(now, self.desk.answer_time(now, "E4-tdsp-810_02", self.desk.cal, 1, o.ref, "fee"))
        invoice = Payload810(due_date=self.invoice_due(self.desk.clock.date(ready)), period_start=o.date,
                             period_end=o.date, charges=fee_charges(fee), tdsp=self.desk.party(self.desk.duns),
                             cr=self.desk.party(o.cr))
        self.invoice(o.cr, o.esi_id, self.desk.ref_for(o.esi_id), "", ready, invoice, o.order_id, f"fee {fee}")

    def manual_marketrak_usage_missing(self, m: Message) -> None:
        """A Usage & Billing - Missing issue of the REP of record: within a business day the TDSP
        takes it in hand (In Progress) and sends the 867_03 of the ESI ID's last read period again
        (from the cycle read before its last read, or the gain since, to its last read). From a
        CR that is not the REP of record in its records, the issue is Unexecutable."""
        e = self.desk.esi.get(m.esi_id)
        cr = out_of_band(m).cr
        at = self.desk.within_business_days(int(self.desk.env.now), 1, self.desk.cal, m.ref, "usage")
        if e is None or e.rep != cr:  # not the REP of record here: nothing to send it
            self.desk.at(at, self.desk.ctx.manual, Message(
                "marketrak-unexecutable", self.desk.duns, cr, m.esi_id, "X" + m.ref[1:], m.ref, at, m.payload, "",
                "not the REP of record"))
            return
        self.desk.at(at, self._resend_usage, m, e, cr)

    def _resend_usage(self, m: Message, e: TEsi, cr: str) -> None:
        desk = self.desk
        now = int(desk.env.now)
        desk.ctx.manual(Message("marketrak-in-progress", desk.duns, cr, m.esi_id, "W" + m.ref[1:], m.ref, now,
                                m.payload, "", "TDSP works it"))
        end = e.last_read
        start = desk.clock.last_cycle_read(end, e.cycle, desk.cal)
        if e.since is not None and start < e.since < end:
            start = e.since
        usage, _invoice = usage_payloads(m.esi_id, desk.party(desk.duns), desk.party(cr), start, end,
                                         self.kwh(m.esi_id, start, end), False, self.invoice_due(desk.today()))
        desk.send("867_03", desk.ctx.ercot, m.esi_id, desk.ref_for(m.esi_id), "", now, usage, "",
                  f"resent for {m.ref}")

    def penny_invoice(self, esi: str, cr: str) -> None:
        """A flight's penny test: a one-cent 810_02 to ``cr`` for ``esi``, due the next
        business day, so that the CR's 820_02 proves the payment path before the tracks start."""
        desk = self.desk
        now = int(desk.env.now)
        today = desk.clock.date(now)
        due = desk.clock.roll(desk.clock.plus_days(today, 1), desk.cal)
        invoice = Payload810(due_date=due, period_start=today, period_end=today, charges=penny_charges(),
                             tdsp=desk.party(desk.duns), cr=desk.party(cr))
        self.invoice(cr, esi, desk.ref_for(esi), "", now, invoice, detail="penny test")

    def gain_reads(self, o: TOrder, old: str, last_read: dt.date, not_before: int = 0) -> None:
        """The reads of a gain: 867_04 for the gaining CR, final 867_03 + 810_02 for the old REP."""
        e = self.desk.esi[o.esi_id]
        kwh = int(self.desk.u("meter", o.esi_id, o.date) * 90000)
        ref = self.desk.ref_for(o.esi_id)
        ready = max(self.usage_time(o.date, "E6-tdsp-867_04", o.esi_id, ref), not_before)
        read = Payload867(esi_id_in_ref03=True, tdsp=self.desk.party(self.desk.duns), cr=self.desk.party(o.cr),
                          meters=(MeterRead(o.date, kwh, f"M{o.esi_id[-9:]}"),))
        self.desk.send("867_04", self.desk.ctx.ercot, o.esi_id, ref, o.ref, ready, read, o.order_id,
                       f"read {ymd(o.date)}")
        if old and old != o.cr:
            self.usage(o.esi_id, e, old, last_read, o.date, True, o.ref, o.order_id)
    def on_824(self, m: Message) -> None:
        """A CR rejected an invoice: send a corrected 810_02 (new invoice number)."""
        e = self.desk.esi.get(m.esi_id)
        if e is None:
            return
        rejected = self.invoices.pop(m.orig_ref, None)  # the 824 names the invoice it rejects
        if rejected is None:
            return
        was = as810(rejected)
        ready = self.desk.answer_time(int(self.desk.env.now), "E4-tdsp-810_02", self.desk.cal, 1, m.ref,
                                      trigger=m.sent_at)
        invoice = Payload810(due_date=self.invoice_due(self.desk.clock.date(ready)), period_start=was.period_start,
                             period_end=was.period_end, charges=was.charges, tdsp=was.tdsp, cr=was.cr)
        self.invoice(m.sender, m.esi_id, self.desk.ref_for(m.esi_id), rejected.orig_ref, ready, invoice,
                     detail="corrected")


    def history(self, m: Message, ready: int) -> None:
        """The 867_02: the ESI ID's last 12 read periods, newest first, from cycle read to cycle
        read of its read cycle, the newest ending at the last read day of the cycle before
        today (where its next monthly period starts when the run has not read it yet)."""
        cycle, cal, last_read = self.desk.esi[m.esi_id].cycle, self.desk.cal, self.desk.clock.last_cycle_read
        end = last_read(self.desk.today(), cycle, cal)
        periods = []
        for _ in range(12):
            start = last_read(end, cycle, cal)
            kwh = int((300 + self.desk.u("hist", m.esi_id, start) * 1500)
                      * self.desk.clock.days_between(start, end) / 30)
            periods.append(UsagePeriod(start, end, kwh))
            end = start
        usage = Payload867(tdsp=self.desk.party(self.desk.duns), cr=as814(m).cr, periods=tuple(periods))
        self.desk.reply(m, "867_02", ready, usage, "12 months")

    def read_cycle(self, today: dt.date, members: list[str]) -> None:
        """The monthly read of one cycle: for every ESI ID served and last read 20 days ago
        or more, an 867_03 to ERCOT and an 810_02 to the REP of record (what :meth:`usage`
        does for each, with what is the same for the whole cycle worked out once)."""
        desk = self.desk
        read = desk.clock.minute(today, "06:00")
        rules = desk.ctx.rules
        due = rules.due("E5-tdsp-867_03", read, desk.cal) if rules is not None else None
        if not self.batch_reads or due is None or desk.ctx.send_all is None:
            # one by one (also when the rule is switched off: answer_time's fallback)
            for esi in members:
                e = desk.esi[esi]
                if e.rep and e.active and self.desk.clock.days_between(e.last_read, today) >= 20:
                    self.usage(esi, e, e.rep, e.last_read, today, final=False, orig="")
                    e.last_read = today
            return
        ready_at = self._ready_times(read, due)
        kwh_of = desk.u.sub("kwh").of_text
        end_text = f"|{today}".encode()  # str(date) as Draws joins it
        duns, ercot, esis = desk.duns, desk.ctx.ercot, desk.esi
        between, day_of, payloads = desk.clock.days_between, desk.clock.date, usage_payloads
        party, parties = desk.party, desk.ctx.parties
        tdsp = party(duns)
        invoices = self.invoices
        out: list[Message] = []
        add = out.append
        for esi in members:
            e = esis[esi]
            if not (e.rep and e.active) or between(e.last_read, today) < 20:
                continue
            cr = e.rep
            start = e.last_read if e.last_read < today else today
            kwh = int((300 + kwh_of(esi.encode() + end_text) * 1500) * max(between(start, today), 1) / 30)
            e.n += 1
            ref = f"T{esi}{e.n:04d}"
            ready = ready_at(f"{esi}|{ref}".encode())
            usage, invoice = payloads(esi, tdsp, parties.get(cr) or party(cr), start, today, kwh, False,
                                      self.invoice_due(day_of(ready)))
            add(Message("867_03", duns, ercot, esi, ref, "", ready, usage, "", "monthly"))
            e.n += 1
            invoice_ref = f"T{esi}{e.n:04d}"
            add(m := Message("810_02", duns, cr, esi, invoice_ref, ref, ready, invoice, "", "monthly"))
            invoices[invoice_ref] = m
            e.last_read = today
        if out:
            desk.ctx.send_all(out)

    def _ready_times(self, read: int, due: int) -> Callable[[bytes], int]:
        """When a cycle's reads go out, by draw key (``b"ESI|ref"``): what
        :meth:`~ercot_sim.market.participants.base.Participant.answer_time` gives for rule E5 from the
        06:00 read, with the cycle's bounds worked out once."""
        desk = self.desk
        now = int(desk.env.now)
        received = max(read, now)
        lo = received + 15
        width = due - lo
        answer, opening_of = desk.u.sub("ans").of_text, desk.u.sub("open").of_text
        reopening, cal = desk.reopening, desk.cal

        def ready_at(key: bytes) -> int:
            if due <= lo:
                ready = received if received > due else due
            else:
                ready = lo + int(answer(key) * width * 0.6)
                reopen = reopening(ready, cal)
                if reopen is not None:
                    opening = reopen + int(opening_of(key) * 120)
                    if opening <= due:
                        ready = opening
            return ready if ready >= now else now

        return ready_at


