"""What the simulated TDSPs bill on the 810_02: the monthly delivery charges and the fees.

The one place these amounts live: the renderer (:mod:`ercot_sim.output.emit`) and the hot-path
templates (:mod:`ercot_sim.output.templates`) both build their charge lines from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DELIVERY_CHARGES", "FEES", "ChargeLine", "billed_charges", "delivery_charges"]


@dataclass(frozen=True)
class ChargeLine:
    """One line of the monthly delivery invoice (an IT1 + SAC pair).

    Attributes:
        code: SAC04 charge code.
        uom: SAC09 unit (``EA`` a flat charge, ``KH`` per kWh).
        cents: the amount, in cents: flat, or per kWh when ``uom`` is ``KH``.
        description: SAC15.
    """

    code: str
    uom: str
    cents: int
    description: str

    @property
    def per_kwh(self) -> bool:
        return self.uom == "KH"


#: The monthly delivery charges, in invoice order. ASSUMED: illustrative amounts (a $3.90
#: customer charge, 3 cents/kWh distribution, 1 cent/kWh transmission cost recovery), not a
#: TDSP's tariff; the codes are the shipped charge code list's (edi/texas_set/codes/sac-charges.xml).
DELIVERY_CHARGES: tuple[ChargeLine, ...] = (
    ChargeLine("BAS001", "EA", 390, "BASIC CUSTOMER CHARGE"),
    ChargeLine("DIS001", "KH", 3, "DISTRIBUTION SYSTEM CHARGE"),
    ChargeLine("TRN002", "KH", 1, "TRANSMISSION COST RECOVERY FACTOR"),
)


def delivery_charges(kwh: int) -> list[tuple[str, int, str, int, str]]:
    """The delivery invoice lines for ``kwh``: (code, amount in cents, unit, quantity, text)."""
    return [(c.code, c.cents * kwh, c.uom, kwh, c.description) if c.per_kwh else
            (c.code, c.cents, c.uom, 1, c.description) for c in DELIVERY_CHARGES]

#: TDSP fees billed to the gaining CR on an 810_02 of their own once the order is worked:
#: SAC04 -> (amount in cents, SAC15 description). That the fees are billed is confirmed for the
#: self-selected switch's out-of-cycle read (flows.md 2, timing-rules.md C5) and known for the
#: priority move-in (flows.md 3.2); the SAC04 values are assumed (marked so in
#: edi/texas_set/codes/sac-charges.xml). Amounts: $3.70 is Oncor's charge for working a
#: self-selected switch (askoncor.com billing FAQ), used for every TDSP; the priority move-in
#: amount is assumed.
FEES: dict[str, tuple[int, str]] = {
    "MSC001": (370, "OUT OF CYCLE METER READ"),
    "MSC002": (2500, "PRIORITY MOVE IN"),
}


def billed_charges(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The charge fields of an 810_02 that bills a charge rather than usage (an order's fee,
    ``charge``; a late payment, ``late_fee``), to carry over to its 824 and corrected invoice."""
    return {k: fields[k] for k in ("charge", "late_fee") if fields.get(k)}
