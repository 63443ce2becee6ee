"""Layouts of the 867, 810, 820, 824, 650 and 997 transactions.

Segment order, qualifiers and element positions follow the implementation guides in
``edi/texas_set/guides`` (which follow the example layouts of the domain notes and X12
004010 convention).  Where a guide lists an element the models do not carry, the element is
written empty and a value found there is refused when reading.
"""

from __future__ import annotations

from typing import Any

from edi.texas_set.mapping.spec import Item, Layout, fld, lit, loop, seg
from edi.texas_set.mapping.tables_814 import customer, party
from edi.texas_set.models.txn_650 import CODES_650, ServiceOrder650
from edi.texas_set.models.txn_810 import Charge, Invoice810, invoice_total
from edi.texas_set.models.txn_820 import Remittance820, RemittanceItem
from edi.texas_set.models.txn_824 import Advice, ApplicationAdvice824, Reason
from edi.texas_set.models.txn_867 import MeterRead, Usage867, UsagePeriod
from edi.texas_set.models.txn_997 import Ack997, ElementError, SegmentError, TransactionAck

__all__ = ["layouts_other"]

_QTY = {False: "QD", True: "KA"}


def _dtm(q: str, src: str, *, when: bool = False) -> Any:
    return seg("DTM", lit(1, q), fld(2, src, "DT"), when=src if when else "")


def _ref(q: str, src: str, *, when: bool = True) -> Any:
    return seg("REF", lit(1, q), fld(2, src), when=src if when else "")


# -- 867 --------------------------------------------------------------------------------

def _periods() -> Item:
    return loop(
        "periods",
        UsagePeriod,
        seg("PTD", lit(1, "SU"), confirmed=True),
        _dtm("150", "start"),
        _dtm("151", "end"),
        seg("QTY", fld(1, "estimated", "MAP", codes=_QTY), fld(2, "kwh", "Q"), lit(3, "KH"), confirmed=True),
    )


def _meters_monthly() -> Item:
    return loop(
        "meters",
        MeterRead,
        seg("PTD", lit(1, "PL"), fld(4, "meter_number", "PRE", flag="MG"), fld(5, "meter_number"), confirmed=True),
        _dtm("150", "start"),
        _dtm("151", "end"),
        # X12 004010 867: REF at the PTD level, then the QTY loop with the reading (MEA) in it
        _ref("MT", "meter_type", when=False),
        seg("QTY", fld(1, "estimated", "MAP", codes=_QTY), fld(2, "kwh", "Q"), lit(3, "KH")),
        seg(
            "MEA", lit(1, "AA"), lit(2, "PRQ"), fld(3, "kwh", "Q"), lit(4, "KH"),
            fld(5, "begin_reading", "Q"), fld(6, "end_reading", "Q"), lit(7, "51"),
        ),
    )


def _meters_initial() -> Item:
    # Structure of the 2016 flight-test sample: QTY*QD***NV and MEA****KH**<reading>*51.
    return loop(
        "meters",
        MeterRead,
        seg("PTD", lit(1, "BJ"), fld(4, "meter_number", "PRE", flag="MG"), fld(5, "meter_number"), confirmed=True),
        _dtm("140", "start"),
        seg("QTY", fld(1, "estimated", "MAP", codes=_QTY), lit(4, "NV"), confirmed=True),
        seg("MEA", lit(4, "KH"), fld(6, "end_reading", "Q"), lit(7, "51"), confirmed=True),
        min_items=1,
    )


