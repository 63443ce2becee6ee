"""``ercot-sim compare``: the same scenario and seed under two rule sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ercot_sim.cli import app
from ercot_sim.compare import Comparison, Stats, compare_rules, percentile
from ercot_sim.timing import DEFAULT_RULES_PATH

runner = CliRunner()

SCENARIO = """
[scenario]
name = "compare-small"
start = 2025-03-03
days = 25
seed = 9

[[participants.tdsps]]
name = "ONCOR"
duns = "1039940674000"
esi_prefix = "10443720"

[[participants.crs]]
name = "LONE STAR POWER"
duns = "123456789"
roles = ["AREP", "POLR"]

[[participants.crs]]
name = "PECOS RETAIL"
duns = "323456789"

[population]
esi_ids = 16
energized = 1.0
"""

# A later first available switch date (C3 knob) and a 997 deadline of 2 hours (B1), which the
# transport's delivery windows cannot always meet.
CHANGED = """
[defaults.fasd]
value = 6

[[rules]]
id = "B1-any-997"
deadline = { amount = 2, unit = "hours" }
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("compare")
    events = "".join(
        f'[[events]]\nkind = "switch"\nesi_index = {i}\nday = {1 + i % 5}\n'
        f'cr = "{"PECOS RETAIL" if i % 2 else "LONE STAR POWER"}"\n' for i in range(12))
    (d / "scenario.toml").write_text(SCENARIO + events)
    (d / "changed.toml").write_text(CHANGED)
    return {"scenario": d / "scenario.toml", "changed": d / "changed.toml", "dir": d}


@pytest.fixture(scope="module")
def comparison(files: dict[str, Path]) -> Comparison:
    return compare_rules(files["scenario"], DEFAULT_RULES_PATH, files["changed"], seed=4,
                         out=files["dir"] / "runs")


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 11)], 0.9) == 9.0
    assert Stats.of([2.0, 4.0]) == Stats(2, 2.0, 4.0, 4.0)


def test_same_seed_both_runs(comparison: Comparison) -> None:
    assert comparison.seed == 4
    assert (comparison.a.out / "trace.sqlite").is_file() and (comparison.b.out / "trace.sqlite").is_file()
    assert comparison.a.transactions["814_01"] == comparison.b.transactions["814_01"] > 0


def test_a_later_fasd_makes_switches_slower(comparison: Comparison) -> None:
    a, b = comparison.a.completion["switch"], comparison.b.completion["switch"]
    assert a.count > 0 and b.count > 0
    assert a.p50 is not None and b.p50 is not None and b.p50 > a.p50


def test_a_stricter_deadline_shows_as_violations(comparison: Comparison) -> None:
    assert comparison.a.violations["B1-any-997"] == 0
    assert comparison.b.violations["B1-any-997"] > 0
    changed = {(s, i) for s, i, _, _ in comparison.changed()}
    assert ("violations per rule", "B1-any-997") in changed
    text = comparison.to_text()
    assert "B1-any-997" in text and "switch p50" in text


def test_json_and_html(comparison: Comparison) -> None:
    data = json.loads(comparison.to_json())
    assert data["seed"] == 4 and data["changed"]
    assert data["a"]["completion_business_days"]["switch"]["count"] > 0
    page = comparison.to_html()
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr") == len(comparison.rows()) + 1
    assert 'class="changed"' in page


def test_cli(files: dict[str, Path], tmp_path: Path) -> None:
    html = tmp_path / "cmp.html"
    res = runner.invoke(app, ["compare", str(files["scenario"]), "--rules", str(DEFAULT_RULES_PATH),
                              "--rules", str(files["changed"]), "--seed", "4", "--json", "--html", str(html)])
    assert res.exit_code == 0, res.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    one = runner.invoke(app, ["compare", str(files["scenario"]), "--rules", str(DEFAULT_RULES_PATH)])
    assert one.exit_code == 2 and "exactly twice" in one.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "B6-tdsp-814_04"\ndeadline = { unit = "weeks" }\n')
    wrong = runner.invoke(app, ["compare", str(files["scenario"]), "--rules", str(DEFAULT_RULES_PATH),
                                "--rules", str(bad)])
    assert wrong.exit_code == 2 and "bad.toml" in wrong.output
