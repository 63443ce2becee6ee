"""Direct text templates for the hot path: 867_03, 810_02, 820_02 and 997 straight to X12 text.

The monthly 867_03 and 810_02 for every ESI ID (and ERCOT's pass-through 867_03, and the
997s answering them) are most of what a market writes. For these codes the body text is
formatted in one f-string from the message, without the field dict of
:func:`ercot_sim.output.emit.mapping_fields` and without the element lists of the mapping.

The invoice's charge lines are built from :data:`ercot_sim.market.tariff.DELIVERY_CHARGES`, the same
data the mapping's fields come from; an invoice of other lines (a fee, a late payment) is left
to the mapping (the template declines it).

The templates are checked, not trusted: the first message of every *shape* (code, and each
field that changes the text's layout: final read, reference answered, which N1 parties; the
number of transactions a 997 acknowledges is not a shape) is also rendered through the mapping
(:func:`ercot_sim.output.emit.render_text`, which gives exactly the validated model's segments).
When the two differ the mapping renders every message of that shape, so a change of the
mapping tables cannot make the files drift, and a :class:`TemplateDrift` warning says so
(the test suite turns it into an error: the tests of every scenario would fail).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.types import format_r
from ercot_sim.market.messages import Message
from ercot_sim.market.tariff import DELIVERY_CHARGES

__all__ = ["TemplateDrift", "template_stats", "template_text"]


Body = tuple[str, int]
#: a template's body, segment count and shape bits (see :func:`_shape`)
Shaped = tuple[str, int, int]


def _867_03(m: Message, names: Mapping[str, str], date: str) -> Shaped:
    f = m.fields
    esi = m.esi_id
    start = f["start"]
    end = f["end"]
    kwh = int(f.get("kwh", 0))
    begin = int(esi[-4:]) * 7
    if f.get("final"):
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
    tdsp = f.get("tdsp")
    if tdsp:
        head += f"N1*8S*{names.get(tdsp, 'UNKNOWN')}*1*{tdsp}~"
        n += 1
        bits |= 4
    cr = f.get("cr")
    if cr:
        head += f"N1*SJ*{names.get(cr, 'UNKNOWN')}*1*{cr}~"
        n += 1
        bits |= 8
    if m.sender == ERCOT_DUNS:
        head += f"N1*AY*{names.get(m.sender, 'ERCOT')}*1*{m.sender}~"
        n += 1
        bits |= 16
    return (f"{head}PTD*SU~DTM*150*{start}~DTM*151*{end}~QTY*QD*{kwh}*KH~"
            f"PTD*PL***MG*M{esi[-9:]}~DTM*150*{start}~DTM*151*{end}~"
            f"REF*MT*KHMON~QTY*QD*{kwh}*KH~MEA*AA*PRQ*{kwh}*KH*{begin}*{begin + kwh}*51~"), n, bits


def _810_02(m: Message, names: Mapping[str, str], date: str) -> Shaped | None:
    f = m.fields
    if f.get("late_fee") or f.get("charge"):  # other charge lines: the mapping renders them
        return None
    kwh = int(f.get("kwh", 0))
    n = 7 + 2 * len(DELIVERY_CHARGES)  # BIG, REF*Q5, ITD, two DTM, an IT1+SAC per charge, TDS, CTT
    bits = 0
    text = f"BIG*{date}*{m.ref}*****ME*00~REF*Q5*{m.esi_id}~"
    if m.orig_ref:
        text += f"REF*OI*{m.orig_ref}~"
        n += 1
        bits |= 2
    tdsp = f.get("tdsp")
    if tdsp:
        text += f"N1*8S*{names.get(tdsp, 'UNKNOWN')}*1*{tdsp}~"
        n += 1
        bits |= 4
    cr = f.get("cr")
    if cr:
        text += f"N1*SJ*{names.get(cr, 'UNKNOWN')}*1*{cr}~"
        n += 1
        bits |= 8
    if f.get("final"):
        bits |= 1
    if m.sender == ERCOT_DUNS:
        bits |= 16
    return f"{text}ITD******{f['due']}~DTM*150*{f['start']}~DTM*151*{f['end']}~{_delivery_lines(kwh)}", n, bits


def _charge_parts() -> tuple[tuple[str, int, bool, str], ...]:
    """Per delivery charge (ercot_sim.market.tariff): the text before its amount, the amount in cents
    (per kWh or flat), whether it is per kWh, and the text after its amount up to the quantity."""
    return tuple((f"IT1*{i}*****SV*RATE~SAC*C**EU*{c.code}*", c.cents, c.per_kwh, f"****{c.uom}*")
                 for i, c in enumerate(DELIVERY_CHARGES, start=1))


_CHARGE_PARTS = _charge_parts()
_CHARGE_TAILS = tuple(f"*****{c.description}~" for c in DELIVERY_CHARGES)
_FLAT_CENTS = sum(c.cents for c in DELIVERY_CHARGES if not c.per_kwh)
_KWH_CENTS = sum(c.cents for c in DELIVERY_CHARGES if c.per_kwh)
_CTT = f"CTT*{len(DELIVERY_CHARGES)}~"


#: kWh -> the invoice lines for it: a month's invoices share a few thousand kWh values, so the
#: lines are built once per value (bounded; the 100,000 ESI ID market month has 1,824)
_LINES_BY_KWH: dict[int, str] = {}


def _delivery_lines(kwh: int) -> str:
    """The IT1/SAC lines, TDS and CTT of a delivery invoice for ``kwh`` (the lines of
    ercot_sim.market.tariff.delivery_charges, as the mapping writes them)."""
    text = _LINES_BY_KWH.get(kwh)
    if text is None:
        parts = [f"{head}{cents * kwh if per_kwh else cents}{mid}{kwh if per_kwh else 1}{tail}"
                 for (head, cents, per_kwh, mid), tail in zip(_CHARGE_PARTS, _CHARGE_TAILS, strict=True)]
        text = f"{''.join(parts)}TDS*{_FLAT_CENTS + kwh * _KWH_CENTS}~{_CTT}"
        if len(_LINES_BY_KWH) < 20_000:
            _LINES_BY_KWH[kwh] = text
    return text


def _820_02(m: Message, names: Mapping[str, str], date: str) -> Shaped:
    f = m.fields
    amount = format_r(int(f.get("amount", 0)))  # the mapping's R formatting, shortest form
    text = f"BPR*I*{amount}*C*ACH*CCP***********{date}~TRN*1*{m.ref}~"
    n = 5  # BPR, TRN, ENT, RMR, REF*Q5
    bits = 0
    cr = f.get("cr")
    if cr:
        text += f"N1*PR*{names.get(cr, 'UNKNOWN')}*1*{cr}~"
        n += 1
        bits |= 8
    tdsp = f.get("tdsp")
    if tdsp:
        text += f"N1*PE*{names.get(tdsp, 'UNKNOWN')}*1*{tdsp}~"
        n += 1
        bits |= 4
    if m.orig_ref:
        bits |= 2
    if not m.esi_id:
        bits |= 1
    return f"{text}ENT*1~RMR*IK*{m.orig_ref}**{amount}*{amount}~REF*Q5*{m.esi_id}~", n, bits


def _997(m: Message, names: Mapping[str, str], date: str) -> Shaped:
    fid, gctl, sts = m.fields["group"]
    k = len(sts)
    # an AK2 + AK5 pair per transaction set: "AK2*<ST01>*<ST02>~AK5*A~", joined in C
    acks = f"AK2*{'~AK5*A~AK2*'.join(map('*'.join, sts))}~AK5*A~" if sts else ""
    return f"AK1*{fid}*{int(gctl)}~{acks}AK9*A*{k}*{k}*{k}~", 2 * k + 2, 0


def _shape(m: Message) -> tuple[str, int]:
    """The template's choices for ``m`` (see the module docstring), as bits: what each
    template returns as its third value."""
    f = m.fields
    if m.code == "997":
        return ("997", 0)
    if m.code == "820_02":
        return ("820_02", (2 if m.orig_ref else 0) | (4 if f.get("tdsp") else 0) | (8 if f.get("cr") else 0)
                | (0 if m.esi_id else 1))
    return (m.code, (1 if f.get("final") else 0) | (2 if m.orig_ref else 0) | (4 if f.get("tdsp") else 0)
            | (8 if f.get("cr") else 0) | (16 if m.sender == ERCOT_DUNS else 0))


_TEMPLATES: dict[str, Callable[[Message, Mapping[str, str], str], Shaped | None]] = {
    "867_03": _867_03, "810_02": _810_02, "820_02": _820_02, "997": _997,
}
class TemplateDrift(UserWarning):
    """A template's text differs from the mapping's for a shape (a bug; the tests make it an error)."""


#: code -> shape bits -> True (template checked equal) / False (differs: the mapping renders it)
_CHECKED: dict[str, dict[int, bool]] = {}


def template_text(m: Message, names: Mapping[str, str], date: str,
                  reference: Callable[[Message, Mapping[str, str], str], Body]) -> Body | None:
    """The body of ``m`` from its template, or None when its code has none (or it failed
    its check, see the module docstring); ``reference`` renders through the mapping.

    Only for the default delimiters (``*`` and ``~``).
    """
    fn = _TEMPLATES.get(m.code)
    if fn is None:
        return None
    shaped = fn(m, names, date)
    if shaped is None:
        return None
    body, n, bits = shaped
    ok = _CHECKED.get(m.code, {}).get(bits)
    if ok:
        return body, n
    if ok is False:
        return None
    return checked(m, names, date, body, n, bits, reference)


def checked(m: Message, names: Mapping[str, str], date: str, body: str, n: int, bits: int,
            reference: Callable[[Message, Mapping[str, str], str], Body]) -> Body | None:
    """The first message of a shape: the template's ``(body, n)`` is compared with the
    mapping's and the verdict kept for the shape; returns the mapping's text (None when the
    shape is already known to differ)."""
    verdicts = _CHECKED.setdefault(m.code, {})
    if verdicts.get(bits) is False:
        return None
    expected = reference(m, names, date)
    verdicts[bits] = same = (body, n) == expected
    if not same:  # a bug in a template: the files stay right (the mapping's), and it is said
        warnings.warn(f"the {m.code} template (shape {bits}) differs from the mapping's text; the mapping "
                      "renders that shape", TemplateDrift, stacklevel=2)
    return expected


def template_stats() -> dict[tuple[str, int], bool]:
    """The shapes checked so far and whether their template matched the mapping."""
    return {(code, bits): ok for code, verdicts in _CHECKED.items() for bits, ok in verdicts.items()}
