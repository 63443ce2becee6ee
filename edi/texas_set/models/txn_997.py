"""The 997 functional acknowledgment: one functional group, its transaction sets, errors."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Part, TxModel

__all__ = ["Ack997", "TransactionAck", "SegmentError", "ElementError"]

_N0 = Annotated[int, Field(ge=0, le=999_999)]
_Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")]


class ElementError(Part):
    """AK4: one element in error.

    Attributes:
        position: AK401, the element's position in the segment.
        element_ref: AK402, the data element reference number, when known.
        code: AK403, the element syntax error code (``1`` mandatory missing, ``8`` bad date ...).
        value: AK404, a copy of the bad value.
    """

    position: Annotated[int, Field(ge=1, le=99)]
    element_ref: _N0 | None = None
    code: _Code
    value: Annotated[str, StringConstraints(min_length=1, max_length=99, pattern=r"^[^*~>]+$")] | None = None


class SegmentError(Part):
    """AK3: one segment in error, with its element errors.

    Attributes:
        segment_id: AK301.
        position: AK302, the segment's position in the transaction set (ST = 1).
        loop_id: AK303, the loop identifier, when known.
        code: AK304, the segment syntax error code, when the segment itself is wrong.
        elements: the AK4 element errors.
    """

    segment_id: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,2}$")]
    position: Annotated[int, Field(ge=1, le=999_999)]
    loop_id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,6}$")] | None = None
    code: _Code | None = None
    elements: tuple[ElementError, ...] = Field(default=(), max_length=99)


class TransactionAck(Part):
    """AK2 .. AK5: the acknowledgment of one transaction set.

    Attributes:
        st01: AK201, the transaction set identifier (``814``).
        control: AK202, its ST02.
        segments: the AK3 loops.
        status: AK501, ``A`` accepted, ``E`` accepted with errors, ``R`` rejected.
        code1, code2: AK502 and AK503, transaction set syntax error codes.
    """

    st01: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
    control: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{4,9}$")]
    segments: tuple[SegmentError, ...] = Field(default=(), max_length=999)
    status: Literal["A", "E", "R"] = "A"
    code1: _Code | None = None
    code2: _Code | None = None


class Ack997(TxModel):
    """A 997 functional acknowledgment.

    Attributes:
        code: ``997``.
        functional_id: AK101, the GS01 of the group acknowledged (``GE``, ``PT`` ...).
        group_control: AK102, its GS06.
        transactions: the AK2 loops, one per transaction set acknowledged.
        status: AK901: ``A`` accepted, ``E`` accepted with errors, ``P`` partially
            accepted, ``R`` rejected.
        included: AK902, transaction sets included in the group.
        received: AK903, transaction sets received.
        accepted: AK904, transaction sets accepted.
        group_code: AK905, functional group syntax error code.
    """

    CODES: ClassVar[tuple[str, ...]] = ("997",)

    code: Literal["997"] = "997"
    functional_id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    group_control: Annotated[int, Field(ge=1, le=999_999_999)]
    transactions: tuple[TransactionAck, ...] = Field(default=(), max_length=999_999)
    status: Literal["A", "E", "P", "R"] = "A"
    included: _N0
    received: _N0
    accepted: _N0
    group_code: _Code | None = None

    @model_validator(mode="after")
    def _counts(self) -> Ack997:
        if self.accepted > self.received or self.received > self.included:
            raise ValueError("AK9 counts must satisfy accepted <= received <= included")
        if self.code2_without_code1():
            raise ValueError("AK503 needs AK502")
        return self

    def code2_without_code1(self) -> bool:
        """True when a transaction has AK503 but no AK502."""
        return any(t.code2 is not None and t.code1 is None for t in self.transactions)
