"""Hypothesis strategies for Texas SET identifiers, dates and business models.

Part of :mod:`edi.testing` (import from there).

Two levels:

* scalars: :func:`esi_ids`, :func:`duns_numbers`, :func:`dates`, :func:`times`,
  :func:`texts`, :func:`references`, :func:`cents`, :func:`quantities`, :func:`parties` ...
* transactions: :func:`fields_for` gives the *plain* fields of a valid transaction of one code
  (nested parts as dicts, optional fields sometimes left out), as the simulator passes them
  to :func:`edi.texas_set.mapping.render`; :func:`models` validates them into the model;
  :func:`any_model` draws a code first.

Every transaction drawn is valid for its model and carries only fields its code's layout
carries, so ``model -> X12 -> model`` must be the identity.

Code-valued fields (reject codes, meter types, charge codes, order types, 997 error codes,
qualifiers ...) are drawn from the code list of the guide element they are written to, per
transaction code (:func:`guide_code_values`): an 814_05 reject code comes from the 814_05
guide's ``REF*7G`` list, not the 814_25's.  A transaction drawn that way passes the validator
with no finding at all.  ``free_codes=True`` (:func:`fields_for`, :func:`models`,
:func:`any_model`) draws those fields freely instead -- still valid for the model, but mostly
outside the guides' lists -- for tests that want data the validator must flag.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from edi.texas_set.guide import SegmentSpec, load_guide
from edi.texas_set.mapping import LAYOUTS, layout
from edi.texas_set.mapping import codes as mapping_codes
from edi.texas_set.mapping.spec import El, Item, Loop, Seg
from edi.texas_set.models import CODES_814, model_for

__all__ = [
    "TEXT_ALPHABET",
    "any_model",
    "cents",
    "codes",
    "customers",
    "dates",
    "datetimes",
    "duns_numbers",
    "esi_ids",
    "fields_for",
    "guide_code_values",
    "models",
    "parties",
    "quantities",
    "references",
    "texts",
    "times",
    "transaction_codes",
]

#: Characters of free text: X12 basic/extended set without the market's delimiters.
TEXT_ALPHABET = string.ascii_letters + string.digits + " !\"&'()+,-./:;?=%@[]_{}\\|<#$"


def esi_ids() -> st.SearchStrategy[str]:
    """ESI IDs: 17 to 22 digits (leading zeros allowed)."""
    return st.text(string.digits, min_size=17, max_size=22)


def duns_numbers() -> st.SearchStrategy[str]:
    """DUNS (9 digits) or DUNS+4 (13 digits)."""
    return st.one_of(st.text(string.digits, min_size=9, max_size=9), st.text(string.digits, min_size=13, max_size=13))


def dates(min_year: int = 2000, max_year: int = 2099) -> st.SearchStrategy[dt.date]:
    """Calendar dates (rendered CCYYMMDD)."""
    return st.dates(dt.date(min_year, 1, 1), dt.date(max_year, 12, 31))


def times() -> st.SearchStrategy[dt.time]:
    """Times of day to the minute (rendered HHMM)."""
    return st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))


def datetimes() -> st.SearchStrategy[dt.datetime]:
    """Date-times to the minute."""
    return st.builds(dt.datetime.combine, dates(), times())


def texts(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[str]:
    """Free text without delimiters."""
    return st.text(TEXT_ALPHABET, min_size=min_size, max_size=max_size)


def references(max_size: int = 30) -> st.SearchStrategy[str]:
    """Reference identifiers: letters, digits, dashes."""
    return st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=max_size)


def codes(min_size: int = 2, max_size: int = 10) -> st.SearchStrategy[str]:
    """Upper-case code values (reject codes, meter types, charge codes)."""
    return st.text(string.ascii_uppercase + string.digits, min_size=min_size, max_size=max_size)


# -- guide code lists --------------------------------------------------------------------


def _walk_layout(items: tuple[Item, ...], prefix: str = "") -> Iterator[tuple[Seg, El, str]]:
    """Every (segment template, element, dotted field path) of a layout bound to a field."""
    for it in items:
        if isinstance(it, Loop):
            yield from _walk_layout(it.body, f"{prefix}{it.field}.")
        else:
            for e in it.els:
                if e.src:
                    yield it, e, prefix + e.src


@functools.cache
def _layout_paths(code: str) -> frozenset[str]:
    return frozenset(path for _, _, path in _walk_layout(LAYOUTS[code].items))


@functools.cache
def guide_code_values(code: str) -> dict[str, tuple[str, ...]]:
    """The codes the guide of ``code`` allows for each field written as it is into a coded element.

    Keys are field paths, dotted through loops (``reject_code``, ``tdsp.id_qualifier``,
    ``meters.meter_type``, ``advices.reasons.code``); values the sorted codes of the guide
    element the layout writes the field to.  The guide segment is found by segment ID and
    qualifier (element 1), else by ID alone; when a segment spec appears more than once in the
    guide (the same ``QTY`` in two loops), only codes valid in every one are kept.  Fields
    the mapping turns into codes itself (``MAP``, ``FLAG``, ``YN`` ...) are not listed.
    """
    guide = load_guide(code)
    specs: dict[tuple[str, str | None], list[SegmentSpec]] = {}
    for _, spec in guide.segments():
        specs.setdefault(spec.key, []).append(spec)
    found: dict[str, frozenset[str]] = {}
    for seg, el, path in _walk_layout(LAYOUTS[code].items):
        if el.kind != "AN":
            continue
        for spec in specs.get((seg.id, seg.qualifier or None)) or specs.get((seg.id, None)) or []:
            element = spec.by_pos.get(el.pos)
            if element is not None and element.codes is not None:
                found[path] = found[path] & element.codes if path in found else element.codes
    return {path: tuple(sorted(values)) for path, values in found.items()}


class _Codes:
    """Chooses the strategy of each code-valued field of one transaction code."""

    def __init__(self, code: str, free: bool) -> None:
        self.code = code
        self.free = free

    def __call__(self, path: str, free: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """The guide's codes for ``path`` (``free`` when free codes are asked for, or the
        guide element has no code list)."""
        if path not in _layout_paths(self.code):
            raise ValueError(f"{self.code}: the layout writes no field {path!r}")
        if self.free:
            return free
        values = guide_code_values(self.code).get(path)
        if values is None:
            return free
        if not values:
            raise ValueError(f"{self.code}: no code of the guide fits {path!r} in every place it is written")
        return st.sampled_from(values)


def cents(min_value: int = 0, max_value: int = 10**9) -> st.SearchStrategy[int]:
    """Money in cents."""
    return st.integers(min_value, max_value)


def quantities() -> st.SearchStrategy[int | Decimal]:
    """Quantities: whole numbers or decimals with up to three places."""
    return st.one_of(
        st.integers(0, 10**9),
        st.integers(0, 3).flatmap(
            lambda places: st.decimals(min_value=0, max_value=10**7, places=places, allow_nan=False,
                                       allow_infinity=False)
        ),
    )


def _maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


def parties(relationship: bool = False, *, pick: _Codes | None = None,
            field: str = "") -> st.SearchStrategy[dict[str, Any]]:
    """A party (N1) as plain fields; ``relationship`` (N106) only where the 867 carries it.

    With ``pick`` (and the party's ``field``), the qualifiers come from the guide's lists.
    """
    id_qualifier: st.SearchStrategy[Any] = st.sampled_from(["1", "9"])
    rel: st.SearchStrategy[Any] = st.sampled_from(["40", "41"])
    if pick is not None:
        id_qualifier = pick(f"{field}.id_qualifier", id_qualifier)
        if relationship:
            rel = pick(f"{field}.relationship", rel)
    optional: dict[str, st.SearchStrategy[Any]] = {"id_qualifier": id_qualifier}
    if relationship:
        optional["relationship"] = rel
    return st.fixed_dictionaries({"name": texts(1, 30), "duns": duns_numbers()}, optional=optional)


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    """An end-use customer (N1*8R, N3, N4, PER) as plain fields, groups consistent."""
    out: dict[str, Any] = {"name": draw(texts(1, 30))}
    if draw(st.booleans()):
        out["address1"] = draw(texts(1, 30))
        if draw(st.booleans()):
            out["address2"] = draw(texts(1, 30))
    if draw(st.booleans()):
        out["city"] = draw(texts(2, 20))
        out["state"] = draw(st.text(string.ascii_uppercase, min_size=2, max_size=2))
        out["zip"] = draw(st.sampled_from([5, 9]).flatmap(lambda n: st.text(string.digits, min_size=n, max_size=n)))
    if draw(st.booleans()):
        out["phone"] = draw(st.text(string.digits, min_size=10, max_size=15))
        if draw(st.booleans()):
            out["contact"] = draw(texts(1, 60))
    return out


#: Strategies for fields a code's guide requires, by field (``pick`` chooses coded ones).
_FILL: dict[str, Any] = {
    "tdsp": lambda pick: parties(pick=pick, field="tdsp"),
    "cr": lambda pick: parties(pick=pick, field="cr"),
    "orig_ref": lambda pick: references(),
    "transition_type": lambda pick: pick("transition_type", st.sampled_from(["TS", "AQ"])),
    "requested_date": lambda pick: dates(),
    "scheduled_date": lambda pick: dates(),
    "end_date": lambda pick: dates(),
    "effective_date": lambda pick: dates(),
    "service_date": lambda pick: dates(),
    "iteration": lambda pick: datetimes(),
    "unexecutable_code": lambda pick: pick("unexecutable_code", codes()),
}


def _prune(draw: st.DrawFn, fields: dict[str, Any], pick: _Codes) -> dict[str, Any]:
    """Fill what the code's guide requires, keep LIN01 within 20 characters, and leave out,
    at random, fields that are None (the model's default) to exercise defaults."""
    code = fields["code"]
    cls = model_for(code)
    for name in cls.REQUIRED.get(code, ()):
        head, _, sub = name.partition(".")
        if head == "customer":
            cust = fields.get("customer") or draw(customers())
            if sub == "address1" and "address1" not in cust:
                cust = {**cust, "address1": draw(texts(1, 30))}
            if sub == "city" and "city" not in cust:
                cust = {**cust, "city": draw(texts(2, 20)), "state": "TX", "zip": "75201"}
            fields["customer"] = cust
        elif fields.get(head) is None and head in _FILL:
            fields[head] = draw(_FILL[head](pick))
    if "line_ref" in cls.model_fields and fields.get("line_ref") is None and len(fields.get("ref", "")) > 20:
        fields["line_ref"] = draw(references(20))
    drop = draw(st.booleans())
    return {k: v for k, v in fields.items() if not (drop and v is None)}


# -- 814 --------------------------------------------------------------------------------

def _optional_814(pick: _Codes, carried: set[str]) -> dict[str, st.SearchStrategy[Any]]:
    def coded(name: str, free: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return _maybe(pick(name, free)) if name in carried else st.nothing()

    return {
        "time": _maybe(times()),
        "orig_ref": _maybe(references()),
        "transition_type": coded("transition_type", st.sampled_from(["TS", "AQ"])),
        "line_ref": _maybe(references(20)),
        "tdsp": _maybe(parties(pick=pick, field="tdsp")) if "tdsp" in carried else st.nothing(),
        "cr": _maybe(parties(pick=pick, field="cr")) if "cr" in carried else st.nothing(),
        "customer": _maybe(customers()),
        "requested_date": _maybe(dates()),
        "scheduled_date": _maybe(dates()),
        "end_date": _maybe(dates()),
        "effective_date": _maybe(dates()),
        "last_date_to_object": _maybe(dates()),
        "iteration": _maybe(datetimes()),
        "priority": st.booleans(),
        "switch_hold": _maybe(st.booleans()),
        "bypass_csa": st.booleans(),
        "maintenance_reason": coded("maintenance_reason", codes()),
        "meter_type": coded("meter_type", codes()),
        "meter_dials": _maybe(st.integers(0, 99)),
        "unmetered_type": _maybe(references()),
        "life_support": st.booleans(),
        "billing_type": coded("billing_type", st.sampled_from(["DUAL", "REP"])),
        "bill_calculator": coded("bill_calculator", st.sampled_from(["DUAL", "REP"])),
        "cr_account": _maybe(references()),
        "tdsp_account": _maybe(references()),
        "authorization": _maybe(references()),
    }


@st.composite
def _fields_814(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    info = CODES_814[code]
    carried = layout(code).fields()
    out: dict[str, Any] = {"code": code, "ref": draw(references()), "date": draw(dates()), "esi_id": draw(esi_ids())}
    for name, strat in _optional_814(pick, carried).items():
        if name in carried:
            out[name] = draw(strat)
    if info.indicators:
        indicators = pick("indicator", st.sampled_from(info.indicators))
        out["indicator"] = draw(indicators if info.indicator else _maybe(indicators))
    out["maintenance"] = draw(st.sampled_from(info.maintenances))
    if out.get("switch_hold") is False and code != "814_20":
        out["switch_hold"] = True
    actions = [info.action] if info.action else ["request"] if info.request else ["accept", "reject"]
    out["action"] = draw(st.sampled_from(actions))
    if out["action"] == "reject":
        out["reject_code"] = draw(pick("reject_code", codes()))
        out["reject_text"] = draw(_maybe(texts()))
    for code_field, text_field in (("unexecutable_code", "unexecutable_text"), ("status_reason", "status_text")):
        if code_field in carried and draw(st.booleans()):
            out[code_field] = draw(pick(code_field, codes()))
            out[text_field] = draw(_maybe(texts()))
    return _prune(draw, out, pick)


# -- 867 --------------------------------------------------------------------------------

@st.composite
def _period(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = draw(dates())
    return start, start + dt.timedelta(days=draw(st.integers(0, 62)))


@st.composite
def _usage_period(draw: st.DrawFn) -> dict[str, Any]:
    start, end = draw(_period())
    return {"start": start, "end": end, "kwh": draw(quantities()), "estimated": draw(st.booleans())}


@st.composite
def _meter_monthly(draw: st.DrawFn, pick: _Codes) -> dict[str, Any]:
    start, end = draw(_period())
    return {
        "meter_number": draw(_maybe(references())),
        "start": start,
        "end": end,
        "begin_reading": draw(_maybe(quantities())),
        "end_reading": draw(quantities()),
        "kwh": draw(quantities()),
        "estimated": draw(st.booleans()),
        "meter_type": draw(pick("meters.meter_type", codes())),
    }


@st.composite
def _meter_initial(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "meter_number": draw(_maybe(references())),
        "start": draw(dates()),
        "end_reading": draw(quantities()),
        "estimated": draw(st.booleans()),
    }


@st.composite
def _fields_867(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": code,
        "ref": draw(references()),
        "date": draw(dates()),
        "esi_id": draw(esi_ids()),
        "orig_ref": draw(_maybe(references())),
        "tdsp": draw(_maybe(parties(True, pick=pick, field="tdsp"))),
        "cr": draw(_maybe(parties(True, pick=pick, field="cr"))),
        "ercot": draw(_maybe(parties(True, pick=pick, field="ercot"))),
    }
    if code == "867_04":
        out["meters"] = draw(st.lists(_meter_initial(), min_size=1, max_size=3))
        out["esi_id_in_ref03"] = draw(st.booleans())
    else:
        out["purpose"] = draw(st.sampled_from(["original", "cancel"]))
        if code == "867_03":
            out["periods"] = [draw(_usage_period())]
            out["meters"] = draw(st.lists(_meter_monthly(pick), max_size=3))
            out["final"] = draw(st.booleans())
        else:
            out["periods"] = draw(st.lists(_usage_period(), min_size=1, max_size=13))
    return _prune(draw, out, pick)


# -- 810 / 820 / 824 ----------------------------------------------------------------------

@st.composite
def _charge(draw: st.DrawFn, pick: _Codes) -> dict[str, Any]:
    return {
        "code": draw(pick("charges.code", codes(3, 10))),
        "amount": draw(cents(0, 10**7)),
        "quantity": draw(quantities()),
        "uom": draw(pick("charges.uom", st.sampled_from(["EA", "KH", "K1"]))),
        "description": draw(_maybe(texts())),
        "allowance": draw(st.booleans()),
    }


@st.composite
def _fields_810(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    start, end = draw(_period())
    out: dict[str, Any] = {
        "code": code,
        "date": draw(dates()),
        "invoice_number": draw(references(22)),
        "invoice_type": draw(pick("invoice_type", st.sampled_from(["ME", "26"]))),
        "purpose": draw(pick("purpose", st.sampled_from(["00", "01"]))),
        "esi_id": draw(esi_ids()),
        "usage_ref": draw(_maybe(references())),
        "tdsp": draw(_maybe(parties(pick=pick, field="tdsp"))),
        "cr": draw(_maybe(parties(pick=pick, field="cr"))),
        "due_date": draw(dates()),
        "period_start": start,
        "period_end": end,
        "charges": draw(st.lists(_charge(pick), min_size=1, max_size=5)),
    }
    if draw(st.booleans()):
        out["total"] = sum(-c["amount"] if c["allowance"] else c["amount"] for c in out["charges"])
    return _prune(draw, out, pick)


@st.composite
def _fields_820(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"invoice_number": references(), "amount_paid": cents(0, 10**8)},
                optional={"invoice_amount": cents(0, 10**8), "esi_id": esi_ids()},
            ),
            min_size=1,
            max_size=4,
        )
    )
    out: dict[str, Any] = {
        "code": code,
        "handling": draw(pick("handling", st.sampled_from(["C", "I"]))),
        "amount": sum(i["amount_paid"] for i in items),
        "method": draw(pick("method", st.sampled_from(["ACH", "FWT"]))),
        "payment_format": draw(_maybe(pick("payment_format", st.sampled_from(["CCP", "CTX"])))),
        "payment_date": draw(dates()),
        "trace": draw(references()),
        "payer": draw(parties(pick=pick, field="payer")),
        "payee": draw(parties(pick=pick, field="payee")),
        "items": items,
    }
    if draw(st.booleans()):
        out["payer_routing"] = draw(st.text(string.digits, min_size=9, max_size=9))
        out["payer_account"] = draw(st.text(string.digits, min_size=3, max_size=17))
    return _prune(draw, out, pick)


@st.composite
def _advice(draw: st.DrawFn, pick: _Codes) -> dict[str, Any]:
    result = draw(st.sampled_from(["accept", "accept_with_errors", "reject"]))
    reasons = st.fixed_dictionaries(
        {"code": pick("advices.reasons.code", codes(1, 3))}, optional={"text": texts(1, 60)}
    )
    group_control = draw(_maybe(st.integers(1, 999_999_999)))
    return {
        "result": result,
        "ref_qualifier": draw(pick("advices.ref_qualifier", st.sampled_from(["IV", "TN"]))),
        "orig_ref": draw(references()),
        "group_control": group_control,
        # OTI09 only with OTI08 (X12 004010 syntax note C0908)
        "orig_control": draw(_maybe(st.text(string.digits, min_size=4, max_size=9))) if group_control else None,
        "orig_transaction": draw(pick("advices.orig_transaction", st.sampled_from(["810", "820", "867"]))),
        "esi_id": draw(_maybe(esi_ids())),
        "reasons": draw(st.lists(reasons, min_size=0 if result == "accept" else 1, max_size=3)),
    }


@st.composite
def _fields_824(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    out = {
        "code": code,
        "ref": draw(references()),
        "date": draw(dates()),
        "orig_ref": draw(_maybe(references())),
        "tdsp": draw(_maybe(parties(pick=pick, field="tdsp"))),
        "cr": draw(_maybe(parties(pick=pick, field="cr"))),
        "advices": draw(st.lists(_advice(pick), min_size=1, max_size=3)),
    }
    return _prune(draw, out, pick)


# -- 650 ----------------------------------------------------------------------------------

@st.composite
def _fields_650(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": code,
        "ref": draw(references()),
        "date": draw(dates()),
        "time": draw(_maybe(times())),
        "orig_ref": draw(_maybe(references())) if code in ("650_02", "650_05") else None,
        "tdsp": draw(_maybe(parties(pick=pick, field="tdsp"))),
        "cr": draw(_maybe(parties(pick=pick, field="cr"))),
        "line_ref": draw(_maybe(references(20))),
        "order_type": draw(pick("order_type", codes(2, 10))),
        "esi_id": draw(esi_ids()),
    }
    if code == "650_01":
        out["customer"] = draw(_maybe(customers()))
        out["premise_verification"] = draw(st.booleans())
        out["service_date"] = draw(_maybe(dates()))
    elif code == "650_02":
        out["purpose"] = "response"
        status = draw(pick("status", st.sampled_from(["CMP", "PRM", "REJ", "UNX"])))
        out["status"] = status
        if status == "REJ":
            out["reject_code"] = draw(pick("reject_code", codes()))
            out["reject_text"] = draw(_maybe(texts()))
        if status == "UNX":
            out["unexecutable_code"] = draw(pick("unexecutable_code", codes()))
            out["unexecutable_text"] = draw(_maybe(texts()))
        out["service_date"] = draw(_maybe(dates()))
    elif code == "650_05":
        out["purpose"] = "response"
        out["reject_code"] = draw(pick("reject_code", codes()))
        out["reject_text"] = draw(_maybe(texts()))
        out["service_date"] = draw(_maybe(dates()))
    else:
        out["purpose"] = draw(st.sampled_from(["original", "reactivation"]))
        out["service_date"] = draw(dates())
        out["end_date"] = draw(_maybe(dates()))
    return _prune(draw, out, pick)


# -- 997 ----------------------------------------------------------------------------------

@st.composite
def _fields_997(draw: st.DrawFn, code: str, pick: _Codes) -> dict[str, Any]:
    element = st.fixed_dictionaries(
        {"position": st.integers(1, 99), "code": pick("transactions.segments.elements.code", codes(1, 3))},
        optional={"element_ref": st.integers(1, 9999), "value": texts(1, 20)},
    )
    segment = st.fixed_dictionaries(
        {"segment_id": st.sampled_from(["BGN", "REF", "DTM", "N1", "LIN"]), "position": st.integers(1, 9999)},
        optional={
            "loop_id": codes(1, 6),
            "code": pick("transactions.segments.code", codes(1, 3)),
            "elements": st.lists(element, max_size=2),
        },
    )
    st01 = pick("transactions.st01", st.sampled_from(["814", "867", "810", "820", "824", "650"]))
    ak5 = pick("transactions.status", st.sampled_from(["A", "E", "R"]))
    code1 = pick("transactions.code1", codes(1, 3))
    code2 = pick("transactions.code2", codes(1, 3))

    @st.composite
    def txn(d: st.DrawFn) -> dict[str, Any]:
        t: dict[str, Any] = {
            "st01": d(st01),
            "control": d(st.text(string.digits, min_size=4, max_size=9)),
            "segments": d(st.lists(segment, max_size=2)),
            "status": d(ak5),
        }
        if d(st.booleans()):
            t["code1"] = d(code1)
            t["code2"] = d(_maybe(code2))
        return t

    included = draw(st.integers(0, 50))
    received = draw(st.integers(0, included))
    out: dict[str, Any] = {
        "code": code,
        "functional_id": draw(pick("functional_id", st.sampled_from(["GE", "PT", "IN", "RA", "AG", "MO"]))),
        "group_control": draw(st.integers(1, 999_999_999)),
        "transactions": draw(st.lists(txn(), max_size=3)),
        "status": draw(pick("status", st.sampled_from(["A", "E", "P", "R"]))),
        "included": included,
        "received": received,
        "accepted": draw(st.integers(0, received)),
        "group_code": draw(_maybe(pick("group_code", codes(1, 3)))),
    }
    return _prune(draw, out, pick)


_BY_FAMILY = {
    "814": _fields_814,
    "867": _fields_867,
    "810": _fields_810,
    "820": _fields_820,
    "824": _fields_824,
    "650": _fields_650,
    "997": _fields_997,
}


def transaction_codes(include_retired: bool = False) -> st.SearchStrategy[str]:
    """Transaction codes the mapping knows (814_10 only when ``include_retired``)."""
    known = [c for c in mapping_codes() if include_retired or c != "814_10"]
    return st.sampled_from(known)


def fields_for(code: str, *, free_codes: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Plain fields (with ``code``) of a valid transaction of ``code``.

    Code-valued fields come from the code lists of ``code``'s guide; with ``free_codes``
    they are drawn freely (valid for the model, mostly not for the guide).
    """
    return _BY_FAMILY[code[:3]](code, _Codes(code, free_codes))


def models(code: str, *, free_codes: bool = False) -> st.SearchStrategy[Any]:
    """Validated models of ``code`` (see :func:`fields_for` for ``free_codes``)."""
    cls = model_for(code)
    return fields_for(code, free_codes=free_codes).map(cls.model_validate)


def any_model(*, free_codes: bool = False) -> st.SearchStrategy[Any]:
    """A validated model of any code (see :func:`fields_for` for ``free_codes``)."""
    return transaction_codes(include_retired=True).flatmap(lambda c: models(c, free_codes=free_codes))
