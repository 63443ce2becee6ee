"""Flow reassembly: transactions of any source tied into business flows per ESI ID.

The compliance checker sees the market only through transactions. Each one is reduced to a
:class:`TxnRecord` (who sent what to whom, when, about which ESI ID, with which references),
whether it came from a run's SQLite trace or from an X12 file of any system. Flows are then
rebuilt the way a market participant would: a transaction's own reference (BGN02, or BPT02 /
BIG02 / TRN02 for 867 / 810 / 820) and the reference of the transaction it answers (BGN06,
REF*TN, REF*OI, RMR02, OTI03) are joined per ESI ID, and every group of transactions connected
that way is one :class:`Flow` (an 814_01, its 814_03, 814_04, 814_05, 814_06, 867_04 ...).

A flow knows what it is about as far as the transactions show it: its purposes (``switch``,
``self_selected_switch``, ``move_in``, ``move_out``, ``mass_transition``, ``acquisition``,
``historical_usage``, from the initiating transaction), whether it is a priority move-in,
its BGN07, and its TDSP. Anything the transactions do not show is ``None`` ("unknown"), never
guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

__all__ = ["Flow", "FlowIndex", "TxnRecord", "assign_roles", "parse_ccyymmdd", "read_body",
           "sending_ordered"]

#: Where each transaction family keeps its own reference and the one it answers
#: (segment, element / qualifier). 997s are tied to what they acknowledge by the envelope.
REFERENCES: dict[str, tuple[tuple[str, str, int], tuple[str, str, int]]] = {
    # family: ((segment, qualifier, element) of the own ref, (...) of the answered ref)
    "814": (("BGN", "", 2), ("BGN", "", 6)),
    "650": (("BGN", "", 2), ("BGN", "", 6)),
    "824": (("BGN", "", 2), ("OTI", "", 3)),
    "867": (("BPT", "", 2), ("REF", "TN", 2)),
    "810": (("BIG", "", 2), ("REF", "OI", 2)),
    "820": (("TRN", "", 2), ("RMR", "", 2)),
}

#: Initiating transactions and the purpose they give their flow.
_INITIATORS = {"814_01": "switch", "814_16": "move_in", "814_24": "move_out", "814_26": "historical_usage"}
_LIN07 = {"MVI": "move_in", "MVO": "move_out"}
_BGN07 = {"TS": "mass_transition", "AQ": "acquisition"}


def parse_ccyymmdd(text: str) -> dt.date | None:
    """A CCYYMMDD date, or None when the text is not one."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


@dataclass(slots=True)
class TxnRecord:
    """One transaction as the checker sees it, whatever its source.

    Attributes:
        index: position in the data set (set by the reader; stable order).
        sent_at: when it was sent (aware, America/Chicago).
        sender, receiver: DUNS (GS02 / GS03).
        code: Texas SET code (``814_03``), or None when it could not be identified.
        st01: transaction set ID (``814``).
        esi_id: REF*Q5 ('' when none, e.g. a 997).
        ref: its own reference (BGN02 or equivalent).
        orig_ref: the reference of the transaction it answers ('' when none).
        file: the file it is in (or the trace's ``file`` column).
        segment: segment number of its ST in that file (None when not known).
        st_control: ST02.
        sender_role, receiver_role: CR / ERCOT / TDSP, or None when not known.
        functional_id, gs_control: GS01 and GS06 of its group ('' when not known).
        dates: DTM dates by qualifier (``"150"``), first of each.
        priority: a priority move-in flag is present (REF*PRI*Y or REF*1P*PMI).
        bgn07: BGN07 (``TS`` mass transition, ``AQ`` acquisition).
        lin07: LIN07 (``MVI`` / ``MVO``).
        final: BPT07 = ``F`` (final usage).
        reject: ASI01 = ``U`` or a REF*7G reject reason.
        tdsp_name: N102 of the N1*8S loop (the TDSP's name), '' when absent.
        acks: for a 997, ``(AK101, AK102, (AK202, ...))`` per acknowledged group.
        detailed: the body was read (False for trace rows without their X12 file).
        reason: why ``code`` is None.
    """

    index: int
    sent_at: dt.datetime
    sender: str
    receiver: str
    code: str | None
    st01: str
    esi_id: str
    ref: str
    orig_ref: str
    file: str
    segment: int | None
    st_control: str
    sender_role: str | None = None
    receiver_role: str | None = None
    functional_id: str = ""
    gs_control: str = ""
    dates: dict[str, dt.date] = field(default_factory=dict)
    priority: bool = False
    bgn07: str = ""
    lin07: str = ""
    final: bool = False
    reject: bool = False
    tdsp_name: str = ""
    acks: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    detailed: bool = True
    reason: str = ""

    @property
    def location(self) -> str:
        """``file segment N`` (or ``file ST02 nnnn`` when the segment number is unknown)."""
        if self.segment is not None:
            return f"{self.file} segment {self.segment}"
        return f"{self.file} ST02 {self.st_control}"

    def date(self, *qualifiers: str) -> dt.date | None:
        """The first DTM date among ``qualifiers``, in the order given."""
        for q in qualifiers:
            got = self.dates.get(q)
            if got is not None:
                return got
        return None


