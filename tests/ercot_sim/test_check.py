"""The compliance checker: planted violations in X12, clean data, JSON, exit codes, and runs
of the engine (no faults -> no violation; one injected fault -> exactly that ESI ID and rule;
the trace and the X12 folder of a run give the same report)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ercot_sim.calendar import to_local
from ercot_sim.cli import app
from ercot_sim.errors import RulesError
from ercot_sim.timing.check import (
    CheckInputError,
    Dataset,
    Outage,
    check_dataset,
    check_path,
    compliance_summary,
    load_check_rules,
    read_trace,
)
from ercot_sim.timing.check.evaluate import late_payment_charges
from ercot_sim.timing.check.report import format_amount
from ercot_sim.timing.flows import TxnRecord, parse_ccyymmdd
from tests.ercot_sim.x12_planted.build import build

PLANTED = Path(__file__).parent / "x12_planted"
ESI = {k: f"1044372000000000{k}" for k in range(1, 6)}
runner = CliRunner()


def _local(text: str) -> dt.datetime:
    return to_local(dt.datetime.fromisoformat(text))


# -- planted X12 -----------------------------------------------------------------------------


@pytest.mark.parametrize("folder,planted", [("clean", False), ("violations", True)])
def test_committed_samples_are_what_the_builder_writes(folder: str, planted: bool) -> None:
    files = {p.name: p.read_text(encoding="ascii") for p in sorted((PLANTED / folder).glob("*.x12"))}
    assert files == build(planted)


def test_planted_violations_are_found_exactly() -> None:
    res = check_path(PLANTED / "violations")
    got = [
        (v.rule_id, v.kind, v.esi_id, v.trigger.code, v.trigger.file, v.trigger.segment,
         (v.answered.file, v.answered.segment) if v.answered else None, round(v.amount, 2), v.unit)
        for v in res.violations
    ]
    assert got == [
        ("B1-any-997", "late", ESI[5], "867_03", "14-867_03-esi5.x12", 3, ("14-867_03-esi5.997.x12", 3),
         6.0, "hours"),
        ("B6-tdsp-814_04", "late", ESI[2], "814_03", "06-814_03-esi2.x12", 3, ("07-814_04-esi2.x12", 3),
         5.0, "retail_business_days"),
        ("B6-tdsp-814_04", "missing", ESI[3], "814_03", "10-814_03-esi3.x12", 3, None, 11.0,
         "retail_business_days"),
        ("E4-tdsp-810_02", "late", ESI[4], "867_03", "11-867_03-esi4.x12", 3, ("13-810_02-esi4.x12", 3),
         3.0, "business_days"),
    ]
    by_rule = {(v.rule_id, v.esi_id): v for v in res.violations}
    late04 = by_rule[("B6-tdsp-814_04", ESI[2])]
    assert late04.due == _local("2025-03-05T17:00")
    assert late04.answered is not None and late04.answered.sent_at == _local("2025-03-12T10:00")
    assert late04.lateness == "5 retail business days late"
    assert by_rule[("B6-tdsp-814_04", ESI[3])].lateness.startswith("missing")
    invoice = by_rule[("E4-tdsp-810_02", ESI[4])]
    assert invoice.event == "meter-read 2025-03-03"
    assert invoice.due == _local("2025-03-06T17:00")
    assert invoice.lateness == "3 business days late"
    assert by_rule[("B1-any-997", ESI[5])].due == _local("2025-03-06T09:00")
    message = late04.message
    assert message.startswith("06-814_03-esi2.x12 segment 3 (814_03 ref E2-03), ESI ID 10443720000000002: "
                              "B6-tdsp-814_04: 814_04/814_28 from TDSP due 2025-03-05 17:00 CST")
    assert message.endswith("(07-814_04-esi2.x12 segment 3): 5 retail business days late")


def test_compliance_per_rule_against_the_target() -> None:
    res = check_path(PLANTED / "violations")
    b6 = res.rule("B6-tdsp-814_04")
    assert (b6.on_time, b6.late, b6.missing, b6.decided) == (1, 1, 1, 3)
    assert b6.compliance == pytest.approx(1 / 3)
    assert b6.target == 0.98 and b6.passed is False
    b1 = res.rule("B1-any-997")
    assert (b1.on_time, b1.late) == (18, 1)
    assert b1.passed is False
    assert res.rule("B5-ercot-814_03").passed is True
    e8 = res.rule("E8-cr-820_02")
    assert e8.open == 3 and e8.decided == 0 and e8.passed is None
    assert any(rule_id == "D6-tdsp-moratorium-report" for rule_id, _ in res.not_checked)


def test_clean_folder_has_no_violation() -> None:
    res = check_path(PLANTED / "clean")
    assert res.ok and res.violations == []
    assert res.rule("B6-tdsp-814_04").on_time == 3
    assert res.rule("C4-tdsp-switch-read-window").on_time == 3
    assert res.rule("E4-tdsp-810_02").on_time == 3
    assert all(r.passed in (True, None) for r in res.rules)


def test_missing_only_when_the_data_extend_past_the_deadline(tmp_path: Path) -> None:
    for name in ("09-814_01-esi3.x12", "10-814_03-esi3.x12", "10-814_03-esi3.997.x12"):
        shutil.copy(PLANTED / "violations" / name, tmp_path / name)
    res = check_path(tmp_path)
    assert res.violations == []
    assert res.rule("B6-tdsp-814_04").open == 1


def test_a_rules_file_changes_the_verdict(tmp_path: Path) -> None:
    rules = tmp_path / "slow-tdsp.toml"
    rules.write_text('[[rules]]\nid = "B6-tdsp-814_04"\n'
                     'deadline = { amount = 10, unit = "retail_business_days", calendar = "TDSP" }\n')
    res = check_path(PLANTED / "violations", rules)
    assert [(v.rule_id, v.esi_id, v.kind) for v in res.violations if v.rule_id == "B6-tdsp-814_04"] == [
        ("B6-tdsp-814_04", ESI[3], "missing")]


def test_bad_rules_file_names_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text('[[rules]]\nid = "B6-tdsp-814_04"\ndeadline = { amount = -1, unit = "hours" }\n')
    with pytest.raises(RulesError) as err:
        load_check_rules(rules)
    assert "bad.toml line 3" in str(err.value)


def test_format_amount() -> None:
    assert format_amount(1, "retail_business_days") == "1 retail business day"
    assert format_amount(2.0, "business_days") == "2 business days"
    assert format_amount(1.5, "hours") == "1.5 hours"
    assert format_amount(0.25, "retail_business_hours") == "0.25 retail business hours"


# -- CLI -------------------------------------------------------------------------------------


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    clean = runner.invoke(app, ["check", str(PLANTED / "clean")])
    assert clean.exit_code == 0, clean.output
    assert "0 violation(s)" in clean.output
    bad = runner.invoke(app, ["check", str(PLANTED / "violations"), "--json"])
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    assert data["violation_count"] == 4 and data["ok"] is False
    assert [v["rule_id"] for v in data["violations"]] == ["B1-any-997", "B6-tdsp-814_04", "B6-tdsp-814_04",
                                                          "E4-tdsp-810_02"]
    assert data["violations"][1]["due"] == "2025-03-05T17:00:00-06:00"
    assert {r["rule_id"]: r["passed"] for r in data["rules"]}["B6-tdsp-814_04"] is False
    only = runner.invoke(app, ["check", str(PLANTED / "violations"), "--rule", "E4-tdsp-810_02"])
    assert only.exit_code == 1 and "B6-tdsp-814_04" not in only.output and "E4-tdsp-810_02" in only.output


@pytest.mark.parametrize("kind", ["nothing", "empty-dir", "not-x12", "no-table", "bad-rules", "unknown-rule"])
def test_cli_bad_input_exit_2(tmp_path: Path, kind: str) -> None:
    args = ["check", str(PLANTED / "clean")]
    if kind == "nothing":
        args = ["check", str(tmp_path / "absent")]
    elif kind == "empty-dir":
        (tmp_path / "empty").mkdir()
        args = ["check", str(tmp_path / "empty")]
    elif kind == "not-x12":
        (tmp_path / "notes.txt").write_text("hello, not X12\n")
        args = ["check", str(tmp_path / "notes.txt")]
    elif kind == "no-table":
        db = sqlite3.connect(tmp_path / "t.sqlite")
        db.execute("CREATE TABLE other (x)")
        db.commit()
        db.close()
        args = ["check", str(tmp_path / "t.sqlite")]
    elif kind == "bad-rules":
        (tmp_path / "r.toml").write_text("[[rules]\n")
        args += ["--rules", str(tmp_path / "r.toml")]
    else:
        args += ["--rule", "NO-SUCH-RULE"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ercot-sim check: ")


def test_trace_without_its_x12_files(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError):
        read_trace(tmp_path / "absent.sqlite")


# -- engine runs ---------------------------------------------------------------------------------

SCENARIO = """
[scenario]
name = "check-{name}"
start = {start}
days = {days}
seed = {seed}

