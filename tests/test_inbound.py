"""The files are the whole record: every transaction of every scenario's files, read back into
a message (header and typed payload), renders to its own segments again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.types import format_date
from edi.x12 import iter_transactions
from ercot_sim.counterparty.inbound import read_messages
from ercot_sim.errors import CounterpartyError
from ercot_sim.market.engine import run_scenario
from ercot_sim.output.emit import render_text
from ercot_sim.scenario import load_scenario
from tests.conftest import FLOW_SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [p.stem for p in FLOW_SCENARIOS]


def _roles(trace: Path) -> dict[str, str]:
    db = sqlite3.connect(trace)
    roles = {ERCOT_DUNS: "ERCOT"}
    roles.update({t: "TDSP" for (t,) in db.execute("SELECT DISTINCT tdsp FROM registry")})
    roles.update({c: "CR" for (c,) in db.execute("SELECT DISTINCT cr FROM orders")})
    roles.update({r: "CR" for (r,) in db.execute("SELECT DISTINCT rep FROM registry WHERE rep != ''")})
    return roles


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_transaction_read_back_renders_its_own_segments(name: str, tmp_path: Path) -> None:
    result = run_scenario(load_scenario(ROOT / "scenarios" / f"{name}.toml"), tmp_path / "run")
    roles = _roles(result.trace)
    files = sorted((tmp_path / "run" / "outbox").rglob("*.x12"))
    assert files
    count = 0
    for path in files:
        read = read_messages(path, roles=roles)
        txns = list(iter_transactions(path))
        assert len(read) == len(txns)
        for got, txn in zip(read, txns, strict=True):
            body = "".join("*".join(seg) + "~" for seg in txn.raw[1:-1])
            date = format_date(got.date) if got.date is not None else txn.gs.get(4)
            assert render_text(got.message, date) == (body, len(txn.raw) - 2), (path.name, got.message.code)
            count += 1
    assert count >= len(files)


def test_what_cannot_be_read_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.x12"
    sample = (ROOT / "tests" / "data" / "edm-sample.x12").read_text()
    bad.write_text(sample.replace("AK1*", "AK1X*"))
    with pytest.raises(CounterpartyError, match="bad.x12"):
        read_messages(bad)
