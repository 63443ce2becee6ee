"""More flows of flows.md end to end: CSA, safety-net move-in, acquisition transfer, service
orders, late payment, ERCOT retail outages. Each asserts the transactions, their order and the
terminal states, and that the fault-free runs keep every checkable timing rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edi.texas_set.catalog import identify
from edi.validate import validate
from edi.x12 import iter_transactions
from ercot_sim.calendar import default_calendar
from ercot_sim.errors import ScenarioError
from ercot_sim.market.engine import run_scenario
from ercot_sim.market.tariff import LATE_PAYMENT_CHARGE
from ercot_sim.output.shard import canonical_transactions
from ercot_sim.scenario import load_scenario, load_scenario_text
from ercot_sim.timing import load_rules
from ercot_sim.timing.check import check_path
from tests.ercot_sim.flowkit import ROOT, Run, scenario_runner

INCUMBENT, NEWCOMER, POLR, LANDLORD = "123456789", "223456789", "323456789", "423456789"
ERCOT, ONCOR = "183529049", "1039940674000"
ESI0, ESI1, ESI2, ESI3 = (f"1044372000000000{i}" for i in range(1, 5))


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    return scenario_runner(tmp_path_factory)


def flow(db: Run, esi: str, codes: tuple[str, ...] = ()) -> list[tuple[str, str, str, str]]:
    """(code, sender, receiver, detail) of an ESI ID's transactions in order, without monthly usage."""
    rows = db.execute(
        "SELECT code, sender, receiver, detail FROM transactions WHERE esi_id = ? AND code != '997' "
        "ORDER BY sent_at, seq", (esi,)
    ).fetchall()
    return [(c, s, r, d) for c, s, r, d in rows if d != "monthly" and (not codes or c in codes)]


