"""The engine's text fast path gives exactly the bytes of the validated-model path.

* the mapping's text renderer (``compile_text_layout``) equals its segments formatted;
* ``X12Writer.add_text`` equals ``X12Writer.add``;
* the hot-path templates (867_03, 810_02, 820_02, 997) equal the mapping for every shape, and a
  template that disagrees is dropped for its shape (the mapping's text is written).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi import testing as S
from edi.texas_set import mapping
from edi.texas_set.mapping.render import compile_text_layout
from edi.texas_set.payloads import (
    Charge,
    Party,
    Payload650,
    Payload810,
    Payload814,
    Payload820,
    Payload997,
    RemittanceItem,
    TransactionAck,
)
from edi.x12 import ControlNumbers, X12Writer, format_segments
from edi.x12.delimiters import Delimiters
from ercot_sim.market.customers import customer_of
from ercot_sim.market.messages import Message
from ercot_sim.market.participants.tdsp_reads import usage_payloads
from ercot_sim.market.tariff import delivery_charges, fee_charges, late_payment_charges
from ercot_sim.output import templates
from ercot_sim.output.emit import _mapping_text, render_body, render_text

CODES = [c for c in mapping.codes() if c not in mapping.RETIRED]
NAMES = {"1039940674000": "ONCOR", "123456789": "LONE STAR POWER", "183529049": "ERCOT"}
TDSP, CR, ERCOT = "1039940674000", "123456789", "183529049"


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_text_renderer_equals_formatted_segments(code: str, data: st.DataObject) -> None:
    fields = data.draw(S.fields_for(code))
    segments = mapping.render(code, fields)
    for delims in (Delimiters(), Delimiters(element="|", component="^", segment="!", suffix="\n")):
        text, n = compile_text_layout(mapping.layout(code), delims.element, delims.terminator)(fields)
        assert n == len(segments)
        assert text == format_segments(segments, delims)


def test_add_text_equals_add() -> None:
    when = dt.datetime(2025, 3, 3, 13, 0)
    a = X12Writer(TDSP, ERCOT, when, ControlNumbers())
    b = X12Writer(TDSP, ERCOT, when, ControlNumbers())
    bodies = [("867", [["BPT", "00", "R1", "20250303", "DD"], ["REF", "Q5", "1"]]), ("814", [["BGN", "11", "R2"]]),
              ("867", [["BPT", "00", "R3", "20250303", "DD"]])]
    for st01, body in bodies:
        ca = a.add(st01, body)
        cb = b.add_text(st01, format_segments(body), len(body))
        assert ca == cb
    assert a.getvalue() == b.getvalue()


PARTIES = {duns: Party(name, duns) for duns, name in NAMES.items()}
DUE, START, END = dt.date(2025, 4, 7), dt.date(2025, 2, 1), dt.date(2025, 3, 3)


def _usage(code: str, sender: str, receiver: str, final: bool, orig: str, kwh: int, esi: str,
           tdsp: bool = True, cr: bool = True) -> Message:
    """A monthly 867_03 or 810_02 as a TDSP builds it (ERCOT passes an 867_03 on as N1*AY)."""
    usage, invoice = usage_payloads(esi, PARTIES[TDSP] if tdsp else None, PARTIES[CR] if cr else None, START, END,
                                    kwh, final, DUE)
    if sender == ERCOT:
        usage = dataclasses.replace(usage, ercot=PARTIES[ERCOT])
    return Message(code, sender, receiver, esi, f"T{esi}0001", orig, 0, usage if code == "867_03" else invoice)


def _template(m: Message) -> tuple[str, int, int]:
    shaped = templates._TEMPLATES[m.code](m, "20250304")
    assert shaped is not None
    return shaped


@settings(max_examples=60, deadline=None)
@given(code=st.sampled_from(["867_03", "810_02"]), from_ercot=st.booleans(), final=st.booleans(),
       orig=st.sampled_from(["", "T104437200000000140001", "C10443720000000014001"]),
       kwh=st.integers(0, 10**6), esi=st.from_regex(r"1044372\d{10}", fullmatch=True))
def test_templates_equal_the_mapping(code: str, from_ercot: bool, final: bool, orig: str, kwh: int, esi: str) -> None:
    sender = ERCOT if from_ercot and code == "867_03" else TDSP
    receiver = CR if sender == ERCOT or code == "810_02" else ERCOT
    m = _usage(code, sender, receiver, final, orig, kwh, esi)
    direct = _template(m)[:2]
    assert direct == _mapping_text(m, "20250304")
    assert render_text(m, "20250304") == direct
    assert direct[0] == format_segments(render_body(m, "20250304"))


def _ack(sts: list[tuple[str, str]], gctl: int) -> Message:
    n = len(sts)
    return Message("997", CR, TDSP, "", "A1", "1", 0,
                   Payload997(functional_id="IN", group_control=gctl, included=n, received=n, accepted=n,
                              transactions=tuple(TransactionAck(a, b) for a, b in sts)))


@settings(max_examples=20, deadline=None)
@given(sts=st.lists(st.tuples(st.sampled_from(["810", "867", "814"]), st.from_regex(r"\d{4}", fullmatch=True)),
                    min_size=1, max_size=30), gctl=st.integers(1, 10**6))
def test_997_template_equals_the_mapping(sts: list[tuple[str, str]], gctl: int) -> None:
    m = _ack(sts, gctl)
    assert _template(m)[:2] == _mapping_text(m, "20250304")


def test_a_997_the_template_does_not_write_is_left_to_the_mapping() -> None:
    m = _ack([("810", "0001")], 7)
    assert isinstance(m.payload, Payload997)
    rejected = dataclasses.replace(m.payload, status="R", accepted=0,
                                   transactions=(TransactionAck("810", "0001", status="R", code1="5"),))
    bad = Message("997", CR, TDSP, "", "A1", "1", 0, rejected)
    assert templates._TEMPLATES["997"](bad, "20250304") is None
    assert "AK5*R*5" in render_text(bad, "20250304")[0]


def test_a_template_that_disagrees_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _usage("867_03", TDSP, ERCOT, False, "", 100, "10443720000000014")
    monkeypatch.setattr(templates, "_CHECKED", {})
    monkeypatch.setitem(templates._TEMPLATES, "867_03", lambda *_a: ("BPT*WRONG~", 1, 0))
    expected = _mapping_text(m, "20250304")
    with pytest.warns(templates.TemplateDrift, match="867_03 template"):
        assert render_text(m, "20250304") == expected  # checked: the mapping's text
    assert render_text(m, "20250304") == expected  # and from then on the mapping
    assert templates.template_stats() == {("867_03", 0): False}


@pytest.mark.parametrize("charges", [fee_charges("MSC001"), fee_charges("MSC002"), late_payment_charges(1234),
                                     delivery_charges(0), delivery_charges(987_654)])
def test_every_invoice_of_the_market_renders_as_the_mapping(charges: tuple[Charge, ...]) -> None:
    """Fee, late-payment and delivery invoices: the template writes each line from the payload."""
    m = _usage("810_02", TDSP, CR, False, "", 500, "10443720000000014")
    assert isinstance(m.payload, Payload810)
    m.payload = dataclasses.replace(m.payload, charges=charges)
    assert _template(m)[:2] == _mapping_text(m, "20250304")


def test_an_invoice_line_the_template_does_not_write_is_left_to_the_mapping() -> None:
    m = _usage("810_02", TDSP, CR, False, "", 500, "10443720000000014")
    assert isinstance(m.payload, Payload810)
    m.payload = dataclasses.replace(m.payload, charges=(Charge("BAS001", 390, Decimal("1.5"), "KH", "HALF"),))
    assert templates._TEMPLATES["810_02"](m, "20250304") is None
    assert "SAC*C**EU*BAS001*390****KH*1.5" in render_text(m, "20250304")[0]


def _remittance(esi: str, amount: int, invoice: str) -> Message:
    return Message("820_02", CR, TDSP, esi, f"P{esi[1:]}", invoice, 0,
                   Payload820(amount=amount, payment_format="CCP", payer=PARTIES[CR], payee=PARTIES[TDSP],
                              items=(RemittanceItem(invoice, amount, amount, esi),)))


@settings(max_examples=60, deadline=None)
@given(amount=st.integers(0, 10**9), orig=st.sampled_from(["T104437200000000140001", "T104437200000000140000"]),
       esi=st.from_regex(r"1044372\d{10}", fullmatch=True))
def test_820_02_template_equals_the_mapping(amount: int, orig: str, esi: str) -> None:
    m = _remittance(esi, amount, orig)
    assert _template(m)[:2] == _mapping_text(m, "20250304")


def test_send_refuses_a_payload_its_code_cannot_carry() -> None:
    import simpy

    from ercot_sim.market.participants.base import Context, MarketTiming, Participant
    from ercot_sim.market.simtime import Clock

    env = simpy.Environment()
    sent: list[Message] = []
    ctx = Context(env=env, clock=Clock(dt.date(2025, 3, 3)), timing=MarketTiming(), send=sent.append, seed=1,
                  names={CR: "ACME"}, duns={}, tdsp_calendar={}, ercot=ERCOT, horizon=10)
    p = Participant(ctx, "ACME", CR)
    ok = Payload814(cr=p.party(CR), requested_date=dt.date(2025, 3, 10), customer=customer_of("10443720000000014"))
    p.send("814_01", ERCOT, "10443720000000014", "C1", "", 0, ok)
    assert sent and sent[0].payload is ok and isinstance(ok.cr, Party) and ok.cr.name == "ACME"
    with pytest.raises(TypeError, match="814_01 without customer"):
        p.send("814_01", ERCOT, "10443720000000014", "C2", "", 0, Payload814(cr=p.party(CR)))
    with pytest.raises(TypeError, match="814_01 does not carry scheduled_date"):
        p.send("814_01", ERCOT, "10443720000000014", "C3", "", 0,
               dataclasses.replace(ok, scheduled_date=dt.date(2025, 3, 11)))
    with pytest.raises(TypeError, match="867_03 cannot carry an 814 payload"):
        p.send("867_03", ERCOT, "10443720000000014", "C4", "", 0, ok)
    with pytest.raises(TypeError, match="unexpected keyword argument 'strat'"):
        Payload814(strat=dt.date(2025, 3, 10))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'order_type'"):
        Payload650()  # type: ignore[call-arg]
    assert len(sent) == 1


@pytest.mark.parametrize("code", ["867_03", "810_02"])
def test_every_template_shape_equals_the_mapping(code: str) -> None:
    """Exhaustive over the shapes a template tells apart (final read, reference answered, which
    N1 parties, ERCOT passing it on): each renders exactly the mapping's text."""
    import itertools

    shapes = set()
    for final, orig, tdsp, cr, from_ercot in itertools.product((False, True), ("", "T104437200000000140001"),
                                                                (True, False), (True, False), (False, True)):
        if from_ercot and code == "810_02":
            continue  # ERCOT sends no invoice
        m = _usage(code, ERCOT if from_ercot else TDSP, CR, final, orig, 1234, "10443720000000014", tdsp, cr)
        body, n, bits = _template(m)
        shapes.add(bits)
        assert (body, n) == _mapping_text(m, "20250304"), (code, bits)
    assert len(shapes) == (32 if code == "867_03" else 8)


