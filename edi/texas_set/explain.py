"""Guides and transactions in plain market language.

:func:`explain_guide` prints a guide as a table: loop, segment, element, usage, type, length,
codes with their meaning, and whether each item is confirmed or assumed.
:func:`explain_transaction` walks one transaction set and says what every segment and element
means, with codes decoded::

    DTM*150 Service period start: 2025-03-06 (scheduled meter read date)

Both are library functions; the ``ercot-sim explain`` command prints them.
"""

from __future__ import annotations

from edi.errors import GuideError
from edi.texas_set.catalog import identify
from edi.texas_set.guide import (
    ElementSpec,
    Guide,
    LoopSpec,
    SegmentSpec,
    load_code_list,
    load_guide,
)

__all__ = ["explain_guide", "explain_segment", "explain_transaction", "guide_counts"]

_USAGE = {"M": "mandatory", "O": "optional", "X": "situational", "N": "not used"}
_MAX_CODES = 12


def _mark(confirmed: bool) -> str:
    return "confirmed" if confirmed else "assumed"


def _codes(e: ElementSpec) -> str:
    if not e.codes:
        return ""
    items = [f"{c}={e.code_names.get(c, '')}{'' if e.code_confirmed.get(c, False) else ' (assumed)'}"
             for c in sorted(e.codes)]
    more = f"; ... {len(items) - _MAX_CODES} more in code list {e.code_list}" if len(items) > _MAX_CODES else ""
    return "; ".join(items[:_MAX_CODES]) + more


def guide_counts(guide: Guide) -> dict[str, int]:
    """Counts of confirmed and assumed items in a guide (loops, segments, elements, codes)."""
    counts = {"confirmed": 0, "assumed": 0}

    def add(flag: bool) -> None:
        counts["confirmed" if flag else "assumed"] += 1

    for loop in guide.loops():
        add(loop.confirmed)
    for _, seg in guide.segments():
        add(seg.confirmed)
        for e in seg.elements:
            add(e.confirmed)
            for c in e.codes or ():
                add(e.code_confirmed.get(c, False))
        for cond in seg.conditions:
            add(cond.confirmed)
    for flag in guide.identify_confirmed.values():
        add(flag)
    return counts


def explain_guide(code: str) -> str:
    """The guide for ``code`` as a readable table, every item marked confirmed or assumed.

    Raises:
        GuideError: no such guide, or the guide is broken.
    """
    g = load_guide(code)
    flows = ", ".join(f"{f.sender} -> {f.receiver}{'' if f.confirmed else ' (assumed)'}" for f in g.flows)
    lines = [
        f"{g.code}  {g.name}{'  [RETIRED: read old files only]' if g.retired else ''}",
        f"ST01 {g.st01}, GS01 {g.functional_id}; flow: {flows}",
        f"Purpose: {g.purpose} ({_mark(g.purpose_confirmed)})",
        ("Identified by: " + ", ".join(f"{k}={v}{'' if g.identify_confirmed.get(k) else ' (assumed)'}"
                                       for k, v in g.identify.items())
         if g.identify else "Identified by: ST01 and the flow"),
    ]
    for n in g.notes:
        lines.append(f"Note ({_mark(n.confirmed)}{', ' + n.source if n.source else ''}): {n.text}")
    counts = guide_counts(g)
    lines.append(f"Items: {counts['confirmed']} confirmed, {counts['assumed']} assumed")
    lines.append("")
    lines.append(f"{'Item':<34} {'Usage':<12} {'Max':>5} {'Type':<4} {'Len':<7} Status     Meaning / codes")
    lines.append("-" * 110)
    _rows(g.body, 0, lines)
    if g.sources:
        lines.append("")
        lines.append("Sources: " + "; ".join(g.sources))
    return "\n".join(lines)