[[participants.tdsps]]
name = "ONCOR"
duns = "1039940674000"
esi_prefix = "10443720"

[[participants.tdsps]]
name = "CENTERPOINT"
duns = "957877905"
esi_prefix = "1008901"

[[participants.crs]]
name = "LONE STAR POWER"
duns = "123456789"
roles = ["AREP", "POLR"]

[[participants.crs]]
name = "PECOS RETAIL"
duns = "323456789"

[population]
esi_ids = {esi_ids}

[transport]
# No window at exactly 17:00 (test_cutoff_boundary_reading adds one to test the cut-off).
windows = ["00:30", "06:00", "09:00", "11:00", "13:00", "15:00", "16:30", "20:00"]
{events}
"""


def _run(tmp_path: Path, name: str, start: str, days: int, seed: int, esi_ids: int, events: str,
         windows: str | None = None) -> Path:
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario_text

    text = SCENARIO.format(name=name, start=start, days=days, seed=seed, esi_ids=esi_ids, events=events)
    if windows is not None:
        text = text.replace('"16:30"', windows)
    out = tmp_path / name
    run_scenario(load_scenario_text(text), out)
    return out


def _event(kind: str, index: int, day: int, cr: str, **extra: object) -> str:
    lines = ["[[events]]", f'kind = "{kind}"', f"esi_index = {index}", f"day = {day}", f'cr = "{cr}"']
    lines += [f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


_EVENT = st.tuples(
    st.sampled_from(["switch", "switch_ss", "move_in", "move_in_priority"]),
    st.integers(0, 19), st.integers(0, 12), st.integers(6, 12),
)


@settings(max_examples=8, deadline=None)
@given(
    start=st.sampled_from(["2025-03-03", "2025-05-22", "2025-06-27", "2025-11-20", "2025-12-19", "2026-01-14"]),
    seed=st.integers(0, 10_000),
    days=st.integers(12, 40),
    events=st.lists(_EVENT, max_size=8, unique_by=lambda e: e[1]),
)
def test_runs_without_faults_have_no_violation(tmp_path_factory: pytest.TempPathFactory, start: str, seed: int,
                                                days: int, events: list[tuple[str, int, int, int]]) -> None:
    text = ""
    for kind, index, day, ahead in events:
        cr = "PECOS RETAIL" if index % 2 else "LONE STAR POWER"
        if kind == "switch":
            text += _event("switch", index, day, cr)
        elif kind == "switch_ss":
            text += _event("switch", index, day, cr, requested_day=day + ahead)
        else:
            text += _event("move_in", index, day, cr, requested_day=day + ahead,
                           priority=kind == "move_in_priority")
    out = _run(tmp_path_factory.mktemp("run"), "nofault", start, days, seed, 20, text)
    res = check_path(out)
    assert [v.message for v in res.violations] == []
    assert res.rule("B1-any-997").decided > 0


def _only(db: Path, code: str) -> str:
    con = sqlite3.connect(db)
    try:
        (esi,) = con.execute("SELECT DISTINCT esi_id FROM transactions WHERE code = ?", (code,)).fetchone()
    finally:
        con.close()
    return esi


@pytest.mark.parametrize("fault,days,kind", [("late", 30, "late"), ("missing", 6, "missing"), ("missing", 30, "late")])
def test_one_injected_fault_gives_exactly_that_esi_id_and_rule(tmp_path: Path, fault: str, days: int,
                                                               kind: str) -> None:
    """One late or missing 814_04: exactly its ESI ID and rule B6. A missing one is missing in a
    run that ends before the CR looks for its 814_05 (five business days on); in a longer run
    the CR's MarkeTrak issue has the TDSP send it again, late."""
    events = _event("move_in", 3, 1, "PECOS RETAIL", requested_day=20)
    events += (f'[[faults]]\nkind = "{fault}"\nparticipant = "CENTERPOINT"\nesi_index = 3\ncode = "814_04"\n'
               "delay_minutes = 5760\n")
    out = _run(tmp_path, f"fault-{fault}", "2025-03-03", days, 11, 10, events)
    esi = _only(out / "trace.sqlite", "814_16")
    res = check_path(out)
    assert [(v.rule_id, v.esi_id, v.kind) for v in res.violations] == [("B6-tdsp-814_04", esi, kind)]
    if kind == "late":
        assert res.violations[0].amount >= 1 and res.violations[0].unit == "retail_business_days"
    con = sqlite3.connect(out / "trace.sqlite")
    resent = con.execute("SELECT COUNT(*) FROM transactions WHERE detail LIKE '%(re-sent)'").fetchone()[0]
    con.close()
    assert resent == (fault == "missing" and days == 30)


