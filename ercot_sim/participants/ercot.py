"""ERCOT: registration, the ESI ID registry, stacking, forwarding, completion, mass transition.

ERCOT handles what CRs and TDSPs send it and answers only through the transport:

* initiating requests (814_01 switch, 814_16 move-in, 814_24 move-out, 814_26 history) are
  checked (ESI ID known and not retired, requesting CR not in mass transition, date
  reasonableness: not more than 90 days ahead or 270 days back, no duplicate) and rejected
  with 814_02 / 814_17 / 814_25 / 814_27 and a ``REF*7G`` code, or forwarded to the TDSP
  (814_03 with the first available switch date, 814_24, 814_26);
* TDSP answers are passed on (814_04 -> 814_05 + 814_06 loss notice, 814_25, 814_28, 814_09,
  814_13, 814_27, 867s);
* an order completes when its meter read arrives (867_04 for a gain, final 867_03 for a
  move-out) and the REP of record changes then;
* stacking (the practical model of flows.md section 11, [U]): priority move-ins of a batch
  first; a duplicate request is rejected ``ABN``; a completed gain cancels the old REP's
  pending move-out and stale mass-transition orders, a completed move-out cancels pending
  switches (ERCOT 814_08 to the TDSP, 814_08 notice to the CR); a cancel for a finished
  order is rejected ``SOP``; a date change with a stale iteration counter is rejected;
* mass transition: the defaulting CR's new requests are rejected, its open orders cancelled,
  and each of its ESI IDs goes to a POLR with an 814_03 ``BGN07=TS``, 814_14 to the POLR;
* a move-out at a premise with a CSA goes to the CSA CR (814_22) instead of the TDSP, unless
  the CSA CR itself bypasses it (``REF*2W``); CSAs, acquisitions and retail outage windows are
  in :mod:`ercot_sim.participants.ercot_admin`.
"""

from __future__ import annotations

import datetime as dt

from ercot_sim.messages import Fields, Message
from ercot_sim.participants.base import Context, Participant, ymd
from ercot_sim.participants.ercot_admin import MarketAdmin
from ercot_sim.registry import EsiRecord, Order, Registry

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


