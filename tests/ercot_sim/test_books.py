"""The participants' books (each one's own view of who serves an ESI ID, from what it sent and
received) and ``reconcile``: with no fault every view agrees with ERCOT's; every variance
reconcile reports is explained by a fault planted on its ESI ID; and the command's output."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ercot_sim.books.reconcile import reconcile
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario, load_scenario_text
from tests.conftest import FLOW_SCENARIOS, examples

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = FLOW_SCENARIOS


def _last_day(scenario_text_or_path: Path | str) -> dt.date:
    sc = (load_scenario(scenario_text_or_path) if isinstance(scenario_text_or_path, Path)
          else load_scenario_text(scenario_text_or_path))
    return sc.scenario.start + dt.timedelta(days=sc.scenario.days - 1)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_agrees_with_ercot_but_for_its_faults(tmp_path: Path, path: Path) -> None:
    out = tmp_path / "run"
    run_scenario(load_scenario(path), out)
    variances = reconcile(out / "trace.sqlite", _last_day(path), settle_days=0)
    assert all(v.faults for v in variances), [(v.esi_id, v.party, v.kind) for v in variances if not v.faults]
    if "[[faults]]" not in path.read_text():
        assert variances == []


BASE = (ROOT / "scenarios" / "switch-standard.toml").read_text().split("[[events]]")[0].replace(
    "esi_ids = 2", "esi_ids = 6")
EVENTS = """
[[events]]
kind = "switch"
esi_index = 0
day = 1
cr = "NEWCOMER"

[[events]]
kind = "switch"
esi_index = 1
day = 2
cr = "NEWCOMER"
requested_day = 9

[[events]]
kind = "move_in"
esi_index = 2
day = 3
cr = "NEWCOMER"

[[events]]
kind = "move_out"
esi_index = 3
day = 4
cr = "INCUMBENT"
requested_day = 8

