"""The run's trace: an SQLite database, written in batches (one SQL transaction per window).

Tables:

``transactions`` (the public interface; one row per transaction set written)
    seq, sent_at (ISO 8601 with offset), sender, receiver (DUNS), code (``814_03``),
    esi_id, ref (BGN02 or equivalent), orig_ref (ref of the transaction answered),
    file (path relative to the run's out dir), st_control, order_id, received_at, detail,
    fault (the named fault applied, if any).
``orders``
    order_id, esi_id, kind (switch, switch_ss, move_in, move_in_priority, move_out,
    mass_transition, historical_usage), cr, tdsp, submitted_at, requested, scheduled,
    state (completed, rejected, cancelled, unexecutable, or a pending state), state_at,
    detail.
``registry``
    ERCOT's final view per ESI ID: esi_id, tdsp, rep (DUNS or ''), status.
``rep_history``
    every change of REP of record at ERCOT: esi_id, at, rep ('' = none), order_id.
``books``
    every change of a participant's own view, its system of record, as it learned it from
    what it sent and received: party (DUNS), esi_id, at (when it learned), field (ERCOT:
    ``registry``, the REP of record in its registry; a TDSP: ``rep``, the REP of record in its
    records; both a DUNS or ''; a CR: ``serves``, ``1`` or ``0``), old, new,
    since (the effective date CCYYMMDD, '' when the view has none), ref (the transaction or
    order that told it). The opening views are the population's: every participant agrees.
    A CR's ``premise`` row says a request of its named another ESI ID (esi_id) than its
    customer's premise (new): an inadvertent switch in the making.
``faults``
    faults that left no mark on a transaction's own row: those never sent (``missing``), and
    those a fault made their receiver reject (``rejected``: at is when it was rejected).
``outages``
    windows in which nothing was sent to or by a participant: party (DUNS), role, start,
    end (ISO 8601 with offset; end excluded), rule (``A7``: ERCOT's retail outages). The
    checker stops the clock of the deadlines they meet (docs/checker.md).
``run``
    key/value facts of the run (scenario, seed, start, days, shard).

A side of ``ercot-sim serve`` (counterparty mode) keeps two more, and its trace can be read
while the run goes on (WAL journal, shared lock: ``ercot-sim status``):

``transport_events``
    what crossed to and from the other side: seq, at (the simulated time, ISO 8601), direction
    (``out``/``in``), kind (``posted``, ``receipted``, ``retry``, ``exchange-failure``,
    ``handed-over``, ``taken-in``, ``refused``, ``answered``), partner (DUNS), file, detail.
``serve``
    key/value state of the serving side: party, side, transport, clock, now (the simulated
    minute reached), released (stepped clock), state (``running``/``complete``).

No wall-clock time is stored, so the same run gives the same bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from ercot_sim.market.messages import Message

__all__ = ["SCHEMA", "Trace", "render_trace"]

SCHEMA = """
CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY, sent_at TEXT NOT NULL, sender TEXT NOT NULL,
    receiver TEXT NOT NULL, code TEXT NOT NULL, esi_id TEXT NOT NULL, ref TEXT NOT NULL,
    orig_ref TEXT NOT NULL, file TEXT NOT NULL, st_control TEXT NOT NULL,
    order_id TEXT NOT NULL, received_at TEXT NOT NULL, detail TEXT NOT NULL,
    fault TEXT NOT NULL
);
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY, esi_id TEXT NOT NULL, kind TEXT NOT NULL, cr TEXT NOT NULL,
    tdsp TEXT NOT NULL, submitted_at TEXT NOT NULL, requested TEXT NOT NULL,
    scheduled TEXT NOT NULL, state TEXT NOT NULL, state_at TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE registry (esi_id TEXT PRIMARY KEY, tdsp TEXT NOT NULL, rep TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE TABLE rep_history (esi_id TEXT NOT NULL, at TEXT NOT NULL, rep TEXT NOT NULL,
    order_id TEXT NOT NULL);
CREATE TABLE books (party TEXT NOT NULL, esi_id TEXT NOT NULL, at TEXT NOT NULL, field TEXT NOT NULL,
    old TEXT NOT NULL, new TEXT NOT NULL, since TEXT NOT NULL, ref TEXT NOT NULL);
CREATE TABLE faults (at TEXT NOT NULL, kind TEXT NOT NULL, sender TEXT NOT NULL,
    receiver TEXT NOT NULL, code TEXT NOT NULL, esi_id TEXT NOT NULL, ref TEXT NOT NULL);
CREATE TABLE outages (party TEXT NOT NULL, role TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL,
    rule TEXT NOT NULL, PRIMARY KEY (party, start));
CREATE TABLE run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: the tables of a serving side (see the module docstring)
SERVE_SCHEMA = """
CREATE TABLE transport_events (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, direction TEXT NOT NULL,
    kind TEXT NOT NULL, partner TEXT NOT NULL, file TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE serve (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

class TxRow(NamedTuple):
    """One row of ``transactions``, in its columns' order."""

    seq: int
    sent_at: str
    sender: str
    receiver: str
    code: str
    esi_id: str
    ref: str
    orig_ref: str
    file: str
    st_control: str
    order_id: str
    received_at: str
    detail: str
    fault: str

#: rows per multi-row INSERT: one statement step for many rows instead of one per row (about
#: 20 % less time per row than ``executemany`` for the 14 columns of ``transactions``)
CHUNK = 200


def insert_rows(db: sqlite3.Connection, table: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert ``rows`` (all of one width) into ``table``, in order: full chunks of
    :data:`CHUNK` rows by one multi-row ``INSERT`` each, the rest by ``executemany``."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ",".join("?" * width) + ")"
    full = len(rows) - len(rows) % CHUNK
    if full:
        sql = f"INSERT INTO {table} VALUES " + ",".join([one] * CHUNK)
        execute = db.execute
        flat = chain.from_iterable
        for i in range(0, full, CHUNK):
            execute(sql, tuple(flat(rows[i:i + CHUNK])))
    if full < len(rows):
        db.executemany(f"INSERT INTO {table} VALUES {one}", rows[full:])


class Trace:
    """Writes the trace database of one run (or one shard).

    Args:
        path: database file; an existing file is replaced.
        serving: a side of ``ercot-sim serve``: readable while it runs (WAL, shared lock),
            with the tables ``transport_events`` and ``serve``.
    """

    def __init__(self, path: str | Path, serving: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for old in (self.path, self.path.with_name(self.path.name + "-wal"),
                    self.path.with_name(self.path.name + "-shm")):
            if old.exists():
                old.unlink()
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        if serving:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        else:
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("PRAGMA locking_mode=EXCLUSIVE")  # one writer: no lock per window
        self.db.executescript(SCHEMA + (SERVE_SCHEMA if serving else ""))
        self.serving = serving
        self.events: list[tuple[str, str, str, str, str, str]] = []  # transport events of this window
        self.seq = 0
        self._pending: list[TxRow] = []  # this window's transactions, written by write_window
        self.rep_changes: list[tuple[str, str, str, str]] = []
        self.fault_rows: list[tuple[str, str, str, str, str, str, str]] = []
        self.book_changes: list[tuple[str, str, str, str, str, str, str, str]] = []  # see ``books``
        self.outages: list[tuple[str, str, str, str, str]] = []  # see the table ``outages``

    def add_file(self, messages: Sequence[Message], controls: Sequence[str], faults: Sequence[str], file: str,
                 sent_at: str, received_at: str) -> None:
        """The transactions of one X12 file (each with its ST02 and planted fault, '' for none),
        numbered on from the last; written with the window (:meth:`write_window`)."""
        seq = self.seq
        # TxRow records made as tuple.__new__ makes them: a third of TxRow(...)'s cost on the
        # hot path (every transaction of a run passes here)
        new, row = tuple.__new__, TxRow
        self._pending.extend([new(row, (seq + k, sent_at, m.sender, m.receiver, m.code, m.esi_id, m.ref, m.orig_ref,
                                        file, ctl, m.order_id, received_at, m.detail, fault))
                              for k, m, ctl, fault in zip(range(1, len(messages) + 1), messages, controls, faults,
                                                          strict=True)])
        self.seq = seq + len(messages)

    def add_out_of_band(self, m: Message, sent_at: str, received_at: str) -> None:
        """A transaction no file carries (a safety-net e-mail, a MarkeTrak issue)."""
        self.seq += 1
        self._pending.append(TxRow(self.seq, sent_at, m.sender, m.receiver, m.code, m.esi_id, m.ref, m.orig_ref,
                                   "", "", m.order_id, received_at, m.detail, ""))

    def write_window(self) -> None:
        """Insert what one delivery window added (transactions, REP changes, faults) in one
        SQL transaction."""
        rows = self._pending
        if not rows and not self.rep_changes and not self.fault_rows and not self.events and not self.book_changes:
            return
        self.db.execute("BEGIN")
        insert_rows(self.db, "transactions", rows)
        rows.clear()
        if self.events:
            self.db.executemany("INSERT INTO transport_events (at, direction, kind, partner, file, detail) "
                                "VALUES (?,?,?,?,?,?)", self.events)
            self.events.clear()
        if self.rep_changes:
            self.db.executemany("INSERT INTO rep_history VALUES (?,?,?,?)", self.rep_changes)
            self.rep_changes.clear()
        if self.fault_rows:
            self.db.executemany("INSERT INTO faults VALUES (?,?,?,?,?,?,?)", self.fault_rows)
            self.fault_rows.clear()
        if self.book_changes:
            self.db.executemany("INSERT INTO books VALUES (?,?,?,?,?,?,?,?)", self.book_changes)
            self.book_changes.clear()
        self.db.execute("COMMIT")

    def transport_event(self, at: str, direction: str, kind: str, partner: str, file: str = "",
                        detail: str = "") -> None:
        """Record what crossed to or from the other side of a serving run (written with the
        window)."""
        self.events.append((at, direction, kind, partner, file, detail))

    def serve_state(self, **values: str) -> None:
        """Set key/values of the table ``serve`` at once (a reader sees them at once)."""
        self.db.executemany("INSERT OR REPLACE INTO serve VALUES (?,?)", sorted(values.items()))

    def finish(
        self,
        orders: Iterable[tuple[str, ...]],
        registry: Iterable[tuple[str, str, str, str]],
        run: dict[str, str],
    ) -> None:
        """Write the final order states, the registry and the run facts, then close."""
        self.write_window()
        self.db.execute("BEGIN")
        insert_rows(self.db, "orders", list(orders))
        insert_rows(self.db, "registry", list(registry))
        self.db.executemany("INSERT INTO outages VALUES (?,?,?,?,?)", sorted(self.outages))
        self.db.executemany("INSERT INTO run VALUES (?,?)", sorted(run.items()))
        if self.serving:
            self.db.execute("INSERT OR REPLACE INTO serve VALUES ('state', 'complete')")
        self.db.execute("COMMIT")
        self.db.execute("CREATE INDEX tx_esi ON transactions (esi_id, seq)")
        self.db.close()


def render_trace(path: str | Path, names: dict[str, str] | None = None, include_997: bool = False) -> str:
    """A readable text rendering of a trace: per ESI ID, its transactions in order,
    then the final orders and registry (the golden-trace format).

    Args:
        path: the trace database.
        names: DUNS -> participant name for display (DUNS shown when missing).
        include_997: list 997s too (they are per file, not per ESI ID).
    """
    names = names or {}
    db = sqlite3.connect(str(path))
    try:
        out: list[str] = []
        where = "" if include_997 else "WHERE code != '997'"
        current = None
        for row in db.execute(
            f"SELECT esi_id, sent_at, sender, receiver, code, ref, orig_ref, detail, fault "
            f"FROM transactions {where} ORDER BY esi_id, sent_at, seq"
        ):
            esi, sent, snd, rcv, code, ref, orig, detail, fault = row
            if esi != current:
                out.append(f"== ESI ID {esi or '-'}")
                current = esi
            text = f"{sent[:16]} {code:<7} {names.get(snd, snd)} -> {names.get(rcv, rcv)}  {ref}"
            if orig:
                text += f" re {orig}"
            if detail:
                text += f"  [{detail}]"
            if fault:
                text += f"  FAULT {fault}"
            out.append(text)
        faults = list(db.execute(
            "SELECT at, kind, sender, receiver, code, esi_id, ref FROM faults ORDER BY esi_id, at, ref"))
        for title, kinds in (("== transactions never sent", ("missing",)),
                             ("== transactions a fault made their receiver reject", ("rejected",))):
            rows = [f for f in faults if f[1] in kinds]
            if rows:
                out.append(title)
            for at, kind, snd, rcv, code, esi, ref in rows:
                out.append(f"{at[:16]} {code:<7} {names.get(snd, snd)} -> {names.get(rcv, rcv)}  {ref}"
                           f"  ESI ID {esi}  FAULT {kind}")
        has_outages = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='outages'").fetchone()
        windows = list(db.execute("SELECT start, end, party, rule FROM outages ORDER BY start, party")) \
            if has_outages else []
        if windows:
            out.append("== outage windows (nothing sent to or by the party)")
            for start, end, party, rule in windows:
                out.append(f"{start[:16]} .. {end[:16]} {names.get(party, party)} ({rule})")
        out.append("== orders")
        for row in db.execute(
            "SELECT order_id, kind, cr, state, scheduled, detail FROM orders ORDER BY order_id"
        ):
            oid, kind, cr, state, scheduled, detail = row
            out.append(f"{oid} {kind} {names.get(cr, cr)} {state} {scheduled} {detail}".rstrip())
        out.append("== counts")
        for code, n in db.execute("SELECT code, COUNT(*) FROM transactions GROUP BY code ORDER BY code"):
            out.append(f"{code} {n}")
        return "\n".join(out) + "\n"
    finally:
        db.close()
