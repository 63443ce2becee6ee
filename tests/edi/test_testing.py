"""``edi.testing`` used as a harness user uses it: valid draws of every code validate clean and
are identified as their code; every mutation produces exactly its finding, where it says."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi
from edi.testing import (
    MUTATIONS,
    DrawnTransaction,
    InvalidTransaction,
    element_values,
    invalid_transactions,
    texas_set_codes,
    transactions,
)
from edi.testing.guided import walk_slots
from edi.texas_set.catalog import identify
from edi.texas_set.guide import guide_codes, load_guide
from edi.validate import compiled
from edi.x12 import TransactionSet

CODES = guide_codes()


def _clean(drawn: DrawnTransaction) -> None:
    for roles in (None, drawn.roles):
        report = edi.validate(drawn.to_bytes(), roles=roles, records=True)
        assert [str(f) for f in report] == [], drawn.to_x12()
        (record,) = report.records or []
        assert record.code == drawn.code, record.reason
        assert (record.sender_role, record.receiver_role) == (drawn.sender_role, drawn.receiver_role) or roles is None


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_valid_draws_of_every_code_validate_clean(code: str, data: st.DataObject) -> None:
    _clean(data.draw(transactions(code)))


@settings(max_examples=60, deadline=None)
@given(transactions())
def test_valid_draws_of_any_code_validate_clean(drawn: DrawnTransaction) -> None:
    _clean(drawn)


@settings(max_examples=40, deadline=None)
@given(transactions())
def test_the_draw_follows_the_validators_walk(drawn: DrawnTransaction) -> None:
    """The strategy's idea of where each segment sits is the validator's: the layout plan the
    validator remembers for a clean walk names the same guide segment at every position."""
    txn = drawn.transaction()
    assert edi.validate_transaction(txn, drawn.code) == []
    cg = compiled(drawn.code)
    layout = tuple(els[0] if els[0] not in cg.qualified else (els[0], els[1] if len(els) > 1 else "")
                   for els in txn.raw_body)
    walked = walk_slots(load_guide(drawn.code), drawn.body)
    assert walked is not None
    assert [spec.label for spec, _loop in cg.plans[layout]] == [s.label() for s in walked[1]]
    assert [slot for slot in walked[0]] == list(drawn.slots)


def test_draws_cover_optional_content_and_repeats() -> None:
    """Not only the minimal body: optional segments and repeated loops are drawn too."""
    guide = load_guide("867_03")
    mandatory = {s.label() for _, s in guide.segments() if s.usage == "M"}
    seen: Counter[str] = Counter()
    lengths: set[int] = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(transactions("867_03"))
    def collect(drawn: DrawnTransaction) -> None:
        lengths.add(len(drawn.body))
        for els in drawn.body:
            spec = guide.find_segment(els[0], els[1] if len(els) > 1 else "")
            assert spec is not None
            seen[spec.label()] += 1

    collect()
    assert set(seen) - mandatory, "no optional segment was ever drawn"
    assert len(lengths) > 3
    assert max(seen.values()) > 60  # some loop repeats within a draw


def test_drawn_transaction_writes_itself() -> None:
    @settings(max_examples=5, deadline=None, database=None)
    @given(transactions("814_05"))
    def check(drawn: DrawnTransaction) -> None:
        segs = drawn.segments("0042")
        assert segs[0] == ["ST", "814", "0042"] and segs[-1] == ["SE", str(len(drawn.body) + 2), "0042"]
        txn = drawn.transaction()
        assert isinstance(txn, TransactionSet) and [list(s) for s in drawn.body] == txn.raw_body
        assert txn.gs.get(1) == "GE" and txn.sender == drawn.sender and txn.receiver == drawn.receiver
        assert identify(txn).code == "814_05"
        assert drawn.roles == {drawn.sender: drawn.sender_role, drawn.receiver: drawn.receiver_role}

    check()


@settings(max_examples=30, deadline=None)
@given(texas_set_codes(include_retired=False))
def test_texas_set_codes_leave_out_retired_ones_when_asked(code: str) -> None:
    assert code in CODES and not load_guide(code).retired


def test_element_values_follow_the_guide_element() -> None:
    spec = load_guide("814_01").find_segment("DTM", "150")
    assert spec is not None
    date = spec.by_pos[2]

    @settings(max_examples=30, deadline=None, database=None)
    @given(element_values(date), element_values(spec.by_pos[1]))
    def check(value: str, qualifier: str) -> None:
        assert len(value) == 8 and value.isdigit() and qualifier in (spec.by_pos[1].codes or ())

    check()


# invalid transactions ---------------------------------------------------------------------


def _exactly(bad: InvalidTransaction) -> None:
    for roles in (None, bad.valid.roles):
        report = edi.validate(bad.to_bytes(), roles=roles)
        assert {f.code for f in report} == bad.expected, f"{bad.mutation}: {bad.change}\n{report.to_text()}"
        if bad.segment is not None:
            assert {f.location.segment_number for f in report} == {bad.segment}, bad.change
        if bad.element:
            assert {f.location.element for f in report} == {bad.element}, bad.change


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_each_mutation_produces_exactly_its_finding(mutation: str, data: st.DataObject) -> None:
    bad = data.draw(invalid_transactions(mutation=mutation))
    assert bad.mutation == mutation and bad.expected == {MUTATIONS[mutation].finding}
    _exactly(bad)


@settings(max_examples=60, deadline=None)
@given(invalid_transactions())
def test_any_mutation_of_any_code(bad: InvalidTransaction) -> None:
    _exactly(bad)
    assert edi.validate(bad.valid.to_bytes()).ok


@pytest.mark.parametrize("code", ["814_01", "867_03", "810_02", "997"])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_mutations_of_one_code(code: str, data: st.DataObject) -> None:
    bad = data.draw(invalid_transactions(code))
    assert bad.code == code
    _exactly(bad)


def test_mutation_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown mutation no-such"):
        invalid_transactions(mutation="no-such")
    with pytest.raises(ValueError, match="cannot apply"):
        invalid_transactions("997", mutation="bad-esi-id")  # the 997 has no REF*Q5


@settings(max_examples=10, deadline=None)
@given(invalid_transactions("814_01", mutation=["bad-date", "bad-code"]))
def test_several_mutations_named(bad: InvalidTransaction) -> None:
    assert bad.mutation in ("bad-date", "bad-code") and bad.code == "814_01"
    _exactly(bad)
