"""The vocabulary of the mapping tables: elements, segments and loops bound to model fields.

A *layout* is the body of one transaction code (between ST and SE) as a tuple of
:class:`Seg` and :class:`Loop` items, in segment order.  Each :class:`El` says where one model
field goes (segment element position, X12 rendering ``kind``) or holds a literal (qualifiers
such as ``DTM01 = 150``).  The same layout drives both directions: the compiled renderer
(:mod:`.render`) and the reader (:mod:`.parse`).

Element kinds:

========  ==================================================================
``LIT``   a fixed value (``lit``); the segment's qualifier when at position 1
``AN``    text as it is (``ID`` and ``AN`` alike); ints are written with ``str``
``DT``    :class:`datetime.date` as CCYYMMDD
``TM``    :class:`datetime.time` as HHMM
``DTD``   the date part of a :class:`datetime.datetime` (CCYYMMDD)
``DTT``   the time part of the same field (HHMM), an element after its ``DTD``
``N0``    an integer
``N2``    cents written with two implied decimals
``R``     cents written as decimal dollars
``Q``     a quantity (``int`` or ``Decimal``)
``MAP``   a model value written as an X12 code (``codes``: value -> code)
``FLAG``  ``lit`` when the field is true, nothing when false
``PRE``   ``lit`` when the field is not None (LIN06 ``SH`` before the LIN07 indicator)
``YN``    ``Y`` / ``N`` for a boolean
``IDX``   the 1-based position of the loop item (``IT101``), never a field
``COUNT`` the number of items of the list field ``src`` (``CTT01``)
========  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

__all__ = ["El", "Seg", "Loop", "Item", "Layout", "lit", "fld", "seg", "loop", "one"]

KINDS = frozenset(
    {"LIT", "AN", "DT", "TM", "DTD", "DTT", "N0", "N2", "R", "Q", "MAP", "FLAG", "PRE", "YN", "IDX", "COUNT"}
)


@dataclass(frozen=True, slots=True)
class El:
    """One element of a segment template.

    Attributes:
        pos: 1-based element position (``DTM02`` is 2).
        kind: rendering kind (see the module docstring).
        src: the model field (relative to the loop item); empty for ``LIT`` and ``IDX``.
        lit: the literal value (``LIT``) or the flag value (``FLAG``).
        codes: for ``MAP``: pairs of (model value, X12 code).
        fallback: for ``AN``: a field whose value is written when ``src`` is None; reading
            leaves ``src`` None when the element equals that field (LIN01 defaults to BGN02).
        gate: a boolean field that chooses between two positions of one value: the element
            is written only when the gate is ``gate_on``; reading a value here sets the gate
            (the 867_04 sample carries the ESI ID in REF03 instead of REF02).
        gate_on: the gate value this element belongs to.
    """

    pos: int
    kind: str
    src: str = ""
    lit: str = ""
    codes: tuple[tuple[Any, str], ...] = ()
    fallback: str = ""
    gate: str = ""
    gate_on: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown element kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Seg:
    """A segment template.

    Attributes:
        id: the segment ID.
        els: its elements; positions not listed must be empty.
        when: the field whose presence puts the segment in the transaction; empty means
            the segment is always there (mandatory).
        when_true: present only when ``when`` is true (flags), not merely not None.
        confirmed: the layout is seen in a source ([C]); False for convention/assumption.
    """

    id: str
    els: tuple[El, ...]
    when: str = ""
    when_true: bool = False
    confirmed: bool = False

    @property
    def qualifier(self) -> str:
        """The literal at element 1, which tells this template from others of the same ID."""
        for e in self.els:
            if e.pos == 1 and e.kind == "LIT":
                return e.lit
        return ""

    @property
    def label(self) -> str:
        """``REF*Q5`` style label."""
        q = self.qualifier
        return f"{self.id}*{q}" if q else self.id


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop bound to a field: a list of items (``many``) or one optional sub-object.

    Attributes:
        field: the model field (tuple of parts, or one part / None).
        model: the pydantic class of an item (its field defaults are the renderer's).
        body: the item's segments; the first one starts an item.
        many: True for a list field, False for a single optional object.
        min_items: for ``many``, the fewest items (0 makes the loop optional).
    """

    field: str
    model: type[BaseModel]
    body: tuple[Item, ...]
    many: bool = True
    min_items: int = 0


Item = Seg | Loop


def lit(pos: int, value: str) -> El:
    """A literal element."""
    return El(pos, "LIT", lit=value)


def fld(
    pos: int,
    src: str,
    kind: str = "AN",
    *,
    codes: Mapping[Any, str] | None = None,
    flag: str = "",
    fallback: str = "",
    gate: str = "",
    gate_on: bool = True,
) -> El:
    """An element bound to a model field."""
    return El(pos, kind, src, lit=flag, codes=tuple((codes or {}).items()), fallback=fallback, gate=gate,
              gate_on=gate_on)


def seg(sid: str, *els: El, when: str = "", when_true: bool = False, confirmed: bool = False) -> Seg:
    """A segment template; elements in position order."""
    ordered = tuple(sorted(els, key=lambda e: e.pos))
    positions = [e.pos for e in ordered]
    if len(set(positions)) != len(positions):
        # DTD and DTT share a field but never a position; anything else is a table error
        raise ValueError(f"{sid}: two elements at one position in {positions}")
    return Seg(sid, ordered, when, when_true, confirmed)


def loop(field_name: str, model: type, *body: Item, min_items: int = 0) -> Loop:
    """A repeating loop over a list field."""
    return Loop(field_name, model, tuple(body), True, min_items)


def one(field_name: str, model: type, *body: Item) -> Loop:
    """An optional group bound to one sub-object (a party, the customer)."""
    return Loop(field_name, model, tuple(body), False)


@dataclass(frozen=True, slots=True)
class Layout:
    """The body layout of one transaction code.

    Attributes:
        code: ``814_01`` ...
        model: the model class.
        items: segments and loops in order.
        prepare: optional function filling derived fields of a plain dict before rendering
            (the same values the model's validators fill, e.g. an invoice total).
    """

    code: str
    model: type[BaseModel]
    items: tuple[Item, ...]
    prepare: Any = None
    notes: tuple[str, ...] = field(default=())

    def fields(self) -> set[str]:
        """Top-level model fields this layout carries."""
        out: set[str] = set()
        for it in self.items:
            if isinstance(it, Loop):
                out.add(it.field)
            else:
                for e in it.els:
                    if e.src:
                        out.add(e.src)
                    if e.gate:
                        out.add(e.gate)
                if it.when:
                    out.add(it.when)
        return out
