"""What a CR's customers ask for, turned into requests: the scenario's customer events.

A collaborator of :class:`~ercot_sim.market.participants.cr.Cr`: each event kind has a small method
(a table from kind to method), which sends the request (814_01, 814_16, 814_24, 814_08,
814_12, 814_18, 814_26, 650_01) or records why the event was skipped. It reaches the CR
through :class:`CrDesk` (its customers, pending orders, sending, the safety-net habit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from typing_extensions import Unpack

from ercot_sim.market.messages import Fields, Message
from ercot_sim.market.participants.base import ParticipantDesk, ymd
from ercot_sim.scenario import Event
from ercot_sim.scenario.population import PlannedEvent

__all__ = ["CrDesk", "CustomerRequests"]


class CrDesk(ParticipantDesk, Protocol):
    """What the customer requests use of their CR."""

    customers: set[str]
    skipped: list[tuple[str, str, str]]
    last_order: dict[str, str]
    safety_net: bool
    tdsp_of: Callable[[str], str]

    def pending_add(self, esi: str, ref: str, kind: str) -> None: ...

    def latest(self, esi: str) -> list[str] | None: ...

    def plan_safety_net(self, esi: str, ref: str, start: str, priority: bool, tdsp: str) -> None: ...


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
        target = esi
        if ev.kind in ("switch", "move_in", "move_out", "historical_usage") and any(
            f.matches(self.desk.ctx.seed, Message(ev.kind, self.desk.duns, "", esi, ref, "", 0), self.desk.duns)
            for f in self.desk.ctx.esi_faults
        ):
            target = esi[:-9] + "999999999"  # a mistyped ESI ID that does not exist
        requested = None
        if ev.requested_day is not None:
            requested = ymd(self.desk.clock.run_day(ev.requested_day))
        handler(self, _Request(ev, esi, ref, int(self.desk.env.now), self.desk.duns, self.desk.tdsp_of(esi), target, requested))

    def _customer(self, r: _Request) -> bool:
        """Is the ESI ID this CR's customer? (If not, the event is skipped, saying so.)"""
        if r.esi in self.desk.customers:
            return True
        self.desk.skipped.append((r.esi, r.ev.kind, "not a customer"))
        return False

    def _later(self, r: _Request, days: int) -> str:
        """The requested date, or ``days`` after the event's day."""
        return r.requested or ymd(self.desk.clock.run_day(r.ev.day + days))

    def _switch(self, r: _Request) -> None:
        if r.esi in self.desk.customers:
            self.desk.skipped.append((r.esi, r.ev.kind, "already REP of record"))
            return
        request = r.fields(history=r.ev.history)
        if r.requested:
            request["start"] = r.requested
        self.desk.send("814_01", self.desk.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail="self-selected" if r.requested else "standard", **request)
        self.desk.pending_add(r.esi, r.ref, "switch")

    def _move_in(self, r: _Request) -> None:
        ev, start = r.ev, self._later(r, 2)
        self.desk.send("814_16", self.desk.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail=("priority " if ev.priority else "") + start, **r.fields(start=start, priority=ev.priority))
        self.desk.pending_add(r.esi, r.ref, "move_in")
        if self.desk.safety_net:
            self.desk.plan_safety_net(r.esi, r.ref, start, ev.priority, r.tdsp)

    def _move_out(self, r: _Request) -> None:
        if not self._customer(r):
            return
        end = self._later(r, 2)
        request = r.fields(end=end)
        if r.ev.bypass_csa:
            request["bypass"] = True
        self.desk.send("814_24", self.desk.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref,
                  detail=end + (" bypass CSA" if r.ev.bypass_csa else ""), **request)
        self.desk.pending_add(r.esi, r.ref, "move_out")

    def _cancel(self, r: _Request) -> None:
        esi, ev = r.esi, r.ev
        p = self.desk.latest(esi)
        if p is None and ev.rescission and esi in self.desk.customers and esi in self.desk.last_order:
            # the customer rescinds after the switch completed: not an 814_08 (it would be
            # rejected SOP) but a Customer Rescission issue in MarkeTrak (flows.md 5, C10)
            first = self.desk.last_order[esi]
            self.desk.ctx.manual(Message("marketrak-rescission", self.desk.duns, self.desk.ctx.ercot, esi, "K" + r.ref[1:],
                                    first, r.now, r.fields(), first, "customer rescission"))
            return
        if p is None and esi in self.desk.last_order:  # too late: the order is already worked
            p = [self.desk.last_order[esi], "", ""]
        if p is None:
            self.desk.skipped.append((esi, ev.kind, "no order to cancel"))
            return
        self.desk.send("814_08", self.desk.ctx.ercot, esi, r.ref, p[0], r.now, order_id=p[0],
                  detail="rescission" if ev.rescission else "cancel", **r.fields())

    def _date_change(self, r: _Request) -> None:
        p = self.desk.latest(r.esi)
        if p is None or r.requested is None:
            self.desk.skipped.append((r.esi, r.ev.kind, "no pending order"))
            return
        p[2] = self.desk.clock.stamp(r.now)
        self.desk.send("814_12", self.desk.ctx.ercot, r.esi, r.ref, p[0], r.now, order_id=p[0], detail=f"date {r.requested}",
                  **r.fields(start=r.requested, iteration=p[2]))

    def _csa(self, r: _Request) -> None:
        start = self._later(r, 0)
        request = r.fields(start=start)
        if r.ev.delete:
            request["maint"] = "delete"
        self.desk.send("814_18", self.desk.ctx.ercot, r.esi, r.ref, "", r.now, order_id=r.ref,
                  detail=("delete " if r.ev.delete else "establish ") + start, **request)

    def _historical_usage(self, r: _Request) -> None:
        self.desk.send("814_26", self.desk.ctx.ercot, r.target, r.ref, "", r.now, order_id=r.ref, **r.fields())
        self.desk.pending_add(r.esi, r.ref, "historical_usage")

    def _field_service(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "DNP" if r.ev.kind == "disconnect" else "RNP"
        start = r.requested or ymd(self.desk.clock.add_business_days(self.desk.clock.date(r.now), 1))
        self.desk.send("650_01", r.tdsp, r.esi, r.ref, "", r.now, detail=f"{purpose} {start}",
                  **r.fields(purpose=purpose, start=start))

    def _hold(self, r: _Request) -> None:
        if not self._customer(r):
            return
        purpose = "SH001" if r.ev.kind == "switch_hold" else "SH002"
        self.desk.send("650_01", r.tdsp, r.esi, r.ref, "", r.now, detail=purpose, **r.fields(purpose=purpose))

    #: event kind -> what the CR sends
    _EVENTS: ClassVar[dict[str, Callable[[CustomerRequests, _Request], None]]] = {
        "switch": _switch, "move_in": _move_in, "move_out": _move_out, "cancel": _cancel,
        "date_change": _date_change, "csa": _csa, "historical_usage": _historical_usage,
        "disconnect": _field_service, "reconnect": _field_service, "switch_hold": _hold, "hold_release": _hold,
    }

