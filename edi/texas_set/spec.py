"""The compiled form of a Texas SET implementation guide: frozen dataclasses for fast lookups.

:mod:`edi.texas_set.guide` loads the XML guides and compiles them into these; validators,
identification and explanations read them.  Every item keeps ``confirmed`` (True only for
facts seen in a named source) so that findings can say what is known and what is assumed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Code", "CodeList", "Condition", "ElementSpec", "Flow", "Guide", "LoopSpec", "Note", "SegmentSpec"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


def _empty() -> Mapping:
    return _EMPTY


# compiled form ==================================================================================


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a code list: value, meaning, and whether the meaning is confirmed."""

    value: str
    name: str
    confirmed: bool
    source: str | None = None
    used_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class CodeList:
    """A shared code list from ``codes/<id>.xml`` (reject reasons, REF qualifiers ...)."""

    id: str
    name: str
    codes: Mapping[str, Code]
    confirmed: bool
    description: str = ""
    element: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    """An X12 syntax note between the elements of one segment.

    ``kind``: ``P`` paired (all or none), ``R`` required (at least one), ``E`` exclusion (at
    most one), ``C`` conditional (if the first is present, all others are), ``L`` list
    conditional (if the first is present, at least one of the others is).
    """

    kind: str
    positions: tuple[int, ...]
    confirmed: bool
    source: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ElementSpec:
    """One data element of a segment as the guide uses it.

    Attributes:
        pos: 1-based position in the segment.
        ref: reference designator, e.g. ``DTM02``.
        usage: ``M`` mandatory, ``O`` optional, ``X`` situational, ``N`` not used.
        type: X12 data type ``AN``, ``ID``, ``DT``, ``TM``, ``N0``, ``N2`` or ``R``.
        codes: the valid codes, or None when the element is not coded.
        code_names: code -> meaning, for messages and explanations.
        code_confirmed: code -> whether its use here is confirmed.
    """

    pos: int
    ref: str
    name: str
    usage: str
    type: str
    min_len: int
    max_len: int
    codes: frozenset[str] | None
    code_names: Mapping[str, str]
    confirmed: bool
    code_confirmed: Mapping[str, bool] = field(default_factory=_empty)
    code_list: str | None = None
    note: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SegmentSpec:
    """One segment of a guide; ``qualifier`` (matched against element 1) tells REF*Q5 from REF*7G."""

    id: str
    qualifier: str | None
    name: str
    usage: str
    max_use: int
    elements: tuple[ElementSpec, ...]
    conditions: tuple[Condition, ...]
    confirmed: bool
    note: str | None = None
    pos: str = ""
    source: str | None = None
    by_pos: Mapping[int, ElementSpec] = field(default_factory=_empty)

    @property
    def key(self) -> tuple[str, str | None]:
        """``(id, qualifier)``, the key of this segment in its loop's index."""
        return (self.id, self.qualifier)

    def label(self) -> str:
        """``REF*Q5`` or ``BGN``."""
        return f"{self.id}*{self.qualifier}" if self.qualifier else self.id


@dataclass(frozen=True, slots=True, eq=False)
class LoopSpec:
    """A loop: its first child is the trigger segment that starts each repetition.

    ``index`` maps ``(segment id, qualifier)`` of every direct child segment, and of the
    trigger of every child loop, to that child.
    """

    id: str
    name: str
    usage: str
    max_repeat: int
    children: tuple[SegmentSpec | LoopSpec, ...]
    confirmed: bool
    note: str | None = None
    source: str | None = None
    index: Mapping[tuple[str, str | None], SegmentSpec | LoopSpec] = field(default_factory=_empty)

    @property
    def trigger(self) -> SegmentSpec:
        """The segment that starts the loop."""
        first = self.children[0]
        return first if isinstance(first, SegmentSpec) else first.trigger

    @property
    def key(self) -> tuple[str, str | None]:
        return self.trigger.key

    def match(self, seg_id: str, qualifier: str) -> SegmentSpec | LoopSpec | None:
        """The child for a segment: by ID and qualifier first, then by ID alone."""
        return _match(self.index, seg_id, qualifier)


@dataclass(frozen=True, slots=True)
class Flow:
    """One hop a transaction makes: sender role -> receiver role (``ANY`` for 824/997)."""

    sender: str
    receiver: str
    confirmed: bool
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """A note of a guide with its marking; ``str(note)`` is the text."""

    text: str
    confirmed: bool
    source: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True, eq=False)
class Guide:
    """A compiled implementation guide for one Texas SET transaction.

    Attributes:
        code: ``814_01`` ...
        st01: transaction set identifier (``814``).
        functional_id: GS01 (``GE``).
        sender_role, receiver_role: the first flow (``CR``, ``ERCOT``, ``TDSP`` or ``ANY``).
        identify: the values that identify it: element (``BGN01``) or segment (``REF*G7``) ->
            a code, alternatives ``WQ|U``, ``*`` present, ``-`` absent (``|-``: or absent).
        body: the segments and loops between ST and SE.
        flows: every hop (an 814_08 goes CR -> ERCOT and ERCOT -> TDSP).
        index: ``(segment id, qualifier)`` -> spec for the top level of the body.
    """

    code: str
    name: str
    st01: str
    functional_id: str
    sender_role: str
    receiver_role: str
    purpose: str
    identify: Mapping[str, str]
    body: tuple[SegmentSpec | LoopSpec, ...]
    retired: bool
    confirmed: bool
    notes: tuple[Note, ...]
    flows: tuple[Flow, ...] = ()
    sources: tuple[str, ...] = ()
    identify_confirmed: Mapping[str, bool] = field(default_factory=_empty)
    index: Mapping[tuple[str, str | None], SegmentSpec | LoopSpec] = field(default_factory=_empty)
    path: str = ""
    purpose_confirmed: bool = False
    by_key: Mapping[tuple[str, str | None], SegmentSpec] = field(default_factory=_empty)

    def match(self, seg_id: str, qualifier: str) -> SegmentSpec | LoopSpec | None:
        """The top-level body item for a segment (by ID and qualifier, then by ID)."""
        return _match(self.index, seg_id, qualifier)

    def find_segment(self, seg_id: str, qualifier: str = "") -> SegmentSpec | None:
        """The segment spec anywhere in the guide for a segment ID and its element 1."""
        spec = self.by_key.get((seg_id, qualifier)) if qualifier else None
        return spec or self.by_key.get((seg_id, None))

    def segments(self) -> Iterator[tuple[tuple[LoopSpec, ...], SegmentSpec]]:
        """Every segment spec in guide order with the loops around it."""
        yield from _walk(self.body, ())

    def loops(self) -> Iterator[LoopSpec]:
        """Every loop spec in guide order."""
        stack = list(reversed(self.body))
        while stack:
            item = stack.pop()
            if isinstance(item, LoopSpec):
                yield item
                stack.extend(reversed(item.children))


def _match(index: Mapping, seg_id: str, qualifier: str):
    spec = index.get((seg_id, qualifier))
    return spec if spec is not None else index.get((seg_id, None))


def _walk(items: tuple, loops: tuple) -> Iterator[tuple[tuple[LoopSpec, ...], SegmentSpec]]:
    for item in items:
        if isinstance(item, SegmentSpec):
            yield loops, item
        else:
            yield from _walk(item.children, (*loops, item))
