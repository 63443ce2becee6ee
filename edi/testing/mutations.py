"""Deliberately invalid transactions: one named mutation of a valid draw, and what it must cause.

:func:`invalid_transactions` draws a valid transaction from its guide
(:func:`edi.testing.transactions`), applies one mutation of :data:`MUTATIONS` to one place
chosen at random among those where it applies, and returns an :class:`InvalidTransaction`:
the X12 and the finding codes :func:`edi.validate` must produce for it -- those and no other.

A place qualifies only when the mutation changes nothing else: the transaction is still
identified as its code (with and without ``roles=``), every other segment is still matched to
the same slot of the guide, and no syntax note (the guide's or the X12 standard's) or Texas check involves the element
changed.
So ``{f.code for f in edi.validate(bad.to_bytes())} == bad.expected`` is a test that can fail
only when the validator misses the fault or reports more than it.

===========================  =============================================  ===========================
mutation                     what is done                                   finding
===========================  =============================================  ===========================
``drop-mandatory-segment``   a mandatory segment (not a loop's first) goes  ``segment-missing``
``repeat-segment``           a segment used at most once appears twice       ``segment-repeat-exceeded``
``segment-not-in-guide``     an X12 segment no guide of the family uses      ``segment-not-in-guide``
``missing-element``          a mandatory element is left empty               ``element-missing``
``element-too-long``         text one character longer than the maximum     ``element-too-long``
``element-too-short``        text one character shorter than the minimum    ``element-too-short``
``bad-date``                 a date with month 13                            ``invalid-date``
``bad-time``                 a time with hour 25                             ``invalid-time``
``bad-code``                 a value outside the element's code list         ``invalid-code``
``bad-esi-id``               an ESI ID with a letter in it                   ``invalid-esi-id``
``bad-duns``                 a 10-digit DUNS under N103 ``1``/``9``           ``invalid-duns``
``bad-se-count``             SE01 one more than the segments                ``se-count-mismatch``
``se-control-mismatch``      SE02 differs from ST02                          ``st-se-control-mismatch``
===========================  =============================================  ===========================
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import reject
from hypothesis import strategies as st

from edi.testing.guided import DrawnTransaction, _identified, transactions, walk_slots
from edi.texas_set.guide import ElementSpec, SegmentSpec, all_guides, guide_codes, load_guide
from edi.validate.texas import X12_SEGMENT_IDS
from edi.x12.standard import segment_def

__all__ = ["MUTATIONS", "InvalidTransaction", "Mutation", "invalid_transactions"]

_FIRST_BODY_SEGMENT = 4  # ISA 1, GS 2, ST 3


@dataclass(frozen=True, slots=True)
class Mutation:
    """One way to break a transaction.

    Attributes:
        name: ``bad-date`` ...
        finding: the finding code it must produce.
        description: what is done.
    """

    name: str
    finding: str
    description: str


@dataclass(frozen=True)
class InvalidTransaction:
    """A valid draw with one mutation applied.

    Attributes:
        valid: the transaction before the mutation.
        mutation: the name of the mutation (a key of :data:`MUTATIONS`).
        expected: the finding codes validation must produce, and no other.
        x12: the interchange holding the mutated transaction set.
        segment: the segment number (the ISA is 1) the findings point to, when the
            mutation fixes it (not for a missing segment: its absence shows where the walk
            notices it).
        element: the element the finding names (``DTM02``), or ``""``.
        change: what was changed, in words.
    """

    valid: DrawnTransaction
    mutation: str
    expected: frozenset[str]
    x12: str
    segment: int | None
    element: str
    change: str

    @property
    def code(self) -> str:
        """The Texas SET code of the transaction."""
        return self.valid.code

    def to_bytes(self) -> bytes:
        """:attr:`x12` as bytes (Latin-1)."""
        return self.x12.encode("latin-1")


def _m(name: str, finding: str, description: str) -> tuple[str, Mutation]:
    return name, Mutation(name, finding, description)


#: Every mutation, by name.
MUTATIONS: dict[str, Mutation] = dict(
    [
        _m("drop-mandatory-segment", "segment-missing", "a mandatory segment (not a loop's first) is left out"),
        _m("repeat-segment", "segment-repeat-exceeded", "a segment used at most once appears twice in a row"),
        _m("segment-not-in-guide", "segment-not-in-guide",
           "an X12 segment that no guide of the family uses is added at the end"),
        _m("missing-element", "element-missing", "a mandatory element is left empty"),
        _m("element-too-long", "element-too-long", "a text element one character longer than its maximum"),
        _m("element-too-short", "element-too-short", "a text element one character shorter than its minimum"),
        _m("bad-date", "invalid-date", "a date with month 13"),
        _m("bad-time", "invalid-time", "a time with hour 25"),
        _m("bad-code", "invalid-code", "a value outside the element's code list"),
        _m("bad-esi-id", "invalid-esi-id", "an ESI ID (REF*Q5) with a letter for its last digit"),
        _m("bad-duns", "invalid-duns", "a 10-digit N104 under N103 1 or 9"),
        _m("bad-se-count", "se-count-mismatch", "SE01 one more than the segments ST through SE"),
        _m("se-control-mismatch", "st-se-control-mismatch", "SE02 differs from ST02"),
    ]
)


# targets ========================================================================================

#: (body index, element position or 0, new value or None) -> a candidate change
_Target = tuple[int, int, str]


def _in_condition(spec: SegmentSpec, pos: int) -> bool:
    """Whether a syntax note of the guide or of the X12 standard's segment names ``pos``."""
    std = segment_def(spec.id)
    return any(pos in c.positions for c in spec.conditions) or (
        std is not None and any(pos in note.positions for note in std.syntax))


