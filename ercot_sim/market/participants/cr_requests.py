"""What a CR's customers ask for, turned into requests: the scenario's customer events.

A collaborator of :class:`~ercot_sim.market.participants.cr.Cr`: each event kind has a small method
(a table from kind to method), which sends the request (814_01, 814_16, 814_24, 814_08,
814_12, 814_18, 814_26, 650_01) or records why the event was skipped. It reaches the CR
through :class:`CrDesk` (its customers, pending orders, sending, the safety-net habit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from edi.texas_set.payloads import Party, Payload650, Payload814
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message, OutOfBand
from ercot_sim.market.participants.base import ParticipantDesk, ymd
from ercot_sim.scenario import Event
from ercot_sim.scenario.population import PlannedEvent

__all__ = ["CrDesk", "CustomerRequests"]


class CrDesk(ParticipantDesk, Protocol):
    """What the customer requests use of their CR."""

    customers: set[str]
    skipped: list[tuple[str, str, str]]
    changes: dict[str, str]
    last_order: dict[str, str]
    safety_net: bool
    tdsp_of: Callable[[str], str]

    def pending_add(self, esi: str, ref: str, kind: str) -> None: ...

    def note_premise(self, esi: str, premise: str, ref: str, kind: str) -> None: ...

    def latest(self, esi: str) -> list[str] | None: ...

    def plan_safety_net(self, esi: str, ref: str, start: dt.date, priority: bool, tdsp: str) -> None: ...


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
    #: the requested date, if the customer asked for one
    requested: dt.date | None
    #: the parties, as payloads name them
    cr_party: Party | None
    tdsp_party: Party | None
    #: the fault that made ``target`` another ESI ID than the customer's (for the trace), or ''
    fault: str = ""
    #: drawn from the scenario's rates (the CR's everyday work), not written in its events
    drawn: bool = False


class CustomerRequests:
    """The CR's requests for its customers' events (see the module docstring)."""

    def __init__(self, desk: CrDesk) -> None:
        self.desk = desk

    def event(self, pe: PlannedEvent) -> None:
        """Act on one planned customer event (a table from the event's kind to its request)."""
        ev = pe.event
        handler = self._EVENTS.get(ev.kind)
        if handler is None:
            return
        esi = pe.esi_id
        ref = f"C{esi}{pe.ordinal:04d}"
        target, fault = esi, ""
        if ev.kind in ("switch", "move_in", "move_out", "historical_usage") and self.desk.ctx.esi_faults:
            probe = Message(ev.kind, self.desk.duns, "", esi, ref, "", 0, OutOfBand(cr=self.desk.duns, tdsp=""))
            hit = next((f for f in self.desk.ctx.esi_faults  # an inadvertent switch is a gain's only
                        if (f.kind != "inadvertent" or ev.kind in ("switch", "move_in"))
                        and f.matches(self.desk.ctx.seed, probe, self.desk.duns)), None)
            if hit is not None and hit.kind == "unknown_esi_id":
                target, fault = esi[:-9] + "999999999", hit.kind  # a mistyped ESI ID that does not exist
            elif hit is not None and ev.kind in ("switch", "move_in"):
                # the next premise's ESI ID keyed in: another customer's, which the CR gains
                target, fault = str(int(esi) + 1).zfill(len(esi)), hit.kind
                self.desk.note_premise(target, esi, ref, ev.kind)  # its records keep the customer's premise
        requested = None
        if ev.requested_day is not None:
            requested = self.desk.clock.run_day(ev.requested_day)
        tdsp = self.desk.tdsp_of(esi)
        handler(self, _Request(ev, esi, ref, int(self.desk.env.now), self.desk.duns, tdsp, target, requested,
                               self.desk.party(self.desk.duns), self.desk.party(tdsp), fault, pe.drawn))

    def _customer(self, r: _Request) -> bool:
        """Is the ESI ID this CR's customer? (If not, the event is skipped, saying so.)"""
        if r.esi in self.desk.customers:
            return True
        self.desk.skipped.append((r.esi, r.ev.kind, "not a customer"))
        return False

    def _later(self, r: _Request, days: int) -> dt.date:
        """The requested date, or ``days`` after the event's day."""
        return r.requested or self.desk.clock.run_day(r.ev.day + days)

    def _switch(self, r: _Request) -> None:
        if r.esi in self.desk.customers:
            self.desk.skipped.append((r.esi, r.ev.kind, "already REP of record"))
            return
        request = Payload814(cr=r.cr_party, tdsp=r.tdsp_party, requested_date=r.requested,
                             indicator="HU" if r.ev.history else None, customer=customer_of(r.target))
        self.desk.send("814_01", self.desk.ctx.ercot, r.target, r.ref, "", r.now, request, r.ref,
                       "self-selected" if r.requested else "standard", r.fault)
        self.desk.pending_add(r.esi, r.ref, "switch")

    def _move_in(self, r: _Request) -> None:
        ev, start = r.ev, self._later(r, 2)
        request = Payload814(cr=r.cr_party, tdsp=r.tdsp_party, requested_date=start, priority=ev.priority,
                             customer=customer_of(r.target))
        self.desk.send("814_16", self.desk.ctx.ercot, r.target, r.ref, "", r.now, request, r.ref,
                       ("priority " if ev.priority else "") + ymd(start), r.fault)
        self.desk.pending_add(r.esi, r.ref, "move_in")
        if self.desk.safety_net:
            self.desk.plan_safety_net(r.esi, r.ref, start, ev.priority, r.tdsp)

    def _move_out(self, r: _Request) -> None:
        if not self._customer(r):
            return
        end = self._later(r, 2)
        request = Payload814(cr=r.cr_party, tdsp=r.tdsp_party, end_date=end, bypass_csa=r.ev.bypass_csa)
        self.desk.send("814_24", self.desk.ctx.ercot, r.target, r.ref, "", r.now, request, r.ref,
                       ymd(end) + (" bypass CSA" if r.ev.bypass_csa else ""), r.fault)
        self.desk.pending_add(r.esi, r.ref, "move_out")

    def _cancel(self, r: _Request) -> None:
        esi, ev = r.esi, r.ev
        p = self.desk.latest(esi)
        if p is None and ev.rescission and esi in self.desk.customers and esi in self.desk.last_order:
            # the customer rescinds after the switch completed: not an 814_08 (it would be
            # rejected SOP) but a Customer Rescission issue in MarkeTrak (flows.md 5, C10)
            first = self.desk.last_order[esi]
            self.desk.ctx.manual(Message("marketrak-rescission", self.desk.duns, self.desk.ctx.ercot, esi,
                                         "K" + r.ref[1:], first, r.now, OutOfBand(cr=r.cr, tdsp=r.tdsp), first,
                                         "customer rescission"))
            return
        if p is None and esi in self.desk.last_order:  # too late: the order is already worked
            p = [self.desk.last_order[esi], "", ""]
        if p is None:
            self.desk.skipped.append((esi, ev.kind, "no order to cancel"))
            return
        self.desk.changes[r.ref] = p[0]  # ERCOT's 814_09 answers the cancel, about the order
        self.desk.send("814_08", self.desk.ctx.ercot, esi, r.ref, p[0], r.now,
                       Payload814(cr=r.cr_party, tdsp=r.tdsp_party), p[0], "rescission" if ev.rescission else "cancel")

    def _date_change(self, r: _Request) -> None:
        p = self.desk.latest(r.esi)
        if p is None or r.requested is None:
            self.desk.skipped.append((r.esi, r.ev.kind, "no pending order"))
            return
        p[2] = self.desk.clock.stamp(r.now)
        self.desk.changes[r.ref] = p[0]  # ERCOT's 814_13 answers the date change, about the order
        new = r.requested
        if r.drawn:
            # everyday work gives the TDSP the rule's business days of notice before the new date
            # (C9), counted from the next business day when the customer calls on another day: a
            # nearer date is moved out (a scenario's own event is sent as written: TDR shows)
            clock, cal = self.desk.clock, self.desk.ctx.tdsp_calendar.get(r.tdsp, "ERCOT")
            earliest = clock.add_business_days(clock.roll(clock.date(r.now), cal),
                                               self.desk.timing.date_change_notice_bd, cal)
            new = max(new, earliest)
        request = Payload814(cr=r.cr_party, tdsp=r.tdsp_party, requested_date=new,
                             iteration=self.desk.clock.iteration(r.now))
        self.desk.send("814_12", self.desk.ctx.ercot, r.esi, r.ref, p[0], r.now, request, p[0], f"date {ymd(new)}")

    def _csa(self, r: _Request) -> None:
        start = self._later(r, 0)
        request = Payload814(cr=r.cr_party, tdsp=r.tdsp_party, requested_date=start,
                             maintenance="delete" if r.ev.delete else None, customer=customer_of(r.esi))
        self.desk.send("814_18", self.desk.ctx.ercot, r.esi, r.ref, "", r.now, request, r.ref,
                       ("delete " if r.ev.delete else "establish ") + ymd(start))

    def _historical_usage(self, r: _Request) -> None:
        self.desk.send("814_26", self.desk.ctx.ercot, r.target, r.ref, "", r.now,
                       Payload814(cr=r.cr_party, tdsp=r.tdsp_party), r.ref, fault=r.fault)
        self.desk.pending_add(r.esi, r.ref, "historical_usage")

    def _field_service(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "DNP" if r.ev.kind == "disconnect" else "RNP"
        start = r.requested or self.desk.clock.add_business_days(self.desk.clock.date(r.now), 1)
        self.desk.send("650_01", r.tdsp, r.esi, r.ref, "", r.now,
                       Payload650(cr=r.cr_party, tdsp=r.tdsp_party, order_type=purpose, service_date=start),
                       detail=f"{purpose} {ymd(start)}")

    def _hold(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "SH001" if r.ev.kind == "switch_hold" else "SH002"
        self.desk.send("650_01", r.tdsp, r.esi, r.ref, "", r.now,
                       Payload650(cr=r.cr_party, tdsp=r.tdsp_party, order_type=purpose), detail=purpose)

    #: event kind -> what the CR sends
    _EVENTS: ClassVar[dict[str, Callable[[CustomerRequests, _Request], None]]] = {
        "switch": _switch, "move_in": _move_in, "move_out": _move_out, "cancel": _cancel,
        "date_change": _date_change, "csa": _csa, "historical_usage": _historical_usage,
        "disconnect": _field_service, "reconnect": _field_service, "switch_hold": _hold, "hold_release": _hold,
    }

