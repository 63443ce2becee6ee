"""What participants exchange: :class:`Message`, one Texas SET transaction for one ESI ID.

A message carries the routing (sender, receiver DUNS), the references that tie a flow
together (``ref`` = BGN02 or equivalent, ``orig_ref`` = the transaction it answers), the
order it belongs to, the earliest minute the sender lets it go (``ready``), and the business
fields from which its X12 body is rendered (see :mod:`ercot_sim.emit`). The body is only
rendered when the transport writes the file, so nothing on the hot path builds models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "ST01"]


def ST01(code: str) -> str:
    """X12 transaction set ID of a Texas SET code (``814_03`` -> ``814``)."""
    return code[:3]


@dataclass(slots=True)
class Message:
    """One transaction in flight.

    Attributes:
        code: Texas SET code, ``814_03``.
        sender: sender DUNS.
        receiver: receiver DUNS.
        esi_id: the ESI ID it is about ('' for a 997).
        ref: BGN02 (or BPT02, BIG02, TRN02 ...), unique per sender.
        orig_ref: the reference of the transaction this one answers ('' if none).
        ready: earliest sim minute the transport may send it.
        fields: business content for rendering; never changed once the message is sent (a
            participant passing a transaction on may share it).
        order_id: the order (the initiating CR request's ref) it belongs to, if any.
        detail: short trace text (reject code, scheduled date ...).
        received_at, sent_at: set by the transport (sim minutes) when the file goes out.
    """

    code: str
    sender: str
    receiver: str
    esi_id: str
    ref: str
    orig_ref: str
    ready: int
    fields: dict[str, Any] = field(default_factory=dict)
    order_id: str = ""
    detail: str = ""
    received_at: int = -1
    sent_at: int = -1
