"""ERCOT's market administration: ESI ID maintenance (814_20/814_21) and mass transition.

Kept apart from :mod:`ercot_sim.participants.ercot` (registration and stacking) as a mixin of
:class:`~ercot_sim.participants.ercot.Ercot`; it uses the same registry and helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ercot_sim.messages import Message
from ercot_sim.participants.base import ymd
from ercot_sim.registry import EsiRecord, Order

if TYPE_CHECKING:
    from ercot_sim.participants.ercot import Ercot

__all__ = ["ErcotAdmin"]


def _date(text: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class ErcotAdmin:
    """ESI ID maintenance and mass transition (mixed into :class:`Ercot`)."""

    # -- ESI ID maintenance ---------------------------------------------------------------------
    def on_814_20(self: Ercot, m: Message) -> None:
        """ESI ID create / maintain (switch hold) / retire from the TDSP; answered with 814_21."""
        f = m.fields
        rec = self.reg.records.get(m.esi_id)
        action = f.get("td", "")
        reject = ""
        if action == "CREATE":
            if rec is not None:
                reject = "ESI ID ALREADY EXISTS"
            else:
                rec = self.reg.records[m.esi_id] = EsiRecord(m.sender, "", "D")
        elif rec is None:
            reject = "ESI ID NOT FOUND"
        elif action == "RETIRE":
            if rec.rep or self.reg.open_orders(rec):
                reject = "ESI ID HAS REP OR PENDING ORDERS"
            else:
                rec.status = "R"
        elif action == "HOLD":
            rec.hold = f.get("hold", "")
        extra = {"action": "reject", "reject": "A13", "reason": reject} if reject else {}
        self.send("814_21", m.sender, m.esi_id, self._ref(m.esi_id, rec), m.ref, self._ready(),
                  detail=f"{action} {reject}".strip(), tdsp=m.sender, td=action, **extra)

    # -- mass transition ---------------------------------------------------------------------
    def mass_transition(self: Ercot, cr: str, polr: str | None) -> None:
        """Start the mass transition of ``cr``: reject, cancel, and move its ESI IDs to POLRs."""
        self.defaulting.add(cr)
        fasd = ymd(self.clock.add_business_days(self.today(), self.timing.fasd_business_days))
        for esi in sorted(self.reg.records):
            rec = self.reg.records[esi]
            for order in self.reg.open_orders(rec):
                if order.cr == cr:
                    self._cancel(order, rec, "mass transition of the CR")
            if rec.rep != cr or rec.status != "A":
                continue
            target = polr or self._polr(esi, cr)
            ref = self._ref(esi, rec)
            order = Order(ref, esi, "mass_transition", target, rec.tdsp, int(self.env.now), None)
            order.old_rep = cr
            self.reg.add_order(rec, order)
            self._forward_03_mt(esi, rec, order, fasd)

    def _forward_03_mt(self: Ercot, esi: str, rec: EsiRecord, order: Order, start: str) -> None:
        order.fwd_ref = order.order_id  # ERCOT's own order: the 814_03 is its first transaction
        order.requested = _date(start)
        self.reg.by_ref[order.fwd_ref] = order
        self.send("814_03", rec.tdsp, esi, order.fwd_ref, "", self._ready(), order_id=order.order_id,
                  detail=f"TS {start}", tdsp=rec.tdsp, cr=order.cr, start=start, kind="TS", bgn07="TS")

    def _polr(self: Ercot, esi: str, defaulting: str) -> str:
        polrs = [(d, w) for d, w in self.polrs if d != defaulting]
        total = sum(w for _, w in polrs) or 1.0
        x = self.u("polr", esi) * total
        for duns, w in polrs:
            x -= w
            if x < 0:
                return duns
        return polrs[-1][0]
