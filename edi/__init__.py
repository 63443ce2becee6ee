"""``edi``: read, write, validate and acknowledge Texas SET X12 004010.

A standalone library: it knows ANSI X12 004010 and the Texas SET implementation guides and
nothing of the market simulation.

Entry points:
    :func:`edi.read`      every transaction set of a file, identified (:class:`IdentifiedTransaction`)
    :func:`edi.validate`  findings, and on request one :class:`TransactionRecord` per transaction set
    :func:`edi.write`     X12 text from business models or segments

Layers:
    :mod:`edi.x12`        delimiters, streaming reader with locations, envelopes, writer
    :mod:`edi.texas_set`  implementation guides as data, identification, business models
    :mod:`edi.validate`   guide-driven validation into a :class:`Report` of findings
    :mod:`edi.ack`        997 and TA1 acknowledgements built from findings
    :mod:`edi.testing`    hypothesis strategies for valid and invalid transactions (needs the
                          ``test`` extra; not imported here)

``edi.validate`` names two things: the subpackage :mod:`edi.validate` and its function
:func:`edi.validate.validate`.  A package attribute holds one object, and this module binds the
*function* to it, after the subpackage is imported, so ``edi.validate(path)`` validates.
Everything that imports through ``sys.modules`` still reaches the subpackage:
``from edi.validate import compiled, validate_source``, ``from edi.validate import walker``,
``importlib.import_module("edi.validate")``.  The forms that go through the attribute do not:
``import edi.validate as v`` gives the function and ``import edi.validate.walker as w`` fails;
write them as ``from edi import validate`` / ``from edi.validate import walker``.
"""

from __future__ import annotations

from edi.ack import build_997, build_ta1
from edi.api import IdentifiedTransaction, read, write
from edi.errors import EdiError, GuideError, MappingError, X12SyntaxError
from edi.findings import CODES, Finding, Location, Report, TransactionRecord
from edi.validate import validate, validate_transaction  # validate: the function, see above
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
    "IdentifiedTransaction",
    "Location",
    "MappingError",
    "Report",
    "Segment",
    "TransactionRecord",
    "TransactionSet",
    "X12Reader",
    "X12SyntaxError",
    "X12Writer",
    "build_997",
    "build_ta1",
    "format_segments",
    "iter_transactions",
    "read",
    "read_segments",
    "validate",
    "validate_transaction",
    "write",
]
