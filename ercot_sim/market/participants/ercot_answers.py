"""What the TDSPs answer ERCOT, passed on to the CRs, and the reads that complete orders.

A collaborator of :class:`~ercot_sim.market.participants.ercot.Ercot` (which registers the requests):

* the TDSP's answers to a forwarded request (814_04, 814_25, 814_28, 814_09, 814_13, 814_27)
  go on to the CR (814_05 or, in a mass transition, 814_14 to the POLR; ...), and an accepted
  gain plans the losing CR's 814_06 its rule's lead time before the scheduled read;
* the CR's 814_29 goes back to the TDSP against the TDSP's own 814_28 (ERCOT remembers which
  one each 814_28 it sent passed on: nothing but X12 travels);
* an order completes when its meter read arrives (867_04 for a gain, a final 867_03 for a
  move-out) and the REP of record changes then; usage is passed on to the REP.

It shares ERCOT's registry and reaches ERCOT through :class:`AnswerDesk`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from edi.texas_set.payloads import Party, Payload814, Payload867
from ercot_sim.market.codes import PERMIT_PENDING
from ercot_sim.market.messages import Message, as814, as867, duns_of, passed_detail
from ercot_sim.market.participants.base import ymd
from ercot_sim.market.participants.ercot_admin import ErcotDesk, MarketAdmin
from ercot_sim.market.registry import EsiRecord, Order, Registry

__all__ = ["AnswerDesk", "TdspAnswers", "cancel_unconfirmed", "order_state_after_failed_cancel"]


class AnswerDesk(ErcotDesk, Protocol):
    """What passing answers on uses of ERCOT: :class:`ErcotDesk`, its administration (a CSA
    move-in's answer) and the REP-of-record change."""

    admin: MarketAdmin

    def set_rep(self, rec: EsiRecord, esi: str, rep: str, order_id: str) -> None: ...


def order_state_after_failed_cancel(order: Order) -> str:
    """State an order returns to when the TDSP refuses ERCOT's cancel (already worked)."""
    return "scheduled" if order.scheduled is not None else "pending"


def cancel_unconfirmed(order: Order) -> bool:
    """Cancelled by ERCOT (stacking, mass transition) and not yet confirmed by the TDSP: what
    the TDSP answers about the order itself (a reject, an unexecutable, a read) still decides
    its end state."""
    return order.state == "cancelled" and order.cancel_ref == "ERCOT" and not order.cancel_ok



class TdspAnswers:
    """TDSP answers and reads at ERCOT (see the module docstring).

    Args:
        desk: ERCOT.
        registry: the ESI ID registry (shared with registration).
    """

    def __init__(self, desk: AnswerDesk, registry: Registry) -> None:
        self.desk = desk
        self.reg = registry
        #: ERCOT's 814_28 to a CR -> the TDSP's 814_28 it passed on (where the CR's 814_29 goes)
        self._passed_814_28: dict[str, tuple[str, Order]] = {}
        #: ERCOT as the N1*AY party of the usage it passes on
        self.ercot_party = Party(desk.ctx.names.get(desk.duns, "ERCOT"), desk.duns)

    def _parties(self, order: Order, cr: str = "") -> Payload814:
        """An answer to the CR of ``order`` naming the TDSP and the CR (``cr``: another CR)."""
        return Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(cr or order.cr))

    def _passed(self, order: Order, p: Payload814, scheduled_date: dt.date | None = None,
                end_date: dt.date | None = None) -> Payload814:
        """The TDSP's answer ``p`` as ERCOT passes it on to the CR of ``order``: its result and
        reason, the dates given (``scheduled_date`` / ``end_date``) and its iteration."""
        if p.action == "reject":
            return Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(order.cr), action="reject",
                              reject_code=p.reject_code, reject_text=p.reject_text, iteration=p.iteration)
        return Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(order.cr), iteration=p.iteration,
                          scheduled_date=scheduled_date, end_date=end_date)

    def on_814_29(self, m: Message) -> None:
        """CR response to an 814_28: passed on to the TDSP."""
        # the 814_28 it answers (BGN06): ERCOT's, which passed on the TDSP's for an order
        passed = self._passed_814_28.pop(m.orig_ref, None)
        if passed is None:
            return
        tdsp_ref, order = passed
        answer = Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(m.sender),
                            unexecutable_code=as814(m).unexecutable_code)
        self.desk.send("814_29", order.tdsp, m.esi_id, m.ref, tdsp_ref, self.desk.ready_at(), answer, order.order_id)

    def _order_for(self, m: Message) -> Order | None:
        return self.reg.by_ref.get(m.orig_ref)

    def on_814_04(self, m: Message) -> None:
        """TDSP accept (scheduled meter read date) or reject of an 814_03.

        ERCOT passes every TDSP answer on (814_05, or 814_14 to the POLR in a mass
        transition), also for an order that has meanwhile completed or been cancelled; only
        an open order changes state.
        """
        order = self._order_for(m)
        if order is None or order.state == "rejected":
            return
        is_open = not order.terminal
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        if order.kind == "csa_move_in" and is_open:
            self.desk.admin.csa_answered(order, rec, p.action != "reject", p.scheduled_date)
        if p.action == "reject":
            if is_open or cancel_unconfirmed(order):  # the TDSP never had the order: rejected
                self.desk.set_state(order, "rejected", f"tdsp {p.reject_code}")
            if order.kind != "mass_transition":
                self.desk.send("814_05", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                               self.desk.ready_at(), self._passed(order, p), order.order_id,
                               f"reject {p.reject_code}")
            return
        smrd = p.scheduled_date
        assert smrd is not None  # an 814_04 accepting an order schedules it (check_payload)
        if is_open:
            order.scheduled = smrd
            if order.state in ("pending", "permit"):
                self.desk.set_state(order, "scheduled")
        if order.kind == "mass_transition":
            self.desk.send("814_14", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                           self.desk.ready_at(),
                           Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(order.cr),
                                      scheduled_date=smrd, transition_type="TS", switch_hold=p.switch_hold),
                           order.order_id, f"date {ymd(smrd)}")
        else:
            answer = Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(order.cr), scheduled_date=smrd,
                                transition_type="AQ" if order.kind == "acquisition" else None)
            self.desk.send("814_05", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                           self.desk.ready_at(order.priority), answer, order.order_id, f"date {ymd(smrd)}")
        if not is_open:
            return
        self._plan_loss_notice(order, rec, smrd)

    def _plan_loss_notice(self, order: Order, rec: EsiRecord, smrd: dt.date) -> None:
        """Plan the 814_06 the rule's lead time before the scheduled read (now if closer)."""
        losing = rec.rep
        if order.kind == "csa_move_in":  # the moving-out CR asked for it: it has its 814_25
            return
        if losing and losing != order.cr and not order.loss_sent:
            lead = self.desk.timing.loss_notice_switch_bd if order.kind.startswith("switch") else \
                self.desk.timing.loss_notice_move_in_bd
            when = self.desk.clock.minute(self.desk.clock.add_business_days(smrd, -lead), "08:00")
            if when > self.desk.ready_at():
                self.desk.at(when, self._loss_notice, order, losing)
            else:
                self._loss_notice(order, losing)

    def _loss_notice(self, order: Order, losing: str) -> None:
        """814_06 to the losing CR, the rule's lead time before the scheduled read (if the
        order is still going ahead then)."""
        if order.terminal or order.cancel_ref or order.loss_sent or order.scheduled is None:
            return
        rec = self.reg.records[order.esi_id]
        if rec.rep != losing:
            return
        order.loss_sent = True
        order.old_rep = losing
        start = order.scheduled
        self.desk.send("814_06", losing, order.esi_id, self.desk.ref_for(order.esi_id, rec), order.fwd_ref,
                       self.desk.ready_at(),
                       Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(losing), end_date=start),
                       order.order_id, f"loss {ymd(start)}")

    def on_814_25(self, m: Message) -> None:
        """TDSP answer to a move-out: passed on to the CR."""
        order = self._order_for(m)
        if order is None or order.terminal:
            return
        p = as814(m)
        rec = self.reg.records[m.esi_id]
        if p.action == "reject":
            self.desk.set_state(order, "rejected", f"tdsp {p.reject_code}")
        else:
            order.scheduled = p.end_date
            self.desk.set_state(order, "scheduled")
        self.desk.send("814_25", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                       self.desk.ready_at(), self._passed(order, p, end_date=p.end_date), order.order_id,
                       passed_detail(m))

    def on_814_28(self, m: Message) -> None:
        """Completed unexecutable (closes the order) or permit pending (keeps it open). An order
        ERCOT cancelled (stacking) whose cancel the TDSP has not confirmed is still the TDSP's:
        its field result is the fact, as for a read (on_867_03, on_867_04)."""
        order = self._order_for(m)
        if order is None:
            return
        if order.terminal and not cancel_unconfirmed(order):
            return
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        reason = p.unexecutable_code or ""
        if reason == PERMIT_PENDING:
            self.desk.set_state(order, "permit")
        else:
            self.desk.set_state(order, "unexecutable", reason)
        answer = Payload814(tdsp=self.desk.party(order.tdsp), cr=self.desk.party(order.cr),
                            unexecutable_code=p.unexecutable_code, unexecutable_text=p.unexecutable_text)
        sent = self.desk.send("814_28", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                              self.desk.ready_at(), answer, order.order_id, passed_detail(m))
        self._passed_814_28[sent.ref] = (m.ref, order)

    def on_814_09(self, m: Message) -> None:
        """TDSP answer to a cancel."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        accepted = p.action != "reject"
        if accepted:
            order.cancel_ok = True
        if not accepted and order.state == "cancelled" and order.cancel_ref == "ERCOT":
            self.desk.set_state(order, order_state_after_failed_cancel(order), "ERCOT cancel rejected by TDSP")
        if accepted and not order.terminal:
            self.desk.set_state(order, "cancelled", order.detail or "cancel")
            if order.loss_sent and order.old_rep:  # the losing CR keeps its customer
                self.desk.send("814_08", order.old_rep, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.fwd_ref,
                               self.desk.ready_at(), self._parties(order, order.old_rep), order.order_id,
                               "loss cancelled")
        if order.cancel_ref and order.cancel_ref != "ERCOT":
            self.desk.send("814_09", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.cancel_ref,
                           self.desk.ready_at(), self._passed(order, p), order.order_id, passed_detail(m))
        if not accepted and order.cancel_ref:
            order.cancel_ref = ""

    def on_814_13(self, m: Message) -> None:
        """TDSP answer to a date change."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        if p.action != "reject" and p.scheduled_date is not None:
            order.scheduled = p.scheduled_date
            if not order.terminal:  # a new date moves the loss notice with it
                self._plan_loss_notice(order, rec, order.scheduled)
        self.desk.send("814_13", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.dc_ref,
                       self.desk.ready_at(), self._passed(order, p, scheduled_date=p.scheduled_date),
                       order.order_id, passed_detail(m))

    def on_814_27(self, m: Message) -> None:
        """Historical usage response: passed on; a reject ends the order."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        p = as814(m)
        if p.action == "reject":
            self.desk.set_state(order, "rejected", f"tdsp {p.reject_code}")
        self.desk.send("814_27", order.cr, m.esi_id, self.desk.ref_for(m.esi_id, rec), order.order_id,
                       self.desk.ready_at(), self._passed(order, p), order.order_id, passed_detail(m))

    # -- usage: completion and pass-through -----------------------------------------------------
    def _pass_on(self, m: Message, p: Payload867, to: str, order: Order | None) -> None:
        # what self.desk.send does, without its checks: every monthly read passes here. The
        # parts are shared, not copied: a payload is never changed once it is sent (see Message).
        passed = Payload867(purpose=p.purpose, final=p.final, esi_id_in_ref03=p.esi_id_in_ref03, tdsp=p.tdsp,
                            cr=p.cr, ercot=self.ercot_party, periods=p.periods, meters=p.meters)
        self.desk.ctx.send(Message(m.code, self.desk.duns, to, m.esi_id, m.ref, order.order_id if order else m.orig_ref,
                                   int(self.desk.env.now) + self.desk.timing.ercot_forward_minutes, passed,
                                   order.order_id if order else "", passed_detail(m)))

    def on_867_04(self, m: Message) -> None:
        """Initial read for a gain: the order completes and the REP of record changes."""
        order = self._order_for(m)
        rec = self.reg.records.get(m.esi_id)
        if order is None or rec is None:
            return
        if order.terminal and not (order.state == "cancelled" and not order.cancel_ok):
            return
        # The read is the fact: an order whose cancel the TDSP has not confirmed completes.
        self.desk.set_state(order, "completed")
        if order.link is not None and not order.link.terminal:  # the move-out that led to it
            self.desk.set_state(order.link, "completed", "CSA CR move-in " + order.order_id)
        old = rec.rep
        p = as867(m)
        read = p.meters[0].start
        self._pass_on(m, p, order.cr, order)
        if rec.since is not None and read < rec.since:
            order.detail = "superseded by a later read"  # completions apply in read-date order
            return
        rec.since = read
        self.desk.set_rep(rec, m.esi_id, order.cr, order.order_id)
        for other in self.reg.open_orders(rec):
            moot = (other.kind == "move_out" and other.cr == old) or (
                other.kind == "mass_transition" and other is not order)
            if moot:
                self.desk.cancel_order(other, rec, "stacking: superseded by " + order.order_id)

    def on_867_03(self, m: Message) -> None:
        """Monthly or final usage: passed on; a final read completes a move-out."""
        order = self._order_for(m)
        rec = self.reg.records.get(m.esi_id)
        if rec is None:
            return
        p = as867(m)
        if order is not None and order.kind == "csa_move_in" and order.link is not None:
            self._pass_on(m, p, duns_of(p.cr), order.link)  # the final read of the move-out
        else:
            self._pass_on(m, p, duns_of(p.cr), order)
        open_order = order is not None and (not order.terminal or (order.state == "cancelled" and not order.cancel_ok))
        if order is not None and order.kind == "move_out" and open_order:
            self.desk.set_state(order, "completed")
            end = p.periods[0].end
            if rec.since is not None and end < rec.since:
                order.detail = "superseded by a later read"
                return
            rec.since = end
            self.desk.set_rep(rec, m.esi_id, "", order.order_id)
            for other in self.reg.open_orders(rec):
                if other.kind.startswith("switch") or other.kind == "mass_transition":
                    self.desk.cancel_order(other, rec, "stacking: premise moved out by " + order.order_id)

    def on_867_02(self, m: Message) -> None:
        """Historical usage: passed on; the history order completes."""
        order = self._order_for(m)
        if order is None:
            return
        self._pass_on(m, as867(m), order.cr, order)
        if order.kind == "historical_usage" and not order.terminal:
            self.desk.set_state(order, "completed")

