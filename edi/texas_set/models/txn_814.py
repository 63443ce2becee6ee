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

__all__ = ["Enrollment814", "Code814", "CodeInfo814", "CODES_814", "REQUIRED_814", "Action", "Maintenance"]

Code814 = Literal[
    "814_01", "814_02", "814_03", "814_04", "814_05", "814_06", "814_07", "814_08", "814_09",
    "814_10", "814_11", "814_12", "814_13", "814_14", "814_15", "814_16", "814_17", "814_18",
    "814_19", "814_20", "814_21", "814_22", "814_23", "814_24", "814_25", "814_26", "814_27",
    "814_28", "814_29", "814_PC", "814_PD",
]  # fmt: skip

#: ASI01 action: ``request`` (7) [C], ``accept`` (WQ), ``reject`` (U) [K].
Action = Literal["request", "accept", "reject"]

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
        indicators: the LIN07 indicators the code may carry; empty: no LIN06/LIN07.
        maintenances: the ASI02 maintenance types allowed (default: ``maintenance`` only).
        orig_ref: whether BGN06 (original reference) is carried.
        transition: whether BGN07 (mass transition / acquisition) is carried.
        cr: whether N1*SJ (the CR) is carried.
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
    indicators: tuple[str, ...] = ()
    maintenances: tuple[Maintenance, ...] = ()
    orig_ref: bool = True
    transition: bool = False
    cr: bool = True
    retired: bool = False
    confirmed: bool = False


_NO_BGN06 = {"814_01", "814_10", "814_16", "814_18", "814_20", "814_PC"}
_BGN07 = {"814_03", "814_04", "814_05", "814_11", "814_14", "814_15"}
_INDICATORS = {
    "814_01": ("HU",), "814_02": ("HU",), "814_03": ("HU", "MVI"), "814_04": ("MVI", "HU"),
    "814_05": ("MVI", "HU"), "814_06": ("MVI",), "814_07": ("MVI",), "814_12": ("MVI", "MVO"),
    "814_13": ("MVI", "MVO"), "814_16": ("MVI",), "814_17": ("MVI",), "814_18": ("CSA",),
    "814_19": ("CSA",), "814_22": ("CSA",), "814_23": ("CSA",), "814_24": ("MVO",),
    "814_25": ("MVO",), "814_28": ("MVI", "MVO"), "814_29": ("MVI", "MVO"),
}  # fmt: skip
_ALL_MAINT: tuple[Maintenance, ...] = ("add", "change", "delete")
_MAINTS: dict[str, tuple[Maintenance, ...]] = {
    "814_18": _ALL_MAINT, "814_19": _ALL_MAINT, "814_20": _ALL_MAINT, "814_21": _ALL_MAINT,
    "814_28": ("add", "delete"), "814_29": ("add", "delete"),
}  # fmt: skip


def _i(code: str, name: str, request: bool, maint: Maintenance, sched: bool = False,
       **kw: Any) -> tuple[str, CodeInfo814]:
    kw.setdefault("bgn01", "13" if request else "11")
    kw.setdefault("indicators", _INDICATORS.get(code, ()))
    kw.setdefault("maintenances", _MAINTS.get(code, (maint,)))
    kw.setdefault("orig_ref", code not in _NO_BGN06)
    kw.setdefault("transition", code in _BGN07)
    kw.setdefault("cr", code != "814_21")
    return code, CodeInfo814(name, request, maint, "scheduled_date" if sched else "requested_date", **kw)


#: Per-code facts of the 814 family, from the implementation guides (``guides/814_*.xml``).
CODES_814: dict[str, CodeInfo814] = dict(
    [
        _i("814_01", "Switch request", True, "add", confirmed=True),
        _i("814_02", "Switch reject", False, "add", action="reject"),
        _i("814_03", "Enrollment notification to TDSP", True, "add"),
        _i("814_04", "Enrollment notification response", False, "add", sched=True),
        _i("814_05", "Enrollment response to the gaining CR", False, "add", sched=True),
        _i("814_06", "Loss notification", True, "delete", sched=True),
        _i("814_07", "Loss notification response", False, "delete", sched=True),
        _i("814_08", "Cancel request", True, "delete", bgn01="01"),
        _i("814_09", "Cancel response", False, "delete"),
        _i("814_10", "Drop to AREP request (retired)", True, "delete", retired=True),
        _i("814_11", "Drop response", False, "delete", sched=True),
        _i("814_12", "Date change request", True, "change"),
        _i("814_13", "Date change response", False, "change", sched=True),
        _i("814_14", "Drop to AREP/POLR notification", True, "add", sched=True),
        _i("814_15", "Drop notification response", False, "add", sched=True),
        _i("814_16", "Move-in request", True, "add", indicator="MVI"),
        _i("814_17", "Move-in reject", False, "add", indicator="MVI", action="reject"),
        _i("814_18", "Establish/delete CSA request", True, "add", indicator="CSA"),
        _i("814_19", "CSA response", False, "add", indicator="CSA"),
        _i("814_20", "Create/maintain/retire ESI ID", True, "change"),
        _i("814_21", "ESI ID maintenance response", False, "change"),
        _i("814_22", "CSA CR move-in request", True, "add", indicator="CSA"),
        _i("814_23", "CSA CR move-in response", False, "add", sched=True, indicator="CSA"),
        _i("814_24", "Move-out request", True, "delete", indicator="MVO"),
        _i("814_25", "Move-out response", False, "delete", indicator="MVO"),
        _i("814_26", "Historical usage request", True, "add", service="HU"),
        _i("814_27", "Historical usage response", False, "add", service="HU"),
        _i("814_28", "Completed unexecutable / permit required", True, "add", sched=True),
        _i("814_29", "Response to completed unexecutable", False, "add", sched=True),
        _i("814_PC", "Maintain customer information request", True, "change"),
        _i("814_PD", "Maintain customer information response", False, "change"),
    ]
)