@functools.cache
def _qualified_ids(code: str) -> frozenset[str]:
    """Segment IDs the guide tells apart by element 1: changing that element moves the segment."""
    return frozenset(s.id for _, s in load_guide(code).segments() if s.qualifier is not None)


def _specs(drawn: DrawnTransaction) -> list[SegmentSpec]:
    """The guide's definition of each body segment, as the validator's walk matches it."""
    walked = walk_slots(load_guide(drawn.code), drawn.body)
    assert walked is not None, "a drawn body is matched by the walk everywhere"
    return walked[1]


def _element_targets(drawn: DrawnTransaction, specs: Sequence[SegmentSpec],
                     want: Callable[[SegmentSpec, ElementSpec, Sequence[str]], str | None]) -> list[_Target]:
    """(index, position, new value) for every present element where ``want`` gives a value."""
    out: list[_Target] = []
    for i, els in enumerate(drawn.body):
        spec = specs[i]
        for e in spec.elements:
            if e.pos >= len(els) or not els[e.pos]:
                continue
            if e.pos == 1 and spec.id in _qualified_ids(drawn.code):
                continue
            value = want(spec, e, els)
            if value is not None:
                out.append((i, e.pos, value))
    return out


def _is_text(e: ElementSpec) -> bool:
    return e.codes is None and e.type in ("AN", "ID")


def _texas_checked(spec: SegmentSpec, e: ElementSpec) -> bool:
    """Whether the validator's ESI ID or DUNS check may read this element too."""
    return (spec.id == "REF" and e.pos in (2, 3)) or (spec.id == "N1" and e.pos == 4)


