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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Flow", "FlowIndex", "TxnRecord", "assign_roles", "body_details", "parse_ccyymmdd"]

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


def _first(body: Sequence[Sequence[str]], seg: str, qual: str, pos: int) -> str:
    for els in body:
        if els and els[0] == seg and (not qual or (len(els) > 1 and els[1] == qual)):
            return els[pos].strip() if len(els) > pos else ""
    return ""


def body_details(st01: str, body: Sequence[Sequence[str]]) -> dict[str, object]:
    """What the checker needs from a transaction body (segments between ST and SE).

    Returns a dict with ``ref``, ``orig_ref``, ``esi_id``, ``dates``, ``priority``, ``bgn07``,
    ``lin07``, ``final``, ``reject``, ``tdsp_name``, ``tdsp_duns`` and ``acks``.
    """
    out: dict[str, object] = {}
    where = REFERENCES.get(st01)
    if where is not None:
        (s1, q1, p1), (s2, q2, p2) = where
        out["ref"] = _first(body, s1, q1, p1)
        out["orig_ref"] = _first(body, s2, q2, p2)
    dates: dict[str, dt.date] = {}
    priority = reject = False
    bgn07 = lin07 = tdsp_name = tdsp_duns = esi = ""
    final = False
    acks: list[tuple[str, str, list[str]]] = []
    for els in body:
        if not els:
            continue
        sid = els[0]
        n = len(els)
        if sid == "REF" and n > 2:
            q, v = els[1], els[2].strip()
            if q == "Q5" and not esi:
                esi = v or (els[3].strip() if n > 3 else "")  # an 867 carries it in REF03
            elif (q == "PRI" and v == "Y") or (q == "1P" and v == "PMI"):
                priority = True
            elif q == "7G":
                reject = True
        elif sid == "DTM" and n > 2:
            day = parse_ccyymmdd(els[2])
            if day is not None and els[1] not in dates:
                dates[els[1]] = day
        elif sid == "BGN" and n > 7 and not bgn07:
            bgn07 = els[7].strip()
        elif sid == "LIN" and n > 7 and not lin07:
            lin07 = els[7].strip()
        elif sid == "ASI" and n > 1 and els[1] == "U":
            reject = True
        elif sid == "BPT" and n > 7 and els[7] == "F":
            final = True
        elif sid == "N1" and n > 1 and els[1] == "8S" and not tdsp_name:
            tdsp_name = els[2].strip() if n > 2 else ""
            tdsp_duns = els[4].strip() if n > 4 else ""
        elif sid == "AK1" and n > 2:
            acks.append((els[1], els[2].strip(), []))
        elif sid == "AK2" and n > 2 and acks:
            acks[-1][2].append(els[2].strip())
    out.update(
        esi_id=esi, dates=dates, priority=priority, bgn07=bgn07, lin07=lin07, final=final,
        reject=reject, tdsp_name=tdsp_name, tdsp_duns=tdsp_duns,
        acks=tuple((f, g, tuple(sts)) for f, g, sts in acks),
    )
    return out


@dataclass
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
        parent: dict[tuple[str, str], tuple[str, str]] = {}

        def find(x: tuple[str, str]) -> tuple[str, str]:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:
                parent[x], x = root, parent[x]
            return root

        def node(x: tuple[str, str]) -> tuple[str, str]:
            if x not in parent:
                parent[x] = x
            return x

        for r in records:
            if not r.esi_id or not (r.ref or r.orig_ref):
                continue
            a = node((r.esi_id, r.ref or r.orig_ref))
            if r.ref and r.orig_ref:
                b = node((r.esi_id, r.orig_ref))
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        roots: dict[tuple[str, str], int] = {}
        self.flow_of: list[int] = [-1] * len(records)
        self.flows: list[Flow] = []
        order = sorted(range(len(records)), key=lambda i: (records[i].sent_at, i))
        for i in order:
            r = records[i]
            if not r.esi_id or not (r.ref or r.orig_ref):
                continue
            root = find((r.esi_id, r.ref or r.orig_ref))
            fid = roots.get(root)
            if fid is None:
                fid = roots[root] = len(self.flows)
                self.flows.append(Flow(fid, r.esi_id, []))
            self.flows[fid].members.append(i)
            self.flow_of[i] = fid
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
        hits = [flow.by_code[c] for c in codes if c in flow.by_code]
        if len(hits) == 1:
            return hits[0]
        order = {j: k for k, j in enumerate(flow.members)} if len(hits) > 1 else {}
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


def assign_roles(records: Iterable[TxnRecord], roles: dict[str, str]) -> None:
    """Fill unknown sender / receiver roles from a DUNS -> role map."""
    for r in records:
        if r.sender_role is None:
            r.sender_role = roles.get(r.sender) or roles.get(r.sender[:9])
        if r.receiver_role is None:
            r.receiver_role = roles.get(r.receiver) or roles.get(r.receiver[:9])
