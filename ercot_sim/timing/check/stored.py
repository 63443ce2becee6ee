"""A run's own check, kept in its trace so that what reads the run later need not judge it again.

``ercot-sim run`` checks what it ran (every shard where it ran, for ``--shards``) and keeps the
result in the trace's table ``checks(rules, result)``: the digest of the rule set it judged
by, and the result as :meth:`CheckResult.to_dict` gives it. ``ercot-sim report`` takes it
from there when it is asked for the same rules, and checks anew otherwise. ``ercot-sim check``
always judges: it is the checker.

The digest covers what a judgement depends on besides the data: every rule, the engine
knobs, the calendar's holiday data, and this package's version (a newer checker judges
anew).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from ercot_sim.timing.check.report import CheckResult
from ercot_sim.timing.rules import RuleSet

__all__ = ["TABLE", "keep_check", "kept_check", "rules_digest"]

#: the trace table that holds a run's own checks
TABLE = "checks"


def rules_digest(rules: RuleSet) -> str:
    """SHA-256 of what a check's judgement depends on besides the data (see the module docstring)."""
    from ercot_sim import __version__

    doc: dict[str, Any] = {
        "version": __version__,
        "rules": [r.model_dump(mode="json") for r in sorted(rules, key=lambda r: r.id)],
        "defaults": {k: v.model_dump(mode="json") for k, v in sorted(rules.defaults.items())},
        "calendar": rules.calendar.data.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def keep_check(trace: Path, result: CheckResult, rules: RuleSet) -> None:
    """Keep ``result`` (judged by ``rules``) in ``trace``, in place of one kept for the same rules.

    Raises:
        sqlite3.Error: the trace cannot be written.
    """
    body = result.to_dict()
    body["source"] = ""  # a run's folder may move: the source is whatever reads it later
    db = sqlite3.connect(str(trace))
    try:
        with db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (rules TEXT PRIMARY KEY, result TEXT NOT NULL)")
            db.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?)",
                       (rules_digest(rules), json.dumps(body, sort_keys=True)))
    finally:
        db.close()


def kept_check(trace: Path, rules: RuleSet, source: str) -> CheckResult | None:
    """The check ``trace`` keeps for ``rules`` (its source set to ``source``), or None when it
    keeps none for them (or cannot be read: the caller then checks anew)."""
    try:
        db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)).fetchone():
                return None
            row = db.execute(f"SELECT result FROM {TABLE} WHERE rules = ?", (rules_digest(rules),)).fetchone()
        finally:
            db.close()
        if row is None:
            return None
        result = CheckResult.from_dict(json.loads(row[0]))
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return None
    result.source = source
    return result
