"""The 814 enrollment, registration and maintenance family as one model.

Every 814 of the Texas SET (switch, move-in, move-out, cancel, date change, CSA, ESI ID
maintenance, historical usage, unexecutable, customer information) shares one segment
layout: ``BGN``, the ``N1`` parties, one ``LIN`` loop per ESI ID with ``ASI``, ``REF`` and
``DTM``.  One :class:`Enrollment814` with a ``code`` discriminator therefore covers them all,
and the mapping stays one table instead of thirty.  What differs per code (request or
response, the default action and maintenance type, the name of the ``DTM*150`` date) is the
data in :data:`CODES_814`.

``814_10`` (drop to AREP) is retired [C: PRR724]: it is readable, never written by the
simulator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Customer, Party, TxModel
from edi.texas_set.types import EsiId, X12Id, X12Text

__all__ = ["Enrollment814", "Code814", "CodeInfo814", "CODES_814", "Action", "Maintenance"]

Code814 = Literal[
    "814_01", "814_02", "814_03", "814_04", "814_05", "814_06", "814_07", "814_08", "814_09",
    "814_10", "814_11", "814_12", "814_13", "814_14", "814_15", "814_16", "814_17", "814_18",
    "814_19", "814_20", "814_21", "814_22", "814_23", "814_24", "814_25", "814_26", "814_27",
    "814_28", "814_29", "814_PC", "814_PD",
]  # fmt: skip

#: ASI01 action: ``request`` (7) [C], ``accept`` (WQ), ``reject`` (U) [K], ``notify`` (27,
#: informational, no response required) [U].
Action = Literal["request", "accept", "reject", "notify"]

#: ASI02 maintenance type: ``add`` (021) [C], ``change`` (001) [C], ``delete`` (024) [U].
Maintenance = Literal["add", "change", "delete"]


@dataclass(frozen=True, slots=True)
class CodeInfo814:
    """What one 814 code is.

    Attributes:
        name: the transaction's title.
        request: True for initiating transactions (BGN01 13), False for responses (11).
        maintenance: the default ASI02 maintenance type.
        date150: the model field carried in ``DTM*150``: ``requested_date`` on requests,
            ``scheduled_date`` where the sender states the date the TDSP will work.
        action: the default ASI01 action when not the usual one (``reject`` on ERCOT rejects).
        indicator: the default LIN07 indicator (``MVI``, ``MVO``, ``CSA``).
        service: LIN05 service type: ``CE`` generation services, ``HU`` historical usage.
        bgn01: BGN01 transaction set purpose: ``13`` request, ``11`` response, ``01`` cancel.
        retired: readable but never written by the simulator.
        confirmed: whether the defaults are confirmed ([C]) or convention/assumed.
    """

    name: str
    request: bool
    maintenance: Maintenance
    date150: Literal["requested_date", "scheduled_date"]
    indicator: str | None = None
    action: Action | None = None
    service: str = "CE"
    bgn01: str = ""
    retired: bool = False
    confirmed: bool = False


def _i(name: str, request: bool, maint: Maintenance, sched: bool = False, **kw: Any) -> CodeInfo814:
    kw.setdefault("bgn01", "13" if request else "11")
    return CodeInfo814(name, request, maint, "scheduled_date" if sched else "requested_date", **kw)


#: Per-code defaults of the 814 family. ASI02 values other than 021 on switches are [U].
CODES_814: dict[str, CodeInfo814] = {
    "814_01": _i("Switch request", True, "add", confirmed=True),
    "814_02": _i("Switch reject", False, "add", action="reject"),
    "814_03": _i("Enrollment notification to TDSP", True, "add"),
    "814_04": _i("Enrollment notification response", False, "add", sched=True),
    "814_05": _i("Enrollment response to the gaining CR", False, "add", sched=True),
    "814_06": _i("Loss notification", True, "delete", sched=True),
    "814_07": _i("Loss notification response", False, "delete", sched=True),
    "814_08": _i("Cancel request", True, "delete", bgn01="01"),
    "814_09": _i("Cancel response", False, "delete"),
    "814_10": _i("Drop to AREP request (retired)", True, "delete", retired=True),
    "814_11": _i("Drop response", False, "delete", sched=True),
    "814_12": _i("Date change request", True, "change"),
    "814_13": _i("Date change response", False, "change", sched=True),
    "814_14": _i("Drop to AREP/POLR notification", True, "add", sched=True),
    "814_15": _i("Drop notification response", False, "add", sched=True),
    "814_16": _i("Move-in request", True, "add", indicator="MVI"),
    "814_17": _i("Move-in reject", False, "add", indicator="MVI", action="reject"),
    "814_18": _i("Establish/delete CSA request", True, "add", indicator="CSA"),
    "814_19": _i("CSA response", False, "add", indicator="CSA"),
    "814_20": _i("Create/maintain/retire ESI ID", True, "change"),
    "814_21": _i("ESI ID maintenance response", False, "change"),
    "814_22": _i("CSA CR move-in request", True, "add", indicator="CSA"),
    "814_23": _i("CSA CR move-in response", False, "add", sched=True, indicator="CSA"),
    "814_24": _i("Move-out request", True, "delete", indicator="MVO"),
    "814_25": _i("Move-out response", False, "delete", indicator="MVO"),
    "814_26": _i("Historical usage request", True, "add", service="HU"),
    "814_27": _i("Historical usage response", False, "add", service="HU"),
    "814_28": _i("Completed unexecutable / permit required", True, "add", sched=True),
    "814_29": _i("Response to completed unexecutable", False, "add", sched=True),
    "814_PC": _i("Maintain customer information request", True, "change"),
    "814_PD": _i("Maintain customer information response", False, "change"),
}

_Line = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9\-]+$")]
_Code = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[A-Z0-9]+$")]


class Enrollment814(TxModel):
    """Any transaction of the 814 family (see :data:`CODES_814` for what each code is).

    Attributes:
        code: ``814_01`` ... ``814_29``, ``814_PC``, ``814_PD``.
        ref: BGN02, the sender's unique transaction reference.
        date: BGN03, the transaction date.
        time: BGN04, the transaction time (HHMM).
        orig_ref: BGN06, the BGN02 of the transaction this one answers, cancels or forwards.
        transition_type: BGN07, ``TS`` mass transition or ``AQ`` acquisition transfer [C].
        action: ASI01: ``request`` (7), ``accept`` (WQ), ``reject`` (U), ``notify`` (27);
            defaults to ``request`` on initiating codes and ``accept`` on responses.
        maintenance: ASI02: ``add`` (021), ``change`` (001), ``delete`` (024); per-code default.
        esi_id: REF*Q5, the ESI ID (one per transaction).
        line_ref: LIN01, the line reference; ``None`` means "same as ``ref``".
        indicator: LIN07 (with LIN06 ``SH``): ``HU`` historical usage requested, ``MVI``
            move-in, ``MVO`` move-out, ``CSA`` continuous service agreement; defaults per code.
        tdsp: N1*8S, the TDSP.
        cr: N1*SJ, the competitive retailer.
        customer: N1*8R with N3/N4/PER, the end-use customer.
        requested_date: DTM*150 on requests: the date the CR asks for (or ERCOT's FASD on 814_03).
        scheduled_date: DTM*150 on responses and notices: the scheduled meter read date [C].
        end_date: DTM*151, the (requested or scheduled) service end / move-out / loss date.
        effective_date: DTM*007, the effective date of an ESI ID or customer change.
        last_date_to_object: DTM*656, end of the rescission period (814_03) [C].
        iteration: DTM*097 (date and time), the 814_12/814_13 iteration counter [C: stacking].
        priority: REF*PRI ``Y``, a priority move-in (814_16) [U coding].
        reject_code, reject_text: REF*7G, the rejection reason.
        unexecutable_code, unexecutable_text: REF*G7, completed-unexecutable or permit reason.
        status_reason, status_text: REF*1P, status reason (e.g. on 814_27) [C: TXSET130].
        switch_hold: REF*SH ``Y``/``N``: a switch hold exists (or existed before a mass
            transition) / was removed [C].
        bypass_csa: REF*2W ``Y``, bypass the continuous service agreement (814_24) [C].
        maintenance_reason: REF*TD, reason for change (814_20) [C]; ``2MR`` on an 814_24.
        meter_type: REF*MT, e.g. ``KHMON`` or ``COMBO`` [C].
        meter_dials: REF*IX, number of dials / digits of the meter [C: TXSET129].
        unmetered_type: REF*PRT, unmetered service type [C].
        life_support: REF*SU ``Y``, critical care / life support [C].
        billing_type: REF*BLT, ``DUAL`` or ``REP`` billing [C: muni/co-op sample].
        bill_calculator: REF*PC, the party that calculates the bill [C].
        cr_account: REF*11, the CR's customer account number.
        tdsp_account: REF*12, the TDSP's account number.
        authorization: REF*LOA, the customer's letter of authorization (814_26).
    """

    code: Code814
    ref: X12Id
    date: dt.date
    time: dt.time | None = None
    orig_ref: X12Id | None = None
    transition_type: Literal["TS", "AQ"] | None = None
    action: Action = "request"
    maintenance: Maintenance = "add"
    esi_id: EsiId
    line_ref: _Line | None = None
    indicator: Literal["HU", "MVI", "MVO", "CSA"] | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    customer: Customer | None = None
    requested_date: dt.date | None = None
    scheduled_date: dt.date | None = None
    end_date: dt.date | None = None
    effective_date: dt.date | None = None
    last_date_to_object: dt.date | None = None
    iteration: dt.datetime | None = None
    priority: bool = False
    reject_code: _Code | None = None
    reject_text: X12Text | None = None
    unexecutable_code: _Code | None = None
    unexecutable_text: X12Text | None = None
    status_reason: _Code | None = None
    status_text: X12Text | None = None
    switch_hold: bool | None = None
    bypass_csa: bool = False
    maintenance_reason: _Code | None = None
    meter_type: _Code | None = None
    meter_dials: Annotated[int, Field(ge=0, le=99)] | None = None
    unmetered_type: X12Id | None = None
    life_support: bool = False
    billing_type: Literal["DUAL", "REP"] | None = None
    bill_calculator: Literal["DUAL", "REP"] | None = None
    cr_account: X12Id | None = None
    tdsp_account: X12Id | None = None
    authorization: X12Id | None = None

    CODES: ClassVar[tuple[str, ...]] = tuple(CODES_814)

    @classmethod
    def code_defaults(cls, code: str) -> dict[str, Any]:
        """``action`` and ``maintenance`` defaults of an 814 code."""
        info = CODES_814.get(code)
        if info is None:
            return {}
        out: dict[str, Any] = {
            "action": info.action or ("request" if info.request else "accept"),
            "maintenance": info.maintenance,
        }
        if info.indicator:
            out["indicator"] = info.indicator
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Enrollment814:
        info = CODES_814[self.code]
        other = "scheduled_date" if info.date150 == "requested_date" else "requested_date"
        if getattr(self, other) is not None:
            raise ValueError(f"{self.code} carries its DTM*150 date as {info.date150}, not {other}")
        if info.request and self.action not in ("request", "notify"):
            raise ValueError(
                f"{self.code} is an initiating transaction; action must be 'request' or 'notify'"
            )
        if not info.request and self.action in ("request", "notify"):
            raise ValueError(f"{self.code} is a response; action must be 'accept' or 'reject'")
        if (self.action == "reject") != (self.reject_code is not None):
            raise ValueError("reject_code (REF*7G) is required on a reject and only there")
        if self.reject_text is not None and self.reject_code is None:
            raise ValueError("reject_text needs a reject_code")
        if self.status_text is not None and self.status_reason is None:
            raise ValueError("status_text needs a status_reason")
        if self.unexecutable_text is not None and self.unexecutable_code is None:
            raise ValueError("unexecutable_text needs an unexecutable_code")
        if self.line_ref == self.ref:
            object.__setattr__(self, "line_ref", None)
        return self

    @property
    def historical_usage(self) -> bool:
        """True when the LIN asks for historical usage (``SH*HU``)."""
        return self.indicator == "HU" or CODES_814[self.code].service == "HU"

    @property
    def service_date(self) -> dt.date | None:
        """The DTM*150 date whatever its name on this code."""
        return self.requested_date or self.scheduled_date
