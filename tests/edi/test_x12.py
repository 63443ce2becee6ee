"""The X12 layer: delimiters, located segments, envelope checks, writer, exact round trips."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edi import (
    DEFAULT_DELIMITERS,
    ControlNumbers,
    Delimiters,
    EdiError,
    Report,
    X12Reader,
    X12Writer,
    format_segments,
    iter_transactions,
)
from edi.errors import X12SyntaxError
from edi.x12 import read_interchanges

WHEN = datetime(2025, 3, 3, 10, 15)


def _interchange(delims: Delimiters = DEFAULT_DELIMITERS, n814: int = 2, n867: int = 1) -> str:
    w = X12Writer("123456789", "183529049", WHEN, ControlNumbers(start=4711), delimiters=delims)
    for i in range(n814):
        w.add("814", [["BGN", "13", f"ACME{i:04d}", "20250303"], ["REF", "Q5", "10443720001234567"]])
    for i in range(n867):
        w.add("867", [["BPT", "00", f"USG{i}", "20250303", "DD"], ["REF", "Q5", "10443720001234567"]])
    return w.getvalue()


def _findings(text: str | bytes, name: str = "t.x12") -> tuple[list, Report]:
    rep = Report()
    data = text.encode("latin-1") if isinstance(text, str) else text
    txns = list(iter_transactions(data, name=name, report=rep))
    return txns, rep


def test_writer_envelopes_are_counted_and_grouped_by_functional_id() -> None:
    text = _interchange()
    segs = text.split("~")[:-1]
    assert segs[0].startswith("ISA*00*          *00*          *01*123456789      *01*183529049      "
                              "*250303*1015*U*00401*000004711*0*P*>")
    assert len(segs[0]) == 105  # plus the terminator: 106
    ids = [s.split("*")[0] for s in segs]
    assert ids == ["ISA", "GS", "ST", "BGN", "REF", "SE", "ST", "BGN", "REF", "SE", "GE", "GS", "ST", "BPT", "REF",
                   "SE", "GE", "IEA"]
    assert segs[1] == "GS*GE*123456789*183529049*20250303*1015*4711*X*004010"
    assert segs[10] == "GE*2*4711"
    assert segs[11].startswith("GS*PT*")
    assert segs[-1] == "IEA*2*000004711"
    txns, rep = _findings(text)
    assert rep.findings == []
    assert [t.st01 for t in txns] == ["814", "814", "867"]
    assert [t.functional_id for t in txns] == ["GE", "GE", "PT"]


def test_duns_plus_four_is_written_as_the_market_does_with_padding() -> None:
    w = X12Writer("1039940674000", "183529049", WHEN, ControlNumbers())
    w.add("867", [["BPT", "00", "X", "20250303", "DD"]])
    isa = w.getvalue().split("~")[0].split("*")
    assert isa[5] == "01" and isa[6] == "1039940674000  "
    w = X12Writer("1039940674000", "183529049", WHEN, ControlNumbers(), qualifier="14")
    assert w.getvalue().split("*")[5] == "14"


def test_control_numbers_are_deterministic_counters() -> None:
    cn = ControlNumbers()
    a = X12Writer("123456789", "183529049", WHEN, cn)
    b = X12Writer("123456789", "183529049", WHEN, cn)
    assert (a.isa_control, b.isa_control) == ("000000001", "000000002")
    assert _interchange() == _interchange()


@pytest.mark.parametrize("suffix", ["", "\n", "\r\n"])
@pytest.mark.parametrize("sep,comp,term", [("*", ">", "~"), ("|", "^", "\x1c"), ("+", ":", "'")])
def test_read_then_write_gives_the_same_bytes(suffix: str, sep: str, comp: str, term: str) -> None:
    text = _interchange(Delimiters(sep, comp, term, suffix))
    ics = read_interchanges(text.encode("latin-1"))
    assert ics[0].delimiters == Delimiters(sep, comp, term, suffix)
    assert format_segments([s for ic in ics for s in ic.segments()], ics[0].delimiters) == text


def test_segments_know_number_and_byte_offset() -> None:
    text = _interchange(Delimiters(suffix="\r\n"))
    data = text.encode()
    segs = list(X12Reader(data, name="f.x12").segments())
    assert [s.number for s in segs] == list(range(1, len(segs) + 1))
    for s in segs:
        assert data[s.offset : s.offset + len(s.id)].decode() == s.id
        assert data[s.offset:].decode().startswith(s.to_x12())


def test_small_chunks_give_the_same_segments() -> None:
    data = (_interchange(n814=50) * 3).encode()
    big = [(s.elements, s.number, s.offset) for s in X12Reader(data).segments()]
    small = [(s.elements, s.number, s.offset) for s in X12Reader(data, chunk_size=7).segments()]
    assert big == small


def test_several_interchanges_in_one_file() -> None:
    one = _interchange()
    w = X12Writer("183529049", "123456789", WHEN, ControlNumbers(start=9))
    w.add("814", [["BGN", "11", "E1", "20250303"]])
    txns, rep = _findings(one + w.getvalue())
    assert rep.interchanges == 2 and rep.groups == 3 and len(txns) == 4
    assert rep.findings == []
    assert txns[-1].sender == "183529049"


def _codes(rep: Report) -> list[str]:
    return [f.code for f in rep.findings]


def test_count_and_control_mismatches_are_found_with_locations() -> None:
    text = _interchange()
    bad = text.replace("SE*4*0001", "SE*9*0001", 1).replace("SE*4*0002", "SE*4*0003", 1)
    bad = bad.replace("GE*2*4711", "GE*3*4712").replace("IEA*2*000004711", "IEA*1*000004710")
    _, rep = _findings(bad, "bad.x12")
    assert _codes(rep) == [
        "se-count-mismatch",
        "st-se-control-mismatch",
        "gs-ge-control-mismatch",
        "ge-count-mismatch",
        "isa-iea-control-mismatch",
        "iea-count-mismatch",
    ]
    first = rep.findings[0]
    assert str(first).startswith("bad.x12 segment 6 (SE) SE01: SE01 says '9' segments")
    assert first.ack_codes() == "AK5=4"


def test_duplicate_st_control_in_group() -> None:
    text = _interchange().replace("ST*814*0002", "ST*814*0001").replace("SE*4*0002", "SE*4*0001")
    _, rep = _findings(text)
    assert _codes(rep) == ["st-duplicate-control"]
    assert rep.findings[0].location.segment_number == 7


def test_duplicate_check_is_linear() -> None:
    # 20,000 ST in one group: a quadratic check would take minutes; a set takes milliseconds.
    body = [["BPT", "00", "X", "20250303", "DD"]]
    w = X12Writer("1039940674000", "183529049", WHEN, ControlNumbers())
    for _ in range(20_000):
        w.add("867", body)
    txns, rep = _findings(w.getvalue())
    assert len(txns) == 20_000 and rep.findings == []


def test_missing_trailers_and_truncation() -> None:
    text = _interchange()
    cut = text[: text.index("SE*4*0002")] + "GE*2*4711~IEA*2*000004711~"
    txns, rep = _findings(cut)
    assert "se-missing" in _codes(rep)
    assert any(not t.complete for t in txns)
    truncated = text[:-12]
    _, rep = _findings(truncated)
    assert _codes(rep) == ["truncated", "iea-missing"]
    assert rep.findings[0].location.segment_number == 18
    cut_in_st = text[: text.index("SE*4*0001") + 4]
    txns, rep = _findings(cut_in_st)
    assert _codes(rep) == ["truncated", "se-missing", "ge-missing", "iea-missing"]
    assert txns[-1].complete is False


def test_segment_outside_transaction_is_reported_not_dropped() -> None:
    text = _interchange().replace("GE*2*4711~", "REF*Q5*1~GE*2*4711~")
    _, rep = _findings(text)
    assert _codes(rep) == ["interchange-structure"]
    assert "REF" in rep.findings[0].message


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"GS*GE*1*2~", "expected an ISA"),
        (b"ISA*00*short~", "truncated"),
        (b"ISA*00*          *00*          *01*123456789      *01*183529049      "
         b"*250303*1015*U*00401*000004711*0*P*~~", "must all differ"),
    ],
)
def test_unusable_input_raises_located_edierror(data: bytes, reason: str) -> None:
    with pytest.raises(X12SyntaxError) as info:
        list(iter_transactions(data, name="in.x12"))
    assert reason in str(info.value)
    assert str(info.value).startswith("in.x12")


def test_missing_file_is_edierror() -> None:
    with pytest.raises(EdiError, match="cannot open"):
        list(iter_transactions("/nonexistent/file.x12"))


@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_edierror(data: bytes) -> None:
    with contextlib.suppress(EdiError):
        list(iter_transactions(data, name="fuzz"))


@given(st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=3))
def test_mutated_files_raise_only_edierror(pos: int, junk: bytes) -> None:
    data = bytearray(_interchange().encode())
    pos %= len(data)
    data[pos : pos + len(junk)] = junk
    try:
        rep = Report()
        list(iter_transactions(bytes(data), report=rep))
    except EdiError:
        pass


@given(st.lists(st.tuples(st.sampled_from(["814", "867", "810", "997", "650"]),
                          st.integers(1, 5)), max_size=40))
def test_add_texts_equals_add_text_one_by_one(items: list[tuple[str, int]]) -> None:
    when = datetime(2025, 3, 4, 9, 30)
    bodies = [(st01, "".join(f"REF*Q5*{k}~" for k in range(n)), n) for st01, n in items]
    one, many = (X12Writer("183529049", "1039940674000", when, ControlNumbers(start=7)) for _ in range(2))
    ctls_one = [one.add_text(st01, body, n) for st01, body, n in bodies]
    assert many.add_texts(bodies) == ctls_one
    assert many.getvalue() == one.getvalue()
    assert many.group_controls == one.group_controls
    assert many.members == one.members
    assert sum(len(v) for v in many.members.values()) == len(items)
    assert [fid for fid, _ in many.group_controls] == list(dict.fromkeys(
        {"814": "GE", "867": "PT", "810": "IN", "997": "FA", "650": "MO"}[st01] for st01, _ in items))


def test_a_missing_terminator_is_an_error_naming_the_limit_not_a_growing_read(tmp_path: Path) -> None:
    """A valid ISA and then no terminator: the reader stops at its segment limit with an error
    naming the segment, its offset and the limit (before, it held and re-split the whole rest
    of the file: 25 s and 437 MiB for 200 MB)."""
    from edi.errors import X12SyntaxError
    from edi.x12.reader import X12Reader

    head = _interchange().split("~GS*")[0] + "~GS*GE*1*2*20250303*1015*"
    path = tmp_path / "endless.x12"
    path.write_bytes(head.encode() + b"9" * 3_000_000)
    with pytest.raises(X12SyntaxError, match=r"endless.x12 segment 2 \(offset \d+\): no segment terminator '~' "
                                             r"within 1,000,000 characters"):
        list(X12Reader(path).segments())
    with pytest.raises(X12SyntaxError, match="within 1,000 characters"):
        list(X12Reader(head.encode() + b"9" * 5_000, max_segment=1_000).segments())


def test_a_huge_value_is_cut_in_the_report_not_echoed_whole() -> None:
    from edi.findings import Finding, Location

    value = "X" * 250_000
    f = Finding("element-too-long", Location("f.x12", 4, "BGN", "BGN02"), f"value {value!r} is too long", value)
    text = str(f)
    assert len(text) < 800 and re.search(r"\.\.\. \(250,0\d\d characters\) \.\.\.", text)
    d = f.to_dict()
    assert len(d["value"]) < 300 and d["value_length"] == 250_000 and len(d["text"]) < 800
