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
from dataclasses import dataclass
from typing import ClassVar

from typing_extensions import Unpack

from ercot_sim.emit import invoice_total
from ercot_sim.messages import Fields, Message
from ercot_sim.participants.base import Context, Participant, ymd
from ercot_sim.population import PlannedEvent, unit
from ercot_sim.scenario import Event
from ercot_sim.tariff import billed_charges

__all__ = ["Cr"]


@dataclass(slots=True)
class _Request:
    """One customer event as the CR acts on it."""

    ev: Event
    esi: str
    ref: str
    now: int
    cr: str
    tdsp: str
    #: the ESI ID the request names (a scenario fault may mistype it)
    target: str
    #: the requested date (CCYYMMDD), if the customer asked for one
    requested: str | None

    def fields(self, **more: Unpack[Fields]) -> Fields:
        """The parties, and what the request adds."""
        return {"cr": self.cr, "tdsp": self.tdsp, **more}


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
        self.invoice_reject = invoice_reject
        self._pay_at: dict[tuple[str, int], int] = {}  # (invoice due date, received) -> payment minute
        self.customers: set[str] = set()
        self.pending: dict[str, list[list[str]]] = {}  # esi -> [[order_ref, kind, iteration]]
        self.skipped: list[tuple[str, str, str]] = []
        self.last_order: dict[str, str] = {}
        self.safety_net = safety_net  # sends safety-net move-ins when D2 triggers (scenario data)
        self.confirmed: set[str] = set()  # move-ins with an 814_05 or 814_28 permit pending
        self.nets: dict[str, str] = {}  # move-in ref -> TDSP, for safety nets sent and still open

    @staticmethod
    def _answer_ref(orig: str, letter: str = "") -> str:
        """The reference of an answer, derived from the one it answers: unique across CRs
        because what it answers is (ERCOT ``E...`` -> ``A...``, TDSP ``T...`` -> ``V...``)."""
        return (letter or {"E": "A", "T": "V"}.get(orig[:1], "R")) + orig[1:]

    def _soon(self, *key: object) -> int:
        return int(self.env.now) + 30 + int(self.u("soon", *key) * 90)

    def _pending_add(self, esi: str, ref: str, kind: str) -> None:
        self.pending.setdefault(esi, []).append([ref, kind, ""])
        self.last_order[esi] = ref

    def _pending_drop(self, esi: str, ref: str) -> None:
        lst = self.pending.get(esi)
        if lst:
            lst[:] = [p for p in lst if p[0] != ref]
            if not lst:
                del self.pending[esi]

    def _latest(self, esi: str) -> list[str] | None:
        lst = self.pending.get(esi)
        return lst[-1] if lst else None

    # -- customer events ------------------------------------------------------------------
    def event(self, pe: PlannedEvent) -> None:
        """Act on one planned customer event (a table from the event's kind to its request)."""
        ev = pe.event
        handler = self._EVENTS.get(ev.kind)
        if handler is None:
            return
        esi = pe.esi_id
        ref = f"C{esi}{pe.ordinal:04d}"
        target = esi
        if ev.kind in ("switch", "move_in", "move_out", "historical_usage") and any(
            f.matches(self.ctx.seed, Message(ev.kind, self.duns, "", esi, ref, "", 0), self.duns)
            for f in self.ctx.esi_faults
        ):
            target = esi[:-9] + "999999999"  # a mistyped ESI ID that does not exist
        requested = None
        if ev.requested_day is not None:
            requested = ymd(self.clock.start + dt.timedelta(days=ev.requested_day))
        handler(self, _Request(ev, esi, ref, int(self.env.now), self.duns, self.tdsp_of(esi), target, requested))

    def _customer(self, r: _Request) -> bool:
        """Is the ESI ID this CR's customer? (If not, the event is skipped, saying so.)"""
        if r.esi in self.customers:
            return True
        self.skipped.append((r.esi, r.ev.kind, "not a customer"))
        return False

    def _later(self, r: _Request, days: int) -> str:
        """The requested date, or ``days`` after the event's day."""
        return r.requested or ymd(self.clock.start + dt.timedelta(days=r.ev.day + days))

    def _switch(self, r: _Request) -> None:
        if r.esi in self.customers:
            self.skipped.append((r.esi, r.ev.kind, "already REP of record"))
            return
        request = r.fields(history=r.ev.history)
        if r.requested:
            request["start"] = r.requested
        self.send("814_01", self.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail="self-selected" if r.requested else "standard", **request)
        self._pending_add(r.esi, r.ref, "switch")

    def _move_in(self, r: _Request) -> None:
        ev, start = r.ev, self._later(r, 2)
        self.send("814_16", self.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail=("priority " if ev.priority else "") + start, **r.fields(start=start, priority=ev.priority))
        self._pending_add(r.esi, r.ref, "move_in")
        if self.safety_net:
            self._plan_safety_net(r.esi, r.ref, start, ev.priority, r.tdsp)

    def _move_out(self, r: _Request) -> None:
        if not self._customer(r):
            return
        end = self._later(r, 2)
        request = r.fields(end=end)
        if r.ev.bypass_csa:
            request["bypass"] = True
        self.send("814_24", self.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail=end + (" bypass CSA" if r.ev.bypass_csa else ""), **request)
        self._pending_add(r.esi, r.ref, "move_out")

    def _cancel(self, r: _Request) -> None:
        esi, ev = r.esi, r.ev
        p = self._latest(esi)
        if p is None and ev.rescission and esi in self.customers and esi in self.last_order:
            # the customer rescinds after the switch completed: not an 814_08 (it would be
            # rejected SOP) but a Customer Rescission issue in MarkeTrak (flows.md 5, C10)
            first = self.last_order[esi]
            self.ctx.manual(Message("marketrak-rescission", self.duns, self.ctx.ercot, esi, "K" + r.ref[1:],
                                    first, r.now, r.fields(), first, "customer rescission"))
            return
        if p is None and esi in self.last_order:  # too late: the order is already worked
            p = [self.last_order[esi], "", ""]
        if p is None:
            self.skipped.append((esi, ev.kind, "no order to cancel"))
            return
        self.send("814_08", self.ctx.ercot, esi, r.ref, p[0], r.now, order_id=p[0],
                  detail="rescission" if ev.rescission else "cancel", **r.fields())

    def _date_change(self, r: _Request) -> None:
        p = self._latest(r.esi)
        if p is None or r.requested is None:
            self.skipped.append((r.esi, r.ev.kind, "no pending order"))
            return
        p[2] = self.clock.local(r.now).strftime("%Y%m%d%H%M")
        self.send("814_12", self.ctx.ercot, r.esi, r.ref, p[0], r.now, order_id=p[0], detail=f"date {r.requested}",
                  **r.fields(start=r.requested, iteration=p[2]))

    def _csa(self, r: _Request) -> None:
        start = self._later(r, 0)
        request = r.fields(start=start)
        if r.ev.delete:
            request["maint"] = "delete"
        self.send("814_18", self.ctx.ercot, r.esi, r.ref, "", r.now, order_id=r.ref,
                  detail=("delete " if r.ev.delete else "establish ") + start, **request)

    def _historical_usage(self, r: _Request) -> None:
        self.send("814_26", self.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref, **r.fields())
        self._pending_add(r.esi, r.ref, "historical_usage")

    def _field_service(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "DNP" if r.ev.kind == "disconnect" else "RNP"
        start = r.requested or ymd(self.clock.add_business_days(self.clock.date(r.now), 1))
        self.send("650_01", r.tdsp, r.esi, r.ref, "", r.now, detail=f"{purpose} {start}",
                  **r.fields(purpose=purpose, start=start))

    def _hold(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "SH001" if r.ev.kind == "switch_hold" else "SH002"
        self.send("650_01", r.tdsp, r.esi, r.ref, "", r.now, detail=purpose, **r.fields(purpose=purpose))

    #: event kind -> what the CR sends
    _EVENTS: ClassVar[dict[str, Callable[[Cr, _Request], None]]] = {
        "switch": _switch, "move_in": _move_in, "move_out": _move_out, "cancel": _cancel,
        "date_change": _date_change, "csa": _csa, "historical_usage": _historical_usage,
        "disconnect": _field_service, "reconnect": _field_service, "switch_hold": _hold, "hold_release": _hold,
    }

    # -- safety-net move-in (flows.md 3.3, D1/D2) -----------------------------------------------
    #: D1 deadlines of the safety net (the RMG's since RMGRR162, the PUCT's noon); the CR meets
    #: every one the rule set has switched on
    SAFETY_NET_DEADLINES = ("D1-cr-safety-net-rmg162", "D1-cr-safety-net")
    #: D1: the TDSP rejects a safety net received before this rule's moment
    SAFETY_NET_OPENS = "D1-tdsp-safety-net-early"

    def _plan_safety_net(self, esi: str, ref: str, start: str, priority: bool, tdsp: str) -> None:
        """Look again shortly before the D1 deadline (the rule's business days before the
        move-in date, on the TDSP's calendar) whether D2 triggers; never before the TDSP takes
        safety nets (D1's early reject)."""
        rules = self.ctx.rules
        if rules is None or start < ymd(self.today()):  # a backdated move-in needs no safety net
            return
        anchor = self.clock.minute(dt.date(int(start[:4]), int(start[4:6]), int(start[6:8])), "00:00")
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

    def _safety_net(self, esi: str, ref: str, start: str, priority: bool, tdsp: str) -> None:
        """D2: neither an 814_05 nor an 814_28 permit pending yet: the safety net goes straight
        to the TDSP, out of band (recorded in the trace, no X12)."""
        if ref in self.confirmed or not any(p[0] == ref for p in self.pending.get(esi, ())):
            self.confirmed.discard(ref)
            return
        manual = self.ctx.manual
        if manual is None:
            return
        manual(Message("safety-net", self.duns, tdsp, esi, "S" + ref[1:], ref, int(self.env.now),
                       {"cr": self.duns, "tdsp": tdsp, "start": start, "priority": priority}, ref,
                       f"safety net {start}"))
        self.nets[ref] = tdsp

    # -- answers from ERCOT ---------------------------------------------------------------------
    def _closed(self, m: Message) -> None:
        self._pending_drop(m.esi_id, m.order_id)

    def on_814_02(self, m: Message) -> None:
        """Request rejected by ERCOT (a duplicate's reject leaves the original pending)."""
        if m.fields.get("reject") != "ABN":
            self._closed(m)

    def on_814_17(self, m: Message) -> None:
        """Move-in rejected by ERCOT; a safety net already sent for it is withdrawn at the TDSP
        (out of band, like the safety net itself)."""
        self.on_814_02(m)
        tdsp = self.nets.pop(m.order_id, None) if m.fields.get("reject") != "ABN" else None
        if tdsp is not None and self.ctx.manual is not None:
            ref = m.order_id
            self.ctx.manual(Message("safety-net-cancel", self.duns, tdsp, m.esi_id, "X" + ref[1:], "S" + ref[1:],
                                    int(self.env.now), {"cr": self.duns, "tdsp": tdsp}, ref,
                                    f"safety net withdrawn ({m.fields.get('reject', '')})"))

    def on_814_19(self, m: Message) -> None:
        """Answer to our CSA request (nothing to track: ERCOT holds the CSA)."""

    def on_814_22(self, m: Message) -> None:
        """The occupant of a premise where we hold the CSA moves out: we take it (814_23)."""
        if self.rejects(m):
            self.send("814_23", self.ctx.ercot, m.esi_id, self._answer_ref(m.ref), m.ref, self._soon(m.ref),
                      order_id=m.order_id, detail="reject", cr=self.duns, tdsp=m.fields.get("tdsp", ""),
                      action="reject", reject="A13", reason="CSA CR DECLINES")
            return
        self.send("814_23", self.ctx.ercot, m.esi_id, self._answer_ref(m.ref), m.ref, self._soon(m.ref),
                  order_id=m.order_id, detail=f"accept {m.fields.get('start', '')}", cr=self.duns,
                  tdsp=m.fields.get("tdsp", ""), start=m.fields.get("start", ""))

    def on_814_05(self, m: Message) -> None:
        """Switch / move-in accepted (with date) or rejected by the TDSP."""
        if m.fields.get("action") == "reject":
            self._closed(m)
        elif self.safety_net:
            self.confirmed.add(m.order_id)

    def on_814_25(self, m: Message) -> None:
        """Move-out scheduled or rejected."""
        if m.fields.get("action") == "reject":
            self._closed(m)

    def on_814_27(self, m: Message) -> None:
        """Historical usage request accepted or rejected."""
        if m.fields.get("action") == "reject":
            self._closed(m)

    def on_867_02(self, m: Message) -> None:
        """Historical usage arrived."""
        lst = self.pending.get(m.esi_id) or []
        if any(p[0] == m.order_id and p[1] == "historical_usage" for p in lst):
            self._closed(m)

    def on_814_06(self, m: Message) -> None:
        """Loss notice: acknowledge with an 814_07 (it cannot stop the switch)."""
        self.send("814_07", self.ctx.ercot, m.esi_id, self._answer_ref(m.ref), m.ref, self._soon(m.ref),
                  order_id=m.order_id, cr=self.duns, tdsp=m.fields.get("tdsp", ""))

    def on_814_14(self, m: Message) -> None:
        """POLR drop notice in a mass transition: answer with an 814_15."""
        self.send("814_15", self.ctx.ercot, m.esi_id, self._answer_ref(m.ref), m.ref, self._soon(m.ref),
                  order_id=m.order_id, cr=self.duns, tdsp=m.fields.get("tdsp", ""), bgn07="TS")

    def on_814_08(self, m: Message) -> None:
        """ERCOT cancelled one of our orders (stacking or mass transition)."""
        self._closed(m)

    def on_814_09(self, m: Message) -> None:
        """Answer to our cancel."""
        if m.fields.get("action") != "reject":
            self._closed(m)

    def on_814_13(self, m: Message) -> None:
        """Answer to our date change."""

    def on_814_28(self, m: Message) -> None:
        """Unexecutable or permit pending: acknowledge with an 814_29."""
        self.send("814_29", self.ctx.ercot, m.esi_id, self._answer_ref(m.ref), m.ref, self._soon(m.ref),
                  order_id=m.order_id, cr=self.duns, tdsp=m.fields.get("tdsp", ""), unexec=m.fields.get("unexec", ""))
        if m.fields.get("unexec") == "T019" and m.order_id[:1] == "C" and any(
                p[0] == m.order_id and p[1] == "move_out" for p in self.pending.get(m.esi_id, ())):
            # tampering found at the premise: the customer has still left, so a second move-out
            # request (REF*TD 2MR), which the TDSP always completes [RMG 7.16.1]
            self.at(self._soon(m.ref, "2MR"), self._second_move_out, m.esi_id, m.order_id)
        if m.fields.get("unexec") != "PERMIT":
            self._closed(m)
        elif self.safety_net:
            self.confirmed.add(m.order_id)

    def _second_move_out(self, esi: str, first: str) -> None:
        """A second move-out request after a T019, for the TDSP's usual notice ahead (two
        retail business days, as for a date change)."""
        if esi not in self.customers:
            return
        ref = "M" + first[1:]  # unique: derived from the first request's C... reference
        tdsp = self.tdsp_of(esi)
        end = ymd(self.clock.add_business_days(self.today(), self.timing.date_change_notice_bd,
                                               self.ctx.tdsp_calendar.get(tdsp, "ERCOT")))
        self.send("814_24", self.ctx.ercot, esi, ref, "", int(self.env.now), order_id=ref,
                  detail=f"{end} 2MR", end=end, cr=self.duns, tdsp=tdsp, td="2MR")
        self._pending_add(esi, ref, "move_out")

    def on_867_04(self, m: Message) -> None:
        """Initial read: the customer is ours from the read date."""
        self.customers.add(m.esi_id)
        if self.nets:
            self.nets.pop(m.order_id, None)
        self._closed(m)

    def on_867_03(self, m: Message) -> None:
        """Monthly usage, or the final read when the customer leaves."""
        if m.fields.get("final"):
            self.customers.discard(m.esi_id)
            if m.order_id:
                self._closed(m)

    def on_810_02(self, m: Message) -> None:
        """Validate the invoice: reject with an 824, or pay it on its due date with an 820_02."""
        f = m.fields
        now = int(self.env.now)
        corrected = bool(f.get("corrected"))  # a corrected invoice fixes what was rejected
        if not corrected and (self.rejects(m) or (self.invoice_reject and self.u("inv", m.ref) < self.invoice_reject)):
            ready = self.answer_time(now, "E7-cr-824", "ERCOT", 2, m.ref, "824", trigger=m.sent_at)
            self.send("824", m.sender, m.esi_id, self._answer_ref(m.ref), m.ref, ready, detail="invoice rejected",
                      cr=self.duns, tdsp=m.sender, reason="INVOICE DATA INVALID", start=f["start"],
                      end=f["end"], kwh=f.get("kwh", 0), usage_ref=f.get("usage_ref", ""),
                      **billed_charges(f))
            return
        key = (f["due"], now)
        due = self._pay_at.get(key)
        if due is None:  # the same for every invoice with this due date received now
            due = self.clock.minute(dt.date(int(f["due"][:4]), int(f["due"][4:6]), int(f["due"][6:])), "09:00")
            rules = self.ctx.rules
            deadline = rules.due("E8-cr-820_02", now, "FEDERAL") if rules is not None else None
            if deadline is not None:  # pay on the rule's due day, never after it
                due = min(due, self.clock.minute(self.clock.date(deadline), "09:00"))
            if len(self._pay_at) > 10_000:
                self._pay_at.clear()
            self._pay_at[key] = due
        if due < self.ctx.horizon:
            self.at(due, self._pay, m)

    # -- customer rescission after completion (MarkeTrak, flows.md 5, C10) -----------------------
    def manual_marketrak_rescission(self, m: Message) -> None:
        """As the losing CR: agree to the rescission within the rule's 2 business days; the
        issue then goes to the TDSP, which marks it Ready to Receive."""
        at = self.answer_time(int(self.env.now), "C10-cr-rescission-agree", "ERCOT", 2, m.ref, "agree")
        self.at(at, self.ctx.manual, Message("marketrak-agree", self.duns, m.fields["tdsp"], m.esi_id,
                                                  "G" + m.ref[1:], m.ref, at, Fields(**m.fields), m.order_id,
                                                  "losing CR agrees"))

    def manual_marketrak_ready_to_receive(self, m: Message) -> None:
        """Ready to Receive: take the customer back with an 814_16 backdated to the switch date
        (within the rule's 2 business days), as if the switch never happened."""
        at = self.answer_time(int(self.env.now), "C10-cr-backdated-814_16", "ERCOT", 2, m.ref, "back")
        self.at(at, self._take_back, m)

    def _take_back(self, m: Message) -> None:
        ref = "B" + m.ref[1:]
        start = m.fields["start"]
        self.send("814_16", self.ctx.ercot, m.esi_id, ref, "", int(self.env.now), order_id=ref,
                  detail=f"{start} rescission", start=start, cr=self.duns, tdsp=m.fields["tdsp"])
        self._pending_add(m.esi_id, ref, "move_in")

    def pay_opening(self, tdsp: str, esis: list[str], read: str) -> None:
        """Pay last month's invoices of ``esis`` at ``tdsp`` (read on ``read``, invoiced before
        the run: ``[population] opening_invoices``): one 820_02 each, for the invoice the TDSP
        numbered 0 (``T<ESI ID>0000``; its own numbering in the run starts at 1). The amount
        is the invoice's total for a month's usage drawn from the seed and the ESI ID."""
        now = int(self.env.now)
        send = self.ctx.send
        duns, seed = self.duns, self.ctx.seed
        for esi in esis:
            kwh = int(300 + unit(seed, "opening", esi, read) * 1500)
            inv = f"T{esi}0000"
            send(Message("820_02", duns, tdsp, esi, f"P{esi}0000", inv, now,
                         {"cr": duns, "tdsp": tdsp, "amount": invoice_total({"kwh": kwh}), "inv_sent": -1},
                         "", "payment opening"))

    def _pay(self, m: Message) -> None:
        f = m.fields
        amount = invoice_total(f)  # the invoice's TDS01: its charge lines, fees included
        # inv_sent: when the invoice paid was transmitted (its envelope), for the TDSP's E8 check
        self.send("820_02", m.sender, m.esi_id, self._answer_ref(m.ref, "P"), m.ref, int(self.env.now),
                  detail="payment", cr=self.duns, tdsp=m.sender, amount=amount, inv_sent=m.sent_at)

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
        f = m.fields
        self.send("650_05", m.sender, m.esi_id, self._answer_ref(m.ref), m.ref, ready, detail=f"reject {code}",
                  cr=self.duns, tdsp=m.sender, purpose=f.get("purpose", ""), start=f.get("start", ""),
                  action="reject", reject=code, reason=reason)
