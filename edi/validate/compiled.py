"""A guide compiled once into the lookup tables the validator walks.

:func:`compile_guide` turns an implementation guide (:class:`edi.texas_set.guide.Guide`: loops
of segments of elements, see ``CONTRACTS.md``) into :class:`CompiledLoop` and
:class:`CompiledSegment` objects:

* every loop indexes its children by segment ID, so finding where a segment fits is a
  dictionary look-up plus a scan of the (usually one or two) children with that ID;
* every segment holds its elements as plain tuples ``(pos, ref, usage, check, codes,
  confirmed, name)`` with the data type check precompiled by :func:`edi.datatypes.checker`,
  so checking an element builds no object unless something is wrong.

The compiler reads the guide through its attributes only, so any object with the attributes
named in ``CONTRACTS.md`` can be compiled (tests use small guides built in memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edi.datatypes import DATA_TYPES, Problem, checker
from edi.errors import GuideError
from edi.validate.fastpath import segment_check

__all__ = ["CompiledGuide", "CompiledLoop", "CompiledSegment", "ElementRow", "compile_guide"]

#: ``(pos, ref, usage, check, codes, confirmed, name, code_names)`` for one element.
ElementRow = tuple[int, str, str, Callable[[str], Problem | None], frozenset[str] | None, bool, str, dict[str, str]]

_UNLIMITED = 1 << 30


class CompiledSegment:
    """One segment of a guide, ready to check: elements as tuples, limits as ints."""

    __slots__ = (
        "id", "qualifier", "label", "name", "usage", "max_use", "confirmed", "note",
        "elements", "max_pos", "unlisted", "conditions", "is_loop", "refs", "ok", "limits",
        "texas",
    )

    def __init__(self, spec: Any, guide_code: str) -> None:
        self.is_loop = False
        self.id: str = spec.id
        self.qualifier: str | None = spec.qualifier or None
        self.label: str = f"{self.id}*{self.qualifier}" if self.qualifier else self.id
        self.name: str = spec.name or self.label
        self.usage: str = spec.usage
        self.max_use: int = spec.max_use or _UNLIMITED
        self.confirmed: bool = bool(spec.confirmed)
        self.note: str = getattr(spec, "note", "") or ""
        #: whether the Texas SET shape checks (ESI ID in REF*Q5, DUNS in N104) apply: False for
        #: the X12 standard's own segments (edi.validate.standard)
        self.texas: bool = bool(getattr(spec, "texas", True))
        rows: list[ElementRow] = []
        #: position -> (data type, min length, max length)
        self.limits: dict[int, tuple[str, int, int]] = {}
        for e in spec.elements:
            if e.type not in DATA_TYPES:
                raise GuideError(f"element {e.ref} has unknown data type {e.type!r}", f"guide {guide_code}")
            check = checker(e.type, e.min_len or 0, e.max_len or 0)
            codes = frozenset(e.codes) if e.codes else None
            self.limits[e.pos] = (e.type, e.min_len or 0, e.max_len or 0)
            rows.append((e.pos, e.ref, e.usage, check, codes, bool(e.confirmed), e.name or e.ref,
                         dict(e.code_names or {})))
        rows.sort(key=lambda r: r[0])
        self.elements: tuple[ElementRow, ...] = tuple(rows)
        self.max_pos: int = rows[-1][0] if rows else 0
        listed = {r[0] for r in rows}
        #: positions up to the last defined one that the guide does not list (not used)
        self.unlisted: tuple[int, ...] = tuple(p for p in range(1, self.max_pos) if p not in listed)
        self.refs: dict[int, ElementRow] = {r[0]: r for r in rows}
        self.conditions: tuple[tuple[str, tuple[int, ...], bool], ...] = tuple(
            (c.kind, tuple(c.positions), bool(c.confirmed)) for c in spec.conditions or ()
        )
        #: ``ok(elements) -> bool``: True when the segment breaks no element rule (fast path)
        self.ok: Callable[[list[str]], bool] = segment_check(self)

    @property
    def mandatory(self) -> bool:
        return self.usage == "M"

    def ref(self, pos: int) -> str:
        """Reference designator of element ``pos`` (``DTM02``)."""
        return f"{self.id}{pos:02d}"

    def __repr__(self) -> str:
        return f"CompiledSegment({self.label})"


class CompiledLoop:
    """A loop (or the transaction body) with its children indexed by segment ID.

    Attributes:
        children: segments and loops in guide order; a loop's first child is its trigger.
        index: segment ID -> ``[(qualifier or None, child index), ...]`` in guide order; a
            child loop is indexed under its trigger segment.
        mandatory: child indexes whose usage is ``M``.
    """

    __slots__ = (
        "id", "name", "usage", "max_repeat", "max_use", "confirmed", "children", "index",
        "mandatory", "trigger", "is_loop", "root", "path",
    )

    def __init__(self, spec: Any, guide_code: str, parent_path: str = "", root: bool = False) -> None:
        self.is_loop = True
        self.root = root
        self.id: str = "" if root else spec.id
        self.name: str = "" if root else (spec.name or spec.id)
        self.usage: str = "M" if root else spec.usage
        self.max_repeat: int = _UNLIMITED if root else (spec.max_repeat or _UNLIMITED)
        self.max_use = self.max_repeat
        self.confirmed: bool = True if root else bool(spec.confirmed)
        self.path: str = f"{parent_path}/{self.id}" if parent_path else self.id
        children_specs = spec if root else spec.children
        kids: list[CompiledSegment | CompiledLoop] = []
        for child in children_specs:
            if hasattr(child, "children"):
                kids.append(CompiledLoop(child, guide_code, self.path))
            else:
                kids.append(CompiledSegment(child, guide_code))
        if not kids and not root:
            raise GuideError(f"loop {self.id} has no segments", f"guide {guide_code}")
        self.children: tuple[CompiledSegment | CompiledLoop, ...] = tuple(kids)
        first = kids[0] if kids else None
        if not root and isinstance(first, CompiledLoop):
            raise GuideError(f"loop {self.id} must begin with a segment, not loop {first.id}", f"guide {guide_code}")
        self.trigger: CompiledSegment | None = None if root else first  # type: ignore[assignment]
        index: dict[str, list[tuple[str | None, int]]] = {}
        for i, child in enumerate(kids):
            seg = child.trigger if isinstance(child, CompiledLoop) else child
            assert seg is not None
            index.setdefault(seg.id, []).append((seg.qualifier, i))
        self.index = index
        self.mandatory: frozenset[int] = frozenset(i for i, c in enumerate(kids) if c.usage == "M")

    @property
    def label(self) -> str:
        return self.trigger.label if self.trigger else ""

    def __repr__(self) -> str:
        return f"CompiledLoop({self.id or '<body>'})"


@dataclass
class CompiledGuide:
    """A guide ready for :func:`edi.validate.validate_transaction`.

    Attributes:
        code: ``814_01`` ...
        guide: the guide object it was compiled from.
        body: the transaction body as a root loop.
        where: ``(segment ID, qualifier)`` -> loop paths where the guide places it (for
            "belongs in loop ..." messages).
        ids: every segment ID the guide uses.
    """

    code: str
    guide: Any
    body: CompiledLoop
    confirmed: bool = True
    where: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)
    ids: frozenset[str] = frozenset()
    #: segment IDs the guide tells apart by qualifier somewhere (the walk reads element 1)
    qualified: frozenset[str] = frozenset()
    #: layouts walked without a structural finding -> the segment definition (and its loop)
    #: of each body segment; filled by :func:`edi.validate.walker.check_transaction`
    plans: dict[tuple[object, ...], tuple[tuple[CompiledSegment, str], ...]] = field(default_factory=dict, repr=False)
    #: layouts known to fit the X12 standard's table (walked once without a finding); filled
    #: by :func:`edi.validate.walker.check_transaction`, bounded like ``plans``
    fits_standard: set[tuple[object, ...]] = field(default_factory=set, repr=False)


def _collect(loop: CompiledLoop, where: dict[tuple[str, str | None], list[str]]) -> None:
    for child in loop.children:
        if isinstance(child, CompiledLoop):
            _collect(child, where)
        else:
            where.setdefault((child.id, child.qualifier), []).append(loop.path or "header")


def compile_guide(guide: Any) -> CompiledGuide:
    """Compile a guide into lookup tables (callers cache the result per guide).

    Raises:
        GuideError: the guide uses an unknown data type or has a loop without segments.
    """
    code = getattr(guide, "code", "?")
    body = CompiledLoop(tuple(guide.body), code, root=True)
    where: dict[tuple[str, str | None], list[str]] = {}
    _collect(body, where)
    return CompiledGuide(
        code=code,
        guide=guide,
        body=body,
        confirmed=bool(getattr(guide, "confirmed", True)),
        where=where,
        ids=frozenset(k[0] for k in where),
        qualified=frozenset(k[0] for k in where if k[1] is not None),
    )
