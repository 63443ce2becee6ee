"""Render a :class:`~ercot_sim.market.messages.Message` as the X12 body of its Texas SET transaction.

:func:`render_body` is the one place where the engine turns a message into segments: it
translates the message's business fields into the fields of the ``edi.texas_set.models``
model of its code (:func:`mapping_fields`) and calls ``edi.texas_set.mapping.render``, the
fast path that gives exactly the segments of the validated model without building it.

The message fields are :class:`ercot_sim.market.messages.Fields` (a closed, typed set the type
checker holds every ``send`` to). Three of them are in no X12 element: ``usage_ref``,
``inv_sent`` and ``corrected`` stand for what a TDSP would look up in its own invoice records
(which usage read an invoice billed, when it was sent, that it corrects one); they go when
participants keep such records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from edi.texas_set.market import ERCOT_DUNS
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message
from ercot_sim.market.tariff import FEES, delivery_charges
from ercot_sim.output import templates as _templates
from ercot_sim.output.templates import _TEMPLATES, checked

__all__ = ["FEES", "MAPPING", "invoice_total", "mapping_fields", "render_body", "render_text"]

from edi.texas_set import mapping as _mapping
from edi.texas_set.mapping.render import compile_text_layout

#: Transaction codes the edi mapping can render.
MAPPING: frozenset[str] = frozenset(_mapping.codes())

Segs = list[list[str]]
_DATES: dict[str, dt.date] = {}


def _d(text: str | None) -> dt.date | None:
    if not text:
        return None
    got = _DATES.get(text)
    if got is None:
        got = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        if len(_DATES) < 50_000:
            _DATES[text] = got
    return got


def _party(names: Mapping[str, str], duns: str | None) -> dict[str, str] | None:
    return {"name": names.get(duns, "UNKNOWN"), "duns": duns} if duns else None


_REQUEST_DATE = {"814_01", "814_03", "814_08", "814_12", "814_16", "814_18", "814_22", "814_24",
                 "814_26", "814_20"}
_CUSTOMER = {"814_01", "814_03", "814_16", "814_18"}
_INDICATOR = {"MVI": "MVI", "PMI": "MVI"}
#: 814_20 reasons for change (REF*TD) and the permit-pending 814_28 code, as the code lists
#: of edi/texas_set/codes spell them (placeholder values there, marked unconfirmed)
_TD = {"CREATE": "CRT", "RETIRE": "RET", "HOLD": "SHS", "2MR": "2MR"}  # 2MR: second move-out (814_24)
_UNEXEC = {"PERMIT": "PRQ"}


def _fields_814(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    action = f.get("action")
    out: dict[str, Any] = {"code": m.code, "ref": m.ref, "date": date, "esi_id": m.esi_id,
                           "tdsp": _party(names, f.get("tdsp")), "cr": _party(names, f.get("cr"))}
    if len(m.ref) > 20:
        out["line_ref"] = m.ref[-20:]
    if m.orig_ref:
        out["orig_ref"] = m.orig_ref
    if action:
        out["action"] = action
    if f.get("bgn07"):
        out["transition_type"] = f["bgn07"]
    if m.code == "814_06" and f.get("start"):  # the loss date is the end of service
        out["end_date"] = _d(f["start"])
    elif f.get("start"):
        out["requested_date" if m.code in _REQUEST_DATE else "scheduled_date"] = _d(f["start"])
    if m.code == "814_20":
        out["effective_date"] = date
    if f.get("end"):
        out["end_date"] = _d(f["end"])
    if f.get("iteration"):
        it = f["iteration"]
        out["iteration"] = dt.datetime(int(it[:4]), int(it[4:6]), int(it[6:8]), int(it[8:10]), int(it[10:12]))
    if f.get("priority"):
        out["priority"] = True
    if f.get("object_by"):  # DTM*656, end of the customer's rescission period
        out["last_date_to_object"] = _d(f["object_by"])
    if action == "reject":
        out["reject_code"] = f.get("reject") or "A13"
        if f.get("reason"):
            out["reject_text"] = f["reason"][:80]
    if f.get("unexec"):
        out["unexecutable_code"] = _UNEXEC.get(f["unexec"], f["unexec"])
        if f.get("reason"):
            out["unexecutable_text"] = f["reason"][:80]
    if f.get("hold"):
        out["switch_hold"] = f["hold"] == "Y"
    if f.get("maint"):  # ASI02 when not the code's default (814_18/814_19 delete a CSA)
        out["maintenance"] = f["maint"]
    if f.get("bypass"):  # REF*2W: bypass the continuous service agreement (814_24)
        out["bypass_csa"] = True
    if f.get("td"):
        out["maintenance_reason"] = _TD[f["td"]]
    if f.get("kind") in _INDICATOR:
        out["indicator"] = _INDICATOR[f["kind"]]
    elif f.get("history"):
        out["indicator"] = "HU"
    if m.code in _CUSTOMER:
        out["customer"] = customer_of(m.esi_id)
    return out


def _fields_867(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    out: dict[str, Any] = {"code": m.code, "ref": m.ref, "date": date, "esi_id": m.esi_id,
                           "final": bool(f.get("final")), "tdsp": _party(names, f.get("tdsp")),
                           "cr": _party(names, f.get("cr"))}
    if m.orig_ref:
        out["orig_ref"] = m.orig_ref
    if m.sender == ERCOT_DUNS:  # an 867 ERCOT passes on carries the N1*AY party
        out["ercot"] = {"name": names.get(m.sender, "ERCOT"), "duns": m.sender}
    meter = f"M{m.esi_id[-9:]}"
    if m.code == "867_04":
        out["esi_id_in_ref03"] = True  # REF*Q5**<ESI ID>, as every 867 we write
        out["meters"] = ({"meter_number": meter, "start": _d(f["start"]), "end_reading": int(f.get("kwh", 0))},)
    elif m.code == "867_02":
        out["periods"] = tuple({"start": _d(a), "end": _d(b), "kwh": k} for a, b, k in f["periods"])
    else:
        kwh = int(f.get("kwh", 0))
        out["periods"] = ({"start": _d(f["start"]), "end": _d(f["end"]), "kwh": kwh},)
        begin = int(m.esi_id[-4:]) * 7
        out["meters"] = ({"meter_number": meter, "start": _d(f["start"]), "end": _d(f["end"]),
                          "begin_reading": begin, "end_reading": begin + kwh, "kwh": kwh,
                          "meter_type": "KHMON"},)
    return out


#: SAC04 of a late-payment charge (flows.md 10, E10). Listed in the shipped charge code list
#: (edi/texas_set/codes/sac-charges.xml) as assumed: no public source for the value was seen.
LATE_PAYMENT_CHARGE = "LPC001"


def _charges(f: Mapping[str, Any]) -> list[tuple[str, int, str, int, str]]:
    if f.get("late_fee"):  # a late-payment invoice bills only the charge
        return [(LATE_PAYMENT_CHARGE, int(f["late_fee"]), "EA", 1, "LATE PAYMENT CHARGE")]
    fee = FEES.get(f.get("charge") or "")
    if fee is not None:  # an order's fee (ercot_sim.market.tariff): an invoice of its own
        return [(f["charge"], fee[0], "EA", 1, fee[1])]
    return delivery_charges(int(f.get("kwh", 0)))


def invoice_total(fields: Mapping[str, Any]) -> int:
    """TDS01 of an 810_02 with these fields: the sum of its charge lines (in cents)."""
    return sum(line[1] for line in _charges(fields))


def _fields_810(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    charges = tuple({"code": c, "amount": a, "quantity": q, "uom": u, "description": t}
                    for c, a, u, q, t in _charges(f))
    return {"code": m.code, "date": date, "invoice_number": m.ref, "esi_id": m.esi_id,
            "usage_ref": m.orig_ref or None, "tdsp": _party(names, f.get("tdsp")),
            "cr": _party(names, f.get("cr")), "due_date": _d(f["due"]), "period_start": _d(f["start"]),
            "period_end": _d(f["end"]), "charges": charges, "total": sum(c["amount"] for c in charges)}


def _fields_820(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    amount = int(f.get("amount", 0))
    return {"code": m.code, "amount": amount, "payment_date": date, "trace": m.ref, "payment_format": "CCP",
            "payer": _party(names, f.get("cr")), "payee": _party(names, f.get("tdsp")),
            "items": ({"invoice_number": m.orig_ref, "amount_paid": amount, "invoice_amount": amount,
                       "esi_id": m.esi_id},)}


def _fields_824(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    return {"code": m.code, "ref": m.ref, "date": date, "orig_ref": m.orig_ref,
            "cr": _party(names, f.get("cr")), "tdsp": _party(names, f.get("tdsp")),
            "advices": ({"result": "reject", "orig_ref": m.orig_ref, "orig_transaction": "810",
                         "esi_id": m.esi_id,
                         "reasons": ({"code": "848", "text": f.get("reason", "INVOICE REJECTED")[:60]},)},)}


def _fields_650(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    out: dict[str, Any] = {"code": m.code, "ref": m.ref, "date": date, "esi_id": m.esi_id,
                           "tdsp": _party(names, f.get("tdsp")), "cr": _party(names, f.get("cr")),
                           "order_type": f.get("purpose") or "SH001"}
    if len(m.ref) > 20:
        out["line_ref"] = m.ref[-20:]
    if m.orig_ref:
        out["orig_ref"] = m.orig_ref
    if m.code == "650_02":
        out["purpose"] = "response"
        if f.get("action") == "reject":
            out.update(status="REJ", reject_code=f.get("reject") or "A13")
            if f.get("reason"):
                out["reject_text"] = f["reason"][:80]
        else:
            out["status"] = "CMP"
    elif m.code == "650_04" and f.get("purpose") == "RC001":
        out["purpose"] = "reactivation"
    elif m.code == "650_05":  # the CR's reject of a 650_04: BGN06 and REF*7G
        out.update(purpose="response", reject_code=f.get("reject") or "A13")
        if f.get("reason"):
            out["reject_text"] = f["reason"][:80]
    if f.get("start"):  # DTM*150: requested / completed / suspension start date
        out["service_date"] = _d(f["start"])
    if f.get("end") and m.code == "650_04":  # DTM*151: end of the suspension
        out["end_date"] = _d(f["end"])
    return out


def _fields_997(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    fid, gctl, sts = m.fields["group"]
    n = len(sts)
    return {"code": "997", "functional_id": fid, "group_control": int(gctl),
            "transactions": tuple({"st01": st01, "control": st02, "status": "A"} for st01, st02 in sts),
            "status": "A", "included": n, "received": n, "accepted": n}


_FIELDS: dict[str, Callable[[Message, Mapping[str, str], dt.date], dict[str, Any]]] = {
    "814": _fields_814, "867": _fields_867, "810": _fields_810, "820": _fields_820, "824": _fields_824,
    "650": _fields_650, "997": _fields_997,
}


def mapping_fields(m: Message, names: Mapping[str, str], date: str) -> dict[str, Any] | None:
    """The fields of ``m`` as the edi mapping's model wants them (None if it has no model)."""
    build = _FIELDS.get(m.code[:3])
    return build(m, names, _d(date)) if build is not None else None  # type: ignore[arg-type]


