"""Generic ANSI X12 004010: delimiters, located segments, streaming reader, envelopes, writer.

Nothing in this package knows Texas SET; see :mod:`edi.texas_set` for that.
"""

from __future__ import annotations

from edi.x12.delimiters import DEFAULT_DELIMITERS, Delimiters
from edi.x12.envelope import (
    Group,
    Interchange,
    TransactionSet,
    iter_transactions,
    read_interchanges,
)
from edi.x12.reader import X12Reader, read_segments
from edi.x12.segment import Segment
from edi.x12.writer import ControlNumbers, X12Writer, format_segments

__all__ = [
    "DEFAULT_DELIMITERS",
    "ControlNumbers",
    "Delimiters",
    "Group",
    "Interchange",
    "Segment",
    "TransactionSet",
    "X12Reader",
    "X12Writer",
    "format_segments",
    "iter_transactions",
    "read_interchanges",
    "read_segments",
]
