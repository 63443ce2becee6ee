"""Exceptions raised by the ``edi`` package.

Exceptions mean *cannot continue*: the input is not X12 at all, the delimiters cannot be
found, a guide file is broken. Everything that is merely *wrong* in an X12 file (a bad date,
a missing segment, a count that does not match) is a :class:`edi.findings.Finding`, collected
in a :class:`edi.findings.Report` and never raised.

Hierarchy::

    EdiError                 root: every exception ``edi`` raises on bad input
    ├── X12SyntaxError       the bytes cannot be read as X12 (no ISA, bad delimiters, ...)
    ├── GuideError           an implementation guide file is broken (schema, reference)
    └── MappingError         a model cannot be built from, or written as, segments

Every exception carries a ``location`` string (file, segment number, element) and a
``reason``; ``str(exc)`` reads location first, as findings do.  All arguments are passed
positionally to ``Exception.__init__`` so the exceptions survive SimPy's re-raise
(``type(exc)(*exc.args)``).
"""

from __future__ import annotations

__all__ = ["EdiError", "X12SyntaxError", "GuideError", "MappingError"]


class EdiError(Exception):
    """Root of every exception ``edi`` raises because of its input."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(reason, location)
        self.reason = reason
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason


class X12SyntaxError(EdiError):
    """The input cannot be read as an X12 interchange at all."""


class GuideError(EdiError):
    """An implementation guide (XML) or code list is broken."""


class MappingError(EdiError):
    """A business model cannot be read from, or rendered to, X12 segments."""
