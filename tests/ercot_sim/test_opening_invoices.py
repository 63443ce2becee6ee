"""``[population] opening_invoices``: last month's invoices are paid inside the run."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from edi.validate import validate
from ercot_sim.calendar import default_calendar
from ercot_sim.market.engine import run_scenario
from ercot_sim.output.shard import canonical_transactions
from ercot_sim.scenario import load_scenario_text
from ercot_sim.scenario.population import build_population

SCENARIO = """
[scenario]
name = "opening"
start = 2025-03-03
days = {days}
seed = 5

[[participants.tdsps]]
name = "ONCOR"
duns = "1039940674000"
esi_prefix = "10443720"

[[participants.crs]]
name = "LONE STAR POWER"
duns = "123456789"
share = 0.5
roles = ["AREP", "POLR"]

[[participants.crs]]
name = "PECOS RETAIL"
duns = "323456789"
share = 0.5

[population]
esi_ids = 120
energized = 0.9
opening_invoices = {opening}
"""


def _run(tmp: Path, name: str, opening: bool, days: int = 30, shard: tuple[int, int] = (0, 1)) -> Path:
    out = tmp / name
    run_scenario(load_scenario_text(SCENARIO.format(days=days, opening=str(opening).lower())), out, shard=shard)
    return out


def _payments(out: Path) -> list[tuple[str, str, str, str, str, str]]:
    db = sqlite3.connect(out / "trace.sqlite")
    try:
        return db.execute("SELECT esi_id, sender, receiver, ref, orig_ref, sent_at FROM transactions "
                          "WHERE code = '820_02' ORDER BY esi_id").fetchall()
    finally:
        db.close()


def test_each_served_esi_id_pays_last_months_invoice_on_its_due_day(tmp_path: Path) -> None:
    out = _run(tmp_path, "on", True)
    pays = _payments(out)
    scenario = load_scenario_text(SCENARIO.format(days=30, opening="true"))
    duns = {c.name: c.duns for c in scenario.participants.crs}
    rep_at_start = {p.esi_id: duns[p.rep] for p in build_population(scenario).premises if p.rep}
    assert pays, "no opening payment inside 30 days"
    assert len({p[0] for p in pays}) == len(pays)  # one each
    cal = default_calendar()
    for esi, sender, receiver, ref, orig, sent in pays:
        assert receiver == "1039940674000" and sender == rep_at_start[esi]  # last month's REP pays
        assert (ref, orig) == (f"P{esi}0000", f"T{esi}0000")
        day = dt.date.fromisoformat(sent[:10])
        assert sent[11:16] == "09:00" and cal.is_business_day(day, "ONCOR")  # paid on the due day
    # none fall due after the run: 30 days hold the cycles read from early February on
    assert all(p[5] < "2025-04-02" for p in pays)
    # the files are clean
    report = validate(*sorted((out / "outbox").rglob("*.x12")))
    assert report.transactions > len(pays) and not report.findings, report.findings[:3]


def test_off_by_default_and_no_payment_in_a_cold_month(tmp_path: Path) -> None:
    assert _payments(_run(tmp_path, "off", False)) == []


def test_the_same_payments_in_any_number_of_shards(tmp_path: Path) -> None:
    whole = _run(tmp_path, "whole", True, days=20)
    parts = [_run(tmp_path, f"s{i}", True, days=20, shard=(i, 2)) for i in range(2)]
    a = canonical_transactions([whole / "trace.sqlite"])
    b = canonical_transactions([p / "trace.sqlite" for p in parts])
    assert a == b and any(row for row in a if "820_02" in row)
