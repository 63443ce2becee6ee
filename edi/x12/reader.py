"""Streaming X12 reader: constant memory, every segment located.

The reader decodes the input as Latin-1 (every byte is one character, so character offsets
are byte offsets and no input can fail to decode), finds the delimiters in the first ISA and
splits the stream in chunks of 1 MiB.  Two ways to consume it:

* :meth:`X12Reader.segments` yields :class:`~edi.x12.segment.Segment` objects with their
  1-based segment number (ISA of the file = 1) and byte offset;
* :meth:`X12Reader.batches` yields, per chunk, the raw element lists with the number of the
  first segment and the offsets: the fast path for validators and benchmarks.

Text after the last segment terminator that is not just CR/LF is kept in
:attr:`X12Reader.trailing` (a truncated file); the envelope layer turns it into a finding.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from itertools import accumulate
from operator import add
from pathlib import Path
from typing import BinaryIO

from edi.errors import X12SyntaxError
from edi.x12.delimiters import ISA_LENGTH, Delimiters
from edi.x12.segment import Segment

__all__ = ["X12Reader", "read_segments", "Source"]

Source = str | os.PathLike[str] | bytes | bytearray | BinaryIO

CHUNK_SIZE = 1 << 20
#: the longest segment read (characters, terminator excluded): far above any X12 segment, and
#: the bound on what one missing terminator can make the reader hold
MAX_SEGMENT = 1_000_000


class X12Reader:
    """Read the segments of one X12 file (one or more interchanges) in constant memory.

    Args:
        source: a path, the bytes themselves, or a binary file object.
        name: the name used in locations; defaults to the path, or ``<bytes>``.
        chunk_size: bytes read at a time.
        max_segment: the longest segment read; a longer run of text without a segment
            terminator ends the reading with an error naming the segment and the limit.

    Raises:
        X12SyntaxError: (on iteration) when the input does not start with a valid ISA, or a
            segment is longer than ``max_segment`` (no terminator found).
    """

    def __init__(self, source: Source, *, name: str | None = None, chunk_size: int = CHUNK_SIZE,
                 max_segment: int = MAX_SEGMENT) -> None:
        self._source = source
        if name is None:
            if isinstance(source, (bytes, bytearray)):
                name = "<bytes>"
            elif isinstance(source, (str, os.PathLike)):
                name = os.fspath(source)
            else:
                name = getattr(source, "name", "<stream>")
                name = name if isinstance(name, str) else "<stream>"
        self.name: str = name
        self.chunk_size = chunk_size
        self.max_segment = max_segment
        self.delimiters: Delimiters | None = None
        #: text after the last terminator that is not only CR/LF (a truncated file)
        self.trailing: str = ""
        #: byte offset of :attr:`trailing`
        self.trailing_offset: int = 0
        #: number of segments read so far
        self.count: int = 0

    def _open(self) -> BinaryIO:
        src = self._source
        if isinstance(src, (bytes, bytearray)):
            return io.BytesIO(bytes(src))
        if isinstance(src, (str, os.PathLike)):
            try:
                return open(Path(src), "rb")  # noqa: SIM115 - closed by the caller
            except OSError as exc:
                raise X12SyntaxError(f"cannot open file: {exc.strerror}", self.name) from None
        return src

    def batches(self) -> Iterator[tuple[list[list[str]], int, list[int]]]:
        """Yield ``(segments, first_number, offsets)`` per chunk.

        ``segments`` are element lists (``[id, e1, e2, ...]``), ``first_number`` the
        1-based number of the first of them in the file and ``offsets`` their byte offsets.
        """
        for parts, first, offsets in self.text_batches():
            sep = self.delimiters.element  # type: ignore[union-attr]
            yield [p.split(sep) for p in parts], first, offsets

    def text_batches(self) -> Iterator[tuple[list[str], int, list[int]]]:
        """Like :meth:`batches` but with each segment as its text, elements not yet split."""
        fh = self._open()
        close = fh is not self._source
        try:
            yield from self._batches(fh)
        finally:
            if close:
                fh.close()

    def _batches(self, fh: BinaryIO) -> Iterator[tuple[list[str], int, list[int]]]:
        head = fh.read(self.chunk_size)
        if not head:
            raise X12SyntaxError("file is empty", self.name)
        text = head.decode("latin-1")
        lead = len(text) - len(text.lstrip("\r\n\t \ufeff"))
        if lead:
            text = text[lead:]
        while len(text) < ISA_LENGTH + 2:
            more = fh.read(self.chunk_size)
            if not more:
                break
            text += more.decode("latin-1")
        delims = Delimiters.from_isa(text, f"{self.name} segment 1 (ISA)")
        self.delimiters = delims
        seg, suffix = delims.segment, delims.suffix
        strip = "\r\n" if suffix else ""
        number = 1
        base = lead  # byte offset of text[0]
        pending = text
        while True:
            chunk = fh.read(self.chunk_size)
            if chunk:
                pending += chunk.decode("latin-1")
            parts = pending.split(seg)
            rest = parts.pop()
            if parts:
                lens = list(map(len, parts))
                # offset of part k = base + sum(len of parts before k) + k terminators
                starts = list(map(add, accumulate(lens, initial=base), range(len(parts))))
                if strip:
                    stripped = [p.lstrip(strip) for p in parts]
                    offsets = [o + len(p) - len(s) for o, p, s in zip(starts, parts, stripped, strict=True)]
                    parts = stripped
                else:
                    offsets = starts
                if "" in parts:
                    keep = [i for i, p in enumerate(parts) if p]
                    parts = [parts[i] for i in keep]
                    offsets = [offsets[i] for i in keep]
                if parts:
                    yield parts, number, offsets
                    number += len(parts)
                    self.count = number - 1
                base += sum(lens) + len(lens)
            pending = rest
            if len(rest) > self.max_segment:
                start = base + len(rest) - len(rest.lstrip("\r\n"))
                raise X12SyntaxError(
                    f"no segment terminator {seg!r} within {self.max_segment:,} characters (the reader's limit "
                    f"on a segment's length): the file is not X12 from here on",
                    f"{self.name} segment {number} (offset {start})")
            if not chunk:
                break
        tail = pending.strip("\r\n\t \x00\x1a")
        if tail:
            self.trailing = tail
            self.trailing_offset = base + (len(pending) - len(pending.lstrip("\r\n\t ")))

    def segments(self) -> Iterator[Segment]:
        """Yield every segment with its number and offset."""
        for segs, first, offsets in self.batches():
            for i, (els, off) in enumerate(zip(segs, offsets, strict=True)):
                yield Segment(els, first + i, off)

    def __iter__(self) -> Iterator[Segment]:
        return self.segments()


def read_segments(source: Source, *, name: str | None = None) -> list[Segment]:
    """Read a whole (small) file into a list of located segments."""
    return list(X12Reader(source, name=name).segments())
