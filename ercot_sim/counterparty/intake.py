"""What one side of a split market does with a file the other side sent: validate it, read its
messages, merge them into the window's deliveries, owe its 997s or answer its errors, and keep
it in this side's run folder and trace (``inbound/<sender>/<name>``), so that ``ercot-sim
check``, ``report`` and ``status`` see both directions.

Shared by the links of :mod:`ercot_sim.counterparty.serve` (lockstep) and
:mod:`ercot_sim.counterparty.live` (wall clock, stepped).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from edi.x12 import iter_transactions
from ercot_sim.market.messages import Message
from ercot_sim.market.simtime import Clock
from ercot_sim.market.transport import Acks, Deliveries
from ercot_sim.output.trace import Trace

if TYPE_CHECKING:
    from ercot_sim.market.builder import Market

__all__ = ["NAME", "Intake", "Owed", "Route", "intake", "keep", "merge", "route_check", "write_whole"]

#: a file name an exchange folder holds: no path, not hidden
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")

#: (receiver, sender, ISA13, (GS01, GS06, (ST01, ST02)...) per group but 997 groups) of a file
Owed = tuple[str, str, str, list[tuple[str, str, list[tuple[str, str]]]]]


class Intake(NamedTuple):
    """What a file from the other side gives.

    Attributes:
        messages: the messages taken in (all, or those of its clean sets only).
        controls: their ST02s, in order.
        owed: the 997s the transport owes it (a clean file), else None.
        answer: the acknowledgement to send back instead (TA1 or rejecting 997), or ''.
        refused: why it (or some of its sets) was refused, or ''.
    """

    messages: list[Message]
    controls: list[str]
    owed: Owed | None
    answer: str
    refused: str


def write_whole(path: Path, data: bytes) -> None:
    """Write ``path`` whole: a temporary name, flushed, renamed into place."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _acks_owed(path: Path) -> Owed:
    """The 997s a file's receiver owes, from its envelopes."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    sender = receiver = isa = ""
    for txn in iter_transactions(path):
        sender, receiver, isa = txn.gs.get(2).strip(), txn.gs.get(3).strip(), txn.isa.get(13).strip()
        fid = txn.gs.get(1).strip()
        if fid != "FA":
            groups.setdefault((fid, txn.gs.get(6).strip()), []).append((txn.st01, txn.control))
    return receiver, sender, isa, [(fid, gctl, sets) for (fid, gctl), sets in groups.items()]


def merge(deliveries: Deliveries, acks: Acks, rel: str, msgs: list[Message], owed: Owed | None) -> None:
    """Put a file taken in among this window's deliveries, in the order one market delivers
    them (by sender), and the 997s the transport owes it among the window's."""
    if owed is not None and owed[3]:
        acks.append(owed)
    if msgs:
        receiver = msgs[0].receiver
        deliveries.setdefault(receiver, []).append((rel, msgs))
        deliveries[receiver].sort(key=lambda f: Path(f[0]).name.split("_", 1)[0])


def _timed(got: list[tuple[Message, str]], now: int, latency: int) -> tuple[list[Message], list[str]]:
    """Messages as this side receives them: sent at ``now``, arriving ``latency`` minutes later."""
    for m, _ctl in got:
        m.ready, m.sent_at, m.received_at = now, now, now + latency
    return [m for m, _ in got], [c for _, c in got]


#: why a message may not go where it is addressed ('' when it may): see :func:`route_check`
Route = Callable[[Message], str]


def route_check(market: Market) -> Route:
    """Whether a message from the other side may go where it is addressed in ``market``: the
    receiver is one of its participants and handles that transaction, and the Texas SET sends
    it from the sender's role to the receiver's (an 867_03 from a CR to ERCOT is refused, not
    handed to ERCOT's handling of a TDSP's)."""
    from edi.texas_set.catalog import entry_flows

    roles = {market.ercot.duns: "ERCOT", **{t.duns: "TDSP" for t in market.tdsps.values()},
             **{c.duns: "CR" for c in market.crs.values()}}
    handlers = {market.ercot.duns: market.ercot.handlers, **{t.duns: t.handlers for t in market.tdsps.values()},
                **{c.duns: c.handlers for c in market.crs.values()}}

    def check(m: Message) -> str:
        s_role, r_role = roles.get(m.sender, "?"), roles.get(m.receiver, "?")
        flows = entry_flows(m.code)
        if flows and not any(s in ("ANY", s_role) and r in ("ANY", r_role) for s, r in flows):
            allowed = ", ".join(f"{s} -> {r}" for s, r in flows)
            return f"{m.code} ref {m.ref or '-'} is not sent {s_role} -> {r_role} (the Texas SET sends it {allowed})"
        if m.code != "997" and m.code not in handlers.get(m.receiver, {}):  # 997s are the transport's
            return f"{m.code} ref {m.ref or '-'}: {r_role} {m.receiver} takes no {m.code} here"
        return ""

    return check


