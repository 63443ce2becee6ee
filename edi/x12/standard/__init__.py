"""The ANSI X12 004010 standard as data: transaction set tables and the segment directory.

Texas SET guides refine the X12 004010 standard; this package holds the standard itself, so
that every guide can be checked against it when it loads
(:mod:`edi.texas_set.conformance`) and every file can be checked against it when it is
validated (:mod:`edi.validate.standard`), as a real translator checks syntax before any
implementation guide.  The data lives in ``data/`` beside this module:

* ``segments.xml``: for every segment a guide, the envelope or an acknowledgement uses, each
  element's position, data element number, requirement designator, data type and length, and
  the segment's syntax notes;
* ``814.xml``, ``867.xml`` ...: one table per transaction set: segments in order per area
  with position, requirement and maximum use; loops with repeat counts, nested.

Both kinds are checked against ``data/standard.xsd`` when loaded; every file names its
sources.  Loading is cached: the standard never changes during a process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from edi.errors import GuideError
from edi.xmlsafe import hardened_parser, parse_data_file

__all__ = [
    "DATA_DIR",
    "UNBOUNDED",
    "ElementDef",
    "SegmentDef",
    "StandardLoop",
    "StandardSegment",
    "StandardTable",
    "Syntax",
    "segment_def",
    "segment_directory",
    "table",
    "table_ids",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_XSD = DATA_DIR / "standard.xsd"

#: the maximum use or repeat written ``>1`` in the standard's tables: any number
UNBOUNDED = 1 << 30


@dataclass(frozen=True, slots=True)
class Syntax:
    """A syntax note of a segment: ``P0304`` is ``Syntax("P", (3, 4))``."""

    kind: str
    positions: tuple[int, ...]

    def __str__(self) -> str:
        return self.kind + "".join(f"{p:02d}" for p in self.positions)


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One element of a segment in the 004010 segment directory."""

    pos: int
    number: str
    name: str
    req: str
    type: str
    min_len: int
    max_len: int
    #: a composite's components (its first one is what a guide describes when it gives the
    #: composite as one simple value, e.g. ``MEA04`` for the unit ``C00101``)
    components: tuple[ElementDef, ...] = ()

    @property
    def composite(self) -> bool:
        return self.type == "composite"


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """A segment of the 004010 directory: its elements in order and its syntax notes."""

    id: str
    name: str
    elements: tuple[ElementDef, ...]
    syntax: tuple[Syntax, ...]

    def element(self, pos: int) -> ElementDef | None:
        """The element at 1-based position ``pos``, or None past the last one."""
        return self.elements[pos - 1] if 0 < pos <= len(self.elements) else None


@dataclass(frozen=True, slots=True)
class StandardSegment:
    """A segment's place in a transaction set table."""

    pos: str
    id: str
    req: str
    max_use: int
    area: str

    @property
    def label(self) -> str:
        return f"{self.area} {self.pos} {self.id}"


@dataclass(frozen=True, slots=True)
class StandardLoop:
    """A loop of a table: its first child is the trigger segment; requirement is the trigger's."""

    id: str
    repeat: int
    children: tuple[StandardSegment | StandardLoop, ...]

    @property
    def trigger(self) -> StandardSegment:
        first = self.children[0]
        assert isinstance(first, StandardSegment)
        return first

    @property
    def req(self) -> str:
        return self.trigger.req


@dataclass(frozen=True, slots=True)
class StandardTable:
    """A transaction set's table: ``body`` is every area's items in order, ST first, SE last."""

    id: str
    name: str
    functional_id: str
    body: tuple[StandardSegment | StandardLoop, ...]
    sources: tuple[str, ...]
    path: str


def _count(text: str) -> int:
    return UNBOUNDED if text == ">1" else int(text)


def _parse(path: Path) -> etree._Element:
    return parse_data_file(path, _schema(), "standard.xsd")


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(_XSD.read_bytes(), hardened_parser()))


