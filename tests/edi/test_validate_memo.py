"""The validator's memos give exactly the answers of the full computation.

Identification is memoized per signature (:mod:`edi.texas_set.catalog`) and the guide walk
per layout (:mod:`edi.validate.walker`); both must be invisible: same findings, same
identification, bounded memory.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from edi import ControlNumbers, X12Writer, iter_transactions
from edi.texas_set import catalog
from edi.texas_set.catalog import identify_segments
from edi.validate import compiled, validate

HERE = Path(__file__).resolve().parent
GOLDEN = sorted((HERE / "golden").rglob("*.x12"))
TDSP, ERCOT = "1039940674000", "183529049"


class _NoStore(dict):
    """A memo that never remembers: every call takes the full path."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


def _867_body() -> list[list[str]]:
    txn = next(iter_transactions(HERE / "golden" / "867_03" / "monthly.x12"))
    return [list(s) for s in txn.raw_body]


def _variants(body: list[list[str]]) -> list[list[list[str]]]:
    bad_date = [list(s) for s in body]
    bad_date[5][2] = "20251301"  # DTM*150 of the summary: an element finding, same layout
    missing = [s for s in body if s[0] != "MEA"]  # a mandatory segment missing: structural
    extra = [*body[:3], ["ZZZ", "1"], *body[3:]]  # an unknown segment: structural
    bad_qty = [list(s) for s in body]
    bad_qty[7][2] = "12X"
    return [body, bad_date, missing, extra, bad_qty]


def _file(bodies: list[list[list[str]]]) -> bytes:
    w = X12Writer(TDSP, ERCOT, datetime(2025, 4, 7, 2, 15), ControlNumbers())
    for b in bodies:
        w.add("867", b)
    return w.getvalue().encode("latin-1")


def _findings(data: bytes) -> list[tuple[object, ...]]:
    rep = validate(data)
    return [(f.code, f.location, f.message, f.value) for f in rep.findings]


def test_layout_plan_gives_the_findings_of_the_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    variants = _variants(_867_body())
    data = _file([variants[i % len(variants)] for i in range(40)])
    cg = compiled("867_03")
    cg.plans.clear()
    with_plans = _findings(data)
    assert cg.plans, "a clean layout is remembered"
    monkeypatch.setattr(cg, "plans", _NoStore())
    assert _findings(data) == with_plans
    codes = {f[0] for f in with_plans}
    assert {"invalid-date", "invalid-numeric", "segment-missing", "segment-unrecognized"} <= codes


def _all_transactions() -> list[object]:
    out = []
    for path in GOLDEN:
        out.extend(iter_transactions(path))
    return out


def _mutate(rng: random.Random, body: list[list[str]]) -> list[list[str]]:
    body = [list(s) for s in body]
    for _ in range(rng.randint(1, 3)):
        if not body:
            break
        i = rng.randrange(len(body))
        op = rng.random()
        if op < 0.25:
            del body[i]
        elif op < 0.5:
            body.insert(i, list(body[rng.randrange(len(body))]))
        elif len(body[i]) > 1:
            j = rng.randrange(1, len(body[i]))
            body[i][j] = rng.choice(["", "13", "WQ", "U", "TS", "8S", "SJ", "G7", "097", "F", "01", "MVI", TDSP])
            if rng.random() < 0.3:
                del body[i][j:]
    return body


def test_identification_memo_is_exact() -> None:
    rng = random.Random(7)
    cases = []
    for t in _all_transactions():
        for body in (t.raw_body, _mutate(rng, t.raw_body)):
            for roles in (None, {TDSP: "TDSP"}):
                cases.append((t.st01, body, t.sender, t.receiver, roles))
                cases.append((t.st01, body, t.receiver, t.sender, roles))
    assert len(cases) > 100
    fresh = []
    for c in cases:
        catalog._memo.clear()
        fresh.append(identify_segments(*c))
    rng.shuffle(order := list(range(len(cases))))
    for i in order:  # warm memo, shuffled: every answer equals the one computed fresh
        assert identify_segments(*cases[i]) == fresh[i], cases[i]


def test_identification_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_MEMO_MAX", 8)
    catalog._memo.clear()
    body = _867_body()
    for i in range(50):
        b = [list(s) for s in body]
        b[0][1] = f"{i:02d}"  # BPT01 is read: a new signature each time
        identify_segments("867", b, TDSP, ERCOT)
        assert len(catalog._memo) <= 8


def _interchange(isa13: str) -> bytes:
    w = X12Writer(TDSP, ERCOT, datetime(2025, 4, 7, 2, 15), ControlNumbers())
    w.add("867", _867_body())
    text = w.getvalue()
    old = text.split("*")[13]
    return text.replace(old, isa13).encode("latin-1")


def test_duplicate_isa13_is_found_with_compact_keys() -> None:
    from edi.findings import Report

    def dup_findings(*controls: str) -> list[str]:
        rep = Report()
        list(iter_transactions(b"".join(_interchange(c) for c in controls), report=rep))
        return [f.message for f in rep.findings if f.code == "isa-duplicate-control"]

    assert dup_findings("000000001", "000000002", "000000003") == []
    assert dup_findings("000000001", "000000002", "000000001") == [
        "interchange control number 000000001 repeats in this file"]
    # not 9 ASCII digits (a Latin-1 superscript two): an invalid control number, never converted
    rep = Report()
    list(iter_transactions(_interchange("00000001\u00b2"), report=rep))
    assert [f.code for f in rep.findings] == ["isa-invalid-control-number"]