_Line = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9\-]+$")]
_Code = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[A-Z0-9]+$")]


#: Per code, the fields its guide makes mandatory (BGN06/07, N1 loops, DTMs, REFs).
REQUIRED_814: dict[str, tuple[str, ...]] = {
    code: tuple(fields.split())
    for code, fields in {
        "814_01": "cr customer",
        "814_02": "orig_ref cr reject_code",
        "814_03": "tdsp cr requested_date",
        "814_04": "orig_ref tdsp cr",
        "814_05": "orig_ref tdsp cr",
        "814_06": "tdsp cr end_date",
        "814_07": "orig_ref cr",
        "814_08": "orig_ref cr",
        "814_09": "orig_ref tdsp cr",
        "814_10": "cr",
        "814_11": "orig_ref transition_type tdsp cr",
        "814_12": "orig_ref cr iteration",
        "814_13": "orig_ref tdsp cr iteration",
        "814_14": "transition_type tdsp cr scheduled_date",
        "814_15": "orig_ref transition_type cr",
        "814_16": "cr customer customer.address1 customer.city requested_date",
        "814_17": "orig_ref cr reject_code",
        "814_18": "cr",
        "814_19": "orig_ref cr",
        "814_20": "tdsp effective_date",
        "814_21": "orig_ref tdsp",
        "814_22": "tdsp cr requested_date",
        "814_23": "orig_ref cr",
        "814_24": "cr end_date",
        "814_25": "orig_ref tdsp cr",
        "814_26": "cr",
        "814_27": "orig_ref tdsp cr",
        "814_28": "orig_ref tdsp cr unexecutable_code",
        "814_29": "orig_ref tdsp cr unexecutable_code",
        "814_PC": "tdsp cr customer",
        "814_PD": "orig_ref tdsp cr",
    }.items()
}


class Enrollment814(TxModel):
    """Any transaction of the 814 family (see :data:`CODES_814` for what each code is).

    Attributes:
        code: ``814_01`` ... ``814_29``, ``814_PC``, ``814_PD``.
        ref: BGN02, the sender's unique transaction reference.
        date: BGN03, the transaction date.
        time: BGN04, the transaction time (HHMM).
        orig_ref: BGN06, the BGN02 of the transaction this one answers, cancels or forwards.
        transition_type: BGN07, ``TS`` mass transition or ``AQ`` acquisition transfer [C].
        action: ASI01: ``request`` (7), ``accept`` (WQ), ``reject`` (U); defaults to
            ``request`` on initiating codes, ``accept`` on responses (``reject`` on 814_02/17).
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
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = REQUIRED_814

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
        actions = (info.action,) if info.action else ("request",) if info.request else ("accept", "reject")
        if self.action not in actions:
            raise ValueError(f"{self.code} action must be one of {', '.join(actions)}, not {self.action!r}")
        if self.maintenance not in info.maintenances:
            raise ValueError(
                f"{self.code} maintenance must be one of {', '.join(info.maintenances)}, not {self.maintenance!r}"
            )
        if self.indicator is not None and self.indicator not in info.indicators:
            allowed = ", ".join(info.indicators) or "none"
            raise ValueError(f"{self.code} LIN07 indicator must be one of: {allowed}; not {self.indicator!r}")
        if self.orig_ref is not None and not info.orig_ref:
            raise ValueError(f"{self.code} carries no original reference (BGN06)")
        if self.transition_type is not None and not info.transition:
            raise ValueError(f"{self.code} carries no transition type (BGN07)")
        if self.switch_hold is False and self.code != "814_20":
            raise ValueError(f"{self.code} REF*SH says only that a hold exists (Y); 'N' is for 814_20")
        if self.cr is not None and not info.cr:
            raise ValueError(f"{self.code} carries no CR (N1*SJ)")
        if (self.action == "reject") != (self.reject_code is not None):
            raise ValueError("reject_code (REF*7G) is required on a reject and only there")
        self._check_texts(("reject_text", "reject_code"), ("status_text", "status_reason"),
                          ("unexecutable_text", "unexecutable_code"))
        self._check_line_ref()
        return self

    @property
    def historical_usage(self) -> bool:
        """True when the LIN asks for historical usage (``SH*HU``)."""
        return self.indicator == "HU" or CODES_814[self.code].service == "HU"

    @property
    def service_date(self) -> dt.date | None:
        """The DTM*150 date whatever its name on this code."""
        return self.requested_date or self.scheduled_date
