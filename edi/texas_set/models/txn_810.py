"""The 810_02 TDSP invoice: wires and delivery charges for one ESI ID and one period."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Part, Party, TxModel
from edi.texas_set.types import EsiId, Quantity, X12Id, X12Text

__all__ = ["Invoice810", "Charge", "invoice_total"]

_Uom = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]


class Charge(Part):
    """One invoice line: ``IT1`` with its ``SAC`` charge.

    Attributes:
        code: SAC04, the TX SET charge code (``BAS001``, ``DIS001`` ...) [C: flat-file].
        amount: SAC05, cents (X12 N2).
        quantity: SAC10, the billed quantity (kWh, kW, 1 for fixed charges).
        uom: SAC09, unit of measure (``EA``, ``KH``, ``K1``).
        description: SAC15, the charge description (X12 004010 SAC15; TXSET104: "the TDSP will add
            SAC15 to include the actual description").
        allowance: SAC01 ``A`` (credit) instead of ``C`` (charge).
    """

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,10}$")]
    amount: int
    quantity: Quantity = 1
    uom: _Uom = "EA"
    description: X12Text | None = None
    allowance: bool = False


class Invoice810(TxModel):
    """An 810_02 TDSP invoice.

    Attributes:
        code: ``810_02``.
        date: BIG01, invoice date.
        invoice_number: BIG02 (1 to 22 characters, as the element holds).
        invoice_type: BIG07, transaction type (``ME`` memorandum [U], ``26`` misc credit [C]).
        purpose: BIG08, ``00`` original, ``01`` cancellation [U].
        esi_id: REF*Q5.
        usage_ref: REF*OI, the BPT02 of the paired 867_03.
        tdsp: N1*8S (the biller).
        cr: N1*SJ (the billed CR).
        due_date: ITD06, the terms net due date (invoice date + 35 days, next business day) [C].
        period_start, period_end: DTM*150 / DTM*151, the billing period.
        charges: the invoice lines.
        total: TDS01, cents; when not given, the charges summed (allowances subtract). A total
            that is not that sum is kept as sent: it is the receiving CR's to reject with an
            824 (an application error, not an X12 one), see :attr:`lines_total`.
    """

    CODES: ClassVar[tuple[str, ...]] = ("810_02",)
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {"810_02": ("tdsp", "cr")}

    code: Literal["810_02"] = "810_02"
    date: dt.date
    invoice_number: Annotated[str, StringConstraints(min_length=1, max_length=22, pattern=r"^[A-Za-z0-9\-]+$")]
    invoice_type: Literal["ME", "26"] = "ME"
    purpose: Literal["00", "01"] = "00"
    esi_id: EsiId
    usage_ref: X12Id | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    due_date: dt.date
    period_start: dt.date
    period_end: dt.date
    charges: tuple[Charge, ...] = Field(min_length=1, max_length=200)
    total: int | None = None

    @model_validator(mode="after")
    def _totals(self) -> Invoice810:
        computed = invoice_total(self.charges)
        if self.total is None:
            object.__setattr__(self, "total", computed)
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


    @property
    def lines_total(self) -> int:
        """The sum of the charge lines (allowances subtract): what :attr:`total` should be."""
        return invoice_total(self.charges)


def invoice_total(charges: tuple[Charge, ...] | list[dict]) -> int:
    """Sum of charge amounts in cents; allowances subtract."""
    total = 0
    for c in charges:
        if isinstance(c, dict):
            amt, allow = c["amount"], c.get("allowance", False)
        else:
            amt, allow = c.amount, c.allowance
        total += -amt if allow else amt
    return total
