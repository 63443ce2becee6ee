"""X12 as XML (lxml) and business models as JSON, both round-tripping.

XML keeps the X12 structure and names everything by segment and element reference::

    <transaction code="867_03">
      <ST><ST01>867</ST01><ST02>0001</ST02></ST>
      <DTM><DTM01>150</DTM01><DTM02>20250306</DTM02></DTM>
      ...
    </transaction>

Empty elements are left out (their positions are in the names); a segment that ends with
empty elements says how many elements it has (``n="4"``), so any segment list comes back
exactly.  A whole file (:func:`x12_to_xml`) keeps its delimiters as attributes and comes
back byte for byte (:func:`xml_to_x12`).

XML is parsed with a hardened parser: no DTD, no entity expansion, no network access, no
huge trees; a document with a ``<!DOCTYPE`` is refused.  Bad XML raises
:class:`~edi.errors.MappingError` naming the line and the element.

JSON is the pydantic rendering of a model with its ``code``; :func:`model_from_json` picks
the model class from that code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from edi.errors import MappingError
from edi.texas_set.mapping import from_segments, transaction
from edi.texas_set.models import TxModel, model_for
from edi.x12.delimiters import Delimiters
from edi.x12.reader import Source, X12Reader
from edi.x12.segment import Segment
from edi.x12.writer import format_segments
from edi.xmlsafe import hardened_parser

__all__ = [
    "segments_to_xml",
    "xml_to_segments",
    "x12_to_xml",
    "xml_to_x12",
    "model_to_xml",
    "model_from_xml",
    "model_to_json",
    "model_from_json",
    "parse_xml",
]

_SEG_RE = re.compile(r"^[A-Z][A-Z0-9]{1,2}\Z")
_MAX_ELEMENTS = 99




def parse_xml(data: bytes | str, name: str = "<xml>") -> etree._Element:
    """Parse XML text with the hardened parser.

    Raises:
        MappingError: not well-formed, or it declares a DOCTYPE.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        root = etree.fromstring(raw, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise MappingError(f"not well-formed XML: {exc.msg}", f"{name} line {exc.lineno}") from None
    if root.getroottree().docinfo.doctype:
        raise MappingError("a DOCTYPE is not allowed", f"{name} line 1")
    return root


# -- segments <-> XML --------------------------------------------------------------------

def _segment_element(els: Sequence[str]) -> etree._Element:
    sid = els[0]
    if not _SEG_RE.fullmatch(sid):
        raise MappingError(f"segment ID {sid!r} cannot be an XML element name")
    node = etree.Element(sid)
    for pos in range(1, len(els)):
        value = els[pos]
        if value != "":
            child = etree.SubElement(node, f"{sid}{pos:02d}")
            try:
                child.text = value
            except ValueError:  # XML 1.0 cannot carry control characters, not even escaped
                bad = next(ch for ch in value if not _xml_char(ch))
                raise MappingError(f"{sid}{pos:02d} holds the control character U+{ord(bad):04X}, "
                                   "which XML 1.0 cannot carry; the X12 stays the only lossless form",
                                   f"segment {sid}") from None
    if len(els) > 1 and els[-1] == "":
        node.set("n", str(len(els) - 1))
    return node


def segments_to_xml(segments: Sequence[Segment | Sequence[str]], root: str = "transaction",
                    **attrs: str) -> etree._Element:
    """An XML element holding the segments, one child per segment.

    Args:
        segments: element lists or :class:`~edi.x12.segment.Segment` objects.
        root: the root element's name.
        attrs: attributes of the root (``code="867_03"``).
    """
    node = etree.Element(root, {k: v for k, v in attrs.items() if v is not None})
    for s in segments:
        node.append(_segment_element(s.elements if isinstance(s, Segment) else s))
    return node


def _where(name: str, node: etree._Element) -> str:
    return f"{name} line {node.sourceline} <{node.tag}>"


def _no_text(node: etree._Element, name: str) -> None:
    if node.text is not None and node.text.strip():
        raise MappingError(f"unexpected text {node.text.strip()!r}", _where(name, node))
    for child in node:
        if child.tail is not None and child.tail.strip():
            raise MappingError(f"unexpected text {child.tail.strip()!r}", _where(name, child))


def _read_segment(node: etree._Element, name: str) -> list[str]:
    sid = node.tag
    if not isinstance(sid, str) or not _SEG_RE.fullmatch(sid):
        raise MappingError(f"{sid!r} is not a segment ID", _where(name, node))
    _no_text(node, name)
    values: dict[int, str] = {}
    for child in node:
        tag = child.tag
        if (not isinstance(tag, str) or not tag.startswith(sid) or not tag[len(sid):].isdigit()
                or len(tag) != len(sid) + 2):
            raise MappingError(f"<{tag}> is not an element of {sid} (expected {sid}01 ... {sid}{_MAX_ELEMENTS})",
                               _where(name, child))
        pos = int(tag[len(sid):])
        if pos < 1 or pos in values or (values and pos < max(values)):
            raise MappingError(f"<{tag}> is out of order or repeated", _where(name, child))
        if len(child):
            raise MappingError(f"<{tag}> holds elements; it must hold text", _where(name, child))
        values[pos] = child.text or ""
    count = max(values, default=0)
    declared = node.get("n")
    if declared is not None:
        if not declared.isdigit() or int(declared) < count or int(declared) > _MAX_ELEMENTS:
            raise MappingError(f"n={declared!r} is not a valid element count (at least {count})", _where(name, node))
        count = int(declared)
    return [sid, *(values.get(p, "") for p in range(1, count + 1))]


def xml_to_segments(data: bytes | str | etree._Element, name: str = "<xml>") -> tuple[list[list[str]], dict[str, str]]:
    """The segments and root attributes of an XML document made by :func:`segments_to_xml`.

    Raises:
        MappingError: naming the line and element of the first problem.
    """
    root = data if isinstance(data, etree._Element) else parse_xml(data, name)
    _no_text(root, name)
    return [_read_segment(child, name) for child in root], dict(root.attrib)


# -- whole files -------------------------------------------------------------------------

def _xml_char(ch: str) -> bool:
    """Whether XML 1.0 can carry ``ch`` as text."""
    o = ord(ch)
    return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


def _delimiter_attr(ch: str) -> str:
    """A delimiter as an attribute: itself, or ``U+001C`` when XML cannot carry it (a single
    character is always literal, so the two forms never meet)."""
    return ch if _xml_char(ch) else f"U+{ord(ch):04X}"


def _delimiter_value(text: str) -> str:
    return chr(int(text[2:], 16)) if re.fullmatch(r"U\+[0-9A-F]{4}", text) else text


def x12_to_xml(source: Source, *, name: str | None = None) -> bytes:
    """A whole X12 file as XML (``<x12>`` with the delimiters as attributes)."""
    reader = X12Reader(source, name=name)
    segs = [s.elements for s in reader.segments()]
    d = reader.delimiters
    assert d is not None  # set once the ISA has been read
    root = segments_to_xml(segs, "x12", element=_delimiter_attr(d.element), component=_delimiter_attr(d.component),
                           segment=_delimiter_attr(d.segment), suffix="".join(map(_delimiter_attr, d.suffix)))
    if reader.trailing:
        raise MappingError("the file ends in the middle of a segment", f"{reader.name} offset {reader.trailing_offset}")
    raw = source if isinstance(source, bytes) else None
    if raw is None and isinstance(source, (str, Path)):
        raw = Path(source).read_bytes()
    if raw is not None and format_segments(segs, d).encode("latin-1", "replace") != raw:
        # the XML keeps one terminator and one suffix; a file that varies them (a line break
        # after some segments only) would not come back byte for byte: say so, lose nothing
        raise MappingError("the segments are not all terminated alike (line endings or spaces differ "
                           "from segment to segment); the XML form keeps one terminator and would not "
                           "give these bytes back", reader.name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def xml_to_x12(data: bytes | str, name: str = "<xml>") -> bytes:
    """Back from :func:`x12_to_xml` to the X12 bytes."""
    segs, attrs = xml_to_segments(data, name)
    try:
        d = Delimiters(
            element=_delimiter_value(attrs.get("element", "*")),
            component=_delimiter_value(attrs.get("component", ">")),
            segment=_delimiter_value(attrs.get("segment", "~")),
            suffix="".join(_delimiter_value(c) for c in re.findall(r"U\+[0-9A-F]{4}|.", attrs.get("suffix", ""), re.S)),
        )
    except Exception as exc:  # X12SyntaxError: a bad delimiter attribute
        raise MappingError(f"bad delimiters: {exc}", f"{name} line 1 <x12>") from None
    for els in segs:
        for v in els[1:]:
            if d.element in v or d.segment in v:
                raise MappingError(f"value {v!r} contains a delimiter", f"{name} <{els[0]}>")
    text = format_segments(segs, d)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        seg = next((els for els in segs if any(text[exc.start] in v for v in els[1:])), ["?"])
        raise MappingError(f"{text[exc.start]!r} (U+{ord(text[exc.start]):04X}) in segment {seg[0]} is not a "
                           "Latin-1 character, which the X12 files here are written in", name) from None


# -- models ------------------------------------------------------------------------------

def model_to_xml(model: TxModel, *, control: str = "0001") -> bytes:
    """A model as the XML of its transaction set (ST through SE)."""
    root = segments_to_xml(transaction(model, control=control), "transaction", code=model.code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def model_from_xml(data: bytes | str, name: str = "<xml>") -> Any:
    """The model of a ``<transaction code="...">`` document.

    Raises:
        MappingError: bad XML, no or unknown ``code``, or content the mapping refuses.
    """
    segs, attrs = xml_to_segments(data, name)
    code = attrs.get("code")
    if not code:
        raise MappingError("the <transaction> element needs a code attribute", f"{name} line 1")
    body = segs
    if body and body[0][0] == "ST":
        body = body[1:]
    if body and body[-1][0] == "SE":
        body = body[:-1]
    return from_segments(code, body, source=name)


def model_to_json(model: TxModel, *, indent: int | None = None) -> str:
    """A model as JSON (dates ISO 8601, cents as integers, decimals as strings)."""
    return model.model_dump_json(indent=indent)


def model_from_json(text: str | bytes, name: str = "<json>") -> Any:
    """The model of a JSON document with a ``code``.

    Raises:
        MappingError: not JSON, no or unknown code, or invalid for the model.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(f"not JSON: {exc.msg}", f"{name} line {exc.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        raise MappingError("a transaction needs a string 'code'", name)
    try:
        cls = model_for(data["code"])
    except KeyError as exc:
        raise MappingError(str(exc.args[0]), name) from None
    try:
        return cls.model_validate_json(text)
    except Exception as exc:  # pydantic ValidationError: say where
        errs: list[dict[str, Any]] = getattr(exc, "errors", lambda: [])()
        if errs:
            loc = ".".join(str(p) for p in errs[0].get("loc", ()))
            raise MappingError(f"{loc}: {errs[0].get('msg')}", name) from None
        raise MappingError(str(exc), name) from None