def steps(db: Run, esi: str, codes: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    return [(c, s, r) for c, s, r, _ in flow(db, esi, codes)]


def orders(db: Run, esi: str) -> list[tuple[str, str, str, str]]:
    return db.execute("SELECT kind, cr, state, detail FROM orders WHERE esi_id = ? ORDER BY submitted_at, order_id",
                      (esi,)).fetchall()


def rep(db: Run, esi: str) -> str:
    return db.execute("SELECT rep FROM registry WHERE esi_id = ?", (esi,)).fetchone()[0]


def test_csa_establish_and_nfi(run) -> None:  # type: ignore[no-untyped-def]
    db = run("csa")
    got = flow(db, ESI0, ("814_18", "814_19"))
    assert [(c, s, r) for c, s, r, _ in got] == [
        ("814_18", LANDLORD, ERCOT), ("814_19", ERCOT, LANDLORD),
        ("814_18", NEWCOMER, ERCOT), ("814_19", ERCOT, NEWCOMER),
    ]
    assert got[1][3].startswith("establish") and got[3][3] == "reject NFI"


def test_csa_move_out_goes_to_the_csa_cr(run) -> None:  # type: ignore[no-untyped-def]
    db = run("csa")
    s = steps(db, ESI0)
    first = s.index(("814_24", INCUMBENT, ERCOT))
    tail = s[first:]
    assert tail[:4] == [("814_24", INCUMBENT, ERCOT), ("814_22", ERCOT, LANDLORD),
                        ("814_23", LANDLORD, ERCOT), ("814_03", ERCOT, ONCOR)]
    assert ("814_24", ERCOT, ONCOR) not in s[: s.index(("814_24", LANDLORD, ERCOT))]  # no plain move-out
    assert tail.index(("814_04", ONCOR, ERCOT)) < tail.index(("814_25", ERCOT, INCUMBENT))
    assert tail.index(("814_04", ONCOR, ERCOT)) < tail.index(("814_05", ERCOT, LANDLORD))
    assert tail.index(("867_04", ONCOR, ERCOT)) < tail.index(("867_04", ERCOT, LANDLORD))
    assert ("867_03", ERCOT, INCUMBENT) in tail and ("814_06", ERCOT, INCUMBENT) not in tail
    kinds = {(k, cr): (st, d) for k, cr, st, d in orders(db, ESI0)}
    assert kinds[("csa_move_in", LANDLORD)][0] == "completed"
    assert kinds[("move_out", INCUMBENT)] == ("completed", kinds[("move_out", INCUMBENT)][1])
    assert kinds[("move_out", INCUMBENT)][1].startswith("CSA CR move-in")


def test_csa_bypass_only_for_the_csa_cr(run) -> None:  # type: ignore[no-untyped-def]
    db = run("csa")
    # the CSA CR (REP of record by then) bypasses its own CSA: a plain move-out to the TDSP
    s = steps(db, ESI0)
    last = s[s.index(("814_24", LANDLORD, ERCOT)):]
    assert last[:4] == [("814_24", LANDLORD, ERCOT), ("814_24", ERCOT, ONCOR), ("814_25", ONCOR, ERCOT),
                        ("814_25", ERCOT, LANDLORD)]
    assert ("867_03", ERCOT, LANDLORD) in last and ("814_22", ERCOT, LANDLORD) not in last
    assert rep(db, ESI0) == ""
    # another CR's REF*2W is rejected; after the CSA is deleted its move-out goes to the TDSP
    got = flow(db, ESI1, ("814_18", "814_19", "814_24", "814_25", "814_22"))
    assert [(c, s_, r) for c, s_, r, _ in got] == [
        ("814_18", LANDLORD, ERCOT), ("814_19", ERCOT, LANDLORD),
        ("814_24", INCUMBENT, ERCOT), ("814_25", ERCOT, INCUMBENT),
        ("814_18", LANDLORD, ERCOT), ("814_19", ERCOT, LANDLORD),
        ("814_24", INCUMBENT, ERCOT), ("814_24", ERCOT, ONCOR), ("814_25", ONCOR, ERCOT),
        ("814_25", ERCOT, INCUMBENT),
    ]
    assert got[3][3] == "reject A13"
    assert [st for _, _, st, _ in orders(db, ESI1)] == ["completed"] * 3
    assert rep(db, ESI1) == ""


def test_safety_net_when_no_814_05_by_the_deadline(run) -> None:  # type: ignore[no-untyped-def]
    db = run("safety-net")
    s = steps(db, ESI0)
    assert s[:4] == [("814_16", NEWCOMER, ERCOT), ("safety-net", NEWCOMER, ONCOR), ("814_03", ERCOT, ONCOR),
                     ("814_04", ONCOR, ERCOT)]
    assert s.index(("814_05", ERCOT, NEWCOMER)) > s.index(("safety-net", NEWCOMER, ONCOR))
    assert s.index(("867_04", ONCOR, ERCOT)) < s.index(("867_04", ERCOT, NEWCOMER))
    row = db.execute("SELECT sent_at, file, st_control, orig_ref FROM transactions WHERE code = 'safety-net' "
                     "AND esi_id = ?", (ESI0,)).fetchone()
    assert row[1] == "" and row[2] == "" and row[3].startswith("C")  # out of band, matched to the 814_16
    # D1 (RMG since RMGRR162): by 15:00 of the business day before the move-in (2025-03-06),
    # not before 12:00 two business days before it (2025-03-04)
    assert row[0][:10] == "2025-03-05" and row[0][11:16] <= "15:00"
    assert [st for _, _, st, _ in orders(db, ESI0)] == ["completed"] and rep(db, ESI0) == NEWCOMER


def test_safety_net_only_when_needed(run) -> None:  # type: ignore[no-untyped-def]
    db = run("safety-net")
    # the 814_03 reached the TDSP first: the safety net is sent, the TDSP works one order
    s = steps(db, ESI1)
    assert s.index(("814_03", ERCOT, ONCOR)) < s.index(("safety-net", NEWCOMER, ONCOR))
    assert s.count(("867_04", ONCOR, ERCOT)) == 1 and s.count(("814_04", ONCOR, ERCOT)) == 1
    # the 814_05 came before the deadline: no safety net
    assert ("safety-net", NEWCOMER, ONCOR) not in steps(db, ESI2)
    assert rep(db, ESI1) == rep(db, ESI2) == NEWCOMER


GULF, BAYOU, LONE_STAR = "123456789", "523456789", "423456789"


def test_acquisition_transfer(run) -> None:  # type: ignore[no-untyped-def]
    db = run("acquisition")
    rows = db.execute("SELECT esi_id, detail, sent_at FROM transactions WHERE code = '814_03' AND detail LIKE 'AQ %' "
                      "ORDER BY esi_id").fetchall()
    esis = [r[0] for r in rows]
    # every ESI ID of the two losing CRs except the one with a pending switch
    assert ESI0 not in esis and esis == sorted(f"1044372000000000{i}" for i in range(2, 7))
    rules = load_rules()
    day = dt.date(2025, 3, 5)  # the acquisitions' day
    fasd = default_calendar().add_business_days(day, int(rules.default("fasd").value), "ERCOT")
    c7 = rules.deadline("C7-ercot-acquisition-date", dt.datetime(2025, 3, 5, 8, 0)).date()
    assert {r[1] for r in rows} == {f"AQ {fasd:%Y%m%d}", f"AQ {c7:%Y%m%d}"}
    for esi in esis:
        s = steps(db, esi, ("814_03", "814_04", "814_05", "814_06", "867_04"))
        assert s[:2] == [("814_03", ERCOT, ONCOR), ("814_04", ONCOR, ERCOT)]
        assert ("814_05", ERCOT, LONE_STAR) in s[2:4]
        assert s.index(("867_04", ONCOR, ERCOT)) < s.index(("867_04", ERCOT, LONE_STAR))
    kinds = db.execute("SELECT state, COUNT(*) FROM orders WHERE kind = 'acquisition' GROUP BY state").fetchall()
    assert kinds == [("completed", 5)]
    assert rep(db, ESI0) == NEWCOMER and rep(db, ESI2) == LONE_STAR
    # BGN07=AQ on the 814_03 and the 814_05
    bgn07 = []
    for f in sorted(db.out.glob("outbox/*/*.x12")):
        for t in iter_transactions(f):
            if t.st01 == "814" and any(seg[:3] == ["REF", "Q5", ESI2] for seg in t.raw):
                bgn = next(seg for seg in t.raw if seg[0] == "BGN")
                bgn07.append((t.receiver, bgn[7] if len(bgn) > 7 else ""))
    assert (ONCOR, "AQ") in bgn07 and (LONE_STAR, "AQ") in bgn07


def test_acquisition_does_not_move_csas(run) -> None:  # type: ignore[no-untyped-def]
    db = run("acquisition")
    s = steps(db, ESI3)
    # the CSA of the losing CR stays: the acquiring CR's move-out goes to it
    tail = s[s.index(("814_24", LONE_STAR, ERCOT)):]
    assert tail[:3] == [("814_24", LONE_STAR, ERCOT), ("814_22", ERCOT, GULF), ("814_23", GULF, ERCOT)]
    assert rep(db, ESI3) == GULF


def x12_segments(db: Run, esi: str, code: str) -> list[list[list[str]]]:
    """Segments of each X12 transaction of ``code`` (``650_02``) for an ESI ID, in file order."""
    st01, out = code[:3], []
    for f in sorted(db.out.glob("outbox/*/*.x12")):
        for t in iter_transactions(f):
            if t.st01 == st01 and any(seg[:3] == ["REF", "Q5", esi] for seg in t.raw) \
                    and identify(t).code == code:
                out.append(t.raw)
    return out


def _ref(segs: list[list[str]], qual: str) -> str:
    return next((seg[2] for seg in segs if seg[:2] == ["REF", qual]), "")


def test_disconnect_and_reconnect(run) -> None:  # type: ignore[no-untyped-def]
    db = run("service-orders")
    got = flow(db, ESI0)
    assert [(c, s_, r) for c, s_, r, _ in got] == [
        ("650_01", INCUMBENT, ONCOR), ("650_02", ONCOR, INCUMBENT),
        ("650_01", INCUMBENT, ONCOR), ("650_02", ONCOR, INCUMBENT),
    ]
    assert [d for *_, d in got][1::2] == ["DNP completed", "RNP completed"]
    answers = x12_segments(db, ESI0, "650_02")
    assert [_ref(a, "1P") for a in answers] == ["CMP", "CMP"]
    # the disconnect is worked on the requested date, not before
    sent = db.execute("SELECT sent_at FROM transactions WHERE esi_id = ? AND code = '650_02' ORDER BY seq",
                      (ESI0,)).fetchone()[0]
    assert sent[:10] == "2025-03-06"


def test_service_order_rejects(run) -> None:  # type: ignore[no-untyped-def]
    db = run("service-orders")
    got = flow(db, ESI1)
    assert [d for *_, d in got][1::2] == ["RNP reject A13", "DNP reject WTM"]
    answers = x12_segments(db, ESI1, "650_02")
    assert [(_ref(a, "1P"), _ref(a, "7G")) for a in answers] == [("REJ", "A13"), ("REJ", "WTM")]


def test_outage_notice_and_reactivation(run) -> None:  # type: ignore[no-untyped-def]
    db = run("service-orders")
    assert [s_ for s_ in steps(db, ESI2) if s_[0] == "650_04"] == [("650_04", ONCOR, INCUMBENT)] * 2
    notices = x12_segments(db, ESI2, "650_04")
    bgn01 = [next(seg for seg in n if seg[0] == "BGN")[1] for n in notices]
    assert bgn01[0] != bgn01[1]  # original, then reactivation
    dtm = {(seg[1], seg[2]) for seg in notices[0] if seg[0] == "DTM"}
    assert ("150", "20250307") in dtm and ("151", "20250309") in dtm


def test_the_cr_rejects_a_suspension_notice(run) -> None:  # type: ignore[no-untyped-def]
    db = run("service-orders")  # a scenario fault makes INCUMBENT reject ESI 2's notices
    got = db.execute("SELECT code, sender, receiver, ref, orig_ref, detail FROM transactions "
                     "WHERE esi_id = ? AND code IN ('650_04', '650_05') ORDER BY seq", (ESI2,)).fetchall()
    notices = [r for r in got if r[0] == "650_04"]
    rejects = [r for r in got if r[0] == "650_05"]
    assert [(c, s_, r_, d) for c, s_, r_, _, _, d in rejects] == [("650_05", INCUMBENT, ONCOR, "reject A13")] * 2
    assert [r[4] for r in rejects] == [n[3] for n in notices]  # each names the 650_04 it rejects
    x12 = x12_segments(db, ESI2, "650_05")
    assert [(_ref(t, "7G"), next(seg for seg in t if seg[0] == "BGN")[6]) for t in x12] == \
        [("A13", n[3]) for n in notices]
    # ESI IDs it serves and has no fault for: no reject
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '650_05' AND esi_id != ?",
                      (ESI2,)).fetchone() == (0,)


