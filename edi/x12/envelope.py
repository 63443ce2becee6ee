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
from itertools import compress, repeat
from operator import getitem

from edi.findings import Finding, Location, Report
from edi.x12.delimiters import Delimiters
from edi.x12.reader import Source, X12Reader
from edi.x12.segment import Segment

__all__ = ["TransactionSet", "Interchange", "Group", "iter_transactions", "read_interchanges"]

_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


class TransactionSet:
    """One transaction set (ST..SE) with the envelopes around it.

    The segments are kept as raw element lists (:attr:`raw`, ``[id, e1, e2, ...]``) with the
    number of the ST in the file and the byte offsets; :attr:`segments` builds located
    :class:`Segment` objects from them on first use.  Validators work on :attr:`raw` and
    build a location only when they report something (:meth:`segment_at`).

    Attributes:
        raw: ST through SE as element lists (no SE when ``complete`` is False).
        first_number: segment number of the ST in the file (ISA of the file = 1).
        offsets: byte offset of each segment.
        isa: the ISA of its interchange.
        gs: the GS of its group.
        file: the file name used in locations.
        delimiters: the interchange's delimiters.
        complete: False when the file ended or a GE/IEA came before the SE.
    """

    __slots__ = ("_raw", "_text", "first_number", "offsets", "isa", "gs", "file", "delimiters", "complete", "_segments")

    def __init__(
        self,
        raw: list[list[str]] | None,
        first_number: int,
        offsets: list[int],
        isa: Segment,
        gs: Segment,
        file: str,
        delimiters: Delimiters,
        complete: bool = True,
        text: list[str] | None = None,
    ) -> None:
        self._raw = raw
        self._text = text
        self.first_number = first_number
        self.offsets = offsets
        self.isa = isa
        self.gs = gs
        self.file = file
        self.delimiters = delimiters
        self.complete = complete
        self._segments: list[Segment] | None = None

    @classmethod
    def from_segments(cls, segments: list[Segment], isa: Segment, gs: Segment, file: str = "",
                      delimiters: Delimiters | None = None, complete: bool = True) -> TransactionSet:
        """Build from located segments (ST first)."""
        first = segments[0].number if segments else 0
        return cls([s.elements for s in segments], first, [s.offset for s in segments], isa, gs, file,
                   delimiters or Delimiters(), complete)

    @property
    def raw(self) -> list[list[str]]:
        """ST through SE as element lists (split from the text on first use)."""
        raw = self._raw
        if raw is None:
            sep = self.delimiters.element
            raw = self._raw = [t.split(sep) for t in self._text or ()]
        return raw

    def __len__(self) -> int:
        """Number of segments, ST through SE."""
        return len(self._raw) if self._raw is not None else len(self._text or ())

    @property
    def segments(self) -> list[Segment]:
        """ST through SE as located segments (built on first use)."""
        if self._segments is None:
            first = self.first_number
            offs = self.offsets
            self._segments = [Segment(els, first + i, offs[i] if i < len(offs) else 0)
                              for i, els in enumerate(self.raw)]
        return self._segments

    def segment_at(self, index: int) -> Segment:
        """The located segment at ``index`` (0 = ST) without building the others."""
        offs = self.offsets
        return Segment(self.raw[index], self.first_number + index, offs[index] if index < len(offs) else 0)

    @property
    def texts(self) -> list[str]:
        """ST through SE as segment texts, elements not split (joined again when the
        transaction was built from element lists)."""
        if self._text is None:
            sep = self.delimiters.element
            self._text = [sep.join(els) for els in self._raw or ()]
        return self._text

    @property
    def body_texts(self) -> list[str]:
        """Segment texts between ST and SE (see :attr:`raw_body`)."""
        texts = self.texts
        sep = self.delimiters.element
        end = -1 if self.complete and texts and texts[-1].split(sep, 1)[0] == "SE" else len(texts)
        return texts[1:end]

    def _st(self) -> list[str]:
        """The ST's elements, without splitting the rest of the transaction."""
        if self._raw is not None:
            return self._raw[0]
        return self._text[0].split(self.delimiters.element) if self._text else [""]

    @property
    def st01(self) -> str:
        """Transaction set identifier code (``814``, ``867`` ...)."""
        st = self._st()
        return st[1] if len(st) > 1 else ""

    @property
    def control(self) -> str:
        """ST02, the transaction set control number."""
        st = self._st()
        return st[2] if len(st) > 2 else ""

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
        segs = self.segments
        end = -1 if self.complete and segs[-1].id == "SE" else len(segs)
        return segs[1:end]

    @property
    def raw_body(self) -> list[list[str]]:
        """Element lists between ST and SE."""
        raw = self.raw
        end = -1 if self.complete and raw[-1][0] == "SE" else len(raw)
        return raw[1:end]

    def location(self, seg: Segment | None = None, element: str = "") -> Location:
        """Location of ``seg`` (default: the ST) in this transaction's file."""
        seg = seg or self.segment_at(0)
        return Location(self.file, seg.number, seg.label(), element, seg.offset, self.control)

    def __repr__(self) -> str:
        return (f"TransactionSet({self.st01} {self.control}, {len(self.raw)} segments, "
                f"{self.file!r} segment {self.first_number})")


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
    """State machine over the segment stream; adds envelope findings to a report.

    The open transaction is kept as raw element lists plus offsets: in the hot loop a body
    segment costs one list append.
    """

    def __init__(self, reader: X12Reader, report: Report) -> None:
        self.r = reader
        self.rep = report
        self.file = reader.name
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: list[str] | None = None  # the open transaction's segment texts
        self.st_ctl = ""
        self.st_first = 0
        self.st_offsets: list[int] = []
        self.groups_in_isa = 0
        self.st_in_gs = 0
        self.st_controls: set[str] = set()
        #: ISA13s seen in this file, for the duplicate check: the one thing kept per file, so
        #: kept small (9-digit numbers as ints, about 60 bytes per interchange)
        self.isa_controls: set[int | str] = set()

    def find(self, code: str, seg: Segment | None, message: str, value: str | None = None, element: str = "",
             st: str = "") -> None:
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
                self.find("isa-invalid-field", seg,
                          f"ISA{i:02d} is {len(els[i])} characters, the ISA fixes it at {width}", els[i], f"ISA{i:02d}")
        if not _valid_date("20" + els[9], "%Y%m%d"):
            self.find("isa-invalid-date", seg, f"interchange date {els[9]!r} is not a valid YYMMDD", els[9], "ISA09")
        if not _valid_date(els[10], "%H%M"):
            self.find("isa-invalid-time", seg, f"interchange time {els[10]!r} is not a valid HHMM", els[10], "ISA10")
        if els[12] != "00401":
            self.find("isa-invalid-version", seg, f"interchange version {els[12]!r} is not 00401", els[12], "ISA12")
        ctl = els[13]
        key = int(ctl) if len(ctl) == 9 and ctl.isascii() and ctl.isdigit() else ctl
        if not (ctl.isascii() and ctl.isdigit()) or len(ctl) != 9:
            self.find("isa-invalid-control-number", seg, f"interchange control number {ctl!r} is not 9 digits", ctl,
                      "ISA13")
        elif key in self.isa_controls:
            self.find("isa-duplicate-control", seg, f"interchange control number {ctl} repeats in this file", ctl,
                      "ISA13")
        self.isa_controls.add(key)
        if els[15] not in ("P", "T"):
            self.find("isa-invalid-usage", seg, f"usage indicator {els[15]!r} is not P or T", els[15], "ISA15")

    def check_trailer(self, seg: Segment, header: Segment, ctl_pos: int, count: int, nouns: tuple[str, str],
                      ctl_code: str, count_code: str) -> None:
        """Compare a GE/IEA trailer with its header's control number and the count seen."""
        t, h = seg.id, header.id
        if seg.get(2) != header.get(ctl_pos):
            self.find(ctl_code, seg, f"{t}02 {seg.get(2)!r} does not match {h}{ctl_pos:02d} {header.get(ctl_pos)!r}",
                      seg.get(2), f"{t}02")
        if seg.get(1) != str(count):
            self.find(count_code, seg, f"{t}01 says {seg.get(1)!r} {nouns[0]}, the {nouns[1]} has {count}",
                      seg.get(1), f"{t}01")

    def close_st(self, at: Segment | None) -> TransactionSet | None:
        """Close an open transaction that has no SE (reported), returning it."""
        if self.st is None:
            return None
        raw = self.st
        self.st = None
        ctl = self.st_ctl
        sep = self.r.delimiters.element  # type: ignore[union-attr]
        last = Segment(raw[-1].split(sep), self.st_first + len(raw) - 1, self.st_offsets[-1] if self.st_offsets else 0)
        self.find("se-missing", at or last, f"transaction set {ctl} has no SE trailer", st=ctl)
        return self._txn(raw, complete=False)

    def close_gs(self, at: Segment | None) -> None:
        if self.gs is not None:
            self.find("ge-missing", at or self.gs, f"functional group {self.gs.get(6)} has no GE trailer")
            self.gs = None

    def close_isa(self, at: Segment | None) -> None:
        if self.isa is not None:
            self.find("iea-missing", at or self.isa, f"interchange {self.isa.get(13)} has no IEA trailer")
            self.isa = None

    def _txn(self, raw: list[str], complete: bool) -> TransactionSet:
        assert self.r.delimiters is not None
        offsets = self.st_offsets
        self.st_offsets = []
        isa, gs = self.isa, self.gs
        if isa is None or gs is None:
            st_seg = Segment(raw[0].split(self.r.delimiters.element), self.st_first, offsets[0] if offsets else 0)
            isa = isa if isa is not None else st_seg
            gs = gs if gs is not None else st_seg
        return TransactionSet(None, self.st_first, offsets, isa, gs, self.file, self.r.delimiters, complete, raw)

    def walk(self) -> Iterator[TransactionSet | Segment]:
        """Yield transactions and the ISA/GS/GE/IEA segments around them, in file order."""
        rep = self.rep
        rep.files += 1
        nseg = 0
        heads = _HEADS.__contains__
        for segs, first, offsets in self.r.text_batches():
            sep = self.r.delimiters.element  # type: ignore[union-attr]
            if sep != "*":
                heads = {h.replace("*", sep) for h in _HEADS}.__contains__
            nseg += len(segs)
            raw = self.st
            start = 0  # index in this batch of the open transaction's first segment here
            # Body segments run between envelope segments: take them as slices.
            marks = list(compress(range(len(segs)), map(heads, map(getitem, segs, repeat(_HEAD)))))
            marks.append(len(segs))
            prev = 0
            for i in marks:
                if prev < i:
                    if raw is not None:
                        raw.extend(segs[prev:i])
                    else:
                        for j in range(prev, i):
                            bad = Segment(segs[j].split(sep), first + j, offsets[j])
                            if bad.id == "TA1" and self.isa is not None and self.gs is None:
                                continue  # an interchange acknowledgment sits between ISA and GS
                            self.find("interchange-structure", bad,
                                      f"segment {bad.id or '(empty ID)'} outside of an ST/SE transaction set", bad.id)
                prev = i + 1
                if i == len(segs):
                    break
                els = segs[i].split(sep)
                sid = els[0]
                if sid not in _ENVELOPE:  # a body segment whose ID only starts like one
                    if raw is not None:
                        raw.append(segs[i])
                    else:
                        bad = Segment(els, first + i, offsets[i])
                        self.find("interchange-structure", bad,
                                  f"segment {sid or '(empty ID)'} outside of an ST/SE transaction set", sid)
                    continue
                if sid == "SE" and raw is not None:
                    raw.append(segs[i])
                    ctl = self.st_ctl
                    if len(els) < 3 or els[2] != ctl or els[1] != str(len(raw)):
                        seg = Segment(els, first + i, offsets[i])
                        if seg.get(2) != ctl:
                            self.find("st-se-control-mismatch", seg, f"SE02 {seg.get(2)!r} does not match ST02 {ctl!r}",
                                      seg.get(2), "SE02", ctl)
                        if seg.get(1) != str(len(raw)):
                            self.find("se-count-mismatch", seg,
                                      f"SE01 says {seg.get(1)!r} segments, the transaction set has {len(raw)} "
                                      "(ST through SE)", seg.get(1), "SE01", ctl)
                    self.st_offsets.extend(offsets[start : i + 1])
                    self.st = None
                    yield self._txn(raw, True)
                    raw = None
                    continue
                if sid == "ST" and raw is None and self.gs is not None:
                    ctl = els[2] if len(els) > 2 else ""
                    controls = self.st_controls
                    if 4 <= len(ctl) <= 9 and ctl not in controls:
                        controls.add(ctl)
                        self.st_in_gs += 1
                        rep.transactions += 1
                        raw = self.st = [segs[i]]
                        self.st_ctl = ctl
                        self.st_first = first + i
                        self.st_offsets = []
                        start = i
                        continue
                seg = Segment(els, first + i, offsets[i])
                if raw is not None and sid != "SE":
                    # an envelope segment inside an open transaction: it has no SE
                    self.st_offsets.extend(offsets[start:i])
                    t = self.close_st(seg)
                    raw = None
                    if t is not None:
                        yield t
                if sid == "ST":
                    if self.gs is None:
                        self.find("interchange-structure", seg, "ST outside of a GS/GE functional group")
                    ctl = seg.get(2)
                    if not (4 <= len(ctl) <= 9):
                        self.find("st-invalid-control-number", seg,
                                  f"transaction set control number {ctl!r} must be 4 to 9 characters", ctl, "ST02", ctl)
                    elif ctl in self.st_controls:
                        self.find("st-duplicate-control", seg,
                                  f"transaction set control number {ctl} repeats in functional group "
                                  f"{self.gs.get(6) if self.gs else ''}", ctl, "ST02", ctl)
                    self.st_controls.add(ctl)
                    self.st_in_gs += 1
                    rep.transactions += 1
                    raw = self.st = [segs[i]]
                    self.st_ctl = ctl
                    self.st_first = first + i
                    self.st_offsets = []
                    start = i
                elif sid == "SE":  # only reached without an open transaction
                    self.find("interchange-structure", seg, "SE without a matching ST")
                elif sid == "GS":
                    self.close_gs(seg)
                    if self.isa is None:
                        self.find("interchange-structure", seg, "GS outside of an ISA/IEA interchange")
                    if seg.get(8) != "004010":
                        self.find("gs-invalid-version", seg, f"GS08 version {seg.get(8)!r} is not 004010", seg.get(8),
                                  "GS08")
                    gs06 = seg.get(6)
                    if not (gs06.isascii() and gs06.isdigit()):
                        self.find("gs-invalid-control-number", seg, f"group control number {gs06!r} is not numeric",
                                  gs06, "GS06")
                    elif len(gs06) > 9:  # N0 1/9 in the X12 004010 segment directory
                        self.find("gs-invalid-control-number", seg, f"group control number of {len(gs06):,} digits: "
                                  "GS06 has 1 to 9", gs06, "GS06")
                    self.gs = seg
                    self.st_in_gs = 0
                    self.st_controls = set()
                    self.groups_in_isa += 1
                    rep.groups += 1
                    yield seg
                elif sid == "GE":
                    if self.gs is None:
                        self.find("interchange-structure", seg, "GE without a matching GS")
                        continue
                    self.check_trailer(seg, self.gs, 6, self.st_in_gs, ("transaction sets", "group"),
                                       "gs-ge-control-mismatch", "ge-count-mismatch")
                    self.gs = None
                    yield seg
                elif sid == "ISA":
                    self.close_gs(seg)
                    self.close_isa(seg)
                    self.check_isa(seg)
                    self.isa = seg
                    self.groups_in_isa = 0
                    rep.interchanges += 1
                    yield seg
                else:  # IEA
                    self.close_gs(seg)
                    if self.isa is None:
                        self.find("interchange-structure", seg, "IEA without a matching ISA")
                        continue
                    self.check_trailer(seg, self.isa, 13, self.groups_in_isa, ("groups", "interchange"),
                                       "isa-iea-control-mismatch", "iea-count-mismatch")
                    self.isa = None
                    yield seg
            if raw is not None:
                self.st_offsets.extend(offsets[start:])
        rep.segments += nseg
        if self.r.trailing:
            loc = Location(self.file, nseg + 1, self.r.trailing[:3], "", self.r.trailing_offset)
            rep.add(Finding("truncated", loc,
                            f"file ends inside a segment: {self.r.trailing[:40]!r} has no segment terminator",
                            self.r.trailing[:40]))
        if self.st is not None:
            t = self.close_st(None)
            if t is not None:
                yield t
        self.close_gs(None)
        self.close_isa(None)


_ENVELOPE = frozenset({"ST", "SE", "GS", "GE", "ISA", "IEA"})
# The first three characters of an envelope segment's text (with ``*`` standing for the
# element separator); bare IDs without elements are included so they are not missed.
_HEAD = slice(0, 3)
_HEADS = frozenset({"ST*", "SE*", "GS*", "GE*", "ISA", "IEA", "ST", "SE", "GS", "GE"})


def _valid_date(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def iter_transactions(source: Source, *, name: str | None = None,
                      report: Report | None = None) -> Iterator[TransactionSet]:
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
