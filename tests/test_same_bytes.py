"""The same-bytes fingerprint (python -m bench same-bytes) sees every byte it claims to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.same_bytes import compare, fingerprint
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_two_runs_have_one_fingerprint_and_one_byte_changes_it(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "switch-standard.toml")
    run_scenario(scenario, tmp_path / "a")
    run_scenario(scenario, tmp_path / "b")
    a, b = fingerprint(tmp_path / "a"), fingerprint(tmp_path / "b")
    assert a == b and int(a["x12 files"]) > 0 and "table transactions" in a
    assert compare({"run": a}, {"run": b}) == []
    first = sorted((tmp_path / "b").rglob("*.x12"))[0]
    first.write_bytes(first.read_bytes().replace(b"~", b"~\n", 1))
    db = sqlite3.connect(tmp_path / "b" / "trace.sqlite")
    db.execute("UPDATE transactions SET detail = detail || '.' WHERE rowid = 1")
    db.commit()
    db.close()
    assert compare({"run": a}, {"run": fingerprint(tmp_path / "b")}) == [
        "run: table transactions differs", "run: x12 differs"]