def test_retail_outage_queues_at_ercot(run) -> None:  # type: ignore[no-untyped-def]
    db = run("retail-outage")
    start, end = "2025-03-08T14:00", "2025-03-10T00:00"
    during = db.execute("SELECT code, sender, receiver FROM transactions WHERE (sender = ? OR receiver = ?) "
                        "AND sent_at >= ? AND sent_at < ?", (ERCOT, ERCOT, start, end)).fetchall()
    assert during == []  # nothing goes to or from ERCOT during the window, 997s included
    for esi, request, forward in ((ESI0, "814_01", "814_03"), (ESI1, "814_24", "814_24"), (ESI2, "814_20", "814_21")):
        rows = db.execute("SELECT code, sender, sent_at FROM transactions WHERE esi_id = ? AND code IN (?, ?) "
                          "ORDER BY seq", (esi, request, forward)).fetchall()
        # made during the outage (Saturday afternoon), queued at its sender, sent in the first
        # delivery window after the end
        assert rows[0][0] == request and rows[0][1] != ERCOT and rows[0][2].startswith("2025-03-10T00:30")
        assert rows[1][0] == forward and rows[1][1] == ERCOT and rows[1][2] > rows[0][2]  # worked after it
    # the queued orders still end in their terminal states
    assert [st for _, _, st, _ in orders(db, ESI0)] == ["completed"] and rep(db, ESI0) == NEWCOMER
    assert [st for _, _, st, _ in orders(db, ESI1)] == ["completed"] and rep(db, ESI1) == ""
    # a switch sent before the outage is forwarded the same day
    s = db.execute("SELECT sent_at FROM transactions WHERE esi_id = ? AND code IN ('814_01', '814_03') ORDER BY seq",
                   (ESI3,)).fetchall()
    assert s[0][0][:10] == s[1][0][:10] == "2025-03-05"
    # the windows are in the trace, for the checker
    assert db.execute("SELECT party, role, start, end, rule FROM outages ORDER BY start").fetchall() == [
        (ERCOT, "ERCOT", "2025-03-08T14:00:00-06:00", "2025-03-10T00:00:00-05:00", "A7"),
        (ERCOT, "ERCOT", "2025-03-13T09:00:00-05:00", "2025-03-14T12:00:00-05:00", "A7")]


