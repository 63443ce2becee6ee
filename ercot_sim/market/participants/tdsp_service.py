"""A TDSP's service work beside enrollment and reads: a collaborator of
:class:`~ercot_sim.market.participants.tdsp.Tdsp` that owns its state and reaches the TDSP only
through :class:`TdspDesk`.

* safety-net move-ins: the out-of-band order a CR sends when its move-in is not confirmed by
  the D1 deadline, worked on the requested date and matched to the 814_03 when it comes
  (flows.md 3.3);
* 650 service orders from the REP of record: switch holds (``SH001``/``SH002``/``SH003``),
  disconnect for non-payment and reconnect (``DNP``/``RNP``, rejected ``WTM`` in a weather
  moratorium), and 650_04 outage / reactivation notices, which a CR may reject with a 650_05
  (flows.md 14);
* remittances: a payment after the invoice's E8 due date is billed a late-payment charge on an
  810_02 (flows.md 10, E10);
* MarkeTrak Customer Rescissions: once the losing CR agrees, the TDSP marks the issue Ready to
  Receive (flows.md 5, C10); and Missing Enrollment Transaction issues ERCOT routes to it: it
  sends again what it sent that never arrived, or closes the issue with a comment (what it
  sent is on its way).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from edi.texas_set.payloads import Payload650, Payload810, Payload814
from ercot_sim.market.codes import SWITCH_HOLD_CHANGE
from ercot_sim.market.messages import Message, as650, as814, as820, out_of_band
from ercot_sim.market.participants.base import ymd
from ercot_sim.market.participants.tdsp_reads import MeterReading
from ercot_sim.market.participants.tdsp_records import TdspCore, TEsi, TOrder
from ercot_sim.market.tariff import late_payment_charges

__all__ = ["LATE_PAYMENT_BASIS_POINTS", "FieldService", "TdspDesk"]

#: Late-payment charge as basis points of the late amount. ASSUMED: the tariff's rate and
#: threshold were not retrieved (timing-rules.md E10 UNCERTAIN).
LATE_PAYMENT_BASIS_POINTS = 500


class TdspDesk(TdspCore, Protocol):
    """What the service work uses of its TDSP: :class:`~.tdsp_records.TdspCore`, its meter
    reading and its invoices' due dates."""

    reads: MeterReading

    def invoice_due(self, sent: dt.date) -> dt.date: ...

    def maintain(self, esi: str, reason: str, ready: int, detail: str, hold: bool | None = None) -> None: ...


