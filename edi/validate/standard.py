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
* :func:`layered` merges the two walks: a segment with an element finding of the guide is
  checked against the segment directory, and only what the standard itself forbids is an
  ``x12`` finding.  Guides never widen the standard (they are checked against it when they
  load, :mod:`edi.texas_set.conformance`), so a segment a guide accepts is one the standard
  accepts, and the standard's element checks run only where the guide found something.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

from edi.findings import Finding
from edi.validate.compiled import CompiledGuide, CompiledLoop, CompiledSegment, compile_guide
from edi.validate.walker import GuideFinding, Reporter, check_elements, check_transaction
from edi.x12.standard import StandardLoop, StandardSegment, StandardTable, segment_def, table

__all__ = ["layered", "standard_findings", "standard_guide", "standard_segment"]

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
    texas: bool = False


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
    return _Segment(place.id, f"{definition.name}, {place.area} position {place.pos}", place.req, place.max_use,
                    elements, conditions)


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
def standard_segment(segment_id: str) -> CompiledSegment | None:
    """The segment directory's entry for ``segment_id`` as a compiled segment (cached)."""
    if segment_def(segment_id) is None:
        return None
    seg = _segment(StandardSegment("", segment_id, "O", 1, ""))
    return CompiledSegment(seg, f"X12 004010 {segment_id}")


def standard_findings(found: list[Finding]) -> list[Finding]:
    """Findings of a walk of the standard's table, worded as the standard's (not a guide's)."""
    out: list[Finding] = []
    for f in found:  # built directly: dataclasses.replace costs a third of a findings-heavy walk
        message = f.message
        if "guide X12 004010" in message:
            message = message.replace("guide X12 004010", "X12 004010")
        if isinstance(f, GuideFinding):
            out.append(GuideFinding(f.code, f.location, message, f.value, None, f.severity, f.confirmed, f.layer,
                                    f.loop))
        else:
            out.append(replace(f, guide=None, message=message))
    return out


def layered(txn: Any, std: CompiledGuide, base: list[Finding], found: list[Finding]) -> list[Finding]:
    """The standard's findings (``base``, structure only) and the guide's (``found``), each once.

    * A segment the standard already refuses is not reported again by the guide.
    * When the guide could not place a segment, its elements went unchecked: the standard's
      walk is run again with element checks.
    * Every segment with an element finding of the guide is checked against the segment
      directory; what the standard forbids is an ``x12`` finding and replaces the guide's
      finding on the same element (a guide's "not used", "too many" or code list finding may
      hide a value the standard forbids as well: a 33-character SAC13, an 8-digit ITD13).
    """
    if any(f.info.level == "segment" for f in found):
        base = check_transaction(txn, std, layer="x12")
    out = standard_findings(base)
    refused = {f.location.segment_number for f in out if f.info.level == "segment"}
    checked = {f.location.segment_number for f in out if f.info.level == "element"}
    seen = {(f.location.segment_number, f.location.element) for f in out if f.info.level == "element"}
    guide_out: list[Finding] = []
    for f in found:
        at = f.location.segment_number
        if f.info.level == "segment":
            if at not in refused:
                guide_out.append(f)
            continue
        if at is not None and at not in checked:
            checked.add(at)
            extra = _segment_findings(txn, std, at, getattr(f, "loop", ""))
            out.extend(extra)
            seen.update((x.location.segment_number, x.location.element) for x in extra)
        guide_out.append(f)
    out.extend(f for f in guide_out if (f.location.segment_number, f.location.element) not in seen)
    out.sort(key=lambda f: f.location.segment_number or 0)  # stable: the standard's first
    return out


def _segment_findings(txn: Any, std: CompiledGuide, number: int, loop: str) -> list[Finding]:
    """The standard's element findings on segment ``number`` of ``txn``."""
    i = number - txn.first_number
    if not 0 < i < len(txn.raw):
        return []
    els = txn.raw[i]
    spec = standard_segment(els[0])
    if spec is None or spec.ok(els):
        return []
    problems = check_elements(els, spec, std.code)
    if not problems:
        return []
    out: list[Finding] = []
    Reporter(txn, std.code, out, "x12").elements(i, spec, problems, loop)
    return standard_findings(out)