def _rows(items: tuple[SegmentSpec | LoopSpec, ...], depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    for item in items:
        if isinstance(item, LoopSpec):
            label = f"{pad}Loop {item.id} ({item.trigger.label()})"
            lines.append(f"{label:<34} {_USAGE[item.usage]:<12} {item.max_repeat:>5} {'':<4} {'':<7} "
                         f"{_mark(item.confirmed):<10} {item.name}")
            _rows(item.children, depth + 1, lines)
            continue
        label = f"{pad}{item.label()}"
        note = f" -- {item.note}" if item.note else ""
        lines.append(f"{label:<34} {_USAGE[item.usage]:<12} {item.max_use:>5} {'':<4} {'':<7} "
                     f"{_mark(item.confirmed):<10} {item.name}{note}")
        for e in item.elements:
            length = f"{e.min_len}-{e.max_len}"
            extra = _codes(e)
            text = e.name + (f" [{extra}]" if extra else "") + (f" -- {e.note}" if e.note else "")
            lines.append(f"{pad + '  ' + e.ref:<34} {_USAGE[e.usage]:<12} {'':>5} {e.type:<4} {length:<7} "
                         f"{_mark(e.confirmed):<10} {text}")
        for c in item.conditions:
            refs = ", ".join(f"{item.id}{p:02d}" for p in c.positions)
            lines.append(f"{pad + '  syntax ' + c.kind:<34} {'':<12} {'':>5} {'':<4} {'':<7} "
                         f"{_mark(c.confirmed):<10} {_CONDITION[c.kind]}: {refs}")


_CONDITION = {
    "P": "paired: all or none of",
    "R": "required: at least one of",
    "E": "exclusion: at most one of",
    "C": "conditional: if the first is present, all of",
    "L": "list conditional: if the first is present, at least one other of",
}


# transactions ===================================================================================


def _value(e: ElementSpec | None, value: str) -> str:
    if e is None:
        return value
    if e.type == "DT" and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if e.type == "TM" and value.isdigit() and len(value) in (4, 6, 8):
        return ":".join(value[i : i + 2] for i in range(0, min(len(value), 6), 2))
    name = e.code_names.get(value)
    if name is None and e.code_list:
        try:
            code = load_code_list(e.code_list).codes.get(value)
        except GuideError:
            code = None
        name = code.name if code else None
    if name:
        return f"{value} ({name})"
    if e.codes is not None:
        return f"{value} (not a code this guide knows)"
    return value


def explain_transaction(txn: object, roles: dict[str, str] | None = None) -> list[str]:
    """Each segment and element of a transaction set in plain market language.

    Args:
        txn: an :class:`edi.x12.TransactionSet`.
        roles: DUNS -> role, passed to :func:`edi.texas_set.catalog.identify`.

    Returns:
        Lines of text: a header naming the transaction, then one line per segment (qualified
        segments with one value on one line, others followed by their elements, indented).
    """
    ident = identify(txn, roles)
    st01 = getattr(txn, "st01", "?")
    control = getattr(txn, "control", "?")
    guide = load_guide(ident.code) if ident.code else None
    if guide is not None:
        sender = getattr(txn, "sender", "") or "?"
        receiver = getattr(txn, "receiver", "") or "?"
        flow = (f"{ident.sender_role or 'role unknown'} {sender} -> "
                f"{ident.receiver_role or 'role unknown'} {receiver}")
        extra = f" [{', '.join(ident.variants)}]" if ident.variants else ""
        head = f"Transaction {guide.code} {guide.name}{extra}, ST02 {control}, sent {flow}"
        if guide.retired:
            head += " (RETIRED transaction)"
    else:
        head = f"Transaction set {st01} {control}: not identified ({ident.reason})"
    lines = [head]
    if ident.role_mismatch:
        lines.append(f"  warning: {ident.reason}")
    raw = getattr(txn, "raw_body", None)
    body = raw if raw is not None else [s.elements for s in txn.body]  # type: ignore[attr-defined]
    for els in body:
        lines.extend(_explain_segment(guide, els))
    return lines


def explain_segment(code: str, elements: list[str]) -> list[str]:
    """One segment (``["DTM", "150", "20250317"]``) as the guide of transaction ``code``
    (``814_16``) reads it: what :func:`explain_transaction` says of it in that transaction."""
    try:
        guide = load_guide(code)
    except GuideError:
        guide = None
    return _explain_segment(guide, elements)


def _explain_segment(guide: Guide | None, els: list[str]) -> list[str]:
    sid = els[0] if els else ""
    qual = els[1] if len(els) > 1 else ""
    spec = guide.find_segment(sid, qual) if guide is not None else None
    label = f"{sid}*{qual}" if spec is not None and spec.qualifier else sid
    if spec is None:
        known = " (not in this guide)" if guide is not None else ""
        return [f"{'*'.join(els)}{known}"]
    filled = [(i, v) for i, v in enumerate(els[1:], 1) if v]
    note = f" ({spec.note})" if spec.note else ""
    if spec.qualifier:
        rest = [(i, v) for i, v in filled if i != 1]
        if len(rest) == 1:
            i, v = rest[0]
            return [f"{label} {spec.name}: {_value(spec.by_pos.get(i), v)}{note}"]
    lines = [f"{label} {spec.name}{note}"]
    for i, v in filled:
        if spec.qualifier and i == 1:
            continue
        e = spec.by_pos.get(i)
        name = e.name if e is not None else "(element not in this guide)"
        lines.append(f"  {sid}{i:02d} {name}: {_value(e, v)}")
    return lines
