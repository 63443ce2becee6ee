"""Typed payloads: what a Texas SET transaction says, as the sender builds it, fast.

One slotted dataclass per transaction family (:class:`Payload814` ... :class:`Payload997`)
whose fields are the fields of the family's model (:mod:`edi.texas_set.models`), and so of
the mapping layouts that render it, with Python values: dates are :class:`datetime.date`,
amounts integer cents, quantities ``int`` or ``Decimal``. The nested parts (parties,
readings, charge lines ...) are named tuples: cheap to build, immutable, shareable.

A payload leaves out the *header* fields, which are not what the transaction says but where
and when it travels: the transaction code, the sender's reference (BGN02, BPT02, BIG02,
TRN02), the reference it answers, the ESI ID of the transaction, and the date it is sent
(BGN03, BIG01, BPR16), which only the transport knows. :data:`HEADER` lists them per family;
:func:`mapping_fields` joins a payload and its header into the mapping's fields. A test
checks that payload plus header are exactly the model's fields.

Unknown fields and missing required ones are errors when a payload is built (``TypeError``);
what a code's implementation guide makes mandatory beyond that is
:meth:`PayloadBase.missing`, and fields a code does not carry are :meth:`PayloadBase.uncarried`.
No validation runs when building a payload (that is what keeps the market's hot path fast):
values are checked where they come from, and the models validate what is read back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal, NamedTuple

__all__ = [
    "HEADER",
    "NOT_IN_LAYOUT",
    "PAYLOADS",
    "Advice",
    "Charge",
    "Customer",
    "ElementError",
    "MeterRead",
    "Party",
    "Payload",
    "Payload650",
    "Payload810",
    "Payload814",
    "Payload820",
    "Payload824",
    "Payload867",
    "Payload997",
    "PayloadBase",
    "Reason",
    "RemittanceItem",
    "UNRENDERED",
    "SegmentError",
    "TransactionAck",
    "UsagePeriod",
    "header_fields",
    "mapping_fields",
    "payload_class",
]

Quantity = int | Decimal


# -- parts ------------------------------------------------------------------------------------
class Party(NamedTuple):
    """An N1 party: name, DUNS (N104), ID qualifier (N103) and, on 867s, N106."""

    name: str
    duns: str
    id_qualifier: Literal["1", "9"] = "1"
    relationship: Literal["40", "41"] | None = None


class Customer(NamedTuple):
    """The end-use customer of an enrollment (N1*8R, N3, N4, PER)."""

    name: str
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    contact: str | None = None
    phone: str | None = None


class UsagePeriod(NamedTuple):
    """A usage period (PTD*SU): start, end and kWh."""

    start: dt.date
    end: dt.date
    kwh: Quantity
    estimated: bool = False


class MeterRead(NamedTuple):
    """A meter's reading (PTD*PL)."""

    start: dt.date
    end_reading: Quantity
    meter_number: str | None = None
    end: dt.date | None = None
    begin_reading: Quantity | None = None
    kwh: Quantity | None = None
    estimated: bool = False
    meter_type: str | None = None


class Charge(NamedTuple):
    """An invoice line (IT1 + SAC): amount in cents."""

    code: str
    amount: int
    quantity: Quantity = 1
    uom: str = "EA"
    description: str | None = None
    allowance: bool = False


class RemittanceItem(NamedTuple):
    """One invoice paid by an 820 (ENT/RMR): amounts in cents."""

    invoice_number: str
    amount_paid: int
    invoice_amount: int | None = None
    esi_id: str | None = None


class Reason(NamedTuple):
    """A reason of an 824 advice (REF*...)."""

    code: str
    text: str | None = None


class Advice(NamedTuple):
    """One application advice of an 824 (OTI)."""

    orig_ref: str
    result: Literal["accept", "accept_with_errors", "reject"] = "reject"
    ref_qualifier: Literal["IV", "TN"] = "IV"
    group_control: int | None = None
    orig_control: str | None = None
    orig_transaction: Literal["810", "820", "867"] = "810"
    esi_id: str | None = None
    reasons: tuple[Reason, ...] = ()


class ElementError(NamedTuple):
    """An AK4 of a 997."""

    position: int
    code: str
    element_ref: int | None = None
    value: str | None = None


class SegmentError(NamedTuple):
    """An AK3 of a 997, with its AK4s."""

    segment_id: str
    position: int
    loop_id: str | None = None
    code: str | None = None
    elements: tuple[ElementError, ...] = ()


