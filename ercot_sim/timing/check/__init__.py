"""The independent compliance checker: timing rules judged on transactions of any source.

It reads a run's SQLite trace or X12 files from any system, rebuilds the flows per ESI ID
from the references (:mod:`ercot_sim.timing.flows`), and judges every checkable rule of the
rule set. It shares only the rule data (``rules.toml`` through :func:`load_rules`, and the
calendar) with the engine, never the engine's code, so a rule the engine breaks is caught.

Public API::

    check_path(path, rules=None) -> CheckResult          a run dir, a trace DB, or X12 files
    check_dataset(dataset, rules) -> CheckResult
    collector_paused()                                   context: the garbage collector off while checking
    load_check_rules(rules_file=None) -> RuleSet          shipped rules + a user's overrides
    compliance_summary(out, rules=None) -> str            what ``ercot-sim run`` prints
    CheckResult, RuleCompliance, Violation, TxnRef         results (text and JSON rendering)
    Dataset, Outage, read_trace, read_x12, read_path, iter_path, find_traces, CheckInputError

A run keeps its own check in its trace (:mod:`ercot_sim.timing.check.stored`).

See docs/checker.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from pathlib import Path

from ercot_sim.calendar import to_local
from ercot_sim.timing.check.evaluate import EVENTS, evaluate
from ercot_sim.timing.check.report import (
    CheckResult,
    RuleCompliance,
    TxnRef,
    Violation,
    format_amount,
)
from ercot_sim.timing.check.sources import (
    CheckInputError,
    Dataset,
    Outage,
    find_traces,
    iter_path,
    read_path,
    read_trace,
    read_x12,
    shard_folder,
)
from ercot_sim.timing.rules import RuleSet, load_rules

__all__ = [
    "EVENTS",
    "CheckInputError",
    "CheckResult",
    "Dataset",
    "Outage",
    "RuleCompliance",
    "TxnRef",
    "Violation",
    "check_dataset",
    "check_path",
    "collector_paused",
    "compliance_summary",
    "find_traces",
    "format_amount",
    "load_check_rules",
    "read_path",
    "read_trace",
    "read_x12",
]


def load_check_rules(rules_file: str | Path | None = None) -> RuleSet:
    """The shipped rules, with ``rules_file`` applied on top (override by id, or add).

    A complete copy of the shipped file works too: every rule is then overridden.

    Raises:
        RulesError: the file is missing or wrong (names file, line and field).
    """
    return load_rules(overrides=[rules_file] if rules_file is not None else ())


def check_dataset(dataset: Dataset, rules: RuleSet, only: Sequence[str] | None = None) -> CheckResult:
    """Check one data set (see :func:`read_trace`, :func:`read_x12`)."""
    return evaluate(dataset, rules, only)


def check_path(path: str | Path, rules: RuleSet | str | Path | None = None,
               only: Sequence[str] | None = None, until: dt.datetime | None = None,
               outages: Sequence[Outage] = (), owed: bool = True) -> CheckResult:
    """Check whatever ``path`` is: a run directory (its trace; a sharded run's shards, one at a
    time, their violations citing files from the run's folder), a trace database (``.sqlite``
    / ``.db``), or an X12 file or folder.

    Args:
        path: what to check.
        rules: a loaded rule set, or a rules file applied over the shipped rules.
        only: check only these rule ids.
        until: the moment the data extend to (default: the run's end for a trace, the last
            sending time for X12); an answer not seen is *missing* when due before it,
            else *open*.
        outages: outage windows besides those the data hold (a trace's ``outages`` table),
            e.g. ERCOT's retail outages for X12 from another system.
        owed: list each answer owed at the end of the data (:attr:`CheckResult.owed`: a
            serving side's status, a flight's grade); what prints or keeps a check (its text,
            its JSON) does not need them: a market month owes one for each invoice not yet due.

    Raises:
        CheckInputError: the input cannot be used.
        RulesError: the rules file is wrong.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_check_rules(rules)
    results = []
    with collector_paused():
        for d in iter_path(path):
            if until is not None:
                d.end = to_local(until)
            known = set(d.outages)
            d.outages.extend(o for o in outages if o not in known)
            result = evaluate(d, ruleset, only, owed)
            folder = shard_folder(path, d)  # a shard's files, cited from the run's folder
            results.append(result.in_folder(folder) if folder else result)
            del d
    return CheckResult.merge(results, str(path) if len(results) > 1 else None)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a check builds its records and indexes.

    A check makes millions of objects that live until it ends and form no cycles; the collector
    would walk them again and again as they pile up (a fifth of a 100,000-ESI ID check, more at
    a shard's million). Once it is on again, it frees whatever did form a cycle.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def compliance_summary(out: str | Path | Sequence[str | Path], rules: str | Path | None = None,
                       limit: int = 20) -> str:
    """The compliance summary ``ercot-sim run`` prints after a run.

    Args:
        out: the run's output directory (or several, e.g. one per shard, or trace files).
        rules: the rules file the run used (applied over the shipped rules).
        limit: how many violations to list before the table.

    Returns:
        Text: the first violations, the per-rule table (met, late, missing, compliance
        against the target, pass/fail) and notes.
    """
    paths = [out] if isinstance(out, (str, Path)) else list(out)
    ruleset = load_check_rules(rules)
    results = [check_path(p, ruleset, owed=False) for p in paths]
    merged = CheckResult.merge(results, ", ".join(str(p) for p in paths) if len(results) > 1 else None)
    return "compliance (ercot-sim check)\n" + merged.to_text(limit=limit)