def test_safety_net_worked_before_its_814_03(run) -> None:  # type: ignore[no-untyped-def]
    db = run("retail-outage")
    esi = "10443720000000005"
    s = steps(db, esi)
    # the 814_16 made during the outage waits for its end; the safety net goes to the TDSP
    # directly by the D1 deadline (15:00 the day before), before the 814_16 reaches ERCOT
    assert s[:4] == [("safety-net", NEWCOMER, ONCOR), ("814_16", NEWCOMER, ERCOT), ("814_03", ERCOT, ONCOR),
                     ("814_04", ONCOR, ERCOT)]
    # the premise was energized on Friday morning, inside the outage; the reads follow the 814_04
    assert s.index(("814_04", ONCOR, ERCOT)) < s.index(("867_04", ONCOR, ERCOT))
    assert s.index(("867_04", ONCOR, ERCOT)) < s.index(("867_04", ERCOT, NEWCOMER))
    assert ("867_03", ERCOT, INCUMBENT) in s and ("814_06", ERCOT, INCUMBENT) in s
    sent_03 = db.execute("SELECT sent_at FROM transactions WHERE esi_id = ? AND code = '814_03'", (esi,)).fetchone()[0]
    assert sent_03 >= "2025-03-14T12:00"  # after the weekday outage
    assert [st for _, _, st, _ in orders(db, esi)] == ["completed"] and rep(db, esi) == NEWCOMER


@pytest.fixture(scope="module")
def late(tmp_path_factory) -> Run:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("late-payment")
    result = run_scenario(load_scenario(ROOT / "scenarios" / "late-payment.toml"), out)
    return Run(out, result.trace)


def test_late_payment_leads_to_a_late_payment_invoice(late: Run) -> None:
    rows = late.execute("SELECT code, sender, receiver, ref, orig_ref, detail, fault, sent_at FROM transactions "
                        "WHERE esi_id = ? AND code IN ('810_02', '820_02') ORDER BY sent_at, seq", (ESI0,)).fetchall()
    first = rows[0]
    assert first[:3] == ("810_02", ONCOR, INCUMBENT) and first[5] == "monthly"
    pay = next(r for r in rows if r[0] == "820_02")
    assert pay[1:3] == (INCUMBENT, ONCOR) and pay[4] == first[3] and pay[6] == "late"
    fee = [r for r in rows if r[5].startswith("late payment")]
    assert len(fee) == 1 and fee[0][1:3] == (ONCOR, INCUMBENT) and fee[0][7] > pay[7]
    assert fee[0][5] == f"late payment {first[3]}"
    invoices = x12_segments(late, ESI0, "810_02")
    charges = [[seg[4] for seg in inv if seg[0] == "SAC"] for inv in invoices]
    assert [LATE_PAYMENT_CHARGE] in charges and ["BAS001", "DIS001", "TRN002"] in charges
    # the payment was late against rule E8 (35 calendar days after transmittal, rolled forward)
    rules = load_rules()
    sent = dt.datetime.fromisoformat(first[7])
    assert dt.datetime.fromisoformat(pay[7]) > rules.deadline("E8-cr-820_02", sent)


