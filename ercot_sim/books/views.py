"""Each participant's own view of who serves an ESI ID, as its system of record holds it on a
given day: read from the trace's ``books`` (every change of a view, as the participant learned
it from what it sent and received, with the date the change took effect).

A view is a timeline: effective date -> value. ERCOT and a TDSP hold the REP of record (a DUNS,
or '' for none); a CR holds whether it serves the ESI ID itself. Before its first change a
view is the opening one (the population's, on which everyone agrees). A change learned later
that takes effect on or before a date already in the timeline rewrites it from there (a
backdated move-in after a rescission), as the participant's own records would.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FIELDS", "BookRow", "Timeline", "Views", "open_run", "parse_day", "read_views"]

#: before any date of a run: the opening view's effective date
OPENING = dt.date.min


@dataclass(frozen=True, slots=True)
class BookRow:
    """One change of a participant's view (a row of the trace's ``books``)."""

    party: str
    esi_id: str
    at: dt.datetime
    field: str
    old: str
    new: str
    since: dt.date | None
    ref: str


@dataclass(slots=True)
class Timeline:
    """A participant's view of one ESI ID over effective dates."""

    opening: str
    dates: list[dt.date] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    changes: list[BookRow] = field(default_factory=list)

    def apply(self, row: BookRow, fallback: dt.date) -> None:
        """Learn ``row``: from its effective date (``fallback`` when it has none) the view is its
        new value, and what the timeline said after that date is rewritten."""
        since = row.since or fallback
        cut = bisect.bisect_left(self.dates, since)
        del self.dates[cut:], self.values[cut:]
        self.dates.append(since)
        self.values.append(row.new)
        self.changes.append(row)

    def on(self, day: dt.date) -> str:
        """The value in effect on ``day``."""
        i = bisect.bisect_right(self.dates, day)
        return self.values[i - 1] if i else self.opening


#: the field each role keeps: ERCOT its registry's REP of record, a TDSP its own, a CR whether it serves
FIELDS = {"registry": "ERCOT", "rep": "TDSP", "serves": "CR"}


@dataclass(slots=True)
class Views:
    """Every participant's timelines, per ESI ID, as known at the end of a day."""

    #: ESI ID -> party (DUNS) -> its timeline
    by_esi: dict[str, dict[str, Timeline]]
    #: party (DUNS) -> its role (ERCOT, TDSP, CR), from the field it keeps
    roles: dict[str, str]
    #: ESI ID -> the REP of record at the opening
    opening: dict[str, str]
    #: (CR, ESI ID it requested) -> its customer's premise, where the two differ (an inadvertent switch)
    premises: dict[tuple[str, str], str] = field(default_factory=dict)

    def parties(self, esi: str) -> dict[str, Timeline]:
        return self.by_esi.get(esi, {})


def _rows(db: sqlite3.Connection, until: str) -> list[BookRow]:
    def date_of(text: str) -> dt.date | None:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None

    return [BookRow(p, e, dt.datetime.fromisoformat(a), f, o, n, date_of(s), r)
            for p, e, a, f, o, n, s, r in db.execute(
                "SELECT party, esi_id, at, field, old, new, since, ref FROM books WHERE at <= ? "
                "ORDER BY at, rowid", (until,))]


def read_views(trace: Path, day: dt.date) -> Views:
    """The views at the end of ``day`` (every change learned by then).

    Raises:
        sqlite3.Error: the trace cannot be read, or has no ``books`` (a trace from before the table).
    """
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        rows = _rows(db, (day + dt.timedelta(days=1)).isoformat())  # every 'at' of the day sorts before it
    finally:
        db.close()
    by_esi: dict[str, dict[str, Timeline]] = {}
    opening: dict[str, str] = {}
    roles: dict[str, str] = {}
    premises: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.field == "premise":
            premises[(row.party, row.esi_id)] = row.new
            continue
        roles[row.party] = FIELDS.get(row.field, "?")
        parties = by_esi.setdefault(row.esi_id, {})
        line = parties.get(row.party)
        if line is None:
            line = parties[row.party] = Timeline(row.old)
            if row.field != "serves":
                opening.setdefault(row.esi_id, row.old)
            elif row.old == "1":
                opening.setdefault(row.esi_id, row.party)
        line.apply(row, row.at.date())
    return Views(by_esi, roles, opening, premises)


def open_run(run: Path, party: str | None = None) -> tuple[Path, dict[str, str]]:
    """The trace of a run's output folder (or the trace given) and its run facts, checked to
    keep the participants' books.

    With ``party`` (a DUNS), also checked to be a participant of the run.

    Raises:
        ValueError: no trace there, one from before the books were kept, a sharded run's merged
            trace, or a party with no transaction in the run.
        sqlite3.Error: the trace cannot be read.
    """
    trace = run / "trace.sqlite" if run.is_dir() else run
    if not trace.is_file():
        raise ValueError("no trace.sqlite: not a run's output directory")
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        facts = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM run")}
        if "shards" in facts:
            raise ValueError("the merged trace of a sharded run: give one shard's folder (shard-000, ...), each "
                             "keeps its ESI IDs' books whole")
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'books'").fetchone():
            raise ValueError("the trace keeps no participants' books (a run from before they were kept): run it again")
        if party is not None and not db.execute("SELECT 1 FROM transactions WHERE sender = ? OR receiver = ? LIMIT 1",
                                                (party, party)).fetchone():
            raise ValueError(f"--for {party}: no transaction of that DUNS in this run")
    finally:
        db.close()
    return trace, facts


def parse_day(text: str | None, facts: dict[str, str], morning: bool = False) -> dt.date:
    """The day a ``--day`` option names: a date (``YYYY-MM-DD``) or a run day number (0 = the
    first), checked to lie in the run; by default the run's last day (with ``morning``, the
    morning after it, and the first day is not a morning of the run).

    Raises:
        ValueError: not a date or a number, or outside the run.
    """
    start, days = dt.date.fromisoformat(facts["start"]), int(facts["days"])
    first, last = (start + dt.timedelta(days=1), start + dt.timedelta(days=days)) if morning else (
        start, start + dt.timedelta(days=days - 1))
    if text is None:
        return last
    try:
        number = text.isdigit() and len(text) <= 5  # a run day number; longer is no day of any run
        when = start + dt.timedelta(days=int(text)) if number else dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--day {text}: a date (YYYY-MM-DD) or a run day number") from None
    if not first <= when <= last:
        raise ValueError(f"--day {text}: outside the run ({first} .. {last})")
    return when
