"""Layouts of the 814 family: one segment catalogue, one segment order per code.

The segments of every 814 are drawn from one catalogue (:data:`SEGMENTS`); what differs per
code is which of them appear and in what order (:data:`ORDER`), taken from the
implementation guides in ``edi/texas_set/guides/814_*.xml`` and, where those are silent, the
example layouts of the domain notes.  ``REF*12`` (TDSP account number) on 814_01, 814_03 and
814_16 is marked assumed in the guides as here: the qualifier is seen in a market sample, its
use on these codes is not confirmed.
"""

from __future__ import annotations

from edi.texas_set.mapping.spec import Item, Layout, Seg, fld, lit, one, seg
from edi.texas_set.models.common import Customer, Party
from edi.texas_set.models.txn_814 import CODES_814, Enrollment814

__all__ = ["layouts_814", "party", "customer", "ACTION_CODES", "MAINTENANCE_CODES"]

ACTION_CODES = {"request": "7", "accept": "WQ", "reject": "U"}
MAINTENANCE_CODES = {"add": "021", "change": "001", "delete": "024"}


def party(field: str, qualifier: str, *, n106: bool = False, confirmed: bool = True) -> Item:
    """``N1*<qualifier>*name*1*DUNS`` (with ``**40|41`` when ``n106``) bound to a :class:`Party` field."""
    els = [lit(1, qualifier), fld(2, "name"), fld(3, "id_qualifier"), fld(4, "duns")]
    if n106:
        els.append(fld(6, "relationship"))
    return one(field, Party, seg("N1", *els, confirmed=confirmed))


def customer(field: str = "customer") -> Item:
    """``N1*8R`` with ``N3``, ``N4`` and ``PER`` bound to a :class:`Customer` field."""
    return one(
        field,
        Customer,
        seg("N1", lit(1, "8R"), fld(2, "name"), confirmed=True),
        seg("N3", fld(1, "address1"), fld(2, "address2"), when="address1", confirmed=True),
        seg("N4", fld(1, "city"), fld(2, "state"), fld(3, "zip"), when="city", confirmed=True),
        seg("PER", lit(1, "IC"), fld(2, "contact"), lit(3, "TE"), fld(4, "phone"), when="phone", confirmed=True),
    )


def _ref(q: str, src: str, text: str = "", *, confirmed: bool = True) -> Seg:
    els = [lit(1, q), fld(2, src)]
    if text:
        els.append(fld(3, text))
    return seg("REF", *els, when=src, confirmed=confirmed)


def _ref_flag(q: str, src: str) -> Seg:
    return seg("REF", lit(1, q), fld(2, src, "FLAG", flag="Y"), when=src, when_true=True)


def _dtm(q: str, src: str, *, confirmed: bool = True) -> Seg:
    return seg("DTM", lit(1, q), fld(2, src, "DT"), when=src, confirmed=confirmed)


#: Segments of the LIN loop after ``REF*Q5``, by label.
SEGMENTS: dict[str, Seg] = {
    "REF*7G": _ref("7G", "reject_code", "reject_text"),
    "REF*G7": _ref("G7", "unexecutable_code", "unexecutable_text"),
    "REF*1P": _ref("1P", "status_reason", "status_text"),
    "REF*11": _ref("11", "cr_account"),
    "REF*12": _ref("12", "tdsp_account", confirmed=False),
    "REF*BLT": _ref("BLT", "billing_type"),
    "REF*PC": _ref("PC", "bill_calculator"),
    "REF*SU": _ref_flag("SU", "life_support"),
    "REF*PRI": _ref_flag("PRI", "priority"),
    "REF*2W": _ref_flag("2W", "bypass_csa"),
    "REF*MT": _ref("MT", "meter_type"),
    "REF*IX": seg("REF", lit(1, "IX"), fld(2, "meter_dials", "N0"), when="meter_dials"),
    "REF*SH": seg("REF", lit(1, "SH"), fld(2, "switch_hold", "YN"), when="switch_hold"),
    "REF*TD": _ref("TD", "maintenance_reason"),
    "REF*PRT": _ref("PRT", "unmetered_type"),
    "REF*LOA": _ref("LOA", "authorization", confirmed=False),
    "DTM*150": _dtm("150", "requested_date"),  # or scheduled_date, per code
    "DTM*151": _dtm("151", "end_date"),
    "DTM*007": _dtm("007", "effective_date", confirmed=False),
    "DTM*656": _dtm("656", "last_date_to_object"),
    "DTM*097": seg(
        "DTM", lit(1, "097"), fld(2, "iteration", "DTD"), fld(3, "iteration", "DTT"), when="iteration"
    ),
}