#: Segments the checker reads for a transaction's details, by their first four characters (the
#: ID and its separator, written with ``*``); the N1 read is the TDSP's (``N1*8S``) alone. Every
#: other body segment is passed over without splitting it into elements.
_DETAIL_HEADS = ("REF*", "DTM*", "BGN*", "LIN*", "ASI*", "BPT*", "N1*8", "AK1*", "AK2*", "SAC*")


@functools.cache
def _read_heads(sep: str, refs: bool) -> frozenset[str]:
    """The four-character heads :func:`read_body` reads (``refs``: with those of the references)."""
    heads = set(_DETAIL_HEADS)
    if refs:
        heads |= {f"{seg}*" for pair in REFERENCES.values() for seg, _, _ in pair}
    return frozenset(h.replace("*", sep) for h in heads)


@functools.cache
def _heads_by_name(sep: str) -> tuple[str, ...]:
    """The heads :func:`read_body` tells apart, with ``sep``; last, what follows ``N1<sep>8``
    in the TDSP's N1."""
    return (*(h.replace("*", sep) for h in ("DTM*", "REF*", "N1*8", "AK2*", "SAC*", "BGN*", "LIN*", "ASI*",
                                           "BPT*", "AK1*")), "S" + sep)


#: CCYYMMDD texts already parsed (a market's dates repeat: a month holds a few hundred)
_DAYS: dict[str, dt.date] = {}
#: the shared empty date map of a record without dates (one object, not one per record)
_NO_DATES: dict[str, dt.date] = {}
#: date maps already made, by their items: records with the same dates share one map (never
#: changed after it is made)
_DATE_MAPS: dict[tuple[tuple[str, dt.date], ...], dict[str, dt.date]] = {}


def read_body(rec: TxnRecord, texts: Sequence[str], sep: str = "*", *, refs: bool = True) -> tuple[str, ...]:
    """Fill the details of ``rec`` (a record not read yet: its details as it was made) from its
    body: the segment texts between ST and SE, elements separated by ``sep``. Only the segments
    the checker reads are split.

    The details are its dates (the first DTM02 of each qualifier), the flags (priority, final,
    reject), BGN07, LIN07, the TDSP's N1*8S name and a 997's acknowledgements; with ``refs``
    (X12 read alone, not a trace row that names them) also its ESI ID (REF*Q5, or REF03 when
    REF02 is empty, as an 867 carries it) and the references of :data:`REFERENCES` (the first
    of each).

    Returns:
        An 810's SAC04 charge codes, in order (empty for any other transaction).
    """
    out = rec
    where = REFERENCES.get(rec.st01)
    (s1, q1, p1), (s2, q2, p2) = where if where is not None else (("", "", 0), ("", "", 0))
    own = s1 + sep if refs and s1 else "-"
    answered = s2 + sep if refs and s2 else "-"
    heads = _read_heads(sep, refs)
    dtm, ref, n1, ak2, sac, bgn, lin, asi, bpt, ak1, n1_8s = _heads_by_name(sep)
    dates: dict[str, dt.date] = {}
    acks: list[tuple[str, str, list[str]]] = []
    charges: list[str] = []
    is_810 = rec.st01 == "810"
    for text in texts:
        head = text[:4]
        if head not in heads:
            continue
        if head == dtm:
            els = text.split(sep, 3)
            if len(els) > 2 and els[1] not in dates:
                day = _DAYS.get(els[2])
                if day is None:
                    day = parse_ccyymmdd(els[2])
                    if day is not None and len(_DAYS) < 100_000:
                        _DAYS[els[2]] = day
                if day is not None:
                    dates[els[1]] = day
            continue
        if head == n1:
            if text[4:6] == n1_8s and not out.tdsp_name:
                els = text.split(sep, 3)
                out.tdsp_name = sys.intern(els[2].strip())
            continue
        els = text.split(sep)
        n = len(els)
        if head == own and (not q1 or (n > 1 and els[1] == q1)):
            out.ref = els[p1].strip() if n > p1 else ""
            own = "-"
        if head == answered and (not q2 or (n > 1 and els[1] == q2)):
            out.orig_ref = els[p2].strip() if n > p2 else ""
            answered = "-"
        if head == ref:
            if n > 2:
                q, v = els[1], els[2].strip()
                if q == "Q5":
                    if refs and not out.esi_id:
                        out.esi_id = v or (els[3].strip() if n > 3 else "")  # an 867 carries it in REF03
                elif (q == "PRI" and v == "Y") or (q == "1P" and v == "PMI"):
                    out.priority = True
                elif q == "7G":
                    out.reject = True
        elif head == ak2:
            if n > 2 and acks:
                acks[-1][2].append(els[2].strip())
        elif head == sac:
            if is_810 and n > 4 and els[4].strip():
                charges.append(els[4].strip())
        elif head == bgn:
            if n > 7 and not out.bgn07:
                out.bgn07 = els[7].strip()
        elif head == lin:
            if n > 7 and not out.lin07:
                out.lin07 = els[7].strip()
        elif head == asi:
            if n > 1 and els[1] == "U":
                out.reject = True
        elif head == bpt:
            if n > 7 and els[7] == "F":
                out.final = True
        elif head == ak1 and n > 2:
            acks.append((els[1], els[2].strip(), []))
    if dates:
        # a market's date maps repeat (every ESI ID of a read cycle has the same period): one each
        key = tuple(dates.items())
        shared = _DATE_MAPS.get(key)
        if shared is None and len(_DATE_MAPS) < 100_000:
            shared = _DATE_MAPS[key] = dates
        out.dates = shared or dates
    else:
        out.dates = _NO_DATES
    if acks:
        out.acks = tuple((f, g, tuple(sts)) for f, g, sts in acks)
    out.detailed = True
    return tuple(charges)


