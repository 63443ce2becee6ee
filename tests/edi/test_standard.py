"""The X12 004010 standard as data, every guide checked against it, and its findings as such."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edi.ack import build_997
from edi.errors import GuideError
from edi.texas_set.guide import GUIDES_DIR, all_guides, load_guide_file
from edi.validate import validate
from edi.x12.standard import (
    DATA_DIR,
    UNBOUNDED,
    StandardLoop,
    StandardSegment,
    segment_def,
    segment_directory,
    table,
    table_ids,
)

SETS = ["650", "810", "814", "820", "824", "867", "997"]


def test_every_transaction_set_we_read_or_write_has_its_table() -> None:
    assert table_ids() == SETS
    for st01 in SETS:
        t = table(st01)
        assert t is not None and t.id == st01 and t.sources
        assert (t.body[0].id, t.body[-1].id) == ("ST", "SE")  # type: ignore[union-attr]


def test_the_writer_uses_the_standards_functional_groups() -> None:
    from edi.x12.writer import FUNCTIONAL_IDS

    assert {st01: fid for st01, (fid, _confirmed) in FUNCTIONAL_IDS.items()} == {
        st01: table(st01).functional_id for st01 in SETS  # type: ignore[union-attr]
    }


def test_tables_hold_the_facts_the_fixes_rest_on() -> None:
    """The 004010 facts behind the corrections of the guides, read from the data."""
    itd = segment_def("ITD")
    sac = segment_def("SAC")
    ref = segment_def("REF")
    assert itd is not None and sac is not None and ref is not None
    assert (itd.element(6).number, itd.element(6).type, itd.element(6).max_len) == ("446", "DT", 8)  # type: ignore[union-attr]
    assert (itd.element(13).type, itd.element(13).max_len) == ("N0", 2)  # type: ignore[union-attr]
    assert (sac.element(15).number, sac.element(15).type) == ("352", "AN")  # type: ignore[union-attr]
    assert sac.element(13).number == "127"  # type: ignore[union-attr]
    assert ("R", (2, 3)) in {(s.kind, s.positions) for s in ref.syntax}
    # 867: in the PTD loop, REF comes before the QTY loop and MEA belongs to the QTY loop
    t867 = table("867")
    assert t867 is not None
    ptd = next(i for i in t867.body if isinstance(i, StandardLoop) and i.id == "PTD")
    ids = [c.id if isinstance(c, StandardSegment) else c.trigger.id for c in ptd.children]
    assert ids.index("REF") < ids.index("QTY")
    qty = next(c for c in ptd.children if isinstance(c, StandardLoop) and c.id == "QTY")
    assert "MEA" in [c.id for c in qty.children if isinstance(c, StandardSegment)]
    assert "MEA" not in [c.id for c in ptd.children if isinstance(c, StandardSegment)]
    # 650: the detail area is a mandatory HL loop
    t650 = table("650")
    assert t650 is not None
    hl = next(i for i in t650.body if isinstance(i, StandardLoop) and i.trigger.id == "HL")
    assert hl.req == "M" and hl.trigger.area == "detail"


def test_every_segment_a_guide_uses_is_in_the_directory() -> None:
    used = {spec.id for g in all_guides() for _loops, spec in g.segments()}
    assert used <= set(segment_directory())
    assert {"ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"} <= set(segment_directory())


def test_counts_and_repeats_are_read_as_numbers() -> None:
    t = table("814")
    assert t is not None
    loops = [i for i in t.body if isinstance(i, StandardLoop)]
    assert loops and all(lp.repeat >= 1 for lp in loops)
    assert any(lp.repeat == UNBOUNDED for lp in loops)  # a ">1" loop


def test_broken_table_is_refused_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edi.x12.standard as standard

    text = (DATA_DIR / "867.xml").read_text()
    broken = re.sub(r'max="1"', 'max="0"', text, count=1)
    (tmp_path / "867.xml").write_text(broken)
    (tmp_path / "standard.xsd").write_bytes((DATA_DIR / "standard.xsd").read_bytes())
    monkeypatch.setattr(standard, "DATA_DIR", tmp_path)
    standard.table.cache_clear()
    try:
        with pytest.raises(GuideError, match=r"867\.xml line \d+.*standard\.xsd"):
            standard.table("867")
    finally:
        standard.table.cache_clear()


# guides broken against the standard ==============================================================


def _guide(tmp_path: Path, code: str, old: str, new: str) -> Path:
    text = (GUIDES_DIR / f"{code}.xml").read_text()
    assert old in text, old
    path = tmp_path / f"{code}.xml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_shipped_guides_conform() -> None:
    assert len(all_guides()) == 42  # each one passed check_guide as it loaded


def test_810_with_the_net_due_date_in_itd13_fails_to_load(tmp_path: Path) -> None:
    """The defect of the earlier 810_02 layout: ITD13 is a day of month (N0 1/2)."""
    path = _guide(tmp_path, "810_02", 'pos="6" ref="ITD06"', 'pos="13" ref="ITD13"')
    with pytest.raises(GuideError) as exc:
        load_guide_file(path)
    msg = str(exc.value)
    assert str(path) in msg and "ITD13" in msg and "N0" in msg and "X12 004010 810" in msg


def test_segment_out_of_the_standards_order_fails_to_load(tmp_path: Path) -> None:
    """MEA at the PTD level after the QTY loop: the earlier 867_03 layout's kind of defect."""
    text = (GUIDES_DIR / "867_03.xml").read_text()
    pl = text.index('qualifier="PL"')
    mea = text.index('<segment id="MEA"', pl)
    end = text.index("</segment>", mea) + len("</segment>")
    seg = text[mea:end]
    moved = text[:mea] + text[end:]
    ref = moved.index('<segment id="REF" qualifier="MT"', pl)
    moved = moved[:ref] + seg + "\n      " + moved[ref:]
    path = tmp_path / "867_03.xml"
    path.write_text(moved)
    with pytest.raises(GuideError) as exc:
        load_guide_file(path)
    msg = str(exc.value)
    assert str(path) in msg and "MEA" in msg and "loop PTD" in msg


