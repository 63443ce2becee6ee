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
    "compare --out naming a file": (["compare", SCENARIO, "--rules", RULES, "--rules", OLD_RULES, "--out", "afile"], "afile"),
    "schema --out into a missing folder": (["schema", "scenario", "--out", "missing/x.json"], "missing/x.json"),
    "check of a missing path": (["check", "nowhere"], "nowhere"),
    "validate of a missing path": (["validate", "nowhere"], "nowhere"),
    "report of a missing run": (["report", "nowhere", "--html", "r.html"], "nowhere"),
    "explain of a missing file": (["explain", "nowhere.x12"], "nowhere.x12"),
}


@pytest.mark.parametrize("args,path", list(CASES.values()), ids=list(CASES))
def test_a_path_it_cannot_use_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], args: list[str], path: str) -> None:
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
