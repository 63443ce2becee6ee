"""What the simulated TDSPs bill on the 810_02: the monthly delivery charges and the fees.

The one place these amounts live: a TDSP builds the charge lines of its invoices' payloads
here (:func:`delivery_charges`, :func:`fee_charges`, :func:`late_payment_charges`).
"""

from __future__ import annotations

from dataclasses import dataclass

from edi.texas_set.payloads import Charge

__all__ = ["DELIVERY_CHARGES", "FEES", "LATE_PAYMENT_CHARGE", "PENNY_CHARGE", "ChargeLine", "delivery_charges",
           "fee_charges", "late_payment_charges", "penny_charges"]


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


#: kWh -> the delivery invoice's lines: one shared tuple per value, which the hot-path template
#: renders once (ercot_sim.output.templates); a month has a few thousand values (bounded)
_DELIVERY: dict[int, tuple[Charge, ...]] = {}


def delivery_charges(kwh: int) -> tuple[Charge, ...]:
    """The delivery invoice lines for ``kwh`` (amounts in cents)."""
    got = _DELIVERY.get(kwh)
    if got is None:
        got = tuple(Charge(c.code, c.cents * kwh, kwh, c.uom, c.description) if c.per_kwh else
                    Charge(c.code, c.cents, 1, c.uom, c.description) for c in DELIVERY_CHARGES)
        if len(_DELIVERY) >= 20_000:
            _DELIVERY.clear()
        _DELIVERY[kwh] = got
    return got

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


def fee_charges(code: str) -> tuple[Charge, ...]:
    """The line of an invoice of its own for fee ``code`` (a key of :data:`FEES`)."""
    amount, description = FEES[code]
    return (Charge(code, amount, 1, "EA", description),)


#: SAC04 of a late-payment charge (flows.md 10, E10). Listed in the shipped charge code list
#: (edi/texas_set/codes/sac-charges.xml) as assumed: no public source for the value was seen.
LATE_PAYMENT_CHARGE = "LPC001"


def late_payment_charges(cents: int) -> tuple[Charge, ...]:
    """The line of a late-payment invoice: it bills only the charge."""
    return (Charge(LATE_PAYMENT_CHARGE, cents, 1, "EA", "LATE PAYMENT CHARGE"),)


#: SAC04 of the one-cent line of a flight's penny test (CON52: a one-cent invoice the CR pays,
#: proving the payment path before the tracks start). That flights have a penny test is
#: confirmed (ERCOT's flight schedules of 2010 and 2012: "Penny Test (CON52) & ACK55/56");
#: that it is a one-cent 810_02 paid by an 820_02 is inferred, and the SAC04 value is assumed
#: (edi/texas_set/codes/sac-charges.xml).
PENNY_CHARGE = "TST001"


def penny_charges() -> tuple[Charge, ...]:
    """The one line of a penny-test invoice: one cent."""
    return (Charge(PENNY_CHARGE, 1, 1, "EA", "PENNY TEST"),)