def _layout_867(code: str) -> Layout:
    if code == "867_04":
        bpt = seg("BPT", lit(1, "SU"), fld(2, "ref"), fld(3, "date", "DT"), confirmed=True)
        parties = [party("tdsp", "8S", n106=True), party("ercot", "AY", n106=True), party("cr", "SJ", n106=True)]
        body: list[Item] = [_meters_initial()]
    else:
        purpose = fld(1, "purpose", "MAP", codes={"original": "00", "cancel": "01"})
        if code == "867_03":
            bpt = seg(
                "BPT", purpose, fld(2, "ref"), fld(3, "date", "DT"), lit(4, "DD"),
                fld(7, "final", "FLAG", flag="F"), confirmed=True,
            )
            body = [_periods(), _meters_monthly()]
        else:
            bpt = seg("BPT", purpose, fld(2, "ref"), fld(3, "date", "DT"), lit(4, "C1"))
            body = [_periods()]
        parties = [party("tdsp", "8S", n106=True), party("cr", "SJ", n106=True), party("ercot", "AY", n106=True)]
    if code == "867_04":
        # the 2016 flight-test sample has REF*Q5**<ESI ID>; the guide allows REF02 or REF03
        q5 = seg(
            "REF", lit(1, "Q5"), fld(2, "esi_id", gate="esi_id_in_ref03", gate_on=False),
            fld(3, "esi_id", gate="esi_id_in_ref03"), confirmed=True,
        )
    else:
        # the ESI ID in REF03, as in public 867s (the 2016 flight-test 867_04)
        q5 = seg("REF", lit(1, "Q5"), fld(3, "esi_id"), confirmed=True)
    items: list[Item] = [
        bpt,
        q5,
        _ref("TN", "orig_ref"),
        *parties,
        *body,
    ]
    return Layout(code, Usage867, tuple(items))


# -- 810 --------------------------------------------------------------------------------

def _prepare_810(f: Any) -> Any:
    """Fill the invoice total as the model's validator does."""
    get = f.get if isinstance(f, dict) else f.__getitem__
    if get("total") is None:
        f = {**f, "total": invoice_total(f["charges"])}
    return f


def _layout_810() -> Layout:
    items: list[Item] = [
        seg(
            "BIG", fld(1, "date", "DT"), fld(2, "invoice_number"),
            fld(7, "invoice_type"), fld(8, "purpose"), confirmed=False,
        ),
        seg("REF", lit(1, "Q5"), fld(2, "esi_id"), confirmed=True),
        _ref("OI", "usage_ref"),
        party("tdsp", "8S"),
        party("cr", "SJ"),
        seg("ITD", fld(6, "due_date", "DT")),  # ITD06, terms net due date (X12 004010)
        _dtm("150", "period_start"),
        _dtm("151", "period_end"),
        loop(
            "charges",
            Charge,
            seg("IT1", fld(1, "", "IDX"), lit(6, "SV"), lit(7, "RATE")),  # no IT102-04 (P020304)
            seg(
                "SAC", fld(1, "allowance", "MAP", codes={False: "C", True: "A"}), lit(3, "EU"),
                fld(4, "code"), fld(5, "amount", "N2"), fld(9, "uom"), fld(10, "quantity", "Q"),
                fld(15, "description"),  # SAC15 (X12 004010; TXSET104)
            ),
            min_items=1,
        ),
        seg("TDS", fld(1, "total", "N2")),
        seg("CTT", fld(1, "charges", "COUNT")),
    ]
    return Layout("810_02", Invoice810, tuple(items), prepare=_prepare_810)


# -- 820 --------------------------------------------------------------------------------

def _layout_820() -> Layout:
    items: list[Item] = [
        seg(
            "BPR", fld(1, "handling"), fld(2, "amount", "R"), lit(3, "C"), fld(4, "method"),
            fld(5, "payment_format"), fld(6, "payer_routing", "PRE", flag="01"),
            fld(7, "payer_routing"), fld(8, "payer_account", "PRE", flag="DA"),
            fld(9, "payer_account"), fld(16, "payment_date", "DT"),
        ),
        seg("TRN", lit(1, "1"), fld(2, "trace"), confirmed=True),
        party("payer", "PR"),
        party("payee", "PE"),
        seg("ENT", lit(1, "1")),
        loop(
            "items",
            RemittanceItem,
            seg(
                "RMR", lit(1, "IK"), fld(2, "invoice_number"), fld(4, "amount_paid", "R"),
                fld(5, "invoice_amount", "R"),
            ),
            _ref("Q5", "esi_id"),
            min_items=1,
        ),
    ]
    return Layout("820_02", Remittance820, tuple(items))


# -- 824 --------------------------------------------------------------------------------

_OTI = {"accept": "TA", "accept_with_errors": "TE", "reject": "TR"}


