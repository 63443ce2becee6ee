"""Data extract variances: where a participant's own view of who serves an ESI ID differs from
ERCOT's, as ERCOT's ESI ID service history extract and a participant's system would be
compared (a DEV in MarkeTrak's terms).

For every ESI ID whose views changed, each TDSP's REP of record and each CR's "I serve it" are
held against ERCOT's registry over the effective dates up to the day compared, less the
settling time (``settle_days``: a change takes effect at one participant days before the
others learn of it, through the reads the rules give a few business days). A period in which
they differ is a variance: the ESI ID, whose view, ERCOT's value and the participant's, from
and to which date, its kind (the DEV LSE subtypes: a service the participant has and ERCOT
does not, one ERCOT has and the participant does not, or another REP of record), the
transactions around it and any fault planted on the ESI ID, and the probable cause.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ercot_sim.books.decode import meaning
from ercot_sim.books.views import OPENING, Timeline, Views, read_views

__all__ = ["Evidence", "Variance", "reconcile"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """A transaction around a variance (or one a fault kept from being sent)."""

    sent_at: str
    code: str
    sender: str
    receiver: str
    ref: str
    file: str
    fault: str

    def to_dict(self) -> dict[str, str]:
        return {"sent_at": self.sent_at, "code": self.code, "sender": self.sender, "receiver": self.receiver,
                "ref": self.ref, "file": self.file, "fault": self.fault}

    def line(self, faults: bool = True) -> str:
        """The transaction decoded on one line: when, what it is, who to whom, its reference,
        where (and with ``faults`` the fault planted in it)."""
        said = meaning(self.code)
        what = f"{self.code} ({said})" if said else self.code
        fault = f"  FAULT {self.fault}" if self.fault and faults else ""
        where = f"  [{self.file}]" if self.file else "  (never sent)"
        return f"{self.sent_at[:10]} {self.sent_at[11:16]} {what} {self.sender} -> {self.receiver} ref {self.ref}" \
               f"{where}{fault}"


@dataclass(frozen=True, slots=True)
class Variance:
    """One period in which a participant's view differs from ERCOT's."""

    esi_id: str
    party: str
    role: str
    ercot: str
    theirs: str
    start: dt.date
    end: dt.date | None
    kind: str
    cause: str
    evidence: tuple[Evidence, ...]
    faults: tuple[Evidence, ...]

    @property
    def field(self) -> str:
        return "serves" if self.role == "CR" else "REP of record"

    def to_dict(self) -> dict[str, Any]:
        return {"esi_id": self.esi_id, "party": self.party, "role": self.role, "field": self.field,
                "ercot": self.ercot, "theirs": self.theirs, "from": self.start.isoformat(),
                "to": self.end.isoformat() if self.end else None, "kind": self.kind, "cause": self.cause,
                "faults": [f.to_dict() for f in self.faults], "evidence": [e.to_dict() for e in self.evidence]}


def reconcile(trace: Path, day: dt.date, settle_days: int = 7, party: str | None = None) -> list[Variance]:
    """Every variance known at the end of ``day`` about effective dates up to ``day`` less
    ``settle_days`` (of ``party`` only, when given), by ESI ID and start date.

    Raises:
        sqlite3.Error: the trace cannot be read or has no ``books`` table.
    """
    views = read_views(trace, day)
    cutoff = day - dt.timedelta(days=settle_days)
    found: list[Difference] = []
    for esi in sorted(views.by_esi):
        found += _differences(views, esi, cutoff, party)
    if not found:
        return []
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        return [_explained(db, views, *f, day) for f in found]
    finally:
        db.close()


Difference = tuple[str, str, str, str, str, dt.date, dt.date | None]


def _differences(views: Views, esi: str, cutoff: dt.date, only: str | None) -> list[Difference]:
    """(ESI ID, party, role, ERCOT's value, the party's, from, to) of each period of difference."""
    lines = views.parties(esi)
    opening = views.opening.get(esi, "")
    registry = next((line for p, line in lines.items() if views.roles.get(p) == "ERCOT"), Timeline(opening))
    dates = sorted({d for line in lines.values() for d in line.dates} | {OPENING})
    reps = {registry.on(d) for d in dates} | {opening}
    crs = {p for p in lines if views.roles.get(p) == "CR"} | {r for r in reps if r}
    tdsps = [p for p in lines if views.roles.get(p) == "TDSP"]
    out: list[Difference] = []
    for who in sorted(set(tdsps) | crs):
        if only is not None and who != only:
            continue
        role = "TDSP" if who in tdsps else "CR"
        line = lines.get(who)
        open_from: dt.date | None = None
        said = ("", "")
        for d in dates:
            if d > cutoff:
                break
            rep = registry.on(d)
            if role == "TDSP":
                theirs = line.on(d) if line is not None else opening
                ercot = rep
            else:
                theirs = line.on(d) if line is not None else ("1" if opening == who else "0")
                ercot = "1" if rep == who else "0"
            if theirs != ercot and (open_from is None or (ercot, theirs) != said):
                if open_from is not None:
                    out.append((esi, who, role, *said, open_from, d))
                open_from, said = d, (ercot, theirs)
            elif theirs == ercot and open_from is not None:
                out.append((esi, who, role, *said, open_from, d))
                open_from = None
        if open_from is not None:
            out.append((esi, who, role, *said, open_from, None))
    return out


def _kind(role: str, ercot: str, theirs: str) -> str:
    if role == "CR":
        return ("service in the participant's system, not in ERCOT's" if theirs == "1"
                else "service in ERCOT's system, not in the participant's")
    if not ercot:
        return "REP of record at the TDSP, none at ERCOT"
    return "no REP of record at the TDSP, one at ERCOT" if not theirs else "REP of record differs"


def _explained(db: sqlite3.Connection, views: Views, esi: str, who: str, role: str, ercot: str, theirs: str,
               start: dt.date, end: dt.date | None, day: dt.date) -> Variance:
    since = (start - dt.timedelta(days=10)).isoformat() if start != OPENING else ""
    until = (day + dt.timedelta(days=1)).isoformat()
    rows = db.execute("SELECT sent_at, code, sender, receiver, ref, file, fault FROM transactions "
                      "WHERE esi_id = ? AND sent_at >= ? AND sent_at < ? AND code != '997' ORDER BY sent_at, seq",
                      (esi, since, until)).fetchall()
    evidence = tuple(Evidence(*map(str, r)) for r in rows)
    never = db.execute("SELECT at, code, sender, receiver, ref, kind FROM faults WHERE esi_id = ? AND at < ? "
                       "ORDER BY at", (esi, until)).fetchall()
    faults = tuple(e for e in evidence if e.fault) + tuple(
        Evidence(str(a), str(c), str(s), str(r), str(ref), "", str(k)) for a, c, s, r, ref, k in never)
    return Variance(esi, who, role, ercot, theirs, start, end, _kind(role, ercot, theirs),
                    _cause(role, who, ercot, theirs, faults, evidence), evidence, faults)


def _cause(role: str, who: str, ercot: str, theirs: str, faults: tuple[Evidence, ...],
           evidence: tuple[Evidence, ...]) -> str:
    """The probable cause: the planted faults that touch the participant's news, else what is missing."""
    touches: tuple[str, ...]
    if role == "CR" and theirs == "1":
        what = f"{who} was not told of its loss: no final 867_03 (or 814_06) reached it"
        touches = ("867_03", "814_06", "814_24", "814_25")
    elif role == "CR":
        what = f"{who} was not told of its gain: no 867_04 reached it"
        touches = ("867_04", "814_05", "814_01", "814_16", "814_03", "814_04")
    else:
        what = ("the TDSP's completion did not reach ERCOT's registry (its 867_04 or final 867_03)" if theirs
                != ercot and theirs else "ERCOT's registry has a completion the TDSP's records do not")
        touches = ("867_04", "867_03", "814_03", "814_04", "814_24")
    planted = [f for f in faults if f.code in touches] or list(faults)
    if planted:
        f = planted[0]
        return f"{what}; planted fault: {f.code} {f.fault} ({f.sender} -> {f.receiver}, ref {f.ref})"
    return what
