"""997 functional acknowledgements and TA1 interchange acknowledgements, built from findings.

The receiver of an interchange answers each functional group with a 997 (within 24 hours in
the Texas market, an assumed figure: timing rule B1) and, when the interchange envelope
itself is wrong, with a TA1.  Both are
renderings of the findings of :func:`edi.validate.validate`; the codes come from
:data:`edi.findings.CODES`, so a finding acknowledges the same way wherever it was found.

How findings are placed: the envelopes of the received file are read again
(:func:`read_envelopes`, text only, elements split for ISA/GS/ST/SE/GE/IEA), and each finding
goes to the transaction set, group or interchange whose segment range holds its segment
number; the level of its code decides whether it is an AK3/AK4 (segment, element), an AK5 code
(transaction), an AK9 code (group) or a TA1 note (interchange).

Statuses:

* AK5 ``R`` (rejected) when the transaction set has a confirmed error; ``E`` (accepted, errors
  noted) when all its findings are warnings or breaches of an assumed guide rule; else ``A``.
* AK9 ``A``, ``E`` (all accepted, some with errors noted), ``P`` (some rejected) or ``R`` (all
  rejected, or none received); group-level findings (GE count, GS/GE control numbers) are
  noted with ``E`` and their AK905 codes without rejecting sets that were checked one by one.
* TA1 ``R`` when the ISA header is wrong (widths, date, time, version, control number, usage,
  a repeated ISA13), ``E`` when only the trailer or the structure is (IEA count, IEA02, missing
  IEA, truncation, segments outside groups), ``A`` with note ``000`` when asked for one anyway.

The acknowledgement goes from the receiver back to the sender (ISA/GS sender and receiver
swapped), with the received interchange's delimiters, usage indicator, date and time (never
the clock) and, unless the caller passes its own counters, ISA13/GS06 equal to the received
ISA13, so the same input always gives the same bytes.  997s are never acknowledged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from edi.findings import CODES, Finding, Report
from edi.x12.delimiters import DEFAULT_DELIMITERS, Delimiters
from edi.x12.reader import Source, X12Reader
from edi.x12.writer import ControlNumbers, X12Writer

__all__ = [
    "ACK_LAYERS",
    "Envelopes",
    "GroupInfo",
    "InterchangeInfo",
    "TransactionInfo",
    "build_997",
    "build_997_bodies",
    "build_ta1",
    "read_envelopes",
]

#: the layers of findings a 997 acknowledges by default: the X12 standard's (syntax), as a
#: translator does; Texas SET guide findings are answered by an 824 or a reject instead
ACK_LAYERS: tuple[str, ...] = ("x12",)

_HEADER_TA1 = frozenset({"isa-invalid-field", "isa-invalid-date", "isa-invalid-time", "isa-invalid-version",
                         "isa-invalid-control-number", "isa-invalid-usage", "isa-duplicate-control"})


@dataclass
class TransactionInfo:
    """ST01/ST02 of a received transaction set and its segment range in the file."""

    st01: str
    st02: str
    number: int
    end: int
    findings: list[Finding] = field(default_factory=list)


@dataclass
class GroupInfo:
    """A received functional group: GS and GE elements and segment range."""

    gs: list[str]
    number: int
    end: int = 0
    ge: list[str] | None = None
    transactions: list[TransactionInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def get(self, pos: int) -> str:
        return self.gs[pos] if pos < len(self.gs) else ""


@dataclass
class InterchangeInfo:
    """A received interchange: ISA and IEA elements, groups, segment range."""

    isa: list[str]
    number: int
    end: int = 0
    iea: list[str] | None = None
    groups: list[GroupInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def get(self, pos: int) -> str:
        return self.isa[pos] if pos < len(self.isa) else ""


@dataclass
class Envelopes:
    """The envelope skeleton of one received file."""

    name: str
    delimiters: Delimiters
    interchanges: list[InterchangeInfo]


def read_envelopes(source: Source, *, name: str | None = None) -> Envelopes:
    """Read the ISA/GS/ST/SE/GE/IEA skeleton of a file (fast: body segments stay text).

    Raises:
        X12SyntaxError: the input cannot be read or does not start with an ISA.
    """
    reader = X12Reader(source, name=name)
    out: list[InterchangeInfo] = []
    isa: InterchangeInfo | None = None
    gs: GroupInfo | None = None
    st: TransactionInfo | None = None
    number = 0
    for parts, first, _offsets in reader.text_batches():
        sep = reader.delimiters.element  # type: ignore[union-attr]
        for k, text in enumerate(parts):
            number = first + k
            head = text[:4]
            if not (head[:2] in ("ST", "SE", "GS", "GE") or head[:3] in ("ISA", "IEA")):
                continue
            els = text.split(sep)
            sid = els[0]
            if sid == "ISA":
                isa = InterchangeInfo(els, number)
                out.append(isa)
                gs = st = None
            elif sid == "GS":
                if isa is None:
                    isa = InterchangeInfo([], number)
                    out.append(isa)
                gs = GroupInfo(els, number)
                isa.groups.append(gs)
                st = None
            elif sid == "ST":
                if gs is None:
                    if isa is None:
                        isa = InterchangeInfo([], number)
                        out.append(isa)
                    gs = GroupInfo([], number)
                    isa.groups.append(gs)
                st = TransactionInfo(els[1] if len(els) > 1 else "", els[2] if len(els) > 2 else "", number, number)
                gs.transactions.append(st)
            elif sid == "SE" and st is not None:
                st.end = number
                st = None
            elif sid == "GE" and gs is not None:
                gs.ge, gs.end = els, number
                gs = st = None
            elif sid == "IEA" and isa is not None:
                isa.iea, isa.end = els, number
                isa = gs = st = None
    return Envelopes(reader.name, reader.delimiters or DEFAULT_DELIMITERS, out)


def _place(findings: Iterable[Finding], env: Envelopes, layers: Collection[str] = ACK_LAYERS) -> None:
    """Attach each finding of ``layers`` to its transaction, group or interchange (by segment number)."""
    for ic in env.interchanges:
        ic.findings.clear()
        for g in ic.groups:
            g.findings.clear()
            for t in g.transactions:
                t.findings.clear()
    ics = env.interchanges
    if not ics:
        return
    # each finding goes to the last envelope that starts at or before its segment: bisect the
    # start numbers, so placing is O(log n) per finding (a linear scan made --ack quadratic)
    ic_starts = [ic.number for ic in ics]
    group_starts = [[g.number for g in ic.groups] for ic in ics]
    txn_starts = [[[t.number for t in g.transactions] for g in ic.groups] for ic in ics]
    for f in findings:
        if f.layer not in layers:
            continue
        if f.location.file and env.name and f.location.file != env.name:
            continue
        n = f.location.segment_number or 0
        level = CODES[f.code].level if f.code in CODES else "segment"
        i = max(bisect_right(ic_starts, n) - 1, 0)
        ic = ics[i]
        if level == "interchange" or not ic.groups:
            ic.findings.append(f)
            continue
        j = bisect_right(group_starts[i], n) - 1
        if j < 0:
            ic.findings.append(f)
            continue
        group = ic.groups[j]
        if level == "group" or not group.transactions:
            group.findings.append(f)
            continue
        k = bisect_right(txn_starts[i][j], n) - 1
        (group.findings if k < 0 else group.transactions[k].findings).append(f)


def _digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes ``'²'`` and other digits ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def _clean(value: str, limit: int) -> str:
    text = "".join(ch for ch in value if ch.isascii() and ch.isprintable())
    return text[:limit]


def _element_position(ref: str) -> str:
    digits = ref[-2:]
    return str(int(digits)) if _digits(digits) else ""


def _txn_ack(t: TransactionInfo, delims: Delimiters) -> tuple[list[list[str]], str]:
    """AK2..AK5 for one transaction set and its AK5 status."""
    bad = {delims.element, delims.segment, delims.component}
    segs: list[list[str]] = [["AK2", t.st01[:3], t.st02[:9]]]
    ak5_codes: list[str] = []
    by_segment: dict[int, list[Finding]] = defaultdict(list)
    for f in t.findings:
        info = CODES[f.code]
        if info.ak5:
            ak5_codes.append(info.ak5)
        elif info.ak3:
            by_segment[f.location.segment_number or t.number].append(f)
    for number in sorted(by_segment):
        fs = by_segment[number]
        head = next((f for f in fs if CODES[f.code].ak4 is None), fs[0])
        info = CODES[head.code]
        seg_id = (head.value or "") if head.code == "segment-missing" else head.location.segment
        seg_id = _clean(seg_id.split(delims.element)[0].split("*")[0], 3) or "ZZZ"
        loop = _clean(getattr(head, "loop", "") or "", 6)
        position = str(max(1, number - t.number + 1))
        segs.append(["AK3", seg_id, position, loop, info.ak3 or "8"])
        for f in fs:
            ak4 = CODES[f.code].ak4
            pos = _element_position(f.location.element)
            if ak4 and pos:
                value = "".join(ch for ch in _clean(f.value or "", 99) if ch not in bad)
                segs.append(["AK4", pos, "", ak4, value] if value else ["AK4", pos, "", ak4])
        if by_segment:
            ak5_codes.append("5")
    codes = list(dict.fromkeys(ak5_codes))[:5]
    if not t.findings:
        status = "A"
    elif any(f.severity == "error" and f.confirmed for f in t.findings):
        status = "R"
    else:
        status = "E"
    segs.append(["AK5", status, *codes])
    segs = [_trim(s) for s in segs]
    return segs, status


def _trim(seg: list[str]) -> list[str]:
    while len(seg) > 2 and seg[-1] == "":
        seg.pop()
    return seg


def _group_ack(g: GroupInfo, delims: Delimiters) -> list[list[str]]:
    body: list[list[str]] = [["AK1", _clean(g.get(1), 2), _clean(g.get(6), 9)]]
    statuses = []
    for t in g.transactions:
        segs, status = _txn_ack(t, delims)
        body.extend(segs)
        statuses.append(status)
    body.append(_ak9(g, len(statuses), sum(s != "R" for s in statuses), "E" in statuses))
    return body


def _ak9(g: GroupInfo, received: int, accepted: int, any_noted: bool) -> list[str]:
    """The AK9 of a group: its status (A, E, P or R) from the sets received and accepted, any
    set accepted with errors noted and the group's own findings; GE01; the group's codes."""
    if received == 0 or accepted == 0:
        status = "R"
    elif accepted < received:
        status = "P"
    elif any_noted or g.findings:
        status = "E"
    else:
        status = "A"
    ge01 = g.ge[1] if g.ge and len(g.ge) > 1 and _digits(g.ge[1]) and len(g.ge[1]) <= 6 else str(received)
    codes = [code for code in dict.fromkeys(CODES[f.code].ak9 for f in g.findings) if code][:5]
    return ["AK9", status, ge01, str(received), str(accepted), *codes]


def build_997_bodies(findings: Report | Iterable[Finding], envelopes: Envelopes, *,
                     layers: Collection[str] = ACK_LAYERS) -> list[tuple[InterchangeInfo, list[list[list[str]]]]]:
    """997 bodies (AK1 .. AK9, between ST and SE), one per received functional group.

    Only findings of ``layers`` are acknowledged: by default the X12 standard's, as a
    translator does; add ``"texas-set"`` for a 997 that also reports guide findings.

    Returns:
        Per received interchange, the 997 bodies of its groups (997 groups, ``GS01=FA``, are
        not acknowledged).
    """
    _place(findings, envelopes, layers)
    out = []
    for ic in envelopes.interchanges:
        bodies = [_group_ack(g, envelopes.delimiters) for g in ic.groups if g.get(1) != "FA" and g.gs]
        out.append((ic, bodies))
    return out


def _ta1_for(ic: InterchangeInfo, always: bool) -> list[str] | None:
    if not ic.findings and not always:
        return None
    ctl = ic.get(13)
    date, time = ic.get(9), ic.get(10)
    if ic.findings:
        head = next((f for f in ic.findings if f.code in _HEADER_TA1), ic.findings[0])
        status = "R" if any(f.code in _HEADER_TA1 for f in ic.findings) else "E"
        note = CODES[head.code].ta1 or "000"
    else:
        status, note = "A", "000"
    return [
        "TA1",
        ctl if _digits(ctl) and len(ctl) == 9 else "000000000",
        date if _digits(date) and len(date) == 6 else "000000",
        time if _digits(time) and len(time) == 4 else "0000",
        status,
        note,
    ]


def build_ta1(findings: Report | Iterable[Finding], envelopes: Envelopes, *, always: bool = False) -> list[list[str]]:
    """TA1 segments, one per received interchange with interchange-level findings.

    Args:
        findings: the findings of the file.
        envelopes: the file's skeleton (:func:`read_envelopes`).
        always: also answer clean interchanges (``TA1*...*A*000``), as when ISA14 asks for it.
    """
    _place(findings, envelopes)
    return [ta1 for ic in envelopes.interchanges if (ta1 := _ta1_for(ic, always)) is not None]


def _when(ic: InterchangeInfo) -> datetime:
    for date, time, fmt in ((ic.get(9), ic.get(10), "%y%m%d%H%M"),
                            (ic.groups[0].get(4) if ic.groups else "", (ic.groups[0].get(5) if ic.groups else "")[:4],
                             "%Y%m%d%H%M")):
        try:
            return datetime.strptime(date + time, fmt)
        except ValueError:
            continue
    return datetime(2000, 1, 1)


def _ack_writer(ic: InterchangeInfo, when: datetime | None, control: ControlNumbers | None,
                delims: Delimiters) -> X12Writer:
    """The writer of the acknowledgement of ``ic``: from its receiver back to its sender, with
    its delimiters and usage, dated ``when`` (default: the received interchange's), numbered by
    ``control`` (default: counters starting at the received ISA13)."""
    ctl = ic.get(13)
    counters = control or ControlNumbers(start=int(ctl) if _digits(ctl) and len(ctl) <= 9 and int(ctl) > 0 else 1)
    sender = _clean(ic.get(8).strip(), 15) or "UNKNOWN"
    receiver = _clean(ic.get(6).strip(), 15) or "UNKNOWN"
    qualifier = ic.get(7) if ic.get(5) == ic.get(7) and len(ic.get(7)) == 2 else None
    usage = ic.get(15) if ic.get(15) in ("P", "T") else "P"
    return X12Writer(sender, receiver, when or _when(ic), counters, delimiters=delims, usage=usage, qualifier=qualifier)


def build_997(
    findings: Report | Iterable[Finding],
    source: Source | Envelopes,
    *,
    name: str | None = None,
    when: datetime | None = None,
    control: ControlNumbers | None = None,
    ta1: bool = True,
    layers: Collection[str] = ACK_LAYERS,
) -> str:
    """The full acknowledgement of one received file, as X12 text.

    One acknowledgement interchange per received interchange, from its receiver back to its
    sender, holding a TA1 when the interchange has envelope findings (``ta1=True``) and one
    FA group with a 997 per received functional group.  Returns ``""`` when there is nothing
    to acknowledge (only 997 groups and no envelope findings).

    Args:
        findings: the findings of the file (e.g. the report of :func:`edi.validate.validate`);
            findings of other files are ignored.
        source: the received file (path, bytes, stream) or its :class:`Envelopes`.
        name: the file name used in the findings, when ``source`` is bytes or a stream.
        when: ISA09/10 and GS04/05 of the acknowledgement; default the received interchange's.
        control: ISA13/GS06 counters; default a counter starting at the received ISA13.
        ta1: include TA1 segments for interchange-level findings.
        layers: the layers of findings acknowledged (see :func:`build_997_bodies`).

    Raises:
        X12SyntaxError: the received file cannot be read.
    """
    findings = list(findings)
    env = source if isinstance(source, Envelopes) else read_envelopes(source, name=name)
    if name and not isinstance(source, Envelopes):
        env.name = name
    parts: list[str] = []
    delims = env.delimiters
    for ic, bodies in build_997_bodies(findings, env, layers=layers):
        ta1_seg = _ta1_for(ic, False) if ta1 else None
        if not bodies and ta1_seg is None:
            continue
        writer = _ack_writer(ic, when, control, delims)
        for body in bodies:
            writer.add("997", body, functional_id="FA")
        text = writer.getvalue()
        if ta1_seg is not None:
            cut = 106 + len(delims.suffix)
            text = text[:cut] + delims.element.join(ta1_seg) + delims.terminator + text[cut:]
        parts.append(text)
    return "".join(parts)
