"""Walk one transaction set against a compiled guide and collect every finding.

The walk keeps a stack of open loops, each with the index of the child last matched and the
number of times each child occurred in the current iteration.  For each segment it looks,
from the innermost open loop outwards, for the first child at or after the current position
whose ID and qualifier match (a child loop matches through its trigger segment; the trigger
of an open loop starts a new iteration of that loop, found one level up).  Moving forward
past a mandatory child that never occurred, or closing a loop before one, is a missing
segment.  A segment found nowhere ahead is out of order (it is in an open loop, earlier),
unexpected (elsewhere in the guide), has a qualifier the guide does not allow, is not in the
guide, or is not an X12 segment at all; the walk then keeps its position and goes on, so
every problem of the transaction is reported, never just the first.

Element checks run against the tuples of :mod:`edi.validate.compiled`; a :class:`Finding`
is built only when something is wrong.

The walk depends only on the *layout* of the body: the sequence of segment IDs, with the
qualifier (element 1) for the IDs the guide tells apart by qualifier.  Market files repeat a
handful of layouts thousands of times, so a layout whose walk found nothing wrong with the
structure is remembered per guide (:attr:`CompiledGuide.plans`, bounded) as the segment
definition of each position; the next transaction with that layout only runs the element
checks.  Any layout with a structural finding is walked in full every time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edi.findings import Finding, Layer, Location
from edi.validate.compiled import CompiledGuide, CompiledLoop, CompiledSegment
from edi.validate.texas import X12_SEGMENT_IDS, check_duns, check_esi_id, looks_like_segment_id
from edi.x12.segment import Segment

__all__ = ["GuideFinding", "Reporter", "check_transaction", "check_elements"]

# (code, element position, value, message, confirmed)
Problem = tuple[str, int, str | None, str, bool]


@dataclass(frozen=True, slots=True)
class GuideFinding(Finding):
    """A finding from a guide check, with the loop the segment is in (997 AK303)."""

    loop: str = ""


def _codes_text(row: tuple) -> str:
    codes, names = row[4], row[7]
    shown = sorted(codes)[:12]
    parts = [f"{c} ({names[c]})" if names.get(c) else c for c in shown]
    more = f" and {len(codes) - len(shown)} more" if len(codes) > len(shown) else ""
    return ", ".join(parts) + more


def check_elements(els: list[str], spec: CompiledSegment, guide: str) -> list[Problem] | None:
    """Check the elements of one segment against its guide definition.

    Returns:
        ``None`` when all is well, else problems ``(code, position, value, message,
        confirmed)``.
    """
    out: list[Problem] | None = None
    nel = len(els)
    seg_ok = spec.confirmed
    for pos, _ref, usage, check, codes, conf, name, _names in spec.elements:
        if pos < nel:
            v = els[pos]
            if v:
                if usage == "N":
                    p: Problem = ("element-not-used", pos, v,
                                  f"{name} is marked not used in guide {guide} but holds {v!r}", conf and seg_ok)
                elif codes is not None:
                    if v in codes:
                        continue
                    p = ("invalid-code", pos, v,
                         f"code {v!r} is not valid for {name}; guide {guide} allows {_codes_text(spec.refs[pos])}",
                         conf and seg_ok)
                else:
                    r = check(v)
                    if r is None:
                        continue
                    p = (r[0], pos, v, r[1], conf and seg_ok)
                if out is None:
                    out = []
                out.append(p)
                continue
        if usage == "M":
            if out is None:
                out = []
            out.append(("element-missing", pos, None, f"mandatory data element {name} missing (guide {guide})",
                        conf and seg_ok))
    if nel - 1 > spec.max_pos:
        out = out or []
        extra = nel - 1 - spec.max_pos
        out.append(("element-too-many", spec.max_pos + 1, els[spec.max_pos + 1],
                    f"{els[0]} has {nel - 1} data elements, guide {guide} defines {spec.max_pos} ({extra} too many)",
                    seg_ok))
    for pos in spec.unlisted:
        if pos < nel and els[pos]:
            out = out or []
            out.append(("element-not-used", pos, els[pos],
                        f"{spec.ref(pos)} is not used in guide {guide} but holds {els[pos]!r}", seg_ok))
    if spec.conditions:
        out = _check_conditions(els, spec, guide, out)
    sid = els[0]
    if not spec.texas:
        return out
    if sid == "REF" and nel > 2 and els[1] == "Q5":
        pos = 2 if els[2] or nel < 4 else 3
        v = els[pos]
        if v and not _flagged(out, pos):
            msg = check_esi_id(v)
            if msg:
                out = out or []
                out.append(("invalid-esi-id", pos, v, msg, True))
    elif sid == "N1" and nel > 4 and els[3] in ("1", "9") and els[4] and not _flagged(out, 4):
        msg = check_duns(els[4], els[3])
        if msg:
            out = out or []
            out.append(("invalid-duns", 4, els[4], msg, True))
    return out


def _flagged(out: list[Problem] | None, pos: int) -> bool:
    return out is not None and any(p[1] == pos for p in out)


def _refs(spec: CompiledSegment, positions: Sequence[int]) -> str:
    """``DTM02, DTM03``: the reference designators of ``positions`` (only for a message)."""
    return ", ".join(spec.ref(p) for p in positions)


def _check_conditions(els: list[str], spec: CompiledSegment, guide: str,
                      out: list[Problem] | None) -> list[Problem] | None:
    nel = len(els)
    for kind, poss, conf in spec.conditions:
        present = [p for p in poss if p < nel and els[p]]
        first = poss[0]
        problem: Problem | None = None
        if kind == "P" and present and len(present) < len(poss):
            miss = [p for p in poss if p not in present]
            problem = ("element-conditional-missing", miss[0], None,
                       f"{_refs(spec, poss)} are used together: {spec.ref(present[0])} is present, "
                       f"{_refs(spec, miss)} missing (syntax P, guide {guide})", conf)
        elif kind == "R" and not present:
            problem = ("element-conditional-missing", first, None,
                       f"at least one of {_refs(spec, poss)} is required (syntax R, guide {guide})", conf)
        elif kind == "E" and len(present) > 1:
            problem = ("element-exclusion", present[1], els[present[1]],
                       f"only one of {_refs(spec, poss)} may be used, found {_refs(spec, present)} "
                       f"(syntax E, guide {guide})", conf)
        elif kind == "C" and first in present and len(present) < len(poss):
            miss = [p for p in poss[1:] if p not in present]
            problem = ("element-conditional-missing", miss[0], None,
                       f"{spec.ref(first)} is present, so {_refs(spec, miss)} is required (syntax C, guide {guide})",
                       conf)
        elif kind == "L" and first in present and len(present) == 1 and len(poss) > 1:
            problem = ("element-conditional-missing", poss[1], None,
                       f"{spec.ref(first)} is present, so at least one of {_refs(spec, poss[1:])} is required "
                       f"(syntax L, guide {guide})", conf)
        if problem is not None:
            out = out or []
            out.append(problem)
    return out


class Reporter:
    """Builds findings with locations for one transaction, only when something is wrong."""

    __slots__ = ("txn", "guide", "out", "raw", "structural", "layer")

    def __init__(self, txn: Any, guide: str, out: list[Finding], layer: Layer) -> None:
        self.txn = txn
        self.guide = guide
        self.out = out
        self.raw = txn.raw
        #: findings about the structure (not about elements): the layout is not remembered
        self.structural = 0
        self.layer: Layer = layer

    def location(self, i: int, element: str = "") -> Location:
        txn = self.txn
        offs = txn.offsets
        seg = Segment(self.raw[i], txn.first_number + i, offs[i] if i < len(offs) else 0)
        return Location(txn.file, seg.number, seg.label(), element, seg.offset, txn.control)

    def add(self, code: str, i: int, message: str, *, element: str = "", value: str | None = None,
            confirmed: bool = True, loop: str = "") -> None:
        self.structural += 1
        self.out.append(GuideFinding(code, self.location(i, element), message, value, self.guide, "error", confirmed,
                                     self.layer, loop))

    def elements(self, i: int, spec: CompiledSegment, problems: list[Problem], loop: str) -> None:
        for code, pos, value, message, confirmed in problems:
            self.out.append(GuideFinding(code, self.location(i, spec.ref(pos)), message, value, self.guide, "error",
                                         confirmed, self.layer, loop))

    def missing(self, child: CompiledSegment | CompiledLoop, at: int, parent: CompiledLoop) -> None:
        where = f" in loop {parent.id}" if parent.id else ""
        if child.is_loop:
            assert isinstance(child, CompiledLoop)
            msg = (f"mandatory loop {child.id} ({child.name}) missing{where}: "
                   f"no {child.label} found (guide {self.guide})")
        else:
            assert isinstance(child, CompiledSegment)
            msg = f"mandatory segment {child.label} ({child.name}) missing{where} (guide {self.guide})"
        self.add("segment-missing", at, msg, value=child.label, confirmed=child.confirmed, loop=parent.id)


def check_transaction(txn: Any, cg: CompiledGuide, *, layer: Layer = "texas-set", elements: bool = True,
                      standard: CompiledGuide | None = None) -> list[Finding]:
    """Check the body (between ST and SE) of ``txn`` against a compiled guide.

    Args:
        txn: an :class:`edi.x12.TransactionSet` (``raw``, ``first_number``, ``offsets``,
            ``file``, ``control``, ``complete``).
        cg: the compiled guide.
        layer: the layer of the findings (``x12`` when ``cg`` is the standard's table).
        elements: False to check the structure only (segments, loops, repeats).
        standard: the X12 standard's table of the set, walked for its structure (layer
            ``x12``, findings first) unless this layout of ``cg`` is known to fit it: the
            guide's layout, which tells more apart, decides the standard's walk.

    Returns:
        Every finding, in segment order (missing segments where their absence shows).
    """
    out: list[Finding] = []
    raw = txn.raw
    n = len(raw)
    end = n - 1 if n > 1 and raw[-1][0] == "SE" and txn.complete else n
    qualified = cg.qualified
    layout = tuple([els[0] if els[0] not in qualified else (els[0], els[1] if len(els) > 1 else "")
                    for els in raw[1:end]])
    if standard is not None and layout not in cg.fits_standard:
        out = check_transaction(txn, standard, layer="x12", elements=False)
        if not out:
            fits = cg.fits_standard
            if len(fits) >= _PLANS_MAX:
                fits.clear()
            fits.add(layout)
    plan = cg.plans.get(layout)
    if plan is not None:
        if not elements:
            return out
        rep = None
        for i, (spec, loop_id) in enumerate(plan, 1):
            els = raw[i]
            if not spec.ok(els):
                problems = check_elements(els, spec, cg.code)
                if problems:
                    if rep is None:
                        rep = Reporter(txn, cg.code, out, layer)
                    rep.elements(i, spec, problems, loop_id)
        return out
    steps: list[tuple[CompiledSegment, str]] = []
    rep = Reporter(txn, cg.code, out, layer)
    code = cg.code
    root = cg.body
    stack: list[list[Any]] = [[root, -1, [0] * len(root.children)]]
    for i in range(1, end):
        els = raw[i]
        sid = els[0]
        q = els[1] if len(els) > 1 else ""
        j = -1
        frame = stack[-1]
        loop, idx, counts = frame
        cands = loop.index.get(sid)
        if cands:  # the innermost open loop: where nearly every segment is found
            start = idx if (idx > 0 or loop.root) else 1
            for cq, k in cands:
                if k >= start and (cq is None or cq == q):
                    j = k
                    break
        if j < 0:
            lvl = _search_outer(stack, sid, q)
            if lvl < 0:
                _unmatched(rep, cg, stack, i, sid, q)
                continue
            while len(stack) - 1 > lvl:
                _close(rep, stack.pop(), i)
            frame = stack[lvl]
            loop, idx, counts = frame
            j = _match_in(loop, idx, sid, q)
        if j > idx + 1 and loop.mandatory:
            for k in range(idx + 1, j):
                if k in loop.mandatory and not counts[k]:
                    rep.missing(loop.children[k], i, loop)
        child = loop.children[j]
        c = counts[j] = counts[j] + 1
        frame[1] = j
        if child.is_loop:
            if c > child.max_repeat:
                rep.add("loop-repeat-exceeded", i,
                        f"loop {child.id} ({child.name}) occurs {c} times, guide {code} allows {child.max_repeat}",
                        value=child.label, confirmed=child.confirmed, loop=child.id)
            stack.append([child, 0, [1] + [0] * (len(child.children) - 1)])
            spec = child.trigger
            if child.usage == "N":
                rep.add("segment-not-used", i, f"loop {child.id} ({child.name}) is marked not used in guide {code}",
                        value=spec.label, confirmed=child.confirmed, loop=child.id)
            loop_id = child.id
        else:
            spec = child
            if c > child.max_use:
                rep.add("segment-repeat-exceeded", i,
                        f"{child.label} occurs {c} times here, guide {code} allows {child.max_use}",
                        value=child.label, confirmed=child.confirmed, loop=loop.id)
            loop_id = loop.id
        if spec.usage == "N" and not (child.is_loop and child.usage == "N"):  # loop: reported above
            rep.add("segment-not-used", i, f"{spec.label} ({spec.name}) is marked not used in guide {code}",
                    value=spec.label, confirmed=spec.confirmed, loop=loop_id)
        steps.append((spec, loop_id))
        if elements and not spec.ok(els):
            problems = check_elements(els, spec, code)
            if problems:
                rep.elements(i, spec, problems, loop_id)
    at = end if end < n else n - 1
    while stack:
        _close(rep, stack.pop(), at)
    if not rep.structural and len(steps) == end - 1:
        plans = cg.plans
        if len(plans) >= _PLANS_MAX:
            plans.clear()
        plans[layout] = tuple(steps)
    return out


_PLANS_MAX = 1024  # layouts remembered per guide; cleared when full, so memory stays bounded


def _match_in(loop: CompiledLoop, idx: int, sid: str, q: str) -> int:
    """Index of the first child at or after the current position matching ``sid``/``q``, or -1."""
    start = idx if (idx > 0 or loop.root) else 1
    for cq, k in loop.index.get(sid, ()):
        if k >= start and (cq is None or cq == q):
            return k
    return -1


def _search_outer(stack: list[list[Any]], sid: str, q: str) -> int:
    """Level of the innermost enclosing open loop where the segment fits, or -1."""
    for level in range(len(stack) - 2, -1, -1):
        loop, idx, _ = stack[level]
        if _match_in(loop, idx, sid, q) >= 0:
            return level
    return -1


def _close(rep: Reporter, frame: list[Any], at: int) -> None:
    loop, idx, counts = frame
    if not loop.mandatory:
        return
    for k in range(idx + 1, len(loop.children)):
        if k in loop.mandatory and not counts[k]:
            rep.missing(loop.children[k], at, loop)


def _unmatched(rep: Reporter, cg: CompiledGuide, stack: list[list[Any]], i: int, sid: str, q: str) -> None:
    code = cg.code
    label = f"{sid}*{q}" if q and len(q) <= 3 else sid
    for loop, idx, _ in reversed(stack):
        for cq, k in loop.index.get(sid, ()):
            if k < idx and (cq is None or cq == q):
                after = loop.children[idx]
                after_label = after.label
                rep.add("segment-out-of-order", i,
                        f"{label} is out of order: guide {code} puts it before {after_label}"
                        + (f" in loop {loop.id}" if loop.id else ""), value=sid, confirmed=cg.confirmed, loop=loop.id)
                return
    loops = cg.where.get((sid, q)) or cg.where.get((sid, None))
    if loops:
        rep.add("segment-unexpected", i,
                f"{label} is not expected here; guide {code} places it in {', '.join(dict.fromkeys(loops))}",
                value=sid, confirmed=cg.confirmed, loop=stack[-1][0].id)
        return
    if sid in cg.ids:
        allowed = sorted({k[1] for k in cg.where if k[0] == sid and k[1]})
        rep.add("invalid-code", i, f"qualifier {q!r} is not one guide {code} allows for {sid}: {', '.join(allowed)}",
                element=f"{sid}01", value=q, confirmed=cg.confirmed, loop=stack[-1][0].id)
        return
    if sid in X12_SEGMENT_IDS or (looks_like_segment_id(sid) and sid in _shipped_guide_ids()):
        rep.add("segment-not-in-guide", i, f"segment {sid} is not part of guide {code}", value=sid,
                confirmed=cg.confirmed, loop=stack[-1][0].id)
    else:
        rep.add("segment-unrecognized", i, f"{sid!r} is not a known X12 004010 segment ID", value=sid, confirmed=True,
                loop=stack[-1][0].id)


@functools.cache
def _shipped_guide_ids() -> frozenset[str]:
    """Segment IDs used by any shipped guide: X12 segments by construction.

    Read once, from every guide, so that telling "not in this guide" from "not X12" never
    depends on which guides happened to be compiled before.
    """
    from edi.texas_set.guide import all_guides

    return frozenset(spec.id for g in all_guides() for _loops, spec in g.segments())
