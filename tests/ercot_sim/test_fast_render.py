"""The engine's text fast path gives exactly the bytes of the validated-model path.

* the mapping's text renderer (``compile_text_layout``) equals its segments formatted;
* ``X12Writer.add_text`` equals ``X12Writer.add``;
* the hot-path templates (867_03, 810_02, 997) equal the mapping for every shape, and a
  template that disagrees is dropped for its shape (the mapping's text is written).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi import testing as S
from edi.texas_set import mapping
from edi.texas_set.mapping.render import compile_text_layout
from edi.x12 import ControlNumbers, X12Writer, format_segments
from edi.x12.delimiters import Delimiters
from ercot_sim.market.messages import Message
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


def _usage(code: str, sender: str, receiver: str, final: bool, orig: str, kwh: int, esi: str) -> Message:
    fields: dict[str, object] = {"tdsp": TDSP, "cr": CR, "start": "20250201", "end": "20250303", "kwh": kwh,
                                 "final": final}
    if code == "810_02":
        fields.update(due="20250407", usage_ref=orig)
    return Message(code, sender, receiver, esi, f"T{esi}0001", orig, 0, fields)


@settings(max_examples=60, deadline=None)
@given(code=st.sampled_from(["867_03", "810_02"]), from_ercot=st.booleans(), final=st.booleans(),
       orig=st.sampled_from(["", "T104437200000000140001", "C10443720000000014001"]),
       kwh=st.integers(0, 10**6), esi=st.from_regex(r"1044372\d{10}", fullmatch=True))
def test_templates_equal_the_mapping(code: str, from_ercot: bool, final: bool, orig: str, kwh: int, esi: str) -> None:
    sender = ERCOT if from_ercot and code == "867_03" else TDSP
    receiver = CR if sender == ERCOT or code == "810_02" else ERCOT
    m = _usage(code, sender, receiver, final, orig, kwh, esi)
    *direct, bits = templates._TEMPLATES[code](m, NAMES, "20250304")
    direct = tuple(direct)
    assert (code, bits) == templates._shape(m)
    assert direct == _mapping_text(m, NAMES, "20250304")
    assert render_text(m, NAMES, "20250304") == direct
    assert direct[0] == format_segments(render_body(m, NAMES, "20250304"))


@settings(max_examples=20, deadline=None)
@given(sts=st.lists(st.tuples(st.sampled_from(["810", "867", "814"]), st.from_regex(r"\d{4}", fullmatch=True)),
                    min_size=1, max_size=30), gctl=st.integers(1, 10**6))
def test_997_template_equals_the_mapping(sts: list[tuple[str, str]], gctl: int) -> None:
    m = Message("997", CR, TDSP, "", "A1", "1", 0, {"group": ("IN", str(gctl), sts)})
    assert templates._TEMPLATES["997"](m, NAMES, "20250304")[:2] == _mapping_text(m, NAMES, "20250304")


def test_a_template_that_disagrees_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _usage("867_03", TDSP, ERCOT, False, "", 100, "10443720000000014")
    monkeypatch.setattr(templates, "_CHECKED", {})
    monkeypatch.setitem(templates._TEMPLATES, "867_03", lambda *_a: ("BPT*WRONG~", 1, 0))
    expected = _mapping_text(m, NAMES, "20250304")
    with pytest.warns(templates.TemplateDrift, match="867_03 template"):
        assert render_text(m, NAMES, "20250304") == expected  # checked: the mapping's text
    assert render_text(m, NAMES, "20250304") == expected  # and from then on the mapping
    assert templates.template_stats() == {("867_03", 0): False}


def test_late_payment_invoice_is_its_own_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "_CHECKED", {})
    usage = _usage("810_02", TDSP, CR, False, "T104437200000000140001", 500, "10443720000000014")
    late = _usage("810_02", TDSP, CR, False, "T104437200000000140001", 500, "10443720000000014")
    late.fields["late_fee"] = 1234
    ref = _mapping_text(late, NAMES, "20250304")
    assert "LATE PAYMENT CHARGE" in ref[0]
    assert templates._TEMPLATES["810_02"](late, NAMES, "20250304") is None  # the template declines it
    assert templates.template_text(late, NAMES, "20250304", _mapping_text) is None
    assert render_text(late, NAMES, "20250304") == ref  # the mapping renders it
    assert templates._TEMPLATES["810_02"](usage, NAMES, "20250304") is not None
    assert templates.template_stats() == {}  # nothing was checked, nothing drifted


@settings(max_examples=60, deadline=None)
@given(amount=st.integers(0, 10**9), orig=st.sampled_from(["", "T104437200000000140001", "T104437200000000140000"]),
       esi=st.from_regex(r"1044372\d{10}", fullmatch=True), parties=st.sampled_from([(CR, TDSP), (CR, ""), ("", TDSP)]))
def test_820_02_template_equals_the_mapping(amount: int, orig: str, esi: str, parties: tuple[str, str]) -> None:
    cr, tdsp = parties
    m = Message("820_02", CR, TDSP, esi, f"P{esi[1:]}", orig, 0,
                {k: v for k, v in (("cr", cr), ("tdsp", tdsp)) if v} | {"amount": amount, "inv_sent": -1})
    *direct, bits = templates._TEMPLATES["820_02"](m, NAMES, "20250304")
    assert ("820_02", bits) == templates._shape(m)
    assert tuple(direct) == _mapping_text(m, NAMES, "20250304")


def test_send_refuses_a_field_no_message_has() -> None:
    import simpy

    from ercot_sim.market.participants.base import Context, MarketTiming, Participant
    from ercot_sim.market.simtime import Clock

    env = simpy.Environment()
    sent: list[Message] = []
    ctx = Context(env=env, clock=Clock(dt.date(2025, 3, 3)), timing=MarketTiming(), send=sent.append, seed=1,
                  names={}, duns={}, tdsp_calendar={}, ercot=ERCOT, horizon=10)
    p = Participant(ctx, "ACME", CR)
    p.send("814_01", ERCOT, "10443720000000014", "C1", "", 0, start="20250310", cr=CR)
    assert sent and sent[0].fields == {"start": "20250310", "cr": CR}
    with pytest.raises(TypeError, match="814_01 with a field no message has: strat"):
        p.send("814_01", ERCOT, "10443720000000014", "C2", "", 0, strat="20250310")  # type: ignore[call-arg]
    assert len(sent) == 1


@pytest.mark.parametrize("code", ["867_03", "810_02"])
def test_every_template_shape_equals_the_mapping(code: str) -> None:
    """Exhaustive over the shapes a template tells apart (final read, reference answered, which
    N1 parties, ERCOT as sender): each renders exactly the mapping's text."""
    import itertools

    shapes = set()
    for final, orig, tdsp, cr, from_ercot in itertools.product((False, True), ("", "T104437200000000140001"),
                                                                (True, False), (True, False), (False, True)):
        if from_ercot and code == "810_02":
            continue  # ERCOT sends no invoice
        m = _usage(code, ERCOT if from_ercot else TDSP, CR, final, orig, 1234, "10443720000000014")
        if not tdsp:
            del m.fields["tdsp"]
        if not cr:
            del m.fields["cr"]
        shaped = templates._TEMPLATES[code](m, NAMES, "20250304")
        assert shaped is not None
        body, n, bits = shaped
        shapes.add(bits)
        assert (body, n) == _mapping_text(m, NAMES, "20250304"), (code, bits)
    assert len(shapes) == (32 if code == "867_03" else 16)


def test_every_820_02_shape_equals_the_mapping() -> None:
    import itertools

    shapes = set()
    for orig, cr, tdsp, esi in itertools.product(("", "T104437200000000140001"), (CR, ""), (TDSP, ""),
                                                 ("10443720000000014", "")):
        m = Message("820_02", CR, TDSP, esi, "P1", orig, 0,
                    {k: v for k, v in (("cr", cr), ("tdsp", tdsp)) if v} | {"amount": 12345, "inv_sent": -1})
        shaped = templates._TEMPLATES["820_02"](m, NAMES, "20250304")
        assert shaped is not None
        shapes.add(shaped[2])
        assert shaped[:2] == _mapping_text(m, NAMES, "20250304"), shaped[2]
    assert len(shapes) == 16
