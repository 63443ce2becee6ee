"""Readers for the checker: a run's SQLite trace, or X12 files from any system.

Both give a :class:`Dataset` of :class:`~ercot_sim.timing.flows.TxnRecord`. Nothing here
knows the engine: a trace is read through its public table ``transactions`` (CONTRACTS.md),
and the details the table does not hold (dates, flags, envelope control numbers, segment
numbers) are read from the X12 file each row names, when that file is there.

X12 files are read with :func:`edi.x12.iter_transactions` and identified with
:func:`edi.texas_set.catalog.identify`. The sending time is GS04/GS05 of the transaction's
group (ISA09/ISA10 when the GS has none), Central Prevailing Time.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edi.errors import EdiError, GuideError
from edi.findings import Report
from edi.texas_set.catalog import identify
from edi.texas_set.guide import ERCOT_DUNS, load_guide
from edi.validate import iter_x12_files
from edi.x12 import TransactionSet, iter_transactions
from ercot_sim.calendar import CENTRAL, to_local
from ercot_sim.errors import SimError
from ercot_sim.timing.check.scan import ScannedTransaction, scan_transactions
from ercot_sim.timing.flows import TxnRecord, assign_roles, read_body

__all__ = ["CheckInputError", "Dataset", "Outage", "iter_path", "read_path", "read_trace", "read_x12",
           "shard_folder", "shard_traces"]

TRACE_NAMES = ("trace.sqlite", "trace.db")
_TRACE_COLUMNS = ("seq", "sent_at", "sender", "receiver", "code", "esi_id", "ref", "orig_ref", "file",
                  "st_control")


class CheckInputError(SimError):
    """The checker's input cannot be used (names the file and what is wrong)."""


@dataclass(frozen=True)
class Outage:
    """A window in which nothing was sent to or by a party (A7: an ERCOT retail outage).

    Attributes:
        role: the party's role (``ERCOT``); rules name roles in ``suspends``.
        start, end: the window, ``end`` excluded (aware, America/Chicago).
        party: the party's DUNS; '' = whoever plays ``role`` in the data.
        rule: the rule that describes the window (``A7``).
    """

    role: str
    start: dt.datetime
    end: dt.datetime
    party: str = ""
    rule: str = ""

    def involves(self, r: TxnRecord) -> bool:
        """Is ``r`` sent to or by the party?"""
        if self.party:
            return self.party in (r.sender, r.receiver)
        return self.role in (r.sender_role, r.receiver_role)


@dataclass
class Dataset:
    """Transactions to check, and what is known about the data.

    Attributes:
        records: the transactions (``records[i].index == i``), in reading order.
        source: what was read (path as given).
        mode: ``trace`` or ``x12``.
        end: the moment the data extends to (answers not seen by then are missing only if
            they were due before it).
        notes: remarks about the input (unidentified transactions, missing files ...).
        findings: envelope findings met while reading X12, as text lines.
        charges: the SAC04 charge codes of each 810 whose body was read, by record index.
        outages: windows in which nothing was sent to or by a party (the trace's table
            ``outages``, or given to :func:`ercot_sim.timing.check.check_path`).
    """

    records: list[TxnRecord]
    source: str
    mode: str
    end: dt.datetime | None
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    charges: dict[int, tuple[str, ...]] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)


def _guide_roles(code: str) -> tuple[str | None, str | None]:
    """Sender and receiver role of a code when its guide allows only one of each."""
    try:
        guide = load_guide(code)
    except (GuideError, EdiError, KeyError, OSError):
        return None, None
    senders = {f.sender for f in guide.flows} - {"ANY"}
    receivers = {f.receiver for f in guide.flows} - {"ANY"}
    return (next(iter(senders)) if len(senders) == 1 else None,
            next(iter(receivers)) if len(receivers) == 1 else None)


