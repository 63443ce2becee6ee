"""A participant's system of record on a day, as it would show it: built only from what the
participant sent and received (its transactions) and from its own books (:mod:`.views`).

* a CR: the ESI IDs it serves and since when; its open requests (sent, not yet completed,
  rejected or cancelled); per ESI ID served, the last usage received; the invoices it received,
  each open, paid (820_02) or rejected (824);
* a TDSP: the REP of record per ESI ID it changed, and since when;
* ERCOT: its registry's REP of record per ESI ID it changed, and since when.

The opening book (the population) is the same for everyone and is not repeated here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ercot_sim.books.views import read_views

__all__ = ["Record", "system_of_record"]

#: a CR's requests that open an order
_REQUESTS = ("814_01", "814_16", "814_24", "814_26")
#: what closes one whatever it says: the gain's read, the history, ERCOT's rejects
_COMPLETING = ("867_04", "867_02", "814_02", "814_17")


def _closes(code: str, detail: str) -> bool:
    """Whether an answer with trace detail ``detail`` closes the request it answers: a
    completion (the read of a gain, a move-out's final read, the history), a reject, or a
    completed-unexecutable (not a permit pending)."""
    return (code in _COMPLETING or (code == "867_03" and detail == "final")
            or detail.startswith(("reject", "unexecutable")))


@dataclass
class Record:
    """What a participant's own system shows on a day."""

    party: str
    role: str
    day: dt.date
    #: ESI ID -> the date it serves it from (a CR) / the REP of record and since (a TDSP, ERCOT)
    serves: dict[str, str] = field(default_factory=dict)
    reps: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: its requests still open: (ESI ID, code, reference, sent)
    open_requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: ESI ID -> the day of the last usage received
    last_usage: dict[str, str] = field(default_factory=dict)
    #: invoices received: (ESI ID, invoice number, received, state: open, paid, rejected)
    invoices: list[tuple[str, str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"party": self.party, "role": self.role, "day": self.day.isoformat(), "serves": self.serves,
                "reps": {e: {"rep": r, "since": s} for e, (r, s) in self.reps.items()},
                "open_requests": [{"esi_id": e, "code": c, "ref": r, "sent": s}
                                  for e, c, r, s in self.open_requests],
                "last_usage": self.last_usage,
                "invoices": [{"esi_id": e, "invoice": i, "received": r, "state": s} for e, i, r, s in self.invoices]}

    def to_text(self) -> str:
        lines = [f"system of record of {self.role} {self.party} at the end of {self.day}"]
        if self.role == "CR":
            lines.append(f"serves {len(self.serves)} ESI ID(s) changed in the run (the opening book aside):")
            lines += [f"  {e}  since {d}  last usage {self.last_usage.get(e, '-')}"
                      for e, d in sorted(self.serves.items())]
            lines.append(f"open requests: {len(self.open_requests)}")
            lines += [f"  {e}  {c} {r}  sent {s}" for e, c, r, s in self.open_requests]
            counts: dict[str, int] = {}
            for *_, state in self.invoices:
                counts[state] = counts.get(state, 0) + 1
            lines.append("invoices received: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
            lines += [f"  {e}  {i}  received {r}" for e, i, r, s in self.invoices if s == "open"]
        else:
            lines.append(f"REP of record of {len(self.reps)} ESI ID(s) changed in the run (the opening book aside):")
            lines += [f"  {e}  {r or 'none'}  since {s}" for e, (r, s) in sorted(self.reps.items())]
        return "\n".join(lines) + "\n"


def system_of_record(trace: Path, party: str, day: dt.date, role: str | None = None) -> Record:
    """``party``'s own records at the end of ``day`` (``role``: CR, TDSP or ERCOT; by default
    the one its books show).

    Raises:
        sqlite3.Error: the trace cannot be read or keeps no books.
    """
    views = read_views(trace, day)
    role = role or views.roles.get(party, "CR")
    record = Record(party, role, day)
    for esi, parties in views.by_esi.items():
        line = parties.get(party)
        if line is None or not line.dates:
            continue
        value, since = line.values[-1], line.dates[-1].isoformat()
        if role == "CR":
            if value == "1":
                record.serves[esi] = since
        else:
            record.reps[esi] = (value, since)
    if role != "CR":
        return record
    until = (day + dt.timedelta(days=1)).isoformat()
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT sent_at, code, sender, receiver, esi_id, ref, orig_ref, detail FROM transactions "
                          "WHERE (sender = ? OR receiver = ?) AND sent_at < ? AND code != '997' ORDER BY sent_at, seq",
                          (party, party, until)).fetchall()
    finally:
        db.close()
    closed = {str(orig) for _s, code, snd, rcv, _e, _r, orig, detail in rows
              if (rcv == party and _closes(str(code), str(detail))) or (snd == party and code == "814_08")}
    paid = {str(orig): str(code) for _s, code, snd, _r, _e, _ref, orig, _d in rows
            if snd == party and code in ("820_02", "824")}
    for sent, code, snd, rcv, esi, ref, _orig, _detail in rows:
        if snd == party and code in _REQUESTS and ref not in closed:
            record.open_requests.append((str(esi), str(code), str(ref), str(sent)[:16]))
        elif rcv == party and code == "867_03":
            record.last_usage[str(esi)] = str(sent)[:10]
        elif rcv == party and code == "810_02":
            state = {"820_02": "paid", "824": "rejected"}.get(paid.get(str(ref), ""), "open")
            record.invoices.append((str(esi), str(ref), str(sent)[:10], state))
    return record
