"""Each flow of flows.md ends in its terminal state with the right transactions in order."""

from __future__ import annotations

import datetime as dt

import pytest

from edi.x12 import iter_transactions
from tests.ercot_sim.flowkit import Run, scenario_runner

INCUMBENT, NEWCOMER, POLR = "123456789", "223456789", "323456789"
ERCOT, ONCOR = "183529049", "1039940674000"
ESI0, ESI1, ESI2, ESI3 = (f"1044372000000000{i}" for i in range(1, 5))


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    return scenario_runner(tmp_path_factory)


def flow(db: Run, esi: str, codes: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(code, sender, receiver) of an ESI ID's transactions in order, without monthly usage."""
    rows = db.execute(
        "SELECT code, sender, receiver, detail FROM transactions WHERE esi_id = ? ORDER BY sent_at, seq", (esi,)
    ).fetchall()
    return [(c, s, r) for c, s, r, d in rows if d != "monthly" and (not codes or c in codes)]


def order(db: Run, esi: str, kind: str | None = None) -> tuple[str, str, str]:
    sql = "SELECT state, scheduled, detail FROM orders WHERE esi_id = ?"
    args: tuple[str, ...] = (esi,)
    if kind:
        sql += " AND kind = ?"
        args += (kind,)
    return db.execute(sql + " ORDER BY order_id", args).fetchone()


def rep(db: Run, esi: str) -> str:
    return db.execute("SELECT rep FROM registry WHERE esi_id = ?", (esi,)).fetchone()[0]


def test_standard_switch(run) -> None:  # type: ignore[no-untyped-def]
    db = run("switch-standard")
    steps = flow(db, ESI0)
    assert steps[:3] == [("814_01", NEWCOMER, ERCOT), ("814_03", ERCOT, ONCOR), ("814_04", ONCOR, ERCOT)]
    assert set(steps[3:5]) == {("814_06", ERCOT, INCUMBENT), ("814_05", ERCOT, NEWCOMER)}
    assert steps[5] == ("814_07", INCUMBENT, ERCOT)
    assert sorted(steps[6:]) == sorted([
        ("867_04", ONCOR, ERCOT), ("867_04", ERCOT, NEWCOMER),
        ("810_02", ONCOR, INCUMBENT), ("867_03", ONCOR, ERCOT), ("867_03", ERCOT, INCUMBENT),
    ])
    assert steps.index(("867_04", ONCOR, ERCOT)) < steps.index(("867_04", ERCOT, NEWCOMER))
    assert steps.index(("867_03", ONCOR, ERCOT)) < steps.index(("867_03", ERCOT, INCUMBENT))
    state, scheduled, _ = order(db, ESI0)
    assert state == "completed"
    # FASD = receipt (Tue 4 March 2025) + 3 business days; no cycle read within 3 days of it
    assert scheduled == "2025-03-07"
    assert rep(db, ESI0) == NEWCOMER
    assert rep(db, ESI1) == INCUMBENT


def test_self_selected_switch_on_requested_date(run) -> None:  # type: ignore[no-untyped-def]
    db = run("switch-self-selected")
    assert order(db, ESI0)[:2] == ("completed", "2025-03-12")
    files = {r[0] for r in db.execute("SELECT file FROM transactions WHERE code='814_03' AND esi_id=?", (ESI0,))}
    dtm = [s.elements for f in files for t in iter_transactions(db.out / f) for s in t.segments if s.id == "DTM"]
    assert ["DTM", "150", "20250312"] in dtm  # the requested date travels to the TDSP


def test_move_in_energized_and_new_premise(run) -> None:  # type: ignore[no-untyped-def]
    db = run("move-in")
    assert ("814_06", ERCOT, INCUMBENT) in flow(db, ESI0)
    assert order(db, ESI0) == ("completed", "2025-03-09", "")
    new = "10443720999000001"
    codes = [c for c, _, _ in flow(db, new)]
    assert codes[:2] == ["814_20", "814_21"] and "814_06" not in codes
    assert codes.index("814_16") > codes.index("814_21")
    assert rep(db, new) == NEWCOMER
    # date reasonableness: more than 90 days ahead is rejected by ERCOT, no order is opened
    assert flow(db, ESI1, ("814_16", "814_17")) == [("814_16", NEWCOMER, ERCOT), ("814_17", ERCOT, NEWCOMER)]
    assert db.execute("SELECT COUNT(*) FROM orders WHERE esi_id=?", (ESI1,)).fetchone() == (0,)


def test_priority_move_in_same_day(run) -> None:  # type: ignore[no-untyped-def]
    db = run("move-in-priority")
    assert order(db, ESI0)[:2] == ("completed", "2025-03-05")
    sent = dict(db.execute("SELECT code, sent_at FROM transactions WHERE esi_id=? AND code IN "
                           "('814_16','814_04')", (ESI0,)).fetchall())
    assert sent["814_04"][:10] == sent["814_16"][:10] == "2025-03-05"


def test_move_out(run) -> None:  # type: ignore[no-untyped-def]
    db = run("move-out")
    assert flow(db, ESI0) == [
        ("814_24", INCUMBENT, ERCOT), ("814_24", ERCOT, ONCOR), ("814_25", ONCOR, ERCOT),
        ("814_25", ERCOT, INCUMBENT), ("810_02", ONCOR, INCUMBENT), ("867_03", ONCOR, ERCOT),
        ("867_03", ERCOT, INCUMBENT),
    ]
    assert order(db, ESI0)[:2] == ("completed", "2025-03-09")
    assert db.execute("SELECT rep, status FROM registry WHERE esi_id=?", (ESI0,)).fetchone() == ("", "de-energized")


def test_cancel_rescission_and_late_cancel(run) -> None:  # type: ignore[no-untyped-def]
    db = run("cancel-rescission")
    assert order(db, ESI0)[0] == "cancelled"
    assert ("814_09", ERCOT, NEWCOMER) in flow(db, ESI0)
    assert "867_04" not in [c for c, _, _ in flow(db, ESI0)]
    assert rep(db, ESI0) == INCUMBENT
    late = db.execute("SELECT detail FROM transactions WHERE esi_id=? AND code='814_09'", (ESI1,)).fetchone()
    assert late == ("reject SOP",)


def test_date_change_and_tdr_reject(run) -> None:  # type: ignore[no-untyped-def]
    db = run("date-change")
    assert order(db, ESI0)[:2] == ("completed", "2025-03-17")
    details = [r[0] for r in db.execute(
        "SELECT detail FROM transactions WHERE esi_id=? AND code='814_13' ORDER BY seq", (ESI1,))]
    assert details == ["reject TDR", "reject TDR"]
    assert order(db, ESI1)[:2] == ("completed", "2025-03-12")


def test_historical_usage(run) -> None:  # type: ignore[no-untyped-def]
    db = run("historical-usage")
    assert [c for c, _, _ in flow(db, ESI0)] == ["814_26", "814_26", "814_27", "867_02", "814_27", "867_02"]
    assert order(db, ESI0)[0] == "completed"
    assert ("867_02", ERCOT, NEWCOMER) in flow(db, ESI1)


def test_mass_transition(run) -> None:  # type: ignore[no-untyped-def]
    db = run("mass-transition")
    for esi in (ESI0, ESI1, ESI2):
        assert rep(db, esi) == POLR
        assert ("814_14", ERCOT, POLR) in flow(db, esi) and ("814_15", POLR, ERCOT) in flow(db, esi)
    assert order(db, ESI1, "move_in")[0] == "cancelled"
    assert db.execute("SELECT detail FROM transactions WHERE code='814_25' AND receiver=?",
                      (INCUMBENT,)).fetchone() == ("reject A13",)
    files = {r[0] for r in db.execute("SELECT file FROM transactions WHERE code='814_03'")}
    bgn = [t.segments[1] for f in files for t in iter_transactions(db.out / f)]
    ts = [s for s in bgn if s.get(7) == "TS"]
    assert len(ts) == 3
    held = db.execute("SELECT file, ref FROM transactions WHERE code='814_14' AND esi_id=?", (ESI2,)).fetchone()
    txn = next(t for t in iter_transactions(db.out / held[0]) if t.segments[1].get(2) == held[1])
    assert any(s.id == "REF" and s.get(1) == "SH" and s.get(2) == "Y" for s in txn.segments)


def test_switch_hold(run) -> None:  # type: ignore[no-untyped-def]
    db = run("switch-hold-reject")
    assert order(db, ESI0)[0] == "rejected"
    assert db.execute("SELECT detail FROM transactions WHERE esi_id=? AND code='814_05'",
                      (ESI0,)).fetchone() == ("reject SHF",)
    codes = [c for c, _, _ in flow(db, ESI1)]
    assert codes.count("650_01") == 2 and codes.count("650_02") == 2
    states = [r[0] for r in db.execute("SELECT state FROM orders WHERE esi_id=? ORDER BY order_id", (ESI1,))]
    assert states == ["rejected", "completed"]  # held, then released


def test_unexecutable_and_permit(run) -> None:  # type: ignore[no-untyped-def]
    db = run("unexecutable")
    assert order(db, ESI0) == ("unexecutable", "2025-03-09", "T018")
    assert order(db, ESI1, "move_out")[0::2] == ("unexecutable", "T023")
    assert order(db, ESI1, "move_in")[0] == "completed"
    assert order(db, ESI2)[0] == "completed"
    codes = [c for c, _, _ in flow(db, ESI2)]
    assert codes.index("814_28") < codes.index("814_04") < codes.index("867_04")
    assert codes.count("814_29") == 2


def test_monthly_usage_invoice_and_payment(run) -> None:  # type: ignore[no-untyped-def]
    db = run("monthly-usage-invoice")
    for esi in (ESI0, ESI1, ESI2):
        codes = [c for c, _, _ in flow(db, esi) + [(c, s, r) for c, s, r, d in db.execute(
            "SELECT code, sender, receiver, detail FROM transactions WHERE esi_id=? AND detail='monthly'", (esi,))]]
        assert codes.count("867_03") >= 2 and codes.count("810_02") >= 1
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code='824' AND esi_id=?", (ESI1,)).fetchone()[0] >= 1
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE detail='corrected'").fetchone()[0] >= 1
    paid = db.execute(
        "SELECT p.sent_at, i.sent_at FROM transactions p JOIN transactions i ON i.ref = p.orig_ref "
        "AND i.code = '810_02' WHERE p.code = '820_02'").fetchall()
    assert paid, "invoices are paid 35 days after transmittal"
    for pay, inv in paid:  # due 35 calendar days after transmittal, rolled to a business day
        days = (dt.date.fromisoformat(pay[:10]) - dt.date.fromisoformat(inv[:10])).days
        assert 35 <= days <= 38, (pay, inv)


def test_named_faults(run) -> None:  # type: ignore[no-untyped-def]
    db = run("faults")
    late = db.execute("SELECT fault FROM transactions WHERE esi_id=? AND code='814_04'", (ESI0,)).fetchone()
    assert late == ("late",)
    assert db.execute("SELECT kind, code FROM faults").fetchall() == [("missing", "814_07")]
    assert db.execute("SELECT detail FROM transactions WHERE code='814_02'").fetchone() == ("reject ABN",)
    assert db.execute("SELECT detail FROM transactions WHERE code='814_17'").fetchone() == ("reject A76",)
    assert order(db, ESI1)[0] == "completed"
