"""The typed payloads are the mapping layouts' own fields (edi.texas_set.payloads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing

import pytest

from edi.texas_set import mapping
from edi.texas_set import models as M
from edi.texas_set import payloads as P
from edi.texas_set.mapping.render import plain

FAMILIES = {"814": M.Enrollment814, "867": M.Usage867, "810": M.Invoice810, "820": M.Remittance820,
            "824": M.ApplicationAdvice824, "650": M.ServiceOrder650, "997": M.Ack997}
PARTS = {P.Party: M.Party, P.Customer: M.Customer, P.UsagePeriod: M.UsagePeriod, P.MeterRead: M.MeterRead,
         P.Charge: M.Charge, P.RemittanceItem: M.RemittanceItem, P.Advice: M.Advice, P.Reason: M.Reason,
         P.TransactionAck: M.TransactionAck, P.SegmentError: M.SegmentError, P.ElementError: M.ElementError}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_payload_and_header_are_the_models_fields(family: str) -> None:
    cls = P.PAYLOADS[family]
    fields = {f.name for f in dataclasses.fields(cls)} - set(P.NOT_IN_LAYOUT.get(family, {}))
    header = set(P.HEADER[family])
    assert not fields & header
    assert fields | header == set(FAMILIES[family].model_fields)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_payload_field_is_in_a_layout_of_its_family(family: str) -> None:
    carried = set().union(*(mapping.layout(c).fields() for c in mapping.codes() if c.startswith(family)))
    fields = {f.name for f in dataclasses.fields(P.PAYLOADS[family])} - set(P.NOT_IN_LAYOUT.get(family, {}))
    # the codes' defaults decide these when not given; they are carried through the code's layout
    assert fields - carried <= {"action", "maintenance", "purpose", "invoice_type", "total"}


@pytest.mark.parametrize("part", list(PARTS), ids=lambda c: c.__name__)
def test_parts_are_the_models_parts(part: type) -> None:
    assert set(part._fields) == set(PARTS[part].model_fields)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", [*P.PAYLOADS.values(), *PARTS], ids=lambda c: c.__name__)
def test_dates_are_dates_and_money_is_cents(cls: type) -> None:
    hints = typing.get_type_hints(cls)
    model = FAMILIES.get(getattr(cls, "FAMILY", "")) or PARTS.get(cls)
    assert model is not None
    for name, info in model.model_fields.items():
        if name not in hints:
            continue
        text = str(info.annotation)
        if "datetime.date" in text and "datetime.datetime" not in text:
            assert dt.date in typing.get_args(hints[name]) or hints[name] is dt.date, name
        if name in ("amount", "amount_paid", "invoice_amount", "total"):
            assert int in typing.get_args(hints[name]) or hints[name] is int, name


def test_unknown_and_missing_fields_are_errors_at_construction() -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        P.Payload867(kwh=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="required keyword-only"):
        P.Payload810(due_date=dt.date(2025, 1, 1))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        P.UsagePeriod(dt.date(2025, 1, 1))  # type: ignore[call-arg]


def test_a_codes_guide_and_layout_are_checked() -> None:
    p = P.Payload814(scheduled_date=dt.date(2025, 3, 1))
    assert p.missing("814_04") == ["tdsp", "cr"]
    assert p.uncarried("814_01") == ["scheduled_date"]
    assert P.Payload814().uncarried("814_01") == []  # defaults are not values given


def test_mapping_fields_join_payload_and_header() -> None:
    party = P.Party("ONCOR", "1039940674000")
    f = P.mapping_fields("814_20", P.Payload814(tdsp=party, maintenance_reason="CRT",
                                                effective_date=dt.date(2025, 3, 2)), ref="T" + "1" * 25,
                         date=dt.date(2025, 3, 3), esi_id="10443720000000014")
    assert f["ref"] == "T" + "1" * 25 and f["line_ref"] == "1" * 20 and f["esi_id"] == "10443720000000014"
    assert f["date"] == dt.date(2025, 3, 3) and f["effective_date"] == dt.date(2025, 3, 2)
    assert "self_selected" not in f and "orig_ref" not in f
    assert mapping.render("814_20", f) == mapping.to_segments(M.Enrollment814(**plain(f)))


def test_a_render_failure_names_the_field() -> None:
    bad = P.Payload810(due_date=None, period_start=dt.date(2025, 3, 1),  # type: ignore[arg-type]
                       period_end=dt.date(2025, 3, 31), charges=(P.Charge("BAS001", 390),))
    f = P.mapping_fields("810_02", bad, ref="T1", date=dt.date(2025, 3, 3), esi_id="10443720000000014")
    with pytest.raises(Exception, match="810_02: cannot render: due_date"):
        mapping.render("810_02", f)
