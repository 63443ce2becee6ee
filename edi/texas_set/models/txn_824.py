"""The 824 application advice: business accept or reject of an 810, 820 or 867."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Part, Party, TxModel
from edi.texas_set.types import TEXT_PATTERN, EsiId, X12Id

__all__ = ["ApplicationAdvice824", "Advice", "Reason"]


class Reason(Part):
    """One application error (``TED``).

    Attributes:
        code: TED01, application error condition code (``848`` incorrect data ...) [K].
        text: TED02, free-form message (at most 60 characters, as TED02 holds).
    """

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=TEXT_PATTERN)] | None = None


class Advice(Part):
    """The advice on one transaction (``OTI`` loop).

    Attributes:
        result: OTI01, ``accept`` (TA), ``accept_with_errors`` (TE), ``reject`` (TR).
        ref_qualifier: OTI02, what ``orig_ref`` is: ``IV`` invoice number, ``TN``
            transaction reference [K].
        orig_ref: OTI03, the reference of the transaction advised on (BIG02, BPT02, TRN02).
        group_control: OTI08, the GS06 of its functional group, when known.
        orig_control: OTI09, its ST02 control number, when known; only with ``group_control``
            (X12 004010 syntax note C0908).
        orig_transaction: OTI10, its transaction set: ``810``, ``820``, ``867``.
        esi_id: REF*Q5 in the OTI loop.
        reasons: TED segments; at least one unless accepted.
    """

    result: Literal["accept", "accept_with_errors", "reject"] = "reject"
    ref_qualifier: Literal["IV", "TN"] = "IV"
    orig_ref: X12Id
    group_control: Annotated[int, Field(ge=1, le=999_999_999)] | None = None
    orig_control: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,9}$")] | None = None
    orig_transaction: Literal["810", "820", "867"] = "810"
    esi_id: EsiId | None = None
    reasons: tuple[Reason, ...] = Field(default=(), max_length=99)

    @model_validator(mode="after")
    def _reasons(self) -> Advice:
        if self.result != "accept" and not self.reasons:
            raise ValueError(f"an advice with result {self.result!r} needs at least one reason (TED)")
        if self.orig_control is not None and self.group_control is None:
            raise ValueError("orig_control (OTI09) needs group_control (OTI08): X12 004010 OTI syntax note C0908")
        return self


class ApplicationAdvice824(TxModel):
    """An 824 application advice.

    Attributes:
        code: ``824``.
        ref: BGN02, the sender's reference.
        date: BGN03.
        orig_ref: BGN06, the reference of the transaction (or file) advised on.
        tdsp: N1*8S.
        cr: N1*SJ.
        advices: the ``OTI`` loops, one per transaction advised on.
    """

    CODES: ClassVar[tuple[str, ...]] = ("824",)

    code: Literal["824"] = "824"
    ref: X12Id
    date: dt.date
    orig_ref: X12Id | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    advices: tuple[Advice, ...] = Field(min_length=1, max_length=9999)
