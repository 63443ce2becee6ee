"""Every Texas SET guide checked against the X12 004010 standard it refines.

A guide may narrow the standard (leave segments and elements out, lower a maximum use, make
an optional element mandatory, shorten a length, list the codes it accepts) but never widen
or contradict it.  :func:`check_guide` embeds the guide in the standard's table of its
transaction set (:mod:`edi.x12.standard`) and refuses it, with a :class:`GuideError` naming
the guide, the segment and the standard's rule, when it

* puts a segment or loop where the standard's table has none, or in another order;
* lets a segment or loop occur more often than the standard's maximum use or loop repeat
  (guide items that share one place of the table, such as ``REF*Q5`` and ``REF*TN``, count
  together);
* leaves out a segment, loop or element the standard makes mandatory, or makes it optional;
* gives an element a position the segment does not have, another data type (codes or
  digits on a string, ``ID`` or ``N0`` where the standard has ``AN``, narrow it and are allowed), or a length outside
  the standard's minimum and maximum;
* drops one of the segment's syntax notes without making it impossible to break (a guide
  that lists ``P0304`` itself, or makes both elements mandatory, keeps it; an ``R`` or ``E``
  note may name only the elements the guide uses);
* names a position number (``pos="020"``) other than the standard's for that segment, or a
  functional group other than the standard's.

Run for every guide as it loads (:func:`edi.texas_set.guide.load_guide_file`), so a file
that is valid under a guide is valid under the standard as far as elements go, and the
validator can report standard findings as such.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from edi.errors import GuideError
from edi.x12.standard import (
    UNBOUNDED,
    SegmentDef,
    StandardLoop,
    StandardSegment,
    Syntax,
    segment_def,
    table,
)

__all__ = ["check_guide"]

_Item = StandardSegment | StandardLoop


def check_guide(guide: Any) -> None:
    """Refuse a guide that breaks the X12 004010 standard (see the module text).

    Raises:
        GuideError: the first breach found, naming the guide file, the segment and the
            standard's rule.
    """
    std = table(guide.st01)
    where = guide.path or f"guide {guide.code}"
    if std is None:
        raise GuideError(f"no X12 004010 table for transaction set {guide.st01}", where)
    if guide.functional_id != std.functional_id:
        raise GuideError(
            f"functional group {guide.functional_id} does not fit transaction set {std.id}: "
            f"the X12 004010 standard sends it in {std.functional_id} groups", where)
    body = tuple(item for item in std.body if _sid(item) not in ("ST", "SE"))
    _embed(_Context(guide.code, std.id, where), guide.body, body, "", top=True)


class _Context:
    __slots__ = ("code", "st01", "where")

    def __init__(self, code: str, st01: str, where: str) -> None:
        self.code, self.st01, self.where = code, st01, where

    def fail(self, label: str, reason: str) -> GuideError:
        return GuideError(f"{label}: {reason} (X12 004010 {self.st01})", self.where)


def _sid(item: _Item) -> str:
    return item.trigger.id if isinstance(item, StandardLoop) else item.id


def _limit(n: int) -> str:
    return ">1" if n >= UNBOUNDED else str(n)


def _label(item: Any) -> str:
    seg = item.trigger if hasattr(item, "children") else item
    text = seg.label() if callable(getattr(seg, "label", None)) else seg.id
    return f"loop {text}" if hasattr(item, "children") else text


def _embed(ctx: _Context, items: tuple[Any, ...], std: tuple[_Item, ...], loop: str, *, top: bool = False) -> None:
    """Place each guide item at the first fitting place of ``std`` at or after the last one."""
    cursor = 0
    used: dict[int, int] = defaultdict(int)
    mandatory_met: set[int] = set()
    for item in items:
        is_loop = hasattr(item, "children")
        sid = item.trigger.id if is_loop else item.id
        label = _label(item)
        j = next((k for k in range(cursor, len(std)) if _sid(std[k]) == sid), -1)
        if j < 0:
            earlier = next((k for k in range(cursor) if _sid(std[k]) == sid), -1)
            if earlier >= 0:
                raise ctx.fail(label, f"out of order: the standard puts {sid} ({_place(std[earlier])}) "
                               f"before {_sid(std[cursor])} ({_place(std[cursor])}){_in(loop)}")
            raise ctx.fail(label, f"the standard has no {sid} {'at the top level' if top else 'in loop ' + loop}")
        cursor = j
        place = std[j]
        if is_loop and isinstance(place, StandardSegment):
            raise ctx.fail(label, f"the standard's {sid} ({_place(place)}) starts no loop{_in(loop)}")
        count = item.max_repeat if is_loop else item.max_use
        allowed = place.repeat if isinstance(place, StandardLoop) else place.max_use
        used[j] += count
        if used[j] > allowed:
            what = "loop repeat" if isinstance(place, StandardLoop) else "maximum use"
            raise ctx.fail(label, f"up to {used[j]} in the guide"
                           f"{' (with the other guide items at this place)' if used[j] > count else ''}, "
                           f"the standard's {what} of {sid} ({_place(place)}) is {_limit(allowed)}")
        usage = item.usage
        if place_req(place) == "M" and usage == "M":
            mandatory_met.add(j)
        if isinstance(place, StandardLoop):
            trigger = item.trigger if is_loop else item
            _segment(ctx, trigger, place.trigger)
            if is_loop:
                _embed(ctx, item.children[1:], place.children[1:], place.trigger.id)
                if item.children[0].max_use > place.trigger.max_use:
                    raise ctx.fail(label, "its trigger repeats within the loop; "
                                   f"the standard's maximum use is {place.trigger.max_use}")
        else:
            _segment(ctx, item, place)
    for k, place in enumerate(std):
        if place_req(place) == "M" and k not in mandatory_met:
            raise ctx.fail(_sid(place),
                           f"the standard makes {'loop ' if isinstance(place, StandardLoop) else ''}{_sid(place)} "
                           f"({_place(place)}) mandatory{_in(loop)}; "
                           f"the guide {'leaves it out' if not used.get(k) else 'makes it optional'}")


def place_req(place: _Item) -> str:
    return place.req


def _place(item: _Item) -> str:
    seg = item.trigger if isinstance(item, StandardLoop) else item
    return f"{seg.area} position {seg.pos}"


def _in(loop: str) -> str:
    return f" in loop {loop}" if loop else ""


def _segment(ctx: _Context, spec: Any, place: StandardSegment) -> None:
    """One guide segment against its place in the table and the segment directory."""
    label = spec.label() if callable(getattr(spec, "label", None)) else spec.id
    if spec.pos and spec.pos != place.pos:
        raise ctx.fail(label, f"guide position {spec.pos}, the standard's is {place.pos} ({place.area})")
    definition = segment_def(spec.id)
    if definition is None:
        raise ctx.fail(label, f"segment {spec.id} is not in the X12 004010 segment directory shipped "
                       "(edi/x12/standard/data/segments.xml)")
    _elements(ctx, label, spec, definition)


def _elements(ctx: _Context, label: str, spec: Any, definition: SegmentDef) -> None:
    by_pos = {e.pos: e for e in spec.elements}
    for e in spec.elements:
        std = definition.element(e.pos)
        if std is None:
            raise ctx.fail(f"{label} {e.ref}", f"segment {definition.id} has {len(definition.elements)} elements")
        req, what = std.req, f"{std.name} ({std.number})"
        if std.composite:
            # a guide gives a composite as one simple value: the composite's first component
            if not std.components:
                raise ctx.fail(f"{label} {e.ref}",
                               f"{e.ref} is the composite {std.number}, whose components the directory does not list")
            std = std.components[0]
            what = f"{std.name} ({std.number}, the first component of {what})"
        if e.usage == "N":
            if req == "M":
                raise ctx.fail(f"{label} {e.ref}", f"marked not used, but the standard makes {what} mandatory")
            continue
        if e.type != std.type and not _narrows(e.type, std.type):
            raise ctx.fail(f"{label} {e.ref}", f"data type {e.type}, the standard's {what} is {std.type}")
        if e.min_len < std.min_len or e.max_len > std.max_len:
            raise ctx.fail(f"{label} {e.ref}", f"length {e.min_len}/{e.max_len}, outside the standard's "
                           f"{std.min_len}/{std.max_len} for {what}")
        if req == "M" and e.usage != "M":
            raise ctx.fail(f"{label} {e.ref}", f"usage {e.usage}, but the standard makes {what} mandatory")
    for std in definition.elements:
        if std.req == "M" and std.pos not in by_pos:
            raise ctx.fail(f"{label} {definition.id}{std.pos:02d}",
                           f"left out, but the standard makes {std.name} ({std.number}) mandatory")
    own = {(c.kind, tuple(c.positions)) for c in spec.conditions}
    for note in definition.syntax:
        listed = tuple(p for p in note.positions if p in by_pos and by_pos[p].usage != "N")
        if note.kind in ("R", "E") and (note.kind, listed) in own:
            continue  # the same note over the elements the guide uses
        if note.kind == "L" and ("R", tuple(p for p in listed if p != note.positions[0])) in own:
            continue  # one of the others is always there, present or not the first
        if (note.kind, note.positions) not in own and not _kept(note, by_pos):
            raise ctx.fail(label, f"the standard's syntax note {note} is neither in the guide nor kept by its usages "
                           f"(add <condition kind=\"{note.kind}\" "
                           f"positions=\"{' '.join(map(str, note.positions))}\"/>)")


def _narrows(guide_type: str, std_type: str) -> bool:
    """A guide may narrow a string (AN) to codes (ID) or to digits (N0..N9)."""
    return std_type == "AN" and (guide_type == "ID" or guide_type[0] == "N")


def _kept(note: Syntax, by_pos: dict[int, Any]) -> bool:
    """Whether the guide's usages alone make ``note`` impossible to break."""

    def usage(p: int) -> str:
        e = by_pos.get(p)
        return "N" if e is None else e.usage

    us = [usage(p) for p in note.positions]
    first, rest = us[0], us[1:]
    if note.kind == "P":
        return all(u == "M" for u in us) or all(u == "N" for u in us)
    if note.kind == "R":
        return "M" in us
    if note.kind == "E":
        return sum(u != "N" for u in us) <= 1
    if note.kind == "C":
        return first == "N" or all(u == "M" for u in rest)
    if note.kind == "L":
        return first == "N" or "M" in rest
    return False
