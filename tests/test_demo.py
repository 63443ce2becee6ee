"""``ercot-sim demo``: every flow runs the real engine and narrates what it sent."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ercot_sim.cli import app
from ercot_sim.demo import FLOWS, OUT_OF_BAND, run_demo

ROOT = Path(__file__).resolve().parent.parent

#: Codes each flow's walk-through must show, in this order (a subsequence of the steps).
EXPECTED = {
    "standard-switch": ["814_01", "814_03", "814_04", "814_05", "867_04"],
    "self-selected-switch": ["814_01", "814_03", "814_04", "867_04"],
    "move-in": ["814_16", "814_03", "814_04", "814_05", "867_04"],
    "priority-move-in": ["814_16", "814_03", "814_04", "814_05"],
    "move-out": ["814_24", "814_24", "814_25", "814_25", "867_03"],
    "move-out-tampering": ["814_20", "814_24", "814_24", "814_28", "814_28", "814_24", "814_24", "814_25",
                           "867_03"],
    "cancel": ["814_01", "814_08", "814_08", "814_09", "814_09"],
    "rescission-after-switch": ["814_01", "814_05", "867_04", "marketrak-rescission", "marketrak-agree",
                                "marketrak-ready-to-receive", "814_16", "814_03", "814_04", "867_04", "814_06"],
    "date-change": ["814_01", "814_12", "814_12", "814_13", "814_13"],
    "mass-transition": ["814_03", "814_04", "814_14", "814_15"],
    "usage-invoice": ["810_02", "867_03", "824", "810_02"],
}


def _subsequence(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(code in it for code in want)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_each_flow_walks_through_the_engine_run(name: str) -> None:
    walk = run_demo(name)
    codes = [s.code for s in walk.steps]
    assert _subsequence(EXPECTED[name], codes), codes
    days = [s.business_day for s in walk.steps]
    assert days == sorted(days) and days[0] == 0
    assert [s.sent_at for s in walk.steps] == sorted(s.sent_at for s in walk.steps)
    for s in walk.steps:
        assert s.name and s.meaning
        if not s.file:  # out of band (MarkeTrak, a safety-net e-mail): no X12 to show
            assert s.code in OUT_OF_BAND and not s.x12 and "no X12" in s.name
            continue
        assert s.x12[0].startswith(f"ST*{s.code[:3]}*") and s.x12[-1].startswith("SE*")
        assert any(line.startswith(f"REF*Q5 ESI ID: {walk.esi_id}") for line in s.key_lines), s.key_lines
        assert s.sender_role in ("CR", "ERCOT", "TDSP") and s.receiver_role in ("CR", "ERCOT", "TDSP")
        assert s.sent_at.tzname() in ("CST", "CDT")


def test_the_demo_follows_the_scenario_not_a_script(tmp_path: Path) -> None:
    """Moving the scenario's start date moves every step: the steps come from the engine."""
    base = run_demo("standard-switch")
    shutil.copy(ROOT / "scenarios" / "switch-standard.toml", tmp_path / "switch-standard.toml")
    path = tmp_path / "switch-standard.toml"
    path.write_text(path.read_text("utf-8").replace("start = 2025-03-03", "start = 2025-06-02"), "utf-8")
    moved = run_demo("standard-switch", scenarios_dir=tmp_path)
    assert [s.code for s in moved.steps][:3] == [s.code for s in base.steps][:3]
    assert moved.steps[0].sent_at.date().isoformat().startswith("2025-06")
    assert moved.steps[0].sent_at.tzname() == "CDT" and base.steps[0].sent_at.tzname() == "CST"


def test_decoded_values_and_rejects() -> None:
    walk = run_demo("date-change")
    change = next(s for s in walk.steps if s.code == "814_12")
    assert any(line.startswith("DTM*150") and "2025-03-17" in line for line in change.key_lines)
    assert "move the date" in change.meaning
    usage = run_demo("usage-invoice")
    advice = next(s for s in usage.steps if s.code == "824")
    assert "rejects" in advice.meaning
    invoice = next(s for s in usage.steps if s.code == "810_02")
    assert any("TDS01 Total amount" in line for line in invoice.key_lines)


def test_cli_list_and_errors() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["demo", "--list"])
    assert listed.exit_code == 0
    for name in FLOWS:
        assert name in listed.output
    unknown = runner.invoke(app, ["demo", "switcheroo"])
    assert unknown.exit_code == 2 and "unknown flow 'switcheroo'" in unknown.output
    assert runner.invoke(app, ["demo"]).exit_code == 2


def test_cli_narrates_with_clock_route_and_x12() -> None:
    runner = CliRunner()
    plain = runner.invoke(app, ["demo", "standard-switch"])
    assert plain.exit_code == 0, plain.output
    steps = re.findall(r"Step (\d+)/(\d+)", plain.output)
    assert steps and steps[0][0] == "1" and len(steps) == int(steps[0][1])
    assert "business day 0" in plain.output and "NEWCOMER (CR) → ERCOT (ERCOT)" in plain.output
    assert "814_01 Switch (enrollment) request" in plain.output
    assert "For the customer:" in plain.output
    assert "ST*814*" not in plain.output
    raw = runner.invoke(app, ["demo", "standard-switch", "--x12"])
    assert "ST*814*" in raw.output and "REF*Q5*" in raw.output


def test_cli_step_waits_for_enter() -> None:
    runner = CliRunner()
    total = len(run_demo("move-out").steps)
    done = runner.invoke(app, ["demo", "move-out", "--step"], input="\n" * total)
    assert done.exit_code == 0, done.output
    assert done.output.count("Enter: next step") == total - 1
    short = runner.invoke(app, ["demo", "move-out", "--step"], input="\n")
    assert short.exit_code == 0
    assert f"demo stopped after step 2 of {total}" in short.output  # it really waited
    assert "Step 3/" not in short.output
