"""Reading a transaction body into model fields, driven by the same layouts as rendering.

The reader walks the body segments against a layout in order.  Segments of one ID that
follow each other in the layout (the ``REF`` run of an 814 LIN loop) may come in any order,
as X12 allows; everything else is positional.  Every value is converted by its element kind
and recorded with its location, so that a failure (a bad date, an unknown code, a mandatory
segment missing, a segment or element the layout does not carry, or a pydantic validation
error on the assembled model) becomes one :class:`~edi.errors.MappingError` naming the segment
number, the segment label and the element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from edi.errors import MappingError
from edi.texas_set.mapping.spec import El, Layout, Loop, Seg
from edi.texas_set.types import parse_date, parse_n2, parse_quantity, parse_r, parse_time
from edi.x12.segment import Segment

__all__ = ["parse_body"]

Where = tuple[int, str, str]  # segment number, label, element ref


def _label(els: list[str]) -> str:
    return Segment(els).label()


class _Reader:
    def __init__(self, layout: Layout, body: Sequence[Segment | Sequence[str]], source: str) -> None:
        self.layout = layout
        self.source = source
        self.segs: list[list[str]] = []
        self.nums: list[int] = []
        for i, s in enumerate(body):
            if isinstance(s, Segment):
                self.segs.append(s.elements)
                self.nums.append(s.number or i + 2)
            else:
                self.segs.append(list(s))
                self.nums.append(i + 2)  # ST is segment 1 of the transaction
        self.pos = 0
        self.starters: list[Seg | None] = [None]
        self.trace: dict[tuple[Any, ...], Where] = {}

    # -- errors ---------------------------------------------------------------------------
    def where(self, w: Where | None) -> str:
        parts = [self.source] if self.source else []
        if w is not None:
            num, label, ref = w
            parts.append(f"segment {num} ({label})" + (f" {ref}" if ref else ""))
        return " ".join(parts)

    def fail(self, reason: str, w: Where | None) -> MappingError:
        return MappingError(f"{reason} ({self.layout.code})", self.where(w))

    def here(self, ref: str = "") -> Where | None:
        if self.pos < len(self.segs):
            els = self.segs[self.pos]
            return (self.nums[self.pos], _label(els), ref)
        if self.segs:
            return (self.nums[-1], _label(self.segs[-1]), ref)
        return None

    # -- matching -------------------------------------------------------------------------
    @staticmethod
    def matches(tpl: Seg, els: list[str]) -> bool:
        if els[0] != tpl.id:
            return False
        q = tpl.qualifier
        return not q or (len(els) > 1 and els[1] == q)

    def first_seg(self, item: Seg | Loop) -> Seg:
        while isinstance(item, Loop):
            item = item.body[0]
        return item

    # -- walking --------------------------------------------------------------------------
    def items(self, items: tuple[Seg | Loop, ...], data: dict[str, Any], path: tuple[Any, ...], idx: int) -> None:
        i = 0
        n = len(items)
        while i < n:
            it = items[i]
            if isinstance(it, Loop):
                self.loop(it, data, path)
                i += 1
                continue
            j = i + 1
            while j < n:
                nxt = items[j]
                if not (isinstance(nxt, Seg) and nxt.id == it.id and nxt.qualifier and it.qualifier):
                    break
                j += 1
            group = [t for t in items[i:j] if isinstance(t, Seg)]
            self.group(group, data, path, idx)
            i = j

    def group(self, group: list[Seg], data: dict[str, Any], path: tuple[Any, ...], idx: int) -> None:
        seen: set[int] = set()
        while self.pos < len(self.segs):
            els = self.segs[self.pos]
            hit = next((k for k, t in enumerate(group) if self.matches(t, els)), None)
            if hit is None:
                break
            if hit in seen and group[hit] is self.starters[-1]:
                break  # the next item of the enclosing loop
            if hit in seen:
                raise self.fail(f"segment {group[hit].label} appears twice", self.here())
            seen.add(hit)
            self.segment(group[hit], els, self.nums[self.pos], data, path, idx)
            self.pos += 1
        for k, t in enumerate(group):
            if k not in seen and not t.when:
                found = f"; found {_label(self.segs[self.pos])}" if self.pos < len(self.segs) else "; the body ends"
                raise self.fail(f"mandatory segment {t.label} is missing{found}", self.here())

    def loop(self, lp: Loop, data: dict[str, Any], path: tuple[Any, ...]) -> None:
        start = self.first_seg(lp)
        self.starters.append(start)
        try:
            self._loop(lp, start, data, path)
        finally:
            self.starters.pop()

    def _loop(self, lp: Loop, start: Seg, data: dict[str, Any], path: tuple[Any, ...]) -> None:
        if lp.many:
            out: list[dict[str, Any]] = []
            while self.pos < len(self.segs) and self.matches(start, self.segs[self.pos]):
                item: dict[str, Any] = {}
                self.items(lp.body, item, (*path, lp.field, len(out)), len(out) + 1)
                out.append(item)
            if len(out) < lp.min_items:
                raise self.fail(f"at least {lp.min_items} {start.label} loop(s) required", self.here())
            data[lp.field] = out
        elif self.pos < len(self.segs) and self.matches(start, self.segs[self.pos]):
            sub: dict[str, Any] = {}
            self.items(lp.body, sub, (*path, lp.field), 0)
            data[lp.field] = sub

    def segment(self, tpl: Seg, els: list[str], num: int, data: dict[str, Any], path: tuple[Any, ...],
                idx: int) -> None:
        label = _label(els)
        known = {e.pos for e in tpl.els}
        for p in range(1, len(els)):
            if els[p] != "" and p not in known:
                raise self.fail(
                    f"element {tpl.id}{p:02d} is not carried by this transaction (value {els[p]!r})",
                    (num, label, f"{tpl.id}{p:02d}"),
                )
        pre: list[El] = []
        for e in tpl.els:
            ref = f"{tpl.id}{e.pos:02d}"
            w = (num, label, ref)
            val = els[e.pos] if e.pos < len(els) else ""
            if e.src:
                self.trace[(*path, e.src)] = w
            try:
                self.element(e, val, data, idx)
            except ValueError as exc:
                raise self.fail(str(exc), w) from None
            if e.kind == "PRE":
                pre.append(e)
        for e in pre:
            has = (els[e.pos] if e.pos < len(els) else "") != ""
            if has != (data.get(e.src) is not None):
                raise self.fail(
                    f"{tpl.id}{e.pos:02d} {e.lit!r} and the value it qualifies go together",
                    (num, label, f"{tpl.id}{e.pos:02d}"),
                )

    def element(self, e: El, val: str, data: dict[str, Any], idx: int) -> None:
        k = e.kind
        if k == "LIT":
            if val != e.lit:
                raise ValueError(f"expected {e.lit!r}, found {val!r}" if val
                                 else f"expected {e.lit!r}, the element is empty")
            return
        if k == "IDX":
            if val != str(idx):
                raise ValueError(f"line number {val!r} should be {idx}")
            return
        if k == "COUNT":
            expected = len(data.get(e.src) or ())
            if val != str(expected):
                raise ValueError(f"count {val!r} does not match the {expected} item(s) in the transaction")
            return
        if k == "PRE":
            if val not in ("", e.lit):
                raise ValueError(f"expected {e.lit!r} or nothing, found {val!r}")
            return
        if val == "":
            return
        if e.gate:
            _set(data, e.gate, e.gate_on)
        src = e.src
        if k == "AN":
            if e.fallback and val == data.get(e.fallback):
                return
            _set(data, src, val)
        elif k == "DT":
            _set(data, src, parse_date(val))
        elif k == "TM":
            _set(data, src, parse_time(val))
        elif k == "DTD":
            _set(data, src, dt.datetime.combine(parse_date(val), dt.time()))
        elif k == "DTT":
            base = data.get(src)
            t = parse_time(val)
            if base is None:
                raise ValueError("time without its date")
            data[src] = base.replace(hour=t.hour, minute=t.minute)  # completes its DTD
        elif k == "N0":
            if not val.isdigit():
                raise ValueError(f"{val!r} is not a whole number")
            _set(data, src, int(val))
        elif k == "N2":
            _set(data, src, parse_n2(val))
        elif k == "R":
            _set(data, src, parse_r(val))
        elif k == "Q":
            _set(data, src, parse_quantity(val))
        elif k == "MAP":
            for model_value, code in e.codes:
                if code == val:
                    _set(data, src, model_value)
                    break
            else:
                allowed = ", ".join(c for _, c in e.codes)
                raise ValueError(f"code {val!r} is not one of {allowed}")
        elif k == "FLAG":
            if val != e.lit:
                raise ValueError(f"expected {e.lit!r} or nothing, found {val!r}")
            _set(data, src, True)
        elif k == "YN":
            if val not in ("Y", "N"):
                raise ValueError(f"expected 'Y' or 'N', found {val!r}")
            _set(data, src, val == "Y")
        else:  # pragma: no cover - spec checks kinds
            raise ValueError(f"unknown kind {k}")

    # -- model ----------------------------------------------------------------------------
    def build(self) -> Any:
        data: dict[str, Any] = {"code": self.layout.code}
        if not self.segs:
            raise self.fail("the transaction body is empty", None)
        for els in self.segs:
            if not els or not els[0]:
                raise self.fail("empty segment", self.here())
        self.items(self.layout.items, data, (), 0)
        if self.pos < len(self.segs):
            raise self.fail(
                f"segment {_label(self.segs[self.pos])} is not expected here", self.here()
            )
        try:
            return self.layout.model.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err.get("loc", ()))
            w = None
            for cut in range(len(loc), 0, -1):
                w = self.trace.get(loc[:cut])
                if w is not None:
                    break
            field = ".".join(str(p) for p in loc) or "transaction"
            msg = err.get("msg", "invalid")
            value = err.get("input")
            shown = f" (value {value!r})" if isinstance(value, (str, int)) else ""
            raise self.fail(f"{field}: {msg}{shown}", w) from None


def _set(data: dict[str, Any], src: str, value: Any) -> None:
    """Store a value; a field read from two elements (MEA03 and QTY02) must agree."""
    old = data.get(src, _MISSING)
    if old is not _MISSING and old != value:
        raise ValueError(f"{value!r} disagrees with {old!r} read earlier for {src}")
    data[src] = value


_MISSING = object()


def parse_body(layout: Layout, body: Sequence[Segment | Sequence[str]], source: str = "") -> Any:
    """Build the model of ``layout`` from body segments (between ST and SE).

    Raises:
        MappingError: naming segment number, label and element of the first problem.
    """
    return _Reader(layout, body, source).build()
