"""What a TDSP keeps: its view of each ESI ID (:class:`TEsi`) and the orders it has
scheduled (:class:`TOrder`), shared by the TDSP (:mod:`.tdsp`) and its collaborators; and
:class:`TdspCore`, what every collaborator may use of its TDSP."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from edi.texas_set.payloads import Payload
from ercot_sim.market.messages import Message
from ercot_sim.market.participants.base import ParticipantDesk

__all__ = ["TEsi", "TOrder", "TdspCore"]


class TOrder:
    """A service order the TDSP has scheduled."""

    __slots__ = ("ref", "esi_id", "kind", "date", "cr", "done", "cancelled", "order_id", "safety", "held", "second",
                 "worked")

    def __init__(self, ref: str, esi_id: str, kind: str, date: dt.date, cr: str, order_id: str) -> None:
        self.ref = ref
        self.esi_id = esi_id
        self.kind = kind
        self.date = date
        self.cr = cr
        self.done = False
        self.cancelled = False
        self.order_id = order_id
        self.safety = False  # worked from a safety net, its 814_03 not matched yet
        self.held: tuple[str, dt.date] | None = None  # (old REP, last read) of a gain worked unmatched
        self.second = False  # a move-out flagged 2MR (second request): completed even if tampered
        self.worked = False  # completed in the field (not unexecutable, not cancelled)



class TEsi:
    """The TDSP's view of one ESI ID."""

    __slots__ = ("cycle", "rep", "hold", "n", "last_read", "active", "last_gain", "since", "answered",
                 "polr_rep", "polr_until", "orders")

    def __init__(self, cycle: int, rep: str, last_read: dt.date) -> None:
        self.cycle = cycle
        self.rep = rep
        self.hold = ""
        self.n = 0
        self.last_read = last_read
        self.active = True
        self.last_gain: dt.date | None = None
        self.since: dt.date | None = None  # date of the last change of REP worked
        self.answered = 0  # sim minute of the last answer to ERCOT (answers go out in order)
        self.polr_rep = ""  # the POLR it went to in a mass transition, and the flag's last day [C6]
        self.polr_until: dt.date | None = None
        self.orders: list[TOrder] | None = None  # gains and move-outs scheduled, in order (worked or not)


class TdspCore(ParticipantDesk, Protocol):
    """What every collaborator may use of its TDSP: :class:`~.base.ParticipantDesk`, the TDSP's
    calendar, master data and scheduled orders, references, answers to ERCOT, scheduling."""

    cal: str
    esi: dict[str, TEsi]
    by_ref: dict[str, TOrder]

    def ref_for(self, esi: str) -> str: ...

    def reply(self, m: Message, code: str, ready: int, payload: Payload, detail: str = "") -> None: ...

    def answer_time_for(self, m: Message, soon: bool = False) -> int: ...

    def schedule(self, o: TOrder) -> None: ...
