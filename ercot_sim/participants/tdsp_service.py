"""A TDSP's service work beside enrollment and reads (mixed into :class:`~ercot_sim.participants.tdsp.Tdsp`).

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
  Receive (flows.md 5, C10).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ercot_sim.messages import Message
from ercot_sim.participants.base import ymd

if TYPE_CHECKING:
    from ercot_sim.participants.tdsp import Tdsp, TEsi

__all__ = ["LATE_PAYMENT_BASIS_POINTS", "TOrder", "TdspService"]

#: Late-payment charge as basis points of the late amount. ASSUMED: the tariff's rate and
#: threshold were not retrieved (timing-rules.md E10 UNCERTAIN).
LATE_PAYMENT_BASIS_POINTS = 500


def _date(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class TOrder:
    """A service order the TDSP has scheduled."""

    __slots__ = ("ref", "esi_id", "kind", "date", "cr", "done", "cancelled", "order_id", "safety", "held", "second",
                 "worked")

    def __init__(self, ref: str, esi_id: str, kind: str, date: dt.date, cr: str, order_id: str) -> None:
        self.ref = ref
        self.esi_id = esi_id
        self.kind = kind
        self.date = date
        self.cr = cr
        self.done = False
        self.cancelled = False
        self.order_id = order_id
        self.safety = False  # worked from a safety net, its 814_03 not matched yet
        self.held: tuple[str, dt.date] | None = None  # (old REP, last read) of a gain worked unmatched
        self.second = False  # a move-out flagged 2MR (second request): completed even if tampered
        self.worked = False  # completed in the field (not unexecutable, not cancelled)


class TdspService:
    """Safety nets, service orders and remittances of a TDSP (mixed into ``Tdsp``)."""

    def manual_safety_net(self: Tdsp, m: Message) -> None:
        """A CR's safety-net move-in (spreadsheet / e-mail, not EDI): worked on the requested
        date like a move-in; the 814_03 is matched to it when it arrives."""
        e = self.esi.get(m.esi_id)
        if e is None or not e.active or m.esi_id in self.safety:
            return
        cr = m.fields["cr"]
        for o in self.by_ref.values():  # the 814_03 came first: that order is the move-in
            if o.esi_id == m.esi_id and o.cr == cr and o.kind in ("MVI", "PMI") and not o.cancelled:
                return
        o = TOrder(m.ref, m.esi_id, "PMI" if m.fields.get("priority") else "MVI",
                   max(_date(m.fields["start"]), self.today()), cr, m.order_id)
        o.safety = True
        self.safety[m.esi_id] = o
        self._schedule(o)

    def manual_marketrak_agree(self: Tdsp, m: Message) -> None:
        """The losing CR agreed to a Customer Rescission (flows.md 5, C10): the TDSP marks the
        issue Ready to Receive, within a business day, and the losing CR may send its backdated
        814_16."""
        at = self.within_business_days(int(self.env.now), 1, self.cal, m.ref, "ready")
        assert self.ctx.manual is not None
        self.at(at, self.ctx.manual, Message("marketrak-ready-to-receive", self.duns, m.sender, m.esi_id,
                                                  "Y" + m.ref[1:], m.ref, at, dict(m.fields), m.order_id,
                                                  "ready to receive"))

    def manual_safety_net_cancel(self: Tdsp, m: Message) -> None:
        """The CR withdraws its safety net (ERCOT rejected the move-in): not worked. One
        already worked stays (undoing a connection is a MarkeTrak matter, not modelled)."""
        o = self.safety.get(m.esi_id)
        if o is not None and o.ref == m.orig_ref and not o.done:
            o.cancelled = True
            del self.safety[m.esi_id]

    def _match_safety_net(self: Tdsp, m: Message) -> bool:
        """The 814_03 of a move-in worked from a safety net: answer it with the safety net's
        date and, if the premise is already energized, send the reads now."""
        o = self.safety.get(m.esi_id)
        if o is None or o.cr != m.fields.get("cr"):
            return False
        del self.safety[m.esi_id]
        self.by_ref.pop(o.ref, None)
        o.ref, o.order_id, o.safety = m.ref, m.order_id, False
        self.by_ref[o.ref] = o
        ready = int(self.env.now) + 30 + int(self.u("sn", m.ref) * 60)  # already scheduled: answered at once
        e = self.esi[m.esi_id]
        ready = e.answered = max(ready, e.answered)
        self._reply(m, "814_04", ready, f"scheduled {ymd(o.date)} (safety net)", start=ymd(o.date))
        if o.held is not None:  # the reads follow the 814_04
            old, last_read = o.held
            o.held = None
            self._gain_reads(o, old, last_read, ready + 1)
        return True

    def on_650_01(self: Tdsp, m: Message) -> None:
        """Switch-hold service orders from the REP of record (SH001 add, SH002/SH003 remove)."""
        e = self.esi.get(m.esi_id)
        purpose = m.fields.get("purpose", "")
        if purpose in ("DNP", "RNP"):
            self._field_service(m, e, purpose)
            return
        ready = self._answer_time(m)
        ref = self._ref(m.esi_id)
        if e is None or e.rep != m.sender:
            self.send("650_02", m.sender, m.esi_id, ref, m.ref, ready, detail="reject", tdsp=self.duns,
                      cr=m.sender, action="reject", reject="A13")
            return
        e.hold = "D" if purpose == "SH001" else ""
        self.send("650_02", m.sender, m.esi_id, ref, m.ref, ready, detail=purpose, tdsp=self.duns, cr=m.sender)
        self.send("814_20", self.ctx.ercot, m.esi_id, self._ref(m.esi_id), "", ready, detail=f"hold {purpose}",
                  tdsp=self.duns, td="HOLD", hold="Y" if e.hold else "N")

    def _field_service(self: Tdsp, m: Message, e: TEsi | None, purpose: str) -> None:
        """Disconnect for non-payment (DNP) or reconnect (RNP) from the REP of record: rejected
        at once when it cannot be done (``WTM`` weather moratorium on the date, not the REP of
        record, nothing to reconnect), else worked on the requested date (650_02 completed)."""
        start = m.fields.get("start")
        day = max(_date(start), self.today()) if start else self.clock.add_business_days(self.today(), 1, self.cal)
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
            self.send("650_02", m.sender, m.esi_id, self._ref(m.esi_id), m.ref, self._answer_time(m),
                      detail=f"{purpose} reject {reject[0]}", tdsp=self.duns, cr=m.sender, purpose=purpose,
                      action="reject", reject=reject[0], reason=reject[1])
            return
        self._schedule(TOrder(m.ref, m.esi_id, purpose, day, m.sender, ""))

    def _service_done(self: Tdsp, o: TOrder) -> None:
        """The field crew disconnected or reconnected the meter: 650_02 completed."""
        if o.kind == "DNP":
            self.disconnected.add(o.esi_id)
        else:
            self.disconnected.discard(o.esi_id)
        self.send("650_02", o.cr, o.esi_id, self._ref(o.esi_id), o.ref,
                  int(self.env.now) + 60 + int(self.u("fs", o.ref) * 120), detail=f"{o.kind} completed",
                  tdsp=self.duns, cr=o.cr, purpose=o.kind, start=ymd(o.date))

    def outage(self: Tdsp, esi: str, days: int) -> None:
        """Delivery service suspended (outage): 650_04 to the REP of record, and a 650_04
        reactivation when service is restored ``days`` later."""
        e = self.esi.get(esi)
        if e is None or not e.rep:
            return
        start = self.today()
        end = start + dt.timedelta(days=days)
        self.send("650_04", e.rep, esi, self._ref(esi), "", int(self.env.now) + 30,
                  detail=f"OTG {ymd(start)}-{ymd(end)}", tdsp=self.duns, cr=e.rep, purpose="OTG",
                  start=ymd(start), end=ymd(end))
        self.at(self.clock.minute(end, "08:00"), self._restored, esi)

    def _restored(self: Tdsp, esi: str) -> None:
        e = self.esi[esi]
        if e.rep:
            self.send("650_04", e.rep, esi, self._ref(esi), "", int(self.env.now) + 30,
                      detail=f"RC001 {ymd(self.today())}", tdsp=self.duns, cr=e.rep, purpose="RC001",
                      start=ymd(self.today()))

    def on_650_05(self: Tdsp, m: Message) -> None:
        """The CR rejected a 650_04 (flows.md 14). The TDSP keeps its REP of record: a REP of
        record it disagrees with is a data-sync matter for MarkeTrak, not a transaction."""
        self.rejected_notices.append((m.esi_id, m.orig_ref, m.fields.get("reject", "")))

    def on_820_02(self: Tdsp, m: Message) -> None:
        """Remittance. A payment sent after the invoice's due date (rule E8, counted from the
        invoice's transmittal) is billed a late-payment charge on an 810_02 (flows.md 10, E10)."""
        rules = self.ctx.rules
        sent = m.fields.get("inv_sent", -1)
        if rules is None or sent is None or sent < 0:
            return
        due = rules.due("E8-cr-820_02", sent, "FEDERAL")
        if due is None or m.sent_at <= due:
            return
        fee = max(1, int(m.fields.get("amount", 0)) * LATE_PAYMENT_BASIS_POINTS // 10_000)
        now = int(self.env.now)
        ready = self.answer_time(now, "E4-tdsp-810_02", self.cal, 1, m.ref, trigger=m.sent_at)
        pay_by = self.clock.roll(self.clock.date(ready) + dt.timedelta(days=self.timing.payment_days), self.cal)
        today = ymd(self.today())
        self.send("810_02", m.sender, m.esi_id, self._ref(m.esi_id), "", ready,
                  detail=f"late payment {m.orig_ref}", tdsp=self.duns, cr=m.sender, start=today, end=today,
                  kwh=0, due=ymd(pay_by), late_fee=fee)