def infer_roles(records: Iterable[TxnRecord]) -> dict[str, str]:
    """DUNS -> role from what the records already know and from the guides' flows."""
    votes: dict[str, dict[str, int]] = {}
    cache: dict[str, tuple[str | None, str | None]] = {}

    def vote(party: str, role: str | None) -> None:
        if party and role:
            box = votes.setdefault(party, {})
            box[role] = box.get(role, 0) + 1

    for r in records:
        if r.code and r.code not in cache:
            cache[r.code] = _guide_roles(r.code)
        g_send, g_recv = cache.get(r.code or "", (None, None))
        vote(r.sender, r.sender_role or g_send)
        vote(r.receiver, r.receiver_role or g_recv)
    roles = {party: max(sorted(box), key=lambda k: box[k]) for party, box in votes.items()}
    roles[ERCOT_DUNS] = "ERCOT"
    return roles


def _envelope_time(txn: TransactionSet) -> dt.datetime | None:
    gs = txn.gs
    date, time = gs.get(4).strip(), gs.get(5).strip()
    if not date:
        return _moment(txn.isa.get(9).strip(), txn.isa.get(10).strip(), "%y%m%d")
    return _moment(date, time, "%Y%m%d")


@functools.lru_cache(maxsize=4096)
def _moment(date: str, time: str, fmt: str) -> dt.datetime | None:
    """Local datetime of an envelope date and time (HHMM, HHMMSS, HHMMSSd..), or None."""
    if not time.isdigit() or len(time) not in (4, 6, 7, 8):
        return None
    try:
        day = dt.datetime.strptime(date, fmt).date()
        clock = dt.datetime.strptime(time[:6], "%H%M%S" if len(time) >= 6 else "%H%M").time()
    except ValueError:
        return None
    return to_local(dt.datetime.combine(day, clock))


def _read_body(rec: TxnRecord, txn: TransactionSet, refs: bool) -> tuple[str, ...]:
    """Fill ``rec``'s details from ``txn``'s body; an 810's SAC04 charge codes."""
    return read_body(rec, txn.body_texts, txn.delimiters.element, refs=refs)


def _x12_files(path: Path, skipped: list[str]) -> list[tuple[Path, str]]:
    try:
        files = list(iter_x12_files([path], skipped=skipped))
    except EdiError as exc:
        raise CheckInputError(exc.reason if hasattr(exc, "reason") else str(exc), str(path)) from None
    if path.is_dir():
        return [(f, f.relative_to(path).as_posix()) for f in files]
    return [(f, str(path)) for f in files]


def read_x12(path: str | Path, roles: dict[str, str] | None = None) -> Dataset:
    """Read a file or folder (recursively ``*.x12/*.edi/*.txt``) of X12 from any system.

    Args:
        path: the file or folder; locations name files relative to a folder.
        roles: DUNS -> CR / ERCOT / TDSP for parties the transactions do not name.

    Raises:
        CheckInputError: the path does not exist, holds no X12, or a file is unreadable.
    """
    root = Path(path)
    report = Report()
    records: list[TxnRecord] = []
    notes: list[str] = []
    charged: list[tuple[TxnRecord, tuple[str, ...]]] = []
    unidentified = 0
    unreadable: list[str] = []  # files that are no X12 at all: findings, and the rest is read
    for file, name in _x12_files(root, unreadable):
        try:
            for txn in iter_transactions(file, name=name, report=report):
                rec, codes = _x12_record(txn, len(records), roles, notes)
                records.append(rec)
                if codes:
                    charged.append((rec, codes))
                if records[-1].code is None:
                    unidentified += 1
        except EdiError as exc:
            unreadable.append(str(exc) if name in str(exc) else f"{name}: {exc}")
        except OSError as exc:
            unreadable.append(f"{name}: cannot read: {exc.strerror}")
    if unreadable and not records:
        raise CheckInputError(f"no file could be read as X12 ({unreadable[0]})", str(path))
    records = [r for r in records if r.sent_at is not None]
    for i, r in enumerate(records):
        r.index = i
    charges = {r.index: codes for r, codes in charged if r.sent_at is not None}
    assign_roles(records, infer_roles(records))
    if unidentified:
        notes.append(f"{unidentified} transaction(s) could not be identified; they take part in flows "
                     "and acknowledgements but trigger no rule of their own")
    end = max((r.sent_at for r in records), default=None)
    findings = [f"{f.location.file} segment {f.location.segment_number}: {f.message} [{f.code}]"
                for f in report.findings]
    findings += [f"{line} [unreadable]" for line in unreadable]
    return Dataset(records, str(path), "x12", end, notes, findings, charges)


