"""Interchange, functional group and transaction set envelopes, checked while streaming.

:func:`iter_transactions` walks the segments of a file once and yields every transaction set
(ST..SE) with its ISA and GS, in constant memory apart from the transaction being built.  On
the way it checks the envelopes and adds a :class:`~edi.findings.Finding` to the report for
each problem: ISA13/IEA02, GS06/GE02 and ST02/SE02 that differ; SE01, GE01 and IEA01 counts;
an ST02 that repeats in its group (a set: linear time); missing or extra trailers; segments
outside a transaction; a truncated file; several interchanges in one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from edi.findings import Finding, Location, Report
from edi.x12.delimiters import Delimiters
from edi.x12.reader import Source, X12Reader
from edi.x12.segment import Segment

__all__ = ["TransactionSet", "Interchange", "Group", "iter_transactions", "read_interchanges"]

_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


@dataclass(slots=True)
class TransactionSet:
    """One transaction set (ST..SE) with the envelopes around it.

    Attributes:
        segments: ST through SE (SE absent when ``complete`` is False).
        isa: the ISA of its interchange.
        gs: the GS of its group.
        file: the file name used in locations.
        delimiters: the interchange's delimiters.
        complete: False when the file ended or a GE/IEA came before the SE.
    """

    segments: list[Segment]
    isa: Segment
    gs: Segment
    file: str
    delimiters: Delimiters
    complete: bool = True

    @property
    def st01(self) -> str:
        """Transaction set identifier code (``814``, ``867`` ...)."""
        return self.segments[0].get(1)

    @property
    def control(self) -> str:
        """ST02, the transaction set control number."""
        return self.segments[0].get(2)

    @property
    def sender(self) -> str:
        """GS02 application sender code (DUNS or DUNS+4)."""
        return self.gs.get(2).strip()

    @property
    def receiver(self) -> str:
        """GS03 application receiver code."""
        return self.gs.get(3).strip()

    @property
    def functional_id(self) -> str:
        return self.gs.get(1)

    @property
    def body(self) -> list[Segment]:
        """Segments between ST and SE."""
        end = -1 if self.complete and self.segments[-1].id == "SE" else len(self.segments)
        return self.segments[1:end]

    def location(self, seg: Segment | None = None, element: str = "") -> Location:
        """Location of ``seg`` (default: the ST) in this transaction's file."""
        seg = seg or self.segments[0]
        return Location(self.file, seg.number, seg.label(), element, seg.offset, self.control)


@dataclass(slots=True)
class Group:
    """A functional group read whole (see :func:`read_interchanges`)."""

    gs: Segment
    transactions: list[TransactionSet] = field(default_factory=list)
    ge: Segment | None = None


@dataclass(slots=True)
class Interchange:
    """An interchange read whole: for small files, round trips and explanations."""

    isa: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    iea: Segment | None = None

    def segments(self) -> Iterator[Segment]:
        """Every segment of the interchange in file order."""
        yield self.isa
        for g in self.groups:
            yield g.gs
            for t in g.transactions:
                yield from t.segments
            if g.ge is not None:
                yield g.ge
        if self.iea is not None:
            yield self.iea


