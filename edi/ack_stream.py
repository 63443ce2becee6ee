"""The acknowledgement of one file, written as it is built: memory flat in file size and findings.

:func:`edi.ack.build_997` holds the file's envelope skeleton and every finding, then the
acknowledgement's text. For a file of any size this module gives the same bytes in bounded
memory:

* :class:`FindingSpool` is a findings sink (``Report(sink=spool.add)``, or called beside
  another sink) that writes the findings an acknowledgement reports to a temporary file
  instead of keeping them;
* :func:`write_997` reads the received file's envelopes again as a stream of segments and
  walks them beside the spooled findings (both in segment order), placing each finding on the
  interchange, group or transaction set whose range holds it exactly as ``build_997`` does.
  A transaction set's AK2 .. AK5 are written as soon as the next envelope starts; a group's
  997 goes to a spooled temporary file until the interchange ends (its TA1, which comes first,
  depends on findings up to the IEA), then out whole.

What stays in memory: one transaction set's findings, one group's counts, one interchange's
header; the 997 text of an interchange beyond a few megabytes lies on disk.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TextIO

from edi.ack import (
    ACK_LAYERS,
    GroupInfo,
    InterchangeInfo,
    TransactionInfo,
    _ack_writer,
    _ak9,
    _clean,
    _ta1_for,
    _trim,
    _txn_ack,
)
from edi.findings import CODES, Finding
from edi.x12.delimiters import DEFAULT_DELIMITERS, Delimiters
from edi.x12.reader import CHUNK_SIZE, Source, X12Reader
from edi.x12.writer import ControlNumbers

__all__ = ["FindingSpool", "write_997"]

#: an interchange's 997 text stays in memory up to this many characters (a StringIO holds up to
#: four bytes each), then moves to a temporary file
_SPOOL_BYTES = 1 << 18


class FindingSpool:
    """A findings sink that keeps the findings an acknowledgement reports on disk.

    Only findings of ``layers`` are kept (the others never reach a 997). :meth:`findings`
    gives them back in segment order with the order they came in; findings that came out of
    segment order (what only a file's end shows, such as a missing IEA, comes last) are sorted
    in memory, one file's.
    """

    def __init__(self, layers: Collection[str] = ACK_LAYERS) -> None:
        self.layers = frozenset(layers)
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._last = -1
        self.in_order = True
        self.count = 0

    def add(self, finding: Finding) -> None:
        if finding.layer not in self.layers:
            return
        n = finding.location.segment_number or 0
        if n < self._last:
            self.in_order = False
        self._last = max(self._last, n)
        pickle.dump(finding, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def findings(self) -> Iterator[tuple[int, Finding]]:
        """The spooled findings in segment order, each with its place in the order they came
        (read back from the start)."""
        self._file.seek(0)
        if self.in_order:
            yield from self._read()
        else:
            yield from sorted(self._read(), key=lambda got: got[1].location.segment_number or 0)

    def _read(self) -> Iterator[tuple[int, Finding]]:
        load = pickle.load
        file = self._file
        for k in range(self.count):
            yield k, load(file)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> FindingSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class _Group:
    """A received group being acknowledged: its counts and the 997 text not yet spooled."""

    info: GroupInfo
    acked: bool
    control: str = ""
    segments: int = 0
    received: int = 0
    accepted: int = 0
    any_e: bool = False
    text: list[str] = field(default_factory=list)
    found: list[tuple[int, Finding]] = field(default_factory=list)


@dataclass
class _Interchange:
    """A received interchange being acknowledged: its header, findings and 997s so far."""

    info: InterchangeInfo
    bodies: IO[str]
    sets: int = 0
    found: list[tuple[int, Finding]] = field(default_factory=list)


def _in_arrival_order(found: list[tuple[int, Finding]]) -> list[Finding]:
    """The findings of one envelope in the order they came, as build_997 lists them."""
    return [f for _, f in sorted(found, key=lambda got: got[0])]


def _envelope_segments(source: Source, name: str | None,
                       chunk_size: int) -> tuple[X12Reader, Iterator[tuple[int, list[str]]]]:
    """The reader and its ISA/GS/ST/SE/GE/IEA segments as (number, elements), in order."""
    reader = X12Reader(source, name=name, chunk_size=chunk_size)

    def walk() -> Iterator[tuple[int, list[str]]]:
        for parts, first, _offsets in reader.text_batches():
            sep = reader.delimiters.element  # type: ignore[union-attr]
            for k, text in enumerate(parts):
                head = text[:4]
                if head[:2] in ("ST", "SE", "GS", "GE") or head[:3] in ("ISA", "IEA"):
                    yield first + k, text.split(sep)

    return reader, walk()


class _Writer:
    """Walks envelopes and findings together and writes the acknowledgement (see the module).

    Envelopes are opened and closed as :func:`edi.ack.read_envelopes` does (a GS without an
    ISA, an ST without a GS open an implied one); a finding goes to the last interchange,
    group and set *started* at or before its segment (so a finding after an SE still goes to
    that set, as bisecting the start numbers does), which is why a set is only acknowledged
    when the next one starts.
    """

    def __init__(self, out: TextIO, when: datetime | None, control: ControlNumbers | None, ta1: bool) -> None:
        self.out = out
        self.when = when
        self.control = control
        self.ta1 = ta1
        self.delims: Delimiters = DEFAULT_DELIMITERS
        # what placement uses: the last started at or before the segment
        self.ic: _Interchange | None = None
        self.group: _Group | None = None
        self.txn: TransactionInfo | None = None
        self.txn_found: list[tuple[int, Finding]] = []
        # what read_envelopes keeps open for the next envelope to attach to
        self.isa_open = self.gs_open = False
        self.early: list[tuple[int, Finding]] = []  # before the first ISA: the first interchange's
        self.wrote = False

    def envelope(self, number: int, els: list[str]) -> None:
        sid = els[0]
        if sid == "ISA":
            self._start_interchange(els, number)
            self.isa_open, self.gs_open = True, False
        elif sid == "GS":
            if not self.isa_open:
                self._start_interchange([], number)
                self.isa_open = True
            self._start_group(els, number)
            self.gs_open = True
        elif sid == "ST":
            if not self.gs_open:
                if not self.isa_open:
                    self._start_interchange([], number)
                    self.isa_open = True
                self._start_group([], number)
                self.gs_open = True
            self._end_txn()
            self.txn = TransactionInfo(els[1] if len(els) > 1 else "", els[2] if len(els) > 2 else "", number, number)
        elif sid == "GE" and self.gs_open:
            assert self.group is not None
            self.group.info.ge, self.group.info.end = els, number
            self.gs_open = False
        elif sid == "IEA" and self.isa_open:
            assert self.ic is not None
            self.ic.info.iea, self.ic.info.end = els, number
            self.isa_open = self.gs_open = False

    def _start_interchange(self, isa: list[str], number: int) -> None:
        self._end_interchange()
        info = InterchangeInfo(isa, number)
        bodies = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed when the interchange ends)
            max_size=_SPOOL_BYTES, mode="w+", encoding="latin-1", newline="")
        self.ic = _Interchange(info, bodies)
        if self.early:
            self.ic.found.extend(self.early)
            self.early.clear()

    def _start_group(self, gs: list[str], number: int) -> None:
        self._end_group()
        assert self.ic is not None
        info = GroupInfo(gs, number)
        if not self.ic.info.groups:
            self.ic.info.groups.append(info)  # the first group only: _when reads its GS04/05
        group = self.group = _Group(info, acked=bool(gs) and info.get(1) != "FA")
        if group.acked:  # its 997 is the next set of the acknowledgement's FA group
            self.ic.sets += 1
            group.control = f"{self.ic.sets:04d}"
            sep, term = self.delims.element, self.delims.terminator
            group.text.append(f"ST{sep}997{sep}{group.control}{term}")
            self._seg(group, ["AK1", _clean(info.get(1), 2), _clean(info.get(6), 9)])

    def _seg(self, group: _Group, seg: list[str]) -> None:
        group.text.append(self.delims.element.join(seg) + self.delims.terminator)
        group.segments += 1

    def _spool(self, group: _Group) -> None:
        assert self.ic is not None
        self.ic.bodies.writelines(group.text)
        group.text.clear()

    def _end_txn(self) -> None:
        t, g = self.txn, self.group
        self.txn = None
        found, self.txn_found = self.txn_found, []
        if t is None or g is None:
            return
        t.findings = _in_arrival_order(found)
        segs, status = _txn_ack(t, self.delims)
        g.received += 1
        g.accepted += status != "R"
        g.any_e = g.any_e or status == "E"
        if g.acked:
            for seg in segs:
                self._seg(g, seg)
            if len(g.text) > 1024:
                self._spool(g)

    def _end_group(self) -> None:
        self._end_txn()
        g = self.group
        self.group = None
        if g is None or not g.acked:
            return
        g.info.findings = _in_arrival_order(g.found)
        self._seg(g, _trim(_ak9(g.info, g.received, g.accepted, g.any_e)))
        sep, term = self.delims.element, self.delims.terminator
        g.text.append(f"SE{sep}{g.segments + 2}{sep}{g.control}{term}")
        self._spool(g)

    def _end_interchange(self) -> None:
        self._end_group()
        ic = self.ic
        self.ic = None
        if ic is None:
            return
        try:
            self._write_interchange(ic)
        finally:
            ic.bodies.close()

    def _write_interchange(self, ic: _Interchange) -> None:
        info = ic.info
        info.findings = _in_arrival_order(ic.found)
        ta1_seg = _ta1_for(info, False) if self.ta1 else None
        if not ic.sets and ta1_seg is None:
            return
        writer = _ack_writer(info, self.when, self.control, self.delims)
        sep, term = self.delims.element, self.delims.terminator
        out = self.out
        head = writer.isa_text()
        if ta1_seg is not None:
            head += sep.join(ta1_seg) + term
        out.write(head)
        if ic.sets:
            gctl = str(writer.control.next_group())
            out.write(writer.gs_text("FA", gctl))
            ic.bodies.seek(0)
            while chunk := ic.bodies.read(1 << 20):
                out.write(chunk)
            out.write(f"GE{sep}{ic.sets}{sep}{gctl}{term}IEA{sep}1{sep}{writer.isa_control}{term}")
        else:
            out.write(f"IEA{sep}0{sep}{writer.isa_control}{term}")
        self.wrote = True

    def place(self, k: int, f: Finding) -> None:
        """Attach ``f`` (the ``k``-th to come) where :func:`edi.ack._place` would: every
        envelope started at or before its segment has been seen."""
        level = CODES[f.code].level if f.code in CODES else "segment"
        if self.ic is None:
            self.early.append((k, f))
        elif level == "interchange" or self.group is None:
            self.ic.found.append((k, f))
        elif level == "group" or self.txn is None:
            self.group.found.append((k, f))
        else:
            self.txn_found.append((k, f))

    def finish(self) -> None:
        self._end_interchange()


def write_997(
    findings: FindingSpool,
    source: Source,
    out: TextIO,
    *,
    name: str | None = None,
    when: datetime | None = None,
    control: ControlNumbers | None = None,
    ta1: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> bool:
    """Write the acknowledgement of one received file to ``out``; the same text as
    :func:`edi.ack.build_997` of the same findings, in bounded memory.

    Args:
        findings: the file's findings, spooled (:class:`FindingSpool`, which also chose the
            layers acknowledged).
        source: the received file (read again, as a stream).
        out: where the acknowledgement goes.
        name: the file name used in the findings (findings of other files are ignored).
        when, control, ta1: as for :func:`edi.ack.build_997`.
        chunk_size: bytes the file is read by (memory is a few times this).

    Returns:
        Whether anything was written (nothing when there is nothing to acknowledge).

    Raises:
        X12SyntaxError: the received file cannot be read.
    """
    reader, envelopes = _envelope_segments(source, name, chunk_size)
    writer = _Writer(out, when, control, ta1)
    pending = next(envelopes, None)
    if reader.delimiters is not None:
        writer.delims = reader.delimiters
    file_name = name or reader.name
    for k, f in findings.findings():
        if f.location.file and file_name and f.location.file != file_name:
            continue
        n = f.location.segment_number or 0
        while pending is not None and pending[0] <= n:
            writer.envelope(*pending)
            pending = next(envelopes, None)
        writer.place(k, f)
    while pending is not None:
        writer.envelope(*pending)
        pending = next(envelopes, None)
    writer.finish()
    return writer.wrote
