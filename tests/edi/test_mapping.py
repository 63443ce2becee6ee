"""Mapping between models and X12 segments: round trips, fast path, located errors."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi.errors import MappingError
from edi.texas_set import mapping
from edi.texas_set.mapping import from_segments, render, to_segments, transaction
from edi.texas_set.models import build, model_for
from edi.x12 import Segment
from tests import strategies as S

ALL_CODES = mapping.codes()


def test_every_model_code_has_a_layout() -> None:
    from edi.texas_set.models import MODELS

    assert sorted(MODELS) == ALL_CODES


@pytest.mark.parametrize("code", ALL_CODES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_model_to_x12_to_model_is_identity(code: str, data: st.DataObject) -> None:
    fields = data.draw(S.fields_for(code))
    model = model_for(code).model_validate(fields)
    body = to_segments(model)
    assert all(isinstance(e, str) for s in body for e in s)
    assert all(s[-1] != "" for s in body), "trailing empty elements must be trimmed"
    back = from_segments(code, body)
    assert back == model
    assert to_segments(back) == body
    # the fast path gives the same segments from the unvalidated fields
    assert render(code, fields) == body


@settings(max_examples=40, deadline=None)
@given(model=S.any_model())
def test_render_from_model_dict_equals_to_segments(model: object) -> None:
    assert render(model.code, model.__dict__) == to_segments(model)  # type: ignore[attr-defined]


def _fields_867() -> dict:
    return {
        "code": "867_03",
        "ref": "867030TD4372000123456701",
        "date": dt.date(2025, 4, 7),
        "esi_id": "10443720001234567",
        "tdsp": {"name": "ONCOR", "duns": "1039940674000"},
        "cr": {"name": "ACME POWER", "duns": "123456789"},
        "periods": [{"start": dt.date(2025, 3, 6), "end": dt.date(2025, 4, 4), "kwh": 1287}],
        "meters": [
            {
                "meter_number": "104137265LG",
                "start": dt.date(2025, 3, 6),
                "end": dt.date(2025, 4, 4),
                "kwh": 1287,
                "begin_reading": 45210,
                "end_reading": 46497,
                "meter_type": "KHMON",
            }
        ],
    }


def test_867_03_matches_the_example_layout() -> None:
    text = "~".join("*".join(s) for s in render("867_03", _fields_867()))
    assert text == (
        "BPT*00*867030TD4372000123456701*20250407*DD~REF*Q5*10443720001234567~"
        "N1*8S*ONCOR*1*1039940674000~N1*SJ*ACME POWER*1*123456789~PTD*SU~DTM*150*20250306~"
        "DTM*151*20250404~QTY*QD*1287*KH~PTD*PL***MG*104137265LG~DTM*150*20250306~"
        "DTM*151*20250404~MEA*AA*PRQ*1287*KH*45210*46497*51~REF*MT*KHMON~QTY*QD*1287*KH"
    )


def test_transaction_wraps_st_se() -> None:
    segs = transaction("867_03", _fields_867(), control="0042")
    assert segs[0] == ["ST", "867", "0042"]
    assert segs[-1] == ["SE", str(len(segs)), "0042"]
    assert transaction(build("867_03", **{k: v for k, v in _fields_867().items() if k != "code"})) == transaction(
        "867_03", _fields_867()
    )


def _body(code: str, fields: dict) -> list[list[str]]:
    return render(code, fields)


def _with(body: list[list[str]], index: int, pos: int, value: str) -> list[list[str]]:
    out = [list(s) for s in body]
    while len(out[index]) <= pos:
        out[index].append("")
    out[index][pos] = value
    return out


def test_bad_date_names_segment_and_element() -> None:
    body = _with(_body("867_03", _fields_867()), 5, 2, "20251301")
    with pytest.raises(MappingError) as exc:
        from_segments("867_03", body, source="usage.x12")
    msg = str(exc.value)
    assert "usage.x12 segment 7 (DTM*150) DTM02" in msg
    assert "20251301" in msg and "CCYYMMDD" in msg


def test_segment_numbers_come_from_segment_objects() -> None:
    body = _with(_body("867_03", _fields_867()), 7, 1, "ZZ")
    segs = [Segment(els, number=100 + i) for i, els in enumerate(body)]
    with pytest.raises(MappingError, match=r"segment 107 \(QTY\*ZZ\) QTY01: code 'ZZ' is not one of QD, KA"):
        from_segments("867_03", segs)


def test_unknown_element_is_refused_not_dropped() -> None:
    body = _with(_body("867_03", _fields_867()), 1, 3, "EXTRA")
    with pytest.raises(MappingError, match=r"segment 3 \(REF\*Q5\) REF03: .*not carried"):
        from_segments("867_03", body)


def test_missing_mandatory_segment() -> None:
    body = [s for s in _body("867_03", _fields_867()) if s[:2] != ["REF", "Q5"]]
    with pytest.raises(MappingError, match=r"mandatory segment REF\*Q5 is missing"):
        from_segments("867_03", body)


def test_unexpected_segment() -> None:
    body = [*_body("867_03", _fields_867()), ["NTE", "ADD", "HELLO"]]
    with pytest.raises(MappingError, match=r"segment 16 \(NTE\*ADD\).*not expected"):
        from_segments("867_03", body)


def test_disagreeing_duplicate_values_are_refused() -> None:
    body = _with(_body("867_03", _fields_867()), 13, 2, "999")  # meter QTY02 vs MEA03
    with pytest.raises(MappingError, match=r"QTY02.*disagrees"):
        from_segments("867_03", body)


def test_model_validation_error_is_located() -> None:
    body = _with(_body("867_03", _fields_867()), 1, 2, "123")  # ESI ID too short
    with pytest.raises(MappingError, match=r"segment 3 \(REF\*Q5\) REF02: esi_id: .*\(867_03\)"):
        from_segments("867_03", body)


def test_refs_of_one_run_may_come_in_any_order() -> None:
    fields = {
        "code": "814_04", "ref": "R1", "date": dt.date(2025, 3, 3), "orig_ref": "E1",
        "esi_id": "10443720001234567", "action": "reject", "reject_code": "SHF",
        "meter_type": "KHMON", "switch_hold": True,
    }  # fmt: skip
    body = render("814_04", fields)
    refs = [i for i, s in enumerate(body) if s[0] == "REF" and s[1] != "Q5"]
    shuffled = list(body)
    shuffled[refs[0]], shuffled[refs[-1]] = body[refs[-1]], body[refs[0]]
    assert from_segments("814_04", shuffled) == from_segments("814_04", body)
    twice = [*body[: refs[0] + 1], body[refs[0]], *body[refs[0] + 1 :]]
    with pytest.raises(MappingError, match="appears twice"):
        from_segments("814_04", twice)


def test_invoice_count_and_line_numbers_are_checked() -> None:
    fields = {
        "code": "810_02", "date": dt.date(2025, 4, 8), "invoice_number": "INV1",
        "esi_id": "10443720001234567", "due_date": dt.date(2025, 5, 13),
        "period_start": dt.date(2025, 3, 6), "period_end": dt.date(2025, 4, 4),
        "charges": [{"code": "BAS001", "amount": 925}, {"code": "DIS001", "amount": 578}],
    }  # fmt: skip
    body = render("810_02", fields)
    assert ["TDS", "1503"] in body and ["CTT", "2"] in body
    with pytest.raises(MappingError, match=r"CTT01: count '3'"):
        from_segments("810_02", [*body[:-1], ["CTT", "3"]])
    it1 = next(i for i, s in enumerate(body) if s[0] == "IT1")
    with pytest.raises(MappingError, match=r"IT101: line number '7' should be 1"):
        from_segments("810_02", _with(body, it1, 1, "7"))


def test_render_reports_missing_fields_clearly() -> None:
    with pytest.raises(MappingError, match=r"867_03: cannot render: esi_id: Field required"):
        render("867_03", {k: v for k, v in _fields_867().items() if k != "esi_id"})
    with pytest.raises(MappingError, match="no mapping for transaction code"):
        render("999_99", {})


def test_to_segments_refuses_fields_the_code_does_not_carry() -> None:
    model = build("814_08", ref="C1", date=dt.date(2025, 3, 3), orig_ref="A1", esi_id="10443720001234567", meter_type="KHMON")
    with pytest.raises(MappingError, match="'meter_type' is not carried"):
        to_segments(model)


def test_code_defaults_are_rendered() -> None:
    body = render("814_16", {"code": "814_16", "ref": "M1", "date": dt.date(2025, 3, 3), "esi_id": "10443720001234567", "requested_date": dt.date(2025, 3, 4)})
    assert ["LIN", "M1", "SH", "EL", "SH", "CE", "SH", "MVI"] in body
    assert ["ASI", "7", "021"] in body
    body = render("814_08", {"code": "814_08", "ref": "C1", "date": dt.date(2025, 3, 3), "orig_ref": "A1", "esi_id": "10443720001234567"})
    assert body[0] == ["BGN", "01", "C1", "20250303", "", "", "A1"]
    assert ["ASI", "7", "024"] in body