def _date(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def order_state_after_failed_cancel(order: Order) -> str:
    """State an order returns to when the TDSP refuses ERCOT's cancel (already worked)."""
    return "scheduled" if order.scheduled is not None else "pending"


def cancel_unconfirmed(order: Order) -> bool:
    """Cancelled by ERCOT (stacking, mass transition) and not yet confirmed by the TDSP: what
    the TDSP answers about the order itself (a reject, an unexecutable, a read) still decides
    its end state."""
    return order.state == "cancelled" and order.cancel_ref == "ERCOT" and not order.cancel_ok


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
        #: ERCOT's 814_28 to a CR -> the TDSP's 814_28 it passed on (where the CR's 814_29 goes)
        self._passed_814_28: dict[str, str] = {}
        #: ESI ID maintenance, CSAs, mass transition, acquisitions, outage windows
        self.admin = MarketAdmin(self, registry, polrs)
        self.handle(self.admin)

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

    def _set_rep(self, rec: EsiRecord, esi: str, rep: str, order_id: str) -> None:
        rec.rep = rep
        rec.status = "A" if rep else "D"
        if self.ctx.order_log is not None:
            self.ctx.order_log(esi, int(self.env.now), rep, order_id)

    def reject_request(self, m: Message, code: str, reject: str, reason: str, rec: EsiRecord | None) -> None:
        if reject == "A13" and code in ("814_02", "814_17"):
            reject = "API"  # the code lists allow only A76, API and ABN on these two
        self.send(code, m.sender, m.esi_id, self.ref_for(m.esi_id, rec), m.ref, self.ready_at(),
                  order_id=m.order_id or m.ref, detail=f"reject {reject}", action="reject",
                  reject=reject, reason=reason, cr=m.sender, tdsp=rec.tdsp if rec else "")

    def receive(self, batch: list[Message]) -> None:
        """Priority move-ins of a batch are processed first (processing level 1); during a
        retail outage (A7) what arrives is queued until the outage ends."""
        end = self.admin.outage_end(int(self.env.now)) if self.admin.outages else None
        if end is not None:
            self.at(end, self.receive, batch)
            return
        for m in batch:
            if m.fields.get("priority"):  # stable: without one the order stays as it is
                batch.sort(key=lambda m: 0 if m.fields.get("priority") else 1)
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
        start = m.fields.get("start") or m.fields.get("end")
        if start:
            delta = (_date(start) - self.today()).days
            if delta > self.timing.future_days or -delta > self.timing.past_days:
                self.reject_request(m, code, "A13", "REQUESTED DATE NOT REASONABLE", rec)
                return None
        return rec

    def _new_order(self, m: Message, rec: EsiRecord, kind: str) -> Order:
        start = m.fields.get("start")
        order = Order(m.ref, m.esi_id, kind, m.sender, rec.tdsp, int(self.env.now),
                      _date(start) if start else None)
        order.priority = bool(m.fields.get("priority"))
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
        ss = bool(m.fields.get("start"))
        order = self._new_order(m, rec, "switch_ss" if ss else "switch")
        fasd = self.clock.add_business_days(self.today(), self.timing.fasd_business_days)
        object_by = self.clock.add_business_days(self.today(), self.timing.rescission_days, "FEDERAL")
        self._forward_03(m, rec, order, m.fields["start"] if ss else ymd(fasd),
                         "SSW" if ss else "SW", history=bool(m.fields.get("history")), object_by=ymd(object_by))

    def on_814_16(self, m: Message) -> None:
        """Move-in request (priority ones first, see :meth:`receive`)."""
        rec = self._check(m)
        if rec is None:
            return
        prio = bool(m.fields.get("priority"))
        order = self._new_order(m, rec, "move_in_priority" if prio else "move_in")
        self._forward_03(m, rec, order, m.fields["start"], "PMI" if prio else "MVI", priority=prio)

    def _forward_03(self, m: Message, rec: EsiRecord, order: Order, start: str, kind: str,
                    priority: bool = False, history: bool = False, object_by: str = "") -> None:
        order.fwd_ref = self.ref_for(m.esi_id, rec)
        order.requested = _date(start)
        self.reg.by_ref[order.fwd_ref] = order
        self.send("814_03", rec.tdsp, m.esi_id, order.fwd_ref, order.order_id, self.ready_at(priority),
                  order_id=order.order_id, detail=f"{kind} {start}", tdsp=rec.tdsp, cr=order.cr,
                  start=start, kind=kind, priority=priority, history=history, object_by=object_by)

    def on_814_24(self, m: Message) -> None:
        """Move-out request from the REP of record."""
        rec = self._check(m)
        if rec is None:
            return
        if rec.rep != m.sender:
            self.reject_request(m, "814_25", "A13", "CR NOT REP OF RECORD", rec)
            return
        csa_cr = rec.csa.cr if rec.csa is not None else ""
        bypass = bool(m.fields.get("bypass"))
        if bypass and m.sender != csa_cr:  # REF*2W is for the CSA CR only [C: TXSETCC798]
            self.reject_request(m, "814_25", "A13", "CSA BYPASS BY A CR THAT IS NOT THE CSA CR", rec)
            return
        order = self._new_order(m, rec, "move_out")
        order.requested = _date(m.fields["end"])
        order.td = m.fields.get("td", "")  # 2MR: a second move-out request (RMG 7.16.1)
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
                  order_id=order.order_id, tdsp=rec.tdsp, cr=m.sender)

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
                      order_id=order.order_id, tdsp=order.tdsp, cr=order.cr)

    def on_814_12(self, m: Message) -> None:
        """Date change with its iteration counter; the latest iteration wins."""
        order = self.reg.orders.get(m.orig_ref)
        rec = self.reg.records.get(m.esi_id)
        it = m.fields.get("iteration", "")
        if m.sender in self.admin.defaulting:
            self.reject_request(m, "814_13", "A13", "CR IN MASS TRANSITION", rec)
        elif order is None or order.cr != m.sender or order.terminal or order.cancel_ref:
            self.reject_request(m, "814_13", "A13", "NO PENDING ORDER", rec)
        elif it <= order.iteration:
            self.reject_request(m, "814_13", "A13", "STALE ITERATION", rec)
        elif (_date(m.fields["start"]) - self.today()).days > self.timing.future_days:
            self.reject_request(m, "814_13", "A13", "REQUESTED DATE NOT REASONABLE", rec)
        else:
            order.iteration = it
            order.dc_ref = m.ref
            ref = self.ref_for(m.esi_id, rec)
            self.reg.by_ref[ref] = order
            self.send("814_12", order.tdsp, m.esi_id, ref, order.fwd_ref, self.ready_at(),
                      order_id=order.order_id, detail=f"date {m.fields['start']}", tdsp=order.tdsp,
                      cr=order.cr, start=m.fields["start"], iteration=it)

    # -- CR acknowledgements ---------------------------------------------------------------
    def on_814_07(self, m: Message) -> None:
        """Loss notification response: nothing to do (legacy acknowledgement)."""

    def on_814_15(self, m: Message) -> None:
        """POLR's response to the 814_14: nothing further."""

    def on_814_29(self, m: Message) -> None:
        """CR response to an 814_28: passed on to the TDSP."""
        order = self.reg.orders.get(m.order_id)
        if order is None:
            return
        # the TDSP's 814_28 that ERCOT's 814_28 (the one the CR answers) passed on
        tdsp_ref = self._passed_814_28.pop(m.orig_ref, "")
        self.send("814_29", order.tdsp, m.esi_id, m.ref, tdsp_ref, self.ready_at(),
                  order_id=order.order_id, tdsp=order.tdsp, cr=m.sender, unexec=m.fields.get("unexec", ""))

    # -- TDSP answers -------------------------------------------------------------------------
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
        f = m.fields
        if order.kind == "csa_move_in" and is_open:
            self.admin.csa_answered(order, rec, f.get("action") != "reject", f.get("start", ""))
        if f.get("action") == "reject":
            if is_open or cancel_unconfirmed(order):  # the TDSP never had the order: rejected
                self.set_state(order, "rejected", f"tdsp {f.get('reject')}")
            if order.kind != "mass_transition":
                self.send("814_05", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id,
                          self.ready_at(), order_id=order.order_id, detail=f"reject {f.get('reject')}",
                          action="reject", reject=f.get("reject", ""), reason=f.get("reason", ""),
                          tdsp=order.tdsp, cr=order.cr)
            return
        smrd = _date(f["start"])
        if is_open:
            order.scheduled = smrd
            if order.state in ("pending", "permit"):
                self.set_state(order, "scheduled")
        if order.kind == "mass_transition":
            self.send("814_14", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id,
                      self.ready_at(), order_id=order.order_id, detail=f"date {f['start']}",
                      tdsp=order.tdsp, cr=order.cr, start=f["start"], bgn07="TS", hold=f.get("hold", ""))
        else:
            answer: Fields = {"tdsp": order.tdsp, "cr": order.cr, "start": f["start"]}
            if order.kind == "acquisition":
                answer["bgn07"] = "AQ"
            self.send("814_05", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id,
                      self.ready_at(order.priority), order_id=order.order_id, detail=f"date {f['start']}", **answer)
        if not is_open:
            return
        self._plan_loss_notice(order, rec, smrd)

    def _plan_loss_notice(self, order: Order, rec: EsiRecord, smrd: dt.date) -> None:
        """Plan the 814_06 the rule's lead time before the scheduled read (now if closer)."""
        losing = rec.rep
        if order.kind == "csa_move_in":  # the moving-out CR asked for it: it has its 814_25
            return
        if losing and losing != order.cr and not order.loss_sent:
            lead = self.timing.loss_notice_switch_bd if order.kind.startswith("switch") else \
                self.timing.loss_notice_move_in_bd
            when = self.clock.minute(self.clock.add_business_days(smrd, -lead), "08:00")
            if when > self.ready_at():
                self.at(when, self._loss_notice, order, losing)
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
        start = ymd(order.scheduled)
        self.send("814_06", losing, order.esi_id, self.ref_for(order.esi_id, rec), order.fwd_ref, self.ready_at(),
                  order_id=order.order_id, detail=f"loss {start}", tdsp=order.tdsp, cr=losing, start=start)

    def on_814_25(self, m: Message) -> None:
        """TDSP answer to a move-out: passed on to the CR."""
        order = self._order_for(m)
        if order is None or order.terminal:
            return
        f = m.fields
        rec = self.reg.records[m.esi_id]
        if f.get("action") == "reject":
            self.set_state(order, "rejected", f"tdsp {f.get('reject')}")
            answer: Fields = {"action": "reject", "reject": f.get("reject", ""), "reason": f.get("reason", "")}
        else:
            order.scheduled = _date(f["end"])
            self.set_state(order, "scheduled")
            answer = {"end": f["end"]}
        answer.update({"tdsp": order.tdsp, "cr": order.cr})
        self.send("814_25", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id, self.ready_at(),
                  order_id=order.order_id, detail=m.detail, **answer)

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
        reason = m.fields.get("unexec", "")
        if reason == "PERMIT":
            self.set_state(order, "permit")
        else:
            self.set_state(order, "unexecutable", reason)
        sent = self.send("814_28", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id,
                         self.ready_at(), order_id=order.order_id, detail=m.detail, tdsp=order.tdsp, cr=order.cr,
                         unexec=reason, reason=m.fields.get("reason", ""))
        self._passed_814_28[sent.ref] = m.ref

    def on_814_09(self, m: Message) -> None:
        """TDSP answer to a cancel."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        f = m.fields
        accepted = f.get("action") != "reject"
        if accepted:
            order.cancel_ok = True
        if not accepted and order.state == "cancelled" and order.cancel_ref == "ERCOT":
            self.set_state(order, order_state_after_failed_cancel(order), "ERCOT cancel rejected by TDSP")
        if accepted and not order.terminal:
            self.set_state(order, "cancelled", order.detail or "cancel")
            if order.loss_sent and order.old_rep:  # the losing CR keeps its customer
                self.send("814_08", order.old_rep, m.esi_id, self.ref_for(m.esi_id, rec), order.fwd_ref,
                          self.ready_at(), order_id=order.order_id, detail="loss cancelled",
                          tdsp=order.tdsp, cr=order.old_rep)
        if order.cancel_ref and order.cancel_ref != "ERCOT":
            answer: Fields = {"tdsp": order.tdsp, "cr": order.cr}
            if not accepted:
                answer.update({"action": "reject", "reject": f.get("reject", ""), "reason": f.get("reason", "")})
            self.send("814_09", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.cancel_ref,
                      self.ready_at(), order_id=order.order_id, detail=m.detail, **answer)
        if not accepted and order.cancel_ref:
            order.cancel_ref = ""

    def on_814_13(self, m: Message) -> None:
        """TDSP answer to a date change."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        f = m.fields
        answer: Fields = {"iteration": f.get("iteration", "")}
        if f.get("action") == "reject":
            answer.update({"action": "reject", "reject": f.get("reject", ""), "reason": f.get("reason", "")})
        else:
            order.scheduled = _date(f["start"])
            answer["start"] = f["start"]
            if not order.terminal:  # a new date moves the loss notice with it
                self._plan_loss_notice(order, rec, order.scheduled)
        answer.update({"tdsp": order.tdsp, "cr": order.cr})
        self.send("814_13", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.dc_ref, self.ready_at(),
                  order_id=order.order_id, detail=m.detail, **answer)

    def on_814_27(self, m: Message) -> None:
        """Historical usage response: passed on; a reject ends the order."""
        order = self._order_for(m)
        if order is None:
            return
        rec = self.reg.records[m.esi_id]
        f = m.fields
        answer: Fields = {"tdsp": order.tdsp, "cr": order.cr}
        if f.get("action") == "reject":
            self.set_state(order, "rejected", f"tdsp {f.get('reject')}")
            answer.update({"action": "reject", "reject": f.get("reject", ""), "reason": f.get("reason", "")})
        self.send("814_27", order.cr, m.esi_id, self.ref_for(m.esi_id, rec), order.order_id, self.ready_at(),
                  order_id=order.order_id, detail=m.detail, **answer)

    # -- usage: completion and pass-through -----------------------------------------------------
    def _pass_on(self, m: Message, to: str, order: Order | None) -> None:
        # what self.send does, without its keyword dict: every monthly read passes here. The
        # fields are shared, not copied: a message's fields are never changed once it is sent
        # (see Message).
        self.ctx.send(Message(m.code, self.duns, to, m.esi_id, m.ref, order.order_id if order else m.orig_ref,
                              int(self.env.now) + self.timing.ercot_forward_minutes, m.fields,
                              order.order_id if order else "", m.detail))

    def on_867_04(self, m: Message) -> None:
        """Initial read for a gain: the order completes and the REP of record changes."""
        order = self._order_for(m)
        rec = self.reg.records.get(m.esi_id)
        if order is None or rec is None:
            return
        if order.terminal and not (order.state == "cancelled" and not order.cancel_ok):
            return
        # The read is the fact: an order whose cancel the TDSP has not confirmed completes.
        self.set_state(order, "completed")
        if order.link is not None and not order.link.terminal:  # the move-out that led to it
            self.set_state(order.link, "completed", "CSA CR move-in " + order.order_id)
        old = rec.rep
        read = _date(m.fields["start"])
        self._pass_on(m, order.cr, order)
        if rec.since is not None and read < rec.since:
            order.detail = "superseded by a later read"  # completions apply in read-date order
            return
        rec.since = read
        self._set_rep(rec, m.esi_id, order.cr, order.order_id)
        for other in self.reg.open_orders(rec):
            moot = (other.kind == "move_out" and other.cr == old) or (
                other.kind == "mass_transition" and other is not order)
            if moot:
                self.cancel_order(other, rec, "stacking: superseded by " + order.order_id)

    def on_867_03(self, m: Message) -> None:
        """Monthly or final usage: passed on; a final read completes a move-out."""
        order = self._order_for(m)
        rec = self.reg.records.get(m.esi_id)
        if rec is None:
            return
        if order is not None and order.kind == "csa_move_in" and order.link is not None:
            self._pass_on(m, m.fields["cr"], order.link)  # the final read of the move-out
        else:
            self._pass_on(m, m.fields["cr"], order)
        open_order = order is not None and (not order.terminal or (order.state == "cancelled" and not order.cancel_ok))
        if order is not None and order.kind == "move_out" and open_order:
            self.set_state(order, "completed")
            end = _date(m.fields["end"])
            if rec.since is not None and end < rec.since:
                order.detail = "superseded by a later read"
                return
            rec.since = end
            self._set_rep(rec, m.esi_id, "", order.order_id)
            for other in self.reg.open_orders(rec):
                if other.kind.startswith("switch") or other.kind == "mass_transition":
                    self.cancel_order(other, rec, "stacking: premise moved out by " + order.order_id)

    def on_867_02(self, m: Message) -> None:
        """Historical usage: passed on; the history order completes."""
        order = self._order_for(m)
        if order is None:
            return
        self._pass_on(m, order.cr, order)
        if order.kind == "historical_usage" and not order.terminal:
            self.set_state(order, "completed")

    def cancel_order(self, order: Order, rec: EsiRecord, why: str) -> None:
        """ERCOT-initiated cancel: 814_08 to the TDSP and an 814_08 notice to the CR."""
        self.set_state(order, "cancelled", why)
        order.cancel_ref = "ERCOT"
        if order.fwd_ref:
            ref = self.ref_for(order.esi_id, rec)
            self.reg.by_ref[ref] = order
            self.send("814_08", order.tdsp, order.esi_id, ref, order.fwd_ref, self.ready_at(),
                      order_id=order.order_id, detail=why[:40], tdsp=order.tdsp, cr=order.cr)
        if order.kind != "mass_transition":
            self.send("814_08", order.cr, order.esi_id, self.ref_for(order.esi_id, rec), order.order_id,
                      self.ready_at(), order_id=order.order_id, detail=why[:40], tdsp=order.tdsp, cr=order.cr)
        if order.loss_sent and order.old_rep and order.old_rep != order.cr:
            self.send("814_08", order.old_rep, order.esi_id, self.ref_for(order.esi_id, rec), order.fwd_ref,
                      self.ready_at(), order_id=order.order_id, detail="loss cancelled", tdsp=order.tdsp,
                      cr=order.old_rep)
