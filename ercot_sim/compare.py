"""Rule-change comparison: the same scenario and seed under two rule sets, and what changed.

:func:`compare_rules` runs the scenario twice with the engine's public entry point
(:func:`ercot_sim.market.engine.run_scenario`), once per rules file, side by side (two tasks on
a local Dask cluster), then measures each run from its trace and judges it with the independent
checker under the rules that run used:

- switch and move-in completion time in ERCOT business days (p50, p90, max), from the
  trace's ``orders`` table (submission to completion);
- orders by end state;
- violations per rule (:func:`ercot_sim.timing.check.check_path`);
- transactions by code.

The result renders as a text table of what changed, JSON, or an HTML page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ercot_sim.calendar import default_calendar, to_local
from ercot_sim.errors import SimError

__all__ = ["Comparison", "RunMeasure", "Stats", "compare_rules", "measure_run", "percentile"]

#: Order kinds in the trace counted as switches and as move-ins.
ORDER_GROUPS = {"switch": ("switch", "switch_ss"), "move_in": ("move_in", "move_in_priority")}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stats:
    """Completion times of one kind of order, in business days."""

    count: int
    p50: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        """Statistics of a list of values."""
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9), max(values) if values else None)


@dataclass
class RunMeasure:
    """What one run of the comparison produced.

    Attributes:
        label: short name (the rules file's name).
        rules: the rules file ('' = shipped rules).
        out: the run's output directory.
        completion: ``switch`` / ``move_in`` -> :class:`Stats` (business days).
        orders: end state -> count.
        violations: rule id -> violations (every checked rule, 0 included).
        compliance: rule id -> compliance share (None when nothing was decided).
        transactions: code -> count.
    """

    label: str
    rules: str
    out: Path
    completion: dict[str, Stats] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    compliance: dict[str, float | None] = field(default_factory=dict)
    transactions: dict[str, int] = field(default_factory=dict)


def _bd(start: str, end: str) -> float:
    cal = default_calendar()
    a = to_local(dt.datetime.fromisoformat(start)).date()
    b = to_local(dt.datetime.fromisoformat(end)).date()
    return float(cal.count_business_days(a, b, "ERCOT"))


def measure_run(out: str | Path, rules: str | Path | None = None, label: str = "") -> RunMeasure:
    """Measure a finished run from its trace, and check it under ``rules``.

    Raises:
        SimError: the run directory has no usable trace.
    """
    from ercot_sim.timing.check import check_path

    out = Path(out)
    db_path = out / "trace.sqlite"
    if not db_path.is_file():
        raise SimError("no trace.sqlite (not a run directory)", str(out))
    m = RunMeasure(label or (Path(rules).name if rules else "shipped rules"), str(rules or ""), out)
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        m.transactions = dict(db.execute("SELECT code, COUNT(*) FROM transactions GROUP BY code ORDER BY code"))
        m.orders = dict(db.execute("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state"))
        for group, kinds in ORDER_GROUPS.items():
            rows = db.execute(
                f"SELECT submitted_at, state_at FROM orders WHERE state = 'completed' AND kind IN "
                f"({', '.join('?' * len(kinds))}) ORDER BY order_id", kinds).fetchall()
            m.completion[group] = Stats.of([_bd(a, b) for a, b in rows])
    except sqlite3.DatabaseError as exc:
        raise SimError(f"trace cannot be read ({exc})", str(db_path)) from None
    finally:
        db.close()
    result = check_path(out, rules, owed=False)
    for rc in result.rules:
        m.violations[rc.rule_id] = rc.violations
        m.compliance[rc.rule_id] = rc.compliance
    return m


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() else str(int(value))
    return str(value)


def _delta(a: float | int | None, b: float | int | None) -> str:
    if a is None or b is None:
        return "" if a == b else "n/a"
    d = b - a
    if d == 0:
        return ""
    return f"{'+' if d > 0 else ''}{_fmt(d)}"


@dataclass
class Comparison:
    """Two runs of the same scenario and seed under two rule sets."""

    scenario: str
    seed: int | None
    a: RunMeasure
    b: RunMeasure

    def rows(self) -> list[tuple[str, str, float | int | None, float | int | None]]:
        """Every measured item: ``(section, item, A, B)``."""
        out: list[tuple[str, str, float | int | None, float | int | None]] = []
        for group in ORDER_GROUPS:
            sa, sb = self.a.completion.get(group, Stats.of([])), self.b.completion.get(group, Stats.of([]))
            for stat in ("count", "p50", "p90", "max"):
                out.append(("completion (business days)", f"{group} {stat}", getattr(sa, stat), getattr(sb, stat)))
        for section, da, db_ in (("orders by end state", self.a.orders, self.b.orders),
                                 ("violations per rule", self.a.violations, self.b.violations),
                                 ("transactions by code", self.a.transactions, self.b.transactions)):
            for key in sorted(set(da) | set(db_)):
                out.append((section, key, da.get(key, 0), db_.get(key, 0)))
        return out

    def changed(self) -> list[tuple[str, str, float | int | None, float | int | None]]:
        """The rows whose values differ."""
        return [r for r in self.rows() if r[2] != r[3]]

    def to_text(self, everything: bool = False) -> str:
        """The table of what changed (every row with ``everything``)."""
        rows = self.rows() if everything else self.changed()
        head = [f"compare {self.scenario}" + (f", seed {self.seed}" if self.seed is not None else ""),
                f"A = {self.a.label} ({self.a.rules or 'shipped'})",
                f"B = {self.b.label} ({self.b.rules or 'shipped'})"]
        if not rows:
            return "\n".join([*head, "no difference"])
        w1 = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        lines = [*head, f"{'section':<{w1}}  {'item':<{w2}}  {'A':>10}  {'B':>10}  change"]
        for section, item, a, b in rows:
            lines.append(f"{section:<{w1}}  {item:<{w2}}  {_fmt(a):>10}  {_fmt(b):>10}  {_delta(a, b)}")
        if not everything:
            lines.append(f"{len(self.rows()) - len(rows)} unchanged item(s) not shown")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: both runs in full, and the changed rows."""

        def run(m: RunMeasure) -> dict[str, Any]:
            return {"label": m.label, "rules": m.rules, "out": str(m.out),
                    "completion_business_days": {k: vars(v) for k, v in m.completion.items()},
                    "orders": m.orders, "violations": m.violations, "compliance": m.compliance,
                    "transactions": m.transactions}

        return {"scenario": self.scenario, "seed": self.seed, "a": run(self.a), "b": run(self.b),
                "changed": [{"section": s, "item": i, "a": a, "b": b} for s, i, a, b in self.changed()]}

    def to_json(self) -> str:
        """Indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def to_html(self) -> str:
        """A self-contained HTML page with every row; changed rows are highlighted."""
        e = html.escape
        body = []
        for section, item, a, b in self.rows():
            cls = ' class="changed"' if a != b else ""
            body.append(f"<tr{cls}><td>{e(section)}</td><td>{e(item)}</td><td>{e(_fmt(a))}</td>"
                        f"<td>{e(_fmt(b))}</td><td>{e(_delta(a, b))}</td></tr>")
        title = f"ercot-sim compare: {self.scenario}"
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}"
            "td,th{border:1px solid #999;padding:2px 8px}td:nth-child(n+3){text-align:right}"
            "tr.changed{background:#fff3c4}</style></head><body>\n"
            f"<h1>{e(title)}</h1><p>seed {e(str(self.seed))}; A = {e(self.a.label)} ({e(self.a.rules or 'shipped')}); "
            f"B = {e(self.b.label)} ({e(self.b.rules or 'shipped')}); {len(self.changed())} item(s) changed</p>\n"
            "<table><thead><tr><th>section</th><th>item</th><th>A</th><th>B</th><th>change</th></tr></thead>"
            "<tbody>\n" + "\n".join(body) + "\n</tbody></table></body></html>\n"
        )


@dataclass(frozen=True)
class _RunJob:
    """One side of a comparison, as a task: the scenario under one rules file."""

    scenario: str
    out: str
    seed: int | None
    rules: str
    label: str


def _run_and_measure(job: _RunJob) -> RunMeasure:
    """Run one side and measure it (in a worker process)."""
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario

    run_scenario(load_scenario(job.scenario), job.out, seed=job.seed, rules=job.rules,
                 base_dir=Path(job.scenario).parent)
    return measure_run(job.out, job.rules, job.label)


def compare_rules(
    scenario: str | Path,
    rules_a: str | Path,
    rules_b: str | Path,
    *,
    seed: int | None = None,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Run ``scenario`` with the same seed under two rules files and compare the runs.

    Args:
        scenario: the scenario file.
        rules_a, rules_b: rules files (each applied over the shipped rules, as ``ercot-sim run``
            does).
        seed: overrides the scenario's seed (both runs use the same).
        out: keep the runs in ``out/a`` and ``out/b`` (default: a temporary folder, removed).
        progress: called with a line of text before each step (each run, each check).

    Raises:
        ScenarioError, RulesError: the scenario or a rules file is unusable.
    """
    from ercot_sim.output.cluster import map_on_cluster
    from ercot_sim.scenario import load_scenario
    from ercot_sim.timing.check import load_check_rules

    loaded = load_scenario(scenario)
    for rules in (rules_a, rules_b):
        load_check_rules(rules)  # a wrong file fails before any run
    labels = [Path(rules_a).name, Path(rules_b).name]
    if labels[0] == labels[1]:
        labels = [f"A:{labels[0]}", f"B:{labels[1]}"]
    tmp = tempfile.TemporaryDirectory(prefix="ercot-sim-compare-") if out is None else None
    root = Path(tmp.name if tmp is not None else out).resolve()  # type: ignore[arg-type]
    try:
        if progress is not None:
            progress(f"running {Path(scenario).name} under {rules_a} and under {rules_b}, side by side, "
                     "and checking each run")
        runs = [_RunJob(str(Path(scenario).resolve()), str(root / name), seed, str(Path(rules).resolve()), label)
                for name, rules, label in (("a", rules_a, labels[0]), ("b", rules_b, labels[1]))]

        def finished(job: _RunJob, _m: RunMeasure) -> None:
            if progress is not None:
                progress(f"done: the run under {job.rules}")

        measures = map_on_cluster(_run_and_measure, runs, [f"ercot-sim compare {r.out}" for r in runs],
                                  workers=2, done=finished)
        used_seed = seed if seed is not None else loaded.scenario.seed
        return Comparison(str(scenario), used_seed, measures[0], measures[1])
    finally:
        if tmp is not None:
            tmp.cleanup()