def render_body(m: Message, names: Mapping[str, str], date: str) -> Segs:
    """The segments between ST and SE of ``m`` (``date`` = CCYYMMDD it is sent).

    Always ``edi.texas_set.mapping.render``: the same segments as the validated model, without
    paying pydantic validation per transaction.

    Args:
        m: the message.
        names: DUNS -> participant name, for N1 segments.
        date: send date as CCYYMMDD (BGN03, BPT03, BIG01 ...).
    """
    fields = mapping_fields(m, names, date)
    if fields is None:
        raise ValueError(f"no field mapping for transaction {m.code}")
    return _mapping.render(m.code, fields)


_TEXT: dict[tuple[str, str, str], Callable[[dict[str, Any]], tuple[str, int]]] = {}


def render_text(m: Message, names: Mapping[str, str], date: str, separator: str = "*",
                terminator: str = "~") -> tuple[str, int]:
    """The body of ``m`` as X12 text and its segment count (for ``X12Writer.add_text``).

    Exactly the text of :func:`render_body`'s segments joined with the given delimiters,
    rendered straight to text: the hot codes by their checked templates
    (:mod:`ercot_sim.output.templates`), the others by a function compiled once per code and
    delimiters from the mapping's layout.

    Args:
        m: the message.
        names: DUNS -> participant name, for N1 segments.
        date: send date as CCYYMMDD.
        separator: element separator.
        terminator: segment terminator.
    """
    if separator == "*" and terminator == "~":  # templates: usage lines and 997s
        fn = _TEMPLATES.get(m.code)
        shaped = fn(m, names, date) if fn is not None else None
        if shaped is not None:
            body, n, bits = shaped
            verdicts = _templates._CHECKED.get(m.code)
            if verdicts is not None and verdicts.get(bits):
                return body, n
            got = checked(m, names, date, body, n, bits, _mapping_text)
            if got is not None:
                return got
    return _mapping_text(m, names, date, separator, terminator)


def _mapping_text(m: Message, names: Mapping[str, str], date: str, separator: str = "*",
                  terminator: str = "~") -> tuple[str, int]:
    key = (m.code, separator, terminator)
    fn = _TEXT.get(key)
    if fn is None:
        if m.code in _mapping.RETIRED:
            raise ValueError(f"{m.code} is retired: it can be read, not sent")
        fn = _TEXT[key] = compile_text_layout(_mapping.layout(m.code), separator, terminator)
    fields = mapping_fields(m, names, date)
    if fields is None:
        raise ValueError(f"no field mapping for transaction {m.code}")
    try:
        return fn(fields)
    except (KeyError, TypeError, AttributeError, ValueError):
        _mapping.render(m.code, fields)  # raises the mapping's located MappingError
        raise