def _parts(items: tuple[object, ...], data: dict[str, object]) -> dict[str, object]:
    """``data`` (model fields drawn as dicts) with every part a payload part (named tuple)."""
    from edi.texas_set import payloads
    from edi.texas_set.mapping.spec import Loop

    out = dict(data)
    for it in items:
        if not isinstance(it, Loop) or out.get(it.field) is None:
            continue
        part = getattr(payloads, it.model.__name__)
        if it.many:
            out[it.field] = tuple(part(**_parts(it.body, dict(v))) for v in out[it.field])  # type: ignore[union-attr]
        else:
            out[it.field] = part(**_parts(it.body, dict(out[it.field])))  # type: ignore[call-overload]
    return out


@pytest.mark.parametrize("code", [c for c in CODES if mapping.layout(c).prepare is None])  # not the 810
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_the_payload_renderer_equals_the_field_renderer(code: str, data: st.DataObject) -> None:
    """What the engine renders (a payload's attributes and its header) is the text of the
    mapping's fields, for every code and any valid fields."""
    from edi.texas_set.mapping.render import compile_payload_text_layout
    from edi.texas_set.payloads import HEADER, payload_class

    fields = _parts(mapping.layout(code).items, data.draw(S.fields_for(code)))
    header = {k: v for k, v in fields.items() if k in HEADER[code[:3]]}
    body = {k: v for k, v in fields.items() if k not in HEADER[code[:3]]}
    payload = payload_class(code)(**body)
    expected = compile_text_layout(mapping.layout(code))({**payload.as_fields(), **header})
    assert compile_payload_text_layout(mapping.layout(code), frozenset(HEADER[code[:3]]))(payload, header) == expected
