"""Valid transactions of any Texas SET code, drawn from the implementation guides themselves.

:func:`transactions` walks a guide (:class:`edi.texas_set.guide.Guide`) and draws a body the
guide allows, knowing nothing of any particular transaction:

* every mandatory segment and loop, optional ones at random, loops and segments repeated up to
  their maximum (at most :data:`MAX_REPEAT` times);
* every mandatory element, optional ones at random, never one marked not used; values of the
  element's data type and length, or from its code list; the segment's syntax notes (paired,
  required, exclusion, conditional, list conditional) kept;
* what identification reads (the guide's ``<identify>`` block: ``BGN01=13``, ``LIN07=HU|-``,
  ``REF*G7=*`` ...) set as the guide says, so the transaction is the code it was drawn for;
* the Texas shapes the validator checks: ``REF*Q5`` carries an ESI ID (17-22 digits), an
  ``N104`` under ``N103`` ``1``/``9`` a DUNS (9 digits) or DUNS+4 (13); the party loops name
  the sender and receiver (``N1*8S`` the TDSP, ``N1*SJ`` the CR, ``N1*AY`` ERCOT) with the
  DUNS of the envelope;
* sent along one of the guide's flows (CR -> ERCOT ...), in a functional group of the guide's
  functional ID.

Segments are placed as the validator's guide walk places them: an optional segment that the
walk would take for another slot of the guide (a ``REF`` whose qualifier an earlier ``REF`` of
the loop also accepts, a segment an enclosing loop would claim) is left out, so what is drawn
is what the guide means, not only what it lets through.

A change to a guide changes what is drawn; nothing here names a segment layout.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from edi.errors import GuideError
from edi.texas_set.catalog import identify_segments
from edi.texas_set.guide import (
    ERCOT_DUNS,
    ElementSpec,
    Guide,
    LoopSpec,
    SegmentSpec,
    guide_codes,
    load_guide,
)
from edi.x12.envelope import TransactionSet, iter_transactions
from edi.x12.writer import ControlNumbers, X12Writer

__all__ = [
    "MAX_REPEAT",
    "DrawnTransaction",
    "element_values",
    "texas_set_codes",
    "transactions",
    "walk_slots",
]

#: The most repetitions drawn for a loop or a segment (the guides allow up to 999,999).
MAX_REPEAT = 3

#: Characters of drawn free text: the X12 basic and extended sets without the delimiters the
#: writer uses (``*``, ``~``, ``>``) and without ``^``.
TEXT = string.ascii_letters + string.digits + " !\"&'()+,-./:;?=%@[]_{}\\|<#$"

_PARTY_OF_N101 = {"8S": "TDSP", "SJ": "CR", "AY": "ERCOT"}
_ANY_FLOWS = (("CR", "TDSP"), ("TDSP", "CR"), ("CR", "ERCOT"), ("ERCOT", "CR"), ("TDSP", "ERCOT"), ("ERCOT", "TDSP"))


@dataclass(frozen=True)
class DrawnTransaction:
    """A transaction set drawn from a guide, with the parties it travels between.

    Attributes:
        code: the Texas SET code it was drawn for (``814_01``).
        body: the segments between ST and SE as element lists.
        sender, receiver: DUNS or DUNS+4 of the parties (GS02/GS03, ISA06/ISA08).
        sender_role, receiver_role: ``CR``, ``ERCOT`` or ``TDSP``.
        functional_id: GS01 of its group (the guide's).
    """

    code: str
    body: tuple[tuple[str, ...], ...]
    sender: str
    receiver: str
    sender_role: str
    receiver_role: str
    functional_id: str
    when: datetime = field(default=datetime(2025, 3, 3, 10, 15))
    #: per body segment, where the guide walk matches it: (loop iteration, child, is a trigger)
    slots: tuple[tuple[int, int, bool], ...] = field(default=(), repr=False, compare=False)

    @property
    def st01(self) -> str:
        return self.code[:3]

    @property
    def roles(self) -> dict[str, str]:
        """DUNS -> role of both parties: the ``roles=`` to pass to validation and identification
        when the body does not name a party in an N1 loop."""
        return {self.sender: self.sender_role, self.receiver: self.receiver_role}

    def segments(self, control: str = "0001") -> list[list[str]]:
        """ST through SE."""
        return [["ST", self.st01, control], *map(list, self.body), ["SE", str(len(self.body) + 2), control]]

    def to_x12(self, *, control: ControlNumbers | None = None) -> str:
        """One interchange from sender to receiver holding this transaction set."""
        w = X12Writer(self.sender, self.receiver, self.when, control or ControlNumbers())
        w.add(self.st01, self.body, functional_id=self.functional_id)
        return w.getvalue()

    def to_bytes(self, *, control: ControlNumbers | None = None) -> bytes:
        """:meth:`to_x12` as bytes (Latin-1, as X12 files are read)."""
        return self.to_x12(control=control).encode("latin-1")

    def transaction(self) -> TransactionSet:
        """The transaction set as :func:`edi.x12.iter_transactions` reads it from :meth:`to_x12`."""
        (txn,) = iter_transactions(self.to_bytes(), name=f"<{self.code}>")
        return txn


# guide facts ====================================================================================


@dataclass(frozen=True)
class _Keys:
    """What a guide's ``<identify>`` block asks of a body."""

    values: dict[str, tuple[tuple[str, ...], bool]]  # "BGN01" -> (allowed values, may be absent)
    present: frozenset[tuple[str, str]]  # segments that must be there: ("REF", "G7")
    absent: frozenset[tuple[str, str]]  # segments that must not be: ("N1", "8S")


@functools.cache
def _keys(code: str) -> _Keys:
    values: dict[str, tuple[tuple[str, ...], bool]] = {}
    present: set[tuple[str, str]] = set()
    absent: set[tuple[str, str]] = set()
    for key, value in load_guide(code).identify.items():
        alts = value.split("|")
        if "*" in key:
            seg, qual = key.split("*", 1)
            (present if value == "*" else absent if value == "-" else present).add((seg, qual))
        elif value != "*":
            values[key] = (tuple(a for a in alts if a != "-"), "-" in alts)
    return _Keys(values, frozenset(present), frozenset(absent))


def _segment_keys(item: SegmentSpec | LoopSpec) -> set[tuple[str, str | None]]:
    if isinstance(item, SegmentSpec):
        return {item.key}
    out: set[tuple[str, str | None]] = set()
    for c in item.children:
        out |= _segment_keys(c)
    return out


def _trigger(item: SegmentSpec | LoopSpec) -> SegmentSpec:
    return item if isinstance(item, SegmentSpec) else item.trigger


# values =========================================================================================


def _text(lo: int, hi: int, alphabet: str = TEXT) -> st.SearchStrategy[str]:
    # no leading or trailing space: X12 suppresses trailing spaces, and a party ID or an
    # identifier with one reads differently once trimmed
    hi = max(lo, min(hi or 30, 30))
    return (st.text(alphabet, min_size=max(lo, 1), max_size=hi).map(lambda s: s.strip() or "X")
            .filter(lambda s: lo <= len(s) <= hi))


def _digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    """Digit strings of lo..hi digits without leading zeros (X12 suppresses them)."""
    lo, hi = max(lo, 1), max(lo, 1, min(hi or 9, 9))
    return st.integers(lo, hi).flatmap(lambda n: st.integers(0 if n == 1 else 10 ** (n - 1), 10**n - 1)).map(str)


def _decimal(lo: int, hi: int) -> st.SearchStrategy[str]:
    """R values of lo..hi digits (the point does not count): ``12``, ``0.5``, ``1234.25``;
    no leading zeros, no trailing zeros after the point."""
    hi = max(lo, 1, min(hi or 9, 9))

    @st.composite
    def build(draw: st.DrawFn) -> str:
        n = draw(st.integers(max(lo, 1), hi))
        f = draw(st.integers(0, n - 1))
        whole = draw(st.integers(0 if n - f == 1 else 10 ** (n - f - 1), 10 ** (n - f) - 1))
        if not f:
            return str(whole)
        frac = draw(st.integers(0, 10 ** (f - 1) - 1)) * 10 + draw(st.integers(1, 9))
        return f"{whole}.{frac:0{f}d}"

    return build()


def _date_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    days = st.dates(date(2000, 1, 1), date(2099, 12, 31))
    if lo <= 8 <= (hi or 8):
        return days.map(lambda d: d.strftime("%Y%m%d"))
    return days.map(lambda d: d.strftime("%y%m%d"))


def _time_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    sizes = [n for n in (4, 6, 7, 8) if lo <= n <= (hi or 8)] or [4]

    @st.composite
    def build(draw: st.DrawFn) -> str:
        n = draw(st.sampled_from(sizes))
        text = f"{draw(st.integers(0, 23)):02d}{draw(st.integers(0, 59)):02d}"
        if n >= 6:
            text += f"{draw(st.integers(0, 59)):02d}"
        if n > 6:
            text += "".join(str(draw(st.integers(0, 9))) for _ in range(n - 6))
        return text

    return build()


def element_values(spec: ElementSpec) -> st.SearchStrategy[str]:
    """Values valid for one element of a guide: a code of its list, else of its type and length.

    ``ID`` and ``AN`` text of at most 30 characters; ``DT`` as ``CCYYMMDD`` (``YYMMDD`` where
    only 6 fit); ``TM`` as ``HHMM[SS[d[d]]]``; ``Nn`` digits and ``R`` decimals without
    leading zeros.
    """
    if spec.codes:
        return st.sampled_from(sorted(spec.codes))
    lo, hi, t = spec.min_len, spec.max_len, spec.type
    if t == "DT":
        return _date_text(lo, hi)
    if t == "TM":
        return _time_text(lo, hi)
    if t == "R":
        return _decimal(lo, hi)
    if t[0] == "N":
        return _digits(lo, hi)
    if t == "ID":
        return _text(lo, hi, string.ascii_uppercase + string.digits)
    return _text(lo, hi)


def _esi_id(lo: int, hi: int) -> st.SearchStrategy[str]:
    lo, hi = max(lo, 17), min(hi or 22, 22)
    return st.integers(lo, max(lo, hi)).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))


