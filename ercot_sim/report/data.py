"""What a report shows, read from a run: transactions, compliance, volumes, participants.

:func:`load_report_data` reads a run directory (its ``trace.sqlite``, or one per shard) or a
trace database through the compliance checker's readers (the public ``transactions`` table,
enriched from the X12 files it names), judges it against the timing rules unless the caller
already did, and picks the ESI IDs that get a sequence diagram.

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
from ercot_sim.timing.check import (
    CheckResult,
    Violation,
    check_dataset,
    load_check_rules,
    read_trace,
)
from ercot_sim.timing.check.sources import CheckInputError, Dataset, find_traces, require_complete
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
        records: every transaction read.
        roles: DUNS -> CR / ERCOT / TDSP.
        names: DUNS -> participant name (from the N1 segments; DUNS when not found).
        volumes: (day, code) -> count, every transaction including 997s.
        orders: order state -> count.
        esi_total: ESI IDs that have any transaction other than a 997.
        diagrams: the ESI IDs drawn, in order.
        selection_note: set when only a selection of ESI IDs is drawn.
        variances: the data extract variances on the run's last day (``ercot-sim reconcile``),
            or None when they cannot be worked out here (a trace without books, a sharded run).
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


def _read_side_tables(db_path: Path) -> tuple[dict[str, str], dict[str, int], dict[str, list[str]],
                                               dict[tuple[str, str], int]]:
    """Run facts, orders by state, order kinds by ESI ID and volumes from one trace."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        run = dict(db.execute("SELECT key, value FROM run").fetchall()) if "run" in tables else {}
        states: dict[str, int] = {}
        kinds: dict[str, list[str]] = {}
        if "orders" in tables:
            for state, n in db.execute("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state"):
                states[str(state)] = int(n)
            for esi, kind in db.execute("SELECT esi_id, kind FROM orders ORDER BY order_id"):
                box = kinds.setdefault(str(esi), [])
                if kind not in box:
                    box.append(str(kind))
        volumes: dict[tuple[str, str], int] = {}
        for day, code, n in db.execute(
            "SELECT substr(sent_at, 1, 10), code, COUNT(*) FROM transactions GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            volumes[(str(day), str(code) or "?")] = int(n)
    except sqlite3.DatabaseError as exc:
        raise CheckInputError(f"not a readable run trace ({exc})", str(db_path)) from None
    finally:
        db.close()
    return run, states, kinds, volumes


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
_TYPE_ORDER = ("switch", "switch_ss", "move_in", "move_in_priority", "move_out", "mass_transition",
               "historical_usage", "usage and invoice only")


def _select(flows: dict[str, EsiFlow], limit: int) -> tuple[list[EsiFlow], str]:
    """ESI IDs with violations first, then one per flow type (the ESI ID's first order kind).

    Violations are picked one rule at a time (the first ESI ID of each broken rule, then the
    second ...), and take at most the slots the flow types leave (at least half), so a run
    with many violations still shows each kind of flow; leftover slots go to more violations.
    """
    if len(flows) <= limit:
        return [flows[k] for k in sorted(flows)], ""

    def kind(f: EsiFlow) -> str:
        return f.kinds[0] if f.kinds else "usage and invoice only"

    by_rule: dict[str, list[str]] = {}
    for esi in sorted(flows, key=lambda e: (flows[e].violations[0].sort_key() if flows[e].violations else (), e)):
        for v in flows[esi].violations:
            box = by_rule.setdefault(v.rule_id, [])
            if esi not in box:
                box.append(esi)
    bad: list[str] = []
    for rnd in range(max((len(b) for b in by_rule.values()), default=0)):
        for rule in sorted(by_rule):
            if rnd < len(by_rule[rule]) and by_rule[rule][rnd] not in bad:
                bad.append(by_rule[rule][rnd])
    types: dict[str, str] = {}
    for esi in sorted(flows):
        types.setdefault(kind(flows[esi]), esi)
    ordered = sorted(types, key=lambda k: (_TYPE_ORDER.index(k) if k in _TYPE_ORDER else len(_TYPE_ORDER), k))
    quota = max(limit // 2, limit - len(types))
    chosen = bad[:quota]
    covered = {kind(flows[e]) for e in chosen}
    typed = [types[k] for k in ordered if k not in covered][: max(0, limit - len(chosen))]
    chosen += [e for e in bad[quota:] if e not in typed][: max(0, limit - len(chosen) - len(typed))]
    for e in chosen:
        rules = sorted({v.rule_id for v in flows[e].violations})
        flows[e].reason = f"{len(flows[e].violations)} violation(s) of {', '.join(rules)}"
    for e in typed:
        flows[e].reason = f"an example of flow type {kind(flows[e])}"
    taken = set(chosen) | set(typed)
    more = [e for e in sorted(flows) if e not in taken][: max(0, limit - len(taken))]
    for e in more:
        flows[e].reason = f"another example of flow type {kind(flows[e])}"
    typed += more
    note = (f"Sequence diagrams are drawn for {len(chosen) + len(typed)} of {len(flows)} ESI IDs: those with "
            f"violations first ({len(bad)} ESI IDs have violations, of {len(by_rule)} rule(s)), then one per "
            f"flow type, at most {limit}.")
    return [flows[e] for e in chosen + typed], note


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
    traces = resolve_traces(source)
    datasets: list[Dataset] = [read_trace(t) for t in traces]
    if isinstance(violations, CheckResult):
        check = violations
    else:
        results = [check_dataset(d, ruleset) for d in datasets]
        check = CheckResult.merge(results, str(source) if len(results) > 1 else None)
        if violations is not None:
            check.violations = sorted(violations, key=Violation.sort_key)
    run: dict[str, str] = {}
    orders: dict[str, int] = {}
    kinds: dict[str, list[str]] = {}
    volumes: dict[tuple[str, str], int] = {}
    records: list[TxnRecord] = []
    roles: dict[str, str] = {ERCOT_DUNS: "ERCOT"}
    bases: dict[str, Path] = {}
    for trace, data in zip(traces, datasets, strict=True):
        r, st, kd, vol = _read_side_tables(trace)
        run = run or r
        for k, n in st.items():
            orders[k] = orders.get(k, 0) + n
        for esi, ks in kd.items():
            kinds.setdefault(esi, []).extend(k for k in ks if k not in kinds.get(esi, []))
        for pair, n in vol.items():
            volumes[pair] = volumes.get(pair, 0) + n
        for rec in data.records:
            if rec.sender_role:
                roles.setdefault(rec.sender, rec.sender_role)
            if rec.receiver_role:
                roles.setdefault(rec.receiver, rec.receiver_role)
            if rec.esi_id:
                bases[rec.esi_id] = trace.parent
        records.extend(data.records)
    flows: dict[str, EsiFlow] = {}
    for rec in records:
        if rec.esi_id and rec.st01 != "997":
            flows.setdefault(rec.esi_id, EsiFlow(rec.esi_id, [], kinds.get(rec.esi_id, []))).records.append(rec)
    for f in flows.values():
        f.records.sort(key=lambda r: (r.sent_at, r.index))
    for v in check.violations:
        if v.esi_id in flows:
            flows[v.esi_id].violations.append(v)
    if esi_ids:
        unknown = [e for e in esi_ids if e not in flows]
        if unknown:
            raise CheckInputError(f"ESI ID {unknown[0]} has no transactions in this run", str(source))
        chosen, note = [flows[e] for e in esi_ids], f"Sequence diagrams for the ESI IDs asked for ({len(esi_ids)})."
        for f in chosen:
            f.reason = "asked for"
    elif flow_kinds:
        known = sorted({k for f in flows.values() for k in f.kinds})
        wanted = {k for k in flow_kinds}
        if not wanted & set(known):
            raise CheckInputError(f"no ESI ID with an order of kind {', '.join(sorted(wanted))}; this run has "
                                  f"{', '.join(known) or 'no orders'}", str(source))
        picked = {e: f for e, f in flows.items() if wanted & set(f.kinds)}
        chosen, note = _select(picked, max(0, max_diagrams))
        note = (note or f"Sequence diagrams for every ESI ID with a {', '.join(sorted(wanted))} order "
                f"({len(chosen)}).")
    else:
        chosen, note = _select(flows, max(0, max_diagrams))
    names: dict[str, str] = {ERCOT_DUNS: "ERCOT"}
    for f in chosen:
        _names_from_x12(bases[f.esi_id], sorted({r.file for r in f.records if r.file}), names)
    return ReportData(str(source), run, check, ruleset, records, roles, names, volumes, orders,
                      len(flows), chosen, note, _variances(traces, run))


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

