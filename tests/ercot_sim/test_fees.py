"""TDSP fees (flows.md 2 and 3.2): a self-selected switch's out-of-cycle read and a priority
move-in are billed to the gaining CR on an 810_02 of their own; a self-selected switch away
from the POLR within the mass-transition flag (timing-rules.md C6) is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi.validate import validate
from edi.x12 import iter_transactions
from ercot_sim.market.engine import run_scenario
from ercot_sim.market.tariff import FEES
from ercot_sim.scenario import Event, load_scenario
from ercot_sim.timing.check import check_path
from tests.ercot_sim.flowkit import ROOT, Run, scenario_runner

NEWCOMER, POLR = "223456789", "323456789"
ESI0 = "10443720000000001"


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    return scenario_runner(tmp_path_factory)


def _fee_invoices(db: Run, esi: str) -> list[tuple[str, str, str, str]]:
    return db.execute("SELECT receiver, detail, file, ref FROM transactions WHERE code = '810_02' AND esi_id = ? "
                      "AND detail LIKE 'fee %' ORDER BY seq", (esi,)).fetchall()


def _segments(db: Run, file: str, ref: str) -> dict[str, list[list[str]]]:
    txn = next(t for t in iter_transactions(db.out / file) if t.segments[1].get(2) == ref)
    out: dict[str, list[list[str]]] = {}
    for s in txn.segments:
        out.setdefault(s.id, []).append(s.elements)
    return out


@pytest.mark.parametrize(("scenario", "code"), [("switch-self-selected", "MSC001"), ("move-in-priority", "MSC002")])
def test_the_gaining_cr_is_billed_the_fee(run, scenario: str, code: str) -> None:  # type: ignore[no-untyped-def]
    db = run(scenario)
    fees = _fee_invoices(db, ESI0)
    assert [(r, d) for r, d, _, _ in fees] == [(NEWCOMER, f"fee {code}")]
    segs = _segments(db, fees[0][2], fees[0][3])
    amount, description = FEES[code]
    assert [s[4:6] for s in segs["SAC"]] == [[code, str(amount)]]  # the fee is the only line
    assert segs["SAC"][0][15] == description  # SAC15, the X12 004010 description
    assert segs["TDS"] == [["TDS", str(amount)]] and segs["CTT"] == [["CTT", "1"]]
    report = validate(db.out / fees[0][2])
    assert not report.findings, report.findings
    # the fee invoice is not a meter read: the checker's read rules leave it alone
    checked = check_path(db.out / "trace.sqlite")
    assert checked.violations == []
    assert checked.rule("E5-tdsp-867_03").decided > 0  # while they judge the reads


def test_a_standard_switch_has_no_fee(run) -> None:  # type: ignore[no-untyped-def]
    assert _fee_invoices(run("switch-standard"), ESI0) == []


def _polr_then_switch(tmp_path: Path, with_transition: bool) -> Run:
    """INCUMBENT's three ESI IDs go to the POLR on day 2 (or not); NEWCOMER switches ESI 0
    self-selected on day 8 for day 14."""
    sc = load_scenario(ROOT / "scenarios" / "mass-transition.toml")
    events = [Event(kind="switch", day=8, at="10:00", esi_index=0, cr="NEWCOMER", requested_day=14)]
    mts = [mt.model_copy(update={"day": 2}) for mt in sc.mass_transitions] if with_transition else []
    sc = sc.model_copy(update={"events": events, "mass_transitions": mts})
    result = run_scenario(sc, tmp_path)
    return Run(tmp_path, result.trace)


def test_switching_away_from_the_polr_inside_the_flag_is_free(tmp_path: Path) -> None:
    db = _polr_then_switch(tmp_path / "polr", with_transition=True)
    states = db.execute("SELECT kind, state FROM orders WHERE esi_id = ? ORDER BY order_id", (ESI0,)).fetchall()
    assert ("switch_ss", "completed") in states
    assert db.execute("SELECT rep FROM registry WHERE esi_id = ?", (ESI0,)).fetchone() == (NEWCOMER,)
    assert _fee_invoices(db, ESI0) == []
    # without the transition the same switch pays the read fee
    plain = _polr_then_switch(tmp_path / "plain", with_transition=False)
    assert [d for _, d, _, _ in _fee_invoices(plain, ESI0)] == ["fee MSC001"]


def test_the_flag_length_is_a_rule_knob(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[defaults.polr_switch_flag_days]\nvalue = 3\n", encoding="utf-8")
    sc = load_scenario(ROOT / "scenarios" / "mass-transition.toml")
    events = [Event(kind="switch", day=8, at="10:00", esi_index=0, cr="NEWCOMER", requested_day=14)]
    sc = sc.model_copy(update={"events": events,
                               "mass_transitions": [mt.model_copy(update={"day": 2}) for mt in sc.mass_transitions]})
    result = run_scenario(sc, tmp_path / "out", rules=rules)
    db = Run(tmp_path / "out", result.trace)
    assert [d for _, d, _, _ in _fee_invoices(db, ESI0)] == ["fee MSC001"]  # day 14 is past a 3-day flag