def _layout_824() -> Layout:
    items: list[Item] = [
        seg("BGN", lit(1, "00"), fld(2, "ref"), fld(3, "date", "DT"), fld(6, "orig_ref")),
        party("tdsp", "8S"),
        party("cr", "SJ"),
        loop(
            "advices",
            Advice,
            seg(
                "OTI", fld(1, "result", "MAP", codes=_OTI), fld(2, "ref_qualifier"), fld(3, "orig_ref"),
                fld(8, "group_control", "N0"), fld(9, "orig_control"), fld(10, "orig_transaction"),
            ),
            _ref("Q5", "esi_id"),
            loop("reasons", Reason, seg("TED", fld(1, "code"), fld(2, "text"))),
            min_items=1,
        ),
    ]
    return Layout("824", ApplicationAdvice824, tuple(items))


# -- 650 --------------------------------------------------------------------------------

_BGN650 = {"original": "13", "response": "11", "reactivation": "79"}


def _layout_650(code: str) -> Layout:
    bgn = [fld(1, "purpose", "MAP", codes=_BGN650), fld(2, "ref"), fld(3, "date", "DT"), fld(4, "time", "TM")]
    if code in ("650_02", "650_05"):
        bgn.append(fld(6, "orig_ref"))
    items: list[Item] = [
        seg("BGN", *bgn),
        party("tdsp", "8S"),
        party("cr", "SJ"),
    ]
    if code == "650_01":
        items.append(customer())
    # X12 004010 650 detail: the HL loop (HL, REF, LIN, DTM in that order); HL03 "SS" is assumed
    items.append(seg("HL", lit(1, "1"), lit(3, "SS")))
    items.append(seg("REF", lit(1, "Q5"), fld(2, "esi_id"), confirmed=True))
    lin = seg(
        "LIN", fld(1, "line_ref", fallback="ref"), lit(2, "SH"), lit(3, "EL"), lit(4, "SV"),
        fld(5, "order_type"),
    )
    if code == "650_01":
        items += [
            seg("REF", lit(1, "8X"), fld(2, "premise_verification", "FLAG", flag="Y"),
                when="premise_verification", when_true=True),
            lin,
            _dtm("150", "service_date", when=True),
        ]
    elif code == "650_02":
        items += [
            seg("REF", lit(1, "1P"), fld(2, "status")),
            seg("REF", lit(1, "7G"), fld(2, "reject_code"), fld(3, "reject_text"), when="reject_code"),
            seg("REF", lit(1, "G7"), fld(2, "unexecutable_code"), fld(3, "unexecutable_text"),
                when="unexecutable_code"),
            lin,
            _dtm("150", "service_date", when=True),
        ]
    elif code == "650_05":
        items += [
            seg("REF", lit(1, "7G"), fld(2, "reject_code"), fld(3, "reject_text")),
            lin,
            _dtm("150", "service_date", when=True),
        ]
    else:
        items += [lin, _dtm("150", "service_date"), _dtm("151", "end_date", when=True)]
    return Layout(code, ServiceOrder650, tuple(items))


# -- 997 --------------------------------------------------------------------------------

def _layout_997() -> Layout:
    items: list[Item] = [
        seg("AK1", fld(1, "functional_id"), fld(2, "group_control", "N0"), confirmed=True),
        loop(
            "transactions",
            TransactionAck,
            seg("AK2", fld(1, "st01"), fld(2, "control"), confirmed=True),
            loop(
                "segments",
                SegmentError,
                seg("AK3", fld(1, "segment_id"), fld(2, "position", "N0"), fld(3, "loop_id"), fld(4, "code")),
                loop(
                    "elements",
                    ElementError,
                    seg("AK4", fld(1, "position", "N0"), fld(2, "element_ref", "N0"), fld(3, "code"), fld(4, "value")),
                ),
            ),
            seg("AK5", fld(1, "status"), fld(2, "code1"), fld(3, "code2"), confirmed=True),
        ),
        seg(
            "AK9", fld(1, "status"), fld(2, "included", "N0"), fld(3, "received", "N0"),
            fld(4, "accepted", "N0"), fld(5, "group_code"), confirmed=True,
        ),
    ]
    return Layout("997", Ack997, tuple(items))


def layouts_other() -> dict[str, Layout]:
    """The layouts of every non-814 code."""
    out = {c: _layout_867(c) for c in ("867_02", "867_03", "867_04")}
    out["810_02"] = _layout_810()
    out["820_02"] = _layout_820()
    out["824"] = _layout_824()
    out.update({c: _layout_650(c) for c in CODES_650})
    out["997"] = _layout_997()
    return out