def _x12_record(txn: TransactionSet, index: int, roles: dict[str, str] | None,
                notes: list[str]) -> tuple[TxnRecord, tuple[str, ...]]:
    """The record of a transaction read from X12, and its 810 charge codes."""
    ident = identify(txn, roles)
    sent = _envelope_time(txn)
    if sent is None:
        notes.append(f"{txn.file} segment {txn.first_number}: GS04/GS05 and ISA09/ISA10 hold no "
                     "readable date and time; transaction left out")
    rec = TxnRecord(
        index, sent, txn.sender, txn.receiver, ident.code, txn.st01, "", "", "",  # type: ignore[arg-type]
        txn.file, txn.first_number, txn.control, ident.sender_role, ident.receiver_role, txn.functional_id,
        txn.gs.get(6).strip(), reason="" if ident.code else ident.reason,
    )
    return rec, _read_body(rec, txn, refs=True)


def find_traces(path: Path) -> list[Path]:
    """The trace databases of a run directory (``trace.sqlite``, or one per shard).

    Raises:
        CheckInputError: a run that did not finish (its trace has no completion record), or
            shard folders of different runs side by side ("mixed runs").
    """
    for name in TRACE_NAMES:
        if (path / name).is_file():
            require_complete(path / name)
            return [path / name]
    shards = sorted(p for p in path.glob("shard-*/trace.sqlite") if p.is_file())
    if shards:
        facts = [require_complete(p) for p in shards]
        runs = {(f.get("scenario"), f.get("seed"), f.get("start"), f.get("days"), f.get("shard", "/").split("/")[1])
                for f in facts}
        seen = sorted(f.get("shard", "/").split("/")[0] for f in facts)
        count = next(iter(runs))[4] if len(runs) == 1 else ""
        if len(runs) > 1 or not count.isdigit() or seen != [str(i) for i in range(int(count))]:
            kinds = "; ".join(f"{p.parent.name}: {f.get('scenario')} seed {f.get('seed')} shard {f.get('shard')}"
                              for p, f in zip(shards, facts, strict=True))
            raise CheckInputError(f"mixed runs: its shard folders are not one run's ({kinds})", str(path))
    return shards


def shard_traces(traces: list[Path]) -> list[Path]:
    """A sharded run's shard traces in place of its merged one: each is a part of the market,
    read and judged alone (flows are per ESI ID), where the merged trace is all of it at once.

    Raises:
        CheckInputError: a shard's trace is not complete.
    """
    if len(traces) == 1 and traces[0].name == "trace.sqlite":
        shards = sorted(p for p in traces[0].parent.glob("shard-*/trace.sqlite") if p.is_file())
        if shards:
            for shard in shards:
                require_complete(shard)
            return shards
    return traces


def shard_folder(root: str | Path, data: Dataset) -> str:
    """The shard folder (``shard-003``) of a data set read from a run folder ``root``, or ''."""
    source = Path(data.source)
    if data.mode == "trace" and source.parent.name.startswith("shard-") and source.parent.parent == Path(root):
        return source.parent.name
    return ""


def serve_alive(serve: dict[str, str]) -> bool:
    """Whether the process of a serving side (its trace's ``serve`` table) still runs."""
    from ercot_sim.liveness import process_alive

    return process_alive(serve.get("pid", ""))


