"""A TDSP's answers to ERCOT's enrollment requests.

* 814_03 (switch, move-in, mass transition, acquisition): rejected (unknown or retired ESI ID,
  a switch hold, a backdated move-in that would undo a later change: ``LFG``/``MVO``) or
  scheduled on a cycle read day near the first available switch date, on the requested date,
  or at once for a priority or backdated move-in, answered with an 814_04 and worked by the
  daily field run; a safety net already worked is matched to it;
* 814_24 move-out, 814_08 cancel, 814_12 date change (a new date needs two business days'
  notice), 814_26 historical usage (814_27 and the 867_02).

A collaborator of :class:`~ercot_sim.market.participants.tdsp.Tdsp` that reaches it through
:class:`EnrollmentDesk`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from edi.texas_set.payloads import Payload814
from ercot_sim.market.codes import PERMIT_PENDING, SECOND_MOVE_OUT
from ercot_sim.market.messages import Message, as814, duns_of
from ercot_sim.market.participants.base import ymd
from ercot_sim.market.participants.tdsp_reads import MeterReading
from ercot_sim.market.participants.tdsp_records import TdspCore, TOrder
from ercot_sim.market.participants.tdsp_service import FieldService

__all__ = ["Enrollment", "EnrollmentDesk"]



def _backdated_conflict(orders: list[TOrder], start: dt.date, cr: str) -> tuple[str, str] | None:
    """Why a backdated move-in from ``start`` by ``cr`` (an inadvertent gain or a rescission
    put right, flows.md 5) cannot be done, from the orders of its ESI ID [C: TXSETCC832]:
    ``MVO`` when a move-out from ``start`` on is scheduled or completed, ``LFG`` (leapfrog)
    when another CR has gained the ESI ID after ``start`` or is gaining it. The gain the
    move-in puts right (on ``start`` itself) is no conflict."""
    for o in orders:
        if o.kind == "MO" and not o.cancelled and (o.worked or not o.done) and o.date >= start:
            return "MVO", "MOVE OUT SCHEDULED OR COMPLETED"
    for o in orders:
        if o.kind == "MO" or o.cancelled or o.cr == cr:
            continue
        if (o.worked and o.date > start) or not o.done:
            return "LFG", "A THIRD PARTY HAS GAINED OR IS GAINING THE ESI ID"
    return None


def _kind(p: Payload814) -> str:
    """What an 814_03 asks for, from what it says: a mass transition (``TS``) or acquisition
    (``AQ``), a (priority) move-in, a self-selected or standard switch."""
    if p.transition_type is not None:
        return p.transition_type
    if p.indicator == "MVI":
        return "PMI" if p.priority else "MVI"
    return "SSW" if p.self_selected else "SW"


class EnrollmentDesk(TdspCore, Protocol):
    """What the enrollment answers use of their TDSP: :class:`~.tdsp_records.TdspCore`, the
    field work planned by date, field conditions, its meter reading and service work, rejects."""

    by_date: dict[dt.date, list[TOrder]]
    conditions: dict[str, list[tuple[str, int]]]
    reads: MeterReading
    service: FieldService

    def reject_request(self, m: Message, code: str, reject: str, reason: str) -> None: ...

    def condition(self, esi: str) -> tuple[str, int] | None: ...


class Enrollment:
    """The TDSP's answers to ERCOT's enrollment requests (see the module docstring)."""

    def __init__(self, desk: EnrollmentDesk) -> None:
        self.desk = desk

    def _cycle_date_near(self, esi: str, fasd: dt.date) -> dt.date | None:
        e = self.desk.esi[esi]
        window = self.desk.timing.read_window_days
        plus = self.desk.clock.plus_days
        for month_start in (plus(fasd, -window).replace(day=1), fasd.replace(day=1),
                            plus(fasd, window).replace(day=1)):
            d = self.desk.clock.nth_business_day(month_start.year, month_start.month, e.cycle, self.desk.cal)
            if d is not None and abs(self.desk.clock.days_between(fasd, d)) <= window and d > self.desk.today():
                return d
        return None

    # -- enrollment ---------------------------------------------------------------------------
    def on_814_03(self, m: Message) -> None:
        """Switch, move-in or mass-transition notification from ERCOT."""
        p = as814(m)
        e = self.desk.esi.get(m.esi_id)
        kind = _kind(p)
        if m.ref in self.desk.by_ref:
            return  # a duplicate of an order already scheduled
        if e is None or not e.active:
            self.desk.reject_request(m, "814_04", "A76", "ESI ID NOT FOUND")
            return
        if self.desk.service.safety and kind in ("MVI", "PMI") and self.desk.service.match_safety_net(m):
            return
        hold = None
        if kind == "TS":
            if e.hold:
                hold, e.hold = True, ""
        elif e.hold:
            self.desk.reject_request(m, "814_04", "SHF", "SWITCH HOLD ON ESI ID")
            return
        if self.desk.rejects(m):
            self.desk.reject_request(m, "814_04", "A13", "REJECTED BY TDSP")
            return
        start = p.requested_date
        assert start is not None  # mandatory on an 814_03 (check_payload)
        cr = duns_of(p.cr)
        today = self.desk.today()
        if kind in ("MVI", "PMI") and start < today and e.orders:
            conflict = _backdated_conflict(e.orders, start, cr)
            if conflict is not None:
                self.desk.reject_request(m, "814_04", *conflict)
                return
        if kind == "SW":
            date = (self._cycle_date_near(m.esi_id, start)
                    or self.desk.clock.roll(max(start, self.desk.clock.plus_days(today, 1)), self.desk.cal))
        elif kind == "SSW":
            date = start if start > today else self.desk.clock.roll(self.desk.clock.plus_days(today, 1), self.desk.cal)
        elif kind in ("TS", "AQ"):  # transition / acquisition: the date ERCOT set
            date = max(start, self.desk.clock.plus_days(today, 1))
        else:
            date = start
        o = TOrder(m.ref, m.esi_id, kind, date, cr, m.order_id)
        cond = self.desk.condition(m.esi_id) if kind in ("MVI", "PMI") else None
        if cond is not None and cond[0] == "permit":
            permit = Payload814(tdsp=self.desk.party(self.desk.duns), cr=p.cr, unexecutable_code=PERMIT_PENDING,
                                unexecutable_text="PERMIT REQUIRED")
            self.desk.reply(m, "814_28", self.desk.answer_time_for(m), permit, "permit pending")
            later = int(self.desk.env.now) + cond[1] * 1440
            o.date = max(date, self.desk.clock.plus_days(self.desk.clock.date(later), 1))
            self.desk.at(later, self._permit_arrived, m, o)
            self.desk.by_ref[o.ref] = o
            return
        if cond is not None:
            self.desk.conditions.setdefault(m.esi_id, []).insert(0, cond)  # for the field visit
        self.desk.schedule(o)
        # an order due today or backdated is worked at once: it is confirmed at once too
        self.desk.reply(m, "814_04", self.desk.answer_time_for(m, soon=o.date <= today),
                        self._scheduled(p, o.date, switch_hold=hold), f"scheduled {ymd(o.date)}")
        if p.indicator == "HU":
            self.desk.reads.history(m, self.desk.answer_time_for(m))

    def _permit_arrived(self, m: Message, o: TOrder) -> None:
        if o.cancelled:
            return
        self.desk.schedule(o)
        self.desk.reply(m, "814_04", int(self.desk.env.now) + 60, self._scheduled(as814(m), o.date),
                        f"scheduled {ymd(o.date)}")

    def _scheduled(self, p: Payload814, date: dt.date, switch_hold: bool | None = None) -> Payload814:
        """The answer scheduling ERCOT's request ``p`` for ``date``."""
        return Payload814(tdsp=self.desk.party(self.desk.duns), cr=p.cr, scheduled_date=date, switch_hold=switch_hold)

    def on_814_24(self, m: Message) -> None:
        """Move-out request from ERCOT."""
        e = self.desk.esi.get(m.esi_id)
        if m.ref in self.desk.by_ref:
            return
        if e is None:
            self.desk.reject_request(m, "814_25", "A76", "ESI ID NOT FOUND")
            return
        if self.desk.rejects(m):
            self.desk.reject_request(m, "814_25", "A13", "REJECTED BY TDSP")
            return
        p = as814(m)
        assert p.end_date is not None  # mandatory on an 814_24 (check_payload)
        date = max(p.end_date, self.desk.today())
        o = TOrder(m.ref, m.esi_id, "MO", date, duns_of(p.cr), m.order_id)
        o.second = p.maintenance_reason == SECOND_MOVE_OUT
        self.desk.schedule(o)
        self.desk.reply(m, "814_25", self.desk.answer_time_for(m),
                        Payload814(tdsp=self.desk.party(self.desk.duns), cr=p.cr, end_date=date),
                        f"scheduled {ymd(date)}")

    def on_814_08(self, m: Message) -> None:
        """Cancel from ERCOT (CR cancel or ERCOT stacking / mass transition cancel)."""
        o = self.desk.by_ref.get(m.orig_ref)
        if o is None:
            self.desk.reject_request(m, "814_09", "A13", "ORDER NOT FOUND")
        elif o.done:
            self.desk.reject_request(m, "814_09", "A13", "ORDER ALREADY WORKED")
        else:
            o.cancelled = True
            self.desk.reply(m, "814_09", self.desk.answer_time_for(m),
                            Payload814(tdsp=self.desk.party(self.desk.duns), cr=as814(m).cr), "cancelled")

    def on_814_12(self, m: Message) -> None:
        """Date change from ERCOT."""
        o = self.desk.by_ref.get(m.orig_ref)
        p = as814(m)
        it, new = p.iteration, p.requested_date
        assert new is not None  # mandatory on an 814_12 (check_payload)
        # the notice counts from the next business day when it comes on another day (C9's due)
        earliest = self.desk.clock.add_business_days(self.desk.clock.roll(self.desk.today(), self.desk.cal),
                                                     self.desk.timing.date_change_notice_bd, self.desk.cal)
        if o is None or o.done or o.cancelled:
            self._reject_13(m, "A13", "ORDER NOT PENDING", it)
        elif self.desk.rejects(m):
            self._reject_13(m, "A13", "REJECTED BY TDSP", it)
        elif new < earliest:
            self._reject_13(m, "TDR", "TWO BUSINESS DAYS NOTIFICATION REQUIRED", it)
        else:
            if o in self.desk.by_date.get(o.date, ()):
                self.desk.by_date[o.date].remove(o)
            o.date = new
            self.desk.schedule(o)
            answer = Payload814(tdsp=self.desk.party(self.desk.duns), cr=p.cr, scheduled_date=new, iteration=it)
            self.desk.reply(m, "814_13", self.desk.answer_time_for(m), answer, f"date {ymd(new)}")

    def _reject_13(self, m: Message, code: str, reason: str, it: dt.datetime | None) -> None:
        answer = Payload814(tdsp=self.desk.party(self.desk.duns), cr=as814(m).cr, action="reject", reject_code=code,
                            reject_text=reason, iteration=it)
        self.desk.reply(m, "814_13", self.desk.answer_time_for(m), answer, f"reject {code}")

    def on_814_26(self, m: Message) -> None:
        """Ad-hoc historical usage request: 814_27 and the 867_02."""
        if m.esi_id not in self.desk.esi or self.desk.rejects(m):
            self.desk.reject_request(m, "814_27", "A13", "HISTORICAL USAGE UNAVAILABLE")
            return
        ready = self.desk.answer_time_for(m)
        self.desk.reply(m, "814_27", ready, Payload814(tdsp=self.desk.party(self.desk.duns), cr=as814(m).cr), "accept")
        self.desk.reads.history(m, ready + 60)

    def on_814_29(self, m: Message) -> None:
        """CR's response to an 814_28: nothing to change."""