def _duns() -> st.SearchStrategy[str]:
    return (st.sampled_from([9, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
            .filter(lambda d: d[:9] != ERCOT_DUNS))


# drawing ========================================================================================


class _Walk:
    """Where the validator's guide walk (:mod:`edi.validate.walker`) puts each segment.

    The same rule: look in the innermost open loop from the child last matched onwards (a
    loop's trigger starts a new iteration one level up), then in the enclosing loops; a
    loop stays open until a segment is found further out.
    """

    def __init__(self, guide: Guide) -> None:
        #: the open loops: [children, index of the child last matched, is the body, frame id]
        self.stack: list[list[Any]] = [[guide.body, -1, True, 0]]
        self.frames = 0
        #: per segment placed: (frame id, child index, starts a loop iteration)
        self.slots: list[tuple[int, int, bool]] = []
        #: per segment placed: the guide's definition of it
        self.specs: list[SegmentSpec] = []

    @staticmethod
    def _match_in(frame: list[Any], sid: str, q: str) -> int:
        children, idx, root = frame[0], frame[1], frame[2]
        start = idx if (idx > 0 or root) else 1
        for k in range(max(start, 0), len(children)):
            trig = _trigger(children[k])
            if trig.id == sid and (trig.qualifier is None or trig.qualifier == q):
                return k
        return -1

    def placement(self, els: Sequence[str]) -> tuple[int, int]:
        """(level, child index) the walk would match ``els`` to, or (-1, -1)."""
        sid, q = els[0], (els[1] if len(els) > 1 else "")
        top = len(self.stack) - 1
        k = self._match_in(self.stack[top], sid, q)
        if k >= 0:
            return top, k
        for level in range(top - 1, -1, -1):
            k = self._match_in(self.stack[level], sid, q)
            if k >= 0:
                return level, k
        return -1, -1

    def advance(self, level: int, j: int) -> None:
        """Match the next segment to child ``j`` of the loop open at ``level``."""
        del self.stack[level + 1 :]
        frame = self.stack[level]
        frame[1] = j
        item = frame[0][j]
        is_loop = isinstance(item, LoopSpec)
        self.slots.append((frame[3], j, is_loop))
        self.specs.append(_trigger(item))
        if is_loop:
            self.frames += 1
            self.stack.append([item.children, 0, False, self.frames])


def walk_slots(guide: Guide,
               body: Sequence[Sequence[str]]) -> tuple[list[tuple[int, int, bool]], list[SegmentSpec]] | None:
    """Where the validator's walk matches every body segment: its slot (loop iteration, child,
    starts a loop) and its definition in the guide; None when one matches nowhere."""
    w = _Walk(guide)
    for els in body:
        level, j = w.placement(els)
        if level < 0:
            return None
        w.advance(level, j)
    return w.slots, w.specs


class _Draw:
    """Draws one body, placing each segment as the validator's guide walk would."""

    def __init__(self, draw: st.DrawFn, guide: Guide, parties: dict[str, str]) -> None:
        self.draw = draw
        self.guide = guide
        self.keys = _keys(guide.code)
        self.parties = parties  # role -> DUNS
        self.out: list[list[str]] = []
        self.walk = _Walk(guide)

    def place(self, els: list[str], level: int, j: int) -> bool:
        """Append ``els`` as child ``j`` of the loop at ``level`` if the walk would put it there."""
        if self.walk.placement(els) != (level, j):
            return False
        self.walk.advance(level, j)
        self.out.append(els)
        return True

    # what to draw -----------------------------------------------------------------------------

    def needed(self, item: SegmentSpec | LoopSpec) -> bool:
        """Whether identification needs ``item`` (or a segment inside it) present."""
        return any((s, q) in self.keys.present for s, q in _segment_keys(item) if q is not None)

    def banned(self, item: SegmentSpec | LoopSpec) -> bool:
        trig = _trigger(item)
        return (item.usage == "N" or trig.usage == "N"
                or (trig.qualifier is not None and (trig.id, trig.qualifier) in self.keys.absent))

    def count(self, item: SegmentSpec | LoopSpec) -> int:
        if self.banned(item):
            return 0
        most = min(item.max_repeat if isinstance(item, LoopSpec) else item.max_use, MAX_REPEAT) or 1
        least = 1 if item.usage == "M" or self.needed(item) else 0
        return int(self.draw(st.integers(least, max(least, most))))

    def items(self, children: Sequence[SegmentSpec | LoopSpec], level: int, first: int) -> None:
        for j in range(first, len(children)):
            item = children[j]
            for _ in range(self.count(item)):
                els = self.segment(_trigger(item), children)
                if not self.place(els, level, j):
                    if item.usage == "M" or self.needed(item):
                        raise GuideError(f"mandatory {_trigger(item).label()} cannot be drawn where the guide puts it: "
                                         "the walk matches it to another slot", f"guide {self.guide.code}")
                    break
                if isinstance(item, LoopSpec):
                    self.items(item.children, level + 1, 1)

    # one segment --------------------------------------------------------------------------------

    def segment(self, spec: SegmentSpec, siblings: Sequence[SegmentSpec | LoopSpec]) -> list[str]:
        """One segment of ``spec``: elements present as usage, syntax notes and identification
        ask, values of their type or code list, Texas shapes (see :meth:`_texas`)."""
        draw = self.draw
        by_pos = spec.by_pos
        present = {e.pos for e in spec.elements if e.usage == "M"}
        for e in spec.elements:
            if e.usage in ("O", "X") and draw(st.booleans()):
                present.add(e.pos)
        fixed: dict[int, str] = {}
        if spec.qualifier:
            fixed[1] = spec.qualifier
            present.add(1)
        for e in spec.elements:
            rule = self.keys.values.get(e.ref)
            if rule is not None and e.pos not in fixed:
                allowed, may_be_absent = rule
                if not allowed or (may_be_absent and e.usage != "M" and e.pos not in present):
                    present.discard(e.pos)
                else:
                    fixed[e.pos] = draw(st.sampled_from(allowed))
                    present.add(e.pos)
        present = self._conditions(spec, present, fixed)
        values: dict[int, str] = {}
        for pos in sorted(present):
            e = by_pos[pos]
            if pos in fixed:
                values[pos] = fixed[pos]
            elif pos == 1 and e.codes and spec.qualifier is None:
                values[pos] = draw(st.sampled_from(self._free_qualifiers(spec, e, siblings)))
            else:
                values[pos] = draw(element_values(e))
        self._texas(spec, values)
        last = max(values, default=0)
        return [spec.id, *(values.get(p, "") for p in range(1, last + 1))]

    def _free_qualifiers(self, spec: SegmentSpec, e: ElementSpec,
                         siblings: Sequence[SegmentSpec | LoopSpec]) -> list[str]:
        """Codes of element 1 of an unqualified segment that no qualified sibling claims and
        identification does not forbid."""
        taken = {_trigger(s).qualifier for s in siblings if _trigger(s).id == spec.id}
        taken |= {q for s, q in self.keys.absent if s == spec.id}
        codes = sorted(c for c in (e.codes or ()) if c not in taken)
        return codes or sorted(e.codes or ())

    def _conditions(self, spec: SegmentSpec, present: set[int], fixed: dict[int, str]) -> set[int]:
        """``present`` changed until every syntax note of the segment holds."""
        usable = {e.pos for e in spec.elements if e.usage != "N"}
        must = {e.pos for e in spec.elements if e.usage == "M"} | set(fixed)
        out = set(present)
        for _ in range(4):
            changed = False
            for c in spec.conditions:
                poss = [p for p in c.positions if p in usable]
                here = [p for p in poss if p in out]
                first = c.positions[0]
                if c.kind == "P" and here and len(here) < len(poss):
                    if any(p in must for p in poss) or self.draw(st.booleans()):
                        out |= set(poss)
                    else:
                        out -= set(poss)
                    changed = True
                elif c.kind == "R" and not here and poss:
                    out.add(poss[0])
                    changed = True
                elif c.kind == "E" and len(here) > 1:
                    keep = next((p for p in here if p in must), here[0])
                    out -= {p for p in here if p != keep}
                    changed = True
                elif c.kind == "C" and first in out and len(here) < len(poss):
                    out |= set(poss)
                    changed = True
                elif c.kind == "L" and first in out and len(here) == 1 and len(poss) > 1:
                    out.add(poss[1])
                    changed = True
            if not changed:
                return out
        raise GuideError(f"the syntax notes of {spec.label()} cannot all hold at once", f"guide {self.guide.code}")

    def _texas(self, spec: SegmentSpec, values: dict[int, str]) -> None:
        """ESI IDs in REF*Q5, DUNS in N104, the parties' DUNS in their N1 loops."""
        by_pos = spec.by_pos
        if spec.id == "REF" and values.get(1) == "Q5":
            pos = 2 if 2 in values else 3 if 3 in values else 0
            if pos:
                e = by_pos[pos]
                values[pos] = self.draw(_esi_id(e.min_len, e.max_len))
        if spec.id == "N1" and 4 in values:
            role = _PARTY_OF_N101.get(values.get(1, ""))
            duns = self.parties.get(role) if role else None
            if duns is None and values.get(3) in ("1", "9"):
                duns = self.draw(_duns())
            if duns is not None:
                e = by_pos[4]
                if e.min_len <= len(duns) <= (e.max_len or len(duns)):
                    values[4] = duns


@st.composite
def _drawn(draw: st.DrawFn, code: str) -> DrawnTransaction:
    guide = load_guide(code)
    flows = [(f.sender, f.receiver) for f in guide.flows]
    s_role, r_role = draw(st.sampled_from(flows))
    if s_role == "ANY" or r_role == "ANY":
        s_role, r_role = draw(st.sampled_from(_ANY_FLOWS))
    cr = draw(_duns())
    tdsp = draw(_duns().filter(lambda d: d[:9] != cr[:9]))
    parties = {"CR": cr, "TDSP": tdsp, "ERCOT": ERCOT_DUNS}
    d = _Draw(draw, guide, parties)
    d.items(guide.body, 0, 0)
    drawn = DrawnTransaction(code, tuple(tuple(s) for s in d.out), parties[s_role], parties[r_role], s_role, r_role,
                             guide.functional_id, slots=tuple(d.walk.slots))
    # the guide's <identify> block is honoured above; what it cannot say (another guide that
    # fits the same values equally well) is left to identification itself
    if not (_identified(drawn, None) and _identified(drawn, drawn.roles)):
        reject()
    return drawn


def _identified(drawn: DrawnTransaction, roles: dict[str, str] | None,
                body: Sequence[Sequence[str]] | None = None) -> bool:
    ident = identify_segments(drawn.st01, body if body is not None else drawn.body, drawn.sender, drawn.receiver, roles)
    return ident.code == drawn.code and not ident.role_mismatch


def texas_set_codes(*, include_retired: bool = True) -> st.SearchStrategy[str]:
    """Codes of every guide (``650_01`` .. ``997``); 814_10 (retired) only when asked."""
    return st.sampled_from([c for c in guide_codes() if include_retired or not load_guide(c).retired])


def transactions(code: str | None = None, *, include_retired: bool = True) -> st.SearchStrategy[DrawnTransaction]:
    """Valid transactions of ``code`` (any guide's code when None), drawn from its guide.

    Every one validates with no finding and is identified as its code, with or without
    ``roles=drawn.roles``.  Values are valid one by one; relations between them that no guide
    states (a period's end after its start, totals that add up) are not drawn: use
    :func:`edi.testing.models` for transactions that make business sense.

    Raises:
        GuideError: ``code`` names no guide (at once), or (when drawing) its guide cannot be
            drawn: a mandatory segment the validator's walk would take for another slot, or
            syntax notes that contradict each other.
    """
    if code is None:
        return texas_set_codes(include_retired=include_retired).flatmap(_drawn)
    load_guide(code)
    return _drawn(code)