class _Walker:
    """State machine over the segment stream; adds envelope findings to a report."""

    def __init__(self, reader: X12Reader, report: Report) -> None:
        self.r = reader
        self.rep = report
        self.file = reader.name
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: list[Segment] | None = None
        self.groups_in_isa = 0
        self.st_in_gs = 0
        self.st_controls: set[str] = set()
        self.isa_controls: set[str] = set()

    def find(self, code: str, seg: Segment | None, message: str, value: str | None = None, element: str = "", st: str = "") -> None:
        loc = (
            Location(self.file, seg.number, seg.label(), element, seg.offset, st)
            if seg is not None
            else Location(self.file)
        )
        self.rep.add(Finding(code, loc, message, value))

    def check_isa(self, seg: Segment) -> None:
        els = seg.elements
        if len(els) != 17:
            self.find("isa-invalid-field", seg, f"ISA has {len(els) - 1} elements, expected 16")
            return
        for i, width in enumerate(_ISA_WIDTHS, 1):
            if len(els[i]) != width:
                self.find("isa-invalid-field", seg, f"ISA{i:02d} is {len(els[i])} characters, the ISA fixes it at {width}", els[i], f"ISA{i:02d}")
        if not _valid_date("20" + els[9], "%Y%m%d"):
            self.find("isa-invalid-date", seg, f"interchange date {els[9]!r} is not a valid YYMMDD", els[9], "ISA09")
        if not _valid_date(els[10], "%H%M"):
            self.find("isa-invalid-time", seg, f"interchange time {els[10]!r} is not a valid HHMM", els[10], "ISA10")
        if els[12] != "00401":
            self.find("isa-invalid-version", seg, f"interchange version {els[12]!r} is not 00401", els[12], "ISA12")
        if not els[13].isdigit() or len(els[13]) != 9:
            self.find("isa-invalid-control-number", seg, f"interchange control number {els[13]!r} is not 9 digits", els[13], "ISA13")
        elif els[13] in self.isa_controls:
            self.find("isa-duplicate-control", seg, f"interchange control number {els[13]} repeats in this file", els[13], "ISA13")
        self.isa_controls.add(els[13])
        if els[15] not in ("P", "T"):
            self.find("isa-invalid-usage", seg, f"usage indicator {els[15]!r} is not P or T", els[15], "ISA15")

    def close_st(self, at: Segment | None) -> TransactionSet | None:
        if self.st is None:
            return None
        st = self.st
        self.st = None
        self.find("se-missing", at or st[-1], f"transaction set {st[0].get(2)} has no SE trailer", st=st[0].get(2))
        return self._txn(st, complete=False)

    def close_gs(self, at: Segment | None) -> None:
        if self.gs is not None:
            self.find("ge-missing", at or self.gs, f"functional group {self.gs.get(6)} has no GE trailer")
            self.gs = None

    def close_isa(self, at: Segment | None) -> None:
        if self.isa is not None:
            self.find("iea-missing", at or self.isa, f"interchange {self.isa.get(13)} has no IEA trailer")
            self.isa = None

    def _txn(self, segs: list[Segment], complete: bool) -> TransactionSet:
        assert self.r.delimiters is not None
        return TransactionSet(segs, self.isa or segs[0], self.gs or segs[0], self.file, self.r.delimiters, complete)

    def walk(self) -> Iterator[TransactionSet | Segment]:
        """Yield transactions and the ISA/GS/GE/IEA segments around them, in file order."""
        rep = self.rep
        rep.files += 1
        nseg = 0
        for segs, first, offsets in self.r.batches():
            nseg += len(segs)
            st = self.st
            for i, els in enumerate(segs):
                sid = els[0]
                if st is not None and sid not in _ENVELOPE:
                    st.append(Segment(els, first + i, offsets[i]))
                    continue
                seg = Segment(els, first + i, offsets[i])
                if sid == "ST":
                    if st is not None:
                        t = self.close_st(seg)
                        if t is not None:
                            yield t
                    if self.gs is None:
                        self.find("interchange-structure", seg, "ST outside of a GS/GE functional group")
                    ctl = seg.get(2)
                    if not (4 <= len(ctl) <= 9):
                        self.find("st-invalid-control-number", seg, f"transaction set control number {ctl!r} must be 4 to 9 characters", ctl, "ST02", ctl)
                    elif ctl in self.st_controls:
                        self.find("st-duplicate-control", seg, f"transaction set control number {ctl} repeats in functional group {self.gs.get(6) if self.gs else ''}", ctl, "ST02", ctl)
                    self.st_controls.add(ctl)
                    self.st_in_gs += 1
                    rep.transactions += 1
                    st = self.st = [seg]
                elif sid == "SE":
                    if st is None:
                        self.find("interchange-structure", seg, "SE without a matching ST")
                        continue
                    st.append(seg)
                    ctl = st[0].get(2)
                    if seg.get(2) != ctl:
                        self.find("st-se-control-mismatch", seg, f"SE02 {seg.get(2)!r} does not match ST02 {ctl!r}", seg.get(2), "SE02", ctl)
                    if seg.get(1) != str(len(st)):
                        self.find("se-count-mismatch", seg, f"SE01 says {seg.get(1)!r} segments, the transaction set has {len(st)} (ST through SE)", seg.get(1), "SE01", ctl)
                    self.st = None
                    yield self._txn(st, True)
                    st = None
                elif sid == "GS":
                    if st is not None:
                        t = self.close_st(seg)
                        st = None
                        if t is not None:
                            yield t
                    self.close_gs(seg)
                    if self.isa is None:
                        self.find("interchange-structure", seg, "GS outside of an ISA/IEA interchange")
                    if seg.get(8) != "004010":
                        self.find("gs-invalid-version", seg, f"GS08 version {seg.get(8)!r} is not 004010", seg.get(8), "GS08")
                    if not seg.get(6).isdigit():
                        self.find("gs-invalid-control-number", seg, f"group control number {seg.get(6)!r} is not numeric", seg.get(6), "GS06")
                    self.gs = seg
                    yield seg
                    self.st_in_gs = 0
                    self.st_controls = set()
                    self.groups_in_isa += 1
                    rep.groups += 1
                elif sid == "GE":
                    if st is not None:
                        t = self.close_st(seg)
                        st = None
                        if t is not None:
                            yield t
                    if self.gs is None:
                        self.find("interchange-structure", seg, "GE without a matching GS")
                        continue
                    if seg.get(2) != self.gs.get(6):
                        self.find("gs-ge-control-mismatch", seg, f"GE02 {seg.get(2)!r} does not match GS06 {self.gs.get(6)!r}", seg.get(2), "GE02")
                    if seg.get(1) != str(self.st_in_gs):
                        self.find("ge-count-mismatch", seg, f"GE01 says {seg.get(1)!r} transaction sets, the group has {self.st_in_gs}", seg.get(1), "GE01")
                    self.gs = None
                    yield seg
                elif sid == "ISA":
                    if st is not None:
                        t = self.close_st(seg)
                        st = None
                        if t is not None:
                            yield t
                    self.close_gs(seg)
                    self.close_isa(seg)
                    self.check_isa(seg)
                    self.isa = seg
                    yield seg
                    self.groups_in_isa = 0
                    rep.interchanges += 1
                elif sid == "IEA":
                    if st is not None:
                        t = self.close_st(seg)
                        st = None
                        if t is not None:
                            yield t
                    self.close_gs(seg)
                    if self.isa is None:
                        self.find("interchange-structure", seg, "IEA without a matching ISA")
                        continue
                    if seg.get(2) != self.isa.get(13):
                        self.find("isa-iea-control-mismatch", seg, f"IEA02 {seg.get(2)!r} does not match ISA13 {self.isa.get(13)!r}", seg.get(2), "IEA02")
                    if seg.get(1) != str(self.groups_in_isa):
                        self.find("iea-count-mismatch", seg, f"IEA01 says {seg.get(1)!r} groups, the interchange has {self.groups_in_isa}", seg.get(1), "IEA01")
                    self.isa = None
                    yield seg
                else:
                    self.find("interchange-structure", seg, f"segment {sid or '(empty ID)'} outside of an ST/SE transaction set", sid)
        rep.segments += nseg
        if self.r.trailing:
            loc = Location(self.file, nseg + 1, self.r.trailing[:3], "", self.r.trailing_offset)
            rep.add(Finding("truncated", loc, f"file ends inside a segment: {self.r.trailing[:40]!r} has no segment terminator", self.r.trailing[:40]))
        if self.st is not None:
            t = self.close_st(None)
            if t is not None:
                yield t
        self.close_gs(None)
        self.close_isa(None)