def test_trace_and_x12_folder_of_a_run_give_the_same_report(tmp_path: Path) -> None:
    events = "".join([
        _event("switch", 0, 1, "PECOS RETAIL"),
        _event("switch", 1, 2, "PECOS RETAIL", requested_day=10),
        _event("move_in", 2, 3, "LONE STAR POWER", requested_day=9),
        _event("move_in", 5, 4, "PECOS RETAIL", requested_day=12, priority=True),
    ])
    events += ('[[faults]]\nkind = "late"\nparticipant = "ONCOR"\ncode = "810_02"\nprobability = 0.3\n'
               "delay_minutes = 10080\n")
    out = _run(tmp_path, "same", "2025-03-03", 30, 5, 30, events)
    trace = check_path(out)
    assert trace.end is not None
    x12 = check_path(out / "outbox", until=trace.end)

    def key(res, prefix):  # type: ignore[no-untyped-def]
        return [(v.rule_id, v.esi_id, v.kind, prefix + v.trigger.file, v.trigger.segment, round(v.amount, 6),
                 v.due) for v in res.violations]

    assert trace.violations, "the late 810_02 fault should show"
    assert key(trace, "") == key(x12, "outbox/")
    for a, b in zip(trace.rules, x12.rules, strict=True):
        assert (a.rule_id, a.on_time, a.late, a.missing, a.outside) == (b.rule_id, b.on_time, b.late, b.missing,
                                                                        b.outside)


def test_compliance_summary_for_run(tmp_path: Path) -> None:
    out = _run(tmp_path, "summary", "2025-03-03", 15, 3, 10, _event("switch", 0, 1, "PECOS RETAIL"))
    text = compliance_summary(out)
    assert text.startswith("compliance (ercot-sim check)")
    assert "B6-tdsp-814_04" in text and "0 violation(s)" in text


