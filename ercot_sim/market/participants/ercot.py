"""ERCOT: registration of the CRs' requests, the ESI ID registry, stacking and forwarding.

ERCOT handles what CRs and TDSPs send it and answers only through the transport:

* initiating requests (814_01 switch, 814_16 move-in, 814_24 move-out, 814_26 history) are
  checked (ESI ID known and not retired, requesting CR not in mass transition, date
  reasonableness: not more than 90 days ahead or 270 days back, no duplicate) and rejected
  with 814_02 / 814_17 / 814_25 / 814_27 and a ``REF*7G`` code, or forwarded to the TDSP
  (814_03 with the first available switch date, 814_24, 814_26);
* modifying requests (814_08 cancel, 814_12 date change with its iteration counter) go to the
  TDSP for a pending order; a cancel for a finished order is rejected ``SOP``, a stale
  iteration rejected;
* stacking (the practical model of flows.md section 11, [U]): priority move-ins of a batch
  first; a duplicate request is rejected ``ABN``; an ERCOT-initiated cancel sends 814_08 to
  the TDSP and an 814_08 notice to the CR (:meth:`Ercot.cancel_order`).

Its collaborators: :class:`~ercot_sim.market.participants.ercot_answers.TdspAnswers` (the TDSPs'
answers passed on, loss notices, the reads that complete orders and change the REP of record)
and :class:`~ercot_sim.market.participants.ercot_admin.MarketAdmin` (ESI ID maintenance, CSAs, mass
transition, acquisitions, retail outage windows).
"""

from __future__ import annotations

import datetime as dt

from edi.texas_set.payloads import Payload814
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message, as814
from ercot_sim.market.participants.base import Context, Participant, ymd
from ercot_sim.market.participants.ercot_admin import MarketAdmin
from ercot_sim.market.participants.ercot_answers import TdspAnswers
from ercot_sim.market.registry import EsiRecord, Order, Registry

__all__ = ["REJECT_CODES", "Ercot"]

#: REF*7G codes ERCOT uses, with their meaning and how sure the sources are.
REJECT_CODES: dict[str, tuple[str, str]] = {
    "A76": ("ESI ID NOT FOUND", "assumed"),
    "ABN": ("DUPLICATE REQUEST", "assumed"),
    "API": ("REQUIRED INFORMATION MISSING OR INVALID", "assumed"),
    "A13": ("OTHER", "confirmed"),
    "SOP": ("SUBSEQUENT ORDER PROCESSED", "confirmed"),
}

_INITIATING_REJECT = {"814_01": "814_02", "814_16": "814_17", "814_24": "814_25", "814_26": "814_27"}
_KIND = {"814_01": "switch", "814_16": "move_in", "814_24": "move_out", "814_26": "historical_usage"}


