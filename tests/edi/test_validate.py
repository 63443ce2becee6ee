"""The guide walker: structure, elements, syntax notes and Texas checks, on small guides.

These tests use in-memory guides (tests/edi/guidekit.py) so that each rule of the walker is
pinned down independently of the shipped guide data; tests/edi/test_invalid_samples.py runs
whole files through the real guides.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edi.findings import CODES, Report
from edi.validate import compile_guide, validate, validate_source, validate_transaction
from edi.x12 import iter_transactions
from tests.edi.guidekit import E, G, L, S, codes, guide_814, guide_867

ISA = "ISA*00*          *00*          *01*123456789      *01*183529049      *250303*1015*U*00401*000004711*0*P*>~"
GS = "GS*GE*123456789*183529049*20250303*1015*4711*X*004010~"

CLEAN_814 = [
    "BGN*13*ACME20250303000001*20250303",
    "N1*8S*ONCOR*1*1039940674000",
    "N1*SJ*ACME POWER*1*123456789",
    "N1*8R*JANE DOE",
    "N3*123 MAIN ST",
    "N4*DALLAS*TX*75201",
    "PER*IC**TE*2145551212",
    "LIN*ACME0000001*SH*EL",
    "ASI*7*021",
    "REF*Q5*10443720001234567",
    "REF*11*ACCT-998877",
    "DTM*150*20250310",
]


def x12(body: list[str], st01: str = "814") -> bytes:
    segs = [f"ST*{st01}*0001", *body, f"SE*{len(body) + 2}*0001"]
    return (ISA + GS + "~".join(segs) + "~GE*1*4711~IEA*1*000004711~").encode("latin-1")


def run(body: list[str], guide: G | None = None) -> list[tuple[str, str, str]]:
    """(code, segment label, element) of every finding, envelope findings included."""
    rep = Report()
    for txn in iter_transactions(x12(body), name="t.x12", report=rep):
        rep.extend(validate_transaction(txn, guide or guide_814(), standard=False))
    return [(f.code, f.location.segment, f.location.element) for f in rep.findings]


def replace(body: list[str], old: str, new: str | None) -> list[str]:
    out = []
    for s in body:
        if s.startswith(old):
            if new is not None:
                out.append(new)
        else:
            out.append(s)
    assert out != body or new == old
    return out


def test_clean_transaction_has_no_findings() -> None:
    assert run(CLEAN_814) == []


def test_optional_parts_may_be_left_out() -> None:
    body = [s for s in CLEAN_814 if not s.startswith(("N1*8R", "N3", "N4", "PER", "REF*11", "DTM"))]
    assert run(body) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("DTM*150", "DTM*150*20261301", ("invalid-date", "DTM*150", "DTM02")),
        ("BGN", "BGN*13*X*20250303*2561", ("invalid-time", "BGN*13", "BGN04")),
        ("BGN", "BGN*14*X*20250303", ("invalid-code", "BGN*14", "BGN01")),
        ("BGN", "BGN*13**20250303", ("element-missing", "BGN*13", "BGN02")),
        ("BGN", "BGN*13*" + "X" * 31 + "*20250303", ("element-too-long", "BGN*13", "BGN02")),
        ("N4", "N4*D*TX", ("element-too-short", "N4*D", "N401")),
        ("BGN", "BGN*13*X*20250303**ZZ", ("element-not-used", "BGN*13", "BGN05")),
        ("BGN", "BGN*13*X*20250303*1015**X", ("element-too-many", "BGN*13", "BGN06")),
        ("N1*SJ", "N1*SJ*ACME\x07*1*123456789", ("invalid-character", "N1*SJ", "N102")),
        ("PER", "PER*IC**TE", ("element-conditional-missing", "PER*IC", "PER04")),
        ("REF*Q5", "REF*Q5*1044372000123", ("invalid-esi-id", "REF*Q5", "REF02")),
        ("N1*SJ", "N1*SJ*ACME POWER*1*12345678", ("invalid-duns", "N1*SJ", "N104")),
        ("REF*11", "REF*ZZ*ACCT", ("invalid-code", "REF*ZZ", "REF01")),
        ("REF*11", "NM1*QC*1", ("segment-not-in-guide", "NM1*QC", "")),
        ("REF*11", "QQQ*1", ("segment-unrecognized", "QQQ*1", "")),
        ("REF*11", "N3*456 ELM ST", ("segment-unexpected", "N3", "")),
    ],
)
def test_single_fault_gives_exactly_one_finding(old: str, new: str, expected: tuple[str, str, str]) -> None:
    assert run(replace(CLEAN_814, old, new)) == [expected]


def test_missing_mandatory_segment_is_reported_where_its_absence_shows() -> None:
    found = run(replace(CLEAN_814, "ASI", None))
    assert found == [("segment-missing", "REF*Q5", "")]


def test_missing_mandatory_loop_and_missing_at_end() -> None:
    body = replace(CLEAN_814, "N1*SJ", None)
    body = [s for s in body if not s.startswith(("LIN", "ASI", "REF", "DTM"))]
    found = run(body)
    assert ("segment-missing", "N1*8R", "") in found  # N1_CR, seen missing at the next segment
    assert ("segment-missing", "SE", "") in found  # LIN loop, seen missing at SE
    assert len(found) == 2


def test_out_of_order_and_repeats() -> None:
    body = list(CLEAN_814)
    body.insert(body.index("REF*Q5*10443720001234567") + 1, "ASI*7*021")
    body.append("DTM*150*20250311")
    found = run(body)
    assert ("segment-out-of-order", "ASI*7", "") in found
    assert ("segment-repeat-exceeded", "DTM*150", "") in found


def test_loop_repeat_exceeded() -> None:
    body = CLEAN_814 + ["LIN*2*SH*EL", "ASI*7*021", "REF*Q5*10443720001234567"]
    assert run(body) == [("loop-repeat-exceeded", "LIN*2", "")]


def test_every_finding_is_collected_not_just_the_first() -> None:
    body = replace(CLEAN_814, "BGN", "BGN*99*X*20251399*9999")
    body = replace(body, "REF*Q5", "REF*Q5*12")
    found = [c for c, _, _ in run(body)]
    assert found == ["invalid-code", "invalid-date", "invalid-time", "invalid-esi-id"]


def test_message_reads_location_first_with_ack_code() -> None:
    rep = Report()
    for txn in iter_transactions(x12(replace(CLEAN_814, "DTM*150", "DTM*150*20261301")), name="814_01.x12", report=rep):
        rep.extend(validate_transaction(txn, guide_814()))
    (f,) = rep.findings
    # no date at all breaks the X12 standard itself (DT), not only the guide
    assert str(f) == ("814_01.x12 segment 15 (DTM*150) DTM02: date 20261301 is not a valid CCYYMMDD "
                      "[invalid-date, AK4=8, X12 004010]")
    assert f.value == "20261301" and f.guide is None and f.location.st_control == "0001"  # the standard's
    assert f.loop == "LIN"


def test_assumed_guide_items_are_reported_as_assumed() -> None:
    g = G("TEST", (S("BGN", None, "Beginning", "M", 1,
                     (E(1, "BGN01", "Purpose", "M", "ID", 2, 2, codes("13"), confirmed=False),)),))
    rep = Report()
    for txn in iter_transactions(x12(["BGN*99"]), name="t.x12", report=rep):
        rep.extend(validate_transaction(txn, g, standard=False))
    (f,) = rep.findings
    assert not f.confirmed and "(assumed rule)" in str(f)


def test_not_used_segment_and_syntax_notes() -> None:
    g = G("TEST", (
        S("BGN", None, "Beginning", "M", 1,
          (E(1, "BGN01", "A", "O", "AN", 1, 5), E(2, "BGN02", "B", "O", "AN", 1, 5),
           E(3, "BGN03", "C", "O", "AN", 1, 5)),
          (_c("R", (1, 2)), _c("E", (2, 3)), _c("C", (1, 3)), _c("L", (3, 1, 2)))),
        S("NTE", None, "Note", "N", 1, (E(1, "NTE01", "Text", "M", "AN", 1, 80),)),
    ))

    def codes_for(body: list[str]) -> list[tuple[str, str]]:
        rep = Report()
        for txn in iter_transactions(x12(body), name="t.x12", report=rep):
            rep.extend(validate_transaction(txn, g, standard=False))
        return [(f.code, f.location.element) for f in rep.findings]

    assert codes_for(["BGN**X"]) == []
    assert codes_for(["BGN"]) == [("element-conditional-missing", "BGN01")]  # R
    assert codes_for(["BGN**X*Y"]) == [("element-exclusion", "BGN03")]  # E
    assert codes_for(["BGN*A"]) == [("element-conditional-missing", "BGN03")]  # C
    assert codes_for(["BGN*A**Y"]) == []  # C satisfied, L satisfied by BGN01
    assert codes_for(["BGN**X", "NTE*HI"]) == [("segment-not-used", "")]


def _c(kind: str, positions: tuple[int, ...]):
    from tests.edi.guidekit import Cond

    return Cond(kind, positions)


def test_repeating_loops_with_qualified_segments() -> None:
    body = [
        "BPT*00*REF1*20250407*DD", "REF*Q5*10443720001234567",
        "N1*8S*ONCOR*1*1039940674000", "N1*SJ*ACME*1*123456789", "N1*AY*ERCOT*1*183529049**41",
        "PTD*SU", "DTM*150*20250306", "DTM*151*20250404", "QTY*QD*1287*KH",
        "PTD*PL***MG*104137265LG", "DTM*150*20250306", "DTM*151*20250404", "MEA*AA*PRQ*1287*KH*45210*46497*51",
        "REF*MT*KHMON", "QTY*QD*1287*KH",
    ]
    assert run(body, guide_867()) == []
    broken = [s for s in body if s != "DTM*151*20250404"]
    found = run(broken, guide_867())
    # each PTD loop lacks its DTM*151; the absence shows at the next segment of the loop
    assert found == [("segment-missing", "QTY*QD", ""), ("segment-missing", "MEA*AA", "")]
    too_many = body[:2] + ["N1*X1*A"] * 4 + body[5:]
    found = run(too_many, guide_867())
    assert ("loop-repeat-exceeded", "N1*X1", "") in found


def test_compile_refuses_unknown_data_type() -> None:
    from edi.errors import GuideError

    with pytest.raises(GuideError):
        compile_guide(G("BAD", (S("BGN", None, "B", "M", 1, (E(1, "BGN01", "A", "M", "XX", 1, 2),)),)))


def test_every_code_the_walker_emits_is_in_codes() -> None:
    import inspect

    from edi.validate import walker

    src = inspect.getsource(walker)
    import re

    emitted = set(re.findall(r'"((?:segment|element|invalid|loop)-[a-z-]+)"', src))
    assert emitted and emitted <= set(CODES)


# invalid samples beside their expected findings =================================================

INVALID = Path(__file__).parent / "invalid"
SAMPLE_FILES = sorted(INVALID.glob("*.x12"))


def sample_findings(path: Path) -> list[str]:
    """The finding lines of one sample, as ``validate`` reports them (file named by its base name)."""
    return [str(f) for f in validate_source(path, name=path.name)]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.stem for p in SAMPLE_FILES])
def test_invalid_sample(path: Path) -> None:
    expected_file = path.with_suffix(".findings.txt")
    expected = [line for line in expected_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sample_findings(path) == expected


def test_samples_cover_the_required_cases() -> None:
    assert len(SAMPLE_FILES) >= 13
    codes = set()
    for path in SAMPLE_FILES:
        codes |= {f.code for f in validate_source(path, name=path.name)}
    assert {
        "invalid-date", "segment-missing", "invalid-code", "element-too-long", "se-count-mismatch",
        "st-se-control-mismatch", "st-duplicate-control", "ge-count-mismatch", "isa-iea-control-mismatch",
        "truncated", "segment-out-of-order", "unknown-transaction", "invalid-esi-id",
    } <= codes
    assert sample_findings(INVALID / "ok-switch-request.x12") == []


if __name__ == "__main__":  # pragma: no cover - regenerate the expected findings on purpose
    for p in SAMPLE_FILES:
        p.with_suffix(".findings.txt").write_text("".join(line + "\n" for line in sample_findings(p)), encoding="utf-8")
        print(p.with_suffix(".findings.txt"))


# the generated fast path agrees with the detailed checks ========================================


def _all_segment_specs() -> list:
    from edi.texas_set.guide import guide_codes
    from edi.validate import compiled
    from edi.validate.compiled import CompiledLoop

    out = []

    def walk(loop: CompiledLoop) -> None:
        for child in loop.children:
            if isinstance(child, CompiledLoop):
                walk(child)
            else:
                out.append(child)

    for code in guide_codes():
        walk(compiled(code).body)
    for g in (guide_814(), guide_867()):
        walk(compile_guide(g).body)
    return out


SPECS = _all_segment_specs()
_VALUES = st.one_of(
    st.just(""),
    st.sampled_from(["Q5", "8S", "SJ", "1", "9", "13", "11", "7", "021", "KH", "QD", "CE", "SH", "EL", "MG", "150",
                     "151"]),
    st.sampled_from(["20250306", "20251399", "1015", "2561", "123456789", "1039940674000", "12345678X",
                     "10443720001234567", "-12.5", "1.2.3"]),
    st.text(alphabet="ABC019 .-\x07é", max_size=25),
)


@given(st.sampled_from(SPECS), st.data())
def test_fast_path_agrees_with_detailed_checks(spec, data) -> None:  # type: ignore[no-untyped-def]
    from edi.validate.walker import check_elements

    n = data.draw(st.integers(0, spec.max_pos + 2))
    els = [spec.id] + [data.draw(_VALUES) for _ in range(n)]
    if spec.qualifier and n and data.draw(st.booleans()):
        els[1] = spec.qualifier
    problems = check_elements(els, spec, "T")
    assert spec.ok(els) == (problems is None), (els, problems)


def test_not_used_loop_is_reported_once() -> None:
    nte = S("NTE", None, "Note", "N", 1, (E(1, "NTE01", "Text", "M", "AN", 1, 80),))
    g = G("TEST", (S("BGN", None, "Beginning", "M", 1, (E(1, "BGN01", "A", "M", "AN", 1, 5),)),
                   L("NTE", "Notes", "N", 1, (nte,))))
    rep = Report()
    for txn in iter_transactions(x12(["BGN*A", "NTE*HI"]), name="t.x12", report=rep):
        rep.extend(validate_transaction(txn, g, standard=False))
    assert [(f.code, f.location.segment) for f in rep] == [("segment-not-used", "NTE*HI")]
    assert "loop NTE (Notes) is marked not used" in rep.findings[0].message


def test_a_sink_gets_every_finding_in_file_order_and_the_report_keeps_none() -> None:
    files = sorted(INVALID.glob("*.x12"))
    got: list = []  # type: ignore[type-arg]
    streamed = validate(*files, sink=got.append)
    kept = validate(*files)
    assert streamed.findings == [] and got and len(streamed) == len(kept) == len(got)
    assert sorted(map(str, got)) == sorted(map(str, kept.findings))  # the same findings
    # in file order, except what only the end of a file shows (a missing IEA, found last)
    late = {"iea-missing", "ge-missing", "truncated"}
    assert [str(f) for f in got if f.code not in late] == [str(f) for f in kept.findings if f.code not in late]
    assert (streamed.ok, streamed.by_code(), streamed.by_layer(), streamed.summary_line()) == (
        kept.ok, kept.by_code(), kept.by_layer(), kept.summary_line())