def test_trace_read_without_the_x12_files(tmp_path: Path) -> None:
    out = _run(tmp_path, "bare", "2025-03-03", 15, 3, 10, _event("switch", 0, 1, "PECOS RETAIL"))
    bare = tmp_path / "bare-copy"
    bare.mkdir()
    shutil.copy(out / "trace.sqlite", bare / "trace.sqlite")
    res = check_path(bare)
    assert any("not there" in n for n in res.notes)
    assert res.rule("B1-any-997").skipped > 0 and res.rule("B1-any-997").decided == 0
    assert res.rule("B6-tdsp-814_04").on_time == 1


def test_cutoff_boundary_reading(tmp_path: Path) -> None:
    """814_03s sent exactly at the 17:00 cut-off: engine and checker count B6 from the same time.

    The X12 shows only the sending time, so the checker counts the TDSP's 814_04 deadline from
    17:00 on the sending day; the engine must count from the sent time too (not the arrival a
    few minutes later, which falls after the cut-off), or an answer on its last allowed day
    would be one retail business day late.
    """
    events = "".join(_event("switch", i, 2, "PECOS RETAIL", at='"14:00"') for i in range(12))
    out = _run(tmp_path, "cutoff", "2025-03-03", 20, 1, 12, events, windows='"17:00"')
    con = sqlite3.connect(out / "trace.sqlite")
    try:
        at_cutoff = con.execute("SELECT COUNT(*) FROM transactions WHERE code = '814_03' "
                                "AND substr(sent_at, 12, 5) = '17:00'").fetchone()[0]
    finally:
        con.close()
    assert at_cutoff > 0, "the scenario must put 814_03s on the cut-off"
    res = check_path(out)
    assert res.violations == []
    b6 = res.rule("B6-tdsp-814_04")
    assert b6.decided == b6.on_time >= at_cutoff


# -- rule kinds on transactions built in memory ---------------------------------------------------

_ROLE_DUNS = {"CR": "123456789", "ERCOT": "183529049", "TDSP": "1039940674000"}
_ESI = "10443720000000042"


def _rec(code: str, sent: str, sender: str, receiver: str, ref: str, orig: str = "", **kw: object) -> TxnRecord:
    dates = {q: parse_ccyymmdd(v) for q, v in dict(kw.pop("dates", {})).items()}  # type: ignore[call-overload]
    r = TxnRecord(0, _local(sent), _ROLE_DUNS[sender], _ROLE_DUNS[receiver], code, code[:3], _ESI, ref, orig,
                  f"{ref}.x12", 3, "0001", sender, receiver, dates=dates, tdsp_name="ONCOR", **kw)  # type: ignore[arg-type]
    return r


def _check(records: list[TxnRecord], rule: str, end: str = "2025-04-30T00:00"):  # type: ignore[no-untyped-def]
    for i, r in enumerate(records):
        r.index = i
    return check_dataset(Dataset(records, "memory", "x12", _local(end)), load_check_rules(), only=[rule])


def _switch(fasd: str, scheduled: str, requested: str = "") -> list[TxnRecord]:
    first = {"dates": {"150": requested}} if requested else {}
    return [
        _rec("814_01", "2025-03-03T09:00", "CR", "ERCOT", "C1", **first),
        _rec("814_03", "2025-03-03T11:00", "ERCOT", "TDSP", "E1", "C1", dates={"150": requested or fasd}),
        _rec("814_04", "2025-03-04T09:00", "TDSP", "ERCOT", "T1", "E1", dates={"150": scheduled}),
    ]


def test_window_rule_read_date_outside_the_switch_window() -> None:
    res = _check(_switch("20250306", "20250314"), "C4-tdsp-switch-read-window")
    (v,) = res.violations
    assert (v.kind, v.amount, v.unit, v.answered and v.answered.code) == ("outside_window", 4.0, "calendar_days",
                                                                         "814_04")
    assert "2025-03-14 is after the window 2025-03-03..2025-03-10" in v.message
    assert _check(_switch("20250306", "20250309"), "C4-tdsp-switch-read-window").violations == []


def test_window_rule_scope_by_purpose() -> None:
    self_selected = _switch("", "20250321", requested="20250320")
    assert _check(self_selected, "C4-tdsp-switch-read-window").rule("C4-tdsp-switch-read-window").decided == 0
    res = _check(self_selected, "C5-tdsp-self-selected-switch")
    assert [(v.rule_id, v.amount) for v in res.violations] == [("C5-tdsp-self-selected-switch", 1.0)]
    without_request = _switch("20250306", "20250314")[1:]  # no 814_01: the purpose cannot be told
    assert _check(without_request, "C4-tdsp-switch-read-window").rule("C4-tdsp-switch-read-window").skipped == 1


def test_window_rule_with_optional_reject() -> None:
    far = _rec("814_16", "2025-03-03T09:00", "CR", "ERCOT", "C9", dates={"150": "20251201"})
    res = _check([far], "B2-ercot-date-window")
    (v,) = res.violations
    assert v.kind == "outside_window" and v.amount == 183.0
    reject = _rec("814_17", "2025-03-03T11:00", "ERCOT", "CR", "E9", "C9", reject=True)
    res = _check([far, reject], "B2-ercot-date-window")
    assert res.violations == [] and res.rule("B2-ercot-date-window").on_time == 1


