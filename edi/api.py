"""The toolkit's entry points: :func:`read` and :func:`write` (``edi.validate`` is the third).

Thin, typed wrappers over the layers underneath, for a program or a test suite that wants
Texas SET X12 in and out without learning the layers first:

* :func:`read` -- every transaction set of a file (or folder, bytes, stream) with the Texas
  SET transaction it was identified as: :class:`IdentifiedTransaction`, over
  :func:`edi.x12.iter_transactions` and :func:`edi.texas_set.catalog.identify`;
* :func:`edi.validate.validate` -- findings (and, on request, one record per transaction set);
* :func:`write` -- X12 text from business models (:mod:`edi.texas_set.models`) or from
  segments, over :class:`edi.x12.X12Writer` and :func:`edi.texas_set.mapping.to_segments`.

The layers stay the reference: each wrapper's docstring names what it calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from edi.findings import Report
from edi.x12.delimiters import DEFAULT_DELIMITERS, Delimiters
from edi.x12.envelope import TransactionSet, iter_transactions
from edi.x12.reader import Source
from edi.x12.segment import Segment
from edi.x12.writer import ControlNumbers, X12Writer, format_segments

if TYPE_CHECKING:
    from edi.texas_set.catalog import Identification
    from edi.texas_set.models import TxModel

__all__ = ["IdentifiedTransaction", "read", "write"]


@dataclass(frozen=True, slots=True)
class IdentifiedTransaction:
    """One transaction set as :func:`read` yields it: the X12 and what it is.

    Attributes:
        transaction: the transaction set with its envelopes (segments, ISA, GS, file).
        identification: which Texas SET transaction it is, or why that cannot be told.
    """

    transaction: TransactionSet
    identification: Identification

    @property
    def code(self) -> str | None:
        """The Texas SET transaction (``867_04``), or None when not identified."""
        return self.identification.code

    @property
    def st01(self) -> str:
        """The transaction set identifier (``867``)."""
        return self.transaction.st01

    @property
    def control(self) -> str:
        """ST02."""
        return self.transaction.control

    @property
    def body(self) -> list[Segment]:
        """The segments between ST and SE, located in the file."""
        return self.transaction.body

    def model(self) -> TxModel:
        """The business model of the transaction (:func:`edi.texas_set.mapping.from_segments`).

        Raises:
            MappingError: the transaction was not identified, or does not fit its model (the
                message names the segment and element).
        """
        from edi.errors import MappingError
        from edi.texas_set.mapping import from_segments

        txn = self.transaction
        if self.code is None:
            raise MappingError(f"transaction set {txn.control} not identified: {self.identification.reason}",
                               f"{txn.file} segment {txn.first_number} (ST)")
        return from_segments(self.code, txn.body, source=txn.file)


def read(source: Source, *, roles: Mapping[str, str] | None = None,
         report: Report | None = None) -> Iterator[IdentifiedTransaction]:
    """Every transaction set of an X12 file, identified, in file order (streaming).

    Wraps :func:`edi.x12.iter_transactions` (which checks envelopes on the way) and
    :func:`edi.texas_set.catalog.identify`.  Nothing is validated against the guides; use
    :func:`edi.validate.validate` for that.

    Args:
        source: a path to a file or folder (folders: ``*.x12``, ``*.edi``, ``*.txt``,
            recursively, sorted), the bytes of a file, or a binary stream.
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP`` for parties identification cannot tell from
            the transaction itself.
        report: envelope findings (control numbers, counts, truncation) are added here;
            by default they are dropped.

    Raises:
        EdiError: (on iteration) a path does not exist, or a file does not start with an ISA.

    Example:
        >>> [t.code for t in read(b"ISA*00*          *00*          *01*183529049      "
        ...  b"*01*829244552110T  *161028*0732*U*00401*000000015*0*T*>~GS*PT*183529049*"
        ...  b"8292445521100*20161028*073228*1*X*004010~ST*867*1001~BPT*SU*X1*20161028~"
        ...  b"REF*Q5**10032789419418520~N1*8S*AEP*1*007924772~N1*SJ*CR*9*8292445521100~"
        ...  b"PTD*BJ~DTM*140*20161027~SE*8*1001~GE*1*1~IEA*1*000000015~")]
        ['867_04']
    """
    from edi.texas_set.catalog import identify

    rep = report if report is not None else Report()
    who = dict(roles) if roles else None
    if isinstance(source, (str, os.PathLike)):
        from edi.validate import iter_x12_files

        for path in iter_x12_files([source]):
            for txn in iter_transactions(path, name=str(path), report=rep):
                yield IdentifiedTransaction(txn, identify(txn, who))
        return
    for txn in iter_transactions(source, report=rep):
        yield IdentifiedTransaction(txn, identify(txn, who))


def write(
    content: TxModel | Iterable[TxModel] | Iterable[Segment | Sequence[str]],
    *,
    sender: str | None = None,
    receiver: str | None = None,
    when: datetime | None = None,
    control: ControlNumbers | None = None,
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    usage: str = "P",
) -> str:
    """X12 text from business models or from segments.

    * models (one, or several): one interchange from ``sender`` to ``receiver`` through
      :class:`edi.x12.X12Writer`, one GS group per functional ID, each model's body from
      :func:`edi.texas_set.mapping.to_segments`; ``sender``, ``receiver`` and ``when`` are
      required (the writer never reads the clock);
    * segments (:class:`~edi.x12.Segment` objects or element lists ``["DTM", "150", ...]``)
      without ``sender``/``receiver``: exactly those segments, formatted
      (:func:`edi.x12.format_segments`); writing what :func:`edi.x12.read_segments` read
      gives the same text back;
    * segments with ``sender``, ``receiver`` and ``when``: the segments must be transaction
      sets (ST .. SE); each is enveloped as :class:`~edi.x12.X12Writer` does, with the
      writer's own ST02 and SE01.

    Args:
        content: a model, models, or segments.
        sender, receiver: DUNS (9 digits) or DUNS+4 (13 digits) for ISA06/GS02 and ISA08/GS03.
        when: interchange date and time (ISA09/10, GS04/05).
        control: control number counters (default: a fresh one starting at 1).
        delimiters: separators to write with.
        usage: ISA15, ``P`` production or ``T`` test.

    Returns:
        The X12 text (Latin-1 safe; ``.encode("latin-1")`` for bytes).

    Raises:
        ValueError: the content mixes models and segments, segments to envelope are not
            ST..SE sets, or ``sender``/``receiver``/``when`` are missing for an envelope.
        MappingError: a model sets a field its transaction does not carry.
        EdiError: a party ID or usage indicator the writer refuses.
    """
    from edi.texas_set.models import TxModel

    items: list[Any] = [content] if isinstance(content, TxModel) else list(content)
    models = [i for i in items if isinstance(i, TxModel)]
    if models and len(models) != len(items):
        raise ValueError("write: give models or segments, not both")
    envelope = sender is not None or receiver is not None or bool(models)
    if not envelope:
        return format_segments(items, delimiters)
    if sender is None or receiver is None or when is None:
        raise ValueError("write: sender=, receiver= and when= are all needed to write an interchange")
    writer = X12Writer(sender, receiver, when, control or ControlNumbers(), delimiters=delimiters, usage=usage)
    if models:
        from edi.texas_set.mapping import to_segments

        for m in models:
            writer.add(m.code[:3], to_segments(m))
        return writer.getvalue()
    for st01, body in _transaction_sets(items):
        writer.add(st01, body)
    return writer.getvalue()


def _transaction_sets(items: Iterable[Segment | Sequence[str]]) -> Iterator[tuple[str, list[list[str]]]]:
    """Split segments into (ST01, body) per ST..SE set."""
    open_st: str | None = None
    body: list[list[str]] = []
    for i, item in enumerate(items):
        els = list(item.elements if isinstance(item, Segment) else item)
        sid = els[0] if els else ""
        if sid == "ST":
            if open_st is not None:
                raise ValueError(f"write: segment {i + 1} is an ST inside an open transaction set")
            open_st, body = (els[1] if len(els) > 1 else ""), []
        elif sid == "SE":
            if open_st is None:
                raise ValueError(f"write: segment {i + 1} is an SE without its ST")
            yield open_st, body
            open_st = None
        elif open_st is None:
            raise ValueError(f"write: segment {i + 1} ({sid or 'empty'}) is outside an ST..SE transaction set")
        else:
            body.append(els)
    if open_st is not None:
        raise ValueError("write: the last transaction set has no SE")
