"""Timing rules as data: the shipped file, overrides, errors, lateness; and tomlload."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from ercot_sim.calendar import CENTRAL, default_calendar
from ercot_sim.errors import RulesError, ScenarioError
from ercot_sim.timing import DEFAULT_RULES_PATH, PRE_RMGRR162_RULES_PATH, RuleSet, load_rules
from ercot_sim.tomlload import TomlLocator, load_toml_model, load_toml_text

# Section ids of timing-rules.md sections A-F. Kept here on purpose: the tests must not
# depend on where the shared domain notes live.
SECTIONS = (
    [f"A{i}" for i in range(1, 8)]
    + [f"B{i}" for i in range(1, 8)]
    + [f"C{i}" for i in range(1, 11)]
    + [f"D{i}" for i in range(1, 10)]
    + [f"E{i}" for i in range(1, 12)]
    + [f"F{i}" for i in range(1, 6)]
)

MINIMAL_RULE = """
[[rules]]
id = "X1-test"
title = "test rule"
kind = "response"
status = "assumed"
source = "test"
trigger = { code = "814_03", sender = "ERCOT" }
expect = [{ code = "814_04", sender = "TDSP" }]
deadline = { amount = 2, unit = "business_days", calendar = "TDSP", cutoff = "17:00" }
"""


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped file ------------------------------------------------------------------------


def test_every_section_is_covered(rules: RuleSet) -> None:
    covered = {rule.section for rule in rules}
    assert set(SECTIONS) <= covered, sorted(set(SECTIONS) - covered)


def test_ids_unique_in_file() -> None:
    raw = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    ids = [r["id"] for r in raw["rules"]]
    assert len(ids) == len(set(ids))


def test_every_rule_has_id_source_status(rules: RuleSet) -> None:
    for rule in rules:
        assert rule.id.startswith(rule.section or "?"), rule.id
        assert rule.source.strip()
        assert rule.status in ("confirmed", "assumed")
        if rule.status == "assumed":
            says = ("UNCERTAIN", "not retrieved", "assumed", "Section G")
            assert any(w in rule.source + rule.note for w in says), rule.id


def test_checkable_rules_have_trigger_and_expectation(rules: RuleSet) -> None:
    for rule in rules:
        if rule.kind in ("response", "lead"):
            assert rule.deadline is not None and rule.expect, rule.id
        if rule.kind == "process":
            assert not rule.is_checkable


def test_defaults_point_at_rules(rules: RuleSet) -> None:
    assert rules.default("fasd").value == 3
    assert rules.default("fasd").status == "confirmed"
    assert rules.default("ack_997_latency").max == 4
    for name, knob in rules.defaults.items():
        assert knob.rules, name
        for rule_id in knob.rules:
            assert rule_id in rules
    with pytest.raises(RulesError, match="unknown default"):
        rules.default("nope")


def test_status_counts(rules: RuleSet) -> None:
    confirmed = [r.id for r in rules if r.status == "confirmed"]
    assumed = [r.id for r in rules if r.status == "assumed"]
    assert len(confirmed) + len(assumed) == len(rules)
    assert "B6-tdsp-814_04" in assumed and "C3-ercot-fasd" in confirmed


# -- lookup ------------------------------------------------------------------------------------


def test_rules_for_trigger_filters(rules: RuleSet) -> None:
    ids = {r.id for r in rules.rules_for_trigger("814_16", "CR", priority=True)}
    assert "B4-ercot-priority-814_03" in ids and "B5-ercot-814_03" not in ids
    ids = {r.id for r in rules.rules_for_trigger("814_16", "CR", priority=False)}
    assert "B5-ercot-814_03" in ids and "B4-ercot-priority-814_03" not in ids
    assert "B1-any-997" in ids  # '*' rules apply to every transaction
    ids = {r.id for r in rules.rules_for_trigger("814_04", "TDSP", purpose="switch")}
    assert "B7-ercot-814_06-switch" in ids and "B7-ercot-814_06-move-in" not in ids


def test_disabled_and_effective_dates(rules: RuleSet) -> None:
    ids = {r.id for r in rules.rules_for_trigger("814_16", "CR")}
    assert "D1-cr-safety-net" not in ids  # enabled = false (the PUCT noon, before RMGRR162)
    old = {r.id for r in rules.rules_for_trigger("814_08", "CR", on=dt.date(2017, 1, 1))}
    new = {r.id for r in rules.rules_for_trigger("814_08", "CR", on=dt.date(2018, 1, 1))}
    assert "C8-ercot-evaluation-window" in old and "C8-ercot-evaluation-window" not in new


def test_get_unknown(rules: RuleSet) -> None:
    with pytest.raises(RulesError, match="unknown rule id 'Z9'"):
        rules.get("Z9")


def test_tdsp_calendar_needs_tdsp(rules: RuleSet) -> None:
    with pytest.raises(RulesError, match="pass tdsp="):
        rules.deadline("B6-tdsp-814_04", dt.datetime(2024, 1, 3, 9))


def test_window_bounds(rules: RuleSet) -> None:
    assert rules.window_bounds("B2-ercot-date-window", dt.date(2024, 6, 1)) == (
        dt.date(2023, 9, 5),
        dt.date(2024, 8, 30),
    )
    assert rules.window_bounds("C4-tdsp-switch-read-window", dt.date(2024, 12, 27)) == (
        dt.date(2024, 12, 24),
        dt.date(2024, 12, 31),
    )


# -- lateness ----------------------------------------------------------------------------------


def test_lateness_business_days(rules: RuleSet) -> None:
    due = rules.deadline(
        "B6-tdsp-814_04", dt.datetime(2024, 11, 27, 16), "ONCOR"
    )  # Tue 3 Dec 17:00
    late = rules.lateness("B6-tdsp-814_04", due, dt.datetime(2024, 12, 3, 17, 30), "ONCOR")
    assert late == (1.0, "retail_business_days")
    assert rules.lateness("B6-tdsp-814_04", due, dt.datetime(2024, 12, 6, 9), "ONCOR")[0] == 3
    assert rules.lateness("B6-tdsp-814_04", due, due, "ONCOR")[0] == 0
    early = rules.lateness("B6-tdsp-814_04", due, dt.datetime(2024, 11, 27, 18), "ONCOR")
    # Sent after the cut-off on Wed 27 Nov: counts as Mon 2 Dec, one business day early.
    assert early == (-1.0, "retail_business_days")
    assert rules.lateness("B6-tdsp-814_04", due, dt.datetime(2024, 11, 27, 9), "ONCOR")[0] == -2


def test_lateness_hours_across_dst(rules: RuleSet) -> None:
    due = rules.deadline("B1-any-997", dt.datetime(2024, 3, 9, 12))
    amount, unit = rules.lateness("B1-any-997", due, dt.datetime(2024, 3, 10, 15))
    assert (amount, unit) == (2.0, "hours")


def test_lateness_business_hours(rules: RuleSet) -> None:
    rule = "B4-ercot-priority-814_03"
    due = rules.deadline(rule, dt.datetime(2024, 11, 27, 16))  # Mon 2 Dec 09:00
    assert rules.lateness(rule, due, dt.datetime(2024, 12, 2, 10, 30)) == (
        1.5,
        "retail_business_hours",
    )
    assert rules.lateness(rule, due, dt.datetime(2024, 11, 27, 16, 30))[0] == -1.5
    # Late but outside business hours: still positive.
    assert rules.lateness(rule, dt.datetime(2024, 11, 27, 17), dt.datetime(2024, 11, 27, 20))[0] > 0


def test_lateness_calendar_days(rules: RuleSet) -> None:
    due = rules.deadline("E8-cr-820_02", dt.datetime(2024, 11, 20, 10))  # Thu 26 Dec 23:59
    assert rules.lateness("E8-cr-820_02", due, dt.datetime(2024, 12, 28, 9)) == (
        2.0,
        "calendar_days",
    )
    assert rules.lateness("E8-cr-820_02", due, dt.datetime(2024, 12, 20, 9))[0] == -6


@settings(max_examples=60, deadline=None)
@given(
    trigger=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31)),
    offset=st.integers(-20 * 24 * 60, 20 * 24 * 60),
    rule_id=st.sampled_from(
        [
            "B6-tdsp-814_04",
            "B1-any-997",
            "B4-ercot-priority-814_03",
            "E8-cr-820_02",
            "C3-ercot-fasd",
        ]
    ),
)
def test_late_exactly_when_after_deadline(trigger: dt.datetime, offset: int, rule_id: str) -> None:
    rs = load_rules()
    due = rs.deadline(rule_id, trigger, "CENTERPOINT")
    actual = due + dt.timedelta(minutes=offset)
    amount, _ = rs.lateness(rule_id, due, actual, "CENTERPOINT")
    assert (amount > 0) == (actual > due)


# -- overrides ---------------------------------------------------------------------------------


def test_override_by_id_merges_fields(tmp_path: Path, rules: RuleSet) -> None:
    path = write(
        tmp_path,
        "mine.toml",
        '[[rules]]\nid = "B6-tdsp-814_04"\nstatus = "confirmed"\ndeadline = { amount = 4 }\n',
    )
    rs = load_rules(overrides=[path])
    rule = rs.get("B6-tdsp-814_04")
    assert rule.deadline.amount == 4
    assert rule.deadline.unit == "retail_business_days" and rule.deadline.calendar == "TDSP"
    assert rule.status == "confirmed" and rule.title == rules.get("B6-tdsp-814_04").title
    assert rs.origin["B6-tdsp-814_04"] == str(path)
    assert len(rs) == len(rules)
    due = rs.deadline(rule, dt.datetime(2024, 11, 25, 9), "ONCOR")
    assert due == dt.datetime.fromisoformat("2024-12-03T17:00:00-06:00")


def test_override_adds_rule_and_default(tmp_path: Path, rules: RuleSet) -> None:
    path = write(
        tmp_path,
        "mine.toml",
        MINIMAL_RULE + '[defaults.fasd]\nvalue = 2\n[defaults.extra]\nvalue = 1\nunit = "hours"\n'
        'status = "assumed"\nsource = "test"\nrules = ["X1-test"]\n',
    )
    rs = load_rules(overrides=[path])
    assert len(rs) == len(rules) + 1 and "X1-test" in rs
    assert rs.default("fasd").value == 2 and rs.default("fasd").status == "confirmed"
    assert rs.default("extra").rules == ["X1-test"]


def test_override_can_enable_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "on.toml", '[[rules]]\nid = "D1-cr-safety-net"\nenabled = true\n')
    ids = {r.id for r in load_rules(overrides=[path]).rules_for_trigger("814_16", "CR")}
    assert "D1-cr-safety-net" in ids


# -- the safety net (D1): the RMG in force, the set before RMGRR162 ------------------------------


def test_default_safety_net_rule_is_the_rmg_one(rules: RuleSet) -> None:
    on = {r.id for r in rules.rules_for_trigger("814_16", "CR", on=dt.date(2025, 3, 3))}
    assert {"D1-cr-safety-net-rmg162", "D1-tdsp-safety-net-early"} <= on
    assert "D1-cr-safety-net" not in on
    # written by hand from the rule text: a move-in on Monday 10 Mar 2025 needs its safety net
    # by 15:00 on Friday 7 Mar, and the TDSP takes none before 12:00 on Thursday 6 Mar
    monday = dt.datetime(2025, 3, 10)
    assert rules.deadline("D1-cr-safety-net-rmg162", monday, "ONCOR") == dt.datetime(
        2025, 3, 7, 15, 0, tzinfo=CENTRAL)
    assert rules.deadline("D1-tdsp-safety-net-early", monday, "ONCOR") == dt.datetime(
        2025, 3, 6, 12, 0, tzinfo=CENTRAL)
    rmg = rules.get("D1-cr-safety-net-rmg162")
    assert rmg.effective_from == dt.date(2019, 12, 1) and "RMGRR162" in rmg.source
    assert rules.get("D1-tdsp-safety-net-early").deadline.bound == "earliest"  # type: ignore[union-attr]
    assert rules.default("safety_net_cutoff").value == "15:00"


def test_pre_rmgrr162_set_loads_and_differs(rules: RuleSet) -> None:
    old = load_rules(overrides=[PRE_RMGRR162_RULES_PATH])
    assert PRE_RMGRR162_RULES_PATH.parent == DEFAULT_RULES_PATH.parent  # shipped with the package
    on = {r.id for r in old.rules_for_trigger("814_16", "CR", on=dt.date(2019, 6, 3))}
    assert "D1-cr-safety-net" in on and "D1-cr-safety-net-rmg162" not in on
    assert "D1-tdsp-safety-net-early" in on  # the early reject is older than RMGRR162 (2003)
    # noon instead of 15:00, by hand: move-in Monday 10 Mar 2025 -> Friday 7 Mar 12:00
    assert old.deadline("D1-cr-safety-net", dt.datetime(2025, 3, 10), "ONCOR") == dt.datetime(
        2025, 3, 7, 12, 0, tzinfo=CENTRAL)
    changed = {r.id for r in old if r.model_dump() != rules.get(r.id).model_dump()}
    assert changed == {"D1-cr-safety-net", "D1-cr-safety-net-rmg162"}
    assert old.default("safety_net_cutoff").value == "12:00"
    assert old.origin["D1-cr-safety-net"] == str(PRE_RMGRR162_RULES_PATH)


def test_earliest_bound_only_on_lead_rules(tmp_path: Path) -> None:
    text = MINIMAL_RULE.replace('cutoff = "17:00" }', 'cutoff = "17:00", bound = "earliest" }')
    with pytest.raises(RulesError, match="only a 'lead' rule has an earliest bound"):
        load_rules(write(tmp_path, "bad.toml", text))


def test_earliness(rules: RuleSet) -> None:
    rule = "D1-tdsp-safety-net-early"
    opens = dt.datetime(2025, 3, 6, 12, 0, tzinfo=CENTRAL)  # for a move-in on Monday 10 Mar
    days = "business_days"
    assert rules.earliness(rule, opens, dt.datetime(2025, 3, 6, 11, 59), "ONCOR") == (1.0, days)
    assert rules.earliness(rule, opens, dt.datetime(2025, 3, 3, 9), "ONCOR") == (3.0, days)
    assert rules.earliness(rule, opens, opens, "ONCOR") == (0.0, days)  # at the bound: allowed
    assert rules.earliness(rule, opens, dt.datetime(2025, 3, 7, 9), "ONCOR") == (-1.0, days)


def test_b1_and_a7_are_marked_by_what_the_sources_say(rules: RuleSet) -> None:
    b1, a7 = rules.get("B1-any-997"), rules.get("A7-ercot-retail-outage")
    assert b1.status == a7.status == "assumed"
    assert "no retrieved source states 24 hours" in b1.source
    assert "may exceed SLA timings" in a7.source and "restart" in a7.note
    assert a7.suspends == "ERCOT"  # the restart stays, as an assumption (an override turns it off)


# -- errors name file, line and field --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            MINIMAL_RULE.replace('unit = "business_days"', 'unit = "fortnights"'),
            "line 10, rules[0].deadline.unit",
            "Input should be",
        ),
        (
            MINIMAL_RULE.replace('title = "test rule"\n', ""),
            "line 2, rules[0].title",
            "Field required",
        ),
        (
            MINIMAL_RULE + "colour = 'red'\n",
            "line 11, rules[0].colour",
            "Extra inputs are not permitted",
        ),
        (
            MINIMAL_RULE.replace('status = "assumed"', 'status = "maybe"'),
            "line 6, rules[0].status",
            "'confirmed' or 'assumed'",
        ),
        (
            MINIMAL_RULE.replace('sender = "TDSP"', 'sender = "BANK"'),
            "line 9, rules[0].expect[0].sender",
            "Input should be",
        ),
        (
            MINIMAL_RULE.replace("amount = 2,", "amount = 1.5,"),
            "line 10, rules[0].deadline",
            "whole number",
        ),
        (MINIMAL_RULE + MINIMAL_RULE, "line 13, rules[1].id", "duplicate rule id 'X1-test'"),
        (
            MINIMAL_RULE + "scope = { tdsp = ['ONCOR', 'ACME'] }\n",
            "line 11, rules[0].scope.tdsp[1]",
            "unknown calendar 'ACME'",
        ),
        (
            '[defaults.x]\nvalue = 1\nunit = "hours"\nstatus = "assumed"\nsource = "s"\nrules = ["nope"]\n',
            "line 6, defaults.x.rules[0]",
            "unknown rule id 'nope'",
        ),
        ("[[rules]]\nid = \n", "line 2", "TOML syntax error"),
    ],
)
def test_bad_rules_file(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    text_of_error = str(info.value)
    assert f"{path} {where}" in text_of_error
    assert message in text_of_error


def test_bad_override_points_at_override_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "o.toml", '[[rules]]\nid = "B6-tdsp-814_04"\n\ndeadline = { unit = "weeks" }\n'
    )
    with pytest.raises(RulesError) as info:
        load_rules(overrides=[path])
    assert f"{path} line 4, rules[0].deadline.unit:" in str(info.value)


def test_all_errors_reported(tmp_path: Path) -> None:
    text = MINIMAL_RULE.replace('status = "assumed"', 'status = "x"').replace(
        'kind = "response"', 'kind = "nope"'
    )
    with pytest.raises(RulesError) as info:
        load_rules(write(tmp_path, "two.toml", text))
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and "rules[0].kind" in lines[0] and "rules[0].status" in lines[1]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="file not found"):
        load_rules(tmp_path / "nope.toml")


# -- tomlload on its own -------------------------------------------------------------------------


class Rep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Literal["AREP", "POLR", "COMPETITIVE"]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    sizes: list[int] = []
    reps: list[Rep]


def test_tomlload_array_of_tables_and_inline() -> None:
    text = (
        'title = "x"\nsizes = [\n  1,\n  "two",\n]\n\n[[reps]]\nname = "a"\nrole = "AREP"\n\n'
        '[[reps]]\nname = """multi\nline"""\nrole = "POLR "\n'
        "reps_extra = 1\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_toml_text(text, "scenarios/x.toml", Scenario, ScenarioError)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("scenarios/x.toml line 4, sizes[1]: Input should be a valid integer")
    assert lines[1] == (
        "scenarios/x.toml line 14, reps[1].role: Input should be 'AREP', 'POLR' or 'COMPETITIVE'"
    )
    assert lines[2].startswith("scenarios/x.toml line 15, reps[1].reps_extra: Extra inputs")


def test_tomlload_inline_array_of_tables_and_dotted_keys() -> None:
    text = 'title = "t"\nreps = [\n  { name = "a", role = "AREP" },\n  { name = "b", role = "X" },\n]\n'
    with pytest.raises(ScenarioError, match=r"line 4, reps\[1\]\.role"):
        load_toml_text(text, "s.toml", Scenario, ScenarioError)
    locator = TomlLocator('a.b.c = 1\n[t]\n"quoted key".x = 2\n')
    assert locator.line_of(("a", "b", "c")) == 1
    assert locator.line_of(("t", "quoted key", "x")) == 3
    assert locator.line_of(("t", "missing")) == 2


def test_tomlload_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_toml_model(tmp_path / "none.toml", Scenario, ScenarioError)
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"title = '\xff'\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_toml_model(bad, Scenario, ScenarioError)


def test_shipped_calendar_used_by_rules(rules: RuleSet) -> None:
    assert rules.calendar is default_calendar()


# Deadlines worked out by hand from the rule text (docs/rules.md), not from RuleSet.deadline:
# March to May 2025 (no market holiday in March; 9 March is the spring-forward night; Memorial
# Day is Monday 26 May). B6: 2 retail business days, cutoff 17:00, due at the cutoff. B4: 2
# retail business hours of 08:00-17:00. B1: 24 elapsed hours. E8: 35 calendar days from the
# effective business date (cutoff 17:00), 23:59, rolled forward to a business day.
_HAND = [
    ("B6-tdsp-814_04", (2025, 3, 4, 16, 59), (2025, 3, 6, 17, 0), "before the cutoff: counts that day"),
    ("B6-tdsp-814_04", (2025, 3, 4, 17, 0), (2025, 3, 6, 17, 0), "at the cutoff: not later than it"),
    ("B6-tdsp-814_04", (2025, 3, 4, 17, 1), (2025, 3, 7, 17, 0), "after the cutoff: the next business day"),
    ("B6-tdsp-814_04", (2025, 3, 7, 18, 0), (2025, 3, 12, 17, 0), "Friday evening: Monday, then two days"),
    ("B6-tdsp-814_04", (2025, 3, 8, 10, 0), (2025, 3, 12, 17, 0), "Saturday: Monday, then two days"),
    ("B4-ercot-priority-814_03", (2025, 3, 4, 9, 0), (2025, 3, 4, 11, 0), "inside business hours"),
    ("B4-ercot-priority-814_03", (2025, 3, 4, 15, 0), (2025, 3, 4, 17, 0), "ends exactly at closing: stays"),
    ("B4-ercot-priority-814_03", (2025, 3, 4, 16, 0), (2025, 3, 5, 9, 0), "one hour today, one tomorrow"),
    ("B4-ercot-priority-814_03", (2025, 3, 4, 18, 0), (2025, 3, 5, 10, 0), "after hours: from the next opening"),
    ("B4-ercot-priority-814_03", (2025, 3, 7, 16, 30), (2025, 3, 10, 9, 30), "over the weekend"),
    ("B1-any-997", (2025, 3, 8, 12, 0), (2025, 3, 9, 13, 0), "24 elapsed hours over spring forward"),
    ("B1-any-997", (2025, 3, 4, 23, 30), (2025, 3, 5, 23, 30), "a plain day"),
    ("E8-cr-820_02", (2025, 3, 3, 10, 0), (2025, 4, 7, 23, 59), "35 days from a business day"),
    ("E8-cr-820_02", (2025, 3, 3, 18, 0), (2025, 4, 8, 23, 59), "after the cutoff: from the next day"),
    ("E8-cr-820_02", (2025, 3, 1, 10, 0), (2025, 4, 7, 23, 59), "Saturday: from Monday"),
    ("E8-cr-820_02", (2025, 4, 21, 10, 0), (2025, 5, 27, 23, 59), "lands on Memorial Day: rolled to Tuesday"),
]


@pytest.mark.parametrize("rule_id,trigger,due,why", _HAND, ids=[f"{r}-{w}" for r, _t, _d, w in _HAND])
def test_deadlines_as_worked_out_by_hand(rules: RuleSet, rule_id: str, trigger: tuple[int, ...],
                                         due: tuple[int, ...], why: str) -> None:
    got = rules.deadline(rule_id, dt.datetime(*trigger), "ONCOR")
    assert got.replace(tzinfo=None, second=0, microsecond=0) == dt.datetime(*due), why