@pytest.mark.parametrize("sent_04,sent_06,late", [
    ("2025-03-04T09:00", "2025-03-07T16:00", 0),   # due 5 BD before 14 Mar = 7 Mar
    ("2025-03-04T09:00", "2025-03-10T09:00", 1),   # one business day late
    ("2025-03-12T09:00", "2025-03-13T09:00", 0),   # 814_04 after the lead: due end of next business day
    ("2025-03-12T09:00", "2025-03-14T09:00", 1),
])
def test_lead_rule_loss_notice(sent_04: str, sent_06: str, late: int) -> None:
    records = _switch("20250306", "20250314")
    records[2] = _rec("814_04", sent_04, "TDSP", "ERCOT", "T1", "E1", dates={"150": "20250314"})
    records.append(_rec("814_06", sent_06, "ERCOT", "CR", "E2", "E1", dates={"150": "20250314"}))
    res = _check(records, "B7-ercot-814_06-switch")
    assert [(v.kind, v.amount) for v in res.violations] == ([("late", 1.0)] if late else [])
    assert res.rule("B7-ercot-814_06-switch").decided == 1


@pytest.mark.parametrize("sent_13,sent_06,late", [
    ("2025-03-06T09:00", "2025-03-12T09:00", 0),   # moved to 19 Mar before the notice was due: due 12 Mar
    ("2025-03-06T09:00", "2025-03-13T09:00", 1),   # one business day late for the new date
    ("2025-03-10T09:00", "2025-03-12T09:00", 1),   # moved after the notice was due (7 Mar): the old date holds
])
def test_lead_rule_follows_a_date_change_accepted_before_the_notice_was_due(sent_13: str, sent_06: str,
                                                                              late: int) -> None:
    """B7 of a switch whose date the CR moved (found in the whole-market month): the TDSP's
    814_13 with the new date, sent before the 814_06 was due, moves the notice's deadline."""
    records = _switch("20250306", "20250314")
    records += [_rec("814_12", "2025-03-05T09:00", "CR", "ERCOT", "C2", "C1", dates={"150": "20250319"}),
                _rec("814_12", "2025-03-05T11:00", "ERCOT", "TDSP", "E3", "E1", dates={"150": "20250319"}),
                _rec("814_13", sent_13, "TDSP", "ERCOT", "T2", "E3", dates={"150": "20250319"}),
                _rec("814_06", sent_06, "ERCOT", "CR", "E2", "E1", dates={"150": "20250319"})]
    res = _check(records, "B7-ercot-814_06-switch")
    assert [v.kind for v in res.violations] == (["late"] if late else [])
    assert res.rule("B7-ercot-814_06-switch").decided == 1


def _trace_check(records: list[TxnRecord], rule: str, rules_file: Path | None = None,
                 outages: list[Outage] | None = None):  # type: ignore[no-untyped-def]
    """Records as read from a run's trace (which holds work outside EDI, such as safety nets)."""
    for i, r in enumerate(records):
        r.index = i
    data = Dataset(records, "memory", "trace", _local("2025-04-30T00:00"), outages=list(outages or ()))
    return check_dataset(data, load_check_rules(rules_file), only=[rule])


def _safety_net(sent: str) -> list[TxnRecord]:
    """A move-in for Thursday 6 Mar 2025 and the CR's safety net for it (a trace row, no X12)."""
    move_in = _rec("814_16", "2025-02-27T09:00", "CR", "ERCOT", "C1", dates={"150": "20250306"})
    net = _rec("safety-net", sent, "CR", "TDSP", "S1", "C1")
    net.file, net.segment, net.st_control = "", None, ""
    return [move_in, net]


@pytest.mark.parametrize("sent,kind,amount", [
    ("2025-03-05T15:00", None, 0.0),       # the RMG deadline: 15:00 the business day before
    ("2025-03-05T15:01", "late", 1.0),
    ("2025-03-04T12:00", None, 0.0),       # the TDSP takes it from 12:00 two business days before
    ("2025-03-04T11:59", "outside_window", 1.0),
    ("2025-02-28T10:00", "outside_window", 2.0),  # Friday: early by Monday and Tuesday
])
def test_safety_net_timing_from_a_trace(sent: str, kind: str | None, amount: float) -> None:
    records = _safety_net(sent)
    late = _trace_check(records, "D1-cr-safety-net-rmg162")
    early = _trace_check(_safety_net(sent), "D1-tdsp-safety-net-early")
    found = [(v.rule_id, v.kind, v.amount, v.due) for v in (*late.violations, *early.violations)]
    if kind is None:
        assert found == []
    elif kind == "late":
        assert found == [("D1-cr-safety-net-rmg162", "late", amount, _local("2025-03-05T15:00"))]
    else:
        opens = _local("2025-03-04T12:00")
        assert found == [("D1-tdsp-safety-net-early", "outside_window", amount, opens)]
        (v,) = early.violations
        assert v.answered is not None and v.answered.code == "safety-net"
        assert "before the earliest 2025-03-04 12:00 CST (date 2025-03-06)" in v.message
        assert early.rule("D1-tdsp-safety-net-early").outside == 1
    assert late.rule("D1-cr-safety-net-rmg162").decided == 1
    assert early.rule("D1-tdsp-safety-net-early").decided == 1