@dataclass(slots=True)
class Flow:
    """Transactions of one ESI ID connected by their references.

    Attributes:
        id: flow number (stable for a given input).
        esi_id: the ESI ID.
        members: record indexes, in sending order.
        purposes: what the flow is about, or None when no transaction shows it.
        priority: priority move-in (None when no 814_16 / 814_03 shows it either way).
        bgn07: BGN07 of its 814s ('' none; None when it has no 814 at all).
        tdsp: DUNS of the TDSP involved ('' when no transaction names one).
        tdsp_name: the TDSP's name from an N1*8S ('' when none).
    """

    id: int
    esi_id: str
    members: list[int]
    purposes: frozenset[str] | None = None
    priority: bool | None = None
    bgn07: str | None = None
    tdsp: str = ""
    tdsp_name: str = ""
    #: members by code and by orig_ref, in sending order (built on first use)
    by_code: dict[str, list[int]] | None = None
    by_orig_ref: dict[str, list[int]] | None = None


class FlowIndex:
    """Flows per ESI ID rebuilt from references, with look-ups the checker needs.

    Args:
        records: all transactions of the data set (``records[i].index == i``).
    """

    def __init__(self, records: Sequence[TxnRecord]) -> None:
        self.records = records
        # Union-find over (ESI ID, reference); a root maps to itself as the very object that is
        # its key, so roots are told by identity. Each record's node is kept for the second pass.
        parent: dict[tuple[str, str], tuple[str, str]] = {}
        setdefault = parent.setdefault

        def find(x: tuple[str, str]) -> tuple[str, str]:
            root = parent[x]
            while (up := parent[root]) is not root:
                root = up
            while (up := parent[x]) is not root:
                parent[x] = root
                x = up
            return root

        nodes: list[tuple[str, str] | None] = [None] * len(records)
        for i, r in enumerate(records):
            esi, ref, orig = r.esi_id, r.ref, r.orig_ref
            if not esi or not (ref or orig):
                continue
            a = (esi, ref or orig)
            a = nodes[i] = setdefault(a, a)
            if ref and orig:
                b = (esi, orig)
                b = setdefault(b, b)
                ra, rb = find(a), find(b)
                if ra is not rb:
                    if rb < ra:
                        ra, rb = rb, ra
                    parent[rb] = ra
        roots: dict[tuple[str, str], int] = {}
        self.flow_of: list[int] = [-1] * len(records)
        self.flows: list[Flow] = []
        flows, flow_of = self.flows, self.flow_of
        #: the records are in sending order (a trace's are): a flow's members are then in index order
        self.in_order = sending_ordered(records)
        order: Iterable[int] = range(len(records)) if self.in_order else sorted(
            range(len(records)), key=lambda i: (records[i].sent_at, i))
        for i in order:
            node = nodes[i]
            if node is None:
                continue
            root = find(node)
            fid = roots.get(root)
            if fid is None:
                fid = roots[root] = len(flows)
                flows.append(Flow(fid, records[i].esi_id, [i]))
            else:
                flows[fid].members.append(i)
            flow_of[i] = fid
        self.tdsp_of_esi: dict[str, tuple[str, str]] = {}
        for flow in self.flows:
            self._describe(flow)
            if flow.tdsp and flow.esi_id not in self.tdsp_of_esi:
                self.tdsp_of_esi[flow.esi_id] = (flow.tdsp, flow.tdsp_name)
        for flow in self.flows:
            if not flow.tdsp and flow.esi_id in self.tdsp_of_esi:
                flow.tdsp, flow.tdsp_name = self.tdsp_of_esi[flow.esi_id]

    def _describe(self, flow: Flow) -> None:
        purposes: set[str] = set()
        priority: bool | None = None
        bgn07: str | None = None
        for i in flow.members:
            r = self.records[i]
            code = r.code or ""
            purpose = _INITIATORS.get(code) if r.sender_role in ("CR", None) else None
            if purpose == "switch" and r.date("150") is not None:
                purpose = "self_selected_switch"
            if purpose:
                purposes.add(purpose)
            if r.lin07 in _LIN07:
                purposes.add(_LIN07[r.lin07])
            if code.startswith("814"):
                bgn07 = bgn07 or r.bgn07
                if r.bgn07 in _BGN07:
                    purposes.add(_BGN07[r.bgn07])
            if code in ("814_01", "814_16", "814_03"):
                priority = bool(priority) or r.priority
            if not flow.tdsp:
                if r.sender_role == "TDSP":
                    flow.tdsp = r.sender
                elif r.receiver_role == "TDSP":
                    flow.tdsp = r.receiver
            if not flow.tdsp_name and r.tdsp_name:
                flow.tdsp_name = r.tdsp_name
        flow.purposes = frozenset(purposes) if purposes else None
        flow.priority = priority
        flow.bgn07 = bgn07

    def flow(self, index: int) -> Flow | None:
        """The flow of a record, or None (a 997, or a transaction without references)."""
        fid = self.flow_of[index]
        return self.flows[fid] if fid >= 0 else None

    def members(self, index: int) -> list[int]:
        """Record indexes of the record's flow (just itself when it has none)."""
        flow = self.flow(index)
        return flow.members if flow is not None else [index]

    def members_with_codes(self, index: int, codes: frozenset[str]) -> list[int]:
        """The members of the record's flow whose code is one of ``codes``, in sending order.

        A flow of many transactions (a file sent a thousand times) is looked up by code, so
        finding an answer costs the candidates, not the whole flow.
        """
        flow = self.flow(index)
        if flow is None:
            return [index] if self.records[index].code in codes else []
        if flow.by_code is None:
            flow.by_code = {}
            for j in flow.members:
                flow.by_code.setdefault(self.records[j].code or "", []).append(j)
        by_code = flow.by_code
        if len(codes) == 1:
            for c in codes:
                return by_code.get(c) or []
        hits = [by_code[c] for c in codes if c in by_code]
        if len(hits) <= 1:
            return hits[0] if hits else []
        if self.in_order:
            return sorted(j for h in hits for j in h)
        order = {j: k for k, j in enumerate(flow.members)}
        return sorted((j for h in hits for j in h), key=order.__getitem__)

    def members_answering(self, index: int, ref: str) -> list[int]:
        """The members of the record's flow whose orig_ref is ``ref``, in sending order."""
        flow = self.flow(index)
        if flow is None:
            return [index] if self.records[index].orig_ref == ref else []
        if flow.by_orig_ref is None:
            flow.by_orig_ref = {}
            for j in flow.members:
                flow.by_orig_ref.setdefault(self.records[j].orig_ref, []).append(j)
        return flow.by_orig_ref.get(ref, [])

    def tdsp_for(self, index: int) -> tuple[str, str]:
        """``(DUNS, name)`` of the TDSP of a record's flow or ESI ID ('' when unknown)."""
        flow = self.flow(index)
        if flow is not None and flow.tdsp:
            return flow.tdsp, flow.tdsp_name
        r = self.records[index]
        if r.sender_role == "TDSP":
            return r.sender, r.tdsp_name
        if r.receiver_role == "TDSP":
            return r.receiver, r.tdsp_name
        return self.tdsp_of_esi.get(r.esi_id, ("", ""))


def sending_ordered(records: Sequence[TxnRecord]) -> bool:
    """Whether ``records`` are in sending order (by ``sent_at``; index order among equals)."""
    return all(a.sent_at <= b.sent_at for a, b in pairwise(records))


def assign_roles(records: Iterable[TxnRecord], roles: dict[str, str]) -> None:
    """Fill unknown sender / receiver roles from a DUNS -> role map."""
    for r in records:
        if r.sender_role is None:
            r.sender_role = roles.get(r.sender) or roles.get(r.sender[:9])
        if r.receiver_role is None:
            r.receiver_role = roles.get(r.receiver) or roles.get(r.receiver[:9])
