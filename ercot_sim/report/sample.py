"""Which ESI IDs a report draws, chosen from the traces' tables without reading every row.

A run of the whole market holds tens of millions of transactions; a report draws a dozen
sequence diagrams. :class:`Population` answers what the choice needs from SQL over each trace
(one per shard, each with its ``(esi_id, seq)`` index): how many ESI IDs have transactions, the
order kinds of each ESI ID (the ``orders`` table), and the ESI IDs in sorted order, lazily.
:func:`select` then picks the ESI IDs: those with violations first, one rule at a time, then
one per flow type, then more in ESI ID order. Only the chosen ESI IDs' transactions are read.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ercot_sim.timing.check import Violation

__all__ = ["TYPE_ORDER", "USAGE_ONLY", "Choice", "Population", "select"]

#: the flow type of an ESI ID without orders
USAGE_ONLY = "usage and invoice only"
#: flow types in the order a report shows its examples
TYPE_ORDER = ("switch", "switch_ss", "move_in", "move_in_priority", "move_out", "mass_transition", "historical_usage",
              USAGE_ONLY)


def _connect(trace: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{trace}?mode=ro", uri=True)


@dataclass
class Population:
    """The ESI IDs of one or more traces (shards of one run: their ESI IDs are disjoint).

    Attributes:
        traces: the trace databases.
        kinds: ESI ID -> the kinds of its orders, in order (only ESI IDs with orders).
        total: ESI IDs with a transaction other than a 997.
    """

    traces: Sequence[Path]
    kinds: dict[str, list[str]] = field(default_factory=dict)
    total: int = 0

    @classmethod
    def read(cls, traces: Sequence[Path]) -> Population:
        """Count the ESI IDs and read the order kinds of each trace."""
        pop = cls(list(traces))
        for trace in traces:
            db = _connect(trace)
            try:
                pop.total += db.execute("SELECT COUNT(DISTINCT esi_id) FROM transactions WHERE esi_id != '' "
                                        "AND code != '997'").fetchone()[0]
                if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='orders'").fetchone():
                    for esi, kind in db.execute("SELECT esi_id, kind FROM orders ORDER BY order_id"):
                        box = pop.kinds.setdefault(str(esi), [])
                        if kind not in box:
                            box.append(str(kind))
            finally:
                db.close()
        return pop

    def kind(self, esi: str) -> str:
        """An ESI ID's flow type: the kind of its first order."""
        kinds = self.kinds.get(esi)
        return kinds[0] if kinds else USAGE_ONLY

    def sorted_esi_ids(self) -> Iterator[str]:
        """Every ESI ID with a transaction other than a 997, in sorted order, read lazily."""
        cursors = []
        dbs = [_connect(t) for t in self.traces]
        try:
            for db in dbs:
                cursors.append(str(e) for (e,) in db.execute(
                    "SELECT DISTINCT esi_id FROM transactions WHERE esi_id != '' AND code != '997' ORDER BY esi_id"))
            yield from heapq.merge(*cursors)
        finally:
            for db in dbs:
                db.close()

    def has(self, esi: str) -> bool:
        """Whether ``esi`` has a transaction other than a 997."""
        for trace in self.traces:
            db = _connect(trace)
            try:
                if db.execute("SELECT 1 FROM transactions WHERE esi_id = ? AND code != '997' LIMIT 1",
                              (esi,)).fetchone():
                    return True
            finally:
                db.close()
        return False


@dataclass
class Choice:
    """The ESI IDs a report draws, each with why, and the note saying it is a selection."""

    esi_ids: list[str]
    reasons: dict[str, str]
    note: str = ""


def select(pop: Population, violations: dict[str, list[Violation]], limit: int,
           kinds: set[str] | None = None) -> Choice:
    """ESI IDs with violations first, then one per flow type (the ESI ID's first order kind),
    then more in ESI ID order; with ``kinds``, only ESI IDs with an order of one of them.

    Violations are picked one rule at a time (the first ESI ID of each broken rule, then the
    second ...), and take at most the slots the flow types leave (at least half), so a run
    with many violations still shows each kind of flow; leftover slots go to more violations.
    """
    def eligible(esi: str) -> bool:
        return kinds is None or bool(kinds & set(pop.kinds.get(esi, ())))

    total = pop.total if kinds is None else sum(1 for e in pop.kinds if eligible(e))
    if total <= limit:
        every = [e for e in pop.sorted_esi_ids() if eligible(e)]
        return Choice(every, {})
    bad_esis = {e: vs for e, vs in violations.items() if vs and eligible(e)}
    by_rule: dict[str, list[str]] = {}
    for esi in sorted(bad_esis, key=lambda e: (bad_esis[e][0].sort_key(), e)):
        for v in bad_esis[esi]:
            box = by_rule.setdefault(v.rule_id, [])
            if esi not in box:
                box.append(esi)
    bad: list[str] = []
    for rnd in range(max((len(b) for b in by_rule.values()), default=0)):
        for rule in sorted(by_rule):
            if rnd < len(by_rule[rule]) and by_rule[rule][rnd] not in bad:
                bad.append(by_rule[rule][rnd])
    types: dict[str, str] = {}  # flow type -> its first ESI ID in sorted order
    for esi in sorted(e for e in pop.kinds if eligible(e)):
        types.setdefault(pop.kind(esi), esi)
    if kinds is None:
        first_plain = next((e for e in pop.sorted_esi_ids() if e not in pop.kinds), None)
        if first_plain is not None:
            types[USAGE_ONLY] = first_plain
    ordered = sorted(types, key=lambda k: (TYPE_ORDER.index(k) if k in TYPE_ORDER else len(TYPE_ORDER), k))
    quota = max(limit // 2, limit - len(types))
    chosen = bad[:quota]
    covered = {pop.kind(e) for e in chosen}
    typed = [types[k] for k in ordered if k not in covered][: max(0, limit - len(chosen))]
    chosen += [e for e in bad[quota:] if e not in typed][: max(0, limit - len(chosen) - len(typed))]
    reasons = {}
    for e in chosen:
        rules = sorted({v.rule_id for v in violations[e]})
        reasons[e] = f"{len(violations[e])} violation(s) of {', '.join(rules)}"
    for e in typed:
        reasons[e] = f"an example of flow type {pop.kind(e)}"
    taken = set(chosen) | set(typed)
    room = max(0, limit - len(taken))
    more: list[str] = []
    if room:
        for e in pop.sorted_esi_ids():
            if e not in taken and eligible(e):
                more.append(e)
                if len(more) == room:
                    break
    for e in more:
        reasons[e] = f"another example of flow type {pop.kind(e)}"
    note = (f"Sequence diagrams are drawn for {len(chosen) + len(typed) + len(more)} of {total} ESI IDs: those "
            f"with violations first ({len(bad)} ESI IDs have violations, of {len(by_rule)} rule(s)), then one per "
            f"flow type, at most {limit}.")
    return Choice(chosen + typed + more, reasons, note)
