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

from collections.abc import Callable, Mapping
from typing import Any

from ercot_sim.messages import Message

__all__ = ["render_body"]

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
    segs: Segs = []
    for fid, gctl, sts in m.fields["groups"]:
        segs.append(["AK1", fid, gctl])
        for st01, st02 in sts:
            segs += [["AK2", st01, st02], ["AK5", "A"]]
        segs.append(["AK9", "A", str(len(sts)), str(len(sts)), str(len(sts))])
    return segs


_BUILDERS: dict[str, Callable[[str, Message, Mapping[str, str], str], Segs]] = {
    "814": _814, "867": _867, "810": _810, "820": _820, "824": _824, "650": _650, "997": _997,
}


def render_body(m: Message, names: Mapping[str, str], date: str) -> Segs:
    """The segments between ST and SE of ``m`` (``date`` = CCYYMMDD it is sent).

    Args:
        m: the message.
        names: DUNS -> participant name, for N1 segments.
        date: send date as CCYYMMDD (BGN03, BPT03, BIG01 ...).
    """
    return _BUILDERS[m.code[:3]](m.code, m, names, date)