def intake(path: Path, now: int, latency: int, senders: frozenset[str], receivers: frozenset[str],
           route: Route | None = None) -> Intake:
    """Take in a file the other side sent (see :class:`Intake`).

    A clean file (no error by the X12 standard or the Texas SET guides) gives its messages and
    the 997s the transport owes it, as one market would. A file with errors gives the messages
    of its clean transaction sets only, and its acknowledgement as the validator writes it (TA1
    for envelope errors, a 997 rejecting the sets with errors) to send back; a file that is not
    X12 at all, or is addressed from or to a DUNS the sides do not play, gives nothing but the
    reason.
    """
    from edi.ack import build_997
    from edi.errors import EdiError
    from edi.validate import validate
    from ercot_sim.counterparty.inbound import read_messages
    from ercot_sim.errors import CounterpartyError

    try:
        report = validate(path)
        routes = {(t.isa.get(13).strip(), t.gs.get(2).strip(), t.gs.get(3).strip()) for t in iter_transactions(path)}
    except EdiError as exc:
        return Intake([], [], None, "", f"not an X12 interchange: {exc}")
    if len({isa for isa, _s, _r in routes}) > 1:
        return Intake([], [], None, "", "more than one interchange in the file (one file is one interchange here)")
    for _isa, sender, receiver in routes:
        if sender not in senders or receiver not in receivers:
            return Intake([], [], None, "", (f"a group from {sender} to {receiver}: the other side sends from "
                                             f"{', '.join(sorted(senders))} to {', '.join(sorted(receivers))}"))
    errors = [f for f in report.findings if f.severity == "error"]
    try:
        if not errors:
            msgs, controls = _timed([(g.message, g.control) for g in read_messages(path)], now, latency)
            wrong = [why for m in msgs if (why := route(m) if route else "")]
            if wrong:  # the whole interchange: its 997 says it was received, the reason why it is not acted on
                return Intake([], [], _acks_owed(path), "", f"wrong route: {wrong[0]}")
            return Intake(msgs, controls, _acks_owed(path), "", "")
        bad = {f.location.st_control for f in errors}
        ack = build_997(report, path, layers=("x12", "texas-set"))
    except EdiError as exc:
        return Intake([], [], None, "", f"not an X12 interchange: {exc}")
    except CounterpartyError as exc:
        return Intake([], [], None, "", str(exc))
    if "" in bad:  # an envelope error: nothing of the interchange is taken in
        return Intake([], [], None, ack, f"envelope: {errors[0]}")
    try:
        got = [(g.message, g.control) for g in read_messages(path, skip=bad)]
    except CounterpartyError as exc:
        return Intake([], [], None, ack, str(exc))
    got = [(m, c) for m, c in got if not (route and route(m))]
    msgs, controls = _timed(got, now, latency)
    return Intake(msgs, controls, None, ack, f"{len(bad)} transaction set(s) with errors: {errors[0]}")


def keep(trace: Trace, clock: Clock, out: Path, path: Path, name: str, got: Intake, now: int, latency: int) -> str:
    """Keep a file taken in: a copy at ``inbound/<sender>/<name>`` in this side's run folder,
    its transactions in the trace (sent at ``now``), and a ``taken-in`` or ``refused``
    transport event. Returns the copy's path relative to ``out`` ('' when nothing was taken)."""
    at = clock.iso(now)
    sender = got.messages[0].sender if got.messages else ""
    if got.refused:
        trace.transport_event(at, "in", "refused", sender, name, got.refused)
    if not got.messages:
        return ""
    rel = f"inbound/{sender}/{name}"
    copy = out / rel
    copy.parent.mkdir(parents=True, exist_ok=True)
    if not copy.exists():
        write_whole(copy, path.read_bytes())
    trace.add_file(got.messages, got.controls, [""] * len(got.messages), rel, at, clock.iso(now + latency))
    trace.transport_event(at, "in", "taken-in", sender, name, f"{len(got.messages)} transaction(s)")
    return rel
