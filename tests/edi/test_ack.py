"""997 and TA1 acknowledgements built from findings."""

from __future__ import annotations

from datetime import datetime

from edi.ack import build_997, build_997_bodies, build_ta1, read_envelopes
from edi.findings import Report
from edi.validate import validate_transaction
from edi.x12 import ControlNumbers, iter_transactions, read_interchanges
from tests.edi.guidekit import guide_814

ISA = "ISA*00*          *00*          *01*123456789      *01*183529049      *250303*1015*U*00401*000004711*0*P*>~"
GS = "GS*GE*123456789*183529049*20250303*1015*4711*X*004010~"
GOOD = ("BGN*13*A1*20250303~N1*8S*ONCOR*1*1039940674000~N1*SJ*ACME POWER*1*123456789~"
        "LIN*1*SH*EL~ASI*7*021~REF*Q5*10443720001234567~")
BAD = ("BGN*13*A2*20250303~N1*8S*ONCOR*1*1039940674000~N1*SJ*ACME POWER*1*123456789~"
       "LIN*1*SH*EL~ASI*7*999~REF*Q5*10443720001234567~DTM*150*20261301~")


def st(body: str, ctl: str) -> str:
    n = body.count("~") + 2
    return f"ST*814*{ctl}~{body}SE*{n}*{ctl}~"


def findings_for(data: bytes, name: str = "in.x12") -> Report:
    rep = Report()
    for txn in iter_transactions(data, name=name, report=rep):
        rep.extend(validate_transaction(txn, guide_814()))
    return rep


def segments(text: str) -> list[list[str]]:
    return [s.split("*") for s in text.split("~") if s]


def test_997_for_a_file_with_errors() -> None:
    data = (ISA + GS + st(GOOD, "0001") + st(BAD, "0002") + "GE*2*4711~IEA*1*000004711~").encode()
    rep = findings_for(data)
    assert [(f.code, f.layer) for f in rep] == [("invalid-code", "texas-set"), ("invalid-date", "x12")]
    # a translator's 997 reports the standard's error only (a code list is the guide's business)
    plain = segments(build_997(rep, data, name="in.x12"))
    assert [s for s in plain if s[0] in ("AK3", "AK4", "AK5")] == [
        ["AK5", "A"], ["AK3", "DTM", "8", "LIN", "8"], ["AK4", "2", "", "8", "20261301"], ["AK5", "R", "5"]]
    # asked for, the 997 also reports the guide's findings
    text = build_997(rep, data, name="in.x12", layers=("x12", "texas-set"))
    segs = segments(text)
    ids = [s[0] for s in segs]
    assert ids == ["ISA", "GS", "ST", "AK1", "AK2", "AK5", "AK2", "AK3", "AK4", "AK3", "AK4", "AK5", "AK9", "SE", "GE",
                   "IEA"]
    by_id = {}
    for s in segs:
        by_id.setdefault(s[0], []).append(s)
    # sent back: sender and receiver swapped, FA group, same delimiters
    isa = by_id["ISA"][0]
    assert isa[6].strip() == "183529049" and isa[8].strip() == "123456789"
    assert by_id["GS"][0][:4] == ["GS", "FA", "183529049", "123456789"]
    assert by_id["AK1"] == [["AK1", "GE", "4711"]]
    assert by_id["AK2"] == [["AK2", "814", "0001"], ["AK2", "814", "0002"]]
    # ASI is segment 6 of the set (ST = 1), DTM segment 8; both in loop LIN
    assert by_id["AK3"] == [["AK3", "ASI", "6", "LIN", "8"], ["AK3", "DTM", "8", "LIN", "8"]]
    assert by_id["AK4"] == [["AK4", "2", "", "7", "999"], ["AK4", "2", "", "8", "20261301"]]
    assert by_id["AK5"] == [["AK5", "A"], ["AK5", "R", "5"]]
    assert by_id["AK9"] == [["AK9", "P", "2", "2", "1"]]
    # the 997 itself has correct envelopes
    check = Report()
    assert len(list(iter_transactions(text.encode(), report=check))) == 1
    assert check.ok, check.to_text()