class TransactionAck(NamedTuple):
    """An AK2/AK5 pair of a 997: one transaction set acknowledged."""

    st01: str
    control: str
    segments: tuple[SegmentError, ...] = ()
    status: Literal["A", "E", "R"] = "A"
    code1: str | None = None
    code2: str | None = None


# -- payloads ---------------------------------------------------------------------------------
class PayloadBase:
    """What every payload class has: its family and the checks against a code's guide."""

    __slots__ = ()

    #: the transaction set (ST01) of the family
    FAMILY: ClassVar[str] = ""

    def missing(self, code: str) -> list[str]:
        """Fields the implementation guide of ``code`` makes mandatory that are not given
        (header fields aside: the message carries them)."""
        out = []
        for path in _plan(type(self), code).required:
            value: Any = self
            for part in path:
                value = getattr(value, part, None) if value is not None else None
            if value is None or value == ():
                out.append(".".join(path))
        return out

    def uncarried(self, code: str) -> list[str]:
        """Fields given a value that the layout of ``code`` does not carry (they would not be
        in the file), those of :data:`UNRENDERED` aside."""
        plan = _plan(type(self), code)
        if plan.get is None:
            return []
        values = plan.get(self)
        if values == plan.defaults:  # the usual case: one comparison
            return []
        return [name for name, value, default in zip(plan.names, values, plan.defaults, strict=True)
                if value not in (None, False, (), "") and value != default]

    def problem(self, code: str) -> str | None:
        """Why ``code`` cannot carry this payload as it is (another family's, a mandatory
        field missing, a value in a field its layout does not carry), or None. About a
        microsecond: what :meth:`missing` and :meth:`uncarried` say, in one pass."""
        if code[:3] != self.FAMILY:
            return f"{code} cannot carry an {self.FAMILY} payload"
        plan = _plan(type(self), code)
        for path in plan.required:
            value: Any = self
            for part in path:
                value = getattr(value, part, None) if value is not None else None
            if value is None or value == ():
                return f"{code} without {', '.join(self.missing(code))} (mandatory in its implementation guide)"
        if plan.get is not None and plan.get(self) != plan.defaults:
            extra = self.uncarried(code)
            if extra:
                return f"{code} does not carry {', '.join(extra)}: it would not be in the file"
        return None

    def as_fields(self) -> dict[str, Any]:
        """The payload's fields as a dict (nested parts stay named tuples)."""
        names, get = _fields_of(type(self))
        return dict(zip(names, get(self), strict=True))


class _Plan(NamedTuple):
    """What checking a payload class against one code takes, worked out once."""

    #: the guide's mandatory fields the payload holds, as attribute paths
    required: tuple[tuple[str, ...], ...]
    #: the fields the code's layout does not carry, a getter of their values, their defaults
    names: tuple[str, ...]
    get: Callable[[Any], tuple[Any, ...]] | None
    defaults: tuple[Any, ...]


#: (payload class, code) -> its plan; payload class -> field names and a getter of their values.
#: Bounded by the codes (about 40) and the 7 classes; what keeps checking a payload at send
#: near a microsecond (an 814 has 34 fields)
_PLANS: dict[tuple[type, str], _Plan] = {}
_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    got = _FIELDS.get(cls)
    if got is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        got = _FIELDS[cls] = (names, _getter(names))
    return got


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    get = operator.attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name gives the value, not a tuple
        return lambda obj: (get(obj),)
    return get


def _plan(cls: type, code: str) -> _Plan:
    got = _PLANS.get((cls, code))
    if got is None:
        from edi.texas_set.mapping import layout

        lay = layout(code)
        family: str = getattr(cls, "FAMILY", "")
        guide: dict[str, tuple[str, ...]] = getattr(lay.model, "REQUIRED", {})
        required = tuple(tuple(name.split(".")) for name in guide.get(code, ())
                         if name not in HEADER[family])
        carried = lay.fields()
        fields = {f.name: f.default for f in dataclasses.fields(cls)}
        unrendered = UNRENDERED.get(code, {})
        names = tuple(name for name in fields if name not in carried and name not in unrendered)
        defaults = tuple(None if fields[n] is dataclasses.MISSING else fields[n] for n in names)
        got = _PLANS[(cls, code)] = _Plan(required, names, _getter(names) if names else None, defaults)
    return got


Action = Literal["request", "accept", "reject"]
Maintenance = Literal["add", "change", "delete"]