class Ercot(Participant):
    """ERCOT as a market participant.

    Args:
        ctx: run context.
        registry: the ESI ID registry, filled from the population.
        polrs: POLR CRs as (DUNS, share).
    """

    def __init__(self, ctx: Context, name: str, duns: str, registry: Registry,
                 polrs: list[tuple[str, float]]) -> None:
        super().__init__(ctx, name, duns)
        self.reg = registry
        self._unknown: dict[str, int] = {}
        #: ESI ID maintenance, CSAs, mass transition, acquisitions, outage windows
        self.admin = MarketAdmin(self, registry, polrs)
        #: TDSP answers passed on, the reads that complete orders
        self.answers = TdspAnswers(self, registry)
        self.handle(self.admin)
        self.handle(self.answers)

    # -- helpers --------------------------------------------------------------------------
    def ref_for(self, esi: str, rec: EsiRecord | None) -> str:
        if rec is None:  # an ESI ID ERCOT does not know: still a unique reference
            n = self._unknown.get(esi, 0) + 1
            self._unknown[esi] = n
            return f"E{esi}X{n:03d}"
        rec.n += 1
        return f"E{esi}{rec.n:04d}"

    def ready_at(self, priority: bool = False) -> int:
        t = self.timing
        return int(self.env.now) + (t.ercot_priority_minutes if priority else t.ercot_forward_minutes)

    def _cal(self, tdsp: str) -> str:
        return self.ctx.tdsp_calendar.get(tdsp, "ERCOT")

    def set_state(self, order: Order, state: str, detail: str = "") -> None:
        order.state = state
        order.state_at = int(self.env.now)
        if detail:
            order.detail = detail

    def set_rep(self, rec: EsiRecord, esi: str, rep: str, order_id: str) -> None:
        if rec.rep != rep:  # effective from the read that changed it (rec.since)
            self.book(esi, "registry", rec.rep, rep, ymd(rec.since) if rec.since is not None else "", order_id)
        rec.rep = rep
        rec.status = "A" if rep else "D"
        if self.ctx.order_log is not None:
            self.ctx.order_log(esi, int(self.env.now), rep, order_id)

    def reject_request(self, m: Message, code: str, reject: str, reason: str, rec: EsiRecord | None) -> None:
        if reject == "A13" and code in ("814_02", "814_17"):
            reject = "API"  # the code lists allow only A76, API and ABN on these two
        # an ESI ID ERCOT does not know has no TDSP in its registry: an 814_25 (which must name
        # one) names the move-out request's own
        tdsp = self.party(rec.tdsp) if rec else as814(m).tdsp if code == "814_25" else None
        # a date change's reject carries its iteration (mandatory on the 814_13)
        iteration = as814(m).iteration if code == "814_13" else None
        answer = Payload814(action="reject", reject_code=reject, reject_text=reason[:80], cr=self.party(m.sender),
                            tdsp=tdsp, iteration=iteration)
        self.send(code, m.sender, m.esi_id, self.ref_for(m.esi_id, rec), m.ref, self.ready_at(), answer,
                  m.order_id or m.ref, f"reject {reject}")

    def receive(self, batch: list[Message]) -> None:
        """Priority move-ins of a batch are processed first (processing level 1); during a
        retail outage (A7) what arrives is queued until the outage ends."""
        end = self.admin.outage_end(int(self.env.now)) if self.admin.outages else None
        if end is not None:
            self.at(end, self.receive, batch)
            return
        for m in batch:
            if m.code == "814_16" and as814(m).priority:  # stable: without one the order stays as it is
                batch.sort(key=lambda m: 0 if m.code == "814_16" and as814(m).priority else 1)
                break
        super().receive(batch)

    # -- initiating requests ----------------------------------------------------------------
    def _check(self, m: Message) -> EsiRecord | None:
        """Common ERCOT checks; sends the reject and returns None when one fails."""
        code = _INITIATING_REJECT[m.code]
        rec = self.reg.records.get(m.esi_id)
        if rec is None or rec.status == "R":
            self.reject_request(m, code, "A76", "ESI ID NOT FOUND" if rec is None else "ESI ID RETIRED", rec)
            return None
        if m.sender in self.admin.defaulting:
            self.reject_request(m, code, "A13", "CR IN MASS TRANSITION", rec)
            return None
        if m.ref in self.reg.orders:
            self.reject_request(m, code, "ABN", "DUPLICATE REQUEST", rec)
            return None
        p = as814(m)
        start = p.requested_date or p.end_date
        if start:
            delta = self.clock.days_between(self.today(), start)
            if delta > self.timing.future_days or -delta > self.timing.past_days:
                self.reject_request(m, code, "A13", "REQUESTED DATE NOT REASONABLE", rec)
                return None
        return rec

    def _new_order(self, m: Message, rec: EsiRecord, kind: str) -> Order:
        p = as814(m)
        order = Order(m.ref, m.esi_id, kind, m.sender, rec.tdsp, int(self.env.now), p.requested_date)
        order.priority = p.priority
        order.old_rep = rec.rep
        self.reg.add_order(rec, order)
        return order

    def on_814_01(self, m: Message) -> None:
        """Switch request."""
        rec = self._check(m)
        if rec is None:
            return
        if rec.status != "A":
            self.reject_request(m, "814_02", "A13", "PREMISE NOT ENERGIZED", rec)
            return
        if rec.rep == m.sender:
            self.reject_request(m, "814_02", "A13", "CR IS REP OF RECORD", rec)
            return
        p = as814(m)
        requested = p.requested_date
        order = self._new_order(m, rec, "switch_ss" if requested else "switch")
        fasd = self.clock.add_business_days(self.today(), self.timing.fasd_business_days)
        object_by = self.clock.add_business_days(self.today(), self.timing.rescission_days, "FEDERAL")
        self._forward_03(m, rec, order, requested or fasd, "SSW" if requested else "SW",
                         history=p.indicator == "HU", object_by=object_by)

    def on_814_16(self, m: Message) -> None:
        """Move-in request (priority ones first, see :meth:`receive`)."""
        rec = self._check(m)
        if rec is None:
            return
        p = as814(m)
        prio = p.priority
        order = self._new_order(m, rec, "move_in_priority" if prio else "move_in")
        assert p.requested_date is not None  # mandatory on an 814_16 (check_payload)
        self._forward_03(m, rec, order, p.requested_date, "PMI" if prio else "MVI", priority=prio)

    def _forward_03(self, m: Message, rec: EsiRecord, order: Order, start: dt.date, kind: str,
                    priority: bool = False, history: bool = False, object_by: dt.date | None = None) -> None:
        order.fwd_ref = self.ref_for(m.esi_id, rec)
        order.requested = start
        self.reg.by_ref[order.fwd_ref] = order
        request = Payload814(tdsp=self.party(rec.tdsp), cr=self.party(order.cr), requested_date=start,
                             indicator="MVI" if kind in ("MVI", "PMI") else "HU" if history else None,
                             priority=priority, last_date_to_object=object_by, self_selected=kind == "SSW",
                             customer=customer_of(m.esi_id))
        self.send("814_03", rec.tdsp, m.esi_id, order.fwd_ref, order.order_id, self.ready_at(priority), request,
                  order.order_id, f"{kind} {ymd(start)}")

    def on_814_24(self, m: Message) -> None:
        """Move-out request from the REP of record."""
        rec = self._check(m)
        if rec is None:
            return
        if rec.rep != m.sender:
            self.reject_request(m, "814_25", "A13", "CR NOT REP OF RECORD", rec)
            return
        csa_cr = rec.csa.cr if rec.csa is not None else ""
        p = as814(m)
        bypass = p.bypass_csa
        if bypass and m.sender != csa_cr:  # REF*2W is for the CSA CR only [C: TXSETCC798]
            self.reject_request(m, "814_25", "A13", "CSA BYPASS BY A CR THAT IS NOT THE CSA CR", rec)
            return
        order = self._new_order(m, rec, "move_out")
        order.requested = p.end_date
        order.td = p.maintenance_reason or ""  # 2MR: a second move-out request (RMG 7.16.1)
        if csa_cr and not bypass:
            self.admin.csa_move_out(m, rec, order, csa_cr)
        else:
            self.admin.forward_24(order, rec)

    def on_814_26(self, m: Message) -> None:
        """Ad-hoc historical usage request (the CR holds the customer's LOA)."""
        rec = self._check(m)
        if rec is None:
            return
        order = self._new_order(m, rec, "historical_usage")
        order.fwd_ref = self.ref_for(m.esi_id, rec)
        self.reg.by_ref[order.fwd_ref] = order
        self.send("814_26", rec.tdsp, m.esi_id, order.fwd_ref, order.order_id, self.ready_at(),
                  Payload814(tdsp=self.party(rec.tdsp), cr=self.party(m.sender)), order.order_id)

    # -- modifying requests -----------------------------------------------------------------
    def on_814_08(self, m: Message) -> None:
        """Cancel of a pending order by the CR that submitted it."""
        order = self.reg.orders.get(m.orig_ref)
        rec = self.reg.records.get(m.esi_id)
        if m.sender in self.admin.defaulting:
            self.reject_request(m, "814_09", "A13", "CR IN MASS TRANSITION", rec)
        elif order is None or order.cr != m.sender:
            self.reject_request(m, "814_09", "A13", "ORIGINAL ORDER NOT FOUND", rec)
        elif order.terminal or order.cancel_ref:
            self.reject_request(m, "814_09", "SOP", "SUBSEQUENT ORDER PROCESSED", rec)
        else:
            order.cancel_ref = m.ref
            ref = self.ref_for(m.esi_id, rec)
            self.reg.by_ref[ref] = order
            self.send("814_08", order.tdsp, m.esi_id, ref, order.fwd_ref, self.ready_at(),
                      Payload814(tdsp=self.party(order.tdsp), cr=self.party(order.cr)), order.order_id)

    def on_814_12(self, m: Message) -> None:
        """Date change with its iteration counter; the latest iteration wins."""
        order = self.reg.orders.get(m.orig_ref)
        rec = self.reg.records.get(m.esi_id)
        p = as814(m)
        it, new = p.iteration, p.requested_date
        if m.sender in self.admin.defaulting:
            self.reject_request(m, "814_13", "A13", "CR IN MASS TRANSITION", rec)
        elif order is None or order.cr != m.sender or order.terminal or order.cancel_ref:
            self.reject_request(m, "814_13", "A13", "NO PENDING ORDER", rec)
        elif it is None or new is None or (order.iteration is not None and it <= order.iteration):
            self.reject_request(m, "814_13", "A13", "STALE ITERATION", rec)
        elif self.clock.days_between(self.today(), new) > self.timing.future_days:
            self.reject_request(m, "814_13", "A13", "REQUESTED DATE NOT REASONABLE", rec)
        else:
            order.iteration = it
            order.dc_ref = m.ref
            ref = self.ref_for(m.esi_id, rec)
            self.reg.by_ref[ref] = order
            self.send("814_12", order.tdsp, m.esi_id, ref, order.fwd_ref, self.ready_at(),
                      Payload814(tdsp=self.party(order.tdsp), cr=self.party(order.cr), requested_date=new,
                                 iteration=it), order.order_id, f"date {ymd(new)}")

    # -- CR acknowledgements ---------------------------------------------------------------
    def on_814_07(self, m: Message) -> None:
        """Loss notification response: nothing to do (legacy acknowledgement)."""

    def on_814_15(self, m: Message) -> None:
        """POLR's response to the 814_14: nothing further."""

    def cancel_order(self, order: Order, rec: EsiRecord, why: str) -> None:
        """ERCOT-initiated cancel: 814_08 to the TDSP and an 814_08 notice to the CR."""
        self.set_state(order, "cancelled", why)
        order.cancel_ref = "ERCOT"
        if order.fwd_ref:
            ref = self.ref_for(order.esi_id, rec)
            self.reg.by_ref[ref] = order
            self.send("814_08", order.tdsp, order.esi_id, ref, order.fwd_ref, self.ready_at(),
                      Payload814(tdsp=self.party(order.tdsp), cr=self.party(order.cr)), order.order_id, why[:40])
        if order.kind != "mass_transition":
            self.send("814_08", order.cr, order.esi_id, self.ref_for(order.esi_id, rec), order.order_id,
                      self.ready_at(), Payload814(tdsp=self.party(order.tdsp), cr=self.party(order.cr)),
                      order.order_id, why[:40])
        if order.loss_sent and order.old_rep and order.old_rep != order.cr:
            self.send("814_08", order.old_rep, order.esi_id, self.ref_for(order.esi_id, rec), order.fwd_ref,
                      self.ready_at(), Payload814(tdsp=self.party(order.tdsp), cr=self.party(order.old_rep)),
                      order.order_id, "loss cancelled")
