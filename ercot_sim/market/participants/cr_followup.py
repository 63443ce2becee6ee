"""A CR's follow-up of its own requests: an answer or a completion that does not come becomes a
MarkeTrak Missing Enrollment Transaction issue.

The CR knows only what reached it. After each switch, move-in or move-out it sent, it expects
ERCOT's answer (814_05, or 814_25 for a move-out); once the answer gives a date, it expects the
completion (the initial read 867_04, or the final 867_03 of a move-out) shortly after that
date. When either has not come :data:`MISSING_AFTER_BD` business days later, its team opens
the issue with ERCOT, which finds where the chain stopped and has the party that owes the
transaction send it again (:meth:`Participant.resend_lost`). The CR closes the issue
(Complete) when the order closes, and withdraws it when the customer cancels the order.

A collaborator of :class:`~ercot_sim.market.participants.cr.Cr` that reaches it through
:class:`FollowUpDesk`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from ercot_sim.market.messages import Message, OutOfBand
from ercot_sim.market.participants.base import ParticipantDesk

__all__ = ["FollowUp", "FollowUpDesk", "MISSING_AFTER_BD", "MISSING_ENROLLMENT"]

#: business days a CR waits past when an answer or completion was due before it opens a Missing
#: Enrollment Transaction issue: assumed (no source gives it; the rules' deadlines for an 814_05
#: are 1-2 business days, a completion comes on the scheduled date)
MISSING_AFTER_BD = 5
#: the MarkeTrak subtype (ercot_sim/data/marketrak.toml)
MISSING_ENROLLMENT = "Missing Enrollment Transaction"
#: what a request's kind awaits: (the answer, the completion)
_AWAITS = {"switch": ("814_05", "867_04"), "move_in": ("814_05", "867_04"), "move_out": ("814_25", "867_03 final")}


class FollowUpDesk(ParticipantDesk, Protocol):
    """What the follow-up uses of its CR."""

    pending: dict[str, list[list[str]]]

    def tdsp_of(self, esi: str) -> str: ...


class FollowUp:
    """The CR's watch over its open requests (see the module docstring)."""

    def __init__(self, desk: FollowUpDesk) -> None:
        self.desk = desk
        #: order -> its kind and how many answers it has had (a look planned before the last
        #: answer is moot)
        self._stage: dict[str, tuple[str, int]] = {}
        #: order -> its open issue's reference
        self.issues: dict[str, str] = {}

    def sent(self, esi: str, order: str, kind: str) -> None:
        """A request went out: look for ERCOT's answer later."""
        if kind in _AWAITS:
            self._stage[order] = (kind, 0)
            self._plan(esi, order, kind, 0, self.desk.clock.date(int(self.desk.env.now)))

    def answered(self, esi: str, order: str, date: dt.date | None) -> None:
        """The order had an answer; with a date (scheduled), look for the completion after it;
        without one (a permit pending), wait for the answer that brings the date."""
        known = self._stage.get(order)
        if known is None:
            return
        kind, stage = known
        self._stage[order] = (kind, stage + 1)
        if date is not None:
            self._plan(esi, order, kind, stage + 1, date, completion=True)

    def _plan(self, esi: str, order: str, kind: str, stage: int, since: dt.date, completion: bool = False) -> None:
        clock = self.desk.clock
        cal = self.desk.ctx.tdsp_calendar.get(self.desk.tdsp_of(esi), "ERCOT")
        due = clock.add_business_days(max(since, clock.date(int(self.desk.env.now))), MISSING_AFTER_BD, cal)
        at = clock.minute(due, "09:00")
        if at < self.desk.ctx.horizon:
            self.desk.at(at, self._look, esi, order, kind, stage, _AWAITS[kind][completion])

    def _look(self, esi: str, order: str, kind: str, stage: int, awaited: str) -> None:
        if self._stage.get(order) != (kind, stage) or order in self.issues:
            return
        if self.desk.ctx.ercot in self.desk.ctx.remote:  # MarkeTrak does not cross between markets yet
            return
        if not any(p[0] == order for p in self.desk.pending.get(esi, ())):
            return
        ref = f"Q{order}"
        self.issues[order] = ref
        tdsp = self.desk.tdsp_of(esi)
        self.desk.ctx.manual(Message("marketrak-missing-enrollment", self.desk.duns, self.desk.ctx.ercot, esi, ref,
                                     order, int(self.desk.env.now),
                                     OutOfBand(cr=self.desk.duns, tdsp=tdsp, issue=MISSING_ENROLLMENT), order,
                                     f"no {awaited} for {kind.replace('_', '-')} {order}"))

    def closed(self, esi: str, order: str, withdrawn: bool = False) -> None:
        """The order closed (completed, rejected, unexecutable; or cancelled: ``withdrawn``):
        its open issue is closed (Complete) or withdrawn."""
        self._stage.pop(order, None)
        ref = self.issues.pop(order, None)
        if ref is None:
            return
        code = "marketrak-withdrawn" if withdrawn else "marketrak-complete"
        self.desk.ctx.manual(Message(code, self.desk.duns, self.desk.ctx.ercot, esi, "Z" + ref[1:], ref,
                                     int(self.desk.env.now), OutOfBand(cr=self.desk.duns, tdsp=self.desk.tdsp_of(esi),
                                                                       issue=MISSING_ENROLLMENT), order,
                                     "order cancelled" if withdrawn else "order closed"))

    # -- what comes back ----------------------------------------------------------------------------
    def manual_marketrak_missing_enrollment(self, m: Message) -> None:
        """ERCOT has no record of the request: its outbound log has it, so it is sent again."""
        resent = self.desk.resend_lost(m.orig_ref)
        if resent:
            self.desk.ctx.manual(Message("marketrak-in-progress", self.desk.duns, self.desk.ctx.ercot, m.esi_id,
                                         "W" + m.ref[1:], m.ref, int(self.desk.env.now), m.payload, m.order_id,
                                         "re-sent " + " ".join(resent)))

    def manual_marketrak_complete(self, m: Message) -> None:
        """The assignee closed the issue with a comment (nothing was lost: what was sent is on
        its way): the CR's follow-up of the order ends with it."""
        order = m.order_id
        if self.issues.get(order) == m.orig_ref:
            del self.issues[order]
            self._stage.pop(order, None)