def test_segment_repeated_beyond_the_standard_fails_to_load(tmp_path: Path) -> None:
    path = _guide(tmp_path, "867_03",
                  '<segment id="BPT" name="Beginning segment for product transfer and resale" usage="M" max="1"',
                  '<segment id="BPT" name="Beginning segment for product transfer and resale" usage="M" max="2"')
    with pytest.raises(GuideError, match=r"BPT: up to 2 in the guide, "
                                         r"the standard's maximum use of BPT \(heading position 020\) is 1"):
        load_guide_file(path)


def test_element_longer_than_the_standard_fails_to_load(tmp_path: Path) -> None:
    path = _guide(tmp_path, "867_03", 'ref="N102" name="Name" usage="M" type="AN" min="1" max="60"',
                  'ref="N102" name="Name" usage="M" type="AN" min="1" max="61"')
    with pytest.raises(GuideError, match=r"N1\*8S N102: length 1/61, outside the standard's 1/60"):
        load_guide_file(path)


def test_element_of_another_type_fails_to_load(tmp_path: Path) -> None:
    path = _guide(tmp_path, "867_03", 'ref="BPT03" name="Report date" usage="M" type="DT"',
                  'ref="BPT03" name="Report date" usage="M" type="AN"')
    with pytest.raises(GuideError, match=r"BPT BPT03: data type AN, the standard's .* is DT"):
        load_guide_file(path)


def test_dropped_syntax_note_fails_to_load(tmp_path: Path) -> None:
    # N103/N104 optional and without their paired note: the standard's P0304 could break
    text = (GUIDES_DIR / "867_03.xml").read_text()
    block = text[text.index('<segment id="N1" qualifier="8S"'):]
    block = block[: block.index("</segment>")]
    changed = block.replace('<condition kind="P" positions="3 4" confirmed="false"/>', "")
    changed = changed.replace('ref="N103" name="Identification code qualifier" usage="M"',
                              'ref="N103" name="Identification code qualifier" usage="O"')
    path = tmp_path / "867_03.xml"
    path.write_text(text.replace(block, changed, 1))
    with pytest.raises(GuideError, match=r"syntax note P0304"):
        load_guide_file(path)


def test_mandatory_standard_element_left_out_fails_to_load(tmp_path: Path) -> None:
    path = _guide(tmp_path, "867_03", '<element pos="1" ref="PTD01" name="Product transfer type" usage="M"',
                  '<element pos="1" ref="PTD01" name="Product transfer type" usage="N"')
    with pytest.raises(GuideError, match=r"PTD01: marked not used, but the standard makes"):
        load_guide_file(path)


def test_wrong_position_number_fails_to_load(tmp_path: Path) -> None:
    path = _guide(tmp_path, "867_03", 'usage="M" max="1" pos="020"', 'usage="M" max="1" pos="030"')
    with pytest.raises(GuideError, match=r"guide position 030, the standard's is 020"):
        load_guide_file(path)


# the validator's layers ==========================================================================

ENV = ("ISA*00*          *00*          *01*1039940674000  *01*183529049      *250407*0215*U*00401*000312345*0*P*>~"
       "GS*PT*1039940674000*183529049*20250407*0215*312345*X*004010~")


def _interchange(body: str, st01: str = "867") -> bytes:
    segs = [s for s in body.split("~") if s]
    n = len(segs) + 2
    return (ENV + f"ST*{st01}*0001~" + "~".join(segs) + f"~SE*{n}*0001~GE*1*312345~IEA*1*000312345~").encode()