def test_on_time_payments_get_no_late_charge(run) -> None:  # type: ignore[no-untyped-def]
    db = run("monthly-usage-invoice")  # fault-free: its 820_02s are on time, no late-payment 810_02
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '820_02'").fetchone()[0] > 0
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE detail LIKE 'late payment%'").fetchone()[0] == 0


def test_late_payment_files_validate(late: Run) -> None:
    report = validate(*sorted(late.out.glob("outbox/*/*.x12")))
    assert report.transactions > 0 and report.ok, report.to_text()


@pytest.mark.parametrize("name", ["csa", "safety-net", "acquisition", "service-orders", "retail-outage"])
def test_fault_free_runs_keep_the_rules(run, name: str) -> None:  # type: ignore[no-untyped-def]
    db = run(name)
    result = check_path(db.out)
    assert result.violations == [], [str(v) for v in result.violations[:5]]
    assert sum(r.decided for r in result.rules) > 0  # the rules judged something
    states = {s for (s,) in db.execute("SELECT DISTINCT state FROM orders")}
    assert states <= {"completed", "rejected", "cancelled", "unexecutable"}  # service orders make none
    assert states or name == "service-orders"


def test_acquisition_shards_give_the_same_transactions(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "acquisition.toml")
    whole = run_scenario(scenario, tmp_path / "all")
    parts = [run_scenario(scenario, tmp_path / f"s{i}", shard=(i, 2)) for i in range(2)]
    assert canonical_transactions([whole.trace]) == canonical_transactions([p.trace for p in parts])


_BASE = (ROOT / "scenarios" / "csa.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("extra, where", [
    ('[[acquisitions]]\ncr = "INCUMBENT"\nto = "NOBODY"\nday = 1\n', "acquisitions[0].to"),
    ('[[retail_outages]]\nday = 3\nend_day = 2\n', "retail_outages[0]"),
    ('[[weather_moratoriums]]\ntdsp = "CENTERPOINT"\nday = 1\n', "weather_moratoriums[0].tdsp"),
    ('[[events]]\nkind = "switch"\nesi_index = 0\nday = 1\ncr = "NEWCOMER"\ndelete = true\n', "events[8]"),
    ('[[events]]\nkind = "disconnect"\nesi_index = 0\nday = 1\n', "events[8]"),
])
def test_new_scenario_data_errors_are_located(extra: str, where: str) -> None:
    text = _BASE + "\n" + extra
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "x.toml")
    line = text.count("\n", 0, text.index(extra)) + 1
    message = str(info.value)
    assert "x.toml" in message and where in message
    assert any(f"line {n}" in message for n in range(line, line + extra.count("\n") + 1)), message


def test_safety_net_withdrawn_when_ercot_rejects_the_move_in(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "safety-net.toml").read_text(encoding="utf-8").split("[[events]]")[0] + """
# NEWCOMER defaults in the morning: ERCOT rejects its move-in after the safety net went out
[[mass_transitions]]
cr = "NEWCOMER"
day = 2
polr = "POLR ONE"

[[events]]
kind = "move_in"
esi_index = 0
day = 2
at = "12:45"
cr = "NEWCOMER"
requested_day = 3
"""
    result = run_scenario(load_scenario_text(text, "withdrawn.toml"), tmp_path)
    db = Run(tmp_path, result.trace)
    assert steps(db, ESI0) == [("814_16", NEWCOMER, ERCOT), ("safety-net", NEWCOMER, ONCOR),
                               ("814_17", ERCOT, NEWCOMER), ("safety-net-cancel", NEWCOMER, ONCOR)]
    assert rep(db, ESI0) == INCUMBENT  # the TDSP did not connect the premise for NEWCOMER
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code LIKE '867%' AND esi_id = ? "
                      "AND detail != 'monthly'", (ESI0,)).fetchone()[0] == 0


_EARLY_NET = """
# A move-in for Monday 10 Mar made on Monday 3 Mar; the TDSP's 814_04 is three days late, so
# no 814_05 has come when the CR looks again
[[events]]
kind = "move_in"
esi_index = 0
day = 0
at = "08:30"
cr = "NEWCOMER"
requested_day = 7

[[faults]]
kind = "late"
participant = "ONCOR"
esi_index = 0
code = "814_04"
delay_minutes = 4320
"""


