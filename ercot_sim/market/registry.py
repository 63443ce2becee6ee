"""ERCOT's ESI ID registry: REP of record, premise status and the orders on each ESI ID.

Only ERCOT holds a registry; TDSPs and CRs keep their own, smaller views. Records use
``__slots__`` so that a market of millions of ESI IDs stays within a few hundred bytes each;
``orders`` is ``None`` for the many ESI IDs that never see one.

Order states: ``pending`` (sent to the TDSP, no answer yet), ``scheduled`` (the TDSP gave a
date), ``permit`` (814_28 permit pending), and the terminal ``completed``, ``rejected``,
``cancelled`` and ``unexecutable``.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["TERMINAL", "Csa", "EsiRecord", "Order", "Registry"]

TERMINAL = frozenset({"completed", "rejected", "cancelled", "unexecutable"})

#: premise status: A active (energized, REP of record), D de-energized, R retired
STATUS_NAMES = {"A": "active", "D": "de-energized", "R": "retired"}


class Order:
    """One initiating request (or an ERCOT-made mass-transition order) and its state."""

    __slots__ = ("order_id", "esi_id", "kind", "cr", "tdsp", "submitted", "requested",
                 "scheduled", "state", "state_at", "detail", "fwd_ref", "old_rep",
                 "iteration", "priority", "cancel_ref", "dc_ref", "loss_sent", "cancel_ok", "link", "td")

    def __init__(self, order_id: str, esi_id: str, kind: str, cr: str, tdsp: str,
                 submitted: int, requested: dt.date | None) -> None:
        self.order_id = order_id
        self.esi_id = esi_id
        self.kind = kind
        self.cr = cr
        self.tdsp = tdsp
        self.submitted = submitted
        self.requested = requested
        self.scheduled: dt.date | None = None
        self.state = "pending"
        self.state_at = submitted
        self.detail = ""
        self.fwd_ref = ""
        self.old_rep = ""
        self.iteration: dt.datetime | None = None  # DTM*097 of the latest date change
        self.priority = False
        self.cancel_ref = ""
        self.dc_ref = ""
        self.loss_sent = False
        self.cancel_ok = False  # the TDSP confirmed the cancel
        self.link: Order | None = None  # a CSA move-out and the CSA CR's move-in it led to
        self.td = ""  # REF*TD of the request, passed on (2MR: a second move-out request)

    @property
    def terminal(self) -> bool:
        """Has the order reached an end state?"""
        return self.state in TERMINAL


class EsiRecord:
    """ERCOT's view of one ESI ID."""

    __slots__ = ("tdsp", "rep", "status", "n", "orders", "hold", "since", "csa")

    def __init__(self, tdsp: str, rep: str, status: str) -> None:
        self.tdsp = tdsp
        self.rep = rep  # DUNS of the REP of record, '' when none
        self.status = status
        self.n = 0  # ERCOT reference counter for this ESI ID
        self.orders: list[Order] | None = None
        self.hold = ""
        self.since: dt.date | None = None  # read date of the last REP change applied
        self.csa: Csa | None = None  # continuous service agreement (814_18), if any


class Csa:
    """A continuous service agreement on an ESI ID: which CR serves the premise between
    tenants, from which date, and the 814_18 that is still pending (one at a time)."""

    __slots__ = ("cr", "start", "pending")

    def __init__(self) -> None:
        self.cr = ""  # DUNS of the CSA CR in effect ('' = none)
        self.start: dt.date | None = None
        self.pending: tuple[str, str, dt.date, str] | None = None  # (814_18 ref, CR, date, add|delete)


class Registry:
    """All ESI IDs ERCOT knows, and every order by id and by the references sent for it."""

    def __init__(self) -> None:
        self.records: dict[str, EsiRecord] = {}
        self.orders: dict[str, Order] = {}
        self.by_ref: dict[str, Order] = {}

    def add_order(self, rec: EsiRecord, order: Order) -> None:
        """Register a new order on its ESI ID."""
        if rec.orders is None:
            rec.orders = []
        rec.orders.append(order)
        self.orders[order.order_id] = order

    def open_orders(self, rec: EsiRecord) -> list[Order]:
        """Orders on the ESI ID that have not reached an end state."""
        return [o for o in rec.orders or () if not o.terminal]

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Registry table rows, by ESI ID."""
        return [(esi, r.tdsp, r.rep, STATUS_NAMES[r.status]) for esi, r in sorted(self.records.items())]