def _too_long(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if not _is_text(e) or not e.max_len or _texas_checked(spec, e):
        return None
    return (els[e.pos] + "X" * e.max_len)[: e.max_len + 1]


def _too_short(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if not _is_text(e) or e.min_len < 2 or _texas_checked(spec, e):
        return None
    return "X" * (e.min_len - 1)


def _bad_date(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    old = els[e.pos]
    if e.type != "DT" or e.codes is not None or len(old) not in (6, 8):
        return None
    return old[:-4] + "13" + old[-2:]


def _bad_time(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if e.type != "TM" or e.codes is not None:
        return None
    return "25" + els[e.pos][2:]


def _bad_code(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if e.codes is None:
        return None
    for size in range(max(e.min_len, 1), (e.max_len or 3) + 1):
        for ch in "ZQXJ9":
            if ch * size not in e.codes:
                return ch * size
    return None


def _bad_esi(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if spec.id != "REF" or els[1] != "Q5" or e.pos != 2:
        return None
    return els[2][:-1] + "A"


def _bad_duns(spec: SegmentSpec, e: ElementSpec, els: Sequence[str]) -> str | None:
    if spec.id != "N1" or e.pos != 4 or els[3] not in ("1", "9") or e.min_len > 10 or (e.max_len and e.max_len < 10):
        return None
    return "1234567890"


_ELEMENT = {
    "element-too-long": _too_long,
    "element-too-short": _too_short,
    "bad-date": _bad_date,
    "bad-time": _bad_time,
    "bad-code": _bad_code,
    "bad-esi-id": _bad_esi,
    "bad-duns": _bad_duns,
}


def _set(body: Sequence[Sequence[str]], i: int, pos: int, value: str) -> list[list[str]]:
    out = [list(s) for s in body]
    els = out[i]
    els[pos] = value
    while len(els) > 1 and not els[-1]:
        els.pop()
    return out


def _still_itself(drawn: DrawnTransaction, body: Sequence[Sequence[str]]) -> bool:
    return _identified(drawn, None, body) and _identified(drawn, drawn.roles, body)


def _candidates(drawn: DrawnTransaction, name: str) -> list[tuple[list[list[str]], int | None, str, str]]:
    """Every (mutated body, segment number, element, change) the mutation can make of ``drawn``."""
    body = drawn.body
    specs = _specs(drawn)
    out: list[tuple[list[list[str]], int | None, str, str]] = []
    if name in _ELEMENT:
        # a new value keeps every element's presence: syntax notes are not affected
        for i, pos, value in _element_targets(drawn, specs, _ELEMENT[name]):
            spec = specs[i]
            ref = f"{spec.id}{pos:02d}"
            out.append((_set(body, i, pos, value), _FIRST_BODY_SEGMENT + i, ref,
                        f"{spec.label()} {ref} {body[i][pos]!r} -> {value!r}"))
    elif name == "missing-element":
        for i, els in enumerate(body):
            spec = specs[i]
            for e in spec.elements:
                if (e.usage == "M" and e.pos < len(els) and els[e.pos] and not _in_condition(spec, e.pos)
                        and not (e.pos == 1 and spec.id in _qualified_ids(drawn.code))):
                    out.append((_set(body, i, e.pos, ""), _FIRST_BODY_SEGMENT + i, e.ref,
                                f"{spec.label()} {e.ref} {els[e.pos]!r} left empty"))
    elif name == "drop-mandatory-segment":
        slots = drawn.slots
        for i, (frame, j, trigger) in enumerate(slots):
            spec = specs[i]
            if trigger or spec.usage != "M" or sum(1 for f, k, _ in slots if (f, k) == (frame, j)) != 1:
                continue
            new = [list(s) for k, s in enumerate(body) if k != i]
            walked = walk_slots(load_guide(drawn.code), new)
            if walked is not None and walked[0] == list(slots[:i] + slots[i + 1 :]):
                out.append((new, None, "", f"{spec.label()} (segment {_FIRST_BODY_SEGMENT + i}) left out"))
    elif name == "repeat-segment":
        for i, (_frame, _j, trigger) in enumerate(drawn.slots):
            spec = specs[i]
            if trigger or spec.max_use != 1:
                continue
            new = [list(s) for s in body[: i + 1]] + [list(body[i])] + [list(s) for s in body[i + 1 :]]
            out.append((new, _FIRST_BODY_SEGMENT + i + 1, "",
                        f"{spec.label()} (segment {_FIRST_BODY_SEGMENT + i}) repeated"))
    elif name == "segment-not-in-guide":
        sid = _foreign_segment(drawn.st01)
        new = [list(s) for s in body] + [[sid, "X"]]
        out.append((new, _FIRST_BODY_SEGMENT + len(body), "", f"{sid} added after the last segment"))
    return [c for c in out if _still_itself(drawn, c[0])]


@functools.cache
def _foreign_segment(st01: str) -> str:
    """An X12 segment ID that no guide of the ``st01`` family uses (the first, sorted)."""
    used = {s.id for g in all_guides() if g.st01 == st01 for _, s in g.segments()}
    return sorted(X12_SEGMENT_IDS - used - {"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})[0]


def _trailer(x12: str, se01: str, se02: str) -> str:
    """The interchange with the SE of the (only) transaction set rewritten."""
    head, sep, rest = x12.rpartition("~SE*")
    end = rest.index("~")
    return f"{head}{sep}{se01}*{se02}{rest[end:]}"


@st.composite
def _invalid(draw: st.DrawFn, codes: tuple[str, ...], names: tuple[str, ...]) -> InvalidTransaction:
    code = draw(st.sampled_from(codes))
    name = draw(st.sampled_from([n for n in names if _possible(code, n)]))
    drawn = draw(transactions(code))
    if name in ("bad-se-count", "se-control-mismatch"):
        x12 = drawn.to_x12()
        count = len(drawn.body) + 2
        if name == "bad-se-count":
            x12, element = _trailer(x12, str(count + 1), "0001"), "SE01"
        else:
            x12, element = _trailer(x12, str(count), "0002"), "SE02"
        return InvalidTransaction(drawn, name, frozenset({MUTATIONS[name].finding}), x12,
                                  _FIRST_BODY_SEGMENT + len(drawn.body), element, f"{element} changed")
    found = _candidates(drawn, name)
    if not found:
        reject()
    body, segment, element, change = draw(st.sampled_from(found))
    bad = DrawnTransaction(drawn.code, tuple(tuple(s) for s in body), drawn.sender, drawn.receiver, drawn.sender_role,
                           drawn.receiver_role, drawn.functional_id, drawn.when)
    return InvalidTransaction(drawn, name, frozenset({MUTATIONS[name].finding}), bad.to_x12(), segment, element, change)


def invalid_transactions(code: str | None = None,
                         mutation: str | Sequence[str] | None = None) -> st.SearchStrategy[InvalidTransaction]:
    """Invalid transactions of ``code`` (any code when None), broken by ``mutation`` (one
    name, several, or any of :data:`MUTATIONS` when None).

    Codes whose guide has nowhere for the mutations to apply (no time element to break ...)
    are not drawn; a draw whose optional content leaves no place is rejected, as ``assume``
    does.

    Raises:
        ValueError: an unknown mutation name, or mutations that cannot apply to ``code``.
        GuideError: ``code`` names no guide.
    """
    names: tuple[str, ...]
    if mutation is None:  # noqa: SIM108 (a nested conditional expression would read worse)
        names = tuple(MUTATIONS)
    else:
        names = (mutation,) if isinstance(mutation, str) else tuple(mutation)
    unknown = [n for n in names if n not in MUTATIONS]
    if unknown or not names:
        raise ValueError(f"unknown mutation {', '.join(unknown) or '(none given)'}; known: {', '.join(MUTATIONS)}")
    candidates = (code,) if code is not None else tuple(guide_codes())
    codes = tuple(c for c in candidates if any(_possible(c, n) for n in names))
    if not codes:
        raise ValueError(f"mutation {', '.join(names)} cannot apply to guide {code or 'of any code'}")
    return _invalid(codes, names)


@functools.cache
def _possible(code: str, name: str) -> bool:
    """Whether the guide of ``code`` has anywhere ``name`` could apply at all."""
    guide = load_guide(code)
    specs = [s for _, s in guide.segments() if s.usage != "N"]

    def any_element(test: Callable[[SegmentSpec, ElementSpec], bool]) -> bool:
        return any(test(s, e) for s in specs for e in s.elements if e.usage != "N")

    checks: dict[str, Callable[[], bool]] = {
        "bad-date": lambda: any_element(lambda s, e: e.type == "DT" and e.codes is None),
        "bad-time": lambda: any_element(lambda s, e: e.type == "TM" and e.codes is None),
        "element-too-long": lambda: any_element(
            lambda s, e: _is_text(e) and bool(e.max_len) and not _texas_checked(s, e)),
        "element-too-short": lambda: any_element(
            lambda s, e: _is_text(e) and e.min_len > 1 and not _texas_checked(s, e)),
        "bad-code": lambda: any_element(
            lambda s, e: e.codes is not None and not (e.pos == 1 and s.id in _qualified_ids(code))),
        "bad-esi-id": lambda: any(s.id == "REF" and s.qualifier == "Q5" for s in specs),
        "bad-duns": lambda: any(s.id == "N1" and 4 in s.by_pos for s in specs),
        "missing-element": lambda: any_element(lambda s, e: e.usage == "M" and not _in_condition(s, e.pos)),
        "drop-mandatory-segment": lambda: any(s.usage == "M" for s in specs),
        "repeat-segment": lambda: any(s.max_use == 1 for s in specs),
    }
    test = checks.get(name)
    return test() if test is not None else True