@pytest.mark.parametrize("override,sent", [
    ("", "2025-03-07T14:30"),  # shipped rules: half an hour before the 15:00 deadline on Friday
    # a deadline four business days ahead (Tue 4 Mar 15:00) would have the CR look on Tuesday,
    # but the TDSP takes no safety net before 12:00 two business days ahead (Thu 6 Mar)
    ('[[rules]]\nid = "D1-cr-safety-net-rmg162"\ndeadline = { amount = 4 }\n', "2025-03-06T12:00"),
    ('[[rules]]\nid = "D1-cr-safety-net-rmg162"\ndeadline = { amount = 4 }\n'
     '[[rules]]\nid = "D1-tdsp-safety-net-early"\nenabled = false\n', "2025-03-04T14:30"),
])
def test_cr_never_sends_a_safety_net_before_the_tdsp_takes_it(tmp_path: Path, override: str,
                                                               sent: str) -> None:
    base = (ROOT / "scenarios" / "safety-net.toml").read_text(encoding="utf-8").split("[[events]]")[0]
    text = base + _EARLY_NET
    rules = tmp_path / "rules.toml"
    rules.write_text(override, encoding="utf-8")
    result = run_scenario(load_scenario_text(text, "early.toml"), tmp_path / "run", rules=rules)
    db = Run(tmp_path / "run", result.trace)
    rows = db.execute("SELECT sent_at FROM transactions WHERE code = 'safety-net' AND esi_id = ?",
                      (ESI0,)).fetchall()
    assert [r[0][:16] for r in rows] == [sent]
    assert [st for _, _, st, _ in orders(db, ESI0)] == ["completed"] and rep(db, ESI0) == NEWCOMER


def test_move_out_at_a_tampered_premise_needs_a_second_request(run) -> None:  # type: ignore[no-untyped-def]
    db = run("move-out-tampering")
    s = flow(db, ESI0)
    codes = [(c, snd, rcv) for c, snd, rcv, _ in s]
    # the tampering hold, then the first move-out: scheduled, but unexecutable when worked (T019)
    assert codes[:2] == [("814_20", ONCOR, ERCOT), ("814_21", ERCOT, ONCOR)]
    first = [d for c, _, _, d in s if c == "814_28"]
    assert first == ["unexecutable T019", "unexecutable T019"]  # TDSP -> ERCOT -> CR
    assert codes.index(("814_25", ONCOR, ERCOT)) < codes.index(("814_28", ONCOR, ERCOT))  # answers in order
    # the CR acknowledges and sends a second move-out request (2MR), which the TDSP completes
    assert ("814_29", INCUMBENT, ERCOT) in codes
    second = [d for c, snd, _, d in s if c == "814_24" and snd == INCUMBENT]
    assert len(second) == 2 and second[1].endswith("2MR")
    assert ("867_03", ERCOT, INCUMBENT) in codes and ("810_02", ONCOR, INCUMBENT) in codes  # final reads
    assert [(k, st, d) for k, _, st, d in orders(db, ESI0)] == [("move_out", "unexecutable", "T019"),
                                                                 ("move_out", "completed", "")]
    assert rep(db, ESI0) == ""
    # the 2MR is in the X12: REF*TD*2MR on the CR's 814_24 and on ERCOT's to the TDSP
    flagged = [t for t in x12_segments(db, ESI0, "814_24") if any(seg[:2] == ["REF", "TD"] for seg in t)]
    assert len(flagged) == 2 and all(["REF", "TD", "2MR"] in t for t in flagged)
    assert len(x12_segments(db, ESI0, "814_24")) == 4  # the first request has no REF*TD
    # without tampering the first request is completed
    assert [(k, st) for k, _, st, _ in orders(db, ESI1)] == [("move_out", "completed")]


THIRD = "423456789"


def test_rescission_after_the_switch_by_a_backdated_move_in(run) -> None:  # type: ignore[no-untyped-def]
    db = run("rescission-backdated")
    codes = steps(db, ESI0)
    # the customer rescinds with NEWCOMER after completion: MarkeTrak, not an 814_08 (C10)
    assert ("814_08", NEWCOMER, ERCOT) not in codes
    issue = [c for c in codes if c[0].startswith("marketrak")]
    assert issue == [("marketrak-rescission", NEWCOMER, ERCOT), ("marketrak-rescission", ERCOT, INCUMBENT),
                     ("marketrak-agree", INCUMBENT, ONCOR), ("marketrak-ready-to-receive", ONCOR, INCUMBENT)]
    assert codes.index(issue[-1]) < codes.index(("814_16", INCUMBENT, ERCOT))
    # the backdated 814_16: confirmed before its reads, the customer is back with INCUMBENT
    # from the switch date
    back = codes.index(("814_16", INCUMBENT, ERCOT))
    after = codes[back:]
    assert after.index(("814_04", ONCOR, ERCOT)) < after.index(("867_04", ONCOR, ERCOT))
    assert ("814_05", ERCOT, INCUMBENT) in after and ("814_06", ERCOT, NEWCOMER) in after
    assert ("867_03", ERCOT, NEWCOMER) in after  # NEWCOMER's final read
    read = [d for c, s_, r_, d in flow(db, ESI0) if c == "867_04" and r_ == INCUMBENT]
    assert read == ["read 20250307"]  # the switch date: as if the switch never happened
    assert [(k, cr, st) for k, cr, st, _ in orders(db, ESI0)] == [("switch", NEWCOMER, "completed"),
                                                                   ("move_in", INCUMBENT, "completed")]
    assert rep(db, ESI0) == INCUMBENT
    # rejected: a third CR gained the ESI ID since (LFG), a move-out was completed since (MVO)
    for esi, code, keeper in ((ESI1, "LFG", THIRD), (ESI2, "MVO", "")):
        got = [(c, s_, r_, d) for c, s_, r_, d in flow(db, esi) if c in ("814_04", "814_05") and "reject" in d]
        assert got == [("814_04", ONCOR, ERCOT, f"reject {code}"), ("814_05", ERCOT, INCUMBENT, f"reject {code}")]
        assert orders(db, esi)[-1][2:] == ("rejected", f"tdsp {code}")
        assert rep(db, esi) == keeper
        reject = [t for t in x12_segments(db, esi, "814_05") if any(seg[:2] == ["REF", "7G"] for seg in t)]
        assert [_ref(t, "7G") for t in reject] == [code]