def test_safety_net_noon_before_rmgrr162() -> None:
    from ercot_sim.timing import PRE_RMGRR162_RULES_PATH

    # 12:30 the business day before: on time for the RMG since RMGRR162, late for the noon rule
    assert _trace_check(_safety_net("2025-03-05T12:30"), "D1-cr-safety-net-rmg162").violations == []
    old = _trace_check(_safety_net("2025-03-05T12:30"), "D1-cr-safety-net", PRE_RMGRR162_RULES_PATH)
    assert [(v.kind, v.due) for v in old.violations] == [("late", _local("2025-03-05T12:00"))]
    # off in the shipped set: not judged at all
    assert _trace_check(_safety_net("2025-03-05T12:30"), "D1-cr-safety-net").rules == []


def test_early_safety_net_excused_by_an_announced_outage() -> None:
    window = Outage("ERCOT", _local("2025-03-05T09:00"), _local("2025-03-06T12:00"), "", "A7")
    res = _trace_check(_safety_net("2025-03-03T10:00"), "D1-tdsp-safety-net-early", outages=[window])
    assert res.violations == [] and res.rule("D1-tdsp-safety-net-early").excused == 1
    before = Outage("ERCOT", _local("2025-03-01T09:00"), _local("2025-03-02T12:00"), "", "A7")
    res = _trace_check(_safety_net("2025-03-03T10:00"), "D1-tdsp-safety-net-early", outages=[before])
    assert [v.kind for v in res.violations] == ["outside_window"]  # the window was over already


def test_safety_net_rules_skip_x12_data() -> None:
    # X12 files hold no safety nets: the rules cannot be judged there, not "absent"
    res = _check(_safety_net("2025-02-28T10:00"), "D1-tdsp-safety-net-early")
    rc = res.rule("D1-tdsp-safety-net-early")
    assert res.violations == [] and rc.skipped == 1 and rc.decided == 0 and rc.optional_absent == 0


def test_rejected_invoice_owes_no_payment() -> None:
    invoice = _rec("810_02", "2025-03-05T09:00", "TDSP", "CR", "I1", "U1", dates={"151": "20250303"})
    reject = _rec("824", "2025-03-05T15:00", "CR", "TDSP", "A1", "I1")
    res = _check([invoice, reject], "E8-cr-820_02")
    e8 = res.rule("E8-cr-820_02")
    assert res.violations == [] and e8.decided == 0 and e8.open == 0
    assert _check([invoice], "E8-cr-820_02").violations[0].kind == "missing"
    assert _check([invoice, reject], "E7-cr-824").rule("E7-cr-824").on_time == 1


def test_997_matches_the_acknowledged_transaction() -> None:
    sent = _rec("814_01", "2025-03-03T09:00", "CR", "ERCOT", "C1", functional_id="GE", gs_control="7")
    other = _rec("997", "2025-03-03T10:00", "ERCOT", "CR", "", acks=(("GE", "7", ("0002",)),))
    assert _check([sent, other], "B1-any-997").violations[0].kind == "missing"
    ack = _rec("997", "2025-03-04T10:00", "ERCOT", "CR", "", acks=(("GE", "7", ("0001",)),))
    (v,) = _check([sent, ack], "B1-any-997").violations
    assert (v.kind, v.amount, v.unit) == ("late", 1.0, "hours")


def test_sharded_run_is_checked_whole(tmp_path: Path) -> None:
    """A folder of shards is checked as one run: same violations as the unsharded run.

    The scenario is explicit so the draws do not decide what is tested: every ESI ID starts
    energized with LONE STAR POWER, PECOS RETAIL switches six of them (indices 0..5; even
    indices are ONCOR's, odd CENTERPOINT's) and ONCOR never answers with an 814_04. The run
    ends before the CR looks for its 814_05 (five business days on: then a MarkeTrak issue would
    have the 814_04 sent again).
    """
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.output.shard import in_shard
    from ercot_sim.scenario import load_scenario_text

    events = "".join(_event("switch", i, 1 + i % 3, "PECOS RETAIL") for i in range(6))
    events += ('[[faults]]\nkind = "missing"\nparticipant = "ONCOR"\ncode = "814_04"\n')
    text = SCENARIO.format(name="shards", start="2025-03-03", days=8, seed=2, esi_ids=12, events=events)
    text = text.replace('roles = ["AREP", "POLR"]\n', 'roles = ["AREP", "POLR"]\nshare = 1.0\n')
    text = text.replace('duns = "323456789"\n', 'duns = "323456789"\nshare = 0.0\n')
    text = text.replace("esi_ids = 12\n", "esi_ids = 12\nenergized = 1.0\n")
    assert text.count("share = ") == 2 and "energized = 1.0" in text
    scenario = load_scenario_text(text)
    oncor = [f"10443720{serial:09d}" for serial in (1, 2, 3)]  # esi_index 0, 2, 4
    cnp = [f"1008901{serial:010d}" for serial in (1, 2, 3)]  # esi_index 1, 3, 5
    whole = tmp_path / "whole"
    run_scenario(scenario, whole)
    sharded = tmp_path / "sharded"
    for i in range(2):
        run_scenario(scenario, sharded / f"shard-{i:03d}", shard=(i, 2))
    one, two = check_path(whole), check_path(sharded)
    assert two.source == str(sharded)
    expected = {("B6-tdsp-814_04", esi, "missing") for esi in oncor}
    assert {(v.rule_id, v.esi_id, v.kind) for v in one.violations} == expected
    assert {(v.rule_id, v.esi_id, v.kind) for v in two.violations} == expected
    b6 = two.rule("B6-tdsp-814_04")
    assert (b6.on_time, b6.missing) == (3, 3), "CENTERPOINT answers all three of its 814_03s"
    for i in range(2):  # each shard alone sees only its own ESI IDs
        alone = check_path(sharded / f"shard-{i:03d}")
        mine = {esi for esi in oncor + cnp if in_shard(esi, (i, 2))}
        assert {v.esi_id for v in alone.violations} == mine & set(oncor)
    assert "B6-tdsp-814_04" in compliance_summary([sharded / "shard-000", sharded / "shard-001"])


