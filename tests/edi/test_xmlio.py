"""X12 <-> XML and model <-> JSON round trips, and the hardened XML parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi import testing as S
from edi.errors import MappingError
from edi.texas_set.mapping import transaction
from edi.texas_set.xmlio import (
    model_from_json,
    model_from_xml,
    model_to_json,
    model_to_xml,
    parse_xml,
    segments_to_xml,
    x12_to_xml,
    xml_to_segments,
    xml_to_x12,
)
from tests.edi.test_golden import golden_files


@settings(max_examples=40, deadline=None)
@given(model=S.any_model())
def test_model_xml_round_trip(model: object) -> None:
    xml = model_to_xml(model)  # type: ignore[arg-type]
    assert model_from_xml(xml) == model


@settings(max_examples=40, deadline=None)
@given(model=S.any_model())
def test_model_json_round_trip(model: object) -> None:
    text = model_to_json(model)  # type: ignore[arg-type]
    back = model_from_json(text)
    assert back == model
    assert transaction(back) == transaction(model)  # type: ignore[arg-type]


_VALUE = st.text(S.TEXT_ALPHABET, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    segs=st.lists(
        st.tuples(st.sampled_from(["BGN", "REF", "DTM", "N1", "IT1", "AK4"]), st.lists(_VALUE, max_size=8)),
        min_size=1,
        max_size=6,
    )
)
def test_any_segment_list_round_trips(segs: list[tuple[str, list[str]]]) -> None:
    segments = [[sid, *els] for sid, els in segs]
    back, attrs = xml_to_segments(segments_to_xml(segments, code="867_03"))
    assert back == segments
    assert attrs == {"code": "867_03"}


@pytest.mark.parametrize("path", golden_files()[::6], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_file_to_xml_and_back_is_byte_identical(path: Path) -> None:
    data = path.read_bytes()
    xml = x12_to_xml(data)
    assert b"<ISA06>" in xml and b"<ST01>" in xml and b"<SE02>" in xml
    assert xml_to_x12(xml) == data


def test_xml_names_segments_and_elements() -> None:
    root = segments_to_xml([["DTM", "150", "20250306"], ["ITD", "", "", "", "", "", "20250513"]])
    dtm, itd = root
    assert (dtm.tag, [c.tag for c in dtm], [c.text for c in dtm]) == ("DTM", ["DTM01", "DTM02"], ["150", "20250306"])
    assert [c.tag for c in itd] == ["ITD06"]


def test_entities_and_doctype_are_refused() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<transaction code="997"><AK1><AK101>&x;</AK101></AK1></transaction>')
    with pytest.raises(MappingError, match="DOCTYPE"):
        parse_xml(evil)


def test_bad_xml_is_located() -> None:
    with pytest.raises(MappingError, match=r"doc.xml line 1"):
        parse_xml(b"<transaction><BGN>", "doc.xml")
    bad = b'<transaction code="997">\n<AK1><AK101>GE</AK101>\n<DTM02>1</DTM02></AK1></transaction>'
    with pytest.raises(MappingError, match=r"doc.xml line 3 <DTM02>: <DTM02> is not an element of AK1"):
        xml_to_segments(bad, "doc.xml")
    twice = b"<t><REF><REF02>A</REF02><REF01>Q5</REF01></REF></t>"
    with pytest.raises(MappingError, match="out of order"):
        xml_to_segments(twice)
    with pytest.raises(MappingError, match="needs a code attribute"):
        model_from_xml(b"<transaction><AK1><AK101>GE</AK101></AK1></transaction>")


def test_bad_json_is_reported() -> None:
    with pytest.raises(MappingError, match="not JSON"):
        model_from_json("{")
    with pytest.raises(MappingError, match="no model for transaction code '999_01'"):
        model_from_json('{"code": "999_01"}')
    with pytest.raises(MappingError, match="esi_id"):
        model_from_json('{"code": "867_04", "ref": "A", "date": "2025-03-06", "esi_id": "12", '
                        '"meters": [{"start": "2025-03-05", "end_reading": 0}]}')


@pytest.mark.parametrize("suffix", ["\n", "\r\n"])
def test_segment_suffix_survives_xml(suffix: str) -> None:
    data = (Path(__file__).parent / "golden" / "867_03" / "monthly.x12").read_bytes()
    data = data.replace(b"~", ("~" + suffix).encode())
    assert xml_to_x12(x12_to_xml(data)) == data


_ENV = ("ISA*00*          *00*          *01*123456789      *01*183529049      *250303*1015*U*00401*000004711*0*P*>~"
        "GS*GE*123456789*183529049*20250303*1015*4711*X*004010~ST*814*0001~BGN*13*A1*20250303~SE*3*0001~GE*1*4711~"
        "IEA*1*000004711~")


def test_a_file_with_a_control_character_terminator_goes_to_xml_and_back() -> None:
    """0x1C as the segment terminator (a file that validates clean) is kept as U+001C."""
    data = _ENV.replace("~", "\x1c").encode("latin-1")
    xml = x12_to_xml(data)
    assert b'segment="U+001C"' in xml
    assert xml_to_x12(xml) == data


def test_a_control_character_inside_a_value_is_an_edi_error_naming_the_element() -> None:
    data = _ENV.replace("BGN*13*A1", "BGN*13*A\x011").encode("latin-1")
    with pytest.raises(MappingError, match=r"BGN02 holds the control character U\+0001"):
        x12_to_xml(data)


def test_text_outside_latin_1_is_an_edi_error_not_a_unicode_error() -> None:
    xml = x12_to_xml(_ENV.encode()).decode().replace("<BGN02>A1<", "<BGN02>A1\u20ac<")
    with pytest.raises(MappingError, match=r"'€' \(U\+20AC\) in segment BGN is not a Latin-1 character"):
        xml_to_x12(xml.encode())


def test_fuzz_found_inputs_are_edi_errors() -> None:
    """Found by python -m bench fuzz: a line break after only some segments (the XML keeps
    one suffix, so it would not give the bytes back) and a line break inside a segment ID."""
    uneven = _ENV.replace("~", "~\n", 1).encode()  # a line break after the ISA only
    with pytest.raises(MappingError, match="not all terminated alike"):
        x12_to_xml(uneven)
    with pytest.raises(MappingError, match=r"segment ID '\\nSE' cannot be an XML element name"):
        x12_to_xml(_ENV.replace("~SE*", "~\nSE*").encode())
    crlf = _ENV.replace("~", "~\r\n").encode()
    assert xml_to_x12(x12_to_xml(crlf)) == crlf  # the same suffix everywhere is kept
    with pytest.raises(MappingError, match="cannot be an XML element name"):
        segments_to_xml([["ASI\n", "7", "021"]])


def test_the_fuzz_bench_runs_clean_on_a_few_inputs(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "bench", "fuzz", "--inputs", "604", "--save", str(tmp_path)],
                          capture_output=True, text=True, cwd=root, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    result = json.loads(done.stdout)
    assert set(result["targets"]) == {"read", "validate", "ack", "xml", "scenario", "rules"}
    assert result["inputs"] == 604 and all(t["failed"] == 0 for t in result["targets"].values())
    assert sorted(t["inputs"] for t in result["targets"].values()) == [100, 100, 101, 101, 101, 101]
    assert all(t["refused"] > 0 for t in result["targets"].values())  # the mutations do break inputs
