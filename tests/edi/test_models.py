"""Business models and their small types: constraints, per-code rules, renderings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from edi import testing as S
from edi.texas_set import models as M
from edi.texas_set.models import CODES_814, Enrollment814, Invoice810, Usage867, build, model_for
from edi.texas_set.types import (
    format_date,
    format_quantity,
    format_r,
    format_time,
    parse_date,
    parse_n2,
    parse_quantity,
    parse_r,
    parse_time,
)

ESI = "10443720001234567"
CR = {"name": "ACME POWER", "duns": "123456789"}
TDSP = {"name": "ONCOR", "duns": "1039940674000"}
_FULL = {
    "tdsp": TDSP, "cr": CR, "orig_ref": "O1", "transition_type": "TS", "end_date": dt.date(2025, 3, 9),
    "requested_date": dt.date(2025, 3, 6), "scheduled_date": dt.date(2025, 3, 6), "effective_date": dt.date(2025, 3, 3),
    "iteration": dt.datetime(2025, 3, 3, 9, 30), "unexecutable_code": "T019", "reject_code": "A13",
    "customer": {"name": "JANE DOE", "address1": "1 MAIN ST", "city": "DALLAS", "state": "TX", "zip": "75201"},
}  # fmt: skip


def required(code: str) -> dict:
    """The fields the guide of an 814 code requires, with plausible values."""
    names = {n.partition(".")[0] for n in M.REQUIRED_814[code]}
    return {n: _FULL[n] for n in names}


# -- types ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0"), (5, "0.05"), (50, "0.5"), (2000, "20"), (2010, "20.1"), (2014, "20.14"), (-2014, "-20.14"),
     (-5, "-0.05")],
)
def test_r_amounts(cents: int, text: str) -> None:
    assert format_r(cents) == text
    assert parse_r(text) == cents


@pytest.mark.parametrize("text", ["", "1.234", "1,00", "abc", "--1", "1e3"])
def test_bad_r_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_r(text)


@given(st.integers(-(10**12), 10**12))
def test_money_round_trips(cents: int) -> None:
    assert parse_r(format_r(cents)) == cents
    assert parse_n2(str(cents)) == cents


@pytest.mark.parametrize("text", ["20251301", "20250230", "2025030", "2025-03-01", "abcdefgh", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError, match="CCYYMMDD"):
        parse_date(text)


@given(S.dates())
def test_dates_round_trip(d: dt.date) -> None:
    assert len(format_date(d)) == 8
    assert parse_date(format_date(d)) == d


@given(S.times())
def test_times_round_trip(t: dt.time) -> None:
    assert parse_time(format_time(t)) == t


@pytest.mark.parametrize("text", ["2400", "1260", "930", "09:30"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError, match="HHMM"):
        parse_time(text)


@given(S.quantities())
def test_quantities_round_trip(q: int | Decimal) -> None:
    back = parse_quantity(format_quantity(q))
    assert back == q
    assert format_quantity(back) == format_quantity(q)


def test_identifiers_are_constrained_strings() -> None:
    ok = build("867_04", ref="A", date=dt.date(2025, 3, 6), esi_id="0" * 22, tdsp=TDSP, cr=CR,
               meters=[{"start": dt.date(2025, 3, 5), "end_reading": 0}])
    assert ok.esi_id == "0" * 22
    for bad in ("1" * 16, "1" * 23, "1044372000123456X", 10443720001234567):
        with pytest.raises(ValidationError):
            build("867_04", ref="A", date=dt.date(2025, 3, 6), esi_id=bad, tdsp=TDSP, cr=CR,
                  meters=[{"start": dt.date(2025, 3, 5), "end_reading": 0}])
    for duns in ("12345678", "1234567890", "12345678901234"):
        with pytest.raises(ValidationError):
            M.Party(name="X", duns=duns)
    assert M.Party(name="X", duns="1039940674000").duns == "1039940674000"


# -- models --------------------------------------------------------------------------------

def test_every_code_has_one_model() -> None:
    assert set(M.MODELS) == set(CODES_814) | {"867_02", "867_03", "867_04", "810_02", "820_02", "824", "650_01",
                                              "650_02", "650_04", "650_05", "997"}
    for code, cls in M.MODELS.items():
        assert code in cls.CODES
        assert cls.__doc__ and "Attributes:" in cls.__doc__


@given(model=S.any_model())
def test_models_are_frozen_and_strict(model: M.TxModel) -> None:
    with pytest.raises(ValidationError):
        model.code = "814_01"  # type: ignore[misc]
    data = {**model.model_dump(), "surprise": 1}
    with pytest.raises(ValidationError, match="surprise"):
        type(model).model_validate(data)
    assert model.st01 == model.code[:3]


def _switch(**kw: object) -> Enrollment814:
    base = {"code": "814_01", "ref": "R1", "date": dt.date(2025, 3, 3), "esi_id": ESI, **required("814_01")}
    return Enrollment814.model_validate({**base, **kw})


def test_814_code_defaults() -> None:
    assert (_switch().action, _switch().maintenance, _switch().indicator) == ("request", "add", None)
    movein = build("814_16", ref="M1", date=dt.date(2025, 3, 3), esi_id=ESI, **required("814_16"))
    assert (movein.indicator, movein.maintenance) == ("MVI", "add")
    reject = build("814_02", ref="E1", date=dt.date(2025, 3, 3), esi_id=ESI, **required("814_02"))
    assert reject.action == "reject"
    assert build("814_08", ref="C", date=dt.date(2025, 3, 3), esi_id=ESI, **required("814_08")).maintenance == "delete"


@pytest.mark.parametrize(
    ("code", "fields", "message"),
    [
        ("814_01", {"action": "accept"}, "action must be one of request"),
        ("814_04", {"action": "request"}, "action must be one of accept, reject"),
        ("814_04", {"action": "reject"}, "reject_code"),
        ("814_04", {"reject_code": "SHF"}, "reject_code"),
        ("814_04", {"reject_text": "TEXT", "action": "reject", "reject_code": None}, "reject_code"),
        ("814_01", {"scheduled_date": dt.date(2025, 3, 6)}, "requested_date, not scheduled_date"),
        ("814_04", {"requested_date": dt.date(2025, 3, 6)}, "scheduled_date, not requested_date"),
        ("814_01", {"maintenance": "delete"}, "maintenance must be one of add"),
        ("814_01", {"indicator": "MVO"}, "indicator must be one of: HU"),
        ("814_08", {"indicator": "MVO"}, "indicator must be one of: none"),
        ("814_01", {"orig_ref": "X"}, "no original reference"),
        ("814_01", {"transition_type": "TS"}, "no transition type"),
        ("814_21", {"cr": {"name": "A", "duns": "123456789"}}, "no CR"),
        ("814_04", {"switch_hold": False}, "'N' is for 814_20"),
        ("814_27", {"status_text": "X"}, "status_text needs"),
        ("814_01", {"customer": {"name": "A", "city": "DALLAS"}}, "go together"),
        ("814_01", {"customer": {"name": "A", "contact": "B"}}, "needs a phone"),
        ("814_01", {"customer": {"name": "A", "address2": "B"}}, "needs address1"),
    ],
)
def test_814_rules(code: str, fields: dict, message: str) -> None:
    base = {"ref": "R1", "date": dt.date(2025, 3, 3), "esi_id": ESI, **required(code)}
    if code in ("814_04",):
        base.pop("reject_code", None)
    with pytest.raises(ValidationError, match=message):
        build(code, **{**base, **fields})


@pytest.mark.parametrize("code", sorted(M.REQUIRED_814))
def test_814_guide_required_fields(code: str) -> None:
    base = {"ref": "R1", "date": dt.date(2025, 3, 3), "esi_id": ESI, **required(code)}
    assert build(code, **base).code == code
    for name in M.REQUIRED_814[code]:
        head, _, sub = name.partition(".")
        broken = dict(base)
        if sub:
            drop = ("city", "state", "zip") if sub == "city" else (sub,)
            broken[head] = {k: v for k, v in base[head].items() if k not in drop}
        else:
            broken.pop(head)
        with pytest.raises(ValidationError, match=f"requires {name}"):
            build(code, **broken)


def test_long_refs_need_a_line_ref() -> None:
    with pytest.raises(ValidationError, match="at most 20"):
        _switch(ref="R" * 21)
    assert _switch(ref="R" * 21, line_ref="L1").line_ref == "L1"


def test_n106_only_on_867() -> None:
    with pytest.raises(ValidationError, match="N106"):
        _switch(cr={**CR, "relationship": "40"})


def test_line_ref_equal_to_ref_is_normalised() -> None:
    assert _switch(line_ref="R1").line_ref is None
    assert _switch(line_ref="L1").line_ref == "L1"


def _usage(code: str = "867_03", **kw: object) -> Usage867:
    base: dict = {
        "code": code, "ref": "U1", "date": dt.date(2025, 4, 7), "esi_id": ESI, "tdsp": TDSP, "cr": CR,
        "periods": [{"start": dt.date(2025, 3, 6), "end": dt.date(2025, 4, 4), "kwh": 1287}],
    }  # fmt: skip
    return Usage867.model_validate({**base, **kw})


def test_867_shapes() -> None:
    assert _usage().kwh == 1287
    with pytest.raises(ValidationError, match="exactly one usage period"):
        _usage(periods=[{"start": dt.date(2025, 3, 6), "end": dt.date(2025, 4, 4), "kwh": 1}] * 2)
    with pytest.raises(ValidationError, match="before its start"):
        _usage(periods=[{"start": dt.date(2025, 4, 6), "end": dt.date(2025, 4, 4), "kwh": 1}])
    with pytest.raises(ValidationError, match="only an 867_03 can be final"):
        _usage("867_02", final=True)
    with pytest.raises(ValidationError, match="no usage periods"):
        _usage("867_04", meters=[{"start": dt.date(2025, 3, 5), "end_reading": 0}])
    with pytest.raises(ValidationError, match="needs end, kwh and meter_type"):
        _usage(meters=[{"meter_number": "M1", "start": dt.date(2025, 3, 6), "end_reading": 5}])


def test_invoice_total_is_computed_or_kept() -> None:
    base = {
        "date": dt.date(2025, 4, 8), "invoice_number": "I1", "esi_id": ESI, "due_date": dt.date(2025, 5, 13),
        "tdsp": TDSP, "cr": CR,
        "period_start": dt.date(2025, 3, 6), "period_end": dt.date(2025, 4, 4),
        "charges": [{"code": "BAS001", "amount": 925}, {"code": "BAS003", "amount": 100, "allowance": True}],
    }  # fmt: skip
    assert Invoice810.model_validate(base).total == 825
    assert Invoice810.model_validate({**base, "total": 825}).total == 825
    # a total that is not the lines' sum is kept as sent: the CR rejects it with an 824
    wrong = Invoice810.model_validate({**base, "total": 1025})
    assert (wrong.total, wrong.lines_total) == (1025, 825)


def test_remittance_must_balance() -> None:
    base = {
        "amount": 100, "payment_date": dt.date(2025, 5, 12), "trace": "T1",
        "payer": {"name": "A", "duns": "123456789"}, "payee": {"name": "B", "duns": "987654321"},
        "items": [{"invoice_number": "I1", "amount_paid": 60}, {"invoice_number": "I2", "amount_paid": 40}],
    }  # fmt: skip
    assert model_for("820_02").model_validate(base).amount == 100
    with pytest.raises(ValidationError, match="does not balance"):
        model_for("820_02").model_validate({**base, "amount": 99})
    with pytest.raises(ValidationError, match="go together"):
        model_for("820_02").model_validate({**base, "payer_routing": "111000025"})


def test_service_order_and_advice_rules() -> None:
    base = {"code": "650_02", "ref": "S", "date": dt.date(2025, 5, 21), "order_type": "DNP", "esi_id": ESI,
            "orig_ref": "O", "tdsp": TDSP, "cr": CR}
    assert build(**base, status="CMP").purpose == "response"
    with pytest.raises(ValidationError, match="requires status"):
        build(**base)
    with pytest.raises(ValidationError, match="REF\\*7G"):
        build(**base, status="REJ")
    with pytest.raises(ValidationError, match="purpose must be one of original"):
        build("650_01", ref="S", date=dt.date(2025, 5, 21), order_type="DNP", esi_id=ESI, tdsp=TDSP, cr=CR,
              purpose="reactivation")
    with pytest.raises(ValidationError, match="at least one reason"):
        build("824", ref="A", date=dt.date(2025, 4, 9), advices=[{"orig_ref": "I1", "result": "reject"}])


def test_997_counts() -> None:
    assert build("997", functional_id="GE", group_control=1, included=2, received=2, accepted=1).status == "A"
    with pytest.raises(ValidationError, match="accepted <= received <= included"):
        build("997", functional_id="GE", group_control=1, included=1, received=1, accepted=2)
