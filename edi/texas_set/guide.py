"""Texas SET implementation guides: XML data, checked against ``guide.xsd``, compiled once.

A guide is one XML file per transaction (``guides/814_01.xml`` ...).  Loading one

1. parses it with a hardened lxml parser: no DTD, no entities, no network, no huge trees;
   a file with a ``<!DOCTYPE`` is refused outright;
2. checks it against ``guides/guide.xsd``; a failure raises :class:`~edi.errors.GuideError`
   naming the file, the line and the schema's message;
3. checks what a schema cannot: references to code lists in ``codes/``, element positions
   that fit their segment, conditions that name existing elements, identification keys that
   name something in the guide, and that the guide stays within the X12 004010 standard
   (:mod:`edi.texas_set.conformance`: segment order and nesting, repeats, element types and
   lengths, mandatory items, syntax notes);
4. compiles it into the frozen dataclasses of :mod:`edi.texas_set.spec`, made for a fast validator: every loop has
   an ``index`` from ``(segment id, qualifier)`` to its child spec, every element its codes as
   a ``frozenset``.

Each compiled item keeps ``confirmed`` (True only for facts seen in a named source, ``[C]`` in
the domain notes) so that findings and explanations can say what is known and what is assumed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from lxml import etree

from edi.errors import GuideError
from edi.texas_set.conformance import check_guide
from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.spec import (
    Code,
    CodeList,
    Condition,
    ElementSpec,
    Flow,
    Guide,
    LoopSpec,
    Note,
    SegmentSpec,
    _walk,
)
from edi.xmlsafe import parse_data_file

__all__ = [
    "CODES_DIR", "ERCOT_DUNS", "GUIDES_DIR", "Code", "CodeList", "Condition", "ElementSpec",
    "Flow", "Guide", "LoopSpec", "Note", "SegmentSpec", "all_guides", "code_list_ids",
    "guide_codes", "load_code_list", "load_guide", "load_guide_file",
]


GUIDES_DIR = Path(__file__).resolve().parent / "guides"
CODES_DIR = Path(__file__).resolve().parent / "codes"
_XSD = GUIDES_DIR / "guide.xsd"
_CODE_RE = re.compile(r"[0-9]{3}(_[0-9A-Z]{2})?")
_LIST_RE = re.compile(r"[a-z0-9][a-z0-9-]*")

# parsing ========================================================================================




@functools.cache
def _schema() -> etree.XMLSchema:
    root = _parse(_XSD)
    try:
        return etree.XMLSchema(root)
    except etree.XMLSchemaParseError as exc:  # pragma: no cover - the shipped schema is tested
        raise GuideError(f"guide schema is broken: {exc}", str(_XSD)) from None


def _parse(path: Path) -> etree._Element:
    """Parse one XML file safely and check it against the schema (except the schema itself)."""
    root = parse_data_file(path)
    if path != _XSD:
        schema = _schema()
        if not schema.validate(root):
            err = schema.error_log[0]
            raise GuideError(f"does not match guide.xsd: {err.message}", f"{path} line {err.line}")
        for el in root.iter():
            # a fact marked confirmed must say where it was seen
            if el.get("confirmed") in ("true", "1") and not el.get("source"):
                raise GuideError(f"<{el.tag}> is marked confirmed=\"true\" but names no source",
                                 f"{path} line {el.sourceline}")
    return root


def _fail(path: Path, el: etree._Element, reason: str) -> GuideError:
    return GuideError(reason, f"{path} line {el.sourceline}")


def _mark(el: etree._Element) -> tuple[bool, str | None]:
    return el.get("confirmed") in ("true", "1"), el.get("source")


# code lists =====================================================================================


@functools.cache
def load_code_list(list_id: str) -> CodeList:
    """Load ``codes/<list_id>.xml`` (cached).

    Raises:
        GuideError: the list does not exist or does not match the schema.
    """
    if not _LIST_RE.fullmatch(list_id):
        raise GuideError(f"invalid code list name {list_id!r}")
    return _load_code_list_file(CODES_DIR / f"{list_id}.xml")


def _load_code_list_file(path: Path) -> CodeList:
    if not path.is_file():
        raise GuideError(f"code list {path.stem!r} does not exist", str(path))
    root = _parse(path)
    if root.tag != "codeList":
        raise _fail(path, root, f"expected a <codeList> root element, found <{root.tag}>")
    if root.get("id") != path.stem:
        raise _fail(path, root, f"code list id {root.get('id')!r} does not match the file name")
    codes = {}
    for el in root.iterchildren("code"):
        conf, src = _mark(el)
        used = tuple((el.get("usedIn") or "").split())
        codes[el.get("value")] = Code(el.get("value"), (el.text or "").strip(), conf, src, used)
    desc = root.find("description")
    conf, _ = _mark(root)
    return CodeList(
        root.get("id"),
        root.get("name"),
        MappingProxyType(codes),
        conf,
        (desc.text or "").strip() if desc is not None else "",
        root.get("element") or "",
    )


def code_list_ids() -> list[str]:
    """Every code list in ``codes/``, sorted."""
    return sorted(p.stem for p in CODES_DIR.glob("*.xml"))


# guides =========================================================================================


def guide_codes() -> list[str]:
    """Every guide in ``guides/``, sorted (``['650_01', ..., '997']``)."""
    return sorted(p.stem for p in GUIDES_DIR.glob("*.xml") if _CODE_RE.fullmatch(p.stem))


@functools.cache
def load_guide(code: str) -> Guide:
    """Load, check and compile the guide for a transaction code such as ``814_01`` (cached).

    Raises:
        GuideError: the guide does not exist, or is broken (file, line and reason given).
    """
    if not _CODE_RE.fullmatch(code or ""):
        raise GuideError(f"{code!r} is not a Texas SET transaction code such as 814_01")
    path = GUIDES_DIR / f"{code}.xml"
    if not path.is_file():
        raise GuideError(f"no guide for {code}; known: {', '.join(guide_codes())}")
    return load_guide_file(path)


def all_guides() -> list[Guide]:
    """Every guide, compiled, in :func:`guide_codes` order."""
    return [load_guide(c) for c in guide_codes()]


def load_guide_file(path: str | Path) -> Guide:
    """Load, check and compile one guide file (not cached; :func:`load_guide` is).

    Raises:
        GuideError: unreadable, unsafe (DOCTYPE/entities), not matching the schema, or
            inconsistent (bad code list reference, element position, condition, key).
    """
    path = Path(path)
    root = _parse(path)
    if root.tag != "guide":
        raise _fail(path, root, f"expected a <guide> root element, found <{root.tag}>")
    code = root.get("code")
    if path.stem != code:
        raise _fail(path, root, f"guide code {code!r} does not match the file name {path.name!r}")
    if not code.startswith(root.get("st01")):
        raise _fail(path, root, f"guide code {code!r} does not start with ST01 {root.get('st01')!r}")
    body = tuple(_compile_item(path, el) for el in root.find("body") if isinstance(el.tag, str))
    flows = tuple(Flow(f.get("sender"), f.get("receiver"), *_mark(f)) for f in root.find("flows"))
    identify: dict[str, str] = {}
    identify_conf: dict[str, bool] = {}
    by_key: dict[tuple[str, str | None], SegmentSpec] = {}
    refs: set[str] = set()
    for _, seg in _walk(body, ()):
        by_key.setdefault(seg.key, seg)
        refs.update(e.ref for e in seg.elements)
    for el in root.find("identify"):
        key = el.get("key")
        ok = (tuple(key.split("*", 1)) in by_key) if "*" in key else key in refs
        if not ok:
            raise _fail(path, el, f"identification key {key} names no element or segment of this guide")
        identify[key] = el.get("value")
        identify_conf[key] = _mark(el)[0]
    purpose = root.find("purpose")
    notes_el = root.find("notes")
    notes = tuple(Note((n.text or "").strip(), *_mark(n)) for n in notes_el) if notes_el is not None else ()
    conf, _ = _mark(root)
    guide = Guide(
        code=code,
        name=root.findtext("name").strip(),
        st01=root.get("st01"),
        functional_id=root.get("functionalId"),
        sender_role=flows[0].sender,
        receiver_role=flows[0].receiver,
        purpose=(purpose.text or "").strip(),
        identify=MappingProxyType(identify),
        body=body,
        retired=root.get("retired") in ("true", "1"),
        confirmed=conf,
        notes=notes,
        flows=flows,
        sources=tuple((s.text or "").strip() for s in root.find("sources")),
        identify_confirmed=MappingProxyType(identify_conf),
        index=_index(path, root.find("body"), body),
        path=str(path),
        purpose_confirmed=_mark(purpose)[0],
        by_key=MappingProxyType(by_key),
    )
    check_guide(guide)  # never wider than the X12 004010 standard it refines
    return guide


def _index(path: Path, el: etree._Element, children: tuple) -> Mapping:
    index: dict[tuple[str, str | None], SegmentSpec | LoopSpec] = {}
    xml_children = [c for c in el if isinstance(c.tag, str) and c.tag in ("segment", "loop")]
    for xml, child in zip(xml_children, children, strict=True):
        if child.key in index:
            raise _fail(path, xml, f"{child.key[0]}{'*' + child.key[1] if child.key[1] else ''} appears twice "
                        "at this level; give each a distinct qualifier")
        index[child.key] = child
    return MappingProxyType(index)


def _compile_item(path: Path, el: etree._Element) -> SegmentSpec | LoopSpec:
    if el.tag == "loop":
        children = tuple(_compile_item(path, c) for c in el if isinstance(c.tag, str))
        if not isinstance(children[0], SegmentSpec):
            raise _fail(path, el, f"loop {el.get('id')} must start with its trigger segment")
        conf, src = _mark(el)
        return LoopSpec(
            el.get("id"), el.get("name"), el.get("usage"), int(el.get("max")), children,
            conf, el.get("note"), src, _index(path, el, children),
        )
    return _compile_segment(path, el)


def _compile_segment(path: Path, el: etree._Element) -> SegmentSpec:
    sid = el.get("id")
    qual = el.get("qualifier")
    elements = tuple(_compile_element(path, sid, e) for e in el.iterchildren("element"))
    by_pos: dict[int, ElementSpec] = {}
    for xml, spec in zip(el.iterchildren("element"), elements, strict=True):
        if spec.pos in by_pos:
            raise _fail(path, xml, f"{spec.ref} is listed twice in segment {sid}")
        if by_pos and spec.pos < max(by_pos):
            raise _fail(path, xml, f"{spec.ref} comes after {sid}{max(by_pos):02d}; list elements in order")
        by_pos[spec.pos] = spec
    if qual is not None:
        first = by_pos.get(1)
        if first is None or (first.codes is not None and qual not in first.codes):
            raise _fail(path, el, f"qualifier {qual} of {sid} is not a code of {sid}01 in this guide")
    conditions = []
    for c in el.iterchildren("condition"):
        positions = tuple(int(p) for p in c.get("positions").split())
        missing = [p for p in positions if p not in by_pos]
        if missing:
            raise _fail(path, c,
                        f"condition {c.get('kind')} names {sid}{missing[0]:02d}, which the segment does not list")
        conditions.append(Condition(c.get("kind"), positions, *_mark(c)))
    conf, src = _mark(el)
    return SegmentSpec(
        sid, qual, el.get("name"), el.get("usage"), int(el.get("max")), elements, tuple(conditions),
        conf, el.get("note"), el.get("pos"), src, MappingProxyType(by_pos),
    )


def _compile_element(path: Path, sid: str, el: etree._Element) -> ElementSpec:
    pos = int(el.get("pos"))
    ref = el.get("ref")
    if ref != f"{sid}{pos:02d}":
        raise _fail(path, el, f"element ref {ref} does not match segment {sid} position {pos}")
    lo, hi = int(el.get("min")), int(el.get("max"))
    if lo > hi:
        raise _fail(path, el, f"{ref}: min length {lo} is greater than max length {hi}")
    names: dict[str, str] = {}
    confs: dict[str, bool] = {}
    list_id = el.get("codeList")
    if list_id:
        try:
            clist = load_code_list(list_id)
        except GuideError as exc:
            raise _fail(path, el, f"{ref}: {exc.reason}") from None
        subset = (el.get("codes") or "").split() or list(clist.codes)
        for value in subset:
            code = clist.codes.get(value)
            if code is None:
                raise _fail(path, el, f"{ref}: code {value} is not in code list {list_id}")
            names[value] = code.name
            confs[value] = code.confirmed
    elif el.get("codes"):
        raise _fail(path, el, f"{ref}: 'codes' narrows a code list; give codeList as well")
    for c in el.iterchildren("code"):
        value = c.get("value")
        if value in names:
            raise _fail(path, c, f"{ref}: code {value} is listed twice")
        names[value] = (c.text or "").strip()
        confs[value] = _mark(c)[0]
    for value in names:
        if not lo <= len(value) <= hi:
            raise _fail(path, el, f"{ref}: code {value} does not fit the length {lo}-{hi}")
    conf, src = _mark(el)
    return ElementSpec(
        pos, ref, el.get("name"), el.get("usage"), el.get("type"), lo, hi,
        frozenset(names) if names else None, MappingProxyType(names), conf,
        MappingProxyType(confs), list_id, el.get("note"), src,
    )
