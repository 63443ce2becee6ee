"""Every command with a path it cannot use: one line on stderr naming the path, exit 2, never a
traceback (run, generate, compare, schema, report, check, validate, explain)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ercot_sim.cli as cli

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "switch-standard.toml")
RULES = str(ROOT / "ercot_sim" / "timing" / "rules.toml")
OLD_RULES = str(ROOT / "ercot_sim" / "timing" / "rules-pre-rmgrr162.toml")


def _layout(tmp: Path) -> None:
    (tmp / "afile").write_text("not a folder")
    (tmp / "t" / "trace.sqlite").mkdir(parents=True)
    (tmp / "hd").mkdir()


CASES = {
    "run --out naming a file": (["run", SCENARIO, "--out", "afile"], "afile"),
    "run --out inside a file": (["run", SCENARIO, "--out", "afile/sub"], "afile/sub"),
    "run with trace.sqlite a folder": (["run", SCENARIO, "--out", "t"], "t/trace.sqlite"),
    "run --html naming a folder": (["run", SCENARIO, "--out", "r", "--html", "hd"], "hd"),
    "generate --out naming a file": (["generate", "--esiids", "5", "--days", "2", "--out", "afile"], "afile"),
    "compare --out naming a file": (["compare", SCENARIO, "--rules", RULES, "--rules", OLD_RULES, "--out", "afile"],
                                    "afile"),
    "schema --out into a missing folder": (["schema", "scenario", "--out", "missing/x.json"], "missing/x.json"),
    "check of a missing path": (["check", "nowhere"], "nowhere"),
    "validate of a missing path": (["validate", "nowhere"], "nowhere"),
    "report of a missing run": (["report", "nowhere", "--html", "r.html"], "nowhere"),
    "explain of a missing file": (["explain", "nowhere.x12"], "nowhere.x12"),
}


@pytest.mark.parametrize("args,path", list(CASES.values()), ids=list(CASES))
def test_a_path_it_cannot_use_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], args: list[str],
                                                      path: str) -> None:
    _layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_DEBUG", False)
    with pytest.raises(SystemExit) as exc:
        cli.main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2, err
    # the error is one line naming the path (compare may have said what it was running first)
    assert err and path in err[-1] and not any("Traceback" in line for line in err), err
    assert len(err) == 1 or args[0] == "compare", err
    assert (tmp_path / "afile").read_text() == "not a folder"  # nothing of the user's is touched


def test_run_fails_on_violation_when_asked_and_speaks_json(tmp_path: Path) -> None:
    """The faults scenario breaks a rule: exit 0 by default (a demo), 1 with
    --fail-on-violation (a pipeline); --json gives the same counts as data."""
    import json

    from typer.testing import CliRunner

    faults = str(ROOT / "scenarios" / "faults.toml")
    plain = CliRunner().invoke(cli.app, ["run", faults, "--out", str(tmp_path / "a")])
    assert plain.exit_code == 0 and "B6-tdsp-814_04" in plain.output
    strict = CliRunner().invoke(cli.app, ["run", faults, "--out", str(tmp_path / "b"), "--fail-on-violation"])
    assert strict.exit_code == 1 and "the run breaks timing rules (--fail-on-violation)" in strict.output
    doc = CliRunner().invoke(cli.app, ["run", faults, "--out", str(tmp_path / "c"), "--json", "--fail-on-violation"])
    assert doc.exit_code == 1
    data = json.loads(doc.stdout)
    assert data["failed"] is True and data["transactions"]["814_04"] >= 1
    assert any(v["rule_id"] == "B6-tdsp-814_04" for v in data["check"]["violations"])
    clean = CliRunner().invoke(cli.app, ["run", SCENARIO, "--out", str(tmp_path / "d"), "--json",
                                         "--fail-on-violation"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["failed"] is False


def test_report_without_html_says_nothing_was_written(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    assert CliRunner().invoke(cli.app, ["run", SCENARIO, "--out", str(tmp_path / "r"), "--no-check"]).exit_code == 0
    result = CliRunner().invoke(cli.app, ["report", str(tmp_path / "r")])
    assert result.exit_code == 0 and "no report written: give --html FILE" in result.output
