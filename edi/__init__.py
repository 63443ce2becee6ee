"""``edi``: read, write, validate and acknowledge Texas SET X12 004010.

A standalone library: it knows ANSI X12 004010 and the Texas SET implementation guides and
nothing of the market simulation.

Layers:
    :mod:`edi.x12`        delimiters, streaming reader with locations, envelopes, writer
    :mod:`edi.texas_set`  implementation guides as data, identification, business models
    :mod:`edi.validate`   guide-driven validation into a :class:`Report` of findings
    :mod:`edi.ack`        997 and TA1 acknowledgements built from findings
"""

from __future__ import annotations

from edi.ack import build_997, build_ta1
from edi.errors import EdiError, GuideError, MappingError, X12SyntaxError
from edi.findings import CODES, Finding, Location, Report
from edi.validate import validate_transaction  # edi.validate (the module) holds validate()
from edi.x12 import (  # noqa: I001 - the x12 layer first; validate and ack build on it
    DEFAULT_DELIMITERS,
    ControlNumbers,
    Delimiters,
    Segment,
    TransactionSet,
    X12Reader,
    X12Writer,
    format_segments,
    iter_transactions,
    read_segments,
)

__all__ = [
    "CODES",
    "DEFAULT_DELIMITERS",
    "ControlNumbers",
    "Delimiters",
    "EdiError",
    "Finding",
    "GuideError",
    "Location",
    "MappingError",
    "Report",
    "Segment",
    "TransactionSet",
    "X12Reader",
    "X12SyntaxError",
    "X12Writer",
    "build_997",
    "build_ta1",
    "format_segments",
    "iter_transactions",
    "read_segments",
    "validate_transaction",
]