[[events]]
kind = "move_in"
esi_index = 4
day = 5
cr = "NEWCOMER"
priority = true
"""

#: an 867_04 ERCOT never passes on (ESI ID ...01): its CR looks for it five business days after
#: it was due (2025-03-12), and a MarkeTrak issue has it sent again
LOST_867_04 = BASE + EVENTS + '\n[[faults]]\nkind = "missing"\nparticipant = "ERCOT"\nesi_index = 0\ncode = "867_04"\n'
#: the final 867_03 of ESI ID ...01's switch that ERCOT never passes on to the losing CR, which
#: awaits nothing: it never learns of its loss
LOST_FINAL_867_03 = LOST_867_04.replace('code = "867_04"', 'code = "867_03"')

FAULT = st.fixed_dictionaries({
    "kind": st.sampled_from(["missing", "late", "duplicate", "out_of_order"]),
    "participant": st.sampled_from(["ERCOT", "ONCOR", "INCUMBENT", "NEWCOMER"]),
    "esi_index": st.integers(0, 5),
    "code": st.sampled_from(["867_04", "867_03", "814_04", "814_05", "814_06", "814_03", "814_25", "814_24"]),
})


@settings(max_examples=examples(40))
@given(faults=st.lists(FAULT, min_size=1, max_size=3))
def test_every_variance_is_explained_by_a_fault(tmp_path_factory: pytest.TempPathFactory,
                                                 faults: list[dict[str, object]]) -> None:
    """A property: whatever faults are planted, every variance reconcile reports, on any day,
    has a fault on its own ESI ID among its evidence."""
    text = BASE + EVENTS + "".join(
        "\n[[faults]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in f.items())
        + ("delay_minutes = 10080\n" if f["kind"] == "late" else "") for f in faults)
    out = tmp_path_factory.mktemp("prop") / "run"
    run_scenario(load_scenario_text(text), out)
    last = _last_day(text)
    for day in (last - dt.timedelta(days=14), last):
        for v in reconcile(out / "trace.sqlite", day, settle_days=3):
            assert v.faults and all(f.fault for f in v.faults), (v.esi_id, v.party, v.kind, v.cause)




def test_reconcile_names_the_variance_its_cause_and_its_evidence(tmp_path: Path) -> None:
    """A final 867_03 that ERCOT never passes on: the losing CR never learns it lost the ESI ID.
    reconcile names the ESI ID, the CR, both views, since when, the kind and the planted fault;
    its exit code is 1, with JSON and CSV too; a day outside the run is exit 2, one line."""
    text = LOST_FINAL_867_03
    (tmp_path / "s.toml").write_text(text)
    cli = [sys.executable, "-m", "ercot_sim"]
    subprocess.run([*cli, "run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "run"), "--no-check"],
                   check=True, capture_output=True, cwd=ROOT)
    done = subprocess.run([*cli, "reconcile", str(tmp_path / "run"), "--json", "--csv", str(tmp_path / "v.csv")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    (v,) = json.loads(done.stdout)["variances"]
    assert (v["esi_id"], v["party"], v["role"], v["ercot"], v["theirs"], v["to"]) == (
        "10443720000000001", "123456789", "CR", "0", "1", None)
    assert v["kind"] == "service in the participant's system, not in ERCOT's"
    assert v["cause"].startswith("123456789 was not told of its loss: no final 867_03 (or 814_06) reached it; "
                                 "planted fault: 867_03 missing (183529049 -> 123456789")
    assert [f["code"] for f in v["faults"]] == ["867_03"]
    assert any(e["code"] == "814_06" for e in v["evidence"])
    assert (tmp_path / "v.csv").read_text().count("\n") == 2
    text_out = subprocess.run([*cli, "reconcile", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT)
    assert "10443720000000001  CR 123456789  serves: ERCOT says does not serve, the participant serves" in \
        text_out.stdout and "(never sent)  FAULT missing" in text_out.stdout
    bad = subprocess.run([*cli, "reconcile", str(tmp_path / "run"), "--day", "2030-01-01"], capture_output=True,
                         text=True, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "outside the run" in bad.stderr


# -- nothing is lost: every planted fault ends put right by transactions, or on a work queue -------


def _fates(out: Path, day: dt.date) -> dict[tuple[str, str, str, str], str]:
    """Each planted fault (kind, ESI ID, code, ref) -> how it ended ('' when it is lost)."""
    import sqlite3

    from ercot_sim.books.worklist import worklist

    db = sqlite3.connect(out / "trace.sqlite")
    planted = [tuple(map(str, r)) for r in db.execute(
        "SELECT fault, esi_id, code, ref, sent_at FROM transactions WHERE fault != '' UNION "
        "SELECT kind, esi_id, code, ref, at FROM faults")]
    answered = {(str(o), str(c)) for o, c in db.execute("SELECT orig_ref, code FROM transactions")}
    corrected = {str(e) for (e,) in db.execute("SELECT esi_id FROM transactions WHERE detail = 'corrected'")}
    resent = {(str(c), str(r)) for c, r in db.execute(
        "SELECT code, ref FROM transactions WHERE detail LIKE '%(re-sent)'")}
    regained = {(str(e), "814_16") for (e,) in db.execute(
        "SELECT esi_id FROM transactions WHERE code = '814_16' AND detail LIKE '%inadvertent gain'")}
    parties = sorted({str(p) for (p,) in db.execute("SELECT sender FROM transactions UNION SELECT receiver FROM "
                                                     "transactions")})
    db.close()
    queued: dict[str, list[tuple[str, str, str]]] = {}  # ESI ID -> (party, kind, title) of its items
    for party in parties:
        for item in worklist(out / "trace.sqlite", party, day + dt.timedelta(days=1), settle_days=3):
            queued.setdefault(item.esi_id, []).append((party, item.kind, item.title))

    def on_queue(esi: str, kinds: tuple[str, ...]) -> str:
        found = [f"on {p}'s queue: {k} {t}" for p, k, t in queued.get(esi, []) if k in kinds]
        return found[0] if found else ""

    fates = {}
    for kind, esi, code, ref, at in planted:
        key = (kind, esi, code, ref)
        if dt.date.fromisoformat(at[:10]) > day - dt.timedelta(days=IN_FLIGHT_DAYS):
            fates[key] = "in flight when the run ended: not due to be noticed yet"
        elif kind in ("late", "out_of_order"):
            fates[key] = "sent, late" if kind == "late" else "sent, a window later"
        elif kind == "wrong_total":
            fates[key] = "rejected (824) and corrected" if (ref, "824") in answered and esi in corrected else ""
        elif kind == "rejected" and code == "810_02":
            fates[key] = "rejected (824) and corrected" if esi in corrected else ""
        elif kind == "duplicate":
            fates[key] = on_queue(esi, ("duplicate",))
        elif kind in ("rejected", "unknown_esi_id"):
            fates[key] = on_queue(esi, ("reject",))
        elif kind == "inadvertent":  # the gaining CR's records say the premise was another
            fates[key] = ("put right through MarkeTrak: the losing CR regained it" if (esi, "814_16") in regained
                          else on_queue(esi, ("inadvertent", "marketrak", "reject")))
        elif (code, ref) in resent:  # a Missing Enrollment Transaction issue had it sent again
            fates[key] = "put right through MarkeTrak: sent again"
        else:  # missing: whoever waits for it, or owes it, or whose view it left wrong
            fates[key] = on_queue(esi, ("awaited", "owed", "variance", "usage", "invoice"))
    return fates


#: a fault in the run's last days may not be due to be noticed before it ends (a reject has
#: 48 hours, an answer two business days)
IN_FLIGHT_DAYS = 4

FAULTS_BY_KIND = {
    "late": '[[faults]]\nkind = "late"\nparticipant = "ONCOR"\ncode = "814_04"\nprobability = 0.3\n'
            'delay_minutes = 10080\n',
    "missing": "".join(f'[[faults]]\nkind = "missing"\n{p}code = "{c}"\nprobability = 0.2\n'
                       for p, c in (('participant = "ERCOT"\n', "867_04"), ('participant = "ERCOT"\n', "814_05"),
                                    ('participant = "ONCOR"\n', "814_04"), ("", "814_07"),
                                    ('participant = "ONCOR"\n', "867_04"))),
    "duplicate": '[[faults]]\nkind = "duplicate"\nparticipant = "ERCOT"\ncode = "814_05"\nprobability = 0.5\n',
    "out_of_order": '[[faults]]\nkind = "out_of_order"\nparticipant = "ERCOT"\ncode = "814_05"\nprobability = 0.5\n',
    "rejected": '[[faults]]\nkind = "rejected"\nparticipant = "ONCOR"\ncode = "814_03"\nprobability = 0.2\n'
                '[[faults]]\nkind = "rejected"\ncode = "810_02"\nprobability = 0.2\n',
    "unknown_esi_id": '[[faults]]\nkind = "unknown_esi_id"\nprobability = 0.2\n',
    "wrong_total": '[[faults]]\nkind = "wrong_total"\nparticipant = "ONCOR"\ncode = "810_02"\nprobability = 0.2\n',
    "inadvertent": '[[faults]]\nkind = "inadvertent"\nprobability = 0.3\n',
}


@pytest.mark.parametrize("kind", sorted(FAULTS_BY_KIND))
def test_in_a_faulted_market_month_no_fault_is_lost(tmp_path: Path, kind: str) -> None:
    """A market month (400 ESI IDs) with faults of one kind planted at random: every one ends
    sent late or a window later, rejected and corrected, or on a participant's work queue."""
    text = (ROOT / "scenarios" / "market-month.toml").read_text().replace("esi_ids = 100000", "esi_ids = 400")
    assert "esi_ids = 400" in text
    text = text.split("[[faults]]")[0] + "\n" + FAULTS_BY_KIND[kind]
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    fates = _fates(out, _last_day(text))
    assert len([k for k in fates if k[0] == kind]) >= 3, f"the {kind} faults planted too little to prove anything"
    lost = sorted(k for k, fate in fates.items() if not fate)
    assert not lost, lost