def test_997_is_deterministic_and_uses_received_date_and_control() -> None:
    data = (ISA + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*000004711~").encode()
    rep = findings_for(data)
    a = build_997(rep, data, name="in.x12")
    b = build_997(rep, data, name="in.x12")
    assert a == b
    isa = segments(a)[0]
    assert isa[9:11] == ["250303", "1015"] and isa[13] == "000004711"
    assert segments(a)[-4:-2] == [["AK9", "A", "1", "1", "1"], ["SE", "6", "0001"]]
    c = build_997(rep, data, name="in.x12", when=datetime(2025, 3, 4, 8, 0), control=ControlNumbers(start=77))
    isa = segments(c)[0]
    assert isa[9:11] == ["250304", "0800"] and isa[13] == "000000077"


def test_envelope_findings_become_ak5_and_ak9_codes() -> None:
    # SE01 wrong in the first set, duplicate ST02, GE count wrong
    body1 = st(GOOD, "0001").replace("SE*8*0001", "SE*9*0001")
    data = (ISA + GS + body1 + st(GOOD, "0001") + "GE*5*4711~IEA*1*000004711~").encode()
    rep = findings_for(data)
    codes = [f.code for f in rep]
    assert {"se-count-mismatch", "st-duplicate-control", "ge-count-mismatch"} <= set(codes)
    segs = segments(build_997(rep, data, name="in.x12"))
    ak5 = [s for s in segs if s[0] == "AK5"]
    assert ak5 == [["AK5", "R", "4"], ["AK5", "R", "23"]]
    (ak9,) = [s for s in segs if s[0] == "AK9"]
    assert ak9 == ["AK9", "R", "5", "2", "0", "5"]


def test_ta1_for_an_interchange_error() -> None:
    data = (ISA + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*000009999~").encode()
    rep = findings_for(data)
    assert [f.code for f in rep] == ["isa-iea-control-mismatch"]
    env = read_envelopes(data, name="in.x12")
    assert build_ta1(rep, env) == [["TA1", "000004711", "250303", "1015", "E", "001"]]
    text = build_997(rep, data, name="in.x12")
    segs = segments(text)
    assert [s[0] for s in segs[:3]] == ["ISA", "TA1", "GS"]
    assert segs[1] == ["TA1", "000004711", "250303", "1015", "E", "001"]
    assert read_interchanges(text.encode())[0].groups[0].gs.get(1) == "FA"


def test_ta1_rejects_a_broken_isa_header() -> None:
    bad_isa = ISA.replace("*U*00401*", "*U*00501*")
    data = (bad_isa + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*000004711~").encode()
    rep = findings_for(data)
    assert "isa-invalid-version" in [f.code for f in rep]
    assert build_ta1(rep, read_envelopes(data, name="in.x12")) == [["TA1", "000004711", "250303", "1015", "R", "017"]]


def test_clean_interchange_gets_ta1_only_when_asked() -> None:
    data = (ISA + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*000004711~").encode()
    env = read_envelopes(data, name="in.x12")
    assert build_ta1([], env) == []
    assert build_ta1([], env, always=True) == [["TA1", "000004711", "250303", "1015", "A", "000"]]


def test_997s_are_not_acknowledged() -> None:
    ack = build_997([], (ISA + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*000004711~").encode())
    assert build_997([], ack.encode()) == ""


def test_bodies_per_group_and_unknown_transaction() -> None:
    gs2 = GS.replace("*4711*", "*4712*")
    data = (ISA + GS + st(GOOD, "0001") + "GE*1*4711~" + gs2
            + "ST*999*0001~BGN*1~SE*3*0001~GE*1*4712~IEA*2*000004711~").encode()
    from edi.findings import Finding, Location

    unknown = Finding("unknown-transaction", Location("in.x12", 13, "ST", "ST01"), "not Texas SET", "999")
    ((ic, bodies),) = build_997_bodies([unknown], read_envelopes(data, name="in.x12"))
    assert len(bodies) == 2
    assert bodies[1][-2:] == [["AK5", "R", "1"], ["AK9", "R", "1", "1", "0"]]
    assert bodies[0][-1] == ["AK9", "A", "1", "1", "1"]


def test_997_for_a_missing_segment_names_the_missing_segment() -> None:
    from pathlib import Path

    from edi.validate import validate_source

    path = Path(__file__).parent / "invalid" / "missing-esi-id.x12"
    rep = validate_source(path, name="missing-esi-id.x12")
    # REF*Q5 is the guide's requirement, not the standard's: a translator's 997 accepts the set
    plain = segments(build_997(rep, path, name="missing-esi-id.x12").replace("\n", ""))
    assert [s for s in plain if s[0] in ("AK3", "AK4", "AK5")] == [["AK5", "A"]]
    segs = segments(build_997(rep, path, name="missing-esi-id.x12", layers=("x12", "texas-set")).replace("\n", ""))
    # the absence shows at REF*11, the 11th segment of the set (ST = 1), in loop LIN
    assert [s for s in segs if s[0] in ("AK3", "AK4", "AK5")] == [["AK3", "REF", "11", "LIN", "3"], ["AK5", "R", "5"]]


def test_997_for_an_unknown_transaction_rejects_it() -> None:
    from pathlib import Path

    from edi.validate import validate_source

    path = Path(__file__).parent / "invalid" / "unknown-transaction.x12"
    rep = validate_source(path, name="x.x12")
    segs = segments(build_997(rep, path, name="x.x12").replace("\n", ""))
    assert [s for s in segs if s[0] in ("AK2", "AK5", "AK9")] == [["AK2", "999", "0001"], ["AK5", "R", "1"],
                                                                  ["AK9", "R", "1", "1", "0"]]


def test_a_control_number_with_a_non_ascii_digit_still_gets_its_acknowledgement() -> None:
    """'²' passes str.isdigit but not int(): the 997 of such a file is still built (the TA1
    names the control number), never an exception at the end of a batch."""
    bad = ISA.replace("*000004711*", "*00000471\u00b2*")
    data = (bad + GS + st(GOOD, "0001") + "GE*1*4711~IEA*1*00000471\u00b2~").encode("latin-1")
    from edi.validate import validate_source

    rep = validate_source(data, name="in.x12")
    assert "isa-invalid-control-number" in [f.code for f in rep]
    text = build_997(rep, data, name="in.x12")
    segs = segments(text)
    assert segs[0][13] == "000000001"  # the acknowledgement's own ISA13: a valid one
    assert segs[1][:2] == ["TA1", "000000000"] and segs[1][4:] == ["R", "018"]


def test_a_5009_digit_group_control_number_is_acknowledged_not_fatal() -> None:
    """GS06 / GE02 of 5,009 digits (past int()'s 4,300-digit limit): the file still gets its
    997 (AK1 and AK9 keep at most what the elements hold), by build_997 and the streamed one."""
    import io

    from edi.ack_stream import FindingSpool, write_997
    from edi.validate import validate_source

    huge = "9" * 5009
    gs = GS.replace("*4711*X*", f"*{huge}*X*")
    assert gs != GS
    data = (ISA + gs + st(GOOD, "0001") + f"GE*1*{huge}~IEA*1*000004711~").encode("latin-1")
    found: list = []
    validate_source(data, name="in.x12", report=Report(sink=found.append))
    assert [f.code for f in found if f.code == "gs-invalid-control-number"] == ["gs-invalid-control-number"]
    text = build_997(found, data, name="in.x12")
    ak1 = next(s for s in segments(text) if s[0] == "AK1")
    assert ak1[2] == huge[:9]
    with FindingSpool() as spool:
        for f in found:
            spool.add(f)
        out = io.StringIO()
        write_997(spool, data, out, name="in.x12")
    assert out.getvalue() == text