@dataclass(slots=True, kw_only=True)
class Payload814(PayloadBase):
    """An 814 (enrollment family): see :class:`edi.texas_set.models.Enrollment814`.

    ``action`` and ``maintenance`` left None take the code's default (ASI01/ASI02).
    ``self_selected`` is not in any element: see :data:`NOT_IN_LAYOUT`.
    """

    FAMILY: ClassVar[str] = "814"

    transition_type: Literal["TS", "AQ"] | None = None
    action: Action | None = None
    maintenance: Maintenance | None = None
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
    reject_code: str | None = None
    reject_text: str | None = None
    unexecutable_code: str | None = None
    unexecutable_text: str | None = None
    status_reason: str | None = None
    status_text: str | None = None
    switch_hold: bool | None = None
    bypass_csa: bool = False
    maintenance_reason: str | None = None
    meter_type: str | None = None
    meter_dials: int | None = None
    unmetered_type: str | None = None
    life_support: bool = False
    billing_type: Literal["DUAL", "REP"] | None = None
    bill_calculator: Literal["DUAL", "REP"] | None = None
    cr_account: str | None = None
    tdsp_account: str | None = None
    authorization: str | None = None
    #: ERCOT's 814_03 of a self-selected switch (see NOT_IN_LAYOUT)
    self_selected: bool = False


@dataclass(slots=True, kw_only=True)
class Payload867(PayloadBase):
    """An 867 (usage): see :class:`edi.texas_set.models.Usage867`."""

    FAMILY: ClassVar[str] = "867"

    purpose: Literal["original", "cancel"] = "original"
    final: bool = False
    esi_id_in_ref03: bool = False
    tdsp: Party | None = None
    cr: Party | None = None
    ercot: Party | None = None
    periods: tuple[UsagePeriod, ...] = ()
    meters: tuple[MeterRead, ...] = ()


@dataclass(slots=True, kw_only=True)
class Payload810(PayloadBase):
    """An 810 (invoice): see :class:`edi.texas_set.models.Invoice810`; amounts in cents."""

    FAMILY: ClassVar[str] = "810"

    due_date: dt.date
    period_start: dt.date
    period_end: dt.date
    charges: tuple[Charge, ...]
    invoice_type: Literal["ME", "26"] = "ME"
    purpose: Literal["00", "01"] = "00"
    tdsp: Party | None = None
    cr: Party | None = None
    total: int | None = None

    @property
    def lines_total(self) -> int:
        """The sum of the charge lines (allowances subtract): what ``total`` (TDS01), when
        given, should be."""
        return sum(-c.amount if c.allowance else c.amount for c in self.charges)


@dataclass(slots=True, kw_only=True)
class Payload820(PayloadBase):
    """An 820 (remittance): see :class:`edi.texas_set.models.Remittance820`; cents."""

    FAMILY: ClassVar[str] = "820"

    amount: int
    payer: Party
    payee: Party
    items: tuple[RemittanceItem, ...]
    handling: Literal["C", "I"] = "I"
    method: Literal["ACH", "FWT"] = "ACH"
    payment_format: Literal["CCP", "CTX"] | None = None
    payer_routing: str | None = None
    payer_account: str | None = None


@dataclass(slots=True, kw_only=True)
class Payload824(PayloadBase):
    """An 824 (application advice): see :class:`edi.texas_set.models.ApplicationAdvice824`."""

    FAMILY: ClassVar[str] = "824"

    advices: tuple[Advice, ...]
    tdsp: Party | None = None
    cr: Party | None = None


@dataclass(slots=True, kw_only=True)
class Payload650(PayloadBase):
    """A 650 (service order): see :class:`edi.texas_set.models.ServiceOrder650`.

    ``purpose`` left None takes the code's default.
    """

    FAMILY: ClassVar[str] = "650"

    order_type: str
    purpose: Literal["original", "response", "reactivation"] | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    customer: Customer | None = None
    premise_verification: bool = False
    status: Literal["CMP", "PRM", "REJ", "UNX"] | None = None
    reject_code: str | None = None
    reject_text: str | None = None
    unexecutable_code: str | None = None
    unexecutable_text: str | None = None
    service_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(slots=True, kw_only=True)
class Payload997(PayloadBase):
    """A 997 (functional acknowledgment): see :class:`edi.texas_set.models.Ack997`."""

    FAMILY: ClassVar[str] = "997"

    functional_id: str
    group_control: int
    included: int
    received: int
    accepted: int
    transactions: tuple[TransactionAck, ...] = ()
    status: Literal["A", "E", "P", "R"] = "A"
    group_code: str | None = None