HEAD = "BPT*00*R1*20250407*DD~REF*Q5**10443720001234567~N1*8S*ONCOR*1*1039940674000~N1*SJ*ACME*1*123456789~"
SU = "PTD*SU~DTM*150*20250306~DTM*151*20250404~QTY*QD*1287*KH~"
PL_STANDARD = ("PTD*PL***MG*M1~DTM*150*20250306~DTM*151*20250404~REF*MT*KHMON~QTY*QD*1287*KH~"
               "MEA*AA*PRQ*1287*KH*10*1297*51~")
PL_OLD = "PTD*PL***MG*M1~DTM*150*20250306~DTM*151*20250404~MEA*AA*PRQ*1287*KH*10*1297*51~REF*MT*KHMON~QTY*QD*1287*KH~"


def test_an_867_in_the_standards_order_is_clean() -> None:
    rep = validate(_interchange(HEAD + SU + PL_STANDARD))
    assert rep.findings == []


def test_the_old_867_layout_is_a_standard_finding_in_the_997() -> None:
    data = _interchange(HEAD + SU + PL_OLD)
    rep = validate(data)
    x12 = [f for f in rep.findings if f.layer == "x12"]
    assert x12, [str(f) for f in rep.findings]
    assert all(f.guide is None and "X12 004010 867" in f.message for f in x12)
    assert {f.location.segment.split("*")[0] for f in x12} & {"MEA", "REF", "QTY"}
    ack = build_997(rep, data)
    assert "AK3*" in ack and "AK5*R" in ack


def test_a_guide_only_finding_stays_out_of_the_997_unless_asked() -> None:
    data = _interchange(HEAD + SU + PL_STANDARD.replace("REF*MT*KHMON", "REF*MT*ZZMON"))  # no such meter type
    rep = validate(data)
    assert [(f.code, f.layer) for f in rep.findings] == [("invalid-code", "texas-set")]
    assert "Texas SET" in str(rep.findings[0])
    plain = build_997(rep, data)
    assert "AK3" not in plain and "AK5*A" in plain
    both = build_997(rep, data, layers=("x12", "texas-set"))
    assert "AK3*REF*13*PTD*8" in both and "AK4*2**7*ZZMON" in both


def test_a_value_the_standard_forbids_is_an_x12_finding() -> None:
    # a date that is no date breaks the standard's DT type: x12, though the guide found it
    data = _interchange(HEAD + SU.replace("DTM*150*20250306", "DTM*150*20251306") + PL_STANDARD)
    rep = validate(data)
    assert [(f.code, f.layer) for f in rep.findings] == [("invalid-date", "x12")]
    assert "AK4*2**8*20251306" in build_997(rep, data)


def test_an_unknown_transaction_set_is_not_supported_in_x12_terms() -> None:
    data = _interchange("BEG*00*SA*PO1**20250407", st01="850").replace(b"GS*PT", b"GS*PO")
    rep = validate(data)
    assert [(f.code, f.layer) for f in rep.findings] == [("unknown-transaction", "x12")]


def test_an_814_that_fits_no_guide_gets_the_standards_findings_too() -> None:
    # an 814 whose BGN01 fits no Texas SET guide, with a segment the 814 table does not have
    env = ENV.replace("GS*PT", "GS*GE")
    body = "BGN*99*X1*20250407~BPT*00*R1*20250407*DD~"
    data = (env + "ST*814*0001~" + body + "SE*4*0001~GE*1*312345~IEA*1*000312345~").encode()
    rep = validate(data)
    layers = {(f.code, f.layer) for f in rep.findings}
    assert ("unknown-transaction", "texas-set") in layers or ("transaction-not-identified", "texas-set") in layers
    bpt = [f for f in rep.findings if f.layer == "x12" and f.location.segment.startswith("BPT")]
    assert [f.code for f in bpt] == ["segment-not-in-guide"] and "X12 004010 814" in bpt[0].message, layers


def test_flight_test_867_04_has_no_standard_finding() -> None:
    sample = Path(__file__).parent / "samples" / "867_04-initial-read-2016.x12"
    rep = validate(sample)
    assert [str(f) for f in rep.findings if f.layer == "x12"] == []


def test_the_notes_old_examples_break_the_standard_where_the_oracle_said() -> None:
    """The 810_02 and 867_03 examples of the domain notes, kept as samples: X12 findings."""
    samples = Path(__file__).parent / "samples"
    inv = validate(samples / "810_02-tdsp-invoice.x12")
    x12 = {(f.location.element, f.code) for f in inv.findings if f.layer == "x12"}
    assert ("ITD13", "element-too-long") in x12  # a due date in the day-of-month element
    assert ("SAC13", "element-too-long") in x12  # a description in the 30-character reference ID
    assert ("IT104", "element-conditional-missing") in x12  # IT102/IT103 without IT104
    usage = validate(samples / "867_03-monthly-usage.x12")
    assert [(f.location.segment, f.code) for f in usage.findings if f.layer == "x12"] == [
        ("MEA*AA", "segment-out-of-order")]
