"""Deterministic X12 writer: envelopes, control numbers from counters, exact bytes.

:class:`X12Writer` writes one interchange: an ISA, one GS per functional ID (``GE`` for 814,
``PT`` for 867, ``IN`` for 810, ``RA`` for 820, ``AG`` for 824, ``SH`` for 650 — assumed, see
:data:`FUNCTIONAL_IDS` — and ``FA`` for 997), the transaction sets and the trailers with their
counts.  Control numbers come from a :class:`ControlNumbers` counter that the caller owns, so
the same sequence of calls always gives the same bytes; dates come from the caller, never
from the clock.

:func:`format_segments` renders segments with given delimiters; reading a file and formatting
its segments again gives the same bytes (for files with one consistent suffix after the
terminators).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from edi.errors import EdiError
from edi.x12.delimiters import DEFAULT_DELIMITERS, Delimiters
from edi.x12.segment import Segment

__all__ = ["FUNCTIONAL_IDS", "ControlNumbers", "X12Writer", "format_segments", "isa_id_qualifier"]

#: GS01 functional identifier per ST01 (the X12 004010 standard's, as in its tables in
#: edi/x12/standard/data), with whether its use in the Texas market is confirmed.
FUNCTIONAL_IDS: dict[str, tuple[str, bool]] = {
    "814": ("GE", True),
    "867": ("PT", True),
    "997": ("FA", True),
    "810": ("IN", False),
    "820": ("RA", False),
    "824": ("AG", False),
    "650": ("MO", False),
}


#: ST02 control numbers 0000-9999 as text (most interchanges hold fewer transaction sets)
_CTL = [f"{n:04d}" for n in range(10_000)]


def isa_id_qualifier(party_id: str, *, market: bool = True) -> str:
    """ISA05/ISA07 interchange ID qualifier for a party ID.

    The Texas market writes ``01`` for DUNS and DUNS+4 alike (confirmed in raw market
    samples, e.g. Oncor's 13-digit ``1039940674000`` under ``01``); the X12 code list has
    ``14`` for "DUNS plus suffix", used when ``market`` is False.
    """
    if not market and len(party_id) == 13:
        return "14"
    return "01"


@dataclass
class ControlNumbers:
    """Counters for ISA13 and GS06, kept by whoever writes a series of files.

    Control numbers start at ``start`` and wrap after 999,999,999 (ISA13 is 9 digits).
    """

    start: int = 1
    _isa: int = field(default=0, init=False)
    _gs: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._isa = self.start - 1
        self._gs = self.start - 1

    def next_interchange(self) -> int:
        self._isa = self._isa % 999_999_999 + 1
        return self._isa

    def next_group(self) -> int:
        self._gs = self._gs % 999_999_999 + 1
        return self._gs


def format_segments(segments: Iterable[Segment | Sequence[str]], delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """Render segments as X12 text: elements joined, each segment terminated."""
    sep = delimiters.element
    term = delimiters.terminator
    out = []
    for s in segments:
        els = s.elements if isinstance(s, Segment) else s
        out.append(sep.join(els))
    return term.join(out) + term if out else ""


class X12Writer:
    """Write one interchange from a sender to a receiver.

    Args:
        sender: sender DUNS (9 digits) or DUNS+4 (13 digits); ISA06 and GS02.
        receiver: receiver DUNS or DUNS+4; ISA08 and GS03.
        when: interchange date and time (ISA09/10, GS04/05); never the wall clock.
        control: the caller's control number counters.
        delimiters: separators to write with.
        usage: ISA15, ``P`` production or ``T`` test.
        qualifier: ISA05/ISA07 override; by default ``01`` as the market writes it for DUNS
            and DUNS+4 (see :func:`isa_id_qualifier`).

    Transaction sets are added with :meth:`add`; :meth:`getvalue` or :meth:`write_to`
    closes the interchange.  Each functional ID gets its own GS group, in the order the
    functional IDs first appear.
    """

    def __init__(
        self,
        sender: str,
        receiver: str,
        when: datetime,
        control: ControlNumbers,
        *,
        delimiters: Delimiters = DEFAULT_DELIMITERS,
        usage: str = "P",
        qualifier: str | None = None,
    ) -> None:
        for role, pid in (("sender", sender), ("receiver", receiver)):
            if not (pid.isdigit() and len(pid) in (9, 13)) and not (len(pid) <= 15 and pid):
                raise EdiError(f"{role} ID {pid!r} must be a DUNS (9 digits) or DUNS+4 (13 digits)")
        if usage not in ("P", "T"):
            raise EdiError(f"usage indicator {usage!r} must be P or T", "ISA15")
        self.sender = sender
        self.receiver = receiver
        self.when = when
        self.control = control
        self.delimiters = delimiters
        self.usage = usage
        self.qualifier = qualifier
        self.isa_control = f"{control.next_interchange():09d}"
        self._groups: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}
        self._closed = False
        #: (GS01, GS06) of each functional group, in file order, once the interchange is closed
        self.group_controls: list[tuple[str, str]] = []
        #: GS01 -> (ST01, ST02) of each transaction set added, in order (what a 997 acknowledges)
        self.members: dict[str, list[tuple[str, str]]] = {}

    def add(self, st01: str, body: Sequence[Sequence[str]], *, functional_id: str | None = None) -> str:
        """Add a transaction set; returns its ST02 control number.

        Args:
            st01: transaction set identifier (``814``).
            body: the segments between ST and SE, each a sequence of strings beginning with
                the segment ID.
            functional_id: GS01 override; by default from :data:`FUNCTIONAL_IDS`.
        """
        term = self.delimiters.terminator
        sep = self.delimiters.element
        text = "".join(sep.join(seg) + term for seg in body)
        return self.add_text(st01, text, len(body), functional_id=functional_id)

    def add_text(self, st01: str, body: str, segments: int, *, functional_id: str | None = None) -> str:
        """Add a transaction set whose body is already X12 text; returns its ST02.

        The same as :meth:`add` for a body rendered beforehand with this writer's delimiters
        (each segment terminated, e.g. by ``edi.texas_set.mapping`` text rendering).

        Args:
            st01: transaction set identifier (``867``).
            body: the segments between ST and SE as text, each ending with the terminator.
            segments: how many segments ``body`` holds (for SE01).
            functional_id: GS01 override; by default from :data:`FUNCTIONAL_IDS`.
        """
        if self._closed:
            raise EdiError("interchange already closed")
        fid = functional_id or FUNCTIONAL_IDS.get(st01, ("", False))[0]
        if not fid:
            raise EdiError(f"no functional group ID known for transaction set {st01!r}", "GS01")
        n = self._counts.get(fid, 0) + 1
        self._counts[fid] = n
        ctl = f"{n:04d}"
        sep = self.delimiters.element
        term = self.delimiters.terminator
        chunks = self._groups.get(fid)
        if chunks is None:
            chunks = self._groups[fid] = []
            self.members[fid] = []
        chunks.append(f"ST{sep}{st01}{sep}{ctl}{term}{body}SE{sep}{segments + 2}{sep}{ctl}{term}")
        self.members[fid].append((st01, ctl))
        return ctl

    def add_texts(self, items: Iterable[tuple[str, str, int]]) -> list[str]:
        """:meth:`add_text` for each ``(st01, body, segments)`` in order; their ST02s.

        The same interchange as adding them one by one, for callers that add many.
        """
        if self._closed:
            raise EdiError("interchange already closed")
        sep = self.delimiters.element
        term = self.delimiters.terminator
        groups, counts, members = self._groups, self._counts, self.members
        out: list[str] = []
        last_st01 = ""
        chunks: list[str] = []
        acked: list[tuple[str, str]] = []
        n = 0
        fid = ""
        for st01, body, segments in items:
            if st01 != last_st01:  # runs of one ST01 are the usual case: look up once per run
                if fid:
                    counts[fid] = n
                fid = FUNCTIONAL_IDS.get(st01, ("", False))[0]
                if not fid:
                    raise EdiError(f"no functional group ID known for transaction set {st01!r}", "GS01")
                found = groups.get(fid)
                if found is None:
                    found = groups[fid] = []
                    members[fid] = []
                chunks = found
                acked = members[fid]
                n = counts.get(fid, 0)
                last_st01 = st01
            n += 1
            ctl = _CTL[n] if n < 10_000 else f"{n:04d}"
            chunks.append(f"ST{sep}{st01}{sep}{ctl}{term}{body}SE{sep}{segments + 2}{sep}{ctl}{term}")
            acked.append((st01, ctl))
            out.append(ctl)
        if fid:
            counts[fid] = n
        return out

    def __len__(self) -> int:
        return sum(self._counts.values())

    def getvalue(self) -> str:
        """Close the interchange and return it as text."""
        buf = io.StringIO()
        self.write_to(buf)
        return buf.getvalue()

    def isa_text(self) -> str:
        """The interchange's ISA segment, terminated (what :meth:`write_to` starts with)."""
        d = self.delimiters
        w = self.when
        q_s = self.qualifier or isa_id_qualifier(self.sender)
        q_r = self.qualifier or isa_id_qualifier(self.receiver)
        isa = [
            "ISA", "00", " " * 10, "00", " " * 10,
            q_s, self.sender.ljust(15), q_r, self.receiver.ljust(15),
            w.strftime("%y%m%d"), w.strftime("%H%M"), "U", "00401", self.isa_control,
            "0", self.usage, d.component,
        ]
        return d.element.join(isa) + d.terminator

    def gs_text(self, functional_id: str, group_control: str) -> str:
        """A GS segment of this interchange, terminated."""
        w = self.when
        return self.delimiters.element.join(
            ["GS", functional_id, self.sender, self.receiver, w.strftime("%Y%m%d"), w.strftime("%H%M"),
             group_control, "X", "004010"]) + self.delimiters.terminator

    def write_to(self, out: TextIO) -> None:
        """Close the interchange and write it to a text stream."""
        sep, term = self.delimiters.element, self.delimiters.terminator
        out.write(self.isa_text())
        self.group_controls = []
        for fid, chunks in self._groups.items():
            gctl = str(self.control.next_group())
            self.group_controls.append((fid, gctl))
            out.write(self.gs_text(fid, gctl))
            out.writelines(chunks)
            out.write(f"GE{sep}{len(chunks)}{sep}{gctl}{term}")
        out.write(f"IEA{sep}{len(self._groups)}{sep}{self.isa_control}{term}")
        self._closed = True