@functools.cache
def segment_directory() -> dict[str, SegmentDef]:
    """Every segment of ``segments.xml`` by ID (cached).

    Raises:
        GuideError: the file is missing or broken (file, line and reason).
    """
    path = DATA_DIR / "segments.xml"
    root = _parse(path)
    out: dict[str, SegmentDef] = {}
    for seg in root.iterchildren("segment"):
        sid = seg.get("id")
        elements = []
        for n, el in enumerate(seg.iterchildren("element"), 1):
            if int(el.get("pos")) != n:
                raise GuideError(f"{sid}: element {el.get('pos')} listed as element {n}",
                                 f"{path} line {el.sourceline}")
            lo, hi = int(el.get("min") or 0), int(el.get("max") or 0)
            if el.get("type") != "composite" and (hi <= 0 or lo > hi):
                raise GuideError(f"{sid}{n:02d}: lengths {lo}/{hi} are not a range", f"{path} line {el.sourceline}")
            components = tuple(
                ElementDef(int(c.get("pos")), c.get("number"), c.get("name"), c.get("req"), c.get("type"),
                           int(c.get("min")), int(c.get("max")))
                for c in el.iterchildren("component")
            )
            elements.append(ElementDef(n, el.get("number"), el.get("name"), el.get("req"), el.get("type"), lo, hi,
                                       components))
        syntax = []
        for note in seg.iterchildren("syntax"):
            positions = tuple(int(p) for p in note.get("positions").split())
            if max(positions) > len(elements):
                raise GuideError(f"{sid}: syntax note {note.get('kind')} names element {max(positions)} "
                                 f"of {len(elements)}", f"{path} line {note.sourceline}")
            syntax.append(Syntax(note.get("kind"), positions))
        out[sid] = SegmentDef(sid, seg.get("name"), tuple(elements), tuple(syntax))
    return out


def segment_def(segment_id: str) -> SegmentDef | None:
    """The directory entry of a segment ID, or None when the directory does not hold it."""
    return segment_directory().get(segment_id)


def table_ids() -> list[str]:
    """The transaction sets whose tables are shipped (``['650', '810', ...]``)."""
    return sorted(p.stem for p in DATA_DIR.glob("[0-9][0-9][0-9].xml"))


@functools.cache
def table(st01: str) -> StandardTable | None:
    """The 004010 table of transaction set ``st01`` (cached), or None when none is shipped.

    Raises:
        GuideError: the table file is broken (file, line and reason).
    """
    if not (len(st01) == 3 and st01.isdigit()):
        return None
    path = DATA_DIR / f"{st01}.xml"
    if not path.is_file():
        return None
    root = _parse(path)
    if root.get("id") != st01:
        raise GuideError(f"table id {root.get('id')!r} does not match the file name", f"{path} line {root.sourceline}")
    body: list[StandardSegment | StandardLoop] = []
    for area in root.iterchildren("area"):
        body.extend(_item(path, c, area.get("name")) for c in area if isinstance(c.tag, str))
    first, last = body[0], body[-1]
    if not (isinstance(first, StandardSegment) and first.id == "ST"):
        raise GuideError("a table begins with ST", str(path))
    if not (isinstance(last, StandardSegment) and last.id == "SE"):
        raise GuideError("a table ends with SE", str(path))
    return StandardTable(
        st01, root.get("name"), root.get("functionalId"), tuple(body),
        tuple((s.text or "").strip() for s in root.find("sources")), str(path),
    )


def _item(path: Path, el: etree._Element, area: str) -> StandardSegment | StandardLoop:
    if el.tag == "loop":
        children = tuple(_item(path, c, area) for c in el if isinstance(c.tag, str))
        return StandardLoop(el.get("id"), _count(el.get("repeat")), children)
    return StandardSegment(el.get("pos"), el.get("id"), el.get("req"), _count(el.get("max")), area)