# -- late-payment invoices ------------------------------------------------------------------------


def test_late_payment_invoice_is_not_a_meter_read() -> None:
    """An 810_02 that bills only late-payment charges (by its SAC04 codes) is no meter read."""
    assert "LPC001" in late_payment_charges() and "BAS001" not in late_payment_charges()

    def check(codes: tuple[str, ...], rule: str):  # type: ignore[no-untyped-def]
        invoice = _rec("810_02", "2025-03-05T09:00", "TDSP", "CR", "I1", dates={"150": "20250303", "151": "20250303"})
        data = Dataset([invoice], "memory", "x12", _local("2025-04-30T00:00"), charges={0: codes})
        return check_dataset(data, load_check_rules(), only=[rule])

    assert [v.kind for v in check(("BAS001", "DIS001"), "E5-tdsp-867_03").violations] == ["missing"]
    assert check(("BAS001", "LPC001"), "E5-tdsp-867_03").violations != []  # a monthly invoice with a fee
    late = check(("LPC001",), "E5-tdsp-867_03")
    assert late.violations == [] and late.rule("E5-tdsp-867_03").decided == 0
    assert check(("LPC001",), "E4-tdsp-810_02").rule("E4-tdsp-810_02").decided == 0
    assert check(("LPC001",), "E7-cr-824").rule("E7-cr-824").optional_absent == 1  # still an invoice


def test_late_payment_scenario_has_only_its_injected_violation(tmp_path: Path) -> None:
    """scenarios/late-payment.toml: no violation but the late 820_02 it injects (rule E8), from the
    trace and from the X12 folder alike; the late-payment 810_02 owes no 867_03."""
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario

    out = tmp_path / "late-payment"
    run_scenario(load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "late-payment.toml"), out)
    trace = check_path(out)
    x12 = check_path(out / "outbox", until=trace.end)
    for res in (trace, x12):
        assert [(v.rule_id, v.kind, v.trigger.code, v.amount, v.unit) for v in res.violations] == [
            ("E8-cr-820_02", "late", "810_02", 5.0, "calendar_days")]
        e4, e5 = res.rule("E4-tdsp-810_02"), res.rule("E5-tdsp-867_03")
        assert (e4.on_time, e4.missing, e5.on_time, e5.missing) == (2, 0, 2, 0)


# -- outage windows (A7) ------------------------------------------------------------------------

_WINDOW = ("2025-03-05T12:00", "2025-03-06T12:00")


def _outage(start: str = _WINDOW[0], end: str = _WINDOW[1]) -> Outage:
    return Outage("ERCOT", _local(start), _local(end), "", "A7")


def test_an_outage_window_restarts_the_deadlines_it_meets() -> None:
    res = check_path(PLANTED / "violations", outages=[_outage()])
    by_rule = {(v.rule_id, v.esi_id): v for v in res.violations}
    # B1: the 997 ERCOT owed for the 867_03 sent into the window came 6 h after the ordinary
    # deadline, before the one counted from the window's end: excused, not late
    assert ("B1-any-997", ESI[5]) not in by_rule
    assert res.rule("B1-any-997").excused == 1 and res.rule("B1-any-997").late == 0
    assert res.rule("B1-any-997").compliance == 1.0
    # B6: the TDSP's 814_04 to ERCOT: due 2 retail business days from the window's end
    late04 = by_rule[("B6-tdsp-814_04", ESI[2])]
    assert late04.due == _local("2025-03-10T17:00") and late04.lateness == "2 retail business days late"
    assert "outage window 2025-03-05 12:00..2025-03-06 12:00" in late04.message and "(A7)" in late04.message
    assert by_rule[("B6-tdsp-814_04", ESI[3])].due == _local("2025-03-10T17:00")
    # E4: the 810_02 goes from the TDSP to the CR, not through ERCOT: its deadline stands
    assert by_rule[("E4-tdsp-810_02", ESI[4])].due == _local("2025-03-06T17:00")
    assert res.to_dict()["rules"][0]["excused"] == 1
    assert "excus." in res.to_text()  # the column shows when something is excused


