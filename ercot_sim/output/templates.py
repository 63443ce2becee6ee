"""Direct text templates for the hot path: 867_03, 810_02, 820_02 and 997 straight to X12 text.

The monthly 867_03 and 810_02 for every ESI ID (and ERCOT's pass-through 867_03, the payments
and the 997s answering them) are most of what a market writes. For these codes the body text
is formatted in one f-string from the message's payload, without the field dict of
:func:`ercot_sim.output.emit.mapping_fields` and without the element lists of the mapping.
A template writes every value from the payload; it declines (returns None, and the mapping
renders) a payload whose layout it does not write: an estimated or non-integer reading, a
reading without its optional elements, a party with N106, an allowance, a cancel.

The templates are checked, not trusted: the first message of every *shape* (code, and each
field that changes the text's layout: final read, reference answered, which N1 parties; the
number of transactions a 997 acknowledges is not a shape) is also rendered through the mapping
(:func:`ercot_sim.output.emit.render_text`, which gives exactly the validated model's segments).
When the two differ the mapping renders every message of that shape, so a change of the
mapping tables cannot make the files drift, and a :class:`TemplateDrift` warning says so
(the test suite turns it into an error: the tests of every scenario would fail).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import cast

from edi.texas_set.payloads import Charge, Party, Payload810, Payload820, Payload867, Payload997
from edi.texas_set.types import format_date, format_r
from ercot_sim.market.messages import Message

__all__ = ["TemplateDrift", "template_stats", "template_text"]


Body = tuple[str, int]
#: a template's body, segment count and shape bits (which optional segments it wrote)
Shaped = tuple[str, int, int]


def _n1(qualifier: str, p: Party) -> str:
    return f"N1*{qualifier}*{p.name}*{p.id_qualifier}*{p.duns}~"


def _867_03(m: Message, date: str) -> Shaped | None:
    p: Payload867 = m.payload  # type: ignore[assignment]  # the 867 family's (check_payload)
    periods, meters = p.periods, p.meters
    if p.purpose != "original" or p.esi_id_in_ref03 or len(periods) != 1 or len(meters) != 1:
        return None
    start, end, kwh, estimated = periods[0]
    m_start, end_reading, meter_number, m_end, begin, mkwh, m_estimated, meter_type = meters[0]
    if (estimated or m_estimated or type(kwh) is not int or type(mkwh) is not int or type(begin) is not int
            or type(end_reading) is not int or m_end is None or meter_number is None or meter_type is None):
        return None
    esi = m.esi_id
    if p.final:
        head = f"BPT*00*{m.ref}*{date}*DD***F~REF*Q5**{esi}~"
        bits = 1
    else:
        head = f"BPT*00*{m.ref}*{date}*DD~REF*Q5**{esi}~"
        bits = 0
    n = 12  # BPT, REF*Q5 and the ten segments of the period and meter loops
    if m.orig_ref:
        head += f"REF*TN*{m.orig_ref}~"
        n += 1
        bits |= 2
    tdsp, cr, ercot = p.tdsp, p.cr, p.ercot
    if tdsp is not None:
        name, duns, qualifier, relationship = tdsp
        if relationship is not None:
            return None
        head += f"N1*8S*{name}*{qualifier}*{duns}~"
        n += 1
        bits |= 4
    if cr is not None:
        name, duns, qualifier, relationship = cr
        if relationship is not None:
            return None
        head += f"N1*SJ*{name}*{qualifier}*{duns}~"
        n += 1
        bits |= 8
    if ercot is not None:
        name, duns, qualifier, relationship = ercot
        if relationship is not None:
            return None
        head += f"N1*AY*{name}*{qualifier}*{duns}~"
        n += 1
        bits |= 16
    first, last = format_date(start), format_date(end)
    m_first = first if m_start == start else format_date(m_start)
    m_last = last if m_end == end else format_date(m_end)
    return (f"{head}PTD*SU~DTM*150*{first}~DTM*151*{last}~QTY*QD*{kwh}*KH~"
            f"PTD*PL***MG*{meter_number}~DTM*150*{m_first}~DTM*151*{m_last}~"
            f"REF*MT*{meter_type}~QTY*QD*{mkwh}*KH~MEA*AA*PRQ*{mkwh}*KH*{begin}*{end_reading}*51~"), n, bits


def _810_02(m: Message, date: str) -> Shaped | None:
    p = cast(Payload810, m.payload)
    lines = _charge_lines(p.charges)
    if lines is None or p.invoice_type != "ME" or p.purpose != "00":
        return None
    text, total, k = lines
    if p.total is not None:
        total = p.total
    n = 7 + 2 * k  # BIG, REF*Q5, ITD, two DTM, an IT1+SAC per charge, TDS, CTT
    bits = 0
    text_head = f"BIG*{date}*{m.ref}*****ME*00~REF*Q5*{m.esi_id}~"
    if m.orig_ref:
        text_head += f"REF*OI*{m.orig_ref}~"
        n += 1
        bits |= 2
    for party, qualifier, bit in ((p.tdsp, "8S", 4), (p.cr, "SJ", 8)):
        if party is not None:
            text_head += _n1(qualifier, party)
            n += 1
            bits |= bit
    return (f"{text_head}ITD******{format_date(p.due_date)}~DTM*150*{format_date(p.period_start)}~"
            f"DTM*151*{format_date(p.period_end)}~{text}TDS*{total}~CTT*{k}~"), n, bits


#: id of a charges tuple -> (the tuple, its IT1/SAC text, total, count): a TDSP shares one tuple
#: per kWh value (ercot_sim.market.tariff), so a month's invoices have a few thousand (the
#: 100,000 ESI ID market month 1,824); bounded, and the tuple kept so that its id stays its own
_LINES: dict[int, tuple[tuple[Charge, ...], str, int, int]] = {}


def _charge_lines(charges: tuple[Charge, ...]) -> tuple[str, int, int] | None:
    """The IT1/SAC lines of ``charges`` as the mapping writes them, their total and count (None
    when a line is not one the template writes: an allowance, a fractional quantity, no text)."""
    got = _LINES.get(id(charges))
    if got is not None and got[0] is charges:
        return got[1], got[2], got[3]
    parts = []
    for i, c in enumerate(charges, start=1):
        if c.allowance or type(c.quantity) is not int or c.description is None:
            return None
        parts.append(f"IT1*{i}*****SV*RATE~SAC*C**EU*{c.code}*{c.amount}****{c.uom}*{c.quantity}"
                     f"*****{c.description}~")
    if not parts:
        return None
    text, total = "".join(parts), sum(c.amount for c in charges)
    if len(_LINES) >= 20_000:
        _LINES.clear()
    _LINES[id(charges)] = (charges, text, total, len(parts))
    return text, total, len(parts)


def _820_02(m: Message, date: str) -> Shaped | None:
    p = cast(Payload820, m.payload)
    if (len(p.items) != 1 or p.handling != "I" or p.method != "ACH" or p.payment_format != "CCP"
            or p.payer_routing is not None or p.payer_account is not None):
        return None
    item = p.items[0]
    if item.invoice_amount is None:
        return None
    amount = format_r(p.amount)  # the mapping's R formatting, shortest form
    text = f"BPR*I*{amount}*C*ACH*CCP***********{date}~TRN*1*{m.ref}~"
    n = 5  # BPR, TRN, ENT, RMR, REF*Q5
    bits = 0
    text += _n1("PR", p.payer) + _n1("PE", p.payee)
    n += 2
    if item.esi_id is None:
        return None
    return (f"{text}ENT*1~RMR*IK*{item.invoice_number}**{format_r(item.amount_paid)}*"
            f"{format_r(item.invoice_amount)}~REF*Q5*{item.esi_id}~"), n, bits


def _997(m: Message, date: str) -> Shaped | None:
    p = cast(Payload997, m.payload)
    sts = p.transactions
    k = len(sts)
    if p.status != "A" or p.group_code is not None or not (p.included == p.received == p.accepted == k):
        return None
    if k and set(map(_ACK_TAIL, sts)) != _ACCEPTED:  # an error or a code: the mapping writes it
        return None
    # an AK2 + AK5 pair per transaction set: "AK2*<ST01>*<ST02>~AK5*A~", joined in C
    acks = f"AK2*{'~AK5*A~AK2*'.join(map('*'.join, map(_ACK_IDS, sts)))}~AK5*A~" if k else ""
    return f"AK1*{p.functional_id}*{p.group_control}~{acks}AK9*A*{k}*{k}*{k}~", 2 * k + 2, 0


#: a TransactionAck's (ST01, ST02), and its (segments, status, code1, code2): a set the 997
#: template writes is accepted without errors
_ACK_IDS = operator.itemgetter(0, 1)
_ACK_TAIL = operator.itemgetter(2, 3, 4, 5)
_ACCEPTED = {((), "A", None, None)}


_TEMPLATES: dict[str, Callable[[Message, str], Shaped | None]] = {
    "867_03": _867_03, "810_02": _810_02, "820_02": _820_02, "997": _997,
}


class TemplateDrift(UserWarning):
    """A template's text differs from the mapping's for a shape (a bug; the tests make it an error)."""


#: code -> shape bits -> True (template checked equal) / False (differs: the mapping renders it)
_CHECKED: dict[str, dict[int, bool]] = {}


def template_text(m: Message, date: str, reference: Callable[[Message, str], Body]) -> Body | None:
    """The body of ``m`` from its template, or None when its code has none (or it failed
    its check, see the module docstring); ``reference`` renders through the mapping.

    Only for the default delimiters (``*`` and ``~``).
    """
    fn = _TEMPLATES.get(m.code)
    if fn is None:
        return None
    shaped = fn(m, date)
    if shaped is None:
        return None
    body, n, bits = shaped
    ok = _CHECKED.get(m.code, {}).get(bits)
    if ok:
        return body, n
    if ok is False:
        return None
    return checked(m, date, body, n, bits, reference)


def checked(m: Message, date: str, body: str, n: int, bits: int,
            reference: Callable[[Message, str], Body]) -> Body | None:
    """The first message of a shape: the template's ``(body, n)`` is compared with the
    mapping's and the verdict kept for the shape; returns the mapping's text (None when the
    shape is already known to differ)."""
    verdicts = _CHECKED.setdefault(m.code, {})
    if verdicts.get(bits) is False:
        return None
    expected = reference(m, date)
    verdicts[bits] = same = (body, n) == expected
    if not same:  # a bug in a template: the files stay right (the mapping's), and it is said
        warnings.warn(f"the {m.code} template (shape {bits}) differs from the mapping's text; the mapping "
                      "renders that shape", TemplateDrift, stacklevel=2)
    return expected


def template_stats() -> dict[tuple[str, int], bool]:
    """The shapes checked so far and whether their template matched the mapping."""
    return {(code, bits): ok for code, verdicts in _CHECKED.items() for bits, ok in verdicts.items()}
