"""The X12 004010 standard as a guide the validator can walk, and the layer of each finding.

A real translator checks a transaction set against the X12 standard first (its syntax
errors go back in a 997, AK3/AK4) and against an implementation guide second (a Texas SET
system answers those with an 824 or a reject).  The validator does both and says which is
which: every :class:`~edi.findings.Finding` has ``layer`` ``"x12"`` or ``"texas-set"``.

* :func:`standard_guide` turns a transaction set table of :mod:`edi.x12.standard` into a
  compiled guide: the table's loops and segments (ST and SE left out, as in every guide), each
  segment's elements from the segment directory (``X`` requirements as optional elements plus
  the segment's syntax notes).  A segment the directory does not hold is checked for its
  place only.  :func:`edi.validate.walker.check_transaction` walks it like any guide, with
  the same layout memo.
* :func:`classify` decides the layer of an element finding of a guide: the standard's rule
  for that element is checked on the offending value; only what the standard itself forbids
  is an ``x12`` finding.  Guides never widen the standard (they are checked against it when
  they load, :mod:`edi.texas_set.conformance`), so a value a guide accepts is one the
  standard accepts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

from edi.datatypes import checker
from edi.findings import Finding
from edi.validate.compiled import CompiledGuide, CompiledLoop, compile_guide
from edi.x12.standard import StandardLoop, StandardSegment, StandardTable, segment_def, table

__all__ = ["classify", "standard_guide"]

#: element findings whose rule a guide adds on top of the standard (codes, shapes, usage N)
_GUIDE_ONLY = frozenset({"invalid-code", "element-not-used", "invalid-esi-id", "invalid-duns"})


@dataclass(frozen=True, slots=True)
class _Element:
    pos: int
    ref: str
    name: str
    usage: str
    type: str
    min_len: int
    max_len: int
    codes: None = None
    code_names: None = None
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class _Condition:
    kind: str
    positions: tuple[int, ...]
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class _Segment:
    id: str
    name: str
    usage: str
    max_use: int
    elements: tuple[_Element, ...]
    conditions: tuple[_Condition, ...]
    qualifier: None = None
    confirmed: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Loop:
    id: str
    name: str
    usage: str
    max_repeat: int
    children: tuple[Any, ...]
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class _Table:
    code: str
    st01: str
    functional_id: str
    body: tuple[Any, ...]
    confirmed: bool = True


def _segment(place: StandardSegment) -> _Segment:
    definition = segment_def(place.id)
    name = f"{place.id} ({place.area} position {place.pos})"
    if definition is None:
        return _Segment(place.id, name, place.req, place.max_use, (), ())
    elements = tuple(
        _Element(e.pos, f"{place.id}{e.pos:02d}", e.name, "M" if e.req == "M" else "O",
                 # a composite is checked for its length only (its components are not split)
                 "AN" if e.composite else e.type, e.min_len if not e.composite else 1,
                 e.max_len if not e.composite else 1 << 20)
        for e in definition.elements
    )
    conditions = tuple(_Condition(s.kind, s.positions) for s in definition.syntax)
    return _Segment(place.id, f"{definition.name}, {place.area} position {place.pos}", place.req, place.max_use, elements, conditions)


def _item(item: StandardSegment | StandardLoop) -> Any:
    if isinstance(item, StandardLoop):
        return _Loop(item.id, f"loop {item.id}", item.req, item.repeat, tuple(_item(c) for c in item.children))
    return _segment(item)


def _unchecked(_els: list[str]) -> bool:
    return True


def _open_unknown(loop: CompiledLoop) -> None:
    """Segments the directory does not hold: their place is checked, their elements are not."""
    for child in loop.children:
        if isinstance(child, CompiledLoop):
            _open_unknown(child)
        elif not child.elements:
            child.ok = _unchecked


@functools.cache
def standard_guide(st01: str) -> CompiledGuide | None:
    """The compiled X12 004010 table of ``st01`` (cached), or None when none is shipped.

    Raises:
        GuideError: the standard's data files are broken.
    """
    std: StandardTable | None = table(st01)
    if std is None:
        return None
    body = tuple(_item(i) for i in std.body if not (isinstance(i, StandardSegment) and i.id in ("ST", "SE")))
    cg = compile_guide(_Table(f"X12 004010 {st01}", st01, std.functional_id, body))
    _open_unknown(cg.body)
    return cg


@functools.cache
def _type_check(seg_id: str, pos: int) -> tuple[Any, int, int, str] | None:
    definition = segment_def(seg_id)
    e = definition.element(pos) if definition else None
    if e is None or e.composite:
        return None
    return checker(e.type, e.min_len, e.max_len), e.min_len, e.max_len, e.req


def classify(finding: Finding, segment_id: str) -> Finding:
    """The finding with ``layer="x12"`` when the standard itself forbids what it reports.

    ``segment_id`` is the ID of the segment the finding is in.  Only element findings of a
    guide are reconsidered; anything else is returned as it is.
    """
    code = finding.code
    if code in _GUIDE_ONLY or finding.info.level != "element":
        return finding
    ref = finding.location.element
    definition = segment_def(segment_id)
    if definition is None or not ref[-2:].isdigit():
        return finding
    pos = int(ref[-2:])
    if code == "element-too-many":
        return _x12(finding) if pos > len(definition.elements) else finding
    rule = _type_check(segment_id, pos)
    if rule is None:
        return finding
    check, lo, hi, req = rule
    if code == "element-missing":
        return _x12(finding) if req == "M" else finding
    if code in ("element-conditional-missing", "element-exclusion"):
        kinds = ("E",) if code == "element-exclusion" else ("P", "R", "C", "L")
        hit = any(s.kind in kinds and pos in s.positions for s in definition.syntax)
        return _x12(finding) if hit else finding
    value = finding.value
    if value is None:
        return finding
    return _x12(finding) if check(value) is not None else finding


def _x12(finding: Finding) -> Finding:
    return replace(finding, layer="x12")

