"""Implementation guides as data: schema, hardened loading, compiled form, code lists, explain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from edi.errors import GuideError
from edi.texas_set.explain import explain_guide, explain_transaction, guide_counts
from edi.texas_set.guide import (
    CODES_DIR,
    GUIDES_DIR,
    Guide,
    LoopSpec,
    SegmentSpec,
    all_guides,
    code_list_ids,
    guide_codes,
    load_code_list,
    load_guide,
    load_guide_file,
)
from edi.xmlsafe import hardened_parser

EXPECTED = (
    [f"814_{n:02d}" for n in range(1, 30)]
    + ["814_PC", "814_PD", "867_02", "867_03", "867_04", "810_02", "820_02", "824", "650_01", "650_02", "650_04",
       "650_05", "997"]
)


def test_every_expected_guide_exists() -> None:
    assert sorted(EXPECTED) == guide_codes()


@pytest.mark.parametrize("code", EXPECTED)
def test_guide_passes_xsd_and_compiles(code: str) -> None:
    schema = etree.XMLSchema(etree.parse(str(GUIDES_DIR / "guide.xsd")))
    doc = etree.parse(str(GUIDES_DIR / f"{code}.xml"))
    assert schema.validate(doc), schema.error_log
    g = load_guide(code)
    assert isinstance(g, Guide) and g.code == code and g.st01 == code[:3]
    assert g.body and g.flows and g.sender_role in ("CR", "ERCOT", "TDSP", "ANY")
    # every loop starts with its trigger segment and indexes its children by (id, qualifier)
    for loop in g.loops():
        assert isinstance(loop.children[0], SegmentSpec)
        for child in loop.children:
            assert loop.index[child.key] is child
            assert loop.match(child.key[0], child.key[1] or "") is child
    for _, seg in g.segments():
        assert [e.pos for e in seg.elements] == sorted(e.pos for e in seg.elements)
        for e in seg.elements:
            assert seg.by_pos[e.pos] is e and e.ref == f"{seg.id}{e.pos:02d}"
            assert e.codes is None or isinstance(e.codes, frozenset)


def test_load_is_cached_and_frozen() -> None:
    g = load_guide("814_01")
    assert load_guide("814_01") is g
    with pytest.raises(AttributeError):
        g.code = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        g.identify["BGN01"] = "x"  # type: ignore[index]


def test_retired_and_confirmed_markers() -> None:
    assert load_guide("814_10").retired
    assert not any(g.retired for g in all_guides() if g.code != "814_10")
    g = load_guide("814_04")
    dtm = g.find_segment("DTM", "150")
    assert dtm is not None and dtm.confirmed and dtm.note == "scheduled meter read date"
    bgn = g.find_segment("BGN")
    assert bgn is not None and not bgn.by_pos[1].confirmed  # BGN01 11 is convention, not seen
    assert g.find_segment("REF", "7G").by_pos[2].codes >= {"SHF", "FME", "LFG", "MVO"}


def test_layouts_follow_the_market_examples() -> None:
    g3 = load_guide("814_03")
    assert g3.identify["BGN07"] == "TS|AQ|-"
    assert set(load_guide("814_14").find_segment("BGN").by_pos[7].codes) == {"TS", "AQ"}
    assert load_guide("814_28").find_segment("REF", "G7").usage == "M"
    ic = load_guide("814_12").find_segment("DTM", "097")
    assert ic is not None and ic.usage == "M" and not ic.confirmed
    final = load_guide("867_03").find_segment("BPT").by_pos[7]
    assert final.codes == frozenset({"F"}) and final.usage == "O"
    q5 = load_guide("867_04").find_segment("REF", "Q5")
    assert [c.kind for c in q5.conditions] == ["R"]


# broken and hostile guides ======================================================================


def _copy(tmp_path: Path, code: str = "814_01") -> tuple[Path, list[str]]:
    src = (GUIDES_DIR / f"{code}.xml").read_text()
    return tmp_path / f"{code}.xml", src.splitlines(keepends=True)


def test_schema_violation_names_file_and_line(tmp_path: Path) -> None:
    path, lines = _copy(tmp_path)
    n = next(i for i, line in enumerate(lines) if 'ref="BGN03"' in line)
    lines[n] = lines[n].replace('usage="M"', 'usage="Q"')
    path.write_text("".join(lines))
    with pytest.raises(GuideError) as exc:
        load_guide_file(path)
    assert str(path) in str(exc.value) and f"line {n + 1}" in str(exc.value)
    assert "usage" in str(exc.value)


def test_not_well_formed_names_line(tmp_path: Path) -> None:
    path, lines = _copy(tmp_path)
    lines[5] = lines[5].replace(">", "", 1)
    path.write_text("".join(lines))
    with pytest.raises(GuideError, match=r"not well-formed XML") as exc:
        load_guide_file(path)
    assert re.search(r"line \d+", str(exc.value))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('codeList="reject-reasons"', 'codeList="no-such-list"', "code list 'no-such-list' does not exist"),
        ('codes="SHF FME', 'codes="ZZZ FME', "code ZZZ is not in code list reject-reasons"),
        ('ref="REF02"', 'ref="REF03"', "does not match segment REF position 2"),
        ('key="ASI02"', 'key="ASI09"', "identification key ASI09 names no element"),
        ('confirmed="true" source="raw samples"', 'confirmed="true"', "marked confirmed=\"true\" but names no source"),
    ],
)
def test_inconsistent_guide_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    path, lines = _copy(tmp_path, "814_04")
    n = next(i for i, line in enumerate(lines) if old in line)
    lines[n] = lines[n].replace(old, new, 1)
    path.write_text("".join(lines))
    with pytest.raises(GuideError, match=re.escape(message)) as exc:
        load_guide_file(path)
    assert f"{path} line {n + 1}" in str(exc.value)


def test_file_name_must_match_code(tmp_path: Path) -> None:
    path = tmp_path / "814_02.xml"
    path.write_bytes((GUIDES_DIR / "814_01.xml").read_bytes())
    with pytest.raises(GuideError, match="does not match the file name"):
        load_guide_file(path)


def test_external_entity_is_refused_without_reading(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    path, lines = _copy(tmp_path)
    doctype = f'<!DOCTYPE guide [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    text = lines[0] + doctype + "".join(lines[1:]).replace("<name>Switch (enrollment) request</name>",
                                                           "<name>&xxe;</name>")
    path.write_text(text)
    with pytest.raises(GuideError, match="DOCTYPE and entity declarations are not allowed") as exc:
        load_guide_file(path)
    assert "TOP-SECRET-VALUE" not in str(exc.value) and f"{path} line 2" in str(exc.value)
    # the parser itself would not expand it either, even without the early refusal
    root = etree.fromstring(text.encode(), hardened_parser())
    assert b"TOP-SECRET-VALUE" not in etree.tostring(root)


def test_doctype_in_utf16_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    path = tmp_path / "814_01.xml"
    text = f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE guide [<!ENTITY x SYSTEM "file://{secret}">]>\n<guide>&x;</guide>\n'
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(GuideError, match="not allowed") as exc:
        load_guide_file(path)
    assert "TOP-SECRET-VALUE" not in str(exc.value)


def test_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "814_01.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
                    "<guide>&b;</guide>\n")
    with pytest.raises(GuideError, match="not allowed"):
        load_guide_file(path)


def test_unknown_and_malformed_codes() -> None:
    with pytest.raises(GuideError, match="no guide for 814_99"):
        load_guide("814_99")
    with pytest.raises(GuideError, match="not a Texas SET transaction code"):
        load_guide("../../etc/passwd")


# code lists =====================================================================================


def test_every_code_has_a_confirmed_marker() -> None:
    files = list(CODES_DIR.glob("*.xml")) + list(GUIDES_DIR.glob("*.xml"))
    total = 0
    for f in files:
        for code in etree.parse(str(f)).iter("code"):
            assert code.get("confirmed") in ("true", "false"), f"{f.name} line {code.sourceline}"
            if code.get("confirmed") == "true":
                assert code.get("source"), f"{f.name} line {code.sourceline}: confirmed without a source"
            total += 1
    assert total > 300


@pytest.mark.parametrize("list_id", code_list_ids())
def test_code_lists_load(list_id: str) -> None:
    cl = load_code_list(list_id)
    assert cl.id == list_id and cl.codes
    for value, code in cl.codes.items():
        assert code.value == value and code.name and isinstance(code.confirmed, bool)


def test_reject_codes_from_the_market_notes() -> None:
    codes = load_code_list("reject-reasons").codes
    for c in ("SHF", "SNP", "FME", "LFG", "MVO", "TDR", "SOP", "NFI", "A13", "A78"):
        assert codes[c].confirmed, c
    assert not codes["A76"].confirmed
    assert "814_11" in codes["SNP"].used_in


def test_confirmed_items_carry_a_source() -> None:
    for g in all_guides():
        for _, seg in g.segments():
            for item in (seg, *seg.elements):
                if item.confirmed:
                    assert item.source, f"{g.code} {getattr(item, 'ref', seg.label())}"


def test_counts_add_up() -> None:
    total = {"confirmed": 0, "assumed": 0}
    for g in all_guides():
        for k, v in guide_counts(g).items():
            total[k] += v
    assert total["confirmed"] > 500 and total["assumed"] > 500


# explanations ===================================================================================


@pytest.mark.parametrize("code", EXPECTED)
def test_explain_guide_lists_every_segment(code: str) -> None:
    text = explain_guide(code)
    g = load_guide(code)
    assert text.startswith(code)
    for _, seg in g.segments():
        assert seg.label() in text
        for e in seg.elements:
            assert e.ref in text
    for loop in g.loops():
        assert f"Loop {loop.id}" in text
    assert "confirmed" in text and "assumed" in text


def test_explain_guide_marks_retired() -> None:
    assert "RETIRED" in explain_guide("814_10")


def test_explain_transaction_in_market_language() -> None:
    from edi.x12 import Segment, TransactionSet
    from tests.edi.test_catalog import _fragment

    segs = [Segment(s, i + 3) for i, s in enumerate(_fragment("814_04-accept.st"))]
    isa = Segment(["ISA", "00", "", "00", "", "01", "1039940674000", "01", "183529049", "250303", "1015", "U", "00401",
                   "000000001", "0", "P", ">"])
    gs = Segment(["GS", "GE", "1039940674000", "183529049", "20250303", "1015", "1", "X", "004010"])
    lines = explain_transaction(TransactionSet.from_segments(segs, isa, gs, "x"))
    assert lines[0].startswith("Transaction 814_04 Enrollment notification response [accept]")
    assert "TDSP 1039940674000 -> ERCOT 183529049" in lines[0]
    assert "DTM*150 Service period start: 2025-03-06 (scheduled meter read date)" in lines
    assert "REF*MT Meter type: KHMON (kWh, monthly read)" in lines
    assert "  ASI01 Action code: WQ (Accept)" in lines
    assert "  BGN03 Transaction date: 2025-03-03" in lines


def test_explain_unknown_transaction() -> None:
    from edi.x12 import Segment, TransactionSet

    segs = [Segment(["ST", "856", "0001"]), Segment(["BSN", "00", "X"]), Segment(["SE", "3", "0001"])]
    lines = explain_transaction(TransactionSet.from_segments(segs, Segment(["ISA"]), Segment(["GS"]), "x"))
    assert "not identified" in lines[0] and "BSN*00*X" in lines


def test_loop_specs_are_typed() -> None:
    g = load_guide("867_03")
    ptds = [c for c in g.body if isinstance(c, LoopSpec) and c.id == "PTD"]
    assert [p.trigger.qualifier for p in ptds] == ["SU", "PL"]
    assert g.match("PTD", "PL") is ptds[1]


def test_docs_list_every_guide() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "guides.md").read_text()
    for code in guide_codes():
        assert f"\n| {code} |" in docs, code


def test_public_api_is_exported() -> None:
    import edi.texas_set as ts

    for name in ts.__all__:
        assert getattr(ts, name) is not None, name
    assert {"load_guide", "identify", "explain_guide", "explain_transaction", "Guide"} <= set(ts.__all__)


def test_the_guides_page_counts_what_the_guides_hold() -> None:
    """docs/guides.md's table of transactions gives each guide's confirmed / assumed counts."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "guides.md").read_text()
    rows = dict(re.findall(r"^\| (\d{3}(?:_[0-9A-Z]{2})?) \|.*\| (\d+ / \d+) \|$", doc, re.M))
    assert set(rows) == set(guide_codes())
    for code, quoted in rows.items():
        counts = guide_counts(load_guide(code))
        assert quoted == f"{counts['confirmed']} / {counts['assumed']}", code
