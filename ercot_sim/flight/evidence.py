"""The evidence of a failed step: the transaction the step was matched to (or the one sent in
its place), segment by segment as it crossed, with the segments the failure is about marked
and read by the guide (what each element means), so that the report shows the failing segment
and element beside what the flight expected of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi.errors import EdiError
from edi.texas_set.catalog import identify
from edi.texas_set.explain import explain_segment
from edi.x12 import TransactionSet, iter_transactions
from ercot_sim.flight.grade import StepResult

__all__ = ["Evidence", "SegmentLine", "evidence"]

#: the segment that says what a transaction is and which one (its reference), by family
_HEADERS = frozenset({"BGN", "BIG", "BPT", "TRN", "AK1"})


@dataclass(frozen=True, slots=True)
class SegmentLine:
    """One segment of the transaction: its number in the file, its text, and for a marked one
    the guide's reading."""

    number: int
    text: str
    marked: bool
    reading: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"segment": self.number, "text": self.text, "marked": self.marked, "reading": list(self.reading)}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A failed step's transaction: where it is, what it is, its segments, and why it failed."""

    file: str
    code: str
    segments: tuple[SegmentLine, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "code": self.code, "why": self.why,
                "segments": [s.to_dict() for s in self.segments]}


def evidence(market: Path, result: StepResult) -> Evidence | None:
    """The evidence of ``result`` (a step of the flight whose market ran in ``market``), or None
    when the step did not fail or no transaction stands behind it (one never sent)."""
    if result.status != "failed" or not result.file or result.segment is None:
        return None
    txn = _transaction(market / result.file, result.segment)
    if txn is None:
        return None
    code = identify(txn).code or result.step.code
    marked = _marked(result, txn.raw)
    sep = txn.delimiters.element
    lines = tuple(SegmentLine(txn.first_number + i, sep.join(els), i in marked,
                              tuple(explain_segment(code, els)) if i in marked else ())
                  for i, els in enumerate(txn.raw))
    return Evidence(result.file, code, lines, result.reason)


def _transaction(path: Path, segment: int) -> TransactionSet | None:
    """The transaction whose ST is segment number ``segment`` of the file at ``path``."""
    try:
        return next((t for t in iter_transactions(path) if t.first_number == segment), None)
    except (OSError, EdiError):
        return None


def _marked(result: StepResult, raw: list[list[str]]) -> set[int]:
    """Indexes (0 = ST) of the segments the failure is about."""
    why = result.reason

    def where(test: Any) -> set[int]:
        return {i for i, els in enumerate(raw) if test(els)}

    if why.startswith("wrong value"):
        wanted = set(result.step.dates)
        return where(lambda els: els[0] == "DTM" and len(els) > 1 and els[1] in wanted)
    if why.startswith("rejected where"):
        return where(lambda els: els[0] == "ASI" or (els[0] == "REF" and len(els) > 1 and els[1] == "7G"))
    if why.startswith("accepted where"):
        return where(lambda els: els[0] == "ASI")
    return where(lambda els: els[0] in _HEADERS) or {0}  # late, sent twice, in another's place, unacknowledged
