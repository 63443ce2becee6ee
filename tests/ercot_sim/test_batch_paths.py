"""The engine's batch forms give the same bytes as the plain ones they stand for.

Hot loops (a TDSP's read cycle) work a whole batch at once; each keeps its plain form as the
reference, and a run with the plain forms must write the same X12 files and the same trace.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from ercot_sim.market.engine import run_scenario
from ercot_sim.market.participants.tdsp_reads import MeterReading
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _fingerprint(out: Path) -> dict[str, str]:
    got = {str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
           for f in sorted(out.rglob("*.x12"))}
    db = sqlite3.connect(out / "trace.sqlite")
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            rows = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            got["table " + table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        db.close()
    return got


def test_read_cycle_batch_equals_reads_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = load_scenario(ROOT / "scenarios" / "market-month.toml")
    sc = sc.model_copy(update={"population": sc.population.model_copy(update={"esi_ids": 3000})})
    batch = run_scenario(sc, tmp_path / "batch")
    monkeypatch.setattr(MeterReading, "batch_reads", False)
    plain = run_scenario(sc, tmp_path / "plain")
    assert batch.counts == plain.counts and batch.counts["867_03"] > 2 * 3000 * 0.8
    assert _fingerprint(tmp_path / "batch") == _fingerprint(tmp_path / "plain")
