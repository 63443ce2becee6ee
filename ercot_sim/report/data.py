"""What a report shows, read from a run: transactions, compliance, volumes, participants.

:func:`load_report_data` reads a run directory (one trace per shard when it has shards) or a
trace database: it judges it against the timing rules unless the caller already did (one
shard in memory at a time), counts volumes and orders in SQL, picks the ESI IDs that get a
sequence diagram (:mod:`ercot_sim.report.sample`) and reads only their transactions, through
the compliance checker's reader (the public ``transactions`` table, enriched from the X12
files it names).

Nothing here draws; :mod:`ercot_sim.report.html` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edi.errors import EdiError
from edi.texas_set.guide import ERCOT_DUNS
from edi.x12 import iter_transactions
from ercot_sim.books.reconcile import Variance
from ercot_sim.report.sample import Choice, Population, select
from ercot_sim.timing.check import (
    CheckResult,
    Violation,
    check_path,
    load_check_rules,
    read_trace,
)
from ercot_sim.timing.check.sources import CheckInputError, find_traces, require_complete, shard_traces
from ercot_sim.timing.check.stored import kept_check
from ercot_sim.timing.flows import TxnRecord
from ercot_sim.timing.rules import RuleSet

__all__ = ["DEFAULT_MAX_DIAGRAMS", "EsiFlow", "ReportData", "load_report_data", "resolve_traces"]

#: Sequence diagrams drawn at most (a large run gets a selection, with a note).
DEFAULT_MAX_DIAGRAMS = 12


@dataclass
class EsiFlow:
    """The transactions of one ESI ID, as drawn in its diagram.

    Attributes:
        esi_id: the ESI ID.
        records: its transactions (997s left out), in sending order.
        kinds: the order kinds of the ESI ID (``switch``, ``move_in`` ...), from the trace.
        violations: the violations on this ESI ID.
        reason: why it was selected (``violations``, ``flow type switch`` ...).
    """

    esi_id: str
    records: list[TxnRecord]
    kinds: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    reason: str = ""


@dataclass
class ReportData:
    """Everything the HTML report shows.

    Attributes:
        source: the run directory or trace database given.
        run: the run's facts (``scenario``, ``seed``, ``start``, ``days``...), first shard.
        check: the compliance check result.
        rules: the rule set used (for deadline bars).
        records: the transactions read: those of the ESI IDs drawn.
        roles: DUNS -> CR / ERCOT / TDSP.
        names: DUNS -> participant name (from the N1 segments; DUNS when not found).
        volumes: (day, code) -> count, every transaction including 997s.
        orders: order state -> count.
        esi_total: ESI IDs that have any transaction other than a 997.
        diagrams: the ESI IDs drawn, in order.
        selection_note: set when only a selection of ESI IDs is drawn.
        variances: the data extract variances on the run's last day (``ercot-sim reconcile``),
            or None when they cannot be worked out here (a trace without books, a sharded run).
        check_kept: ``check`` is the run's own, kept in its trace for the same rules
            (:mod:`ercot_sim.timing.check.stored`), not judged anew.
    """

    source: str
    run: dict[str, str]
    check: CheckResult
    rules: RuleSet
    records: list[TxnRecord]
    roles: dict[str, str]
    names: dict[str, str]
    volumes: dict[tuple[str, str], int]
    orders: dict[str, int]
    esi_total: int
    diagrams: list[EsiFlow]
    selection_note: str = ""
    variances: list[Variance] | None = field(default_factory=list)
    check_kept: bool = False


def resolve_traces(path: str | Path) -> list[Path]:
    """The trace databases of a run directory (one per shard), or the database given.

    Raises:
        CheckInputError: nothing usable at ``path``.
    """
    p = Path(path)
    if not p.exists():
        raise CheckInputError("no such file or folder", str(p))
    if p.is_dir():
        traces = find_traces(p)
        if not traces:
            raise CheckInputError("no trace.sqlite here (not a run directory of 'ercot-sim run')", str(p))
        return traces
    with p.open("rb") as fh:
        if not fh.read(16).startswith(b"SQLite format 3"):
            raise CheckInputError("not an SQLite trace database", str(p))
    require_complete(p)
    return [p]


def _read_side_tables(db_path: Path) -> tuple[dict[str, str], dict[str, int], dict[tuple[str, str], int]]:
    """Run facts, orders by state and volumes (by day and code) from one trace."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        run = dict(db.execute("SELECT key, value FROM run").fetchall()) if "run" in tables else {}
        states: dict[str, int] = {}
        if "orders" in tables:
            for state, n in db.execute("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state"):
                states[str(state)] = int(n)
        volumes: dict[tuple[str, str], int] = {}
        for day, code, n in db.execute(
            "SELECT substr(sent_at, 1, 10), code, COUNT(*) FROM transactions GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            volumes[(str(day), str(code) or "?")] = int(n)
    except sqlite3.DatabaseError as exc:
        raise CheckInputError(f"not a readable run trace ({exc})", str(db_path)) from None
    finally:
        db.close()
    return run, states, volumes


def _names_from_x12(base: Path, files: Sequence[str], names: dict[str, str]) -> None:
    """Participant names from the N1 segments (N102 by N104) of the files given."""
    for rel in files:
        path = base / rel
        if not path.is_file():
            continue
        try:
            for txn in iter_transactions(path, name=rel):
                for els in txn.raw_body:
                    if els[0] == "N1" and len(els) > 4 and els[4].strip() and els[2].strip():
                        names.setdefault(els[4].strip(), els[2].strip())
        except EdiError:
            continue


#: Flow types in the order their example diagrams are picked.
def load_report_data(
    source: str | Path,
    violations: CheckResult | Sequence[Violation] | None = None,
    rules: RuleSet | str | Path | None = None,
    max_diagrams: int = DEFAULT_MAX_DIAGRAMS,
    esi_ids: Sequence[str] = (),
    flow_kinds: Sequence[str] = (),
) -> ReportData:
    """Read a run for its report.

    Args:
        source: a run directory (``trace.sqlite``, or ``shard-*/trace.sqlite``) or a trace DB.
        violations: a check result already computed, or violations to mark; None runs the
            compliance checker.
        rules: the rule set, or a rules file applied over the shipped rules.
        max_diagrams: how many ESI IDs get a sequence diagram at most.
        esi_ids: draw exactly these ESI IDs (all of them, in this order).
        flow_kinds: draw only ESI IDs with an order of one of these kinds (``switch``,
            ``move_in`` ...), chosen as usual among them.

    Raises:
        CheckInputError: the source is not a run, or an ESI ID or flow kind asked for is not in it.
        RulesError: the rules file is wrong.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_check_rules(rules)
    given = resolve_traces(source)
    traces = shard_traces(given)
    kept = kept_check(given[0], ruleset, str(source)) if violations is None and len(given) == 1 else None
    if isinstance(violations, CheckResult):
        check = violations
    elif kept is not None:  # the run's own check, by the same rules
        check = kept
    else:  # judged anew, as ercot-sim check does: one shard in memory at a time
        check = check_path(source, ruleset, owed=False)
        if violations is not None:
            check.violations = sorted(violations, key=Violation.sort_key)
    run: dict[str, str] = {}
    orders: dict[str, int] = {}
    volumes: dict[tuple[str, str], int] = {}
    for trace in traces:
        r, st, vol = _read_side_tables(trace)
        run = run or r
        for k, n in st.items():
            orders[k] = orders.get(k, 0) + n
        for pair, n in vol.items():
            volumes[pair] = volumes.get(pair, 0) + n
    pop = Population.read(traces)
    by_esi: dict[str, list[Violation]] = {}
    for v in check.violations:
        if v.esi_id:
            by_esi.setdefault(v.esi_id, []).append(v)
    if esi_ids:
        unknown = [e for e in esi_ids if not pop.has(e)]
        if unknown:
            raise CheckInputError(f"ESI ID {unknown[0]} has no transactions in this run", str(source))
        choice = Choice(list(esi_ids), dict.fromkeys(esi_ids, "asked for"),
                        f"Sequence diagrams for the ESI IDs asked for ({len(esi_ids)}).")
    elif flow_kinds:
        known = sorted({k for ks in pop.kinds.values() for k in ks})
        wanted = set(flow_kinds)
        if not wanted & set(known):
            raise CheckInputError(f"no ESI ID with an order of kind {', '.join(sorted(wanted))}; this run has "
                                  f"{', '.join(known) or 'no orders'}", str(source))
        choice = select(pop, by_esi, max(0, max_diagrams), wanted)
        choice.note = (choice.note or f"Sequence diagrams for every ESI ID with a {', '.join(sorted(wanted))} "
                       f"order ({len(choice.esi_ids)}).")
    else:
        choice = select(pop, by_esi, max(0, max_diagrams))
    records, roles, bases = _read_flows(traces, set(choice.esi_ids))
    flows: dict[str, EsiFlow] = {}
    for rec in records:
        if rec.esi_id and rec.st01 != "997":
            flows.setdefault(rec.esi_id, EsiFlow(rec.esi_id, [], pop.kinds.get(rec.esi_id, []))).records.append(rec)
    chosen = [flows[e] for e in choice.esi_ids if e in flows]
    for f in chosen:
        f.records.sort(key=lambda r: (r.sent_at, r.index))
        f.violations = by_esi.get(f.esi_id, [])
        f.reason = choice.reasons.get(f.esi_id, "")
    names: dict[str, str] = {ERCOT_DUNS: "ERCOT"}
    for f in chosen:
        _names_from_x12(bases[f.esi_id], sorted({r.file for r in f.records if r.file}), names)
    return ReportData(str(source), run, check, ruleset, records, roles, names, volumes, orders,
                      pop.total, chosen, choice.note, _variances(traces, run), kept is not None)


def _read_flows(traces: list[Path], esi_ids: set[str]) -> tuple[list[TxnRecord], dict[str, str], dict[str, Path]]:
    """The transactions of ``esi_ids`` (with the details of their X12 files), the roles of the
    parties in them, and the run folder each ESI ID's files are under."""
    records: list[TxnRecord] = []
    roles: dict[str, str] = {ERCOT_DUNS: "ERCOT"}
    bases: dict[str, Path] = {}
    for trace in traces:
        data = read_trace(trace, esi_ids=esi_ids)
        for rec in data.records:
            if rec.sender_role:
                roles.setdefault(rec.sender, rec.sender_role)
            if rec.receiver_role:
                roles.setdefault(rec.receiver, rec.receiver_role)
            if rec.esi_id:
                bases[rec.esi_id] = trace.parent
        records.extend(data.records)
    return records, roles, bases


def _variances(traces: list[Path], run: dict[str, str]) -> list[Variance] | None:
    """The data extract variances on the run's last day, for a run with one trace that keeps
    books (None for others)."""
    import datetime as dt

    from ercot_sim.books.reconcile import reconcile

    if len(traces) != 1 or "start" not in run or "days" not in run or "shards" in run:
        return None
    db = sqlite3.connect(f"file:{traces[0]}?mode=ro", uri=True)
    try:
        has_books = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'books'").fetchone() is not None
    finally:
        db.close()
    if not has_books:
        return None
    last = dt.date.fromisoformat(run["start"]) + dt.timedelta(days=int(run["days"]) - 1)
    return reconcile(traces[0], last)