Payload = Payload814 | Payload867 | Payload810 | Payload820 | Payload824 | Payload650 | Payload997

#: payload class per transaction set (ST01)
PAYLOADS: dict[str, type[Payload]] = {
    cls.FAMILY: cls for cls in (Payload814, Payload867, Payload810, Payload820, Payload824, Payload650, Payload997)
}

#: Per family, the model fields a payload leaves to the message and the transport, and where
#: they come from: ``code``, ``ref`` (the sender's reference), ``orig_ref`` (the reference
#: answered; None when there is none), ``esi_id``, ``date`` (the day it is sent), or
#: ``line_ref`` (LIN01: the reference's last 20 characters when it is longer).
HEADER: dict[str, dict[str, str]] = {
    "814": {"code": "code", "ref": "ref", "date": "date", "time": "none", "orig_ref": "orig_ref",
            "esi_id": "esi_id", "line_ref": "line_ref"},
    "867": {"code": "code", "ref": "ref", "date": "date", "orig_ref": "orig_ref", "esi_id": "esi_id"},
    "810": {"code": "code", "invoice_number": "ref", "date": "date", "usage_ref": "orig_ref", "esi_id": "esi_id"},
    "820": {"code": "code", "trace": "ref", "payment_date": "date"},
    "824": {"code": "code", "ref": "ref", "date": "date", "orig_ref": "orig_ref"},
    "650": {"code": "code", "ref": "ref", "date": "date", "time": "none", "orig_ref": "orig_ref",
            "esi_id": "esi_id", "line_ref": "line_ref"},
    "997": {"code": "code"},
}

#: HEADER as (field, source) pairs, without the fields the simulator leaves empty (BGN04 time)
_HEADER_ITEMS: dict[str, tuple[tuple[str, str], ...]] = {
    family: tuple((name, source) for name, source in header.items() if source != "none")
    for family, header in HEADER.items()
}

#: Payload fields that are no model's field, with why: see :data:`UNRENDERED`.
NOT_IN_LAYOUT: dict[str, dict[str, str]] = {
    "814": {"self_selected": "the standard / self-selected switch indicator of the 814_03: coding unconfirmed"},
}

#: Per code, payload fields it may carry that its layout does not write, with why. ERCOT's
#: 814_03 tells the TDSP what kind of request it forwards, which picks the read date and the
#: fee: a self-selected or standard switch, a priority or standard move-in. How the 814_03
#: codes them is unconfirmed (texas-set notes: [U]), so the files do not say it yet.
UNRENDERED: dict[str, dict[str, str]] = {
    "814_03": {"self_selected": NOT_IN_LAYOUT["814"]["self_selected"],
               "priority": "the priority move-in indicator of the 814_03: coding unconfirmed"},
}


def payload_class(code: str) -> type[Payload]:
    """The payload class of a transaction code (``814_03`` -> :class:`Payload814`)."""
    try:
        return PAYLOADS[code[:3]]
    except KeyError:
        raise KeyError(f"no payload for transaction code {code!r}") from None


def mapping_fields(code: str, payload: Payload, *, ref: str, date: dt.date, esi_id: str = "",
                   orig_ref: str = "") -> dict[str, Any]:
    """The mapping's fields of a transaction: ``payload`` and its header (see :data:`HEADER`)."""
    out = payload.as_fields()
    for name in NOT_IN_LAYOUT.get(payload.FAMILY, ()):
        del out[name]
    out.update(header_fields(code, payload, ref=ref, date=date, esi_id=esi_id, orig_ref=orig_ref))
    return out


def header_fields(code: str, payload: Payload, *, ref: str, date: dt.date, esi_id: str = "",
                  orig_ref: str = "") -> dict[str, Any]:
    """The header fields of a transaction as its model names them (see :data:`HEADER`)."""
    out: dict[str, Any] = {}
    for name, source in _HEADER_ITEMS[payload.FAMILY]:
        if source == "code":
            out[name] = code
        elif source == "ref":
            out[name] = ref
        elif source == "date":
            out[name] = date
        elif source == "esi_id":
            out[name] = esi_id
        elif source == "orig_ref":
            if orig_ref:
                out[name] = orig_ref
        elif len(ref) > 20:  # line_ref
            out[name] = ref[-20:]
    return out