def _models(db: Run, code: str) -> list[object]:
    """Every transaction ``code`` of a run's files, read back into its model."""
    from edi.texas_set.mapping import read_models

    out = []
    for path in sorted((db.out / "outbox").rglob("*.x12")):
        out += [m for m in read_models(path) if m.code == code]
    return out


def test_a_650_02_answers_with_the_order_type_it_answers(run) -> None:  # type: ignore[no-untyped-def]
    """The switch-hold answers name the request's order type (SH001 placed, SH002 removed)."""
    db = run("switch-hold-reject")
    asked = {m.ref: m.order_type for m in _models(db, "650_01")}  # type: ignore[attr-defined]
    answers = _models(db, "650_02")
    assert {m.order_type for m in answers} >= {"SH001", "SH002"}  # type: ignore[attr-defined]
    for m in answers:
        assert m.order_type == asked[m.orig_ref]  # type: ignore[attr-defined]


def test_an_814_20_is_effective_the_day_the_tdsp_made_the_change(run) -> None:  # type: ignore[no-untyped-def]
    """A switch hold placed during a retail outage reaches ERCOT after it, effective the day it
    was placed (DTM*007), not the day it could be sent (BGN03)."""
    db = run("retail-outage")
    held = [m for m in _models(db, "814_20") if m.maintenance_reason == "SHS"]  # type: ignore[attr-defined]
    assert held and any(m.effective_date < m.date for m in held)  # type: ignore[attr-defined]
    assert all(m.effective_date <= m.date for m in held)  # type: ignore[attr-defined]


# -- an invoice whose total is wrong, and a flight's penny test -------------------------------------


def _tds(out: Path, ref: str) -> tuple[int, int, list[str]]:
    """TDS01 of invoice ``ref`` in the run's files, the sum of its SAC05 lines, and the TED01
    codes of any 824 that names it."""
    total, lines, teds = -1, 0, []
    for path in sorted((out / "outbox").rglob("*.x12")):
        for txn in iter_transactions(path):
            segs = [s.elements for s in txn.segments]
            if any(e[0] == "BIG" and e[2] == ref for e in segs):
                total = next(int(e[1]) for e in segs if e[0] == "TDS")
                lines = sum(int(e[5]) for e in segs if e[0] == "SAC")
            if any(e[0] == "OTI" and ref in e for e in segs):
                teds += [e[1] for e in segs if e[0] == "TED"]
    return total, lines, teds


def test_a_wrong_invoice_total_is_rejected_with_an_824_and_corrected(tmp_path: Path) -> None:
    """A ``wrong_total`` fault on the TDSP: its 810_02 bills a TDS01 a dollar over its lines;
    the CR's own check rejects it with an 824 (TED01 012); the corrected invoice is right and
    paid; the file still passes the validator (the total is the CR's to judge, not X12's)."""
    text = (ROOT / "scenarios" / "monthly-usage-invoice.toml").read_text().split("[[faults]]")[0] + (
        '[[faults]]\nkind = "wrong_total"\nparticipant = "ONCOR"\nesi_index = 2\ncode = "810_02"\n')
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    db = Run(out, out / "trace.sqlite")
    bad = db.execute("SELECT ref FROM transactions WHERE code = '810_02' AND esi_id = ? AND fault = 'wrong_total' "
                     "ORDER BY seq", (ESI2,)).fetchall()
    assert bad, "the fault planted nothing"
    total, lines, teds = _tds(out, bad[0][0])
    assert total == lines + 100 and teds == ["012"]
    fixed = db.execute("SELECT ref FROM transactions WHERE code = '810_02' AND detail = 'corrected' AND esi_id = ?",
                       (ESI2,)).fetchall()
    assert len(fixed) == len(bad)  # every wrong invoice corrected once
    total, lines, teds = _tds(out, fixed[0][0])
    assert total == lines and teds == []
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '820_02' AND orig_ref = ?",
                      (fixed[0][0],)).fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '820_02' AND orig_ref = ?",
                      (bad[0][0],)).fetchone()[0] == 0  # the wrong one is never paid
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '810_02' AND fault = 'wrong_total' "
                      "AND esi_id != ?", (ESI2,)).fetchone()[0] == 0
    assert all(validate(p).ok for p in (out / "outbox").rglob("*.x12"))


