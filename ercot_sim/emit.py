"""Render a :class:`~ercot_sim.messages.Message` as the X12 body of its Texas SET transaction.

:func:`render_body` is the one place where the engine turns business fields into segments.
It uses ``edi.texas_set.mapping.render`` when that module offers the code, and otherwise the
segment layouts below, which follow the example layouts of the project's transaction notes
(BGN/N1/LIN/ASI/REF/DTM for the 814 family, BPT/PTD/QTY for 867, BIG/IT1/SAC/TDS for 810,
BPR/TRN/RMR for 820, BGN/OTI for 824, AK1/AK2/AK5/AK9 for 997). Layout details marked [U]
in those notes stay assumptions here too.

Message fields used: ``tdsp`` and ``cr`` (DUNS; names come from ``names``), ``action``
(``request``/``accept``/``reject``), ``reject`` (code), ``reason`` (text), ``start``/
``end`` (CCYYMMDD service period), ``bgn07``, ``priority``, ``iteration``, ``kwh``,
``final``, ``amount`` (cents), ``due``, ``invoice``, ``hold``, ``purpose``, ``st``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ercot_sim.messages import Message

__all__ = ["MAPPING", "mapping_fields", "render_body"]

try:  # the guide-driven mapping of edi (fast path, no validation)
    from edi.texas_set import mapping as _mapping

    MAPPING: frozenset[str] = frozenset(_mapping.codes())
except ImportError:  # pragma: no cover - only while the mapping is not installed
    _mapping = None  # type: ignore[assignment]
    MAPPING = frozenset()

Segs = list[list[str]]

_ASI = {"request": "7", "accept": "WQ", "reject": "U"}
# ASI02 maintenance type per code family [K/U, see transactions.md 2.1]
_ASI02 = {
    "814_01": "021", "814_02": "021", "814_03": "021", "814_04": "021", "814_05": "021",
    "814_06": "024", "814_07": "024", "814_08": "024", "814_09": "024", "814_12": "001",
    "814_13": "001", "814_14": "021", "814_15": "021", "814_16": "021", "814_17": "021",
    "814_20": "001", "814_21": "001", "814_24": "024", "814_25": "024", "814_26": "021",
    "814_27": "021", "814_28": "024", "814_29": "024",
}
_REQUESTS = {"814_01", "814_03", "814_06", "814_08", "814_12", "814_14", "814_16", "814_20",
             "814_24", "814_26", "814_28"}


def _n1(names: Mapping[str, str], f: Mapping[str, Any]) -> Segs:
    out: Segs = []
    if f.get("tdsp"):
        out.append(["N1", "8S", names.get(f["tdsp"], "TDSP"), "1", f["tdsp"]])
    if f.get("cr"):
        out.append(["N1", "SJ", names.get(f["cr"], "CR"), "1", f["cr"]])
    return out


def _814(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    request = code in _REQUESTS
    bgn = ["BGN", "13" if request else "11", m.ref, date, "", "", m.orig_ref]
    if f.get("bgn07"):
        bgn.append(f["bgn07"])
    while bgn[-1] == "":
        bgn.pop()
    segs: Segs = [bgn, *_n1(names, f)]
    action = f.get("action") or ("request" if request else "accept")
    segs.append(["LIN", m.ref if request else (m.orig_ref or m.ref), "SH", "EL", "SH", "CE"])
    segs.append(["ASI", _ASI[action], f.get("asi02") or _ASI02.get(code, "021")])
    segs.append(["REF", "Q5", m.esi_id])
    if action == "reject":
        segs.append(["REF", "7G", f.get("reject", "A13"), f.get("reason", "")[:80]])
        if not segs[-1][-1]:
            segs[-1].pop()
    if f.get("unexec"):
        segs.append(["REF", "G7", f["unexec"], f.get("reason", "")[:80]])
    if f.get("td"):
        segs.append(["REF", "TD", f["td"]])
    if f.get("hold"):
        segs.append(["REF", "SH", f["hold"]])
    if f.get("priority"):
        segs.append(["REF", "1P", "PMI", "PRIORITY MOVE IN"])
    if f.get("bypass"):
        segs.append(["REF", "2W", "Y"])
    if f.get("iteration"):
        segs.append(["DTM", "007", f["iteration"][:8], f["iteration"][8:12]])
    if f.get("start"):
        segs.append(["DTM", "150", f["start"]])
    if f.get("end"):
        segs.append(["DTM", "151", f["end"]])
    if f.get("object_by"):
        segs.append(["DTM", "656", f["object_by"]])
    return segs


def _867(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    if code == "867_04":
        segs: Segs = [["BPT", "SU", m.ref, date], ["REF", "Q5", m.esi_id]]
    else:
        purpose = "52" if code == "867_02" else "00"
        bpt = ["BPT", purpose, m.ref, date, "DD"]
        if f.get("final"):
            bpt += ["", "", "F"]
        segs = [bpt, ["REF", "Q5", m.esi_id]]
    if m.orig_ref:
        segs.append(["REF", "TN", m.orig_ref])
    segs += _n1(names, f)
    if code == "867_04":
        segs += [["PTD", "BJ", "", "", "MG", f"M{m.esi_id[-9:]}"], ["DTM", "140", f["start"]],
                 ["QTY", "QD", str(f.get("kwh", 0)), "KH"]]
        return segs
    periods = f.get("periods") or [(f["start"], f["end"], f.get("kwh", 0))]
    for start, end, kwh in periods:
        segs += [["PTD", "SU"], ["DTM", "150", start], ["DTM", "151", end], ["QTY", "QD", str(kwh), "KH"]]
    return segs


def _810(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    kwh = int(f.get("kwh", 0))
    lines = [("BAS001", 390, "EA", 1, "BASIC CUSTOMER CHARGE"),
             ("DIS001", kwh * 3, "KH", kwh, "DISTRIBUTION SYSTEM CHARGE"),
             ("TRN002", kwh, "KH", kwh, "TRANSMISSION COST RECOVERY FACTOR")]
    if f.get("fee"):
        lines.append((f["fee"], 2000, "EA", 1, "DISCRETIONARY SERVICE CHARGE"))
    segs: Segs = [["BIG", date, m.ref, "", "", "", "", "ME", "00"], ["REF", "Q5", m.esi_id]]
    if m.orig_ref:
        segs.append(["REF", "OI", m.orig_ref])
    segs += _n1(names, f)
    segs += [["ITD", *([""] * 11), f["due"]], ["DTM", "150", f["start"]], ["DTM", "151", f["end"]]]
    total = 0
    for i, (sac, cents, uom, qty, text) in enumerate(lines, start=1):
        total += cents
        segs.append(["IT1", str(i), "1", "EA", "", "", "SV", "RATE"])
        segs.append(["SAC", "C", "", "EU", sac, str(cents), "", "", "", uom, str(qty), "", "", text])
    segs += [["TDS", str(total)], ["CTT", str(len(lines))]]
    return segs


def _820(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    amount = f"{int(f.get('amount', 0)) / 100:.2f}"
    return [["BPR", "C", amount, "C", "ACH", "CCP", "", "", "", "", "", "", "", "", "", date],
            ["TRN", "1", m.ref], ["N1", "PR", names.get(f["cr"], "CR"), "1", f["cr"]],
            ["N1", "PE", names.get(f["tdsp"], "TDSP"), "1", f["tdsp"]], ["ENT", "1"],
            ["RMR", "IK", m.orig_ref, "", amount, amount], ["REF", "Q5", m.esi_id]]


def _824(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    return [["BGN", "00", m.ref, date], *_n1(names, f),
            ["OTI", "TR", "IK", m.orig_ref], ["REF", "Q5", m.esi_id],
            ["TED", "024", f.get("reason", "INVOICE REJECTED")[:60]]]


def _650(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    f = m.fields
    request = code == "650_01"
    segs: Segs = [["BGN", "13" if request else "11", m.ref, date, "", "", m.orig_ref]]
    while segs[0][-1] == "":
        segs[0].pop()
    segs += _n1(names, f)
    segs.append(["REF", "Q5", m.esi_id])
    if request:
        segs.append(["REF", "8X", f.get("purpose", "SH001")])
    elif f.get("action") == "reject":
        segs.append(["REF", "7G", f.get("reject", "A13")])
    else:
        segs.append(["REF", "1P", "COMPLETE"])
    return segs


def _997(code: str, m: Message, names: Mapping[str, str], date: str) -> Segs:
    fid, gctl, sts = m.fields["group"]
    segs: Segs = [["AK1", fid, gctl]]
    for st01, st02 in sts:
        segs += [["AK2", st01, st02], ["AK5", "A"]]
    segs.append(["AK9", "A", str(len(sts)), str(len(sts)), str(len(sts))])
    return segs


_BUILDERS: dict[str, Callable[[str, Message, Mapping[str, str], str], Segs]] = {
    "814": _814, "867": _867, "810": _810, "820": _820, "824": _824, "650": _650, "997": _997,
}


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


_REQUEST_DATE = {"814_01", "814_03", "814_08", "814_12", "814_16", "814_24", "814_26", "814_20"}
_CUSTOMER = {"814_01", "814_03", "814_16"}
_INDICATOR = {"MVI": "MVI", "PMI": "MVI"}
#: 814_20 reasons for change (REF*TD) and the permit-pending 814_28 code, as the code lists
#: of edi/texas_set/codes spell them (placeholder values there, marked unconfirmed)
_TD = {"CREATE": "CRT", "RETIRE": "RET", "HOLD": "SHS"}
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
    if f.get("td"):
        out["maintenance_reason"] = _TD[f["td"]]
    if f.get("kind") in _INDICATOR:
        out["indicator"] = _INDICATOR[f["kind"]]
    elif f.get("history"):
        out["indicator"] = "HU"
    if m.code in _CUSTOMER:
        out["customer"] = {"name": "RESIDENT", "address1": f"{int(m.esi_id[-5:]) or 1} ELM ST",
                           "city": "DALLAS", "state": "TX", "zip": "75201"}
    return out


def _fields_867(m: Message, names: Mapping[str, str], date: dt.date) -> dict[str, Any]:
    f = m.fields
    out: dict[str, Any] = {"code": m.code, "ref": m.ref, "date": date, "esi_id": m.esi_id,
                           "final": bool(f.get("final")), "tdsp": _party(names, f.get("tdsp")),
                           "cr": _party(names, f.get("cr"))}
    if m.orig_ref:
        out["orig_ref"] = m.orig_ref
    if m.sender == "183529049":
        out["ercot"] = {"name": names.get(m.sender, "ERCOT"), "duns": m.sender}
    meter = f"M{m.esi_id[-9:]}"
    if m.code == "867_04":
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


def _charges(f: Mapping[str, Any]) -> list[tuple[str, int, str, int, str]]:
    kwh = int(f.get("kwh", 0))
    lines = [("BAS001", 390, "EA", 1, "BASIC CUSTOMER CHARGE"),
             ("DIS001", kwh * 3, "KH", kwh, "DISTRIBUTION SYSTEM CHARGE"),
             ("TRN002", kwh, "KH", kwh, "TRANSMISSION COST RECOVERY FACTOR")]
    # Out-of-cycle and priority move-in fees ([C] that they apply) have no SAC04 code in the
    # shipped charge code list yet, so they are not billed as a line of their own.
    return lines


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
        else:
            out["status"] = "CMP"
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

    Uses ``edi.texas_set.mapping.render`` for every code the mapping knows; the layouts in
    this module serve the codes it does not (yet) cover.

    Args:
        m: the message.
        names: DUNS -> participant name, for N1 segments.
        date: send date as CCYYMMDD (BGN03, BPT03, BIG01 ...).
    """
    if m.code in MAPPING:
        fields = mapping_fields(m, names, date)
        if fields is not None:
            return _mapping.render(m.code, fields)
    return _BUILDERS[m.code[:3]](m.code, m, names, date)
