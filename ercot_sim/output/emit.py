"""Render a :class:`~ercot_sim.market.messages.Message` as the X12 body of its Texas SET transaction.

A message carries its transaction's typed payload (:mod:`edi.texas_set.payloads`: the fields of
the mapping layout, built by the participant that sends it) and the header that says where and
when it travels (code, references, ESI ID); the date it is sent is the transport's. One
renderer turns the two into X12: :func:`render_text` gives the text of the mapping's compiled
layout (``edi.texas_set.mapping``), or, for the hot codes, of a template checked against it
(:mod:`ercot_sim.output.templates`). Nothing is translated here: what a file says is what the
participant put in the payload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from edi.texas_set import mapping as _mapping
from edi.texas_set.mapping.render import compile_payload_text_layout, compile_text_layout
from edi.texas_set.payloads import HEADER, NOT_IN_LAYOUT, Payload, header_fields
from edi.texas_set.payloads import mapping_fields as _join
from ercot_sim.market.messages import Message, OutOfBand
from ercot_sim.output import templates as _templates
from ercot_sim.output.templates import _TEMPLATES, checked

__all__ = ["MAPPING", "mapping_fields", "render_body", "render_text"]

#: Transaction codes the edi mapping can render.
MAPPING: frozenset[str] = frozenset(_mapping.codes())

Segs = list[list[str]]
#: CCYYMMDD -> date of the send dates seen (a run has a few hundred; bounded)
_DATES: dict[str, dt.date] = {}


def _day(text: str) -> dt.date:
    got = _DATES.get(text)
    if got is None:
        got = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        if len(_DATES) < 50_000:
            _DATES[text] = got
    return got


def mapping_fields(m: Message, date: str) -> dict[str, Any]:
    """The fields of ``m``'s model as the edi mapping takes them: its payload and its header,
    sent on ``date`` (CCYYMMDD)."""
    p = m.payload
    if isinstance(p, OutOfBand):
        raise ValueError(f"{m.code} {m.ref} is out of band: it has no X12")
    return _join(m.code, p, ref=m.ref, date=_day(date), esi_id=m.esi_id, orig_ref=m.orig_ref)


def render_body(m: Message, date: str) -> Segs:
    """The segments between ST and SE of ``m`` sent on ``date`` (CCYYMMDD): what
    ``edi.texas_set.mapping.render`` gives for its fields (the validated model's segments)."""
    return _mapping.render(m.code, mapping_fields(m, date))


#: (code, separator, terminator) -> its compiled text renderer (about 40 codes, two delimiter sets)
_PAYLOAD_TEXT: dict[tuple[str, str, str], Callable[[Payload, dict[str, Any]], tuple[str, int]]] = {}


def render_text(m: Message, date: str, separator: str = "*", terminator: str = "~") -> tuple[str, int]:
    """The body of ``m`` as X12 text and its segment count (for ``X12Writer.add_text``).

    Exactly the text of :func:`render_body`'s segments joined with the given delimiters,
    rendered straight to text: the hot codes by their checked templates
    (:mod:`ercot_sim.output.templates`), the others by a function compiled once per code and
    delimiters from the mapping's layout.

    Args:
        m: the message.
        date: the date it is sent, CCYYMMDD (BGN03, BPT03, BIG01 ...).
        separator: element separator.
        terminator: segment terminator.
    """
    if separator == "*" and terminator == "~":  # templates: usage lines, payments and 997s
        fn = _TEMPLATES.get(m.code)
        shaped = fn(m, date) if fn is not None else None
        if shaped is not None:
            body, n, bits = shaped
            verdicts = _templates._CHECKED.get(m.code)
            if verdicts is not None and verdicts.get(bits):
                return body, n
            got = checked(m, date, body, n, bits, _mapping_text)
            if got is not None:
                return got
    return _mapping_text(m, date, separator, terminator)


def _mapping_text(m: Message, date: str, separator: str = "*", terminator: str = "~") -> tuple[str, int]:
    key = (m.code, separator, terminator)
    fn = _PAYLOAD_TEXT.get(key)
    if fn is None:
        if m.code in _mapping.RETIRED:
            raise ValueError(f"{m.code} is retired: it can be read, not sent")
        fn = _PAYLOAD_TEXT[key] = _compile(m.code, separator, terminator)
    p = m.payload
    if isinstance(p, OutOfBand):
        raise ValueError(f"{m.code} {m.ref} is out of band: it has no X12")
    try:
        return fn(p, header_fields(m.code, p, ref=m.ref, date=_day(date), esi_id=m.esi_id, orig_ref=m.orig_ref))
    except (KeyError, TypeError, AttributeError, ValueError):
        _mapping.render(m.code, mapping_fields(m, date))  # raises the mapping's located MappingError
        raise


def _compile(code: str, separator: str, terminator: str) -> Callable[[Payload, dict[str, Any]], tuple[str, int]]:
    """The text renderer of ``code``: from the payload's attributes, or, for a layout that
    fills fields from others (the 810's total), from the joined fields of :func:`mapping_fields`."""
    lay = _mapping.layout(code)
    if lay.prepare is None:
        return compile_payload_text_layout(lay, frozenset(HEADER[code[:3]]), separator, terminator)
    joined = compile_text_layout(lay, separator, terminator)

    def render(p: Payload, header: dict[str, Any]) -> tuple[str, int]:
        fields = p.as_fields()
        for name in NOT_IN_LAYOUT.get(p.FAMILY, ()):
            del fields[name]
        fields.update(header)
        return joined(fields)

    return render