def test_a_penny_invoice_is_paid_the_next_business_day_and_is_no_meter_read(tmp_path: Path) -> None:
    """A ``penny_invoice`` event (a flight's penny test): the TDSP bills the CR one cent, due
    the next business day; the CR pays exactly that; no read-based rule asks for a 867_03."""
    text = (ROOT / "scenarios" / "monthly-usage-invoice.toml").read_text().split("[[faults]]")[0] + (
        '[[events]]\nkind = "penny_invoice"\nesi_index = 0\nday = 4\ncr = "NEWCOMER"\n')
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    db = Run(out, out / "trace.sqlite")
    (ref, sent), = db.execute("SELECT ref, sent_at FROM transactions WHERE code = '810_02' AND receiver = ? "
                              "AND detail = 'penny test'", (NEWCOMER,)).fetchall()
    assert _tds(out, ref)[:2] == (1, 1)
    (paid,), = db.execute("SELECT sent_at FROM transactions WHERE code = '820_02' AND orig_ref = ?", (ref,))
    assert sent[:10] == "2025-03-07" and paid[:10] == "2025-03-10"  # a Friday's penny, paid on Monday
    result = check_path(out)
    assert not [v for v in result.violations if v.trigger.ref == ref]


def test_a_date_change_behind_a_cancel_is_rejected_with_its_iteration(tmp_path: Path) -> None:
    """A CR's date change that reaches ERCOT after its cancel of the same order (found in the
    whole-market month): ERCOT rejects it (814_13 A13) carrying the 814_12's iteration, which
    the 814_13's guide makes mandatory; every file validates."""
    text = (ROOT / "scenarios" / "switch-standard.toml").read_text().split("[[events]]")[0] + "".join(
        f'\n[[events]]\nkind = "{kind}"\nesi_index = 0\nday = {day}\ncr = "NEWCOMER"\n{extra}'
        for kind, day, extra in (("switch", 1, "requested_day = 20\n"), ("cancel", 3, ""),
                                 ("date_change", 3, "requested_day = 22\n")))
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    db = Run(out, out / "trace.sqlite")
    assert steps(db, ESI0, ("814_08", "814_12", "814_13", "814_09")) == [
        ("814_08", NEWCOMER, ERCOT), ("814_12", NEWCOMER, ERCOT), ("814_08", ERCOT, ONCOR),
        ("814_13", ERCOT, NEWCOMER), ("814_09", ONCOR, ERCOT), ("814_09", ERCOT, NEWCOMER)]
    assert flow(db, ESI0, ("814_13",))[0][3] == "reject A13"
    assert all(validate(p).ok for p in (out / "outbox").rglob("*.x12"))




@pytest.mark.parametrize("drawn,sent,rejected", [(True, "date 20250312", False), (False, "date 20250311", True)])
def test_a_date_change_asked_on_a_saturday(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drawn: bool, sent: str,
                                           rejected: bool) -> None:
    """A customer asks on a Saturday to move a move-in to the Tuesday (found in the whole-market
    month, among the date changes drawn from the rates: the TDSP took it, and the checker found
    the CR late for C9). As everyday work the CR asks for the first date that gives the TDSP two
    business days' notice from the next business day (Wednesday), and the run keeps C9; a
    scenario's own event is sent as written, and the TDSP, counting the notice as C9 does,
    rejects it TDR."""
    import dataclasses

    from ercot_sim.market import builder

    text = (ROOT / "scenarios" / "switch-standard.toml").read_text().split("[[events]]")[0] + "".join(
        f'\n[[events]]\nkind = "{kind}"\nesi_index = 0\nday = {day}\ncr = "NEWCOMER"\nrequested_day = {req}\n'
        for kind, day, req in (("move_in", 1, 12), ("date_change", 5, 8)))
    assert dt.date(2025, 3, 3) + dt.timedelta(days=5) == dt.date(2025, 3, 8)  # a Saturday
    real = builder.build_population

    def as_drawn(scenario, shard=(0, 1)):  # type: ignore[no-untyped-def]
        pop = real(scenario, shard)
        pop.events[:] = [dataclasses.replace(pe, drawn=drawn) if pe.event.kind == "date_change" else pe
                         for pe in pop.events]
        return pop

    monkeypatch.setattr(builder, "build_population", as_drawn)
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    db = Run(out, out / "trace.sqlite")
    assert [d for c, s, _r, d in flow(db, ESI0, ("814_12",)) if s == NEWCOMER] == [sent]
    assert [d for c, s, _r, d in flow(db, ESI0, ("814_13",)) if s == ONCOR] == (
        ["reject TDR"] if rejected else ["date 20250312"])
    c9 = check_path(out).rule("C9-cr-814_12-notice")
    # a date change the TDSP rejected is not judged (its TDR is the market's answer to it)
    assert (c9.on_time, c9.late) == ((0, 0) if rejected else (1, 0)), c9
