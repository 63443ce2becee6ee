"""X12 data type checks: the conformance table in cases/datatypes.json, plus properties."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edi.datatypes import check, checker, is_valid_date, is_valid_time, value_length
from edi.findings import CODES

CASES = json.loads((Path(__file__).parent / "cases" / "datatypes.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['type']}-{c['value']!r}-{c['min']}/{c['max']}" for c in CASES]
)
def test_conformance(case: dict) -> None:
    problem = check(case["type"], case["value"], case["min"], case["max"])
    got = problem[0] if problem else None
    assert got == case["expect"], problem
    if problem:
        assert problem[0] in CODES
        assert problem[1]  # a message that says what is wrong


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_every_real_date_is_valid(d: date) -> None:
    assert is_valid_date(d.strftime("%Y%m%d"))
    assert check("DT", d.strftime("%Y%m%d"), 8, 8) is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.integers(1, 40))
def test_day_past_month_end_is_invalid(d: date, extra: int) -> None:
    month_end = (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    day = month_end.day + extra
    assert not is_valid_date(f"{d.year:04d}{d.month:02d}{day:02d}"[:8] if day < 100 else "x")


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_every_clock_time_is_valid(h: int, m: int, s: int) -> None:
    assert is_valid_time(f"{h:02d}{m:02d}")
    assert is_valid_time(f"{h:02d}{m:02d}{s:02d}")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9))
def test_decimal_strings_are_r(d) -> None:
    text = format(d, "f")
    assert check("R", text, 1, 20) is None
    assert value_length("R", text) == sum(c.isdigit() for c in text)


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError):
        checker("XX", 1, 2)
