"""A competitive retailer (CR / REP); AREP and POLR are roles it plays, given as data.

A CR acts on its customers' events (switch, move-in, move-out, cancel, date change with an
iteration counter, historical usage, switch-hold service orders) and answers what it
receives: 814_07 for a loss notice, 814_15 for a POLR drop notice, 814_29 for an 814_28,
824 to reject an invoice (within the validation window), 820_02 to pay a validated one
on its due date, and 650_05 to reject a suspension notice for an ESI ID it does not serve.
A move-out that comes back unexecutable for tampering (``T019``) is sent again as a second
move-out request (``REF*TD 2MR``). A customer's rescission after its switch completed goes
through MarkeTrak (out of band): as the losing CR it agrees, and once the TDSP is Ready to
Receive takes the customer back with an 814_16 backdated to the switch date (flows.md 5,
C10). With ``opening_invoices`` it pays last month's invoices on their due dates. It knows
only what reached it: its customers are the ESI IDs for which it got an 867_04 (or started
with), minus those for which it got a final 867_03.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from edi.texas_set.payloads import Payload650, Payload814
from ercot_sim.market.codes import PERMIT_PENDING, SECOND_MOVE_OUT
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message, OutOfBand, as650, as814, as867, out_of_band
from ercot_sim.market.participants.base import Context, Participant, ymd
from ercot_sim.market.participants.cr_billing import Billing
from ercot_sim.market.participants.cr_followup import FollowUp
from ercot_sim.market.participants.cr_requests import CustomerRequests

__all__ = ["Cr"]


#: business days after an inadvertent gain's initial read until the gaining CR finds it (the
#: customer at the premise gained calls): assumed, no source gives it
INADVERTENT_FOUND_BD = 3
#: days without monthly usage at an ESI ID it serves before its team opens a Usage & Billing -
#: Missing issue: assumed. A read cycle is about 30 days, but the first usage after a gain may
#: take up to two (a read within 20 days of the gain is not billed), about 50 days; the work
#: queue shows the ESI ID from that (ercot_sim.books.worklist.USAGE_OVERDUE_DAYS)
USAGE_MISSING_DAYS = 60
_USAGE_MISSING_MINUTES = USAGE_MISSING_DAYS * 1440


class Cr(Participant):
    """A CR.

    Args:
        ctx: run context.
        name, duns: the CR.
        roles: ``AREP`` / ``POLR``.
        tdsp_of: ESI ID -> TDSP DUNS (the public ESI ID extract).
        invoice_reject: share of 810_02 it rejects with an 824.
    """

    def __init__(self, ctx: Context, name: str, duns: str, roles: list[str], tdsp_of: Callable[[str], str],
                 invoice_reject: float = 0.0, safety_net: bool = False) -> None:
        super().__init__(ctx, name, duns)
        self.roles = roles
        self.tdsp_of = tdsp_of
        self.customers: set[str] = set()
        self.pending: dict[str, list[list[str]]] = {}  # esi -> [[order_ref, kind, iteration]]
        self.skipped: list[tuple[str, str, str]] = []
        self.last_order: dict[str, str] = {}
        self.safety_net = safety_net  # sends safety-net move-ins when D2 triggers (scenario data)
        self.confirmed: set[str] = set()  # move-ins with an 814_05 or 814_28 permit pending
        self.nets: dict[str, str] = {}  # move-in ref -> TDSP, for safety nets sent and still open
        #: its cancels' and date changes' references -> the order they change (see order_of)
        self.changes: dict[str, str] = {}
        #: ESI IDs its requests named for customers at another premise (an inadvertent switch):
        #: ESI ID -> the customer's premise, and the request's kind (switch, move_in)
        self.premises: dict[str, tuple[str, str]] = {}
        #: ESI ID -> the minute its next monthly usage is overdue (only inside the run), the
        #: ESI IDs to look at per such minute, and those with a Usage & Billing - Missing issue
        self._usage_due: dict[str, int] = {}
        self._usage_sweeps: dict[int, list[str]] = {}
        self._usage_issues: set[str] = set()
        #: what the customers ask for, as requests to ERCOT and the TDSP
        self.requests = CustomerRequests(self)
        #: invoices checked, rejected (824) or paid (820_02)
        self.billing = Billing(self, invoice_reject)
        self.handle(self.billing)
        #: answers and completions of its requests that do not come (MarkeTrak)
        self.followup = FollowUp(self)
        self.handle(self.followup)

    @staticmethod
    def answer_ref(orig: str, letter: str = "") -> str:
        """The reference of an answer, derived from the one it answers: unique across CRs
        because what it answers is (ERCOT ``E...`` -> ``A...``, TDSP ``T...`` -> ``V...``)."""
        return (letter or {"E": "A", "T": "V"}.get(orig[:1], "R")) + orig[1:]

    def _soon(self, *key: object) -> int:
        return int(self.env.now) + 30 + int(self.u("soon", *key) * 90)

    def pending_add(self, esi: str, ref: str, kind: str) -> None:
        self.pending.setdefault(esi, []).append([ref, kind, ""])
        self.last_order[esi] = ref
        self.followup.sent(esi, ref, kind)

    def _pending_drop(self, esi: str, ref: str) -> None:
        lst = self.pending.get(esi)
        if lst:
            lst[:] = [p for p in lst if p[0] != ref]
            if not lst:
                del self.pending[esi]

    def latest(self, esi: str) -> list[str] | None:
        lst = self.pending.get(esi)
        return lst[-1] if lst else None

    # -- safety-net move-in (flows.md 3.3, D1/D2) -----------------------------------------------
    #: D1 deadlines of the safety net (the RMG's since RMGRR162, the PUCT's noon); the CR meets
    #: every one the rule set has switched on
    SAFETY_NET_DEADLINES = ("D1-cr-safety-net-rmg162", "D1-cr-safety-net")
    #: D1: the TDSP rejects a safety net received before this rule's moment
    SAFETY_NET_OPENS = "D1-tdsp-safety-net-early"

    def plan_safety_net(self, esi: str, ref: str, start: dt.date, priority: bool, tdsp: str) -> None:
        """Look again shortly before the D1 deadline (the rule's business days before the
        move-in date, on the TDSP's calendar) whether D2 triggers; never before the TDSP takes
        safety nets (D1's early reject)."""
        rules = self.ctx.rules
        if rules is None or start < self.today():  # a backdated move-in needs no safety net
            return
        anchor = self.clock.minute(start, "00:00")
        cal = self.ctx.tdsp_calendar.get(tdsp, "ERCOT")
        dues = [d for d in (rules.due(r, anchor, cal) for r in self.SAFETY_NET_DEADLINES)
                if d is not None]
        if not dues:
            return
        at = max(min(dues) - 30, int(self.env.now))
        opens = rules.due(self.SAFETY_NET_OPENS, anchor, cal)
        if opens is not None:
            at = max(at, opens)
        self.at(at, self._safety_net, esi, ref, start, priority, tdsp)

    def _safety_net(self, esi: str, ref: str, start: dt.date, priority: bool, tdsp: str) -> None:
        """D2: neither an 814_05 nor an 814_28 permit pending yet: the safety net goes straight
        to the TDSP, out of band (recorded in the trace, no X12)."""
        if ref in self.confirmed or not any(p[0] == ref for p in self.pending.get(esi, ())):
            self.confirmed.discard(ref)
            return
        manual = self.ctx.manual
        if manual is None:
            return
        manual(Message("safety-net", self.duns, tdsp, esi, "S" + ref[1:], ref, int(self.env.now),
                       OutOfBand(cr=self.duns, tdsp=tdsp, start=start, priority=priority), ref,
                       f"safety net {ymd(start)}"))
        self.nets[ref] = tdsp

    # -- answers from ERCOT ---------------------------------------------------------------------
    def order_of(self, m: Message) -> str:
        """The order an answer is about, from what the transaction says: its BGN06 is the
        reference of the CR's request (or of the cancel / date change that changed it, mapped
        to the order through the CR's own records). Not ``m.order_id``: that is the trace's
        annotation, which a party reading only files does not have."""
        return self.changes.get(m.orig_ref, m.orig_ref)

    def _closed(self, m: Message, withdrawn: bool = False) -> None:
        order = self.order_of(m)
        self._pending_drop(m.esi_id, order)
        self.followup.closed(m.esi_id, order, withdrawn)

    def on_814_02(self, m: Message) -> None:
        """Request rejected by ERCOT (a duplicate's reject leaves the original pending)."""
        if as814(m).reject_code != "ABN":
            self._closed(m)

    def on_814_17(self, m: Message) -> None:
        """Move-in rejected by ERCOT; a safety net already sent for it is withdrawn at the TDSP
        (out of band, like the safety net itself)."""
        self.on_814_02(m)
        reject = as814(m).reject_code
        tdsp = self.nets.pop(self.order_of(m), None) if reject != "ABN" else None
        if tdsp is not None and self.ctx.manual is not None:
            ref = self.order_of(m)
            self.ctx.manual(Message("safety-net-cancel", self.duns, tdsp, m.esi_id, "X" + ref[1:], "S" + ref[1:],
                                    int(self.env.now), OutOfBand(cr=self.duns, tdsp=tdsp), ref,
                                    f"safety net withdrawn ({reject or ''})"))

    def on_814_19(self, m: Message) -> None:
        """Answer to our CSA request (nothing to track: ERCOT holds the CSA)."""

    def on_814_22(self, m: Message) -> None:
        """The occupant of a premise where we hold the CSA moves out: we take it (814_23)."""
        p = as814(m)
        if self.rejects(m):
            answer = Payload814(cr=self.party(self.duns), tdsp=p.tdsp, action="reject", reject_code="A13",
                                reject_text="CSA CR DECLINES")
            self.send("814_23", self.ctx.ercot, m.esi_id, self.answer_ref(m.ref), m.ref, self._soon(m.ref), answer,
                      m.order_id, "reject")
            return
        start = p.requested_date
        self.send("814_23", self.ctx.ercot, m.esi_id, self.answer_ref(m.ref), m.ref, self._soon(m.ref),
                  Payload814(cr=self.party(self.duns), tdsp=p.tdsp), m.order_id,
                  f"accept {ymd(start) if start else ''}")

    def on_814_05(self, m: Message) -> None:
        """Switch / move-in accepted (with date) or rejected by the TDSP."""
        p = as814(m)
        if p.action == "reject":
            self._closed(m)
            return
        self.followup.answered(m.esi_id, self.order_of(m), p.scheduled_date)
        if self.safety_net:
            self.confirmed.add(self.order_of(m))

    def on_814_25(self, m: Message) -> None:
        """Move-out scheduled or rejected."""
        p = as814(m)
        if p.action == "reject":
            self._closed(m)
        else:
            self.followup.answered(m.esi_id, self.order_of(m), p.end_date or p.scheduled_date)

    def on_814_27(self, m: Message) -> None:
        """Historical usage request accepted or rejected."""
        if as814(m).action == "reject":
            self._closed(m)

    def on_867_02(self, m: Message) -> None:
        """Historical usage arrived."""
        lst = self.pending.get(m.esi_id) or []
        if any(p[0] == self.order_of(m) and p[1] == "historical_usage" for p in lst):
            self._closed(m)

    def on_814_06(self, m: Message) -> None:
        """Loss notice: acknowledge with an 814_07 (it cannot stop the switch)."""
        self.send("814_07", self.ctx.ercot, m.esi_id, self.answer_ref(m.ref), m.ref, self._soon(m.ref),
                  Payload814(cr=self.party(self.duns), tdsp=as814(m).tdsp), m.order_id)

    def on_814_14(self, m: Message) -> None:
        """POLR drop notice in a mass transition: answer with an 814_15."""
        self.send("814_15", self.ctx.ercot, m.esi_id, self.answer_ref(m.ref), m.ref, self._soon(m.ref),
                  Payload814(cr=self.party(self.duns), tdsp=as814(m).tdsp, transition_type="TS"), m.order_id)

    def on_814_08(self, m: Message) -> None:
        """ERCOT cancelled one of our orders (stacking or mass transition)."""
        self._closed(m)

    def on_814_09(self, m: Message) -> None:
        """Answer to our cancel: the order is withdrawn."""
        if as814(m).action != "reject":
            self._closed(m, withdrawn=True)

    def on_814_13(self, m: Message) -> None:
        """Answer to our date change: the new date, when it is accepted."""
        p = as814(m)
        if p.action != "reject" and p.scheduled_date is not None:
            self.followup.answered(m.esi_id, self.order_of(m), p.scheduled_date)

    def on_814_28(self, m: Message) -> None:
        """Unexecutable or permit pending: acknowledge with an 814_29."""
        p = as814(m)
        unexec = p.unexecutable_code
        self.send("814_29", self.ctx.ercot, m.esi_id, self.answer_ref(m.ref), m.ref, self._soon(m.ref),
                  Payload814(cr=self.party(self.duns), tdsp=p.tdsp, unexecutable_code=unexec), m.order_id)
        order = self.order_of(m)
        if unexec == "T019" and order[:1] == "C" and any(
                p[0] == order and p[1] == "move_out" for p in self.pending.get(m.esi_id, ())):
            # tampering found at the premise: the customer has still left, so a second move-out
            # request (REF*TD 2MR), which the TDSP always completes [RMG 7.16.1]
            self.at(self._soon(m.ref, "2MR"), self._second_move_out, m.esi_id, order)
        if unexec != PERMIT_PENDING:
            self._closed(m)
            return
        self.followup.answered(m.esi_id, order, None)
        if self.safety_net:
            self.confirmed.add(order)

    def _second_move_out(self, esi: str, first: str) -> None:
        """A second move-out request after a T019, for the TDSP's usual notice ahead (two
        retail business days, as for a date change)."""
        if esi not in self.customers:
            return
        ref = "M" + first[1:]  # unique: derived from the first request's C... reference
        tdsp = self.tdsp_of(esi)
        end = self.clock.add_business_days(self.today(), self.timing.date_change_notice_bd,
                                           self.ctx.tdsp_calendar.get(tdsp, "ERCOT"))
        self.send("814_24", self.ctx.ercot, esi, ref, "", int(self.env.now),
                  Payload814(end_date=end, cr=self.party(self.duns), tdsp=self.party(tdsp),
                             maintenance_reason=SECOND_MOVE_OUT), ref, f"{ymd(end)} 2MR")
        self.pending_add(esi, ref, "move_out")

    def on_867_04(self, m: Message) -> None:
        """Initial read: the customer is ours from the read date. A gain its records say is not
        its customer's premise (an inadvertent switch) is found a few business days later."""
        if m.esi_id not in self.customers:
            read = as867(m).meters
            self.book(m.esi_id, "serves", "0", "1", ymd(read[0].start) if read else "", m.ref)
            self.watch_usage(m.esi_id)
            if m.esi_id in self.premises:
                found = self.within_business_days(int(self.env.now), INADVERTENT_FOUND_BD, "ERCOT", m.ref, "iag")
                self.at(found, self._inadvertent_gain, m.esi_id, self.order_of(m))
        self.customers.add(m.esi_id)
        if self.nets:
            self.nets.pop(self.order_of(m), None)
        self._closed(m)

    def on_867_03(self, m: Message) -> None:
        """Monthly usage, or the final read when the customer leaves."""
        usage = as867(m)
        self.watch_usage(m.esi_id)
        if usage.final:
            if m.esi_id in self.customers:
                self.book(m.esi_id, "serves", "1", "0", ymd(usage.periods[-1].end) if usage.periods else "", m.ref)
            self.customers.discard(m.esi_id)
            if m.orig_ref:  # the final read of an order (a move-out, a loss)
                self._closed(m)

    # -- monthly usage that does not come (MarkeTrak Usage & Billing - Missing) --------------------
    def watch_usage(self, esi: str) -> None:
        """From now, the next monthly usage for ``esi`` is due within :data:`USAGE_MISSING_DAYS`
        days; when it has not come by then, a Usage & Billing - Missing issue is opened. Only
        a deadline inside the run is watched."""
        now = int(self.env.now)
        due = now + _USAGE_MISSING_MINUTES
        if due < self.ctx.horizon:
            due = self.clock.minute(self.clock.plus_days(self.clock.date(now), USAGE_MISSING_DAYS), "08:00")
        if due >= self.ctx.horizon:  # not overdue inside the run: nothing to watch
            if self._usage_due:
                self._usage_due.pop(esi, None)
            return
        self._usage_due[esi] = due
        sweep = self._usage_sweeps.get(due)
        if sweep is None:
            sweep = self._usage_sweeps[due] = []
            self.at(due, self._usage_sweep, due)
        sweep.append(esi)

    def _usage_sweep(self, due: int) -> None:
        if self.remote:  # another market plays it (watched before that was known): it watches itself
            return
        for esi in self._usage_sweeps.pop(due, ()):
            if self._usage_due.get(esi) != due or esi not in self.customers or esi in self._usage_issues:
                continue  # usage came since, the customer left, or an issue is open already
            self._usage_issues.add(esi)
            self.ctx.manual(Message("marketrak-usage-missing", self.duns, self.ctx.ercot, esi,
                                    f"U{self.duns}-{esi}", "", due,
                                    OutOfBand(cr=self.duns, tdsp=self.tdsp_of(esi), issue="Usage & Billing - Missing"),
                                    "", "no monthly usage"))

    def manual_marketrak_in_progress(self, m: Message) -> None:
        """The assignee works one of its issues: nothing to do but wait for what it sends."""

    def manual_marketrak_unexecutable(self, m: Message) -> None:
        """The assignee cannot do what one of its issues asks (the TDSP does not show it as the
        REP of record): left to its work queue."""

    # -- an inadvertent gain (MarkeTrak, RMGRR133) -------------------------------------------------
    def note_premise(self, esi: str, premise: str, ref: str, kind: str) -> None:
        """Its request ``ref`` (a ``kind``: switch, move_in) named ``esi`` for a customer at
        ``premise``: kept in its records."""
        self.premises[esi] = (premise, kind)
        self.book(esi, "premise", "", premise, "", ref)

    def _inadvertent_gain(self, esi: str, order: str) -> None:
        """The gain is found not to be its customer's (the customer at the premise gained never
        chose it): an Inadvertent Gain issue in MarkeTrak, which ERCOT routes to the losing CR;
        and the customer's own premise is enrolled."""
        premise, kind = self.premises.pop(esi, ("", ""))
        if esi not in self.customers or not premise:
            return
        now, tdsp = int(self.env.now), self.tdsp_of(esi)
        self.ctx.manual(Message("marketrak-inadvertent-gain", self.duns, self.ctx.ercot, esi, "I" + order[1:], order,
                                now, OutOfBand(cr=self.duns, tdsp=tdsp, issue="Inadvertent Gain"), order,
                                "inadvertent gain"))
        ref = "J" + order[1:]
        party, tdsp_party = self.party(self.duns), self.party(self.tdsp_of(premise))
        if kind == "move_in":  # the customer moves in at the premise meant, as soon as the TDSP can
            start = self.clock.add_business_days(self.today(), 2, self.ctx.tdsp_calendar.get(self.tdsp_of(premise),
                                                                                             "ERCOT"))
            self.send("814_16", self.ctx.ercot, premise, ref, "", now,
                      Payload814(cr=party, tdsp=tdsp_party, requested_date=start, customer=customer_of(premise)), ref,
                      f"{ymd(start)} (the premise meant)")
        else:
            self.send("814_01", self.ctx.ercot, premise, ref, "", now,
                      Payload814(cr=party, tdsp=tdsp_party, customer=customer_of(premise)), ref,
                      "standard (the premise meant)")
        self.pending_add(premise, ref, kind or "switch")

    def manual_marketrak_inadvertent_gain(self, m: Message) -> None:
        """As the losing CR of an inadvertent gain: agree (the customer never chose to leave) and
        regain the ESI ID as the issue says, through the TDSP's Ready to Receive as for a
        rescission. No deadline for the agreement is confirmed: two business days, as C10."""
        at = self.within_business_days(int(self.env.now), 2, "ERCOT", m.ref, "agree")
        self.at(at, self.ctx.manual, Message("marketrak-agree", self.duns, out_of_band(m).tdsp, m.esi_id,
                                             "G" + m.ref[1:], m.ref, at, m.payload, m.order_id, "losing CR agrees"))

    # -- customer rescission after completion (MarkeTrak, flows.md 5, C10) -----------------------
    def manual_marketrak_rescission(self, m: Message) -> None:
        """As the losing CR: agree to the rescission within the rule's 2 business days; the
        issue then goes to the TDSP, which marks it Ready to Receive."""
        at = self.answer_time(int(self.env.now), "C10-cr-rescission-agree", "ERCOT", 2, m.ref, "agree")
        self.at(at, self.ctx.manual, Message("marketrak-agree", self.duns, out_of_band(m).tdsp, m.esi_id,
                                             "G" + m.ref[1:], m.ref, at, m.payload, m.order_id, "losing CR agrees"))

    def manual_marketrak_ready_to_receive(self, m: Message) -> None:
        """Ready to Receive: take the customer back with an 814_16 backdated to the switch date
        (within the rule's 2 business days), as if the switch never happened."""
        at = self.answer_time(int(self.env.now), "C10-cr-backdated-814_16", "ERCOT", 2, m.ref, "back")
        self.at(at, self._take_back, m)

    def _take_back(self, m: Message) -> None:
        ref = "B" + m.ref[1:]
        issue = out_of_band(m)
        start = issue.start
        self.send("814_16", self.ctx.ercot, m.esi_id, ref, "", int(self.env.now),
                  Payload814(requested_date=start, cr=self.party(self.duns), tdsp=self.party(issue.tdsp),
                             customer=customer_of(m.esi_id)), ref,
                  f"{ymd(start) if start else ''} {issue.issue.lower() or 'rescission'}")
        self.pending_add(m.esi_id, ref, "move_in")

    def on_650_02(self, m: Message) -> None:
        """Service order answer."""

    def on_650_04(self, m: Message) -> None:
        """Suspension / reactivation notice from the TDSP. The CR rejects it with a 650_05
        (flows.md 14) when the ESI ID is not one it serves (``A76``) or a scenario fault makes
        it reject (``A13``)."""
        if m.esi_id in self.customers and not self.rejects(m):
            return
        code, reason = ("A13", "REJECTED BY CR") if m.esi_id in self.customers else ("A76", "ESI ID NOT SERVED BY CR")
        ready = self.within_business_days(int(self.env.now), 1, "ERCOT", m.ref, "650_05")
        p = as650(m)
        self.send("650_05", m.sender, m.esi_id, self.answer_ref(m.ref), m.ref, ready,
                  Payload650(cr=self.party(self.duns), tdsp=self.party(m.sender), order_type=p.order_type,
                             service_date=p.service_date, purpose="response", reject_code=code, reject_text=reason),
                  detail=f"reject {code}")
