"""X12 files read back into the messages the market exchanges: what a system under test sends
becomes what a simulated participant receives.

Each transaction of a file is identified (:func:`edi.texas_set.catalog.identify`), read into
its model (:func:`edi.texas_set.mapping.from_segments`, every failure naming segment and
element) and split into the message's header (code, references, ESI ID) and the typed
payload (:mod:`edi.texas_set.payloads`) that participants read. Rendering a message read
back gives the transaction's own segments again (``tests/test_inbound.py`` holds every
scenario's files to that): the files carry all that participants act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from edi.errors import EdiError
from edi.findings import Report
from edi.texas_set import payloads
from edi.texas_set.catalog import identify
from edi.texas_set.mapping import from_segments
from edi.texas_set.models import TxModel
from edi.texas_set.payloads import HEADER, NOT_IN_LAYOUT, PAYLOADS, Payload
from edi.x12 import iter_transactions
from ercot_sim.errors import CounterpartyError
from ercot_sim.market.messages import Message

__all__ = ["Inbound", "payload_of", "read_messages"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """A transaction read from a file: the message, and where it came from.

    Attributes:
        message: what a participant receives (``ready`` 0: the caller schedules it).
        date: the transaction's date (BGN03, BPT03, BIG01, BPR16), its header's ``date``.
        control: its ST02.
        group: its group's GS06.
        interchange: its ISA13.
    """

    message: Message
    date: dt.date | None
    control: str
    group: str
    interchange: str


def _part(value: Any) -> Any:
    """A model's part as the payload's part (named tuple), recursively."""
    if isinstance(value, BaseModel):
        cls = getattr(payloads, type(value).__name__)
        return cls(**{name: _part(v) for name, v in value.__dict__.items()})
    if isinstance(value, tuple):
        return tuple(_part(v) for v in value)
    return value


def payload_of(model: TxModel) -> tuple[Payload, dict[str, Any]]:
    """A transaction model as its payload and its header (``code``, ``ref``, ``orig_ref``,
    ``esi_id``, ``date``: :data:`edi.texas_set.payloads.HEADER`)."""
    code: str = model.code
    family = code[:3]
    header: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for name, value in model.__dict__.items():
        source = HEADER[family].get(name)
        if source is not None:
            header[source] = value
        else:
            body[name] = _part(value)
    for name in NOT_IN_LAYOUT.get(family, ()):
        body.pop(name, None)
    return PAYLOADS[family](**body), header


def _routing(code: str, payload: Payload, header: dict[str, Any]) -> tuple[str, str]:
    """(ESI ID, reference answered) of a transaction: the header's, or for an 820 and an 824
    (whose header has neither) the first item's."""
    esi, orig = header.get("esi_id") or "", header.get("orig_ref") or ""
    if isinstance(payload, payloads.Payload820) and payload.items:
        esi, orig = esi or (payload.items[0].esi_id or ""), orig or payload.items[0].invoice_number
    if isinstance(payload, payloads.Payload824) and payload.advices:
        esi = esi or (payload.advices[0].esi_id or "")
    return esi, orig


def read_messages(source: Path | bytes, *, roles: Mapping[str, str] | None = None,
                  name: str | None = None, skip: Collection[str] = ()) -> list[Inbound]:
    """Every transaction of an X12 file as the message it carries.

    Args:
        source: the file, or its bytes.
        roles: DUNS -> ``CR`` / ``TDSP`` / ``ERCOT``, for the codes told apart only by who sends
            them (814_07 and 814_09 ...).
        name: the file's name in messages (default: the path).
        skip: ST02s of transaction sets to leave out (those an acknowledgement rejects).

    Raises:
        CounterpartyError: the file cannot be read, or a transaction cannot be identified or
            read; the message names the file, the segment and the element.
    """
    label = name or (str(source) if isinstance(source, Path) else "input")
    report = Report()
    out: list[Inbound] = []
    try:
        for txn in iter_transactions(source, name=label, report=report):
            if txn.control in skip:
                continue
            ident = identify(txn, roles)
            if ident.code is None:
                raise CounterpartyError(f"transaction set {txn.control} not identified: {ident.reason}",
                                        f"{txn.file} segment {txn.first_number} (ST)")
            model = from_segments(ident.code, txn.body, source=txn.file)
            payload, header = payload_of(model)
            esi, orig = _routing(ident.code, payload, header)
            sender, receiver = txn.gs.get(2).strip(), txn.gs.get(3).strip()
            message = Message(ident.code, sender, receiver, esi, str(header.get("ref", "")), orig, 0, payload)
            date = header.get("date")
            out.append(Inbound(message, date if isinstance(date, dt.date) else None, txn.control,
                               txn.gs.get(6).strip(), txn.isa.get(13).strip()))
    except EdiError as exc:
        raise CounterpartyError(str(exc)) from None
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:  # an envelope the reader could not follow (a transaction it skipped)
        raise CounterpartyError(str(errors[0]))
    return out
