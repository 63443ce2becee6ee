"""What participants exchange: :class:`Message`, one Texas SET transaction for one ESI ID.

A message carries the routing (sender, receiver DUNS), the references that tie a flow
together (``ref`` = BGN02 or equivalent, ``orig_ref`` = the transaction it answers), the
order it belongs to, the earliest minute the sender lets it go (``ready``), and the business
fields from which its X12 body is rendered (see :mod:`ercot_sim.output.emit`). The body is only
rendered when the transport writes the file, so nothing on the hot path builds models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

__all__ = ["Fields", "Message", "ST01"]


class Fields(TypedDict, total=False):
    """The business fields a message may carry: every key a participant sets or reads, with its
    type (the type checker holds every ``send(**fields)`` and every read to this list). Dates are
    CCYYMMDD text, amounts integer cents. :mod:`ercot_sim.output.emit` renders them into the X12 body;
    the last group is not in any X12 element (see the note there).
    """

    # parties (N1 segments)
    tdsp: str
    cr: str
    # the answer (BGN, REF*7G, the 814's status) and its reason
    action: str  # "request", "accept" or "reject"
    reject: str
    reason: str
    unexec: str
    # dates: requested / scheduled start, end, the customer's last day to object, due date
    start: str
    end: str
    object_by: str
    due: str
    iteration: str  # CCYYMMDDHHMM of a date change
    # what kind of request (BGN07, REF*TD, the 650 purpose, indicators)
    bgn07: str
    kind: str
    td: str
    purpose: str
    priority: bool
    history: bool
    hold: str
    maint: str
    bypass: bool
    # usage and money
    kwh: int
    final: bool
    periods: list[tuple[str, str, int]]
    amount: int
    charge: str
    late_fee: int
    # a 997: (functional ID, group control number, (ST01, ST02) of each set acknowledged)
    group: tuple[str, str, list[tuple[str, str]]]
    # carried between participants but in no X12 element: what the TDSP would find in its own
    # invoice records (the usage read an invoice bills, when it was sent, that it corrects one)
    usage_ref: str
    inv_sent: int
    corrected: bool
    # out-of-band (MarkeTrak): the gaining CR of a rescission
    gaining: str


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
        fields: business content for rendering (:class:`Fields`); never changed once the
            message is sent (a participant passing a transaction on may share it).
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
    fields: Fields = field(default_factory=lambda: Fields())
    order_id: str = ""
    detail: str = ""
    received_at: int = -1
    sent_at: int = -1