_ENVELOPE = frozenset({"ST", "SE", "GS", "GE", "ISA", "IEA"})


def _valid_date(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def iter_transactions(source: Source, *, name: str | None = None, report: Report | None = None) -> Iterator[TransactionSet]:
    """Yield every transaction set in a file, checking envelopes on the way.

    Args:
        source: path, bytes or binary file object.
        name: name used in locations.
        report: envelope findings are added here (a fresh one is used when omitted).

    Raises:
        X12SyntaxError: the input does not start with a readable ISA.
    """
    walker = _Walker(X12Reader(source, name=name), report if report is not None else Report())
    for item in walker.walk():
        if isinstance(item, TransactionSet):
            yield item


def read_interchanges(source: Source, *, name: str | None = None, report: Report | None = None) -> list[Interchange]:
    """Read a whole file into interchanges, groups and transactions (for small files)."""
    reader = X12Reader(source, name=name)
    out: list[Interchange] = []
    walker = _Walker(reader, report if report is not None else Report())
    for item in walker.walk():
        if isinstance(item, TransactionSet):
            if not out or not out[-1].groups:
                # a transaction outside a group: keep it in a synthetic group so nothing is lost
                if not out:
                    out.append(Interchange(item.isa, item.delimiters))
                out[-1].groups.append(Group(item.gs))
            out[-1].groups[-1].transactions.append(item)
        elif item.id == "ISA":
            assert reader.delimiters is not None
            out.append(Interchange(item, reader.delimiters))
        elif item.id == "GS":
            if not out:
                out.append(Interchange(item, reader.delimiters or Delimiters()))
            out[-1].groups.append(Group(item))
        elif item.id == "GE" and out and out[-1].groups:
            out[-1].groups[-1].ge = item
        elif item.id == "IEA" and out:
            out[-1].iea = item
    return out
