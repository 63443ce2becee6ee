"""Direct text templates for the hot path: 867_03, 810_02, 820_02 and 997 straight to X12 text.

The monthly 867_03 and 810_02 for every ESI ID (and ERCOT's pass-through 867_03, and the
997s answering them) are most of what a market writes. For these codes the body text is
formatted in one f-string from the message, without the field dict of
:func:`ercot_sim.emit.mapping_fields` and without the element lists of the mapping.

The templates are checked, not trusted: the first message of every *shape* (code, and each
field that changes the text's layout: final read, reference answered, which N1 parties, a
late-payment charge; the number of transactions a 997 acknowledges is not a shape) is also rendered through the mapping
(:func:`ercot_sim.emit.render_text`, which gives exactly the validated model's segments);
when the two differ the template is dropped for that shape and the mapping renders every
message of it. A change of the mapping tables therefore cannot make the files drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.types import format_r
from ercot_sim.messages import Message

__all__ = ["ERCOT_DUNS", "template_text", "template_stats"]


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


def _810_02(m: Message, names: Mapping[str, str], date: str) -> Shaped:
    f = m.fields
    kwh = int(f.get("kwh", 0))
    n = 13  # BIG, REF*Q5, ITD, two DTM, three IT1+SAC, TDS, CTT
    bits = 32 if f.get("late_fee") or f.get("charge") else 0  # a late payment or fee: other lines
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
    # the charge lines of ercot_sim.emit._charges
    return (f"{text}ITD******{f['due']}~DTM*150*{f['start']}~DTM*151*{f['end']}~"
            f"IT1*1*****SV*RATE~SAC*C**EU*BAS001*390****EA*1*****BASIC CUSTOMER CHARGE~"
            f"IT1*2*****SV*RATE~SAC*C**EU*DIS001*{kwh * 3}****KH*{kwh}*****DISTRIBUTION SYSTEM CHARGE~"
            f"IT1*3*****SV*RATE~SAC*C**EU*TRN002*{kwh}****KH*{kwh}*****TRANSMISSION COST RECOVERY FACTOR~"
            f"TDS*{390 + kwh * 4}~CTT*3~"), n, bits


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
            | (8 if f.get("cr") else 0) | (16 if m.sender == ERCOT_DUNS else 0)
            | (32 if f.get("late_fee") or f.get("charge") else 0))  # a late payment or a fee: other lines


_TEMPLATES: dict[str, Callable[[Message, Mapping[str, str], str], Shaped]] = {
    "867_03": _867_03, "810_02": _810_02, "820_02": _820_02, "997": _997,
}
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
    body, n, bits = fn(m, names, date)
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
    verdicts[bits] = (body, n) == expected
    return expected


def template_stats() -> dict[tuple[str, int], bool]:
    """The shapes checked so far and whether their template matched the mapping."""
    return {(code, bits): ok for code, verdicts in _CHECKED.items() for bits, ok in verdicts.items()}
