"""The 650 service orders between CR and TDSP (direct, not through ERCOT).

650_01 asks the TDSP for field work (disconnect or reconnect for non-payment, meter test,
switch hold add/remove ``SH001``/``SH002``/``SH003``); 650_02 answers it (completed, permit
required, rejected, completed unexecutable); 650_04 tells the CR of a suspension of delivery
service (outage, hazard, tampering ``TM001``) or its reactivation (``RC001``); 650_05 is the
CR's reject of a 650_04 (its layout is assumed: see the guide).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import StringConstraints, model_validator

from edi.texas_set.models.common import Customer, Party, TxModel
from edi.texas_set.types import EsiId, X12Id, X12Text

__all__ = ["ServiceOrder650", "CODES_650"]

#: The codes with their titles and default BGN01 purpose.
CODES_650: dict[str, tuple[str, str]] = {
    "650_01": ("Service order request", "original"),
    "650_02": ("Service order response", "response"),
    "650_04": ("Suspension of delivery service notice", "original"),
    "650_05": ("Reject of a suspension notice", "response"),
}

_Code = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[A-Z0-9]+$")]
_Line = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9\-]+$")]


class ServiceOrder650(TxModel):
    """A 650_01, 650_02, 650_04 or 650_05 service order transaction.

    Attributes:
        code: ``650_01``, ``650_02``, ``650_04`` or ``650_05``.
        purpose: BGN01: ``original`` (13), ``response`` (11), ``reactivation`` (79, on a
            650_04 ending a suspension) [79: C TXSETCC722; element U].
        ref: BGN02, the sender's reference (the service order number).
        date: BGN03.
        time: BGN04.
        orig_ref: BGN06, the 650_01 answered (650_02) or the 650_04 rejected (650_05).
        tdsp: N1*8S.
        cr: N1*SJ.
        customer: N1*8R with N3/N4/PER (650_01).
        line_ref: LIN01; ``None`` means "same as ``ref``".
        order_type: LIN05 (LIN04 ``SV``), the service order purpose: ``SH001`` add DPP switch
            hold, ``SH002`` remove it, ``SH003`` remove tampering hold [C]; ``DNP``/``RNP``
            disconnect/reconnect for non-payment, ``MTT`` meter test [U]; on 650_04
            ``TM001`` tampering, ``RC001`` reactivation [C], ``OTG`` outage, ``HAZ`` hazard [U].
        esi_id: REF*Q5.
        premise_verification: REF*8X ``Y``, verify the premise type [C: TXSET126].
        status: REF*1P on 650_02: ``CMP`` completed, ``PRM`` permit required, ``REJ``
            rejected, ``UNX`` completed unexecutable.
        reject_code, reject_text: REF*7G (``WTM``, ``FME``, ``DUP``, ``TCC``) [C]; on a 650_05
            ``A13`` other, ``A76`` ESI ID not served, ``DUP`` [U].
        unexecutable_code, unexecutable_text: REF*G7 (``T022``, ``T024``) [C].
        service_date: DTM*150: the requested date (650_01), the completion date (650_02),
            the start of the suspension (650_04, and the one rejected on a 650_05).
        end_date: DTM*151, the end of the suspension (650_04).
    """

    CODES: ClassVar[tuple[str, ...]] = tuple(CODES_650)
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {
        "650_01": ("tdsp", "cr"),
        "650_02": ("orig_ref", "tdsp", "cr", "status"),
        "650_04": ("tdsp", "cr", "service_date"),
        "650_05": ("orig_ref", "tdsp", "cr", "reject_code"),
    }

    code: Literal["650_01", "650_02", "650_04", "650_05"]
    purpose: Literal["original", "response", "reactivation"] = "original"
    ref: X12Id
    date: dt.date
    time: dt.time | None = None
    orig_ref: X12Id | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    customer: Customer | None = None
    line_ref: _Line | None = None
    order_type: _Code
    esi_id: EsiId
    premise_verification: bool = False
    status: Literal["CMP", "PRM", "REJ", "UNX"] | None = None
    reject_code: _Code | None = None
    reject_text: X12Text | None = None
    unexecutable_code: _Code | None = None
    unexecutable_text: X12Text | None = None
    service_date: dt.date | None = None
    end_date: dt.date | None = None

    @classmethod
    def code_defaults(cls, code: str) -> dict[str, Any]:
        """The BGN01 ``purpose`` default of a 650 code."""
        info = CODES_650.get(code)
        return {"purpose": info[1]} if info else {}

    @model_validator(mode="after")
    def _consistent(self) -> ServiceOrder650:
        purposes = {"650_01": ("original",), "650_02": ("response",), "650_04": ("original", "reactivation"),
                    "650_05": ("response",)}
        if self.purpose not in purposes[self.code]:
            raise ValueError(f"{self.code} purpose must be one of {', '.join(purposes[self.code])}")
        if self.orig_ref is not None and self.code not in ("650_02", "650_05"):
            raise ValueError(f"{self.code} carries no original reference (BGN06)")
        if self.customer is not None and self.code != "650_01":
            raise ValueError(f"{self.code} carries no customer (N1*8R)")
        if self.premise_verification and self.code != "650_01":
            raise ValueError("premise_verification (REF*8X) is carried on 650_01 only")
        if self.end_date is not None and self.code != "650_04":
            raise ValueError("end_date (DTM*151) is carried on 650_04 only")
        if self.code == "650_02":
            if self.status is None:
                raise ValueError("a 650_02 needs a status (REF*1P)")
            if (self.status == "REJ") != (self.reject_code is not None):
                raise ValueError("reject_code (REF*7G) is required with status REJ and only there")
            if (self.status == "UNX") != (self.unexecutable_code is not None):
                raise ValueError("unexecutable_code (REF*G7) is required with status UNX and only there")
        elif self.status is not None:
            raise ValueError(f"status (REF*1P) is carried on 650_02 only, not {self.code}")
        if self.code == "650_05":
            if self.reject_code is None:
                raise ValueError("a 650_05 needs a rejection reason (reject_code, REF*7G)")
            if self.unexecutable_code is not None:
                raise ValueError("unexecutable_code (REF*G7) is carried on 650_02 only")
        elif self.code != "650_02" and (self.reject_code is not None or self.unexecutable_code is not None):
            raise ValueError(f"{self.code} carries no rejection or unexecutable reason")
        if self.code == "650_04" and self.service_date is None:
            raise ValueError("a 650_04 needs the suspension start (service_date, DTM*150)")
        self._check_texts(("reject_text", "reject_code"), ("unexecutable_text", "unexecutable_code"))
        self._check_line_ref()
        return self
