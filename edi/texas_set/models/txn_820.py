"""The 820_02 CR remittance advice: one payment for one or more 810_02 invoices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Part, Party, TxModel
from edi.texas_set.types import EsiId, X12Id

__all__ = ["Remittance820", "RemittanceItem"]

_Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,35}$")]


class RemittanceItem(Part):
    """One invoice paid (``RMR*IK`` with ``REF*Q5``).

    Attributes:
        invoice_number: RMR02, the BIG02 of the 810_02 paid.
        amount_paid: RMR04, cents (X12 R: decimal dollars).
        invoice_amount: RMR05, cents; the invoice total.
        esi_id: REF*Q5 under the RMR.
    """

    invoice_number: X12Id
    amount_paid: int
    invoice_amount: int | None = None
    esi_id: EsiId | None = None


class Remittance820(TxModel):
    """An 820_02 remittance advice (CR -> TDSP).

    Attributes:
        code: ``820_02``.
        handling: BPR01, ``C`` payment accompanies the remittance, ``I`` remittance only.
        amount: BPR02, the payment in cents (X12 R: decimal dollars).
        method: BPR04 payment method: ``ACH`` or ``FWT`` (Fed wire).
        payment_format: BPR05, ``CCP`` (CCD+) or ``CTX`` for ACH.
        payer_routing, payer_account: BPR07 (BPR06 ``01``) and BPR09 (BPR08 ``DA``).
        payment_date: BPR16, the effective payment date.
        trace: TRN02 (TRN01 ``1``), must match the bank addenda / wire OBI [C].
        payer: N1*PR (the CR).
        payee: N1*PE (the TDSP).
        items: the invoices paid; their amounts add up to ``amount`` [C: must balance].
    """

    CODES: ClassVar[tuple[str, ...]] = ("820_02",)

    code: Literal["820_02"] = "820_02"
    handling: Literal["C", "I"] = "I"
    amount: int
    method: Literal["ACH", "FWT"] = "ACH"
    payment_format: Literal["CCP", "CTX"] | None = None
    payer_routing: _Digits | None = None
    payer_account: _Digits | None = None
    payment_date: dt.date
    trace: X12Id
    payer: Party
    payee: Party
    items: tuple[RemittanceItem, ...] = Field(min_length=1, max_length=999)

    @model_validator(mode="after")
    def _balances(self) -> Remittance820:
        paid = sum(i.amount_paid for i in self.items)
        if paid != self.amount:
            raise ValueError(f"payment {self.amount} cents does not balance the items ({paid})")
        if (self.payer_routing is None) != (self.payer_account is None):
            raise ValueError("payer_routing and payer_account go together")
        return self