_C = "customer"
#: Per code: whether the customer group is there, and the LIN-loop segments after REF*Q5.
ORDER: dict[str, tuple[bool, str]] = {
    "814_01": (True, "REF*11 REF*12 REF*BLT REF*PC DTM*150"),
    "814_02": (False, "REF*7G"),
    "814_03": (True, "REF*SU REF*11 REF*12 DTM*150 DTM*656"),
    "814_04": (False, "REF*7G REF*MT REF*IX REF*SH DTM*150"),
    "814_05": (False, "REF*7G REF*MT DTM*150"),
    "814_06": (False, "DTM*151"),
    "814_07": (False, "REF*7G"),
    "814_08": (False, ""),
    "814_09": (False, "REF*7G"),
    "814_10": (False, "DTM*151"),
    "814_11": (False, "REF*7G"),
    "814_12": (False, "DTM*150 DTM*151 DTM*097"),
    "814_13": (False, "REF*7G DTM*150 DTM*151 DTM*097"),
    "814_14": (True, "REF*SH DTM*150"),
    "814_15": (False, "REF*7G"),
    "814_16": (True, "REF*11 REF*12 REF*PRI DTM*150"),
    "814_17": (False, "REF*7G"),
    "814_18": (True, "DTM*150 DTM*151"),
    "814_19": (False, "REF*7G"),
    "814_20": (True, "REF*TD REF*SH REF*PRT REF*MT DTM*007"),
    "814_21": (False, "REF*7G"),
    "814_22": (False, "REF*PRT DTM*150"),
    "814_23": (False, "REF*7G"),
    "814_24": (True, "REF*2W REF*TD DTM*151"),
    "814_25": (False, "REF*7G DTM*151"),
    "814_26": (False, "REF*LOA"),
    "814_27": (False, "REF*1P REF*7G"),
    "814_28": (False, "REF*G7"),
    "814_29": (False, "REF*G7 REF*7G"),
    "814_PC": (True, "DTM*007"),
    "814_PD": (False, "REF*7G"),
}


def _layout(code: str) -> Layout:
    info = CODES_814[code]
    with_customer, order = ORDER[code]
    bgn_els = [lit(1, info.bgn01), fld(2, "ref"), fld(3, "date", "DT"), fld(4, "time", "TM")]
    if info.orig_ref:
        bgn_els.append(fld(6, "orig_ref"))
    if info.transition:
        bgn_els.append(fld(7, "transition_type"))
    bgn = seg("BGN", *bgn_els, confirmed=True)
    lin_els = [fld(1, "line_ref", fallback="ref"), lit(2, "SH"), lit(3, "EL"), lit(4, "SH"), lit(5, info.service)]
    if info.indicators:
        lin_els += [fld(6, "indicator", "PRE", flag="SH"), fld(7, "indicator")]
    lin = seg("LIN", *lin_els, confirmed=True)
    asi = seg(
        "ASI",
        fld(1, "action", "MAP", codes=ACTION_CODES),
        fld(2, "maintenance", "MAP", codes=MAINTENANCE_CODES),
        confirmed=True,
    )
    tail: list[Item] = []
    for label in order.split():
        s = SEGMENTS[label]
        if label == "DTM*150" and info.date150 == "scheduled_date":
            s = _dtm("150", "scheduled_date")
        tail.append(s)
    items: list[Item] = [bgn, party("tdsp", "8S")]
    if info.cr:
        items.append(party("cr", "SJ"))
    if with_customer:
        items.append(customer(_C))
    items += [lin, asi, seg("REF", lit(1, "Q5"), fld(2, "esi_id"), confirmed=True), *tail]
    return Layout(code, Enrollment814, tuple(items))


def layouts_814() -> dict[str, Layout]:
    """The layout of every 814 code."""
    return {code: _layout(code) for code in CODES_814}
