"""Nonsense in scenario and rules files is refused with file, line, field and a reason, never
taken silently (strings for numbers, inf, days outside the run, negative or absurd lead times,
misspelt rule ids and settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ercot_sim.errors import RulesError, ScenarioError
from ercot_sim.scenario import load_scenario
from ercot_sim.timing.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = (ROOT / "scenarios" / "switch-standard.toml").read_text()


@pytest.mark.parametrize("old,new,message", [
    ("days = 30", 'days = "30"', r"line \d+, scenario.days: Input should be a valid integer"),
    ("share = 1.0", "share = inf", r"line \d+, participants.crs\[0\].share: Input should be a finite number"),
    ("share = 1.0", "share = nan", r"participants.crs\[0\].share: Input should be a finite number"),
    ("esi_ids = 2", 'esi_ids = "2"', r"population.esi_ids: Input should be a valid integer"),
    ("day = 1\n", "day = 3000\n",
     r"line \d+, events\[0\].day: day 3000 is outside the run \(days 0 to 29 of a 30-day run"),
])
def test_a_scenario_with_nonsense_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SCENARIO
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace(old, new, 1))
    with pytest.raises(ScenarioError, match=message) as exc:
        load_scenario(path)
    assert str(path) in str(exc.value)


def test_the_shipped_scenarios_still_load() -> None:
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    assert len(paths) >= 20
    for path in paths:
        assert load_scenario(path).scenario.days > 0


@pytest.mark.parametrize("text,message", [
    ('[[rules]]\nid = "B6-tdsp-814_4"\nenabled = false\n',
     r"line 2, rules\[0\].id: unknown rule 'B6-tdsp-814_4'; did you mean 'B6-tdsp-814_04'\?"),
    ("[defaults.fasdd]\nvalue = 3\n", r"line 1, defaults.fasdd: unknown setting 'fasdd'; did you mean 'fasd'\?"),
    ("[defaults.fasd]\nvalue = -3\n", r"defaults.fasd: .*a business days setting cannot be negative \(got -3\)"),
    ("[defaults.fasd]\nvalue = 1e12\n", r"defaults.fasd: .*1e\+12 business days is beyond any market rule"),
    ("[defaults.fasd]\nvalue = inf\n", r"defaults.fasd.value: Input should be a finite number"),
])
def test_a_rules_override_with_nonsense_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RulesError, match=message) as exc:
        load_rules(overrides=[path])
    assert str(path) in str(exc.value)


def test_a_genuinely_new_rule_is_still_welcome(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[[rules]]\nid = "X1-my-rule"\ntitle = "Mine"\nkind = "process"\nstatus = "assumed"\n'
                    'source = "my market"\n')
    assert "X1-my-rule" in load_rules(overrides=[path])


def test_a_start_beyond_the_calendar_and_a_file_nested_too_deep_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("start = 2025-03-03", "start = 9999-12-20", 1))
    with pytest.raises(ScenarioError, match=r"scenario.start: Input should be less than or equal to 2189-12-31"):
        load_scenario(path)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="nested too deeply"):
        load_scenario(deep)


def test_a_deadline_of_a_trillion_hours_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[[rules]]\nid = "B6-tdsp-814_04"\ndeadline = { amount = 1e12, unit = "hours" }\n')
    with pytest.raises(RulesError, match=r"1e\+12 hours is beyond any market rule \(at most 87,840\)"):
        load_rules(overrides=[path])


def test_a_feed_with_nothing_in_it_is_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ercot_sim.cli import app

    result = CliRunner().invoke(app, ["generate", "--esiids", "5", "--days", "5", "--out", str(tmp_path / "g")])
    assert result.exit_code == 2 and "sent CR LONE STAR POWER nothing in 5 day(s) of 5 ESI ID(s)" in result.output
