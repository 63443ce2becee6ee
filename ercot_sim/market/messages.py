"""What participants exchange: :class:`Message`, one Texas SET transaction for one ESI ID.

A message carries the routing (sender, receiver DUNS), the references that tie a flow
together (``ref`` = BGN02 or equivalent, ``orig_ref`` = the transaction it answers), the
order it belongs to, the earliest minute the sender lets it go (``ready``), and the typed
payload of its transaction (the mapping layout's own fields, see
:mod:`edi.texas_set.payloads`), from which its X12 body is rendered (see
:mod:`ercot_sim.output.emit`). The body is only rendered when the transport writes the file, so
nothing on the hot path builds models. A participant knows only what the payloads of the
messages it received say, and what out-of-band messages (:class:`OutOfBand`) tell it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from edi.texas_set.payloads import (
    Party,
    Payload,
    Payload650,
    Payload810,
    Payload814,
    Payload820,
    Payload824,
    Payload867,
)

__all__ = ["RESENT", "Body", "Message", "OutOfBand", "ST01", "as650", "as810", "as814", "as820", "as824", "as867",
           "check_payload", "duns_of", "out_of_band", "passed_detail"]


@dataclass(slots=True, kw_only=True)
class OutOfBand:
    """What an out-of-band message says (a safety-net e-mail, a MarkeTrak issue): no X12 is
    written for it, the trace records it (:class:`ercot_sim.market.builder.OutOfBandChannel`).

    Attributes:
        cr: the CR it concerns (the requesting CR; for a rescission the losing CR).
        tdsp: the TDSP of the ESI ID.
        start: the date it is about (the move-in's; the switch date a rescission undoes).
        priority: a priority move-in (safety net).
        gaining: the gaining CR of a rescission.
        issue: the MarkeTrak subtype of an issue other than a Customer Rescission
            (``Inadvertent Gain``), '' for a rescission.
    """

    cr: str
    tdsp: str
    start: dt.date | None = None
    priority: bool = False
    gaining: str = ""
    issue: str = ""


#: the end of the trace detail of a transaction sent again from its sender's outbound log (a
#: MarkeTrak Missing Enrollment Transaction's remedy): the transport's faults leave it alone
RESENT = "(re-sent)"

#: what a message carries: a transaction's payload, or an out-of-band message's content
Body = Payload | OutOfBand


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
        payload: what the transaction says (:mod:`edi.texas_set.payloads`, the payload class
            of its family), or an out-of-band message's :class:`OutOfBand`; never changed once
            the message is sent (a participant passing a transaction on may share it).
        order_id: the order (the initiating CR request's ref) it belongs to, if any.
        detail: short trace text (reject code, scheduled date ...).
        received_at, sent_at: set by the transport (sim minutes) when the file goes out.
        fault: a named fault its sender planted in it (``unknown_esi_id``: sent for an ESI ID
            that does not exist), recorded with it in the trace; the transport's own faults
            are added there.
    """

    code: str
    sender: str
    receiver: str
    esi_id: str
    ref: str
    orig_ref: str
    ready: int
    payload: Body
    order_id: str = ""
    detail: str = ""
    received_at: int = -1
    sent_at: int = -1
    fault: str = ""


def passed_detail(m: Message) -> str:
    """The trace detail of the transaction a party sends to pass ``m`` on: ``m``'s, without the
    mark of a re-send (what is passed on is sent for the first time)."""
    return m.detail[:-len(RESENT)].rstrip() if m.detail.endswith(RESENT) else m.detail


def check_payload(code: str, payload: Body) -> None:
    """Refuse a payload that ``code`` cannot carry as it is: another family's, one without a
    field its implementation guide makes mandatory, or one with a value in a field the code's
    layout does not carry (it would not be in the file).

    Raises:
        TypeError: naming the code and the fields.
    """
    if isinstance(payload, OutOfBand):
        raise TypeError(f"{code}: an out-of-band message's content is not a transaction's payload")
    problem = payload.problem(code)
    if problem is not None:
        raise TypeError(problem)


def duns_of(party: Party | None) -> str:
    """The DUNS of a payload's party ('' when it has none)."""
    return party.duns if party is not None else ""


_T = TypeVar("_T")


def _payload(m: Message, cls: type[_T]) -> _T:
    """``m``'s payload, which must be a ``cls``.

    Raises:
        TypeError: naming the message and what it carries instead.
    """
    p = m.payload
    if type(p) is not cls:
        raise TypeError(f"{m.code} {m.ref}: expected a {cls.__name__}, got {type(p).__name__}")
    return p


def as814(m: Message) -> Payload814:
    """The 814 payload of ``m``."""
    return _payload(m, Payload814)


def as867(m: Message) -> Payload867:
    """The 867 payload of ``m``."""
    return _payload(m, Payload867)


def as810(m: Message) -> Payload810:
    """The 810 payload of ``m``."""
    return _payload(m, Payload810)


def as820(m: Message) -> Payload820:
    """The 820 payload of ``m``."""
    return _payload(m, Payload820)


def as824(m: Message) -> Payload824:
    """The 824 payload of ``m``."""
    return _payload(m, Payload824)


def as650(m: Message) -> Payload650:
    """The 650 payload of ``m``."""
    return _payload(m, Payload650)


def out_of_band(m: Message) -> OutOfBand:
    """The content of an out-of-band message."""
    return _payload(m, OutOfBand)