def test_in_the_faults_scenario_no_fault_is_lost(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "faults.toml"
    out = tmp_path / "run"
    run_scenario(load_scenario(path), out)
    fates = _fates(out, _last_day(path))
    assert {k[0] for k in fates} == {"late", "missing", "duplicate", "out_of_order", "unknown_esi_id"}
    assert all(fates.values()), fates


def test_with_no_fault_every_queue_is_empty(tmp_path: Path) -> None:
    """A fault-free market month (400 ESI IDs): no variance, no MarkeTrak issue opened, and every
    participant's queue is empty on the morning after the run."""
    import sqlite3

    from ercot_sim.books.marketrak import read_issues
    from ercot_sim.books.worklist import worklist

    text = (ROOT / "scenarios" / "market-month.toml").read_text().replace("esi_ids = 100000", "esi_ids = 400")
    assert "[[faults]]" not in text
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    last = _last_day(text)
    assert reconcile(out / "trace.sqlite", last, settle_days=3) == []
    assert read_issues(out / "trace.sqlite") == []
    db = sqlite3.connect(out / "trace.sqlite")
    parties = sorted({str(p) for (p,) in db.execute("SELECT sender FROM transactions")})
    busy = db.execute("SELECT COUNT(*) FROM books").fetchone()[0]
    db.close()
    assert len(parties) >= 8 and busy > 100  # the market moved: the books have changes to agree on
    for party in parties:
        assert worklist(out / "trace.sqlite", party, last + dt.timedelta(days=1), settle_days=3) == [], party


def test_the_html_report_has_the_variances(tmp_path: Path) -> None:
    """``report --html`` shows the data extract variances of the run's last day."""
    from ercot_sim.report import load_report_data, render_report

    text = LOST_FINAL_867_03
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    data = load_report_data(out, None, None, 4, (), ())
    page = render_report(data).decode()
    assert [(v.esi_id, v.party) for v in data.variances] == [("10443720000000001", "123456789")]
    assert "<h2 id=\"variances\">Data extract variances</h2>" in page
    assert "service in the participant's system, not in ERCOT's" in page and "planted fault: 867_03 missing" in page


def test_an_inadvertent_gain_goes_through_marketrak_and_is_put_right(tmp_path: Path) -> None:
    """An ``inadvertent`` fault: the gaining CR's queue shows the wrong premise, then its open
    Inadvertent Gain issue; the losing CR's queue the issue assigned to it; the issue goes New ->
    In Progress -> Ready to Receive -> Complete; the losing CR has the ESI ID back from the day
    after the date of loss, the gaining CR its customer's own premise, and at the end no queue
    holds anything and no view differs from ERCOT's."""
    from ercot_sim.books.marketrak import read_issues
    from ercot_sim.books.worklist import worklist

    text = BASE.replace("esi_ids = 6", "esi_ids = 3") + (
        '\n[[events]]\nkind = "switch"\nesi_index = 0\nday = 1\ncr = "NEWCOMER"\n'
        '\n[[faults]]\nkind = "inadvertent"\nparticipant = "NEWCOMER"\nesi_index = 0\n')
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    trace, start = out / "trace.sqlite", dt.date(2025, 3, 3)
    kinds = {d: [i.kind for i in worklist(trace, "223456789", start + dt.timedelta(days=d))] for d in (9, 10)}
    assert kinds == {9: ["inadvertent"], 10: ["marketrak"]}
    assert [i.title.split(" from ")[0] for i in worklist(trace, "123456789", start + dt.timedelta(days=10))] == [
        "the Inadvertent Gain issue I104437200000000010001"]
    (issue,) = read_issues(trace)
    assert (issue.subtype, issue.esi_id, issue.submitter, issue.assignee, issue.escalated) == (
        "Inadvertent Gain", "10443720000000002", "223456789", "123456789", False)
    assert [s for _, s, _ in issue.history] == ["New", "In Progress", "Ready to Receive", "Complete"]
    import sqlite3

    db = sqlite3.connect(trace)
    back = db.execute("SELECT detail FROM transactions WHERE code = '814_16' AND sender = '123456789'").fetchall()
    meant = db.execute("SELECT COUNT(*) FROM transactions WHERE code = '867_04' AND receiver = '223456789' "
                       "AND esi_id = '10443720000000001'").fetchone()[0]
    db.close()
    assert back == [("20250308 inadvertent gain",)] and meant == 1  # regained from DOL + 1; the premise meant gained
    last = start + dt.timedelta(days=30)
    assert all(worklist(trace, p, last) == [] for p in ("223456789", "123456789", "1039940674000", "183529049"))
    assert reconcile(trace, last - dt.timedelta(days=1), settle_days=3) == []
    shown = subprocess.run([sys.executable, "-m", "ercot_sim", "marketrak", str(out)], capture_output=True, text=True,
                           cwd=ROOT)
    assert shown.returncode == 0 and "Inadvertent Gain  ESI ID 10443720000000002  223456789 -> 123456789: Complete" \
        in shown.stdout
    types = subprocess.run([sys.executable, "-m", "ercot_sim", "marketrak", "--types", "--json"], capture_output=True,
                           text=True, cwd=ROOT)
    subtypes = json.loads(types.stdout)["subtypes"]
    assert {"Customer Rescission", "Inadvertent Gain", "DEV LSE"} <= {s["name"] for s in subtypes}
    assert all(s["status"] in ("confirmed", "assumed") and s["source"] for s in subtypes)


#: a switch per ESI ID, each with one link of its chain lost (or late, or its order cancelled):
#: (the fault's participant, code, kind, extra event lines)
MISSING_LINKS = [("NEWCOMER", "814_01", "missing", ""), ("ERCOT", "814_03", "missing", ""),
                 ("ONCOR", "814_04", "missing", ""), ("ERCOT", "814_05", "missing", ""),
                 ("ONCOR", "867_04", "missing", ""), ("ERCOT", "867_04", "missing", ""),
                 ("ONCOR", "867_04", "late", "delay_minutes = 20160\n"), ("ERCOT", "814_03", "missing", "cancel")]


def test_a_missing_enrollment_transaction_is_sent_again_through_marketrak(tmp_path: Path) -> None:
    """A CR that has no 814_05, or no 867_04, five business days after it was due opens a Missing
    Enrollment Transaction issue; ERCOT finds where the chain stopped and the party that owes
    the transaction sends it again from its outbound log (the CR its 814_01 ERCOT never got,
    ERCOT what it sent, the TDSP what it sent); the CR closes the issue when the order
    completes. A transaction only late is closed by the TDSP with a comment; an order the
    customer cancels withdraws its issue. A completion that comes before the CR looks heals the
    lost answer: no issue."""
    import sqlite3

    from ercot_sim.books.marketrak import read_issues

    text = BASE.replace("esi_ids = 6", f"esi_ids = {len(MISSING_LINKS)}").replace("days = 30", "days = 45")
    for i, (who, code, kind, extra) in enumerate(MISSING_LINKS):
        requested = "requested_day = 25\n" if extra == "cancel" else ""
        text += f'\n[[events]]\nkind = "switch"\nesi_index = {i}\nday = 1\ncr = "NEWCOMER"\n{requested}'
        if extra == "cancel":
            text += f'\n[[events]]\nkind = "cancel"\nesi_index = {i}\nday = 15\ncr = "NEWCOMER"\n'
        text += (f'\n[[faults]]\nkind = "{kind}"\nparticipant = "{who}"\nesi_index = {i}\ncode = "{code}"\n'
                 + (extra if kind == "late" else ""))
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    trace = out / "trace.sqlite"
    esi = [f"104437200000000{i + 1:02d}" for i in range(len(MISSING_LINKS))]
    issues = {i.esi_id: i for i in read_issues(trace)}
    assert {i.subtype for i in issues.values()} == {"Missing Enrollment Transaction"}
    cr, ercot, tdsp = "223456789", "183529049", "1039940674000"
    story = {e: (i.assignee, [s for _, s, _ in i.history]) for e, i in issues.items()}
    assert story == {
        esi[0]: (cr, ["New", "In Progress", "Complete"]),  # ERCOT never got the 814_01: the CR sends it again
        esi[1]: (ercot, ["New", "In Progress", "Complete"]),  # ERCOT sends its 814_03 again
        esi[4]: (tdsp, ["New", "In Progress", "Complete"]),  # the TDSP sends its 867_04 again
        esi[5]: (ercot, ["New", "In Progress", "Complete"]),  # ERCOT sends on the 867_04 again
        esi[6]: (tdsp, ["New", "Complete"]),  # only late: the TDSP closes it with a comment
        esi[7]: (ercot, ["New", "In Progress", "Withdrawn"]),  # the customer cancelled the order
    }, story
    assert all(i.submitter == cr and not i.escalated for i in issues.values())
    db = sqlite3.connect(trace)
    resent = db.execute("SELECT esi_id, code, sender FROM transactions WHERE detail LIKE '%(re-sent)' "
                        "ORDER BY esi_id").fetchall()
    completed = {e for (e,) in db.execute("SELECT esi_id FROM transactions WHERE code = '867_04' AND receiver = ?",
                                          (cr,))}
    comment = db.execute("SELECT detail FROM transactions WHERE code = 'marketrak-complete' AND sender = ?",
                         (tdsp,)).fetchall()
    db.close()
    assert resent == [(esi[0], "814_01", cr), (esi[1], "814_03", ercot), (esi[4], "867_04", tdsp),
                      (esi[5], "867_04", ercot), (esi[7], "814_03", ercot)]
    assert set(esi[:7]) <= completed and esi[7] not in completed  # every switch but the cancelled one is done
    assert comment == [("comment: nothing it sent is missing",)]


def test_usage_that_does_not_come_goes_to_marketrak(tmp_path: Path) -> None:
    """A 100-day market where ERCOT passes on only some 867_03s: a CR without usage for 60 days
    at an ESI ID it serves opens a Usage & Billing - Missing issue; ERCOT routes it to the TDSP,
    which sends the last period's 867_03 again (Complete once it arrives), or, for a CR it does
    not show as REP of record (one never told of its loss), marks it Unexecutable, which stays
    on that CR's queue."""
    from ercot_sim.books.marketrak import read_issues
    from ercot_sim.books.worklist import worklist

    text = (BASE.replace("days = 30", "days = 100") + "".join(
        f'\n[[events]]\nkind = "move_in"\nesi_index = {i}\nday = 1\ncr = "NEWCOMER"\n' for i in range(6))
        + '\n[[faults]]\nkind = "missing"\nparticipant = "ERCOT"\ncode = "867_03"\nprobability = 0.5\n')
    assert "days = 100" in text
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    issues = read_issues(out / "trace.sqlite")
    states = {(i.submitter, i.state) for i in issues}
    assert {i.subtype for i in issues} == {"Usage & Billing - Missing"}
    assert ("223456789", "Complete") in states and ("123456789", "Unexecutable") in states, states
    done = next(i for i in issues if i.state == "Complete")
    assert [s for _, s, _ in done.history] == ["New", "In Progress", "Complete"]
    import sqlite3

    db = sqlite3.connect(out / "trace.sqlite")
    for issue in issues:  # the TDSP sent the usage again for each issue it worked, once
        resent = db.execute("SELECT COUNT(*) FROM transactions WHERE code = '867_03' AND sender = ? AND esi_id = ? "
                            "AND detail = ?", ("1039940674000", issue.esi_id, f"resent for {issue.ref}")).fetchone()[0]
        assert resent == (0 if issue.state == "Unexecutable" else 1), (issue.ref, issue.state, resent)
    db.close()
    queue = worklist(out / "trace.sqlite", "123456789", dt.date(2025, 6, 11))
    assert any(i.kind == "marketrak" and i.title.endswith("is Unexecutable") for i in queue)


def test_a_participants_system_of_record(tmp_path: Path) -> None:
    """``books``: the CR that has not got its 867_04 does not count the ESI ID as served, and its
    switch stays an open request (on 2025-03-11, before it looks for it; by the end of the run
    MarkeTrak had it sent again); the TDSP and ERCOT show the CR as REP of record since the
    switch; a CR's invoices are open, paid or rejected as it answered them."""
    from ercot_sim.books.record import system_of_record

    text = LOST_867_04
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    last = _last_day(text)
    cr = system_of_record(out / "trace.sqlite", "223456789", dt.date(2025, 3, 11))
    assert "10443720000000001" not in cr.serves and "10443720000000003" in cr.serves
    assert [(e, c) for e, c, _r, _s in cr.open_requests] == [("10443720000000001", "814_01"),
                                                             ("10443720000000002", "814_01")]  # due that day
    tdsp = system_of_record(out / "trace.sqlite", "1039940674000", last)
    ercot = system_of_record(out / "trace.sqlite", "183529049", last)
    assert tdsp.role == "TDSP" and ercot.role == "ERCOT"
    assert tdsp.reps["10443720000000001"][0] == ercot.reps["10443720000000001"][0] == "223456789"
    old = system_of_record(out / "trace.sqlite", "123456789", last)
    assert old.invoices and {s for *_, s in old.invoices} <= {"open", "paid", "rejected"}
    assert "10443720000000001" in system_of_record(out / "trace.sqlite", "223456789", last).serves
    shown = subprocess.run([sys.executable, "-m", "ercot_sim", "books", str(out), "--for", "CR:223456789", "--json",
                            "--day", "2025-03-11"], capture_output=True, text=True, cwd=ROOT)
    assert shown.returncode == 0 and json.loads(shown.stdout)["open_requests"][0]["code"] == "814_01"


def test_bad_input_is_one_line_and_a_sharded_run_is_named(tmp_path: Path) -> None:
    """A sharded run's merged trace, a day no run has, a DUNS not in the run, an exercise whose
    key names an ESI ID outside its scenario: exit 2, one line each."""
    cli = [sys.executable, "-m", "ercot_sim"]
    done = subprocess.run([*cli, "run", str(ROOT / "scenarios" / "faults.toml"), "--shards", "2", "--out",
                           str(tmp_path / "s"), "--no-check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    cases = [
        (["reconcile", str(tmp_path / "s")], "merged trace of a sharded run"),
        (["reconcile", str(tmp_path / "s" / "shard-000"), "--day", "9999999999"], "a date (YYYY-MM-DD)"),
        (["books", str(tmp_path / "s" / "shard-000"), "--for", "CR:000000000"], "no transaction of that DUNS"),
        (["worklist", str(tmp_path / "s" / "shard-000"), "--for", "CR:223456789", "--day", "2030-01-01"],
         "outside the run"),
    ]
    bad = (ROOT / "scenarios" / "exercises" / "missing-usage.toml").read_text().replace("esi = 0", "esi = 99")
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "bad.toml").write_text(bad)
    (tmp_path / "ex" / "missing-usage.scenario.toml").write_text(
        (ROOT / "scenarios" / "exercises" / "missing-usage.scenario.toml").read_text())
    (tmp_path / "r.csv").write_text("item,action\n")
    cases.append((["grade", str(tmp_path / "ex" / "bad.toml"), str(tmp_path / "r.csv")], "answers[0].esi: 99"))
    for args, said in cases:
        got = subprocess.run([*cli, *args], capture_output=True, text=True, cwd=ROOT)
        assert got.returncode == 2 and said in got.stderr, (args, got.returncode, got.stderr)
        assert len(got.stderr.strip().splitlines()) == 1 and "Traceback" not in got.stderr
    from ercot_sim.report import load_report_data, render_report

    page = render_report(load_report_data(tmp_path / "s", None, None, 2, (), ())).decode()
    assert "Not worked out for this run (a sharded run" in page


def test_a_queue_bulk_inserts_its_new_issues_one_file_per_subtype(tmp_path: Path) -> None:
    """``worklist --bulk-insert DIR``: the queue's items that call for a new MarkeTrak issue, one
    CSV per subtype (every row of a file of its subtype), none about an issue already open; a
    folder that holds files is refused in one line (exit 2) and left as it is."""
    import csv

    from ercot_sim.books.bulk import COLUMNS, new_issues
    from ercot_sim.books.worklist import worklist

    text = BASE + EVENTS + "".join(f'\n[[faults]]\nkind = "missing"\nparticipant = "{p}"\nesi_index = {i}\n'
                                   f'code = "{c}"\n' for p, i, c in (("ERCOT", 0, "867_03"), ("ERCOT", 2, "814_05"),
                                                                     ("INCUMBENT", 1, "814_07")))
    out = tmp_path / "run"
    run_scenario(load_scenario_text(text), out)
    party, day = "223456789", _last_day(text) + dt.timedelta(days=1)
    wanted = new_issues(worklist(out / "trace.sqlite", party, day))
    assert {i.marketrak for i in wanted} == {"Missing Enrollment Transaction", "Usage & Billing - Missing"}
    cli = [sys.executable, "-m", "ercot_sim", "worklist", str(out), "--for", f"CR:{party}", "--bulk-insert",
           str(tmp_path / "bulk")]
    done = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stderr  # items on the queue
    rows = []
    for path in sorted((tmp_path / "bulk").iterdir()):
        with path.open(encoding="utf-8", newline="") as fh:
            table = list(csv.reader(fh))
        assert tuple(table[0]) == COLUMNS and len({r[1] for r in table[1:]}) == 1
        rows += table[1:]
    assert sorted(r[6] for r in rows) == sorted(i.key for i in wanted)
    assert len(list((tmp_path / "bulk").iterdir())) == 2
    again = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1 and "holds files" in again.stderr