def test_a_window_that_meets_no_deadline_changes_nothing() -> None:
    plain = check_path(PLANTED / "violations")
    far = check_path(PLANTED / "violations", outages=[_outage("2025-04-01T00:00", "2025-04-02T00:00")])
    assert [v.message for v in far.violations] == [v.message for v in plain.violations]
    assert all(r.excused == 0 for r in far.rules) and "excus." not in far.to_text()


def test_disabling_the_suspending_rule_ignores_the_windows(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nid = "A7-ercot-retail-outage"\nenabled = false\n', encoding="utf-8")
    res = check_path(PLANTED / "violations", rules, outages=[_outage()])
    assert ("B1-any-997", ESI[5]) in {(v.rule_id, v.esi_id) for v in res.violations}
    assert res.rule("B1-any-997").excused == 0


def test_only_a_process_rule_suspends(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nid = "B1-any-997"\nsuspends = "ERCOT"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="suspends"):
        load_check_rules(rules)


def test_cli_outage_option(tmp_path: Path) -> None:
    got = runner.invoke(app, ["check", str(PLANTED / "violations"), "--json",
                              "--outage", f"{_WINDOW[0]}/{_WINDOW[1]}"])
    assert got.exit_code == 1  # the B6 and E4 violations remain
    data = json.loads(got.stdout)
    assert {r["rule_id"]: r["excused"] for r in data["rules"]}["B1-any-997"] == 1
    for bad in ("2025-03-05T12:00", "2025-03-06T12:00/2025-03-05T12:00", "tuesday/wednesday"):
        got = runner.invoke(app, ["check", str(PLANTED / "violations"), "--outage", bad])
        assert got.exit_code == 2 and "--outage" in got.output


_OUTAGE_RUN = """
[[retail_outages]]
day = 8
at = "08:00"
end_day = 11
end_at = "12:00"
"""


def test_engine_run_with_a_weekday_outage(tmp_path: Path) -> None:
    # ERCOT is out Tuesday 08:00 to Friday 12:00: what TDSPs send it in the window queues,
    # so some monthly 867_03s go after their ordinary deadline (E5); the trace holds the window
    out = _run(tmp_path, "outage", "2025-03-03", 20, 3, 300, _OUTAGE_RUN)
    res = check_path(out)
    assert [v.message for v in res.violations] == []
    assert res.rule("E5-tdsp-867_03").excused > 0
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nid = "A7-ercot-retail-outage"\nenabled = false\n', encoding="utf-8")
    strict = check_path(out, rules)
    late = [v for v in strict.violations if v.rule_id == "E5-tdsp-867_03"]
    assert len(late) == res.rule("E5-tdsp-867_03").excused
    end = _local("2025-03-14T12:00")
    assert all(v.answered is not None and v.answered.sent_at >= end for v in late)  # queued past the window
    # nothing was sent to or by ERCOT in the window
    con = sqlite3.connect(out / "trace.sqlite")
    try:
        assert con.execute("SELECT COUNT(*) FROM transactions WHERE (sender = '183529049' OR receiver = "
                           "'183529049') AND sent_at >= '2025-03-11T08:00' AND sent_at < '2025-03-14T12:00'"
                           ).fetchone() == (0,)
    finally:
        con.close()


def test_a_folder_with_a_stray_file_and_a_link_out_is_checked_and_says_so(tmp_path: Path) -> None:
    """A notes.txt among the X12 files is listed as not read and the rest is checked (before:
    exit 2 and no result); a link out of the folder is never followed."""
    from typer.testing import CliRunner

    from ercot_sim.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    sample = Path(__file__).resolve().parents[1] / "edi" / "invalid" / "ok-switch-request.x12"
    (folder / "a.x12").write_bytes(sample.read_bytes())
    (folder / "notes.txt").write_text("just notes\n")
    secret = tmp_path / "secret.x12"
    secret.write_text("SECRET-CONTENT that must not be echoed")
    (folder / "link.x12").symlink_to(secret)
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 1, result.output
    assert "checked" in result.output and "1 transactions" in result.output
    assert "not read: notes.txt segment 1 (ISA)" in result.output
    assert f"not read: {folder / 'link.x12'}: a link to {secret}, outside {folder}: not read" in result.output
    assert "SECRET" not in result.output
    validated = CliRunner().invoke(app, ["validate", str(folder)])
    assert validated.exit_code == 2 and "SECRET" not in validated.output
    assert f"{folder / 'link.x12'}: a link to {secret}, outside {folder}: not read" in validated.output


def test_a_check_without_the_owed_list_counts_the_same(tmp_path: Path) -> None:
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario, with_esi_ids

    out = tmp_path / "run"
    month = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "market-month.toml")
    run_scenario(with_esi_ids(month, 2000), out)
    listed = check_path(out)
    counted = check_path(out, owed=False)
    assert listed.owed and not counted.owed
    assert sum(rc.open for rc in listed.rules) == len(listed.owed)
    assert counted.to_dict() == listed.to_dict()