class FieldService:
    """Safety nets, service orders, outage notices and remittances of a TDSP.

    Args:
        desk: the TDSP, for its master data, sending and its enrollment helpers.
    """

    def __init__(self, desk: TdspDesk) -> None:
        self.desk = desk
        #: ESI ID -> safety-net move-in waiting for its 814_03
        self.safety: dict[str, TOrder] = {}
        #: ESI IDs disconnected for non-payment
        self.disconnected: set[str] = set()
        #: days without disconnects (weather moratorium)
        self.moratorium: set[dt.date] = set()
        #: 650_05 rejects of its notices: (ESI ID, 650_04 ref, reason)
        self.rejected_notices: list[tuple[str, str, str]] = []

    def manual_safety_net(self, m: Message) -> None:
        """A CR's safety-net move-in (spreadsheet / e-mail, not EDI): worked on the requested
        date like a move-in; the 814_03 is matched to it when it arrives."""
        e = self.desk.esi.get(m.esi_id)
        if e is None or not e.active or m.esi_id in self.safety:
            return
        net = out_of_band(m)
        cr = net.cr
        for o in self.desk.by_ref.values():  # the 814_03 came first: that order is the move-in
            if o.esi_id == m.esi_id and o.cr == cr and o.kind in ("MVI", "PMI") and not o.cancelled:
                return
        start = net.start or self.desk.today()
        o = TOrder(m.ref, m.esi_id, "PMI" if net.priority else "MVI", max(start, self.desk.today()), cr, m.order_id)
        o.safety = True
        self.safety[m.esi_id] = o
        self.desk.schedule(o)

    def manual_marketrak_agree(self, m: Message) -> None:
        """The losing CR agreed to a Customer Rescission (flows.md 5, C10): the TDSP marks the
        issue Ready to Receive, within a business day, and the losing CR may send its backdated
        814_16."""
        at = self.desk.within_business_days(int(self.desk.env.now), 1, self.desk.cal, m.ref, "ready")
        self.desk.at(at, self.desk.ctx.manual, Message("marketrak-ready-to-receive", self.desk.duns, m.sender, m.esi_id,
                                                       "Y" + m.ref[1:], m.ref, at, m.payload, m.order_id,
                                                       "ready to receive"))

    def manual_marketrak_missing_enrollment(self, m: Message) -> None:
        """A Missing Enrollment Transaction issue ERCOT routed to it: worked within a business day."""
        self.desk.at(self.desk.within_business_days(int(self.desk.env.now), 1, self.desk.cal, m.ref, "met"),
                     self._send_missing, m)

    def _send_missing(self, m: Message) -> None:
        if out_of_band(m).cr in self.desk.ctx.remote:  # MarkeTrak does not cross between markets yet
            return
        resent = self.desk.resend_lost(m.orig_ref)
        code, letter, detail = (("marketrak-in-progress", "W", "re-sent " + " ".join(resent)) if resent else
                                ("marketrak-complete", "Z", "comment: nothing it sent is missing"))
        self.desk.ctx.manual(Message(code, self.desk.duns, out_of_band(m).cr, m.esi_id, letter + m.ref[1:], m.ref,
                                     int(self.desk.env.now), m.payload, m.order_id, detail))

    def manual_safety_net_cancel(self, m: Message) -> None:
        """The CR withdraws its safety net (ERCOT rejected the move-in): not worked. One
        already worked stays (undoing a connection is a MarkeTrak matter, not modelled)."""
        o = self.safety.get(m.esi_id)
        if o is not None and o.ref == m.orig_ref and not o.done:
            o.cancelled = True
            del self.safety[m.esi_id]

    def match_safety_net(self, m: Message) -> bool:
        """The 814_03 of a move-in worked from a safety net: answer it with the safety net's
        date and, if the premise is already energized, send the reads now."""
        o = self.safety.get(m.esi_id)
        p = as814(m)
        if o is None or p.cr is None or o.cr != p.cr.duns:
            return False
        del self.safety[m.esi_id]
        self.desk.by_ref.pop(o.ref, None)
        o.ref, o.order_id, o.safety = m.ref, m.order_id, False
        self.desk.by_ref[o.ref] = o
        ready = int(self.desk.env.now) + 30 + int(self.desk.u("sn", m.ref) * 60)  # already scheduled: answered at once
        e = self.desk.esi[m.esi_id]
        ready = e.answered = max(ready, e.answered)
        self.desk.reply(m, "814_04", ready, Payload814(tdsp=self.desk.party(self.desk.duns), cr=p.cr,
                                                       scheduled_date=o.date), f"scheduled {ymd(o.date)} (safety net)")
        if o.held is not None:  # the reads follow the 814_04
            old, last_read = o.held
            o.held = None
            self.desk.reads.gain_reads(o, old, last_read, ready + 1)
        return True

    def on_650_01(self, m: Message) -> None:
        """Switch-hold service orders from the REP of record (SH001 add, SH002/SH003 remove)."""
        e = self.desk.esi.get(m.esi_id)
        purpose = as650(m).order_type
        if purpose in ("DNP", "RNP"):
            self._field_service(m, e, purpose)
            return
        ready = self.desk.answer_time_for(m)
        ref = self.desk.ref_for(m.esi_id)
        tdsp, cr = self.desk.party(self.desk.duns), self.desk.party(m.sender)
        if e is None or e.rep != m.sender:
            self.desk.send("650_02", m.sender, m.esi_id, ref, m.ref, ready,
                           Payload650(tdsp=tdsp, cr=cr, order_type=purpose, status="REJ", reject_code="A13"),
                           detail="reject")
            return
        e.hold = "D" if purpose == "SH001" else ""
        self.desk.send("650_02", m.sender, m.esi_id, ref, m.ref, ready,
                       Payload650(tdsp=tdsp, cr=cr, order_type=purpose, status="CMP"), detail=purpose)
        self.desk.maintain(m.esi_id, SWITCH_HOLD_CHANGE, ready, f"hold {purpose}", hold=bool(e.hold))

    def _field_service(self, m: Message, e: TEsi | None, purpose: str) -> None:
        """Disconnect for non-payment (DNP) or reconnect (RNP) from the REP of record: rejected
        at once when it cannot be done (``WTM`` weather moratorium on the date, not the REP of
        record, nothing to reconnect), else worked on the requested date (650_02 completed)."""
        start = as650(m).service_date
        day = (max(start, self.desk.today()) if start
               else self.desk.clock.add_business_days(self.desk.today(), 1, self.desk.cal))
        reject: tuple[str, str] | None = None
        if e is None or e.rep != m.sender:
            reject = ("A13", "NOT THE REP OF RECORD")
        elif purpose == "DNP" and day in self.moratorium:
            reject = ("WTM", "WEATHER MORATORIUM")
        elif purpose == "DNP" and m.esi_id in self.disconnected:
            reject = ("DUP", "ALREADY DISCONNECTED")
        elif purpose == "RNP" and m.esi_id not in self.disconnected:
            reject = ("A13", "METER NOT DISCONNECTED")
        if reject is not None:
            answer = Payload650(tdsp=self.desk.party(self.desk.duns), cr=self.desk.party(m.sender), order_type=purpose,
                                status="REJ", reject_code=reject[0], reject_text=reject[1])
            self.desk.send("650_02", m.sender, m.esi_id, self.desk.ref_for(m.esi_id), m.ref,
                           self.desk.answer_time_for(m), answer, detail=f"{purpose} reject {reject[0]}")
            return
        self.desk.schedule(TOrder(m.ref, m.esi_id, purpose, day, m.sender, ""))

    def service_done(self, o: TOrder) -> None:
        """The field crew disconnected or reconnected the meter: 650_02 completed."""
        if o.kind == "DNP":
            self.disconnected.add(o.esi_id)
        else:
            self.disconnected.discard(o.esi_id)
        self.desk.send("650_02", o.cr, o.esi_id, self.desk.ref_for(o.esi_id), o.ref,
                       int(self.desk.env.now) + 60 + int(self.desk.u("fs", o.ref) * 120),
                       Payload650(tdsp=self.desk.party(self.desk.duns), cr=self.desk.party(o.cr), order_type=o.kind,
                                  status="CMP", service_date=o.date), detail=f"{o.kind} completed")

    def outage(self, esi: str, days: int) -> None:
        """Delivery service suspended (outage): 650_04 to the REP of record, and a 650_04
        reactivation when service is restored ``days`` later."""
        e = self.desk.esi.get(esi)
        if e is None or not e.rep:
            return
        start = self.desk.today()
        end = self.desk.clock.plus_days(start, days)
        self.desk.send("650_04", e.rep, esi, self.desk.ref_for(esi), "", int(self.desk.env.now) + 30,
                       Payload650(tdsp=self.desk.party(self.desk.duns), cr=self.desk.party(e.rep), order_type="OTG",
                                  service_date=start, end_date=end), detail=f"OTG {ymd(start)}-{ymd(end)}")
        self.desk.at(self.desk.clock.minute(end, "08:00"), self._restored, esi)

    def _restored(self, esi: str) -> None:
        e = self.desk.esi[esi]
        if e.rep:
            today = self.desk.today()
            self.desk.send("650_04", e.rep, esi, self.desk.ref_for(esi), "", int(self.desk.env.now) + 30,
                           Payload650(tdsp=self.desk.party(self.desk.duns), cr=self.desk.party(e.rep),
                                      order_type="RC001", purpose="reactivation", service_date=today),
                           detail=f"RC001 {ymd(today)}")

    def on_650_05(self, m: Message) -> None:
        """The CR rejected a 650_04 (flows.md 14). The TDSP keeps its REP of record: a REP of
        record it disagrees with is a data-sync matter for MarkeTrak, not a transaction."""
        self.rejected_notices.append((m.esi_id, m.orig_ref, as650(m).reject_code or ""))

    def on_820_02(self, m: Message) -> None:
        """Remittance. A payment sent after the invoice's due date (rule E8, counted from the
        invoice's transmittal) is billed a late-payment charge on an 810_02 (flows.md 10, E10)."""
        rules = self.desk.ctx.rules
        paid = self.desk.reads.invoices.pop(m.orig_ref, None)  # the 820 names the invoice it pays
        sent = paid.sent_at if paid is not None else -1  # when it was sent, from its records
        if rules is None or sent < 0:
            return
        due = rules.due("E8-cr-820_02", sent, "FEDERAL")
        if due is None or m.sent_at <= due:
            return
        fee = max(1, as820(m).amount * LATE_PAYMENT_BASIS_POINTS // 10_000)
        now = int(self.desk.env.now)
        ready = self.desk.answer_time(now, "E4-tdsp-810_02", self.desk.cal, 1, m.ref, trigger=m.sent_at)
        today = self.desk.today()
        invoice = Payload810(due_date=self.desk.invoice_due(self.desk.clock.date(ready)), period_start=today,
                             period_end=today, charges=late_payment_charges(fee), tdsp=self.desk.party(self.desk.duns),
                             cr=self.desk.party(m.sender))
        self.desk.reads.invoice(m.sender, m.esi_id, self.desk.ref_for(m.esi_id), "", ready, invoice,
                                detail=f"late payment {m.orig_ref}")
