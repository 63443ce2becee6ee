"""ERCOT's market administration: ESI ID maintenance (814_20/814_21), continuous service
agreements (814_18/814_19, the CSA move-in 814_22/814_23 on a move-out), mass transition and
acquisition transfers (814_03 ``BGN07=TS`` / ``AQ``), retail outage windows (A7), and the
routing of a Customer Rescission MarkeTrak issue to the losing CR (C10).

A collaborator of :class:`~ercot_sim.market.participants.ercot.Ercot` (registration and stacking):
it owns the mass-transition state (defaulting CRs, POLRs) and the outage windows, shares the
registry, and reaches ERCOT's sending and registration helpers only through
:class:`ErcotDesk`, so neither module imports the other's class.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

from edi.texas_set.payloads import Payload814
from ercot_sim.market.codes import ESI_CREATE, ESI_RETIRE, SWITCH_HOLD_CHANGE
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message, OutOfBand, as814
from ercot_sim.market.participants.base import ParticipantDesk, ymd
from ercot_sim.market.registry import Csa, EsiRecord, Order, Registry

__all__ = ["ErcotDesk", "MarketAdmin"]


#: REF*TD of an 814_20 -> what the TDSP changes (the trace's words)
_CHANGES = {ESI_CREATE: "CREATE", ESI_RETIRE: "RETIRE", SWITCH_HOLD_CHANGE: "HOLD"}


class ErcotDesk(ParticipantDesk, Protocol):
    """What the market administration uses of ERCOT: its identity, clock and agenda, sending,
    and the registration helpers (references, ready times, order states, rejects, cancels)."""

    def ref_for(self, esi: str, rec: EsiRecord | None) -> str: ...

    def ready_at(self, priority: bool = False) -> int: ...

    def set_state(self, order: Order, state: str, detail: str = "") -> None: ...

    def reject_request(self, m: Message, code: str, reject: str, reason: str, rec: EsiRecord | None) -> None: ...

    def cancel_order(self, order: Order, rec: EsiRecord, why: str) -> None: ...


class MarketAdmin:
    """ESI ID maintenance, CSAs, mass transition, acquisitions and outage windows.

    Args:
        desk: ERCOT, for sending and its registration helpers.
        registry: the ESI ID registry (shared with registration).
        polrs: POLR CRs as (DUNS, share).
    """

    def __init__(self, desk: ErcotDesk, registry: Registry, polrs: list[tuple[str, float]]) -> None:
        self.desk = desk
        self.reg = registry
        self.polrs = polrs
        #: CRs in mass transition: their new requests are rejected
        self.defaulting: set[str] = set()
        #: retail outage windows (sim minutes, A7)
        self.outages: list[tuple[int, int]] = []

    # -- ESI ID maintenance ---------------------------------------------------------------------
    def on_814_20(self, m: Message) -> None:
        """ESI ID create / maintain (switch hold) / retire from the TDSP; answered with 814_21."""
        p = as814(m)
        rec = self.reg.records.get(m.esi_id)
        reason = p.maintenance_reason
        action = _CHANGES.get(reason or "", "")
        reject = ""
        if action == "CREATE":
            if rec is not None:
                reject = "ESI ID ALREADY EXISTS"
            else:
                rec = self.reg.records[m.esi_id] = EsiRecord(m.sender, "", "D")
        elif rec is None:
            reject = "ESI ID NOT FOUND"
        elif action == "RETIRE":
            if rec.rep or self.reg.open_orders(rec):
                reject = "ESI ID HAS REP OR PENDING ORDERS"
            else:
                rec.status = "R"
        elif action == "HOLD":
            rec.hold = "" if p.switch_hold is None else "Y" if p.switch_hold else "N"
        answer = Payload814(tdsp=self.desk.party(m.sender))
        if reject:
            answer = Payload814(tdsp=self.desk.party(m.sender), action="reject", reject_code="A13", reject_text=reject)
        self.desk.send("814_21", m.sender, m.esi_id, self.desk.ref_for(m.esi_id, rec), m.ref, self.desk.ready_at(),
                       answer, detail=f"{action} {reject}".strip())

    # -- customer rescission after completion (MarkeTrak, flows.md 5, C10) -----------------------
    def manual_marketrak_rescission(self, m: Message) -> None:
        """A gaining CR's Customer Rescission issue: routed to the losing CR, which takes the
        customer back from the switch date (as if the switch never happened)."""
        self._to_losing_cr(m, 0, "")

    def manual_marketrak_inadvertent_gain(self, m: Message) -> None:
        """A gaining CR's Inadvertent Gain issue: routed to the losing CR, which regains the ESI
        ID from the day after the date of loss (RMGRR133: "from DOL+1 or a prospective date")."""
        self._to_losing_cr(m, 1, "Inadvertent Gain")

    def _to_losing_cr(self, m: Message, days_after: int, issue: str) -> None:
        """Route a gaining CR's issue to the losing CR (the REP of record before the gain), with
        the date to regain from (``days_after`` the switch date), when the gain is the ESI ID's
        last completed change of REP; else it is closed (a MarkeTrak reply, not modelled further)."""
        order = self.reg.orders.get(m.orig_ref)
        rec = self.reg.records.get(m.esi_id)
        if (order is None or rec is None or order.state != "completed" or order.cr != m.sender
                or rec.rep != m.sender or not order.old_rep or order.scheduled is None):
            return
        start = self.desk.clock.plus_days(order.scheduled, days_after) if days_after else order.scheduled
        self.desk.ctx.manual(Message(m.code, self.desk.duns, order.old_rep, m.esi_id, m.ref, order.order_id,
                                     int(self.desk.env.now), OutOfBand(cr=order.old_rep, tdsp=rec.tdsp,
                                                                       gaining=m.sender, start=start, issue=issue),
                                     order.order_id, "to the losing CR"))

    def manual_marketrak_usage_missing(self, m: Message) -> None:
        """A CR's Usage & Billing - Missing issue: routed to the ESI ID's TDSP."""
        rec = self.reg.records.get(m.esi_id)
        if rec is None:
            return
        self.desk.ctx.manual(Message("marketrak-usage-missing", self.desk.duns, rec.tdsp, m.esi_id, m.ref, "",
                                     int(self.desk.env.now), m.payload, "", "to the TDSP"))

    # -- a missing enrollment transaction (MarkeTrak) -------------------------------------------
    def manual_marketrak_missing_enrollment(self, m: Message) -> None:
        """A CR's Missing Enrollment Transaction issue (no answer, or no completion, for its
        request): worked within a business day."""
        at = self.desk.within_business_days(int(self.desk.env.now), 1, "ERCOT", m.ref, "met")
        self.desk.at(at, self._find_missing, m)

    def _find_missing(self, m: Message) -> None:
        """Where the order's chain stopped: a request ERCOT never received goes back to the CR
        to send again; what ERCOT sent that never arrived, ERCOT sends again; else the issue
        goes to the TDSP, which owes the next transaction. A party another market plays is
        left alone (the issue stays on the CR's queue)."""
        now, order = int(self.desk.env.now), self.reg.orders.get(m.orig_ref)
        if order is None:
            self._route(m, m.sender, "not received at ERCOT")
            return
        resent = self.desk.resend_lost(order.order_id)
        if resent:
            self.desk.ctx.manual(Message("marketrak-in-progress", self.desk.duns, m.sender, m.esi_id,
                                         "W" + m.ref[1:], m.ref, now, m.payload, m.order_id,
                                         "ERCOT re-sent " + " ".join(resent)))
        else:
            self._route(m, order.tdsp, "to the TDSP")

    def _route(self, m: Message, to: str, detail: str) -> None:
        if to in self.desk.ctx.remote:
            return
        self.desk.ctx.manual(Message(m.code, self.desk.duns, to, m.esi_id, m.ref, m.orig_ref, int(self.desk.env.now),
                                     m.payload, m.order_id, detail))

    def manual_marketrak_in_progress(self, m: Message) -> None:
        """The assignee works a CR's issue (the CR sends its request again): nothing for ERCOT."""

    def manual_marketrak_complete(self, m: Message) -> None:
        """The submitter closed its issue: nothing for ERCOT."""

    def manual_marketrak_withdrawn(self, m: Message) -> None:
        """The submitter withdrew its issue: nothing for ERCOT."""

    # -- retail outage windows (A7) -----------------------------------------------------------
    # What ERCOT receives during a window is worked when it ends (Ercot.receive); that nothing
    # is sent to or by ERCOT meanwhile is the transport's part (Transport.outages).
    def outage_end(self, minute: int) -> int | None:
        """End of the retail outage window ``minute`` falls in, if any."""
        for start, end in self.outages:
            if start <= minute < end:
                return end
        return None

    # -- continuous service agreements ------------------------------------------------------
    def on_814_18(self, m: Message) -> None:
        """Establish or delete a CSA from the requested date; a second 814_18 while one is
        pending is rejected ``NFI`` (stacking, [C]); answered with an 814_19."""
        rec = self.reg.records.get(m.esi_id)
        p = as814(m)
        delete = p.maintenance == "delete"
        csa = rec.csa if rec is not None and rec.csa is not None else Csa()
        if rec is None or rec.status == "R":
            self.desk.reject_request(m, "814_19", "A76", "ESI ID NOT FOUND", rec)
        elif m.sender in self.defaulting:
            self.desk.reject_request(m, "814_19", "A13", "CR IN MASS TRANSITION", rec)
        elif m.ref in self.reg.orders:
            self.desk.reject_request(m, "814_19", "ABN", "DUPLICATE REQUEST", rec)
        elif csa.pending is not None:
            self.desk.reject_request(m, "814_19", "NFI", "CSA REQUEST ALREADY PENDING", rec)
        elif delete and csa.cr != m.sender:
            self.desk.reject_request(m, "814_19", "A13", "NO CSA OF THIS CR", rec)
        else:
            start = p.requested_date
            day = max(start, self.desk.today()) if start else self.desk.today()
            order = Order(m.ref, m.esi_id, "csa_delete" if delete else "csa", m.sender, rec.tdsp,
                          int(self.desk.env.now), day)
            self.reg.add_order(rec, order)
            csa.pending = (m.ref, m.sender, day, "delete" if delete else "add")
            rec.csa = csa
            answer = Payload814(tdsp=self.desk.party(rec.tdsp), cr=self.desk.party(m.sender),
                                maintenance="delete" if delete else None)
            self.desk.send("814_19", m.sender, m.esi_id, self.desk.ref_for(m.esi_id, rec), m.ref, self.desk.ready_at(),
                           answer, m.ref, f"{'delete' if delete else 'establish'} {ymd(day)}")
            self.desk.at(self.desk.clock.minute(day, "00:00"), self._csa_effective, rec, order)

    def _csa_effective(self, rec: EsiRecord, order: Order) -> None:
        """The pending CSA request takes effect on its date."""
        csa = rec.csa
        if csa is None or csa.pending is None or csa.pending[0] != order.order_id:
            return
        _, cr, day, action = csa.pending
        csa.pending = None
        csa.cr, csa.start = (cr, day) if action == "add" else ("", None)
        self.desk.set_state(order, "completed", f"CSA {'deleted' if action == 'delete' else cr}")

    def csa_move_out(self, m: Message, rec: EsiRecord, order: Order, csa_cr: str) -> None:
        """A move-out at a premise with a CSA: the CSA CR is told (814_22) instead of the TDSP."""
        ref = self.desk.ref_for(m.esi_id, rec)
        order.fwd_ref = ref
        order.detail = "CSA"
        self.reg.by_ref[ref] = order
        end = as814(m).end_date
        self.desk.send("814_22", csa_cr, m.esi_id, ref, order.order_id, self.desk.ready_at(),
                       Payload814(tdsp=self.desk.party(rec.tdsp), cr=self.desk.party(csa_cr), requested_date=end),
                       order.order_id, f"CSA move-in {ymd(end) if end else ''}")

    def on_814_23(self, m: Message) -> None:
        """CSA CR's answer: accepted -> 814_03 move-in for the CSA CR; rejected -> the
        move-out goes to the TDSP as without a CSA."""
        order = self.reg.by_ref.get(m.orig_ref)
        if order is None or order.terminal or order.link is not None:
            return
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        if p.action == "reject":
            order.detail = "CSA CR rejected"
            self.forward_24(order, rec)
            return
        start = order.requested or p.scheduled_date or self.desk.today()
        ref = self.desk.ref_for(m.esi_id, rec)
        mi = Order(ref, m.esi_id, "csa_move_in", m.sender, rec.tdsp, int(self.desk.env.now), start)
        mi.old_rep = rec.rep
        mi.link, order.link = order, mi
        self.reg.add_order(rec, mi)
        mi.fwd_ref = ref
        self.reg.by_ref[ref] = mi
        self.desk.send("814_03", rec.tdsp, m.esi_id, ref, "", self.desk.ready_at(),
                       Payload814(tdsp=self.desk.party(rec.tdsp), cr=self.desk.party(m.sender), requested_date=start,
                                  indicator="MVI", customer=customer_of(m.esi_id)), ref, f"CSA MVI {ymd(start)}")

    def csa_answered(self, mi: Order, rec: EsiRecord, accepted: bool, date: dt.date | None) -> None:
        """The TDSP answered the CSA CR's move-in: the moving-out CR gets its 814_25 (or, when
        the move-in is rejected, the move-out goes to the TDSP after all)."""
        mo = mi.link
        if mo is None or mo.terminal:
            return
        if not accepted:
            mo.link = None
            mo.detail = "CSA move-in rejected"
            self.forward_24(mo, rec)
            return
        mo.scheduled = date
        self.desk.set_state(mo, "scheduled")
        self.desk.send("814_25", mo.cr, mo.esi_id, self.desk.ref_for(mo.esi_id, rec), mo.order_id, self.desk.ready_at(),
                       Payload814(tdsp=self.desk.party(mo.tdsp), cr=self.desk.party(mo.cr), end_date=date),
                       mo.order_id, f"CSA CR move-in {ymd(date) if date else ''}")

    def forward_24(self, order: Order, rec: EsiRecord) -> None:
        """The move-out 814_24 to the TDSP."""
        end = order.requested or self.desk.today()
        order.fwd_ref = self.desk.ref_for(order.esi_id, rec)
        self.reg.by_ref[order.fwd_ref] = order
        request = Payload814(tdsp=self.desk.party(rec.tdsp), cr=self.desk.party(order.cr), end_date=end,
                             maintenance_reason=order.td or None)
        self.desk.send("814_24", rec.tdsp, order.esi_id, order.fwd_ref, order.order_id, self.desk.ready_at(), request,
                       order.order_id, f"move-out {ymd(end)}" + (f" {order.td}" if order.td else ""))

    # -- mass transition ---------------------------------------------------------------------
    def mass_transition(self, cr: str, polr: str | None) -> None:
        """Start the mass transition of ``cr``: reject, cancel, and move its ESI IDs to POLRs."""
        self.defaulting.add(cr)
        fasd = self.desk.clock.add_business_days(self.desk.today(), self.desk.timing.fasd_business_days)
        for esi in sorted(self.reg.records):
            rec = self.reg.records[esi]
            for order in self.reg.open_orders(rec):
                if order.cr == cr:
                    self.desk.cancel_order(order, rec, "mass transition of the CR")
            if rec.rep != cr or rec.status != "A":
                continue
            target = polr or self._polr(esi, cr)
            ref = self.desk.ref_for(esi, rec)
            order = Order(ref, esi, "mass_transition", target, rec.tdsp, int(self.desk.env.now), None)
            order.old_rep = cr
            self.reg.add_order(rec, order)
            self._forward_03_mt(esi, rec, order, fasd)

    def _forward_03_mt(self, esi: str, rec: EsiRecord, order: Order, start: dt.date,
                       bgn07: Literal["TS", "AQ"] = "TS") -> None:
        order.fwd_ref = order.order_id  # ERCOT's own order: the 814_03 is its first transaction
        order.requested = start
        self.reg.by_ref[order.fwd_ref] = order
        self.desk.send("814_03", rec.tdsp, esi, order.fwd_ref, "", self.desk.ready_at(),
                       Payload814(tdsp=self.desk.party(rec.tdsp), cr=self.desk.party(order.cr), requested_date=start,
                                  transition_type=bgn07, customer=customer_of(esi)),
                       order.order_id, f"{bgn07} {ymd(start)}")

    # -- acquisition transfer ------------------------------------------------------------------
    def acquisition(self, cr: str, to: str, date_specific: bool) -> None:
        """Acquisition transfer (flows.md 7, C7): an 814_03 ``BGN07=AQ`` for each ESI ID of
        ``cr`` without a pending order, to ``to``; the date is current day + FASD, or, when
        date-specific, the date of rule ``C7-ercot-acquisition-date``. CSAs are not moved."""
        today = self.desk.today()
        due = self.desk.ctx.rules.due("C7-ercot-acquisition-date", int(self.desk.env.now), "ERCOT") \
            if date_specific and self.desk.ctx.rules is not None else None
        if due is not None:
            day = self.desk.clock.date(due)
        else:
            day = self.desk.clock.add_business_days(today, self.desk.timing.fasd_business_days)
        for esi in sorted(self.reg.records):
            rec = self.reg.records[esi]
            if rec.rep != cr or rec.status != "A" or self.reg.open_orders(rec):
                continue
            ref = self.desk.ref_for(esi, rec)
            order = Order(ref, esi, "acquisition", to, rec.tdsp, int(self.desk.env.now), None)
            order.old_rep = cr
            self.reg.add_order(rec, order)
            self._forward_03_mt(esi, rec, order, day, "AQ")

    def _polr(self, esi: str, defaulting: str) -> str:
        polrs = [(d, w) for d, w in self.polrs if d != defaulting]
        total = sum(w for _, w in polrs) or 1.0
        x = self.desk.u("polr", esi) * total
        for duns, w in polrs:
            x -= w
            if x < 0:
                return duns
        return polrs[-1][0]