def require_complete(db_path: Path) -> dict[str, str]:
    """The run facts of an ``ercot-sim run`` trace; refuses one that never finished.

    A run writes its facts (table ``run``) last, in the same transaction as its final state:
    a trace whose ``run`` table is empty was killed or is still being written. A database
    without that table is not ercot-sim's and is taken as it is (empty facts); the trace of a
    side of ``ercot-sim serve`` (a ``serve`` table) is read while its process runs, as far as
    it goes.

    Raises:
        CheckInputError: the run did not finish, or the file is not a readable database.
    """
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='run'").fetchone():
                return {}
            facts = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM run")}
            serving: dict[str, str] = {}
            if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='serve'").fetchone():
                serving = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM serve")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise CheckInputError(f"not a readable SQLite database ({exc})", str(db_path)) from None
    if not facts and serving.get("state") == "running" and serve_alive(serving):
        return {}  # a side of `ercot-sim serve` is read while it runs: its data so far
    if not facts:
        raise CheckInputError("incomplete run: the trace has no completion record (the run was killed, "
                              "failed or is still running)", str(db_path))
    return facts


def _parse_time(text: str, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CheckInputError(f"sent_at {text!r} is not an ISO 8601 date and time", where) from None
    return to_local(moment)


def read_trace(db_path: str | Path, read_files: bool = True, esi_ids: set[str] | None = None) -> Dataset:
    """Read a run's SQLite trace (table ``transactions``).

    Args:
        db_path: the database file.
        read_files: read each row's X12 file (relative to the database's folder) for the
            details the table does not hold.
        esi_ids: read only these ESI IDs' transactions (a report's diagrams; through the
            trace's ``(esi_id, seq)`` index), not the whole trace.

    Raises:
        CheckInputError: not an SQLite database, or no usable ``transactions`` table.
    """
    path = Path(db_path)
    if not path.is_file():
        raise CheckInputError("no such file", str(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            cols = {row[1] for row in db.execute("PRAGMA table_info(transactions)")}
            if not cols:
                raise CheckInputError("no table 'transactions' (not a run trace)", str(path))
            missing = [c for c in _TRACE_COLUMNS if c not in cols]
            if missing:
                raise CheckInputError(f"table 'transactions' lacks column(s) {', '.join(missing)}", str(path))
            columns = ", ".join(_TRACE_COLUMNS)
            if esi_ids is None:  # rows become records as they come: never all rows and all records at once
                records = _trace_records(db.execute(f"SELECT {columns} FROM transactions ORDER BY seq"), path)
            else:
                rows = []
                for esi in sorted(esi_ids):
                    rows += db.execute(f"SELECT {columns} FROM transactions WHERE esi_id = ?", (esi,)).fetchall()
                rows.sort(key=lambda row: int(row[0]))
                records = _trace_records(rows, path)
            run: dict[str, str] = {}
            if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='run'").fetchone():
                run = dict(db.execute("SELECT key, value FROM run").fetchall())
            windows: list[tuple[str, str, str, str, str]] = []
            if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='outages'").fetchone():
                windows = db.execute("SELECT party, role, start, end, rule FROM outages "
                                     "ORDER BY start, party").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise CheckInputError(f"not a readable SQLite database ({exc})", str(path)) from None
    notes: list[str] = []
    charges: dict[int, tuple[str, ...]] = {}
    if read_files:
        _enrich(records, path.parent, notes, charges)
    assign_roles(records, infer_roles(records))
    end = _run_end(run) or max((r.sent_at for r in records), default=None)
    outages = [Outage(str(role), _parse_time(str(start), f"{path} outages start"),
                      _parse_time(str(stop), f"{path} outages end"), str(party), str(rule))
               for party, role, start, stop, rule in windows]
    return Dataset(records, str(path), "trace", end, notes, charges=charges, outages=outages)


def _trace_records(rows: Iterable[Sequence[Any]], path: Path) -> list[TxnRecord]:
    """The records of a trace's rows (the columns of ``_TRACE_COLUMNS``, in order), not read
    from their files yet. Texts a trace repeats (parties, codes, files, ESI IDs) are kept once."""
    records: list[TxnRecord] = []
    times: dict[str, dt.datetime] = {}
    intern = sys.intern
    for i, (seq, sent, snd, rcv, code, esi, ref, orig, file, ctl) in enumerate(rows):
        sent = str(sent)
        moment = times.get(sent)
        if moment is None:
            moment = times[sent] = _parse_time(sent, f"{path} transactions seq {seq}")
        code = str(code)
        records.append(TxnRecord(i, moment, intern(str(snd)), intern(str(rcv)), intern(code) if code else None,
                                 intern(code[:3]), intern(str(esi or "")), str(ref or ""), str(orig or ""),
                                 intern(str(file or "")), None, intern(str(ctl or "")), detailed=False))
    return records


def _run_end(run: dict[str, str]) -> dt.datetime | None:
    try:
        start = dt.date.fromisoformat(run["start"])
        days = int(run["days"])
    except (KeyError, ValueError):
        return None
    return dt.datetime.combine(start + dt.timedelta(days=days), dt.time(0), CENTRAL)


def _enrich(records: Sequence[TxnRecord], base: Path, notes: list[str],
            charges: dict[int, tuple[str, ...]]) -> None:
    by_file: dict[str, list[TxnRecord]] = {}
    for r in records:
        if r.file:
            by_file.setdefault(r.file, []).append(r)
    absent = 0
    for rel in sorted(by_file):
        file = base / rel
        if not file.is_file():
            absent += 1
            continue
        wanted = {(r.st01, r.st_control): r for r in by_file[rel]}
        try:
            text = file.read_bytes().decode("latin-1")
        except OSError as exc:
            raise CheckInputError(f"cannot read: {exc.strerror}", rel) from None
        for got, sep in _file_transactions(text, rel):
            rec = wanted.get((got.st01, got.control))
            if rec is None:
                continue
            rec.segment = got.segment
            rec.functional_id = got.functional_id
            rec.gs_control = got.gs_control
            codes = read_body(rec, got.body, sep, refs=False)
            if codes:
                charges[rec.index] = codes
    if absent:
        notes.append(f"{absent} X12 file(s) named by the trace are not there; rules that need dates, "
                     "flags or envelope numbers are not evaluated for their transactions")


def _file_transactions(text: str, rel: str) -> list[tuple[ScannedTransaction, str]]:
    """The transactions of a run's file, each with its element separator: cut at each ST when
    the file has the shape a run writes, else through the envelope walk.

    Raises:
        CheckInputError: the file is not X12 at all.
    """
    scanned = scan_transactions(text)
    if scanned is not None:
        found, sep = scanned
        return [(t, sep) for t in found]
    try:
        return [(ScannedTransaction(t.st01, t.control, t.first_number, t.functional_id, t.gs.get(6).strip(),
                                    t.body_texts), t.delimiters.element)
                for t in iter_transactions(text.encode("latin-1"), name=rel)]
    except EdiError as exc:
        raise CheckInputError(str(exc) if rel in str(exc) else f"{rel}: {exc}") from None


def read_path(path: str | Path) -> list[Dataset]:
    """Read whatever ``path`` is: a run directory, a trace database, or X12 files.

    A run directory gives one data set per trace (one per shard of a sharded run).

    Raises:
        CheckInputError: nothing usable at ``path``.
    """
    return list(iter_path(path))


def iter_path(path: str | Path) -> Iterator[Dataset]:
    """:func:`read_path` one data set at a time (a sharded run's shards are read as they are
    judged, not all held at once). What ``path`` is, and a run's shards, are checked before
    the first data set is read.

    Raises:
        CheckInputError: nothing usable at ``path``.
    """
    p = Path(path)
    if not p.exists():
        raise CheckInputError("no such file or folder", str(p))
    if p.is_dir():
        traces = shard_traces(find_traces(p))
        if not traces:
            return _one(lambda: read_x12(p))
        return (read_trace(t) for t in traces)
    with p.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3"):
        require_complete(p)
        return _one(lambda: read_trace(p))
    if p.suffix.lower() in (".sqlite", ".db", ".sqlite3"):
        raise CheckInputError("not an SQLite database", str(p))
    return _one(lambda: read_x12(p))


def _one(read: Callable[[], Dataset]) -> Iterator[Dataset]:
    yield read()
